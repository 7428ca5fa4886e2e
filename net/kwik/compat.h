/* SPDX-License-Identifier: GPL-2.0 */
/*
 * API differences between the kernels Kwik builds against.  Each one is
 * keyed by a KWIK_HAVE_* macro that Kbuild sets by probing the headers;
 * nothing else in net/kwik/ tests kernel versions.
 */
#ifndef _KWIK_COMPAT_H
#define _KWIK_COMPAT_H

#include <linux/net.h>

/* <asm/unaligned.h> moved to <linux/unaligned.h> in 6.12. */
#ifdef KWIK_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* skb_frag_ref() moved from <linux/skbuff.h> in 6.11. */
#ifdef KWIK_HAVE_SKBUFF_REF_H
#include <linux/skbuff_ref.h>
#else
#include <linux/skbuff.h>
#endif

/*
 * proto_ops.accept: since 6.10 the flags come in struct proto_accept_arg.
 * Declare the parameters with KWIK_ACCEPT_ARGS and read the flags with
 * KWIK_ACCEPT_FLAGS in the function body.
 */
#ifdef KWIK_HAVE_PROTO_ACCEPT_ARG
#define KWIK_ACCEPT_ARGS	struct proto_accept_arg *kwik_accept_arg
#define KWIK_ACCEPT_FLAGS	(kwik_accept_arg->flags)
#else
#define KWIK_ACCEPT_ARGS	int kwik_accept_flags, bool kwik_accept_kern
#define KWIK_ACCEPT_FLAGS	(kwik_accept_flags)
#endif

#endif /* _KWIK_COMPAT_H */
