/* SPDX-License-Identifier: MIT */
/*
 * An installed-tree consumer of the tree API: consumer_tree FILE prints
 * FILE's fs-verity digest as `fsverity digest` does.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <mbverity/tree.h>	/* the tree part alone: no libext2fs or OpenSSL headers */

static int read_file(void *ctx, void *buf, size_t count)
{
	return fread(buf, 1, count, ctx) == count ? 0 : -EIO;
}

static void print_error(void *ctx, const char *msg)
{
	fprintf(stderr, "consumer_tree: %s: %s\n", (const char *)ctx, msg);
}

int main(int argc, char **argv)
{
	struct mbv_tree_params p = { .version = MBV_TREE_PARAMS_VERSION,
				     .spec.hash_algorithm = MBV_HASH_ALG_SHA256 };
	struct mbv_tree_result res;
	struct stat st;
	FILE *f;
	int err;

	if (argc != 2 || !(f = fopen(argv[1], "rb")) || fstat(fileno(f), &st)) {
		fprintf(stderr, "usage: consumer_tree FILE (a readable file)\n");
		return 2;
	}
	p.file_size = st.st_size;
	err = mbv_compute_tree(&p, read_file, f, &res, print_error, argv[1]);
	fclose(f);
	if (err) {
		fprintf(stderr, "consumer_tree: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("%s:", mbv_hash_alg_name(res.hash_algorithm));
	for (unsigned int i = 0; i < res.digest_size; i++)
		printf("%02x", res.digest[i]);
	printf(" %s\n", argv[1]);
	return 0;
}
