#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - what "make bench" runs inside the test VM (kwik.ko loaded):
# for each case, the same transfer over Kwik (every link a path of one
# session; Kwik's default congestion control, bbr), Kwik with cubic
# (cc cubic on paths and listeners), Kwik over TLS paths (kTLS,
# handshakes by tlshd; skipped with the reason when there is no tlshd),
# Kwik over QUIC paths (kwik_quic.ko over lxin/quic; skipped with the
# reason without it or a QUIC-capable tlshd), MPTCP (same kernel, same
# links: one subflow per link, the namespace's default congestion
# control), plain TCP on the best link alone and TCP with kTLS (fixed
# key, the cipher tlshd picks) on it, measured by kwik_bench at the
# receiver; and lxin/quic's own perf_test on the best link (KWIK_QUIC_PERF,
# its throughput mode), timed by its client.
#
#	  kwc (client)                                   kws1 (server)
#	  kwc-1 10.0.1.1 ------- link 1 (netem) -------- 10.0.1.2  kwik listener :7000
#	  kwc-2 10.0.2.1 ------- link 2 (netem) -------- 10.0.2.2  kwik tls      :7001
#	                                                           kwik cubic    :7002
#	                                                           kwik quic udp :7003
#	                                                           mptcp/tcp     :9000
#	                                                           perf_test udp :9100
#	  ...                                                      (signal endpoints)
#
# Cases (KWIK_BENCH_CASES, or "make bench CASES=..."): space-separated,
# each [NAME=]PATH,PATH...[@FAIL_S], PATH = RATE:RTT[:LOSS[:REORDER]]:
#   balanced=10mbit:20ms,10mbit:20ms
#   failover=10mbit:20ms,10mbit:20ms@3   link 1 blackholed (netem loss
#                                        100%) FAIL_S seconds into each run
#   veth=unshaped                        PATH "unshaped": no netem at all
# RTT is split evenly over both ends of the link (netem delay RTT/2 on
# each), rate limits each direction, LOSS and REORDER (percentages) are
# applied on both ends.  KWIK_BENCH_BYTES (16M) is the transfer size.
#
# Prints a table and writes bench.csv (into /run/kwik, which run.sh copies
# to build/bench/, or into $KWIK_BENCH_OUT); see
# Documentation/performance.rst for the columns.
set -u
. "$(dirname "$0")/../lib.sh"

[ -r /run/kwik/env ] && . /run/kwik/env
DEFAULT_CASES="veth=unshaped balanced=10mbit:20ms,10mbit:20ms heterogeneous=10mbit:2ms,1mbit:50ms lossy=10mbit:20ms:1%,10mbit:20ms:1% failover=10mbit:20ms,10mbit:20ms@3"
CASES=${KWIK_BENCH_CASES:-$DEFAULT_CASES}
BYTES=${KWIK_BENCH_BYTES:-16M}
BENCH=$KWIK_BIN/kwik_bench
SVC=7
TSVC=8		# the same links as TLS paths
CSVC=9		# the same links, paths with cc cubic
QSVC=10		# the same links as QUIC paths
KPORT=7000
TPORT=7001
CPORT=7002
QPORT=7003
MPORT=9000
LQPORT=9100	# lxin/quic's perf_test
if [ -n "${KWIK_BENCH_OUT:-}" ]; then
	OUTDIR=$KWIK_BENCH_OUT
elif [ -d /run/kwik ] && [ -w /run/kwik ]; then
	OUTDIR=/run/kwik
else
	OUTDIR=$KWIK_SRC/build/bench
fi
mkdir -p "$OUTDIR"
CSV=$OUTDIR/bench.csv
TMP=$(mktemp -d /tmp/kwik-bench.XXXXXX)
trap 'kwik_tlshd_stop_all; kwik_topo_cleanup; rm -rf "$TMP"' EXIT
export KWIK_TLSHD_RUN=$TMP/tlshd	# lib.sh: tlshd logs and pid files
# KWIK_BENCH_SYSTEMS: a subset, e.g. "kwik cubic mptcp" (make bench SYSTEMS=...);
# each system once, in the order given.
SYSTEMS=$(echo ${KWIK_BENCH_SYSTEMS:-"kwik cubic tls quic mptcp tcp ktls lxquic"} |
	tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
# KWIK_BENCH_REPEAT (make bench REPEAT=N): rounds of every system in turn
# per case, reported as medians (TCG moves a single run by 10-20%).
ROUNDS=${KWIK_BENCH_REPEAT:-1}
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || { echo "bench: REPEAT must be 1-99, not '$ROUNDS'"; exit 2; }
# udev loads the CPU's AES module at boot on a real machine; this VM has
# no udev, and without it kTLS gets the table-based generic AES.
modprobe -q aesni_intel 2>/dev/null || true
TLS_SKIP=$(kwik_tls_skip_reason)
[ -n "$TLS_SKIP" ] || kwik_tls_certs "$TMP/pki" >/dev/null ||
	TLS_SKIP="cannot make test certificates"
QUIC_SKIP=$TLS_SKIP
[ -n "$QUIC_SKIP" ] || QUIC_SKIP=$(kwik_quic_skip_reason)
if [ ! -d /sys/module/quic ]; then
	LXQ_SKIP="no quic.ko (give the runner KWIK_QUIC_DIR)"
elif [ -z "${KWIK_QUIC_PERF:-}" ]; then
	LXQ_SKIP="no lxin/quic perf_test (KWIK_QUIC_PERF)"
elif [ ! -r "$TMP/pki/srv.key" ]; then
	LXQ_SKIP="no test certificates"
else
	LXQ_SKIP=
fi

for f in "$KWIKCTL" "$BENCH"; do
	[ -x "$f" ] || { echo "bench: $f not built"; exit 1; }
done
[ -d /sys/module/kwik ] || { echo "bench: kwik.ko not loaded"; exit 1; }

kc() { ip netns exec "$1" "$KWIKCTL" "${@:2}"; }
field() {	# field FILE KEY
	local l line='' kv
	while IFS= read -r l; do
		[[ $l == *" $2="* ]] && line=$l
	done <"$1" 2>/dev/null
	for kv in $line; do
		[[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }
	done
}
mbit() {	# mbit RATE: netem rate in Mbit/s (awk float)
	awk -v r="$1" 'BEGIN {
		n = r + 0; u = tolower(substr(r, length(n "") + 1))
		if (u ~ /^gbit/) n *= 1000; else if (u ~ /^kbit/) n /= 1000
		else if (u ~ /^bit/) n /= 1e6
		printf "%.3f", n }'
}
ms() { echo "${1%ms}"; }

# netem_of PATH [EXTRA]: the netem arguments of one path spec.
netem_of() {
	local rate rtt loss reorder half a
	[ "$1" != unshaped ] || { echo "${2:-}"; return; }
	IFS=: read -r rate rtt loss reorder <<<"$1"
	half=$(awk -v r="$(ms "$rtt")" 'BEGIN { printf "%gms", r / 2 }')
	a="rate $rate delay $half"
	[ -z "$loss" ] || a+=" loss $loss"
	[ -z "$reorder" ] || a+=" reorder $reorder 50%"
	echo "$a${2:+ $2}"
}

# ---- one system over the current topology ---------------------------------

# _mptcp_subflows N: the client's MPTCP connection has N extra subflows
# (their count in MPSF).
MPSF=0
_mptcp_subflows() {
	local out
	out=$(ip netns exec kwc ss -HMni state established 2>/dev/null)
	MPSF=0
	[[ $out =~ subflows:([0-9]+) ]] && MPSF=${BASH_REMATCH[1]}
	[ "$MPSF" -ge "$1" ]
}

# The guest's busy CPU time (all vCPUs, in USER_HZ ticks): user, nice,
# system, irq and softirq of /proc/stat's "cpu" line.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
HZ_USER=$(getconf CLK_TCK)

# cpu_mark, then cpu_take: the CPU the guest spent in between, in ms per
# MiB of the transfer, into $TMP/cpu.
cpu_mark() { CPU0=$(busy_ticks); }
cpu_take() {
	awk -v a="$CPU0" -v b="$(busy_ticks)" -v hz="$HZ_USER" -v n="$BYTES_N" \
		'BEGIN { printf "%.2f\n", (b - a) * 1000 / hz / (n / 1048576) }' >"$TMP/cpu"
}

# run_one SYSTEM FAIL_S: kwik_bench server + client, the failover action
# at FAIL_S if set.  The server's summary ends in $TMP/srv.out, the CPU
# the run took (cpu_take) in $TMP/cpu.
run_one() {
	local sys=$1 fail=$2 sargs cargs spid cpid t0 left crc=0 src=0 to
	to=$((BYTES_N * 8 / 1000000 * 6 / SUMRATE_INT + 120))
	case $sys in
	kwik) sargs=(-f kwik -s "$SVC") cargs=(-f kwik -s "$SVC") ;;
	tls) sargs=(-f kwik -s "$TSVC") cargs=(-f kwik -s "$TSVC") ;;
	cubic) sargs=(-f kwik -s "$CSVC") cargs=(-f kwik -s "$CSVC") ;;
	mptcp) sargs=(-f mptcp -a "0.0.0.0:$MPORT") cargs=(-f mptcp -a "10.0.1.2:$MPORT") ;;
	quic) sargs=(-f kwik -s "$QSVC") cargs=(-f kwik -s "$QSVC") ;;
	tcp|ktls) sargs=(-f "$sys" -a "0.0.0.0:$MPORT")
		cargs=(-f "$sys" -a "10.0.$BEST.2:$MPORT") ;;
	lxquic) run_lxquic "$to"; return ;;
	esac
	rm -f "$TMP/ready" "$TMP/srv.out" "$TMP/cli.out" "$TMP/cpu"
	ip netns exec kws1 "$BENCH" server "${sargs[@]}" -t "$to" \
		--ready "$TMP/ready" >"$TMP/srv.out" 2>&1 &
	spid=$!
	kwik_poll 10 test -e "$TMP/ready" || return 1
	cpu_mark
	ip netns exec kwc "$BENCH" client "${cargs[@]}" -b "$BYTES" -t "$to" \
		>"$TMP/cli.out" 2>&1 &
	cpid=$!
	t0=${EPOCHREALTIME/./}
	if [ "$sys" = mptcp ]; then
		# Did MPTCP open a subflow per link?  (Its goodput means little
		# otherwise.)  "ss -M" shows the extra subflows of the connection.
		if ! kwik_poll 5 _mptcp_subflows $((${#PATHS[@]} - 1)); then
			echo "  mptcp: only $(_mptcp_subflows 99; echo "$MPSF") extra subflow(s) of $((${#PATHS[@]} - 1))"
			# The MIB says where the join stopped (announce, SYN...).
			for ns in kwc kws1; do
				echo "  mptcp $ns: $(ip netns exec "$ns"  nstat -asz 2>/dev/null |
					awk '/MPTcpExt(MPCapable|AddAddr|Echo|MPJoin|Fallback|InfiniteMap)/ && $2 > 0 { printf "%s=%s ", $1, $2 }')"
			done
		fi
	fi
	if [ -n "$fail" ] && [ -n "${FIRST_PATH[$sys]+x}" ]; then
		# The failover instant is part of the case's definition.  One
		# sleep until then: a polling loop's forks would count in the
		# run's CPU.
		left=$((fail * 1000000 - (${EPOCHREALTIME/./} - t0)))
		[ "$left" -le 0 ] ||
			sleep "$((left / 1000000)).$(printf %06d $((left % 1000000)))"
		kwik_link_netem_change 1 "$(netem_of "${PATHS[0]}" "loss 100%")"
	fi
	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	cpu_take
	[ "$crc" -eq 0 ] && [ "$src" -eq 0 ] && [ "$(field "$TMP/srv.out" verify)" = ok ]
}

# run_lxquic TIMEOUT_S: lxin/quic's perf_test, server in kws1 and client
# in kwc over the best link; its client times the transfer (first send to
# the server's answer after the last byte).  Writes a summary line like
# kwik_bench's to $TMP/srv.out (verify=none: perf_test checks no data).
_lxq_listening() { grep -q "Waiting for New Connection" "$TMP/lxq-srv.out"; }
run_lxquic() {
	local to=$1 spid crc=0 ms
	rm -f "$TMP/srv.out" "$TMP/cli.out" "$TMP/lxq-srv.out" "$TMP/cpu"
	ip netns exec kws1 stdbuf -oL "$KWIK_QUIC_PERF" -l -a "10.0.$BEST.2" \
		-p "$LQPORT" -k "$TMP/pki/srv.key" -c "$TMP/pki/srv.pem" \
		>"$TMP/lxq-srv.out" 2>&1 &
	spid=$!
	if kwik_poll 10 _lxq_listening; then
		cpu_mark
		ip netns exec kwc timeout -k 5 "$to" "$KWIK_QUIC_PERF" \
			-a "10.0.$BEST.2" -p "$LQPORT" -t "$BYTES_N" \
			>"$TMP/cli.out" 2>&1 || crc=$?
	else
		crc=1
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	[ "$crc" -ne 0 ] || cpu_take
	ms=$(sed -n 's/^Total time: *\([0-9]*\) ms.*/\1/p' "$TMP/cli.out")
	[ "$crc" -eq 0 ] && [ "${ms:-0}" -gt 0 ] || return 1
	echo "bench role=server fam=lxquic bytes=$BYTES_N secs=$((ms / 1000)) goodput_mbit=$(awk \
		-v b="$BYTES_N" -v m="$ms" 'BEGIN { printf "%.2f", b * 8 / m / 1000 }') verify=none" \
		>"$TMP/srv.out"
}

# The multipath systems (failover blackholes link 1 under them; the others
# are single-path baselines), and for Kwik's the client path on link 1.
declare -A FIRST_PATH=([kwik]=1 [tls]=101 [cubic]=201 [quic]=301 [mptcp]="")

# path_tx SYS: payload bytes sent so far on each of SYS's client paths.
path_tx() {
	local i
	for i in $(seq 0 $((${#PATHS[@]} - 1))); do
		echo -n "$(kwik_pget kwc $((FIRST_PATH[$1] + i)) tx_bytes) "
	done
}

# path_shares SYS BEFORE AFTER: "  SYS: paths 1=P% 2=Q% ... of N bytes", each
# path's share of the payload SYS sent in its run (resent bytes included).
path_shares() {
	awk -v sys="$1" -v b="$2" -v a="$3" 'BEGIN {
		n = split(b, x, " "); split(a, y, " "); t = 0
		for (i = 1; i <= n; i++) t += y[i] - x[i]
		if (t <= 0) exit
		s = "  " sys ": paths"
		for (i = 1; i <= n; i++) s = s sprintf(" %d=%.1f%%", i, 100 * (y[i] - x[i]) / t)
		print s " of " t " bytes" }'
}

# summarize SYS: from the per-round values in G, GAP, PEAK and CPU (of SYS
# and of the baselines), "goodput %rates /mptcp /single /ktls /lxquic gap
# peak min max worst_gap cpu cpu/single": goodput, gap and cpu the medians
# of the runs, each ratio the median of the rounds' ratios (a round's pair
# ran in the same few seconds), peak the largest; "-" where there is
# nothing to give.
summarize() {
	awk -v g="${G[$1]:-}" -v m="${G[mptcp]:-}" -v t="${G[tcp]:-}" \
		-v cpu="${CPU[$1]:-}" -v tcpu="${CPU[tcp]:-}" \
		-v k="${G[ktls]:-}" -v q="${G[lxquic]:-}" -v gap="${GAP[$1]:-}" \
		-v peak="${PEAK[$1]:-}" -v s="$SUMRATE" '
	function med(str,   a, n, i, j, v, x) {
		n = 0
		split(str, a, " ")
		for (i in a) if (a[i] != "-" && a[i] != "") v[++n] = a[i] + 0
		if (!n) return "-"
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function ext(str, want_max,   a, i, r) {
		r = "-"
		split(str, a, " ")
		for (i in a)
			if (a[i] != "-" && a[i] != "" &&
			    (r == "-" || (want_max ? a[i] + 0 > r : a[i] + 0 < r)))
				r = a[i] + 0
		return r
	}
	function ratio(base, of,   a, b, i, n, str) {
		split(of, a, " "); n = split(base, b, " "); str = ""
		for (i = 1; i <= n; i++)
			if (a[i] != "-" && a[i] != "" && b[i] != "-" && b[i] + 0 > 0)
				str = str sprintf("%.6f ", a[i] / b[i])
		str = med(str)
		return str == "-" ? "-" : sprintf("%.3f", str)
	}
	function fmt(f, x) { return x == "-" ? "-" : sprintf(f, x) }
	BEGIN {
		mg = med(g)
		pct = (mg == "-" || s <= 0) ? "-" : sprintf("%.1f", 100 * mg / s)
		mgap = med(gap)
		printf "%s %s %s %s %s %s %s %s %s %s %s %s %s\n",
			fmt("%.3f", mg), pct, ratio(m, g), ratio(t, g),
			ratio(k, g), ratio(q, g),
			fmt("%.1f", mgap), fmt("%d", ext(peak, 1)),
			fmt("%.3f", ext(g, 0)), fmt("%.3f", ext(g, 1)),
			fmt("%.1f", ext(gap, 1)), fmt("%.2f", med(cpu)),
			ratio(tcpu, cpu)
	}'
}

# setup_case: topology, Kwik paths, MPTCP endpoints.
setup_case() {
	local n=${#PATHS[@]} i args=()
	for i in $(seq 0 $((n - 1))); do
		args+=("$(netem_of "${PATHS[$i]}")")
	done
	kwik_topo_multilink "$n" "${args[@]}" || return 1
	kc kwc service add "$SVC" >/dev/null || return 1
	for i in $(seq 1 "$n"); do
		kc kws1 listener add local "10.0.$i.2:$KPORT" insecure >/dev/null &&
		kc kwc path add service "$SVC" id "$i" remote "10.0.$i.2:$KPORT" \
			insecure >/dev/null || return 1
	done
	for i in $(seq 1 "$n"); do
		kwik_wait_path_up kwc "$i" 30 >/dev/null || return 1
	done
	if [[ " $SYSTEMS " == *" cubic "* ]]; then
		kc kwc service add "$CSVC" >/dev/null || return 1
		for i in $(seq 1 "$n"); do
			kc kws1 listener add local "10.0.$i.2:$CPORT" insecure \
				cc cubic >/dev/null &&
			kc kwc path add service "$CSVC" id $((200 + i)) \
				remote "10.0.$i.2:$CPORT" insecure cc cubic \
				>/dev/null || return 1
		done
		for i in $(seq 1 "$n"); do
			kwik_wait_path_up kwc $((200 + i)) 30 >/dev/null || return 1
		done
	fi
	if [ -z "$TLS_SKIP" ]; then
		# One tlshd per namespace, the test PKI (kwik_tls_certs).
		kwik_tlshd_conf "$TMP/tlshd.conf" "$TMP/pki" &&
		kwik_tlshd_start kwc "$TMP/tlshd.conf" &&
		kwik_tlshd_start kws1 "$TMP/tlshd.conf" &&
		kc kwc service add "$TSVC" >/dev/null || return 1
		for i in $(seq 1 "$n"); do
			kc kws1 listener add local "10.0.$i.2:$TPORT" tls >/dev/null &&
			kc kwc path add service "$TSVC" id $((100 + i)) \
				remote "10.0.$i.2:$TPORT" tls peer-name srv-a.example \
				>/dev/null || return 1
		done
		for i in $(seq 1 "$n"); do
			kwik_wait_path_up kwc $((100 + i)) 30 >/dev/null || return 1
		done
	fi
	if [[ " $SYSTEMS " == *" quic "* ]] && [ -z "$QUIC_SKIP" ]; then
		# The tlshd started above (KWIK_TLSHD: one that does QUIC).
		kc kwc service add "$QSVC" >/dev/null || return 1
		for i in $(seq 1 "$n"); do
			kc kws1 listener add local "10.0.$i.2:$QPORT" transport quic \
				tls >/dev/null &&
			kc kwc path add service "$QSVC" id $((300 + i)) \
				remote "10.0.$i.2:$QPORT" transport quic tls \
				peer-name srv-a.example >/dev/null || return 1
		done
		for i in $(seq 1 "$n"); do
			kwik_wait_path_up kwc $((300 + i)) 30 >/dev/null || return 1
		done
	fi
	# MPTCP: the server announces its other addresses; the client's
	# fullmesh endpoint on each link lets it answer from its own address
	# on that link.  One subflow per link is the intent; the run says so
	# when "ss -Mi" does not show them (see run_one).
	ip netns exec kwc sysctl -qw net.mptcp.enabled=1
	ip netns exec kws1 sysctl -qw net.mptcp.enabled=1
	ip -n kwc mptcp limits set subflows $((n - 1)) add_addr_accepted $((n - 1))
	ip -n kws1 mptcp limits set subflows $((n - 1)) add_addr_accepted $((n - 1))
	for i in $(seq 2 "$n"); do
		ip -n kws1 mptcp endpoint add "10.0.$i.2" dev "kws1-$i" signal
		ip -n kwc mptcp endpoint add "10.0.$i.1" dev "kwc-$i" fullmesh
	done
}

# ---- main -----------------------------------------------------------------

BYTES_N=$(numfmt --from=iec "$BYTES")
echo "kwik bench: kernel $(uname -r), $BYTES per run, $(nproc) CPUs (TCG: absolute numbers are the VM's)"
echo "AES driver for gcm(aes): $(awk '/^name/ { n = $3 } /^driver/ && n == "gcm(aes)" { print $3; exit }' /proc/crypto 2>/dev/null || echo ?)"
echo "case,system,paths,goodput_mbit,pct_of_rates,ratio_to_mptcp,ratio_to_best_single,ratio_to_ktls,ratio_to_lxquic,max_gap_ms,peak_buffered_bytes,status,runs,goodput_min_mbit,goodput_max_mbit,max_gap_worst_ms,cpu_ms_per_mib,cpu_ratio_to_best_single" >"$CSV"
[ "$ROUNDS" = 1 ] || echo "$ROUNDS rounds per case: medians of the runs (ratios: of each round's ratio); peak_buf the largest"
printf '\n%-14s %-6s %9s %8s %8s %8s %8s %8s %10s %12s %7s %7s %s\n' case system Mbit/s "%rates" "/mptcp" "/single" "/ktls" "/lxquic" gap_ms peak_buf cpu_ms cpu/tcp status
rc=0 ncase=0
for c in $CASES; do
	name=${c%%=*}
	[ "$name" != "$c" ] || name=case$((++ncase))
	spec=${c#*=}
	fail=
	if [[ $spec == *@* ]]; then
		fail=${spec##*@}
		spec=${spec%@*}
	fi
	IFS=, read -r -a PATHS <<<"$spec"
	# Summed rates, and the best single link (highest rate, then lowest RTT).
	SUMRATE=0 BEST=1 bestr=-1 bestt=0 i=0
	for p in "${PATHS[@]}"; do
		i=$((i + 1))
		IFS=: read -r r t _ <<<"$p"
		# Unshaped: no rate to compare with (only the ratios mean much).
		[ "$p" != unshaped ] || { r=0 t=0; }
		r=$(mbit "$r")
		SUMRATE=$(awk -v a="$SUMRATE" -v b="$r" 'BEGIN { print a + b }')
		if awk -v r="$r" -v br="$bestr" -v t="$(ms "$t")" -v bt="$bestt" \
			'BEGIN { exit !(r > br || (r == br && t < bt)) }'; then
			BEST=$i bestr=$r bestt=$(ms "$t")
		fi
	done
	SUMRATE_INT=$(awk -v s="$SUMRATE" 'BEGIN { printf "%d", s < 1 ? 1 : s }')
	declare -A G=() GAP=() PEAK=() CPU=() ST=()
	if ! setup_case; then
		echo "bench: case $name: setup failed"
		kc kwc path show 2>&1 | sed 's/^/  /'
		rc=1
	fi
	for r in $(seq "$ROUNDS"); do
		for sys in $SYSTEMS; do
			skip=
			case $sys in
			tls) skip=$TLS_SKIP ;;
			quic) skip=$QUIC_SKIP ;;
			lxquic) skip=$LXQ_SKIP ;;
			esac
			if [ -n "$skip" ]; then
				ST[$sys]="skip: $skip"
				continue
			fi
			txb=
			[ -z "${FIRST_PATH[$sys]:-}" ] || txb=$(path_tx "$sys")
			if run_one "$sys" "$fail"; then
				[ "${ST[$sys]:-}" = FAIL ] || ST[$sys]=ok
			else
				ST[$sys]=FAIL
				rc=1
				sed "s/^/  $sys: /" "$TMP/srv.out" "$TMP/cli.out" 2>/dev/null | head -n 6
			fi
			[ -z "$txb" ] || path_shares "$sys" "$txb" "$(path_tx "$sys")"
			# One value per round, "-" for a run that gave none.
			G[$sys]+="$(field "$TMP/srv.out" goodput_mbit | grep . || echo -) "
			GAP[$sys]+="$(field "$TMP/srv.out" max_gap_ms | grep . || echo -) "
			PEAK[$sys]+="$(field "$TMP/srv.out" peak_buffered | grep . || echo -) "
			CPU[$sys]+="$(cat "$TMP/cpu" 2>/dev/null | grep . || echo -) "
			# Restore link 1 after a failover run.
			[ -z "$fail" ] || kwik_link_netem 1 "$(netem_of "${PATHS[0]}")"
			if [ -n "$fail" ] && [ -n "${FIRST_PATH[$sys]:-}" ]; then
				kwik_wait_path_up kwc "${FIRST_PATH[$sys]}" 30 >/dev/null || true
			fi
		done
	done
	for sys in $SYSTEMS; do
		read -r g pct rm rs rk rq gap peak gmin gmax gworst cpu rcpu <<<"$(summarize "$sys")"
		[ -n "${FIRST_PATH[$sys]+x}" ] || [ -z "$fail" ] || gap="$gap(no failover)"
		printf '%-14s %-6s %9s %8s %8s %8s %8s %8s %10s %12s %7s %7s %s\n' "$name" "$sys" \
			"$g" "$pct" "$rm" "$rs" "$rk" "$rq" "$gap" "$peak" "$cpu" "$rcpu" "${ST[$sys]}"
		[ "$ROUNDS" = 1 ] || [ "$gmin" = - ] ||
			printf '%-14s %-6s %9s (runs: %s to %s Mbit/s, gap up to %s ms)\n' "" "" "" \
				"$gmin" "$gmax" "$gworst"
		gap=${gap%%(*}
		echo "$name,$sys,${#PATHS[@]},${g/#-/},$pct,$rm,$rs,$rk,$rq,${gap/#-/},${peak/#-/},${ST[$sys]},$ROUNDS,${gmin/#-/},${gmax/#-/},${gworst/#-/},${cpu/#-/},${rcpu/#-/}" >>"$CSV"
	done
	unset G GAP PEAK CPU ST
	kwik_tlshd_stop_all
	kwik_topo_cleanup
done
echo
echo "tcp runs on link $BEST alone (the best link of the last case); a failover case"
echo "does not blackhole the tcp run.  %rates: goodput / summed netem rates."
echo "kwik, tls: Kwik's default cc (bbr); cubic: Kwik with cc cubic on paths and listeners."
echo "tls: Kwik over TLS paths (kTLS); ktls: TCP with kTLS on the tcp link (fixed"
echo "key, no handshake); /ktls is the cost of Kwik over the same encryption."
echo "quic: Kwik over QUIC paths (kwik_quic.ko); lxquic: lxin/quic's perf_test on"
echo "the tcp link; /lxquic is the cost of Kwik over the same QUIC."
echo "cpu_ms: the guest's CPU time (both ends, all vCPUs) per MiB moved; cpu/tcp:"
echo "that over the tcp run's in the same round."
echo "results: $CSV"
exit $rc
