/* SPDX-License-Identifier: MIT */
/* The OpenSSL fallback implementations (one message per call). */
#ifndef MBV_HASH_OPENSSL_H
#define MBV_HASH_OPENSSL_H

#include "hash.h"

mbv_sha256_many_fn mbv_sha256_many_openssl;
void mbv_sha512_many_openssl(const struct mbv_sha512_state *st,
			     const uint8_t *const data[], size_t len, uint8_t *out);

#endif
