/* SPDX-License-Identifier: MIT */
/*
 * The tree of a regular file on the host: read through the pool, or, in
 * one thread, hashed from its mapping.
 *
 * Hash a page-cached regular file straight from its mapping: read() spends a
 * quarter of a one-thread digest copying the data into a buffer that the
 * hash then reads again.  Mapped a window at a time (peak RSS stays at one
 * window) and unmapped behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include "file_tree.h"
#include "messages.h"
#include "progress.h"
#include "options.h"

/*
 * Bytes mapped at a time: 1, 2, 8 and 32 MiB hash a 1 GiB file equally fast
 * here, and the window is what a mapping adds to the peak RSS.
 */
#define MAP_WINDOW ((size_t)2 << 20)

/*
 * A file truncated underneath its mapping raises SIGBUS at the first access
 * past the new end: the thread hashing from a mapping jumps back out of the
 * hash and reports the file as shrunk, as read() would.  Any other SIGBUS
 * keeps its default action.
 */
static _Thread_local sigjmp_buf *bus_jump;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jump)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL);	/* the faulting access runs again and kills */
}

static void install_sigbus(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* The mapping being hashed: volatile, as it is read again after a siglongjmp. */
struct map_walk {
	void *volatile map;
	volatile size_t maplen;
};

/* Read [off, off + n) into @buf pieces and hash them: a window mmap refused. */
static int read_window(int fd, uint64_t off, size_t n, struct mbv_tree_builder *b)
{
	uint8_t *buf = malloc(MBV_READ_CHUNK);
	int err = buf ? 0 : -ENOMEM;

	while (!err && n) {
		size_t want = n < MBV_READ_CHUNK ? n : MBV_READ_CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? -errno : -EIO;	/* EIO: the file shrank */
			break;
		}
		err = mbv_tree_update(b, buf, (size_t)got);
		progress_add_bytes((uint64_t)got);
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	free(buf);
	return err;
}

int map_compute_tree(int fd, const struct mbv_tree_params *params,
		     struct mbv_tree_result *res)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint64_t size = params->file_size;
	struct mbv_tree_builder *b;
	struct map_walk w = { NULL, 0 };
	volatile uint64_t off = 0;
	sigjmp_buf jump;
	int err;

	if (size < MAP_MIN_BYTES)
		return -ENOTSUP;
	err = mbv_tree_new(params, &b, NULL, NULL);
	if (err)
		return err;
	pthread_once(&once, install_sigbus);
	/* 1: restore the signal mask, which the handler's SIGBUS blocked. */
	if (sigsetjmp(jump, 1)) {
		bus_jump = NULL;
		munmap(w.map, w.maplen);
		mbv_tree_free(b);
		return -EIO;	/* the file shrank under us, as pread says */
	}
	bus_jump = &jump;
	while (off < size) {
		size_t n = size - off < MAP_WINDOW ? (size_t)(size - off) : MAP_WINDOW;
		void *m = mmap(NULL, n, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, (off_t)off);

		if (m == MAP_FAILED) {
			if (off == 0) {
				err = -ENOTSUP;	/* nothing hashed: the caller reads */
				break;
			}
			err = read_window(fd, off, n, b);
		} else {
			w.maplen = n;
			w.map = m;
			err = mbv_tree_update(b, m, n);
			w.map = NULL;
			munmap(m, n);
			if (!err)
				progress_add_bytes(n);
		}
		if (err)
			break;
		off += n;
	}
	bus_jump = NULL;
	if (!err)
		err = mbv_tree_finish(b, res);
	mbv_tree_free(b);
	return err;
}

struct fd_reader {
	int fd;
};

static int pread_fd(void *ctx, void *buf, size_t count, uint64_t offset)
{
	struct fd_reader *r = ctx;
	uint8_t *p = buf;

	while (count) {
		ssize_t n = pread(r->fd, p, count, (off_t)offset);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;	/* the file shrank under us */
		p += n;
		offset += (uint64_t)n;
		count -= (size_t)n;
		progress_add_bytes((uint64_t)n);
	}
	return 0;
}

int file_tree(const char *path, const struct tree_options *t, struct mbv_pool *pool,
	      int (*tree_block)(void *, const void *, size_t, uint64_t),
	      void *ctx, struct mbv_tree_result *res)
{
	struct mbv_tree_params params;
	struct fd_reader r;
	struct stat st;
	int err;

	r.fd = open(path, O_RDONLY);
	if (r.fd < 0) {
		err = -errno;
		error_msg("cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	if (fstat(r.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		error_msg("'%s' is not a regular file%s", path,
			  err == -EISDIR ? " (it is a directory)" : "");
		close(r.fd);
		return err;
	}
	posix_fadvise(r.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	tree_params_from_options(&params, t, (uint64_t)st.st_size);
	params.tree_block = tree_block;
	params.ctx = ctx;
	/* One thread: hash from the page cache without read()'s copy. */
	err = -ENOTSUP;
	if (!pool || mbv_pool_threads(pool) < 2)
		err = map_compute_tree(r.fd, &params, res);
	if (err == -ENOTSUP)
		err = mbv_pool_compute_tree(pool, &params, pread_fd, &r, res, NULL, NULL);
	if (err)
		error_msg("cannot compute the digest of '%s': %s", path, strerror(-err));
	close(r.fd);
	return err;
}
