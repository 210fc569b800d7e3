#!/bin/sh
# SPDX-License-Identifier: MIT
# Signatures inside ext4 images: enable --signature, dump_metadata signature,
# verify --cert / --require-signatures, as the kernel would judge them.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need openssl

K=$TMP/keys
mkdir "$K"
for spec in rsa2048:rsa:2048 ec256:ec other:rsa:2048; do
	name=${spec%%:*}
	newkey=${spec#*:}
	# shellcheck disable=SC2086
	openssl req -x509 -newkey "$newkey" $([ "$newkey" = ec ] && echo -pkeyopt ec_paramgen_curve:P-256) \
		-nodes -keyout "$K/$name.key" -out "$K/$name.crt" -subj /CN=test -days 1 2>/dev/null ||
		fail "openssl req $name"
done

src=$TMP/src
mkdir -p "$src"
head -c 3145851 /dev/urandom >"$src/a"
head -c 65537 /dev/urandom >"$src/b"
head -c 4000 /dev/urandom >"$src/c"
: >"$src/e"
img=$TMP/img
mkimg "$img" 4096 "$src" 16M

# Signatures made outside the image: ours (RSA) and fsverity's (ECDSA, SHA-512, salt).
"$MBVERITY" sign "$src/a" "$TMP/a.sig" --key="$K/rsa2048.key" --cert="$K/rsa2048.crt" >/dev/null ||
	fail "sign a"
fsverity sign "$src/b" "$TMP/b.sig" --key="$K/ec256.key" --cert="$K/ec256.crt" \
	--hash-alg=sha512 --block-size=1024 --salt=0102 >/dev/null || fail "fsverity sign b"
"$MBVERITY" sign "$src/e" "$TMP/e.sig" --key="$K/ec256.key" --cert="$K/ec256.crt" >/dev/null ||
	fail "sign e"
"$MBVERITY" enable --image="$img" /a --signature="$TMP/a.sig" || fail "enable a with a signature"
"$MBVERITY" enable --image="$img" /b --signature="$TMP/b.sig" --hash-alg=sha512 --block-size=1024 \
	--salt=0102 || fail "enable b with a signature"
"$MBVERITY" enable --image="$img" /e --signature="$TMP/e.sig" || fail "enable e with a signature"
"$MBVERITY" enable --image="$img" /c || fail "enable c unsigned"
fsck_clean "$img"

# The stored signature is the signature file, byte for byte.
for f in a b e; do
	"$MBVERITY" dump_metadata signature --image="$img" /$f >"$TMP/$f.dump" || fail "dump_metadata $f"
	cmp "$TMP/$f.sig" "$TMP/$f.dump" || fail "stored signature of /$f differs"
done

# verify --cert: each signed file against its own certificate.
"$MBVERITY" verify --cert="$K/rsa2048.crt" --image="$img" /a /c >"$TMP/out" || fail "verify --cert a"
[ "$(grep -c '^ok ' "$TMP/out")" -eq 2 ] || fail "verify --cert a c: $(cat "$TMP/out")"
"$MBVERITY" verify --cert="$K/ec256.crt" --image="$img" /b /e >/dev/null || fail "verify --cert b e"

# A wrong certificate, as a kernel without the signer's key: refused, named.
before=$(sha256sum <"$img")
expect_fail "wrong cert" "$MBVERITY" verify --cert="$K/other.crt" --image="$img" /a
one_line_error "wrong cert"
grep -q "img: /a: bad signature: .*other.crt" "$TMP/err" || fail "wrong cert: $(cat "$TMP/err")"
expect_fail "rsa cert for ec signature" "$MBVERITY" verify --cert="$K/rsa2048.crt" --image="$img" /b
# All verity files at once: the ones signed by another key fail, /a and /c pass.
expect_fail "verify all, rsa cert" "$MBVERITY" verify --cert="$K/rsa2048.crt" --image="$img"
grep -q ': /b: bad signature' "$TMP/err" && grep -q ': /e: bad signature' "$TMP/err" ||
	fail "verify all: $(cat "$TMP/err")"
[ "$(grep -c '^ok ' "$TMP/out")" -eq 2 ] || fail "verify all: $(cat "$TMP/out")"
expect_fail "missing cert" "$MBVERITY" verify --cert="$K/nonexistent.crt" --image="$img" /a
grep -q nonexistent.crt "$TMP/err" || fail "missing cert: $(cat "$TMP/err")"
[ "$(sha256sum <"$img")" = "$before" ] || fail "verify changed the image"

# --require-signatures: the unsigned /c fails, signed files pass.
expect_fail "unsigned with --require-signatures" \
	"$MBVERITY" verify --cert="$K/rsa2048.crt" --require-signatures --image="$img" /a /c
one_line_error "unsigned with --require-signatures"
grep -q ': /c: no signature' "$TMP/err" || fail "require-signatures: $(cat "$TMP/err")"
"$MBVERITY" verify --cert="$K/rsa2048.crt" --require-signatures --image="$img" /a >/dev/null ||
	fail "require-signatures on a signed file"

# A flipped signature byte in the image: the data is sound, the signature is not.
sig_size=$(wc -c <"$TMP/a.sig")
a_desc=$(pblk "$img" /a 792)
i=0
for off in 0 30 100 $((sig_size - 1)); do
	cp "$img" "$TMP/flip.img"
	flip "$TMP/flip.img" $((a_desc * 4096 + 256 + off))
	expect_fail "flipped signature byte $off" "$MBVERITY" verify --cert="$K/rsa2048.crt" \
		--image="$TMP/flip.img" /a
	grep -q ': /a: bad signature: ' "$TMP/err" || fail "flipped byte $off: $(cat "$TMP/err")"
	# Without --cert only a malformed signature fails: the first byte's flip
	# is the ContentInfo's tag; the last is inside the RSA value.
	case $off in
	0)
		expect_fail "flipped first byte, no --cert" "$MBVERITY" verify --image="$TMP/flip.img" /a
		grep -q ': /a: bad signature: malformed signature' "$TMP/err" ||
			fail "flipped first byte, no --cert: $(cat "$TMP/err")"
		;;
	$((sig_size - 1)))
		"$MBVERITY" verify --image="$TMP/flip.img" /a >"$TMP/out" ||
			fail "verify without --cert checks the signature's key"
		grep -q '^signed, not checked sha256:' "$TMP/out" || fail "not 'signed, not checked': $(cat "$TMP/out")"
		;;
	esac
	i=$((i + 1))
done

# enable --key --cert: sign while enabling; RSA gives what `sign` gives.
if "$MBVERITY" enable --help | grep -q -- --key; then
	img2=$TMP/img2
	mkimg "$img2" 4096 "$src" 16M
	"$MBVERITY" enable --image="$img2" /a --key="$K/rsa2048.key" --cert="$K/rsa2048.crt" ||
		fail "enable --key a"
	"$MBVERITY" enable --image="$img2" /b /e --key="$K/ec256.key" --cert="$K/ec256.crt" \
		--hash-alg=sha512 || fail "enable --key b e"
	fsck_clean "$img2"
	"$MBVERITY" dump_metadata signature --image="$img2" /a | cmp - "$TMP/a.sig" ||
		fail "enable --key: stored signature differs from mbverity sign's"
	"$MBVERITY" verify --cert="$K/rsa2048.crt" --require-signatures --image="$img2" /a >/dev/null ||
		fail "verify after enable --key a"
	"$MBVERITY" verify --cert="$K/ec256.crt" --require-signatures --image="$img2" /b /e >/dev/null ||
		fail "verify after enable --key b e"
	# The ECDSA signature also verifies with openssl over the formatted digest.
	"$MBVERITY" dump_metadata signature --image="$img2" /b >"$TMP/b2.sig"
	perl -e 'print pack("H*", $ARGV[0])' \
		"$("$MBVERITY" digest --for-builtin-sig --compact --hash-alg=sha512 "$src/b")" >"$TMP/b.fd"
	openssl_accepts smime "$TMP/b2.sig" "$TMP/b.fd" "$K/ec256.crt" ||
		fail "openssl rejects the signature enable --key stored"

	# Bad keys leave the image exactly as it was.
	img3=$TMP/img3
	mkimg "$img3" 4096 "$src" 16M
	refuse "enable, key not matching cert" "$img3" "does not match" \
		"$MBVERITY" enable --image="$img3" /a /c --key="$K/rsa2048.key" --cert="$K/other.crt"
	printf 'not a key\n' >"$K/garbage.pem"
	refuse "enable, malformed key" "$img3" "garbage.pem" \
		"$MBVERITY" enable --image="$img3" /a /c --key="$K/garbage.pem" --cert="$K/rsa2048.crt"
	openssl pkcs8 -topk8 -in "$K/rsa2048.key" -passout pass:x -out "$K/enc.key"
	refuse "enable, encrypted key" "$img3" "encrypted" \
		"$MBVERITY" enable --image="$img3" /c --key="$K/enc.key" --cert="$K/rsa2048.crt"
	before=$(sha256sum <"$img3")
	expect_fail "enable, --key and --signature" "$MBVERITY" enable --image="$img3" /a \
		--key="$K/rsa2048.key" --cert="$K/rsa2048.crt" --signature="$TMP/a.sig"
	expect_fail "enable, --key without --cert" "$MBVERITY" enable --image="$img3" /a \
		--key="$K/rsa2048.key"
	[ "$(sha256sum <"$img3")" = "$before" ] || fail "usage errors changed the image"
	fsck_clean "$img3"
	for f in a c; do
		if has_verity "$img3" /$f; then
			fail "/$f got verity after a refusal"
		fi
	done

	# enable --all --key: every file signed, all verify with --require-signatures.
	"$MBVERITY" enable --all "$img3" --key="$K/ec256.key" --cert="$K/ec256.crt" --quiet ||
		fail "enable --all --key"
	fsck_clean "$img3"
	"$MBVERITY" verify --cert="$K/ec256.crt" --require-signatures --image="$img3" >"$TMP/out" ||
		fail "verify after enable --all --key: $(cat "$TMP/err")"
	[ "$(grep -c '^ok ' "$TMP/out")" -eq 4 ] || fail "enable --all --key: $(cat "$TMP/out")"
else
	fail "enable has no --key option"
fi
echo "signatures in ext4 images ok"
