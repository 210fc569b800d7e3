/* SPDX-License-Identifier: MIT */
/* mbverity verify: check verity files inside an ext4 image against their data. */
#include <getopt.h>

#include "commands.h"
#include "utils.h"

static const char verify_usage[] =
	"mbverity verify IMAGE [PATH...] [--threads=N] [--quiet]";

struct verify_run {
	struct struct_ext2_filsys *fs;
	struct mbv_pool *pool;
	struct image_msg m;
	bool quiet;
	unsigned long files, bad;
};

static void print_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	image_error(ctx, p->message);
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
