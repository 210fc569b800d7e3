/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: any image bytes through open, the verity walk, measure,
 * dump_metadata, verify and enable, also on detached files (read with pread
 * by their extents, as the threads of enable --all, mkfs and verify do).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

/* Read a whole metadata item in small pieces, as dump_metadata does (capped). */
static void read_item(ext2_filsys fs, uint32_t ino, int type)
{
	uint8_t buf[3000];	/* not a block multiple: odd offsets too */
	uint64_t off = 0;
	size_t done;

	while (off < (1u << 20)) {
		if (mbv_ext4_read_metadata(fs, ino, type, off, buf, sizeof(buf), &done,
					   fz_msg, NULL) || !done)
			break;
		off += done;
	}
}

static void report(void *ctx, const struct mbv_ext4_problem *p)
{
	volatile size_t n = strlen(p->message) + (p->field ? strlen(p->field) : 0);

	(void)ctx;
	(void)n;
}

/* A regular file small enough to hash quickly, or 0. */
static int small_regular(ext2_filsys fs, uint32_t ino, uint64_t max, uint32_t *flags)
{
	struct ext2_inode inode;

	if (ext2fs_read_inode(fs, ino, &inode) || !LINUX_S_ISREG(inode.i_mode) ||
	    EXT2_I_SIZE(&inode) > max)
		return 0;
	*flags = inode.i_flags;
	return 1;
}

/* verify, detached: the same checks with the blocks read straight from the image. */
static void verify_detached(ext2_filsys fs, uint32_t ino, int image_fd)
{
	struct mbv_ext4_verity_info info;
	struct mbv_ext4_detached *d;

	if (mbv_ext4_detach(fs, ino, image_fd, &d, fz_msg, NULL) == 0) {
		uint8_t buf[3000];
		size_t done;
		int type;

		mbv_ext4_detached_verify(d, NULL, report, NULL, &info, fz_msg, NULL);
		for (type = MBV_METADATA_MERKLE_TREE; type <= MBV_METADATA_SIGNATURE; type++)
			mbv_ext4_detached_read_metadata(d, type, 1000, buf, sizeof(buf), &done,
							fz_msg, NULL);
		mbv_ext4_detached_free(d);
	}
}

static void check_all(ext2_filsys fs, int image_fd)
{
	struct fz_files files;
	uint32_t ino, last, flags;
	size_t i;

	fz_collect(fs, &files);
	for (i = 0; i < files.n; i++) {
		struct mbv_ext4_verity_info info;

		ino = files.ino[i];
		mbv_ext4_measure(fs, ino, &info, fz_msg, NULL);
		read_item(fs, ino, MBV_METADATA_MERKLE_TREE);
		read_item(fs, ino, MBV_METADATA_DESCRIPTOR);
		read_item(fs, ino, MBV_METADATA_SIGNATURE);
		if (small_regular(fs, ino, FZ_MAX_VERIFY, &flags)) {
			mbv_ext4_verify(fs, ino, NULL, report, NULL, &info, fz_msg, NULL);
			verify_detached(fs, ino, image_fd);
		}
	}
	/* Every kind of inode through the checks that refuse them. */
	last = fs->super->s_inodes_count < 24 ? fs->super->s_inodes_count : 24;
	for (ino = 1; ino <= last; ino++) {
		struct mbv_ext4_verity_info info;

		mbv_ext4_measure(fs, ino, &info, fz_msg, NULL);
	}
}

static void lookups(ext2_filsys fs)
{
	static const char *const paths[] = {
		"/", "/f1", "/d/f", "/lost+found", "/none", "/f1/x", "/d/../f1",
	};
	uint32_t ino;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		mbv_ext4_lookup(fs, paths[i], &ino, fz_msg, NULL);
}

/*
 * The first 120 of 300 bytes of a signature in `fsverity sign`'s form
 * (SHA-256, one RSA signer), its value made up: enable stores it (the
 * kernel's parser would take it), so signed layouts are still tried.
 */
static const uint8_t fake_sig_head[120] = {
	0x30, 0x82, 0x01, 0x28, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x07, 0x02, 0xa0, 0x82, 0x01, 0x19, 0x30, 0x82, 0x01, 0x15, 0x02,
	0x01, 0x01, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x2a,
	0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0x31, 0x81, 0xf1, 0x30,
	0x81, 0xee, 0x02, 0x01, 0x01, 0x30, 0x14, 0x30, 0x0f, 0x31, 0x0d, 0x30,
	0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 0x74, 0x65, 0x73, 0x74,
	0x02, 0x01, 0x01, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x81, 0xb4,
};

/* Enable on the first plain small files, with parameters taken from the input. */
static void enable_some(const char *path, const uint8_t *data, size_t size, int image_fd)
{
	struct mbv_ext4_enable_params p;
	uint8_t sig[300];
	bool ahead = data[size - 4] & 1;	/* hashed ahead, detached, as mkfs does */
	ext2_filsys fs;
	uint32_t ino, last, flags;
	int tries = 0;

	if (mbv_ext4_open(path, 1, &fs, fz_msg, NULL))
		return;
	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.hash_algorithm = (data[size - 1] & 1) ? MBV_HASH_ALG_SHA512 : MBV_HASH_ALG_SHA256;
	p.spec.block_size = 1024;
	p.spec.salt_size = data[size - 2] % 33;
	p.spec.salt = data;
	p.sig_size = data[size - 3] & 1 ? 300 : 0;
	p.signature = data + 64;	/* hostile bytes: refused before any write */
	if (data[size - 3] & 2) {
		memcpy(sig, fake_sig_head, sizeof(fake_sig_head));
		memset(sig + sizeof(fake_sig_head), 0x5a, sizeof(sig) - sizeof(fake_sig_head));
		if (p.spec.hash_algorithm == MBV_HASH_ALG_SHA512)
			sig[40] = sig[99] = 0x03;	/* both digest OIDs: sha512 */
		p.signature = sig;
	}
	p.flags = MBV_EXT4_ENABLE_SET_FEATURE;
	last = fs->super->s_inodes_count < 24 ? fs->super->s_inodes_count : 24;
	for (ino = EXT2_FIRST_INO(fs->super); ino <= last && tries < 2; ino++) {
		struct mbv_tree_result res;
		struct mbv_ext4_verity_info info;
		struct mbv_ext4_detached *d = NULL;

		if (!small_regular(fs, ino, 256 * 1024, &flags) || (flags & 0x00100000))
			continue;
		tries++;
		p.prehashed = NULL;
		if (ahead && mbv_ext4_detach(fs, ino, image_fd, &d, fz_msg, NULL) == 0 &&
		    mbv_ext4_detached_hash(d, &p, &res, NULL, NULL) == 0)
			p.prehashed = d;
		if (mbv_ext4_enable(fs, ino, &p, &res, fz_msg, NULL) == 0)
			mbv_ext4_verify(fs, ino, NULL, report, NULL, &info, fz_msg, NULL);
		mbv_ext4_detached_free(d);
		d = NULL;
	}
	mbv_ext4_close(fs, fz_msg, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	ext2_filsys fs;
	int image_fd;

	if (size < FZ_MIN_IMAGE || size > FZ_MAX_IMAGE)
		return 0;
	path = fz_image_path(0, data, size);
	image_fd = open(path, O_RDONLY);
	if (mbv_ext4_open(path, 0, &fs, fz_msg, NULL) == 0) {
		check_all(fs, image_fd);
		lookups(fs);
		mbv_ext4_close(fs, fz_msg, NULL);
	}
	enable_some(path, data, size, image_fd);
	/* What enable left must read back without harm too. */
	if (mbv_ext4_open(path, 0, &fs, fz_msg, NULL) == 0) {
		check_all(fs, image_fd);
		mbv_ext4_close(fs, fz_msg, NULL);
	}
	if (image_fd >= 0)
		close(image_fd);
	return 0;
}
