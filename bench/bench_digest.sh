#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity digest against fsverity digest on one page-cached file, in one run:
# best-of-N wall time, ratios, and peak RSS, for SHA-256 then SHA-512
# (ALGS="sha512" for one).  Usage: bench_digest.sh [SIZE_MIB]
set -eu
mbv=${MBVERITY:-$(dirname "$0")/../build/programs/mbverity}
size_mib=${1:-1024}
runs=${RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbv-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (package time)"; exit 1; }

f=$tmp/data
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$f"
cat "$f" >/dev/null	# page cache

# run NAME CMD...: best wall seconds into best_NAME, peak RSS (KiB) into rss_NAME
run() {
	name=$1
	shift
	best=
	i=0
	while [ $i -lt "$runs" ]; do
		# GNU time gives peak RSS; its wall clock has 10 ms steps, so time in ns here.
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$tmp/t" "$@" >"$tmp/out.$name"
		t1=$(date +%s%N)
		secs=$(echo "scale=4; ($t1 - $t0) / 1000000000" | bc)
		read -r rss <"$tmp/t"
		if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc)" = 1 ]; then best=$secs; fi
		i=$((i + 1))
	done
	eval "best_$name=$best rss_$name=$rss"
}

# report ALG: the table of one hash algorithm (sha256 or sha512).
report() {
	alg=$1
	run fsverity fsverity digest --hash-alg="$alg" "$f"
	run mbv1 "$mbv" digest --hash-alg="$alg" --threads=1 "$f"
	run mbv2 "$mbv" digest --hash-alg="$alg" --threads=2 "$f"
	cmp -s "$tmp/out.fsverity" "$tmp/out.mbv1" || { echo "$alg digests differ!"; exit 1; }
	cmp -s "$tmp/out.fsverity" "$tmp/out.mbv2" || { echo "$alg digests differ!"; exit 1; }

	echo "$alg digest of a ${size_mib} MiB page-cached file, best of $runs ($("$mbv" --version))"
	printf '%-46s %8s %10s %12s\n' program seconds "peak RSS" "vs fsverity"
	for n in fsverity mbv1 mbv2; do
		eval "s=\$best_$n r=\$rss_$n"
		case $n in
		fsverity) label="fsverity digest --hash-alg=$alg" ;;
		mbv1) label="mbverity digest --hash-alg=$alg --threads=1" ;;
		mbv2) label="mbverity digest --hash-alg=$alg --threads=2" ;;
		esac
		printf '%-46s %8.3f %7s MiB %11.2fx\n' "$label" "$s" $((r / 1024)) \
			"$(echo "$best_fsverity / $s" | bc -l)"
	done
	printf 'threads=2 / threads=1 speedup: %.2fx\n' "$(echo "$best_mbv1 / $best_mbv2" | bc -l)"
}

for alg in ${ALGS:-sha256 sha512}; do
	report "$alg"
done
