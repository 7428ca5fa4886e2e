#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh KMODULES OUT.cpio.gz
#
# Build the test VM's initramfs: busybox-static, selftests/vm/init as /init
# and the four 9p modules of the test kernel, decompressed (Debian ships
# .ko.xz; busybox insmod does not decompress).  Everything else the VM uses
# comes from the host's root over 9p.
set -euo pipefail

kmod=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp"/{proc,sys,dev,modules,newroot}
mknod -m 600 "$tmp/dev/console" c 5 1
mknod -m 666 "$tmp/dev/null" c 1 3
cp /usr/bin/busybox "$tmp/busybox"
install -m 0755 "$here/init" "$tmp/init"
for m in fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
	f=$kmod/kernel/$m.ko
	if [ -f "$f.xz" ]; then
		xz -dc "$f.xz" >"$tmp/modules/${m##*/}.ko"
	elif [ -f "$f" ]; then
		cp "$f" "$tmp/modules/"
	else
		echo "initramfs: $f(.xz) missing" >&2
		exit 1
	fi
done
(cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
