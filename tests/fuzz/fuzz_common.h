/* SPDX-License-Identifier: MIT */
/* Shared pieces of the fuzz targets: images in memory, an independent file reader, the oracle. */
#ifndef MBV_FUZZ_COMMON_H
#define MBV_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

/* The entry point every target defines (libFuzzer's name). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs smaller or larger than these are ignored by the image targets. */
#define FZ_MIN_IMAGE	2048
#define FZ_MAX_IMAGE	(1u << 20)
/* Files larger than this are not verified (hashing holes of a hostile
 * i_size would only make the fuzzer slow, not find more). */
#define FZ_MAX_VERIFY	(1u << 20)
/* Verity files looked at per image. */
#define FZ_MAX_FILES	32

/*
 * Put an image in a memfd (one per process and @slot, rewritten each time)
 * and return a path libext2fs can open ("/proc/self/fd/N"), or NULL.
 */
const char *fz_image_path(int slot, const uint8_t *data, size_t size);

/* An mbv_error_fn that only checks the message is a C string. */
void fz_msg(void *ctx, const char *msg);

/* The verity files of @fs, in inode order (at most FZ_MAX_FILES). */
struct fz_files {
	uint32_t ino[FZ_MAX_FILES];
	size_t n;
};
int fz_collect(struct struct_ext2_filsys *fs, struct fz_files *files);

/*
 * Read @len bytes at file byte @pos of inode @ino, past EOF too, through
 * ext2fs_bmap2 (not the library's extent code): holes and unwritten blocks
 * read as zeros.  Return 0 or -1.
 */
int fz_read(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *inode,
	    uint64_t pos, void *buf, size_t len);

/*
 * The oracle: abort() unless file @ino's data, tree, descriptor, size field,
 * paddings and EOF tail are exactly what enabling fs-verity with the
 * parameters in @info would have written.  Called when mbv_ext4_verify()
 * said the file is sound.  The signature's content is not judged (that
 * needs the certificate), only its size.
 */
void fz_check_exact(ext2_filsys fs, uint32_t ino,
		    const struct mbv_ext4_verity_info *info);

/* The certificate signed seeds verify with ($MBV_FUZZ_CERT), or NULL. */
const char *fz_cert_path(void);

#endif
