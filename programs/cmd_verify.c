/* SPDX-License-Identifier: MIT */
/* mbverity verify: check live verity files, or those inside an ext4 image, against their data. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "live.h"
#include "mbverity.h"
#include "messages.h"
#include "options.h"

struct verify_run {
	struct struct_ext2_filsys *fs;
	struct mbv_pool *pool;
	struct image_msg m;
	bool quiet;
	unsigned long files, bad;
	struct mbv_sig_verifier *verifier; /* --cert: check stored signatures against it */
	bool require_signatures;	/* unsigned verity files fail */
	int image_fd;			/* for verifying ahead in other threads; or -1 */
	struct mbv_queue *q;
};

/* One file in the pipeline: verified ahead, its messages kept for printing in order. */
struct verify_item {
	char *path;
	uint32_t ino;
	bool found;			/* the PATH was found (its error is in msgs otherwise) */
	struct mbv_ext4_detached *d;	/* NULL: verified at the head, by the pool */
	int err;
	struct mbv_ext4_verity_info info;
	char *msgs;			/* lines, each ending in a newline */
	size_t msgs_len;
	bool msgs_lost;
};

static void keep_message(void *ctx, const char *msg)
{
	struct verify_item *it = ctx;
	size_t n = strlen(msg);
	char *p = realloc(it->msgs, it->msgs_len + n + 2);

	if (!p) {
		it->msgs_lost = true;
		return;
	}
	memcpy(p + it->msgs_len, msg, n);
	p[it->msgs_len + n] = '\n';
	p[it->msgs_len + n + 1] = '\0';
	it->msgs = p;
	it->msgs_len += n + 1;
}

static void keep_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	keep_message(ctx, p->message);
}

static void drop_item(void *item)
{
	struct verify_item *it = item;

	mbv_ext4_detached_free(it->d);
	free(it->path);
	free(it->msgs);
}

static void print_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	image_error(ctx, p->message);
}

/* The file's signature: from the detached file (any thread) or through libext2fs. */
static int read_signature(const struct verify_run *v, struct verify_item *it, uint8_t *sig,
			  size_t len, size_t *done, mbv_error_fn error, void *ctx)
{
	if (it->d)
		return mbv_ext4_detached_read_metadata(it->d, MBV_METADATA_SIGNATURE, 0, sig, len,
						       done, error, ctx);
	return mbv_ext4_read_metadata(v->fs, it->ino, MBV_METADATA_SIGNATURE, 0, sig, len, done,
				      error, ctx);
}

/*
 * Check @it's stored signature as the kernel would with --cert's certificate
 * alone in its .fs-verity keyring; without --cert, as the kernel would before
 * it looks for a key (a malformed one fails); with --require-signatures an
 * unsigned file fails.  Messages go to @error.  Return: 0 or -errno.
 */
static int check_signature(const struct verify_run *v, struct verify_item *it,
			   mbv_error_fn error, void *ctx)
{
	char why[MBV_SIG_ERRBUF_SIZE], msg[MBV_SIG_ERRBUF_SIZE + 32];
	uint8_t *sig;
	size_t done = 0;
	int err;

	if (!it->info.sig_size) {
		if (!v->require_signatures)
			return 0;
		error(ctx, "no signature (--require-signatures)");
		return -EPERM;
	}
	sig = malloc(it->info.sig_size);
	if (!sig) {
		error(ctx, "out of memory");
		return -ENOMEM;
	}
	err = read_signature(v, it, sig, it->info.sig_size, &done, error, ctx);
	if (!err && done != it->info.sig_size) {
		error(ctx, "signature shorter than the descriptor says");
		err = -EIO;
	}
	if (!err) {
		if (v->verifier)
			err = mbv_sig_verifier_check(v->verifier, it->info.hash_algorithm,
						     it->info.digest, sig, done, keep_reason, why);
		else
			err = mbv_parse_signature(it->info.hash_algorithm, sig, done,
						  keep_reason, why);
		if (err) {
			snprintf(msg, sizeof(msg), "bad signature: %s", why);
			error(ctx, msg);
		}
	}
	free(sig);
	return err;
}

/* Verify ahead, the signature too (no libext2fs: any thread). */
static void verify_ahead(void *ctx, void *item)
{
	const struct verify_run *v = ctx;
	struct verify_item *it = item;

	it->err = mbv_ext4_detached_verify(it->d, NULL, keep_problem, it, &it->info,
					   keep_message, it);
	if (!it->err)
		it->err = check_signature(v, it, keep_message, it);
}

/* Print the head item's outcome: its messages, signature, and the ok line. */
static void finish_item(struct verify_run *v, struct verify_item *it)
{
	v->m.path = it->path;
	if (it->found && !it->d) {
		/* Large (or not detachable): the pool splits it, messages go out directly. */
		it->err = mbv_ext4_verify(v->fs, it->ino, v->pool, print_problem, &v->m,
					  &it->info, image_error, &v->m);
		if (!it->err)
			it->err = check_signature(v, it, image_error, &v->m);
	} else {
		char *line, *save = NULL;

		for (line = it->msgs ? strtok_r(it->msgs, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			image_error(&v->m, line);
		if (it->msgs_lost)
			image_error(&v->m, "out of memory: messages were lost");
	}
	if (!it->found || it->err) {
		v->bad++;
	} else if (!v->quiet) {
		/* Only a certificate tells whether the kernel will accept the signature. */
		printf(it->info.sig_size && !v->verifier ? "signed, not checked " : "ok ");
		print_digest_line(it->info.hash_algorithm, it->info.digest, it->path);
	}
	v->m.path = NULL;
}

/* Finish the oldest file in the pipeline; false when there is none. */
static bool finish_head(struct verify_run *v)
{
	struct verify_item *it = mbv_queue_head(v->q);

	if (!it)
		return false;
	finish_item(v, it);
	drop_item(it);
	mbv_queue_pop(v->q);
	return true;
}

/* Queue @path (inode @ino, or looked up when 0), finishing older files while the pipeline is full. */
static int queue_file(void *ctx, uint32_t ino, const char *path)
{
	struct verify_run *v = ctx;
	struct verify_item *it;

	while (!(it = mbv_queue_slot(v->q)))
		finish_head(v);
	v->files++;
	it->path = strdup(path);
	if (!it->path) {
		error_msg("out of memory");
		return -ENOMEM;
	}
	it->found = ino || mbv_ext4_lookup(v->fs, path, &ino, keep_message, it) == 0;
	it->ino = ino;
	if (it->found && v->image_fd >= 0 &&
	    mbv_ext4_detach(v->fs, ino, v->image_fd, &it->d, NULL, NULL) == 0 &&
	    mbv_ext4_detached_size(it->d) > AHEAD_MAX_FILE_BYTES) {
		mbv_ext4_detached_free(it->d);
		it->d = NULL;
	}
	mbv_queue_push(v->q, it->d != NULL);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "require-signatures", no_argument, NULL, OPT_REQUIRE_SIGNATURES },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct verify_run v = { .image_fd = -1 };
	unsigned int threads = 0;
	int opt, i, status = 1;
	bool walk_failed = false;
	const char *cert = NULL;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_THREADS:
			if (!parse_threads(optarg, &threads))
				return 2;
			break;
		case OPT_QUIET: v.quiet = true; break;
		case OPT_CERT: cert = optarg; break;
		case OPT_REQUIRE_SIGNATURES: v.require_signatures = true; break;
		case OPT_IMAGE: v.m.image = optarg; break;
		case OPT_HELP:
			return print_help(verify_usage);
		default:
			return option_error(verify_usage, argv);
		}
	}
	if (!v.m.image) {
		struct live_verify_options o = {
			.threads = threads, .quiet = v.quiet, .cert = cert,
			.require_signatures = v.require_signatures,
		};

		if (argc - optind < 1)
			return usage_error(verify_usage, "need at least one FILE");
		return live_verify(argc - optind, argv + optind, &o);
	}
	if (cert) {
		char why[MBV_SIG_ERRBUF_SIZE];

		/* Once for every file and thread; a bad certificate fails before any file. */
		if (mbv_sig_verifier_new(cert, &v.verifier, keep_reason, why) != 0) {
			error_msg("%s", why);
			return 1;
		}
	}
	if (mbv_pool_new(threads, &v.pool) != 0) {
		error_msg("cannot start %u threads", threads);
		return 1;
	}
	if (mbv_ext4_open(v.m.image, 0, &v.fs, image_error, &v.m) != 0)
		goto out;
	if (mbv_queue_new(v.pool, AHEAD_FILES, sizeof(struct verify_item), verify_ahead, &v,
			  &v.q) != 0) {
		error_msg("out of memory");
		mbv_ext4_close(v.fs, image_error, &v.m);
		goto out;
	}
	v.image_fd = open(v.m.image, O_RDONLY | O_CLOEXEC);
	if (argc == optind &&
	    mbv_ext4_for_each_verity_file(v.fs, queue_file, &v, image_error, &v.m) != 0)
		walk_failed = true;
	for (i = optind; i < argc; i++)
		if (queue_file(&v, 0, argv[i]) != 0)
			v.bad++;
	while (finish_head(&v))
		;
	if (walk_failed)
		v.bad++;
	else if (argc == optind && !v.files && !v.quiet)
		fprintf(stderr, "mbverity: %s: no file has fs-verity\n", v.m.image);
	mbv_queue_free(v.q, drop_item);
	if (v.image_fd >= 0)
		close(v.image_fd);
	status = v.bad ? 1 : 0;
	if (mbv_ext4_close(v.fs, image_error, &v.m) != 0)
		status = 1;
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output");
		status = 1;
	}
out:
	mbv_pool_free(v.pool);
	mbv_sig_verifier_free(v.verifier);
	return status;
}
