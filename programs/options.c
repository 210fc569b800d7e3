/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "messages.h"
#include "options.h"

void tree_options_init(struct tree_options *t)
{
	static const struct mbv_tree_spec none;
	struct mbv_tree_spec dflt;

	/* The library's defaults (SHA-256, 4096), which cannot be refused. */
	memset(t, 0, sizeof(*t));
	mbv_tree_spec_check(&none, &dflt, NULL, NULL);
	t->hash_alg = dflt.hash_algorithm;
	t->block_size = dflt.block_size;
}

bool parse_u64(const char *arg, uint64_t *v)
{
	char *end;

	if (!*arg || *arg == '-')
		return false;
	errno = 0;
	*v = strtoull(arg, &end, 10);
	return !errno && !*end;
}

uint64_t source_date_epoch(void)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (!env || !*env)
		return 0;
	if (!parse_u64(env, &v)) {
		error_msg("ignoring SOURCE_DATE_EPOCH='%s': not a number of seconds", env);
		return 0;
	}
	return v;
}

bool parse_threads(const char *arg, unsigned int *threads)
{
	uint64_t v;

	if (!parse_u64(arg, &v) || v > 1024) {
		error_msg("invalid thread count '%s': 0 (all CPUs) to 1024", arg);
		return false;
	}
	*threads = (unsigned int)v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_tree_option(struct tree_options *t, int opt, const char *arg)
{
	uint64_t v;
	size_t i, n;

	switch (opt) {
	case OPT_HASH_ALG:
		t->hash_alg = mbv_hash_alg_by_name(arg);
		if (!t->hash_alg) {
			error_msg("unknown hash algorithm '%s' (known: sha256 sha512)", arg);
			return false;
		}
		return true;
	case OPT_BLOCK_SIZE:
		if (!parse_u64(arg, &v) || v == 0 || (v & (v - 1)) ||
		    v > (1u << MBV_MAX_BLOCK_SIZE_LOG2)) {
			error_msg("invalid block size '%s': must be a power of 2 up to %u",
				  arg, 1u << MBV_MAX_BLOCK_SIZE_LOG2);
			return false;
		}
		t->block_size = (uint32_t)v;
		return true;
	case OPT_SALT:
		n = strlen(arg);
		if (n % 2) {
			error_msg("invalid salt '%s': odd number of hex digits", arg);
			return false;
		}
		if (n / 2 > CLI_MAX_SALT_SIZE) {
			error_msg("invalid salt: %zu bytes, at most %d allowed", n / 2,
				  MBV_MAX_SALT_SIZE);
			return false;
		}
		for (i = 0; i < n / 2; i++) {
			int hi = hex_value(arg[2 * i]), lo = hex_value(arg[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				error_msg("invalid salt '%s': not a hex string", arg);
				return false;
			}
			t->salt[i] = (uint8_t)(hi << 4 | lo);
		}
		t->salt_size = (uint32_t)(n / 2);
		return true;
	}
	return false;
}

static void print_reason(void *ctx, const char *msg)
{
	error_msg("%s", msg);
}

int check_tree_options(const struct tree_options *t)
{
	struct mbv_tree_spec spec;

	tree_spec_from_options(&spec, t);
	return mbv_tree_spec_check(&spec, NULL, print_reason, NULL);
}

void tree_spec_from_options(struct mbv_tree_spec *spec, const struct tree_options *t)
{
	memset(spec, 0, sizeof(*spec));
	spec->hash_algorithm = t->hash_alg;
	spec->block_size = t->block_size;
	spec->salt_size = t->salt_size;
	spec->salt = t->salt;
}

void tree_params_from_options(struct mbv_tree_params *p,
			      const struct tree_options *t, uint64_t file_size)
{
	memset(p, 0, sizeof(*p));
	p->version = MBV_TREE_PARAMS_VERSION;
	tree_spec_from_options(&p->spec, t);
	p->file_size = file_size;
}
