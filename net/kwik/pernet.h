/* SPDX-License-Identifier: GPL-2.0 */
/* Per network namespace state of Kwik. */
#ifndef _KWIK_PERNET_H
#define _KWIK_PERNET_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#define KWIK_SESS_HASH_BITS	8

struct kwik_net {
	struct net *net;

	/*
	 * @lock serialises configuration: the path, listener and service
	 * lists, ID allocation and @genid.  Taken by netlink handlers (may
	 * sleep).  Nothing on the data path takes it.
	 */
	struct mutex lock;
	struct list_head paths;		/* struct kwik_path.node */
	struct list_head listeners;	/* struct kwik_listener.node */
	struct list_head services;	/* struct kwik_service.node */
	u32 genid;			/* bumped on every change */
	u32 next_path_id;
	u32 next_listener_id;

	/*
	 * @sess_lock protects the session hash and the bound-listener list;
	 * lookups use RCU plus a socket reference.
	 */
	spinlock_t sess_lock;
	struct hlist_head sessions[1 << KWIK_SESS_HASH_BITS];
	struct hlist_head bound;	/* AF_KWIK listening sockets */
	atomic_t nr_sessions;

	bool dying;			/* namespace being torn down */
};

struct kwik_net *kwik_pernet(const struct net *net);

/* Kwik's workqueue: path I/O, session timers, deferred frees. */
extern struct workqueue_struct *kwik_wq;

int kwik_pernet_init(void);
void kwik_pernet_exit(void);

#endif /* _KWIK_PERNET_H */
