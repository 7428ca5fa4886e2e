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

/*
 * proto_ops.accept: since 6.10 the flags come in struct proto_accept_arg.
 * KWIK_DEFINE_ACCEPT(name, impl) defines @name with the kernel's signature
 * calling impl(sock, newsock, flags, kern).
 */
#ifdef KWIK_HAVE_PROTO_ACCEPT_ARG
#define KWIK_DEFINE_ACCEPT(name, impl)					\
static int name(struct socket *sock, struct socket *newsock,		\
		struct proto_accept_arg *arg)				\
{									\
	return impl(sock, newsock, arg->flags, arg->kern);		\
}
#else
#define KWIK_DEFINE_ACCEPT(name, impl)					\
static int name(struct socket *sock, struct socket *newsock, int flags,	\
		bool kern)						\
{									\
	return impl(sock, newsock, flags, kern);			\
}
#endif

#endif /* _KWIK_COMPAT_H */
