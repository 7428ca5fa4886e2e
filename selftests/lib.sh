#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - shared TAP 13 output and network-namespace topology helpers for
# the Kwik selftests.  Source it from a test:
#
#	. "$(dirname "$0")/lib.sh"
#	ktap_plan 2
#	kwik_topo_setup 2
#	trap kwik_topo_cleanup EXIT
#	ktap_check "path 1 comes up" kwik_wait_path_up kwc 1 10
#	...
#	ktap_finish
#
# TAP:
#   ktap_plan N                 "TAP version 13" and "1..N"
#   ktap_ok DESC / ktap_fail DESC
#   ktap_skip DESC REASON       "ok N DESC # SKIP REASON"
#   ktap_check DESC CMD...      ok if CMD succeeds, else not ok (and CMD's
#                               output is shown as diagnostics)
#   ktap_diag MSG...            "# MSG" (also: ktap_info)
#   ktap_skip_all REASON        plan 1..0 # SKIP, exit 4
#   ktap_finish                 exit 0 all passed, 1 any failed, 4 all skipped
#
# Environment (the VM runner exports these; defaults work in the tree):
#   KWIKCTL    kwikctl binary     (../tools/kwikctl/kwikctl, else PATH)
#   KWIK_BIN   dir of kwik_xfer, kwik_sockapi, kwik_nl_bad (selftests/)
#   KWIK_SRC   repository root, KWIK_KO kwik.ko loaded by the runner
#
# Topology (kwik_topo_setup N [NETEM...]):
#
#	          10.0.1.1/24  veth  10.0.1.2/24
#	  +-----+ kwc-1 ------------------ kws1-0 +------+
#	  | kwc |                                 | kws1 |
#	  |     | kwc-2 ------------------ kws2-0 +------+
#	  +-----+  10.0.2.1/24         10.0.2.2/24 | kws2 |  ... up to kwsN
#
#   Client namespace "kwc", servers "kws1".."kwsN".  Link i has device
#   kwc-i in kwc and kwsi-0 in kwsi.  Optional netem per link i, applied
#   on both ends (so the RTT is twice a "delay"; "rate" limits each
#   direction):
#     argument i+1 of kwik_topo_setup, or $KWIK_NETEM_<i> if unset, or
#     $KWIK_NETEM for every link.  Example:
#	kwik_topo_setup 2 "rate 10mbit delay 10ms" "rate 3mbit delay 25ms"
#   kwik_link_netem I NETEM...   change link I later ("" = remove)
#   kwik_link_netem_change I NETEM...  the same in place (no unshaped gap)
#   kwik_link_down I / kwik_link_up I
#
# Multi-link variant (kwik_topo_multilink N [NETEM...]): ONE server
# namespace kws1 reached over N links, for sessions striped over several
# paths to one anchor.  Link i: kwc-i 10.0.i.1/24 in kwc <-> kws1-i
# 10.0.i.2/24 in kws1; kwik_link_* work on it the same way.
#
# Polling (never fixed sleeps):
#   kwik_poll TIMEOUT_S CMD...          until CMD succeeds; 1 on timeout
#   kwik_wait_path_up NS PATH_ID TIMEOUT_S
#   kwik_path_state NS PATH_ID          prints the path's "state"
#   kwik_mon_scan FILE [ID]             path-down events of "kwikctl -j monitor"
#   kwik_mon_joined NS                  a monitor in NS listens for events
#   kwik_wait_listen NS PORT TIMEOUT_S  until a TCP listener on PORT in NS
#   kwik_require_module / kwik_require_cmd CMD...  skip the test if absent
#   kwik_rmmod [TIMEOUT_S]              rmmod kwik, retried while in use
#
# TLS (tlshd per namespace, test certificates, PSK keys): see the "TLS"
# section at the end (kwik_tls_skip_reason, kwik_tls_certs,
# kwik_tlshd_conf, kwik_tlshd_start/stop, kwik_psk_add).

# ---- TAP ------------------------------------------------------------------

KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0
KTAP_PLAN=

ktap_plan() {
	KTAP_PLAN=$1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_diag() {
	local line
	# Every line of every argument becomes one diagnostic line.
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}
ktap_info() { ktap_diag "$@"; }

ktap_ok() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $1"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $1"
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP ${2:-}"
}

# ktap_check DESC CMD...: run CMD; its output only shows when it fails.
ktap_check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc -eq 0 ]; then
		ktap_ok "$desc"
	else
		[ -z "$out" ] || ktap_diag "$out"
		ktap_diag "'$*' exited $rc"
		ktap_fail "$desc"
	fi
	return 0
}

ktap_skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}

# Exit 0 if everything passed, 1 if anything failed (or the plan was not
# met), 4 if everything was skipped.
ktap_finish() {
	local total=$((KTAP_PASS + KTAP_FAIL + KTAP_SKIP))
	if [ -n "$KTAP_PLAN" ] && [ "$KTAP_PLAN" -ne "$total" ]; then
		ktap_diag "planned $KTAP_PLAN tests but ran $total"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	ktap_diag "totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	if [ "$KTAP_FAIL" -gt 0 ]; then
		exit 1
	elif [ "$total" -gt 0 ] && [ "$KTAP_SKIP" -eq "$total" ]; then
		exit 4
	fi
	exit 0
}

# ---- environment ----------------------------------------------------------

KWIK_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${KWIK_SRC:=$(cd "$KWIK_LIB_DIR/.." && pwd)}"
: "${KWIK_BIN:=$KWIK_LIB_DIR}"
if [ -z "${KWIKCTL:-}" ]; then
	if [ -x "$KWIK_SRC/tools/kwikctl/kwikctl" ]; then
		KWIKCTL=$KWIK_SRC/tools/kwikctl/kwikctl
	else
		KWIKCTL=$(command -v kwikctl || echo kwikctl)
	fi
fi
export KWIK_SRC KWIK_BIN KWIKCTL

# kwik_require_cmd CMD...: skip the whole test unless every CMD exists.
kwik_require_cmd() {
	local c
	for c in "$@"; do
		[ -x "$c" ] || command -v "$c" >/dev/null 2>&1 ||
			ktap_skip_all "$c not available"
	done
}

# kwik_require_module: skip the whole test unless kwik.ko is loaded (or
# can be loaded with modprobe).
kwik_require_module() {
	[ -d /sys/module/kwik ] || modprobe -q kwik 2>/dev/null ||
		ktap_skip_all "kwik.ko not loaded"
}

# The address family number kwik.ko registered (module parameter).
kwik_family() {
	cat /sys/module/kwik/parameters/family
}

# ---- polling --------------------------------------------------------------

# kwik_tlshd_version: the ktls-utils version of $KWIK_TLSHD ("1.4.0").
kwik_tlshd_version() {
	"$KWIK_TLSHD" -v 2>&1 | sed -n 's/.*ktls-utils \([0-9][0-9.]*\).*/\1/p' | head -n 1
}

# kwik_quic_skip_reason: why QUIC paths cannot run here, "" if they can.
# They need kwik_quic.ko (the runner loads it with quic.ko when given
# KWIK_QUIC_DIR), TLS (kwik_tls_skip_reason) and a tlshd of ktls-utils
# >= 1.3 built with QUIC.  When the runner was given quic.ko but
# kwik_quic is not loaded, "" too: the caller's setup then fails on it.
kwik_quic_skip_reason() {
	local v
	if [ ! -d /sys/module/kwik_quic ]; then
		[ -n "${KWIK_QUIC_MODULE:-}" ] ||
			echo "no kwik_quic.ko/quic.ko: give the runner KWIK_QUIC_DIR (an lxin/quic build, Documentation/quic.rst)"
		return 0
	fi
	v=$(kwik_tls_skip_reason)
	if [ -n "$v" ]; then
		echo "$v"
		return 0
	fi
	v=$(kwik_tlshd_version)
	case $v in
	0.*|1.[012]|1.[012].*|"")
		echo "tlshd ${v:-of unknown version} ($KWIK_TLSHD) cannot do QUIC handshakes: set KWIK_TLSHD to one of ktls-utils >= 1.3 built with QUIC"
		;;
	esac
}

# kwik_pget NS ID KEY: KEY of path ID in "kwikctl -j path show" (strings
# unquoted; empty for null or absent).  Pure bash: forks are slow under TCG.
kwik_pget() {
	local js obj
	js=$(ip netns exec "$1" "$KWIKCTL" -j path show 2>/dev/null) || return 1
	obj=${js#*\{\"id\":"$2",}
	[ "$obj" != "$js" ] || return 1
	obj=${obj%%\{\"id\":*}
	if [[ $obj =~ \"$3\":\"([^\"]*)\" ]]; then
		echo "${BASH_REMATCH[1]}"
	elif [[ $obj =~ \"$3\":([0-9a-z]+) ]]; then
		[ "${BASH_REMATCH[1]}" = null ] || echo "${BASH_REMATCH[1]}"
	fi
}

# kwik_path_check NS ID KEY=VALUE...: exact JSON values of path ID; says
# which differ (and shows the path) otherwise.
kwik_path_check() {
	local ns=$1 id=$2 kv v bad=
	shift 2
	for kv in "$@"; do
		v=$(kwik_pget "$ns" "$id" "${kv%%=*}")
		[ "$v" = "${kv#*=}" ] || bad+=" ${kv%%=*}='$v' (want '${kv#*=}')"
	done
	[ -z "$bad" ] && return 0
	echo "path $id:$bad"
	ip netns exec "$ns" "$KWIKCTL" -j path show "$id"
	return 1
}

# kwik_field FILE KEY: KEY=value from the last summary line of kwik_xfer
# (" sessions=") or kwik_bench ("bench role="); pure bash, as forks are
# slow under TCG.
kwik_field() {
	local l line='' kv
	while IFS= read -r l; do
		[[ $l == *" sessions="* || $l == "bench role="* ]] && line=$l
	done <"$1"
	for kv in $line; do
		[[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }
	done
}

# kwik_mon_joined NS: a generic netlink socket of NS has joined a
# multicast group, i.e. a monitor there is listening.  Group IDs above 31
# do not show in /proc/net/netlink: callers give up after a few seconds.
kwik_mon_joined() {
	# shellcheck disable=SC2016 # awk program
	ip netns exec "$1" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
		/proc/net/netlink
}

# kwik_mon_scan FILE [ID]: the path-down events "kwikctl -j monitor"
# wrote to FILE (of path ID only, if given): MON_DOWNS counts them,
# MON_ERR and MON_DROP hold the error_name and stats.rx_dropped of the
# last one (of path ID: of its first one, what caused the failure).
# Events give the errno at the moment of failure, whatever the path
# does next (its own error field then shows its reconnect attempts).
MON_DOWNS=0 MON_ERR='' MON_DROP=''
kwik_mon_scan() {
	local l
	MON_DOWNS=0
	while IFS= read -r l; do
		[[ $l == *'"event":"path-down"'* ]] || continue
		[ -z "${2:-}" ] || [[ $l == *"\"path\":{\"id\":$2,"* ]] || continue
		MON_DOWNS=$((MON_DOWNS + 1))
		[ -z "${2:-}" ] || [ "$MON_DOWNS" -eq 1 ] || continue
		[[ $l =~ \"error_name\":\"?([^\",}]*) ]] && MON_ERR=${BASH_REMATCH[1]}
		[[ $l =~ \"rx_dropped\":([0-9]+) ]] && MON_DROP=${BASH_REMATCH[1]}
	done <"$1"
}

# kwik_poll TIMEOUT_S CMD...: run CMD every 0.1-0.5 s until it succeeds.
# Returns 0 as soon as it does, 1 after TIMEOUT_S seconds.
kwik_poll() {
	local timeout=$1 end delay=0.1
	shift
	end=$(($(date +%s%N) / 1000000 + timeout * 1000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep "$delay"
		[ "$delay" = 0.5 ] || delay=$(awk "BEGIN{d=$delay*2; print (d>0.5)?0.5:d}")
	done
}

# kwik_stall_watch SECONDS: a transfer has started and must end within
# its bound; after SECONDS (the bound less a margin) save every
# namespace's sessions, paths ("kwikctl -d") and TCP sockets (ss) to
# $TMP/stall, while a stuck transfer's sessions still exist and show
# what they wait for.  At most 40 s: a closed, stuck session lingers
# 60 s, then is reset (KWIK_LINGER).
# kwik_stall_done stops the watch; kwik_stall_report prints what it
# saved, if anything.  Diagnostics only: nothing is judged by time.
KWIK_STALL_PID=
kwik_stall_watch() {
	local at=$(($1 < 40 ? $1 : 40))

	rm -f "$TMP/stall"
	# Its own stdio: it must not hold a caller's $(...) pipe open.
	(
		s=
		trap '[ -z "$s" ] || kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$at" &
		s=$!
		wait "$s"
		for ns in $(ip netns list | awk '{print $1}'); do
			echo "== $ns"
			ip netns exec "$ns" "$KWIKCTL" -n -d session show
			ip netns exec "$ns" "$KWIKCTL" -j path show
			ip netns exec "$ns" ss -tnmi
		done >"$TMP/stall.part" 2>&1
		mv "$TMP/stall.part" "$TMP/stall"
	) </dev/null >/dev/null 2>&1 &
	KWIK_STALL_PID=$!
}
kwik_stall_done() {
	[ -n "$KWIK_STALL_PID" ] || return 0
	kill "$KWIK_STALL_PID" 2>/dev/null
	wait "$KWIK_STALL_PID" 2>/dev/null
	KWIK_STALL_PID=
	return 0
}
kwik_stall_report() {
	[ -s "$TMP/stall" ] || return 0
	echo "sessions and paths near the bound ($(stat -c %y "$TMP/stall")):"
	cat "$TMP/stall"
}

# kwik_path_state NS PATH_ID: print the "state" of path PATH_ID as shown
# by "kwikctl -j path show" in namespace NS (empty if no such path).
kwik_path_state() {
	ip netns exec "$1" "$KWIKCTL" -j path show 2>/dev/null |
		python3 -c '
import json, sys
want = int(sys.argv[1])
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
if isinstance(data, dict):
    data = data.get("paths", data.get("path", [data]))
for p in data if isinstance(data, list) else []:
    if isinstance(p, dict) and str(p.get("id")) == str(want):
        print(p.get("state", ""))
        sys.exit(0)
sys.exit(1)
' "$2"
}

_kwik_path_is_up() {
	[ "$(kwik_path_state "$1" "$2")" = up ]
}

# kwik_wait_path_up NS PATH_ID TIMEOUT_S: 0 once the path is "up", 1 on
# timeout (then prints the last "path show" as a diagnostic).
kwik_wait_path_up() {
	kwik_poll "$3" _kwik_path_is_up "$1" "$2" && return 0
	ktap_diag "path $2 in $1 not up after $3 s; state '$(kwik_path_state "$1" "$2")':"
	ktap_diag "$(ip netns exec "$1" "$KWIKCTL" path show 2>&1)"
	return 1
}

# kwik_wait_listen NS PORT TIMEOUT_S: until a TCP socket listens on PORT.
_kwik_listening() {
	ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q .
}
kwik_wait_listen() {
	kwik_poll "$3" _kwik_listening "$1" "$2"
}

# ---- topology -------------------------------------------------------------

# Number of servers of the current topology (for tests that loop).
export KWIK_NSERVERS=0

# kwik_link_netem I [NETEM ARGS...]: shape link I (both ends) with netem;
# no args removes the shaping.  NETEM ARGS as for "tc qdisc ... netem",
# e.g. "rate 10mbit delay 10ms loss 1%".
# Server end "NS:DEV" of link I in the current topology.
KWIK_MULTILINK=
_kwik_link_srv() {
	if [ -n "$KWIK_MULTILINK" ]; then
		echo "kws1:kws1-$1"
	else
		echo "kws$1:kws$1-0"
	fi
}

kwik_link_netem() {
	local i=$1 ns dev
	shift
	for ns in "kwc:kwc-$i" "$(_kwik_link_srv "$i")"; do
		dev=${ns#*:} ns=${ns%%:*}
		ip -n "$ns" link show "$dev" >/dev/null || return 1
		tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null || true
		if [ $# -gt 0 ] && [ -n "$*" ]; then
			# shellcheck disable=SC2068
			tc -n "$ns" qdisc add dev "$dev" root netem $@ || return 1
		fi
	done
}

# Links 1 and 2 for a check that both paths carry data: unshaped, a
# path is CPU-bound under TCG long before its window fills (on the debug
# kernel at 10 Mbit/s too), its estimate may rightly stay best and it
# may take the whole session.  So the links, not the CPU, must limit:
# 10 Mbit/s, 1 Mbit/s when KWIK_SLOW > 1.  kwik_links_striped shapes
# them, kwik_links_striped "" clears them.
KWIK_STRIPE_MBIT=$([ "${KWIK_SLOW:-1}" -gt 1 ] && echo 1 || echo 10)
kwik_links_striped() {
	local netem="rate ${KWIK_STRIPE_MBIT}mbit delay 5ms"

	[ $# -eq 0 ] || netem=$1
	kwik_link_netem 1 "$netem" && kwik_link_netem 2 "$netem"
}

# kwik_link_netem_change I NETEM_ARGS...: change link I's netem in place
# on both ends (tc qdisc change): the packets it holds stay queued and
# there is no instant without it, as there is between kwik_link_netem's
# del and add.  A rate left out keeps its old value: give the whole spec.
# An end without netem gets one added.
kwik_link_netem_change() {
	local i=$1 ns dev
	shift
	for ns in "kwc:kwc-$i" "$(_kwik_link_srv "$i")"; do
		dev=${ns#*:} ns=${ns%%:*}
		# shellcheck disable=SC2068
		tc -n "$ns" qdisc change dev "$dev" root netem $@ 2>/dev/null ||
			tc -n "$ns" qdisc add dev "$dev" root netem $@ ||
			return 1
	done
}

kwik_link_down() {
	local srv
	srv=$(_kwik_link_srv "$1")
	ip -n kwc link set "kwc-$1" down && ip -n "${srv%%:*}" link set "${srv#*:}" down
}
kwik_link_up() {
	local srv
	srv=$(_kwik_link_srv "$1")
	ip -n kwc link set "kwc-$1" up && ip -n "${srv%%:*}" link set "${srv#*:}" up
}

# kwik_topo_setup N [NETEM_1 ... NETEM_N]: see the drawing at the top.
kwik_topo_setup() {
	local n=$1 i netem var
	shift
	kwik_topo_cleanup
	KWIK_MULTILINK=
	KWIK_NSERVERS=$n
	ip netns add kwc || return 1
	ip -n kwc link set lo up
	for i in $(seq 1 "$n"); do
		ip netns add "kws$i" || return 1
		ip -n "kws$i" link set lo up
		ip link add "kwc-$i" netns kwc type veth peer name "kws$i-0" netns "kws$i" ||
			return 1
		ip -n kwc addr add "10.0.$i.1/24" dev "kwc-$i"
		ip -n "kws$i" addr add "10.0.$i.2/24" dev "kws$i-0"
		ip -n kwc link set "kwc-$i" up
		ip -n "kws$i" link set "kws$i-0" up
	done
	# Check every link before shaping it: netem may drop everything.
	for i in $(seq 1 "$n"); do
		kwik_poll 10 ip netns exec kwc ping -c1 -W1 -q "10.0.$i.2" ||
			{ ktap_diag "link $i: 10.0.$i.2 unreachable"; return 1; }
	done
	for i in $(seq 1 "$n"); do
		netem=${1:-}
		[ $# -eq 0 ] || shift
		var=KWIK_NETEM_$i
		[ -n "$netem" ] || netem=${!var:-${KWIK_NETEM:-}}
		if [ -n "$netem" ]; then
			kwik_link_netem "$i" "$netem" || return 1
		fi
	done
}

# kwik_topo_multilink N [NETEM_1 ... NETEM_N]: kwc and ONE server kws1
# joined by N links (see the top); netem as for kwik_topo_setup.
kwik_topo_multilink() {
	local n=$1 i netem var
	shift
	kwik_topo_cleanup
	KWIK_MULTILINK=1
	KWIK_NSERVERS=1
	ip netns add kwc || return 1
	ip netns add kws1 || return 1
	ip -n kwc link set lo up
	ip -n kws1 link set lo up
	for i in $(seq 1 "$n"); do
		ip link add "kwc-$i" netns kwc type veth peer name "kws1-$i" netns kws1 ||
			return 1
		ip -n kwc addr add "10.0.$i.1/24" dev "kwc-$i"
		ip -n kws1 addr add "10.0.$i.2/24" dev "kws1-$i"
		ip -n kwc link set "kwc-$i" up
		ip -n kws1 link set "kws1-$i" up
	done
	for i in $(seq 1 "$n"); do
		kwik_poll 10 ip netns exec kwc ping -c1 -W1 -q "10.0.$i.2" ||
			{ ktap_diag "link $i: 10.0.$i.2 unreachable"; return 1; }
	done
	for i in $(seq 1 "$n"); do
		netem=${1:-}
		[ $# -eq 0 ] || shift
		var=KWIK_NETEM_$i
		[ -n "$netem" ] || netem=${!var:-${KWIK_NETEM:-}}
		if [ -n "$netem" ]; then
			kwik_link_netem "$i" "$netem" || return 1
		fi
	done
}

# kwik_ns_kill NS: kill every process in namespace NS.
kwik_ns_kill() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null) || return 0
	[ -z "$pids" ] && return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	if ! kwik_poll 5 _kwik_ns_empty "$1"; then
		pids=$(ip netns pids "$1" 2>/dev/null) || true
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	fi
	return 0
}
_kwik_ns_empty() { [ -z "$(ip netns pids "$1" 2>/dev/null)" ]; }

# kwik_rmmod [TIMEOUT_S]: unload kwik.ko, retrying while it is still in
# use (namespace teardown is asynchronous); default 30 s.
kwik_rmmod() {
	[ -d /sys/module/kwik ] || return 0
	kwik_poll "${1:-30}" rmmod kwik && return 0
	rmmod kwik	# once more, for its error message
}

# kwik_topo_cleanup: kill the namespaces' processes and delete them
# (kwc and every kws*).  Safe to call more than once, e.g. from a trap.
kwik_topo_cleanup() {
	local ns
	kwik_tlshd_stop_all
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
		case $ns in
		kwc|kws[0-9]*)
			kwik_ns_kill "$ns"
			ip netns del "$ns" 2>/dev/null || true
			;;
		esac
	done
	return 0
}

# kwik_in_ns NS CMD...: shorthand for ip netns exec.
kwik_in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# kwik_sha256 FILE: print the file's SHA-256 digest only.
kwik_sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

# kwik_mkdata FILE SIZE_KIB: random test data.
kwik_mkdata() {
	head -c "$(($2 * 1024))" /dev/urandom >"$1"
}

# ---- TLS: tlshd, certificates, PSK keys ----------------------------------
#
# TLS and PSK paths hand their TCP socket to the kernel's handshake upcall
# (net/handshake), which tlshd (ktls-utils) serves IN THE SAME NETWORK
# NAMESPACE as the socket; kTLS then carries the data.  One tlshd per
# namespace, each with its own tlshd.conf:
#
#   kwik_tls_skip_reason [psk]   why TLS (PSK) tests cannot run here; prints
#                                nothing (and returns 0) if they can.  Loads
#                                tls.ko (and nvme-keyring.ko for psk).
#   kwik_tls_certs DIR           test PKI into DIR (openssl, EC P-256):
#       ca.pem        "Kwik Test CA", trusted by both ends
#       srv.pem/.key  srv-a.example (SAN DNS:srv-a.example), by ca
#       srv-expired.pem  the same name and key, by ca, expired in 2020
#       srv-ca2.pem   the same name and key, by ca2 (an unrelated CA)
#       ca2.pem       "Kwik Other CA"
#       cli.pem/.key  kwik-client, by ca (tlshd 1.0.0's x509 ClientHello
#                     needs a client certificate)
#   kwik_tlshd_conf CONF DIR [SRV_CERT [CLIENT_TRUST]]
#                                write a tlshd.conf using DIR's files: the
#                                server presents DIR/SRV_CERT.pem (srv) with
#                                srv.key; the client trusts DIR/CLIENT_TRUST.pem
#                                (ca); both send/verify certificates of ca.
#   kwik_tlshd_start NS CONF     start tlshd in NS (-s: log to stderr, into
#                                $KWIK_TLSHD_RUN/NS.log), wait until it has
#                                joined the handshake family's "tlshd"
#                                multicast group (the kernel's ESRCH test)
#   kwik_tlshd_stop NS           stop it (SIGCONT first, in case it was
#                                stopped), and its handshake children
#   kwik_tlshd_stop_all          every tlshd started here (kwik_topo_cleanup
#                                calls it, so a test's EXIT trap covers it)
#   kwik_tlshd_pid NS / kwik_tlshd_log NS
#   kwik_psk_add NS IDENTITY HEXKEY  add a "psk" key (nvme-keyring's type,
#                                network-namespace scoped) from inside NS to
#                                the ".nvme" keyring, which tlshd links into
#                                its session keyring; prints the key serial
#
# $KWIK_TLSHD is the tlshd binary: the runner passes the one "make deps"
# unpacked (or the user's); outside the VM the same cache or PATH.

if [ -z "${KWIK_TLSHD:-}" ]; then
	# shellcheck disable=SC1091
	KWIK_TLSHD=$(. "${KWIK_CACHE:-/var/cache/kwik}/tlshd/env" 2>/dev/null && echo "${TLSHD:-}")
	[ -n "$KWIK_TLSHD" ] || KWIK_TLSHD=$(command -v tlshd || true)
fi
export KWIK_TLSHD
# tlshd pid files and logs (NS.pid, NS.log); a test may point it into its
# own tmp dir.  A fixed name, so helpers run in subshells agree on it.
_KWIK_TLSHD_RUN_DEFAULT=/tmp/kwik-tlshd.$$
: "${KWIK_TLSHD_RUN:=$_KWIK_TLSHD_RUN_DEFAULT}"

# The handshake family's "tlshd" multicast group ID (empty if the kernel
# has no net/handshake).
kwik_handshake_mcgrp() {
	genl ctrl get name handshake 2>/dev/null |
		sed -n 's/.*ID-\(0x[0-9a-fA-F]*\) *name: tlshd.*/\1/p' | head -n 1
}

kwik_tls_skip_reason() {
	local want=${1:-} out
	if [ -z "$KWIK_TLSHD" ] || [ ! -x "$KWIK_TLSHD" ]; then
		echo "no tlshd (ktls-utils): run 'make deps' or set KWIK_TLSHD"
		return 0
	fi
	if ! out=$("$KWIK_TLSHD" -v 2>&1); then
		echo "$KWIK_TLSHD does not run: $out"
		return 0
	fi
	if ! genl ctrl get name handshake >/dev/null 2>&1; then
		out=
		# What kwik.ko says about it (it must refuse, EOPNOTSUPP).
		if [ -d /sys/module/kwik ]; then
			if out=$(_kwik_tls_probe 2>&1); then
				out="; yet kwik.ko accepted a tls path"
			else
				out="; kwik.ko: $out"
			fi
		fi
		echo "kernel $(uname -r) has no TLS handshake upcall (net/handshake, 6.4+)$out"
		return 0
	fi
	if [ -z "$(kwik_handshake_mcgrp)" ]; then
		echo "handshake netlink family has no tlshd group"
		return 0
	fi
	if [ ! -d /sys/module/tls ] && ! out=$(modprobe tls 2>&1); then
		echo "kTLS (tls.ko) not loadable: $out"
		return 0
	fi
	if [ "$want" = psk ]; then
		command -v keyctl >/dev/null 2>&1 || { echo "keyctl (keyutils) missing"; return 0; }
		if [ ! -d /sys/module/nvme_keyring ] &&
		   ! out=$(modprobe nvme-keyring 2>&1); then
			echo "no \"psk\" key type (nvme-keyring.ko): $out"
			return 0
		fi
	fi
	# kwik.ko itself: TLS paths refused (built against a kernel without
	# net/handshake, or TLS not there yet) is EOPNOTSUPP at "path add".
	if [ -d /sys/module/kwik ] && ! out=$(_kwik_tls_probe 2>&1); then
		echo "kwik.ko refuses TLS paths: $out"
		return 0
	fi
	return 0
}

# Add a TLS path in a scratch namespace (no tlshd there, so it can only
# fail): refused at "path add" means kwik.ko cannot do TLS.
_kwik_tls_probe() {
	local ns=kwtlsprobe$$ rc=0 out
	ip netns add "$ns" || return 0
	out=$(ip netns exec "$ns" "$KWIKCTL" service add 1 2>&1 &&
	      ip netns exec "$ns" "$KWIKCTL" path add service 1 \
		remote 192.0.2.1:9 tls peer-name probe.invalid no-reconnect 2>&1) || rc=1
	ip netns del "$ns"
	# The error is the last line ("Error: kwik: ...").
	[ $rc -eq 0 ] || { echo "${out##*$'\n'}"; return 1; }
}

kwik_tls_certs() {
	local d=$1 c
	mkdir -p "$d" || return 1
	(
	set -e
	cd "$d"
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	mkca() {	# mkca NAME CN
		key "$1.key"
		openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 \
			-subj "/O=Kwik selftests/CN=$2" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-addext "subjectKeyIdentifier=hash"
	}
	mkca ca "Kwik Test CA"
	mkca ca2 "Kwik Other CA"
	key srv.key
	key cli.key
	openssl req -new -key srv.key -subj "/O=Kwik selftests/CN=srv-a.example" -out srv.csr
	openssl req -new -key cli.key -subj "/O=Kwik selftests/CN=kwik-client" -out cli.csr
	cat >srv.ext <<-EXT
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature
	extendedKeyUsage=serverAuth
	subjectAltName=DNS:srv-a.example
	authorityKeyIdentifier=keyid
	EXT
	cat >cli.ext <<-EXT
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature
	extendedKeyUsage=clientAuth
	subjectAltName=DNS:kwik-client
	authorityKeyIdentifier=keyid
	EXT
	sign() {	# sign CSR CA EXT OUT
		openssl x509 -req -in "$1" -CA "$2.pem" -CAkey "$2.key" \
			-CAcreateserial -days 30 -sha256 -extfile "$3" -out "$4" 2>/dev/null
	}
	sign srv.csr ca srv.ext srv.pem
	sign srv.csr ca2 srv.ext srv-ca2.pem
	sign cli.csr ca cli.ext cli.pem
	# Expired: "openssl x509" (3.0) cannot set past dates; "openssl ca"
	# can, with a throwaway CA database.
	mkdir -p expdb
	: >expdb/index.txt
	echo 1000 >expdb/serial
	cat >expdb/ca.cnf <<-CNF
	[ca]
	default_ca = expca
	[expca]
	dir = $d/expdb
	database = \$dir/index.txt
	serial = \$dir/serial
	new_certs_dir = \$dir
	certificate = $d/ca.pem
	private_key = $d/ca.key
	default_md = sha256
	policy = anything
	unique_subject = no
	email_in_dn = no
	[anything]
	organizationName = optional
	commonName = supplied
	CNF
	openssl ca -batch -notext -config expdb/ca.cnf -extfile srv.ext \
		-startdate 20200101000000Z -enddate 20200201000000Z \
		-in srv.csr -out srv-expired.pem 2>/dev/null
	chmod 600 ./*.key
	chmod 644 ./*.pem
	) || { echo "kwik_tls_certs: openssl failed in $d" >&2; return 1; }
	for c in srv srv-ca2 srv-expired cli; do
		[ -s "$d/$c.pem" ] || { echo "kwik_tls_certs: no $c.pem" >&2; return 1; }
	done
}

kwik_tlshd_conf() {
	local conf=$1 d=$2 srv=${3:-srv} trust=${4:-ca}
	cat >"$conf" <<-CONF
	# tlshd.conf written by selftests/lib.sh (kwik_tlshd_conf)
	[debug]
	loglevel=1
	tls=0
	nl=0

	[authenticate]
	#keyrings=

	[authenticate.client]
	x509.truststore=$d/$trust.pem
	x509.certificate=$d/cli.pem
	x509.private_key=$d/cli.key

	[authenticate.server]
	x509.truststore=$d/ca.pem
	x509.certificate=$d/$srv.pem
	x509.private_key=$d/srv.key
	CONF
}

_kwik_tlshd_rundir() {
	mkdir -p "$KWIK_TLSHD_RUN"
}

kwik_tlshd_pid() {
	cat "$KWIK_TLSHD_RUN/$1.pid" 2>/dev/null
}
kwik_tlshd_log() {
	cat "$KWIK_TLSHD_RUN/$1.log" 2>/dev/null
}

# _kwik_tlshd_ready NS PID: PID lives and a generic netlink socket in NS
# is a member of the handshake family's "tlshd" multicast group (what the
# kernel checks before it queues a request; else the request is ESRCH).
# /proc/net/netlink shows the first 32 groups of each socket.
_kwik_tlshd_ready() {
	local ns=$1 pid=$2 grp eth groups rest
	kill -0 "$pid" 2>/dev/null || return 2
	grp=$(kwik_handshake_mcgrp)
	[ -n "$grp" ] || return 1
	grp=$((grp))
	[ "$grp" -ge 1 ] && [ "$grp" -le 32 ] || return 1
	while read -r _ eth _ groups rest; do
		[ "$eth" = 16 ] || continue
		[ $(( 16#$groups >> (grp - 1) & 1 )) -eq 1 ] && return 0
	done < <(ip netns exec "$ns" cat /proc/net/netlink)
	return 1
}

kwik_tlshd_start() {
	local ns=$1 conf=$2 pid end rc
	_kwik_tlshd_rundir || return 1
	kwik_tlshd_stop "$ns"
	# Its log lines get the time since boot (as dmesg), for diagnosis.
	# (The stamping subshell must not keep this shell's stdout open: a
	# caller may be a $(...) waiting for its end.)
	ip netns exec "$ns" "$KWIK_TLSHD" -s -c "$conf" \
		> >(exec >>"$KWIK_TLSHD_RUN/$ns.log" 2>&1; _kwik_stamp) 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$KWIK_TLSHD_RUN/$ns.pid"
	echo "$ns" >>"$KWIK_TLSHD_RUN/namespaces"
	end=$(($(date +%s) + 20 * ${KWIK_SLOW:-1}))
	while :; do
		# "|| rc=": a caller under set -e (the demo) must not die here.
		rc=0
		_kwik_tlshd_ready "$ns" "$pid" || rc=$?
		case $rc in
		0) return 0 ;;
		2) echo "tlshd in $ns exited: $(kwik_tlshd_log "$ns")" >&2
		   rm -f "$KWIK_TLSHD_RUN/$ns.pid"
		   return 1 ;;
		esac
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "tlshd in $ns not ready after $((20 * ${KWIK_SLOW:-1})) s" >&2
			kwik_tlshd_stop "$ns"
			return 1
		fi
		sleep 0.1
	done
}


# _kwik_stamp: prefix each line of stdin with [uptime] (no forks).
_kwik_stamp() {
	local line up
	while IFS= read -r line; do
		read -r up _ </proc/uptime
		printf '[%s] %s\n' "$up" "$line"
	done
}

kwik_tlshd_stop() {
	local ns=$1 pid kids
	pid=$(kwik_tlshd_pid "$ns") || return 0
	[ -n "$pid" ] || return 0
	rm -f "$KWIK_TLSHD_RUN/$ns.pid"
	if kill -0 "$pid" 2>/dev/null; then
		# tlshd forks one child per handshake (its other child, the
		# log stamper, ends by itself once the log pipe closes)
		kids=$(pgrep -P "$pid" -x tlshd)
		# shellcheck disable=SC2086
		kill -CONT "$pid" $kids 2>/dev/null
		# shellcheck disable=SC2086
		kill -TERM "$pid" $kids 2>/dev/null
		kwik_poll 5 _kwik_gone "$pid" ||
			kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}
_kwik_gone() { ! kill -0 "$1" 2>/dev/null; }

kwik_tlshd_stop_all() {
	local ns
	[ -f "$KWIK_TLSHD_RUN/namespaces" ] || return 0
	while read -r ns; do
		kwik_tlshd_stop "$ns"
	done < <(sort -u "$KWIK_TLSHD_RUN/namespaces")
	# The default run dir is ours alone (a test's own dir is its business).
	[ "$KWIK_TLSHD_RUN" != "$_KWIK_TLSHD_RUN_DEFAULT" ] || rm -rf "$KWIK_TLSHD_RUN"
	return 0
}

kwik_psk_add() {
	local ns=$1 id=$2 hex=$3
	printf '%s' "$hex" | xxd -r -p |
		ip netns exec "$ns" keyctl padd psk "$id" %keyring:.nvme
}
