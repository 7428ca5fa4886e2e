// SPDX-License-Identifier: GPL-2.0
/*
 * Path security through the kernel's TLS handshake upcall.
 *
 * The handshake itself runs in tlshd (ktls-utils), which net/handshake
 * hands the socket to as a file descriptor; tlshd validates the peer,
 * installs kTLS on the socket and reports back.  From then on the path
 * reads and writes the socket as before and kTLS encrypts every byte.
 * Kernels without net/handshake (before 6.4) get stubs that refuse.
 */
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include <net/sock.h>
#include <linux/kwik.h>

#include "handshake.h"

#ifdef KWIK_HAVE_NET_HANDSHAKE
#include <net/handshake.h>
#include <net/inet_connection_sock.h>
#include <net/tls.h>
#include <net/tls_prot.h>

struct kwik_hs {
	kwik_hs_done_t done;
	void *data;
};

/* Handshakes whose done callback may still run: module exit waits. */
static atomic_t kwik_hs_inflight = ATOMIC_INIT(0);

static void kwik_hs_put(struct kwik_hs *hs)
{
	kfree(hs);
	if (atomic_dec_and_test(&kwik_hs_inflight))
		wake_up_var(&kwik_hs_inflight);
}

static void kwik_hs_done(void *data, int status, key_serial_t peerid)
{
	struct kwik_hs *hs = data;

	hs->done(hs->data, hs, status);
	kwik_hs_put(hs);
}

bool kwik_hs_supported(void)
{
	return true;
}

struct kwik_hs *kwik_hs_alloc(kwik_hs_done_t done, void *data)
{
	struct kwik_hs *hs = kmalloc(sizeof(*hs), GFP_KERNEL);

	if (!hs)
		return NULL;
	hs->done = done;
	hs->data = data;
	atomic_inc(&kwik_hs_inflight);
	return hs;
}

int kwik_hs_submit(struct kwik_hs *hs, struct socket *sock,
		   const struct kwik_hs_params *p)
{
	struct tls_handshake_args args = {
		.ta_sock	= sock,
		.ta_done	= kwik_hs_done,
		.ta_data	= hs,
		.ta_timeout_ms	= p->timeout_ms,
		.ta_keyring	= TLS_NO_KEYRING,
		.ta_my_cert	= TLS_NO_CERT,
		.ta_my_privkey	= TLS_NO_PRIVKEY,
	};
	int err;

	if (p->security == KWIK_SECURITY_PSK) {
		/* Servers find the key by the identity the client sends. */
		if (p->key_serial) {
			args.ta_my_peerids[0] = p->key_serial;
			args.ta_num_peerids = 1;
		}
		err = p->server ? tls_server_hello_psk(&args, GFP_KERNEL) :
				  tls_client_hello_psk(&args, GFP_KERNEL);
	} else {
		if (p->peer_name && p->peer_name[0])
			args.ta_peername = p->peer_name;
		err = p->server ? tls_server_hello_x509(&args, GFP_KERNEL) :
				  tls_client_hello_x509(&args, GFP_KERNEL);
	}
	if (err)
		kwik_hs_put(hs);	/* nothing was queued */
	return err;
}

bool kwik_hs_cancel(struct kwik_hs *hs, struct socket *sock)
{
	if (!tls_handshake_cancel(sock->sk))
		return false;
	kwik_hs_put(hs);
	return true;
}

/* The record type kTLS reported for what it just returned. */
static u8 kwik_hs_record_type(const struct msghdr *msg, const void *cbuf,
			      size_t clen)
{
	const struct cmsghdr *cmsg = cbuf;

	/* put_cmsg() advances msg_control past what it wrote. */
	if (msg->msg_controllen == clen)
		return TLS_RECORD_TYPE_DATA;	/* plain TCP: no cmsg */
	if (cmsg->cmsg_level != SOL_TLS ||
	    cmsg->cmsg_type != TLS_GET_RECORD_TYPE ||
	    cmsg->cmsg_len < CMSG_LEN(sizeof(u8)))
		return 0;
	return *(const u8 *)CMSG_DATA(cmsg);
}

#define KWIK_HS_SKIP_RECORDS	16	/* non-data records read per call */

int kwik_hs_recv(struct socket *sock, void *buf, size_t len)
{
	union {
		struct cmsghdr cmsg;
		u8 space[CMSG_SPACE(sizeof(u8))];
	} u;
	const u8 *b = buf;
	int i, ret;

	for (i = 0; i < KWIK_HS_SKIP_RECORDS; i++) {
		struct msghdr msg = {
			.msg_control = &u,
			.msg_controllen = sizeof(u),
		};
		struct kvec iov = { .iov_base = buf, .iov_len = len };

		ret = kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
		if (ret <= 0)
			return ret;
		switch (kwik_hs_record_type(&msg, &u, sizeof(u))) {
		case TLS_RECORD_TYPE_DATA:
			return ret;
		case TLS_RECORD_TYPE_ALERT:
			/* close_notify is an orderly close; anything else not. */
			if (ret >= 2 && b[0] == TLS_ALERT_LEVEL_WARNING &&
			    b[1] == TLS_ALERT_DESC_CLOSE_NOTIFY)
				return -ECONNRESET;
			return -ECONNABORTED;
		case TLS_RECORD_TYPE_HANDSHAKE:
			/* Session tickets, key updates: tlshd's business. */
			continue;
		default:
			return -EPROTO;
		}
	}
	return -EINTR;
}

void kwik_hs_unhook(struct sock *sk, void (*ours)(struct sock *sk),
		    void (*orig)(struct sock *sk), bool write_space)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	struct tls_context *ctx;

	lockdep_assert_held_write(&sk->sk_callback_lock);
	/* Only a TCP socket has a ULP (kTLS) context to look into. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	if (!icsk->icsk_ulp_ops || strcmp(icsk->icsk_ulp_ops->name, "tls"))
		return;
	ctx = tls_get_ctx(sk);
	if (!ctx)
		return;
	if (write_space) {
		if (ctx->sk_write_space == ours)
			WRITE_ONCE(ctx->sk_write_space, orig);
	} else if (ctx->rx_conf != TLS_BASE) {
		/* Device offload keeps the software context first. */
		struct tls_sw_context_rx *rx = tls_sw_ctx_rx(ctx);

		if (rx && rx->saved_data_ready == ours)
			WRITE_ONCE(rx->saved_data_ready, orig);
	}
}

int kwik_hs_check_ktls(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tls_context *ctx;
	int err = -EPROTO;

	lock_sock(sk);
	if (icsk->icsk_ulp_ops && !strcmp(icsk->icsk_ulp_ops->name, "tls")) {
		ctx = tls_get_ctx(sk);
		if (ctx && ctx->tx_conf != TLS_BASE && ctx->rx_conf != TLS_BASE)
			err = 0;
	}
	release_sock(sk);
	return err;
}

void kwik_hs_flush(void)
{
	flush_delayed_fput();
}

void kwik_hs_exit(void)
{
	wait_var_event(&kwik_hs_inflight, !atomic_read(&kwik_hs_inflight));
}

#else /* !KWIK_HAVE_NET_HANDSHAKE */

bool kwik_hs_supported(void)
{
	return false;
}

struct kwik_hs *kwik_hs_alloc(kwik_hs_done_t done, void *data)
{
	return NULL;
}

int kwik_hs_submit(struct kwik_hs *hs, struct socket *sock,
		   const struct kwik_hs_params *p)
{
	return -EOPNOTSUPP;
}

bool kwik_hs_cancel(struct kwik_hs *hs, struct socket *sock)
{
	return false;
}

int kwik_hs_recv(struct socket *sock, void *buf, size_t len)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	return kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

void kwik_hs_unhook(struct sock *sk, void (*ours)(struct sock *sk),
		    void (*orig)(struct sock *sk), bool write_space)
{
}

int kwik_hs_check_ktls(struct sock *sk)
{
	return -EOPNOTSUPP;
}

void kwik_hs_flush(void)
{
}

void kwik_hs_exit(void)
{
}

#endif /* KWIK_HAVE_NET_HANDSHAKE */
