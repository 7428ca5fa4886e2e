// SPDX-License-Identifier: GPL-2.0
/* kwikctl monitor: one line per event of the "events" multicast group. */
#include <inttypes.h>
#include <string.h>

#include "kwikctl.h"

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case KWIK_EVENT_PATH_UP:
		return "path-up";
	case KWIK_EVENT_PATH_DOWN:
		return "path-down";
	case KWIK_EVENT_SESSION_OPEN:
		return "session-open";
	case KWIK_EVENT_SESSION_CLOSE:
		return "session-close";
	default:
		return NULL;
	}
}

static void monitor_path(struct nlattr *nest, const char *ev)
{
	struct nlattr *tb[KWIK_PATH_A_MAX + 1] = { 0 };
	char a[KC_ADDR_STRLEN], e[32];

	kc_path_parse_nest(nest, tb);
	printf("%s id %u service %u remote %s state %s error %s\n", ev,
	       kc_u32(tb[KWIK_PATH_A_ID]), kc_u32(tb[KWIK_PATH_A_SERVICE]),
	       kc_addr_fmt(tb[KWIK_PATH_A_REMOTE], a, sizeof(a)),
	       kc_path_state_name(kc_u8(tb[KWIK_PATH_A_STATE])),
	       kc_errno_name(kc_u32(tb[KWIK_PATH_A_ERROR]), e, sizeof(e)));
}

static void monitor_session(struct nlattr *nest, const char *ev)
{
	struct nlattr *tb[KWIK_SESSION_A_MAX + 1] = { 0 };
	char e[32];

	kc_session_parse_nest(nest, tb);
	printf("%s id %" PRIu64 " service %u role %s state %s error %s\n", ev,
	       kc_u64a(tb[KWIK_SESSION_A_ID]),
	       kc_u32(tb[KWIK_SESSION_A_SERVICE]),
	       kc_role_name(kc_u8(tb[KWIK_SESSION_A_ROLE])),
	       kc_session_state_name(kc_u8(tb[KWIK_SESSION_A_STATE])),
	       kc_errno_name(kc_u32(tb[KWIK_SESSION_A_ERROR]), e, sizeof(e)));
}

static int monitor_event(struct nlattr **tb, uint8_t cmd, void *arg)
{
	const char *ev = event_name(cmd);
	bool is_path = cmd == KWIK_EVENT_PATH_UP || cmd == KWIK_EVENT_PATH_DOWN;
	struct nlattr *nest = tb[is_path ? KWIK_A_PATH : KWIK_A_SESSION];

	(void)arg;
	/* Unknown or malformed events from a newer kernel are skipped. */
	if (!ev || !nest)
		return 0;

	if (kc_json) {
		kc_json_open_object(NULL);
		kc_json_str("event", ev);
		kc_json_open_object(is_path ? "path" : "session");
		if (is_path)
			kc_path_json(nest);
		else
			kc_session_json(nest);
		kc_json_close_object();
		kc_json_close_object();
		kc_json_end_line();
	} else if (is_path) {
		monitor_path(nest, ev);
	} else {
		monitor_session(nest, ev);
	}
	/* Readers of a pipe (tests, scripts) see each event at once. */
	fflush(stdout);
	return 0;
}

int kc_cmd_monitor(int argc, char **argv)
{
	if (argc >= 1 && kc_is_help(argv[0])) {
		printf("Usage: kwikctl [-j] monitor\n"
		       "Prints one line per event: path-up, path-down,\n"
		       "session-open, session-close.\n");
		return 0;
	}
	if (argc > 0)
		kc_usage_error("usage: kwikctl monitor");
	return kc_nl_monitor(monitor_event, NULL);
}
