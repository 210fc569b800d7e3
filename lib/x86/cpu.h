/* SPDX-License-Identifier: MIT */
/* What lib/cpu_features.c asks of an x86 CPU (lib/x86/cpu.c). */
#ifndef MBV_X86_CPU_H
#define MBV_X86_CPU_H

#include "cpu_features.h"

/* MBV_CPU_SHANI, _AVX2, _AVX512 this CPU and its OS support. */
unsigned int mbv_x86_cpu_features(void);
/* The CPUID vendor. */
enum mbv_cpu_kind mbv_x86_cpu_kind(void);

#endif
