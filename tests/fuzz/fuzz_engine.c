// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as guest code and initial registers on
 * one vCPU. Whatever the guest does (garbage page tables, random CSR
 * writes, wild jumps, atomics anywhere), the engine must only produce
 * exits and guest-visible traps: no host crash, no access outside the
 * VM's RAM (ASan watches), no hang (the budget bounds each run).
 */
#include <stdint.h>
#include <string.h>

#include "vmm/vm.h"

#define CODE_MAX (64u << 10)
#define RUNS     16
#define BUDGET   4096

static struct vm vm;
static struct vcpu_slot slot;

static void setup_once(void)
{
	static int done;
	struct vm_config cfg = { .ram_size = 8u << 20, .ncpus = 1 };

	if (done)
		return;
	done = 1;
	if (vm_create(&vm, &cfg) < 0)
		__builtin_trap();
}

/* The minimal VMM side: resolve each exit the way rvisor's own handlers do. */
static int handle(struct vcpu *v, struct vm_exit *e)
{
	switch (e->reason) {
	case EXIT_SBI: vcpu_skip_insn(v, 4); return 1;
	case EXIT_GUEST_PAGE_FAULT:
		if (e->mmio.size && !e->mmio.atomic) {
			vcpu_complete_mmio(v, 0x5a5a5a5a5a5a5a5aull);
			return 1;
		}
		vcpu_inject_exception(v,
		                      e->cause == CAUSE_FETCH_GUEST_PAGE_FAULT ? CAUSE_FETCH_ACCESS
		                      : e->cause == CAUSE_LOAD_GUEST_PAGE_FAULT
		                          ? CAUSE_LOAD_ACCESS
		                          : CAUSE_STORE_ACCESS,
		                      e->tval);
		return 1;
	case EXIT_VIRTUAL_INSN:
		vcpu_inject_exception(v, CAUSE_ILLEGAL_INSTRUCTION, e->insn);
		return 1;
	case EXIT_WFI:
	case EXIT_QUANTUM:
	case EXIT_REQUEST: return 1;
	default: return 0; /* ebreak (not delegated here), trap, fatal: stop this input */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcpu *v;
	size_t regs = size < 31 * 8 ? size : 31 * 8;
	unsigned i;

	setup_once();
	memset(vm.ram, 0, CODE_MAX);
	memcpy(vm.ram, data, size < CODE_MAX ? size : CODE_MAX);
	memset(&slot, 0, offsetof(struct vcpu_slot, vcpu));
	slot.vm = &vm;
	v = &slot.vcpu;
	/* vcpu_init() leaves the cross-thread atomics alone: start each input clean. */
	atomic_store(&v->requests, 0);
	atomic_store(&v->hvip, 0);
	vm_hart_reset(&slot, VM_RAM_BASE, 0);
	v->hedeleg &= ~(1ull << CAUSE_BREAKPOINT);
	/* The input's first bytes double as register values: pointers into RAM are likely. */
	memcpy(&v->x[1], data, regs);
	for (i = 1; i < 32; i += 3)
		v->x[i] = VM_RAM_BASE + (v->x[i] & 0x7fffff);
	for (i = 0; i < RUNS; i++)
		if (!handle(v, vcpu_run(v, BUDGET)))
			break;
	return 0;
}
