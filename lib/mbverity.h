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
/** mbv_sha512_impl_name() - the SHA-512 implementation in use, e.g. "x8_avx512" */
const char *mbv_sha512_impl_name(void);

/* ---- signatures (fs-verity built-in signatures, PKCS#7 via OpenSSL) ---- */

/* A comfortable size for the errbuf of the functions below. */
#define MBV_SIG_ERRBUF_SIZE	512

/**
 * struct mbv_signer - a private key and its certificate, loaded once
 *
 * Opaque.  Made by mbv_signer_new(), used by mbv_signer_sign(), freed by
 * mbv_signer_free().  Never modified after mbv_signer_new() returns, so one
 * signer may sign in several threads at once.
 */
struct mbv_signer;

/**
 * mbv_signer_new() - load a signing key and its certificate once
 * @key_path: PEM private key (PKCS#8 or traditional); an encrypted key fails
 *	with -ENOKEY, there is never a passphrase prompt (mbv_signer_new_spec()
 *	takes passphrases, URIs and tokens)
 * @cert_path: PEM X.509 certificate of that key, or NULL to read it from
 *	@key_path
 * @out: set to the new signer, or to NULL on failure; the caller frees it
 *	with mbv_signer_free()
 * @errbuf: on failure, a one-line reason naming the file; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * Reads and parses both files and checks that the key is the certificate's,
 * so that signing with the result reads no file.  Clears the calling
 * thread's OpenSSL error queue; safe in concurrent threads.
 *
 * Return: 0; -ENOENT etc. for an unreadable file; -EBADMSG for malformed
 * PEM; -ENOKEY for an encrypted key; -EKEYREJECTED when the key does not
 * match the certificate; -EINVAL, -ENOMEM.
 */
int mbv_signer_new(const char *key_path, const char *cert_path,
		   struct mbv_signer **out, char *errbuf, size_t errbuf_size);

/* struct mbv_key_spec's version; reserved fields must be zero. */
#define MBV_KEY_SPEC_VERSION	1

/**
 * struct mbv_key_spec - where a signing key is and how to unlock it
 * @version: MBV_KEY_SPEC_VERSION
 * @reserved0: must be 0
 * @key: a PEM or DER private key file (PKCS#8, encrypted or not, or
 *	traditional), or, when no file has that name and it starts with a
 *	URI scheme (`pkcs11:`, `file:`, any scheme a loaded OpenSSL provider
 *	serves), an OpenSSL store URI read through OSSL_STORE; a `pkcs11:` URI
 *	that no provider serves goes to OpenSSL's `pkcs11` ENGINE (libp11)
 *	where ENGINE support is built.  NULL with @pkcs11_engine.
 * @pkcs11_engine: fsverity 1.5's --pkcs11-engine: the OpenSSL ENGINE .so
 *	(libp11's pkcs11.so); with @pkcs11_module, and @key NULL.  Only where
 *	OpenSSL has ENGINE support (mbv_key_engine_supported()); ENGINE goes
 *	away with OpenSSL 4, store URIs do not
 * @pkcs11_module: the PKCS#11 module .so (the token's driver) for
 *	@pkcs11_engine, or for the ENGINE a `pkcs11:` @key goes to (NULL: the
 *	engine's default, p11-kit's proxy on Debian)
 * @pkcs11_keyid: the key on the token for @pkcs11_engine (a PKCS#11 URI,
 *	or what the engine accepts); NULL: the engine's default key
 * @passin: the passphrase of an encrypted key or the PIN of a token, in
 *	OpenSSL's forms: `pass:TEXT`, `env:VAR`, `file:PATH` (first line),
 *	`fd:N` (first line), `stdin`; NULL: ask @ask_passphrase
 * @ask_passphrase: called when a passphrase or PIN is needed and @passin is
 *	NULL (a terminal prompt, say): write at most @size bytes to @buf and
 *	return their count, or -1 for none; @what names the key.  NULL: never
 *	asked, an encrypted key fails with -ENOKEY
 * @ask_arg: passed to @ask_passphrase
 * @reserved: must be 0
 */
struct mbv_key_spec {
	uint32_t version;
	uint32_t reserved0;
	const char *key;
	const char *pkcs11_engine;
	const char *pkcs11_module;
	const char *pkcs11_keyid;
	const char *passin;
	int (*ask_passphrase)(char *buf, int size, const char *what, void *arg);
	void *ask_arg;
	uint64_t reserved[4];
};

/**
 * mbv_signer_new_spec() - mbv_signer_new() for any key @spec describes
 * @spec: the key
 * @cert_path: PEM X.509 certificate of that key; NULL reads it from
 *	@spec->key, which must then be a file
 * @out: set to the new signer, or to NULL on failure; the caller frees it
 *	with mbv_signer_free()
 * @errbuf: on failure, a one-line reason naming the key; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * As mbv_signer_new().  A key held by an ENGINE signs one digest at a time
 * (mbv_signer_sign() serialises on it: engines promise no thread safety).
 * Passphrases are wiped from memory once the key is loaded.
 *
 * Return: as mbv_signer_new(); also -ENOKEY for an encrypted key and no
 * passphrase, or a token refusing the PIN; -EKEYREJECTED for a wrong
 * passphrase; -ENOENT for a URI or key id that names no key; -ENOTSUP for
 * @pkcs11_engine without ENGINE support; -EINVAL for a bad @spec or
 * @passin.
 */
int mbv_signer_new_spec(const struct mbv_key_spec *spec, const char *cert_path,
			struct mbv_signer **out, char *errbuf, size_t errbuf_size);

/**
 * mbv_key_engine_supported() - whether OpenSSL's ENGINE interface is built in
 *
 * Return: 1 when mbv_key_spec's @pkcs11_engine can work (OpenSSL 3 with
 * ENGINE), 0 on an OpenSSL built without it.
 */
int mbv_key_engine_supported(void);

/**
 * mbv_signer_sign() - sign a file digest as `fsverity sign` does
 * @s: from mbv_signer_new()
 * @hash_algorithm: MBV_HASH_ALG_* the digest was computed with
 * @digest: the fs-verity file digest (mbv_tree_result.digest)
 * @sig: set to the DER PKCS#7 signature, malloc'ed; the caller frees it;
 *	NULL on failure
 * @sig_size: set to the signature's size, at most MBV_MAX_SIGNATURE_SIZE;
 *	0 on failure
 * @errbuf: on failure, a one-line reason; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * The signature is the one mbv_sign_digest() describes, byte for byte for
 * RSA keys.  Several threads may call this at once with the same @s: each
 * call has its own OpenSSL objects and clears only the calling thread's
 * OpenSSL error queue.  @s must not be freed while a call is running.
 *
 * Return: 0; -EMSGSIZE when the signature would exceed
 * MBV_MAX_SIGNATURE_SIZE (a huge issuer name); -EINVAL (also for an unknown
 * @hash_algorithm, or a key type OpenSSL cannot sign PKCS#7 with), -ENOMEM.
 */
int mbv_signer_sign(const struct mbv_signer *s, uint32_t hash_algorithm,
		    const uint8_t *digest, uint8_t **sig, size_t *sig_size,
		    char *errbuf, size_t errbuf_size);

/**
 * mbv_signer_free() - free a signer from mbv_signer_new()
 * @s: the signer, or NULL
 */
void mbv_signer_free(struct mbv_signer *s);

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
 * byte-identical to fsverity-utils'.  Reads both files on every call: to
 * sign many digests, use mbv_signer_new() and mbv_signer_sign(), which this
 * function is made of.  Clears the calling thread's OpenSSL error queue;
 * safe in concurrent threads.
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
 * mbv_parse_signature() - refuse a built-in signature the kernel would
 * refuse whatever its keyring holds
 * @hash_algorithm: MBV_HASH_ALG_* of the file the signature is for; every
 *	signer's digest algorithm must be it, as `fsverity sign` writes it;
 *	0 accepts any digest algorithm the kernel knows
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @errbuf: on failure, a one-line reason naming what is wrong; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * Parses @sig as fs/verity/signature.c and the kernel's PKCS#7 parser do
 * before they look for a key: DER ContentInfo of type signedData, SignedData
 * and SignerInfo versions, pkcs7-data content that is detached, at least
 * one signer, certificates it carries, digest and signature algorithms the
 * kernel knows, and authenticated attributes as the kernel takes them for
 * VERIFYING_UNSPECIFIED_SIGNATURE (all signers or none; contentType and
 * messageDigest present, no attribute twice, no smimeCapabilities).  Several
 * signers are accepted, as the kernel accepts them.  Stricter than the kernel,
 * which would accept these: BER, bytes after the DER, a digest algorithm
 * other than @hash_algorithm, an ECDSA algorithm naming another digest, GOST
 * and SM2 keys, and signers named by subject key identifier (CMS version 3),
 * none of which mbv_sig_verifier_check() could check.  Checks no key and no
 * digest: use mbv_sig_verifier_check() for that.  Reads no file, allocates
 * little; safe in concurrent threads.
 *
 * Return: 0; the errno the kernel gives at FS_IOC_ENABLE_VERITY and at
 * every open: -EBADMSG for a malformed signature (also BER, trailing bytes),
 * -EINVAL for another content type, SignedData or SignerInfo version, no
 * signer, or authenticated attributes on some signers only; -ENOPKG for a
 * digest or signature algorithm it does not know; -EKEYREJECTED for
 * attributes it refuses, Authenticode content, or (stricter) another digest
 * than @hash_algorithm; -ENOKEY for a signer whose identifier does not fit
 * its version; -EOPNOTSUPP for a signer named by key identifier; -EMSGSIZE
 * when @sig_size > MBV_MAX_SIGNATURE_SIZE; -EINVAL for an unknown
 * @hash_algorithm, -ENOMEM.
 */
int mbv_parse_signature(uint32_t hash_algorithm, const uint8_t *sig, size_t sig_size,
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
 * First refuses what mbv_parse_signature() refuses, with its codes.  The
 * content is the detached mbv_formatted_digest(); signers identified by
 * another certificate's issuer and serial are skipped, as the kernel skips
 * keys not in its keyring, but at least one signer must be @cert_path's and
 * every such signer must verify.  Stricter than the kernel in one way: the
 * signer's digest algorithm must be @hash_algorithm.  Reads the certificate
 * on every call: to check many signatures, use mbv_sig_verifier_new() and
 * mbv_sig_verifier_check(), which this function is made of.  Clears the
 * calling thread's OpenSSL error queue; safe in concurrent threads.
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

/**
 * struct mbv_sig_verifier - a trusted certificate, loaded once
 *
 * Opaque.  Made by mbv_sig_verifier_new(), used by mbv_sig_verifier_check(),
 * freed by mbv_sig_verifier_free().  Never modified after
 * mbv_sig_verifier_new() returns, so one verifier may check signatures in
 * several threads at once.
 */
struct mbv_sig_verifier;

/**
 * mbv_sig_verifier_new() - load a certificate to check signatures with
 * @cert_path: PEM X.509 certificate, trusted as if it were in the kernel's
 *	.fs-verity keyring (no chain to a CA is built)
 * @out: set to the new verifier, or to NULL on failure; the caller frees it
 *	with mbv_sig_verifier_free()
 * @errbuf: on failure, a one-line reason naming the file; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * Reads and parses the certificate, so that checking with the result reads
 * no file.  A certificate whose key fs-verity cannot use is refused here,
 * once, where mbv_verify_signature() refuses it only for a signature one
 * of whose signers is that certificate.  Clears the calling thread's
 * OpenSSL error queue; safe in concurrent threads.
 *
 * Return: 0; -ENOENT etc. for an unreadable file; -EBADMSG for malformed
 * PEM or an undecodable public key; -ENOPKG for a key that is neither RSA
 * nor EC; -EINVAL, -ENOMEM.
 */
int mbv_sig_verifier_new(const char *cert_path, struct mbv_sig_verifier **out,
			 char *errbuf, size_t errbuf_size);

/**
 * mbv_sig_verifier_check() - check a built-in signature as the kernel would
 * @v: from mbv_sig_verifier_new()
 * @hash_algorithm: MBV_HASH_ALG_* of the file
 * @digest: the fs-verity file digest
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @errbuf: on failure, a one-line reason; may be NULL
 * @errbuf_size: bytes of @errbuf
 *
 * Exactly mbv_verify_signature()'s checks, in its order, with @v's
 * certificate: first mbv_parse_signature()'s, with its codes.  Several threads may call this at once with the same @v:
 * each call has its own OpenSSL objects and clears only the calling
 * thread's OpenSSL error queue.  @v must not be freed while a call is
 * running.
 *
 * Return: as mbv_verify_signature(), without the certificate's file errors:
 * 0; -EBADMSG for a malformed signature; -ENOKEY when no signer is the
 * certificate; -EKEYREJECTED for a signature that does not verify or whose
 * algorithms do not fit; -EMSGSIZE when @sig_size > MBV_MAX_SIGNATURE_SIZE;
 * -EINVAL (also for an unknown @hash_algorithm), -ENOMEM.
 */
int mbv_sig_verifier_check(const struct mbv_sig_verifier *v,
			   uint32_t hash_algorithm, const uint8_t *digest,
			   const uint8_t *sig, size_t sig_size,
			   char *errbuf, size_t errbuf_size);

/**
 * mbv_sig_verifier_free() - free a verifier from mbv_sig_verifier_new()
 * @v: the verifier, or NULL
 */
void mbv_sig_verifier_free(struct mbv_sig_verifier *v);

/* ---- fs-verity on files inside ext4 images (libext2fs) ---- */

/*
 * These functions work on a filesystem opened with libext2fs.  ext2_filsys
 * is "struct struct_ext2_filsys *" and ext2_ino_t a 32-bit inode number, so
 * this header does not need <ext2fs/ext2fs.h>.  Messages go to an optional
 * per-call callback, one line without a trailing newline and without the
 * image or path name (the caller knows them).
 */
struct struct_ext2_filsys;

/**
 * mbv_error_fn - receives a one-line error message
 * @ctx: the caller's context
 * @msg: the message, valid only during the call
 */
typedef void (*mbv_error_fn)(void *ctx, const char *msg);

/* Run every check (inode, parameters, space) but change nothing. */
#define MBV_EXT4_ENABLE_CHECK_ONLY	(1u << 0)
/* Set the filesystem's verity feature (RO_COMPAT 0x8000) if it is missing. */
#define MBV_EXT4_ENABLE_SET_FEATURE	(1u << 1)
/*
 * Skip the flushes that order the writes for crash safety (an image being
 * built, which is thrown away if the build stops): the caller's
 * mbv_ext4_close() writes everything once.  Many small files go much faster.
 */
#define MBV_EXT4_ENABLE_BATCH		(1u << 2)

struct mbv_ext4_detached;

/**
 * struct mbv_ext4_enable_params - how to enable fs-verity on a file
 * @version: must be 1
 * @hash_algorithm: MBV_HASH_ALG_*, or 0 for SHA-256
 * @block_size: Merkle tree block size, or 0 for 4096; the kernel reads
 *	1024 to min(4096, filesystem block size)
 * @salt_size: bytes of @salt, at most MBV_MAX_SALT_SIZE
 * @salt: the salt, or NULL
 * @sig_size: bytes of @signature, at most MBV_MAX_SIGNATURE_SIZE; 0 for none
 * @signature: a built-in signature (DER PKCS#7), stored after the
 *	descriptor as FS_IOC_ENABLE_VERITY's sig_ptr would; refused as
 *	mbv_parse_signature() refuses it, but not checked against any key
 * @flags: MBV_EXT4_ENABLE_*
 * @pool: optional worker pool hashing the data (mbv_pool_new()); NULL
 *	hashes in the calling thread
 * @prehashed: optional; a tree built ahead by mbv_ext4_detached_hash()
 *	with the same tree parameters, written instead of hashing the data
 * @reserved: must be zero
 */
struct mbv_ext4_enable_params {
	uint32_t version;
	uint32_t hash_algorithm;
	uint32_t block_size;
	uint32_t salt_size;
	const uint8_t *salt;
	uint32_t sig_size;
	uint32_t flags;
	const uint8_t *signature;
	struct mbv_pool *pool;
	const struct mbv_ext4_detached *prehashed;
	uint64_t reserved[7];
};


/**
 * mbv_ext4_enable() - enable fs-verity on a regular file of an ext4 image
 * @fs: the filesystem, opened read-write (EXT2_FLAG_RW | EXT2_FLAG_64BITS)
 * @ino: the file's inode number
 * @params: the tree parameters and optional signature
 * @res: on success the tree's root hash, the file digest and descriptor;
 *	may be NULL
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Does offline what FS_IOC_ENABLE_VERITY does on ext4: builds the Merkle
 * tree from the file's data (holes and unwritten extents read as zeros) and
 * stores it at round_up(i_size, 65536), then the descriptor (with the
 * signature) at the next filesystem block boundary and its size in the last
 * 4 bytes of the last block, in newly allocated initialized extents; blocks
 * past EOF are removed first and a non-zero tail after EOF in the last data
 * block is zeroed (those bytes are not file data).  Writes go to the new
 * blocks first, then the extent tree, bitmaps and inode are flushed, and
 * EXT4_VERITY_FL is set last; on a quota filesystem the new blocks are then
 * charged to the file's user, group and project, as the kernel charges
 * them.  Every refusal happens before any write, and leaves @fs clean:
 * closing it then writes nothing.  A filesystem with errors recorded, not
 * cleanly unmounted, with orphans, or whose quota file lacks the owner's
 * entry is refused (-EUCLEAN, the message naming e2fsck).
 *
 * Return: 0; -EEXIST (already verity), -EISDIR, -EINVAL (not a regular
 * file, bad parameters), -EOPNOTSUPP (no extents, inline data, encrypted,
 * missing verity feature, bigalloc), -EPERM (immutable or append-only),
 * -EFBIG, -ENOSPC, -EUCLEAN (corrupt image), -EIO, -ENOMEM; a signature
 * mbv_parse_signature() refuses gets its code (-EBADMSG, -ENOPKG,
 * -EKEYREJECTED...) before anything is written; -ESTALE when
 * @params->prehashed does not fit: another file, other parameters, not run,
 * or the file's size or data blocks changed since.
 */
int mbv_ext4_enable(struct struct_ext2_filsys *fs, uint32_t ino,
		    const struct mbv_ext4_enable_params *params,
		    struct mbv_tree_result *res,
		    mbv_error_fn error, void *error_ctx);

/**
 * struct mbv_ext4_verity_info - what a verity file's stored metadata says
 * @hash_algorithm: MBV_HASH_ALG_*
 * @digest_size: bytes of @root_hash and @digest
 * @block_size: Merkle tree block size
 * @salt_size: bytes of @salt
 * @sig_size: bytes of the stored signature (0 for none)
 * @salt: the salt
 * @data_size: the file size
 * @tree_size: bytes of the stored tree
 * @tree_pos: file offset of the tree (round_up(i_size, 65536))
 * @desc_pos: file offset of the descriptor
 * @desc_size: bytes of descriptor plus signature, as stored
 * @root_hash: the descriptor's root hash
 * @digest: the fs-verity file digest, as FS_IOC_MEASURE_VERITY gives it
 * @descriptor: the descriptor as FS_IOC_READ_VERITY_METADATA gives it
 *	(sig_size zeroed, no signature)
 */
struct mbv_ext4_verity_info {
	uint32_t hash_algorithm;
	uint32_t digest_size;
	uint32_t block_size;
	uint32_t salt_size;
	uint32_t sig_size;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint64_t data_size;
	uint64_t tree_size;
	uint64_t tree_pos;
	uint64_t desc_pos;
	uint32_t desc_size;
	uint8_t root_hash[MBV_MAX_DIGEST_SIZE];
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	uint8_t descriptor[MBV_DESCRIPTOR_SIZE];
};

/**
 * mbv_ext4_measure() - the stored fs-verity digest of a file, without
 * reading its data
 * @fs: the filesystem (read-only is enough)
 * @ino: the file's inode number
 * @info: filled on success
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Finds and checks the descriptor as the kernel does when it opens the file.
 * Return: 0; -ENODATA when the file has no fs-verity; -EUCLEAN for a
 * metadata layout or descriptor the kernel would reject; -EMSGSIZE for a
 * descriptor over 16384 bytes; -EISDIR, -EINVAL, -EIO, -ENOMEM.
 */
int mbv_ext4_measure(struct struct_ext2_filsys *fs, uint32_t ino,
		     struct mbv_ext4_verity_info *info,
		     mbv_error_fn error, void *error_ctx);

/* FS_IOC_READ_VERITY_METADATA's metadata types. */
#define MBV_METADATA_MERKLE_TREE	1
#define MBV_METADATA_DESCRIPTOR		2
#define MBV_METADATA_SIGNATURE		3

/**
 * mbv_ext4_read_metadata() - read verity metadata as
 * FS_IOC_READ_VERITY_METADATA would
 * @fs: the filesystem
 * @ino: the file's inode number
 * @type: MBV_METADATA_*
 * @offset: byte offset into the metadata item
 * @buf: where to put up to @length bytes
 * @length: bytes wanted
 * @done: set to the bytes read; 0 at or past the end of the item
 * @error: optional error callback; @error_ctx is passed to it
 *
 * The tree comes root level first; the descriptor is the 256-byte one with
 * sig_size zeroed; the signature is the raw bytes.
 * Return: 0; -ENODATA when the file has no fs-verity or (for
 * MBV_METADATA_SIGNATURE) no signature; -EINVAL for a bad @type; as
 * mbv_ext4_measure() otherwise.
 */
int mbv_ext4_read_metadata(struct struct_ext2_filsys *fs, uint32_t ino,
			   int type, uint64_t offset, void *buf, size_t length,
			   size_t *done, mbv_error_fn error, void *error_ctx);

/* What a mbv_ext4_problem is about. */
enum mbv_ext4_problem_kind {
	MBV_EXT4_BAD_DATA_BLOCK = 1,	/* @index: data block (tree block size units) */
	MBV_EXT4_BAD_TREE_BLOCK,	/* @level (0 = hashes of data), @index */
	MBV_EXT4_BAD_DESCRIPTOR,	/* @field names the descriptor field */
	MBV_EXT4_BAD_EOF_TAIL,		/* @index: the last data block (fs blocks) */
	MBV_EXT4_BAD_LAYOUT,		/* where the metadata sits */
};

/**
 * struct mbv_ext4_problem - one thing wrong with a verity file
 * @kind: enum mbv_ext4_problem_kind
 * @level: tree level for MBV_EXT4_BAD_TREE_BLOCK
 * @index: block index (see enum mbv_ext4_problem_kind)
 * @count: how many blocks of this kind are bad (at least 1)
 * @field: descriptor field name, or NULL
 * @message: one line, e.g. "data block 3 does not match its hash"
 */
struct mbv_ext4_problem {
	uint32_t kind;
	uint32_t level;
	uint64_t index;
	uint64_t count;
	const char *field;
	const char *message;
};

/** mbv_ext4_report_fn - receives each problem found; valid during the call */
typedef void (*mbv_ext4_report_fn)(void *ctx, const struct mbv_ext4_problem *p);

/**
 * mbv_ext4_verify() - check a verity file's data, tree and descriptor
 * @fs: the filesystem (read-only is enough)
 * @ino: the file's inode number
 * @pool: optional worker pool hashing the data; NULL for the calling thread
 * @report: called for each problem found; may be NULL
 * @report_ctx: passed to @report
 * @info: optional; the stored metadata, as mbv_ext4_measure() gives it
 * @error: optional error callback for failures that stop the check
 * @error_ctx: passed to @error
 *
 * Rebuilds the tree from the data with the descriptor's parameters and
 * compares it with the stored one; each stored block is also checked
 * against its parent hash, so a bad data block, a bad tree block and a bad
 * root hash in the descriptor are told apart.  Also checks the bytes after
 * EOF in the last data block are zero, as the kernel needs.
 *
 * Return: 0 if all is well; -EBADMSG after reporting problems; -ENODATA when
 * the file has no fs-verity; -EUCLEAN when the metadata cannot even be
 * found; -EIO, -ENOMEM.
 */
int mbv_ext4_verify(struct struct_ext2_filsys *fs, uint32_t ino,
		    struct mbv_pool *pool,
		    mbv_ext4_report_fn report, void *report_ctx,
		    struct mbv_ext4_verity_info *info,
		    mbv_error_fn error, void *error_ctx);

/*
 * Many files in parallel.  libext2fs is not thread-safe, so every call
 * taking @fs must stay in one thread; but once a file's inode and extent
 * map are read, its data and verity metadata can be read straight from
 * the image file, in any thread:
 *
 *	main thread:  mbv_ext4_detach() the next files
 *	any threads:  mbv_ext4_detached_hash() (and sign the digest it
 *	              gives), or mbv_ext4_detached_verify() and
 *	              mbv_ext4_detached_read_metadata()
 *	main thread:  mbv_ext4_enable() with params.prehashed, then
 *	              mbv_ext4_detached_free()
 *
 * A hashed tree is held in memory until enable writes it: 1/128 of the
 * data for SHA-256 and 4 KiB blocks (4 MiB for a 512 MiB file, 128 MiB for
 * 16 GiB).  The data level is split across params->pool's threads, so a
 * large file hashed this way (to sign its digest before enable) is as fast
 * as at enable; many small files are better hashed one per thread, each
 * with no pool.
 */

/**
 * mbv_ext4_detach() - read a file's inode and extent map, to read its
 * blocks later without libext2fs
 * @fs: the filesystem
 * @ino: the file's inode number (a regular file using extents)
 * @image_fd: a descriptor reading the image @fs was opened from, at byte
 *	block * blocksize for each block; used with pread() only.  Blocks
 *	written through @fs and not yet flushed are not seen, so the file
 *	must not have changed through @fs since its last flush.
 * @out: the new object, freed with mbv_ext4_detached_free()
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Same thread as every other call on @fs.
 * Return: 0; -EINVAL, -EISDIR, -EOPNOTSUPP, -EUCLEAN, -EIO, -ENOMEM.
 */
int mbv_ext4_detach(struct struct_ext2_filsys *fs, uint32_t ino, int image_fd,
		    struct mbv_ext4_detached **out, mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_detached_hash() - build the tree mbv_ext4_enable() would build,
 * in memory
 * @params: the tree parameters (hash, block size, salt) enable will use; its
 *	@pool, if any, splits the data across threads (one call at a time per pool)
 * @res: the result enable will give with no signature: the digest to sign
 *
 * Calls nothing in libext2fs: any thread, one call at a time per object.
 * Return: 0; -EINVAL for bad parameters; -EIO (or the read's errno), -ENOMEM.
 */
int mbv_ext4_detached_hash(struct mbv_ext4_detached *d,
			   const struct mbv_ext4_enable_params *params,
			   struct mbv_tree_result *res);

/**
 * mbv_ext4_detached_verify() - mbv_ext4_verify() on a detached file
 *
 * Calls nothing in libext2fs: any thread, one call at a time per object;
 * @report and @error are called in that thread.
 */
int mbv_ext4_detached_verify(struct mbv_ext4_detached *d, struct mbv_pool *pool,
			     mbv_ext4_report_fn report, void *report_ctx,
			     struct mbv_ext4_verity_info *info,
			     mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_detached_read_metadata() - mbv_ext4_read_metadata() on a
 * detached file: any thread, one call at a time per object
 */
int mbv_ext4_detached_read_metadata(struct mbv_ext4_detached *d, int type, uint64_t offset,
				    void *buf, size_t length, size_t *done,
				    mbv_error_fn error, void *error_ctx);

/** mbv_ext4_detached_size() - the file's size (i_size) */
uint64_t mbv_ext4_detached_size(const struct mbv_ext4_detached *d);

void mbv_ext4_detached_free(struct mbv_ext4_detached *d);

/* Helpers so that a program need not include libext2fs headers. */

/**
 * mbv_ext4_open() - open an ext2/3/4 image file with libext2fs
 * @path: the image
 * @writable: open read-write (needed by mbv_ext4_enable())
 * @fs: set to the filesystem; close with mbv_ext4_close()
 * @error: optional error callback; @error_ctx is passed to it
 * Holds a flock on the image file until mbv_ext4_close(): exclusive when
 * @writable, else shared, never waiting; it lives in fs->priv_data, which
 * the caller must leave alone.  A writable open also refuses an image the
 * kernel has mounted (a loop-mounted file or a block device).
 *
 * Return: 0; -EACCES, -ENOENT etc.; -EBUSY when another process has the
 * image open through mbverity ("image is in use by another process") or,
 * writable, it is mounted (the message names the mount point); -EUCLEAN
 * when it is not an ext2/3/4 filesystem or, writable only, its journal
 * needs recovery, it has errors recorded, was not cleanly unmounted, or
 * has orphans (the orphan list or the orphan file).
 */
int mbv_ext4_open(const char *path, int writable,
		  struct struct_ext2_filsys **fs,
		  mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_close() - close a filesystem from mbv_ext4_open()
 * Writes whatever is still dirty (nothing, after only refusals), then
 * releases the image's lock.
 * Return: 0 or -errno.
 */
int mbv_ext4_close(struct struct_ext2_filsys *fs,
		   mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_check_bitmaps() - check that the block bitmap marks every block in use
 * @fs: a filesystem from mbv_ext4_open() (its bitmaps are read if not yet)
 * @error: optional error callback; @error_ctx is passed to it
 *
 * As e2fsck's passes 1 and 5 would: every block of every in-use inode
 * (data, extent tree and indirect blocks, extended attribute block) and
 * the filesystem's own blocks (superblocks, descriptors, bitmaps, inode
 * tables, journal) must be marked in use, or the next allocation could
 * hand one out again.  mbv_ext4_enable() never allocates the filesystem's
 * own blocks in any case; this finds the damage that hides other files.
 * Reads every inode table once; changes nothing.
 * Return: 0; -EUCLEAN with a message naming a block and e2fsck; -ENOMEM, -EIO.
 */
int mbv_ext4_check_bitmaps(struct struct_ext2_filsys *fs,
			   mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_lookup() - the inode number of an absolute @path in @fs
 * Symbolic links in the last component are not followed.
 * Return: 0; -ENOENT; -EINVAL for a relative path; -EIO.
 */
int mbv_ext4_lookup(struct struct_ext2_filsys *fs, const char *path,
		    uint32_t *ino, mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_for_each_verity_file() - call @fn for every in-use inode with
 * EXT4_VERITY_FL, in inode order
 * @fn: gets the inode number and a path to it ("<inode N>" if none is
 *	found); a non-zero return stops the walk and is returned
 * Return: 0, @fn's value, or -errno.
 */
int mbv_ext4_for_each_verity_file(struct struct_ext2_filsys *fs,
				  int (*fn)(void *ctx, uint32_t ino,
					    const char *path),
				  void *ctx, mbv_error_fn error,
				  void *error_ctx);

#ifdef __cplusplus
}
#endif

#endif
