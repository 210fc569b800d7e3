/* SPDX-License-Identifier: MIT */
/* Blocks for the metadata, off the filesystem's own (lib/ext4/alloc.c). */
#ifndef MBV_EXT4_ALLOC_H
#define MBV_EXT4_ALLOC_H

#include "file.h"

/* Blocks [start, start + len). */
struct mbv_e4_range {
	blk64_t start, len;
};

struct mbv_e4_ranges {
	struct mbv_e4_range *r;
	size_t n, cap;
};

void mbv_e4_ranges_free(struct mbv_e4_ranges *rs);

/*
 * The filesystem's own blocks, checked apart from the bitmap (which a
 * damaged image may get wrong): superblocks and their backups, group
 * descriptors, reserved GDT blocks, bitmaps, inode tables, the blocks of
 * the journal and the other special inodes, the MMP block.  Sorted, merged.
 */
struct mbv_e4_zone {
	struct mbv_e4_ranges rs;
};

/* Every struct mbverity hangs off fs->priv_data begins with a uint32_t "mbv?". */
#define MBV_E4_PRIV_MAGIC	0x6d627600u
#define MBV_E4_PRIV_MAGIC_MASK	0xffffff00u

/*
 * The zone of @fs, built on first use and kept in fs->priv_data, wrapping
 * what mbverity had there (the image lock); mbv_e4_fs_priv_free(), which
 * mbv_ext4_close() calls first, puts that back.  For an image the caller
 * opened itself, the zone is built into @tmp for this call: free
 * tmp->rs afterwards (always safe: it is zeroed otherwise).
 */
int mbv_e4_system_zone(ext2_filsys fs, const struct mbv_e4_zone **zone, struct mbv_e4_zone *tmp,
		       mbv_error_fn error, void *error_ctx);
void mbv_e4_fs_priv_free(ext2_filsys fs);

/* Does [@start, @start + @len) hold a block of the zone? */
bool mbv_e4_zone_overlaps(const struct mbv_e4_zone *z, blk64_t start, blk64_t len);

/*
 * Append to @out runs of @want blocks in all that are free in the in-memory
 * bitmap and outside @z, looking from @goal to the end, then from the first
 * data block to @goal, never twice at a block (so it always ends).  With
 * @one_run_first, one run of @want blocks if there is one; else (or if
 * none) the first runs found.  Marks nothing.  -ENOSPC (and @out as it
 * was) when the blocks are not there.
 */
int mbv_e4_find_blocks(ext2_filsys fs, const struct mbv_e4_zone *z, blk64_t goal, uint64_t want,
		       bool one_run_first, struct mbv_e4_ranges *out);

/*
 * Blocks set aside for libext2fs's extent code (new tree blocks) and for
 * leaf copies, handed out in order.  While hooked, libext2fs allocates
 * only from the pool (fs->get_alloc_block), so a tree split can neither
 * land on metadata nor take a block mbverity did not check.  The hook
 * uses fs->write_inode too (see mbv_e4_pool_hook()).
 */
struct mbv_e4_pool {
	ext2_filsys fs;
	struct mbv_e4_ranges rs;
	size_t i;			/* the range handing out */
	blk64_t off;			/* blocks of it handed out */
	blk64_t taken;
	blk64_t flushed;		/* taken at the last ordering flush */
	bool hooked;
	errcode_t (*old_get)(ext2_filsys fs, blk64_t goal, blk64_t *ret);
	errcode_t (*old_get2)(ext2_filsys fs, blk64_t goal, blk64_t *ret,
			      struct blk_alloc_ctx *ctx);
	errcode_t (*old_write_inode)(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode);
	struct mbv_e4_pool *prev;
};

/* The next block of the pool (not marked: the caller counts it), or -ENOSPC. */
int mbv_e4_pool_take(struct mbv_e4_pool *p, blk64_t *blk);
/*
 * With @order_inode_writes, an inode write after a node was taken first
 * flushes what was written before (so the disk never sees an inode point
 * at a tree node not yet written).
 */
void mbv_e4_pool_hook(struct mbv_e4_pool *p, bool order_inode_writes);
void mbv_e4_pool_unhook(struct mbv_e4_pool *p);

#endif
