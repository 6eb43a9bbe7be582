/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1) over a network backend (backend/net.h): one
 * receive queue (0) and one transmit queue (1), the MAC address and link
 * status in the configuration space, mergeable receive buffers, checksum
 * and TCP segmentation offload both ways (CSUM, GUEST_CSUM, HOST_TSO4/6,
 * GUEST_TSO4/6): carried to the peer by backends that can (net->offload),
 * else completed by the device (dev/net_offload.c).
 * Transmit runs on the device's I/O thread; receive runs on the backend's
 * thread, which calls virtio_net's rx callback per frame.
 */
#ifndef RVISOR_DEV_VIRTIO_NET_H
#define RVISOR_DEV_VIRTIO_NET_H

#include <stdio.h>

#include "backend/net.h"
#include "dev/iothread.h"
#include "dev/virtio_mmio.h"

#define VIRTIO_ID_NET 1

/* 5.1.3 Feature bits */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ        0
#define VIRTIO_NET_TXQ        1
/* Buffers we accept in one chain (Linux uses at most MAX_SKB_FRAGS + 2). */
#define VIRTIO_NET_MAX_BUFS 64
/* Receive chains one frame may fill with mergeable buffers. */
#define VIRTIO_NET_MAX_MRG 64

/* 5.1.6 struct virtio_net_hdr, as in virtio 1.x (num_buffers always there). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
#define VIRTIO_NET_HDR_LEN          12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2

struct virtio_net_stats {
	/* receive (backend thread, under queue_lock) */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_no_buffer; /* times the guest had no receive buffer (frame kept) */
	uint64_t rx_dropped;   /* device not ready, or frame larger than the buffers */
	uint64_t rx_merged;    /* frames that took more than one buffer */
	uint64_t rx_gso;       /* GSO frames given to the guest whole (GUEST_TSO4/6) */
	uint64_t rx_segmented; /* segments cut here from GSO frames for the guest */
	uint64_t rx_bad;       /* frames with offload metadata that does not fit them */
	/* transmit (I/O thread) */
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_csum;      /* checksums completed for the guest (VIRTIO_NET_F_CSUM) */
	uint64_t tx_errors;    /* malformed requests (no header, too long, bad offload), dropped */
	uint64_t tx_gso;       /* GSO frames from the guest (HOST_TSO4/6) */
	uint64_t tx_segmented; /* segments cut here from them (backend without offload) */
	uint64_t tx_dropped;   /* the backend dropped the frame */
};

struct virtio_net {
	struct virtio_mmio mmio;
	struct iothread io; /* transmit */
	struct net_backend *nb;
	uint8_t mac[ETH_ALEN];
	_Atomic bool rx_waiting; /* rx() returned -EAGAIN: tell the backend about new buffers */
	unsigned generation;     /* device resets (queue_lock) */
	/* I/O thread only */
	struct iovec tx_chain[VIRTIO_NET_MAX_BUFS], tx_frame[VIRTIO_NET_MAX_BUFS];
	uint8_t tx_bounce[NET_MAX_FRAME]; /* a frame with offload metadata, linear */
	uint8_t tx_seg[NET_MAX_FRAME];    /* one segment being built */
	/* receive thread: a frame to finish, one segment, the next segment to deliver */
	uint8_t rx_bounce[NET_MAX_FRAME], rx_seg[NET_MAX_FRAME];
	unsigned rx_next_seg;
	uint64_t rx_features; /* the driver's, read under queue_lock with the queue live */
	/* receive, under queue_lock: the first chain of a frame, then the others */
	struct iovec rx_first[VIRTIO_NET_MAX_BUFS], rx_chain[VIRTIO_NET_MAX_BUFS];
	struct virtio_net_stats stats;
	/* the backend's counters and name, kept when it closes (virtio_net_stop) */
	struct net_backend_stats stats_backend;
	char backend_desc[96];
};

/*
 * Attach a network device at a virtio-mmio slot over an opened backend,
 * which the device owns from now on, and start the backend. mac: the
 * address, or NULL for one made from the process, the device count and
 * the slot (distinct for every device of the host). 0 or -errno.
 */
int virtio_net_init(struct virtio_net *n, struct vm *vm, struct plic *plic, unsigned slot,
                    struct net_backend *nb, const uint8_t *mac);
/* Stop the backend's receive thread and the transmit thread (the VM has ended). */
void virtio_net_stop(struct virtio_net *n);
void virtio_net_destroy(struct virtio_net *n);
void virtio_net_print_stats(const struct virtio_net *n, FILE *f);
/* The MAC a device gets when none is configured. */
void virtio_net_default_mac(unsigned slot, uint8_t mac[ETH_ALEN]);

#endif
