# SPDX-License-Identifier: MIT
# Hostile images for block allocation (issue 12, items 1 and 2).  Sourced by
# tests/ext4/alloc.sh and by the kernel tests.  Each function takes the
# image path and a work directory (created if missing), needs only mke2fs,
# debugfs, dumpe2fs and coreutils, returns non-zero if it could not build
# the image, and leaves in the work directory the source of every file it
# put in the image (so "debugfs -R 'cat /NAME'" can be compared with it).

# _afx_free IMG: the superblock's free block count.
_afx_free() {
	dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Free blocks: *//p'
}

# _afx_fill IMG WORK BS PREFIX: take every free block: one large file, then
# one-block files PREFIX1, PREFIX2, ...  (their source is WORK/blk).
_afx_fill() {
	_n=$(_afx_free "$1")
	[ -n "$_n" ] || return 1
	if [ "$_n" -gt 64 ]; then
		head -c $(((_n - 64) * $3)) /dev/urandom >"$2/filler"
		debugfs -w -R "write $2/filler /filler" "$1" >/dev/null 2>&1 || return 1
	fi
	[ -f "$2/blk" ] || head -c "$3" /dev/urandom >"$2/blk"
	_n=$(_afx_free "$1")
	seq 1 "$_n" | sed "s|.*|write $2/blk /$4&|" | debugfs -w -f - "$1" >/dev/null 2>&1
	[ "$(_afx_free "$1")" -eq 0 ]
}

# alloc_fx_fragmented IMG WORK [HOLES]: the repro of issue 12 item 1 - a
# 16 MiB filesystem (4 KiB blocks, no journal) holding /victim (3 MiB,
# WORK/victim), every other block of the first 2 x HOLES (default 32) free,
# everything else in use up to the last block.  The free blocks add up to
# more than /victim's metadata needs, but no two are adjacent.
alloc_fx_fragmented() {
	_img=$1 _w=$2 _holes=${3:-32}
	mkdir -p "$_w"
	mke2fs -q -F -t ext4 -b 4096 -O verity,^has_journal "$_img" 16M >/dev/null 2>&1 || return 1
	head -c 3145728 /dev/urandom >"$_w/victim"
	head -c 4096 /dev/urandom >"$_w/blk"
	debugfs -w -R "write $_w/victim /victim" "$_img" >/dev/null 2>&1 || return 1
	_n=$(_afx_free "$_img")
	seq 1 "$_n" | sed "s|.*|write $_w/blk /s&|" | debugfs -w -f - "$_img" >/dev/null 2>&1
	[ "$(_afx_free "$_img")" -eq 0 ] || return 1
	seq 1 2 $((2 * _holes)) | sed 's|.*|rm /s&|' | debugfs -w -f - "$_img" >/dev/null 2>&1
	[ "$(_afx_free "$_img")" -eq "$_holes" ]
}

# alloc_fx_many_runs IMG WORK FS_BLOCK_SIZE FS_SIZE VICTIM_BYTES HOLES: a
# full filesystem (no journal) with HOLES single free blocks, none adjacent
# to another, right after /victim (WORK/victim): its metadata must be spread
# over about as many extents as it has blocks, which makes its extent tree
# grow (depth 1 with a few dozen, depth 2 with several hundred on 1 KiB
# blocks).  The other files: /s2, /s4, ... (WORK/blk), /filler, /t1, ...
alloc_fx_many_runs() {
	_img=$1 _w=$2 _bs=$3 _size=$4 _vsize=$5 _holes=$6
	mkdir -p "$_w"
	mke2fs -q -F -t ext4 -b "$_bs" -N 4096 -O verity,^has_journal "$_img" "$_size" \
		>/dev/null 2>&1 || return 1
	head -c "$_vsize" /dev/urandom >"$_w/victim"
	head -c "$_bs" /dev/urandom >"$_w/blk"
	debugfs -w -R "write $_w/victim /victim" "$_img" >/dev/null 2>&1 || return 1
	seq 1 $((2 * _holes)) | sed "s|.*|write $_w/blk /s&|" | debugfs -w -f - "$_img" >/dev/null 2>&1
	_afx_fill "$_img" "$_w" "$_bs" t || return 1
	seq 1 2 $((2 * _holes)) | sed 's|.*|rm /s&|' | debugfs -w -f - "$_img" >/dev/null 2>&1
	[ "$(_afx_free "$_img")" -eq "$_holes" ]
}

# alloc_fx_meta_free IMG WORK [MODE [FULL]]: issue 12 item 2 - a 16 MiB
# filesystem, 4 KiB blocks, -N 512, with 40 files /f1../f40 (WORK/src/fN,
# 3 KiB to 200 KiB) whose own metadata the block bitmap calls free, with
# valid checksums.  MODE itable (default): group 0's inode table, as in the
# issue.  MODE all: also block 0 (the superblock), the group descriptors,
# the reserved GDT blocks, both bitmaps and the journal.  With FULL, every
# other block is taken first (by /filler and /t1, /t2, ...), so the only
# blocks the bitmap and the free counts call free are the metadata's
# (in MODE itable: 32 blocks, enough to pass a count).  WORK/freed gets one
# "FIRST LAST" line per range marked free.
alloc_fx_meta_free() {
	_img=$1 _w=$2 _mode=${3:-itable} _full=${4:-}
	mkdir -p "$_w/src"
	for _i in $(seq 1 40); do
		head -c $((_i * 5000 + 3000)) /dev/urandom >"$_w/src/f$_i"
	done
	_j=^has_journal
	[ "$_mode" = itable ] || _j=has_journal
	mke2fs -q -F -t ext4 -b 4096 -N 512 -O "verity,$_j" -d "$_w/src" "$_img" 16M \
		>/dev/null 2>&1 || return 1
	if [ -n "$_full" ]; then
		_afx_fill "$_img" "$_w" 4096 t || return 1
	fi
	# Group 0's metadata, from dumpe2fs ("Inode table at 35-66 (+35)").
	dumpe2fs "$_img" 2>/dev/null | awk -v mode="$_mode" '
		/^Group 1:/ { exit }
		{ line = $0 }
		mode == "all" && /Group descriptors at|Reserved GDT blocks at/ {
			sub(/.* at /, "", line); split(line, r, "-"); print r[1] + 0, r[2] + 0 }
		mode == "all" && /(Block|Inode) bitmap at/ {
			sub(/.* at /, "", line); print line + 0, line + 0 }
		/Inode table at/ {
			sub(/.* at /, "", line); split(line, r, "-"); print r[1] + 0, r[2] + 0 }
	' >"$_w/freed"
	if [ "$_mode" = all ]; then
		echo "0 0" >>"$_w/freed"
		# The journal's blocks: "(0-1023):1542-2565" in its extent list.
		debugfs -R "stat <8>" "$_img" 2>/dev/null | tr ',' '\n' |
			sed -n 's/.*([0-9-]*):\([0-9]*\)-\([0-9]*\).*/\1 \2/p' >>"$_w/freed"
	fi
	[ "$(grep -c . "$_w/freed")" -ge 1 ] || return 1
	while read -r _a _b; do
		echo "freeb $_a $((_b - _a + 1))"
	done <"$_w/freed" | debugfs -w -f - "$_img" >/dev/null 2>&1
	if [ -n "$_full" ]; then
		# freeb leaves the counts alone: make them agree with the bitmap (one group).
		_n=$(awk '{ n += $2 - $1 + 1 } END { print n }' "$_w/freed")
		printf 'set_bg 0 free_blocks_count %s\nset_bg 0 checksum calc\nssv free_blocks_count %s\n' \
			"$_n" "$_n" | debugfs -w -f - "$_img" >/dev/null 2>&1
		[ "$(_afx_free "$_img")" -eq "$_n" ] || return 1
	fi
}

# alloc_fx_scattered_data IMG WORK: /victim (WORK/victim, 40 blocks of 4 KiB)
# written into 40 single free blocks, so that its data alone fills an extent
# leaf block (depth 1) before enable; plenty of free space after it.  The
# other files: /s2, /s4, ... /s80 (WORK/blk).
alloc_fx_scattered_data() {
	_img=$1 _w=$2
	mkdir -p "$_w"
	mke2fs -q -F -t ext4 -b 4096 -O verity,^has_journal "$_img" 16M >/dev/null 2>&1 || return 1
	head -c 163840 /dev/urandom >"$_w/victim"
	head -c 4096 /dev/urandom >"$_w/blk"
	seq 1 80 | sed "s|.*|write $_w/blk /s&|" | debugfs -w -f - "$_img" >/dev/null 2>&1
	seq 1 2 80 | sed 's|.*|rm /s&|' | debugfs -w -f - "$_img" >/dev/null 2>&1
	debugfs -w -R "write $_w/victim /victim" "$_img" >/dev/null 2>&1 || return 1
	debugfs -R "ex /victim" "$_img" 2>/dev/null | sed -n 2p | grep -q '^ *0/ *1 '
}
