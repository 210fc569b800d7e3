/* SPDX-License-Identifier: MIT */
/*
 * SHA-512 with the ARMv8.2 SHA512 instructions (SHA512H/H2/SU0/SU1 through
 * <arm_neon.h>), one message or two interleaved, and the C driver that pads
 * and feeds them.
 */
#include "config.h"

#include <arm_neon.h>
#include <string.h>

#include "arm64.h"
#include "arm64_target.h"
#include "endian_util.h"
#include "hash.h"

/*
 * Two rounds, t and t + 1, of one message whose state is s[0..3] = {a, b},
 * {c, d}, {e, f}, {g, h} (element 0 first) and whose W + K for the two
 * rounds are @kw (round t in element 0).  SHA512H takes {g + KW[t+1],
 * h + KW[t]} (its high half is the earlier round), {f, g} and {d, e}, and
 * gives both rounds' T1 without d; the new {e, f} are {c, d} plus those, and
 * SHA512H2 adds Sigma0 and Maj to make the new {a, b}.  The state then moves
 * down one pair: old {a, b} is the new {c, d}, old {e, f} the new {g, h}.
 */
static inline __attribute__((always_inline)) MBV_TARGET_SHA512 void
double_round(uint64x2_t s[4], uint64x2_t kw)
{
	uint64x2_t fg = vextq_u64(s[2], s[3], 1);
	uint64x2_t de = vextq_u64(s[1], s[2], 1);
	uint64x2_t t1 = vsha512hq_u64(vaddq_u64(s[3], vextq_u64(kw, kw, 1)), fg, de);
	uint64x2_t ef = vaddq_u64(s[1], t1);
	uint64x2_t ab = vsha512h2q_u64(t1, s[1], s[0]);

	s[3] = s[2];
	s[2] = ef;
	s[1] = s[0];
	s[0] = ab;
}

/*
 * @nblocks 128-byte blocks of every lane; lane i's state is st[8 * i].  The
 * schedule: M[k] = {W[2k], W[2k+1]}, and M[k+8] = SU1(SU0(M[k], M[k+1]),
 * M[k+7], {W[2k+9], W[2k+10]}), kept in a ring of eight.  Inlined with a
 * constant @lanes so that everything lives in registers.
 */
static inline __attribute__((always_inline)) MBV_TARGET_SHA512 void
blocks(unsigned int lanes, uint64_t *st, const uint8_t *const data[], size_t nblocks)
{
	uint64x2_t s[2][4], m[2][8];
	size_t off = 0;
	unsigned int l, i;

	/*
	 * @st keeps the state at the start of the block, added back at its end:
	 * two lanes' state, saved state and schedule would otherwise take all
	 * 32 vector registers.
	 */
	for (; nblocks; nblocks--, off += MBV_SHA512_BLOCK_SIZE) {
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++) {
#pragma GCC unroll 4
			for (i = 0; i < 4; i++)
				s[l][i] = vld1q_u64(st + 8 * l + 2 * i);
#pragma GCC unroll 8
			for (i = 0; i < 8; i++)
				m[l][i] = vreinterpretq_u64_u8(vrev64q_u8(
					vld1q_u8(data[l] + off + 16 * i)));
		}
#pragma GCC unroll 40
		for (i = 0; i < 40; i++) {
			uint64x2_t k = vld1q_u64(mbv_sha512_k + 2 * i);

#pragma GCC unroll 2
			for (l = 0; l < lanes; l++) {
				uint64x2_t kw = vaddq_u64(m[l][i % 8], k);

				if (i < 32)
					m[l][i % 8] = vsha512su1q_u64(
						vsha512su0q_u64(m[l][i % 8], m[l][(i + 1) % 8]),
						m[l][(i + 7) % 8],
						vextq_u64(m[l][(i + 4) % 8], m[l][(i + 5) % 8], 1));
				double_round(s[l], kw);
			}
		}
#pragma GCC unroll 2
		for (l = 0; l < lanes; l++)
#pragma GCC unroll 4
			for (i = 0; i < 4; i++)
				vst1q_u64(st + 8 * l + 2 * i,
					  vaddq_u64(s[l][i], vld1q_u64(st + 8 * l + 2 * i)));
	}
}

static MBV_TARGET_SHA512 void kernel_x1(uint64_t *st, const uint8_t *const data[],
					size_t nblocks)
{
	blocks(1, st, data, nblocks);
}

static MBV_TARGET_SHA512 void kernel_x2(uint64_t *st, const uint8_t *const data[],
					size_t nblocks)
{
	blocks(2, st, data, nblocks);
}

/*
 * Finish @lanes messages of @len bytes from @st: whole blocks straight from
 * the messages, then each lane's padded tail (one or two blocks; the 128-bit
 * length's high half is zero, messages here stay below 2^64 bits).
 */
static inline __attribute__((always_inline)) void
finish(void (*kern)(uint64_t *, const uint8_t *const[], size_t), unsigned int lanes,
       const struct mbv_sha512_state *st, const uint8_t *const data[], size_t len,
       uint8_t *out)
{
	uint64_t s[2 * 8] __attribute__((aligned(16)));
	uint8_t tb[2][2 * MBV_SHA512_BLOCK_SIZE];
	const uint8_t *tp[2];
	size_t nfull = len / MBV_SHA512_BLOCK_SIZE;
	size_t tail = len % MBV_SHA512_BLOCK_SIZE;
	size_t n = tail < 112 ? MBV_SHA512_BLOCK_SIZE : 2 * MBV_SHA512_BLOCK_SIZE;
	uint64_t total = st->count + len;	/* st->count is a multiple of 128 */
	unsigned int i, j;

	for (i = 0; i < lanes; i++)
		memcpy(s + 8 * i, st->h, sizeof(st->h));
	if (nfull)
		kern(s, data, nfull);
	for (i = 0; i < lanes; i++) {
		memcpy(tb[i], data[i] + nfull * MBV_SHA512_BLOCK_SIZE, tail);
		tb[i][tail] = 0x80;
		memset(tb[i] + tail + 1, 0, n - 8 - tail - 1);
		put_be64(tb[i] + n - 8, total * 8);
		tp[i] = tb[i];
	}
	kern(s, tp, n / MBV_SHA512_BLOCK_SIZE);
	for (i = 0; i < lanes; i++)
		for (j = 0; j < 8; j++)
			put_be64(out + MBV_SHA512_DIGEST_SIZE * i + 8 * j, s[8 * i + j]);
}

void mbv_sha512_many_ce_x1(const struct mbv_sha512_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out)
{
	finish(kernel_x1, 1, st, data, len, out);
}

void mbv_sha512_many_ce_x2(const struct mbv_sha512_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out)
{
	finish(kernel_x2, 2, st, data, len, out);
}
