#!/bin/sh
# SPDX-License-Identifier: MIT
# Block allocation for verity metadata (issue 12, items 1, 2 and 6): no hang
# on fragmented free space, metadata spread over many extents (the extent
# tree growing to depth 1 and 2), never a block of the filesystem's own
# metadata even when the bitmap calls it free, ENOSPC in one line only when
# the space is not there, and the bitmap check of enable --all.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
. "${top_srcdir:-.}/tests/ext4/fixtures_alloc.sh"
need timeout awk seq

# snapshot IMG: a digest of every file's data, named as it is, but /victim.
snapshot() {
	debugfs -R "ls -p /" "$1" 2>/dev/null | awk -F/ '$6 != "" && $6 != "." && $6 != ".." &&
		$6 != "lost+found" && $6 != "victim" { print "cat /" $6 }' | LC_ALL=C sort >"$TMP/cats"
	[ -s "$TMP/cats" ] || fail "$1: no files listed"
	debugfs -f "$TMP/cats" "$1" 2>/dev/null | sha256sum
}

# phys_ranges IMG PATH: "FIRST LAST" for every block the file holds
# (extents and extent tree blocks, from debugfs stat's EXTENTS list).
phys_ranges() {
	debugfs -R "stat $2" "$1" 2>/dev/null | sed -n '/^EXTENTS:/,$p' | sed 1d | tr ',' '\n' |
		sed -n 's/.*:[ ]*\([0-9]*\)-\([0-9]*\).*/\1 \2/p; t; s/.*:[ ]*\([0-9][0-9]*\)[^0-9]*$/\1 \1/p'
}

# ex IMG PATH: debugfs's extent listing, "LEVEL/MAX ENTRY/COUNT LOGICAL ...".
ex() {
	debugfs -R "ex $2" "$1" 2>/dev/null | sed 's|/ *|/|g'
}

# depth IMG PATH: the extent tree's depth.
depth() {
	ex "$1" "$2" | awk 'NR == 2 { split($1, d, "/"); print d[2] + 0 }'
}

# meta_extents IMG PATH FIRST_META_LBLK: leaf extents from that logical block on.
meta_extents() {
	ex "$1" "$2" | awk -v m="$3" '
		NR > 1 { split($1, d, "/"); if (d[1] + 0 == d[2] + 0 && $3 + 0 >= m) n++ }
		END { print n + 0 }'
}

# check_verity IMG SRC PATH [OPTIONS]: measure and the stored tree equal fsverity's.
check_verity() {
	want=$(fsverity digest ${4:-} "$2" | cut -d' ' -f1)
	got=$("$MBVERITY" measure --image="$1" "$3") || fail "$1 $3: measure failed"
	[ "${got%% *}" = "$want" ] || fail "$1 $3: digest $got, fsverity says $want"
	fsverity digest ${4:-} --out-merkle-tree="$TMP/ftree" "$2" >/dev/null
	"$MBVERITY" dump_metadata merkle_tree --image="$1" "$3" >"$TMP/mtree" || fail "$1 $3: dump_metadata"
	cmp -s "$TMP/ftree" "$TMP/mtree" || fail "$1 $3: stored tree differs from fsverity's"
	"$MBVERITY" verify --image="$1" "$3" >/dev/null || fail "$1 $3: verify failed"
	debugfs -R "cat $3" "$1" 2>/dev/null | cmp -s - "$2" || fail "$1 $3: data changed"
}

# --- 1. fragmented free space: the issue's repro hung forever ----------------------
w=$TMP/frag
alloc_fx_fragmented "$TMP/frag.img" "$w" || fail "building the fragmented image"
fsck_clean "$TMP/frag.img"
before=$(snapshot "$TMP/frag.img")
st=0
timeout 120 "$MBVERITY" enable --image="$TMP/frag.img" /victim 2>"$TMP/err" || st=$?
[ "$st" -ne 124 ] || fail "enable hung on fragmented free space"
[ "$st" -eq 0 ] || fail "enable on fragmented free space: exit $st: $(cat "$TMP/err")"
fsck_clean "$TMP/frag.img"
check_verity "$TMP/frag.img" "$w/victim" /victim
[ "$(snapshot "$TMP/frag.img")" = "$before" ] || fail "fragmented: another file changed"
# 3 MiB: metadata from logical block 768, 8 blocks, none adjacent to another.
n=$(meta_extents "$TMP/frag.img" /victim 768)
[ "$n" -ge 8 ] || fail "fragmented: the metadata is in $n extents, want 8 single blocks"
[ "$(depth "$TMP/frag.img" /victim)" -ge 1 ] || fail "fragmented: extent tree still in the inode"

# Just enough scattered blocks (8 for the metadata, 8 for the extent tree to
# grow): it works.  One fewer than the metadata needs with that margin: one
# line, at once, the image unchanged.
alloc_fx_fragmented "$TMP/just.img" "$TMP/just" 16 || fail "building the just-enough image"
timeout 120 "$MBVERITY" enable --image="$TMP/just.img" /victim 2>"$TMP/err" ||
	fail "16 scattered free blocks: enable failed: $(cat "$TMP/err")"
fsck_clean "$TMP/just.img"
check_verity "$TMP/just.img" "$TMP/just/victim" /victim
alloc_fx_fragmented "$TMP/short.img" "$TMP/short" 15 || fail "building the short image"
refuse "fragmented, too little space" "$TMP/short.img" "/victim: not enough free space" \
	timeout 120 "$MBVERITY" enable --image="$TMP/short.img" /victim

# --- 2. metadata over many runs: the extent tree grows to depth 1 and 2 -------------
# FS_BS SIZE VICTIM_BYTES HOLES TREE_BLOCK_SIZE MIN_EXTENTS MIN_DEPTH
for cfg in "4096 48M 25165824 64 4096 48 1" \
	   "1024 12M 3145728 120 1024 100 1" \
	   "1024 24M 12582912 440 1024 390 2"; do
	set -- $cfg
	w=$TMP/runs$1_$4
	img=$w.img
	alloc_fx_many_runs "$img" "$w" "$1" "$2" "$3" "$4" || fail "building $img"
	fsck_clean "$img"
	before=$(snapshot "$img")
	timeout 300 "$MBVERITY" enable --block-size="$5" --image="$img" /victim 2>"$TMP/err" ||
		fail "$img: enable failed: $(cat "$TMP/err")"
	fsck_clean "$img"
	check_verity "$img" "$w/victim" /victim --block-size="$5"
	[ "$(snapshot "$img")" = "$before" ] || fail "$img: another file changed"
	meta_lblk=$((($3 + 65535) / 65536 * 65536 / $1))
	n=$(meta_extents "$img" /victim "$meta_lblk")
	[ "$n" -ge "$6" ] || fail "$img: metadata in $n extents, want at least $6"
	d=$(depth "$img" /victim)
	[ "$d" -ge "$7" ] || fail "$img: extent tree depth $d, want at least $7"
done

# --- 3. the filesystem's own metadata marked free -----------------------------------
# The issue: group 0's inode table free in the bitmap; enable used to put
# trees in it and lose 36 of 40 files.  MODE all frees the superblock block,
# descriptors, reserved GDT, bitmaps and journal too.
for mode in itable all; do
	w=$TMP/meta_$mode
	img=$w.img
	alloc_fx_meta_free "$img" "$w" "$mode" || fail "building $img"
	paths=$(seq -f /f%g 1 40)
	# shellcheck disable=SC2086
	"$MBVERITY" enable --image="$img" $paths 2>"$TMP/err" || fail "$img: enable failed: $(cat "$TMP/err")"
	for i in $(seq 1 40); do
		check_verity "$img" "$w/src/f$i" "/f$i"
	done
	for p in $paths; do
		phys_ranges "$img" "$p"
	done >"$TMP/used"
	[ "$(grep -c . "$TMP/used")" -ge 80 ] || fail "$img: too few extents listed"
	while read -r a b; do
		awk -v a="$a" -v b="$b" -v img="$img" '$1 <= b && $2 >= a {
			print "FAIL: " img ": a file holds blocks " $1 "-" $2 " of the metadata " a "-" b; bad = 1 }
			END { exit bad }' "$TMP/used" >&2 || exit 1
	done <"$w/freed"
	# e2fsck finds nothing but the damage the fixture made (the bitmap), and once
	# it has repaired that, every file is still there with its digest.
	e2fsck -fn "$img" >"$TMP/fsck" 2>&1 || true
	grep -q "Block bitmap differences" "$TMP/fsck" || fail "$img: fixture damage not seen"
	if grep -Eiq "multiply-claimed|illegal|bad block|inode .* (has|is)|deleted|unattached|Clear" \
		"$TMP/fsck"; then
		fail "$img: e2fsck finds more than the bitmap: $(cat "$TMP/fsck")"
	fi
	e2fsck -fy "$img" >/dev/null 2>&1 || true
	fsck_clean "$img"
	for i in 1 17 40; do
		check_verity "$img" "$w/src/f$i" "/f$i"
	done
done

# Only metadata blocks are free (bitmap and counts agree): the space is not there.
w=$TMP/metafull
alloc_fx_meta_free "$w.img" "$w" itable full || fail "building $w.img"
refuse "only metadata free" "$w.img" "not enough free space" "$MBVERITY" enable --image="$w.img" /f1

# --- 4. the bitmap check: enable --all and mkfs refuse a bitmap that lies -----------
alloc_fx_meta_free "$TMP/chk.img" "$TMP/chk" itable || fail "building chk.img"
refuse "enable --all, inode table marked free" "$TMP/chk.img" "marked free.*e2fsck" \
	"$MBVERITY" enable --all "$TMP/chk.img"
# A data block of one file marked free (the filesystem's own blocks intact).
mkdir -p "$TMP/chk2"
for i in 1 2 3; do head -c $((i * 20000)) /dev/urandom >"$TMP/chk2/g$i"; done
mkimg "$TMP/chk2.img" 4096 "$TMP/chk2" 8M
b=$(pblk "$TMP/chk2.img" /g2 1)
debugfs -w -R "freeb $b" "$TMP/chk2.img" >/dev/null 2>&1
refuse "enable --all, a data block marked free" "$TMP/chk2.img" "block $b of inode [0-9]* is marked free.*e2fsck" \
	"$MBVERITY" enable --all "$TMP/chk2.img"
# A clean image passes the check and is enabled.
mkimg "$TMP/chk3.img" 4096 "$TMP/chk2" 8M
"$MBVERITY" enable --all --quiet "$TMP/chk3.img" || fail "enable --all on a clean image"
fsck_clean "$TMP/chk3.img"
for i in 1 2 3; do
	check_verity "$TMP/chk3.img" "$TMP/chk2/g$i" "/g$i"
done
exit 0
