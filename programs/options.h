/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the commands: the long options, the tree options, numbers. */
#ifndef MBV_PROGRAMS_OPTIONS_H
#define MBV_PROGRAMS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "mbverity/tree.h"

/* Long options shared by several commands (values above any short option). */
enum {
	OPT_HASH_ALG = 256,
	OPT_BLOCK_SIZE,
	OPT_SALT,
	OPT_OUT_MERKLE_TREE,
	OPT_OUT_DESCRIPTOR,
	OPT_COMPACT,
	OPT_FOR_BUILTIN_SIG,
	OPT_KEY,
	OPT_CERT,
	OPT_SIGNATURE,
	OPT_OFFSET,
	OPT_LENGTH,
	OPT_THREADS,
	OPT_QUIET,
	OPT_FORCE,
	OPT_ALL,
	OPT_SET_FEATURE,
	OPT_REQUIRE_SIGNATURES,
	OPT_IMAGE,
	OPT_KEY_PASSIN,
	OPT_PKCS11_ENGINE,
	OPT_PKCS11_MODULE,
	OPT_PKCS11_KEYID,
	OPT_HELP,
};

#define TREE_LONG_OPTIONS \
	{ "hash-alg", required_argument, NULL, OPT_HASH_ALG }, \
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE }, \
	{ "salt", required_argument, NULL, OPT_SALT }
/* Their cases, handled by parse_tree_option(). */
#define CASE_TREE_OPTIONS \
	case OPT_HASH_ALG: case OPT_BLOCK_SIZE: case OPT_SALT

/*
 * A salt longer than fs-verity's 32 bytes is held too: as with fsverity,
 * the tree code refuses it (exit 1), and for a live file the kernel does.
 */
#define CLI_MAX_SALT_SIZE	256

struct tree_options {
	uint32_t hash_alg;
	uint32_t block_size;
	uint8_t salt[CLI_MAX_SALT_SIZE];
	uint32_t salt_size;
};

void tree_options_init(struct tree_options *t);
/* Handle --hash-alg, --block-size, --salt; false (after an error message) if bad. */
bool parse_tree_option(struct tree_options *t, int opt, const char *arg);
/* The spec @t describes (its salt points into @t). */
void tree_spec_from_options(struct mbv_tree_spec *spec, const struct tree_options *t);
/* Fill @p from @t for a file of @file_size bytes. */
void tree_params_from_options(struct mbv_tree_params *p,
			      const struct tree_options *t, uint64_t file_size);
/*
 * What the tree code refuses (mbv_tree_spec_check(): block size vs digest
 * size, salt size): prints its reason and returns -EINVAL; callers exit 1,
 * as fsverity does.  parse_tree_option() refuses only what fsverity's
 * option parser refuses (exit 2): not a number, not a power of 2.
 */
int check_tree_options(const struct tree_options *t);
bool parse_u64(const char *arg, uint64_t *v);
/* $SOURCE_DATE_EPOCH in seconds, or 0 when unset (a bad value is reported and ignored). */
uint64_t source_date_epoch(void);
/* --threads=N: 0 means one per online CPU; prints an error if bad. */
bool parse_threads(const char *arg, unsigned int *threads);

#endif
