// SPDX-License-Identifier: GPL-2.0
/*
 * Redundant: every chunk on every path, the first copy to arrive wins
 * (the receiver drops the others).  For latency-bound flows: losing a
 * path costs no delivery gap, at the price of the bandwidth.
 *
 * Each path has its own send point, and one that falls behind skips what
 * the peer has acknowledged.  The leader's lead is bounded all the same:
 * when the leader is lost, the receiver has had the stream up to it and
 * the laggard must first send the lead again, so the delivery gap is the
 * lead at the laggard's rate.  When the laggard is the one lost, the
 * leader waits for it only until it is judged stale (its rank drops and
 * it no longer counts here), while the receiver still has the lead to
 * take in.
 */
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/time64.h>

#include "sched.h"
#include "sock.h"

/*
 * Largest lead, in time at the laggard's rate, and in bytes at least: a
 * fast path beside a slow one must keep enough in flight between the
 * session's acknowledgements (with 64 KiB, a 10 Mbit/s path beside a
 * 1 Mbit/s one lost up to 13% of its goodput under TCG).
 */
#define KWIK_REDUNDANT_LEAD_US		100000
#define KWIK_REDUNDANT_LEAD_MIN		(128 * 1024)

static bool kwik_sched_redundant_may_send(struct kwik_sock *ks,
					  struct kwik_subflow *sf, u32 len)
{
	u64 end = max(sf->snd_nxt, ks->snd_una) + len;
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];
		u64 from, rate, lead;

		if (o == sf || !kwik_sched_usable(ks, o))
			continue;
		from = max(o->snd_nxt, ks->snd_una);
		if (end <= from)
			continue;
		kwik_sched_arrival_us(o, 0, &rate);
		lead = div_u64(rate * KWIK_REDUNDANT_LEAD_US, USEC_PER_SEC);
		if (end - from > max_t(u64, lead, KWIK_REDUNDANT_LEAD_MIN))
			return false;
	}
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
