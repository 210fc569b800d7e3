/* SPDX-License-Identifier: MIT */
/* Reader for tests/data/kat.tsv and the generator of its inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbverity.h"
#include "kat.h"

size_t kat_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (n < max && s[0] && s[1] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "kat: %s: %s\n", path, what);
	exit(99);
}

/*
 * KAT_MAX_BYTES=N leaves out the inputs above N bytes, saying so: the
 * emulated cross job (scripts/cross-arm64.sh) cannot afford 64 MiB inputs
 * per kernel; native runs have every row.
 */
static size_t kat_limit(const char *path, struct kat *rows, size_t n)
{
	const char *env = getenv("KAT_MAX_BYTES");
	uint64_t max;
	size_t i, kept = 0;

	if (!env || !*env)
		return n;
	max = strtoull(env, NULL, 10);
	for (i = 0; i < n; i++)
		if (rows[i].size <= max)
			rows[kept++] = rows[i];
	fprintf(stderr, "kat: KAT_MAX_BYTES=%s: %zu of %zu known answers of %s left out\n",
		env, n - kept, n, path);
	return kept;
}

size_t kat_load(const char *path, struct kat **rows)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0, cap = 0;

	if (!f)
		die("cannot open", path);
	*rows = NULL;
	if (!fgets(line, sizeof(line), f))	/* header */
		die("empty", path);
	while (fgets(line, sizeof(line), f)) {
		char *field[13], *save = NULL, *p;
		struct kat *k;
		int i = 0;

		for (p = strtok_r(line, "\t\n", &save); p && i < 13; p = strtok_r(NULL, "\t\n", &save))
			field[i++] = p;
		/* strtok_r skips an empty field: a row without salt has 12. */
		if (i != 13 && i != 12)
			die("bad row", path);
		if (n == cap) {
			cap = cap ? 2 * cap : 128;
			*rows = realloc(*rows, cap * sizeof(**rows));
			if (!*rows)
				die("out of memory", path);
		}
		k = &(*rows)[n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->id, sizeof(k->id), "%s", field[0]);
		snprintf(k->content_name, sizeof(k->content_name), "%s", field[1]);
		k->size = strtoull(field[2], NULL, 10);
		k->hash_alg = mbv_hash_alg_by_name(field[4]);
		k->block_size = (uint32_t)strtoul(field[5], NULL, 10);
		if (i == 13) {
			k->salt_size = (uint32_t)kat_hex(field[6], k->salt, sizeof(k->salt));
			i = 7;
		} else {
			i = 6;
		}
		kat_hex(field[i++], k->digest, sizeof(k->digest));
		kat_hex(field[i++], k->root_hash, sizeof(k->root_hash));
		k->tree_size = strtoull(field[i++], NULL, 10);
		kat_hex(field[i++], k->tree_sha256, sizeof(k->tree_sha256));
		kat_hex(field[i++], k->content_sha256, sizeof(k->content_sha256));
		if (!k->hash_alg || !k->block_size)
			die("bad row", path);
	}
	fclose(f);
	return kat_limit(path, *rows, n);
}

uint8_t *kat_content(const struct kat *k)
{
	uint8_t *p = malloc(k->size ? k->size : 1);
	uint64_t i;

	if (!p)
		return NULL;
	for (i = 0; i < k->size; i++) {
		if (strncmp(k->content_name, "zero", 4) == 0)
			p[i] = 0;
		else if (strncmp(k->content_name, "a_", 2) == 0)
			p[i] = 'a';
		else if (strncmp(k->content_name, "imod", 4) == 0)
			p[i] = (uint8_t)(i % 256);
		else if (strncmp(k->content_name, "fvu", 3) == 0)
			p[i] = (uint8_t)((i % 11 + i % 439 + i % 1103) % 256);
		else if (strcmp(k->content_name, "one_byte_x") == 0)
			p[i] = 'x';
		else
			die("unknown content", k->content_name);
	}
	return p;
}
