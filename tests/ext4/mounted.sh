#!/bin/sh
# SPDX-License-Identifier: MIT
# enable refuses an image the kernel has mounted (a loop mount of the image
# file), naming the mount point and not sending the user to e2fsck, and the
# file stays as it was.  Needs root for mount; skips visibly otherwise.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
. "${top_srcdir:-.}/tests/ext4/fixtures_state.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: mounting a loop device needs root"
	exit 77
fi
need mount umount

work=$TMP/work
mnt=$TMP/mnt
mkdir -p "$mnt"
# Never leave a mount behind (lib.sh's trap would remove the files under it).
trap 'umount "$mnt" 2>/dev/null || true; rm -rf "$TMP"' EXIT

# With a journal (needs_recovery is set while mounted) and without one.
for kind in journal nojournal; do
	img=$TMP/$kind.img
	if [ $kind = journal ]; then
		fx_state_image "$img" "$work" || fail "cannot make the image"
	else
		fx_state_image "$img" "$work" -O ^has_journal || fail "cannot make the image"
	fi
	for how in rw ro; do
		mount -o loop,$how "$img" "$mnt" || fail "mount -o loop,$how $img"
		expect_fail "$kind, mounted $how: enable" "$MBVERITY" enable --image="$img" /a
		one_line_error "$kind, mounted $how: enable"
		grep -q "$kind.img: the image is mounted on $mnt: unmount it first" "$TMP/err" ||
			fail "$kind, mounted $how: enable does not name the mount point: $(cat "$TMP/err")"
		grep -q e2fsck "$TMP/err" && fail "$kind, mounted $how: sends the user to e2fsck"
		expect_fail "$kind, mounted $how: enable --all" "$MBVERITY" enable --all "$img"
		grep -q "is mounted on $mnt" "$TMP/err" || fail "$kind, mounted $how: --all: $(cat "$TMP/err")"
		# What the kernel sees: the file as it was, no verity.
		cmp "$mnt/a" "$work/src/a" || fail "$kind, mounted $how: /a changed"
		umount "$mnt" || fail "umount"
		fsck_clean "$img"
		has_verity "$img" /a && fail "$kind, mounted $how: /a got verity"
		debugfs -R "cat /a" "$img" 2>/dev/null | cmp - "$work/src/a" ||
			fail "$kind, mounted $how: /a's data changed"
	done
	# Unmounted, the same command works.
	"$MBVERITY" enable --image="$img" /a || fail "$kind: enable after umount failed"
	fsck_clean "$img"
done
exit 0
