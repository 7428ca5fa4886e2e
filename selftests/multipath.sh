#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# multipath.sh - one session striped over 2 and 3 paths to one server,
# byte-exact in both directions while links are shaped, lossy,
# reordering, fail, are removed, added, restored; backup paths; the
# no-path timeout; every scheduler.
#
#	  kwc (client)                                   kws1 (server, anchor)
#	  kwc-1 10.0.1.1 ------- link 1 (netem) -------- 10.0.1.2:7000 listener
#	  kwc-2 10.0.2.1 ------- link 2 (netem) -------- 10.0.2.2:7000 listener
#	  kwc-3 10.0.3.1 ------- link 3 (netem) -------- 10.0.3.2:7000 listener
#	  service 7: path i -> 10.0.i.2:7000              kwik_xfer / kwik_bench
#	                                                  server on service 7
#
# Every transfer is an echo (both directions at once, each end verifying
# every byte and comparing digests with the other) or a kwik_bench run
# (one way, verified byte by byte, receipt checked by the sender).  Links
# break only after the transfer has made progress (polled from the
# paths' byte counters), and assertions are about correctness and bounded
# completion, never speed: TCG is slow.
set -u
. "$(dirname "$0")/lib.sh"

SVC=7
PORT=7000
XFER=$KWIK_BIN/kwik_xfer
BENCH=$KWIK_BIN/kwik_bench
SLOW=${KWIK_SLOW:-1}
BOUND=$((90 * SLOW))	# s: any transfer here must finish within this
# Failover transfers: long enough that the failure lands mid-transfer
# on slow kernels too (the progress polling is slow there as well).
FBYTES=$((3 * SLOW))M
RATE="rate 10mbit"

kwik_require_module
kwik_require_cmd "$KWIKCTL" "$XFER" "$BENCH"

TMP=$(mktemp -d /tmp/kwik-multipath.XXXXXX)
cleanup() {
	kwik_topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

kc() { ip netns exec "$1" "$KWIKCTL" "${@:2}"; }

# pbytes ID: tx_bytes + rx_bytes of client path ID (0 if absent); pure
# bash on kwikctl's compact JSON (python per poll is slow under TCG).
declare -A PTX PRX PSTATE PSTALL
pstats() {
	local js obj id
	PTX=() PRX=() PSTATE=() PSTALL=()
	js=$(kc kwc -j path show 2>/dev/null) || return 1
	js=${js#[}
	while [[ $js =~ \{\"id\":([0-9]+)(.*) ]]; do
		id=${BASH_REMATCH[1]}
		obj=${BASH_REMATCH[2]}
		js=$obj
		obj=${obj%%\{\"id\":*}
		[[ $obj =~ \"state\":\"([a-z]+)\" ]] && PSTATE[$id]=${BASH_REMATCH[1]}
		[[ $obj =~ \"tx_bytes\":([0-9]+) ]] && PTX[$id]=${BASH_REMATCH[1]}
		[[ $obj =~ \"rx_bytes\":([0-9]+) ]] && PRX[$id]=${BASH_REMATCH[1]}
		[[ $obj =~ \"stalls\":([0-9]+) ]] && PSTALL[$id]=${BASH_REMATCH[1]}
	done
}
ptotal() {	# bytes moved by every client path
	local id t=0
	pstats
	for id in "${!PTX[@]}"; do
		t=$((t + PTX[$id] + PRX[$id]))
	done
	echo "$t"
}
_moved() { [ "$(ptotal)" -ge "$1" ]; }
# wait_moved BYTES: until the paths together moved BYTES more than now.
wait_moved() {
	local base
	base=$(ptotal)
	kwik_poll $((60 * SLOW)) _moved $((base + $1))
}
_bench_sent() { [ "$(cat "$TMP/bprog" 2>/dev/null || echo 0)" -ge "$1" ]; }

sessions() {	# sessions NS: number of live sessions in NS
	local js n=0
	js=$(kc "$1" -j session show 2>/dev/null) || { echo 99; return; }
	while [[ $js == *'"id":'* ]]; do
		js=${js#*\"id\":}
		n=$((n + 1))
	done
	echo "$n"
}
_no_sessions() { [ "$(sessions kwc)" -eq 0 ] && [ "$(sessions kws1)" -eq 0 ]; }

# ---- topology -------------------------------------------------------------

# topo N NETEM...: N links to kws1, a listener per link, service 7 with
# path i per link (extra path args in PATH_ARGS_i), all up.
topo() {
	local n=$1 i var
	shift
	kwik_topo_multilink "$n" "$@" || return 1
	kc kwc service add "$SVC" ${SCHED:+scheduler "$SCHED"} || return 1
	for i in $(seq 1 "$n"); do
		var=PATH_ARGS_$i
		kc kws1 listener add local "10.0.$i.2:$PORT" insecure >/dev/null || return 1
		# shellcheck disable=SC2086
		kc kwc path add service "$SVC" id "$i" remote "10.0.$i.2:$PORT" \
			insecure ${!var:-} >/dev/null || return 1
	done
	for i in $(seq 1 "$n"); do
		kwik_wait_path_up kwc "$i" $((20 * SLOW)) || return 1
	done
}

# ---- transfers ------------------------------------------------------------

# tx_base before a transfer, tx_delta after it: the client paths' tx
# bytes moved in DTX[id], times judged stale in DST[id]; tx_report prints
# them.
declare -A DTX BASE_TX DST BASE_ST
tx_base() {
	local id
	pstats
	BASE_TX=() BASE_ST=()
	for id in "${!PTX[@]}"; do
		BASE_TX[$id]=${PTX[$id]} BASE_ST[$id]=${PSTALL[$id]:-0}
	done
}
tx_delta() {
	local id
	pstats
	DTX=() DST=()
	for id in "${!PTX[@]}"; do
		DTX[$id]=$((PTX[$id] - ${BASE_TX[$id]:-0}))
		DST[$id]=$((${PSTALL[$id]:-0} - ${BASE_ST[$id]:-0}))
	done
}
tx_report() {
	echo "per-path tx bytes (times judged stale): $(for id in $(printf '%s\n' "${!DTX[@]}" | sort -n); do printf 'path %s %s (%s)  ' "$id" "${DTX[$id]}" "${DST[$id]}"; done)"
}

# echo_xfer BYTES [ACTION AFTER_BYTES]: a kwik_xfer echo session of BYTES
# each way; with ACTION, run it once the paths moved AFTER_BYTES.  The
# client holds after half its payload (--hold) until the action is done,
# so however slow the machine (a debug kernel takes seconds for "ip link
# set down") the action lands on a live session and the second half must
# flow on what the action left.  Sets WHY on failure; per-path byte
# deltas of the session in DTX[id], times judged stale in DST[id].
WHY=
AFTER_ACTION=
echo_xfer() {
	local bytes=$1 action=${2:-} after=${3:-0} crc=0 src=0 cpid spid
	local hold=()
	WHY=
	rm -f "$TMP/go"
	[ -z "$action" ] || hold=(--hold "$TMP/go")
	tx_base
	rm -f "$TMP/ready"
	ip netns exec kws1 "$XFER" server -s "$SVC" -c 1 -t "$BOUND" \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/ready" || { WHY="server did not start"; return 1; }
	ip netns exec kwc timeout -k 5 "$BOUND" "$XFER" client -s "$SVC" -m echo \
		-b "$bytes" -t "$BOUND" "${hold[@]}" -q >"$TMP/cli.out" 2>&1 &
	cpid=$!
	kwik_stall_watch $((BOUND * 9 / 10))
	if [ -n "$action" ]; then
		wait_moved "$after" || ktap_diag "no progress before '$action'"
		# The point is to break things under a live transfer.
		kill -0 "$cpid" 2>/dev/null ||
			WHY="the client exited before '$action'"
		$action
		AFTER_ACTION="$(date +%T.%N) '$action' done:"$'\n'"$(kc kwc path show)"
		touch "$TMP/go"
	fi
	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	kwik_stall_done
	tx_delta
	local ctx crx cdt cdr stx srx sdt sdr
	ctx=$(kwik_field "$TMP/cli.out" tx) crx=$(kwik_field "$TMP/cli.out" rx)
	cdt=$(kwik_field "$TMP/cli.out" tx_fnv) cdr=$(kwik_field "$TMP/cli.out" rx_fnv)
	stx=$(kwik_field "$TMP/srv.out" tx) srx=$(kwik_field "$TMP/srv.out" rx)
	sdt=$(kwik_field "$TMP/srv.out" tx_fnv) sdr=$(kwik_field "$TMP/srv.out" rx_fnv)
	if [ -n "$WHY" ]; then
		:
	elif [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
		WHY="client exit $crc, server exit $src"
	elif [ -z "$cdt" ] || [ "$cdt" != "$sdr" ] || [ "$cdr" != "$sdt" ]; then
		WHY="digests: client tx $cdt rx $cdr, server tx $sdt rx $sdr"
	elif [ "$ctx" != "$srx" ] || [ "$crx" != "$stx" ] || [ "$((ctx + crx))" -lt $((2 * $(numfmt --from=iec "$bytes"))) ]; then
		WHY="byte counts: client tx $ctx rx $crx, server tx $stx rx $srx"
	fi
	if [ -n "$WHY" ]; then
		echo "$WHY"
		echo "client: $(cat "$TMP/cli.out")"
		echo "server: $(cat "$TMP/srv.out")"
		kc kwc path show
		kwik_stall_report
		return 1
	fi
	tx_report
}

# bench_xfer BYTES BENCH_CLIENT_ARGS... -- [ACTION AFTER_BYTES]: one-way
# kwik_bench run client -> server; the server's summary in $TMP/bsrv.out.
# ACTION runs once the client wrote AFTER_BYTES (its --progress file: a
# cheap poll, where path stats through kwikctl are slow on a debug kernel).
# Per-path byte deltas in DTX[id], as echo_xfer.
bench_xfer() {
	local bytes=$1 cargs=() action='' after=0 crc=0 src=0 cpid spid
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; action=${1:-}; after=${2:-0}; }
	tx_base
	rm -f "$TMP/bready"
	ip netns exec kws1 "$BENCH" server -s "$SVC" -t "$BOUND" \
		--ready "$TMP/bready" >"$TMP/bsrv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/bready" || { echo "bench server did not start"; return 1; }
	rm -f "$TMP/bprog"
	ip netns exec kwc "$BENCH" client -s "$SVC" -b "$bytes" -t "$BOUND" \
		--progress "$TMP/bprog" "${cargs[@]}" >"$TMP/bcli.out" 2>&1 &
	cpid=$!
	local mid=1
	if [ -n "$action" ]; then
		kwik_poll $((60 * SLOW)) _bench_sent "$after" ||
			echo "no progress before '$action'"
		kill -0 "$cpid" 2>/dev/null ||
			{ mid=''; echo "the transfer ended before '$action' (too short for this machine)"; }
		$action
		# The action takes seconds under TCG: say where it landed.
		echo "'$action' done with $(cat "$TMP/bprog") of $bytes bytes written"
		kill -0 "$cpid" 2>/dev/null ||
			{ mid=''; echo "the transfer ended during '$action' (too short for this machine)"; }
		AFTER_ACTION="$(date +%T.%N) '$action' done:"$'\n'"$(kc kwc path show)"
	fi
	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	tx_delta
	cat "$TMP/bsrv.out" "$TMP/bcli.out"
	tx_report
	[ -n "$mid" ] && [ "$crc" -eq 0 ] && [ "$src" -eq 0 ] &&
		[ "$(kwik_field "$TMP/bsrv.out" verify)" = ok ] &&
		[ "$(kwik_field "$TMP/bcli.out" receipt)" = ok ]
}

# share ID MIN_PERCENT: path ID carried at least MIN_PERCENT of the
# session's bytes sent by the client (DTX from the last echo_xfer).
share() {
	local id t=0
	for id in "${!DTX[@]}"; do t=$((t + DTX[$id])); done
	[ "$t" -gt 0 ] && [ $((DTX[$1] * 100 / t)) -ge "$2" ] ||
		{ echo "path $1 carried ${DTX[$1]:-0} of $t bytes, want >= $2%"; return 1; }
}

# ---- cases ----------------------------------------------------------------

case_echo() {	# case_echo DESC BYTES [ACTION AFTER] -- checks...
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc -eq 0 ]; then
		ktap_diag "$out"
		ktap_ok "$desc"
	else
		ktap_diag "$out"
		ktap_fail "$desc"
	fi
}

if ! topo 2 "$RATE delay 10ms" "$RATE delay 10ms"; then
	ktap_skip_all "multi-link topology or paths failed"
fi
ktap_plan 28
ktap_diag "kernel $(uname -r), AF_KWIK $(kwik_family)"

# 1-4: clean, heterogeneous, lossy and reordering links, 2 paths.
balanced() { echo_xfer 1M && share 1 25 && share 2 25; }
case_echo "2 paths, 10mbit/20ms RTT each: 1M echo byte-exact, each path >= 25%" balanced

hetero() {
	kwik_link_netem 1 "rate 10mbit delay 1ms" &&
	kwik_link_netem 2 "rate 1mbit delay 25ms" &&
	echo_xfer 512K && share 1 50
}
case_echo "2 paths, 10mbit/2ms + 1mbit/50ms RTT: 512K echo byte-exact, fast path >= 50%" hetero

lossy() {
	kwik_link_netem 1 "$RATE delay 10ms loss 1%" &&
	kwik_link_netem 2 "$RATE delay 10ms loss 1%" &&
	echo_xfer 512K
}
case_echo "2 paths, 1% loss each: 512K echo byte-exact" lossy

reorder() {
	kwik_link_netem 1 "$RATE delay 10ms reorder 25% 50%" &&
	kwik_link_netem 2 "$RATE delay 5ms reorder 25% 50%" &&
	echo_xfer 512K
}
case_echo "2 paths, netem reorder 25%: 512K echo byte-exact" reorder

# 5-10: failures mid-transfer.  3M (x KWIK_SLOW) each way at 5 Mbit/s per path lasts
# several seconds; the break comes after 300 KB have moved, and a case
# fails if the transfer was over by then.
FRATE="rate 5mbit"
shape() { kwik_link_netem 1 "$FRATE delay 10ms" && kwik_link_netem 2 "$FRATE delay 10ms"; }
shape
down1() { kwik_link_down 1; }
link_down() { echo_xfer "$FBYTES" down1 300000; }
case_echo "link 1 down mid-transfer: $FBYTES echo byte-exact over path 2" link_down

restored() {
	kwik_link_up 1 &&
	kwik_wait_path_up kwc 1 $((30 * SLOW)) &&
	echo_xfer $((512 * SLOW))K && share 1 10
}
case_echo "link 1 back: path 1 up again and carrying data (>= 10%)" restored

blackhole2() { kwik_link_netem 2 "loss 100%"; }
loss100() { echo_xfer "$FBYTES" blackhole2 300000; }
case_echo "netem loss 100% on link 2 mid-transfer: $FBYTES echo byte-exact" loss100
kwik_link_netem 2 "$FRATE delay 10ms"
ktap_check "path 2 recovers after the blackhole" kwik_wait_path_up kwc 2 $((30 * SLOW))

del1() { kc kwc path del 1; }
removed() { echo_xfer "$FBYTES" del1 300000 && pstats && [ -z "${PSTATE[1]:-}" ]; }
case_echo "path 1 removed with kwikctl mid-transfer: $FBYTES echo byte-exact" removed

add1() {
	kc kwc path add service "$SVC" id 1 remote "10.0.1.2:$PORT" insecure >/dev/null
	kwik_wait_path_up kwc 1 $((20 * SLOW)) >/dev/null
}
added() { echo_xfer "$FBYTES" add1 300000 && [ "${DTX[1]:-0}" -gt 0 ]; }
case_echo "path 1 added mid-transfer: joined by the live session, carries data" added

# 11-16: 3 paths: balanced, a link down, heterogeneous, equal again,
# lossy, reordering.
three() { echo_xfer 1M && share 1 15 && share 2 15 && share 3 15; }
three_hetero() {
	kwik_link_netem 1 "rate 10mbit delay 1ms" &&
	kwik_link_netem 2 "$FRATE delay 10ms" &&
	kwik_link_netem 3 "rate 1mbit delay 25ms" &&
	echo_xfer 512K && share 1 40
}
# Path 3 leaves the heterogeneous case measured as a 1mbit link with a
# queue; with the links equal again it must carry its share soon: idle
# and passed over, it PINGs and is judged by that round trip, and its
# small chunks' delivery rate, above its old best, counts
# (architecture.rst).  Without the PINGs, judged by its old srtt, it
# often carried next to nothing (0-2%).  How much of the very next
# transfer it gets depends on whether its 1mbit rate was measured at all
# and on how soon its own TCP (bbr) learns the link again: 13-37% in a
# quiet VM, but under 10% in 4 of 24 runs with a busy loop in the VM
# (and in CI once).  So the share is asked of the first echo or, failing
# that, of a second right after (17-22% in those runs that needed it).
# On the debug kernel, where the CPU rather than the links sets the
# pace, it need only carry some of it.
RECOVER_PCT=$([ "$SLOW" -gt 1 ] && echo 1 || echo 10)
three_recover() {
	kwik_link_netem 1 "$FRATE delay 10ms" &&
	kwik_link_netem 2 "$FRATE delay 10ms" &&
	kwik_link_netem 3 "$FRATE delay 10ms" &&
	echo_xfer 512K || return 1
	share 3 "$RECOVER_PCT" && return 0
	echo_xfer 512K && share 3 "$RECOVER_PCT" &&
		echo "path 3 got its share in the second echo"
}
three_lossy() {
	kwik_link_netem 1 "$FRATE delay 10ms loss 1%" &&
	kwik_link_netem 2 "$FRATE delay 10ms loss 1%" &&
	kwik_link_netem 3 "$FRATE delay 10ms loss 1%" &&
	echo_xfer 512K
}
three_reorder() {
	kwik_link_netem 1 "$FRATE delay 10ms reorder 25% 50%" &&
	kwik_link_netem 2 "$FRATE delay 5ms reorder 25% 50%" &&
	kwik_link_netem 3 "$FRATE delay 15ms reorder 25% 50%" &&
	echo_xfer 512K
}
if topo 3 "$FRATE delay 10ms" "$FRATE delay 10ms" "$FRATE delay 10ms"; then
	case_echo "3 paths, 5mbit each: 1M echo byte-exact, each path >= 15%" three
	down2() { kwik_link_down 2; }
	three_fail() { echo_xfer "$FBYTES" down2 300000; }
	case_echo "3 paths, link 2 down mid-transfer: $FBYTES echo byte-exact" three_fail
	kwik_link_up 2
	kwik_wait_path_up kwc 2 $((30 * SLOW)) >/dev/null
	case_echo "3 paths, 10mbit/2ms + 5mbit/20ms + 1mbit/50ms RTT: 512K echo byte-exact, fastest path >= 40%" three_hetero
	case_echo "3 paths equal again: 512K echo byte-exact, path 3 (1mbit before) >= $RECOVER_PCT% of it or of the next" three_recover
	case_echo "3 paths, 1% loss each: 512K echo byte-exact" three_lossy
	case_echo "3 paths, netem reorder 25%: 512K echo byte-exact" three_reorder
else
	ktap_fail "3 paths balanced: topology"
	ktap_fail "3 paths, link 2 down mid-transfer: topology"
	ktap_fail "3 paths heterogeneous: topology"
	ktap_fail "3 paths equal again: topology"
	ktap_fail "3 paths lossy: topology"
	ktap_fail "3 paths reordering: topology"
fi

# 17-19: a backup path carries nothing while a primary works, then
# everything once the primaries are gone.
# shellcheck disable=SC2034  # read through ${!var} in topo
PATH_ARGS_3=backup
if topo 3 "$FRATE delay 10ms" "$FRATE delay 10ms" "$FRATE delay 10ms"; then
	unused() {
		echo_xfer 512K || return 1
		# Payload bytes: PINGs and ACKs are not counted in tx_bytes.
		[ "${DTX[3]:-0}" -eq 0 ] || { echo "backup sent ${DTX[3]} bytes"; return 1; }
	}
	case_echo "backup path 3 unused while primaries 1 and 2 work" unused
	primaries_down() { kwik_link_down 1 && kwik_link_down 2; }
	used() {
		echo_xfer "$FBYTES" primaries_down 300000 || return 1
		[ "${DTX[3]:-0}" -gt 0 ] && return 0
		echo "$AFTER_ACTION"
		echo "$(date +%T.%N) client: $(cat "$TMP/cli.out")"
		kc kwc path show
		ip -n kwc link show
		return 1
	}
	case_echo "primaries down mid-transfer: backup path 3 carries it, byte-exact" used
	kwik_link_up 1
	kwik_link_up 2
	back() {
		kwik_wait_path_up kwc 1 $((30 * SLOW)) && kwik_wait_path_up kwc 2 $((30 * SLOW)) &&
		echo_xfer 512K && [ "${DTX[3]:-0}" -eq 0 ]
	}
	case_echo "primaries back: backup path 3 idle again" back
else
	for i in 1 2 3; do ktap_fail "backup path: topology"; done
fi
# shellcheck disable=SC2034
PATH_ARGS_3=

# 20: every path gone: the session waits KWIK_NOPATH_TIMEOUT (3 s here),
# then fails with ETIMEDOUT; no session is left anywhere.
nopath() {
	local t0 t1 rc=0 spid cpid
	topo 2 "$RATE delay 10ms" "$RATE delay 10ms" || return 1
	rm -f "$TMP/bready"
	ip netns exec kws1 "$BENCH" server -s "$SVC" -t "$BOUND" \
		--ready "$TMP/bready" >"$TMP/bsrv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/bready" || return 1
	ip netns exec kwc "$BENCH" client -s "$SVC" -b 1G -t "$BOUND" \
		--nopath-timeout 3000 >"$TMP/bcli.out" 2>&1 &
	cpid=$!
	wait_moved 500000 || { echo "no progress"; return 1; }
	kwik_link_down 1 && kwik_link_down 2
	t0=$(date +%s)
	wait "$cpid" || rc=$?
	t1=$(date +%s)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	cat "$TMP/bcli.out"
	echo "client exit $rc after $((t1 - t0)) s with every link down"
	grep -q ETIMEDOUT "$TMP/bcli.out" || { echo "want ETIMEDOUT"; return 1; }
	# Path failure detection (<= 6 s of silence) + 3 s + slack.
	[ $((t1 - t0)) -le $((6 + 3 + 15 * SLOW)) ] || return 1
	kwik_link_up 1 && kwik_link_up 2
	kwik_poll $((30 * SLOW)) _no_sessions ||
		{ echo "sessions left: kwc $(sessions kwc), kws1 $(sessions kws1)"; return 1; }
}
case_echo "all paths down: ETIMEDOUT within KWIK_NOPATH_TIMEOUT + detection + slack, no session left" nopath
kwik_link_up 1 2>/dev/null
kwik_link_up 2 2>/dev/null

# 21-24: each scheduler, per socket (kwik_bench) and per service (kwikctl),
# on the topology the previous case left (links up again).
kwik_wait_path_up kwc 1 $((30 * SLOW)) >/dev/null
kwik_wait_path_up kwc 2 $((30 * SLOW)) >/dev/null
for s in default wrr; do
	case_echo "scheduler $s (SOL_KWIK KWIK_SCHEDULER): 512K byte-exact" \
		bench_xfer 512K --sched "$s"
done
# Every chunk on both paths: together they carry about twice the stream
# (a path that falls behind skips what the peer has acknowledged; 1.9-2.0
# times measured).  Any other scheduler sends it about once.
redundant() {
	bench_xfer 512K --sched redundant || return 1
	[ $((DTX[1] + DTX[2])) -ge $((512 * 1024 * 3 / 2)) ] ||
		{ echo "paths carried $((DTX[1] + DTX[2])) bytes, want >= 1.5 x 524288"; return 1; }
}
case_echo "scheduler redundant (SOL_KWIK KWIK_SCHEDULER): 512K byte-exact, both paths carry it" redundant
sched_service() {
	SCHED=wrr PATH_ARGS_1="weight 3" topo 2 "$RATE delay 10ms" "$RATE delay 10ms" || return 1
	kc kwc -j service show | grep -q '"scheduler":"wrr"' ||
		echo "(service show has no scheduler key yet)"
	echo_xfer 1M && [ "${DTX[1]:-0}" -gt "${DTX[2]:-0}" ] ||
		{ echo "weight 3 path carried ${DTX[1]:-0}, weight 1 path ${DTX[2]:-0}"; return 1; }
}
case_echo "service scheduler wrr (kwikctl), weights 3:1: echo byte-exact, path 1 carries more" sched_service

# 25: the redundant scheduler hides a path failure: no delivery gap.  The
# topology of case 24 (service scheduler wrr, weights 3:1) serves: the
# socket's scheduler overrides the service's.  The client's writes are
# not held here (a pause would be a gap), so the transfer must outlast
# the poll and the blackhole: at 3M they landed in its last tenth, on
# Debian's kernel too.  The blackhole changes link 1's netem in place
# (what it holds stays queued), one process per end.
RBYTES=$((8 * SLOW))M
redundant_fail() {
	local gap
	bench_xfer "$RBYTES" --sched redundant -- blackhole1_now 300000 || return 1
	gap=$(kwik_field "$TMP/bsrv.out" max_gap_ms)
	echo "largest delivery gap ${gap} ms"
	# 20 ms RTT: anything near a retransmission timeout or a path
	# failure detection (>= 1 s) is a gap; TCG jitter stays well below.
	[ "${gap%.*}" -lt 800 ]
}
blackhole1_now() { kwik_link_netem_change 1 "$RATE delay 10ms loss 100%"; }
case_echo "redundant scheduler: link 1 blackholed mid-transfer, no delivery gap (< 800 ms)" redundant_fail

# 26: a closing session's last ACK goes on a path known to work.  A
# kwik_xfer client sends 1M and closes without waiting for the server,
# so the server's FIN ends the orphan at once, the ACK for it still
# owed.  Link 1 goes dark while the client holds halfway; the rest and
# both FINs come before path 1 is failed (5 s of silence on Debian's
# kernel), while it is up but stale.  An ACK left on it is lost: the
# server's session then ends on the client's RESET (if it resends its
# FIN) or after the whole orphan linger (60 s), never cleanly.
last_ack() {
	local spid cpid mpid crc=0 src=0 rc=0 line base
	topo 2 "$RATE delay 10ms" "$RATE delay 10ms" || return 1
	ip netns exec kws1 "$KWIKCTL" monitor >"$TMP/mon" 2>&1 &
	mpid=$!
	kwik_poll 5 kwik_mon_joined kws1 || echo "(the monitor's group is not visible)"
	rm -f "$TMP/ready" "$TMP/go"
	ip netns exec kws1 "$XFER" server -s "$SVC" -c 1 -t "$BOUND" \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/ready" || echo "server did not start"
	base=$(ptotal)
	ip netns exec kwc "$XFER" client -s "$SVC" -m send -b 1M -t "$BOUND" \
		--hold "$TMP/go" -q >"$TMP/cli.out" 2>&1 &
	cpid=$!
	# The client holds once its first half is out.
	kwik_poll $((60 * SLOW)) _moved $((base + 524288)) ||
		echo "the client did not reach its hold"
	blackhole1_now
	touch "$TMP/go"
	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	pstats
	echo "client exit $crc, server exit $src; path 1 ${PSTATE[1]:-gone} after the transfer"
	[ "$crc" -eq 0 ] && [ "$src" -eq 0 ] &&
		[ "$(kwik_field "$TMP/cli.out" tx)" = 1048576 ] &&
		[ "$(kwik_field "$TMP/srv.out" rx)" = 1048576 ] &&
		[ "$(kwik_field "$TMP/cli.out" tx_fnv)" = "$(kwik_field "$TMP/srv.out" rx_fnv)" ] ||
		{ rc=1; echo "client: $(cat "$TMP/cli.out")"; echo "server: $(cat "$TMP/srv.out")"; }
	kwik_poll $((20 * SLOW)) _no_sessions || {
		rc=1
		echo "sessions left: kwc $(kc kwc -j session show), kws1 $(kc kws1 -j session show)"
	}
	kill "$mpid" 2>/dev/null
	wait "$mpid" 2>/dev/null
	line=$(grep '^session-close .* role server ' "$TMP/mon")
	echo "${line:-no session-close event from kws1}"
	[[ $line == *" error -" ]] || rc=1
	return $rc
}
case_echo "link 1 blackholed, transfer closed: no session lingers for a lost last ACK" last_ack

# 27-28: nothing leaks.
ktap_check "no session left in kwc or kws1" kwik_poll $((30 * SLOW)) _no_sessions
kwik_topo_cleanup
ktap_check "kwik_xfer/kwik_bench left no process" bash -c '! pgrep -x "kwik_xfer|kwik_bench"'

ktap_finish
