/* SPDX-License-Identifier: MIT */
/* The ARM64 SHA-2 implementations: ARMv8 crypto intrinsics behind C drivers. */
#ifndef MBV_ARM64_H
#define MBV_ARM64_H

#include "hash.h"

/* SHA-256 (HWCAP_SHA2); each has the mbv_sha256_many_fn shape, lanes in the name. */
mbv_sha256_many_fn mbv_sha256_many_ce_x2;
mbv_sha256_many_fn mbv_sha256_many_ce_x1;

/* SHA-512 (HWCAP_SHA512, ARMv8.2); the mbv_sha512_many_fn shape. */
void mbv_sha512_many_ce_x2(const struct mbv_sha512_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out);
void mbv_sha512_many_ce_x1(const struct mbv_sha512_state *st,
			   const uint8_t *const data[], size_t len, uint8_t *out);

/* HWCAP bits as MBV_CPU_ARM64_* features (lib/cpu_features.c masks and caches them). */
unsigned int mbv_arm64_cpu_features(void);

#endif
