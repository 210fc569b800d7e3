#!/bin/sh
# SPDX-License-Identifier: MIT
# README's layout table matches the tree: every path it names exists, and
# every directory of lib/ and tests/, every C file of lib/ and programs/
# and every part of lib/ext4/ is named in it.
. "${top_srcdir:-.}/tests/lib.sh"
cd "$top_srcdir"
sed -n '/^## Layout of the source/,/^## /p' README.md | grep '^| `' >"$TMP/table"
[ -s "$TMP/table" ] || fail "README.md has no layout table"
n=0
# First column: `a/b.c`, `c.h` (a bare name is in the previous path's directory).
while IFS= read -r row; do
	first=$(printf '%s\n' "$row" | cut -d'|' -f2)
	dir=.
	for tok in $(printf '%s\n' "$first" | grep -o '`[^`]*`' | tr -d '`'); do
		case $tok in
		*/*) path=$tok; dir=$(dirname "$tok") ;;
		*) path=$dir/$tok ;;
		esac
		[ -e "$path" ] || fail "README's layout table names $path, which does not exist"
		n=$((n + 1))
	done
done <"$TMP/table"
for d in lib/*/ tests/*/ asm/ bench/ scripts/ include/ programs/; do
	d=${d%/}
	grep -q "\`$d/\`\|\`$d/[^\`]*\`\|\`$d\`" "$TMP/table" || fail "README's layout table does not name $d/"
done
for f in lib/*.c; do
	grep -q "\`$f\`" "$TMP/table" || fail "README's layout table does not name $f"
done
for f in programs/*.c; do
	b=$(basename "$f")
	case $b in cmd_*) b='cmd_\*.c' ;; esac
	grep '^| `programs/`' "$TMP/table" | grep -q "\`$b\`" ||
		fail "README's programs/ row does not name $(basename "$f")"
done
for f in lib/ext4/*.c; do
	grep '^| `lib/ext4/`' "$TMP/table" | grep -q "\`$(basename "$f" .c)\`" ||
		fail "README's lib/ext4/ row does not name $(basename "$f" .c)"
done
echo "layout: README's table names $n paths, all there; every directory and C file is in it"
