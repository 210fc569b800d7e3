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

static const uint64_t K[80] __attribute__((aligned(16))) = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

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
			uint64x2_t k = vld1q_u64(K + 2 * i);

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
