# SPDX-License-Identifier: MIT
# Check primitives run inside the guest (busybox sh). The host appends calls
# to these to build /mbvk/guest.sh. Every g_* call prints exactly one
# "MBVK-RESULT ok|FAIL NAME [why]" line: the host counts them.

ok() { echo "MBVK-RESULT ok $1"; }
fail() {
	n=$1
	shift
	echo "MBVK-RESULT FAIL $n $(echo "$*" | tr '\n' ' ')"
	nfail=$((nfail + 1))
}
info() { echo "MBVK-INFO $*"; }
nfail=0

# The ext4 label sits at byte 1144 of the device (superblock + 0x78).
label_of() { dd if="$1" bs=8 skip=143 count=2 2>/dev/null | tr -d '\000'; }

# g_mount NAME LABEL DIR ro|rw
g_mount() {
	for d in /dev/vd*; do
		[ "$(label_of "$d")" = "$2" ] || continue
		mkdir -p "$3"
		if out=$(mount -t ext4 -o "$4" "$d" "$3" 2>&1); then
			ok "$1"
		else
			fail "$1" "mount $d: $out"
		fi
		return
	done
	fail "$1" "no disk labelled $2"
}

# g_umount NAME DIR
g_umount() {
	if out=$(umount "$2" 2>&1); then ok "$1"; else fail "$1" "$out"; fi
}

# g_measure NAME FILE EXPECTED_DIGEST
g_measure() {
	if ! out=$(fsverity measure "$2" 2>&1); then
		fail "$1" "measure: $out"
	elif [ "${out%% *}" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "measure ${out%% *} want $3"
	fi
}

# g_read NAME FILE SHA256: read to the end, content hash must match.
g_read() {
	if ! out=$(sha256sum "$2" 2>&1); then
		fail "$1" "read: $out"
	elif [ "${out%% *}" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "content sha256 ${out%% *} want $3"
	fi
}

# g_read_err NAME FILE TEXT: open or read must fail with strerror TEXT.
g_read_err() {
	if out=$(cat "$2" 2>&1 >/dev/null); then
		fail "$1" "read succeeded, wanted '$3'"
		return
	fi
	case $out in
	*"$3"*) ok "$1" ;;
	*) fail "$1" "got '$out', wanted '$3'" ;;
	esac
}

# g_eio NAME FILE
g_eio() { g_read_err "$1" "$2" "Input/output error"; }

# g_readlink NAME LINK TARGET
g_readlink() {
	if ! out=$(readlink "$2" 2>&1); then
		fail "$1" "readlink: $out"
	elif [ "$out" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "points to '$out', want '$3'"
	fi
}

# g_enable NAME FILE FSVERITY_ENABLE_ARGS...
g_enable() {
	n=$1 f=$2
	shift 2
	if out=$(fsverity enable "$f" "$@" 2>&1); then ok "$n"; else fail "$n" "enable: $out"; fi
}

# g_meta NAME FILE_A FILE_B: FS_IOC_READ_VERITY_METADATA gives the same
# tree, descriptor and signature for both files.
g_meta() {
	why=
	for t in merkle_tree descriptor signature; do
		fsverity dump_metadata $t "$2" >/tmp/ma 2>/tmp/ea
		ra=$?
		fsverity dump_metadata $t "$3" >/tmp/mb 2>/tmp/eb
		rb=$?
		[ $t = signature ] || [ $ra = 0 ] || why="$why $t: $(cat /tmp/ea);"
		if [ $ra != $rb ] || ! cmp -s /tmp/ma /tmp/mb; then
			why="$why $t differs ($(sha256sum </tmp/ma | cut -c1-16) vs $(sha256sum </tmp/mb | cut -c1-16));"
		fi
	done
	if [ -z "$why" ]; then ok "$1"; else fail "$1" "$why"; fi
}

# g_require_sigs NAME 0|1
g_require_sigs() {
	if echo "$2" >/proc/sys/fs/verity/require_signatures 2>/tmp/e &&
		[ "$(cat /proc/sys/fs/verity/require_signatures)" = "$2" ]; then
		ok "$1"
	else
		fail "$1" "$(cat /tmp/e)"
	fi
}

# g_loadcert NAME CERT.der
g_loadcert() {
	if out=$(keyctl padd asymmetric '' %keyring:.fs-verity <"$2" 2>&1); then
		ok "$1"
	else
		fail "$1" "keyctl: $out"
	fi
}

# g_loadcert_err NAME CERT.der TEXT: the kernel must refuse the cert with
# strerror TEXT.
g_loadcert_err() {
	if out=$(keyctl padd asymmetric '' %keyring:.fs-verity <"$2" 2>&1); then
		fail "$1" "keyctl added key $out, wanted '$3'"
		return
	fi
	case $out in
	*"$3"*) ok "$1" ;;
	*) fail "$1" "got '$out', wanted '$3'" ;;
	esac
}

# g_write NAME FILE BYTES: the kernel writes a new file (allocates blocks,
# updates quota usage) and syncs it.
g_write() {
	if out=$(head -c "$3" /dev/urandom 2>&1 >"$2") && out=$(sync 2>&1) &&
		[ "$(wc -c <"$2")" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "write $2: $out"
	fi
}

# dmesg_mark: remember where the kernel log ends (no result line: not a check).
dmesg_at=0
dmesg_mark() { dmesg_at=$(dmesg | wc -l); }

# g_dmesg_clean NAME: no ext4 error and no "overlap fs metadata" logged
# since the last dmesg_mark.
g_dmesg_clean() {
	bad=$(dmesg | tail -n +$((dmesg_at + 1)) | grep -i -e 'ext4-fs error' -e 'overlap')
	if [ -z "$bad" ]; then ok "$1"; else fail "$1" "$bad"; fi
}

g_end() {
	if [ $nfail != 0 ]; then
		dmesg | tail -n 30 | sed 's/^/MBVK-DMESG /'
	fi
}
