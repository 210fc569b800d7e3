#!/bin/sh
# SPDX-License-Identifier: MIT
# Set everything up, build, and run every test (what CI runs):
# make check in build/, again under ASan+UBSan in build-asan/, the threaded
# tests under ThreadSanitizer in build-tsan/, the hash, tree and digest tests
# of a --disable-asm build in build-noasm/ and of the aarch64 cross build
# under qemu-user in build-arm64/, the fuzzers briefly, then the real-kernel
# tests under qemu.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# ASan's reports also go to files, and UBSan aborts: a report from a program
# whose failure a test expected must still fail the run (expect_fail in
# tests/lib.sh refuses deaths by signal).
sanitizer_reports() { # sanitizer_reports BUILDDIR
	if ls "$1"/sanitizer.* >/dev/null 2>&1; then
		cat "$1"/sanitizer.*
		echo "mbverity: sanitizer reports above" >&2
		return 1
	fi
}

check() { # check BUILDDIR [CONFIGURE-ARGS...]   ($TESTS: only these)
	dir=$1
	scripts/build.sh "$@"
	rm -f "$dir"/sanitizer.*
	if [ -n "${TESTS:-}" ]; then set -- TESTS="$TESTS"; else set --; fi
	make -C "$dir" -j"$(nproc)" check "$@" || {
		cat "$dir/test-suite.log"; sanitizer_reports "$dir" || :; exit 1; }
	sanitizer_reports "$dir"
}

check build
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$(pwd)/build-asan/sanitizer \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
	check build-asan --enable-sanitizers
# Data races in what runs threads (the pool, the ordered work queue, signing
# and checking in workers): ThreadSanitizer on the tests that drive them with
# 1 to 3 threads.  Not all of make check: TSan's memory would trip the RSS
# limits, and test_merkle's every-kernel sweep takes minutes under it.
(
	TESTS="tests/ext4/api tests/unit/sign tests/ext4/mkfs.sh tests/ext4/verify.sh"
	TESTS="$TESTS tests/ext4/sign.sh tests/cli/digest.sh tests/unit/pool_stress"
	TSAN_OPTIONS=halt_on_error=1:exitcode=66:log_path=$(pwd)/build-tsan/sanitizer
	export TSAN_OPTIONS
	check build-tsan CFLAGS="-g -O1 -fsanitize=thread" LDFLAGS=-fsanitize=thread
)
# --disable-asm: the portable library (the OpenSSL fallback chosen) on x86;
# the hashing, tree and digest tests only, to keep CI short.
(
	TESTS="tests/unit/hash tests/unit/hash_impls tests/unit/merkle"
	TESTS="$TESTS tests/cli/digest_vs_fsverity.sh tests/cli/digest.sh"
	check build-noasm --disable-asm
)
# aarch64: the cross build's hashing, tree and digest tests under
# qemu-aarch64-static, for each ARM64 kernel and the fallback (about 3 minutes).
scripts/cross-arm64.sh
# Each fuzz target (clang's libFuzzer, ASan+UBSan) for a short fixed time.
make -C build fuzz FUZZ_SECONDS=25
# The release: make distcheck, README's quick start from the tarball, and the
# Debian packages (nocheck: the tests ran above), installed and run.
scripts/release.sh
DEB_BUILD_OPTIONS=nocheck scripts/deb.sh
# The proof: Debian's kernels under qemu read the images mbverity made.
make -C build check-kernel
echo "mbverity: all tests passed"
