// SPDX-License-Identifier: GPL-2.0
/* Transport registry: one slot per enum kwik_transport value. */
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/netlink.h>
#include <linux/kwik.h>

#include "transport.h"

static const struct kwik_transport_ops __rcu *kwik_transports[__KWIK_TRANSPORT_MAX];
static DEFINE_SPINLOCK(kwik_transport_lock);

int kwik_transport_register(const struct kwik_transport_ops *ops)
{
	int err = 0;

	if (!ops->type || ops->type >= __KWIK_TRANSPORT_MAX)
		return -EINVAL;
	spin_lock(&kwik_transport_lock);
	if (rcu_access_pointer(kwik_transports[ops->type]))
		err = -EEXIST;
	else
		rcu_assign_pointer(kwik_transports[ops->type], ops);
	spin_unlock(&kwik_transport_lock);
	return err;
}
EXPORT_SYMBOL_GPL(kwik_transport_register);

void kwik_transport_unregister(const struct kwik_transport_ops *ops)
{
	spin_lock(&kwik_transport_lock);
	if (rcu_access_pointer(kwik_transports[ops->type]) == ops)
		RCU_INIT_POINTER(kwik_transports[ops->type], NULL);
	spin_unlock(&kwik_transport_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(kwik_transport_unregister);

const struct kwik_transport_ops *kwik_transport_get(u8 type)
{
	const struct kwik_transport_ops *ops;

	if (!type || type >= __KWIK_TRANSPORT_MAX)
		return NULL;
	rcu_read_lock();
	ops = rcu_dereference(kwik_transports[type]);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}

void kwik_transport_put(const struct kwik_transport_ops *ops)
{
	if (ops)
		module_put(ops->owner);
}

int kwik_transport_pick_cc(const struct kwik_transport_ops *ops,
			   struct net *net, char *cc,
			   struct netlink_ext_ack *extack)
{
	int err;

	if (!cc[0]) {
		/* Not available, or not allowed: the socket's default. */
		if (ops->default_cc && ops->check_cc &&
		    !ops->check_cc(net, ops->default_cc))
			strscpy(cc, ops->default_cc, KWIK_CC_NAME_MAX);
		return 0;
	}
	if (!ops->check_cc) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this transport has no congestion control choice");
		return -EOPNOTSUPP;
	}
	err = ops->check_cc(net, cc);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_MOD(extack, "unknown congestion control");
	else if (err == -EPERM)
		NL_SET_ERR_MSG_MOD(extack,
				   "congestion control not allowed in this namespace");
	else if (err)
		NL_SET_ERR_MSG_MOD(extack, "cannot use that congestion control");
	return err;
}

int kwik_transport_check_security(const struct kwik_transport_ops *ops,
				  u8 security, struct netlink_ext_ack *extack)
{
	if ((ops->flags & KWIK_TRANSPORT_F_SECURE_ONLY) &&
	    security == KWIK_SECURITY_NONE) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this transport needs tls or psk, not insecure");
		return -EINVAL;
	}
	return 0;
}
