#!/bin/sh
# SPDX-License-Identifier: MIT
# --help: every option a command's usage names is explained in its options
# list, the ones with defaults say them, no line is wider than 79 columns;
# mbverity --help lists every command.
. "${srcdir:-.}/tests/lib.sh"

commands="digest sign enable measure verify dump_metadata mkfs"
"$MBVERITY" --help >"$TMP/top" || fail "mbverity --help: exit $?"
for c in $commands; do
	grep -Eq "^  $c +[a-z]" "$TMP/top" || fail "mbverity --help does not list $c with a summary"
done
for c in $commands; do
	"$MBVERITY" $c --help >"$TMP/h" 2>"$TMP/err" || fail "$c --help: exit $?: $(cat "$TMP/err")"
	[ ! -s "$TMP/err" ] || fail "$c --help wrote to stderr"
	sed '/^options:/,$d' "$TMP/h" >"$TMP/usage"
	sed -n '/^options:/,$p' "$TMP/h" >"$TMP/opts"
	[ -s "$TMP/opts" ] || fail "$c --help has no options list"
	# Every option the usage names: a line of its own in the list.
	for o in $(grep -oE -- '(^|[ [])-(-[a-z][a-z0-9-]*|[a-z])' "$TMP/usage" | tr -d ' [' | sort -u); do
		grep -Eq -- "^  $o( |\$)" "$TMP/opts" || fail "$c --help: $o named in the usage, not explained"
	done
	for o in --hash-alg --block-size --salt --threads --fs-block-size --size --timestamp; do
		grep -q -- "$o" "$TMP/usage" || continue
		# The option's entry, its continuation lines included, gives the default.
		awk -v o="$o" '$1 == o { on = 1; print; next } on && /^    / { print; next } { on = 0 }' \
			"$TMP/opts" | grep -q 'default' || fail "$c --help: $o does not say its default"
	done
	awk -v c="$c" 'length($0) > 79 { print c " --help: a line of " length($0) " columns: " $0; bad = 1 }
		END { exit bad }' "$TMP/h" >&2 || fail "$c --help: lines wider than 79 columns"
	grep -q -- '--version' "$TMP/opts" || fail "$c --help does not name --version"
done
echo "help: ok"
