// SPDX-License-Identifier: GPL-2.0
/*
 * Kwik: one stream socket striped over several secure paths.
 *
 * Module init and exit, in dependency order: the workqueue and
 * per-namespace state first, then the transports, then the two faces
 * users reach (generic netlink, the socket family) last, so nothing can
 * call in before what it needs exists.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <linux/kwik.h>

#include "af_kwik.h"
#include "handshake.h"
#include "netlink.h"
#include "pernet.h"
#include "sched.h"
#include "transport.h"

int kwik_family = AF_KWIK;
module_param_named(family, kwik_family, int, 0444);
MODULE_PARM_DESC(family, "address family slot to register (default 25)");

struct workqueue_struct *kwik_wq;

static int __init kwik_init(void)
{
	int err;

	if (kwik_family <= AF_UNSPEC || kwik_family >= NPROTO) {
		pr_err("kwik: family=%d is outside 1..%d\n", kwik_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	kwik_wq = alloc_workqueue("kwik", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!kwik_wq)
		return -ENOMEM;
	err = kwik_pernet_init();
	if (err)
		goto err_wq;
	err = kwik_sched_init();
	if (err)
		goto err_pernet;
	err = kwik_transport_tcp_init();
	if (err)
		goto err_sched;
	err = kwik_nl_init();
	if (err)
		goto err_tcp;
	err = kwik_af_init();
	if (err)
		goto err_nl;
	pr_info("kwik: address family %d registered\n", kwik_family);
	return 0;

err_nl:
	kwik_nl_exit();
err_tcp:
	kwik_transport_tcp_exit();
err_sched:
	kwik_sched_exit();
err_pernet:
	kwik_pernet_exit();
err_wq:
	destroy_workqueue(kwik_wq);
	return err;
}

static void __exit kwik_exit(void)
{
	kwik_af_exit();
	kwik_nl_exit();
	kwik_pernet_exit();	/* closes every path and listener */
	kwik_hs_exit();		/* tlshd answers still on their way */
	kwik_transport_tcp_exit();
	kwik_sched_exit();
	destroy_workqueue(kwik_wq);	/* drains deferred frees */
}

module_init(kwik_init);
module_exit(kwik_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kwik: multipath stream sockets over secure paths");
MODULE_AUTHOR("The Kwik developers");
MODULE_VERSION("0.1.0");
MODULE_ALIAS_NETPROTO(AF_KWIK);
MODULE_ALIAS_GENL_FAMILY(KWIK_GENL_NAME);
