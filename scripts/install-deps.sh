#!/bin/sh
# SPDX-License-Identifier: MIT
# Install every build, test and benchmark dependency from Debian 12's packages.
set -eu
packages="build-essential autoconf automake libtool pkg-config nasm check libext2fs-dev
e2fsprogs libssl-dev openssl fsverity qemu-system-x86 busybox-static keyutils
kmod cpio xz-utils zstd time bc valgrind clang libclang-rt-14-dev libipsec-mb-dev groff-base
debhelper lintian softhsm2 libengine-pkcs11-openssl p11-kit-modules"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
