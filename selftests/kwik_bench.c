// SPDX-License-Identifier: GPL-2.0
/*
 * kwik_bench - one-way bulk transfer benchmark over AF_KWIK, plain TCP,
 * TCP with kTLS or MPTCP (IPPROTO_MPTCP), measured at the receiver.
 *
 *   kwik_bench server -f kwik -s SERVICE [--ready FILE] [-t S]
 *   kwik_bench server -f tcp|ktls|mptcp -a ADDR:PORT ...
 *   kwik_bench client -f kwik -s SERVICE -b BYTES [--sched NAME]
 *                     [--nopath-timeout MS] [--progress FILE]
 *   kwik_bench client -f tcp|ktls|mptcp -a ADDR:PORT -b BYTES
 *
 * ktls is TCP with kernel TLS (TLS 1.3, AES-256-GCM, the cipher tlshd
 * picks for Kwik's TLS paths) keyed with a fixed key and no handshake: a
 * baseline for the cost of kTLS itself, never a secure channel.
 *
 * The client sends BYTES of a deterministic pattern (--seed), half-closes
 * and waits for the server's 16-byte receipt (byte count, FNV-1a 64), so
 * its exit status says the data arrived; the server serves one connection,
 * verifies every byte and prints one line:
 *
 *   bench role=server fam=F bytes=N secs=S goodput_mbit=G max_gap_ms=M
 *         gap_at_s=T peak_buffered=P verify=ok|BAD fnv=X
 *
 *   secs          first byte received to EOF
 *   goodput_mbit  payload bits / secs / 1e6
 *   max_gap_ms    the longest time between two successive reads that
 *                 returned data (the delivery stall a failover causes);
 *                 gap_at_s: when that gap ended, from the first byte
 *   peak_buffered the most receive memory the socket held (SO_MEMINFO
 *                 rmem_alloc, which counts in-order and out-of-order data;
 *                 FIONREAD where SO_MEMINFO is not available), sampled every
 *                 2 ms by a thread and before every read
 *
 * --progress FILE (either side) rewrites FILE with the bytes moved so far,
 * at most every 100 ms, so a script can poll for progress.
 *
 * Exit: 0 ok, 1 error or data mismatch, 2 usage, 3 timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/kwik.h>

#include "kwik_util.h"
#include <linux/tls.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
/*
 * SOL_KWIK options of the multipath kernel (<linux/kwik.h> there):
 * KWIK_SCHEDULER (string) and KWIK_NOPATH_TIMEOUT (int, ms).  Numbered
 * here so this builds against either header; an older kernel answers
 * ENOPROTOOPT, which is reported.
 */
#define KB_SO_SCHEDULER		3
#define KB_SO_NOPATH_TIMEOUT	4

#define CHUNK		65536

enum fam { F_KWIK, F_TCP, F_MPTCP, F_KTLS };
static const char *const fam_name[] = { "kwik", "tcp", "mptcp", "ktls" };

static struct {
	bool server;
	enum fam fam;
	uint32_t service;
	const char *addr, *ready, *progress, *sched;
	uint64_t bytes, seed;
	int timeout, nopath_ms, rcvbuf;
} O = { .bytes = 16 << 20, .seed = 1, .timeout = 300, .nopath_ms = -1 };

static atomic_int sample_fd = -1;
static atomic_long peak;
static atomic_bool sampling;
static bool meminfo_ok = true;

static void die(const char *what)
{
	fprintf(stderr, "kwik_bench: %s: %s (%s)\n", what, strerror(errno),
		strerrorname_np(errno));
	exit(1);
}

/* Byte @off of the stream of @seed, 8 bytes per splitmix64 step. */
static uint64_t word(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + idx + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(unsigned char *buf, uint64_t off, size_t len)
{
	size_t i = 0;
	uint64_t w;
	int k;

	for (; i < len && (off & 7); i++, off++)
		buf[i] = word(O.seed, off >> 3) >> ((off & 7) * 8);
	for (; i + 8 <= len; i += 8, off += 8) {
		w = word(O.seed, off >> 3);
		for (k = 0; k < 8; k++)
			buf[i + k] = w >> (k * 8);
	}
	for (; i < len; i++, off++)
		buf[i] = word(O.seed, off >> 3) >> ((off & 7) * 8);
}

static int family(void)
{
	return O.fam == F_KWIK ? kwik_family_now() : AF_INET;
}

static socklen_t addr_of(struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (O.fam == F_KWIK) {
		struct sockaddr_kwik *a = (void *)ss;

		a->kw_family = family();
		a->kw_service = O.service;
		return sizeof(*a);
	} else {
		struct sockaddr_in *sin = (void *)ss;
		char host[64];
		const char *c = O.addr ? strrchr(O.addr, ':') : NULL;

		if (!c || c - O.addr >= (long)sizeof(host)) {
			fprintf(stderr, "kwik_bench: -a IPv4:PORT needed\n");
			exit(2);
		}
		memcpy(host, O.addr, c - O.addr);
		host[c - O.addr] = 0;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(c + 1));
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			fprintf(stderr, "kwik_bench: bad address %s\n", O.addr);
			exit(2);
		}
		return sizeof(*sin);
	}
}

/* kTLS both ways with fixed keys: direction 0 is client to server. */
static void ktls_setup(int fd)
{
	struct tls12_crypto_info_aes_gcm_256 ci[2];
	int d;

	for (d = 0; d < 2; d++) {
		memset(&ci[d], 0, sizeof(ci[d]));
		ci[d].info.version = TLS_1_3_VERSION;
		ci[d].info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memset(ci[d].key, 0x4b + d, sizeof(ci[d].key));
		memset(ci[d].iv, 0x69 + d, sizeof(ci[d].iv));
		memset(ci[d].salt, 0x77 + d, sizeof(ci[d].salt));
	}
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
		die("setsockopt(TCP_ULP, tls)");
	if (setsockopt(fd, SOL_TLS, TLS_TX, &ci[O.server], sizeof(ci[0])) < 0)
		die("setsockopt(SOL_TLS, TLS_TX)");
	if (setsockopt(fd, SOL_TLS, TLS_RX, &ci[!O.server], sizeof(ci[0])) < 0)
		die("setsockopt(SOL_TLS, TLS_RX)");
}

static int new_socket(void)
{
	int proto = O.fam == F_MPTCP ? IPPROTO_MPTCP : 0;
	int fd = socket(family(), SOCK_STREAM, proto);

	if (fd < 0)
		die("socket");
	if (O.rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &O.rcvbuf,
			   sizeof(O.rcvbuf));
	return fd;
}

static void progress(uint64_t n, bool force)
{
	static double last;
	char tmp[512];
	double t = now();
	FILE *f;

	if (!O.progress || (!force && t - last < 0.1))
		return;
	last = t;
	snprintf(tmp, sizeof(tmp), "%s.tmp", O.progress);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%" PRIu64 "\n", n);
	fclose(f);
	rename(tmp, O.progress);
}

/* Receive memory the socket holds now. */
static long buffered(int fd)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	int n = 0;

	if (meminfo_ok) {
		if (!getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) &&
		    len > SK_MEMINFO_RMEM_ALLOC * sizeof(uint32_t))
			return mi[SK_MEMINFO_RMEM_ALLOC];
		meminfo_ok = false;
	}
	if (ioctl(fd, FIONREAD, &n) < 0)
		return 0;
	return n;
}

static void note_peak(int fd)
{
	long b = buffered(fd), p = atomic_load(&peak);

	while (b > p && !atomic_compare_exchange_weak(&peak, &p, b))
		;
}

static void *sampler(void *arg)
{
	struct timespec ts = { 0, 2000000 };

	(void)arg;
	while (atomic_load(&sampling)) {
		int fd = atomic_load(&sample_fd);

		if (fd >= 0)
			note_peak(fd);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int run_server(void)
{
	struct sockaddr_storage ss;
	socklen_t alen = addr_of(&ss);
	unsigned char *buf = malloc(CHUNK), *want = malloc(CHUNK);
	uint64_t got = 0, h = FNV_INIT, bad_at = UINT64_MAX;
	double t0 = 0, tlast = 0, gap = 0, gap_at = 0, deadline;
	unsigned char rcpt[16];
	pthread_t th;
	int lfd, fd, one = 1, i;
	struct pollfd pfd;

	if (!buf || !want)
		die("malloc");
	lfd = new_socket();
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, alen) < 0)
		die("bind");
	if (listen(lfd, 4) < 0)
		die("listen");
	if (O.ready)
		close(open(O.ready, O_CREAT | O_WRONLY, 0644));
	deadline = now() + O.timeout;
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&pfd, 1, O.timeout * 1000) != 1) {
		fprintf(stderr, "kwik_bench: no connection in %d s\n",
			O.timeout);
		return 3;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	/*
	 * MPTCP's extra subflows (MP_JOIN SYNs) are accepted by the listening
	 * socket: closing it now left MPTCP on one subflow.
	 */
	if (O.fam != F_MPTCP)
		close(lfd);
	if (O.fam == F_KTLS)
		ktls_setup(fd);
	atomic_store(&sample_fd, fd);
	atomic_store(&sampling, true);
	pthread_create(&th, NULL, sampler, NULL);

	for (;;) {
		ssize_t n;

		note_peak(fd);
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 1000) == 0) {
			if (now() > deadline) {
				fprintf(stderr, "kwik_bench: timeout after %"
					PRIu64 " bytes\n", got);
				return 3;
			}
			continue;
		}
		n = recv(fd, buf, CHUNK, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			die("recv");
		if (n == 0)
			break;
		{
			double t = now();

			if (!got)
				t0 = t;
			else if (t - tlast > gap) {
				gap = t - tlast;
				gap_at = t - t0;
			}
			tlast = t;
		}
		fill(want, got, n);
		if (bad_at == UINT64_MAX && memcmp(buf, want, n))
			for (i = 0; i < n; i++)
				if (buf[i] != want[i]) {
					bad_at = got + i;
					break;
				}
		h = fnv(h, buf, n);
		got += n;
		progress(got, false);
	}
	progress(got, true);
	atomic_store(&sampling, false);
	pthread_join(th, NULL);
	atomic_store(&sample_fd, -1);

	for (i = 0; i < 8; i++) {
		rcpt[i] = got >> (56 - 8 * i);
		rcpt[8 + i] = h >> (56 - 8 * i);
	}
	if (send(fd, rcpt, sizeof(rcpt), MSG_NOSIGNAL) != sizeof(rcpt))
		perror("kwik_bench: receipt");
	shutdown(fd, SHUT_WR);
	/* Wait for the client's close so the receipt is not reset away. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	poll(&pfd, 1, 10000);
	close(fd);
	if (O.fam == F_MPTCP)
		close(lfd);

	{
		double secs = tlast - t0;

		printf("bench role=server fam=%s bytes=%" PRIu64 " secs=%.3f "
		       "goodput_mbit=%.3f max_gap_ms=%.1f gap_at_s=%.2f "
		       "peak_buffered=%ld buffered_src=%s verify=%s "
		       "fnv=%016" PRIx64 "\n",
		       fam_name[O.fam], got, secs,
		       secs > 0 ? got * 8 / secs / 1e6 : 0, gap * 1000,
		       gap_at, atomic_load(&peak),
		       meminfo_ok ? "meminfo" : "fionread",
		       bad_at == UINT64_MAX ? "ok" : "BAD", h);
	}
	if (bad_at != UINT64_MAX)
		fprintf(stderr, "kwik_bench: data differs at byte %" PRIu64
			"\n", bad_at);
	return bad_at == UINT64_MAX ? 0 : 1;
}

static int run_client(void)
{
	struct sockaddr_storage ss;
	socklen_t alen = addr_of(&ss);
	unsigned char *buf = malloc(CHUNK), rcpt[16];
	uint64_t sent = 0, h = FNV_INIT, rn = 0, rh = 0;
	double t0;
	size_t off = 0;
	int fd, i;
	struct timeval tv = { .tv_sec = O.timeout };

	if (!buf)
		die("malloc");
	fd = new_socket();
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (O.sched && setsockopt(fd, SOL_KWIK, KB_SO_SCHEDULER, O.sched,
				  strlen(O.sched)) < 0)
		die("setsockopt(SOL_KWIK, KWIK_SCHEDULER)");
	if (O.nopath_ms >= 0 &&
	    setsockopt(fd, SOL_KWIK, KB_SO_NOPATH_TIMEOUT, &O.nopath_ms,
		       sizeof(O.nopath_ms)) < 0)
		die("setsockopt(SOL_KWIK, KWIK_NOPATH_TIMEOUT)");
	t0 = now();
	if (connect(fd, (struct sockaddr *)&ss, alen) < 0)
		die("connect");
	if (O.fam == F_KTLS)
		ktls_setup(fd);
	while (sent < O.bytes) {
		size_t len = O.bytes - sent < CHUNK ? O.bytes - sent : CHUNK;
		ssize_t n;

		fill(buf, sent, len);
		off = 0;
		while (off < len) {
			n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "kwik_bench: send after %" PRIu64
					" bytes: %s (%s)\n", sent + off,
					strerror(errno), strerrorname_np(errno));
				return errno == EAGAIN ? 3 : 1;
			}
			off += n;
		}
		h = fnv(h, buf, len);
		sent += len;
		progress(sent, false);
	}
	progress(sent, true);
	shutdown(fd, SHUT_WR);
	for (off = 0; off < sizeof(rcpt);) {
		ssize_t n = recv(fd, rcpt + off, sizeof(rcpt) - off, 0);

		if (n <= 0) {
			fprintf(stderr, "kwik_bench: no receipt: %s (%s)\n",
				n ? strerror(errno) : "EOF",
				n ? strerrorname_np(errno) : "-");
			return n < 0 && errno == EAGAIN ? 3 : 1;
		}
		off += n;
	}
	for (i = 0; i < 8; i++) {
		rn = rn << 8 | rcpt[i];
		rh = rh << 8 | rcpt[8 + i];
	}
	close(fd);
	printf("bench role=client fam=%s bytes=%" PRIu64 " secs=%.3f "
	       "receipt=%s fnv=%016" PRIx64 "\n", fam_name[O.fam], sent,
	       now() - t0, rn == sent && rh == h ? "ok" : "BAD", h);
	return rn == sent && rh == h ? 0 : 1;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	}
	return v;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: kwik_bench server|client [options]\n"
		"  -f kwik|tcp|ktls|mptcp socket (default kwik; ktls: TCP with\n"
		"                         kernel TLS, fixed key, for baselines)\n"
		"  -s SERVICE             kwik service\n"
		"  -a ADDR:PORT           tcp/ktls/mptcp address (server: bind)\n"
		"  -b BYTES               client: bytes to send (k/M/G; 16M)\n"
		"  --seed N               data pattern seed (1)\n"
		"  -t SECONDS             give up after (300), exit 3\n"
		"  --sched NAME           kwik client: SOL_KWIK KWIK_SCHEDULER\n"
		"  --nopath-timeout MS    kwik client: SOL_KWIK KWIK_NOPATH_TIMEOUT\n"
		"  --rcvbuf N             SO_RCVBUF\n"
		"  --ready FILE           server: create FILE once listening\n"
		"  --progress FILE        write bytes moved so far to FILE\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "sched", required_argument, NULL, 'C' },
		{ "nopath-timeout", required_argument, NULL, 'N' },
		{ "rcvbuf", required_argument, NULL, 'R' },
		{ "ready", required_argument, NULL, 'r' },
		{ "progress", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "server"))
		O.server = true;
	else if (strcmp(argv[1], "client"))
		usage(!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ? 0 : 2);
	optind = 2;
	while ((opt = getopt_long(argc, argv, "f:s:a:b:t:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "kwik"))
				O.fam = F_KWIK;
			else if (!strcmp(optarg, "tcp"))
				O.fam = F_TCP;
			else if (!strcmp(optarg, "mptcp"))
				O.fam = F_MPTCP;
			else if (!strcmp(optarg, "ktls"))
				O.fam = F_KTLS;
			else
				usage(2);
			break;
		case 's': O.service = strtoul(optarg, NULL, 0); break;
		case 'a': O.addr = optarg; break;
		case 'b': O.bytes = parse_size(optarg); break;
		case 't': O.timeout = atoi(optarg); break;
		case 'S': O.seed = strtoull(optarg, NULL, 0); break;
		case 'C': O.sched = optarg; break;
		case 'N': O.nopath_ms = atoi(optarg); break;
		case 'R': O.rcvbuf = atoi(optarg); break;
		case 'r': O.ready = optarg; break;
		case 'p': O.progress = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	signal(SIGPIPE, SIG_IGN);
	alarm(O.timeout + 30);	/* a hard bound, whatever blocks */
	return O.server ? run_server() : run_client();
}
