/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transports: how a path's lower socket is opened.  The core only needs a
 * reliable, ordered byte stream; each transport (TCP here, QUIC in its own
 * module kwik_quic.ko) says how to open, accept and inspect one, and, if
 * the socket is not a plain byte stream, how to move bytes through it.
 */
#ifndef _KWIK_TRANSPORT_H
#define _KWIK_TRANSPORT_H

#include <linux/bits.h>
#include <linux/socket.h>
#include <linux/types.h>

struct net;
struct socket;
struct module;
struct kwik_path_metrics;
struct netlink_ext_ack;
struct kvec;

/*
 * The transport cannot run without the TLS handshake upcall (QUIC: its
 * keys come from it): paths and listeners asking for "insecure" are
 * refused with -EINVAL.
 */
#define KWIK_TRANSPORT_F_SECURE_ONLY	BIT(0)

/*
 * Unsent bytes a path keeps in its lower socket: what it sends in
 * KWIK_UNSENT_US at its rate, within these bounds.  Little enough that
 * data resent after another path stalled, or given to a slow path, does
 * not wait long behind it (the scheduler decides where each chunk goes
 * just before it can leave), and that little of the stream waits to be
 * reordered at the receiver; enough to keep the path busy between two
 * runs of its work.
 */
#define KWIK_UNSENT_MIN		(16 * 1024)
#define KWIK_UNSENT_MAX		(64 * 1024)
#define KWIK_UNSENT_US		10000

struct kwik_transport_ops {
	u8 type;			/* enum kwik_transport */
	u32 flags;			/* KWIK_TRANSPORT_F_* */
	const char *name;
	/*
	 * Congestion control when userspace names none, if @check_cc
	 * accepts it; NULL: the socket's own default.
	 */
	const char *default_cc;
	struct module *owner;
	/*
	 * Start a non-blocking connect; 0 or -EINPROGRESS leave *res set.
	 * @cc: congestion control ("" for the namespace's default).
	 */
	int (*connect)(struct net *net, const struct sockaddr_storage *remote,
		       const struct sockaddr_storage *local, const char *cc,
		       struct socket **res);
	/* Poll connect progress: 1 connected, 0 in progress, <0 failed. */
	int (*connected)(struct socket *sock);
	/* Accepted connections inherit @cc. */
	int (*listen)(struct net *net, const struct sockaddr_storage *local,
		      const char *cc, struct socket **res);
	/*
	 * Can @net run congestion control @cc?  0, or -ENOENT (unknown),
	 * -EPERM (not allowed there).  NULL: the transport has no choice.
	 */
	int (*check_cc)(struct net *net, const char *cc);
	/* Non-blocking accept; -EAGAIN when nothing is pending. */
	int (*accept)(struct socket *lsock, struct socket **res);
	/* Measurements of the lower connection (lockless snapshot). */
	void (*metrics)(struct socket *sock, struct kwik_path_metrics *m);
	/*
	 * Optional, all from the path's work item (process context, may
	 * sleep on the socket lock, never on the network).
	 *
	 * @secured: tlshd reported success; check that the socket really is
	 * secured and ready for Kwik frames (0 or a negative errno).  NULL:
	 * the core checks for kTLS on a TCP socket.
	 * @send: non-blocking send of up to @len bytes of @iov: bytes sent,
	 * -EAGAIN (the socket's write_space callback follows) or an error.
	 * @iov holds one frame, header first, or the rest of the frame the
	 * previous call sent in part.  NULL: kernel_sendmsg().
	 * @recv: non-blocking read of up to @len stream bytes: bytes read,
	 * 0 when the peer closed, -EAGAIN (data_ready follows), -EINTR (call
	 * again) or an error.  Call after call, the bytes are frames one
	 * after another, never one frame's bytes mixed with another's.
	 * NULL: the core reads the (k)TLS byte stream.
	 * @set_unsent: keep at most about @bytes unsent in the socket
	 * (TCP's notsent_lowat); the core sizes it from the path's rate.
	 * @unsent: bytes queued in the socket and not sent yet (or that
	 * new data would wait behind), given the path's best recent
	 * delivery rate @rate in bytes/s (0: none yet).  With it, the core
	 * gives the socket a frame only while less than half the size it
	 * chose waits, and fills it to that size at most (the socket's own
	 * check lets one skb grow past it).
	 */
	int (*secured)(struct socket *sock, bool server);
	int (*send)(struct socket *sock, struct kvec *iov, size_t n,
		    size_t len);
	int (*recv)(struct socket *sock, void *buf, size_t len);
	void (*set_unsent)(struct socket *sock, u32 bytes);
	u32 (*unsent)(struct socket *sock, u32 rate);
	/*
	 * @session_end: @session let go of this path (it ended, or dropped
	 * the path): whatever the transport keeps for it on @sock can go.
	 * Frames for it may still follow (a last ACK, a RESET answering a
	 * late frame).
	 * @release: the path is done with @sock, before it is shut down and
	 * released (after a @secured call, or none): free what the
	 * transport keeps for it.
	 */
	void (*session_end)(struct socket *sock, u64 session);
	void (*release)(struct socket *sock);
};

int kwik_transport_register(const struct kwik_transport_ops *ops);
void kwik_transport_unregister(const struct kwik_transport_ops *ops);
/* Returns the transport with a module reference held, or NULL. */
const struct kwik_transport_ops *kwik_transport_get(u8 type);
void kwik_transport_put(const struct kwik_transport_ops *ops);
/*
 * At add time: check that @ops can run congestion control @cc in @net, or
 * if @cc is "" fill in the transport's default when it can run it.
 * @cc is a KWIK_CC_NAME_MAX buffer.
 */
int kwik_transport_pick_cc(const struct kwik_transport_ops *ops,
			   struct net *net, char *cc,
			   struct netlink_ext_ack *extack);

/* -EINVAL (with a message) if @ops cannot run with @security. */
int kwik_transport_check_security(const struct kwik_transport_ops *ops,
				  u8 security, struct netlink_ext_ack *extack);

int kwik_transport_tcp_init(void);
void kwik_transport_tcp_exit(void);

#endif /* _KWIK_TRANSPORT_H */
