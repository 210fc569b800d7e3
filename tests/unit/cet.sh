#!/bin/sh
# SPDX-License-Identifier: MIT
# CET marking of the nasm kernels (asm/cet.inc): assembled with -DMBV_CET=3
# (what configure passes when CFLAGS has -fcf-protection=full) every object
# carries the GNU property note with IBT and SHSTK and every entry point
# starts with endbr64; linked with C objects built -fcf-protection=full, the
# marking survives, and without our note it does not (the linker ANDs the
# objects' features).  When this build itself was configured with CET, every
# member of its static library is checked too.  The links are relocatable
# (-r): Debian 12's crt1.o/crti.o/crtn.o carry no note (see
# `-Wl,-z,cet-report=warning`), so no program or shared library linked
# there with the C start files is marked, whatever its own objects say.
. "${top_srcdir:-.}/tests/lib.sh"
: "${CC:=cc}" "${NASM:=nasm}" "${MBV_CET:=0}"
need "$NASM" readelf objdump "$CC"
asm="$top_srcdir/asm"

marked() { readelf -n "$1" | grep -q 'x86 feature:.*IBT, SHSTK'; }

printf 'int mbv_cet_probe(void) { return 1; }\n' >"$TMP/c.c"
$CC -fcf-protection=full -fPIC -c "$TMP/c.c" -o "$TMP/c.o"
marked "$TMP/c.o" || fail "$CC -fcf-protection=full gives no IBT/SHSTK note: cannot test"
n=0
for src in "$asm"/*.asm; do
	base=$(basename "$src" .asm)
	for cet in 0 3; do
		$NASM -f elf64 -I"$asm/" -DMBV_CET=$cet -o "$TMP/$base.$cet.o" "$src" ||
			fail "$src: nasm -DMBV_CET=$cet failed"
	done
	marked "$TMP/$base.3.o" || fail "$base.asm with MBV_CET=3: no IBT/SHSTK property note"
	if readelf -n "$TMP/$base.0.o" | grep -q 'x86 feature'; then
		fail "$base.asm with MBV_CET=0: has a feature note"
	fi
	# Every function symbol: endbr64 first with CET, not without.
	funcs=$(readelf -sW "$TMP/$base.3.o" | awk '$4 == "FUNC" { print $8 }')
	[ -n "$funcs" ] || fail "$base.asm: no function symbols"
	for f in $funcs; do
		first=$(objdump -d --no-show-raw-insn --disassemble="$f" "$TMP/$base.3.o" |
			awk -v f="<$f>:" '$2 == f { getline; print $2; exit }')
		[ "$first" = endbr64 ] || fail "$base.asm: $f starts with '$first', not endbr64"
		first=$(objdump -d --no-show-raw-insn --disassemble="$f" "$TMP/$base.0.o" |
			awk -v f="<$f>:" '$2 == f { getline; print $2; exit }')
		[ "$first" != endbr64 ] || fail "$base.asm: $f has endbr64 without CET"
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || fail "no kernels in $asm"
for cet in 0 3; do
	# shellcheck disable=SC2046
	$CC -nostdlib -r -o "$TMP/k$cet.o" "$TMP/c.o" $(ls "$TMP"/*.$cet.o)
done
marked "$TMP/k3.o" || fail "linked with the MBV_CET=3 kernels, C code lost IBT/SHSTK"
! marked "$TMP/k0.o" || fail "linked with unmarked kernels, C code kept IBT/SHSTK: the test proves nothing"
echo "$n kernel entry points: endbr64 and the IBT/SHSTK note with MBV_CET=3, kept when linked"

if [ "$MBV_CET" = 3 ]; then
	# readelf -n over the archive prints one note per member that has one.
	a=$(cd "$top_builddir/lib/.libs" && pwd)/libmbverity.a
	members=$(ar t "$a" | wc -l)
	notes=$(readelf -n "$a" | grep -c 'x86 feature:.*IBT, SHSTK' || :)
	[ "$notes" -eq "$members" ] || fail "$a: $notes of $members members marked IBT/SHSTK"
	mkdir "$TMP/ar"
	(cd "$TMP/ar" && ar x "$a")
	$CC -nostdlib -r -o "$TMP/lib.o" "$TMP"/ar/*.o
	marked "$TMP/lib.o" || fail "$a linked together: not marked IBT/SHSTK"
	echo "this build (CET configured): all $members archive members marked IBT, SHSTK, and linked together"
else
	echo "this build: configured without -fcf-protection (MBV_CET=$MBV_CET); its own objects not checked"
fi
