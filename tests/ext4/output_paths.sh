#!/bin/sh
# SPDX-License-Identifier: MIT
# Output files: a regular file is replaced atomically (keeping its mode); a
# symlink is followed (its target replaced, the link kept); a FIFO, "-",
# /dev/stdout and a character device are written in place, never replaced;
# mkfs writes a block device in place.  Nothing named *.tmp.* is left.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need fsverity openssl mkfifo

TMPDIR=$TMP/spool	# where in-place outputs are spooled
export TMPDIR
mkdir -p "$TMPDIR" "$TMP/o" "$TMP/other"
head -c 300000 /dev/urandom >"$TMP/data"
fsverity digest "$TMP/data" --out-descriptor="$TMP/ref.desc" --out-merkle-tree="$TMP/ref.tree" \
	>"$TMP/ref.line"
line="$(cut -d' ' -f1 "$TMP/ref.line") $TMP/data"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=out-test -days 1 2>/dev/null
fsverity sign "$TMP/data" "$TMP/ref.sig" --key="$TMP/key.pem" --cert="$TMP/cert.pem" >/dev/null

no_temporaries() {
	_left=$(find "$TMP" -name '*.tmp.*')
	[ -z "$_left" ] || fail "$1: temporary files left: $_left"
}

# reader FIFO OUT: copy what the FIFO receives to OUT, in the background.
reader() {
	cat "$1" >"$2" &
	reader_pid=$!
}

# A FIFO: the tree, the descriptor and a signature written through it.
mkfifo "$TMP/o/fifo"
for what in tree desc; do
	reader "$TMP/o/fifo" "$TMP/got.$what"
	if [ $what = tree ]; then
		"$MBVERITY" digest "$TMP/data" --out-merkle-tree="$TMP/o/fifo" >/dev/null ||
			fail "digest --out-merkle-tree=FIFO"
	else
		"$MBVERITY" digest "$TMP/data" --out-descriptor="$TMP/o/fifo" >/dev/null ||
			fail "digest --out-descriptor=FIFO"
	fi
	wait "$reader_pid"
	[ -p "$TMP/o/fifo" ] || fail "the FIFO was replaced ($what)"
	cmp "$TMP/ref.$what" "$TMP/got.$what" || fail "$what through a FIFO"
done
reader "$TMP/o/fifo" "$TMP/got.sig"
"$MBVERITY" sign "$TMP/data" "$TMP/o/fifo" --key="$TMP/key.pem" --cert="$TMP/cert.pem" \
	>/dev/null || fail "sign to a FIFO"
wait "$reader_pid"
[ -p "$TMP/o/fifo" ] || fail "sign replaced the FIFO"
cmp "$TMP/ref.sig" "$TMP/got.sig" || fail "signature through a FIFO"
no_temporaries FIFO

# "-" and /dev/stdout (a pipe here): the descriptor, then the digest line.
for out in - /dev/stdout; do
	"$MBVERITY" digest "$TMP/data" --out-descriptor=$out | cat >"$TMP/got.stdout" ||
		fail "digest --out-descriptor=$out"
	head -c 256 "$TMP/got.stdout" | cmp - "$TMP/ref.desc" || fail "descriptor to $out"
	[ "$(tail -c +257 "$TMP/got.stdout")" = "$line" ] || fail "digest line after $out"
done
# stdout a regular file: written at its offset, the file not replaced.
echo first >"$TMP/stdout.file"
exec 3>>"$TMP/stdout.file"
ino=$(stat -c %i "$TMP/stdout.file")
"$MBVERITY" digest "$TMP/data" --out-merkle-tree=/dev/stdout >&3 || fail "tree to /dev/stdout"
# And through a symlink to /dev/stdout.
ln -s /dev/stdout "$TMP/o/to-stdout"
"$MBVERITY" digest "$TMP/data" --out-descriptor="$TMP/o/to-stdout" >&3 ||
	fail "descriptor to a symlink to /dev/stdout"
exec 3>&-
[ "$(stat -c %i "$TMP/stdout.file")" = "$ino" ] || fail "the file behind stdout was replaced"
{ echo first; cat "$TMP/ref.tree"; echo "$line"; cat "$TMP/ref.desc"; echo "$line"; } |
	cmp - "$TMP/stdout.file" || fail "tree and descriptor through /dev/stdout to a file"
[ -L /dev/stdout ] || fail "/dev/stdout is no longer a symlink"

# Symlinks, relative and absolute, to an existing file and to none yet.
echo old >"$TMP/other/target"
chmod 640 "$TMP/other/target"
ln -s ../other/target "$TMP/o/rel"
ln -s "$TMP/other/new" "$TMP/o/dangling"
"$MBVERITY" digest "$TMP/data" --out-descriptor="$TMP/o/rel" \
	--out-merkle-tree="$TMP/o/dangling" >/dev/null || fail "digest to symlinks"
{ [ -L "$TMP/o/rel" ] && [ -L "$TMP/o/dangling" ]; } || fail "a symlink was replaced"
cmp "$TMP/ref.desc" "$TMP/other/target" || fail "descriptor through a symlink"
cmp "$TMP/ref.tree" "$TMP/other/new" || fail "tree through a dangling symlink"
[ "$(stat -c %a "$TMP/other/target")" = 640 ] || fail "the replaced file's mode changed"
umask 022
"$MBVERITY" digest "$TMP/data" --out-descriptor="$TMP/o/plain" >/dev/null
[ "$(stat -c %a "$TMP/o/plain")" = 644 ] || fail "a new file's mode: $(stat -c %a "$TMP/o/plain")"
no_temporaries symlinks

# A failure writes nothing to a FIFO's reader and replaces nothing.
reader "$TMP/o/fifo" "$TMP/got.fail"
expect_fail "digest of a missing file" "$MBVERITY" digest "$TMP/missing" \
	--out-descriptor="$TMP/o/fifo"
# (A reader still waiting for a writer is let go.)
kill "$reader_pid" 2>/dev/null || :
wait "$reader_pid" || :
[ ! -s "$TMP/got.fail" ] || fail "a failed digest wrote to the FIFO"
cmp "$TMP/ref.desc" "$TMP/other/target" || fail "a failed digest touched the target"

# mkfs: the image and the manifest to a FIFO and to stdout, the same bytes as a file.
src=$TMP/src
mkdir -p "$src/d"
head -c 70000 /dev/urandom >"$src/d/f"
echo hello >"$src/h"
fixed="--uuid=2b5c3a0e-4c84-4b1e-9d87-1e2b3c4d5e6f --timestamp=1700000000 --size=16M --quiet"
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/ref.img" $fixed --manifest="$TMP/ref.manifest" ||
	fail "mkfs to a file"
reader "$TMP/o/fifo" "$TMP/got.manifest"
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" - $fixed --manifest="$TMP/o/fifo" >"$TMP/got.img" ||
	fail "mkfs to stdout"
wait "$reader_pid"
cmp "$TMP/ref.img" "$TMP/got.img" || fail "mkfs to stdout differs"
cmp "$TMP/ref.manifest" "$TMP/got.manifest" || fail "manifest through a FIFO"
# Through a symlink: the target replaced (--force), the link kept.
ln -s ../other/img "$TMP/o/img-link"
: >"$TMP/other/img"
expect_fail "mkfs over an existing target" "$MBVERITY" mkfs -d "$src" "$TMP/o/img-link" --quiet
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/o/img-link" $fixed --force || fail "mkfs to a symlink"
[ -L "$TMP/o/img-link" ] || fail "mkfs replaced the symlink"
cmp "$TMP/ref.img" "$TMP/other/img" || fail "mkfs through a symlink"
no_temporaries mkfs

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: not root: no character or block device (FIFOs, stdout and symlinks passed)"
	exit 77
fi

# A private character device (/dev/null's numbers) stays a character device.
mknod "$TMP/o/null" c 1 3
"$MBVERITY" digest "$TMP/data" --out-merkle-tree="$TMP/o/null" --out-descriptor="$TMP/o/null" \
	>/dev/null || fail "digest to a character device"
"$MBVERITY" sign "$TMP/data" "$TMP/o/null" --key="$TMP/key.pem" --cert="$TMP/cert.pem" \
	>/dev/null || fail "sign to a character device"
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/o/null" $fixed --manifest="$TMP/o/null" ||
	fail "mkfs to a character device"
[ -c "$TMP/o/null" ] || fail "the character device was replaced"
no_temporaries "character device"

# mkfs to a block device (a loop device on a file): written in place, its whole size.
truncate -s 24M "$TMP/disk"
loop=$(losetup -f --show "$TMP/disk" 2>/dev/null) || {
	echo "SKIP: no loop device here (everything else passed)"
	exit 77
}
trap 'losetup -d "$loop"; rm -rf "$TMP"' EXIT
expect_fail "mkfs to a block device without --force" "$MBVERITY" mkfs -d "$src" "$loop"
"$MBVERITY" mkfs -d "$src" "$loop" --force >"$TMP/mkfs.out" || fail "mkfs to $loop"
grep -q "2 files with fs-verity.* 24 MiB image" "$TMP/mkfs.out" || fail "summary: $(cat "$TMP/mkfs.out")"
[ -b "$loop" ] || fail "$loop is no longer a block device"
losetup -d "$loop"
trap 'rm -rf "$TMP"' EXIT
fsck_clean "$TMP/disk"
[ "$(stat -c %s "$TMP/disk")" = $((24 << 20)) ] || fail "the disk file changed size"
for p in /d/f /h; do
	want=$(fsverity digest "$src$p" | cut -d' ' -f1)
	got=$("$MBVERITY" measure --image="$TMP/disk" "$p") || fail "$p is not verity on the block device"
	[ "${got%% *}" = "$want" ] || fail "$p: $got, want $want"
done
no_temporaries "block device"
echo "output paths ok"
