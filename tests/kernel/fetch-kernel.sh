#!/bin/bash
# SPDX-License-Identifier: MIT
# fetch-kernel.sh bookworm|bookworm-backports
# Downloads Debian's linux-image-amd64 kernel for that suite with a private
# apt state (the host's apt config, lists and installed kernels are untouched),
# extracts it under $MBV_KERNEL_CACHE and prints the extracted directory.
# That directory holds boot/vmlinuz-KVER, lib/modules/KVER and a file KVER.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=${1:?usage: fetch-kernel.sh SUITE}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || mbvk_die "no $keyring (install debian-archive-keyring)"

# The Debian mirror URI, taken from the host's apt sources at run time: the
# first 'deb' entry serving component main of a suite that is not -security.
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'function flush() {
			if (types ~ /(^| )deb( |$)/ && comps ~ /(^| )main( |$)/ &&
			    suites != "" && suites !~ /-security/ && uris != "")
				{ split(uris, u, " "); print u[1]; found = 1; exit }
			types = uris = suites = comps = "" }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ k = tolower($1); sub(/:$/, "", k); $1 = ""; sub(/^ +/, "")
		  if (k == "types") types = $0; else if (k == "uris") uris = $0
		  else if (k == "suites") suites = $0; else if (k == "components") comps = $0 }
		END { if (!found) flush() }' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++
			if ($2 ~ /^\[/) i++
			if ($(i + 1) !~ /-security/ && / main( |$)/) print $i }'
}
uri=$(debian_uri | grep -E '^(https?|file|mirror[+a-z]*)://' | head -n1 || true)
[ -n "$uri" ] || mbvk_die "no Debian 'main' source found in /etc/apt to derive a mirror from"

base=$MBV_KERNEL_CACHE/$suite
apt=$base/apt
mkdir -p "$base"
# Two runs sharing the cache (e.g. two build trees) take turns.
exec 9>"$base.lock"
flock 9
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
	"$apt/state/lists/partial" "$apt/cache/archives/partial" "$base/deb"
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$suite" >"$apt/etc/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list"
	-o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$apt/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
	-o "Dir::State=$apt/state" -o "Dir::State::Lists=$apt/state/lists"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$apt/cache" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	-o "Acquire::Languages=none" -o "APT::Sandbox::User=root"
	-o "Debug::NoLocking=1")

# Reuse an extraction younger than a week; refresh the lists otherwise.
if [ -f "$base/root/KVER" ] && [ -n "$(find "$base/root/KVER" -mtime -7)" ] &&
   [ -z "${MBVK_REFRESH:-}" ]; then
	echo "$base/root"
	exit 0
fi
# An older extraction still serves when the mirror cannot be reached.
fallback() {
	if [ -f "$base/root/KVER" ]; then
		mbvk_log "$1; using the cached $(cat "$base/root/PKG" 2>/dev/null)"
		echo "$base/root"
		exit 0
	fi
	mbvk_die "$1"
}

mbvk_log "apt-get update (private state, $suite)"
apt-get -q "${aptopts[@]}" update >"$base/apt-update.log" 2>&1 ||
	{ tail -n 20 "$base/apt-update.log" >&2; fallback "apt-get update failed for $suite"; }

# linux-image-amd64 is a metapackage: find the real linux-image-6.x package.
real=$(apt-cache "${aptopts[@]}" depends linux-image-amd64 2>/dev/null |
	awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
[ -n "$real" ] || fallback "cannot resolve linux-image-amd64 in $suite"
ver=$(apt-cache "${aptopts[@]}" show "$real" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
mbvk_log "$suite: linux-image-amd64 -> $real $ver"
if [ "$(cat "$base/root/PKG" 2>/dev/null)" = "$real $ver" ]; then
	touch "$base/root/KVER"
	echo "$base/root"
	exit 0
fi

rm -f "$base"/deb/*.deb
(cd "$base/deb" && apt-get -q "${aptopts[@]}" download "$real") >"$base/apt-download.log" 2>&1 ||
	{ tail -n 20 "$base/apt-download.log" >&2; fallback "apt-get download $real failed"; }
deb=$(ls "$base/deb/${real}_"*.deb | head -n1)

rm -rf "$base/root.tmp"
mkdir -p "$base/root.tmp"
dpkg-deb -x "$deb" "$base/root.tmp"
# Debian is moving /lib to /usr/lib: accept either.
mdir=$base/root.tmp/lib/modules
[ -d "$mdir" ] || mdir=$base/root.tmp/usr/lib/modules
kver=$(ls "$mdir" | head -n1)
[ -n "$kver" ] && [ -f "$base/root.tmp/boot/vmlinuz-$kver" ] ||
	mbvk_die "unexpected layout in $deb"
if [ "$mdir" != "$base/root.tmp/lib/modules" ]; then
	mkdir -p "$base/root.tmp/lib"
	ln -s ../usr/lib/modules "$base/root.tmp/lib/modules"
fi
[ -s "$mdir/$kver/modules.dep" ] || depmod -b "$base/root.tmp" "$kver"
echo "$real $ver" >"$base/root.tmp/PKG"
echo "$kver" >"$base/root.tmp/KVER"
rm -rf "$base/root"
mv "$base/root.tmp" "$base/root"
rm -f "$deb" # the extraction is what is kept
echo "$base/root"
