#!/bin/sh
# SPDX-License-Identifier: MIT
# The release tarball works: `make distcheck` (build, make check and make
# installcheck from the tarball, out of tree), then README's quick start
# (scripts/demo.sh) run from the tarball unpacked, as a user would.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/build.sh >/dev/null
make -C build -j"$(nproc)" distcheck >build/distcheck.log 2>&1 ||
	{ tail -n 80 build/distcheck.log >&2; echo "mbverity: release.sh: make distcheck failed (build/distcheck.log)" >&2; exit 1; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' build/Makefile)
tarball=build/mbverity-$version.tar.gz
work=$(mktemp -d "${TMPDIR:-/tmp}/mbverity-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$tarball"
(cd "$work/mbverity-$version" && ./scripts/demo.sh) >"$work/demo.log" 2>&1 ||
	{ tail -n 40 "$work/demo.log" >&2; echo "mbverity: release.sh: the quick start failed from $tarball" >&2; exit 1; }
grep -q '^== done: ' "$work/demo.log" || { echo "mbverity: release.sh: demo.sh did not finish" >&2; exit 1; }
echo "release.sh: make distcheck passed; README's quick start (scripts/demo.sh) works from $tarball"
