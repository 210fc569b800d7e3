/* SPDX-License-Identifier: MIT */
/* The one place that chooses the SHA-256 and SHA-512 implementations for this CPU. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "cpu_features.h"
#include "hash_openssl.h"
#ifdef MBV_HAVE_ASM
#include "x86/sha256_x86.h"
#include "x86/sha512_x86.h"
#endif
#if defined(MBV_HAVE_ARM64_CE) || defined(MBV_HAVE_ARM64_SHA512)
#include "arm64/arm64.h"
#endif

/* ---- the tables ------------------------------------------------------------ */

static void sha256_many_generic(const struct mbv_sha256_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out)
{
	mbv_sha256_finish_generic(st, data[0], len, out);
}

static const struct mbv_sha256_impl sha256_generic = {
	.name = "generic", .lanes = 1, .required_features = 0,
	.hash_many = sha256_many_generic,
};

/* Wherever no kernel of ours runs: libcrypto's own assembly, never slower than OpenSSL. */
static const struct mbv_sha256_impl sha256_openssl = {
	.name = "openssl", .lanes = 1, .required_features = 0,
	.hash_many = mbv_sha256_many_openssl,
};

#ifdef MBV_HAVE_ARM64_CE
static const struct mbv_sha256_impl sha256_ce_x2 = {
	.name = "ce_x2", .lanes = 2, .required_features = MBV_CPU_ARM64_SHA2,
	.hash_many = mbv_sha256_many_ce_x2,
};
static const struct mbv_sha256_impl sha256_ce_x1 = {
	.name = "ce_x1", .lanes = 1, .required_features = MBV_CPU_ARM64_SHA2,
	.hash_many = mbv_sha256_many_ce_x1,
};
#endif

#ifdef MBV_HAVE_ASM
static const struct mbv_sha256_impl sha256_x32_avx512 = {
	.name = "x32_avx512", .lanes = 32, .required_features = MBV_CPU_AVX512,
	.hash_many = mbv_sha256_many_x32_avx512,
};
static const struct mbv_sha256_impl sha256_x16_avx512 = {
	.name = "x16_avx512", .lanes = 16, .required_features = MBV_CPU_AVX512,
	.hash_many = mbv_sha256_many_x16_avx512,
};
static const struct mbv_sha256_impl sha256_x8_avx2 = {
	.name = "x8_avx2", .lanes = 8, .required_features = MBV_CPU_AVX2,
	.hash_many = mbv_sha256_many_x8_avx2,
};
static const struct mbv_sha256_impl sha256_ni_x4 = {
	.name = "ni_x4", .lanes = 4, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x4,
};
static const struct mbv_sha256_impl sha256_ni_x2 = {
	.name = "ni_x2", .lanes = 2, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x2,
};
static const struct mbv_sha256_impl sha256_ni_x1 = {
	.name = "ni_x1", .lanes = 1, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x1,
};
#endif

/* Widest first: the tail of a batch walks down this list. */
const struct mbv_sha256_impl *const mbv_sha256_impls[] = {
#ifdef MBV_HAVE_ASM
	&sha256_x32_avx512,
	&sha256_x16_avx512,
	&sha256_x8_avx2,
	&sha256_ni_x4,
	&sha256_ni_x2,
	&sha256_ni_x1,
#endif
#ifdef MBV_HAVE_ARM64_CE
	&sha256_ce_x2,
	&sha256_ce_x1,
#endif
	&sha256_openssl,
	&sha256_generic,
	NULL,
};

static void sha512_many_generic(const struct mbv_sha512_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out)
{
	mbv_sha512_finish_generic(st, data[0], len, out);
}

static const struct mbv_sha512_impl sha512_generic = {
	.name = "generic", .lanes = 1, .required_features = 0,
	.hash_many = sha512_many_generic,
};

#ifdef MBV_HAVE_ASM
static const struct mbv_sha512_impl sha512_x8_avx512 = {
	.name = "x8_avx512", .lanes = 8, .required_features = MBV_CPU_AVX512,
	.hash_many = mbv_sha512_many_x8_avx512,
};
static const struct mbv_sha512_impl sha512_x4_avx2 = {
	.name = "x4_avx2", .lanes = 4, .required_features = MBV_CPU_AVX2,
	.hash_many = mbv_sha512_many_x4_avx2,
};
#endif

static const struct mbv_sha512_impl sha512_openssl = {
	.name = "openssl", .lanes = 1, .required_features = 0,
	.hash_many = mbv_sha512_many_openssl,
};

#ifdef MBV_HAVE_ARM64_SHA512
static const struct mbv_sha512_impl sha512_ce_x2 = {
	.name = "ce_x2", .lanes = 2, .required_features = MBV_CPU_ARM64_SHA512,
	.hash_many = mbv_sha512_many_ce_x2,
};
static const struct mbv_sha512_impl sha512_ce_x1 = {
	.name = "ce_x1", .lanes = 1, .required_features = MBV_CPU_ARM64_SHA512,
	.hash_many = mbv_sha512_many_ce_x1,
};
#endif

/* Widest first, as for SHA-256. */
const struct mbv_sha512_impl *const mbv_sha512_impls[] = {
#ifdef MBV_HAVE_ASM
	&sha512_x8_avx512,
	&sha512_x4_avx2,
#endif
#ifdef MBV_HAVE_ARM64_SHA512
	&sha512_ce_x2,
	&sha512_ce_x1,
#endif
	&sha512_openssl,
	&sha512_generic,
	NULL,
};

/*
 * Time of one call on 4 KiB messages, in arbitrary units (nanoseconds, from
 * `make bench` on the CPU named).  Only the ratios matter: they pick the
 * fastest implementation and the cheapest way to finish a batch's tail.
 * A CPU gets its vendor's table (cpu_features.c's mbv_cpu_kind()); others
 * the Zen 5 one.  An entry missing here costs as much as the generic code
 * of its algorithm.  "openssl" is a little dearer than our one-lane kernels
 * (they skip its context set-up), far cheaper than "generic".  The ARM64
 * ("ce_") figures are not measured (no ARM64 machine here): they only rank
 * ce_x2 (two messages in flight) over ce_x1 over OpenSSL, which runs the
 * same instructions one message at a time.
 */
struct cost {
	const char *name;
	unsigned int cost;
};

/* SHA-256 on a Zen 5 core (and any CPU without a table of its own). */
static const struct cost sha256_costs_zen5[] = {
	{ "x32_avx512", 20200 }, { "x16_avx512", 11100 }, { "x8_avx2", 17800 },
	{ "ni_x4", 5370 }, { "ni_x2", 3000 }, { "ni_x1", 2440 },
	{ "ce_x2", 3400 }, { "ce_x1", 2400 },
	{ "openssl", 2500 }, { "generic", 14100 }, { NULL, 0 },
};

/*
 * SHA-256 on the Intel Xeon (Sapphire Rapids class, KVM) of 2026-12-03,
 * `bench_hash -a sha256 -m 128 -r 5` hot: x16 3.94 GB/s beats x32 3.77
 * (two 512-bit pipes: x32's second set of lanes only adds register
 * pressure), SHA-NI x4 2.29, x1 1.71, OpenSSL 1.54.
 */
static const struct cost sha256_costs_intel[] = {
	{ "x32_avx512", 34770 }, { "x16_avx512", 16630 }, { "x8_avx2", 21000 },
	{ "ni_x4", 7150 }, { "ni_x2", 3590 }, { "ni_x1", 2400 },
	{ "openssl", 2660 }, { "generic", 14630 }, { NULL, 0 },
};

/*
 * SHA-512: nanoseconds on that Intel Xeon, bench_hash; every CPU (Zen 5's
 * SHA-512 kernels are not measured yet).
 */
static const struct cost sha512_costs[] = {
	{ "x8_avx512", 9750 }, { "x4_avx2", 12400 }, { "ce_x2", 7000 }, { "ce_x1", 5000 },
	{ "openssl", 5500 }, { "generic", 8530 }, { NULL, 0 },
};

/* ---- one planner for both algorithms --------------------------------------- */

#define MAX_IMPLS 16
#define MAX_LANES 32
#define NENTRIES(t) (sizeof(t) / sizeof((t)[0]) - 1)
_Static_assert(NENTRIES(mbv_sha256_impls) <= MAX_IMPLS, "grow MAX_IMPLS");
_Static_assert(NENTRIES(mbv_sha512_impls) <= MAX_IMPLS, "grow MAX_IMPLS");

/* What the planner needs of a table entry, whichever the algorithm. */
struct entry {
	const char *name;
	unsigned int lanes;
	unsigned int required_features;
	unsigned int cost;
};

/*
 * How to finish any batch with a given main implementation (indices into
 * the family's table): full batches use it; a batch of n < lanes messages
 * starts with tail[n], which is either narrower or runs with its spare
 * lanes repeating a message (when that is cheaper than several narrow calls).
 */
struct plan {
	unsigned char impl;
	unsigned char tail[MAX_LANES];
};

struct family {
	const char *alg;		/* "sha256", "sha512": the MBV_IMPL prefix */
	const struct cost *costs;
	size_t n;			/* entries in e[] */
	struct entry e[MAX_IMPLS];
	struct plan plans[MAX_IMPLS];
	pthread_once_t once;
	_Atomic(const struct plan *) chosen;
};

static struct family sha256_family = {
	.alg = "sha256", .costs = sha256_costs_zen5, .once = PTHREAD_ONCE_INIT,
};
static struct family sha512_family = {
	.alg = "sha512", .costs = sha512_costs, .once = PTHREAD_ONCE_INIT,
};

static int entry_usable(const struct entry *e)
{
	unsigned int have = mbv_cpu_features();

	return (e->required_features & have) == e->required_features;
}

static unsigned int cost_of(const struct family *f, const char *name)
{
	const struct cost *c;
	unsigned int generic = 1;

	for (c = f->costs; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c->cost;
		if (strcmp(c->name, "generic") == 0)
			generic = c->cost;
	}
	return generic;
}

/* Minimum-cost cover of n = 1..lanes-1 messages by usable entries no wider than @impl. */
static void make_plan(const struct family *f, struct plan *p, size_t impl)
{
	unsigned long cost[MAX_LANES];
	unsigned int n;
	size_t i;

	p->impl = (unsigned char)impl;
	cost[0] = 0;
	for (n = 1; n < f->e[impl].lanes; n++) {
		cost[n] = (unsigned long)-1;
		for (i = 0; i < f->n; i++) {
			const struct entry *c = &f->e[i];
			unsigned long k;

			if (c->lanes > f->e[impl].lanes || !entry_usable(c))
				continue;
			k = c->cost + (c->lanes >= n ? 0 : cost[n - c->lanes]);
			if (k < cost[n]) {
				cost[n] = k;
				p->tail[n] = (unsigned char)i;
			}
		}
	}
}

static void make_plans(struct family *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (entry_usable(&f->e[i]))
			make_plan(f, &f->plans[i], i);
}

/* The tables' entries copied into the planner's shape, once, then the plans. */
#define FAMILY_FILL(f, table)						\
	do {								\
		for ((f)->n = 0; (table)[(f)->n]; (f)->n++) {		\
			struct entry *e_ = &(f)->e[(f)->n];		\
			e_->name = (table)[(f)->n]->name;		\
			e_->lanes = (table)[(f)->n]->lanes;		\
			e_->required_features = (table)[(f)->n]->required_features; \
			e_->cost = cost_of((f), e_->name);		\
		}							\
		make_plans(f);						\
	} while (0)

static void sha256_setup(void)
{
	if (mbv_cpu_kind() == MBV_CPU_KIND_INTEL)
		sha256_family.costs = sha256_costs_intel;
	FAMILY_FILL(&sha256_family, mbv_sha256_impls);
}

static void sha512_setup(void)
{
	FAMILY_FILL(&sha512_family, mbv_sha512_impls);
}

static struct family *setup(struct family *f)
{
	pthread_once(&f->once, f == &sha256_family ? sha256_setup : sha512_setup);
	return f;
}

static int find_entry(const struct family *f, const char *name, size_t namelen)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strlen(f->e[i].name) == namelen &&
		    memcmp(f->e[i].name, name, namelen) == 0)
			return (int)i;
	return -1;
}

static int force_n(struct family *f, const char *name, size_t namelen)
{
	int i = find_entry(setup(f), name, namelen);

	if (i < 0 || !entry_usable(&f->e[i]))
		return -ENOENT;
	atomic_store(&f->chosen, &f->plans[i]);
	return 0;
}

static int force(struct family *f, const char *name)
{
	if (!name) {
		atomic_store(&f->chosen, NULL);
		return 0;
	}
	return force_n(f, name, strlen(name));
}

/* The usable entry with the lowest cost per message. */
static size_t fastest(const struct family *f)
{
	size_t best = f->n - 1;		/* "generic", always last */
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct entry *c = &f->e[i], *b = &f->e[best];

		if (entry_usable(c) &&
		    (unsigned long)c->cost * b->lanes < (unsigned long)b->cost * c->lanes)
			best = i;
	}
	return best;
}

/*
 * MBV_IMPL: comma-separated names; "sha512:NAME" (or "sha256:NAME") picks
 * that algorithm's implementation, a bare NAME is SHA-256's.  A name that is
 * unknown or unusable here leaves the automatic choice.
 */
static int force_by_env(struct family *f)
{
	const char *p = getenv("MBV_IMPL");
	size_t alglen = strlen(f->alg);

	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *colon = memchr(p, ':', n);
		int mine = colon ? (size_t)(colon - p) == alglen && memcmp(p, f->alg, alglen) == 0
				 : f == &sha256_family;

		if (mine) {
			const char *name = colon ? colon + 1 : p;

			return force_n(f, name, n - (size_t)(name - p));
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return -ENOENT;
}

static const struct plan *get_plan(struct family *f)
{
	const struct plan *p = atomic_load_explicit(&f->chosen, memory_order_acquire);

	if (p)
		return p;
	setup(f);
	if (force_by_env(f) != 0)
		atomic_store(&f->chosen, &f->plans[fastest(f)]);
	return atomic_load(&f->chosen);
}

/*
 * Walk a batch of @n messages through plan @p: @call(impl, data, out) runs
 * entry impl on exactly its lane count of messages.
 */
static void run_plan(const struct family *f, const struct plan *p, size_t digest_size,
		     const uint8_t *const data[], size_t n, uint8_t *out,
		     void (*call)(size_t impl, const void *st, const uint8_t *const d[],
				  size_t len, uint8_t *o),
		     const void *st, size_t len)
{
	unsigned int lanes = f->e[p->impl].lanes;

	for (; n >= lanes; n -= lanes) {
		call(p->impl, st, data, len, out);
		data += lanes;
		out += lanes * digest_size;
	}
	while (n) {
		size_t c = p->tail[n];
		unsigned int cl = f->e[c].lanes;

		if (cl <= n) {
			call(c, st, data, len, out);
			data += cl;
			out += cl * digest_size;
			n -= cl;
		} else {
			/* Spare lanes rehash the first message; drop their digests. */
			const uint8_t *d[MAX_LANES];
			uint8_t o[MAX_LANES * MBV_SHA512_DIGEST_SIZE];
			unsigned int i;

			for (i = 0; i < cl; i++)
				d[i] = data[i < n ? i : 0];
			call(c, st, d, len, o);
			memcpy(out, o, n * digest_size);
			n = 0;
		}
	}
}

/* ---- SHA-256 --------------------------------------------------------------- */

int mbv_sha256_impl_usable(const struct mbv_sha256_impl *impl)
{
	unsigned int have = mbv_cpu_features();

	return (impl->required_features & have) == impl->required_features;
}

int mbv_sha256_force(const char *name)
{
	return force(&sha256_family, name);
}

const struct mbv_sha256_impl *mbv_sha256_best(void)
{
	return mbv_sha256_impls[get_plan(&sha256_family)->impl];
}

const char *mbv_sha256_impl_name(void)
{
	return mbv_sha256_best()->name;
}

static void sha256_call(size_t impl, const void *st, const uint8_t *const d[],
			size_t len, uint8_t *o)
{
	mbv_sha256_impls[impl]->hash_many(st, d, len, o);
}

void mbv_sha256_finish_many(const struct mbv_sha256_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out)
{
	run_plan(&sha256_family, get_plan(&sha256_family), MBV_SHA256_DIGEST_SIZE,
		 data, n, out, sha256_call, st, len);
}

/* ---- SHA-512 --------------------------------------------------------------- */

int mbv_sha512_impl_usable(const struct mbv_sha512_impl *impl)
{
	unsigned int have = mbv_cpu_features();

	return (impl->required_features & have) == impl->required_features;
}

int mbv_sha512_force(const char *name)
{
	return force(&sha512_family, name);
}

const struct mbv_sha512_impl *mbv_sha512_best(void)
{
	return mbv_sha512_impls[get_plan(&sha512_family)->impl];
}

const char *mbv_sha512_impl_name(void)
{
	return mbv_sha512_best()->name;
}

static void sha512_call(size_t impl, const void *st, const uint8_t *const d[],
			size_t len, uint8_t *o)
{
	mbv_sha512_impls[impl]->hash_many(st, d, len, o);
}

void mbv_sha512_finish_many(const struct mbv_sha512_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out)
{
	run_plan(&sha512_family, get_plan(&sha512_family), MBV_SHA512_DIGEST_SIZE,
		 data, n, out, sha512_call, st, len);
}
