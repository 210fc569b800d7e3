# SPDX-License-Identifier: MIT
# MBV_ARM64_PROBE(VARIABLE, DESCRIPTION, TARGET-MACRO, BODY)
# Compile and link BODY with <arm_neon.h> in a function carrying the target
# attribute lib/arm64/arm64_target.h defines as TARGET-MACRO (the file gets
# no extra -march, so the rest of the library stays plain ARMv8.0); set
# VARIABLE to yes or no.
AC_DEFUN([MBV_ARM64_PROBE], [
  AC_MSG_CHECKING([whether $CC compiles the $2 intrinsics])
  mbv_arm64_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS -I$srcdir/lib/arm64"
  AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <arm_neon.h>
#include "arm64_target.h"
$3 static int probe(void) { $4 }
int main(void) { return probe(); }
]])], [$1=yes], [$1=no])
  CPPFLAGS=$mbv_arm64_save_CPPFLAGS
  AC_MSG_RESULT([$$1])
])
