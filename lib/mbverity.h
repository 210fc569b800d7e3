/* SPDX-License-Identifier: MIT */
/*
 * mbverity.h - build, sign and verify fs-verity Merkle trees, and put
 * fs-verity on files inside ext4 images offline.  The only public header.
 *
 * Conventions: functions return 0 or a negative errno; every exported
 * symbol starts with mbv_; no process-wide state besides the CPU-feature
 * cache, so independent builders may run in different threads.
 */
#ifndef MBVERITY_H
#define MBVERITY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBV_HASH_ALG_SHA256	1
#define MBV_HASH_ALG_SHA512	2

#define MBV_MAX_DIGEST_SIZE	64
#define MBV_MAX_SALT_SIZE	32
#define MBV_DESCRIPTOR_SIZE	256
#define MBV_MAX_SIGNATURE_SIZE	16128
#define MBV_MIN_BLOCK_SIZE_LOG2	6	/* 2 x SHA-256 digest; SHA-512 needs 7 */
#define MBV_MAX_BLOCK_SIZE_LOG2	30

/* Behave as if the per-builder digest array could not be allocated. */
#define MBV_TREE_FLAG_STACK_DIGESTS	(1u << 0)

/**
 * struct mbv_tree_params - what to build a Merkle tree for
 * @version: must be 1
 * @hash_algorithm: MBV_HASH_ALG_*, or 0 for SHA-256
 * @block_size: Merkle tree block size (a power of two, at least twice the
 *	digest size), or 0 for 4096
 * @salt_size: bytes of @salt, at most MBV_MAX_SALT_SIZE
 * @salt: the salt, or NULL when @salt_size is 0
 * @file_size: the exact number of data bytes that will be fed
 * @flags: MBV_TREE_FLAG_*
 * @tree_block: optional; called with each finished tree block and its byte
 *	offset in the root-first tree layout (FS_IOC_READ_VERITY_METADATA order).
 *	Blocks of a level arrive in order, but levels interleave.  A non-zero
 *	return stops the build and is returned.
 * @ctx: passed to @tree_block
 * @reserved: must be zero
 */
struct mbv_tree_params {
	uint32_t version;
	uint32_t hash_algorithm;
	uint32_t block_size;
	uint32_t salt_size;
	const uint8_t *salt;
	uint64_t file_size;
	uint32_t flags;
	uint32_t reserved1;
	int (*tree_block)(void *ctx, const void *block, size_t size,
			  uint64_t offset);
	void *ctx;
	uint64_t reserved[8];
};

/**
 * struct mbv_tree_result - what a finished tree yields
 * @hash_algorithm: MBV_HASH_ALG_*
 * @digest_size: bytes of @root_hash and @digest (32 or 64)
 * @tree_size: bytes of the whole tree (0 for files of at most one block)
 * @root_hash: the Merkle tree root hash (all zeros for an empty file)
 * @digest: the fs-verity file digest: hash of @descriptor
 * @descriptor: the fs-verity descriptor with sig_size 0
 */
struct mbv_tree_result {
	uint32_t hash_algorithm;
	uint32_t digest_size;
	uint64_t tree_size;
	uint8_t root_hash[MBV_MAX_DIGEST_SIZE];
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	uint8_t descriptor[MBV_DESCRIPTOR_SIZE];
};

struct mbv_tree_builder;

/**
 * mbv_tree_new() - start a streaming Merkle tree build
 * @params: the parameters; copied (the salt too), so they may go afterwards
 * @out: the new builder, freed with mbv_tree_free()
 *
 * Memory is fixed at creation: one batch of pending blocks per tree level
 * plus one data block; it does not grow with the data.
 *
 * Return: 0, -EINVAL for bad parameters, -ENOMEM.
 */
int mbv_tree_new(const struct mbv_tree_params *params,
		 struct mbv_tree_builder **out);

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
 * Reads in chunks of MBV_READ_CHUNK bytes.
 * Return: 0 or a negative errno (the read callback's, or the builder's).
 */
#define MBV_READ_CHUNK	(256 * 1024)
int mbv_compute_tree(const struct mbv_tree_params *params, mbv_read_fn read,
		     void *read_ctx, struct mbv_tree_result *res);

/**
 * mbv_pread_fn - read exactly @count bytes at byte @offset of the data
 *
 * May be called from several threads at once (for different ranges).
 * Return: 0, or a negative errno which stops the build.
 */
typedef int (*mbv_pread_fn)(void *ctx, void *buf, size_t count, uint64_t offset);

struct mbv_pool;

/**
 * mbv_pool_new() - start @threads worker threads for mbv_pool_compute_tree()
 * @threads: 0 = one per online CPU; 1 = no worker, work in the caller
 * Return: 0, -ENOMEM or -EAGAIN.  Free with mbv_pool_free().
 */
int mbv_pool_new(unsigned int threads, struct mbv_pool **out);
void mbv_pool_free(struct mbv_pool *pool);
/** mbv_pool_threads() - how many threads hash data for this pool */
unsigned int mbv_pool_threads(const struct mbv_pool *pool);

/**
 * mbv_pool_compute_tree() - build a whole tree, its data level split
 * across the pool's threads in ranges, the upper levels in the caller
 * @pool: from mbv_pool_new(), or NULL to work in the caller only
 *
 * Tree blocks reach params->tree_block from the calling thread, in the same
 * order whatever the thread count, so the output is the same.  Memory is
 * bounded by the thread count, not the data size.  One call at a time
 * per pool.
 *
 * Return: 0 or a negative errno (the read callback's, or the builder's).
 */
int mbv_pool_compute_tree(struct mbv_pool *pool,
			  const struct mbv_tree_params *params,
			  mbv_pread_fn pread, void *read_ctx,
			  struct mbv_tree_result *res);

/**
 * mbv_tree_size() - bytes of the tree for @file_size data
 * Return: 0 or -EINVAL for bad parameters; *@size set on success.
 */
int mbv_tree_size(uint32_t hash_algorithm, uint32_t block_size,
		  uint64_t file_size, uint64_t *size);

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

/* ---- signatures (fs-verity built-in signatures, PKCS#7 via OpenSSL) ---- */

/* A comfortable size for the errbuf of the functions below. */
#define MBV_SIG_ERRBUF_SIZE	512

/**
 * mbv_sign_digest() - sign a file digest as `fsverity sign` does
 * @hash_algorithm: MBV_HASH_ALG_* the digest was computed with
 * @digest: the fs-verity file digest (mbv_tree_result.digest)
 * @key_path: PEM private key (PKCS#8 or traditional); an encrypted key fails
 *	with -ENOKEY, there is never a passphrase prompt
 * @cert_path: PEM X.509 certificate of that key, or NULL to read it from
 *	@key_path
 * @sig: set to the DER PKCS#7 signature, malloc'ed; the caller frees it
 * @sig_size: set to the signature's size, at most MBV_MAX_SIGNATURE_SIZE
 * @errbuf: on failure, a one-line reason naming the file; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * Signs mbv_formatted_digest() into PKCS#7 signedData, DER, detached, without
 * authenticated attributes or certificates, the signer named by issuer and
 * serial, digest algorithm @hash_algorithm.  For RSA keys the result is
 * byte-identical to fsverity-utils'.  Clears the calling thread's OpenSSL
 * error queue; safe in concurrent threads.
 *
 * Return: 0; -ENOENT etc. for an unreadable file; -EBADMSG for malformed
 * PEM; -ENOKEY for an encrypted key; -EKEYREJECTED when the key does not
 * match the certificate; -EMSGSIZE when the signature would exceed
 * MBV_MAX_SIGNATURE_SIZE; -EINVAL, -ENOMEM.
 */
int mbv_sign_digest(uint32_t hash_algorithm, const uint8_t *digest,
		    const char *key_path, const char *cert_path,
		    uint8_t **sig, size_t *sig_size,
		    char *errbuf, size_t errbuf_size);

/**
 * mbv_verify_signature() - check a built-in signature as the kernel would
 * @hash_algorithm: MBV_HASH_ALG_* of the file
 * @digest: the fs-verity file digest
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @cert_path: PEM X.509 certificate, trusted as if it were in the kernel's
 *	.fs-verity keyring (no chain to a CA is built)
 * @errbuf: on failure, a one-line reason; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * The content is the detached mbv_formatted_digest(); signers identified by
 * another certificate's issuer and serial are skipped, as the kernel skips
 * keys not in its keyring, but at least one signer must be @cert_path's and
 * every such signer must verify.  Stricter than the kernel in one way: the
 * signer's digest algorithm must be @hash_algorithm.  Clears the calling
 * thread's OpenSSL error queue.
 *
 * Return: 0; -EBADMSG for a malformed signature or certificate; -ENOKEY
 * when no signer is the certificate; -EKEYREJECTED for a signature that
 * does not verify or whose algorithms do not fit; -ENOPKG for a certificate
 * key that is neither RSA nor EC; -EMSGSIZE when @sig_size >
 * MBV_MAX_SIGNATURE_SIZE; -ENOENT etc. for an unreadable certificate;
 * -EINVAL, -ENOMEM.
 */
int mbv_verify_signature(uint32_t hash_algorithm, const uint8_t *digest,
			 const uint8_t *sig, size_t sig_size,
			 const char *cert_path, char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif
