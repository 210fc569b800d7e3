/* SPDX-License-Identifier: MIT */
/* Internal ext4 pieces: a file's extent map, its reads, the verity layout. */
#ifndef MBV_EXT4_VERITY_H
#define MBV_EXT4_VERITY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

#ifndef EUCLEAN
#define EUCLEAN 117
#endif
/* The kernel's name for a corrupt filesystem. */
#define EFSCORRUPTED EUCLEAN

/* Facts from the kernel (fs/ext4/verity.c, fs/verity/). */
#define EXT4_VERITY_META_ALIGN		65536	/* tree at round_up(i_size, 64K) */
#define FSVERITY_MAX_DESCRIPTOR_SIZE	16384
#define FSVERITY_MAX_LEVELS		8
#define FSVERITY_MIN_LOG_BLOCKSIZE	10
#define FSVERITY_MAX_LOG_BLOCKSIZE	12	/* PAGE_SHIFT on x86-64 */
/* ee_block is 32 bits: no block at or past this. */
#define EXT4_MAX_LBLK_END		0xffffffffULL

#define EXT4_RO_COMPAT_VERITY_FEATURE	0x8000
#define EXT4_VERITY_INODE_FL		0x00100000

/* One leaf extent of the file. */
struct ext4_ext {
	uint64_t lblk;
	uint64_t pblk;
	uint32_t len;
	bool uninit;
};

/* An open file inside the image, its extents read once. */
struct ext4_file {
	ext2_filsys fs;
	ext2_ino_t ino;
	struct ext2_inode_large inode;
	uint64_t size;			/* i_size */
	uint32_t bs;			/* filesystem block size */
	unsigned int blkbits;
	struct ext4_ext *ext;		/* sorted by lblk, not overlapping */
	size_t n_ext, cap_ext;
	mbv_error_fn error;
	void *error_ctx;
	/* Pool workers read while the caller writes tree blocks: one I/O at a time. */
	pthread_mutex_t io_lock;
	bool reported;			/* an error message went out already */
	/* Read blocks with pread(direct_fd), not through libext2fs (detached files). */
	bool direct;
	int direct_fd;
	/*
	 * The last single blocks read directly: verify reads the descriptor's
	 * block, the last data block and small trees more than once, and
	 * libext2fs's own cache is not there to absorb that.
	 */
	uint8_t *cache;			/* DIRECT_CACHE_BLOCKS blocks, allocated on first use */
	blk64_t cache_pblk[4];		/* 0: empty (block 0 is never file data) */
	unsigned int cache_next;
};

/* A file read without libext2fs (the public mbv_ext4_detach*), and perhaps its tree. */
struct mbv_ext4_detached {
	struct ext4_file f;		/* direct reads; f.fs only identifies the filesystem */
	/* From mbv_ext4_detached_hash(): */
	bool hashed;
	uint32_t alg, block_size, salt_size;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint8_t *tree;			/* the whole tree, root level first */
	uint64_t tree_size;
	struct mbv_tree_result result;
};

/*
 * Does @d hold the tree enable would build for @f with these parameters?
 * Compares the file, parameters, size, and the extents of the data blocks.
 */
bool mbv_e4_prehashed_fits(const struct mbv_ext4_detached *d, const struct ext4_file *f,
			   uint32_t alg, uint32_t block_size,
			   const struct mbv_ext4_enable_params *params);

/* mbv_ext4_read_metadata() on an opened file. */
int mbv_e4_read_metadata_file(struct ext4_file *f, int type, uint64_t offset, void *buf,
			      size_t length, size_t *done);

/* mbv_ext4_verify() on an opened file. */
int mbv_e4_verify_file(struct ext4_file *f, struct mbv_pool *pool,
		       mbv_ext4_report_fn report_fn, void *report_ctx,
		       struct mbv_ext4_verity_info *info);

/* Where the verity metadata sits, as the kernel finds it. */
struct ext4_verity_loc {
	uint64_t meta_pos;		/* round_up(i_size, 64K) */
	uint64_t desc_pos;
	uint32_t desc_size;		/* descriptor + signature */
	uint64_t size_pos;		/* the le32 desc_size */
};

/* Report a one-line message through the file's callback; returns @err. */
int mbv_e4_report(mbv_error_fn fn, void *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same for a file: also remembers that a message went out. */
int mbv_e4_fail(struct ext4_file *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A libext2fs error code as a negative errno. */
int mbv_e4_errno(errcode_t e);
/* Its message, without registering com_err tables (no global state). */
const char *mbv_e4_strerror(errcode_t e);

/*
 * Is the filesystem in a state we may write?  Errors recorded, not cleanly
 * unmounted, or orphans to process: -EFSCORRUPTED and why, naming e2fsck.
 * Superblock fields only (mbv_ext4_open() also reads the orphan file).
 */
int mbv_e4_check_fs_state(ext2_filsys fs, char *why, size_t size);

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

/*
 * Read the inode and its extent map.  Only the kinds of inode are checked
 * here: a regular file (-EISDIR, -EINVAL otherwise) using extents.
 */
int mbv_e4_file_open(struct ext4_file *f, ext2_filsys fs, ext2_ino_t ino,
		   mbv_error_fn error, void *error_ctx);
void mbv_e4_file_close(struct ext4_file *f);
/* Re-read the extent map (after the extent tree changed). */
int mbv_e4_file_load_extents(struct ext4_file *f);

/* The extent holding @lblk, or NULL for a hole. */
const struct ext4_ext *mbv_e4_file_find(const struct ext4_file *f, uint64_t lblk);

/*
 * Read @len bytes at file byte @pos, past EOF too; holes and unwritten
 * extents read as zeros.  For small reads (metadata).
 */
int mbv_e4_file_pread(struct ext4_file *f, void *buf, size_t len, uint64_t pos);

/*
 * Read whole blocks [@lblk, @lblk + @n) into @buf in as few large reads as
 * the physical layout allows.
 */
int mbv_e4_file_read_blocks(struct ext4_file *f, void *buf, uint64_t lblk,
			  uint64_t n);

/* An mbv_pread_fn over the file's data (@ctx is the struct ext4_file). */
int mbv_e4_file_pread_data(void *ctx, void *buf, size_t count, uint64_t offset);

/*
 * The last data block's bytes after EOF: *@nonzero says whether any is not
 * zero on disk; *@pblk is its physical block (0 when it reads as zeros
 * anyway: no partial block, a hole or an unwritten extent).
 */
int mbv_e4_file_eof_tail(struct ext4_file *f, bool *nonzero, blk64_t *pblk);

static inline uint64_t ext4_round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* Find the descriptor from the end of the last extent, as the kernel does. */
int mbv_e4_verity_locate(struct ext4_file *f, struct ext4_verity_loc *loc);

/* Read the stored descriptor and signature: loc->desc_size bytes, malloc'ed. */
int mbv_e4_verity_read_desc(struct ext4_file *f, const struct ext4_verity_loc *loc,
			  uint8_t **desc);

/* How bad a descriptor problem is. */
enum ext4_desc_severity {
	EXT4_DESC_EXTRA,	/* the kernel accepts it; fsverity-utils would differ */
	EXT4_DESC_REJECTED,	/* the kernel refuses to open the file */
	EXT4_DESC_FATAL,	/* refused, and the tree geometry is unknown */
};

/*
 * Check a stored descriptor as the kernel does when it opens the file, and
 * a little more (padding of root_hash and salt, the tree fitting before the
 * descriptor).  @bad gets each problem with the field's name (NULL for the
 * layout).  @info is filled as far as the fields allow.
 * Return: the worst enum ext4_desc_severity seen, or -1 if none.
 */
int mbv_e4_verity_check_desc(const struct ext4_file *f,
			   const struct ext4_verity_loc *loc,
			   const uint8_t *desc, struct mbv_ext4_verity_info *info,
			   void (*bad)(void *ctx, const char *field, int severity,
				       const char *msg),
			   void *ctx);

/*
 * Locate, read and check a verity file's metadata as the kernel does at
 * open: -ENODATA without fs-verity, -EUCLEAN (or -EMSGSIZE) for metadata
 * the kernel would reject.  *@desc is malloc'ed (loc->desc_size bytes).
 */
int mbv_e4_verity_load(struct ext4_file *f, struct ext4_verity_loc *loc,
		     uint8_t **desc, struct mbv_ext4_verity_info *info);

/* ---- lib/ext4_alloc.c: blocks for the metadata, off the filesystem's own ---- */

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
