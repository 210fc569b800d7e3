#!/bin/sh
# SPDX-License-Identifier: MIT
# fsverity-utils' answers to the same command lines (issue 17's table and
# neighbours): each row runs both programs and compares the exit status and
# standard output; mbverity's error is one line starting "mbverity: ".
. "${srcdir:-.}/tests/lib.sh"
need fsverity cmp

cd "$TMP"
head -c 20000 /dev/urandom >f1
head -c 30000 /dev/urandom >f2
# row ARGS...: both programs, same status and stdout; mbverity errs in one line.
row() {
	_st1=0 _st2=0
	fsverity "$@" >ref.out 2>ref.err || _st1=$?
	"$MBVERITY" "$@" >got.out 2>got.err || _st2=$?
	[ "$_st1" = "$_st2" ] ||
		fail "$*: fsverity exits $_st1, mbverity $_st2: $(cat got.err)"
	cmp -s ref.out got.out || fail "$*: stdout differs: fsverity '$(cat ref.out)', mbverity '$(cat got.out)'"
	if [ "$_st2" -ne 0 ]; then
		[ "$(wc -l <got.err)" -eq 1 ] || fail "$*: not one line on stderr: $(cat got.err)"
		grep -q '^mbverity: ' got.err || fail "$*: error not 'mbverity: ...': $(cat got.err)"
	else
		[ ! -s got.err ] || fail "$*: exit 0 with stderr: $(cat got.err)"
	fi
}

# digest with --out-merkle-tree and several FILEs: accepted, the tree file
# ends as the last file's (both trees are one block here).
row digest f1 f2 --out-merkle-tree=ref.t --out-descriptor=ref.d
mv ref.t fsv.t
mv ref.d fsv.d
"$MBVERITY" digest f1 f2 --out-merkle-tree=ref.t --out-descriptor=ref.d >/dev/null
cmp fsv.t ref.t || fail "digest f1 f2 --out-merkle-tree: the tree file differs from fsverity's"
cmp fsv.d ref.d || fail "digest f1 f2 --out-descriptor: the descriptor differs from fsverity's"
# A missing file: status 1, the files after it not printed.
row digest f1 nonexistent f2
# What the tree code refuses: 1; what the option parser refuses: 2.
row digest f1 --salt="$(printf '%066d' 0)"
row digest f1 --block-size=32
row digest f1 --block-size=3000
row digest f1 --salt=zz
row digest f1 --hash-alg=md5
# An output that cannot be created: 2, as fsverity.
row digest f1 --out-merkle-tree=/nonexistent/dir/t
row digest f1 --out-descriptor=/nonexistent/dir/d
# --version on every command.
for c in digest sign enable measure dump_metadata; do
	_st=0
	"$MBVERITY" $c --version >got.out 2>got.err || _st=$?
	fsverity $c --version >/dev/null 2>&1 || fail "fsverity $c --version fails: the row means nothing"
	[ "$_st" -eq 0 ] || fail "$c --version: exit $_st: $(cat got.err)"
	grep -q '^mbverity [0-9]' got.out || fail "$c --version: $(cat got.out)"
done
"$MBVERITY" mkfs --version | grep -q '^mbverity [0-9]' || fail "mkfs --version"
"$MBVERITY" verify --version | grep -q '^mbverity [0-9]' || fail "verify --version"
# sign without --key: 1.
row sign f1 s
[ ! -e s ] || fail "sign without --key wrote a signature"
# dump_metadata: --offset without --length and the other way round: 2.
row dump_metadata merkle_tree f1 --offset=5
row dump_metadata merkle_tree f1 --length=5
# Unknown options, a missing value, missing operands: 2.
row digest --bogus f1
row digest f1 --salt
row digest
row sign
row sign f1
row measure
row enable
row enable f1 f2
# (measure --bogus differs on purpose: fsverity's measure takes no options and
# opens a file named --bogus; mbverity's takes --image.)
row dump_metadata
row dump_metadata bogus_type f1
# Runtime errors on live files the host cannot take: 1.
row measure nonexistent
row measure f1
row enable nonexistent
row dump_metadata descriptor nonexistent
echo "same_answers: ok"
