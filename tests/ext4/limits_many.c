/* SPDX-License-Identifier: MIT */
/*
 * Fixture for tests/ext4/limits.sh: enable fs-verity on every plain regular file
 * of an image (100,000 of them) through the library, fast.  Usage:
 * limits_many IMAGE.  Prints how many files it enabled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

/*
 * enable flushes the image a few times per file, each an fsync: 400,000 of
 * them would take minutes.  A fixture need not survive a power cut, so this
 * program's fsync (which libext2fs calls) does nothing.
 */
int fsync(int fd)
{
	(void)fd;
	return 0;
}

int main(int argc, char **argv)
{
	struct mbv_ext4_enable_params p;
	struct struct_ext2_filsys *fs;
	ext2_inode_scan scan;
	struct ext2_inode inode;
	ext2_ino_t ino, *inos = NULL;
	size_t n = 0, cap = 0, i;
	int status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
		return 2;
	}
	if (mbv_ext4_open(argv[1], 1, &fs, NULL, NULL) || ext2fs_open_inode_scan(fs, 0, &scan))
		return 1;
	while (!ext2fs_get_next_inode(scan, &ino, &inode) && ino) {
		if (ino < EXT2_FIRST_INO(fs->super) || !inode.i_links_count ||
		    !LINUX_S_ISREG(inode.i_mode) || (inode.i_flags & 0x00100000))
			continue;
		if (n == cap) {
			ext2_ino_t *more;

			cap = cap ? 2 * cap : 1024;
			more = realloc(inos, cap * sizeof(*inos));
			if (!more)
				return 1;
			inos = more;
		}
		inos[n++] = ino;
	}
	ext2fs_close_inode_scan(scan);
	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.block_size = 1024;
	for (i = 0; i < n && !status; i++)
		if (mbv_ext4_enable(fs, inos[i], &p, NULL, NULL, NULL)) {
			fprintf(stderr, "FAIL: enable of inode %u\n", inos[i]);
			status = 1;
		}
	if (mbv_ext4_close(fs, NULL, NULL))
		status = 1;
	free(inos);
	if (!status)
		printf("%zu\n", n);
	return status;
}
