// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: the protocol machine of one AF_KWIK byte stream.
 *
 * Send side: the application's bytes sit on sk_write_queue, numbered by a
 * 64-bit data sequence number (DSN), until a session-level ACK covers
 * them; paths pull the next chunk when they can send (kwik_session_tx), so
 * the fastest path naturally carries the most.  If a path is lost while
 * others remain, everything unacknowledged is sent again on them.
 *
 * Receive side: in-order data goes to sk_receive_queue, early data to an
 * rbtree keyed by DSN; duplicates are dropped; the window advertised in
 * ACKs (never shrinking, bounded by sk_rcvbuf) keeps the sender from
 * outrunning the reader.
 *
 * Everything here runs in process context under the session's socket lock.
 */
#include <linux/random.h>
#include <linux/rbtree.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <linux/kwik.h>

#include "frame.h"
#include "netlink.h"
#include "path.h"
#include "pernet.h"
#include "sched.h"
#include "session.h"
#include "sock.h"

/*
 * Largest chunk a sender queues: what the receiver's skb for it holds in
 * a 16 KiB allocation with its skb_shared_info.
 */
#define KWIK_TX_CHUNK		SKB_WITH_OVERHEAD(16384)
#define KWIK_TX_ORDER		2	/* a chunk's page: 16 KiB */
#define KWIK_LINGER		(60 * HZ)	/* orphan waiting for FIN/ACK */

static_assert(KWIK_TX_CHUNK <= KWIK_DATA_MAX);

/* ---- Hash of live sessions, keyed by (ID, role) ---- */

static struct hlist_head *kwik_sess_bucket(struct kwik_net *kn, u64 id)
{
	return &kn->sessions[hash_64(id, KWIK_SESS_HASH_BITS)];
}

void kwik_session_hash(struct kwik_sock *ks)
{
	struct kwik_net *kn = ks->kn;

	spin_lock_bh(&kn->sess_lock);
	sock_hold(&ks->sk);
	hlist_add_head(&ks->hnode, kwik_sess_bucket(kn, ks->id));
	ks->hashed = true;
	atomic_inc(&kn->nr_sessions);
	spin_unlock_bh(&kn->sess_lock);
}

static void kwik_session_unhash(struct kwik_sock *ks)
{
	struct kwik_net *kn = ks->kn;
	bool was;

	spin_lock_bh(&kn->sess_lock);
	was = ks->hashed;
	if (was) {
		hlist_del_init(&ks->hnode);
		ks->hashed = false;
		atomic_dec(&kn->nr_sessions);
	}
	spin_unlock_bh(&kn->sess_lock);
	if (was)
		sock_put(&ks->sk);
}

bool kwik_session_id_used(struct kwik_net *kn, u64 id, u8 role)
{
	struct kwik_sock *ks;
	bool used = false;

	spin_lock_bh(&kn->sess_lock);
	hlist_for_each_entry(ks, kwik_sess_bucket(kn, id), hnode)
		if (ks->id == id && ks->role == role)
			used = true;
	spin_unlock_bh(&kn->sess_lock);
	return used;
}

static struct kwik_sock *kwik_session_lookup(struct kwik_net *kn, u64 id,
					     u8 role)
{
	struct kwik_sock *ks, *found = NULL;

	spin_lock_bh(&kn->sess_lock);
	hlist_for_each_entry(ks, kwik_sess_bucket(kn, id), hnode) {
		if (ks->id == id && ks->role == role) {
			sock_hold(&ks->sk);
			found = ks;
			break;
		}
	}
	spin_unlock_bh(&kn->sess_lock);
	return found;
}

/* A listening socket bound to @service, with a reference. */
static struct sock *kwik_session_listener(struct kwik_net *kn, u32 service)
{
	struct kwik_sock *ks;
	struct sock *sk = NULL;

	spin_lock_bh(&kn->sess_lock);
	hlist_for_each_entry(ks, &kn->bound, hnode) {
		if (ks->service == service &&
		    READ_ONCE(ks->sk.sk_state) == TCP_LISTEN) {
			sk = &ks->sk;
			sock_hold(sk);
			break;
		}
	}
	spin_unlock_bh(&kn->sess_lock);
	return sk;
}

u8 kwik_session_state(const struct kwik_sock *ks)
{
	switch (READ_ONCE(ks->sk.sk_state)) {
	case TCP_LISTEN:
		return KWIK_SS_LISTEN;
	case TCP_SYN_SENT:
		return KWIK_SS_CONNECTING;
	case TCP_ESTABLISHED:
		if (ks->fin_queued && ks->rcv_fin)
			return KWIK_SS_CLOSING;
		if (ks->fin_queued)
			return KWIK_SS_FIN_WAIT;
		if (ks->rcv_fin)
			return KWIK_SS_CLOSE_WAIT;
		return KWIK_SS_ESTABLISHED;
	default:
		return KWIK_SS_CLOSED;
	}
}

/*
 * Called under kn->sess_lock, where the socket lock cannot be taken:
 * the sequence state is read without it, a diagnostic snapshot only.
 */
static void kwik_session_fill_info(struct kwik_sock *ks,
				   struct kwik_session_info *info)
{
	u64 edge, una;
	u32 i, n;

	memset(info, 0, sizeof(*info));
	info->id = ks->id;
	info->service = ks->service;
	info->state = kwik_session_state(ks);
	info->role = ks->role;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *sf = &ks->sf[i];

		if (!READ_ONCE(sf->path))
			continue;
		n = info->npaths++;
		info->path_ids[n] = sf->path_id;
		info->sf_flags[n] =
			(READ_ONCE(sf->up) ? KWIK_SUBFLOW_F_UP : 0) |
			(READ_ONCE(sf->active) ? KWIK_SUBFLOW_F_ACTIVE : 0);
		info->sf_tx_bytes[n] = READ_ONCE(sf->tx_bytes);
	}
	info->tx_bytes = READ_ONCE(ks->bytes_sent);
	info->rx_bytes = READ_ONCE(ks->bytes_received);
	info->error = READ_ONCE(ks->close_err);

	info->write_seq = READ_ONCE(ks->write_seq);
	info->snd_nxt = READ_ONCE(ks->snd_nxt);
	una = READ_ONCE(ks->snd_una);
	info->snd_una = una;
	edge = READ_ONCE(ks->snd_edge);
	info->snd_wnd = (u32)min_t(u64, edge - min(edge, una), U32_MAX);
	info->rcv_nxt = READ_ONCE(ks->rcv_nxt);
	edge = READ_ONCE(ks->rcv_edge_adv);
	info->rcv_wnd = (u32)min_t(u64, edge - min(edge, info->rcv_nxt),
				   U32_MAX);
	info->ofo_bytes = READ_ONCE(ks->ofo_bytes);
	info->rtx = READ_ONCE(ks->rtx_count);
	info->flags =
		(READ_ONCE(ks->ack_pending) ? KWIK_SESSION_F_ACK_PENDING : 0) |
		(READ_ONCE(ks->fin_sent) ? KWIK_SESSION_F_FIN_SENT : 0) |
		(READ_ONCE(ks->fin_acked) ? KWIK_SESSION_F_FIN_ACKED : 0) |
		(READ_ONCE(ks->rcv_fin) ? KWIK_SESSION_F_RCV_FIN : 0);
}

int kwik_session_walk(struct kwik_net *kn, unsigned long *pos,
		      int (*fn)(const struct kwik_session_info *info, void *arg),
		      void *arg)
{
	struct kwik_session_info info;
	unsigned long idx = 0;
	struct kwik_sock *ks;
	int b, ret = 0;

	spin_lock_bh(&kn->sess_lock);
	for (b = 0; b < (1 << KWIK_SESS_HASH_BITS) && !ret; b++) {
		hlist_for_each_entry(ks, &kn->sessions[b], hnode) {
			if (idx++ < *pos)
				continue;
			kwik_session_fill_info(ks, &info);
			ret = fn(&info, arg);
			if (ret) {
				idx--;
				break;
			}
		}
	}
	spin_unlock_bh(&kn->sess_lock);
	*pos = idx;
	return ret;
}

u32 kwik_session_count(struct kwik_net *kn, u32 service)
{
	struct kwik_sock *ks;
	u32 n = 0;
	int b;

	spin_lock_bh(&kn->sess_lock);
	for (b = 0; b < (1 << KWIK_SESS_HASH_BITS); b++)
		hlist_for_each_entry(ks, &kn->sessions[b], hnode)
			if (ks->service == service)
				n++;
	spin_unlock_bh(&kn->sess_lock);
	return n;
}

static void kwik_session_event(struct kwik_sock *ks, u8 cmd)
{
	struct kwik_session_info info;

	kwik_session_fill_info(ks, &info);
	kwik_nl_session_event(sock_net(&ks->sk), &info, cmd);
}

/* ---- Subflows ---- */

static struct kwik_subflow *kwik_session_sf(struct kwik_sock *ks,
					    struct kwik_path *path)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (ks->sf[i].path == path)
			return &ks->sf[i];
	return NULL;
}

int kwik_session_attach(struct kwik_sock *ks, struct kwik_path *path)
{
	struct kwik_subflow *sf = kwik_session_sf(ks, NULL);
	int err;

	sock_owned_by_me(&ks->sk);
	if (!sf)
		return -ENOSPC;
	sf->active = false;
	sf->ctl = KWIK_SF_CTL_NONE;
	sf->snd_nxt = ks->snd_una;
	sf->credit = 0;
	sf->tx_bytes = 0;
	err = kwik_path_attach(path, sf);
	if (!err)
		ks->nsf++;
	return err;
}

static void kwik_session_detach_sf(struct kwik_sock *ks,
				   struct kwik_subflow *sf)
{
	struct kwik_path *path = sf->path;

	kwik_path_detach(path, sf);
	WRITE_ONCE(sf->path, NULL);
	sf->up = false;
	sf->active = false;
	ks->nsf--;
	kwik_path_put(path);
}

static void kwik_session_detach_all(struct kwik_sock *ks)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (ks->sf[i].path)
			kwik_session_detach_sf(ks, &ks->sf[i]);
}

/* Schedule transmission: data may go on every usable path. */
static void kwik_session_kick(struct kwik_sock *ks)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (ks->sf[i].path && ks->sf[i].up)
			kwik_path_kick(ks->sf[i].path, &ks->sf[i]);
}

/* Up, proven, and not stale: an ACK sent here is not held up. */
static bool kwik_session_sf_healthy(struct kwik_subflow *sf)
{
	return sf->path && sf->up && sf->active && !kwik_path_stale(sf->path);
}

/*
 * An ACK given to a stale path waits behind what that path's lower
 * connection cannot deliver, until the path fails; if it announced the
 * window the peer waits for, the session stalls that long.  So a stale
 * path leaves the ACK to a healthy one, if there is one.
 */
static bool kwik_session_ack_elsewhere(struct kwik_sock *ks,
				       struct kwik_subflow *sf)
{
	u32 i;

	if (!kwik_path_stale(sf->path))
		return false;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (&ks->sf[i] != sf && kwik_session_sf_healthy(&ks->sf[i]))
			return true;
	return false;
}

/*
 * Control frames (ACK, RESET) need just one path: the one data last came
 * in on, which is known to work, else a healthy one, else any usable one.
 */
static struct kwik_subflow *kwik_session_ctl_sf(struct kwik_sock *ks)
{
	struct kwik_subflow *sf = ks->ack_sf;
	u32 i;

	if (sf && kwik_session_sf_healthy(sf))
		return sf;
	sf = NULL;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *c = &ks->sf[i];

		if (kwik_session_sf_healthy(c))
			return c;
		if (!sf && c->path && c->up && c->active)
			sf = c;
	}
	return sf;
}

static void kwik_session_kick_one(struct kwik_sock *ks)
{
	struct kwik_subflow *sf = kwik_session_ctl_sf(ks);

	if (sf)
		kwik_path_kick(sf->path, sf);
}

/*
 * release_sock() calls this with the socket still owned, under its
 * spinlock: now kick the paths the owner (sendmsg, recvmsg) asked for.
 * A path's work woken while the owner held the lock would only sleep on
 * it (kwik_session_tx()).
 */
void kwik_session_release_cb(struct sock *sk)
{
	struct kwik_sock *ks = kwik_sk(sk);
	u8 kick = ks->kick_later;

	lockdep_assert_held(&sk->sk_lock.slock);
	if (!kick)
		return;
	ks->kick_later = 0;
	if (kick & KWIK_KICK_ALL)
		kwik_session_kick(ks);
	else
		kwik_session_kick_one(ks);
}

/* ---- Timers ---- */

static void kwik_session_arm(struct kwik_sock *ks, unsigned long delay)
{
	/* A pending timer holds a socket reference. */
	if (!mod_delayed_work(kwik_wq, &ks->timeout_work, delay))
		sock_hold(&ks->sk);
}

/* Arm the timer for the earliest pending deadline. */
static void kwik_session_rearm(struct kwik_sock *ks)
{
	unsigned long d[] = { ks->connect_deadline, ks->nopath_deadline,
			      ks->linger_deadline };
	unsigned long next = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(d); i++)
		if (d[i] && (!next || time_before(d[i], next)))
			next = d[i];
	if (next)
		kwik_session_arm(ks, time_after(next, jiffies) ?
				 next - jiffies : 0);
}

static bool kwik_session_has_active(struct kwik_sock *ks)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (ks->sf[i].path && ks->sf[i].active)
			return true;
	return false;
}

void kwik_session_disarm(struct kwik_sock *ks)
{
	if (cancel_delayed_work(&ks->timeout_work))
		__sock_put(&ks->sk);
}

static u64 kwik_rcv_edge(struct kwik_sock *ks);

/* The ACK owed: what is in, and the window from there (now advertised). */
static void kwik_session_fill_ack(struct kwik_sock *ks, struct kwik_frame *f)
{
	u64 edge = kwik_rcv_edge(ks);

	f->type = KWIK_FT_ACK;
	f->ack.data_ack = ks->rcv_nxt;
	f->ack.window = (u32)min_t(u64, edge - ks->rcv_nxt, U32_MAX);
	ks->rcv_edge_adv = edge;
	ks->ack_pending = false;
}

/* ---- Ending ---- */

/*
 * The session ends with an ACK still owed (typically for the peer's FIN):
 * hand it to a path as a control frame, since the session will be gone
 * before the path's transmit loop would ask it for frames.  It is the
 * peer's last word from us: on a stale path it would be lost, and the
 * peer would linger for it.
 */
static void kwik_session_flush_ack(struct kwik_sock *ks)
{
	struct kwik_frame f = { .session = ks->id };
	struct kwik_subflow *sf;

	if (!ks->ack_pending)
		return;
	sf = kwik_session_ctl_sf(ks);
	if (!sf)
		return;
	kwik_session_fill_ack(ks, &f);
	kwik_path_send_ctl(sf->path, &f);
}

/*
 * The session is over: unhash it, let go of its paths and unsent data,
 * and wake everybody.  @err is the errno the application sees (0: clean).
 */
void kwik_session_done(struct kwik_sock *ks, int err)
{
	struct sock *sk = &ks->sk;
	bool was_open = ks->id && sk->sk_state != TCP_CLOSE &&
			sk->sk_state != TCP_LISTEN;

	sock_owned_by_me(sk);
	if (err) {
		WRITE_ONCE(sk->sk_err, err);
		ks->close_err = err;
	} else {
		kwik_session_flush_ack(ks);
	}
	kwik_session_detach_all(ks);
	kwik_session_unhash(ks);
	ks->connect_deadline = 0;
	ks->nopath_deadline = 0;
	ks->linger_deadline = 0;
	kwik_session_disarm(ks);
	__skb_queue_purge(&sk->sk_write_queue);
	sk->sk_wmem_queued = 0;
	ks->snd_head = NULL;
	ks->rtx_count = 0;
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	/* A failed connect stays SS_CONNECTING: connect() reports it. */
	if (sk->sk_socket && sk->sk_state == TCP_ESTABLISHED)
		sk->sk_socket->state = SS_DISCONNECTING;
	kwik_set_state(sk, TCP_CLOSE);
	if (was_open)
		kwik_session_event(ks, KWIK_EVENT_SESSION_CLOSE);
	if (err)
		sk_error_report(sk);
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
}

/* Orphans (closed by the application) end once both FINs are acked. */
static void kwik_session_maybe_finish(struct kwik_sock *ks)
{
	if (sock_flag(&ks->sk, SOCK_DEAD) && ks->fin_acked && ks->rcv_fin &&
	    ks->sk.sk_state != TCP_CLOSE)
		kwik_session_done(ks, 0);
}

static void kwik_session_timeout(struct work_struct *work)
{
	struct kwik_sock *ks = container_of(to_delayed_work(work),
					    struct kwik_sock, timeout_work);
	struct sock *sk = &ks->sk;

	lock_sock(sk);
	if (sk->sk_state == TCP_SYN_SENT && ks->connect_deadline &&
	    time_after_eq(jiffies, ks->connect_deadline)) {
		kwik_session_done(ks, ETIMEDOUT);
	} else if (ks->nopath_deadline &&
		   time_after_eq(jiffies, ks->nopath_deadline)) {
		/* No path came back in time. */
		kwik_session_done(ks, ETIMEDOUT);
	} else if (ks->linger_deadline &&
		   time_after_eq(jiffies, ks->linger_deadline)) {
		/* Orphan could not finish: give up on the peer. */
		kwik_session_reset(ks, KWIK_RR_TIMEOUT);
		kwik_session_done(ks, ETIMEDOUT);
	} else {
		kwik_session_rearm(ks);
	}
	release_sock(sk);
	sock_put(sk);
}

/* Tell the peer (on one path, best effort) that the session is aborted. */
void kwik_session_reset(struct kwik_sock *ks, u32 reason)
{
	struct kwik_subflow *sf = kwik_session_ctl_sf(ks);

	if (sf)
		kwik_path_send_reset(sf->path, ks->id, reason);
}

/* ---- Windows ---- */

/* Right edge of what we can take: never shrinks, bounded by sk_rcvbuf. */
static u64 kwik_rcv_edge(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u64 edge;

	/* Leave room for skb overhead: payload is ~7/8 of truesize. */
	space = space > 0 ? space - (space >> 3) : 0;
	edge = ks->rcv_nxt + space;
	return max(edge, ks->rcv_edge_adv);
}

/* The slowest path's smoothed RTT (at least 1 ms); *up: paths up. */
static u32 kwik_session_max_srtt(struct kwik_sock *ks, u32 *up)
{
	struct kwik_path_metrics m;
	u32 i, rtt = USEC_PER_MSEC;

	*up = 0;
	/* Slots are not packed: a path removed leaves a hole. */
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		if (!ks->sf[i].up)
			continue;
		kwik_path_get_metrics(ks->sf[i].path, &m);
		rtt = max(rtt, m.srtt_us);
		(*up)++;
	}
	return rtt;
}

/*
 * Receive buffer auto-tuning, as TCP's (tcp_rcv_space_adjust()): once
 * per slowest-path RTT the buffer grows to twice what the application
 * read in that time, so the window covers the paths' bandwidth-delay
 * products (a window-limited flow doubles it each round).  With several
 * paths, to four times: while a chunk crosses a slow path the fast ones
 * keep sending, and what they send waits behind it; the default
 * scheduler gives a slow path data only when the window has room for
 * that (sched_default.c).  Bounded by tcp_rmem[2]; not when the
 * application set SO_RCVBUF.
 */
static void kwik_session_rcvbuf_tune(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;
	u64 now = ktime_get_ns(), elapsed, read, want;
	u32 up;

	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return;
	elapsed = now - ks->rcvq_time_ns;
	if (ks->rcvq_time_ns && elapsed < (u64)ks->rcvq_rtt_us * NSEC_PER_USEC)
		return;
	read = ks->bytes_read - ks->rcvq_read;
	ks->rcvq_rtt_us = kwik_session_max_srtt(ks, &up);
	if (ks->rcvq_time_ns && elapsed) {
		/* Per RTT; payload is about 7/8 of truesize. */
		want = div64_u64(read * ks->rcvq_rtt_us * NSEC_PER_USEC,
				 elapsed) * (up > 1 ? 4 : 2) * 8 / 7;
		want = min_t(u64, want,
			     READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]));
		if (want > READ_ONCE(sk->sk_rcvbuf))
			WRITE_ONCE(sk->sk_rcvbuf, (int)want);
	}
	ks->rcvq_time_ns = now;
	ks->rcvq_read = ks->bytes_read;
}

/*
 * The send queue holds every byte until the peer acknowledges it, so it
 * must hold the peer's whole window: grow sk_sndbuf to twice the window
 * (room for the application's next writes), as TCP grows its own with
 * its congestion window.  Bounded by tcp_wmem[2]; not after SO_SNDBUF.
 */
static void kwik_session_sndbuf_tune(struct kwik_sock *ks, u32 window)
{
	struct sock *sk = &ks->sk;
	u64 want = (u64)window * 2 * 9 / 8;	/* + skb overhead */

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	want = min_t(u64, want,
		     READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_wmem[2]));
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, (int)want);
}

/* After the application read: announce a window that grew enough. */
void kwik_session_rcv_space(struct kwik_sock *ks)
{
	u64 edge, old = ks->rcv_edge_adv;
	u32 thresh;

	if (ks->sk.sk_state != TCP_ESTABLISHED || ks->rcv_fin)
		return;
	kwik_session_rcvbuf_tune(ks);
	edge = kwik_rcv_edge(ks);
	thresh = min_t(u32, READ_ONCE(ks->sk.sk_rcvbuf) / 4, 65536);
	if (edge - old >= thresh || old - ks->rcv_nxt < KWIK_TX_CHUNK) {
		if (edge > old) {
			ks->ack_pending = true;
			ks->kick_later |= KWIK_KICK_ONE;
		}
	}
}

static u32 kwik_session_initial_window(struct kwik_sock *ks)
{
	ks->rcv_edge_adv = kwik_rcv_edge(ks);
	return (u32)min_t(u64, ks->rcv_edge_adv - ks->rcv_nxt, U32_MAX);
}

/* ---- Receive ---- */

static void kwik_ofo_insert(struct kwik_sock *ks, struct sk_buff *skb)
{
	struct rb_node **p = &ks->ofo.rb_node, *parent = NULL;
	u64 dsn = KWIK_SKB_CB(skb)->dsn;
	struct sk_buff *cur;

	while (*p) {
		parent = *p;
		cur = rb_to_skb(parent);
		if (dsn < KWIK_SKB_CB(cur)->dsn) {
			p = &parent->rb_left;
		} else if (dsn > KWIK_SKB_CB(cur)->dsn) {
			p = &parent->rb_right;
		} else {
			/* Same start: keep the longer copy. */
			if (skb->len <= cur->len) {
				kfree_skb(skb);
				return;
			}
			rb_replace_node(&cur->rbnode, &skb->rbnode, &ks->ofo);
			ks->ofo_bytes += skb->len - cur->len;
			kfree_skb(cur);
			return;
		}
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &ks->ofo);
	ks->ofo_bytes += skb->len;
}

/*
 * Append in-order data, skipping what we already have (the read offset
 * starts past it: the payload may be TCP's pages, not ours to pull).
 * Small payloads are copied into a linear tail's spare room, so a stream
 * of tiny frames costs bytes, not an skb each, against the receive
 * buffer.
 */
static void kwik_rcv_queue(struct kwik_sock *ks, struct sk_buff *skb)
{
	struct sk_buff *tail = skb_peek_tail(&ks->sk.sk_receive_queue);
	u64 dsn = KWIK_SKB_CB(skb)->dsn;
	u32 have = dsn < ks->rcv_nxt ? ks->rcv_nxt - dsn : 0;
	u32 len = skb->len - have;

	ks->rcv_nxt += len;
	WRITE_ONCE(ks->bytes_received, ks->bytes_received + len);
	if (tail && skb_tailroom(tail) >= len &&
	    !skb_copy_bits(skb, have, skb_put(tail, len), len)) {
		kfree_skb(skb);
		return;
	}
	KWIK_SKB_CB(skb)->offset = have;
	__skb_queue_tail(&ks->sk.sk_receive_queue, skb);
}

/* Move what the ofo tree now holds in order to the receive queue. */
static void kwik_ofo_drain(struct kwik_sock *ks)
{
	struct rb_node *node;
	struct sk_buff *skb;

	while ((node = rb_first(&ks->ofo))) {
		skb = rb_to_skb(node);
		if (KWIK_SKB_CB(skb)->dsn > ks->rcv_nxt)
			break;
		rb_erase(node, &ks->ofo);
		ks->ofo_bytes -= skb->len;
		if (KWIK_SKB_CB(skb)->dsn + skb->len <= ks->rcv_nxt)
			kfree_skb(skb);		/* wholly duplicate */
		else
			kwik_rcv_queue(ks, skb);
	}
}

static void kwik_ofo_purge(struct kwik_sock *ks)
{
	struct rb_node *node;

	while ((node = rb_first(&ks->ofo))) {
		rb_erase(node, &ks->ofo);
		kfree_skb(rb_to_skb(node));
	}
	ks->ofo_bytes = 0;
}

static void kwik_session_rx_fin(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;

	ks->rcv_fin = true;
	ks->rcv_nxt++;			/* the FIN takes one sequence number */
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	kwik_ofo_purge(ks);
	sk->sk_state_change(sk);
	sk->sk_data_ready(sk);
}

static void kwik_session_rx_data(struct kwik_sock *ks, struct kwik_path *path,
				 const struct kwik_frame *f,
				 struct sk_buff *skb)
{
	struct sock *sk = &ks->sk;
	u64 dsn = f->data.dsn;
	u64 end = dsn + f->data.len;
	bool fin = f->flags & KWIK_DATA_F_FIN;

	ks->ack_pending = true;
	ks->ack_sf = kwik_session_sf(ks, path);
	kwik_session_kick_one(ks);

	if (ks->rcv_fin) {
		/* Retransmission of something we already have: just ack. */
		if (end < ks->rcv_nxt)
			goto dup;
		goto bad;
	}
	/* Beyond the window we advertised: a broken or hostile sender. */
	if (end > ks->rcv_edge_adv + (fin ? 1 : 0) &&
	    end > kwik_rcv_edge(ks))
		goto bad;
	/* Nothing may follow the FIN. */
	if (ks->rcv_fin_early && end > ks->rcv_fin_seq)
		goto bad;
	if (end < ks->rcv_nxt || (end == ks->rcv_nxt && !fin))
		goto dup;			/* resent after a path failed */
	if (sock_flag(sk, SOCK_DEAD) && f->data.len) {
		/* New data nobody will ever read: abort, as TCP would. */
		kfree_skb(skb);
		kwik_session_reset(ks, KWIK_RR_ABORT);
		kwik_session_done(ks, ECONNRESET);
		return;
	}

	if (skb) {
		KWIK_SKB_CB(skb)->dsn = dsn;
		skb_set_owner_r(skb, sk);
		if (dsn <= ks->rcv_nxt) {
			kwik_rcv_queue(ks, skb);
			kwik_ofo_drain(ks);
		} else {
			kwik_ofo_insert(ks, skb);
		}
		skb = NULL;
		sk->sk_data_ready(sk);
	}
	if (fin) {
		/*
		 * On several paths the FIN can overtake data: remember it
		 * and end the stream once everything before it is in.
		 */
		if (ks->rcv_fin_early && ks->rcv_fin_seq != end)
			goto bad_noskb;
		ks->rcv_fin_early = true;
		ks->rcv_fin_seq = end;
	}
	if (ks->rcv_fin_early && ks->rcv_nxt == ks->rcv_fin_seq)
		kwik_session_rx_fin(ks);
	kwik_session_maybe_finish(ks);
	return;
dup:
	kfree_skb(skb);
	return;
bad:
	kfree_skb(skb);
bad_noskb:
	kwik_path_count_drop(path);
	kwik_session_reset(ks, KWIK_RR_PROTOCOL);
	kwik_session_done(ks, EPROTO);
}

static void kwik_session_rx_ack(struct kwik_sock *ks, struct kwik_path *path,
				const struct kwik_frame *f)
{
	struct sock *sk = &ks->sk;
	u64 ack = f->ack.data_ack;
	struct sk_buff *skb;
	bool freed = false;

	if (ack < ks->snd_una)
		return;		/* old ack overtaken by a newer one */
	if (ack > ks->snd_max) {
		/* Acknowledges data never sent: broken or hostile peer. */
		kwik_path_count_drop(path);
		return;
	}

	while ((skb = skb_peek(&sk->sk_write_queue))) {
		if (KWIK_SKB_CB(skb)->dsn + skb->len > ack)
			break;
		if (skb == ks->snd_head)
			ks->snd_head = NULL;
		if (KWIK_SKB_CB(skb)->rtx)
			ks->rtx_count--;
		__skb_unlink(skb, &sk->sk_write_queue);
		sk->sk_wmem_queued -= skb->truesize;
		kfree_skb(skb);
		freed = true;
	}
	ks->bytes_sent += min(ack, ks->write_seq) - min(ks->snd_una, ks->write_seq);
	ks->snd_una = ack;
	/* Reinjection may have rewound snd_nxt below what the peer has. */
	if (ks->snd_nxt < ack) {
		ks->snd_nxt = min(ack, ks->write_seq);
		ks->snd_head = NULL;
		skb_queue_walk(&sk->sk_write_queue, skb) {
			if (KWIK_SKB_CB(skb)->dsn + skb->len > ks->snd_nxt) {
				ks->snd_head = skb;
				break;
			}
		}
	}
	ks->snd_edge = max(ks->snd_edge, ack + f->ack.window);
	kwik_session_sndbuf_tune(ks, f->ack.window);
	/* (fin_sent may have been cleared to resend the FIN: not needed.) */
	if (ks->fin_queued && ack == ks->write_seq + 1)
		ks->fin_acked = true;
	if (freed)
		sk->sk_write_space(sk);
	kwik_session_kick(ks);
	kwik_session_maybe_finish(ks);
}

/* ---- Joining paths ---- */

/*
 * JOIN proof: a MAC of the session ID and a fresh nonce under both
 * session keys, which only the two ends learnt (in OPEN and OPEN_ACK, on
 * the session's first path).  JOIN_ACK answers with the inverted nonce.
 */
static u64 kwik_join_mac(struct kwik_sock *ks, u64 nonce)
{
	siphash_key_t key;

	key.key[0] = ks->role == KWIK_ROLE_CLIENT ? ks->key : ks->peer_key;
	key.key[1] = ks->role == KWIK_ROLE_CLIENT ? ks->peer_key : ks->key;
	return siphash_2u64(nonce, ks->id, &key);
}

static void kwik_session_reinject(struct kwik_sock *ks,
				  struct kwik_subflow *sf);
static bool kwik_session_other_usable(struct kwik_sock *ks,
				      struct kwik_subflow *sf);

/*
 * A subflow is usable in both directions now: no more waiting for paths.
 * A path that turned stale while it had no other to resend on did not
 * resend (kwik_session_path_stale()); now there is one.
 */
static void kwik_session_sf_active(struct kwik_sock *ks,
				   struct kwik_subflow *sf)
{
	u32 i;

	sf->active = true;
	if (ks->nopath_deadline) {
		ks->nopath_deadline = 0;
		kwik_session_disarm(ks);
		kwik_session_rearm(ks);
	}
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (o != sf && o->path && o->active &&
		    kwik_path_stale(o->path) &&
		    kwik_session_other_usable(ks, o))
			kwik_session_reinject(ks, o);
	}
	kwik_session_kick(ks);
}

/*
 * An OPEN for a session this side has already: its OPEN_ACK may have been
 * lost with the path that carried the OPEN, and the client opens again on
 * another path.  It joins that path if the key is the OPEN's and the
 * client has said nothing since (it would have, had it heard the
 * OPEN_ACK); anything else is a duplicate.
 */
static bool kwik_session_may_join(struct kwik_sock *ks, struct kwik_path *path,
				  const struct kwik_frame *f)
{
	if (f->type == KWIK_FT_JOIN)
		return f->join.mac == kwik_join_mac(ks, f->join.nonce);
	return !ks->peer_heard && f->open.key == ks->peer_key &&
	       f->open.service == ks->service && !kwik_session_sf(ks, path);
}

/* JOIN (or a re-OPEN) on a server path: add the path to a live session. */
static void kwik_session_rx_join(struct kwik_net *kn, struct kwik_path *path,
				 const struct kwik_frame *f)
{
	bool join = f->type == KWIK_FT_JOIN;
	struct kwik_subflow *sf;
	struct kwik_sock *ks;
	struct sock *sk;

	ks = kwik_session_lookup(kn, f->session, KWIK_ROLE_SERVER);
	if (!ks)
		goto refuse;
	sk = &ks->sk;
	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED ||
	    !kwik_session_may_join(ks, path, f)) {
		release_sock(sk);
		sock_put(sk);
		goto refuse;
	}
	sf = kwik_session_sf(ks, path);
	if (!sf) {
		if (kwik_session_attach(ks, path)) {
			release_sock(sk);
			sock_put(sk);
			goto refuse;
		}
		sf = kwik_session_sf(ks, path);
	}
	sf->up = true;
	if (join) {
		sf->nonce = f->join.nonce;
		sf->ctl = KWIK_SF_CTL_JOIN_ACK;
		ks->peer_heard = true;	/* the MAC needs the OPEN_ACK's key */
	} else {
		sf->ctl = KWIK_SF_CTL_OPEN_ACK;
	}
	kwik_session_sf_active(ks, sf);
	release_sock(sk);
	sock_put(sk);
	return;
refuse:
	kwik_path_count_drop(path);
	/* Unknown session or bad proof: this path only learns "no". */
	if (join)
		kwik_path_send_reset(path, f->session, KWIK_RR_UNKNOWN);
}

/* OPEN on a server path: create the child session for a listener. */
static void kwik_session_rx_open(struct kwik_net *kn, struct kwik_path *path,
				 const struct kwik_frame *f)
{
	struct sock *lsk, *child;
	struct kwik_subflow *sf;
	struct kwik_sock *cks;
	u32 reason = KWIK_RR_REFUSED;

	if (kwik_session_id_used(kn, f->session, KWIK_ROLE_SERVER)) {
		kwik_session_rx_join(kn, path, f);
		return;
	}
	lsk = kwik_session_listener(kn, f->open.service);
	if (!lsk)
		goto refuse;
	lock_sock(lsk);
	if (lsk->sk_state != TCP_LISTEN || sk_acceptq_is_full(lsk))
		goto unlock;
	child = kwik_sock_alloc_child(lsk);
	if (!child) {
		reason = KWIK_RR_ABORT;
		goto unlock;
	}
	cks = kwik_sk(child);
	cks->id = f->session;
	cks->service = f->open.service;
	cks->role = KWIK_ROLE_SERVER;
	cks->peer_key = f->open.key;
	cks->key = get_random_u64();
	cks->snd_edge = f->open.window;
	lock_sock_nested(child, SINGLE_DEPTH_NESTING);
	if (kwik_session_attach(cks, path)) {
		release_sock(child);
		sk_free(child);
		reason = KWIK_RR_ABORT;
		goto unlock;
	}
	kwik_set_state(child, TCP_ESTABLISHED);
	kwik_session_hash(cks);
	/* The OPEN_ACK goes out as this session's first frame. */
	sf = kwik_session_sf(cks, path);
	sf->up = true;
	sf->active = true;
	sf->ctl = KWIK_SF_CTL_OPEN_ACK;
	kwik_path_kick(path, sf);
	kwik_session_event(cks, KWIK_EVENT_SESSION_OPEN);
	release_sock(child);

	kwik_sock_enqueue_accept(lsk, child);
	release_sock(lsk);
	sock_put(lsk);
	return;
unlock:
	release_sock(lsk);
	sock_put(lsk);
refuse:
	kwik_path_send_reset(path, f->session, reason);
}

/*
 * Frame @f for session @ks, whose socket the caller owns (lock_sock(), or
 * release_sock() running its backlog).  False if @path may not speak for
 * the session: the caller treats the frame as for an unknown session.
 */
static bool kwik_session_rx_locked(struct kwik_sock *ks,
				   struct kwik_path *path, u8 role,
				   const struct kwik_frame *f,
				   struct sk_buff *payload)
{
	struct sock *sk = &ks->sk;
	struct kwik_subflow *sf;

	sock_owned_by_me(sk);
	/* Only paths the session was opened or joined on may speak for it. */
	sf = kwik_session_sf(ks, path);
	if (!sf) {
		kfree_skb(payload);
		return false;
	}
	/*
	 * Until a path proved itself (JOIN_ACK checked, or JOIN checked by
	 * the server) it may only answer the join: nothing it says touches
	 * the session's stream.
	 */
	if (!sf->active && f->type != KWIK_FT_JOIN_ACK &&
	    f->type != KWIK_FT_RESET) {
		kfree_skb(payload);
		kwik_path_count_drop(path);
		return true;
	}
	if (role == KWIK_ROLE_SERVER)
		ks->peer_heard = true;
	switch (f->type) {
	case KWIK_FT_OPEN_ACK:
		kfree_skb(payload);
		if (role != KWIK_ROLE_CLIENT || sk->sk_state != TCP_SYN_SENT ||
		    !ks->open_sent) {
			kwik_path_count_drop(path);
			break;
		}
		ks->connect_deadline = 0;
		kwik_session_disarm(ks);
		ks->snd_edge = f->open.window;
		ks->peer_key = f->open.key;
		/* connect() moves the socket to SS_CONNECTED, as TCP does. */
		kwik_set_state(sk, TCP_ESTABLISHED);
		kwik_session_event(ks, KWIK_EVENT_SESSION_OPEN);
		sk->sk_state_change(sk);
		sf->active = true;
		kwik_session_join_all(ks);
		kwik_session_kick(ks);
		break;
	case KWIK_FT_JOIN_ACK:
		kfree_skb(payload);
		if (role != KWIK_ROLE_CLIENT || sf->active ||
		    f->join.nonce != ~sf->nonce ||
		    f->join.mac != kwik_join_mac(ks, ~sf->nonce)) {
			kwik_path_count_drop(path);
			break;
		}
		kwik_session_sf_active(ks, sf);
		break;
	case KWIK_FT_DATA:
		if (sk->sk_state != TCP_ESTABLISHED) {
			kfree_skb(payload);
			kwik_path_count_drop(path);
			break;
		}
		kwik_session_rx_data(ks, path, f, payload);
		break;
	case KWIK_FT_ACK:
		kfree_skb(payload);
		if (sk->sk_state == TCP_ESTABLISHED)
			kwik_session_rx_ack(ks, path, f);
		break;
	case KWIK_FT_RESET:
		kfree_skb(payload);
		if (!sf->active && sk->sk_state == TCP_ESTABLISHED) {
			/*
			 * A refused JOIN (say, a path to another server, which
			 * does not know the session): drop just this path.
			 */
			kwik_session_detach_sf(ks, sf);
			break;
		}
		/*
		 * Both directions complete (a late RESET answering a resent
		 * duplicate, say): nothing is lost, end cleanly.
		 */
		if (ks->rcv_fin && ks->fin_acked) {
			kwik_session_done(ks, 0);
			break;
		}
		kwik_session_done(ks, -kwik_reset_to_errno(f->reset.reason));
		break;
	default:
		kfree_skb(payload);
		kwik_path_count_drop(path);
	}
	return true;
}

/* A frame for a session we do not know, or not on this path. */
static void kwik_session_rx_unknown(struct kwik_path *path,
				    const struct kwik_frame *f)
{
	/*
	 * A late ACK (a window update crossing the session's end) is
	 * normal: neither counted nor answered.  Never answer a RESET.
	 */
	if (f->type == KWIK_FT_ACK)
		return;
	kwik_path_count_drop(path);
	if (f->type != KWIK_FT_RESET)
		kwik_path_send_reset(path, f->session, KWIK_RR_UNKNOWN);
}

/*
 * The application (or another path's work) owns the session's socket,
 * copying data in or out: rather than sleep on the lock, leave the frame
 * in the socket's backlog for release_sock() to hand to
 * kwik_session_backlog_rcv(), as TCP does from softirq.  Bounded as
 * TCP's is (receive plus send buffer, with what the socket already
 * holds), so a peer sending past its window cannot grow it while the
 * lock is held.  False if the socket is not owned, the backlog is full
 * or no skb carries a frame without payload: then take the lock.
 */
static bool kwik_session_rx_defer(struct kwik_sock *ks,
				  struct kwik_path *path,
				  const struct kwik_frame *f,
				  struct sk_buff *payload)
{
	struct sk_buff *skb = payload;
	struct sock *sk = &ks->sk;
	struct kwik_backlog_cb *cb;
	bool queued = false;

	if (!sock_owned_by_user_nocheck(sk))
		return false;
	if (!skb) {
		skb = alloc_skb(0, GFP_KERNEL);
		if (!skb)
			return false;
	}
	cb = KWIK_BACKLOG_CB(skb);
	cb->f = *f;
	cb->path = path;
	cb->payload = !!payload;
	spin_lock_bh(&sk->sk_lock.slock);
	if (sock_owned_by_user_nocheck(sk) &&
	    !sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
			    READ_ONCE(sk->sk_sndbuf))) {
		kwik_path_hold(path);
		queued = true;
	}
	spin_unlock_bh(&sk->sk_lock.slock);
	if (!queued && skb != payload)
		kfree_skb(skb);
	return queued;
}

/* sk_backlog_rcv: a frame kwik_session_rx_defer() left, the socket owned. */
static int kwik_session_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct kwik_backlog_cb *cb = KWIK_BACKLOG_CB(skb);
	struct kwik_path *path = cb->path;
	struct kwik_frame f = cb->f;

	if (!cb->payload) {
		kfree_skb(skb);
		skb = NULL;
	}
	/* The session was looked up by its role, which never changes. */
	if (!kwik_session_rx_locked(kwik_sk(sk), path, kwik_sk(sk)->role, &f,
				    skb))
		kwik_session_rx_unknown(path, &f);
	kwik_path_put(path);
	return 0;
}

void kwik_session_rx(struct kwik_net *kn, struct kwik_path *path, u8 role,
		     const struct kwik_frame *f, struct sk_buff *payload)
{
	struct kwik_sock *ks;
	bool known;

	if (f->type == KWIK_FT_OPEN || f->type == KWIK_FT_JOIN) {
		kfree_skb(payload);
		if (role != KWIK_ROLE_SERVER) {
			kwik_path_count_drop(path);
			return;
		}
		if (f->type == KWIK_FT_OPEN)
			kwik_session_rx_open(kn, path, f);
		else
			kwik_session_rx_join(kn, path, f);
		return;
	}

	ks = kwik_session_lookup(kn, f->session, role);
	if (!ks) {
		kfree_skb(payload);
		kwik_session_rx_unknown(path, f);
		return;
	}
	if (kwik_session_rx_defer(ks, path, f, payload)) {
		sock_put(&ks->sk);
		return;
	}
	lock_sock(&ks->sk);
	known = kwik_session_rx_locked(ks, path, role, f, payload);
	release_sock(&ks->sk);
	sock_put(&ks->sk);
	if (!known)
		kwik_session_rx_unknown(path, f);
}

/* ---- Transmit ---- */

static void kwik_tx_ctl(struct kwik_txframe *tx, const struct kwik_frame *f)
{
	tx->hdr_len = kwik_frame_encode(f, tx->hdr);
}

/* The skb holding sequence number @dsn (< write_seq), or NULL. */
static struct sk_buff *kwik_snd_skb(struct kwik_sock *ks, u64 dsn)
{
	struct sk_buff *skb = ks->snd_head;

	if (skb && KWIK_SKB_CB(skb)->dsn <= dsn &&
	    dsn < KWIK_SKB_CB(skb)->dsn + skb->len)
		return skb;
	skb_queue_walk(&ks->sk.sk_write_queue, skb)
		if (dsn < KWIK_SKB_CB(skb)->dsn + skb->len)
			return skb;
	return NULL;
}

/* Where @sf would send from: its own point if redundant, else the session's. */
static u64 kwik_sf_next(struct kwik_sock *ks, struct kwik_subflow *sf)
{
	if (ks->sched->redundant)
		return max(sf->snd_nxt, ks->snd_una);
	return ks->snd_nxt;
}

/*
 * The first send queue skb marked for resending (ks->rtx_count > 0) with
 * something left to resend: what of it went out (below snd_max) and is
 * not acknowledged (from snd_una).  A chunk the window cut may be both
 * acknowledged and unsent in part, with nothing in between.
 */
static struct sk_buff *kwik_rtx_skb(struct kwik_sock *ks)
{
	struct sk_buff *skb;

	skb_queue_walk(&ks->sk.sk_write_queue, skb) {
		struct kwik_skb_cb *cb = KWIK_SKB_CB(skb);

		if (!cb->rtx)
			continue;
		if (max(cb->dsn, ks->snd_una) <
		    min(cb->dsn + skb->len, ks->snd_max))
			return skb;
		cb->rtx = false;
		ks->rtx_count--;
	}
	return NULL;
}

/*
 * Hand-offs in a row, with nothing in flight, before the path asking
 * sends whatever the scheduler says.
 */
#define KWIK_HANDOFF_MAX	3

/*
 * The scheduler declined @sf for another path.  Only an ACK kicks every
 * path (kwik_session_rx_ack()); with nothing in flight none will come,
 * and the paths preferred may not have been asked since their estimates
 * last changed: each could decline for the other and the session stall.
 * So hand them the turn.  Estimates move between the runs of their
 * works, so after a few hand-offs the path asking sends anyway.
 */
static void kwik_session_hand_off(struct kwik_sock *ks,
				  struct kwik_subflow *sf)
{
	u32 i;

	sock_owned_by_me(&ks->sk);
	if (ks->snd_max > ks->snd_una)
		return;			/* its ACK kicks every path */
	ks->handoffs++;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *o = &ks->sf[i];

		if (o != sf && kwik_sched_usable(ks, o))
			kwik_path_kick(o->path, o);
	}
}

/*
 * The next DATA frame for @sf: what a stalled or failed path carried
 * first (kwik_session_reinject()), then new data.
 */
static bool kwik_session_build_data(struct kwik_sock *ks,
				    struct kwik_subflow *sf,
				    struct kwik_txframe *tx)
{
	struct kwik_frame f = { .session = ks->id, .type = KWIK_FT_DATA };
	struct sock *sk = &ks->sk;
	struct sk_buff *skb = NULL;
	u64 from, end;
	u32 off, len;

	if (!kwik_sched_usable(ks, sf))
		return false;
	if (ks->rtx_count)
		skb = kwik_rtx_skb(ks);
	if (skb) {
		/* Only what went out before: the rest is still new data. */
		from = max(KWIK_SKB_CB(skb)->dsn, ks->snd_una);
		end = min(KWIK_SKB_CB(skb)->dsn + skb->len, ks->snd_max);
	} else {
		from = kwik_sf_next(ks, sf);
		if (from >= ks->write_seq)
			return false;
		skb = kwik_snd_skb(ks, from);
		if (WARN_ON_ONCE(!skb))
			return false;
		end = KWIK_SKB_CB(skb)->dsn + skb->len;
	}
	if (from >= ks->snd_edge || WARN_ON_ONCE(from >= end))
		return false;
	off = from - KWIK_SKB_CB(skb)->dsn;
	len = min(end, ks->snd_edge) - from;
	/* New data may be cut to what the path takes; resent goes whole. */
	if (!KWIK_SKB_CB(skb)->rtx)
		len = min(len, tx->room);
	if (ks->handoffs < KWIK_HANDOFF_MAX &&
	    !ks->sched->may_send(ks, sf, len)) {
		kwik_path_probe(sf->path);	/* its estimate may be old */
		kwik_session_hand_off(ks, sf);
		return false;
	}
	ks->handoffs = 0;

	f.data.dsn = from;
	f.data.len = len;
	tx->hdr_len = kwik_frame_encode(&f, tx->hdr);
	tx->skb = skb_get(skb);
	tx->off = off;
	tx->len = len;
	tx->payload = len;

	KWIK_SKB_CB(skb)->sent_on |= BIT(sf - ks->sf);
	sf->snd_nxt = from + len;
	sf->tx_bytes += len;
	if (ks->sched->sent)
		ks->sched->sent(ks, sf, len);
	if (KWIK_SKB_CB(skb)->rtx) {
		/* Resent whole: end <= snd_max <= snd_edge. */
		KWIK_SKB_CB(skb)->rtx = false;
		ks->rtx_count--;
	} else if (from + len > ks->snd_nxt) {
		ks->snd_nxt = from + len;
		ks->snd_head = off + len < skb->len ? skb :
			skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL :
			skb_queue_next(&sk->sk_write_queue, skb);
	}
	ks->snd_max = max(ks->snd_max, ks->snd_nxt);
	return true;
}

static bool kwik_session_build(struct kwik_sock *ks, struct kwik_subflow *sf,
			       struct kwik_txframe *tx)
{
	struct sock *sk = &ks->sk;
	struct kwik_frame f = { .session = ks->id };

	if (sk->sk_state == TCP_SYN_SENT) {
		if (ks->open_sent || !kwik_sched_may_open(ks, sf))
			return false;
		f.type = KWIK_FT_OPEN;
		f.open.service = ks->service;
		f.open.window = kwik_session_initial_window(ks);
		f.open.key = ks->key;
		ks->open_sent = true;
		/* The peer learns the session on this path. */
		sf->active = true;
		kwik_tx_ctl(tx, &f);
		return true;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return false;
	switch (sf->ctl) {
	case KWIK_SF_CTL_OPEN_ACK:
		f.type = KWIK_FT_OPEN_ACK;
		f.open.window = kwik_session_initial_window(ks);
		f.open.key = ks->key;
		break;
	case KWIK_SF_CTL_JOIN:
		sf->nonce = get_random_u64();
		f.type = KWIK_FT_JOIN;
		f.join.nonce = sf->nonce;
		f.join.mac = kwik_join_mac(ks, sf->nonce);
		break;
	case KWIK_SF_CTL_JOIN_ACK:
		f.type = KWIK_FT_JOIN_ACK;
		f.join.nonce = ~sf->nonce;
		f.join.mac = kwik_join_mac(ks, ~sf->nonce);
		break;
	}
	if (sf->ctl != KWIK_SF_CTL_NONE) {
		sf->ctl = KWIK_SF_CTL_NONE;
		kwik_tx_ctl(tx, &f);
		return true;
	}
	if (!sf->active)
		return false;
	if (ks->ack_pending) {
		if (!kwik_session_ack_elsewhere(ks, sf)) {
			kwik_session_fill_ack(ks, &f);
			kwik_tx_ctl(tx, &f);
			return true;
		}
		kwik_session_kick_one(ks);
	}
	if (kwik_session_build_data(ks, sf, tx))
		return true;
	if (ks->fin_queued && !ks->fin_sent && !ks->fin_acked &&
	    ks->snd_nxt == ks->write_seq && kwik_sched_usable(ks, sf)) {
		f.type = KWIK_FT_DATA;
		f.flags = KWIK_DATA_F_FIN;
		f.data.dsn = ks->write_seq;
		f.data.len = 0;
		ks->fin_sent = true;
		ks->snd_max = ks->write_seq + 1;
		kwik_tx_ctl(tx, &f);
		return true;
	}
	return false;
}

/*
 * Might @sf have another frame?  (The scheduler may still decline.)
 * Chunks to resend count even when the window allows nothing new: a
 * sender held by the window when a path failed would else resend one
 * chunk per returning ACK.
 */
static bool kwik_session_has_tx(struct kwik_sock *ks, struct kwik_subflow *sf)
{
	if (sf->ctl != KWIK_SF_CTL_NONE)
		return true;
	if (!sf->active)
		return false;
	if ((ks->ack_pending && !kwik_session_ack_elsewhere(ks, sf)) ||
	    ks->rtx_count)
		return true;
	if (kwik_sf_next(ks, sf) < min(ks->write_seq, ks->snd_edge))
		return true;
	return ks->fin_queued && !ks->fin_sent && !ks->fin_acked &&
	       ks->snd_nxt == ks->write_seq;
}

bool kwik_session_tx(struct kwik_sock *ks, struct kwik_path *path,
		     struct kwik_txframe *tx)
{
	struct sock *sk = &ks->sk;
	struct kwik_subflow *sf;
	bool built = false;

	lock_sock(sk);
	sf = kwik_session_sf(ks, path);
	if (sf && sf->up) {
		built = kwik_session_build(ks, sf, tx);
		/* More to send: queue behind the other sessions (fairness). */
		if (built && kwik_session_has_tx(ks, sf))
			kwik_path_kick(path, sf);
	}
	release_sock(sk);
	return built;
}

/* ---- Path events ---- */

/* After OPEN_ACK: join every other path that is up already. */
void kwik_session_join_all(struct kwik_sock *ks)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		struct kwik_subflow *sf = &ks->sf[i];

		if (sf->path && sf->up && !sf->active) {
			sf->ctl = KWIK_SF_CTL_JOIN;
			kwik_path_kick(sf->path, sf);
		}
	}
}

void kwik_session_path_up(struct kwik_sock *ks, struct kwik_path *path)
{
	struct sock *sk = &ks->sk;
	struct kwik_subflow *sf;

	lock_sock(sk);
	sf = kwik_session_sf(ks, path);
	if (sf && !sf->up) {
		sf->up = true;
		if (sk->sk_state == TCP_ESTABLISHED && !sf->active &&
		    ks->role == KWIK_ROLE_CLIENT)
			sf->ctl = KWIK_SF_CTL_JOIN;
		kwik_path_kick(path, sf);
	}
	release_sock(sk);
}

/*
 * A client path came up: every live session of its service that does not
 * use it yet joins it (paths added or restored while sessions run).
 */
void kwik_session_join_path(struct kwik_net *kn, struct kwik_path *path)
{
	u32 service = kwik_path_cfg(path)->service;
	struct kwik_sock **list, *ks;
	int n = 0, max, b, i;

	max = atomic_read(&kn->nr_sessions) + 16;
	list = kvmalloc_array(max, sizeof(*list), GFP_KERNEL);
	if (!list)
		return;
	spin_lock_bh(&kn->sess_lock);
	for (b = 0; b < (1 << KWIK_SESS_HASH_BITS) && n < max; b++) {
		hlist_for_each_entry(ks, &kn->sessions[b], hnode) {
			if (n == max)
				break;
			if (ks->role != KWIK_ROLE_CLIENT || ks->service != service)
				continue;
			sock_hold(&ks->sk);
			list[n++] = ks;
		}
	}
	spin_unlock_bh(&kn->sess_lock);

	for (i = 0; i < n; i++) {
		struct sock *sk = &list[i]->sk;
		struct kwik_subflow *sf;

		ks = list[i];
		lock_sock(sk);
		if ((sk->sk_state == TCP_ESTABLISHED ||
		     sk->sk_state == TCP_SYN_SENT) &&
		    !kwik_session_sf(ks, path) && !kwik_session_attach(ks, path)) {
			sf = kwik_session_sf(ks, path);
			sf->up = true;
			if (sk->sk_state == TCP_ESTABLISHED)
				sf->ctl = KWIK_SF_CTL_JOIN;
			kwik_path_kick(path, sf);
		}
		release_sock(sk);
		sock_put(sk);
	}
	kvfree(list);
}

/*
 * Is there a path besides @sf's to resend on?  Resending on the stale
 * path itself only queues a second copy behind the first, which its
 * lower connection still holds and will deliver (or fail, and then
 * kwik_session_path_down() resends).
 */
static bool kwik_session_other_usable(struct kwik_sock *ks,
				      struct kwik_subflow *sf)
{
	u32 i;

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (&ks->sf[i] != sf && kwik_sched_usable(ks, &ks->sf[i]))
			return true;
	return false;
}

void kwik_session_path_stale(struct kwik_sock *ks, struct kwik_path *path,
			     bool stale)
{
	struct sock *sk = &ks->sk;
	struct kwik_subflow *sf;

	lock_sock(sk);
	sf = kwik_session_sf(ks, path);
	if (sf && sf->active && sk->sk_state == TCP_ESTABLISHED) {
		if (!stale)
			kwik_path_kick(path, sf);
		else if (kwik_session_other_usable(ks, sf))
			kwik_session_reinject(ks, sf);
	}
	release_sock(sk);
}

/*
 * @sf stalled or failed: send again, on whichever paths the scheduler
 * picks and before new data, every unacknowledged skb it carried.  What
 * only other paths carried stays where it is.  Under redundant
 * scheduling every path sends every chunk from its own point anyway:
 * rewinding them would only send their flights twice, a delivery gap
 * as long as a flight takes.
 */
static void kwik_session_reinject(struct kwik_sock *ks,
				  struct kwik_subflow *sf)
{
	u8 bit = BIT(sf - ks->sf);
	struct sk_buff *skb;

	skb_queue_walk(&ks->sk.sk_write_queue, skb) {
		struct kwik_skb_cb *cb = KWIK_SKB_CB(skb);

		if (cb->dsn >= ks->snd_max)
			break;
		if (!(cb->sent_on & bit))
			continue;
		cb->sent_on &= ~bit;
		if (!cb->rtx && !ks->sched->redundant) {
			cb->rtx = true;
			ks->rtx_count++;
		}
	}
	if (ks->fin_sent && !ks->fin_acked)
		ks->fin_sent = false;
	ks->ack_pending = true;
	kwik_session_kick(ks);
}

void kwik_session_path_down(struct kwik_sock *ks, struct kwik_path *path,
			    int err)
{
	struct sock *sk = &ks->sk;
	struct kwik_subflow *sf;
	bool was_active;

	lock_sock(sk);
	sf = kwik_session_sf(ks, path);
	if (!sf)
		goto out;
	/* Already unlinked from the path's lists by the path. */
	was_active = sf->active;
	WRITE_ONCE(sf->path, NULL);
	sf->up = false;
	sf->active = false;
	ks->nsf--;
	kwik_path_put(path);

	if (sk->sk_state == TCP_SYN_SENT) {
		if (!ks->nsf) {
			kwik_session_done(ks, err ? : ECONNRESET);
		} else {
			/* An OPEN lost with its path goes again. */
			if (was_active)
				ks->open_sent = false;
			/* A backup may now be the one to open. */
			kwik_session_kick(ks);
		}
		goto out;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		goto out;
	if (!kwik_session_has_active(ks) && !ks->nopath_deadline) {
		/* Wait for a path to come back (reconnect, join). */
		ks->nopath_deadline = jiffies +
			msecs_to_jiffies(ks->nopath_timeout_ms);
		kwik_session_rearm(ks);
	}
	if (was_active)
		kwik_session_reinject(ks, sf);
out:
	release_sock(sk);
}

/* ---- Connect (called by af_kwik.c with the socket locked) ---- */

int kwik_session_start(struct kwik_sock *ks, struct kwik_path **paths, int n,
		       const char *sched)
{
	struct sock *sk = &ks->sk;
	int i, attached = 0;

	sock_owned_by_me(sk);
	if (!ks->sched_set && sched && sched[0]) {
		const struct kwik_sched_ops *ops = kwik_sched_get(sched);

		if (ops) {
			kwik_sched_put(ks->sched);
			ks->sched = ops;
		}
	}
	do {
		ks->id = get_random_u64();
	} while (!ks->id || kwik_session_id_used(ks->kn, ks->id,
						 KWIK_ROLE_CLIENT));
	ks->key = get_random_u64();
	ks->role = KWIK_ROLE_CLIENT;
	/* Every path that is up or coming up; the first up one opens. */
	for (i = 0; i < n; i++)
		if (!kwik_session_attach(ks, paths[i]))
			attached++;
	if (!attached) {
		for (i = 0; i < n; i++)
			if (kwik_path_last_error(paths[i]))
				return -kwik_path_last_error(paths[i]);
		return -ENETUNREACH;
	}
	kwik_set_state(sk, TCP_SYN_SENT);
	kwik_session_hash(ks);
	ks->connect_deadline = jiffies +
		msecs_to_jiffies(ks->connect_timeout_ms);
	kwik_session_rearm(ks);
	kwik_session_kick(ks);
	return 0;
}

/* close() of a connected session: FIN, then linger as an orphan. */
void kwik_session_close(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;

	sock_owned_by_me(sk);
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		if (ks->open_sent)
			kwik_session_reset(ks, KWIK_RR_ABORT);
		kwik_session_done(ks, 0);
		break;
	case TCP_ESTABLISHED:
		/* Unread data, or SO_LINGER with a zero time: abort, as TCP. */
		if (!skb_queue_empty(&sk->sk_receive_queue) || ks->ofo_bytes ||
		    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			kwik_session_reset(ks, KWIK_RR_ABORT);
			kwik_session_done(ks, 0);
			break;
		}
		kwik_session_shutdown_send(ks);
		if (ks->fin_acked && ks->rcv_fin) {
			kwik_session_done(ks, 0);
		} else {
			ks->linger_deadline = jiffies + KWIK_LINGER;
			kwik_session_rearm(ks);
		}
		break;
	}
}

void kwik_session_shutdown_send(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;

	if (ks->fin_queued || sk->sk_state != TCP_ESTABLISHED)
		return;
	ks->fin_queued = true;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	kwik_session_kick(ks);
}

/*
 * A send queue chunk keeps its bytes in one page fragment, so that a path
 * can pass them to TCP or kTLS by reference (kwik_path_tx_push()).  Bytes
 * once queued never change; a page the lower socket still holds when the
 * chunk is acknowledged and freed lives on through its own reference.
 * Order KWIK_TX_ORDER, or one page when memory is fragmented.
 */
static struct sk_buff *kwik_chunk_alloc(struct sock *sk)
{
	gfp_t gfp = sk->sk_allocation;
	unsigned int order = KWIK_TX_ORDER;
	struct sk_buff *skb;
	struct page *page;

	skb = alloc_skb(0, gfp);
	if (!skb)
		return NULL;
	page = alloc_pages(gfp | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY,
			   order);
	if (!page) {
		order = 0;
		page = alloc_page(gfp);
	}
	if (!page) {
		kfree_skb(skb);
		return NULL;
	}
	skb_fill_page_desc(skb, 0, page, 0, 0);
	skb->truesize += PAGE_SIZE << order;
	return skb;
}

/* Bytes a chunk can still take. */
static u32 kwik_chunk_room(const struct sk_buff *skb)
{
	const skb_frag_t *frag = &skb_shinfo(skb)->frags[0];

	return min_t(u32, KWIK_TX_CHUNK - skb->len,
		     page_size(skb_frag_page(frag)) - skb_frag_off(frag) -
		     skb_frag_size(frag));
}

/* sendmsg(): queue @len bytes of @msg; returns bytes queued or -errno. */
int kwik_session_queue(struct kwik_sock *ks, struct msghdr *msg, size_t len,
		       long *timeo)
{
	struct sock *sk = &ks->sk;
	size_t copied = 0;
	int err = 0;

	while (copied < len) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		size_t n, c;

		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		/* Append to the tail while none of it has been sent. */
		if (!skb || KWIK_SKB_CB(skb)->dsn < ks->snd_nxt ||
		    !kwik_chunk_room(skb)) {
			if (!sk_stream_memory_free(sk)) {
				/* Waiting releases the lock: the kick then. */
				ks->kick_later |= KWIK_KICK_ALL;
				err = sk_stream_wait_memory(sk, timeo);
				if (err)
					break;
				continue;
			}
			skb = kwik_chunk_alloc(sk);
			if (!skb) {
				err = -ENOBUFS;
				break;
			}
			KWIK_SKB_CB(skb)->dsn = ks->write_seq;
			KWIK_SKB_CB(skb)->sent_on = 0;
			KWIK_SKB_CB(skb)->rtx = false;
			__skb_queue_tail(&sk->sk_write_queue, skb);
			sk->sk_wmem_queued += skb->truesize;
			if (!ks->snd_head)
				ks->snd_head = skb;
		}
		n = min_t(size_t, len - copied, kwik_chunk_room(skb));
		c = copy_from_iter(kwik_chunk_data(skb) + skb->len, n,
				   &msg->msg_iter);
		skb_frag_size_add(&skb_shinfo(skb)->frags[0], c);
		skb->len += c;
		skb->data_len += c;
		ks->write_seq += c;
		copied += c;
		if (c != n) {
			err = -EFAULT;
			break;
		}
	}
	if (copied)
		ks->kick_later |= KWIK_KICK_ALL;
	return copied ? copied : err;
}

void kwik_session_init_sock(struct kwik_sock *ks)
{
	u32 i;

	ks->sched = kwik_sched_get_default();

	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++) {
		ks->sf[i].ks = ks;
		INIT_LIST_HEAD(&ks->sf[i].node);
		INIT_LIST_HEAD(&ks->sf[i].tx_node);
	}
	ks->ofo = RB_ROOT;
	INIT_LIST_HEAD(&ks->accept_q);
	INIT_LIST_HEAD(&ks->accept_node);
	INIT_HLIST_NODE(&ks->hnode);
	INIT_DELAYED_WORK(&ks->timeout_work, kwik_session_timeout);
	ks->sk.sk_backlog_rcv = kwik_session_backlog_rcv;
}

void kwik_session_destruct(struct kwik_sock *ks)
{
	kwik_ofo_purge(ks);
	kwik_sched_put(ks->sched);
}
