#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-build for aarch64 in build-arm64/ and run the hashing, tree and
# known-answer tests, and the CLI digest tests, under qemu-aarch64-static
# -cpu max (it has SHA2 and SHA512), once per forced implementation: each
# ARM64 kernel, the OpenSSL fallback and the portable C.
#   scripts/cross-arm64.sh [BUILDDIR [CONFIGURE-ARGS...]]   (default build-arm64)
# Emulated timings mean nothing: this checks answers, never speed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build-arm64}
[ $# -eq 0 ] || shift
cd "$top"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
triplet=aarch64-linux-gnu

# The arm64 libraries come through multiarch.  libext2fs-dev cannot be
# installed for two architectures (arm64's replaces amd64's and breaks the
# native build): only its runtime libext2fs2:arm64 is installed, and the
# -dev package is unpacked into a private sysroot below.
packages="crossbuild-essential-arm64 qemu-user-static libssl-dev:arm64 comerr-dev:arm64
check:arm64 libext2fs2:arm64"
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
sysroot=$builddir/sysroot
if [ ! -f "$sysroot/usr/include/ext2fs/ext2fs.h" ]; then
	rm -rf "$sysroot" "$builddir/deb"
	mkdir -p "$sysroot" "$builddir/deb"
	# The same version as the installed runtime library.
	ver=$(dpkg-query -W -f='${Version}' libext2fs2:arm64)
	(cd "$builddir/deb" && apt-get download -q "libext2fs-dev:arm64=$ver")
	dpkg -x "$builddir"/deb/libext2fs-dev_*_arm64.deb "$sysroot"
fi

[ -x configure ] || autoreconf -fi
if [ ! -f "$builddir/Makefile" ]; then
	(cd "$builddir" &&
	 PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig \
	 "$top/configure" --host=$triplet \
		EXT2FS_CFLAGS="-I$sysroot/usr/include" \
		EXT2FS_LIBS="/usr/lib/$triplet/libext2fs.so.2 -lcom_err" \
		"$@")
fi

# No binfmt_misc here: every arm64 program runs through this wrapper, the
# test programs as LOG_COMPILER and the CLI as $MBVERITY for the shell tests.
wrap=$builddir/qemu-run
cat >"$wrap" <<EOF
#!/bin/sh
# Made by scripts/cross-arm64.sh; do not edit.
exec qemu-aarch64-static -cpu max "\$@"
EOF
cat >"$builddir/mbverity-qemu" <<EOF
#!/bin/sh
# Made by scripts/cross-arm64.sh; do not edit.
exec qemu-aarch64-static -cpu max "$builddir/programs/mbverity" "\$@"
EOF
chmod +x "$wrap" "$builddir/mbverity-qemu"

make -C "$builddir" -j"$(nproc)"
readelf -h "$builddir/programs/mbverity" | grep -q 'Machine: *AArch64' ||
	{ echo "mbverity: $builddir/programs/mbverity is not an aarch64 program" >&2; exit 1; }

# Every implementation the aarch64 build must have, forced in turn for both
# algorithms; mbverity --version must name the forced ones (a name that does
# not apply would silently leave the automatic choice).  test_hash_impls
# and test_merkle also call every table entry directly, so they run once.
impls="openssl generic"
if grep -q '^#define MBV_HAVE_ARM64_CE 1' "$builddir/config.h"; then
	grep -q '^#define MBV_HAVE_ARM64_SHA512 1' "$builddir/config.h" ||
		{ echo "mbverity: the ARM64 SHA-512 kernels were not built" >&2; exit 1; }
	impls="ce_x2 ce_x1 $impls"
fi
# 64 MiB inputs per kernel take minutes emulated; up to 1 MiB + 1 trees still
# have two levels.  Native runs have every row.
KAT_MAX_BYTES=1048577
export KAT_MAX_BYTES
once="tests/unit/hash_impls tests/unit/merkle tests/unit/pool_stress"
each_c="tests/unit/hash"
each_sh="tests/cli/digest_vs_fsverity.sh tests/cli/digest.sh"
# Random inputs against fsverity-utils: fewer per implementation than natively.
MBV_TEST_RUNS=15
export MBV_TEST_RUNS
# run_tests C|SH TESTS...: test programs run in qemu; shell tests run here,
# with $MBVERITY running in qemu.
run_tests() {
	kind=$1
	shift
	rm -f "$builddir/test-suite.log"
	for t in "$@"; do rm -f "$builddir/$t.log" "$builddir/$t.trs"; done
	if [ "$kind" = C ]; then set -- TESTS="$*" LOG_COMPILER="$wrap"; else set -- TESTS="$*"; fi
	make -C "$builddir" check "$@" \
		TESTS_ENVIRONMENT="MBVERITY='$builddir/mbverity-qemu'; export MBVERITY;" || {
		cat "$builddir/test-suite.log"; exit 1; }
}
echo "cross-arm64: every implementation directly"
run_tests C $once
for impl in $impls; do
	echo "cross-arm64: MBV_IMPL=sha256:$impl,sha512:$impl"
	MBV_IMPL=sha256:$impl,sha512:$impl
	export MBV_IMPL
	"$builddir/mbverity-qemu" --version | grep -qx "mbverity .* (sha256: $impl, sha512: $impl)" || {
		echo "mbverity: MBV_IMPL=$MBV_IMPL not in effect: $("$builddir/mbverity-qemu" --version)" >&2
		exit 1; }
	run_tests C $each_c
	run_tests SH $each_sh
done
unset MBV_IMPL
# The run-time choice itself: a Cortex-A53 has HWCAP_SHA2 but no
# HWCAP_SHA512 (test_hash_impls checks usability against its own getauxval,
# and the automatic choice); masking both leaves the OpenSSL fallback.
expect_version() { # expect_version SHA256-NAME SHA512-NAME QEMU-ARGS...
	want="(sha256: $1, sha512: $2)"
	shift 2
	got=$(qemu-aarch64-static "$@" "$builddir/programs/mbverity" --version)
	case $got in
	*"$want") ;;
	*) echo "mbverity: qemu $* chose '$got', not $want" >&2; exit 1 ;;
	esac
}
if [ "${impls#ce_}" != "$impls" ]; then
	echo "cross-arm64: -cpu cortex-a53 (SHA2, no SHA512)"
	expect_version ce_x2 openssl -cpu cortex-a53
	qemu-aarch64-static -cpu cortex-a53 "$builddir/tests/unit/hash_impls" \
		>"$builddir/a53.log" 2>&1 || { cat "$builddir/a53.log"; exit 1; }
	grep -q 'sha512 ce_x1 *lanes  1 NOT usable' "$builddir/a53.log" ||
		{ cat "$builddir/a53.log"; echo "mbverity: SHA-512 kernels usable on a Cortex-A53" >&2; exit 1; }
fi
echo "cross-arm64: MBV_DISABLE_CPU_FEATURES=sha2,sha512"
(
	MBV_DISABLE_CPU_FEATURES=sha2,sha512
	export MBV_DISABLE_CPU_FEATURES
	expect_version openssl openssl -cpu max
	qemu-aarch64-static -cpu max "$builddir/tests/unit/hash_impls" \
		>"$builddir/masked.log" 2>&1 || { cat "$builddir/masked.log"; exit 1; }
)
# Issue 15: digest --threads=2 of a 10-byte file was reported to hang here.
printf '0123456789' >"$builddir/ten-bytes"
i=0
while [ $i -lt 20 ]; do
	timeout 60 "$builddir/mbverity-qemu" digest --threads=2 "$builddir/ten-bytes" >/dev/null || {
		echo "mbverity: digest --threads=2 $builddir/ten-bytes failed or hung (run $i)" >&2
		exit 1; }
	i=$((i + 1))
done
echo "cross-arm64: passed with $impls"
