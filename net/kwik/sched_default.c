// SPDX-License-Identifier: GPL-2.0
/*
 * The default scheduler: each chunk goes on the path where it is expected
 * to arrive earliest.  A path asking for data gets it unless another
 * usable path would deliver the chunk clearly sooner, counting what is
 * already queued on each; so a slow path fills in only when the fast
 * ones are backed up, and never holds the stream back.
 *
 * A slow path is not left idle either: it may take the chunk after all
 * when the faster paths cannot run dry while the chunk is on its way.
 * What they send meanwhile (their rates times our arrival estimate, and
 * half again as margin) waits behind it at the receiver, so it must fit
 * in the peer's window and in what the application has queued.  With a
 * window that covers it (the receiver sizes its buffer for this, see
 * kwik_session_rcvbuf_tune()), the slow path adds its rate.
 */
#include <linux/module.h>

#include "sched.h"
#include "sock.h"

/* Tolerance before deferring to another path: 1/8 of our estimate. */
static bool kwik_sched_default_may_send(struct kwik_sock *ks,
					struct kwik_subflow *sf, u32 len)
{
	u64 mine = kwik_sched_arrival_us(sf, len, NULL);
	u64 sooner = 0, room, need, rate;
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (o == sf || !kwik_sched_usable(ks, o))
			continue;
		if (kwik_sched_arrival_us(o, len, &rate) + (mine >> 3) < mine)
			sooner += rate;
	}
	if (!sooner)
		return true;
	room = min(ks->snd_edge, ks->write_seq);
	if (room <= ks->snd_nxt + len)
		return false;
	room -= ks->snd_nxt + len;
	need = div_u64(sooner * mine, USEC_PER_SEC);
	return need + (need >> 1) <= room;
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
