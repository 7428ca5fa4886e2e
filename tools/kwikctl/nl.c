// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing over libnl: one socket, requests with
 * extended-ack error reporting, dumps and the event subscription.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "kwikctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static struct nl_sock *sk;
static int family;

/* State of one request/response exchange. */
struct kc_xfer {
	kc_parse_fn fn;
	void *arg;
	bool done;
	int err;		/* positive errno from the kernel */
	char msg[256];		/* extack message, "" if none */
	int cb_err;		/* first error a parse callback returned */
};

void kc_nl_open(void)
{
	int one = 1;
	int err;

	if (sk)
		return;

	sk = nl_socket_alloc();
	if (!sk) {
		kc_error("out of memory");
		exit(KC_EXIT_FAIL);
	}
	err = genl_connect(sk);
	if (err < 0) {
		kc_error("cannot open generic netlink socket: %s",
			 nl_geterror(err));
		exit(KC_EXIT_FAIL);
	}
	/* Ask for the kernel's explanation of errors (extack). */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	family = genl_ctrl_resolve(sk, KWIK_GENL_NAME);
	if (family < 0) {
		kc_error("kwik module not loaded (genl family %s not found)",
			 KWIK_GENL_NAME);
		exit(KC_EXIT_FAIL);
	}
}

void kc_nl_close(void)
{
	if (sk)
		nl_socket_free(sk);
	sk = NULL;
}

struct nl_msg *kc_nl_msg(uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	/*
	 * The family ID is filled in when sending, so that usage errors
	 * are found before the kernel is asked anything.
	 */
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0, 0,
				 flags, cmd, KWIK_GENL_VERSION)) {
		kc_error("out of memory");
		exit(KC_EXIT_FAIL);
	}
	return msg;
}

static int kc_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[KWIK_A_MAX + 1];
	struct kc_xfer *x = arg;
	int err;

	if (x->cb_err || !x->fn)
		return NL_OK;
	/* Attributes newer than this tool are ignored, not fatal. */
	err = genlmsg_parse(nlh, 0, tb, KWIK_A_MAX, NULL);
	if (err < 0) {
		x->cb_err = EBADMSG;
		return NL_OK;
	}
	err = x->fn(tb, gnlh->cmd, x->arg);
	if (err)
		x->cb_err = err;
	return NL_OK;
}

static int kc_finish_cb(struct nl_msg *msg, void *arg)
{
	struct kc_xfer *x = arg;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

/* Pull NLMSGERR_ATTR_MSG out of an error message carrying ack TLVs. */
static void kc_extack(struct nlmsghdr *nlh, struct nlmsgerr *e,
		      struct kc_xfer *x)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *attrs;
	int len, skip;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;

	skip = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - skip;
	if (len <= 0)
		return;

	attrs = (struct nlattr *)((char *)e + skip);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(x->msg, tb[NLMSGERR_ATTR_MSG], sizeof(x->msg));
}

static int kc_error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct kc_xfer *x = arg;

	(void)nla;
	x->err = -e->error;
	kc_extack(nlh, e, x);
	x->done = true;
	return NL_STOP;
}

/* Run one exchange; 0, or a positive errno (message left in @x). */
static int kc_nl_xfer(struct nl_msg *msg, struct kc_xfer *x)
{
	struct nl_cb *cb;
	int err;

	kc_nl_open();
	nlmsg_hdr(msg)->nlmsg_type = family;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, kc_valid_cb, x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, kc_finish_cb, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, kc_finish_cb, x);
	nl_cb_err(cb, NL_CB_CUSTOM, kc_error_cb, x);

	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return EIO;
	}

	while (!x->done) {
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !x->err) {
			x->err = err == -NLE_DUMP_INTR ? EINTR : EIO;
			if (err == -NLE_NOMEM)
				x->err = ENOMEM;
			snprintf(x->msg, sizeof(x->msg), "%s",
				 err == -NLE_DUMP_INTR ? "" : nl_geterror(err));
			break;
		}
	}
	nl_cb_put(cb);
	if (!x->err && x->cb_err)
		x->err = x->cb_err;
	return x->err;
}

static void kc_report(const struct kc_xfer *x)
{
	if (x->msg[0])
		kc_error("%s", x->msg);
	else
		kc_error("%s", strerror(x->err));
}

int kc_nl_request(struct nl_msg *msg, kc_parse_fn fn, void *arg)
{
	struct kc_xfer x = { .fn = fn, .arg = arg };

	if (kc_nl_xfer(msg, &x)) {
		kc_report(&x);
		exit(KC_EXIT_FAIL);
	}
	return 0;
}

/*
 * A dump interrupted by a change (NLM_F_DUMP_INTR) is restarted; the
 * parse callback must cope with seeing objects again, so callers reset
 * their state through @fn being called with a NULL table first.
 */
int kc_nl_dump(uint8_t cmd, kc_parse_fn fn, void *arg)
{
	struct kc_xfer x;
	int tries;

	for (tries = 0; tries < 5; tries++) {
		memset(&x, 0, sizeof(x));
		x.fn = fn;
		x.arg = arg;
		fn(NULL, cmd, arg);
		if (!kc_nl_xfer(kc_nl_msg(cmd, NLM_F_DUMP), &x))
			return 0;
		if (x.err != EINTR)
			break;
		/* The socket may hold the rest of the old dump. */
		kc_nl_close();
	}
	if (x.err == EINTR)
		snprintf(x.msg, sizeof(x.msg),
			 "table kept changing during the dump");
	kc_report(&x);
	exit(KC_EXIT_FAIL);
}

int kc_nl_monitor(kc_parse_fn fn, void *arg)
{
	struct kc_xfer x = { .fn = fn, .arg = arg };
	int grp, err;

	kc_nl_open();
	grp = genl_ctrl_resolve_grp(sk, KWIK_GENL_NAME,
				    KWIK_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		kc_error("cannot resolve multicast group %s: %s",
			 KWIK_GENL_MCGRP_EVENTS, nl_geterror(grp));
		exit(KC_EXIT_FAIL);
	}
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		kc_error("cannot join multicast group %s: %s",
			 KWIK_GENL_MCGRP_EVENTS, nl_geterror(err));
		exit(KC_EXIT_FAIL);
	}
	/* Events are not replies: no sequence numbers to match. */
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, kc_valid_cb, &x);

	for (;;) {
		err = nl_recvmsgs_default(sk);
		if (err < 0 && err != -NLE_INTR && err != -NLE_AGAIN) {
			/* Lost events (ENOBUFS) are reported, not fatal. */
			if (err == -NLE_NOMEM) {
				fprintf(stderr,
					"Warning: events lost (receive buffer overrun)\n");
				continue;
			}
			kc_error("receiving events: %s", nl_geterror(err));
			return KC_EXIT_FAIL;
		}
		if (x.cb_err)
			return KC_EXIT_FAIL;
	}
}

static int kc_collect_cb(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct kc_objs *o = arg;
	struct nlattr *copy, **v;

	(void)cmd;
	if (!tb) {		/* (re)start of a dump */
		kc_objs_free(o);
		return 0;
	}
	if (!tb[o->type])
		return 0;
	copy = malloc(nla_total_size(nla_len(tb[o->type])));
	v = realloc(o->v, (o->n + 1) * sizeof(*v));
	if (!copy || !v) {
		free(copy);
		if (v)
			o->v = v;
		return ENOMEM;
	}
	memcpy(copy, tb[o->type], nla_total_size(nla_len(tb[o->type])));
	o->v = v;
	o->v[o->n++] = copy;
	return 0;
}

void kc_nl_collect(uint8_t cmd, struct nl_msg *msg, struct kc_objs *objs)
{
	if (msg)
		kc_nl_request(msg, kc_collect_cb, objs);
	else
		kc_nl_dump(cmd, kc_collect_cb, objs);
}

void kc_objs_free(struct kc_objs *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		free(o->v[i]);
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

uint8_t kc_u8(const struct nlattr *a)
{
	return a && nla_len(a) >= 1 ? *(const uint8_t *)nla_data(a) : 0;
}

uint32_t kc_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && nla_len(a) >= (int)sizeof(v))
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

uint64_t kc_u64a(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && nla_len(a) >= (int)sizeof(v))
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}
