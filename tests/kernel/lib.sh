# SPDX-License-Identifier: MIT
# Shared helpers for the real-kernel interop harness. Sourced, not run.

MBVK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${MBV_KERNEL_CACHE:=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/mbverity-kernels}"
export MBV_KERNEL_CACHE

mbvk_log() { printf 'mbvk: %s\n' "$*" >&2; }
mbvk_die() { printf 'mbvk: error: %s\n' "$*" >&2; exit 1; }

# Tools the harness needs on the host, with the Debian package providing each.
MBVK_HOST_TOOLS="qemu-system-x86_64:qemu-system-x86 busybox:busybox-static
fsverity:fsverity keyctl:keyutils openssl:openssl debugfs:e2fsprogs
mke2fs:e2fsprogs cpio:cpio depmod:kmod modprobe:kmod dpkg-deb:dpkg
apt-get:apt gzip:gzip xz:xz-utils zstd:zstd timeout:coreutils"

mbvk_check_tools() {
	local t bin pkg missing=
	for t in $MBVK_HOST_TOOLS; do
		bin=${t%%:*} pkg=${t#*:}
		command -v "$bin" >/dev/null 2>&1 ||
			[ -x "/usr/sbin/$bin" ] || [ -x "/sbin/$bin" ] ||
			missing="$missing $bin($pkg)"
	done
	[ -z "$missing" ] || mbvk_die "missing host tools:$missing (scripts/install-deps.sh installs them)"
	case $(LC_ALL=C ldd "$(command -v busybox)" 2>&1) in *'not a dynamic'*) ;; *) false ;; esac ||
		mbvk_die "busybox is not static (install busybox-static)"
}

# sbin tools may not be on a non-root PATH.
PATH=$PATH:/usr/sbin:/sbin
export PATH

# mbvk_payload DIR OUT.cpio.gz: pack DIR as /mbvk in a cpio archive that is
# appended to the base initramfs (the kernel unpacks concatenated archives).
mbvk_payload() {
	local dir=$1 out=$2 tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbvk-payload.XXXXXX")
	cp -r "$dir" "$tmp/mbvk"
	(cd "$tmp" && find mbvk | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out"
	rm -rf "$tmp"
}

# mbvk_boot VMLINUZ INITRD LOG TIMEOUT [qemu args (drives)...]
# Boots one VM, console to LOG. Returns 0 when the guest reported MBVK-DONE;
# otherwise prints the last console lines and returns 1.
mbvk_boot() {
	local kernel=$1 initrd=$2 log=$3 tmo=$4 pidf rc=0 start
	shift 4
	pidf=$log.pid
	rm -f "$pidf"
	start=$(date +%s)
	# TCG: no KVM on this kind of machine; one vCPU since the host has two.
	timeout -k 10 "$tmo" qemu-system-x86_64 -machine q35 -accel tcg -m 1G -smp 1 \
		-nographic -no-reboot -monitor none -nic none -pidfile "$pidf" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet" "$@" </dev/null >"$log" 2>&1 || rc=$?
	# Should timeout's kill not have reached qemu, end it by its own PID.
	if [ -s "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
		kill -9 "$(cat "$pidf")" 2>/dev/null || true
	fi
	rm -f "$pidf"
	mbvk_log "VM finished in $(($(date +%s) - start)) s (exit $rc): $log"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		mbvk_log "VM timed out after $tmo s"
	fi
	if ! grep -q '^MBVK-DONE' "$log"; then
		mbvk_log "VM did not finish its checks; last console lines:"
		tail -n 40 "$log" | sed 's/^/    | /' >&2
		return 1
	fi
	return 0
}
