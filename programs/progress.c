/* SPDX-License-Identifier: MIT */
/* A progress line on stderr: bytes and files done, rate, time left. */
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static struct {
	bool enabled;
	uint64_t total_bytes, total_files;
	double start;
	atomic_uint_least64_t bytes, files;
	atomic_flag drawing;
	_Atomic double last_draw;
	atomic_bool drawn;	/* a line is on the screen */
} prog = { .drawing = ATOMIC_FLAG_INIT };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void draw(double t)
{
	double mib = 1024.0 * 1024.0;
	uint64_t bytes = atomic_load(&prog.bytes);
	double rate = bytes / (t - prog.start > 1e-3 ? t - prog.start : 1e-3);
	double left = rate > 0 && prog.total_bytes > bytes ?
		      (prog.total_bytes - bytes) / rate : 0;

	fprintf(stderr, "\r%.0f/%.0f MiB  %llu/%llu files  %.0f MiB/s  %um%02us left \033[K",
		bytes / mib, prog.total_bytes / mib,
		(unsigned long long)atomic_load(&prog.files),
		(unsigned long long)prog.total_files, rate / mib,
		(unsigned int)left / 60, (unsigned int)left % 60);
}

static void maybe_draw(void)
{
	double t;

	if (!prog.enabled)
		return;
	t = now();
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
	prog.total_bytes = total_bytes;
	prog.total_files = total_files;
	prog.start = now();
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

void progress_clear(void)
{
	if (atomic_exchange(&prog.drawn, false))
		fputs("\r\033[K", stderr);
}

void progress_end(void)
{
	progress_clear();
	prog.enabled = false;
}
