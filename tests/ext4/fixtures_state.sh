# SPDX-License-Identifier: MIT
# Images in states mbverity must not write (or must write with care), for
# tests/ext4/state.sh and for tests/kernel/ to have the kernel mount.
# Sourced; POSIX sh.  Each function takes the image path and a work
# directory (created if missing; its src/ is reused), needs only mke2fs,
# debugfs, dumpe2fs, e2fsck (quota images only) and coreutils, and returns non-zero
# when a tool fails.  The file the state is about is /a.
#
#   fx_state_src WORK                  WORK/src: /a (100000 B), /b, /c, /d
#   fx_state_image IMG WORK [OPTS...]  a clean 16 MiB ext4 image with verity
#   fx_state_set_errors IMG            superblock: errors recorded
#   fx_state_set_unclean IMG           superblock: not cleanly unmounted
#   fx_state_set_orphan IMG            /a on the orphan list (s_last_orphan)
#   fx_state_errors|unclean|orphan IMG WORK   the image, then the state
#   fx_state_orphan_file IMG WORK [noflag]    /a in the orphan file (with the
#                                       orphan_present feature unless noflag)
#   fx_state_quota IMG WORK [project]  quota (user, group[, project]) with
#                                       consistent usage; files of several
#                                       owners (fx_state_owners lists them)

PATH=$PATH:/usr/sbin:/sbin

# "path uid gid projid": owners given by fx_state_quota; ids above 65535
# use the inode's high bits and other branches of the quota tree.
fx_state_owners='/a 1000 1000 7
/b 1001 100 0
/c 0 0 0
/d 70000 70001 70002
/e 1002 1002 7'

fx_state_src() {
	mkdir -p "$1/src" || return 1
	[ -f "$1/src/d" ] && return 0
	head -c 100000 /dev/urandom >"$1/src/a" &&
	head -c 5000 /dev/urandom >"$1/src/b" &&
	head -c 300000 /dev/urandom >"$1/src/c" &&
	head -c 70000 /dev/urandom >"$1/src/d" &&
	head -c 1 /dev/urandom >"$1/src/e"
}

fx_state_image() {
	_fx_img=$1 _fx_work=$2
	shift 2
	fx_state_src "$_fx_work" &&
	mke2fs -q -F -t ext4 -O verity -b 4096 "$@" -d "$_fx_work/src" "$_fx_img" 16M \
		>/dev/null 2>&1
}

# _fx_debugfs IMG COMMAND: debugfs -w, failing on any complaint.
_fx_debugfs() {
	_fx_out=$(debugfs -w -R "$2" "$1" 2>&1 | grep -v '^debugfs [0-9]') || true
	[ -z "$_fx_out" ] || { echo "debugfs '$2': $_fx_out" >&2; return 1; }
}

# _fx_ino IMG PATH: the inode number.
_fx_ino() {
	debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'
}

fx_state_set_errors() {
	# EXT2_VALID_FS | EXT2_ERROR_FS, as the kernel leaves it after an ext4_error().
	_fx_debugfs "$1" "ssv state 3" && _fx_debugfs "$1" "ssv error_count 1"
}

fx_state_set_unclean() {
	_fx_debugfs "$1" "ssv state 0"
}

fx_state_set_orphan() {
	_fx_i=$(_fx_ino "$1" /a)
	[ -n "$_fx_i" ] && _fx_debugfs "$1" "ssv last_orphan $_fx_i"
}

fx_state_errors() { fx_state_image "$1" "$2" && fx_state_set_errors "$1"; }
fx_state_unclean() { fx_state_image "$1" "$2" && fx_state_set_unclean "$1"; }
fx_state_orphan() { fx_state_image "$1" "$2" && fx_state_set_orphan "$1"; }

fx_state_orphan_file() {
	# Without metadata_csum the orphan blocks carry no checksum to fake.
	fx_state_image "$1" "$2" -O orphan_file,^metadata_csum || return 1
	_fx_oi=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Orphan file inode: *//p')
	_fx_i=$(_fx_ino "$1" /a)
	_fx_b=$(debugfs -R "bmap <$_fx_oi> 0" "$1" 2>/dev/null)
	[ -n "$_fx_oi" ] && [ -n "$_fx_i" ] && [ "${_fx_b:-0}" -gt 0 ] || return 1
	# The first slot of block 0 holds /a's inode number, little-endian.
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((_fx_i & 255)) $((_fx_i >> 8 & 255)) \
		$((_fx_i >> 16 & 255)) $((_fx_i >> 24 & 255)))" |
		dd of="$1" bs=1 seek=$((_fx_b * 4096)) conv=notrunc 2>/dev/null || return 1
	[ "${3:-}" = noflag ] && return 0
	debugfs -w -R "feature orphan_present" "$1" >/dev/null 2>&1 &&
	dumpe2fs -h "$1" 2>/dev/null | grep -q '^Filesystem features:.* orphan_present'
}

fx_state_quota() {
	if [ "${3:-}" = project ]; then
		fx_state_image "$1" "$2" -O quota,project \
			-E quotatype=usrquota:grpquota:prjquota || return 1
	else
		fx_state_image "$1" "$2" -O quota || return 1
	fi
	echo "$fx_state_owners" | while read -r _fx_p _fx_u _fx_g _fx_j; do
		echo "sif $_fx_p uid $_fx_u"
		echo "sif $_fx_p gid $_fx_g"
		[ "${3:-}" != project ] || echo "sif $_fx_p projid $_fx_j"
	done | debugfs -w -f - "$1" >/dev/null 2>&1 || return 1
	# mke2fs -d (1.47.0) counts usage before copying the files in, and
	# debugfs never updates it: e2fsck -p writes the usage as it is.
	_fx_st=0
	e2fsck -fp "$1" >/dev/null 2>&1 || _fx_st=$?
	[ "$_fx_st" -le 1 ] && e2fsck -fn "$1" >/dev/null 2>&1
}
