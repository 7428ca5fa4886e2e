/* SPDX-License-Identifier: GPL-2.0 */
/* Services: what applications connect to, mapped to paths. */
#ifndef _KWIK_SERVICE_H
#define _KWIK_SERVICE_H

#include <linux/list.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/kwik.h>

struct kwik_net;
struct netlink_ext_ack;

struct kwik_service_cfg {
	u32 id;
	char name[KWIK_NAME_MAX];	/* "" if none */
	struct sockaddr_storage match;	/* ss_family 0: none */
	struct sockaddr_storage forward;/* ss_family 0: none */
	char scheduler[KWIK_SCHED_NAME_MAX];	/* "" : the default */
	u32 flags;
};

struct kwik_service {
	struct list_head node;		/* on kn->services, under kn->lock */
	struct kwik_service_cfg cfg;
};

struct kwik_service_info {
	u32 sessions;
	u32 paths;
};

/* All called with kn->lock held. */
int kwik_service_add(struct kwik_net *kn, const struct kwik_service_cfg *cfg,
		     struct netlink_ext_ack *extack);
int kwik_service_del(struct kwik_net *kn, u32 id,
		     struct netlink_ext_ack *extack);
struct kwik_service *kwik_service_find(struct kwik_net *kn, u32 id);
void kwik_service_get_info(struct kwik_net *kn, struct kwik_service *svc,
			   struct kwik_service_info *info);
/* Frees every service of a dying namespace. */
void kwik_service_flush(struct kwik_net *kn);

#endif /* _KWIK_SERVICE_H */
