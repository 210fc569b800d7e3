#!/bin/sh
# SPDX-License-Identifier: MIT
# make installcheck (and so make distcheck): small programs using the tree,
# signature and ext4 APIs, built against the installed tree with nothing
# but pkg-config, linked shared (`--libs`) and static (`--static --libs`
# with the archive), each checked against fsverity-utils; and the installed
# program, man page, LICENSE.  Makefile.am passes the variables below.
set -eu
: "${CC:?}" "${PKG_CONFIG:=pkg-config}" "${srcdir:?}" "${DESTDIR=}"
: "${pkgconfigdir:?}" "${libdir:?}" "${bindir:?}" "${includedir:?}"
: "${mandir:?}" "${docdir:?}"
fail() { echo "FAIL: installcheck: $*" >&2; exit 1; }
for t in "$PKG_CONFIG" fsverity openssl mke2fs e2fsck readelf; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/sbin/$t" ] || [ -x "/usr/sbin/$t" ] ||
		fail "$t is not installed (scripts/install-deps.sh installs it)"
done
PATH=$PATH:/usr/sbin:/sbin
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbv-installcheck.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
root=$DESTDIR
for f in "$bindir/mbverity" "$includedir/mbverity.h" "$includedir/mbverity/tree.h" \
	"$includedir/mbverity/sign.h" "$includedir/mbverity/ext4.h" "$includedir/mbverity/base.h" "$pkgconfigdir/mbverity.pc" \
	"$libdir/libmbverity.a" "$docdir/LICENSE" "$docdir/NEWS"; do
	[ -f "$root$f" ] || fail "$root$f not installed"
done
ls "$root$libdir"/libmbverity.so.[0-9]* >/dev/null 2>&1 || fail "no $root$libdir/libmbverity.so.N"
[ -f "$root$mandir/man1/mbverity.1" ] || fail "$root$mandir/man1/mbverity.1 not installed"

# The sysroot maps the .pc file's paths under DESTDIR (empty for distcheck).
PKG_CONFIG_PATH=$root$pkgconfigdir PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$($PKG_CONFIG --cflags mbverity) || fail "pkg-config --cflags mbverity"
libs=$($PKG_CONFIG --libs mbverity) || fail "pkg-config --libs mbverity"
static=$($PKG_CONFIG --static --libs mbverity) || fail "pkg-config --static --libs mbverity"
# The archive by name: the static line alone must resolve everything.
static=$(echo "$static" | sed 's/-lmbverity\b/-l:libmbverity.a/')
# A program calling libext2fs itself names it: README says so.
ext2fs_libs=$($PKG_CONFIG --libs ext2fs com_err)
for part in tree sign ext4; do
	src=$srcdir/tests/installcheck/consumer_$part.c
	extra=
	[ $part != ext4 ] || extra=$ext2fs_libs
	# shellcheck disable=SC2086
	$CC -std=c11 -Wall -Werror $cflags "$src" -o "$TMP/${part}_shared" $libs $extra ||
		fail "consumer_$part: shared link with pkg-config --libs"
	# shellcheck disable=SC2086
	$CC -std=c11 -Wall -Werror $cflags "$src" -o "$TMP/${part}_static" $static $extra ||
		fail "consumer_$part: static link with pkg-config --static --libs"
	readelf -d "$TMP/${part}_shared" | grep -q 'NEEDED.*\[libmbverity\.so\.' ||
		fail "consumer_$part: the shared link did not use libmbverity.so"
	! readelf -d "$TMP/${part}_static" | grep -q 'NEEDED.*libmbverity' ||
		fail "consumer_$part: the static link used libmbverity.so"
done
LD_LIBRARY_PATH=$root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

# Data: a few sizes around block boundaries.
mkdir "$TMP/src"
head -c 1 /dev/urandom >"$TMP/src/one"
head -c 4096 /dev/urandom >"$TMP/src/block"
head -c 300001 /dev/urandom >"$TMP/src/multi"
: >"$TMP/src/empty"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	-subj /CN=mbverity-installcheck -days 1 2>/dev/null || fail "openssl req"
for kind in shared static; do
	for f in one block multi empty; do
		want=$(cd "$TMP/src" && fsverity digest "$f")
		got=$(cd "$TMP/src" && "$TMP/tree_$kind" "$f") || fail "tree_$kind $f"
		[ "$got" = "$want" ] || fail "tree_$kind $f: '$got', fsverity digest '$want'"
		"$TMP/sign_$kind" "$TMP/src/$f" "$TMP/key.pem" "$TMP/cert.pem" "$TMP/sig" ||
			fail "sign_$kind $f"
		fsverity sign "$TMP/src/$f" "$TMP/ref.sig" --key="$TMP/key.pem" \
			--cert="$TMP/cert.pem" >/dev/null || fail "fsverity sign $f"
		cmp -s "$TMP/sig" "$TMP/ref.sig" || fail "sign_$kind $f: not fsverity sign's bytes"
	done
	rm -f "$TMP/img"
	mke2fs -q -t ext4 -O verity -b 4096 -d "$TMP/src" "$TMP/img" 8M || fail "mke2fs"
	for f in one block multi empty; do
		want=$(cd "$TMP/src" && fsverity digest "$f" | sed "s| $f\$| /$f|")
		got=$("$TMP/ext4_$kind" "$TMP/img" "/$f") || fail "ext4_$kind /$f"
		[ "$got" = "$want" ] || fail "ext4_$kind /$f: '$got', fsverity digest '$want'"
	done
	e2fsck -fn "$TMP/img" >"$TMP/fsck" 2>&1 || { cat "$TMP/fsck"; fail "e2fsck after ext4_$kind"; }
	# The installed program reads what the consumer wrote.
	"$root$bindir/mbverity" verify --image="$TMP/img" >/dev/null || fail "installed mbverity verify"
done
"$root$bindir/mbverity" --version >/dev/null || fail "installed mbverity --version"
echo "installcheck: tree, sign and ext4 consumers, shared and static, agree with fsverity-utils"
