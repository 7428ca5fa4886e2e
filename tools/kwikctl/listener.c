// SPDX-License-Identifier: GPL-2.0
/* kwikctl listener add | del | show */
#include <string.h>

#include "kwikctl.h"

static void listener_usage(FILE *f)
{
	fprintf(f,
		"Usage: kwikctl listener add local ADDR:PORT [transport tcp|quic]\n"
		"                            [tls|psk|insecure] [security tls|psk|none]\n"
		"                            [key-serial N] [cc NAME] [id N]\n"
		"       kwikctl listener del ID\n"
		"       kwikctl listener show [ID]\n");
}

static const char *const listener_headers[] = {
	"ID", "LOCAL", "TRANSPORT", "SECURITY", "STATE", "PATHS", "ERROR",
};

static void listener_json(struct nlattr **tb)
{
	char a[KC_ADDR_STRLEN], e[32];
	uint32_t err = kc_u32(tb[KWIK_LISTENER_A_ERROR]);

	kc_json_uint("id", kc_u32(tb[KWIK_LISTENER_A_ID]));
	kc_json_str("local",
		    kc_addr_fmt(tb[KWIK_LISTENER_A_LOCAL], a, sizeof(a)));
	kc_json_str("transport",
		    kc_transport_name(kc_u8(tb[KWIK_LISTENER_A_TRANSPORT])));
	kc_json_str("security",
		    kc_security_name(kc_u8(tb[KWIK_LISTENER_A_SECURITY])));
	kc_json_uint("key_serial", kc_u32(tb[KWIK_LISTENER_A_KEY_SERIAL]));
	if (tb[KWIK_LISTENER_A_CC])
		kc_json_str("cc", nla_get_string(tb[KWIK_LISTENER_A_CC]));
	else
		kc_json_null("cc");
	kc_json_str("state",
		    kc_listener_state_name(kc_u8(tb[KWIK_LISTENER_A_STATE])));
	kc_json_uint("paths", kc_u32(tb[KWIK_LISTENER_A_PATHS]));
	kc_json_uint("error", err);
	if (err)
		kc_json_str("error_name", kc_errno_name(err, e, sizeof(e)));
	else
		kc_json_null("error_name");
}

static void listener_print(const struct kc_objs *o)
{
	struct nlattr *tb[KWIK_LISTENER_A_MAX + 1];
	char id[16], paths[16], a[KC_ADDR_STRLEN], e[32], tr[40];
	struct kc_table *t = NULL;
	int i;

	if (kc_json)
		kc_json_open_array(NULL);
	else
		t = kc_table_new(sizeof(listener_headers) /
				 sizeof(listener_headers[0]),
				 listener_headers);

	for (i = 0; i < o->n; i++) {
		memset(tb, 0, sizeof(tb));
		nla_parse_nested(tb, KWIK_LISTENER_A_MAX, o->v[i], NULL);
		if (kc_json) {
			kc_json_open_object(NULL);
			listener_json(tb);
			kc_json_close_object();
			continue;
		}
		snprintf(id, sizeof(id), "%u", kc_u32(tb[KWIK_LISTENER_A_ID]));
		snprintf(paths, sizeof(paths), "%u",
			 kc_u32(tb[KWIK_LISTENER_A_PATHS]));
		kc_table_row(t, id,
			     kc_addr_fmt(tb[KWIK_LISTENER_A_LOCAL], a, sizeof(a)),
			     kc_transport_fmt(tb[KWIK_LISTENER_A_TRANSPORT],
					      tb[KWIK_LISTENER_A_CC], tr,
					      sizeof(tr)),
			     kc_security_name(kc_u8(tb[KWIK_LISTENER_A_SECURITY])),
			     kc_listener_state_name(kc_u8(tb[KWIK_LISTENER_A_STATE])),
			     paths,
			     kc_errno_name(kc_u32(tb[KWIK_LISTENER_A_ERROR]), e,
					   sizeof(e)));
	}

	if (kc_json) {
		kc_json_close_array();
		kc_json_end_line();
	} else {
		kc_table_print(t);
	}
}

static int listener_add(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_LISTENER };
	struct sockaddr_storage ss;
	bool have_local = false;
	struct nlattr *nest;
	struct nl_msg *msg;
	socklen_t len;
	const char *v;
	int i, val;

	msg = kc_nl_msg(KWIK_CMD_LISTENER_ADD, 0);
	nest = nla_nest_start(msg, KWIK_A_LISTENER);

	for (i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (kc_is_help(k)) {
			listener_usage(stdout);
			return 0;
		}
		if (!strcmp(k, "local")) {
			if (i + 1 >= argc)
				kc_usage_error("\"local\" needs an argument");
			v = argv[++i];
			if (kc_addr_parse(v, true, &ss, &len))
				kc_usage_error("invalid local address \"%s\" (ADDR:PORT, [ADDR6]:PORT)",
					       v);
			nla_put(msg, KWIK_LISTENER_A_LOCAL, len, &ss);
			have_local = true;
		} else if (!strcmp(k, "transport")) {
			if (i + 1 >= argc)
				kc_usage_error("\"transport\" needs an argument");
			v = argv[++i];
			val = kc_parse_transport(v);
			if (val < 0)
				kc_usage_error("invalid transport \"%s\" (tcp|quic)", v);
			nla_put_u8(msg, KWIK_LISTENER_A_TRANSPORT, val);
		} else if (!strcmp(k, "security")) {
			if (i + 1 >= argc)
				kc_usage_error("\"security\" needs an argument");
			v = argv[++i];
			val = kc_parse_security(v);
			if (val < 0)
				kc_usage_error("invalid security \"%s\" (tls|psk|none)", v);
			nla_put_u8(msg, KWIK_LISTENER_A_SECURITY, val);
		} else if (kc_parse_security(k) >= 0 && strcmp(k, "none")) {
			nla_put_u8(msg, KWIK_LISTENER_A_SECURITY,
				   kc_parse_security(k));
		} else if (!strcmp(k, "key-serial")) {
			nla_put_u32(msg, KWIK_LISTENER_A_KEY_SERIAL,
				    kc_parse_u32("key-serial",
						 i + 1 < argc ? argv[i + 1] : NULL,
						 0, UINT32_MAX));
			i++;
		} else if (!strcmp(k, "cc")) {
			if (i + 1 >= argc)
				kc_usage_error("\"cc\" needs an argument");
			kc_put_cc(msg, KWIK_LISTENER_A_CC, argv[++i]);
		} else if (!strcmp(k, "id")) {
			nla_put_u32(msg, KWIK_LISTENER_A_ID,
				    kc_parse_u32("id",
						 i + 1 < argc ? argv[i + 1] : NULL,
						 1, UINT32_MAX));
			i++;
		} else {
			kc_usage_error("unknown listener argument \"%s\"", k);
		}
	}
	if (!have_local)
		kc_usage_error("listener add needs \"local ADDR:PORT\"");
	nla_nest_end(msg, nest);

	kc_nl_collect(KWIK_CMD_LISTENER_ADD, msg, &o);
	if (kc_json) {
		listener_print(&o);
	} else if (o.n) {
		struct nlattr *tb[KWIK_LISTENER_A_MAX + 1] = { 0 };

		nla_parse_nested(tb, KWIK_LISTENER_A_MAX, o.v[0], NULL);
		printf("listener %u added\n", kc_u32(tb[KWIK_LISTENER_A_ID]));
	}
	kc_objs_free(&o);
	return 0;
}

static struct nl_msg *listener_id_msg(uint8_t cmd, const char *arg)
{
	uint32_t id = kc_parse_u32("listener id", arg, 1, UINT32_MAX);
	struct nl_msg *msg = kc_nl_msg(cmd, 0);
	struct nlattr *nest = nla_nest_start(msg, KWIK_A_LISTENER);

	nla_put_u32(msg, KWIK_LISTENER_A_ID, id);
	nla_nest_end(msg, nest);
	return msg;
}

int kc_cmd_listener(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_LISTENER };

	if (argc >= 1 && kc_is_help(argv[argc - 1])) {
		listener_usage(stdout);
		return 0;
	}
	if (argc < 1 || kc_matches(argv[0], "show") ||
	    kc_matches(argv[0], "list")) {
		if (argc > 2)
			kc_usage_error("usage: kwikctl listener show [ID]");
		kc_nl_collect(KWIK_CMD_LISTENER_GET, argc == 2 ?
			      listener_id_msg(KWIK_CMD_LISTENER_GET, argv[1]) :
			      NULL, &o);
		listener_print(&o);
		kc_objs_free(&o);
		return 0;
	}
	if (kc_matches(argv[0], "add"))
		return listener_add(argc - 1, argv + 1);
	if (kc_matches(argv[0], "del") || kc_matches(argv[0], "delete") ||
	    kc_matches(argv[0], "remove")) {
		if (argc != 2)
			kc_usage_error("usage: kwikctl listener del ID");
		kc_nl_request(listener_id_msg(KWIK_CMD_LISTENER_DEL, argv[1]),
			      NULL, NULL);
		return 0;
	}
	kc_usage_error("unknown listener command \"%s\"", argv[0]);
}
