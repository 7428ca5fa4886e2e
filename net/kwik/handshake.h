/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Path security: the TLS 1.3 handshake is done by a user agent (tlshd)
 * through the kernel's handshake upcall (net/handshake); kTLS then carries
 * the bytes.  Transport-neutral: any stream socket net/handshake accepts.
 */
#ifndef _KWIK_HANDSHAKE_H
#define _KWIK_HANDSHAKE_H

#include <linux/types.h>

struct socket;
struct sock;

/* Default bound on one handshake, tlshd included. */
#define KWIK_HS_TIMEOUT_MS	5000

struct kwik_hs_params {
	u8 security;			/* KWIK_SECURITY_TLS or _PSK */
	bool server;
	const char *peer_name;		/* client, x509: NULL = peer address */
	u32 key_serial;			/* client, psk: the key */
	unsigned int timeout_ms;
};

struct kwik_hs;

/*
 * @done runs once, in process context (tlshd's netlink request), with 0
 * or a negative errno, unless kwik_hs_cancel() returns true first.  The
 * handle it is given is freed when it returns.
 */
typedef void (*kwik_hs_done_t)(void *data, struct kwik_hs *hs, int status);

/* False when this kernel has no handshake upcall (before 6.4). */
bool kwik_hs_supported(void);

/* A handle for one request, so a caller can tell its answers apart. */
struct kwik_hs *kwik_hs_alloc(kwik_hs_done_t done, void *data);
/*
 * Ask for a handshake on @sock, which must have a file (net/handshake
 * passes it to tlshd as a descriptor).  0: @done will be called.  On
 * error the handle is freed and no callback comes.
 */
int kwik_hs_submit(struct kwik_hs *hs, struct socket *sock,
		   const struct kwik_hs_params *p);
/*
 * True if the request was withdrawn: @done will not be called and the
 * handle is freed.  False: @done has run or is about to.
 */
bool kwik_hs_cancel(struct kwik_hs *hs, struct socket *sock);

/*
 * Read stream bytes from a socket that may carry kTLS: TLS handshake
 * records after the handshake (session tickets) are discarded, an alert
 * ends the path.  Returns bytes read, -EAGAIN, -EINTR ("call again
 * later": only non-data records were read) or another negative errno.
 */
int kwik_hs_recv(struct socket *sock, void *buf, size_t len);

/*
 * kTLS (set up by tlshd) wraps the callbacks a path installed: move our
 * ones out of its context before the socket is released, so nothing
 * points into kwik.ko afterwards.  sk_callback_lock held for writing.
 */
void kwik_hs_unhook(struct sock *sk, void (*ours)(struct sock *sk),
		    void (*orig)(struct sock *sk), bool write_space);
/* 0 if kTLS is set up in both directions on @sk, else -EPROTO. */
int kwik_hs_check_ktls(struct sock *sk);

/*
 * Namespace teardown, outside kn->lock: finish closing the sockets that
 * were handed to tlshd (released with a deferred fput()) before the
 * namespace goes.
 */
void kwik_hs_flush(void);
/* Waits for every done callback still running (module exit). */
void kwik_hs_exit(void);

#endif /* _KWIK_HANDSHAKE_H */
