/* SPDX-License-Identifier: MIT */
/* Output files written safely, and small input files read whole. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "messages.h"
#include "out_file.h"
#include "signals.h"

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
