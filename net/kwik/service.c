// SPDX-License-Identifier: GPL-2.0
/*
 * Services: the per-namespace table of what applications connect to.
 *
 * The table is small and changes only through netlink, so it is a plain
 * list on kn->services protected by kn->lock; nothing reads it without
 * that mutex.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/lockdep.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "path.h"
#include "pernet.h"
#include "sched.h"
#include "service.h"
#include "session.h"

static bool kwik_service_addr_eq(const struct sockaddr_storage *a,
				 const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6, *b6;
	const struct sockaddr_in *a4, *b4;

	if (a->ss_family != b->ss_family)
		return false;

	switch (a->ss_family) {
	case AF_INET:
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		       ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
	default:
		return false;
	}
}

struct kwik_service *kwik_service_find(struct kwik_net *kn, u32 id)
{
	struct kwik_service *svc;

	lockdep_assert_held(&kn->lock);

	list_for_each_entry(svc, &kn->services, node)
		if (svc->cfg.id == id)
			return svc;
	return NULL;
}

int kwik_service_add(struct kwik_net *kn, const struct kwik_service_cfg *cfg,
		     struct netlink_ext_ack *extack)
{
	struct kwik_service *svc;

	lockdep_assert_held(&kn->lock);

	if (!cfg->id) {
		NL_SET_ERR_MSG_MOD(extack, "service id must be non-zero");
		return -EINVAL;
	}
	if (cfg->flags) {
		NL_SET_ERR_MSG_MOD(extack, "unknown service flags");
		return -EINVAL;
	}
	if (cfg->scheduler[0]) {
		const struct kwik_sched_ops *ops = kwik_sched_get(cfg->scheduler);

		if (!ops) {
			NL_SET_ERR_MSG_MOD(extack, "unknown scheduler");
			return -ENOENT;
		}
		kwik_sched_put(ops);
	}
	/* The data path cannot hand sessions to a local TCP server yet. */
	if (cfg->forward.ss_family) {
		NL_SET_ERR_MSG_MOD(extack, "forwarding is not supported yet");
		return -EOPNOTSUPP;
	}

	list_for_each_entry(svc, &kn->services, node) {
		if (svc->cfg.id == cfg->id) {
			NL_SET_ERR_MSG_MOD(extack, "service already exists");
			return -EEXIST;
		}
		/* One match address must map to exactly one service. */
		if (cfg->match.ss_family &&
		    kwik_service_addr_eq(&svc->cfg.match, &cfg->match)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "match address already used by another service");
			return -EEXIST;
		}
	}

	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc) {
		NL_SET_ERR_MSG_MOD(extack, "out of memory");
		return -ENOMEM;
	}
	svc->cfg = *cfg;
	/* Callers may pass a name that is not terminated. */
	svc->cfg.name[sizeof(svc->cfg.name) - 1] = '\0';

	list_add_tail(&svc->node, &kn->services);
	kn->genid++;
	return 0;
}

static u32 kwik_service_paths(struct kwik_net *kn, u32 id)
{
	struct kwik_path *path = NULL;
	u32 n = 0;

	lockdep_assert_held(&kn->lock);

	while ((path = kwik_path_next(kn, path)))
		if (kwik_path_cfg(path)->service == id)
			n++;
	return n;
}

int kwik_service_del(struct kwik_net *kn, u32 id,
		     struct netlink_ext_ack *extack)
{
	struct kwik_service *svc;

	lockdep_assert_held(&kn->lock);

	svc = kwik_service_find(kn, id);
	if (!svc) {
		NL_SET_ERR_MSG_MOD(extack, "no such service");
		return -ENOENT;
	}
	/* Paths hold the service by ID: deleting it would orphan them. */
	if (kwik_service_paths(kn, id)) {
		NL_SET_ERR_MSG_MOD(extack, "service still has paths");
		return -EBUSY;
	}

	list_del(&svc->node);
	kfree(svc);
	kn->genid++;
	return 0;
}

void kwik_service_get_info(struct kwik_net *kn, struct kwik_service *svc,
			   struct kwik_service_info *info)
{
	lockdep_assert_held(&kn->lock);

	info->sessions = kwik_session_count(kn, svc->cfg.id);
	info->paths = kwik_service_paths(kn, svc->cfg.id);
}

void kwik_service_flush(struct kwik_net *kn)
{
	struct kwik_service *svc, *tmp;

	lockdep_assert_held(&kn->lock);

	if (list_empty(&kn->services))
		return;

	list_for_each_entry_safe(svc, tmp, &kn->services, node) {
		list_del(&svc->node);
		kfree(svc);
	}
	kn->genid++;
}
