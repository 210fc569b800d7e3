#!/bin/sh
# SPDX-License-Identifier: MIT
# Keys on a PKCS#11 token (SoftHSM in a scratch directory): fsverity 1.5's
# --pkcs11-engine/--pkcs11-module/--pkcs11-keyid and --key=pkcs11:URI, for
# sign, enable --image and mkfs.  RSA PKCS#1 v1.5 is deterministic, so every
# route must give the signature the same key gives from a PEM file, byte for
# byte; wrong PINs and key ids fail with one line and write nothing.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need openssl softhsm2-util fsverity mke2fs e2fsck
# Under ASan: full stacks (libcrypto has no frame pointers), so that the
# leaks libp11 itself makes can be named and suppressed, and no others.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
	LSAN_OPTIONS="suppressions=${top_srcdir:-.}/tests/data/lsan-libp11.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS LSAN_OPTIONS
fi

SO=/usr/lib/softhsm/libsofthsm2.so
[ -f "$SO" ] || fail "$SO missing (Debian: softhsm2)"
ENGINES=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
ENG=$ENGINES/pkcs11.so
[ -f "$ENG" ] || fail "$ENG missing (Debian: libengine-pkcs11-openssl)"
have_engine=0
grep -q '^#define MBV_HAVE_ENGINE 1' "$top_builddir/config.h" && have_engine=1

# A token of our own: SoftHSM reads SOFTHSM2_CONF, in this process and in
# p11-kit's proxy alike.
mkdir "$TMP/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$TMP/tokens" >"$TMP/softhsm2.conf"
SOFTHSM2_CONF=$TMP/softhsm2.conf
export SOFTHSM2_CONF
softhsm2-util --init-token --free --label mbvtest --pin 1234 --so-pin 5678 >/dev/null ||
	fail "softhsm2-util --init-token"
K=$TMP/keys
mkdir "$K"
for n in tok other; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/$n.key" -out "$K/$n.crt" \
		-subj /CN=test -days 1 2>/dev/null || fail "openssl req $n"
done
openssl pkcs8 -topk8 -nocrypt -in "$K/tok.key" -out "$K/tok8.key" || fail "openssl pkcs8"
softhsm2-util --import "$K/tok8.key" --token mbvtest --label mbvkey --id 01 --pin 1234 \
	>/dev/null || fail "softhsm2-util --import"
URI='pkcs11:token=mbvtest;object=mbvkey;type=private'

head -c 300001 /dev/urandom >"$TMP/f"
"$MBVERITY" sign "$TMP/f" "$TMP/pem.sig" --key="$K/tok.key" --cert="$K/tok.crt" >/dev/null ||
	fail "sign with the PEM key"

# same NAME ARGS...: sign by that route, then the PEM signature byte for byte,
# which openssl accepts with the token's certificate and refuses with another.
same() {
	_n=$1
	shift
	"$MBVERITY" sign "$TMP/f" "$TMP/$_n.sig" --cert="$K/tok.crt" "$@" >"$TMP/out" 2>"$TMP/err" ||
		fail "sign $_n: $(cat "$TMP/err")"
	grep -q "^Signed file" "$TMP/out" || fail "sign $_n: $(cat "$TMP/out")"
	cmp -s "$TMP/pem.sig" "$TMP/$_n.sig" || fail "sign $_n: not the PEM key's signature"
}
# fails NAME PATTERN ARGS...: sign fails with one line matching PATTERN, no SIGFILE.
fails() {
	_n=$1 _pat=$2
	shift 2
	expect_fail "$_n" "$MBVERITY" sign "$TMP/f" "$TMP/no.sig" --cert="${crt:-$K/tok.crt}" "$@" \
		</dev/null
	one_line_error "$_n"
	grep -q -- "$_pat" "$TMP/err" || fail "$_n: $(cat "$TMP/err")"
	[ ! -e "$TMP/no.sig" ] || fail "$_n: a signature was written"
}

{ "$MBVERITY" digest "$TMP/f" | sed 's/ .*//'; } >"$TMP/digest" || fail "digest"
openssl x509 -in "$K/tok.crt" -outform DER -out "$K/tok.der" || fail "x509 DER"
# The signed data is "FSVerity" + le16 alg + le16 size + digest (fsverity sign's).
perl -e 'my ($a, $h) = split /:/, <STDIN>; chomp $h;
	print "FSVerity", pack("vv", 1, 32), pack("H*", $h)' <"$TMP/digest" >"$TMP/fd" ||
	fail "formatted digest"
for tool in smime cms; do
	openssl_accepts $tool "$TMP/pem.sig" "$TMP/fd" "$K/tok.crt" ||
		fail "openssl $tool rejects the PEM key's signature"
done
if openssl_accepts smime "$TMP/pem.sig" "$TMP/fd" "$K/other.crt"; then
	fail "openssl smime accepts the signature with another certificate"
fi

echo 1234 >"$TMP/pinfile"
if [ $have_engine = 1 ]; then
	# fsverity 1.5's options, the PIN in every --key-passin form.
	E="--pkcs11-engine=$ENG --pkcs11-module=$SO"
	# shellcheck disable=SC2086
	{
		same eng-pass $E --pkcs11-keyid=01 --key-passin=pass:1234
		MBV_PIN=1234 same eng-env $E --pkcs11-keyid=01 --key-passin=env:MBV_PIN
		same eng-file $E --pkcs11-keyid=01 --key-passin=file:"$TMP/pinfile"
		same eng-fd $E --pkcs11-keyid=01 --key-passin=fd:3 3<"$TMP/pinfile"
		same eng-uri-id $E --pkcs11-keyid="$URI;pin-value=1234"
		# libp11 0.4.12 finds no default key (fsverity 1.5 neither): one line.
		fails "engine: no key id" "default key.*object not found" $E --key-passin=pass:1234
		fails "engine: wrong PIN" "PIN incorrect" $E --pkcs11-keyid=01 --key-passin=pass:9999
		fails "engine: wrong key id" "key '02'.*object not found" $E --pkcs11-keyid=02 \
			--key-passin=pass:1234
		fails "engine: no PIN, no terminal" "key-passin" $E --pkcs11-keyid=01
		crt=$K/other.crt fails "engine: another key's certificate" "does not match" $E \
			--pkcs11-keyid=01 --key-passin=pass:1234
		crt=
		fails "engine: not an engine" "not an OpenSSL engine" --pkcs11-engine="$SO" \
			--pkcs11-module="$SO" --key-passin=pass:1234
	}
	# The PIN in the URI never shows in a message.
	fails "engine: wrong PIN in the URI" "PIN incorrect" $E --pkcs11-keyid="$URI;pin-value=98765"
	if grep -q 98765 "$TMP/err"; then fail "the PIN shows: $(cat "$TMP/err")"; fi

	# A pkcs11: URI: no provider serves it on Debian 12, libp11's engine does;
	# without --pkcs11-module, through p11-kit's proxy.
	same uri --key="$URI" --pkcs11-module="$SO" --key-passin=pass:1234
	same uri-proxy --key="$URI" --key-passin=file:"$TMP/pinfile"
	same uri-pin --key="$URI;pin-value=1234" --pkcs11-module="$SO"
	fails "URI: wrong PIN" "PIN incorrect" --key="$URI" --pkcs11-module="$SO" --key-passin=pass:0
	fails "URI: no such object" "object=nokey.*object not found" \
		--key="pkcs11:token=mbvtest;object=nokey;type=private" --pkcs11-module="$SO" \
		--key-passin=pass:1234

	# No --key-passin on a terminal: the PIN asked once, echo off.
	mkfifo "$TMP/in"
	exec 3<>"$TMP/in"
	timeout 30 script -qec "'$MBVERITY' sign '$TMP/f' '$TMP/tty.sig' --pkcs11-engine='$ENG' \
		--pkcs11-module='$SO' --pkcs11-keyid=01 --cert='$K/tok.crt'" /dev/null \
		<"$TMP/in" >"$TMP/tty.out" 2>&1 &
	pid=$!
	i=0
	until grep -q 'PIN for 01' "$TMP/tty.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || { kill $pid; fail "no PIN prompt: $(cat "$TMP/tty.out")"; }
		sleep 0.1
	done
	echo 1234 >&3
	wait $pid || fail "PIN typed on a terminal: $(cat "$TMP/tty.out")"
	exec 3>&-
	cmp -s "$TMP/pem.sig" "$TMP/tty.sig" || fail "PIN typed: not the PEM key's signature"
	[ "$(grep -c 'PIN for' "$TMP/tty.out")" = 1 ] || fail "PIN asked twice: $(cat "$TMP/tty.out")"
	if grep -q 1234 "$TMP/tty.out"; then fail "the PIN was echoed"; fi

	# fsverity-utils gives the same bytes from the same token.
	fsverity sign "$TMP/f" "$TMP/fsverity.sig" --pkcs11-engine="$ENG" --pkcs11-module="$SO" \
		--pkcs11-keyid="$URI;pin-value=1234" --cert="$K/tok.crt" >/dev/null </dev/null ||
		fail "fsverity sign --pkcs11-*"
	cmp -s "$TMP/pem.sig" "$TMP/fsverity.sig" || fail "fsverity's token signature differs"

	# enable --image and mkfs take the same options: the stored signature is
	# the PEM key's, and verify --cert accepts it as the kernel would.
	src=$TMP/src
	mkdir "$src"
	cp "$TMP/f" "$src/f"
	mkimg "$TMP/img" 4096 "$src" 8M
	"$MBVERITY" enable --image="$TMP/img" /f $E --pkcs11-keyid=01 --key-passin=pass:1234 \
		--cert="$K/tok.crt" || fail "enable --image with --pkcs11-engine"
	fsck_clean "$TMP/img"
	"$MBVERITY" dump_metadata signature --image="$TMP/img" /f >"$TMP/enable.sig" ||
		fail "dump_metadata signature (enable)"
	cmp -s "$TMP/pem.sig" "$TMP/enable.sig" || fail "enable: the stored signature differs"
	"$MBVERITY" verify --image="$TMP/img" --cert="$K/tok.crt" --require-signatures /f \
		>/dev/null || fail "verify --cert after enable"

	# enable FILE (live): the token's key signs, then the kernel is asked
	# (its refusal where $TMPDIR lacks fs-verity); a wrong PIN stops before.
	cp "$TMP/f" "$TMP/live"
	st=0
	"$MBVERITY" enable "$TMP/live" --key="$URI" --key-passin=pass:1234 --cert="$K/tok.crt" \
		2>"$TMP/err" || st=$?
	[ $st = 0 ] || { [ $st = 1 ] && grep -q "^mbverity: FS_IOC_ENABLE_VERITY failed" "$TMP/err"; } ||
		fail "enable FILE with a URI key: exit $st: $(cat "$TMP/err")"
	expect_fail "enable FILE: wrong PIN" "$MBVERITY" enable "$TMP/f" $E --pkcs11-keyid=01 \
		--key-passin=pass:0 --cert="$K/tok.crt"
	one_line_error "enable FILE: wrong PIN"
	grep -q "PIN incorrect" "$TMP/err" || fail "enable FILE: wrong PIN: $(cat "$TMP/err")"

	mkimg "$TMP/img2" 4096 "$src" 8M
	before=$(sha256sum <"$TMP/img2")
	expect_fail "enable --image: wrong PIN" "$MBVERITY" enable --image="$TMP/img2" /f \
		--key="$URI" --key-passin=pass:0 --cert="$K/tok.crt"
	one_line_error "enable --image: wrong PIN"
	[ "$(sha256sum <"$TMP/img2")" = "$before" ] || fail "enable with a wrong PIN changed the image"
	"$MBVERITY" enable --all --image="$TMP/img2" --key="$URI" --key-passin=pass:1234 \
		--cert="$K/tok.crt" --quiet || fail "enable --all with a URI key"
	"$MBVERITY" dump_metadata signature --image="$TMP/img2" /f >"$TMP/all.sig" ||
		fail "dump_metadata signature (enable --all)"
	cmp -s "$TMP/pem.sig" "$TMP/all.sig" || fail "enable --all: the stored signature differs"

	for route in uri engine; do
		if [ $route = uri ]; then
			set -- --key="$URI" --key-passin=pass:1234
		else
			set -- --pkcs11-engine="$ENG" --pkcs11-module="$SO" --pkcs11-keyid=01 \
				--key-passin=pass:1234
		fi
		"$MBVERITY" mkfs -d "$src" "$TMP/mk-$route" --cert="$K/tok.crt" --quiet "$@" ||
			fail "mkfs with the $route key"
		fsck_clean "$TMP/mk-$route"
		"$MBVERITY" dump_metadata signature --image="$TMP/mk-$route" /f >"$TMP/mk.sig" ||
			fail "dump_metadata signature (mkfs, $route)"
		cmp -s "$TMP/pem.sig" "$TMP/mk.sig" || fail "mkfs ($route): the stored signature differs"
		"$MBVERITY" verify --image="$TMP/mk-$route" --cert="$K/tok.crt" --require-signatures \
			>/dev/null || fail "verify --cert after mkfs ($route)"
	done
	expect_fail "mkfs: wrong key id" "$MBVERITY" mkfs -d "$src" "$TMP/mk-bad" --cert="$K/tok.crt" \
		--pkcs11-engine="$ENG" --pkcs11-module="$SO" --pkcs11-keyid=02 --key-passin=pass:1234
	one_line_error "mkfs: wrong key id"
	grep -q "object not found" "$TMP/err" || fail "mkfs: wrong key id: $(cat "$TMP/err")"
else
	# Without ENGINE, no route reaches the token on Debian 12: say so, once.
	fails "no ENGINE: --pkcs11-engine" "no ENGINE support" --pkcs11-engine="$ENG" \
		--pkcs11-module="$SO" --pkcs11-keyid=01 --key-passin=pass:1234
	fails "no ENGINE: URI" "no OpenSSL store serves it" --key="$URI" --key-passin=pass:1234
	echo "SKIP part: this build has no ENGINE support; only its refusals were tested"
fi

# Usage errors, before any key is touched.
for args in "--pkcs11-engine=$ENG" "--pkcs11-module=$SO" "--pkcs11-keyid=01" \
	"--key=$K/tok.key --pkcs11-engine=$ENG --pkcs11-module=$SO" \
	"--pkcs11-engine=$ENG --pkcs11-engine=$ENG --pkcs11-module=$SO"; do
	st=0
	# shellcheck disable=SC2086
	"$MBVERITY" sign "$TMP/f" "$TMP/no.sig" --cert="$K/tok.crt" $args 2>"$TMP/err" || st=$?
	[ $st = 2 ] || fail "sign $args: exit $st, not a usage error"
	grep -q "^mbverity: .*pkcs11\|^mbverity: .*given twice" "$TMP/err" || fail "sign $args: $(cat "$TMP/err")"
done
echo "PKCS#11 keys ok"
