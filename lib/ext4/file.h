/* SPDX-License-Identifier: MIT */
/*
 * The ext4 layer's base (lib/ext4/file.c): kernel facts, one-line errors,
 * and a file inside the image: its extent map and the one reader of its
 * blocks, through libext2fs or pread() on a detached file.
 */
#ifndef MBV_EXT4_FILE_H
#define MBV_EXT4_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "mbverity/ext4.h"
#include "report.h"

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

/* mbv_report() to the file's callback; also remembers that a message went out. */
int mbv_e4_fail(struct ext4_file *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A libext2fs error code as a negative errno. */
int mbv_e4_errno(errcode_t e);
/* Its message, without registering com_err tables (no global state). */
const char *mbv_e4_strerror(errcode_t e);

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

#endif
