#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build (once) the Kwik debug kernel: KASAN, lockdep,
# kmemleak, UBSAN, DEBUG_NET, refcount trackers (make check-debug).
#
# Source: Debian's linux-source-6.12 (the newest in the archive; the
# same 6.12 series as the test kernel), configured as allnoconfig plus
# selftests/vm/debug.config.  The tree is built in
#   $KWIK_CACHE/kernels/debug-<source version>-<fragment hash>/linux
# and reused while neither changes; trees of other keys are removed.
# Writes $KWIK_CACHE/kernels/debug.env for run.sh and the Makefile:
#   KVER KDIR KIMAGE KMODULES   as for the Debian kernels
#   KAPPEND   extra kernel command line (panic_on_warn, ...)
#   KSLOW     timeout multiplier for this kernel (KASAN + lockdep are slow)
#   KMEM      guest memory
# Run "make deps" first (apt sources, compiler, flex/bison, libelf...).
# Environment: KWIK_CACHE, KWIK_JOBS (make -j, default nproc + 1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
CACHE=${KWIK_CACHE:-/var/cache/kwik}
KROOT=$CACHE/kernels
DEBS=$CACHE/debs
jobs=${KWIK_JOBS:-$(($(nproc) + 1))}
log() { printf 'debug-kernel: %s\n' "$*" >&2; }

mkdir -p "$KROOT" "$DEBS"
exec 9>"$KROOT/.debug.lock"
flock 9

pkg=linux-source-6.12
candidate() { apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1; }
ver=$(candidate)
deb=$DEBS/${pkg}_${ver//:/%3a}_all.deb
if [ -n "$ver" ] && [ ! -f "$deb" ] && [ ! -f "$KROOT/debug-$ver-$(sha256sum "$frag" | cut -c1-10)/.complete" ]; then
	# About to download: make sure the lists name what the archive has
	# now (it drops superseded builds).
	log "apt-get update"
	apt-get update -qq >/dev/null || true
	ver=$(candidate)
fi
if [ -z "$ver" ]; then
	# Offline and no apt lists: reuse the newest deb already downloaded.
	deb=$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
	[ -n "$deb" ] || { log "$pkg is not in apt's lists (run make deps)"; exit 1; }
	ver=$(dpkg-deb -f "$deb" Version)
fi
hash=$(sha256sum "$frag" | cut -c1-10)
key=$ver-$hash
dir=$KROOT/debug-$key
tree=$dir/linux

write_env() {
	local kver
	kver=$(cat "$dir/kernelrelease")
	cat >"$KROOT/debug.env.tmp" <<ENV
KVER=$kver
KDIR=$tree
KIMAGE=$tree/arch/x86/boot/bzImage
KMODULES=$dir/lib/modules/$kver
KAPPEND='panic_on_warn=1 oops=panic loglevel=5 kmemleak=on'
KSLOW=4
KMEM=2G
KSRC=$pkg=$ver
KFRAG_HASH=$hash
ENV
	mv "$KROOT/debug.env.tmp" "$KROOT/debug.env"
}

if [ -f "$dir/.complete" ]; then
	write_env
	log "ok: $(cat "$dir/kernelrelease") from $pkg $ver, fragment $hash (cached in $dir)"
	exit 0
fi

# Other keys' trees are several GB each: only the current one stays.
for old in "$KROOT"/debug-*; do
	[ -d "$old" ] && [ "$old" != "$dir" ] || continue
	log "removing stale $old"
	rm -rf "$old"
done

t0=$(date +%s)
if [ ! -f "$tree/Makefile" ]; then
	deb=$DEBS/${pkg}_${ver//:/%3a}_all.deb
	if [ ! -f "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null)
	fi
	log "unpacking $pkg $ver"
	tmp=$(mktemp -d "$KROOT/.debug-src.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xf - -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tree" --strip-components=1
	rm -rf "$tmp"
fi

cd "$tree"
log "configuring: allnoconfig + $(basename "$frag")"
KCONFIG_ALLCONFIG=$frag make -s ARCH=x86_64 allnoconfig >"$dir/config.log" 2>&1 ||
	{ cat "$dir/config.log"; exit 1; }
make -s ARCH=x86_64 olddefconfig >>"$dir/config.log" 2>&1 ||
	{ cat "$dir/config.log"; exit 1; }
# Kconfig silently drops what has unmet dependencies: every line of the
# fragment must be in the result, "=y"/"=val" and "is not set" alike.
bad=0
while IFS= read -r l; do
	case $l in
	CONFIG_*=*)
		grep -qxF "$l" .config || { log "config lost: $l (got: $(grep -E "^(# )?${l%%=*}[= ]" .config || echo absent))"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		s=${l#\# }; s=${s%% *}
		! grep -q "^$s=" .config || { log "config wanted off but on: $(grep "^$s=" .config)"; bad=1; } ;;
	esac
done <"$frag"
[ "$bad" = 0 ] || { log "the fragment does not apply to $pkg $ver: fix selftests/vm/debug.config"; exit 1; }

log "building $(make -s kernelrelease) with make -j$jobs (log: $dir/build.log)"
if ! make -j"$jobs" ARCH=x86_64 bzImage modules >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log"
	log "build FAILED (full log: $dir/build.log)"
	exit 1
fi
make -s kernelrelease >"$dir/kernelrelease"
kver=$(cat "$dir/kernelrelease")
# Everything is built in, but the harness and the DKMS test expect a
# module tree (modules.dep, modules.builtin, kernel/).
rm -rf "$dir/lib"
make -s ARCH=x86_64 INSTALL_MOD_PATH="$dir" modules_install >>"$dir/build.log" 2>&1
mkdir -p "$dir/lib/modules/$kver/kernel"
rm -f "$dir/lib/modules/$kver/build" "$dir/lib/modules/$kver/source"
depmod -b "$dir" "$kver"
t1=$(date +%s)
echo "$((t1 - t0))" >"$dir/build-seconds"
touch "$dir/.complete"
write_env
log "ok: built $kver in $((t1 - t0))s ($dir)"
