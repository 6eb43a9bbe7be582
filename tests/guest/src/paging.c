/*
 * Paging (Sv39 with PAGING_LEVELS=3, Sv48 with 4): 4 KiB, 2 MiB and 1 GiB
 * pages, hardware A/D updates, load/store/fetch page faults and stval,
 * R/W/X/U/SUM/MXR rules, reserved encodings, misaligned superpages,
 * non-canonical addresses, page-crossing misaligned accesses and instructions,
 * sfence.vma, satp WARL for unsupported modes (Sv57, reserved).
 */
#include <string.h>
#include "rt.h"

#ifndef PAGING_LEVELS
#error "PAGING_LEVELS must be 3 or 4"
#endif

#if PAGING_LEVELS == 3
TEST_NAME("paging_sv39");
#define SATP_MODE    SATP_MODE_SV39
#define MODE_NAME    "Sv39"
#define VA_HIGH      0xffffffc000005000UL /* canonical, upper half */
#define VA_NONCANON  0x0000004000000000UL /* bit 38 set, bits 63:39 clear */
#define VA_NONCANON2 0x0000008000000000UL /* bit 39: valid only with Sv48+ */
#elif PAGING_LEVELS == 4
TEST_NAME("paging_sv48");
#define SATP_MODE    SATP_MODE_SV48
#define MODE_NAME    "Sv48"
#define VA_HIGH      0xffff800000005000UL
#define VA_NONCANON  0x0000800000000000UL /* bit 47 set, bits 63:48 clear */
#define VA_NONCANON2 0xff00000000000000UL
#define VA_SV48ONLY  0x0000008000003000UL /* bit 39: canonical in Sv48 */
#else
#error "PAGING_LEVELS must be 3 or 4"
#endif

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

#define SZ_2M 0x200000UL
#define SZ_1G 0x40000000UL

#define VA_GIGA  0x0000000040000000UL /* 1 GiB page -> 0x80000000 */
#define VA_MIS1G 0x0000000100000000UL /* misaligned 1 GiB page */
#define VA_MEGA  0x0000001000000000UL /* 2 MiB pages */
#define VA_4K    0x0000002000000000UL /* 4 KiB pages: slot n at VA_4K + n * 64 KiB */

extern char snip_ret42[], snip_ret42_end[], snip_uload[], snip_uload_end[], snip_ustore[],
    snip_ustore_end[];

static u64 pt_pool[40][512] __attribute__((aligned(4096)));
static unsigned pt_used;
static u8 phys[24][PAGE_SIZE] __attribute__((aligned(4096)));
static u64 *root;
static u64 satp_val;

static u64 *alloc_pt(void)
{
	u64 *p;

	if (pt_used >= ARRAY_SIZE(pt_pool)) {
		FAILF("page-table pool exhausted");
		test_finish();
	}
	p = pt_pool[pt_used++];
	memset(p, 0, PAGE_SIZE);
	return p;
}

static u64 pte(u64 pa, u64 flags)
{
	return ((pa >> 12) << 10) | flags;
}

/* PTE slot for va at level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), creating tables. */
static volatile u64 *pte_slot(u64 *rt, int nlevels, u64 va, int level)
{
	u64 *t = rt;
	int l;

	for (l = nlevels - 1; l > level; l--) {
		unsigned idx = (va >> (12 + 9 * l)) & 511;

		if (!(t[idx] & PTE_V))
			t[idx] = pte((u64)alloc_pt(), PTE_V);
		else if (t[idx] & (PTE_R | PTE_W | PTE_X))
			FAILF("leaf PTE in the way at va 0x%lx level %d", (unsigned long)va, l);
		t = (u64 *)((t[idx] >> 10) << 12);
	}
	return &t[(va >> (12 + 9 * level)) & 511];
}

static volatile u64 *map(u64 va, u64 pa, int level, u64 flags)
{
	volatile u64 *p = pte_slot(root, PAGING_LEVELS, va, level);

	*p = pte(pa, flags);
	sfence_vma_all();
	return p;
}

static u64 slot_va(unsigned n)
{
	return VA_4K + n * 0x10000UL;
}

static u64 pa_of(unsigned n)
{
	return (u64)phys[n];
}

/* ---- accessors that may fault ---- */
static u64 try_ld(u64 va, struct trap_info *ti)
{
	u64 v = 0xbadbadbadUL;

	expect_trap_begin();
	__asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
	*ti = expect_trap_end();
	return v;
}

static void try_sd(u64 va, u64 v, struct trap_info *ti)
{
	expect_trap_begin();
	__asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(va) : "memory");
	*ti = expect_trap_end();
}

static volatile long exec_result;
static void exec_fn(unsigned long va)
{
	exec_result = ((long (*)(void))va)();
}

static long try_exec(u64 va, struct trap_info *ti)
{
	exec_result = -1;
	trap_try(exec_fn, va, ti);
	return exec_result;
}

static void expect_pf(const char *what, const struct trap_info *ti, u64 cause, u64 va)
{
	CHECK_TRAP(what, ti, cause, NO_CHECK, va);
}

/* ---- tests ---- */
static void enable_paging(void)
{
	root = alloc_pt();
	/* identity map of RAM (our image, stacks, page tables): one 1 GiB page */
	*pte_slot(root, PAGING_LEVELS, 0x80000000UL, 2) =
	    pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	satp_val = (SATP_MODE << SATP_MODE_SHIFT) | ((u64)root >> 12);
	sfence_vma_all();
	csr_write(satp, satp_val);
	sfence_vma_all();
	CHECK_EQ("satp reads back " MODE_NAME, satp_val, csr_read(satp));
	printf("paging on: satp 0x%lx\n", (unsigned long)csr_read(satp));
}

static volatile u64 probe_var = 0x1234567890abcdefUL;

static void test_superpages(u64 free2m)
{
	volatile u64 *alias;
	u64 off;

	/* 1 GiB page aliasing RAM */
	map(VA_GIGA, 0x80000000UL, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	alias = (volatile u64 *)(VA_GIGA + ((u64)&probe_var - 0x80000000UL));
	CHECK_EQ("read through 1 GiB page", 0x1234567890abcdefUL, *alias);
	*alias = 0xfeedfacecafebeefUL;
	CHECK_EQ("write through 1 GiB page", 0xfeedfacecafebeefUL, probe_var);

	/* 2 MiB page at free2m */
	map(VA_MEGA, free2m, 1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	for (off = 0; off < SZ_2M; off += 0x7ff8) {
		*(volatile u64 *)(VA_MEGA + off) = 0xabc0000000000000UL | off;
		if (*(volatile u64 *)(free2m + off) != (0xabc0000000000000UL | off)) {
			CHECK_EQ("write through 2 MiB page", 0xabc0000000000000UL | off,
			         *(volatile u64 *)(free2m + off));
			break;
		}
	}
	*(volatile u64 *)(free2m + SZ_2M - 8) = 0x5151;
	CHECK_EQ("read last dword of 2 MiB page", 0x5151, *(volatile u64 *)(VA_MEGA + SZ_2M - 8));

	/* upper-half canonical address */
	*(volatile u64 *)pa_of(0) = 0x0badc0de;
	map(VA_HIGH, pa_of(0), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	CHECK_EQ("read via upper-half VA", 0x0badc0de, *(volatile u64 *)VA_HIGH);
#ifdef VA_SV48ONLY
	map(VA_SV48ONLY, pa_of(0), 0, PTE_V | PTE_R | PTE_A);
	CHECK_EQ("read via VA with bit 39 set (Sv48)", 0x0badc0de, *(volatile u64 *)VA_SV48ONLY);
#endif
}

static void test_4k_and_crossing(void)
{
	u64 va = slot_va(1), v, e;
	u8 *p1 = phys[1], *p2 = phys[2];
	unsigned i;
	struct trap_info ti;

	/* two consecutive VA pages backed by non-adjacent physical pages */
	map(va, pa_of(1), 0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	map(va + PAGE_SIZE, pa_of(3), 0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	p2 = phys[3];
	for (i = 0; i < PAGE_SIZE; i++) {
		p1[i] = (u8)(i * 7 + 1);
		p2[i] = (u8)(i * 13 + 5);
	}
	CHECK_EQ("4 KiB page read", *(u64 *)(p1 + 0x100), *(volatile u64 *)(va + 0x100));
	CHECK_EQ("second 4 KiB page read", *(u64 *)(p2 + 0x100),
	         *(volatile u64 *)(va + PAGE_SIZE + 0x100));

	/* misaligned load across the two pages: 3 bytes + 5 bytes */
	expect_trap_begin();
	__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(va + PAGE_SIZE - 3) : "memory");
	ti = expect_trap_end();
	CHECK_NO_TRAP("page-crossing misaligned ld", &ti);
	e = 0;
	for (i = 0; i < 5; i++)
		e |= (u64)p2[i] << (8 * (3 + i));
	for (i = 0; i < 3; i++)
		e |= (u64)p1[PAGE_SIZE - 3 + i] << (8 * i);
	CHECK_EQ("page-crossing misaligned ld value", e, v);
	expect_trap_begin();
	__asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(va + PAGE_SIZE - 1) : "memory");
	ti = expect_trap_end();
	CHECK_NO_TRAP("page-crossing misaligned lw", &ti);
	e = (u64)(s64)(s32)(p1[PAGE_SIZE - 1] | (u32)p2[0] << 8 | (u32)p2[1] << 16 |
	                    (u32)p2[2] << 24);
	CHECK_EQ("page-crossing misaligned lw value", e, v);

	expect_trap_begin();
	__asm__ volatile("sd %0, 0(%1)" ::"r"(0x8877665544332211UL), "r"(va + PAGE_SIZE - 6)
	                 : "memory");
	ti = expect_trap_end();
	CHECK_NO_TRAP("page-crossing misaligned sd", &ti);
	CHECK_EQ("sd first page part", 0x665544332211UL,
	         (u64)p1[PAGE_SIZE - 6] | (u64)p1[PAGE_SIZE - 5] << 8 |
	             (u64)p1[PAGE_SIZE - 4] << 16 | (u64)p1[PAGE_SIZE - 3] << 24 |
	             (u64)p1[PAGE_SIZE - 2] << 32 | (u64)p1[PAGE_SIZE - 1] << 40);
	CHECK_EQ("sd second page part", 0x8877, (u64)p2[0] | (u64)p2[1] << 8);
	CHECK_EQ("sd did not spill past the access", (u8)(2 * 13 + 5), p2[2]);
}

static void test_ad_bits(void)
{
	struct trap_info ti;
	volatile u64 *p;
	u64 va = slot_va(2), v;
	long r;

	*(volatile u64 *)pa_of(4) = 0x4444;
	p = map(va, pa_of(4), 0, PTE_V | PTE_R | PTE_W);
	v = try_ld(va, &ti);
	if (ti.count) {
		FAILF("load with PTE.A=0 trapped (scause 0x%lx): the suite requires hardware A/D "
		      "updates (no Svade)",
		      (unsigned long)ti.cause);
		return;
	}
	CHECK_EQ("load via A=0 page", 0x4444, v);
	CHECK_EQ("PTE after load: A set, D clear", pte(pa_of(4), PTE_V | PTE_R | PTE_W | PTE_A),
	         *p);
	try_sd(va, 0x4545, &ti);
	CHECK_NO_TRAP("store with PTE.D=0", &ti);
	CHECK_EQ("PTE after store: A and D set",
	         pte(pa_of(4), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D), *p);
	CHECK_EQ("store landed", 0x4545, *(volatile u64 *)pa_of(4));

	/* store first: sets both */
	p = map(va + PAGE_SIZE, pa_of(5), 0, PTE_V | PTE_R | PTE_W);
	try_sd(va + PAGE_SIZE, 1, &ti);
	CHECK_NO_TRAP("store with PTE.A=0,D=0", &ti);
	CHECK_EQ("PTE after store to untouched page",
	         pte(pa_of(5), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D), *p);

	/* fetch sets A */
	memcpy(phys[6], snip_ret42, (size_t)(snip_ret42_end - snip_ret42));
	fence_i();
	p = map(va + 2 * PAGE_SIZE, pa_of(6), 0, PTE_V | PTE_R | PTE_X);
	r = try_exec(va + 2 * PAGE_SIZE, &ti);
	CHECK_NO_TRAP("fetch with PTE.A=0", &ti);
	CHECK_EQ("code in A=0 page ran", 42, r);
	CHECK_EQ("PTE after fetch: A set", pte(pa_of(6), PTE_V | PTE_R | PTE_X | PTE_A), *p);

	/* A=1 D=0 page, load leaves D clear */
	p = map(va + 3 * PAGE_SIZE, pa_of(5), 0, PTE_V | PTE_R | PTE_W | PTE_A);
	try_ld(va + 3 * PAGE_SIZE, &ti);
	CHECK_EQ("PTE after load (A=1,D=0)", pte(pa_of(5), PTE_V | PTE_R | PTE_W | PTE_A), *p);
}

static void test_permissions(void)
{
	struct trap_info ti;
	u64 va, v;
	long r;

	memcpy(phys[7], snip_ret42, (size_t)(snip_ret42_end - snip_ret42));
	fence_i();
	*(volatile u64 *)(pa_of(7) + 0x800) = 0x7777;

	/* invalid PTE (V=0, other bits set) */
	va = slot_va(3);
	map(va, pa_of(7), 0, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	try_ld(va + 0x800, &ti);
	expect_pf("load, V=0", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x800);
	try_sd(va + 0x808, 1, &ti);
	expect_pf("store, V=0", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x808);
	try_exec(va, &ti);
	CHECK_TRAP("fetch, V=0", &ti, CAUSE_FETCH_PAGE_FAULT, va, va);

	/* read-only */
	va = slot_va(4);
	map(va, pa_of(7), 0, PTE_V | PTE_R | PTE_A | PTE_D);
	v = try_ld(va + 0x800, &ti);
	CHECK_NO_TRAP("load, R only", &ti);
	CHECK_EQ("load, R only: value", 0x7777, v);
	try_sd(va + 0x800, 1, &ti);
	expect_pf("store, R only", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x800);
	CHECK_EQ("faulting store did not write", 0x7777, *(volatile u64 *)(pa_of(7) + 0x800));
	try_exec(va, &ti);
	CHECK_TRAP("fetch, R only (X=0)", &ti, CAUSE_FETCH_PAGE_FAULT, va, va);
	expect_trap_begin();
	__asm__ volatile("amoadd.d x0, %0, (%1)" ::"r"(1UL), "r"(va + 0x800) : "memory");
	ti = expect_trap_end();
	expect_pf("AMO, R only", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x800);
	expect_trap_begin();
	__asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(va + 0x800) : "memory");
	ti = expect_trap_end();
	CHECK_NO_TRAP("lr.d, R only", &ti);

	/* execute-only: loads fault unless MXR */
	va = slot_va(5);
	map(va, pa_of(7), 0, PTE_V | PTE_X | PTE_A);
	try_ld(va + 0x800, &ti);
	expect_pf("load, X only, MXR=0", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x800);
	r = try_exec(va, &ti);
	CHECK_NO_TRAP("fetch, X only", &ti);
	CHECK_EQ("fetch, X only: result", 42, r);
	csr_set(sstatus, SSTATUS_MXR);
	v = try_ld(va + 0x800, &ti);
	CHECK_NO_TRAP("load, X only, MXR=1", &ti);
	CHECK_EQ("load, X only, MXR=1: value", 0x7777, v);
	try_sd(va + 0x800, 1, &ti);
	expect_pf("store, X only, MXR=1", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x800);
	csr_clear(sstatus, SSTATUS_MXR);

	/* reserved: W without R */
	va = slot_va(6);
	map(va, pa_of(7), 0, PTE_V | PTE_W | PTE_A | PTE_D);
	try_ld(va + 0x800, &ti);
	expect_pf("load, W=1 R=0 (reserved)", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x800);
	try_sd(va + 0x800, 1, &ti);
	expect_pf("store, W=1 R=0 (reserved)", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x800);
	map(va, pa_of(7), 0, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D);
	try_exec(va, &ti);
	CHECK_TRAP("fetch, W=1 X=1 R=0 (reserved)", &ti, CAUSE_FETCH_PAGE_FAULT, va, va);

	/* U pages from S-mode: data only with SUM=1, never fetch */
	va = slot_va(7);
	map(va, pa_of(7), 0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
	csr_clear(sstatus, SSTATUS_SUM);
	try_ld(va + 0x800, &ti);
	expect_pf("S load from U page, SUM=0", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x800);
	try_sd(va + 0x800, 1, &ti);
	expect_pf("S store to U page, SUM=0", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x800);
	try_exec(va, &ti);
	CHECK_TRAP("S fetch from U page, SUM=0", &ti, CAUSE_FETCH_PAGE_FAULT, va, va);
	csr_set(sstatus, SSTATUS_SUM);
	try_exec(va, &ti);
	CHECK_TRAP("S fetch from U page, SUM=1", &ti, CAUSE_FETCH_PAGE_FAULT, va, va);
	v = try_ld(va + 0x800, &ti);
	CHECK_NO_TRAP("S load from U page, SUM=1", &ti);
	CHECK_EQ("S load from U page, SUM=1: value", 0x7777, v);
	try_sd(va + 0x808, 0x7878, &ti);
	CHECK_NO_TRAP("S store to U page, SUM=1", &ti);
	CHECK_EQ("S store to U page, SUM=1: value", 0x7878, *(volatile u64 *)(pa_of(7) + 0x808));
	/* again, now that a data access has used the translation */
	try_exec(va, &ti);
	CHECK_QUIRK("S fetch from U page, SUM=1, after a data access",
	            ti.count == 1 && ti.cause == CAUSE_FETCH_PAGE_FAULT && ti.tval == va,
	            "%lu trap(s), scause 0x%lx: the fetch was allowed (in QEMU 7.2 the TLB entry "
	            "filled by the load also grants execute)",
	            (unsigned long)ti.count, (unsigned long)ti.cause);
	csr_clear(sstatus, SSTATUS_SUM);
}

static void test_user_mode(void)
{
	struct trap_info ti;
	u64 ucode = slot_va(8), ustore = slot_va(8) + PAGE_SIZE, udata = slot_va(9),
	    sdata = slot_va(10), urodata = slot_va(11);

	memcpy(phys[8], snip_uload, (size_t)(snip_uload_end - snip_uload));
	memcpy(phys[9], snip_ustore, (size_t)(snip_ustore_end - snip_ustore));
	fence_i();
	*(volatile u64 *)pa_of(10) = 0x1010;
	map(ucode, pa_of(8), 0, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
	map(ustore, pa_of(9), 0, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
	map(udata, pa_of(10), 0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
	map(sdata, pa_of(10), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	map(urodata, pa_of(10), 0, PTE_V | PTE_R | PTE_U | PTE_A | PTE_D);

	trap_try_user((void (*)(unsigned long))ucode, udata, 0, &ti);
	CHECK_TRAP("U load from U page, then ecall", &ti, CAUSE_USER_ECALL, ucode + 4, 0);
	CHECK_EQ("U load from U page: value", 0x1010, ti.a0);

	trap_try_user((void (*)(unsigned long))ucode, sdata, 0, &ti);
	CHECK_TRAP("U load from S page", &ti, CAUSE_LOAD_PAGE_FAULT, ucode, sdata);
	csr_set(sstatus, SSTATUS_SUM); /* SUM does not apply to U-mode */
	trap_try_user((void (*)(unsigned long))ucode, sdata, 0, &ti);
	CHECK_TRAP("U load from S page, SUM=1", &ti, CAUSE_LOAD_PAGE_FAULT, ucode, sdata);
	csr_clear(sstatus, SSTATUS_SUM);

	trap_try_user((void (*)(unsigned long))ustore, urodata, 0, &ti);
	CHECK_TRAP("U store to read-only U page", &ti, CAUSE_STORE_PAGE_FAULT, ustore, urodata);
	trap_try_user((void (*)(unsigned long))ustore, udata, 0, &ti);
	CHECK_TRAP("U store to U page, then ecall", &ti, CAUSE_USER_ECALL, ustore + 4, 0);
	CHECK_EQ("U store landed", udata, *(volatile u64 *)pa_of(10));

	/* U fetch from a page without U */
	map(slot_va(12), pa_of(8), 0, PTE_V | PTE_R | PTE_X | PTE_A);
	trap_try_user((void (*)(unsigned long))slot_va(12), udata, 0, &ti);
	CHECK_TRAP("U fetch from S page", &ti, CAUSE_FETCH_PAGE_FAULT, slot_va(12), slot_va(12));
}

static void test_bad_mappings(u64 free2m)
{
	struct trap_info ti;
	u64 va;

	/* misaligned superpages are page faults */
	va = VA_MEGA + SZ_2M;
	map(va, free2m + PAGE_SIZE, 1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	try_ld(va + 0x10, &ti);
	expect_pf("load via misaligned 2 MiB page", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x10);
	try_sd(va + 0x10, 1, &ti);
	expect_pf("store via misaligned 2 MiB page", &ti, CAUSE_STORE_PAGE_FAULT, va + 0x10);
	va = VA_MIS1G;
	map(va, 0x80000000UL + SZ_2M, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	try_ld(va + 0x20, &ti);
	expect_pf("load via misaligned 1 GiB page", &ti, CAUSE_LOAD_PAGE_FAULT, va + 0x20);

	/* non-canonical virtual addresses */
	try_ld(VA_NONCANON, &ti);
	expect_pf("load from non-canonical VA", &ti, CAUSE_LOAD_PAGE_FAULT, VA_NONCANON);
	try_sd(VA_NONCANON + 8, 1, &ti);
	expect_pf("store to non-canonical VA", &ti, CAUSE_STORE_PAGE_FAULT, VA_NONCANON + 8);
	try_ld(VA_NONCANON2, &ti);
	expect_pf("load from non-canonical VA (2)", &ti, CAUSE_LOAD_PAGE_FAULT, VA_NONCANON2);
	try_exec(VA_NONCANON, &ti);
	CHECK_TRAP("fetch from non-canonical VA", &ti, CAUSE_FETCH_PAGE_FAULT, VA_NONCANON,
	           VA_NONCANON);
}

/* misaligned access whose second page faults: stval is inside the faulting part */
static void test_crossing_faults(void)
{
	struct trap_info ti;
	u64 va = slot_va(13), v;

	map(va, pa_of(11), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	map(va + PAGE_SIZE, pa_of(12), 0, PTE_R | PTE_W | PTE_A | PTE_D); /* V=0 */
	memset(phys[11], 0x11, PAGE_SIZE);

	v = 0x5a5a5a5a;
	expect_trap_begin();
	__asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va + PAGE_SIZE - 4) : "memory");
	ti = expect_trap_end();
	CHECK_TRAP("crossing ld, 2nd page invalid", &ti, CAUSE_LOAD_PAGE_FAULT, NO_CHECK, NO_CHECK);
	CHECK("crossing ld: stval in the faulting part [page2, page2+3]",
	      ti.tval >= va + PAGE_SIZE && ti.tval <= va + PAGE_SIZE + 3);
	CHECK_EQ("crossing ld: rd unchanged", 0x5a5a5a5a, v);
	printf("crossing ld fault: addr 0x%lx stval 0x%lx\n", (unsigned long)(va + PAGE_SIZE - 4),
	       (unsigned long)ti.tval);

	expect_trap_begin();
	__asm__ volatile("sw %0, 0(%1)" ::"r"(0UL), "r"(va + PAGE_SIZE - 2) : "memory");
	ti = expect_trap_end();
	CHECK_TRAP("crossing sw, 2nd page invalid", &ti, CAUSE_STORE_PAGE_FAULT, NO_CHECK,
	           NO_CHECK);
	CHECK("crossing sw: stval in the faulting part [page2, page2+1]",
	      ti.tval >= va + PAGE_SIZE && ti.tval <= va + PAGE_SIZE + 1);

	/* first page invalid, second valid: stval in [addr, page end) */
	map(va + 4 * PAGE_SIZE, pa_of(12), 0, PTE_R | PTE_A);
	map(va + 5 * PAGE_SIZE, pa_of(11), 0, PTE_V | PTE_R | PTE_A);
	try_ld(va + 5 * PAGE_SIZE - 2, &ti);
	CHECK_TRAP("crossing ld, 1st page invalid", &ti, CAUSE_LOAD_PAGE_FAULT, NO_CHECK, NO_CHECK);
	CHECK("crossing ld (1st page): stval in [addr, page end)",
	      ti.tval >= va + 5 * PAGE_SIZE - 2 && ti.tval < va + 5 * PAGE_SIZE);
}

/* a 32-bit instruction whose second half is on the next page */
static void test_crossing_fetch(void)
{
	struct trap_info ti;
	u64 va = slot_va(14);
	long r;

	*(volatile u16 *)(phys[13] + PAGE_SIZE - 2) = 0x0513; /* li a0, 7 (0x00700513) */
	*(volatile u16 *)(phys[14] + 0) = 0x0070;
	*(volatile u32 *)(phys[14] + 2) = 0x00008067; /* ret */
	fence_i();
	map(va, pa_of(13), 0, PTE_V | PTE_R | PTE_X | PTE_A);
	map(va + PAGE_SIZE, pa_of(14), 0, PTE_V | PTE_R | PTE_X | PTE_A);
	r = try_exec(va + PAGE_SIZE - 2, &ti);
	CHECK_NO_TRAP("instruction across a page boundary", &ti);
	CHECK_EQ("instruction across a page boundary: result", 7, r);

	map(va + PAGE_SIZE, pa_of(14), 0, PTE_V | PTE_R | PTE_A); /* second page not executable */
	try_exec(va + PAGE_SIZE - 2, &ti);
	CHECK_TRAP("fetch of instruction whose 2nd half is not executable", &ti,
	           CAUSE_FETCH_PAGE_FAULT, va + PAGE_SIZE - 2, NO_CHECK);
	CHECK("crossing fetch: stval is in the 2nd page part",
	      ti.tval >= va + PAGE_SIZE && ti.tval <= va + PAGE_SIZE + 1);
	printf("crossing fetch fault: sepc 0x%lx stval 0x%lx\n", (unsigned long)ti.epc,
	       (unsigned long)ti.tval);
}

static void test_sfence(void)
{
	u64 va = slot_va(15);
	volatile u64 *p;

	*(volatile u64 *)pa_of(15) = 0x1111;
	*(volatile u64 *)pa_of(16) = 0x2222;
	p = map(va, pa_of(15), 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	CHECK_EQ("before remap", 0x1111, *(volatile u64 *)va);
	*p = pte(pa_of(16), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	sfence_vma_addr(va);
	CHECK_EQ("after remap + sfence.vma va", 0x2222, *(volatile u64 *)va);
	*p = pte(pa_of(15), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	__asm__ volatile("sfence.vma" ::: "memory");
	CHECK_EQ("after remap + sfence.vma", 0x1111, *(volatile u64 *)va);
	*p = pte(pa_of(16), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
	CHECK_EQ("after remap + sfence.vma va, x0", 0x2222, *(volatile u64 *)va);
	*p = pte(pa_of(15), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	__asm__ volatile("sfence.vma zero, %0" ::"r"(0UL) : "memory"); /* ASID 0 */
	CHECK_EQ("after remap + sfence.vma x0, asid", 0x1111, *(volatile u64 *)va);
	/* unmap: now it must fault */
	*p = 0;
	sfence_vma_addr(va);
	{
		struct trap_info ti;

		try_ld(va, &ti);
		expect_pf("load after unmap + sfence.vma", &ti, CAUSE_LOAD_PAGE_FAULT, va);
	}
}

/* satp is WARL: an unsupported mode leaves the whole register unchanged */
static void test_satp_modes(void)
{
	u64 *root57, cur, want, got;

	/* Sv57 tables with the same identity mapping (VPN[4]=VPN[3]=0, VPN[2]=2) */
	root57 = alloc_pt();
	*pte_slot(root57, 5, 0x80000000UL, 2) =
	    pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	cur = csr_read(satp);
	want = (SATP_MODE_SV57 << SATP_MODE_SHIFT) | ((u64)root57 >> 12);
	sfence_vma_all();
	csr_write(satp, want);
	got = csr_read(satp);
	sfence_vma_all();
	if (got == want) {
		printf("satp: Sv57 accepted (0x%lx); running on it\n", (unsigned long)got);
		CHECK_EQ("read under Sv57", 0xfeedfacecafebeefUL, probe_var);
	} else if (got == cur) {
		printf("satp: Sv57 not implemented, satp unchanged (0x%lx)\n", (unsigned long)got);
	} else {
		FAILF("satp after writing Sv57 0x%lx: 0x%lx is neither the old value 0x%lx nor "
		      "the written one",
		      (unsigned long)want, (unsigned long)got, (unsigned long)cur);
	}
	csr_write(satp, cur);
	sfence_vma_all();
	CHECK_EQ("satp restored", cur, csr_read(satp));

	/* reserved modes 1..7 and 11..15 are never valid */
	csr_write(satp, (1UL << SATP_MODE_SHIFT) | ((u64)root57 >> 12));
	got = csr_read(satp);
	sfence_vma_all();
	CHECK_EQ("satp unchanged after writing reserved mode 1", cur, got);
	csr_write(satp, (15UL << SATP_MODE_SHIFT) | ((u64)root57 >> 12));
	got = csr_read(satp);
	sfence_vma_all();
	CHECK_EQ("satp unchanged after writing reserved mode 15", cur, got);

	/* ASID field: WARL, report how many bits stick */
	csr_write(satp, cur | (0xffffUL << 44));
	got = csr_read(satp);
	sfence_vma_all();
	CHECK_EQ("satp mode/ppn unchanged by ASID write", cur & ~(0xffffUL << 44),
	         got & ~(0xffffUL << 44));
	printf("satp ASID bits implemented: mask 0x%lx\n", (unsigned long)((got >> 44) & 0xffff));
	csr_write(satp, cur);
	sfence_vma_all();
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	u64 free2m = ((u64)__image_end + SZ_2M - 1) & ~(SZ_2M - 1);

	(void)hartid;
	(void)dtb;
	printf("%s: image 0x%lx-0x%lx, 2 MiB test region at 0x%lx\n", MODE_NAME,
	       (unsigned long)__image_start, (unsigned long)__image_end, (unsigned long)free2m);
	CHECK_EQ("satp is Bare at entry", 0, csr_read(satp));
	enable_paging();
	test_superpages(free2m);
	test_4k_and_crossing();
	test_ad_bits();
	test_permissions();
	test_user_mode();
	test_bad_mappings(free2m);
	test_crossing_faults();
	test_crossing_fetch();
	test_sfence();
	test_satp_modes();
	csr_write(satp, 0);
	sfence_vma_all();
	CHECK_EQ("satp back to Bare", 0, csr_read(satp));
}
