/* SPDX-License-Identifier: MIT */
/* Output files written safely (temporaries renamed, or spooled for devices and FIFOs), and small input files read whole. */
#ifndef MBV_PROGRAMS_OUT_FILE_H
#define MBV_PROGRAMS_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An output file.  A regular file (or a new one), through any symlinks, is
 * written under a temporary name beside it and renamed over it on success,
 * keeping the old file's mode (a new one gets 0666 less the umask).  A
 * device, FIFO, socket, "-" or /dev/stdout (/dev/fd/N) is written in place:
 * spooled to a temporary file in $TMPDIR, copied out on success.  Writes
 * go to fd either way.
 */
struct out_file {
	char *path;		/* as given, for messages */
	char *final_path;	/* the regular file renamed over, or NULL */
	char *tmp_path;		/* where the bytes are until committed */
	int fd;			/* open on tmp_path; -1 when direct */
	int dest_fd;		/* written in place: the device, FIFO or descriptor; or -1 */
	bool direct;		/* a block device written at tmp_path (= path) itself */
	unsigned int mode;	/* a renamed file's permissions */
	int cleanup_slot;
};
/* out_file_open_flags(): a block device is written directly (mkfs's IMAGE; no fd). */
#define OUT_FILE_DIRECT_BLOCK_DEVICE 1u
int out_file_open(struct out_file *o, const char *path);
int out_file_open_flags(struct out_file *o, const char *path, unsigned int flags);
/* Give a mkstemp() file the mode a plain creat() would (0666 less the umask). */
int set_default_mode(int fd);
int out_file_write(struct out_file *o, const void *buf, size_t n);
/* Commit (rename into place, or copy out) if @ok, otherwise remove; returns 0 or -errno. */
int out_file_close(struct out_file *o, bool ok);

/* Tree-block callback writing into an out_file at the block's offset. */
int tree_block_to_file(void *ctx, const void *block, size_t size, uint64_t offset);

/* Read a whole (small) file; *buf is malloc'ed. */
int read_whole_file(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
