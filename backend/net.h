/* SPDX-License-Identifier: MIT */
/*
 * A network backend as a NIC sees it: something that carries Ethernet
 * frames (no FCS, no virtio-net header) to and from a host network.
 * Backends: user-mode networking through libslirp (net_slirp.c), a virtual
 * switch shared by the VMs of one host, in one process or several
 * (net_switch.c), and a tap device (net_tap.c). Devices (virtio-net) use
 * only this interface.
 *
 * Transmit: the device calls send() from its own thread, one frame at a
 * time. Receive: the backend runs its own thread and calls the device's
 * rx() callback with one frame. rx() returns 0 when the frame was given
 * to the guest, -EAGAIN when the guest has no free receive buffer (the
 * backend keeps the frame, stops receiving, and tries again after the
 * device calls rx_ready()), or another -errno when the frame was dropped.
 *
 * Offloads: send() and rx() carry a struct net_vhdr next to the frame
 * (NULL: a plain, finished frame). Only a backend that sets `offload` is
 * given a non-NULL one by send() (a frame with its checksum still to do,
 * or a TCP segment of up to 64 KiB still to be cut, as virtio-net's header
 * describes them), and only such a backend may pass a non-NULL one to
 * rx(). Devices finish frames themselves (dev/net_offload.c) for backends
 * without it. The receiver validates the metadata: it may come from
 * another, hostile, VM.
 */
#ifndef RVISOR_BACKEND_NET_H
#define RVISOR_BACKEND_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_MAX_FRAME 65550 /* largest frame a backend carries (64 KiB + header) */
#define ETH_ALEN      6

struct net_backend;

/* Per-frame offload metadata, host byte order (virtio_net_hdr's fields, 5.1.6). */
struct net_vhdr {
	uint8_t flags;    /* NET_VHDR_F_* */
	uint8_t gso_type; /* NET_GSO_* */
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
#define NET_VHDR_F_NEEDS_CSUM 1 /* checksum from csum_start to the end, stored at +csum_offset */
#define NET_VHDR_F_DATA_VALID 2 /* checksums already verified */
#define NET_GSO_NONE          0
#define NET_GSO_TCPV4         1
#define NET_GSO_TCPV6         4

/* The device's receive callback (backend thread); vh NULL: a plain frame. */
typedef int (*net_rx_fn)(void *opaque, const struct net_vhdr *vh, const struct iovec *iov,
                         int iovcnt);

struct net_backend_ops {
	/* Start the backend's receive thread: rx frames go to rx(opaque, ...). */
	int (*start)(struct net_backend *nb, net_rx_fn rx, void *opaque);
	/* Send one frame from the guest. 0, or -errno when it was dropped. */
	int (*send)(struct net_backend *nb, const struct net_vhdr *vh, const struct iovec *iov,
	            int iovcnt);
	/* The guest gave receive buffers after rx() returned -EAGAIN (any thread). */
	void (*rx_ready)(struct net_backend *nb);
	/* Stop the receive thread and free the backend. */
	void (*close)(struct net_backend *nb);
};

struct net_backend_stats {
	_Atomic uint64_t tx_frames, tx_bytes, tx_drops;
	_Atomic uint64_t rx_frames, rx_bytes, rx_drops;
};

struct net_backend {
	const struct net_backend_ops *ops;
	char desc[96]; /* "user", "switch=lan0", "tap=tap0": for messages and --stats */
	struct net_backend_stats stats;
	bool offload; /* carries struct net_vhdr (set at open, never changed) */
};

/* A host port forward: host TCP/UDP port -> guest port (user networking). */
struct net_hostfwd {
	bool udp;
	uint32_t host_addr; /* IPv4, host byte order; 0 = any */
	uint16_t host_port, guest_port;
};

#define NET_MAX_HOSTFWD 8

enum net_kind { NET_USER, NET_SWITCH, NET_TAP };

/* One --net option. */
struct net_config {
	enum net_kind kind;
	const char *name; /* switch name or tap interface */
	struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];
	unsigned nhostfwd;
	uint8_t mac[ETH_ALEN];
	bool mac_set; /* else the device makes one from the VM and slot */
};

/* Open the backend a config asks for; on error, err says what went wrong. 0 or -errno. */
int net_backend_open(const struct net_config *cfg, struct net_backend **out, char *err,
                     size_t errlen);

/* The backends net_backend_open() dispatches to (same contract). */
int net_slirp_open(const struct net_config *cfg, struct net_backend **out, char *err,
                   size_t errlen);
int net_switch_open(const struct net_config *cfg, struct net_backend **out, char *err,
                    size_t errlen);
int net_tap_open(const struct net_config *cfg, struct net_backend **out, char *err, size_t errlen);

static inline void net_backend_close(struct net_backend *nb)
{
	if (nb)
		nb->ops->close(nb);
}

#endif
