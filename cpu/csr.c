// SPDX-License-Identifier: MIT
/*
 * The CSR file as seen from V=1 (privileged spec 2.1, 8.2, 8.6.1): s* CSRs
 * are redirected to the vs* registers, hypervisor and VS CSRs raise a
 * virtual-instruction exception, M-level CSRs an illegal-instruction one.
 */
#include "cpu/internal.h"

/* sstatus bits the guest can write; UXL reads as 64-bit, SD is computed. */
#define VSSTATUS_WMASK \
	(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_FS | SSTATUS_SUM | SSTATUS_MXR)

enum csr_result { CSR_OK, CSR_ILLEGAL, CSR_VIRTUAL };

/* sie/sip bit n+1 of the guest view is hie/hip VS bit n... (8.2.3): VS bits sit one above. */
static uint64_t vs_to_s(uint64_t hbits)
{
	return (hbits & VS_IRQS) >> 1;
}

static uint64_t s_to_vs(uint64_t sbits)
{
	return (sbits << 1) & VS_IRQS;
}

static uint64_t read_vsstatus(const struct vcpu *v)
{
	uint64_t s = (v->vsstatus & VSSTATUS_WMASK) | UXL_64;

	if ((s & SSTATUS_FS) == FS_DIRTY)
		s |= SSTATUS_SD;
	return s;
}

static bool counter_allowed(struct vcpu *v, unsigned idx, enum csr_result *why)
{
	if (!(v->hcounteren >> idx & 1)) {
		*why = CSR_VIRTUAL;
		return false;
	}
	if (v->priv == PRIV_U && !(v->scounteren >> idx & 1)) {
		*why = CSR_ILLEGAL;
		return false;
	}
	return true;
}

static enum csr_result csr_read(struct vcpu *v, unsigned csr, uint64_t *val)
{
	enum csr_result why = CSR_ILLEGAL;

	switch (csr) {
	case CSR_FFLAGS: *val = v->fflags; return CSR_OK;
	case CSR_FRM: *val = v->frm; return CSR_OK;
	case CSR_FCSR: *val = (uint64_t)v->frm << 5 | v->fflags; return CSR_OK;
	case CSR_CYCLE:
	case CSR_INSTRET:
		if (!counter_allowed(v, csr & 31, &why))
			return why;
		*val = v->stats.instret;
		return CSR_OK;
	case CSR_TIME:
		if (!counter_allowed(v, 1, &why))
			return why;
		*val = vcpu_time(v);
		return CSR_OK;
	case CSR_HPMCOUNTER3 ... CSR_HPMCOUNTER31:
		if (!counter_allowed(v, csr & 31, &why))
			return why;
		*val = 0; /* no hardware performance events are implemented */
		return CSR_OK;
	default: break;
	}
	/* Everything below is supervisor level: VU gets a virtual-instruction trap. */
	switch (csr) {
	case CSR_SSTATUS: *val = read_vsstatus(v); break;
	case CSR_SIE: *val = vs_to_s(v->hie & v->hideleg); break;
	case CSR_STVEC: *val = v->vstvec; break;
	case CSR_SCOUNTEREN: *val = v->scounteren; break;
	case CSR_SENVCFG: *val = v->senvcfg; break;
	case CSR_SSCRATCH: *val = v->vsscratch; break;
	case CSR_SEPC: *val = v->vsepc; break;
	case CSR_SCAUSE: *val = v->vscause; break;
	case CSR_STVAL: *val = v->vstval; break;
	case CSR_SIP: *val = vs_to_s(vs_pending(v) & v->hideleg); break;
	case CSR_STIMECMP:
		if (!(v->henvcfg & ENVCFG_STCE) || !(v->hcounteren & 2))
			return CSR_VIRTUAL;
		*val = v->vstimecmp;
		break;
	case CSR_SATP:
		if (v->priv == PRIV_S && (v->hstatus & HSTATUS_VTVM))
			return CSR_VIRTUAL;
		*val = v->vsatp;
		break;
	default:
		/* Hypervisor and VS CSRs exist, but not for V=1 (8.6.1). */
		if (((csr >> 8) & 3) == 2 &&
		    (csr == CSR_HSTATUS || csr == CSR_HEDELEG || csr == CSR_HIDELEG ||
		     csr == CSR_HIE || csr == CSR_HTIMEDELTA || csr == CSR_HCOUNTEREN ||
		     csr == CSR_HGEIE || csr == CSR_HENVCFG || csr == CSR_HTVAL || csr == CSR_HIP ||
		     csr == CSR_HVIP || csr == CSR_HTINST || csr == CSR_HGATP || csr == CSR_HGEIP ||
		     (csr >= 0x200 && csr <= 0x280)))
			return CSR_VIRTUAL;
		return CSR_ILLEGAL;
	}
	return v->priv == PRIV_U ? CSR_VIRTUAL : CSR_OK;
}

static void set_fs_dirty(struct vcpu *v)
{
	v->vsstatus |= FS_DIRTY;
	v->hs_fs = FS_DIRTY;
}

/* Write after a successful read-permission check; returns STEP_RECHECK if interrupts may change. */
static enum step csr_write(struct vcpu *v, unsigned csr, uint64_t val)
{
	switch (csr) {
	case CSR_FFLAGS: v->fflags = val & 0x1f, set_fs_dirty(v); break;
	case CSR_FRM: v->frm = val & 7, set_fs_dirty(v); break;
	case CSR_FCSR:
		v->fflags = val & 0x1f;
		v->frm = (val >> 5) & 7;
		set_fs_dirty(v);
		break;
	case CSR_SSTATUS: {
		uint64_t old = v->vsstatus;

		v->vsstatus = (old & ~VSSTATUS_WMASK) | (val & VSSTATUS_WMASK);
		if ((old ^ v->vsstatus) & (SSTATUS_SUM | SSTATUS_MXR))
			mmu_set_context(&v->mmu, v->priv, v->vsstatus);
		return STEP_RECHECK;
	}
	case CSR_SIE:
		v->hie = (v->hie & ~v->hideleg) | (s_to_vs(val) & v->hideleg);
		return STEP_RECHECK;
	case CSR_STVEC: v->vstvec = val & ~2ull; break; /* modes 2, 3 reserved: WARL */
	case CSR_SCOUNTEREN: v->scounteren = (uint32_t)val; break;
	case CSR_SENVCFG: v->senvcfg = val & ENVCFG_FIOM; break;
	case CSR_SSCRATCH: v->vsscratch = val; break;
	case CSR_SEPC: v->vsepc = val & ~1ull; break;
	case CSR_SCAUSE: v->vscause = val; break;
	case CSR_STVAL: v->vstval = val; break;
	case CSR_SIP:
		/* Only SSIP is writable, and it aliases hvip.VSSIP when delegated. */
		if (v->hideleg & MIP_VSSIP)
			vcpu_set_irq(v, MIP_VSSIP, (val & (1ull << IRQ_S_SOFT)) != 0);
		return STEP_RECHECK;
	case CSR_STIMECMP: v->vstimecmp = val; return STEP_RECHECK;
	case CSR_SATP: {
		uint64_t mode = val >> SATP_MODE_SHIFT;

		/* Unsupported modes leave vsatp unchanged (WARL, 4.1.11). */
		if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48)
			break;
		v->vsatp = val;
		mmu_set_vsatp(&v->mmu, val);
		fetch_invalidate(v);
		break;
	}
	default: break;
	}
	return STEP_NEXT;
}

static bool is_fp_csr(unsigned csr)
{
	return csr >= CSR_FFLAGS && csr <= CSR_FCSR;
}

enum step csr_insn(struct vcpu *v, const struct insn *in)
{
	unsigned csr = (unsigned)in->imm & 0xfff;
	uint64_t src = (in->op >= OP_CSRRWI) ? in->rs1 : v->x[in->rs1];
	bool writes = (in->op == OP_CSRRW || in->op == OP_CSRRWI) || in->rs1 != 0;
	enum csr_result r;
	uint64_t old = 0, val;
	enum step st;

	if (is_fp_csr(csr) && (v->hs_fs == FS_OFF || (v->vsstatus & SSTATUS_FS) == FS_OFF))
		return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	/* Access checks are the same whether or not the value is used; do them via a read. */
	r = csr_read(v, csr, &old);
	if (r == CSR_OK && writes && (csr >> 10) == 3)
		r = CSR_ILLEGAL; /* read-only CSR */
	if (r == CSR_VIRTUAL)
		return trap_raise(v, CAUSE_VIRTUAL_INSTRUCTION, in->raw, in);
	if (r != CSR_OK)
		return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	switch (in->op) {
	case OP_CSRRW:
	case OP_CSRRWI: val = src; break;
	case OP_CSRRS:
	case OP_CSRRSI: val = old | src; break;
	default: val = old & ~src; break;
	}
	st = writes ? csr_write(v, csr, val) : STEP_NEXT;
	v->x[in->rd] = old;
	v->x[0] = 0;
	return st;
}
