/* SPDX-License-Identifier: MIT */
/* Enabling fs-verity on a file of an ext4 image, laid out as fs/ext4/verity.c does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>

#include "endian_util.h"
#include "alloc.h"
#include "detached.h"
#include "image.h"
#include "quota.h"
#include "merkle.h"
#include "mbverity/sign.h"

#define WRITE_BATCH	256		/* filesystem blocks per metadata write */
/* Blocks kept free beyond the metadata for extent tree splits. */
#define EXTENT_SLACK	8

/* A run of newly reserved blocks for the metadata. */
struct meta_run {
	uint64_t lblk;
	blk64_t pblk;
	uint64_t len;
};

/* A filesystem block being filled by tree blocks smaller than it. */
struct partial_block {
	uint64_t lblk;
	uint32_t fill;
	uint8_t *buf;
};

struct enable_ctx {
	struct ext4_file *f;
	uint64_t meta_pos;		/* file offset of the tree */
	uint64_t meta_lblk, end_lblk;	/* the metadata blocks [meta_lblk, end_lblk) */
	uint64_t desc_pos, size_pos;
	uint32_t desc_size;

	struct meta_run *runs;
	size_t n_runs;
	bool reserved;

	uint8_t *wbuf;			/* contiguous blocks waiting to be written */
	uint64_t w_cap;			/* blocks wbuf holds */
	blk64_t w_pblk;
	uint64_t w_n;

	struct partial_block part[MBV_MAX_LEVELS + 2];
	size_t n_part;

	/* MBV_EXT4_ENABLE_BATCH: no flush between the steps; the caller's close writes all. */
	bool batch;

	/* Extent tree blocks replaced by converted copies (see copy_tree()). */
	blk64_t *old_blk, *new_blk;
	size_t n_copied, cap_copied;
	uint8_t saved_iblock[EXT2_N_BLOCKS * 4];	/* i_block before the copies */
	blk64_t failed_blk;		/* the block copy_tree() could not copy */

	/* The filesystem's own blocks, and the blocks set aside for extent tree growth. */
	const struct mbv_e4_zone *zone;
	struct mbv_e4_zone zone_tmp;
	struct mbv_e4_pool pool;
};

static blk64_t meta_pblk(const struct enable_ctx *c, uint64_t lblk)
{
	size_t lo = 0, hi = c->n_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->runs[mid].lblk + c->runs[mid].len <= lblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Callers only ask for blocks inside [meta_lblk, end_lblk). */
	return c->runs[lo].pblk + (lblk - c->runs[lo].lblk);
}

/* A crash-order point: what was written so far reaches the disk first. */
static errcode_t order_point(const struct enable_ctx *c)
{
	return c->batch ? 0 : ext2fs_flush(c->f->fs);
}

/* The same for data written through the io channel only. */
static errcode_t order_point_io(const struct enable_ctx *c)
{
	return c->batch ? 0 : io_channel_flush(c->f->fs->io);
}

static int flush_writes(struct enable_ctx *c)
{
	errcode_t r;

	if (!c->w_n)
		return 0;
	pthread_mutex_lock(&c->f->io_lock);
	r = io_channel_write_blk64(c->f->fs->io, c->w_pblk, (int)c->w_n, c->wbuf);
	pthread_mutex_unlock(&c->f->io_lock);
	if (r)
		return mbv_e4_fail(c->f, mbv_e4_errno(r), "cannot write block %llu: %s",
				 (unsigned long long)c->w_pblk, mbv_e4_strerror(r));
	c->w_n = 0;
	return 0;
}

/* Queue one whole filesystem block of metadata for writing. */
static int write_meta_block(struct enable_ctx *c, uint64_t lblk, const void *data)
{
	blk64_t pblk = meta_pblk(c, lblk);
	uint32_t bs = c->f->bs;
	int err;

	if (c->w_n && (pblk != c->w_pblk + c->w_n || c->w_n == c->w_cap)) {
		err = flush_writes(c);
		if (err)
			return err;
	}
	if (!c->w_n)
		c->w_pblk = pblk;
	memcpy(c->wbuf + c->w_n * bs, data, bs);
	c->w_n++;
	return 0;
}

/* The builder's tree_block callback: place the block at its file offset. */
static int put_tree_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct enable_ctx *c = ctx;
	uint64_t pos = c->meta_pos + offset;
	uint64_t lblk = pos >> c->f->blkbits;
	uint32_t off = (uint32_t)(pos & (c->f->bs - 1));
	struct partial_block *p = NULL;
	size_t i;
	int err;

	if (size == c->f->bs) {
		err = write_meta_block(c, lblk, block);
		return err;
	}
	/* Tree blocks smaller than a filesystem block: assemble whole blocks. */
	for (i = 0; i < c->n_part; i++)
		if (c->part[i].lblk == lblk)
			p = &c->part[i];
	if (!p) {
		if (c->n_part == sizeof(c->part) / sizeof(c->part[0])) {
			return mbv_e4_fail(c->f, -EINVAL, "internal error: too many partial blocks");
		}
		p = &c->part[c->n_part++];
		p->lblk = lblk;
		p->fill = 0;
		p->buf = calloc(1, c->f->bs);
		if (!p->buf) {
			c->n_part--;
			return mbv_e4_fail(c->f, -ENOMEM, "out of memory");
		}
	}
	memcpy(p->buf + off, block, size);
	p->fill += (uint32_t)size;
	if (p->fill < c->f->bs)
		return 0;
	err = write_meta_block(c, lblk, p->buf);
	free(p->buf);
	*p = c->part[--c->n_part];
	return err;
}

/* The tree built ahead by mbv_ext4_detached_hash(), block by block as the builder would give it. */
static int put_prehashed_tree(struct enable_ctx *c, const uint8_t *tree, uint64_t tree_size,
			      uint32_t block_size)
{
	uint64_t off;
	int err;

	for (off = 0; off < tree_size; off += block_size) {
		err = put_tree_block(c, tree + off, block_size, off);
		if (err)
			return err;
	}
	return 0;
}

/* Write what is left of partly filled blocks (the rest stays zero). */
static int flush_partials(struct enable_ctx *c)
{
	int err = 0;

	while (c->n_part && !err) {
		struct partial_block *p = &c->part[c->n_part - 1];

		err = write_meta_block(c, p->lblk, p->buf);
		free(p->buf);
		c->n_part--;
	}
	return err;
}

static int check_params(struct ext4_file *f, const struct mbv_ext4_enable_params *p,
			struct mbv_tree_spec *spec)
{
	uint32_t bs;
	int err;

	err = mbv_e4_enable_params_check(p, spec, f->error, f->error_ctx);
	if (err) {
		f->reported = true;
		return err;
	}
	if (p->flags & ~(MBV_EXT4_ENABLE_CHECK_ONLY | MBV_EXT4_ENABLE_SET_FEATURE |
			 MBV_EXT4_ENABLE_BATCH))
		return mbv_e4_fail(f, -EINVAL, "unknown flags 0x%x", p->flags);
	if (p->sig_size > MBV_MAX_SIGNATURE_SIZE)
		return mbv_e4_fail(f, -EMSGSIZE, "signature of %u bytes is over the kernel's %d",
				 p->sig_size, MBV_MAX_SIGNATURE_SIZE);
	if (p->sig_size && !p->signature)
		return mbv_e4_fail(f, -EINVAL, "signature size without signature");
	/* fs/verity/open.c: 1024 <= block size <= min(PAGE_SIZE, fs block size). */
	bs = spec->block_size;
	if (bs < (1u << FSVERITY_MIN_LOG_BLOCKSIZE) ||
	    bs > (1u << FSVERITY_MAX_LOG_BLOCKSIZE) || bs > f->bs)
		return mbv_e4_fail(f, -EINVAL,
				 "Merkle tree block size %u cannot be read by the kernel here: "
				 "use %s%u (the filesystem block size is %u)", bs,
				 f->bs > 1024 ? "a power of 2 from 1024 to " : "",
				 f->bs < 4096 ? f->bs : 4096, f->bs);
	return 0;
}

static void keep_reason(void *ctx, const char *msg)
{
	snprintf(ctx, MBV_SIG_ERRBUF_SIZE, "%s", msg);
}

/* A signature the kernel would refuse at every open is never written. */
static int check_signature(struct ext4_file *f, const struct mbv_ext4_enable_params *p,
			   uint32_t alg)
{
	char why[MBV_SIG_ERRBUF_SIZE];
	int err;

	if (!p->sig_size)
		return 0;
	err = mbv_parse_signature(alg, p->signature, p->sig_size, keep_reason, why);
	return err ? mbv_e4_fail(f, err, "signature refused: %s", why) : 0;
}

static int check_inode(struct ext4_file *f)
{
	uint32_t fl = f->inode.i_flags;

	if (fl & EXT4_VERITY_INODE_FL)
		return mbv_e4_fail(f, -EEXIST, "file already has fs-verity");
	if (fl & EXT2_IMMUTABLE_FL)
		return mbv_e4_fail(f, -EPERM, "file is immutable");
	if (fl & EXT2_APPEND_FL)
		return mbv_e4_fail(f, -EPERM, "file is append-only");
	if (fl & EXT4_EA_INODE_FL)
		return mbv_e4_fail(f, -EINVAL, "inode holds an extended attribute value");
	if (!f->inode.i_links_count)
		return mbv_e4_fail(f, -ENOENT, "inode is not in use");
	return 0;
}

static int check_fs(struct ext4_file *f, uint32_t flags)
{
	ext2_filsys fs = f->fs;

	if (!(fs->flags & EXT2_FLAG_RW))
		return mbv_e4_fail(f, -EROFS, "filesystem was opened read-only");
	if (ext2fs_has_feature_journal_needs_recovery(fs->super))
		return mbv_e4_fail(f, -EFSCORRUPTED,
				 "the journal needs recovery: run e2fsck on the image first");
	/* For an fs the caller opened with ext2fs_open() too. */
	{
		char why[256];
		int err = mbv_e4_check_fs_state(fs, why, sizeof(why));

		if (err)
			return mbv_e4_fail(f, err, "%s", why);
	}
	if (ext2fs_has_feature_bigalloc(fs->super))
		return mbv_e4_fail(f, -EOPNOTSUPP, "bigalloc filesystems are not supported");
	if (!ext2fs_has_feature_verity(fs->super) && !(flags & MBV_EXT4_ENABLE_SET_FEATURE))
		return mbv_e4_fail(f, -EOPNOTSUPP,
				 "the filesystem lacks the verity feature (run 'tune2fs -O verity IMAGE' "
				 "or use --set-feature)");
	return 0;
}

static unsigned int extent_depth(const struct ext4_file *f)
{
	return get_le16((const uint8_t *)f->inode.i_block + 6);
}

/*
 * Extent tree blocks that appending @n extents may take, at most: at each
 * level, new nodes left half full by splits plus the split of the node
 * already there, up to the root (which holds four entries and may grow a
 * level); and as many again for the converted copies (copy_tree()).
 */
static uint64_t extent_blocks_bound(const struct ext4_file *f, uint64_t n)
{
	uint64_t half = (f->bs - 12) / 12 / 2, e = n, total = 0;
	unsigned int level, depth = extent_depth(f);

	for (level = 0; level < 6 && (level <= depth || e > 4); level++) {
		e = (e + half - 1) / half + 1;
		total += e;
	}
	return 2 * total > EXTENT_SLACK ? 2 * total : EXTENT_SLACK;
}

/*
 * Choose blocks for the metadata, off the filesystem's own blocks: one
 * contiguous run if there is one, else as many runs as it takes, as the
 * kernel does; and set aside blocks for the extent tree to grow.  The runs
 * are marked in the in-memory bitmap only (no counts yet); the set-aside
 * blocks stay unmarked until libext2fs takes one.
 */
static int reserve_blocks(struct enable_ctx *c)
{
	struct ext4_file *f = c->f;
	ext2_filsys fs = f->fs;
	uint64_t want = c->end_lblk - c->meta_lblk, lblk = c->meta_lblk, new_ext = 0, extra;
	struct mbv_e4_ranges rs = { 0 };
	blk64_t goal;
	size_t i;
	int err;

	if (f->n_ext) {
		const struct ext4_ext *x = &f->ext[f->n_ext - 1];

		goal = x->pblk + x->len;
	} else {
		goal = ext2fs_find_inode_goal(fs, f->ino, (struct ext2_inode *)&f->inode, 0);
	}
	err = mbv_e4_system_zone(fs, &c->zone, &c->zone_tmp, f->error, f->error_ctx);
	if (err) {
		f->reported = true;
		return err;
	}
	err = mbv_e4_find_blocks(fs, c->zone, goal, want, true, &rs);
	if (err == -ENOSPC)
		return mbv_e4_fail(f, err, "not enough free space for %llu blocks of metadata",
				   (unsigned long long)want);
	if (err)
		return mbv_e4_fail(f, err, "out of memory");
	c->runs = malloc(rs.n * sizeof(*c->runs));
	if (!c->runs) {
		mbv_e4_ranges_free(&rs);
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	}
	for (i = 0; i < rs.n; i++) {
		c->runs[i].lblk = lblk;
		c->runs[i].pblk = rs.r[i].start;
		c->runs[i].len = rs.r[i].len;
		lblk += rs.r[i].len;
		new_ext += (rs.r[i].len + EXT_UNINIT_MAX_LEN - 1) / EXT_UNINIT_MAX_LEN;
		ext2fs_mark_block_bitmap_range2(fs->block_map, rs.r[i].start,
						(unsigned int)rs.r[i].len);
	}
	c->n_runs = rs.n;
	c->reserved = true;
	extra = extent_blocks_bound(f, new_ext);
	c->pool.fs = fs;
	err = mbv_e4_find_blocks(fs, c->zone, rs.r[rs.n - 1].start + rs.r[rs.n - 1].len, extra,
				 false, &c->pool.rs);
	mbv_e4_ranges_free(&rs);
	if (err == -ENOSPC)
		return mbv_e4_fail(f, err, "not enough free space for %llu blocks of metadata in "
				   "%zu extents and up to %llu blocks of extent tree",
				   (unsigned long long)want, c->n_runs, (unsigned long long)extra);
	if (err)
		return mbv_e4_fail(f, err, "out of memory");
	return 0;
}

static void unreserve_blocks(struct enable_ctx *c)
{
	size_t i;

	if (!c->reserved)
		return;
	for (i = 0; i < c->n_runs; i++)
		ext2fs_unmark_block_bitmap_range2(c->f->fs->block_map, c->runs[i].pblk,
						  (unsigned int)c->runs[i].len);
	c->reserved = false;
}

/*
 * Map [lblk, lblk + len) to [pblk, ...) as unwritten extents of up to 32767
 * blocks, one insert each: never merged with a neighbour, and allowed past
 * EOF on a file without the verity flag (as fallocate's).  *@mapped_end
 * tells how far it got.
 */
static errcode_t map_run(ext2_extent_handle_t h, uint64_t lblk, blk64_t pblk,
			 uint64_t len, uint64_t *mapped_end)
{
	struct ext2fs_extent e, cur;
	errcode_t r;

	while (len) {
		uint64_t n = len < EXT_UNINIT_MAX_LEN ? len : EXT_UNINIT_MAX_LEN;
		int op = EXT2_EXTENT_INSERT_AFTER;

		/* Nothing is mapped from the metadata on: land after the last extent. */
		r = ext2fs_extent_goto(h, lblk);
		if (!r)
			return EXT2_ET_EXTENT_LEAF_BAD;
		if (r != EXT2_ET_EXTENT_NOT_FOUND)
			return r;
		r = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &cur);
		if (r == EXT2_ET_NO_CURRENT_NODE)
			op = 0;		/* an empty tree */
		else if (r)
			return r;
		else if (cur.e_lblk > lblk)
			op = 0;
		e.e_lblk = lblk;
		e.e_pblk = pblk;
		e.e_len = (uint32_t)n;
		e.e_flags = EXT2_EXTENT_FLAGS_UNINIT;
		r = ext2fs_extent_insert(h, op, &e);
		if (!r)
			r = ext2fs_extent_fix_parents(h);
		if (r)
			return r;
		lblk += n;
		pblk += n;
		len -= n;
		*mapped_end = lblk;
	}
	return 0;
}

/*
 * The same for a tree that lives in the inode, on the in-memory i_block
 * only, so that the caller writes it with the flag in one inode write.
 */
static errcode_t convert_in_inode(struct ext4_file *f, uint64_t from)
{
	uint8_t *ib = (uint8_t *)f->inode.i_block;
	unsigned int i, n = get_le16(ib + 2);

	if (get_le16(ib) != 0xf30a || n > 4)
		return EXT2_ET_EXTENT_HEADER_BAD;
	for (i = 0; i < n; i++) {
		uint8_t *x = ib + 12 + 12 * i;
		uint16_t len = get_le16(x + 4);

		/* ee_len above 32768 marks an unwritten extent. */
		if (get_le32(x) >= from && len > EXT_INIT_MAX_LEN)
			put_le16(x + 4, (uint16_t)(len - EXT_INIT_MAX_LEN));
	}
	return 0;
}

/* Give back the copies: the inode points at the old blocks again. */
static void drop_copies(struct enable_ctx *c)
{
	memcpy(c->f->inode.i_block, c->saved_iblock, sizeof(c->saved_iblock));
	while (c->n_copied) {
		c->n_copied--;
		ext2fs_block_alloc_stats2(c->f->fs, c->new_blk[c->n_copied], -1);
	}
}

/* Free the old blocks once the inode points at the copies. */
static void free_old_blocks(struct enable_ctx *c)
{
	while (c->n_copied) {
		c->n_copied--;
		ext2fs_block_alloc_stats2(c->f->fs, c->old_blk[c->n_copied], -1);
	}
}

static errcode_t add_copy(struct enable_ctx *c, blk64_t old, blk64_t copy)
{
	if (c->n_copied == c->cap_copied) {
		size_t cap = c->cap_copied ? 2 * c->cap_copied : 8;
		blk64_t *o = realloc(c->old_blk, cap * sizeof(*o)), *n;

		if (!o)
			return EXT2_ET_NO_MEMORY;
		c->old_blk = o;
		n = realloc(c->new_blk, cap * sizeof(*n));
		if (!n)
			return EXT2_ET_NO_MEMORY;
		c->new_blk = n;
		c->cap_copied = cap;
	}
	c->old_blk[c->n_copied] = old;
	c->new_blk[c->n_copied++] = copy;
	return 0;
}

/* The child block of index entry @x. */
static blk64_t index_child(const uint8_t *x)
{
	return get_le32(x + 4) | (blk64_t)get_le16(x + 8) << 32;
}

static void set_index_child(uint8_t *x, blk64_t b)
{
	put_le32(x + 4, (uint32_t)b);
	put_le16(x + 8, (uint16_t)(b >> 32));
}

/*
 * Copy tree block @blk (of eh_depth @depth) if anything under it holds an
 * unwritten extent from @from on: a leaf converted, an index node pointing
 * at its children's copies.  Children are written before their parent, so
 * a copy on disk is always complete.  *@out: the copy, or @blk unchanged.
 */
static errcode_t copy_node(struct enable_ctx *c, blk64_t blk, unsigned int depth, uint64_t from,
			   blk64_t *out)
{
	ext2_filsys fs = c->f->fs;
	uint8_t *buf;
	unsigned int i, m;
	bool changed = false;
	errcode_t r;

	*out = blk;
	r = ext2fs_get_mem(fs->blocksize, &buf);
	if (r)
		return r;
	c->failed_blk = blk;
	r = io_channel_read_blk64(fs->io, blk, 1, buf);
	if (r)
		goto out;
	m = get_le16(buf + 2);
	if (get_le16(buf) != 0xf30a || get_le16(buf + 6) != depth ||
	    12 + 12 * (size_t)m > fs->blocksize) {
		r = EXT2_ET_EXTENT_HEADER_BAD;
		goto out;
	}
	for (i = 0; i < m && !r; i++) {
		uint8_t *x = buf + 12 + 12 * i;
		uint16_t len = get_le16(x + 4);
		blk64_t copy;

		if (depth == 0) {
			/* ee_len above 32768 marks an unwritten extent. */
			if (get_le32(x) >= from && len > EXT_INIT_MAX_LEN) {
				put_le16(x + 4, (uint16_t)(len - EXT_INIT_MAX_LEN));
				changed = true;
			}
			continue;
		}
		if (i + 1 < m && get_le32(x + 12) <= from)
			continue;	/* the next child starts before the metadata */
		r = copy_node(c, index_child(x), depth - 1, from, &copy);
		if (!r && copy != index_child(x)) {
			set_index_child(x, copy);
			changed = true;
		}
	}
	if (r || !changed)
		goto out;
	c->failed_blk = blk;
	r = mbv_e4_pool_take(&c->pool, out) ? EXT2_ET_BLOCK_ALLOC_FAIL : 0;
	if (!r)
		r = ext2fs_extent_block_csum_set(fs, c->f->ino, (struct ext3_extent_header *)buf);
	if (!r)
		r = io_channel_write_blk64(fs->io, *out, 1, buf);
	if (!r) {
		ext2fs_block_alloc_stats2(fs, *out, +1);
		r = add_copy(c, blk, *out);
		if (r)
			ext2fs_block_alloc_stats2(fs, *out, -1);
	}
	if (r)
		*out = blk;
out:
	ext2fs_free_mem(&buf);
	return r;
}

/*
 * The metadata extents sit in extent tree blocks.  Converting them in place
 * before the inode gets the flag would leave, for a moment, written extents
 * past EOF on a plain file, which e2fsck -p does not repair (and e2fsck -fy
 * "repairs" by dropping the whole subtree, data included).  So every block
 * on the way to an unwritten extent from @from on is copied, converted, to
 * a new block (copy_node()), and the caller's one inode write both points
 * the root at the copies and sets the flag.  The copies are on disk and
 * counted before; the old blocks are freed after.
 */
static errcode_t copy_tree(struct enable_ctx *c, uint64_t from)
{
	struct ext4_file *f = c->f;
	uint8_t *ib = (uint8_t *)f->inode.i_block;
	unsigned int i, n = get_le16(ib + 2), depth = get_le16(ib + 6);
	errcode_t r = 0;

	if (get_le16(ib) != 0xf30a || n > 4 || !depth || depth > 5)
		return EXT2_ET_EXTENT_HEADER_BAD;
	memcpy(c->saved_iblock, f->inode.i_block, sizeof(c->saved_iblock));
	for (i = 0; i < n && !r; i++) {
		uint8_t *x = ib + 12 + 12 * i;
		blk64_t copy;

		if (i + 1 < n && get_le32(x + 12) <= from)
			continue;
		r = copy_node(c, index_child(x), depth - 1, from, &copy);
		if (!r)
			set_index_child(x, copy);
	}
	if (!r)
		r = order_point(c);
	if (r)
		drop_copies(c);
	return r;
}

/*
 * Reference the reserved blocks.  On disk, in this order: the bitmaps count
 * them as used (a crash now only leaks them); the extent tree maps them as
 * unwritten, i_blocks counting them (still a plain file, which e2fsck
 * accepts); then they turn written together with EXT4_VERITY_FL - in one
 * inode write when the tree lives in the inode, else the extent blocks
 * first and the inode with the flag last.  So the flag never shows without
 * the metadata, and written extents past EOF never show without the flag
 * unless in an extent block (e2fsck then drops them; it never grows
 * i_size).  A failure frees what was taken.
 */
static int commit_blocks(struct enable_ctx *c)
{
	struct ext4_file *f = c->f;
	ext2_filsys fs = f->fs;
	ext2_extent_handle_t h = NULL;
	uint64_t mapped_end = c->meta_lblk;
	const char *what;
	char leaf_what[64];
	bool iblk_added = false;
	errcode_t r;
	size_t i;

	for (i = 0; i < c->n_runs; i++)
		ext2fs_block_alloc_stats_range(fs, c->runs[i].pblk, (blk_t)c->runs[i].len, +1);
	c->reserved = false;
	what = "cannot write the bitmaps";
	r = order_point(c);
	if (r)
		goto undo;
	/* i_blocks first, so each inode write of the inserts carries it. */
	what = "cannot count the metadata blocks in i_blocks";
	r = ext2fs_iblk_add_blocks(fs, (struct ext2_inode *)&f->inode,
				   c->end_lblk - c->meta_lblk);
	if (!r) {
		iblk_added = true;
		what = "cannot open the extent tree";
		r = ext2fs_extent_open2(fs, f->ino, (struct ext2_inode *)&f->inode, &h);
	}
	if (!r)
		what = "cannot add the metadata extents to the extent tree";
	for (i = 0; !r && i < c->n_runs; i++)
		r = map_run(h, c->runs[i].lblk, c->runs[i].pblk, c->runs[i].len, &mapped_end);
	if (!r) {
		what = "cannot write the inode with the new extents";
		r = ext2fs_write_inode_full(fs, f->ino, (struct ext2_inode *)&f->inode,
					    sizeof(f->inode));
	}
	if (!r) {
		what = "cannot flush the inode with the new extents";
		r = order_point(c);
	}
	if (!r) {
		if (extent_depth(f) == 0) {
			what = "cannot mark the metadata extents written in the inode";
			r = convert_in_inode(f, c->meta_lblk);
		} else {
			r = copy_tree(c, c->meta_lblk);
			snprintf(leaf_what, sizeof(leaf_what), "cannot copy extent tree block %llu",
				 (unsigned long long)c->failed_blk);
			what = leaf_what;
		}
	}
	if (h)
		ext2fs_extent_free(h);
	if (!r) {
		what = "cannot write the inode with the verity flag";
		f->inode.i_flags |= EXT4_VERITY_INODE_FL;
		r = ext2fs_write_inode_full(fs, f->ino, (struct ext2_inode *)&f->inode,
					    sizeof(f->inode));
		if (!r) {
			what = "cannot flush the inode with the verity flag";
			r = order_point(c);
		}
	}
	if (!r && c->n_copied) {
		free_old_blocks(c);
		r = order_point(c);
		if (r)	/* the file is verity; the old leaves stay marked in use */
			return mbv_e4_fail(f, mbv_e4_errno(r), "cannot free the old extent "
					   "tree blocks: %s (e2fsck -p repairs it)", mbv_e4_strerror(r));
	}
	if (!r)
		return 0;
	f->inode.i_flags &= ~EXT4_VERITY_INODE_FL;
	/* The inode in memory points at the copies: the old leaves go. */
	free_old_blocks(c);
undo:
	/* Unmap what was mapped (freeing it), free what was not. */
	mbv_e4_fail(f, mbv_e4_errno(r), "%s: %s", what, mbv_e4_strerror(r));
	if (iblk_added) {
		/* punch takes back what it unmaps; the rest was never mapped. */
		ext2fs_iblk_sub_blocks(fs, (struct ext2_inode *)&f->inode,
				       c->end_lblk - mapped_end);
		ext2fs_write_inode_full(fs, f->ino, (struct ext2_inode *)&f->inode,
					sizeof(f->inode));
	}
	if (mapped_end > c->meta_lblk)
		ext2fs_punch(fs, f->ino, (struct ext2_inode *)&f->inode, NULL, c->meta_lblk,
			     EXT4_MAX_LBLK_END - 1);
	for (i = 0; i < c->n_runs; i++) {
		const struct meta_run *m = &c->runs[i];
		uint64_t from = m->lblk > mapped_end ? m->lblk : mapped_end;

		if (from < m->lblk + m->len)
			ext2fs_block_alloc_stats_range(fs, m->pblk + (from - m->lblk),
						       (blk_t)(m->lblk + m->len - from), -1);
	}
	return mbv_e4_errno(r);
}

static int write_descriptor(struct enable_ctx *c, const uint8_t *desc,
			    const struct mbv_ext4_enable_params *p)
{
	uint32_t bs = c->f->bs;
	uint64_t lblk = c->desc_pos >> c->f->blkbits;
	uint64_t n = c->end_lblk - lblk;
	uint8_t *buf = calloc(n, bs);
	uint64_t i;
	int err = 0;

	if (!buf)
		return mbv_e4_fail(c->f, -ENOMEM, "out of memory");
	/* On disk the descriptor carries sig_size and the signature after it. */
	memcpy(buf, desc, MBV_DESCRIPTOR_SIZE);
	put_le32(buf + 4, p->sig_size);
	if (p->sig_size)
		memcpy(buf + MBV_DESCRIPTOR_SIZE, p->signature, p->sig_size);
	put_le32(buf + (c->size_pos - c->desc_pos), c->desc_size);
	for (i = 0; i < n && !err; i++)
		err = write_meta_block(c, lblk + i, buf + i * bs);
	free(buf);
	return err;
}

/* The kernel hashes whole blocks: bytes after EOF must read as zeros. */
static int zero_eof_tail(struct ext4_file *f)
{
	size_t tail = (size_t)(f->size & (f->bs - 1));
	uint8_t *blk;
	bool nonzero;
	blk64_t pblk;
	errcode_t r;
	int err;

	err = mbv_e4_file_eof_tail(f, &nonzero, &pblk);
	if (err || !nonzero)
		return err;
	blk = malloc(f->bs);
	if (!blk)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	r = io_channel_read_blk64(f->fs->io, pblk, 1, blk);
	if (!r) {
		memset(blk + tail, 0, f->bs - tail);
		r = io_channel_write_blk64(f->fs->io, pblk, 1, blk);
	}
	free(blk);
	if (r)
		return mbv_e4_fail(f, mbv_e4_errno(r), "cannot zero the block tail after EOF: %s",
				 mbv_e4_strerror(r));
	return 0;
}

static void free_ctx(struct enable_ctx *c)
{
	size_t i;

	mbv_e4_pool_unhook(&c->pool);
	mbv_e4_ranges_free(&c->pool.rs);
	mbv_e4_ranges_free(&c->zone_tmp.rs);
	unreserve_blocks(c);
	for (i = 0; i < c->n_part; i++)
		free(c->part[i].buf);
	free(c->runs);
	free(c->wbuf);
	free(c->old_blk);
	free(c->new_blk);
}

/* What the checks fix before the first write: the parameters and the tree ahead. */
struct enable_plan {
	struct mbv_tree_spec spec;	/* the parameters, defaults applied */
	uint32_t alg, bs;		/* spec's, for short */
	const uint8_t *pre_tree;	/* params->prehashed's tree, when given */
	uint64_t pre_size;
	struct mbv_tree_result result;	/* params->prehashed's result, then the tree's */
};

/*
 * Every check, and the layout of fs/ext4/verity.c, before anything is
 * written: in the kernel's order, parameters, then EEXIST and the inode,
 * then the filesystem, then the space.
 */
static int plan_enable(struct enable_ctx *c, const struct mbv_ext4_enable_params *params,
		       struct enable_plan *pl)
{
	struct ext4_file *f = c->f;
	struct mbv_tree_geometry g;
	uint64_t tree_end, free_blocks;
	int err;

	err = check_params(f, params, &pl->spec);
	pl->alg = pl->spec.hash_algorithm;
	pl->bs = pl->spec.block_size;
	if (!err)
		err = check_inode(f);
	if (!err)
		err = check_fs(f, params->flags);
	if (!err)
		err = check_signature(f, params, pl->alg);
	if (err)
		return err;
	err = mbv_tree_geometry(pl->alg, pl->bs, f->size, &g);
	if (err || g.num_levels > FSVERITY_MAX_LEVELS)
		return mbv_e4_fail(f, -EFBIG, "the Merkle tree would be deeper than the kernel's %d levels",
				   FSVERITY_MAX_LEVELS);
	c->meta_pos = ext4_round_up(f->size, EXT4_VERITY_META_ALIGN);
	tree_end = c->meta_pos + g.tree_size;
	c->desc_pos = ext4_round_up(tree_end, f->bs);
	c->desc_size = MBV_DESCRIPTOR_SIZE + params->sig_size;
	c->size_pos = ext4_round_up(c->desc_pos + c->desc_size + 4, f->bs) - 4;
	c->meta_lblk = c->meta_pos >> f->blkbits;
	c->end_lblk = (c->size_pos + 4) >> f->blkbits;
	if (c->end_lblk > EXT4_MAX_LBLK_END)
		return mbv_e4_fail(f, -EFBIG, "file too large: its verity metadata would end past "
				   "ext4's last block");
	free_blocks = ext2fs_free_blocks_count(f->fs->super);
	if (free_blocks < c->end_lblk - c->meta_lblk + EXTENT_SLACK)
		return mbv_e4_fail(f, -ENOSPC,
				   "not enough free space: the metadata needs %llu blocks, %llu are free",
				   (unsigned long long)(c->end_lblk - c->meta_lblk + EXTENT_SLACK),
				   (unsigned long long)free_blocks);
	if (params->prehashed &&
	    !mbv_e4_prehashed_tree(params->prehashed, f, &pl->spec, &pl->pre_tree, &pl->pre_size,
				   &pl->result))
		return mbv_e4_fail(f, -ESTALE, "the pre-hashed tree does not fit: the file, its data "
				   "or the parameters changed");
	return 0;
}

/*
 * The writes, in README's order: blocks set aside, blocks past EOF
 * dropped, the tree and descriptor to blocks nothing references yet, then
 * the feature, then the extents and the flag in one inode write.
 */
static int write_enable(struct enable_ctx *c, const struct mbv_ext4_enable_params *params,
			struct enable_plan *pl)
{
	struct ext4_file *f = c->f;
	ext2_filsys fs = f->fs;
	struct mbv_tree_params tp;
	uint64_t data_blocks;
	errcode_t r;
	int err;

	/* Most files are small (mkfs): a malloc this big per file would be an mmap + munmap. */
	c->w_cap = c->end_lblk - c->meta_lblk < WRITE_BATCH ? c->end_lblk - c->meta_lblk : WRITE_BATCH;
	/* aligned_alloc() wants a multiple of the alignment (1 KiB blocks). */
	c->wbuf = aligned_alloc(4096, (size_t)ext4_round_up(c->w_cap * f->bs, 4096));
	if (!c->wbuf)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	if (!fs->block_map && (r = ext2fs_read_block_bitmap(fs)))
		return mbv_e4_fail(f, mbv_e4_errno(r), "cannot read the block bitmap: %s",
				   mbv_e4_strerror(r));
	/* Blocks are chosen before anything is written: no space leaves the image as it was. */
	err = reserve_blocks(c);
	if (err)
		return err;
	/* From here on libext2fs allocates (extent tree blocks) only from the blocks set aside. */
	mbv_e4_pool_hook(&c->pool, !c->batch);

	/* From here on the image changes.  Like the kernel, drop blocks past EOF first. */
	data_blocks = (f->size + f->bs - 1) >> f->blkbits;
	if (f->n_ext && f->ext[f->n_ext - 1].lblk + f->ext[f->n_ext - 1].len > data_blocks) {
		r = ext2fs_punch(fs, f->ino, (struct ext2_inode *)&f->inode, NULL, data_blocks,
				 EXT4_MAX_LBLK_END - 1);
		if (r)
			return mbv_e4_fail(f, mbv_e4_errno(r), "cannot remove blocks past EOF: %s",
					   mbv_e4_strerror(r));
		err = mbv_e4_file_load_extents(f);
		if (err)
			return err;
	}

	/* Data in, tree blocks straight to their new blocks. */
	if (params->prehashed) {
		err = put_prehashed_tree(c, pl->pre_tree, pl->pre_size, pl->bs);
	} else {
		memset(&tp, 0, sizeof(tp));
		tp.version = MBV_TREE_PARAMS_VERSION;
		tp.spec = pl->spec;
		tp.file_size = f->size;
		tp.tree_block = put_tree_block;
		tp.ctx = c;
		err = mbv_pool_compute_tree(params->pool, &tp, mbv_e4_file_pread_data, f,
					    &pl->result, NULL, NULL);
	}
	if (err && !f->reported)
		mbv_e4_fail(f, err, "building the Merkle tree failed: %s", strerror(-err));
	if (!err)
		err = flush_partials(c);
	if (!err)
		err = write_descriptor(c, pl->result.descriptor, params);
	if (!err)
		err = flush_writes(c);
	if (!err)
		err = zero_eof_tail(f);
	if (!err && (r = order_point_io(c)))
		err = mbv_e4_fail(f, mbv_e4_errno(r), "cannot flush the image: %s", mbv_e4_strerror(r));
	if (err)
		return err;

	if (!ext2fs_has_feature_verity(fs->super)) {
		/* --set-feature: on disk before any inode can carry the flag. */
		ext2fs_set_feature_verity(fs->super);
		ext2fs_mark_super_dirty(fs);
		r = order_point(c);
		if (r)
			return mbv_e4_fail(f, mbv_e4_errno(r), "cannot set the verity feature: %s",
					   mbv_e4_strerror(r));
	}
	return commit_blocks(c);
}

int mbv_ext4_enable(struct struct_ext2_filsys *fs, uint32_t ino,
		    const struct mbv_ext4_enable_params *params,
		    struct mbv_tree_result *res,
		    mbv_error_fn error, void *error_ctx)
{
	struct enable_ctx c;
	struct enable_plan pl = { 0 };
	struct ext4_file f;
	struct ext4_quota_ref quota = { 0 };
	blk64_t iblocks_before = 0;
	bool wrote = false;
	int err;

	memset(&c, 0, sizeof(c));
	c.f = &f;
	c.batch = params->flags & MBV_EXT4_ENABLE_BATCH;
	err = mbv_e4_file_open(&f, fs, ino, error, error_ctx);
	if (!err)
		err = plan_enable(&c, params, &pl);
	/* The quota entries the blocks go to, found before any write. */
	if (!err)
		err = mbv_e4_quota_find(&f, &quota);
	if (!err && !(params->flags & MBV_EXT4_ENABLE_CHECK_ONLY)) {
		iblocks_before = ext2fs_get_stat_i_blocks(fs, (struct ext2_inode *)&f.inode);
		wrote = true;
		/*
		 * libext2fs rewrites only the superblock bytes that changed, in
		 * several writes: a kill between them leaves a checksum e2fsck
		 * -p cannot get past.  Without its copy of the superblock as
		 * read, it writes the block whole (the header says so).
		 */
		ext2fs_free_mem(&fs->orig_super);
		err = write_enable(&c, params, &pl);
		if (!err && res)
			*res = pl.result;
	}
	free_ctx(&c);
	/*
	 * Last, after the inode write: a kill before this leaves the usage
	 * short by the new blocks, which e2fsck -p puts right.  After a failure
	 * only what stayed (blocks past EOF dropped) is counted, silently.
	 */
	if (wrote) {
		int qerr;

		if (err)
			f.error = NULL;
		qerr = mbv_e4_quota_settle(&f, &quota, iblocks_before, !c.batch);
		if (!err)
			err = qerr;
	}
	mbv_e4_file_close(&f);
	return err;
}
