#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity mkfs: a generated tree becomes an e2fsck-clean image whose files carry
# the fs-verity digests fsverity-utils computes; same bytes for any thread count.
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity e2fsck debugfs openssl cmp

src=$TMP/src
mkdir -p "$src/a/b/c" "$src/empty-dir" "$src/usr/lib"
: >"$src/empty"
for n in 1 4095 4096 4097 65535 65536 65537; do
	head -c $n /dev/urandom >"$src/a/f$n"
done
head -c 3000000 /dev/urandom >"$src/a/b/c/big"
head -c 1048577 /dev/urandom >"$src/usr/lib/libx.so"
# More small files than the pipeline holds at once (64): its ring wraps.
mkdir -p "$src/many"
for n in $(seq 1 150); do head -c $((n * 97)) /dev/urandom >"$src/many/f$n"; done
printf 'hello\n' >"$src/a/b/hello.txt"
ln -s a/b/hello.txt "$src/link"
ln -s /nonexistent "$src/dangling"
if [ "$(id -u)" = 0 ]; then mknod "$src/null" c 1 3; else mkfifo "$src/null"; fi

# Reference digests of every regular file, with image paths.
(cd "$src" && find . -type f | sort | sed 's|^\./||' | while read -r f; do
	fsverity digest "$f" | sed "s| $f\$| /$f|"
done) >"$TMP/ref.manifest"
nfiles=$(wc -l <"$TMP/ref.manifest")

fixed="--uuid=2b5c3a0e-4c84-4b1e-9d87-1e2b3c4d5e6f --timestamp=1700000000"
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img1" $fixed --threads=1 --manifest="$TMP/m1" >"$TMP/out"
grep -q "$nfiles files with fs-verity" "$TMP/out" || fail "mkfs summary: $(cat "$TMP/out")"
e2fsck -fn "$TMP/img1" >"$TMP/fsck" 2>&1 || { cat "$TMP/fsck"; fail "e2fsck on the mkfs image"; }
cmp "$TMP/ref.manifest" "$TMP/m1" || fail "manifest differs from fsverity digest"

# Every file measures as fsverity digest says, and verify passes.
while read -r digest path; do
	got=$("$MBVERITY" measure --image="$TMP/img1" "$path")
	[ "$got" = "$digest $path" ] || fail "measure $path: $got, want $digest"
done <"$TMP/ref.manifest"
"$MBVERITY" verify --image="$TMP/img1" >/dev/null || fail "verify of the mkfs image"
# Symlinks and the special file are left alone, with data unchanged.
debugfs -R 'stat /link' "$TMP/img1" 2>/dev/null | grep -q 'Type: symlink' || fail "symlink"
debugfs -R 'stat /null' "$TMP/img1" 2>/dev/null | grep -qv Verity || fail "special file"
debugfs -R 'cat /a/b/c/big' "$TMP/img1" 2>/dev/null | cmp - "$src/a/b/c/big" || fail "data changed"

# The same bytes with two threads, and from mkfs without verity + enable --all.
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img2" $fixed --threads=2 --quiet --manifest="$TMP/m2"
cmp "$TMP/img1" "$TMP/img2" || fail "--threads=1 and --threads=2 images differ"
cmp "$TMP/m1" "$TMP/m2" || fail "manifests differ"
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img3" $fixed --exclude='*' --quiet
SOURCE_DATE_EPOCH=1700000000 "$MBVERITY" enable --all "$TMP/img3" --quiet
# Again: files with fs-verity already are left alone, nothing changes.
cp "$TMP/img3" "$TMP/img3.again"
SOURCE_DATE_EPOCH=1700000000 "$MBVERITY" enable --all "$TMP/img3.again" --quiet ||
	fail "a second enable --all"
cmp "$TMP/img3" "$TMP/img3.again" || fail "a second enable --all changed the image"
# Identical but for the superblock's lifetime-writes counter: mkfs skips the
# crash-ordering flushes enable makes on an image in use, so it writes less.
cp "$TMP/img1" "$TMP/img1.norm"
# debugfs stamps its own write time: the same fixed one for both (else a
# second ticking between the two runs makes them differ).
for f in img1.norm img3; do
	E2FSPROGS_FAKE_TIME=1700000000 debugfs -w -R 'ssv kbytes_written 0' "$TMP/$f" >/dev/null 2>&1
done
cmp "$TMP/img1.norm" "$TMP/img3" || fail "mkfs and mkfs --exclude='*' + enable --all differ"

# --include/--exclude pick files by their path in the image.
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img4" $fixed --include='/a/*' --exclude='*/f4096' \
	--manifest="$TMP/m4" --quiet
grep ' /a/' "$TMP/ref.manifest" | grep -v '/f4096$' >"$TMP/want4"
cmp "$TMP/want4" "$TMP/m4" || fail "--include/--exclude selection"

# Signed: every file verifies against the certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=mkfs-test -days 1 2>/dev/null
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img5" $fixed --key="$TMP/key.pem" --cert="$TMP/cert.pem" --threads=1 --quiet
e2fsck -fn "$TMP/img5" >/dev/null 2>&1 || fail "e2fsck on the signed image"
"$MBVERITY" verify --image="$TMP/img5" --cert="$TMP/cert.pem" --require-signatures >/dev/null ||
	fail "verify --cert of the signed image"
# RSA signatures are deterministic: signed in other threads, the same bytes.
# shellcheck disable=SC2086
"$MBVERITY" mkfs -d "$src" "$TMP/img6" $fixed --key="$TMP/key.pem" --cert="$TMP/cert.pem" \
	--threads=3 --quiet
cmp "$TMP/img5" "$TMP/img6" || fail "signed images differ with --threads=3"

# Bad input: nothing left behind claiming success.
expect_fail "missing directory" "$MBVERITY" mkfs -d "$TMP/nonexistent" "$TMP/bad1"
expect_fail "existing image" "$MBVERITY" mkfs -d "$src" "$TMP/img1"
cmp "$TMP/img1" "$TMP/img2" || fail "an existing image was touched"
expect_fail "size too small" "$MBVERITY" mkfs -d "$src" "$TMP/bad2" --size=1M
expect_fail "key without cert" "$MBVERITY" mkfs -d "$src" "$TMP/bad3" --key="$TMP/key.pem"
expect_fail "bad signing key" "$MBVERITY" mkfs -d "$src" "$TMP/bad4" \
	--key="$TMP/cert.pem" --cert="$TMP/cert.pem"
for f in bad1 bad2 bad3 bad4; do
	[ ! -e "$TMP/$f" ] || fail "$f left behind"
done
[ -z "$(find "$TMP" -name '*.tmp.*')" ] || fail "temporary files left behind"

# The image fills up midway through enable --all (the pipeline has files
# hashed ahead): one line naming the file, e2fsck-clean, the files before it
# verity with the right digest, the rest plain with their data.
full=$TMP/full
mkdir -p "$full/many"
for n in $(seq 1 300); do head -c $((n * 97 + 5000)) /dev/urandom >"$full/many/f$n"; done
stopped=
for kb in 8000 7800 7600 7400 7200; do
	rm -f "$TMP/full.img"
	mke2fs -q -t ext4 -O verity -b 4096 -N 512 -d "$full" "$TMP/full.img" ${kb}K \
		>/dev/null 2>&1 || continue
	if ! "$MBVERITY" enable --all "$TMP/full.img" --quiet >"$TMP/out" 2>"$TMP/err"; then
		stopped=$(sed -n 's/.*full.img: \(\/many\/f[0-9]*\): not enough free space.*/\1/p' "$TMP/err")
		break
	fi
done
[ -n "$stopped" ] || fail "enable --all never ran out of space: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "enable --all, full: $(cat "$TMP/err")"
e2fsck -fn "$TMP/full.img" >"$TMP/fsck" 2>&1 || { cat "$TMP/fsck"; fail "e2fsck after a full image"; }
done_before=0
for f in $(cd "$full" && find many -type f | LC_ALL=C sort); do
	if [ "/$f" \< "$stopped" ]; then
		want=$(fsverity digest "$full/$f" | cut -d' ' -f1)
		got=$("$MBVERITY" measure --image="$TMP/full.img" "/$f") || fail "/$f before $stopped is not verity"
		[ "${got%% *}" = "$want" ] || fail "/$f: $got, want $want"
		done_before=$((done_before + 1))
	else
		"$MBVERITY" measure --image="$TMP/full.img" "/$f" >/dev/null 2>&1 && fail "/$f after $stopped is verity"
		debugfs -R "cat /$f" "$TMP/full.img" 2>/dev/null | cmp -s - "$full/$f" || fail "/$f data changed"
	fi
done
[ "$done_before" -gt 0 ] || fail "no file was enabled before $stopped"
echo "mkfs ok: $nfiles files; a full image stopped at $stopped after $done_before files"
