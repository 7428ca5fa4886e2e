/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kwik wire format, version 1 (Documentation/wire-format.rst).
 *
 * Pure encode/decode with no kernel state, so the same code can be built
 * in userspace for fuzzing.  All fields are big-endian.
 */
#ifndef _KWIK_FRAME_H
#define _KWIK_FRAME_H

#include <linux/types.h>

#define KWIK_WIRE_VERSION	1
#define KWIK_HDR_LEN		16
#define KWIK_DATA_MAX		16384	/* largest DATA payload accepted */
#define KWIK_FIXED_MAX		16	/* largest type-specific fixed part */

enum kwik_frame_type {
	KWIK_FT_HELLO = 1,	/* path-level: version negotiation */
	KWIK_FT_OPEN,		/* open a session */
	KWIK_FT_OPEN_ACK,	/* session accepted */
	KWIK_FT_DATA,		/* stream bytes at a data sequence number */
	KWIK_FT_ACK,		/* cumulative data ack + receive window */
	KWIK_FT_RESET,		/* abort a session */
	KWIK_FT_PING,		/* path-level liveness / RTT probe */
	KWIK_FT_PONG,
	KWIK_FT_JOIN,		/* add this path to an open session */
	KWIK_FT_JOIN_ACK,	/* join accepted */
	__KWIK_FT_MAX
};

/* DATA flags */
#define KWIK_DATA_F_FIN		0x01	/* stream ends after this payload */

/* RESET reasons on the wire (not errnos: peers may be other kernels). */
enum kwik_reset_reason {
	KWIK_RR_NONE,
	KWIK_RR_REFUSED,	/* no listener for the service */
	KWIK_RR_ABORT,		/* application closed with data unread */
	KWIK_RR_PROTOCOL,	/* peer violated the protocol */
	KWIK_RR_TIMEOUT,
	KWIK_RR_UNKNOWN,	/* frame for a session we do not know */
	__KWIK_RR_MAX
};

struct kwik_frame {
	u8 type;
	u8 flags;
	u32 len;		/* body length after the common header */
	u64 session;
	union {
		struct {
			u8 version;
			u8 role;
			u32 flags;
			u64 host;
		} hello;
		struct {
			u32 service;
			u32 window;
			u64 key;
		} open;		/* OPEN and OPEN_ACK */
		struct {
			u64 dsn;
			u32 len;	/* payload bytes following */
		} data;
		struct {
			u64 data_ack;
			u32 window;
		} ack;
		struct {
			u32 reason;
		} reset;
		struct {
			u64 stamp;
		} ping;
		struct {
			u64 nonce;	/* JOIN: fresh per attempt */
			u64 mac;	/* proof of the session keys */
		} join;		/* JOIN and JOIN_ACK */
	};
};

/*
 * Decode the common header from @buf (KWIK_HDR_LEN bytes).  Returns the
 * length of the type-specific fixed part to read next, or -EPROTO /
 * -EMSGSIZE for a header no valid peer sends.
 */
int kwik_frame_decode_hdr(struct kwik_frame *f, const u8 *buf);

/*
 * Decode the fixed part (the length kwik_frame_decode_hdr returned).
 * Returns 0 or -EPROTO.  For DATA, f->data.len then holds the payload
 * length still to be read.
 */
int kwik_frame_decode_fixed(struct kwik_frame *f, const u8 *buf);

/* Encode header + fixed part into @buf; returns the bytes written. */
int kwik_frame_encode(const struct kwik_frame *f, u8 *buf);

/* The (negative) errno an application sees for a RESET reason. */
int kwik_reset_to_errno(u32 reason);

#endif /* _KWIK_FRAME_H */
