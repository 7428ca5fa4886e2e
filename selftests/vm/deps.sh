#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything Kwik's build, VM and tests need, from Debian's archive
# only.  Idempotent: when all is present it makes no network access.
#
# Host packages go through apt.  The test kernels are *unpacked*, not
# installed, into $KWIK_CACHE so the host's own kernel set stays untouched:
#   $KWIK_CACHE/kernels/<kver>/{boot,lib/modules,usr/src}
# and the resolved versions are written to $KWIK_CACHE/kernels/*.env.
#
# Adds bookworm-backports to apt's sources if absent (Debian's own archive).
#
# tlshd (ktls-utils, the TLS handshake agent for the TLS/PSK path tests) is
# not in bookworm: trixie's .deb is fetched with a private apt sources list,
# lists and cache dir (never added to the host's sources) and unpacked into
#   $KWIK_CACHE/tlshd/<version>/usr/sbin/tlshd
# with its runtime libraries installed from bookworm; $KWIK_CACHE/tlshd/env
# names it (TLSHD=..., TLSHD_VERSION=...).  selftests/vm/run.sh uses it
# unless KWIK_TLSHD points at another tlshd.
set -euo pipefail

CACHE=${KWIK_CACHE:-/var/cache/kwik}
KDIR_ROOT=$CACHE/kernels
DEBS=$CACHE/debs
log() { printf 'deps: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root (apt-get)"; exit 1; }
export DEBIAN_FRONTEND=noninteractive

HOST_PKGS="build-essential gcc-12 make bc bison flex libelf-dev libssl-dev
  pkg-config libnl-3-dev libnl-genl-3-dev qemu-system-x86 busybox-static
  iproute2 iputils-ping tcpdump kmod cpio xz-utils python3 sparse dkms pahole
  procps psmisc coreutils openssl keyutils ethtool python3-docutils
  libnl-genl-3-200 libkeyutils1 libglib2.0-0 libgnutls30"

APT_UPDATED=
apt_update() {
	[ -n "$APT_UPDATED" ] && return 0
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		log "adding bookworm-backports (Debian) to apt sources"
		cat > /etc/apt/sources.list.d/kwik-bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	log "apt-get update"
	apt-get update -qq >/dev/null
	APT_UPDATED=1
}

missing=
for p in $HOST_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt_update
	log "installing:$missing"
	# shellcheck disable=SC2086  # a list of package names
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Candidate version of package $1, empty if apt has none to download.
candidate() {
	apt-cache policy "$1" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# The image package of ABI $1 to download: the signed one, else the
# unsigned one (same vmlinuz and modules; the VM has no Secure Boot),
# whichever has the headers' version.  The archive can list headers
# before the signed image of the same upload is published.
image_pkg() {
	local want p
	want=$(candidate "linux-headers-$1-amd64")
	[ -n "$want" ] || return 1
	for p in "linux-image-$1-amd64" "linux-image-$1-amd64-unsigned"; do
		[ "$(candidate "$p")" = "$want" ] && { echo "$p"; return 0; }
	done
	return 1
}

# Newest Debian kernel of a series whose image and headers can be
# downloaded at one version.  $1: regexp for the ABI name.
resolve() {
	apt-cache search --names-only "^linux-headers-$1-amd64\$" 2>/dev/null |
		awk '{print $1}' | sed -e 's/^linux-headers-//' -e 's/-amd64$//' |
		sort -V | while read -r abi; do
			image_pkg "$abi" >/dev/null && echo "$abi"
		done | tail -1
}

# Unpack image + headers + kbuild of ABI $1 into $KDIR_ROOT/$1-amd64.
unpack_kernel() {
	local abi=$1 kver=$1-amd64 dst=$KDIR_ROOT/$1-amd64 p
	[ -f "$dst/.complete" ] && return 0
	local series=${abi%%-*}; series=${series%.*}
	local kbuild=linux-kbuild-$series
	apt-cache show "$kbuild" >/dev/null 2>&1 || kbuild=linux-kbuild-$abi
	[[ $abi == *+deb* ]] && kbuild=linux-kbuild-$abi
	local image
	image=$(image_pkg "$abi") || { log "no image of linux $abi to download"; exit 1; }
	mkdir -p "$DEBS" "$dst"
	for p in "$image" "linux-headers-$kver" \
		 "linux-headers-$abi-common" "$kbuild"; do
		if ! ls "$DEBS/${p}_"*.deb >/dev/null 2>&1; then
			log "downloading $p"
			(cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$p" >/dev/null)
		fi
		# shellcheck disable=SC2012  # Debian file names, sorted by version
		dpkg -x "$(ls "$DEBS/${p}_"*.deb | sort -V | tail -1)" "$dst"
	done
	# The headers' Makefile includes the -common tree by absolute path.
	local hdr=$dst/usr/src/linux-headers-$kver
	sed -i "s|/usr/src/linux-headers-$abi-common|$dst/usr/src/linux-headers-$abi-common|g" \
		"$hdr/Makefile"
	# Absolute symlinks (scripts/, tools/ into the kbuild package) must
	# point into the unpacked tree instead.
	find "$dst" -type l -lname '/usr/*' | while read -r p; do
		ln -sfn "$dst$(readlink "$p")" "$p"
	done
	# modules.dep etc. so modprobe works in the VM (Debian's postinst
	# would run depmod; the packages are only unpacked here).
	depmod -b "$dst" "$kver"
	touch "$dst/.complete"
}

need_resolve() { [ ! -f "$KDIR_ROOT/$1.env" ] || [ -n "${KWIK_REFRESH:-}" ]; }

mkdir -p "$KDIR_ROOT"
for spec in "6.12:6\\.12\\.[0-9]+\\+deb12" "6.1:6\\.1\\.0-[0-9]+"; do
	name=${spec%%:*} re=${spec#*:}
	if need_resolve "$name"; then
		abi=$(resolve "$re")
		if [ -z "$abi" ]; then
			apt_update
			abi=$(resolve "$re")
		fi
		[ -n "$abi" ] || { log "no linux $name kernel found in the archive"; exit 1; }
		unpack_kernel "$abi"
		d=$KDIR_ROOT/$abi-amd64
		cat > "$KDIR_ROOT/$name.env" <<ENV
KVER=$abi-amd64
KDIR=$d/usr/src/linux-headers-$abi-amd64
KIMAGE=$d/boot/vmlinuz-$abi-amd64
KMODULES=$d/lib/modules/$abi-amd64
ENV
	fi
done

# modules.dep for trees unpacked before deps.sh ran depmod itself.
for name in 6.12 6.1; do
	# shellcheck disable=SC1090,SC2153  # KVER comes from the .env file
	kv=$(. "$KDIR_ROOT/$name.env"; echo "$KVER")
	[ -f "$KDIR_ROOT/$kv/lib/modules/$kv/modules.dep" ] ||
		depmod -b "$KDIR_ROOT/$kv" "$kv"
done

# checkpatch.pl and its data files, from Debian's linux-source.
CP=$CACHE/checkpatch
if [ ! -x "$CP/scripts/checkpatch.pl" ]; then
	apt_update
	src=$(apt-cache search --names-only '^linux-source-6\.12$' | awk '{print $1}')
	[ -n "$src" ] || src=linux-source-6.1
	mkdir -p "$DEBS" "$CP"
	(cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$src" >/dev/null)
	tmp=$(mktemp -d)
	# shellcheck disable=SC2012
	dpkg -x "$(ls "$DEBS/${src}_"*.deb | sort -V | tail -1)" "$tmp"
	tar -C "$CP" --strip-components=1 -xf "$tmp"/usr/src/linux-source-*.tar.xz \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$tmp" "$DEBS/${src}_"*.deb
fi
# tlshd from trixie's ktls-utils, unpacked (see the top).  The private
# apt state lives in $CACHE/apt-trixie: its own sources list, lists and
# package cache, so the host's apt state and package set stay bookworm's.
TLSHD_ROOT=$CACHE/tlshd
tlshd_env() {	# print TLSHD=... of the newest complete unpacked tlshd
	local d
	# shellcheck disable=SC2012  # version directory names, sorted
	d=$(ls -d "$TLSHD_ROOT"/*/.complete 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || return 1
	d=${d%/.complete}
	printf 'TLSHD=%s\nTLSHD_VERSION=%s\n' "$d/usr/sbin/tlshd" "${d##*/}"
}
if [ -n "${KWIK_REFRESH:-}" ] || ! tlshd_env >/dev/null; then
	priv=$CACHE/apt-trixie
	mkdir -p "$priv/lists/partial" "$priv/cache/archives/partial" "$priv/dl"
	echo "deb http://deb.debian.org/debian trixie main" >"$priv/sources.list"
	aopt=(-o "Dir::Etc::sourcelist=$priv/sources.list"
	      -o "Dir::Etc::sourceparts=-"
	      -o "Dir::State::Lists=$priv/lists"
	      -o "Dir::Cache=$priv/cache"
	      -o APT::Sandbox::User=root)
	log "apt-get update (private trixie list, for ktls-utils)"
	apt-get "${aopt[@]}" update -qq >/dev/null
	ver=$(apt-cache "${aopt[@]}" show --no-all-versions ktls-utils |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || { log "ktls-utils not found in trixie"; exit 1; }
	dst=$TLSHD_ROOT/$ver
	if [ ! -f "$dst/.complete" ]; then
		log "downloading ktls-utils $ver (trixie)"
		rm -f "$priv/dl/"ktls-utils_*.deb
		(cd "$priv/dl" && apt-get "${aopt[@]}" download -qq "ktls-utils=$ver" >/dev/null)
		rm -rf "$dst"
		mkdir -p "$dst"
		dpkg -x "$priv"/dl/ktls-utils_*.deb "$dst"
		rm -f "$priv/dl/"ktls-utils_*.deb
		touch "$dst/.complete"
	fi
fi
# Renamed into place: a concurrent "make deps" may be reading it.
tlshd_env >"$TLSHD_ROOT/env.$$" && mv -f "$TLSHD_ROOT/env.$$" "$TLSHD_ROOT/env"
# shellcheck disable=SC1091
. "$TLSHD_ROOT/env"
# Its libraries must resolve against bookworm's (installed above).
if ! tv=$("$TLSHD" -v 2>&1); then
	log "$TLSHD does not run: $tv"
	ldd "$TLSHD" | grep 'not found' >&2 || true
	exit 1
fi
log "tlshd: $TLSHD ($tv)"

# shellcheck disable=SC1090,SC1091
log "ok: $(. "$KDIR_ROOT/6.12.env"; echo "$KVER"), $(. "$KDIR_ROOT/6.1.env"; echo "$KVER")"
