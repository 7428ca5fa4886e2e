// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners: a kernel listening socket per "kwikctl listener add".  Each
 * accepted connection becomes a server path owned by the listener; the
 * listener's work item does the accepting, since the socket callback
 * runs in softirq and accept sleeps.
 */
#include <linux/kref.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <linux/kwik.h>

#include "handshake.h"
#include "listener.h"
#include "path.h"
#include "pernet.h"
#include "transport.h"

struct kwik_listener {
	struct kref ref;
	struct kwik_net *kn;
	struct list_head node;		/* kn->listeners, under kn->lock */
	struct kwik_listener_cfg cfg;
	const struct kwik_transport_ops *ops;
	struct socket *sock;
	struct work_struct work;
	void (*saved_data_ready)(struct sock *sk);

	/* @lock protects @paths and @dead. */
	spinlock_t lock;
	struct list_head paths;		/* server paths, each holds a ref */
	u32 npaths;
	bool dead;
	int error;
};

void kwik_listener_hold(struct kwik_listener *l)
{
	kref_get(&l->ref);
}

static void kwik_listener_release(struct kref *ref)
{
	struct kwik_listener *l = container_of(ref, struct kwik_listener, ref);

	kwik_transport_put(l->ops);
	kfree(l);
}

void kwik_listener_put(struct kwik_listener *l)
{
	kref_put(&l->ref, kwik_listener_release);
}

bool kwik_listener_link_path(struct kwik_listener *l, struct list_head *node)
{
	bool ok;

	spin_lock_bh(&l->lock);
	ok = !l->dead;
	if (ok) {
		list_add_tail(node, &l->paths);
		l->npaths++;
	}
	spin_unlock_bh(&l->lock);
	return ok;
}

bool kwik_listener_unlink_path(struct kwik_listener *l, struct list_head *node)
{
	bool linked;

	spin_lock_bh(&l->lock);
	linked = !list_empty(node);
	if (linked) {
		list_del_init(node);
		l->npaths--;
	}
	spin_unlock_bh(&l->lock);
	return linked;
}

static void kwik_listener_data_ready(struct sock *sk)
{
	struct kwik_listener *l;

	rcu_read_lock();
	l = rcu_dereference_sk_user_data(sk);
	if (l && !READ_ONCE(l->dead))
		queue_work(kwik_wq, &l->work);
	rcu_read_unlock();
}

/*
 * An accepted socket starts with a copy of the listening socket's
 * callbacks: give it back the original before a path takes it over.
 * (Its user data was not copied: SK_USER_DATA_NOCOPY.)
 */
static void kwik_listener_reset_child(struct kwik_listener *l,
				      struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_data_ready == kwik_listener_data_ready)
		sk->sk_data_ready = l->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void kwik_listener_work(struct work_struct *work)
{
	struct kwik_listener *l = container_of(work, struct kwik_listener,
					       work);
	struct socket *sock;
	int err;

	while (!READ_ONCE(l->dead)) {
		err = l->ops->accept(l->sock, &sock);
		if (err == -EAGAIN)
			break;
		if (err) {
			/* Transient (e.g. ENOMEM, aborted handshake): go on. */
			WRITE_ONCE(l->error, -err);
			continue;
		}
		kwik_listener_reset_child(l, sock->sk);
		err = kwik_path_accept(l->kn, l, sock);	/* takes sock */
		if (err)
			WRITE_ONCE(l->error, -err);
	}
}

const struct kwik_listener_cfg *kwik_listener_cfg(const struct kwik_listener *l)
{
	return &l->cfg;
}

void kwik_listener_get_info(struct kwik_listener *l,
			    struct kwik_listener_info *info)
{
	spin_lock_bh(&l->lock);
	info->state = l->sock ? KWIK_LISTENER_S_LISTENING :
				KWIK_LISTENER_S_FAILED;
	info->error = l->error;
	info->paths = l->npaths;
	spin_unlock_bh(&l->lock);
}

struct kwik_listener *kwik_listener_find(struct kwik_net *kn, u32 id)
{
	struct kwik_listener *l;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry(l, &kn->listeners, node)
		if (l->cfg.id == id)
			return l;
	return NULL;
}

struct kwik_listener *kwik_listener_next(struct kwik_net *kn,
					 struct kwik_listener *prev)
{
	lockdep_assert_held(&kn->lock);
	if (!prev)
		return list_first_entry_or_null(&kn->listeners,
						struct kwik_listener, node);
	if (list_is_last(&prev->node, &kn->listeners))
		return NULL;
	return list_next_entry(prev, node);
}

int kwik_listener_add(struct kwik_net *kn, struct kwik_listener_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct kwik_listener *l;
	struct sock *sk;
	int err;

	lockdep_assert_held(&kn->lock);
	if (cfg->security != KWIK_SECURITY_NONE && !kwik_hs_supported()) {
		NL_SET_ERR_MSG_MOD(extack,
				   "TLS needs the kernel handshake upcall (Linux 6.4+): ask for insecure");
		return -EOPNOTSUPP;
	}
	if (cfg->id && kwik_listener_find(kn, cfg->id)) {
		NL_SET_ERR_MSG_MOD(extack, "listener ID already in use");
		return -EEXIST;
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	kref_init(&l->ref);
	l->kn = kn;
	spin_lock_init(&l->lock);
	INIT_LIST_HEAD(&l->paths);
	INIT_WORK(&l->work, kwik_listener_work);
	l->ops = kwik_transport_get(cfg->transport);
	if (!l->ops) {
		if (cfg->transport == KWIK_TRANSPORT_QUIC)
			NL_SET_ERR_MSG_MOD(extack, "quic transport not loaded");
		else
			NL_SET_ERR_MSG_MOD(extack, "transport not available");
		err = -EOPNOTSUPP;
		goto free;
	}
	err = kwik_transport_check_security(l->ops, cfg->security, extack) ?:
	      kwik_transport_pick_cc(l->ops, kn->net, cfg->cc, extack);
	if (err)
		goto free;
	err = l->ops->listen(kn->net, &cfg->local, cfg->cc, &l->sock);
	if (err) {
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG_MOD(extack, "address already in use");
		else
			NL_SET_ERR_MSG_MOD(extack, "cannot listen on that address");
		goto free;
	}
	if (!cfg->id) {
		do {
			cfg->id = ++kn->next_listener_id;
		} while (!cfg->id || kwik_listener_find(kn, cfg->id));
	}
	l->cfg = *cfg;

	sk = l->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	l->saved_data_ready = sk->sk_data_ready;
	__rcu_assign_sk_user_data_with_flags(sk, l, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = kwik_listener_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	list_add_tail(&l->node, &kn->listeners);
	kn->genid++;
	queue_work(kwik_wq, &l->work);	/* connections may already wait */
	return 0;
free:
	kwik_listener_put(l);
	return err;
}

/* Close the listening socket and every path it accepted. */
static void kwik_listener_kill(struct kwik_listener *l)
{
	struct sock *sk = l->sock->sk;
	struct list_head *node;

	spin_lock_bh(&l->lock);
	l->dead = true;
	spin_unlock_bh(&l->lock);

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_data_ready = l->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&l->work);
	sock_release(l->sock);
	spin_lock_bh(&l->lock);
	l->sock = NULL;
	spin_unlock_bh(&l->lock);

	for (;;) {
		spin_lock_bh(&l->lock);
		node = list_empty(&l->paths) ? NULL : l->paths.next;
		if (node) {
			list_del_init(node);
			l->npaths--;
		}
		spin_unlock_bh(&l->lock);
		if (!node)
			break;
		kwik_path_kill(kwik_path_from_lnode(node), ECONNABORTED);
	}
	kwik_listener_put(l);
}

int kwik_listener_del(struct kwik_net *kn, u32 id,
		      struct netlink_ext_ack *extack)
{
	struct kwik_listener *l;

	lockdep_assert_held(&kn->lock);
	l = kwik_listener_find(kn, id);
	if (!l) {
		NL_SET_ERR_MSG_MOD(extack, "listener not found");
		return -ENOENT;
	}
	list_del(&l->node);
	kn->genid++;
	kwik_listener_kill(l);
	return 0;
}

void kwik_listener_flush(struct kwik_net *kn)
{
	struct kwik_listener *l, *tmp;

	lockdep_assert_held(&kn->lock);
	list_for_each_entry_safe(l, tmp, &kn->listeners, node) {
		list_del(&l->node);
		kwik_listener_kill(l);
	}
	kn->genid++;
}
