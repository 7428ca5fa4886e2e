#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh - how AF_KWIK sessions end: half-close, either side closing
# or dying first, the path failing under live sessions, paths that never
# come up, and unloading the module.
#
#	  kwc                                               kws1
#	  10.0.1.1 ------------- veth link 1 -------------- 10.0.1.2:7000 listener
#	    service 7  -> path 1 (10.0.1.2:7000)
#	    service 11 -> 10.0.1.99:7000   (no such host)
#	    service 12 -> 10.0.1.2:7999    (nobody listens: refused)
#	  10.0.2.1 ---- veth link 2, netem loss 100% ------ 10.0.2.2:7000 kws2
#	    service 13 -> 10.0.2.2:7000    (blackholed)
#
# Nothing may hang: every process runs under a bound, and a session whose
# only path fails must report an error within that bound (or, if Kwik
# recovers the path, complete byte-exact).
set -u
. "$(dirname "$0")/lib.sh"

SVC=7
PORT=7000
XFER=$KWIK_BIN/kwik_xfer
FAIL_BOUND=60	# s: a session on a failed path must fail within this

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$XFER"

TMP=$(mktemp -d /tmp/kwik-lifecycle.XXXXXX)
cleanup() {
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Background processes: name -> pid, output in $TMP/name.out.
declare -A PID
bg() {	# bg NAME NS CMD...
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TMP/$name.out" 2>&1 &
	PID[$name]=$!
}
# finish NAME TIMEOUT_S: wait until NAME exits; its exit code in RC
# (124 if it had to be killed after TIMEOUT_S).
RC=0
finish() {
	local pid=${PID[$1]}
	if kwik_poll "$2" bash -c "! kill -0 $pid 2>/dev/null"; then
		RC=0
		wait "$pid" || RC=$?
	else
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=124
	fi
}
server() {	# server NAME ARGS...: kwik_xfer server in kws1, ready
	local name=$1
	shift
	rm -f "$TMP/$name.ready"
	bg "$name" kws1 "$XFER" server -s "$SVC" -t 150 --ready "$TMP/$name.ready" "$@"
	kwik_poll 10 test -e "$TMP/$name.ready"
}
accepted() {	# accepted NAME N: the server accepted N sessions
	[ "$(grep -c ' accepted #' "$TMP/$1.out")" -ge "$2" ]
}
errnos() {	# errnos NAME: the errno names in NAME's failure lines
	grep -o '(E[A-Z]*)' "$TMP/$1.out" | tr -d '()' | sort -u | tr '\n' ' '
}
show() {	# show NAME...: outputs as diagnostics
	local n
	for n; do
		ktap_diag "$n: $(head -c 3000 "$TMP/$n.out")"
	done
}

kwik_topo_setup 2 || ktap_skip_all "topology setup failed"
kwik_link_netem 2 "loss 100%" || ktap_skip_all "netem unavailable"
ip netns exec kwc "$KWIKCTL" path show >/dev/null 2>&1 ||
	ktap_skip_all "kwikctl cannot talk to kwik.ko"
ktap_plan 21
bg monitor kwc "$KWIKCTL" monitor
disown "${PID[monitor]}"	# killed from a subshell later: no job notice

setup_path() {
	ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" service add "$SVC" &&
	ip netns exec kwc "$KWIKCTL" path add service "$SVC" \
		remote "10.0.1.2:$PORT" insecure id 1 &&
	kwik_wait_path_up kwc 1 20
}
ktap_check "listener, service $SVC and path 1 up" setup_path

# ensure_path: path 1 is up again (re-added if a case removed it).
ensure_path() {
	if ! ip netns exec kwc "$KWIKCTL" path show 1 >/dev/null 2>&1; then
		ip netns exec kwc "$KWIKCTL" path add service "$SVC" \
			remote "10.0.1.2:$PORT" insecure id 1 >/dev/null
	fi
	kwik_wait_path_up kwc 1 30 >/dev/null
}

# pair DESC SERVER_ARGS... -- CLIENT_ARGS...: both must succeed with
# matching digests.
pair() {
	local desc=$1 sargs=() cargs=() why=
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	cargs=("$@")
	if ! server srv -c 1 "${sargs[@]}"; then
		show srv
		ktap_fail "$desc"
		return
	fi
	bg cli kwc "$XFER" client -s "$SVC" -t 80 "${cargs[@]}"
	finish cli 90
	local crc=$RC
	finish srv 30
	if [ "$crc" -ne 0 ] || [ "$RC" -ne 0 ]; then
		why="client exit $crc, server exit $RC"
	elif [ "$(kwik_field "$TMP/cli.out" tx_fnv)" != "$(kwik_field "$TMP/srv.out" rx_fnv)" ] ||
	     [ "$(kwik_field "$TMP/cli.out" rx_fnv)" != "$(kwik_field "$TMP/srv.out" tx_fnv)" ]; then
		why="digests differ"
	fi
	if [ -z "$why" ]; then
		ktap_ok "$desc"
	else
		ktap_diag "$why"
		show cli srv
		ktap_fail "$desc"
	fi
}

pair "half-close: client SHUT_WR first, server still sends 4M" \
	-m source -- -m recv -b 4M --shutdown
pair "half-close: client sends 4M and SHUT_WR, server answers after EOF" \
	-m sink -- -m send -b 4M --shutdown
pair "server closes first (right after its last byte), client reads all" \
	-m source --close-early -- -m recv -b 4M

# killed DESC VICTIM(srv|cli) SERVER_ARGS -- CLIENT_ARGS: kill -9 the
# victim once the session runs; the survivor must fail with an errno
# (or see EOF, then its byte count check fails) within FAIL_BOUND.
killed() {
	local desc=$1 victim=$2 sargs=() cargs=() survivor t0 el
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	cargs=("$@")
	[ "$victim" = srv ] && survivor=cli || survivor=srv
	if ! server srv -c 1 "${sargs[@]}"; then
		show srv
		ktap_fail "$desc"
		return
	fi
	bg cli kwc "$XFER" client -s "$SVC" -t 120 "${cargs[@]}"
	if ! kwik_poll 20 accepted srv 1; then
		ktap_diag "session never accepted"
		show srv cli
		kill -9 "${PID[cli]}" "${PID[srv]}" 2>/dev/null
		wait "${PID[cli]}" "${PID[srv]}" 2>/dev/null
		ktap_fail "$desc"
		return
	fi
	kill -9 "${PID[$victim]}"
	wait "${PID[$victim]}" 2>/dev/null
	t0=$(now_ms)
	finish "$survivor" "$FAIL_BOUND"
	el=$(( $(now_ms) - t0 ))
	if [ "$RC" -eq 1 ] && grep -q FAILED "$TMP/$survivor.out"; then
		ktap_diag "$survivor failed after ${el} ms: $(errnos "$survivor")"
		ktap_diag "$(grep FAILED "$TMP/$survivor.out")"
		ktap_ok "$desc"
	else
		ktap_diag "$survivor exit $RC after ${el} ms (124/3: hung)"
		show "$survivor"
		ktap_fail "$desc"
	fi
}

killed "server process killed mid-transfer: client send fails, no hang" srv \
	-m sink -- -m send -b 64G
killed "client process killed mid-transfer: server send fails, no hang" cli \
	-m source -- -m recv -b 64G

# under_fire DESC ACTION [survive]: 4 echo sessions run over path 1 at
# 50 Mbit/s; ACTION breaks the path mid-transfer.  Either the sessions
# complete byte-exact (Kwik recovered) or every one fails within
# FAIL_BOUND; with "survive" only the former passes.
under_fire() {
	local desc=$1 action=$2 survive=${3:-} t0 el crc outcome=
	kwik_link_netem 1 "rate 50mbit"
	if ! server srv -c 4 -q -m echo; then
		show srv
		ktap_fail "$desc"
		return
	fi
	# Each client session stops after half its payload until "go": the
	# action then lands on live sessions however slow the machine.
	rm -f "$TMP/go"
	bg cli kwc "$XFER" client -s "$SVC" -t 150 -q -P 4 -m echo -b 8M \
		--hold "$TMP/go"
	# running once the server holds 4 sessions and data flows
	if ! kwik_poll 20 bash -c "[ \$(ip netns exec kws1 '$KWIKCTL' -j session show | grep -o '\"id\"' | wc -l) -ge 4 ]"; then
		ktap_diag "sessions did not start"
	fi
	t0=$(now_ms)
	local arc=0
	"$action" || arc=$?
	touch "$TMP/go"
	if [ $arc -ne 0 ]; then
		kill -9 "${PID[cli]}" "${PID[srv]}" 2>/dev/null
		wait "${PID[cli]}" "${PID[srv]}" 2>/dev/null
		kwik_link_netem 1
		if [ $arc -eq 2 ]; then
			ktap_skip "$desc" "cannot break the path this way here"
		else
			ktap_diag "could not break the path"
			ktap_fail "$desc"
		fi
		return
	fi
	finish cli "$FAIL_BOUND"
	crc=$RC
	el=$(( $(now_ms) - t0 ))
	finish srv "$FAIL_BOUND"
	kwik_link_netem 1
	if [ "$crc" -eq 0 ] && [ "$RC" -eq 0 ] &&
	   [ "$(kwik_field "$TMP/cli.out" rx_fnv)" = "$(kwik_field "$TMP/srv.out" tx_fnv)" ] &&
	   [ "$(kwik_field "$TMP/cli.out" tx_fnv)" = "$(kwik_field "$TMP/srv.out" rx_fnv)" ]; then
		outcome="sessions survived, byte-exact"
	elif [ -z "$survive" ] && [ "$crc" -eq 1 ] &&
	     [ "$(kwik_field "$TMP/cli.out" failed)" = 4 ] &&
	     [ "$RC" -ne 124 ] && [ "$RC" -ne 3 ]; then
		outcome="all 4 client sessions failed: $(errnos cli); server exit $RC: $(errnos srv)"
	fi
	if [ -n "$outcome" ]; then
		ktap_diag "$outcome (${el} ms after the break)"
		ktap_ok "$desc"
	else
		ktap_diag "client exit $crc after ${el} ms, server exit $RC (124/3: hung)"
		show cli srv
		ktap_fail "$desc"
	fi
}

# ss -K needs inet_diag with SOCK_DESTROY; check that it really killed.
path_conn() {
	ip netns exec kws1 ss -Htn state established "( sport = :$PORT )" dst 10.0.1.1
}
kill_path_tcp() {
	local before
	before=$(path_conn)
	[ -n "$before" ] || { ktap_diag "no path connection in kws1"; return 1; }
	ip netns exec kws1 ss -K dst 10.0.1.1 "( sport = :$PORT )" >/dev/null 2>&1
	if [ "$(path_conn)" = "$before" ]; then
		ktap_diag "ss -K did not kill the path's TCP connection (no SOCK_DESTROY?)"
		return 2
	fi
	ktap_diag "killed: $before"
}
pathdown_seen() {
	grep -q "^path-down id $1 " "$TMP/monitor.out"
}

under_fire "path's TCP connection killed (ss -K) under 4 live sessions" kill_path_tcp
ktap_check "monitor saw path 1 go down" kwik_poll 10 pathdown_seen 1
ktap_check "path 1 up again" ensure_path

del_path() {
	ip netns exec kwc "$KWIKCTL" path del 1
}
under_fire "path deleted (kwikctl path del) under 4 live sessions" del_path
ktap_check "path 1 re-added and up" ensure_path

link_down() {
	kwik_link_down 1
}
under_fire "link down under 4 live sessions" link_down
kwik_link_up 1
ktap_check "link up: path 1 up again" ensure_path

# A short outage, below the path's liveness limit, must cost nothing.
# (The sleep is the length of the outage, not a wait for anything.)
link_flap() {
	kwik_link_down 1 || return 1
	sleep 2
	kwik_link_up 1
}
under_fire "link down for 2 s under 4 live sessions: all complete byte-exact" \
	link_flap survive
ktap_check "path 1 up after the flap" ensure_path

# ---- paths that never come up --------------------------------------------

# bad_path DESC SERVICE REMOTE ERRNOS: the path is not up and shows an
# error, and connect() fails with one of ERRNOS within 15 s.
bad_path() {
	local desc=$1 svc=$2 remote=$3 ok_errnos=$4 id why='' t0 el st
	ip netns exec kwc "$KWIKCTL" service add "$svc" >/dev/null &&
	ip netns exec kwc "$KWIKCTL" path add service "$svc" remote "$remote" \
		insecure id "$svc" >/dev/null || why="path add failed"
	id=$svc
	if [ -z "$why" ]; then
		t0=$(now_ms)
		ip netns exec kwc timeout -k 5 30 "$XFER" client -s "$svc" -t 25 \
			--connect-timeout 3000 -b 1 >"$TMP/bad.out" 2>&1
		RC=$?
		el=$(( $(now_ms) - t0 ))
		local got
		got=$(grep -o 'connect: .*(E[A-Z]*)' "$TMP/bad.out" | grep -o 'E[A-Z]*)$' | tr -d ')')
		if [ "$RC" -ne 1 ] || [ -z "$got" ]; then
			why="client exit $RC: $(cat "$TMP/bad.out")"
		elif [[ " $ok_errnos " != *" $got "* ]]; then
			why="connect failed with $got, expected one of: $ok_errnos"
		elif [ "$el" -gt 15000 ]; then
			why="connect took ${el} ms"
		fi
		st=$(kwik_path_state kwc "$id")
		[ "$st" != up ] || why="${why:+$why; }path $id is up?"
		[ -n "$why" ] || ktap_diag "connect: $got after ${el} ms; path $id state $st"
	fi
	if [ -z "$why" ]; then
		ktap_ok "$desc"
	else
		ktap_diag "$why"
		ktap_diag "$(ip netns exec kwc "$KWIKCTL" path show 2>&1)"
		ktap_fail "$desc"
	fi
}
path_error() {	# path_error ID: "path show" reports a non-zero error
	ip netns exec kwc "$KWIKCTL" -j path show "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, list):
    d = d[0] if d else {}
if isinstance(d, dict) and "paths" in d:
    d = d["paths"][0]
print(d.get("state"), d.get("error_name"))
sys.exit(0 if d.get("error") and d.get("state") != "up" else 1)'
}
path_down_reported() {	# state/error in path show and a path-down event
	local id=$1
	if ! kwik_poll 30 path_error "$id"; then
		echo "path $id shows no error: $(path_error "$id")"
		return 1
	fi
	echo "path $id: $(path_error "$id")"
	kwik_poll 10 pathdown_seen "$id" || { echo "no path-down event for $id"; cat "$TMP/monitor.out"; return 1; }
}

bad_path "no such host: connect() fails, path not up" 11 10.0.1.99:7000 \
	"EHOSTUNREACH ETIMEDOUT ENETUNREACH"
ktap_check "no such host: path show has the error, monitor saw path-down" \
	path_down_reported 11
bad_path "refusing server: connect() fails, path not up" 12 10.0.1.2:7999 \
	"ECONNREFUSED ENETUNREACH ETIMEDOUT"
ktap_check "refusing server: path show has the error, monitor saw path-down" \
	path_down_reported 12
ip netns exec kws2 "$KWIKCTL" listener add local "10.0.2.2:$PORT" insecure >/dev/null
bad_path "blackholed server (netem loss 100%): connect() fails in time" 13 \
	"10.0.2.2:$PORT" "ETIMEDOUT EHOSTUNREACH ENETUNREACH"

# ---- module unload --------------------------------------------------------

rmmod_case() {
	local out
	if ! server hold -c 1; then
		echo "server did not start"
		return 1
	fi
	if out=$(rmmod kwik 2>&1); then
		echo "rmmod succeeded with a listening AF_KWIK socket open"
		insmod "$KWIK_KO"
		return 1
	fi
	echo "refused while open: $out"
	kill -9 "${PID[hold]}"
	wait "${PID[hold]}" 2>/dev/null
	kill -9 "${PID[monitor]}" 2>/dev/null
	wait "${PID[monitor]}" 2>/dev/null
	if kwik_poll 15 rmmod kwik; then
		echo "unloaded with the namespaces and paths still configured"
	else
		echo "still in use with paths configured (refcnt $(cat /sys/module/kwik/refcnt)); deleting the namespaces"
		kwik_topo_cleanup
		if ! kwik_poll 30 rmmod kwik; then
			echo "rmmod still fails: $(rmmod kwik 2>&1)"
			return 1
		fi
		echo "unloaded after deleting the namespaces"
	fi
	insmod "$KWIK_KO" || { echo "re-insert of $KWIK_KO failed"; return 1; }
	[ -d /sys/module/kwik ]
}
if [ -n "${KWIK_KO:-}" ] && [ -f "$KWIK_KO" ]; then
	ktap_check "rmmod refused while a socket is open, works after, re-insert" rmmod_case
else
	ktap_skip "rmmod refused while a socket is open, works after, re-insert" \
		"KWIK_KO not set: cannot re-insert"
fi

ktap_finish
