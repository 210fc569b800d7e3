#!/bin/sh
# SPDX-License-Identifier: MIT
# digest --threads=1 hashes files of 1 MiB and more from a mapping
# (programs/file_map.c): the same answers as fsverity across the mapping's
# window edges, and a file truncated while mapped is an error, not a SIGBUS.
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity truncate

mib=1048576
# Around the mapped size's floor (1 MiB) and the 2 MiB window's edges.
for size in $((mib - 1)) $mib $((mib + 1)) $((2 * mib)) $((2 * mib + 4095)) $((5 * mib + 123)); do
	head -c "$size" /dev/urandom >"$TMP/f"
	for opts in "" "--hash-alg=sha512" "--block-size=1024 --salt=0102" "--hash-alg=sha512 --block-size=65536"; do
		# shellcheck disable=SC2086
		fsverity digest "$TMP/f" $opts >"$TMP/ref"
		# shellcheck disable=SC2086
		"$MBVERITY" digest --threads=1 "$TMP/f" $opts >"$TMP/got"
		cmp "$TMP/ref" "$TMP/got" || fail "size $size $opts: digest differs from fsverity"
	done
done
# The tree written while hashing from the mapping, byte for byte.
fsverity digest "$TMP/f" --hash-alg=sha512 --out-merkle-tree="$TMP/t.ref" >/dev/null
"$MBVERITY" digest --threads=1 "$TMP/f" --hash-alg=sha512 --out-merkle-tree="$TMP/t.got" >/dev/null
cmp "$TMP/t.ref" "$TMP/t.got" || fail "--out-merkle-tree differs from fsverity's"

# Truncated underneath: a sparse 16 GiB file takes seconds to hash, and is
# cut short once the digest has it mapped (so the mapping, not read(), sees it).
big=$TMP/big
truncate -s 16G "$big"
"$MBVERITY" digest --threads=1 "$big" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
until grep -q "$big" "/proc/$pid/maps" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 1000 ] || { kill "$pid"; fail "digest never mapped $big"; }
	kill -0 "$pid" 2>/dev/null || fail "digest ended before mapping $big"
	sleep 0.01
done
truncate -s 3M "$big"
st=0
wait "$pid" || st=$?
[ "$st" -ne 0 ] || fail "digest of a file truncated underneath succeeded"
[ "$st" -lt 128 ] || fail "digest died of signal $((st - 128)) on a truncated file"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "not one error line: $(cat "$TMP/err")"
grep -q "^mbverity: .*$big" "$TMP/err" || fail "error does not name the file: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "a digest was printed for a truncated file"
exit 0
