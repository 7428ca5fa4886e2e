#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sockapi.sh - AF_KWIK socket API semantics (errno by errno, like TCP).
#
#	  kwc                                           kws1
#	  kwik_sockapi client                           kwik_sockapi server -s 7
#	    service 7: path 1 ------ veth ------------> listener 10.0.1.2:7000
#	    service 8: path 2 (same server; nobody bound to 8 there)
#	    service 9: no path at all
#
# kwik_sockapi measures each misuse case on plain TCP first (in kwc, over
# loopback) and expects the same errno from AF_KWIK; its TAP output is
# nested here as one point.
set -u
. "$(dirname "$0")/lib.sh"

PORT=7000
API=$KWIK_BIN/kwik_sockapi

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$API"

TMP=$(mktemp -d /tmp/kwik-sockapi.XXXXXX)
cleanup() {
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT


kwik_topo_setup 1 || ktap_skip_all "topology setup failed"
ip netns exec kwc "$KWIKCTL" path show >/dev/null 2>&1 ||
	ktap_skip_all "kwikctl cannot talk to kwik.ko"
ktap_plan 5

setup_paths() {
	ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" service add 7 &&
	ip netns exec kwc "$KWIKCTL" service add 8 &&
	ip netns exec kwc "$KWIKCTL" path add service 7 remote "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" path add service 8 remote "10.0.1.2:$PORT" insecure &&
	kwik_wait_path_up kwc 1 20 && kwik_wait_path_up kwc 2 20
}
ktap_check "paths for services 7 and 8 up" setup_paths

start_peer() {
	ip netns exec kws1 "$API" server -s 7 --ready "$TMP/ready" \
		>"$TMP/peer.out" 2>&1 &
	kwik_poll 10 test -e "$TMP/ready" || { cat "$TMP/peer.out"; return 1; }
}
ktap_check "kwik_sockapi peer listens on service 7 in kws1" start_peer

rc=0
ip netns exec kwc timeout -k 5 240 "$API" client -s 7 -r 8 -u 9 -b 40000 \
	>"$TMP/api.out" 2>&1 || rc=$?
sed 's/^/    /' "$TMP/api.out"
if [ $rc -eq 0 ]; then
	ktap_ok "kwik_sockapi: $(grep -c '^ok' "$TMP/api.out") cases pass"
else
	ktap_diag "failed cases:"
	ktap_diag "$(grep '^not ok' "$TMP/api.out")"
	ktap_fail "kwik_sockapi (exit $rc)"
fi

# The peer never crashed or exited on its own.
ktap_check "peer still alive after the cases" \
	bash -c "ip netns pids kws1 | grep -q ."

# Once the peer is gone, no session may linger in either namespace.
no_sessions() {
	ip netns exec "$1" "$KWIKCTL" -j session show | python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict):
    d = d.get("sessions", d.get("session", []))
sys.exit(1 if d else 0)'
}
sessions_gone() {
	kwik_ns_kill kws1
	if kwik_poll 20 no_sessions kwc && kwik_poll 20 no_sessions kws1; then
		return 0
	fi
	echo "client: $(ip netns exec kwc "$KWIKCTL" session show 2>&1 | head -n 20)"
	echo "server: $(ip netns exec kws1 "$KWIKCTL" session show 2>&1 | head -n 20)"
	return 1
}
ktap_check "no session left after the peer exits" sessions_gone

ktap_finish
