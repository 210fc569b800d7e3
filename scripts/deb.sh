#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian packages from the release tarball: scripts/deb.sh [OUTDIR]
# (default build/deb).  Makes the tarball in build/ (scripts/build.sh), runs
# `dpkg-buildpackage -us -uc -b` on it unpacked (DEB_BUILD_OPTIONS from the
# environment: nocheck skips the tests and Check), lintian (errors fail), then
# installs the three packages, runs the installed `mbverity --version` and
# removes them again.  Installing needs root; otherwise the packages are
# unpacked with dpkg-deb and run from there, and the script says so.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${1:-$top/build/deb}
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "mbverity: deb.sh: $t missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
scripts/build.sh >/dev/null
make -C build dist >/dev/null
version=$(sed -n 's/^PACKAGE_VERSION = //p' build/Makefile)
work=$(mktemp -d "${TMPDIR:-/tmp}/mbverity-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "build/mbverity-$version.tar.gz"
(cd "$work/mbverity-$version" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log" >&2; echo "mbverity: deb.sh: dpkg-buildpackage failed" >&2; exit 1; }
changes=$(ls "$work"/mbverity_*.changes)
# lintian exits non-zero on errors only (warnings are printed).
lintian --fail-on error "$changes" || { echo "mbverity: deb.sh: lintian errors" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.deb
cp "$work"/*.deb "$out"/
# The log stays beside the packages: whether dh_auto_test ran, and what it said.
cp "$work/build.log" "$out/build.log"
grep -E '^# (TOTAL|PASS|FAIL):' "$out/build.log" | tr '\n' ' ' | sed 's/^./deb.sh: tests under dh_auto_test: &/;s/ $/\n/' || :
debs="$out/mbverity_${version}_*.deb $out/libmbverity1_${version}_*.deb $out/libmbverity-dev_${version}_*.deb"
for d in $debs; do [ -f "$d" ] || { echo "mbverity: deb.sh: $d not built" >&2; exit 1; }; done
if [ "$(id -u)" = 0 ]; then
	# shellcheck disable=SC2086
	dpkg -i $debs >/dev/null
	v=$(mbverity --version) && pkg-config --exists mbverity && st=0 || st=1
	dpkg -r mbverity libmbverity-dev libmbverity1 >/dev/null
	[ $st = 0 ] || { echo "mbverity: deb.sh: installed mbverity or mbverity.pc does not work" >&2; exit 1; }
else
	echo "deb.sh: not root: packages unpacked with dpkg-deb, not installed"
	for d in $debs; do dpkg-deb -x "$d" "$work/root"; done
	v=$(LD_LIBRARY_PATH=$(echo "$work"/root/usr/lib/*) "$work/root/usr/bin/mbverity" --version)
fi
echo "deb.sh: $v; packages in $out:"
ls "$out"
