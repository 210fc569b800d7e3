#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_enable.sh [SIZE_MIB] [MBVERITY]: time `mbverity enable` of one file
# of SIZE_MIB (default 1024) inside an ext4 image against `mbverity digest`
# of the same data in a regular file, both from the page cache; prints the
# best of RUNS (default 5) for each and the ratio (target: at most 1.5).
# Needs about 2.5 x SIZE of space in $TMPDIR (default /tmp).
set -eu
size_mib=${1:-1024}
mbverity=${2:-${MBVERITY:-./programs/mbverity}}
runs=${RUNS:-5}
PATH=$PATH:/usr/sbin:/sbin

[ -x "$mbverity" ] || { echo "bench_enable: no mbverity at $mbverity" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mbv-bench-enable.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir "$work/src"
head -c $((size_mib * 1048576)) /dev/urandom >"$work/src/data"
# Room for the data, its tree (1/128) and the filesystem's own metadata.
mke2fs -q -F -t ext4 -O verity -b 4096 -d "$work/src" "$work/pristine.img" \
	$((size_mib + size_mib / 16 + 64))M >/dev/null 2>&1
sync

now() { date +%s.%N; }
best_digest=
best_enable=
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	# A clean, cached image: fsync must not flush the copy's dirty pages.
	cp "$work/pristine.img" "$work/img"
	sync "$work/img"
	cat "$work/img" "$work/src/data" >/dev/null

	t0=$(now)
	"$mbverity" digest "$work/src/data" >"$work/digest.out"
	t1=$(now)
	"$mbverity" enable --image="$work/img" /data
	t2=$(now)

	d=$(echo "$t1 - $t0" | bc)
	e=$(echo "$t2 - $t1" | bc)
	printf 'run %d: digest %.3f s, enable %.3f s\n' $i "$d" "$e"
	[ -z "$best_digest" ] || [ "$(echo "$d < $best_digest" | bc)" = 1 ] && best_digest=$d
	[ -z "$best_enable" ] || [ "$(echo "$e < $best_enable" | bc)" = 1 ] && best_enable=$e
done

# The enabled file must measure as the digest says.
want=$(cut -d' ' -f1 "$work/digest.out")
got=$("$mbverity" measure --image="$work/img" /data | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "bench_enable: measure $got != digest $want" >&2; exit 1; }

ratio=$(echo "scale=3; $best_enable / $best_digest" | bc)
printf 'size %d MiB, best of %d: digest %.3f s (%.2f GB/s), enable %.3f s (%.2f GB/s)\n' \
	"$size_mib" "$runs" "$best_digest" "$(echo "$size_mib * 1.048576 / 1000 / $best_digest" | bc -l)" \
	"$best_enable" "$(echo "$size_mib * 1.048576 / 1000 / $best_enable" | bc -l)"
printf 'ratio enable/digest: %.2f (target <= 1.5)\n' "$ratio"
