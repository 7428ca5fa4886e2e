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
 * Data mapping (phase 1): one client-opened bidirectional stream, ID 0,
 * per connection carries the path's Kwik frame stream unchanged; frames
 * already name their session.  The client opens it once the handshake is
 * done, before its HELLO; anything on another stream is a protocol error.
 *
 * Every function here runs in process context (the path's or listener's
 * work, or netlink): quic.ko's socket calls take the socket lock and may
 * sleep.  The core's socket callbacks only queue that work.  quic.ko
 * moves a closed connection (peer CONNECTION_CLOSE, idle timeout,
 * stateless reset) to QUIC_SS_CLOSED (TCP_CLOSE) and calls
 * sk_state_change; the next receive then fails and the core fails the
 * path, so failover works as for TCP.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <linux/quic.h>
#include <linux/kwik.h>

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
 * Unsent bytes a path keeps in its QUIC socket, as TCP's notsent_lowat
 * (transport_tcp.c): quic.ko sizes its send buffer from the congestion
 * window (4x), so without a bound one path would take a session's whole
 * stream before the scheduler could give any of it to another path.
 * Without quic.ko's headers the bound is on all the socket's send memory
 * (queued and in flight), which is coarser.
 */
#define KWIK_QUIC_NOTSENT_LOWAT	(64 * 1024)
#define KWIK_QUIC_WMEM_MAX	(1024 * 1024)

/* quic.ko calls its states by TCP's names (net/quic/socket.h). */
#define KWIK_QUIC_SS_CLOSED		TCP_CLOSE
#define KWIK_QUIC_SS_ESTABLISHING	TCP_SYN_RECV
#define KWIK_QUIC_SS_ESTABLISHED	TCP_ESTABLISHED

static int kwik_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
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
 * and the congestion control if one was named.
 */
static int kwik_quic_setup(struct socket *sock, const char *cc)
{
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
	return quic_do_setsockopt(sock->sk, QUIC_SOCKOPT_CONFIG,
				  KERNEL_SOCKPTR(&config), sizeof(config));
}

static int kwik_quic_create(struct net *net, int family, const char *cc,
			    struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, family, SOCK_STREAM, IPPROTO_QUIC, &sock);
	if (err)
		return err;
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
 * established (1-RTT keys installed).  The client opens the path's
 * stream, so that every later send names it without MSG_QUIC_STREAM_NEW.
 */
static int kwik_quic_secured(struct socket *sock, bool server)
{
	struct quic_stream_info sinfo = {
		.stream_id = KWIK_QUIC_STREAM,
	};
	unsigned int len = sizeof(sinfo);

	if (READ_ONCE(sock->sk->sk_state) != KWIK_QUIC_SS_ESTABLISHED)
		return -EPROTO;
	if (server)
		return 0;
	return quic_do_getsockopt(sock->sk, QUIC_SOCKOPT_STREAM_OPEN,
				  KERNEL_SOCKPTR(&sinfo), KERNEL_SOCKPTR(&len));
}

/* A closed connection reads and writes as a reset path. */
static int kwik_quic_closed_err(struct socket *sock, int err)
{
	if (READ_ONCE(sock->sk->sk_state) == KWIK_QUIC_SS_CLOSED ||
	    err == -EPIPE || err == -ENOTCONN)
		return -ECONNRESET;
	return err;
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

static int kwik_quic_send(struct socket *sock, struct kvec *iov, size_t n,
			  size_t len)
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

	if (kwik_quic_queue_full(sock->sk))
		return -EAGAIN;
	u.cmsg.cmsg_level = SOL_QUIC;
	u.cmsg.cmsg_type = QUIC_STREAM_INFO;
	u.cmsg.cmsg_len = CMSG_LEN(sizeof(*sinfo));
	sinfo = (struct quic_stream_info *)CMSG_DATA(&u.cmsg);
	sinfo->stream_id = KWIK_QUIC_STREAM;
	sinfo->stream_flags = 0;

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

static int kwik_quic_recv(struct socket *sock, void *buf, size_t len)
{
	union {
		struct cmsghdr cmsg;
		u8 space[CMSG_SPACE(sizeof(struct quic_stream_info))];
	} u = {};
	const struct quic_stream_info *sinfo;
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_control = &u,
		.msg_controllen = sizeof(u),
	};
	int ret;

	ret = kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return ret;
	if (ret < 0)
		return kwik_quic_closed_err(sock, ret);
	/* Events and datagrams are never asked for: not a Kwik peer. */
	if (msg.msg_flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
		return -EPROTO;
	/* put_cmsg() advanced msg_control past what it wrote. */
	if (msg.msg_controllen == sizeof(u) ||
	    u.cmsg.cmsg_level != SOL_QUIC ||
	    u.cmsg.cmsg_type != QUIC_STREAM_INFO ||
	    u.cmsg.cmsg_len < CMSG_LEN(sizeof(*sinfo)))
		return -EPROTO;
	sinfo = (const struct quic_stream_info *)CMSG_DATA(&u.cmsg);
	if (sinfo->stream_id != KWIK_QUIC_STREAM)
		return -EPROTO;
	/* Kwik never ends the path's stream: a FIN is the path's end. */
	if (sinfo->stream_flags & MSG_QUIC_STREAM_FIN)
		return 0;
	/* An empty STREAM frame: nothing to hand up, look again. */
	return ret ?: -EINTR;
}

#ifdef KWIK_QUIC_INTERNAL
/*
 * From quic.ko's socket (lockless, like TCP's): RTT and congestion window
 * of its recovery state (RFC 9002), bytes in flight, what is queued and
 * not yet sent, and the age of the newest acknowledgment in the
 * application packet number space.  No delivery rate or loss count
 * (quic.ko keeps none per connection).  Needs quic.ko's own headers of
 * the very quic.ko that is loaded: struct quic_sock is not an ABI.
 */
static void kwik_quic_metrics(struct socket *sock, struct kwik_path_metrics *m)
{
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
	.owner		= THIS_MODULE,
	.connect	= kwik_quic_connect,
	.connected	= kwik_quic_connected,
	.listen		= kwik_quic_listen,
	.accept		= kwik_quic_accept,
	.check_cc	= kwik_quic_check_cc,
	.metrics	= kwik_quic_metrics,
	.secured	= kwik_quic_secured,
	.send		= kwik_quic_send,
	.recv		= kwik_quic_recv,
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
}

module_init(kwik_quic_init);
module_exit(kwik_quic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kwik: QUIC paths over lxin/quic");
