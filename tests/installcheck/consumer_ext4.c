/* SPDX-License-Identifier: MIT */
/*
 * An installed-tree consumer of the ext4 API, opening the image with
 * libext2fs itself as mkfs tooling does: consumer_ext4 IMAGE PATH enables
 * fs-verity on PATH inside IMAGE, then prints its stored digest
 * (`fsverity digest`'s format, with PATH).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/types.h>	/* ext2fs.h uses dev_t and mode_t without it */
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>
#include <mbverity/ext4.h>

static void print_error(void *ctx, const char *msg)
{
	fprintf(stderr, "consumer_ext4: %s: %s\n", (const char *)ctx, msg);
}

int main(int argc, char **argv)
{
	struct mbv_ext4_enable_params params = { .version = 1 };
	struct mbv_ext4_verity_info info;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t e;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: consumer_ext4 IMAGE PATH\n");
		return 2;
	}
	e = ext2fs_open(argv[1], EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
	if (e) {
		fprintf(stderr, "consumer_ext4: %s: %s\n", argv[1], error_message(e));
		return 1;
	}
	e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, argv[2], &ino);
	if (e) {
		fprintf(stderr, "consumer_ext4: %s: %s\n", argv[2], error_message(e));
		return 1;
	}
	err = mbv_ext4_enable(fs, ino, &params, NULL, print_error, argv[2]);
	e = ext2fs_close_free(&fs);
	if (err || e) {
		fprintf(stderr, "consumer_ext4: enable %s: %s\n", argv[2],
			err ? strerror(-err) : error_message(e));
		return 1;
	}
	/* Read back through the library's own helpers. */
	if (mbv_ext4_open(argv[1], 0, &fs, print_error, argv[1]) ||
	    mbv_ext4_lookup(fs, argv[2], &ino, print_error, argv[2]) ||
	    mbv_ext4_measure(fs, ino, &info, print_error, argv[2]) ||
	    mbv_ext4_close(fs, print_error, argv[1]))
		return 1;
	printf("%s:", mbv_hash_alg_name(info.hash_algorithm));
	for (unsigned int i = 0; i < info.digest_size; i++)
		printf("%02x", info.digest[i]);
	printf(" %s\n", argv[2]);
	return 0;
}
