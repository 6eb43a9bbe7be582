// SPDX-License-Identifier: MIT
/*
 * Placeholder until the user backend lands (it is being written on another
 * branch, which replaces this file): --net user reports that it is not built.
 */
#include <errno.h>
#include <stdio.h>

#include "backend/net.h"

int net_slirp_open(const struct net_config *cfg, struct net_backend **out, char *err, size_t errlen)
{
	(void)cfg;
	*out = NULL;
	snprintf(err, errlen, "--net user: this backend is not built yet in this rvisor");
	return -ENOTSUP;
}
