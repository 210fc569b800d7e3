#!/bin/sh
# SPDX-License-Identifier: MIT
# Encrypted keys: --key-passin in OpenSSL's forms (pass:, env:, file:, fd:,
# stdin) and the prompt on a terminal, for PEM (PKCS#8 and traditional) and
# DER keys; each gives the plain key's signature byte for byte; a wrong or
# missing passphrase fails with one line and writes nothing.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need openssl script timeout mke2fs

K=$TMP/keys
mkdir "$K"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/k.key" -out "$K/k.crt" -subj /CN=test \
	-days 1 2>/dev/null || fail "openssl req"
openssl pkcs8 -topk8 -in "$K/k.key" -passout pass:secret -out "$K/p8.pem" || fail "pkcs8 PEM"
openssl pkcs8 -topk8 -in "$K/k.key" -passout pass:secret -outform DER -out "$K/p8.der" ||
	fail "pkcs8 DER"
openssl rsa -in "$K/k.key" -aes256 -passout pass:secret -traditional -out "$K/trad.pem" \
	2>/dev/null || fail "traditional encrypted PEM"
openssl pkcs8 -topk8 -in "$K/k.key" -nocrypt -outform DER -out "$K/plain.der" || fail "DER"
grep -q ENCRYPTED "$K/p8.pem" || fail "p8.pem is not encrypted"
grep -q 'Proc-Type: 4,ENCRYPTED' "$K/trad.pem" || fail "trad.pem is not encrypted"

head -c 123457 /dev/urandom >"$TMP/f"
"$MBVERITY" sign "$TMP/f" "$TMP/plain.sig" --key="$K/k.key" --cert="$K/k.crt" >/dev/null ||
	fail "sign with the plain key"

same() {
	_n=$1
	shift
	rm -f "$TMP/x.sig"
	"$MBVERITY" sign "$TMP/f" "$TMP/x.sig" --cert="$K/k.crt" "$@" >/dev/null 2>"$TMP/err" ||
		fail "$_n: $(cat "$TMP/err")"
	cmp -s "$TMP/plain.sig" "$TMP/x.sig" || fail "$_n: not the plain key's signature"
}
fails() {
	_n=$1 _pat=$2
	shift 2
	expect_fail "$_n" "$MBVERITY" sign "$TMP/f" "$TMP/no.sig" --cert="$K/k.crt" "$@"
	one_line_error "$_n"
	grep -q -- "$_pat" "$TMP/err" || fail "$_n: $(cat "$TMP/err")"
	[ ! -e "$TMP/no.sig" ] || fail "$_n: a signature was written"
}

same "plain DER" --key="$K/plain.der"
printf 'secret\nnot this line\n' >"$TMP/pw"
printf 'wrong\n' >"$TMP/badpw"
for key in p8.pem p8.der trad.pem; do
	same "$key pass:" --key="$K/$key" --key-passin=pass:secret
	MBV_PW=secret same "$key env:" --key="$K/$key" --key-passin=env:MBV_PW
	same "$key file:" --key="$K/$key" --key-passin=file:"$TMP/pw"
	same "$key fd:" --key="$K/$key" --key-passin=fd:5 5<"$TMP/pw"
	same "$key stdin" --key="$K/$key" --key-passin=stdin <"$TMP/pw"
	fails "$key: wrong pass:" "$key': wrong passphrase" --key="$K/$key" --key-passin=pass:wrong
	fails "$key: wrong file:" "wrong passphrase" --key="$K/$key" --key-passin=file:"$TMP/badpw"
	fails "$key: no passphrase, no terminal" "encrypted.*--key-passin" --key="$K/$key" </dev/null
done
# A file: URI goes through OSSL_STORE, with the passphrase from --key-passin.
same "file: URI, encrypted" --key="file:$K/p8.pem" --key-passin=pass:secret
same "file: URI, plain" --key="file:$K/k.key"
fails "file: URI, wrong passphrase" "wrong passphrase" --key="file:$K/p8.pem" --key-passin=pass:x
fails "file: URI, no such file" "nofile" --key="file:$K/nofile.pem"
expect_fail "URI without --cert" "$MBVERITY" sign "$TMP/f" "$TMP/no.sig" --key="file:$K/k.key"
one_line_error "URI without --cert"
grep -q "cert" "$TMP/err" || fail "URI without --cert: $(cat "$TMP/err")"
fails "unknown URI scheme" "nosuchscheme:x" --key="nosuchscheme:x"
# An unencrypted key ignores a passphrase, as openssl does.
same "plain key, a passphrase given" --key="$K/k.key" --key-passin=pass:secret

fails "passin without a form" "expected pass:, env:, file:, fd: or stdin" --key="$K/p8.pem" \
	--key-passin=secret
if grep -q secret "$TMP/err"; then fail "a bare passphrase was echoed: $(cat "$TMP/err")"; fi
fails "env: unset" "MBV_UNSET_VAR.*no such environment variable" --key="$K/p8.pem" \
	--key-passin=env:MBV_UNSET_VAR
fails "file: missing" "nofile" --key="$K/p8.pem" --key-passin=file:"$TMP/nofile"
fails "fd: not a number" "not a file descriptor" --key="$K/p8.pem" --key-passin=fd:x
fails "fd: closed" "fd:7" --key="$K/p8.pem" --key-passin=fd:7
st=0
"$MBVERITY" sign "$TMP/f" "$TMP/no.sig" --key="$K/p8.pem" --cert="$K/k.crt" --key-passin=pass:a \
	--key-passin=pass:b 2>"$TMP/err" || st=$?
[ $st = 2 ] && grep -q "key-passin given twice" "$TMP/err" || fail "--key-passin twice: $st $(cat "$TMP/err")"

# enable --image and mkfs take it too: the stored signature is the plain key's.
src=$TMP/src
mkdir "$src"
cp "$TMP/f" "$src/f"
mkimg "$TMP/img" 4096 "$src" 8M
before=$(sha256sum <"$TMP/img")
expect_fail "enable: wrong passphrase" "$MBVERITY" enable --image="$TMP/img" /f \
	--key="$K/p8.pem" --cert="$K/k.crt" --key-passin=pass:wrong
one_line_error "enable: wrong passphrase"
[ "$(sha256sum <"$TMP/img")" = "$before" ] || fail "a wrong passphrase changed the image"
MBV_PW2=secret "$MBVERITY" enable --image="$TMP/img" /f --key="$K/p8.pem" --cert="$K/k.crt" \
	--key-passin=env:MBV_PW2 || fail "enable --image with --key-passin"
"$MBVERITY" dump_metadata signature --image="$TMP/img" /f >"$TMP/enable.sig" || fail "dump (enable)"
cmp -s "$TMP/plain.sig" "$TMP/enable.sig" || fail "enable: the stored signature differs"
"$MBVERITY" mkfs -d "$src" "$TMP/mk" --key="$K/trad.pem" --cert="$K/k.crt" \
	--key-passin=file:"$TMP/pw" --quiet || fail "mkfs with --key-passin"
fsck_clean "$TMP/mk"
"$MBVERITY" dump_metadata signature --image="$TMP/mk" /f >"$TMP/mk.sig" || fail "dump (mkfs)"
cmp -s "$TMP/plain.sig" "$TMP/mk.sig" || fail "mkfs: the stored signature differs"
"$MBVERITY" verify --image="$TMP/mk" --cert="$K/k.crt" --require-signatures >/dev/null ||
	fail "verify --cert after mkfs"

# enable FILE (a live file): the passphrase unlocks the key, then the
# kernel is asked (here $TMPDIR may lack fs-verity: its refusal, not the
# key's); a wrong one fails before the ioctl.
cp "$TMP/f" "$TMP/live"
st=0
"$MBVERITY" enable "$TMP/live" --key="$K/p8.pem" --cert="$K/k.crt" --key-passin=pass:secret \
	2>"$TMP/err" || st=$?
[ $st = 0 ] || { [ $st = 1 ] && grep -q "^mbverity: FS_IOC_ENABLE_VERITY failed" "$TMP/err"; } ||
	fail "enable FILE --key-passin: exit $st: $(cat "$TMP/err")"
expect_fail "enable FILE, wrong passphrase" "$MBVERITY" enable "$TMP/f" --key="$K/p8.pem" \
	--cert="$K/k.crt" --key-passin=pass:wrong
one_line_error "enable FILE, wrong passphrase"
grep -q "wrong passphrase" "$TMP/err" || fail "enable FILE, wrong: $(cat "$TMP/err")"

# The prompt on a terminal: asked once, echo off, the typed passphrase used.
# The answer goes in only once the question is out (a fifo held open).
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
# prompt ANSWER: run sign under a pty, type ANSWER after the prompt; status in $st.
prompt() {
	rm -f "$TMP/x.sig" "$TMP/tty.out"
	timeout 30 script -qec "'$MBVERITY' sign '$TMP/f' '$TMP/x.sig' --key='$K/p8.pem' \
		--cert='$K/k.crt'" /dev/null <"$TMP/in" >"$TMP/tty.out" 2>&1 &
	_pid=$!
	_i=0
	until grep -q 'Passphrase' "$TMP/tty.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || { kill $_pid; fail "no prompt on a terminal: $(cat "$TMP/tty.out")"; }
		sleep 0.1
	done
	printf '%s\n' "$1" >&3
	st=0
	wait $_pid || st=$?
}
prompt secret
[ $st = 0 ] || fail "prompt: exit $st: $(cat "$TMP/tty.out")"
cmp -s "$TMP/plain.sig" "$TMP/x.sig" || fail "prompt: not the plain key's signature"
[ "$(grep -c 'Passphrase' "$TMP/tty.out")" = 1 ] || fail "prompt: not asked once: $(cat "$TMP/tty.out")"
if grep -q secret "$TMP/tty.out"; then fail "prompt: the passphrase was echoed"; fi
prompt wrong
[ $st = 1 ] || fail "prompt, wrong passphrase: exit $st: $(cat "$TMP/tty.out")"
grep -q "^mbverity: .*wrong passphrase" "$TMP/tty.out" || fail "prompt, wrong: $(cat "$TMP/tty.out")"
[ "$(grep -c 'Passphrase' "$TMP/tty.out")" = 1 ] || fail "prompt, wrong: asked again"
[ ! -e "$TMP/x.sig" ] || fail "prompt, wrong: a signature was written"
# --key-passin on a terminal: no prompt.
timeout 30 script -qec "'$MBVERITY' sign '$TMP/f' '$TMP/x.sig' --key='$K/p8.pem' \
	--cert='$K/k.crt' --key-passin=pass:secret" /dev/null </dev/null >"$TMP/tty.out" 2>&1 ||
	fail "--key-passin on a terminal: $(cat "$TMP/tty.out")"
if grep -q Passphrase "$TMP/tty.out"; then fail "--key-passin given, still prompted"; fi
exec 3>&-
echo "passphrases ok"
