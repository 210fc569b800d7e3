#!/bin/sh
# SPDX-License-Identifier: MIT
# Live files on the host (whose kernel or filesystems may lack fs-verity;
# tests/kernel/ proves the ioctls on real verity filesystems): the spelling
# (bare FILE = live file, --image=IMAGE = inside an image, the old
# `CMD IMAGE PATH` refused or hinted, never guessed), and the answers
# fsverity-utils gives for the same command lines: exit codes and its
# message text after our "mbverity: " prefix, with the kernel's errno
# explained (ENOTTY on tmpfs, EOPNOTSUPP on ext4 without verity, ...).
. "${top_srcdir:-.}/tests/lib.sh"
need fsverity mke2fs cmp

# run NAME PROG ARGS...: exit status in $TMP/NAME.st, stdout, stderr beside it.
run() {
	_n=$1
	shift
	_st=0
	"$@" >"$TMP/$_n.out" 2>"$TMP/$_n.err" || _st=$?
	echo "$_st" >"$TMP/$_n.st"
	[ "$_st" -lt 128 ] || fail "$*: died of signal $((_st - 128)): $(tail -n 5 "$TMP/$_n.err")"
}

# What the errno text of an ioctl failure must be explained by.
reason_for() {
	case $1 in
	*"Inappropriate ioctl for device") echo "this filesystem has no fs-verity" ;;
	*"Operation not supported") echo "fs-verity is not enabled on this filesystem or not built into the kernel" ;;
	*"No data available") echo "does not have fs-verity" ;;
	*) echo "" ;;
	esac
}

# same DIR DESC ARGS...: mbverity in DIR/m and fsverity in DIR/f (each its own
# copy of the files, named alike: an enable that works must not spoil the
# other's) give the same exit status and stdout; stderr is one line each,
# ours "mbverity: " + fsverity's text after "ERROR: ", then (for a kernel
# error) the reason in parentheses.
same() {
	_dir=$1
	_d=$2
	shift 2
	_st=0
	(cd "$_dir/m" && exec "$MBVERITY" "$@") >"$TMP/m.out" 2>"$TMP/m.err" || _st=$?
	echo "$_st" >"$TMP/m.st"
	[ "$_st" -lt 128 ] || fail "$_d: died of signal $((_st - 128)): $(tail -n 5 "$TMP/m.err")"
	_st=0
	(cd "$_dir/f" && exec fsverity "$@") >"$TMP/f.out" 2>"$TMP/f.err" || _st=$?
	echo "$_st" >"$TMP/f.st"
	[ "$(cat "$TMP/m.st")" = "$(cat "$TMP/f.st")" ] ||
		fail "$_d: exit $(cat "$TMP/m.st"), fsverity $(cat "$TMP/f.st"): $(cat "$TMP/m.err")"
	cmp -s "$TMP/m.out" "$TMP/f.out" || fail "$_d: stdout differs from fsverity's"
	[ "$(cat "$TMP/f.st")" -eq 1 ] || return 0
	[ "$(wc -l <"$TMP/m.err")" -eq 1 ] || fail "$_d: not one line: $(cat "$TMP/m.err")"
	_fl=$(grep '^ERROR: ' "$TMP/f.err" | head -n 1 | sed 's/^ERROR: //')
	_ml=$(sed 's/^mbverity: //' "$TMP/m.err")
	[ -n "$_fl" ] || fail "$_d: fsverity printed no ERROR line"
	case $_ml in
	"$_fl"*) ;;
	*) fail "$_d: '$_ml' does not start with fsverity's '$_fl'" ;;
	esac
	_r=$(reason_for "$_fl")
	if [ -n "$_r" ]; then
		case $_ml in
		*"$_r"*) ;;
		*) fail "$_d: '$_ml' lacks the reason '$_r'" ;;
		esac
	fi
}

# Live files on two filesystems: $TMP's and a tmpfs (no fs-verity at all).
shm=$(mktemp -d /dev/shm/mbv-live.XXXXXX 2>/dev/null) || shm=
trap 'rm -rf "$TMP" ${shm:+"$shm"}' EXIT
for dir in "$TMP" $shm; do
	mkdir "$dir/m" "$dir/f"
	head -c 10000 /dev/urandom >"$dir/m/plain"
	cp "$dir/m/plain" "$dir/f/plain"
	: >"$dir/m/empty.sig"
	: >"$dir/f/empty.sig"
	head -c 10000 /dev/urandom >"$dir/plain"
	for t in merkle_tree descriptor signature; do
		same "$dir" "dump_metadata $t on $dir" dump_metadata "$t" plain
		same "$dir" "dump_metadata $t --offset --length on $dir" dump_metadata "$t" plain \
			--offset=0 --length=100
	done
	same "$dir" "measure on $dir" measure plain
	same "$dir" "measure, then a missing file, on $dir" measure plain missing
	same "$dir" "enable of a missing file on $dir" enable missing
	same "$dir" "enable with an empty signature file on $dir" enable plain --signature=empty.sig
	same "$dir" "enable with a missing signature file on $dir" enable plain \
		--signature=missing.sig
	same "$dir" "enable sha512/1024 salted on $dir" enable --hash-alg=sha512 --block-size=1024 \
		--salt=00112233 plain
	same "$dir" "enable on $dir" enable plain
	# verify has no fsverity twin: the measure it starts with must fail the same way.
	run v "$MBVERITY" verify "$dir/plain"
	run f fsverity measure "$dir/plain"
	[ "$(cat "$TMP/v.st")" -eq 1 ] || fail "verify of a plain file on $dir: exit $(cat "$TMP/v.st")"
	[ ! -s "$TMP/v.out" ] || fail "verify of a plain file on $dir printed $(cat "$TMP/v.out")"
	[ "$(sed 's/^mbverity: //; s/ (.*//' "$TMP/v.err")" = "$(sed 's/^ERROR: //' "$TMP/f.err")" ] ||
		fail "verify of a plain file on $dir: $(cat "$TMP/v.err") vs $(cat "$TMP/f.err")"
done
[ -n "$shm" ] || echo "note: no /dev/shm, tmpfs (ENOTTY) not covered"

# Usage errors as fsverity's: exit 2 from both.
f=$TMP/plain
for args in "enable" "measure" "dump_metadata merkle_tree" "dump_metadata bogus $f" \
	"dump_metadata merkle_tree $f --offset=5" "dump_metadata merkle_tree $f --length=5" \
	"enable $f $f"; do
	# shellcheck disable=SC2086
	run m "$MBVERITY" $args
	# shellcheck disable=SC2086
	run f fsverity $args
	[ "$(cat "$TMP/m.st")" -eq 2 ] && [ "$(cat "$TMP/f.st")" -eq 2 ] ||
		fail "'$args': exit $(cat "$TMP/m.st"), fsverity $(cat "$TMP/f.st")"
	grep -q '^mbverity: ' "$TMP/m.err" || fail "'$args': no mbverity: line"
done
# Options of the image form only.
for opt in --set-feature --quiet; do
	run m "$MBVERITY" enable "$f" "$opt"
	[ "$(cat "$TMP/m.st")" -eq 2 ] || fail "enable FILE $opt: exit $(cat "$TMP/m.st")"
	grep -q -- '--image' "$TMP/m.err" || fail "enable FILE $opt does not name --image"
done

# enable FILE --key --cert signs the digest, then asks the kernel: the same
# ioctl failure as unsigned here (or, on a verity filesystem, the digest).
need openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=live -keyout "$TMP/k.pem" \
	-out "$TMP/c.pem" 2>/dev/null || fail "openssl cannot make a key"
head -c 5000 /dev/urandom >"$TMP/signme"
run m "$MBVERITY" enable "$TMP/signme" --key="$TMP/k.pem" --cert="$TMP/c.pem"
if [ "$(cat "$TMP/m.st")" -eq 0 ]; then
	[ "$("$MBVERITY" measure "$TMP/signme")" = "$(fsverity digest "$TMP/signme")" ] ||
		fail "enable --key: measure differs from the digest"
else
	[ "$(cat "$TMP/m.st")" -eq 1 ] && [ "$(wc -l <"$TMP/m.err")" -eq 1 ] &&
		grep -q "^mbverity: FS_IOC_ENABLE_VERITY failed on '$TMP/signme': " "$TMP/m.err" ||
		fail "enable FILE --key --cert: exit $(cat "$TMP/m.st"): $(cat "$TMP/m.err")"
fi
echo garbage >"$TMP/bad.pem"
run m "$MBVERITY" enable "$f" --key="$TMP/bad.pem" --cert="$TMP/c.pem"
[ "$(cat "$TMP/m.st")" -eq 1 ] && grep -q '^mbverity: ' "$TMP/m.err" &&
	! grep -q FS_IOC_ENABLE_VERITY "$TMP/m.err" ||
	fail "enable FILE with a bad key: exit $(cat "$TMP/m.st"): $(cat "$TMP/m.err")"
run m "$MBVERITY" enable "$f" --cert="$TMP/c.pem"
[ "$(cat "$TMP/m.st")" -eq 2 ] || fail "enable FILE --cert alone: exit $(cat "$TMP/m.st")"

# An image, and the old spelling of each command on it: refused or hinted,
# the image byte for byte as it was.
mkdir "$TMP/src"
head -c 70000 /dev/urandom >"$TMP/src/a"
mke2fs -q -F -t ext4 -O verity -b 4096 -d "$TMP/src" "$TMP/img" 8M >/dev/null
cp "$TMP/img" "$TMP/img.orig"
img=$TMP/img

run m "$MBVERITY" enable "$img" /a
[ "$(cat "$TMP/m.st")" -eq 2 ] || fail "enable IMAGE PATH: exit $(cat "$TMP/m.st")"
head -n 1 "$TMP/m.err" | grep -q -- "--image=$img PATH" ||
	fail "enable IMAGE PATH does not name --image=IMAGE: $(cat "$TMP/m.err")"
run m "$MBVERITY" dump_metadata descriptor "$img" /a
[ "$(cat "$TMP/m.st")" -eq 2 ] || fail "dump_metadata TYPE IMAGE PATH: exit $(cat "$TMP/m.st")"
head -n 1 "$TMP/m.err" | grep -q -- "--image=$img /a" ||
	fail "dump_metadata TYPE IMAGE PATH does not name --image: $(cat "$TMP/m.err")"
# (enable IMAGE alone is a live enable of the image file: on a tmpfs copy, which has no fs-verity.)
shm_img=
if [ -n "$shm" ]; then
	shm_img=$shm/img
	cp "$img" "$shm_img"
fi
for args in "measure $img /a" "verify $img" "verify $img /a" "dump_metadata descriptor $img" \
	${shm_img:+"enable $shm_img"}; do
	# shellcheck disable=SC2086
	run m "$MBVERITY" $args
	[ "$(cat "$TMP/m.st")" -eq 1 ] || fail "'$args': exit $(cat "$TMP/m.st")"
	[ ! -s "$TMP/m.out" ] || fail "'$args' printed $(cat "$TMP/m.out")"
	_i=${args##* }
	[ "$_i" = /a ] && _i=$img
	# verify goes on to the next operand (the PATH, no live file): one line each.
	[ "$(grep -c "'$_i'" "$TMP/m.err")" -eq 1 ] || fail "'$args': not one line: $(cat "$TMP/m.err")"
	[ "$(wc -l <"$TMP/m.err")" -eq 1 ] || [ "${args%% *}" = verify ] ||
		fail "'$args': not one line: $(cat "$TMP/m.err")"
	grep -q "^mbverity: FS_IOC_[A-Z_]* failed on '$_i': .*; it is an ext4 image: for files inside it, --image=$_i PATH\.\.\.$" \
		"$TMP/m.err" || fail "'$args': no --image hint: $(cat "$TMP/m.err")"
done
cmp -s "$img" "$TMP/img.orig" || fail "the old spellings changed the image"
[ -z "$shm_img" ] || cmp -s "$shm_img" "$TMP/img.orig" || fail "enable IMAGE changed the image"
# ... and no hint for a file that is no image.
run m "$MBVERITY" measure "$f"
grep -q -- "--image" "$TMP/m.err" && fail "a plain file got the --image hint: $(cat "$TMP/m.err")"

# The --image forms do the image work, the same as before.
want=$(fsverity digest "$TMP/src/a" | cut -d' ' -f1)
"$MBVERITY" enable --image="$img" /a || fail "enable --image"
[ "$("$MBVERITY" measure --image="$img" /a)" = "$want /a" ] || fail "measure --image"
"$MBVERITY" verify --image="$img" >"$TMP/out" || fail "verify --image"
[ "$(cat "$TMP/out")" = "ok $want /a" ] || fail "verify --image printed $(cat "$TMP/out")"
fsverity digest "$TMP/src/a" --out-descriptor="$TMP/desc" >/dev/null
"$MBVERITY" dump_metadata descriptor --image="$img" /a | cmp -s - "$TMP/desc" ||
	fail "dump_metadata --image differs from fsverity's descriptor"
# enable --all: --image=IMAGE and the kept --all IMAGE do the same.
cp "$TMP/img.orig" "$TMP/all1"
cp "$TMP/img.orig" "$TMP/all2"
SOURCE_DATE_EPOCH=1700000000 "$MBVERITY" enable --all --quiet --image="$TMP/all1" ||
	fail "enable --all --image"
SOURCE_DATE_EPOCH=1700000000 "$MBVERITY" enable --all --quiet "$TMP/all2" || fail "enable --all IMAGE"
[ "$("$MBVERITY" measure --image="$TMP/all1" /a)" = "$want /a" ] || fail "enable --all --image: measure"
cmp -s "$TMP/all1" "$TMP/all2" || fail "enable --all --image=IMAGE and --all IMAGE differ"
run m "$MBVERITY" enable --all --image="$TMP/all1" /a
[ "$(cat "$TMP/m.st")" -eq 2 ] || fail "enable --all --image=IMAGE PATH: exit $(cat "$TMP/m.st")"
echo "live files on the host: fsverity's answers, the --image spelling and its hints ok"
