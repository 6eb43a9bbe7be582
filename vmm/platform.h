/* SPDX-License-Identifier: MIT */
/*
 * The "virt" platform: a QEMU virt compatible physical map. Each device's
 * constructor attaches its MMIO range, its interrupt and its own device-tree
 * node; this file only lists which devices a VM has.
 */
#ifndef RVISOR_VMM_PLATFORM_H
#define RVISOR_VMM_PLATFORM_H

#include "dev/plic.h"
#include "dev/uart.h"
#include "vmm/console.h"

struct platform {
	struct console console;
	struct plic plic;
	struct uart uart;
};

int platform_create(struct vm *vm, int in_fd, int out_fd);
void platform_destroy(struct vm *vm);

#endif
