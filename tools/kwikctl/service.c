// SPDX-License-Identifier: GPL-2.0
/* kwikctl service add | del | show */
#include <string.h>

#include "kwikctl.h"

static void service_usage(FILE *f)
{
	fprintf(f,
		"Usage: kwikctl service add ID [name NAME] [match ADDR:PORT]\n"
		"                              [forward ADDR:PORT] [scheduler NAME]\n"
		"       kwikctl service del ID\n"
		"       kwikctl service show [ID]\n"
		"ID is 1..4294967295; NAME at most %d characters.\n"
		"Schedulers: default, wrr, redundant.\n",
		KWIK_NAME_MAX - 1);
}

static const char *const service_headers[] = {
	"ID", "NAME", "MATCH", "FORWARD", "PATHS", "SESSIONS",
};

static void json_addr_or_null(const char *key, const struct nlattr *a)
{
	char buf[KC_ADDR_STRLEN];

	if (a)
		kc_json_str(key, kc_addr_fmt(a, buf, sizeof(buf)));
	else
		kc_json_null(key);
}

static void service_print(const struct kc_objs *o)
{
	struct nlattr *tb[KWIK_SERVICE_A_MAX + 1];
	char id[16], np[16], ns[16], m[KC_ADDR_STRLEN], f[KC_ADDR_STRLEN];
	struct kc_table *t = NULL;
	int i;

	if (kc_json)
		kc_json_open_array(NULL);
	else
		t = kc_table_new(sizeof(service_headers) /
				 sizeof(service_headers[0]), service_headers);

	for (i = 0; i < o->n; i++) {
		const char *name;

		memset(tb, 0, sizeof(tb));
		nla_parse_nested(tb, KWIK_SERVICE_A_MAX, o->v[i], NULL);
		name = tb[KWIK_SERVICE_A_NAME] ?
		       nla_get_string(tb[KWIK_SERVICE_A_NAME]) : NULL;
		if (kc_json) {
			kc_json_open_object(NULL);
			kc_json_uint("id", kc_u32(tb[KWIK_SERVICE_A_ID]));
			if (name)
				kc_json_str("name", name);
			else
				kc_json_null("name");
			json_addr_or_null("match", tb[KWIK_SERVICE_A_MATCH]);
			json_addr_or_null("forward", tb[KWIK_SERVICE_A_FORWARD]);
			kc_json_str("scheduler", tb[KWIK_SERVICE_A_SCHEDULER] ?
				    nla_get_string(tb[KWIK_SERVICE_A_SCHEDULER]) :
				    "default");
			kc_json_uint("paths", kc_u32(tb[KWIK_SERVICE_A_PATHS]));
			kc_json_uint("sessions",
				     kc_u32(tb[KWIK_SERVICE_A_SESSIONS]));
			kc_json_close_object();
			continue;
		}
		snprintf(id, sizeof(id), "%u", kc_u32(tb[KWIK_SERVICE_A_ID]));
		snprintf(np, sizeof(np), "%u", kc_u32(tb[KWIK_SERVICE_A_PATHS]));
		snprintf(ns, sizeof(ns), "%u",
			 kc_u32(tb[KWIK_SERVICE_A_SESSIONS]));
		kc_table_row(t, id, name && *name ? name : "-",
			     kc_addr_fmt(tb[KWIK_SERVICE_A_MATCH], m, sizeof(m)),
			     kc_addr_fmt(tb[KWIK_SERVICE_A_FORWARD], f, sizeof(f)),
			     np, ns);
	}

	if (kc_json) {
		kc_json_close_array();
		kc_json_end_line();
	} else {
		kc_table_print(t);
	}
}

static int service_add(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_SERVICE };
	struct sockaddr_storage ss;
	struct nlattr *nest;
	struct nl_msg *msg;
	socklen_t len;
	uint32_t id;
	int i;

	if (argc < 1)
		kc_usage_error("service add needs an ID");
	if (kc_is_help(argv[0])) {
		service_usage(stdout);
		return 0;
	}
	id = kc_parse_u32("service id", argv[0], 1, UINT32_MAX);

	msg = kc_nl_msg(KWIK_CMD_SERVICE_ADD, 0);
	nest = nla_nest_start(msg, KWIK_A_SERVICE);
	nla_put_u32(msg, KWIK_SERVICE_A_ID, id);

	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *v;

		if (kc_is_help(k)) {
			service_usage(stdout);
			return 0;
		}
		if (strcmp(k, "name") && strcmp(k, "match") &&
		    strcmp(k, "forward") && strcmp(k, "scheduler"))
			kc_usage_error("unknown service argument \"%s\"", k);
		if (i + 1 >= argc)
			kc_usage_error("\"%s\" needs an argument", k);
		v = argv[++i];

		if (!strcmp(k, "scheduler")) {
			if (!*v || strlen(v) >= KWIK_SCHED_NAME_MAX)
				kc_usage_error("scheduler must be 1..%d characters",
					       KWIK_SCHED_NAME_MAX - 1);
			nla_put_string(msg, KWIK_SERVICE_A_SCHEDULER, v);
			continue;
		}
		if (!strcmp(k, "name")) {
			if (!*v || strlen(v) >= KWIK_NAME_MAX)
				kc_usage_error("name must be 1..%d characters",
					       KWIK_NAME_MAX - 1);
			nla_put_string(msg, KWIK_SERVICE_A_NAME, v);
			continue;
		}
		if (kc_addr_parse(v, true, &ss, &len))
			kc_usage_error("invalid %s address \"%s\" (ADDR:PORT, [ADDR6]:PORT)",
				       k, v);
		nla_put(msg, k[0] == 'm' ? KWIK_SERVICE_A_MATCH :
			KWIK_SERVICE_A_FORWARD, len, &ss);
	}
	nla_nest_end(msg, nest);

	kc_nl_collect(KWIK_CMD_SERVICE_ADD, msg, &o);
	if (kc_json)
		service_print(&o);
	else
		printf("service %u added\n", id);
	kc_objs_free(&o);
	return 0;
}

static struct nl_msg *service_id_msg(uint8_t cmd, const char *arg)
{
	uint32_t id = kc_parse_u32("service id", arg, 1, UINT32_MAX);
	struct nl_msg *msg = kc_nl_msg(cmd, 0);
	struct nlattr *nest = nla_nest_start(msg, KWIK_A_SERVICE);

	nla_put_u32(msg, KWIK_SERVICE_A_ID, id);
	nla_nest_end(msg, nest);
	return msg;
}

int kc_cmd_service(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_SERVICE };

	if (argc >= 1 && kc_is_help(argv[argc - 1])) {
		service_usage(stdout);
		return 0;
	}
	if (argc < 1 || kc_matches(argv[0], "show") ||
	    kc_matches(argv[0], "list")) {
		if (argc > 2)
			kc_usage_error("usage: kwikctl service show [ID]");
		kc_nl_collect(KWIK_CMD_SERVICE_GET, argc == 2 ?
			      service_id_msg(KWIK_CMD_SERVICE_GET, argv[1]) :
			      NULL, &o);
		service_print(&o);
		kc_objs_free(&o);
		return 0;
	}
	if (kc_matches(argv[0], "add"))
		return service_add(argc - 1, argv + 1);
	if (kc_matches(argv[0], "del") || kc_matches(argv[0], "delete") ||
	    kc_matches(argv[0], "remove")) {
		if (argc != 2)
			kc_usage_error("usage: kwikctl service del ID");
		kc_nl_request(service_id_msg(KWIK_CMD_SERVICE_DEL, argv[1]),
			      NULL, NULL);
		return 0;
	}
	kc_usage_error("unknown service command \"%s\"", argv[0]);
}
