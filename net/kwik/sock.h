/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct kwik_sock: the AF_KWIK socket, which is the session.  Shared by
 * af_kwik.c (socket calls) and session.c (protocol machine).
 */
#ifndef _KWIK_SOCK_H
#define _KWIK_SOCK_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "frame.h"
#include "session.h"

struct kwik_path;
struct kwik_net;

/*
 * A session's attachment to one path.  Embedded in the session; linked on
 * the path's lists under the path's lock while @path is set.
 */
struct kwik_subflow {
	struct kwik_sock *ks;		/* owner, constant */
	struct kwik_path *path;		/* holds a path reference */
	struct list_head node;		/* path->subflows */
	struct list_head tx_node;	/* path->tx_ready */
	u32 path_id;
	bool up;			/* the path is up */
	bool active;			/* the peer knows the session here */
	u8 ctl;				/* enum kwik_sf_ctl: owed frame */
	u64 nonce;			/* JOIN nonce, for the JOIN_ACK check */
	u64 snd_nxt;			/* redundant scheduling: send point */
	s64 credit;			/* weighted round-robin share */
	u64 tx_bytes;			/* payload sent on this subflow */
};

enum kwik_sf_ctl {
	KWIK_SF_CTL_NONE,
	KWIK_SF_CTL_OPEN_ACK,		/* server: accept the session */
	KWIK_SF_CTL_JOIN,		/* client: join it on this path */
	KWIK_SF_CTL_JOIN_ACK,		/* server: accept the join */
};

/* Per-skb state of queued stream data, in skb->cb. */
struct kwik_skb_cb {
	u64 dsn;			/* sequence number of skb->data[0] */
	u32 offset;			/* rx: bytes already read by the app */
	u8 sent_on;			/* tx: subflows (BIT(slot)) it went on */
	bool rtx;			/* tx: to be sent again (rtx_count) */
};

#define KWIK_SKB_CB(skb) ((struct kwik_skb_cb *)&((skb)->cb[0]))
static_assert(KWIK_SESSION_MAX_PATHS <= 8);	/* kwik_skb_cb.sent_on */

/* kwik_sock.kick_later: paths to kick once the lock is released. */
#define KWIK_KICK_ALL	0x01		/* every path: data to send */
#define KWIK_KICK_ONE	0x02		/* one path: an ACK to send */

/* A frame waiting in the session socket's backlog (session.c). */
struct kwik_backlog_cb {
	struct kwik_frame f;
	struct kwik_path *path;		/* holds a reference */
	bool payload;			/* the skb is the DATA payload */
};

#define KWIK_BACKLOG_CB(skb) ((struct kwik_backlog_cb *)&((skb)->cb[0]))
static_assert(sizeof(struct kwik_backlog_cb) <= sizeof_field(struct sk_buff, cb));

/* A send queue chunk's bytes are one page fragment (kwik_chunk_alloc()). */
static inline u8 *kwik_chunk_data(const struct sk_buff *skb)
{
	const skb_frag_t *frag = &skb_shinfo(skb)->frags[0];

	return (u8 *)page_address(skb_frag_page(frag)) + skb_frag_off(frag);
}

struct kwik_sock {
	struct sock sk;			/* must be first */

	struct kwik_net *kn;
	u64 id;				/* session ID, 0 until connect/accept */
	u32 service;
	u8 role;			/* enum kwik_session_role */
	bool hashed;			/* on kn->sessions */
	bool bound;			/* on kn->bound (listening service) */
	bool open_sent;
	bool peer_heard;		/* server: the client spoke after OPEN */
	bool ack_pending;		/* an ACK (or window update) is owed */
	u8 kick_later;			/* KWIK_KICK_*, at release_sock() */
	bool fin_sent;
	bool fin_acked;
	bool fin_queued;		/* SHUT_WR: FIN follows write_seq */
	bool rcv_fin;			/* peer's FIN received, in order */
	bool rcv_fin_early;		/* FIN seen, data before it missing */
	u64 rcv_fin_seq;		/* its sequence number */
	bool reset_pending;		/* send RESET then drop */
	u32 reset_reason;
	u64 key;			/* our per-session secret */
	u64 peer_key;			/* the peer's: both prove a JOIN */
	const struct kwik_sched_ops *sched;
	bool sched_set;			/* chosen by setsockopt */
	struct hlist_node hnode;	/* kn->sessions or kn->bound */

	/* Send side, all under the socket lock. */
	u64 write_seq;			/* next DSN handed out to the app */
	u64 snd_nxt;			/* next DSN not yet transmitted */
	u64 snd_una;			/* oldest unacknowledged DSN */
	u64 snd_edge;			/* peer's window right edge */
	u64 snd_max;			/* highest DSN ever sent (+ FIN) */
	struct sk_buff *snd_head;	/* next skb to transmit, or NULL */

	/* Receive side. */
	u64 rcv_nxt;			/* next in-order DSN expected */
	u32 rcv_wnd_adv;		/* window in the last ACK sent */
	u64 rcv_edge_adv;		/* right edge in the last ACK sent */
	struct rb_root ofo;		/* out-of-order skbs by DSN */
	u32 ofo_bytes;
	/* Receive buffer auto-tuning (kwik_session_rcv_space()). */
	u64 rcvq_time_ns;		/* start of the measurement */
	u64 rcvq_read;			/* bytes_read at that start */
	u32 rcvq_rtt_us;		/* its length: slowest path's RTT */

	/* Paths; at most KWIK_SESSION_MAX_PATHS. */
	struct kwik_subflow sf[KWIK_SESSION_MAX_PATHS];
	u32 nsf;			/* attached subflows */
	u32 rtx_count;			/* send queue skbs with ->rtx set */
	u8 handoffs;			/* hand-offs in a row (socket lock) */
	struct kwik_subflow *ack_sf;	/* where data last came in */

	/* Listening sockets: accepted, not yet accept()ed children. */
	struct list_head accept_q;
	struct list_head accept_node;	/* on the parent's accept_q */
	struct sock *parent;

	/* Deadlines (jiffies, 0: none) served by one delayed work. */
	struct delayed_work timeout_work;
	unsigned long connect_deadline;
	unsigned long nopath_deadline;	/* all paths lost: wait this long */
	unsigned long linger_deadline;	/* orphan finishing its stream */
	u32 connect_timeout_ms;
	u32 nopath_timeout_ms;
	int close_err;			/* errno reported in close events */

	u64 bytes_sent;			/* acknowledged payload */
	u64 bytes_received;		/* in-order payload received */
	u64 bytes_read;			/* of which the application read */
};

static inline struct kwik_sock *kwik_sk(const struct sock *sk)
{
	return (struct kwik_sock *)sk;
}

static inline void kwik_set_state(struct sock *sk, int state)
{
	WRITE_ONCE(sk->sk_state, state);
}

/* ---- af_kwik.c ---- */
struct sock *kwik_sock_alloc_child(struct sock *parent);
/* Queue an accepted child on its listener (both locked). */
void kwik_sock_enqueue_accept(struct sock *parent, struct sock *child);

/* ---- session.c, all with the socket locked unless noted ---- */
void kwik_session_init_sock(struct kwik_sock *ks);
/* enum kwik_session_state of @ks (lockless snapshot). */
u8 kwik_session_state(const struct kwik_sock *ks);
void kwik_session_destruct(struct kwik_sock *ks);
int kwik_session_start(struct kwik_sock *ks, struct kwik_path **paths, int n,
		       const char *sched);
int kwik_session_attach(struct kwik_sock *ks, struct kwik_path *path);
int kwik_session_queue(struct kwik_sock *ks, struct msghdr *msg, size_t len,
		       long *timeo);
void kwik_session_rcv_space(struct kwik_sock *ks);
void kwik_session_shutdown_send(struct kwik_sock *ks);
void kwik_session_close(struct kwik_sock *ks);
void kwik_session_done(struct kwik_sock *ks, int err);
void kwik_session_reset(struct kwik_sock *ks, u32 reason);
void kwik_session_disarm(struct kwik_sock *ks);
void kwik_session_hash(struct kwik_sock *ks);
void kwik_session_join_all(struct kwik_sock *ks);
bool kwik_session_id_used(struct kwik_net *kn, u64 id, u8 role);

#endif /* _KWIK_SOCK_H */
