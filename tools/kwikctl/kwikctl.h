/* SPDX-License-Identifier: GPL-2.0 */
/* kwikctl: control tool for the Kwik kernel module. */
#ifndef KWIKCTL_H
#define KWIKCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <linux/kwik.h>

#define KWIKCTL_VERSION "0.1"

/* Global options (main.c). */
extern bool kc_json;
extern bool kc_numeric;
extern bool kc_details;

/* Usage errors exit 2, runtime errors exit 1. */
#define KC_EXIT_FAIL	1
#define KC_EXIT_USAGE	2

void kc_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void kc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool kc_matches(const char *arg, const char *word);
bool kc_is_help(const char *arg);
uint32_t kc_parse_u32(const char *what, const char *s, uint32_t min,
		      uint32_t max);

/* nl.c: one generic netlink socket for the whole run. */
typedef int (*kc_parse_fn)(struct nlattr **tb, uint8_t cmd, void *arg);

void kc_nl_open(void);
void kc_nl_close(void);
struct nl_msg *kc_nl_msg(uint8_t cmd, int flags);
/* Send @msg, feed every reply to @fn; returns 0 or exits on error. */
int kc_nl_request(struct nl_msg *msg, kc_parse_fn fn, void *arg);
/* Dump @cmd, retrying if the table changed underneath. */
int kc_nl_dump(uint8_t cmd, kc_parse_fn fn, void *arg);
int kc_nl_monitor(kc_parse_fn fn, void *arg);

/* Objects of one type collected from replies, as copies of their nests. */
struct kc_objs {
	int type;		/* KWIK_A_PATH, ... */
	int n;
	struct nlattr **v;
};
/* @msg NULL: dump @cmd; else send @msg and collect its reply. */
void kc_nl_collect(uint8_t cmd, struct nl_msg *msg, struct kc_objs *objs);
void kc_objs_free(struct kc_objs *objs);

/* Attribute readers that tolerate a missing or short attribute. */
uint8_t kc_u8(const struct nlattr *a);
uint32_t kc_u32(const struct nlattr *a);
uint64_t kc_u64a(const struct nlattr *a);

/* addr.c */
int kc_addr_parse(const char *s, bool need_port, struct sockaddr_storage *ss,
		  socklen_t *len);
const char *kc_addr_fmt(const struct nlattr *attr, char *buf, size_t size);
#define KC_ADDR_STRLEN 80

/* print.c: aligned tables and a small JSON writer. */
struct kc_table;
struct kc_table *kc_table_new(int ncols, const char *const *headers);
void kc_table_row(struct kc_table *t, ...);
void kc_table_print(struct kc_table *t);

void kc_json_open_array(const char *key);
void kc_json_close_array(void);
void kc_json_open_object(const char *key);
void kc_json_close_object(void);
void kc_json_str(const char *key, const char *val);
void kc_json_uint(const char *key, uint64_t val);
void kc_json_bool(const char *key, bool val);
void kc_json_null(const char *key);
void kc_json_end_line(void);

/* Names of enum values, shared by tables and JSON. */
const char *kc_transport_name(uint8_t v);
const char *kc_security_name(uint8_t v);
const char *kc_transport_fmt(struct nlattr *transport, struct nlattr *cc,
			     char *buf, size_t size);
void kc_put_cc(struct nl_msg *msg, int type, const char *name);
const char *kc_priority_name(uint8_t v);
const char *kc_path_state_name(uint8_t v);
const char *kc_listener_state_name(uint8_t v);
const char *kc_session_state_name(uint8_t v);
const char *kc_role_name(uint8_t v);
const char *kc_errno_name(uint32_t err, char *buf, size_t size);
const char *kc_bytes(uint64_t v, char *buf, size_t size);
const char *kc_u64(uint64_t v, char *buf, size_t size);
int kc_parse_transport(const char *s);
int kc_parse_security(const char *s);

/* Objects. */
int kc_cmd_path(int argc, char **argv);
int kc_cmd_listener(int argc, char **argv);
int kc_cmd_service(int argc, char **argv);
int kc_cmd_session(int argc, char **argv);
int kc_cmd_monitor(int argc, char **argv);

/* Printing of one object, also used by the monitor. */
void kc_path_json(struct nlattr *nest);
void kc_session_json(struct nlattr *nest);
int kc_path_parse_nest(struct nlattr *nest, struct nlattr **tb);
int kc_session_parse_nest(struct nlattr *nest, struct nlattr **tb);

#endif /* KWIKCTL_H */
