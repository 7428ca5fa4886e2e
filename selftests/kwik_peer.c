// SPDX-License-Identifier: GPL-2.0
/*
 * kwik_peer - a hostile or broken Kwik peer in userspace, for hostile.sh.
 *
 *   kwik_peer [OPTS] client ADDR:PORT SCENARIO   dial a kernel listener
 *                                                (kwikctl listener add)
 *   kwik_peer [OPTS] server ADDR:PORT SCENARIO   accept one connection from
 *                                                a kernel client path
 *   kwik_peer app SERVICE                        a well-behaved AF_KWIK
 *                                                client (for server-role
 *                                                scenarios that need an OPEN)
 *   kwik_peer list                               the scenarios
 *
 * It speaks the wire format of Documentation/wire-format.rst (16-byte
 * big-endian header) over a plain TCP connection, breaks it on purpose
 * as SCENARIO says, then watches what the kernel does for -t ms and
 * prints one summary line:
 *
 *   peer scenario=S role=R hello=ok|bad|none closed=0|1 alive=0|1|- \
 *        resets=N reason=R open_acks=N refused=N pongs=N frames=N \
 *        kernel_bad=N session_ok=0|1|-
 *
 *   closed  the kernel closed the lower connection (EOF or RST)
 *   alive   after the scenario a PING got its PONG ("-": not probed)
 *   resets  RESET frames received; reason: the last one's reason
 *   kernel_bad  frames from the kernel longer than the spec allows
 *   session_ok  join-badmac: the session still acknowledged data after
 *               the bad JOIN on another path; reopen: on the path it was
 *               opened again on; resend-fin: the session ended cleanly
 *               after the FIN came again (EOF read, our FIN
 *               acknowledged); resend-fin-gone: the application read
 *               ECONNRESET after the RESET answering it
 *   resent  resend: everything the closed path carried came again on the
 *           other; resend-fin(-gone): so did the FIN ("-": not that
 *           scenario)
 *   moved   stale-ack: with the session's ACK path stale (not yet failed),
 *           the ACK it owed came on the other path, and so did the window
 *           update after the application read ("-": not that scenario)
 *   oneway  one-way: what the kernel gave a path that carries the peer's
 *           segments but delivers none of its own came again on a path
 *           joined later, with both paths still up ("-": not that scenario)
 *
 * The exit status is 0 when the peer ran its scenario to the end (what
 * the kernel did is for the test to judge), 1 on a usage or local error.
 *
 * app prints "app connect=OK|ERRNO sent=N recv=N end=EOF|ERRNO".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/kwik.h>

#include "kwik_util.h"

/* Wire format v1 (Documentation/wire-format.rst). */
#define HDR_LEN		16
#define DATA_MAX	16384
#define FIN		0x01

enum { FT_HELLO = 1, FT_OPEN, FT_OPEN_ACK, FT_DATA, FT_ACK, FT_RESET,
	FT_PING, FT_PONG, FT_JOIN, FT_JOIN_ACK };
#define FT_UNKNOWN	255	/* no version of the protocol defines it */
enum { RR_NONE, RR_REFUSED, RR_ABORT, RR_PROTOCOL, RR_TIMEOUT, RR_UNKNOWN };

struct frame {
	uint8_t type, flags;
	uint16_t reserved;
	uint32_t len;
	uint64_t session;
	uint8_t body[8 + DATA_MAX];
};

static struct {
	uint32_t service;	/* -s: service of OPENs */
	int timeout;		/* -t: ms to watch the kernel's reaction */
	unsigned int count;	/* -n: OPEN flood size */
	int backlog;		/* -b: backlog of the -L AF_KWIK listener */
	bool klisten;		/* -L: listen on -s with AF_KWIK (this netns) */
	const char *ready;	/* -r: file created when the scenario is done */
	int hold;		/* -H: ms to keep the path open afterwards */
	bool verbose;
} O = { .service = 8, .timeout = 2000, .count = 200, .backlog = 16 };

/* What the kernel did. */
static struct {
	const char *hello;
	bool closed;
	int alive;		/* -1 not probed */
	unsigned int resets, open_acks, refused, pongs, frames, kbad;
	uint32_t reason;
	uint64_t reset_session;
	/* the last OPEN_ACK / OPEN seen */
	uint64_t sess;
	uint32_t window;
	uint64_t rcv_nxt;	/* data received on sess (server role) */
	bool rcv_fin;
	uint64_t acked;		/* highest data ack received */
	int session_ok;		/* join-badmac, reopen, resend-fin */
	int resent;		/* resend: the closed path's data came again */
	int moved;		/* stale-ack: ACKs left the stale path */
	int oneway;		/* one-way: the muted path's data came again */
	uint32_t ack_wnd;	/* window of the highest ACK */
	bool quiet;		/* never acknowledge DATA; log it in rx[] */
	unsigned int nrx;
	struct rx_log {
		int fd;
		uint64_t dsn;
		uint32_t len;
		bool fin;
	} rx[256];
} R = { .hello = "none", .alive = -1, .session_ok = -1, .resent = -1,
	.moved = -1, .oneway = -1 };

static const char *prog = "kwik_peer";
static volatile sig_atomic_t stop;

static void die(const char *msg)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, msg, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(1);
}

static const char *ename(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "OK";
	case EPROTO: return "EPROTO";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNABORTED: return "ECONNABORTED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EPIPE: return "EPIPE";
	case ENOTCONN: return "ENOTCONN";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static uint64_t rnd64(void)
{
	static uint64_t x;

	if (!x)
		x = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL ^ getpid();
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x ? x : 1;
}

/* ---- sending ---------------------------------------------------------- */

static int sendall(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Header with arbitrary fields, then @blen bytes of @body. */
static int send_raw(int fd, uint8_t type, uint8_t flags, uint16_t reserved,
		    uint32_t len, uint64_t session, const void *body,
		    size_t blen)
{
	uint8_t buf[HDR_LEN + 8 + DATA_MAX + 64];

	if (blen > sizeof(buf) - HDR_LEN)
		blen = sizeof(buf) - HDR_LEN;
	buf[0] = type;
	buf[1] = flags;
	put16(buf + 2, reserved);
	put32(buf + 4, len);
	put64(buf + 8, session);
	if (blen)
		memcpy(buf + HDR_LEN, body, blen);
	if (O.verbose)
		fprintf(stderr, "> type %u flags %#x len %u session %#" PRIx64
			"\n", type, flags, len, session);
	return sendall(fd, buf, HDR_LEN + blen);
}

static int send_frame(int fd, uint8_t type, uint8_t flags, uint64_t session,
		      const void *body, size_t blen)
{
	return send_raw(fd, type, flags, 0, blen, session, body, blen);
}

static int send_hello(int fd, uint8_t version, uint8_t role)
{
	uint8_t b[16] = { version, role };

	put64(b + 8, rnd64());
	return send_frame(fd, FT_HELLO, 0, 0, b, sizeof(b));
}

static int send_open_key(int fd, uint8_t type, uint64_t session, uint32_t svc,
			 uint32_t window, uint64_t key)
{
	uint8_t b[16];

	put32(b, svc);
	put32(b + 4, window);
	put64(b + 8, key);
	return send_frame(fd, type, 0, session, b, sizeof(b));
}

static int send_open(int fd, uint8_t type, uint64_t session, uint32_t svc,
		     uint32_t window)
{
	return send_open_key(fd, type, session, svc, window, rnd64());
}

static int send_data(int fd, uint64_t session, uint64_t dsn, uint8_t flags,
		     size_t plen)
{
	uint8_t b[8 + DATA_MAX];

	if (plen > DATA_MAX)
		plen = DATA_MAX;
	put64(b, dsn);
	memset(b + 8, 'k', plen);
	return send_frame(fd, FT_DATA, flags, session, b, 8 + plen);
}

static int send_ack(int fd, uint64_t session, uint64_t ack, uint32_t window,
		    uint32_t reserved)
{
	uint8_t b[16];

	put64(b, ack);
	put32(b + 8, window);
	put32(b + 12, reserved);
	return send_frame(fd, FT_ACK, 0, session, b, sizeof(b));
}

static int send_reset(int fd, uint64_t session, uint32_t reason)
{
	uint8_t b[8] = { 0 };

	put32(b, reason);
	return send_frame(fd, FT_RESET, 0, session, b, sizeof(b));
}

static int send_ping(int fd, uint8_t type, uint64_t stamp)
{
	uint8_t b[8];

	put64(b, stamp);
	return send_frame(fd, type, 0, 0, b, sizeof(b));
}

/*
 * A PING whose last byte goes as TCP urgent data (MSG_OOB): Kwik never
 * sends any, and a reader of the stream (read_sock) stops at the mark.
 */
static int send_ping_urgent(int fd)
{
	uint8_t b[HDR_LEN + 8] = { FT_PING };

	put32(b + 4, 8);
	if (sendall(fd, b, sizeof(b) - 1) < 0)
		return -1;
	return send(fd, b + sizeof(b) - 1, 1, MSG_OOB | MSG_NOSIGNAL) == 1 ?
	       0 : -1;
}

/* ---- receiving -------------------------------------------------------- */

/*
 * @len bytes by @deadline; once some have come, a second more for the
 * rest, so that a short deadline cannot leave the stream mid-frame.
 */
static int readn(int fd, void *buf, size_t len, long long deadline)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || stop)
			return -2;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		n = recv(fd, p, len, 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (p == (uint8_t *)buf && deadline < now_ms() + 1000)
			deadline = now_ms() + 1000;
		p += n;
		len -= n;
	}
	return 1;
}

/* One frame: 1, 0 on EOF, -1 on error (RST), -2 on timeout. */
static int read_frame(int fd, struct frame *f, long long deadline)
{
	uint8_t h[HDR_LEN];
	int ret = readn(fd, h, sizeof(h), deadline);

	if (ret <= 0)
		return ret;
	f->type = h[0];
	f->flags = h[1];
	f->reserved = (uint16_t)(h[2] << 8 | h[3]);
	f->len = get32(h + 4);
	f->session = get64(h + 8);
	if (f->len > sizeof(f->body)) {
		/* The kernel sent a frame the spec forbids. */
		R.kbad++;
		return -1;
	}
	ret = readn(fd, f->body, f->len, deadline + 1000);
	if (ret <= 0)
		return ret < 0 ? ret : -1;
	if (O.verbose)
		fprintf(stderr, "< type %u flags %#x len %u session %#" PRIx64
			"\n", f->type, f->flags, f->len, f->session);
	return 1;
}

/* Account for one frame from the kernel, answering what a peer must. */
static void note(int fd, const struct frame *f)
{
	R.frames++;
	switch (f->type) {
	case FT_RESET:
		R.resets++;
		R.reason = f->len >= 4 ? get32(f->body) : UINT32_MAX;
		R.reset_session = f->session;
		if (R.reason == RR_REFUSED)
			R.refused++;
		break;
	case FT_OPEN_ACK:
		R.open_acks++;
		R.sess = f->session;
		R.window = get32(f->body + 4);
		break;
	case FT_OPEN:
		R.sess = f->session;
		R.window = get32(f->body + 4);
		break;
	case FT_PING:
		send_ping(fd, FT_PONG, get64(f->body));
		break;
	case FT_PONG:
		R.pongs++;
		break;
	case FT_ACK:
		if (get64(f->body) >= R.acked) {
			R.acked = get64(f->body);
			R.ack_wnd = get32(f->body + 8);
		}
		break;
	case FT_DATA:
		if (R.quiet) {
			if (f->session == R.sess &&
			    (f->len > 8 || (f->len == 8 && f->flags & FIN)) &&
			    R.nrx < sizeof(R.rx) / sizeof(R.rx[0])) {
				R.rx[R.nrx].fd = fd;
				R.rx[R.nrx].dsn = get64(f->body);
				R.rx[R.nrx].fin = f->flags & FIN;
				R.rx[R.nrx++].len = f->len - 8;
			}
			break;
		}
		if (f->session == R.sess && f->len >= 8 &&
		    get64(f->body) == R.rcv_nxt) {
			R.rcv_nxt += f->len - 8 + (f->flags & FIN ? 1 : 0);
			R.rcv_fin |= f->flags & FIN;
			/* A polite receiver: acknowledge at once. */
			send_ack(fd, f->session, R.rcv_nxt, 1 << 20, 0);
		}
		break;
	}
}

/*
 * Read frames until @pred is true, the connection closes, or @ms pass.
 * Returns true if @pred became true.
 */
static bool watch(int fd, int ms, bool (*pred)(const struct frame *))
{
	long long deadline = now_ms() + ms;
	struct frame *f = malloc(sizeof(*f));
	bool hit = false;

	if (!f)
		die("malloc");
	while (!R.closed && !stop) {
		int ret = read_frame(fd, f, deadline);

		if (ret == -2)
			break;
		if (ret <= 0) {
			R.closed = true;
			break;
		}
		note(fd, f);
		if (pred && pred(f)) {
			hit = true;
			break;
		}
	}
	free(f);
	return hit;
}

static bool is_hello(const struct frame *f) { return f->type == FT_HELLO; }
static bool is_pong(const struct frame *f) { return f->type == FT_PONG; }
static bool is_reset(const struct frame *f) { return f->type == FT_RESET; }
static bool is_open(const struct frame *f) { return f->type == FT_OPEN; }
static bool is_open_answer(const struct frame *f)
{
	return f->type == FT_OPEN_ACK || f->type == FT_RESET;
}
/* The ACK of session_works()'s 10 bytes (an earlier ACK may be a window
 * update).
 */
static bool is_data_acked(const struct frame *f)
{
	return f->type == FT_ACK && R.acked >= 10;
}

static bool is_fin_acked(const struct frame *f)
{
	(void)f;
	return R.rcv_fin && R.acked >= 1;
}

/* After the scenario: does the path still answer a PING? */
static void probe(int fd)
{
	if (R.closed)
		return;
	R.alive = 0;
	if (send_ping(fd, FT_PING, 0x6b77696b) < 0) {
		R.closed = true;
		return;
	}
	if (watch(fd, O.timeout + 1000, is_pong))
		R.alive = 1;
}

/* ---- sockets ---------------------------------------------------------- */

static void parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host))
		die("address must be IPv4ADDR:PORT");
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		die("bad IPv4 address");
}

/* -L: an AF_KWIK listener on -s in this namespace that never accepts. */
static int kwik_listen(void)
{
	struct sockaddr_kwik a = {
		.kw_family = kwik_family_now(),
		.kw_service = O.service,
	};
	int fd = socket(a.kw_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket(AF_KWIK)");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind(AF_KWIK)");
	if (listen(fd, O.backlog) < 0)
		die("listen(AF_KWIK)");
	return fd;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- scenarios -------------------------------------------------------- */

struct scenario {
	const char *name;
	unsigned int roles;	/* 1 client, 2 server */
	const char *what;
};

static const struct scenario scenarios[] = {
	{ "bad-version", 3, "HELLO with version 2" },
	{ "bad-role", 3, "HELLO claiming the receiver's own role" },
	{ "no-hello", 3, "PING before HELLO" },
	{ "hello-twice", 1, "a second HELLO on an up path" },
	{ "oversize", 3, "DATA of 16385 payload bytes" },
	{ "reserved", 3, "header reserved bits set" },
	{ "reserved-body", 1, "ACK with its reserved word set" },
	{ "bad-flags", 1, "PING with flags" },
	{ "bad-type", 1, "frame type 255" },
	{ "bad-length", 1, "PING of 9 bytes" },
	{ "empty-data", 1, "DATA without payload or FIN" },
	{ "session-zero", 1, "OPEN with session ID 0" },
	{ "data-unknown", 3, "DATA for a session never opened" },
	{ "reset-unknown", 3, "RESET for a session never opened" },
	{ "ack-unknown", 1, "ACK for a session never opened" },
	{ "open-to-client", 2, "OPEN sent to a client path" },
	{ "open-refused", 1, "OPEN for a service nothing listens on" },
	{ "dup-open", 1, "the same OPEN twice" },
	{ "open-flood", 1, "-n OPENs, never completed" },
	{ "window", 3, "DATA far beyond the advertised window" },
	{ "after-fin", 3, "DATA after FIN" },
	{ "fin-ooo", 1, "early FIN, then DATA beyond it" },
	{ "ack-unsent", 3, "ACK of data never sent" },
	{ "refuse", 2, "answer OPEN with RESET(REFUSED)" },
	{ "reset-protocol", 2, "answer OPEN with RESET(PROTOCOL)" },
	{ "join-unknown", 1, "JOIN for a session never opened" },
	{ "join-badmac", 1, "open a session, JOIN it from a 2nd path with a wrong MAC" },
	{ "reopen", 1, "OPEN again on a 2nd path (bad key, same key), use it; again on a 3rd" },
	{ "resend", 1, "2 paths, data never acked, close the 1st: it must come again on the 2nd" },
	{ "resend-fin", 1, "2 paths, the FIN's path closes unacked: it must come again on the 2nd" },
	{ "resend-fin-gone", 1, "resend-fin, answered with RESET(UNKNOWN): ECONNRESET" },
	{ "stale-ack", 1, "2 paths, the ACK path stops delivering: ACKs must come on the 2nd" },
	{ "one-way", 1, "a path that delivers nothing but hears PINGs: its data must come on a 2nd" },
	{ "urgent", 3, "a PING whose last byte is TCP urgent data" },
	{ "truncated", 3, "half a DATA frame, then close" },
	{ "garbage", 3, "4 KiB of random bytes" },
	{ NULL, 0, NULL }
};

static const struct scenario *find_scenario(const char *name, unsigned int role)
{
	const struct scenario *s;

	for (s = scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return s->roles & role ? s : NULL;
	return NULL;
}

static bool wait_answer(int fd)
{
	return watch(fd, O.timeout, is_open_answer);
}

/* Open a session of ours (client role): true on OPEN_ACK. */
static bool open_session(int fd, uint64_t *sess)
{
	*sess = rnd64();
	if (send_open(fd, FT_OPEN, *sess, O.service, 1 << 20) < 0)
		return false;
	return wait_answer(fd) && R.open_acks && R.sess == *sess;
}

/* JOIN with a random nonce and a MAC that cannot be right. */
static int send_join(int fd, uint64_t session)
{
	uint8_t b[16];

	put64(b, rnd64());
	put64(b + 8, rnd64());
	return send_frame(fd, FT_JOIN, 0, session, b, sizeof(b));
}

static struct sockaddr_in peer_addr;
static int klfd = -1;		/* -L: the AF_KWIK listener */

/* Session @s takes 10 bytes at sequence 0 on @fd and acknowledges them. */
static bool session_works(int fd, uint64_t s)
{
	R.acked = 0;
	send_data(fd, s, 0, 0, 10);
	return watch(fd, O.timeout, is_data_acked) && R.acked == 10;
}

/*
 * watch(@fd, @ms, @pred) while PINGing @pfd (if >= 0) every PING_EVERY_MS:
 * the kernel's lower connection there keeps hearing segments from us,
 * far more often than the 20 ms of silence that would make it stale.
 */
#define PING_EVERY_MS	5
static bool watch_pinging(int fd, int pfd, int ms,
			  bool (*pred)(const struct frame *))
{
	long long end = now_ms() + ms;

	if (pfd < 0)
		return watch(fd, ms, pred);
	while (!R.closed && !stop && now_ms() < end) {
		if (send_ping(pfd, FT_PING, (uint64_t)now_ms()) < 0)
			return false;
		if (watch(fd, PING_EVERY_MS, pred))
			return true;
	}
	return false;
}

/*
 * A second (third...) path to the listener, HELLO done, PINGing @pfd
 * meanwhile (if >= 0); -1 if refused.
 */
static int another_path(int pfd)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&peer_addr,
			      sizeof(peer_addr)) < 0)
		die("another connection");
	nodelay(fd);
	send_hello(fd, 1, 0);
	if (!watch_pinging(fd, pfd, O.timeout, is_hello)) {
		R.hello = "bad";
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Open a session on @fd, then try to join it from a second connection
 * with a wrong MAC: that path must get RESET(UNKNOWN) and the session on
 * @fd must still work (DATA is acknowledged).
 */
static void join_badmac(int fd)
{
	uint64_t s;
	int fd2;

	if (!open_session(fd, &s)) {
		fprintf(stderr, "%s: no OPEN_ACK (-L?)\n", prog);
		return;
	}
	fd2 = another_path(-1);
	if (fd2 < 0)
		return;
	R.resets = 0;
	send_join(fd2, s);
	watch(fd2, O.timeout, is_reset);
	probe(fd2);		/* the joining path stays up */
	/* The session on the first path is untouched. */
	R.session_ok = session_works(fd, s);
	send_reset(fd, s, RR_ABORT);
	close(fd2);
}

/*
 * No answer to the OPEN just sent on @fd: the PONG to a PING sent after it
 * shows that the kernel has read the OPEN; an OPEN_ACK queued before may
 * still follow it (control frames go first), so listen a second more.
 * Short whatever -t says: meanwhile the peer reads none of its other
 * paths, and the kernel fails a path it hears nothing on for 5 s.
 */
static void no_answer(int fd)
{
	probe(fd);
	watch(fd, 1000, is_open_answer);
}

/*
 * A client whose OPEN_ACK was lost with its path opens again on another:
 * on a 2nd path an OPEN with another key gets no answer, the same OPEN
 * gets an OPEN_ACK, and once the 1st path is gone the session works on
 * the 2nd.  After that, the same OPEN on a 3rd path gets no answer.
 */
static void reopen(int fd)
{
	uint64_t s = rnd64(), key = rnd64();
	int fd2, fd3;

	send_open_key(fd, FT_OPEN, s, O.service, 1 << 20, key);
	if (!wait_answer(fd) || R.open_acks != 1) {
		fprintf(stderr, "%s: no OPEN_ACK (-L?)\n", prog);
		return;
	}
	fd2 = another_path(-1);
	if (fd2 < 0)
		return;
	send_open_key(fd2, FT_OPEN, s, O.service, 1 << 20, key ^ 1);
	no_answer(fd2);
	send_open_key(fd2, FT_OPEN, s, O.service, 1 << 20, key);
	watch(fd2, O.timeout, is_open_answer);
	close(fd);
	R.session_ok = session_works(fd2, s);
	fd3 = another_path(-1);
	if (fd3 >= 0) {
		send_open_key(fd3, FT_OPEN, s, O.service, 1 << 20, key);
		no_answer(fd3);
		close(fd3);
	}
	send_reset(fd2, s, RR_ABORT);
	probe(fd2);
	close(fd2);
}

/*
 * Open session @s on @fd offering window @wnd, then join it from a second
 * connection with the same OPEN (a re-OPEN: same key, no MAC needed), and
 * accept it on the -L listener.  Returns the second connection, or -1.
 */
static int open_two_paths(int fd, uint64_t s, uint32_t wnd, int *afd)
{
	uint64_t key = rnd64();
	int fd2;

	send_open_key(fd, FT_OPEN, s, O.service, wnd, key);
	if (!wait_answer(fd) || R.open_acks != 1 || klfd < 0) {
		fprintf(stderr, "%s: no OPEN_ACK (-L?)\n", prog);
		return -1;
	}
	fd2 = another_path(-1);
	if (fd2 < 0)
		return -1;
	send_open_key(fd2, FT_OPEN, s, O.service, wnd, key);
	if (!watch(fd2, O.timeout, is_open_answer) || R.open_acks != 2) {
		fprintf(stderr, "%s: no OPEN_ACK on the 2nd path\n", prog);
		close(fd2);
		return -1;
	}
	*afd = accept4(klfd, NULL, NULL, SOCK_NONBLOCK);
	if (*afd < 0)
		die("accept(AF_KWIK)");
	return fd2;
}

/* Bytes of @fd's logged DATA within [0, RESEND_WINDOW) not yet seen again
 * on another connection after @from (an index into R.rx).
 */
#define RESEND_WINDOW	(48 * 1024)	/* the window the peer offers */
static bool resend_done(int gone, unsigned int from, unsigned int *left)
{
	static uint8_t again[RESEND_WINDOW];
	unsigned int i;
	uint64_t b;

	memset(again, 0, sizeof(again));
	for (i = from; i < R.nrx; i++)
		for (b = R.rx[i].dsn; b < R.rx[i].dsn + R.rx[i].len &&
		     b < RESEND_WINDOW; b++)
			again[b] = 1;
	*left = 0;
	for (i = 0; i < from; i++)
		if (R.rx[i].fd == gone)
			for (b = R.rx[i].dsn; b < R.rx[i].dsn + R.rx[i].len &&
			     b < RESEND_WINDOW; b++)
				*left += !again[b];
	return !*left;
}

/*
 * The application of session @afd queues more than RESEND_WINDOW bytes
 * of @fill (as much as its send buffer takes) and reads nothing.
 */
static bool app_overfill(int afd, char fill)
{
	static char buf[256 * 1024];
	size_t total;
	ssize_t n = 0;

	memset(buf, fill, sizeof(buf));
	for (total = 0; total < sizeof(buf); total += n) {
		n = send(afd, buf + total, sizeof(buf) - total, MSG_NOSIGNAL);
		if (n <= 0)
			break;
	}
	if (total > RESEND_WINDOW)
		return true;
	fprintf(stderr, "%s: the application queued only %zu bytes\n", prog,
		total);
	return false;
}

static unsigned int resend_from;
static int resend_gone;
static bool is_resent(const struct frame *f)
{
	unsigned int left;

	return f->type == FT_DATA && resend_done(resend_gone, resend_from, &left);
}

/*
 * The session's data is never acknowledged, so the kernel fills the
 * window the OPEN offered, over both paths (the second joined with a
 * re-OPEN, which needs no MAC), and then has nothing it may send.  The
 * path that carried the first byte closes: the kernel must send what it
 * gave that path again on the other at once, although the peer, quiet,
 * gives it no reason to look at the session again (no ACK, no data).
 */
static void resend(int fd)
{
	unsigned int i, left;
	int fd2, afd, keep;
	uint64_t s = rnd64();

	fd2 = open_two_paths(fd, s, RESEND_WINDOW, &afd);
	if (fd2 < 0)
		return;
	if (!app_overfill(afd, 'r')) {
		close(afd);
		return;
	}
	R.quiet = true;
	watch(fd, O.timeout / 2, NULL);
	watch(fd2, O.timeout / 2, NULL);
	if (!R.nrx) {
		fprintf(stderr, "%s: no DATA from the kernel\n", prog);
		close(afd);
		return;
	}
	resend_gone = fd;
	for (i = 0; i < R.nrx; i++)
		if (R.rx[i].dsn == 0)
			resend_gone = R.rx[i].fd;
	keep = resend_gone == fd ? fd2 : fd;
	resend_from = R.nrx;
	close(resend_gone);
	R.resent = watch(keep, O.timeout, is_resent);
	if (!R.resent) {
		resend_done(resend_gone, resend_from, &left);
		fprintf(stderr, "%s: %u bytes of the closed path not sent again"
			" (%u DATA frames before the close, %u after)\n",
			prog, left, resend_from, R.nrx - resend_from);
	}
	R.quiet = false;
	send_reset(keep, s, RR_ABORT);
	probe(keep);
	close(afd);
	close(keep);
}

/* resend-fin: the index in R.rx of the FIN logged at or after @from, or -1 */
static int fin_logged(unsigned int from)
{
	unsigned int i;

	for (i = from; i < R.nrx; i++)
		if (R.rx[i].fin)
			return i;
	return -1;
}

static bool is_fin_sent(const struct frame *f)
{
	return f->type == FT_DATA && fin_logged(0) >= 0;
}

static bool is_fin_resent(const struct frame *f)
{
	unsigned int left;

	return f->type == FT_DATA && fin_logged(resend_from) >= 0 &&
	       resend_done(resend_gone, resend_from, &left);
}

static bool is_peer_fin_acked(const struct frame *f)
{
	return f->type == FT_ACK && R.acked >= 1;
}

/*
 * The application writes a little and shuts down its side; the path its
 * FIN went on closes before acknowledging it, as if the ACK was lost with
 * the path.  The kernel must send the FIN again on the other path, with
 * the data that went on the closed one, and the session must then end
 * cleanly there: the application reads our FIN as EOF and our FIN is
 * acknowledged.  With @gone, we play a peer whose session ended with the
 * lost ACK: the resent FIN gets a RESET for an unknown session, and the
 * application, still reading, must see ECONNRESET.
 */
#define RESEND_FIN_BYTES	3000
static void resend_fin(int fd, bool gone)
{
	static char buf[RESEND_FIN_BYTES];
	struct pollfd pfd;
	uint64_t s = rnd64(), end;
	unsigned int left;
	int fd2, afd, keep, i;

	fd2 = open_two_paths(fd, s, RESEND_WINDOW, &afd);
	if (fd2 < 0)
		return;
	memset(buf, 'e', sizeof(buf));
	if (send(afd, buf, sizeof(buf), MSG_NOSIGNAL) != sizeof(buf) ||
	    shutdown(afd, SHUT_WR) < 0) {
		fprintf(stderr, "%s: the application could not write and shut"
			" down: %s\n", prog, ename(errno));
		close(afd);
		return;
	}
	R.quiet = true;
	if (!watch(fd, O.timeout / 2, is_fin_sent))
		watch(fd2, O.timeout / 2, is_fin_sent);
	i = fin_logged(0);
	if (i < 0) {
		fprintf(stderr, "%s: no FIN from the kernel\n", prog);
		close(afd);
		return;
	}
	resend_gone = R.rx[i].fd;
	keep = resend_gone == fd ? fd2 : fd;
	resend_from = R.nrx;
	close(resend_gone);
	R.resent = watch(keep, O.timeout, is_fin_resent);
	R.quiet = false;
	if (!R.resent) {
		resend_done(resend_gone, resend_from, &left);
		fprintf(stderr, "%s: %u bytes of the closed path not sent again,"
			" FIN %s (%u DATA frames before the close, %u after)\n",
			prog, left, fin_logged(resend_from) < 0 ? "not sent again" :
			"sent again", resend_from, R.nrx - resend_from);
		send_reset(keep, s, RR_ABORT);
		probe(keep);
		close(afd);
		close(keep);
		return;
	}
	i = fin_logged(resend_from);
	end = R.rx[i].dsn + R.rx[i].len + 1;
	if (end != RESEND_FIN_BYTES + 1)
		fprintf(stderr, "%s: the FIN ends the stream at %" PRIu64
			", not %u\n", prog, end - 1, RESEND_FIN_BYTES);
	if (gone) {
		send_reset(keep, s, RR_UNKNOWN);
		R.session_ok = end == RESEND_FIN_BYTES + 1;
	} else {
		/* Acknowledge everything and the FIN, then send ours. */
		send_ack(keep, s, end, RESEND_WINDOW, 0);
		send_data(keep, s, 0, FIN, 0);
		R.session_ok = end == RESEND_FIN_BYTES + 1 &&
			       watch(keep, O.timeout, is_peer_fin_acked);
	}
	pfd = (struct pollfd){ .fd = afd, .events = POLLIN };
	if (R.session_ok) {
		ssize_t n = -1;
		int want = gone ? ECONNRESET : 0;

		errno = ETIMEDOUT;
		if (poll(&pfd, 1, O.timeout) == 1)
			n = recv(afd, buf, sizeof(buf), 0);
		if (want ? n != -1 || errno != want : n != 0) {
			fprintf(stderr, "%s: the application read %zd (%s), not"
				" %s\n", prog, n, n < 0 ? ename(errno) : "bytes",
				want ? ename(want) : "EOF");
			R.session_ok = 0;
		}
	}
	probe(keep);
	close(afd);
	close(keep);
}

/*
 * Make @fd's connection stop delivering to us (@on) or deliver again: a
 * socket filter drops every segment with payload before our TCP sees it,
 * so nothing the kernel sends there is acknowledged, while our own frames
 * still get through (the kernel's pure ACKs of them pass).  At the
 * filter, data starts at the TCP header: drop when the length exceeds
 * the header's (doff x 4).
 */
static void mute(int fd, bool on)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 12),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};
	int dummy = 0;

	if (on ? setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			    sizeof(prog)) :
		 setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
			    sizeof(dummy)))
		die("socket filter");
}

static uint64_t stale_edge;	/* stale-ack: the window's edge, all sent */

static bool is_ack(const struct frame *f) { return f->type == FT_ACK; }
static bool is_all_acked(const struct frame *f)
{
	return f->type == FT_ACK && R.acked >= stale_edge;
}
static bool is_window_update(const struct frame *f)
{
	return f->type == FT_ACK && R.acked + R.ack_wnd > stale_edge;
}

/* Paths up for the application's session @afd (KWIK_INFO), -1 on error. */
static int session_paths(int afd)
{
	struct kwik_info ki;
	socklen_t l = sizeof(ki);

	if (getsockopt(afd, SOL_KWIK, KWIK_INFO, &ki, &l))
		return -1;
	return ki.paths;
}

/*
 * A session over two paths, its data coming in on the first, so that its
 * ACKs go there.  The application does not read, and the peer fills the
 * window.  Then the first path stops delivering to the peer (mute()) and
 * the peer says nothing more there: the kernel's PING after a second of
 * silence is never acknowledged, and the path turns stale, seconds before
 * that silence fails it (KWIK_PATH_DEAD).  The session must then send the
 * ACK it owes on the second path, and, once the application has read, the
 * window update too, both while the first path is still up: left on the
 * stale path, they would come only after it failed.
 */
static void stale_ack(int fd)
{
	uint64_t s = rnd64(), sent = 0, got = 0, edge;
	static char buf[64 * 1024];
	int fd2, afd, i, up;
	long long t0;
	ssize_t n;

	fd2 = open_two_paths(fd, s, 1 << 20, &afd);
	if (fd2 < 0)
		return;
	/* Nothing received yet: both OPEN_ACKs offered the same window. */
	edge = R.window;
	/* Fill the window on the first path; the application reads nothing. */
	for (i = 0; i < 1000 && sent < edge; i++) {
		while (sent < edge) {
			size_t len = edge - sent < DATA_MAX ? edge - sent :
							      DATA_MAX;

			if (send_data(fd, s, sent, 0, len) < 0)
				goto out;
			sent += len;
		}
		stale_edge = sent;
		if (!watch(fd, O.timeout, is_all_acked))
			break;
		if (R.acked + R.ack_wnd > edge)
			edge = R.acked + R.ack_wnd;
	}
	if (sent != edge || R.acked != sent) {
		fprintf(stderr, "%s: window not filled: sent %" PRIu64 ", edge %"
			PRIu64 ", acked %" PRIu64 "\n", prog, sent, edge,
			R.acked);
		goto out;
	}
	R.moved = 0;
	mute(fd, true);
	t0 = now_ms();
	if (!watch(fd2, 3 * O.timeout, is_ack)) {
		fprintf(stderr, "%s: no ACK on the 2nd path once the 1st was "
			"muted\n", prog);
		goto unmute;
	}
	up = session_paths(afd);
	if (up != 2) {
		fprintf(stderr, "%s: the ACK on the 2nd path came %lld ms after "
			"the mute, with %d path(s) up\n", prog, now_ms() - t0,
			up);
		goto unmute;
	}
	while ((n = recv(afd, buf, sizeof(buf), 0)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != 'k')
				break;
		if (i < n)
			break;
		got += n;
	}
	if (got != sent) {
		fprintf(stderr, "%s: the application read %" PRIu64 " of %"
			PRIu64 " bytes\n", prog, got, sent);
		goto unmute;
	}
	if (!watch(fd2, 3 * O.timeout, is_window_update)) {
		fprintf(stderr, "%s: no window update on the 2nd path after "
			"the read (ack %" PRIu64 " window %u, edge %" PRIu64
			")\n", prog, R.acked, R.ack_wnd, stale_edge);
		goto unmute;
	}
	up = session_paths(afd);
	if (up != 2) {
		fprintf(stderr, "%s: the window update came %lld ms after the "
			"mute, with %d path(s) up\n", prog, now_ms() - t0, up);
		goto unmute;
	}
	R.moved = 1;
unmute:
	mute(fd, false);
out:
	send_reset(fd2, s, RR_ABORT);
	probe(fd2);
	close(afd);
	close(fd2);
}

/* one-way: bytes of [0, RESEND_WINDOW) not yet seen on @fd2. */
static bool window_on(int fd2, unsigned int *left)
{
	static uint8_t got[RESEND_WINDOW];
	unsigned int i;
	uint64_t b;

	memset(got, 0, sizeof(got));
	for (i = 0; i < R.nrx; i++)
		if (R.rx[i].fd == fd2)
			for (b = R.rx[i].dsn; b < R.rx[i].dsn + R.rx[i].len &&
			     b < RESEND_WINDOW; b++)
				got[b] = 1;
	*left = 0;
	for (b = 0; b < RESEND_WINDOW; b++)
		*left += !got[b];
	return !*left;
}

static int oneway_fd2 = -1;
static bool is_window_on(const struct frame *f)
{
	unsigned int left;

	return f->type == FT_DATA && window_on(oneway_fd2, &left);
}

/*
 * A one-way failure: the only path stops delivering to the peer (mute())
 * once the application has written, while the peer keeps PINGing there,
 * so the kernel's lower connection hears a segment every few ms and none
 * acknowledges its data.  The path must turn stale all the same, and
 * when a second path joins (half a second later), what the session gave
 * the first must come again on it, while the first is still up: it
 * never falls silent, so nothing else would ever fail it.  The PINGs go
 * on 2.5 s more, for the test to see that the path stayed stale.
 */
static void one_way(int fd)
{
	uint64_t s = rnd64(), key = rnd64();
	unsigned int left;
	int fd2, afd, up;
	long long tmute, t0;

	send_open_key(fd, FT_OPEN, s, O.service, RESEND_WINDOW, key);
	if (!wait_answer(fd) || R.open_acks != 1 || klfd < 0) {
		fprintf(stderr, "%s: no OPEN_ACK (-L?)\n", prog);
		return;
	}
	afd = accept4(klfd, NULL, NULL, SOCK_NONBLOCK);
	if (afd < 0)
		die("accept(AF_KWIK)");
	/* Acknowledge the OPEN_ACK now, not after a delayed-ACK timer. */
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 }, sizeof(int));
	mute(fd, true);
	tmute = now_ms();
	if (!app_overfill(afd, 'w'))
		goto out;
	R.oneway = 0;
	R.quiet = true;
	/* The second path: connect, HELLO and re-OPEN, PINGing the first. */
	watch_pinging(fd, fd, 500, NULL);
	fd2 = another_path(fd);
	if (fd2 < 0) {
		R.quiet = false;
		goto out;
	}
	send_open_key(fd2, FT_OPEN, s, O.service, RESEND_WINDOW, key);
	if (!watch_pinging(fd2, fd, O.timeout, is_open_answer) ||
	    R.open_acks != 2) {
		fprintf(stderr, "%s: no OPEN_ACK on the 2nd path\n", prog);
		goto out2;
	}
	oneway_fd2 = fd2;
	t0 = now_ms();
	if (!watch_pinging(fd2, fd, 3 * O.timeout, is_window_on)) {
		window_on(fd2, &left);
		fprintf(stderr, "%s: %u bytes of the window never came on the "
			"2nd path (%u DATA frames there)\n", prog, left, R.nrx);
		goto out2;
	}
	fprintf(stderr, "%s: one-way: the window came on the 2nd path %lld ms"
		" after it joined, %lld ms after the mute\n", prog,
		now_ms() - t0, now_ms() - tmute);
	/* PINGs for a while more: the stale path must stay stale. */
	watch_pinging(fd2, fd, 2500, NULL);
	up = session_paths(afd);
	if (up != 2) {
		fprintf(stderr, "%s: %d path(s) up at the end\n", prog, up);
		goto out2;
	}
	R.oneway = 1;
out2:
	R.quiet = false;
	send_reset(fd2, s, RR_ABORT);
	probe(fd2);
	close(fd2);
out:
	mute(fd, false);
	close(afd);
}

static void run_client(int fd, const char *sc)
{
	uint64_t s;
	uint8_t junk[4096];
	unsigned int i;

	/* Scenarios that break the handshake itself. */
	if (!strcmp(sc, "bad-version")) {
		send_hello(fd, 2, 0);
		watch(fd, O.timeout, NULL);
		return;
	}
	if (!strcmp(sc, "bad-role")) {
		send_hello(fd, 1, 1);
		watch(fd, O.timeout, NULL);
		return;
	}
	if (!strcmp(sc, "no-hello")) {
		send_ping(fd, FT_PING, 1);
		watch(fd, O.timeout, NULL);
		return;
	}
	send_hello(fd, 1, 0);
	if (!watch(fd, O.timeout, is_hello)) {
		R.hello = "bad";
		return;
	}
	R.hello = "ok";

	if (!strcmp(sc, "hello-twice")) {
		send_hello(fd, 1, 0);
	} else if (!strcmp(sc, "oversize")) {
		/* The header says 16385 payload bytes; send them all. */
		send_raw(fd, FT_DATA, 0, 0, 8 + DATA_MAX + 1, rnd64(), junk,
			 sizeof(junk));
	} else if (!strcmp(sc, "reserved")) {
		send_raw(fd, FT_PING, 0, 0x100, 8, 0, junk, 8);
	} else if (!strcmp(sc, "reserved-body")) {
		send_ack(fd, rnd64(), 0, 0, 1);
	} else if (!strcmp(sc, "bad-flags")) {
		send_raw(fd, FT_PING, 0x80, 0, 8, 0, junk, 8);
	} else if (!strcmp(sc, "bad-type")) {
		send_raw(fd, FT_UNKNOWN, 0, 0, 8, 1, junk, 8);
	} else if (!strcmp(sc, "bad-length")) {
		memset(junk, 0, 9);
		send_raw(fd, FT_PING, 0, 0, 9, 0, junk, 9);
	} else if (!strcmp(sc, "empty-data")) {
		send_data(fd, rnd64(), 0, 0, 0);
	} else if (!strcmp(sc, "session-zero")) {
		send_open(fd, FT_OPEN, 0, O.service, 65536);
	} else if (!strcmp(sc, "data-unknown")) {
		send_data(fd, rnd64(), 0, 0, 100);
		watch(fd, O.timeout, is_reset);
		probe(fd);
		return;
	} else if (!strcmp(sc, "reset-unknown")) {
		send_reset(fd, rnd64(), RR_ABORT);
		probe(fd);
		return;
	} else if (!strcmp(sc, "ack-unknown")) {
		send_ack(fd, rnd64(), 10, 65536, 0);
		probe(fd);
		return;
	} else if (!strcmp(sc, "open-refused")) {
		send_open(fd, FT_OPEN, rnd64(), O.service, 65536);
		wait_answer(fd);
		probe(fd);
		return;
	} else if (!strcmp(sc, "dup-open")) {
		s = rnd64();
		send_open(fd, FT_OPEN, s, O.service, 65536);
		send_open(fd, FT_OPEN, s, O.service, 65536);
		wait_answer(fd);
		probe(fd);		/* also drains a second answer, if any */
		send_reset(fd, s, RR_ABORT);
		return;
	} else if (!strcmp(sc, "open-flood")) {
		for (i = 0; i < O.count && !R.closed; i++)
			if (send_open(fd, FT_OPEN, rnd64(), O.service,
				      65536) < 0)
				R.closed = true;
		/* Every OPEN gets exactly one answer. */
		while (!R.closed && R.open_acks + R.refused < O.count &&
		       !stop)
			if (!watch(fd, O.timeout, is_open_answer))
				break;
		probe(fd);
		return;
	} else if (!strcmp(sc, "window") || !strcmp(sc, "after-fin") ||
		   !strcmp(sc, "fin-ooo") || !strcmp(sc, "ack-unsent")) {
		if (!open_session(fd, &s)) {
			fprintf(stderr, "%s: no OPEN_ACK (is -L or a server "
				"listening on service %u?)\n", prog,
				O.service);
			return;
		}
		if (!strcmp(sc, "window")) {
			send_data(fd, s, (uint64_t)R.window + 65536, 0, 100);
		} else if (!strcmp(sc, "after-fin")) {
			send_data(fd, s, 0, FIN, 0);
			send_data(fd, s, 1, 0, 10);
		} else if (!strcmp(sc, "fin-ooo")) {
			/*
			 * An early FIN may be legal with several paths (the
			 * data before it travels on another), data beyond
			 * it never is.
			 */
			send_data(fd, s, 100, FIN, 0);
			send_data(fd, s, 200, 0, 10);
		} else {
			send_ack(fd, s, 1ULL << 40, 65536, 0);
			probe(fd);
			send_reset(fd, s, RR_ABORT);
			return;
		}
		watch(fd, O.timeout, is_reset);
		probe(fd);
		return;
	} else if (!strcmp(sc, "join-unknown")) {
		send_join(fd, rnd64());
		watch(fd, O.timeout, is_reset);
		probe(fd);
		return;
	} else if (!strcmp(sc, "join-badmac")) {
		join_badmac(fd);
		return;
	} else if (!strcmp(sc, "reopen")) {
		reopen(fd);
		return;
	} else if (!strcmp(sc, "resend")) {
		resend(fd);
		return;
	} else if (!strcmp(sc, "resend-fin")) {
		resend_fin(fd, false);
		return;
	} else if (!strcmp(sc, "resend-fin-gone")) {
		resend_fin(fd, true);
		return;
	} else if (!strcmp(sc, "stale-ack")) {
		stale_ack(fd);
		return;
	} else if (!strcmp(sc, "one-way")) {
		one_way(fd);
		return;
	} else if (!strcmp(sc, "truncated")) {
		send_raw(fd, FT_DATA, 0, 0, 1000, rnd64(), junk, 20);
		shutdown(fd, SHUT_WR);
	} else if (!strcmp(sc, "urgent")) {
		send_ping_urgent(fd);
	} else if (!strcmp(sc, "garbage")) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = rnd64() >> 24;
		sendall(fd, junk, sizeof(junk));
	}
	watch(fd, O.timeout, NULL);
}

static void run_server(int fd, const char *sc)
{
	uint8_t junk[4096];
	unsigned int i;

	/* The kernel's client path speaks first. */
	if (!watch(fd, O.timeout * 3, is_hello)) {
		R.hello = "bad";
		return;
	}
	if (!strcmp(sc, "bad-version")) {
		send_hello(fd, 2, 1);
		watch(fd, O.timeout, NULL);
		return;
	}
	if (!strcmp(sc, "bad-role")) {
		send_hello(fd, 1, 0);
		watch(fd, O.timeout, NULL);
		return;
	}
	if (!strcmp(sc, "no-hello")) {
		send_ping(fd, FT_PING, 1);
		watch(fd, O.timeout, NULL);
		return;
	}
	send_hello(fd, 1, 1);
	R.hello = "ok";

	if (!strcmp(sc, "oversize")) {
		send_raw(fd, FT_DATA, 0, 0, 8 + DATA_MAX + 1, rnd64(), junk,
			 sizeof(junk));
	} else if (!strcmp(sc, "reserved")) {
		send_raw(fd, FT_PONG, 0, 1, 8, 0, junk, 8);
	} else if (!strcmp(sc, "data-unknown")) {
		send_data(fd, rnd64(), 0, 0, 100);
		watch(fd, O.timeout, is_reset);
		probe(fd);
		return;
	} else if (!strcmp(sc, "reset-unknown")) {
		send_reset(fd, rnd64(), RR_ABORT);
		probe(fd);
		return;
	} else if (!strcmp(sc, "open-to-client")) {
		send_open(fd, FT_OPEN, rnd64(), O.service, 65536);
		probe(fd);
		return;
	} else if (!strcmp(sc, "truncated")) {
		send_raw(fd, FT_DATA, 0, 0, 1000, rnd64(), junk, 20);
		shutdown(fd, SHUT_WR);
	} else if (!strcmp(sc, "urgent")) {
		send_ping_urgent(fd);
	} else if (!strcmp(sc, "garbage")) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = rnd64() >> 24;
		sendall(fd, junk, sizeof(junk));
	} else {
		/* Session scenarios: wait for the application's OPEN. */
		uint64_t s;

		if (!watch(fd, O.timeout * 5, is_open)) {
			fprintf(stderr, "%s: no OPEN from the kernel\n", prog);
			return;
		}
		s = R.sess;
		if (!strcmp(sc, "refuse")) {
			send_reset(fd, s, RR_REFUSED);
			probe(fd);
			return;
		}
		if (!strcmp(sc, "reset-protocol")) {
			send_reset(fd, s, RR_PROTOCOL);
			probe(fd);
			return;
		}
		send_open(fd, FT_OPEN_ACK, s, 0, 1 << 20);
		if (!strcmp(sc, "window")) {
			send_data(fd, s, (uint64_t)R.window + 65536, 0, 100);
		} else if (!strcmp(sc, "after-fin")) {
			send_data(fd, s, 0, FIN, 0);
			send_data(fd, s, 1, 0, 10);
		} else if (!strcmp(sc, "ack-unsent")) {
			/* Then behave: 5 bytes and FIN, ack what comes. */
			send_ack(fd, s, 1ULL << 40, 1 << 20, 0);
			send_data(fd, s, 0, FIN, 5);
			watch(fd, O.timeout * 3, is_fin_acked);
			probe(fd);
			return;
		}
		watch(fd, O.timeout, is_reset);
		probe(fd);
		return;
	}
	watch(fd, O.timeout, NULL);
}

/* ---- app: a plain AF_KWIK client -------------------------------------- */

static int run_app(uint32_t service)
{
	struct sockaddr_kwik a = {
		.kw_family = kwik_family_now(),
		.kw_service = service,
	};
	struct timeval tv = { .tv_sec = 20 };
	char buf[4096];
	long long got = 0;
	int fd, e = 0;

	memset(buf, 'a', 100);
	fd = socket(a.kw_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket(AF_KWIK)");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("app connect=%s sent=0 recv=0 end=-\n", ename(errno));
		return 0;
	}
	if (send(fd, buf, 100, MSG_NOSIGNAL) != 100) {
		printf("app connect=OK sent=0 recv=0 end=%s\n", ename(errno));
		return 0;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0) {
			got += n;
			continue;
		}
		e = n < 0 ? errno : 0;
		break;
	}
	printf("app connect=OK sent=100 recv=%lld end=%s\n", got,
	       e ? ename(e) : "EOF");
	close(fd);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	const struct scenario *s;

	fprintf(f,
		"usage: %s [OPTS] client|server ADDR:PORT SCENARIO\n"
		"       %s app SERVICE\n"
		"       %s list\n"
		"  -s SERVICE  service of OPENs (default 8)\n"
		"  -t MS       how long to watch the kernel react (2000)\n"
		"  -n N        OPENs of open-flood (200)\n"
		"  -L          hold an AF_KWIK listener on -s, never accepting\n"
		"  -b N        its backlog (16)\n"
		"  -r FILE     create FILE when the scenario is done\n"
		"  -H MS       then keep the path open MS ms (or until SIGTERM)\n"
		"  -v          trace frames on stderr\n"
		"scenarios (c: client role, s: server role):\n",
		prog, prog, prog);
	for (s = scenarios; s->name; s++)
		fprintf(f, "  %-15s %c%c  %s\n", s->name,
			s->roles & 1 ? 'c' : ' ', s->roles & 2 ? 's' : ' ',
			s->what);
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	const char *role, *sc;
	int opt, fd, one = 1;
	unsigned int r;

	while ((opt = getopt(argc, argv, "s:t:n:Lb:r:H:vh")) != -1) {
		switch (opt) {
		case 's': O.service = strtoul(optarg, NULL, 0); break;
		case 't': O.timeout = atoi(optarg); break;
		case 'n': O.count = strtoul(optarg, NULL, 0); break;
		case 'L': O.klisten = true; break;
		case 'b': O.backlog = atoi(optarg); break;
		case 'r': O.ready = optarg; break;
		case 'H': O.hold = atoi(optarg); break;
		case 'v': O.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && !strcmp(argv[0], "list")) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "app"))
		return run_app(strtoul(argv[1], NULL, 0));
	if (argc != 3) {
		usage(stderr);
		return 1;
	}
	role = argv[0];
	sc = argv[2];
	if (!strcmp(role, "client"))
		r = 1;
	else if (!strcmp(role, "server"))
		r = 2;
	else {
		usage(stderr);
		return 1;
	}
	if (!find_scenario(sc, r)) {
		fprintf(stderr, "%s: no scenario '%s' for role %s\n", prog, sc,
			role);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	parse_addr(argv[1], &sin);
	peer_addr = sin;
	if (O.klisten)
		klfd = kwik_listen();

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (r == 1) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("connect");
	} else {
		int lfd = fd;
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("bind");
		if (listen(lfd, 4) < 0)
			die("listen");
		if (O.ready) {
			/* Listening now: the test may add the path. */
			char rf[512];

			snprintf(rf, sizeof(rf), "%s.listen", O.ready);
			close(open(rf, O_CREAT | O_WRONLY, 0644));
		}
		if (poll(&pfd, 1, O.timeout * 10) != 1) {
			errno = ETIMEDOUT;
			die("no connection from the kernel");
		}
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(lfd);
	}
	nodelay(fd);

	if (r == 1)
		run_client(fd, sc);
	else
		run_server(fd, sc);

	printf("peer scenario=%s role=%s hello=%s closed=%d alive=%s resets=%u"
	       " reason=%d open_acks=%u refused=%u pongs=%u frames=%u"
	       " kernel_bad=%u session_ok=%s resent=%s moved=%s oneway=%s\n",
	       sc, role, R.hello, R.closed,
	       R.alive < 0 ? "-" : R.alive ? "1" : "0", R.resets,
	       R.resets ? (int)R.reason : -1, R.open_acks, R.refused,
	       R.pongs, R.frames, R.kbad,
	       R.session_ok < 0 ? "-" : R.session_ok ? "1" : "0",
	       R.resent < 0 ? "-" : R.resent ? "1" : "0",
	       R.moved < 0 ? "-" : R.moved ? "1" : "0",
	       R.oneway < 0 ? "-" : R.oneway ? "1" : "0");
	fflush(stdout);
	if (O.ready)
		close(open(O.ready, O_CREAT | O_WRONLY, 0644));
	if (O.hold > 0 && !R.closed) {
		long long end = now_ms() + O.hold;

		/* Keep answering PINGs so the path stays up. */
		while (!stop && !R.closed && now_ms() < end)
			watch(fd, 200, NULL);
	}
	close(fd);
	if (klfd >= 0)
		close(klfd);
	return 0;
}
