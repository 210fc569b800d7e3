/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 and SHA-512 throughput on 4 KiB units: every implementation
 * mbverity has, against OpenSSL's SHA256()/SHA512() one unit at a time and
 * intel-ipsec-mb's AVX-512 multi-buffer manager, in the same process and the
 * same run.
 *
 * Usage: bench_hash [-m MiB] [-r rounds] [-q] [-a sha256|sha512]
 *   -m  size of the streamed buffer (default 1024 MiB)
 *   -r  rounds; each round times every contender once, the best round counts
 *   -q  quick: 64 MiB streamed, 5 rounds
 *   -a  one algorithm only (default: both, one table each)
 *
 * Timing: rdtsc, converted to seconds with the TSC frequency measured against
 * CLOCK_MONOTONIC.  cycles/byte are core cycles: TSC time times the core
 * clock, itself measured with a chain of dependent adds (one per cycle).
 * The machine may be shared: hot passes are short and the best one counts;
 * the streamed buffer is timed in 4 MiB chunks and the median chunk counts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#include <openssl/sha.h>
#ifdef HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

#include "hash.h"

#define UNIT 4096
#define HOT_UNITS 64		/* 256 KiB, reused: cache-hot */
#define MAX_CONTENDERS 32

static double tsc_hz, core_hz;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/*
 * The tick counter: the TSC on x86, the generic timer on ARM64, else
 * nanoseconds.  Only x86 gets a core-clock estimate (cycles/byte); elsewhere
 * those columns read 0 and the GB/s and ratios stand alone.
 */
#if defined(__x86_64__)
static unsigned long long ticks(void)
{
	return __rdtsc();
}
#elif defined(__aarch64__)
static unsigned long long ticks(void)
{
	unsigned long long v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
	return v;
}
#else
static unsigned long long ticks(void)
{
	return (unsigned long long)(now() * 1e9);
}
#endif

static void measure_clocks(void)
{
	double t0 = now(), t1;
	unsigned long long c0 = ticks(), c1;
#if defined(__x86_64__)
	unsigned long long best = ~0ull;
	int i;
#endif

	do
		t1 = now();
	while (t1 - t0 < 0.2);
	c1 = ticks();
	tsc_hz = (double)(c1 - c0) / (t1 - t0);
#if defined(__x86_64__)

	/*
	 * 4e5 dependent adds take 4e5 core cycles; short runs dodge preemption.
	 * Register to register: Intel cores since Golden Cove fold chains of
	 * add-immediate at rename, which read as a 3-4x too fast clock.
	 */
	for (i = 0; i < 500; i++) {
		unsigned long n = 100000, x = 0;
		unsigned long long s = ticks();

		__asm__ volatile("1: add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\t"
				 "dec %1\n\tjnz 1b" : "+r"(x), "+r"(n));
		s = ticks() - s;
		if (s < best)
			best = s;
	}
	core_hz = 4e5 / ((double)best / tsc_hz);
#endif
}

/* A contender hashes @n units of UNIT bytes at @p, digests to @out. */
struct contender {
	const char *name;
	void (*run)(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out);
	int alg;				/* 256 or 512 */
	const struct mbv_sha256_impl *impl;	/* mbverity kernels only */
	const struct mbv_sha512_impl *impl512;
	int skip_mem;				/* too slow for the big buffer */
	double hot, mem;			/* best seconds per byte */
};

static struct mbv_sha256_state init_state;
static struct mbv_sha512_state init_state512;

static void run_impl(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	const struct mbv_sha256_impl *impl = c->impl;
	const uint8_t *d[32];
	size_t i, j;

	for (i = 0; i + impl->lanes <= n; i += impl->lanes) {
		for (j = 0; j < impl->lanes; j++)
			d[j] = p + (i + j) * UNIT;
		impl->hash_many(&init_state, d, UNIT, out + 32 * i);
	}
}

/* What the library's callers get: the chosen kernel plus the tail policy. */
static void run_finish_many(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	const uint8_t *d[HOT_UNITS];
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < HOT_UNITS ? n - i : HOT_UNITS;
		for (size_t j = 0; j < k; j++)
			d[j] = p + (i + j) * UNIT;
		mbv_sha256_finish_many(&init_state, d, k, UNIT, out + 32 * i);
	}
}

static void run_openssl(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		SHA256(p + i * UNIT, UNIT, out + 32 * i);
}

static void run_impl512(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	const struct mbv_sha512_impl *impl = c->impl512;
	const uint8_t *d[32];
	size_t i, j;

	for (i = 0; i + impl->lanes <= n; i += impl->lanes) {
		for (j = 0; j < impl->lanes; j++)
			d[j] = p + (i + j) * UNIT;
		impl->hash_many(&init_state512, d, UNIT, out + 64 * i);
	}
}

static void run_finish_many512(const struct contender *c, const uint8_t *p, size_t n,
			       uint8_t *out)
{
	const uint8_t *d[HOT_UNITS];
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < HOT_UNITS ? n - i : HOT_UNITS;
		for (size_t j = 0; j < k; j++)
			d[j] = p + (i + j) * UNIT;
		mbv_sha512_finish_many(&init_state512, d, k, UNIT, out + 64 * i);
	}
}

static void run_openssl512(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		SHA512(p + i * UNIT, UNIT, out + 64 * i);
}

static size_t digest_size(const struct contender *c)
{
	return c->alg == 512 ? 64 : 32;
}

#ifdef HAVE_IPSEC_MB
static IMB_MGR *mgr;

static void ipsec_done(IMB_JOB *job)
{
	if (job->status != IMB_STATUS_COMPLETED) {
		fprintf(stderr, "bench_hash: intel-ipsec-mb job failed (%d)\n", job->status);
		exit(1);
	}
}

static void run_ipsec_mb(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	size_t ds = digest_size(c);
	IMB_JOB *job;
	size_t i;

	for (i = 0; i < n; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		memset(job, 0, sizeof(*job));
		job->cipher_mode = IMB_CIPHER_NULL;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->hash_alg = c->alg == 512 ? IMB_AUTH_SHA_512 : IMB_AUTH_SHA_256;
		job->src = p + i * UNIT;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = UNIT;
		job->auth_tag_output = out + ds * i;
		job->auth_tag_output_len_in_bytes = ds;
		job = IMB_SUBMIT_JOB(mgr);
		while (job) {
			ipsec_done(job);
			job = IMB_GET_COMPLETED_JOB(mgr);
		}
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		ipsec_done(job);
}
#endif

/* Seconds per byte for one pass of @c over @n units. */
static double time_pass(const struct contender *c, const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned long long t = ticks();

	c->run(c, p, n, out);
	t = ticks() - t;
	return (double)t / tsc_hz / ((double)n * UNIT);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * One streaming pass over the big buffer, timed in STREAM_UNITS chunks: the
 * median chunk is the rate, so a preempted chunk (the machine is shared)
 * does not count.  Every byte still comes from memory once.
 */
#define STREAM_UNITS 1024	/* 4 MiB */
static double time_stream(const struct contender *c, const uint8_t *p, size_t n,
			  uint8_t *out, double *chunks)
{
	size_t i, k = 0;

	for (i = 0; i + STREAM_UNITS <= n; i += STREAM_UNITS)
		chunks[k++] = time_pass(c, p + i * UNIT, STREAM_UNITS, out + digest_size(c) * i);
	qsort(chunks, k, sizeof(*chunks), cmp_double);
	return chunks[k / 2];
}

static void check_digests(const struct contender *c, const uint8_t *p, size_t n,
			  uint8_t *out)
{
	size_t ds = digest_size(c);
	uint8_t want[64];
	size_t i;

	memset(out, 0, ds * n);
	c->run(c, p, n, out);
	for (i = 0; i < n; i++) {
		if (c->alg == 512)
			SHA512(p + i * UNIT, UNIT, want);
		else
			SHA256(p + i * UNIT, UNIT, want);
		if (memcmp(want, out + ds * i, ds)) {
			fprintf(stderr, "bench_hash: sha%d %s: wrong digest for unit %zu\n",
				c->alg, c->name, i);
			exit(1);
		}
	}
}

static void fill(uint8_t *p, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

static const struct contender *find(const struct contender *c, int n, int alg,
				     const char *name)
{
	for (int i = 0; i < n; i++)
		if (c[i].alg == alg && strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

/*
 * Our "openssl" table entry (libcrypto from our salted state, the fallback
 * where no kernel of ours runs) is the "fallback" row; "openssl" is
 * OpenSSL's own one-shot SHA256()/SHA512(), the peer it must match.
 */
static const char *contender_name(const char *impl_name)
{
	return strcmp(impl_name, "openssl") == 0 ? "fallback" : impl_name;
}

static void ratio(const char *label, const struct contender *a, const struct contender *b,
		  int mem)
{
	double x, y;

	if (!a || !b)
		return;
	x = mem ? a->mem : a->hot;
	y = mem ? b->mem : b->hot;
	if (x > 0 && y > 0)
		printf("  %-28s %5.2fx\n", label, y / x);
}

/* One table: every contender of algorithm @alg, hot and streamed, and the ratios. */
static void report(struct contender *cs, int ncs, int alg)
{
	const struct contender *best = NULL;
	int i;

	printf("\nSHA-%d    %10s %10s   %10s %10s   (chosen: %s)\n", alg, "hot GB/s",
	       "cyc/byte", "mem GB/s", "cyc/byte",
	       alg == 512 ? mbv_sha512_impl_name() : mbv_sha256_impl_name());
	for (i = 0; i < ncs; i++) {
		const struct contender *c = &cs[i];

		if (c->alg != alg)
			continue;
		printf("%-12s %10.2f %10.3f", c->name, 1e-9 / c->hot, c->hot * core_hz);
		if (c->skip_mem)
			printf("   %10s %10s\n", "-", "-");
		else
			printf("   %10.2f %10.3f\n", 1e-9 / c->mem, c->mem * core_hz);
		if ((c->impl || c->impl512) && (!best || c->hot < best->hot))
			best = c;
	}
	for (int mem_pass = 0; mem_pass < 2; mem_pass++) {
		printf("ratios, SHA-%d %s (best kernel: %s)\n", alg, mem_pass ? "mem" : "hot",
		       best ? best->name : "none");
		ratio("best / openssl", best, find(cs, ncs, alg, "openssl"), mem_pass);
		ratio("best / ipsec-mb", best, find(cs, ncs, alg, "ipsec-mb"), mem_pass);
		if (alg == 256) {
			ratio("ni_x2 / ni_x1", find(cs, ncs, alg, "ni_x2"),
			      find(cs, ncs, alg, "ni_x1"), mem_pass);
			ratio("ni_x4 / ni_x2", find(cs, ncs, alg, "ni_x4"),
			      find(cs, ncs, alg, "ni_x2"), mem_pass);
			ratio("x32 / x16 (avx512)", find(cs, ncs, alg, "x32_avx512"),
			      find(cs, ncs, alg, "x16_avx512"), mem_pass);
		} else {
			ratio("x16 / x8 (avx512)", find(cs, ncs, alg, "x16_avx512"),
			      find(cs, ncs, alg, "x8_avx512"), mem_pass);
			ratio("x8_avx512 / x4_avx2", find(cs, ncs, alg, "x8_avx512"),
			      find(cs, ncs, alg, "x4_avx2"), mem_pass);
		}
		ratio("finish_many / openssl", find(cs, ncs, alg, "finish_many"),
		      find(cs, ncs, alg, "openssl"), mem_pass);
		/* Target: at least 0.95x (issue 15). */
		ratio("fallback / openssl", find(cs, ncs, alg, "fallback"),
		      find(cs, ncs, alg, "openssl"), mem_pass);
	}
}

int main(int argc, char **argv)
{
	struct contender cs[MAX_CONTENDERS];
	size_t mem_mib = 1024, mem_units, i;
	int rounds = 7, ncs = 0, opt, r, want = 0;
	uint8_t *hot, *mem, *out;
	double *chunks;

	while ((opt = getopt(argc, argv, "m:r:qa:")) != -1) {
		switch (opt) {
		case 'm': mem_mib = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = atoi(optarg); break;
		case 'q': mem_mib = 64; rounds = 5; break;
		case 'a':
			want = strcmp(optarg, "sha512") == 0 ? 512 :
			       strcmp(optarg, "sha256") == 0 ? 256 : -1;
			if (want > 0)
				break;
			/* fall through */
		default:
			fprintf(stderr, "usage: %s [-m MiB] [-r rounds] [-q] [-a sha256|sha512]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1)
		rounds = 1;
	mem_units = mem_mib * (1 << 20) / UNIT / STREAM_UNITS * STREAM_UNITS;
	if (mem_units < STREAM_UNITS)
		mem_units = STREAM_UNITS;

	mbv_sha256_init(&init_state);
	mbv_sha512_init(&init_state512);
#ifdef HAVE_IPSEC_MB
	mgr = alloc_mb_mgr(0);
	if (mgr) {
		init_mb_mgr_avx512(mgr);
		if (imb_get_errno(mgr) != 0 || mgr->used_arch != IMB_ARCH_AVX512) {
			fprintf(stderr, "bench_hash: intel-ipsec-mb AVX-512 manager unavailable\n");
			free_mb_mgr(mgr);
			mgr = NULL;
		}
	}
#endif
	if (want != 512) {
		for (i = 0; mbv_sha256_impls[i]; i++) {
			const struct mbv_sha256_impl *impl = mbv_sha256_impls[i];

			if (!mbv_sha256_impl_usable(impl))
				continue;
			cs[ncs++] = (struct contender){ .name = contender_name(impl->name),
				.alg = 256, .run = run_impl, .impl = impl,
				.skip_mem = strcmp(impl->name, "generic") == 0 };
		}
		cs[ncs++] = (struct contender){ .name = "finish_many", .alg = 256,
			.run = run_finish_many };
		cs[ncs++] = (struct contender){ .name = "openssl", .alg = 256, .run = run_openssl };
#ifdef HAVE_IPSEC_MB
		if (mgr)
			cs[ncs++] = (struct contender){ .name = "ipsec-mb", .alg = 256,
				.run = run_ipsec_mb };
#endif
	}
	if (want != 256) {
		for (i = 0; mbv_sha512_impls[i]; i++) {
			const struct mbv_sha512_impl *impl = mbv_sha512_impls[i];

			if (!mbv_sha512_impl_usable(impl))
				continue;
			cs[ncs++] = (struct contender){ .name = contender_name(impl->name),
				.alg = 512, .run = run_impl512, .impl512 = impl,
				.skip_mem = strcmp(impl->name, "generic") == 0 };
		}
		cs[ncs++] = (struct contender){ .name = "finish_many", .alg = 512,
			.run = run_finish_many512 };
		cs[ncs++] = (struct contender){ .name = "openssl", .alg = 512,
			.run = run_openssl512 };
#ifdef HAVE_IPSEC_MB
		if (mgr)
			cs[ncs++] = (struct contender){ .name = "ipsec-mb", .alg = 512,
				.run = run_ipsec_mb };
#endif
	}

	measure_clocks();
	hot = aligned_alloc(4096, HOT_UNITS * UNIT);
	out = malloc(64 * mem_units);
	chunks = malloc(sizeof(*chunks) * (mem_units / STREAM_UNITS));
	mem = mmap(NULL, mem_units * UNIT, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!hot || !out || !chunks || mem == MAP_FAILED) {
		fprintf(stderr, "bench_hash: out of memory\n");
		return 1;
	}
	fill(hot, HOT_UNITS * UNIT);
	fill(mem, mem_units * UNIT);
	for (i = 0; i < (size_t)ncs; i++) {
		check_digests(&cs[i], hot, HOT_UNITS, out);
		cs[i].hot = cs[i].mem = 1e9;
	}

	printf("SHA-256 and SHA-512 of 4 KiB units, one thread\n");
	printf("TSC %.2f GHz (vs CLOCK_MONOTONIC), core ~%.2f GHz (dependent adds); "
	       "best of %d rounds\n", tsc_hz / 1e9, core_hz / 1e9, rounds);
	printf("hot: %d units (%d KiB) rehashed, best pass; mem: %zu MiB streamed once per\n"
	       "round, median 4 MiB chunk, best round\n",
	       HOT_UNITS, HOT_UNITS * UNIT / 1024, mem_units * UNIT >> 20);

	/* Rounds interleave the contenders so that noise hits them alike. */
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < (size_t)ncs; i++) {
			struct contender *c = &cs[i];
			double s;
			int k;

			for (k = 0; k < 20; k++) {
				s = time_pass(c, hot, HOT_UNITS, out);
				if (s < c->hot)
					c->hot = s;
			}
			if (!c->skip_mem) {
				s = time_stream(c, mem, mem_units, out, chunks);
				if (s < c->mem)
					c->mem = s;
			}
		}
	}

	if (want != 512)
		report(cs, ncs, 256);
	if (want != 256)
		report(cs, ncs, 512);
#ifdef HAVE_IPSEC_MB
	if (mgr)
		free_mb_mgr(mgr);
#endif
	munmap(mem, mem_units * UNIT);
	free(hot);
	free(out);
	free(chunks);
	return 0;
}
