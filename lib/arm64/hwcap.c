/* SPDX-License-Identifier: MIT */
/* ARM64 CPU features from the kernel's HWCAP bits (the instructions trap in EL0 otherwise). */
#include "config.h"

#include <sys/auxv.h>

#include "arm64.h"
#include "cpu_features.h"

/* Linux's arm64 uapi <asm/hwcap.h> values, should the libc headers lack them. */
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1UL << 6)
#endif
#ifndef HWCAP_SHA512
#define HWCAP_SHA512 (1UL << 21)
#endif

unsigned int mbv_arm64_cpu_features(void)
{
	unsigned long hwcap = getauxval(AT_HWCAP);
	unsigned int f = 0;

	if (hwcap & HWCAP_SHA2)
		f |= MBV_CPU_ARM64_SHA2;
	if (hwcap & HWCAP_SHA512)
		f |= MBV_CPU_ARM64_SHA512;
	return f;
}
