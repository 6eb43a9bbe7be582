// SPDX-License-Identifier: MIT
/*
 * The two-dimensional page walk of a V=1 access: VS-stage Sv39/Sv48 whose
 * every PTE access is itself translated by the G-stage (Sv39x4/Sv48x4), then
 * the G-stage translation of the final guest physical address. Privileged
 * spec 4.3.2 (the algorithm, used by both stages), 8.5.1 (G-stage
 * differences), 8.5.2 and 8.6.3 (what a guest-page fault reports).
 */
#include <string.h>

#include "mmu/mmu.h"

static const uint64_t page_fault_cause[3] = {
	[ACC_LOAD] = CAUSE_LOAD_PAGE_FAULT,
	[ACC_STORE] = CAUSE_STORE_PAGE_FAULT,
	[ACC_FETCH] = CAUSE_FETCH_PAGE_FAULT,
};

static const uint64_t guest_page_fault_cause[3] = {
	[ACC_LOAD] = CAUSE_LOAD_GUEST_PAGE_FAULT,
	[ACC_STORE] = CAUSE_STORE_GUEST_PAGE_FAULT,
	[ACC_FETCH] = CAUSE_FETCH_GUEST_PAGE_FAULT,
};

#define LEAF_PERM_BITS (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D)

/* A successful G-stage translation. */
struct gleaf {
	uint8_t *host; /* host address of the translated byte */
	uint64_t pte;  /* the leaf, as updated */
	unsigned shift;
};

enum pte_kind { KIND_BAD, KIND_NEXT, KIND_LEAF };

static uint64_t pte_ppn(uint64_t pte)
{
	return (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
}

/*
 * Steps 3, 4 and 6 of 4.3.2 for a PTE read at `level` (0 = 4 KiB). Reserved
 * encodings fault: W without R, bits 63:54 (no Svnapot, Svpbmt), and D, A, U
 * on a non-leaf PTE; so do a non-leaf at level 0 and a misaligned superpage.
 */
static enum pte_kind pte_classify(uint64_t pte, unsigned level)
{
	if (!(pte & PTE_V) || (pte & PTE_RESERVED) || (pte & (PTE_R | PTE_W)) == PTE_W)
		return KIND_BAD;
	if (pte & (PTE_R | PTE_X)) {
		if (pte_ppn(pte) & ((1ull << (PT_INDEX_BITS * level)) - 1))
			return KIND_BAD;
		return KIND_LEAF;
	}
	if (level == 0 || (pte & (PTE_A | PTE_D | PTE_U)))
		return KIND_BAD;
	return KIND_NEXT;
}

/* R/W/X for the access type; MXR only ever comes from vsstatus, so VS-stage only (8.5). */
static bool perm_rwx(uint64_t pte, enum mmu_access acc, bool mxr)
{
	switch (acc) {
	case ACC_LOAD: return (pte & PTE_R) || (mxr && (pte & PTE_X));
	case ACC_STORE: return (pte & PTE_W) != 0;
	case ACC_FETCH: return (pte & PTE_X) != 0;
	}
	return false;
}

/* Step 5 for the VS-stage in context ctx = priv | WALK_SUM | WALK_MXR (4.3.1, 4.1.1.2). */
static bool vs_allows(uint64_t pte, enum mmu_access acc, unsigned ctx)
{
	if (ctx & PRIV_S) {
		/* S-mode never executes from U pages, and reads/writes them only with SUM. */
		if ((pte & PTE_U) && (acc == ACC_FETCH || !(ctx & WALK_SUM)))
			return false;
	} else if (!(pte & PTE_U)) {
		return false;
	}
	return perm_rwx(pte, acc, (ctx & WALK_MXR) != 0);
}

/* Step 5 for the G-stage: every access counts as a U-mode access (8.5.1). */
static bool g_allows(uint64_t pte, enum mmu_access acc)
{
	return (pte & PTE_U) && perm_rwx(pte, acc, false);
}

static uint64_t ad_needed(enum mmu_access acc)
{
	return acc == ACC_STORE ? PTE_A | PTE_D : PTE_A;
}

/*
 * G-stage translation of gpa for an access of type acc; for the VS-stage's
 * own PTE accesses that is ACC_LOAD (read) or ACC_STORE (A/D write-back),
 * whatever the original access (8.5.1). Sets A, and D for a store. Returns
 * false on a guest-page fault. The tables are the VMM's, in host memory.
 */
static bool g_translate(uint64_t hgatp, uint64_t gpa, enum mmu_access acc, struct gleaf *g,
                        unsigned *refs)
{
	uint64_t mode = hgatp >> HGATP_MODE_SHIFT;
	unsigned levels, level;
	uintptr_t table;

	if (mode == HGATP_MODE_SV39X4)
		levels = 3;
	else if (mode == HGATP_MODE_SV48X4)
		levels = 4;
	else
		return false; /* Bare: no guest memory in this VMM; others unsupported */
	/* The x4 modes widen the address by 2 bits; higher bits must be zero. */
	if (gpa >> (PT_PAGE_SHIFT + PT_INDEX_BITS * levels + 2))
		return false;
	/* 16 KiB root: PPN[1:0] read as zero. */
	table = (uintptr_t)((hgatp & HGATP_PPN_MASK & ~3ull) << PT_PAGE_SHIFT);
	level = levels - 1;
	for (;;) {
		unsigned shift = PT_PAGE_SHIFT + PT_INDEX_BITS * level;
		uint64_t index_mask = level == levels - 1 ? 0x7ff : 0x1ff;
		uint64_t *ptep = (uint64_t *)table + ((gpa >> shift) & index_mask);
		uint64_t pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		uint64_t need;

		(*refs)++;
		switch (pte_classify(pte, level)) {
		case KIND_BAD: return false;
		case KIND_NEXT:
			table = (uintptr_t)(pte_ppn(pte) << PT_PAGE_SHIFT);
			level--;
			continue;
		case KIND_LEAF: break;
		}
		if (!g_allows(pte, acc))
			return false;
		need = ad_needed(acc);
		if ((pte & need) != need) {
			/* Step 7: atomic with the read; if the PTE changed, read it again. */
			if (!__atomic_compare_exchange_n(ptep, &pte, pte | need, false,
			                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				continue;
			pte |= need;
		}
		g->pte = pte;
		g->shift = shift;
		g->host = (uint8_t *)(uintptr_t)((pte_ppn(pte) << PT_PAGE_SHIFT) +
		                                 (gpa & ((1ull << shift) - 1)));
		return true;
	}
}

static void page_fault(struct walk_result *res, enum mmu_access acc)
{
	res->status = WALK_PAGE_FAULT;
	res->cause = page_fault_cause[acc];
}

/* Guest-page faults are reported for the original access type even when implicit (8.5.1). */
static void guest_page_fault(struct walk_result *res, enum mmu_access acc, uint64_t gpa,
                             uint8_t implicit)
{
	res->status = WALK_GUEST_PAGE_FAULT;
	res->cause = guest_page_fault_cause[acc];
	res->gpa = gpa;
	res->implicit = implicit;
}

/* The VS-stage leaf of a successful walk. */
struct vsleaf {
	uint64_t gpa;
	uint64_t pte; /* as updated, with G set if any level had it */
	unsigned shift;
};

/* VS-stage walk (4.3.2) with each PTE access translated by the G-stage. */
static bool vs_walk(const struct walk_req *req, unsigned ctx, struct walk_result *res,
                    struct vsleaf *out)
{
	uint64_t mode = req->vsatp >> SATP_MODE_SHIFT, va = req->va;
	enum mmu_access acc = req->access;
	unsigned levels, level, va_bits;
	uint64_t a, global = 0;

	if (mode == SATP_MODE_SV39)
		levels = 3;
	else if (mode == SATP_MODE_SV48)
		levels = 4;
	else {
		page_fault(res, acc); /* not reachable through csr.c (WARL) */
		return false;
	}
	/* Bits 63:va_bits-1 must all equal bit va_bits-1 (4.4.1, 4.5.1). */
	va_bits = PT_PAGE_SHIFT + PT_INDEX_BITS * levels;
	if ((uint64_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits)) != va) {
		page_fault(res, acc);
		return false;
	}
	a = (req->vsatp & SATP_PPN_MASK) << PT_PAGE_SHIFT;
	level = levels - 1;
	for (;;) {
		unsigned shift = PT_PAGE_SHIFT + PT_INDEX_BITS * level;
		uint64_t pte_gpa = a + ((va >> shift) & 0x1ff) * sizeof(uint64_t);
		struct gleaf g;
		uint64_t *ptep, pte, need;

		if (!g_translate(req->hgatp, pte_gpa, ACC_LOAD, &g, &res->refs)) {
			guest_page_fault(res, acc, pte_gpa, WALK_IMPLICIT_READ);
			return false;
		}
		ptep = (uint64_t *)g.host;
		pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		res->refs++;
		switch (pte_classify(pte, level)) {
		case KIND_BAD: page_fault(res, acc); return false;
		case KIND_NEXT:
			global |= pte & PTE_G;
			a = pte_ppn(pte) << PT_PAGE_SHIFT;
			level--;
			continue;
		case KIND_LEAF: break;
		}
		if (!vs_allows(pte, acc, ctx)) {
			page_fault(res, acc);
			return false;
		}
		need = ad_needed(acc);
		if ((pte & need) != need) {
			/*
			 * The write-back is an implicit store: it needs G-stage W and
			 * sets the G-stage D bit of the page holding the PTE. The leaf
			 * found for the read serves when it already allows that.
			 */
			if (!(g_allows(g.pte, ACC_STORE) && (g.pte & PTE_D))) {
				if (!g_translate(req->hgatp, pte_gpa, ACC_STORE, &g, &res->refs)) {
					guest_page_fault(res, acc, pte_gpa, WALK_IMPLICIT_WRITE);
					return false;
				}
				ptep = (uint64_t *)g.host;
			}
			/* Step 7: if the PTE changed since it was read, go back to step 2. */
			if (!__atomic_compare_exchange_n(ptep, &pte, pte | need, false,
			                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				continue;
			pte |= need;
		}
		/* Step 8: a superpage's low PPN bits come from the VA (checked zero in the PTE). */
		out->gpa = (pte_ppn(pte) << PT_PAGE_SHIFT) | (va & ((1ull << shift) - 1));
		out->pte = pte | global;
		out->shift = shift;
		return true;
	}
}

/* Contexts (priv | SUM | MXR) in which this translation allows this access type. */
static uint8_t allowed_contexts(uint64_t vs_pte, bool vs_bare, uint64_t g_pte, enum mmu_access acc)
{
	uint64_t need = ad_needed(acc);
	uint8_t ok = 0;
	unsigned ctx;

	if (!g_allows(g_pte, acc) || (g_pte & need) != need || (vs_pte & need) != need)
		return 0;
	for (ctx = 0; ctx < MMU_CONTEXTS; ctx++)
		if (vs_bare || vs_allows(vs_pte, acc, ctx))
			ok |= 1u << ctx;
	return ok;
}

void mmu_walk(const struct walk_req *req, struct walk_result *res)
{
	unsigned ctx = (req->priv & PRIV_S) | (req->flags & (WALK_SUM | WALK_MXR));
	bool bare = (req->vsatp >> SATP_MODE_SHIFT) == SATP_MODE_BARE;
	struct vsleaf vs;
	struct gleaf g;

	memset(res, 0, sizeof(*res));
	if (bare) {
		/* GVA = GPA; the G-stage width check catches the high bits. */
		vs.gpa = req->va;
		vs.pte = PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
		vs.shift = 64;
	} else if (!vs_walk(req, ctx, res, &vs)) {
		return;
	}
	if (!g_translate(req->hgatp, vs.gpa, req->access, &g, &res->refs)) {
		guest_page_fault(res, req->access, vs.gpa, 0);
		return;
	}
	res->status = WALK_OK;
	res->gpa = vs.gpa;
	res->host = g.host;
	res->g_shift = (uint8_t)g.shift;
	res->vs_shift = (uint8_t)(bare ? g.shift : vs.shift);
	res->page_shift = res->vs_shift < res->g_shift ? res->vs_shift : res->g_shift;
	res->vs_perm = (uint8_t)(vs.pte & LEAF_PERM_BITS);
	res->g_perm = (uint8_t)(g.pte & (LEAF_PERM_BITS & ~PTE_G));
	res->ok = allowed_contexts(vs.pte, bare, g.pte, req->access);
}
