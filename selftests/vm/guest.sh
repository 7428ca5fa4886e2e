#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs as PID 1 inside the test VM (after selftests/vm/init switched root to
# the host's file system, read-only, with tmpfs on /tmp /run /root ...).
#
# Reads its settings from /run/kwik/env (written by run.sh on the host):
#   KWIK_SRC       repository (same path as on the host)
#   KVER, KMODULES the test kernel and its unpacked module tree
#   KWIK_KO        kwik.ko to insmod before the tests ("" = none)
#   KWIK_TESTS     test scripts (names in selftests/) to run, in order
#   KWIK_TEST_TIMEOUT  seconds per test
#   KWIK_MODE      "check" (TAP run), "demo" or "bench" (run selftests/vm/MODE.sh)
#   KWIK_MODROOT   optional prepared modules.* (depmod output incl. DKMS)
#   KWIK_TLSHD, KWIK_VERBOSE, KWIK_QUIC_PERF  optional, exported to the
#                  tests
#   KWIK_QUIC_MODULE, KWIK_KQUIC_MODULE  optional: quic.ko (a user's
#                  lxin/quic) and kwik_quic.ko, loaded after kwik.ko with
#                  quic.ko's dependencies; their log in $OUT/quic-load.log
# and writes into /run/kwik (a writable 9p share, the host's run dir):
#   tap      TAP 13 output, streamed as tests run
#   dmesg    the kernel log at the end
#   result   "passed failed skipped"
#   success  the marker, written last and only if every check passed
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
export HOME=/root TERM=dumb LC_ALL=C.UTF-8
OUT=/run/kwik
. "$OUT/env"
export KWIK_SRC KVER KWIK_KO KWIK_TEST_TIMEOUT KWIK_SLOW
# Optional extras run.sh passes through (set only when given).
for v in KWIK_TLSHD KWIK_VERBOSE KWIK_QUIC_MODULE KWIK_KQUIC_MODULE KWIK_QUIC_PERF; do
	[ -z "${!v:-}" ] || export "${v?}"
done

# shellcheck disable=SC2317  # called from the EXIT trap
halt_vm() {
	sync
	# Power off needs ACPI; a kernel without it (the debug kernel)
	# reboots instead, which ends QEMU too (-no-reboot).
	if [ -d /sys/firmware/acpi ]; then
		echo o >/proc/sysrq-trigger
	else
		echo b >/proc/sysrq-trigger
	fi
	sleep 60
}
trap halt_vm EXIT

say() { printf '%s\n' "$*" >>"$OUT/tap"; }
# Boot/setup timing, for Documentation/testing.rst and slow-machine hunts.
stamp() { printf '%s %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*" >>"$OUT/times"; }
stamp "guest.sh started"
con() { printf 'kwik-vm: %s\n' "$*" >/dev/console; }

# --- base system -----------------------------------------------------------
mkdir -p /dev/pts
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts 2>/dev/null
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
ln -sfn /proc/self/fd /dev/fd 2>/dev/null
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname kwik-vm
ip link set lo up

# /lib/modules/$KVER: the host has no such tree (it may not even have
# /lib/modules), so /usr/lib gets a writable overlay and the tree is built
# there from the unpacked Debian modules (bind-mounted) plus the depmod
# output run.sh prepared (which includes a DKMS-installed kwik.ko).
grep -qw overlay /proc/filesystems ||
	insmod "$KMODULES/kernel/fs/overlayfs/overlay.ko.xz" 2>/dev/null ||
	insmod "$KMODULES/kernel/fs/overlayfs/overlay.ko"
mkdir -p /run/kwik-ovl/upper /run/kwik-ovl/work
mount -t overlay -o lowerdir=/usr/lib,upperdir=/run/kwik-ovl/upper,workdir=/run/kwik-ovl/work \
	overlay /usr/lib || con "overlay on /usr/lib failed: modprobe will not work"
ML=/usr/lib/modules/$KVER
# A host running this very kernel has its own tree there (maybe with its
# own kwik.ko): hide it.
if [ -e "$ML" ]; then
	mount -t tmpfs -o mode=755 tmpfs "$ML"
else
	mkdir -p "$ML"
fi
ln -s "$KMODULES/kernel" "$ML/kernel"
for f in "${KWIK_MODROOT:-$KMODULES}"/modules.*; do
	ln -s "$f" "$ML/"
done
if [ -n "${KWIK_MODROOT:-}" ] && [ -d "$KWIK_MODROOT/updates" ]; then
	ln -s "$KWIK_MODROOT/updates" "$ML/updates"
fi
stamp "modules tree ready"

# Sockets and tests need a few knobs that are off by default.
sysctl -qw kernel.printk_ratelimit=0 net.ipv4.ping_group_range="0 2147483647" 2>/dev/null
# Under TCG a vCPU now and then runs code that kernel text patching just
# replaced and oopses on its int3 (Documentation/testing.rst).  Each ping
# (SO_TIMESTAMP) flips the netstamp static key on and off; one socket
# holding it for the whole run means the tests' pings patch nothing.
ping -q -i 3600 127.0.0.1 >/dev/null 2>&1 &
# Likewise the first TCP connection and UDP datagram of each family turn
# off once-only static keys (the hash secrets' DO_ONCE): have them now,
# not under a test's load.
python3 - <<'EOF' >/dev/null 2>&1
import socket
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        l = socket.socket(fam)
        l.settimeout(5)
        l.bind((addr, 0))
        l.listen(1)
        c = socket.create_connection(l.getsockname()[:2], timeout=5)
        a, _ = l.accept()
        for s in (a, c, l):
            s.close()
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.bind((addr, 0))
        u.sendto(b"x", u.getsockname()[:2])
        u.recv(1)
        u.close()
    except OSError:
        pass
EOF

stamp "setup done"
echo "kwik-selftests: start" >/dev/kmsg
# kmemleak (debug kernel): no periodic scans, whose reports would land in
# dmesg at random times; the final checks scan on purpose.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w "$KMEMLEAK" ] && echo scan=off >"$KMEMLEAK" 2>/dev/null || KMEMLEAK=
taint0=$(cat /proc/sys/kernel/tainted)

# --- kwik.ko ---------------------------------------------------------------
ko_loaded=
if [ -n "$KWIK_KO" ]; then
	if insmod "$KWIK_KO" >"$OUT/insmod.log" 2>&1; then
		ko_loaded=1
	fi
fi

# --- quic.ko and kwik_quic.ko (KWIK_QUIC_DIR on the host) ---------------
# quic.ko asks the crypto API for its AEADs by name and needs the UDP
# tunnel helpers: load them first (Documentation/quic.rst).
QUIC_DEPS="udp_tunnel ip6_udp_tunnel crypto_null gf128mul ghash-generic gcm ccm
	libchacha chacha_generic libpoly1305 poly1305_generic chacha20poly1305"
export KWIK_QUIC_LOAD_LOG="$OUT/quic-load.log"
if [ -n "${KWIK_QUIC_MODULE:-}" ] && [ -n "$ko_loaded" ] && [ "$KWIK_MODE" != demo ]; then
	{
		for m in $QUIC_DEPS; do
			modprobe "$m" || echo "modprobe $m failed"
		done
		insmod "$KWIK_QUIC_MODULE" && echo "quic.ko loaded" &&
		insmod "$KWIK_KQUIC_MODULE" && echo "kwik_quic.ko loaded"
	} >"$KWIK_QUIC_LOAD_LOG" 2>&1
fi

export KWIKCTL="$KWIK_SRC/tools/kwikctl/kwikctl"
export KWIK_BIN="$KWIK_SRC/selftests"

# --- demo ------------------------------------------------------------------
# (and the benchmark: selftests/vm/bench.sh, the same way)
if [ "$KWIK_MODE" = demo ] || [ "$KWIK_MODE" = bench ]; then
	if [ -n "$KWIK_KO" ] && [ -z "$ko_loaded" ]; then
		say "$KWIK_MODE: insmod $KWIK_KO failed: $(cat "$OUT/insmod.log")"
		exit
	fi
	cd "$KWIK_SRC" &&
		timeout -k 10 "$KWIK_TEST_TIMEOUT" bash "selftests/vm/$KWIK_MODE.sh" >>"$OUT/tap" 2>&1
	echo "$?" >"$OUT/demo.rc"
	if [ -n "$ko_loaded" ]; then
		[ ! -d /sys/module/kwik_quic ] || rmmod kwik_quic
		rmmod kwik
	fi >>"$OUT/tap" 2>&1
	dmesg >"$OUT/dmesg"
	echo KWIK-DEMO-DONE >"$OUT/success"
	exit
fi

# --- tests -----------------------------------------------------------------
read -r -a tests <<<"$KWIK_TESTS"
nchecks=3
[ -z "$KMEMLEAK" ] || nchecks=4
[ -z "${KWIK_QUIC_MODULE:-}" ] || nchecks=$((nchecks + 1))
say "TAP version 13"
say "1..$((${#tests[@]} + nchecks))"
say "# kernel $(uname -r), kwik.ko: ${KWIK_KO:-none}, timeout ${KWIK_TEST_TIMEOUT}s per test, guest up $(cut -d' ' -f1 /proc/uptime)s"
n=0 pass=0 fail=0 skip=0
point() {	# point ok|fail|skip desc [reason]
	n=$((n + 1))
	case $1 in
	ok)	pass=$((pass + 1)); say "ok $n $2" ;;
	skip)	skip=$((skip + 1)); say "ok $n $2 # SKIP ${3:-}" ;;
	*)	fail=$((fail + 1)); say "not ok $n $2${3:+ # $3}" ;;
	esac
	con "$(tail -n 1 "$OUT/tap")"
}

# Leftovers of a test must not leak into the next one.
cleanup_netns() {
	local ns
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

for t in "${tests[@]}"; do
	if [ -n "$KWIK_KO" ] && [ -z "$ko_loaded" ]; then
		say "# insmod $KWIK_KO failed:"
		sed 's/^/# /' "$OUT/insmod.log" >>"$OUT/tap"
		point fail "selftests: kwik: $t" "kwik.ko not loaded"
		continue
	fi
	con "running $t"
	say "# selftests: kwik: $t"
	start=$(date +%s)
	(cd "$KWIK_SRC/selftests" &&
		timeout -k 10 "$KWIK_TEST_TIMEOUT" bash "./$t" </dev/null 2>&1) |
		tee "$OUT/$t.log" | sed -u 's/^/# /' >>"$OUT/tap"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	say "# $t: exit $rc after ${secs}s"
	case $rc in
	0)	point ok "selftests: kwik: $t" ;;
	4)	why=$(sed -n 's/^1\.\.0 # SKIP //p' "$OUT/$t.log" | head -n 1)
		# A test that reports each case as skipped: its first reason.
		[ -n "$why" ] ||
			why=$(sed -n 's/^ok [0-9]* .* # SKIP //p' "$OUT/$t.log" | head -n 1)
		point skip "selftests: kwik: $t" "${why:-exit 4}" ;;
	124|137) point fail "selftests: kwik: $t" "TIMEOUT ${KWIK_TEST_TIMEOUT}s" ;;
	*)	point fail "selftests: kwik: $t" "exit=$rc" ;;
	esac
	cleanup_netns
done

# --- final checks (the success marker only after all of them) -------------
cleanup_netns

# kmemleak_scan NAME: two scans (objects must look unreferenced twice to
# be reported), the report saved as $OUT/kmemleak.NAME.
kmemleak_scan() {
	echo scan >"$KMEMLEAK"
	sleep 6
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK" >"$OUT/kmemleak.$1"
}
# kmemleak_kwik FILE: the reports of FILE whose backtrace is in kwik.ko: a
# "[kwik]" symbol, or (once it is unloaded and its symbols are gone) an
# address in the module area: kwik.ko is the only module of the debug
# kernel (x86_64 modules live in 0xffffffffa0000000..0xffffffffff000000).
kmemleak_kwik() {
	local blk= hit= line a
	while IFS= read -r line; do
		if [[ $line == "unreferenced object"* ]]; then
			[ -z "$hit" ] || printf '%s\n' "$blk"
			blk=$line hit=
			continue
		fi
		blk+=$'\n'$line
		if [[ $line == *"[kwik]"* ]]; then
			hit=1
		elif [[ $line =~ ^[[:space:]]+0x([0-9a-f]{16})$ ]]; then
			a=$((16#${BASH_REMATCH[1]}))
			if ((a >= 0xffffffffa0000000 && a < 0xffffffffff000000)); then hit=1; fi
		fi
	done <"$1"
	[ -z "$hit" ] || printf '%s\n' "$blk"
}
if [ -n "$KMEMLEAK" ] && [ -d /sys/module/kwik ]; then
	# Settle: RCU callbacks and netns cleanup free objects late.
	sleep 5
	kmemleak_scan loaded
	echo clear >"$KMEMLEAK"
fi
# kwik_quic.ko pins kwik.ko: it goes first (a test may have removed it),
# then quic.ko, whose last sockets close asynchronously.
if [ -n "${KWIK_QUIC_MODULE:-}" ]; then
	end=$(($(date +%s) + 30)) rmlog=
	for m in kwik_quic quic; do
		while [ -d "/sys/module/$m" ]; do
			rmlog=$(rmmod "$m" 2>&1) && { rmlog=; break; }
			[ "$(date +%s)" -lt "$end" ] || break
			sleep 0.5
		done
	done
	if [ -d /sys/module/kwik_quic ] || [ -d /sys/module/quic ]; then
		say "# rmmod kwik_quic quic: $rmlog"
		point fail "post: rmmod kwik_quic quic"
	else
		point ok "post: rmmod kwik_quic quic"
	fi
fi
if [ -z "$KWIK_KO" ]; then
	point skip "post: rmmod kwik" "no kwik.ko given"
elif [ -z "$ko_loaded" ]; then
	point fail "post: rmmod kwik" "was never loaded"
else
	# Namespace teardown is asynchronous: poll until the module is free.
	end=$(($(date +%s) + 30)) rmlog=
	while :; do
		if [ ! -d /sys/module/kwik ]; then
			rmlog="kwik already unloaded by a test"
			break
		fi
		rmlog=$(rmmod kwik 2>&1) && { rmlog=; break; }
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.5
	done
	if [ -d /sys/module/kwik ]; then
		say "# rmmod kwik: $rmlog (refcnt $(cat /sys/module/kwik/refcnt 2>/dev/null))"
		point fail "post: rmmod kwik"
	else
		point ok "post: rmmod kwik${rmlog:+ ($rmlog)}"
	fi
fi

if [ -n "$KMEMLEAK" ]; then
	sleep 2
	kmemleak_scan final
	{
		kmemleak_kwik "$OUT/kmemleak.loaded" 2>/dev/null
		kmemleak_kwik "$OUT/kmemleak.final"
	} >"$OUT/kmemleak.kwik"
	nall=$(cat "$OUT"/kmemleak.loaded "$OUT"/kmemleak.final 2>/dev/null | grep -c '^unreferenced object')
	if [ -s "$OUT/kmemleak.kwik" ]; then
		sed 's/^/# kmemleak: /' "$OUT/kmemleak.kwik" | head -n 80 >>"$OUT/tap"
		point fail "post: kmemleak: no leak in kwik" "$(grep -c '^unreferenced object' "$OUT/kmemleak.kwik") leaks in kwik"
	else
		point ok "post: kmemleak: no leak in kwik ($nall suspects elsewhere)"
	fi
fi

dmesg >"$OUT/dmesg"
bad='BUG:|WARNING:|Oops|KASAN|KFENCE|lockdep|refcount_t|leak|UBSAN|general protection|Call Trace|call trace'
sed -n '/kwik-selftests: start/,$p' "$OUT/dmesg" | grep -E "$bad" |
	grep -vE 'kmemleak: [0-9]+ new suspected memory leaks|kmemleak: Automatic memory scanning thread' >"$OUT/dmesg.bad"
if [ -s "$OUT/dmesg.bad" ]; then
	sed 's/^/# dmesg: /' "$OUT/dmesg.bad" | head -n 50 >>"$OUT/tap"
	point fail "post: dmesg clean"
else
	point ok "post: dmesg clean"
fi

# Loading an out-of-tree (O, 4096), unsigned (E, 8192) module taints by
# design; any other new taint bit (W, D, ...) is a failure.
taint1=$(cat /proc/sys/kernel/tainted)
mask=$(( ~(4096 | 8192) ))
if [ $((taint0 & mask)) -eq $((taint1 & mask)) ]; then
	point ok "post: taint unchanged ($taint0 -> $taint1, ignoring O/E)"
else
	point fail "post: taint unchanged" "tainted $taint0 -> $taint1"
fi

echo "$pass $fail $skip" >"$OUT/result"
sync
if [ "$fail" -eq 0 ]; then
	echo KWIK-SELFTESTS-PASSED >"$OUT/success"
	sync
fi
exit 0
