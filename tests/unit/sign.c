/* SPDX-License-Identifier: MIT */
/* Built-in signatures: round trips, byte-identity with `fsverity sign`, signers and verifiers shared by threads, and every bad input. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "mbverity.h"

/* Keys and certificates made once by main() with the openssl command. */
static char dir[] = "/tmp/mbv-test-sign.XXXXXX";

static const char *const good_keys[] = { "rsa2048", "rsa4096", "ec256" };
static const uint32_t algs[] = { MBV_HASH_ALG_SHA256, MBV_HASH_ALG_SHA512 };

static const char *path(const char *name)
{
	static char buf[8][512];
	static unsigned int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static const char *keyf(const char *name)
{
	char n[64];

	snprintf(n, sizeof(n), "%s.key", name);
	return path(n);
}

static const char *certf(const char *name)
{
	char n[64];

	snprintf(n, sizeof(n), "%s.crt", name);
	return path(n);
}

static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = system(cmd);
	free(cmd);
	return r;
}

static uint8_t *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	ck_assert_msg(f != NULL, "open %s", p);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? (size_t)n : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void fill_digest(uint8_t *d, unsigned int seed)
{
	int i;

	for (i = 0; i < MBV_MAX_DIGEST_SIZE; i++)
		d[i] = (uint8_t)(seed * 131 + i * 7 + 1);
}

/*
 * The reason the error callback gives, kept where an errbuf kept it:
 * reason_to(@buf) empties @buf (a char[MBV_SIG_ERRBUF_SIZE]) and returns the
 * callback that fills it, so a call that succeeds leaves it empty.
 */
static void keep_reason(void *ctx, const char *msg)
{
	snprintf(ctx, MBV_SIG_ERRBUF_SIZE, "%s", msg);
}

static mbv_error_fn reason_to(char *buf)
{
	buf[0] = '\0';
	return keep_reason;
}

/* The reason is one line and names @file. */
static void check_reason(const char *why, const char *file)
{
	ck_assert_msg(why[0] != '\0', "no reason given");
	ck_assert_msg(strchr(why, '\n') == NULL, "reason spans lines: %s", why);
	if (file)
		ck_assert_msg(strstr(why, file) != NULL, "reason '%s' does not name %s",
			      why, file);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

/*
 * mbv_verify_signature(), and the same check by a verifier loaded for it:
 * one code path, so the same answer and the same reason.  When the
 * certificate cannot be loaded, mbv_verify_signature()'s answer must be the
 * load's error.  Returns mbv_verify_signature()'s answer and reason.
 */
static int verify_both_ways(uint32_t alg, const uint8_t *digest, const uint8_t *sig,
			    size_t sig_size, const char *cert, char *why,
			    size_t why_size)
{
	struct mbv_sig_verifier *v = (struct mbv_sig_verifier *)&v;
	char vwhy[MBV_SIG_ERRBUF_SIZE];
	int err, verr;

	err = mbv_verify_signature(alg, digest, sig, sig_size, cert,
				   why && why_size ? reason_to(why) : NULL, why);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	verr = mbv_sig_verifier_new(cert, &v, reason_to(vwhy), vwhy);
	if (verr) {
		ck_assert_ptr_null(v);
		ck_assert_msg(verr == err, "%s: verifier not loaded (%d: %s), mbv_verify_signature %d",
			      cert, verr, vwhy, err);
		check_reason(vwhy, cert);
		return err;
	}
	ck_assert_str_eq(vwhy, "");
	verr = mbv_sig_verifier_check(v, alg, digest, sig, sig_size, reason_to(vwhy), vwhy);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	ck_assert_msg(verr == err, "%s: verifier %d (%s), mbv_verify_signature %d", cert,
		      verr, vwhy, err);
	if (why && why_size)
		ck_assert_str_eq(vwhy, why);
	/* No callback is fine too. */
	ck_assert_int_eq(mbv_sig_verifier_check(v, alg, digest, sig, sig_size, NULL, NULL),
			 err);
	mbv_sig_verifier_free(v);
	return err;
}

START_TEST(test_round_trip)
{
	const char *k = good_keys[_i / 2];
	uint32_t alg = algs[_i % 2];
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig = NULL;
	size_t sig_size = 0;
	char why[MBV_SIG_ERRBUF_SIZE];

	fill_digest(digest, (unsigned int)_i);
	ck_assert_int_eq(mbv_sign_digest(alg, digest, keyf(k), certf(k), &sig,
					 &sig_size, reason_to(why), why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_uint_gt(sig_size, 0);
	ck_assert_uint_le(sig_size, MBV_MAX_SIGNATURE_SIZE);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	ck_assert_int_eq(verify_both_ways(alg, digest, sig, sig_size, certf(k),
					  why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	/* Another digest, or the same digest under the other algorithm. */
	digest[3] ^= 1;
	ck_assert_int_eq(verify_both_ways(alg, digest, sig, sig_size, certf(k),
					  why, sizeof(why)), -EKEYREJECTED);
	check_reason(why, NULL);
	digest[3] ^= 1;
	ck_assert_int_eq(verify_both_ways(alg ^ 3, digest, sig, sig_size, certf(k),
					  why, sizeof(why)), -EKEYREJECTED);
	check_reason(why, NULL);
	/* No callback is fine too. */
	ck_assert_int_eq(verify_both_ways(alg, digest, sig, sig_size, certf(k),
					  NULL, 0), 0);
	free(sig);
}
END_TEST

/* One PEM file holding key and certificate, as fsverity allows. */
START_TEST(test_combined_pem)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig = NULL;
	size_t sig_size;

	fill_digest(digest, 9);
	ck_assert_int_eq(mbv_sign_digest(MBV_HASH_ALG_SHA256, digest, path("both.pem"),
					 NULL, &sig, &sig_size, NULL, NULL), 0);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  certf("rsa2048"), NULL, 0), 0);
	free(sig);
}
END_TEST

struct file_case {
	const char *hash;
	unsigned int block_size;
	const char *salt;	/* hex */
	size_t size;
};

static const struct file_case file_cases[] = {
	{ "sha256", 4096, "", 100000 },
	{ "sha512", 1024, "00112233", 1 },
	{ "sha256", 65536, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0 },
	{ "sha512", 4096, "", 300001 },
	{ "sha256", 1024, "ff", 4096 * 3 + 5 },
};
#define NFILE_CASES (sizeof(file_cases) / sizeof(file_cases[0]))

struct mem_reader {
	const uint8_t *p;
};

static int read_mem(void *ctx, void *buf, size_t count)
{
	struct mem_reader *r = ctx;

	memcpy(buf, r->p, count);
	r->p += count;
	return 0;
}

static unsigned int unhex(const char *s, uint8_t *out)
{
	unsigned int n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned int v;

		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Write the case's file and compute its digest with the library. */
static void case_digest(const struct file_case *c, const char *file,
			struct mbv_tree_result *res)
{
	struct mbv_tree_params p;
	struct mem_reader r;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint8_t *data = malloc(c->size + 1);
	FILE *f;
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < c->size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, c->size, f), c->size);
	fclose(f);
	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.hash_algorithm = mbv_hash_alg_by_name(c->hash);
	p.spec.block_size = c->block_size;
	p.spec.salt_size = unhex(c->salt, salt);
	p.spec.salt = salt;
	p.file_size = c->size;
	r.p = data;
	ck_assert_int_eq(mbv_compute_tree(&p, read_mem, &r, res, NULL, NULL), 0);
	free(data);
}

static void fsverity_sign(const struct file_case *c, const char *file,
			  const char *k, const char *out)
{
	ck_assert_int_eq(sh("fsverity sign '%s' '%s' --key='%s' --cert='%s' --hash-alg=%s"
			    " --block-size=%u %s%s >/dev/null", file, out, keyf(k),
			    certf(k), c->hash, c->block_size, c->salt[0] ? "--salt=" : "",
			    c->salt), 0);
}

/* RSA (PKCS#1 v1.5) is deterministic: the same bytes as fsverity. */
START_TEST(test_rsa_identical_to_fsverity)
{
	const struct file_case *c = &file_cases[_i / 2];
	const char *k = _i % 2 ? "rsa4096" : "rsa2048";
	const char *file = path("data"), *ref = path("ref.sig");
	struct mbv_tree_result res;
	struct mbv_signer *s;
	uint8_t *sig, *want;
	size_t sig_size, want_size;

	case_digest(c, file, &res);
	fsverity_sign(c, file, k, ref);
	want = slurp(ref, &want_size);
	ck_assert_int_eq(mbv_sign_digest(res.hash_algorithm, res.digest, keyf(k),
					 certf(k), &sig, &sig_size, NULL, NULL), 0);
	ck_assert_uint_eq(sig_size, want_size);
	ck_assert_mem_eq(sig, want, sig_size);
	free(sig);
	ck_assert_int_eq(mbv_signer_new(keyf(k), certf(k), &s, NULL, NULL), 0);
	ck_assert_int_eq(mbv_signer_sign(s, res.hash_algorithm, res.digest, &sig,
					 &sig_size, NULL, NULL), 0);
	mbv_signer_free(s);
	ck_assert_uint_eq(sig_size, want_size);
	ck_assert_mem_eq(sig, want, sig_size);
	ck_assert_int_eq(verify_both_ways(res.hash_algorithm, res.digest, want,
					  want_size, certf(k), NULL, 0), 0);
	free(sig);
	free(want);
}
END_TEST

/* ECDSA is randomized: fsverity's signature must verify here. */
START_TEST(test_ecdsa_from_fsverity_verifies)
{
	const struct file_case *c = &file_cases[_i];
	const char *file = path("data"), *ref = path("ref.sig");
	struct mbv_tree_result res;
	char why[MBV_SIG_ERRBUF_SIZE];
	uint8_t *want;
	size_t want_size;

	case_digest(c, file, &res);
	fsverity_sign(c, file, "ec256", ref);
	want = slurp(ref, &want_size);
	ck_assert_int_eq(verify_both_ways(res.hash_algorithm, res.digest, want,
					  want_size, certf("ec256"), why,
					  sizeof(why)), 0);
	ck_assert_int_eq(verify_both_ways(res.hash_algorithm, res.digest, want,
					  want_size, certf("rsa2048"), why,
					  sizeof(why)), -ENOKEY);
	free(want);
}
END_TEST

static void sign_ok(const char *k, uint32_t alg, const uint8_t *digest,
		    uint8_t **sig, size_t *sig_size)
{
	ck_assert_int_eq(mbv_sign_digest(alg, digest, keyf(k), certf(k), sig,
					 sig_size, NULL, NULL), 0);
}

/*
 * Is @i the tag of NULL parameters after an algorithm OID?  The kernel's
 * ASN.1 grammar takes them as ANY and ignores them, as OpenSSL does.
 */
static bool ignored_params(const uint8_t *sig, size_t size, size_t i)
{
	size_t j;

	if (i + 1 >= size || sig[i] != 0x05 || sig[i + 1] != 0x00)
		return false;
	for (j = 0; j + 2 <= i; j++)
		if (sig[j] == 0x06 && j + 2 + sig[j + 1] == i)
			return true;
	return false;
}

/*
 * Every single-byte change is refused, as the kernel's parser would refuse
 * it, except the tag of ignored algorithm parameters.
 */
START_TEST(test_flipped_bytes)
{
	const char *k = good_keys[_i];
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig;
	char why[MBV_SIG_ERRBUF_SIZE];
	size_t sig_size, i;
	int bit;

	fill_digest(digest, 3);
	sign_ok(k, MBV_HASH_ALG_SHA256, digest, &sig, &sig_size);
	for (i = 0; i < sig_size; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			int err;

			if (ignored_params(sig, sig_size, i))
				continue;
			sig[i] ^= (uint8_t)(1 << bit);
			err = verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig,
					       sig_size, certf(k), why, sizeof(why));
			ck_assert_msg(err < 0, "flip of bit %d of byte %zu accepted", bit, i);
			check_reason(why, NULL);
			sig[i] ^= (uint8_t)(1 << bit);
		}
	}
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig,
					  sig_size, certf(k), NULL, 0), 0);
	free(sig);
}
END_TEST

START_TEST(test_bad_signatures)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig, *big;
	char why[MBV_SIG_ERRBUF_SIZE];
	size_t sig_size;

	fill_digest(digest, 5);
	sign_ok("rsa2048", MBV_HASH_ALG_SHA256, digest, &sig, &sig_size);

	/* Wrong certificate: another issuer/serial, or same one, other key. */
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  certf("other"), why, sizeof(why)), -ENOKEY);
	check_reason(why, certf("other"));
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  certf("ec256"), why, sizeof(why)), -ENOKEY);
	free(sig);
	sign_ok("serial1a", MBV_HASH_ALG_SHA256, digest, &sig, &sig_size);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  certf("serial1a"), NULL, 0), 0);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  certf("serial1b"), why, sizeof(why)),
			 -EKEYREJECTED);
	check_reason(why, certf("serial1b"));

	/* Truncated, trailing garbage, empty, oversized, not DER. */
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig,
					  sig_size - 1, certf("serial1a"), why,
					  sizeof(why)), -EBADMSG);
	check_reason(why, NULL);
	big = calloc(1, MBV_MAX_SIGNATURE_SIZE + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, sig, sig_size);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, big,
					  sig_size + 1, certf("serial1a"), why,
					  sizeof(why)), -EBADMSG);
	check_reason(why, NULL);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, big, 0,
					  certf("serial1a"), why, sizeof(why)), -EBADMSG);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, big,
					  MBV_MAX_SIGNATURE_SIZE + 1, certf("serial1a"),
					  why, sizeof(why)), -EMSGSIZE);
	check_reason(why, NULL);
	memset(big, 0x30, 64);
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, big, 64,
					  certf("serial1a"), why, sizeof(why)), -EBADMSG);
	check_reason(why, NULL);
	free(big);

	/* Certificate trouble at verify time. */
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  path("missing.crt"), why, sizeof(why)), -ENOENT);
	check_reason(why, path("missing.crt"));
	ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					  path("garbage.pem"), why, sizeof(why)), -EBADMSG);
	check_reason(why, path("garbage.pem"));
	ck_assert_int_eq(verify_both_ways(99, digest, sig, sig_size,
					  certf("serial1a"), why, sizeof(why)), -EINVAL);
	free(sig);
}
END_TEST

/*
 * Variants made by `openssl smime` and `openssl cms`: what the kernel
 * accepts, we accept; what it refuses (or we cannot check), the parse and
 * the verifier refuse with the same code.
 */
START_TEST(test_openssl_variants)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], fd[12 + MBV_MAX_DIGEST_SIZE], *sig;
	char why[MBV_SIG_ERRBUF_SIZE], pwhy[MBV_SIG_ERRBUF_SIZE];
	size_t sig_size;
	FILE *f;
	int n, err;
	char two[1024];
	static const struct {
		const char *tool, *opts;
		int want;
	} v[] = {
		{ "smime", "-noattr -nocerts", 0 },
		/* contentType, signingTime, messageDigest and the embedded cert. */
		{ "smime", "-nosmimecap", 0 },
		/* smime's default attributes include smimeCapabilities, which
		 * the kernel's parser allows only in Authenticode. */
		{ "smime", "", -EKEYREJECTED },
		{ "smime", "-noattr -nocerts -nodetach", -EBADMSG },	/* content inside */
		{ "smime", "-noattr -nocerts -md sha512", -EKEYREJECTED }, /* not the file's hash */
		{ "smime", "-noattr -nocerts -signer %s -inkey %s", 0 },	/* two signers */
		{ "cms", "-noattr -nocerts", 0 },
		{ "cms", "-nosmimecap -nocerts", 0 },
		{ "cms", "", -EKEYREJECTED },
		{ "cms", "-noattr -nocerts -keyid", -EOPNOTSUPP },	/* SignerInfo v3 */
		{ "cms", "-noattr -nocerts -stream", -EBADMSG },	/* BER */
	};
	size_t i;

	fill_digest(digest, 7);
	n = mbv_formatted_digest(MBV_HASH_ALG_SHA256, digest, fd);
	f = fopen(path("fd.bin"), "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(fd, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *md = strstr(v[i].opts, "-md") ? "" : "-md sha256";

		snprintf(two, sizeof(two), v[i].opts, certf("rsa2048"), keyf("rsa2048"));
		ck_assert_int_eq(sh("openssl %s -sign -binary -outform DER %s %s -in %s"
				    " -signer %s -inkey %s -out %s", v[i].tool, md, two,
				    path("fd.bin"), certf("ec256"), keyf("ec256"),
				    path("v.sig")), 0);
		sig = slurp(path("v.sig"), &sig_size);
		err = mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, sig_size, reason_to(pwhy), pwhy);
		ck_assert_msg(err == v[i].want, "openssl %s %s: parse %d: %s", v[i].tool,
			      v[i].opts, err, pwhy);
		if (err)
			check_reason(pwhy, NULL);
		ck_assert_msg(verify_both_ways(MBV_HASH_ALG_SHA256, digest, sig,
					       sig_size, certf("ec256"), why,
					       sizeof(why)) == v[i].want,
			      "openssl %s %s: %s", v[i].tool, v[i].opts, why);
		if (err)
			ck_assert_str_eq(why, pwhy);
		free(sig);
	}
}
END_TEST

/* ---- signatures no tool makes: a small DER writer ---- */

struct der_buf {
	uint8_t d[8192];
	size_t n;
};

static void db_put(struct der_buf *b, const void *p, size_t n)
{
	ck_assert_uint_le(b->n + n, sizeof(b->d) - 8);
	if (n)
		memcpy(b->d + b->n, p, n);
	b->n += n;
}

/* Turn b->d[start..] into the value of a @tag TLV (DER length). */
static void db_wrap(struct der_buf *b, size_t start, uint8_t tag)
{
	size_t len = b->n - start, h;
	uint8_t hdr[4] = { tag };

	if (len < 0x80) {
		hdr[1] = (uint8_t)len;
		h = 2;
	} else if (len < 0x100) {
		hdr[1] = 0x81;
		hdr[2] = (uint8_t)len;
		h = 3;
	} else {
		hdr[1] = 0x82;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		h = 4;
	}
	ck_assert_uint_le(b->n + h, sizeof(b->d));
	memmove(b->d + start + h, b->d + start, len);
	memcpy(b->d + start, hdr, h);
	b->n += h;
}

static void db_tlv(struct der_buf *b, uint8_t tag, const void *v, size_t n)
{
	size_t m = b->n;

	db_put(b, v, n);
	db_wrap(b, m, tag);
}

static void db_oid(struct der_buf *b, const char *txt)
{
	ASN1_OBJECT *o = OBJ_txt2obj(txt, 1);
	unsigned char *p = b->d + b->n;
	int n;

	ck_assert_ptr_nonnull(o);
	n = i2d_ASN1_OBJECT(o, &p);
	ck_assert_int_gt(n, 0);
	b->n += (size_t)n;
	ASN1_OBJECT_free(o);
}

static void db_alg(struct der_buf *b, const char *oid)
{
	size_t m = b->n;

	db_oid(b, oid);
	db_tlv(b, 0x05, NULL, 0);
	db_wrap(b, m, 0x30);
}

#define O_SIGNED "1.2.840.113549.1.7.2"
#define O_DATA "1.2.840.113549.1.7.1"
#define O_MS_INDIRECT "1.3.6.1.4.1.311.2.1.4"
#define O_SHA256 "2.16.840.1.101.3.4.2.1"
#define O_SHA512 "2.16.840.1.101.3.4.2.3"
#define O_MD5 "1.2.840.113549.2.5"
#define O_RSA "1.2.840.113549.1.1.1"
#define O_CT "1.2.840.113549.1.9.3"
#define O_MD "1.2.840.113549.1.9.4"
#define O_TIME "1.2.840.113549.1.9.5"

static void v_data(struct der_buf *b) { db_oid(b, O_DATA); }
static void v_ms(struct der_buf *b) { db_oid(b, O_MS_INDIRECT); }
static void v_signed(struct der_buf *b) { db_oid(b, O_SIGNED); }
static void v_int(struct der_buf *b) { db_tlv(b, 0x02, "\x01", 1); }
static void v_seq(struct der_buf *b) { db_tlv(b, 0x30, NULL, 0); }
static void v_time(struct der_buf *b) { db_tlv(b, 0x17, "261203083000Z", 13); }
static void v_badtime(struct der_buf *b) { db_tlv(b, 0x17, "261303083000Z", 13); }

static void v_md32(struct der_buf *b)
{
	static const uint8_t z[32];

	db_tlv(b, 0x04, z, sizeof(z));
}

static void v_md20(struct der_buf *b)
{
	static const uint8_t z[20];

	db_tlv(b, 0x04, z, sizeof(z));
}

/* Attribute ::= SEQUENCE { type OID, values SET OF ANY } with @n values. */
static void attr(struct der_buf *b, const char *oid, void (*val)(struct der_buf *), int n)
{
	size_t a = b->n, v;

	db_oid(b, oid);
	v = b->n;
	while (n-- > 0)
		val(b);
	db_wrap(b, v, 0x31);
	db_wrap(b, a, 0x30);
}

static void attrs_ok(struct der_buf *b)
{
	attr(b, O_CT, v_data, 1);
	attr(b, O_TIME, v_time, 1);
	attr(b, O_MD, v_md32, 1);
}

static void attrs_no_md(struct der_buf *b) { attr(b, O_CT, v_data, 1); }
static void attrs_no_ct(struct der_buf *b) { attr(b, O_MD, v_md32, 1); }

static void attrs_smime(struct der_buf *b)
{
	attrs_ok(b);
	attr(b, "1.2.840.113549.1.9.15", v_seq, 1);
}

static void attrs_ms_statement(struct der_buf *b)
{
	attrs_ok(b);
	attr(b, "1.3.6.1.4.1.311.2.1.11", v_seq, 1);
}

static void attrs_ct_twice(struct der_buf *b)
{
	attrs_ok(b);
	attr(b, O_CT, v_data, 1);
}

static void attrs_md_two_values(struct der_buf *b)
{
	attr(b, O_CT, v_data, 1);
	attr(b, O_MD, v_md32, 2);
}

static void attrs_ct_not_data(struct der_buf *b)
{
	attr(b, O_CT, v_signed, 1);
	attr(b, O_MD, v_md32, 1);
}

static void attrs_md_not_octets(struct der_buf *b)
{
	attr(b, O_CT, v_data, 1);
	attr(b, O_MD, v_int, 1);
}

static void attrs_md20(struct der_buf *b)
{
	attr(b, O_CT, v_data, 1);
	attr(b, O_MD, v_md20, 1);
}

static void attrs_bad_time(struct der_buf *b)
{
	attr(b, O_CT, v_data, 1);
	attr(b, O_TIME, v_badtime, 1);
	attr(b, O_MD, v_md32, 1);
}

static void attrs_unknown(struct der_buf *b)
{
	attrs_ok(b);
	attr(b, "1.2.3.4.5", v_seq, 3);
}

static void attrs_ms_ok(struct der_buf *b)
{
	attr(b, O_CT, v_ms, 1);
	attr(b, O_MD, v_md32, 1);
}

struct syn_signer {
	int version;			/* 0: the SignedData's */
	bool skid;			/* named by key identifier */
	const char *digest, *sig_alg;	/* NULL: sha256, rsaEncryption */
	void (*attrs)(struct der_buf *b);
	bool attrs_as_seq;		/* [2] instead of [0] */
	bool unauth;
};

struct syn {
	const char *outer, *inner;	/* NULL: signedData, data */
	bool no_sd;
	int sd_version;			/* 0: 1 */
	bool embed, certs, bad_certs, crls;
	int nsig;			/* 0: one signer; -1: none */
	struct syn_signer s[2];
	size_t trailing;
	int length_bytes;		/* 0: DER; else the outer length in so many bytes */
};

static void syn_signer(struct der_buf *b, const struct syn_signer *s, int sd_version)
{
	static const uint8_t sigval[64] = { 0x5a };
	uint8_t v = (uint8_t)(s->version ? s->version : sd_version);
	size_t si = b->n, m, n, r, a;

	db_tlv(b, 0x02, &v, 1);
	if (s->skid) {
		db_tlv(b, 0x80, sigval, 20);
	} else {
		m = b->n;
		n = b->n;
		r = b->n;
		a = b->n;
		db_oid(b, "2.5.4.3");
		db_tlv(b, 0x0c, "test", 4);
		db_wrap(b, a, 0x30);
		db_wrap(b, r, 0x31);
		db_wrap(b, n, 0x30);
		db_tlv(b, 0x02, "\x01\x23", 2);
		db_wrap(b, m, 0x30);
	}
	db_alg(b, s->digest ? s->digest : O_SHA256);
	if (s->attrs) {
		m = b->n;
		s->attrs(b);
		db_wrap(b, m, s->attrs_as_seq ? 0xa2 : 0xa0);
	}
	db_alg(b, s->sig_alg ? s->sig_alg : O_RSA);
	db_tlv(b, 0x04, sigval, sizeof(sigval));
	if (s->unauth) {
		m = b->n;
		attr(b, "1.2.840.113549.1.9.6", v_seq, 1);
		db_wrap(b, m, 0xa1);
	}
	db_wrap(b, si, 0x30);
}

static void syn_build(struct der_buf *b, const struct syn *c)
{
	int sdv = c->sd_version ? c->sd_version : 1, i;
	size_t top, a0, sd, m, ci;
	uint8_t v = (uint8_t)sdv;

	b->n = 0;
	top = b->n;
	db_oid(b, c->outer ? c->outer : O_SIGNED);
	if (!c->no_sd) {
		a0 = b->n;
		sd = b->n;
		db_tlv(b, 0x02, &v, 1);
		m = b->n;
		db_alg(b, O_SHA256);
		db_wrap(b, m, 0x31);
		ci = b->n;
		db_oid(b, c->inner ? c->inner : O_DATA);
		if (c->embed) {
			m = b->n;
			db_tlv(b, 0x04, "hello", 5);
			db_wrap(b, m, 0xa0);
		}
		db_wrap(b, ci, 0x30);
		if (c->certs || c->bad_certs) {
			size_t len;
			uint8_t *der = slurp(path("rsa2048.der"), &len);

			m = b->n;
			if (c->certs)
				db_put(b, der, len);
			else
				db_tlv(b, 0x30, "junk", 4);
			db_wrap(b, m, 0xa0);
			free(der);
		}
		if (c->crls) {
			m = b->n;
			db_tlv(b, 0x30, "crl", 3);
			db_wrap(b, m, 0xa1);
		}
		m = b->n;
		for (i = 0; i < (c->nsig ? c->nsig : 1); i++)
			syn_signer(b, &c->s[i], sdv);
		db_wrap(b, m, 0x31);
		db_wrap(b, sd, 0x30);
		db_wrap(b, a0, 0xa0);
	}
	db_wrap(b, top, 0x30);
	if (c->length_bytes) {
		/* Re-encode the outer length in more bytes than DER's. */
		size_t hl = b->d[1] < 0x80 ? 2 : 2 + (b->d[1] & 0x7f), len = b->n - hl;
		uint8_t hdr[8] = { 0x30, (uint8_t)(0x80 | c->length_bytes) };
		int k;

		for (k = 0; k < c->length_bytes; k++)
			hdr[2 + k] = (uint8_t)(len >> (8 * (c->length_bytes - 1 - k)));
		memmove(b->d + 2 + c->length_bytes, b->d + hl, len);
		memcpy(b->d, hdr, 2 + (size_t)c->length_bytes);
		b->n = 2 + (size_t)c->length_bytes + len;
	}
	memset(b->d + b->n, 0xee, c->trailing);
	b->n += c->trailing;
}

/* Each refusal of the kernel's parser, with its errno, and what it accepts. */
static const struct syn_case {
	const char *name;
	struct syn s;
	int want;
	const char *reason;		/* a part of the reason */
	int want_any_hash;		/* with hash_algorithm 0 */
} syn_cases[] = {
	{ "fsverity's form", { 0 }, 0, NULL, 0 },
	{ "content type data", { .outer = O_DATA }, -EINVAL, "not signedData", -EINVAL },
	{ "no SignedData", { .no_sd = true }, -EINVAL, "no signer", -EINVAL },
	{ "SignedData version 2", { .sd_version = 2 }, -EINVAL, "SignedData version", -EINVAL },
	{ "SignerInfo version 2", { .s = { { .version = 2 } } }, -EINVAL,
	  "SignerInfo version is not", -EINVAL },
	{ "SignerInfo 3 in SignedData 1", { .s = { { .version = 3, .skid = true } } },
	  -EBADMSG, "SignerInfo version 3 in SignedData version 1", -EBADMSG },
	{ "CMS v3, key identifier", { .sd_version = 3, .s = { { .skid = true } } },
	  -EOPNOTSUPP, "subject key identifier", -EOPNOTSUPP },
	{ "v3 with issuer and serial", { .sd_version = 3 }, -ENOKEY, "no key can match",
	  -ENOKEY },
	{ "v1 with key identifier", { .s = { { .skid = true } } }, -ENOKEY,
	  "no key can match", -ENOKEY },
	{ "signed content signedData", { .inner = O_SIGNED }, -EINVAL, "not pkcs7-data",
	  -EINVAL },
	{ "Authenticode", { .inner = O_MS_INDIRECT, .s = { { .attrs = attrs_ms_ok } } },
	  -EKEYREJECTED, "Authenticode", -EKEYREJECTED },
	{ "Authenticode without attributes", { .inner = O_MS_INDIRECT }, -EBADMSG,
	  "without authenticated attributes", -EBADMSG },
	{ "embedded content", { .embed = true }, -EBADMSG, "embedded, not detached", -EBADMSG },
	{ "no signer", { .nsig = -1 }, -EINVAL, "no signer", -EINVAL },
	{ "two signers", { .nsig = 2 }, 0, NULL, 0 },
	{ "two signers, both with attributes",
	  { .nsig = 2, .s = { { .attrs = attrs_ok }, { .attrs = attrs_ok } } }, 0, NULL, 0 },
	{ "two signers, attributes on one", { .nsig = 2, .s = { { .attrs = attrs_ok } } },
	  -EINVAL, "1 of its 2 signers", -EINVAL },
	{ "digest md5", { .s = { { .digest = O_MD5 } } }, -EKEYREJECTED,
	  "uses digest md5, the file's hash is sha256", 0 },
	{ "digest sha512 for a sha256 file", { .s = { { .digest = O_SHA512 } } },
	  -EKEYREJECTED, "the file's hash is sha256", 0 },
	{ "digest whirlpool", { .s = { { .digest = "1.0.10118.3.0.55" } } }, -ENOPKG,
	  "not one the kernel knows", -ENOPKG },
	{ "sha256WithRSAEncryption", { .s = { { .sig_alg = "1.2.840.113549.1.1.11" } } },
	  -ENOPKG, "not RSA or ECDSA", -ENOPKG },
	{ "GOST key", { .s = { { .sig_alg = "1.2.643.7.1.1.1.1" } } }, -ENOPKG,
	  "not RSA or ECDSA", -ENOPKG },
	{ "ecdsa-with-SHA256", { .s = { { .sig_alg = "1.2.840.10045.4.3.2" } } }, 0, NULL, 0 },
	{ "ecdsa-with-SHA512 over sha256", { .s = { { .sig_alg = "1.2.840.10045.4.3.4" } } },
	  -EKEYREJECTED, "does not go with its digest sha256", -EKEYREJECTED },
	{ "authenticated attributes", { .s = { { .attrs = attrs_ok } } }, 0, NULL, 0 },
	{ "an unknown attribute", { .s = { { .attrs = attrs_unknown } } }, 0, NULL, 0 },
	{ "no messageDigest", { .s = { { .attrs = attrs_no_md } } }, -EBADMSG,
	  "lack messageDigest", -EBADMSG },
	{ "no contentType", { .s = { { .attrs = attrs_no_ct } } }, -EBADMSG,
	  "lack contentType", -EBADMSG },
	{ "smimeCapabilities", { .s = { { .attrs = attrs_smime } } }, -EKEYREJECTED,
	  "smimeCapabilities", -EKEYREJECTED },
	{ "msStatementType", { .s = { { .attrs = attrs_ms_statement } } }, -EKEYREJECTED,
	  "msStatementType", -EKEYREJECTED },
	{ "contentType twice", { .s = { { .attrs = attrs_ct_twice } } }, -EKEYREJECTED,
	  "contentType twice", -EKEYREJECTED },
	{ "two messageDigest values", { .s = { { .attrs = attrs_md_two_values } } },
	  -EKEYREJECTED, "messageDigest twice", -EKEYREJECTED },
	{ "contentType signedData", { .s = { { .attrs = attrs_ct_not_data } } }, -EBADMSG,
	  "is not the content type", -EBADMSG },
	{ "messageDigest INTEGER", { .s = { { .attrs = attrs_md_not_octets } } }, -EBADMSG,
	  "not an OCTET STRING", -EBADMSG },
	{ "messageDigest of 20 bytes", { .s = { { .attrs = attrs_md20 } } }, -EBADMSG,
	  "messageDigest is 20 bytes, sha256 gives 32", -EBADMSG },
	{ "signingTime month 13", { .s = { { .attrs = attrs_bad_time } } }, -EBADMSG,
	  "signingTime", -EBADMSG },
	{ "attributes as [2]", { .s = { { .attrs = attrs_ok, .attrs_as_seq = true } } },
	  -EBADMSG, "[2] SEQUENCE", -EBADMSG },
	{ "unauthenticated attributes", { .s = { { .unauth = true } } }, 0, NULL, 0 },
	{ "crls", { .crls = true }, 0, NULL, 0 },
	{ "a certificate", { .certs = true }, 0, NULL, 0 },
	{ "a broken certificate", { .bad_certs = true }, -EBADMSG, "certificate 1", -EBADMSG },
	{ "trailing bytes", { .trailing = 3 }, -EBADMSG, "3 bytes of trailing data", -EBADMSG },
	{ "length in 2 bytes", { .length_bytes = 2 }, -EBADMSG, "more bytes than needed",
	  -EBADMSG },
	{ "length in 3 bytes", { .length_bytes = 3 }, -EBADMSG, "3-byte length", -EBADMSG },
};

START_TEST(test_parse_refusals)
{
	const struct syn_case *c = &syn_cases[_i];
	struct der_buf *b = malloc(sizeof(*b));
	char why[MBV_SIG_ERRBUF_SIZE];
	int err;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sh("openssl x509 -in %s -outform DER -out %s", certf("rsa2048"),
			    path("rsa2048.der")), 0);
	syn_build(b, &c->s);
	err = mbv_parse_signature(MBV_HASH_ALG_SHA256, b->d, b->n, reason_to(why), why);
	ck_assert_msg(err == c->want, "%s: %d, want %d: %s", c->name, err, c->want, why);
	if (c->want) {
		check_reason(why, NULL);
		ck_assert_msg(strstr(why, c->reason) != NULL, "%s: reason '%s' lacks '%s'",
			      c->name, why, c->reason);
	} else {
		ck_assert_str_eq(why, "");
	}
	ck_assert_int_eq(mbv_parse_signature(0, b->d, b->n, NULL, NULL), c->want_any_hash);
	/* The verifier refuses it first with the same code and reason. */
	if (c->want)
		ck_assert_int_eq(verify_both_ways(MBV_HASH_ALG_SHA256, b->d, b->d, b->n,
						  certf("rsa2048"), NULL, 0), c->want);
	free(b);
}
END_TEST

/* fsverity-utils' signatures, RSA and EC, each hash: accepted, and only for their hash. */
START_TEST(test_parse_fsverity_signatures)
{
	const struct file_case *c = &file_cases[_i % NFILE_CASES];
	const char *k = good_keys[_i / NFILE_CASES];
	const char *file = path("data"), *ref = path("ref.sig");
	struct mbv_tree_result res;
	char why[MBV_SIG_ERRBUF_SIZE];
	uint8_t *sig;
	size_t size;

	case_digest(c, file, &res);
	fsverity_sign(c, file, k, ref);
	sig = slurp(ref, &size);
	ck_assert_int_eq(mbv_parse_signature(res.hash_algorithm, sig, size, reason_to(why), why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(mbv_parse_signature(0, sig, size, reason_to(why), why), 0);
	ck_assert_int_eq(mbv_parse_signature(res.hash_algorithm ^ 3, sig, size, reason_to(why),
					     why), -EKEYREJECTED);
	check_reason(why, NULL);
	free(sig);
}
END_TEST

/* Hostile bytes: random, every truncation, trailing data, sizes, arguments. */
START_TEST(test_parse_hostile)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig, *buf;
	char why[MBV_SIG_ERRBUF_SIZE];
	size_t size, n, i;
	unsigned int seed = 12345;
	int err;

	fill_digest(digest, 9);
	sign_ok("rsa2048", MBV_HASH_ALG_SHA256, digest, &sig, &size);
	buf = malloc(MBV_MAX_SIGNATURE_SIZE + 1);
	ck_assert_ptr_nonnull(buf);
	for (n = 1; n < size; n++) {
		err = mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, n, reason_to(why), why);
		ck_assert_msg(err == -EBADMSG, "truncated to %zu: %d", n, err);
		check_reason(why, NULL);
	}
	memcpy(buf, sig, size);
	buf[size] = 0;
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, buf, size + 1, reason_to(why),
					     why), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "1 bytes of trailing data"));
	/* A multi-byte tag and an indefinite length where the signature starts. */
	buf[0] = 0x3f;
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, buf, size, reason_to(why),
					     why), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "multi-byte tag"));
	buf[0] = 0x30;
	buf[1] = 0x80;
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, buf, size, reason_to(why),
					     why), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "indefinite length (BER"));
	/* Random bytes, whatever they start with. */
	for (i = 0; i < 2000; i++) {
		n = 1 + (size_t)rand_r(&seed) % 400;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (i & 1)
			buf[0] = 0x30;
		err = mbv_parse_signature(MBV_HASH_ALG_SHA256, buf, n, reason_to(why), why);
		ck_assert_msg(err < 0, "random bytes %zu accepted", i);
		check_reason(why, NULL);
	}
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, buf, 0, reason_to(why), why),
			 -EBADMSG);
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, buf,
					     MBV_MAX_SIGNATURE_SIZE + 1, reason_to(why), why),
			 -EMSGSIZE);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, NULL, 5, reason_to(why), why),
			 -EINVAL);
	ck_assert_int_eq(mbv_parse_signature(99, sig, size, reason_to(why), why), -EINVAL);
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, size, reason_to(why), why), 0);
	free(buf);
	free(sig);
}
END_TEST

/* Key and certificate pairs that cannot sign, and the error. */
static const struct bad_key {
	const char *key, *cert;
	int want;
	int names;	/* 0: the key, 1: the cert in the reason */
} bad_keys[] = {
	{ "rsa2048.key", "other.crt", -EKEYREJECTED, 1 },
	{ "ec256.key", "rsa2048.crt", -EKEYREJECTED, 1 },
	{ "enc_pkcs8.key", "enc.crt", -ENOKEY, 0 },
	{ "enc_trad.key", "enc.crt", -ENOKEY, 0 },
	{ "garbage.pem", "rsa2048.crt", -EBADMSG, 0 },
	{ "empty.pem", "rsa2048.crt", -EBADMSG, 0 },
	{ "rsa2048.crt", "rsa2048.crt", -EBADMSG, 0 },	/* no key in it */
	{ "truncated.key", "rsa2048.crt", -EBADMSG, 0 },
	{ "rsa2048.key", "garbage.pem", -EBADMSG, 1 },
	{ "rsa2048.key", "rsa2048.key", -EBADMSG, 1 },	/* no cert in it */
	{ "rsa2048.key", "truncated.crt", -EBADMSG, 1 },
	{ "missing.key", "rsa2048.crt", -ENOENT, 0 },
	{ "rsa2048.key", "missing.crt", -ENOENT, 1 },
	{ ".", "rsa2048.crt", -EBADMSG, 0 },
	{ "bigname.key", "bigname.crt", -EMSGSIZE, 1 },
};

START_TEST(test_bad_keys)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig = (uint8_t *)"x";
	char why[MBV_SIG_ERRBUF_SIZE];
	size_t sig_size = 1, i;

	fill_digest(digest, 11);
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		const struct bad_key *c = &bad_keys[i];
		const char *k = path(c->key), *ce = path(c->cert);
		int err = mbv_sign_digest(MBV_HASH_ALG_SHA256, digest, k, ce, &sig,
					  &sig_size, reason_to(why), why);

		ck_assert_msg(err == c->want, "%s + %s: %d (%s), want %d", c->key,
			      c->cert, err, why, c->want);
		ck_assert_ptr_null(sig);
		ck_assert_uint_eq(sig_size, 0);
		check_reason(why, c->names ? ce : k);
	}
	ck_assert_int_eq(mbv_sign_digest(7, digest, keyf("rsa2048"), certf("rsa2048"),
					 &sig, &sig_size, reason_to(why), why), -EINVAL);
}
END_TEST

/* Sign @digest with @s, checking the success contract. */
static void signer_ok(const struct mbv_signer *s, uint32_t alg, const uint8_t *digest,
		      uint8_t **sig, size_t *sig_size)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	ck_assert_int_eq(mbv_signer_sign(s, alg, digest, sig, sig_size, reason_to(why),
					 why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_ptr_nonnull(*sig);
	ck_assert_uint_gt(*sig_size, 0);
	ck_assert_uint_le(*sig_size, MBV_MAX_SIGNATURE_SIZE);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

static bool is_rsa(const char *k)
{
	return strncmp(k, "rsa", 3) == 0;
}

/* A signer signs what mbv_sign_digest() signs: the same bytes for RSA. */
START_TEST(test_signer_like_sign_digest)
{
	const char *k = good_keys[_i / 2];
	uint32_t alg = algs[_i % 2];
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *a, *b;
	char why[MBV_SIG_ERRBUF_SIZE];
	struct mbv_signer *s = NULL;
	size_t na, nb;

	fill_digest(digest, 20 + (unsigned int)_i);
	ck_assert_int_eq(mbv_signer_new(keyf(k), certf(k), &s, reason_to(why), why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	signer_ok(s, alg, digest, &a, &na);
	sign_ok(k, alg, digest, &b, &nb);
	if (is_rsa(k)) {
		ck_assert_uint_eq(na, nb);
		ck_assert_mem_eq(a, b, na);
	}
	ck_assert_int_eq(verify_both_ways(alg, digest, a, na, certf(k), why,
					  sizeof(why)), 0);
	ck_assert_int_eq(verify_both_ways(alg, digest, b, nb, certf(k), why,
					  sizeof(why)), 0);
	free(a);
	free(b);
	mbv_signer_free(s);
}
END_TEST

/* cert_path NULL: key and certificate from one PEM, as mbv_sign_digest(). */
START_TEST(test_signer_combined_pem)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *a, *b;
	struct mbv_signer *s = NULL;
	size_t na, nb;

	fill_digest(digest, 31);
	ck_assert_int_eq(mbv_signer_new(path("both.pem"), NULL, &s, NULL, NULL), 0);
	signer_ok(s, MBV_HASH_ALG_SHA256, digest, &a, &na);
	mbv_signer_free(s);
	sign_ok("rsa2048", MBV_HASH_ALG_SHA256, digest, &b, &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(a, b, na);
	free(a);
	free(b);
}
END_TEST

/* What a test's ask_passphrase() answers, and how often it was asked. */
struct asker {
	const char *answer;	/* NULL: refuse */
	int calls;
};

static int ask(char *buf, int size, const char *what, void *arg)
{
	struct asker *a = arg;
	int n;

	a->calls++;
	ck_assert_ptr_nonnull(strstr(what, "enc_"));
	if (!a->answer)
		return -1;
	n = (int)strlen(a->answer);
	ck_assert_int_le(n, size);
	memcpy(buf, a->answer, (size_t)n);
	return n;
}

/*
 * mbv_signer_new_spec(): an encrypted key (PKCS#8 and traditional) with a
 * passin or an asker signs what the plain key signs; a wrong passphrase, a
 * refusal, a bad passin or a bad spec fail with their codes and leave nothing.
 */
/* How often the callback was called, and its last line. */
struct told {
	int calls;
	char last[MBV_SIG_ERRBUF_SIZE];
};

static void count_reason(void *ctx, const char *msg)
{
	struct told *t = ctx;

	t->calls++;
	snprintf(t->last, sizeof(t->last), "%s", msg);
}

#define TOLD_ONCE(call, want_err, t) do {					\
	(t)->calls = 0;								\
	ck_assert_int_eq((call), (want_err));					\
	ck_assert_int_eq((t)->calls, (want_err) ? 1 : 0);			\
	if (want_err) {								\
		ck_assert_msg((t)->last[0] != '\0', "empty reason");		\
		ck_assert_ptr_null(strchr((t)->last, '\n'));			\
	}									\
} while (0)

/*
 * The one error shape: every signature function tells a failure to its
 * mbv_error_fn once, in one line, and a success not at all; NULL is fine.
 */
START_TEST(test_error_callback_once)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig;
	struct mbv_sig_verifier *v;
	struct mbv_signer *s;
	struct mbv_key_spec spec = { .version = MBV_KEY_SPEC_VERSION, .key = keyf("rsa2048") };
	struct told t;
	size_t n;

	fill_digest(digest, 7);
	TOLD_ONCE(mbv_signer_new(keyf("rsa2048"), certf("rsa2048"), &s, count_reason, &t), 0, &t);
	TOLD_ONCE(mbv_signer_sign(s, MBV_HASH_ALG_SHA256, digest, &sig, &n, count_reason, &t), 0, &t);
	free(sig);
	TOLD_ONCE(mbv_signer_sign(s, 77, digest, &sig, &n, count_reason, &t), -EINVAL, &t);
	ck_assert_ptr_null(sig);
	ck_assert_ptr_nonnull(strstr(t.last, "unknown hash algorithm 77"));
	mbv_signer_free(s);
	TOLD_ONCE(mbv_signer_new(path("nonexistent.key"), certf("rsa2048"), &s, count_reason, &t),
		  -ENOENT, &t);
	ck_assert_ptr_nonnull(strstr(t.last, "nonexistent.key"));
	TOLD_ONCE(mbv_signer_new_spec(&spec, certf("rsa2048"), &s, count_reason, &t), 0, &t);
	mbv_signer_free(s);
	spec.reserved[1] = 1;
	TOLD_ONCE(mbv_signer_new_spec(&spec, certf("rsa2048"), &s, count_reason, &t), -EINVAL, &t);
	ck_assert_ptr_nonnull(strstr(t.last, "reserved"));
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("rsa2048"), &s, NULL, NULL), -EINVAL);

	TOLD_ONCE(mbv_sign_digest(MBV_HASH_ALG_SHA256, digest, keyf("rsa2048"), certf("rsa2048"),
				  &sig, &n, count_reason, &t), 0, &t);
	TOLD_ONCE(mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, n, count_reason, &t), 0, &t);
	TOLD_ONCE(mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, n - 1, count_reason, &t),
		  -EBADMSG, &t);
	TOLD_ONCE(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig, n, certf("rsa2048"),
				       count_reason, &t), 0, &t);
	TOLD_ONCE(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig, n, certf("other"),
				       count_reason, &t), -ENOKEY, &t);
	TOLD_ONCE(mbv_sig_verifier_new(certf("rsa2048"), &v, count_reason, &t), 0, &t);
	TOLD_ONCE(mbv_sig_verifier_check(v, MBV_HASH_ALG_SHA256, digest, sig, n, count_reason, &t),
		  0, &t);
	digest[0] ^= 1;
	TOLD_ONCE(mbv_sig_verifier_check(v, MBV_HASH_ALG_SHA256, digest, sig, n, count_reason, &t),
		  -EKEYREJECTED, &t);
	mbv_sig_verifier_free(v);
	TOLD_ONCE(mbv_sig_verifier_new(path("nonexistent.crt"), &v, count_reason, &t), -ENOENT, &t);
	ck_assert_ptr_nonnull(strstr(t.last, "nonexistent.crt"));
	free(sig);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(test_signer_spec)
{
	static const char *const keys[] = { "enc_pkcs8.key", "enc_trad.key" };
	char key[512];
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *a, *b;
	char why[MBV_SIG_ERRBUF_SIZE];
	struct mbv_signer *s, *plain;
	struct mbv_key_spec spec;
	struct asker asker;
	size_t na, nb;

	snprintf(key, sizeof(key), "%s", path(keys[_i]));	/* path()'s buffers rotate */
	fill_digest(digest, 41);
	ck_assert_int_eq(mbv_signer_new(keyf("enc"), certf("enc"), &plain, reason_to(why), why), 0);
	signer_ok(plain, MBV_HASH_ALG_SHA256, digest, &b, &nb);

	memset(&spec, 0, sizeof(spec));
	spec.version = MBV_KEY_SPEC_VERSION;
	spec.key = key;
	spec.passin = "pass:secret";
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), 0);
	signer_ok(s, MBV_HASH_ALG_SHA256, digest, &a, &na);
	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(a, b, na);
	free(a);
	mbv_signer_free(s);

	spec.passin = "pass:wrong";
	s = plain;
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why),
			 -EKEYREJECTED);
	ck_assert_ptr_null(s);
	check_reason(why, key);
	ck_assert_ptr_nonnull(strstr(why, "wrong passphrase"));

	/* Asked once, the answer used; a refusal is -ENOKEY, asked once too. */
	spec.passin = NULL;
	spec.ask_passphrase = ask;
	spec.ask_arg = &asker;
	asker = (struct asker){ "secret", 0 };
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), 0);
	ck_assert_int_eq(asker.calls, 1);
	signer_ok(s, MBV_HASH_ALG_SHA256, digest, &a, &na);
	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(a, b, na);
	free(a);
	mbv_signer_free(s);
	asker = (struct asker){ NULL, 0 };
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -ENOKEY);
	ck_assert_int_eq(asker.calls, 1);
	ck_assert_ptr_null(s);
	asker = (struct asker){ "wrong", 0 };
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why),
			 -EKEYREJECTED);
	ck_assert_int_eq(asker.calls, 1);
	/* A passin wins over the asker. */
	spec.passin = "pass:secret";
	asker = (struct asker){ "wrong", 0 };
	ck_assert_msg(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why) == 0, "%s", why);
	ck_assert_int_eq(asker.calls, 0);
	mbv_signer_free(s);

	/* Bad passins and specs. */
	spec.passin = "secret";
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	ck_assert_ptr_null(strstr(why, "secret"));
	spec.passin = "env:MBV_TEST_NO_SUCH_VARIABLE";
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	spec.passin = "pass:secret";
	spec.version = 0;
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "version 0"));
	spec.version = MBV_KEY_SPEC_VERSION;
	spec.reserved[3] = 1;
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "reserved[] is reserved"));
	spec.reserved[3] = 0;
	spec.reserved0 = 1;
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "reserved0 is reserved"));
	spec.reserved0 = 0;
	spec.pkcs11_keyid = "01";	/* a key id without an engine */
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	spec.pkcs11_keyid = NULL;
	spec.key = NULL;
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why), -EINVAL);
	spec.pkcs11_engine = "/nonexistent/engine.so";	/* a token: the cert must be given */
	ck_assert_int_eq(mbv_signer_new_spec(&spec, NULL, &s, reason_to(why), why), -EINVAL);
	ck_assert_int_eq(mbv_signer_new_spec(&spec, certf("enc"), &s, reason_to(why), why),
			 mbv_key_engine_supported() ? -ELIBBAD : -ENOTSUP);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(mbv_signer_new_spec(NULL, certf("enc"), &s, reason_to(why), why), -EINVAL);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	free(b);
	mbv_signer_free(plain);
}
END_TEST

/* One signer, many digests under both algorithms; every one verifies. */
START_TEST(test_signer_many)
{
	const char *k = _i ? "ec256" : "rsa2048";
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig, *first = NULL, *ref;
	char why[MBV_SIG_ERRBUF_SIZE];
	struct mbv_signer *s = NULL;
	size_t sig_size, first_size = 0, ref_size;
	unsigned int j;

	ck_assert_int_eq(mbv_signer_new(keyf(k), certf(k), &s, NULL, NULL), 0);
	for (j = 0; j < 300; j++) {
		uint32_t alg = algs[j % 2];

		fill_digest(digest, j);
		signer_ok(s, alg, digest, &sig, &sig_size);
		ck_assert_msg(verify_both_ways(alg, digest, sig, sig_size, certf(k),
					       why, sizeof(why)) == 0,
			      "signature %u: %s", j, why);
		if (is_rsa(k) && j % 50 == 0) {
			sign_ok(k, alg, digest, &ref, &ref_size);
			ck_assert_uint_eq(sig_size, ref_size);
			ck_assert_mem_eq(sig, ref, sig_size);
			free(ref);
		}
		if (j == 0) {
			first = sig;
			first_size = sig_size;
		} else {
			free(sig);
		}
	}
	/* Nothing in the signer changed: digest 0 again gives the same bytes. */
	fill_digest(digest, 0);
	signer_ok(s, algs[0], digest, &sig, &sig_size);
	if (is_rsa(k)) {
		ck_assert_uint_eq(sig_size, first_size);
		ck_assert_mem_eq(sig, first, sig_size);
	}
	ck_assert_int_eq(verify_both_ways(algs[0], digest, sig, sig_size, certf(k),
					  NULL, 0), 0);
	free(sig);
	free(first);
	mbv_signer_free(s);
}
END_TEST

#define SIGN_THREADS	4
#define SIGNS_PER_THREAD 24

/*
 * One thread's work.  Check's assertions are for the main thread only, so
 * the threads record what happened and the test checks it after joining.
 * Paths are made before the threads start (path() is not thread-safe).
 */
struct sign_job {
	const struct mbv_signer *s;
	const char *cert;
	pthread_barrier_t *start;
	uint8_t *sig[SIGNS_PER_THREAD];
	size_t sig_size[SIGNS_PER_THREAD];
	int sign_err[SIGNS_PER_THREAD];
	int verify_err[SIGNS_PER_THREAD];
	bool stale_errors;	/* OpenSSL errors left in this thread's queue */
	char why[MBV_SIG_ERRBUF_SIZE + 32];	/* the first failure */
};

static void *sign_thread(void *arg)
{
	struct sign_job *job = arg;
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	char why[MBV_SIG_ERRBUF_SIZE];
	unsigned int j;

	pthread_barrier_wait(job->start);
	for (j = 0; j < SIGNS_PER_THREAD; j++) {
		uint32_t alg = algs[j % 2];

		fill_digest(digest, 100 + j);
		job->sign_err[j] = mbv_signer_sign(job->s, alg, digest, &job->sig[j],
						   &job->sig_size[j], reason_to(why), why);
		if (job->sign_err[j] && !job->why[0])
			snprintf(job->why, sizeof(job->why), "sign %u: %s", j, why);
		if (ERR_peek_error())
			job->stale_errors = true;
		if (job->sign_err[j])
			continue;
		job->verify_err[j] = mbv_verify_signature(alg, digest, job->sig[j],
							  job->sig_size[j], job->cert,
							  reason_to(why), why);
		if (job->verify_err[j] && !job->why[0])
			snprintf(job->why, sizeof(job->why), "verify %u: %s", j, why);
	}
	return NULL;
}

/* SIGN_THREADS threads sign at once with one signer. */
START_TEST(test_signer_threads)
{
	const char *k = _i ? "ec256" : "rsa2048";
	struct sign_job jobs[SIGN_THREADS];
	pthread_t tid[SIGN_THREADS];
	pthread_barrier_t start;
	struct mbv_signer *s = NULL;
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *ref[SIGNS_PER_THREAD];
	size_t ref_size[SIGNS_PER_THREAD];
	const char *cert = certf(k);
	unsigned int t, j;

	ck_assert_int_eq(mbv_signer_new(keyf(k), cert, &s, NULL, NULL), 0);
	/* The single-thread answers, from the same signer. */
	for (j = 0; j < SIGNS_PER_THREAD; j++) {
		fill_digest(digest, 100 + j);
		signer_ok(s, algs[j % 2], digest, &ref[j], &ref_size[j]);
	}
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, SIGN_THREADS), 0);
	memset(jobs, 0, sizeof(jobs));
	for (t = 0; t < SIGN_THREADS; t++) {
		jobs[t].s = s;
		jobs[t].cert = cert;
		jobs[t].start = &start;
		ck_assert_int_eq(pthread_create(&tid[t], NULL, sign_thread, &jobs[t]), 0);
	}
	for (t = 0; t < SIGN_THREADS; t++)
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
	pthread_barrier_destroy(&start);

	for (t = 0; t < SIGN_THREADS; t++) {
		struct sign_job *job = &jobs[t];

		ck_assert_msg(!job->why[0], "thread %u: %s", t, job->why);
		ck_assert_msg(!job->stale_errors, "thread %u left OpenSSL errors", t);
		for (j = 0; j < SIGNS_PER_THREAD; j++) {
			ck_assert_int_eq(job->sign_err[j], 0);
			ck_assert_int_eq(job->verify_err[j], 0);
			if (is_rsa(k)) {
				ck_assert_uint_eq(job->sig_size[j], ref_size[j]);
				ck_assert_mem_eq(job->sig[j], ref[j], ref_size[j]);
			}
			free(job->sig[j]);
		}
	}
	for (j = 0; j < SIGNS_PER_THREAD; j++)
		free(ref[j]);
	mbv_signer_free(s);
}
END_TEST

/* mbv_signer_new() fails as mbv_sign_digest() does, and leaves nothing. */
START_TEST(test_signer_bad_keys)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig = (uint8_t *)"x";
	char why[MBV_SIG_ERRBUF_SIZE];
	struct mbv_signer *s, *junk = (struct mbv_signer *)why;
	size_t sig_size = 1, i;

	fill_digest(digest, 13);
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		const struct bad_key *c = &bad_keys[i];
		const char *k = path(c->key), *ce = path(c->cert);
		int err;

		s = junk;
		err = mbv_signer_new(k, ce, &s, reason_to(why), why);
		if (c->want == -EMSGSIZE) {
			/* Loads fine; only the signature is too big. */
			ck_assert_int_eq(err, 0);
			ck_assert_int_eq(mbv_signer_sign(s, MBV_HASH_ALG_SHA256, digest,
							 &sig, &sig_size, reason_to(why),
							 why), -EMSGSIZE);
			ck_assert_ptr_null(sig);
			ck_assert_uint_eq(sig_size, 0);
			check_reason(why, ce);
			mbv_signer_free(s);
			continue;
		}
		ck_assert_msg(err == c->want, "%s + %s: %d (%s), want %d", c->key,
			      c->cert, err, why, c->want);
		ck_assert_ptr_null(s);
		check_reason(why, c->names ? ce : k);
		/* No callback is fine too. */
		s = junk;
		ck_assert_int_eq(mbv_signer_new(k, ce, &s, NULL, NULL), c->want);
		ck_assert_ptr_null(s);
		ck_assert_uint_eq(ERR_peek_error(), 0);
	}

	/* Missing arguments; an unknown algorithm at signing time. */
	ck_assert_int_eq(mbv_signer_new(NULL, NULL, &s, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_signer_new(keyf("rsa2048"), NULL, NULL, reason_to(why), why),
			 -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_signer_sign(NULL, MBV_HASH_ALG_SHA256, digest, &sig,
					 &sig_size, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_signer_new(keyf("rsa2048"), certf("rsa2048"), &s, NULL, NULL), 0);
	sig = (uint8_t *)"x";
	sig_size = 1;
	ck_assert_int_eq(mbv_signer_sign(s, 7, digest, &sig, &sig_size, reason_to(why),
					 why), -EINVAL);
	ck_assert_ptr_null(sig);
	ck_assert_uint_eq(sig_size, 0);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_signer_sign(s, MBV_HASH_ALG_SHA256, NULL, &sig, &sig_size,
					 reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	/* Still good after the failures. */
	signer_ok(s, MBV_HASH_ALG_SHA256, digest, &sig, &sig_size);
	free(sig);
	mbv_signer_free(s);
	mbv_signer_free(NULL);
}
END_TEST

/* A good signature: mbv_sig_verifier_check()'s success contract. */
static void check_ok(const struct mbv_sig_verifier *v, uint32_t alg,
		     const uint8_t *digest, const uint8_t *sig, size_t sig_size)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	ck_assert_msg(mbv_sig_verifier_check(v, alg, digest, sig, sig_size, reason_to(why),
					     why) == 0, "%s", why);
	ck_assert_str_eq(why, "");
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

/* A bad one: the error and a one-line reason, naming @file if not NULL. */
static void check_bad(const struct mbv_sig_verifier *v, uint32_t alg,
		      const uint8_t *digest, const uint8_t *sig, size_t sig_size,
		      int want, const char *file)
{
	char why[MBV_SIG_ERRBUF_SIZE];

	ck_assert_int_eq(mbv_sig_verifier_check(v, alg, digest, sig, sig_size, reason_to(why),
						why), want);
	check_reason(why, file);
}

/*
 * One verifier, many signatures under both algorithms: good ones pass, bad
 * ones fail, in any order, and the answers are mbv_verify_signature()'s.
 */
START_TEST(test_verifier_many)
{
	const char *k = _i ? "ec256" : "rsa2048";
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig, *first, *other;
	char why[MBV_SIG_ERRBUF_SIZE], vwhy[MBV_SIG_ERRBUF_SIZE];
	struct mbv_sig_verifier *v = NULL;
	struct mbv_signer *s = NULL;
	size_t sig_size, first_size, other_size;
	unsigned int j;

	ck_assert_int_eq(mbv_signer_new(keyf(k), certf(k), &s, NULL, NULL), 0);
	ck_assert_int_eq(mbv_sig_verifier_new(certf(k), &v, reason_to(why), why), 0);
	ck_assert_str_eq(why, "");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	fill_digest(digest, 0);
	signer_ok(s, algs[0], digest, &first, &first_size);
	sign_ok("other", algs[0], digest, &other, &other_size);

	for (j = 0; j < 300; j++) {
		uint32_t alg = algs[j % 2];

		fill_digest(digest, j);
		signer_ok(s, alg, digest, &sig, &sig_size);
		check_ok(v, alg, digest, sig, sig_size);
		/* The same digest under the other algorithm, another digest. */
		check_bad(v, alg ^ 3, digest, sig, sig_size, -EKEYREJECTED, NULL);
		digest[j % 32] ^= 0x10;
		check_bad(v, alg, digest, sig, sig_size, -EKEYREJECTED, certf(k));
		if (j % 50 == 0) {
			ck_assert_int_eq(mbv_sig_verifier_check(v, alg, digest, sig,
								sig_size, reason_to(vwhy),
								vwhy),
					 mbv_verify_signature(alg, digest, sig, sig_size,
							      certf(k), reason_to(why), why));
			ck_assert_str_eq(vwhy, why);
		}
		digest[j % 32] ^= 0x10;
		check_ok(v, alg, digest, sig, sig_size);
		free(sig);
		if (j % 10 == 0) {
			/* Another signer, and malformed signatures between. */
			fill_digest(digest, 0);
			check_bad(v, algs[0], digest, other, other_size, -ENOKEY,
				  certf(k));
			check_bad(v, algs[0], digest, first, first_size - 1, -EBADMSG,
				  NULL);
			check_bad(v, algs[0], digest, first, 0, -EBADMSG, NULL);
			check_bad(v, 99, digest, first, first_size, -EINVAL, NULL);
			check_ok(v, algs[0], digest, first, first_size);
		}
	}
	free(first);
	free(other);
	mbv_signer_free(s);
	mbv_sig_verifier_free(v);
}
END_TEST

#define CHECK_THREADS	4
#define CHECK_ROUNDS	30

/* What the threads check, and the single-thread answers. */
struct check_case {
	uint32_t alg;
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	const uint8_t *sig;
	size_t sig_size;
	int want;
	char why[MBV_SIG_ERRBUF_SIZE];
};

#define CHECK_CASES	12

/* One thread's work; the test checks what happened after joining. */
struct check_job {
	const struct mbv_sig_verifier *v;
	const struct check_case *cases;
	unsigned int first;	/* where this thread starts in cases[] */
	pthread_barrier_t *start;
	int err[CHECK_ROUNDS][CHECK_CASES];
	unsigned int other_reasons;	/* reasons unlike the single-thread ones */
	bool stale_errors;	/* OpenSSL errors left in this thread's queue */
};

static void *check_thread(void *arg)
{
	struct check_job *job = arg;
	char why[MBV_SIG_ERRBUF_SIZE];
	unsigned int r, j;

	pthread_barrier_wait(job->start);
	for (r = 0; r < CHECK_ROUNDS; r++) {
		for (j = 0; j < CHECK_CASES; j++) {
			unsigned int c = (job->first + r + j) % CHECK_CASES;
			const struct check_case *cc = &job->cases[c];

			job->err[r][c] = mbv_sig_verifier_check(job->v, cc->alg,
								cc->digest, cc->sig,
								cc->sig_size, reason_to(why),
								why);
			if (strcmp(why, cc->why) != 0)
				job->other_reasons++;
			if (ERR_peek_error())
				job->stale_errors = true;
		}
	}
	return NULL;
}

/* CHECK_THREADS threads check good and bad signatures at once with one verifier. */
START_TEST(test_verifier_threads)
{
	const char *k = _i ? "ec256" : "rsa2048";
	static struct check_case cases[CHECK_CASES];
	struct check_job jobs[CHECK_THREADS];
	pthread_t tid[CHECK_THREADS];
	pthread_barrier_t start;
	struct mbv_sig_verifier *v = NULL;
	uint8_t *sig[4], *big, *flipped;
	size_t sig_size[4];
	unsigned int t, r, j;

	/* Signatures: two by @k, under each algorithm; one by another key. */
	memset(cases, 0, sizeof(cases));
	for (j = 0; j < CHECK_CASES; j++)
		fill_digest(cases[j].digest, 40 + j % 3);
	sign_ok(k, algs[0], cases[0].digest, &sig[0], &sig_size[0]);
	sign_ok(k, algs[1], cases[1].digest, &sig[1], &sig_size[1]);
	sign_ok(k, algs[0], cases[2].digest, &sig[2], &sig_size[2]);
	sign_ok("other", algs[0], cases[0].digest, &sig[3], &sig_size[3]);
	big = calloc(1, MBV_MAX_SIGNATURE_SIZE + 1);
	flipped = malloc(sig_size[0]);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(flipped);
	memcpy(big, sig[0], sig_size[0]);
	memcpy(flipped, sig[0], sig_size[0]);
	flipped[sig_size[0] - 1] ^= 1;	/* in the signature value */

#define CASE(n, a, s, size, w) \
	(cases[n].alg = (a), cases[n].sig = (s), cases[n].sig_size = (size), \
	 cases[n].want = (w))
	CASE(0, algs[0], sig[0], sig_size[0], 0);
	CASE(1, algs[1], sig[1], sig_size[1], 0);
	CASE(2, algs[0], sig[2], sig_size[2], 0);
	CASE(3, algs[1], sig[0], sig_size[0], -EKEYREJECTED);	/* other algorithm */
	CASE(4, algs[0], sig[3], sig_size[3], -ENOKEY);		/* other signer */
	CASE(5, algs[0], sig[0], sig_size[0] - 1, -EBADMSG);	/* truncated */
	CASE(6, algs[0], big, sig_size[0] + 1, -EBADMSG);	/* trailing data */
	CASE(7, algs[0], big, MBV_MAX_SIGNATURE_SIZE + 1, -EMSGSIZE);
	CASE(8, 99, sig[0], sig_size[0], -EINVAL);
	CASE(9, algs[0], flipped, sig_size[0], -EKEYREJECTED);
	CASE(10, algs[0], sig[1], sig_size[1], -EKEYREJECTED);	/* other digest */
	CASE(11, algs[0], sig[0], sig_size[0], -EKEYREJECTED);
#undef CASE
	cases[10].digest[0] ^= 1;
	cases[11].digest[5] ^= 1;

	/* The single-thread answers, from the same verifier. */
	ck_assert_int_eq(mbv_sig_verifier_new(certf(k), &v, NULL, NULL), 0);
	for (j = 0; j < CHECK_CASES; j++) {
		struct check_case *c = &cases[j];

		ck_assert_msg(mbv_sig_verifier_check(v, c->alg, c->digest, c->sig,
						     c->sig_size, reason_to(c->why),
						     c->why) == c->want,
			      "case %u: %s", j, c->why);
		ck_assert_int_eq(verify_both_ways(c->alg, c->digest, c->sig, c->sig_size,
						  certf(k), NULL, 0), c->want);
	}

	ck_assert_int_eq(pthread_barrier_init(&start, NULL, CHECK_THREADS), 0);
	memset(jobs, 0, sizeof(jobs));
	for (t = 0; t < CHECK_THREADS; t++) {
		jobs[t].v = v;
		jobs[t].cases = cases;
		jobs[t].first = t * 3;
		jobs[t].start = &start;
		ck_assert_int_eq(pthread_create(&tid[t], NULL, check_thread, &jobs[t]), 0);
	}
	for (t = 0; t < CHECK_THREADS; t++)
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
	pthread_barrier_destroy(&start);

	for (t = 0; t < CHECK_THREADS; t++) {
		ck_assert_msg(!jobs[t].stale_errors, "thread %u left OpenSSL errors", t);
		ck_assert_msg(jobs[t].other_reasons == 0, "thread %u: %u other reasons",
			      t, jobs[t].other_reasons);
		for (r = 0; r < CHECK_ROUNDS; r++)
			for (j = 0; j < CHECK_CASES; j++)
				ck_assert_msg(jobs[t].err[r][j] == cases[j].want,
					      "thread %u round %u case %u: %d, want %d",
					      t, r, j, jobs[t].err[r][j], cases[j].want);
	}
	/* Still good after all that. */
	check_ok(v, cases[0].alg, cases[0].digest, cases[0].sig, cases[0].sig_size);
	mbv_sig_verifier_free(v);
	for (j = 0; j < 4; j++)
		free(sig[j]);
	free(big);
	free(flipped);
}
END_TEST

/* Certificates mbv_sig_verifier_new() refuses, and the error. */
static const struct bad_cert {
	const char *cert;
	int want;
} bad_certs[] = {
	{ "missing.crt", -ENOENT },
	{ "garbage.pem", -EBADMSG },
	{ "empty.pem", -EBADMSG },
	{ "rsa2048.key", -EBADMSG },	/* no certificate in it */
	{ "truncated.crt", -EBADMSG },
	{ ".", -EBADMSG },
	{ "nokey.crt", -EBADMSG },	/* a key algorithm OpenSSL does not know */
	{ "ed25519.crt", -ENOPKG },
};

/* mbv_sig_verifier_new() fails with a reason naming the file, and leaves nothing. */
START_TEST(test_verifier_bad_certs)
{
	uint8_t digest[MBV_MAX_DIGEST_SIZE], *sig, *sig1;
	char why[MBV_SIG_ERRBUF_SIZE];
	struct mbv_sig_verifier *v, *junk = (struct mbv_sig_verifier *)why;
	size_t sig_size, sig1_size, i;

	for (i = 0; i < sizeof(bad_certs) / sizeof(bad_certs[0]); i++) {
		const struct bad_cert *c = &bad_certs[i];
		const char *ce = path(c->cert);
		int err;

		v = junk;
		err = mbv_sig_verifier_new(ce, &v, reason_to(why), why);
		ck_assert_msg(err == c->want, "%s: %d (%s), want %d", c->cert, err, why,
			      c->want);
		ck_assert_ptr_null(v);
		check_reason(why, ce);
		/* No callback is fine too. */
		v = junk;
		ck_assert_int_eq(mbv_sig_verifier_new(ce, &v, NULL, NULL), c->want);
		ck_assert_ptr_null(v);
		ck_assert_uint_eq(ERR_peek_error(), 0);
	}

	/*
	 * mbv_verify_signature() with those keys, as it always was: refused
	 * only when a signer is the certificate (nokey.crt is rsa2048.crt with
	 * another key algorithm; ed25519.crt has serial1a.crt's issuer and
	 * serial).
	 */
	fill_digest(digest, 17);
	sign_ok("rsa2048", MBV_HASH_ALG_SHA256, digest, &sig, &sig_size);
	sign_ok("serial1a", MBV_HASH_ALG_SHA256, digest, &sig1, &sig1_size);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					      path("nokey.crt"), reason_to(why), why), -EBADMSG);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig1, sig1_size,
					      path("nokey.crt"), reason_to(why), why), -ENOKEY);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig1, sig1_size,
					      path("ed25519.crt"), reason_to(why), why), -ENOPKG);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig, sig_size,
					      path("ed25519.crt"), reason_to(why), why), -ENOKEY);
	/* The arguments before the file, as always. */
	ck_assert_int_eq(mbv_verify_signature(99, digest, sig, sig_size,
					      path("missing.crt"), reason_to(why), why), -EINVAL);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig,
					      MBV_MAX_SIGNATURE_SIZE + 1, path("missing.crt"),
					      reason_to(why), why), -EMSGSIZE);
	ck_assert_int_eq(mbv_verify_signature(MBV_HASH_ALG_SHA256, digest, sig, 0,
					      path("garbage.pem"), reason_to(why), why), -EBADMSG);
	ck_assert_str_eq(why, "the signature is empty");

	/* Missing arguments. */
	ck_assert_int_eq(mbv_sig_verifier_new(NULL, &v, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_new(certf("rsa2048"), NULL, reason_to(why), why),
			 -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_check(NULL, MBV_HASH_ALG_SHA256, digest, sig,
						sig_size, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_new(certf("rsa2048"), &v, NULL, NULL), 0);
	ck_assert_int_eq(mbv_sig_verifier_check(v, MBV_HASH_ALG_SHA256, NULL, sig,
						sig_size, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_check(v, MBV_HASH_ALG_SHA256, digest, NULL,
						sig_size, reason_to(why), why), -EINVAL);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_check(v, MBV_HASH_ALG_SHA256, digest, NULL, 0,
						reason_to(why), why), -EBADMSG);
	check_reason(why, NULL);
	ck_assert_int_eq(mbv_sig_verifier_check(v, 7, digest, sig, sig_size, reason_to(why),
						why), -EINVAL);
	check_reason(why, NULL);
	/* Still good after the failures. */
	check_ok(v, MBV_HASH_ALG_SHA256, digest, sig, sig_size);
	mbv_sig_verifier_free(v);
	mbv_sig_verifier_free(NULL);
	free(sig);
	free(sig1);
}
END_TEST

static Suite *sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("sign");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_round_trip, 0, 6);
	tcase_add_test(tc, test_combined_pem);
	tcase_add_loop_test(tc, test_rsa_identical_to_fsverity, 0,
			    2 * (int)(sizeof(file_cases) / sizeof(file_cases[0])));
	tcase_add_loop_test(tc, test_ecdsa_from_fsverity_verifies, 0,
			    (int)(sizeof(file_cases) / sizeof(file_cases[0])));
	tcase_add_loop_test(tc, test_flipped_bytes, 0, 3);
	tcase_add_test(tc, test_bad_signatures);
	tcase_add_test(tc, test_openssl_variants);
	tcase_add_loop_test(tc, test_parse_refusals, 0,
			    (int)(sizeof(syn_cases) / sizeof(syn_cases[0])));
	tcase_add_loop_test(tc, test_parse_fsverity_signatures, 0,
			    (int)(NFILE_CASES * (sizeof(good_keys) / sizeof(good_keys[0]))));
	tcase_add_test(tc, test_parse_hostile);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_loop_test(tc, test_signer_like_sign_digest, 0, 6);
	tcase_add_test(tc, test_signer_combined_pem);
	tcase_add_loop_test(tc, test_signer_many, 0, 2);
	tcase_add_loop_test(tc, test_signer_threads, 0, 2);
	tcase_add_test(tc, test_signer_bad_keys);
	tcase_add_loop_test(tc, test_signer_spec, 0, 2);
	tcase_add_loop_test(tc, test_verifier_many, 0, 2);
	tcase_add_loop_test(tc, test_verifier_threads, 0, 2);
	tcase_add_test(tc, test_verifier_bad_certs);
	tcase_add_test(tc, test_error_callback_once);
	suite_add_tcase(s, tc);
	return s;
}

/* Make a self-signed key pair @name with `openssl req` options @newkey. */
static int make_pair(const char *name, const char *newkey, const char *extra)
{
	return sh("openssl req -x509 -newkey %s -nodes -keyout %s -out %s -subj /CN=test"
		  " -days 1 %s 2>/dev/null", newkey, keyf(name), certf(name), extra);
}

/*
 * nokey.crt: rsa2048.crt with its key algorithm rsaEncryption made an OID
 * OpenSSL does not know, so that it parses but has no usable public key.
 */
static int make_nokey_cert(void)
{
	static const uint8_t rsa_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					   0x0d, 0x01, 0x01, 0x01 };
	uint8_t der[8192];
	size_t n, i;
	FILE *f;

	if (sh("openssl x509 -in %s -outform DER -out %s", certf("rsa2048"),
	       path("nokey.der")))
		return -1;
	f = fopen(path("nokey.der"), "r+b");
	if (!f)
		return -1;
	n = fread(der, 1, sizeof(der), f);
	for (i = 0; i + sizeof(rsa_oid) <= n; i++)
		if (memcmp(der + i, rsa_oid, sizeof(rsa_oid)) == 0)
			break;
	if (i + sizeof(rsa_oid) > n || fseek(f, (long)(i + sizeof(rsa_oid) - 1), SEEK_SET) ||
	    fputc(0x7f, f) == EOF) {
		fclose(f);
		return -1;
	}
	if (fclose(f))
		return -1;
	return sh("(echo -----BEGIN CERTIFICATE----- && openssl base64 -in %s &&"
		  " echo -----END CERTIFICATE-----) > %s", path("nokey.der"),
		  path("nokey.crt"));
}

static int make_fixtures(void)
{
	char subj[20000];
	size_t n;
	int i;

	if (make_pair("rsa2048", "rsa:2048", "") || make_pair("rsa4096", "rsa:4096", "") ||
	    make_pair("ec256", "ec -pkeyopt ec_paramgen_curve:P-256", "") ||
	    make_pair("other", "rsa:2048", "") ||
	    make_pair("serial1a", "rsa:2048", "-set_serial 1") ||
	    make_pair("serial1b", "rsa:2048", "-set_serial 1") ||
	    make_pair("enc", "rsa:2048", "") ||
	    make_pair("ed25519", "ed25519", "-set_serial 1") || make_nokey_cert())
		return -1;
	/* Issuer name so long the signature would exceed 16128 bytes. */
	n = (size_t)snprintf(subj, sizeof(subj), "/CN=test");
	for (i = 0; i < 280; i++)
		n += (size_t)snprintf(subj + n, sizeof(subj) - n, "/O=%063d", i);
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	       " -keyout %s -out %s -subj '%s' -days 1 2>/dev/null",
	       keyf("bigname"), certf("bigname"), subj))
		return -1;
	return sh("cd %s && openssl pkcs8 -topk8 -in enc.key -passout pass:secret"
		  " -out enc_pkcs8.key && openssl pkey -in enc.key -traditional -aes128"
		  " -passout pass:secret -out enc_trad.key && cat rsa2048.key rsa2048.crt"
		  " > both.pem && printf -- '-----BEGIN CERTIFICATE-----\\nnot base64!\\n"
		  "-----END CERTIFICATE-----\\n' > garbage.pem && : > empty.pem &&"
		  " head -c 600 rsa2048.key > truncated.key &&"
		  " head -c 400 rsa2048.crt > truncated.crt", dir);
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (sh("command -v openssl >/dev/null && command -v fsverity >/dev/null") ||
	    make_fixtures()) {
		fprintf(stderr, "FAIL: cannot make keys (need openssl and fsverity)\n");
		sh("rm -rf %s", dir);
		return 1;
	}
	sr = srunner_create(sign_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sh("rm -rf %s", dir);
	return failed ? 1 : 0;
}
