/* SPDX-License-Identifier: MIT */
/* The tree of a regular file on the host (file_tree.c). */
#ifndef MBV_PROGRAMS_FILE_TREE_H
#define MBV_PROGRAMS_FILE_TREE_H

#include <stdint.h>

#include "mbverity/tree.h"
#include "options.h"

/* Smaller files are read: a pread costs less than mapping and unmapping. */
#define MAP_MIN_BYTES ((uint64_t)1 << 20)

/*
 * map_compute_tree() - the tree of the regular file open as @fd
 * (params->file_size bytes), hashed from a mapping in one thread.
 * Return: 0; -ENOTSUP when the file is small or cannot be mapped (nothing
 * was hashed: read it instead); -EIO if it shrank while hashed; -errno.
 */
int map_compute_tree(int fd, const struct mbv_tree_params *params,
		     struct mbv_tree_result *res);

/*
 * Build the tree of the regular file @path, printing an error naming it on
 * failure.  Return: 0 or -errno.
 */
int file_tree(const char *path, const struct tree_options *t, struct mbv_pool *pool,
	      int (*tree_block)(void *, const void *, size_t, uint64_t),
	      void *ctx, struct mbv_tree_result *res);

#endif
