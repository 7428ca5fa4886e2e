/* SPDX-License-Identifier: GPL-2.0 */
/* Sessions: one application byte stream, one AF_KWIK socket. */
#ifndef _KWIK_SESSION_H
#define _KWIK_SESSION_H

#include <linux/types.h>

struct kwik_net;

#define KWIK_SESSION_MAX_PATHS	8

/*
 * Snapshot of a session for netlink dumps and events, taken without the
 * socket lock (as /proc/net/tcp): each field is a value it had, not
 * necessarily at the same instant as the others.
 */
struct kwik_session_info {
	u64 id;
	u32 service;
	u8 state;			/* enum kwik_session_state */
	u8 role;			/* enum kwik_session_role */
	u32 npaths;
	u32 path_ids[KWIK_SESSION_MAX_PATHS];
	u32 sf_flags[KWIK_SESSION_MAX_PATHS];	/* KWIK_SUBFLOW_F_* */
	u64 sf_tx_bytes[KWIK_SESSION_MAX_PATHS];
	u64 tx_bytes, rx_bytes;
	u32 error;
	u64 write_seq, snd_nxt, snd_una, rcv_nxt;
	u32 snd_wnd, rcv_wnd, ofo_bytes, rtx;
	u32 flags;			/* KWIK_SESSION_F_* */
};

/*
 * Walk the namespace's sessions, skipping the first *pos; @fn returns
 * non-zero to stop (message full), and *pos then names the session to
 * resume from.  Returns @fn's non-zero value or 0 at the end.
 */
int kwik_session_walk(struct kwik_net *kn, unsigned long *pos,
		      int (*fn)(const struct kwik_session_info *info, void *arg),
		      void *arg);

u32 kwik_session_count(struct kwik_net *kn, u32 service);

struct kwik_frame;
struct kwik_path;
struct kwik_sock;
struct kwik_txframe;
struct sk_buff;
struct sock;

/* struct proto's release_cb for AF_KWIK sockets. */
void kwik_session_release_cb(struct sock *sk);

/* ---- Called by path.c from the path's work item ---- */

/* A session-level frame arrived on @path (consumes @payload). */
void kwik_session_rx(struct kwik_net *kn, struct kwik_path *path, u8 role,
		     const struct kwik_frame *f, struct sk_buff *payload);
/* Build @ks's next frame for @path into @tx; false if none. */
bool kwik_session_tx(struct kwik_sock *ks, struct kwik_path *path,
		     struct kwik_txframe *tx);
void kwik_session_path_up(struct kwik_sock *ks, struct kwik_path *path);
/* @path turned stale (or recovered): move data off it (or back). */
void kwik_session_path_stale(struct kwik_sock *ks, struct kwik_path *path,
			     bool stale);
/* Client path @path is up: live sessions of its service join it. */
void kwik_session_join_path(struct kwik_net *kn, struct kwik_path *path);
/* @path is gone for @ks (already unlinked from the path's lists). */
void kwik_session_path_down(struct kwik_sock *ks, struct kwik_path *path,
			    int err);

int kwik_session_init(void);
void kwik_session_exit(void);

#endif /* _KWIK_SESSION_H */
