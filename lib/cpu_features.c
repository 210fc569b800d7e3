/* SPDX-License-Identifier: MIT */
/* CPU features, detected once per process (lib/x86/cpu.c, lib/arm64/hwcap.c) and masked for tests. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"

#if defined(__x86_64__) && defined(MBV_HAVE_ASM)
#include "x86/cpu.h"

static unsigned int detect(void)
{
	return mbv_x86_cpu_features();
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
#include "x86/cpu.h"

static enum mbv_cpu_kind detect_kind(void)
{
	return mbv_x86_cpu_kind();
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
