/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kwik_util.h - small helpers the selftest programs share: a monotonic
 * clock, the AF_KWIK family the loaded module uses, and the FNV-1a digest
 * their summary lines print.
 */
#ifndef _KWIK_UTIL_H
#define _KWIK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/kwik.h>

#define FNV_INIT	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* AF_KWIK, or the slot the module took (its "family" parameter). */
static inline int kwik_family_now(void)
{
	FILE *f = fopen(KWIK_FAMILY_SYSFS, "r");
	int fam = AF_KWIK;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = AF_KWIK;
		fclose(f);
	}
	return fam;
}

static inline uint64_t fnv(uint64_t h, const unsigned char *p, size_t len)
{
	while (len--) {
		h ^= *p++;
		h *= FNV_PRIME;
	}
	return h;
}

#endif /* _KWIK_UTIL_H */
