/* SPDX-License-Identifier: MIT */
/* One-line messages to a caller's mbv_error_fn. */
#include <stdarg.h>
#include <stdio.h>

#include "report.h"

int mbv_report(mbv_error_fn fn, void *ctx, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!fn)
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ctx, msg);
	return err;
}
