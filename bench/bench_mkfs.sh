#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity mkfs (fs-verity on every file) against plain mke2fs -d of the same
# tree, in one run: wall time ratio and peak RSS.
# Usage: bench_mkfs.sh [SMALL_FILES [LARGE_MIB]]   (default 10000 files + 3 x 600 MiB;
# LARGE_MIB 0: small files only, where the per-file work shows)
set -eu
mbv=${MBVERITY:-$(dirname "$0")/../build/programs/mbverity}
nsmall=${1:-10000}
large_mib=${2:-600}
runs=${RUNS:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mbv-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

src=$tmp/src
mkdir -p "$src"
# Small files of 1 to 40 KiB in 100 directories, from one random pool.
head -c $((40 * 1024 * 1024)) /dev/urandom >"$tmp/pool"
for d in $(seq 0 99); do mkdir "$src/d$d"; done
awk -v n="$nsmall" -v src="$src" 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "%s/d%d/f%d %d %d\n", src, i % 100, i, int(rand() * 40 * 1024) + 1, int(rand() * 1000) }' |
	while read -r path size skip; do
		dd if="$tmp/pool" of="$path" bs=64K skip=$((skip * 1024)) count="$size" \
			iflag=count_bytes,skip_bytes status=none
	done
for n in 1 2 3; do
	head -c $((large_mib * 1024 * 1024)) /dev/urandom >"$src/large$n"
done
total=$(du -sm "$src" | cut -f1)
cat "$src"/large* >/dev/null
find "$src" -type f -exec cat {} + >/dev/null

size=$(( (total * 13 / 10 + 64) ))M
best() { # best NAME CMD...: best wall seconds of $runs into best_NAME, peak RSS into rss_NAME
	name=$1; shift
	b=
	for _ in $(seq "$runs"); do
		rm -f "$tmp/img"
		/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null
		read -r s r <"$tmp/t"
		if [ -z "$b" ] || [ "$(echo "$s < $b" | bc)" = 1 ]; then b=$s; fi
	done
	eval "best_$name=$b rss_$name=$r"
}
# -b 4096 as mbverity mkfs passes it (mke2fs would pick 1 KiB for a small image).
best mke2fs mke2fs -q -F -t ext4 -b 4096 -O verity -d "$src" "$tmp/img" "$size"
best mbv1 "$mbv" mkfs -d "$src" "$tmp/img" --size="$size" --threads=1 --quiet
best mbv2 "$mbv" mkfs -d "$src" "$tmp/img" --size="$size" --threads=2 --quiet

echo "a ${total} MiB tree: $nsmall small files + 3 x $large_mib MiB, best of $runs"
printf '%-34s %8s %10s %12s\n' command seconds "peak RSS" "vs mke2fs -d"
for n in mke2fs mbv1 mbv2; do
	eval "s=\$best_$n r=\$rss_$n"
	case $n in
	mke2fs) label="mke2fs -d (no verity)" ;;
	mbv1) label="mbverity mkfs --threads=1" ;;
	mbv2) label="mbverity mkfs --threads=2" ;;
	esac
	printf '%-34s %8s %7s MiB %11.2fx\n' "$label" "$s" $((r / 1024)) \
		"$(echo "$s / $best_mke2fs" | bc -l)"
done
