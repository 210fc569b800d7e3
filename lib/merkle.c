/* SPDX-License-Identifier: MIT */
/* Streaming fs-verity Merkle tree builder: data in, tree blocks and descriptor out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbverity/tree.h"
#include "hash.h"
#include "merkle.h"
#include "endian_util.h"

/* Data units hashed per batch: the digest array holds this many digests. */
#define UNITS_PER_BATCH 64
/* The stack fallback when the digest array cannot be allocated. */
#define STACK_DIGEST_BYTES 512
/* Tree blocks batched per level before they are hashed together. */
#define MAX_LEVEL_BATCH 16
#define LEVEL_BATCH_BYTES (64 * 1024)

struct mbv_tree_builder {
	struct mbv_tree_hash th;
	uint32_t block_size;
	uint64_t file_size;
	uint32_t flags;
	int (*tree_block)(void *ctx, const void *block, size_t size, uint64_t offset);
	void *ctx;
	mbv_error_fn error;
	void *error_ctx;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint32_t salt_size;

	struct mbv_tree_geometry geo;
	uint8_t *level_buf[MBV_MAX_LEVELS];	/* level_batch[l] blocks each */
	size_t level_batch[MBV_MAX_LEVELS];
	size_t level_fill[MBV_MAX_LEVELS];	/* bytes pending in level_buf */
	uint64_t level_done[MBV_MAX_LEVELS];	/* blocks already hashed */
	uint64_t root_hashes;			/* hashes that reached the root */

	uint8_t *partial;			/* one data block being filled */
	size_t partial_len;
	uint64_t fed;

	uint8_t *digests;			/* UNITS_PER_BATCH digests, or NULL */
	uint8_t root[MBV_MAX_DIGEST_SIZE];
};

/* ---- hashing through one interface for both algorithms -------------------- */

int mbv_tree_hash_init(struct mbv_tree_hash *th, uint32_t alg,
		       const uint8_t *salt, size_t salt_size)
{
	uint8_t padded[MBV_SHA512_BLOCK_SIZE] = { 0 };

	if (salt_size > MBV_MAX_SALT_SIZE)
		return -EINVAL;
	memcpy(padded, salt, salt_size);
	th->alg = alg;
	switch (alg) {
	case MBV_HASH_ALG_SHA256:
		th->digest_size = MBV_SHA256_DIGEST_SIZE;
		mbv_sha256_init(&th->s256);
		if (salt_size) {
			/* The salt is zero-padded to one input block (it is <= 32 bytes). */
			mbv_sha256_blocks_generic(th->s256.h, padded, 1);
			th->s256.count = MBV_SHA256_BLOCK_SIZE;
		}
		return 0;
	case MBV_HASH_ALG_SHA512:
		th->digest_size = MBV_SHA512_DIGEST_SIZE;
		mbv_sha512_init(&th->s512);
		if (salt_size) {
			mbv_sha512_blocks_generic(th->s512.h, padded, 1);
			th->s512.count = MBV_SHA512_BLOCK_SIZE;
		}
		return 0;
	}
	return -EINVAL;
}

void mbv_tree_hash_many(const struct mbv_tree_hash *th,
			const uint8_t *const data[], size_t n, size_t len,
			uint8_t *out)
{
	if (th->alg == MBV_HASH_ALG_SHA256)
		mbv_sha256_finish_many(&th->s256, data, n, len, out);
	else
		mbv_sha512_finish_many(&th->s512, data, n, len, out);
}

void mbv_tree_hash_blocks(const struct mbv_tree_hash *th, const uint8_t *p,
			  size_t n, size_t len, uint8_t *out)
{
	const uint8_t *ptrs[UNITS_PER_BATCH];

	while (n) {
		size_t k = n < UNITS_PER_BATCH ? n : UNITS_PER_BATCH;
		size_t i;

		for (i = 0; i < k; i++)
			ptrs[i] = p + i * len;
		mbv_tree_hash_many(th, ptrs, k, len, out);
		p += k * len;
		out += k * th->digest_size;
		n -= k;
	}
}

/* ---- names and formats ---------------------------------------------------- */

const char *mbv_hash_alg_name(uint32_t alg)
{
	switch (alg) {
	case MBV_HASH_ALG_SHA256: return "sha256";
	case MBV_HASH_ALG_SHA512: return "sha512";
	}
	return NULL;
}

uint32_t mbv_hash_alg_by_name(const char *name)
{
	if (strcmp(name, "sha256") == 0)
		return MBV_HASH_ALG_SHA256;
	if (strcmp(name, "sha512") == 0)
		return MBV_HASH_ALG_SHA512;
	return 0;
}

unsigned int mbv_hash_digest_size(uint32_t alg)
{
	switch (alg) {
	case MBV_HASH_ALG_SHA256: return MBV_SHA256_DIGEST_SIZE;
	case MBV_HASH_ALG_SHA512: return MBV_SHA512_DIGEST_SIZE;
	}
	return 0;
}

int mbv_formatted_digest(uint32_t alg, const uint8_t *digest, uint8_t *out)
{
	unsigned int ds = mbv_hash_digest_size(alg);

	if (!ds)
		return -EINVAL;
	memcpy(out, "FSVerity", 8);
	put_le16(out + 8, (uint16_t)alg);
	put_le16(out + 10, (uint16_t)ds);
	memcpy(out + 12, digest, ds);
	return 12 + (int)ds;
}

void mbv_build_descriptor(uint8_t desc[MBV_DESCRIPTOR_SIZE], uint32_t alg,
			  uint32_t block_size, const uint8_t *salt,
			  uint32_t salt_size, uint64_t file_size,
			  const uint8_t *root_hash)
{
	memset(desc, 0, MBV_DESCRIPTOR_SIZE);
	desc[0] = 1;
	desc[1] = (uint8_t)alg;
	desc[2] = (uint8_t)__builtin_ctz(block_size);
	desc[3] = (uint8_t)salt_size;
	put_le64(desc + 8, file_size);
	memcpy(desc + 16, root_hash, mbv_hash_digest_size(alg));
	memcpy(desc + 80, salt, salt_size);
}

void mbv_descriptor_digest(uint32_t alg, const uint8_t *desc, size_t len,
			   uint8_t *out)
{
	if (alg == MBV_HASH_ALG_SHA256)
		mbv_sha256(desc, len, out);
	else
		mbv_sha512(desc, len, out);
}

/* ---- the one check of tree parameters ------------------------------------ */

int mbv_reserved_check(const uint64_t *words, size_t n, const char *what,
		       mbv_error_fn error, void *error_ctx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (words[i])
			return mbv_report(error, error_ctx, -EINVAL,
					       "%s[%zu] is reserved and must be zero", what, i);
	return 0;
}

int mbv_tree_spec_check(const struct mbv_tree_spec *spec, struct mbv_tree_spec *resolved,
			mbv_error_fn error, void *error_ctx)
{
	uint32_t alg = spec->hash_algorithm ? spec->hash_algorithm : MBV_HASH_ALG_SHA256;
	uint32_t bs = spec->block_size ? spec->block_size : 4096;
	unsigned int ds = mbv_hash_digest_size(alg);
	int err;

	if (spec->reserved0)
		return mbv_report(error, error_ctx, -EINVAL,
				       "spec.reserved0 is reserved and must be zero");
	err = mbv_reserved_check(spec->reserved, sizeof(spec->reserved) / sizeof(spec->reserved[0]),
				 "spec.reserved", error, error_ctx);
	if (err)
		return err;
	if (!ds)
		return mbv_report(error, error_ctx, -EINVAL, "unknown hash algorithm %u", alg);
	if (bs & (bs - 1))
		return mbv_report(error, error_ctx, -EINVAL,
				       "block size %u is not a power of two", bs);
	if (bs > (1u << MBV_MAX_BLOCK_SIZE_LOG2))
		return mbv_report(error, error_ctx, -EINVAL, "block size %u is over %u", bs,
				       1u << MBV_MAX_BLOCK_SIZE_LOG2);
	/* A tree block must hold two hashes, or the tree never narrows (fsverity-utils too). */
	if (bs < 2 * ds)
		return mbv_report(error, error_ctx, -EINVAL,
				       "block size %u is under twice the %s digest (%u)", bs,
				       mbv_hash_alg_name(alg), 2 * ds);
	if (spec->salt_size > MBV_MAX_SALT_SIZE)
		return mbv_report(error, error_ctx, -EINVAL, "salt of %u bytes is over %d",
				       spec->salt_size, MBV_MAX_SALT_SIZE);
	if (spec->salt_size && !spec->salt)
		return mbv_report(error, error_ctx, -EINVAL,
				       "salt size %u without a salt", spec->salt_size);
	if (resolved) {
		*resolved = *spec;
		resolved->hash_algorithm = alg;
		resolved->block_size = bs;
		if (!spec->salt_size)
			resolved->salt = NULL;
	}
	return 0;
}

int mbv_tree_params_check(const struct mbv_tree_params *params, struct mbv_tree_spec *resolved,
			  mbv_error_fn error, void *error_ctx)
{
	int err;

	if (params->version != MBV_TREE_PARAMS_VERSION)
		return mbv_report(error, error_ctx, -EINVAL,
				       "unsupported tree parameter version %u (this library takes %d)",
				       params->version, MBV_TREE_PARAMS_VERSION);
	if (params->reserved0)
		return mbv_report(error, error_ctx, -EINVAL,
				       "reserved0 is reserved and must be zero");
	err = mbv_reserved_check(params->reserved,
				 sizeof(params->reserved) / sizeof(params->reserved[0]),
				 "reserved", error, error_ctx);
	return err ? err : mbv_tree_spec_check(&params->spec, resolved, error, error_ctx);
}

/* ---- geometry -------------------------------------------------------------- */

int mbv_check_tree_params(uint32_t alg, uint32_t block_size, uint32_t salt_size)
{
	static const uint8_t salt[MBV_MAX_SALT_SIZE];
	struct mbv_tree_spec spec = {
		.hash_algorithm = alg, .block_size = block_size,
		.salt_size = salt_size, .salt = salt,
	};

	/* Resolved values only: 0 is not a default here. */
	if (!alg || !block_size)
		return -EINVAL;
	return mbv_tree_spec_check(&spec, NULL, NULL, NULL);
}

int mbv_tree_geometry(uint32_t alg, uint32_t block_size, uint64_t file_size,
		      struct mbv_tree_geometry *g)
{
	unsigned int ds = mbv_hash_digest_size(alg);
	uint64_t blocks, hashes_per_block;
	uint64_t offset = 0;
	int l, err;

	err = mbv_check_tree_params(alg, block_size, 0);
	if (err)
		return err;
	memset(g, 0, sizeof(*g));
	hashes_per_block = block_size / ds;
	blocks = file_size / block_size + (file_size % block_size != 0);
	g->data_blocks = blocks;
	/* Level 0 holds the data blocks' hashes; the top level is one block. */
	while (blocks > 1) {
		if (g->num_levels == MBV_MAX_LEVELS)
			return -EFBIG;
		blocks = blocks / hashes_per_block + (blocks % hashes_per_block != 0);
		g->level_blocks[g->num_levels++] = blocks;
	}
	/* Root level first on disk. */
	for (l = (int)g->num_levels - 1; l >= 0; l--) {
		g->level_offset[l] = offset;
		offset += g->level_blocks[l] * block_size;
	}
	g->tree_size = offset;
	return 0;
}

int mbv_tree_size(const struct mbv_tree_spec *spec, uint64_t file_size,
		  uint64_t *size, mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_spec r;
	struct mbv_tree_geometry g;
	int err = mbv_tree_spec_check(spec, &r, error, error_ctx);

	if (!err)
		err = mbv_tree_geometry(r.hash_algorithm, r.block_size, file_size, &g);
	if (err == -EFBIG)
		mbv_report(error, error_ctx, err, "a file of %llu bytes needs over %d tree levels",
				(unsigned long long)file_size, MBV_MAX_LEVELS);
	if (!err)
		*size = g.tree_size;
	return err;
}

/* ---- the builder ------------------------------------------------------------ */

static int append_hashes(struct mbv_tree_builder *b, unsigned int level,
			 const uint8_t *hashes, size_t n);

/* Hash and emit the @nblocks complete blocks pending at @level. */
static int flush_level(struct mbv_tree_builder *b, unsigned int level,
		       size_t nblocks)
{
	uint8_t out[MAX_LEVEL_BATCH * MBV_MAX_DIGEST_SIZE];
	size_t bs = b->block_size;
	size_t i;
	int err;

	if (b->tree_block) {
		uint64_t off = b->geo.level_offset[level] + b->level_done[level] * bs;

		for (i = 0; i < nblocks; i++) {
			err = b->tree_block(b->ctx, b->level_buf[level] + i * bs, bs,
					    off + i * bs);
			if (err)
				return err;
		}
	}
	mbv_tree_hash_blocks(&b->th, b->level_buf[level], nblocks, bs, out);
	b->level_done[level] += nblocks;
	b->level_fill[level] = 0;
	return append_hashes(b, level + 1, out, nblocks);
}

/* Add @n hashes of blocks one level down to @level (num_levels = the root). */
static int append_hashes(struct mbv_tree_builder *b, unsigned int level,
			 const uint8_t *hashes, size_t n)
{
	size_t ds = b->th.digest_size;

	if (level == b->geo.num_levels) {
		if (b->root_hashes + n > 1)
			return -EINVAL;
		if (n)
			memcpy(b->root, hashes, ds);
		b->root_hashes += n;
		return 0;
	}
	while (n) {
		size_t cap = b->level_batch[level] * b->block_size;
		size_t room = (cap - b->level_fill[level]) / ds;
		size_t k = n < room ? n : room;
		int err;

		memcpy(b->level_buf[level] + b->level_fill[level], hashes, k * ds);
		b->level_fill[level] += k * ds;
		hashes += k * ds;
		n -= k;
		if (b->level_fill[level] == cap) {
			err = flush_level(b, level, b->level_batch[level]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Hash @n whole data blocks at @p, a slice at a time, into level 0. */
static int hash_data_blocks(struct mbv_tree_builder *b, const uint8_t *p, size_t n)
{
	uint8_t stack_digests[STACK_DIGEST_BYTES];
	size_t ds = b->th.digest_size;
	uint8_t *digests = b->digests ? b->digests : stack_digests;
	size_t slice = b->digests ? UNITS_PER_BATCH : STACK_DIGEST_BYTES / ds;
	int err;

	while (n) {
		size_t k = n < slice ? n : slice;

		mbv_tree_hash_blocks(&b->th, p, k, b->block_size, digests);
		err = append_hashes(b, 0, digests, k);
		if (err)
			return err;
		p += k * b->block_size;
		n -= k;
	}
	return 0;
}

int mbv_tree_new(const struct mbv_tree_params *params,
		 struct mbv_tree_builder **out,
		 mbv_error_fn error, void *error_ctx)
{
	return mbv_tree_new_flags(params, 0, out, error, error_ctx);
}

int mbv_tree_new_flags(const struct mbv_tree_params *params, uint32_t flags,
		       struct mbv_tree_builder **out,
		       mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_builder *b;
	struct mbv_tree_spec spec;
	uint32_t alg, bs;
	size_t i;
	int err;

	*out = NULL;
	err = mbv_tree_params_check(params, &spec, error, error_ctx);
	if (err)
		return err;
	if (flags & ~MBV_TREE_FLAG_STACK_DIGESTS)
		return -EINVAL;
	alg = spec.hash_algorithm;
	bs = spec.block_size;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->block_size = bs;
	b->file_size = params->file_size;
	b->flags = flags;
	b->tree_block = params->tree_block;
	b->ctx = params->ctx;
	b->error = error;
	b->error_ctx = error_ctx;
	b->salt_size = spec.salt_size;
	if (spec.salt_size)
		memcpy(b->salt, spec.salt, spec.salt_size);
	err = mbv_tree_hash_init(&b->th, alg, b->salt, b->salt_size);
	if (!err)
		err = mbv_tree_geometry(alg, bs, params->file_size, &b->geo);
	if (err == -EFBIG)
		mbv_report(error, error_ctx, err, "a file of %llu bytes needs over %d tree levels",
				(unsigned long long)params->file_size, MBV_MAX_LEVELS);
	if (err)
		goto fail;

	err = -ENOMEM;
	for (i = 0; i < b->geo.num_levels; i++) {
		size_t batch = LEVEL_BATCH_BYTES / bs;

		if (batch < 1)
			batch = 1;
		if (batch > MAX_LEVEL_BATCH)
			batch = MAX_LEVEL_BATCH;
		if (batch > b->geo.level_blocks[i])
			batch = (size_t)b->geo.level_blocks[i];
		b->level_batch[i] = batch;
		b->level_buf[i] = malloc(batch * bs);
		if (!b->level_buf[i])
			goto fail;
	}
	/* Only a file with a partial last block needs a whole staging block. */
	b->partial = calloc(1, bs);
	if (!b->partial)
		goto fail;
	if (!(b->flags & MBV_TREE_FLAG_STACK_DIGESTS))
		b->digests = calloc(UNITS_PER_BATCH, b->th.digest_size);
	/* b->digests == NULL is not an error: hash_data_blocks() uses the stack. */
	*out = b;
	return 0;
fail:
	mbv_tree_free(b);
	return err;
}

void mbv_tree_free(struct mbv_tree_builder *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < MBV_MAX_LEVELS; i++)
		free(b->level_buf[i]);
	free(b->partial);
	free(b->digests);
	free(b);
}

int mbv_tree_update(struct mbv_tree_builder *b, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t bs = b->block_size;
	int err;

	if (len > b->file_size - b->fed)
		return mbv_report(b->error, b->error_ctx, -EINVAL,
				       "%zu bytes fed past the file size %llu", len,
				       (unsigned long long)b->file_size);
	b->fed += len;
	if (b->partial_len) {
		size_t k = bs - b->partial_len;

		if (k > len)
			k = len;
		memcpy(b->partial + b->partial_len, p, k);
		b->partial_len += k;
		p += k;
		len -= k;
		if (b->partial_len < bs)
			return 0;
		err = hash_data_blocks(b, b->partial, 1);
		b->partial_len = 0;
		if (err)
			return err;
	}
	if (len >= bs) {
		err = hash_data_blocks(b, p, len / bs);
		if (err)
			return err;
		p += len / bs * bs;
		len %= bs;
	}
	memcpy(b->partial, p, len);
	b->partial_len = len;
	return 0;
}

const struct mbv_tree_hash *mbv_tree_builder_hash(const struct mbv_tree_builder *b)
{
	return &b->th;
}

int mbv_tree_add_data_hashes(struct mbv_tree_builder *b, const uint8_t *hashes,
			     size_t n, uint64_t bytes)
{
	if (b->partial_len || bytes > b->file_size - b->fed ||
	    n != bytes / b->block_size + (bytes % b->block_size != 0))
		return -EINVAL;
	b->fed += bytes;
	return append_hashes(b, 0, hashes, n);
}

int mbv_tree_finish(struct mbv_tree_builder *b, struct mbv_tree_result *res)
{
	size_t bs = b->block_size;
	size_t ds = b->th.digest_size;
	unsigned int l;
	int err;

	if (b->fed != b->file_size)
		return mbv_report(b->error, b->error_ctx, -EINVAL,
				       "finished after %llu bytes of a %llu-byte file",
				       (unsigned long long)b->fed, (unsigned long long)b->file_size);
	if (b->partial_len) {
		memset(b->partial + b->partial_len, 0, bs - b->partial_len);
		err = hash_data_blocks(b, b->partial, 1);
		b->partial_len = 0;
		if (err)
			return err;
	}
	/* Zero-pad and flush what is left, bottom up. */
	for (l = 0; l < b->geo.num_levels; l++) {
		size_t fill = b->level_fill[l];

		if (fill) {
			size_t nblocks = (fill + bs - 1) / bs;

			memset(b->level_buf[l] + fill, 0, nblocks * bs - fill);
			err = flush_level(b, l, nblocks);
			if (err)
				return err;
		}
		if (b->level_done[l] != b->geo.level_blocks[l])
			return -EINVAL;
	}
	if (b->root_hashes != (b->file_size ? 1 : 0))
		return -EINVAL;

	memset(res, 0, sizeof(*res));
	res->hash_algorithm = b->th.alg;
	res->digest_size = (uint32_t)ds;
	res->tree_size = b->geo.tree_size;
	if (b->file_size)
		memcpy(res->root_hash, b->root, ds);
	mbv_build_descriptor(res->descriptor, b->th.alg, b->block_size, b->salt,
			     b->salt_size, b->file_size, res->root_hash);
	mbv_descriptor_digest(b->th.alg, res->descriptor, MBV_DESCRIPTOR_SIZE,
			      res->digest);
	return 0;
}

int mbv_compute_tree(const struct mbv_tree_params *params, mbv_read_fn read,
		     void *read_ctx, struct mbv_tree_result *res,
		     mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_builder *b;
	uint64_t left = params->file_size;
	uint8_t *buf = NULL;
	int err;

	err = mbv_tree_new(params, &b, error, error_ctx);
	if (err)
		return err;
	if (left) {
		buf = aligned_alloc(4096, MBV_READ_CHUNK);
		if (!buf) {
			err = -ENOMEM;
			goto out;
		}
	}
	while (left) {
		size_t n = left < MBV_READ_CHUNK ? (size_t)left : MBV_READ_CHUNK;

		err = read(read_ctx, buf, n);
		if (!err)
			err = mbv_tree_update(b, buf, n);
		if (err)
			goto out;
		left -= n;
	}
	err = mbv_tree_finish(b, res);
out:
	free(buf);
	mbv_tree_free(b);
	return err;
}
