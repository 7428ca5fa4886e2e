/* SPDX-License-Identifier: GPL-2.0 */
/* Listeners: kernel sockets accepting paths from Kwik clients. */
#ifndef _KWIK_LISTENER_H
#define _KWIK_LISTENER_H

#include <linux/socket.h>
#include <linux/types.h>
#include <linux/kwik.h>

struct kwik_net;
struct kwik_listener;
struct netlink_ext_ack;

struct kwik_listener_cfg {
	u32 id;				/* 0 on add: kernel picks */
	struct sockaddr_storage local;
	u8 transport;
	u8 security;
	u32 flags;
	u32 key_serial;
	char cc[KWIK_CC_NAME_MAX];	/* for accepted paths; "": netns' */
};

struct kwik_listener_info {
	u8 state;			/* enum kwik_listener_state */
	u32 error;
	u32 paths;			/* live accepted paths */
};

/* All called with kn->lock held. */
int kwik_listener_add(struct kwik_net *kn, struct kwik_listener_cfg *cfg,
		      struct netlink_ext_ack *extack);
int kwik_listener_del(struct kwik_net *kn, u32 id,
		      struct netlink_ext_ack *extack);
struct kwik_listener *kwik_listener_find(struct kwik_net *kn, u32 id);
struct kwik_listener *kwik_listener_next(struct kwik_net *kn,
					 struct kwik_listener *prev);
const struct kwik_listener_cfg *kwik_listener_cfg(const struct kwik_listener *l);
void kwik_listener_get_info(struct kwik_listener *l,
			    struct kwik_listener_info *info);

/* Server paths hang off the listener that accepted them. */
struct list_head;
void kwik_listener_hold(struct kwik_listener *l);
void kwik_listener_put(struct kwik_listener *l);
/* false if the listener is going away (path not linked). */
bool kwik_listener_link_path(struct kwik_listener *l, struct list_head *node);
/* true if @node was linked (the caller then owns the list's reference). */
bool kwik_listener_unlink_path(struct kwik_listener *l, struct list_head *node);
void kwik_listener_flush(struct kwik_net *kn);

#endif /* _KWIK_LISTENER_H */
