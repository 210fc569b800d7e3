#!/bin/sh
# SPDX-License-Identifier: MIT
# Signatures the kernel would refuse at every open are refused before enable
# writes anything (the image stays byte-identical); with --cert, a signature
# of another file too.  verify without --cert says "signed, not checked" and
# fails on a malformed stored signature.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ext4/lib.sh"
need openssl

K=$TMP/keys
mkdir "$K"
for spec in rsa2048:rsa:2048 ec256:ec other:rsa:2048; do
	name=${spec%%:*}
	newkey=${spec#*:}
	# shellcheck disable=SC2046
	openssl req -x509 -newkey "$newkey" $([ "$newkey" = ec ] && echo -pkeyopt ec_paramgen_curve:P-256) \
		-nodes -keyout "$K/$name.key" -out "$K/$name.crt" -subj /CN=test -days 1 2>/dev/null ||
		fail "openssl req $name"
done

src=$TMP/src
mkdir -p "$src"
head -c 70000 /dev/urandom >"$src/a"
head -c 5000 /dev/urandom >"$src/b"
head -c 3000 /dev/urandom >"$src/c"
img=$TMP/img
mkimg "$img" 4096 "$src" 8M

rsa="--key=$K/rsa2048.key --cert=$K/rsa2048.crt"
# shellcheck disable=SC2086
"$MBVERITY" sign "$src/a" "$TMP/a.sig" $rsa >/dev/null || fail "sign a"
# shellcheck disable=SC2086
"$MBVERITY" sign "$src/b" "$TMP/b.sig" $rsa >/dev/null || fail "sign b"
# shellcheck disable=SC2086
"$MBVERITY" sign "$src/a" "$TMP/a512.sig" $rsa --hash-alg=sha512 >/dev/null || fail "sign a sha512"
fsverity sign "$src/a" "$TMP/a.ec.sig" --key="$K/ec256.key" --cert="$K/ec256.crt" >/dev/null ||
	fail "fsverity sign a"
head -c 100 /dev/urandom >"$TMP/random.sig"
size=$(wc -c <"$TMP/a.sig")
head -c $((size - 1)) "$TMP/a.sig" >"$TMP/truncated.sig"
{ cat "$TMP/a.sig"; printf 'garbage'; } >"$TMP/trailing.sig"
# a's formatted digest, signed by openssl smime/cms in the forms the kernel refuses.
perl -e 'print pack("H*", $ARGV[0])' \
	"$("$MBVERITY" digest --for-builtin-sig --compact "$src/a")" >"$TMP/a.fd"
smime() {
	out=$1
	shift
	openssl "$@" -sign -binary -outform DER -md sha256 -in "$TMP/a.fd" \
		-signer "$K/rsa2048.crt" -inkey "$K/rsa2048.key" -out "$TMP/$out" ||
		fail "openssl $* for $out"
}
smime smimecap.sig smime
smime embedded.sig smime -noattr -nocerts -nodetach
smime keyid.sig cms -noattr -nocerts -keyid
smime ber.sig cms -noattr -nocerts -stream
smime attrs.sig smime -nosmimecap

# refuse_sig DESCRIPTION PATTERN ENABLE-ARGS...: enable /a fails with one line
# naming the image, /a and PATTERN; the image is byte-identical after.
refuse_sig() {
	_d=$1 _p=$2
	shift 2
	cp "$img" "$TMP/before.img"
	refuse "$_d" "$img" "$_p" "$MBVERITY" enable --image="$img" /a "$@"
	grep -q "^mbverity: $img: /a: " "$TMP/err" || fail "$_d: does not name image and file: $(cat "$TMP/err")"
	cmp -s "$img" "$TMP/before.img" || fail "$_d: the image changed"
}

refuse_sig "100 random bytes" "signature file '$TMP/random.sig' refused: malformed signature: " \
	--signature="$TMP/random.sig"
refuse_sig "truncated" "refused: malformed signature: .* is cut short" --signature="$TMP/truncated.sig"
refuse_sig "trailing garbage" "7 bytes of trailing data" --signature="$TMP/trailing.sig"
refuse_sig "smime with smimeCapabilities" "attribute smimeCapabilities" --signature="$TMP/smimecap.sig"
refuse_sig "content embedded" "content is embedded, not detached" --signature="$TMP/embedded.sig"
refuse_sig "signer by key identifier" "subject key identifier" --signature="$TMP/keyid.sig"
refuse_sig "BER" "indefinite length (BER, not DER)" --signature="$TMP/ber.sig"
refuse_sig "SHA-512 signature, SHA-256 file" "the file's hash is sha256" --signature="$TMP/a512.sig"
# With --cert, the signature is checked against the file's digest first.
refuse_sig "another file's signature, --cert" "signature does not verify with certificate" \
	--signature="$TMP/b.sig" --cert="$K/rsa2048.crt"
refuse_sig "another signer, --cert" "is not by certificate '$K/other.crt'" \
	--signature="$TMP/a.sig" --cert="$K/other.crt"
refuse_sig "EC signature, RSA cert" "not by certificate" \
	--signature="$TMP/a.ec.sig" --cert="$K/rsa2048.crt"
cp "$img" "$TMP/before.img"
expect_fail "missing cert" "$MBVERITY" enable --image="$img" /a --signature="$TMP/a.sig" --cert="$K/missing.crt"
one_line_error "missing cert"
grep -q "missing.crt" "$TMP/err" || fail "missing cert: $(cat "$TMP/err")"
st=0
"$MBVERITY" enable --image="$img" /a --cert="$K/rsa2048.crt" >/dev/null 2>&1 || st=$?
[ "$st" -eq 2 ] || fail "--cert alone: exit $st, not a usage error"
cmp -s "$img" "$TMP/before.img" || fail "the image changed"
has_verity "$img" /a && fail "/a got verity after the refusals"
fsck_clean "$img"

# Well-formed signatures are stored as they are: fsverity's and ours, with
# --cert; with attributes as the kernel takes them; and, without --cert,
# another file's (nothing can tell then; verify says so).
"$MBVERITY" enable --image="$img" /a --signature="$TMP/a.sig" --cert="$K/rsa2048.crt" ||
	fail "enable a --signature --cert"
"$MBVERITY" dump_metadata signature --image="$img" /a | cmp -s - "$TMP/a.sig" || fail "stored signature of /a"
"$MBVERITY" enable --image="$img" /b --signature="$TMP/a.sig" || fail "enable b with a's signature"
"$MBVERITY" enable --image="$img" /c || fail "enable c unsigned"
fsck_clean "$img"
img2=$TMP/img2
mkimg "$img2" 4096 "$src" 8M
"$MBVERITY" enable --image="$img2" /a --signature="$TMP/a.ec.sig" --cert="$K/ec256.crt" ||
	fail "enable a with fsverity's EC signature and --cert"
"$MBVERITY" enable --image="$img2" /b --signature="$TMP/attrs.sig" || fail "enable b, -nosmimecap attributes"
fsck_clean "$img2"
"$MBVERITY" verify --image="$img2" /a --cert="$K/ec256.crt" >/dev/null || fail "verify --cert of fsverity's signature"

da=$(fsverity digest "$src/a" | cut -d' ' -f1)
db=$(fsverity digest "$src/b" | cut -d' ' -f1)
dc=$(fsverity digest "$src/c" | cut -d' ' -f1)
cp "$img" "$TMP/before.img"
"$MBVERITY" verify --image="$img" >"$TMP/out" || fail "verify without --cert: $(cat "$TMP/out")"
printf 'signed, not checked %s /a\nsigned, not checked %s /b\nok %s /c\n' "$da" "$db" "$dc" |
	cmp -s - "$TMP/out" || fail "verify without --cert printed: $(cat "$TMP/out")"
"$MBVERITY" verify --cert="$K/rsa2048.crt" --image="$img" /a /c >"$TMP/out" || fail "verify --cert a c"
printf 'ok %s /a\nok %s /c\n' "$da" "$dc" | cmp -s - "$TMP/out" ||
	fail "verify --cert printed: $(cat "$TMP/out")"
expect_fail "verify --cert, another file's signature" "$MBVERITY" verify --cert="$K/rsa2048.crt" --image="$img" /b
one_line_error "verify --cert b"
grep -q "img: /b: bad signature: signature does not verify" "$TMP/err" || fail "verify b: $(cat "$TMP/err")"
cmp -s "$img" "$TMP/before.img" || fail "verify changed the image"

# A malformed stored signature (its first byte changed in the image): verify
# fails without --cert too, one line naming the file.
desc=$(pblk "$img" /a 33)	# 70000 bytes: tree at lblk 32 (128 KiB), descriptor at 33
flip "$img" $((desc * 4096 + 256))
expect_fail "malformed stored signature" "$MBVERITY" verify --image="$img" /a
one_line_error "malformed stored signature"
grep -q "img: /a: bad signature: malformed signature: " "$TMP/err" ||
	fail "malformed stored signature: $(cat "$TMP/err")"
expect_fail "malformed stored signature, all files" "$MBVERITY" verify --image="$img"
printf 'signed, not checked %s /b\nok %s /c\n' "$db" "$dc" | cmp -s - "$TMP/out" ||
	fail "verify all, one malformed: $(cat "$TMP/out")"
echo "signatures the kernel would refuse are refused"
