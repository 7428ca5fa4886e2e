/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schedulers decide which path carries a session's next chunk.
 *
 * Paths pull: when a path's lower socket can take more, the path asks each
 * ready session for a frame, and the session asks its scheduler whether
 * this path should carry the next chunk.  Declining leaves the chunk for a
 * path expected to deliver it sooner; the session is asked again on its
 * next acknowledgment.
 */
#ifndef _KWIK_SCHED_H
#define _KWIK_SCHED_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/kwik.h>

struct kwik_sock;
struct kwik_subflow;
struct module;

struct kwik_sched_ops {
	struct list_head list;
	char name[KWIK_SCHED_NAME_MAX];
	struct module *owner;
	/*
	 * Every chunk goes on every path (each subflow keeps its own send
	 * point); otherwise each chunk is sent once, on the path chosen.
	 */
	bool redundant;
	/*
	 * May @sf carry the next @len bytes?  Socket locked.  A "no" with
	 * nothing in flight asks the other usable paths; after three in a
	 * row the chunk goes anyway (kwik_session_hand_off()).
	 */
	bool (*may_send)(struct kwik_sock *ks, struct kwik_subflow *sf,
			 u32 len);
	/* @len bytes went out on @sf (optional). */
	void (*sent)(struct kwik_sock *ks, struct kwik_subflow *sf, u32 len);
};

int kwik_sched_register(struct kwik_sched_ops *ops);
void kwik_sched_unregister(struct kwik_sched_ops *ops);
/* Look up by name with a module reference; NULL if unknown. */
const struct kwik_sched_ops *kwik_sched_get(const char *name);
const struct kwik_sched_ops *kwik_sched_get_default(void);
void kwik_sched_put(const struct kwik_sched_ops *ops);

/*
 * Expected time, in microseconds, until @len more bytes queued on @sf's
 * path would be delivered: one-way delay plus what is queued ahead,
 * drained at the path's estimated rate (in *@rate if not NULL, bytes per
 * second).  U64_MAX (rate 0) if the path is unusable.
 */
u64 kwik_sched_arrival_us(struct kwik_subflow *sf, u32 len, u64 *rate);
/* @sf may carry data at all (active, up, backup rule). */
bool kwik_sched_usable(struct kwik_sock *ks, struct kwik_subflow *sf);
/* @sf is a right path to open the session on (a primary if one is up). */
bool kwik_sched_may_open(struct kwik_sock *ks, struct kwik_subflow *sf);

/* The built-in schedulers, one file each. */
int kwik_sched_default_init(void);
void kwik_sched_default_exit(void);
int kwik_sched_wrr_init(void);
void kwik_sched_wrr_exit(void);
int kwik_sched_redundant_init(void);
void kwik_sched_redundant_exit(void);

int kwik_sched_init(void);
void kwik_sched_exit(void);

#endif /* _KWIK_SCHED_H */
