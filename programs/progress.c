/* SPDX-License-Identifier: MIT */
/* A progress line on stderr: bytes and files done, rate, time left. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

/*
 * The estimate weighs each file as this many bytes of hashing (opening,
 * allocating, writing its metadata), so that thousands of small files left
 * after the big ones are not estimated at nothing.
 */
#define FILE_COST_BYTES	(64u << 10)

static struct {
	bool enabled;
	uint64_t total_bytes, total_files;
	double start;
	atomic_uint_least64_t bytes, files;
	atomic_flag drawing;
	_Atomic double last_draw;
	atomic_bool drawn;	/* a line is on the screen */
	const char *phase;	/* progress_phase()'s text, or NULL */
} prog = { .drawing = ATOMIC_FLAG_INIT };

double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void format_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, size, v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void format_duration(char *buf, size_t size, double seconds)
{
	unsigned long s = (unsigned long)(seconds + 0.5);

	if (seconds < 10)
		snprintf(buf, size, "%.1f s", seconds);
	else if (s < 60)
		snprintf(buf, size, "%lu s", s);
	else if (s < 3600)
		snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
}

void print_hashed_summary(FILE *f, uint64_t bytes, double seconds)
{
	char b[32], t[32];

	format_bytes(b, sizeof(b), bytes);
	format_duration(t, sizeof(t), seconds);
	fprintf(f, "; %s hashed in %s\n", b, t);
}

/* Columns of the terminal on stderr (the line must never wrap). */
static unsigned int terminal_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && atoi(cols) > 0)
		return (unsigned int)atoi(cols);
	return 80;
}

/* Time left, from bytes and files together; never 0 while work remains. */
static void format_left(char *buf, size_t size, double elapsed, uint64_t bytes, uint64_t files)
{
	double done = (double)bytes + (double)files * FILE_COST_BYTES;
	double total = (double)prog.total_bytes + (double)prog.total_files * FILE_COST_BYTES;
	double left;

	if (done >= total) {
		snprintf(buf, size, "finishing");
		return;
	}
	if (elapsed < 1 || done <= 0) {
		snprintf(buf, size, "estimating");
		return;
	}
	left = (total - done) * elapsed / done;
	if (left < 0.1)
		left = 0.1;	/* "0.0 s" would say nothing is left */
	format_duration(buf, size, left);
	strncat(buf, " left", size - strlen(buf) - 1);
}

static void draw(double t)
{
	char line[512], done_s[32], total_s[32], rate_s[32], left_s[48];
	uint64_t bytes = atomic_load(&prog.bytes), files = atomic_load(&prog.files);
	double elapsed = t - prog.start;
	unsigned int width = terminal_width();

	if (prog.phase) {
		format_duration(left_s, sizeof(left_s), elapsed);
		snprintf(line, sizeof(line), "%s (%s)", prog.phase, left_s);
	} else {
		format_bytes(done_s, sizeof(done_s), bytes);
		format_bytes(total_s, sizeof(total_s), prog.total_bytes);
		format_bytes(rate_s, sizeof(rate_s),
			     (uint64_t)(bytes / (elapsed > 1e-3 ? elapsed : 1e-3)));
		format_left(left_s, sizeof(left_s), elapsed, bytes, files);
		snprintf(line, sizeof(line), "%s of %s, %llu/%llu files, %s/s, %s",
			 done_s, total_s, (unsigned long long)files,
			 (unsigned long long)prog.total_files, rate_s, left_s);
	}
	/* One column short of the width: a full line would wrap on some terminals. */
	if (width > 1 && strlen(line) > width - 1)
		line[width - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
}

static void maybe_draw(void)
{
	double t;

	if (!prog.enabled)
		return;
	t = monotonic_seconds();
	if (t - prog.last_draw < 0.2 || atomic_flag_test_and_set(&prog.drawing))
		return;
	prog.last_draw = t;
	draw(t);
	atomic_store(&prog.drawn, true);
	atomic_flag_clear(&prog.drawing);
}

void progress_start(uint64_t total_bytes, uint64_t total_files, bool quiet)
{
	prog.enabled = !quiet && isatty(STDERR_FILENO);
	prog.phase = NULL;
	prog.total_bytes = total_bytes;
	prog.total_files = total_files;
	prog.start = monotonic_seconds();
	prog.last_draw = prog.start;	/* short work never draws */
	atomic_store(&prog.bytes, 0);
	atomic_store(&prog.files, 0);
}

void progress_add_bytes(uint64_t n)
{
	atomic_fetch_add(&prog.bytes, n);
	maybe_draw();
}

void progress_add_file(void)
{
	atomic_fetch_add(&prog.files, 1);
	maybe_draw();
}

uint64_t progress_bytes(void)
{
	return atomic_load(&prog.bytes);
}

void progress_phase(bool quiet, const char *what)
{
	progress_start(0, 0, quiet);
	prog.phase = what;
	if (prog.enabled) {
		/* At once: the user sees what runs before the first tick. */
		draw(prog.start);
		atomic_store(&prog.drawn, true);
	}
}

void progress_phase_tick(void)
{
	maybe_draw();
}

void progress_clear(void)
{
	if (atomic_exchange(&prog.drawn, false))
		fputs("\r\033[K", stderr);
}

void progress_end(void)
{
	progress_clear();
	prog.enabled = false;
	prog.phase = NULL;
}
