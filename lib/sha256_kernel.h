/* SPDX-License-Identifier: MIT */
/*
 * The one C driver every multi-lane SHA-256 kernel shares (the x86 nasm ones
 * and the ARM64 intrinsics): it broadcasts the shared state, builds the
 * padding, and hands whole blocks to the kernel.  Included by the files that
 * wrap kernels; each wrapper inlines it with constant lanes and layout.
 */
#ifndef MBV_SHA256_KERNEL_H
#define MBV_SHA256_KERNEL_H

#include <string.h>

#include "endian_util.h"
#include "hash.h"

/*
 * The kernel ABI (for the assembly: asm/sha256_common.inc): run @nblocks
 * blocks of every lane from data[lane], then if @wk is not NULL one more
 * block, the same for every lane, whose W[t] + K[t] are wk[t]; update @st in
 * place.  The kernels read exactly 64 * nblocks bytes per lane and need no
 * alignment.
 */
typedef void sha256_kernel_fn(uint32_t *st, const uint8_t *const data[],
			      size_t nblocks, const uint32_t *wk);

/*
 * W + K of the block that ends every message whose length is a multiple of
 * 64 (or of the second padding block when 56 <= len % 64): zeros, the 0x80
 * marker if @marker, the bit length.  A tree hashes all its blocks at one
 * length, so each thread keeps the last schedule and computes it again only
 * when (marker, total) changes: once per tree, not per call.
 */
struct sha256_wk_cache {
	uint32_t wk[64];
	uint64_t total;
	int marker;		/* -1: empty */
};

static _Thread_local struct sha256_wk_cache sha256_wk_cache __attribute__((aligned(64))) = {
	.marker = -1,
};

static inline const uint32_t *sha256_const_block_wk(int marker, uint64_t total)
{
	struct sha256_wk_cache *c = &sha256_wk_cache;

	if (c->marker != marker || c->total != total) {
		memset(c->wk, 0, 14 * sizeof(c->wk[0]));
		c->wk[0] = marker ? 0x80000000u : 0;
		c->wk[14] = (uint32_t)(total >> 29);
		c->wk[15] = (uint32_t)(total << 3);
		mbv_sha256_schedule_wk(c->wk);
		c->total = total;
		c->marker = marker;
	}
	return c->wk;
}

/*
 * Finish @lanes messages of @len bytes from @st with @kern; @transposed:
 * the kernel keeps word j of lane i at st[j * lanes + i], else at
 * st[i * 8 + j].  Inlined into each wrapper so that lanes and the state
 * layout are constants.
 */
static inline __attribute__((always_inline)) void
sha256_kernel_finish(sha256_kernel_fn *kern, unsigned int lanes, int transposed,
		     const struct mbv_sha256_state *st, const uint8_t *const data[],
		     size_t len, uint8_t *out)
{
	uint32_t s[8 * 32] __attribute__((aligned(64)));
	size_t nfull = len / MBV_SHA256_BLOCK_SIZE;
	size_t tail = len % MBV_SHA256_BLOCK_SIZE;
	uint64_t total = st->count + len;	/* st->count is a multiple of 64 */
	unsigned int i, j;

#define S(lane, j) s[transposed ? (j) * lanes + (lane) : (lane) * 8 + (j)]
	for (i = 0; i < lanes; i++)
		for (j = 0; j < 8; j++)
			S(i, j) = st->h[j];

	if (tail == 0) {
		/* The fs-verity case: the padding block is the same for all. */
		kern(s, data, nfull, sha256_const_block_wk(1, total));
	} else {
		uint8_t tb[32][MBV_SHA256_BLOCK_SIZE];
		const uint8_t *tp[32];

		if (nfull)
			kern(s, data, nfull, NULL);
		for (i = 0; i < lanes; i++) {
			memcpy(tb[i], data[i] + nfull * MBV_SHA256_BLOCK_SIZE, tail);
			tb[i][tail] = 0x80;
			memset(tb[i] + tail + 1, 0, MBV_SHA256_BLOCK_SIZE - tail - 1);
			if (tail < 56)
				put_be64(tb[i] + 56, total * 8);
			tp[i] = tb[i];
		}
		if (tail < 56) {
			kern(s, tp, 1, NULL);
		} else {
			/* The second padding block is zeros and the length. */
			kern(s, tp, 1, sha256_const_block_wk(0, total));
		}
	}

	for (i = 0; i < lanes; i++)
		for (j = 0; j < 8; j++)
			put_be32(out + 32 * i + 4 * j, S(i, j));
#undef S
}

#endif
