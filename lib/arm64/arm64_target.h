/* SPDX-License-Identifier: MIT */
/*
 * Target attributes for the ARM64 kernels: only the functions carrying them
 * may use the crypto instructions, so the library still runs on any ARMv8.0
 * CPU and picks these at run time (getauxval, lib/cpu_features.c).
 */
#ifndef MBV_ARM64_TARGET_H
#define MBV_ARM64_TARGET_H

#if defined(__clang__)
#define MBV_TARGET_SHA2 __attribute__((target("crypto")))
#define MBV_TARGET_SHA512 __attribute__((target("sha3")))
#else
/* GCC's arm_neon.h declares the SHA-512 intrinsics for armv8.2-a+sha3. */
#define MBV_TARGET_SHA2 __attribute__((target("+crypto")))
#define MBV_TARGET_SHA512 __attribute__((target("arch=armv8.2-a+sha3")))
#endif

#endif
