#!/bin/sh
# SPDX-License-Identifier: MIT
# Limits: images that are not ext4 or are cut short, a file near ext4's
# 16 TiB limit and one claiming to be past it, names of 255 bytes and paths
# longer than PATH_MAX, and verify streaming through 100,000 verity files in
# bounded memory.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need cmp truncate seq xargs
M=$MBVERITY

# Under ASan, RSS means nothing and every step is slower: fewer files.
asan=false
! nm "$M" 2>/dev/null | grep -q __asan_init || asan=true

# bad_image DESCRIPTION IMG: every command fails on it with one-line errors
# "mbverity: IMG: ...", never dies of a signal, and leaves it byte for byte.
bad_image() {
	_d=$1 _i=$2
	cp "$_i" "$TMP/before" 2>/dev/null || : >"$TMP/before"
	for _cmd in "enable --block-size=1024 --image=$_i /a /b" "measure --image=$_i /a /b" "verify --image=$_i" \
		"dump_metadata merkle_tree --image=$_i /b" "dump_metadata signature --image=$_i /a"; do
		# shellcheck disable=SC2086
		expect_fail "$_d: $_cmd" "$M" $_cmd
		if grep -v "^mbverity: $_i: [^ ]" "$TMP/err" >/dev/null; then
			fail "$_d: $_cmd: not of the form 'mbverity: $_i: ...': $(cat "$TMP/err")"
		fi
		[ "$(wc -l <"$TMP/err")" -le 2 ] || fail "$_d: $_cmd: more than a line per file"
		[ ! -f "$_i" ] || cmp -s "$_i" "$TMP/before" || fail "$_d: $_cmd changed the image"
	done
}

# --- not ext4 at all, or cut short -------------------------------------------------
mkdir -p "$TMP/src"
echo hello >"$TMP/src/a"
head -c 100000 /dev/urandom >"$TMP/src/b"
mkimg "$TMP/good.img" 1024 "$TMP/src" 4M
"$M" enable --block-size=1024 --image="$TMP/good.img" /a /b || fail "enable of the good image"
head -c 1048576 /dev/urandom >"$TMP/random.img"
head -c 1048576 /dev/zero >"$TMP/zeros.img"
: >"$TMP/empty.img"
cp "$top_srcdir/tests/lib.sh" "$TMP/text.img"
bad_image "random bytes" "$TMP/random.img"
bad_image "zeros" "$TMP/zeros.img"
bad_image "an empty file" "$TMP/empty.img"
bad_image "a text file" "$TMP/text.img"
bad_image "no such file" "$TMP/missing.img"
bad_image "a directory" "$TMP/src"
# Cut inside the superblock, after it, and where the files' blocks are.
for cut in 512 2048 65536 300000; do
	cp "$TMP/good.img" "$TMP/cut$cut.img"
	truncate -s $cut "$TMP/cut$cut.img"
	bad_image "image cut at $cut bytes" "$TMP/cut$cut.img"
done
# Cut after the files: reading still works, writing is refused.
cp "$TMP/good.img" "$TMP/tail.img"
truncate -s 3000000 "$TMP/tail.img"
"$M" verify --quiet --image="$TMP/tail.img" || fail "verify of an image cut after its files"
refuse "enable on an image cut short" "$TMP/tail.img" "truncated" \
	"$M" enable --block-size=1024 --image="$TMP/tail.img" /a
echo "not ext4, empty, missing, a directory, cut at 4 places: one-line errors, images unchanged"

# --- near ext4's 16 TiB limit (4 KiB blocks) ---------------------------------------
mkdir -p "$TMP/big"
truncate -s $((17592186044416 - 4096)) "$TMP/big/huge"
echo small >"$TMP/big/small"
echo claims >"$TMP/big/claims"
mkimg "$TMP/big.img" 4096 "$TMP/big" 16M
refuse "enable of a 16 TiB - 4 KiB file" "$TMP/big.img" "too large" "$M" enable --image="$TMP/big.img" /huge
# An i_size past what ext4 can address, and a verity flag on a file of holes.
debugfs -w -R "sif /claims size 0x100000000000" "$TMP/big.img" >/dev/null 2>&1
debugfs -w -R "sif /huge flags 0x180000" "$TMP/big.img" >/dev/null 2>&1
for cmd in "enable --image=$TMP/big.img /claims" "measure --image=$TMP/big.img /claims" \
	"verify --image=$TMP/big.img /claims" "measure --image=$TMP/big.img /huge" "verify --image=$TMP/big.img /huge" \
	"dump_metadata merkle_tree --image=$TMP/big.img /huge"; do
	# shellcheck disable=SC2086
	refuse "$cmd" "$TMP/big.img" "^mbverity: $TMP/big.img: /" "$M" $cmd
done
"$M" enable --image="$TMP/big.img" /small || fail "enable next to a 16 TiB file"
"$M" verify --quiet --image="$TMP/big.img" /small || fail "verify next to a 16 TiB file"
echo "16 TiB - 4 KiB file refused, hostile i_size and flag: one-line errors"

# --- 255-byte names, paths past PATH_MAX ---------------------------------------------
n255=$(printf 'n%.0s' $(seq 1 255))
d255=$(printf 'd%.0s' $(seq 1 255))
mkdir -p "$TMP/names/$d255/$d255"
echo name >"$TMP/names/$n255"
echo nested >"$TMP/names/$d255/$d255/$n255"
mkimg "$TMP/names.img" 4096 "$TMP/names" 16M
# 17 directories of 255 bytes, a path of 4354 bytes: made by debugfs, one
# directory at a time (the host's shell cannot cd that deep).
d253=$(echo "$d255" | cut -c3-)
echo deep >"$TMP/deepfile"
deep=
for i in $(seq 10 26); do
	deep="$deep/$i$d253"
	printf 'mkdir %s\ncd %s\n' "$i$d253" "$i$d253"
done >"$TMP/debugfs.cmd"
echo "write $TMP/deepfile f" >>"$TMP/debugfs.cmd"
debugfs -w -f "$TMP/debugfs.cmd" "$TMP/names.img" >/dev/null 2>&1 || fail "debugfs deep tree"
fsck_clean "$TMP/names.img"
"$M" enable --image="$TMP/names.img" "/$n255" "/$d255/$d255/$n255" "$deep/f" ||
	fail "enable with 255-byte names"
"$M" measure --image="$TMP/names.img" "/$d255/$d255/$n255" >"$TMP/out" || fail "measure, 255-byte names"
grep -q "^sha256:[0-9a-f]\{64\} /$d255/$d255/$n255\$" "$TMP/out" || fail "measure output"
"$M" dump_metadata descriptor --image="$TMP/names.img" "/$n255" | cmp -s - /dev/null &&
	fail "dump_metadata with a 255-byte name"
"$M" verify --image="$TMP/names.img" >"$TMP/out" || fail "verify, 255-byte names"
[ "$(grep -c '^ok ' "$TMP/out")" -eq 3 ] || fail "verify did not check 3 files: $(cat "$TMP/out")"
# The 4 KiB+ path is named by inode number instead.
grep -q '^ok sha256:[0-9a-f]* <inode [0-9]*>$' "$TMP/out" || fail "the deep file is not named <inode N>"
refuse "a 256-byte name" "$TMP/names.img" "no such file" "$M" measure --image="$TMP/names.img" "/${n255}x"
echo "255-byte names and a 4354-byte path: enable, measure, dump_metadata, verify"

# --- 100,000 verity files: verify streams in bounded memory ---------------------------
many() { # many DIR COUNT: COUNT empty files in directories of 1000
	_n=0
	while [ $_n -lt "$2" ]; do
		mkdir -p "$1/$_n"
		(cd "$1/$_n" && seq 1 $(($2 - _n < 1000 ? $2 - _n : 1000)) | xargs touch)
		_n=$((_n + 1000))
	done
}
count=100000
! $asan || count=20000
for n in 1000 $count; do
	many "$TMP/many$n" $n
	mke2fs -q -F -t ext4 -O verity,^has_journal -b 1024 -N $((n + 500)) -d "$TMP/many$n" \
		"$TMP/many$n.img" $((n * 3 / 2 + 8192))K >/dev/null 2>&1 || fail "mke2fs of $n files"
	got=$("$top_builddir/tests/ext4/limits_many" "$TMP/many$n.img") || fail "enable of $n files"
	[ "$got" = $n ] || fail "enabled $got files, not $n"
	rm -rf "$TMP/many$n"
	/usr/bin/time -f %M -o "$TMP/rss$n" "$M" verify --image="$TMP/many$n.img" >"$TMP/out$n" ||
		fail "verify of $n files"
	[ "$(grep -c '^ok ' "$TMP/out$n")" -eq $n ] || fail "verify did not check $n files"
done
rss_small=$(cat "$TMP/rss1000") rss_big=$(cat "$TMP/rss$count")
echo "verify peak RSS: $rss_small KiB for 1000 files, $rss_big KiB for $count"
# Paths and inode numbers are collected first (~40 bytes a file); nothing else grows.
if ! $asan; then
	[ "$rss_big" -lt 32768 ] || fail "verify of $count files peaked at $rss_big KiB"
	[ $((rss_big - rss_small)) -lt 16384 ] || fail "verify memory grows with the file count"
fi
