#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - what "make demo" shows, run inside the test VM with kwik.ko
# loaded:
#
#	  kwc (client)                                  kws1 (server)
#	  service 7, path 1 -- veth 10.0.1.0/24 ------> listener 10.0.1.2:7000
#	  kwik_xfer client       (netem: 5 ms each way,  kwik_xfer server
#	                          100 Mbit/s)
#
# A random file goes client -> server and another server -> client over
# AF_KWIK; the demo prints the path, listener and session tables and
# checks the SHA-256 of what arrived against what was sent.
set -eu
. "$(dirname "$0")/../lib.sh"

SVC=7
PORT=7000
XFER=$KWIK_BIN/kwik_xfer
SIZE_KIB=${KWIK_DEMO_KIB:-8192}
TMP=$(mktemp -d /tmp/kwik-demo.XXXXXX)
trap 'kwik_topo_cleanup; rm -rf "$TMP"' EXIT

step() { printf '\n=== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

for f in "$KWIKCTL" "$XFER"; do
	[ -x "$f" ] || { echo "demo: $f not built"; exit 1; }
done
[ -d /sys/module/kwik ] || { echo "demo: kwik.ko not loaded"; exit 1; }

step "kernel $(uname -r); kwik.ko loaded, AF_KWIK = $(kwik_family)"
kwik_topo_setup 1 "delay 5ms rate 100mbit"
echo "namespaces: kwc (client, 10.0.1.1) and kws1 (server, 10.0.1.2), netem 5 ms each way, 100 Mbit/s"

step "server: a Kwik listener in kws1"
show ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" insecure
show ip netns exec kws1 "$KWIKCTL" listener show

step "client: service $SVC and one path to the server in kwc"
show ip netns exec kwc "$KWIKCTL" service add "$SVC"
show ip netns exec kwc "$KWIKCTL" path add service "$SVC" remote "10.0.1.2:$PORT" insecure
kwik_wait_path_up kwc 1 30
show ip netns exec kwc "$KWIKCTL" path show

head -c $((SIZE_KIB * 1024)) /dev/urandom >"$TMP/up.src"
head -c $((SIZE_KIB * 1024)) /dev/urandom >"$TMP/down.src"

# server ARGS...: kwik_xfer server in kws1 for one session, waits for it.
SRV=
server() {
	rm -f "$TMP/ready"
	ip netns exec kws1 "$XFER" server -s "$SVC" -c 1 -t 120 \
		--ready "$TMP/ready" "$@" >"$TMP/srv.out" 2>&1 &
	SRV=$!
	kwik_poll 10 test -e "$TMP/ready" || { cat "$TMP/srv.out"; exit 1; }
}

# While a transfer runs, show the live session table once.
session_snapshot() {
	kwik_poll 20 eval "ip netns exec kwc '$KWIKCTL' -j session show | grep -q '\"id\"'" || true
	show ip netns exec kwc "$KWIKCTL" session show || true
}

step "client -> server: $SIZE_KIB KiB over AF_KWIK (kwik_xfer -f kwik)"
server -o "$TMP/up.dst"
t0=$(date +%s%N)
ip netns exec kwc "$XFER" client -s "$SVC" -t 120 -i "$TMP/up.src" --shutdown \
	>"$TMP/cli.out" 2>&1 &
cli=$!
session_snapshot
wait $cli || { cat "$TMP/cli.out" "$TMP/srv.out"; exit 1; }
wait "$SRV" || { cat "$TMP/srv.out"; exit 1; }
t1=$(date +%s%N)
cat "$TMP/cli.out"
echo "$(stat -c %s "$TMP/up.dst") bytes in $(((t1 - t0) / 1000000)) ms"

step "server -> client: $SIZE_KIB KiB"
server -m source -i "$TMP/down.src"
t0=$(date +%s%N)
ip netns exec kwc "$XFER" client -s "$SVC" -t 120 -m recv -o "$TMP/down.dst" \
	>"$TMP/cli.out" 2>&1 || { cat "$TMP/cli.out" "$TMP/srv.out"; exit 1; }
wait "$SRV" || { cat "$TMP/srv.out"; exit 1; }
t1=$(date +%s%N)
cat "$TMP/cli.out"
echo "$(stat -c %s "$TMP/down.dst") bytes in $(((t1 - t0) / 1000000)) ms"

step "state after the transfers"
show ip netns exec kwc "$KWIKCTL" path show
show ip netns exec kwc "$KWIKCTL" session show
show ip netns exec kws1 "$KWIKCTL" listener show

step "integrity (SHA-256)"
rc=0
for d in up down; do
	a=$(kwik_sha256 "$TMP/$d.src") b=$(kwik_sha256 "$TMP/$d.dst" 2>/dev/null || echo missing)
	if [ "$a" = "$b" ]; then
		echo "$d: sent $a, received $b: match"
	else
		echo "$d: sent $a, received $b: MISMATCH"
		rc=1
	fi
done
exit $rc
