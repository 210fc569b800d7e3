/* SPDX-License-Identifier: MIT */
/* Checking a verity file's data and tree (lib/ext4/verify.c). */
#ifndef MBV_EXT4_VERIFY_H
#define MBV_EXT4_VERIFY_H

#include "file.h"

/* mbv_ext4_verify() on an opened file. */
int mbv_e4_verify_file(struct ext4_file *f, struct mbv_pool *pool,
		       mbv_ext4_report_fn report_fn, void *report_ctx,
		       struct mbv_ext4_verity_info *info);

#endif
