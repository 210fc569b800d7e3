#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity verify names what is bad (data block, tree block, descriptor
# field, bytes after EOF); measure and dump_metadata refuse hostile metadata;
# none of them changes the image.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"

src=$TMP/src
mkdir -p "$src"
head -c 3145851 /dev/urandom >"$src/a"	# 769 blocks: tree at lblk 784-791, descriptor 792
head -c 65537 /dev/urandom >"$src/b"	# 2 KiB SHA-512 tree at lblk 32-33, descriptor 34
head -c 4000 /dev/urandom >"$src/c"	# one block: no tree, root = hash of block 0
: >"$src/e"
head -c 10000 /dev/urandom >"$src/plain"
img=$TMP/img
mkimg "$img" 4096 "$src" 16M
"$MBVERITY" enable --image="$img" /a /c /e || fail "enable a c e"
"$MBVERITY" enable --hash-alg=sha512 --block-size=2048 --salt=0102 --image="$img" /b || fail "enable b"
"$MBVERITY" verify --image="$img" >"$TMP/v.out" || fail "verify of a sound image failed"
[ "$(grep -c '^ok ' "$TMP/v.out")" -eq 4 ] || fail "verify: $(cat "$TMP/v.out")"
chmod 444 "$img"
"$MBVERITY" verify --image="$img" /a >/dev/null || fail "verify of a read-only image file failed"
chmod 644 "$img"

# bad NAME PATTERN FILE_OFFSET PATH: one flipped byte makes verify fail and say PATTERN.
bad() {
	cp "$img" "$TMP/bad.img"
	flip_file_byte "$TMP/bad.img" "$4" "$3"
	refuse "$1" "$TMP/bad.img" "$2" "$MBVERITY" verify --quiet --image="$TMP/bad.img" "$4"
}
bad "data byte" "bad.img: /a: data block 100 (byte 409600) does not match" $((100 * 4096 + 7)) /a
bad "last data byte" "/a: data block 768 " 3145850 /a
bad "leaf tree byte" "/a: tree level 0 block 2 does not match its hash in the level above" \
	$((787 * 4096 + 100)) /a
bad "top tree byte" "/a: tree level 1 block 0 does not match its hash in the descriptor" \
	$((784 * 4096 + 5)) /a
bad "tree padding byte" "/a: tree level 0 block 6 " $((791 * 4096 + 4000)) /a
bad "descriptor root_hash" "/a: descriptor field root_hash" $((792 * 4096 + 16 + 3)) /a
bad "descriptor data_size" "/a: descriptor field data_size" $((792 * 4096 + 8)) /a
bad "descriptor version" "/a: descriptor field version" $((792 * 4096)) /a
bad "descriptor reserved" "/a: descriptor field reserved" $((792 * 4096 + 200)) /a
bad "descriptor salt" "/b: descriptor field salt" $((34 * 4096 + 80)) /b
bad "2 KiB leaf tree block" "/b: tree level 0 block 1 " $((32 * 4096 + 4096 + 9)) /b
bad "2 KiB tree data block" "/b: data block 20 (byte 40960)" $((20 * 2048 + 1)) /b
bad "single-block file" "/c: data block 0 does not match the root hash" 10 /c
bad "empty file root_hash" "/e: descriptor field root_hash" 17 /e
bad "byte after EOF" "/b: bytes after EOF in the last data block (file block 16" 65600 /b

# verify with no PATH checks every verity file, names the bad one, fails.
cp "$img" "$TMP/bad.img"
flip_file_byte "$TMP/bad.img" /a 5
expect_fail "verify all" "$MBVERITY" verify --image="$TMP/bad.img"
grep -q '^mbverity: .*bad.img: /a: data block 0 ' "$TMP/err" || fail "verify all: $(cat "$TMP/err")"
[ "$(grep -c '^ok ' "$TMP/out")" -eq 3 ] || fail "verify all: the sound files: $(cat "$TMP/out")"

# Many files verified at once: the same output, in the same order, whatever
# the thread count; a large file (split across the pool) among small ones
# (verified ahead whole, each by one thread).
many=$TMP/many
mkdir -p "$many"
head -c $((5 * 1024 * 1024 + 11)) /dev/urandom >"$many/big"
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do head -c $((i * 3000 + 1)) /dev/urandom >"$many/s$i"; done
mkimg "$TMP/many.img" 4096 "$many" 32M
"$MBVERITY" enable --all "$TMP/many.img" >/dev/null || fail "enable --all many"
flip_file_byte "$TMP/many.img" /s3 2
flip_file_byte "$TMP/many.img" /big 5000000
flip_file_byte "$TMP/many.img" /s10 29000
for t in 1 2 3; do
	"$MBVERITY" verify --threads=$t --image="$TMP/many.img" >"$TMP/many.$t" 2>&1 && fail "verify many: --threads=$t passed"
	"$MBVERITY" verify --threads=$t --image="$TMP/many.img" /s9 /nope /s3 /big /s1 >"$TMP/paths.$t" 2>&1 &&
		fail "verify many PATHs: --threads=$t passed"
done
cmp "$TMP/many.1" "$TMP/many.2" || fail "verify many: threads 1 and 2 differ: $(diff "$TMP/many.1" "$TMP/many.2")"
cmp "$TMP/many.1" "$TMP/many.3" || fail "verify many: threads 1 and 3 differ"
cmp "$TMP/paths.1" "$TMP/paths.3" || fail "verify PATHs: threads 1 and 3 differ"
[ "$(grep -c '^ok ' "$TMP/many.1")" -eq 10 ] || fail "verify many: $(cat "$TMP/many.1")"
grep -n 'data block' "$TMP/many.1" | cut -d: -f4 | tr -d ' ' | tr '\n' ' ' | grep -qx '/big /s10 /s3 ' ||
	fail "verify many: bad files, in path order: $(cat "$TMP/many.1")"
sed 's/^ok [^ ]* //; s/^mbverity: [^ ]* \(\/[^:]*\):.*/\1/' "$TMP/paths.1" | tr '\n' ' ' |
	grep -qx '/s9 /nope /s3 /big /s1 ' || fail "verify PATHs: not in the order given: $(cat "$TMP/paths.1")"

# Hostile descriptor sizes, in the last 4 bytes of the last block.
for v in 16385 2147483647 4294967295; do
	cp "$img" "$TMP/h.img"
	pb=$(pblk "$TMP/h.img" /a 792)
	put_le32 "$TMP/h.img" $((pb * 4096 + 4092)) $v
	refuse "descriptor size $v: measure" "$TMP/h.img" "over the kernel's 16384" \
		"$MBVERITY" measure --image="$TMP/h.img" /a
	refuse "descriptor size $v: verify" "$TMP/h.img" "over the kernel's 16384" \
		"$MBVERITY" verify --image="$TMP/h.img" /a
	refuse "descriptor size $v: dump_metadata" "$TMP/h.img" "over the kernel's 16384" \
		"$MBVERITY" dump_metadata merkle_tree --image="$TMP/h.img" /a
done
for v in 0 255 16384; do
	cp "$img" "$TMP/h.img"
	pb=$(pblk "$TMP/h.img" /e 0)
	put_le32 "$TMP/h.img" $((pb * 4096 + 4092)) $v
	refuse "descriptor size $v of an empty file" "$TMP/h.img" "is invalid" \
		"$MBVERITY" measure --image="$TMP/h.img" /e
done
cp "$img" "$TMP/h.img"
pb=$(pblk "$TMP/h.img" /b 34)
put_le32 "$TMP/h.img" $((pb * 4096 + 4092)) 16000
refuse "descriptor before the metadata area" "$TMP/h.img" "before the metadata area" \
	"$MBVERITY" measure --image="$TMP/h.img" /b
cp "$img" "$TMP/h.img"
pb=$(pblk "$TMP/h.img" /a 792)
put_le32 "$TMP/h.img" $((pb * 4096 + 4092)) 8192
# The "descriptor" then starts in the tree's last block: random bytes, so the
# first field refused is version, or (1 time in 256) a later one.
refuse "descriptor size reaching into the tree" "$TMP/h.img" "/a: descriptor [a-z_]*:" \
	"$MBVERITY" measure --image="$TMP/h.img" /a

# Not verity: measure and dump_metadata refuse (ENODATA), verify too.
refuse "measure of a plain file" "$img" "img: /plain: file does not have fs-verity" \
	"$MBVERITY" measure --image="$img" /plain
refuse "dump_metadata of a plain file" "$img" "/plain: file does not have fs-verity" \
	"$MBVERITY" dump_metadata descriptor --image="$img" /plain
refuse "verify of a plain file" "$img" "/plain: file does not have fs-verity" \
	"$MBVERITY" verify --image="$img" /plain
refuse "measure of a directory" "$img" "img: /: is a directory" "$MBVERITY" measure --image="$img" /
refuse "measure of a missing file" "$img" "/nope: no such file" "$MBVERITY" measure --image="$img" /nope
expect_fail "unknown metadata type" "$MBVERITY" dump_metadata tree --image="$img" /a
grep -q "unknown metadata type 'tree'" "$TMP/err" || fail "unknown type: $(cat "$TMP/err")"

# A corrupt extent (metadata_csum off, so the extent itself is read).
mkimg "$TMP/x.img" 4096 "$src" 16M -O ^metadata_csum
"$MBVERITY" enable --image="$TMP/x.img" /b || fail "enable b (no csum)"
# shellcheck disable=SC2046
set -- $(debugfs -R 'imap /b' "$TMP/x.img" 2>/dev/null | sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
[ $# -eq 2 ] || fail "debugfs imap /b"
# i_block at inode offset 40: header (12 bytes), then the first extent's start_lo at +8.
put_le32 "$TMP/x.img" $(($1 * 4096 + $2 + 40 + 12 + 8)) 4000000000
refuse "extent outside the filesystem" "$TMP/x.img" "/b: corrupt extent" \
	"$MBVERITY" verify --image="$TMP/x.img" /b
refuse "extent outside the filesystem: enable" "$TMP/x.img" "/plain: file already\|/b: corrupt extent" \
	"$MBVERITY" enable --image="$TMP/x.img" /b
exit 0
