/* SPDX-License-Identifier: MIT */
/* One C driver for every x86 SHA-512 kernel: broadcasts the shared state,
 * builds the padding, and hands whole blocks to the assembly. */
#include "config.h"

#include <string.h>

#include "endian_util.h"
#include "hash.h"
#include "sha512_x86.h"

#define MAX_LANES 16

/*
 * The assembly ABI (asm/sha512_common.inc): run @nblocks blocks of every
 * lane from data[lane], then if @wk is not NULL one more block, the same for
 * every lane, whose W[t] + K[t] are wk[t]; update @st (transposed: st[j *
 * lanes + lane]) in place.  The kernels read exactly 128 * nblocks bytes
 * per lane and need no alignment.
 */
typedef void sha512_kernel_fn(uint64_t *st, const uint8_t *const data[],
			      size_t nblocks, const uint64_t *wk);

sha512_kernel_fn mbv_sha512_x8_avx512, mbv_sha512_x4_avx2;

/*
 * W + K of the block that ends every message whose length is a multiple of
 * 128 (or of the second padding block when 112 <= len % 128): zeros, the
 * 0x80 marker if @marker, the 128-bit bit length.  A tree hashes all its
 * blocks at one length, so each thread keeps the last schedule and computes
 * it again only when (marker, total) changes: once per tree, not per call.
 */
struct wk_cache {
	uint64_t wk[80];
	uint64_t total;
	int marker;		/* -1: empty */
};

static _Thread_local struct wk_cache wk_cache __attribute__((aligned(64))) = {
	.marker = -1,
};

static const uint64_t *const_block_wk(int marker, uint64_t total)
{
	struct wk_cache *c = &wk_cache;

	if (c->marker != marker || c->total != total) {
		memset(c->wk, 0, 14 * sizeof(c->wk[0]));
		c->wk[0] = marker ? 0x8000000000000000ull : 0;
		c->wk[14] = total >> 61;
		c->wk[15] = total << 3;
		mbv_sha512_schedule_wk(c->wk);
		c->total = total;
		c->marker = marker;
	}
	return c->wk;
}

/*
 * Finish @lanes messages of @len bytes from @st with @kern.  Inlined into
 * each wrapper below so that lanes is a constant.
 */
static inline __attribute__((always_inline)) void
finish(sha512_kernel_fn *kern, unsigned int lanes,
       const struct mbv_sha512_state *st, const uint8_t *const data[],
       size_t len, uint8_t *out)
{
	uint64_t s[8 * MAX_LANES] __attribute__((aligned(64)));
	size_t nfull = len / MBV_SHA512_BLOCK_SIZE;
	size_t tail = len % MBV_SHA512_BLOCK_SIZE;
	uint64_t total = st->count + len;	/* st->count is a multiple of 128 */
	unsigned int i, j;

	for (i = 0; i < lanes; i++)
		for (j = 0; j < 8; j++)
			s[j * lanes + i] = st->h[j];

	if (tail == 0) {
		/* The fs-verity case: the padding block is the same for all. */
		kern(s, data, nfull, const_block_wk(1, total));
	} else {
		uint8_t tb[MAX_LANES][MBV_SHA512_BLOCK_SIZE];
		const uint8_t *tp[MAX_LANES];

		if (nfull)
			kern(s, data, nfull, NULL);
		for (i = 0; i < lanes; i++) {
			memcpy(tb[i], data[i] + nfull * MBV_SHA512_BLOCK_SIZE, tail);
			tb[i][tail] = 0x80;
			memset(tb[i] + tail + 1, 0, MBV_SHA512_BLOCK_SIZE - tail - 1);
			if (tail < 112) {
				put_be64(tb[i] + 112, total >> 61);
				put_be64(tb[i] + 120, total << 3);
			}
			tp[i] = tb[i];
		}
		if (tail < 112) {
			kern(s, tp, 1, NULL);
		} else {
			/* The second padding block is zeros and the length. */
			kern(s, tp, 1, const_block_wk(0, total));
		}
	}

	for (i = 0; i < lanes; i++)
		for (j = 0; j < 8; j++)
			put_be64(out + 64 * i + 8 * j, s[j * lanes + i]);
}

void mbv_sha512_many_x8_avx512(const struct mbv_sha512_state *st,
			       const uint8_t *const data[], size_t len,
			       uint8_t *out)
{
	finish(mbv_sha512_x8_avx512, 8, st, data, len, out);
}

void mbv_sha512_many_x4_avx2(const struct mbv_sha512_state *st,
			     const uint8_t *const data[], size_t len,
			     uint8_t *out)
{
	finish(mbv_sha512_x4_avx2, 4, st, data, len, out);
}
