#!/bin/sh
# SPDX-License-Identifier: MIT
# Every symbol the static library exports starts with mbv_; the shared
# library has its soname and exports exactly the functions of the public
# header, each in the version node named for the soname (MBVERITY_N for .so.N).
. "${top_srcdir:-.}/tests/lib.sh"
need nm readelf
lib="$top_builddir/lib/.libs/libmbverity.a"
[ -f "$lib" ] || fail "$lib not built"
nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' |
	grep -v '^__odr_asan\.' | sort -u >"$TMP/syms"  # ASan's own markers
[ -s "$TMP/syms" ] || fail "no exported symbols found"
if grep -v '^mbv_' "$TMP/syms"; then
	fail "symbols above lack the mbv_ prefix"
fi
echo "$(wc -l <"$TMP/syms") exported symbols, all prefixed mbv_"

# The shared library (not built with --disable-shared: say so, that is a choice).
so=$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$top_builddir/lib/libmbverity.la")
if [ -z "$so" ]; then
	echo "no shared library (configured --disable-shared)"
	exit 0
fi
so="$top_builddir/lib/.libs/$so"
[ -f "$so" ] || fail "$so not built"
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
case $soname in
libmbverity.so.[0-9]*) ;;
*) fail "$so: soname '$soname', not libmbverity.so.N" ;;
esac
node=MBVERITY_${soname#libmbverity.so.}
# Defined dynamic symbols: NAME@@$node, and the version node itself.
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sort -u >"$TMP/dsyms"
[ -s "$TMP/dsyms" ] || fail "$so exports nothing"
if grep -v "^mbv_[A-Za-z0-9_]*@@$node\$" "$TMP/dsyms"; then
	fail "$so: dynamic symbols above are not mbv_ ones in $node"
fi
# Every public function of the header is there (none lost to the map).
sed -n 's/^[a-z].*[ *]\(mbv_[a-z0-9_]*\)(.*/\1/p' "$top_srcdir"/include/mbverity/*.h | sort -u >"$TMP/api"
[ -s "$TMP/api" ] || fail "no functions found in include/mbverity/*.h"
sed 's/@@.*//' "$TMP/dsyms" >"$TMP/dnames"
missing=$(comm -23 "$TMP/api" "$TMP/dnames")
[ -z "$missing" ] || fail "$so lacks public functions: $missing"
# ... and nothing else: internals stay out of the ABI.
extra=$(comm -13 "$TMP/api" "$TMP/dnames")
[ -z "$extra" ] || fail "$so exports functions the public header does not declare: $extra"
echo "$soname: $(wc -l <"$TMP/dsyms") dynamic symbols, all mbv_ in $node, exactly the $(wc -l <"$TMP/api") API functions"
