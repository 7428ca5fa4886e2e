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
	u32 hs_timeout_ms;		/* TLS handshake bound; 0: default */
	char cc[KWIK_CC_NAME_MAX];	/* congestion control; "": netns' */
	char peer_name[KWIK_PEER_NAME_MAX];
};

/* Measurements of a path's lower connection. */
struct kwik_path_metrics {
	u32 srtt_us, rttvar_us;
	u32 cwnd_bytes;
	u32 unacked_bytes;		/* queued in the lower socket */
	u32 inflight_bytes;		/* sent, not yet acknowledged */
	u32 retrans_ppm;
	u32 ack_age_us;			/* since the lower socket's last ACK */
	bool idle_start;		/* ... none since data left it idle:
					 * ack_age_us counts from then
					 */
	u32 oldest_us;			/* oldest unacked segment out; 0: n/a */
	bool oldest_alone;		/* ... its ACK may be a delayed one */
	u32 ack_delay_us;		/* the peer may hold any ACK this long */
	u64 delivery_rate;		/* bytes per second, latest sample */
	bool rate_app_limited;		/* that sample was application-limited */
	u32 max_rate;			/* best recent full sample (path.c) */
	u32 idle_rtt_us;		/* idle: a PING's round trip (path.c) */
};

/* A consistent snapshot of a path's state and counters. */
struct kwik_path_info {
	u8 state;			/* enum kwik_path_state */
	u32 error;			/* last errno, positive; 0 if none */
	u32 sessions;
	u64 tx_bytes, rx_bytes, tx_frames, rx_frames, rx_dropped;
	u32 connects, failures;
	u32 stalls;			/* times judged stale */
	u64 rx_copied;			/* payload bytes received by copy */
	struct kwik_path_metrics m;
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
void kwik_path_probe(struct kwik_path *path);

/*
 * Up to @max paths carrying @service, each with a reference the caller
 * drops with kwik_path_put(), and the service's scheduler name ("" if
 * none) in @sched (KWIK_SCHED_NAME_MAX bytes).  Takes kn->lock.
 */
int kwik_paths_for_service(struct kwik_net *kn, u32 service,
			   struct kwik_path **paths, int max, char *sched);

/* Iteration over kn->paths, kn->lock held: NULL starts, NULL ends. */
struct kwik_path *kwik_path_next(struct kwik_net *kn, struct kwik_path *prev);

const struct kwik_path_cfg *kwik_path_cfg(const struct kwik_path *path);
/* Callable without kn->lock, from process context. */
void kwik_path_get_info(struct kwik_path *path, struct kwik_path_info *info);

/* ---- Data plane, used by session.c ---- */

struct kwik_subflow;
struct sk_buff;

/* One frame being transmitted: header + fixed part, then a payload slice. */
struct kwik_txframe {
	u8 hdr[32];
	u32 hdr_len;
	struct sk_buff *skb;		/* payload (reference held) or NULL */
	u32 off, len;			/* payload: chunk bytes off..off + len */
	u32 sent;			/* bytes of hdr + payload already sent */
	u32 payload;			/* session bytes this frame carries */
	u32 room;			/* new data the path takes now, at most */
};

/* Last measurements, refreshed by the path's work (any context). */
void kwik_path_get_metrics(struct kwik_path *path, struct kwik_path_metrics *m);
void kwik_path_hold(struct kwik_path *path);
void kwik_path_put(struct kwik_path *path);
u32 kwik_path_id(const struct kwik_path *path);
u8 kwik_path_state(const struct kwik_path *path);
/*
 * A stale path has data outstanding and no acknowledgment for much longer
 * than its RTT: probably dead, not yet declared so.  Schedulers avoid it.
 */
bool kwik_path_stale(const struct kwik_path *path);
int kwik_path_last_error(const struct kwik_path *path);

/*
 * Link a session's subflow to @path (taking a path reference).  Fails with
 * -ENETDOWN when the path is being torn down or is down.
 */
int kwik_path_attach(struct kwik_path *path, struct kwik_subflow *sf);
/* Unlink; the caller then drops its reference with kwik_path_put(). */
void kwik_path_detach(struct kwik_path *path, struct kwik_subflow *sf);
/* @sf has frames to send: schedule it on the path's transmit loop. */
void kwik_path_kick(struct kwik_path *path, struct kwik_subflow *sf);
/* Queue a RESET for @session, which has no subflow here (any more). */
void kwik_path_send_reset(struct kwik_path *path, u64 session, u32 reason);
/* Count a frame dropped as invalid (bad sequence, unknown session...). */
void kwik_path_count_drop(struct kwik_path *path);
/* Queue a session-less copy of control frame @f (best effort). */
struct kwik_frame;
void kwik_path_send_ctl(struct kwik_path *path, const struct kwik_frame *f);
/* Queue a pre-encoded control frame (consumes @skb). */
void kwik_path_queue_ctl(struct kwik_path *path, struct sk_buff *skb);

/*
 * Server paths, created by listener.c for each accepted connection.  The
 * path takes @sock, which is released on error too.
 */
struct kwik_listener;
struct socket;
int kwik_path_accept(struct kwik_net *kn, struct kwik_listener *l,
		     struct socket *sock);
struct list_head;
/* The server path linked on a listener through @node. */
struct kwik_path *kwik_path_from_lnode(struct list_head *node);
/* Namespace teardown: kill every client path. */
void kwik_path_flush(struct kwik_net *kn);
/* Kill a server path (listener going away); drops the caller's ref. */
void kwik_path_kill(struct kwik_path *path, int err);

int kwik_path_init(void);
void kwik_path_exit(void);

#endif /* _KWIK_PATH_H */
