/* SPDX-License-Identifier: MIT */
#ifndef MBV_FILE_MAP_H
#define MBV_FILE_MAP_H

#include <stdint.h>

#include "mbverity.h"

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

#endif
