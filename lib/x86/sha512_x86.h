/* SPDX-License-Identifier: MIT */
/* The x86 SHA-512 implementations (nasm kernels behind a common C driver). */
#ifndef MBV_SHA512_X86_H
#define MBV_SHA512_X86_H

#include "hash.h"

/* Each has the mbv_sha512_many_fn shape; the lane count is in the name. */
mbv_sha512_many_fn mbv_sha512_many_x8_avx512;
mbv_sha512_many_fn mbv_sha512_many_x4_avx2;

#endif
