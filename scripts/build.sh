#!/bin/sh
# SPDX-License-Identifier: MIT
# Configure and build out of tree: scripts/build.sh [BUILDDIR [CONFIGURE-ARGS...]]
# (default build/).  The source tree itself stays unconfigured.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build}
[ $# -eq 0 ] || shift
cd "$top"
# Again when configure.ac or Makefile.am changed since (make would try, but
# not libtoolize).
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi
mkdir -p "$builddir"
cd "$builddir"
[ -f Makefile ] || "$top/configure" "$@"
make -j"$(nproc)"
