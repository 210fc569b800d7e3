/* SPDX-License-Identifier: MIT */
/* The mbverity subcommands, one file each. */
#ifndef MBV_PROGRAMS_COMMANDS_H
#define MBV_PROGRAMS_COMMANDS_H

#include <stdint.h>

#include "utils.h"

int cmd_digest(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_dump_metadata(int argc, char **argv);
int cmd_mkfs(int argc, char **argv);

/* Who an ext4 command's message is about: "mbverity: IMAGE[: PATH]: MSG". */
struct image_msg {
	const char *image;
	const char *path;	/* NULL for the image itself */
};
/* An mbv_error_fn printing that line (@ctx is a struct image_msg). */
void image_error(void *ctx, const char *msg);

/*
 * Build the tree of the regular file @path, printing an error naming it on
 * failure.  Return: 0 or -errno.
 */
int file_tree(const char *path, const struct tree_options *t, struct mbv_pool *pool,
	      int (*tree_block)(void *, const void *, size_t, uint64_t),
	      void *ctx, struct mbv_tree_result *res);

/*
 * mbv_signer_new_spec() for @key (a file or URI) or the --pkcs11-* token,
 * with --key-passin or a terminal prompt, printing the reason on failure.
 * Return: 0 or -errno.
 */
int signer_new_or_error(const char *key, const char *cert, struct mbv_signer **signer);

/*
 * Sign the digest of @name with mbv_signer_sign(), printing
 * "cannot sign '@name': REASON" on failure.  *@sig is malloc'ed.
 * Safe in several threads at once.  Return: 0 or -errno.
 */
int sign_digest_or_error(const struct mbv_signer *signer, uint32_t hash_alg,
			 const uint8_t *digest, const char *name,
			 uint8_t **sig, size_t *sig_size);

#endif
