/* SPDX-License-Identifier: MIT */
/* CPU feature detection: CPUID, and XGETBV before trusting AVX state. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"

#if defined(__x86_64__) && defined(MBV_HAVE_ASM)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
	unsigned int lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (unsigned long long)hi << 32 | lo;
}

static unsigned int detect(void)
{
	unsigned int a, b, c, d, f = 0;
	unsigned long long xcr0 = 0;
	int osxsave;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	osxsave = (c >> 27) & 1;
	if (osxsave)
		xcr0 = read_xcr0();
	if (!(c & (1u << 28)))		/* no AVX: no AVX2 or AVX-512 either */
		xcr0 = 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	if (b & (1u << 29))
		f |= MBV_CPU_SHANI;
	/* YMM state (bits 1, 2) must be saved by the OS for AVX2. */
	if ((b & (1u << 5)) && (xcr0 & 0x6) == 0x6)
		f |= MBV_CPU_AVX2;
	/* AVX-512 F (16), BW (30), VL (31) plus opmask/ZMM state (bits 5-7). */
	if ((b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)) &&
	    (xcr0 & 0xe6) == 0xe6)
		f |= MBV_CPU_AVX512;
	return f;
}

#elif defined(__aarch64__) && defined(MBV_HAVE_ARM64_CE)
#include "arm64/arm64.h"

static unsigned int detect(void)
{
	return mbv_arm64_cpu_features();
}
#else
static unsigned int detect(void)
{
	return 0;
}
#endif

static unsigned int masked_by_env(void)
{
	const char *env = getenv("MBV_DISABLE_CPU_FEATURES");
	unsigned int m = 0;

	if (!env)
		return 0;
	if (strstr(env, "shani"))
		m |= MBV_CPU_SHANI;
	if (strstr(env, "avx2"))
		m |= MBV_CPU_AVX2;
	if (strstr(env, "avx512"))
		m |= MBV_CPU_AVX512;
	if (strstr(env, "sha2"))
		m |= MBV_CPU_ARM64_SHA2;
	if (strstr(env, "sha512"))
		m |= MBV_CPU_ARM64_SHA512;
	return m;
}

/* Any thread may detect first; they all store the same value. */
unsigned int mbv_cpu_features(void)
{
	static atomic_uint cache;	/* features | KNOWN, 0 until detected */
	const unsigned int KNOWN = 1u << 31;
	unsigned int f = atomic_load_explicit(&cache, memory_order_relaxed);

	if (!f) {
		f = (detect() & ~masked_by_env()) | KNOWN;
		atomic_store_explicit(&cache, f, memory_order_relaxed);
	}
	return f & ~KNOWN;
}

/* The vendor needs no kernel of ours: in --disable-asm builds too. */
#if defined(__x86_64__)
#include <cpuid.h>

static enum mbv_cpu_kind detect_kind(void)
{
	unsigned int max, b, c, d;

	if (!__get_cpuid(0, &max, &b, &c, &d))
		return MBV_CPU_KIND_OTHER;
	/* The vendor string is EBX, EDX, ECX. */
	if (b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e)	/* GenuineIntel */
		return MBV_CPU_KIND_INTEL;
	if (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163)	/* AuthenticAMD */
		return MBV_CPU_KIND_AMD;
	return MBV_CPU_KIND_OTHER;
}
#else
static enum mbv_cpu_kind detect_kind(void)
{
	return MBV_CPU_KIND_OTHER;
}
#endif

enum mbv_cpu_kind mbv_cpu_kind(void)
{
	static atomic_int cache = -1;
	int k = atomic_load_explicit(&cache, memory_order_relaxed);

	if (k < 0) {
		k = (int)detect_kind();
		atomic_store_explicit(&cache, k, memory_order_relaxed);
	}
	return (enum mbv_cpu_kind)k;
}
