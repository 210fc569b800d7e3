#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity enable/measure/dump_metadata/verify on ext4 images against
# fsverity-utils, e2fsck and debugfs: 4 KiB and 1 KiB filesystem blocks,
# SHA-256/SHA-512, salts, tree blocks from 1 KiB to 4 KiB, sizes around
# every boundary, a sparse file, a signature.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"

SALT32=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# check_file IMG SRCDIR PATH OPTIONS...: the stored metadata of one enabled
# file equals fsverity-utils' for the same data.
check_file() {
	img=$1 _src=$2 p=$3
	shift 3
	fsverity digest "$@" --out-merkle-tree="$TMP/tree" --out-descriptor="$TMP/desc" \
		"$_src$p" >/dev/null || fail "fsverity digest $_src$p"
	"$MBVERITY" dump_metadata merkle_tree --image="$img" "$p" >"$TMP/mtree" ||
		fail "$img $p: dump_metadata merkle_tree failed"
	cmp -s "$TMP/mtree" "$TMP/tree" || fail "$img $p: Merkle tree differs from fsverity-utils'"
	"$MBVERITY" dump_metadata descriptor --image="$img" "$p" >"$TMP/mdesc" ||
		fail "$img $p: dump_metadata descriptor failed"
	cmp -s "$TMP/mdesc" "$TMP/desc" || fail "$img $p: descriptor differs from fsverity-utils'"
}

# check_set IMG SRCDIR "PATHS" OPTIONS...: flags, data (debugfs, one run for
# all files), digests (measure vs fsverity digest), then each file's metadata.
check_set() {
	img=$1 _src=$2 _paths=$3
	shift 3
	: >"$TMP/cmds"
	mkdir -p "$TMP/dumped"
	for p in $_paths; do
		echo "stat $p" >>"$TMP/cmds"
		echo "dump $p $TMP/dumped/$(echo "$p" | tr / _)" >>"$TMP/cmds"
	done
	debugfs -f "$TMP/cmds" "$img" 2>/dev/null | sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p' >"$TMP/flags"
	[ "$(grep -c . "$TMP/flags")" -eq "$(echo "$_paths" | wc -w)" ] || fail "$img: debugfs stat"
	while read -r fl; do
		[ $((fl & 0x100000)) -ne 0 ] || fail "$img: a file lacks the verity flag ($fl)"
	done <"$TMP/flags"
	for p in $_paths; do
		cmp -s "$TMP/dumped/$(echo "$p" | tr / _)" "$_src$p" || fail "$img $p: data changed"
	done
	rm -rf "$TMP/dumped"
	# shellcheck disable=SC2086
	"$MBVERITY" measure --image="$img" $_paths >"$TMP/measure" || fail "$img: measure failed"
	for p in $_paths; do
		fsverity digest "$@" "$_src$p" | sed "s|$_src||"
	done >"$TMP/digest"
	cmp -s "$TMP/measure" "$TMP/digest" ||
		fail "$img: measure differs from fsverity digest: $(diff "$TMP/measure" "$TMP/digest")"
	for p in $_paths; do
		check_file "$img" "$_src" "$p" "$@"
	done
}

# enable_set IMG SRCDIR SUBDIR OPTIONS...: enable every file of a subdirectory, check each.
enable_set() {
	img=$1 _set=$2 sub=$3
	shift 3
	paths=
	for f in "$_set/$sub"/*; do
		paths="$paths /$sub/${f##*/}"
	done
	# shellcheck disable=SC2086
	"$MBVERITY" enable "$@" --image="$img" $paths || fail "$img: enable $sub ($*) failed"
	check_set "$img" "$_set" "$paths" "$@"
}

# --- 4 KiB filesystem blocks ---------------------------------------------------
src=$TMP/src4
for sub in def s512 salt t1k t2k; do
	mkfiles "$src/$sub"
done
head -c 5242887 /dev/urandom >"$src/def/several_mib"
mkimg "$TMP/img4" 4096 "$src" 40M
enable_set "$TMP/img4" "$src" def
enable_set "$TMP/img4" "$src" s512 --hash-alg=sha512
enable_set "$TMP/img4" "$src" salt --salt="$SALT32"
enable_set "$TMP/img4" "$src" t1k --block-size=1024
enable_set "$TMP/img4" "$src" t2k --block-size=2048 --hash-alg=sha512 --salt=abcdef
fsck_clean "$TMP/img4"
"$MBVERITY" verify --image="$TMP/img4" >"$TMP/verify.out" 2>"$TMP/verify.err" ||
	fail "verify of the 4 KiB image failed: $(cat "$TMP/verify.err")"
n=$(grep -c '^ok ' "$TMP/verify.out")
[ "$n" -eq 56 ] || fail "verify listed $n files, want 56"
grep -q '^ok sha512:[0-9a-f]\{128\} /s512/f65537$' "$TMP/verify.out" ||
	fail "verify does not print 'ok DIGEST PATH' lines"

# The worked example of DESIGN.md: i_size 524289 on 4 KiB blocks.
mkdir -p "$TMP/we"
head -c 524289 /dev/urandom >"$TMP/we/f"
mkimg "$TMP/we.img" 4096 "$TMP/we" 8M
"$MBVERITY" enable --image="$TMP/we.img" /f || fail "enable of the worked example failed"
ex=$(debugfs -R 'ex /f' "$TMP/we.img" 2>/dev/null | awk 'NR > 1 { print $5 "-" $7 }' | tr '\n' ' ')
case $ex in
"0-128 144-147 " | "0-147 ") ;;
*) fail "worked example: extents are '$ex', want data 0-128 and metadata 144-147" ;;
esac
# The descriptor size (256) sits in the last 4 bytes of block 147 (byte 606204).
pb=$(pblk "$TMP/we.img" /f 147)
sz=$(od -An -tu4 -j $((pb * 4096 + 4092)) -N4 "$TMP/we.img" | tr -d ' ')
[ "$sz" = 256 ] || fail "worked example: le32 at byte 606204 is '$sz', want 256"
blocks=$(debugfs -R 'stat /f' "$TMP/we.img" 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p')
[ "$blocks" = $(((129 + 4) * 8)) ] || fail "worked example: i_blocks $blocks, want $(((129 + 4) * 8))"

# --- 1 KiB filesystem blocks: tree blocks of 1 KiB only -----------------------------
src=$TMP/src1
mkfiles "$src/a"
mkfiles "$src/b"
mkimg "$TMP/img1" 1024 "$src" 24M
enable_set "$TMP/img1" "$src" a --block-size=1024
enable_set "$TMP/img1" "$src" b --block-size=1024 --hash-alg=sha512 --salt="$SALT32"
fsck_clean "$TMP/img1"
"$MBVERITY" verify --quiet --image="$TMP/img1" || fail "verify of the 1 KiB image failed"

# --- a built-in signature is stored after the descriptor ---------------------------------
mkdir -p "$TMP/sg"
head -c 70000 /dev/urandom >"$TMP/sg/f"
# A real signature: enable refuses bytes the kernel would refuse (sign_refuse.sh).
need openssl
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/sg.key" -out "$TMP/sg.crt" -subj /CN=test \
	-days 1 2>/dev/null || fail "openssl req"
"$MBVERITY" sign "$TMP/sg/f" "$TMP/sig.der" --key="$TMP/sg.key" --cert="$TMP/sg.crt" >/dev/null ||
	fail "sign"
sig_size=$(wc -c <"$TMP/sig.der")
mkimg "$TMP/sg.img" 4096 "$TMP/sg" 8M
"$MBVERITY" enable --signature="$TMP/sig.der" --image="$TMP/sg.img" /f || fail "enable --signature failed"
check_set "$TMP/sg.img" "$TMP/sg" /f
"$MBVERITY" dump_metadata signature --image="$TMP/sg.img" /f >"$TMP/sig.out" || fail "dump_metadata signature failed"
cmp -s "$TMP/sig.out" "$TMP/sig.der" || fail "stored signature differs"
"$MBVERITY" dump_metadata signature --image="$TMP/sg.img" /f --offset=$((sig_size - 77)) --length=1000 \
	>"$TMP/sig.part"
[ "$(wc -c <"$TMP/sig.part")" -eq 77 ] || fail "dump_metadata --offset/--length"
fsck_clean "$TMP/sg.img"
"$MBVERITY" verify --image="$TMP/sg.img" /f >/dev/null || fail "verify of a signed file failed"
# Without a signature: ENODATA, as the kernel.
expect_fail "signature of an unsigned file" "$MBVERITY" dump_metadata signature --image="$TMP/we.img" /f
grep -q 'no built-in signature' "$TMP/err" || fail "unsigned: $(cat "$TMP/err")"

# --- dump_metadata --offset/--length on the tree -----------------------------------------
fsverity digest --block-size=1024 --out-merkle-tree="$TMP/t" "$src/a/f3145851" >/dev/null
"$MBVERITY" dump_metadata merkle_tree --image="$TMP/img1" /a/f3145851 --offset=5000 --length=3000 >"$TMP/tp"
dd if="$TMP/t" bs=1 skip=5000 count=3000 2>/dev/null | cmp -s - "$TMP/tp" ||
	fail "dump_metadata merkle_tree --offset --length"

# --- bytes after EOF in the last block are zeroed by enable (they are not data) ---------
mkdir -p "$TMP/tl"
head -c 5000 /dev/urandom >"$TMP/tl/f"
mkimg "$TMP/tl.img" 4096 "$TMP/tl" 8M
flip_file_byte "$TMP/tl.img" /f 6000
"$MBVERITY" verify --image="$TMP/tl.img" /f >/dev/null 2>&1 && fail "verify of a non-verity file succeeded"
"$MBVERITY" enable --image="$TMP/tl.img" /f || fail "enable with a dirty EOF tail failed"
pb=$(pblk "$TMP/tl.img" /f 1)
[ "$(od -An -tx1 -j $((pb * 4096 + 904)) -N 3192 -v "$TMP/tl.img" | tr -d ' 0\n')" = "" ] ||
	fail "enable left bytes after EOF"
check_set "$TMP/tl.img" "$TMP/tl" /f
"$MBVERITY" verify --image="$TMP/tl.img" /f >/dev/null || fail "verify after zeroing the tail"
exit 0
