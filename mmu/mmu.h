/* SPDX-License-Identifier: MIT */
/*
 * Two-stage address translation for a V=1 hart (privileged spec 8.5):
 * VS-stage Sv39/Sv48 from vsatp over G-stage Sv39x4/Sv48x4 from hgatp, with
 * hardware A/D updates in both stages, and the per-vCPU software TLB that
 * folds both stages into guest virtual page -> host pointer.
 *
 * Memory model. G-stage tables are built by the VMM in host memory and are
 * trusted: their "supervisor physical addresses" are host virtual addresses
 * (hgatp.PPN << 12 is the root; a leaf's PPN << 12 plus the page offset is
 * the host address of the guest page). VS-stage tables live in guest memory
 * and every PTE access is itself translated by the G-stage; guest PTEs are
 * untrusted and only ever produce faults. Walks read PTEs with atomic loads
 * and set A/D with compare-and-swap: other vCPU threads walk the same tables.
 *
 * mmu_walk() is pure (no TLB) and thread-safe. struct mmu is per vCPU and
 * owned by that vCPU's thread; the VMM flushes it from another thread only
 * through the vCPU's request mechanism.
 */
#ifndef RVISOR_MMU_MMU_H
#define RVISOR_MMU_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/riscv.h" /* CAUSE_*, SATP_*, SSTATUS_SUM/MXR */
#include "mmu/pte.h"

enum mmu_access { ACC_LOAD = 0, ACC_STORE = 1, ACC_FETCH = 2 };
enum { PRIV_U = 0, PRIV_S = 1 }; /* with V=1: VU and VS */

/*
 * walk_req.flags. Their values make (priv | flags) the context index 0..7
 * that the TLB's per-entry permission mask is indexed by.
 */
#define WALK_SUM     2u /* vsstatus.SUM */
#define WALK_MXR     4u /* vsstatus.MXR: VS-stage only (8.5) */
#define MMU_CONTEXTS 8

struct walk_req {
	uint64_t va;
	enum mmu_access access;
	uint8_t priv;  /* PRIV_U or PRIV_S: effective privilege of the access */
	uint8_t flags; /* WALK_SUM | WALK_MXR */
	uint64_t vsatp, hgatp;
};

enum walk_status { WALK_OK, WALK_PAGE_FAULT, WALK_GUEST_PAGE_FAULT };

/* walk_result.implicit: a G-stage fault on an access made for the VS-stage walk. */
enum { WALK_IMPLICIT_READ = 1, WALK_IMPLICIT_WRITE = 2 };

struct walk_result {
	enum walk_status status;
	uint64_t cause;     /* CAUSE_*_PAGE_FAULT or CAUSE_*_GUEST_PAGE_FAULT when not OK */
	uint64_t gpa;       /* OK: the translated GPA; guest-page fault: the faulting GPA */
	uint8_t *host;      /* OK: host pointer for va */
	uint8_t implicit;   /* 0 or WALK_IMPLICIT_* (guest-page faults only) */
	uint8_t page_shift; /* combined mapping size: min(vs_shift, g_shift) */
	uint8_t vs_shift;   /* VS-stage leaf size (12, 21, 30, 39); Bare: = g_shift */
	uint8_t g_shift;    /* G-stage leaf size (12, 21, 30, 39) */
	uint8_t vs_perm;    /* VS leaf R|W|X|U|G|A|D after update (G: global along the path);
	                       Bare: R|W|X|U|A|D */
	uint8_t g_perm;     /* G-stage leaf R|W|X|U|A|D after update */
	uint8_t ok;         /* bit c: this access type is allowed in context c = priv | flags */
	unsigned refs;      /* PTE reads made by this walk, both stages */
};

/*
 * Translate one access. Pure: no TLB, no state besides the page tables
 * (A/D updates). On OK, host points at va's byte; on a fault, cause, gpa and
 * implicit say what to report (the caller writes tval = va, htval = gpa >> 2,
 * htinst = 0x3000/0x3020 for WALK_IMPLICIT_READ/WRITE).
 */
void mmu_walk(const struct walk_req *req, struct walk_result *res);

/* ---- per-vCPU TLB ----------------------------------------------------------------------- */

#define TLB_ENTRIES     256        /* per access type, direct mapped, power of two */
#define TLB_TAG_INVALID UINT64_MAX /* no va >> 12 ever equals it */

/*
 * One 4 KiB page of a translation. A superpage fill caches only the page
 * that was touched, remembering the leaf sizes for the fences.
 */
struct tlb_entry {
	uint64_t tag;      /* va >> 12, or TLB_TAG_INVALID */
	uintptr_t addend;  /* host = va + addend */
	uint64_t gpa_page; /* GPA of this 4 KiB page (hfence.gvma) */
	uint16_t asid;     /* vsatp.ASID at fill time */
	uint8_t ok;        /* allowed contexts: bit (priv | SUM << 1 | MXR << 2) */
	uint8_t global;    /* VS-stage G bit (on any level of the walk) */
	uint8_t vs_shift;  /* VS-stage leaf size: sfence.vma va matching */
	uint8_t g_shift;   /* G-stage leaf size: hfence.gvma gpa matching */
};

struct mmu_stats {
	uint64_t hits, misses, walks, walk_refs, flushes;
};

struct mmu {
	uint8_t priv;      /* PRIV_U or PRIV_S */
	uint8_t flags;     /* WALK_SUM | WALK_MXR from vsstatus */
	uint8_t ctx_bit;   /* 1 << (priv | flags) */
	uint8_t has_super; /* some entry has vs_shift > 12 (sfence.vma va must scan) */
	uint16_t asid;     /* vsatp.ASID */
	uint64_t vsatp, hgatp;
	struct tlb_entry tlb[3][TLB_ENTRIES]; /* indexed by enum mmu_access */
	struct mmu_stats stats;
};

struct mmu_fault {
	uint64_t cause, tval, gpa;
	uint8_t implicit; /* 0 or WALK_IMPLICIT_READ / WALK_IMPLICIT_WRITE */
};

enum { SFENCE_VA = 1, SFENCE_ASID = 2 }; /* sfence_req.flags: which operands were given */

struct sfence_req {
	uint64_t va;
	uint16_t asid;
	uint8_t flags;
};

/* Empty TLB, vsatp = hgatp = 0, context VS with SUM = MXR = 0. */
void mmu_init(struct mmu *m);
/* On a privilege change or a write of vsstatus.SUM/MXR: no flush needed. */
void mmu_set_context(struct mmu *m, unsigned priv, uint64_t vsstatus);
/*
 * A vsatp write. Entries are ASID-tagged, so an ASID change needs no flush
 * and none is done (4.1.11). A MODE change flushes: the spec makes Bare <->
 * paged switches take effect without SFENCE.VMA, and Bare-mode fills are
 * cached here like any other translation.
 */
void mmu_set_vsatp(struct mmu *m, uint64_t vsatp);
/* An hgatp write (VMID or G-stage root change): flushes everything. */
void mmu_set_hgatp(struct mmu *m, uint64_t hgatp);
/* Slow path: walk in the current context, fill the TLB, return the host pointer for va. */
uint8_t *mmu_translate(struct mmu *m, uint64_t va, enum mmu_access acc, struct mmu_fault *f);
/* SFENCE.VMA from V=1, or HFENCE.VVMA for the current VMID (4.2.1). */
void mmu_sfence_vma(struct mmu *m, const struct sfence_req *r);
/* HFENCE.GVMA for the current VMID: drop what was derived from gpa's G-stage leaf, or all. */
void mmu_hfence_gvma(struct mmu *m, uint64_t gpa, bool has_gpa);
void mmu_flush_all(struct mmu *m);

/*
 * The hit path: host pointer for va, or NULL on a miss (then call
 * mmu_translate). The caller handles accesses that cross a 4 KiB page.
 */
static inline uint8_t *mmu_lookup(struct mmu *m, uint64_t va, enum mmu_access acc)
{
	uint64_t vpn = va >> 12;
	const struct tlb_entry *e = &m->tlb[acc][vpn & (TLB_ENTRIES - 1)];

	if (__builtin_expect((e->tag == vpn) & ((e->ok & m->ctx_bit) != 0) &
	                         (e->global | (e->asid == m->asid)),
	                     1)) {
		m->stats.hits++;
		return (uint8_t *)(uintptr_t)(va + e->addend);
	}
	return NULL;
}

#endif
