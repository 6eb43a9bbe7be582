// SPDX-License-Identifier: MIT
/*
 * The per-vCPU software TLB: guest virtual page -> host pointer, both stages
 * folded (the hit path is mmu_lookup() in mmu.h). Entries are 4 KiB, tagged
 * with the VPN, the ASID and the VS-stage G bit, and carry one permission bit
 * per context (priv x SUM x MXR), so privilege and vsstatus changes need no
 * flush (4.2.1: SUM and MXR changes take effect immediately). VMIDs are not
 * tagged: an hgatp write flushes. Fences follow 4.2.1 and 8.3.2.
 */
#include <string.h>

#include "mmu/mmu.h"

static void entry_invalidate(struct tlb_entry *e)
{
	e->tag = TLB_TAG_INVALID;
	e->ok = 0;
}

static void tlb_clear(struct mmu *m)
{
	unsigned acc, i;

	for (acc = 0; acc < 3; acc++)
		for (i = 0; i < TLB_ENTRIES; i++)
			entry_invalidate(&m->tlb[acc][i]);
	m->has_super = 0;
}

void mmu_init(struct mmu *m)
{
	memset(m, 0, sizeof(*m));
	tlb_clear(m);
	mmu_set_context(m, PRIV_S, 0);
}

void mmu_set_context(struct mmu *m, unsigned priv, uint64_t vsstatus)
{
	m->priv = priv & PRIV_S;
	m->flags = (uint8_t)((vsstatus & SSTATUS_SUM ? WALK_SUM : 0) |
	                     (vsstatus & SSTATUS_MXR ? WALK_MXR : 0));
	m->ctx_bit = (uint8_t)(1u << (m->priv | m->flags));
}

void mmu_set_vsatp(struct mmu *m, uint64_t vsatp)
{
	if ((vsatp ^ m->vsatp) >> SATP_MODE_SHIFT) {
		m->stats.flushes++;
		tlb_clear(m);
	}
	m->vsatp = vsatp;
	m->asid = (uint16_t)((vsatp >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
}

void mmu_set_hgatp(struct mmu *m, uint64_t hgatp)
{
	m->hgatp = hgatp;
	m->stats.flushes++;
	tlb_clear(m);
}

void mmu_flush_all(struct mmu *m)
{
	m->stats.flushes++;
	tlb_clear(m);
}

uint8_t *mmu_translate(struct mmu *m, uint64_t va, enum mmu_access acc, struct mmu_fault *f)
{
	const struct walk_req req = {
		.va = va,
		.access = acc,
		.priv = m->priv,
		.flags = m->flags,
		.vsatp = m->vsatp,
		.hgatp = m->hgatp,
	};
	struct walk_result r;
	struct tlb_entry *e;

	m->stats.misses++;
	m->stats.walks++;
	mmu_walk(&req, &r);
	m->stats.walk_refs += r.refs;
	if (r.status != WALK_OK) {
		f->cause = r.cause;
		f->tval = va;
		f->gpa = r.gpa;
		f->implicit = r.implicit;
		return NULL;
	}
	e = &m->tlb[acc][(va >> PT_PAGE_SHIFT) & (TLB_ENTRIES - 1)];
	e->tag = va >> PT_PAGE_SHIFT;
	e->addend = (uintptr_t)r.host - (uintptr_t)va;
	e->gpa_page = r.gpa & ~((1ull << PT_PAGE_SHIFT) - 1);
	e->asid = m->asid;
	e->ok = r.ok;
	e->global = (r.vs_perm & PTE_G) != 0;
	e->vs_shift = r.vs_shift;
	e->g_shift = r.g_shift;
	if (r.vs_shift > PT_PAGE_SHIFT)
		m->has_super = 1;
	return r.host;
}

/*
 * Does the fence cover this entry? With an ASID, global entries stay; with
 * a VA, any entry whose VS-stage leaf (of any size) maps the VA goes.
 */
static bool sfence_covers(const struct tlb_entry *e, const struct sfence_req *r)
{
	if (e->tag == TLB_TAG_INVALID)
		return false;
	if ((r->flags & SFENCE_ASID) && (e->global || e->asid != r->asid))
		return false;
	if (r->flags & SFENCE_VA)
		return ((e->tag ^ (r->va >> PT_PAGE_SHIFT)) >> (e->vs_shift - PT_PAGE_SHIFT)) == 0;
	return true;
}

void mmu_sfence_vma(struct mmu *m, const struct sfence_req *r)
{
	unsigned acc, i;

	m->stats.flushes++;
	if (!(r->flags & (SFENCE_VA | SFENCE_ASID))) {
		tlb_clear(m);
		return;
	}
	if ((r->flags & SFENCE_VA) && !m->has_super) {
		/* Only 4 KiB entries: the one slot per array that can hold va. */
		i = (unsigned)(r->va >> PT_PAGE_SHIFT) & (TLB_ENTRIES - 1);
		for (acc = 0; acc < 3; acc++)
			if (sfence_covers(&m->tlb[acc][i], r))
				entry_invalidate(&m->tlb[acc][i]);
		return;
	}
	for (acc = 0; acc < 3; acc++)
		for (i = 0; i < TLB_ENTRIES; i++)
			if (sfence_covers(&m->tlb[acc][i], r))
				entry_invalidate(&m->tlb[acc][i]);
}

/*
 * Entries are tagged with their GPA, so a fence by address drops exactly
 * those whose GPA lies in the fenced address's G-stage leaf (8.3.2 note).
 */
void mmu_hfence_gvma(struct mmu *m, uint64_t gpa, bool has_gpa)
{
	unsigned acc, i;

	m->stats.flushes++;
	if (!has_gpa) {
		tlb_clear(m);
		return;
	}
	for (acc = 0; acc < 3; acc++) {
		for (i = 0; i < TLB_ENTRIES; i++) {
			struct tlb_entry *e = &m->tlb[acc][i];

			if (e->tag != TLB_TAG_INVALID && ((e->gpa_page ^ gpa) >> e->g_shift) == 0)
				entry_invalidate(e);
		}
	}
}
