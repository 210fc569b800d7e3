/* SPDX-License-Identifier: MIT */
/* Portable SHA-256/SHA-512: FIPS 180 vectors and a cross-check against OpenSSL. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "hash.h"
#include "kat.h"

static void check_hex(const uint8_t *got, const char *want_hex, size_t n)
{
	uint8_t want[64];

	ck_assert_uint_eq(kat_hex(want_hex, want, sizeof(want)), n);
	ck_assert_mem_eq(got, want, n);
}

static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char abc896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

START_TEST(fips_sha256)
{
	uint8_t out[32], *million = malloc(1000000);

	mbv_sha256("abc", 3, out);
	check_hex(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32);
	mbv_sha256("", 0, out);
	check_hex(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 32);
	mbv_sha256(abc448, strlen(abc448), out);
	check_hex(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", 32);
	memset(million, 'a', 1000000);
	mbv_sha256(million, 1000000, out);
	check_hex(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", 32);
	free(million);
}
END_TEST

START_TEST(fips_sha512)
{
	uint8_t out[64], *million = malloc(1000000);

	mbv_sha512("abc", 3, out);
	check_hex(out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", 64);
	mbv_sha512("", 0, out);
	check_hex(out, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		       "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", 64);
	mbv_sha512(abc896, strlen(abc896), out);
	check_hex(out, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		       "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909", 64);
	memset(million, 'a', 1000000);
	mbv_sha512(million, 1000000, out);
	check_hex(out, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		       "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b", 64);
	free(million);
}
END_TEST

/* Random lengths and split points, streaming and one-shot, against OpenSSL. */
START_TEST(random_vs_openssl)
{
	static uint8_t buf[5000];
	unsigned int seed = 12345;
	int iter;

	for (iter = 0; iter < 2000; iter++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);
		size_t cut = len ? (size_t)rand_r(&seed) % (len + 1) : 0;
		uint8_t a[64], b[64];
		struct mbv_sha256_ctx c256;
		struct mbv_sha512_ctx c512;
		size_t i;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		mbv_sha256_ctx_init(&c256);
		mbv_sha256_ctx_update(&c256, buf, cut);
		mbv_sha256_ctx_update(&c256, buf + cut, len - cut);
		mbv_sha256_ctx_final(&c256, a);
		SHA256(buf, len, b);
		ck_assert_mem_eq(a, b, 32);

		mbv_sha512_ctx_init(&c512);
		mbv_sha512_ctx_update(&c512, buf, cut);
		mbv_sha512_ctx_update(&c512, buf + cut, len - cut);
		mbv_sha512_ctx_final(&c512, a);
		SHA512(buf, len, b);
		ck_assert_mem_eq(a, b, 64);
	}
}
END_TEST

/*
 * Finishing from a precomputed state equals hashing prefix || message, with
 * finish_many under every usable kernel of either algorithm forced in turn
 * (loop index: SHA-256 table entries, then SHA-512's).
 */
START_TEST(finish_from_state)
{
	static uint8_t buf[128 + 4096];
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 4096 };
	struct mbv_sha256_state s256;
	struct mbv_sha512_state s512;
	unsigned int seed = 7;
	size_t i, n256 = 0;

	while (mbv_sha256_impls[n256])
		n256++;
	if ((size_t)_i < n256) {
		if (!mbv_sha256_impl_usable(mbv_sha256_impls[_i]))
			return;		/* test_hash_impls checks which must be usable */
		ck_assert_int_eq(mbv_sha256_force(mbv_sha256_impls[_i]->name), 0);
	} else {
		if (!mbv_sha512_impl_usable(mbv_sha512_impls[_i - n256]))
			return;
		ck_assert_int_eq(mbv_sha512_force(mbv_sha512_impls[_i - n256]->name), 0);
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand_r(&seed);
	mbv_sha256_init(&s256);
	mbv_sha256_blocks_generic(s256.h, buf, 2);
	s256.count = 128;
	mbv_sha512_init(&s512);
	mbv_sha512_blocks_generic(s512.h, buf, 1);
	s512.count = 128;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t a[64], b[64];
		const uint8_t *msgs[3] = { buf + 128, buf + 128, buf + 128 };
		uint8_t many[3 * 64];

		mbv_sha256_finish_generic(&s256, buf + 128, lens[i], a);
		SHA256(buf, 128 + lens[i], b);
		ck_assert_mem_eq(a, b, 32);
		mbv_sha256_finish_many(&s256, msgs, 3, lens[i], many);
		ck_assert_mem_eq(many + 64, b, 32);

		mbv_sha512_finish_generic(&s512, buf + 128, lens[i], a);
		SHA512(buf, 128 + lens[i], b);
		ck_assert_mem_eq(a, b, 64);
		mbv_sha512_finish_many(&s512, msgs, 3, lens[i], many);
		ck_assert_mem_eq(many + 128, b, 64);
	}
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
}
END_TEST

static int nimpls(void)
{
	int n = 0, i;

	for (i = 0; mbv_sha256_impls[i]; i++)
		n++;
	for (i = 0; mbv_sha512_impls[i]; i++)
		n++;
	return n;
}

int main(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("portable");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fips_sha256);
	tcase_add_test(tc, fips_sha512);
	tcase_add_test(tc, random_vs_openssl);
	tcase_add_loop_test(tc, finish_from_state, 0, nimpls());
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
