/* SPDX-License-Identifier: MIT */
/*
 * The "virt" platform: a QEMU virt compatible physical map. Each device's
 * constructor attaches its MMIO range, its interrupt and its own device-tree
 * node; this file only lists which devices a VM has.
 */
#ifndef RVISOR_VMM_PLATFORM_H
#define RVISOR_VMM_PLATFORM_H

#include <stddef.h>
#include <stdio.h>

#include "dev/plic.h"
#include "dev/uart.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_net.h"
#include "dev/virtio_rng.h"
#include "vmm/console.h"

struct platform {
	struct console console;
	struct plic plic;
	struct uart uart;
	struct virtio_blk *blk[VM_MAX_VIRTIO]; /* vm->cfg.disks, one virtio-mmio slot each */
	unsigned nblk;
	struct virtio_net *net[VM_MAX_VIRTIO]; /* vm->cfg.nets, after the disks */
	unsigned nnet;
	unsigned next_slot; /* the next free virtio-mmio slot */
	struct virtio_rng *rng;
};

/* Create the VM's devices; on error, err says what went wrong. 0 or -errno. */
int platform_create(struct vm *vm, int in_fd, int out_fd, char *err, size_t errlen);
/* Stop the threads that serve devices (console input, device I/O): the VM has ended. */
void platform_stop(struct vm *vm);
void platform_destroy(struct vm *vm);
/* Device counters (--stats). */
void platform_print_stats(const struct vm *vm, FILE *f);

#endif
