#!/bin/sh
# SPDX-License-Identifier: MIT
# Images in states enable must not write (errors recorded, not cleanly
# unmounted, orphans), images in use (locks), and quota: enable refuses
# with one line naming e2fsck and leaves the image as it was; readers go
# on; on quota filesystems the metadata is charged so e2fsck -fn stays clean.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
. "${top_srcdir:-.}/tests/ext4/fixtures_state.sh"
need flock

work=$TMP/work
fx_state_src "$work" || fail "cannot make the sources"
want_c=$(fsverity digest "$work/src/c" | cut -d' ' -f1)

# ---- states the superblock records ----------------------------------------------
for state in errors unclean orphan; do
	img=$TMP/$state.img
	fx_state_image "$img" "$work" || fail "$state: cannot make the image"
	"$MBVERITY" enable --image="$img" /c || fail "$state: enable /c on the clean image failed"
	"fx_state_set_$state" "$img" || fail "$state: cannot set the state"
	case $state in
	errors) why="the filesystem has errors recorded" ;;
	unclean) why="the filesystem was not cleanly unmounted" ;;
	orphan) why="is on the orphan list" ;;
	esac
	refuse "$state: enable" "$img" "$state.img: .*$why: run e2fsck on the image first" \
		"$MBVERITY" enable --image="$img" /a
	refuse "$state: enable of a file not concerned" "$img" "$why" "$MBVERITY" enable --image="$img" /b
	refuse "$state: enable --all" "$img" "$why" "$MBVERITY" enable --all "$img"
	# Readers go on, and say what is true.
	[ "$("$MBVERITY" measure --image="$img" /c)" = "$want_c /c" ] ||
		fail "$state: measure /c does not give fsverity's digest"
	"$MBVERITY" verify --image="$img" /c >"$TMP/out" 2>&1 || fail "$state: verify /c: $(cat "$TMP/out")"
	"$MBVERITY" dump_metadata descriptor --image="$img" /c >/dev/null ||
		fail "$state: dump_metadata failed"
	# Once e2fsck has run, enable goes ahead.
	e2fsck -fy "$img" >/dev/null 2>&1 || [ $? -le 1 ] || fail "$state: e2fsck -fy failed"
	"$MBVERITY" enable --image="$img" /a || fail "$state: enable after e2fsck failed"
	fsck_clean "$img"
done

# The orphan file (Linux 5.15+): entries with the orphan_present feature, and without.
for how in flag noflag; do
	img=$TMP/orphan_file_$how.img
	fx_state_orphan_file "$img" "$work" "$how" || fail "orphan file ($how): cannot make the image"
	refuse "orphan file ($how)" "$img" "orphan file.*run e2fsck on the image first" \
		"$MBVERITY" enable --image="$img" /b
	refuse "orphan file ($how), --all" "$img" "orphan file" "$MBVERITY" enable --all "$img"
done

# ---- locks: writers exclusive and never waiting, readers shared ------------------
img=$TMP/lock.img
fx_state_image "$img" "$work" || fail "cannot make the lock image"
# hold MODE: a process holding a flock on the image until release.
hold() {
	# The shell becomes sleep with the locked descriptor: killing it frees the lock.
	sh -c 'exec 9<"$2" && flock "$1" 9 && exec sleep 60' sh "$1" "$img" &
	holder=$!
	# Until the lock is taken: a non-blocking exclusive try fails.
	while flock -n -x "$img" true; do sleep 0.05; done
}
release() {
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}
hold -x
refuse "enable while another process writes" "$img" \
	"lock.img: image is in use by another process" "$MBVERITY" enable --image="$img" /a
refuse "enable --all while another process writes" "$img" "image is in use by another process" \
	"$MBVERITY" enable --all "$img"
expect_fail "measure while another process writes" "$MBVERITY" measure --image="$img" /a
one_line_error "measure while another process writes"
grep -q "image is in use by another process" "$TMP/err" || fail "measure: $(cat "$TMP/err")"
release
hold -s
# A reader gets past the lock: its refusal is about the file.
expect_fail "measure beside a reader" "$MBVERITY" measure --image="$img" /a
grep -q "/a: file does not have fs-verity" "$TMP/err" || fail "measure beside a reader: $(cat "$TMP/err")"
refuse "enable while another process reads" "$img" "image is in use by another process" \
	"$MBVERITY" enable --image="$img" /a
release
"$MBVERITY" enable --image="$img" /a || fail "enable after the lock went failed"
hold -s
"$MBVERITY" measure --image="$img" /a >/dev/null || fail "measure beside another reader failed"
release

# Two enable --all started at once on an image with many files: every
# failure is the one-line lock refusal, and every file ends verity and good.
mkdir -p "$TMP/many"
i=0
while [ $i -lt 300 ]; do
	head -c $((i * 97 + 1)) /dev/urandom >"$TMP/many/f$i"
	i=$((i + 1))
done
head -c 8000000 /dev/urandom >"$TMP/many/big"
img=$TMP/many.img
mkimg "$img" 4096 "$TMP/many" 64M
"$MBVERITY" enable --all --threads=1 --quiet "$img" >"$TMP/o1" 2>"$TMP/e1" &
p1=$!
"$MBVERITY" enable --all --threads=1 --quiet "$img" >"$TMP/o2" 2>"$TMP/e2" &
p2=$!
s1=0 s2=0
wait $p1 || s1=$?
wait $p2 || s2=$?
[ $s1 -eq 0 ] || [ $s2 -eq 0 ] || fail "both enable --all failed: $(cat "$TMP/e1" "$TMP/e2")"
for n in 1 2; do
	eval "st=\$s$n"
	[ "$st" -eq 0 ] && continue
	[ "$(wc -l <"$TMP/e$n")" -eq 1 ] && grep -q "many.img: image is in use by another process" \
		"$TMP/e$n" || fail "concurrent enable --all $n: $(cat "$TMP/e$n")"
done
echo "concurrent enable --all: exits $s1 and $s2"
fsck_clean "$img"
"$MBVERITY" verify --image="$img" >"$TMP/out" 2>&1 || fail "verify after concurrent enable: $(tail -3 "$TMP/out")"
[ "$(grep -c '^ok sha256:' "$TMP/out" || true)" -eq 301 ] ||
	fail "not every file is verity after concurrent enable --all: $(grep -c '^ok ' "$TMP/out") ok"

# ---- quota: user and group, then with project -----------------------------------
for kind in usrgrp project; do
	img=$TMP/quota_$kind.img
	if [ $kind = project ]; then
		fx_state_quota "$img" "$work" project || fail "cannot make the $kind quota image"
	else
		fx_state_quota "$img" "$work" || fail "cannot make the $kind quota image"
	fi
	cp "$img" "$TMP/quota_pristine"
	# Files of different owners one by one, e2fsck after each.
	for p in /a /d /b,/e /c; do
		# shellcheck disable=SC2046
		"$MBVERITY" enable --image="$img" $(echo "$p" | tr , ' ') || fail "$kind quota: enable $p failed"
		e2fsck -fn "$img" >"$TMP/fsck.out" 2>&1 ||
			fail "$kind quota: e2fsck -fn after enable $p: $(grep -i quota "$TMP/fsck.out")"
	done
	for p in /a /b /c /d /e; do
		has_verity "$img" $p || fail "$kind quota: $p is not verity"
	done
	cp "$TMP/quota_pristine" "$img"
	"$MBVERITY" enable --all --quiet "$img" || fail "$kind quota: enable --all failed"
	e2fsck -fn "$img" >"$TMP/fsck.out" 2>&1 ||
		fail "$kind quota: e2fsck -fn after enable --all: $(grep -i quota "$TMP/fsck.out")"
	"$MBVERITY" verify --image="$img" >/dev/null || fail "$kind quota: verify after enable --all"

	# An owner the quota file has no entry for: refused, not added.
	cp "$TMP/quota_pristine" "$img"
	debugfs -w -R "sif /b uid 4242" "$img" >/dev/null 2>&1
	refuse "$kind quota: no entry for the owner" "$img" \
		"/b: the user quota file has no entry for id 4242: run e2fsck -f" \
		"$MBVERITY" enable --image="$img" /b
	if [ $kind = project ]; then
		cp "$TMP/quota_pristine" "$img"
		debugfs -w -R "sif /b projid 4343" "$img" >/dev/null 2>&1
		refuse "project quota: no entry for the project" "$img" \
			"the project quota file has no entry for id 4343" "$MBVERITY" enable --image="$img" /b
	fi
	# A malformed quota file: bad magic; a tree block number past its end.
	uq=$(pblk "$TMP/quota_pristine" "<3>" 0)
	cp "$TMP/quota_pristine" "$img"
	flip "$img" $((uq * 4096))
	refuse "$kind quota: bad magic" "$img" "the user quota file (inode 3) is not in the vfsv1 format" \
		"$MBVERITY" enable --image="$img" /a
	cp "$TMP/quota_pristine" "$img"
	# Quota block 1 is the tree's root; ids below 2^24 go through its slot 0.
	put_le32 "$img" $((uq * 4096 + 1024)) 999
	refuse "$kind quota: tree block out of range" "$img" \
		"the user quota file (inode 3) is malformed: block 999 out of range" \
		"$MBVERITY" enable --image="$img" /a
	gq=$(pblk "$TMP/quota_pristine" "<4>" 0)
	cp "$TMP/quota_pristine" "$img"
	put_le32 "$img" $((gq * 4096 + 1024)) 0
	refuse "$kind quota: group tree without the id" "$img" \
		"the group quota file has no entry for id 1000" "$MBVERITY" enable --image="$img" /a
done
exit 0
