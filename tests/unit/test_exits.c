// SPDX-License-Identifier: MIT
/*
 * Engine exits seen from the VMM side: guest code snippets run on one vCPU
 * and the exit records are checked field by field (cause, tval, htval,
 * htinst, decoded MMIO access), as the H extension defines them for a trap
 * to HS (privileged spec 8.6).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vm.h"

#include "tests/unit/check.h"

#include "tests/unit/snippets.h"

static struct vm vm;
static struct vcpu_slot slot;

/* Fresh hart at RAM base running `code`; breakpoints exit instead of entering the guest. */
static struct vcpu *setup(const char *name, const uint8_t *code, size_t len)
{
	cur = name;
	memset(vm.ram, 0, 1 << 20);
	memcpy(vm.ram, code, len);
	memset(&slot, 0, sizeof(slot));
	slot.vm = &vm;
	vm_hart_reset(&slot, VM_RAM_BASE, 0);
	slot.vcpu.hedeleg &= ~(1ull << CAUSE_BREAKPOINT);
	return &slot.vcpu;
}

#define SETUP(n) setup(#n, snip_##n, sizeof(snip_##n))

static void test_mmio(void)
{
	struct vcpu *v = SETUP(mmio_lw);
	struct vm_exit *e = vcpu_run(v, 100);

	CHECK_EQ("reason", e->reason, EXIT_GUEST_PAGE_FAULT);
	CHECK_EQ("cause", e->cause, CAUSE_LOAD_GUEST_PAGE_FAULT);
	CHECK_EQ("tval", e->tval, 0x10000008);
	CHECK_EQ("htval", e->htval, 0x10000008 >> 2);
	CHECK_EQ("htinst (lw a0, 0(x0))", e->htinst, 0x00002503);
	CHECK_EQ("mmio.size", e->mmio.size, 4);
	CHECK_EQ("mmio.sign", e->mmio.sign_extend, 1);
	CHECK_EQ("mmio.reg", e->mmio.reg, 10);
	CHECK_EQ("pc stays at the load", v->pc, VM_RAM_BASE + 4);
	vcpu_complete_mmio(v, 0xdeadbeef);
	CHECK_EQ("a0 after completion", v->x[10], 0xffffffffdeadbeefull);
	CHECK_EQ("pc after completion", v->pc, VM_RAM_BASE + 8);
	e = vcpu_run(v, 100);
	CHECK_EQ("then ebreak exits", e->reason, EXIT_EBREAK);
	CHECK_EQ("gpf counter", v->stats.exits[EXIT_GUEST_PAGE_FAULT], 1);

	v = SETUP(mmio_csw);
	e = vcpu_run(v, 100);
	CHECK_EQ("reason", e->reason, EXIT_GUEST_PAGE_FAULT);
	CHECK_EQ("cause", e->cause, CAUSE_STORE_GUEST_PAGE_FAULT);
	CHECK_EQ("tval", e->tval, 0x10000004);
	/* sw a0, 0(x0) with bit 1 cleared: the original was compressed */
	CHECK_EQ("htinst", e->htinst, 0x00a02023 & ~2u);
	CHECK_EQ("mmio.write", e->mmio.is_write, 1);
	CHECK_EQ("mmio.value", e->mmio.value, 0x55);
	CHECK_EQ("mmio.len", e->mmio.insn_len, 2);
}

static void test_implicit(void)
{
	struct vcpu *v = SETUP(implicit);
	struct vm_exit *e = vcpu_run(v, 100);

	/* The next fetch is the first access translated through the unbacked root. */
	CHECK_EQ("reason", e->reason, EXIT_GUEST_PAGE_FAULT);
	CHECK_EQ("cause: the original access type", e->cause, CAUSE_FETCH_GUEST_PAGE_FAULT);
	CHECK_EQ("tval: the guest virtual address", e->tval, v->pc);
	CHECK_EQ("htval: the root PTE's GPA (VPN[2] = 2)", e->htval, (0x10000000 + 2 * 8) >> 2);
	CHECK_EQ("htinst: PTE read pseudoinstruction", e->htinst, HTINST_PTE_READ64);
	CHECK_EQ("not emulable as MMIO", e->mmio.size, 0);
}

static void test_virtual_insn(void)
{
	struct vcpu *v = SETUP(hstatus);
	struct vm_exit *e = vcpu_run(v, 100);

	CHECK_EQ("reason", e->reason, EXIT_VIRTUAL_INSN);
	CHECK_EQ("cause", e->cause, CAUSE_VIRTUAL_INSTRUCTION);
	CHECK_EQ("insn", e->insn, 0x60002573);

	v = SETUP(sret);
	v->hstatus |= HSTATUS_VTSR;
	e = vcpu_run(v, 100);
	CHECK_EQ("VTSR sret", e->reason, EXIT_VIRTUAL_INSN);

	v = SETUP(wfi);
	v->hstatus |= HSTATUS_VTW;
	e = vcpu_run(v, 100);
	CHECK_EQ("VTW wfi", e->reason, EXIT_VIRTUAL_INSN);
	CHECK_EQ("pc at the wfi", v->pc, VM_RAM_BASE);

	v = SETUP(wfi);
	e = vcpu_run(v, 100);
	CHECK_EQ("wfi without VTW", e->reason, EXIT_WFI);
	CHECK_EQ("pc after the wfi", v->pc, VM_RAM_BASE + 4);

	v = SETUP(sfence);
	v->hstatus |= HSTATUS_VTVM;
	e = vcpu_run(v, 100);
	CHECK_EQ("VTVM sfence.vma", e->reason, EXIT_VIRTUAL_INSN);

	v = SETUP(satp);
	v->hstatus |= HSTATUS_VTVM;
	e = vcpu_run(v, 100);
	CHECK_EQ("VTVM satp read", e->reason, EXIT_VIRTUAL_INSN);

	v = SETUP(satp);
	e = vcpu_run(v, 100);
	CHECK_EQ("satp read without VTVM", e->reason, EXIT_EBREAK);
}

static void test_misc_exits(void)
{
	struct vcpu *v = SETUP(ecall);
	struct vm_exit *e = vcpu_run(v, 100);

	CHECK_EQ("reason", e->reason, EXIT_SBI);
	CHECK_EQ("cause", e->cause, CAUSE_VIRTUAL_SUPERVISOR_ECALL);
	CHECK_EQ("a7", v->x[17], 0x10);

	v = SETUP(loop);
	e = vcpu_run(v, 1000);
	CHECK_EQ("quantum", e->reason, EXIT_QUANTUM);
	CHECK_EQ("instret", v->stats.instret, 1000);

	v = SETUP(fetch_mmio);
	e = vcpu_run(v, 100);
	CHECK_EQ("fetch gpf", e->reason, EXIT_GUEST_PAGE_FAULT);
	CHECK_EQ("fetch cause", e->cause, CAUSE_FETCH_GUEST_PAGE_FAULT);
	CHECK_EQ("fetch tval", e->tval, 0x10000000);
	CHECK_EQ("fetch htinst", e->htinst, 0);

	v = SETUP(deleg);
	e = vcpu_run(v, 100);
	CHECK_EQ("delegated illegal insn did not exit", e->reason, EXIT_EBREAK);
	CHECK_EQ("guest scause", v->x[10], CAUSE_ILLEGAL_INSTRUCTION);
	CHECK_EQ("guest stval = insn bits", v->x[11], 0);
	CHECK_EQ("no trap exit counted", v->stats.exits[EXIT_TRAP], 0);
	CHECK_EQ("one trap taken by the guest", v->stats.traps_to_vs, 1);
}

static void test_walk_refs(void)
{
	struct vcpu *v = SETUP(sv39);
	uint64_t *root = (uint64_t *)(vm.ram + 0x10000), *l1 = (uint64_t *)(vm.ram + 0x11000),
	         *l0 = (uint64_t *)(vm.ram + 0x12000);
	struct vm_exit *e;
	uint64_t walks0, refs0;

	/* Identity-map the code with a 1 GiB leaf, VA 0x40000000 through three levels. */
	root[2] = (0x80000000ull >> 12) << 10 | 0xcf; /* V R W X A D */
	root[1] = (0x80011000ull >> 12) << 10 | 1;    /* VA 0x40000000.. */
	l1[0] = (0x80012000ull >> 12) << 10 | 1;
	l0[0] = (0x80013000ull >> 12) << 10 | 0xc3; /* V R A D */
	*(uint64_t *)(vm.ram + 0x13000) = 0x1122334455667788ull;
	walks0 = v->mmu.stats.walks;
	refs0 = v->mmu.stats.walk_refs;
	e = vcpu_run(v, 100);
	CHECK_EQ("reason", e->reason, EXIT_EBREAK);
	CHECK_EQ("loaded through 3 levels", v->x[10], 0x1122334455667788ull);
	/*
	 * Four walks. The code page with vsatp Bare: the G-stage alone, root +
	 * 2 MiB leaf = 2 references. The code page after the satp write (a MODE
	 * change drops Bare-mode entries) and again after sfence.vma: one
	 * VS-stage PTE (1 GiB leaf) whose GPA takes a 2-reference G-stage walk,
	 * then the final GPA: (2 + 1) + 2 = 5 each. The data page: three
	 * VS-stage levels: 3 * (2 + 1) + 2 = 11.
	 */
	CHECK_EQ("walks", v->mmu.stats.walks - walks0, 4);
	CHECK_EQ("walk refs", v->mmu.stats.walk_refs - refs0, 2 + 5 + 5 + 11);
}

/* A parked wfi wakes for the timer only if the guest enabled its interrupt. */
static void test_wfi_deadline(void)
{
	struct vcpu *v = SETUP(wfi);

	cur = "wfi deadline";
	v->vstimecmp = 0; /* long past */
	v->hie &= ~MIP_VSTIP;
	CHECK_EQ("STIE off: no timer deadline", vcpu_timer_deadline_ns(v), UINT64_MAX);
	CHECK_EQ("STIE off: no wakeup", vcpu_irq_wakeup(v), 0);
	v->hie |= MIP_VSTIP;
	CHECK_EQ("STIE on: deadline is now or past", vcpu_timer_deadline_ns(v) <= host_time_ns(),
	         1);
	CHECK_EQ("STIE on: wakeup", vcpu_irq_wakeup(v), 1);
}

int main(void)
{
	struct vm_config cfg = { .ram_size = 16u << 20, .ncpus = 1 };

	if (vm_create(&vm, &cfg) < 0) {
		printf("cannot create VM\n");
		return 1;
	}
	test_mmio();
	test_implicit();
	test_virtual_insn();
	test_misc_exits();
	test_walk_refs();
	test_wfi_deadline();
	vm_destroy(&vm);
	return check_summary();
}
