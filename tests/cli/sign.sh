#!/bin/sh
# SPDX-License-Identifier: MIT
# mbverity sign against `fsverity sign` and `openssl smime/cms -verify`, and every bad input.
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity openssl perl timeout script

K=$TMP/keys
mkdir "$K"
# pair NAME NEWKEY [EXTRA...]: a self-signed key and certificate.
pair() {
	name=$1 newkey=$2
	shift 2
	openssl req -x509 -newkey "$newkey" -nodes -keyout "$K/$name.key" \
		-out "$K/$name.crt" -subj /CN=test -days 1 "$@" 2>/dev/null ||
		fail "openssl req for $name"
}
pair rsa2048 rsa:2048
pair rsa4096 rsa:4096
pair ec256 ec -pkeyopt ec_paramgen_curve:P-256
pair other rsa:2048
openssl pkcs8 -topk8 -in "$K/rsa2048.key" -passout pass:secret -out "$K/enc.key" ||
	fail "openssl pkcs8"
cat "$K/rsa2048.key" "$K/rsa2048.crt" >"$K/both.pem"
printf -- '-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n' >"$K/garbage.pem"

# Hex to bytes.
unhex() {
	perl -e 'print pack("H*", $ARGV[0])' "$1"
}

: >"$TMP/empty"
printf x >"$TMP/one"
head -c 100000 /dev/urandom >"$TMP/rand"
head -c 1048583 /dev/urandom >"$TMP/big"

for f in empty one rand big; do
	for opts in "" "--hash-alg=sha512" "--hash-alg=sha512 --block-size=1024 --salt=00112233" \
		"--block-size=65536 --salt=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
		"--block-size=1024 --salt=ff"; do
		in=$TMP/$f
		# RSA: deterministic, so byte-identical signatures, trees, descriptors, stdout.
		for k in rsa2048 rsa4096; do
			# shellcheck disable=SC2086
			fsverity sign "$in" "$TMP/ref.sig" --key="$K/$k.key" --cert="$K/$k.crt" $opts \
				--out-merkle-tree="$TMP/ref.tree" --out-descriptor="$TMP/ref.desc" \
				>"$TMP/ref.out" || fail "fsverity sign $f $opts"
			# shellcheck disable=SC2086
			"$MBVERITY" sign "$in" "$TMP/got.sig" --key="$K/$k.key" --cert="$K/$k.crt" $opts \
				--out-merkle-tree="$TMP/got.tree" --out-descriptor="$TMP/got.desc" \
				>"$TMP/got.out" || fail "mbverity sign $f $opts ($k)"
			cmp "$TMP/ref.sig" "$TMP/got.sig" || fail "$k signature of $f $opts differs"
			cmp "$TMP/ref.tree" "$TMP/got.tree" || fail "tree of $f $opts differs"
			cmp "$TMP/ref.desc" "$TMP/got.desc" || fail "descriptor of $f $opts differs"
			sed "s|$TMP/ref|$TMP/got|" "$TMP/ref.out" | cmp - "$TMP/got.out" ||
				fail "output of sign $f $opts differs: $(cat "$TMP/got.out")"
		done

		# ECDSA: randomized; each tool's signature verifies with openssl
		# given the formatted digest as detached content.
		# shellcheck disable=SC2086
		unhex "$("$MBVERITY" digest --for-builtin-sig --compact $opts "$in")" >"$TMP/fd"
		# shellcheck disable=SC2086
		fsverity sign "$in" "$TMP/ref.sig" --key="$K/ec256.key" --cert="$K/ec256.crt" $opts \
			>/dev/null || fail "fsverity sign ec $f $opts"
		# shellcheck disable=SC2086
		"$MBVERITY" sign "$in" "$TMP/got.sig" --key="$K/ec256.key" --cert="$K/ec256.crt" $opts \
			>/dev/null || fail "mbverity sign ec $f $opts"
		for s in ref got; do
			for tool in smime cms; do
				openssl_accepts $tool "$TMP/$s.sig" "$TMP/fd" "$K/ec256.crt" ||
					fail "openssl $tool rejects the $s ECDSA signature of $f $opts"
			done
			# ... and the check is real: another certificate fails.
			if openssl_accepts smime "$TMP/$s.sig" "$TMP/fd" "$K/other.crt"; then
				fail "openssl smime accepts the $s signature with the wrong certificate"
			fi
		done
	done
done

# --cert defaults to the key file, as in fsverity.
fsverity sign "$TMP/rand" "$TMP/ref.sig" --key="$K/both.pem" >/dev/null
"$MBVERITY" sign "$TMP/rand" "$TMP/got.sig" --key="$K/both.pem" >/dev/null ||
	fail "sign with a combined PEM"
cmp "$TMP/ref.sig" "$TMP/got.sig" || fail "combined-PEM signature differs"
"$MBVERITY" sign --help | grep -q -- --cert || fail "sign --help"
"$MBVERITY" --help | grep -q sign || fail "--help does not list sign"

# Bad input: a one-line error, non-zero exit, and no file written or replaced.
echo old >"$TMP/keep.sig"
# bad DESCRIPTION ERROR-PATTERN ARGS...: mbverity sign ARGS must fail naming the cause.
bad() {
	desc=$1 pattern=$2
	shift 2
	expect_fail "$desc" "$MBVERITY" sign "$@"
	[ "$(wc -l <"$TMP/err")" -eq 1 ] || [ "$pattern" = usage ] ||
		fail "$desc: error is not one line: $(cat "$TMP/err")"
	grep -q -- "$pattern" "$TMP/err" || fail "$desc: error lacks '$pattern': $(cat "$TMP/err")"
	[ "$(cat "$TMP/keep.sig")" = old ] || fail "$desc: signature file replaced"
	[ ! -e "$TMP/new.sig" ] || fail "$desc: signature file written"
	[ ! -e "$TMP/new.tree" ] && [ ! -e "$TMP/new.desc" ] || fail "$desc: --out-* written"
	[ -z "$(find "$TMP" -name '*.tmp.*')" ] || fail "$desc: temporary files left behind"
}
for out in keep new; do
	bad "key not matching cert" "does not match" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/rsa2048.key" --cert="$K/other.crt" \
		--out-merkle-tree="$TMP/new.tree" --out-descriptor="$TMP/new.desc"
	bad "ec key, rsa cert" "does not match" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/ec256.key" --cert="$K/rsa2048.crt"
	bad "malformed key" "garbage.pem" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/garbage.pem" --cert="$K/rsa2048.crt"
	bad "malformed cert" "garbage.pem" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/rsa2048.key" --cert="$K/garbage.pem"
	bad "cert file holds a key" "rsa2048.key" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/rsa2048.key" --cert="$K/rsa2048.key"
	bad "missing key" "nokey.pem" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/nokey.pem" --cert="$K/rsa2048.crt"
	bad "missing cert" "nocert.pem" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/rsa2048.key" --cert="$K/nocert.pem"
	bad "encrypted key" "encrypted" "$TMP/rand" "$TMP/$out.sig" \
		--key="$K/enc.key" --cert="$K/rsa2048.crt" </dev/null
	bad "missing input" "nonexistent" "$TMP/nonexistent" "$TMP/$out.sig" \
		--key="$K/rsa2048.key" --cert="$K/rsa2048.crt" \
		--out-merkle-tree="$TMP/new.tree" --out-descriptor="$TMP/new.desc"
	bad "no --key" usage "$TMP/rand" "$TMP/$out.sig"
	bad "bad block size" "block size" "$TMP/rand" "$TMP/$out.sig" --key="$K/rsa2048.key" \
		--block-size=3000
done
bad "no SIGFILE" usage "$TMP/rand" --key="$K/both.pem"
bad "SIGFILE in a missing directory" "nodir" "$TMP/rand" "$TMP/nodir/x.sig" \
	--key="$K/both.pem"

# The encrypted key on a terminal: one prompt; at end of input a clean
# failure, no signature (tests/cli/sign_passin.sh types the passphrase).
timeout 20 script -qec "'$MBVERITY' sign '$TMP/rand' '$TMP/new.sig' --key='$K/enc.key' \
	--cert='$K/rsa2048.crt'" /dev/null </dev/null >"$TMP/tty.out" 2>&1 && fail "encrypted key on a tty signed"
grep -q "^Passphrase.*mbverity: .*encrypted" "$TMP/tty.out" || fail "encrypted key on a tty: $(cat "$TMP/tty.out")"
[ "$(grep -c Passphrase "$TMP/tty.out")" = 1 ] || fail "prompted more than once: $(cat "$TMP/tty.out")"
[ ! -e "$TMP/new.sig" ] || fail "encrypted key on a tty: signature written"

# A certificate whose issuer name makes the signature exceed 16128 bytes.
subj=/CN=test
i=0
while [ $i -lt 280 ]; do
	subj="$subj/O=$(printf 'o%063d' $i)"
	i=$((i + 1))
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/bigname.key" \
	-out "$K/bigname.crt" -subj "$subj" -days 1 2>/dev/null || fail "openssl req bigname"
bad "signature over 16128 bytes" 16128 "$TMP/rand" "$TMP/keep.sig" \
	--key="$K/bigname.key" --cert="$K/bigname.crt"
echo "sign CLI ok"
