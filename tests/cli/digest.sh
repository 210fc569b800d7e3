#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity digest: output forms, several files, and every kind of bad input.
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity

printf x >"$TMP/x"
head -c 70000 /dev/urandom >"$TMP/big"

# Several files, --compact and --for-builtin-sig print what fsverity prints.
for opts in "" "--compact" "--for-builtin-sig" "--compact --for-builtin-sig" "--hash-alg=sha512 --salt=00ff" "--block-size=1048576"; do
	# shellcheck disable=SC2086
	fsverity digest "$TMP/x" "$TMP/big" $opts >"$TMP/ref"
	# shellcheck disable=SC2086
	"$MBVERITY" digest "$TMP/x" "$TMP/big" $opts >"$TMP/got"
	cmp "$TMP/ref" "$TMP/got" || fail "digest $opts differs"
done

"$MBVERITY" --help | grep -q digest || fail "--help does not list digest"
"$MBVERITY" digest --help | grep -q -- --out-merkle-tree || fail "digest --help"
"$MBVERITY" --version | grep -q '^mbverity [0-9]' || fail "--version"

expect_fail "missing file" "$MBVERITY" digest "$TMP/nonexistent"
grep -q nonexistent "$TMP/err" || fail "error does not name the file"
expect_fail "directory" "$MBVERITY" digest "$TMP"
if [ "$(id -u)" != 0 ]; then
	cp "$TMP/x" "$TMP/unreadable" && chmod 000 "$TMP/unreadable"
	expect_fail "unreadable file" "$MBVERITY" digest "$TMP/unreadable"
fi
expect_fail "no file" "$MBVERITY" digest
expect_fail "block size not a power of 2" "$MBVERITY" digest --block-size=3000 "$TMP/x"
expect_fail "block size zero" "$MBVERITY" digest --block-size=0 "$TMP/x"
expect_fail "block size not a number" "$MBVERITY" digest --block-size=4k "$TMP/x"
expect_fail "block size too small for sha256" "$MBVERITY" digest --block-size=32 "$TMP/x"
expect_fail "block size too small for sha512" "$MBVERITY" digest --hash-alg=sha512 --block-size=64 "$TMP/x"
expect_fail "block size too large" "$MBVERITY" digest --block-size=2147483648 "$TMP/x"
expect_fail "odd salt" "$MBVERITY" digest --salt=abc "$TMP/x"
expect_fail "non-hex salt" "$MBVERITY" digest --salt=zz "$TMP/x"
expect_fail "salt too long" "$MBVERITY" digest --salt="$(printf '%066d' 0)" "$TMP/x"
expect_fail "unknown hash" "$MBVERITY" digest --hash-alg=md5 "$TMP/x"
expect_fail "unknown option" "$MBVERITY" digest --frobnicate "$TMP/x"
expect_fail "unknown command" "$MBVERITY" frobnicate

# Nothing is written to --out-* files on error.
expect_fail "out files with a missing input" "$MBVERITY" digest "$TMP/nonexistent" \
	--out-merkle-tree="$TMP/t" --out-descriptor="$TMP/d"
[ ! -e "$TMP/t" ] && [ ! -e "$TMP/d" ] || fail "out files written on error"
[ -z "$(find "$TMP" -name '*.tmp.*')" ] || fail "temporary files left behind"
expect_fail "out files with a bad option" "$MBVERITY" digest "$TMP/x" --block-size=3 \
	--out-merkle-tree="$TMP/t"
[ ! -e "$TMP/t" ] || fail "out file written on a bad option"
# Threads and progress: same output whatever the thread count; no progress
# line when stderr is not a terminal.
head -c 5000000 /dev/urandom >"$TMP/5m"
"$MBVERITY" digest --threads=1 "$TMP/5m" "$TMP/x" >"$TMP/t1" 2>"$TMP/e1"
"$MBVERITY" digest --threads=3 "$TMP/5m" "$TMP/x" >"$TMP/t3" 2>"$TMP/e3"
"$MBVERITY" digest --quiet "$TMP/5m" "$TMP/x" >"$TMP/tq"
fsverity digest "$TMP/5m" "$TMP/x" >"$TMP/tref"
cmp "$TMP/t1" "$TMP/tref" && cmp "$TMP/t3" "$TMP/tref" && cmp "$TMP/tq" "$TMP/tref" ||
	fail "--threads/--quiet change the output"
[ ! -s "$TMP/e1" ] && [ ! -s "$TMP/e3" ] || fail "progress written to a non-terminal"
# Many small files are spread over the threads: same lines, same order, and
# a bad file in the middle is reported while the others still print.
mkdir "$TMP/many"
i=0
while [ $i -lt 300 ]; do
	head -c $((i * 37)) /dev/urandom >"$TMP/many/f$i"
	i=$((i + 1))
done
set -- "$TMP"/many/f*
fsverity digest "$@" >"$TMP/many.ref"
"$MBVERITY" digest --threads=3 "$@" "$TMP/5m" >"$TMP/many.3"
"$MBVERITY" digest --threads=1 "$@" "$TMP/5m" >"$TMP/many.1"
fsverity digest "$TMP/5m" >>"$TMP/many.ref"
cmp "$TMP/many.ref" "$TMP/many.3" && cmp "$TMP/many.ref" "$TMP/many.1" ||
	fail "many files with threads: output differs"
expect_fail "a missing file among many" "$MBVERITY" digest --threads=2 "$1" "$TMP/nonexistent" "$2"
# As fsverity (issue 17): the file before is printed, the ones after are not.
fsverity digest "$1" >"$TMP/before.ref"
cmp "$TMP/before.ref" "$TMP/out" || fail "a missing file among many: not the file before it alone: $(cat "$TMP/out")"
expect_fail "bad thread count" "$MBVERITY" digest --threads=-1 "$TMP/x"
expect_fail "thread count not a number" "$MBVERITY" digest --threads=two "$TMP/x"
echo "digest CLI ok"
