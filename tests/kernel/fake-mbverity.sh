#!/bin/bash
# SPDX-License-Identifier: MIT
# A stand-in for `mbverity enable|measure --image=IMAGE PATH` built from debugfs and
# fsverity-utils, so run.sh's mbverity mode can be tested on its own
# (run.sh --self-test). It rewrites the file with the tree and descriptor
# past EOF (debugfs write leaves zero blocks as holes), then sets the size
# back and the verity flag. Test scaffolding only: it keeps the digest in a
# side file for `measure`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$MBVK_DIR/images.sh"

cmd=${1:?usage: fake-mbverity.sh enable|measure --image=IMAGE PATH [OPTIONS]}
[ "$cmd" = enable ] || [ "$cmd" = measure ] || mbvk_die "fake: no command $cmd"
[ "${2:-}" != --help ] || { echo "usage: fake-mbverity.sh enable --image=IMAGE PATH [--hash-alg=] [--block-size=] [--salt=] [--key= --cert=|--signature=]"; exit 0; }
case ${2:-} in
--image=*) img=${2#--image=} ;;
*) mbvk_die "fake: --image=IMAGE comes first" ;;
esac
p=${3:?PATH}
shift 3
side=$img.fake-digests
if [ "$cmd" = measure ]; then
	awk -v p="$p" '$2 == p { d = $1 } END { if (d == "") exit 1; print d, p }' "$side"
	exit
fi
vopts=() key= cert= sig=
for a in "$@"; do
	case $a in
	--key=*) key=${a#*=} ;;
	--cert=*) cert=${a#*=} ;;
	--signature=*) sig=${a#*=} ;;
	*) vopts+=("$a") ;;
	esac
done
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bs=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
debugfs -R "dump -p $p $t/data" "$img" >/dev/null 2>&1
size=$(stat -c %s "$t/data")
digest=$(fsverity digest "$t/data" "${vopts[@]}" --out-merkle-tree="$t/tree" \
	--out-descriptor="$t/desc" | cut -d' ' -f1)
if [ -n "$key" ]; then
	fsverity sign "$t/data" "$t/sig" --key="$key" --cert="$cert" "${vopts[@]}" >/dev/null
	sig=$t/sig
fi
# Harness check: MBVK_FAKE_BREAK=tree writes a wrong tree, which every
# kernel-side and layout check of that file must catch.
if [ "${MBVK_FAKE_BREAK:-}" = tree ] && [ -s "$t/tree" ]; then
	printf '\377' | dd of="$t/tree" bs=1 seek=7 conv=notrunc 2>/dev/null
fi
cp -p "$t/data" "$t/full"
truncate -s $(((size + 65535) / 65536 * 65536)) "$t/full"
region_of "$t/tree" "$t/desc" "${sig:--}" "$size" "$bs" >>"$t/full"
printf 'rm %s\nwrite %s %s\nsif %s size %s\nsif %s flags 0x180000\n' \
	"$p" "$t/full" "$p" "$p" "$size" "$p" >"$t/cmds"
debugfs -w -f "$t/cmds" "$img" >"$t/log" 2>&1
grep -qi 'error\|bad\|not found' "$t/log" && { cat "$t/log" >&2; exit 1; }
echo "$digest $p" >>"$side"
