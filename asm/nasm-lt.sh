#!/bin/sh
# SPDX-License-Identifier: MIT
# nasm under `libtool --mode=compile`: libtool adds the C compiler's PIC
# flags, which nasm would misread (-fPIC as an output format).  nasm's code
# is position-independent by itself (`default rel` in sha256_common.inc),
# so they are dropped.  Usage: nasm-lt.sh NASM ARGS...
nasm=$1
shift
for arg; do
	shift
	case $arg in
	-fPIC | -fpic | -DPIC) ;;
	*) set -- "$@" "$arg" ;;
	esac
done
exec "$nasm" "$@"
