/* SPDX-License-Identifier: MIT */
/* x86 CPU detection: CPUID, and XGETBV before trusting AVX state. */
#include "config.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <stddef.h>

#include "cpu.h"

static unsigned long long read_xcr0(void)
{
	unsigned int lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (unsigned long long)hi << 32 | lo;
}

unsigned int mbv_x86_cpu_features(void)
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

/* The vendor: --disable-asm builds rank OpenSSL by it too. */
enum mbv_cpu_kind mbv_x86_cpu_kind(void)
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
#endif
