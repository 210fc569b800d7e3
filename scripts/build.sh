#!/bin/sh
# SPDX-License-Identifier: MIT
# Configure and build out of tree: scripts/build.sh [BUILDDIR [CONFIGURE-ARGS...]]
# (default build/).  The source tree itself stays unconfigured.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build}
[ $# -eq 0 ] || shift
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p "$builddir"
cd "$builddir"
[ -f Makefile ] || "$top/configure" "$@"
make -j"$(nproc)"
