/* SPDX-License-Identifier: GPL-2.0 */
/* Paths: long-lived lower connections to one Kwik server. */
#ifndef _KWIK_PATH_H
#define _KWIK_PATH_H

#include <linux/socket.h>
#include <linux/types.h>
#include <linux/kwik.h>

struct kwik_net;
struct kwik_path;
struct netlink_ext_ack;

/* What userspace configured; immutable once the path exists. */
struct kwik_path_cfg {
	u32 id;				/* 0 on add: kernel picks */
	u32 service;
	struct sockaddr_storage remote;
	struct sockaddr_storage local;	/* ss_family 0: unspecified */
	u8 transport;			/* enum kwik_transport */
	u8 security;			/* enum kwik_security */
	u8 priority;			/* enum kwik_priority */
	u32 weight;
	u32 flags;			/* KWIK_PATH_F_* */
	u32 key_serial;
	char peer_name[KWIK_PEER_NAME_MAX];
};

/* A consistent snapshot of a path's state and counters. */
struct kwik_path_info {
	u8 state;			/* enum kwik_path_state */
	u32 error;			/* last errno, positive; 0 if none */
	u32 sessions;
	u64 tx_bytes, rx_bytes, tx_frames, rx_frames, rx_dropped;
	u32 connects, failures;
	u32 srtt_us, rttvar_us;
};

/*
 * Configuration entry points, all called with kn->lock held.
 * kwik_path_add() validates what only the core knows (service exists,
 * transport and security available, duplicates), fills cfg->id, starts
 * connecting and links the path on kn->paths.
 */
int kwik_path_add(struct kwik_net *kn, struct kwik_path_cfg *cfg,
		  struct netlink_ext_ack *extack);
int kwik_path_del(struct kwik_net *kn, u32 id, struct netlink_ext_ack *extack);
struct kwik_path *kwik_path_find(struct kwik_net *kn, u32 id);

/* Iteration over kn->paths, kn->lock held: NULL starts, NULL ends. */
struct kwik_path *kwik_path_next(struct kwik_net *kn, struct kwik_path *prev);

const struct kwik_path_cfg *kwik_path_cfg(const struct kwik_path *path);
/* Callable without kn->lock, from process context. */
void kwik_path_get_info(struct kwik_path *path, struct kwik_path_info *info);

#endif /* _KWIK_PATH_H */
