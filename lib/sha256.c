/* SPDX-License-Identifier: MIT */
/* Portable SHA-256 (FIPS 180-4): the reference every faster kernel is tested against. */
#include <string.h>

#include "hash.h"
#include "endian_util.h"

/* The round constants (FIPS 180-4), shared with the ARMv8 kernels. */
const uint32_t mbv_sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

void mbv_sha256_init(struct mbv_sha256_state *st)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(st->h, iv, sizeof(iv));
	st->count = 0;
}

void mbv_sha256_schedule_wk(uint32_t w[64])
{
	int i;

	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (i = 0; i < 64; i++)
		w[i] += mbv_sha256_k[i];
}

void mbv_sha256_blocks_generic(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	while (nblocks--) {
		uint32_t w[64], a, b, c, d, e, f, g, hh;
		int i;

		for (i = 0; i < 16; i++)
			w[i] = get_be32(p + 4 * i);
		mbv_sha256_schedule_wk(w);
		a = h[0]; b = h[1]; c = h[2]; d = h[3];
		e = h[4]; f = h[5]; g = h[6]; hh = h[7];
		for (i = 0; i < 64; i++) {
			uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
				      ((e & f) ^ (~e & g)) + w[i];
			uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
				      ((a & b) ^ (a & c) ^ (b & c));
			hh = g; g = f; f = e; e = d + t1;
			d = c; c = b; b = a; a = t1 + t2;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d;
		h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
		p += MBV_SHA256_BLOCK_SIZE;
	}
}

size_t mbv_sha256_pad(uint8_t block[128], size_t tail, uint64_t total)
{
	size_t n = tail < 56 ? 64 : 128;

	block[tail] = 0x80;
	memset(block + tail + 1, 0, n - 8 - tail - 1);
	put_be64(block + n - 8, total * 8);
	return n;
}

void mbv_sha256_ctx_init(struct mbv_sha256_ctx *ctx)
{
	mbv_sha256_init(&ctx->st);
	ctx->buflen = 0;
}

static void compress_sha256(void *h, const uint8_t *p, size_t nblocks)
{
	mbv_sha256_blocks_generic(h, p, nblocks);
}

void mbv_sha256_ctx_update(struct mbv_sha256_ctx *ctx, const void *data, size_t len)
{
	mbv_hash_buffered_update(ctx->buf, &ctx->buflen, MBV_SHA256_BLOCK_SIZE, data, len,
				 &ctx->st.count, compress_sha256, ctx->st.h);
}

void mbv_sha256_ctx_final(struct mbv_sha256_ctx *ctx, uint8_t out[32])
{
	uint8_t block[128];
	size_t n;
	int i;

	memcpy(block, ctx->buf, ctx->buflen);
	n = mbv_sha256_pad(block, ctx->buflen, ctx->st.count + ctx->buflen);
	mbv_sha256_blocks_generic(ctx->st.h, block, n / MBV_SHA256_BLOCK_SIZE);
	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, ctx->st.h[i]);
}

void mbv_sha256(const void *p, size_t len, uint8_t out[32])
{
	struct mbv_sha256_ctx ctx;

	mbv_sha256_ctx_init(&ctx);
	mbv_sha256_ctx_update(&ctx, p, len);
	mbv_sha256_ctx_final(&ctx, out);
}

void mbv_sha256_finish_generic(const struct mbv_sha256_state *st,
			       const uint8_t *data, size_t len, uint8_t out[32])
{
	struct mbv_sha256_ctx ctx = { .st = *st, .buflen = 0 };

	mbv_sha256_ctx_update(&ctx, data, len);
	mbv_sha256_ctx_final(&ctx, out);
}
