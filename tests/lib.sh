# SPDX-License-Identifier: MIT
# Shared helpers for the shell tests: sourced, not run.
set -eu

: "${MBVERITY:=$(pwd)/programs/mbverity}"
: "${top_builddir:=.}"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A tool the tests need: missing is a failure, never a skip.
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (.ci/run installs it)"
	done
}

# A scratch directory removed on exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mbv-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# expect_fail DESCRIPTION COMMAND...: the command must exit non-zero with a one-line error.
expect_fail() {
	desc=$1
	shift
	_st=0
	"$@" >"$TMP/out" 2>"$TMP/err" || _st=$?
	[ "$_st" -ne 0 ] || fail "$desc: succeeded"
	# A crash (or a sanitizer's abort) is not the refusal the test expects.
	[ "$_st" -lt 128 ] || fail "$desc: died of signal $((_st - 128)): $(tail -n 5 "$TMP/err")"
	[ -s "$TMP/err" ] || fail "$desc: no error message"
	grep -q '^mbverity: ' "$TMP/err" || fail "$desc: error not of the form 'mbverity: ...': $(cat "$TMP/err")"
}

# openssl_accepts smime|cms SIG CONTENT CERT: that openssl command verifies
# the detached DER PKCS#7 signature SIG of CONTENT with CERT (no chain).
openssl_accepts() {
	openssl "$1" -verify -binary -inform DER -in "$2" -content "$3" -certfile "$4" \
		-nointern -noverify >/dev/null 2>&1
}
