/* SPDX-License-Identifier: MIT */
/* Charging the new blocks to the file's quota entries (lib/ext4/quota.c). */
#ifndef MBV_EXT4_QUOTA_H
#define MBV_EXT4_QUOTA_H

#include "file.h"

/* A file's entries in the quota files: user, group, project. */
#define EXT4_QUOTA_TYPES 3
struct ext4_quota_ent {
	int type;			/* 0 user, 1 group, 2 project */
	uint32_t id;
	ext2_ino_t qino;		/* the quota file */
	uint64_t off;			/* byte offset of the id's entry in it */
	uint32_t bgrace;		/* seconds past the soft limit */
};
struct ext4_quota_ref {
	unsigned int n;			/* 0: no quota feature */
	struct ext4_quota_ent e[EXT4_QUOTA_TYPES];
};

/*
 * Find the file's entries in every quota file the filesystem keeps
 * (ext4_quota.c).  Reads only; a missing entry or a malformed file is
 * -EFSCORRUPTED (-EOPNOTSUPP: not the vfsv1 format) with a message naming
 * e2fsck, so the caller refuses before its first write.
 */
int mbv_e4_quota_find(struct ext4_file *f, struct ext4_quota_ref *q);
/*
 * Add @bytes (negative: take them back) to each entry's space, as the
 * kernel charges allocated blocks; one block write per quota file, flushed
 * when @flush.
 */
int mbv_e4_quota_charge(struct ext4_file *f, const struct ext4_quota_ref *q, int64_t bytes,
			bool flush);
/*
 * Charge what the file's i_blocks (on disk, through the inode cache) grew
 * by since it was @before (ext2fs_get_stat_i_blocks() units).
 */
int mbv_e4_quota_settle(struct ext4_file *f, const struct ext4_quota_ref *q, blk64_t before,
			bool flush);

#endif
