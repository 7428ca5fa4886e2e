#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - boot the Kwik test VM and run selftests in it (host side).
#
#   selftests/vm/run.sh [options] [TEST...]
#     --kernel NAME   kernel from /var/cache/kwik/kernels/NAME.env (6.12)
#     --ko PATH       kwik.ko to insmod in the guest (default: ./kwik.ko;
#                     "" = none, the tests run without the module)
#     --modroot DIR   prepared modules.* tree (depmod output incl. DKMS)
#     --demo          run selftests/vm/demo.sh instead of the tests
#     --bench         run selftests/vm/bench.sh (KWIK_BENCH_CASES, _SYSTEMS,
#                     _BYTES, _REPEAT); its CSV is copied to build/bench/
#     TEST            test names (smoke, smoke.sh, or a glob like 'kwik*');
#                     default: every TEST_PROGS entry of selftests/Makefile
#
# Environment: KWIK_TEST_TIMEOUT (s per test, 600), KWIK_VM_TIMEOUT (s for
# the whole VM, 300 + 150 per test), KWIK_KVM=1 (use KVM; TCG otherwise), KWIK_VM_MEM (1G),
# KWIK_VM_SMP (2), KWIK_VM_APPEND (extra kernel command line), KWIK_TLSHD
# (tlshd for the TLS tests; default: the one "make deps" unpacked, named in
# /var/cache/kwik/tlshd/env), KWIK_QUIC_DIR (an lxin/quic build: the guest
# loads DIR/quic.ko and its dependencies, then kwik_quic.ko from beside
# the --ko kwik.ko; see Documentation/quic.rst), KWIK_QUIC_PERF (make
# bench: lxin/quic's tests/perf_test, in its build tree, for the lxquic
# baseline).
#
# The guest streams TAP 13 into a writable 9p share; this script shows it
# as it arrives, then prints "N passed, N failed, N skipped" and exits 0
# only if the guest wrote its success marker (written after every test and
# the rmmod/dmesg/taint checks passed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${KWIK_CACHE:-/var/cache/kwik}
kernel=6.12 ko=$src/kwik.ko mode=check modroot=
pats=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--demo) mode=demo; shift ;;
	--bench) mode=bench; shift ;;
	-h|--help) sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) pats+=("$1"); shift ;;
	esac
done

envf=$cache/kernels/$kernel.env
[ -r "$envf" ] || { echo "run.sh: $envf missing: run 'make deps'" >&2; exit 1; }
# shellcheck disable=SC1090
. "$envf"
# Kernel-specific settings from the .env (the debug kernel sets them):
# KSLOW multiplies the timeouts, KMEM and KAPPEND set memory and cmdline.
slow=${KSLOW:-1}
for f in "$KIMAGE" "$KMODULES/modules.dep"; do
	[ -e "$f" ] || { echo "run.sh: $f missing: run 'make deps'" >&2; exit 1; }
done
[ -z "$ko" ] || ko=$(realpath "$ko")
if [ -n "$ko" ] && [ ! -f "$ko" ]; then
	echo "run.sh: $ko not built (make module, or --ko '' to run without)" >&2
	exit 1
fi
if [ -n "${KWIK_QUIC_KO:-}" ]; then
	echo "run.sh: KWIK_QUIC_KO is replaced by KWIK_QUIC_DIR (the directory of quic.ko," >&2
	echo "run.sh: its Module.symvers and headers; Documentation/quic.rst)" >&2
	exit 2
fi
# QUIC: quic.ko from KWIK_QUIC_DIR, kwik_quic.ko built beside kwik.ko.
quic_ko='' kquic_ko=''
if [ -n "${KWIK_QUIC_DIR:-}" ]; then
	quic_ko=$(realpath -e "$KWIK_QUIC_DIR/quic.ko") ||
		{ echo "run.sh: no quic.ko in KWIK_QUIC_DIR=$KWIK_QUIC_DIR" >&2; exit 1; }
	if [ -n "$ko" ]; then
		kquic_ko=${ko%/*}/kwik_quic.ko
		[ -f "$kquic_ko" ] || {
			echo "run.sh: $kquic_ko not built (make QUIC_DIR=$KWIK_QUIC_DIR module)" >&2
			exit 1
		}
	fi
fi

# Select tests: every TEST_PROGS entry matching one of the patterns.
read -r -a all <<<"$(make -s --no-print-directory -C "$src/selftests" print-test-progs)"
tests=()
if [ "$mode" = check ]; then
	if [ ${#pats[@]} -eq 0 ]; then
		tests=("${all[@]}")
	else
		for p in "${pats[@]}"; do
			hit=
			for t in "${all[@]}"; do
				# shellcheck disable=SC2053
				if [[ $t == $p || $t == $p.sh || ${t%.sh} == $p ]]; then
					[[ " ${tests[*]} " == *" $t "* ]] || tests+=("$t")
					hit=1
				fi
			done
			[ -n "$hit" ] || { echo "run.sh: no test matches '$p' (have: ${all[*]})" >&2; exit 2; }
		done
	fi
fi

bdir=$src/build/vm
mkdir -p "$bdir"
# Until the inputs are copied into the run dir, hold the build lock that
# "make check" builds under: concurrent runs in one tree stay consistent.
exec 8>"$src/build/.build.lock"
flock 8
initrd=$bdir/initramfs-$KVER.cpio.gz
if [ ! -s "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$here/initramfs.sh" -nt "$initrd" ]; then
	"$here/initramfs.sh" "$KMODULES" "$initrd"
fi

out=$(mktemp -d "$bdir/run.XXXXXX")
chmod 755 "$out"
: >"$out/tap"
# The module and the prepared modules tree travel in the results share,
# so their host location does not matter.
if [ -n "$ko" ]; then
	echo "# kwik.ko: $ko ($(modinfo -F vermagic "$ko" | cut -d' ' -f1), srcversion $(modinfo -F srcversion "$ko"))"
	cp "$ko" "$out/kwik.ko"
	ko=/run/kwik/kwik.ko
fi
if [ -n "$quic_ko" ]; then
	echo "# quic.ko: $quic_ko ($(modinfo -F vermagic "$quic_ko" | cut -d' ' -f1))"
	cp "$quic_ko" "$out/quic.ko"
	quic_ko=/run/kwik/quic.ko
fi
if [ -n "$kquic_ko" ]; then
	cp "$kquic_ko" "$out/kwik_quic.ko"
	kquic_ko=/run/kwik/kwik_quic.ko
fi
if [ -n "$modroot" ]; then
	cp -a "$modroot" "$out/modroot"
	modroot=/run/kwik/modroot
fi
flock -u 8
exec 8>&-
# tlshd for the TLS tests: the user's KWIK_TLSHD, else the one "make deps"
# unpacked.  The guest sees the host's file system, except what it mounts
# tmpfs on (/tmp /run /var/tmp /root ...).
if [ -z "${KWIK_TLSHD:-}" ] && [ -r "$cache/tlshd/env" ]; then
	# shellcheck disable=SC1091
	KWIK_TLSHD=$(. "$cache/tlshd/env" && echo "${TLSHD:-}")
fi
[ -z "${KWIK_QUIC_PERF:-}" ] || KWIK_QUIC_PERF=$(realpath -m "$KWIK_QUIC_PERF")
if [ -n "${KWIK_TLSHD:-}" ]; then
	KWIK_TLSHD=$(realpath -m "$KWIK_TLSHD")
	echo "# tlshd: $KWIK_TLSHD"
fi
{
	printf 'KWIK_SRC=%q\n' "$src"
	printf 'KVER=%q\nKMODULES=%q\n' "$KVER" "$KMODULES"
	printf 'KWIK_KO=%q\n' "$ko"
	printf 'KWIK_MODROOT=%q\n' "$modroot"
	printf 'KWIK_QUIC_MODULE=%q\nKWIK_KQUIC_MODULE=%q\n' "$quic_ko" "$kquic_ko"
	printf 'KWIK_TESTS=%q\n' "${tests[*]}"
	# The benchmark is one long "test", of REPEAT rounds.
	rounds=${KWIK_BENCH_REPEAT:-1}
	[[ $rounds =~ ^[1-9][0-9]?$ ]] || rounds=1
	[ "$mode" = bench ] && tt=$((1800 * rounds)) || tt=600
	printf 'KWIK_TEST_TIMEOUT=%q\n' "${KWIK_TEST_TIMEOUT:-$((tt * slow))}"
	printf 'KWIK_SLOW=%q\n' "$slow"
	printf 'KWIK_MODE=%q\n' "$mode"
	# Optional extras the tests may use.
	for v in KWIK_TLSHD KWIK_VERBOSE KWIK_BENCH_CASES KWIK_BENCH_BYTES KWIK_BENCH_SYSTEMS \
		KWIK_BENCH_REPEAT KWIK_QUIC_PERF; do
		[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
	done
} >"$out/env"

if [ "${KWIK_KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max)
fi
# Whole-VM guard, above the sum of normal test times even on a loaded
# machine; a hang inside one test is cut by its own timeout first.
[ "$mode" = bench ] && vt=$((600 + 1800 * rounds)) ||
	vt=$((300 + 150 * ${#tests[@]}))
vm_timeout=${KWIK_VM_TIMEOUT:-$((vt * slow))}

vm_mem=${KWIK_VM_MEM:-${KMEM:-1G}}
echo "# kwik VM: kernel $KVER ($kernel), ${accel[1]}, $vm_mem, run dir $out"
[ "$mode" != check ] || echo "# tests: ${tests[*]}"
boot_vm() {
	t0=$(date +%s)
	timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
		"${accel[@]}" -smp "${KWIK_VM_SMP:-2}" -m "$vm_mem" \
		-nodefaults -no-reboot -display none -monitor none \
		-serial "file:$out/console.log" \
		-kernel "$KIMAGE" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 loglevel=4 printk.devkmsg=on mitigations=off oops=panic ${KAPPEND:-} ${KWIK_VM_APPEND:-}" \
		-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$out,mount_tag=out,security_model=none" \
		-device virtio-rng-pci \
		</dev/null >"$out/qemu.log" 2>&1 &
	qpid=$!
	# Stream the TAP file while the VM runs; tail exits once QEMU is gone.
	tail -n +1 -f --pid=$qpid "$out/tap" 2>/dev/null || true
	qrc=0
	wait $qpid || qrc=$?
	secs=$(($(date +%s) - t0))
}

# A kernel that crashed before any test reported and without kwik.ko in
# it says nothing about Kwik.  Under TCG one boot in some tens oopses in
# the kernel's own text patching (int3 at a static key, sched_clock_cpu):
# boot once more rather than fail the run on it.
boot_crashed_alone() {
	[ $qrc -eq 0 ] && ! grep -qE '^(not )?ok ' "$out/tap" 2>/dev/null &&
		grep -q 'Kernel panic' "$out/console.log" 2>/dev/null &&
		! grep -q 'Modules linked in:.*kwik' "$out/console.log"
}

boot_vm
if boot_crashed_alone; then
	echo "# the VM's kernel crashed before any test, kwik.ko not loaded; booting again:"
	grep -E -m 8 'Oops|BUG|RIP:|Kernel panic' "$out/console.log" | sed 's/^/#   /'
	mv "$out/console.log" "$out/console.crash.log"
	# Emptied, not removed: tail -f gives up at once on a missing file,
	# and the second boot's results would not be shown.
	: >"$out/tap"
	rm -f "$out/qemu.log" "$out/dmesg"
	boot_vm
fi

if [ "$mode" = demo ] || [ "$mode" = bench ]; then
	rc=$(cat "$out/demo.rc" 2>/dev/null || echo missing)
	echo "# $mode finished in ${secs}s, exit $rc"
	csv=
	if [ "$mode" = bench ] && [ -s "$out/bench.csv" ]; then
		mkdir -p "$src/build/bench"
		csv=$src/build/bench/bench-$(date +%Y%m%d-%H%M%S).csv
		cp "$out/bench.csv" "$csv"
	fi
	ok=1
	if [ "$rc" != 0 ] || [ ! -f "$out/success" ]; then
		echo "# --- console ---"; tail -n 60 "$out/console.log"
		ok=
	fi
	# The benchmark's results file is the last line, whatever happened.
	[ -z "$csv" ] || echo "$csv"
	[ -n "$ok" ]
	exit
fi

if ! read -r pass fail skip 2>/dev/null <"$out/result"; then
	# The guest did not finish: count what it reported; the rest failed.
	# (No TAP file at all when the kernel died before the guest's init.)
	touch "$out/tap"
	pass=$(grep -E '^ok ' "$out/tap" | grep -vc '# SKIP' || true)
	skip=$(grep -E '^ok ' "$out/tap" | grep -c '# SKIP' || true)
	total=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out/tap" | head -n 1)
	fail=$((${total:-$((${#tests[@]} + 3))} - pass - skip))
fi
ok=1
why=
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	why="VM timed out after ${vm_timeout}s (KWIK_VM_TIMEOUT)"
	echo "# $why"
	ok=
elif [ $qrc -ne 0 ]; then
	why="qemu exited with $qrc"
	echo "# $why:"; sed 's/^/# /' "$out/qemu.log"
	ok=
fi
if [ ! -f "$out/success" ]; then
	echo "# no success marker from the guest"
	why="${why:+$why; }no success marker from the guest"
	ok=
fi
[ "$fail" -eq 0 ] || ok=
if [ -z "$ok" ]; then
	[ "$fail" -gt 0 ] || fail=1
	if [ -s "$out/dmesg" ]; then
		echo "# --- guest dmesg ---"
		sed 's/^/# /' "$out/dmesg"
	else
		echo "# --- guest console (no dmesg saved) ---"
		sed 's/^/# /' "$out/console.log"
	fi
	echo "# logs kept in $out"
	# Last, so that a log's tail (all a CI report may show) names them.
	echo "# --- what failed ---"
	[ -z "$why" ] || echo "# $why"
	grep -E -B5 '^(# )*not ok ' "$out/tap" | head -n 80 | sed 's/^/# /' || true
fi
echo "# VM run took ${secs}s"
echo "$pass passed, $fail failed, $skip skipped"
if [ -n "$ok" ]; then
	rm -rf "$out"
	exit 0
fi
exit 1
