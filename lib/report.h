/* SPDX-License-Identifier: MIT */
/* One-line messages to a caller's mbv_error_fn: the one shape errors take (lib/report.c). */
#ifndef MBV_REPORT_H
#define MBV_REPORT_H

#include "mbverity/base.h"

/* Format one line to @fn (if any) and return @err. */
int mbv_report(mbv_error_fn fn, void *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
