#!/bin/sh
# SPDX-License-Identifier: MIT
# Set everything up, build, and run the whole test suite (what CI runs).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
make -j"$(nproc)" check || { cat test-suite.log; exit 1; }
echo "mbverity: all tests passed"
