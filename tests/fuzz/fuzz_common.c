/* SPDX-License-Identifier: MIT */
/* Shared pieces of the fuzz targets: images in memory, an independent file reader, the oracle. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

static int memfds[4] = { -1, -1, -1, -1 };

const char *fz_image_path(int slot, const uint8_t *data, size_t size)
{
	static char paths[4][64];
	int fd;

	if (slot < 0 || slot >= 4)
		abort();
	if (memfds[slot] < 0) {
		memfds[slot] = memfd_create("mbv-fuzz-image", MFD_CLOEXEC);
		if (memfds[slot] < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d", memfds[slot]);
	}
	fd = memfds[slot];
	/* Shrink to nothing first: no byte of the last input may survive. */
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("memfd write");
		abort();
	}
	return paths[slot];
}

void fz_msg(void *ctx, const char *msg)
{
	volatile size_t n = strlen(msg);

	(void)ctx;
	(void)n;
	if (getenv("MBV_FUZZ_VERBOSE"))
		fprintf(stderr, "msg: %s\n", msg);
}

static int collect_one(void *ctx, uint32_t ino, const char *path)
{
	struct fz_files *files = ctx;
	volatile size_t n = strlen(path);

	(void)n;
	if (files->n < FZ_MAX_FILES)
		files->ino[files->n++] = ino;
	return 0;
}

int fz_collect(struct struct_ext2_filsys *fs, struct fz_files *files)
{
	files->n = 0;
	return mbv_ext4_for_each_verity_file(fs, collect_one, files, fz_msg, NULL);
}

int fz_read(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode,
	    uint64_t pos, void *buf, size_t len)
{
	uint32_t bs = fs->blocksize;
	uint8_t *out = buf, *blk = malloc(bs);
	int ret = 0;

	if (!blk)
		return -1;
	while (len) {
		uint64_t lblk = pos / bs;
		size_t off = (size_t)(pos % bs), k = bs - off < len ? bs - off : len;
		blk64_t pblk = 0;
		int flags = 0;

		if (lblk > 0xffffffffULL ||
		    ext2fs_bmap2(fs, ino, (struct ext2_inode *)inode, NULL, 0, lblk,
				 &flags, &pblk)) {
			ret = -1;
			break;
		}
		if (!pblk || (flags & BMAP_RET_UNINIT))
			memset(blk, 0, bs);
		else if (io_channel_read_blk64(fs->io, pblk, 1, blk)) {
			ret = -1;
			break;
		}
		memcpy(out, blk + off, k);
		out += k;
		pos += k;
		len -= k;
	}
	free(blk);
	return ret;
}

const char *fz_cert_path(void)
{
	return getenv("MBV_FUZZ_CERT");
}

/* --- the oracle ----------------------------------------------------------- */

struct exact {
	ext2_filsys fs;
	uint32_t ino;
	struct ext2_inode_large inode;
	uint64_t size, pos, meta_pos;
	uint8_t *stored;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
missed(const struct exact *x, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "MISSED CORRUPTION: inode %u passed mbv_ext4_verify but ", x->ino);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static int read_data(void *ctx, void *buf, size_t count)
{
	struct exact *x = ctx;

	if (fz_read(x->fs, x->ino, &x->inode, x->pos, buf, count))
		return -EIO;
	x->pos += count;
	return 0;
}

static int compare_tree_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct exact *x = ctx;

	if (fz_read(x->fs, x->ino, &x->inode, x->meta_pos + offset, x->stored, size))
		return -EIO;
	if (memcmp(block, x->stored, size))
		missed(x, "its tree block at offset %llu is not the one enable writes",
		       (unsigned long long)offset);
	return 0;
}

/* Every byte of [from, to) must read as zero. */
static void expect_zeros(struct exact *x, uint64_t from, uint64_t to, const char *what)
{
	uint8_t buf[4096];

	while (from < to) {
		size_t k = to - from < sizeof(buf) ? (size_t)(to - from) : sizeof(buf), i;

		if (fz_read(x->fs, x->ino, &x->inode, from, buf, k))
			missed(x, "%s cannot be read", what);
		for (i = 0; i < k; i++)
			if (buf[i])
				missed(x, "%s has a non-zero byte at file offset %llu", what,
				       (unsigned long long)(from + i));
		from += k;
	}
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

void fz_check_exact(ext2_filsys fs, uint32_t ino, const struct mbv_ext4_verity_info *info)
{
	struct exact x = { .fs = fs, .ino = ino };
	struct mbv_tree_params p;
	struct mbv_tree_result res;
	struct mbv_ext4_verity_info m;
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	uint32_t bs = fs->blocksize, desc_size, sig_size;
	uint64_t desc_pos, size_pos, end;
	uint8_t le[4], *desc;

	if (ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&x.inode, sizeof(x.inode)))
		missed(&x, "its inode cannot be read");
	x.size = EXT2_I_SIZE(&x.inode);
	x.meta_pos = round_up(x.size, 65536);
	if (info->data_size != x.size)
		missed(&x, "data_size %llu is not i_size %llu",
		       (unsigned long long)info->data_size, (unsigned long long)x.size);
	if (mbv_ext4_measure(fs, ino, &m, fz_msg, NULL) || memcmp(m.digest, info->digest, 64))
		missed(&x, "measure disagrees");

	/* The tree enable would write, block by block. */
	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.hash_algorithm = info->hash_algorithm;
	p.spec.block_size = info->block_size;
	p.spec.salt_size = info->salt_size;
	p.spec.salt = info->salt;
	p.file_size = x.size;
	p.tree_block = compare_tree_block;
	p.ctx = &x;
	x.stored = malloc(info->block_size);
	if (!x.stored || mbv_compute_tree(&p, read_data, &x, &res, NULL, NULL))
		missed(&x, "its tree cannot be rebuilt");
	free(x.stored);
	if (res.tree_size != info->tree_size || memcmp(res.digest, info->digest, res.digest_size) ||
	    memcmp(res.descriptor, info->descriptor, MBV_DESCRIPTOR_SIZE))
		missed(&x, "its descriptor is not the one enable writes");

	/* The layout: descriptor, signature, size field from the end of the last extent. */
	if (ext2fs_extent_open2(fs, ino, (struct ext2_inode *)&x.inode, &h))
		missed(&x, "its extent tree cannot be opened");
	if (ext2fs_extent_get(h, EXT2_EXTENT_LAST_LEAF, &e))
		missed(&x, "it has no last extent");
	ext2fs_extent_free(h);
	end = (e.e_lblk + (uint64_t)e.e_len) * bs;
	size_pos = end - 4;
	if (fz_read(fs, ino, &x.inode, size_pos, le, 4))
		missed(&x, "its size field cannot be read");
	desc_size = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
		    (uint32_t)le[3] << 24;
	desc_pos = round_up(x.meta_pos + res.tree_size, bs);
	if (desc_size < MBV_DESCRIPTOR_SIZE || desc_size > 16384 ||
	    round_up(desc_pos + desc_size + 4, bs) - 4 != size_pos)
		missed(&x, "the size field says %u", desc_size);
	desc = malloc(desc_size);
	if (!desc || fz_read(fs, ino, &x.inode, desc_pos, desc, desc_size))
		missed(&x, "its descriptor cannot be read");
	sig_size = (uint32_t)desc[4] | (uint32_t)desc[5] << 8 | (uint32_t)desc[6] << 16 |
		   (uint32_t)desc[7] << 24;
	if (sig_size != desc_size - MBV_DESCRIPTOR_SIZE || sig_size != info->sig_size)
		missed(&x, "sig_size %u does not fit the size field %u", sig_size, desc_size);
	memset(desc + 4, 0, 4);
	if (memcmp(desc, res.descriptor, MBV_DESCRIPTOR_SIZE))
		missed(&x, "the stored descriptor differs");
	free(desc);
	expect_zeros(&x, x.meta_pos + res.tree_size, desc_pos, "the padding after the tree");
	expect_zeros(&x, desc_pos + desc_size, size_pos, "the padding after the descriptor");
	expect_zeros(&x, x.size, round_up(x.size, bs), "the last data block after EOF");
}
