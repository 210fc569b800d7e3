/* SPDX-License-Identifier: MIT */
/* The one place that chooses a SHA-256 implementation for this CPU. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "cpu_features.h"
#ifdef MBV_HAVE_ASM
#include "sha256_x86.h"
#endif

static void sha256_many_generic(const struct mbv_sha256_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out)
{
	mbv_sha256_finish_generic(st, data[0], len, out);
}

static const struct mbv_sha256_impl impl_generic = {
	.name = "generic", .lanes = 1, .required_features = 0,
	.hash_many = sha256_many_generic,
};

#ifdef MBV_HAVE_ASM
static const struct mbv_sha256_impl impl_x32_avx512 = {
	.name = "x32_avx512", .lanes = 32, .required_features = MBV_CPU_AVX512,
	.hash_many = mbv_sha256_many_x32_avx512,
};
static const struct mbv_sha256_impl impl_x16_avx512 = {
	.name = "x16_avx512", .lanes = 16, .required_features = MBV_CPU_AVX512,
	.hash_many = mbv_sha256_many_x16_avx512,
};
static const struct mbv_sha256_impl impl_x8_avx2 = {
	.name = "x8_avx2", .lanes = 8, .required_features = MBV_CPU_AVX2,
	.hash_many = mbv_sha256_many_x8_avx2,
};
static const struct mbv_sha256_impl impl_ni_x4 = {
	.name = "ni_x4", .lanes = 4, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x4,
};
static const struct mbv_sha256_impl impl_ni_x2 = {
	.name = "ni_x2", .lanes = 2, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x2,
};
static const struct mbv_sha256_impl impl_ni_x1 = {
	.name = "ni_x1", .lanes = 1, .required_features = MBV_CPU_SHANI,
	.hash_many = mbv_sha256_many_ni_x1,
};
#endif

/* Widest first: the tail of a batch walks down this list. */
const struct mbv_sha256_impl *const mbv_sha256_impls[] = {
#ifdef MBV_HAVE_ASM
	&impl_x32_avx512,
	&impl_x16_avx512,
	&impl_x8_avx2,
	&impl_ni_x4,
	&impl_ni_x2,
	&impl_ni_x1,
#endif
	&impl_generic,
	NULL,
};

#define NIMPLS (sizeof(mbv_sha256_impls) / sizeof(mbv_sha256_impls[0]) - 1)
#define MAX_LANES 32

/*
 * Time of one call on 4 KiB messages, in arbitrary units (nanoseconds on a
 * Zen 5 core, from `make bench`).  Only the ratios matter: they pick the
 * fastest implementation and the cheapest way to finish a batch's tail.
 */
static unsigned int call_cost(const struct mbv_sha256_impl *impl)
{
#ifdef MBV_HAVE_ASM
	if (impl == &impl_x32_avx512)
		return 20200;
	if (impl == &impl_x16_avx512)
		return 11100;
	if (impl == &impl_x8_avx2)
		return 17800;
	if (impl == &impl_ni_x4)
		return 5370;
	if (impl == &impl_ni_x2)
		return 3000;
	if (impl == &impl_ni_x1)
		return 2440;
#endif
	return 14100;
}

/*
 * How to finish any batch with a given main implementation: full batches
 * use it; a batch of n < lanes messages starts with tail[n], which is either
 * narrower or runs with its spare lanes repeating a message (when that is
 * cheaper than several narrow calls).
 */
struct plan {
	const struct mbv_sha256_impl *impl;
	const struct mbv_sha256_impl *tail[MAX_LANES];
};

static struct plan plans[NIMPLS];
static pthread_once_t plans_once = PTHREAD_ONCE_INIT;
static _Atomic(const struct plan *) chosen;

int mbv_sha256_impl_usable(const struct mbv_sha256_impl *impl)
{
	unsigned int have = mbv_cpu_features();

	return (impl->required_features & have) == impl->required_features;
}

/* Minimum-cost cover of n = 1..lanes-1 messages by usable kernels no wider than @p->impl. */
static void make_plan(struct plan *p, const struct mbv_sha256_impl *impl)
{
	unsigned long cost[MAX_LANES];
	unsigned int n;
	size_t i;

	p->impl = impl;
	cost[0] = 0;
	for (n = 1; n < impl->lanes; n++) {
		cost[n] = (unsigned long)-1;
		for (i = 0; mbv_sha256_impls[i]; i++) {
			const struct mbv_sha256_impl *c = mbv_sha256_impls[i];
			unsigned long k;

			if (c->lanes > impl->lanes || !mbv_sha256_impl_usable(c))
				continue;
			k = call_cost(c) + (c->lanes >= n ? 0 : cost[n - c->lanes]);
			if (k < cost[n]) {
				cost[n] = k;
				p->tail[n] = c;
			}
		}
	}
}

static void make_plans(void)
{
	size_t i;

	for (i = 0; i < NIMPLS; i++)
		if (mbv_sha256_impl_usable(mbv_sha256_impls[i]))
			make_plan(&plans[i], mbv_sha256_impls[i]);
}

static const struct plan *plan_of(const struct mbv_sha256_impl *impl)
{
	size_t i;

	pthread_once(&plans_once, make_plans);
	for (i = 0; i < NIMPLS; i++)
		if (mbv_sha256_impls[i] == impl)
			return &plans[i];
	return NULL;
}

static const struct mbv_sha256_impl *find_impl(const char *name)
{
	size_t i;

	for (i = 0; mbv_sha256_impls[i]; i++)
		if (strcmp(mbv_sha256_impls[i]->name, name) == 0)
			return mbv_sha256_impls[i];
	return NULL;
}

int mbv_sha256_force(const char *name)
{
	const struct mbv_sha256_impl *impl;

	if (!name) {
		atomic_store(&chosen, NULL);
		return 0;
	}
	impl = find_impl(name);
	if (!impl || !mbv_sha256_impl_usable(impl))
		return -ENOENT;
	atomic_store(&chosen, plan_of(impl));
	return 0;
}

/* The usable implementation with the lowest cost per message. */
static const struct mbv_sha256_impl *fastest(void)
{
	const struct mbv_sha256_impl *best = &impl_generic;
	size_t i;

	for (i = 0; mbv_sha256_impls[i]; i++) {
		const struct mbv_sha256_impl *c = mbv_sha256_impls[i];

		if (mbv_sha256_impl_usable(c) &&
		    (unsigned long)call_cost(c) * best->lanes <
		    (unsigned long)call_cost(best) * c->lanes)
			best = c;
	}
	return best;
}

static const struct plan *get_plan(void)
{
	const struct plan *p = atomic_load_explicit(&chosen, memory_order_acquire);
	const char *env;

	if (p)
		return p;
	env = getenv("MBV_IMPL");
	if (!(env && *env && mbv_sha256_force(env) == 0))
		atomic_store(&chosen, plan_of(fastest()));
	return atomic_load(&chosen);
}

const struct mbv_sha256_impl *mbv_sha256_best(void)
{
	return get_plan()->impl;
}

const char *mbv_sha256_impl_name(void)
{
	return get_plan()->impl->name;
}

void mbv_sha256_finish_many(const struct mbv_sha256_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out)
{
	const struct plan *p = get_plan();
	const struct mbv_sha256_impl *impl = p->impl;

	for (; n >= impl->lanes; n -= impl->lanes) {
		impl->hash_many(st, data, len, out);
		data += impl->lanes;
		out += (size_t)impl->lanes * MBV_SHA256_DIGEST_SIZE;
	}
	while (n) {
		const struct mbv_sha256_impl *c = p->tail[n];

		if (c->lanes <= n) {
			c->hash_many(st, data, len, out);
			data += c->lanes;
			out += (size_t)c->lanes * MBV_SHA256_DIGEST_SIZE;
			n -= c->lanes;
		} else {
			/* Spare lanes rehash the first message; drop their digests. */
			const uint8_t *d[MAX_LANES];
			uint8_t o[MAX_LANES * MBV_SHA256_DIGEST_SIZE];
			unsigned int i;

			for (i = 0; i < c->lanes; i++)
				d[i] = data[i < n ? i : 0];
			c->hash_many(st, d, len, o);
			memcpy(out, o, n * MBV_SHA256_DIGEST_SIZE);
			n = 0;
		}
	}
}
