#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_enable.sh [SIZE_MIB] [MBVERITY]: time `mbverity enable` of one file
# of SIZE_MIB (default 1024) inside an ext4 image against `mbverity digest`
# of the same data in a regular file, both from the page cache (target: at
# most 1.5), and `enable --key --cert` against `enable`, both --threads=1
# (target: at most 1.1: signing does not hash twice); prints the best of
# RUNS (default 5) for each and the ratios.
# Needs about 2.5 x SIZE of space in $TMPDIR (default /tmp).
set -eu
size_mib=${1:-1024}
mbverity=${2:-${MBVERITY:-./programs/mbverity}}
runs=${RUNS:-5}
PATH=$PATH:/usr/sbin:/sbin

[ -x "$mbverity" ] || { echo "bench_enable: no mbverity at $mbverity" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mbv-bench-enable.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-subj /CN=bench -days 2 >/dev/null 2>&1
mkdir "$work/src"
head -c $((size_mib * 1048576)) /dev/urandom >"$work/src/data"
# Room for the data, its tree (1/128) and the filesystem's own metadata.
mke2fs -q -F -t ext4 -O verity -b 4096 -d "$work/src" "$work/pristine.img" \
	$((size_mib + size_mib / 16 + 64))M >/dev/null 2>&1
sync

now() { date +%s.%N; }
# fresh: a clean, cached copy of the image (fsync must not flush its dirty pages).
fresh() {
	cp "$work/pristine.img" "$work/img"
	sync "$work/img"
	cat "$work/img" "$work/src/data" >/dev/null
}
# timed COMMAND...: its seconds on stdout, its own output dropped.
timed() {
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	echo "$t1 - $t0" | bc
}
# least BEST VALUE: the smaller (BEST empty: VALUE).
least() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
best_digest= best_enable= best_plain1= best_signed1=
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	fresh
	"$mbverity" digest "$work/src/data" >"$work/digest.out"
	d=$(timed "$mbverity" digest "$work/src/data")
	e=$(timed "$mbverity" enable --image="$work/img" /data)
	# The enabled file must measure as the digest says.
	want=$(cut -d' ' -f1 "$work/digest.out")
	got=$("$mbverity" measure --image="$work/img" /data | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "bench_enable: measure $got != digest $want" >&2; exit 1; }
	fresh
	p=$(timed "$mbverity" enable --threads=1 --image="$work/img" /data)
	fresh
	s=$(timed "$mbverity" enable --threads=1 --image="$work/img" /data \
		--key="$work/key.pem" --cert="$work/cert.pem")
	"$mbverity" verify --image="$work/img" --cert="$work/cert.pem" /data >/dev/null ||
		{ echo "bench_enable: the signed file does not verify" >&2; exit 1; }
	printf 'run %d: digest %.3f s, enable %.3f s; --threads=1: enable %.3f s, signed %.3f s\n' \
		$i "$d" "$e" "$p" "$s"
	best_digest=$(least "$best_digest" "$d")
	best_enable=$(least "$best_enable" "$e")
	best_plain1=$(least "$best_plain1" "$p")
	best_signed1=$(least "$best_signed1" "$s")
done

ratio=$(echo "scale=3; $best_enable / $best_digest" | bc)
printf 'size %d MiB, best of %d: digest %.3f s (%.2f GB/s), enable %.3f s (%.2f GB/s)\n' \
	"$size_mib" "$runs" "$best_digest" "$(echo "$size_mib * 1.048576 / 1000 / $best_digest" | bc -l)" \
	"$best_enable" "$(echo "$size_mib * 1.048576 / 1000 / $best_enable" | bc -l)"
printf 'ratio enable/digest: %.2f (target <= 1.5)\n' "$ratio"
printf 'ratio enable --key --cert / enable, --threads=1: %.2f (target <= 1.1; %.3f s, %.3f s)\n' \
	"$(echo "scale=3; $best_signed1 / $best_plain1" | bc)" "$best_signed1" "$best_plain1"
