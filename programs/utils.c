/* SPDX-License-Identifier: MIT */
/* Helpers shared by the mbverity subcommands. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utils.h"
#include "progress.h"

void error_msg(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fflush(stdout);		/* results before this message, also when both go to one file */
	flockfile(stderr);	/* one whole line, even from several threads */
	fputs("mbverity: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int usage_error(const char *usage, const char *fmt, ...)
{
	const char *cmd = strncmp(usage, "mbverity ", 9) == 0 ? usage + 9 : usage;
	va_list ap;

	progress_clear();
	fflush(stdout);
	fputs("mbverity: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; 'mbverity %.*s --help' shows the usage\n", (int)strcspn(cmd, " \n"), cmd);
	return 2;
}

int option_error(const char *usage, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	/* main() sets opterr = 0: getopt's own two-line complaint is not printed. */
	if (optopt == 0)
		return usage_error(usage, "unrecognized option '%s'", arg);
	if (strncmp(arg, "--", 2) == 0)
		return usage_error(usage, "option '%s' needs a value", arg);
	return usage_error(usage, "bad option '-%c'", optopt);
}

void tree_options_init(struct tree_options *t)
{
	memset(t, 0, sizeof(*t));
	t->hash_alg = MBV_HASH_ALG_SHA256;
	t->block_size = 4096;
}

bool parse_u64(const char *arg, uint64_t *v)
{
	char *end;

	if (!*arg || *arg == '-')
		return false;
	errno = 0;
	*v = strtoull(arg, &end, 10);
	return !errno && !*end;
}

uint64_t source_date_epoch(void)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (!env || !*env)
		return 0;
	if (!parse_u64(env, &v)) {
		error_msg("ignoring SOURCE_DATE_EPOCH='%s': not a number of seconds", env);
		return 0;
	}
	return v;
}

bool parse_threads(const char *arg, unsigned int *threads)
{
	uint64_t v;

	if (!parse_u64(arg, &v) || v > 1024) {
		error_msg("invalid thread count '%s': 0 (all CPUs) to 1024", arg);
		return false;
	}
	*threads = (unsigned int)v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_tree_option(struct tree_options *t, int opt, const char *arg)
{
	uint64_t v;
	size_t i, n;

	switch (opt) {
	case OPT_HASH_ALG:
		t->hash_alg = mbv_hash_alg_by_name(arg);
		if (!t->hash_alg) {
			error_msg("unknown hash algorithm '%s' (known: sha256 sha512)", arg);
			return false;
		}
		return true;
	case OPT_BLOCK_SIZE:
		if (!parse_u64(arg, &v) || v == 0 || (v & (v - 1)) ||
		    v > (1u << MBV_MAX_BLOCK_SIZE_LOG2)) {
			error_msg("invalid block size '%s': must be a power of 2 up to %u",
				  arg, 1u << MBV_MAX_BLOCK_SIZE_LOG2);
			return false;
		}
		t->block_size = (uint32_t)v;
		return true;
	case OPT_SALT:
		n = strlen(arg);
		if (n % 2) {
			error_msg("invalid salt '%s': odd number of hex digits", arg);
			return false;
		}
		if (n / 2 > CLI_MAX_SALT_SIZE) {
			error_msg("invalid salt: %zu bytes, at most %d allowed", n / 2,
				  MBV_MAX_SALT_SIZE);
			return false;
		}
		for (i = 0; i < n / 2; i++) {
			int hi = hex_value(arg[2 * i]), lo = hex_value(arg[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				error_msg("invalid salt '%s': not a hex string", arg);
				return false;
			}
			t->salt[i] = (uint8_t)(hi << 4 | lo);
		}
		t->salt_size = (uint32_t)(n / 2);
		return true;
	}
	return false;
}

int check_tree_options(const struct tree_options *t)
{
	unsigned int ds = mbv_hash_digest_size(t->hash_alg);

	if (t->block_size < 2 * ds) {
		error_msg("invalid block size %u: %s needs at least %u", t->block_size,
			  mbv_hash_alg_name(t->hash_alg), 2 * ds);
		return -EINVAL;
	}
	if (t->salt_size > MBV_MAX_SALT_SIZE) {
		error_msg("invalid salt: %u bytes, at most %d allowed", t->salt_size,
			  MBV_MAX_SALT_SIZE);
		return -EINVAL;
	}
	return 0;
}

void tree_params_from_options(struct mbv_tree_params *p,
			      const struct tree_options *t, uint64_t file_size)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	p->hash_algorithm = t->hash_alg;
	p->block_size = t->block_size;
	p->salt_size = t->salt_size;
	p->salt = t->salt;
	p->file_size = file_size;
}

void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void print_digest_line(uint32_t hash_alg, const uint8_t *digest, const char *name)
{
	printf("%s:", mbv_hash_alg_name(hash_alg));
	print_hex(stdout, digest, mbv_hash_digest_size(hash_alg));
	printf(" %s\n", name);
}

/*
 * Signals: temporary files to remove and a child to stop when SIGINT,
 * SIGTERM or SIGHUP arrive.  Fixed slots, never freed, so that the handler
 * (in any thread) reads no memory another thread frees.
 */
#define MAX_CLEANUP 8
static char cleanup_paths[MAX_CLEANUP][PATH_MAX + 32];
static volatile sig_atomic_t cleanup_used[MAX_CLEANUP];
static volatile pid_t cleanup_child;
static volatile sig_atomic_t stop_signal;
static bool stop_deferred;

static void on_stop_signal(int sig)
{
	int saved = errno, i;

	if (cleanup_child > 0) {
		kill(cleanup_child, sig);
		waitpid(cleanup_child, NULL, 0);
		cleanup_child = 0;
	}
	if (stop_deferred && !stop_signal) {
		/* enable stops between files, the image closed properly */
		stop_signal = sig;
		errno = saved;
		return;
	}
	for (i = 0; i < MAX_CLEANUP; i++)
		if (cleanup_used[i])
			unlink(cleanup_paths[i]);
	/* Die of the signal itself (128 + signo to a shell) once this returns. */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void signals_init(bool deferred)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	stop_deferred = deferred;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* An ignored signal stays ignored (nohup, background jobs). */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&sa.sa_mask, sigs[i]);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigismember(&sa.sa_mask, sigs[i]))
			sigaction(sigs[i], &sa, NULL);
}

int stop_requested(void)
{
	return stop_signal;
}

const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
}

void signals_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void signals_set_child(pid_t pid)
{
	cleanup_child = pid;
}

/* Called with the signals blocked. */
static int cleanup_add(const char *path)
{
	int i;

	if (strlen(path) >= sizeof(cleanup_paths[0]))
		return -1;
	for (i = 0; i < MAX_CLEANUP; i++)
		if (!cleanup_used[i]) {
			strcpy(cleanup_paths[i], path);
			cleanup_used[i] = 1;
			return i;
		}
	return -1;	/* only a signal would leave this one behind */
}

static void cleanup_drop(int slot)
{
	if (slot >= 0)
		cleanup_used[slot] = 0;
}

/* "-", /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: that descriptor, else -1. */
static int named_fd(const char *path)
{
	const char *n = NULL;
	char *end;
	long v;

	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	if (!strncmp(path, "/dev/fd/", 8))
		n = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		n = path + 14;
	if (!n || !*n)
		return -1;
	errno = 0;
	v = strtol(n, &end, 10);
	return errno || *end || v < 0 || v > INT_MAX ? -1 : (int)v;
}

/* Follow symbolic links to the file they name (which may not exist yet). */
static char *resolve_links(const char *path, int *err)
{
	char *p = strdup(path);
	int depth;

	for (depth = 0; p && depth < 40; depth++) {
		char target[PATH_MAX], *next, *slash;
		struct stat st;
		ssize_t n;

		/* /dev/stdout -> /proc/self/fd/1 -> a file: the descriptor, not the file */
		if (named_fd(p) >= 0 || lstat(p, &st) != 0 || !S_ISLNK(st.st_mode))
			return p;
		n = readlink(p, target, sizeof(target) - 1);
		if (n < 0) {
			*err = -errno;
			free(p);
			return NULL;
		}
		target[n] = '\0';
		slash = strrchr(p, '/');
		if (target[0] == '/' || !slash) {
			next = strdup(target);
		} else {
			next = malloc((size_t)(slash - p) + 2 + (size_t)n);
			if (next)
				sprintf(next, "%.*s/%s", (int)(slash - p), p, target);
		}
		free(p);
		p = next;
	}
	*err = p ? -ELOOP : -ENOMEM;
	free(p);
	return NULL;
}

/* A named temporary file: "@base.tmp.XXXXXX", registered for signal cleanup. */
static int make_temp(struct out_file *o, const char *base)
{
	size_t n = strlen(base) + 16;
	sigset_t old;
	int err = 0;

	o->tmp_path = malloc(n);
	if (!o->tmp_path)
		return -ENOMEM;
	snprintf(o->tmp_path, n, "%s.tmp.XXXXXX", base);
	/* No signal between creating the file and knowing to remove it. */
	signals_block(&old);
	o->fd = mkostemp(o->tmp_path, O_CLOEXEC);
	if (o->fd < 0)
		err = -errno;
	else
		o->cleanup_slot = cleanup_add(o->tmp_path);
	signals_restore(&old);
	if (err) {
		free(o->tmp_path);
		o->tmp_path = NULL;
	}
	return err;
}

int out_file_open_flags(struct out_file *o, const char *path, unsigned int flags)
{
	struct stat st;
	int fd, err = 0;

	memset(o, 0, sizeof(*o));
	o->fd = o->dest_fd = -1;
	o->cleanup_slot = -1;
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	o->final_path = resolve_links(path, &err);
	if (!o->final_path)
		goto out;
	path = o->final_path;
	fd = named_fd(path);
	if (fd >= 0) {
		o->dest_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (o->dest_fd < 0)
			err = -errno;
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISBLK(st.st_mode) && (flags & OUT_FILE_DIRECT_BLOCK_DEVICE)) {
			/* An image builder's partition: written in place, as mke2fs does. */
			o->direct = true;
			o->tmp_path = strdup(path);
			if (!o->tmp_path)
				err = -ENOMEM;
			o->fd = -1;
			goto out;
		}
		/* A device, FIFO or socket is written in place, never replaced. */
		o->dest_fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (o->dest_fd < 0)
			err = -errno;
	}
	if (err)
		goto out;
	if (o->dest_fd >= 0) {
		/* Spooled first: trees come out of order, and a failure writes nothing. */
		const char *dir = getenv("TMPDIR");
		char base[PATH_MAX];

		free(o->final_path);
		o->final_path = NULL;
		snprintf(base, sizeof(base), "%s/mbverity", dir && *dir ? dir : "/tmp");
		err = make_temp(o, base);
		goto out;
	}
	/* A regular file (or none yet), through any symlinks: replaced atomically. */
	if (stat(o->final_path, &st) == 0) {
		o->mode = st.st_mode & 07777;
	} else {
		mode_t m = umask(0);

		umask(m);
		o->mode = 0666 & ~m;
	}
	err = make_temp(o, o->final_path);
out:
	if (err) {
		if (o->dest_fd >= 0)
			close(o->dest_fd);
		free(o->path);
		free(o->final_path);
		free(o->tmp_path);
		memset(o, 0, sizeof(*o));
		o->fd = o->dest_fd = -1;
	}
	return err;
}

int out_file_open(struct out_file *o, const char *path)
{
	return out_file_open_flags(o, path, 0);
}

static int write_all_at(int fd, const void *buf, size_t n, off_t off)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = pwrite(fd, p, n, off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int out_file_write(struct out_file *o, const void *buf, size_t n)
{
	off_t end = lseek(o->fd, 0, SEEK_END);

	if (end < 0)
		return -errno;
	return write_all_at(o->fd, buf, n, end);
}

int tree_block_to_file(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct out_file *o = ctx;

	return write_all_at(o->fd, block, size, (off_t)offset);
}

int set_default_mode(int fd)
{
	mode_t m = umask(0);

	umask(m);
	return fchmod(fd, 0666 & ~m) ? -errno : 0;
}

/* The spool, from its start, to the device, FIFO or descriptor. */
static int copy_out(int from, int to)
{
	static uint8_t buf[1 << 16];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), off), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		off += n;
		while (done < n) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			done += w;
		}
	}
}

int out_file_close(struct out_file *o, bool ok)
{
	int err = 0, from;

	if (o->direct) {
		free(o->path);
		free(o->final_path);
		free(o->tmp_path);
		return 0;
	}
	/* By name from here: mke2fs wrote mkfs's temporary image through its own descriptor. */
	if (close(o->fd) != 0)
		err = -errno;
	if (o->dest_fd >= 0) {
		if (ok && !err) {
			from = open(o->tmp_path, O_RDONLY | O_CLOEXEC);
			err = from < 0 ? -errno : copy_out(from, o->dest_fd);
			if (from >= 0)
				close(from);
		}
		if (close(o->dest_fd) != 0 && ok && !err && errno != EINTR)
			err = -errno;
		unlink(o->tmp_path);
	} else {
		if (ok && !err && chmod(o->tmp_path, o->mode) != 0)
			err = -errno;
		if (ok && !err && rename(o->tmp_path, o->final_path) != 0)
			err = -errno;
		if (!ok || err)
			unlink(o->tmp_path);
	}
	cleanup_drop(o->cleanup_slot);
	free(o->path);
	free(o->final_path);
	free(o->tmp_path);
	return err;
}

int read_whole_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t done = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, p + done, (size_t)st.st_size - done);

		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			free(p);
			goto out;
		}
		done += (size_t)r;
	}
	*buf = p;
	*len = done;
out:
	close(fd);
	return err;
}

bool selection_add(struct file_selection *sel, bool include, const char *glob)
{
	const char ***list = include ? &sel->include : &sel->exclude;
	size_t *n = include ? &sel->n_include : &sel->n_exclude;
	const char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown) {
		error_msg("out of memory");
		return false;
	}
	grown[(*n)++] = glob;
	*list = grown;
	return true;
}

/* fnmatch without FNM_PATHNAME: '*' also matches '/', so '*.so' works anywhere. */
static bool any_match(const char *const *globs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], path, 0) == 0)
			return true;
	return false;
}

bool selection_match(const struct file_selection *sel, const char *path)
{
	if (sel->n_include && !any_match(sel->include, sel->n_include, path))
		return false;
	return !any_match(sel->exclude, sel->n_exclude, path);
}

void selection_free(struct file_selection *sel)
{
	free(sel->include);
	free(sel->exclude);
	sel->include = sel->exclude = NULL;
	sel->n_include = sel->n_exclude = 0;
}
