/* SPDX-License-Identifier: GPL-2.0 */
/* The AF_KWIK socket family. */
#ifndef _KWIK_AF_KWIK_H
#define _KWIK_AF_KWIK_H

/* Address family slot in use (module parameter "family"). */
extern int kwik_family;

int kwik_af_init(void);
void kwik_af_exit(void);

#endif /* _KWIK_AF_KWIK_H */
