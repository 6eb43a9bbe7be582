/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 registers only (virtio 1.2, 4.2.2):
 * device status and reset (2.1), feature negotiation (2.2, 6), queue setup,
 * notifications and interrupts, and the device configuration space at
 * 0x100. A device plugs in with a small ops table and gets its queues, its
 * interrupt line and its device-tree node from here.
 *
 * Slot n sits at VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_STRIDE with PLIC
 * source 1 + n, as on QEMU's virt machine.
 *
 * Locking: `lock` serialises the register file (vCPU threads). Whoever
 * walks the queues (the device's I/O thread) holds `queue_lock`; the
 * transport takes it too before it changes a queue or resets the device,
 * so a reset waits for the request in flight. `irq_lock` keeps
 * InterruptStatus and the interrupt line in step. Order: lock, queue_lock,
 * irq_lock.
 */
#ifndef RVISOR_DEV_VIRTIO_MMIO_H
#define RVISOR_DEV_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dev/plic.h"
#include "dev/virtqueue.h"
#include "vmm/dma.h"

#define VIRTIO_MMIO_BASE   0x10001000ull
#define VIRTIO_MMIO_STRIDE 0x1000ull
#define VIRTIO_MMIO_SIZE   0x1000ull
#define VIRTIO_MMIO_SLOTS  8
#define VIRTIO_MMIO_IRQ0   1 /* PLIC source of slot 0 */

#define VIRTIO_MMIO_MAX_QUEUES 8

/* 4.2.2 MMIO Device Register Layout */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC      0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION_2  2
#define VIRTIO_MMIO_VENDOR     0x53495652 /* "RVIS" in memory: rvisor's vendor ID */
#define VIRTIO_MMIO_INT_VRING  (1u << 0)  /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG (1u << 1)  /* configuration change notification */

/* 2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* 6 Reserved Feature Bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* 5 Device Types */
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_ENTROPY 4

#define VIRTIO_BIT(n) (1ull << (n))

/* What a device type provides. Callbacks get the device's opaque pointer. */
struct virtio_device_ops {
	const char *name; /* "virtio-blk" */
	uint32_t device_id;
	unsigned nqueues;
	uint16_t queue_size_max;
	uint32_t config_size;
	/* len bytes of the device configuration at off (off + len <= config_size). */
	void (*config_read)(void *dev, uint32_t off, void *buf, unsigned len);
	/* Optional: the driver wrote the configuration (only writable fields matter). */
	void (*config_write)(void *dev, uint32_t off, const void *buf, unsigned len);
	/* A queue has buffers (vCPU thread: kick the I/O thread, do not block). */
	void (*queue_notify)(void *dev, unsigned queue);
	/* Optional: device reset, with queue_lock held (no request in flight). */
	void (*reset)(void *dev);
};

struct virtio_mmio_stats {
	_Atomic uint64_t reg_reads, reg_writes; /* register accesses: each a VM exit */
	_Atomic uint64_t notifies;              /* QueueNotify writes (VM exits) */
	_Atomic uint64_t irqs;                  /* used buffer interrupts raised */
	_Atomic uint64_t config_irqs;           /* configuration change interrupts */
	_Atomic uint64_t resets;                /* device resets by the driver */
	_Atomic uint64_t guest_errors;          /* times the device needed a reset */
};

struct virtio_mmio_queue {
	struct virtq_layout layout; /* as the driver programmed it */
	bool ready;
};

struct virtio_mmio {
	struct vm *vm;
	struct plic *plic;
	unsigned slot, irq;
	uint64_t base;
	const struct virtio_device_ops *ops;
	void *dev;
	struct dma_space dma;
	pthread_mutex_t lock, queue_lock, irq_lock;
	uint64_t device_features, driver_features;
	uint32_t device_features_sel, driver_features_sel, queue_sel, shm_sel;
	_Atomic uint32_t status; /* as written by the driver (lock) */
	_Atomic bool needs_reset;
	uint32_t interrupt_status; /* irq_lock */
	_Atomic uint32_t config_generation;
	struct virtio_mmio_queue q[VIRTIO_MMIO_MAX_QUEUES];
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES]; /* queue_lock */
	const char *error;                       /* why the device last needed a reset */
	struct virtio_mmio_stats stats;
};

/* Attach a device at a slot: MMIO range, interrupt, device-tree node. */
int virtio_mmio_init(struct virtio_mmio *t, struct vm *vm, struct plic *plic, unsigned slot,
                     const struct virtio_device_ops *ops, void *dev, uint64_t device_features);
void virtio_mmio_destroy(struct virtio_mmio *t);

/*
 * For the device, with queue_lock held: the queue, if the driver finished
 * initialisation (DRIVER_OK), made it ready and nothing is broken; else NULL.
 */
struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned queue);
/* After virtq_push(): interrupt the driver if it wants to hear of it (queue_lock held). */
void virtio_mmio_used(struct virtio_mmio *t, unsigned queue);
/* The driver broke the device (why: a static string): DEVICE_NEEDS_RESET (2.1.2). */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *why);

/*
 * A device's handler for one request popped from a queue: sets *used (bytes
 * written into the chain) and returns NULL, or returns why the request is
 * malformed beyond an error status (the device then needs a reset).
 */
typedef const char *(*virtio_request_fn)(void *dev, const struct virtq_chain *c, uint32_t *used);

/*
 * For a device's I/O thread: serve `queue` until it is empty, one request
 * per queue_lock hold, with notifications suppressed while it works.
 */
void virtio_mmio_serve(struct virtio_mmio *t, unsigned queue, struct virtq_chain *c,
                       virtio_request_fn handle, void *dev);
/* The device changed its configuration: new generation and a config interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit);

void virtio_mmio_print_stats(const struct virtio_mmio *t, FILE *f);

#endif
