// SPDX-License-Identifier: GPL-2.0
/*
 * The "quic" transport (kwik_quic.ko): an IPPROTO_QUIC kernel socket of
 * lxin/quic (quic.ko) carries the path.
 *
 * The QUIC handshake is TLS 1.3 done by tlshd through the kernel's
 * handshake upcall, exactly as for a TLS-over-TCP path: the core gives
 * the socket a file and submits it.  Both ends set Kwik's ALPN first (the
 * listener's accepted sockets inherit it), so a QUIC peer that is not
 * Kwik fails the handshake.
 *
 * Data mapping: each session gets its own client-opened bidirectional
 * stream on the path, so a session's frames never wait behind another's
 * in QUIC; path-level frames (HELLO, PING, PONG), RESETs and any frame of
 * a session without a stream of its own ride stream 0, which the client
 * opens once the handshake is done, before its HELLO.  The core sees one
 * byte stream of whole frames either way: send() gets one frame at a
 * time (path.c finishes a frame before it starts the next) and puts it on
 * its session's stream; recv() reassembles frames per stream and hands
 * the core whole frames only.  Frames are self-describing and session
 * data carries sequence numbers, so order across streams does not matter
 * (Documentation/quic.rst, "Streams").
 *
 * Every function here runs in process context (the path's or listener's
 * work, or netlink): quic.ko's socket calls take the socket lock and may
 * sleep.  The core's socket callbacks only queue that work.  quic.ko
 * moves a closed connection (peer CONNECTION_CLOSE, idle timeout,
 * stateless reset) to QUIC_SS_CLOSED (TCP_CLOSE) and calls
 * sk_state_change; the next receive then fails and the core fails the
 * path, so failover works as for TCP.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <linux/quic.h>
#include <linux/kwik.h>

#include "compat.h"
#include "frame.h"
#include "path.h"
#include "transport.h"

#ifdef KWIK_QUIC_INTERNAL
/* quic.ko's own headers, for metrics (see kwik_quic_metrics()). */
#include <net/quic/socket.h>
#endif

/*
 * Kwik's ALPN: "kwik/" and the wire version, so an incompatible Kwik
 * peer fails at the handshake rather than at the HELLO.
 */
#define KWIK_QUIC_ALPN		"kwik/1"
#define KWIK_QUIC_STREAM	0	/* the path's stream (client bidi) */

/*
 * Streams: the client may open at most KWIK_QUIC_MAX_STREAMS at once
 * (the server's max_streams_bidi; the client allows the server none of
 * its own).  Sessions beyond that ride stream 0.  Each stream's window
 * is above what Kwik's session window can grow to (tcp_rmem[2], 6 MiB by
 * default), so QUIC flow control never holds a session back before
 * Kwik's own window does; the receiver reads every stream as data comes,
 * so a stalled session never blocks another's stream either.
 */
#define KWIK_QUIC_MAX_STREAMS	64
#define KWIK_QUIC_STREAM_WINDOW	(8 << 20)
#define KWIK_QUIC_CONN_WINDOW	(16 << 20)
#define KWIK_QUIC_FRAME_MAX	(KWIK_HDR_LEN + KWIK_FIXED_MAX + KWIK_DATA_MAX)
/* A peer never has more than a partial frame on each of its streams. */
#define KWIK_QUIC_RX_BUF_MAX	((KWIK_QUIC_MAX_STREAMS + 1) * KWIK_QUIC_FRAME_MAX)
/*
 * Application error code of the RESET_STREAM that follows a Kwik RESET
 * frame (sent on stream 0): the peer's transport need not make one up.
 */
#define KWIK_QUIC_ERR_RESET	0x4b57
/*
 * Application error code of the CONNECTION_CLOSE a Kwik end sends when it
 * closes a path on purpose: the peer reports it as a reset path however
 * long the connection was quiet before (kwik_quic_closed_err()).
 */
#define KWIK_QUIC_ERR_CLOSE	0x4b58
#define KWIK_QUIC_HASH_BITS	6

/*
 * Unsent bytes a path keeps in its QUIC socket, as TCP's notsent_lowat
 * (transport_tcp.c): quic.ko sizes its send buffer from the congestion
 * window (4x), so without a bound one path would take a session's whole
 * stream before the scheduler could give any of it to another path.
 * Without quic.ko's headers the bound is on all the socket's send memory
 * (queued and in flight), which is coarser.
 */
#define KWIK_QUIC_NOTSENT_LOWAT	(64 * 1024)
#define KWIK_QUIC_WMEM_MAX	(1024 * 1024)

/*
 * quic.ko's reno and cubic keep growing their window while the
 * bottleneck's queue fills, so a path's RTT grows to many times its
 * base, and data resent there after another path failed waits behind
 * that queue.  A QUIC path is given new data only while what it has in
 * flight stays within its rate times (base RTT + max(base RTT,
 * KWIK_QUIC_QUEUE_US)): the bytes beyond that count as unsent
 * (kwik_quic_unsent()).
 *
 * The rate is the path's measured delivery rate (kwik_quic_rate()).
 * flight / srtt, which it replaced, is the rate only once a queue holds
 * it: after an idle spell srtt is the base RTT and that rule let a whole
 * congestion window (megabytes) out in one RTT.  The base RTT is
 * quic.ko's min_rtt (RFC 9002: the lowest sample of the connection): a
 * windowed minimum of a path kept busy includes the queue allowed here,
 * and grew with it.
 *
 * What may always be in flight is KWIK_QUIC_FLIGHT_US of the path's
 * rate, within KWIK_QUIC_FLIGHT_MIN..MAX: enough to cover quic.ko's ACK
 * delay and the work's scheduling on a short fast path, where the rule
 * above would allow little.  A flat 64 KiB was half a second of queue
 * at 1 Mbit/s.
 */
#define KWIK_QUIC_QUEUE_US	10000
#define KWIK_QUIC_FLIGHT_US	30000
#define KWIK_QUIC_FLIGHT_MIN	(16 * 1024)
#define KWIK_QUIC_FLIGHT_MAX	(64 * 1024)

/*
 * How long a Kwik end may hold an ACK of in-order data (the transport
 * parameter max_ack_delay; quic.ko's default is RFC 9000's 25 ms).  The
 * sender waits that long on top of an RTT before it may judge a path
 * stale (kwik_path_overdue_us()), so a short one moves sessions off a
 * dead path sooner; quic.ko acknowledges on this timer, a few hundred
 * ACKs a second at most.
 */
#define KWIK_QUIC_ACK_DELAY_US	5000

/*
 * The transport parameter max_idle_timeout: quic.ko closes a connection
 * that has received nothing for this long, silently.  The core PINGs a
 * path silent for a second (path.c), so only a dead link gets there, and
 * before the core's own liveness limit (5 s).  A connection found closed
 * after at least KWIK_QUIC_SILENT without a read timed out: the path
 * fails with ETIMEDOUT, not ECONNRESET as for a peer's CONNECTION_CLOSE.
 */
#define KWIK_QUIC_IDLE_US	(4 * USEC_PER_SEC)
#define KWIK_QUIC_SILENT	(3 * HZ)

/* quic.ko calls its states by TCP's names (net/quic/socket.h). */
#define KWIK_QUIC_SS_CLOSED		TCP_CLOSE
#define KWIK_QUIC_SS_ESTABLISHING	TCP_SYN_RECV
#define KWIK_QUIC_SS_ESTABLISHED	TCP_ESTABLISHED

static int kwik_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

/* ---- Per-connection stream state ---- */

/*
 * One QUIC stream of a path as Kwik uses it.  Stream 0 carries the path;
 * every other one belongs to one session: opened by the client for the
 * session's OPEN or JOIN on this path, learnt by the server from that
 * first frame.  It ends in each direction when its side's session lets
 * go of the path (FIN) or aborts (RESET_STREAM), and is forgotten once
 * both directions have ended.
 */
struct kwik_quic_stream {
	struct hlist_node id_node;	/* ctx->by_id */
	struct hlist_node sess_node;	/* ctx->by_sess, while mapped */
	struct list_head synth_node;	/* ctx->synth, while synth */
	s64 id;
	u64 session;			/* 0: stream 0, or none learnt yet */
	bool mapped;			/* the session's frames go here */
	bool tx_done;			/* our direction ended */
	bool rx_done;			/* the peer's direction ended */
	bool synth;			/* owes the core a RESET */
	u8 end_pending;			/* KWIK_QUIC_END_*: end tx when possible */
	/* A partial frame: its header, then the whole frame in @buf. */
	u8 hdr[KWIK_HDR_LEN];
	u8 *buf;
	u32 have, need;
};

enum {
	KWIK_QUIC_END_NONE,
	KWIK_QUIC_END_FIN,
	KWIK_QUIC_END_RESET,
};

/*
 * A path's QUIC socket as the transport sees it, from the @secured call
 * to the @release call; only the path's work uses it.
 */
struct kwik_quic_ctx {
	struct hlist_node node;		/* kwik_quic_ctxs */
	struct socket *sock;
	bool server;
	DECLARE_HASHTABLE(by_id, KWIK_QUIC_HASH_BITS);
	DECLARE_HASHTABLE(by_sess, KWIK_QUIC_HASH_BITS);
	struct kwik_quic_stream *zero;	/* stream 0 */
	u32 nstreams;			/* not counting stream 0 */
	u32 buffered;			/* bytes of partial frames */
	u32 npending;			/* streams with end_pending */
	struct list_head synth;		/* streams owing a RESET */

	/* Transmit: the frame being sent and its stream. */
	struct kwik_quic_stream *tx_strm;
	u32 tx_left;
	u8 tx_type;
	u64 tx_session;

	/* Receive: the whole frame being handed up... */
	const u8 *out;
	u32 out_len, out_off;
	u8 *out_free;			/* kfree() once handed up */
	u8 synth_buf[KWIK_HDR_LEN + 8];
	/* ... and what the last read brought, from one stream. */
	struct kwik_quic_stream *scr_strm;
	u32 scr_off, scr_len;
	bool scr_fin;
	u8 scratch[KWIK_QUIC_FRAME_MAX];

	/* The path's work only: see kwik_quic_rate(). */
	bool gate_shut;			/* flight over what it keeps */
	bool rate_full;			/* backlogged all along */
	bool rate_app_limited;		/* the latest sample was not full */
	u64 rate_t0;			/* sample start, us; 0: none */
	u64 rate_d0;			/* bytes delivered by then */
	u64 rate;			/* latest sample, bytes/s */
	u64 rate_kept;			/* latest full one, never aged */

	/* The path's work only: see KWIK_QUIC_SILENT. */
	unsigned long last_rx;		/* jiffies of the last read */
	bool timed_out;			/* counted in kwik_quic_idle */
};

/* Sockets with a context, hashed by socket. */
static DEFINE_SPINLOCK(kwik_quic_ctx_lock);
static DEFINE_HASHTABLE(kwik_quic_ctxs, 8);

/*
 * Counters over all QUIC paths of the host, read-only module parameters
 * (/sys/module/kwik_quic/parameters/): the selftests read them.
 */
static atomic_long_t kwik_quic_opened;	/* streams opened by clients */
static atomic_long_t kwik_quic_accepted;	/* streams learnt by servers */
static atomic_long_t kwik_quic_live;	/* session streams not yet gone */
static atomic_long_t kwik_quic_fallback;	/* sessions put on stream 0 */
static atomic_long_t kwik_quic_resets;	/* RESET_STREAMs sent */
static atomic_long_t kwik_quic_synth;	/* RESETs made up for the core */
static atomic_long_t kwik_quic_idle;	/* connections idle timed out */

static int kwik_quic_stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops kwik_quic_stat_ops = {
	.get = kwik_quic_stat_get,
};

module_param_cb(streams_opened, &kwik_quic_stat_ops, &kwik_quic_opened, 0444);
MODULE_PARM_DESC(streams_opened, "session streams opened (client side)");
module_param_cb(streams_accepted, &kwik_quic_stat_ops, &kwik_quic_accepted,
		0444);
MODULE_PARM_DESC(streams_accepted, "session streams learnt (server side)");
module_param_cb(streams_live, &kwik_quic_stat_ops, &kwik_quic_live, 0444);
MODULE_PARM_DESC(streams_live, "session streams not yet ended both ways");
module_param_cb(streams_fallback, &kwik_quic_stat_ops, &kwik_quic_fallback,
		0444);
MODULE_PARM_DESC(streams_fallback, "sessions that got no stream (stream 0)");
module_param_cb(streams_reset, &kwik_quic_stat_ops, &kwik_quic_resets, 0444);
MODULE_PARM_DESC(streams_reset, "RESET_STREAMs sent");
module_param_cb(resets_synthesized, &kwik_quic_stat_ops, &kwik_quic_synth,
		0444);
MODULE_PARM_DESC(resets_synthesized,
		 "streams reset by the peer without a Kwik RESET");
module_param_cb(idle_timeouts, &kwik_quic_stat_ops, &kwik_quic_idle, 0444);
MODULE_PARM_DESC(idle_timeouts, "connections closed by the idle timeout");

static struct kwik_quic_ctx *kwik_quic_ctx(struct socket *sock)
{
	struct kwik_quic_ctx *ctx;

	spin_lock(&kwik_quic_ctx_lock);
	hash_for_each_possible(kwik_quic_ctxs, ctx, node, (unsigned long)sock)
		if (ctx->sock == sock)
			goto out;
	ctx = NULL;
out:
	spin_unlock(&kwik_quic_ctx_lock);
	return ctx;
}

static struct kwik_quic_stream *kwik_quic_find(struct kwik_quic_ctx *ctx,
					       s64 id)
{
	struct kwik_quic_stream *strm;

	hash_for_each_possible(ctx->by_id, strm, id_node, id)
		if (strm->id == id)
			return strm;
	return NULL;
}

static struct kwik_quic_stream *kwik_quic_lookup(struct kwik_quic_ctx *ctx,
						 u64 session)
{
	struct kwik_quic_stream *strm;

	hash_for_each_possible(ctx->by_sess, strm, sess_node, session)
		if (strm->session == session)
			return strm;
	return NULL;
}

static struct kwik_quic_stream *kwik_quic_add(struct kwik_quic_ctx *ctx,
					      s64 id)
{
	struct kwik_quic_stream *strm = kzalloc(sizeof(*strm), GFP_KERNEL);

	if (!strm)
		return NULL;
	strm->id = id;
	INIT_LIST_HEAD(&strm->synth_node);
	hash_add(ctx->by_id, &strm->id_node, id);
	if (id != KWIK_QUIC_STREAM) {
		ctx->nstreams++;
		atomic_long_inc(&kwik_quic_live);
	}
	return strm;
}

static void kwik_quic_map(struct kwik_quic_ctx *ctx,
			  struct kwik_quic_stream *strm, u64 session)
{
	strm->session = session;
	strm->mapped = true;
	hash_add(ctx->by_sess, &strm->sess_node, session);
}

static void kwik_quic_unmap(struct kwik_quic_stream *strm)
{
	if (!strm->mapped)
		return;
	hash_del(&strm->sess_node);
	strm->mapped = false;
}

static void kwik_quic_drop_partial(struct kwik_quic_ctx *ctx,
				   struct kwik_quic_stream *strm)
{
	if (strm->buf)
		ctx->buffered -= strm->need;
	kfree(strm->buf);
	strm->buf = NULL;
	strm->have = 0;
	strm->need = 0;
}

static void kwik_quic_free(struct kwik_quic_ctx *ctx,
			   struct kwik_quic_stream *strm)
{
	kwik_quic_unmap(strm);
	kwik_quic_drop_partial(ctx, strm);
	list_del_init(&strm->synth_node);
	if (strm->end_pending)
		ctx->npending--;
	hash_del(&strm->id_node);
	if (strm->id != KWIK_QUIC_STREAM) {
		ctx->nstreams--;
		atomic_long_dec(&kwik_quic_live);
	}
	kfree(strm);
}

/* Both directions over and nothing owed: forget the stream. */
static void kwik_quic_maybe_free(struct kwik_quic_ctx *ctx,
				 struct kwik_quic_stream *strm)
{
	if (strm->id == KWIK_QUIC_STREAM || !strm->tx_done ||
	    !strm->rx_done || strm->synth || strm->have ||
	    strm == ctx->scr_strm || (ctx->tx_left && strm == ctx->tx_strm))
		return;
	kwik_quic_free(ctx, strm);
}

static struct kwik_quic_ctx *kwik_quic_ctx_new(struct socket *sock,
					       bool server)
{
	struct kwik_quic_ctx *ctx = kvzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return NULL;
	ctx->sock = sock;
	ctx->server = server;
	hash_init(ctx->by_id);
	hash_init(ctx->by_sess);
	INIT_LIST_HEAD(&ctx->synth);
	ctx->last_rx = jiffies;
	ctx->zero = kwik_quic_add(ctx, KWIK_QUIC_STREAM);
	if (!ctx->zero) {
		kvfree(ctx);
		return NULL;
	}
	spin_lock(&kwik_quic_ctx_lock);
	hash_add(kwik_quic_ctxs, &ctx->node, (unsigned long)sock);
	spin_unlock(&kwik_quic_ctx_lock);
	return ctx;
}

static void kwik_quic_release(struct socket *sock)
{
	struct quic_connection_close close = { .errcode = KWIK_QUIC_ERR_CLOSE };
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	struct kwik_quic_stream *strm;
	struct hlist_node *tmp;
	int b;

	/* What the CONNECTION_CLOSE sent on release says (best effort). */
	quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_CONNECTION_CLOSE,
			   KERNEL_SOCKPTR(&close), sizeof(close));
	if (!ctx)
		return;
	spin_lock(&kwik_quic_ctx_lock);
	hash_del(&ctx->node);
	spin_unlock(&kwik_quic_ctx_lock);
	ctx->scr_strm = NULL;
	ctx->tx_left = 0;
	hash_for_each_safe(ctx->by_id, b, tmp, strm, id_node)
		kwik_quic_free(ctx, strm);
	kfree(ctx->out_free);
	kvfree(ctx);
}

/* quic.ko knows "reno" and "cubic" (struct quic_config). */
static int kwik_quic_cc_algo(const char *cc)
{
	if (!strcmp(cc, "reno"))
		return QUIC_CONG_ALG_RENO;
	if (!strcmp(cc, "cubic"))
		return QUIC_CONG_ALG_CUBIC;
	return -ENOENT;
}

static int kwik_quic_check_cc(struct net *net, const char *cc)
{
	return kwik_quic_cc_algo(cc) < 0 ? -ENOENT : 0;
}

/*
 * Settings before connect/listen (accepted sockets copy the listener's):
 * the ALPN, no Nagle-like stream coalescing (Kwik batches frames itself),
 * the congestion control if one was named, the stream limits and windows
 * (see KWIK_QUIC_MAX_STREAMS), the ACK delay (KWIK_QUIC_ACK_DELAY_US) and
 * the stream events (peer resets).
 */
static int kwik_quic_setup(struct socket *sock, const char *cc)
{
	struct quic_transport_param param = {
		.max_streams_bidi = KWIK_QUIC_MAX_STREAMS,
		.max_stream_data_bidi_local = KWIK_QUIC_STREAM_WINDOW,
		.max_stream_data_bidi_remote = KWIK_QUIC_STREAM_WINDOW,
		.max_data = KWIK_QUIC_CONN_WINDOW,
		.max_ack_delay = KWIK_QUIC_ACK_DELAY_US,
		.max_idle_timeout = KWIK_QUIC_IDLE_US,
	};
	struct quic_event_option event = {
		.type = QUIC_EVENT_STREAM_UPDATE,
		.on = 1,
	};
	struct quic_config config = {};
	unsigned int len = sizeof(config);
	int err, algo;

	err = quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_ALPN,
				 KERNEL_SOCKPTR(KWIK_QUIC_ALPN),
				 strlen(KWIK_QUIC_ALPN));
	if (err)
		return err;
	err = quic_do_getsockopt(sock->sk, QUIC_SOCKOPT_CONFIG,
				 KERNEL_SOCKPTR(&config), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	config.stream_data_nodelay = 1;
	if (cc[0]) {
		algo = kwik_quic_cc_algo(cc);
		if (algo < 0)
			return algo;
		config.congestion_control_algo = algo;
	}
	err = quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_CONFIG,
				 KERNEL_SOCKPTR(&config), sizeof(config));
	if (err)
		return err;
	err = quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 KERNEL_SOCKPTR(&param), sizeof(param));
	if (err)
		return err;
	return quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_EVENT,
				  KERNEL_SOCKPTR(&event), sizeof(event));
}

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/*
 * quic.ko's bind() and connect() create the UDP socket under the QUIC
 * socket's lock, and a kernel UDP socket of the family is in the same
 * lockdep class as a kernel QUIC socket: lockdep calls that recursive
 * locking.  Kwik's QUIC sockets get classes of their own, as SUNRPC
 * gives its kernel sockets (xs_reclassify_socket()).
 */
static struct lock_class_key kwik_quic_sk_key[2], kwik_quic_slock_key[2];
static const char *const kwik_quic_sk_name[2] = {
	"sk_lock-AF_INET-KWIK-QUIC", "sk_lock-AF_INET6-KWIK-QUIC",
};

static const char *const kwik_quic_slock_name[2] = {
	"slock-AF_INET-KWIK-QUIC", "slock-AF_INET6-KWIK-QUIC",
};

static void kwik_quic_reclassify(struct socket *sock, int family)
{
	int i = family == AF_INET6;

	if (WARN_ON_ONCE(!sock_allow_reclassification(sock->sk)))
		return;
	sock_lock_init_class_and_name(sock->sk, kwik_quic_slock_name[i],
				      &kwik_quic_slock_key[i],
				      kwik_quic_sk_name[i],
				      &kwik_quic_sk_key[i]);
}
#else
static void kwik_quic_reclassify(struct socket *sock, int family)
{
}
#endif

static int kwik_quic_create(struct net *net, int family, const char *cc,
			    struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, family, SOCK_STREAM, IPPROTO_QUIC, &sock);
	if (err)
		return err;
	kwik_quic_reclassify(sock, family);
	sock->sk->sk_allocation = GFP_KERNEL;
	err = kwik_quic_setup(sock, cc);
	if (err) {
		sock_release(sock);
		return err;
	}
	*res = sock;
	return 0;
}

/*
 * quic.ko's connect() does not wait for the network: it sets the
 * connection up and the handshake (tlshd) sends the first packet.
 */
static int kwik_quic_connect(struct net *net,
			     const struct sockaddr_storage *remote,
			     const struct sockaddr_storage *local,
			     const char *cc, struct socket **res)
{
	struct socket *sock;
	int err;

	err = kwik_quic_create(net, remote->ss_family, cc, &sock);
	if (err)
		return err;
	if (local->ss_family) {
		err = kernel_bind(sock, (struct sockaddr *)local,
				  kwik_addr_len(local));
		if (err)
			goto fail;
	}
	err = kernel_connect(sock, (struct sockaddr *)remote,
			     kwik_addr_len(remote), O_NONBLOCK);
	if (err)
		goto fail;
	*res = sock;
	return 0;
fail:
	sock_release(sock);
	return err;
}

/* Connected enough for the handshake as soon as connect() returned. */
static int kwik_quic_connected(struct socket *sock)
{
	int err = sock_error(sock->sk);

	if (err)
		return err;
	switch (READ_ONCE(sock->sk->sk_state)) {
	case KWIK_QUIC_SS_ESTABLISHING:
	case KWIK_QUIC_SS_ESTABLISHED:
		return 1;
	default:
		return -ECONNRESET;
	}
}

static int kwik_quic_listen(struct net *net,
			    const struct sockaddr_storage *local,
			    const char *cc, struct socket **res)
{
	struct socket *sock;
	int err;

	err = kwik_quic_create(net, local->ss_family, cc, &sock);
	if (err)
		return err;
	err = kernel_bind(sock, (struct sockaddr *)local, kwik_addr_len(local));
	if (!err)
		err = kernel_listen(sock, SOMAXCONN);
	if (err) {
		sock_release(sock);
		return err;
	}
	*res = sock;
	return 0;
}

static int kwik_quic_accept(struct socket *lsock, struct socket **res)
{
	int err = kernel_accept(lsock, res, O_NONBLOCK);

	if (!err)
		(*res)->sk->sk_allocation = GFP_KERNEL;
	return err;
}

/*
 * tlshd said the handshake succeeded: the connection must now be
 * established (1-RTT keys installed).  The stream state starts here (the
 * core calls release() for it when it drops the socket).  The client
 * opens the path's stream, so that every later send names it without
 * MSG_QUIC_STREAM_NEW.
 */
static int kwik_quic_secured(struct socket *sock, bool server)
{
	struct quic_stream_info sinfo = {
		.stream_id = KWIK_QUIC_STREAM,
	};
	unsigned int len = sizeof(sinfo);

	if (READ_ONCE(sock->sk->sk_state) != KWIK_QUIC_SS_ESTABLISHED)
		return -EPROTO;
	if (WARN_ON_ONCE(kwik_quic_ctx(sock)))
		return -EEXIST;
	if (!kwik_quic_ctx_new(sock, server))
		return -ENOMEM;
	if (server)
		return 0;
	return quic_do_getsockopt(sock->sk, QUIC_SOCKOPT_STREAM_OPEN,
				  KERNEL_SOCKPTR(&sinfo), KERNEL_SOCKPTR(&len));
}

/*
 * Did the peer close the connection on purpose?  Its CONNECTION_CLOSE
 * leaves its error code (a Kwik peer's: KWIK_QUIC_ERR_CLOSE) or a reason
 * phrase in the socket; quic.ko's idle timer leaves neither.
 */
static bool kwik_quic_peer_closed(struct socket *sock)
{
	struct quic_connection_close c = {};
	unsigned int len = sizeof(c);

	if (quic_do_getsockopt(sock->sk, QUIC_SOCKOPT_CONNECTION_CLOSE,
			       KERNEL_SOCKPTR(&c), KERNEL_SOCKPTR(&len)))
		return false;
	return c.errcode || c.phrase[0];
}

/*
 * A closed connection reads and writes as a reset path, or as a timed
 * out one when it closed after a silence (KWIK_QUIC_SILENT) and not by
 * the peer's word: under load a peer's close can come after seconds
 * without a read.
 */
static int kwik_quic_closed_err(struct socket *sock, int err)
{
	struct kwik_quic_ctx *ctx;

	if (READ_ONCE(sock->sk->sk_state) != KWIK_QUIC_SS_CLOSED &&
	    err != -EPIPE && err != -ENOTCONN)
		return err;
	ctx = kwik_quic_ctx(sock);
	if (!ctx || time_before(jiffies, ctx->last_rx + KWIK_QUIC_SILENT) ||
	    kwik_quic_peer_closed(sock))
		return -ECONNRESET;
	if (!ctx->timed_out) {
		ctx->timed_out = true;
		atomic_long_inc(&kwik_quic_idle);
	}
	return -ETIMEDOUT;
}

/*
 * Enough queued that the path need not ask the sessions for more?  Then
 * -EAGAIN: quic.ko calls sk_write_space as acknowledgments free send
 * memory (outqueue.c), which requeues the path's work.
 */
static bool kwik_quic_queue_full(struct sock *sk)
{
#ifdef KWIK_QUIC_INTERNAL
	return READ_ONCE(quic_outq(sk)->unsent_bytes) >= KWIK_QUIC_NOTSENT_LOWAT;
#else
	return READ_ONCE(sk->sk_wmem_queued) >= KWIK_QUIC_WMEM_MAX;
#endif
}

/* ---- Transmit ---- */

/* Send @len bytes of @iov on stream @id with @flags (MSG_QUIC_STREAM_*). */
static int kwik_quic_sendmsg(struct socket *sock, s64 id, u32 flags,
			     struct kvec *iov, size_t n, size_t len)
{
	union {
		struct cmsghdr cmsg;
		u8 space[CMSG_SPACE(sizeof(struct quic_stream_info))];
	} u = {};
	struct quic_stream_info *sinfo;
	struct msghdr msg = {
		.msg_control = &u,
		.msg_controllen = CMSG_LEN(sizeof(*sinfo)),
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	int ret;

	u.cmsg.cmsg_level = SOL_QUIC;
	u.cmsg.cmsg_type = QUIC_STREAM_INFO;
	u.cmsg.cmsg_len = CMSG_LEN(sizeof(*sinfo));
	sinfo = (struct quic_stream_info *)CMSG_DATA(&u.cmsg);
	sinfo->stream_id = id;
	sinfo->stream_flags = flags;

	ret = kernel_sendmsg(sock, &msg, iov, n, len);
	/* Stream flow control: like a full send buffer, MAX_STREAM_DATA
	 * from the peer calls write_space.
	 */
	if (ret == -ENOSPC)
		return -EAGAIN;
	if (ret < 0 && ret != -EAGAIN)
		return kwik_quic_closed_err(sock, ret);
	return ret;
}

/*
 * End our direction of @strm: a FIN (the session let go of the path) or
 * a RESET_STREAM (it was reset).  Never inside a frame: then it waits
 * until the frame is out.  A FIN that finds the socket full is tried
 * again on the next send or receive.
 */
static void kwik_quic_end_tx(struct kwik_quic_ctx *ctx,
			     struct kwik_quic_stream *strm, u8 how)
{
	struct quic_errinfo info = {
		.stream_id = strm->id,
		.errcode = KWIK_QUIC_ERR_RESET,
	};
	struct kvec iov = {};
	int err;

	if (strm->tx_done || strm->id == KWIK_QUIC_STREAM)
		return;
	if (!strm->end_pending)
		ctx->npending++;
	/* A reset wins over a FIN still waiting. */
	strm->end_pending = max(strm->end_pending, how);
	if (ctx->tx_left && ctx->tx_strm == strm)
		return;
	if (strm->end_pending == KWIK_QUIC_END_RESET) {
		err = quic_do_setsockopt(ctx->sock->sk,
					 QUIC_SOCKOPT_STREAM_RESET,
					 KERNEL_SOCKPTR(&info), sizeof(info));
		if (!err)
			atomic_long_inc(&kwik_quic_resets);
	} else {
		err = kwik_quic_sendmsg(ctx->sock, strm->id,
					MSG_QUIC_STREAM_FIN, &iov, 0, 0);
		if (err == -EAGAIN)
			return;
	}
	/* Done, or the stream is past taking either (nothing to undo). */
	strm->end_pending = KWIK_QUIC_END_NONE;
	ctx->npending--;
	strm->tx_done = true;
	kwik_quic_maybe_free(ctx, strm);
}

static void kwik_quic_end_pending(struct kwik_quic_ctx *ctx)
{
	struct kwik_quic_stream *strm;
	struct hlist_node *tmp;
	int b;

	if (!ctx->npending)
		return;
	hash_for_each_safe(ctx->by_id, b, tmp, strm, id_node)
		if (strm->end_pending)
			kwik_quic_end_tx(ctx, strm, strm->end_pending);
}

/* The core is done with @session on this path: end its stream (FIN). */
static void kwik_quic_session_end(struct socket *sock, u64 session)
{
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	struct kwik_quic_stream *strm;

	if (!ctx)
		return;
	strm = kwik_quic_lookup(ctx, session);
	if (!strm)
		return;
	kwik_quic_unmap(strm);
	kwik_quic_end_tx(ctx, strm, KWIK_QUIC_END_FIN);
}

/*
 * The stream for a frame of @type for @session (NULL: stream 0).  A
 * client's OPEN or JOIN opens the session's stream on this path; when
 * the server allows no more streams now, the session rides stream 0.
 */
static int kwik_quic_tx_stream(struct kwik_quic_ctx *ctx, u8 type,
			       u64 session, struct kwik_quic_stream **res)
{
	struct quic_stream_info sinfo = {
		.stream_id = -1,
		.stream_flags = MSG_QUIC_STREAM_DONTWAIT,
	};
	unsigned int len = sizeof(sinfo);
	struct kwik_quic_stream *strm;
	int err;

	*res = NULL;
	/* RESETs go on stream 0: a RESET_STREAM may discard what precedes. */
	if (!session || type == KWIK_FT_RESET)
		return 0;
	strm = kwik_quic_lookup(ctx, session);
	if (strm) {
		*res = strm;
		return 0;
	}
	if (ctx->server || (type != KWIK_FT_OPEN && type != KWIK_FT_JOIN))
		return 0;
	if (ctx->nstreams >= KWIK_QUIC_MAX_STREAMS)
		goto fallback;
	err = quic_do_getsockopt(ctx->sock->sk, QUIC_SOCKOPT_STREAM_OPEN,
				 KERNEL_SOCKPTR(&sinfo), KERNEL_SOCKPTR(&len));
	if (err == -EAGAIN)
		goto fallback;
	if (err)
		return kwik_quic_closed_err(ctx->sock, err);
	if (kwik_quic_find(ctx, sinfo.stream_id))
		return -EPROTO;		/* quic.ko reused an ID we know */
	strm = kwik_quic_add(ctx, sinfo.stream_id);
	if (!strm) {
		/* Never used: the peer sees nothing of it. */
		return -ENOMEM;
	}
	kwik_quic_map(ctx, strm, session);
	atomic_long_inc(&kwik_quic_opened);
	*res = strm;
	return 0;
fallback:
	atomic_long_inc(&kwik_quic_fallback);
	return 0;
}

/*
 * path.c hands over one frame at a time, header first, and the rest of a
 * partly sent frame before anything else: a frame starts whenever the
 * previous one is all out.  The frame goes on its session's stream.
 */
static int kwik_quic_send(struct socket *sock, struct kvec *iov, size_t n,
			  size_t len)
{
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	struct kwik_quic_stream *strm;
	const u8 *hdr;
	int ret;

	if (WARN_ON_ONCE(!ctx))
		return -EPROTO;
	kwik_quic_end_pending(ctx);
	if (kwik_quic_queue_full(sock->sk))
		return -EAGAIN;
	if (!ctx->tx_left) {
		if (WARN_ON_ONCE(!n || iov[0].iov_len < KWIK_HDR_LEN))
			return -EINVAL;
		hdr = iov[0].iov_base;
		ctx->tx_type = hdr[0];
		ctx->tx_session = get_unaligned_be64(hdr + 8);
		ret = kwik_quic_tx_stream(ctx, ctx->tx_type, ctx->tx_session,
					  &strm);
		if (ret)
			return ret;
		ctx->tx_strm = strm;
		ctx->tx_left = KWIK_HDR_LEN + get_unaligned_be32(hdr + 4);
	}
	strm = ctx->tx_strm;
	ret = kwik_quic_sendmsg(sock, strm ? strm->id : KWIK_QUIC_STREAM, 0,
				iov, n, min_t(size_t, len, ctx->tx_left));
	if (ret <= 0)
		return ret;
	ctx->tx_left -= min_t(u32, ret, ctx->tx_left);
	if (ctx->tx_left)
		return ret;
	/* A whole frame is out: what waited for it. */
	if (strm && strm->end_pending)
		kwik_quic_end_tx(ctx, strm, strm->end_pending);
	if (ctx->tx_type == KWIK_FT_RESET) {
		strm = kwik_quic_lookup(ctx, ctx->tx_session);
		if (strm) {
			kwik_quic_unmap(strm);
			kwik_quic_end_tx(ctx, strm, KWIK_QUIC_END_RESET);
		}
	}
	return ret;
}

/* ---- Receive ---- */

/*
 * A frame header from @strm: its whole length, or -EPROTO.  The core
 * checks the frame itself; here only what the mapping needs: a sane
 * length, and each session stream speaking for its one session, which
 * the server learns from the stream's first frame (the client's OPEN or
 * JOIN).
 */
static int kwik_quic_rx_hdr(struct kwik_quic_ctx *ctx,
			    struct kwik_quic_stream *strm, const u8 *hdr)
{
	u32 len = get_unaligned_be32(hdr + 4);
	u64 session = get_unaligned_be64(hdr + 8);
	u8 type = hdr[0];

	if (!type || type >= __KWIK_FT_MAX ||
	    len > KWIK_FIXED_MAX + KWIK_DATA_MAX)
		return -EPROTO;
	if (strm->id == KWIK_QUIC_STREAM)
		return KWIK_HDR_LEN + len;
	if (!session)
		return -EPROTO;		/* path frames belong on stream 0 */
	if (!strm->session) {
		if (type != KWIK_FT_OPEN && type != KWIK_FT_JOIN)
			return -EPROTO;
		if (kwik_quic_lookup(ctx, session))
			return -EPROTO;	/* one stream per session */
		kwik_quic_map(ctx, strm, session);
		atomic_long_inc(&kwik_quic_accepted);
	} else if (strm->session != session) {
		return -EPROTO;
	}
	return KWIK_HDR_LEN + len;
}

/*
 * Take the next frame from what the last read brought: 1 with ctx->out
 * set to a whole frame, 0 when all of it went into a partial frame (or
 * was used up), or -EPROTO.
 */
static int kwik_quic_rx_carve(struct kwik_quic_ctx *ctx)
{
	struct kwik_quic_stream *strm = ctx->scr_strm;
	const u8 *p = ctx->scratch + ctx->scr_off;
	u32 avail = ctx->scr_len - ctx->scr_off, n;
	int total;

	if (!strm->have && avail >= KWIK_HDR_LEN) {
		total = kwik_quic_rx_hdr(ctx, strm, p);
		if (total < 0)
			return total;
		if (avail >= total) {
			/* Whole in the read: straight from there. */
			ctx->out = p;
			ctx->out_len = total;
			ctx->out_off = 0;
			ctx->scr_off += total;
			return 1;
		}
	}
	/* The header first, into the stream's own buffer... */
	if (strm->have < KWIK_HDR_LEN) {
		n = min_t(u32, avail, KWIK_HDR_LEN - strm->have);
		memcpy(strm->hdr + strm->have, p, n);
		strm->have += n;
		p += n;
		avail -= n;
		ctx->scr_off += n;
		if (strm->have < KWIK_HDR_LEN)
			return 0;
		total = kwik_quic_rx_hdr(ctx, strm, strm->hdr);
		if (total < 0)
			return total;
		if (ctx->buffered + total > KWIK_QUIC_RX_BUF_MAX)
			return -EPROTO;
		strm->buf = kmalloc(total, GFP_KERNEL);
		if (!strm->buf)
			return -ENOMEM;
		ctx->buffered += total;
		strm->need = total;
		memcpy(strm->buf, strm->hdr, KWIK_HDR_LEN);
	}
	/* ... then the rest of the frame. */
	n = min_t(u32, avail, strm->need - strm->have);
	memcpy(strm->buf + strm->have, p, n);
	strm->have += n;
	ctx->scr_off += n;
	if (strm->have < strm->need)
		return 0;
	ctx->out = strm->buf;
	ctx->out_free = strm->buf;
	ctx->out_len = strm->need;
	ctx->out_off = 0;
	ctx->buffered -= strm->need;
	strm->buf = NULL;
	strm->have = 0;
	strm->need = 0;
	return 1;
}

/* The read's stream had its FIN: 0 for stream 0 (the path's end). */
static int kwik_quic_rx_fin(struct kwik_quic_ctx *ctx,
			    struct kwik_quic_stream *strm)
{
	if (strm->have)
		return -EPROTO;		/* a frame cut short */
	if (strm->id == KWIK_QUIC_STREAM)
		return 0;
	strm->rx_done = true;
	kwik_quic_maybe_free(ctx, strm);
	return 1;
}

/*
 * quic.ko's stream events: only the peer resetting a stream (or making
 * quic.ko reset ours with STOP_SENDING) matters.  A session stream reset
 * without a Kwik RESET frame (which names the session on stream 0 and
 * marks its RESET_STREAM) becomes a RESET for the core; either way our
 * direction ends too, so the stream goes at both ends.
 */
static int kwik_quic_rx_event(struct kwik_quic_ctx *ctx, const u8 *data,
			      int len)
{
	struct kwik_quic_stream *strm;
	struct quic_stream_update u;

	if (len < 1 + (int)sizeof(u) || data[0] != QUIC_EVENT_STREAM_UPDATE)
		return 0;
	memcpy(&u, data + 1, sizeof(u));
	if (u.state != QUIC_STREAM_RECV_STATE_RESET_RECVD &&
	    u.state != QUIC_STREAM_SEND_STATE_RESET_SENT)
		return 0;
	if (u.id == KWIK_QUIC_STREAM)
		return -ECONNRESET;
	strm = kwik_quic_find(ctx, u.id);
	if (!strm) {
		/*
		 * Reset before anything of it reached Kwik (an OPEN aborted
		 * at once: quic.ko dropped the OPEN).  Reset our direction
		 * too, or quic.ko keeps the stream and its credit.
		 */
		if (ctx->server && u.state == QUIC_STREAM_RECV_STATE_RESET_RECVD) {
			struct quic_errinfo info = {
				.stream_id = u.id,
				.errcode = KWIK_QUIC_ERR_RESET,
			};

			if (!quic_do_setsockopt(ctx->sock->sk,
						QUIC_SOCKOPT_STREAM_RESET,
						KERNEL_SOCKPTR(&info),
						sizeof(info)))
				atomic_long_inc(&kwik_quic_resets);
		}
		return 0;
	}
	if (u.state == QUIC_STREAM_RECV_STATE_RESET_RECVD) {
		kwik_quic_drop_partial(ctx, strm);
		strm->rx_done = true;
	} else {
		/* Our direction is gone: a frame cut in it is lost. */
		if (ctx->tx_left && ctx->tx_strm == strm)
			return -EPROTO;
		strm->tx_done = true;
	}
	if (strm->mapped) {
		if (u.errcode != KWIK_QUIC_ERR_RESET) {
			strm->synth = true;
			list_add_tail(&strm->synth_node, &ctx->synth);
			atomic_long_inc(&kwik_quic_synth);
		}
		kwik_quic_unmap(strm);
	}
	/*
	 * Our direction ends too.  Ending it may free the stream, so only
	 * one of the two: freeing it again here was a double free whenever
	 * the peer's RESET_STREAM came before its Kwik RESET on stream 0.
	 */
	if (!strm->tx_done)
		kwik_quic_end_tx(ctx, strm, KWIK_QUIC_END_RESET);
	else
		kwik_quic_maybe_free(ctx, strm);
	return 0;
}

/* A RESET frame (reason ABORT) for the session of a stream the peer reset. */
static void kwik_quic_rx_synth(struct kwik_quic_ctx *ctx)
{
	struct kwik_quic_stream *strm;
	u8 *p = ctx->synth_buf;

	strm = list_first_entry(&ctx->synth, struct kwik_quic_stream,
				synth_node);
	list_del_init(&strm->synth_node);
	strm->synth = false;
	memset(p, 0, sizeof(ctx->synth_buf));
	p[0] = KWIK_FT_RESET;
	put_unaligned_be32(8, p + 4);
	put_unaligned_be64(strm->session, p + 8);
	put_unaligned_be32(KWIK_RR_ABORT, p + KWIK_HDR_LEN);
	ctx->out = p;
	ctx->out_len = sizeof(ctx->synth_buf);
	ctx->out_off = 0;
	kwik_quic_maybe_free(ctx, strm);
}

/*
 * One read from the socket into ctx->scratch: 1 with data of one stream
 * there (or an event handled), 0 at the path stream's FIN, -EAGAIN, or
 * an error.
 */
static int kwik_quic_rx_read(struct kwik_quic_ctx *ctx)
{
	union {
		struct cmsghdr cmsg;
		u8 space[CMSG_SPACE(sizeof(struct quic_stream_info))];
	} u = {};
	const struct quic_stream_info *sinfo;
	struct kwik_quic_stream *strm;
	struct socket *sock = ctx->sock;
	struct kvec iov = {
		.iov_base = ctx->scratch,
		.iov_len = sizeof(ctx->scratch),
	};
	struct msghdr msg = {
		.msg_control = &u,
		.msg_controllen = sizeof(u),
	};
	int ret;

	ret = kernel_recvmsg(sock, &msg, &iov, 1, iov.iov_len, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return ret;
	if (ret < 0)
		return kwik_quic_closed_err(sock, ret);
	ctx->last_rx = jiffies;
	if (msg.msg_flags & MSG_QUIC_NOTIFICATION)
		return kwik_quic_rx_event(ctx, ctx->scratch, ret) ?: 1;
	/* Datagrams are never asked for: not a Kwik peer. */
	if (msg.msg_flags & MSG_QUIC_DATAGRAM)
		return -EPROTO;
	/* put_cmsg() advanced msg_control past what it wrote. */
	if (msg.msg_controllen == sizeof(u) ||
	    u.cmsg.cmsg_level != SOL_QUIC ||
	    u.cmsg.cmsg_type != QUIC_STREAM_INFO ||
	    u.cmsg.cmsg_len < CMSG_LEN(sizeof(*sinfo)))
		return -EPROTO;
	sinfo = (const struct quic_stream_info *)CMSG_DATA(&u.cmsg);
	strm = kwik_quic_find(ctx, sinfo->stream_id);
	if (!strm) {
		/*
		 * Only the client opens streams, bidirectional ones, and
		 * the server's max_streams_bidi bounds them (quic.ko
		 * enforces it; so do we).
		 */
		if (!ctx->server ||
		    (sinfo->stream_id & QUIC_STREAM_TYPE_MASK) ||
		    ctx->nstreams >= KWIK_QUIC_MAX_STREAMS)
			return -EPROTO;
		strm = kwik_quic_add(ctx, sinfo->stream_id);
		if (!strm)
			return -ENOMEM;
	}
	if (strm->rx_done)
		return -EPROTO;
	ctx->scr_strm = strm;
	ctx->scr_off = 0;
	ctx->scr_len = ret;
	ctx->scr_fin = sinfo->stream_flags & MSG_QUIC_STREAM_FIN;
	return 1;
}

/* Set ctx->out to the next whole frame: 1, 0 (path closed) or -errno. */
static int kwik_quic_rx_next(struct kwik_quic_ctx *ctx)
{
	struct kwik_quic_stream *strm;
	int ret, reads = 0;

	for (;;) {
		if (!list_empty(&ctx->synth)) {
			kwik_quic_rx_synth(ctx);
			return 1;
		}
		strm = ctx->scr_strm;
		if (strm && ctx->scr_off < ctx->scr_len) {
			ret = kwik_quic_rx_carve(ctx);
			if (ret)
				return ret;
			continue;
		}
		if (strm) {
			/* The read is used up: its FIN, if it had one. */
			ctx->scr_strm = NULL;
			if (ctx->scr_fin) {
				ret = kwik_quic_rx_fin(ctx, strm);
				if (ret <= 0)
					return ret;
			} else {
				kwik_quic_maybe_free(ctx, strm);
			}
		}
		/* Let other paths run now and then: -EINTR, call again. */
		if (reads++ == 16)
			return -EINTR;
		ret = kwik_quic_rx_read(ctx);
		if (ret <= 0)
			return ret;
	}
}

static int kwik_quic_recv(struct socket *sock, void *buf, size_t len)
{
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	u32 n;
	int ret;

	if (WARN_ON_ONCE(!ctx))
		return -EPROTO;
	kwik_quic_end_pending(ctx);
	if (ctx->out_off == ctx->out_len) {
		kfree(ctx->out_free);
		ctx->out_free = NULL;
		ret = kwik_quic_rx_next(ctx);
		if (ret <= 0)
			return ret;
	}
	n = min_t(u32, len, ctx->out_len - ctx->out_off);
	memcpy(buf, ctx->out + ctx->out_off, n);
	ctx->out_off += n;
	return n;
}

#ifdef KWIK_QUIC_INTERNAL
/*
 * A packet followed this closely by another did not go alone.  The core
 * leaves a lone one to its slower rule, as on TCP; for the others it
 * allows the peer's ACK delay (ack_delay_us), the timer quic.ko
 * acknowledges in-order data on.
 */
#define KWIK_QUIC_TOGETHER_US	10000

/*
 * How long ago the oldest packet not yet acknowledged nor declared lost
 * went out, and whether it went alone (its ACK may be a delayed one), as
 * TCP's metrics tell the core (kwik_path_overdue_us()).  A lost packet's
 * frames go again in a new packet, so this is never a resent one's
 * first send.  Under the socket's lock: ACKs and loss detection trim the
 * list, from softirq (bh_lock_sock) or the socket's owner.
 */
static void kwik_quic_oldest(struct sock *sk, struct kwik_path_metrics *m)
{
	struct list_head *list = &quic_outq(sk)->packet_sent_list;
	struct quic_packet_sent *head, *next;
	u64 now;
	bool slow;

	slow = lock_sock_fast(sk);
	head = list_first_entry_or_null(list, struct quic_packet_sent, list);
	/* Initial and Handshake packets sort first: none once connected. */
	if (head && head->level == QUIC_CRYPTO_APP) {
		now = ktime_to_us(ktime_get());
		m->oldest_us = now > head->sent_time ?
			(u32)min_t(u64, now - head->sent_time, U32_MAX) : 1;
		next = list_is_last(&head->list, list) ? NULL :
			list_next_entry(head, list);
		m->oldest_alone = !next || next->sent_time >
			head->sent_time + KWIK_QUIC_TOGETHER_US;
	}
	unlock_sock_fast(sk, slow);
}

/*
 * quic.ko keeps no delivery rate, and cwnd / srtt, the scheduler's
 * fallback, runs far above a QUIC path's rate once the window has grown
 * past what kwik_quic_unsent() lets fly: a slow path would then never
 * be worth waiting for, and an idle one whose srtt was taken behind a
 * queue never again.  So sample it, as the path's work looks: stream
 * bytes queued minus those unsent or in flight, over at least an srtt.
 * A sample is full, not application-limited, if at every look during
 * it the socket had bytes waiting or the flight was over what the gate
 * keeps; the core's filter (kwik_path_filter_rate()) takes only those.
 */
static void kwik_quic_rate(struct kwik_quic_ctx *ctx, struct sock *sk,
			   struct kwik_path_metrics *m)
{
	const struct quic_outqueue *outq = quic_outq(sk);
	u32 unsent = READ_ONCE(outq->unsent_bytes);
	u64 queued = READ_ONCE(outq->bytes);
	u64 ahead = (u64)READ_ONCE(outq->inflight) + unsent;
	u64 done = queued > ahead ? queued - ahead : 0;
	u64 now = ktime_to_us(ktime_get());

	if (!unsent && !ctx->gate_shut)
		ctx->rate_full = false;
	/* Idle since the sample began: not slow, keep the last sample. */
	if (!ctx->rate_t0 || done < ctx->rate_d0 ||
	    (!ahead && done == ctx->rate_d0)) {
		ctx->rate_t0 = now;
		ctx->rate_d0 = done;
		ctx->rate_full = true;
	} else if (m->srtt_us && now - ctx->rate_t0 >= m->srtt_us) {
		ctx->rate = div64_u64((done - ctx->rate_d0) * USEC_PER_SEC,
				      now - ctx->rate_t0);
		ctx->rate_app_limited = !ctx->rate_full;
		if (ctx->rate_full)
			ctx->rate_kept = ctx->rate;
		ctx->rate_t0 = now;
		ctx->rate_d0 = done;
		ctx->rate_full = true;
	}
	m->delivery_rate = ctx->rate;
	m->rate_app_limited = ctx->rate_app_limited;
}

/*
 * From quic.ko's socket (lockless, like TCP's): RTT and congestion window
 * of its recovery state (RFC 9002), bytes in flight, what is queued and
 * not yet sent, the age of the newest acknowledgment in the application
 * packet number space, (locked) the oldest packet in flight, and the
 * delivery rate sampled here.  No loss count (quic.ko keeps none per
 * connection).  Called by the path's work only.  Needs quic.ko's own
 * headers of the very quic.ko that is loaded: struct quic_sock is not
 * an ABI.
 */
static void kwik_quic_metrics(struct socket *sock, struct kwik_path_metrics *m)
{
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	struct sock *sk = sock->sk;
	const struct quic_cong *cong = quic_cong(sk);
	const struct quic_outqueue *outq = quic_outq(sk);
	const struct quic_pnspace *space = quic_pnspace(sk, QUIC_CRYPTO_APP);
	u64 acked = READ_ONCE(space->max_pn_acked_time);
	u64 now = ktime_to_us(ktime_get());

	m->srtt_us = READ_ONCE(cong->smoothed_rtt);
	m->rttvar_us = READ_ONCE(cong->rttvar);
	m->cwnd_bytes = READ_ONCE(cong->window);
	m->inflight_bytes = READ_ONCE(outq->inflight);
	m->unacked_bytes = m->inflight_bytes + READ_ONCE(outq->unsent_bytes);
	m->ack_age_us = acked && now > acked ?
		(u32)min_t(u64, now - acked, U32_MAX) : 0;
	/* quic.ko acknowledges in-order data on its ACK-delay timer. */
	m->ack_delay_us = READ_ONCE(cong->max_ack_delay);
	if (m->inflight_bytes)
		kwik_quic_oldest(sk, m);
	if (ctx)
		kwik_quic_rate(ctx, sk, m);
}

/*
 * Bytes ahead of new data: those queued and not sent yet, and those in
 * flight beyond what keeps the queue short (see KWIK_QUIC_QUEUE_US).
 * After an idle spell @rate is 0 (the core's filter has aged out), and
 * the latest full sample stands in, however old: the window quic.ko
 * kept is what must not go out at once.  Before the first, flight /
 * srtt does.
 */
static u32 kwik_quic_unsent(struct socket *sock, u32 rate)
{
	struct kwik_quic_ctx *ctx = kwik_quic_ctx(sock);
	struct sock *sk = sock->sk;
	const struct quic_cong *cong = quic_cong(sk);
	u32 unsent = READ_ONCE(quic_outq(sk)->unsent_bytes);
	u32 flight = READ_ONCE(quic_outq(sk)->inflight);
	u32 srtt = READ_ONCE(cong->smoothed_rtt);
	u32 base = READ_ONCE(cong->min_rtt);
	u64 bps = rate, keep, floor;

	if (!ctx || !base || !srtt)
		return unsent;
	if (!bps)
		bps = ctx->rate_kept ?:
		      div_u64((u64)flight * USEC_PER_SEC, srtt);
	keep = div_u64(bps * (base + max(base, KWIK_QUIC_QUEUE_US)),
		       USEC_PER_SEC);
	floor = clamp_t(u64, div_u64(bps * KWIK_QUIC_FLIGHT_US, USEC_PER_SEC),
			KWIK_QUIC_FLIGHT_MIN, KWIK_QUIC_FLIGHT_MAX);
	keep = max(keep, floor);
	ctx->gate_shut = flight > keep;
	if (!ctx->gate_shut)
		return unsent;
	return (u32)min_t(u64, (u64)unsent + flight - keep, U32_MAX);
}
#else
/* Without quic.ko's headers: nothing measured (the scheduler's defaults). */
static void kwik_quic_metrics(struct socket *sock, struct kwik_path_metrics *m)
{
}
#endif

static const struct kwik_transport_ops kwik_quic_ops = {
	.type		= KWIK_TRANSPORT_QUIC,
	.flags		= KWIK_TRANSPORT_F_SECURE_ONLY,
	.name		= "quic",
	/*
	 * quic.ko has no bbr, and its default, reno, leaves slow start only
	 * on loss: with a full bottleneck buffer its RTT grows to seconds
	 * and a lost packet holds the session's stream back for as long.
	 * Its cubic leaves slow start on RTT growth (HyStart++).
	 */
	.default_cc	= "cubic",
	.owner		= THIS_MODULE,
	.connect	= kwik_quic_connect,
	.connected	= kwik_quic_connected,
	.listen		= kwik_quic_listen,
	.accept		= kwik_quic_accept,
	.check_cc	= kwik_quic_check_cc,
	.metrics	= kwik_quic_metrics,
#ifdef KWIK_QUIC_INTERNAL
	.unsent		= kwik_quic_unsent,
#endif
	.secured	= kwik_quic_secured,
	.send		= kwik_quic_send,
	.recv		= kwik_quic_recv,
	.session_end	= kwik_quic_session_end,
	.release	= kwik_quic_release,
};

static int __init kwik_quic_init(void)
{
	return kwik_transport_register(&kwik_quic_ops);
}

/*
 * Paths and listeners hold a reference on this module (try_module_get
 * in kwik_transport_get()) for as long as they use the ops, so by now
 * none is left.
 */
static void __exit kwik_quic_exit(void)
{
	kwik_transport_unregister(&kwik_quic_ops);
	WARN_ON(!hash_empty(kwik_quic_ctxs));
}

module_init(kwik_quic_init);
module_exit(kwik_quic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kwik: QUIC paths over lxin/quic");
