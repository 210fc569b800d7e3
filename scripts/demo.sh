#!/bin/sh
# SPDX-License-Identifier: MIT
# Set up, build, and run mbverity's main job on the bundled example tree:
# an ext4 image with fs-verity on every file, signed with a throwaway key,
# then measured and verified offline.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
mbv=$(pwd)/build/programs/mbverity
src=examples/rootfs
out=$(mktemp -d "${TMPDIR:-/tmp}/mbverity-demo.XXXXXX")
step() { printf '\n== %s\n' "$*"; }

step "$($mbv --version)"
step "a throwaway signing key and certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/key.pem" -out "$out/cert.pem" \
	-subj /CN=mbverity-demo -days 1 2>/dev/null
openssl x509 -in "$out/cert.pem" -outform der -out "$out/cert.der"
echo "$out/key.pem, $out/cert.pem (load cert.der into the kernel's .fs-verity keyring)"

step "mbverity mkfs: $src -> $out/demo.img, fs-verity on every file, signed"
$mbv mkfs -d "$src" "$out/demo.img" --key="$out/key.pem" --cert="$out/cert.pem" \
	--manifest="$out/manifest.txt"
cat "$out/manifest.txt"

step "e2fsck -fn: the image is clean"
e2fsck -fn "$out/demo.img"

step "mbverity measure: digests read from the image, as 'fsverity measure' prints them"
$mbv measure --image="$out/demo.img" /etc/os-release /usr/bin/hello

step "fsverity digest of the source files, for comparison"
(cd "$src" && fsverity digest etc/os-release usr/bin/hello)

step "mbverity verify --cert: every file's data, tree, descriptor and signature"
$mbv verify --image="$out/demo.img" --cert="$out/cert.pem" --require-signatures

step "done: $out/demo.img"
