// SPDX-License-Identifier: MIT
/* mbverity sign: a built-in signature for a file, like `fsverity sign`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mbverity.h"
#include "file_tree.h"
#include "key_options.h"
#include "messages.h"
#include "options.h"
#include "out_file.h"

/* Open an optional output file; false after an error message. */
static bool open_optional(struct out_file *o, const char *path, bool *open)
{
	int err;

	*open = false;
	if (!path)
		return true;
	err = out_file_open(o, path);
	if (err) {
		error_msg("cannot create '%s': %s", path, strerror(-err));
		return false;
	}
	*open = true;
	return true;
}

/* Commit or drop an optional output file; returns @ok, false if that failed. */
static bool close_optional(struct out_file *o, const char *path, bool open, bool ok)
{
	int err;

	if (!open)
		return ok;
	err = out_file_close(o, ok);
	if (err && ok) {
		error_msg("cannot write '%s': %s", path, strerror(-err));
		return false;
	}
	return ok;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		TREE_LONG_OPTIONS,
		{ "key", required_argument, NULL, OPT_KEY },
		KEY_LONG_OPTIONS,
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "out-merkle-tree", required_argument, NULL, OPT_OUT_MERKLE_TREE },
		{ "out-descriptor", required_argument, NULL, OPT_OUT_DESCRIPTOR },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct tree_options t;
	const char *key = NULL, *cert = NULL, *out_tree = NULL, *out_desc = NULL;
	const char *file, *sigfile;
	struct out_file tree_file, desc_file, sig_file;
	bool have_tree, have_desc, have_sig, ok;
	struct mbv_tree_result res;
	struct mbv_signer *signer = NULL;
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	const char *why;
	int opt, err;

	tree_options_init(&t);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		CASE_TREE_OPTIONS:
			if (!parse_tree_option(&t, opt, optarg))
				return 2;
			break;
		case OPT_KEY:
			if (key)
				return usage_error(sign_usage, "--key given twice");
			key = optarg;
			break;
		CASE_KEY_OPTIONS:
			if ((why = parse_key_option(opt, optarg)))
				return usage_error(sign_usage, "%s given twice", why);
			break;
		case OPT_CERT:
			if (cert)
				return usage_error(sign_usage, "--cert given twice");
			cert = optarg;
			break;
		case OPT_OUT_MERKLE_TREE: out_tree = optarg; break;
		case OPT_OUT_DESCRIPTOR: out_desc = optarg; break;
		case OPT_HELP:
			return print_help(sign_usage);
		default:
			return option_error(sign_usage, argv);
		}
	}
	if (argc - optind != 2)
		return usage_error(sign_usage, "expected FILE and SIGFILE");
	if ((why = check_key_options(&key, cert)))
		return usage_error(sign_usage, "%s", why);
	if (!key) {
		/* fsverity answers this at signing time: a runtime error, exit 1. */
		error_msg("no signing key given (--key=KEYFILE); 'mbverity sign --help' shows the usage");
		return 1;
	}
	if (!cert)
		cert = key;	/* as fsverity: a PEM file holding both */
	if (check_tree_options(&t) != 0)
		return 1;
	file = argv[optind];
	sigfile = argv[optind + 1];

	/* A bad key fails before any hashing or output. */
	if (signer_new_or_error(key, cert, &signer) != 0)
		return 1;
	if (!open_optional(&tree_file, out_tree, &have_tree)) {
		mbv_signer_free(signer);
		return 1;
	}
	if (!open_optional(&desc_file, out_desc, &have_desc)) {
		close_optional(&tree_file, out_tree, have_tree, false);
		mbv_signer_free(signer);
		return 1;
	}
	have_sig = false;
	ok = file_tree(file, &t, NULL, have_tree ? tree_block_to_file : NULL,
		       have_tree ? &tree_file : NULL, &res) == 0;
	if (ok && have_desc) {
		err = out_file_write(&desc_file, res.descriptor, MBV_DESCRIPTOR_SIZE);
		if (err)
			error_msg("cannot write '%s': %s", out_desc, strerror(-err));
		ok = !err;
	}
	ok = ok && sign_digest_or_error(signer, res.hash_algorithm, res.digest, file,
					&sig, &sig_size) == 0;
	ok = ok && open_optional(&sig_file, sigfile, &have_sig);
	if (ok) {
		err = out_file_write(&sig_file, sig, sig_size);
		if (err)
			error_msg("cannot write '%s': %s", sigfile, strerror(-err));
		ok = !err;
	}
	/* The signature last: if committing it fails, the others go too. */
	ok = close_optional(&sig_file, sigfile, have_sig, ok);
	ok = close_optional(&tree_file, out_tree, have_tree, ok);
	ok = close_optional(&desc_file, out_desc, have_desc, ok);
	free(sig);
	mbv_signer_free(signer);
	if (!ok)
		return 1;
	printf("Signed file '%s' (%s:", file, mbv_hash_alg_name(res.hash_algorithm));
	print_hex(stdout, res.digest, res.digest_size);
	printf(")\n");
	return 0;
}
