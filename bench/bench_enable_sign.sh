#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_enable_sign.sh [SIZE_MIB] [MBVERITY]: time `mbverity enable --key
# --cert` of one file of SIZE_MIB (default 512) inside an ext4 image against
# `mbverity enable` of the same file unsigned, --threads=1, a fresh cached
# copy of the image each run; prints the best of RUNS (default 3) for each
# and the ratio (target: at most 1.1, i.e. signing does not hash twice).
# Needs about 3 x SIZE of space in $TMPDIR (default /tmp).
set -eu
size_mib=${1:-512}
mbverity=${2:-${MBVERITY:-./programs/mbverity}}
runs=${RUNS:-3}
PATH=$PATH:/usr/sbin:/sbin

[ -x "$mbverity" ] || { echo "bench_enable_sign: no mbverity at $mbverity" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mbv-bench-sign.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-subj /CN=bench -days 2 >/dev/null 2>&1
mkdir "$work/src"
head -c $((size_mib * 1048576)) /dev/urandom >"$work/src/data"
mke2fs -q -F -t ext4 -O verity -b 4096 -d "$work/src" "$work/pristine.img" \
	$((size_mib + size_mib / 16 + 64))M >/dev/null 2>&1
sync

now() { date +%s.%N; }
# run NAME ARGS...: time one enable on a fresh cached copy; prints seconds.
run() {
	cp "$work/pristine.img" "$work/img"
	sync "$work/img"
	cat "$work/img" >/dev/null
	t0=$(now)
	"$mbverity" enable --threads=1 --image="$work/img" /data "$@"
	t1=$(now)
	echo "$t1 - $t0" | bc
}
best_plain=
best_signed=
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	p=$(run)
	s=$(run --key="$work/key.pem" --cert="$work/cert.pem")
	printf 'run %d: enable %.3f s, enable --key --cert %.3f s\n' $i "$p" "$s"
	[ -z "$best_plain" ] || [ "$(echo "$p < $best_plain" | bc)" = 1 ] && best_plain=$p
	[ -z "$best_signed" ] || [ "$(echo "$s < $best_signed" | bc)" = 1 ] && best_signed=$s
done
# The last run is the signed one: it must have a signature the cert checks.
"$mbverity" verify --image="$work/img" --cert="$work/cert.pem" /data >/dev/null ||
	{ echo "bench_enable_sign: the signed file does not verify" >&2; exit 1; }
printf 'size %d MiB, --threads=1, best of %d: enable %.3f s, enable --key --cert %.3f s\n' \
	"$size_mib" "$runs" "$best_plain" "$best_signed"
printf 'ratio signed/unsigned: %.2f (target <= 1.1)\n' "$(echo "scale=3; $best_signed / $best_plain" | bc)"
