#!/bin/sh
# SPDX-License-Identifier: MIT
# The fuzz targets' entry functions, built with the normal compiler (and
# under ASan+UBSan in CI), on fresh seed corpora and on every input in
# tests/fuzz/regressions/: each crash or missed corruption the fuzzers found.
. "${top_srcdir:-.}/tests/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
need mke2fs fsverity openssl
MBVERITY=$MBVERITY "$top_srcdir/tests/fuzz/make-corpus.sh" "$TMP/seeds" ||
	fail "make-corpus.sh"
MBV_FUZZ_CERT=$top_srcdir/tests/fuzz/cert.pem
export MBV_FUZZ_CERT
for t in desc image tree; do
	set -- "$TMP/seeds/$t"
	[ ! -d "$top_srcdir/tests/fuzz/regressions/$t" ] ||
		set -- "$@" "$top_srcdir/tests/fuzz/regressions/$t"
	"$top_builddir/tests/fuzz/replay_$t" "$@" || fail "replay_$t $*"
done
