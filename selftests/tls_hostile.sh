#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tls_hostile.sh - a TLS peer that turns bad mid-stream: the path it
# serves fails with the error kTLS reports, the session goes on over the
# other path, byte-exact.
#
#	  kwc (client; tlshd)                       kws1 (server; tlshd)
#	  path 1 10.0.1.1 ------ link 1 ------ 10.0.1.2:7000 kwik listener (tls)
#	  path 2 10.0.2.1 ------ link 2 ------ 10.0.2.2:7100 kwik_tls_peer.py
#
# kwik_tls_peer.py (userspace TLS in Python) completes the handshake with
# the client's tlshd, answers HELLO and PINGs so path 2 comes up, never
# lets a session join, and once told to (a trigger file), mid-transfer:
#   close-notify  a TLS close_notify alert        -> path 2 down ECONNRESET
#   garbage       a record no key made, below TLS -> path 2 down EBADMSG
#   urgent        a valid record, its last byte
#                 sent as TCP urgent data         -> path 2 down EPROTO
# (in "kwikctl path show" and in the path-down event "kwikctl monitor"
# prints).
# A kwik_xfer echo session of 2 MiB each way over service 7 opens first
# and holds after half (--hold), however slow the machine; path 2 is
# added and comes up, then the hold is released and path 2 turns bad
# while the second half flows (link 1 is shaped to 5 Mbit/s so it takes
# seconds); the session must finish byte-exact.
set -u
. "$(dirname "$0")/lib.sh"

SVC=7
PORT=7000
PEERPORT=7100
XFER=$KWIK_BIN/kwik_xfer
PEER=$KWIK_LIB_DIR/kwik_tls_peer.py
SLOW=${KWIK_SLOW:-1}
BOUND=$((120 * SLOW))
BYTES=2M
BYTES_N=2097152

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$XFER" python3

TMP=$(mktemp -d /tmp/kwik-tlsh.XXXXXX)
KWIK_TLSHD_RUN=$TMP/tlshd	# lib.sh: where tlshd logs and pid files go
export KWIK_TLSHD_RUN
PEER_PID=
MON_PID=
cleanup() {
	[ -z "$PEER_PID" ] || kill "$PEER_PID" 2>/dev/null
	[ -z "$MON_PID" ] || kill "$MON_PID" 2>/dev/null
	kwik_tlshd_stop_all
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

kc() { ip netns exec "$1" "$KWIKCTL" "${@:2}"; }

# path_field NS ID KEY: one key of a path's JSON (empty if none).
path_field() {
	kc "$1" -j path show "$2" 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)[0]
print(p[sys.argv[1]] if p[sys.argv[1]] is not None else "")' "$3"
}
_path_down_with() { [ "$(path_field kwc "$1" state)" = down ] &&
		    [ "$(path_field kwc "$1" error_name)" = "$2" ]; }

_mon_joined() {
	# shellcheck disable=SC2016 # awk program
	ip netns exec kwc awk -v p="$1" '$2 == 16 && $3 % 4194304 == p &&
		$4 != "00000000" { f = 1 } END { exit !f }' /proc/net/netlink
}

MODES="close-notify:ECONNRESET garbage:EBADMSG urgent:EPROTO"
ktap_plan 12

why=$(kwik_tls_skip_reason)
if [ -n "$why" ]; then
	for m in $MODES; do
		ktap_skip "${m%%:*}: bad path up during the transfer" "$why"
		ktap_skip "${m%%:*}: bad path down with ${m#*:} (path show, event)" "$why"
		ktap_skip "${m%%:*}: session byte-exact over the good path" "$why"
		ktap_skip "${m%%:*}: good path still up, no session left" "$why"
	done
	ktap_finish
fi

setup() {
	kwik_topo_multilink 2 "rate 5mbit delay 2ms" "" &&
	kwik_tls_certs "$TMP/pki" >/dev/null &&
	kwik_tlshd_conf "$TMP/tlshd.conf" "$TMP/pki" &&
	kwik_tlshd_start kwc "$TMP/tlshd.conf" &&
	kwik_tlshd_start kws1 "$TMP/tlshd.conf" &&
	kc kws1 listener add local "10.0.1.2:$PORT" tls >/dev/null &&
	kc kwc service add "$SVC" >/dev/null || return 1
	kc kwc monitor >"$TMP/mon" 2>&1 &
	MON_PID=$!
	# Its netlink socket (port = pid in the low 22 bits) has joined a
	# group; group IDs above 31 do not show, so this may time out, and
	# path 1's path-up event below is the real proof.
	kwik_poll 5 _mon_joined "$MON_PID"
	kc kwc path add service "$SVC" id 1 remote "10.0.1.2:$PORT" \
		tls peer-name srv-a.example >/dev/null &&
	kwik_wait_path_up kwc 1 $((30 * SLOW)) &&
	kwik_poll 10 grep -q "^path-up id 1 " "$TMP/mon"
}

# one MODE ERRNO: the four checks of one misbehaviour.
one() {
	local mode=$1 want=$2 trig=$TMP/trigger.$1 go=$TMP/go.$1 spid cpid
	local crc=0 src=0 n=0
	rm -f "$trig" "$go" "$TMP/ready"
	ip netns exec kws1 python3 "$PEER" "10.0.2.2:$PEERPORT" \
		"$TMP/pki/srv.pem" "$TMP/pki/srv.key" "$mode" "$trig" \
		>"$TMP/peer.out" 2>&1 &
	PEER_PID=$!
	kwik_poll 10 grep -q listening "$TMP/peer.out"

	# The session opens over path 1 alone: the peer never answers an
	# OPEN, and a session's OPEN is not retried on another path (yet).
	ip netns exec kws1 "$XFER" server -s "$SVC" -c 1 -t "$BOUND" \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/ready"
	ip netns exec kwc timeout -k 5 "$BOUND" "$XFER" client -s "$SVC" \
		-m echo -b "$BYTES" -t "$BOUND" --hold "$go" -q \
		>"$TMP/cli.out" 2>&1 &
	cpid=$!
	kwik_poll $((20 * SLOW)) eval \
		"kc kwc -j session show | grep -q '\"established\"'"

	kc kwc path add service "$SVC" id 2 remote "10.0.2.2:$PEERPORT" \
		tls peer-name srv-a.example no-reconnect >/dev/null
	if kwik_wait_path_up kwc 2 $((30 * SLOW)) && kill -0 "$cpid" 2>/dev/null; then
		ktap_ok "$mode: bad path up during the transfer"
	else
		ktap_diag "peer: $(cat "$TMP/peer.out")"
		kill -0 "$cpid" 2>/dev/null || ktap_diag "the client exited"
		ktap_fail "$mode: bad path up during the transfer"
	fi

	touch "$go" "$trig"

	ev="path-down id 2 service $SVC remote 10.0.2.2:$PEERPORT state down error $want"
	if kwik_poll $((20 * SLOW)) _path_down_with 2 "$want" &&
	   kwik_poll 10 grep -qx "$ev" "$TMP/mon"; then
		ktap_ok "$mode: bad path down with $want (path show, event)"
	else
		ktap_diag "path 2: state $(path_field kwc 2 state)," \
			"error $(path_field kwc 2 error_name); peer: $(cat "$TMP/peer.out")"
		ktap_diag "events: $(cat "$TMP/mon")"
		ktap_fail "$mode: bad path down with $want (path show, event)"
	fi

	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	if [ $crc -eq 0 ] && [ $src -eq 0 ] &&
	   [ "$(kwik_field "$TMP/cli.out" tx)" = "$BYTES_N" ] &&
	   [ "$(kwik_field "$TMP/cli.out" rx)" = "$BYTES_N" ] &&
	   [ "$(kwik_field "$TMP/cli.out" tx_fnv)" = "$(kwik_field "$TMP/srv.out" rx_fnv)" ] &&
	   [ "$(kwik_field "$TMP/cli.out" rx_fnv)" = "$(kwik_field "$TMP/srv.out" tx_fnv)" ]; then
		ktap_ok "$mode: session byte-exact over the good path"
	else
		ktap_diag "client exit $crc: $(cat "$TMP/cli.out")"
		ktap_diag "server exit $src: $(cat "$TMP/srv.out")"
		ktap_fail "$mode: session byte-exact over the good path"
	fi

	n=$(kc kwc -j session show | grep -o '"id"' | wc -l)
	if [ "$(path_field kwc 1 state)" = up ] && [ "$n" -eq 0 ]; then
		ktap_ok "$mode: good path still up, no session left"
	else
		ktap_diag "path 1 $(path_field kwc 1 state), $n sessions"
		ktap_fail "$mode: good path still up, no session left"
	fi
	kc kwc path del 2 >/dev/null
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	PEER_PID=
}

if ! setup; then
	ktap_diag "setup failed: $(kc kwc path show 2>&1)"
	for m in $MODES; do
		for c in "bad path up" "bad path down" "session byte-exact" "good path up"; do
			ktap_fail "${m%%:*}: $c"
		done
	done
	ktap_finish
fi
for m in $MODES; do
	one "${m%%:*}" "${m#*:}"
done
ktap_finish
