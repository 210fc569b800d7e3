/* SPDX-License-Identifier: MIT */
/* Every SHA-256 implementation this CPU runs, against the portable code. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/sha.h>

#include "hash.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define MAXMSG 80		/* > 2 * 32 + 1 messages */
#define MAXLEN 9000

static unsigned int seed = 12345;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* A state after @nblocks 64-byte prefix blocks: the fs-verity salted state. */
static void make_state(struct mbv_sha256_state *st, unsigned int nblocks)
{
	uint8_t salt[128];
	unsigned int i;

	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0x5a + 3 * i);
	mbv_sha256_init(st);
	mbv_sha256_blocks_generic(st->h, salt, nblocks);
	st->count = 64 * nblocks;
}

/*
 * Messages in their own pages, each followed by a PROT_NONE page so that a
 * kernel reading past a message faults.  Mode 0: each message ends right at
 * its guard page; 1: starts at odd offsets (different per message); 2: starts
 * 64-byte aligned.
 */
struct msgs {
	uint8_t *map;
	size_t maplen;
	const uint8_t *p[MAXMSG];
};

static void msgs_alloc(struct msgs *m, size_t len, int mode)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t slot = (len + 64 + page - 1) / page * page + page;
	unsigned int i;
	size_t j;

	m->maplen = slot * MAXMSG;
	m->map = mmap(NULL, m->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m->map, MAP_FAILED);
	for (i = 0; i < MAXMSG; i++) {
		uint8_t *guard = m->map + slot * (i + 1) - page;
		uint8_t *p = guard - len;

		ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
		if (mode == 1)
			p -= 1 + i % 31;
		else if (mode == 2)
			p = (uint8_t *)((uintptr_t)p & ~(uintptr_t)63);
		for (j = 0; j < len; j++)
			p[j] = (uint8_t)rnd();
		m->p[i] = p;
	}
}

static void msgs_free(struct msgs *m)
{
	munmap(m->map, m->maplen);
}

/* Portable digests of all MAXMSG messages. */
static void reference(const struct mbv_sha256_state *st, const struct msgs *m,
		      size_t len, uint8_t ref[MAXMSG][32])
{
	unsigned int i;

	for (i = 0; i < MAXMSG; i++)
		mbv_sha256_finish_generic(st, m->p[i], len, ref[i]);
}

static void check_lengths(const struct mbv_sha256_impl *impl, size_t len)
{
	static const unsigned int salts[] = { 0, 1, 2 };
	uint8_t ref[MAXMSG][32], out[MAXMSG * 32 + 32];
	unsigned int s, n, i, mode;

	for (mode = 0; mode < 3; mode++) {
		struct msgs m;

		msgs_alloc(&m, len, mode);
		for (s = 0; s < 3; s++) {
			struct mbv_sha256_state st;

			make_state(&st, salts[s]);
			reference(&st, &m, len, ref);

			/* The kernel directly: exactly impl->lanes messages. */
			memset(out, 0xee, sizeof(out));
			impl->hash_many(&st, m.p, len, out);
			for (i = 0; i < impl->lanes; i++)
				ck_assert_msg(memcmp(out + 32 * i, ref[i], 32) == 0,
					      "%s len %zu salt %u lane %u", impl->name,
					      len, salts[s], i);
			ck_assert_uint_eq(out[32 * impl->lanes], 0xee);

			/* Through the dispatcher, forced: 0..2*lanes+1 messages. */
			for (n = 0; n <= 2 * impl->lanes + 1; n++) {
				memset(out, 0xee, sizeof(out));
				mbv_sha256_finish_many(&st, m.p + 1, n, len, out);
				for (i = 0; i < n; i++)
					ck_assert_msg(memcmp(out + 32 * i, ref[i + 1], 32) == 0,
						      "%s n %u len %zu salt %u msg %u",
						      impl->name, n, len, salts[s], i);
				ck_assert_uint_eq(out[32 * n], 0xee);
			}
		}
		msgs_free(&m);
	}
}

static const struct mbv_sha256_impl *impl_by_index(int i)
{
	return mbv_sha256_impls[i];
}

/* Lengths around the padding edges: len % 64 in {0, 55, 56, 63}. */
START_TEST(edges)
{
	static const size_t lens[] = {
		0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 191, 192,
		4096 - 9, 4096 - 8, 4096 - 1, 4096, 4096 + 55, 4096 + 56,
		4096 + 63, 8192,
	};
	const struct mbv_sha256_impl *impl = impl_by_index(_i);
	size_t i;

	if (!mbv_sha256_impl_usable(impl))
		return;		/* the "usable" test below fails if it should be */
	ck_assert_int_eq(mbv_sha256_force(impl->name), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_lengths(impl, lens[i]);
	mbv_sha256_force(NULL);
}
END_TEST

START_TEST(random_lengths)
{
	const struct mbv_sha256_impl *impl = impl_by_index(_i);
	unsigned int k;

	if (!mbv_sha256_impl_usable(impl))
		return;
	seed = 777 + _i;
	ck_assert_int_eq(mbv_sha256_force(impl->name), 0);
	for (k = 0; k < 12; k++)
		check_lengths(impl, rnd() % MAXLEN);
	mbv_sha256_force(NULL);
}
END_TEST

/* Independent of the portable code: unsalted digests equal OpenSSL's. */
START_TEST(vs_openssl)
{
	const struct mbv_sha256_impl *impl = impl_by_index(_i);
	static uint8_t buf[32][5000];
	const uint8_t *p[32];
	struct mbv_sha256_state st;
	uint8_t out[32 * 32], want[32];
	size_t len;
	unsigned int i;

	if (!mbv_sha256_impl_usable(impl))
		return;
	for (i = 0; i < 32; i++) {
		size_t j;

		for (j = 0; j < sizeof(buf[i]); j++)
			buf[i][j] = (uint8_t)rnd();
		p[i] = buf[i] + i;
	}
	mbv_sha256_init(&st);
	for (len = 0; len < 4200; len += 1 + len / 7) {
		impl->hash_many(&st, p, len, out);
		for (i = 0; i < impl->lanes; i++) {
			SHA256(p[i], len, want);
			ck_assert_msg(memcmp(out + 32 * i, want, 32) == 0,
				      "%s len %zu lane %u", impl->name, len, i);
		}
	}
}
END_TEST

/* Identical lanes (the padded tail path repeats a message) agree too. */
START_TEST(same_message_every_lane)
{
	const struct mbv_sha256_impl *impl = impl_by_index(_i);
	static uint8_t buf[4096];
	const uint8_t *p[32];
	struct mbv_sha256_state st;
	uint8_t out[32 * 32], want[32];
	unsigned int i;

	if (!mbv_sha256_impl_usable(impl))
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (i = 0; i < 32; i++)
		p[i] = buf;
	make_state(&st, 1);
	mbv_sha256_finish_generic(&st, buf, sizeof(buf), want);
	impl->hash_many(&st, p, sizeof(buf), out);
	for (i = 0; i < impl->lanes; i++)
		ck_assert_mem_eq(out + 32 * i, want, 32);
}
END_TEST

#if defined(__x86_64__)
/* What the CPU and OS offer, found here independently of lib/cpu_features.c. */
static unsigned int cpu_has(void)
{
	unsigned int a, b, c, d, f = 0;
	unsigned long long xcr0 = 0;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if ((c & (1u << 27)) && (c & (1u << 28))) {
		unsigned int lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = (unsigned long long)hi << 32 | lo;
	}
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	if (b & (1u << 29))
		f |= MBV_CPU_SHANI;
	if ((b & (1u << 5)) && (xcr0 & 6) == 6)
		f |= MBV_CPU_AVX2;
	if ((b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)) &&
	    (xcr0 & 0xe6) == 0xe6)
		f |= MBV_CPU_AVX512;
	return f;
}
#else
static unsigned int cpu_has(void)
{
	return 0;
}
#endif

/*
 * A kernel that is compiled in and whose features the CPU reports must be
 * usable: a detection bug must fail here, not skip the kernel silently.
 */
START_TEST(expected_kernels_usable)
{
	static const struct {
		const char *name;
		unsigned int feature;
	} want[] = {
		{ "x32_avx512", MBV_CPU_AVX512 },
		{ "x16_avx512", MBV_CPU_AVX512 },
		{ "x8_avx2", MBV_CPU_AVX2 },
		{ "ni_x4", MBV_CPU_SHANI },
		{ "ni_x2", MBV_CPU_SHANI },
		{ "ni_x1", MBV_CPU_SHANI },
	};
	const char *masked = getenv("MBV_DISABLE_CPU_FEATURES");
	unsigned int have = cpu_has(), i, nusable = 0;
	const struct mbv_sha256_impl *best;

	if (masked && *masked) {
		fprintf(stderr, "test_sha256_impls: MBV_DISABLE_CPU_FEATURES=%s\n", masked);
		have &= mbv_cpu_features();
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct mbv_sha256_impl *impl = NULL;
		size_t j;

		for (j = 0; mbv_sha256_impls[j]; j++)
			if (strcmp(mbv_sha256_impls[j]->name, want[i].name) == 0)
				impl = mbv_sha256_impls[j];
#ifdef MBV_HAVE_ASM
		ck_assert_msg(impl != NULL, "%s not compiled in", want[i].name);
#endif
		if (!impl)
			continue;
		if (have & want[i].feature)
			ck_assert_msg(mbv_sha256_impl_usable(impl),
				      "CPU has the features of %s but it is unusable",
				      impl->name);
		if (mbv_sha256_impl_usable(impl))
			nusable++;
	}
	best = mbv_sha256_best();
	ck_assert(mbv_sha256_impl_usable(best));
	if (nusable)
		ck_assert_str_ne(best->name, "generic");
#ifdef MBV_HAVE_ASM
	if (have & MBV_CPU_AVX512)
		ck_assert_str_eq(best->name, "x32_avx512");
#endif
	fprintf(stderr, "test_sha256_impls: best is %s\n", mbv_sha256_impl_name());
}
END_TEST

/* The table is widest first, ends with generic, names are unique. */
START_TEST(table_shape)
{
	size_t i, j;

	for (i = 0; mbv_sha256_impls[i + 1]; i++)
		ck_assert_uint_ge(mbv_sha256_impls[i]->lanes, mbv_sha256_impls[i + 1]->lanes);
	ck_assert_str_eq(mbv_sha256_impls[i]->name, "generic");
	ck_assert_uint_eq(mbv_sha256_impls[i]->required_features, 0);
	for (i = 0; mbv_sha256_impls[i]; i++) {
		ck_assert_uint_le(mbv_sha256_impls[i]->lanes, 32);
		for (j = i + 1; mbv_sha256_impls[j]; j++)
			ck_assert_str_ne(mbv_sha256_impls[i]->name, mbv_sha256_impls[j]->name);
	}
}
END_TEST

START_TEST(forcing)
{
	size_t i;

	ck_assert_int_eq(mbv_sha256_force("no-such-kernel"), -ENOENT);
	for (i = 0; mbv_sha256_impls[i]; i++) {
		const struct mbv_sha256_impl *impl = mbv_sha256_impls[i];

		if (!mbv_sha256_impl_usable(impl)) {
			ck_assert_int_eq(mbv_sha256_force(impl->name), -ENOENT);
			continue;
		}
		ck_assert_int_eq(mbv_sha256_force(impl->name), 0);
		ck_assert_ptr_eq(mbv_sha256_best(), impl);
		ck_assert_str_eq(mbv_sha256_impl_name(), impl->name);
	}
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert(mbv_sha256_impl_usable(mbv_sha256_best()));
}
END_TEST

/* MBV_IMPL=name in the environment forces the choice made on first use. */
START_TEST(env_forcing)
{
	ck_assert_int_eq(setenv("MBV_IMPL", "generic", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert_str_eq(mbv_sha256_impl_name(), "generic");
	ck_assert_int_eq(setenv("MBV_IMPL", "no-such-kernel", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert(mbv_sha256_impl_usable(mbv_sha256_best()));
	unsetenv("MBV_IMPL");
	mbv_sha256_force(NULL);
}
END_TEST

/* SHA-512 has the same table shape and the same forcing. */
START_TEST(sha512_table_and_forcing)
{
	static const uint8_t msg[3][300] = { "a", "bc", "def" };
	const uint8_t *p[3] = { msg[0], msg[1], msg[2] };
	uint8_t out[4 * 64], want[64];
	struct mbv_sha512_state st;
	size_t i, j;

	for (i = 0; mbv_sha512_impls[i + 1]; i++)
		ck_assert_uint_ge(mbv_sha512_impls[i]->lanes, mbv_sha512_impls[i + 1]->lanes);
	ck_assert_str_eq(mbv_sha512_impls[i]->name, "generic");
	ck_assert_uint_eq(mbv_sha512_impls[i]->required_features, 0);
	for (i = 0; mbv_sha512_impls[i]; i++)
		for (j = i + 1; mbv_sha512_impls[j]; j++)
			ck_assert_str_ne(mbv_sha512_impls[i]->name, mbv_sha512_impls[j]->name);

	ck_assert_int_eq(mbv_sha512_force("no-such-kernel"), -ENOENT);
	mbv_sha512_init(&st);
	for (i = 0; mbv_sha512_impls[i]; i++) {
		const struct mbv_sha512_impl *impl = mbv_sha512_impls[i];

		if (!mbv_sha512_impl_usable(impl)) {
			ck_assert_int_eq(mbv_sha512_force(impl->name), -ENOENT);
			continue;
		}
		ck_assert_int_eq(mbv_sha512_force(impl->name), 0);
		ck_assert_ptr_eq(mbv_sha512_best(), impl);
		ck_assert_str_eq(mbv_sha512_impl_name(), impl->name);
		memset(out, 0xee, sizeof(out));
		mbv_sha512_finish_many(&st, p, 3, 300, out);
		for (j = 0; j < 3; j++) {
			SHA512(p[j], 300, want);
			ck_assert_mem_eq(out + 64 * j, want, 64);
		}
		ck_assert_uint_eq(out[3 * 64], 0xee);
	}
	ck_assert_int_eq(mbv_sha512_force(NULL), 0);
	ck_assert(mbv_sha512_impl_usable(mbv_sha512_best()));
}
END_TEST

/*
 * MBV_IMPL: a bare name is SHA-256's, "sha512:" and "sha256:" prefixes pick
 * the algorithm, comma-separated.
 */
START_TEST(env_forcing_both)
{
	const struct mbv_sha256_impl *auto256;
	const struct mbv_sha512_impl *auto512;

	unsetenv("MBV_IMPL");
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
	auto256 = mbv_sha256_best();
	auto512 = mbv_sha512_best();
	ck_assert_int_eq(setenv("MBV_IMPL", "sha512:generic", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert_int_eq(mbv_sha512_force(NULL), 0);
	ck_assert_str_eq(mbv_sha512_impl_name(), "generic");
	ck_assert_ptr_eq(mbv_sha256_best(), auto256);

	ck_assert_int_eq(setenv("MBV_IMPL", "sha256:generic,sha512:generic", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert_int_eq(mbv_sha512_force(NULL), 0);
	ck_assert_str_eq(mbv_sha256_impl_name(), "generic");
	ck_assert_str_eq(mbv_sha512_impl_name(), "generic");

	ck_assert_int_eq(setenv("MBV_IMPL", "sha512:no-such-kernel,generic", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert_int_eq(mbv_sha512_force(NULL), 0);
	ck_assert_str_eq(mbv_sha256_impl_name(), "generic");
	ck_assert(mbv_sha512_impl_usable(mbv_sha512_best()));

	ck_assert_int_eq(setenv("MBV_IMPL", "sha512x:generic,sha25:generic", 1), 0);
	ck_assert_int_eq(mbv_sha256_force(NULL), 0);
	ck_assert_int_eq(mbv_sha512_force(NULL), 0);
	ck_assert_ptr_eq(mbv_sha256_best(), auto256);
	ck_assert_ptr_eq(mbv_sha512_best(), auto512);
	unsetenv("MBV_IMPL");
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sha256_impls");
	TCase *tc = tcase_create("impls");
	SRunner *sr;
	int failed, nimpl = 0;
	unsigned int i;

	while (mbv_sha256_impls[nimpl])
		nimpl++;
	for (i = 0; mbv_sha256_impls[i]; i++)
		fprintf(stderr, "test_sha256_impls: %-10s lanes %2u %s\n",
			mbv_sha256_impls[i]->name, mbv_sha256_impls[i]->lanes,
			mbv_sha256_impl_usable(mbv_sha256_impls[i]) ? "usable" : "NOT usable");
	tcase_add_test(tc, table_shape);
	tcase_add_test(tc, expected_kernels_usable);
	tcase_add_test(tc, forcing);
	tcase_add_test(tc, env_forcing);
	tcase_add_test(tc, sha512_table_and_forcing);
	tcase_add_test(tc, env_forcing_both);
	tcase_add_loop_test(tc, edges, 0, nimpl);
	tcase_add_loop_test(tc, random_lengths, 0, nimpl);
	tcase_add_loop_test(tc, vs_openssl, 0, nimpl);
	tcase_add_loop_test(tc, same_message_every_lane, 0, nimpl);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
