#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smoke.sh - the test environment works: namespaces, veth, netem, and
# kwik.ko is loaded and publishes its address family.
#
#	kwc (10.0.1.1) ---- veth, netem delay 5ms each way ---- kws1 (10.0.1.2)
set -eu
. "$(dirname "$0")/lib.sh"

ktap_plan 5
trap kwik_topo_cleanup EXIT

ktap_check "topology: 1 server over veth" kwik_topo_setup 1
ktap_check "netem on the link" kwik_link_netem 1 "delay 5ms"
rtt_ok() {
	local rtt
	rtt=$(ip netns exec kwc ping -c 3 -i 0.2 -q 10.0.1.2 |
		sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p')
	echo "avg rtt ${rtt:-?} ms"
	awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 9.5) }'
}
ktap_check "netem delay shows in the RTT (>= 10 ms)" rtt_ok

if [ -d /sys/module/kwik ]; then
	ktap_check "kwik.ko publishes its family" \
		test -r /sys/module/kwik/parameters/family
	fam=$(kwik_family 2>/dev/null || echo "?")
	ktap_diag "AF_KWIK = $fam"
else
	ktap_skip "kwik.ko publishes its family" "kwik.ko not loaded"
fi
if [ ! -x "$KWIKCTL" ]; then
	ktap_skip "kwikctl runs in a namespace" "kwikctl not built"
elif [ ! -d /sys/module/kwik ]; then
	ktap_skip "kwikctl runs in a namespace" "kwik.ko not loaded"
else
	ktap_check "kwikctl runs in a namespace" ip netns exec kwc "$KWIKCTL" path show
fi
ktap_finish
