#!/bin/sh
# SPDX-License-Identifier: MIT
# mkfs --manifest: names escaped as sha256sum escapes them (a newline or a
# backslash cannot split or fake a line), every name of a hard-linked file listed.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need sha256sum fsverity

src=$TMP/src
mkdir -p "$src/dir with space"
nl='
'
cr=$(printf '\r')
head -c 5000 /dev/urandom >"$src/plain"
head -c 100 /dev/urandom >"$src/new${nl}line"
head -c 200 /dev/urandom >"$src/back\\slash"
head -c 300 /dev/urandom >"$src/both\\n${nl}\\"
head -c 400 /dev/urandom >"$src/carriage${cr}return"
head -c 500 /dev/urandom >"$src/dir with space/two  spaces "
# A line of its own: a name that would look like a manifest line if not escaped.
head -c 600 /dev/urandom >"$src/fake${nl}sha256:0000 evil"
head -c 70000 /dev/urandom >"$src/linked"
ln "$src/linked" "$src/dir with space/hard link"
ln "$src/linked" "$src/zz-third-name"

"$MBVERITY" mkfs -d "$src" "$TMP/img" --quiet --manifest="$TMP/manifest" ||
	fail "mkfs with odd names"
fsck_clean "$TMP/img"

# The names as the host's sha256sum escapes them, with image paths.
want=$TMP/want
: >"$want"
(cd "$src" && find . -type f -print0 | xargs -0 sha256sum) |
	sed 's|^\(\\\{0,1\}\)[0-9a-f]*  \./|\1 /|' | LC_ALL=C sort >"$want"
# Ours: "[\]sha256:HEX /name" -> "[\] /name".
sed 's|^\(\\\{0,1\}\)sha256:[0-9a-f]* /|\1 /|' "$TMP/manifest" | LC_ALL=C sort >"$TMP/got"
cmp "$want" "$TMP/got" || {
	diff "$want" "$TMP/got" >&2 || :
	fail "manifest names differ from sha256sum's escaping"
}
lines=$(wc -l <"$TMP/manifest")
[ "$lines" -eq 10 ] || fail "manifest has $lines lines, want 10 (one per name)"

# A sha256sum -c style parser: every line gives back a name that exists on the
# host, whose fsverity digest is the one listed.
n=0
while IFS= read -r line; do
	case $line in
	\\*) line=${line#\\}; escaped=1 ;;
	*) escaped=0 ;;
	esac
	digest=${line%% *}
	name=${line#* }
	if [ "$escaped" = 1 ]; then
		# Only \\, \n and \r occur: printf %b turns them back (x keeps a trailing newline).
		name=$(printf '%bx' "$name")
		name=${name%x}
	fi
	[ -f "$src$name" ] || fail "manifest name '$name' is not a file of the tree"
	ref=$(fsverity digest "$src$name" | head -n 1 | cut -d" " -f1)
	[ "$digest" = "$ref" ] || fail "'$name': $digest, fsverity digest says $ref"
	n=$((n + 1))
done <"$TMP/manifest"
[ "$n" -eq 10 ] || fail "parsed $n names"
# The three names of the hard link, each with the same digest.
[ "$(grep -c "$(fsverity digest "$src/linked" | cut -d' ' -f1)" "$TMP/manifest")" -eq 3 ] ||
	fail "the hard-linked file is not listed under its three names"
echo "manifest ok: $n names"
