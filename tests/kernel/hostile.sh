# SPDX-License-Identifier: MIT
# Hostile images of issue 12 (the trust fixes) for run.sh: fragmented free
# space, group 0's inode table marked free, an orphan list, quota, and a file
# whose metadata needs an extent tree of depth >= 1. Host side here; the same
# boot mounts each image and reads every file. Sourced, not run.

# Seconds one `mbverity enable` may take: the fragmented cases used to spin
# forever (libext2fs's ext2fs_new_range never returns).
: "${MBVK_HX_TIMEOUT:=60}"

# ---- The images are tests/ext4's fixtures (issue 12's repro recipes, in
# one place): fixtures_alloc.sh for the allocator, fixtures_state.sh for the
# states enable must refuse or account for.
# shellcheck source=../ext4/fixtures_alloc.sh
. "$MBVK_DIR/../ext4/fixtures_alloc.sh"
# shellcheck source=../ext4/fixtures_state.sh
. "$MBVK_DIR/../ext4/fixtures_state.sh"

# ---- Host side

# hx_start NAME LABEL FIXTURE [ARGS]: $HD = $W/hx/NAME with img made by
# `FIXTURE img work ARGS`, labelled LABEL, and orig/: every file as it was
# before mbverity (debugfs rdump).
hx_start() {
	local fx=$3 label=$2
	HX=$1 HD=$W/hx/$1
	shift 3
	rm -rf "$HD"
	mkdir -p "$HD/work" "$HD/orig" "$HD/exp"
	: >"$HD/files"
	: >"$HD/plan"
	"$fx" "$HD/img" "$HD/work" "$@" || hfail "fixture:hx-$HX" "$fx $* failed"
	e2label "$HD/img" "$label"
	echo "$label" >"$HD/label"
	debugfs -R "rdump / $HD/orig" "$HD/img" >/dev/null 2>&1
	rm -rf "$HD/orig/lost+found"
}

# hx_expect PATH v|p [TREE OPTIONS]: the guest must read PATH with its
# original content; v: also measure it as fsverity-utils digests it.
hx_expect() {
	local p=$1 kind=$2 id
	shift 2
	id=$(fid "$p")
	if [ ! -f "$HD/orig$p" ]; then
		hfail "orig:hx-$HX$p" "no $p in the image as built"
		return 0
	fi
	sha256sum <"$HD/orig$p" | cut -d' ' -f1 >"$HD/exp/$id.sha"
	if [ "$kind" = v ]; then
		fsverity digest "$HD/orig$p" "$@" | cut -d' ' -f1 >"$HD/exp/$id.digest"
	fi
	echo "$p $kind" >>"$HD/files"
}

# hx_enable PATH [TREE OPTIONS]: `mbverity enable` must succeed in time,
# and mbverity measure must agree with fsverity-utils.
hx_enable() {
	local p=$1 out rc=0
	shift
	out=$(timeout -k 5 "$MBVK_HX_TIMEOUT" "$MBVERITY" enable --image="$HD/img" "$p" "$@" 2>&1) || rc=$?
	case $rc in
	0) hok "host-enable:hx-$HX$p" ;;
	124 | 137) hfail "host-enable:hx-$HX$p" "no exit after $MBVK_HX_TIMEOUT s (killed)" ;;
	*) hfail "host-enable:hx-$HX$p" "exit $rc: $out" ;;
	esac
	[ $rc = 0 ] || return 0
	host_measure "hx-$HX$p" "$HD/img" "$p" "$HD/exp/$(fid "$p").digest"
}

hx_fsck() { # NAME: e2fsck -fn of $HD/img must be clean
	local out
	if out=$(e2fsck -fn "$HD/img" 2>&1); then
		hok "$1"
	else
		hfail "$1" "$(echo "$out" | grep -v '^Pass\|^e2fsck' | head -n 5)"
	fi
}

# hx_meta_blocks IMG: "FIRST LAST" for every range of filesystem metadata:
# superblocks and backups, group descriptors, reserved GDT blocks, bitmaps,
# inode tables (from dumpe2fs, whatever the bitmaps say), and the blocks of
# the special inodes 1-10 (journal, resize inode, quota files...).
hx_meta_blocks() {
	local i
	dumpe2fs "$1" 2>/dev/null | grep -E '^  (Primary|Backup) superblock|^  (Block|Inode) bitmap|^  Inode table|^  Reserved GDT' |
		tr ',' '\n' | sed -n 's/.* at \([0-9]*\)\(-\([0-9]*\)\)\{0,1\}.*/\1 \3/p' |
		awk '{ print $1, ($2 == "" ? $1 : $2) }'
	# Every block of the special inodes 1-10 (journal, resize inode,
	# quota files...), and their extent tree and indirect blocks.
	for i in 1 2 3 4 5 6 7 8 9 10; do echo "blocks <$i>"; echo "stat <$i>"; done >"$1.mcmds"
	debugfs -f "$1.mcmds" "$1" 2>/dev/null | grep -v '^debugfs' |
		grep -o '([A-Z]*[0-9]*):[0-9]*\|^[0-9][0-9 ]*$' | sed 's/.*://' | tr ' ' '\n' |
		awk '/^[0-9]+$/ { print $1, $1 }'
}

# hx_outside_meta NAME PATH...: no block of any PATH (data, metadata, extent
# tree blocks) may lie in filesystem metadata.
hx_outside_meta() {
	local name=$1 p bad
	shift
	hx_meta_blocks "$HD/img" >"$HD/meta.ranges"
	printf '%s\n' "$@" | awk '{ print $1, "x" }' >"$HD/outside.list"
	ext_map "$HD/img" "$HD/outside.list" >"$HD/outside.extents"
	for p in "$@"; do echo "stat $p"; done >"$HD/outside.cmds"
	debugfs -f "$HD/outside.cmds" "$HD/img" 2>/dev/null | awk '
		/^debugfs: stat / { f = $3; next }
		{ while (match($0, /\(ETB[0-9]*\):[0-9]+/)) {
			s = substr($0, RSTART, RLENGTH); sub(/.*:/, "", s)
			print f, "etb", "etb", s; $0 = substr($0, RSTART + RLENGTH) } }' >>"$HD/outside.extents"
	bad=$(awk 'NR == FNR { a[NR] = $1; b[NR] = $2; n = NR; next }
		{ ps = $4; pe = ($2 == "etb" ? $4 : $4 + $3 - $2)
		  for (i = 1; i <= n; i++) if (ps <= b[i] && pe >= a[i]) {
			print $1 " blocks " ps "-" pe " overlap metadata " a[i] "-" b[i]; break } }' \
		"$HD/meta.ranges" "$HD/outside.extents" | head -n 3)
	if ! [ -s "$HD/outside.extents" ]; then
		hfail "$name" "no extents found"
	elif [ -n "$bad" ]; then
		hfail "$name" "$bad"
	else
		hok "$name"
	fi
}

# hx_meta_extents PATH SIZE FSBS: how many extents hold PATH's blocks from
# round_up(SIZE, 64K) on (the verity metadata), and the extent tree depth.
hx_meta_extents() {
	local start
	start=$((($2 + 65535) / 65536 * 65536 / $3))
	debugfs -R "ex $1" "$HD/img" 2>/dev/null | awk -v s="$start" '
		{ gsub("/", " ") }
		$1 ~ /^[0-9]+$/ { if ($2 > d) d = $2 }
		$1 ~ /^[0-9]+$/ && $1 == $2 && $7 >= s { n++ }
		END { print n + 0, d + 0 }'
}

# hx_guest [rw]: the guest plan: mount, read every expected file (and
# measure the verity ones), umount, then no ext4 error and no "overlap fs
# metadata" in the kernel log since just before the mount. rw also writes
# a new file so the kernel updates its quota usage.
hx_guest() {
	local mode=${1:-ro} label m p kind id
	label=$(cat "$HD/label")
	m=/mnt/$label
	{
		echo "dmesg_mark"
		echo "g_mount mount:hx-$HX $label $m $mode"
		while read -r p kind; do
			id=$(fid "$p")
			[ "$kind" = v ] && echo "g_measure measure:hx-$HX$p $m$p $(cat "$HD/exp/$id.digest")"
			echo "g_read read:hx-$HX$p $m$p $(cat "$HD/exp/$id.sha")"
		done <"$HD/files"
		[ "$mode" = rw ] && echo "g_write write:hx-$HX $m/new-by-kernel 200000"
		echo "g_umount umount:hx-$HX $m"
		echo "g_dmesg_clean dmesg:hx-$HX"
	} >"$HD/plan"
	if [ "$mode" = rw ]; then
		echo "file=$HD/img,if=virtio,format=raw" >"$HD/drive"
	else
		echo "file=$HD/img,if=virtio,format=raw,snapshot=on" >"$HD/drive"
	fi
}

# 1. Fragmented free space (fixtures_alloc.sh: a 3 MiB /victim, 32
# single free blocks, the last block in use): enable must end, and succeed.
hx_fragmented() {
	local p
	hx_start fragmented hfrag alloc_fx_fragmented
	hx_expect /victim v
	for p in /s2 /s32 /s64; do hx_expect "$p" p; done
	hx_enable /victim
	hx_fsck fsck:hx-fragmented
	hx_outside_meta outside-meta:hx-fragmented /victim
	hx_guest
}

# 2. Group 0's inode table marked free (fixtures_alloc.sh: /f1../f40 in a
# 512-inode image): nothing of mbverity's may land in it, no file may be
# lost. e2fsck -fn must complain only of the ranges the fixture freed.
hx_meta_free() {
	local p out files want a b
	hx_start meta_free hmeta alloc_fx_meta_free
	files=$(for p in $(seq 1 40); do echo "/f$p"; done)
	for p in $files; do hx_expect "$p" v; done
	for p in $files; do hx_enable "$p"; done
	# shellcheck disable=SC2086
	hx_outside_meta outside-meta:hx-meta_free $files
	want=
	while read -r a b; do
		if [ "$a" = "$b" ]; then want="$want +$a"; else want="$want +($a--$b)"; fi
	done <"$HD/work/freed"
	out=$(e2fsck -fn "$HD/img" 2>&1 | sed 's/  */ /g' |
		grep -v -x -F -e "Block bitmap differences:$want" -e 'Fix? no' -e '' |
		grep -v '^Pass [1-5]\|^e2fsck \|^hmeta: \|^Free blocks count wrong' || true)
	if [ -z "$out" ]; then hok fsck-only-bitmap:hx-meta_free; else
		hfail fsck-only-bitmap:hx-meta_free "$(echo "$out" | head -n 5)"
	fi
	hx_guest
}

# 3. Orphans (tests/ext4/fixtures_state.sh: /a on the orphan list, or in
# the orphan file): enable refuses with one line naming e2fsck and the
# image, which stays byte-identical; after e2fsck -fy (the advice) enable
# works and the kernel reads /a verity, and the other files as they were.
hx_refused() { # NAME LABEL FIXTURE [ARGS]
	local out rc=0 lines p n=$1
	hx_start "$@"
	hx_expect /a v
	for p in /b /c /d /e; do hx_expect "$p" p; done
	cp "$HD/img" "$HD/before.img"
	out=$(timeout -k 5 "$MBVK_HX_TIMEOUT" "$MBVERITY" enable --image="$HD/img" /a 2>&1) || rc=$?
	lines=$(printf '%s\n' "$out" | grep -c . || true)
	if [ $rc = 0 ] || [ $rc -ge 124 ]; then
		hfail "refuse:hx-$n" "exit $rc: $out"
	elif [ "$lines" != 1 ] || [ "${out#mbverity: }" = "$out" ]; then
		hfail "refuse:hx-$n" "not one 'mbverity:' line: $out"
	else
		case $out in
		*"$HD/img"*e2fsck*) hok "refuse:hx-$n" ;;
		*) hfail "refuse:hx-$n" "does not name the image and e2fsck: $out" ;;
		esac
	fi
	if cmp -s "$HD/img" "$HD/before.img"; then hok "unchanged:hx-$n"; else
		hfail "unchanged:hx-$n" "the refused image changed: $(cmp "$HD/img" "$HD/before.img" 2>&1 | head -n 1)"
	fi
	rm -f "$HD/before.img"
	rc=0
	out=$(e2fsck -fy "$HD/img" 2>&1) || rc=$?
	if [ $rc -le 1 ]; then hok "e2fsck-fy:hx-$n"; else
		hfail "e2fsck-fy:hx-$n" "exit $rc: $(echo "$out" | tail -n 3)"
	fi
	hx_enable /a
	hx_fsck "fsck:hx-$n"
	hx_guest
}

# 4. Quota (fixtures_state.sh: user, group and project quota, files of
# several owners, ids above 65535 too): the metadata charged as the kernel
# would; the kernel mounts rw (quota on), reads every file, writes one, and
# e2fsck -fn of the image it used is clean.
hx_quota() {
	local p
	hx_start quota hquota fx_state_quota project
	for p in /a /b /c /d /e; do hx_expect "$p" v; done
	hx_fsck fsck-before:hx-quota
	for p in /a /b /c /d /e; do hx_enable "$p"; done
	hx_fsck fsck:hx-quota
	hx_guest rw
}

# 5. Metadata in many extents (fixtures_alloc.sh: single free blocks right
# after /victim). hx_many_runs NAME LABEL FSBS FSSIZE VICTIM HOLES MINEXT
# MINDEPTH TREE_OPTIONS...: the metadata must take >= MINEXT extents, the
# extent tree a depth >= MINDEPTH.
hx_many_runs() {
	local name=$1 label=$2 bs=$3 size=$4 vsize=$5 holes=$6 minext=$7 mindepth=$8 n depth p
	shift 8
	hx_start "$name" "$label" alloc_fx_many_runs "$bs" "$size" "$vsize" "$holes"
	hx_expect /victim v "$@"
	for p in /s2 "/s$holes" "/s$((2 * holes))"; do hx_expect "$p" p; done
	hx_enable /victim "$@"
	read -r n depth <<<"$(hx_meta_extents /victim "$vsize" "$bs")"
	if [ "$n" -ge "$minext" ] && [ "$depth" -ge "$mindepth" ]; then hok "shape:hx-$name"; else
		hfail "shape:hx-$name" "metadata in $n extents, tree depth $depth (want >= $minext, >= $mindepth)"
	fi
	hx_fsck "fsck:hx-$name"
	hx_outside_meta "outside-meta:hx-$name" /victim
	hx_guest
}

# build_hostile KVER: every hostile image, host checks, $W/hx/*/{plan,drive}.
build_hostile() {
	hx_fragmented
	hx_meta_free
	hx_refused orphan horphan fx_state_orphan
	hx_refused orphan_file horphanf fx_state_orphan_file
	hx_quota
	# An 8 MiB file, SHA-512: 34 metadata blocks in 48 single free blocks.
	hx_many_runs many_runs hruns 4096 32M 8388608 48 24 1 --hash-alg=sha512
	# 1 KiB blocks (Linux 6.3+ takes 1 KiB tree blocks): a 6 MiB file,
	# SHA-512, 412 metadata blocks, more than a depth-1 tree holds.
	case $1 in
	6.1.*) ;;
	*) hx_many_runs many_runs_1k hruns1k 1024 20M 6291456 440 337 2 --hash-alg=sha512 --block-size=1024 ;;
	esac
}

# hostile_fsck_after: host checks of the images the kernel wrote to.
hostile_fsck_after() {
	HX=quota HD=$W/hx/quota
	[ -f "$HD/img" ] && hx_fsck fsck-after-kernel:hx-quota
	return 0
}
