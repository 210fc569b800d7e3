/* SPDX-License-Identifier: MIT */
/* Internal tree pieces shared by the builder, the verifier and the ext4 code. */
#ifndef MBV_MERKLE_H
#define MBV_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "report.h"
#include "mbverity/tree.h"

/* White-box tests only: behave as if the per-builder digest array could not be allocated. */
#define MBV_TREE_FLAG_STACK_DIGESTS	(1u << 0)

/* mbv_tree_new() with MBV_TREE_FLAG_* (white-box tests); the public one passes 0. */
int mbv_tree_new_flags(const struct mbv_tree_params *params, uint32_t flags,
		       struct mbv_tree_builder **out,
		       mbv_error_fn error, void *error_ctx);

/* -EINVAL, told to @error naming "@what[i]", unless all @n words are zero. */
int mbv_reserved_check(const uint64_t *words, size_t n, const char *what,
		       mbv_error_fn error, void *error_ctx);
/* Version, reserved fields, then mbv_tree_spec_check() of @params->spec. */
int mbv_tree_params_check(const struct mbv_tree_params *params, struct mbv_tree_spec *resolved,
			  mbv_error_fn error, void *error_ctx);

/* 2^64 bytes in 64-byte blocks with 2 hashes each cannot need more. */
#define MBV_MAX_LEVELS 64

/* A salted hash: the salt is absorbed once, every block continues from it. */
struct mbv_tree_hash {
	uint32_t alg;
	uint32_t digest_size;
	union {
		struct mbv_sha256_state s256;
		struct mbv_sha512_state s512;
	};
};

int mbv_tree_hash_init(struct mbv_tree_hash *th, uint32_t alg,
		       const uint8_t *salt, size_t salt_size);
/* Hash @n blocks of @len bytes each with the salted state. */
void mbv_tree_hash_many(const struct mbv_tree_hash *th,
			const uint8_t *const data[], size_t n, size_t len,
			uint8_t *out);

/* Hash @n blocks of @len bytes laid out back to back at @p. */
void mbv_tree_hash_blocks(const struct mbv_tree_hash *th, const uint8_t *p,
			  size_t n, size_t len, uint8_t *out);

/* The builder's salted hash, for threads hashing data blocks on its behalf. */
const struct mbv_tree_hash *mbv_tree_builder_hash(const struct mbv_tree_builder *b);
/*
 * Append the hashes of @n data blocks covering the next @bytes of data
 * (only a final block may be partial, hashed zero-padded).  Not to be
 * mixed with a pending partial block from mbv_tree_update().
 */
int mbv_tree_add_data_hashes(struct mbv_tree_builder *b, const uint8_t *hashes,
			     size_t n, uint64_t bytes);

/*
 * Where each level lives.  Level 0 holds the data blocks' hashes, level
 * num_levels - 1 is the single top block; offsets are root-first.
 */
struct mbv_tree_geometry {
	uint64_t data_blocks;
	unsigned int num_levels;
	uint64_t level_blocks[MBV_MAX_LEVELS];
	uint64_t level_offset[MBV_MAX_LEVELS];
	uint64_t tree_size;
};

/* mbv_tree_spec_check() of resolved values (no defaults), silent. */
int mbv_check_tree_params(uint32_t alg, uint32_t block_size, uint32_t salt_size);
int mbv_tree_geometry(uint32_t alg, uint32_t block_size, uint64_t file_size,
		      struct mbv_tree_geometry *g);

void mbv_build_descriptor(uint8_t desc[MBV_DESCRIPTOR_SIZE], uint32_t alg,
			  uint32_t block_size, const uint8_t *salt,
			  uint32_t salt_size, uint64_t file_size,
			  const uint8_t *root_hash);
/* Plain (unsalted) hash of a descriptor: the file digest. */
void mbv_descriptor_digest(uint32_t alg, const uint8_t *desc, size_t len,
			   uint8_t *out);

#endif
