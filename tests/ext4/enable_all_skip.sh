#!/bin/sh
# SPDX-License-Identifier: MIT
# enable --all goes past the files the kernel would refuse (append-only,
# immutable, inline data, block-mapped): one line each naming the file and
# why, a count at the end, exit 0, and every other file enabled.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"

src=$TMP/src
mkdir -p "$src/d"
head -c 70000 /dev/urandom >"$src/a-big"
head -c 5000 /dev/urandom >"$src/append"
head -c 5000 /dev/urandom >"$src/immutable"
head -c 30 /dev/urandom >"$src/d/tiny"		# inline on an inline_data filesystem
head -c 9000 /dev/urandom >"$src/d/z-last"
: >"$src/empty"

# flags IMG PATH MASK: set these inode flags (with debugfs, no root needed).
set_flags() {
	debugfs -w -R "set_inode_field $2 flags $(printf 0x%x $(($(inode_flags "$1" "$2") | $3)))" \
		"$1" >/dev/null 2>&1 || fail "debugfs set flags on $2"
}

# check_run IMG WANT_ENABLED WANT_SKIPPED SKIPPED_PATH:REASON...
check_run() {
	_img=$1 _en=$2 _sk=$3
	shift 3
	_st=0
	"$MBVERITY" enable --all "$_img" --threads=2 >"$TMP/out" 2>"$TMP/err" || _st=$?
	[ "$_st" -eq 0 ] || fail "enable --all $_img: exit $_st: $(cat "$TMP/err")"
	grep -qx "$_img: $_en files enabled, $_sk skipped; .* hashed in .*s" "$TMP/out" ||
		fail "enable --all $_img: count: $(cat "$TMP/out")"
	[ "$(wc -l <"$TMP/err")" -eq "$#" ] || fail "enable --all $_img: stderr: $(cat "$TMP/err")"
	for _want; do
		_p=${_want%%:*}
		grep -qx "mbverity: $_img: $_p: skipped: ${_want#*:}" "$TMP/err" ||
			fail "no skip line for $_p (${_want#*:}): $(cat "$TMP/err")"
		has_verity "$_img" "$_p" && fail "skipped $_p has fs-verity"
		# debugfs 1.47.0 prints all 60 bytes of an inline file: i_size first.
		debugfs -R "cat $_p" "$_img" 2>/dev/null | head -c "$(wc -c <"$src$_p")" |
			cmp -s - "$src$_p" || fail "$_p data changed"
	done
	fsck_clean "$_img"
}

# check_enabled IMG PATH...: verity, with the digest fsverity computes.
check_enabled() {
	_img=$1
	shift
	for _p; do
		_want=$(fsverity digest "$src$_p" | cut -d' ' -f1)
		_got=$("$MBVERITY" measure --image="$_img" "$_p") || fail "$_p is not verity in $_img"
		[ "${_got%% *}" = "$_want" ] || fail "$_p: $_got, want $_want"
	done
}

# Append-only and immutable files, and an inline_data filesystem.
img=$TMP/inline.img
mkimg "$img" 4096 "$src" 16M -O inline_data
[ $(($(inode_flags "$img" /d/tiny) & 0x10000000)) -ne 0 ] || fail "/d/tiny is not inline"
set_flags "$img" /append 0x20
set_flags "$img" /immutable 0x10
cp "$img" "$TMP/before.img"
check_run "$img" 2 4 "/append:file is append-only" "/immutable:file is immutable" \
	"/d/tiny:file has inline data (not converted to extents offline)" \
	"/empty:file has inline data (not converted to extents offline)"
check_enabled "$img" /a-big /d/z-last
# Again: nothing to do, the same skips, the image unchanged.
cp "$img" "$TMP/again.img"
"$MBVERITY" enable --all "$img" >"$TMP/out" 2>"$TMP/err" || fail "a second enable --all"
grep -qx "$img: 0 files enabled, 4 skipped, 2 had fs-verity already; 0 bytes hashed in .*s" "$TMP/out" ||
	fail "second run count: $(cat "$TMP/out")"
cmp "$img" "$TMP/again.img" || fail "a second enable --all changed the image"
# --quiet: no count, the skip lines still.
cp "$TMP/before.img" "$img"
"$MBVERITY" enable --all --quiet "$img" >"$TMP/out" 2>"$TMP/err" || fail "enable --all --quiet"
[ ! -s "$TMP/out" ] || fail "--quiet printed: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/err")" -eq 4 ] || fail "--quiet: skip lines: $(cat "$TMP/err")"

# Block-mapped files: made without extents, then the feature turned on.
img=$TMP/blockmap.img
mkimg "$img" 4096 "$src" 16M -O ^extent,^64bit
tune2fs -O extent "$img" >/dev/null 2>&1 || fail "tune2fs -O extent"
head -c 4000 /dev/urandom >"$TMP/new"
debugfs -w -R "write $TMP/new /new" "$img" >/dev/null 2>&1 || fail "debugfs write"
cp "$TMP/new" "$src/new"
[ $(($(inode_flags "$img" /new) & 0x80000)) -ne 0 ] || fail "/new does not use extents"
check_run "$img" 1 6 "/a-big:file is block-mapped (no extents)" \
	"/append:file is block-mapped (no extents)" "/immutable:file is block-mapped (no extents)" \
	"/d/tiny:file is block-mapped (no extents)" "/d/z-last:file is block-mapped (no extents)" \
	"/empty:file is block-mapped (no extents)"
check_enabled "$img" /new

# A real failure still fails: a file the walk lists but enable cannot take.
img=$TMP/noverity.img
mke2fs -q -F -t ext4 -d "$src" "$img" 16M >/dev/null 2>&1 || fail "mke2fs"
cp "$img" "$TMP/noverity.before"
expect_fail "no verity feature" "$MBVERITY" enable --all "$img"
cmp "$img" "$TMP/noverity.before" || fail "a refused enable --all changed the image"
echo "enable --all skips ok"
