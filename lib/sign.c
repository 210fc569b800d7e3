// SPDX-License-Identifier: MIT
/* fs-verity built-in signatures: PKCS#7 over the formatted digest, with OpenSSL. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

#include "mbverity/sign.h"
#include "mbverity/tree.h"
#include "sign_key.h"

/* Documented in sign_key.h.  The first is the specific reason (e.g. "no
 * start line"; later ones are "PEM lib"). */
void mbv_sig_set_error(struct errout *e, const char *fmt, ...)
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
#define set_error mbv_sig_set_error

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
	struct mbv_loaded_key key;
	X509 *cert;
	char *cert_path;	/* for error messages */
	/* An ENGINE's key signs one at a time: engines promise no thread safety. */
	pthread_mutex_t lock;
};

/* Documented in mbverity.h. */
void mbv_signer_free(struct mbv_signer *s)
{
	if (!s)
		return;
	mbv_key_unload(&s->key);
	X509_free(s->cert);
	free(s->cert_path);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Documented in mbverity.h. */
static int signer_new_spec_buf(const struct mbv_key_spec *spec, const char *cert_path,
			struct mbv_signer **out, char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	struct mbv_signer *s;
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!out || !spec) {
		set_error(&e, "missing argument to mbv_signer_new_spec");
		return -EINVAL;
	}
	*out = NULL;
	if (!cert_path && !(spec->key && !spec->pkcs11_engine)) {
		set_error(&e, "a key on a token or behind a URI needs its certificate given");
		return -EINVAL;
	}
	ERR_clear_error();

	s = calloc(1, sizeof(*s));
	if (!s) {
		set_error(&e, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	err = mbv_key_load(spec, &s->key, &e);
	if (err)
		goto fail;
	if (!cert_path) {
		if (!s->key.is_file) {
			set_error(&e, "key '%s' is a URI: its certificate must be given", s->key.name);
			err = -EINVAL;
			goto fail;
		}
		cert_path = spec->key;	/* like fsverity: one PEM with both */
	}
	if (!(s->cert_path = strdup(cert_path))) {
		set_error(&e, "out of memory");
		err = -ENOMEM;
		goto fail;
	}
	err = read_cert(cert_path, &s->cert, &e);
	if (err)
		goto fail;
	/* PKCS7_sign_add_signer() checks again, but its reason is vaguer. */
	if (X509_check_private_key(s->cert, s->key.pkey) != 1) {
		ERR_clear_error();
		set_error(&e, "private key '%s' does not match certificate '%s'",
			  s->key.name, cert_path);
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
static int signer_new_buf(const char *key_path, const char *cert_path,
		   struct mbv_signer **out, char *errbuf, size_t errbuf_size)
{
	struct mbv_key_spec spec = { .version = MBV_KEY_SPEC_VERSION, .key = key_path };

	if (!key_path) {
		struct errout e = { errbuf, errbuf_size };

		if (errbuf && errbuf_size)
			errbuf[0] = '\0';
		if (out)
			*out = NULL;
		set_error(&e, "missing argument to mbv_signer_new");
		return -EINVAL;
	}
	return signer_new_spec_buf(&spec, cert_path, out, errbuf, errbuf_size);
}

/* Documented in mbverity.h. */
static int signer_sign_buf(const struct mbv_signer *s, uint32_t hash_algorithm,
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
	if (!PKCS7_sign_add_signer(p7, s->cert, s->key.pkey, md, flags)) {
		set_error(&e, "cannot sign with private key '%s'", s->key.name);
		goto out;
	}
	if (s->key.engine)
		pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	n = PKCS7_final(p7, data, flags);
	if (s->key.engine)
		pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	if (n != 1) {
		set_error(&e, "cannot sign with private key '%s'", s->key.name);
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
static int sign_digest_buf(uint32_t hash_algorithm, const uint8_t *digest,
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
	err = signer_new_buf(key_path, cert_path, &s, errbuf, errbuf_size);
	if (err)
		return err;
	err = signer_sign_buf(s, hash_algorithm, digest, sig, sig_size,
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

/* ---- the kernel's view of a signature, before any key ---- */

/*
 * What the kernel refuses, from fs/verity/signature.c (the 16128-byte limit,
 * verify_pkcs7_signature() with VERIFYING_UNSPECIFIED_SIGNATURE),
 * certs/system_keyring.c (embedded content is refused), and
 * crypto/asymmetric_keys/pkcs7_parser.c, pkcs7.asn1, pkcs7_verify.c and
 * lib/asn1_decoder.c (6.1 and 6.12).  Each refusal below returns the errno
 * that path returns.  A few are stricter than the kernel and say so: they
 * refuse what mbverity could not check or no tool should write (BER,
 * trailing bytes, a digest other than the file's hash, signers named by key
 * identifier).
 */

#define MALFORMED "malformed signature: "

static const char OID_SIGNED_DATA[] = "1.2.840.113549.1.7.2";
static const char OID_DATA[] = "1.2.840.113549.1.7.1";
static const char OID_MS_INDIRECT_DATA[] = "1.3.6.1.4.1.311.2.1.4";

/* The digest algorithms the kernel's PKCS#7 parser names; others are -ENOPKG. */
static const struct kernel_digest {
	const char *oid, *name;
	uint32_t fsverity_alg;		/* the fs-verity hash it is, or 0 */
	unsigned int size;
} kernel_digests[] = {
	{ "1.2.840.113549.2.4", "md4", 0, 16 },
	{ "1.2.840.113549.2.5", "md5", 0, 16 },
	{ "1.3.14.3.2.26", "sha1", 0, 20 },
	{ "2.16.840.1.101.3.4.2.4", "sha224", 0, 28 },
	{ "2.16.840.1.101.3.4.2.1", "sha256", MBV_HASH_ALG_SHA256, 32 },
	{ "2.16.840.1.101.3.4.2.2", "sha384", 0, 48 },
	{ "2.16.840.1.101.3.4.2.3", "sha512", MBV_HASH_ALG_SHA512, 64 },
	{ "1.2.156.10197.1.401", "sm3", 0, 32 },
	{ "1.2.643.7.1.1.2.2", "streebog256", 0, 32 },
	{ "1.2.643.7.1.1.2.3", "streebog512", 0, 64 },
	{ "2.16.840.1.101.3.4.2.8", "sha3-256", 0, 32 },
	{ "2.16.840.1.101.3.4.2.9", "sha3-384", 0, 48 },
	{ "2.16.840.1.101.3.4.2.10", "sha3-512", 0, 64 },
};

/*
 * The signature algorithms the kernel and mbverity both check: RSA
 * (PKCS#1 v1.5) and ECDSA.  The kernel also names GOST and SM2 keys, which
 * neither fsverity-utils nor mbverity can use: those are refused as unknown.
 */
static const struct sig_alg {
	const char *oid, *name;
	const char *digest;		/* the digest an ECDSA OID names, or NULL */
} sig_algs[] = {
	{ "1.2.840.113549.1.1.1", "rsaEncryption", NULL },
	{ "1.2.840.10045.4.1", "ecdsa-with-SHA1", "sha1" },
	{ "1.2.840.10045.4.3.1", "ecdsa-with-SHA224", "sha224" },
	{ "1.2.840.10045.4.3.2", "ecdsa-with-SHA256", "sha256" },
	{ "1.2.840.10045.4.3.3", "ecdsa-with-SHA384", "sha384" },
	{ "1.2.840.10045.4.3.4", "ecdsa-with-SHA512", "sha512" },
	{ "2.16.840.1.101.3.4.3.10", "ecdsa-with-SHA3-256", "sha3-256" },
	{ "2.16.840.1.101.3.4.3.11", "ecdsa-with-SHA3-384", "sha3-384" },
	{ "2.16.840.1.101.3.4.3.12", "ecdsa-with-SHA3-512", "sha3-512" },
};

/* Authenticated attributes the kernel looks at. */
enum attr {
	ATTR_CONTENT_TYPE, ATTR_SIGNING_TIME, ATTR_MESSAGE_DIGEST, ATTR_SMIME_CAPS,
	ATTR_MS_OPUS_INFO, ATTR_MS_STATEMENT_TYPE, ATTR_OTHER
};

static const struct {
	const char *oid, *name;
} attrs[] = {
	[ATTR_CONTENT_TYPE] = { "1.2.840.113549.1.9.3", "contentType" },
	[ATTR_SIGNING_TIME] = { "1.2.840.113549.1.9.5", "signingTime" },
	[ATTR_MESSAGE_DIGEST] = { "1.2.840.113549.1.9.4", "messageDigest" },
	[ATTR_SMIME_CAPS] = { "1.2.840.113549.1.9.15", "smimeCapabilities" },
	[ATTR_MS_OPUS_INFO] = { "1.3.6.1.4.1.311.2.1.12", "msSpOpusInfo" },
	[ATTR_MS_STATEMENT_TYPE] = { "1.3.6.1.4.1.311.2.1.11", "msStatementType" },
};

/* A DER reader over part of the signature; offsets in reasons are from its start. */
struct der {
	const uint8_t *base, *p, *end;
};

struct tlv {
	uint8_t tag;
	const uint8_t *hdr, *val;
	size_t len;
};

/* What the parse has found so far. */
struct sig_parse {
	const uint8_t *base;
	uint32_t hash_algorithm;	/* 0: any digest the kernel knows */
	unsigned int sd_version;
	const char *data_type;		/* OID_DATA or OID_MS_INDIRECT_DATA */
	bool embedded;
	unsigned int signers, with_attrs;
	/* A refusal the kernel makes after parsing (the digest's length). */
	int post_err;
	char post_why[MBV_SIG_ERRBUF_SIZE];
	/* A refusal only mbverity makes: reported when the kernel has none. */
	int strict_err;
	char strict_why[MBV_SIG_ERRBUF_SIZE];
};

static size_t off(const struct der *d, const uint8_t *p)
{
	return (size_t)(p - d->base);
}

/* Read the next TLV with the kernel decoder's limits, DER only. */
static int der_get(struct der *d, struct tlv *t, const char *what, struct errout *e)
{
	const uint8_t *p = d->p;
	size_t avail = (size_t)(d->end - p), len, n, i, hl = 2;

	if (!avail) {
		set_error(e, MALFORMED "no %s at byte %zu", what, off(d, p));
		return -EBADMSG;
	}
	if ((p[0] & 0x1f) == 0x1f) {
		set_error(e, MALFORMED "%s at byte %zu has a multi-byte tag", what, off(d, p));
		return -EBADMSG;
	}
	if (avail < 2)
		goto cut;
	len = p[1];
	if (len == 0x80) {
		/* The kernel reads BER; fsverity sign and i2d write DER. */
		set_error(e, MALFORMED "%s at byte %zu has an indefinite length (BER, not DER)",
			  what, off(d, p));
		return -EBADMSG;
	}
	if (len > 0x80) {
		n = len & 0x7f;
		if (n > 2) {
			set_error(e, MALFORMED "%s at byte %zu has a %zu-byte length (the kernel reads at most 2)",
				  what, off(d, p), n);
			return -EBADMSG;
		}
		if (avail < 2 + n)
			goto cut;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		if (len < (n == 1 ? 0x80u : 0x100u)) {
			set_error(e, MALFORMED "%s at byte %zu has a length in more bytes than needed (not DER)",
				  what, off(d, p));
			return -EBADMSG;
		}
		hl += n;
	}
	if (len > avail - hl)
		goto cut;
	t->tag = p[0];
	t->hdr = p;
	t->val = p + hl;
	t->len = len;
	d->p = t->val + len;
	return 0;
cut:
	set_error(e, MALFORMED "%s at byte %zu is cut short (truncated?)", what, off(d, p));
	return -EBADMSG;
}

static int der_expect(struct der *d, uint8_t tag, struct tlv *t, const char *what,
		      struct errout *e)
{
	const uint8_t *p = d->p;
	int err = der_get(d, t, what, e);

	if (!err && t->tag != tag) {
		set_error(e, MALFORMED "%s at byte %zu has tag 0x%02x, not 0x%02x", what,
			  off(d, p), t->tag, tag);
		err = -EBADMSG;
	}
	return err;
}

static bool der_at(const struct der *d, uint8_t tag)
{
	return d->p < d->end && d->p[0] == tag;
}

static struct der der_in(const struct der *outer, const struct tlv *t)
{
	struct der d = { outer->base, t->val, t->val + t->len };

	return d;
}

static int der_end(const struct der *d, const char *what, struct errout *e)
{
	if (d->p == d->end)
		return 0;
	set_error(e, MALFORMED "unexpected data at byte %zu in %s", off(d, d->p), what);
	return -EBADMSG;
}

/* An OID's dotted text; an undecodable one reads "?" and matches nothing, as in the kernel. */
static int der_oid(struct der *d, char *buf, size_t size, const char *what, struct errout *e)
{
	const unsigned char *q;
	ASN1_OBJECT *o;
	struct tlv t;
	int err = der_expect(d, 0x06, &t, what, e);

	if (err)
		return err;
	q = t.hdr;
	o = d2i_ASN1_OBJECT(NULL, &q, (long)(t.val + t.len - t.hdr));
	if (!o || OBJ_obj2txt(buf, (int)size, o, 1) <= 0)
		snprintf(buf, size, "?");
	ASN1_OBJECT_free(o);
	ERR_clear_error();
	return 0;
}

/* AlgorithmIdentifier ::= SEQUENCE { OID, ANY OPTIONAL }: the OID. */
static int der_alg(struct der *d, char *buf, size_t size, const char *what, struct errout *e)
{
	struct tlv t;
	struct der in;
	int err = der_expect(d, 0x30, &t, what, e);

	if (err)
		return err;
	in = der_in(d, &t);
	err = der_oid(&in, buf, size, what, e);
	if (!err && in.p < in.end)
		err = der_get(&in, &t, "algorithm parameters", e);
	return err ? err : der_end(&in, what, e);
}

/* Elements of a SET OF or SEQUENCE OF, each checked by @fn. */
static int der_each(struct der *d, const struct tlv *t,
		    int (*fn)(struct der *d, void *ctx, struct errout *e), void *ctx,
		    struct errout *e)
{
	struct der in = der_in(d, t);
	int err = 0;

	while (!err && in.p < in.end)
		err = fn(&in, ctx, e);
	return err;
}

static int one_digest_alg(struct der *d, void *ctx, struct errout *e)
{
	char oid[80];

	return der_alg(d, oid, sizeof(oid), "digestAlgorithms entry", e);
}

static int one_ava(struct der *d, void *ctx, struct errout *e)
{
	struct tlv t;
	struct der in;
	char oid[80];
	int err = der_expect(d, 0x30, &t, "issuer name attribute", e);

	if (err)
		return err;
	in = der_in(d, &t);
	err = der_oid(&in, oid, sizeof(oid), "issuer name attribute type", e);
	if (!err)
		err = der_get(&in, &t, "issuer name attribute value", e);
	return err ? err : der_end(&in, "an issuer name attribute", e);
}

static int one_rdn(struct der *d, void *ctx, struct errout *e)
{
	struct tlv t;
	int err = der_expect(d, 0x31, &t, "issuer name component", e);

	return err ? err : der_each(d, &t, one_ava, NULL, e);
}

/* The X.509 certificates carried in the signature: the kernel parses each. */
static int one_cert(struct der *d, void *ctx, struct errout *e)
{
	unsigned int *n = ctx;
	const unsigned char *q;
	struct tlv t;
	X509 *x;
	int err = der_expect(d, 0x30, &t, "certificate", e);

	if (err)
		return err;
	++*n;
	q = t.hdr;
	x = d2i_X509(NULL, &q, (long)(t.val + t.len - t.hdr));
	if (!x || q != t.val + t.len) {
		X509_free(x);
		set_error(e, MALFORMED "certificate %u in it is not a DER X.509 certificate", *n);
		ERR_clear_error();
		return -EBADMSG;
	}
	X509_free(x);
	return 0;
}

static const struct kernel_digest *find_digest(const char *oid)
{
	size_t i;

	for (i = 0; i < sizeof(kernel_digests) / sizeof(kernel_digests[0]); i++)
		if (!strcmp(kernel_digests[i].oid, oid))
			return &kernel_digests[i];
	return NULL;
}

static const struct sig_alg *find_sig_alg(const char *oid)
{
	size_t i;

	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (!strcmp(sig_algs[i].oid, oid))
			return &sig_algs[i];
	return NULL;
}

static enum attr find_attr(const char *oid)
{
	size_t i;

	for (i = 0; i < ATTR_OTHER; i++)
		if (!strcmp(attrs[i].oid, oid))
			return (enum attr)i;
	return ATTR_OTHER;
}

/* x509_decode_time(): UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ. */
static bool good_time(const struct tlv *t)
{
	const unsigned char *q = t->hdr;
	ASN1_TIME *tm;
	bool ok;

	if ((t->tag != V_ASN1_UTCTIME || t->len != 13) &&
	    (t->tag != V_ASN1_GENERALIZEDTIME || t->len != 15))
		return false;
	tm = d2i_ASN1_TIME(NULL, &q, (long)(t->val + t->len - t->hdr));
	ok = tm && ASN1_TIME_check(tm) == 1;
	ASN1_TIME_free(tm);
	ERR_clear_error();
	return ok;
}

/* One signer's authenticated attributes, as pkcs7_sig_note_authenticated_attr() takes them. */
static int parse_authattrs(struct sig_parse *c, struct der *d, const struct tlv *set,
			   unsigned int si, size_t *md_len, struct errout *e)
{
	struct der in = der_in(d, set);
	unsigned int seen = 0;
	bool authenticode = c->data_type == OID_MS_INDIRECT_DATA;
	int err;

	while (in.p < in.end) {
		struct tlv at, vals, v;
		struct der a, vs;
		char oid[80];
		enum attr k;

		err = der_expect(&in, 0x30, &at, "authenticated attribute", e);
		if (err)
			return err;
		a = der_in(&in, &at);
		err = der_oid(&a, oid, sizeof(oid), "authenticated attribute type", e);
		if (!err)
			err = der_expect(&a, 0x31, &vals, "authenticated attribute values", e);
		if (!err)
			err = der_end(&a, "an authenticated attribute", e);
		if (err)
			return err;
		k = find_attr(oid);
		vs = der_in(&a, &vals);
		while (vs.p < vs.end) {
			err = der_get(&vs, &v, "authenticated attribute value", e);
			if (err)
				return err;
			if (k == ATTR_OTHER)
				continue;
			if (seen & (1u << k)) {
				set_error(e, "signer %u has attribute %s twice or with several values (the kernel permits one)",
					  si, attrs[k].name);
				return -EKEYREJECTED;
			}
			seen |= 1u << k;
			switch (k) {
			case ATTR_CONTENT_TYPE: {
				struct der vd = { d->base, v.hdr, v.val + v.len };
				char ct[80] = "?";

				if (v.tag == 0x06)
					der_oid(&vd, ct, sizeof(ct), "contentType", e);
				if (strcmp(ct, c->data_type)) {
					set_error(e, MALFORMED "signer %u's contentType attribute %s is not the content type %s",
						  si, ct, c->data_type);
					return -EBADMSG;
				}
				break;
			}
			case ATTR_SIGNING_TIME:
				if (!good_time(&v)) {
					set_error(e, MALFORMED "signer %u's signingTime is not a valid time", si);
					return -EBADMSG;
				}
				break;
			case ATTR_MESSAGE_DIGEST:
				if (v.tag != 0x04) {
					set_error(e, MALFORMED "signer %u's messageDigest is not an OCTET STRING", si);
					return -EBADMSG;
				}
				*md_len = v.len;
				break;
			default:
				/* smimeCapabilities and Microsoft's attributes. */
				if (!authenticode) {
					set_error(e, "signer %u has attribute %s, which the kernel accepts only in Authenticode (sign with -noattr, as fsverity sign does)",
						  si, attrs[k].name);
					return -EKEYREJECTED;
				}
				break;
			}
		}
	}
	if (!(seen & (1u << ATTR_CONTENT_TYPE)) || !(seen & (1u << ATTR_MESSAGE_DIGEST))) {
		set_error(e, MALFORMED "signer %u's authenticated attributes lack %s", si,
			  !(seen & (1u << ATTR_CONTENT_TYPE)) ? "contentType" : "messageDigest");
		return -EBADMSG;
	}
	return 0;
}

/* A refusal only mbverity makes; the first one is kept. */
static void __attribute__((format(printf, 3, 4)))
strict(struct sig_parse *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->strict_err)
		return;
	c->strict_err = err;
	va_start(ap, fmt);
	vsnprintf(c->strict_why, sizeof(c->strict_why), fmt, ap);
	va_end(ap);
}

/* One SignerInfo (pkcs7.asn1), in the kernel's order of checks. */
static int one_signer(struct der *d, void *ctx, struct errout *e)
{
	struct sig_parse *c = ctx;
	const struct kernel_digest *dg;
	const struct sig_alg *sa;
	struct tlv t, sid;
	struct der in;
	char oid[80];
	unsigned int si = ++c->signers, version;
	size_t md_len = 0;
	bool has_attrs = false, by_skid;
	int err = der_expect(d, 0x30, &t, "SignerInfo", e);

	if (err)
		return err;
	in = der_in(d, &t);
	err = der_expect(&in, 0x02, &t, "SignerInfo version", e);
	if (err)
		return err;
	version = t.len == 1 ? t.val[0] : 0;
	if (version != 1 && version != 3) {
		set_error(e, "signer %u: SignerInfo version is not 1 or 3", si);
		return -EINVAL;
	}
	if ((version == 1) != (c->sd_version == 1)) {
		set_error(e, MALFORMED "signer %u: SignerInfo version %u in SignedData version %u",
			  si, version, c->sd_version);
		return -EBADMSG;
	}
	err = der_get(&in, &sid, "signer identifier", e);
	if (err)
		return err;
	if (sid.tag == 0x30) {
		/* issuerAndSerialNumber: issuer Name, serial INTEGER. */
		struct der is = der_in(&in, &sid);

		err = der_expect(&is, 0x30, &t, "issuer name", e);
		if (!err)
			err = der_each(&is, &t, one_rdn, NULL, e);
		if (!err)
			err = der_expect(&is, 0x02, &t, "serial number", e);
		if (!err)
			err = der_end(&is, "issuerAndSerialNumber", e);
		if (err)
			return err;
		by_skid = false;
	} else if (sid.tag == 0x80) {
		by_skid = true;
	} else {
		set_error(e, MALFORMED "signer %u's identifier has tag 0x%02x (neither issuer and serial nor key identifier)",
			  si, sid.tag);
		return -EBADMSG;
	}
	/* The kernel makes the key ID from the form the version says: the other never matches. */
	if (by_skid != (version == 3))
		strict(c, -ENOKEY, "signer %u is named by %s but its version is %u: no key can match it",
		       si, by_skid ? "key identifier" : "issuer and serial", version);
	else if (by_skid)
		strict(c, -EOPNOTSUPP, "signer %u is named by subject key identifier (CMS version 3): mbverity checks signers by issuer and serial, as fsverity sign writes them",
		       si);

	err = der_alg(&in, oid, sizeof(oid), "digest algorithm", e);
	if (err)
		return err;
	dg = find_digest(oid);
	if (!dg) {
		set_error(e, "signer %u's digest algorithm %s is not one the kernel knows", si, oid);
		return -ENOPKG;
	}
	if (c->hash_algorithm && dg->fsverity_alg != c->hash_algorithm)
		strict(c, -EKEYREJECTED, "signer %u uses digest %s, the file's hash is %s", si,
		       dg->name, mbv_hash_alg_name(c->hash_algorithm));

	if (der_at(&in, 0xa0)) {
		der_get(&in, &t, "authenticated attributes", e);
		err = parse_authattrs(c, &in, &t, si, &md_len, e);
		if (err)
			return err;
		has_attrs = true;
		c->with_attrs++;
	} else if (der_at(&in, 0xa2)) {
		set_error(e, MALFORMED "signer %u's authenticated attributes are a [2] SEQUENCE, not a [0] SET", si);
		return -EBADMSG;
	}

	err = der_alg(&in, oid, sizeof(oid), "signature algorithm", e);
	if (err)
		return err;
	sa = find_sig_alg(oid);
	if (!sa) {
		set_error(e, "signer %u's signature algorithm %s is not RSA or ECDSA", si, oid);
		return -ENOPKG;
	}
	if (sa->digest && strcmp(sa->digest, dg->name))
		strict(c, -EKEYREJECTED, "signer %u's signature algorithm %s does not go with its digest %s",
		       si, sa->name, dg->name);
	err = der_expect(&in, 0x04, &t, "signature value", e);
	if (err)
		return err;
	if (der_at(&in, 0xa1) || der_at(&in, 0xa3))
		err = der_get(&in, &t, "unauthenticated attributes", e);
	if (!err)
		err = der_end(&in, "a SignerInfo", e);
	if (err)
		return err;

	if (c->data_type == OID_MS_INDIRECT_DATA && !has_attrs) {
		set_error(e, MALFORMED "signer %u: Authenticode content without authenticated attributes", si);
		return -EBADMSG;
	}
	/* pkcs7_digest(): the attribute must be the size of the signer's digest. */
	if (has_attrs && md_len != dg->size && !c->post_err) {
		c->post_err = -EBADMSG;
		snprintf(c->post_why, sizeof(c->post_why),
			 MALFORMED "signer %u's messageDigest is %zu bytes, %s gives %u", si,
			 md_len, dg->name, dg->size);
	}
	return 0;
}

/* SignedData (pkcs7.asn1): version, digestAlgorithms, contentInfo, certificates, crls, signerInfos. */
static int parse_signed_data(struct sig_parse *c, struct der *d, struct errout *e)
{
	struct tlv t;
	struct der ci;
	char oid[80];
	unsigned int certs = 0;
	int err = der_expect(d, 0x02, &t, "SignedData version", e);

	if (err)
		return err;
	c->sd_version = t.len == 1 ? t.val[0] : 0;
	if (c->sd_version != 1 && c->sd_version != 3) {
		set_error(e, "SignedData version is not 1 or 3");
		return -EINVAL;
	}
	err = der_get(d, &t, "digestAlgorithms", e);
	if (err)
		return err;
	if (t.tag != 0x31 && t.tag != 0x30) {
		set_error(e, MALFORMED "digestAlgorithms is not a SET");
		return -EBADMSG;
	}
	err = der_each(d, &t, one_digest_alg, NULL, e);
	if (err)
		return err;

	err = der_expect(d, 0x30, &t, "contentInfo", e);
	if (err)
		return err;
	ci = der_in(d, &t);
	err = der_oid(&ci, oid, sizeof(oid), "content type", e);
	if (err)
		return err;
	if (!strcmp(oid, OID_DATA)) {
		c->data_type = OID_DATA;
	} else if (!strcmp(oid, OID_MS_INDIRECT_DATA)) {
		c->data_type = OID_MS_INDIRECT_DATA;
	} else {
		set_error(e, "signed content type is %s, not pkcs7-data", oid);
		return -EINVAL;
	}
	if (der_at(&ci, 0xa0)) {
		c->embedded = true;
		err = der_get(&ci, &t, "content", e);
	}
	if (!err)
		err = der_end(&ci, "contentInfo", e);
	if (err)
		return err;

	if (der_at(d, 0xa0) || der_at(d, 0xa2)) {
		der_get(d, &t, "certificates", e);
		err = der_each(d, &t, one_cert, &certs, e);
		if (err)
			return err;
	}
	if (der_at(d, 0xa1) || der_at(d, 0xa3))
		der_get(d, &t, "crls", e);

	err = der_get(d, &t, "signerInfos", e);
	if (err)
		return err;
	if (t.tag != 0x31 && t.tag != 0x30) {
		set_error(e, MALFORMED "signerInfos has tag 0x%02x, not a SET", t.tag);
		return -EBADMSG;
	}
	err = der_each(d, &t, one_signer, c, e);
	return err ? err : der_end(d, "SignedData", e);
}

/* Documented in mbverity.h. */
static int parse_signature_buf(uint32_t hash_algorithm, const uint8_t *sig, size_t sig_size,
			char *errbuf, size_t errbuf_size)
{
	struct errout e = { errbuf, errbuf_size };
	struct sig_parse *c;
	struct der whole = { sig, sig, sig + sig_size }, in;
	struct tlv t;
	char oid[80];
	int err;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!sig && sig_size) {
		set_error(&e, "missing argument to mbv_parse_signature");
		return -EINVAL;
	}
	if (hash_algorithm && !fsverity_md(hash_algorithm)) {
		set_error(&e, "unknown hash algorithm %u", hash_algorithm);
		return -EINVAL;
	}
	if (sig_size == 0) {
		set_error(&e, "the signature is empty");
		return -EBADMSG;
	}
	if (sig_size > MBV_MAX_SIGNATURE_SIZE) {
		set_error(&e, "signature is %zu bytes, more than fs-verity's %d", sig_size,
			  MBV_MAX_SIGNATURE_SIZE);
		return -EMSGSIZE;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_error(&e, "out of memory");
		return -ENOMEM;
	}
	c->base = sig;
	c->hash_algorithm = hash_algorithm;

	/* ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT SignedData OPTIONAL } */
	err = der_expect(&whole, 0x30, &t, "PKCS#7 ContentInfo", &e);
	if (err)
		goto out;
	in = der_in(&whole, &t);
	err = der_oid(&in, oid, sizeof(oid), "PKCS#7 content type", &e);
	if (err)
		goto out;
	if (strcmp(oid, OID_SIGNED_DATA)) {
		set_error(&e, "PKCS#7 content type is %s, not signedData", oid);
		err = -EINVAL;
		goto out;
	}
	if (in.p < in.end) {
		struct tlv sd;
		struct der a0, sdd;

		err = der_expect(&in, 0xa0, &t, "SignedData wrapper", &e);
		if (!err)
			err = der_end(&in, "ContentInfo", &e);
		if (err)
			goto out;
		a0 = der_in(&in, &t);
		err = der_expect(&a0, 0x30, &sd, "SignedData", &e);
		if (!err)
			err = der_end(&a0, "the SignedData wrapper", &e);
		if (err)
			goto out;
		sdd = der_in(&a0, &sd);
		err = parse_signed_data(c, &sdd, &e);
		if (err)
			goto out;
	}
	/* What the kernel refuses once the whole message is read, in its order. */
	err = -EINVAL;
	if (!c->signers) {
		set_error(&e, "the signature has no signer");
		goto out;
	}
	if (c->with_attrs && c->with_attrs != c->signers) {
		set_error(&e, "%u of its %u signers have authenticated attributes (the kernel wants all or none)",
			  c->with_attrs, c->signers);
		goto out;
	}
	err = -EBADMSG;
	if (c->embedded) {
		set_error(&e, MALFORMED "content is embedded, not detached");
		goto out;
	}
	if (c->data_type != OID_DATA) {
		set_error(&e, "signed content is Authenticode (msIndirectData), not pkcs7-data");
		err = -EKEYREJECTED;
		goto out;
	}
	if (c->post_err) {
		set_error(&e, "%s", c->post_why);
		err = c->post_err;
		goto out;
	}
	/* The kernel ignores bytes after the DER; mbverity stores none. */
	if (whole.p != whole.end) {
		set_error(&e, MALFORMED "%zu bytes of trailing data after the PKCS#7",
			  (size_t)(whole.end - whole.p));
		goto out;
	}
	if (c->strict_err) {
		set_error(&e, "%s", c->strict_why);
		err = c->strict_err;
		goto out;
	}
	err = 0;
out:
	free(c);
	ERR_clear_error();
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
static int sig_verifier_new_buf(const char *cert_path, struct mbv_sig_verifier **out,
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
static int sig_verifier_check_buf(const struct mbv_sig_verifier *v,
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
	/* First what the kernel refuses before it looks for a key. */
	err = parse_signature_buf(hash_algorithm, sig, sig_size, errbuf, errbuf_size);
	if (err)
		return err;
	ERR_clear_error();

	/* The parse above makes these hold; OpenSSL is asked again before use. */
	err = -EBADMSG;
	p7 = d2i_PKCS7(NULL, &p, (long)sig_size);
	if (!p7 || p != sig + sig_size || !PKCS7_type_is_signed(p7) || !p7->d.sign ||
	    ASN1_INTEGER_get(p7->d.sign->version) != 1 || !p7->d.sign->contents ||
	    !PKCS7_type_is_data(p7->d.sign->contents) || !PKCS7_get_detached(p7)) {
		set_error(&e, "malformed signature: OpenSSL cannot read it as detached PKCS#7 signedData");
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
static int verify_signature_buf(uint32_t hash_algorithm, const uint8_t *digest,
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
	err = sig_verifier_check_buf(v, hash_algorithm, digest, sig, sig_size,
				     errbuf, errbuf_size);
	mbv_sig_verifier_free(v);
	return err;
}

/* ---- the public entry points: the reason goes to the caller's callback ---- */

/* Tell @error the reason of a failed call, once; a reason-less failure gets strerror. */
static int tell(int err, const char *why, mbv_error_fn error, void *error_ctx)
{
	if (err && error)
		error(error_ctx, why[0] ? why : strerror(-err));
	return err;
}

int mbv_signer_new(const char *key_path, const char *cert_path,
		   struct mbv_signer **out, mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(signer_new_buf(key_path, cert_path, out, why, sizeof(why)), why,
		    error, error_ctx);
}

int mbv_signer_new_spec(const struct mbv_key_spec *spec, const char *cert_path,
			struct mbv_signer **out, mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(signer_new_spec_buf(spec, cert_path, out, why, sizeof(why)), why,
		    error, error_ctx);
}

int mbv_signer_sign(const struct mbv_signer *s, uint32_t hash_algorithm,
		    const uint8_t *digest, uint8_t **sig, size_t *sig_size,
		    mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(signer_sign_buf(s, hash_algorithm, digest, sig, sig_size, why, sizeof(why)),
		    why, error, error_ctx);
}

int mbv_sign_digest(uint32_t hash_algorithm, const uint8_t *digest,
		    const char *key_path, const char *cert_path,
		    uint8_t **sig, size_t *sig_size,
		    mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(sign_digest_buf(hash_algorithm, digest, key_path, cert_path, sig, sig_size,
				    why, sizeof(why)), why, error, error_ctx);
}

int mbv_parse_signature(uint32_t hash_algorithm, const uint8_t *sig, size_t sig_size,
			mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(parse_signature_buf(hash_algorithm, sig, sig_size, why, sizeof(why)), why,
		    error, error_ctx);
}

int mbv_verify_signature(uint32_t hash_algorithm, const uint8_t *digest,
			 const uint8_t *sig, size_t sig_size,
			 const char *cert_path, mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(verify_signature_buf(hash_algorithm, digest, sig, sig_size, cert_path,
					 why, sizeof(why)), why, error, error_ctx);
}

int mbv_sig_verifier_new(const char *cert_path, struct mbv_sig_verifier **out,
			 mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(sig_verifier_new_buf(cert_path, out, why, sizeof(why)), why,
		    error, error_ctx);
}

int mbv_sig_verifier_check(const struct mbv_sig_verifier *v,
			   uint32_t hash_algorithm, const uint8_t *digest,
			   const uint8_t *sig, size_t sig_size,
			   mbv_error_fn error, void *error_ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	return tell(sig_verifier_check_buf(v, hash_algorithm, digest, sig, sig_size,
					   why, sizeof(why)), why, error, error_ctx);
}
