/* SPDX-License-Identifier: MIT */
/* mbverity enable: fs-verity on a live file by the kernel, or on files inside an ext4 image, offline. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "progress.h"
#include "enable_session.h"
#include "live.h"
#include "mbverity.h"
#include "key_options.h"
#include "messages.h"
#include "options.h"
#include "out_file.h"
#include "selection.h"
#include "signals.h"

/* enable --all: every regular file of the image, in path order, like mkfs. */
static int enable_all_files(const char *image, const struct tree_options *t,
			    const char *sig_path, bool set_feature,
			    const char *key, const char *cert,
			    unsigned int threads, bool quiet)
{
	struct file_selection everything = { 0 };
	struct enable_session s;
	uint64_t n;
	int err;

	if (!image)
		return usage_error(enable_usage, "--all takes exactly one IMAGE");
	if (sig_path || set_feature)
		return usage_error(enable_usage, "--all does not go with --signature or --set-feature");
	if (check_tree_options(t) != 0)
		return 1;
	err = enable_session_open(&s, image, image, t, key, cert, threads, quiet,
				  source_date_epoch());
	if (err)
		return 1;
	err = enable_session_all(&s, &everything, NULL, &n);
	err = enable_session_close(&s, err);
	if (!err && !quiet) {
		printf("%s: %llu files enabled, %llu skipped", image,
		       (unsigned long long)s.n_enabled, (unsigned long long)s.n_skipped);
		if (s.n_already)
			printf(", %llu had fs-verity already", (unsigned long long)s.n_already);
		print_hashed_summary(stdout, s.n_bytes, monotonic_seconds() - s.start);
	}
	return err ? 1 : 0;
}

/*
 * --signature with --cert: check the signature against the file's digest
 * before anything is written, so that a signature of another file leaves
 * the image as it was.  Return: 0 or 1 (printed).
 */
static int check_signature_first(struct struct_ext2_filsys *fs, const char *image,
				 struct mbv_ext4_enable_params *p, uint32_t ino,
				 struct image_msg *m, const struct mbv_sig_verifier *v,
				 const char *sig_path, int image_fd,
				 struct mbv_ext4_detached **d)
{
	char why[MBV_SIG_ERRBUF_SIZE], msg[MBV_SIG_ERRBUF_SIZE + 512];
	struct mbv_tree_result res;

	if (hash_first(fs, image_fd, p, ino, m, "to check the signature", d, &res) != 0)
		return 1;
	if (mbv_sig_verifier_check(v, res.hash_algorithm, res.digest, p->signature,
				   p->sig_size, keep_reason, why) != 0) {
		snprintf(msg, sizeof(msg), "signature file '%s' refused: %s", sig_path, why);
		image_error(m, msg);
		return 1;
	}
	p->prehashed = *d;
	return 0;
}

int cmd_enable(int argc, char **argv)
{
	static const struct option longopts[] = {
		TREE_LONG_OPTIONS,
		{ "signature", required_argument, NULL, OPT_SIGNATURE },
		{ "key", required_argument, NULL, OPT_KEY },
		KEY_LONG_OPTIONS,
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "set-feature", no_argument, NULL, OPT_SET_FEATURE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct mbv_ext4_enable_params p;
	struct struct_ext2_filsys *fs = NULL;
	struct mbv_pool *pool = NULL;
	struct mbv_signer *signer = NULL;
	struct mbv_sig_verifier *verifier = NULL;	/* --cert checking --signature */
	struct mbv_ext4_detached *ahead = NULL;
	struct mbv_ext4_detached **dets = NULL;	/* per file, hashed to sign (--key) */
	int image_fd = -1;
	struct tree_options t;
	struct image_msg m;
	const char *sig_path = NULL, *image = NULL, *key = NULL, *cert = NULL;
	char **paths;
	uint8_t **sigs = NULL;	/* per file, made before any write (--key) */
	size_t *sig_sizes = NULL;
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	uint32_t *inos = NULL;
	unsigned int threads = 0;
	bool set_feature = false, all = false, quiet = false;
	char why[MBV_SIG_ERRBUF_SIZE];
	const char *kwhy;
	int opt, i, j, n, err, status = 1;

	tree_options_init(&t);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		CASE_TREE_OPTIONS:
			if (!parse_tree_option(&t, opt, optarg))
				return 2;
			break;
		case OPT_SIGNATURE: sig_path = optarg; break;
		case OPT_KEY: key = optarg; break;
		CASE_KEY_OPTIONS:
			if ((kwhy = parse_key_option(opt, optarg)))
				return usage_error(enable_usage, "%s given twice", kwhy);
			break;
		case OPT_CERT: cert = optarg; break;
		case OPT_SET_FEATURE: set_feature = true; break;
		case OPT_ALL: all = true; break;
		case OPT_QUIET: quiet = true; break;
		case OPT_IMAGE: image = optarg; break;
		case OPT_THREADS:
			if (!parse_threads(optarg, &threads))
				return 2;
			break;
		case OPT_HELP:
			return print_help(enable_usage);
		default:
			return option_error(enable_usage, argv);
		}
	}
	if ((kwhy = check_key_options(&key, cert)))
		return usage_error(enable_usage, "%s", kwhy);
	if (key && !cert)
		return usage_error(enable_usage, "--key and --cert go together");
	if (cert && !key && !sig_path)
		return usage_error(enable_usage, "--cert goes with --key, or checks --signature");
	if (key && sig_path)
		return usage_error(enable_usage, "--signature does not go with --key");
	if (all) {
		if (image && argc - optind)
			return usage_error(enable_usage, "--all takes no PATH");
		return enable_all_files(image ? image : argc - optind == 1 ? argv[optind] : NULL,
					&t, sig_path, set_feature, key, cert, threads, quiet);
	}
	if (!image) {
		/* A live file, as fsverity enable; the image form is never guessed. */
		if (argc - optind > 1)
			return usage_error(enable_usage, "enable takes one FILE; for files inside an "
					   "ext4 image: enable --image=%s PATH...", argv[optind]);
		if (argc - optind < 1)
			return usage_error(enable_usage, "need a FILE");
		if (set_feature || quiet)
			return usage_error(enable_usage, "--set-feature and --quiet go with --image");
		if (cert && !key)
			return usage_error(enable_usage, "--cert checks --signature with --image only; "
					   "the kernel checks a live file's signature");
		/* The kernel judges the tree parameters, as with fsverity; checked here only to sign. */
		if (key && check_tree_options(&t) != 0)
			return 1;
		return live_enable(argv[optind], &t, sig_path, key, cert, threads);
	}
	if (argc - optind < 1)
		return usage_error(enable_usage, "--image=IMAGE needs at least one PATH");
	if (check_tree_options(&t) != 0)
		return 1;
	if (sig_path && argc - optind != 1)
		return usage_error(enable_usage, "--signature takes exactly one PATH");
	paths = argv + optind;
	n = argc - optind;
	m.image = image;
	m.path = NULL;

	if (sig_path) {
		err = read_whole_file(sig_path, MBV_MAX_SIGNATURE_SIZE, &sig, &sig_size);
		if (err == -EFBIG) {
			error_msg("signature file '%s' is over the kernel's %d bytes", sig_path,
				  MBV_MAX_SIGNATURE_SIZE);
			return 1;
		}
		if (err) {
			error_msg("cannot read signature file '%s': %s", sig_path, strerror(-err));
			return 1;
		}
		if (!sig_size) {
			error_msg("signature file '%s' is empty", sig_path);
			goto out;
		}
		/* What the kernel would refuse at every open is refused before the image is opened. */
		err = mbv_parse_signature(t.hash_alg, sig, sig_size, keep_reason, why);
		if (err) {
			error_msg("%s: %s: signature file '%s' refused: %s", image, paths[0],
				  sig_path, why);
			goto out;
		}
		if (cert && mbv_sig_verifier_new(cert, &verifier, keep_reason, why) != 0) {
			error_msg("%s", why);
			goto out;
		}
	}
	inos = calloc((size_t)n, sizeof(*inos));
	sigs = calloc((size_t)n, sizeof(*sigs));
	sig_sizes = calloc((size_t)n, sizeof(*sig_sizes));
	dets = calloc((size_t)n, sizeof(*dets));
	if (!inos || !sigs || !sig_sizes || !dets) {
		error_msg("out of memory");
		goto out;
	}
	if (key && signer_new_or_error(key, cert, &signer) != 0)
		goto out;
	if (mbv_pool_new(threads, &pool) != 0) {
		error_msg("cannot start %u threads", threads);
		goto out;
	}
	if (mbv_ext4_open(image, 1, &fs, image_error, &m) != 0)
		goto out;
	/* Files hashed ahead are read from it (without it, through libext2fs). */
	image_fd = open(image, O_RDONLY | O_CLOEXEC);

	memset(&p, 0, sizeof(p));
	p.version = MBV_EXT4_ENABLE_PARAMS_VERSION;
	tree_spec_from_options(&p.spec, &t);
	p.signature = sig;
	p.sig_size = (uint32_t)sig_size;
	p.pool = pool;

	/* Check every file first, so that a bad PATH leaves the image untouched. */
	p.flags = MBV_EXT4_ENABLE_CHECK_ONLY | (set_feature ? MBV_EXT4_ENABLE_SET_FEATURE : 0);
	for (i = 0; i < n; i++) {
		m.path = paths[i];
		if (stop_requested())
			goto out;	/* nothing written yet */
		if (mbv_ext4_lookup(fs, m.path, &inos[i], image_error, &m) != 0 ||
		    mbv_ext4_enable(fs, inos[i], &p, NULL, image_error, &m) != 0)
			goto out;
		for (j = 0; j < i; j++)
			if (inos[j] == inos[i]) {
				image_error(&m, "the same file is given twice");
				goto out;
			}
		if (key) {
			/* The signature's size fixes the layout: sign before any write. */
			struct mbv_tree_result res;

			if (hash_first(fs, image_fd, &p, inos[i], &m, "to sign the file",
				       &dets[i], &res) != 0 ||
			    sign_digest_or_error(signer, res.hash_algorithm, res.digest, m.path,
						 &sigs[i], &sig_sizes[i]) != 0)
				goto out;
			p.signature = sigs[i];
			p.sig_size = (uint32_t)sig_sizes[i];
			if (mbv_ext4_enable(fs, inos[i], &p, NULL, image_error, &m) != 0)
				goto out;
		}
	}
	if (verifier) {
		m.path = paths[0];
		if (check_signature_first(fs, image, &p, inos[0], &m, verifier, sig_path,
					  image_fd, &ahead) != 0)
			goto out;
	}
	p.flags &= ~MBV_EXT4_ENABLE_CHECK_ONLY;
	for (i = 0; i < n; i++) {
		m.path = paths[i];
		if (stop_requested()) {
			/* Between files: those before are done, the rest untouched. */
			error_msg("%s: stopped by %s before %s: %d files enabled, the others as they were",
				  image, signal_name(stop_requested()), m.path, i);
			goto out;
		}
		if (key) {
			p.signature = sigs[i];
			p.sig_size = (uint32_t)sig_sizes[i];
			p.prehashed = dets[i];
		}
		if (mbv_ext4_enable(fs, inos[i], &p, NULL, image_error, &m) != 0)
			goto out;
		if (key) {
			/* Its tree is written: give the memory back before the next file. */
			p.prehashed = NULL;
			mbv_ext4_detached_free(dets[i]);
			dets[i] = NULL;
		}
	}
	status = 0;
out:
	m.path = NULL;
	mbv_ext4_detached_free(ahead);
	for (i = 0; dets && i < n; i++)
		mbv_ext4_detached_free(dets[i]);
	free(dets);
	if (image_fd >= 0)
		close(image_fd);
	if (fs && mbv_ext4_close(fs, image_error, &m) != 0)
		status = 1;
	mbv_sig_verifier_free(verifier);
	mbv_pool_free(pool);
	mbv_signer_free(signer);
	free(inos);
	for (i = 0; sigs && i < n; i++)
		free(sigs[i]);
	free(sigs);
	free(sig_sizes);
	free(sig);
	return status;
}
