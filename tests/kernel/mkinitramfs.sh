#!/bin/bash
# SPDX-License-Identifier: MIT
# mkinitramfs.sh KERNEL_ROOT OUT.cpio.gz
# Builds the base initramfs for the kernel extracted at KERNEL_ROOT (by
# fetch-kernel.sh): static busybox, fsverity and keyctl with their shared libs
# from the host, and the modules ext4, quota and virtio need, decompressed
# because busybox insmod only takes plain .ko files.  With
# MBVK_GUEST_MBVERITY=PATH also that mbverity (as /bin/mbverity) and its
# shared libraries, for the live-file checks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kroot=$(cd "${1:?usage: mkinitramfs.sh KERNEL_ROOT OUT}" && pwd)
out=${2:?usage: mkinitramfs.sh KERNEL_ROOT OUT}
kver=$(cat "$kroot/KVER")
# crc32c_generic: ext4 metadata_csum needs a crc32c and the CPU model may
# lack SSE4.2; sha512_generic: SHA-512 trees (built in on newer kernels);
# quota_v2: ext4 turns quota on at mount for the quota feature (ESRCH without).
MODULES="virtio_pci virtio_blk crc32c_generic ext4 sha512_generic quota_v2"

stage=$(mktemp -d "${TMPDIR:-/tmp}/mbvk-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/modules" "$stage/mbvk"
cp "$(command -v busybox)" "$stage/bin/busybox"
cp "$MBVK_DIR/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"

# Copy a dynamic program and the libraries ldd lists, at the same paths:
# copy_prog NAME [PATH].
copy_prog() {
	local prog=${2:-} lib
	[ -n "$prog" ] || prog=$(command -v "$1") || mbvk_die "no $1 on the host"
	cp "$prog" "$stage/bin/$1"
	for lib in $(ldd "$prog" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
copy_prog fsverity
copy_prog keyctl
# chattr: the live-file checks' append-only and immutable files (busybox has none).
copy_prog chattr
[ -z "${MBVK_GUEST_MBVERITY:-}" ] || copy_prog mbverity "$MBVK_GUEST_MBVERITY"

: >"$stage/modules.list"
for m in $MODULES; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$m" ||
		mbvk_die "modprobe cannot resolve $m for $kver"
done | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
	name=$(basename "$ko")
	case $name in
	# ext4's softdep on the SSE4.2 crc32c: the generic one is loaded.
	crc32c-intel.*) continue ;;
	esac
	case $name in
	*.ko.xz) plain=${name%.xz}; xz -dc "$ko" >"$stage/modules/$plain" ;;
	*.ko.zst) plain=${name%.zst}; zstd -qdc "$ko" >"$stage/modules/$plain" ;;
	*.ko.gz) plain=${name%.gz}; gzip -dc "$ko" >"$stage/modules/$plain" ;;
	*.ko) plain=$name; cp "$ko" "$stage/modules/$plain" ;;
	*) mbvk_die "unexpected module file $ko" ;;
	esac
	# --show-depends repeats shared dependencies: load each once.
	grep -qx "$plain" "$stage/modules.list" || echo "$plain" >>"$stage/modules.list"
done

(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out"
