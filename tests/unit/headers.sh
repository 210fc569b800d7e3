#!/bin/sh
# SPDX-License-Identifier: MIT
# The public headers stand alone: each compiles by itself with -I include
# only (C11, -Wall -Werror, and as C++ when a C++ compiler is there), the
# tree and signature parts pull in no libext2fs or OpenSSL header, and the
# version macros agree with configure's.
. "${top_srcdir:-.}/tests/lib.sh"
inc="$top_srcdir/include"
: "${CC:=cc}"
for h in mbverity.h mbverity/base.h mbverity/tree.h mbverity/sign.h mbverity/ext4.h; do
	printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$TMP/t.c"
	# $CC may carry flags (CC='gcc -m32'): word splitting is meant.
	# shellcheck disable=SC2086
	$CC -std=c11 -Wall -Wextra -Werror -I"$inc" -H -c "$TMP/t.c" -o "$TMP/t.o" 2>"$TMP/h" ||
		fail "$h does not compile alone with -I include: $(grep -v '^\.' "$TMP/h" | head -5)"
	case $h in
	mbverity/base.h | mbverity/tree.h | mbverity/sign.h)
		if grep -E '/(ext2fs|et|openssl)/' "$TMP/h"; then
			fail "$h includes the headers above"
		fi ;;
	esac
	if command -v c++ >/dev/null 2>&1; then
		c++ -Wall -Werror -I"$inc" -x c++ -c "$TMP/t.c" -o "$TMP/t.o" 2>"$TMP/err" ||
			fail "$h does not compile as C++: $(head -5 "$TMP/err")"
	fi
done
grep -q '/ext2fs/ext2fs.h' "$TMP/h" || fail "mbverity/ext4.h no longer includes <ext2fs/ext2fs.h>"

# MBV_VERSION_* say what configure says (configure reads the header).
cat >"$TMP/v.c" <<'C'
#include <stdio.h>
#include <mbverity/base.h>
int main(void)
{
	printf("%d.%d.%d %s %06x\n", MBV_VERSION_MAJOR, MBV_VERSION_MINOR, MBV_VERSION_PATCH,
	       MBV_VERSION_STRING, (unsigned)MBV_VERSION);
	return 0;
}
C
# shellcheck disable=SC2086
$CC -std=c11 -I"$inc" "$TMP/v.c" -o "$TMP/v" || fail "version program"
set -- $("$TMP/v")
want=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
[ "$1" = "$want" ] || fail "MBV_VERSION_MAJOR.MINOR.PATCH is $1, configure says $want"
[ "$2" = "$want" ] || fail "MBV_VERSION_STRING is $2, configure says $want"
hex=$(echo "$want" | awk -F. '{ printf "%02x%02x%02x", $1, $2, $3 }')
[ "$3" = "$hex" ] || fail "MBV_VERSION is $3, not $hex"
echo "headers: 5 compile alone; tree.h and sign.h need no other library's headers; version $want"
