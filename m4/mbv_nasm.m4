# SPDX-License-Identifier: MIT
# MBV_NASM_PROBE(VARIABLE, DESCRIPTION, INSTRUCTION)
# Assemble one instruction with $NASM; set VARIABLE to yes or no.
AC_DEFUN([MBV_NASM_PROBE], [
  AC_MSG_CHECKING([whether $NASM assembles $2])
  mbv_probe_dir=`mktemp -d`
  printf 'BITS 64\nsection .text\n%s\n' "$3" > "$mbv_probe_dir/probe.asm"
  AS_IF([$NASM -f elf64 -o "$mbv_probe_dir/probe.o" "$mbv_probe_dir/probe.asm" >/dev/null 2>&1],
        [$1=yes], [$1=no])
  rm -rf "$mbv_probe_dir"
  AC_MSG_RESULT([$$1])
])
