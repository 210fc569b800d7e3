#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the test initramfs: load modules, run the per-run payload
# /mbvk/guest.sh (appended to the initramfs as a second cpio archive), report
# on the serial console and power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# Keep kernel messages off the console so result lines stay whole; the guest
# script prints dmesg itself where it helps.
dmesg -n 1
echo "MBVK-BOOTED $(uname -r)"
while read -r m; do
	insmod "/modules/$m" 2>/dev/null || echo "MBVK-NOTE insmod $m failed"
done </modules.list
# virtio disks are probed asynchronously: wait for the number the host attached.
want=$(cat /mbvk/ndisks 2>/dev/null || echo 0)
i=0
while [ "$(ls /sys/block | grep -c '^vd')" -lt "$want" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
if [ -f /mbvk/guest.sh ]; then
	sh /mbvk/guest.sh
else
	echo "MBVK-RESULT FAIL payload no /mbvk/guest.sh in initramfs"
fi
sync
echo "MBVK-DONE"
poweroff -f
