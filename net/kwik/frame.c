// SPDX-License-Identifier: GPL-2.0
/*
 * Kwik wire format v1: encode and decode.  Every length is checked here,
 * once, so the rest of the stack only sees well-formed frames.
 */
#include <linux/errno.h>
#include <linux/string.h>

#include "compat.h"
#include "frame.h"

/* Length of each type's fixed part; DATA also carries a payload. */
static const u8 kwik_fixed_len[__KWIK_FT_MAX] = {
	[KWIK_FT_HELLO]		= 16,
	[KWIK_FT_OPEN]		= 16,
	[KWIK_FT_OPEN_ACK]	= 16,
	[KWIK_FT_DATA]		= 8,
	[KWIK_FT_ACK]		= 16,
	[KWIK_FT_RESET]		= 8,
	[KWIK_FT_PING]		= 8,
	[KWIK_FT_PONG]		= 8,
	[KWIK_FT_JOIN]		= 16,
	[KWIK_FT_JOIN_ACK]	= 16,
};

int kwik_frame_decode_hdr(struct kwik_frame *f, const u8 *buf)
{
	u16 reserved = get_unaligned_be16(buf + 2);
	u32 fixed;

	f->type = buf[0];
	f->flags = buf[1];
	f->len = get_unaligned_be32(buf + 4);
	f->session = get_unaligned_be64(buf + 8);

	if (f->type == 0 || f->type >= __KWIK_FT_MAX || reserved)
		return -EPROTO;
	fixed = kwik_fixed_len[f->type];
	if (f->type == KWIK_FT_DATA) {
		if (f->len < fixed || f->len - fixed > KWIK_DATA_MAX)
			return -EMSGSIZE;
		if (f->flags & ~KWIK_DATA_F_FIN)
			return -EPROTO;
		/* An empty DATA frame only makes sense as a FIN. */
		if (f->len == fixed && !(f->flags & KWIK_DATA_F_FIN))
			return -EPROTO;
	} else {
		if (f->len != fixed)
			return -EMSGSIZE;
		if (f->flags)
			return -EPROTO;
	}
	/* Path-level frames carry no session, session frames need one. */
	if ((f->type == KWIK_FT_HELLO || f->type == KWIK_FT_PING ||
	     f->type == KWIK_FT_PONG) != !f->session)
		return -EPROTO;
	return fixed;
}

int kwik_frame_decode_fixed(struct kwik_frame *f, const u8 *buf)
{
	switch (f->type) {
	case KWIK_FT_HELLO:
		f->hello.version = buf[0];
		f->hello.role = buf[1];
		f->hello.flags = get_unaligned_be32(buf + 4);
		f->hello.host = get_unaligned_be64(buf + 8);
		if (get_unaligned_be16(buf + 2))
			return -EPROTO;
		break;
	case KWIK_FT_OPEN:
	case KWIK_FT_OPEN_ACK:
		f->open.service = get_unaligned_be32(buf);
		f->open.window = get_unaligned_be32(buf + 4);
		f->open.key = get_unaligned_be64(buf + 8);
		if (f->type == KWIK_FT_OPEN && !f->open.service)
			return -EPROTO;
		break;
	case KWIK_FT_DATA:
		f->data.dsn = get_unaligned_be64(buf);
		f->data.len = f->len - 8;
		/* The stream may not wrap the 64-bit sequence space. */
		if (f->data.dsn + f->data.len + 1 < f->data.dsn)
			return -EPROTO;
		break;
	case KWIK_FT_ACK:
		f->ack.data_ack = get_unaligned_be64(buf);
		f->ack.window = get_unaligned_be32(buf + 8);
		if (get_unaligned_be32(buf + 12))
			return -EPROTO;
		break;
	case KWIK_FT_RESET:
		f->reset.reason = get_unaligned_be32(buf);
		if (get_unaligned_be32(buf + 4))
			return -EPROTO;
		break;
	case KWIK_FT_PING:
	case KWIK_FT_PONG:
		f->ping.stamp = get_unaligned_be64(buf);
		break;
	case KWIK_FT_JOIN:
	case KWIK_FT_JOIN_ACK:
		f->join.nonce = get_unaligned_be64(buf);
		f->join.mac = get_unaligned_be64(buf + 8);
		break;
	default:
		return -EPROTO;
	}
	return 0;
}

int kwik_frame_encode(const struct kwik_frame *f, u8 *buf)
{
	u8 *p = buf + KWIK_HDR_LEN;
	u32 fixed = kwik_fixed_len[f->type];
	u32 len = fixed;

	if (f->type == KWIK_FT_DATA)
		len += f->data.len;
	buf[0] = f->type;
	buf[1] = f->flags;
	put_unaligned_be16(0, buf + 2);
	put_unaligned_be32(len, buf + 4);
	put_unaligned_be64(f->session, buf + 8);
	memset(p, 0, fixed);

	switch (f->type) {
	case KWIK_FT_HELLO:
		p[0] = f->hello.version;
		p[1] = f->hello.role;
		put_unaligned_be32(f->hello.flags, p + 4);
		put_unaligned_be64(f->hello.host, p + 8);
		break;
	case KWIK_FT_OPEN:
	case KWIK_FT_OPEN_ACK:
		put_unaligned_be32(f->open.service, p);
		put_unaligned_be32(f->open.window, p + 4);
		put_unaligned_be64(f->open.key, p + 8);
		break;
	case KWIK_FT_DATA:
		put_unaligned_be64(f->data.dsn, p);
		break;
	case KWIK_FT_ACK:
		put_unaligned_be64(f->ack.data_ack, p);
		put_unaligned_be32(f->ack.window, p + 8);
		break;
	case KWIK_FT_RESET:
		put_unaligned_be32(f->reset.reason, p);
		break;
	case KWIK_FT_PING:
	case KWIK_FT_PONG:
		put_unaligned_be64(f->ping.stamp, p);
		break;
	case KWIK_FT_JOIN:
	case KWIK_FT_JOIN_ACK:
		put_unaligned_be64(f->join.nonce, p);
		put_unaligned_be64(f->join.mac, p + 8);
		break;
	}
	return KWIK_HDR_LEN + fixed;
}

int kwik_reset_to_errno(u32 reason)
{
	switch (reason) {
	case KWIK_RR_REFUSED:
		return -ECONNREFUSED;
	case KWIK_RR_TIMEOUT:
		return -ETIMEDOUT;
	case KWIK_RR_PROTOCOL:
		return -EPROTO;
	default:
		return -ECONNRESET;
	}
}
