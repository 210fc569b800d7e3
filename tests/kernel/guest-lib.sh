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

# ---- Live files: /bin/mbverity against fsverity-utils on the same files.
# Two copies of the same tree, $LV_BASE/m for mbverity and $LV_BASE/f for
# fsverity, run from inside each with the same relative names, so messages
# and outputs compare byte for byte. LV_FARGS: other arguments for fsverity
# (empty: the same); LV_HOLD: a file each program's shell holds open for
# writing while it runs (ETXTBSY).
LV_BASE=/mnt/live LV_FARGS= LV_HOLD=

# lv_run m|f ARGS...: exit status, stdout and stderr in /tmp/lv.m.* or /tmp/lv.f.*.
lv_run() {
	w=$1
	shift
	prog=fsverity
	[ "$w" = m ] && prog=/bin/mbverity
	if [ -n "$LV_HOLD" ]; then
		(cd "$LV_BASE/$w" && exec 3>>"$LV_HOLD" && "$prog" "$@") >/tmp/lv.$w.out 2>/tmp/lv.$w.err
	else
		(cd "$LV_BASE/$w" && "$prog" "$@") >/tmp/lv.$w.out 2>/tmp/lv.$w.err
	fi
	echo $? >/tmp/lv.$w.st
}

# g_live NAME WANT ARGS...: the same exit status and stdout from both; WANT
# ok: exit 0 and nothing on stderr; else the strerror text of the kernel's
# refusal, which fsverity's "ERROR: " line must hold, and mbverity's one
# line must be "mbverity: " + that text + " (reason)".
g_live() {
	n=$1 want=$2
	shift 2
	lv_run m "$@"
	if [ -n "$LV_FARGS" ]; then
		# shellcheck disable=SC2086
		lv_run f $LV_FARGS
	else
		lv_run f "$@"
	fi
	sm=$(cat /tmp/lv.m.st) sf=$(cat /tmp/lv.f.st)
	if [ "$sm" != "$sf" ]; then
		fail "$n" "exit $sm, fsverity $sf: $(head -c 300 /tmp/lv.m.err) | $(head -c 300 /tmp/lv.f.err)"
		return
	fi
	if ! cmp -s /tmp/lv.m.out /tmp/lv.f.out; then
		fail "$n" "stdout differs: $(head -c 150 /tmp/lv.m.out | tr -c '[:print:]' .) | $(head -c 150 /tmp/lv.f.out | tr -c '[:print:]' .)"
		return
	fi
	if [ "$want" = ok ]; then
		if [ "$sm" = 0 ] && [ ! -s /tmp/lv.m.err ]; then ok "$n"; else fail "$n" "exit $sm: $(cat /tmp/lv.m.err)"; fi
		return
	fi
	fl=$(sed -n 's/^ERROR: //p' /tmp/lv.f.err | head -n 1)
	ml=$(sed 's/^mbverity: //' /tmp/lv.m.err)
	case $fl in
	*"$want"*) ;;
	*) fail "$n" "fsverity: '$(cat /tmp/lv.f.err)', wanted '$want'"; return ;;
	esac
	if [ "$(wc -l </tmp/lv.m.err)" != 1 ]; then
		fail "$n" "not one line: $(cat /tmp/lv.m.err)"
		return
	fi
	case $ml in
	"$fl ("*")"*) ok "$n" ;;
	*) fail "$n" "'$ml' is not fsverity's '$fl' and a reason" ;;
	esac
}

# g_live_verify NAME FILE: mbverity verify of FILE, made verity by mbverity
# (m) and by fsverity (f), prints "ok " + fsverity measure's line.
g_live_verify() {
	why=
	for w in m f; do
		want="ok $(cd "$LV_BASE/$w" && fsverity measure "$2" 2>&1)"
		got=$(cd "$LV_BASE/$w" && /bin/mbverity verify "$2" 2>&1) || why="$why $w: exit $?;"
		[ "$got" = "$want" ] || why="$why $w: '$got' want '$want';"
	done
	if [ -z "$why" ]; then ok "$1"; else fail "$1" "$why"; fi
}

# g_live_verify_is NAME FILE WANT_STDOUT [OPTIONS...]: verify succeeds with that line.
g_live_verify_is() {
	n=$1 f=$2 want=$3
	shift 3
	if ! got=$(/bin/mbverity verify "$f" "$@" 2>&1); then
		fail "$n" "verify: $got"
	elif [ "$got" = "$want" ]; then
		ok "$n"
	else
		fail "$n" "'$got' want '$want'"
	fi
}

# g_live_verify_err NAME FILE TEXT [OPTIONS...]: verify fails, exit 1, one
# line holding TEXT.
g_live_verify_err() {
	n=$1 f=$2 text=$3
	shift 3
	/bin/mbverity verify "$f" "$@" >/tmp/lv.out 2>/tmp/lv.err
	st=$?
	if [ $st != 1 ] || [ -s /tmp/lv.out ] || [ "$(wc -l </tmp/lv.err)" != 1 ]; then
		fail "$n" "exit $st: $(cat /tmp/lv.out /tmp/lv.err)"
		return
	fi
	case $(cat /tmp/lv.err) in
	"mbverity: "*"$text"*) ok "$n" ;;
	*) fail "$n" "got '$(cat /tmp/lv.err)', wanted '$text'" ;;
	esac
}

# g_live_oldform NAME STATUS TEXT ARGS...: mbverity ARGS (the old image
# spelling, on an ext4 image file of the live filesystem) exits STATUS with
# a first line holding TEXT, and leaves the image file as it was.
g_live_oldform() {
	n=$1 want_st=$2 text=$3
	shift 3
	before=$(cd "$LV_BASE/m" && sha256sum image.ext4)
	(cd "$LV_BASE/m" && /bin/mbverity "$@") >/tmp/lv.out 2>/tmp/lv.err
	st=$?
	after=$(cd "$LV_BASE/m" && sha256sum image.ext4)
	if [ $st != "$want_st" ] || [ -s /tmp/lv.out ]; then
		fail "$n" "exit $st: $(cat /tmp/lv.out /tmp/lv.err)"
	elif [ "$before" != "$after" ]; then
		fail "$n" "the image file changed"
	else
		case $(head -n 1 /tmp/lv.err) in
		"mbverity: "*"$text"*) ok "$n" ;;
		*) fail "$n" "got '$(cat /tmp/lv.err)', wanted '$text'" ;;
		esac
	fi
}

# g_live_tmpfs NAME DIR: DIR/m and DIR/f on the guest's root (a tmpfs or
# ramfs, no fs-verity), each with a file x.
g_live_tmpfs() {
	if mkdir -p "$2/m" "$2/f" && echo x >"$2/m/x" && echo x >"$2/f/x"; then ok "$1"; else fail "$1" "mkdir $2"; fi
}

# g_live_chattr NAME FLAGS FILE: chattr FLAGS on both twins of FILE.
g_live_chattr() {
	if out=$(chattr "$2" "$LV_BASE/m/$3" "$LV_BASE/f/$3" 2>&1); then ok "$1"; else fail "$1" "chattr: $out"; fi
}

# g_remount NAME DIR ro|rw
g_remount() {
	if out=$(mount -o "remount,$3" "$2" 2>&1); then ok "$1"; else fail "$1" "remount: $out"; fi
}
