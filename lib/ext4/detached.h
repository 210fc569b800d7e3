/* SPDX-License-Identifier: MIT */
/* What enable needs of a file detached and hashed ahead (lib/ext4/detached.c). */
#ifndef MBV_EXT4_DETACHED_H
#define MBV_EXT4_DETACHED_H

#include "file.h"

/*
 * The checks every entry point taking enable params makes first: version,
 * reserved fields, then mbv_tree_spec_check() of @p->spec into *@resolved.
 */
int mbv_e4_enable_params_check(const struct mbv_ext4_enable_params *p,
			       struct mbv_tree_spec *resolved,
			       mbv_error_fn error, void *error_ctx);

/*
 * Does @d hold the tree enable would build for @f with @spec (resolved)?
 * The file, the parameters, the size and the data blocks' extents are
 * compared.  If so, the tree (root level first; NULL when it has no
 * blocks), its size and the result.
 */
bool mbv_e4_prehashed_tree(const struct mbv_ext4_detached *d, const struct ext4_file *f,
			   const struct mbv_tree_spec *spec,
			   const uint8_t **tree, uint64_t *tree_size, struct mbv_tree_result *res);

#endif
