#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# concurrency.sh - many AF_KWIK sessions multiplexed over one path.
#
#	  kwc: kwik_xfer client -P 128        kws1: kwik_xfer server -c 128
#	  path 1: 10.0.1.1 ---- veth (tcp, insecure) ---- 10.0.1.2:7000
#
# Every session carries its own deterministic data (seeded by its index),
# verified byte by byte at the receiver; the aggregate digests of both ends
# must match, and afterwards no session may be left in the kernel.
set -u
. "$(dirname "$0")/lib.sh"

SVC=7
PORT=7000
XFER=$KWIK_BIN/kwik_xfer

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$XFER"

TMP=$(mktemp -d /tmp/kwik-concurrency.XXXXXX)
cleanup() {
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

# many DESC N BYTES SERVER_ARGS... -- CLIENT_ARGS...
many() {
	local desc=$1 n=$2 bytes=$3 sargs=() cargs=() crc=0 src=0 why='' spid
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	cargs=("$@")
	rm -f "$TMP/ready"
	ip netns exec kws1 "$XFER" server -s "$SVC" -q -t 150 -c "$n" \
		--ready "$TMP/ready" "${sargs[@]}" >"$TMP/srv.out" 2>&1 &
	spid=$!
	if ! kwik_poll 10 test -e "$TMP/ready"; then
		ktap_diag "server did not start: $(cat "$TMP/srv.out")"
		kill "$spid" 2>/dev/null
		wait "$spid"
		ktap_fail "$desc"
		return
	fi
	ip netns exec kwc timeout -k 5 150 "$XFER" client -s "$SVC" -q -t 140 \
		-P "$n" -b "$bytes" "${cargs[@]}" >"$TMP/cli.out" 2>&1 || crc=$?
	wait "$spid" || src=$?
	local cs ss cf sf
	cs=$(kwik_field "$TMP/cli.out" sessions) ss=$(kwik_field "$TMP/srv.out" sessions)
	cf=$(kwik_field "$TMP/cli.out" failed) sf=$(kwik_field "$TMP/srv.out" failed)
	if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
		why="client exit $crc, server exit $src"
	elif [ "$cs" != "$n" ] || [ "$ss" != "$n" ] || [ "$cf" != 0 ] || [ "$sf" != 0 ]; then
		why="sessions: client $cs (failed $cf), server $ss (failed $sf), wanted $n"
	elif [ "$(kwik_field "$TMP/cli.out" tx_fnv)" != "$(kwik_field "$TMP/srv.out" rx_fnv)" ] ||
	     [ "$(kwik_field "$TMP/cli.out" rx_fnv)" != "$(kwik_field "$TMP/srv.out" tx_fnv)" ]; then
		why="aggregate digests differ"
	elif [ "$(kwik_field "$TMP/cli.out" tx)" != "$(kwik_field "$TMP/srv.out" rx)" ] ||
	     [ "$(kwik_field "$TMP/cli.out" rx)" != "$(kwik_field "$TMP/srv.out" tx)" ]; then
		why="byte counts differ"
	fi
	if [ -z "$why" ]; then
		ktap_diag "$(cat "$TMP/cli.out")"
		ktap_ok "$desc"
	else
		ktap_diag "$why"
		ktap_diag "client: $(head -c 4000 "$TMP/cli.out")"
		ktap_diag "server: $(head -c 4000 "$TMP/srv.out")"
		ktap_fail "$desc"
	fi
}

# no_sessions NS: "kwikctl session show" lists nothing in NS.
no_sessions() {
	ip netns exec "$1" "$KWIKCTL" -j session show | python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict):
    d = d.get("sessions", d.get("session", []))
sys.exit(1 if d else 0)'
}
sessions_gone() {
	if kwik_poll 20 no_sessions kwc && kwik_poll 20 no_sessions kws1; then
		return 0
	fi
	echo "client: $(ip netns exec kwc "$KWIKCTL" session show 2>&1 | head -n 20)"
	echo "server: $(ip netns exec kws1 "$KWIKCTL" session show 2>&1 | head -n 20)"
	return 1
}

kwik_topo_setup 1 || ktap_skip_all "topology setup failed"
ip netns exec kwc "$KWIKCTL" path show >/dev/null 2>&1 ||
	ktap_skip_all "kwikctl cannot talk to kwik.ko"
ktap_plan 8

setup_path() {
	ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" service add "$SVC" &&
	ip netns exec kwc "$KWIKCTL" path add service "$SVC" \
		remote "10.0.1.2:$PORT" insecure &&
	kwik_wait_path_up kwc 1 20
}
ktap_check "listener, service $SVC and path 1 up" setup_path

many "128 sessions x 256K echo, a thread per session" 128 256K \
	-m echo -- -m echo
many "128 sessions x 256K client->server, non-blocking poll loop" 128 256K \
	--nonblock -m sink -- -m send --shutdown --nonblock
many "128 sessions x 256K server->client, non-blocking poll loop" 128 256K \
	--nonblock -m source -- -m recv --nonblock
many "512 sessions x 1K echo, opened at once" 512 1K \
	--nonblock -m echo -- -m echo --nonblock
ktap_check "no session left in either namespace" sessions_gone

# The path carried all of them: still up, and carrying none now.
path_idle() {
	[ "$(kwik_path_state kwc 1)" = up ] || { echo "path 1 state $(kwik_path_state kwc 1)"; return 1; }
}
ktap_check "path 1 still up" path_idle

# Sessions stay independent: a session whose receiver never reads must
# not stall another session on the same path (per-session flow control).
# The stuck one: kwik_xfer --raw sends 'N' (kwik_sockapi's "never read"
# command) and then 8 MiB.
stall_case() {
	local hpid spid cpid rc=0
	rm -f "$TMP/ready" "$TMP/ready2"
	ip netns exec kws1 "$KWIK_BIN/kwik_sockapi" server -s 8 \
		--ready "$TMP/ready2" >"$TMP/hold.out" 2>&1 &
	hpid=$!
	ip netns exec kws1 "$XFER" server -s "$SVC" -q -t 100 -c 1 \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	spid=$!
	if ! kwik_poll 10 test -e "$TMP/ready" || ! kwik_poll 10 test -e "$TMP/ready2"; then
		echo "servers did not start"
		kill "$hpid" "$spid" 2>/dev/null
		wait
		return 1
	fi
	# 'N' then 8 MiB into a session nobody reads: it fills and blocks.
	printf 'N' >"$TMP/n"
	head -c $((8 << 20)) /dev/zero >>"$TMP/n"
	ip netns exec kwc "$XFER" client -s 8 --raw -i "$TMP/n" -t 30 -q \
		>"$TMP/stuck.out" 2>&1 &
	cpid=$!
	# meanwhile 16 MiB on another session must go through
	ip netns exec kwc timeout -k 5 60 "$XFER" client -s "$SVC" -t 50 -q \
		-b 16M --shutdown >"$TMP/cli.out" 2>&1 || rc=$?
	wait "$spid" || rc=$?
	kill "$cpid" "$hpid" 2>/dev/null
	wait "$cpid" "$hpid" 2>/dev/null
	cat "$TMP/cli.out" "$TMP/srv.out"
	return "$rc"
}
ip netns exec kwc "$KWIKCTL" service add 8 >/dev/null 2>&1
ip netns exec kwc "$KWIKCTL" path add service 8 remote "10.0.1.2:$PORT" insecure >/dev/null 2>&1
kwik_wait_path_up kwc 2 20 >/dev/null
ktap_check "a session nobody reads does not stall another one on the same path" stall_case

ktap_finish
