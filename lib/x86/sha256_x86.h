/* SPDX-License-Identifier: MIT */
/* The x86 SHA-256 implementations (nasm kernels behind a common C driver). */
#ifndef MBV_SHA256_X86_H
#define MBV_SHA256_X86_H

#include "hash.h"

/* Each has the mbv_sha256_many_fn shape; the lane count is in the name. */
mbv_sha256_many_fn mbv_sha256_many_x32_avx512;
mbv_sha256_many_fn mbv_sha256_many_x16_avx512;
mbv_sha256_many_fn mbv_sha256_many_x8_avx2;
mbv_sha256_many_fn mbv_sha256_many_ni_x4;
mbv_sha256_many_fn mbv_sha256_many_ni_x2;
mbv_sha256_many_fn mbv_sha256_many_ni_x1;

#endif
