/* SPDX-License-Identifier: MIT */
/* A regular file inside an ext4 image: inode checks, extent map, large reads. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <et/com_err.h>
#include <ext2fs/ext2_err.h>

#include "file.h"

/* A hostile extent tree must not make us allocate without bound. */
#define MAX_EXTENTS (1u << 24)

int mbv_e4_fail(struct ext4_file *f, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	f->reported = true;
	if (!f->error)
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->error(f->error_ctx, msg);
	return err;
}

const char *mbv_e4_strerror(errcode_t e)
{
	const struct error_table *t = &et_ext2_error_table;

	if (e >= t->base && e < t->base + t->n_msgs)
		return t->msgs[e - t->base];
	if (e > 0 && e < 4096)
		return strerror((int)e);
	return error_message(e);
}

int mbv_e4_errno(errcode_t e)
{
	/* libext2fs passes system errors through as plain errno values. */
	if (e > 0 && e < 4096)
		return -(int)e;
	switch (e) {
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
		return -ENOSPC;
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_NO_DIRECTORY:
		return -ENOTDIR;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_SHORT_READ:
	case EXT2_ET_SHORT_WRITE:
	case EXT2_ET_LLSEEK_FAILED:
		return -EIO;
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_BAD_INODE_NUM:
	case EXT2_ET_BAD_BLOCK_NUM:
	case EXT2_ET_EXTENT_HEADER_BAD:
	case EXT2_ET_EXTENT_INDEX_BAD:
	case EXT2_ET_EXTENT_LEAF_BAD:
	case EXT2_ET_EXTENT_CSUM_INVALID:
	case EXT2_ET_INODE_CSUM_INVALID:
	case EXT2_ET_INODE_CORRUPTED:
	case EXT2_ET_DIR_CORRUPTED:
	case EXT2_ET_DIR_CSUM_INVALID:
	case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
	case EXT2_ET_BAD_DESC_SIZE:
	case EXT2_ET_GDESC_BAD_BLOCK_MAP:
	case EXT2_ET_GDESC_BAD_INODE_MAP:
	case EXT2_ET_GDESC_BAD_INODE_TABLE:
		return -EFSCORRUPTED;
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
		return -EOPNOTSUPP;
	}
	return -EIO;
}

static int add_extent(struct ext4_file *f, const struct ext2fs_extent *e)
{
	blk64_t nblocks = ext2fs_blocks_count(f->fs->super);
	uint64_t prev_end = 0;

	if (f->n_ext) {
		const struct ext4_ext *p = &f->ext[f->n_ext - 1];

		prev_end = p->lblk + p->len;
	}
	if (e->e_len == 0 || e->e_lblk < prev_end ||
	    e->e_lblk + e->e_len > EXT4_MAX_LBLK_END ||
	    e->e_pblk < f->fs->super->s_first_data_block ||
	    e->e_pblk >= nblocks || e->e_len > nblocks - e->e_pblk)
		return mbv_e4_fail(f, -EFSCORRUPTED,
				 "corrupt extent (logical %llu, physical %llu, %u blocks)",
				 (unsigned long long)e->e_lblk,
				 (unsigned long long)e->e_pblk, e->e_len);
	if (f->n_ext == f->cap_ext) {
		size_t cap = f->cap_ext ? 2 * f->cap_ext : 16;
		struct ext4_ext *n;

		if (cap > MAX_EXTENTS)
			return mbv_e4_fail(f, -EFBIG, "more than %u extents", MAX_EXTENTS);
		n = realloc(f->ext, cap * sizeof(*n));
		if (!n)
			return mbv_e4_fail(f, -ENOMEM, "out of memory");
		f->ext = n;
		f->cap_ext = cap;
	}
	f->ext[f->n_ext].lblk = e->e_lblk;
	f->ext[f->n_ext].pblk = e->e_pblk;
	f->ext[f->n_ext].len = e->e_len;
	f->ext[f->n_ext].uninit = (e->e_flags & EXT2_EXTENT_FLAGS_UNINIT) != 0;
	f->n_ext++;
	return 0;
}

int mbv_e4_file_load_extents(struct ext4_file *f)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	errcode_t r;
	int op = EXT2_EXTENT_ROOT;
	int err = 0;

	f->n_ext = 0;
	r = ext2fs_extent_open2(f->fs, f->ino, (struct ext2_inode *)&f->inode, &h);
	if (r)
		return mbv_e4_fail(f, mbv_e4_errno(r), "cannot read the extent tree: %s",
				 mbv_e4_strerror(r));
	for (;;) {
		r = ext2fs_extent_get(h, op, &e);
		op = EXT2_EXTENT_NEXT;
		if (r == EXT2_ET_EXTENT_NO_NEXT || r == EXT2_ET_NO_CURRENT_NODE)
			break;
		if (r) {
			err = mbv_e4_fail(f, mbv_e4_errno(r), "cannot read the extent tree: %s",
					mbv_e4_strerror(r));
			break;
		}
		if (!(e.e_flags & EXT2_EXTENT_FLAGS_LEAF) ||
		    (e.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT))
			continue;
		err = add_extent(f, &e);
		if (err)
			break;
	}
	ext2fs_extent_free(h);
	return err;
}

int mbv_e4_file_open(struct ext4_file *f, ext2_filsys fs, ext2_ino_t ino,
		   mbv_error_fn error, void *error_ctx)
{
	errcode_t r;
	uint32_t fl;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->io_lock, NULL);
	f->fs = fs;
	f->ino = ino;
	f->bs = fs->blocksize;
	f->blkbits = (unsigned int)__builtin_ctz(fs->blocksize);
	f->error = error;
	f->error_ctx = error_ctx;
	if (ino < EXT2_ROOT_INO || ino > fs->super->s_inodes_count)
		return mbv_e4_fail(f, -EINVAL, "no inode %u in this filesystem", ino);
	r = ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&f->inode,
				   sizeof(f->inode));
	if (r)
		return mbv_e4_fail(f, mbv_e4_errno(r), "cannot read inode %u: %s", ino,
				 mbv_e4_strerror(r));
	if (LINUX_S_ISDIR(f->inode.i_mode))
		return mbv_e4_fail(f, -EISDIR, "is a directory, not a regular file");
	if (!LINUX_S_ISREG(f->inode.i_mode))
		return mbv_e4_fail(f, -EINVAL, "not a regular file");
	f->size = EXT2_I_SIZE(&f->inode);
	/* The data and the metadata after it must fit below 2^32 blocks. */
	if (f->size > (EXT4_MAX_LBLK_END << f->blkbits))
		return mbv_e4_fail(f, -EFSCORRUPTED, "i_size %llu is beyond ext4's limit",
				 (unsigned long long)f->size);
	fl = f->inode.i_flags;
	if (fl & EXT4_INLINE_DATA_FL)
		return mbv_e4_fail(f, -EOPNOTSUPP,
				 "file has inline data (fs-verity needs an extent-mapped file)");
	if (fl & EXT4_ENCRYPT_FL)
		return mbv_e4_fail(f, -EOPNOTSUPP,
				 "file is encrypted (its verity metadata would have to be encrypted too)");
	if (!(fl & EXT4_EXTENTS_FL))
		return mbv_e4_fail(f, -EOPNOTSUPP,
				 "file does not use extents (fs-verity needs an extent-mapped file)");
	return mbv_e4_file_load_extents(f);
}

void mbv_e4_file_close(struct ext4_file *f)
{
	free(f->ext);
	free(f->cache);
	f->cache = NULL;
	f->ext = NULL;
	f->n_ext = f->cap_ext = 0;
	pthread_mutex_destroy(&f->io_lock);
}

/* Index of the first extent ending after @lblk (n_ext if none). */
static size_t first_extent_after(const struct ext4_file *f, uint64_t lblk)
{
	size_t lo = 0, hi = f->n_ext;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->ext[mid].lblk + f->ext[mid].len <= lblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ext4_ext *mbv_e4_file_find(const struct ext4_file *f, uint64_t lblk)
{
	size_t i = first_extent_after(f, lblk);

	if (i < f->n_ext && f->ext[i].lblk <= lblk)
		return &f->ext[i];
	return NULL;
}

#define DIRECT_CACHE_BLOCKS (sizeof(((struct ext4_file *)0)->cache_pblk) / sizeof(blk64_t))

static int read_run_direct(struct ext4_file *f, uint8_t *dst, blk64_t pblk, uint64_t n);

/* One block through the small cache of a detached file. */
static int read_block_cached(struct ext4_file *f, uint8_t *dst, blk64_t pblk)
{
	unsigned int i;
	uint8_t *slot;
	int err;

	for (i = 0; i < DIRECT_CACHE_BLOCKS; i++)
		if (f->cache_pblk[i] == pblk && pblk) {
			memcpy(dst, f->cache + (size_t)i * f->bs, f->bs);
			return 0;
		}
	if (!f->cache && !(f->cache = malloc(DIRECT_CACHE_BLOCKS * f->bs)))
		return read_run_direct(f, dst, pblk, 1);
	i = f->cache_next++ % DIRECT_CACHE_BLOCKS;
	slot = f->cache + (size_t)i * f->bs;
	f->cache_pblk[i] = 0;
	err = read_run_direct(f, slot, pblk, 1);
	if (err)
		return err;
	f->cache_pblk[i] = pblk;
	memcpy(dst, slot, f->bs);
	return 0;
}

/* Whole blocks straight from the image file (see struct ext4_file's direct). */
static int read_run_direct(struct ext4_file *f, uint8_t *dst, blk64_t pblk, uint64_t n)
{
	uint64_t pos = pblk << f->blkbits, left = n << f->blkbits;

	while (left) {
		ssize_t got = pread(f->direct_fd, dst, left, (off_t)pos);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return mbv_e4_fail(f, got < 0 ? -errno : -EIO, "cannot read block %llu: %s",
					   (unsigned long long)(pos >> f->blkbits),
					   got < 0 ? strerror(errno) : "past the end of the image");
		dst += got;
		pos += (uint64_t)got;
		left -= (uint64_t)got;
	}
	return 0;
}

static int read_run(struct ext4_file *f, void *dst, blk64_t pblk, uint64_t n)
{
	errcode_t r;

	if (f->direct)
		return n == 1 ? read_block_cached(f, dst, pblk) : read_run_direct(f, dst, pblk, n);
	while (n) {
		/* io_channel counts are ints; stay far below. */
		int k = n > (1u << 16) ? 1 << 16 : (int)n;

		pthread_mutex_lock(&f->io_lock);
		r = io_channel_read_blk64(f->fs->io, pblk, k, dst);
		pthread_mutex_unlock(&f->io_lock);
		if (r)
			return mbv_e4_fail(f, mbv_e4_errno(r), "cannot read block %llu: %s",
					 (unsigned long long)pblk, mbv_e4_strerror(r));
		dst = (uint8_t *)dst + (size_t)k * f->bs;
		pblk += (blk64_t)k;
		n -= (uint64_t)k;
	}
	return 0;
}

int mbv_e4_file_read_blocks(struct ext4_file *f, void *buf, uint64_t lblk,
			  uint64_t n)
{
	uint8_t *p = buf, *run_dst = NULL;
	uint64_t end = lblk + n;
	blk64_t run_pblk = 0;
	uint64_t run_n = 0;
	size_t i = first_extent_after(f, lblk);
	int err;

	while (lblk < end) {
		const struct ext4_ext *x = i < f->n_ext ? &f->ext[i] : NULL;
		uint64_t k;

		if (!x || x->lblk >= end) {
			memset(p, 0, (size_t)(end - lblk) * f->bs);
			break;
		}
		if (x->lblk > lblk) {
			k = x->lblk - lblk;
			memset(p, 0, (size_t)k * f->bs);
		} else {
			k = (x->lblk + x->len < end ? x->lblk + x->len : end) - lblk;
			if (x->uninit) {
				memset(p, 0, (size_t)k * f->bs);
			} else {
				blk64_t pb = x->pblk + (lblk - x->lblk);

				/* Coalesce physically and in-buffer contiguous pieces. */
				if (run_n && pb == run_pblk + run_n &&
				    p == run_dst + run_n * f->bs) {
					run_n += k;
				} else {
					if (run_n && (err = read_run(f, run_dst, run_pblk, run_n)))
						return err;
					run_dst = p;
					run_pblk = pb;
					run_n = k;
				}
			}
			if (lblk + k == x->lblk + x->len)
				i++;
		}
		p += k * f->bs;
		lblk += k;
	}
	if (run_n)
		return read_run(f, run_dst, run_pblk, run_n);
	return 0;
}

int mbv_e4_file_pread(struct ext4_file *f, void *buf, size_t len, uint64_t pos)
{
	uint8_t *out = buf;
	uint8_t *bounce = NULL;
	int err = 0;

	while (len) {
		uint64_t lblk = pos >> f->blkbits;
		size_t off = (size_t)(pos & (f->bs - 1));

		if (off == 0 && len >= f->bs) {
			/* Whole blocks straight into the caller's buffer. */
			uint64_t n = len >> f->blkbits;

			err = mbv_e4_file_read_blocks(f, out, lblk, n);
			if (err)
				break;
			out += n * f->bs;
			pos += n * f->bs;
			len -= n * f->bs;
			continue;
		}
		if (!bounce && !(bounce = malloc(f->bs))) {
			err = mbv_e4_fail(f, -ENOMEM, "out of memory");
			break;
		}
		err = mbv_e4_file_read_blocks(f, bounce, lblk, 1);
		if (err)
			break;
		{
			size_t k = f->bs - off < len ? f->bs - off : len;

			memcpy(out, bounce + off, k);
			out += k;
			pos += k;
			len -= k;
		}
	}
	free(bounce);
	return err;
}

int mbv_e4_file_pread_data(void *ctx, void *buf, size_t count, uint64_t offset)
{
	struct ext4_file *f = ctx;

	if (offset > f->size || count > f->size - offset)
		return mbv_e4_fail(f, -EINVAL, "internal error: read past EOF");
	return mbv_e4_file_pread(f, buf, count, offset);
}

int mbv_e4_file_eof_tail(struct ext4_file *f, bool *nonzero, blk64_t *pblk)
{
	size_t tail = (size_t)(f->size & (f->bs - 1));
	uint64_t last = f->size >> f->blkbits;
	const struct ext4_ext *x;
	uint8_t *blk;
	size_t i;
	int err;

	*nonzero = false;
	*pblk = 0;
	if (!tail)
		return 0;
	x = mbv_e4_file_find(f, last);
	if (!x || x->uninit)
		return 0;	/* reads as zeros */
	*pblk = x->pblk + (last - x->lblk);
	blk = malloc(f->bs);
	if (!blk)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	err = read_run(f, blk, *pblk, 1);
	for (i = tail; !err && i < f->bs; i++)
		if (blk[i]) {
			*nonzero = true;
			break;
		}
	free(blk);
	return err;
}
