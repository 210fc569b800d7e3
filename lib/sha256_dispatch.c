/* SPDX-License-Identifier: MIT */
/* The one place that chooses a SHA-256 implementation for this CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "cpu_features.h"
#include "mbverity.h"

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

/* Widest first: the tail of a batch walks down this list. */
const struct mbv_sha256_impl *const mbv_sha256_impls[] = {
	&impl_generic,
	NULL,
};

static const struct mbv_sha256_impl *chosen;

int mbv_sha256_impl_usable(const struct mbv_sha256_impl *impl)
{
	unsigned int have = mbv_cpu_features();

	return (impl->required_features & have) == impl->required_features;
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
		chosen = NULL;
		return 0;
	}
	impl = find_impl(name);
	if (!impl || !mbv_sha256_impl_usable(impl))
		return -ENOENT;
	chosen = impl;
	return 0;
}

const struct mbv_sha256_impl *mbv_sha256_best(void)
{
	const char *env;
	size_t i;

	if (chosen)
		return chosen;
	env = getenv("MBV_IMPL");
	if (env && *env && mbv_sha256_force(env) == 0)
		return chosen;
	for (i = 0; mbv_sha256_impls[i]; i++) {
		if (mbv_sha256_impl_usable(mbv_sha256_impls[i])) {
			chosen = mbv_sha256_impls[i];
			break;
		}
	}
	return chosen;
}

void mbv_sha256_finish_many(const struct mbv_sha256_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out)
{
	const struct mbv_sha256_impl *impl = mbv_sha256_best();
	size_t i = 0;

	while (n) {
		while (impl->lanes > n) {
			/* Step down to the next usable, narrower implementation. */
			const struct mbv_sha256_impl *next = NULL;

			for (i = 0; mbv_sha256_impls[i]; i++) {
				const struct mbv_sha256_impl *c = mbv_sha256_impls[i];

				if (c->lanes < impl->lanes && mbv_sha256_impl_usable(c) &&
				    (!next || c->lanes > next->lanes))
					next = c;
			}
			impl = next;
		}
		impl->hash_many(st, data, len, out);
		data += impl->lanes;
		out += (size_t)impl->lanes * MBV_SHA256_DIGEST_SIZE;
		n -= impl->lanes;
	}
}

const char *mbv_sha256_impl_name(void)
{
	return mbv_sha256_best()->name;
}
