#!/bin/sh
# SPDX-License-Identifier: MIT
# The progress line under a pseudo-terminal (util-linux script): it fits
# the terminal's width, moves inside one large file, never says 0 s left
# while work remains, shows mke2fs running, and ends with one summary line;
# nothing with --quiet or when stderr is not a terminal.
. "${srcdir:-.}/tests/lib.sh"
need script mke2fs stty

src=$TMP/src
mkdir -p "$src"
# A large sparse file (no image space, all the hashing) and a small one.
truncate -s 256M "$src/big"
echo small >"$src/small"
mke2fs -q -F -t ext4 -b 4096 -O verity -d "$src" "$TMP/clean.img" 64M >/dev/null 2>&1 ||
	fail "mke2fs -d"

# on_tty COLS TYPESCRIPT COMMAND...: run COMMAND with stdout and stderr on a
# pseudo-terminal of COLS columns; what it drew goes to TYPESCRIPT.
on_tty() {
	_cols=$1 _ts=$2
	shift 2
	# The portable C SHA-256 is slow enough for several frames per file
	# (frames are at most 5 a second); the result is the same.
	MBV_IMPL=generic script -qfec "stty cols $_cols rows 24; $*" "$_ts" >/dev/null 2>&1 ||
		fail "under a pty: $* (exit $?): $(cat -v "$_ts")"
}
# The frames of a typescript, one a line, with their erase-to-end codes removed.
frames() {
	sed -e '1d' -e '$d' "$1" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep -v '^$' || :
}

# enable --all at 200 columns: the frames' content.
cp "$TMP/clean.img" "$TMP/a.img"
on_tty 200 "$TMP/ts1" "$MBVERITY" enable --all "$TMP/a.img" --threads=1
frames "$TMP/ts1" >"$TMP/f1"
n=$(grep -c ' of 256 MiB, 0/2 files' "$TMP/f1" || :)
[ "$n" -ge 2 ] || fail "fewer than two frames while the one large file was hashed: $(cat "$TMP/f1")"
[ "$(grep ' of 256 MiB, 0/2 files' "$TMP/f1" | sort -u | wc -l)" -eq "$n" ] ||
	fail "frames inside the large file repeat: the bytes do not move: $(cat "$TMP/f1")"
if grep -E '(^|[ ,])0(\.0)? s left' "$TMP/f1"; then fail "a frame says 0 s left while work remains"; fi
grep -Eq "^$TMP/a.img: 2 files enabled, 0 skipped; 256 MiB hashed in [0-9.]+ s\$" "$TMP/f1" ||
	fail "no summary line: $(cat "$TMP/f1")"

# At 40 columns no frame is wider than 39 (the last column would wrap).
cp "$TMP/clean.img" "$TMP/b.img"
on_tty 40 "$TMP/ts2" "$MBVERITY" enable --all "$TMP/b.img" --threads=1 --quiet
[ -z "$(frames "$TMP/ts2")" ] || fail "--quiet drew: $(frames "$TMP/ts2")"
cp "$TMP/clean.img" "$TMP/b.img"
on_tty 40 "$TMP/ts2" "$MBVERITY" enable --all "$TMP/b.img" --threads=1
frames "$TMP/ts2" >"$TMP/f2"
grep -q ' of 256 MiB' "$TMP/f2" || fail "no frame at 40 columns: $(cat "$TMP/f2")"
grep ' of 256 MiB' "$TMP/f2" | while IFS= read -r line; do
	[ "${#line}" -le 39 ] || fail "a ${#line}-column frame on a 40-column terminal: $line"
done
# Not a terminal: no frame at all.
cp "$TMP/clean.img" "$TMP/c.img"
MBV_IMPL=generic "$MBVERITY" enable --all "$TMP/c.img" --threads=1 >"$TMP/out" 2>"$TMP/err" ||
	fail "enable --all to files"
[ ! -s "$TMP/err" ] || fail "stderr not a terminal, yet: $(cat -v "$TMP/err")"

# mkfs: a line while mke2fs runs, the progress, one summary.
on_tty 200 "$TMP/ts3" "$MBVERITY" mkfs -d "$src" "$TMP/m.img" --fs-block-size=4096 --threads=1
frames "$TMP/ts3" >"$TMP/f3"
grep -q "^mke2fs: copying 3 files and directories from $src" "$TMP/f3" ||
	fail "no mke2fs phase line: $(cat "$TMP/f3")"
grep -q ' of 256 MiB, 0/2 files' "$TMP/f3" || fail "no progress frame in mkfs: $(cat "$TMP/f3")"
grep -Eq "^$TMP/m.img: 2 files with fs-verity .* MiB image; 256 MiB hashed in [0-9.]+ s\$" "$TMP/f3" ||
	fail "no mkfs summary: $(cat "$TMP/f3")"
echo "progress_tty: ok"
