/* SPDX-License-Identifier: MIT */
/* x86 CPU features the SHA-256 kernels need, detected once. */
#ifndef MBV_CPU_FEATURES_H
#define MBV_CPU_FEATURES_H

#define MBV_CPU_SHANI	(1u << 0)
#define MBV_CPU_AVX2	(1u << 1)
#define MBV_CPU_AVX512	(1u << 2)	/* F + VL + BW, with ZMM state enabled in XCR0 */

/*
 * Features of this CPU (cached after the first call), minus any named in
 * MBV_DISABLE_CPU_FEATURES (comma-separated: shani,avx2,avx512), for tests.
 */
unsigned int mbv_cpu_features(void);

#endif
