// SPDX-License-Identifier: GPL-2.0
/* Scheduler registry and the helpers every scheduler shares. */
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "path.h"
#include "sched.h"
#include "sock.h"

static LIST_HEAD(kwik_scheds);
static DEFINE_SPINLOCK(kwik_sched_lock);

int kwik_sched_register(struct kwik_sched_ops *ops)
{
	struct kwik_sched_ops *o;
	int err = 0;

	if (!ops->may_send || !ops->name[0])
		return -EINVAL;
	spin_lock(&kwik_sched_lock);
	list_for_each_entry(o, &kwik_scheds, list)
		if (!strcmp(o->name, ops->name))
			err = -EEXIST;
	if (!err)
		list_add_tail_rcu(&ops->list, &kwik_scheds);
	spin_unlock(&kwik_sched_lock);
	return err;
}
EXPORT_SYMBOL_GPL(kwik_sched_register);

void kwik_sched_unregister(struct kwik_sched_ops *ops)
{
	spin_lock(&kwik_sched_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&kwik_sched_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(kwik_sched_unregister);

const struct kwik_sched_ops *kwik_sched_get(const char *name)
{
	struct kwik_sched_ops *o, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(o, &kwik_scheds, list) {
		if (!strcmp(o->name, name)) {
			if (try_module_get(o->owner))
				found = o;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

const struct kwik_sched_ops *kwik_sched_get_default(void)
{
	return kwik_sched_get("default");
}

void kwik_sched_put(const struct kwik_sched_ops *ops)
{
	if (ops)
		module_put(ops->owner);
}

/*
 * Rank of a subflow for carrying data: 0 no path, then stale backup,
 * stale primary, backup, primary.  Only the best rank present is used:
 * backups wait for every primary to fail, stale paths for every healthy
 * one.  A path still joining counts as present, so a backup does not
 * jump in while a primary completes its JOIN.
 */
static int kwik_sched_rank(struct kwik_subflow *sf)
{
	int rank;

	if (!sf->path || !sf->up)
		return 0;
	rank = kwik_path_cfg(sf->path)->priority == KWIK_PRIORITY_BACKUP ? 1 : 2;
	if (!kwik_path_stale(sf->path))
		rank += 2;
	return rank;
}

bool kwik_sched_usable(struct kwik_sock *ks, struct kwik_subflow *sf)
{
	int rank = kwik_sched_rank(sf);
	u32 i;

	if (!rank || !sf->active)
		return false;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (kwik_sched_rank(&ks->sf[i]) > rank)
			return false;
	return true;
}

bool kwik_sched_may_open(struct kwik_sock *ks, struct kwik_subflow *sf)
{
	int rank = kwik_sched_rank(sf);
	u32 i;

	if (!rank)
		return false;
	for (i = 0; i < KWIK_SESSION_MAX_PATHS; i++)
		if (kwik_sched_rank(&ks->sf[i]) > rank)
			return false;
	return true;
}

u64 kwik_sched_arrival_us(struct kwik_subflow *sf, u32 len, u64 *ratep)
{
	struct kwik_path_metrics m;
	u64 rate;

	if (ratep)
		*ratep = 0;
	if (!sf->path)
		return U64_MAX;
	kwik_path_get_metrics(sf->path, &m);
	/* An idle path's srtt may date from a queue it no longer has. */
	if (m.idle_rtt_us && m.idle_rtt_us < m.srtt_us)
		m.srtt_us = m.idle_rtt_us;
	/* Before the first RTT sample every path looks alike. */
	if (!m.srtt_us)
		m.srtt_us = 1000;
	/*
	 * Bytes per second: the best full sample of late, else the latest
	 * sample or what the window allows per RTT, whichever is more.
	 */
	rate = m.max_rate ?:
	       max_t(u64, m.delivery_rate,
		     div_u64((u64)m.cwnd_bytes * USEC_PER_SEC, m.srtt_us));
	rate = max_t(u64, rate, 1000);
	if (ratep)
		*ratep = rate;
	return m.srtt_us / 2 +
	       div64_u64(((u64)m.unacked_bytes + len) * USEC_PER_SEC, rate);
}

int kwik_sched_init(void)
{
	int err;

	err = kwik_sched_default_init();
	if (err)
		return err;
	err = kwik_sched_wrr_init();
	if (err)
		goto err_default;
	err = kwik_sched_redundant_init();
	if (err)
		goto err_wrr;
	return 0;
err_wrr:
	kwik_sched_wrr_exit();
err_default:
	kwik_sched_default_exit();
	return err;
}

void kwik_sched_exit(void)
{
	kwik_sched_redundant_exit();
	kwik_sched_wrr_exit();
	kwik_sched_default_exit();
}
