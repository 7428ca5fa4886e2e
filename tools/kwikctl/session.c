// SPDX-License-Identifier: GPL-2.0
/* kwikctl session show */
#include <inttypes.h>
#include <string.h>

#include "kwikctl.h"

static void session_usage(FILE *f)
{
	fprintf(f, "Usage: kwikctl [-d] session show\n"
		"  -d: under the table, each session's sequence state and paths\n");
}

static const char *const session_headers[] = {
	"ID", "SERVICE", "ROLE", "STATE", "PATHS", "TX", "RX", "ERROR",
};

/* KWIK_SESSION_F_*, by bit. */
static const char *const session_flag_names[] = {
	"ack-pending", "fin-sent", "fin-acked", "rcv-fin",
};

#define SESSION_NFLAGS \
	(sizeof(session_flag_names) / sizeof(session_flag_names[0]))

/* The session on one path (KWIK_SESSION_A_SUBFLOW). */
struct subflow {
	uint32_t path, flags;
	uint64_t tx_bytes;
};

/* @a, an attribute of a session nest: its values if it is a subflow. */
static bool subflow_parse(struct nlattr *a, struct subflow *sf)
{
	struct nlattr *sb[KWIK_SUBFLOW_A_MAX + 1] = { 0 };

	if (nla_type(a) != KWIK_SESSION_A_SUBFLOW)
		return false;
	nla_parse_nested(sb, KWIK_SUBFLOW_A_MAX, a, NULL);
	sf->path = kc_u32(sb[KWIK_SUBFLOW_A_PATH]);
	sf->flags = kc_u32(sb[KWIK_SUBFLOW_A_FLAGS]);
	sf->tx_bytes = kc_u64a(sb[KWIK_SUBFLOW_A_TX_BYTES]);
	return true;
}

int kc_session_parse_nest(struct nlattr *nest, struct nlattr **tb)
{
	return nla_parse_nested(tb, KWIK_SESSION_A_MAX, nest, NULL);
}

/* KWIK_SESSION_A_PATH repeats, once per path of the session. */
static void session_paths(struct nlattr *nest, char *buf, size_t size)
{
	struct nlattr *a;
	size_t off = 0;
	int rem;

	buf[0] = '\0';
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KWIK_SESSION_A_PATH)
			continue;
		if (off < size)
			off += snprintf(buf + off, size - off, "%s%u",
					off ? "," : "", kc_u32(a));
		else
			break;
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

void kc_session_json(struct nlattr *nest)
{
	struct nlattr *tb[KWIK_SESSION_A_MAX + 1] = { 0 };
	uint32_t err, flags, i;
	struct subflow sf;
	struct nlattr *a;
	char e[32];
	int rem;

	kc_session_parse_nest(nest, tb);
	err = kc_u32(tb[KWIK_SESSION_A_ERROR]);
	flags = kc_u32(tb[KWIK_SESSION_A_FLAGS]);
	kc_json_uint("id", kc_u64a(tb[KWIK_SESSION_A_ID]));
	kc_json_uint("service", kc_u32(tb[KWIK_SESSION_A_SERVICE]));
	kc_json_str("role", kc_role_name(kc_u8(tb[KWIK_SESSION_A_ROLE])));
	kc_json_str("state",
		    kc_session_state_name(kc_u8(tb[KWIK_SESSION_A_STATE])));
	kc_json_open_array("paths");
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == KWIK_SESSION_A_PATH)
			kc_json_uint(NULL, kc_u32(a));
	kc_json_close_array();
	kc_json_uint("tx_bytes", kc_u64a(tb[KWIK_SESSION_A_TX_BYTES]));
	kc_json_uint("rx_bytes", kc_u64a(tb[KWIK_SESSION_A_RX_BYTES]));
	kc_json_uint("error", err);
	if (err)
		kc_json_str("error_name", kc_errno_name(err, e, sizeof(e)));
	else
		kc_json_null("error_name");
	kc_json_uint("write_seq", kc_u64a(tb[KWIK_SESSION_A_WRITE_SEQ]));
	kc_json_uint("snd_nxt", kc_u64a(tb[KWIK_SESSION_A_SND_NXT]));
	kc_json_uint("snd_una", kc_u64a(tb[KWIK_SESSION_A_SND_UNA]));
	kc_json_uint("snd_wnd", kc_u32(tb[KWIK_SESSION_A_SND_WND]));
	kc_json_uint("rcv_nxt", kc_u64a(tb[KWIK_SESSION_A_RCV_NXT]));
	kc_json_uint("rcv_wnd", kc_u32(tb[KWIK_SESSION_A_RCV_WND]));
	kc_json_uint("ofo_bytes", kc_u32(tb[KWIK_SESSION_A_OFO_BYTES]));
	kc_json_uint("rtx", kc_u32(tb[KWIK_SESSION_A_RTX]));
	kc_json_open_array("flags");
	for (i = 0; i < SESSION_NFLAGS; i++)
		if (flags & (1U << i))
			kc_json_str(NULL, session_flag_names[i]);
	kc_json_close_array();
	kc_json_open_array("subflows");
	nla_for_each_nested(a, nest, rem) {
		if (!subflow_parse(a, &sf))
			continue;
		kc_json_open_object(NULL);
		kc_json_uint("path", sf.path);
		kc_json_bool("up", sf.flags & KWIK_SUBFLOW_F_UP);
		kc_json_bool("active", sf.flags & KWIK_SUBFLOW_F_ACTIVE);
		kc_json_uint("tx_bytes", sf.tx_bytes);
		kc_json_close_object();
	}
	kc_json_close_array();
}

/*
 * -d: the sequence state (what a stalled transfer waits for) and the
 * session on each path, one block per session under the table.
 */
static void session_details(struct nlattr *nest)
{
	struct nlattr *tb[KWIK_SESSION_A_MAX + 1] = { 0 };
	char w1[32], w2[32], o[32], b[32];
	struct subflow sf;
	uint32_t flags, i;
	struct nlattr *a;
	int rem, n = 0;

	kc_session_parse_nest(nest, tb);
	flags = kc_u32(tb[KWIK_SESSION_A_FLAGS]);
	printf("session %" PRIu64 "\n", kc_u64a(tb[KWIK_SESSION_A_ID]));
	printf("  send: queued to %" PRIu64 " next %" PRIu64 " unacked from %"
	       PRIu64 " window %s resend %u\n",
	       kc_u64a(tb[KWIK_SESSION_A_WRITE_SEQ]),
	       kc_u64a(tb[KWIK_SESSION_A_SND_NXT]),
	       kc_u64a(tb[KWIK_SESSION_A_SND_UNA]),
	       kc_bytes(kc_u32(tb[KWIK_SESSION_A_SND_WND]), w1, sizeof(w1)),
	       kc_u32(tb[KWIK_SESSION_A_RTX]));
	printf("  recv: next %" PRIu64 " window %s out-of-order %s\n",
	       kc_u64a(tb[KWIK_SESSION_A_RCV_NXT]),
	       kc_bytes(kc_u32(tb[KWIK_SESSION_A_RCV_WND]), w2, sizeof(w2)),
	       kc_bytes(kc_u32(tb[KWIK_SESSION_A_OFO_BYTES]), o, sizeof(o)));
	printf("  flags:");
	for (i = 0; i < SESSION_NFLAGS; i++)
		if (flags & (1U << i))
			printf(" %s", session_flag_names[i]);
	printf("%s\n", flags ? "" : " -");
	nla_for_each_nested(a, nest, rem) {
		if (!subflow_parse(a, &sf))
			continue;
		printf("  path %u: %s %s tx %s\n", sf.path,
		       sf.flags & KWIK_SUBFLOW_F_UP ? "up" : "down",
		       sf.flags & KWIK_SUBFLOW_F_ACTIVE ? "active" : "joining",
		       kc_bytes(sf.tx_bytes, b, sizeof(b)));
		n++;
	}
	if (!n)
		printf("  no path\n");
}

int kc_cmd_session(int argc, char **argv)
{
	struct kc_objs o = { .type = KWIK_A_SESSION };
	struct nlattr *tb[KWIK_SESSION_A_MAX + 1];
	char id[24], svc[16], paths[128], tx[32], rx[32], e[32];
	struct kc_table *t;
	int i;

	if (argc >= 1 && kc_is_help(argv[argc - 1])) {
		session_usage(stdout);
		return 0;
	}
	if (argc > 1 || (argc == 1 && !kc_matches(argv[0], "show") &&
			 !kc_matches(argv[0], "list")))
		kc_usage_error("usage: kwikctl [-d] session show");

	kc_nl_collect(KWIK_CMD_SESSION_GET, NULL, &o);

	if (kc_json) {
		kc_json_open_array(NULL);
		for (i = 0; i < o.n; i++) {
			kc_json_open_object(NULL);
			kc_session_json(o.v[i]);
			kc_json_close_object();
		}
		kc_json_close_array();
		kc_json_end_line();
		kc_objs_free(&o);
		return 0;
	}

	t = kc_table_new(sizeof(session_headers) / sizeof(session_headers[0]),
			 session_headers);
	for (i = 0; i < o.n; i++) {
		memset(tb, 0, sizeof(tb));
		kc_session_parse_nest(o.v[i], tb);
		snprintf(id, sizeof(id), "%" PRIu64,
			 kc_u64a(tb[KWIK_SESSION_A_ID]));
		snprintf(svc, sizeof(svc), "%u",
			 kc_u32(tb[KWIK_SESSION_A_SERVICE]));
		session_paths(o.v[i], paths, sizeof(paths));
		kc_table_row(t, id, svc,
			     kc_role_name(kc_u8(tb[KWIK_SESSION_A_ROLE])),
			     kc_session_state_name(kc_u8(tb[KWIK_SESSION_A_STATE])),
			     paths,
			     kc_bytes(kc_u64a(tb[KWIK_SESSION_A_TX_BYTES]), tx,
				      sizeof(tx)),
			     kc_bytes(kc_u64a(tb[KWIK_SESSION_A_RX_BYTES]), rx,
				      sizeof(rx)),
			     kc_errno_name(kc_u32(tb[KWIK_SESSION_A_ERROR]), e,
					   sizeof(e)));
	}
	kc_table_print(t);
	for (i = 0; kc_details && i < o.n; i++) {
		putchar('\n');
		session_details(o.v[i]);
	}
	kc_objs_free(&o);
	return 0;
}
