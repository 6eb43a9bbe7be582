/* SPDX-License-Identifier: MIT */
/*
 * What a NIC does for a guest that left checksums and TCP segmentation to
 * it (virtio-net's VIRTIO_NET_HDR_F_NEEDS_CSUM and GSO, 5.1.6.2), done in
 * software for backends and guests that cannot take such frames: check
 * the metadata against the frame (it may come from a hostile guest),
 * complete a partial checksum, and cut a TCPv4/TCPv6 frame of up to 64 KiB
 * into gso_size segments with their IP and TCP headers fixed up.
 */
#ifndef RVISOR_DEV_NET_OFFLOAD_H
#define RVISOR_DEV_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "backend/net.h"

/* Where the headers of a checked frame lie. */
struct net_l4 {
	unsigned l3;   /* IP header offset */
	unsigned l4;   /* TCP header offset */
	unsigned hlen; /* Ethernet + IP + TCP headers (GSO frames only) */
	unsigned nseg; /* segments the frame makes (1 without GSO) */
	int ipv6;
};

/*
 * Check vh against the frame f[0, len): known flags and gso_type only,
 * checksum offsets inside the frame, and for GSO an untagged TCPv4 (not
 * fragmented) or TCPv6 (no extension header) frame with NEEDS_CSUM at the
 * TCP checksum and gso_size > 0. Fills *l. 0 or -EINVAL.
 */
int net_offload_check(const struct net_vhdr *vh, const uint8_t *f, size_t len, struct net_l4 *l);

/* NEEDS_CSUM: store the ones' complement sum from csum_start to the end (checked vh). */
void net_csum_complete(uint8_t *f, size_t len, const struct net_vhdr *vh);

/* Called with each segment; non-zero stops the segmentation. */
typedef int (*net_seg_fn)(void *opaque, const uint8_t *seg, size_t len);

/*
 * Cut a checked GSO frame into segments, from segment *next on, each built
 * in scratch (NET_MAX_FRAME bytes) with complete IP and TCP checksums, and
 * give them to emit. Returns 0 when all went (*next = l->nseg), or emit's
 * error with *next at the segment that failed (to resume from).
 */
int net_gso_segment(const uint8_t *f, size_t len, const struct net_vhdr *vh, const struct net_l4 *l,
                    uint8_t *scratch, unsigned *next, net_seg_fn emit, void *opaque);

#endif
