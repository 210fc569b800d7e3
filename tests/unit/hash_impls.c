/* SPDX-License-Identifier: MIT */
/* Every SHA-256 and SHA-512 implementation this CPU runs, against the portable code. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
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
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

#define MAXMSG 80		/* > 2 * 32 + 1 messages */
#define MAXLEN 9000
#define MAXDIGEST 64

static unsigned int seed = 12345;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/*
 * The two algorithms behind one shape, so every test below runs on each
 * implementation of either: impl i of an algorithm is its table entry i.
 */
union state {
	struct mbv_sha256_state s256;
	struct mbv_sha512_state s512;
};

struct alg {
	const char *name;		/* "sha256": the MBV_IMPL prefix too */
	unsigned int block;		/* input block size */
	unsigned int lenfield;		/* bytes of the length in the padding */
	unsigned int digest;
	unsigned int (*count)(void);
	const char *(*impl_name)(unsigned int i);
	unsigned int (*lanes)(unsigned int i);
	unsigned int (*features)(unsigned int i);
	int (*usable)(unsigned int i);
	void (*hash_many)(unsigned int i, const union state *st, const uint8_t *const p[],
			  size_t len, uint8_t *out);
	int (*force)(const char *name);
	const char *(*chosen)(void);
	int (*chosen_usable)(void);
	void (*finish_many)(const union state *st, const uint8_t *const p[], size_t n,
			    size_t len, uint8_t *out);
	void (*finish_generic)(const union state *st, const uint8_t *p, size_t len,
			       uint8_t *out);
	void (*make_state)(union state *st, unsigned int nblocks, const uint8_t *prefix);
	unsigned char *(*openssl)(const unsigned char *d, size_t n, unsigned char *md);
};

/* The accessors of one algorithm: its table, its state member, its calls. */
#define ALG_ACCESSORS(A, S)							\
static unsigned int A##_count(void)						\
{										\
	unsigned int n = 0;							\
										\
	while (mbv_##A##_impls[n])						\
		n++;								\
	return n;								\
}										\
static const char *A##_impl_name(unsigned int i) { return mbv_##A##_impls[i]->name; } \
static unsigned int A##_lanes(unsigned int i) { return mbv_##A##_impls[i]->lanes; } \
static unsigned int A##_features(unsigned int i)				\
{										\
	return mbv_##A##_impls[i]->required_features;				\
}										\
static int A##_usable(unsigned int i) { return mbv_##A##_impl_usable(mbv_##A##_impls[i]); } \
static void A##_hash_many(unsigned int i, const union state *st,		\
			  const uint8_t *const p[], size_t len, uint8_t *out)	\
{										\
	mbv_##A##_impls[i]->hash_many(&st->S, p, len, out);			\
}										\
static int A##_chosen_usable(void) { return mbv_##A##_impl_usable(mbv_##A##_best()); } \
static void A##_finish_many(const union state *st, const uint8_t *const p[],	\
			    size_t n, size_t len, uint8_t *out)			\
{										\
	mbv_##A##_finish_many(&st->S, p, n, len, out);				\
}										\
static void A##_finish_generic(const union state *st, const uint8_t *p,	\
			       size_t len, uint8_t *out)			\
{										\
	mbv_##A##_finish_generic(&st->S, p, len, out);				\
}

ALG_ACCESSORS(sha256, s256)
ALG_ACCESSORS(sha512, s512)

static void sha256_make_state(union state *st, unsigned int nblocks, const uint8_t *prefix)
{
	mbv_sha256_init(&st->s256);
	mbv_sha256_blocks_generic(st->s256.h, prefix, nblocks);
	st->s256.count = MBV_SHA256_BLOCK_SIZE * nblocks;
}

static void sha512_make_state(union state *st, unsigned int nblocks, const uint8_t *prefix)
{
	mbv_sha512_init(&st->s512);
	mbv_sha512_blocks_generic(st->s512.h, prefix, nblocks);
	st->s512.count = MBV_SHA512_BLOCK_SIZE * nblocks;
}

static const struct alg algs[] = {
	{ "sha256", 64, 8, 32, sha256_count, sha256_impl_name, sha256_lanes,
	  sha256_features, sha256_usable, sha256_hash_many, mbv_sha256_force,
	  mbv_sha256_impl_name, sha256_chosen_usable, sha256_finish_many,
	  sha256_finish_generic, sha256_make_state, SHA256 },
	{ "sha512", 128, 16, 64, sha512_count, sha512_impl_name, sha512_lanes,
	  sha512_features, sha512_usable, sha512_hash_many, mbv_sha512_force,
	  mbv_sha512_impl_name, sha512_chosen_usable, sha512_finish_many,
	  sha512_finish_generic, sha512_make_state, SHA512 },
};

/* Loop index -> (algorithm, implementation): SHA-256's first, then SHA-512's. */
static const struct alg *pick(int idx, unsigned int *impl)
{
	unsigned int n256 = algs[0].count();

	if ((unsigned int)idx < n256) {
		*impl = (unsigned int)idx;
		return &algs[0];
	}
	*impl = (unsigned int)idx - n256;
	return &algs[1];
}

/* A state after @nblocks prefix blocks: the fs-verity salted state. */
static void make_state(const struct alg *a, union state *st, unsigned int nblocks)
{
	uint8_t salt[2 * MBV_SHA512_BLOCK_SIZE];
	unsigned int i;

	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0x5a + 3 * i);
	a->make_state(st, nblocks, salt);
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
static void reference(const struct alg *a, const union state *st, const struct msgs *m,
		      size_t len, uint8_t ref[MAXMSG][MAXDIGEST])
{
	unsigned int i;

	for (i = 0; i < MAXMSG; i++)
		a->finish_generic(st, m->p[i], len, ref[i]);
}

static void check_lengths(const struct alg *a, unsigned int impl, size_t len)
{
	static const unsigned int salts[] = { 0, 1, 2 };
	static uint8_t ref[MAXMSG][MAXDIGEST], out[MAXMSG * MAXDIGEST + MAXDIGEST];
	const unsigned int ds = a->digest, lanes = a->lanes(impl);
	const char *name = a->impl_name(impl);
	unsigned int s, n, i, mode;

	for (mode = 0; mode < 3; mode++) {
		struct msgs m;

		msgs_alloc(&m, len, mode);
		for (s = 0; s < 3; s++) {
			union state st;

			make_state(a, &st, salts[s]);
			reference(a, &st, &m, len, ref);

			/* The kernel directly: exactly lanes messages. */
			memset(out, 0xee, sizeof(out));
			a->hash_many(impl, &st, m.p, len, out);
			for (i = 0; i < lanes; i++)
				ck_assert_msg(memcmp(out + ds * i, ref[i], ds) == 0,
					      "%s %s len %zu salt %u lane %u", a->name, name,
					      len, salts[s], i);
			ck_assert_uint_eq(out[ds * lanes], 0xee);

			/* Through the dispatcher, forced: 0..2*lanes+1 messages. */
			for (n = 0; n <= 2 * lanes + 1; n++) {
				memset(out, 0xee, sizeof(out));
				a->finish_many(&st, m.p + 1, n, len, out);
				for (i = 0; i < n; i++)
					ck_assert_msg(memcmp(out + ds * i, ref[i + 1], ds) == 0,
						      "%s %s n %u len %zu salt %u msg %u",
						      a->name, name, n, len, salts[s], i);
				ck_assert_uint_eq(out[ds * n], 0xee);
			}
		}
		msgs_free(&m);
	}
}

/*
 * Lengths around the padding edges: len % block in {0, block - lenfield - 1,
 * block - lenfield, block - 1} ({0, 55, 56, 63} for SHA-256, {0, 111, 112,
 * 127} for SHA-512), one block on, and around 4 KiB.
 */
START_TEST(edges)
{
	unsigned int impl;
	const struct alg *a = pick(_i, &impl);
	const size_t b = a->block, e1 = b - a->lenfield - 1, e2 = b - a->lenfield;
	const size_t lens[] = {
		0, 1, e1, e2, b - 1, b, b + 1, b + e1, b + e2, 2 * b - 1, 2 * b,
		3 * b - 1, 3 * b, 4096 - a->lenfield - 1, 4096 - a->lenfield,
		4096 - 1, 4096, 4096 + e1, 4096 + e2, 4096 + b - 1, 8192,
	};
	size_t i;

	if (!a->usable(impl))
		return;		/* the "usable" test below fails if it should be */
	ck_assert_int_eq(a->force(a->impl_name(impl)), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_lengths(a, impl, lens[i]);
	a->force(NULL);
}
END_TEST

START_TEST(random_lengths)
{
	unsigned int impl, k;
	const struct alg *a = pick(_i, &impl);

	if (!a->usable(impl))
		return;
	seed = 777 + _i;
	ck_assert_int_eq(a->force(a->impl_name(impl)), 0);
	for (k = 0; k < 12; k++)
		check_lengths(a, impl, rnd() % MAXLEN);
	a->force(NULL);
}
END_TEST

/* Independent of the portable code: unsalted digests equal OpenSSL's. */
START_TEST(vs_openssl)
{
	unsigned int impl;
	const struct alg *a = pick(_i, &impl);
	static uint8_t buf[32][5000];
	const uint8_t *p[32];
	union state st;
	uint8_t out[32 * MAXDIGEST], want[MAXDIGEST];
	size_t len;
	unsigned int i;

	if (!a->usable(impl))
		return;
	for (i = 0; i < 32; i++) {
		size_t j;

		for (j = 0; j < sizeof(buf[i]); j++)
			buf[i][j] = (uint8_t)rnd();
		p[i] = buf[i] + i;
	}
	a->make_state(&st, 0, NULL);
	for (len = 0; len < 4200; len += 1 + len / 7) {
		a->hash_many(impl, &st, p, len, out);
		for (i = 0; i < a->lanes(impl); i++) {
			a->openssl(p[i], len, want);
			ck_assert_msg(memcmp(out + a->digest * i, want, a->digest) == 0,
				      "%s %s len %zu lane %u", a->name, a->impl_name(impl), len, i);
		}
	}
}
END_TEST

/* Identical lanes (the padded tail path repeats a message) agree too. */
START_TEST(same_message_every_lane)
{
	unsigned int impl;
	const struct alg *a = pick(_i, &impl);
	static uint8_t buf[4096];
	const uint8_t *p[32];
	union state st;
	uint8_t out[32 * MAXDIGEST], want[MAXDIGEST];
	unsigned int i;

	if (!a->usable(impl))
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (i = 0; i < 32; i++)
		p[i] = buf;
	make_state(a, &st, 1);
	a->finish_generic(&st, buf, sizeof(buf), want);
	a->hash_many(impl, &st, p, sizeof(buf), out);
	for (i = 0; i < a->lanes(impl); i++)
		ck_assert_mem_eq(out + a->digest * i, want, a->digest);
}
END_TEST

/*
 * The constant final block's schedule is computed once and kept per thread
 * (lib/sha*_x86.c, sha256_kernel.h): it must follow every change of length
 * and salt (the marker block, the second padding block, a new total), and
 * threads hashing different lengths at once must not see each other's.
 */
struct sched_run {
	const struct alg *a;
	unsigned int impl;
	unsigned int start;	/* where in lens[] this thread begins */
	int bad;		/* the first mismatch: 1 + step, or 0 */
};

static void *sched_thread(void *arg)
{
	static const size_t lens[] = { 4096, 1024, 4096, 4096 + 112, 4096, 65536, 4096,
				       127, 4096 + 120, 4096 + 112, 8192, 4096 };
	struct sched_run *r = arg;
	const struct alg *a = r->a;
	const unsigned int lanes = a->lanes(r->impl), ds = a->digest;
	uint8_t *buf = malloc(65536 + 32), out[32 * MAXDIGEST], want[MAXDIGEST];
	const uint8_t *p[32];
	unsigned int step, i, k;

	for (i = 0; i < 65536 + 32; i++)
		buf[i] = (uint8_t)(i * 7 + r->start);
	for (i = 0; i < 32; i++)
		p[i] = buf + i;
	for (step = 0; step < 200 && !r->bad; step++) {
		size_t len = lens[(r->start + step) % (sizeof(lens) / sizeof(lens[0]))];
		union state st;

		make_state(a, &st, (step / 3) % 3);	/* the salt changes every third */
		a->hash_many(r->impl, &st, p, len, out);
		for (k = 0; k < lanes; k++) {
			a->finish_generic(&st, p[k], len, want);
			if (memcmp(out + ds * k, want, ds) != 0) {
				r->bad = 1 + (int)step;
				break;
			}
		}
	}
	free(buf);
	return NULL;
}

START_TEST(const_block_follows_length)
{
	unsigned int impl;
	const struct alg *a = pick(_i, &impl);
	struct sched_run run[3];
	pthread_t t[2];
	unsigned int i;

	if (!a->usable(impl))
		return;
	/* This thread alone, then two threads at once on other lengths. */
	run[0] = (struct sched_run){ a, impl, 0, 0 };
	sched_thread(&run[0]);
	ck_assert_msg(run[0].bad == 0, "%s %s step %d", a->name, a->impl_name(impl),
		      run[0].bad - 1);
	for (i = 0; i < 2; i++) {
		run[1 + i] = (struct sched_run){ a, impl, 1 + 5 * i, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, sched_thread, &run[1 + i]), 0);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(run[1 + i].bad == 0, "%s %s thread %u step %d", a->name,
			      a->impl_name(impl), i, run[1 + i].bad - 1);
	}
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
#elif defined(__aarch64__)
/* HWCAP_SHA2 and HWCAP_SHA512 of Linux's arm64 <asm/hwcap.h>. */
static unsigned int cpu_has(void)
{
	unsigned long hwcap = getauxval(AT_HWCAP);

	return (hwcap & (1UL << 6) ? MBV_CPU_ARM64_SHA2 : 0) |
	       (hwcap & (1UL << 21) ? MBV_CPU_ARM64_SHA512 : 0);
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
#if defined(__x86_64__)
/* CPUID leaf 0's vendor, read here independently of lib/cpu_features.c. */
static int is_intel(void)
{
	unsigned int a, b, c, d;
	char v[13];

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return 0;
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	return strcmp(v, "GenuineIntel") == 0;
}

/* The vendor the dispatcher picks its cost table by. */
START_TEST(cpu_kind)
{
	ck_assert_int_eq(mbv_cpu_kind() == MBV_CPU_KIND_INTEL, is_intel());
}
END_TEST
#else
static int __attribute__((unused)) is_intel(void)
{
	return 0;
}

START_TEST(cpu_kind)
{
	ck_assert_int_eq(mbv_cpu_kind(), MBV_CPU_KIND_OTHER);
}
END_TEST
#endif

START_TEST(expected_kernels_usable)
{
	static const struct {
		unsigned int alg;
		const char *name;
		unsigned int feature;
	} want[] = {
		{ 0, "x32_avx512", MBV_CPU_AVX512 },
		{ 0, "x16_avx512", MBV_CPU_AVX512 },
		{ 0, "x8_avx2", MBV_CPU_AVX2 },
		{ 0, "ni_x4", MBV_CPU_SHANI },
		{ 0, "ni_x2", MBV_CPU_SHANI },
		{ 0, "ni_x1", MBV_CPU_SHANI },
		{ 1, "x8_avx512", MBV_CPU_AVX512 },
		{ 1, "x4_avx2", MBV_CPU_AVX2 },
		{ 0, "ce_x2", MBV_CPU_ARM64_SHA2 },
		{ 0, "ce_x1", MBV_CPU_ARM64_SHA2 },
		{ 1, "ce_x2", MBV_CPU_ARM64_SHA512 },
		{ 1, "ce_x1", MBV_CPU_ARM64_SHA512 },
	};
	const char *masked = getenv("MBV_DISABLE_CPU_FEATURES");
	unsigned int have = cpu_has(), i, k, nusable[2] = { 0, 0 };

	if (masked && *masked) {
		fprintf(stderr, "test_hash_impls: MBV_DISABLE_CPU_FEATURES=%s\n", masked);
		have &= mbv_cpu_features();
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct alg *a = &algs[want[i].alg];
		unsigned int n = a->count(), j, impl = n;

		for (j = 0; j < n; j++)
			if (strcmp(a->impl_name(j), want[i].name) == 0)
				impl = j;
#ifdef MBV_HAVE_ASM
		if (want[i].feature & (MBV_CPU_SHANI | MBV_CPU_AVX2 | MBV_CPU_AVX512))
			ck_assert_msg(impl < n, "%s %s not compiled in", a->name, want[i].name);
#endif
#ifdef MBV_HAVE_ARM64_CE
		if (want[i].feature == MBV_CPU_ARM64_SHA2)
			ck_assert_msg(impl < n, "%s %s not compiled in", a->name, want[i].name);
#endif
#ifdef MBV_HAVE_ARM64_SHA512
		if (want[i].feature == MBV_CPU_ARM64_SHA512)
			ck_assert_msg(impl < n, "%s %s not compiled in", a->name, want[i].name);
#endif
		if (impl == n)
			continue;
		if (have & want[i].feature)
			ck_assert_msg(a->usable(impl),
				      "CPU has the features of %s %s but it is unusable",
				      a->name, want[i].name);
		if (a->usable(impl))
			nusable[want[i].alg]++;
	}
	for (k = 0; k < 2; k++) {
		const struct alg *a = &algs[k];

		ck_assert(a->chosen_usable());
		if (nusable[k])
			ck_assert_str_ne(a->chosen(), "generic");
#ifdef MBV_HAVE_ASM
		/*
		 * The choice on a CPU with AVX-512 (the fastest per message
		 * there): SHA-256's x16 on Intel cores (two 512-bit pipes),
		 * x32 on Zen 5 and others.
		 */
		if (have & MBV_CPU_AVX512)
			ck_assert_str_eq(a->chosen(), k == 1 ? "x8_avx512" :
					 is_intel() ? "x16_avx512" : "x32_avx512");
#endif
		fprintf(stderr, "test_hash_impls: %s best is %s\n", a->name, a->chosen());
	}
}
END_TEST

/*
 * The automatic choice is never the portable C (it stays the reference):
 * where no kernel of ours runs, the OpenSSL fallback is chosen, for both
 * algorithms.  In a --disable-asm build this is the only path.
 */
START_TEST(fallback_not_generic)
{
	unsigned int k, i;

	unsetenv("MBV_IMPL");
	for (k = 0; k < 2; k++) {
		const struct alg *a = &algs[k];
		unsigned int ours = 0;

		ck_assert_int_eq(a->force(NULL), 0);
		ck_assert_str_ne(a->chosen(), "generic");
		for (i = 0; i < a->count(); i++)
			if (a->features(i) && a->usable(i))
				ours++;
		if (!ours)
			ck_assert_str_eq(a->chosen(), "openssl");
		fprintf(stderr, "test_hash_impls: %s automatic choice %s (%u kernels of ours usable)\n",
			a->name, a->chosen(), ours);
	}
}
END_TEST

/* The tables are widest first, end with generic, names are unique. */
START_TEST(table_shape)
{
	unsigned int k, i, j;

	for (k = 0; k < 2; k++) {
		const struct alg *a = &algs[k];
		unsigned int n = a->count();

		ck_assert_uint_ge(n, 1);
		for (i = 0; i + 1 < n; i++)
			ck_assert_uint_ge(a->lanes(i), a->lanes(i + 1));
		ck_assert_str_eq(a->impl_name(n - 1), "generic");
		ck_assert_uint_eq(a->features(n - 1), 0);
		for (i = 0; i < n; i++) {
			ck_assert_uint_le(a->lanes(i), 32);
			for (j = i + 1; j < n; j++)
				ck_assert_str_ne(a->impl_name(i), a->impl_name(j));
		}
	}
}
END_TEST

START_TEST(forcing)
{
	unsigned int k, i;

	for (k = 0; k < 2; k++) {
		const struct alg *a = &algs[k];

		ck_assert_int_eq(a->force("no-such-kernel"), -ENOENT);
		for (i = 0; i < a->count(); i++) {
			if (!a->usable(i)) {
				ck_assert_int_eq(a->force(a->impl_name(i)), -ENOENT);
				continue;
			}
			ck_assert_int_eq(a->force(a->impl_name(i)), 0);
			ck_assert_str_eq(a->chosen(), a->impl_name(i));
		}
		ck_assert_int_eq(a->force(NULL), 0);
		ck_assert(a->chosen_usable());
	}
	/* The pointers themselves, for each algorithm's own API. */
	for (i = 0; mbv_sha256_impls[i]; i++)
		if (mbv_sha256_impl_usable(mbv_sha256_impls[i])) {
			ck_assert_int_eq(mbv_sha256_force(mbv_sha256_impls[i]->name), 0);
			ck_assert_ptr_eq(mbv_sha256_best(), mbv_sha256_impls[i]);
		}
	for (i = 0; mbv_sha512_impls[i]; i++)
		if (mbv_sha512_impl_usable(mbv_sha512_impls[i])) {
			ck_assert_int_eq(mbv_sha512_force(mbv_sha512_impls[i]->name), 0);
			ck_assert_ptr_eq(mbv_sha512_best(), mbv_sha512_impls[i]);
		}
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
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

/*
 * MBV_IMPL: a bare name is SHA-256's, "sha512:" and "sha256:" prefixes pick
 * the algorithm, comma-separated.
 */
START_TEST(env_forcing_both)
{
	const struct mbv_sha256_impl *auto256;
	const struct mbv_sha512_impl *auto512;
	unsigned int i;

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

	/* Every usable SHA-512 kernel by its spelling, beside a SHA-256 one. */
	for (i = 0; mbv_sha512_impls[i]; i++) {
		char env[64];

		if (!mbv_sha512_impl_usable(mbv_sha512_impls[i]))
			continue;
		snprintf(env, sizeof(env), "generic,sha512:%s", mbv_sha512_impls[i]->name);
		ck_assert_int_eq(setenv("MBV_IMPL", env, 1), 0);
		ck_assert_int_eq(mbv_sha256_force(NULL), 0);
		ck_assert_int_eq(mbv_sha512_force(NULL), 0);
		ck_assert_ptr_eq(mbv_sha512_best(), mbv_sha512_impls[i]);
		ck_assert_str_eq(mbv_sha256_impl_name(), "generic");
	}
	unsetenv("MBV_IMPL");
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash_impls");
	TCase *tc = tcase_create("impls");
	SRunner *sr;
	int failed, nimpl;
	unsigned int k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; i < algs[k].count(); i++)
			fprintf(stderr, "test_hash_impls: %s %-10s lanes %2u %s\n",
				algs[k].name, algs[k].impl_name(i), algs[k].lanes(i),
				algs[k].usable(i) ? "usable" : "NOT usable");
	nimpl = (int)(algs[0].count() + algs[1].count());
	tcase_add_test(tc, table_shape);
	tcase_add_test(tc, expected_kernels_usable);
	tcase_add_test(tc, cpu_kind);
	tcase_add_test(tc, forcing);
	tcase_add_test(tc, env_forcing);
	tcase_add_test(tc, env_forcing_both);
	tcase_add_test(tc, fallback_not_generic);
	tcase_add_loop_test(tc, edges, 0, nimpl);
	tcase_add_loop_test(tc, random_lengths, 0, nimpl);
	tcase_add_loop_test(tc, vs_openssl, 0, nimpl);
	tcase_add_loop_test(tc, same_message_every_lane, 0, nimpl);
	tcase_add_loop_test(tc, const_block_follows_length, 0, nimpl);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
