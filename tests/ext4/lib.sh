# SPDX-License-Identifier: MIT
# Helpers for the ext4 image tests: sourced after tests/lib.sh.

# mke2fs, debugfs and e2fsck live in sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
export PATH
need mke2fs debugfs e2fsck tune2fs dumpe2fs fsverity od dd sha256sum cmp truncate

# The sizes every configuration is tried on: around 4 KiB blocks, the 64 KiB
# metadata alignment, 1 MiB + 1, and several MiB.
SIZES="0 1 4095 4096 4097 65535 65536 65537 1048577 3145851"

# mkfiles DIR [SIZES]: random files named after their sizes, plus a sparse one.
mkfiles() {
	mkdir -p "$1"
	for s in ${2:-$SIZES}; do
		head -c "$s" /dev/urandom >"$1/f$s"
	done
	# Holes: data at 0 and at 1.5 MiB, 2 MiB long.
	head -c 5000 /dev/urandom >"$1/sparse"
	head -c 3000 /dev/urandom | dd of="$1/sparse" bs=1 seek=1572864 conv=notrunc 2>/dev/null
	truncate -s 2097152 "$1/sparse"
}

# mkimg IMG FS_BLOCK_SIZE DIR SIZE [mke2fs options...]
mkimg() {
	_img=$1 _bs=$2 _dir=$3 _size=$4
	shift 4
	mke2fs -q -F -t ext4 -O verity -b "$_bs" -d "$_dir" "$@" "$_img" "$_size" >/dev/null 2>&1 ||
		fail "mke2fs $_img"
}

# fsck_clean IMG
fsck_clean() {
	e2fsck -fn "$1" >"$TMP/fsck.out" 2>&1 || fail "e2fsck -fn $1: $(cat "$TMP/fsck.out")"
}

# inode_flags IMG PATH: the inode's flags as a decimal number.
inode_flags() {
	_f=$(debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p')
	[ -n "$_f" ] || fail "debugfs stat $2 in $1"
	echo $((_f))
}

# has_verity IMG PATH: EXT4_VERITY_FL (0x100000) is set.
has_verity() {
	[ $(($(inode_flags "$1" "$2") & 0x100000)) -ne 0 ]
}

# pblk IMG PATH LBLK: the physical block behind a logical block.
pblk() {
	_p=$(debugfs -R "bmap $2 $3" "$1" 2>/dev/null)
	if [ -z "$_p" ] || [ "$_p" -le 0 ]; then
		fail "no block $3 of $2 in $1"
	fi
	echo "$_p"
}

# fs_block_size IMG
fs_block_size() {
	dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Block size: *//p'
}

# flip IMG OFFSET: invert one byte of the image.
flip() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $((255 - _b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# flip_file_byte IMG PATH FILE_OFFSET: invert the byte at a file offset (past EOF too).
flip_file_byte() {
	_bs=$(fs_block_size "$1")
	_pb=$(pblk "$1" "$2" $(($3 / _bs)))
	flip "$1" $((_pb * _bs + $3 % _bs))
}

# put_le32 IMG OFFSET VALUE
put_le32() {
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) $(($3 >> 8 & 255)) \
		$(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# one_line_error DESCRIPTION: the last expect_fail printed exactly one line.
one_line_error() {
	[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "$1: not one line of error: $(cat "$TMP/err")"
}

# refuse DESCRIPTION IMG PATTERN COMMAND...: the command fails with a one-line
# error matching PATTERN and the image's bytes do not change.
refuse() {
	_desc=$1 _img=$2 _pat=$3
	shift 3
	_before=$(sha256sum <"$_img")
	expect_fail "$_desc" "$@"
	one_line_error "$_desc"
	grep -q -- "$_pat" "$TMP/err" || fail "$_desc: error does not say '$_pat': $(cat "$TMP/err")"
	[ "$(sha256sum <"$_img")" = "$_before" ] || fail "$_desc: the image changed"
}
