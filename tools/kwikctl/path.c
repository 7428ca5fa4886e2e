// SPDX-License-Identifier: GPL-2.0
/* kwikctl path add | del | show */
#include <string.h>

#include "kwikctl.h"

static void path_usage(FILE *f)
{
	fprintf(f,
		"Usage: kwikctl path add service ID remote ADDR:PORT [local ADDR[:PORT]]\n"
		"                        [transport tcp|quic] [tls|psk|insecure]\n"
		"                        [security tls|psk|none] [peer-name NAME]\n"
		"                        [key-serial N] [handshake-timeout MS]\n"
		"                        [cc NAME] [weight N] [backup] [id N]\n"
		"                        [no-reconnect]\n"
		"       kwikctl path del ID\n"
		"       kwikctl path show [ID]\n"
		"IPv6 addresses are written [ADDR]:PORT.  Defaults: transport tcp,\n"
		"security tls, handshake-timeout 5000 (%u..%u), weight 1 (1..%u),\n"
		"primary, cc bbr (if the kernel has it).  psk needs key-serial (a key\n"
		"of type psk).  transport quic needs kwik_quic.ko, tls or psk, and\n"
		"takes cc reno or cubic.\n",
		KWIK_HS_TIMEOUT_MIN, KWIK_HS_TIMEOUT_MAX, KWIK_WEIGHT_MAX);
}

int kc_path_parse_nest(struct nlattr *nest, struct nlattr **tb)
{
	return nla_parse_nested(tb, KWIK_PATH_A_MAX, nest, NULL);
}

static void path_json_stats(struct nlattr *nest)
{
	struct nlattr *st[KWIK_PATH_STATS_A_MAX + 1] = { 0 };

	if (nest)
		nla_parse_nested(st, KWIK_PATH_STATS_A_MAX, nest, NULL);
	kc_json_open_object("stats");
	kc_json_uint("tx_bytes", kc_u64a(st[KWIK_PATH_STATS_A_TX_BYTES]));
	kc_json_uint("rx_bytes", kc_u64a(st[KWIK_PATH_STATS_A_RX_BYTES]));
	kc_json_uint("tx_frames", kc_u64a(st[KWIK_PATH_STATS_A_TX_FRAMES]));
	kc_json_uint("rx_frames", kc_u64a(st[KWIK_PATH_STATS_A_RX_FRAMES]));
	kc_json_uint("rx_dropped", kc_u64a(st[KWIK_PATH_STATS_A_RX_DROPPED]));
	kc_json_uint("connects", kc_u32(st[KWIK_PATH_STATS_A_CONNECTS]));
	kc_json_uint("failures", kc_u32(st[KWIK_PATH_STATS_A_FAILURES]));
	kc_json_uint("srtt_us", kc_u32(st[KWIK_PATH_STATS_A_SRTT_US]));
	kc_json_uint("rttvar_us", kc_u32(st[KWIK_PATH_STATS_A_RTTVAR_US]));
	kc_json_uint("delivery_rate",
		     kc_u64a(st[KWIK_PATH_STATS_A_DELIVERY_RATE]));
	kc_json_uint("retrans_ppm", kc_u32(st[KWIK_PATH_STATS_A_RETRANS_PPM]));
	kc_json_uint("inflight_bytes", kc_u32(st[KWIK_PATH_STATS_A_INFLIGHT]));
	kc_json_uint("cwnd_bytes", kc_u32(st[KWIK_PATH_STATS_A_CWND]));
	kc_json_uint("stalls", kc_u32(st[KWIK_PATH_STATS_A_STALLS]));
	kc_json_uint("rx_copied", kc_u64a(st[KWIK_PATH_STATS_A_RX_COPIED]));
	kc_json_close_object();
}

/* The keys of one path object; documented in kwikctl.8. */
static void path_json_fields(struct nlattr **tb)
{
	char a[KC_ADDR_STRLEN], e[32];
	uint32_t err = kc_u32(tb[KWIK_PATH_A_ERROR]);

	kc_json_uint("id", kc_u32(tb[KWIK_PATH_A_ID]));
	kc_json_uint("service", kc_u32(tb[KWIK_PATH_A_SERVICE]));
	kc_json_str("remote", kc_addr_fmt(tb[KWIK_PATH_A_REMOTE], a, sizeof(a)));
	if (tb[KWIK_PATH_A_LOCAL])
		kc_json_str("local",
			    kc_addr_fmt(tb[KWIK_PATH_A_LOCAL], a, sizeof(a)));
	else
		kc_json_null("local");
	kc_json_str("transport",
		    kc_transport_name(kc_u8(tb[KWIK_PATH_A_TRANSPORT])));
	kc_json_str("security",
		    kc_security_name(kc_u8(tb[KWIK_PATH_A_SECURITY])));
	kc_json_uint("weight", kc_u32(tb[KWIK_PATH_A_WEIGHT]));
	kc_json_str("priority",
		    kc_priority_name(kc_u8(tb[KWIK_PATH_A_PRIORITY])));
	kc_json_bool("no_reconnect", kc_u32(tb[KWIK_PATH_A_FLAGS]) &
		     KWIK_PATH_F_NO_RECONNECT);
	if (tb[KWIK_PATH_A_PEER_NAME])
		kc_json_str("peer_name", nla_get_string(tb[KWIK_PATH_A_PEER_NAME]));
	else
		kc_json_null("peer_name");
	kc_json_uint("key_serial", kc_u32(tb[KWIK_PATH_A_KEY_SERIAL]));
	kc_json_uint("handshake_timeout_ms",
		     kc_u32(tb[KWIK_PATH_A_HS_TIMEOUT]));
	if (tb[KWIK_PATH_A_CC])
		kc_json_str("cc", nla_get_string(tb[KWIK_PATH_A_CC]));
	else
		kc_json_null("cc");
	kc_json_str("state", kc_path_state_name(kc_u8(tb[KWIK_PATH_A_STATE])));
	kc_json_uint("error", err);
	if (err)
		kc_json_str("error_name", kc_errno_name(err, e, sizeof(e)));
	else
		kc_json_null("error_name");
	kc_json_uint("sessions", kc_u32(tb[KWIK_PATH_A_SESSIONS]));
	path_json_stats(tb[KWIK_PATH_A_STATS]);
}

void kc_path_json(struct nlattr *nest)
{
	struct nlattr *tb[KWIK_PATH_A_MAX + 1] = { 0 };

	kc_path_parse_nest(nest, tb);
	path_json_fields(tb);
}

static const char *const path_headers[] = {
	"ID", "SERVICE", "REMOTE", "LOCAL", "TRANSPORT", "SECURITY", "WEIGHT",
	"PRIO", "STATE", "SESSIONS", "TX", "RX", "ERROR",
};

static void path_row(struct kc_table *t, struct nlattr *nest)
{
	struct nlattr *tb[KWIK_PATH_A_MAX + 1] = { 0 };
	struct nlattr *st[KWIK_PATH_STATS_A_MAX + 1] = { 0 };
	char id[16], svc[16], w[16], ns[16], tx[32], rx[32], e[32];
	char rem[KC_ADDR_STRLEN], loc[KC_ADDR_STRLEN], tr[40];

	kc_path_parse_nest(nest, tb);
	if (tb[KWIK_PATH_A_STATS])
		nla_parse_nested(st, KWIK_PATH_STATS_A_MAX,
				 tb[KWIK_PATH_A_STATS], NULL);

	snprintf(id, sizeof(id), "%u", kc_u32(tb[KWIK_PATH_A_ID]));
	snprintf(svc, sizeof(svc), "%u", kc_u32(tb[KWIK_PATH_A_SERVICE]));
	snprintf(w, sizeof(w), "%u", kc_u32(tb[KWIK_PATH_A_WEIGHT]));
	snprintf(ns, sizeof(ns), "%u", kc_u32(tb[KWIK_PATH_A_SESSIONS]));
	kc_table_row(t, id, svc,
		     kc_addr_fmt(tb[KWIK_PATH_A_REMOTE], rem, sizeof(rem)),
		     kc_addr_fmt(tb[KWIK_PATH_A_LOCAL], loc, sizeof(loc)),
		     kc_transport_fmt(tb[KWIK_PATH_A_TRANSPORT],
				      tb[KWIK_PATH_A_CC], tr, sizeof(tr)),
		     kc_security_name(kc_u8(tb[KWIK_PATH_A_SECURITY])),
		     w, kc_priority_name(kc_u8(tb[KWIK_PATH_A_PRIORITY])),
		     kc_path_state_name(kc_u8(tb[KWIK_PATH_A_STATE])), ns,
		     kc_bytes(kc_u64a(st[KWIK_PATH_STATS_A_TX_BYTES]), tx,
			      sizeof(tx)),
		     kc_bytes(kc_u64a(st[KWIK_PATH_STATS_A_RX_BYTES]), rx,
			      sizeof(rx)),
		     kc_errno_name(kc_u32(tb[KWIK_PATH_A_ERROR]), e, sizeof(e)));
}

static void path_print(const struct kc_objs *o)
{
	struct kc_table *t;
	int i;

	if (kc_json) {
		kc_json_open_array(NULL);
		for (i = 0; i < o->n; i++) {
			kc_json_open_object(NULL);
			kc_path_json(o->v[i]);
			kc_json_close_object();
		}
		kc_json_close_array();
		kc_json_end_line();
		return;
	}
	t = kc_table_new(sizeof(path_headers) / sizeof(path_headers[0]),
			 path_headers);
	for (i = 0; i < o->n; i++)
		path_row(t, o->v[i]);
	kc_table_print(t);
}

static const char *need_arg(int argc, char **argv, int i)
{
	if (i + 1 >= argc)
		kc_usage_error("\"%s\" needs an argument", argv[i]);
	return argv[i + 1];
}

static int path_add(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_PATH };
	struct sockaddr_storage ss;
	bool have_service = false, have_remote = false;
	struct nlattr *nest;
	struct nl_msg *msg;
	socklen_t len;
	const char *v;
	int i, val;

	msg = kc_nl_msg(KWIK_CMD_PATH_ADD, 0);
	nest = nla_nest_start(msg, KWIK_A_PATH);

	for (i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (!strcmp(k, "service")) {
			v = need_arg(argc, argv, i++);
			nla_put_u32(msg, KWIK_PATH_A_SERVICE,
				    kc_parse_u32("service", v, 1, UINT32_MAX));
			have_service = true;
		} else if (!strcmp(k, "remote") || !strcmp(k, "local")) {
			bool remote = k[0] == 'r';

			v = need_arg(argc, argv, i++);
			if (kc_addr_parse(v, remote, &ss, &len))
				kc_usage_error("invalid %s address \"%s\"%s", k,
					       v, remote ?
					       " (ADDR:PORT, [ADDR6]:PORT)" :
					       "");
			nla_put(msg, remote ? KWIK_PATH_A_REMOTE :
				KWIK_PATH_A_LOCAL, len, &ss);
			have_remote |= remote;
		} else if (!strcmp(k, "transport")) {
			v = need_arg(argc, argv, i++);
			val = kc_parse_transport(v);
			if (val < 0)
				kc_usage_error("invalid transport \"%s\" (tcp|quic)", v);
			nla_put_u8(msg, KWIK_PATH_A_TRANSPORT, val);
		} else if (!strcmp(k, "security")) {
			v = need_arg(argc, argv, i++);
			val = kc_parse_security(v);
			if (val < 0)
				kc_usage_error("invalid security \"%s\" (tls|psk|none)", v);
			nla_put_u8(msg, KWIK_PATH_A_SECURITY, val);
		} else if (kc_parse_security(k) >= 0 && strcmp(k, "none")) {
			nla_put_u8(msg, KWIK_PATH_A_SECURITY,
				   kc_parse_security(k));
		} else if (!strcmp(k, "peer-name")) {
			v = need_arg(argc, argv, i++);
			if (!*v || strlen(v) >= KWIK_PEER_NAME_MAX)
				kc_usage_error("peer-name must be 1..%d characters",
					       KWIK_PEER_NAME_MAX - 1);
			nla_put_string(msg, KWIK_PATH_A_PEER_NAME, v);
		} else if (!strcmp(k, "key-serial")) {
			v = need_arg(argc, argv, i++);
			nla_put_u32(msg, KWIK_PATH_A_KEY_SERIAL,
				    kc_parse_u32("key-serial", v, 0,
						 UINT32_MAX));
		} else if (!strcmp(k, "cc")) {
			v = need_arg(argc, argv, i++);
			kc_put_cc(msg, KWIK_PATH_A_CC, v);
		} else if (!strcmp(k, "handshake-timeout")) {
			v = need_arg(argc, argv, i++);
			nla_put_u32(msg, KWIK_PATH_A_HS_TIMEOUT,
				    kc_parse_u32("handshake-timeout", v,
						 KWIK_HS_TIMEOUT_MIN,
						 KWIK_HS_TIMEOUT_MAX));
		} else if (!strcmp(k, "weight")) {
			v = need_arg(argc, argv, i++);
			nla_put_u32(msg, KWIK_PATH_A_WEIGHT,
				    kc_parse_u32("weight", v, 1,
						 KWIK_WEIGHT_MAX));
		} else if (!strcmp(k, "backup") || !strcmp(k, "primary")) {
			nla_put_u8(msg, KWIK_PATH_A_PRIORITY, k[0] == 'b' ?
				   KWIK_PRIORITY_BACKUP :
				   KWIK_PRIORITY_PRIMARY);
		} else if (!strcmp(k, "id")) {
			v = need_arg(argc, argv, i++);
			nla_put_u32(msg, KWIK_PATH_A_ID,
				    kc_parse_u32("id", v, 1, UINT32_MAX));
		} else if (!strcmp(k, "no-reconnect")) {
			nla_put_u32(msg, KWIK_PATH_A_FLAGS,
				    KWIK_PATH_F_NO_RECONNECT);
		} else if (kc_is_help(k)) {
			path_usage(stdout);
			return 0;
		} else {
			kc_usage_error("unknown path argument \"%s\"", k);
		}
	}
	if (!have_service)
		kc_usage_error("path add needs \"service ID\"");
	if (!have_remote)
		kc_usage_error("path add needs \"remote ADDR:PORT\"");
	nla_nest_end(msg, nest);

	kc_nl_collect(KWIK_CMD_PATH_ADD, msg, &o);
	if (kc_json) {
		path_print(&o);
	} else if (o.n) {
		struct nlattr *tb[KWIK_PATH_A_MAX + 1] = { 0 };

		kc_path_parse_nest(o.v[0], tb);
		printf("path %u added\n", kc_u32(tb[KWIK_PATH_A_ID]));
	}
	kc_objs_free(&o);
	return 0;
}

static struct nl_msg *path_id_msg(uint8_t cmd, const char *arg)
{
	uint32_t id = kc_parse_u32("path id", arg, 1, UINT32_MAX);
	struct nl_msg *msg = kc_nl_msg(cmd, 0);
	struct nlattr *nest = nla_nest_start(msg, KWIK_A_PATH);

	nla_put_u32(msg, KWIK_PATH_A_ID, id);
	nla_nest_end(msg, nest);
	return msg;
}

int kc_cmd_path(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_PATH };

	if (argc < 1 || kc_matches(argv[0], "show") ||
	    kc_matches(argv[0], "list")) {
		if (argc > 2)
			kc_usage_error("usage: kwikctl path show [ID]");
		if (argc == 2 && kc_is_help(argv[1])) {
			path_usage(stdout);
			return 0;
		}
		kc_nl_collect(KWIK_CMD_PATH_GET, argc == 2 ?
			      path_id_msg(KWIK_CMD_PATH_GET, argv[1]) : NULL,
			      &o);
		path_print(&o);
		kc_objs_free(&o);
		return 0;
	}
	if (kc_is_help(argv[0])) {
		path_usage(stdout);
		return 0;
	}
	if (kc_matches(argv[0], "add"))
		return path_add(argc - 1, argv + 1);
	if (kc_matches(argv[0], "del") || kc_matches(argv[0], "delete") ||
	    kc_matches(argv[0], "remove")) {
		if (argc == 2 && kc_is_help(argv[1])) {
			path_usage(stdout);
			return 0;
		}
		if (argc != 2)
			kc_usage_error("usage: kwikctl path del ID");
		kc_nl_request(path_id_msg(KWIK_CMD_PATH_DEL, argv[1]), NULL,
			      NULL);
		return 0;
	}
	kc_usage_error("unknown path command \"%s\"", argv[0]);
}
