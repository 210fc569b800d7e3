/* SPDX-License-Identifier: MIT */
/*
 * The fallback where no kernel of ours runs: OpenSSL's libcrypto finishes
 * each message, from our salted state, with its own assembly (SHA-NI, AVX2,
 * ARMv8 crypto, POWER, s390x CPACF, ...).  The low-level SHA256_CTX and
 * SHA512_CTX are deprecated in OpenSSL 3 but still there, and only they can
 * start from a midstate with nothing fetched or allocated per message; EVP
 * would need the salt bytes and a context copy per message.
 */
#include "config.h"

/* Quiet the OpenSSL 3 deprecation of SHA256_Init() and friends. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "hash.h"
#include "hash_openssl.h"

void mbv_sha256_many_openssl(const struct mbv_sha256_state *st,
			     const uint8_t *const data[], size_t len, uint8_t *out)
{
	SHA256_CTX c;
	uint64_t bits = st->count * 8;
	unsigned int i;

	SHA256_Init(&c);	/* md_len, and nothing buffered (num = 0) */
	for (i = 0; i < 8; i++)
		c.h[i] = st->h[i];
	c.Nl = (SHA_LONG)bits;
	c.Nh = (SHA_LONG)(bits >> 32);
	SHA256_Update(&c, data[0], len);
	SHA256_Final(out, &c);
}

void mbv_sha512_many_openssl(const struct mbv_sha512_state *st,
			     const uint8_t *const data[], size_t len, uint8_t *out)
{
	SHA512_CTX c;
	unsigned int i;

	SHA512_Init(&c);
	for (i = 0; i < 8; i++)
		c.h[i] = st->h[i];
	c.Nl = st->count * 8;	/* the 128-bit bit count; messages here stay below 2^64 bits */
	c.Nh = 0;
	SHA512_Update(&c, data[0], len);
	SHA512_Final(out, &c);
}
