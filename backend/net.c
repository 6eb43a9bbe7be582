// SPDX-License-Identifier: MIT
/* Opening the network backend a --net option asks for (see net.h). */
#include <errno.h>
#include <stdio.h>

#include "backend/net.h"

int net_backend_open(const struct net_config *cfg, struct net_backend **out, char *err,
                     size_t errlen)
{
	*out = NULL;
	switch (cfg->kind) {
	case NET_USER: return net_slirp_open(cfg, out, err, errlen);
	case NET_SWITCH: return net_switch_open(cfg, out, err, errlen);
	case NET_TAP: return net_tap_open(cfg, out, err, errlen);
	}
	snprintf(err, errlen, "unknown network backend kind %d", (int)cfg->kind);
	return -EINVAL;
}
