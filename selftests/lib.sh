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
#   kwik_wait_listen NS PORT TIMEOUT_S  until a TCP listener on PORT in NS
#   kwik_require_module / kwik_require_cmd CMD...  skip the test if absent
#   kwik_rmmod [TIMEOUT_S]              rmmod kwik, retried while in use

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
