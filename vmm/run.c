// SPDX-License-Identifier: MIT
/*
 * Exit dispatch and the VM lifecycle. vm_vcpu_step() runs one quantum of
 * a vCPU and handles its exit; the scheduler's workers (vmm/sched.c) call
 * it for whichever vCPU they picked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmm/sbi.h"
#include "vmm/vm.h"

/* Exit handlers: >0 resume the vCPU, 0 stop running it, <0 host error. */
typedef int (*exit_handler)(struct vcpu_slot *s, struct vm_exit *e);

static void dump_vcpu(const struct vcpu *v, const char *why)
{
	unsigned i;

	fprintf(stderr,
	        "rvisor: hart %u: %s\n  pc=%016" PRIx64 " priv=%s vsstatus=%016" PRIx64
	        " vsatp=%016" PRIx64 "\n  exit: cause=%" PRIu64 " tval=%016" PRIx64
	        " htval=%016" PRIx64 " htinst=%08" PRIx64 "\n",
	        v->hartid, why, v->pc, v->priv == PRIV_S ? "VS" : "VU", v->vsstatus, v->vsatp,
	        v->exit.cause, v->exit.tval, v->exit.htval, v->exit.htinst);
	for (i = 0; i < 32; i += 4)
		fprintf(stderr,
		        "  x%-2u %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", i,
		        v->x[i], v->x[i + 1], v->x[i + 2], v->x[i + 3]);
}

void vm_request_end(struct vm *vm, enum vm_end how, int detail)
{
	int expect = VM_RUNNING;
	unsigned i;

	pthread_mutex_lock(&vm->lock);
	if (atomic_compare_exchange_strong(&vm->end, &expect, how))
		vm->end_detail = detail;
	pthread_cond_broadcast(&vm->ended);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++) {
		vcpu_kick(&vm->cpus[i].vcpu, VCPU_REQ_STOP);
		vm_vcpu_wake(&vm->cpus[i]);
	}
}

void vm_vcpu_wake(struct vcpu_slot *s)
{
	sched_wake(s);
}

void vm_vcpu_irq(struct vm *vm, unsigned hart, uint64_t mip_bits, bool level)
{
	struct vcpu_slot *s = &vm->cpus[hart];

	vcpu_set_irq(&s->vcpu, mip_bits, level);
	if (level)
		vm_vcpu_wake(s);
}

static int exit_sbi(struct vcpu_slot *s, struct vm_exit *e)
{
	(void)e;
	return sbi_handle(s);
}

/*
 * A G-stage fault: MMIO if a device is there; otherwise the guest touched a
 * hole in its physical map, which real hardware reports as an access fault.
 */
static int exit_guest_page_fault(struct vcpu_slot *s, struct vm_exit *e)
{
	struct mmio_access *m = &e->mmio;
	uint64_t val = m->value;
	uint64_t cause;

	if (m->size && !m->atomic &&
	    mmio_access(&s->vm->bus, gpa(m->gpa), m->size, m->is_write, &val) == 0) {
		vcpu_complete_mmio(&s->vcpu, val);
		return 1;
	}
	if (s->vm->cfg.trace_exits)
		fprintf(stderr,
		        "rvisor: hart %u: access to unbacked GPA %#" PRIx64 " (va %#" PRIx64 ")\n",
		        s->vcpu.hartid, m->gpa, e->tval);
	cause = e->cause == CAUSE_FETCH_GUEST_PAGE_FAULT  ? CAUSE_FETCH_ACCESS
	        : e->cause == CAUSE_LOAD_GUEST_PAGE_FAULT ? CAUSE_LOAD_ACCESS
	                                                  : CAUSE_STORE_ACCESS;
	vcpu_inject_exception(&s->vcpu, cause, e->tval);
	return 1;
}

/*
 * Sensitive instructions the VMM does not emulate (hypervisor CSRs and
 * instructions from V=1, supervisor instructions from VU): the guest kernel
 * sees the illegal instruction a real supervisor would (as KVM does).
 */
static int exit_virtual_insn(struct vcpu_slot *s, struct vm_exit *e)
{
	vcpu_inject_exception(&s->vcpu, CAUSE_ILLEGAL_INSTRUCTION, e->insn);
	return 1;
}

/*
 * wfi with nothing pending: the scheduler parks the vCPU (off the run queue)
 * until an interrupt is pending in vsie, its timer deadline passes, or the VM
 * is paused or ends.
 */
static int exit_wfi(struct vcpu_slot *s, struct vm_exit *e)
{
	(void)e;
	s->sched.wfi = true;
	return 0;
}

/* Pause-loop exit: the vCPU spins on a lock; let another vCPU have the worker. */
static int exit_pause(struct vcpu_slot *s, struct vm_exit *e)
{
	(void)e;
	s->sched.yield = true;
	return 0;
}

static int exit_resume(struct vcpu_slot *s, struct vm_exit *e)
{
	(void)s, (void)e;
	return 1;
}

static int exit_ebreak(struct vcpu_slot *s, struct vm_exit *e)
{
	/* No debugger attached: the breakpoint is the guest's own. */
	vcpu_inject_exception(&s->vcpu, CAUSE_BREAKPOINT, e->tval);
	return 1;
}

static int exit_fatal(struct vcpu_slot *s, struct vm_exit *e)
{
	dump_vcpu(&s->vcpu, e->reason == EXIT_FATAL ? e->fatal : "exception not delegated to VS");
	vm_request_end(s->vm, VM_END_FATAL, 0);
	return 0;
}

static const exit_handler exit_handlers[EXIT_NR] = {
	[EXIT_NONE] = exit_resume,
	[EXIT_SBI] = exit_sbi,
	[EXIT_GUEST_PAGE_FAULT] = exit_guest_page_fault,
	[EXIT_VIRTUAL_INSN] = exit_virtual_insn,
	[EXIT_WFI] = exit_wfi,
	[EXIT_PAUSE] = exit_pause,
	[EXIT_QUANTUM] = exit_resume,
	[EXIT_REQUEST] = exit_resume,
	[EXIT_EBREAK] = exit_ebreak,
	[EXIT_TRAP] = exit_fatal,
	[EXIT_FATAL] = exit_fatal,
};

/* Architectural state of a hart entering the guest (SBI HSM / boot protocol). */
void vm_hart_reset(struct vcpu_slot *s, uint64_t pc, uint64_t a1)
{
	struct vm *vm = s->vm;
	struct vcpu *v = &s->vcpu;
	unsigned id = v->hartid;
	uint64_t tb = v->time_base_ns;

	vcpu_init(v, id);
	v->time_base_ns = tb;
	v->opaque = s;
	/* Delegate what a guest kernel handles itself (like KVM): see DESIGN.md. */
	v->hedeleg = (1ull << CAUSE_MISALIGNED_FETCH) | (1ull << CAUSE_FETCH_ACCESS) |
	             (1ull << CAUSE_ILLEGAL_INSTRUCTION) | (1ull << CAUSE_BREAKPOINT) |
	             (1ull << CAUSE_MISALIGNED_LOAD) | (1ull << CAUSE_LOAD_ACCESS) |
	             (1ull << CAUSE_MISALIGNED_STORE) | (1ull << CAUSE_STORE_ACCESS) |
	             (1ull << CAUSE_USER_ECALL) | (1ull << CAUSE_FETCH_PAGE_FAULT) |
	             (1ull << CAUSE_LOAD_PAGE_FAULT) | (1ull << CAUSE_STORE_PAGE_FAULT);
	v->hideleg = VS_IRQS;
	v->hcounteren = 0xffffffffu;
	/*
	 * The guest's scounteren resets with cycle, time and instret open to
	 * U-mode (its reset value is not specified; firmware commonly opens
	 * them): Linux's vDSO reads `time` from user space, and Linux 6.1 sets
	 * the bits itself only in its SBI PMU driver.
	 */
	v->scounteren = 0x7;
	v->henvcfg = ENVCFG_STCE;
	v->hs_fs = FS_INITIAL;
	v->hstatus = HSTATUS_SPV | (2ull << 32); /* VSXL = 64 */
	v->hgatp = vm->hgatp;
	mmu_set_hgatp(&v->mmu, vm->hgatp);
	v->ple_window = vm->sched.no_ple ? 0 : SCHED_DEFAULT_PLE;
	v->x[10] = id;
	v->x[11] = a1;
	v->pc = pc;
}

/* Run one quantum of a vCPU and handle its exit. Returns like an exit handler. */
int vm_vcpu_step(struct vcpu_slot *s, uint64_t budget)
{
	struct vm_exit *e;

	atomic_store(&s->in_guest, true);
	e = vcpu_run(&s->vcpu, budget ? budget : VM_QUANTUM);
	atomic_store(&s->in_guest, false);
	if (s->vm->cfg.trace_exits && e->reason != EXIT_QUANTUM && e->reason != EXIT_SBI &&
	    e->reason != EXIT_PAUSE)
		fprintf(stderr, "rvisor: hart %u exit %s cause=%" PRIu64 " pc=%#" PRIx64 "\n",
		        s->vcpu.hartid, exit_reason_name(e->reason), e->cause, s->vcpu.pc);
	return exit_handlers[e->reason](s, e);
}

int vm_start(struct vm *vm)
{
	unsigned i;
	int rc;

	if (vm->started)
		return -EALREADY;
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu_slot *s = &vm->cpus[i];

		s->vm = vm;
		pthread_mutex_init(&s->lock, NULL);
		vcpu_init(&s->vcpu, i);
		s->vcpu.time_base_ns = vm->cpus[0].vcpu.time_base_ns;
		s->state = HART_STOPPED;
	}
	/* The boot hart starts at the entry with a1 = the device tree (Linux boot protocol). */
	vm->cpus[0].start_pc = vm->entry.v;
	vm->cpus[0].start_arg = vm->fdt_addr.v;
	vm->cpus[0].state = HART_START_PENDING;
	vm->started = true;
	rc = sched_attach(vm);
	if (rc < 0)
		vm_request_end(vm, VM_END_VMM_ERROR, 0);
	return rc;
}

int vm_wait(struct vm *vm)
{
	int end;

	if (vm->started)
		sched_wait_end(vm);
	end = atomic_load(&vm->end);
	if (end == VM_END_FAILURE && vm->end_detail >= 64)
		return vm->end_detail;
	return end;
}

int vm_run(struct vm *vm)
{
	int rc = vm_start(vm);

	if (rc < 0 && !vm_ended(vm))
		return rc;
	return vm_wait(vm);
}

int vm_pause(struct vm *vm)
{
	unsigned i;

	if (!vm->started || vm_ended(vm))
		return -ESRCH;
	atomic_store(&vm->pause_req, true);
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->cpus[i].vcpu, VCPU_REQ_STOP);
	sched_pause_wait(vm);
	return vm_ended(vm) ? -ESRCH : 0;
}

int vm_resume(struct vm *vm)
{
	if (!vm->started || vm_ended(vm))
		return -ESRCH;
	sched_resume(vm);
	return 0;
}
