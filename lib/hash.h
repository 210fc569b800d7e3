/* SPDX-License-Identifier: MIT */
/* Internal hash layer: portable SHA-256/SHA-512 and the multi-message shape. */
#ifndef MBV_HASH_H
#define MBV_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MBV_SHA256_DIGEST_SIZE 32
#define MBV_SHA256_BLOCK_SIZE 64
#define MBV_SHA512_DIGEST_SIZE 64
#define MBV_SHA512_BLOCK_SIZE 128

/*
 * A SHA-256 state after absorbing a whole number of 64-byte blocks (the
 * salted prefix of fs-verity).  The assembly sees this layout: keep it.
 */
struct mbv_sha256_state {
	uint32_t h[8];
	uint64_t count;		/* bytes absorbed, a multiple of 64 */
};

struct mbv_sha512_state {
	uint64_t h[8];
	uint64_t count;		/* bytes absorbed, a multiple of 128 */
};

/* Streaming contexts for one message of any length. */
struct mbv_sha256_ctx {
	struct mbv_sha256_state st;
	uint8_t buf[MBV_SHA256_BLOCK_SIZE];
	size_t buflen;
};

struct mbv_sha512_ctx {
	struct mbv_sha512_state st;
	uint8_t buf[MBV_SHA512_BLOCK_SIZE];
	size_t buflen;
};

/*
 * The streaming both SHA-2 contexts share: bytes gather in @buf (@bs bytes)
 * and whole blocks go to @compress(@h, ...), counted in *@count.
 */
static inline void mbv_hash_buffered_update(uint8_t *buf, size_t *buflen, size_t bs,
					    const uint8_t *p, size_t len, uint64_t *count,
					    void (*compress)(void *h, const uint8_t *p, size_t n),
					    void *h)
{
	if (*buflen) {
		size_t n = bs - *buflen < len ? bs - *buflen : len;

		memcpy(buf + *buflen, p, n);
		*buflen += n;
		p += n;
		len -= n;
		if (*buflen < bs)
			return;
		compress(h, buf, 1);
		*count += bs;
		*buflen = 0;
	}
	if (len >= bs) {
		size_t nblocks = len / bs;

		compress(h, p, nblocks);
		*count += nblocks * bs;
		p += nblocks * bs;
		len -= nblocks * bs;
	}
	memcpy(buf, p, len);
	*buflen = len;
}

void mbv_sha256_init(struct mbv_sha256_state *st);
/* SHA-256's round constants (lib/sha256.c), 16-byte aligned. */
extern const uint32_t mbv_sha256_k[64];
void mbv_sha256_blocks_generic(uint32_t h[8], const uint8_t *p, size_t nblocks);
/* Expand w[0..15] of a block to its 64-word schedule, each word plus K[t]. */
void mbv_sha256_schedule_wk(uint32_t w[64]);
void mbv_sha256_ctx_init(struct mbv_sha256_ctx *ctx);
void mbv_sha256_ctx_update(struct mbv_sha256_ctx *ctx, const void *p, size_t len);
void mbv_sha256_ctx_final(struct mbv_sha256_ctx *ctx, uint8_t out[32]);
void mbv_sha256(const void *p, size_t len, uint8_t out[32]);
/* Finish one message of @len bytes from @st; the portable reference. */
void mbv_sha256_finish_generic(const struct mbv_sha256_state *st,
			       const uint8_t *data, size_t len, uint8_t out[32]);
/*
 * Write the padding that ends a message of @total bytes whose last
 * @tail bytes (tail < 64) are in @block; returns 64 or 128 bytes used.
 */
size_t mbv_sha256_pad(uint8_t block[128], size_t tail, uint64_t total);

void mbv_sha512_init(struct mbv_sha512_state *st);
/* SHA-512's round constants (lib/sha512.c), 16-byte aligned. */
extern const uint64_t mbv_sha512_k[80];
void mbv_sha512_blocks_generic(uint64_t h[8], const uint8_t *p, size_t nblocks);
/* Expand w[0..15] of a block to its 80-word schedule, each word plus K[t]. */
void mbv_sha512_schedule_wk(uint64_t w[80]);
void mbv_sha512_ctx_init(struct mbv_sha512_ctx *ctx);
void mbv_sha512_ctx_update(struct mbv_sha512_ctx *ctx, const void *p, size_t len);
void mbv_sha512_ctx_final(struct mbv_sha512_ctx *ctx, uint8_t out[64]);
void mbv_sha512(const void *p, size_t len, uint8_t out[64]);
void mbv_sha512_finish_generic(const struct mbv_sha512_state *st,
			       const uint8_t *data, size_t len, uint8_t out[64]);

/*
 * A SHA-256 implementation finishing exactly @lanes messages of @len bytes
 * each (any length), all continuing from the shared state @st; digest i goes
 * to out + 32 * i.  data[] holds @lanes pointers, no alignment required.
 */
typedef void mbv_sha256_many_fn(const struct mbv_sha256_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out);

struct mbv_sha256_impl {
	const char *name;
	unsigned int lanes;
	unsigned int required_features;	/* MBV_CPU_* bits */
	mbv_sha256_many_fn *hash_many;
};

/* Every implementation compiled in, widest first, ending with "generic". */
extern const struct mbv_sha256_impl *const mbv_sha256_impls[];

/*
 * The implementation chosen for this CPU, once (MBV_IMPL=name in the
 * environment forces one, for tests and benchmarks; see lib/hash_dispatch.c).
 */
const struct mbv_sha256_impl *mbv_sha256_best(void);
/* Force an implementation by name for this process; NULL = auto. 0 or -ENOENT. */
int mbv_sha256_force(const char *name);
/* Does this CPU run @impl? */
int mbv_sha256_impl_usable(const struct mbv_sha256_impl *impl);
/* Name of the implementation mbv_sha256_best() chose ("x16_avx512", ...). */
const char *mbv_sha256_impl_name(void);

/*
 * Finish @n messages of @len bytes from @st with the best implementation,
 * using narrower kernels for the tail of the batch.
 */
void mbv_sha256_finish_many(const struct mbv_sha256_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out);

/* The same for SHA-512: the shape, the table and the choice mirror SHA-256's. */
typedef void mbv_sha512_many_fn(const struct mbv_sha512_state *st,
				const uint8_t *const data[], size_t len,
				uint8_t *out);

struct mbv_sha512_impl {
	const char *name;
	unsigned int lanes;
	unsigned int required_features;	/* MBV_CPU_* bits */
	mbv_sha512_many_fn *hash_many;
};

extern const struct mbv_sha512_impl *const mbv_sha512_impls[];

/* MBV_IMPL=sha512:name forces one (lib/hash_dispatch.c has the spelling). */
const struct mbv_sha512_impl *mbv_sha512_best(void);
int mbv_sha512_force(const char *name);
int mbv_sha512_impl_usable(const struct mbv_sha512_impl *impl);
const char *mbv_sha512_impl_name(void);

void mbv_sha512_finish_many(const struct mbv_sha512_state *st,
			    const uint8_t *const data[], size_t n, size_t len,
			    uint8_t *out);

#endif
