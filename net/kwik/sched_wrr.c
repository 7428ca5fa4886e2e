// SPDX-License-Identifier: GPL-2.0
/*
 * Weighted round-robin: paths share the stream in proportion to their
 * configured weights (deficit counters refilled by weight).  A path that
 * cannot keep up still only takes what its lower socket accepts.
 */
#include <linux/module.h>

#include "path.h"
#include "sched.h"
#include "sock.h"

#define KWIK_WRR_QUANTUM	16384	/* bytes per unit of weight */

static bool kwik_sched_wrr_may_send(struct kwik_sock *ks,
				    struct kwik_subflow *sf, u32 len)
{
	bool others = false;
	u32 i;

	if (sf->credit > 0)
		return true;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (o != sf && kwik_sched_usable(ks, o) && o->credit > 0)
			others = true;
	}
	if (others)
		return false;
	/* Every usable path spent its share: start a new round. */
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (kwik_sched_usable(ks, o))
			o->credit += KWIK_WRR_QUANTUM *
				     kwik_path_cfg(o->path)->weight;
	}
	return true;
}

static void kwik_sched_wrr_sent(struct kwik_sock *ks, struct kwik_subflow *sf,
				u32 len)
{
	sf->credit -= len;
}

static struct kwik_sched_ops kwik_sched_wrr = {
	.name		= "wrr",
	.owner		= NULL,
	.may_send	= kwik_sched_wrr_may_send,
	.sent		= kwik_sched_wrr_sent,
};

int kwik_sched_wrr_init(void)
{
	return kwik_sched_register(&kwik_sched_wrr);
}

void kwik_sched_wrr_exit(void)
{
	kwik_sched_unregister(&kwik_sched_wrr);
}
