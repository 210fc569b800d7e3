// SPDX-License-Identifier: MIT
/* fs-verity built-in signatures: PKCS#7 over the formatted digest, with OpenSSL. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "mbverity.h"

/* Where a function's one-line reason goes; NULL buffer means "don't care". */
struct errout {
	char *buf;
	size_t size;
};

/*
 * Record the reason, followed by the first queued OpenSSL reason if any (the
 * first is the specific one, e.g. "no start line"; later ones are "PEM lib").
 * Only the first reason of a call is kept.
 */
static void __attribute__((format(printf, 2, 3)))
set_error(struct errout *e, const char *fmt, ...)
{
	unsigned long code = ERR_peek_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;
	va_list ap;
	size_t n;

	if (!e->buf || !e->size || e->buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf, e->size, fmt, ap);
	va_end(ap);
	n = strlen(e->buf);
	if (reason && n < e->size)
		snprintf(e->buf + n, e->size - n, " (OpenSSL: %s)", reason);
}

static const EVP_MD *fsverity_md(uint32_t hash_algorithm)
{
	switch (hash_algorithm) {
	case MBV_HASH_ALG_SHA256:
		return EVP_sha256();
	case MBV_HASH_ALG_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

/* Never let OpenSSL fall back to prompting on the terminal. */
static int no_passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	if (u)
		*(int *)u = 1;
	return -1;
}

static int open_pem(const char *path, const char *what, BIO **bio,
		    struct errout *e)
{
	errno = 0;
	*bio = BIO_new_file(path, "r");
	if (!*bio) {
		int err = errno ? -errno : -EIO;

		ERR_clear_error();	/* the errno says it better */
		set_error(e, "cannot open %s '%s': %s", what, path, strerror(-err));
		return err;
	}
	return 0;
}

static int read_cert(const char *path, X509 **cert, struct errout *e)
{
	BIO *bio;
	int err = open_pem(path, "certificate", &bio, e);

	if (err)
		return err;
	*cert = PEM_read_bio_X509(bio, NULL, no_passphrase_cb, NULL);
	BIO_free(bio);
	if (!*cert) {
		set_error(e, "cannot parse certificate '%s': not a PEM X.509 certificate",
			  path);
		return -EBADMSG;
	}
	return 0;
}

static int read_key(const char *path, EVP_PKEY **pkey, struct errout *e)
{
	int asked = 0;
	BIO *bio;
	int err = open_pem(path, "private key", &bio, e);

	if (err)
		return err;
	*pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase_cb, &asked);
	BIO_free(bio);
	if (!*pkey) {
		if (asked) {
			ERR_clear_error();
			set_error(e, "cannot use private key '%s': it is encrypted and no passphrase was given",
				  path);
			return -ENOKEY;
		}
		set_error(e, "cannot parse private key '%s': not a PEM private key", path);
		return -EBADMSG;
	}
	return 0;
}

/* Copy the DER encoding of @p7 into a malloc'ed buffer. */
static int encode_pkcs7(PKCS7 *p7, uint8_t **sig, size_t *sig_size,
			struct errout *e)
{
	int len = i2d_PKCS7(p7, NULL);
	uint8_t *buf, *p;

	if (len <= 0) {
		set_error(e, "cannot DER-encode the PKCS#7 signature");
		return -EINVAL;
	}
	buf = malloc((size_t)len);
	if (!buf) {
		set_error(e, "out of memory");
		return -ENOMEM;
	}
	p = buf;
	if (i2d_PKCS7(p7, &p) != len) {
		free(buf);
		set_error(e, "cannot DER-encode the PKCS#7 signature");
		return -EINVAL;
	}
	*sig = buf;
	*sig_size = (size_t)len;
	return 0;
}

/*
 * A loaded key and its certificate, never written after mbv_signer_new()
 * returns.  Each signature builds its own PKCS7 and BIO (and OpenSSL its
 * own EVP_PKEY_CTX) and only reads the key and certificate or takes
 * references to them, which OpenSSL allows from several threads at once on
 * objects nobody modifies; what OpenSSL caches inside a key (RSA blinding,
 * provider exports) it guards with the key's own lock.
 */
struct mbv_signer {
	EVP_PKEY *pkey;
	X509 *cert;
	char *key_path;		/* for error messages */
	char *cert_path;
};

/* Documented in mbverity.h. */
void mbv_signer_free(struct mbv_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	X509_free(s->cert);
	free(s->key_path);
	free(s->cert_path);
	free(s);
}

/* Documented in mbverity.h. */
int mbv_signer_new(const char *key_path, const char *cert_path,
		   struct mbv_signer **out, char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	struct mbv_signer *s;
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!out || !key_path) {
		set_error(&e, "missing argument to mbv_signer_new");
		return -EINVAL;
	}
	*out = NULL;
	if (!cert_path)
		cert_path = key_path;	/* like fsverity: one PEM with both */
	ERR_clear_error();

	s = calloc(1, sizeof(*s));
	if (!s || !(s->key_path = strdup(key_path)) ||
	    !(s->cert_path = strdup(cert_path))) {
		set_error(&e, "out of memory");
		err = -ENOMEM;
		goto fail;
	}
	err = read_key(key_path, &s->pkey, &e);
	if (err)
		goto fail;
	err = read_cert(cert_path, &s->cert, &e);
	if (err)
		goto fail;
	/* PKCS7_sign_add_signer() checks again, but its reason is vaguer. */
	if (X509_check_private_key(s->cert, s->pkey) != 1) {
		ERR_clear_error();
		set_error(&e, "private key '%s' does not match certificate '%s'",
			  key_path, cert_path);
		err = -EKEYREJECTED;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	mbv_signer_free(s);
	ERR_clear_error();
	return err;
}

/* Documented in mbverity.h. */
int mbv_signer_sign(const struct mbv_signer *s, uint32_t hash_algorithm,
		    const uint8_t *digest, uint8_t **sig, size_t *sig_size,
		    char *errbuf, size_t errbuf_size)
{
	/*
	 * What `fsverity sign` produces and the kernel expects: detached,
	 * no authenticated attributes, no certificates; PARTIAL so the signer's
	 * digest is the fs-verity hash rather than OpenSSL's default.
	 */
	const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR |
			  PKCS7_NOCERTS | PKCS7_PARTIAL;
	struct errout e = { errbuf, errbuf_size };
	uint8_t fdigest[12 + MBV_MAX_DIGEST_SIZE];
	const EVP_MD *md = fsverity_md(hash_algorithm);
	PKCS7 *p7 = NULL;
	BIO *data = NULL;
	uint8_t *out = NULL;
	size_t out_size = 0;
	int n, err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!s || !sig || !sig_size || !digest) {
		set_error(&e, "missing argument to mbv_signer_sign");
		return -EINVAL;
	}
	*sig = NULL;
	*sig_size = 0;
	n = mbv_formatted_digest(hash_algorithm, digest, fdigest);
	if (n < 0 || !md) {
		set_error(&e, "unknown hash algorithm %u", hash_algorithm);
		return -EINVAL;
	}
	ERR_clear_error();

	err = -EINVAL;
	data = BIO_new_mem_buf(fdigest, n);
	if (!data) {
		set_error(&e, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
	if (!p7) {
		set_error(&e, "cannot create a PKCS#7 signature");
		goto out;
	}
	/* Takes its own reference to the key, copies issuer and serial. */
	if (!PKCS7_sign_add_signer(p7, s->cert, s->pkey, md, flags)) {
		set_error(&e, "cannot sign with private key '%s'", s->key_path);
		goto out;
	}
	if (PKCS7_final(p7, data, flags) != 1) {
		set_error(&e, "cannot sign with private key '%s'", s->key_path);
		goto out;
	}
	err = encode_pkcs7(p7, &out, &out_size, &e);
	if (err)
		goto out;
	if (out_size > MBV_MAX_SIGNATURE_SIZE) {
		/* Only a huge issuer name in the certificate gets here. */
		set_error(&e, "signature with certificate '%s' would be %zu bytes, more than fs-verity's %d",
			  s->cert_path, out_size, MBV_MAX_SIGNATURE_SIZE);
		free(out);
		err = -EMSGSIZE;
		goto out;
	}
	*sig = out;
	*sig_size = out_size;
	err = 0;
out:
	BIO_free(data);
	PKCS7_free(p7);
	ERR_clear_error();
	return err;
}

/*
 * Documented in mbverity.h.  The arguments are checked before any file is
 * read, so a bad algorithm is -EINVAL whatever the files are.
 */
int mbv_sign_digest(uint32_t hash_algorithm, const uint8_t *digest,
		    const char *key_path, const char *cert_path,
		    uint8_t **sig, size_t *sig_size,
		    char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	struct mbv_signer *s;
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!sig || !sig_size || !digest || !key_path) {
		set_error(&e, "missing argument to mbv_sign_digest");
		return -EINVAL;
	}
	*sig = NULL;
	*sig_size = 0;
	if (!fsverity_md(hash_algorithm)) {
		set_error(&e, "unknown hash algorithm %u", hash_algorithm);
		return -EINVAL;
	}
	err = mbv_signer_new(key_path, cert_path, &s, errbuf, errbuf_size);
	if (err)
		return err;
	err = mbv_signer_sign(s, hash_algorithm, digest, sig, sig_size,
			      errbuf, errbuf_size);
	mbv_signer_free(s);
	return err;
}

/* Is @si's issuerAndSerialNumber @cert's?  Compares the DER of the names, as
 * the kernel compares key IDs made of the raw issuer and serial. */
static int signer_is_cert(PKCS7_SIGNER_INFO *si, X509 *cert)
{
	PKCS7_ISSUER_AND_SERIAL *ias = si->issuer_and_serial;
	unsigned char *a = NULL, *b = NULL;
	int la, lb, same;

	if (!ias || !ias->issuer || !ias->serial)
		return 0;
	if (ASN1_INTEGER_cmp(ias->serial, X509_get0_serialNumber(cert)) != 0)
		return 0;
	la = i2d_X509_NAME(ias->issuer, &a);
	lb = i2d_X509_NAME(X509_get_issuer_name(cert), &b);
	same = la > 0 && la == lb && memcmp(a, b, (size_t)la) == 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	return same;
}

/* The key types fs-verity signatures can have: the kernel knows no other. */
static bool supported_key(const EVP_PKEY *pub)
{
	return EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "EC");
}

/*
 * What the kernel's PKCS#7 parser insists on and OpenSSL does not check:
 * SignerInfo version 1 (issuer and serial) and a signature algorithm
 * it knows that fits the key: rsaEncryption for RSA, ecdsa-with-<digest>
 * for EC.  Other key types are not supported.
 */
static int check_signer_algs(PKCS7_SIGNER_INFO *si, const EVP_MD *md,
			     X509 *cert, struct errout *e)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int nid, dnid = NID_undef, pknid = NID_undef;

	if (ASN1_INTEGER_get(si->version) != 1) {
		set_error(e, "malformed signature: SignerInfo version is not 1");
		return -EBADMSG;
	}
	nid = si->digest_enc_alg ? OBJ_obj2nid(si->digest_enc_alg->algorithm) : NID_undef;
	if (!pub) {
		set_error(e, "certificate has no usable public key");
		return -EBADMSG;
	}
	if (!supported_key(pub)) {
		set_error(e, "certificate key type %s is not supported for fs-verity",
			  EVP_PKEY_get0_type_name(pub));
		return -ENOPKG;
	}
	if (EVP_PKEY_is_a(pub, "RSA")) {
		if (nid == NID_rsaEncryption)
			return 0;
	} else {
		if (OBJ_find_sigid_algs(nid, &dnid, &pknid) &&
		    pknid == NID_X9_62_id_ecPublicKey && dnid == EVP_MD_get_type(md))
			return 0;
	}
	set_error(e, "signature algorithm %s does not fit the certificate's %s key",
		  nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)",
		  EVP_PKEY_get0_type_name(pub));
	return -EKEYREJECTED;
}

/* Free the digest BIOs PKCS7_dataInit() pushed in front of @in, and @in. */
static void free_bio_chain(BIO *chain, BIO *in)
{
	while (chain && chain != in) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(in);
}

/*
 * Check every signer of @p7 that is @cert (the kernel skips signers whose key
 * is not in the keyring); at least one must be @cert.
 */
static int verify_signers(PKCS7 *p7, const uint8_t *fdigest, int n,
			  const EVP_MD *md, X509 *cert, const char *cert_path,
			  struct errout *e)
{
	STACK_OF(PKCS7_SIGNER_INFO) *signers = PKCS7_get_signer_info(p7);
	BIO *in = NULL, *chain = NULL;
	char buf[4096];
	int i, count, matched = 0, err;

	count = signers ? sk_PKCS7_SIGNER_INFO_num(signers) : 0;
	if (count <= 0) {
		set_error(e, "malformed signature: no signer");
		return -EBADMSG;
	}
	in = BIO_new_mem_buf(fdigest, n);
	if (!in) {
		set_error(e, "out of memory");
		return -ENOMEM;
	}
	/* Hash the detached content with every digestAlgorithm listed. */
	chain = PKCS7_dataInit(p7, in);
	if (!chain) {
		set_error(e, "malformed signature: unusable digest algorithm");
		err = -EBADMSG;
		goto out;
	}
	while ((i = BIO_read(chain, buf, sizeof(buf))) > 0)
		;
	if (i < 0) {
		set_error(e, "cannot hash the signed content");
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < count; i++) {
		PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(signers, i);
		int nid;

		if (!signer_is_cert(si, cert))
			continue;
		matched++;
		/* Stricter than the kernel: the signed hash is the file's. */
		nid = si->digest_alg ? OBJ_obj2nid(si->digest_alg->algorithm) : NID_undef;
		if (nid != EVP_MD_get_type(md)) {
			set_error(e, "signature uses digest %s, the file's hash is %s",
				  nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)",
				  EVP_MD_get0_name(md));
			err = -EKEYREJECTED;
			goto out;
		}
		err = check_signer_algs(si, md, cert, e);
		if (err)
			goto out;
		if (PKCS7_signatureVerify(chain, p7, si, cert) != 1) {
			set_error(e, "signature does not verify with certificate '%s'",
				  cert_path);
			err = -EKEYREJECTED;
			goto out;
		}
	}
	if (!matched) {
		PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(signers, 0);
		char issuer[256] = "?";

		if (si->issuer_and_serial && si->issuer_and_serial->issuer)
			X509_NAME_oneline(si->issuer_and_serial->issuer, issuer,
					  sizeof(issuer));
		ERR_clear_error();
		set_error(e, "signature is not by certificate '%s' (signer issued by %s)",
			  cert_path, issuer);
		err = -ENOKEY;
		goto out;
	}
	err = 0;
out:
	free_bio_chain(chain, in);
	return err;
}

/*
 * The checks of the arguments that read no file, in the order
 * mbv_verify_signature() has always made them: a missing argument (@cert is
 * the certificate's path or verifier), the algorithm, the size.  Writes the
 * formatted digest to @fdigest and returns its length, or a negative errno.
 */
static int check_sig_args(const char *func, const void *cert,
			  uint32_t hash_algorithm, const uint8_t *digest,
			  const uint8_t *sig, size_t sig_size,
			  uint8_t fdigest[12 + MBV_MAX_DIGEST_SIZE],
			  struct errout *e)
{
	int n;

	if (!digest || !cert || (!sig && sig_size)) {
		set_error(e, "missing argument to %s", func);
		return -EINVAL;
	}
	n = mbv_formatted_digest(hash_algorithm, digest, fdigest);
	if (n < 0 || !fsverity_md(hash_algorithm)) {
		set_error(e, "unknown hash algorithm %u", hash_algorithm);
		return -EINVAL;
	}
	if (sig_size == 0) {
		set_error(e, "the signature is empty");
		return -EBADMSG;
	}
	if (sig_size > MBV_MAX_SIGNATURE_SIZE) {
		set_error(e, "signature is %zu bytes, more than fs-verity's %d",
			  sig_size, MBV_MAX_SIGNATURE_SIZE);
		return -EMSGSIZE;
	}
	return n;
}

/*
 * A loaded certificate, never written after it is loaded.  Each check
 * parses its own PKCS7 and makes its own BIOs (and OpenSSL its own digest
 * and EVP_PKEY_CTX contexts) and only reads the certificate and its public
 * key, which OpenSSL allows from several threads at once on objects nobody
 * modifies; what OpenSSL caches inside the key (provider exports) it guards
 * with the key's own lock.  There is no X509_STORE to share: like the
 * kernel, a check builds no chain, it finds the signer by issuer and serial
 * and verifies with the certificate's key.
 */
struct mbv_sig_verifier {
	X509 *cert;
	char *cert_path;	/* for error messages */
};

/* Documented in mbverity.h. */
void mbv_sig_verifier_free(struct mbv_sig_verifier *v)
{
	if (!v)
		return;
	X509_free(v->cert);
	free(v->cert_path);
	free(v);
}

/*
 * Read @cert_path into a new verifier, whatever its key: the caller decides
 * when an unusable key is an error.  *out is NULL on failure.
 */
static int load_verifier(const char *cert_path, struct mbv_sig_verifier **out,
			 struct errout *e)
{
	struct mbv_sig_verifier *v;
	int err;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v || !(v->cert_path = strdup(cert_path))) {
		set_error(e, "out of memory");
		mbv_sig_verifier_free(v);
		return -ENOMEM;
	}
	err = read_cert(cert_path, &v->cert, e);
	if (err) {
		mbv_sig_verifier_free(v);
		return err;
	}
	*out = v;
	return 0;
}

/* Documented in mbverity.h. */
int mbv_sig_verifier_new(const char *cert_path, struct mbv_sig_verifier **out,
			 char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	struct mbv_sig_verifier *v;
	EVP_PKEY *pub;
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!out || !cert_path) {
		set_error(&e, "missing argument to mbv_sig_verifier_new");
		return -EINVAL;
	}
	*out = NULL;
	ERR_clear_error();

	err = load_verifier(cert_path, &v, &e);
	if (err)
		goto fail;
	/*
	 * A key no signature can be checked with is refused once, here, with
	 * what check_signer_algs() would say at every check.
	 */
	pub = X509_get0_pubkey(v->cert);
	if (!pub) {
		set_error(&e, "cannot use certificate '%s': it has no usable public key",
			  cert_path);
		err = -EBADMSG;
		goto fail;
	}
	if (!supported_key(pub)) {
		set_error(&e, "cannot use certificate '%s': key type %s is not supported for fs-verity",
			  cert_path, EVP_PKEY_get0_type_name(pub));
		err = -ENOPKG;
		goto fail;
	}
	*out = v;
	return 0;
fail:
	mbv_sig_verifier_free(v);
	ERR_clear_error();
	return err;
}

/* Documented in mbverity.h. */
int mbv_sig_verifier_check(const struct mbv_sig_verifier *v,
			   uint32_t hash_algorithm, const uint8_t *digest,
			   const uint8_t *sig, size_t sig_size,
			   char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	uint8_t fdigest[12 + MBV_MAX_DIGEST_SIZE];
	const EVP_MD *md = fsverity_md(hash_algorithm);
	const unsigned char *p = sig;
	PKCS7 *p7 = NULL;
	int n, err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	n = check_sig_args("mbv_sig_verifier_check", v, hash_algorithm, digest,
			   sig, sig_size, fdigest, &e);
	if (n < 0)
		return n;
	ERR_clear_error();

	err = -EBADMSG;
	p7 = d2i_PKCS7(NULL, &p, (long)sig_size);
	if (!p7) {
		set_error(&e, "malformed signature: not DER PKCS#7");
		goto out;
	}
	if (p != sig + sig_size) {
		set_error(&e, "malformed signature: %zu bytes of trailing data",
			  (size_t)(sig + sig_size - p));
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
		set_error(&e, "malformed signature: PKCS#7 but not signedData");
		goto out;
	}
	/* Version 3 (CMS) would name signers by key ID, which OpenSSL's
	 * PKCS#7 cannot parse; the kernel pairs version 1 with issuer+serial. */
	if (ASN1_INTEGER_get(p7->d.sign->version) != 1) {
		set_error(&e, "malformed signature: SignedData version is not 1");
		goto out;
	}
	/* The kernel wants pkcs7-data content and supplies it itself. */
	if (!p7->d.sign->contents ||
	    !PKCS7_type_is_data(p7->d.sign->contents)) {
		set_error(&e, "malformed signature: signed content is not pkcs7-data");
		goto out;
	}
	if (!PKCS7_get_detached(p7)) {
		set_error(&e, "malformed signature: content is embedded, not detached");
		goto out;
	}
	err = verify_signers(p7, fdigest, n, md, v->cert, v->cert_path, &e);
out:
	PKCS7_free(p7);
	ERR_clear_error();
	return err;
}

/*
 * Documented in mbverity.h.  The arguments are checked before the
 * certificate is read, so a bad algorithm or size is reported whatever the
 * file is.  The certificate is loaded without mbv_sig_verifier_new()'s key
 * check: as this function always has, it reports a key neither RSA nor EC
 * (-ENOPKG) only when a signer is the certificate, and -ENOKEY otherwise.
 */
int mbv_verify_signature(uint32_t hash_algorithm, const uint8_t *digest,
			 const uint8_t *sig, size_t sig_size,
			 const char *cert_path, char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	uint8_t fdigest[12 + MBV_MAX_DIGEST_SIZE];
	struct mbv_sig_verifier *v;
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	err = check_sig_args("mbv_verify_signature", cert_path, hash_algorithm,
			     digest, sig, sig_size, fdigest, &e);
	if (err < 0)
		return err;
	ERR_clear_error();
	err = load_verifier(cert_path, &v, &e);
	if (err) {
		ERR_clear_error();
		return err;
	}
	err = mbv_sig_verifier_check(v, hash_algorithm, digest, sig, sig_size,
				     errbuf, errbuf_size);
	mbv_sig_verifier_free(v);
	return err;
}
