#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kwikctl.sh - kwikctl end to end against kwik.ko: exact table and JSON
# output, error messages and exit codes, per-namespace isolation, and
# the events seen by "kwikctl monitor".
#
#	+-----+ kwc-1  10.0.1.1 --- veth --- 10.0.1.2  kws1-0 +------+
#	| kwc |  service 7, paths 3 and 6                     | kws1 | listener 5
#	+-----+                                              +------+  on :7000
#
#	+---------+   +---------+
#	| kwctl-a |   | kwctl-b |   bare namespaces: what a adds, b never sees
#	+---------+   +---------+
#
# Expected text output is spelled out literally below on purpose: the
# column layout is part of what is tested.
# shellcheck disable=SC2317 # helpers are called indirectly (traps, polls)
set -u
. "$(dirname "$0")/lib.sh"

NSA=kwctl-a
NSB=kwctl-b
TMP=
MON_PID=
MONJ_PID=

kwik_require_cmd python3 ip setpriv
kwik_require_module
[ -x "$KWIKCTL" ] || ktap_skip_all "kwikctl not built ($KWIKCTL)"

cleanup() {
	local pid
	for pid in $MON_PID $MONJ_PID ${CLI_PID:-} ${SRV_PID:-}; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	kwik_topo_cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	[ -z "$TMP" ] || rm -rf "$TMP"
	return 0
}
trap cleanup EXIT

TMP=$(mktemp -d)
OUT=$TMP/out
ERR=$TMP/err
RC=0

# kc NS ARGS...: kwikctl in NS; stdout in $OUT, stderr in $ERR, exit in $RC.
kc() {
	local ns=$1
	shift
	RC=0
	ip netns exec "$ns" "$KWIKCTL" "$@" >"$OUT" 2>"$ERR" || RC=$?
}

# Show what kwikctl did, for a failed check.
kc_diag() {
	ktap_diag "exit $RC; stdout:"
	ktap_diag "$(cat "$OUT")"
	ktap_diag "stderr:"
	ktap_diag "$(cat "$ERR")"
}

# check_out DESC RC EXPECTED NS ARGS...: exit code and stdout exactly.
check_out() {
	local desc=$1 want_rc=$2 want=$3
	shift 3
	kc "$@"
	if [ "$RC" = "$want_rc" ] && [ "$(cat "$OUT")" = "$want" ]; then
		ktap_ok "$desc"
	else
		ktap_diag "expected exit $want_rc, stdout:"
		ktap_diag "$want"
		kc_diag
		ktap_fail "$desc"
	fi
}

# check_err DESC RC EXPECTED NS ARGS...: exit code and stderr's first line
# exactly, nothing on stdout.
check_err() {
	local desc=$1 want_rc=$2 want=$3
	shift 3
	kc "$@"
	if [ "$RC" = "$want_rc" ] && [ "$(head -n1 "$ERR")" = "$want" ] &&
	   [ ! -s "$OUT" ]; then
		ktap_ok "$desc"
	else
		ktap_diag "expected exit $want_rc, stderr: $want"
		kc_diag
		ktap_fail "$desc"
	fi
}

# check_json DESC EXPECTED NS ARGS...: stdout parses as JSON and every
# object of the EXPECTED array matches the one at the same position on
# the keys it names (an empty EXPECTED array: output must be []).
# With $JSON_KEYS set, each object must also have exactly those keys.
check_json() {
	local desc=$1 want=$2
	shift 2
	kc "$@"
	if [ "$RC" = 0 ] && python3 - "$want" "${JSON_KEYS:-}" "$OUT" <<'EOF'
import json, sys
want = json.loads(sys.argv[1])
keys = sys.argv[2].split()
with open(sys.argv[3]) as f:
    got = json.load(f)
if not isinstance(got, list) or len(got) != len(want):
    sys.exit("want %d objects, got %r" % (len(want), got))
for w, g in zip(want, got):
    for k, v in w.items():
        if g.get(k, "<absent>") != v:
            sys.exit("key %s: want %r, got %r" % (k, v, g.get(k, "<absent>")))
    if keys and sorted(g) != sorted(keys):
        sys.exit("keys: want %s, got %s" % (sorted(keys), sorted(g)))
EOF
	then
		ktap_ok "$desc"
	else
		kc_diag
		ktap_fail "$desc"
	fi
}

# wait_line FILE REGEX: until a line of FILE matches (monitor output).
_has_line() { grep -Eq "$2" "$1"; }
wait_line() {
	kwik_poll 10 _has_line "$1" "$2"
}

if ! { ip netns add "$NSA" && ip netns add "$NSB"; }; then
	ktap_skip_all "cannot create namespaces"
fi
ktap_plan 69

# Kwik's default congestion control for paths and listeners is bbr where
# the kernel has it (tcp_bbr), else the namespace's (the debug kernel of
# Documentation/debug-lane.rst has no bbr: that checks the fallback).
modprobe -q tcp_bbr 2>/dev/null
if grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
	DEFCC=bbr DEFCC_JSON='"bbr"' DEFTR=tcp/bbr
else
	DEFCC=$(cat /proc/sys/net/ipv4/tcp_congestion_control)
	DEFCC_JSON=null DEFTR=tcp
fi
DEFTR=$(printf '%-9s' "$DEFTR")
ktap_diag "default congestion control of paths: $DEFCC"

# ---- usage, no kernel involved --------------------------------------------

out=$("$KWIKCTL" --help 2>&1)
rc=$?
if [ $rc = 0 ] && [[ $out == Usage:* ]]; then
	ktap_ok "--help prints usage, exit 0"
else
	ktap_fail "--help prints usage, exit 0"
fi
# shellcheck disable=SC2016 # $1 is sh's
ktap_check "-V prints the version" sh -c '"$1" -V | grep -q "^kwikctl "' _ "$KWIKCTL"

RC=0
"$KWIKCTL" frobnicate >"$OUT" 2>"$ERR" || RC=$?
if [ $RC = 2 ] && grep -q 'Error: unknown object "frobnicate"' "$ERR"; then
	ktap_ok "unknown object: usage error, exit 2"
else
	kc_diag
	ktap_fail "unknown object: usage error, exit 2"
fi

check_err "path add without remote: exit 2" 2 \
	'Error: path add needs "remote ADDR:PORT"' \
	"$NSA" path add service 1
check_err "path add with weight 0: exit 2" 2 \
	'Error: invalid weight "0" (1..1000)' \
	"$NSA" path add service 1 remote 10.0.0.1:1 weight 0
check_err "path add with a remote without port: exit 2" 2 \
	'Error: invalid remote address "10.0.0.1" (ADDR:PORT, [ADDR6]:PORT)' \
	"$NSA" path add service 1 remote 10.0.0.1

# ---- a server with a listener ---------------------------------------------

ktap_check "topology: client and one server" kwik_topo_setup 1

check_out "server: service add" 0 "service 7 added" kws1 service add 7
check_out "server: listener add" 0 "listener 5 added" \
	kws1 listener add local 10.0.1.2:7000 insecure id 5
check_out "server: listener show, exact table" 0 \
"ID  LOCAL          TRANSPORT  SECURITY  STATE      PATHS  ERROR
5   10.0.1.2:7000  $DEFTR  insecure  listening  0      -" \
	kws1 listener show
JSON_KEYS="id local transport security key_serial cc state paths error error_name" \
check_json "server: listener show -j, exact JSON" \
	'[{"id": 5, "local": "10.0.1.2:7000", "transport": "tcp",
	   "security": "insecure", "key_serial": 0, "cc": '"$DEFCC_JSON"',
	   "state": "listening",
	   "paths": 0, "error": 0, "error_name": null}]' \
	kws1 -j listener show

# ---- the client: service, path, errors --------------------------------------

check_out "client: service add with name and match" 0 "service 7 added" \
	kwc service add 7 name web match 192.0.2.1:80
check_err "duplicate service: EEXIST message, exit 1" 1 \
	"Error: kwik: service already exists" kwc service add 7
check_err "service forward: not supported yet, exit 1" 1 \
	"Error: kwik: forwarding is not supported yet" \
	kwc service add 8 forward 127.0.0.1:8080
check_err "path for an unknown service: exit 1" 1 \
	"Error: kwik: service not found" \
	kwc path add service 99 remote 10.0.1.2:7000 insecure
check_out "client: path add" 0 "path 3 added" \
	kwc path add service 7 remote 10.0.1.2:7000 insecure weight 5 id 3
ktap_check "client: path 3 comes up" kwik_wait_path_up kwc 3 20
check_out "client: path show -n, exact table" 0 \
"ID  SERVICE  REMOTE         LOCAL  TRANSPORT  SECURITY  WEIGHT  PRIO     STATE  SESSIONS  TX  RX  ERROR
3   7        10.0.1.2:7000  -      $DEFTR  insecure  5       primary  up     0         0   0   -" \
	kwc -n path show
JSON_KEYS="id service remote local transport security weight priority no_reconnect peer_name key_serial handshake_timeout_ms cc state error error_name sessions stats" \
check_json "client: path show -j 3, keys and values" \
	'[{"id": 3, "service": 7, "remote": "10.0.1.2:7000", "local": null,
	   "transport": "tcp", "security": "insecure", "weight": 5,
	   "priority": "primary", "no_reconnect": false, "peer_name": null,
	   "key_serial": 0, "handshake_timeout_ms": 5000, "cc": '"$DEFCC_JSON"',
	   "state": "up",
	   "error": 0, "error_name": null,
	   "sessions": 0}]' \
	kwc -j path show 3
check_err "duplicate path id: exit 1" 1 \
	"Error: kwik: path ID already in use" \
	kwc path add service 7 remote 10.0.1.2:7001 insecure id 3
check_err "path show of a missing id: exit 1" 1 "Error: no such path" \
	kwc path show 99
check_err "service del while a path uses it: exit 1" 1 \
	"Error: kwik: service still has paths" kwc service del 7
check_out "client: service show, exact table" 0 \
"ID  NAME  MATCH         FORWARD  PATHS  SESSIONS
7   web   192.0.2.1:80  -        1      0" \
	kwc service show
JSON_KEYS="id name match forward scheduler paths sessions" \
check_json "client: service show -j, exact JSON" \
	'[{"id": 7, "name": "web", "match": "192.0.2.1:80", "forward": null,
	   "scheduler": "default", "paths": 1, "sessions": 0}]' \
	kwc -j service show
check_out "client: session show with no sessions" 0 \
	"ID  SERVICE  ROLE  STATE  PATHS  TX  RX  ERROR" kwc session show
check_out "client: session show -j with no sessions" 0 "[]" \
	kwc -j session show

# ---- privileges ---------------------------------------------------------------

RC=0
ip netns exec kwc setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$KWIKCTL" service add 9 >"$OUT" 2>"$ERR" || RC=$?
if [ $RC = 1 ] && [ "$(cat "$ERR")" = "Error: Operation not permitted" ]; then
	ktap_ok "unprivileged service add: EPERM, exit 1"
else
	kc_diag
	ktap_fail "unprivileged service add: EPERM, exit 1"
fi
ktap_check "unprivileged path show works" ip netns exec kwc \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KWIKCTL" path show

# ---- events -------------------------------------------------------------------

ip netns exec kwc "$KWIKCTL" monitor >"$TMP/mon" 2>"$TMP/mon.err" &
MON_PID=$!
ip netns exec kwc "$KWIKCTL" -j monitor >"$TMP/monj" 2>&1 &
MONJ_PID=$!
if kwik_poll 3 kwik_mon_joined kwc; then
	ktap_ok "monitor joined the events group"
else
	ktap_skip "monitor joined the events group" "group ID not visible in /proc/net/netlink"
fi

check_out "client: second path (other local address)" 0 "path 6 added" \
	kwc path add service 7 remote 10.0.1.2:7000 local 10.0.1.1 insecure id 6
if wait_line "$TMP/mon" '^path-up id 6 '; then
	if grep -qx "path-up id 6 service 7 remote 10.0.1.2:7000 state up error -" "$TMP/mon"; then
		ktap_ok "monitor: path-up line for path 6"
	else
		ktap_diag "$(cat "$TMP/mon")"
		ktap_fail "monitor: path-up line for path 6"
	fi
else
	ktap_diag "monitor output: $(cat "$TMP/mon" "$TMP/mon.err")"
	ktap_fail "monitor: path-up line for path 6"
fi
check_out "client: path del" 0 "" kwc path del 6
if wait_line "$TMP/mon" '^path-down id 6 service 7 remote 10\.0\.1\.2:7000 state (closed|down) error '; then
	ktap_ok "monitor: path-down line for path 6"
else
	ktap_diag "monitor output: $(cat "$TMP/mon" "$TMP/mon.err")"
	ktap_fail "monitor: path-down line for path 6"
fi
_json_up() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "path-up" and e["path"]["id"] == 6 and \
       e["path"]["state"] == "up" and e["path"]["remote"] == "10.0.1.2:7000":
        sys.exit(0)
sys.exit(1)' "$TMP/monj"
}
if kwik_poll 5 _json_up; then
	ktap_ok "monitor -j: one JSON object per line, path-up for path 6"
else
	ktap_diag "$(cat "$TMP/monj")"
	ktap_fail "monitor -j: one JSON object per line, path-up for path 6"
fi
check_json "path 6 is gone, path 3 stays" '[{"id": 3}]' kwc -j path show

# ---- congestion control of the lower TCP connections ------------------------

check_err "path add cc with a bad name: exit 2" 2 \
	'Error: invalid cc "BBR!" (a name such as bbr or cubic)' \
	kwc path add service 7 remote 10.0.1.2:7001 insecure cc 'BBR!'
check_err "path add cc unknown to the kernel: exit 1" 1 \
	"Error: kwik: unknown congestion control" \
	kwc path add service 7 remote 10.0.1.2:7001 insecure cc nosuchcc
check_err "listener add cc unknown to the kernel: exit 1" 1 \
	"Error: kwik: unknown congestion control" \
	kws1 listener add local 10.0.1.2:7001 insecure cc nosuchcc
check_out "server: listener add cc cubic" 0 "listener 8 added" \
	kws1 listener add local 10.0.1.2:7001 insecure cc cubic id 8
check_out "client: path add cc cubic" 0 "path 9 added" \
	kwc path add service 7 remote 10.0.1.2:7001 insecure cc cubic id 9
ktap_check "client: path 9 comes up" kwik_wait_path_up kwc 9 20
check_out "client: path show 9, transport column tcp/cubic" 0 \
"ID  SERVICE  REMOTE         LOCAL  TRANSPORT  SECURITY  WEIGHT  PRIO     STATE  SESSIONS  TX  RX  ERROR
9   7        10.0.1.2:7001  -      tcp/cubic  insecure  1       primary  up     0         0   0   -" \
	kwc -n path show 9
check_json "path 9 says cc cubic (JSON)" '[{"id": 9, "cc": "cubic"}]' \
	kwc -j path show 9
check_json "listener 8 says cc cubic, listener 5 Kwik's default (JSON)" \
	'[{"id": 5, "cc": '"$DEFCC_JSON"'}, {"id": 8, "cc": "cubic"}]' kws1 -j listener show
# ss -ti prints the congestion control of each TCP socket.
_ss_cc() { ip netns exec "$1" ss -tin "$2" | grep -qw "$3"; }
ktap_check "path 9's TCP connection runs cubic" \
	_ss_cc kwc "dst 10.0.1.2:7001" cubic
ktap_check "the server's accepted connection runs cubic too" \
	_ss_cc kws1 "src 10.0.1.2:7001" cubic
_default_cc() {
	_ss_cc kwc "dst 10.0.1.2:7000" "$DEFCC" &&
	_ss_cc kws1 "src 10.0.1.2:7000" "$DEFCC"
}
ktap_check "path 3 (no cc) runs Kwik's default ($DEFCC) on both ends" _default_cc
check_out "client: path del 9" 0 "" kwc path del 9
check_out "server: listener del 8" 0 "" kws1 listener del 8

# ---- sessions -----------------------------------------------------------------

# An idle session: raw mode, the client waits for a byte the server never
# sends, so the session stays established until the client is killed.
XFER=$KWIK_BIN/kwik_xfer
SRV_PID=
CLI_PID=
_session_est() {
	ip netns exec kwc "$KWIKCTL" -j session show | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(not (len(s) == 1 and s[0]["state"] == "established"))'
}
start_session() {
	rm -f "$TMP/ready"
	ip netns exec kws1 "$XFER" server -s 7 -c 1 -m sink --raw -t 60 \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	SRV_PID=$!
	kwik_poll 10 test -e "$TMP/ready" || return 1
	ip netns exec kwc "$XFER" client -s 7 -m recv --raw -b 1 -t 60 \
		>"$TMP/cli.out" 2>&1 &
	CLI_PID=$!
	kwik_poll 10 _session_est
}
stop_session() {
	local pid
	for pid in $CLI_PID $SRV_PID; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CLI_PID=''
	SRV_PID=''
	return 0
}

if [ ! -x "$XFER" ]; then
	for t in "session show -j: the client session" \
		 "session show -d: the client session's sequence state and path" \
		 "session show: the client session's row" \
		 "monitor: session-open line" "monitor: session-close line"; do
		ktap_skip "$t" "kwik_xfer not built"
	done
elif ! start_session; then
	ktap_diag "server: $(cat "$TMP/srv.out")"
	ktap_diag "client: $(cat "$TMP/cli.out")"
	ktap_fail "session show -j: the client session"
	ktap_fail "session show -d: the client session's sequence state and path"
	ktap_fail "session show: the client session's row"
	ktap_fail "monitor: session-open line"
	stop_session
	ktap_fail "monitor: session-close line"
else
	JSON_KEYS="id service role state paths tx_bytes rx_bytes error error_name
		   write_seq snd_nxt snd_una snd_wnd rcv_nxt rcv_wnd ofo_bytes
		   rtx flags subflows" \
	check_json "session show -j: the client session" \
		'[{"service": 7, "role": "client", "state": "established",
		   "paths": [3], "error": 0, "error_name": null,
		   "write_seq": 0, "snd_nxt": 0, "snd_una": 0, "rcv_nxt": 0,
		   "ofo_bytes": 0, "rtx": 0, "flags": [],
		   "subflows": [{"path": 3, "up": true, "active": true,
				 "tx_bytes": 0}]}]' \
		kwc -j session show
	# -d: the same session's block under the table (an idle session,
	# so every sequence number is 0; the windows are the buffers').
	kc kwc -n -d session show
	if [ "$RC" = 0 ] && [ "$(wc -l <"$OUT")" = 8 ] &&
	   sed -n 3p "$OUT" | grep -Eq '^$' &&
	   sed -n 4p "$OUT" | grep -Eq '^session [0-9]+$' &&
	   sed -n 5p "$OUT" | grep -Eq '^  send: queued to 0 next 0 unacked from 0 window [1-9][0-9]* resend 0$' &&
	   sed -n 6p "$OUT" | grep -Eq '^  recv: next 0 window [1-9][0-9]* out-of-order 0$' &&
	   sed -n 7p "$OUT" | grep -Eq '^  flags: -$' &&
	   sed -n 8p "$OUT" | grep -Eq '^  path 3: up active tx 0$'; then
		ktap_ok "session show -d: the client session's sequence state and path"
	else
		kc_diag
		ktap_fail "session show -d: the client session's sequence state and path"
	fi
	kc kwc -n session show
	# The ID column is as wide as the 64-bit session ID.
	if [ "$RC" = 0 ] &&
	   sed -n 1p "$OUT" | grep -Eq '^ID +SERVICE  ROLE    STATE        PATHS  TX +RX +ERROR$' &&
	   sed -n 2p "$OUT" | grep -Eq '^[0-9]+ +7        client  established  3      [0-9]+ +[0-9]+ +-$' &&
	   [ "$(wc -l <"$OUT")" = 2 ]; then
		ktap_ok "session show: the client session's row"
	else
		kc_diag
		ktap_fail "session show: the client session's row"
	fi
	if wait_line "$TMP/mon" '^session-open id [0-9]+ service 7 role client state [a-z-]+ error -$'; then
		ktap_ok "monitor: session-open line"
	else
		ktap_diag "monitor output: $(cat "$TMP/mon")"
		ktap_fail "monitor: session-open line"
	fi
	stop_session
	if wait_line "$TMP/mon" '^session-close id [0-9]+ service 7 role client state [a-z-]+ error [A-Z0-9-]+$'; then
		ktap_ok "monitor: session-close line"
	else
		ktap_diag "monitor output: $(cat "$TMP/mon")"
		ktap_fail "monitor: session-close line"
	fi
fi

# A reader that stops: the sender fills the receiver's window and no
# more.  Both ends' dumps must agree on where the stream stands: the
# receiver has in order exactly what the sender sent, all of it
# acknowledged; the window the receiver advertised is used up, and the
# sender holds the rest of what the application wrote.
SOCKAPI=$KWIK_BIN/kwik_sockapi
_stalled_state() {
	ip netns exec kwc "$KWIKCTL" -j session show >"$TMP/c.json" &&
	ip netns exec kws1 "$KWIKCTL" -j session show >"$TMP/s.json" &&
	python3 - "$TMP/c.json" "$TMP/s.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
if len(c) != 1 or len(s) != 1:
    sys.exit("want one session each, got %d and %d" % (len(c), len(s)))
c, s = c[0], s[0]
ok = (c["id"] == s["id"] and s["rcv_nxt"] > 0 and
      c["snd_una"] == c["snd_nxt"] == s["rcv_nxt"] and
      c["snd_wnd"] == 0 and s["rcv_wnd"] == 0 and
      c["write_seq"] > c["snd_nxt"] and s["ofo_bytes"] == 0 and
      c["rtx"] == 0 and not c["flags"] and not s["flags"] and
      c["subflows"][0]["tx_bytes"] == c["snd_nxt"])
print("client: write_seq %(write_seq)d snd_nxt %(snd_nxt)d snd_una %(snd_una)d snd_wnd %(snd_wnd)d flags %(flags)s" % c)
print("server: rcv_nxt %(rcv_nxt)d rcv_wnd %(rcv_wnd)d ofo %(ofo_bytes)d flags %(flags)s" % s)
sys.exit(not ok)
EOF2
}
stalled_reader() {
	local spid cpid rc=0
	rm -f "$TMP/ready"
	ip netns exec kws1 "$SOCKAPI" server -s 7 --ready "$TMP/ready" \
		>"$TMP/srv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/ready" || { kill "$spid"; wait "$spid"; return 1; }
	# 'N': the server reads that byte and nothing after it.
	{ printf N; head -c $((4 << 20)) /dev/zero; } >"$TMP/n"
	ip netns exec kwc "$XFER" client -s 7 --raw -i "$TMP/n" -t 30 -q \
		>"$TMP/cli.out" 2>&1 &
	cpid=$!
	kwik_poll 20 _stalled_state || rc=1
	_stalled_state			# print what the dumps said last
	if [ $rc = 0 ]; then
		# The receiver's block says the same in text.
		ip netns exec kws1 "$KWIKCTL" -n -d session show >"$TMP/d" 2>&1
		cat "$TMP/d"
		grep -Eq "^  recv: next $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rcv_nxt"])' "$TMP/s.json") window 0 out-of-order 0$" "$TMP/d" || rc=1
	fi
	kill "$cpid" "$spid" 2>/dev/null
	wait "$cpid" "$spid" 2>/dev/null
	return $rc
}
if [ ! -x "$XFER" ] || [ ! -x "$SOCKAPI" ]; then
	ktap_skip "session show: a stalled reader's window, as both ends see it" \
		"kwik_xfer or kwik_sockapi not built"
else
	ktap_check "session show: a stalled reader's window, as both ends see it" \
		stalled_reader
fi

# ---- namespaces ---------------------------------------------------------------

check_out "ns a: service add" 0 "service 11 added" "$NSA" service add 11
check_out "ns a: path add" 0 "path 4 added" \
	"$NSA" path add service 11 remote 192.0.2.1:9 insecure id 4 no-reconnect
check_out "ns b: sees no paths" 0 \
	"ID  SERVICE  REMOTE  LOCAL  TRANSPORT  SECURITY  WEIGHT  PRIO  STATE  SESSIONS  TX  RX  ERROR" \
	"$NSB" path show
check_out "ns b: sees no services" 0 \
	"ID  NAME  MATCH  FORWARD  PATHS  SESSIONS" "$NSB" service show
check_err "ns b: cannot delete a's path" 1 "Error: kwik: path not found" \
	"$NSB" path del 4
check_err "ns b: cannot delete a's service" 1 "Error: kwik: no such service" \
	"$NSB" service del 11
check_json "ns a: path 4 still there" '[{"id": 4, "service": 11, "no_reconnect": true}]' \
	"$NSA" -j path show
check_out "ns a: path del" 0 "" "$NSA" path del 4
check_out "ns a: service del" 0 "" "$NSA" service del 11
check_json "ns a: empty again" '[]' "$NSA" -j service show

# ---- teardown through kwikctl -------------------------------------------------

check_out "client: path del 3" 0 "" kwc path del 3
check_out "client: service del 7" 0 "" kwc service del 7
check_out "server: listener del" 0 "" kws1 listener del 5
check_json "server: no listeners left" '[]' kws1 -j listener show

ktap_finish
