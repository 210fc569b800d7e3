#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGINT, SIGTERM and SIGHUP during digest, sign, mkfs and enable: the exit
# status is 128 + signo, no *.tmp.* file is left, mkfs's mke2fs is stopped
# too, and enable stops between files: e2fsck-clean, every file either plain
# with its data or verity with the right digest.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need fsverity openssl env pgrep

# A background job of a script starts with SIGINT ignored: give it back.
start() {
	env --default-signal=INT,TERM,HUP "$MBVERITY" "$@" >"$TMP/job.out" 2>"$TMP/job.err" &
	job=$!
}

# wait_for TEST...: poll (up to 60 s) until the test holds, while the job runs.
wait_for() {
	_i=0
	until "$@"; do
		kill -0 "$job" 2>/dev/null || fail "the job ended before the signal: $(cat "$TMP/job.err")"
		_i=$((_i + 1))
		[ $_i -lt 6000 ] || fail "timed out waiting for: $*"
		sleep 0.01
	done
}

temp_exists() {
	[ -n "$(find "$TMP" -name '*.tmp.*' -size +0 2>/dev/null | head -n 1)" ]
}

# stop SIG: send it, check the status and the leftovers.
stop() {
	kill -"$1" "$job"
	_st=0
	wait "$job" 2>/dev/null || _st=$?
	case $1 in INT) _want=130 ;; TERM) _want=143 ;; HUP) _want=129 ;; esac
	[ "$_st" -eq "$_want" ] || fail "SIG$1: exit $_st, want $_want: $(cat "$TMP/job.err")"
	_left=$(find "$TMP" -name '*.tmp.*')
	[ -z "$_left" ] || fail "SIG$1: temporary files left: $_left"
}

# digest and sign of a big sparse file (long to hash, quick to make).
truncate -s 64G "$TMP/sparse"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=sig-test -days 1 2>/dev/null
for sig in INT TERM HUP; do
	start digest "$TMP/sparse" --out-merkle-tree="$TMP/tree" --out-descriptor="$TMP/desc"
	wait_for temp_exists
	stop $sig
	[ ! -e "$TMP/tree" ] || fail "digest SIG$sig: a tree was made"
	[ ! -e "$TMP/desc" ] || fail "digest SIG$sig: a descriptor was made"
done
start sign "$TMP/sparse" "$TMP/sig" --key="$TMP/key.pem" --cert="$TMP/cert.pem" \
	--out-merkle-tree="$TMP/tree"
wait_for temp_exists
stop TERM
[ ! -e "$TMP/sig" ] || fail "sign: a signature was made"
[ ! -e "$TMP/tree" ] || fail "sign: a tree was made"

# mkfs, stopped while mke2fs copies the tree: mke2fs goes too.
src=$TMP/src
mkdir -p "$src/big"
head -c 200000000 /dev/urandom >"$src/big/data"
mke2fs_running() {
	pgrep -f "$TMP/img.tmp" >/dev/null
}
for sig in INT TERM HUP; do
	start mkfs -d "$src" "$TMP/img" --threads=1
	wait_for mke2fs_running
	stop $sig
	! mke2fs_running || fail "mkfs SIG$sig: mke2fs still runs"
	[ ! -e "$TMP/img" ] || fail "mkfs SIG$sig: an image was made"
done
rm -rf "$src"

# enable --all on many files (each one flushed), stopped after it began writing.
image_changed() {
	[ "$(stat -c %y "$img")" != "$before" ]
}
mkdir -p "$src"
for i in $(seq 100 299); do head -c $((i * 100)) /dev/urandom >"$src/f$i"; done
for sig in INT TERM HUP PATHS; do
	img=$TMP/en.img
	rm -f "$img"
	mkimg "$img" 4096 "$src" 64M
	before=$(stat -c %y "$img")
	if [ $sig = PATHS ]; then
		# enable IMAGE PATH...: the same between the PATHs.
		sig=TERM
		# shellcheck disable=SC2046
		start enable --image="$img" $(cd "$src" && find . -type f | sed 's|^\.||')
	else
		start enable --all "$img" --threads=2
	fi
	wait_for image_changed
	stop $sig
	grep -q "^mbverity: $img: stopped by SIG$sig before /f[0-9]*: [0-9]* files enabled" \
		"$TMP/job.err" || fail "enable SIG$sig: $(cat "$TMP/job.err")"
	[ "$(wc -l <"$TMP/job.err")" -eq 1 ] || fail "enable SIG$sig: $(cat "$TMP/job.err")"
	fsck_clean "$img"
	rm -rf "$TMP/dump"
	mkdir "$TMP/dump"
	debugfs -R "rdump / $TMP/dump" "$img" >/dev/null 2>&1 || fail "debugfs rdump"
	nverity=0
	for f in "$src"/*; do
		p=/${f##*/}
		cmp -s "$f" "$TMP/dump$p" || fail "enable SIG$sig: $p data changed"
		if has_verity "$img" "$p"; then
			want=$(fsverity digest "$f" | cut -d' ' -f1)
			got=$("$MBVERITY" measure --image="$img" "$p") || fail "$p: measure"
			[ "${got%% *}" = "$want" ] || fail "enable SIG$sig: $p: $got, want $want"
			nverity=$((nverity + 1))
		fi
	done
	[ "$nverity" -lt 200 ] || fail "enable SIG$sig: every file done, the signal came too late"
	"$MBVERITY" enable --all "$img" --quiet || fail "enable --all after SIG$sig"
done
echo "signals ok"
