/* SPDX-License-Identifier: MIT */
/* virtio-rng, the entropy device (virtio 1.2, 5.4), fed by the host's getrandom(2). */
#ifndef RVISOR_DEV_VIRTIO_RNG_H
#define RVISOR_DEV_VIRTIO_RNG_H

#include <stdio.h>

#include "dev/iothread.h"
#include "dev/virtio_mmio.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_BUFS   16
/* 5.4.6.1: the device MAY use less than the whole buffer; this much per request at most. */
#define VIRTIO_RNG_MAX_BYTES 65536

struct virtio_rng {
	struct virtio_mmio mmio;
	struct iothread io;
	struct iovec iov[VIRTIO_RNG_MAX_BUFS]; /* I/O thread only */
	uint64_t requests, bytes;
};

int virtio_rng_init(struct virtio_rng *r, struct vm *vm, struct plic *plic, unsigned slot);
void virtio_rng_destroy(struct virtio_rng *r);
void virtio_rng_print_stats(const struct virtio_rng *r, FILE *f);

#endif
