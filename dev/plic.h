/* SPDX-License-Identifier: MIT */
/*
 * Platform-Level Interrupt Controller (RISC-V PLIC specification 1.0.0),
 * one S-mode context per vCPU, driving each vCPU's VSEIP.
 */
#ifndef RVISOR_DEV_PLIC_H
#define RVISOR_DEV_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

#define PLIC_BASE     0x0c000000ull
#define PLIC_SIZE     0x04000000ull
#define PLIC_NSOURCES 64 /* source 0 is reserved: riscv,ndev = 63 */
#define PLIC_PHANDLE  0x100

struct plic {
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned ncontexts;
	uint32_t priority[PLIC_NSOURCES];
	uint64_t level;     /* input lines */
	uint64_t pending;   /* gateway: latched requests */
	uint64_t in_flight; /* claimed, not yet completed */
	uint64_t enable[VM_MAX_VCPUS];
	uint32_t threshold[VM_MAX_VCPUS];
	bool eip[VM_MAX_VCPUS];
};

/* Create the PLIC, register it on the VM's bus and in its device tree. */
int plic_init(struct plic *p, struct vm *vm);
void plic_destroy(struct plic *p);

/* A device's interrupt line (level-triggered). Any thread. */
void plic_set_irq(struct plic *p, unsigned source, bool level);

#endif
