// SPDX-License-Identifier: GPL-2.0
/*
 * kwik_nl_bad: hostile requests to the "kwik" generic netlink family.
 *
 * Every malformed or forbidden request must fail with the exact errno
 * below AND carry an extack message saying why (except -EPERM, which the
 * genetlink core returns before Kwik sees the request).  Errno conventions
 * of the family, as enforced by the policies in net/kwik/netlink.c:
 *
 *   missing required attribute         EINVAL (+ NLMSGERR_ATTR_MISS_TYPE)
 *   wrong length of a fixed-size attr  EINVAL (strict validation)
 *   over-long binary attribute         ERANGE
 *   unknown attribute / read-only attr EINVAL
 *   value out of range (weight, enums) ERANGE
 *   unknown flag bits                  EINVAL
 *   malformed sockaddr                 EINVAL
 *   duplicate / missing object         EEXIST / ENOENT
 *   service still used by paths        EBUSY
 *   transport or security unavailable  EOPNOTSUPP
 *   change without CAP_NET_ADMIN       EPERM
 *
 * Runs in a private network namespace when it can, so it neither sees
 * nor disturbs other configuration.  Output is TAP 13; exit 0 if all
 * passed, 1 otherwise, 4 if kwik.ko is not loaded.
 *
 * Build: cc -Wall -Wextra -O2 -I include/uapi \
 *	$(pkg-config --cflags libnl-genl-3.0) selftests/kwik_nl_bad.c \
 *	$(pkg-config --libs libnl-genl-3.0)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include <linux/kwik.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* IDs unlikely to collide with anything when no private netns exists. */
#define SVC		4242001
#define SVC2		4242002
#define SVC_NONE	4242999
#define PATH_NONE	4242998

#define NTESTS		62

/* Services of the multi-part dump test. */
#define MANY_BASE	4243000
#define MANY		1000

static struct nl_sock *sk;
static unsigned char *many_seen;	/* set while dumping MANY services */
static int family;
static int test_no, failures;

struct result {
	int err;		/* positive errno, 0 on success */
	char msg[256];		/* extack message */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if absent */
	bool done;
	int replies;		/* data messages received */
	int generations;	/* of which carried KWIK_A_GENERATION */
	uint32_t id;		/* ID of the first object in a reply */
};

static void tap(bool ok, const char *desc, const struct result *r)
{
	test_no++;
	if (!ok)
		failures++;
	printf("%sok %d - %s\n", ok ? "" : "not ", test_no, desc);
	if (!ok && r)
		printf("# got errno %d (%s), extack \"%s\", miss_type %d\n",
		       r->err, r->err ? strerror(r->err) : "success", r->msg,
		       r->miss_type);
}

static void tap_skip(const char *desc, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++test_no, desc, why);
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KWIK_A_MAX + 1], *in[KWIK_PATH_A_MAX + 1];
	struct result *r = arg;
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KWIK_A_MAX, NULL) < 0)
		return NL_OK;
	r->replies++;
	if (tb[KWIK_A_GENERATION])
		r->generations++;
	/* Every object nest has its u32 ID as attribute 1. */
	for (i = KWIK_A_PATH; i <= KWIK_A_SERVICE; i++) {
		if (!tb[i] || r->id)
			continue;
		if (nla_parse_nested(in, KWIK_PATH_A_MAX, tb[i], NULL) == 0 &&
		    in[1] && nla_len(in[1]) == 4)
			r->id = nla_get_u32(in[1]);
	}
	if (many_seen && tb[KWIK_A_SERVICE] &&
	    nla_parse_nested(in, KWIK_PATH_A_MAX, tb[KWIK_A_SERVICE],
			     NULL) == 0 && in[KWIK_SERVICE_A_ID]) {
		uint32_t id = nla_get_u32(in[KWIK_SERVICE_A_ID]);

		if (id >= MANY_BASE && id < MANY_BASE + MANY)
			many_seen[id - MANY_BASE]++;
	}
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct result *)arg)->done = true;
	return NL_STOP;
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct result *r = arg;
	int skip, len;

	(void)nla;
	r->err = -e->error;
	r->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	skip = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - skip;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)e + skip), len,
				  NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->msg, tb[NLMSGERR_ATTR_MSG], sizeof(r->msg));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		r->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static struct nl_sock *open_sock(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int one = 1;

	if (!s || genl_connect(s) < 0)
		return NULL;
	setsockopt(nl_socket_get_fd(s), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(s), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return s;
}

static struct nl_msg *req(uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags,
			       cmd, KWIK_GENL_VERSION)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return m;
}

/* Send @m (consumed) on @s and wait for its ack, error or dump end. */
static void xfer_on(struct nl_sock *s, struct nl_msg *m, struct result *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	memset(r, 0, sizeof(*r));
	r->miss_type = -1;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, r);
	if (nl_send_auto(s, m) < 0) {
		r->err = EIO;
		r->done = true;
	}
	nlmsg_free(m);
	while (!r->done) {
		err = nl_recvmsgs(s, cb);
		if (err < 0 && !r->done) {
			r->err = EIO;
			snprintf(r->msg, sizeof(r->msg), "libnl: %s",
				 nl_geterror(err));
			break;
		}
	}
	nl_cb_put(cb);
}

static void xfer(struct nl_msg *m, struct result *r)
{
	xfer_on(sk, m, r);
}

/* The request must fail with @want and explain itself. */
static void expect(const char *desc, struct nl_msg *m, int want)
{
	struct result r;

	xfer(m, &r);
	tap(r.err == want && r.msg[0], desc, &r);
}

/* As expect(), and the missing attribute must be named. */
static void expect_miss(const char *desc, struct nl_msg *m, int miss)
{
	struct result r;

	xfer(m, &r);
	tap(r.err == EINVAL && r.msg[0] && r.miss_type == miss, desc, &r);
}

static void expect_ok(const char *desc, struct nl_msg *m, struct result *r)
{
	xfer(m, r);
	tap(r->err == 0, desc, r);
}

/* ---- message builders ------------------------------------------------ */

static void put_sin(struct nl_msg *m, int type, const char *ip, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};

	inet_pton(AF_INET, ip, &sin.sin_addr);
	nla_put(m, type, sizeof(sin), &sin);
}

static void put_sin6(struct nl_msg *m, int type, const char *ip, int port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
	};

	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	nla_put(m, type, sizeof(sin6), &sin6);
}

static struct nl_msg *service_msg(uint8_t cmd, uint32_t id)
{
	struct nl_msg *m = req(cmd, 0);
	struct nlattr *n = nla_nest_start(m, KWIK_A_SERVICE);

	nla_put_u32(m, KWIK_SERVICE_A_ID, id);
	nla_nest_end(m, n);
	return m;
}

static struct nl_msg *path_id_msg(uint8_t cmd, uint32_t id)
{
	struct nl_msg *m = req(cmd, 0);
	struct nlattr *n = nla_nest_start(m, KWIK_A_PATH);

	nla_put_u32(m, KWIK_PATH_A_ID, id);
	nla_nest_end(m, n);
	return m;
}

/*
 * A plain-TCP path to 127.0.0.1:9 in service @svc: valid in every way,
 * so each test below can break exactly one thing.  The nest is left open
 * for the caller to add to; close it with path_end().
 */
static struct nl_msg *path_begin(uint32_t svc, struct nlattr **n)
{
	struct nl_msg *m = req(KWIK_CMD_PATH_ADD, 0);

	*n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, svc);
	put_sin(m, KWIK_PATH_A_REMOTE, "127.0.0.1", 9);
	nla_put_u8(m, KWIK_PATH_A_SECURITY, KWIK_SECURITY_NONE);
	nla_put_u32(m, KWIK_PATH_A_FLAGS, KWIK_PATH_F_NO_RECONNECT);
	return m;
}

static struct nl_msg *path_end(struct nl_msg *m, struct nlattr *n)
{
	nla_nest_end(m, n);
	return m;
}

static struct nl_msg *path_plain(uint32_t svc)
{
	struct nlattr *n;
	struct nl_msg *m = path_begin(svc, &n);

	return path_end(m, n);
}

/* ---- tests -------------------------------------------------------------- */

static void test_missing(void)
{
	struct nl_msg *m;
	struct nlattr *n;

	expect_miss("service add without KWIK_A_SERVICE: EINVAL, names it",
		    req(KWIK_CMD_SERVICE_ADD, 0), KWIK_A_SERVICE);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_string(m, KWIK_SERVICE_A_NAME, "x");
	nla_nest_end(m, n);
	expect_miss("service add without id: EINVAL, names it", m,
		    KWIK_SERVICE_A_ID);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	nla_nest_end(m, n);
	expect_miss("path add without remote: EINVAL, names it", m,
		    KWIK_PATH_A_REMOTE);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	put_sin(m, KWIK_PATH_A_REMOTE, "127.0.0.1", 9);
	nla_nest_end(m, n);
	expect_miss("path add without service: EINVAL, names it", m,
		    KWIK_PATH_A_SERVICE);

	m = req(KWIK_CMD_PATH_DEL, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_nest_end(m, n);
	expect_miss("path del without id: EINVAL, names it", m,
		    KWIK_PATH_A_ID);

	m = req(KWIK_CMD_LISTENER_ADD, 0);
	n = nla_nest_start(m, KWIK_A_LISTENER);
	nla_put_u8(m, KWIK_LISTENER_A_TRANSPORT, KWIK_TRANSPORT_TCP);
	nla_nest_end(m, n);
	expect_miss("listener add without local: EINVAL, names it", m,
		    KWIK_LISTENER_A_LOCAL);
}

static void test_lengths(void)
{
	char big[KWIK_NAME_MAX + 8];
	struct nl_msg *m;
	struct nlattr *n;
	uint16_t u16 = 1;
	uint64_t u64 = 1;

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put(m, KWIK_SERVICE_A_ID, sizeof(u16), &u16);
	nla_nest_end(m, n);
	expect("u32 id sent as 2 bytes: EINVAL", m, EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put(m, KWIK_SERVICE_A_ID, sizeof(u64), &u64);
	nla_nest_end(m, n);
	expect("u32 id sent as 8 bytes: EINVAL", m, EINVAL);

	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC);
	nla_put_string(m, KWIK_SERVICE_A_NAME, big);
	nla_nest_end(m, n);
	expect("service name longer than KWIK_NAME_MAX: EINVAL", m, EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC);
	nla_put(m, KWIK_SERVICE_A_NAME, 3, "abc");	/* no NUL */
	nla_nest_end(m, n);
	expect("service name without NUL: EINVAL", m, EINVAL);
}

static void test_unknown(void)
{
	struct nl_msg *m;
	struct nlattr *n;

	m = service_msg(KWIK_CMD_SERVICE_ADD, SVC);
	nla_put_u32(m, KWIK_A_MAX + 1, 1);
	expect("unknown top-level attribute: EINVAL", m, EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC);
	nla_put_u32(m, KWIK_SERVICE_A_MAX + 1, 1);
	nla_nest_end(m, n);
	expect("unknown nested attribute: EINVAL", m, EINVAL);

	m = path_begin(SVC, &n);
	nla_put_u8(m, KWIK_PATH_A_STATE, KWIK_PATH_S_UP);
	expect("read-only attribute (path state) in a request: EINVAL",
	       path_end(m, n), EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	nla_put_u32(m, KWIK_A_GENERATION, 1);
	expect("read-only KWIK_A_GENERATION in a request: EINVAL", m, EINVAL);
}

static void test_flags(void)
{
	struct nl_msg *m;
	struct nlattr *n;

	/* Every command is new: the core checks the whole header for us. */
	m = service_msg(KWIK_CMD_SERVICE_GET, SVC);
	genlmsg_hdr(nlmsg_hdr(m))->reserved = 1;
	expect("non-zero genlmsghdr.reserved: EINVAL", m, EINVAL);

	m = service_msg(KWIK_CMD_SERVICE_ADD, SVC);
	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_CREATE;
	expect("NLM_F_CREATE on a do request: EINVAL", m, EINVAL);

	m = path_begin(SVC, &n);
	nla_put_u32(m, KWIK_PATH_A_FLAGS, KWIK_PATH_F_ALL + 1);
	expect("unknown path flag bit: EINVAL", path_end(m, n), EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC);
	nla_put_u32(m, KWIK_SERVICE_A_FLAGS, 1U << 31);
	nla_nest_end(m, n);
	expect("unknown service flag bit: EINVAL", m, EINVAL);

	m = req(KWIK_CMD_LISTENER_ADD, 0);
	n = nla_nest_start(m, KWIK_A_LISTENER);
	put_sin(m, KWIK_LISTENER_A_LOCAL, "127.0.0.1", 4433);
	nla_put_u32(m, KWIK_LISTENER_A_FLAGS, 1);
	nla_nest_end(m, n);
	expect("unknown listener flag bit: EINVAL", m, EINVAL);
}

static void test_sockaddr(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET, .sin6_port = 1 };
	struct sockaddr_in sin = { .sin_family = AF_INET6, .sin_port = 1 };
	unsigned char junk[32] = { AF_INET, 0, 0, 9 };
	struct nl_msg *m;
	struct nlattr *n;

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	nla_put(m, KWIK_PATH_A_REMOTE, sizeof(sin), &sin);
	expect("sockaddr_in length with AF_INET6: EINVAL", path_end(m, n),
	       EINVAL);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	nla_put(m, KWIK_PATH_A_REMOTE, sizeof(sin6), &sin6);
	expect("sockaddr_in6 length with AF_INET: EINVAL", path_end(m, n),
	       EINVAL);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	nla_put(m, KWIK_PATH_A_REMOTE, 20, junk);
	expect("sockaddr of 20 bytes: EINVAL", path_end(m, n), EINVAL);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	nla_put(m, KWIK_PATH_A_REMOTE, sizeof(junk), junk);
	expect("sockaddr longer than sockaddr_in6: ERANGE", path_end(m, n),
	       ERANGE);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	junk[0] = AF_UNIX;
	nla_put(m, KWIK_PATH_A_REMOTE, sizeof(struct sockaddr_in), junk);
	expect("sockaddr with AF_UNIX: EINVAL", path_end(m, n), EINVAL);

	m = req(KWIK_CMD_PATH_ADD, 0);
	n = nla_nest_start(m, KWIK_A_PATH);
	nla_put_u32(m, KWIK_PATH_A_SERVICE, SVC);
	put_sin(m, KWIK_PATH_A_REMOTE, "127.0.0.1", 0);
	expect("remote port 0: EINVAL", path_end(m, n), EINVAL);

	m = req(KWIK_CMD_LISTENER_ADD, 0);
	n = nla_nest_start(m, KWIK_A_LISTENER);
	put_sin6(m, KWIK_LISTENER_A_LOCAL, "::1", 0);
	nla_nest_end(m, n);
	expect("listener local port 0: EINVAL", m, EINVAL);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC);
	put_sin(m, KWIK_SERVICE_A_MATCH, "10.1.1.1", 0);
	nla_nest_end(m, n);
	expect("service match port 0: EINVAL", m, EINVAL);

	m = path_begin(SVC, &n);
	put_sin6(m, KWIK_PATH_A_LOCAL, "::1", 0);
	expect("IPv6 local with IPv4 remote: EINVAL", path_end(m, n), EINVAL);
}

static void test_ranges(void)
{
	struct nl_msg *m;
	struct nlattr *n;

	m = path_begin(SVC, &n);
	nla_put_u32(m, KWIK_PATH_A_WEIGHT, 0);
	expect("weight 0: ERANGE", path_end(m, n), ERANGE);

	m = path_begin(SVC, &n);
	nla_put_u32(m, KWIK_PATH_A_WEIGHT, KWIK_WEIGHT_MAX + 1);
	expect("weight KWIK_WEIGHT_MAX + 1: ERANGE", path_end(m, n), ERANGE);

	m = path_begin(SVC, &n);
	nla_put_u8(m, KWIK_PATH_A_TRANSPORT, __KWIK_TRANSPORT_MAX);
	expect("unknown transport: ERANGE", path_end(m, n), ERANGE);

	m = path_begin(SVC, &n);
	nla_put_u8(m, KWIK_PATH_A_PRIORITY, __KWIK_PRIORITY_MAX);
	expect("unknown priority: ERANGE", path_end(m, n), ERANGE);

	expect("service id 0: ERANGE", service_msg(KWIK_CMD_SERVICE_ADD, 0),
	       ERANGE);
}

static void test_objects(void)
{
	struct nl_msg *m;
	struct nlattr *n;
	struct result r;
	uint32_t path_id;

	expect("path add for an unknown service: ENOENT",
	       path_plain(SVC_NONE), ENOENT);

	expect_ok("service add", service_msg(KWIK_CMD_SERVICE_ADD, SVC), &r);
	tap(r.replies == 1 && r.id == SVC,
	    "service add replies with the service", &r);
	expect("duplicate service add: EEXIST",
	       service_msg(KWIK_CMD_SERVICE_ADD, SVC), EEXIST);
	expect("service del of an unknown id: ENOENT",
	       service_msg(KWIK_CMD_SERVICE_DEL, SVC_NONE), ENOENT);
	expect("service get of an unknown id: ENOENT",
	       service_msg(KWIK_CMD_SERVICE_GET, SVC_NONE), ENOENT);
	expect("path del of an unknown id: ENOENT",
	       path_id_msg(KWIK_CMD_PATH_DEL, PATH_NONE), ENOENT);
	expect("path get of an unknown id: ENOENT",
	       path_id_msg(KWIK_CMD_PATH_GET, PATH_NONE), ENOENT);
	m = req(KWIK_CMD_LISTENER_DEL, 0);
	n = nla_nest_start(m, KWIK_A_LISTENER);
	nla_put_u32(m, KWIK_LISTENER_A_ID, PATH_NONE);
	nla_nest_end(m, n);
	expect("listener del of an unknown id: ENOENT", m, ENOENT);

	m = req(KWIK_CMD_SERVICE_ADD, 0);
	n = nla_nest_start(m, KWIK_A_SERVICE);
	nla_put_u32(m, KWIK_SERVICE_A_ID, SVC2);
	put_sin(m, KWIK_SERVICE_A_FORWARD, "127.0.0.1", 8080);
	nla_nest_end(m, n);
	expect("service with forward: EOPNOTSUPP (not implemented)", m,
	       EOPNOTSUPP);

	/* A plaintext TCP path the core accepts, to make the service busy. */
	xfer(path_plain(SVC), &r);
	path_id = r.id;
	tap(r.err == 0 && r.replies == 1 && path_id,
	    "plain TCP path add replies with the path and its id", &r);

	m = req(KWIK_CMD_PATH_GET, NLM_F_DUMP);
	xfer(m, &r);
	tap(r.err == 0 && r.replies >= 1 && r.generations == r.replies,
	    "path dump carries KWIK_A_GENERATION in every message", &r);

	expect("service del while a path uses it: EBUSY",
	       service_msg(KWIK_CMD_SERVICE_DEL, SVC), EBUSY);

	if (path_id) {
		expect_ok("path del", path_id_msg(KWIK_CMD_PATH_DEL, path_id),
			  &r);
	} else {
		tap_skip("path del", "no path was created");
	}

	/* The quic transport is kwik_quic.ko's (quic.sh tests it loaded). */
	if (access("/sys/module/kwik_quic", F_OK) == 0) {
		tap_skip("quic transport without kwik_quic.ko: EOPNOTSUPP",
			 "kwik_quic.ko is loaded");
	} else {
		m = path_begin(SVC, &n);
		nla_put_u8(m, KWIK_PATH_A_TRANSPORT, KWIK_TRANSPORT_QUIC);
		expect("quic transport without kwik_quic.ko: EOPNOTSUPP",
		       path_end(m, n), EOPNOTSUPP);
	}

	/*
	 * TLS needs the kernel's handshake upcall (6.4+): without it the
	 * path is refused, never silently downgraded.  With it, the key
	 * attributes must fit the security mode.
	 */
	m = path_begin(SVC, &n);
	nla_put_u8(m, KWIK_PATH_A_SECURITY, KWIK_SECURITY_TLS);
	xfer(path_end(m, n), &r);
	if (r.err) {
		tap(r.err == EOPNOTSUPP && r.msg[0],
		    "security tls without net/handshake: EOPNOTSUPP", &r);
		tap_skip("psk without key-serial: EINVAL", "no TLS here");
		tap_skip("key-serial on a tls path: EINVAL", "no TLS here");
	} else {
		tap(r.id != 0, "security tls path added", &r);
		xfer(path_id_msg(KWIK_CMD_PATH_DEL, r.id), &r);
		m = path_begin(SVC, &n);
		nla_put_u8(m, KWIK_PATH_A_SECURITY, KWIK_SECURITY_PSK);
		expect("psk without key-serial: EINVAL", path_end(m, n),
		       EINVAL);
		m = path_begin(SVC, &n);
		nla_put_u8(m, KWIK_PATH_A_SECURITY, KWIK_SECURITY_TLS);
		nla_put_u32(m, KWIK_PATH_A_KEY_SERIAL, 1234);
		expect("key-serial on a tls path: EINVAL", path_end(m, n),
		       EINVAL);
	}
	m = path_begin(SVC, &n);
	nla_put_u32(m, KWIK_PATH_A_HS_TIMEOUT, KWIK_HS_TIMEOUT_MIN - 1);
	expect("handshake timeout below the minimum: ERANGE",
	       path_end(m, n), ERANGE);
	m = path_begin(SVC, &n);
	nla_put_u32(m, KWIK_PATH_A_HS_TIMEOUT, KWIK_HS_TIMEOUT_MAX + 1);
	expect("handshake timeout above the maximum: ERANGE",
	       path_end(m, n), ERANGE);

	/* The lower TCP's congestion control: a name the kernel knows. */
	m = path_begin(SVC, &n);
	nla_put_string(m, KWIK_PATH_A_CC, "sixteen_chars_cc");
	expect("cc name of 16 characters (no NUL within 16): EINVAL",
	       path_end(m, n), EINVAL);
	m = path_begin(SVC, &n);
	nla_put_string(m, KWIK_PATH_A_CC, "nosuchcc");
	expect("unknown cc: ENOENT", path_end(m, n), ENOENT);
	m = path_begin(SVC, &n);
	nla_put_string(m, KWIK_PATH_A_CC, "reno");
	xfer(path_end(m, n), &r);
	tap(!r.err && r.id, "cc reno (built in): path added", &r);
	if (!r.err)
		xfer(path_id_msg(KWIK_CMD_PATH_DEL, r.id), &r);

	expect_ok("service del once unused",
		  service_msg(KWIK_CMD_SERVICE_DEL, SVC), &r);
}

/*
 * A dump larger than one message buffer resumes where it stopped: every
 * service exactly once, each message with the generation.
 */
static void test_big_dump(void)
{
	unsigned char seen[MANY] = { 0 };
	int i, added = 0, deleted = 0, once = 0;
	struct result r;

	for (i = 0; i < MANY; i++) {
		xfer(service_msg(KWIK_CMD_SERVICE_ADD, MANY_BASE + i), &r);
		added += r.err == 0;
	}
	tap(added == MANY, "1000 services added", &r);

	many_seen = seen;
	xfer(req(KWIK_CMD_SERVICE_GET, NLM_F_DUMP), &r);
	many_seen = NULL;
	for (i = 0; i < MANY; i++)
		once += seen[i] == 1;
	tap(r.err == 0 && once == MANY && r.generations == r.replies,
	    "multi-part service dump: each service once, with generation",
	    &r);
	if (once != MANY)
		printf("# %d of %d services seen exactly once\n", once, MANY);

	for (i = 0; i < MANY; i++) {
		xfer(service_msg(KWIK_CMD_SERVICE_DEL, MANY_BASE + i), &r);
		deleted += r.err == 0;
	}
	tap(deleted == MANY, "1000 services deleted", &r);
}

/*
 * Without CAP_NET_ADMIN changes fail with EPERM (from the genetlink
 * core, hence no extack) while reads still work.
 */
static void test_unprivileged(void)
{
	int pipefd[2], status, res[2] = { -1, -1 };
	struct result r;
	pid_t pid;

	if (geteuid() != 0) {
		tap_skip("unprivileged service add: EPERM", "not root");
		tap_skip("unprivileged path dump works", "not root");
		return;
	}
	if (pipe(pipefd) < 0) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct nl_sock *s;

		close(pipefd[0]);
		/* Leaving uid 0 clears every capability. */
		if (setgid(65534) || setuid(65534))
			_exit(2);
		s = open_sock();
		if (!s)
			_exit(2);
		xfer_on(s, service_msg(KWIK_CMD_SERVICE_ADD, SVC), &r);
		res[0] = r.err;
		xfer_on(s, req(KWIK_CMD_PATH_GET, NLM_F_DUMP), &r);
		res[1] = r.err;
		if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0 || read(pipefd[0], res, sizeof(res)) != sizeof(res))
		res[0] = res[1] = -1;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);

	memset(&r, 0, sizeof(r));
	r.err = res[0];
	tap(res[0] == EPERM, "unprivileged service add: EPERM", &r);
	r.err = res[1];
	tap(res[1] == 0, "unprivileged path dump works", &r);

	/* Had the add wrongly succeeded, do not leave it behind. */
	if (res[0] == 0)
		xfer(service_msg(KWIK_CMD_SERVICE_DEL, SVC), &r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");

	/* A private namespace: nothing to clean up, nothing disturbed. */
	if (unshare(CLONE_NEWNET))
		printf("# unshare(CLONE_NEWNET): %s; using the current namespace\n",
		       strerror(errno));

	sk = open_sock();
	if (!sk) {
		printf("1..0 # SKIP cannot open a generic netlink socket\n");
		return 4;
	}
	family = genl_ctrl_resolve(sk, KWIK_GENL_NAME);
	if (family < 0) {
		printf("1..0 # SKIP genl family %s not found (kwik.ko not loaded)\n",
		       KWIK_GENL_NAME);
		return 4;
	}
	printf("1..%d\n", NTESTS);

	test_missing();
	test_lengths();
	test_unknown();
	test_flags();
	test_sockaddr();
	test_ranges();
	test_objects();
	test_big_dump();
	test_unprivileged();

	if (test_no != NTESTS) {
		printf("# ran %d tests, planned %d\n", test_no, NTESTS);
		failures++;
	}
	printf("# %d of %d failed\n", failures, test_no);
	nl_socket_free(sk);
	return failures ? 1 : 0;
}
