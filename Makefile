# SPDX-License-Identifier: GPL-2.0
# Kwik: out-of-tree kernel module, kwikctl and the selftests.
#
# "make help" lists the targets.  On a fresh Debian 12 machine
# "make check" and "make demo" install what they need first (make deps).

KWIK_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(CURDIR)/dkms.conf)
KWIK_CACHE ?= /var/cache/kwik
KERNEL ?= 6.12

# The kernel to build against: the running kernel's headers if installed,
# else the unpacked Debian 6.12 headers from "make deps".
kenv = $(shell . $(KWIK_CACHE)/kernels/$(1).env 2>/dev/null && echo $$$(2))
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(call kenv,6.12,KDIR),/lib/modules/$(shell uname -r)/build)

# The QUIC transport (kwik_quic.ko) is built only against an lxin/quic
# build or install: QUIC_DIR=DIR (see Documentation/quic.rst for its
# layout).  "make check" takes it from KWIK_QUIC_DIR, which also makes the
# test VM load DIR/quic.ko and run the QUIC tests.
KWIK_QUIC_DIR ?=
export KWIK_QUIC_DIR
QUIC_DIR ?=

# make check: T="smoke kwik_xfer" selects tests (names or globs, with or
# without .sh); NOMOD=1 runs them without kwik.ko (harness development).
T ?=
NOMOD ?=

.PHONY: all module deps kwikctl selftests check check-build dkms-prep demo \
	lint lint-checkpatch lint-w1 lint-sparse lint-docs help clean clean-module

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(QUIC_DIR),QUIC_DIR=$(abspath $(QUIC_DIR))) modules

clean-module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

deps:
	selftests/vm/deps.sh

kwikctl:
	@if [ -f tools/kwikctl/Makefile ]; then \
		$(MAKE) -C tools/kwikctl; \
	else echo "kwikctl: tools/kwikctl/Makefile not there yet, skipped"; fi

selftests:
	$(MAKE) -C selftests

# ---- check: everything, in a VM -------------------------------------------
# deps first, then a second make reads the kernel it resolved.
check: deps
	@$(MAKE) --no-print-directory check-run

CK_KDIR = $(call kenv,$(KERNEL),KDIR)
CK_KVER = $(call kenv,$(KERNEL),KVER)
CK_DKMS = $(CURDIR)/build/dkms/$(CK_KVER)
# kwik.ko for the debug kernel builds in its own copy of the sources, so a
# concurrent "make check" (which builds in the tree) cannot swap it.
CK_M = $(if $(filter debug,$(KERNEL)),$(CURDIR)/build/kmod-$(KERNEL),$(CURDIR))
# kwik_quic.ko too when KWIK_QUIC_DIR is given; else none is left over.
CK_QUIC = $(if $(KWIK_QUIC_DIR),QUIC_DIR=$(abspath $(KWIK_QUIC_DIR)))

# Several people may run "make check" in one tree at once: builds are
# serialised with a lock; run.sh copies what it needs into its own run dir.
LOCK = mkdir -p $(CURDIR)/build && flock $(CURDIR)/build/.build.lock

.PHONY: check-run
check-run:
	@test -n "$(CK_KDIR)" || { echo "no kernel $(KERNEL) in $(KWIK_CACHE)/kernels (make deps)"; exit 1; }
	@echo "# building for $(CK_KVER)"
	@$(LOCK) $(MAKE) --no-print-directory check-build
	selftests/vm/run.sh --kernel $(KERNEL) \
		$(if $(NOMOD),--ko '',--ko $(CK_M)/kwik.ko --modroot $(CK_DKMS)/modroot) $(T)

check-build:
ifeq ($(NOMOD),)
	rm -f $(CK_M)/kwik_quic.ko
ifneq ($(CK_M),$(CURDIR))
	mkdir -p $(CK_M)/net/kwik && cp -a Kbuild include $(CK_M)/ && \
		cp -a net/kwik/*.[ch] $(CK_M)/net/kwik/
endif
	$(MAKE) -C $(CK_KDIR) M=$(CK_M) $(CK_QUIC) modules
	selftests/vm/dkms-prep.sh $(CK_KVER) $(CK_KDIR) $(call kenv,$(KERNEL),KMODULES) $(CK_DKMS)
endif
	@$(MAKE) --no-print-directory kwikctl
	$(MAKE) -C selftests

# ---- check-debug: the suite on a KASAN + lockdep + kmemleak kernel -------
# The kernel is built once from Debian's linux-source-6.12 with
# selftests/vm/debug.config and cached in $(KWIK_CACHE)/kernels/debug-*;
# see Documentation/debug-lane.rst.  DEBUG_T selects tests (default: all).
DEBUG_T ?= $(T)

.PHONY: debug-kernel check-debug
debug-kernel: deps
	selftests/vm/debug-kernel.sh

check-debug: debug-kernel
	@$(MAKE) --no-print-directory check-run KERNEL=debug T="$(DEBUG_T)"

# ---- demo: one server, two TLS paths, data both ways ----------------------
demo: deps
	@$(MAKE) --no-print-directory demo-run

.PHONY: demo-run
demo-run:
	@test -n "$(CK_KDIR)" || { echo "no kernel $(KERNEL) in $(KWIK_CACHE)/kernels (make deps)"; exit 1; }
	@$(LOCK) $(MAKE) --no-print-directory check-build NOMOD=1
	@$(LOCK) $(MAKE) -C $(CK_KDIR) M=$(CURDIR) $(CK_QUIC) modules
	selftests/vm/run.sh --kernel $(KERNEL) --ko $(CURDIR)/kwik.ko --demo

# ---- bench: Kwik vs MPTCP vs single-path TCP, netem-shaped links, in a VM --
# CASES="[NAME=]RATE:RTT[:LOSS[:REORDER]],...[@FAIL_S] ..." (see
# Documentation/performance.rst); BYTES per run (default 16M); SYSTEMS a
# subset of "kwik cubic tls quic mptcp tcp ktls lxquic" (quic and lxquic
# need KWIK_QUIC_DIR, a QUIC-capable KWIK_TLSHD and, for lxquic,
# KWIK_QUIC_PERF: Documentation/quic.rst).
CASES ?=
BYTES ?=
SYSTEMS ?=
REPEAT ?=

.PHONY: bench bench-run
bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run:
	@test -n "$(CK_KDIR)" || { echo "no kernel $(KERNEL) in $(KWIK_CACHE)/kernels (make deps)"; exit 1; }
	@$(LOCK) $(MAKE) --no-print-directory check-build NOMOD=1
	@$(LOCK) $(MAKE) -C $(CK_KDIR) M=$(CURDIR) $(CK_QUIC) modules
	KWIK_BENCH_CASES="$(CASES)" KWIK_BENCH_BYTES="$(BYTES)" \
		KWIK_BENCH_SYSTEMS="$(SYSTEMS)" KWIK_BENCH_REPEAT="$(REPEAT)" \
		selftests/vm/run.sh --kernel $(KERNEL) --ko $(CURDIR)/kwik.ko --bench

# ---- lint: checkpatch, W=1 on 6.12 and 6.1, sparse, docs; any warning fails
LINT_SRC = $(sort $(wildcard net/kwik/*.[ch])) include/uapi/linux/kwik.h

lint: deps
	@$(MAKE) --no-print-directory lint-checkpatch lint-w1 lint-sparse lint-docs

lint-checkpatch:
	$(KWIK_CACHE)/checkpatch/scripts/checkpatch.pl --strict --no-tree \
		--show-types --terse -f $(LINT_SRC)

# Documentation must parse without a docutils warning.
lint-docs:
	/usr/bin/python3 selftests/vm/lint-docs.py Documentation/*.rst

# Each kernel builds in its own fresh copy of the sources, so every file is
# compiled every time; the logs must not contain a single warning.
lint-w1 lint-sparse: LINT_FLAGS = $(if $(filter lint-w1,$@),W=1,C=2)
lint-w1 lint-sparse:
	@set -e; for k in 6.12 6.1; do \
		. $(KWIK_CACHE)/kernels/$$k.env; \
		d=$(CURDIR)/build/lint/$@-$$k; rm -rf $$d; mkdir -p $$d; \
		mkdir -p $$d/net/kwik; cp -a Kbuild include $$d/; \
		cp -a net/kwik/*.[ch] $$d/net/kwik/; \
		echo "  $@ against $$KVER"; \
		q=; [ $$k != 6.12 ] || q="$(CK_QUIC)"; \
		$(MAKE) -s -C $$KDIR M=$$d $(LINT_FLAGS) $$q modules >$$d/build.log 2>&1 || \
			{ sed "s|$$d/||g" $$d/build.log; echo "$@: build failed against $$KVER"; exit 1; }; \
		if sed "s|$$d/||g" $$d/build.log | grep -E 'warning:|error:'; then \
			echo "$@: warnings against $$KVER"; exit 1; fi; \
	done

# ---- dkms: add/build/install into scratch trees (no host state touched) ---
dkms-prep:
	selftests/vm/dkms-prep.sh $(CK_KVER) $(CK_KDIR) $(call kenv,$(KERNEL),KMODULES) $(CK_DKMS)

help:
	@echo "Kwik $(KWIK_VERSION) - targets:"
	@echo "  make [module]      build kwik.ko against KDIR (now: $(KDIR))"
	@echo "       QUIC_DIR=DIR  and kwik_quic.ko against lxin/quic in DIR"
	@echo "  make kwikctl       build tools/kwikctl/kwikctl"
	@echo "  make selftests     build the selftest programs"
	@echo "  make deps          install/unpack build+test dependencies (root, Debian 12)"
	@echo "  make check         deps, build for Debian $(KERNEL), boot a QEMU VM, run all"
	@echo "                     selftests (incl. DKMS), print TAP + 'N passed, N failed, N skipped'"
	@echo "       T=\"a b\"       only tests named a, b (or a.sh; globs ok)"
	@echo "       KERNEL=6.1    test on Debian's 6.1 kernel instead of 6.12"
	@echo "       NOMOD=1       run without kwik.ko (harness work)"
	@echo "       env: KWIK_TEST_TIMEOUT=300 KWIK_VM_TIMEOUT=300+150/test KWIK_KVM=1"
	@echo "       KWIK_QUIC_DIR=DIR  build kwik_quic.ko against DIR (lxin/quic: quic.ko,"
	@echo "                     Module.symvers, include/), load DIR/quic.ko in the VM"
	@echo "                     (Documentation/quic.rst); KWIK_TLSHD=a QUIC-capable tlshd"
	@echo "  make check-debug   the same on a KASAN+lockdep+kmemleak+UBSAN kernel built"
	@echo "                     once from Debian's linux-source-6.12 (make debug-kernel);"
	@echo "                     fails on any debug report (Documentation/debug-lane.rst)"
	@echo "  make demo          boot the VM, move data both ways over one AF_KWIK socket"
	@echo "                     striped over two TLS paths, show per-path bytes"
	@echo "  make bench         Kwik (plain, cc cubic, TLS, QUIC paths) vs MPTCP vs best single TCP path"
	@echo "                     on netem links, in the VM: goodput, delivery gap, receiver"
	@echo "                     buffer, CPU per MiB; CSV in build/bench/"
	@echo "       CASES=\"balanced=10mbit:20ms,10mbit:20ms failover=10mbit:20ms,10mbit:20ms@3\""
	@echo "                     [NAME=]RATE:RTT[:LOSS[:REORDER]] per path (or \"unshaped\"),"
	@echo "                     @S blackholes link 1 at S seconds; BYTES=16M per run;"
	@echo "                     SYSTEMS=\"kwik mptcp\" a subset of kwik cubic tls quic mptcp tcp"
	@echo "                     ktls lxquic (quic, lxquic: KWIK_QUIC_DIR, KWIK_TLSHD and"
	@echo "                     KWIK_QUIC_PERF=lxin/quic's tests/perf_test; Documentation/quic.rst)"
	@echo "                     REPEAT=N rounds of all systems per case, medians reported"
	@echo "                     (Documentation/performance.rst)"
	@echo "  make lint          checkpatch --strict, W=1 (6.12 and 6.1), sparse C=2, docs parse"
	@echo "  make dkms-prep     dkms add/build/install into build/dkms (scratch)"
	@echo "  make clean         remove build products"
	@echo "See Documentation/testing.rst and Documentation/install.rst."

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C selftests clean
	-@[ ! -f tools/kwikctl/Makefile ] || $(MAKE) -C tools/kwikctl clean
	rm -rf build
