// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "kwik": configuration of paths, listeners and
 * services, read-only session dumps, and the events multicast group.
 *
 * Every request is validated strictly against the policies below before a
 * handler runs; handlers only check what a policy cannot express (which
 * attributes a command requires).  Every change runs under kn->lock of the
 * namespace of the requesting socket.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "listener.h"
#include "netlink.h"
#include "path.h"
#include "pernet.h"
#include "service.h"
#include "session.h"

static struct genl_family kwik_nl_family;

enum kwik_nl_mcgrp {
	KWIK_NL_MCGRP_EVENTS,
};

static const struct genl_multicast_group kwik_nl_mcgrps[] = {
	[KWIK_NL_MCGRP_EVENTS] = { .name = KWIK_GENL_MCGRP_EVENTS },
};

/* ---------------------------------------------------------------------
 * Policies
 */

/*
 * Socket addresses travel as raw struct sockaddr_in or sockaddr_in6: the
 * length must be exactly one of the two and agree with the family.
 */
static int kwik_nl_check_addr(const struct nlattr *attr, bool need_port,
			      struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(attr);
	int len = nla_len(attr);
	__be16 port;

	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		port = ((const struct sockaddr_in *)sa)->sin_port;
	} else if (len == sizeof(struct sockaddr_in6) &&
		   sa->sa_family == AF_INET6) {
		port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	} else {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be a sockaddr_in or sockaddr_in6 of matching length");
		return -EINVAL;
	}

	if (need_port && !port) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "address needs a non-zero port");
		return -EINVAL;
	}
	return 0;
}

static int kwik_nl_check_addr_port(const struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	return kwik_nl_check_addr(attr, true, extack);
}

static int kwik_nl_check_addr_any_port(const struct nlattr *attr,
				       struct netlink_ext_ack *extack)
{
	return kwik_nl_check_addr(attr, false, extack);
}

#define KWIK_NL_ADDR_PORT \
	NLA_POLICY_VALIDATE_FN(NLA_BINARY, kwik_nl_check_addr_port, \
			       sizeof(struct sockaddr_in6))
#define KWIK_NL_ADDR_ANY_PORT \
	NLA_POLICY_VALIDATE_FN(NLA_BINARY, kwik_nl_check_addr_any_port, \
			       sizeof(struct sockaddr_in6))
/* Reply-only attributes: a request carrying one is malformed. */
#define KWIK_NL_READ_ONLY \
	{ .type = NLA_REJECT, .reject_message = "attribute is read-only" }

/* Beyond NLA_POLICY_RANGE's s16 bounds.  Not const: 6.1's policy wants it so. */
static struct netlink_range_validation kwik_hs_timeout_range = {
	.min = KWIK_HS_TIMEOUT_MIN,
	.max = KWIK_HS_TIMEOUT_MAX,
};

static const struct nla_policy kwik_path_policy[KWIK_PATH_A_MAX + 1] = {
	[KWIK_PATH_A_ID]	 = NLA_POLICY_MIN(NLA_U32, 1),
	[KWIK_PATH_A_SERVICE]	 = NLA_POLICY_MIN(NLA_U32, 1),
	[KWIK_PATH_A_REMOTE]	 = KWIK_NL_ADDR_PORT,
	[KWIK_PATH_A_LOCAL]	 = KWIK_NL_ADDR_ANY_PORT,
	[KWIK_PATH_A_TRANSPORT]	 = NLA_POLICY_RANGE(NLA_U8, KWIK_TRANSPORT_TCP,
						    __KWIK_TRANSPORT_MAX - 1),
	[KWIK_PATH_A_SECURITY]	 = NLA_POLICY_RANGE(NLA_U8, KWIK_SECURITY_TLS,
						    __KWIK_SECURITY_MAX - 1),
	[KWIK_PATH_A_WEIGHT]	 = NLA_POLICY_RANGE(NLA_U32, 1, KWIK_WEIGHT_MAX),
	[KWIK_PATH_A_PRIORITY]	 = NLA_POLICY_MAX(NLA_U8, __KWIK_PRIORITY_MAX - 1),
	[KWIK_PATH_A_FLAGS]	 = NLA_POLICY_MASK(NLA_U32, KWIK_PATH_F_ALL),
	[KWIK_PATH_A_PEER_NAME]	 = { .type = NLA_NUL_STRING,
				     .len = KWIK_PEER_NAME_MAX - 1 },
	[KWIK_PATH_A_KEY_SERIAL] = { .type = NLA_U32 },
	[KWIK_PATH_A_HS_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							 &kwik_hs_timeout_range),
	[KWIK_PATH_A_CC]	 = { .type = NLA_NUL_STRING,
				     .len = KWIK_CC_NAME_MAX - 1 },
	[KWIK_PATH_A_STATE]	 = KWIK_NL_READ_ONLY,
	[KWIK_PATH_A_ERROR]	 = KWIK_NL_READ_ONLY,
	[KWIK_PATH_A_SESSIONS]	 = KWIK_NL_READ_ONLY,
	[KWIK_PATH_A_STATS]	 = KWIK_NL_READ_ONLY,
	[KWIK_PATH_A_PAD]	 = KWIK_NL_READ_ONLY,
};

static const struct nla_policy kwik_listener_policy[KWIK_LISTENER_A_MAX + 1] = {
	[KWIK_LISTENER_A_ID]	     = NLA_POLICY_MIN(NLA_U32, 1),
	[KWIK_LISTENER_A_LOCAL]	     = KWIK_NL_ADDR_PORT,
	[KWIK_LISTENER_A_TRANSPORT]  = NLA_POLICY_RANGE(NLA_U8,
							KWIK_TRANSPORT_TCP,
							__KWIK_TRANSPORT_MAX - 1),
	[KWIK_LISTENER_A_SECURITY]   = NLA_POLICY_RANGE(NLA_U8,
							KWIK_SECURITY_TLS,
							__KWIK_SECURITY_MAX - 1),
	[KWIK_LISTENER_A_FLAGS]	     = NLA_POLICY_MASK(NLA_U32,
						       KWIK_LISTENER_F_ALL),
	[KWIK_LISTENER_A_KEY_SERIAL] = { .type = NLA_U32 },
	[KWIK_LISTENER_A_CC]	     = { .type = NLA_NUL_STRING,
					 .len = KWIK_CC_NAME_MAX - 1 },
	[KWIK_LISTENER_A_STATE]	     = KWIK_NL_READ_ONLY,
	[KWIK_LISTENER_A_PATHS]	     = KWIK_NL_READ_ONLY,
	[KWIK_LISTENER_A_ERROR]	     = KWIK_NL_READ_ONLY,
};

static const struct nla_policy kwik_service_policy[KWIK_SERVICE_A_MAX + 1] = {
	[KWIK_SERVICE_A_ID]	  = NLA_POLICY_MIN(NLA_U32, 1),
	[KWIK_SERVICE_A_NAME]	  = { .type = NLA_NUL_STRING,
				      .len = KWIK_NAME_MAX - 1 },
	[KWIK_SERVICE_A_MATCH]	  = KWIK_NL_ADDR_PORT,
	[KWIK_SERVICE_A_FORWARD]  = KWIK_NL_ADDR_PORT,
	[KWIK_SERVICE_A_SCHEDULER] = { .type = NLA_NUL_STRING,
				       .len = KWIK_SCHED_NAME_MAX - 1 },
	[KWIK_SERVICE_A_FLAGS]	  = NLA_POLICY_MASK(NLA_U32, KWIK_SERVICE_F_ALL),
	[KWIK_SERVICE_A_SESSIONS] = KWIK_NL_READ_ONLY,
	[KWIK_SERVICE_A_PATHS]	  = KWIK_NL_READ_ONLY,
};

static const struct nla_policy kwik_policy[KWIK_A_MAX + 1] = {
	[KWIK_A_PATH]	    = NLA_POLICY_NESTED(kwik_path_policy),
	[KWIK_A_LISTENER]   = NLA_POLICY_NESTED(kwik_listener_policy),
	[KWIK_A_SERVICE]    = NLA_POLICY_NESTED(kwik_service_policy),
	[KWIK_A_SESSION]    = KWIK_NL_READ_ONLY,
	[KWIK_A_GENERATION] = KWIK_NL_READ_ONLY,
};

/* ---------------------------------------------------------------------
 * Request helpers
 */

/*
 * Parse the nest @type of a request into @tb.  The family policy has
 * already validated it strictly; this only fetches it, reporting a
 * missing nest the way the netlink core reports missing attributes.
 */
static int kwik_nl_nest(struct genl_info *info, int type, int maxtype,
			const struct nla_policy *policy, struct nlattr **tb)
{
	struct nlattr *nest = info->attrs[type];

	if (!nest) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, type);
		NL_SET_ERR_MSG_MOD(info->extack, "missing object attribute nest");
		return -EINVAL;
	}
	return nla_parse_nested(tb, maxtype, nest, policy, info->extack);
}

/* Report a missing attribute @type inside the object nest @nest_type. */
#define kwik_nl_missing(info, nest_type, type, msg) ({			\
	const struct genl_info *__info = (info);			\
									\
	NL_SET_ERR_ATTR_MISS(__info->extack, __info->attrs[nest_type],	\
			     type);					\
	NL_SET_ERR_MSG_MOD(__info->extack, msg);			\
	-EINVAL;							\
})

/* The policy already checked length and family of @attr. */
static void kwik_nl_get_addr(struct sockaddr_storage *ss,
			     const struct nlattr *attr)
{
	memset(ss, 0, sizeof(*ss));
	nla_memcpy(ss, attr, sizeof(*ss));
}

/* ---------------------------------------------------------------------
 * Reply helpers
 */

static int kwik_nl_put_addr(struct sk_buff *skb, int type,
			    const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return nla_put(skb, type, sizeof(struct sockaddr_in), ss);
	case AF_INET6:
		return nla_put(skb, type, sizeof(struct sockaddr_in6), ss);
	default:
		return 0;	/* unspecified: attribute absent */
	}
}

static int kwik_nl_put_path_stats(struct sk_buff *skb,
				  const struct kwik_path_info *pi)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, KWIK_PATH_A_STATS);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_TX_BYTES, pi->tx_bytes,
			      KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_RX_BYTES, pi->rx_bytes,
			      KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_TX_FRAMES, pi->tx_frames,
			      KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_RX_FRAMES, pi->rx_frames,
			      KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_RX_DROPPED,
			      pi->rx_dropped, KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_CONNECTS, pi->connects) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_FAILURES, pi->failures) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_SRTT_US, pi->m.srtt_us) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_RTTVAR_US, pi->m.rttvar_us) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_DELIVERY_RATE,
			      pi->m.delivery_rate, KWIK_PATH_STATS_A_PAD) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_RETRANS_PPM, pi->m.retrans_ppm) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_INFLIGHT,
			pi->m.inflight_bytes) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_CWND, pi->m.cwnd_bytes) ||
	    nla_put_u32(skb, KWIK_PATH_STATS_A_STALLS, pi->stalls) ||
	    nla_put_u64_64bit(skb, KWIK_PATH_STATS_A_RX_COPIED,
			      pi->rx_copied, KWIK_PATH_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Put a path as one KWIK_A_PATH nest: configuration, state, counters. */
static int kwik_nl_put_path(struct sk_buff *skb, struct kwik_path *path)
{
	const struct kwik_path_cfg *cfg = kwik_path_cfg(path);
	struct kwik_path_info pi;
	struct nlattr *nest;

	kwik_path_get_info(path, &pi);

	nest = nla_nest_start(skb, KWIK_A_PATH);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u32(skb, KWIK_PATH_A_ID, cfg->id) ||
	    nla_put_u32(skb, KWIK_PATH_A_SERVICE, cfg->service) ||
	    kwik_nl_put_addr(skb, KWIK_PATH_A_REMOTE, &cfg->remote) ||
	    kwik_nl_put_addr(skb, KWIK_PATH_A_LOCAL, &cfg->local) ||
	    nla_put_u8(skb, KWIK_PATH_A_TRANSPORT, cfg->transport) ||
	    nla_put_u8(skb, KWIK_PATH_A_SECURITY, cfg->security) ||
	    nla_put_u32(skb, KWIK_PATH_A_WEIGHT, cfg->weight) ||
	    nla_put_u8(skb, KWIK_PATH_A_PRIORITY, cfg->priority) ||
	    nla_put_u32(skb, KWIK_PATH_A_FLAGS, cfg->flags) ||
	    nla_put_u32(skb, KWIK_PATH_A_KEY_SERIAL, cfg->key_serial) ||
	    nla_put_u32(skb, KWIK_PATH_A_HS_TIMEOUT, cfg->hs_timeout_ms) ||
	    nla_put_u8(skb, KWIK_PATH_A_STATE, pi.state) ||
	    nla_put_u32(skb, KWIK_PATH_A_ERROR, pi.error) ||
	    nla_put_u32(skb, KWIK_PATH_A_SESSIONS, pi.sessions))
		goto cancel;

	if (cfg->peer_name[0] &&
	    nla_put_string(skb, KWIK_PATH_A_PEER_NAME, cfg->peer_name))
		goto cancel;
	if (cfg->cc[0] && nla_put_string(skb, KWIK_PATH_A_CC, cfg->cc))
		goto cancel;

	if (kwik_nl_put_path_stats(skb, &pi))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int kwik_nl_put_listener(struct sk_buff *skb, struct kwik_listener *l)
{
	const struct kwik_listener_cfg *cfg = kwik_listener_cfg(l);
	struct kwik_listener_info li;
	struct nlattr *nest;

	kwik_listener_get_info(l, &li);

	nest = nla_nest_start(skb, KWIK_A_LISTENER);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u32(skb, KWIK_LISTENER_A_ID, cfg->id) ||
	    kwik_nl_put_addr(skb, KWIK_LISTENER_A_LOCAL, &cfg->local) ||
	    nla_put_u8(skb, KWIK_LISTENER_A_TRANSPORT, cfg->transport) ||
	    nla_put_u8(skb, KWIK_LISTENER_A_SECURITY, cfg->security) ||
	    nla_put_u32(skb, KWIK_LISTENER_A_FLAGS, cfg->flags) ||
	    nla_put_u32(skb, KWIK_LISTENER_A_KEY_SERIAL, cfg->key_serial) ||
	    nla_put_u8(skb, KWIK_LISTENER_A_STATE, li.state) ||
	    nla_put_u32(skb, KWIK_LISTENER_A_PATHS, li.paths) ||
	    nla_put_u32(skb, KWIK_LISTENER_A_ERROR, li.error) ||
	    (cfg->cc[0] && nla_put_string(skb, KWIK_LISTENER_A_CC, cfg->cc))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int kwik_nl_put_service(struct sk_buff *skb, struct kwik_net *kn,
			       struct kwik_service *svc)
{
	struct kwik_service_info si;
	struct nlattr *nest;

	kwik_service_get_info(kn, svc, &si);

	nest = nla_nest_start(skb, KWIK_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u32(skb, KWIK_SERVICE_A_ID, svc->cfg.id) ||
	    (svc->cfg.name[0] &&
	     nla_put_string(skb, KWIK_SERVICE_A_NAME, svc->cfg.name)) ||
	    kwik_nl_put_addr(skb, KWIK_SERVICE_A_MATCH, &svc->cfg.match) ||
	    kwik_nl_put_addr(skb, KWIK_SERVICE_A_FORWARD, &svc->cfg.forward) ||
	    nla_put_u32(skb, KWIK_SERVICE_A_FLAGS, svc->cfg.flags) ||
	    nla_put_u32(skb, KWIK_SERVICE_A_SESSIONS, si.sessions) ||
	    nla_put_u32(skb, KWIK_SERVICE_A_PATHS, si.paths) ||
	    (svc->cfg.scheduler[0] &&
	     nla_put_string(skb, KWIK_SERVICE_A_SCHEDULER,
			    svc->cfg.scheduler))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int kwik_nl_put_session(struct sk_buff *skb,
			       const struct kwik_session_info *si)
{
	struct nlattr *nest;
	u32 i, n;

	nest = nla_nest_start(skb, KWIK_A_SESSION);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u64_64bit(skb, KWIK_SESSION_A_ID, si->id,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u32(skb, KWIK_SESSION_A_SERVICE, si->service) ||
	    nla_put_u8(skb, KWIK_SESSION_A_STATE, si->state) ||
	    nla_put_u8(skb, KWIK_SESSION_A_ROLE, si->role) ||
	    nla_put_u64_64bit(skb, KWIK_SESSION_A_TX_BYTES, si->tx_bytes,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_SESSION_A_RX_BYTES, si->rx_bytes,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u32(skb, KWIK_SESSION_A_ERROR, si->error))
		goto cancel;

	if (nla_put_u64_64bit(skb, KWIK_SESSION_A_WRITE_SEQ, si->write_seq,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_SESSION_A_SND_NXT, si->snd_nxt,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u64_64bit(skb, KWIK_SESSION_A_SND_UNA, si->snd_una,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u32(skb, KWIK_SESSION_A_SND_WND, si->snd_wnd) ||
	    nla_put_u64_64bit(skb, KWIK_SESSION_A_RCV_NXT, si->rcv_nxt,
			      KWIK_SESSION_A_PAD) ||
	    nla_put_u32(skb, KWIK_SESSION_A_RCV_WND, si->rcv_wnd) ||
	    nla_put_u32(skb, KWIK_SESSION_A_OFO_BYTES, si->ofo_bytes) ||
	    nla_put_u32(skb, KWIK_SESSION_A_RTX, si->rtx) ||
	    nla_put_u32(skb, KWIK_SESSION_A_FLAGS, si->flags))
		goto cancel;

	/* Never trust the count beyond the array it describes. */
	n = min_t(u32, si->npaths, KWIK_SESSION_MAX_PATHS);
	for (i = 0; i < n; i++)
		if (nla_put_u32(skb, KWIK_SESSION_A_PATH, si->path_ids[i]))
			goto cancel;
	for (i = 0; i < n; i++) {
		struct nlattr *sf = nla_nest_start(skb, KWIK_SESSION_A_SUBFLOW);

		if (!sf ||
		    nla_put_u32(skb, KWIK_SUBFLOW_A_PATH, si->path_ids[i]) ||
		    nla_put_u32(skb, KWIK_SUBFLOW_A_FLAGS, si->sf_flags[i]) ||
		    nla_put_u64_64bit(skb, KWIK_SUBFLOW_A_TX_BYTES,
				      si->sf_tx_bytes[i], KWIK_SUBFLOW_A_PAD))
			goto cancel;
		nla_nest_end(skb, sf);
	}

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * Start a unicast reply to @info.  Allocated before kn->lock is taken, so
 * that an ADD never fails for want of memory after the object exists.
 */
static struct sk_buff *kwik_nl_reply_new(struct genl_info *info, u8 cmd,
					 void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;

	*hdr = genlmsg_put_reply(msg, info, &kwik_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Start one dump message; NULL if the skb is full. */
static void *kwik_nl_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			      u8 cmd, u32 genid)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &kwik_nl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return NULL;

	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, KWIK_A_GENERATION, genid)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

/* ---------------------------------------------------------------------
 * Paths
 */

static int kwik_nl_path_parse(struct genl_info *info, struct nlattr **tb,
			      struct kwik_path_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));

	if (!tb[KWIK_PATH_A_SERVICE])
		return kwik_nl_missing(info, KWIK_A_PATH, KWIK_PATH_A_SERVICE,
				       "missing path service");
	if (!tb[KWIK_PATH_A_REMOTE])
		return kwik_nl_missing(info, KWIK_A_PATH, KWIK_PATH_A_REMOTE,
				       "missing path remote address");

	cfg->service = nla_get_u32(tb[KWIK_PATH_A_SERVICE]);
	kwik_nl_get_addr(&cfg->remote, tb[KWIK_PATH_A_REMOTE]);
	if (tb[KWIK_PATH_A_LOCAL]) {
		kwik_nl_get_addr(&cfg->local, tb[KWIK_PATH_A_LOCAL]);
		if (cfg->local.ss_family != cfg->remote.ss_family) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[KWIK_PATH_A_LOCAL],
					    "local and remote address families differ");
			return -EINVAL;
		}
	}
	if (tb[KWIK_PATH_A_ID])
		cfg->id = nla_get_u32(tb[KWIK_PATH_A_ID]);

	cfg->transport = tb[KWIK_PATH_A_TRANSPORT] ?
			 nla_get_u8(tb[KWIK_PATH_A_TRANSPORT]) :
			 KWIK_TRANSPORT_TCP;
	cfg->security = tb[KWIK_PATH_A_SECURITY] ?
			nla_get_u8(tb[KWIK_PATH_A_SECURITY]) :
			KWIK_SECURITY_TLS;
	cfg->weight = tb[KWIK_PATH_A_WEIGHT] ?
		      nla_get_u32(tb[KWIK_PATH_A_WEIGHT]) : 1;
	cfg->priority = tb[KWIK_PATH_A_PRIORITY] ?
			nla_get_u8(tb[KWIK_PATH_A_PRIORITY]) :
			KWIK_PRIORITY_PRIMARY;
	if (tb[KWIK_PATH_A_FLAGS])
		cfg->flags = nla_get_u32(tb[KWIK_PATH_A_FLAGS]);
	if (tb[KWIK_PATH_A_KEY_SERIAL])
		cfg->key_serial = nla_get_u32(tb[KWIK_PATH_A_KEY_SERIAL]);
	if (tb[KWIK_PATH_A_HS_TIMEOUT])
		cfg->hs_timeout_ms = nla_get_u32(tb[KWIK_PATH_A_HS_TIMEOUT]);
	if (tb[KWIK_PATH_A_PEER_NAME])
		nla_strscpy(cfg->peer_name, tb[KWIK_PATH_A_PEER_NAME],
			    sizeof(cfg->peer_name));
	if (tb[KWIK_PATH_A_CC])
		nla_strscpy(cfg->cc, tb[KWIK_PATH_A_CC], sizeof(cfg->cc));
	return 0;
}

static int kwik_nl_path_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct nlattr *tb[KWIK_PATH_A_MAX + 1];
	struct kwik_path_cfg *cfg;
	struct kwik_path *path;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = kwik_nl_nest(info, KWIK_A_PATH, KWIK_PATH_A_MAX,
			   kwik_path_policy, tb);
	if (err)
		return err;

	/* Large (peer name): keep it off the stack. */
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	err = kwik_nl_path_parse(info, tb, cfg);
	if (err)
		goto out_cfg;

	msg = kwik_nl_reply_new(info, KWIK_CMD_PATH_ADD, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		err = -ENOMEM;
		goto out_cfg;
	}

	mutex_lock(&kn->lock);
	err = kwik_path_add(kn, cfg, info->extack);
	if (err) {
		mutex_unlock(&kn->lock);
		/* The core should have said why; make sure something does. */
		if (info->extack && !info->extack->_msg)
			NL_SET_ERR_MSG_MOD(info->extack, "cannot add path");
		goto out_msg;
	}
	path = kwik_path_find(kn, cfg->id);
	/* The path is in; a short reply must not turn that into an error. */
	if (path && kwik_nl_put_path(msg, path))
		WARN_ONCE(1, "kwik: path reply does not fit\n");
	mutex_unlock(&kn->lock);

	kfree(cfg);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_msg:
	nlmsg_free(msg);
out_cfg:
	kfree(cfg);
	return err;
}

/* Fetch the ID of a DEL/GET request for any object type. */
static int kwik_nl_get_id(struct genl_info *info, int nest_type, int maxtype,
			  const struct nla_policy *policy, int id_type,
			  u32 *id)
{
	struct nlattr *tb[KWIK_PATH_A_MAX + 1];
	int err;

	BUILD_BUG_ON(KWIK_LISTENER_A_MAX > KWIK_PATH_A_MAX);
	BUILD_BUG_ON(KWIK_SERVICE_A_MAX > KWIK_PATH_A_MAX);

	err = kwik_nl_nest(info, nest_type, maxtype, policy, tb);
	if (err)
		return err;
	if (!tb[id_type])
		return kwik_nl_missing(info, nest_type, id_type,
				       "missing object id");
	*id = nla_get_u32(tb[id_type]);
	return 0;
}

static int kwik_nl_path_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_PATH, KWIK_PATH_A_MAX,
			     kwik_path_policy, KWIK_PATH_A_ID, &id);
	if (err)
		return err;

	mutex_lock(&kn->lock);
	err = kwik_path_del(kn, id, info->extack);
	mutex_unlock(&kn->lock);
	if (err && info->extack && !info->extack->_msg)
		NL_SET_ERR_MSG_MOD(info->extack, "cannot delete path");
	return err;
}

static int kwik_nl_path_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct kwik_path *path;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_PATH, KWIK_PATH_A_MAX,
			     kwik_path_policy, KWIK_PATH_A_ID, &id);
	if (err)
		return err;

	msg = kwik_nl_reply_new(info, KWIK_CMD_PATH_GET, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	path = kwik_path_find(kn, id);
	if (!path) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KWIK_A_PATH],
				    "no such path");
		err = -ENOENT;
	} else {
		err = kwik_nl_put_path(msg, path);
		if (err)
			NL_SET_ERR_MSG_MOD(info->extack, "reply too large");
	}
	mutex_unlock(&kn->lock);

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Dumps walk a list that may change between two parts: cb->args[0]
 * counts the objects already sent, and a change of kn->genid since the
 * first part marks the dump NLM_F_DUMP_INTR.  The core treats a zero
 * cb->seq as "no generation", hence the offset of one.
 */
static int kwik_nl_path_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kwik_net *kn = kwik_pernet(sock_net(skb->sk));
	struct kwik_path *path = NULL;
	long idx = 0;
	void *hdr;

	mutex_lock(&kn->lock);
	cb->seq = kn->genid + 1;
	while ((path = kwik_path_next(kn, path))) {
		if (idx < cb->args[0]) {
			idx++;
			continue;
		}
		hdr = kwik_nl_dump_hdr(skb, cb, KWIK_CMD_PATH_GET, kn->genid);
		if (!hdr)
			break;
		if (kwik_nl_put_path(skb, path)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&kn->lock);

	cb->args[0] = idx;
	return skb->len;
}

/* ---------------------------------------------------------------------
 * Listeners
 */

static int kwik_nl_listener_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct nlattr *tb[KWIK_LISTENER_A_MAX + 1];
	struct kwik_listener_cfg cfg = {};
	struct kwik_listener *l;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = kwik_nl_nest(info, KWIK_A_LISTENER, KWIK_LISTENER_A_MAX,
			   kwik_listener_policy, tb);
	if (err)
		return err;

	if (!tb[KWIK_LISTENER_A_LOCAL])
		return kwik_nl_missing(info, KWIK_A_LISTENER,
				       KWIK_LISTENER_A_LOCAL,
				       "missing listener local address");

	kwik_nl_get_addr(&cfg.local, tb[KWIK_LISTENER_A_LOCAL]);
	if (tb[KWIK_LISTENER_A_ID])
		cfg.id = nla_get_u32(tb[KWIK_LISTENER_A_ID]);
	cfg.transport = tb[KWIK_LISTENER_A_TRANSPORT] ?
			nla_get_u8(tb[KWIK_LISTENER_A_TRANSPORT]) :
			KWIK_TRANSPORT_TCP;
	cfg.security = tb[KWIK_LISTENER_A_SECURITY] ?
		       nla_get_u8(tb[KWIK_LISTENER_A_SECURITY]) :
		       KWIK_SECURITY_TLS;
	if (tb[KWIK_LISTENER_A_FLAGS])
		cfg.flags = nla_get_u32(tb[KWIK_LISTENER_A_FLAGS]);
	if (tb[KWIK_LISTENER_A_KEY_SERIAL])
		cfg.key_serial = nla_get_u32(tb[KWIK_LISTENER_A_KEY_SERIAL]);
	if (tb[KWIK_LISTENER_A_CC])
		nla_strscpy(cfg.cc, tb[KWIK_LISTENER_A_CC], sizeof(cfg.cc));

	msg = kwik_nl_reply_new(info, KWIK_CMD_LISTENER_ADD, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	err = kwik_listener_add(kn, &cfg, info->extack);
	if (err) {
		mutex_unlock(&kn->lock);
		if (info->extack && !info->extack->_msg)
			NL_SET_ERR_MSG_MOD(info->extack, "cannot add listener");
		nlmsg_free(msg);
		return err;
	}
	l = kwik_listener_find(kn, cfg.id);
	if (l && kwik_nl_put_listener(msg, l))
		WARN_ONCE(1, "kwik: listener reply does not fit\n");
	mutex_unlock(&kn->lock);

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kwik_nl_listener_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_LISTENER, KWIK_LISTENER_A_MAX,
			     kwik_listener_policy, KWIK_LISTENER_A_ID, &id);
	if (err)
		return err;

	mutex_lock(&kn->lock);
	err = kwik_listener_del(kn, id, info->extack);
	mutex_unlock(&kn->lock);
	if (err && info->extack && !info->extack->_msg)
		NL_SET_ERR_MSG_MOD(info->extack, "cannot delete listener");
	return err;
}

static int kwik_nl_listener_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct kwik_listener *l;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_LISTENER, KWIK_LISTENER_A_MAX,
			     kwik_listener_policy, KWIK_LISTENER_A_ID, &id);
	if (err)
		return err;

	msg = kwik_nl_reply_new(info, KWIK_CMD_LISTENER_GET, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	l = kwik_listener_find(kn, id);
	if (!l) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KWIK_A_LISTENER],
				    "no such listener");
		err = -ENOENT;
	} else {
		err = kwik_nl_put_listener(msg, l);
		if (err)
			NL_SET_ERR_MSG_MOD(info->extack, "reply too large");
	}
	mutex_unlock(&kn->lock);

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kwik_nl_listener_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct kwik_net *kn = kwik_pernet(sock_net(skb->sk));
	struct kwik_listener *l = NULL;
	long idx = 0;
	void *hdr;

	mutex_lock(&kn->lock);
	cb->seq = kn->genid + 1;
	while ((l = kwik_listener_next(kn, l))) {
		if (idx < cb->args[0]) {
			idx++;
			continue;
		}
		hdr = kwik_nl_dump_hdr(skb, cb, KWIK_CMD_LISTENER_GET,
				       kn->genid);
		if (!hdr)
			break;
		if (kwik_nl_put_listener(skb, l)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&kn->lock);

	cb->args[0] = idx;
	return skb->len;
}

/* ---------------------------------------------------------------------
 * Services
 */

static int kwik_nl_service_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct nlattr *tb[KWIK_SERVICE_A_MAX + 1];
	struct kwik_service_cfg cfg = {};
	struct kwik_service *svc;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = kwik_nl_nest(info, KWIK_A_SERVICE, KWIK_SERVICE_A_MAX,
			   kwik_service_policy, tb);
	if (err)
		return err;

	if (!tb[KWIK_SERVICE_A_ID])
		return kwik_nl_missing(info, KWIK_A_SERVICE, KWIK_SERVICE_A_ID,
				       "missing service id");

	cfg.id = nla_get_u32(tb[KWIK_SERVICE_A_ID]);
	if (tb[KWIK_SERVICE_A_NAME])
		nla_strscpy(cfg.name, tb[KWIK_SERVICE_A_NAME],
			    sizeof(cfg.name));
	if (tb[KWIK_SERVICE_A_MATCH])
		kwik_nl_get_addr(&cfg.match, tb[KWIK_SERVICE_A_MATCH]);
	if (tb[KWIK_SERVICE_A_FORWARD])
		kwik_nl_get_addr(&cfg.forward, tb[KWIK_SERVICE_A_FORWARD]);
	if (tb[KWIK_SERVICE_A_FLAGS])
		cfg.flags = nla_get_u32(tb[KWIK_SERVICE_A_FLAGS]);
	if (tb[KWIK_SERVICE_A_SCHEDULER])
		nla_strscpy(cfg.scheduler, tb[KWIK_SERVICE_A_SCHEDULER],
			    sizeof(cfg.scheduler));

	msg = kwik_nl_reply_new(info, KWIK_CMD_SERVICE_ADD, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	err = kwik_service_add(kn, &cfg, info->extack);
	if (err) {
		mutex_unlock(&kn->lock);
		if (info->extack && !info->extack->_msg)
			NL_SET_ERR_MSG_MOD(info->extack, "cannot add service");
		nlmsg_free(msg);
		return err;
	}
	svc = kwik_service_find(kn, cfg.id);
	if (svc && kwik_nl_put_service(msg, kn, svc))
		WARN_ONCE(1, "kwik: service reply does not fit\n");
	mutex_unlock(&kn->lock);

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kwik_nl_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_SERVICE, KWIK_SERVICE_A_MAX,
			     kwik_service_policy, KWIK_SERVICE_A_ID, &id);
	if (err)
		return err;

	mutex_lock(&kn->lock);
	err = kwik_service_del(kn, id, info->extack);
	mutex_unlock(&kn->lock);
	if (err && info->extack && !info->extack->_msg)
		NL_SET_ERR_MSG_MOD(info->extack, "cannot delete service");
	return err;
}

static int kwik_nl_service_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kwik_net *kn = kwik_pernet(genl_info_net(info));
	struct kwik_service *svc;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int err;

	err = kwik_nl_get_id(info, KWIK_A_SERVICE, KWIK_SERVICE_A_MAX,
			     kwik_service_policy, KWIK_SERVICE_A_ID, &id);
	if (err)
		return err;

	msg = kwik_nl_reply_new(info, KWIK_CMD_SERVICE_GET, &hdr);
	if (!msg) {
		NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	svc = kwik_service_find(kn, id);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KWIK_A_SERVICE],
				    "no such service");
		err = -ENOENT;
	} else {
		err = kwik_nl_put_service(msg, kn, svc);
		if (err)
			NL_SET_ERR_MSG_MOD(info->extack, "reply too large");
	}
	mutex_unlock(&kn->lock);

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kwik_nl_service_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct kwik_net *kn = kwik_pernet(sock_net(skb->sk));
	struct kwik_service *svc;
	long idx = 0;
	void *hdr;

	mutex_lock(&kn->lock);
	cb->seq = kn->genid + 1;
	list_for_each_entry(svc, &kn->services, node) {
		if (idx < cb->args[0]) {
			idx++;
			continue;
		}
		hdr = kwik_nl_dump_hdr(skb, cb, KWIK_CMD_SERVICE_GET,
				       kn->genid);
		if (!hdr)
			break;
		if (kwik_nl_put_service(skb, kn, svc)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&kn->lock);

	cb->args[0] = idx;
	return skb->len;
}

/* ---------------------------------------------------------------------
 * Sessions
 */

struct kwik_nl_session_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u32 genid;
};

/* Called by kwik_session_walk(), possibly under a spinlock: no sleeping. */
static int kwik_nl_session_dump_one(const struct kwik_session_info *si,
				    void *arg)
{
	struct kwik_nl_session_dump *d = arg;
	void *hdr;

	hdr = kwik_nl_dump_hdr(d->skb, d->cb, KWIK_CMD_SESSION_GET, d->genid);
	if (!hdr)
		return -EMSGSIZE;
	if (kwik_nl_put_session(d->skb, si)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

/*
 * Sessions come and go on the data path without kn->lock, so the
 * generation of a session dump is only the configuration's: a dump of
 * sessions is a best-effort snapshot.
 */
static int kwik_nl_session_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct kwik_net *kn = kwik_pernet(sock_net(skb->sk));
	struct kwik_nl_session_dump d = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	int err;

	d.genid = READ_ONCE(kn->genid);
	cb->seq = d.genid + 1;

	err = kwik_session_walk(kn, &pos, kwik_nl_session_dump_one, &d);
	cb->args[0] = pos;

	/* A session too large for an empty skb would loop forever. */
	if (err && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

/* ---------------------------------------------------------------------
 * Events
 */

static void kwik_nl_event_send(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&kwik_nl_family, net, msg, 0,
				KWIK_NL_MCGRP_EVENTS, GFP_KERNEL);
}

void kwik_nl_path_event(struct net *net, struct kwik_path *path, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&kwik_nl_family, net, KWIK_NL_MCGRP_EVENTS))
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;

	hdr = genlmsg_put(msg, 0, 0, &kwik_nl_family, 0, cmd);
	if (!hdr || kwik_nl_put_path(msg, path)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	kwik_nl_event_send(net, msg);
}

void kwik_nl_session_event(struct net *net,
			   const struct kwik_session_info *info, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&kwik_nl_family, net, KWIK_NL_MCGRP_EVENTS))
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;

	hdr = genlmsg_put(msg, 0, 0, &kwik_nl_family, 0, cmd);
	if (!hdr || kwik_nl_put_session(msg, info)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	kwik_nl_event_send(net, msg);
}

/* ---------------------------------------------------------------------
 * Family
 */

/*
 * Changes need CAP_NET_ADMIN in the user namespace owning the network
 * namespace (GENL_UNS_ADMIN_PERM), so a container manages its own
 * paths; reads are open, as for "ip mptcp endpoint show".
 */
static const struct genl_ops kwik_nl_ops[] = {
	{
		.cmd	= KWIK_CMD_PATH_ADD,
		.doit	= kwik_nl_path_add,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_PATH_DEL,
		.doit	= kwik_nl_path_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_PATH_GET,
		.doit	= kwik_nl_path_get,
		.dumpit	= kwik_nl_path_dump,
	},
	{
		.cmd	= KWIK_CMD_LISTENER_ADD,
		.doit	= kwik_nl_listener_add,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_LISTENER_DEL,
		.doit	= kwik_nl_listener_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_LISTENER_GET,
		.doit	= kwik_nl_listener_get,
		.dumpit	= kwik_nl_listener_dump,
	},
	{
		.cmd	= KWIK_CMD_SERVICE_ADD,
		.doit	= kwik_nl_service_add,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_SERVICE_DEL,
		.doit	= kwik_nl_service_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= KWIK_CMD_SERVICE_GET,
		.doit	= kwik_nl_service_get,
		.dumpit	= kwik_nl_service_dump,
	},
	{
		.cmd	= KWIK_CMD_SESSION_GET,
		.dumpit	= kwik_nl_session_dump,
	},
};

/*
 * resv_start_op is left at 0: every command is new, so the core rejects
 * a non-zero reserved header field and validates all of them strictly.
 */
static struct genl_family kwik_nl_family __ro_after_init = {
	.name		= KWIK_GENL_NAME,
	.version	= KWIK_GENL_VERSION,
	.maxattr	= KWIK_A_MAX,
	.policy		= kwik_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= kwik_nl_ops,
	.n_ops		= ARRAY_SIZE(kwik_nl_ops),
	.mcgrps		= kwik_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(kwik_nl_mcgrps),
};

int __init kwik_nl_init(void)
{
	return genl_register_family(&kwik_nl_family);
}

void kwik_nl_exit(void)
{
	genl_unregister_family(&kwik_nl_family);
}
