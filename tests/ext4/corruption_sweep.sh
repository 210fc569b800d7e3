#!/bin/sh
# SPDX-License-Identifier: MIT
# Corruption sweep: every byte of each verity file's tree, descriptor,
# signature, size field and paddings, and a sample of its data and EOF tail,
# flipped one at a time; verify must fail every time and name the place
# (tests/ext4/corruption_sweep.c does the flipping, in place, in one process).
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need openssl
sweep=$top_builddir/tests/ext4/corruption_sweep

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-days 2 -subj "/CN=mbverity sweep throwaway" >/dev/null 2>&1 || fail "openssl key"

# 4 KiB filesystem blocks: SHA-256 and SHA-512 with 4 KiB tree blocks, a
# salt, 1 KiB tree blocks (partly filled filesystem blocks), a signature.
# Random bytes with no zero byte: a last block of one random byte is a zero
# 1 time in 256, and mke2fs -d makes an all-zero block a hole, which the
# sweep (flipping bytes of written blocks) cannot flip.
noise() {
	head -c "$1" /dev/urandom | tr '\000' '\001'
}
src=$TMP/src4
mkdir -p "$src"
for s in 1 4097 65537 300000; do
	for p in a s t; do
		noise $s >"$src/$p$s"
	done
done
noise 4097 >"$src/k4097"
noise 70000 >"$src/g70000"
mkimg "$TMP/img4" 4096 "$src" 8M
"$MBVERITY" enable --image="$TMP/img4" /a1 /a4097 /a65537 /a300000 || fail "enable sha256"
"$MBVERITY" enable --hash-alg=sha512 --image="$TMP/img4" /s1 /s4097 /s65537 /s300000 ||
	fail "enable sha512"
"$MBVERITY" enable --salt=5a17ed --image="$TMP/img4" /t1 /t4097 /t65537 /t300000 || fail "enable salted"
"$MBVERITY" enable --block-size=1024 --image="$TMP/img4" /k4097 || fail "enable 1 KiB tree blocks"
fsverity sign "$src/g70000" "$TMP/g.sig" --key="$TMP/key.pem" --cert="$TMP/cert.pem" >/dev/null ||
	fail "fsverity sign"
"$MBVERITY" enable --signature="$TMP/g.sig" --image="$TMP/img4" /g70000 || fail "enable signed"
cp "$TMP/img4" "$TMP/img4.orig"
"$sweep" "$TMP/img4" "$TMP/cert.pem" /a1 /a4097 /a65537 /a300000 /s1 /s4097 /s65537 /s300000 \
	/t1 /t4097 /t65537 /t300000 /k4097 /g70000 || fail "sweep of the 4 KiB image"
cmp -s "$TMP/img4" "$TMP/img4.orig" || fail "the sweep did not restore the 4 KiB image"

# 1 KiB filesystem blocks, 1 KiB tree blocks: trees of two and three levels.
src=$TMP/src1
mkdir -p "$src"
for s in 1 4097 65537 300000; do
	noise $s >"$src/b$s"
done
mkimg "$TMP/img1" 1024 "$src" 4M
"$MBVERITY" enable --block-size=1024 --image="$TMP/img1" /b1 /b4097 /b65537 /b300000 ||
	fail "enable on 1 KiB blocks"
cp "$TMP/img1" "$TMP/img1.orig"
"$sweep" "$TMP/img1" "$TMP/cert.pem" /b1 /b4097 /b65537 /b300000 ||
	fail "sweep of the 1 KiB image"
cmp -s "$TMP/img1" "$TMP/img1.orig" || fail "the sweep did not restore the 1 KiB image"
