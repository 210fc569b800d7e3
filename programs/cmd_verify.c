/* SPDX-License-Identifier: MIT */
/* mbverity verify: check verity files inside an ext4 image against their data. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "utils.h"

static const char verify_usage[] =
	"mbverity verify IMAGE [PATH...] [--threads=N] [--quiet]\n"
	"       [--cert=PEM] [--require-signatures]";

struct verify_run {
	struct struct_ext2_filsys *fs;
	struct mbv_pool *pool;
	struct image_msg m;
	bool quiet;
	unsigned long files, bad;
	const char *cert;		/* check stored signatures against it */
	bool require_signatures;	/* unsigned verity files fail */
};

static void print_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	image_error(ctx, p->message);
}

/*
 * Check @ino's stored signature as the kernel would with @v->cert alone in
 * its .fs-verity keyring; with --require-signatures an unsigned file fails.
 * Return: 0 or -errno (printed).
 */
static int check_signature(struct verify_run *v, uint32_t ino,
			   const struct mbv_ext4_verity_info *info)
{
	char why[MBV_SIG_ERRBUF_SIZE], msg[MBV_SIG_ERRBUF_SIZE + 32];
	uint8_t *sig;
	size_t done = 0;
	int err;

	if (!info->sig_size) {
		if (!v->require_signatures)
			return 0;
		image_error(&v->m, "no signature (--require-signatures)");
		return -EPERM;
	}
	if (!v->cert)
		return 0;
	sig = malloc(info->sig_size);
	if (!sig) {
		image_error(&v->m, "out of memory");
		return -ENOMEM;
	}
	err = mbv_ext4_read_metadata(v->fs, ino, MBV_METADATA_SIGNATURE, 0, sig,
				     info->sig_size, &done, image_error, &v->m);
	if (!err && done != info->sig_size) {
		image_error(&v->m, "signature shorter than the descriptor says");
		err = -EIO;
	}
	if (!err) {
		err = mbv_verify_signature(info->hash_algorithm, info->digest, sig,
					   done, v->cert, why, sizeof(why));
		if (err) {
			snprintf(msg, sizeof(msg), "bad signature: %s", why);
			image_error(&v->m, msg);
		}
	}
	free(sig);
	return err;
}

static int verify_one(void *ctx, uint32_t ino, const char *path)
{
	struct verify_run *v = ctx;
	struct mbv_ext4_verity_info info;
	int err;

	v->m.path = path;
	v->files++;
	err = mbv_ext4_verify(v->fs, ino, v->pool, print_problem, &v->m, &info,
			      image_error, &v->m);
	if (err) {
		v->bad++;
		return 0;
	}
	if (check_signature(v, ino, &info) != 0) {
		v->bad++;
		return 0;
	}
	if (!v->quiet) {
		printf("ok ");
		print_digest_line(info.hash_algorithm, info.digest, path);
	}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "require-signatures", no_argument, NULL, OPT_REQUIRE_SIGNATURES },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct verify_run v = { 0 };
	unsigned int threads = 0;
	int opt, i, status = 1;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_THREADS:
			if (!parse_threads(optarg, &threads))
				return 2;
			break;
		case OPT_QUIET: v.quiet = true; break;
		case OPT_CERT: v.cert = optarg; break;
		case OPT_REQUIRE_SIGNATURES: v.require_signatures = true; break;
		case OPT_HELP:
			printf("usage: %s\n", verify_usage);
			return 0;
		default:
			return usage_error(verify_usage, "bad option");
		}
	}
	if (argc - optind < 1)
		return usage_error(verify_usage, "need an IMAGE");
	v.m.image = argv[optind];
	if (mbv_pool_new(threads, &v.pool) != 0) {
		error_msg("cannot start %u threads", threads);
		return 1;
	}
	if (mbv_ext4_open(v.m.image, 0, &v.fs, image_error, &v.m) != 0)
		goto out;
	if (argc - optind == 1) {
		if (mbv_ext4_for_each_verity_file(v.fs, verify_one, &v, image_error, &v.m) != 0)
			v.bad++;
		else if (!v.files && !v.quiet)
			fprintf(stderr, "mbverity: %s: no file has fs-verity\n", v.m.image);
	}
	for (i = optind + 1; i < argc; i++) {
		uint32_t ino;

		v.m.path = argv[i];
		if (mbv_ext4_lookup(v.fs, v.m.path, &ino, image_error, &v.m) != 0) {
			v.bad++;
			continue;
		}
		verify_one(&v, ino, argv[i]);
	}
	v.m.path = NULL;
	status = v.bad ? 1 : 0;
	if (mbv_ext4_close(v.fs, image_error, &v.m) != 0)
		status = 1;
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output");
		status = 1;
	}
out:
	mbv_pool_free(v.pool);
	return status;
}
