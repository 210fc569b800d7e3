/* SPDX-License-Identifier: MIT */
/*
 * Live files: enable, measure, dump_metadata and verify of files on a
 * mounted filesystem, through the kernel's fs-verity ioctls, with
 * fsverity-utils' messages and exit codes (0, 1 runtime, 2 usage).
 */
#ifndef MBV_PROGRAMS_LIVE_H
#define MBV_PROGRAMS_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "mbverity.h"
#include "options.h"

/* FS_IOC_ENABLE_VERITY on @path; --key/--cert sign the digest first (@key or NULL). */
int live_enable(const char *path, const struct tree_options *t, const char *sig_path,
		const char *key, const char *cert, unsigned int threads);
/* FS_IOC_MEASURE_VERITY on each file, stopping at the first failure as fsverity does. */
int live_measure(int n, char **paths);
/* FS_IOC_READ_VERITY_METADATA: the whole item, or one read of @length at @offset. */
int live_dump_metadata(int type, const char *path, bool ranged, uint64_t offset,
		       uint64_t length);

struct live_verify_options {
	unsigned int threads;
	bool quiet;
	const char *cert;		/* check the signature against it, or NULL */
	bool require_signatures;	/* unsigned files fail */
};
/*
 * Read every byte of each file through the kernel (which checks each block
 * against the tree), rebuild the tree from what was read and compare the
 * digest with FS_IOC_MEASURE_VERITY's.  Every file is checked.
 */
int live_verify(int n, char **paths, const struct live_verify_options *o);

/* An ext4 superblock magic at byte 1080: the operand is an image, not a live file. */
bool is_ext4_image(const char *path);

#endif
