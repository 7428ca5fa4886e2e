// SPDX-License-Identifier: GPL-2.0
/*
 * AF_KWIK socket calls.  The semantics follow a TCP stream socket, errno
 * for errno, so that applications need not know what carries their bytes;
 * the protocol itself lives in session.c.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/termios.h>
#include <linux/sockios.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <linux/kwik.h>

#include "af_kwik.h"
#include "compat.h"
#include "frame.h"
#include "path.h"
#include "pernet.h"
#include "sched.h"
#include "sock.h"

#define KWIK_CONNECT_TIMEOUT_MS		10000
#define KWIK_NOPATH_TIMEOUT_MS		15000
#define KWIK_TIMEOUT_MAX_MS		600000

static struct proto kwik_proto = {
	.name		= "KWIK",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct kwik_sock),
	.release_cb	= kwik_session_release_cb,
};

static const struct proto_ops kwik_stream_ops;

static void kwik_sock_destruct(struct sock *sk)
{
	struct kwik_sock *ks = kwik_sk(sk);

	WARN_ON_ONCE(ks->hashed || ks->bound || ks->nsf);
	__skb_queue_purge(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_write_queue);
	kwik_session_destruct(ks);
}

/* Wake writers once enough of the send queue has been acknowledged. */
static void kwik_write_space(struct sock *sk)
{
	struct socket_wq *wq;

	if (!sk->sk_socket || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static struct sock *kwik_sock_alloc(struct net *net, struct socket *sock,
				    int kern)
{
	struct kwik_sock *ks;
	struct sock *sk;

	sk = sk_alloc(net, kwik_family, GFP_KERNEL, &kwik_proto, kern);
	if (!sk)
		return NULL;
	sock_init_data(sock, sk);
	sk->sk_type = SOCK_STREAM;
	sk->sk_protocol = 0;
	sk->sk_destruct = kwik_sock_destruct;
	sk->sk_write_space = kwik_write_space;
	kwik_set_state(sk, TCP_CLOSE);

	ks = kwik_sk(sk);
	ks->kn = kwik_pernet(net);
	ks->connect_timeout_ms = KWIK_CONNECT_TIMEOUT_MS;
	ks->nopath_timeout_ms = KWIK_NOPATH_TIMEOUT_MS;
	kwik_session_init_sock(ks);
	return sk;
}

struct sock *kwik_sock_alloc_child(struct sock *parent)
{
	struct sock *sk = kwik_sock_alloc(sock_net(parent), NULL, 0);

	if (!sk)
		return NULL;
	/* Inherit what the application tuned on the listener, as TCP does. */
	sk->sk_sndbuf = READ_ONCE(parent->sk_sndbuf);
	sk->sk_rcvbuf = READ_ONCE(parent->sk_rcvbuf);
	sk->sk_userlocks = parent->sk_userlocks;
	kwik_sk(sk)->connect_timeout_ms = kwik_sk(parent)->connect_timeout_ms;
	kwik_sk(sk)->nopath_timeout_ms = kwik_sk(parent)->nopath_timeout_ms;
	if (kwik_sk(parent)->sched_set) {
		const struct kwik_sched_ops *ops =
			kwik_sched_get(kwik_sk(parent)->sched->name);

		if (ops) {
			kwik_sched_put(kwik_sk(sk)->sched);
			kwik_sk(sk)->sched = ops;
			kwik_sk(sk)->sched_set = true;
		}
	}
	return sk;
}

void kwik_sock_enqueue_accept(struct sock *parent, struct sock *child)
{
	struct kwik_sock *pks = kwik_sk(parent);

	sock_owned_by_me(parent);
	/* The accept queue owns the child's initial reference. */
	kwik_sk(child)->parent = parent;
	list_add_tail(&kwik_sk(child)->accept_node, &pks->accept_q);
	sk_acceptq_added(parent);
	parent->sk_data_ready(parent);
}

static int kwik_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol)
		return -EPROTONOSUPPORT;
	sock->state = SS_UNCONNECTED;
	sock->ops = &kwik_stream_ops;
	sk = kwik_sock_alloc(net, sock, kern);
	if (!sk)
		return -ENOBUFS;
	return 0;
}

/* ---- bind / listen / accept ---- */

static void kwik_unbind(struct kwik_sock *ks)
{
	struct kwik_net *kn = ks->kn;

	spin_lock_bh(&kn->sess_lock);
	if (ks->bound) {
		hlist_del_init(&ks->hnode);
		ks->bound = false;
	}
	spin_unlock_bh(&kn->sess_lock);
}

static int kwik_check_addr(const struct sockaddr *addr, int len)
{
	const struct sockaddr_kwik *sa = (const struct sockaddr_kwik *)addr;

	if (len < (int)sizeof(*sa))
		return -EINVAL;
	if (sa->kw_family != kwik_family)
		return -EAFNOSUPPORT;
	if (sa->kw_reserved || sa->kw_session || !sa->kw_service)
		return -EINVAL;
	return 0;
}

static int kwik_bind(struct socket *sock, struct sockaddr *addr, int len)
{
	struct sockaddr_kwik *sa = (struct sockaddr_kwik *)addr;
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk), *o;
	struct kwik_net *kn = ks->kn;
	int err;

	err = kwik_check_addr(addr, len);
	if (err)
		return err;
	lock_sock(sk);
	err = -EINVAL;
	if (ks->bound || sk->sk_state != TCP_CLOSE || ks->id)
		goto out;
	spin_lock_bh(&kn->sess_lock);
	err = 0;
	hlist_for_each_entry(o, &kn->bound, hnode)
		if (o->service == sa->kw_service)
			err = -EADDRINUSE;
	if (!err) {
		ks->service = sa->kw_service;
		ks->bound = true;
		hlist_add_head(&ks->hnode, &kn->bound);
	}
	spin_unlock_bh(&kn->sess_lock);
out:
	release_sock(sk);
	return err;
}

static int kwik_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || !ks->bound)
		goto out;
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	kwik_set_state(sk, TCP_LISTEN);
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* Stop listening: refuse what was accepted but never accept()ed. */
static void kwik_listen_stop(struct sock *sk)
{
	struct kwik_sock *ks = kwik_sk(sk), *cks;
	struct sock *child;

	sock_owned_by_me(sk);
	kwik_unbind(ks);
	kwik_set_state(sk, TCP_CLOSE);
	while (!list_empty(&ks->accept_q)) {
		cks = list_first_entry(&ks->accept_q, struct kwik_sock,
				       accept_node);
		list_del_init(&cks->accept_node);
		sk_acceptq_removed(sk);
		child = &cks->sk;
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		cks->parent = NULL;
		kwik_session_reset(cks, KWIK_RR_REFUSED);
		kwik_session_done(cks, 0);
		sock_orphan(child);
		release_sock(child);
		sock_put(child);
	}
	sk->sk_state_change(sk);
}

static int kwik_accept(struct socket *sock, struct socket *newsock,
		       KWIK_ACCEPT_ARGS)
{
	int flags = KWIK_ACCEPT_FLAGS;
	struct sock *sk = sock->sk, *child;
	struct kwik_sock *ks = kwik_sk(sk), *cks;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	while (list_empty(&ks->accept_q)) {
		err = -EAGAIN;
		if (!timeo)
			goto out;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, &timeo, !list_empty(&ks->accept_q) ||
			      sk->sk_state != TCP_LISTEN, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			goto out;
	}
	cks = list_first_entry(&ks->accept_q, struct kwik_sock, accept_node);
	list_del_init(&cks->accept_node);
	sk_acceptq_removed(sk);
	release_sock(sk);

	child = &cks->sk;
	lock_sock(child);
	cks->parent = NULL;
	sock_graft(child, newsock);
	newsock->state = child->sk_state == TCP_ESTABLISHED ?
			 SS_CONNECTED : SS_DISCONNECTING;
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}

/* ---- connect ---- */

static int kwik_wait_connect(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (sk->sk_state == TCP_SYN_SENT) {
		if (!*timeo || signal_pending(current))
			break;
		sk_wait_event(sk, timeo, sk->sk_state != TCP_SYN_SENT, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return sk->sk_state != TCP_SYN_SENT;
}

static void kwik_reset_session_state(struct kwik_sock *ks)
{
	struct sock *sk = &ks->sk;

	ks->id = 0;
	ks->open_sent = false;
	ks->ack_pending = false;
	ks->fin_sent = false;
	ks->fin_acked = false;
	ks->fin_queued = false;
	ks->rcv_fin = false;
	ks->rcv_fin_early = false;
	ks->rcv_fin_seq = 0;
	ks->write_seq = 0;
	ks->snd_nxt = 0;
	ks->snd_una = 0;
	ks->snd_max = 0;
	ks->snd_edge = 0;
	ks->snd_head = NULL;
	ks->rcv_nxt = 0;
	ks->rcv_edge_adv = 0;
	ks->close_err = 0;
	ks->bytes_sent = 0;
	ks->bytes_received = 0;
	ks->bytes_read = 0;
	WRITE_ONCE(sk->sk_shutdown, 0);
	WRITE_ONCE(sk->sk_err, 0);
	__skb_queue_purge(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_write_queue);
	sk->sk_wmem_queued = 0;
	ks->rtx_count = 0;
}

static int kwik_connect(struct socket *sock, struct sockaddr *addr, int len,
			int flags)
{
	struct sockaddr_kwik *sa = (struct sockaddr_kwik *)addr;
	struct kwik_path *paths[KWIK_SESSION_MAX_PATHS];
	char sched[KWIK_SCHED_NAME_MAX] = "";
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	int n = 0, i, err;
	long timeo;

	if (len < (int)sizeof(sa->kw_family))
		return -EINVAL;
	/* Paths first: kn->lock must not be taken under the socket lock. */
	if (!kwik_check_addr(addr, len))
		n = kwik_paths_for_service(ks->kn, sa->kw_service, paths,
					   ARRAY_SIZE(paths), sched);

	lock_sock(sk);
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		if (sk->sk_state != TCP_SYN_SENT)
			break;		/* finished meanwhile: report it */
		if (flags & O_NONBLOCK)
			goto out;
		timeo = sock_sndtimeo(sk, false);
		goto wait;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		break;
	default:
		/* SS_DISCONNECTING: a session ended here; start afresh. */
		if (sk->sk_state != TCP_CLOSE) {
			err = -EISCONN;
			goto out;
		}
		break;
	}
	if (sock->state == SS_CONNECTING)
		goto done;

	err = kwik_check_addr(addr, len);
	if (err)
		goto out;
	kwik_unbind(ks);
	kwik_reset_session_state(ks);
	ks->service = sa->kw_service;
	err = n ? kwik_session_start(ks, paths, n, sched) : -ENETUNREACH;
	if (err)
		goto out;
	sock->state = SS_CONNECTING;
	err = -EINPROGRESS;
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (!timeo)
		goto out;
wait:
	if (!kwik_wait_connect(sk, &timeo)) {
		err = signal_pending(current) ? sock_intr_errno(timeo) :
						-EINPROGRESS;
		goto out;
	}
done:
	if (sk->sk_state == TCP_ESTABLISHED) {
		sock->state = SS_CONNECTED;
		err = 0;
	} else {
		sock->state = SS_UNCONNECTED;
		err = sock_error(sk) ? : -ECONNREFUSED;
	}
out:
	release_sock(sk);
	for (i = 0; i < n; i++)
		kwik_path_put(paths[i]);
	return err;
}

/* ---- data ---- */

static int kwik_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	int flags = msg->msg_flags;
	long timeo;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (sk->sk_state == TCP_SYN_SENT) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out;
	}
	err = sock_error(sk);
	if (err)
		goto out;
	if (sk->sk_state != TCP_ESTABLISHED ||
	    (sk->sk_shutdown & SEND_SHUTDOWN)) {
		err = -EPIPE;
		goto out;
	}
	err = kwik_session_queue(ks, msg, len, &timeo);
out:
	if (err == -EPIPE)
		err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

static int kwik_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	size_t copied = 0;
	int target, err = 0;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN ||
	    (sk->sk_state == TCP_CLOSE && sock->state == SS_UNCONNECTED)) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	while (copied < len) {
		u32 skip = (flags & MSG_PEEK) ? copied : 0;
		struct sk_buff *skb;
		bool found = false;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			u32 off = KWIK_SKB_CB(skb)->offset;
			u32 avail = skb->len - off, chunk;

			if (skip >= avail) {
				skip -= avail;
				continue;
			}
			off += skip;
			avail -= skip;
			chunk = min_t(size_t, avail, len - copied);
			if (skb_copy_datagram_msg(skb, off, msg, chunk)) {
				err = -EFAULT;
				goto out;
			}
			copied += chunk;
			if (!(flags & MSG_PEEK)) {
				KWIK_SKB_CB(skb)->offset += chunk;
				WRITE_ONCE(ks->bytes_read,
					   ks->bytes_read + chunk);
				if (KWIK_SKB_CB(skb)->offset == skb->len) {
					__skb_unlink(skb, &sk->sk_receive_queue);
					kfree_skb(skb);
				}
			}
			found = true;
			break;
		}
		if (found)
			continue;
		if (copied >= target)
			break;
		if (copied) {
			if (sk->sk_err || (sk->sk_shutdown & RCV_SHUTDOWN) ||
			    sk->sk_state == TCP_CLOSE || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sk->sk_err) {
				err = sock_error(sk);
				break;
			}
			if ((sk->sk_shutdown & RCV_SHUTDOWN) ||
			    sk->sk_state == TCP_CLOSE)
				break;
			if (!timeo) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				break;
			}
		}
		/* About to sleep: make sure the sender knows we have room. */
		kwik_session_rcv_space(ks);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, &timeo,
			      !skb_queue_empty(&sk->sk_receive_queue) ||
			      sk->sk_err || (sk->sk_shutdown & RCV_SHUTDOWN) ||
			      sk->sk_state == TCP_CLOSE, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
	}
	if (copied && !(flags & MSG_PEEK))
		kwik_session_rcv_space(ks);
out:
	release_sock(sk);
	return copied ? copied : err;
}

static __poll_t kwik_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	int state = READ_ONCE(sk->sk_state);
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (state == TCP_LISTEN)
		return list_empty_careful(&ks->accept_q) ? 0 :
			EPOLLIN | EPOLLRDNORM;
	/* The same mask tcp_poll() would give in the same state. */
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT) {
		/* Readable once SO_RCVLOWAT bytes wait, as tcp_poll(). */
		if (READ_ONCE(ks->bytes_received) - READ_ONCE(ks->bytes_read) >=
		    sock_rcvlowat(sk, 0, INT_MAX))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (shutdown & SEND_SHUTDOWN) {
			/* Writers wake up to get their EPIPE. */
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else if (sk_stream_is_writeable(sk)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* Re-check after setting NOSPACE (write_space race). */
			smp_mb__after_atomic();
			if (sk_stream_is_writeable(sk))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	return mask;
}

static int kwik_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	int err = 0;

	how++;			/* SHUT_RD/WR/RDWR -> RCV/SEND_SHUTDOWN bits */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		break;
	case TCP_LISTEN:
		if (how & RCV_SHUTDOWN)
			kwik_listen_stop(sk);
		break;
	case TCP_SYN_SENT:
		kwik_session_reset(ks, KWIK_RR_ABORT);
		kwik_session_done(ks, 0);
		sock->state = SS_UNCONNECTED;
		break;
	default:
		if (how & SEND_SHUTDOWN)
			kwik_session_shutdown_send(ks);
		if (how & RCV_SHUTDOWN)
			WRITE_ONCE(sk->sk_shutdown,
				   sk->sk_shutdown | RCV_SHUTDOWN);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static int kwik_getname(struct socket *sock, struct sockaddr *addr, int peer)
{
	struct sockaddr_kwik *sa = (struct sockaddr_kwik *)addr;
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);

	if (peer && READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return -ENOTCONN;
	memset(sa, 0, sizeof(*sa));
	sa->kw_family = kwik_family;
	sa->kw_service = READ_ONCE(ks->service);
	if (sk->sk_state != TCP_LISTEN)
		sa->kw_session = READ_ONCE(ks->id);
	return sizeof(*sa);
}

static void kwik_get_info(struct kwik_sock *ks, struct kwik_info *info)
{
	u32 i;

	memset(info, 0, sizeof(*info));
	info->session = ks->id;
	info->service = ks->service;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (ks->sf[i].path && ks->sf[i].up)
			info->paths++;
	info->snd_wnd = (u32)min_t(u64, ks->snd_edge - min(ks->snd_edge,
							   ks->snd_una),
				   U32_MAX);
	info->snd_nxt = ks->snd_nxt;
	info->snd_una = ks->snd_una;
	info->rcv_nxt = ks->rcv_nxt;
	info->bytes_sent = ks->write_seq;
	info->bytes_received = ks->bytes_received;
	info->bytes_acked = ks->bytes_sent;
	info->state = kwik_session_state(ks);
}

static int kwik_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct kwik_sock *ks = kwik_sk(sock->sk);
	const struct kwik_sched_ops *ops;
	char name[KWIK_SCHED_NAME_MAX];
	int val;

	if (level != SOL_KWIK)
		return -ENOPROTOOPT;
	switch (optname) {
	case KWIK_CONNECT_TIMEOUT:
	case KWIK_NOPATH_TIMEOUT:
		if (optlen < sizeof(int))
			return -EINVAL;
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		if (val <= 0 || val > KWIK_TIMEOUT_MAX_MS)
			return -EINVAL;
		lock_sock(&ks->sk);
		if (optname == KWIK_CONNECT_TIMEOUT)
			ks->connect_timeout_ms = val;
		else
			ks->nopath_timeout_ms = val;
		release_sock(&ks->sk);
		return 0;
	case KWIK_SCHEDULER:
		if (!optlen || optlen >= KWIK_SCHED_NAME_MAX)
			return -EINVAL;
		memset(name, 0, sizeof(name));
		if (copy_from_sockptr(name, optval, optlen))
			return -EFAULT;
		ops = kwik_sched_get(name);
		if (!ops)
			return -ENOENT;
		lock_sock(&ks->sk);
		kwik_sched_put(ks->sched);
		ks->sched = ops;
		ks->sched_set = true;
		release_sock(&ks->sk);
		return 0;
	default:
		/* Including KWIK_INFO: read-only, as TCP_INFO. */
		return -ENOPROTOOPT;
	}
}

static int kwik_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct kwik_sock *ks = kwik_sk(sock->sk);
	char name[KWIK_SCHED_NAME_MAX];
	struct kwik_info info;
	int len, val;

	/* As TCP: unknown levels are EOPNOTSUPP here, ENOPROTOOPT on set. */
	if (level != SOL_KWIK)
		return -EOPNOTSUPP;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case KWIK_INFO:
		lock_sock(&ks->sk);
		kwik_get_info(ks, &info);
		release_sock(&ks->sk);
		len = min_t(int, len, sizeof(info));
		if (copy_to_user(optval, &info, len))
			return -EFAULT;
		break;
	case KWIK_CONNECT_TIMEOUT:
	case KWIK_NOPATH_TIMEOUT:
		if (len < (int)sizeof(int))
			return -EINVAL;
		len = sizeof(int);
		val = optname == KWIK_CONNECT_TIMEOUT ?
		      READ_ONCE(ks->connect_timeout_ms) :
		      READ_ONCE(ks->nopath_timeout_ms);
		if (copy_to_user(optval, &val, len))
			return -EFAULT;
		break;
	case KWIK_SCHEDULER:
		lock_sock(&ks->sk);
		strscpy(name, ks->sched->name, sizeof(name));
		release_sock(&ks->sk);
		len = min_t(int, len, strlen(name) + 1);
		if (copy_to_user(optval, name, len))
			return -EFAULT;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return put_user(len, optlen);
}

static int kwik_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct kwik_sock *ks = kwik_sk(sk);
	struct sk_buff *skb;
	int val = 0;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		skb_queue_walk(&sk->sk_receive_queue, skb)
			val += skb->len - KWIK_SKB_CB(skb)->offset;
		release_sock(sk);
		break;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		val = (int)min_t(u64, ks->write_seq - ks->snd_una, INT_MAX);
		release_sock(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(val, (int __user *)arg);
}

static int kwik_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN || kwik_sk(sk)->bound)
		kwik_listen_stop(sk);
	else
		kwik_session_close(kwik_sk(sk));
	sock_orphan(sk);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static const struct proto_ops kwik_stream_ops = {
	.family		= PF_KWIK,
	.owner		= THIS_MODULE,
	.release	= kwik_release,
	.bind		= kwik_bind,
	.connect	= kwik_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= kwik_accept,
	.getname	= kwik_getname,
	.poll		= kwik_poll,
	.ioctl		= kwik_ioctl,
	.listen		= kwik_listen,
	.shutdown	= kwik_shutdown,
	.setsockopt	= kwik_setsockopt,
	.getsockopt	= kwik_getsockopt,
	.sendmsg	= kwik_sendmsg,
	.recvmsg	= kwik_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct net_proto_family kwik_family_ops = {
	.create		= kwik_create,
	.owner		= THIS_MODULE,
};

int kwik_af_init(void)
{
	int err;

	err = proto_register(&kwik_proto, 1);
	if (err)
		return err;
	kwik_family_ops.family = kwik_family;
	err = sock_register(&kwik_family_ops);
	if (err) {
		if (err == -EEXIST)
			pr_err("kwik: address family %d is taken; load with family=N\n",
			       kwik_family);
		proto_unregister(&kwik_proto);
	}
	return err;
}

void kwik_af_exit(void)
{
	sock_unregister(kwik_family);
	proto_unregister(&kwik_proto);
}
