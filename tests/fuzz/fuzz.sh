#!/bin/sh
# SPDX-License-Identifier: MIT
# What `make fuzz` runs: build the fuzz targets with clang's libFuzzer (ASan +
# UBSan), independent of the main compiler, and run each for FUZZ_SECONDS.
# The library's C sources are compiled again with $FUZZ_CC; its nasm objects
# come from the main build.  Makefile.am passes the variables below.
set -eu
: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=60}" "${FUZZ_TARGETS:=desc image tree}"
: "${srcdir:?}" "${builddir:?}" "${LIB_SOURCES:?}" "${MBVERITY:?}"
: "${EXT2FS_CFLAGS=}" "${EXT2FS_LIBS=-lext2fs -lcom_err}"
: "${CRYPTO_CFLAGS=}" "${CRYPTO_LIBS=-lcrypto}"
srcdir=$(cd "$srcdir" && pwd)
builddir=$(cd "$builddir" && pwd)
out=$builddir/tests/fuzz
fz=$srcdir/tests/fuzz
mkdir -p "$out/obj" "$out/artifacts"

command -v "$FUZZ_CC" >/dev/null || { echo "fuzz: $FUZZ_CC not found (scripts/install-deps.sh installs clang)" >&2; exit 1; }
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -pthread -fno-omit-frame-pointer
	-fsanitize=address,undefined -fno-sanitize-recover=all"
cppflags="-I$builddir -I$srcdir/include -I$srcdir/lib $EXT2FS_CFLAGS $CRYPTO_CFLAGS"

# The library, instrumented for coverage; recompiled when a source or header is newer.
objs=
for s in $LIB_SOURCES; do
	case $s in
	*.c)
		o=$out/obj/$(echo "${s%.c}" | tr / _).o
		if [ ! -f "$o" ] || [ "$srcdir/$s" -nt "$o" ] ||
		   [ -n "$(find "$srcdir/lib" "$srcdir/include" "$builddir/config.h" -name '*.h' -newer "$o" 2>/dev/null)" ]; then
			echo "  FUZZ_CC  $s"
			# shellcheck disable=SC2086
			"$FUZZ_CC" $cflags -fsanitize=fuzzer-no-link $cppflags -c "$srcdir/$s" -o "$o"
		fi
		objs="$objs $o";;
	*.asm)
		objs="$objs $builddir/${s%.asm}.o";;
	esac
done
for t in $FUZZ_TARGETS; do
	echo "  FUZZ_LD  tests/fuzz/fuzz_$t"
	# shellcheck disable=SC2086
	"$FUZZ_CC" $cflags -fsanitize=fuzzer $cppflags "$fz/fuzz_$t.c" "$fz/fuzz_common.c" \
		$objs $EXT2FS_LIBS $CRYPTO_LIBS -lpthread -o "$out/fuzz_$t"
done

# Seeds from the current mbverity, every time (they are quick to make).
rm -rf "$out/seeds"
MBVERITY=$MBVERITY "$fz/make-corpus.sh" "$out/seeds"

status=0
for t in $FUZZ_TARGETS; do
	case $t in
	desc) max_len=16400;;
	*) max_len=262144;;
	esac
	mkdir -p "$out/corpus/$t"
	log=$out/fuzz_$t.log
	# Git keeps no empty directories: a target may have no regressions yet.
	regressions=
	[ ! -d "$fz/regressions/$t" ] || regressions=$fz/regressions/$t
	# The new corpus entries go to the first directory, never to the sources.
	if MBV_FUZZ_CERT=$fz/cert.pem "$out/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
		-max_len=$max_len -len_control=0 -timeout=30 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
		"$out/corpus/$t" "$out/seeds/$t" $regressions >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz_$t: ${FUZZ_SECONDS}s, ${execs:-?} executions, no crash"
	else
		status=1
		tail -n 60 "$log" >&2
		echo "fuzz_$t: FAILED (log $log); the input is in $out/artifacts/:" >&2
		echo "  copy it to tests/fuzz/regressions/$t/ once fixed" >&2
	fi
done
exit $status
