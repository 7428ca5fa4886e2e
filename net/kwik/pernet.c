// SPDX-License-Identifier: GPL-2.0
/* Per network namespace state: tables created empty, torn down whole. */
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "handshake.h"
#include "listener.h"
#include "path.h"
#include "pernet.h"
#include "service.h"

static unsigned int kwik_net_id __read_mostly;

struct kwik_net *kwik_pernet(const struct net *net)
{
	return net_generic(net, kwik_net_id);
}

static int __net_init kwik_net_init(struct net *net)
{
	struct kwik_net *kn = kwik_pernet(net);
	int i;

	kn->net = net;
	mutex_init(&kn->lock);
	INIT_LIST_HEAD(&kn->paths);
	INIT_LIST_HEAD(&kn->listeners);
	INIT_LIST_HEAD(&kn->services);
	spin_lock_init(&kn->sess_lock);
	for (i = 0; i < ARRAY_SIZE(kn->sessions); i++)
		INIT_HLIST_HEAD(&kn->sessions[i]);
	INIT_HLIST_HEAD(&kn->bound);
	atomic_set(&kn->nr_sessions, 0);
	return 0;
}

/*
 * Sessions hold references on their namespace, so none is left here; the
 * kernel sockets of paths and listeners do not, so they must go now.
 */
static void __net_exit kwik_net_exit(struct net *net)
{
	struct kwik_net *kn = kwik_pernet(net);

	mutex_lock(&kn->lock);
	kn->dying = true;
	kwik_listener_flush(kn);
	kwik_path_flush(kn);
	kwik_service_flush(kn);
	mutex_unlock(&kn->lock);
	kwik_hs_flush();
	WARN_ON_ONCE(atomic_read(&kn->nr_sessions));
}

static struct pernet_operations kwik_net_ops = {
	.init	= kwik_net_init,
	.exit	= kwik_net_exit,
	.id	= &kwik_net_id,
	.size	= sizeof(struct kwik_net),
};

int kwik_pernet_init(void)
{
	return register_pernet_subsys(&kwik_net_ops);
}

void kwik_pernet_exit(void)
{
	unregister_pernet_subsys(&kwik_net_ops);
}
