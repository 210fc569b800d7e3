#!/bin/sh
# SPDX-License-Identifier: MIT
# Seed corpora for the fuzz targets: tests/fuzz/make-corpus.sh OUTDIR
# makes OUTDIR/image and OUTDIR/tree (small ext4 images with verity files,
# made by mke2fs -d and mbverity enable) and OUTDIR/desc (descriptors and
# signatures as stored, behind the 16-byte header fuzz_desc.c reads).
# Needs $MBVERITY, mke2fs, fsverity, openssl.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
: "${MBVERITY:?set MBVERITY to the mbverity program}"
PATH=$PATH:/usr/sbin:/sbin
key=$here/key.pem cert=$here/cert.pem
work=$(mktemp -d "${TMPDIR:-/tmp}/mbv-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/image" "$out/tree" "$out/desc"

# le BYTES VALUE: VALUE little-endian in BYTES bytes.
le() {
	_n=$1 _v=$2 _s=
	while [ "$_n" -gt 0 ]; do
		_s="$_s\\$(printf %03o $((_v & 255)))"
		_v=$((_v >> 8))
		_n=$((_n - 1))
	done
	# shellcheck disable=SC2059
	printf "$_s"
}

# enable IMG PATH OPTIONS...
enable() {
	_img=$1 _p=$2
	shift 2
	"$MBVERITY" enable "$@" --image="$_img" "$_p" >/dev/null
}

# signed IMG SRC PATH OPTIONS...: enable with a signature from `fsverity sign`.
signed() {
	_img=$1 _src=$2 _p=$3
	shift 3
	fsverity sign "$_src$_p" "$work/sig" --key="$key" --cert="$cert" "$@" >/dev/null
	enable "$_img" "$_p" --signature="$work/sig" "$@"
}

# image NAME FS_BLOCK_SIZE SIZE [mke2fs options...]: the files every image holds.
image() {
	_name=$1 _bs=$2 _size=$3
	shift 3
	src=$work/src-$_name
	mkdir -p "$src/d"
	: >"$src/f0"
	head -c 1 /dev/urandom >"$src/f1"
	head -c 4097 /dev/urandom >"$src/f4097"
	head -c 5000 /dev/urandom >"$src/f5000"
	head -c 3000 /dev/urandom >"$src/salted"
	head -c 2000 /dev/urandom >"$src/signed"
	head -c 3000 /dev/urandom >"$src/plain"
	head -c 700 /dev/urandom >"$src/d/f"
	ln -s f1 "$src/link"
	[ "$_bs" = 4096 ] || head -c 40000 /dev/urandom >"$src/f40000"
	img=$work/$_name.img
	mke2fs -q -F -t ext4 -O verity,^has_journal -b "$_bs" -N 24 -d "$src" "$@" \
		"$img" "$_size" >/dev/null 2>&1
	tb=$_bs
	[ "$_bs" -le 4096 ] || tb=4096
	enable "$img" /f0 --block-size="$tb"
	enable "$img" /f1 --block-size="$tb"
	enable "$img" /f4097 --block-size=1024
	enable "$img" /f5000 --block-size="$tb" --hash-alg=sha512
	enable "$img" /salted --block-size="$tb" --salt=0011223344556677889900aabbccddeeff
	enable "$img" /d/f --block-size="$tb"
	signed "$img" "$src" /signed --block-size="$tb"
	[ "$_bs" = 4096 ] || enable "$img" /f40000 --block-size=1024
	cp "$img" "$out/image/$_name"
	cp "$img" "$out/tree/$_name"
}

image k1 1024 160K -O ^metadata_csum
image k1csum 1024 160K
image k4 4096 256K -O ^metadata_csum

# desc NAME FS_BLOCK_BITS FILE SIGFILE|- OPTIONS...: a stored descriptor seed.
desc() {
	_name=$1 _bits=$2 _file=$3 _sig=$4
	shift 4
	fsverity digest "$_file" --out-descriptor="$work/desc" --out-merkle-tree="$work/tree" \
		"$@" >/dev/null
	_size=$(stat -c %s "$_file")
	_tree=$(stat -c %s "$work/tree")
	_bs=$((1 << _bits))
	_sigsize=0
	[ "$_sig" = - ] || _sigsize=$(stat -c %s "$_sig")
	{
		le 1 $((_bits - 10))
		le 1 0
		le 6 "$_size"
		le 4 $(((_tree + _bs - 1) / _bs))
		le 4 0
		head -c 4 "$work/desc"
		le 4 "$_sigsize"
		tail -c +9 "$work/desc"
		[ "$_sig" = - ] || cat "$_sig"
	} >"$out/desc/$_name"
}

head -c 100000 /dev/urandom >"$work/data"
desc plain 12 "$work/data" -
desc sha512 12 "$work/data" - --hash-alg=sha512
desc salted 12 "$work/data" - --salt=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
desc t1k 10 "$work/data" - --block-size=1024
desc empty 12 /dev/null -
fsverity sign "$work/data" "$work/sig" --key="$key" --cert="$cert" >/dev/null
desc signed 12 "$work/data" "$work/sig"
fsverity sign "$work/data" "$work/sig512" --key="$key" --cert="$cert" --hash-alg=sha512 \
	--block-size=1024 >/dev/null
desc signed512 10 "$work/data" "$work/sig512" --hash-alg=sha512 --block-size=1024
