/* SPDX-License-Identifier: MIT */
/* Charging a file's new blocks to its user, group and project quota (ext4 -O quota). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "endian_util.h"
#include "quota.h"

/*
 * The quota files are hidden inodes in the "vfsv1" format (facts from the
 * kernel's fs/quota/quota_v2.c, quota_tree.c and e2fsprogs' quotaio_v2.h):
 * 1 KiB blocks; block 0 holds the header (magic, version 1) and the info
 * (grace times, the file's block count at byte 20); block 1 is the root of
 * a radix tree four levels deep, indexed by the id's bytes from the most
 * significant, each tree block 256 le32 block numbers (0: no entry); the
 * last level points at a data block: a 16-byte header, then 14 entries of
 * 72 bytes.  An all-zero entry is free (so id 0 with nothing counted is
 * stored with itime 1).
 */
#define QT_BLKSIZE		1024
#define QT_TREEOFF		1
#define QT_TREEDEPTH		4
#define QT_DATA_HDR		16
#define QT_ENTRY_SIZE		72
#define QT_ENTRIES		((QT_BLKSIZE - QT_DATA_HDR) / QT_ENTRY_SIZE)
#define QT_VERSION		1
/* Fields of an entry (struct v2r1_disk_dqblk). */
#define DQ_ID			0
#define DQ_BSOFTLIMIT		40
#define DQ_CURSPACE		48
#define DQ_BTIME		56
#define DQ_ITIME		64
/* Fields of block 0 after the 8-byte header. */
#define DQI_BGRACE		8
#define DQI_BLOCKS		20

static const uint32_t quota_magic[EXT4_QUOTA_TYPES] = { 0xd9c01f11, 0xd9c01927, 0xd9c03f14 };
static const char *const quota_name[EXT4_QUOTA_TYPES] = { "user", "group", "project" };

/*
 * The filesystem block holding quota block @qblk of inode @qino, read into
 * @fsblk; *@pblk is its block and *@off the quota block's offset in it.
 */
static errcode_t read_qblk(ext2_filsys fs, ext2_ino_t qino, struct ext2_inode *qinode,
			   uint64_t qblk, uint8_t *fsblk, blk64_t *pblk, uint32_t *off)
{
	uint64_t pos = qblk * QT_BLKSIZE;
	int ret_flags = 0;
	errcode_t r;

	if (pos + QT_BLKSIZE > EXT2_I_SIZE(qinode))
		return EXT2_ET_INODE_CORRUPTED;
	*pblk = 0;
	r = ext2fs_bmap2(fs, qino, qinode, NULL, 0, pos / fs->blocksize, &ret_flags, pblk);
	if (r)
		return r;
	/* The kernel writes quota files in place: a hole or unwritten block is damage. */
	if (!*pblk || (ret_flags & BMAP_RET_UNINIT))
		return EXT2_ET_INODE_CORRUPTED;
	*off = (uint32_t)(pos % fs->blocksize);
	return io_channel_read_blk64(fs->io, *pblk, 1, fsblk);
}

static bool entry_unused(const uint8_t *e)
{
	size_t i;

	for (i = 0; i < QT_ENTRY_SIZE; i++)
		if (e[i])
			return false;
	return true;
}

/* Look @id up in quota file @type; fills q->e[q->n] or fails naming the file. */
static int find_entry(struct ext4_file *f, struct ext4_quota_ref *q, int type, ext2_ino_t qino,
		      uint32_t id, uint8_t *fsblk)
{
	ext2_filsys fs = f->fs;
	struct ext2_inode qinode;
	const char *name = quota_name[type];
	uint32_t off, nblocks, blk = QT_TREEOFF;
	blk64_t pblk;
	uint8_t *b;
	errcode_t r;
	int depth;
	unsigned int i;

	r = ext2fs_read_inode(fs, qino, &qinode);
	if (!r)
		r = read_qblk(fs, qino, &qinode, 0, fsblk, &pblk, &off);
	if (r)
		goto bad_read;
	b = fsblk + off;
	if (get_le32(b) != quota_magic[type] || get_le32(b + 4) != QT_VERSION)
		return mbv_e4_fail(f, -EOPNOTSUPP, "the %s quota file (inode %u) is not in the vfsv1 "
				   "format: run e2fsck on the image first", name, qino);
	nblocks = get_le32(b + DQI_BLOCKS);
	q->e[q->n].bgrace = get_le32(b + DQI_BGRACE);
	for (depth = 0; depth <= QT_TREEDEPTH; depth++) {
		/* Every block number stays inside the file: no loops, no reads past it. */
		if (blk < QT_TREEOFF || blk >= nblocks)
			return mbv_e4_fail(f, -EFSCORRUPTED, "the %s quota file (inode %u) is "
					   "malformed: block %u out of range: run e2fsck on the "
					   "image first", name, qino, blk);
		r = read_qblk(fs, qino, &qinode, blk, fsblk, &pblk, &off);
		if (r)
			goto bad_read;
		b = fsblk + off;
		if (depth == QT_TREEDEPTH)
			break;
		blk = get_le32(b + 4 * ((id >> ((QT_TREEDEPTH - depth - 1) * 8)) & 0xff));
		if (!blk)
			goto missing;
	}
	for (i = 0; i < QT_ENTRIES; i++) {
		const uint8_t *e = b + QT_DATA_HDR + i * QT_ENTRY_SIZE;

		if (!entry_unused(e) && get_le32(e + DQ_ID) == id) {
			q->e[q->n].type = type;
			q->e[q->n].id = id;
			q->e[q->n].qino = qino;
			q->e[q->n].off = (uint64_t)blk * QT_BLKSIZE + QT_DATA_HDR + i * QT_ENTRY_SIZE;
			q->n++;
			return 0;
		}
	}
missing:
	/* The kernel would add one; e2fsck -f does (it counts every id in use). */
	return mbv_e4_fail(f, -EFSCORRUPTED, "the %s quota file has no entry for id %u: "
			   "run e2fsck -f on the image first", name, id);
bad_read:
	return mbv_e4_fail(f, r == EXT2_ET_INODE_CORRUPTED ? -EFSCORRUPTED : mbv_e4_errno(r),
			   "cannot read the %s quota file (inode %u): %s: run e2fsck on the "
			   "image first", name, qino, mbv_e4_strerror(r));
}

int mbv_e4_quota_find(struct ext4_file *f, struct ext4_quota_ref *q)
{
	ext2_filsys fs = f->fs;
	struct ext2_super_block *sb = fs->super;
	const struct ext2_inode_large *in = &f->inode;
	ext2_ino_t qino[EXT4_QUOTA_TYPES];
	uint32_t id[EXT4_QUOTA_TYPES];
	uint8_t *fsblk;
	errcode_t r;
	int type, err = 0;

	memset(q, 0, sizeof(*q));
	if (!ext2fs_has_feature_quota(sb))
		return 0;
	qino[0] = sb->s_usr_quota_inum;
	qino[1] = sb->s_grp_quota_inum;
	qino[2] = ext2fs_has_feature_project(sb) ? sb->s_prj_quota_inum : 0;
	id[0] = inode_uid(*in);
	id[1] = inode_gid(*in);
	/* As the kernel's ext4_iget(): no room for i_projid means project 0. */
	id[2] = 0;
	if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE &&
	    (size_t)EXT2_GOOD_OLD_INODE_SIZE + in->i_extra_isize >=
	    offsetof(struct ext2_inode_large, i_projid) + sizeof(in->i_projid))
		id[2] = in->i_projid;
	r = ext2fs_get_mem(fs->blocksize, &fsblk);
	if (r)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	for (type = 0; !err && type < EXT4_QUOTA_TYPES; type++) {
		if (!qino[type])
			continue;
		if (qino[type] > sb->s_inodes_count) {
			err = mbv_e4_fail(f, -EFSCORRUPTED, "the %s quota inode %u does not exist: "
					  "run e2fsck on the image first", quota_name[type],
					  qino[type]);
			break;
		}
		err = find_entry(f, q, type, qino[type], id[type], fsblk);
	}
	ext2fs_free_mem(&fsblk);
	return err;
}

int mbv_e4_quota_charge(struct ext4_file *f, const struct ext4_quota_ref *q, int64_t bytes,
			bool flush)
{
	ext2_filsys fs = f->fs;
	uint8_t *fsblk;
	errcode_t r = 0;
	unsigned int i;
	int failed_type = 0;

	if (!q->n || !bytes)
		return 0;
	r = ext2fs_get_mem(fs->blocksize, &fsblk);
	if (r)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	for (i = 0; !r && i < q->n; i++) {
		const struct ext4_quota_ent *qe = &q->e[i];
		struct ext2_inode qinode;
		uint64_t space, soft, btime;
		uint32_t off;
		blk64_t pblk;
		uint8_t *e;

		failed_type = qe->type;
		r = ext2fs_read_inode(fs, qe->qino, &qinode);
		if (!r)
			r = read_qblk(fs, qe->qino, &qinode, qe->off / QT_BLKSIZE, fsblk, &pblk, &off);
		if (r)
			break;
		e = fsblk + off + qe->off % QT_BLKSIZE;
		if (get_le32(e + DQ_ID) != qe->id || entry_unused(e)) {
			r = EXT2_ET_INODE_CORRUPTED;	/* changed since mbv_e4_quota_find() */
			break;
		}
		space = get_le64(e + DQ_CURSPACE);
		soft = get_le64(e + DQ_BSOFTLIMIT);
		btime = get_le64(e + DQ_BTIME);
		if (bytes < 0)
			space = (uint64_t)-bytes > space ? 0 : space - (uint64_t)-bytes;
		else
			space += (uint64_t)bytes;
		/* The grace period starts when usage first goes over the soft limit (dquot.c). */
		if (bytes > 0 && soft && space > soft && !btime)
			btime = (uint64_t)(fs->now ? fs->now : time(NULL)) + qe->bgrace;
		else if (bytes < 0 && (!soft || space < soft))
			btime = 0;
		put_le64(e + DQ_CURSPACE, space);
		put_le64(e + DQ_BTIME, btime);
		if (entry_unused(e))
			put_le64(e + DQ_ITIME, 1);	/* id 0, nothing counted: still in use */
		r = io_channel_write_blk64(fs->io, pblk, 1, fsblk);
	}
	if (!r && flush)
		r = io_channel_flush(fs->io);
	ext2fs_free_mem(&fsblk);
	if (r)
		return mbv_e4_fail(f, r == EXT2_ET_INODE_CORRUPTED ? -EFSCORRUPTED : mbv_e4_errno(r),
				   "cannot update the %s quota: %s (e2fsck -p repairs it)",
				   quota_name[failed_type], mbv_e4_strerror(r));
	return 0;
}

int mbv_e4_quota_settle(struct ext4_file *f, const struct ext4_quota_ref *q, blk64_t before,
			bool flush)
{
	struct ext2_inode_large now;
	errcode_t r;

	if (!q->n)
		return 0;
	r = ext2fs_read_inode_full(f->fs, f->ino, (struct ext2_inode *)&now, sizeof(now));
	if (r)
		return mbv_e4_fail(f, mbv_e4_errno(r), "cannot read the inode back to charge its "
				   "quota: %s (e2fsck -p repairs it)", mbv_e4_strerror(r));
	/* i_blocks counts 512-byte units whatever EXT4_HUGE_FILE_FL says, here. */
	return mbv_e4_quota_charge(f, q, ((int64_t)ext2fs_get_stat_i_blocks(
					  f->fs, (struct ext2_inode *)&now) - (int64_t)before) * 512,
				   flush);
}
