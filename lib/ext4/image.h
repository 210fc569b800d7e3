/* SPDX-License-Identifier: MIT */
/* The filesystem's state, checked before any write (lib/ext4/image.c). */
#ifndef MBV_EXT4_IMAGE_H
#define MBV_EXT4_IMAGE_H

#include "file.h"

/*
 * Is the filesystem in a state we may write?  Errors recorded, not cleanly
 * unmounted, or orphans to process: -EFSCORRUPTED and why, naming e2fsck.
 * Superblock fields only (mbv_ext4_open() also reads the orphan file).
 */
int mbv_e4_check_fs_state(ext2_filsys fs, char *why, size_t size);

#endif
