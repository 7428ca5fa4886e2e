// SPDX-License-Identifier: GPL-2.0
/*
 * kwik_xfer - byte-exact stream transfer test and demo for AF_KWIK.
 *
 *   kwik_xfer server -s SERVICE [-c COUNT] [-m auto|sink|echo|source] ...
 *   kwik_xfer client -s SERVICE [-m send|recv|echo] [-b BYTES] [-P N] ...
 *   kwik_xfer ... -f tcp -a ADDR:PORT     (same test over plain TCP/MPTCP)
 *
 * Wire protocol of the test (not of Kwik): unless --raw, a client opens
 * each session with a 32-byte header telling the server what the session
 * does (direction, byte count, seed, session index), so both ends generate
 * and verify the same deterministic data: byte i of session k is a
 * function of (seed, k, i), produced 64 bytes at a time by splitmix64.
 * Both ends digest every byte with FNV-1a 64 and print it, so a script can
 * also compare the two sides.  With --shutdown a "send" client half-closes
 * and waits for a 16-byte receipt (count, digest) from the server, then EOF.
 *
 * Default I/O is blocking, one thread per session (plus a reader thread in
 * echo mode); --nonblock runs every session of the process in one poll()
 * loop with non-blocking sockets and MSG_DONTWAIT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kwik.h>

#include "kwik_util.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define HDR_LEN		32
#define HDR_MAGIC	0x4b575831u	/* "KWX1" */
#define RCPT_LEN	16
#define F_RECEIPT	0x01		/* server sends a receipt after EOF */
#define F_NOVERIFY	0x02		/* payload is not the pattern */
#define UNTIL_EOF	UINT64_MAX

enum role { R_CLIENT, R_SERVER };
/* What a session does, named from the client's point of view. */
enum mode { M_AUTO, M_SEND, M_RECV, M_ECHO };
enum fam { F_KWIK, F_TCP, F_MPTCP };

static const char *const mode_name[] = { "auto", "send", "recv", "echo" };
static const char *const smode_name[] = { "auto", "sink", "source", "echo" };

static struct {
	enum role role;
	enum fam fam;
	enum mode mode;
	uint32_t service;
	const char *addr;
	uint64_t bytes;
	uint64_t seed;
	unsigned int count;
	unsigned int parallel;
	size_t iolen;
	int timeout;		/* -1: default, 120 s for a client */
	const char *in, *out, *ready;
	const char *hold;	/* client: pause at half the payload until it exists */
	const char *stall;	/* client session 0: stop reading at half until it exists */
	bool nonblock, quiet, shutdown, raw, waitall, nodelay, close_early;
	int connect_timeout;	/* ms, SOL_KWIK KWIK_CONNECT_TIMEOUT; 0 = default */
	int sndbuf, rcvbuf;
} O = {
	.mode = M_AUTO, .bytes = 1 << 20, .seed = 1, .count = 0, .parallel = 1,
	.iolen = 65536, .timeout = -1,
};

static int kwik_family;
static const char *prog = "kwik_xfer";

struct sess {
	int fd;
	uint32_t idx;		/* client's session index (from the header) */
	unsigned int nth;	/* server: accept order */
	enum mode mode;
	uint8_t flags;
	uint64_t seed;
	uint64_t nbytes;	/* payload length of the session */
	/* transmit side */
	uint64_t tx_total, tx_off;
	uint64_t tx_fnv;
	int in_fd;
	unsigned char hdr[HDR_LEN];
	size_t hdr_txoff;	/* client: header bytes sent */
	bool tx_shut, tx_done;
	/* receive side */
	uint64_t rx_total, rx_off;	/* expected, UNTIL_EOF if unknown */
	uint64_t rx_fnv;
	bool rx_verify, rx_eof, rx_want_eof;
	int out_fd;
	size_t hdr_rxoff;	/* server: header bytes received */
	unsigned char rcpt[RCPT_LEN];
	size_t rcpt_off;	/* client: receipt bytes received */
	bool want_rcpt, send_rcpt;
	/* echo server: bytes received but not yet sent back */
	unsigned char *ebuf;
	size_t elen, eoff;
	/* nonblocking state */
	bool connecting, done, failed;
	char peer[96];
	char err[256];
	double t0, t1;
	pthread_mutex_t lock;
};

static const char *errname(int e)
{
	switch (e) {
	case EPIPE: return "EPIPE";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNABORTED: return "ECONNABORTED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENOTCONN: return "ENOTCONN";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENETDOWN: return "ENETDOWN";
	case EADDRINUSE: return "EADDRINUSE";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	/* what a TLS path's failure may leave for connect() */
	case EACCES: return "EACCES";
	case ESRCH: return "ESRCH";
	case EPROTO: return "EPROTO";
	case EBADMSG: return "EBADMSG";
	case EKEYREJECTED: return "EKEYREJECTED";
	default: return "E?";
	}
}

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((format(printf, 2, 3)))
sess_fail(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->failed = true;
	s->done = true;
}

#define sess_syserr(s, what) \
	sess_fail(s, "%s: %s (%s)", what, strerror(errno), errname(errno))

/* ---- deterministic data and digest ---------------------------------- */

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The 64-byte block @blk of session (@seed, @idx). */
static void pattern_block(uint64_t seed, uint32_t idx, uint64_t blk,
			  unsigned char out[64])
{
	uint64_t st = seed * 0x2545f4914f6cdd1dULL ^ ((uint64_t)idx << 40) ^ blk;
	int i;

	for (i = 0; i < 8; i++) {
		uint64_t v = splitmix64(&st);

		memcpy(out + 8 * i, &v, 8);
	}
}

static void pattern_fill(uint64_t seed, uint32_t idx, uint64_t off,
			 unsigned char *buf, size_t len)
{
	unsigned char blk[64];

	while (len) {
		size_t o = off % 64, n = 64 - o;

		if (n > len)
			n = len;
		pattern_block(seed, idx, off / 64, blk);
		memcpy(buf, blk + o, n);
		buf += n;
		off += n;
		len -= n;
	}
}

/* Returns the offset of the first wrong byte, or -1. */
static int64_t pattern_check(uint64_t seed, uint32_t idx, uint64_t off,
			     const unsigned char *buf, size_t len)
{
	unsigned char blk[64];
	size_t done = 0;

	while (done < len) {
		size_t o = (off + done) % 64, n = 64 - o, i;

		if (n > len - done)
			n = len - done;
		pattern_block(seed, idx, (off + done) / 64, blk);
		if (memcmp(buf + done, blk + o, n))
			for (i = 0; i < n; i++)
				if (buf[done + i] != blk[o + i])
					return off + done + i;
		done += n;
	}
	return -1;
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* ---- session data: what to send next, what to do with what arrived -- */

/* Fill @buf with the next transmit bytes; returns the count (0 = done). */
static ssize_t tx_produce(struct sess *s, unsigned char *buf, size_t max)
{
	uint64_t left = s->tx_total - s->tx_off;
	size_t n = left < max ? left : max;
	ssize_t r;

	if (!n)
		return 0;
	if (s->in_fd < 0) {
		pattern_fill(s->seed, s->idx, s->tx_off, buf, n);
		return n;
	}
	do
		r = pread(s->in_fd, buf, n, s->tx_off);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		sess_fail(s, "read input file: %s", r ? strerror(errno)
							: "file shrank");
		return -1;
	}
	return r;
}

static void tx_account(struct sess *s, const unsigned char *buf, size_t n)
{
	s->tx_fnv = fnv(s->tx_fnv, buf, n);
	s->tx_off += n;
}

static int rx_consume(struct sess *s, const unsigned char *buf, size_t n)
{
	if (s->rx_total != UNTIL_EOF && n > s->rx_total - s->rx_off) {
		sess_fail(s, "received more than the %" PRIu64
			  " bytes expected (at offset %" PRIu64 ")",
			  s->rx_total, s->rx_off);
		return -1;
	}
	if (s->rx_verify) {
		int64_t bad = pattern_check(s->seed, s->idx, s->rx_off, buf, n);

		if (bad >= 0) {
			sess_fail(s, "data mismatch at byte offset %" PRId64,
				  bad);
			return -1;
		}
	}
	if (s->out_fd >= 0) {
		size_t w = 0;

		while (w < n) {
			ssize_t r = write(s->out_fd, buf + w, n - w);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				sess_syserr(s, "write output file");
				return -1;
			}
			w += r;
		}
	}
	s->rx_fnv = fnv(s->rx_fnv, buf, n);
	s->rx_off += n;
	return 0;
}

/* Premature EOF is an error; EOF exactly at the end is the good case. */
static int rx_eof(struct sess *s)
{
	s->rx_eof = true;
	if (s->rx_total != UNTIL_EOF && s->rx_off != s->rx_total) {
		sess_fail(s, "unexpected EOF after %" PRIu64 " of %" PRIu64
			  " bytes", s->rx_off, s->rx_total);
		return -1;
	}
	return 0;
}

static void build_header(struct sess *s)
{
	memset(s->hdr, 0, HDR_LEN);
	put32(s->hdr, HDR_MAGIC);
	s->hdr[4] = s->mode;
	s->hdr[5] = s->flags;
	put32(s->hdr + 8, s->idx);
	put64(s->hdr + 12, s->seed);
	put64(s->hdr + 20, s->nbytes);
}

static int open_out(struct sess *s, unsigned int nth)
{
	char name[4096];

	if (!O.out)
		return -1;
	if (O.role == R_SERVER && O.count != 1)
		snprintf(name, sizeof(name), "%s.%u", O.out, nth);
	else
		snprintf(name, sizeof(name), "%s", O.out);
	s->out_fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->out_fd < 0)
		die("open %s: %s", name, strerror(errno));
	return 0;
}

static uint64_t open_in(struct sess *s)
{
	struct stat st;

	s->in_fd = open(O.in, O_RDONLY | O_CLOEXEC);
	if (s->in_fd < 0 || fstat(s->in_fd, &st))
		die("open %s: %s", O.in, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", O.in);
	return st.st_size;
}

/* Client: prepare session @idx. */
static void client_setup(struct sess *s, uint32_t idx)
{
	s->idx = idx;
	s->mode = O.mode == M_AUTO ? M_SEND : O.mode;
	s->seed = O.seed;
	s->nbytes = O.bytes;
	s->in_fd = s->out_fd = -1;
	s->tx_fnv = s->rx_fnv = FNV_INIT;
	if (O.in && s->mode != M_RECV) {
		s->nbytes = open_in(s);
		s->flags |= F_NOVERIFY;
	}
	if (s->mode == M_SEND && O.shutdown)
		s->flags |= F_RECEIPT;
	if (O.raw)
		s->hdr_txoff = HDR_LEN;
	else
		build_header(s);
	switch (s->mode) {
	case M_SEND:
		s->tx_total = s->nbytes;
		s->tx_shut = O.shutdown;
		s->rx_total = 0;
		s->want_rcpt = O.shutdown && !O.raw;
		s->rx_want_eof = O.shutdown;
		break;
	case M_RECV:
		s->tx_total = 0;
		s->tx_shut = O.shutdown;
		s->rx_total = O.out ? UNTIL_EOF : s->nbytes;
		s->rx_verify = !O.out;
		s->rx_want_eof = true;
		open_out(s, idx);
		break;
	case M_ECHO:
		s->tx_total = s->nbytes;
		s->tx_shut = true;
		s->rx_total = s->nbytes;
		s->rx_verify = !(s->flags & F_NOVERIFY);
		s->rx_want_eof = true;
		open_out(s, idx);
		break;
	default:
		break;
	}
	pthread_mutex_init(&s->lock, NULL);
}

/* Server: the header (or --raw) decided what session @nth does. */
static int server_setup(struct sess *s, unsigned int nth)
{
	if (O.raw) {
		s->mode = O.mode == M_AUTO ? M_SEND : O.mode;
		s->idx = 0;
		s->seed = O.seed;
		s->nbytes = O.bytes;
		s->flags = 0;
	} else {
		if (get32(s->hdr) != HDR_MAGIC) {
			sess_fail(s, "bad session header (not a kwik_xfer client? use --raw)");
			return -1;
		}
		s->mode = s->hdr[4];
		s->flags = s->hdr[5];
		s->idx = get32(s->hdr + 8);
		s->seed = get64(s->hdr + 12);
		s->nbytes = get64(s->hdr + 20);
		if (s->mode < M_SEND || s->mode > M_ECHO) {
			sess_fail(s, "bad mode %u in session header", s->mode);
			return -1;
		}
		if (O.mode != M_AUTO && O.mode != s->mode) {
			sess_fail(s, "client wants %s, server runs %s",
				  smode_name[s->mode], smode_name[O.mode]);
			return -1;
		}
	}
	open_out(s, nth);
	switch (s->mode) {
	case M_SEND:	/* sink */
		/* --raw: the server's own -b/--seed, unless it saves a file */
		s->rx_verify = !(s->flags & F_NOVERIFY) && !(O.raw && O.out);
		s->rx_total = s->rx_verify ? s->nbytes : UNTIL_EOF;
		s->rx_want_eof = true;
		s->send_rcpt = s->flags & F_RECEIPT;
		break;
	case M_RECV:	/* source */
		s->tx_total = s->nbytes;
		if (O.in) {
			s->tx_total = open_in(s);
			s->nbytes = s->tx_total;
		}
		s->tx_shut = !O.close_early;
		s->rx_total = 0;
		s->rx_want_eof = !O.close_early;
		break;
	case M_ECHO:
		s->rx_total = UNTIL_EOF;
		s->rx_want_eof = true;
		s->tx_total = UINT64_MAX; /* whatever arrives */
		s->tx_shut = true;
		s->ebuf = malloc(O.iolen);
		if (!s->ebuf)
			die("out of memory");
		break;
	default:
		break;
	}
	return 0;
}

/* ---- sockets ----------------------------------------------------------- */

static socklen_t make_addr(struct sockaddr_storage *ss, int *domain)
{
	memset(ss, 0, sizeof(*ss));
	if (O.fam == F_KWIK) {
		struct sockaddr_kwik *ka = (struct sockaddr_kwik *)ss;

		ka->kw_family = kwik_family;
		ka->kw_service = O.service;
		*domain = kwik_family;
		return sizeof(*ka);
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_NUMERICHOST |
						      AI_NUMERICSERV },
				*res;
		char host[256], *port;
		socklen_t len;
		int r;

		snprintf(host, sizeof(host), "%s", O.addr);
		port = strrchr(host, ':');
		if (!port)
			die("-a wants ADDR:PORT");
		*port++ = 0;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			host[strlen(host) - 1] = 0;
			memmove(host, host + 1, strlen(host));
		}
		if (O.role == R_SERVER && !host[0])
			hints.ai_flags |= AI_PASSIVE;
		r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
		if (r)
			die("address %s: %s", O.addr, gai_strerror(r));
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		len = res->ai_addrlen;
		*domain = res->ai_family;
		freeaddrinfo(res);
		return len;
	}
}

static int new_socket(int domain, bool nonblock)
{
	int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
	int proto = O.fam == F_MPTCP ? IPPROTO_MPTCP : 0;
	int fd = socket(domain, type, proto);

	if (fd < 0) {
		if (O.fam == F_KWIK && errno == EAFNOSUPPORT)
			die("socket(AF_KWIK=%d): %s: is kwik.ko loaded?",
			    domain, strerror(errno));
		die("socket: %s", strerror(errno));
	}
	if (O.sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &O.sndbuf,
				   sizeof(int)))
		die("SO_SNDBUF: %s", strerror(errno));
	if (O.rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &O.rcvbuf,
				   sizeof(int)))
		die("SO_RCVBUF: %s", strerror(errno));
	if (O.connect_timeout && O.fam == F_KWIK &&
	    setsockopt(fd, SOL_KWIK, KWIK_CONNECT_TIMEOUT, &O.connect_timeout,
		       sizeof(int)))
		die("KWIK_CONNECT_TIMEOUT: %s", strerror(errno));
	if (O.nodelay && O.fam != F_KWIK) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static void describe_peer(struct sess *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	s->peer[0] = 0;
	if (getpeername(s->fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == kwik_family && O.fam == F_KWIK) {
		struct sockaddr_kwik *ka = (struct sockaddr_kwik *)&ss;

		snprintf(s->peer, sizeof(s->peer), "kwik:%u/%#" PRIx64,
			 ka->kw_service, (uint64_t)ka->kw_session);
	} else {
		char h[64], p[16];

		if (!getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), p,
				 sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(s->peer, sizeof(s->peer),
				 ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
				 h, p);
	}
}

/* ---- reporting ------------------------------------------------------- */

static void fmt_rate(char *buf, size_t len, uint64_t bytes, double secs)
{
	double bits = bytes * 8.0 / (secs > 1e-6 ? secs : 1e-6);

	if (bits >= 1e9)
		snprintf(buf, len, "%.2fGbit/s", bits / 1e9);
	else if (bits >= 1e6)
		snprintf(buf, len, "%.2fMbit/s", bits / 1e6);
	else
		snprintf(buf, len, "%.1fkbit/s", bits / 1e3);
}

static void report(struct sess *s)
{
	const char *who = O.role == R_CLIENT ? "client" : "server";
	double d = s->t1 - s->t0;
	char rate[32];

	if (!s->t1)
		d = now() - s->t0;
	fmt_rate(rate, sizeof(rate), s->tx_off + s->rx_off, d);
	if (s->failed) {
		fprintf(stderr, "%s: %s session=%u FAILED after tx=%" PRIu64
			" rx=%" PRIu64 ": %s\n", prog, who, s->idx, s->tx_off,
			s->rx_off, s->err);
		return;
	}
	if (O.quiet)
		return;
	printf("%s: %s session=%u mode=%s%s%s tx=%" PRIu64 " rx=%" PRIu64
	       " tx_fnv=%016" PRIx64 " rx_fnv=%016" PRIx64
	       " time=%.3fs rate=%s%s\n", prog, who, s->idx,
	       O.role == R_CLIENT ? mode_name[s->mode] : smode_name[s->mode],
	       s->peer[0] ? " peer=" : "", s->peer, s->tx_off, s->rx_off,
	       s->tx_fnv, s->rx_fnv, d, rate,
	       s->rx_verify ? " verified" : "");
	fflush(stdout);
}

static int cmp_idx(const void *a, const void *b)
{
	const struct sess *x = *(struct sess *const *)a,
			  *y = *(struct sess *const *)b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Aggregate digest: a single session's own digest, else FNV-1a over
 * (index, digest) of every session in index order, so both ends agree
 * whatever order sessions finished in.
 */
static uint64_t aggregate(struct sess **v, unsigned int n, bool tx)
{
	uint64_t h = FNV_INIT;
	unsigned int i;

	if (n == 1)
		return tx ? v[0]->tx_fnv : v[0]->rx_fnv;
	for (i = 0; i < n; i++) {
		unsigned char b[12];

		put32(b, v[i]->idx);
		put64(b + 4, tx ? v[i]->tx_fnv : v[i]->rx_fnv);
		h = fnv(h, b, sizeof(b));
	}
	return h;
}

static int summary(struct sess **v, unsigned int n, double t0)
{
	uint64_t tx = 0, rx = 0;
	unsigned int i, bad = 0;
	double d = now() - t0;
	char rate[32];

	qsort(v, n, sizeof(*v), cmp_idx);
	for (i = 0; i < n; i++) {
		tx += v[i]->tx_off;
		rx += v[i]->rx_off;
		bad += v[i]->failed;
	}
	fmt_rate(rate, sizeof(rate), tx + rx, d);
	printf("%s: %s %s sessions=%u failed=%u tx=%" PRIu64 " rx=%" PRIu64
	       " tx_fnv=%016" PRIx64 " rx_fnv=%016" PRIx64
	       " time=%.3fs rate=%s\n", prog,
	       O.role == R_CLIENT ? "client" : "server",
	       bad ? "FAIL" : "OK", n, bad, tx, rx, aggregate(v, n, true),
	       aggregate(v, n, false), d, rate);
	fflush(stdout);
	return bad ? 1 : 0;
}

/* ---- blocking engine: a thread per session ----------------------------- */

static int send_all(struct sess *s, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = send(s->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sess_syserr(s, "send");
			return -1;
		}
		off += r;
	}
	return 0;
}

/* Receive up to @len bytes; 0 at EOF, -1 on error. */
static ssize_t recv_some(struct sess *s, unsigned char *buf, size_t len)
{
	ssize_t r;

	do
		r = recv(s->fd, buf, len, O.waitall ? MSG_WAITALL : 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		sess_syserr(s, "recv");
	return r;
}

static int recv_exact(struct sess *s, unsigned char *buf, size_t len,
		      const char *what)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = recv_some(s, buf + off, len - off);

		if (r < 0)
			return -1;
		if (!r) {
			sess_fail(s, "EOF while reading %s (%zu of %zu bytes)",
				  what, off, len);
			return -1;
		}
		off += r;
	}
	return 0;
}

/*
 * --hold: a test acts on a live session (adds, breaks or removes a path)
 * at a point of its choosing rather than racing the transfer's end.
 */
static void hold_wait(struct sess *s)
{
	while (!s->failed && access(O.hold, F_OK))
		usleep(20000);
}

static int blk_tx(struct sess *s, unsigned char *buf)
{
	uint64_t hold_at = O.hold ? s->tx_total / 2 : UINT64_MAX;

	if (s->hdr_txoff < HDR_LEN) {
		if (send_all(s, s->hdr, HDR_LEN))
			return -1;
		s->hdr_txoff = HDR_LEN;
	}
	while (!s->failed) {
		size_t max = O.iolen;
		ssize_t n;

		if (s->tx_off == hold_at) {
			hold_wait(s);
			hold_at = UINT64_MAX;
		}
		if (s->tx_off < hold_at && hold_at - s->tx_off < max)
			max = hold_at - s->tx_off;
		n = tx_produce(s, buf, max);

		if (n < 0)
			return -1;
		if (!n)
			break;
		if (send_all(s, buf, n))
			return -1;
		tx_account(s, buf, n);
	}
	if (s->failed)
		return -1;
	if (s->tx_shut && shutdown(s->fd, SHUT_WR)) {
		sess_syserr(s, "shutdown(SHUT_WR)");
		return -1;
	}
	s->tx_done = true;
	return 0;
}

/*
 * --stall: session 0's reader stops at half its payload (it says so on
 * stderr) until the file exists, while its other sessions go on.
 */
static void stall_wait(struct sess *s)
{
	fprintf(stderr, "session %u: reader stalled at %" PRIu64 " bytes\n",
		s->idx, s->rx_off);
	while (!s->failed && access(O.stall, F_OK))
		usleep(20000);
	fprintf(stderr, "session %u: reader resumed\n", s->idx);
}

static int blk_rx(struct sess *s, unsigned char *buf)
{
	uint64_t stall_at = O.stall && !s->idx && s->rx_total != UNTIL_EOF ?
			    s->rx_total / 2 : UINT64_MAX;

	while (!s->failed) {
		size_t want = O.iolen;
		ssize_t r;

		if (s->rx_off == stall_at) {
			stall_wait(s);
			stall_at = UINT64_MAX;
		}
		if (s->rx_off < stall_at && stall_at - s->rx_off < want)
			want = stall_at - s->rx_off;

		if (s->rx_total != UNTIL_EOF && s->rx_off < s->rx_total &&
		    s->rx_total - s->rx_off < want)
			want = s->rx_total - s->rx_off;
		if (s->rx_total != UNTIL_EOF && s->rx_off == s->rx_total) {
			if (!s->rx_want_eof && !s->want_rcpt)
				return 0;
			want = O.iolen;	/* anything more is an error */
		}
		if (s->want_rcpt && s->rx_off == s->rx_total) {
			if (recv_exact(s, s->rcpt, RCPT_LEN, "receipt"))
				return -1;
			s->rcpt_off = RCPT_LEN;
			s->want_rcpt = false;
			continue;
		}
		r = recv_some(s, buf, want);
		if (r < 0)
			return -1;
		if (!r)
			return rx_eof(s);
		if (rx_consume(s, buf, r))
			return -1;
	}
	return -1;
}

static void *blk_tx_thread(void *arg)
{
	struct sess *s = arg;
	unsigned char *buf = malloc(O.iolen);

	if (!buf)
		die("out of memory");
	blk_tx(s, buf);
	free(buf);
	return NULL;
}

static int check_receipt(struct sess *s)
{
	if (!s->rcpt_off)
		return 0;
	if (get64(s->rcpt) != s->tx_off || get64(s->rcpt + 8) != s->tx_fnv) {
		sess_fail(s, "server receipt says %" PRIu64 " bytes fnv %016"
			  PRIx64 ", we sent %" PRIu64 " fnv %016" PRIx64,
			  get64(s->rcpt), get64(s->rcpt + 8), s->tx_off,
			  s->tx_fnv);
		return -1;
	}
	return 0;
}

static void blk_client_session(struct sess *s, const struct sockaddr *sa,
			       socklen_t salen, int domain)
{
	unsigned char *buf = malloc(O.iolen);
	pthread_t th;
	int r;

	if (!buf)
		die("out of memory");
	s->t0 = now();
	s->fd = new_socket(domain, false);
	do
		r = connect(s->fd, sa, salen);
	while (r && errno == EINTR);
	if (r) {
		sess_syserr(s, "connect");
		goto out;
	}
	describe_peer(s);
	if (s->mode == M_ECHO) {
		if (pthread_create(&th, NULL, blk_tx_thread, s))
			die("pthread_create failed");
		blk_rx(s, buf);
		if (s->failed)	/* unblock the writer */
			shutdown(s->fd, SHUT_RDWR);
		pthread_join(th, NULL);
	} else if (!blk_tx(s, buf)) {
		blk_rx(s, buf);
	}
	if (!s->failed)
		check_receipt(s);
out:
	s->t1 = now();
	if (s->fd >= 0 && close(s->fd) && !s->failed)
		sess_syserr(s, "close");
	s->fd = -1;
	s->done = true;
	free(buf);
}

static void blk_server_session(struct sess *s, unsigned int nth)
{
	unsigned char *buf = malloc(O.iolen);

	if (!buf)
		die("out of memory");
	s->t0 = now();
	describe_peer(s);
	if (!O.quiet) {
		printf("%s: server accepted #%u%s%s\n", prog, nth,
		       s->peer[0] ? " from " : "", s->peer);
		fflush(stdout);
	}
	if (!O.raw && recv_exact(s, s->hdr, HDR_LEN, "session header"))
		goto out;
	if (server_setup(s, nth))
		goto out;
	switch (s->mode) {
	case M_SEND:
		if (blk_rx(s, buf))
			break;
		if (s->send_rcpt) {
			unsigned char r[RCPT_LEN];

			put64(r, s->rx_off);
			put64(r + 8, s->rx_fnv);
			send_all(s, r, RCPT_LEN);
		}
		break;
	case M_RECV:
		if (!blk_tx(s, buf))
			blk_rx(s, buf);
		break;
	case M_ECHO:
		for (;;) {
			ssize_t r = recv_some(s, buf, O.iolen);

			if (r <= 0) {
				if (!r && shutdown(s->fd, SHUT_WR))
					sess_syserr(s, "shutdown(SHUT_WR)");
				break;
			}
			if (rx_consume(s, buf, r) || send_all(s, buf, r))
				break;
			tx_account(s, buf, r);
		}
		break;
	default:
		break;
	}
out:
	s->t1 = now();
	if (close(s->fd) && !s->failed)
		sess_syserr(s, "close");
	s->fd = -1;
	s->done = true;
	free(buf);
}

/* ---- non-blocking engine: all sessions in one poll loop ---------------- */

static void nb_finish(struct sess *s)
{
	s->done = true;
	s->t1 = now();
	if (s->fd >= 0 && close(s->fd) && !s->failed)
		sess_syserr(s, "close");
	s->fd = -1;
	report(s);
}

/* Everything this session still needs to do is done? */
static bool nb_complete(struct sess *s)
{
	if (O.role == R_SERVER && s->mode == M_AUTO)
		return false;	/* header not received yet */
	if (s->mode == M_ECHO && O.role == R_SERVER)
		return s->rx_eof && s->eoff == s->elen && s->tx_done;
	if (s->hdr_txoff < HDR_LEN || s->tx_off < s->tx_total)
		return false;
	if (s->tx_shut && !s->tx_done)
		return false;
	if (s->want_rcpt || s->send_rcpt)
		return false;
	if (s->rx_want_eof)
		return s->rx_eof;
	return s->rx_total == UNTIL_EOF || s->rx_off == s->rx_total;
}

static void nb_write(struct sess *s, unsigned char *buf)
{
	ssize_t r;

	if (O.role == R_SERVER && s->mode == M_AUTO)
		return;	/* header not received yet */
	for (;;) {
		const unsigned char *p;
		size_t n;

		if (s->hdr_txoff < HDR_LEN) {
			p = s->hdr + s->hdr_txoff;
			n = HDR_LEN - s->hdr_txoff;
		} else if (s->mode == M_ECHO && O.role == R_SERVER) {
			if (s->eoff == s->elen)
				break;
			p = s->ebuf + s->eoff;
			n = s->elen - s->eoff;
		} else if (s->send_rcpt) {
			if (!s->rx_eof)
				return;
			put64(s->rcpt, s->rx_off);
			put64(s->rcpt + 8, s->rx_fnv);
			p = s->rcpt + s->rcpt_off;
			n = RCPT_LEN - s->rcpt_off;
		} else {
			ssize_t g = tx_produce(s, buf, O.iolen);

			if (g <= 0)
				break;
			p = buf;
			n = g;
		}
		r = send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0) {
			sess_syserr(s, "send");
			return;
		}
		if (s->hdr_txoff < HDR_LEN) {
			s->hdr_txoff += r;
		} else if (s->mode == M_ECHO && O.role == R_SERVER) {
			tx_account(s, p, r);
			s->eoff += r;
		} else if (s->send_rcpt) {
			s->rcpt_off += r;
			if (s->rcpt_off == RCPT_LEN) {
				s->send_rcpt = false;
				return;
			}
		} else {
			tx_account(s, p, r);
		}
		if ((size_t)r < n)
			return;	/* socket full: wait for POLLOUT */
	}
	if (s->failed || s->tx_done)
		return;
	if (s->mode == M_ECHO && O.role == R_SERVER && !s->rx_eof)
		return;
	if (s->tx_off < s->tx_total && !(s->mode == M_ECHO &&
					 O.role == R_SERVER))
		return;
	if (s->tx_shut && shutdown(s->fd, SHUT_WR)) {
		sess_syserr(s, "shutdown(SHUT_WR)");
		return;
	}
	s->tx_done = true;
}

static void nb_read(struct sess *s, unsigned char *buf)
{
	for (;;) {
		size_t want = O.iolen;
		unsigned char *p = buf;
		ssize_t r;

		if (!O.raw && O.role == R_SERVER && s->hdr_rxoff < HDR_LEN) {
			p = s->hdr + s->hdr_rxoff;
			want = HDR_LEN - s->hdr_rxoff;
		} else if (s->want_rcpt && s->rx_off == s->rx_total) {
			p = s->rcpt + s->rcpt_off;
			want = RCPT_LEN - s->rcpt_off;
		} else if (s->mode == M_ECHO && O.role == R_SERVER) {
			if (s->eoff < s->elen)
				return;	/* back-pressure: echo first */
			p = s->ebuf;
		} else if (s->rx_total != UNTIL_EOF &&
			   s->rx_total > s->rx_off &&
			   s->rx_total - s->rx_off < want) {
			want = s->rx_total - s->rx_off;
		}
		r = recv(s->fd, p, want, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0) {
			sess_syserr(s, "recv");
			return;
		}
		if (!r) {
			if (!O.raw && O.role == R_SERVER &&
			    s->hdr_rxoff < HDR_LEN)
				sess_fail(s, "EOF inside the session header");
			else if (s->want_rcpt)
				sess_fail(s, "EOF instead of the server's receipt");
			else
				rx_eof(s);
			if (s->mode == M_ECHO && O.role == R_SERVER)
				nb_write(s, buf);
			return;
		}
		if (!O.raw && O.role == R_SERVER && s->hdr_rxoff < HDR_LEN) {
			s->hdr_rxoff += r;
			if (s->hdr_rxoff == HDR_LEN &&
			    server_setup(s, s->nth))
				return;
		} else if (s->want_rcpt && s->rx_off == s->rx_total) {
			s->rcpt_off += r;
			if (s->rcpt_off == RCPT_LEN) {
				s->want_rcpt = false;
				if (check_receipt(s))
					return;
			}
		} else if (rx_consume(s, p, r)) {
			return;
		} else if (s->mode == M_ECHO && O.role == R_SERVER) {
			s->elen = r;
			s->eoff = 0;
			nb_write(s, buf);
		}
		if (s->failed)
			return;
	}
}

static short nb_events(struct sess *s)
{
	short ev = 0;

	if (s->connecting)
		return POLLOUT;
	if (!s->rx_eof)
		ev |= POLLIN;
	if (s->hdr_txoff < HDR_LEN || (s->send_rcpt && s->rx_eof) ||
	    (s->mode == M_ECHO && O.role == R_SERVER ? s->eoff < s->elen
						     : s->tx_off < s->tx_total))
		ev |= POLLOUT;
	return ev;
}

static void nb_connected(struct sess *s, unsigned char *buf)
{
	int err = 0;
	socklen_t len = sizeof(err);

	s->connecting = false;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		errno = err;
		sess_syserr(s, "connect");
		return;
	}
	describe_peer(s);
	nb_write(s, buf);
}

static int nb_loop(struct sess **v, unsigned int n, int lfd,
		   unsigned int count)
{
	struct pollfd *pfd = NULL;
	struct sess **map = NULL;
	unsigned int cap = 0, accepted = 0, live, i, nth = 0;
	unsigned char *buf = malloc(O.iolen);
	double t0 = now();
	int rc;

	if (!buf)
		die("out of memory");
	for (;;) {
		unsigned int np = 0;

		if (n + 1 > cap) {
			cap = (n + 1) * 2;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			map = realloc(map, cap * sizeof(*map));
			if (!pfd || !map)
				die("out of memory");
		}
		live = 0;
		for (i = 0; i < n; i++) {
			struct sess *s = v[i];

			if (s->done)
				continue;
			if (!s->failed && nb_complete(s)) {
				nb_finish(s);
				continue;
			}
			if (s->failed) {
				nb_finish(s);
				continue;
			}
			live++;
			pfd[np].fd = s->fd;
			pfd[np].events = nb_events(s);
			pfd[np].revents = 0;
			map[np++] = s;
		}
		if (lfd >= 0 && (!count || accepted < count)) {
			pfd[np].fd = lfd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			map[np++] = NULL;
		} else if (!live) {
			break;
		}
		rc = poll(pfd, np, 1000);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			die("poll: %s", strerror(errno));
		if (!rc && O.role == R_CLIENT && O.timeout &&
		    now() - t0 > O.timeout)
			break;
		for (i = 0; i < np; i++) {
			struct sess *s = map[i];
			short re = pfd[i].revents;

			if (!re)
				continue;
			if (!s) {
				for (;;) {
					int fd = accept4(lfd, NULL, NULL,
							 SOCK_NONBLOCK |
							 SOCK_CLOEXEC);

					if (fd < 0) {
						if (errno == EAGAIN ||
						    errno == EINTR)
							break;
						die("accept: %s",
						    strerror(errno));
					}
					s = calloc(1, sizeof(*s));
					if (!s)
						die("out of memory");
					s->fd = fd;
					s->in_fd = s->out_fd = -1;
					s->tx_fnv = s->rx_fnv = FNV_INIT;
					s->hdr_txoff = HDR_LEN;
					s->t0 = now();
					describe_peer(s);
					s->nth = nth++;
					if (!O.quiet) {
						printf("%s: server accepted #%u%s%s\n",
						       prog, s->nth,
						       s->peer[0] ? " from " : "",
						       s->peer);
						fflush(stdout);
					}
					if (O.raw)
						server_setup(s, s->nth);
					v = realloc(v, (n + 1) * sizeof(*v));
					if (!v)
						die("out of memory");
					v[n++] = s;
					if (count && ++accepted >= count)
						break;
				}
				continue;
			}
			if (s->connecting) {
				nb_connected(s, buf);
				continue;
			}
			if (re & (POLLIN | POLLHUP | POLLERR))
				nb_read(s, buf);
			if (!s->failed && (re & (POLLOUT | POLLERR)))
				nb_write(s, buf);
			if (!s->failed && (re & POLLERR) && !(re & POLLIN)) {
				int err = 0;
				socklen_t len = sizeof(err);

				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
					   &len);
				errno = err ? err : EIO;
				sess_syserr(s, "socket error");
			}
		}
	}
	for (i = 0; i < n; i++)
		if (!v[i]->done) {
			sess_fail(v[i], "timed out after %d s", O.timeout);
			nb_finish(v[i]);
		}
	rc = summary(v, n, t0);
	free(pfd);
	free(map);
	free(buf);
	return rc;
}

/* ---- client and server --------------------------------------------------- */

struct blk_arg {
	struct sess *s;
	const struct sockaddr *sa;
	socklen_t salen;
	int domain;
	unsigned int nth;
};

static void *blk_client_thread(void *arg)
{
	struct blk_arg *a = arg;

	blk_client_session(a->s, a->sa, a->salen, a->domain);
	report(a->s);
	return NULL;
}

static int run_client(void)
{
	struct sockaddr_storage ss;
	int domain;
	socklen_t salen = make_addr(&ss, &domain);
	struct sess **v = calloc(O.parallel, sizeof(*v));
	unsigned int i;
	double t0 = now();

	if (!v)
		die("out of memory");
	if (O.parallel > 1 && (O.in || O.out))
		die("-i/-o need -P 1");
	for (i = 0; i < O.parallel; i++) {
		v[i] = calloc(1, sizeof(**v));
		if (!v[i])
			die("out of memory");
		client_setup(v[i], i);
	}
	if (O.nonblock) {
		for (i = 0; i < O.parallel; i++) {
			struct sess *s = v[i];
			int r;

			s->t0 = now();
			s->fd = new_socket(domain, true);
			r = connect(s->fd, (struct sockaddr *)&ss, salen);
			if (r && errno == EINPROGRESS)
				s->connecting = true;
			else if (r)
				sess_syserr(s, "connect");
			else
				describe_peer(s);
		}
		return nb_loop(v, O.parallel, -1, 0);
	} else {
		pthread_t *th = calloc(O.parallel, sizeof(*th));
		struct blk_arg *a = calloc(O.parallel, sizeof(*a));
		pthread_attr_t attr;

		if (!th || !a)
			die("out of memory");
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		for (i = 0; i < O.parallel; i++) {
			a[i] = (struct blk_arg){ v[i], (struct sockaddr *)&ss,
						 salen, domain, i };
			if (pthread_create(&th[i], &attr, blk_client_thread,
					   &a[i]))
				die("pthread_create failed");
		}
		for (i = 0; i < O.parallel; i++)
			pthread_join(th[i], NULL);
		return summary(v, O.parallel, t0);
	}
}

static void *blk_server_thread(void *arg)
{
	struct blk_arg *a = arg;

	blk_server_session(a->s, a->nth);
	report(a->s);
	return NULL;
}

static int run_server(void)
{
	struct sockaddr_storage ss;
	int domain, one = 1;
	socklen_t salen = make_addr(&ss, &domain);
	int lfd = new_socket(domain, O.nonblock);
	unsigned int n = 0;
	double t0;

	if (O.fam != F_KWIK)
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, salen))
		die("bind: %s (%s)", strerror(errno), errname(errno));
	if (listen(lfd, 1024))
		die("listen: %s", strerror(errno));
	if (!O.quiet) {
		if (O.fam == F_KWIK)
			printf("%s: server listening on kwik service %u (family %d)\n",
			       prog, O.service, kwik_family);
		else
			printf("%s: server listening on %s\n", prog, O.addr);
		fflush(stdout);
	}
	if (O.ready) {
		int fd = open(O.ready, O.ready[0] ? O_WRONLY | O_CREAT |
			      O_TRUNC : 0, 0644);

		if (fd < 0)
			die("--ready %s: %s", O.ready, strerror(errno));
		close(fd);
	}
	t0 = now();
	if (O.nonblock)
		return nb_loop(NULL, 0, lfd, O.count);
	{
		struct sess **v = NULL;
		pthread_t *th = NULL;
		struct blk_arg **a = NULL;
		pthread_attr_t attr;
		unsigned int i;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		while (!O.count || n < O.count) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			struct sess *s;

			if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
				continue;
			if (fd < 0)
				die("accept: %s", strerror(errno));
			s = calloc(1, sizeof(*s));
			v = realloc(v, (n + 1) * sizeof(*v));
			th = realloc(th, (n + 1) * sizeof(*th));
			a = realloc(a, (n + 1) * sizeof(*a));
			if (!s || !v || !th || !a)
				die("out of memory");
			a[n] = calloc(1, sizeof(**a));
			if (!a[n])
				die("out of memory");
			s->fd = fd;
			s->in_fd = s->out_fd = -1;
			s->tx_fnv = s->rx_fnv = FNV_INIT;
			s->hdr_txoff = HDR_LEN;
			v[n] = s;
			a[n]->s = s;
			a[n]->nth = n;
			if (pthread_create(&th[n], &attr, blk_server_thread,
					   a[n]))
				die("pthread_create failed");
			n++;
		}
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		close(lfd);
		return summary(v, n, t0);
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "kwik_xfer: TIMEOUT: giving up (see -t)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("bad size '%s'", s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		die("bad size '%s'", s);
	return v;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: kwik_xfer server|client [options]\n"
"  -f kwik|tcp|mptcp  socket family (default kwik)\n"
"  -s SERVICE         kwik service id (bind on server, connect on client)\n"
"  -a ADDR:PORT       tcp/mptcp address (server: bind, client: connect)\n"
"  -m MODE            client: send|recv|echo (default send)\n"
"                     server: auto|sink|source|echo (default auto = as asked)\n"
"  -b BYTES           payload per session (k/M/G suffixes; default 1M)\n"
"  -P N               client: N parallel sessions, each verified (default 1)\n"
"  -c COUNT           server: serve COUNT sessions then exit (0 = forever)\n"
"  -i FILE / -o FILE  send a file / write received data (server with -c != 1\n"
"                     writes FILE.N per session)\n"
"  --seed S           data seed (default 1)\n"
"  -l LEN             I/O size per call (default 65536)\n"
"  -t SECONDS         give up after this long, exit 3 (client default 120,\n"
"                     server default never; 0 = never)\n"
"  --shutdown         client: SHUT_WR after sending, then read until EOF\n"
"                     (send mode: wait for the server's receipt)\n"
"  --nonblock         non-blocking sockets, poll() and MSG_DONTWAIT\n"
"  --waitall          recv with MSG_WAITALL\n"
"  --raw              no session header (server uses its own -m/-b/--seed)\n"
"  --sndbuf N / --rcvbuf N   SO_SNDBUF / SO_RCVBUF\n"
"  --ready FILE       server: create FILE once listening\n"
"  --close-early      server source: close after sending, without waiting\n"
"                     for the client's EOF\n"
"  --connect-timeout MS  kwik: SOL_KWIK KWIK_CONNECT_TIMEOUT before connect\n"
"  --nodelay          tcp/mptcp: TCP_NODELAY\n"
"  --hold FILE        client send/echo: after half the payload, send nothing\n"
"                     more until FILE exists (receiving goes on)\n"
"  --stall FILE       client recv/echo: session 0 stops reading after half\n"
"                     its payload until FILE exists (the others go on)\n"
"  -q                 only errors and the final summary line\n"
"Exit: 0 ok, 1 error or data mismatch, 2 usage, 3 timeout.\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "shutdown", no_argument, NULL, 'H' },
		{ "nonblock", no_argument, NULL, 'N' },
		{ "waitall", no_argument, NULL, 'W' },
		{ "raw", no_argument, NULL, 'R' },
		{ "sndbuf", required_argument, NULL, 1 },
		{ "rcvbuf", required_argument, NULL, 2 },
		{ "ready", required_argument, NULL, 3 },
		{ "nodelay", no_argument, NULL, 4 },
		{ "connect-timeout", required_argument, NULL, 5 },
		{ "close-early", no_argument, NULL, 6 },
		{ "hold", required_argument, NULL, 7 },
		{ "stall", required_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	if (!strcmp(argv[1], "server"))
		O.role = R_SERVER;
	else if (!strcmp(argv[1], "client"))
		O.role = R_CLIENT;
	else
		usage(2);
	argv[1] = argv[0];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "f:s:a:m:b:P:c:i:o:l:t:qh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "kwik"))
				O.fam = F_KWIK;
			else if (!strcmp(optarg, "tcp"))
				O.fam = F_TCP;
			else if (!strcmp(optarg, "mptcp"))
				O.fam = F_MPTCP;
			else
				die("-f: kwik, tcp or mptcp");
			break;
		case 's': O.service = parse_size(optarg); break;
		case 'a': O.addr = optarg; break;
		case 'm':
			if (!strcmp(optarg, "send") || !strcmp(optarg, "sink"))
				O.mode = M_SEND;
			else if (!strcmp(optarg, "recv") ||
				 !strcmp(optarg, "source"))
				O.mode = M_RECV;
			else if (!strcmp(optarg, "echo"))
				O.mode = M_ECHO;
			else if (!strcmp(optarg, "auto"))
				O.mode = M_AUTO;
			else
				die("-m: send|recv|echo (client), auto|sink|source|echo (server)");
			break;
		case 'b': O.bytes = parse_size(optarg); break;
		case 'P': O.parallel = parse_size(optarg); break;
		case 'c': O.count = parse_size(optarg); break;
		case 'i': O.in = optarg; break;
		case 'o': O.out = optarg; break;
		case 'l': O.iolen = parse_size(optarg); break;
		case 't': O.timeout = parse_size(optarg); break;
		case 'q': O.quiet = true; break;
		case 'S': O.seed = parse_size(optarg); break;
		case 'H': O.shutdown = true; break;
		case 'N': O.nonblock = true; break;
		case 'W': O.waitall = true; break;
		case 'R': O.raw = true; break;
		case 1: O.sndbuf = parse_size(optarg); break;
		case 2: O.rcvbuf = parse_size(optarg); break;
		case 3: O.ready = optarg; break;
		case 4: O.nodelay = true; break;
		case 5: O.connect_timeout = parse_size(optarg); break;
		case 6: O.close_early = true; break;
		case 7: O.hold = optarg; break;
		case 8: O.stall = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (O.fam == F_KWIK && !O.service)
		die("-s SERVICE is required (non-zero)");
	if (O.fam != F_KWIK && !O.addr)
		die("-a ADDR:PORT is required with -f tcp/mptcp");
	if (!O.parallel || O.parallel > 65536 || !O.iolen ||
	    O.iolen > (64 << 20))
		die("bad -P or -l");
	if (O.role == R_CLIENT && O.mode == M_AUTO)
		O.mode = M_SEND;
	if (O.hold && (O.role != R_CLIENT || O.nonblock || O.mode == M_RECV))
		die("--hold: a blocking client that sends (send or echo)");
	if (O.stall && (O.role != R_CLIENT || O.nonblock || O.mode == M_SEND))
		die("--stall: a blocking client that receives (recv or echo)");
	if (O.timeout < 0)
		O.timeout = O.role == R_CLIENT ? 120 : 0;
	kwik_family = kwik_family_now();
	signal(SIGPIPE, SIG_IGN);
	if (O.timeout) {
		signal(SIGALRM, on_alarm);
		/* the client's poll loop reports its own timeout first */
		alarm(O.timeout + (O.nonblock ? 5 : 0));
	}
	if (O.role == R_CLIENT && !O.quiet) {
		if (O.fam == F_KWIK)
			printf("%s: client %s %" PRIu64 " bytes x %u session%s to kwik service %u (family %d)%s\n",
			       prog, mode_name[O.mode], O.bytes, O.parallel,
			       O.parallel == 1 ? "" : "s", O.service,
			       kwik_family, O.nonblock ? ", non-blocking" : "");
		else
			printf("%s: client %s %" PRIu64 " bytes x %u session%s to %s %s%s\n",
			       prog, mode_name[O.mode], O.bytes, O.parallel,
			       O.parallel == 1 ? "" : "s",
			       O.fam == F_TCP ? "tcp" : "mptcp", O.addr,
			       O.nonblock ? ", non-blocking" : "");
		fflush(stdout);
	}
	return O.role == R_CLIENT ? run_client() : run_server();
}
