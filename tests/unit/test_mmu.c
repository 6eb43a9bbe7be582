// SPDX-License-Identifier: MIT
/*
 * The two-stage MMU over a fake memory: G-stage tables (Sv39x4, Sv48x4) in
 * aligned host buffers, a lazily backed 1 GiB guest RAM at GPA 0x80000000,
 * VS-stage tables (Sv39, Sv48) inside that RAM. Checks walks (sizes, faults,
 * A/D, permissions, reference counts) and the per-vCPU TLB (fill, hit,
 * contexts, ASIDs, each fence).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmu/mmu.h"

#include "tests/unit/check.h"

#define RAM_GPA    0x80000000ull
#define RAM_SIZE   (1ull << 30)
#define VS_TABLES  (RAM_GPA + 0x100000)  /* bump-allocated VS-stage tables */
#define DATA       (RAM_GPA + 0x1000000) /* 4 KiB data pages */
#define SUPER2M    (RAM_GPA + 0x2000000) /* a 2 MiB-aligned data region */
#define MAPPED     0x3000000ull          /* RAM bytes the 4 KiB/2 MiB G-stage setups map */
#define GPOOL      64                    /* G-stage non-root tables per fake */
#define GRWX       (PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
#define VA(k)      (0x10000000ull + (uint64_t)(k)*0x1000)
#define GPA(k)     (DATA + (uint64_t)(k)*0x1000)
#define VA_2M      0x20000000ull
#define VA_1G      0x40000000ull
#define ALL_CTX    0xff
#define CAUSE_NONE 0

struct fake {
	void *map;
	uint8_t *ram; /* host address of GPA RAM_GPA, 1 GiB aligned */
	uint64_t *groot;
	uint8_t *gpool;
	unsigned gused, glevels, vlevels;
	uint64_t hgatp, vsatp, vroot, vnext;
};

static void *xalloc(size_t align, size_t size)
{
	void *p;

	size = (size + align - 1) / align * align; /* C11: a multiple of the alignment */
	p = aligned_alloc(align, size);

	if (!p) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(p, 0, size);
	return p;
}

static uint8_t *ram_of(const struct fake *f, uint64_t gpa)
{
	return f->ram + (gpa - RAM_GPA);
}

static uint64_t gpa_of(const struct fake *f, const void *host)
{
	return RAM_GPA + (uint64_t)((const uint8_t *)host - f->ram);
}

static uint64_t pte_host(const void *host)
{
	return ((uint64_t)(uintptr_t)host >> 12) << PTE_PPN_SHIFT;
}

static uint64_t pte_gpa(uint64_t gpa)
{
	return (gpa >> 12) << PTE_PPN_SHIFT;
}

/* The G-stage PTE slot for gpa at the level of `shift`, creating tables above it. */
static uint64_t *g_slot(struct fake *f, uint64_t gpa, unsigned shift)
{
	uint64_t *table = f->groot;
	unsigned level = f->glevels - 1;

	for (;; level--) {
		unsigned s = 12 + 9 * level;
		uint64_t *pte = &table[(gpa >> s) & (level == f->glevels - 1 ? 0x7ff : 0x1ff)];

		if (s == shift)
			return pte;
		if (!(*pte & PTE_V)) {
			if (f->gused == GPOOL) {
				fprintf(stderr, "G-stage pool exhausted\n");
				exit(2);
			}
			*pte = pte_host(f->gpool + 4096 * f->gused++) | PTE_V;
		}
		table = (uint64_t *)(uintptr_t)((*pte >> PTE_PPN_SHIFT) << 12);
	}
}

/* Map [gpa, gpa + size) to RAM with leaves of 1 << shift bytes. */
static void g_map(struct fake *f, uint64_t gpa, uint64_t size, unsigned shift, uint64_t perm)
{
	uint64_t off;

	for (off = 0; off < size; off += 1ull << shift)
		*g_slot(f, gpa + off, shift) = pte_host(ram_of(f, gpa + off)) | PTE_V | perm;
}

static uint64_t vs_alloc(struct fake *f)
{
	uint64_t gpa = f->vnext;

	f->vnext += 4096;
	memset(ram_of(f, gpa), 0, 4096);
	return gpa;
}

/* The VS-stage PTE slot for va at the level of `shift` (in guest RAM). */
static uint64_t *vs_slot(struct fake *f, uint64_t va, unsigned shift)
{
	uint64_t table = f->vroot;
	unsigned level = f->vlevels - 1;

	for (;; level--) {
		unsigned s = 12 + 9 * level;
		uint64_t *pte = (uint64_t *)ram_of(f, table) + ((va >> s) & 0x1ff);

		if (s == shift)
			return pte;
		if (!(*pte & PTE_V))
			*pte = pte_gpa(vs_alloc(f)) | PTE_V;
		table = (*pte >> PTE_PPN_SHIFT) << 12;
	}
}

static uint64_t *vs_map(struct fake *f, uint64_t va, uint64_t gpa, unsigned shift, uint64_t perm)
{
	uint64_t *p = vs_slot(f, va, shift);

	*p = pte_gpa(gpa) | PTE_V | perm;
	return p;
}

/* Fresh fake: empty G-stage root (glevels 3/4), empty VS root (vlevels 3/4, ASID 1). */
static void fake_init(struct fake *f, unsigned glevels, unsigned vlevels)
{
	uint8_t *p = mmap(NULL, 2 * RAM_SIZE, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(f, 0, sizeof(*f));
	f->map = p;
	f->ram = (uint8_t *)(((uintptr_t)p + RAM_SIZE - 1) & ~(uintptr_t)(RAM_SIZE - 1));
	f->groot = xalloc(16384, 16384);
	f->gpool = xalloc(4096, GPOOL * 4096);
	f->glevels = glevels;
	f->vlevels = vlevels;
	f->hgatp = (glevels == 3 ? HGATP_MODE_SV39X4 : HGATP_MODE_SV48X4) << HGATP_MODE_SHIFT |
	           5ull << HGATP_VMID_SHIFT | (uint64_t)(uintptr_t)f->groot >> 12;
	f->vnext = VS_TABLES;
	f->vroot = vs_alloc(f);
	f->vsatp = (vlevels == 3 ? SATP_MODE_SV39 : SATP_MODE_SV48) << SATP_MODE_SHIFT |
	           1ull << SATP_ASID_SHIFT | f->vroot >> 12;
}

static void fake_fini(struct fake *f)
{
	munmap(f->map, 2 * RAM_SIZE);
	free(f->groot);
	free(f->gpool);
}

static struct walk_result walk(const struct fake *f, uint64_t va, enum mmu_access acc,
                               unsigned priv, unsigned flags)
{
	struct walk_req req = { .va = va,
		                .access = acc,
		                .priv = (uint8_t)priv,
		                .flags = (uint8_t)flags,
		                .vsatp = f->vsatp,
		                .hgatp = f->hgatp };
	struct walk_result r;

	mmu_walk(&req, &r);
	return r;
}

static void check_ok(const char *what, const struct walk_result *r, uint64_t gpa,
                     const uint8_t *host, unsigned shift)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s: status", what);
	CHECK_EQ(buf, r->status, WALK_OK);
	snprintf(buf, sizeof(buf), "%s: gpa", what);
	CHECK_EQ(buf, r->gpa, gpa);
	snprintf(buf, sizeof(buf), "%s: host", what);
	CHECK_EQ(buf, (uintptr_t)r->host, (uintptr_t)host);
	snprintf(buf, sizeof(buf), "%s: page_shift", what);
	CHECK_EQ(buf, r->page_shift, shift);
}

static void check_fault(const char *what, const struct walk_result *r, enum walk_status st,
                        uint64_t cause, uint64_t gpa, unsigned implicit)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s: status", what);
	CHECK_EQ(buf, r->status, st);
	snprintf(buf, sizeof(buf), "%s: cause", what);
	CHECK_EQ(buf, r->cause, cause);
	snprintf(buf, sizeof(buf), "%s: gpa", what);
	CHECK_EQ(buf, r->gpa, gpa);
	snprintf(buf, sizeof(buf), "%s: implicit", what);
	CHECK_EQ(buf, r->implicit, implicit);
}

#define PF(what, r, cause)            check_fault(what, r, WALK_PAGE_FAULT, cause, 0, 0)
#define GPF(what, r, cause, gpa, imp) check_fault(what, r, WALK_GUEST_PAGE_FAULT, cause, gpa, imp)

/* ---- walks ------------------------------------------------------------------------------ */

/* 4 KiB pages in both stages, every mode pair: refs = vl * (gl + 1) + gl (15 for Sv39/Sv39x4). */
static void test_refs(void)
{
	unsigned gl, vl;

	for (gl = 3; gl <= 4; gl++) {
		for (vl = 3; vl <= 4; vl++) {
			struct fake f;
			struct walk_result r;

			cur = "refs";
			fake_init(&f, gl, vl);
			g_map(&f, RAM_GPA, MAPPED, 12, GRWX);
			vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_W | PTE_A | PTE_D);
			*(uint64_t *)ram_of(&f, GPA(1) + 0x120) = 0x1122334455667788ull;
			r = walk(&f, VA(1) + 0x120, ACC_LOAD, PRIV_S, 0);
			check_ok("4K/4K", &r, GPA(1) + 0x120, ram_of(&f, GPA(1) + 0x120), 12);
			CHECK_EQ("refs", r.refs, vl * (gl + 1) + gl);
			CHECK_EQ("data through host", *(uint64_t *)r.host, 0x1122334455667788ull);
			CHECK_EQ("vs_shift", r.vs_shift, 12);
			CHECK_EQ("g_shift", r.g_shift, 12);
			CHECK_EQ("vs_perm", r.vs_perm, PTE_R | PTE_W | PTE_A | PTE_D);
			CHECK_EQ("g_perm", r.g_perm, GRWX);
			CHECK_EQ("ok: S contexts only", r.ok, 0xaa);
			f.vsatp = 0;
			r = walk(&f, GPA(2) + 8, ACC_STORE, PRIV_U, 0);
			check_ok("vsatp Bare", &r, GPA(2) + 8, ram_of(&f, GPA(2) + 8), 12);
			CHECK_EQ("Bare refs: G-stage only", r.refs, gl);
			CHECK_EQ("Bare vs_perm", r.vs_perm,
			         PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
			CHECK_EQ("Bare: all contexts", r.ok, ALL_CTX);
			fake_fini(&f);
		}
	}
}

static void test_superpages(void)
{
	struct fake f;
	struct walk_result r;

	cur = "superpages";
	fake_init(&f, 3, 3);
	*g_slot(&f, RAM_GPA, 30) = pte_host(f.ram) | PTE_V | GRWX; /* 1 GiB G-stage leaf */
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_A);
	vs_map(&f, VA_2M, SUPER2M, 21, PTE_R | PTE_A);
	vs_map(&f, VA_1G, RAM_GPA, 30, PTE_R | PTE_A);
	r = walk(&f, VA(1) + 4, ACC_LOAD, PRIV_S, 0);
	check_ok("4K over 1G", &r, GPA(1) + 4, ram_of(&f, GPA(1) + 4), 12);
	CHECK_EQ("4K over 1G refs", r.refs, 3 * 2 + 1);
	CHECK_EQ("g_shift", r.g_shift, 30);
	r = walk(&f, VA_2M + 0x12345, ACC_LOAD, PRIV_S, 0);
	check_ok("2M over 1G", &r, SUPER2M + 0x12345, ram_of(&f, SUPER2M + 0x12345), 21);
	CHECK_EQ("2M over 1G refs", r.refs, 2 * 2 + 1);
	CHECK_EQ("vs_shift", r.vs_shift, 21);
	r = walk(&f, VA_1G + 0x1234567, ACC_LOAD, PRIV_S, 0);
	check_ok("1G over 1G", &r, RAM_GPA + 0x1234567, ram_of(&f, RAM_GPA + 0x1234567), 30);
	CHECK_EQ("1G over 1G refs", r.refs, 2 + 1);
	fake_fini(&f);

	/* VS 2M and 1G leaves over 4 KiB and 2 MiB G-stage leaves. */
	fake_init(&f, 3, 3);
	g_map(&f, RAM_GPA, MAPPED, 21, GRWX);
	vs_map(&f, VA_1G, RAM_GPA, 30, PTE_R | PTE_A);
	r = walk(&f, VA_1G + 0x2345678, ACC_LOAD, PRIV_S, 0);
	check_ok("1G over 2M", &r, RAM_GPA + 0x2345678, ram_of(&f, RAM_GPA + 0x2345678), 21);
	CHECK_EQ("1G over 2M: vs_shift", r.vs_shift, 30);
	CHECK_EQ("1G over 2M: g_shift", r.g_shift, 21);
	fake_fini(&f);
	fake_init(&f, 3, 3);
	g_map(&f, RAM_GPA, MAPPED, 12, GRWX);
	vs_map(&f, VA_2M, SUPER2M, 21, PTE_R | PTE_A);
	r = walk(&f, VA_2M + 0x1ff008, ACC_LOAD, PRIV_S, 0);
	check_ok("2M over 4K", &r, SUPER2M + 0x1ff008, ram_of(&f, SUPER2M + 0x1ff008), 12);
	fake_fini(&f);

	/* Sv48 terapage (512 GiB) to GPA 0, over Sv48x4 with GPA 0 in a 1 GiB leaf. */
	fake_init(&f, 4, 4);
	g_map(&f, RAM_GPA, MAPPED, 21, GRWX);
	*g_slot(&f, 0, 30) = pte_host(f.ram) | PTE_V | GRWX;
	vs_map(&f, 0x8000000000ull, 0, 39, PTE_R | PTE_A);
	r = walk(&f, 0x8000000000ull + 0x1234, ACC_LOAD, PRIV_S, 0);
	check_ok("Sv48 512G over 1G", &r, 0x1234, f.ram + 0x1234, 30);
	CHECK_EQ("512G vs_shift", r.vs_shift, 39);
	/* A 512 GiB Sv48x4 leaf (never dereferenced here: the walk only computes the pointer). */
	*g_slot(&f, 1ull << 39, 39) = PTE_V | GRWX;
	f.vsatp = 0;
	r = walk(&f, (1ull << 39) + 0x5678, ACC_LOAD, PRIV_S, 0);
	check_ok("512G G-stage leaf", &r, (1ull << 39) + 0x5678, (const uint8_t *)(uintptr_t)0x5678,
	         39);
	fake_fini(&f);
}

/* A standard setup: Sv39 over Sv39x4, RAM in 4 KiB G-stage leaves, VA(1) -> GPA(1) RW. */
static uint64_t *std_setup(struct fake *f, uint64_t vs_perm)
{
	fake_init(f, 3, 3);
	g_map(f, RAM_GPA, MAPPED, 12, GRWX);
	return vs_map(f, VA(1), GPA(1), 12, vs_perm);
}

static void test_bad_ptes(void)
{
	static const uint64_t reserved[] = { 1ull << 54, 1ull << 60, 1ull << 61, 1ull << 63 };
	struct fake f;
	struct walk_result r;
	uint64_t *leaf = std_setup(&f, PTE_R | PTE_W | PTE_A | PTE_D), good = *leaf;
	uint64_t *l1 = vs_slot(&f, VA(1), 21), l1_good = *l1;
	unsigned i;

	cur = "bad PTEs";
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("baseline", r.status, WALK_OK);
	*leaf = good & ~PTE_V;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("V=0", &r, CAUSE_LOAD_PAGE_FAULT);
	*leaf = (good & ~PTE_R) | PTE_W;
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	PF("W without R", &r, CAUSE_STORE_PAGE_FAULT);
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		*leaf = good | reserved[i];
		r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
		PF("reserved bit in leaf", &r, CAUSE_LOAD_PAGE_FAULT);
	}
	*leaf = good | PTE_RSW;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("RSW bits are ignored", r.status, WALK_OK);
	*leaf = good;
	*l1 = l1_good | (1ull << 62);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	PF("reserved bit in non-leaf", &r, CAUSE_FETCH_PAGE_FAULT);
	*l1 = l1_good | PTE_A;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("A in non-leaf", &r, CAUSE_LOAD_PAGE_FAULT);
	*l1 = l1_good | PTE_U;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("U in non-leaf", &r, CAUSE_LOAD_PAGE_FAULT);
	*l1 = l1_good | PTE_W;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("non-leaf W without R", &r, CAUSE_LOAD_PAGE_FAULT);
	*l1 = l1_good;
	*leaf = good & ~(PTE_R | PTE_W | PTE_X | PTE_A | PTE_D); /* a pointer at level 0 */
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("non-leaf at level 0", &r, CAUSE_LOAD_PAGE_FAULT);
	*leaf = good;
	*l1 = pte_gpa(SUPER2M + 0x1000) | PTE_V | PTE_R | PTE_A;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("misaligned 2M superpage", &r, CAUSE_LOAD_PAGE_FAULT);
	*l1 = pte_gpa(SUPER2M) | PTE_V | PTE_R | PTE_A;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("aligned 2M superpage", r.status, WALK_OK);
	*l1 = l1_good;

	/* Virtual addresses must be sign-extended from bit 38 (Sv39) / 47 (Sv48). */
	r = walk(&f, 1ull << 38, ACC_LOAD, PRIV_S, 0);
	PF("Sv39 non-canonical", &r, CAUSE_LOAD_PAGE_FAULT);
	CHECK_EQ("non-canonical: no references", r.refs, 0);
	r = walk(&f, VA(1) | 1ull << 63, ACC_STORE, PRIV_S, 0);
	PF("Sv39 bit 63 only", &r, CAUSE_STORE_PAGE_FAULT);
	vs_map(&f, 0xffffffc000000000ull, GPA(3), 12, PTE_R | PTE_A);
	r = walk(&f, 0xffffffc000000010ull, ACC_LOAD, PRIV_S, 0);
	check_ok("Sv39 negative VA", &r, GPA(3) + 0x10, ram_of(&f, GPA(3) + 0x10), 12);
	fake_fini(&f);
	fake_init(&f, 3, 4);
	g_map(&f, RAM_GPA, MAPPED, 12, GRWX);
	vs_map(&f, 1ull << 38, GPA(1), 12, PTE_R | PTE_A);
	r = walk(&f, 1ull << 38, ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("Sv48: bit 38 is an ordinary VA bit", r.status, WALK_OK);
	r = walk(&f, 1ull << 47, ACC_FETCH, PRIV_S, 0);
	PF("Sv48 non-canonical", &r, CAUSE_FETCH_PAGE_FAULT);
	fake_fini(&f);
}

static void test_permissions(void)
{
	struct fake f;
	struct walk_result r;
	uint64_t *leaf = std_setup(&f, PTE_R | PTE_W | PTE_A | PTE_D), s_rw = *leaf;
	uint64_t u_rw = s_rw | PTE_U;

	cur = "permissions";
	r = walk(&f, VA(1), ACC_LOAD, PRIV_U, 0);
	PF("VU load from S page", &r, CAUSE_LOAD_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_STORE, PRIV_U, WALK_SUM);
	PF("VU store to S page, SUM irrelevant", &r, CAUSE_STORE_PAGE_FAULT);
	*leaf = u_rw;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_U, 0);
	CHECK_EQ("VU load from U page", r.status, WALK_OK);
	CHECK_EQ("ok: U contexts and S with SUM", r.ok, 0x55 | 0x88);
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("VS load from U page, SUM=0", &r, CAUSE_LOAD_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	PF("VS store to U page, SUM=0", &r, CAUSE_STORE_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, WALK_SUM);
	CHECK_EQ("VS load from U page, SUM=1", r.status, WALK_OK);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, WALK_SUM);
	CHECK_EQ("VS store to U page, SUM=1", r.status, WALK_OK);
	*leaf = u_rw | PTE_X;
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, WALK_SUM);
	PF("VS fetch from U page, even with SUM", &r, CAUSE_FETCH_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_U, 0);
	CHECK_EQ("VU fetch from U page", r.status, WALK_OK);
	CHECK_EQ("fetch ok: U contexts only", r.ok, 0x55);
	*leaf = s_rw;
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	PF("fetch without X", &r, CAUSE_FETCH_PAGE_FAULT);
	*leaf = (s_rw & ~PTE_W);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	PF("store without W", &r, CAUSE_STORE_PAGE_FAULT);
	*leaf = (s_rw & ~(PTE_R | PTE_W)) | PTE_X;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	PF("load from execute-only", &r, CAUSE_LOAD_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, WALK_MXR);
	CHECK_EQ("load from execute-only with MXR", r.status, WALK_OK);
	CHECK_EQ("ok: S contexts with MXR", r.ok, 0xa0);
	/* vsstatus.MXR does not reach the G-stage (8.5). */
	*leaf = s_rw | PTE_X;
	*g_slot(&f, GPA(1), 12) = pte_host(ram_of(&f, GPA(1))) | PTE_V | PTE_X | PTE_U | PTE_A;
	r = walk(&f, VA(1) + 0x10, ACC_LOAD, PRIV_S, WALK_MXR);
	GPF("G-stage execute-only, VS MXR", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, GPA(1) + 0x10, 0);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	CHECK_EQ("G-stage execute-only: fetch", r.status, WALK_OK);
	fake_fini(&f);
}

static void test_guest_page_faults(void)
{
	struct fake f;
	struct walk_result r;
	uint64_t *leaf = std_setup(&f, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	uint64_t *l1 = vs_slot(&f, VA(1), 21), l1_good = *l1;
	uint64_t leaf_gpa = gpa_of(&f, leaf), l0_page = leaf_gpa & ~0xfffull;
	uint64_t root_pte = f.vroot + ((VA(1) >> 30) & 0x1ff) * 8;
	uint64_t l1_pte = gpa_of(&f, l1);
	uint64_t *g_data = g_slot(&f, GPA(1), 12), g_good = *g_data;

	cur = "guest-page faults";
	/* The final GPA: cause of the access, gpa exact, not implicit. */
	*g_data = 0;
	r = walk(&f, VA(1) + 0x44, ACC_LOAD, PRIV_S, 0);
	GPF("unmapped data: load", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, GPA(1) + 0x44, 0);
	CHECK_EQ("refs: 3 x (3 + 1) + 3", r.refs, 15);
	r = walk(&f, VA(1) + 0x48, ACC_STORE, PRIV_S, 0);
	GPF("unmapped data: store", &r, CAUSE_STORE_GUEST_PAGE_FAULT, GPA(1) + 0x48, 0);
	r = walk(&f, VA(1) + 0x4c, ACC_FETCH, PRIV_S, 0);
	GPF("unmapped data: fetch", &r, CAUSE_FETCH_GUEST_PAGE_FAULT, GPA(1) + 0x4c, 0);
	*g_data = g_good & ~PTE_U;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	GPF("G-stage leaf without U", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, GPA(1), 0);
	*g_data = g_good & ~PTE_W;
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	GPF("G-stage read-only: store", &r, CAUSE_STORE_GUEST_PAGE_FAULT, GPA(1), 0);
	*g_data = g_good & ~PTE_X;
	r = walk(&f, VA(1), ACC_FETCH, PRIV_U, 0);
	PF("VS-stage fault first (VU on S page)", &r, CAUSE_FETCH_PAGE_FAULT);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	GPF("G-stage no X: fetch", &r, CAUSE_FETCH_GUEST_PAGE_FAULT, GPA(1), 0);
	*g_data = g_good | (1ull << 61);
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	GPF("G-stage reserved bit", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, GPA(1), 0);
	*g_data = g_good;

	/* Implicit reads of VS-stage PTEs: gpa of the PTE, cause of the original access. */
	*g_slot(&f, f.vroot, 12) = 0;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	GPF("root PTE unmapped: load", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, root_pte,
	    WALK_IMPLICIT_READ);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	GPF("root PTE unmapped: store", &r, CAUSE_STORE_GUEST_PAGE_FAULT, root_pte,
	    WALK_IMPLICIT_READ);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	GPF("root PTE unmapped: fetch", &r, CAUSE_FETCH_GUEST_PAGE_FAULT, root_pte,
	    WALK_IMPLICIT_READ);
	g_map(&f, f.vroot, 4096, 12, GRWX);
	*g_slot(&f, l1_pte, 12) =
	    pte_host(ram_of(&f, l1_pte & ~0xfffull)) | PTE_V | PTE_X | PTE_U | PTE_A;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	GPF("L1 table page not readable in G", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, l1_pte,
	    WALK_IMPLICIT_READ);
	g_map(&f, l1_pte & ~0xfffull, 4096, 12, GRWX);

	/* Implicit A/D write-back into a page the G-stage maps read-only. */
	*leaf &= ~(PTE_A | PTE_D);
	*g_slot(&f, l0_page, 12) &= ~PTE_W;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	GPF("A write-back, PTE page read-only", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, leaf_gpa,
	    WALK_IMPLICIT_WRITE);
	CHECK_EQ("PTE unchanged", *leaf & PTE_A, 0);
	r = walk(&f, VA(1), ACC_FETCH, PRIV_S, 0);
	GPF("A write-back on fetch", &r, CAUSE_FETCH_GUEST_PAGE_FAULT, leaf_gpa,
	    WALK_IMPLICIT_WRITE);
	*leaf |= PTE_A;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("A already set: no write needed", r.status, WALK_OK);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	GPF("D write-back", &r, CAUSE_STORE_GUEST_PAGE_FAULT, leaf_gpa, WALK_IMPLICIT_WRITE);
	g_map(&f, l0_page, 4096, 12, GRWX);

	/* GPAs beyond the 41 bits of Sv39x4. */
	*l1 = l1_good;
	*leaf = pte_gpa(1ull << 41) | PTE_V | PTE_R | PTE_A;
	r = walk(&f, VA(1) + 8, ACC_LOAD, PRIV_S, 0);
	GPF("leaf GPA beyond 41 bits", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, (1ull << 41) + 8, 0);
	*l1 = pte_gpa(1ull << 45) | PTE_V;
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	GPF("table GPA beyond 41 bits", &r, CAUSE_STORE_GUEST_PAGE_FAULT,
	    (1ull << 45) + ((VA(1) >> 12) & 0x1ff) * 8, WALK_IMPLICIT_READ);
	f.vsatp = 0;
	r = walk(&f, 1ull << 41, ACC_FETCH, PRIV_S, 0);
	GPF("Bare: GVA beyond 41 bits", &r, CAUSE_FETCH_GUEST_PAGE_FAULT, 1ull << 41, 0);
	CHECK_EQ("width check before any reference", r.refs, 0);
	r = walk(&f, 0xffffffff80000000ull, ACC_LOAD, PRIV_S, 0);
	GPF("Bare: negative GVA", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, 0xffffffff80000000ull, 0);
	/* hgatp Bare: no guest memory at all. */
	f.hgatp = 0;
	r = walk(&f, GPA(1), ACC_LOAD, PRIV_S, 0);
	GPF("hgatp Bare, vsatp Bare", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, GPA(1), 0);
	fake_fini(&f);

	fake_init(&f, 3, 3);
	f.hgatp &= ~(0xfull << HGATP_MODE_SHIFT);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	GPF("hgatp Bare, vsatp Sv39", &r, CAUSE_STORE_GUEST_PAGE_FAULT,
	    f.vroot + ((VA(1) >> 30) & 0x1ff) * 8, WALK_IMPLICIT_READ);
	fake_fini(&f);

	/* Sv48x4: 50-bit GPAs; misaligned G-stage superpage. */
	fake_init(&f, 4, 3);
	f.vsatp = 0;
	*g_slot(&f, 1ull << 41, 30) = pte_host(f.ram) | PTE_V | GRWX;
	r = walk(&f, (1ull << 41) + 0x10, ACC_LOAD, PRIV_S, 0);
	check_ok("Sv48x4: GPA above 41 bits", &r, (1ull << 41) + 0x10, f.ram + 0x10, 30);
	r = walk(&f, 1ull << 50, ACC_LOAD, PRIV_S, 0);
	GPF("Sv48x4: GPA beyond 50 bits", &r, CAUSE_LOAD_GUEST_PAGE_FAULT, 1ull << 50, 0);
	*g_slot(&f, RAM_GPA, 21) = pte_host(f.ram + 0x1000) | PTE_V | GRWX;
	r = walk(&f, RAM_GPA, ACC_STORE, PRIV_S, 0);
	GPF("misaligned G-stage superpage", &r, CAUSE_STORE_GUEST_PAGE_FAULT, RAM_GPA, 0);
	fake_fini(&f);
}

static void test_accessed_dirty(void)
{
	struct fake f;
	struct walk_result r;
	uint64_t *leaf = std_setup(&f, PTE_R | PTE_W), *l1 = vs_slot(&f, VA(1), 21);
	uint64_t l0_page = gpa_of(&f, leaf) & ~0xfffull, l1_page = gpa_of(&f, l1) & ~0xfffull;
	uint64_t *g_data = g_slot(&f, GPA(1), 12), *g_l0 = g_slot(&f, l0_page, 12);
	uint64_t *g_l1 = g_slot(&f, l1_page, 12), *g_root = g_slot(&f, f.vroot, 12);
	uint64_t l1_before = *l1, g_bits = PTE_R | PTE_W | PTE_X | PTE_U;

	cur = "A/D";
	*g_data &= ~(PTE_A | PTE_D);
	*g_l0 &= ~(PTE_A | PTE_D);
	*g_l1 &= ~(PTE_A | PTE_D);
	*g_root &= ~(PTE_A | PTE_D);
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("load: OK", r.status, WALK_OK);
	CHECK_EQ("load: VS leaf A, not D", *leaf & (PTE_A | PTE_D), PTE_A);
	CHECK_EQ("load: vs_perm", r.vs_perm, PTE_R | PTE_W | PTE_A);
	CHECK_EQ("load: G data leaf A, not D", *g_data & (PTE_A | PTE_D), PTE_A);
	CHECK_EQ("load: g_perm", r.g_perm, g_bits | PTE_A);
	CHECK_EQ("PTE reads set A on the root page's G leaf", *g_root & (PTE_A | PTE_D), PTE_A);
	CHECK_EQ("and on the L1 page's", *g_l1 & (PTE_A | PTE_D), PTE_A);
	CHECK_EQ("the write-back sets D on the leaf PTE page's", *g_l0 & (PTE_A | PTE_D),
	         PTE_A | PTE_D);
	CHECK_EQ("non-leaf PTEs untouched", *l1, l1_before);
	CHECK_EQ("refs: 15 + a G-stage walk for the write-back", r.refs, 15 + 3);
	CHECK_EQ("ok in the walking context", r.ok & 0x02, 0x02);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	CHECK_EQ("store: OK", r.status, WALK_OK);
	CHECK_EQ("store: VS leaf A and D", *leaf & (PTE_A | PTE_D), PTE_A | PTE_D);
	CHECK_EQ("store: G data leaf A and D", *g_data & (PTE_A | PTE_D), PTE_A | PTE_D);
	CHECK_EQ("store: refs, G leaf already dirty", r.refs, 15);
	CHECK_EQ("store: vs_perm", r.vs_perm, PTE_R | PTE_W | PTE_A | PTE_D);
	*leaf &= ~(PTE_A | PTE_D);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	CHECK_EQ("store on a clean, unaccessed page sets both", *leaf & (PTE_A | PTE_D),
	         PTE_A | PTE_D);
	/* A fault leaves A/D alone. */
	*leaf &= ~(PTE_A | PTE_D | PTE_W);
	r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);
	PF("store to read-only", &r, CAUSE_STORE_PAGE_FAULT);
	CHECK_EQ("no A/D on a faulting access", *leaf & (PTE_A | PTE_D), 0);
	/* G from a non-leaf level makes the mapping global. */
	*leaf |= PTE_W;
	*l1 |= PTE_G;
	r = walk(&f, VA(1), ACC_LOAD, PRIV_S, 0);
	CHECK_EQ("global from a non-leaf", r.vs_perm & PTE_G, PTE_G);
	fake_fini(&f);
}

/*
 * Another thread keeps toggling an RSW bit and clearing A/D while this one
 * walks with stores, which sets A/D again. Each of the mutator's atomic
 * operations returns the previous PTE: a walker write-back that was not a
 * compare-and-swap against what it read would show up as a toggle undone.
 */
struct race {
	uint64_t *pte;
	int started, done;
	unsigned lost, toggles;
};

static void *race_mutator(void *arg)
{
	struct race *rc = arg;
	uint64_t want = __atomic_load_n(rc->pte, __ATOMIC_SEQ_CST) & PTE_RSW;

	__atomic_store_n(&rc->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rc->done, __ATOMIC_ACQUIRE)) {
		uint64_t old = __atomic_fetch_xor(rc->pte, 1ull << 8, __ATOMIC_SEQ_CST);

		rc->lost += (old & PTE_RSW) != want;
		want = (old & PTE_RSW) ^ (1ull << 8);
		old = __atomic_fetch_and(rc->pte, ~(PTE_A | PTE_D), __ATOMIC_SEQ_CST);
		rc->lost += (old & PTE_RSW) != want;
		want = old & PTE_RSW;
		rc->toggles++;
	}
	return NULL;
}

static void test_concurrent_ad(void)
{
	struct fake f;
	struct race rc = { 0 };
	unsigned bad_walks = 0, i;
	pthread_t t;

	cur = "concurrent A/D";
	rc.pte = std_setup(&f, PTE_R | PTE_W);
	if (pthread_create(&t, NULL, race_mutator, &rc) != 0) {
		perror("pthread_create");
		exit(2);
	}
	while (!__atomic_load_n(&rc.started, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < 100000; i++) {
		struct walk_result r = walk(&f, VA(1), ACC_STORE, PRIV_S, 0);

		bad_walks += r.status != WALK_OK;
	}
	__atomic_store_n(&rc.done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK_EQ("walks all succeeded", bad_walks, 0);
	CHECK_EQ("no update of the other thread lost", rc.lost, 0);
	CHECK_EQ("the threads overlapped", rc.toggles > 1000, 1);
	fake_fini(&f);
}

/* ---- TLB -------------------------------------------------------------------------------- */

static struct mmu *tlb_setup(struct fake *f)
{
	struct mmu *m = xalloc(64, sizeof(*m));

	fake_init(f, 3, 3);
	*g_slot(f, RAM_GPA, 30) = pte_host(f->ram) | PTE_V | GRWX;
	mmu_init(m);
	mmu_set_hgatp(m, f->hgatp);
	mmu_set_vsatp(m, f->vsatp);
	mmu_set_context(m, PRIV_S, 0);
	return m;
}

static bool hit(struct mmu *m, uint64_t va, enum mmu_access acc)
{
	return mmu_lookup(m, va, acc) != NULL;
}

static void fill(struct mmu *m, uint64_t va, enum mmu_access acc)
{
	struct mmu_fault flt;

	if (!mmu_translate(m, va, acc, &flt)) {
		failed++;
		printf("FAIL %s: fill %#" PRIx64 " faulted, cause %" PRIu64 "\n", cur, va,
		       flt.cause);
	}
}

static void test_tlb_basic(void)
{
	struct fake f;
	struct mmu *m = tlb_setup(&f);
	struct mmu_fault flt;
	uint8_t *h;

	cur = "TLB fill/hit";
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_W | PTE_A | PTE_D);
	vs_map(&f, VA(2), GPA(2), 12, PTE_R | PTE_W | PTE_A);
	CHECK_EQ("empty TLB misses", hit(m, VA(1), ACC_LOAD), 0);
	h = mmu_translate(m, VA(1) + 0x10, ACC_LOAD, &flt);
	CHECK_EQ("translate", (uintptr_t)h, (uintptr_t)ram_of(&f, GPA(1) + 0x10));
	CHECK_EQ("misses", m->stats.misses, 1);
	CHECK_EQ("walks", m->stats.walks, 1);
	CHECK_EQ("walk_refs: 3 x (1 + 1) + 1", m->stats.walk_refs, 7);
	CHECK_EQ("hit, other offset", (uintptr_t)mmu_lookup(m, VA(1) + 0xff8, ACC_LOAD),
	         (uintptr_t)ram_of(&f, GPA(1) + 0xff8));
	CHECK_EQ("hits", m->stats.hits, 1);
	CHECK_EQ("next page misses", hit(m, VA(1) + 0x1000, ACC_LOAD), 0);
	CHECK_EQ("load entry does not satisfy a store", hit(m, VA(1), ACC_STORE), 0);
	CHECK_EQ("nor a fetch", hit(m, VA(1), ACC_FETCH), 0);
	fill(m, VA(1), ACC_STORE);
	CHECK_EQ("store entry", (uintptr_t)mmu_lookup(m, VA(1) + 8, ACC_STORE),
	         (uintptr_t)ram_of(&f, GPA(1) + 8));
	/* A clean page: loads fill, a store walks and sets D. */
	fill(m, VA(2), ACC_LOAD);
	CHECK_EQ("clean page: store misses", hit(m, VA(2), ACC_STORE), 0);
	fill(m, VA(2), ACC_STORE);
	CHECK_EQ("store walk set D", *vs_slot(&f, VA(2), 12) & PTE_D, PTE_D);
	CHECK_EQ("clean page: store hits now", hit(m, VA(2), ACC_STORE), 1);
	/* Same index, other page: the slot is replaced, never aliased. */
	vs_map(&f, VA(1) + TLB_ENTRIES * 0x1000ull, GPA(3), 12, PTE_R | PTE_A);
	fill(m, VA(1) + TLB_ENTRIES * 0x1000ull, ACC_LOAD);
	CHECK_EQ("conflicting page hits", hit(m, VA(1) + TLB_ENTRIES * 0x1000ull, ACC_LOAD), 1);
	CHECK_EQ("evicted page misses", hit(m, VA(1), ACC_LOAD), 0);
	/* Faults fill nothing and report tval = va. */
	h = mmu_translate(m, VA(9) + 4, ACC_LOAD, &flt);
	CHECK_EQ("fault: NULL", (uintptr_t)h, 0);
	CHECK_EQ("fault: cause", flt.cause, CAUSE_LOAD_PAGE_FAULT);
	CHECK_EQ("fault: tval", flt.tval, VA(9) + 4);
	*vs_slot(&f, VA(9), 12) = pte_gpa(0x40000000) | PTE_V | PTE_R | PTE_A;
	h = mmu_translate(m, VA(9) + 4, ACC_LOAD, &flt);
	CHECK_EQ("gpf: cause", flt.cause, CAUSE_LOAD_GUEST_PAGE_FAULT);
	CHECK_EQ("gpf: tval is the VA", flt.tval, VA(9) + 4);
	CHECK_EQ("gpf: gpa", flt.gpa, 0x40000004);
	CHECK_EQ("gpf: not implicit", flt.implicit, 0);
	*g_slot(&f, 0x40000000, 30) = 0;
	*vs_slot(&f, VA(9), 21) = pte_gpa(0x40000000) | PTE_V;
	h = mmu_translate(m, VA(9) + 4, ACC_STORE, &flt);
	CHECK_EQ("implicit gpf: cause", flt.cause, CAUSE_STORE_GUEST_PAGE_FAULT);
	CHECK_EQ("implicit gpf: gpa", flt.gpa, 0x40000000 + ((VA(9) >> 12) & 0x1ff) * 8);
	CHECK_EQ("implicit gpf: read", flt.implicit, WALK_IMPLICIT_READ);
	mmu_set_hgatp(m, f.hgatp);
	CHECK_EQ("hgatp write flushes", hit(m, VA(2), ACC_STORE), 0);
	free(m);
	fake_fini(&f);
}

static void test_tlb_context(void)
{
	struct fake f;
	struct mmu *m = tlb_setup(&f);
	uint64_t walks;

	cur = "TLB contexts";
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
	vs_map(&f, VA(2), GPA(2), 12, PTE_X | PTE_A);
	mmu_set_context(m, PRIV_U, 0);
	fill(m, VA(1), ACC_LOAD);
	fill(m, VA(1), ACC_FETCH);
	CHECK_EQ("VU: hit", hit(m, VA(1), ACC_LOAD), 1);
	walks = m->stats.walks;
	mmu_set_context(m, PRIV_S, 0);
	CHECK_EQ("VS, SUM=0: U-page entry does not hit", hit(m, VA(1), ACC_LOAD), 0);
	mmu_set_context(m, PRIV_S, SSTATUS_SUM);
	CHECK_EQ("VS, SUM=1: it hits", hit(m, VA(1), ACC_LOAD), 1);
	CHECK_EQ("VS, SUM=1: no fetch from a U page", hit(m, VA(1), ACC_FETCH), 0);
	CHECK_EQ("no walk for any of it", m->stats.walks, walks);
	mmu_set_context(m, PRIV_S, SSTATUS_SUM | SSTATUS_MXR);
	CHECK_EQ("MXR on: still hits", hit(m, VA(1), ACC_LOAD), 1);
	fill(m, VA(2), ACC_LOAD);
	CHECK_EQ("execute-only page read with MXR", hit(m, VA(2), ACC_LOAD), 1);
	mmu_set_context(m, PRIV_S, SSTATUS_SUM);
	CHECK_EQ("MXR off: no longer", hit(m, VA(2), ACC_LOAD), 0);
	mmu_set_context(m, PRIV_U, SSTATUS_MXR);
	CHECK_EQ("VU never reads an S page", hit(m, VA(2), ACC_LOAD), 0);
	mmu_set_context(m, PRIV_U, 0);
	CHECK_EQ("VU: fetch hits", hit(m, VA(1), ACC_FETCH), 1);
	free(m);
	fake_fini(&f);
}

static uint64_t with_asid(uint64_t vsatp, uint16_t asid)
{
	return (vsatp & ~(SATP_ASID_MASK << SATP_ASID_SHIFT)) | (uint64_t)asid << SATP_ASID_SHIFT;
}

static void test_tlb_asid(void)
{
	struct fake f;
	struct mmu *m = tlb_setup(&f);
	uint64_t flushes;

	cur = "TLB ASIDs";
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_A);
	vs_map(&f, VA(2), GPA(2), 12, PTE_R | PTE_G | PTE_A);
	fill(m, VA(1), ACC_LOAD);
	fill(m, VA(2), ACC_LOAD);
	flushes = m->stats.flushes;
	mmu_set_vsatp(m, with_asid(f.vsatp, 2));
	CHECK_EQ("ASID switch does not flush", m->stats.flushes, flushes);
	CHECK_EQ("other ASID: miss", hit(m, VA(1), ACC_LOAD), 0);
	CHECK_EQ("other ASID: global hits", hit(m, VA(2), ACC_LOAD), 1);
	mmu_set_vsatp(m, f.vsatp);
	CHECK_EQ("back to ASID 1: hit again", hit(m, VA(1), ACC_LOAD), 1);
	mmu_set_vsatp(m, with_asid(f.vsatp, 1) & ~(0xfull << SATP_MODE_SHIFT));
	CHECK_EQ("MODE change flushes", m->stats.flushes, flushes + 1);
	CHECK_EQ("Bare: old global entry gone", hit(m, VA(2), ACC_LOAD), 0);
	free(m);
	fake_fini(&f);
}

/* VA(1) ASID 1, VA(2) ASID 1 global, VA(3) ASID 2, two pages of a 2 MiB page ASID 1. */
#define S0 (VA_2M + 0x50000)
#define S1 (VA_2M + 0x60000)

static void sfence_fill(struct mmu *m, const struct fake *f)
{
	mmu_flush_all(m);
	mmu_set_vsatp(m, with_asid(f->vsatp, 2));
	fill(m, VA(3), ACC_LOAD);
	mmu_set_vsatp(m, f->vsatp);
	fill(m, VA(1), ACC_LOAD);
	fill(m, VA(1), ACC_STORE);
	fill(m, VA(2), ACC_LOAD);
	fill(m, S0, ACC_LOAD);
	fill(m, S1, ACC_LOAD);
}

/* Which of VA(1), VA(2), VA(3), S0, S1 still hit (bits 0..4). */
static unsigned survivors(struct mmu *m, const struct fake *f)
{
	unsigned s = 0;

	s |= hit(m, VA(1), ACC_LOAD) && hit(m, VA(1), ACC_STORE) ? 1 : 0;
	s |= hit(m, VA(2), ACC_LOAD) ? 2 : 0;
	s |= hit(m, S0, ACC_LOAD) ? 8 : 0;
	s |= hit(m, S1, ACC_LOAD) ? 16 : 0;
	mmu_set_vsatp(m, with_asid(f->vsatp, 2));
	s |= hit(m, VA(3), ACC_LOAD) ? 4 : 0;
	mmu_set_vsatp(m, f->vsatp);
	return s;
}

static void sfence(struct mmu *m, uint64_t va, uint16_t asid, uint8_t flags)
{
	struct sfence_req r = { .va = va, .asid = asid, .flags = flags };

	mmu_sfence_vma(m, &r);
}

static void test_tlb_sfence(void)
{
	struct fake f;
	struct mmu *m = tlb_setup(&f);

	cur = "sfence.vma";
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_W | PTE_A | PTE_D);
	vs_map(&f, VA(2), GPA(2), 12, PTE_R | PTE_G | PTE_A);
	vs_map(&f, VA(3), GPA(3), 12, PTE_R | PTE_A);
	vs_map(&f, VA_2M, SUPER2M, 21, PTE_R | PTE_A);
	sfence_fill(m, &f);
	CHECK_EQ("all filled", survivors(m, &f), 0x1f);
	sfence(m, 0, 0, 0);
	CHECK_EQ("no operands: all", survivors(m, &f), 0);
	sfence_fill(m, &f);
	sfence(m, VA(1) + 0x123, 0, SFENCE_VA);
	CHECK_EQ("va: that page, load and store", survivors(m, &f), 0x1e);
	sfence_fill(m, &f);
	sfence(m, VA(2), 0, SFENCE_VA);
	CHECK_EQ("va: global too", survivors(m, &f), 0x1d);
	sfence_fill(m, &f);
	sfence(m, VA(3), 0, SFENCE_VA);
	CHECK_EQ("va: any ASID", survivors(m, &f), 0x1b);
	sfence_fill(m, &f);
	sfence(m, VA_2M + 0x1ff000, 0, SFENCE_VA);
	CHECK_EQ("va in a superpage: all its pages", survivors(m, &f), 0x07);
	sfence_fill(m, &f);
	sfence(m, 0, 1, SFENCE_ASID);
	CHECK_EQ("asid: its non-global entries", survivors(m, &f), 0x06);
	sfence_fill(m, &f);
	sfence(m, 0, 2, SFENCE_ASID);
	CHECK_EQ("asid 2", survivors(m, &f), 0x1b);
	sfence_fill(m, &f);
	sfence(m, VA(1), 1, SFENCE_VA | SFENCE_ASID);
	CHECK_EQ("va+asid", survivors(m, &f), 0x1e);
	sfence_fill(m, &f);
	sfence(m, VA(2), 1, SFENCE_VA | SFENCE_ASID);
	CHECK_EQ("va+asid: global kept", survivors(m, &f), 0x1f);
	sfence_fill(m, &f);
	sfence(m, VA(1), 2, SFENCE_VA | SFENCE_ASID);
	CHECK_EQ("va+asid: other ASID kept", survivors(m, &f), 0x1f);
	sfence_fill(m, &f);
	sfence(m, S1, 1, SFENCE_VA | SFENCE_ASID);
	CHECK_EQ("va+asid in a superpage", survivors(m, &f), 0x07);
	/* Without superpage entries, a va fence probes one slot per array. */
	mmu_flush_all(m);
	fill(m, VA(1), ACC_LOAD);
	fill(m, VA(2), ACC_LOAD);
	sfence(m, VA(1), 0, SFENCE_VA);
	CHECK_EQ("4K only: fenced page gone", hit(m, VA(1), ACC_LOAD), 0);
	CHECK_EQ("4K only: other page kept", hit(m, VA(2), ACC_LOAD), 1);
	free(m);
	fake_fini(&f);
}

static void test_tlb_hfence(void)
{
	struct fake f;
	struct mmu *m = xalloc(64, sizeof(*m));

	cur = "hfence.gvma";
	fake_init(&f, 3, 3);
	g_map(&f, RAM_GPA, SUPER2M - RAM_GPA, 12, GRWX);
	g_map(&f, SUPER2M, 0x200000, 21, GRWX);
	mmu_init(m);
	mmu_set_hgatp(m, f.hgatp);
	mmu_set_vsatp(m, f.vsatp);
	vs_map(&f, VA(1), GPA(1), 12, PTE_R | PTE_W | PTE_A | PTE_D);
	vs_map(&f, VA(2), GPA(2), 12, PTE_R | PTE_A);
	vs_map(&f, VA(3), SUPER2M + 0x5000, 12, PTE_R | PTE_A);
	vs_map(&f, VA(4), SUPER2M + 0x6000, 12, PTE_R | PTE_A);
	vs_map(&f, VA_2M, RAM_GPA + 0x200000, 21, PTE_R | PTE_A); /* over 4 KiB G leaves */
	fill(m, VA(1), ACC_LOAD);
	fill(m, VA(1), ACC_STORE);
	fill(m, VA(2), ACC_LOAD);
	fill(m, VA(3), ACC_LOAD);
	fill(m, VA(4), ACC_LOAD);
	fill(m, S0, ACC_LOAD);
	fill(m, S1, ACC_LOAD);
	mmu_hfence_gvma(m, GPA(1) + 0x800, true);
	CHECK_EQ("gpa: load entry gone", hit(m, VA(1), ACC_LOAD), 0);
	CHECK_EQ("gpa: store entry gone", hit(m, VA(1), ACC_STORE), 0);
	CHECK_EQ("gpa: other page kept", hit(m, VA(2), ACC_LOAD), 1);
	mmu_hfence_gvma(m, SUPER2M + 0x1ff000, true);
	CHECK_EQ("gpa in a 2M G leaf: its pages go", hit(m, VA(3), ACC_LOAD), 0);
	CHECK_EQ("gpa in a 2M G leaf: all of them", hit(m, VA(4), ACC_LOAD), 0);
	mmu_hfence_gvma(m, RAM_GPA + 0x250000, true);
	CHECK_EQ("VS superpage over 4K G: that page goes", hit(m, S0, ACC_LOAD), 0);
	CHECK_EQ("VS superpage over 4K G: other page kept", hit(m, S1, ACC_LOAD), 1);
	mmu_hfence_gvma(m, 0, false);
	CHECK_EQ("no gpa: all", hit(m, VA(2), ACC_LOAD) || hit(m, S1, ACC_LOAD), 0);
	free(m);
	fake_fini(&f);
}

int main(void)
{
	test_refs();
	test_superpages();
	test_bad_ptes();
	test_permissions();
	test_guest_page_faults();
	test_accessed_dirty();
	test_concurrent_ad();
	test_tlb_basic();
	test_tlb_context();
	test_tlb_asid();
	test_tlb_sfence();
	test_tlb_hfence();
	return check_summary();
}
