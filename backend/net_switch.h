/* SPDX-License-Identifier: MIT */
/*
 * The virtual switch backend (--net switch=NAME); see net_switch.c for the
 * design. net_switch_open() is declared in net.h; this adds what tests and
 * tools need to find a switch on the host.
 */
#ifndef RVISOR_BACKEND_NET_SWITCH_H
#define RVISOR_BACKEND_NET_SWITCH_H

#include <stddef.h>

/* Longest switch name: letters, digits, '-', '_' and '.' (not starting with '.'). */
#define NET_SWITCH_NAME_MAX 32

/*
 * The directory of switch NAME: $XDG_RUNTIME_DIR/rvisor-switch/NAME, or
 * /tmp/rvisor-switch-UID/NAME without XDG_RUNTIME_DIR. 0, or -EINVAL for
 * a bad name (err says why) or -ENAMETOOLONG.
 */
int net_switch_dir(const char *name, char *buf, size_t len, char *err, size_t errlen);

#endif
