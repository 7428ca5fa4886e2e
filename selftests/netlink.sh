#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netlink.sh - hostile generic netlink requests to the "kwik" family:
# missing, oversized, unknown and read-only attributes, unknown flags,
# duplicates, unprivileged callers (kwik_nl_bad, TAP 13 on its own).
set -eu
. "$(dirname "$0")/lib.sh"

[ -x "$KWIK_BIN/kwik_nl_bad" ] || {
	echo "TAP version 13"
	echo "1..0 # SKIP kwik_nl_bad not built"
	exit 4
}
[ -d /sys/module/kwik ] || {
	echo "TAP version 13"
	echo "1..0 # SKIP kwik.ko not loaded"
	exit 4
}
exec "$KWIK_BIN/kwik_nl_bad"
