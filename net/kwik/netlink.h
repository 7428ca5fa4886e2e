/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink family "kwik": configuration and events. */
#ifndef _KWIK_NETLINK_H
#define _KWIK_NETLINK_H

#include <linux/types.h>

struct kwik_path;
struct kwik_session_info;
struct net;

int kwik_nl_init(void);
void kwik_nl_exit(void);

/*
 * Multicast an event to KWIK_GENL_MCGRP_EVENTS in @net.  Process context;
 * callers may hold path or socket locks but not kn->lock.
 */
void kwik_nl_path_event(struct net *net, struct kwik_path *path, u8 cmd);
void kwik_nl_session_event(struct net *net,
			   const struct kwik_session_info *info, u8 cmd);

#endif /* _KWIK_NETLINK_H */
