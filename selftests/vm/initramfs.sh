#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh KMODULES OUT.cpio.gz
#
# Build the test VM's initramfs: busybox-static, selftests/vm/init as /init
# and the 9p modules of the test kernel with their dependencies, named
# NN-name.ko in load order and decompressed (Debian 6.12 ships .ko.xz;
# busybox insmod does not decompress).  Everything else the VM uses
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
# The modules 9p over virtio needs, in load order, per modules.dep (6.12
# has virtio built in, 6.1 does not).
kver=$(basename "$kmod")
root=${kmod%/lib/modules/*}
n=10
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$root" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r f; do
	name=$(basename "$f")
	name=${name%.xz}
	case $f in
	*.xz) xz -dc "$f" >"$tmp/modules/$n-$name" ;;
	*) cp "$f" "$tmp/modules/$n-$name" ;;
	esac
	n=$((n + 1))
done
# A kernel with 9p built in (the debug kernel) needs no modules.
ls "$tmp"/modules/*-9p.ko >/dev/null 2>&1 ||
	grep -q '/9p\.ko$' "$kmod/modules.builtin" 2>/dev/null ||
	{ echo "initramfs: no 9p modules found in $kmod" >&2; exit 1; }
(cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
