/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side (virtio 1.2, 2.7): take available
 * descriptor chains, map their buffers through the DMA interface, return
 * used entries, and decide when each side needs a notification (2.7.7,
 * 2.7.10, event index). Shared by every virtio device and transport.
 *
 * Everything in the rings is written by an untrusted driver that runs on
 * other host threads while we read. Each index, address, length and chain
 * is checked before use; a broken ring sets vq->error and the queue stops
 * until it is reset (the transport turns that into DEVICE_NEEDS_RESET).
 * The device touches guest memory only through the host pointers that
 * dma_map() handed out.
 *
 * One thread at a time drives a queue (the device's worker, under the
 * transport's queue lock); the driver side is the guest.
 */
#ifndef RVISOR_DEV_VIRTQUEUE_H
#define RVISOR_DEV_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/dma.h"
#include "vmm/types.h"

/* 2.7.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* 2.7.6 The Virtqueue Available Ring, 2.7.8 The Virtqueue Used Ring */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* 2.7: Queue Size is a power of 2, at most 32768. */
#define VIRTQ_MAX_SIZE 32768
/* 2.7.5: "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes in total". */
#define VIRTQ_MAX_CHAIN_BYTES (1ull << 32)

/* Guest layouts (little-endian). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then le16 used_event (VIRTIO_F_EVENT_IDX) */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then le16 avail_event (VIRTIO_F_EVENT_IDX) */
};

/* The three areas of a queue as the driver programmed them through the transport. */
struct virtq_layout {
	uint16_t size;
	gpa_t desc, driver, device;
};

/* Negotiated ring features that change how the queue is walked. */
struct virtq_features {
	bool indirect;  /* VIRTIO_F_INDIRECT_DESC */
	bool event_idx; /* VIRTIO_F_EVENT_IDX */
};

struct virtq_stats {
	uint64_t chains;      /* descriptor chains taken */
	uint64_t descs;       /* descriptors walked (indirect tables included) */
	uint64_t indirect;    /* chains with an indirect table */
	uint64_t notify_used; /* used buffer notifications the driver asked for */
};

struct virtq {
	const struct dma_space *dma;
	uint16_t size;
	struct virtq_features feat;
	bool enabled;
	struct virtq_desc *desc; /* host pointers, mapped when the queue is enabled */
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;     /* next available ring entry to take */
	uint16_t used_idx;       /* next used ring entry to fill (used->idx as we wrote it) */
	uint16_t signalled_used; /* used_idx at the last notification decision */
	const char *error;       /* why the ring is broken; NULL while it is fine */
	struct virtq_stats stats;
};

/*
 * A descriptor chain, mapped: iov[0, nreadable) are the device-readable
 * buffers, then nwritable device-writable ones (2.7.4.2: readable first).
 * Zero-length descriptors are dropped. The caller provides iov and max.
 */
struct virtq_chain {
	uint16_t head;
	unsigned nreadable, nwritable;
	uint64_t readable_len, writable_len;
	unsigned max;
	struct iovec *iov;
};

/*
 * Start using a queue: checks size and alignment (2.7) and maps its three
 * areas. 0, or -EINVAL with vq->error set (the queue stays disabled).
 */
int virtq_enable(struct virtq *vq, const struct dma_space *dma, const struct virtq_layout *l,
                 struct virtq_features feat);
/* Forget the queue (device reset): no guest memory is touched afterwards. */
void virtq_disable(struct virtq *vq);

/*
 * Take the next available chain into *c. 1: taken; 0: nothing available
 * (or the queue is disabled); -EIO: the ring is broken (vq->error says how;
 * the chain, if any, is consumed and never returned).
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);

/*
 * Give back the last n chains taken and not yet pushed: the next pops take
 * them again (a device that found no room for its data after all).
 */
void virtq_unpop(struct virtq *vq, unsigned n);

/* Return a chain to the driver with the number of bytes written to it (2.7.8). */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * After virtq_push(): does the driver want a used buffer notification
 * (2.7.7: avail flags, or used_event with VIRTIO_F_EVENT_IDX)?
 */
bool virtq_should_notify(struct virtq *vq);

/* While the device works through the ring it needs no available buffer notifications. */
void virtq_notify_disable(struct virtq *vq);
/*
 * Before the device goes idle: ask for a notification for the next buffer
 * (2.7.10: used flags or avail_event), then look again. True if buffers
 * arrived meanwhile; the caller must then pop them instead of sleeping.
 */
bool virtq_notify_enable(struct virtq *vq);

#endif
