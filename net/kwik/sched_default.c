// SPDX-License-Identifier: GPL-2.0
/*
 * The default scheduler: each chunk goes on the path where it is expected
 * to arrive earliest.  A path asking for data gets it unless another
 * usable path would deliver the chunk clearly sooner, counting what is
 * already queued on each; so a slow path fills in only when the fast
 * ones are backed up, and never holds the stream back.
 */
#include <linux/module.h>

#include "sched.h"
#include "sock.h"

/* Tolerance before deferring to another path: 1/8 of our estimate. */
static bool kwik_sched_default_may_send(struct kwik_sock *ks,
					struct kwik_subflow *sf, u32 len)
{
	u64 mine = kwik_sched_arrival_us(sf, len);
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (o == sf || !kwik_sched_usable(ks, o))
			continue;
		if (kwik_sched_arrival_us(o, len) + (mine >> 3) < mine)
			return false;
	}
	return true;
}

static struct kwik_sched_ops kwik_sched_default = {
	.name		= "default",
	.owner		= NULL,		/* part of kwik.ko */
	.may_send	= kwik_sched_default_may_send,
};

int kwik_sched_default_init(void)
{
	return kwik_sched_register(&kwik_sched_default);
}

void kwik_sched_default_exit(void)
{
	kwik_sched_unregister(&kwik_sched_default);
}
