#!/bin/sh
# SPDX-License-Identifier: MIT
# Random inputs and parameters: digest, tree and descriptor byte-identical to fsverity-utils.
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity od cmp

seed=${MBV_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "seed $seed (set MBV_TEST_SEED to repeat)"
rand() { # rand N: sets R to a number below N (an LCG on $seed, in this shell)
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	R=$(( seed % $1 ))
}

runs=${MBV_TEST_RUNS:-40}
i=0
while [ $i -lt $runs ]; do
	i=$((i + 1))
	rand 4
	case $R in
	0) rand 10; size=$R ;;
	1) rand 20; size=$((4096 * R)); rand 3; size=$((size + R - 1)) ;;
	2) rand 4; size=$((65536 * R)); rand 3; size=$((size + R - 1)) ;;
	*) rand 3000000; size=$R ;;
	esac
	[ $size -ge 0 ] || size=0
	rand 2
	if [ $R = 0 ]; then alg=sha256; min=6; else alg=sha512; min=7; fi
	rand $((17 - min))
	bs=$((1 << (min + R)))
	salt=
	rand 4
	if [ $R -gt 0 ]; then
		rand 32
		salt=$(head -c $((R + 1)) /dev/urandom | od -An -tx1 | tr -d ' \n')
	fi
	head -c $size /dev/urandom >"$TMP/in"
	opts="--hash-alg=$alg --block-size=$bs"
	[ -z "$salt" ] || opts="$opts --salt=$salt"

	# shellcheck disable=SC2086
	fsverity digest "$TMP/in" $opts --out-merkle-tree="$TMP/t.ref" \
		--out-descriptor="$TMP/d.ref" >"$TMP/o.ref"
	# shellcheck disable=SC2086
	"$MBVERITY" digest "$TMP/in" $opts --out-merkle-tree="$TMP/t.mbv" \
		--out-descriptor="$TMP/d.mbv" >"$TMP/o.mbv"
	what="size $size $opts"
	cmp -s "$TMP/o.ref" "$TMP/o.mbv" || fail "$what: output differs: $(cat "$TMP/o.ref") vs $(cat "$TMP/o.mbv")"
	cmp -s "$TMP/t.ref" "$TMP/t.mbv" || fail "$what: merkle tree differs"
	cmp -s "$TMP/d.ref" "$TMP/d.mbv" || fail "$what: descriptor differs"
	echo "ok $i $what"
done
