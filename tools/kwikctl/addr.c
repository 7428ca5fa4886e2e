// SPDX-License-Identifier: GPL-2.0
/*
 * Socket addresses on the command line and in netlink attributes:
 * "1.2.3.4:80", "[2001:db8::1]:80", "[fe80::1%eth0]:80"; where the port
 * is optional also "1.2.3.4", "[2001:db8::1]" and "2001:db8::1".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "kwikctl.h"

static int kc_port_parse(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Split "host%scope": fill the scope ID of a link-local address. */
static int kc_scope_parse(char *host, uint32_t *scope)
{
	char *pct = strchr(host, '%');
	unsigned int idx;

	*scope = 0;
	if (!pct)
		return 0;
	*pct++ = '\0';
	idx = if_nametoindex(pct);
	if (!idx)
		return -ENODEV;
	*scope = idx;
	return 0;
}

int kc_addr_parse(const char *s, bool need_port, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *port_str = NULL;
	uint16_t port = 0;
	char *host, *p;
	uint32_t scope;

	memset(ss, 0, sizeof(*ss));
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	host = buf;

	if (host[0] == '[') {
		p = strchr(host, ']');
		if (!p)
			return -EINVAL;
		*p++ = '\0';
		host++;
		if (*p == ':')
			port_str = p + 1;
		else if (*p)
			return -EINVAL;
	} else {
		p = strrchr(host, ':');
		/* Exactly one colon: IPv4 with a port; more: bare IPv6. */
		if (p && p == strchr(host, ':')) {
			*p = '\0';
			port_str = p + 1;
		}
	}

	if (port_str && kc_port_parse(port_str, &port))
		return -EINVAL;
	if (need_port && !port)
		return -EINVAL;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (kc_scope_parse(host, &scope))
		return -ENODEV;
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_scope_id = scope;
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

/* Format an address attribute; "-" if absent or malformed. */
const char *kc_addr_fmt(const struct nlattr *attr, char *buf, size_t size)
{
	struct sockaddr_storage ss = { 0 };
	const struct sockaddr_in6 *sin6 = (const void *)&ss;
	const struct sockaddr_in *sin = (const void *)&ss;
	char host[INET6_ADDRSTRLEN];
	char scope[IF_NAMESIZE + 1] = "";
	int len;

	snprintf(buf, size, "-");
	if (!attr)
		return buf;
	len = nla_len(attr);
	if (len < (int)sizeof(sa_family_t) || len > (int)sizeof(ss))
		return buf;
	memcpy(&ss, nla_data(attr), len);

	if (ss.ss_family == AF_INET && len == sizeof(*sin)) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		if (sin->sin_port)
			snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
		else
			snprintf(buf, size, "%s", host);
	} else if (ss.ss_family == AF_INET6 && len == sizeof(*sin6)) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (sin6->sin6_scope_id) {
			scope[0] = '%';
			if (!if_indextoname(sin6->sin6_scope_id, scope + 1))
				snprintf(scope, sizeof(scope), "%%%u",
					 sin6->sin6_scope_id);
		}
		if (sin6->sin6_port)
			snprintf(buf, size, "[%s%s]:%u", host, scope,
				 ntohs(sin6->sin6_port));
		else
			snprintf(buf, size, "%s%s", host, scope);
	}
	return buf;
}
