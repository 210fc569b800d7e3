/* SPDX-License-Identifier: MIT */
/*
 * mbverity/sign.h - fs-verity built-in signatures (PKCS#7), made and
 * checked with OpenSSL, which this header does not need.
 */
#ifndef MBVERITY_SIGN_H
#define MBVERITY_SIGN_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif


/*
 * Errors: every function below that can fail takes an optional
 * mbv_error_fn and its context last (mbverity/base.h), called once with a
 * one-line reason when the call fails.  The reasons are shorter than
 * MBV_SIG_ERRBUF_SIZE bytes, for a caller that keeps one.
 */
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
 * @error: on failure, gets a one-line reason naming the file; may be NULL
 * @error_ctx: passed to @error
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
		   struct mbv_signer **out, mbv_error_fn error, void *error_ctx);

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
 * @error: on failure, gets a one-line reason naming the key; may be NULL
 * @error_ctx: passed to @error
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
			struct mbv_signer **out, mbv_error_fn error, void *error_ctx);

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
 * @error: on failure, gets a one-line reason; may be NULL
 * @error_ctx: passed to @error
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
		    mbv_error_fn error, void *error_ctx);

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
 * @error: on failure, gets a one-line reason naming the file; may be NULL
 * @error_ctx: passed to @error
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
		    mbv_error_fn error, void *error_ctx);

/**
 * mbv_parse_signature() - refuse a built-in signature the kernel would
 * refuse whatever its keyring holds
 * @hash_algorithm: MBV_HASH_ALG_* of the file the signature is for; every
 *	signer's digest algorithm must be it, as `fsverity sign` writes it;
 *	0 accepts any digest algorithm the kernel knows
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @error: on failure, gets a one-line reason naming what is wrong; may be NULL
 * @error_ctx: passed to @error
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
			mbv_error_fn error, void *error_ctx);

/**
 * mbv_verify_signature() - check a built-in signature as the kernel would
 * @hash_algorithm: MBV_HASH_ALG_* of the file
 * @digest: the fs-verity file digest
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @cert_path: PEM X.509 certificate, trusted as if it were in the kernel's
 *	.fs-verity keyring (no chain to a CA is built)
 * @error: on failure, gets a one-line reason; may be NULL
 * @error_ctx: passed to @error
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
			 const char *cert_path, mbv_error_fn error, void *error_ctx);

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
 * @error: on failure, gets a one-line reason naming the file; may be NULL
 * @error_ctx: passed to @error
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
			 mbv_error_fn error, void *error_ctx);

/**
 * mbv_sig_verifier_check() - check a built-in signature as the kernel would
 * @v: from mbv_sig_verifier_new()
 * @hash_algorithm: MBV_HASH_ALG_* of the file
 * @digest: the fs-verity file digest
 * @sig: the DER PKCS#7 signature (as stored after the descriptor)
 * @sig_size: bytes of @sig
 * @error: on failure, gets a one-line reason; may be NULL
 * @error_ctx: passed to @error
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
			   mbv_error_fn error, void *error_ctx);

/**
 * mbv_sig_verifier_free() - free a verifier from mbv_sig_verifier_new()
 * @v: the verifier, or NULL
 */
void mbv_sig_verifier_free(struct mbv_sig_verifier *v);

#ifdef __cplusplus
}
#endif

#endif
