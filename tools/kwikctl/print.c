// SPDX-License-Identifier: GPL-2.0
/* Output: aligned text tables, a minimal JSON writer, value names. */
#define _GNU_SOURCE	/* strerrorname_np() */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kwikctl.h"

struct kc_table {
	int ncols;
	const char *const *headers;
	char **cells;		/* nrows * ncols, row-major */
	int nrows;
};

static void *kc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		kc_error("out of memory");
		exit(KC_EXIT_FAIL);
	}
	return p;
}

struct kc_table *kc_table_new(int ncols, const char *const *headers)
{
	struct kc_table *t = kc_xrealloc(NULL, sizeof(*t));

	t->ncols = ncols;
	t->headers = headers;
	t->cells = NULL;
	t->nrows = 0;
	return t;
}

/* Add one row: exactly ncols strings, copied. */
void kc_table_row(struct kc_table *t, ...)
{
	size_t base = (size_t)t->nrows * t->ncols;
	va_list ap;
	int i;

	t->cells = kc_xrealloc(t->cells,
			       (base + t->ncols) * sizeof(*t->cells));
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[base + i] = strdup(s ? s : "-");
		if (!t->cells[base + i]) {
			kc_error("out of memory");
			exit(KC_EXIT_FAIL);
		}
	}
	va_end(ap);
	t->nrows++;
}

static void kc_table_line(const struct kc_table *t, const int *w,
			  const char *const *cells)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		if (i == t->ncols - 1)
			printf("%s\n", cells[i]);
		else
			printf("%-*s  ", w[i], cells[i]);
	}
}

/* Print and free: header, then rows, columns two blanks apart. */
void kc_table_print(struct kc_table *t)
{
	int *w = kc_xrealloc(NULL, t->ncols * sizeof(*w));
	int r, i;

	for (i = 0; i < t->ncols; i++)
		w[i] = strlen(t->headers[i]);
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			int l = strlen(t->cells[r * t->ncols + i]);

			if (l > w[i])
				w[i] = l;
		}

	kc_table_line(t, w, t->headers);
	for (r = 0; r < t->nrows; r++)
		kc_table_line(t, w, (const char *const *)&t->cells[r * t->ncols]);

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	free(t);
}

/*
 * JSON writer: compact, one document per line.  Nesting depth is small
 * and fixed by the object shapes.
 */
#define KC_JSON_DEPTH 8
static bool json_need_comma[KC_JSON_DEPTH];
static int json_depth;

static void kc_json_key(const char *key)
{
	if (json_depth > 0 && json_need_comma[json_depth - 1])
		putchar(',');
	if (json_depth > 0)
		json_need_comma[json_depth - 1] = true;
	if (key)
		printf("\"%s\":", key);
}

static void kc_json_push(char c)
{
	putchar(c);
	if (json_depth < KC_JSON_DEPTH)
		json_need_comma[json_depth] = false;
	json_depth++;
}

void kc_json_open_array(const char *key)
{
	kc_json_key(key);
	kc_json_push('[');
}

void kc_json_close_array(void)
{
	json_depth--;
	putchar(']');
}

void kc_json_open_object(const char *key)
{
	kc_json_key(key);
	kc_json_push('{');
}

void kc_json_close_object(void)
{
	json_depth--;
	putchar('}');
}

void kc_json_str(const char *key, const char *val)
{
	const unsigned char *p;

	kc_json_key(key);
	putchar('"');
	for (p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

void kc_json_uint(const char *key, uint64_t val)
{
	kc_json_key(key);
	printf("%" PRIu64, val);
}

void kc_json_bool(const char *key, bool val)
{
	kc_json_key(key);
	fputs(val ? "true" : "false", stdout);
}

void kc_json_null(const char *key)
{
	kc_json_key(key);
	fputs("null", stdout);
}

void kc_json_end_line(void)
{
	putchar('\n');
	json_depth = 0;
}

/* ---- names ---------------------------------------------------------- */

#define KC_NAME(tbl, v) \
	((v) < sizeof(tbl) / sizeof(tbl[0]) && tbl[v] ? tbl[v] : "unknown")

const char *kc_transport_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_TRANSPORT_TCP] = "tcp",
		[KWIK_TRANSPORT_QUIC] = "quic",
	};
	return KC_NAME(n, v);
}

/* A table's TRANSPORT column: "tcp", or "tcp/bbr" with a congestion control. */
const char *kc_transport_fmt(struct nlattr *transport, struct nlattr *cc,
			     char *buf, size_t size)
{
	const char *t = kc_transport_name(kc_u8(transport));

	if (!cc)
		return t;
	snprintf(buf, size, "%s/%s", t, nla_get_string(cc));
	return buf;
}

/* "cc NAME": a TCP congestion control name, checked by the kernel. */
void kc_put_cc(struct nl_msg *msg, int type, const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n >= KWIK_CC_NAME_MAX)
		kc_usage_error("cc must be 1..%d characters", KWIK_CC_NAME_MAX - 1);
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			kc_usage_error("invalid cc \"%s\" (a name such as bbr or cubic)",
				       name);
	nla_put_string(msg, type, name);
}

const char *kc_security_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_SECURITY_TLS] = "tls",
		[KWIK_SECURITY_PSK] = "psk",
		[KWIK_SECURITY_NONE] = "insecure",
	};
	return KC_NAME(n, v);
}

const char *kc_priority_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_PRIORITY_PRIMARY] = "primary",
		[KWIK_PRIORITY_BACKUP] = "backup",
	};
	return KC_NAME(n, v);
}

const char *kc_path_state_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_PATH_S_CONNECTING] = "connecting",
		[KWIK_PATH_S_HANDSHAKE] = "handshake",
		[KWIK_PATH_S_UP] = "up",
		[KWIK_PATH_S_DOWN] = "down",
		[KWIK_PATH_S_CLOSED] = "closed",
	};
	return KC_NAME(n, v);
}

const char *kc_listener_state_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_LISTENER_S_LISTENING] = "listening",
		[KWIK_LISTENER_S_FAILED] = "failed",
	};
	return KC_NAME(n, v);
}

const char *kc_session_state_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_SS_CLOSED] = "closed",
		[KWIK_SS_LISTEN] = "listen",
		[KWIK_SS_CONNECTING] = "connecting",
		[KWIK_SS_ESTABLISHED] = "established",
		[KWIK_SS_FIN_WAIT] = "fin-wait",
		[KWIK_SS_CLOSE_WAIT] = "close-wait",
		[KWIK_SS_CLOSING] = "closing",
	};
	return KC_NAME(n, v);
}

const char *kc_role_name(uint8_t v)
{
	static const char *const n[] = {
		[KWIK_ROLE_CLIENT] = "client",
		[KWIK_ROLE_SERVER] = "server",
	};
	return KC_NAME(n, v);
}

/* "-" for no error, else the errno's symbolic name ("ECONNREFUSED"). */
const char *kc_errno_name(uint32_t err, char *buf, size_t size)
{
	const char *name;

	if (!err)
		return "-";
	name = err < 4096 ? strerrorname_np((int)err) : NULL;
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "E%u", err);
	return buf;
}

const char *kc_u64(uint64_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

/* Byte counts: exact with -n, else 1024-based units ("1.5M"). */
const char *kc_bytes(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (kc_numeric || v < 1024)
		return kc_u64(v, buf, size);
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
	return buf;
}

int kc_parse_transport(const char *s)
{
	if (!strcmp(s, "tcp"))
		return KWIK_TRANSPORT_TCP;
	if (!strcmp(s, "quic"))
		return KWIK_TRANSPORT_QUIC;
	return -1;
}

int kc_parse_security(const char *s)
{
	if (!strcmp(s, "tls"))
		return KWIK_SECURITY_TLS;
	if (!strcmp(s, "psk"))
		return KWIK_SECURITY_PSK;
	if (!strcmp(s, "none") || !strcmp(s, "insecure"))
		return KWIK_SECURITY_NONE;
	return -1;
}
