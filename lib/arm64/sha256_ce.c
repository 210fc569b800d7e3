/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 with the ARMv8 crypto extension (SHA256H/H2/SU0/SU1 through
 * <arm_neon.h>), one message or two interleaved, behind the shared driver
 * (sha256_kernel.h).  Two independent messages fill the pipeline that one
 * message's dependent rounds leave idle.
 */
#include "config.h"

#include <arm_neon.h>

#include "arm64.h"
#include "arm64_target.h"
#include "sha256_kernel.h"

/* Four rounds of every lane with W + K = wk[lane]. */
#define QROUNDS(lanes, abcd, efgh, wk)						\
	do {									\
		_Pragma("GCC unroll 2")						\
		for (unsigned int l_ = 0; l_ < (lanes); l_++) {			\
			uint32x4_t a_ = (abcd)[l_];				\
										\
			(abcd)[l_] = vsha256hq_u32(a_, (efgh)[l_], (wk)[l_]);	\
			(efgh)[l_] = vsha256h2q_u32((efgh)[l_], a_, (wk)[l_]);	\
		}								\
	} while (0)

/*
 * @nblocks blocks of every lane, then the shared block whose W + K are @wk
 * (if not NULL).  The state is in the driver's layout: lane i's words at
 * st[8 * i].  Inlined with a constant @lanes so that the arrays live in
 * registers (2 lanes: 2 x (4 message + 2 state + 2 saved) of 32).
 */
static inline __attribute__((always_inline)) MBV_TARGET_SHA2 void
blocks(unsigned int lanes, uint32_t *st, const uint8_t *const data[], size_t nblocks,
       const uint32_t *wk)
{
	uint32x4_t abcd[2], efgh[2], abcd0[2], efgh0[2], m[2][4], t[2];
	size_t off = 0;
	unsigned int l, i;

#pragma GCC unroll 2
	for (l = 0; l < lanes; l++) {
		abcd[l] = vld1q_u32(st + 8 * l);
		efgh[l] = vld1q_u32(st + 8 * l + 4);
	}
	for (; nblocks; nblocks--, off += MBV_SHA256_BLOCK_SIZE) {
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++) {
			abcd0[l] = abcd[l];
			efgh0[l] = efgh[l];
#pragma GCC unroll 4
			for (i = 0; i < 4; i++)
				m[l][i] = vreinterpretq_u32_u8(vrev32q_u8(
					vld1q_u8(data[l] + off + 16 * i)));
		}
		/* Rounds 0-47 extend the schedule four words at a time; 48-63 use it. */
#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			uint32x4_t k = vld1q_u32(mbv_sha256_k + 4 * i);

#pragma GCC unroll 2
			for (l = 0; l < lanes; l++)
				t[l] = vaddq_u32(m[l][i % 4], k);
			if (i < 12) {
#pragma GCC unroll 2
				for (l = 0; l < lanes; l++)
					m[l][i % 4] = vsha256su1q_u32(
						vsha256su0q_u32(m[l][i % 4], m[l][(i + 1) % 4]),
						m[l][(i + 2) % 4], m[l][(i + 3) % 4]);
			}
			QROUNDS(lanes, abcd, efgh, t);
		}
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++) {
			abcd[l] = vaddq_u32(abcd[l], abcd0[l]);
			efgh[l] = vaddq_u32(efgh[l], efgh0[l]);
		}
	}
	if (wk) {
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++) {
			abcd0[l] = abcd[l];
			efgh0[l] = efgh[l];
		}
#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			uint32x4_t w = vld1q_u32(wk + 4 * i);

#pragma GCC unroll 2
			for (l = 0; l < lanes; l++)
				t[l] = w;
			QROUNDS(lanes, abcd, efgh, t);
		}
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++) {
			abcd[l] = vaddq_u32(abcd[l], abcd0[l]);
			efgh[l] = vaddq_u32(efgh[l], efgh0[l]);
		}
	}
#pragma GCC unroll 2
	for (l = 0; l < lanes; l++) {
		vst1q_u32(st + 8 * l, abcd[l]);
		vst1q_u32(st + 8 * l + 4, efgh[l]);
	}
}

static MBV_TARGET_SHA2 void kernel_x1(uint32_t *st, const uint8_t *const data[],
				      size_t nblocks, const uint32_t *wk)
{
	blocks(1, st, data, nblocks, wk);
}

static MBV_TARGET_SHA2 void kernel_x2(uint32_t *st, const uint8_t *const data[],
				      size_t nblocks, const uint32_t *wk)
{
	blocks(2, st, data, nblocks, wk);
}

/* The driver itself runs plain ARMv8.0 code; only the kernels need SHA2. */
void mbv_sha256_many_ce_x1(const struct mbv_sha256_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out)
{
	sha256_kernel_finish(kernel_x1, 1, 0, st, data, len, out);
}

void mbv_sha256_many_ce_x2(const struct mbv_sha256_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out)
{
	sha256_kernel_finish(kernel_x2, 2, 0, st, data, len, out);
}
