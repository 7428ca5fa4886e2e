#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-prep.sh KVER KDIR KMODULES OUT
#
# Host half of the DKMS test: "dkms add/build/install" of this tree for
# kernel KVER into scratch trees under OUT, never touching the host's
# /lib/modules, /usr/src or /var/lib/dkms:
#   OUT/src/kwik-VER    the source DKMS sees (only what dkms.conf builds)
#   OUT/dkms            --dkmstree
#   OUT/install/KVER    --installtree (updates/dkms/kwik.ko lands here)
#   OUT/modroot         /lib/modules/KVER as the VM will see it: the
#                       installed module plus depmod output for the whole
#                       Debian module set (depmod over ~4000 modules takes
#                       seconds here and minutes under TCG, so it runs here)
# The guest half is selftests/dkms.sh: modprobe kwik must load this module.
set -euo pipefail

kver=$1 kdir=$2 kmod=$3 out=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$src/dkms.conf")
log() { printf 'dkms-prep: %s\n' "$*"; }

rm -rf "$out"
mkdir -p "$out/src/kwik-$ver" "$out/dkms" "$out/install/$kver"
# A clean source tree: what a user would put in /usr/src/kwik-VER.
(cd "$src" && cp -a Kbuild Makefile dkms.conf net include "$out/src/kwik-$ver/")
find "$out/src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete

# Never sign (signing would create keys in /var/lib/dkms).
export sign_file=/nonexistent/kwik-dkms-test-does-not-sign
dk=(dkms --dkmstree "$out/dkms" --sourcetree "$out/src" --installtree "$out/install"
    --kernelsourcedir "$kdir" -k "$kver" --no-depmod)
log "dkms add/build/install kwik/$ver for $kver (scratch: $out)"
if ! { "${dk[@]}" add -m kwik -v "$ver" &&
       "${dk[@]}" build -m kwik -v "$ver" &&
       "${dk[@]}" install -m kwik -v "$ver" --force; } >"$out/dkms.log" 2>&1; then
	cat "$out/dkms.log"
	find "$out/dkms" -name make.log -exec cat {} + 2>/dev/null
	log "FAILED"
	exit 1
fi
"${dk[@]}" status -m kwik -v "$ver" | tee -a "$out/dkms.log" | sed 's/^/dkms-prep: /'
ko=$(find "$out/install/$kver/updates/dkms" -name 'kwik.ko*' | head -n 1)
[ -n "$ko" ] || { log "no kwik.ko in $out/install/$kver/updates/dkms"; exit 1; }

# depmod over the Debian modules plus the DKMS one.
root=$out/depmod
mkdir -p "$root/lib/modules/$kver/updates/dkms"
ln -s "$kmod/kernel" "$root/lib/modules/$kver/kernel"
cp "$kmod"/modules.order "$kmod"/modules.builtin* "$root/lib/modules/$kver/"
cp "$ko" "$root/lib/modules/$kver/updates/dkms/"
depmod -b "$root" "$kver"
grep -q 'updates/dkms/kwik.ko' "$root/lib/modules/$kver/modules.dep" ||
	{ log "depmod did not index updates/dkms/kwik.ko"; exit 1; }
mkdir -p "$out/modroot"
cp "$root/lib/modules/$kver"/modules.* "$out/modroot/"
cp -a "$root/lib/modules/$kver/updates" "$out/modroot/"
log "ok: $(basename "$ko") for $kver, srcversion $(modinfo -F srcversion "$ko")"
