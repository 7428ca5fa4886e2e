// SPDX-License-Identifier: GPL-2.0
/* The "tcp" transport: a kernel TCP socket carries the path. */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/kwik.h>

#include "path.h"
#include "transport.h"

static int kwik_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static void kwik_tcp_set_unsent(struct socket *sock, u32 bytes)
{
	WRITE_ONCE(tcp_sk(sock->sk)->notsent_lowat, bytes);
}

/*
 * A segment followed this closely by another has its ACK delayed at most
 * this long (a receiver acknowledges every second segment at once).
 */
#define KWIK_TCP_TOGETHER_US	10000

static u32 kwik_tcp_unsent(struct socket *sock, u32 rate)
{
	const struct tcp_sock *tp = tcp_sk(sock->sk);

	return READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt);
}

static void kwik_tcp_tune(struct socket *sock)
{
	/* Kwik batches frames itself; Nagle would only add latency. */
	tcp_sock_set_nodelay(sock->sk);
	kwik_tcp_set_unsent(sock, KWIK_UNSENT_MAX);
	sock->sk->sk_allocation = GFP_KERNEL;
}

/*
 * TCP_CONGESTION through the socket's own setsockopt: the kernel does not
 * export tcp_set_congestion_control().  Loads tcp_NAME if needed.
 */
static int kwik_tcp_set_cc(struct socket *sock, const char *cc)
{
	if (!cc[0])
		return 0;
	return sock->ops->setsockopt(sock, SOL_TCP, TCP_CONGESTION,
				     KERNEL_SOCKPTR((void *)cc), strlen(cc));
}

static int kwik_tcp_check_cc(struct net *net, const char *cc)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	err = kwik_tcp_set_cc(sock, cc);
	sock_release(sock);
	return err;
}

static int kwik_tcp_connect(struct net *net,
			    const struct sockaddr_storage *remote,
			    const struct sockaddr_storage *local,
			    const char *cc, struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, remote->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	kwik_tcp_tune(sock);
	err = kwik_tcp_set_cc(sock, cc);
	if (err)
		goto fail;
	if (local->ss_family) {
		err = kernel_bind(sock, (struct sockaddr *)local,
				  kwik_addr_len(local));
		if (err)
			goto fail;
	}
	err = kernel_connect(sock, (struct sockaddr *)remote,
			     kwik_addr_len(remote), O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		goto fail;
	*res = sock;
	return err;
fail:
	sock_release(sock);
	return err;
}

static int kwik_tcp_connected(struct socket *sock)
{
	struct sock *sk = sock->sk;
	int err = sock_error(sk);

	if (err)
		return err;
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_ESTABLISHED:
		return 1;
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return 0;
	default:
		return -ECONNRESET;
	}
}

static int kwik_tcp_listen(struct net *net, const struct sockaddr_storage *local,
			   const char *cc, struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, local->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	sock_set_reuseaddr(sock->sk);
	/* Set on the listener, it is what accepted children start with. */
	err = kwik_tcp_set_cc(sock, cc);
	if (!err)
		err = kernel_bind(sock, (struct sockaddr *)local,
				  kwik_addr_len(local));
	if (!err)
		err = kernel_listen(sock, SOMAXCONN);
	if (err) {
		sock_release(sock);
		return err;
	}
	*res = sock;
	return 0;
}

static int kwik_tcp_accept(struct socket *lsock, struct socket **res)
{
	int err = kernel_accept(lsock, res, O_NONBLOCK);

	if (!err)
		kwik_tcp_tune(*res);
	return err;
}

/*
 * How long ago the oldest unacknowledged segment was (last) sent, and
 * whether it may have reached the peer alone: a receiver delays the ACK
 * of a lone segment, not of a second one soon after it.  And the age of
 * the last ACK that acknowledged (or SACKed) data: rcv_tstamp also moves
 * for a segment of the peer's that acknowledges nothing new whenever
 * TCP's slow path takes it, so a path that hears the peer but delivers
 * nothing of ours (a one-way failure) would turn fresh again with such
 * segments.  Data leaving an idle connection (nothing in flight: after
 * an idle spell, or after the peer's window held it) sets delivered_mstamp
 * and first_tx_mstamp to its departure: while they are equal nothing was
 * delivered since, and the age counts from that departure, as an idle
 * start (kwik_path_wait_us()).  Under the socket's spinlock: ACK
 * processing trims the retransmit queue and moves both stamps.
 */
static void kwik_tcp_oldest(struct sock *sk, struct kwik_path_metrics *m)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head, *next;
	u64 now, sent;
	bool slow;

	slow = lock_sock_fast(sk);
	head = tcp_rtx_queue_head(sk);
	if (head) {
		now = tcp_clock_us();
		if (tp->delivered_mstamp == tp->first_tx_mstamp) {
			m->idle_start = true;
			m->ack_age_us = now > tp->first_tx_mstamp ?
				min_t(u64, now - tp->first_tx_mstamp, U32_MAX) : 0;
		} else if (now > tp->delivered_mstamp) {
			m->ack_age_us = max_t(u32, m->ack_age_us,
					      min_t(u64, now - tp->delivered_mstamp,
						    U32_MAX));
		}
		sent = tcp_skb_timestamp_us(head);
		/* Paced skbs carry their departure time: maybe ahead. */
		m->oldest_us = now > sent ? min_t(u64, now - sent, U32_MAX) : 1;
		next = skb_rb_next(head);
		m->oldest_alone = tcp_skb_pcount(head) < 2 &&
			(!next || tcp_skb_timestamp_us(next) >
				  sent + KWIK_TCP_TOGETHER_US);
	}
	unlock_sock_fast(sk, slow);
}

static void kwik_tcp_metrics(struct socket *sock, struct kwik_path_metrics *m)
{
	const struct tcp_sock *tp = tcp_sk(sock->sk);
	u32 mss = READ_ONCE(tp->mss_cache);
	u32 interval = READ_ONCE(tp->rate_interval_us);
	u32 write_seq = READ_ONCE(tp->write_seq);
	u32 segs = READ_ONCE(tp->segs_out);

	m->srtt_us = READ_ONCE(tp->srtt_us) >> 3;
	m->rttvar_us = READ_ONCE(tp->mdev_us) >> 2;
	m->cwnd_bytes = tcp_snd_cwnd(tp) * mss;
	m->unacked_bytes = write_seq - READ_ONCE(tp->snd_una);
	m->inflight_bytes = READ_ONCE(tp->snd_nxt) - READ_ONCE(tp->snd_una);
	m->delivery_rate = interval ?
		div_u64((u64)READ_ONCE(tp->rate_delivered) * mss * USEC_PER_SEC,
			interval) : 0;
	/* Updated with the rate under the socket lock; a hint read racily. */
	m->rate_app_limited = data_race(!!tp->rate_app_limited);
	m->ack_age_us = jiffies_to_usecs(jiffies - READ_ONCE(tp->rcv_tstamp));
	if (m->inflight_bytes)
		kwik_tcp_oldest(sock->sk, m);
	m->retrans_ppm = segs ?
		(u32)div_u64((u64)READ_ONCE(tp->total_retrans) * 1000000, segs) :
		0;
}

static const struct kwik_transport_ops kwik_tcp_ops = {
	.type		= KWIK_TRANSPORT_TCP,
	.name		= "tcp",
	/*
	 * bbr keeps a path's queue short, so the scheduler's estimates and
	 * stale-path detection follow the path's real RTT instead of a full
	 * bottleneck buffer.
	 */
	.default_cc	= "bbr",
	.owner		= NULL,		/* part of kwik.ko: must not pin it */
	.connect	= kwik_tcp_connect,
	.connected	= kwik_tcp_connected,
	.listen		= kwik_tcp_listen,
	.accept		= kwik_tcp_accept,
	.metrics	= kwik_tcp_metrics,
	.set_unsent	= kwik_tcp_set_unsent,
	.unsent		= kwik_tcp_unsent,
	.check_cc	= kwik_tcp_check_cc,
};

int kwik_transport_tcp_init(void)
{
	return kwik_transport_register(&kwik_tcp_ops);
}

void kwik_transport_tcp_exit(void)
{
	kwik_transport_unregister(&kwik_tcp_ops);
}
