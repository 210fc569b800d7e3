/* SPDX-License-Identifier: MIT */
/*
 * mbverity.h - build, sign and verify fs-verity Merkle trees, and put
 * fs-verity on files inside ext4 images offline: every part of the API.
 *
 * Each part has its own header, which a program may include alone:
 *   <mbverity/base.h>  the version (MBV_VERSION_*), algorithms, sizes and
 *                      the error callback every part shares
 *   <mbverity/tree.h>  Merkle trees, digests, the thread pool (no other
 *                      library's headers needed)
 *   <mbverity/sign.h>  built-in signatures (links OpenSSL, needs no header of it)
 *   <mbverity/ext4.h>  files inside ext4 images (includes <ext2fs/ext2fs.h>)
 */
#ifndef MBVERITY_H
#define MBVERITY_H

#include "mbverity/base.h"
#include "mbverity/tree.h"
#include "mbverity/sign.h"
#include "mbverity/ext4.h"

#endif
