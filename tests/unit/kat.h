/* SPDX-License-Identifier: MIT */
/* Known answers produced by fsverity-utils (tests/data/kat.tsv), and their inputs. */
#ifndef MBV_TESTS_KAT_H
#define MBV_TESTS_KAT_H

#include <stddef.h>
#include <stdint.h>

struct kat {
	char id[64];
	char content_name[32];
	uint64_t size;
	uint32_t hash_alg;
	uint32_t block_size;
	uint8_t salt[32];
	uint32_t salt_size;
	uint8_t digest[64];
	uint8_t root_hash[64];
	uint64_t tree_size;
	uint8_t tree_sha256[32];
	uint8_t content_sha256[32];
};

/* Load every row of @path; returns the count, *rows malloc'ed; aborts on a bad file. */
size_t kat_load(const char *path, struct kat **rows);
/* The input of a row, regenerated (malloc'ed, size bytes). */
uint8_t *kat_content(const struct kat *k);
/* Parse @n bytes of hex; returns the bytes parsed. */
size_t kat_hex(const char *s, uint8_t *out, size_t max);

#endif
