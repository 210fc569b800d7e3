#!/bin/sh
# SPDX-License-Identifier: MIT
# man/mbverity.1: no warnings from groff -ww (and mandoc -T lint when
# installed), and it names every command of `mbverity --help` and every
# option of each `mbverity COMMAND --help`.
. "${top_srcdir:-.}/tests/lib.sh"
need groff
page="$top_srcdir/man/mbverity.1"
[ -f "$page" ] || fail "$page missing"
groff -ww -z -man "$page" >"$TMP/groff" 2>&1 || fail "groff failed: $(cat "$TMP/groff")"
[ ! -s "$TMP/groff" ] || fail "groff -ww: $(cat "$TMP/groff")"
if command -v mandoc >/dev/null 2>&1; then
	mandoc -T lint "$page" >"$TMP/mandoc" 2>&1 || fail "mandoc -T lint: $(cat "$TMP/mandoc")"
fi
# The page as text, hyphens plain.
groff -man -Tutf8 -P-cbou -rLL=1000n -rHY=0 "$page" 2>/dev/null | sed 's/\xe2\x80\x90/-/g' | tr -s ' ' >"$TMP/text"
[ -s "$TMP/text" ] || fail "groff rendered nothing"
"$MBVERITY" --help >"$TMP/help" 2>&1 || :
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z_]/ { print $1 }' "$TMP/help")
[ -n "$cmds" ] || fail "no commands in mbverity --help"
n=0
for c in $cmds; do
	grep -q "mbverity $c" "$TMP/text" || fail "man page lacks the command $c"
	"$MBVERITY" "$c" --help >"$TMP/chelp" 2>&1 || :
	for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$TMP/chelp" | sort -u); do
		grep -q -- "$o" "$TMP/text" || fail "man page lacks $c's option $o"
		n=$((n + 1))
	done
done
# Both spellings of the live-or-image commands: bare FILE (live) and --image=IMAGE.
for c in enable measure verify dump_metadata; do
	grep -qE "^ ?mbverity $c ([a-z_|]+ )?FILE" "$TMP/text" || fail "man page lacks $c FILE (live)"
	grep -qE "^ ?mbverity $c ([a-z_|]+ )?(--all )?--image=IMAGE" "$TMP/text" ||
		fail "man page lacks $c --image=IMAGE"
done
for s in "EXIT STATUS" ENVIRONMENT; do
	grep -q "^$s" "$TMP/text" || fail "man page lacks $s"
done
echo "man page: no warnings; $(echo $cmds | wc -w) commands and $n options of the --help texts named"
