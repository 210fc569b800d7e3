/* SPDX-License-Identifier: MIT */
/* What enable needs of a file detached and hashed ahead (lib/ext4/detached.c). */
#ifndef MBV_EXT4_DETACHED_H
#define MBV_EXT4_DETACHED_H

#include "file.h"

/*
 * Does @d hold the tree enable would build for @f with these parameters?
 * The file, the parameters, the size and the data blocks' extents are
 * compared.  If so, the tree (root level first; NULL when it has no
 * blocks), its size and the result.
 */
bool mbv_e4_prehashed_tree(const struct mbv_ext4_detached *d, const struct ext4_file *f,
			   uint32_t alg, uint32_t block_size,
			   const struct mbv_ext4_enable_params *params,
			   const uint8_t **tree, uint64_t *tree_size, struct mbv_tree_result *res);

#endif
