#!/bin/sh
# SPDX-License-Identifier: MIT
# Every symbol the static library exports starts with mbv_.
. "${top_srcdir:-.}/tests/lib.sh"
need nm
lib="$top_builddir/lib/libmbverity.a"
[ -f "$lib" ] || fail "$lib not built"
nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' |
	grep -v '^__odr_asan\.' | sort -u >"$TMP/syms"  # ASan's own markers
[ -s "$TMP/syms" ] || fail "no exported symbols found"
if grep -v '^mbv_' "$TMP/syms"; then
	fail "symbols above lack the mbv_ prefix"
fi
echo "$(wc -l <"$TMP/syms") exported symbols, all prefixed mbv_"
