/* SPDX-License-Identifier: MIT */
/* The x86 SHA-256 kernels behind the shared C driver (sha256_kernel.h). */
#include "config.h"

#include "sha256_kernel.h"
#include "sha256_x86.h"

sha256_kernel_fn mbv_sha256_x32_avx512, mbv_sha256_x16_avx512, mbv_sha256_x8_avx2,
		 mbv_sha256_ni_x4, mbv_sha256_ni_x2, mbv_sha256_ni_x1;

void mbv_sha256_many_x32_avx512(const struct mbv_sha256_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_x32_avx512, 32, 1, st, data, len, out);
}

void mbv_sha256_many_x16_avx512(const struct mbv_sha256_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_x16_avx512, 16, 1, st, data, len, out);
}

void mbv_sha256_many_x8_avx2(const struct mbv_sha256_state *st,
			     const uint8_t *const data[], size_t len,
			     uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_x8_avx2, 8, 1, st, data, len, out);
}

void mbv_sha256_many_ni_x4(const struct mbv_sha256_state *st,
			   const uint8_t *const data[], size_t len,
			   uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_ni_x4, 4, 0, st, data, len, out);
}

void mbv_sha256_many_ni_x2(const struct mbv_sha256_state *st,
			   const uint8_t *const data[], size_t len,
			   uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_ni_x2, 2, 0, st, data, len, out);
}

void mbv_sha256_many_ni_x1(const struct mbv_sha256_state *st,
			   const uint8_t *const data[], size_t len,
			   uint8_t *out)
{
	sha256_kernel_finish(mbv_sha256_ni_x1, 1, 0, st, data, len, out);
}
