/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the tree verifier against trees, descriptors, size fields and
 * EOF tails mutated in place inside a valid image.  A custom mutator aims
 * libFuzzer's mutations at the verity files' metadata blocks (and now and
 * then their data); the target runs mbv_ext4_verify() and, whenever it
 * passes a file, checks that every byte is what enable would have written.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static void report(void *ctx, const struct mbv_ext4_problem *p)
{
	volatile size_t n = strlen(p->message);

	(void)ctx;
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_files files;
	ext2_filsys fs;
	size_t i;

	if (size < FZ_MIN_IMAGE || size > FZ_MAX_IMAGE)
		return 0;
	if (mbv_ext4_open(fz_image_path(0, data, size), 0, &fs, fz_msg, NULL))
		return 0;
	fz_collect(fs, &files);
	for (i = 0; i < files.n; i++) {
		struct mbv_ext4_verity_info info;
		struct ext2_inode inode;

		if (ext2fs_read_inode(fs, files.ino[i], &inode) ||
		    EXT2_I_SIZE(&inode) > FZ_MAX_VERIFY)
			continue;
		if (mbv_ext4_verify(fs, files.ino[i], NULL, report, NULL, &info, fz_msg, NULL) == 0)
			fz_check_exact(fs, files.ino[i], &info);
	}
	mbv_ext4_close(fs, fz_msg, NULL);
	return 0;
}

#ifndef MBV_FUZZ_REPLAY
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

#define MAX_RANGES 512

/* Where in the image a verity file's blocks sit (one entry per block). */
/* Blocks of a file looked at for targets, at most (a 16 MiB file of 4 KiB blocks). */
#define MAX_SPAN_BLOCKS 4096

struct block_list {
	uint64_t off[MAX_RANGES];
	size_t n;
	uint32_t bs;
};

static void add_blocks(ext2_filsys fs, uint32_t ino, struct ext2_inode_large *inode,
		       uint64_t from, uint64_t to, struct block_list *l)
{
	uint64_t lblk;

	/* A hostile extent may end 2^32 blocks away, over holes: look at a bounded span. */
	if (to > from + MAX_SPAN_BLOCKS)
		to = from + MAX_SPAN_BLOCKS;
	for (lblk = from; lblk < to && l->n < MAX_RANGES; lblk++) {
		blk64_t pblk = 0;
		int flags = 0;

		if (ext2fs_bmap2(fs, ino, (struct ext2_inode *)inode, NULL, 0, lblk, &flags,
				 &pblk) == 0 && pblk && (uint64_t)pblk < ext2fs_blocks_count(fs->super))
			l->off[l->n++] = (uint64_t)pblk * fs->blocksize;
	}
}

/* The blocks to aim at: metadata always, data when @data_too. */
static void find_blocks(const uint8_t *data, size_t size, int data_too, struct block_list *l)
{
	struct fz_files files;
	ext2_filsys fs;
	size_t i;

	l->n = 0;
	if (mbv_ext4_open(fz_image_path(1, data, size), 0, &fs, NULL, NULL))
		return;
	l->bs = fs->blocksize;
	fz_collect(fs, &files);
	for (i = 0; i < files.n; i++) {
		struct ext2_inode_large inode;
		ext2_extent_handle_t h;
		struct ext2fs_extent e;
		uint64_t isize, end;

		if (ext2fs_read_inode_full(fs, files.ino[i], (struct ext2_inode *)&inode,
					   sizeof(inode)) ||
		    ext2fs_extent_open2(fs, files.ino[i], (struct ext2_inode *)&inode, &h))
			continue;
		if (ext2fs_extent_get(h, EXT2_EXTENT_LAST_LEAF, &e)) {
			ext2fs_extent_free(h);
			continue;
		}
		ext2fs_extent_free(h);
		isize = EXT2_I_SIZE(&inode);
		end = e.e_lblk + (uint64_t)e.e_len;
		if (isize > FZ_MAX_VERIFY)
			continue;
		add_blocks(fs, files.ino[i], &inode, (isize + 65535) / 65536 * 65536 / l->bs,
			   end, l);
		if (data_too)
			add_blocks(fs, files.ino[i], &inode, 0, (isize + l->bs - 1) / l->bs, l);
	}
	mbv_ext4_close(fs, NULL, NULL);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	struct block_list *l = malloc(sizeof(*l));
	uint64_t r = seed * 0x9e3779b97f4a7c15ULL + 1;
	uint64_t off;
	size_t win, k, i, n;

#define NEXT() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
	(void)max_size;
	if (!l)
		return size;
	find_blocks(data, size, NEXT() % 8 == 0, l);
	if (!l->n || NEXT() % 32 == 0) {
		/* Now and then anything at all, same size. */
		free(l);
		return LLVMFuzzerMutate(data, size, size);
	}
	n = 1 + NEXT() % 3;
	for (i = 0; i < n; i++) {
		off = l->off[NEXT() % l->n];
		if (off + l->bs > size)
			continue;
		if (NEXT() % 2) {
			/* One byte flipped: the corruption a sweep would make. */
			off += NEXT() % l->bs;
			data[off] ^= (uint8_t)(1 + NEXT() % 255);
			continue;
		}
		win = 1 + NEXT() % 64;
		off += NEXT() % (l->bs - win + 1);
		k = LLVMFuzzerMutate(data + off, win, win);
		(void)k;	/* a shorter result keeps the old tail */
	}
	free(l);
#undef NEXT
	return size;
}
#endif
