#!/bin/sh
# SPDX-License-Identifier: MIT
# mkfs for image builders: mke2fs found without /usr/sbin in PATH (or given
# by --mke2fs), mke2fs options passed through (--mke2fs-option), and the
# options mkfs cannot take refused before anything is made.
. "${srcdir:-.}/tests/lib.sh"
need mke2fs dumpe2fs debugfs e2fsck

src=$TMP/src
mkdir -p "$src/d"
head -c 200000 /dev/urandom >"$src/a"
echo small >"$src/d/b"
mke2fs=$(command -v mke2fs)

# A normal user's PATH: no /usr/sbin, no /sbin.
case $mke2fs in
/usr/sbin/* | /sbin/*) ;;
*) fail "mke2fs is at $mke2fs, not in /usr/sbin or /sbin: this test would prove nothing" ;;
esac
env PATH=/usr/bin:/bin "$MBVERITY" mkfs -d "$src" "$TMP/user.img" >"$TMP/out" 2>"$TMP/err" ||
	fail "mkfs with PATH=/usr/bin:/bin: $(cat "$TMP/err")"
e2fsck -fn "$TMP/user.img" >/dev/null 2>&1 || fail "e2fsck on the image made without /usr/sbin in PATH"

# --mke2fs=PATH with an empty PATH; a missing one is one line.
env PATH= "$MBVERITY" mkfs -d "$src" "$TMP/given.img" --mke2fs="$mke2fs" >/dev/null 2>"$TMP/err" ||
	fail "mkfs --mke2fs=$mke2fs: $(cat "$TMP/err")"
expect_fail "--mke2fs=/nonexistent" "$MBVERITY" mkfs -d "$src" "$TMP/no.img" --mke2fs=/nonexistent
grep -q "cannot run mke2fs '/nonexistent'" "$TMP/err" || fail "--mke2fs=/nonexistent: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "--mke2fs=/nonexistent: more than one line: $(cat "$TMP/err")"
[ ! -e "$TMP/no.img" ] || fail "--mke2fs=/nonexistent left an image"
expect_fail "no mke2fs anywhere" env PATH=/nonexistent "$MBVERITY" mkfs -d "$src" "$TMP/no.img" \
	--mke2fs-option=-q --mke2fs=/bin/false-not-there
[ ! -e "$TMP/no.img" ] || fail "a failed mkfs left an image"

# Options reach the image: -E root_owner (as one word and as two), -N, -m,
# and -E merged with --uuid's hash seed (mke2fs keeps only its last -E).
uuid=0b4c2d3e-1111-2222-3333-444455556666
"$MBVERITY" mkfs -d "$src" "$TMP/o.img" --uuid=$uuid --mke2fs-option='-E root_owner=0:0' \
	--mke2fs-option=-N --mke2fs-option=4096 --mke2fs-option=-m0 >/dev/null 2>"$TMP/err" ||
	fail "mkfs --mke2fs-option: $(cat "$TMP/err")"
dumpe2fs -h "$TMP/o.img" 2>/dev/null | grep -q '^Inode count: *4096$' ||
	fail "-N 4096 did not reach the image: $(dumpe2fs -h "$TMP/o.img" 2>/dev/null | grep 'Inode count')"
dumpe2fs -h "$TMP/o.img" 2>/dev/null | grep -q '^Reserved block count: *0$' || fail "-m0 did not reach the image"
dumpe2fs -h "$TMP/o.img" 2>/dev/null | grep -qi "^Directory Hash Seed: *$uuid$" ||
	fail "--uuid's hash seed lost beside a user's -E"
debugfs -R "stat /" "$TMP/o.img" 2>/dev/null | grep -q 'User: *0 *Group: *0 ' ||
	fail "-E root_owner=0:0 did not reach the image"
"$MBVERITY" mkfs -d "$src" "$TMP/o2.img" --mke2fs-option=-Eroot_owner=4321:8765 >/dev/null 2>&1 ||
	fail "mkfs --mke2fs-option=-Eroot_owner=4321:8765"
debugfs -R "stat /" "$TMP/o2.img" 2>/dev/null | grep -q 'User: *4321 *Group: *8765 ' ||
	fail "-Eroot_owner=4321:8765 did not reach the image"
"$MBVERITY" measure --image="$TMP/o2.img" /a >/dev/null 2>&1 || fail "/a has no fs-verity after mkfs with options"
e2fsck -fn "$TMP/o.img" >/dev/null 2>&1 || fail "e2fsck on the image made with mke2fs options"
# A user's -N far above what the tree needs still fits: the image is sized for it.
"$MBVERITY" mkfs -d "$src" "$TMP/n.img" --mke2fs-option='-N 60000' >/dev/null 2>"$TMP/err" ||
	fail "mkfs with -N 60000: $(cat "$TMP/err")"
e2fsck -fn "$TMP/n.img" >/dev/null 2>&1 || fail "e2fsck after -N 60000"

# What mkfs cannot take: usage errors (exit 2) before anything is made.
for bad in "-b 1024" "-d /tmp" "-n" "-t ext2" "-O ^verity" "-O ^extent" "root_owner=0:0" "-E"; do
	_st=0
	"$MBVERITY" mkfs -d "$src" "$TMP/bad.img" --mke2fs-option="$bad" >/dev/null 2>"$TMP/err" || _st=$?
	[ "$_st" -eq 2 ] || fail "--mke2fs-option='$bad': exit $_st, want 2: $(cat "$TMP/err")"
	head -n 1 "$TMP/err" | grep -q '^mbverity: --mke2fs-option' ||
		fail "--mke2fs-option='$bad': $(head -n 1 "$TMP/err")"
	[ ! -e "$TMP/bad.img" ] || fail "--mke2fs-option='$bad' left an image"
done
echo "mkfs_mke2fs: ok"
