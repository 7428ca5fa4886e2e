#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - what "make demo" shows, run inside the test VM with kwik.ko
# loaded:
#
#	  kwc (client)                                   kws1 (server)
#	  service 7  path 1 -- link 1 10.0.1.0/24 -----> listener 10.0.1.2:7000
#	             path 2 -- link 2 10.0.2.0/24 -----> listener 10.0.2.2:7000
#	  kwik_xfer client     (netem: 20 Mbit/s and      kwik_xfer server
#	                        10 Mbit/s, 5 ms each way)
#
# Both paths are TLS 1.3 (tlshd in each namespace, a throwaway test CA)
# when tlshd is there, plaintext otherwise (the demo says which).  A
# random file goes client -> server and another server -> client over one
# AF_KWIK socket each, striped over both paths; the demo prints the path
# tables with the bytes each path carried, then checks the SHA-256 of
# what arrived against what was sent.
set -eu
. "$(dirname "$0")/../lib.sh"

SVC=7
PORT=7000
XFER=$KWIK_BIN/kwik_xfer
SIZE_KIB=${KWIK_DEMO_KIB:-8192}
TMP=$(mktemp -d /tmp/kwik-demo.XXXXXX)
export KWIK_TLSHD_RUN=$TMP/tlshd	# lib.sh: tlshd logs and pid files
trap 'kwik_tlshd_stop_all || true; kwik_topo_cleanup; rm -rf "$TMP"' EXIT

step() { printf '\n=== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

for f in "$KWIKCTL" "$XFER"; do
	[ -x "$f" ] || { echo "demo: $f not built"; exit 1; }
done
[ -d /sys/module/kwik ] || { echo "demo: kwik.ko not loaded"; exit 1; }

step "kernel $(uname -r); kwik.ko loaded, AF_KWIK = $(kwik_family)"
kwik_topo_multilink 2 "delay 5ms rate 20mbit" "delay 5ms rate 10mbit"
echo "namespaces: kwc (client) and kws1 (server) joined by two links:"
echo "  link 1 10.0.1.0/24, 20 Mbit/s; link 2 10.0.2.0/24, 10 Mbit/s; 5 ms each way"

SEC=(insecure) why=$(kwik_tls_skip_reason)
if [ -z "$why" ]; then
	step "TLS: a test CA, srv-a.example's certificate, one tlshd per namespace"
	kwik_tls_certs "$TMP/pki" >/dev/null
	kwik_tlshd_conf "$TMP/tlshd.conf" "$TMP/pki"
	kwik_tlshd_start kwc "$TMP/tlshd.conf"
	kwik_tlshd_start kws1 "$TMP/tlshd.conf"
	echo "tlshd $("$KWIK_TLSHD" -v 2>&1 | head -n 1) in kwc and kws1"
	SEC=(tls)
	CSEC=(tls peer-name srv-a.example)
else
	step "TLS not available ($why): plaintext paths"
	CSEC=(insecure)
fi

step "server: a Kwik listener per address in kws1"
show ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" "${SEC[@]}"
show ip netns exec kws1 "$KWIKCTL" listener add local "10.0.2.2:$PORT" "${SEC[@]}"
show ip netns exec kws1 "$KWIKCTL" listener show

step "client: service $SVC and one path per link in kwc"
show ip netns exec kwc "$KWIKCTL" service add "$SVC"
show ip netns exec kwc "$KWIKCTL" path add service "$SVC" remote "10.0.1.2:$PORT" "${CSEC[@]}"
show ip netns exec kwc "$KWIKCTL" path add service "$SVC" remote "10.0.2.2:$PORT" "${CSEC[@]}"
kwik_wait_path_up kwc 1 30
kwik_wait_path_up kwc 2 30
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

# While a transfer runs, show the live session once, with -d: where its
# stream stands and what it has sent on each path so far.
session_snapshot() {
	kwik_poll 20 eval "ip netns exec kwc '$KWIKCTL' -j session show | grep -q '\"id\"'" || true
	show ip netns exec kwc "$KWIKCTL" -d session show || true
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

step "state after the transfers: bytes per path (TX/RX are session payload)"
show ip netns exec kwc "$KWIKCTL" path show
echo "share of the payload per path (both directions):"
ip netns exec kwc "$KWIKCTL" -j path show | python3 -c '
import json, sys
paths = json.load(sys.stdin)
tot = sum(p["stats"]["tx_bytes"] + p["stats"]["rx_bytes"] for p in paths) or 1
for p in paths:
    b = p["stats"]["tx_bytes"] + p["stats"]["rx_bytes"]
    print("  path %d (%s, %s): %d bytes, %.0f%%" %
          (p["id"], p["remote"], p["security"], b, 100.0 * b / tot))'

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
