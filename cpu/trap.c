// SPDX-License-Identifier: MIT
/*
 * Traps with V=1 (privileged spec 8.6): exceptions and interrupts delegated
 * through hedeleg/hideleg enter the guest at vstvec; everything else is a
 * trap to HS, which in rvisor is an exit to the VMM.
 */
#include <string.h>

#include "cpu/internal.h"

/* hedeleg bits that can never be delegated to VS (8.2.2). */
#define HEDELEG_RO0                                                                    \
	((1ull << CAUSE_VIRTUAL_SUPERVISOR_ECALL) | (1ull << CAUSE_MACHINE_ECALL) |    \
	 (1ull << CAUSE_SUPERVISOR_ECALL) | (1ull << CAUSE_FETCH_GUEST_PAGE_FAULT) |   \
	 (1ull << CAUSE_LOAD_GUEST_PAGE_FAULT) | (1ull << CAUSE_VIRTUAL_INSTRUCTION) | \
	 (1ull << CAUSE_STORE_GUEST_PAGE_FAULT))

void vcpu_set_priv(struct vcpu *v, unsigned priv)
{
	v->priv = (uint8_t)priv;
	mmu_set_context(&v->mmu, priv, v->vsstatus);
	fetch_invalidate(v);
}

static void enter_vs(struct vcpu *v, uint64_t cause, uint64_t tval)
{
	uint64_t s = v->vsstatus;
	uint64_t base = v->vstvec & ~3ull;

	v->vsepc = v->pc;
	v->vscause = cause;
	v->vstval = tval;
	s &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (v->priv == PRIV_S)
		s |= SSTATUS_SPP;
	if (s & SSTATUS_SIE)
		s |= SSTATUS_SPIE;
	s &= ~SSTATUS_SIE;
	v->vsstatus = s;
	if ((cause & CAUSE_INTERRUPT) && (v->vstvec & 3) == 1)
		base += 4 * (cause & ~CAUSE_INTERRUPT);
	v->pc = base;
	v->resv_addr = NULL;
	vcpu_set_priv(v, PRIV_S);
}

static enum exit_reason exit_for_cause(uint64_t cause)
{
	switch (cause) {
	case CAUSE_VIRTUAL_SUPERVISOR_ECALL: return EXIT_SBI;
	case CAUSE_FETCH_GUEST_PAGE_FAULT:
	case CAUSE_LOAD_GUEST_PAGE_FAULT:
	case CAUSE_STORE_GUEST_PAGE_FAULT: return EXIT_GUEST_PAGE_FAULT;
	case CAUSE_VIRTUAL_INSTRUCTION: return EXIT_VIRTUAL_INSN;
	case CAUSE_BREAKPOINT: return EXIT_EBREAK;
	default: return EXIT_TRAP;
	}
}

enum step trap_raise(struct vcpu *v, uint64_t cause, uint64_t tval, const struct insn *in)
{
	if (cause < 64 && ((v->hedeleg & ~HEDELEG_RO0) >> cause & 1)) {
		v->stats.traps_to_vs++;
		enter_vs(v, cause, tval);
		return STEP_TRAPPED;
	}
	memset(&v->exit, 0, sizeof(v->exit));
	v->exit.cause = cause;
	v->exit.tval = tval;
	v->exit.insn = in ? in->raw : 0;
	return exit_with(v, exit_for_cause(cause));
}

void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
	v->stats.traps_to_vs++;
	enter_vs(v, cause, tval);
}

/*
 * htinst for an explicit load/store (8.6.3): the instruction with its
 * address-offset fields zeroed, in 32-bit form; bit 1 clear marks a
 * compressed original.
 */
static uint64_t transformed_insn(const struct insn *in)
{
	uint32_t r;
	unsigned f3;

	switch (in->op) {
	case OP_LB ... OP_LWU:
		f3 = (unsigned)(in->op - OP_LB); /* the op enum follows funct3 order */
		r = 0x03u | in->rd << 7 | f3 << 12;
		break;
	case OP_SB ... OP_SD:
		r = 0x23u | (unsigned)(in->op - OP_SB) << 12 | (unsigned)in->rs2 << 20;
		break;
	case OP_FLW:
	case OP_FLD: r = 0x07u | in->rd << 7 | (in->op == OP_FLW ? 2u : 3u) << 12; break;
	case OP_FSW:
	case OP_FSD:
		r = 0x27u | (in->op == OP_FSW ? 2u : 3u) << 12 | (unsigned)in->rs2 << 20;
		break;
	case OP_LR_W ... OP_AMOMAXU_D:
		/* AMOs keep everything but rs1. */
		r = (in->raw & ~(0x1fu << 15));
		break;
	default: return 0;
	}
	if (in->len == 2)
		r &= ~2u;
	return r;
}

enum step trap_guest_page_fault(struct vcpu *v, const struct mmu_fault *f, const struct insn *in,
                                int mmio_ok)
{
	struct mmio_access *m = &v->exit.mmio;

	memset(&v->exit, 0, sizeof(v->exit));
	v->exit.cause = f->cause;
	v->exit.tval = f->tval;
	v->exit.htval = f->gpa >> 2;
	v->exit.insn = in ? in->raw : 0;
	if (f->implicit)
		v->exit.htinst =
		    f->implicit == WALK_IMPLICIT_WRITE ? HTINST_PTE_WRITE64 : HTINST_PTE_READ64;
	else if (in)
		v->exit.htinst = transformed_insn(in);
	m->gpa = f->gpa;
	m->implicit = f->implicit != 0;
	m->insn_len = in ? in->len : 0;
	if (!in || f->implicit || !mmio_ok) {
		/* Not an access the VMM can emulate as MMIO: size stays 0. */
		m->atomic = in && in->op >= OP_LR_W && in->op <= OP_AMOMAXU_D;
		return exit_with(v, EXIT_GUEST_PAGE_FAULT);
	}
	m->reg = in->op >= OP_SB && in->op <= OP_SD ? in->rs2 : in->rd;
	switch (in->op) {
	case OP_LB: m->size = 1, m->sign_extend = 1; break;
	case OP_LH: m->size = 2, m->sign_extend = 1; break;
	case OP_LW: m->size = 4, m->sign_extend = 1; break;
	case OP_LD: m->size = 8; break;
	case OP_LBU: m->size = 1; break;
	case OP_LHU: m->size = 2; break;
	case OP_LWU: m->size = 4; break;
	case OP_FLW: m->size = 4, m->fp = 1; break;
	case OP_FLD: m->size = 8, m->fp = 1; break;
	case OP_SB: m->size = 1, m->is_write = 1; break;
	case OP_SH: m->size = 2, m->is_write = 1; break;
	case OP_SW: m->size = 4, m->is_write = 1; break;
	case OP_SD: m->size = 8, m->is_write = 1; break;
	case OP_FSW: m->size = 4, m->is_write = 1, m->fp = 1, m->reg = in->rs2; break;
	case OP_FSD: m->size = 8, m->is_write = 1, m->fp = 1, m->reg = in->rs2; break;
	default: m->atomic = 1; break;
	}
	if (m->is_write) {
		uint64_t val = m->fp ? v->f[m->reg] : v->x[m->reg];
		m->value = m->size == 8 ? val : val & ((1ull << (8 * m->size)) - 1);
	}
	return exit_with(v, EXIT_GUEST_PAGE_FAULT);
}

uint64_t vs_pending(struct vcpu *v)
{
	uint64_t p = atomic_load_explicit(&v->hvip, memory_order_relaxed) & VS_IRQS;

	if ((v->henvcfg & ENVCFG_STCE) && vcpu_time(v) >= v->vstimecmp)
		p |= MIP_VSTIP;
	return p;
}

bool vcpu_irq_wakeup(struct vcpu *v)
{
	return (vs_pending(v) & v->hie & v->hideleg) != 0;
}

bool trap_check_irq(struct vcpu *v)
{
	uint64_t p;
	unsigned irq;

	if (v->priv == PRIV_S && !(v->vsstatus & SSTATUS_SIE))
		return false;
	p = vs_pending(v) & v->hie & v->hideleg;
	if (!p)
		return false;
	/* Priority among VS interrupts: external, software, timer (3.1.9). */
	irq = (p & MIP_VSEIP) ? IRQ_VS_EXT : (p & MIP_VSSIP) ? IRQ_VS_SOFT : IRQ_VS_TIMER;
	v->stats.interrupts_to_vs++;
	/* The guest sees VS interrupts as the supervisor ones one bit lower (8.2.3). */
	enter_vs(v, CAUSE_INTERRUPT | (irq - 1), 0);
	return true;
}

enum step trap_sret(struct vcpu *v, const struct insn *in)
{
	uint64_t s = v->vsstatus;
	unsigned spp;

	if (v->priv == PRIV_U || (v->hstatus & HSTATUS_VTSR))
		return trap_raise(v, CAUSE_VIRTUAL_INSTRUCTION, in->raw, in);
	spp = (s & SSTATUS_SPP) ? PRIV_S : PRIV_U;
	s &= ~(SSTATUS_SIE | SSTATUS_SPP);
	if (s & SSTATUS_SPIE)
		s |= SSTATUS_SIE;
	s |= SSTATUS_SPIE;
	v->vsstatus = s;
	v->pc = v->vsepc;
	v->resv_addr = NULL;
	vcpu_set_priv(v, spp);
	return STEP_RECHECK;
}
