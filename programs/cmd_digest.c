/* SPDX-License-Identifier: MIT */
/* mbverity digest: the fs-verity digest of regular files, like `fsverity digest`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "progress.h"
#include "mbverity.h"
#include "file_tree.h"
#include "messages.h"
#include "options.h"
#include "out_file.h"

/* How a digest line looks. */
struct output_form {
	bool compact, builtin_sig;
};

static void print_result(const struct output_form *out, const struct mbv_tree_result *res,
			 const char *name)
{
	if (out->builtin_sig) {
		uint8_t fd[12 + MBV_MAX_DIGEST_SIZE];
		int n = mbv_formatted_digest(res->hash_algorithm, res->digest, fd);

		print_hex(stdout, fd, (size_t)n);
		if (!out->compact)
			printf(" %s", name);
		putchar('\n');
	} else if (out->compact) {
		print_hex(stdout, res->digest, res->digest_size);
		putchar('\n');
	} else {
		print_digest_line(res->hash_algorithm, res->digest, name);
	}
}

/*
 * One file, its tree and descriptor written to files (only on success).
 * Return: 0, 1 (the file failed) or 2 (an output cannot be created, which
 * fsverity treats as a usage error).
 */
static int digest_to_files(const char *path, const struct tree_options *t,
			   struct mbv_pool *pool, const char *out_tree,
			   const char *out_desc, const struct output_form *out)
{
	struct mbv_tree_result res;
	struct out_file tree_file, desc_file;
	bool have_tree = false, have_desc = false, ok;
	int err;

	if (out_tree) {
		err = out_file_open(&tree_file, out_tree);
		if (err) {
			error_msg("cannot create '%s': %s", out_tree, strerror(-err));
			return 2;
		}
		have_tree = true;
	}
	if (out_desc) {
		err = out_file_open(&desc_file, out_desc);
		if (err) {
			error_msg("cannot create '%s': %s", out_desc, strerror(-err));
			if (have_tree)
				out_file_close(&tree_file, false);
			return 2;
		}
		have_desc = true;
	}
	err = file_tree(path, t, pool, have_tree ? tree_block_to_file : NULL,
			have_tree ? &tree_file : NULL, &res);
	ok = !err;
	if (ok && have_desc) {
		err = out_file_write(&desc_file, res.descriptor, MBV_DESCRIPTOR_SIZE);
		if (err)
			error_msg("cannot write '%s': %s", out_desc, strerror(-err));
		ok = !err;
	}
	if (have_tree && (err = out_file_close(&tree_file, ok)) != 0 && ok) {
		error_msg("cannot write '%s': %s", out_tree, strerror(-err));
		ok = false;
	}
	if (have_desc && (err = out_file_close(&desc_file, ok)) != 0 && ok) {
		error_msg("cannot write '%s': %s", out_desc, strerror(-err));
		ok = false;
	}
	progress_add_file();
	progress_clear();
	if (!ok)
		return 1;
	print_result(out, &res, path);
	return 0;
}

/* One FILE: hashed ahead whole when small; a large one is split across the pool in order. */
struct digest_item {
	const char *path;
	bool small;
	int err;
	struct mbv_tree_result res;
};

static void digest_ahead(void *ctx, void *item)
{
	struct digest_item *it = item;

	it->err = file_tree(it->path, ctx, NULL, NULL, NULL, &it->res);
}

/* Many files, every thread busy, output in the order given, up to the first failure. */
static int digest_many(char **paths, size_t count, const struct tree_options *t,
		       struct mbv_pool *pool, const struct output_form *out)
{
	struct mbv_queue *q;
	struct digest_item *it;
	size_t next = 0;
	int status = 0;

	if (mbv_queue_new(pool, AHEAD_FILES, sizeof(struct digest_item), digest_ahead,
			  (void *)t, &q) != 0) {
		error_msg("out of memory");
		return 1;
	}
	for (;;) {
		while (next < count && (it = mbv_queue_slot(q)) != NULL) {
			struct stat st;

			it->path = paths[next++];
			/* Unreadable ones too: file_tree() reports them. */
			it->small = stat(it->path, &st) != 0 ||
				    (uint64_t)st.st_size < AHEAD_MAX_FILE_BYTES;
			mbv_queue_push(q, it->small);
		}
		it = mbv_queue_head(q);
		if (!it)
			break;
		if (!it->small)
			it->err = file_tree(it->path, t, pool, NULL, NULL, &it->res);
		progress_add_file();
		progress_clear();
		if (it->err) {
			/* As fsverity: the files after a failed one are not printed. */
			status = 1;
			break;
		}
		print_result(out, &it->res, it->path);
		mbv_queue_pop(q);
	}
	mbv_queue_free(q, NULL);
	return status;
}

int cmd_digest(int argc, char **argv)
{
	static const struct option longopts[] = {
		TREE_LONG_OPTIONS,
		{ "out-merkle-tree", required_argument, NULL, OPT_OUT_MERKLE_TREE },
		{ "out-descriptor", required_argument, NULL, OPT_OUT_DESCRIPTOR },
		{ "compact", no_argument, NULL, OPT_COMPACT },
		{ "for-builtin-sig", no_argument, NULL, OPT_FOR_BUILTIN_SIG },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct tree_options t;
	struct mbv_pool *pool = NULL;
	unsigned int threads = 0;
	const char *out_tree = NULL, *out_desc = NULL;
	struct output_form out = { false, false };
	bool quiet = false;
	uint64_t total_bytes = 0;
	int opt, i, status;

	tree_options_init(&t);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		CASE_TREE_OPTIONS:
			if (!parse_tree_option(&t, opt, optarg))
				return 2;
			break;
		case OPT_OUT_MERKLE_TREE: out_tree = optarg; break;
		case OPT_OUT_DESCRIPTOR: out_desc = optarg; break;
		case OPT_COMPACT: out.compact = true; break;
		case OPT_FOR_BUILTIN_SIG: out.builtin_sig = true; break;
		case OPT_THREADS:
			if (!parse_threads(optarg, &threads))
				return 2;
			break;
		case OPT_QUIET: quiet = true; break;
		case OPT_HELP:
			return print_help(digest_usage);
		default:
			return option_error(digest_usage, argv);
		}
	}
	if (optind >= argc)
		return usage_error(digest_usage, "no FILE given");
	if (check_tree_options(&t) != 0)
		return 1;
	if (mbv_pool_new(threads, &pool) != 0) {
		error_msg("cannot start %u threads", threads);
		return 1;
	}
	for (i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
			total_bytes += (uint64_t)st.st_size;
	}
	progress_start(total_bytes, (uint64_t)(argc - optind), quiet);

	if (out_tree || out_desc) {
		/* Several FILEs: as fsverity, the outputs end with the last file's. */
		status = 0;
		for (i = optind; i < argc && status == 0; i++)
			status = digest_to_files(argv[i], &t, pool, out_tree, out_desc, &out);
	} else {
		status = digest_many(argv + optind, (size_t)(argc - optind), &t, pool, &out);
	}
	progress_end();
	mbv_pool_free(pool);
	return status;
}
