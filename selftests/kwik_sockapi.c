// SPDX-License-Identifier: GPL-2.0
/*
 * kwik_sockapi - AF_KWIK socket API semantics, TAP 13.
 *
 *   kwik_sockapi server -s SERVICE [--ready FILE]
 *	The peer: bind SERVICE, listen, and for every accepted session read
 *	one command byte and act it out (see peer_session()).  Runs in the
 *	server's namespace until killed.
 *
 *   kwik_sockapi client -s SERVICE -r REFUSED_SERVICE -u UNREACH_SERVICE
 *			 [-b BIND_BASE]
 *	The tests.  SERVICE is served by "kwik_sockapi server" through a
 *	path that is up; REFUSED_SERVICE has a path to a server where no
 *	socket is bound to it; UNREACH_SERVICE has no path at all.  Local
 *	bind tests use services BIND_BASE, BIND_BASE+1, ...
 *
 *   kwik_sockapi tcp
 *	Only the TCP reference run (the expectations measured on plain TCP).
 *
 *   -k LIST (client and tcp) runs only the listed case numbers, e.g. 3,10-12.
 *
 * The API must behave like a TCP stream socket, so every misuse case runs
 * first against TCP (over loopback, with a forked peer speaking the same
 * command protocol) to measure what this kernel's TCP does, and AF_KWIK
 * must then give the same errno.  Cases where Kwik differs by design (no
 * ephemeral service, no UDP counterpart, no urgent data) state their fixed
 * expectation.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kwik.h>

#include "kwik_util.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

#define MEASURE		(-1)	/* expected errno: whatever TCP gives */
#define FAILED		(-1000)	/* a functional check failed, see msg */
#define CLOSE_BYTES	(256 * 1024)
#define REVENTS		20000	/* cases returning poll revents: REVENTS + mask */

/* ---- the family under test ------------------------------------------ */

struct fam {
	const char *name;
	int domain;
	bool kwik;
	struct sockaddr_storage srv, refused, unreach;
	socklen_t srvlen, refusedlen, unreachlen;
	uint32_t service;		/* kwik: SERVICE */
	uint32_t bind_next;		/* kwik: next free local service */
	pid_t helper;			/* tcp: forked peer */
};

static struct fam TCP, KWIK;
static const char *only;	/* -k: comma-separated case numbers */

static bool selected(unsigned int n)
{
	const char *p = only;

	if (!p)
		return true;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (n >= a && n <= b)
			return true;
		if (*end != ',')
			break;
		p = end + 1;
	}
	return false;
}
static char msg[512];
static volatile sig_atomic_t sigpipes;

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
}

static const char *ename(int e)
{
	static char bufs[4][32];	/* a few may be in one printf */
	static unsigned int next;
	char *buf = bufs[next++ % 4];

	switch (e) {
	case 0: return "0 (success)";
#define E(x) case x: return #x
	E(EINVAL); E(EAFNOSUPPORT); E(EADDRINUSE); E(EISCONN); E(ENOTCONN);
	E(EPIPE); E(EAGAIN); E(EINPROGRESS); E(EALREADY); E(ECONNREFUSED);
	E(ENETUNREACH); E(EHOSTUNREACH); E(ETIMEDOUT); E(ECONNRESET);
	E(ENOPROTOOPT); E(EOPNOTSUPP); E(ESOCKTNOSUPPORT);
	E(EPROTONOSUPPORT); E(EFAULT); E(EBADF); E(ENOTSOCK); E(EDESTADDRREQ);
	E(EADDRNOTAVAIL); E(EPROTOTYPE); E(ENOMEM); E(ENOBUFS); E(EPERM);
	E(EACCES); E(EINTR); E(ENOENT); E(ENODEV); E(EIO); E(ESHUTDOWN);
#undef E
	case FAILED: return "check failed";
	}
	if (e >= REVENTS) {
		snprintf(buf, sizeof(bufs[0]), "revents %#x", e - REVENTS);
		return buf;
	}
	snprintf(buf, sizeof(bufs[0]), "errno %d", e);
	return buf;
}

static void kwik_addr(struct sockaddr_storage *ss, socklen_t *len,
		      uint32_t service)
{
	struct sockaddr_kwik *ka = (struct sockaddr_kwik *)ss;

	memset(ss, 0, sizeof(*ss));
	ka->kw_family = KWIK.domain;
	ka->kw_service = service;
	*len = sizeof(*ka);
}

static void inet_addr_port(struct sockaddr_storage *ss, socklen_t *len,
			   uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
}

static int xsocket(struct fam *F, int flags)
{
	return socket(F->domain, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
}

/* A fresh local address to bind: a free kwik service, or 127.0.0.1:0. */
static void bind_addr(struct fam *F, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	if (F->kwik)
		kwik_addr(ss, len, F->bind_next++);
	else
		inet_addr_port(ss, len, 0);
}

static int set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* ---- the peer: command protocol ------------------------------------- */

/*
 * Commands, the first byte a client sends on a session:
 *  'E' echo until EOF, then close
 *  'H' hold: read and discard until EOF, then close (never sends)
 *  'N' no read: wait (up to 10 s) for the client to go away, then close
 *  'W' wait for EOF, then send "after-eof" and close
 *  'C' send CLOSE_BYTES of pattern and close at once
 *  'D' send "abcd", 300 ms later "efgh", then wait for EOF and close
 *  'S' shutdown(SHUT_WR) at once, then count bytes until EOF, close
 *  'X' close at once
 *  'A' send back what accept() returned and getsockname() of the session,
 *      each as a u32 length and 128 address bytes, then wait for EOF
 *  'U' wait until more bytes are queued, close without reading them
 *      (an abortive close: TCP sends a RST)
 *  'L' SO_LINGER {1, 0} and close at once (abortive close)
 */
static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 8) * 13 + 1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static ssize_t write_all(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = send(fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		off += r;
	}
	return off;
}

static void drain(int fd)
{
	char buf[16384];
	ssize_t r;

	do
		r = recv(fd, buf, sizeof(buf), 0);
	while (r > 0 || (r < 0 && errno == EINTR));
}

static void put_addr(unsigned char *out, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	memcpy(out, &len, 4);
	memset(out + 4, 0, 128);
	memcpy(out + 4, ss, len < 128 ? len : 128);
}

static void peer_session(int fd, const struct sockaddr_storage *from,
			 socklen_t fromlen)
{
	char cmd, buf[16384];
	ssize_t r;

	set_timeo(fd, SO_RCVTIMEO, 20000);
	set_timeo(fd, SO_SNDTIMEO, 20000);
	do
		r = recv(fd, &cmd, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		goto out;
	switch (cmd) {
	case 'E':
		while ((r = recv(fd, buf, sizeof(buf), 0)) > 0 ||
		       (r < 0 && errno == EINTR))
			if (r > 0 && write_all(fd, buf, r) < 0)
				break;
		break;
	case 'H':
		drain(fd);
		break;
	case 'N': {
		struct pollfd p = { fd, POLLRDHUP, 0 };

		poll(&p, 1, 10000);
		break;
	}
	case 'W':
		drain(fd);
		write_all(fd, "after-eof", 9);
		break;
	case 'C': {
		static unsigned char big[CLOSE_BYTES];
		size_t i;

		for (i = 0; i < sizeof(big); i++)
			big[i] = pat(i);
		write_all(fd, big, sizeof(big));
		break;
	}
	case 'D':
		write_all(fd, "abcd", 4);
		sleep_ms(300);
		write_all(fd, "efgh", 4);
		drain(fd);
		break;
	case 'S':
		shutdown(fd, SHUT_WR);
		drain(fd);
		break;
	case 'A': {
		unsigned char out[2 * 132];
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);

		memset(&me, 0, sizeof(me));
		getsockname(fd, (struct sockaddr *)&me, &ml);
		put_addr(out, from, fromlen);
		put_addr(out + 132, &me, ml);
		write_all(fd, out, sizeof(out));
		drain(fd);
		break;
	}
	case 'U': {
		struct pollfd p = { fd, POLLIN, 0 };

		poll(&p, 1, 10000);
		break;
	}
	case 'L': {
		struct linger l = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		break;
	}
	default:
		break;
	}
out:
	close(fd);
}

static void peer_loop(int lfd)
{
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		int fd;
		pid_t pid;

		memset(&from, 0, sizeof(from));
		fd = accept4(lfd, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("kwik_sockapi server: accept");
			exit(1);
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			peer_session(fd, &from, fl);
			_exit(0);
		}
		close(fd);
	}
}

static void start_tcp_helper(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, fd;

	TCP.name = "tcp";
	TCP.domain = AF_INET;
	lfd = xsocket(&TCP, 0);
	inet_addr_port(&ss, &len, 0);
	TCP.srvlen = sizeof(TCP.srv);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, 128) ||
	    getsockname(lfd, (struct sockaddr *)&TCP.srv, &TCP.srvlen)) {
		perror("tcp reference peer (is lo up?)");
		exit(1);
	}
	TCP.srvlen = sizeof(struct sockaddr_in);
	fflush(stdout);
	TCP.helper = fork();
	if (TCP.helper == 0) {
		setpgid(0, 0);	/* its session children die with it */
		peer_loop(lfd);
		_exit(0);
	}
	close(lfd);
	/* a port nobody listens on: bound but not listening */
	fd = xsocket(&TCP, 0);
	inet_addr_port(&ss, &len, 0);
	TCP.refusedlen = sizeof(struct sockaddr_in);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&TCP.refused, &TCP.refusedlen)) {
		perror("tcp refused port");
		exit(1);
	}
	/* keep fd open so the port stays unused; leaked on purpose */
	TCP.unreachlen = 0;
}

/* A connected socket to the peer, after sending command @cmd. */
static int peer_conn(struct fam *F, char cmd, int flags)
{
	int fd = xsocket(F, flags), r;

	if (fd < 0) {
		note("socket: %s", strerror(errno));
		return -1;
	}
	do
		r = connect(fd, (struct sockaddr *)&F->srv, F->srvlen);
	while (r && errno == EINTR);
	if (r && errno == EINPROGRESS) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int err = 0;
		socklen_t l = sizeof(err);

		poll(&p, 1, 10000);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		r = err ? -1 : 0;
		errno = err;
	}
	if (r) {
		note("connect to the peer: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (cmd && send(fd, &cmd, 1, MSG_NOSIGNAL) != 1) {
		note("send command: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Returns errno of the call, 0 on success. */
#define ERR(call) ((call) < 0 ? errno : 0)

/* ---- the cases --------------------------------------------------------- */
/* Each returns the errno of interest (0 = success) or FAILED (see msg). */

static int c_socket_dgram(struct fam *F)
{
	int fd = socket(F->domain, SOCK_DGRAM, 0);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? errno : 0;
}

static int c_socket_seqpacket(struct fam *F)
{
	int fd = socket(F->domain, SOCK_SEQPACKET, 0);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? errno : 0;
}

static int c_socket_proto(struct fam *F)
{
	int fd = socket(F->domain, SOCK_STREAM, 99);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? errno : 0;
}

static int c_socket_flags(struct fam *F)
{
	int fd = xsocket(F, SOCK_NONBLOCK), fl;

	if (fd < 0)
		return errno;
	fl = fcntl(fd, F_GETFL);
	close(fd);
	if (!(fl & O_NONBLOCK)) {
		note("SOCK_NONBLOCK did not set O_NONBLOCK");
		return FAILED;
	}
	return 0;
}

static int c_bind_short(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	e = ERR(bind(fd, (struct sockaddr *)&ss, len - 1));
	close(fd);
	return e;
}

static int c_bind_family(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	ss.ss_family = AF_UNIX;
	e = ERR(bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return e;
}

static int c_bind_service0(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	kwik_addr(&ss, &len, 0);
	e = ERR(bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return e;
}

static int c_bind_reserved(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	((struct sockaddr_kwik *)&ss)->kw_reserved = 1;
	e = ERR(bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return e;
}

static int c_bind_session(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	((struct sockaddr_kwik *)&ss)->kw_session = 42;
	e = ERR(bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return e;
}

static int c_bind_twice(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		note("first bind: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	bind_addr(F, &ss, &len);
	e = ERR(bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return e;
}

static int c_bind_inuse(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int a = xsocket(F, 0), b = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(a, (struct sockaddr *)&ss, len) ||
	    getsockname(a, (struct sockaddr *)&ss, &len) || listen(a, 1)) {
		note("first bind/listen: %s", strerror(errno));
		close(a);
		close(b);
		return FAILED;
	}
	e = ERR(bind(b, (struct sockaddr *)&ss, len));
	close(a);
	close(b);
	return e;
}

static int c_bind_reuse_after_close(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int a = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(a, (struct sockaddr *)&ss, len) ||
	    getsockname(a, (struct sockaddr *)&ss, &len) || listen(a, 1)) {
		note("first bind/listen: %s", strerror(errno));
		close(a);
		return FAILED;
	}
	close(a);
	a = xsocket(F, 0);
	e = ERR(bind(a, (struct sockaddr *)&ss, len));
	close(a);
	return e;
}

static int c_getsockname_bound(struct fam *F)
{
	struct sockaddr_storage ss, got;
	socklen_t len, glen = sizeof(got);
	int fd = xsocket(F, 0);

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&got, &glen)) {
		note("bind/getsockname: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	if (got.ss_family != F->domain) {
		note("family %d, expected %d", got.ss_family, F->domain);
		return FAILED;
	}
	if (F->kwik) {
		struct sockaddr_kwik *k = (struct sockaddr_kwik *)&got,
				     *w = (struct sockaddr_kwik *)&ss;

		if (glen != sizeof(*k) || k->kw_service != w->kw_service ||
		    k->kw_session) {
			note("len %u service %u session %" PRIu64
			     ", expected len %zu service %u session 0", glen,
			     k->kw_service, (uint64_t)k->kw_session,
			     sizeof(*k), w->kw_service);
			return FAILED;
		}
	}
	return 0;
}

static int c_listen_unbound(struct fam *F)
{
	int fd = xsocket(F, 0), e = ERR(listen(fd, 1));

	close(fd);
	return e;
}

static int c_listen_connected(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(listen(fd, 1));
	close(fd);
	return e;
}

static int c_connect_short(struct fam *F)
{
	int fd = xsocket(F, 0), e;

	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen - 1));
	close(fd);
	return e;
}

static int c_connect_family(struct fam *F)
{
	struct sockaddr_storage ss = F->srv;
	int fd = xsocket(F, 0), e;

	ss.ss_family = AF_UNIX;
	e = ERR(connect(fd, (struct sockaddr *)&ss, F->srvlen));
	close(fd);
	return e;
}

static int c_connect_session(struct fam *F)
{
	struct sockaddr_storage ss = F->srv;
	int fd = xsocket(F, 0), e;

	((struct sockaddr_kwik *)&ss)->kw_session = 42;
	e = ERR(connect(fd, (struct sockaddr *)&ss, F->srvlen));
	close(fd);
	return e;
}

static int c_connect_listening(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1)) {
		note("bind/listen: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	close(fd);
	return e;
}

static int c_connect_twice(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	close(fd);
	return e;
}

static int c_connect_refused(struct fam *F)
{
	int fd = xsocket(F, 0), e;

	e = ERR(connect(fd, (struct sockaddr *)&F->refused, F->refusedlen));
	close(fd);
	return e;
}

static int c_connect_refused_nb(struct fam *F)
{
	int fd = xsocket(F, SOCK_NONBLOCK), e, err = 0;
	struct pollfd p = { fd, POLLOUT, 0 };
	socklen_t l = sizeof(err);

	e = ERR(connect(fd, (struct sockaddr *)&F->refused, F->refusedlen));
	if (e == EINPROGRESS) {
		if (poll(&p, 1, 30000) != 1) {
			note("no poll event within 30 s");
			close(fd);
			return FAILED;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		e = err;
	}
	close(fd);
	return e;
}

static int c_connect_unreach(struct fam *F)
{
	int fd = xsocket(F, 0), e;

	e = ERR(connect(fd, (struct sockaddr *)&F->unreach, F->unreachlen));
	close(fd);
	return e;
}

static int c_connect_nonblock(struct fam *F)
{
	int fd = xsocket(F, SOCK_NONBLOCK), e, err = -1;
	struct pollfd p = { fd, POLLOUT, 0 };
	socklen_t l = sizeof(err);

	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	if (e && e != EINPROGRESS) {
		close(fd);
		return e;
	}
	if (poll(&p, 1, 10000) != 1 || !(p.revents & POLLOUT)) {
		note("no POLLOUT within 10 s (revents %#x)", p.revents);
		close(fd);
		return FAILED;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
		note("SO_ERROR %s", ename(err));
		close(fd);
		return FAILED;
	}
	if (send(fd, "X", 1, MSG_NOSIGNAL) != 1) {
		note("send after connect: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	return e == EINPROGRESS ? 0 : FAILED;
}

static int c_connect_nonblock_again(struct fam *F)
{
	int fd = xsocket(F, SOCK_NONBLOCK), e;
	struct pollfd p = { fd, POLLOUT, 0 };

	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	if (e != EINPROGRESS) {
		note("first connect gave %s, not EINPROGRESS", ename(e));
		close(fd);
		return FAILED;
	}
	poll(&p, 1, 10000);
	/* connected by now: the second connect() reports the result, 0 */
	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	close(fd);
	return e;
}

static int c_getpeername_connected(struct fam *F)
{
	struct sockaddr_storage p, s;
	socklen_t pl = sizeof(p), sl = sizeof(s);
	int fd = peer_conn(F, 'H', 0);

	if (fd < 0)
		return FAILED;
	if (getpeername(fd, (struct sockaddr *)&p, &pl) ||
	    getsockname(fd, (struct sockaddr *)&s, &sl)) {
		note("getpeername/getsockname: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	if (F->kwik) {
		struct sockaddr_kwik *kp = (void *)&p, *ks = (void *)&s;

		if (pl != sizeof(*kp) || kp->kw_family != F->domain ||
		    kp->kw_service != F->service || !kp->kw_session) {
			note("peer: len %u family %u service %u session %#" PRIx64,
			     pl, kp->kw_family, kp->kw_service,
			     (uint64_t)kp->kw_session);
			return FAILED;
		}
		if (sl != sizeof(*ks) || ks->kw_family != F->domain ||
		    ks->kw_service != F->service ||
		    ks->kw_session != kp->kw_session) {
			note("local: len %u family %u service %u session %#" PRIx64
			     " (peer's session %#" PRIx64 ")", sl,
			     ks->kw_family, ks->kw_service,
			     (uint64_t)ks->kw_session, (uint64_t)kp->kw_session);
			return FAILED;
		}
	} else if (memcmp(&p, &F->srv, F->srvlen)) {
		note("peer address differs");
		return FAILED;
	}
	return 0;
}

static int c_getpeername_unconnected(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = xsocket(F, 0), e;

	e = ERR(getpeername(fd, (struct sockaddr *)&ss, &len));
	close(fd);
	return e;
}

static int c_accept_unbound(struct fam *F)
{
	int fd = xsocket(F, 0), e = ERR(accept(fd, NULL, NULL));

	close(fd);
	return e;
}

static int c_accept_bound(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		note("bind: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(accept(fd, NULL, NULL));
	close(fd);
	return e;
}

static int c_accept_connected(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(accept(fd, NULL, NULL));
	close(fd);
	return e;
}

static int c_accept_nonblock(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, SOCK_NONBLOCK), e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4)) {
		note("bind/listen: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(accept(fd, NULL, NULL));
	close(fd);
	return e;
}

static int c_poll_listen_idle(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), r;
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4)) {
		note("bind/listen: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	r = poll(&p, 1, 0);
	close(fd);
	if (r != 0) {
		note("idle listener polls ready (revents %#x)", p.revents);
		return FAILED;
	}
	return 0;
}

static int c_recv_unconnected(struct fam *F)
{
	char b;
	int fd = xsocket(F, 0), e = ERR(recv(fd, &b, 1, 0));

	close(fd);
	return e;
}

static int c_recv_listening(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char b;
	int fd = xsocket(F, 0), e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1)) {
		note("bind/listen: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(recv(fd, &b, 1, MSG_DONTWAIT));
	close(fd);
	return e;
}

static int c_send_unconnected(struct fam *F)
{
	int fd = xsocket(F, 0), e = ERR(send(fd, "x", 1, MSG_NOSIGNAL));

	close(fd);
	return e;
}

static int c_shutdown_unconnected(struct fam *F)
{
	int fd = xsocket(F, 0), e = ERR(shutdown(fd, SHUT_RDWR));

	close(fd);
	return e;
}

static int c_shutdown_badhow(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(shutdown(fd, 7));
	close(fd);
	return e;
}

static int c_send_after_shutdown(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	if (shutdown(fd, SHUT_WR)) {
		note("shutdown: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	return e;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int c_sigpipe(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	shutdown(fd, SHUT_WR);
	sigpipes = 0;
	signal(SIGPIPE, on_sigpipe);
	e = ERR(send(fd, "x", 1, 0));
	signal(SIGPIPE, SIG_IGN);
	close(fd);
	if (e != EPIPE) {
		note("send gave %s", ename(e));
		return FAILED;
	}
	if (sigpipes != 1) {
		note("%d SIGPIPE signals, expected 1", (int)sigpipes);
		return FAILED;
	}
	return 0;
}

static int c_nosignal(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	shutdown(fd, SHUT_WR);
	sigpipes = 0;
	signal(SIGPIPE, on_sigpipe);
	e = ERR(send(fd, "x", 1, MSG_NOSIGNAL));
	signal(SIGPIPE, SIG_IGN);
	close(fd);
	if (sigpipes) {
		note("SIGPIPE despite MSG_NOSIGNAL");
		return FAILED;
	}
	return e;
}

static int c_recv_dontwait(struct fam *F)
{
	char b;
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(recv(fd, &b, 1, MSG_DONTWAIT));
	close(fd);
	return e;
}

static int c_recv_nonblock(struct fam *F)
{
	char b;
	int fd = peer_conn(F, 'H', SOCK_NONBLOCK), e;

	if (fd < 0)
		return FAILED;
	e = ERR(recv(fd, &b, 1, 0));
	close(fd);
	return e;
}

static int recv_full(int fd, char *buf, size_t len, int flags)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = recv(fd, buf + off, len - off, flags);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : (int)off;
		off += r;
	}
	return off;
}

static int c_peek(struct fam *F)
{
	char buf[16] = "";
	struct pollfd p;
	int fd = peer_conn(F, 'E', 0), r;

	if (fd < 0)
		return FAILED;
	write_all(fd, "hello", 5);
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 10000) != 1) {
		note("no echo within 10 s");
		close(fd);
		return FAILED;
	}
	/* the echo may arrive in pieces: peek with WAITALL for all five */
	r = recv(fd, buf, 5, MSG_PEEK | MSG_WAITALL);
	if (r != 5 || memcmp(buf, "hello", 5)) {
		note("MSG_PEEK gave %d '%.5s'", r, buf);
		close(fd);
		return FAILED;
	}
	memset(buf, 0, sizeof(buf));
	r = recv(fd, buf, 2, MSG_PEEK);
	if (r != 2 || memcmp(buf, "he", 2)) {
		note("second MSG_PEEK gave %d '%.2s'", r, buf);
		close(fd);
		return FAILED;
	}
	memset(buf, 0, sizeof(buf));
	r = recv_full(fd, buf, 5, 0);
	close(fd);
	if (r != 5 || memcmp(buf, "hello", 5)) {
		note("recv after MSG_PEEK gave %d '%.5s'", r, buf);
		return FAILED;
	}
	return 0;
}

static int c_waitall(struct fam *F)
{
	char buf[16] = "";
	double t0;
	int fd = peer_conn(F, 'D', 0), r;

	if (fd < 0)
		return FAILED;
	t0 = now();
	r = recv(fd, buf, 8, MSG_WAITALL);
	close(fd);
	if (r != 8 || memcmp(buf, "abcdefgh", 8)) {
		note("MSG_WAITALL returned %d '%.8s' after %.3f s", r, buf,
		     now() - t0);
		return FAILED;
	}
	return 0;
}

static int c_waitall_eof(struct fam *F)
{
	char buf[64];
	int fd = peer_conn(F, 'W', 0), r;

	if (fd < 0)
		return FAILED;
	shutdown(fd, SHUT_WR);
	/* peer sends 9 bytes and closes: WAITALL for 64 returns 9 at EOF */
	r = recv(fd, buf, sizeof(buf), MSG_WAITALL);
	close(fd);
	if (r != 9) {
		note("MSG_WAITALL at EOF returned %d (%s)", r,
		     r < 0 ? strerror(errno) : "bytes");
		return FAILED;
	}
	return 0;
}

static int c_poll_states(struct fam *F)
{
	struct pollfd p;
	char buf[8];
	int fd = peer_conn(F, 'E', 0), r;

	if (fd < 0)
		return FAILED;
	p = (struct pollfd){ fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	r = poll(&p, 1, 5000);
	if (r != 1 || p.revents != POLLOUT) {
		note("fresh connection: revents %#x, expected POLLOUT only",
		     p.revents);
		goto fail;
	}
	write_all(fd, "ping", 4);
	p = (struct pollfd){ fd, POLLIN, 0 };
	r = poll(&p, 1, 10000);
	if (r != 1 || !(p.revents & POLLIN)) {
		note("no POLLIN after the echo (revents %#x)", p.revents);
		goto fail;
	}
	if (recv_full(fd, buf, 4, 0) != 4) {
		note("echo short");
		goto fail;
	}
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 0) != 0) {
		note("POLLIN with nothing queued (revents %#x)", p.revents);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return FAILED;
}

static int c_epoll(struct fam *F)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[2];
	int fd = peer_conn(F, 'E', 0), ep = epoll_create1(EPOLL_CLOEXEC), r;
	char buf[8];

	if (fd < 0 || ep < 0)
		goto fail;
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		note("epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	if (epoll_wait(ep, out, 2, 0) != 0) {
		note("EPOLLIN before any data");
		goto fail;
	}
	write_all(fd, "pong", 4);
	r = epoll_wait(ep, out, 2, 10000);
	if (r != 1 || !(out[0].events & EPOLLIN)) {
		note("no EPOLLIN within 10 s (%d events)", r);
		goto fail;
	}
	if (recv_full(fd, buf, 4, 0) != 4) {
		note("echo short");
		goto fail;
	}
	close(ep);
	close(fd);
	return 0;
fail:
	if (ep >= 0)
		close(ep);
	if (fd >= 0)
		close(fd);
	return FAILED;
}

static int c_peer_shutdown_eof(struct fam *F)
{
	struct pollfd p;
	char b;
	int fd = peer_conn(F, 'S', 0), r;

	if (fd < 0)
		return FAILED;
	p = (struct pollfd){ fd, POLLIN | POLLRDHUP, 0 };
	r = poll(&p, 1, 10000);
	if (r != 1 || (p.revents & (POLLIN | POLLRDHUP)) !=
		      (POLLIN | POLLRDHUP)) {
		note("after peer's SHUT_WR: revents %#x, expected POLLIN|POLLRDHUP",
		     p.revents);
		goto fail;
	}
	r = recv(fd, &b, 1, 0);
	if (r != 0) {
		note("recv after peer's SHUT_WR gave %d, expected 0 (EOF)", r);
		goto fail;
	}
	r = recv(fd, &b, 1, MSG_DONTWAIT);
	if (r != 0) {
		note("second recv at EOF gave %d (%s)", r, strerror(errno));
		goto fail;
	}
	/* our direction still works */
	if (write_all(fd, "still-open", 10) != 10) {
		note("send after peer's SHUT_WR: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return FAILED;
}

static int c_half_close(struct fam *F)
{
	char buf[32] = "";
	int fd = peer_conn(F, 'W', 0), r;
	struct pollfd p;

	if (fd < 0)
		return FAILED;
	if (shutdown(fd, SHUT_WR)) {
		note("shutdown: %s", strerror(errno));
		goto fail;
	}
	r = recv_full(fd, buf, 9, 0);
	if (r != 9 || memcmp(buf, "after-eof", 9)) {
		note("after our SHUT_WR the peer's data: %d '%.9s'", r, buf);
		goto fail;
	}
	if (recv(fd, buf, 1, 0) != 0) {
		note("no EOF after the peer closed");
		goto fail;
	}
	p = (struct pollfd){ fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	poll(&p, 1, 1000);
	if (!(p.revents & POLLHUP) && !(p.revents & POLLRDHUP)) {
		note("both directions closed but revents %#x", p.revents);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return FAILED;
}

static int c_close_pending(struct fam *F)
{
	static char buf[CLOSE_BYTES + 1];
	int fd = peer_conn(F, 'C', 0), r;
	size_t i;

	if (fd < 0)
		return FAILED;
	/* the peer writes CLOSE_BYTES and closes at once: all must arrive */
	r = recv_full(fd, buf, sizeof(buf), 0);
	close(fd);
	if (r != CLOSE_BYTES) {
		note("got %d of %d bytes before EOF%s%s", r, CLOSE_BYTES,
		     r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
		return FAILED;
	}
	for (i = 0; i < CLOSE_BYTES; i++)
		if ((unsigned char)buf[i] != pat(i)) {
			note("byte %zu wrong", i);
			return FAILED;
		}
	return 0;
}

static int c_bufsizes(struct fam *F)
{
	int fd = xsocket(F, 0), v = 65536, s = 0, r = 0;
	socklen_t l = sizeof(int);

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
	    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s, &l) ||
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r, &l)) {
		note("SO_SNDBUF/SO_RCVBUF: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	if (s != 2 * v || r != 2 * v) {
		note("set %d, got sndbuf %d rcvbuf %d, expected %d", v, s, r,
		     2 * v);
		return FAILED;
	}
	return 0;
}

static int c_rcvtimeo(struct fam *F)
{
	char b;
	double t0, d;
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	set_timeo(fd, SO_RCVTIMEO, 200);
	t0 = now();
	e = ERR(recv(fd, &b, 1, 0));
	d = now() - t0;
	close(fd);
	if (e == EAGAIN && (d < 0.15 || d > 5)) {
		note("EAGAIN after %.3f s, SO_RCVTIMEO was 0.2 s", d);
		return FAILED;
	}
	return e;
}

static int c_sndtimeo(struct fam *F)
{
	static char buf[65536];
	double t0, deadline;
	int fd = peer_conn(F, 'N', 0), v = 4096, e = 0;
	long long total = 0;

	if (fd < 0)
		return FAILED;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	set_timeo(fd, SO_SNDTIMEO, 200);
	t0 = now();
	deadline = t0 + 20;
	/* the peer never reads: the send path fills and times out */
	while (now() < deadline) {
		ssize_t r = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (r < 0) {
			e = errno;
			break;
		}
		total += r;
	}
	close(fd);
	if (!e) {
		note("sent %lld bytes in 20 s without blocking", total);
		return FAILED;
	}
	return e;
}

static int c_so_error(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), err = -1;
	socklen_t l = sizeof(err);

	if (fd < 0)
		return FAILED;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l)) {
		note("getsockopt: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	return err;
}

static int c_so_type(struct fam *F)
{
	int fd = xsocket(F, 0), t = -1, a = -1, d = -1;
	socklen_t l = sizeof(int);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &a, &l);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l);
	close(fd);
	if (t != SOCK_STREAM || a != 0 || d != F->domain) {
		note("SO_TYPE %d SO_ACCEPTCONN %d SO_DOMAIN %d", t, a, d);
		return FAILED;
	}
	return 0;
}

static int c_sockopt_badlevel(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1, e;

	e = ERR(setsockopt(fd, 999, 1, &v, sizeof(v)));
	close(fd);
	return e;
}

static int c_getsockopt_badlevel(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1, e;
	socklen_t l = sizeof(v);

	e = ERR(getsockopt(fd, 999, 1, &v, &l));
	close(fd);
	return e;
}

/* Own level, unknown option: SOL_KWIK for kwik, SOL_TCP for TCP. */
static int own_level(struct fam *F)
{
	return F->kwik ? SOL_KWIK : IPPROTO_TCP;
}

static int c_sockopt_badname(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1, e;

	e = ERR(setsockopt(fd, own_level(F), 9999, &v, sizeof(v)));
	close(fd);
	return e;
}

static int c_getsockopt_badname(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1, e;
	socklen_t l = sizeof(v);

	e = ERR(getsockopt(fd, own_level(F), 9999, &v, &l));
	close(fd);
	return e;
}

static int c_sockopt_badlen(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1000, e;
	int opt = F->kwik ? KWIK_CONNECT_TIMEOUT : TCP_NODELAY;

	e = ERR(setsockopt(fd, own_level(F), opt, &v, 2));
	close(fd);
	return e;
}

static int c_connect_timeout_neg(struct fam *F)
{
	int fd = xsocket(F, 0), v = -1, e;

	e = ERR(setsockopt(fd, SOL_KWIK, KWIK_CONNECT_TIMEOUT, &v, sizeof(v)));
	close(fd);
	return e;
}

static int c_connect_timeout_get(struct fam *F)
{
	int fd = xsocket(F, 0), v = 1234, g = 0;
	socklen_t l = sizeof(g);

	if (setsockopt(fd, SOL_KWIK, KWIK_CONNECT_TIMEOUT, &v, sizeof(v)) ||
	    getsockopt(fd, SOL_KWIK, KWIK_CONNECT_TIMEOUT, &g, &l)) {
		note("KWIK_CONNECT_TIMEOUT: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	if (g != v || l != sizeof(g)) {
		note("set %d, got %d (len %u)", v, g, l);
		return FAILED;
	}
	return 0;
}

static int c_info_set(struct fam *F)
{
	struct kwik_info ki;
	int fd = xsocket(F, 0), e;

	/* TCP's counterpart: setsockopt(TCP_INFO) */
	memset(&ki, 0, sizeof(ki));
	e = ERR(setsockopt(fd, own_level(F), F->kwik ? KWIK_INFO : TCP_INFO,
			   &ki, sizeof(ki)));
	close(fd);
	return e;
}

static int c_info_unconnected(struct fam *F)
{
	struct kwik_info ki;
	socklen_t l = sizeof(ki);
	int fd = xsocket(F, 0);

	memset(&ki, 0xff, sizeof(ki));
	if (getsockopt(fd, SOL_KWIK, KWIK_INFO, &ki, &l)) {
		note("KWIK_INFO: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	if (l != sizeof(ki) || ki.session || ki.state != KWIK_SS_CLOSED ||
	    ki.bytes_sent || ki.bytes_received) {
		note("len %u session %" PRIu64 " state %u sent %" PRIu64,
		     l, (uint64_t)ki.session, ki.state,
		     (uint64_t)ki.bytes_sent);
		return FAILED;
	}
	return 0;
}

static int c_info_connected(struct fam *F)
{
	struct sockaddr_kwik pa;
	socklen_t pl = sizeof(pa), l = sizeof(struct kwik_info);
	struct kwik_info ki;
	char buf[8];
	int fd = peer_conn(F, 'E', 0);

	if (fd < 0)
		return FAILED;
	if (write_all(fd, "12345", 5) != 5 || recv_full(fd, buf, 5, 0) != 5 ||
	    getpeername(fd, (struct sockaddr *)&pa, &pl) ||
	    getsockopt(fd, SOL_KWIK, KWIK_INFO, &ki, &l)) {
		note("echo/getpeername/KWIK_INFO: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	/* 6 bytes sent: the command byte and "12345" */
	if (l != sizeof(ki) || ki.session != pa.kw_session ||
	    ki.service != F->service || ki.state != KWIK_SS_ESTABLISHED ||
	    ki.paths < 1 || ki.bytes_sent != 6 || ki.bytes_received != 5 ||
	    ki.snd_una > ki.snd_nxt || ki.bytes_acked > ki.bytes_sent) {
		note("len %u session %#" PRIx64 " (peername %#" PRIx64
		     ") service %u state %u paths %u sent %" PRIu64
		     " received %" PRIu64 " acked %" PRIu64 " snd_una %" PRIu64
		     " snd_nxt %" PRIu64, l, (uint64_t)ki.session,
		     (uint64_t)pa.kw_session, ki.service, ki.state, ki.paths,
		     (uint64_t)ki.bytes_sent, (uint64_t)ki.bytes_received,
		     (uint64_t)ki.bytes_acked, (uint64_t)ki.snd_una,
		     (uint64_t)ki.snd_nxt);
		return FAILED;
	}
	return 0;
}

static int c_send_oob(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(send(fd, "!", 1, MSG_OOB | MSG_NOSIGNAL));
	close(fd);
	return e;
}

static int c_recv_oob(struct fam *F)
{
	char b;
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	e = ERR(recv(fd, &b, 1, MSG_OOB | MSG_DONTWAIT));
	close(fd);
	return e;
}

static int c_peer_closed(struct fam *F)
{
	char b;
	int fd = peer_conn(F, 'X', 0), r;

	if (fd < 0)
		return FAILED;
	r = recv(fd, &b, 1, 0);
	close(fd);
	if (r != 0) {
		note("recv after the peer closed gave %d (%s)", r,
		     r < 0 ? strerror(errno) : "data");
		return FAILED;
	}
	return 0;
}

static int c_many_sequential(struct fam *F)
{
	int i;

	for (i = 0; i < 50; i++) {
		char buf[4];
		int fd = peer_conn(F, 'E', 0);

		if (fd < 0)
			return FAILED;
		if (write_all(fd, "seq", 3) != 3 || shutdown(fd, SHUT_WR) ||
		    recv_full(fd, buf, 4, 0) != 3) {
			note("session %d: echo failed", i);
			close(fd);
			return FAILED;
		}
		close(fd);
	}
	return 0;
}

static int c_poll_fresh(struct fam *F)
{
	int fd = xsocket(F, 0);
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };

	poll(&p, 1, 0);
	close(fd);
	return REVENTS + p.revents;
}

static int c_poll_closed_both(struct fam *F)
{
	char buf[16];
	int fd = peer_conn(F, 'W', 0), r;
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };

	if (fd < 0)
		return FAILED;
	shutdown(fd, SHUT_WR);
	/* the peer answers our EOF with 9 bytes and closes */
	r = recv_full(fd, buf, 9, 0);
	if (r != 9 || recv(fd, buf, 1, 0) != 0) {
		note("expected 9 bytes then EOF");
		close(fd);
		return FAILED;
	}
	poll(&p, 1, 0);
	close(fd);
	return REVENTS + p.revents;
}

static int c_fionread(struct fam *F)
{
	int fd = peer_conn(F, 'E', 0), n = -1, i;

	if (fd < 0)
		return FAILED;
	write_all(fd, "hello", 5);
	for (i = 0; i < 200; i++) {	/* the echo may come in pieces */
		if (ioctl(fd, FIONREAD, &n)) {
			note("FIONREAD: %s", strerror(errno));
			close(fd);
			return FAILED;
		}
		if (n == 5)
			break;
		sleep_ms(20);
	}
	close(fd);
	if (n != 5) {
		note("FIONREAD says %d, expected 5", n);
		return FAILED;
	}
	return 0;
}

static int c_fionread_listen(struct fam *F)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = xsocket(F, 0), n, e;

	bind_addr(F, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1)) {
		note("bind/listen: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	e = ERR(ioctl(fd, FIONREAD, &n));
	close(fd);
	return e;
}

static int c_accept_addr(struct fam *F)
{
	unsigned char in[2 * 132];
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer), al, sl;
	int fd = peer_conn(F, 'A', 0);

	if (fd < 0)
		return FAILED;
	memset(&me, 0, sizeof(me));
	memset(&peer, 0, sizeof(peer));
	if (recv_full(fd, (char *)in, sizeof(in), 0) != sizeof(in) ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl)) {
		note("reading the peer's report: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	close(fd);
	memcpy(&al, in, 4);
	memcpy(&sl, in + 132, 4);
	if (al != ml || memcmp(in + 4, &me, ml)) {
		note("accept() gave len %u, our getsockname len %u: they differ",
		     al, ml);
		return FAILED;
	}
	if (sl != pl || memcmp(in + 136, &peer, pl)) {
		note("the accepted socket's getsockname (len %u) differs from our getpeername (len %u)",
		     sl, pl);
		return FAILED;
	}
	return 0;
}

/* The peer closes with our bytes unread: the next recv reports it. */
static int abort_case(struct fam *F, char cmd, bool send_after)
{
	struct pollfd p;
	char b[8];
	int fd = peer_conn(F, cmd, 0), e;

	if (fd < 0)
		return FAILED;
	if (cmd == 'U')
		write_all(fd, "unread", 6);
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 10000) != 1) {
		note("no event within 10 s after the peer's abortive close");
		close(fd);
		return FAILED;
	}
	if (send_after) {
		e = ERR(send(fd, "x", 1, MSG_NOSIGNAL));
	} else {
		ssize_t r = recv(fd, b, sizeof(b), 0);

		e = r < 0 ? errno : 0;
		if (r > 0) {
			note("recv returned %zd bytes", r);
			e = FAILED;
		} else if (r == 0) {
			note("recv returned EOF, not an error");
			e = FAILED;
		}
	}
	close(fd);
	return e;
}

static int c_peer_abort_unread(struct fam *F)
{
	return abort_case(F, 'U', false);
}

static int c_peer_abort_linger(struct fam *F)
{
	return abort_case(F, 'L', false);
}

static int c_send_after_reset(struct fam *F)
{
	return abort_case(F, 'U', true);
}

static int c_shut_rd(struct fam *F)
{
	char b;
	int fd = peer_conn(F, 'H', 0), r;

	if (fd < 0)
		return FAILED;
	if (shutdown(fd, SHUT_RD)) {
		note("shutdown(SHUT_RD): %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	r = recv(fd, &b, 1, MSG_DONTWAIT);
	close(fd);
	if (r != 0) {
		note("recv after SHUT_RD gave %d (%s), expected 0", r,
		     r < 0 ? strerror(errno) : "data");
		return FAILED;
	}
	return 0;
}

static int c_shut_wr_twice(struct fam *F)
{
	int fd = peer_conn(F, 'H', 0), e;

	if (fd < 0)
		return FAILED;
	shutdown(fd, SHUT_WR);
	e = ERR(shutdown(fd, SHUT_WR));
	close(fd);
	return e;
}

static int c_connect_after_refused(struct fam *F)
{
	int fd = xsocket(F, 0), e;

	e = ERR(connect(fd, (struct sockaddr *)&F->refused, F->refusedlen));
	if (e != ECONNREFUSED) {
		note("first connect gave %s, not ECONNREFUSED", ename(e));
		close(fd);
		return FAILED;
	}
	e = ERR(connect(fd, (struct sockaddr *)&F->srv, F->srvlen));
	if (!e && send(fd, "X", 1, MSG_NOSIGNAL) != 1)
		e = errno;
	close(fd);
	return e;
}

static int c_iovecs(struct fam *F)
{
	char a[100], b[3000], c[7], out[sizeof(a) + sizeof(b) + sizeof(c)];
	char r1[50], r2[3000], r3[57];
	struct iovec wv[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct iovec rv[3] = { { r1, sizeof(r1) }, { r2, sizeof(r2) }, { r3, sizeof(r3) } };
	struct msghdr mh = { .msg_iov = rv, .msg_iovlen = 3 };
	size_t i, got = 0;
	int fd = peer_conn(F, 'E', 0);

	if (fd < 0)
		return FAILED;
	for (i = 0; i < sizeof(out); i++)
		out[i] = pat(i);
	memcpy(a, out, sizeof(a));
	memcpy(b, out + sizeof(a), sizeof(b));
	memcpy(c, out + sizeof(a) + sizeof(b), sizeof(c));
	if (writev(fd, wv, 3) != (ssize_t)sizeof(out)) {
		note("writev: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	shutdown(fd, SHUT_WR);
	/* MSG_WAITALL over three iovecs: all 3107 bytes in one call */
	{
		ssize_t r = recvmsg(fd, &mh, MSG_WAITALL);

		got = r > 0 ? (size_t)r : 0;
	}
	close(fd);
	if (got != sizeof(out) || memcmp(r1, out, 50) ||
	    memcmp(r2, out + 50, 3000) || memcmp(r3, out + 3050, 57)) {
		note("recvmsg(MSG_WAITALL) over 3 iovecs gave %zu of %zu bytes (or wrong data)",
		     got, sizeof(out));
		return FAILED;
	}
	return 0;
}

static int c_sendfile_splice(struct fam *F)
{
	static char data[65536], back[65536];
	char path[] = "/tmp/kwik_sockapi.XXXXXX";
	int tfd = mkstemp(path), fd = -1, pfd[2] = { -1, -1 }, rc = FAILED;
	size_t i, got = 0;
	off_t off = 0;

	if (tfd < 0) {
		note("mkstemp: %s", strerror(errno));
		return FAILED;
	}
	unlink(path);
	for (i = 0; i < sizeof(data); i++)
		data[i] = pat(i * 3);
	if (write(tfd, data, sizeof(data)) != sizeof(data) || pipe(pfd))
		goto out;
	fd = peer_conn(F, 'E', 0);
	if (fd < 0)
		goto out;
	while (off < (off_t)sizeof(data)) {
		ssize_t r = sendfile(fd, tfd, &off, sizeof(data) - off);

		if (r <= 0) {
			note("sendfile: %s", r ? strerror(errno) : "returned 0");
			goto out;
		}
	}
	shutdown(fd, SHUT_WR);
	/* the echo comes back through splice(socket -> pipe) */
	while (got < sizeof(back)) {
		ssize_t r = splice(fd, NULL, pfd[1], NULL, sizeof(back) - got, 0), q;

		if (r <= 0) {
			note("splice from the socket: %s after %zu bytes",
			     r ? strerror(errno) : "EOF", got);
			goto out;
		}
		while (r > 0) {
			q = read(pfd[0], back + got, r);
			if (q <= 0)
				goto out;
			got += q;
			r -= q;
		}
	}
	if (memcmp(back, data, sizeof(data))) {
		note("echoed data differs");
		goto out;
	}
	rc = 0;
out:
	if (rc && !msg[0])
		note("setup: %s", strerror(errno));
	close(tfd);
	if (fd >= 0)
		close(fd);
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	return rc;
}

/* SO_RCVLOWAT 8: the peer sends 4 bytes, then 4 more 300 ms later. */
static int c_rcvlowat(struct fam *F)
{
	int fd = peer_conn(F, 'D', 0), lowat = 8, q = 0, i, r;
	struct pollfd p;
	char buf[16];

	if (fd < 0)
		return FAILED;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat))) {
		note("SO_RCVLOWAT: %s", strerror(errno));
		close(fd);
		return FAILED;
	}
	for (i = 0; i < 100 && q < 4; i++) {	/* until "abcd" is queued */
		ioctl(fd, FIONREAD, &q);
		if (q < 4)
			sleep_ms(10);
	}
	p = (struct pollfd){ fd, POLLIN, 0 };
	r = poll(&p, 1, 0);
	ioctl(fd, FIONREAD, &q);
	if (r && q < lowat) {	/* "efgh" not there yet: not readable */
		note("POLLIN with %d bytes queued, SO_RCVLOWAT %d", q, lowat);
		close(fd);
		return FAILED;
	}
	r = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (r != 8) {
		note("recv with SO_RCVLOWAT 8 returned %d", r);
		return FAILED;
	}
	return 0;
}

/* ---- runner -------------------------------------------------------------- */

enum kind {
	K_SAME,		/* errno must equal TCP's (documented: @want) */
	K_FIXED,	/* errno must be @want; TCP differs by design */
	K_KWIK,		/* kwik-only case, must give @want */
};

struct tcase {
	const char *desc;
	int (*fn)(struct fam *F);
	enum kind kind;
	int want;
};

static const struct tcase cases[] = {
	{ "socket(SOCK_DGRAM)", c_socket_dgram, K_KWIK, ESOCKTNOSUPPORT },
	{ "socket(SOCK_SEQPACKET)", c_socket_seqpacket, K_KWIK, ESOCKTNOSUPPORT },
	{ "socket(SOCK_STREAM, protocol 99)", c_socket_proto, K_SAME, EPROTONOSUPPORT },
	{ "socket(SOCK_NONBLOCK) sets O_NONBLOCK", c_socket_flags, K_SAME, 0 },
	{ "SO_TYPE, SO_ACCEPTCONN, SO_DOMAIN", c_so_type, K_SAME, 0 },
	{ "bind with addrlen one short", c_bind_short, K_SAME, EINVAL },
	{ "bind with a wrong family", c_bind_family, K_SAME, EAFNOSUPPORT },
	{ "bind to service 0", c_bind_service0, K_KWIK, EINVAL },
	{ "bind with kw_reserved != 0", c_bind_reserved, K_KWIK, EINVAL },
	{ "bind with kw_session != 0", c_bind_session, K_KWIK, EINVAL },
	{ "bind twice", c_bind_twice, K_SAME, EINVAL },
	{ "bind to an address bound by another socket", c_bind_inuse, K_SAME, EADDRINUSE },
	{ "bind again after the listener closed", c_bind_reuse_after_close, K_KWIK, 0 },
	{ "getsockname returns the bound address", c_getsockname_bound, K_SAME, 0 },
	{ "listen on an unbound socket (no ephemeral service)", c_listen_unbound, K_FIXED, EINVAL },
	{ "listen on a connected socket", c_listen_connected, K_SAME, EINVAL },
	{ "idle listener is not ready in poll", c_poll_listen_idle, K_SAME, 0 },
	{ "accept on an unbound socket", c_accept_unbound, K_SAME, EINVAL },
	{ "accept on a bound, not listening socket", c_accept_bound, K_SAME, EINVAL },
	{ "accept on a connected socket", c_accept_connected, K_SAME, EINVAL },
	{ "accept non-blocking with nothing pending", c_accept_nonblock, K_SAME, EAGAIN },
	{ "connect with addrlen one short", c_connect_short, K_SAME, EINVAL },
	{ "connect with a wrong family", c_connect_family, K_SAME, EAFNOSUPPORT },
	{ "connect with kw_session != 0", c_connect_session, K_KWIK, EINVAL },
	{ "connect on a listening socket", c_connect_listening, K_SAME, EISCONN },
	{ "connect twice", c_connect_twice, K_SAME, EISCONN },
	{ "non-blocking connect: EINPROGRESS, POLLOUT, SO_ERROR 0", c_connect_nonblock, K_SAME, 0 },
	{ "connect again after a non-blocking connect completed returns 0", c_connect_nonblock_again, K_SAME, 0 },
	{ "connect to a service nobody listens on", c_connect_refused, K_SAME, ECONNREFUSED },
	{ "non-blocking connect to a service nobody listens on: SO_ERROR", c_connect_refused_nb, K_SAME, ECONNREFUSED },
	{ "connect to a service with no path", c_connect_unreach, K_KWIK, ENETUNREACH },
	{ "getpeername/getsockname after connect: service and session", c_getpeername_connected, K_SAME, 0 },
	{ "getpeername on an unconnected socket", c_getpeername_unconnected, K_SAME, ENOTCONN },
	{ "recv on an unconnected socket", c_recv_unconnected, K_SAME, ENOTCONN },
	{ "recv on a listening socket", c_recv_listening, K_SAME, ENOTCONN },
	{ "send on an unconnected socket", c_send_unconnected, K_SAME, EPIPE },
	{ "shutdown on an unconnected socket", c_shutdown_unconnected, K_SAME, ENOTCONN },
	{ "shutdown with a bad how", c_shutdown_badhow, K_SAME, EINVAL },
	{ "send after shutdown(SHUT_WR)", c_send_after_shutdown, K_SAME, EPIPE },
	{ "send after SHUT_WR without MSG_NOSIGNAL raises SIGPIPE", c_sigpipe, K_SAME, 0 },
	{ "MSG_NOSIGNAL suppresses SIGPIPE", c_nosignal, K_SAME, EPIPE },
	{ "recv MSG_DONTWAIT with no data", c_recv_dontwait, K_SAME, EAGAIN },
	{ "recv on an O_NONBLOCK socket with no data", c_recv_nonblock, K_SAME, EAGAIN },
	{ "MSG_PEEK leaves the data queued", c_peek, K_SAME, 0 },
	{ "MSG_WAITALL waits for the full amount", c_waitall, K_SAME, 0 },
	{ "MSG_WAITALL returns short at EOF", c_waitall_eof, K_SAME, 0 },
	{ "poll: POLLOUT when writable, POLLIN only with data", c_poll_states, K_SAME, 0 },
	{ "epoll: EPOLLIN edge when data arrives", c_epoll, K_SAME, 0 },
	{ "peer's SHUT_WR: POLLIN|POLLRDHUP, EOF, our direction still works", c_peer_shutdown_eof, K_SAME, 0 },
	{ "our SHUT_WR: the peer still sends, then EOF", c_half_close, K_SAME, 0 },
	{ "peer closes at once: recv gives EOF", c_peer_closed, K_SAME, 0 },
	{ "close with pending data: all of it delivered", c_close_pending, K_SAME, 0 },
	{ "50 sessions one after the other", c_many_sequential, K_SAME, 0 },
	{ "accept()'s address and getsockname match the client's view", c_accept_addr, K_SAME, 0 },
	{ "peer closes with our data unread: recv gives ECONNRESET", c_peer_abort_unread, K_SAME, ECONNRESET },
	{ "peer closes with SO_LINGER 0: recv gives ECONNRESET", c_peer_abort_linger, K_SAME, ECONNRESET },
	{ "send after the peer's abortive close", c_send_after_reset, K_SAME, ECONNRESET },
	{ "recv after shutdown(SHUT_RD) returns 0", c_shut_rd, K_SAME, 0 },
	{ "shutdown(SHUT_WR) twice", c_shut_wr_twice, K_SAME, 0 },
	{ "connect again after a refused connect", c_connect_after_refused, K_SAME, 0 },
	{ "writev, then recvmsg MSG_WAITALL over three iovecs", c_iovecs, K_SAME, 0 },
	{ "sendfile into the socket, splice out of it", c_sendfile_splice, K_SAME, 0 },
	{ "poll on a fresh socket", c_poll_fresh, K_SAME, REVENTS + (POLLOUT | POLLHUP) },
	{ "poll after both directions closed", c_poll_closed_both, K_SAME, REVENTS + (POLLIN | POLLOUT | POLLHUP | POLLRDHUP) },
	{ "FIONREAD counts queued bytes", c_fionread, K_SAME, 0 },
	{ "FIONREAD on a listening socket", c_fionread_listen, K_SAME, EINVAL },
	{ "SO_SNDBUF/SO_RCVBUF are doubled like TCP", c_bufsizes, K_SAME, 0 },
	{ "SO_RCVLOWAT: poll and recv wait for the low-water mark", c_rcvlowat, K_SAME, 0 },
	{ "SO_RCVTIMEO: recv times out", c_rcvtimeo, K_SAME, EAGAIN },
	{ "SO_SNDTIMEO: send times out when the peer does not read", c_sndtimeo, K_SAME, EAGAIN },
	{ "SO_ERROR on a healthy connection", c_so_error, K_SAME, 0 },
	{ "setsockopt with an unknown level", c_sockopt_badlevel, K_SAME, ENOPROTOOPT },
	{ "getsockopt with an unknown level", c_getsockopt_badlevel, K_SAME, EOPNOTSUPP },
	{ "setsockopt with an unknown option", c_sockopt_badname, K_SAME, ENOPROTOOPT },
	{ "getsockopt with an unknown option", c_getsockopt_badname, K_SAME, ENOPROTOOPT },
	{ "setsockopt with a short optlen", c_sockopt_badlen, K_SAME, EINVAL },
	{ "KWIK_CONNECT_TIMEOUT -1", c_connect_timeout_neg, K_KWIK, EINVAL },
	{ "KWIK_CONNECT_TIMEOUT set and get", c_connect_timeout_get, K_KWIK, 0 },
	{ "setsockopt KWIK_INFO (read-only, like TCP_INFO)", c_info_set, K_SAME, ENOPROTOOPT },
	{ "KWIK_INFO on an unconnected socket", c_info_unconnected, K_KWIK, 0 },
	{ "KWIK_INFO on a connected socket is plausible", c_info_connected, K_KWIK, 0 },
	{ "send MSG_OOB (no urgent data)", c_send_oob, K_FIXED, EOPNOTSUPP },
	{ "recv MSG_OOB (no urgent data)", c_recv_oob, K_FIXED, EOPNOTSUPP },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int run_tcp_only(void)
{
	unsigned int i, n = 0, bad = 0;

	printf("TAP version 13\n1..%zu\n", NCASES);
	printf("# reference run: plain TCP over loopback\n");
	for (i = 0; i < NCASES; i++) {
		const struct tcase *c = &cases[i];
		int e;

		n++;
		if (!selected(n)) {
			printf("ok %u - tcp: %s # SKIP not selected\n", n, c->desc);
			continue;
		}
		if (c->kind != K_SAME) {
			printf("ok %u - tcp: %s # SKIP no TCP counterpart\n",
			       n, c->desc);
			continue;
		}
		msg[0] = 0;
		e = c->fn(&TCP);
		if (e == c->want) {
			printf("ok %u - tcp: %s: %s\n", n, c->desc, ename(e));
		} else {
			bad++;
			printf("not ok %u - tcp: %s # got %s expected %s%s%s\n",
			       n, c->desc, ename(e), ename(c->want),
			       msg[0] ? ": " : "", msg);
		}
		fflush(stdout);
	}
	return bad ? 1 : 0;
}

static int run_client(void)
{
	unsigned int i, n = 0, bad = 0;

	printf("TAP version 13\n1..%zu\n", NCASES);
	printf("# AF_KWIK = %d, service %u; expected errnos measured on TCP over loopback\n",
	       KWIK.domain, KWIK.service);
	fflush(stdout);
	for (i = 0; i < NCASES; i++) {
		const struct tcase *c = &cases[i];
		int want = c->want, e, t;
		char tnote[sizeof(msg)] = "";

		n++;
		if (!selected(n)) {
			printf("ok %u - %s # SKIP not selected (-k)\n", n, c->desc);
			continue;
		}
		if (c->kind == K_SAME) {
			msg[0] = 0;
			t = c->fn(&TCP);
			if (t == FAILED) {
				printf("# tcp reference for '%s' failed: %s\n",
				       c->desc, msg);
			} else {
				if (t != want)
					snprintf(tnote, sizeof(tnote),
						 " (documented %s, TCP on this host gives %s)",
						 ename(want), ename(t));
				want = t;
			}
		}
		msg[0] = 0;
		e = c->fn(&KWIK);
		if (e == want) {
			printf("ok %u - %s: %s%s\n", n, c->desc, ename(e),
			       tnote);
		} else {
			bad++;
			if (e == FAILED)
				printf("not ok %u - %s # %s\n", n, c->desc, msg);
			else
				printf("not ok %u - %s # got %s expected %s%s%s%s\n",
				       n, c->desc, ename(e), ename(want), tnote,
				       msg[0] ? ": " : "", msg);
		}
		fflush(stdout);
	}
	printf("# %u of %u failed\n", bad, n);
	return bad ? 1 : 0;
}

static int run_server(uint32_t service, const char *ready)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = xsocket(&KWIK, 0);

	if (lfd < 0) {
		fprintf(stderr, "kwik_sockapi server: socket(%d): %s\n",
			KWIK.domain, strerror(errno));
		return 1;
	}
	kwik_addr(&ss, &len, service);
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 128)) {
		fprintf(stderr, "kwik_sockapi server: bind/listen service %u: %s\n",
			service, strerror(errno));
		return 1;
	}
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}
	peer_loop(lfd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kwik_sockapi server -s SERVICE [--ready FILE]\n"
		"       kwik_sockapi client -s SERVICE -r REFUSED_SERVICE -u UNREACH_SERVICE [-b BIND_BASE]\n"
		"       kwik_sockapi tcp\n"
		"  -k LIST   run only these case numbers (e.g. 3,10-12)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ready", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t svc = 0, refused = 0, unreach = 0, base = 40000;
	const char *ready = NULL, *what;
	int c, rc;

	if (argc < 2)
		usage();
	what = argv[1];
	argv[1] = argv[0];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "s:r:u:b:k:", lo, NULL)) != -1) {
		switch (c) {
		case 's': svc = strtoul(optarg, NULL, 0); break;
		case 'r': refused = strtoul(optarg, NULL, 0); break;
		case 'u': unreach = strtoul(optarg, NULL, 0); break;
		case 'b': base = strtoul(optarg, NULL, 0); break;
		case 'k': only = optarg; break;
		case 'R': ready = optarg; break;
		default: usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	KWIK.name = "kwik";
	KWIK.kwik = true;
	KWIK.domain = kwik_family_now();
	if (!strcmp(what, "server")) {
		if (!svc)
			usage();
		return run_server(svc, ready);
	}
	start_tcp_helper();
	if (!strcmp(what, "tcp")) {
		rc = run_tcp_only();
	} else if (!strcmp(what, "client")) {
		if (!svc || !refused || !unreach)
			usage();
		KWIK.service = svc;
		KWIK.bind_next = base;
		kwik_addr(&KWIK.srv, &KWIK.srvlen, svc);
		kwik_addr(&KWIK.refused, &KWIK.refusedlen, refused);
		kwik_addr(&KWIK.unreach, &KWIK.unreachlen, unreach);
		/* kwik's own connect timeout keeps the failing cases short */
		rc = run_client();
	} else {
		usage();
		rc = 2;
	}
	kill(-TCP.helper, SIGKILL);
	kill(TCP.helper, SIGKILL);
	waitpid(TCP.helper, NULL, 0);
	return rc;
}
