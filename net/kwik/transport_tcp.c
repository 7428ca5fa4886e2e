// SPDX-License-Identifier: GPL-2.0
/* The "tcp" transport: a kernel TCP socket carries the path. */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/kwik.h>

#include "transport.h"

static int kwik_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static void kwik_tcp_tune(struct socket *sock)
{
	/* Kwik batches frames itself; Nagle would only add latency. */
	tcp_sock_set_nodelay(sock->sk);
	sock->sk->sk_allocation = GFP_KERNEL;
}

static int kwik_tcp_connect(struct net *net,
			    const struct sockaddr_storage *remote,
			    const struct sockaddr_storage *local,
			    struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, remote->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	kwik_tcp_tune(sock);
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
			   struct socket **res)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, local->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	sock_set_reuseaddr(sock->sk);
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

static int kwik_tcp_accept(struct socket *lsock, struct socket **res)
{
	int err = kernel_accept(lsock, res, O_NONBLOCK);

	if (!err)
		kwik_tcp_tune(*res);
	return err;
}

static void kwik_tcp_rtt(struct socket *sock, u32 *srtt_us, u32 *rttvar_us)
{
	const struct tcp_sock *tp = tcp_sk(sock->sk);

	*srtt_us = READ_ONCE(tp->srtt_us) >> 3;
	*rttvar_us = READ_ONCE(tp->mdev_us) >> 2;
}

static const struct kwik_transport_ops kwik_tcp_ops = {
	.type		= KWIK_TRANSPORT_TCP,
	.name		= "tcp",
	.owner		= NULL,		/* part of kwik.ko: must not pin it */
	.connect	= kwik_tcp_connect,
	.connected	= kwik_tcp_connected,
	.listen		= kwik_tcp_listen,
	.accept		= kwik_tcp_accept,
	.rtt		= kwik_tcp_rtt,
};

int kwik_transport_tcp_init(void)
{
	return kwik_transport_register(&kwik_tcp_ops);
}

void kwik_transport_tcp_exit(void)
{
	kwik_transport_unregister(&kwik_tcp_ops);
}
