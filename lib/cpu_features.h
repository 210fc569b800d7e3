/* SPDX-License-Identifier: MIT */
/* CPU features the SHA-2 kernels need (x86 CPUID, ARM64 HWCAP), detected once. */
#ifndef MBV_CPU_FEATURES_H
#define MBV_CPU_FEATURES_H

#define MBV_CPU_SHANI	(1u << 0)
#define MBV_CPU_AVX2	(1u << 1)
#define MBV_CPU_AVX512	(1u << 2)	/* F + VL + BW, with ZMM state enabled in XCR0 */
#define MBV_CPU_ARM64_SHA2	(1u << 3)	/* HWCAP_SHA2: SHA256H/H2/SU0/SU1 */
#define MBV_CPU_ARM64_SHA512	(1u << 4)	/* HWCAP_SHA512 (ARMv8.2): SHA512H/H2/SU0/SU1 */

/*
 * Features of this CPU (cached after the first call), minus any named in
 * MBV_DISABLE_CPU_FEATURES (comma-separated: shani,avx2,avx512,sha2,sha512),
 * for tests.
 */
unsigned int mbv_cpu_features(void);

/* Whose measured costs the dispatcher ranks kernels by (lib/hash_dispatch.c). */
enum mbv_cpu_kind {
	MBV_CPU_KIND_OTHER,	/* not x86, or a vendor not measured */
	MBV_CPU_KIND_INTEL,	/* CPUID vendor GenuineIntel */
	MBV_CPU_KIND_AMD,	/* AuthenticAMD (the tables are Zen 5's) */
};

/* This CPU's vendor from CPUID leaf 0. */
enum mbv_cpu_kind mbv_cpu_kind(void);

#endif
