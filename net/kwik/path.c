// SPDX-License-Identifier: GPL-2.0
/*
 * Paths: one long-lived lower connection between two Kwik kernels, shared
 * by every session that uses it.
 *
 * All work on the lower socket (connect, receive, transmit, teardown)
 * runs in one work item per path, so the socket never has two users; the
 * socket callbacks (softirq) only record an event and queue that work.
 * Sessions talk to a path through its lock-protected lists: they attach
 * subflows and "kick" them onto the transmit list; the path's work then
 * takes each session's socket lock to build frames.
 *
 * Lock order: kn->lock (config) -> session socket lock -> path->lock.
 */
#include <linux/file.h>
#include <linux/kref.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <linux/win_minmax.h>
#include <net/sock.h>
#include <linux/kwik.h>

#include "compat.h"
#include "frame.h"
#include "handshake.h"
#include "listener.h"
#include "netlink.h"
#include "path.h"
#include "pernet.h"
#include "service.h"
#include "sock.h"
#include "transport.h"

#define KWIK_CONNECT_TIMEOUT	(5 * HZ)	/* lower connect + hello */
#define KWIK_BACKOFF_MIN	(HZ / 5)
#define KWIK_BACKOFF_MAX	(10 * HZ)
/*
 * Liveness: a path that has heard nothing for KWIK_PATH_IDLE sends a PING;
 * one silent for KWIK_PATH_DEAD is failed, so a dead link (which TCP
 * would retry for many minutes) moves its sessions on in bounded time.
 */
#define KWIK_PATH_IDLE		HZ
/* Stale (kwik_path_wait_us()): at least this long, above a delayed ACK. */
#define KWIK_STALE_MIN_US	50000
/* Stale (kwik_path_overdue_us()): margin over srtt. */
#define KWIK_STALE_SLACK_US	20000
#define KWIK_RATE_WIN		(2 * HZ)	/* delivery rate max filter */
#define KWIK_PATH_DEAD		(5 * HZ)
#define KWIK_RX_BUDGET		64		/* frames per work run */
#define KWIK_TX_BUDGET		64
#define KWIK_RX_PIN_MAX		4	/* see kwik_path_rx_settle() */
/* Idle-path probes (kwik_path_probe()): at most one per ... */
#define KWIK_PROBE_GAP_US	50000
/* ... and one awaiting its PONG is given up on after (it may never come) */
#define KWIK_PROBE_LOST_US	1000000
/* Unacknowledged bytes of control frames only: the path is idle. */
#define KWIK_IDLE_BYTES		512

enum {
	KWIK_EV_RX,		/* lower socket readable or state changed */
	KWIK_EV_TX,		/* something to send, or socket writable */
	KWIK_EV_TIMER,		/* connect/hello deadline or reconnect due */
	KWIK_EV_KICK,		/* an event came since the run began */
	KWIK_EV_RUN,		/* queued or running: sees KICK before it ends */
};

struct kwik_path {
	struct kref ref;
	struct rcu_head rcu;
	struct kwik_net *kn;
	struct list_head node;		/* kn->paths (client) or l->paths */
	struct kwik_path_cfg cfg;
	u8 role;			/* KWIK_ROLE_CLIENT: we connect */
	struct kwik_listener *listener;	/* server paths: holds a ref */
	const struct kwik_transport_ops *ops;

	struct work_struct work;
	struct delayed_work timer;
	struct work_struct free_work;
	unsigned long events;		/* KWIK_EV_* bits */
	bool dead;			/* being killed: no new work */
	bool stale;			/* see kwik_path_stale() */

	/* Owned by the work item (and by kill after cancelling it). */
	struct socket *sock;
	struct minmax rate_max;		/* delivery rate samples taken */
	unsigned long deadline;		/* connect/hello must finish by */
	unsigned long last_rx;		/* jiffies of the last frame heard */
	unsigned long busy_since;	/* data outstanding since (jiffies) */
	u64 ping_sent_us;		/* the last PING's stamp: when it went */
	bool ping_wait;			/* ... its PONG not in yet */
	bool ping_idle;			/* ... it went on an idle path */
	u32 idle_rtt_us;		/* its round trip while idle; 0: none */
	u32 unsent;			/* the unsent gate's size, 0: none */
	unsigned long backoff;
	struct kwik_txframe tx;		/* frame in transmission */
	bool tx_busy;
	bool hs_needed;			/* TLS handshake to start */
	bool secured;			/* may carry Kwik frames */
	struct kwik_frame rxf;		/* frame being received */
	u8 rxbuf[KWIK_HDR_LEN + KWIK_FIXED_MAX];
	u32 rx_have;			/* bytes of rxbuf filled */
	u32 rx_need;			/* bytes of rxbuf wanted */
	struct sk_buff *rx_skb;		/* DATA payload being read */
	bool rx_hdr_done;
	bool rx_copy;			/* rx_skb is linear: copy into it */

	/* @lock protects what sessions touch: lists, state, counters. */
	spinlock_t lock;
	u8 state;			/* enum kwik_path_state */
	int error;			/* last errno, positive */
	struct list_head subflows;	/* struct kwik_subflow.node */
	struct list_head tx_ready;	/* struct kwik_subflow.tx_node */
	struct sk_buff_head ctlq;	/* encoded control frames */
	struct list_head ended;		/* struct kwik_path_ended.node */
	u32 nsessions;
	u64 tx_bytes, rx_bytes, tx_frames, rx_frames, rx_dropped;
	u32 connects, failures;
	u32 stalls;			/* times judged stale */
	u64 rx_copied;			/* of rx_bytes, copied on receipt */
	struct kwik_path_metrics m;	/* refreshed by the work */
	/*
	 * TLS handshake in flight (NULL: none); its done callback reports
	 * through hs_result/hs_status only if hs still names its request.
	 */
	struct kwik_hs *hs;
	bool hs_result;
	int hs_status;

	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
};

/*
 * A session that let go of the path, for the transport's session_end
 * (from the path's work: the transport may use the socket there).
 */
struct kwik_path_ended {
	struct list_head node;
	u64 session;
};

static atomic_t kwik_spath_id = ATOMIC_INIT(0);

static void kwik_path_hs_cancel(struct kwik_path *path);
static void kwik_path_end_sessions(struct kwik_path *path);

/*
 * Raise @ev for the work.  A run already queued or under way will see it
 * (KICK), so only an idle work is queued: on an unbound workqueue each
 * queue_work() wakes an idle worker, even just to hand the item back to
 * the one running it.
 */
static void kwik_path_queue(struct kwik_path *path, int ev)
{
	set_bit(ev, &path->events);
	set_bit(KWIK_EV_KICK, &path->events);
	/* Pairs with the barrier in kwik_path_work_done(). */
	smp_mb__after_atomic();
	if (!test_and_set_bit(KWIK_EV_RUN, &path->events) &&
	    !READ_ONCE(path->dead))
		queue_work(kwik_wq, &path->work);
}

/* ---- Lower socket callbacks (softirq): record and defer ---- */

static struct kwik_path *kwik_path_from_sk(struct sock *sk)
{
	return rcu_dereference_sk_user_data(sk);
}

/*
 * Each callback also calls the one it replaced: while tlshd does a TLS
 * handshake on the socket it sleeps in recv/send and must be woken.
 */
static void kwik_path_data_ready(struct sock *sk)
{
	struct kwik_path *path;

	rcu_read_lock();
	path = kwik_path_from_sk(sk);
	if (path) {
		kwik_path_queue(path, KWIK_EV_RX);
		path->saved_data_ready(sk);
	}
	rcu_read_unlock();
}

static void kwik_path_write_space(struct sock *sk)
{
	struct kwik_path *path;

	rcu_read_lock();
	path = kwik_path_from_sk(sk);
	if (path) {
		if (sk_stream_is_writeable(sk))
			kwik_path_queue(path, KWIK_EV_TX);
		path->saved_write_space(sk);
	}
	rcu_read_unlock();
}

static void kwik_path_state_change(struct sock *sk)
{
	struct kwik_path *path;

	rcu_read_lock();
	path = kwik_path_from_sk(sk);
	if (path) {
		kwik_path_queue(path, KWIK_EV_RX);
		path->saved_state_change(sk);
	}
	rcu_read_unlock();
}

static void kwik_path_install(struct kwik_path *path, struct socket *sock)
{
	struct sock *sk = sock->sk;

	/* A new connection: nothing known of its rate, nothing outstanding. */
	minmax_reset(&path->rate_max, (u32)jiffies, 0);
	path->busy_since = jiffies;
	path->ping_wait = false;
	path->idle_rtt_us = 0;
	path->unsent = 0;
	write_lock_bh(&sk->sk_callback_lock);
	path->saved_data_ready = sk->sk_data_ready;
	path->saved_write_space = sk->sk_write_space;
	path->saved_state_change = sk->sk_state_change;
	rcu_assign_sk_user_data(sk, path);
	sk->sk_data_ready = kwik_path_data_ready;
	sk->sk_write_space = kwik_path_write_space;
	sk->sk_state_change = kwik_path_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	path->sock = sock;
}

/*
 * Detach and close the lower socket.  After the callback swap no callback
 * can reach @path; a work run queued before it finds path->sock NULL.
 */
static void kwik_path_close_sock(struct kwik_path *path)
{
	struct socket *sock = path->sock;
	struct sock *sk;

	if (!sock)
		return;
	sk = sock->sk;
	kwik_path_hs_cancel(path);
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	/* Under kTLS, ours sit inside its context: unhook them there. */
	if (sk->sk_data_ready == kwik_path_data_ready)
		sk->sk_data_ready = path->saved_data_ready;
	else
		kwik_hs_unhook(sk, kwik_path_data_ready,
			       path->saved_data_ready, false);
	if (sk->sk_write_space == kwik_path_write_space)
		sk->sk_write_space = path->saved_write_space;
	else
		kwik_hs_unhook(sk, kwik_path_write_space,
			       path->saved_write_space, true);
	sk->sk_state_change = path->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	path->sock = NULL;
	path->secured = false;
	path->hs_needed = false;
	kwik_path_end_sessions(path);

	if (path->ops->release)
		path->ops->release(sock);
	kernel_sock_shutdown(sock, SHUT_RDWR);
	/*
	 * A socket handed to tlshd has a file (tlshd or the handshake layer
	 * may still hold it).  Its release takes the socket inode's lock,
	 * which must not nest in kn->lock: let fput() defer it, and
	 * kwik_hs_flush() finish it before the namespace goes.
	 */
	if (sock->file)
		fput(sock->file);
	else
		sock_release(sock);

	if (path->tx_busy) {
		kfree_skb(path->tx.skb);
		path->tx.skb = NULL;
		path->tx_busy = false;
	}
	kfree_skb(path->rx_skb);
	path->rx_skb = NULL;
	path->rx_have = 0;
	path->rx_need = KWIK_HDR_LEN;
	path->rx_hdr_done = false;
}

/* ---- Reference counting ---- */

static void kwik_path_free_work(struct work_struct *work)
{
	struct kwik_path *path = container_of(work, struct kwik_path,
					      free_work);

	/* A callback may have queued the work before the socket closed. */
	cancel_delayed_work_sync(&path->timer);
	cancel_work_sync(&path->work);
	WARN_ON_ONCE(path->sock);
	skb_queue_purge(&path->ctlq);
	kwik_path_end_sessions(path);
	kwik_transport_put(path->ops);
	if (path->listener)
		kwik_listener_put(path->listener);
	/* A socket callback may still be looking at it (RCU). */
	kfree_rcu(path, rcu);
}

static void kwik_path_release(struct kref *ref)
{
	struct kwik_path *path = container_of(ref, struct kwik_path, ref);

	/* The last reference may go from the path's own work item. */
	queue_work(kwik_wq, &path->free_work);
}

void kwik_path_hold(struct kwik_path *path)
{
	kref_get(&path->ref);
}

void kwik_path_put(struct kwik_path *path)
{
	kref_put(&path->ref, kwik_path_release);
}

u32 kwik_path_id(const struct kwik_path *path)
{
	return path->cfg.id;
}

u8 kwik_path_state(const struct kwik_path *path)
{
	return READ_ONCE(path->state);
}

bool kwik_path_stale(const struct kwik_path *path)
{
	return READ_ONCE(path->stale);
}

int kwik_path_last_error(const struct kwik_path *path)
{
	return READ_ONCE(path->error);
}

const struct kwik_path_cfg *kwik_path_cfg(const struct kwik_path *path)
{
	return &path->cfg;
}

void kwik_path_get_info(struct kwik_path *path, struct kwik_path_info *info)
{
	spin_lock_bh(&path->lock);
	info->state = path->state;
	info->error = path->error;
	info->sessions = path->nsessions;
	info->tx_bytes = path->tx_bytes;
	info->rx_bytes = path->rx_bytes;
	info->tx_frames = path->tx_frames;
	info->rx_frames = path->rx_frames;
	info->rx_dropped = path->rx_dropped;
	info->connects = path->connects;
	info->failures = path->failures;
	info->stalls = path->stalls;
	info->rx_copied = path->rx_copied;
	info->m = path->m;
	spin_unlock_bh(&path->lock);
}

/* ---- Session side ---- */

int kwik_path_attach(struct kwik_path *path, struct kwik_subflow *sf)
{
	int err = 0;

	spin_lock_bh(&path->lock);
	if (path->dead || path->state == KWIK_PATH_S_DOWN ||
	    path->state == KWIK_PATH_S_CLOSED) {
		err = -ENETDOWN;
	} else {
		kref_get(&path->ref);
		sf->path = path;
		sf->path_id = path->cfg.id;
		sf->up = path->state == KWIK_PATH_S_UP;
		list_add_tail(&sf->node, &path->subflows);
		path->nsessions++;
	}
	spin_unlock_bh(&path->lock);
	return err;
}

void kwik_path_detach(struct kwik_path *path, struct kwik_subflow *sf)
{
	struct kwik_path_ended *e = NULL;
	bool queued = false;

	/* Best effort: without it the transport keeps its state longer. */
	if (path->ops->session_end)
		e = kmalloc(sizeof(*e), GFP_KERNEL);
	spin_lock_bh(&path->lock);
	if (!list_empty(&sf->node)) {
		list_del_init(&sf->node);
		path->nsessions--;
		if (e && !path->dead && path->state == KWIK_PATH_S_UP) {
			e->session = sf->ks->id;
			list_add_tail(&e->node, &path->ended);
			e = NULL;
			queued = true;
		}
	}
	list_del_init(&sf->tx_node);
	spin_unlock_bh(&path->lock);
	if (queued)
		kwik_path_queue(path, KWIK_EV_TX);
	kfree(e);
}

void kwik_path_kick(struct kwik_path *path, struct kwik_subflow *sf)
{
	spin_lock_bh(&path->lock);
	if (!list_empty(&sf->node) && list_empty(&sf->tx_node))
		list_add_tail(&sf->tx_node, &path->tx_ready);
	spin_unlock_bh(&path->lock);
	kwik_path_queue(path, KWIK_EV_TX);
}

void kwik_path_queue_ctl(struct kwik_path *path, struct sk_buff *skb)
{
	spin_lock_bh(&path->lock);
	if (path->dead || path->state != KWIK_PATH_S_UP) {
		spin_unlock_bh(&path->lock);
		kfree_skb(skb);
		return;
	}
	__skb_queue_tail(&path->ctlq, skb);
	spin_unlock_bh(&path->lock);
	kwik_path_queue(path, KWIK_EV_TX);
}

static struct sk_buff *kwik_path_ctl_frame(const struct kwik_frame *f)
{
	struct sk_buff *skb = alloc_skb(KWIK_HDR_LEN + KWIK_FIXED_MAX,
					GFP_KERNEL);

	if (skb)
		skb_put(skb, kwik_frame_encode(f, skb->data));
	return skb;
}

void kwik_path_send_ctl(struct kwik_path *path, const struct kwik_frame *f)
{
	struct sk_buff *skb = kwik_path_ctl_frame(f);

	if (skb)
		kwik_path_queue_ctl(path, skb);
}

void kwik_path_send_reset(struct kwik_path *path, u64 session, u32 reason)
{
	struct kwik_frame f = {
		.type = KWIK_FT_RESET,
		.session = session,
		.reset.reason = reason,
	};

	kwik_path_send_ctl(path, &f);
}

/* What kwik_path_tell() tells the sessions. */
enum kwik_path_news {
	KWIK_NEWS_UP,
	KWIK_NEWS_DOWN,		/* also unlinks them from the path */
	KWIK_NEWS_STALE,
	KWIK_NEWS_FRESH,	/* no longer stale */
};

/*
 * Tell every attached session @news.  The session's socket lock cannot be
 * taken under path->lock, so pin one session at a time.
 */
static void kwik_path_tell(struct kwik_path *path, enum kwik_path_news news,
			   int err)
{
	struct kwik_subflow *sf;
	struct list_head *pos;
	LIST_HEAD(done);

	for (;;) {
		spin_lock_bh(&path->lock);
		pos = path->subflows.next;
		if (pos == &path->subflows) {
			list_splice(&done, &path->subflows);
			spin_unlock_bh(&path->lock);
			break;
		}
		sf = list_entry(pos, struct kwik_subflow, node);
		if (news == KWIK_NEWS_DOWN) {
			list_del_init(&sf->node);
			list_del_init(&sf->tx_node);
			path->nsessions--;
		} else {
			list_move_tail(&sf->node, &done);
		}
		sock_hold(&sf->ks->sk);
		spin_unlock_bh(&path->lock);

		switch (news) {
		case KWIK_NEWS_UP:
			kwik_session_path_up(sf->ks, path);
			break;
		case KWIK_NEWS_DOWN:
			kwik_session_path_down(sf->ks, path, err);
			break;
		default:
			kwik_session_path_stale(sf->ks, path,
						news == KWIK_NEWS_STALE);
		}
		sock_put(&sf->ks->sk);
	}
}

/*
 * Data went out on an idle connection and no ACK came since: the
 * transport says so (TCP), or no ACK came since the path turned busy.
 */
static bool kwik_path_idle_start(const struct kwik_path *path, u32 busy_us)
{
	return path->m.idle_start || busy_us <= path->m.ack_age_us;
}

/*
 * How long the lower connection has waited for an ACK (returned), and how
 * long it may (*limit) before the path is stale.  While ACKs are coming
 * (data was outstanding at the last one), the next is due within srtt +
 * 4 x rttvar, TCP's RTO without its floor, plus the peer's ACK delay,
 * which QUIC's RTT samples leave out (RFC 9002).  Data sent on an idle
 * connection is judged from when it went out, not from the last ACK
 * (an idle connection hears none for a while), and may wait one srtt
 * and a delayed ACK more: its first ACK is a round trip away, and the
 * receiver may hold it (or the PING before it) for its delayed-ACK time.
 */
static u32 kwik_path_wait_us(const struct kwik_path *path, u32 *limit)
{
	u32 busy_us = jiffies_to_usecs(jiffies - path->busy_since);
	u32 lim = path->m.srtt_us + 4 * path->m.rttvar_us +
		  path->m.ack_delay_us;

	if (kwik_path_idle_start(path, busy_us))
		lim += path->m.srtt_us + KWIK_STALE_MIN_US;
	*limit = max_t(u32, lim, KWIK_STALE_MIN_US);
	/* The transport knows when the data left: more exact than busy_since. */
	if (path->m.idle_start)
		return path->m.ack_age_us;
	return min(busy_us, path->m.ack_age_us);
}

/*
 * Sooner on a busy connection whose transport knows when its oldest
 * unacknowledged segment went out (TCP): in how long (0: now, U32_MAX:
 * never) that segment is overdue, srtt and a margin after it went out,
 * while ACKs have stopped for half an srtt.  The last clause keeps a
 * lossy path fresh: SACKs for the segments after a lost one still come,
 * and the lost one is resent well within it.  A blackholed path is stale
 * about the margin after its last ACK, where kwik_path_wait_us() waits a
 * whole limit.  Not for a segment whose ACK the peer may delay (it went
 * alone), nor for data sent on an idle connection (its first ACK may
 * queue behind the peer's own data): kwik_path_wait_us() judges those.
 * A peer that holds every ACK a while (QUIC's max_ack_delay) gets that
 * on top of both.
 */
static u32 kwik_path_overdue_us(const struct kwik_path *path)
{
	const struct kwik_path_metrics *m = &path->m;
	u32 seg, ack;

	if (!m->oldest_us || m->oldest_alone ||
	    kwik_path_idle_start(path, jiffies_to_usecs(jiffies -
							path->busy_since)))
		return U32_MAX;
	seg = m->srtt_us + max(4 * m->rttvar_us, KWIK_STALE_SLACK_US) +
	      m->ack_delay_us;
	ack = max(m->srtt_us / 2, KWIK_STALE_SLACK_US) + m->ack_delay_us;
	return max(seg > m->oldest_us ? seg - m->oldest_us : 0,
		   ack > m->ack_age_us ? ack - m->ack_age_us : 0);
}

/*
 * When the work must look at the path again: with data outstanding, as it
 * would turn stale (then every half limit while it is), else after
 * KWIK_PATH_IDLE for the keepalive.
 */
static unsigned long kwik_path_next_check(const struct kwik_path *path)
{
	u32 limit, wait = kwik_path_wait_us(path, &limit);
	u32 due = kwik_path_overdue_us(path);

	if (!path->m.unacked_bytes)
		return KWIK_PATH_IDLE;
	if (wait < limit && due)
		return min_t(unsigned long, KWIK_PATH_IDLE,
			     usecs_to_jiffies(min(limit - wait, due)) + 1);
	return min_t(unsigned long, KWIK_PATH_IDLE,
		     usecs_to_jiffies(limit) / 2 + 1);
}

/*
 * From the work, after measuring: mark the path stale while its lower
 * connection has data outstanding and hears no ACK, and tell the
 * sessions, which then resend on other paths what they gave this one.
 */
static void kwik_path_check_stale(struct kwik_path *path)
{
	u32 limit, wait = kwik_path_wait_us(path, &limit);
	bool stale = path->m.unacked_bytes &&
		     (wait >= limit || !kwik_path_overdue_us(path));

	if (stale == path->stale)
		return;
	WRITE_ONCE(path->stale, stale);
	if (stale) {
		spin_lock_bh(&path->lock);
		path->stalls++;
		spin_unlock_bh(&path->lock);
	}
	kwik_path_tell(path, stale ? KWIK_NEWS_STALE : KWIK_NEWS_FRESH, 0);
}

/* ---- State machine ---- */

static void kwik_path_set_state(struct kwik_path *path, u8 state, int err)
{
	spin_lock_bh(&path->lock);
	path->state = state;
	if (err)
		path->error = err;
	if (state == KWIK_PATH_S_UP) {
		path->connects++;
		path->error = 0;
	}
	if (state == KWIK_PATH_S_DOWN)
		path->failures++;
	spin_unlock_bh(&path->lock);
}

static void kwik_path_send_hello(struct kwik_path *path)
{
	struct kwik_frame f = {
		.type = KWIK_FT_HELLO,
		.hello.version = KWIK_WIRE_VERSION,
		.hello.role = path->role,
		.hello.host = get_random_u64(),
	};
	struct sk_buff *skb = kwik_path_ctl_frame(&f);

	if (!skb)
		return;
	/* Before UP, only the path itself may queue frames. */
	spin_lock_bh(&path->lock);
	__skb_queue_tail(&path->ctlq, skb);
	spin_unlock_bh(&path->lock);
	set_bit(KWIK_EV_TX, &path->events);
}

/* Path failed (from its work): close the socket, tell sessions, retry. */
static void kwik_path_fail(struct kwik_path *path, int err)
{
	bool client = path->role == KWIK_ROLE_CLIENT;

	if (path->state == KWIK_PATH_S_DOWN || path->state == KWIK_PATH_S_CLOSED)
		return;
	/*
	 * TCP gives EPIPE for a reset that follows the peer's FIN (Kwik never
	 * shuts a path's socket down while it uses it); EOF is ECONNRESET
	 * here, so the peer ending a path reads the same either way.
	 */
	if (err == EPIPE)
		err = ECONNRESET;
	kwik_path_close_sock(path);
	spin_lock_bh(&path->lock);
	skb_queue_purge(&path->ctlq);
	spin_unlock_bh(&path->lock);
	kwik_path_set_state(path, KWIK_PATH_S_DOWN, err);
	kwik_nl_path_event(path->kn->net, path, KWIK_EVENT_PATH_DOWN);
	kwik_path_tell(path, KWIK_NEWS_DOWN, err);

	if (!client) {
		/* Server paths are not re-opened: the client will redial. */
		if (kwik_listener_unlink_path(path->listener, &path->node))
			kwik_path_put(path);
		return;
	}
	if (path->cfg.flags & KWIK_PATH_F_NO_RECONNECT) {
		cancel_delayed_work(&path->timer);
		return;
	}
	path->backoff = path->backoff ?
		min_t(unsigned long, path->backoff * 2, KWIK_BACKOFF_MAX) :
		KWIK_BACKOFF_MIN;
	mod_delayed_work(kwik_wq, &path->timer, path->backoff);
}

/*
 * net/handshake passes a socket to tlshd as a file: give a secure path's
 * socket one before any callback points at the path.  On error the
 * socket is gone (sock_alloc_file() releases it).
 */
static int kwik_path_sock_file(u8 security, struct socket *sock)
{
	struct file *file;

	if (security != KWIK_SECURITY_TLS && security != KWIK_SECURITY_PSK)
		return 0;
	file = sock_alloc_file(sock, 0, NULL);
	return PTR_ERR_OR_ZERO(file);
}

static void kwik_path_connect(struct kwik_path *path)
{
	struct socket *sock = NULL;
	int err;

	kwik_path_set_state(path, KWIK_PATH_S_CONNECTING, 0);
	err = path->ops->connect(path->kn->net, &path->cfg.remote,
				 &path->cfg.local, path->cfg.cc, &sock);
	if (!err || err == -EINPROGRESS)
		err = kwik_path_sock_file(path->cfg.security, sock) ?: err;
	if (err && err != -EINPROGRESS) {
		kwik_path_fail(path, -err);
		return;
	}
	kwik_path_install(path, sock);
	path->deadline = jiffies + KWIK_CONNECT_TIMEOUT;
	mod_delayed_work(kwik_wq, &path->timer, KWIK_CONNECT_TIMEOUT);
	/* The connect may have completed before the callbacks were set. */
	set_bit(KWIK_EV_RX, &path->events);
}

/*
 * What the path can deliver: the best delivery rate of the last
 * KWIK_RATE_WIN (at least ten round trips), as BBR filters bandwidth.
 * Application-limited samples are left out: they tell how little the
 * session gave the path (its window, another path's late chunk), not
 * what the path can do; so is a path that has carried only control
 * frames, which must keep the scheduler's cwnd/srtt guess instead.
 * But one above the best so far counts, as in BBR: the path did at least
 * that much.  Else a path whose link got faster while it was slow and
 * passed over, given only small chunks, keeps its old rate until the
 * window ends.
 */
static void kwik_path_filter_rate(struct kwik_path *path,
				  struct kwik_path_metrics *m)
{
	u32 win = max_t(u32, KWIK_RATE_WIN, usecs_to_jiffies(10 * m->srtt_us));
	u32 rate = min_t(u64, m->delivery_rate, U32_MAX);
	u32 best = minmax_get(&path->rate_max);
	u32 take = !m->rate_app_limited || (best && rate > best) ? rate : 0;

	/* 0 adds nothing, but lets older samples age out of the window. */
	m->max_rate = minmax_running_max(&path->rate_max, win, jiffies, take);
}

/*
 * Size the lower socket's unsent queue to KWIK_UNSENT_US of the path's
 * rate.  Both estimates at hand run high (delivery rate samples bunch up
 * under ACK compression; bbr keeps about twice the BDP in flight), so
 * the lower one is taken.
 */
static void kwik_path_size_unsent(struct kwik_path *path,
				  const struct kwik_path_metrics *m)
{
	u32 unsent = KWIK_UNSENT_MAX;
	u64 rate;

	if (!path->ops->unsent)
		return;
	if (m->max_rate && m->srtt_us) {
		rate = min_t(u64, m->max_rate,
			     div_u64((u64)m->cwnd_bytes * USEC_PER_SEC,
				     m->srtt_us));
		unsent = clamp_t(u64,
				 div_u64(rate * KWIK_UNSENT_US, USEC_PER_SEC),
				 KWIK_UNSENT_MIN, KWIK_UNSENT_MAX);
	}
	if (unsent != path->unsent) {
		if (path->ops->set_unsent)
			path->ops->set_unsent(path->sock, unsent);
		path->unsent = unsent;
	}
}

static void kwik_path_measure(struct kwik_path *path)
{
	struct kwik_path_metrics m = {};

	if (!path->ops->metrics)
		return;
	path->ops->metrics(path->sock, &m);
	kwik_path_filter_rate(path, &m);
	kwik_path_size_unsent(path, &m);
	/* path->m is written only here: no lock needed to read it. */
	if (m.unacked_bytes && !path->m.unacked_bytes)
		path->busy_since = jiffies;
	/* Carrying data again: TCP's (or QUIC's) srtt is current. */
	if (m.unacked_bytes > KWIK_IDLE_BYTES)
		path->idle_rtt_us = 0;
	m.idle_rtt_us = path->idle_rtt_us;
	spin_lock_bh(&path->lock);
	path->m = m;
	spin_unlock_bh(&path->lock);
}

void kwik_path_get_metrics(struct kwik_path *path, struct kwik_path_metrics *m)
{
	spin_lock_bh(&path->lock);
	*m = path->m;
	spin_unlock_bh(&path->lock);
}

static void kwik_path_up(struct kwik_path *path)
{
	path->last_rx = jiffies;
	mod_delayed_work(kwik_wq, &path->timer, KWIK_PATH_IDLE);
	path->backoff = 0;
	kwik_path_measure(path);
	kwik_path_set_state(path, KWIK_PATH_S_UP, 0);
	kwik_nl_path_event(path->kn->net, path, KWIK_EVENT_PATH_UP);
	kwik_path_tell(path, KWIK_NEWS_UP, 0);
	if (path->role == KWIK_ROLE_CLIENT)
		kwik_session_join_path(path->kn, path);
}

/* ---- TLS handshake (see handshake.c) ---- */

static bool kwik_path_secure(const struct kwik_path *path)
{
	return path->cfg.security == KWIK_SECURITY_TLS ||
	       path->cfg.security == KWIK_SECURITY_PSK;
}

/* tlshd's answer (its netlink request, process context). */
static void kwik_path_hs_done(void *data, struct kwik_hs *hs, int status)
{
	struct kwik_path *path = data;

	spin_lock_bh(&path->lock);
	if (path->hs == hs) {		/* not an abandoned attempt */
		path->hs = NULL;
		path->hs_result = true;
		path->hs_status = status;
	}
	spin_unlock_bh(&path->lock);
	kwik_path_queue(path, KWIK_EV_RX);
	kwik_path_put(path);		/* taken by kwik_path_hs_start() */
}

/* Hand the connected socket to tlshd; the path work waits for the answer. */
static void kwik_path_hs_start(struct kwik_path *path)
{
	struct kwik_hs_params p = {
		.security	= path->cfg.security,
		.server		= path->role == KWIK_ROLE_SERVER,
		.peer_name	= path->cfg.peer_name,
		.key_serial	= path->cfg.key_serial,
		.timeout_ms	= path->cfg.hs_timeout_ms,
	};
	struct kwik_hs *hs;
	int err;

	path->hs_needed = false;
	hs = kwik_hs_alloc(kwik_path_hs_done, path);
	if (!hs) {
		kwik_path_fail(path, ENOMEM);
		return;
	}
	kwik_path_hold(path);		/* for kwik_path_hs_done() */
	spin_lock_bh(&path->lock);
	path->hs = hs;
	path->hs_result = false;
	spin_unlock_bh(&path->lock);
	path->deadline = jiffies + msecs_to_jiffies(p.timeout_ms);
	mod_delayed_work(kwik_wq, &path->timer, path->deadline - jiffies);

	err = kwik_hs_submit(hs, path->sock, &p);
	if (err) {
		/* No callback will come; the handle is gone. */
		spin_lock_bh(&path->lock);
		path->hs = NULL;
		spin_unlock_bh(&path->lock);
		kwik_path_put(path);
		kwik_path_fail(path, -err);
	}
}

/* Withdraw a pending handshake before the socket goes. */
static void kwik_path_hs_cancel(struct kwik_path *path)
{
	struct kwik_hs *hs;

	spin_lock_bh(&path->lock);
	hs = path->hs;
	path->hs = NULL;
	path->hs_result = false;
	spin_unlock_bh(&path->lock);
	/* If the cancel loses the race, kwik_path_hs_done() drops the ref. */
	if (hs && kwik_hs_cancel(hs, path->sock))
		kwik_path_put(path);
}

/*
 * Act on tlshd's answer.  Success must leave kTLS on the socket both
 * ways: only then may a single Kwik byte go out.
 */
static void kwik_path_hs_finish(struct kwik_path *path)
{
	int status;

	spin_lock_bh(&path->lock);
	if (!path->hs_result) {
		spin_unlock_bh(&path->lock);
		return;
	}
	path->hs_result = false;
	status = path->hs_status;
	spin_unlock_bh(&path->lock);

	if (!status && path->ops->secured)
		status = path->ops->secured(path->sock,
					    path->role == KWIK_ROLE_SERVER);
	else if (!status)
		status = kwik_hs_check_ktls(path->sock->sk);
	if (status) {
		kwik_path_fail(path, -status);
		return;
	}
	path->secured = true;
	path->deadline = jiffies + KWIK_CONNECT_TIMEOUT;
	mod_delayed_work(kwik_wq, &path->timer, KWIK_CONNECT_TIMEOUT);
	if (path->role == KWIK_ROLE_CLIENT)
		kwik_path_send_hello(path);
	set_bit(KWIK_EV_RX, &path->events);
}

/* ---- Receive ---- */

/*
 * Kwik never sends TCP urgent data (wire-format.rst): receiving any is a
 * protocol error.  It also wedges a reader: read_sock, and kTLS's record
 * parser when it copies, stop at the urgent mark for good.
 */
static bool kwik_path_urgent(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP &&
	       READ_ONCE(tcp_sk(sk)->urg_data);
}

static int kwik_path_read(struct kwik_path *path, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	if (path->ops->recv)
		ret = path->ops->recv(path->sock, buf, len);
	else if (kwik_path_secure(path))
		ret = kwik_hs_recv(path->sock, buf, len);
	else
		ret = kernel_recvmsg(path->sock, &msg, &iov, 1, len,
				     MSG_DONTWAIT);
	if (ret == 0)
		return -ECONNRESET;	/* peer closed the path */
	if (ret == -EAGAIN && kwik_path_urgent(path->sock->sk))
		return -EPROTO;
	return ret;
}

static void kwik_path_rx_hello(struct kwik_path *path,
			       const struct kwik_frame *f)
{
	if (path->state != KWIK_PATH_S_HANDSHAKE) {
		kwik_path_fail(path, EPROTO);
		return;
	}
	if (f->hello.version != KWIK_WIRE_VERSION) {
		kwik_path_fail(path, EPROTONOSUPPORT);
		return;
	}
	/* Each side must be the other's opposite. */
	if (f->hello.role == path->role) {
		kwik_path_fail(path, EPROTO);
		return;
	}
	if (path->role == KWIK_ROLE_SERVER)
		kwik_path_send_hello(path);
	kwik_path_up(path);
}

static u64 kwik_now_us(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* From the work: a PING whose PONG kwik_path_rx_pong() times. */
static void kwik_path_ping(struct kwik_path *path)
{
	u64 now = kwik_now_us();
	struct kwik_frame ping = {
		.type = KWIK_FT_PING,
		.ping.stamp = now,
	};

	path->ping_sent_us = now;
	path->ping_wait = true;
	path->ping_idle = path->m.unacked_bytes <= KWIK_IDLE_BYTES;
	kwik_path_send_ctl(path, &ping);
}

/*
 * The PONG of the PING we wait for (any other is ignored).  Taken on a
 * path idle throughout, with nothing queued, it is the path's round trip
 * as it is now.
 */
static void kwik_path_rx_pong(struct kwik_path *path, u64 stamp)
{
	if (!path->ping_wait || stamp != path->ping_sent_us)
		return;
	path->ping_wait = false;
	if (path->ping_idle && path->m.unacked_bytes <= KWIK_IDLE_BYTES)
		path->idle_rtt_us = max_t(u64, min_t(u64, kwik_now_us() - stamp,
						     U32_MAX), 1);
}

/*
 * An idle path's srtt is that of its last busy spell, queue included,
 * and only data or a keepalive refreshes it: a path whose link got
 * better stays judged by how it was, and the scheduler, which gives it
 * data only when it looks fast enough, would take long to learn.  So
 * a path that a session holds data back from (called from the work,
 * via kwik_session_tx()) PINGs now and then while idle; the round trip
 * stands in for srtt until the path carries data again
 * (kwik_path_metrics.idle_rtt_us).
 */
void kwik_path_probe(struct kwik_path *path)
{
	u64 now = kwik_now_us();

	if (path->m.unacked_bytes > KWIK_IDLE_BYTES ||
	    now - path->ping_sent_us <
	    (path->ping_wait ? KWIK_PROBE_LOST_US : KWIK_PROBE_GAP_US))
		return;
	kwik_path_ping(path);
}

static void kwik_path_dispatch(struct kwik_path *path, struct kwik_frame *f,
			       struct sk_buff *skb)
{
	path->last_rx = jiffies;
	spin_lock_bh(&path->lock);
	path->rx_frames++;
	if (skb) {
		path->rx_bytes += skb->len;
		if (path->rx_copy)
			path->rx_copied += skb->len;
	}
	spin_unlock_bh(&path->lock);

	if (f->type == KWIK_FT_HELLO) {
		kwik_path_rx_hello(path, f);
		return;
	}
	if (path->state != KWIK_PATH_S_UP) {
		kfree_skb(skb);
		kwik_path_fail(path, EPROTO);
		return;
	}
	switch (f->type) {
	case KWIK_FT_PING: {
		struct kwik_frame pong = {
			.type = KWIK_FT_PONG,
			.ping.stamp = f->ping.stamp,
		};
		struct sk_buff *r = kwik_path_ctl_frame(&pong);

		if (r)
			kwik_path_queue_ctl(path, r);
		break;
	}
	case KWIK_FT_PONG:
		kwik_path_rx_pong(path, f->ping.stamp);
		break;
	default:
		kwik_session_rx(path->kn, path, path->role, f, skb);
		return;
	}
	kfree_skb(skb);
}

void kwik_path_count_drop(struct kwik_path *path)
{
	spin_lock_bh(&path->lock);
	path->rx_dropped++;
	spin_unlock_bh(&path->lock);
}

/*
 * rxbuf holds rx_need bytes: decode the header, or the fixed part and
 * then prepare for the payload, linear when it is to be copied.
 */
static int kwik_path_rx_parse(struct kwik_path *path, bool linear)
{
	struct kwik_frame *f = &path->rxf;
	int ret;

	if (!path->rx_hdr_done) {
		ret = kwik_frame_decode_hdr(f, path->rxbuf);
		if (ret < 0)
			return ret;
		path->rx_hdr_done = true;
		path->rx_need += ret;
		return 0;
	}
	ret = kwik_frame_decode_fixed(f, path->rxbuf + KWIK_HDR_LEN);
	if (ret < 0)
		return ret;
	if (f->type == KWIK_FT_DATA && f->data.len) {
		path->rx_skb = alloc_skb(linear ? f->data.len : 0, GFP_KERNEL);
		if (!path->rx_skb)
			return -ENOMEM;
		path->rx_copy = linear;
	}
	return 0;
}

static bool kwik_path_rx_whole(const struct kwik_path *path)
{
	return path->rx_hdr_done && path->rx_have == path->rx_need &&
	       (!path->rx_skb || path->rx_skb->len == path->rxf.data.len);
}

/* Make rx_skb a linear copy of itself, to copy the rest of the frame into. */
static int kwik_path_rx_linear(struct kwik_path *path)
{
	struct sk_buff *to = path->rx_skb, *lin;

	lin = alloc_skb(path->rxf.data.len, GFP_KERNEL);
	if (!lin)
		return -ENOMEM;
	if (skb_copy_bits(to, 0, skb_put(lin, to->len), to->len)) {
		kfree_skb(lin);
		return -EFAULT;
	}
	kfree_skb(to);
	path->rx_skb = lin;
	path->rx_copy = true;
	return 0;
}

/*
 * Add @len payload bytes of TCP's @from, from @off on, to rx_skb.  Bytes
 * in @from's page fragments are taken by reference, not copied (what
 * follows on in the same page extends the last fragment); a piece that
 * is not (TCP's linear part, a frag_list, page pool pages, no slot
 * left) turns rx_skb into a linear copy for the rest of the frame.
 */
static int kwik_path_rx_take(struct kwik_path *path, struct sk_buff *from,
			     u32 off, u32 len)
{
	const struct skb_shared_info *sh = skb_shinfo(from);
	struct sk_buff *to = path->rx_skb;
	u32 pos = skb_headlen(from), end = off + len, n, foff, first_pos = 0;
	int i, first = -1, need = 0, ret;

	if (path->rx_copy)
		goto copy;
	for (i = 0; i < sh->nr_frags && pos < end; i++) {
		n = skb_frag_size(&sh->frags[i]);
		if (pos + n > off) {
			if (first < 0) {
				first = i;
				first_pos = pos;
			}
			need++;
		}
		pos += n;
	}
	if (from->pp_recycle || off < skb_headlen(from) || pos < end ||
	    skb_shinfo(to)->nr_frags + need > MAX_SKB_FRAGS) {
		ret = kwik_path_rx_linear(path);
		if (ret)
			return ret;
		to = path->rx_skb;
		goto copy;
	}
	pos = first_pos;
	for (i = first; off < end; i++) {
		const skb_frag_t *frag = &sh->frags[i];
		struct skb_shared_info *tsh = skb_shinfo(to);
		struct page *page = skb_frag_page(frag);
		struct page *head = compound_head(page);
		skb_frag_t *last = NULL;

		if (tsh->nr_frags)
			last = &tsh->frags[tsh->nr_frags - 1];
		n = min(end, pos + skb_frag_size(frag)) - off;
		/* As an offset into the compound page: TCP splits by page. */
		foff = (page - head) * PAGE_SIZE + skb_frag_off(frag) + off - pos;
		if (last && skb_frag_page(last) == head &&
		    skb_frag_off(last) + skb_frag_size(last) == foff) {
			skb_frag_size_add(last, n);
		} else {
			/* One reference per fragment of ours, on the folio. */
			skb_frag_ref(from, i);
			skb_fill_page_desc(to, tsh->nr_frags, head, foff, n);
		}
		/* Truesize: charged in kwik_path_rx_settle(). */
		to->len += n;
		to->data_len += n;
		pos += skb_frag_size(frag);
		off += n;
	}
	return 0;
copy:
	return skb_copy_bits(from, off, skb_put(to, len), len);
}

/*
 * A whole payload taken by reference keeps its pages (whole compound
 * pages) from being freed: charge them all to it, against the receive
 * buffer, so what the peer makes Kwik hold stays within that buffer
 * however it packs its frames.  A payload that would be charged more
 * than KWIK_RX_PIN_MAX times its size (a small frame in a large page)
 * is copied instead: cheaper than a receive window that much smaller.
 */
static int kwik_path_rx_settle(struct kwik_path *path)
{
	struct sk_buff *skb = path->rx_skb;
	u32 i, pinned = 0;

	if (!skb || path->rx_copy)
		return 0;
	/* Fragments hold compound heads (kwik_path_rx_take()). */
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++)
		pinned += page_size(skb_frag_page(&skb_shinfo(skb)->frags[i]));
	if (pinned > KWIK_RX_PIN_MAX * skb->len)
		return kwik_path_rx_linear(path);
	skb->truesize += pinned;
	return 0;
}

/*
 * read_sock actor: parse frames out of TCP's receive queue, up to one
 * whole frame (desc->count is cleared then, so that it is dispatched
 * without the socket lock held).
 */
static int kwik_path_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			      unsigned int off, size_t len)
{
	struct kwik_path *path = desc->arg.data;
	size_t used = 0;
	u32 n;
	int ret = 0;

	while (desc->count && used < len) {
		if (!path->rx_hdr_done || path->rx_have < path->rx_need) {
			n = min_t(size_t, len - used,
				  path->rx_need - path->rx_have);
			ret = skb_copy_bits(skb, off + used,
					    path->rxbuf + path->rx_have, n);
			if (ret)
				break;
			path->rx_have += n;
			used += n;
			if (path->rx_have == path->rx_need)
				ret = kwik_path_rx_parse(path, false);
		} else if (path->rx_skb) {
			n = min_t(size_t, len - used,
				  path->rxf.data.len - path->rx_skb->len);
			ret = kwik_path_rx_take(path, skb, off + used, n);
			used += n;
		}
		if (ret)
			break;
		if (kwik_path_rx_whole(path)) {
			ret = kwik_path_rx_settle(path);
			desc->count = 0;
			break;
		}
	}
	if (ret) {
		desc->error = ret;
		desc->count = 0;
	}
	return used;
}

/*
 * Read straight from a plain TCP path's receive queue (read_sock): one
 * whole frame in path->rxf (and rx_skb) returns 0, else -EAGAIN or an
 * error.  One lock and no copy of the payload per frame, where
 * recvmsg() would take three of each (header, fixed part, payload).
 */
static int kwik_path_read_frame(struct kwik_path *path)
{
	struct socket *sock = path->sock;
	read_descriptor_t desc = { .arg.data = path, .count = 1 };
	bool urg;
	int ret;

	lock_sock(sock->sk);
	ret = sock->ops->read_sock(sock->sk, &desc, kwik_path_rx_actor);
	urg = kwik_path_urgent(sock->sk);
	release_sock(sock->sk);
	if (desc.error)
		return desc.error;
	if (kwik_path_rx_whole(path))
		return 0;
	if (ret < 0)
		return ret;
	if (urg)
		return -EPROTO;
	ret = sock_error(sock->sk);
	if (ret)
		return ret;
	/* Nothing left and the peer closed: the path is gone. */
	if (READ_ONCE(sock->sk->sk_shutdown) & RCV_SHUTDOWN &&
	    skb_queue_empty_lockless(&sock->sk->sk_receive_queue))
		return -ECONNRESET;
	return -EAGAIN;
}

/*
 * Read the next frame's bytes with recvmsg(), through the transport or
 * (k)TLS: 0 when path->rxf is whole, 1 to call again, -EINTR when only
 * a TLS record not ours was read, -EAGAIN or an error.
 */
static int kwik_path_read_part(struct kwik_path *path)
{
	struct kwik_frame *f = &path->rxf;
	int ret;

	if (!path->rx_hdr_done || path->rx_have < path->rx_need) {
		ret = kwik_path_read(path, path->rxbuf + path->rx_have,
				     path->rx_need - path->rx_have);
		if (ret < 0)
			return ret;
		path->rx_have += ret;
		if (path->rx_have < path->rx_need)
			return 1;
		ret = kwik_path_rx_parse(path, true);
		if (ret < 0)
			return ret;
		return kwik_path_rx_whole(path) ? 0 : 1;
	}
	if (path->rx_skb && path->rx_skb->len < f->data.len) {
		struct sk_buff *skb = path->rx_skb;

		ret = kwik_path_read(path, skb_tail_pointer(skb),
				     f->data.len - skb->len);
		if (ret < 0)
			return ret;
		skb_put(skb, ret);
	}
	return kwik_path_rx_whole(path) ? 0 : 1;
}

/*
 * Read and dispatch up to a budget of frames.  Returns true when the
 * budget ran out with more possibly pending.
 */
static bool kwik_path_rx(struct kwik_path *path)
{
	int budget = KWIK_RX_BUDGET;
	int ret;

	while (path->sock && budget) {
		/* Plain TCP: read_sock; TLS records and QUIC: recvmsg. */
		if (!path->ops->recv && !kwik_path_secure(path) &&
		    path->sock->ops->read_sock)
			ret = kwik_path_read_frame(path);
		else
			ret = kwik_path_read_part(path);
		if (ret == -EAGAIN)
			return false;
		if (ret == -EINTR)
			return true;	/* only TLS records not ours */
		if (ret < 0)
			goto fail;
		if (ret > 0)
			continue;
		/* A whole frame: reset the parser, then hand it up. */
		path->rx_have = 0;
		path->rx_need = KWIK_HDR_LEN;
		path->rx_hdr_done = false;
		kwik_path_dispatch(path, &path->rxf, path->rx_skb);
		path->rx_skb = NULL;
		budget--;
	}
	return !budget;
fail:
	kwik_path_fail(path, -ret);
	return false;
}

/* ---- Transmit ---- */

/*
 * Send the frame's payload from byte @done on.  Where the kernel has
 * MSG_SPLICE_PAGES, TCP and kTLS (which encrypts from them) take the
 * chunk's page by reference instead of a copy of its bytes.
 */
static int kwik_path_send_payload(struct kwik_path *path, u32 done)
{
	struct kwik_txframe *tx = &path->tx;
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
#ifdef MSG_SPLICE_PAGES
	const skb_frag_t *frag = &skb_shinfo(tx->skb)->frags[0];
	struct bio_vec bv;

	msg.msg_flags |= MSG_SPLICE_PAGES;
	bvec_set_page(&bv, skb_frag_page(frag), tx->len - done,
		      skb_frag_off(frag) + tx->off + done);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, tx->len - done);
	return sock_sendmsg(path->sock, &msg);
#else
	struct kvec iov = {
		.iov_base = kwik_chunk_data(tx->skb) + tx->off + done,
		.iov_len = tx->len - done,
	};

	return kernel_sendmsg(path->sock, &msg, &iov, 1, iov.iov_len);
#endif
}

/* The frame's rest in one call, for a transport with its own send. */
static int kwik_path_send_rest(struct kwik_path *path)
{
	struct kwik_txframe *tx = &path->tx;
	u32 done = 0;
	struct kvec iov[2];
	int n = 0;

	if (tx->sent < tx->hdr_len) {
		iov[n].iov_base = tx->hdr + tx->sent;
		iov[n++].iov_len = tx->hdr_len - tx->sent;
	} else {
		done = tx->sent - tx->hdr_len;
	}
	if (tx->len) {
		iov[n].iov_base = kwik_chunk_data(tx->skb) + tx->off + done;
		iov[n++].iov_len = tx->len - done;
	}
	return path->ops->send(path->sock, iov, n,
			       tx->hdr_len + tx->len - tx->sent);
}

/* Continue the frame in path->tx; 0 when done, -EAGAIN, or an error. */
static int kwik_path_tx_push(struct kwik_path *path)
{
	struct kwik_txframe *tx = &path->tx;
	int ret;

	while (tx->sent < tx->hdr_len + tx->len) {
		if (path->ops->send) {
			ret = kwik_path_send_rest(path);
		} else if (tx->sent < tx->hdr_len) {
			/*
			 * TCP autocorking coalesces small frames; MSG_MORE
			 * only holds a header for the payload after it.
			 */
			struct msghdr msg = {
				.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL |
					     (tx->len ? MSG_MORE : 0),
			};
			struct kvec iov = {
				.iov_base = tx->hdr + tx->sent,
				.iov_len = tx->hdr_len - tx->sent,
			};

			ret = kernel_sendmsg(path->sock, &msg, &iov, 1,
					     iov.iov_len);
		} else {
			ret = kwik_path_send_payload(path,
						     tx->sent - tx->hdr_len);
		}
		if (ret < 0)
			return ret;
		tx->sent += ret;
	}
	spin_lock_bh(&path->lock);
	path->tx_frames++;
	path->tx_bytes += tx->payload;
	spin_unlock_bh(&path->lock);
	kfree_skb(tx->skb);
	tx->skb = NULL;
	path->tx_busy = false;
	return 0;
}

/*
 * How much new data the lower socket takes now (U32_MAX: no limit).  The
 * socket checks its unsent limit only before starting an skb, and an skb
 * grows to the GSO size, so unsent bytes would overshoot the limit by
 * tens of KB, and data resent after another path stalls would wait
 * behind them.  So the path itself gives the socket a frame only once
 * less than half the limit waits, as TCP's write_space does, and no more
 * than fills it.  When full, SOCK_NOSPACE asks TCP for that callback.
 */
static u32 kwik_path_tx_room(struct kwik_path *path)
{
	u32 limit = path->unsent, queued;

	if (!limit || !path->ops->unsent)
		return U32_MAX;
	/* path->m: this work is its only writer. */
	queued = path->ops->unsent(path->sock, path->m.max_rate);
	if (queued >= limit / 2) {
		set_bit(SOCK_NOSPACE, &path->sock->flags);
		/* Pairs with tcp_check_space()'s barrier, as in tcp_poll(). */
		smp_mb__after_atomic();
		queued = path->ops->unsent(path->sock, path->m.max_rate);
		if (queued >= limit / 2)
			return 0;
	}
	return limit - queued;
}

/* Pick the next frame: control frames first, then sessions in turn. */
static bool kwik_path_tx_next(struct kwik_path *path)
{
	struct kwik_txframe *tx = &path->tx;
	struct kwik_subflow *sf;
	struct sk_buff *skb;
	bool built;

	memset(tx, 0, sizeof(*tx));
	spin_lock_bh(&path->lock);
	skb = __skb_dequeue(&path->ctlq);
	if (skb) {
		spin_unlock_bh(&path->lock);
		memcpy(tx->hdr, skb->data, skb->len);
		tx->hdr_len = skb->len;
		kfree_skb(skb);
		path->tx_busy = true;
		return true;
	}
	if (path->state != KWIK_PATH_S_UP || list_empty(&path->tx_ready)) {
		spin_unlock_bh(&path->lock);
		return false;
	}
	spin_unlock_bh(&path->lock);
	tx->room = kwik_path_tx_room(path);
	if (!tx->room)
		return false;	/* write_space will call us back */
	spin_lock_bh(&path->lock);
	while (!list_empty(&path->tx_ready)) {
		sf = list_first_entry(&path->tx_ready, struct kwik_subflow,
				      tx_node);
		list_del_init(&sf->tx_node);
		sock_hold(&sf->ks->sk);
		spin_unlock_bh(&path->lock);

		built = kwik_session_tx(sf->ks, path, tx);
		sock_put(&sf->ks->sk);
		if (built) {
			path->tx_busy = true;
			return true;
		}
		spin_lock_bh(&path->lock);
	}
	spin_unlock_bh(&path->lock);
	return false;
}

static bool kwik_path_tx(struct kwik_path *path)
{
	int budget = KWIK_TX_BUDGET;
	int ret;

	while (path->sock && budget--) {
		if (!path->tx_busy && !kwik_path_tx_next(path))
			return false;
		ret = kwik_path_tx_push(path);
		if (ret == -EAGAIN)
			return false;	/* write_space will call us back */
		if (ret < 0) {
			kwik_path_fail(path, -ret);
			return false;
		}
	}
	return budget < 0;
}

/*
 * Tell the transport which sessions let go of the path; without a socket
 * (closed, or being freed) just forget them.
 */
static void kwik_path_end_sessions(struct kwik_path *path)
{
	struct kwik_path_ended *e, *tmp;
	LIST_HEAD(list);

	spin_lock_bh(&path->lock);
	list_splice_init(&path->ended, &list);
	spin_unlock_bh(&path->lock);
	list_for_each_entry_safe(e, tmp, &list, node) {
		if (path->sock)
			path->ops->session_end(path->sock, e->session);
		kfree(e);
	}
}

/* ---- The work item ---- */

static void kwik_path_keepalive(struct kwik_path *path)
{
	if (time_after_eq(jiffies, path->last_rx + KWIK_PATH_DEAD)) {
		kwik_path_fail(path, ETIMEDOUT);
		return;
	}
	if (time_after_eq(jiffies, path->last_rx + KWIK_PATH_IDLE))
		kwik_path_ping(path);
	mod_delayed_work(kwik_wq, &path->timer, kwik_path_next_check(path));
}

static void kwik_path_timeout(struct kwik_path *path)
{
	switch (path->state) {
	case KWIK_PATH_S_CONNECTING:
	case KWIK_PATH_S_HANDSHAKE:
		if (!path->sock && path->role == KWIK_ROLE_CLIENT)
			kwik_path_connect(path);	/* first attempt */
		else if (path->sock && time_after_eq(jiffies, path->deadline))
			kwik_path_fail(path, ETIMEDOUT);
		break;
	case KWIK_PATH_S_UP:
		kwik_path_keepalive(path);
		break;
	case KWIK_PATH_S_DOWN:
		if (path->role == KWIK_ROLE_CLIENT && !path->sock &&
		    !(path->cfg.flags & KWIK_PATH_F_NO_RECONNECT))
			kwik_path_connect(path);
		break;
	}
}

/*
 * End of a run: true if an event came during it and this run must go on
 * (else whoever raised it queued the work again).
 */
static bool kwik_path_work_done(struct kwik_path *path)
{
	clear_bit(KWIK_EV_RUN, &path->events);
	/* Pairs with the barrier in kwik_path_queue(). */
	smp_mb__after_atomic();
	return test_bit(KWIK_EV_KICK, &path->events) &&
	       !test_and_set_bit(KWIK_EV_RUN, &path->events);
}

static void kwik_path_work(struct work_struct *work)
{
	struct kwik_path *path = container_of(work, struct kwik_path, work);
	bool again;
	int ret;

run:
	again = false;
	if (READ_ONCE(path->dead))
		return;
	clear_bit(KWIK_EV_KICK, &path->events);
	if (test_and_clear_bit(KWIK_EV_TIMER, &path->events))
		kwik_path_timeout(path);

	if (path->sock && path->state == KWIK_PATH_S_CONNECTING) {
		ret = path->ops->connected(path->sock);
		if (ret < 0) {
			kwik_path_fail(path, -ret);
		} else if (ret > 0) {
			kwik_path_set_state(path, KWIK_PATH_S_HANDSHAKE, 0);
			if (kwik_path_secure(path)) {
				path->hs_needed = true;
			} else {
				path->secured = true;
				kwik_path_send_hello(path);
			}
		}
	}
	if (path->sock && path->hs_needed)
		kwik_path_hs_start(path);
	if (path->sock && !path->secured)
		kwik_path_hs_finish(path);
	/* Nothing is read or written before the socket is secured. */
	if (path->sock && path->secured) {
		clear_bit(KWIK_EV_RX, &path->events);
		again |= kwik_path_rx(path);
	}
	if (path->sock && path->secured) {
		/*
		 * See what the frames read may have acknowledged (a PONG
		 * carries the ACK of its PING) before sending more: data
		 * sent on a connection with nothing outstanding is judged
		 * from when it went out (kwik_path_wait_us()).
		 */
		if (path->state == KWIK_PATH_S_UP)
			kwik_path_measure(path);
		clear_bit(KWIK_EV_TX, &path->events);
		again |= kwik_path_tx(path);
	}
	if (path->sock && path->secured)
		kwik_path_end_sessions(path);
	if (path->sock && path->state == KWIK_PATH_S_UP) {
		kwik_path_measure(path);
		kwik_path_check_stale(path);
		/* Data outstanding: be back in time to see it go stale. */
		if (path->m.unacked_bytes)
			mod_delayed_work(kwik_wq, &path->timer,
					 kwik_path_next_check(path));
	}
	/* Budget exhausted: let other paths run, then continue. */
	if (again) {
		set_bit(KWIK_EV_RX, &path->events);
		queue_work(kwik_wq, &path->work);	/* RUN stays set */
		return;
	}
	if (kwik_path_work_done(path)) {
		cond_resched();
		goto run;
	}
}

static void kwik_path_timer(struct work_struct *work)
{
	struct kwik_path *path = container_of(to_delayed_work(work),
					      struct kwik_path, timer);

	kwik_path_queue(path, KWIK_EV_TIMER);
}

/* ---- Life cycle ---- */

static struct kwik_path *kwik_path_alloc(struct kwik_net *kn, u8 role)
{
	struct kwik_path *path = kzalloc(sizeof(*path), GFP_KERNEL);

	if (!path)
		return NULL;
	kref_init(&path->ref);
	path->kn = kn;
	path->role = role;
	INIT_LIST_HEAD(&path->node);
	INIT_WORK(&path->work, kwik_path_work);
	INIT_DELAYED_WORK(&path->timer, kwik_path_timer);
	INIT_WORK(&path->free_work, kwik_path_free_work);
	spin_lock_init(&path->lock);
	INIT_LIST_HEAD(&path->subflows);
	INIT_LIST_HEAD(&path->tx_ready);
	skb_queue_head_init(&path->ctlq);
	INIT_LIST_HEAD(&path->ended);
	path->rx_need = KWIK_HDR_LEN;
	return path;
}

/*
 * Stop a path for good: no more work, socket closed, sessions told.
 * Process context; the caller owns one reference, which this drops.
 */
void kwik_path_kill(struct kwik_path *path, int err)
{
	bool was_up;

	spin_lock_bh(&path->lock);
	WRITE_ONCE(path->dead, true);
	was_up = path->state == KWIK_PATH_S_UP;
	path->state = KWIK_PATH_S_CLOSED;
	skb_queue_purge(&path->ctlq);
	spin_unlock_bh(&path->lock);

	cancel_delayed_work_sync(&path->timer);
	cancel_work_sync(&path->work);
	kwik_path_close_sock(path);
	if (was_up)
		kwik_nl_path_event(path->kn->net, path, KWIK_EVENT_PATH_DOWN);
	kwik_path_tell(path, KWIK_NEWS_DOWN, err);
	kwik_path_put(path);
}

int kwik_path_accept(struct kwik_net *kn, struct kwik_listener *l,
		     struct socket *sock)
{
	const struct kwik_listener_cfg *lcfg = kwik_listener_cfg(l);
	struct kwik_path *path;
	int len, err;

	err = kwik_path_sock_file(lcfg->security, sock);
	if (err)
		return err;
	path = kwik_path_alloc(kn, KWIK_ROLE_SERVER);
	if (!path) {
		err = -ENOMEM;
		goto release;
	}
	path->ops = kwik_transport_get(lcfg->transport);
	if (!path->ops) {
		kfree(path);
		err = -EOPNOTSUPP;
		goto release;
	}
	/* Server path IDs live in their own space, high bit set. */
	path->cfg.id = 0x80000000u | (atomic_inc_return(&kwik_spath_id) &
				      0x7fffffff);
	path->cfg.transport = lcfg->transport;
	path->cfg.security = lcfg->security;
	path->cfg.key_serial = lcfg->key_serial;
	strscpy(path->cfg.cc, lcfg->cc, sizeof(path->cfg.cc));
	path->cfg.hs_timeout_ms = KWIK_HS_TIMEOUT_MS;
	path->cfg.weight = 1;
	len = kernel_getpeername(sock, (struct sockaddr *)&path->cfg.remote);
	if (len < 0)
		memset(&path->cfg.remote, 0, sizeof(path->cfg.remote));
	len = kernel_getsockname(sock, (struct sockaddr *)&path->cfg.local);
	if (len < 0)
		memset(&path->cfg.local, 0, sizeof(path->cfg.local));

	kwik_listener_hold(l);
	path->listener = l;
	path->state = KWIK_PATH_S_HANDSHAKE;
	/* The listener's list owns the initial reference. */
	if (!kwik_listener_link_path(l, &path->node)) {
		kwik_path_put(path);
		err = -ENETDOWN;
		goto release;
	}
	kwik_path_install(path, sock);
	if (kwik_path_secure(path))
		path->hs_needed = true;	/* the work starts it */
	else
		path->secured = true;
	path->deadline = jiffies + KWIK_CONNECT_TIMEOUT;
	mod_delayed_work(kwik_wq, &path->timer, KWIK_CONNECT_TIMEOUT);
	kwik_path_queue(path, KWIK_EV_RX);
	return 0;
release:
	if (sock->file)
		fput(sock->file);
	else
		sock_release(sock);
	return err;
}

struct kwik_path *kwik_path_from_lnode(struct list_head *node)
{
	return container_of(node, struct kwik_path, node);
}

static bool kwik_sockaddr_equal(const struct sockaddr_storage *a,
				const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	switch (a->ss_family) {
	case AF_INET:
		return !memcmp(a, b, sizeof(struct sockaddr_in));
	case AF_INET6:
		return !memcmp(a, b, sizeof(struct sockaddr_in6));
	default:
		return true;
	}
}

struct kwik_path *kwik_path_find(struct kwik_net *kn, u32 id)
{
	struct kwik_path *path;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry(path, &kn->paths, node)
		if (path->cfg.id == id)
			return path;
	return NULL;
}

int kwik_paths_for_service(struct kwik_net *kn, u32 service,
			   struct kwik_path **paths, int max, char *sched)
{
	struct kwik_service *svc;
	struct kwik_path *path;
	int n = 0;

	mutex_lock(&kn->lock);
	svc = kwik_service_find(kn, service);
	if (svc && sched)
		strscpy(sched, svc->cfg.scheduler, KWIK_SCHED_NAME_MAX);
	list_for_each_entry(path, &kn->paths, node) {
		if (n == max)
			break;
		if (path->cfg.service != service)
			continue;
		kwik_path_hold(path);
		paths[n++] = path;
	}
	mutex_unlock(&kn->lock);
	return n;
}

struct kwik_path *kwik_path_next(struct kwik_net *kn, struct kwik_path *prev)
{
	lockdep_assert_held(&kn->lock);
	if (!prev)
		return list_first_entry_or_null(&kn->paths, struct kwik_path,
						node);
	if (list_is_last(&prev->node, &kn->paths))
		return NULL;
	return list_next_entry(prev, node);
}

int kwik_path_add(struct kwik_net *kn, struct kwik_path_cfg *cfg,
		  struct netlink_ext_ack *extack)
{
	struct kwik_path *path, *p;
	int err;

	lockdep_assert_held(&kn->lock);
	if (!kwik_service_find(kn, cfg->service)) {
		NL_SET_ERR_MSG_MOD(extack, "service not found");
		return -ENOENT;
	}
	if (cfg->security != KWIK_SECURITY_NONE && !kwik_hs_supported()) {
		NL_SET_ERR_MSG_MOD(extack,
				   "TLS needs the kernel handshake upcall (Linux 6.4+): ask for insecure");
		return -EOPNOTSUPP;
	}
	if (cfg->security == KWIK_SECURITY_PSK && !cfg->key_serial) {
		NL_SET_ERR_MSG_MOD(extack, "a psk path needs key-serial");
		return -EINVAL;
	}
	if (cfg->security != KWIK_SECURITY_PSK && cfg->key_serial) {
		NL_SET_ERR_MSG_MOD(extack, "key-serial applies to psk paths only");
		return -EINVAL;
	}
	if (!cfg->hs_timeout_ms)
		cfg->hs_timeout_ms = KWIK_HS_TIMEOUT_MS;
	if (cfg->id && kwik_path_find(kn, cfg->id)) {
		NL_SET_ERR_MSG_MOD(extack, "path ID already in use");
		return -EEXIST;
	}
	if (cfg->id & 0x80000000u) {
		NL_SET_ERR_MSG_MOD(extack, "path IDs >= 2^31 are reserved");
		return -EINVAL;
	}
	list_for_each_entry(p, &kn->paths, node) {
		if (p->cfg.service == cfg->service &&
		    kwik_sockaddr_equal(&p->cfg.remote, &cfg->remote) &&
		    kwik_sockaddr_equal(&p->cfg.local, &cfg->local) &&
		    p->cfg.transport == cfg->transport) {
			NL_SET_ERR_MSG_MOD(extack,
					   "an identical path already exists");
			return -EEXIST;
		}
	}
	path = kwik_path_alloc(kn, KWIK_ROLE_CLIENT);
	if (!path)
		return -ENOMEM;
	path->ops = kwik_transport_get(cfg->transport);
	if (!path->ops) {
		kfree(path);
		if (cfg->transport == KWIK_TRANSPORT_QUIC)
			NL_SET_ERR_MSG_MOD(extack, "quic transport not loaded");
		else
			NL_SET_ERR_MSG_MOD(extack, "transport not available");
		return -EOPNOTSUPP;
	}
	err = kwik_transport_check_security(path->ops, cfg->security, extack) ?:
	      kwik_transport_pick_cc(path->ops, kn->net, cfg->cc, extack);
	if (err) {
		kwik_transport_put(path->ops);
		kfree(path);
		return err;
	}
	if (!cfg->id) {
		do {
			cfg->id = ++kn->next_path_id & 0x7fffffff;
		} while (!cfg->id || kwik_path_find(kn, cfg->id));
	}
	path->cfg = *cfg;
	path->state = KWIK_PATH_S_CONNECTING;
	list_add_tail(&path->node, &kn->paths);
	kn->genid++;
	/* A timer event on a client path without a socket connects it. */
	kwik_path_queue(path, KWIK_EV_TIMER);
	return 0;
}

int kwik_path_del(struct kwik_net *kn, u32 id, struct netlink_ext_ack *extack)
{
	struct kwik_path *path;

	lockdep_assert_held(&kn->lock);
	path = kwik_path_find(kn, id);
	if (!path) {
		NL_SET_ERR_MSG_MOD(extack, "path not found");
		return -ENOENT;
	}
	list_del_init(&path->node);
	kn->genid++;
	kwik_path_kill(path, ECONNABORTED);
	return 0;
}

void kwik_path_flush(struct kwik_net *kn)
{
	struct kwik_path *path, *tmp;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry_safe(path, tmp, &kn->paths, node) {
		list_del_init(&path->node);
		kwik_path_kill(path, ENETDOWN);
	}
	kn->genid++;
}
