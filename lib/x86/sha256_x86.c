/* SPDX-License-Identifier: MIT */
/* The x86 SHA-256 kernels behind the shared C driver (sha256_kernel.h). */
#include "config.h"

#include "sha256_kernel.h"
#include "sha256_x86.h"

sha256_kernel_fn mbv_sha256_x32_avx512, mbv_sha256_x16_avx512, mbv_sha256_x8_avx2,
		 mbv_sha256_ni_x4, mbv_sha256_ni_x2, mbv_sha256_ni_x1;

/* Each kernel's mbv_sha256_many_NAME(), with its lane count and state layout as constants. */
#define SHA256_MANY(name, lanes, transposed)						\
void mbv_sha256_many_##name(const struct mbv_sha256_state *st,				\
			    const uint8_t *const data[], size_t len, uint8_t *out)	\
{											\
	sha256_kernel_finish(mbv_sha256_##name, lanes, transposed, st, data, len, out);	\
}

SHA256_MANY(x32_avx512, 32, 1)
SHA256_MANY(x16_avx512, 16, 1)
SHA256_MANY(x8_avx2, 8, 1)
SHA256_MANY(ni_x4, 4, 0)
SHA256_MANY(ni_x2, 2, 0)
SHA256_MANY(ni_x1, 1, 0)
