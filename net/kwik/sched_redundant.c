// SPDX-License-Identifier: GPL-2.0
/*
 * Redundant: every chunk on every path, the first copy to arrive wins
 * (the receiver drops the others).  For latency-bound flows: losing a
 * path costs no delivery gap, at the price of the bandwidth.
 */
#include <linux/module.h>

#include "sched.h"
#include "sock.h"

static bool kwik_sched_redundant_may_send(struct kwik_sock *ks,
					  struct kwik_subflow *sf, u32 len)
{
	return true;
}

static struct kwik_sched_ops kwik_sched_redundant = {
	.name		= "redundant",
	.owner		= NULL,
	.redundant	= true,
	.may_send	= kwik_sched_redundant_may_send,
};

int kwik_sched_redundant_init(void)
{
	return kwik_sched_register(&kwik_sched_redundant);
}

void kwik_sched_redundant_exit(void)
{
	kwik_sched_unregister(&kwik_sched_redundant);
}
