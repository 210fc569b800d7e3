#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity enable refuses bad input with one line naming the image, the path
# and the reason, a non-zero exit, and the image bytes unchanged.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"

src=$TMP/src
mkdir -p "$src/dir"
head -c 100000 /dev/urandom >"$src/f"
head -c 100000 /dev/urandom >"$src/g"
ln -s f "$src/link"
img=$TMP/img
mkimg "$img" 4096 "$src" 8M
cp "$img" "$TMP/pristine"

# Not an ext4 image, or a missing one.
head -c 1048576 /dev/urandom >"$TMP/junk"
refuse "not an ext4 image" "$TMP/junk" "junk: not an ext4 filesystem image" \
	"$MBVERITY" enable --image="$TMP/junk" /f
expect_fail "missing image" "$MBVERITY" enable --image="$TMP/nothing" /f
one_line_error "missing image"
grep -q "nothing: cannot open the image" "$TMP/err" || fail "missing image: $(cat "$TMP/err")"

# Bad paths and kinds of files.
refuse "missing path" "$img" "img: /nope: no such file in the image" "$MBVERITY" enable --image="$img" /nope
refuse "relative path" "$img" "img: f: path inside the image must be absolute" \
	"$MBVERITY" enable --image="$img" f
refuse "directory" "$img" "img: /dir: is a directory" "$MBVERITY" enable --image="$img" /dir
refuse "symlink" "$img" "img: /link: not a regular file" "$MBVERITY" enable --image="$img" /link
refuse "one bad path among good ones" "$img" "/nope: no such file" \
	"$MBVERITY" enable --image="$img" /f /nope /g
refuse "the same file twice" "$img" "the same file is given twice" \
	"$MBVERITY" enable --image="$img" /f /f

# Tree block sizes the kernel cannot read.
refuse "512-byte tree blocks" "$img" "block size 512 cannot be read by the kernel" \
	"$MBVERITY" enable --block-size=512 --image="$img" /f
refuse "8 KiB tree blocks" "$img" "block size 8192 cannot be read by the kernel" \
	"$MBVERITY" enable --block-size=8192 --image="$img" /f
mkimg "$TMP/img1k" 1024 "$src" 8M
refuse "4 KiB tree blocks on a 1 KiB filesystem" "$TMP/img1k" "filesystem block size is 1024" \
	"$MBVERITY" enable --image="$TMP/img1k" /f
refuse "oversized signature" "$img" "over the kernel's 16128 bytes" \
	sh -c "head -c 16129 /dev/zero >'$TMP/bigsig' && '$MBVERITY' enable --signature='$TMP/bigsig' --image='$img' /f"

# Inodes fs-verity cannot take.
debugfs -w -R "set_inode_field /g flags 0x80800" "$img" >/dev/null 2>&1
refuse "encrypted inode" "$img" "img: /g: file is encrypted" "$MBVERITY" enable --image="$img" /g
debugfs -w -R "set_inode_field /g flags 0x80010" "$img" >/dev/null 2>&1
refuse "immutable inode" "$img" "img: /g: file is immutable" "$MBVERITY" enable --image="$img" /g
cp "$TMP/pristine" "$img"
mkimg "$TMP/noext" 4096 "$src" 8M -O ^extent,^64bit
refuse "inode without extents" "$TMP/noext" "file does not use extents" \
	"$MBVERITY" enable --image="$TMP/noext" /f
mkdir -p "$TMP/small"
echo "tiny" >"$TMP/small/t"
mkimg "$TMP/inline" 4096 "$TMP/small" 8M -O inline_data
[ $(($(inode_flags "$TMP/inline" /t) & 0x10000000)) -ne 0 ] || fail "mke2fs did not inline /t"
refuse "inline data" "$TMP/inline" "file has inline data" "$MBVERITY" enable --image="$TMP/inline" /t

# Already verity: EEXIST, as the kernel.
"$MBVERITY" enable --image="$img" /f || fail "enable /f failed"
refuse "already verity" "$img" "img: /f: file already has fs-verity" "$MBVERITY" enable --image="$img" /f
refuse "already verity, with others" "$img" "file already has fs-verity" \
	"$MBVERITY" enable --image="$img" /g /f
has_verity "$img" /g && fail "/g got verity although the command was refused"

# A filesystem without the verity feature: refuse, or --set-feature.
mke2fs -q -F -t ext4 -b 4096 -d "$src" "$TMP/nofeat" 8M >/dev/null 2>&1 || fail "mke2fs nofeat"
refuse "no verity feature" "$TMP/nofeat" "tune2fs -O verity" "$MBVERITY" enable --image="$TMP/nofeat" /f
"$MBVERITY" enable --set-feature --image="$TMP/nofeat" /f || fail "enable --set-feature failed"
dumpe2fs -h "$TMP/nofeat" 2>/dev/null | grep -q '^Filesystem features:.* verity' ||
	fail "--set-feature did not set the verity feature"
fsck_clean "$TMP/nofeat"
has_verity "$TMP/nofeat" /f || fail "--set-feature: no verity flag"

# A read-only image file: opening for writing fails (root ignores modes, so
# drop to nobody).
cp "$TMP/pristine" "$TMP/ro.img"
chmod 444 "$TMP/ro.img"
chmod 755 "$TMP"
if [ "$(id -u)" = 0 ]; then
	need setpriv
	refuse "read-only image" "$TMP/ro.img" "cannot open the image for writing" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$MBVERITY" enable --image="$TMP/ro.img" /f
else
	refuse "read-only image" "$TMP/ro.img" "cannot open the image for writing" \
		"$MBVERITY" enable --image="$TMP/ro.img" /f
fi

# Not enough free space: fill the filesystem to a few blocks, then ask for
# more metadata than fits.
mkdir -p "$TMP/full"
head -c 3000000 /dev/urandom >"$TMP/full/big"
mkimg "$TMP/full.img" 4096 "$TMP/full" 8M -m 0
free=$(dumpe2fs -h "$TMP/full.img" 2>/dev/null | sed -n 's/^Free blocks: *//p')
head -c $(((free - 4) * 4096)) /dev/urandom >"$TMP/filler"
debugfs -w -R "write $TMP/filler /filler" "$TMP/full.img" >/dev/null 2>&1
fsck_clean "$TMP/full.img"
refuse "no space" "$TMP/full.img" "full.img: /big: not enough free space" \
	"$MBVERITY" enable --image="$TMP/full.img" /big
# Space for the metadata but not the extent-tree margin is refused too.
debugfs -w -R "rm /filler" "$TMP/full.img" >/dev/null 2>&1
head -c $(((free - 24) * 4096)) /dev/urandom >"$TMP/filler"
debugfs -w -R "write $TMP/filler /filler" "$TMP/full.img" >/dev/null 2>&1
"$MBVERITY" enable --image="$TMP/full.img" /big || fail "enable with just enough space failed"
fsck_clean "$TMP/full.img"

# A truncated image: the superblock reads, the file data does not.
cp "$TMP/pristine" "$TMP/trunc.img"
pb=$(pblk "$TMP/trunc.img" /g 10)
truncate -s $((pb * 4096)) "$TMP/trunc.img"
refuse "truncated image" "$TMP/trunc.img" "trunc.img: image is truncated" \
	"$MBVERITY" enable --image="$TMP/trunc.img" /g

# A bad option leaves a usage message, and nothing changes.
before=$(sha256sum <"$img")
"$MBVERITY" enable --hash-alg=md5 --image="$img" /g 2>/dev/null && fail "--hash-alg=md5 accepted"
"$MBVERITY" enable --image="$img" 2>/dev/null && fail "enable without PATH accepted"
[ "$(sha256sum <"$img")" = "$before" ] || fail "a usage error changed the image"
exit 0
