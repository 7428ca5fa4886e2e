#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostile.sh - malformed and hostile frames from a userspace Kwik peer
# (kwik_peer) against the kernel, in both roles, while a legitimate
# session keeps running byte-exact on another path of the same listener.
#
#	  kwc                                            kws1
#	  10.0.1.1 ----------- veth link 1 ------------- 10.0.1.2:7000 listener
#	    service 7 -> path 1 (legit echo loop)          kwik_xfer server, svc 7
#	                                                   kwik_peer client ... ->
#	                                                     10.0.1.2:7000 (svc 8:
#	                                                     its own AF_KWIK
#	                                                     listener, 9: none)
#	  10.0.2.1 ----------- veth link 2 ------------- 10.0.2.2:7100 kws2
#	    service 20 -> path 100+k (no-reconnect) ---->  kwik_peer server
#	    kwik_peer app 20 (AF_KWIK client)
#
# Listener role: the kernel's server path must close with the exact errno
# (seen in the path-down event of "kwikctl -j monitor", since failed server
# paths leave the table) or answer with the exact RESET reason and keep
# the path up (a PING still gets its PONG), counting every drop
# (rx_dropped).  Client role: the same, read from "kwikctl path show".
# An OPEN flood stays bounded by the listener's backlog and leaves no
# session behind.  Nothing here sleeps: everything is polled.
set -u
. "$(dirname "$0")/lib.sh"

PORT=7000
PPORT=7100
XFER=$KWIK_BIN/kwik_xfer
PEER=$KWIK_BIN/kwik_peer
SLOW=${KWIK_SLOW:-1}

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$XFER" "$PEER"

TMP=$(mktemp -d /tmp/kwik-hostile.XXXXXX)
cleanup() {
	touch "$TMP/stop"
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

# Scenario tables: NAME|PEER OPTS|tokens the peer's summary must contain|
# the path's errno when it goes down|minimum rx_dropped ("" = not checked)
# [|paths the peer opens, default 1[|the most times any of them may have
# been judged stale, from its path-down event]].  Errors with a comma
# accept either.
C_CASES=(
	"bad-version||closed=1|EPROTONOSUPPORT|"
	"bad-role||closed=1|EPROTO|"
	"no-hello||closed=1|EPROTO|"
	"hello-twice||hello=ok closed=1|EPROTO|"
	"oversize||hello=ok closed=1|EMSGSIZE|"
	"reserved||hello=ok closed=1|EPROTO|"
	"reserved-body||hello=ok closed=1|EPROTO|"
	"bad-flags||hello=ok closed=1|EPROTO|"
	"bad-type||hello=ok closed=1|EPROTO|"
	"bad-length||hello=ok closed=1|EMSGSIZE|"
	"empty-data||hello=ok closed=1|EPROTO|"
	"session-zero||hello=ok closed=1|EPROTO|"
	"truncated||hello=ok closed=1|ECONNRESET|"
	# TCP urgent data is no part of Kwik: the path closes at once (it
	# used to stop reading at the mark and fail 5 s later, silent).
	"urgent||hello=ok closed=1|EPROTO|"
	"garbage||hello=ok closed=1|EPROTO,EMSGSIZE|"
	"data-unknown||closed=0 alive=1 resets=1 reason=5|ECONNRESET|1"
	"reset-unknown||closed=0 alive=1 resets=0|ECONNRESET|1"
	# A late ACK for an ended session is normal: ignored, not counted.
	"ack-unknown||closed=0 alive=1 resets=0|ECONNRESET|"
	"open-refused|-s 9|closed=0 alive=1 resets=1 reason=1 open_acks=0|ECONNRESET|"
	"dup-open|-L -s 8|closed=0 alive=1 open_acks=1 resets=0|ECONNRESET|1"
	"window|-L -s 8|closed=0 alive=1 open_acks=1 resets=1 reason=3|ECONNRESET|1"
	"after-fin|-L -s 8|closed=0 alive=1 open_acks=1 resets=1 reason=3|ECONNRESET|1"
	"fin-ooo|-L -s 8|closed=0 alive=1 open_acks=1 resets=1 reason=3|ECONNRESET|1"
	"ack-unsent|-L -s 8|closed=0 alive=1 open_acks=1 resets=0|ECONNRESET|1"
	"join-unknown||closed=0 alive=1 resets=1 reason=5|ECONNRESET|1"
	"join-badmac|-L -s 8|closed=0 alive=1 open_acks=1 resets=1 reason=5 session_ok=1|ECONNRESET||2"
	# A re-OPEN (its OPEN_ACK lost with the path): answered only with the
	# same key and before the client spoke; the others dropped.
	"reopen|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 session_ok=1|ECONNRESET||3"
	# Data given to a path that closes is sent again on the other, even
	# when the window allows nothing new and the peer says nothing more
	# (the debug kernel's stalled QUIC transfers: the ACK the failure owes
	# took the only turn the surviving path was given).
	"resend|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 resent=1|ECONNRESET||2"
	# The same for the FIN, its ACK lost with the path that carried it:
	# sent again on the other path, and the session then ends cleanly.
	"resend-fin|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 resent=1 session_ok=1|ECONNRESET||2"
	# ... or, the peer's session gone with that ACK, the RESET it answers
	# with ends the session: the application, still reading, sees it.
	"resend-fin-gone|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 resent=1 session_ok=1|ECONNRESET||2"
	# A path that stops delivering turns stale seconds before it fails;
	# meanwhile the session's ACKs go on one that works: the ACK owed when
	# it turned stale, and the window update after the application read,
	# which would else wait on the stale path until it failed.
	"stale-ack|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 moved=1|ECONNRESET||2"
	# A one-way failure: the path keeps hearing the peer's segments, none
	# acknowledging its data; it must turn stale all the same, and what it
	# holds must go on a path that joins later, both still up.
	# And it stays stale, not fresh again whenever TCP's slow path takes
	# one of the peer's segments (that moves rcv_tstamp): reading
	# rcv_tstamp, it was judged stale 3-6 times in the 3 s of PINGs; now
	# once (twice allowed: a TCG stall before the mute could add one).
	"one-way|-L -s 8|closed=0 alive=1 open_acks=2 resets=0 oneway=1|ECONNRESET||2|2"
)
# Client role: NAME|what "kwik_peer app 20" must print (glob, "" = no app)|
# peer tokens|path errno|minimum rx_dropped.  after-fin: the application
# may read the FIN and close before the data after it arrives, and then
# that data is aborted (ABORT) rather than refused (PROTOCOL).
S_CASES=(
	"bad-version||closed=1|EPROTONOSUPPORT|"
	"bad-role||closed=1|EPROTO|"
	"no-hello||closed=1|EPROTO|"
	"oversize||hello=ok closed=1|EMSGSIZE|"
	"reserved||hello=ok closed=1|EPROTO|"
	"truncated||hello=ok closed=1|ECONNRESET|"
	"urgent||hello=ok closed=1|EPROTO|"
	"garbage||hello=ok closed=1|EPROTO,EMSGSIZE|"
	"data-unknown||closed=0 alive=1 resets=1 reason=5|ECONNRESET|1"
	"reset-unknown||closed=0 alive=1 resets=0|ECONNRESET|1"
	"open-to-client||closed=0 alive=1 resets=0|ECONNRESET|1"
	"refuse|app connect=ECONNREFUSED *|closed=0 alive=1|ECONNRESET|"
	"reset-protocol|app connect=EPROTO *|closed=0 alive=1|ECONNRESET|"
	"window|app *EPROTO*|closed=0 alive=1 resets=1 reason=3|ECONNRESET|1"
	"after-fin|app *|closed=0 alive=1 resets=1 reason=3/reason=2|ECONNRESET|1"
	"ack-unsent|app connect=OK sent=100 recv=5 end=EOF|closed=0 alive=1 resets=0|ECONNRESET|1"
)

# jpath NS ID KEY...: print each KEY (a key name unique within a path
# object, e.g. state, error_name, rx_dropped) of path ID, from kwikctl's
# compact JSON; pure bash (a python per call is slow under TCG).
jpath() {
	local js k out=()
	js=$(ip netns exec "$1" "$KWIKCTL" -j path show "$2" 2>/dev/null)
	for k in "${@:3}"; do
		if [[ $js =~ \"$k\":\"?([^\",}]*) ]]; then
			out+=("${BASH_REMATCH[1]}")
		else
			out+=("?")
		fi
	done
	echo "${out[*]}"
}

# mon_scan NS [ID]: kwik_mon_scan (lib.sh) of NS's monitor output.
mon_scan() { kwik_mon_scan "$TMP/mon.$1" "${2:-}"; }
mon_downs() { mon_scan "$@"; echo "$MON_DOWNS"; }
# mon_stalls NS N: the largest "stalls" of NS's last N path-down events.
mon_stalls() {
	local l max=0
	while IFS= read -r l; do
		[[ $l =~ \"stalls\":([0-9]+) ]] || continue
		[ "${BASH_REMATCH[1]}" -le "$max" ] || max=${BASH_REMATCH[1]}
	done < <(grep '"event":"path-down"' "$TMP/mon.$1" | tail -n "$2")
	echo "$max"
}
_mon_more() { mon_scan "$1" "${3:-}"; [ "$MON_DOWNS" -gt "$2" ]; }

sessions() {	# sessions NS: live sessions in NS
	local js n=0
	js=$(ip netns exec "$1" "$KWIKCTL" -j session show 2>/dev/null) || { echo 999; return; }
	while [[ $js == *'"id":'* ]]; do
		js=${js#*\"id\":}
		n=$((n + 1))
	done
	echo "$n"
}
_sessions_le() { [ "$(sessions "$1")" -le "$2" ]; }

# has_tokens LINE TOKENS: every "k=v" token of TOKENS is in LINE; a token
# "a=1/a=2" accepts either.
has_tokens() {
	local tok alt hit
	for tok in $2; do
		hit=''
		for alt in ${tok//\// }; do
			[[ " $1 " == *" $alt "* ]] && hit=1
		done
		[ -n "$hit" ] || return 1
	done
}
# errno_ok GOT WANT: WANT may list alternatives with commas.
errno_ok() {
	[[ ",$2," == *",$1,"* ]]
}

kwik_topo_setup 2 || ktap_skip_all "topology setup failed"
ip netns exec kwc "$KWIKCTL" path show >/dev/null 2>&1 ||
	ktap_skip_all "kwikctl cannot talk to kwik.ko"
ktap_plan $((2 + ${#C_CASES[@]} + 3 + ${#S_CASES[@]} + 1 + 3))
ktap_diag "kernel $(uname -r), AF_KWIK $(kwik_family)"

# ---- setup: listener, legit service 7, a kwik_xfer server, the monitor ----
setup() {
	ip netns exec kws1 "$KWIKCTL" listener add local "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" service add 7 &&
	ip netns exec kwc "$KWIKCTL" path add service 7 id 1 \
		remote "10.0.1.2:$PORT" insecure &&
	ip netns exec kwc "$KWIKCTL" service add 20 &&
	kwik_wait_path_up kwc 1 20 || return 1
	ip netns exec kws1 "$XFER" server -s 7 -c 0 -t 0 -q --ready "$TMP/srv.ready" \
		>"$TMP/srv.out" 2>&1 &
	ip netns exec kws1 "$KWIKCTL" -j monitor >"$TMP/mon.kws1" 2>&1 &
	ip netns exec kwc "$KWIKCTL" -j monitor >"$TMP/mon.kwc" 2>&1 &
	kwik_poll 10 test -e "$TMP/srv.ready"
}
ktap_check "listener, legit path 1 and server up" setup

# The legit traffic: 256 KiB echo sessions, back to back, until told to stop.
legit_loop() {
	local i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		if ip netns exec kwc timeout -k 5 120 "$XFER" client -s 7 -m echo \
			-b 256K -t 100 -q --seed "$i" >"$TMP/legit.$i" 2>&1; then
			echo "ok $i" >>"$TMP/legit.log"
		else
			echo "FAIL $i: $(cat "$TMP/legit.$i")" >>"$TMP/legit.log"
		fi
	done
}
legit_loop &
LEGIT=$!
_legit_ran() { grep -q '^ok' "$TMP/legit.log" 2>/dev/null; }
ktap_check "legit echo session completes before the attack" kwik_poll $((60 * SLOW)) _legit_ran
# Unshaped link 1 makes a session short; rate-limit it so sessions overlap
# the attacks instead of finishing between them.
kwik_link_netem 1 "rate 20mbit delay 2ms"
slab0=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)

# ---- listener role: kwik_peer dials 10.0.1.2:7000 from inside kws1 ----
ccase() {
	local name opts want err drop nev maxst line before gerr gdrop st why=''
	IFS='|' read -r name opts want err drop nev maxst <<<"$1"
	before=$(mon_downs kws1)
	# shellcheck disable=SC2086
	line=$(ip netns exec kws1 timeout -k 5 60 "$PEER" $opts -t $((2000 * SLOW)) \
		client "10.0.1.2:$PORT" "$name" 2>"$TMP/peer.err")
	if ! kwik_poll $((20 * SLOW)) _mon_more kws1 $((before + ${nev:-1} - 1)); then
		why="no path-down event for the peer's path"
	else
		gerr=$MON_ERR gdrop=$MON_DROP
		if ! has_tokens "$line" "$want"; then
			why="peer saw '$line', want '$want'"
		elif ! errno_ok "$gerr" "$err"; then
			why="path error $gerr, want $err"
		elif [ -n "$drop" ] && [ "${gdrop:-0}" -lt "$drop" ]; then
			why="rx_dropped $gdrop, want >= $drop"
		elif [ -n "$maxst" ] &&
			st=$(mon_stalls kws1 "${nev:-1}") && [ "$st" -gt "$maxst" ]; then
			why="a path of the peer's was judged stale $st times, want <= $maxst"
		fi
	fi
	if [ -z "$why" ]; then
		[ ! -s "$TMP/peer.err" ] || ktap_diag "$(cat "$TMP/peer.err")"
		[ -z "$maxst" ] || ktap_diag "judged stale at most $st time(s)"
		ktap_ok "listener role: $name: ${want:-}, path $gerr${drop:+, rx_dropped $gdrop}"
	else
		ktap_diag "$why"
		ktap_diag "peer: $line $(cat "$TMP/peer.err")"
		ktap_fail "listener role: $name"
	fi
}
for c in "${C_CASES[@]}"; do
	ccase "$c"
done

# OPEN flood against an AF_KWIK listener (backlog 16) that never accepts:
# every OPEN gets one answer, at most backlog + 1 sessions exist, and they
# all go away with the path and the listener.
rm -f "$TMP/flood.ready"
ip netns exec kws1 "$PEER" -L -s 8 -b 16 -n 300 -t $((5000 * SLOW)) \
	-r "$TMP/flood.ready" -H $((60000 * SLOW)) \
	client "10.0.1.2:$PORT" open-flood >"$TMP/flood.out" 2>&1 &
FLOOD=$!
flood() {
	local line n
	kwik_poll $((60 * SLOW)) test -e "$TMP/flood.ready" || { echo "flood did not finish"; return 1; }
	line=$(cat "$TMP/flood.out")
	echo "$line"
	has_tokens "$line" "closed=0 alive=1" || return 1
	[[ $line =~ open_acks=([0-9]+)\ refused=([0-9]+) ]] || return 1
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq 300 ] ||
		{ echo "answers: ${BASH_REMATCH[1]} + ${BASH_REMATCH[2]} != 300"; return 1; }
	[ "${BASH_REMATCH[1]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -le 17 ] ||
		{ echo "${BASH_REMATCH[1]} OPEN_ACKs for a backlog of 16"; return 1; }
	n=$(sessions kws1)
	# The flood's sessions plus at most the one legit echo session.
	[ "$n" -le 18 ] || { echo "$n sessions in kws1 during the flood"; return 1; }
}
ktap_check "OPEN flood: 300 OPENs, one answer each, <= backlog+1 accepted" flood
kill "$FLOOD" 2>/dev/null
wait "$FLOOD" 2>/dev/null
ktap_check "OPEN flood: sessions gone once the peer leaves" \
	kwik_poll $((30 * SLOW)) _sessions_le kws1 1

# A larger flood on a service nothing listens on: all refused, nothing kept.
flood_refused() {
	local line
	line=$(ip netns exec kws1 timeout -k 5 120 "$PEER" -s 9 -n 2000 \
		-t $((5000 * SLOW)) client "10.0.1.2:$PORT" open-flood) || return 1
	echo "$line"
	has_tokens "$line" "closed=0 alive=1 open_acks=0 refused=2000"
}
ktap_check "OPEN flood: 2000 OPENs on a service without listener, all refused" flood_refused

# ---- client role: the kernel's path dials kwik_peer in kws2 ----
K=100
# shellcheck disable=SC2053  # $app is a glob pattern
scase() {
	local name app want err drop line gerr gdrop why='' aline=''
	IFS='|' read -r name app want err drop <<<"$1"
	K=$((K + 1))
	rm -f "$TMP/p.ready" "$TMP/p.ready.listen"
	ip netns exec kws2 timeout -k 5 90 "$PEER" -s 20 -t $((2000 * SLOW)) \
		-r "$TMP/p.ready" server "10.0.2.2:$PPORT" "$name" \
		>"$TMP/p.out" 2>"$TMP/peer.err" &
	local ppid=$!
	kwik_poll $((10 * SLOW)) test -e "$TMP/p.ready.listen"
	ip netns exec kwc "$KWIKCTL" path add service 20 id "$K" \
		remote "10.0.2.2:$PPORT" insecure no-reconnect >/dev/null
	if [ -n "$app" ]; then
		kwik_wait_path_up kwc "$K" $((20 * SLOW)) >/dev/null
		aline=$(ip netns exec kwc timeout -k 5 60 "$PEER" app 20 2>&1)
	fi
	wait "$ppid"
	line=$(cat "$TMP/p.out")
	if ! kwik_poll $((20 * SLOW)) _mon_more kwc 0 "$K"; then
		why="no path-down event for path $K: $(jpath kwc "$K" state error_name)"
	fi
	gerr=$MON_ERR gdrop=$MON_DROP
	if [ -n "$why" ]; then
		:
	elif ! has_tokens "$line" "$want"; then
		why="peer saw '$line', want '$want'"
	elif ! errno_ok "$gerr" "$err"; then
		why="path error $gerr, want $err"
	elif [ -n "$drop" ] && [ "${gdrop:-0}" -lt "$drop" ]; then
		why="rx_dropped $gdrop, want >= $drop"
	elif [ -n "$app" ] && [[ $aline != $app ]]; then
		why="application saw '$aline', want '$app'"
	fi
	ip netns exec kwc "$KWIKCTL" path del "$K" >/dev/null 2>&1
	if [ -z "$why" ]; then
		ktap_ok "client role: $name: path $gerr${drop:+, rx_dropped $gdrop}${aline:+, $aline}"
	else
		ktap_diag "$why"
		ktap_diag "peer: $line $(cat "$TMP/peer.err")"
		[ -z "$aline" ] || ktap_diag "app: $aline"
		ktap_fail "client role: $name"
	fi
}
for c in "${S_CASES[@]}"; do
	scase "$c"
done

# A path added with no-reconnect stays down after it fails: watched for
# 3 s, three times the 1 s keepalive period that could re-arm it (a
# negative can only be watched for a while).
noreconnect() {
	local ppid fails st
	rm -f "$TMP/p.ready.listen"
	ip netns exec kws2 timeout -k 5 60 "$PEER" -t $((1000 * SLOW)) \
		-r "$TMP/p.ready" server "10.0.2.2:$PPORT" reset-unknown >/dev/null 2>&1 &
	ppid=$!
	kwik_poll $((10 * SLOW)) test -e "$TMP/p.ready.listen" || return 1
	ip netns exec kwc "$KWIKCTL" path add service 20 id 200 \
		remote "10.0.2.2:$PPORT" insecure no-reconnect >/dev/null || return 1
	wait "$ppid"
	kwik_poll $((20 * SLOW)) _mon_more kwc 0 200 || { echo "path 200 never went down"; return 1; }
	_redialed() {
		read -r st fails <<<"$(jpath kwc 200 state failures)"
		[ "$st" != down ] || [ "$fails" != 1 ]
	}
	if kwik_poll 3 _redialed; then
		echo "no-reconnect path 200 re-dialled after failing with $MON_ERR:" \
			"now state $st, failures $fails, error $(jpath kwc 200 error_name)"
		ip netns exec kwc "$KWIKCTL" path del 200 >/dev/null 2>&1
		return 1
	fi
	ip netns exec kwc "$KWIKCTL" path del 200 >/dev/null 2>&1
}
ktap_check "client role: a no-reconnect path stays down after failing" noreconnect

# ---- after the attacks ----
touch "$TMP/stop"
wait "$LEGIT"
legit_check() {
	local ok fail
	ok=$(grep -c '^ok' "$TMP/legit.log")
	fail=$(grep -c '^FAIL' "$TMP/legit.log")
	echo "legit echo sessions: $ok ok, $fail failed"
	grep '^FAIL' "$TMP/legit.log" | head -n 3
	[ "$fail" -eq 0 ] && [ "$ok" -ge 2 ]
}
ktap_check "legit sessions byte-exact throughout the attacks" legit_check
legit_path() {
	local st
	st=$(jpath kwc 1 state failures rx_dropped)
	echo "path 1: state failures rx_dropped = $st"
	[ "$st" = "up 0 0" ]
}
ktap_check "legit path 1 never failed nor dropped a frame" legit_path
mem_check() {
	local slab1
	kwik_poll $((30 * SLOW)) _sessions_le kws1 0
	slab1=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)
	echo "SUnreclaim: $slab0 kB before the attacks, $slab1 kB after"
	# Thousands of OPENs and dozens of paths: a per-frame or per-session
	# leak would show as megabytes.
	[ $((slab1 - slab0)) -lt 4096 ]
}
ktap_check "unreclaimable slab grew < 4 MiB over all the attacks" mem_check

ktap_finish
