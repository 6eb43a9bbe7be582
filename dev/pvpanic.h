/* SPDX-License-Identifier: MIT */
/*
 * pvpanic (QEMU's pvpanic device specification, MMIO flavour): the guest
 * kernel writes "panicked" on panic, and the VM ends with VM_END_PANIC.
 */
#ifndef RVISOR_DEV_PVPANIC_H
#define RVISOR_DEV_PVPANIC_H

#include "vmm/vm.h"

#define PVPANIC_BASE 0x00102000ull
#define PVPANIC_SIZE 0x2ull

int pvpanic_init(struct vm *vm);

#endif
