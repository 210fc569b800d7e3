# SPDX-License-Identifier: MIT
# Host-side image helpers for run.sh: test trees, expectations computed with
# fsverity-utils (userspace, no kernel needed), corruption and on-disk layout
# extraction through debugfs. Sourced, not run.

SALT7=a1b2c3d4e5f607
SALT32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
# Edge sizes around 4 KiB blocks and the 64 KiB tree alignment, one that
# needs a 2- or 3-level tree, one that fills exactly one tree block.
SIZES="0 1 4095 4096 4097 65535 65536 65537 1048577 3145851"

hres() { echo "MBVK-RESULT $*" >>"$W/host-results"; }
hok() { hres ok "$1"; }
hfail() {
	local n=$1
	shift
	hres FAIL "$n" "$(echo "$*" | tr '\n' ' ' | cut -c1-300)"
}

fid() { echo "$1" | tr / _; }

# host_measure NAME IMG PATH DIGEST_FILE: mbverity measure must give the
# digest fsverity-utils computed for the source file.
host_measure() {
	local out want
	want=$(cat "$4")
	out=$("$MBVERITY" measure --image="$2" "$3" 2>&1) || true
	if [ "${out%% *}" = "$want" ]; then
		hok "host-measure:$1"
	else
		hfail "host-measure:$1" "got '$out' want $want"
	fi
}

vargs() { # ALG TREE_BS SALT -> fsverity/mbverity options
	printf -- '--hash-alg=%s --block-size=%s' "$1" "$2"
	[ "$3" = - ] || printf -- ' --salt=%s' "$3"
}

# rnd_file FILE SIZE: random bytes with nonzero first and last bytes, since
# mke2fs -d would leave an all-zero block (e.g. a 1-byte last block) a hole.
rnd_file() {
	{
		[ "$2" -lt 1 ] || printf M
		[ "$2" -lt 3 ] || head -c $(($2 - 2)) /dev/urandom
		[ "$2" -lt 2 ] || printf V
	} >"$1"
}

mk_keys() {
	local k
	for k in 1 2; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mbvk test key $k" \
			-keyout "$W/k$k.pem" -out "$W/c$k.pem" 2>/dev/null ||
			mbvk_die "openssl cannot make a test key"
		openssl x509 -in "$W/c$k.pem" -outform der -out "$W/c$k.der"
	done
	# EC keys for the ecsig image: NIST P-256 and P-384, self-signed like
	# the RSA ones, and a cert for the P-256 key issued by RSA key 1.
	for k in 256 384; do
		openssl req -x509 -newkey ec -pkeyopt "ec_paramgen_curve:P-$k" -nodes -days 2 \
			-subj "/CN=mbvk test key P-$k" -keyout "$W/ke$k.pem" -out "$W/ce$k.pem" 2>/dev/null ||
			mbvk_die "openssl cannot make an EC P-$k test key"
		openssl x509 -in "$W/ce$k.pem" -outform der -out "$W/ce$k.der"
	done
	openssl req -new -key "$W/ke256.pem" -subj "/CN=mbvk test key P-256 by key 1" 2>/dev/null |
		openssl x509 -req -CA "$W/c1.pem" -CAkey "$W/k1.pem" -set_serial 4242 -days 2 \
			-out "$W/ce256ca.pem" 2>/dev/null ||
		mbvk_die "openssl cannot issue an EC test cert"
	openssl x509 -in "$W/ce256ca.pem" -outform der -out "$W/ce256ca.der"
}

# build_fs FS FSBS SIGS(0|1) SETSPEC...
# SETSPEC is NAME:ALG:TREE_BS:SALT. Writes $W/FS/{src,manifest,exp/,plain.img}.
# Manifest lines: PATH SIZE ALG TREE_BS SALT KIND, KIND one of n (plain test
# file), k1key (sign with key 1 via --key/--cert), k1sig (key 1 via
# --signature), k2 (key 2, whose cert the guest does not load), uns (verity,
# unsigned), plain (never made verity).
build_fs() {
	local fs=$1 fsbs=$2 sigs=$3 spec name alg tbs salt size p total=0 kb
	shift 3
	local d=$W/$fs
	mkdir -p "$d/src" "$d/exp"
	: >"$d/manifest"
	for spec in "$@"; do
		IFS=: read -r name alg tbs salt <<<"$spec"
		mkdir -p "$d/src/$name"
		for size in $SIZES; do
			echo "/$name/f$size $size $alg $tbs $salt n" >>"$d/manifest"
		done
	done
	if [ "$sigs" = 1 ]; then
		mkdir -p "$d/src/sig"
		cat >>"$d/manifest" <<-EOF
			/sig/k1key 100000 sha256 4096 - k1key
			/sig/k1sig 5000 sha512 4096 $SALT7 k1sig
			/sig/k2 3000 sha256 4096 - k2
			/sig/uns 3000 sha256 4096 - uns
			/sig/plain 3000 sha256 4096 - plain
		EOF
		if [ "$fsbs" -lt 4096 ] || [ "${MBVK_SMALL_TREE:-0}" = 1 ]; then
			echo "/sig/k1small 70000 sha256 1024 - k1key" >>"$d/manifest"
		fi
	fi
	# A file with a hole: mke2fs -d leaves all-zero blocks unallocated.
	mkdir -p "$d/src/misc"
	echo "/misc/sparse 300000 sha256 $fsbs - n" >>"$d/manifest"
	while read -r p size alg tbs salt kind; do
		if [ "$p" = /misc/sparse ]; then
			{ head -c 8192 /dev/urandom; head -c 204800 /dev/zero
			  head -c $((size - 8192 - 204800)) /dev/urandom; } >"$d/src$p"
		else
			rnd_file "$d/src$p" "$size"
		fi
		total=$((total + size))
		local id
		id=$(fid "$p")
		sha256sum <"$d/src$p" | cut -d' ' -f1 >"$d/exp/$id.sha"
		[ "$kind" = plain ] && continue
		# shellcheck disable=SC2046
		fsverity digest "$d/src$p" $(vargs "$alg" "$tbs" "$salt") \
			--out-merkle-tree="$d/exp/$id.tree" --out-descriptor="$d/exp/$id.desc" |
			cut -d' ' -f1 >"$d/exp/$id.digest"
		case $kind in
		k1key | k1sig | k2)
			local k=1
			[ "$kind" = k2 ] && k=2
			# shellcheck disable=SC2046
			fsverity sign "$d/src$p" "$d/exp/$id.sig" --key="$W/k$k.pem" --cert="$W/c$k.pem" \
				$(vargs "$alg" "$tbs" "$salt") >/dev/null || mbvk_die "fsverity sign $p failed"
			;;
		esac
	done <"$d/manifest"
	# Data plus a few MiB for the journal, inode tables and trees.
	kb=$((total / 1024 * 5 / 4 + 8192))
	[ "$fsbs" -lt 4096 ] && kb=$((kb + 4096))
	mke2fs -q -t ext4 -O verity -b "$fsbs" -L "p$fs" -d "$d/src" "$d/plain.img" "${kb}k" >/dev/null ||
		mbvk_die "mke2fs failed for $fs"
}

# copy_img FS ROLE: $W/FS/ROLE.img from plain.img, labelled ROLE+FS.
copy_img() {
	cp "$W/$1/plain.img" "$W/$1/$2.img"
	e2label "$W/$1/$2.img" "$2$1"
}

# mbverity_enable_all FS: the mbverity way to make the subject image.
mbverity_enable_all() {
	local fs=$1 d=$W/$1 p size alg tbs salt kind id extra out
	copy_img "$fs" s
	while read -r p size alg tbs salt kind; do
		id=$(fid "$p")
		case $kind in
		plain) continue ;;
		k1key)
			if "$MBVERITY" enable --help 2>&1 | grep -q -- --key; then
				extra="--key=$W/k1.pem --cert=$W/c1.pem"
			else
				# enable takes only --signature: sign with mbverity itself.
				# shellcheck disable=SC2046
				if out=$("$MBVERITY" sign "$d/src$p" "$d/exp/$id.mbvsig" --key="$W/k1.pem" \
					--cert="$W/c1.pem" $(vargs "$alg" "$tbs" "$salt") 2>&1); then
					hok "host-sign:$fs$p"
				else
					hfail "host-sign:$fs$p" "$out"
				fi
				extra="--signature=$d/exp/$id.mbvsig"
			fi
			;;
		k1sig | k2) extra="--signature=$d/exp/$id.sig" ;;
		*) extra= ;;
		esac
		# shellcheck disable=SC2046,SC2086
		if out=$("$MBVERITY" enable --image="$d/s.img" "$p" $(vargs "$alg" "$tbs" "$salt") $extra 2>&1); then
			hok "host-enable:$fs$p"
		else
			hfail "host-enable:$fs$p" "$out"
			continue
		fi
		host_measure "$fs$p" "$d/s.img" "$p" "$d/exp/$id.digest"
	done <"$d/manifest"
	fsck_check "$fs" s
}

fsck_check() { # FS ROLE
	local out
	if out=$(e2fsck -fn "$W/$1/$2.img" 2>&1); then
		hok "fsck:$2$1"
	else
		hfail "fsck:$2$1" "$(echo "$out" | grep -v '^Pass\|^e2fsck' | head -n 5)"
	fi
}

# zap IMG PATH LBLK -b BIT | -o OFF -l 1 -p PAT: write into a file's block.
zap() {
	local img=$1 p=$2 lblk=$3 pblk
	shift 3
	pblk=$(debugfs -R "bmap $p $lblk" "$img" 2>/dev/null)
	# zap_block would hit physical block 0 for a hole.
	if ! [ "${pblk:-0}" -gt 0 ] 2>/dev/null; then
		hfail "zap:$p:$lblk" "cannot corrupt: block $lblk of $p is not mapped"
		return 1
	fi
	debugfs -w -R "zap_block -f $p $* $lblk" "$img" >/dev/null 2>&1
}

# corrupt_all FS: c.img = s.img with one corruption per chosen file. Prints
# the guest checks to run on it.
corrupt_all() {
	local fs=$1 fsbs=$2 d=$W/$1 p size alg tbs salt kind id meta ts off
	cp "$d/s.img" "$d/c.img"
	e2label "$d/c.img" "c$fs"
	while read -r p size alg tbs salt kind; do
		[ "$kind" = n ] || continue
		id=$(fid "$p")
		meta=$(((size + 65535) / 65536 * 65536))
		ts=$(stat -c %s "$d/exp/$id.tree")
		case $size in
		65537) # a data byte in the middle
			off=40000
			zap "$d/c.img" "$p" $((off / fsbs)) -b $((off % fsbs * 8 + 3)) &&
				echo "g_eio corrupt-data:$fs$p /mnt/c$fs$p" || true
			;;
		1048577) # the only data byte of the last block
			off=1048576
			zap "$d/c.img" "$p" $((off / fsbs)) -b $((off % fsbs * 8)) &&
				echo "g_eio corrupt-lastdata:$fs$p /mnt/c$fs$p" || true
			;;
		3145851) # first tree byte: a hash in the top level
			zap "$d/c.img" "$p" $((meta / fsbs)) -b 5 &&
				echo "g_eio corrupt-treetop:$fs$p /mnt/c$fs$p" || true
			;;
		65536) # first byte of the last tree block (a leaf)
			off=$((meta + ts - tbs))
			zap "$d/c.img" "$p" $((off / fsbs)) -b $((off % fsbs * 8 + 1)) &&
				echo "g_eio corrupt-treeleaf:$fs$p /mnt/c$fs$p" || true
			;;
		1 | 4095 | 4097) # a byte past EOF in the last block
			off=$((size + (fsbs - size % fsbs) / 2))
			zap "$d/c.img" "$p" $((off / fsbs)) -o $((off % fsbs)) -l 1 -p 0x5a &&
				echo "g_eio corrupt-tail:$fs$p /mnt/c$fs$p" || true
			;;
		esac
	done <"$d/manifest"
}

# ext_map IMG MANIFEST: "PATH LSTART LEND PSTART" for every leaf extent of
# every file in MANIFEST, from one debugfs session.
ext_map() {
	awk '{ print "ex -l " $1 }' "$2" >"$1.cmds"
	debugfs -f "$1.cmds" "$1" 2>/dev/null | awk '
		/^debugfs: ex -l / { f = $4; next }
		{ gsub("/", " ") }
		$1 ~ /^[0-9]+$/ && $1 == $2 && $6 == "-" && $9 == "-" { print f, $5, $7, $8 }'
}

# meta_region IMG EXTENTS PATH SIZE FSBS: the file's bytes from logical block
# round_up(SIZE, 64K)/FSBS to the end of its last extent, read from the
# physical blocks (holes read as zeros, reported on stderr).
meta_region() {
	local img=$1 ext=$2 p=$3 size=$4 bs=$5 start next ls le ps skip n
	start=$(((size + 65535) / 65536 * 65536 / bs))
	next=$start
	awk -v p="$p" '$1 == p { print $2, $3, $4 }' "$ext" | sort -n |
		while read -r ls le ps; do
		[ "$le" -ge "$start" ] || continue
		if [ "$ls" -lt "$start" ]; then
			skip=$((start - ls))
			ls=$start
		else
			skip=0
		fi
		if [ "$ls" -gt "$next" ]; then
			echo "hole in metadata at block $next-$((ls - 1))" >&2
			head -c $(((ls - next) * bs)) /dev/zero
		fi
		n=$((le - ls + 1))
		dd if="$img" bs="$bs" skip=$((ps + skip)) count="$n" 2>/dev/null
		next=$((le + 1))
	done
}

le32() {
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}

# region_of TREE DESC SIG|- SIZE FSBS: the bytes past EOF that fsverity-utils'
# tree and descriptor must give, laid out as fs/ext4/verity.c does.
region_of() {
	local tree=$1 desc=$2 sig=$3 size=$4 bs=$5 meta ts sl=0 dpos dsize spos
	meta=$(((size + 65535) / 65536 * 65536))
	ts=$(stat -c %s "$tree")
	[ "$sig" = - ] || sl=$(stat -c %s "$sig")
	dpos=$(((meta + ts + bs - 1) / bs * bs))
	dsize=$((256 + sl))
	spos=$(((dpos + dsize + 4 + bs - 1) / bs * bs - 4))
	cat "$tree"
	head -c $((dpos - meta - ts)) /dev/zero
	head -c 4 "$desc"
	le32 "$sl"
	tail -c +9 "$desc"
	[ "$sl" = 0 ] || cat "$sig"
	head -c $((spos - dpos - dsize)) /dev/zero
	le32 "$dsize"
}

utils_region() { # FS PATH SIZE FSBS
	local e=$W/$1/exp/$(fid "$2") sig=-
	[ -f "$e.sig" ] && sig=$e.sig
	region_of "$e.tree" "$e.desc" "$sig" "$3" "$4"
}

# layout_checks FS FSBS: compare past-EOF bytes of s.img with r.img (the
# kernel's own enable) and with fsverity-utils' tree and descriptor.
layout_checks() {
	local fs=$1 bs=$2 d=$W/$1 p size alg tbs salt kind id
	mkdir -p "$d/regions"
	ext_map "$d/s.img" "$d/manifest" >"$d/s.extents"
	ext_map "$d/r.img" "$d/manifest" >"$d/r.extents"
	while read -r p size alg tbs salt kind; do
		case $kind in plain) continue ;; esac
		id=$(fid "$p")
		meta_region "$d/s.img" "$d/s.extents" "$p" "$size" "$bs" >"$d/regions/$id.s" 2>"$d/regions/$id.s.err"
		utils_region "$fs" "$p" "$size" "$bs" >"$d/regions/$id.u"
		region_cmp "layout-utils:$fs$p" "$d/regions/$id.s" "$d/regions/$id.u" "fsverity-utils' tree+descriptor"
		[ "$kind" = k2 ] && continue # the guest cannot enable it: no cert
		meta_region "$d/r.img" "$d/r.extents" "$p" "$size" "$bs" >"$d/regions/$id.r" 2>"$d/regions/$id.r.err"
		region_cmp "layout-kernel:$fs$p" "$d/regions/$id.s" "$d/regions/$id.r" "the kernel's"
	done <"$d/manifest"
}

region_cmp() { # NAME OURS THEIRS WHAT
	local why=
	[ -s "$2" ] || why="no metadata past EOF;"
	[ -s "$2.err" ] && why="$why $(cat "$2.err");"
	if ! cmp -s "$2" "$3"; then
		local at
		at=$(cmp "$2" "$3" 2>&1 | head -n1 | sed 's/.*: //' || true)
		why="$why differs from $4 ($(stat -c %s "$2") vs $(stat -c %s "$3") bytes, $at)"
	fi
	if [ -z "$why" ]; then hok "$1"; else hfail "$1" "$why"; fi
}

# ---- Whole images: `mbverity mkfs`, `mke2fs -d` + `mbverity enable --all`,
# and the descriptor/signature corruption image (xdesc).

MKFS_UUID=6d627665-7269-7479-2d6b-65726e656c21
MKFS_TIME=1700000000

# gen_tree: $W/tree (nested directories, an empty file, sizes around a block
# and the 64 KiB metadata alignment, a ~2 MiB file, a sparse file, symlinks)
# with $W/tree.files ("PATH SIZE") and $W/tree.links ("PATH TARGET").
gen_tree() {
	local t=$W/tree spec p size
	rm -rf "$t"
	mkdir -p "$t/a/b/c/d" "$t/e/void"
	: >"$W/tree.files"
	for spec in /empty:0 /a/f4095:4095 /a/f4096:4096 /a/b/f4097:4097 /a/b/c/f65535:65535 \
		/a/b/c/f65536:65536 /a/b/c/d/f65537:65537 /big:2101571; do
		p=${spec%:*} size=${spec#*:}
		rnd_file "$t$p" "$size"
		echo "$p $size" >>"$W/tree.files"
	done
	# 200 KiB of zeros in the middle: a hole after mke2fs -d.
	rnd_file "$t/e/tail" 87008
	{ head -c 8192 /dev/urandom; head -c 204800 /dev/zero; cat "$t/e/tail"; } >"$t/e/sparse"
	rm "$t/e/tail"
	echo "/e/sparse 300000" >>"$W/tree.files"
	# A fast symlink (target inside the inode) and one long enough to need
	# a block; the long one resolves to /a/b/c/d/f65537.
	ln -s a/b/f4097 "$t/link"
	ln -s ../a/./b/./c/./d/./././././././././././././././././././././f65537 "$t/e/longlink"
	printf '%s\n' "/link a/b/f4097" "/e/longlink $(readlink "$t/e/longlink")" >"$W/tree.links"
}

# tree_exp FS ALG TBS SALT SIGN(0|1): $W/FS/manifest (build_fs format) and
# fsverity-utils' digests, trees, descriptors (and key 1 signatures).
tree_exp() {
	local fs=$1 alg=$2 tbs=$3 salt=$4 sign=$5 d=$W/$1 p size id kind=n
	[ "$sign" = 1 ] && kind=k1key
	rm -rf "$d"
	mkdir -p "$d/exp"
	: >"$d/manifest"
	while read -r p size; do
		id=$(fid "$p")
		echo "$p $size $alg $tbs $salt $kind" >>"$d/manifest"
		sha256sum <"$W/tree$p" | cut -d' ' -f1 >"$d/exp/$id.sha"
		# shellcheck disable=SC2046
		fsverity digest "$W/tree$p" $(vargs "$alg" "$tbs" "$salt") \
			--out-merkle-tree="$d/exp/$id.tree" --out-descriptor="$d/exp/$id.desc" |
			cut -d' ' -f1 >"$d/exp/$id.digest"
		[ "$sign" = 1 ] || continue
		# shellcheck disable=SC2046
		fsverity sign "$W/tree$p" "$d/exp/$id.sig" --key="$W/k1.pem" --cert="$W/c1.pem" \
			$(vargs "$alg" "$tbs" "$salt") >/dev/null || mbvk_die "fsverity sign $p failed"
	done <"$W/tree.files"
}

# tree_opts ALG TBS SALT: mbverity tree options; none for the defaults, so
# the defaults get tested too.
tree_opts() {
	[ "$1/$2/$3" = sha256/4096/- ] || vargs "$1" "$2" "$3"
}

fs_block_size() { dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }'; }

# layout_utils FS IMG: past-EOF bytes of every file in IMG against
# fsverity-utils' tree, descriptor and signature.
layout_utils() {
	local fs=$1 img=$W/$1/$2 d=$W/$1 bs p size alg tbs salt kind id
	bs=$(fs_block_size "$img")
	mkdir -p "$d/regions"
	ext_map "$img" "$d/manifest" >"$img.extents"
	while read -r p size alg tbs salt kind; do
		id=$(fid "$p")
		meta_region "$img" "$img.extents" "$p" "$size" "$bs" >"$d/regions/$id.s" 2>"$d/regions/$id.s.err"
		utils_region "$fs" "$p" "$size" "$bs" >"$d/regions/$id.u"
		region_cmp "layout-utils:$fs$p" "$d/regions/$id.s" "$d/regions/$id.u" "fsverity-utils' tree+descriptor"
	done <"$d/manifest"
}

# build_mkfs FSBS|- ALG TBS SALT: $W/mkfs/m.img by `mbverity mkfs`, every
# file signed with key 1, plus the host checks of the image and manifest.
build_mkfs() {
	local fsbs=$1 alg=$2 tbs=$3 salt=$4 d=$W/mkfs out got want p size args
	tree_exp mkfs "$alg" "$tbs" "$salt" 1
	# shellcheck disable=SC2207
	args=(-d "$W/tree" --label=mkfs --uuid="$MKFS_UUID" --timestamp="$MKFS_TIME" --quiet
		--key="$W/k1.pem" --cert="$W/c1.pem" $(tree_opts "$alg" "$tbs" "$salt"))
	[ "$fsbs" = - ] || args+=(--fs-block-size="$fsbs")
	if out=$("$MBVERITY" mkfs "${args[@]}" --manifest="$d/mbv.manifest" "$d/m.img" 2>&1) &&
		[ -s "$d/m.img" ]; then
		hok host-mkfs
	else
		hfail host-mkfs "$out"
		rm -f "$d/m.img"
		return 0
	fi
	# The manifest: every regular file once, with fsverity-utils' digest.
	got=$(awk '{ print $2 }' "$d/mbv.manifest" | LC_ALL=C sort | tr '\n' ' ')
	want=$(awk '{ print $1 }' "$W/tree.files" | LC_ALL=C sort | tr '\n' ' ')
	if [ "$got" = "$want" ]; then hok mkfs-manifest-paths; else
		hfail mkfs-manifest-paths "manifest lists '$got', the tree has '$want'"
	fi
	while read -r p size; do
		got=$(awk -v p="$p" '$2 == p { print $1 }' "$d/mbv.manifest")
		want=$(cat "$d/exp/$(fid "$p").digest")
		if [ "$got" = "$want" ]; then hok "mkfs-manifest:$p"; else
			hfail "mkfs-manifest:$p" "manifest '$got', fsverity digest $want"
		fi
	done <"$W/tree.files"
	# Same tree, UUID and timestamp: the same bytes.
	if out=$("$MBVERITY" mkfs "${args[@]}" "$d/m2.img" 2>&1) && cmp -s "$d/m.img" "$d/m2.img"; then
		hok mkfs-reproducible
	else
		hfail mkfs-reproducible "$out $(cmp "$d/m.img" "$d/m2.img" 2>&1 | head -n1)"
	fi
	rm -f "$d/m2.img"
	fsck_check mkfs m
	layout_utils mkfs m.img
}

# build_eall FSBS ALG TBS SALT: $W/eall/ea.img by `mke2fs -d` and
# `mbverity enable --all` (unsigned).
build_eall() {
	local fsbs=$1 alg=$2 tbs=$3 salt=$4 d=$W/eall kb out p size
	tree_exp eall "$alg" "$tbs" "$salt" 0
	kb=$(($(du -sk --apparent-size "$W/tree" | cut -f1) * 5 / 4 + 8192))
	mke2fs -q -t ext4 -O verity -b "$fsbs" -L eall -d "$W/tree" "$d/ea.img" "${kb}k" >/dev/null ||
		mbvk_die "mke2fs failed for eall"
	# shellcheck disable=SC2046
	if out=$("$MBVERITY" enable --all "$d/ea.img" $(tree_opts "$alg" "$tbs" "$salt") --quiet 2>&1); then
		hok host-enable-all
	else
		hfail host-enable-all "$out"
	fi
	while read -r p size; do
		host_measure "eall$p" "$d/ea.img" "$p" "$d/exp/$(fid "$p").digest"
	done <"$W/tree.files"
	fsck_check eall ea
	layout_utils eall ea.img
}

# tree_checks FS MOUNTPOINT: guest checks of a whole-tree image: every file's
# measure (mkfs: the manifest line) and content, the symlinks.
tree_checks() {
	local fs=$1 m=$2 d=$W/$1 p size alg tbs salt kind id dig t
	while read -r p size alg tbs salt kind; do
		id=$(fid "$p")
		dig=$(cat "$d/exp/$id.digest")
		if [ -f "$d/mbv.manifest" ]; then
			dig=$(awk -v p="$p" '$2 == p { print $1 }' "$d/mbv.manifest")
			: "${dig:=not-in-manifest}"
		fi
		echo "g_measure measure:$fs$p $m$p $dig"
		echo "g_read read:$fs$p $m$p $(cat "$d/exp/$id.sha")"
	done <"$d/manifest"
	while read -r p t; do
		echo "g_readlink link:$fs$p $m$p $t"
	done <"$W/tree.links"
	echo "g_read read-via-link:$fs/e/longlink $m/e/longlink $(cat "$d/exp/_a_b_c_d_f65537.sha")"
}

# The descriptor and signature corruptions, one file each, and the error the
# kernel must give at open (fs/verity/open.c validate_fsverity_descriptor and
# fsverity_init_merkle_tree_params, fs/ext4/verity.c descriptor location,
# fs/verity/signature.c with PKCS#7 trust). NAME SIZE WHERE VALUE ERROR:
# WHERE is a descriptor byte offset, "size" (the le32 size field before the
# end of the last extent) or "sig" (stored with enable --signature); VALUE
# "x" means the original byte XOR 1.
XDESC_CASES="control 5000 - - -
roothash 100000 16 x Input/output error
version 5000 0 2 Invalid argument
hashalg 5000 1 7 Invalid argument
logbs 5000 2 13 Invalid argument
saltsize 5000 3 33 Invalid argument
sigsize 5000 4 1 Invalid argument
datasize 5000 8 x Invalid argument
reserved 5000 200 1 Invalid argument
sigflip 5000 sig flip Key was rejected by service
siggarbage 5000 sig garbage Bad message
sizebig 2097159 size 16640 Message too long
sizehuge 5000 size 4294967295 Structure needs cleaning"

byte_at() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }

# build_xdesc: $W/xdesc/xc.img, a 4 KiB-block image whose files `mbverity
# enable` made verity, then one corruption each in the copy.
build_xdesc() {
	local d=$W/xdesc name size where val err id out meta ts sl dpos spos off i v
	rm -rf "$d"
	mkdir -p "$d/src" "$d/exp"
	while read -r name size where val err; do
		rnd_file "$d/src/$name" "$size"
		fsverity digest "$d/src/$name" --out-merkle-tree="$d/exp/$name.tree" \
			--out-descriptor="$d/exp/$name.desc" | cut -d' ' -f1 >"$d/exp/$name.digest"
		sha256sum <"$d/src/$name" | cut -d' ' -f1 >"$d/exp/$name.sha"
	done <<<"$XDESC_CASES"
	# Flipped last byte: inside the RSA signature value, the last field of
	# the DER; the PKCS#7 still parses and names key 1 (loaded): EKEYREJECTED.
	fsverity sign "$d/src/sigflip" "$d/exp/sigflip.sig" --key="$W/k1.pem" --cert="$W/c1.pem" >/dev/null ||
		mbvk_die "fsverity sign failed"
	off=$(($(stat -c %s "$d/exp/sigflip.sig") - 1))
	v=$(($(byte_at "$d/exp/sigflip.sig" "$off") ^ 1))
	printf "\\$(printf %03o "$v")" | dd of="$d/exp/sigflip.sig" bs=1 seek="$off" conv=notrunc 2>/dev/null
	# Not DER at all: the PKCS#7 parser fails: EBADMSG.  enable refuses such
	# bytes, so a valid signature is stored and its first byte zeroed in xc.img.
	fsverity sign "$d/src/siggarbage" "$d/exp/siggarbage.sig" --key="$W/k1.pem" --cert="$W/c1.pem" >/dev/null ||
		mbvk_die "fsverity sign failed"
	mke2fs -q -t ext4 -O verity -b 4096 -L xsrc -d "$d/src" "$d/x.img" 16M >/dev/null ||
		mbvk_die "mke2fs failed for xdesc"
	while read -r name size where val err; do
		id=/$name
		set --
		[ "$where" = sig ] && set -- --signature="$d/exp/$name.sig"
		if ! out=$("$MBVERITY" enable --image="$d/x.img" "$id" "$@" 2>&1); then
			hfail "host-enable:xdesc$id" "$out"
			continue
		fi
		host_measure "xdesc$id" "$d/x.img" "$id" "$d/exp/$name.digest"
	done <<<"$XDESC_CASES"
	fsck_check xdesc x
	cp "$d/x.img" "$d/xc.img"
	e2label "$d/xc.img" xdesc
	: >"$d/plan"
	while read -r name size where val err; do
		id=/$name
		meta=$(((size + 65535) / 65536 * 65536))
		ts=$(stat -c %s "$d/exp/$name.tree")
		sl=0
		[ -f "$d/exp/$name.sig" ] && sl=$(stat -c %s "$d/exp/$name.sig")
		dpos=$(((meta + ts + 4095) / 4096 * 4096))
		spos=$(((dpos + 256 + sl + 4 + 4095) / 4096 * 4096 - 4))
		case $where in
		-) echo "g_read x-$name /mnt/xdesc$id $(cat "$d/exp/$name.sha")" >>"$d/plan" ;;
		size)
			for i in 0 1 2 3; do
				v=$((val >> (8 * i) & 255))
				zap "$d/xc.img" "$id" $(((spos + i) / 4096)) -o $(((spos + i) % 4096)) -l 1 -p "$v" || continue 2
			done
			echo "g_read_err x-$name /mnt/xdesc$id '$err'" >>"$d/plan"
			;;
		sig)
			if [ "$val" = garbage ]; then
				off=$((dpos + 256))
				zap "$d/xc.img" "$id" $((off / 4096)) -o $((off % 4096)) -l 1 -p 0 || continue
			fi
			echo "g_read_err x-$name /mnt/xdesc$id '$err'" >>"$d/plan"
			;;
		*)
			v=$val
			[ "$v" = x ] && v=$(($(byte_at "$d/exp/$name.desc" "$where") ^ 1))
			off=$((dpos + where))
			zap "$d/xc.img" "$id" $((off / 4096)) -o $((off % 4096)) -l 1 -p "$v" || continue
			if [ "$err" = "Input/output error" ]; then
				# The descriptor still opens; the digest is that of
				# the changed descriptor, and reads fail.
				cp "$d/exp/$name.desc" "$d/exp/$name.desc.bad"
				printf "\\$(printf %03o "$v")" |
					dd of="$d/exp/$name.desc.bad" bs=1 seek="$where" conv=notrunc 2>/dev/null
				echo "g_measure x-$name-measure /mnt/xdesc$id sha256:$(sha256sum <"$d/exp/$name.desc.bad" | cut -d' ' -f1)" >>"$d/plan"
				echo "g_eio x-$name-eio /mnt/xdesc$id" >>"$d/plan"
			else
				echo "g_read_err x-$name /mnt/xdesc$id '$err'" >>"$d/plan"
			fi
			;;
		esac
	done <<<"$XDESC_CASES"
}

# ---- ECDSA: files signed with EC P-256 and P-384 keys (mk_keys), in their
# own 4 KiB-block image `ecsig`.
# ECSIG_CASES: PATH SIZE ALG SALT CERT HOW. CERT names $W/ceCERT.pem (key
# $W/ke256.pem or ke384.pem): 256 and 384 self-signed, 256ca the P-256 key
# issued by RSA key 1. HOW: mkfs (`mbverity mkfs --key --cert
# --include='/mk/*'`, default tree parameters), key (`mbverity enable --key
# --cert`), sig (`mbverity sign`, then `enable --signature`), flip (as sig
# with the last byte flipped: the last byte of s in the ECDSA-Sig-Value, the
# last field of the DER; the PKCS#7 still parses and names a loaded key).
ECSIG_CASES="/mk/p256 100000 sha256 - 256 mkfs
/mk/p256small 4097 sha256 - 256 mkfs
/en/p256sha512 70000 sha512 $SALT7 256 key
/en/p384 100000 sha256 - 384 key
/en/p384sha512 5000 sha512 $SALT32 384 key
/en/p256ca 3000 sha256 - 256ca key
/sg/p256 3000 sha256 - 256 sig
/sg/p384 3000 sha512 - 384 sig
/sg/p256flip 3000 sha256 - 256 flip
/sg/p384flip 3000 sha256 - 384 flip
/sg/p256caflip 3000 sha256 - 256ca flip"

# build_ecsig: $W/ecsig/ec.img and the host checks of its making.
build_ecsig() {
	local d=$W/ecsig p size alg salt c how id out off v kc
	rm -rf "$d"
	mkdir -p "$d/src/mk" "$d/src/en" "$d/src/sg" "$d/exp"
	while read -r p size alg salt c how; do
		id=$(fid "$p")
		rnd_file "$d/src$p" "$size"
		sha256sum <"$d/src$p" | cut -d' ' -f1 >"$d/exp/$id.sha"
		# shellcheck disable=SC2046
		fsverity digest "$d/src$p" $(vargs "$alg" 4096 "$salt") | cut -d' ' -f1 >"$d/exp/$id.digest"
	done <<<"$ECSIG_CASES"
	if out=$("$MBVERITY" mkfs -d "$d/src" --label=ecsig --include='/mk/*' --quiet \
		--key="$W/ke256.pem" --cert="$W/ce256.pem" "$d/ec.img" 2>&1) && [ -s "$d/ec.img" ]; then
		hok host-mkfs:ecsig
	else
		hfail host-mkfs:ecsig "$out"
		rm -f "$d/ec.img"
		return 0
	fi
	while read -r p size alg salt c how; do
		id=$(fid "$p")
		kc="--key=$W/ke${c%ca}.pem --cert=$W/ce$c.pem"
		# shellcheck disable=SC2046
		set -- $(vargs "$alg" 4096 "$salt")
		case $how in
		mkfs) set -- ;;
		key)
			# shellcheck disable=SC2086
			set -- "$@" $kc
			;;
		sig | flip)
			# shellcheck disable=SC2086
			if out=$("$MBVERITY" sign "$d/src$p" "$d/exp/$id.sig" "$@" $kc 2>&1); then
				hok "host-sign:ecsig$p"
			else
				hfail "host-sign:ecsig$p" "$out"
				continue
			fi
			if [ "$how" = flip ]; then
				off=$(($(stat -c %s "$d/exp/$id.sig") - 1))
				v=$(($(byte_at "$d/exp/$id.sig" "$off") ^ 1))
				printf "\\$(printf %03o "$v")" |
					dd of="$d/exp/$id.sig" bs=1 seek="$off" conv=notrunc 2>/dev/null
			fi
			set -- "$@" --signature="$d/exp/$id.sig"
			;;
		esac
		if [ "$how" != mkfs ]; then
			if out=$("$MBVERITY" enable --image="$d/ec.img" "$p" "$@" 2>&1); then
				hok "host-enable:ecsig$p"
			else
				hfail "host-enable:ecsig$p" "$out"
				continue
			fi
		fi
		host_measure "ecsig$p" "$d/ec.img" "$p" "$d/exp/$id.digest"
	done <<<"$ECSIG_CASES"
	fsck_check ecsig ec
}

# ecsig_checks KCONFIG: the guest checks of the ecsig image, every file
# opened first with require_signatures=1. What the kernel does follows from
# its CONFIG_CRYPTO_ECDSA:
# - y (Debian's 6.12): the three certs load; every file reads and measures
#   right; a flipped signature byte gives EKEYREJECTED ("Incorrect file
#   signature", fs/verity/signature.c).
# - not set (Debian's 6.1): the kernel has no "ecdsa-nist-pNNN" akcipher,
#   so crypto_alloc_akcipher() in public_key_verify_signature() fails with
#   -ENOENT (crypto/asymmetric_keys/public_key.c). A self-signed EC cert then
#   cannot be added at all: x509_key_preparse() checks its self-signature
#   and x509_check_for_self_signed() lets only -ENOPKG through
#   (x509_public_key.c): keyctl gets ENOENT. Files signed by those keys, the
#   flipped ones too, find no key: ENOKEY (pkcs7_validate_trust_one(); so
#   the PKCS#7 with its ecdsa-with-SHAnnn signerInfo did parse, which 6.1's
#   pkcs7_parser.c can since 5.13). The cert issued by RSA key 1 loads (its
#   own signature is RSA), and the file it signs hits the same missing
#   akcipher, which pkcs7_validate_trust_one() turns into -EKEYREJECTED.
# - anything else (=m: the module is not in the initramfs): a failure.
ecsig_checks() {
	local m=/mnt/ecsig p size alg salt c how id ecdsa err
	ecdsa=$(grep -E '^(# )?CONFIG_CRYPTO_ECDSA[= ]' "$1" 2>/dev/null || true)
	case $ecdsa in
	CONFIG_CRYPTO_ECDSA=y) ecdsa=y ;;
	'# CONFIG_CRYPTO_ECDSA is not set') ecdsa=n ;;
	*)
		hfail ecsig-kconfig "no plan for '${ecdsa:-no CONFIG_CRYPTO_ECDSA line}' in $1"
		return 0
		;;
	esac
	for c in 256 384 256ca; do
		if [ $ecdsa = y ] || [ "$c" = 256ca ]; then
			echo "g_loadcert cert-ec$c /mbvk/ce$c.der"
		else
			echo "g_loadcert_err cert-ec$c-enoent /mbvk/ce$c.der 'No such file or directory'"
		fi
	done
	echo "g_require_sigs require-signatures-on:ecsig 1"
	echo "dmesg_mark"
	echo "g_mount mount:ecsig ecsig $m ro"
	while read -r p size alg salt c how; do
		id=$(fid "$p")
		if [ $ecdsa = y ] && [ "$how" != flip ]; then
			echo "g_read ec-read:$p $m$p $(cat "$W/ecsig/exp/$id.sha")"
			echo "g_measure ec-measure:$p $m$p $(cat "$W/ecsig/exp/$id.digest")"
			continue
		fi
		if [ $ecdsa = y ] || [ "$c" = 256ca ]; then
			err='Key was rejected by service'
		else
			err='Required key not available'
		fi
		echo "g_read_err ec-$how:$p $m$p '$err'"
	done <<<"$ECSIG_CASES"
	echo "g_umount umount:ecsig $m"
	echo "g_dmesg_clean dmesg:ecsig"
	echo "g_require_sigs require-signatures-off:ecsig 0"
}
