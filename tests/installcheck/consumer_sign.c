/* SPDX-License-Identifier: MIT */
/*
 * An installed-tree consumer of the signature API: consumer_sign FILE KEY
 * CERT SIGFILE signs FILE's digest as `fsverity sign` does, checks the
 * signature against CERT, and writes it to SIGFILE.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <mbverity/sign.h>
#include <mbverity/tree.h>

static int read_file(void *ctx, void *buf, size_t count)
{
	return fread(buf, 1, count, ctx) == count ? 0 : -EIO;
}

/* The library's one-line reason, kept for the message below. */
static void keep_reason(void *ctx, const char *msg)
{
	snprintf(ctx, 256, "%s", msg);
}

int main(int argc, char **argv)
{
	struct mbv_tree_params p = { .version = MBV_TREE_PARAMS_VERSION,
				     .spec.hash_algorithm = MBV_HASH_ALG_SHA256 };
	struct mbv_tree_result res;
	char why[256];
	uint8_t *sig;
	size_t size;
	struct stat st;
	FILE *f;
	int err;

	if (argc != 5 || !(f = fopen(argv[1], "rb")) || fstat(fileno(f), &st)) {
		fprintf(stderr, "usage: consumer_sign FILE KEY CERT SIGFILE\n");
		return 2;
	}
	p.file_size = st.st_size;
	err = mbv_compute_tree(&p, read_file, f, &res, NULL, NULL);
	fclose(f);
	if (err) {
		fprintf(stderr, "consumer_sign: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = mbv_sign_digest(res.hash_algorithm, res.digest, argv[2], argv[3],
			      &sig, &size, keep_reason, why);
	if (err) {
		fprintf(stderr, "consumer_sign: signing: %s\n", why);
		return 1;
	}
	err = mbv_verify_signature(res.hash_algorithm, res.digest, sig, size,
				   argv[3], keep_reason, why);
	if (err) {
		fprintf(stderr, "consumer_sign: own signature refused: %s\n", why);
		return 1;
	}
	f = fopen(argv[4], "wb");
	if (!f || fwrite(sig, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "consumer_sign: %s: cannot write\n", argv[4]);
		return 1;
	}
	free(sig);
	return 0;
}
