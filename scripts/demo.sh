#!/bin/sh
# SPDX-License-Identifier: MIT
# Set up, build, and run mbverity's main job on the bundled example tree.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mbv=build/programs/mbverity
src=examples/rootfs
out=$(mktemp -d "${TMPDIR:-/tmp}/mbverity-demo.XXXXXX")
echo "== $($mbv --version)"
echo "== fs-verity digests of the files in $src"
find "$src" -type f | sort | xargs $mbv digest
echo "== the same with fsverity-utils, for comparison"
find "$src" -type f | sort | xargs fsverity digest
echo "(demo files are in $out)"
