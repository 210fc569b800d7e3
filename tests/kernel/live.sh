# SPDX-License-Identifier: MIT
# Live files (issue 17): the built mbverity runs in the guest on a mounted
# ext4 next to fsverity-utils. Every enable, measure, dump_metadata and
# refusal runs in both programs on twin copies of the same files (/m and /f
# of the `live` disk) and must give the same exit status, output and message
# (g_live in guest-lib.sh); verify must print what fsverity measure says.
# Sourced by run.sh, not run.

# LIVE_FILES: NAME SIZE. Twins in /m and /f; /vc holds files made verity
# offline (`mbverity enable --image`), one of them then corrupted.
LIVE_FILES="d256 100000
empty 0
s512 4097
salt 65537
s512salt1k 200000
t2k 1
bs64k 5000
sigm 30000
sigf 30001
sigm512 12345
keyed 7000
busy 4096
other 1000
garbage 1000
nokey 1000
hugesig 1000
requns 1000
reqnokey 1000
reqk1 3000
append 1000
immut 1000
rofile 1000
plain 5000"

# build_live KVER: $W/live/{live.img,plan,sig/}.
build_live() {
	local kver=$1 d=$W/live f size out k6=y m
	rm -rf "$d"
	mkdir -p "$d/src/m" "$d/src/vc" "$d/sig" "$d/img-src"
	while read -r f size; do
		rnd_file "$d/src/m/$f" "$size"
	done <<<"$LIVE_FILES"
	rnd_file "$d/img-src/a" 10000
	mke2fs -q -F -t ext4 -b 4096 -d "$d/img-src" "$d/src/m/image.ext4" 2M >/dev/null 2>&1 ||
		hfail live-image-file "mke2fs of the image file failed"
	cp -a "$d/src/m" "$d/src/f"
	rm -f "$d/src/f/image.ext4"
	rnd_file "$d/src/vc/ok" 50000
	rnd_file "$d/src/vc/c" 50000
	m=$d/src/m
	# Signatures made on the host: by `mbverity sign` and by `fsverity sign`.
	out=$(
		"$MBVERITY" sign "$m/sigm" "$d/sig/sigm.sig" --key="$W/k1.pem" --cert="$W/c1.pem" &&
		"$MBVERITY" sign "$m/sigm512" "$d/sig/sigm512.sig" --hash-alg=sha512 \
			--key="$W/k1.pem" --cert="$W/c1.pem" &&
		"$MBVERITY" sign "$m/reqk1" "$d/sig/reqk1.sig" --key="$W/k1.pem" --cert="$W/c1.pem" &&
		fsverity sign "$m/sigf" "$d/sig/sigf.sig" --key="$W/k1.pem" --cert="$W/c1.pem" &&
		fsverity sign "$m/keyed" "$d/sig/keyed.sig" --key="$W/k1.pem" --cert="$W/c1.pem" &&
		fsverity sign "$m/nokey" "$d/sig/nokey.sig" --key="$W/k2.pem" --cert="$W/c2.pem" &&
		fsverity sign "$m/reqnokey" "$d/sig/reqnokey.sig" --key="$W/k2.pem" --cert="$W/c2.pem" 2>&1
	) && hok live-host-sign || hfail live-host-sign "$out"
	echo "not a PKCS#7 signature" >"$d/sig/garbage.sig"
	head -c 20000 /dev/urandom >"$d/sig/hugesig.sig"
	cp "$W/k1.pem" "$W/c1.pem" "$W/c2.pem" "$d/sig/"
	mke2fs -q -F -t ext4 -b 4096 -O verity -L live -d "$d/src" "$d/live.img" 32M >/dev/null 2>&1 ||
		hfail live-mke2fs "mke2fs failed"
	if out=$("$MBVERITY" enable --image="$d/live.img" /vc/ok /vc/c 2>&1); then
		hok live-host-enable
	else
		hfail live-host-enable "$out"
	fi
	zap "$d/live.img" /vc/c 2 -b 13 || true
	fsverity digest "$d/src/vc/ok" | cut -d' ' -f1 >"$d/vc-ok.digest"
	# Linux 6.1 takes only PAGE_SIZE tree blocks: there the 1 and 2 KiB
	# enables are refusals (EINVAL) compared like any other.
	case $kver in 6.1.*) k6=n ;; esac
	live_plan "$k6" >"$d/plan"
}

# live_plan SMALL_BLOCKS(y|n): the guest's checks.
live_plan() {
	local small=$1 s=/mbvk/live f t v
	cat <<-EOF
	g_require_sigs live-require-off 0
	dmesg_mark
	g_mount mount:live live /mnt/live rw
	g_live enable:d256 ok enable d256
	g_live enable:empty ok enable empty
	g_live enable:s512 ok enable s512 --hash-alg=sha512
	g_live enable:salt ok enable salt --salt=$SALT7
	g_live enable:sigm ok enable sigm --signature=$s/sigm.sig
	g_live enable:sigf ok enable sigf --signature=$s/sigf.sig
	g_live enable:sigm512 ok enable sigm512 --hash-alg=sha512 --signature=$s/sigm512.sig
	LV_FARGS="enable keyed --signature=$s/keyed.sig"
	g_live enable-key-vs-fsverity-sign:keyed ok enable keyed --key=$s/k1.pem --cert=$s/c1.pem
	LV_FARGS=
	g_live enable:bs64k-einval 'Invalid argument' enable bs64k --block-size=65536
	g_live enable:eexist 'File exists' enable d256
	LV_HOLD=busy
	g_live enable:etxtbsy 'Text file busy' enable busy
	LV_HOLD=
	g_live enable:ekeyrejected 'Key was rejected by service' enable other --signature=$s/sigm.sig
	g_live enable:ebadmsg 'Bad message' enable garbage --signature=$s/garbage.sig
	g_live enable:enokey 'Required key not available' enable nokey --signature=$s/nokey.sig
	g_live enable:emsgsize 'Message too long' enable hugesig --signature=$s/hugesig.sig
	g_live_chattr chattr-append +a append
	g_live enable:eperm-append-only 'Operation not permitted' enable append
	g_live_chattr chattr-immutable +i immut
	g_live enable:eperm-immutable 'Operation not permitted' enable immut
	g_live_chattr chattr-clear -ai immut
	g_remount remount-ro:live /mnt/live ro
	g_live enable:erofs 'Read-only file system' enable rofile
	g_remount remount-rw:live /mnt/live rw
	g_require_sigs live-require-on 1
	g_live enable:eperm-required 'Operation not permitted' enable requns
	g_live enable:enokey-required 'Required key not available' enable reqnokey --signature=$s/reqnokey.sig
	g_live enable:signed-required ok enable reqk1 --signature=$s/reqk1.sig
	g_require_sigs live-require-off 0
	EOF
	if [ "$small" = y ]; then
		echo "g_live enable:s512salt1k ok enable s512salt1k --hash-alg=sha512 --block-size=1024 --salt=$SALT32"
		echo "g_live enable:t2k ok enable t2k --block-size=2048"
	else
		echo "g_live enable:s512salt1k-einval 'Invalid argument' enable s512salt1k --hash-alg=sha512 --block-size=1024 --salt=$SALT32"
		echo "g_live enable:t2k-einval 'Invalid argument' enable t2k --block-size=2048"
	fi
	v="d256 empty s512 salt sigm sigf sigm512 keyed reqk1"
	[ "$small" = n ] || v="$v s512salt1k t2k"
	for f in $v; do
		echo "g_live measure:$f ok measure $f"
		for t in merkle_tree descriptor; do
			echo "g_live dump-$t:$f ok dump_metadata $t $f"
		done
		case $f in
		sig* | keyed | reqk1) echo "g_live dump-signature:$f ok dump_metadata signature $f" ;;
		*) echo "g_live dump-signature-enodata:$f 'No data available' dump_metadata signature $f" ;;
		esac
		echo "g_live_verify verify:$f $f"
	done
	cat <<-EOF
	g_live measure:several ok measure d256 s512 salt sigm
	g_live measure:enodata 'No data available' measure plain
	g_live measure:stops-at-first-failure 'No data available' measure d256 plain s512
	g_live dump-range:merkle_tree ok dump_metadata merkle_tree salt --offset=100 --length=1000
	g_live dump-range:descriptor ok dump_metadata descriptor s512 --offset=16 --length=64
	g_live dump-range:signature ok dump_metadata signature sigf --offset=10 --length=50
	g_live dump-range:past-end ok dump_metadata merkle_tree d256 --offset=1000000 --length=10
	g_live dump:enodata 'No data available' dump_metadata descriptor plain
	g_live_verify_err verify:enodata /mnt/live/m/plain 'No data available'
	g_live_verify_is verify:offline-enabled /mnt/live/vc/ok "ok $(cat "$W/live/vc-ok.digest") /mnt/live/vc/ok"
	g_live_verify_err verify:corrupt-data-block /mnt/live/vc/c 'Input/output error'
	g_live_verify_is verify-cert:sigm /mnt/live/m/sigm "ok \$(fsverity measure /mnt/live/m/sigm)" --cert=$s/c1.pem --require-signatures
	g_live_verify_is verify-cert:keyed /mnt/live/m/keyed "ok \$(fsverity measure /mnt/live/m/keyed)" --cert=$s/c1.pem
	g_live_verify_err verify-cert:other-cert /mnt/live/m/sigf 'bad signature' --cert=$s/c2.pem
	g_live_verify_err verify:require-signatures /mnt/live/m/d256 'no signature (--require-signatures)' --require-signatures
	g_live_oldform oldform:enable 2 '--image=image.ext4 PATH' enable image.ext4 /a
	g_live_oldform oldform:dump 2 '--image=image.ext4 /a' dump_metadata descriptor image.ext4 /a
	g_live_oldform oldform:measure 1 "No data available (the file does not have fs-verity); it is an ext4 image: for files inside it, --image=image.ext4 PATH..." measure image.ext4 /a
	g_live_oldform oldform:verify 1 "it is an ext4 image: for files inside it, --image=image.ext4 PATH..." verify image.ext4
	g_umount umount:live /mnt/live
	g_dmesg_clean dmesg:live
	g_live_tmpfs live-tmpfs /tmp/lvt
	LV_BASE=/tmp/lvt
	g_live tmpfs-enable:enotty 'Inappropriate ioctl for device' enable x
	g_live tmpfs-measure:enotty 'Inappropriate ioctl for device' measure x
	g_live tmpfs-dump:enotty 'Inappropriate ioctl for device' dump_metadata descriptor x
	LV_BASE=/mnt/live
	EOF
}

# live_after: the image the guest's kernel wrote is e2fsck-clean.
live_after() {
	local out
	[ -f "$W/live/live.img" ] || return 0
	if out=$(e2fsck -fn "$W/live/live.img" 2>&1); then
		hok fsck:live
	else
		hfail fsck:live "$(echo "$out" | grep -v '^Pass\|^e2fsck' | head -n 5)"
	fi
}
