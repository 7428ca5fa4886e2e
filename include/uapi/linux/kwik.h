/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Kwik: one stream socket striped over several secure paths.
 *
 * This header is the whole user-visible interface of kwik.ko: the socket
 * family and its address, the socket options, and the generic netlink
 * family "kwik" that the control plane (kwikctl) uses to configure paths,
 * listeners and services and to read their state.
 *
 * Socket family
 * -------------
 * An out-of-tree module cannot allocate a new address family, so kwik.ko
 * registers an unused slot below AF_MAX; AF_KWIK is the default.  The slot
 * actually in use is readable from /sys/module/kwik/parameters/family and
 * can be changed with the module parameter "family" (then autoloading on
 * socket() only works for the default).
 *
 * Generic netlink
 * ---------------
 * Family KWIK_GENL_NAME, version KWIK_GENL_VERSION, multicast group
 * KWIK_GENL_MCGRP_EVENTS.  Every object lives in the network namespace of
 * the netlink socket; changes need CAP_NET_ADMIN there.  Policies are
 * strict: unknown attributes, unknown flag bits and out-of-range values
 * are rejected with an extack message.
 *
 * KWIK_CMD_PATH_ADD: one nested KWIK_A_PATH, holding
 *   KWIK_PATH_A_SERVICE	u32, required: service the path carries
 *   KWIK_PATH_A_REMOTE		binary struct sockaddr_in/_in6, required
 *   KWIK_PATH_A_LOCAL		binary struct sockaddr_in/_in6, optional
 *				source address (port 0 = any)
 *   KWIK_PATH_A_ID		u32, optional: chosen by the kernel if absent
 *   KWIK_PATH_A_TRANSPORT	u8, enum kwik_transport, default TCP
 *   KWIK_PATH_A_SECURITY	u8, enum kwik_security, default TLS
 *   KWIK_PATH_A_WEIGHT		u32, 1..KWIK_WEIGHT_MAX, default 1
 *   KWIK_PATH_A_PRIORITY	u8, enum kwik_priority, default PRIMARY
 *   KWIK_PATH_A_FLAGS		u32, KWIK_PATH_F_*
 *   KWIK_PATH_A_PEER_NAME	string, expected TLS peer name
 *   KWIK_PATH_A_KEY_SERIAL	u32, keyring serial of the PSK (psk paths
 *				only, and required there)
 *   KWIK_PATH_A_HS_TIMEOUT	u32, ms one TLS handshake may take,
 *				KWIK_HS_TIMEOUT_MIN..KWIK_HS_TIMEOUT_MAX,
 *				default 5000
 *   KWIK_PATH_A_CC		string, < KWIK_CC_NAME_MAX: congestion
 *				control of the path's TCP connection (e.g.
 *				"cubic"); absent: "bbr" if the kernel has
 *				it, else the namespace's default; replies
 *				carry the one chosen (none: the default)
 *   The reply carries the path as KWIK_CMD_PATH_GET would.
 * KWIK_CMD_PATH_DEL: KWIK_A_PATH with KWIK_PATH_A_ID.
 * KWIK_CMD_PATH_GET: doit with KWIK_PATH_A_ID, or dump (NLM_F_DUMP) of all
 *   paths.  Replies add the read-only KWIK_PATH_A_STATE (u8, enum
 *   kwik_path_state), KWIK_PATH_A_ERROR (u32, last errno, 0 if none),
 *   KWIK_PATH_A_SESSIONS (u32) and KWIK_PATH_A_STATS (nested
 *   KWIK_PATH_STATS_A_*).
 *
 * KWIK_CMD_LISTENER_ADD: one nested KWIK_A_LISTENER, holding
 *   KWIK_LISTENER_A_LOCAL	binary sockaddr_in/_in6, required
 *   KWIK_LISTENER_A_ID		u32, optional
 *   KWIK_LISTENER_A_TRANSPORT	u8, default TCP
 *   KWIK_LISTENER_A_SECURITY	u8, default TLS
 *   KWIK_LISTENER_A_FLAGS	u32, KWIK_LISTENER_F_*
 *   KWIK_LISTENER_A_KEY_SERIAL	u32
 *   KWIK_LISTENER_A_CC		string: congestion control of the accepted
 *				connections, as KWIK_PATH_A_CC
 * KWIK_CMD_LISTENER_DEL / _GET: as for paths, keyed by KWIK_LISTENER_A_ID.
 *   Replies add KWIK_LISTENER_A_STATE (u8) and KWIK_LISTENER_A_PATHS (u32:
 *   live accepted paths).
 *
 * KWIK_CMD_SERVICE_ADD: one nested KWIK_A_SERVICE, holding
 *   KWIK_SERVICE_A_ID		u32, required, non-zero
 *   KWIK_SERVICE_A_NAME	string, optional, < KWIK_NAME_MAX
 *   KWIK_SERVICE_A_MATCH	binary sockaddr_in/_in6: the ordinary
 *				address an unaware client connects to
 *   KWIK_SERVICE_A_FORWARD	binary sockaddr_in/_in6: on a server, hand
 *				sessions to this local TCP address
 *   KWIK_SERVICE_A_FLAGS	u32, KWIK_SERVICE_F_*
 *   KWIK_SERVICE_A_SCHEDULER	string, < KWIK_SCHED_NAME_MAX: scheduler
 *				of the service's sessions (client side)
 * KWIK_CMD_SERVICE_DEL / _GET: keyed by KWIK_SERVICE_A_ID.  Replies add
 *   KWIK_SERVICE_A_SESSIONS (u32) and KWIK_SERVICE_A_PATHS (u32).
 *
 * KWIK_CMD_SESSION_GET: dump only, read-only view of live sessions as
 *   nested KWIK_A_SESSION.
 *
 * Events, multicast on KWIK_GENL_MCGRP_EVENTS, carry the object in its
 * usual nest:
 *   KWIK_EVENT_PATH_UP, KWIK_EVENT_PATH_DOWN (with KWIK_PATH_A_ERROR),
 *   KWIK_EVENT_SESSION_OPEN, KWIK_EVENT_SESSION_CLOSE.
 *
 * Dumps carry a generation number (KWIK_A_GENERATION) so a reader can tell
 * that the table changed between two parts of one dump
 * (NLM_F_DUMP_INTR is set as well).
 */
#ifndef _UAPI_LINUX_KWIK_H
#define _UAPI_LINUX_KWIK_H

#include <linux/types.h>
#include <linux/socket.h>

/* Default address family slot (AF_WANPIPE, never registered in Linux). */
#define AF_KWIK			25
#define PF_KWIK			AF_KWIK
/* Path of the sysfs file holding the family number actually in use. */
#define KWIK_FAMILY_SYSFS	"/sys/module/kwik/parameters/family"

/**
 * struct sockaddr_kwik - address of an AF_KWIK socket
 * @kw_family:   AF_KWIK (or the slot in KWIK_FAMILY_SYSFS)
 * @kw_reserved: must be zero
 * @kw_service:  service ID: what a client connects to, what a server binds
 * @kw_session:  session ID, filled in by getsockname/getpeername/accept;
 *               must be zero on bind and connect
 */
struct sockaddr_kwik {
	__kernel_sa_family_t	kw_family;
	__u16			kw_reserved;
	__u32			kw_service;
	__u64			kw_session;
};

/* Socket options, level SOL_KWIK. */
#define SOL_KWIK		295

enum {
	KWIK_INFO = 1,		/* get: struct kwik_info */
	KWIK_CONNECT_TIMEOUT,	/* int, ms: wait for a usable path on connect */
	KWIK_SCHEDULER,		/* string: "default", "wrr", "redundant" */
	KWIK_NOPATH_TIMEOUT,	/* int, ms: how long a session outlives its
				 * last path before failing with ETIMEDOUT
				 */
};

#define KWIK_SCHED_NAME_MAX	16	/* including the NUL */
#define KWIK_CC_NAME_MAX	16	/* TCP_CA_NAME_MAX, including the NUL */

/**
 * struct kwik_info - getsockopt(SOL_KWIK, KWIK_INFO)
 * @session:   session ID (0 before connect/accept)
 * @service:   service ID
 * @state:     enum kwik_session_state
 * @paths:     paths currently usable by the session
 * @snd_nxt:   next data sequence number to send
 * @snd_una:   oldest data sequence number not yet acknowledged
 * @rcv_nxt:   next data sequence number expected
 * @snd_wnd:   peer's advertised window, bytes beyond snd_una
 * @bytes_sent, @bytes_received, @bytes_acked: payload counters
 */
struct kwik_info {
	__u64	session;
	__u32	service;
	__u8	state;
	__u8	pad[3];
	__u32	paths;
	__u32	snd_wnd;
	__u64	snd_nxt;
	__u64	snd_una;
	__u64	rcv_nxt;
	__u64	bytes_sent;
	__u64	bytes_received;
	__u64	bytes_acked;
};

enum kwik_session_state {
	KWIK_SS_CLOSED,
	KWIK_SS_LISTEN,
	KWIK_SS_CONNECTING,
	KWIK_SS_ESTABLISHED,
	KWIK_SS_FIN_WAIT,	/* we sent FIN, peer still sending */
	KWIK_SS_CLOSE_WAIT,	/* peer sent FIN, we still sending */
	KWIK_SS_CLOSING,	/* both sent FIN, waiting for acks */
};

/* ---------------------------------------------------------------------
 * Generic netlink
 */
#define KWIK_GENL_NAME		"kwik"
#define KWIK_GENL_VERSION	1
#define KWIK_GENL_MCGRP_EVENTS	"events"

#define KWIK_NAME_MAX		32	/* including the NUL */
#define KWIK_PEER_NAME_MAX	256	/* including the NUL */
#define KWIK_HS_TIMEOUT_MIN	100	/* ms */
#define KWIK_HS_TIMEOUT_MAX	60000	/* ms */
#define KWIK_WEIGHT_MAX		1000

enum kwik_transport {
	KWIK_TRANSPORT_UNSPEC,
	KWIK_TRANSPORT_TCP,
	KWIK_TRANSPORT_QUIC,
	__KWIK_TRANSPORT_MAX
};

enum kwik_security {
	KWIK_SECURITY_UNSPEC,
	KWIK_SECURITY_TLS,	/* TLS 1.3, X.509 certificate validated */
	KWIK_SECURITY_PSK,	/* TLS 1.3 with a pre-shared key */
	KWIK_SECURITY_NONE,	/* plaintext: trusted links and tests only */
	__KWIK_SECURITY_MAX
};

enum kwik_priority {
	KWIK_PRIORITY_PRIMARY,
	KWIK_PRIORITY_BACKUP,
	__KWIK_PRIORITY_MAX
};

enum kwik_path_state {
	KWIK_PATH_S_CONNECTING,	/* lower connection being opened */
	KWIK_PATH_S_HANDSHAKE,	/* TLS / Kwik hello in progress */
	KWIK_PATH_S_UP,		/* carries sessions */
	KWIK_PATH_S_DOWN,	/* failed; KWIK_PATH_A_ERROR says why */
	KWIK_PATH_S_CLOSED,	/* being deleted */
	__KWIK_PATH_S_MAX
};

enum kwik_listener_state {
	KWIK_LISTENER_S_LISTENING,
	KWIK_LISTENER_S_FAILED,
	__KWIK_LISTENER_S_MAX
};

enum kwik_path_flags {
	KWIK_PATH_F_NO_RECONNECT = 1U << 0,	/* do not re-open after failure */
};

#define KWIK_PATH_F_ALL		(KWIK_PATH_F_NO_RECONNECT)

#define KWIK_LISTENER_F_ALL	0U
#define KWIK_SERVICE_F_ALL	0U

enum kwik_cmd {
	KWIK_CMD_UNSPEC,
	KWIK_CMD_PATH_ADD,
	KWIK_CMD_PATH_DEL,
	KWIK_CMD_PATH_GET,
	KWIK_CMD_LISTENER_ADD,
	KWIK_CMD_LISTENER_DEL,
	KWIK_CMD_LISTENER_GET,
	KWIK_CMD_SERVICE_ADD,
	KWIK_CMD_SERVICE_DEL,
	KWIK_CMD_SERVICE_GET,
	KWIK_CMD_SESSION_GET,
	KWIK_EVENT_PATH_UP,
	KWIK_EVENT_PATH_DOWN,
	KWIK_EVENT_SESSION_OPEN,
	KWIK_EVENT_SESSION_CLOSE,
	__KWIK_CMD_MAX
};

#define KWIK_CMD_MAX (__KWIK_CMD_MAX - 1)

enum kwik_attr {
	KWIK_A_UNSPEC,
	KWIK_A_PATH,		/* nested KWIK_PATH_A_* */
	KWIK_A_LISTENER,	/* nested KWIK_LISTENER_A_* */
	KWIK_A_SERVICE,		/* nested KWIK_SERVICE_A_* */
	KWIK_A_SESSION,		/* nested KWIK_SESSION_A_* */
	KWIK_A_GENERATION,	/* u32, dumps only */
	__KWIK_A_MAX
};

#define KWIK_A_MAX (__KWIK_A_MAX - 1)

enum kwik_path_attr {
	KWIK_PATH_A_UNSPEC,
	KWIK_PATH_A_ID,
	KWIK_PATH_A_SERVICE,
	KWIK_PATH_A_REMOTE,
	KWIK_PATH_A_LOCAL,
	KWIK_PATH_A_TRANSPORT,
	KWIK_PATH_A_SECURITY,
	KWIK_PATH_A_WEIGHT,
	KWIK_PATH_A_PRIORITY,
	KWIK_PATH_A_FLAGS,
	KWIK_PATH_A_PEER_NAME,
	KWIK_PATH_A_KEY_SERIAL,
	KWIK_PATH_A_STATE,
	KWIK_PATH_A_ERROR,
	KWIK_PATH_A_SESSIONS,
	KWIK_PATH_A_STATS,
	KWIK_PATH_A_PAD,
	KWIK_PATH_A_HS_TIMEOUT,
	KWIK_PATH_A_CC,
	__KWIK_PATH_A_MAX
};

#define KWIK_PATH_A_MAX (__KWIK_PATH_A_MAX - 1)

enum kwik_path_stats_attr {
	KWIK_PATH_STATS_A_UNSPEC,
	KWIK_PATH_STATS_A_TX_BYTES,	/* u64, session payload sent */
	KWIK_PATH_STATS_A_RX_BYTES,	/* u64, session payload received */
	KWIK_PATH_STATS_A_TX_FRAMES,	/* u64 */
	KWIK_PATH_STATS_A_RX_FRAMES,	/* u64 */
	KWIK_PATH_STATS_A_RX_DROPPED,	/* u64, frames dropped as invalid */
	KWIK_PATH_STATS_A_CONNECTS,	/* u32, successful (re)connects */
	KWIK_PATH_STATS_A_FAILURES,	/* u32 */
	KWIK_PATH_STATS_A_SRTT_US,	/* u32, from the lower socket */
	KWIK_PATH_STATS_A_RTTVAR_US,	/* u32 */
	KWIK_PATH_STATS_A_PAD,
	KWIK_PATH_STATS_A_DELIVERY_RATE,/* u64, bytes/s, lower connection */
	KWIK_PATH_STATS_A_RETRANS_PPM,	/* u32, retransmitted segments, ppm */
	KWIK_PATH_STATS_A_INFLIGHT,	/* u32, bytes sent, not yet acked */
	KWIK_PATH_STATS_A_CWND,		/* u32, bytes */
	KWIK_PATH_STATS_A_STALLS,	/* u32, times judged stale */
	KWIK_PATH_STATS_A_RX_COPIED,	/* u64, of RX_BYTES, received by copy */
	__KWIK_PATH_STATS_A_MAX
};

#define KWIK_PATH_STATS_A_MAX (__KWIK_PATH_STATS_A_MAX - 1)

enum kwik_listener_attr {
	KWIK_LISTENER_A_UNSPEC,
	KWIK_LISTENER_A_ID,
	KWIK_LISTENER_A_LOCAL,
	KWIK_LISTENER_A_TRANSPORT,
	KWIK_LISTENER_A_SECURITY,
	KWIK_LISTENER_A_FLAGS,
	KWIK_LISTENER_A_KEY_SERIAL,
	KWIK_LISTENER_A_STATE,
	KWIK_LISTENER_A_PATHS,
	KWIK_LISTENER_A_ERROR,
	KWIK_LISTENER_A_CC,
	__KWIK_LISTENER_A_MAX
};

#define KWIK_LISTENER_A_MAX (__KWIK_LISTENER_A_MAX - 1)

enum kwik_service_attr {
	KWIK_SERVICE_A_UNSPEC,
	KWIK_SERVICE_A_ID,
	KWIK_SERVICE_A_NAME,
	KWIK_SERVICE_A_MATCH,
	KWIK_SERVICE_A_FORWARD,
	KWIK_SERVICE_A_FLAGS,
	KWIK_SERVICE_A_SESSIONS,
	KWIK_SERVICE_A_PATHS,
	KWIK_SERVICE_A_SCHEDULER,	/* string, default scheduler of its sessions */
	__KWIK_SERVICE_A_MAX
};

#define KWIK_SERVICE_A_MAX (__KWIK_SERVICE_A_MAX - 1)

enum kwik_session_attr {
	KWIK_SESSION_A_UNSPEC,
	KWIK_SESSION_A_ID,		/* u64 */
	KWIK_SESSION_A_SERVICE,		/* u32 */
	KWIK_SESSION_A_STATE,		/* u8, enum kwik_session_state */
	KWIK_SESSION_A_ROLE,		/* u8, enum kwik_session_role */
	KWIK_SESSION_A_PATH,		/* u32, path ID (repeated per path) */
	KWIK_SESSION_A_TX_BYTES,	/* u64 */
	KWIK_SESSION_A_RX_BYTES,	/* u64 */
	KWIK_SESSION_A_ERROR,		/* u32, errno on close, 0 if clean */
	KWIK_SESSION_A_PAD,
	/* Sequence state, as struct kwik_info (DSNs count from 0). */
	KWIK_SESSION_A_WRITE_SEQ,	/* u64, DSN after the last byte queued */
	KWIK_SESSION_A_SND_NXT,		/* u64, next DSN not yet sent */
	KWIK_SESSION_A_SND_UNA,		/* u64, oldest unacknowledged DSN */
	KWIK_SESSION_A_SND_WND,		/* u32, peer's window beyond SND_UNA */
	KWIK_SESSION_A_RCV_NXT,		/* u64, next DSN expected in order */
	KWIK_SESSION_A_RCV_WND,		/* u32, window advertised beyond it */
	KWIK_SESSION_A_OFO_BYTES,	/* u32, held out of order */
	KWIK_SESSION_A_RTX,		/* u32, chunks waiting to be resent */
	KWIK_SESSION_A_FLAGS,		/* u32, KWIK_SESSION_F_* */
	KWIK_SESSION_A_SUBFLOW,		/* nested KWIK_SUBFLOW_A_*, per path */
	__KWIK_SESSION_A_MAX
};

#define KWIK_SESSION_A_MAX (__KWIK_SESSION_A_MAX - 1)

/* KWIK_SESSION_A_FLAGS */
#define KWIK_SESSION_F_ACK_PENDING	(1U << 0)	/* an ACK is owed */
#define KWIK_SESSION_F_FIN_SENT		(1U << 1)	/* our FIN went out */
#define KWIK_SESSION_F_FIN_ACKED	(1U << 2)	/* and was acknowledged */
#define KWIK_SESSION_F_RCV_FIN		(1U << 3)	/* the peer's FIN is in */

/* The session on one of its paths. */
enum kwik_subflow_attr {
	KWIK_SUBFLOW_A_UNSPEC,
	KWIK_SUBFLOW_A_PATH,		/* u32, path ID */
	KWIK_SUBFLOW_A_FLAGS,		/* u32, KWIK_SUBFLOW_F_* */
	KWIK_SUBFLOW_A_TX_BYTES,	/* u64, payload sent here (resends too) */
	KWIK_SUBFLOW_A_PAD,
	__KWIK_SUBFLOW_A_MAX
};

#define KWIK_SUBFLOW_A_MAX (__KWIK_SUBFLOW_A_MAX - 1)

/* KWIK_SUBFLOW_A_FLAGS */
#define KWIK_SUBFLOW_F_UP	(1U << 0)	/* the path is up */
#define KWIK_SUBFLOW_F_ACTIVE	(1U << 1)	/* the peer knows the session here */

enum kwik_session_role {
	KWIK_ROLE_CLIENT,
	KWIK_ROLE_SERVER,
};

#endif /* _UAPI_LINUX_KWIK_H */
