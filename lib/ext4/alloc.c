/* SPDX-License-Identifier: MIT */
/* Blocks for verity metadata: free runs outside the filesystem's own blocks; the bitmap check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/*
 * fs->priv_data holds this once enable has run; it wraps what was there
 * before (mbv_ext4_open()'s image lock), which mbv_e4_fs_priv_free() puts
 * back.  mbverity's own priv_data structs begin with a uint32_t magic
 * "mbv?" (MBV_E4_PRIV_MAGIC_MASK); anything else is the caller's.
 */
#define FS_PRIV_MAGIC	0x6d627661u	/* "mbva" */

struct fs_priv {
	uint32_t magic;
	void *under;			/* the priv_data before this */
	bool zone_built;
	struct mbv_e4_zone zone;
};

/* ---- sorted block ranges ---------------------------------------------------- */

void mbv_e4_ranges_free(struct mbv_e4_ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* Append [start, start + len), joined to the last range when it continues it. */
static int ranges_add(struct mbv_e4_ranges *rs, blk64_t start, blk64_t len)
{
	struct mbv_e4_range *last = rs->n ? &rs->r[rs->n - 1] : NULL;

	if (!len)
		return 0;
	if (last && last->start + last->len == start) {
		last->len += len;
		return 0;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 64;
		struct mbv_e4_range *n = realloc(rs->r, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->r = n;
		rs->cap = cap;
	}
	rs->r[rs->n].start = start;
	rs->r[rs->n].len = len;
	rs->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct mbv_e4_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort, and merge ranges that overlap or touch. */
static void ranges_normalize(struct mbv_e4_ranges *rs)
{
	size_t i, n = 0;

	if (!rs->n)
		return;
	qsort(rs->r, rs->n, sizeof(rs->r[0]), cmp_range);
	for (i = 1; i < rs->n; i++) {
		struct mbv_e4_range *last = &rs->r[n];
		blk64_t end = last->start + last->len;

		if (rs->r[i].start <= end) {
			if (rs->r[i].start + rs->r[i].len > end)
				last->len = rs->r[i].start + rs->r[i].len - last->start;
		} else {
			rs->r[++n] = rs->r[i];
		}
	}
	rs->n = n + 1;
}

/* Index of the first range ending after @blk (rs->n if none). */
static size_t ranges_first_after(const struct mbv_e4_ranges *rs, blk64_t blk)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].start + rs->r[mid].len <= blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool mbv_e4_zone_overlaps(const struct mbv_e4_zone *z, blk64_t start, blk64_t len)
{
	size_t k = ranges_first_after(&z->rs, start);

	return len && k < z->rs.n && z->rs.r[k].start < start + len;
}

/* ---- the blocks of one inode -------------------------------------------------- */

/* Called with each run of an inode's blocks (data, tree and indirect blocks). */
typedef int (*blocks_fn)(void *ctx, ext2_ino_t ino, blk64_t start, blk64_t len);

struct iter_ctx {
	blocks_fn fn;
	void *ctx;
	ext2_ino_t ino;
	int err;
	blk64_t start, len;	/* the run being gathered */
};

static int iter_block(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
		      int ref_offset, void *priv)
{
	struct iter_ctx *it = priv;

	if (it->len && it->start + it->len == *blocknr) {
		it->len++;
		return 0;
	}
	if (it->len)
		it->err = it->fn(it->ctx, it->ino, it->start, it->len);
	it->start = *blocknr;
	it->len = 1;
	return it->err ? BLOCK_ABORT : 0;
}

/*
 * Every block @ino holds, in runs: through the extent tree a run per extent
 * (so a long extent costs one call), else libext2fs's block walk.  Returns
 * @fn's first non-zero value, or a libext2fs error code as a positive
 * errcode_t through *@ext2_err.
 */
static int inode_blocks(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode,
			blocks_fn fn, void *ctx, errcode_t *ext2_err)
{
	struct ext2_inode *in = (struct ext2_inode *)inode;
	errcode_t r;
	int err = 0;

	*ext2_err = 0;
	if (ext2fs_file_acl_block(fs, in)) {
		err = fn(ctx, ino, ext2fs_file_acl_block(fs, in), 1);
		if (err)
			return err;
	}
	if (!ext2fs_inode_has_valid_blocks2(fs, in))
		return 0;
	if (in->i_flags & EXT4_EXTENTS_FL) {
		ext2_extent_handle_t h;
		struct ext2fs_extent e;
		int op = EXT2_EXTENT_ROOT;

		r = ext2fs_extent_open2(fs, ino, in, &h);
		if (r) {
			*ext2_err = r;
			return 0;
		}
		for (;;) {
			r = ext2fs_extent_get(h, op, &e);
			op = EXT2_EXTENT_NEXT;
			if (r == EXT2_ET_EXTENT_NO_NEXT || r == EXT2_ET_EXTENT_NO_DOWN) {
				r = 0;
				break;
			}
			if (r)
				break;
			/* Each entry is seen once on the way down (and again going up: skip). */
			if (e.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)
				continue;
			if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
				err = fn(ctx, ino, e.e_pblk, e.e_len);
			else
				err = fn(ctx, ino, e.e_pblk, 1);	/* the child node */
			if (err)
				break;
		}
		ext2fs_extent_free(h);
		*ext2_err = r;
		return err;
	} else {
		struct iter_ctx it = { fn, ctx, ino, 0, 0, 0 };

		r = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY, NULL, iter_block, &it);
		if (!r && !it.err && it.len)
			it.err = fn(ctx, ino, it.start, it.len);
		*ext2_err = r;
		return it.err;
	}
}

/* ---- the system zone ------------------------------------------------------------ */

struct zone_build {
	ext2_filsys fs;
	struct mbv_e4_ranges *rs;
};

/* Clamp to the filesystem: a hostile special inode may point anywhere. */
static int zone_add(struct zone_build *b, blk64_t start, blk64_t len)
{
	blk64_t count = ext2fs_blocks_count(b->fs->super);

	if (start >= count)
		return 0;
	if (len > count - start)
		len = count - start;
	return ranges_add(b->rs, start, len);
}

static int zone_add_inode_run(void *ctx, ext2_ino_t ino, blk64_t start, blk64_t len)
{
	return zone_add(ctx, start, len);
}

/*
 * What the kernel's fs/ext4/block_validity.c calls the system zone - each
 * group's superblock copy, descriptors and reserved GDT blocks, bitmaps and
 * inode table - plus, where it protects them by other means, the blocks of
 * the journal and the other special inodes, and the MMP block.
 */
static int zone_build(ext2_filsys fs, struct mbv_e4_zone *z, mbv_error_fn error, void *error_ctx)
{
	struct mbv_e4_ranges *rs = &z->rs;
	struct zone_build b = { fs, rs };
	struct ext2_super_block *sb = fs->super;
	blk64_t old_desc_blocks, super_blk, old_desc, new_desc;
	ext2_ino_t special[16];
	size_t n_special = 0, i;
	dgrp_t g;
	int err = 0;

	memset(z, 0, sizeof(*z));
	old_desc_blocks = ext2fs_has_feature_meta_bg(sb) ? sb->s_first_meta_bg
			: fs->desc_blocks + sb->s_reserved_gdt_blocks;
	for (g = 0; g < fs->group_desc_count && !err; g++) {
		ext2fs_super_and_bgd_loc2(fs, g, &super_blk, &old_desc, &new_desc, NULL);
		if (super_blk || g == 0)
			err = zone_add(&b, super_blk, 1);
		if (!err && old_desc)
			err = zone_add(&b, old_desc, old_desc_blocks);
		if (!err && new_desc)
			err = zone_add(&b, new_desc, 1);
		if (!err)
			err = zone_add(&b, ext2fs_block_bitmap_loc(fs, g), 1);
		if (!err)
			err = zone_add(&b, ext2fs_inode_bitmap_loc(fs, g), 1);
		if (!err)
			err = zone_add(&b, ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group);
	}
	if (!err && ext2fs_has_feature_mmp(sb) && sb->s_mmp_block)
		err = zone_add(&b, sb->s_mmp_block, 1);
	if (err)
		goto nomem;

	/* Every reserved inode but the root directory, and those the superblock names. */
	for (i = 1; i < EXT2_FIRST_INODE(sb) && n_special < 10; i++)
		if (i != EXT2_ROOT_INO)
			special[n_special++] = (ext2_ino_t)i;
	if (ext2fs_has_feature_journal(sb) && sb->s_journal_inum)
		special[n_special++] = sb->s_journal_inum;
	special[n_special++] = sb->s_usr_quota_inum;
	special[n_special++] = sb->s_grp_quota_inum;
	special[n_special++] = sb->s_prj_quota_inum;
	special[n_special++] = sb->s_orphan_file_inum;
	for (i = 0; i < n_special; i++) {
		struct ext2_inode_large inode;
		ext2_ino_t ino = special[i];
		errcode_t r;

		if (!ino || ino > sb->s_inodes_count)
			continue;
		r = ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&inode, sizeof(inode));
		if (!r && !ext2fs_get_stat_i_blocks(fs, (struct ext2_inode *)&inode))
			continue;	/* holds no block */
		if (!r)
			err = inode_blocks(fs, ino, &inode, zone_add_inode_run, &b, &r);
		if (err)
			goto nomem;
		if (r) {
			mbv_e4_ranges_free(rs);
			return mbv_report(error, error_ctx, -EFSCORRUPTED,
					     "cannot read the blocks of special inode %u: %s "
					     "(run e2fsck on the image)", ino, mbv_e4_strerror(r));
		}
	}
	ranges_normalize(rs);
	return 0;
nomem:
	mbv_e4_ranges_free(rs);
	return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
}

int mbv_e4_system_zone(ext2_filsys fs, const struct mbv_e4_zone **zone, struct mbv_e4_zone *tmp,
		       mbv_error_fn error, void *error_ctx)
{
	struct fs_priv *p = fs->priv_data;
	int err;

	/*
	 * Only an image mbv_ext4_open() opened (its lock is there) is sure to
	 * reach mbv_e4_fs_priv_free(); for any other, cache nothing.
	 */
	if (p && p->magic != FS_PRIV_MAGIC &&
	    (p->magic & MBV_E4_PRIV_MAGIC_MASK) == MBV_E4_PRIV_MAGIC) {
		struct fs_priv *n = calloc(1, sizeof(*n));

		if (!n)
			return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
		n->magic = FS_PRIV_MAGIC;
		n->under = p;
		fs->priv_data = p = n;
	}
	if (!p || p->magic != FS_PRIV_MAGIC) {
		/* Opened by the caller: build the zone for this call only. */
		err = zone_build(fs, tmp, error, error_ctx);
		*zone = err ? NULL : tmp;
		return err;
	}
	if (!p->zone_built) {
		err = zone_build(fs, &p->zone, error, error_ctx);
		if (err)
			return err;
		p->zone_built = true;
	}
	memset(tmp, 0, sizeof(*tmp));
	*zone = &p->zone;
	return 0;
}

void mbv_e4_fs_priv_free(ext2_filsys fs)
{
	struct fs_priv *p = fs ? fs->priv_data : NULL;

	if (!p || p->magic != FS_PRIV_MAGIC)
		return;
	fs->priv_data = p->under;
	mbv_e4_ranges_free(&p->zone.rs);
	free(p);
}

/* ---- finding free blocks -------------------------------------------------------- */

/*
 * The first run of blocks in [@from, @last] that the bitmap calls free and
 * that holds none of the filesystem's own blocks.  Each step moves @from
 * forward, past a used run or a zone range, so it ends.
 */
static bool next_free_run(ext2_filsys fs, const struct mbv_e4_zone *z, blk64_t from,
			  blk64_t last, blk64_t *start, blk64_t *len)
{
	while (from <= last) {
		blk64_t s, e;
		size_t k;

		if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, from, last, &s))
			return false;
		if (ext2fs_find_first_set_block_bitmap2(fs->block_map, s, last, &e))
			e = last + 1;
		k = ranges_first_after(&z->rs, s);
		if (k < z->rs.n && z->rs.r[k].start <= s) {
			from = z->rs.r[k].start + z->rs.r[k].len;	/* s is the fs's own */
			continue;
		}
		if (k < z->rs.n && z->rs.r[k].start < e)
			e = z->rs.r[k].start;
		*start = s;
		*len = e - s;
		return true;
	}
	return false;
}

int mbv_e4_find_blocks(ext2_filsys fs, const struct mbv_e4_zone *z, blk64_t goal, uint64_t want,
		       bool one_run_first, struct mbv_e4_ranges *out)
{
	blk64_t first = fs->super->s_first_data_block;
	blk64_t last = ext2fs_blocks_count(fs->super) - 1;
	blk64_t seg[2][2], s, len;
	uint64_t left = want;
	size_t n0 = out->n;
	int pass, i, err;

	if (goal < first || goal > last)
		goal = first;
	/* From the goal to the end, then from the start to the goal: each block once. */
	seg[0][0] = goal;
	seg[0][1] = last;
	seg[1][0] = first;
	seg[1][1] = goal - 1;
	for (pass = one_run_first ? 0 : 1; pass < 2 && left; pass++) {
		for (i = 0; i < 2 && left; i++) {
			blk64_t from = seg[i][0];

			if (i == 1 && goal == first)
				break;
			while (left && next_free_run(fs, z, from, seg[i][1], &s, &len)) {
				from = s + len;
				if (pass == 0) {
					/* One contiguous run long enough, as the kernel prefers. */
					if (len < left)
						continue;
					len = left;
				} else if (len > left) {
					len = left;
				}
				err = ranges_add(out, s, len);
				if (err)
					goto fail;
				left -= len;
			}
		}
	}
	if (!left)
		return 0;
	err = -ENOSPC;
fail:
	out->n = n0;
	return err;
}

/* ---- handing reserved blocks to libext2fs's extent code ------------------------ */

/*
 * libext2fs's allocation callback takes no context pointer, so the pool in
 * use is found through this, set only while mbverity's own call runs on
 * this thread.
 */
static _Thread_local struct mbv_e4_pool *hooked_pool;

int mbv_e4_pool_take(struct mbv_e4_pool *p, blk64_t *blk)
{
	while (p->i < p->rs.n && p->off == p->rs.r[p->i].len) {
		p->i++;
		p->off = 0;
	}
	if (p->i == p->rs.n)
		return -ENOSPC;
	*blk = p->rs.r[p->i].start + p->off++;
	p->taken++;
	return 0;
}

static errcode_t pool_get_block(ext2_filsys fs, blk64_t goal, blk64_t *ret)
{
	struct mbv_e4_pool *p = hooked_pool;

	if (!p || p->fs != fs || mbv_e4_pool_take(p, ret))
		return EXT2_ET_BLOCK_ALLOC_FAIL;
	return 0;
}

/*
 * A tree split writes the new node, then the inode pointing at it, both
 * into libext2fs's write-back cache, which reaches the disk in cache order:
 * a kill in between left the inode pointing at a node never written (seen
 * with metadata over many runs).  So after a node was taken, everything
 * written before the next inode write goes to the disk first.
 */
static errcode_t pool_write_inode(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode)
{
	struct mbv_e4_pool *p = hooked_pool;

	if (!p || p->fs != fs)
		return EXT2_ET_CALLBACK_NOTHANDLED;
	if (p->taken != p->flushed) {
		errcode_t r = io_channel_flush(fs->io);

		if (r)
			return r;
		p->flushed = p->taken;
	}
	return p->old_write_inode ? p->old_write_inode(fs, ino, inode)
				  : EXT2_ET_CALLBACK_NOTHANDLED;
}

void mbv_e4_pool_hook(struct mbv_e4_pool *p, bool order_inode_writes)
{
	p->old_get = p->fs->get_alloc_block;
	p->old_get2 = p->fs->get_alloc_block2;
	p->old_write_inode = p->fs->write_inode;
	p->prev = hooked_pool;
	p->fs->get_alloc_block2 = NULL;
	p->fs->get_alloc_block = pool_get_block;
	if (order_inode_writes)
		p->fs->write_inode = pool_write_inode;
	hooked_pool = p;
	p->hooked = true;
}

void mbv_e4_pool_unhook(struct mbv_e4_pool *p)
{
	if (!p->hooked)
		return;
	p->fs->get_alloc_block = p->old_get;
	p->fs->get_alloc_block2 = p->old_get2;
	p->fs->write_inode = p->old_write_inode;
	hooked_pool = p->prev;
	p->hooked = false;
}

/* ---- the full check ------------------------------------------------------------ */

struct check_ctx {
	ext2_filsys fs;
	mbv_error_fn error;
	void *error_ctx;
};

static int check_run(void *ctx, ext2_ino_t ino, blk64_t start, blk64_t len)
{
	struct check_ctx *c = ctx;
	ext2_filsys fs = c->fs;
	blk64_t first = fs->super->s_first_data_block;
	blk64_t count = ext2fs_blocks_count(fs->super), z;

	if (start < first || start >= count || len > count - start) {
		if (ino)
			return mbv_report(c->error, c->error_ctx, -EFSCORRUPTED,
					     "inode %u has block %llu outside the filesystem: "
					     "run e2fsck -f on the image", ino,
					     (unsigned long long)start);
		/* Block 0 of a 1 KiB-block filesystem is outside the bitmap: fine. */
		if (start + len <= first)
			return 0;
		if (start < first) {
			len -= first - start;
			start = first;
		}
	}
	if (!len || ext2fs_find_first_zero_block_bitmap2(fs->block_map, start, start + len - 1, &z))
		return 0;
	if (ino)
		return mbv_report(c->error, c->error_ctx, -EFSCORRUPTED,
				     "block %llu of inode %u is marked free in the block bitmap: "
				     "run e2fsck -f on the image", (unsigned long long)z, ino);
	return mbv_report(c->error, c->error_ctx, -EFSCORRUPTED,
			     "block %llu of the filesystem's own metadata is marked free in the "
			     "block bitmap: run e2fsck -f on the image", (unsigned long long)z);
}

int mbv_ext4_check_bitmaps(struct struct_ext2_filsys *fs, mbv_error_fn error, void *error_ctx)
{
	struct check_ctx c = { fs, error, error_ctx };
	const struct mbv_e4_zone *zone;
	struct mbv_e4_zone tmp;
	struct ext2_inode_large inode;
	ext2_inode_scan scan = NULL;
	ext2_ino_t ino;
	errcode_t r;
	size_t i;
	int err;

	if (!fs->block_map || !fs->inode_map) {
		r = ext2fs_read_bitmaps(fs);
		if (r)
			return mbv_report(error, error_ctx, mbv_e4_errno(r),
					     "cannot read the bitmaps: %s", mbv_e4_strerror(r));
	}
	err = mbv_e4_system_zone(fs, &zone, &tmp, error, error_ctx);
	if (err)
		return err;
	for (i = 0; i < zone->rs.n && !err; i++)
		err = check_run(&c, 0, zone->rs.r[i].start, zone->rs.r[i].len);
	if (err)
		goto out;

	r = ext2fs_open_inode_scan(fs, 0, &scan);
	while (!r) {
		r = ext2fs_get_next_inode_full(scan, &ino, (struct ext2_inode *)&inode,
					       sizeof(inode));
		if (r || !ino)
			break;
		/* In use as e2fsck's pass 1 sees it; reserved inodes by their blocks alone. */
		if (ino >= EXT2_FIRST_INODE(fs->super) &&
		    (!inode.i_links_count || inode.i_dtime ||
		     !ext2fs_test_inode_bitmap2(fs->inode_map, ino)))
			continue;
		if (!ext2fs_get_stat_i_blocks(fs, (struct ext2_inode *)&inode))
			continue;
		err = inode_blocks(fs, ino, &inode, check_run, &c, &r);
		if (err)
			break;
		if (r) {
			err = mbv_report(error, error_ctx, -EFSCORRUPTED,
					    "cannot read the blocks of inode %u: %s "
					    "(run e2fsck -f on the image)", ino, mbv_e4_strerror(r));
			r = 0;
			break;
		}
	}
	if (r)
		err = mbv_report(error, error_ctx, mbv_e4_errno(r), "cannot read the inode table: "
				    "%s (run e2fsck -f on the image)", mbv_e4_strerror(r));
	if (scan)
		ext2fs_close_inode_scan(scan);
out:
	mbv_e4_ranges_free(&tmp.rs);
	return err;
}
