/* SPDX-License-Identifier: MIT */
/*
 * mbverity/tree.h - fs-verity Merkle trees and file digests, streamed or
 * split across a pool of threads.  Needs no other library's headers.
 */
#ifndef MBVERITY_TREE_H
#define MBVERITY_TREE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct mbv_tree_spec - the parameters that shape a Merkle tree, the same
 * wherever a tree is asked for (embedded as @spec in mbv_tree_params and
 * mbv_ext4_enable_params)
 * @hash_algorithm: MBV_HASH_ALG_*, or 0 for SHA-256
 * @block_size: Merkle tree block size (a power of two, at least twice the
 *	digest size, at most 2^MBV_MAX_BLOCK_SIZE_LOG2), or 0 for 4096
 * @salt_size: bytes of @salt, at most MBV_MAX_SALT_SIZE
 * @reserved0: must be zero
 * @salt: the salt, or NULL when @salt_size is 0
 * @reserved: must be zero (room to grow)
 *
 * mbv_tree_spec_check() applies the defaults and says what is wrong; every
 * function taking a spec calls it.
 */
struct mbv_tree_spec {
	uint32_t hash_algorithm;
	uint32_t block_size;
	uint32_t salt_size;
	uint32_t reserved0;
	const uint8_t *salt;
	uint64_t reserved[2];
};

/**
 * mbv_tree_spec_check() - apply the defaults to @spec and check every field
 * @spec: the spec to check
 * @resolved: optional; on success a copy of @spec with the defaults applied
 *	(its @salt points at @spec's salt, or is NULL)
 * @error: optional; on failure gets one line naming the field and why,
 *	e.g. "block size 96 is not a power of two"
 * @error_ctx: passed to @error
 *
 * The one place the defaults (0: SHA-256, 0: 4096) and the format's rules
 * (fsverity-utils' too: block size >= twice the digest) live.  The kernel
 * reads only block sizes from 1024 to min(PAGE_SIZE, filesystem block size):
 * mbv_ext4_enable() checks that as well.
 *
 * Return: 0, or -EINVAL.
 */
int mbv_tree_spec_check(const struct mbv_tree_spec *spec, struct mbv_tree_spec *resolved,
			mbv_error_fn error, void *error_ctx);

/* struct mbv_tree_params' version. */
#define MBV_TREE_PARAMS_VERSION	1

/**
 * struct mbv_tree_params - what to build a Merkle tree for
 * @version: MBV_TREE_PARAMS_VERSION
 * @reserved0: must be zero (was the test-only flags word)
 * @spec: hash algorithm, block size and salt
 * @file_size: the exact number of data bytes that will be fed
 * @tree_block: optional; called with each finished tree block and its byte
 *	offset in the root-first tree layout (FS_IOC_READ_VERITY_METADATA order).
 *	Blocks of a level arrive in order, but levels interleave.  A non-zero
 *	return stops the build and is returned.
 * @ctx: passed to @tree_block
 * @reserved: must be zero
 */
struct mbv_tree_params {
	uint32_t version;
	uint32_t reserved0;
	struct mbv_tree_spec spec;
	uint64_t file_size;
	int (*tree_block)(void *ctx, const void *block, size_t size,
			  uint64_t offset);
	void *ctx;
	uint64_t reserved[6];
};

/**
 * struct mbv_tree_result - what a finished tree yields
 * @hash_algorithm: MBV_HASH_ALG_*
 * @digest_size: bytes of @root_hash and @digest (32 or 64)
 * @tree_size: bytes of the whole tree (0 for files of at most one block)
 * @root_hash: the Merkle tree root hash (all zeros for an empty file)
 * @digest: the fs-verity file digest: hash of @descriptor
 * @descriptor: the fs-verity descriptor with sig_size 0
 * @reserved: zeroed (room to grow)
 */
struct mbv_tree_result {
	uint32_t hash_algorithm;
	uint32_t digest_size;
	uint64_t tree_size;
	uint8_t root_hash[MBV_MAX_DIGEST_SIZE];
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	uint8_t descriptor[MBV_DESCRIPTOR_SIZE];
	uint64_t reserved[8];
};

struct mbv_tree_builder;

/**
 * mbv_tree_new() - start a streaming Merkle tree build
 * @params: the parameters; copied (the salt too), so they may go afterwards
 * @out: the new builder, freed with mbv_tree_free()
 * @error: optional; gets one line for bad parameters (naming the field),
 *	and later for what mbv_tree_update() and mbv_tree_finish() refuse
 * @error_ctx: passed to @error
 *
 * Memory is fixed at creation: one batch of pending blocks per tree level
 * plus one data block; it does not grow with the data.
 *
 * Return: 0, -EINVAL for bad parameters (a version other than
 * MBV_TREE_PARAMS_VERSION, a reserved field not zero, what
 * mbv_tree_spec_check() refuses), -ENOMEM.
 */
int mbv_tree_new(const struct mbv_tree_params *params,
		 struct mbv_tree_builder **out,
		 mbv_error_fn error, void *error_ctx);

/**
 * mbv_tree_update() - feed the next @len bytes of data
 *
 * Buffers of any size work; large ones (e.g. 256 KiB) are cut into data
 * blocks in place and hashed many at a time by the widest kernel.
 *
 * Return: 0, -EINVAL when more than file_size bytes are fed, or what
 * the tree_block callback returned.
 */
int mbv_tree_update(struct mbv_tree_builder *b, const void *data, size_t len);

/**
 * mbv_tree_finish() - finish the tree once exactly file_size bytes were fed
 * Return: 0, -EINVAL when fewer bytes were fed, or a callback's error.
 */
int mbv_tree_finish(struct mbv_tree_builder *b, struct mbv_tree_result *res);

void mbv_tree_free(struct mbv_tree_builder *b);

/**
 * mbv_read_fn - read exactly @count bytes of data into @buf
 * Return: 0, or a negative errno (e.g. -EIO) which stops the build.
 */
typedef int (*mbv_read_fn)(void *ctx, void *buf, size_t count);

/**
 * mbv_compute_tree() - build a whole tree, pulling data through @read
 *
 * Reads in chunks of MBV_READ_CHUNK bytes.  @error as mbv_tree_new().
 * Return: 0 or a negative errno (the read callback's, or the builder's).
 */
#define MBV_READ_CHUNK	(256 * 1024)
int mbv_compute_tree(const struct mbv_tree_params *params, mbv_read_fn read,
		     void *read_ctx, struct mbv_tree_result *res,
		     mbv_error_fn error, void *error_ctx);

/**
 * mbv_pread_fn - read exactly @count bytes at byte @offset of the data
 *
 * May be called from several threads at once (for different ranges).
 * Return: 0, or a negative errno which stops the build.
 */
typedef int (*mbv_pread_fn)(void *ctx, void *buf, size_t count, uint64_t offset);

struct mbv_pool;

/**
 * mbv_pool_new() - @threads hashing threads for mbv_pool_compute_tree():
 * @threads - 1 workers, and the caller, which hashes too rather than wait
 * @threads: 0 = one per online CPU; 1 = no worker, work in the caller
 * Return: 0, -ENOMEM or -EAGAIN.  Free with mbv_pool_free().
 */
int mbv_pool_new(unsigned int threads, struct mbv_pool **out);
void mbv_pool_free(struct mbv_pool *pool);
/** mbv_pool_threads() - how many threads hash data for this pool */
unsigned int mbv_pool_threads(const struct mbv_pool *pool);

/** mbv_progress_fn - @bytes more of a file's data are hashed */
typedef void (*mbv_progress_fn)(void *ctx, uint64_t bytes);
/**
 * mbv_pool_set_progress() - call @fn from the thread calling
 * mbv_pool_compute_tree() (or anything hashing through @pool, such as
 * mbv_ext4_enable()) as the data is hashed, in pieces of at most 1 MiB,
 * for a progress display; NULL stops it
 */
void mbv_pool_set_progress(struct mbv_pool *pool, mbv_progress_fn fn, void *ctx);

/**
 * mbv_pool_compute_tree() - build a whole tree, its data level split
 * across the pool's threads in ranges, the upper levels in the caller
 * @pool: from mbv_pool_new(), or NULL to work in the caller only
 *
 * Tree blocks reach params->tree_block from the calling thread, in the same
 * order whatever the thread count, so the output is the same.  Memory is
 * bounded by the thread count, not the data size.  One call at a time
 * per pool.  @error as mbv_tree_new(), called from the calling thread.
 *
 * Return: 0 or a negative errno (the read callback's, or the builder's).
 */
int mbv_pool_compute_tree(struct mbv_pool *pool,
			  const struct mbv_tree_params *params,
			  mbv_pread_fn pread, void *read_ctx,
			  struct mbv_tree_result *res,
			  mbv_error_fn error, void *error_ctx);

/*
 * An ordered queue on a pool's threads: work done ahead, taken back in order.
 * The calling thread queues items (it alone may, say, call libext2fs), the
 * pool's workers do each item's work (hash a small file whole, sign it,
 * verify it) while no mbv_pool_compute_tree() range is waiting, and the
 * caller takes the items back in the order it queued them, so what it
 * writes does not depend on the thread count.  The caller works too
 * rather than wait, so a pool of one thread runs every item itself.  One
 * queue per pool at a time; every call from the thread that made it; it
 * may call mbv_pool_compute_tree() on the same pool between its calls.
 */
struct mbv_queue;

/** mbv_work_fn - does @item's work, in any thread; must not use the pool */
typedef void (*mbv_work_fn)(void *ctx, void *item);

/**
 * mbv_queue_new() - a queue of at most @depth items of @item_size bytes in
 * flight, worked on by @work with @ctx
 * Return: 0; -EINVAL (no pool, a zero size, or the pool has a queue); -ENOMEM.
 */
int mbv_queue_new(struct mbv_pool *pool, size_t depth, size_t item_size,
		  mbv_work_fn work, void *ctx, struct mbv_queue **out);
/** mbv_queue_slot() - a zeroed slot for the next item, or NULL when full (take the head first) */
void *mbv_queue_slot(struct mbv_queue *q);
/** mbv_queue_push() - queue the slot mbv_queue_slot() gave; @needs_work 0: it is done already */
void mbv_queue_push(struct mbv_queue *q, int needs_work);
/** mbv_queue_head() - the oldest item once its work is done, or NULL when none is queued */
void *mbv_queue_head(struct mbv_queue *q);
/** mbv_queue_pop() - forget the head item (its contents are the caller's to free first) */
void mbv_queue_pop(struct mbv_queue *q);
/**
 * mbv_queue_free() - wait for items in work, pass every item not popped to
 * @drop (if not NULL), free; before mbv_pool_free()
 */
void mbv_queue_free(struct mbv_queue *q, void (*drop)(void *item));

/**
 * mbv_tree_size() - bytes of the tree @spec gives for @file_size data
 * Return: 0 or -EINVAL for a bad @spec (told to @error as
 * mbv_tree_spec_check() tells it); *@size set on success.
 */
int mbv_tree_size(const struct mbv_tree_spec *spec, uint64_t file_size,
		  uint64_t *size, mbv_error_fn error, void *error_ctx);

/** mbv_hash_alg_name() - "sha256", "sha512", or NULL */
const char *mbv_hash_alg_name(uint32_t hash_algorithm);
/** mbv_hash_alg_by_name() - MBV_HASH_ALG_* for @name, or 0 */
uint32_t mbv_hash_alg_by_name(const char *name);
/** mbv_hash_digest_size() - 32, 64, or 0 for an unknown algorithm */
unsigned int mbv_hash_digest_size(uint32_t hash_algorithm);

/**
 * mbv_formatted_digest() - the bytes that fs-verity built-in signatures sign:
 * "FSVerity", le16 algorithm, le16 digest size, digest.
 * @out: at least 12 + MBV_MAX_DIGEST_SIZE bytes
 * Return: the number of bytes written (44 or 76), or -EINVAL.
 */
int mbv_formatted_digest(uint32_t hash_algorithm, const uint8_t *digest,
			 uint8_t *out);

/** mbv_sha256_impl_name() - the SHA-256 implementation in use, e.g. "x16_avx512" */
const char *mbv_sha256_impl_name(void);
/** mbv_sha512_impl_name() - the SHA-512 implementation in use, e.g. "x8_avx512" */
const char *mbv_sha512_impl_name(void);

#ifdef __cplusplus
}
#endif

#endif
