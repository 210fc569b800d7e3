/* SPDX-License-Identifier: MIT */
/* Enabling fs-verity on many files of one image: shared by enable --all and mkfs. */
#ifndef MBV_PROGRAMS_ENABLE_SESSION_H
#define MBV_PROGRAMS_ENABLE_SESSION_H

#include <stdbool.h>
#include <ext2fs/ext2fs.h>

#include "mbverity.h"
#include "messages.h"
#include "options.h"
#include "out_file.h"
#include "selection.h"

struct enable_session {
	ext2_filsys fs;
	const char *image;		/* the name in messages */
	const struct tree_options *tree;
	struct mbv_signer *signer;	/* sign each file when set */
	struct mbv_pool *pool;
	bool quiet;
	bool batch;			/* MBV_EXT4_ENABLE_BATCH: an image being built */
	int image_fd;			/* the image read-only, for hashing ahead; or -1 */
	/* enable_session_all's count of files (not names), and their data bytes */
	uint64_t n_enabled, n_already, n_skipped, n_bytes;
	double start;			/* when enable_session_all began */
	/* The file enabled now: its bytes the pool counted toward progress. */
	uint64_t cur_size, cur_counted;
};

/*
 * Open @path read-write; messages call it @image.  A non-zero @timestamp
 * is the time libext2fs writes (for reproducible images), else the clock.
 * Return: 0 or -errno (printed).
 */
int enable_session_open(struct enable_session *s, const char *path, const char *image,
			const struct tree_options *tree, const char *key,
			const char *cert, unsigned int threads, bool quiet,
			uint64_t timestamp);
/*
 * Enable fs-verity on every regular file @sel selects, in path order,
 * writing "sha256:HEX /path" lines (every name of a hard-linked file;
 * names escaped as sha256sum does) to @manifest (if not NULL) and counting
 * the files with fs-verity in *@nfiles (those that had it already too).
 * A file the kernel would refuse (immutable, append-only, inline data,
 * encrypted, no extents) is skipped with one line and counted in
 * n_skipped.  Stops at the first failure.  Return: 0 or -errno (printed).
 */
int enable_session_all(struct enable_session *s, const struct file_selection *sel,
		       struct out_file *manifest, uint64_t *nfiles);
/* Flush and close the image; returns @err, or the close's error if @err is 0. */
int enable_session_close(struct enable_session *s, int err);

/*
 * Detach the file and build its tree now (through @p->pool), kept for
 * mbv_ext4_enable() as @p->prehashed, so that the data is read once: to
 * sign the digest, or check a signature, before anything is written.
 * @image_fd reads the image (or -1: through libext2fs).  Messages name @m
 * and end with @why ("to sign the file").  *@d is the caller's to free,
 * also on failure.  Return: 0 or 1 (printed).
 */
int hash_first(ext2_filsys fs, int image_fd, const struct mbv_ext4_enable_params *p,
	       ext2_ino_t ino, struct image_msg *m, const char *why,
	       struct mbv_ext4_detached **d, struct mbv_tree_result *res);

#endif
