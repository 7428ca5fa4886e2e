#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh - the DKMS package installs a module that modprobe loads.
#
# "make check" runs dkms add/build/install for the test kernel on the host
# into scratch trees (selftests/vm/dkms-prep.sh) and the VM runner places
# the result under /lib/modules/$(uname -r)/updates/dkms with depmod's
# index.  Here: modprobe must pick that module, load it, and rmmod it;
# socket(AF_KWIK) and kwikctl must load it on demand.
# The runner's own kwik.ko is put back afterwards for the later tests.
set -eu
. "$(dirname "$0")/lib.sh"

kver=$(uname -r)
dko=$(find "/lib/modules/$kver/updates/dkms" -name 'kwik.ko*' 2>/dev/null | head -n 1)
[ -n "$dko" ] || ktap_skip_all "no DKMS-installed kwik.ko for $kver (run via make check)"

ktap_plan 8
was_loaded=
[ -d /sys/module/kwik ] && was_loaded=1
restore() {
	if [ -n "$was_loaded" ] && [ ! -d /sys/module/kwik ] && [ -n "${KWIK_KO:-}" ]; then
		insmod "$KWIK_KO" || ktap_diag "could not re-insmod $KWIK_KO"
	fi
}
trap restore EXIT

ktap_check "modinfo resolves kwik to the DKMS module" \
	test "$(modinfo -n kwik 2>&1)" = "$dko"
ktap_check "unload the runner's kwik.ko" kwik_rmmod
ktap_check "modprobe kwik" modprobe -v kwik
same_module() {
	local want got
	# srcversion exists when the module has MODULE_VERSION.
	want=$(modinfo -F srcversion "$dko")
	got=$(cat /sys/module/kwik/srcversion 2>/dev/null || true)
	echo "loaded srcversion '${got}', DKMS module '${want}'"
	[ "$want" = "$got" ] || return 1
	[ -d /sys/module/kwik ]
}
loaded_from_dkms() {
	local line
	# modprobe -v names the file it inserts.
	line=$(kwik_rmmod && modprobe -v kwik 2>&1 | grep insmod)
	echo "$line"
	[[ $line == *"$dko"* ]]
}
ktap_check "modprobe loaded the DKMS module" same_module
ktap_check "modprobe -v inserts $dko" loaded_from_dkms
fam=$(kwik_family 2>/dev/null || echo 0)

# Autoload: socket(AF_KWIK) through MODULE_ALIAS_NETPROTO (net-pf-N), and
# kwikctl through the generic netlink family alias.
socket_autoloads() {
	kwik_rmmod || return 1
	python3 -c 'import socket, sys
socket.socket(int(sys.argv[1]), socket.SOCK_STREAM).close()' "$fam" || return 1
	[ -d /sys/module/kwik ]
}
kwikctl_autoloads() {
	kwik_rmmod || return 1
	ip netns add kwik-dkms && ip netns exec kwik-dkms "$KWIKCTL" path show
	local rc=$?
	ip netns del kwik-dkms 2>/dev/null
	[ $rc -eq 0 ] && [ -d /sys/module/kwik ]
}
ktap_check "socket(AF_KWIK = $fam) autoloads kwik" socket_autoloads
if [ -x "$KWIKCTL" ]; then
	ktap_check "kwikctl autoloads kwik (genl family alias)" kwikctl_autoloads
else
	ktap_skip "kwikctl autoloads kwik (genl family alias)" "kwikctl not built"
fi
ktap_check "rmmod kwik" kwik_rmmod
ktap_finish
