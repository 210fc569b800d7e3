#!/bin/bash
# SPDX-License-Identifier: MIT
# Real-kernel interop check: files made verity offline by `mbverity enable`
# inside ext4 images must behave, under Debian's own kernels booted in qemu,
# exactly like files the kernel made verity itself.
#
# usage: tests/kernel/run.sh [--kernel-only|--self-test] [--kernels "SUITE..."] [MBVERITY]
#   MBVERITY       the mbverity program (default $MBVERITY, else
#                  ./programs/mbverity from the build directory)
#   --kernel-only  the guest kernel makes the subject files verity itself
#                  (fsverity enable): tests the harness without mbverity
#   --self-test    mbverity mode with fake-mbverity.sh (debugfs-based) in
#                  place of mbverity: tests the offline path of the harness
#   --kernels      Debian suites to take linux-image-amd64 from (default
#                  "bookworm bookworm-backports": 6.1 and 6.12)
# env: MBV_KERNEL_CACHE (kernel downloads), MBVK_WORK (work directory, kept
# on failure), MBVK_VM_TIMEOUT (seconds per VM, default 240), MBVK_PARTS
# (hostile: only the hostile images of hostile.sh; live: only the live-file
# checks of live.sh, mbverity against fsverity in the guest).
# Exit 0 only if every check passed; a missing qemu or kernel is a failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$MBVK_DIR/images.sh"
. "$MBVK_DIR/hostile.sh"
. "$MBVK_DIR/live.sh"

mode=mbverity
self_test=0
kernels=${MBVK_KERNELS:-"bookworm bookworm-backports"}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-only) mode=kernel ;;
	--self-test) MBVERITY=$MBVK_DIR/fake-mbverity.sh self_test=1 ;;
	--kernels) kernels=$2; shift ;;
	--kernels=*) kernels=${1#*=} ;;
	-h | --help) sed -n '3,20p' "$0"; exit 0 ;;
	-*) mbvk_die "unknown option $1" ;;
	*) MBVERITY=$1 ;;
	esac
	shift
done
: "${MBVERITY:=./programs/mbverity}"
: "${MBVK_VM_TIMEOUT:=240}"
: "${MBVK_PARTS:=all}"
case $MBVK_PARTS in all | hostile | live) ;; *) mbvk_die "MBVK_PARTS is all, hostile or live, not $MBVK_PARTS" ;; esac

mbvk_check_tools
if [ $mode = mbverity ]; then
	[ -x "$MBVERITY" ] || mbvk_die "no mbverity program at $MBVERITY (or use --kernel-only)"
	MBVERITY=$(cd "$(dirname "$MBVERITY")" && pwd)/$(basename "$MBVERITY")
	"$MBVERITY" enable --help >/dev/null 2>&1 ||
		mbvk_die "$MBVERITY has no working 'enable' command (or use --kernel-only)"
fi

if [ -n "${MBVK_WORK:-}" ]; then
	rm -rf "$MBVK_WORK"
	mkdir -p "$MBVK_WORK"
	WORK=$(cd "$MBVK_WORK" && pwd)
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mbvk.XXXXXX")
fi
mbvk_log "work directory $WORK, mode $mode"
# Run a private copy so a rebuild during the run cannot pull it away.
if [ $mode = mbverity ] && [ "$(head -c 4 "$MBVERITY" | od -An -c | tr -d ' ')" = '177ELF' ]; then
	cp "$MBVERITY" "$WORK/mbverity"
	MBVERITY=$WORK/mbverity
fi

# Filesystems per kernel: NAME FSBS SIGS SETS... Linux 6.1 only takes tree
# blocks of PAGE_SIZE; 6.3+ takes 1 KiB up to the fs block size.
fs_plan() {
	local common="s256:sha256:4096:- s512:sha512:4096:- s256salt:sha256:4096:$SALT7 s512salt:sha512:4096:$SALT32"
	case $1 in
	6.1.*) echo "4k 4096 1 $common" ;;
	*)
		echo "4k 4096 1 s256:sha256:4096:- s512salt:sha512:4096:$SALT32 t1k256:sha256:1024:- t2k512:sha512:2048:$SALT7 t2k256salt:sha256:2048:$SALT32 t1k512:sha512:1024:-"
		echo "1k 1024 0 b1k256:sha256:1024:- b1k512salt:sha512:1024:$SALT7"
		;;
	esac
}

# guest_checks FS: the checks on s (subject, read-only), c (corrupted copy)
# and r (plain copy the guest makes verity itself, the reference).
guest_checks() {
	local fs=$1 d=$W/$1 p size alg tbs salt kind id sig
	while read -r p size alg tbs salt kind; do
		[ "$kind" = n ] || continue
		id=$(fid "$p")
		echo "g_measure measure:$fs$p /mnt/s$fs$p $(cat "$d/exp/$id.digest")"
		echo "g_read read:$fs$p /mnt/s$fs$p $(cat "$d/exp/$id.sha")"
	done <"$d/manifest"
	cat "$d/corrupt.plan"
	while read -r p size alg tbs salt kind; do
		case $kind in plain | k2) continue ;; esac
		id=$(fid "$p")
		sig=
		[ -f "$d/exp/$id.sig" ] && sig=" --signature=/mbvk/sig/$fs$id.sig"
		echo "g_enable ref-enable:$fs$p /mnt/r$fs$p $(vargs "$alg" "$tbs" "$salt")$sig"
		echo "g_measure ref-measure:$fs$p /mnt/r$fs$p $(cat "$d/exp/$id.digest")"
		# Opening the unsigned subject now would cache its verity info
		# and defeat the require_signatures check below.
		[ "$kind" = uns ] || echo "g_meta meta:$fs$p /mnt/s$fs$p /mnt/r$fs$p"
	done <"$d/manifest"
}

# sig_checks FS: after all unsigned checks, since require_signatures=1 makes
# every unsigned verity file unreadable.
sig_checks() {
	local fs=$1 d=$W/$1 p size alg tbs salt kind id m=/mnt/s$1
	grep -q ' k1key$' "$d/manifest" || return 0
	echo "g_read_err sig-k2-nokey:$fs /mnt/s$fs/sig/k2 'Required key not available'"
	echo "g_read sig-k1key-require0:$fs $m/sig/k1key $(cat "$d/exp/_sig_k1key.sha")"
	echo "g_require_sigs require-signatures-on:$fs 1"
	echo "g_read_err sig-unsigned-eperm:$fs $m/sig/uns 'Operation not permitted'"
	echo "g_read_err sig-k2-nokey-require1:$fs $m/sig/k2 'Required key not available'"
	echo "g_read sig-plainfile-require1:$fs $m/sig/plain $(cat "$d/exp/_sig_plain.sha")"
	while read -r p size alg tbs salt kind; do
		case $kind in k1key | k1sig) ;; *) continue ;; esac
		id=$(fid "$p")
		echo "g_read sig-read:$fs$p $m$p $(cat "$d/exp/$id.sha")"
		echo "g_measure sig-measure:$fs$p $m$p $(cat "$d/exp/$id.digest")"
	done <"$d/manifest"
	echo "g_require_sigs require-signatures-off:$fs 0"
}

# make_payload PLANFILE NDISKS OUTDIR: guest.sh plus certs and signatures.
make_payload() {
	local plan=$1 n=$2 out=$3 fs
	rm -rf "$out"
	mkdir -p "$out/sig"
	cat "$MBVK_DIR/guest-lib.sh" "$plan" >"$out/guest.sh"
	echo "g_end" >>"$out/guest.sh"
	echo "$n" >"$out/ndisks"
	cp "$W/c1.der" "$W/c2.der" "$W"/ce*.der "$out/"
	for fs in $FSLIST; do
		for s in "$W/$fs"/exp/*.sig; do
			[ -f "$s" ] && cp "$s" "$out/sig/$fs$(basename "$s")"
		done
	done
	[ ! -d "$W/live/sig" ] || cp -r "$W/live/sig" "$out/live"
	return 0
}

# boot_plan NAME PLANFILE DRIVE_ARGS...: boot once, collect guest results.
boot_plan() {
	local name=$1 plan=$2 ndisks want got
	shift 2
	ndisks=$(($# / 2))
	make_payload "$plan" "$ndisks" "$W/payload-$name"
	mbvk_payload "$W/payload-$name" "$W/payload-$name.cpio.gz"
	cat "$W/base.cpio.gz" "$W/payload-$name.cpio.gz" >"$W/initrd-$name.gz"
	want=$(grep -c '^g_' "$plan" || true)
	if ! mbvk_boot "$KERNEL" "$W/initrd-$name.gz" "$W/console-$name.log" "$MBVK_VM_TIMEOUT" "$@"; then
		hfail "boot:$name" "VM did not finish (see $W/console-$name.log)"
	else
		hok "boot:$name"
	fi
	tr -d '\r' <"$W/console-$name.log" | grep '^MBVK-RESULT ' >>"$W/guest-results" || true
	got=$(tr -d '\r' <"$W/console-$name.log" | grep -c '^MBVK-RESULT ' || true)
	if [ "$got" != "$want" ]; then
		hfail "results:$name" "guest printed $got results, planned $want"
	fi
	tr -d '\r' <"$W/console-$name.log" | grep -E '^MBVK-(RESULT FAIL|DMESG|NOTE)' | sed 's/^/    /' >&2 || true
}

run_kernel() {
	local suite=$1 kroot kver t0 fs fsbs sigs drives plan hd
	t0=$(date +%s)
	W=$WORK/$suite
	mkdir -p "$W"
	: >"$W/host-results"
	: >"$W/guest-results"
	kroot=$(bash "$MBVK_DIR/fetch-kernel.sh" "$suite") || {
		hfail "fetch:$suite" "cannot obtain the $suite kernel"
		return
	}
	kver=$(cat "$kroot/KVER")
	KERNEL=$kroot/boot/vmlinuz-$kver
	mbvk_log "$suite: kernel $kver"
	# The live-file checks run the real program in the guest.
	live=0
	[ $mode = mbverity ] && [ $self_test = 0 ] && [ "$MBVK_PARTS" != hostile ] && live=1
	[ $live = 0 ] || export MBVK_GUEST_MBVERITY=$MBVERITY
	bash "$MBVK_DIR/mkinitramfs.sh" "$kroot" "$W/base.cpio.gz" || {
		hfail "initramfs:$suite" "mkinitramfs failed"
		return
	}
	mk_keys

	FSLIST=
	[ "$MBVK_PARTS" != all ] ||
		while read -r fs fsbs sigs sets; do
			FSLIST="$FSLIST $fs"
			echo "$fsbs" >"$W/fsbs-$fs"
			# shellcheck disable=SC2086
			build_fs "$fs" "$fsbs" "$sigs" $sets
		done < <(fs_plan "$kver")
	mbvk_log "$suite: test trees and images built ($(($(date +%s) - t0)) s)"

	if [ $mode = kernel ]; then
		# Boot 1: the kernel makes the subject files verity.
		plan=$W/plan-enable
		{
			echo "g_loadcert cert1 /mbvk/c1.der"
			echo "g_loadcert cert2 /mbvk/c2.der"
			for fs in $FSLIST; do
				copy_img "$fs" s
				echo "g_mount mount:s$fs s$fs /mnt/s$fs rw"
				while read -r p size alg tbs salt kind; do
					[ "$kind" = plain ] && continue
					id=$(fid "$p")
					sig=
					[ -f "$W/$fs/exp/$id.sig" ] && sig=" --signature=/mbvk/sig/$fs$id.sig"
					echo "g_enable enable:$fs$p /mnt/s$fs$p $(vargs "$alg" "$tbs" "$salt")$sig"
				done <"$W/$fs/manifest"
				echo "g_umount umount:s$fs /mnt/s$fs"
			done
		} >"$plan"
		drives=()
		for fs in $FSLIST; do
			drives+=(-drive "file=$W/$fs/s.img,if=virtio,format=raw")
		done
		boot_plan enable "$plan" "${drives[@]}"
		for fs in $FSLIST; do fsck_check "$fs" s; done
	else
		for fs in $FSLIST; do mbverity_enable_all "$fs"; done
		[ "$MBVK_PARTS" != all ] || build_xdesc
		[ $live = 0 ] || build_live "$kver"
		# mkfs, enable --all and the hostile images have no stand-in in
		# fake-mbverity.sh.
		if [ $self_test = 0 ] && [ "$MBVK_PARTS" = hostile ]; then
			build_hostile "$kver"
		elif [ $self_test = 0 ] && [ "$MBVK_PARTS" = all ]; then
			gen_tree
			case $kver in
			6.1.*)
				build_mkfs - sha256 4096 -
				build_eall 4096 sha256 4096 -
				;;
			*)
				build_mkfs 1024 sha512 1024 "$SALT7"
				build_eall 4096 sha512 2048 "$SALT32"
				;;
			esac
			build_ecsig
			build_hostile "$kver"
		fi
	fi
	mbvk_log "$suite: subject images made verity ($(($(date +%s) - t0)) s)"

	# Boot 2: every check on subject, corrupted and reference images.
	plan=$W/plan-check
	drives=()
	{
		echo "g_loadcert cert1 /mbvk/c1.der"
		echo "g_require_sigs require-signatures-off 0"
		for fs in $FSLIST; do
			fsbs=$(cat "$W/fsbs-$fs")
			corrupt_all "$fs" "$fsbs" >"$W/$fs/corrupt.plan"
			copy_img "$fs" r
			# No ext4 error logged while any image is in use (the
			# corrupted copy's errors are fs-verity's, not ext4's).
			echo "dmesg_mark"
			echo "g_mount mount:s$fs s$fs /mnt/s$fs ro"
			echo "g_mount mount:c$fs c$fs /mnt/c$fs ro"
			echo "g_mount mount:r$fs r$fs /mnt/r$fs rw"
			guest_checks "$fs"
			echo "g_umount umount:r$fs /mnt/r$fs"
			echo "g_dmesg_clean dmesg:$fs"
			drives+=(-drive "file=$W/$fs/s.img,if=virtio,format=raw,snapshot=on")
			drives+=(-drive "file=$W/$fs/c.img,if=virtio,format=raw,snapshot=on")
			drives+=(-drive "file=$W/$fs/r.img,if=virtio,format=raw")
		done
		if [ -f "$W/eall/ea.img" ]; then
			echo "dmesg_mark"
			echo "g_mount mount:eall eall /mnt/eall ro"
			tree_checks eall /mnt/eall
			echo "g_umount umount:eall /mnt/eall"
			echo "g_dmesg_clean dmesg:eall"
			drives+=(-drive "file=$W/eall/ea.img,if=virtio,format=raw,snapshot=on")
		fi
		if [ -f "$W/xdesc/xc.img" ]; then
			echo "dmesg_mark"
			echo "g_mount mount:xdesc xdesc /mnt/xdesc ro"
			# sizehuge is last: ext4 logs an error for it, by design.
			grep -v ' x-sizehuge ' "$W/xdesc/plan" || true
			echo "g_dmesg_clean dmesg:xdesc"
			grep ' x-sizehuge ' "$W/xdesc/plan" || true
			echo "g_umount umount:xdesc /mnt/xdesc"
			drives+=(-drive "file=$W/xdesc/xc.img,if=virtio,format=raw,snapshot=on")
		fi
		# Issue 12's hostile images, unsigned: before require_signatures=1.
		for hd in "$W"/hx/*/; do
			[ -s "$hd/plan" ] || continue
			cat "$hd/plan"
			drives+=(-drive "$(cat "$hd/drive")")
		done
		# Live files: unsigned ones before require_signatures=1 below (the
		# block sets it and clears it again around its own signed checks).
		if [ $live = 1 ] && [ -s "$W/live/plan" ]; then
			cat "$W/live/plan"
			drives+=(-drive "file=$W/live/live.img,if=virtio,format=raw")
		fi
		echo "dmesg_mark"
		for fs in $FSLIST; do sig_checks "$fs"; done
		[ -z "$FSLIST" ] || echo "g_dmesg_clean dmesg:sig"
		# First opens of the mkfs files happen with require_signatures=1,
		# so a file left unsigned cannot pass by a cached earlier open.
		if [ -f "$W/mkfs/m.img" ]; then
			echo "g_require_sigs require-signatures-on:mkfs 1"
			echo "dmesg_mark"
			echo "g_mount mount:mkfs mkfs /mnt/mkfs ro"
			tree_checks mkfs /mnt/mkfs
			echo "g_umount umount:mkfs /mnt/mkfs"
			echo "g_dmesg_clean dmesg:mkfs"
			echo "g_require_sigs require-signatures-off:mkfs 0"
			drives+=(-drive "file=$W/mkfs/m.img,if=virtio,format=raw,snapshot=on")
		fi
		# ECDSA-signed files; their certs are loaded here, last.
		if [ -f "$W/ecsig/ec.img" ]; then
			ecsig_checks "$kroot/boot/config-$kver"
			drives+=(-drive "file=$W/ecsig/ec.img,if=virtio,format=raw,snapshot=on")
		fi
	} >"$plan"
	boot_plan check "$plan" "${drives[@]}"

	for fs in $FSLIST; do
		fsck_check "$fs" r
		layout_checks "$fs" "$(cat "$W/fsbs-$fs")"
	done
	hostile_fsck_after
	[ $live = 0 ] || live_after
	mbvk_log "$suite: layout compared ($(($(date +%s) - t0)) s)"
	echo "$(($(date +%s) - t0))" >"$W/seconds"
}

total_ok=0 total_fail=0
for suite in $kernels; do
	run_kernel "$suite"
	W=$WORK/$suite
	cat "$W/host-results" "$W/guest-results" >"$W/results"
	nok=$(grep -c '^MBVK-RESULT ok ' "$W/results" || true)
	nfail=$(grep -c '^MBVK-RESULT FAIL ' "$W/results" || true)
	grep '^MBVK-RESULT FAIL ' "$W/results" | sed "s/^MBVK-RESULT /  $suite: /" >&2 || true
	echo "kernel $suite: $nok passed, $nfail failed ($(cat "$W/seconds" 2>/dev/null || echo '?') s)"
	total_ok=$((total_ok + nok))
	total_fail=$((total_fail + nfail))
	[ "$nok" -gt 0 ] || total_fail=$((total_fail + 1))
done

echo "check-kernel: $total_ok passed, $total_fail failed"
if [ "$total_fail" = 0 ]; then
	[ -n "${MBVK_WORK:-}" ] || rm -rf "$WORK"
	exit 0
fi
mbvk_log "kept $WORK for inspection"
exit 1
