// SPDX-License-Identifier: MIT
/*
 * The interpreter: fetch, decode, execute RV64IMAFDC in VS/VU mode.
 * Memory accesses go through the per-vCPU TLB (inline hit) and the
 * two-stage walker (miss); anything the guest cannot handle itself leaves
 * through trap_raise()/trap_guest_page_fault() as an exit.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "cpu/fpu.h"
#include "cpu/internal.h"

/* Instructions between checks of interrupts, timer and requests. */
#define CHUNK 1024

/* Pauses further apart than this many instructions are not one spin loop. */
#define PLE_GAP 512

static const char *const exit_names[EXIT_NR] = {
#define X(name, str) [EXIT_##name] = str,
	EXIT_REASONS(X)
#undef X
};

const char *exit_reason_name(enum exit_reason r)
{
	return (unsigned)r < EXIT_NR ? exit_names[r] : "?";
}

uint64_t host_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vcpu_time(const struct vcpu *v)
{
	return (host_time_ns() - v->time_base_ns) / (1000000000ull / RVISOR_TIMEBASE_HZ) +
	       v->htimedelta;
}

uint64_t vcpu_timer_deadline_ns(const struct vcpu *v)
{
	uint64_t ticks;

	/* Only an enabled timer interrupt can end a wfi (privileged spec 3.3.3). */
	if (!(v->henvcfg & ENVCFG_STCE) || v->vstimecmp == UINT64_MAX ||
	    !(v->hie & v->hideleg & MIP_VSTIP))
		return UINT64_MAX;
	ticks = v->vstimecmp - v->htimedelta;
	if (ticks > UINT64_MAX / 100 - v->time_base_ns)
		return UINT64_MAX;
	return v->time_base_ns + ticks * (1000000000ull / RVISOR_TIMEBASE_HZ);
}

void vcpu_init(struct vcpu *v, unsigned hartid)
{
	unsigned i;

	/*
	 * From x to the decode cache: the cross-thread atomics before x are left
	 * alone, and the decode cache is only untagged (its 4 MiB stay untouched).
	 */
	memset(v->x, 0, offsetof(struct vcpu, dcache) - offsetof(struct vcpu, x));
	for (i = 0; i < DCACHE_PAGES; i++)
		v->dcache[i].tag = 0;
	v->hartid = hartid;
	v->priv = PRIV_S;
	v->vstimecmp = UINT64_MAX;
	v->time_base_ns = host_time_ns();
	mmu_init(&v->mmu);
	mmu_set_context(&v->mmu, PRIV_S, 0);
	fetch_invalidate(v);
}

void vcpu_kick(struct vcpu *v, uint32_t request)
{
	atomic_fetch_or_explicit(&v->requests, request, memory_order_release);
}

void vcpu_set_irq(struct vcpu *v, uint64_t mip_bits, bool level)
{
	if (level)
		atomic_fetch_or_explicit(&v->hvip, mip_bits, memory_order_release);
	else
		atomic_fetch_and_explicit(&v->hvip, ~mip_bits, memory_order_release);
	vcpu_kick(v, VCPU_REQ_IRQ);
}

void vcpu_skip_insn(struct vcpu *v, unsigned len)
{
	v->pc += len;
}

/* ---- memory access ---------------------------------------------------------------------- */

/*
 * Guest memory is shared with other vCPUs' threads. Aligned accesses are
 * relaxed atomics (RVWMO gives aligned accesses single-copy atomicity, and
 * on x86 they are plain moves); misaligned ones are byte copies, which is
 * all RISC-V promises for them too.
 */
static inline void guest_read(const uint8_t *h, unsigned size, void *buf)
{
	switch (((uintptr_t)h & (size - 1)) ? 0 : size) {
	case 1: *(uint8_t *)buf = __atomic_load_n(h, __ATOMIC_RELAXED); break;
	case 2: {
		uint16_t t = __atomic_load_n((const uint16_t *)h, __ATOMIC_RELAXED);
		memcpy(buf, &t, 2);
		break;
	}
	case 4: {
		uint32_t t = __atomic_load_n((const uint32_t *)h, __ATOMIC_RELAXED);
		memcpy(buf, &t, 4);
		break;
	}
	case 8: {
		uint64_t t = __atomic_load_n((const uint64_t *)h, __ATOMIC_RELAXED);
		memcpy(buf, &t, 8);
		break;
	}
	default: guest_copy_misaligned(buf, h, size); break;
	}
}

static inline void guest_write(uint8_t *h, unsigned size, const void *buf)
{
	switch (((uintptr_t)h & (size - 1)) ? 0 : size) {
	case 1: __atomic_store_n(h, *(const uint8_t *)buf, __ATOMIC_RELAXED); break;
	case 2: {
		uint16_t t;
		memcpy(&t, buf, 2);
		__atomic_store_n((uint16_t *)h, t, __ATOMIC_RELAXED);
		break;
	}
	case 4: {
		uint32_t t;
		memcpy(&t, buf, 4);
		__atomic_store_n((uint32_t *)h, t, __ATOMIC_RELAXED);
		break;
	}
	case 8: {
		uint64_t t;
		memcpy(&t, buf, 8);
		__atomic_store_n((uint64_t *)h, t, __ATOMIC_RELAXED);
		break;
	}
	default: guest_copy_misaligned(h, buf, size); break;
	}
}

/* TLB first, then the walker (which fills the TLB). */
static uint8_t *xlate(struct vcpu *v, uint64_t va, enum mmu_access acc, struct mmu_fault *f)
{
	uint8_t *h = mmu_lookup(&v->mmu, va, acc);

	return h ? h : mmu_translate(&v->mmu, va, acc, f);
}

static enum step mem_fault(struct vcpu *v, const struct mmu_fault *f, const struct insn *in,
                           int mmio_ok)
{
	if (f->cause == CAUSE_FETCH_GUEST_PAGE_FAULT || f->cause == CAUSE_LOAD_GUEST_PAGE_FAULT ||
	    f->cause == CAUSE_STORE_GUEST_PAGE_FAULT)
		return trap_guest_page_fault(v, f, in, mmio_ok);
	return trap_raise(v, f->cause, f->tval, in);
}

/*
 * Slow path of a data access: TLB miss, page-crossing (misaligned accesses
 * are performed by the hart, 2.8), or a fault. Both pages are translated
 * before any byte moves, so a fault leaves memory untouched.
 */
static enum step mem_slow(struct vcpu *v, uint64_t va, unsigned size, void *buf,
                          enum mmu_access acc, const struct insn *in)
{
	unsigned first = 4096 - (unsigned)(va & 4095);
	struct mmu_fault f;
	uint8_t *h1, *h2;

	if (first >= size) {
		h1 = mmu_translate(&v->mmu, va, acc, &f);
		if (!h1)
			return mem_fault(v, &f, in, 1);
		if (acc == ACC_STORE)
			guest_write(h1, size, buf);
		else
			guest_read(h1, size, buf);
		return STEP_NEXT;
	}
	h1 = xlate(v, va, acc, &f);
	if (!h1)
		return mem_fault(v, &f, in, 0);
	h2 = xlate(v, va + first, acc, &f);
	if (!h2)
		return mem_fault(v, &f, in, 0);
	if (acc == ACC_STORE) {
		guest_copy_misaligned(h1, buf, first);
		guest_copy_misaligned(h2, (uint8_t *)buf + first, size - first);
	} else {
		guest_copy_misaligned(buf, h1, first);
		guest_copy_misaligned((uint8_t *)buf + first, h2, size - first);
	}
	return STEP_NEXT;
}

static inline enum step load(struct vcpu *v, uint64_t va, unsigned size, void *buf,
                             const struct insn *in)
{
	if (likely((va & 4095) <= 4096 - size)) {
		uint8_t *h = mmu_lookup(&v->mmu, va, ACC_LOAD);
		if (likely(h != NULL)) {
			guest_read(h, size, buf);
			return STEP_NEXT;
		}
	}
	return mem_slow(v, va, size, buf, ACC_LOAD, in);
}

static inline enum step store(struct vcpu *v, uint64_t va, unsigned size, uint64_t val,
                              const struct insn *in)
{
	if (likely((va & 4095) <= 4096 - size)) {
		uint8_t *h = mmu_lookup(&v->mmu, va, ACC_STORE);
		if (likely(h != NULL)) {
			guest_write(h, size, &val);
			return STEP_NEXT;
		}
	}
	return mem_slow(v, va, size, &val, ACC_STORE, in);
}

/* Translate an atomic's address: aligned, in RAM, and writable unless it is an LR. */
static enum step amo_addr(struct vcpu *v, uint64_t va, unsigned size, const struct insn *in,
                          void **host)
{
	bool lr = in->op == OP_LR_W || in->op == OP_LR_D;
	enum mmu_access acc = lr ? ACC_LOAD : ACC_STORE;
	struct mmu_fault f;
	uint8_t *h;

	if (va & (size - 1))
		return trap_raise(v, lr ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, va, in);
	h = xlate(v, va, acc, &f);
	if (!h)
		return mem_fault(v, &f, in, 0);
	*host = h;
	return STEP_NEXT;
}

/* ---- instruction fetch ------------------------------------------------------------------ */

static struct dcache_page *dcache_page(struct vcpu *v, uint8_t *page)
{
	struct dcache_page *d = &v->dcache[((uintptr_t)page >> 12) % DCACHE_PAGES];

	if (d->tag != (uintptr_t)page) {
		memset(d->valid, 0, sizeof(d->valid));
		d->tag = (uintptr_t)page;
	}
	return d;
}

static inline bool dcache_valid(const struct dcache_page *d, unsigned slot)
{
	return d->valid[slot / 64] >> (slot % 64) & 1;
}

static inline struct insn *dcache_fill(struct dcache_page *d, unsigned slot, uint32_t raw)
{
	d->valid[slot / 64] |= 1ull << (slot % 64);
	decode(raw, &d->insn[slot]);
	return &d->insn[slot];
}

/*
 * Slow fetch: a new page (translate, pick its decode-cache page) or a 32-bit
 * instruction straddling two pages, which is decoded into *tmp uncached.
 */
static enum step fetch_slow(struct vcpu *v, const struct insn **out, struct insn *tmp)
{
	uint64_t pc = v->pc;
	struct mmu_fault f;
	uint16_t lo, hi;
	uint32_t raw;
	uint8_t *h;

	h = xlate(v, pc, ACC_FETCH, &f);
	if (!h)
		return mem_fault(v, &f, NULL, 0);
	v->fetch_vpn = pc >> 12;
	v->fetch_host = h - (pc & 4095);
	v->fetch_dpage = dcache_page(v, v->fetch_host);
	guest_read(h, 2, &lo);
	if (insn_length(lo) == 2 || (pc & 4095) != 4094) {
		if (insn_length(lo) == 2)
			raw = lo;
		else
			guest_read(h, 4, &raw);
		*out = dcache_fill(v->fetch_dpage, (pc & 4095) >> 1, raw);
		return STEP_NEXT;
	}
	/* A 32-bit instruction straddling two pages. */
	h = xlate(v, pc + 2, ACC_FETCH, &f);
	if (!h)
		return mem_fault(v, &f, NULL, 0);
	guest_read(h, 2, &hi);
	decode((uint32_t)hi << 16 | lo, tmp);
	*out = tmp;
	fetch_invalidate(v); /* keep the straddling instruction out of the fast path */
	return STEP_NEXT;
}

static inline enum step fetch(struct vcpu *v, const struct insn **out, struct insn *tmp)
{
	uint64_t pc = v->pc;

	if (likely((pc >> 12) == v->fetch_vpn)) {
		unsigned slot = (pc & 4095) >> 1;

		if (likely(dcache_valid(v->fetch_dpage, slot))) {
			*out = &v->fetch_dpage->insn[slot];
			return STEP_NEXT;
		}
		if ((pc & 4095) != 4094) {
			const uint8_t *h = v->fetch_host + (pc & 4095);
			uint16_t lo;
			uint32_t raw;

			guest_read(h, 2, &lo);
			if (insn_length(lo) == 2)
				raw = lo;
			else
				guest_read(h, 4, &raw);
			*out = dcache_fill(v->fetch_dpage, slot, raw);
			return STEP_NEXT;
		}
	}
	return fetch_slow(v, out, tmp);
}

/* ---- floating point helpers --------------------------------------------------------------- */

static inline bool fp_off(const struct vcpu *v)
{
	return v->hs_fs == FS_OFF || (v->vsstatus & SSTATUS_FS) == FS_OFF;
}

static inline void fp_dirty(struct vcpu *v)
{
	v->vsstatus |= FS_DIRTY;
	v->hs_fs = FS_DIRTY;
}

static inline int fp_rm(const struct vcpu *v, const struct insn *in)
{
	unsigned rm = in->rm == 7 ? v->frm : in->rm;

	return rm <= RM_RMM ? (int)rm : -1;
}

/* ---- integer helpers ---------------------------------------------------------------------- */

static inline uint64_t mulh(int64_t a, int64_t b)
{
	return (uint64_t)(((__int128)a * b) >> 64);
}

static inline uint64_t mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t mulhsu(int64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)a * (unsigned __int128)b) >> 64);
}

static inline int64_t sx32(uint64_t v)
{
	return (int32_t)v;
}

static uint64_t div_s(int64_t a, int64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT64_MIN && b == -1)
		return (uint64_t)a;
	return (uint64_t)(a / b);
}

static uint64_t rem_s(int64_t a, int64_t b)
{
	if (b == 0)
		return (uint64_t)a;
	if (a == INT64_MIN && b == -1)
		return 0;
	return (uint64_t)(a % b);
}

static uint64_t divw(int32_t a, int32_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT32_MIN && b == -1)
		return (uint64_t)(int64_t)a;
	return (uint64_t)(int64_t)(a / b);
}

static uint64_t remw(int32_t a, int32_t b)
{
	if (b == 0)
		return (uint64_t)(int64_t)a;
	if (a == INT32_MIN && b == -1)
		return 0;
	return (uint64_t)(int64_t)(a % b);
}

/* ---- atomics ------------------------------------------------------------------------------ */

static enum step exec_amo(struct vcpu *v, const struct insn *in)
{
	bool d = in->op >= OP_LR_D;
	unsigned size = d ? 8 : 4;
	unsigned op = d ? in->op - (OP_LR_D - OP_LR_W) : in->op;
	uint64_t src = v->x[in->rs2], old;
	void *h = NULL;
	enum step st = amo_addr(v, v->x[in->rs1], size, in, &h);

	if (st != STEP_NEXT)
		return st;
	if (op == OP_LR_W) {
		old = d ? __atomic_load_n((uint64_t *)h, __ATOMIC_ACQUIRE)
		        : (uint64_t)(int64_t)__atomic_load_n((int32_t *)h, __ATOMIC_ACQUIRE);
		v->resv_addr = h;
		v->resv_value = old;
		v->resv_size = (uint8_t)size;
		v->x[in->rd] = old;
		return STEP_NEXT;
	}
	if (op == OP_SC_W) {
		bool ok = false;

		if (v->resv_addr == h && v->resv_size == size) {
			if (d) {
				uint64_t exp = v->resv_value;
				ok =
				    __atomic_compare_exchange_n((uint64_t *)h, &exp, src, false,
				                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
			} else {
				int32_t exp = (int32_t)v->resv_value;
				ok = __atomic_compare_exchange_n((int32_t *)h, &exp, (int32_t)src,
				                                 false, __ATOMIC_SEQ_CST,
				                                 __ATOMIC_RELAXED);
			}
		}
		v->resv_addr = NULL;
		v->x[in->rd] = !ok;
		return STEP_NEXT;
	}
	if (d) {
		uint64_t *p = h;
		switch (op) {
		case OP_AMOSWAP_W: old = __atomic_exchange_n(p, src, __ATOMIC_SEQ_CST); break;
		case OP_AMOADD_W: old = __atomic_fetch_add(p, src, __ATOMIC_SEQ_CST); break;
		case OP_AMOXOR_W: old = __atomic_fetch_xor(p, src, __ATOMIC_SEQ_CST); break;
		case OP_AMOAND_W: old = __atomic_fetch_and(p, src, __ATOMIC_SEQ_CST); break;
		case OP_AMOOR_W: old = __atomic_fetch_or(p, src, __ATOMIC_SEQ_CST); break;
		default: {
			uint64_t nv;
			old = __atomic_load_n(p, __ATOMIC_RELAXED);
			do {
				switch (op) {
				case OP_AMOMIN_W:
					nv = (int64_t)old < (int64_t)src ? old : src;
					break;
				case OP_AMOMAX_W:
					nv = (int64_t)old > (int64_t)src ? old : src;
					break;
				case OP_AMOMINU_W: nv = old < src ? old : src; break;
				default: nv = old > src ? old : src; break;
				}
			} while (!__atomic_compare_exchange_n(p, &old, nv, true, __ATOMIC_SEQ_CST,
			                                      __ATOMIC_RELAXED));
		}
		}
	} else {
		uint32_t *p = h, s = (uint32_t)src, o;
		switch (op) {
		case OP_AMOSWAP_W: o = __atomic_exchange_n(p, s, __ATOMIC_SEQ_CST); break;
		case OP_AMOADD_W: o = __atomic_fetch_add(p, s, __ATOMIC_SEQ_CST); break;
		case OP_AMOXOR_W: o = __atomic_fetch_xor(p, s, __ATOMIC_SEQ_CST); break;
		case OP_AMOAND_W: o = __atomic_fetch_and(p, s, __ATOMIC_SEQ_CST); break;
		case OP_AMOOR_W: o = __atomic_fetch_or(p, s, __ATOMIC_SEQ_CST); break;
		default: {
			uint32_t nv;
			o = __atomic_load_n(p, __ATOMIC_RELAXED);
			do {
				switch (op) {
				case OP_AMOMIN_W: nv = (int32_t)o < (int32_t)s ? o : s; break;
				case OP_AMOMAX_W: nv = (int32_t)o > (int32_t)s ? o : s; break;
				case OP_AMOMINU_W: nv = o < s ? o : s; break;
				default: nv = o > s ? o : s; break;
				}
			} while (!__atomic_compare_exchange_n(p, &o, nv, true, __ATOMIC_SEQ_CST,
			                                      __ATOMIC_RELAXED));
		}
		}
		old = (uint64_t)(int64_t)(int32_t)o;
	}
	v->x[in->rd] = old;
	return STEP_NEXT;
}

/* ---- floating point ----------------------------------------------------------------------- */

#define F32(r) fpu_unbox32(v->f[r])
#define F64(r) (v->f[r])

static enum step exec_fp(struct vcpu *v, const struct insn *in)
{
	uint32_t *fl = &v->fflags;
	uint64_t *f = v->f, *x = v->x;
	unsigned rd = in->rd, a = in->rs1, b = in->rs2, c = in->rs3;
	int rm = fp_rm(v, in);

	if (fp_off(v))
		return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	/* Ops that take a rounding mode reject a reserved one; others ignore the field. */
	switch (in->op) {
	case OP_FSGNJ_S ... OP_FMAX_S:
	case OP_FMV_X_W:
	case OP_FEQ_S ... OP_FCLASS_S:
	case OP_FMV_W_X:
	case OP_FSGNJ_D ... OP_FMAX_D:
	case OP_FMV_X_D:
	case OP_FEQ_D ... OP_FCLASS_D:
	case OP_FMV_D_X:
	case OP_FCVT_D_S:
	case OP_FCVT_D_W:
	case OP_FCVT_D_WU: break;
	default:
		if (rm < 0)
			return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	}
	switch (in->op) {
	case OP_FMADD_S: f[rd] = fpu_box32(f32_madd(F32(a), F32(b), F32(c), rm, fl)); break;
	case OP_FMSUB_S: f[rd] = fpu_box32(f32_msub(F32(a), F32(b), F32(c), rm, fl)); break;
	case OP_FNMSUB_S: f[rd] = fpu_box32(f32_nmsub(F32(a), F32(b), F32(c), rm, fl)); break;
	case OP_FNMADD_S: f[rd] = fpu_box32(f32_nmadd(F32(a), F32(b), F32(c), rm, fl)); break;
	case OP_FADD_S: f[rd] = fpu_box32(f32_add(F32(a), F32(b), rm, fl)); break;
	case OP_FSUB_S: f[rd] = fpu_box32(f32_sub(F32(a), F32(b), rm, fl)); break;
	case OP_FMUL_S: f[rd] = fpu_box32(f32_mul(F32(a), F32(b), rm, fl)); break;
	case OP_FDIV_S: f[rd] = fpu_box32(f32_div(F32(a), F32(b), rm, fl)); break;
	case OP_FSQRT_S: f[rd] = fpu_box32(f32_sqrt(F32(a), rm, fl)); break;
	case OP_FSGNJ_S: f[rd] = fpu_box32((F32(a) & 0x7fffffffu) | (F32(b) & 0x80000000u)); break;
	case OP_FSGNJN_S:
		f[rd] = fpu_box32((F32(a) & 0x7fffffffu) | (~F32(b) & 0x80000000u));
		break;
	case OP_FSGNJX_S: f[rd] = fpu_box32(F32(a) ^ (F32(b) & 0x80000000u)); break;
	case OP_FMIN_S: f[rd] = fpu_box32(f32_min(F32(a), F32(b), fl)); break;
	case OP_FMAX_S: f[rd] = fpu_box32(f32_max(F32(a), F32(b), fl)); break;
	case OP_FCVT_W_S: x[rd] = f32_to_i32(F32(a), rm, fl); break;
	case OP_FCVT_WU_S: x[rd] = f32_to_u32(F32(a), rm, fl); break;
	case OP_FCVT_L_S: x[rd] = f32_to_i64(F32(a), rm, fl); break;
	case OP_FCVT_LU_S: x[rd] = f32_to_u64(F32(a), rm, fl); break;
	case OP_FMV_X_W: x[rd] = (uint64_t)sx32(f[a]); break;
	case OP_FEQ_S: x[rd] = f32_eq(F32(a), F32(b), fl); break;
	case OP_FLT_S: x[rd] = f32_lt(F32(a), F32(b), fl); break;
	case OP_FLE_S: x[rd] = f32_le(F32(a), F32(b), fl); break;
	case OP_FCLASS_S: x[rd] = f32_classify(F32(a)); break;
	case OP_FCVT_S_W: f[rd] = fpu_box32(i32_to_f32(x[a], rm, fl)); break;
	case OP_FCVT_S_WU: f[rd] = fpu_box32(u32_to_f32(x[a], rm, fl)); break;
	case OP_FCVT_S_L: f[rd] = fpu_box32(i64_to_f32(x[a], rm, fl)); break;
	case OP_FCVT_S_LU: f[rd] = fpu_box32(u64_to_f32(x[a], rm, fl)); break;
	case OP_FMV_W_X: f[rd] = fpu_box32((uint32_t)x[a]); break;

	case OP_FMADD_D: f[rd] = f64_madd(F64(a), F64(b), F64(c), rm, fl); break;
	case OP_FMSUB_D: f[rd] = f64_msub(F64(a), F64(b), F64(c), rm, fl); break;
	case OP_FNMSUB_D: f[rd] = f64_nmsub(F64(a), F64(b), F64(c), rm, fl); break;
	case OP_FNMADD_D: f[rd] = f64_nmadd(F64(a), F64(b), F64(c), rm, fl); break;
	case OP_FADD_D: f[rd] = f64_add(F64(a), F64(b), rm, fl); break;
	case OP_FSUB_D: f[rd] = f64_sub(F64(a), F64(b), rm, fl); break;
	case OP_FMUL_D: f[rd] = f64_mul(F64(a), F64(b), rm, fl); break;
	case OP_FDIV_D: f[rd] = f64_div(F64(a), F64(b), rm, fl); break;
	case OP_FSQRT_D: f[rd] = f64_sqrt(F64(a), rm, fl); break;
	case OP_FSGNJ_D: f[rd] = (f[a] & ~(1ull << 63)) | (f[b] & (1ull << 63)); break;
	case OP_FSGNJN_D: f[rd] = (f[a] & ~(1ull << 63)) | (~f[b] & (1ull << 63)); break;
	case OP_FSGNJX_D: f[rd] = f[a] ^ (f[b] & (1ull << 63)); break;
	case OP_FMIN_D: f[rd] = f64_min(F64(a), F64(b), fl); break;
	case OP_FMAX_D: f[rd] = f64_max(F64(a), F64(b), fl); break;
	case OP_FCVT_W_D: x[rd] = f64_to_i32(F64(a), rm, fl); break;
	case OP_FCVT_WU_D: x[rd] = f64_to_u32(F64(a), rm, fl); break;
	case OP_FCVT_L_D: x[rd] = f64_to_i64(F64(a), rm, fl); break;
	case OP_FCVT_LU_D: x[rd] = f64_to_u64(F64(a), rm, fl); break;
	case OP_FMV_X_D: x[rd] = f[a]; break;
	case OP_FEQ_D: x[rd] = f64_eq(F64(a), F64(b), fl); break;
	case OP_FLT_D: x[rd] = f64_lt(F64(a), F64(b), fl); break;
	case OP_FLE_D: x[rd] = f64_le(F64(a), F64(b), fl); break;
	case OP_FCLASS_D: x[rd] = f64_classify(F64(a)); break;
	case OP_FCVT_D_W: f[rd] = i32_to_f64(x[a], RM_RNE, fl); break;
	case OP_FCVT_D_WU: f[rd] = u32_to_f64(x[a], RM_RNE, fl); break;
	case OP_FCVT_D_L: f[rd] = i64_to_f64(x[a], rm, fl); break;
	case OP_FCVT_D_LU: f[rd] = u64_to_f64(x[a], rm, fl); break;
	case OP_FMV_D_X: f[rd] = x[a]; break;
	case OP_FCVT_S_D: f[rd] = fpu_box32(f64_to_f32(F64(a), rm, fl)); break;
	case OP_FCVT_D_S: f[rd] = f32_to_f64(F32(a), fl); break;
	default: return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	}
	x[0] = 0;
	fp_dirty(v);
	return STEP_NEXT;
}

/* ---- privileged instructions -------------------------------------------------------------- */

static enum step exec_system(struct vcpu *v, const struct insn *in)
{
	switch (in->op) {
	case OP_ECALL:
		return trap_raise(
		    v, v->priv == PRIV_U ? CAUSE_USER_ECALL : CAUSE_VIRTUAL_SUPERVISOR_ECALL, 0,
		    in);
	case OP_EBREAK: return trap_raise(v, CAUSE_BREAKPOINT, v->pc, in);
	case OP_SRET: return trap_sret(v, in);
	case OP_WFI:
		/* VU-mode wfi, and VS-mode wfi under hstatus.VTW, trap (8.6.1). */
		if (v->priv == PRIV_U || (v->hstatus & HSTATUS_VTW))
			return trap_raise(v, CAUSE_VIRTUAL_INSTRUCTION, in->raw, in);
		v->pc += in->len;
		if (vcpu_irq_wakeup(v))
			return STEP_RECHECK;
		memset(&v->exit, 0, sizeof(v->exit));
		return exit_with(v, EXIT_WFI);
	case OP_SFENCE_VMA: {
		struct sfence_req r = { .va = v->x[in->rs1],
			                .asid = (uint16_t)v->x[in->rs2],
			                .flags = (in->rs1 ? SFENCE_VA : 0) |
			                         (in->rs2 ? SFENCE_ASID : 0) };

		if (v->priv == PRIV_U || (v->hstatus & HSTATUS_VTVM))
			return trap_raise(v, CAUSE_VIRTUAL_INSTRUCTION, in->raw, in);
		mmu_sfence_vma(&v->mmu, &r);
		fetch_invalidate(v);
		v->pc += in->len;
		return STEP_NEXT;
	}
	case OP_HFENCE_VVMA:
	case OP_HFENCE_GVMA:
	case OP_HLS: return trap_raise(v, CAUSE_VIRTUAL_INSTRUCTION, in->raw, in);
	default: /* mret and anything else */
		return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	}
}

/* ---- the run loop ------------------------------------------------------------------------- */

/* Execute one decoded instruction at v->pc. */
static enum step execute(struct vcpu *v, const struct insn *in)
{
	uint64_t *x = v->x;
	uint64_t pc = v->pc, npc = pc + in->len;
	uint64_t a = x[in->rs1], b = x[in->rs2];
	int64_t imm = in->imm;
	enum step st = STEP_NEXT;
	unsigned rd = in->rd;

	switch (in->op) {
	case OP_LUI: x[rd] = (uint64_t)imm; break;
	case OP_AUIPC: x[rd] = pc + (uint64_t)imm; break;
	case OP_JAL: x[rd] = npc, npc = pc + (uint64_t)imm; break;
	case OP_JALR: x[rd] = npc, npc = (a + (uint64_t)imm) & ~1ull; break;
	case OP_BEQ: npc = a == b ? pc + (uint64_t)imm : npc; break;
	case OP_BNE: npc = a != b ? pc + (uint64_t)imm : npc; break;
	case OP_BLT: npc = (int64_t)a < (int64_t)b ? pc + (uint64_t)imm : npc; break;
	case OP_BGE: npc = (int64_t)a >= (int64_t)b ? pc + (uint64_t)imm : npc; break;
	case OP_BLTU: npc = a < b ? pc + (uint64_t)imm : npc; break;
	case OP_BGEU: npc = a >= b ? pc + (uint64_t)imm : npc; break;
#define LOADOP(OP, T)                                               \
	case OP: {                                                  \
		T t;                                                \
		st = load(v, a + (uint64_t)imm, sizeof(T), &t, in); \
		if (st == STEP_NEXT)                                \
			x[rd] = (uint64_t)t;                        \
		break;                                              \
	}
		LOADOP(OP_LB, int8_t)
		LOADOP(OP_LH, int16_t)
		LOADOP(OP_LW, int32_t)
		LOADOP(OP_LD, uint64_t)
		LOADOP(OP_LBU, uint8_t)
		LOADOP(OP_LHU, uint16_t)
		LOADOP(OP_LWU, uint32_t)
#undef LOADOP
	case OP_SB: st = store(v, a + (uint64_t)imm, 1, b, in); break;
	case OP_SH: st = store(v, a + (uint64_t)imm, 2, b, in); break;
	case OP_SW: st = store(v, a + (uint64_t)imm, 4, b, in); break;
	case OP_SD: st = store(v, a + (uint64_t)imm, 8, b, in); break;
	case OP_ADDI: x[rd] = a + (uint64_t)imm; break;
	case OP_SLTI: x[rd] = (int64_t)a < imm; break;
	case OP_SLTIU: x[rd] = a < (uint64_t)imm; break;
	case OP_XORI: x[rd] = a ^ (uint64_t)imm; break;
	case OP_ORI: x[rd] = a | (uint64_t)imm; break;
	case OP_ANDI: x[rd] = a & (uint64_t)imm; break;
	case OP_SLLI: x[rd] = a << imm; break;
	case OP_SRLI: x[rd] = a >> imm; break;
	case OP_SRAI: x[rd] = (uint64_t)((int64_t)a >> imm); break;
	case OP_ADD: x[rd] = a + b; break;
	case OP_SUB: x[rd] = a - b; break;
	case OP_SLL: x[rd] = a << (b & 63); break;
	case OP_SLT: x[rd] = (int64_t)a < (int64_t)b; break;
	case OP_SLTU: x[rd] = a < b; break;
	case OP_XOR: x[rd] = a ^ b; break;
	case OP_SRL: x[rd] = a >> (b & 63); break;
	case OP_SRA: x[rd] = (uint64_t)((int64_t)a >> (b & 63)); break;
	case OP_OR: x[rd] = a | b; break;
	case OP_AND: x[rd] = a & b; break;
	case OP_ADDIW: x[rd] = (uint64_t)sx32(a + (uint64_t)imm); break;
	case OP_SLLIW: x[rd] = (uint64_t)sx32(a << imm); break;
	case OP_SRLIW: x[rd] = (uint64_t)sx32((uint32_t)a >> imm); break;
	case OP_SRAIW: x[rd] = (uint64_t)(int64_t)((int32_t)a >> imm); break;
	case OP_ADDW: x[rd] = (uint64_t)sx32(a + b); break;
	case OP_SUBW: x[rd] = (uint64_t)sx32(a - b); break;
	case OP_SLLW: x[rd] = (uint64_t)sx32(a << (b & 31)); break;
	case OP_SRLW: x[rd] = (uint64_t)sx32((uint32_t)a >> (b & 31)); break;
	case OP_SRAW: x[rd] = (uint64_t)(int64_t)((int32_t)a >> (b & 31)); break;
	case OP_MUL: x[rd] = a * b; break;
	case OP_MULH: x[rd] = mulh((int64_t)a, (int64_t)b); break;
	case OP_MULHSU: x[rd] = mulhsu((int64_t)a, b); break;
	case OP_MULHU: x[rd] = mulhu(a, b); break;
	case OP_DIV: x[rd] = div_s((int64_t)a, (int64_t)b); break;
	case OP_DIVU: x[rd] = b ? a / b : UINT64_MAX; break;
	case OP_REM: x[rd] = rem_s((int64_t)a, (int64_t)b); break;
	case OP_REMU: x[rd] = b ? a % b : a; break;
	case OP_MULW: x[rd] = (uint64_t)sx32(a * b); break;
	case OP_DIVW: x[rd] = divw((int32_t)a, (int32_t)b); break;
	case OP_DIVUW:
		x[rd] = (uint32_t)b ? (uint64_t)sx32((uint32_t)a / (uint32_t)b) : UINT64_MAX;
		break;
	case OP_REMW: x[rd] = remw((int32_t)a, (int32_t)b); break;
	case OP_REMUW:
		x[rd] = (uint64_t)sx32((uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a);
		break;
	case OP_FENCE:
		if (imm == 0x010 && rd == 0 && in->rs1 == 0) { /* pause (Zihintpause): fence w,0 */
			v->stats.pauses++;
			if (!v->ple_window)
				break;
			if (v->stats.instret - v->pause_last > PLE_GAP)
				v->pause_count = 0;
			v->pause_last = v->stats.instret;
			if (++v->pause_count >= v->ple_window) {
				v->pause_count = 0;
				v->pc = npc;
				memset(&v->exit, 0, sizeof(v->exit));
				return exit_with(v, EXIT_PAUSE);
			}
			break;
		}
		/* x86 keeps every order RVWMO needs except store->load (TSO). */
		if ((imm & 0x10) && (imm & 0x02)) /* pred.W && succ.R */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		break;
	case OP_FENCE_I: dcache_flush(v); break;
	case OP_LR_W ... OP_AMOMAXU_D: st = exec_amo(v, in); break;
	case OP_CSRRW ... OP_CSRRCI:
		st = csr_insn(v, in);
		if (st == STEP_RECHECK)
			fetch_invalidate(v);
		break;
	case OP_FLW: {
		uint32_t t;

		if (fp_off(v))
			return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
		st = load(v, a + (uint64_t)imm, 4, &t, in);
		if (st == STEP_NEXT)
			v->f[rd] = fpu_box32(t), fp_dirty(v);
		break;
	}
	case OP_FLD: {
		uint64_t t;

		if (fp_off(v))
			return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
		st = load(v, a + (uint64_t)imm, 8, &t, in);
		if (st == STEP_NEXT)
			v->f[rd] = t, fp_dirty(v);
		break;
	}
	case OP_FSW:
	case OP_FSD:
		if (fp_off(v))
			return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
		st = store(v, a + (uint64_t)imm, in->op == OP_FSW ? 4 : 8, v->f[in->rs2], in);
		break;
	case OP_FMADD_S ... OP_FMV_W_X:
	case OP_FMADD_D ... OP_FCVT_D_S: st = exec_fp(v, in); break;
	case OP_ECALL ... OP_HLS: return exec_system(v, in);
	default: return trap_raise(v, CAUSE_ILLEGAL_INSTRUCTION, in->raw, in);
	}
	x[0] = 0;
	if (st == STEP_NEXT || st == STEP_RECHECK)
		v->pc = npc;
	return st;
}

struct vm_exit *vcpu_run(struct vcpu *v, uint64_t budget)
{
	const struct insn *in = NULL;
	struct insn tmp;
	enum step st;

	v->exit.reason = EXIT_NONE;
	while (budget) {
		uint64_t n = budget < CHUNK ? budget : CHUNK;
		uint32_t req = atomic_exchange_explicit(&v->requests, 0, memory_order_acquire);

		if (unlikely(req)) {
			if (req & VCPU_REQ_TLB) {
				uint64_t gen = atomic_load(&v->flush_req_gen);

				mmu_flush_all(&v->mmu);
				dcache_flush(v); /* remote fence.i arrives this way too */
				atomic_store(&v->flush_done_gen, gen);
			}
			if (req & VCPU_REQ_STOP) {
				memset(&v->exit, 0, sizeof(v->exit));
				v->exit.reason = EXIT_REQUEST;
				break;
			}
		}
		trap_check_irq(v);
		budget -= n;
		while (n--) {
			st = fetch(v, &in, &tmp);
			if (likely(st == STEP_NEXT))
				st = execute(v, in);
			v->stats.instret += st == STEP_NEXT || st == STEP_RECHECK;
			if (likely(st == STEP_NEXT || st == STEP_TRAPPED))
				continue;
			if (st == STEP_EXIT)
				goto out;
			/* STEP_RECHECK: interrupts may have become deliverable. */
			budget += n;
			break;
		}
	}
	if (v->exit.reason == EXIT_NONE)
		v->exit.reason = EXIT_QUANTUM;
out:
	v->stats.exits[v->exit.reason]++;
	return &v->exit;
}

void vcpu_complete_mmio(struct vcpu *v, uint64_t value)
{
	const struct mmio_access *m = &v->exit.mmio;

	if (!m->is_write) {
		if (m->size < 8) {
			unsigned sh = 64 - 8 * m->size;
			value = m->sign_extend ? (uint64_t)((int64_t)(value << sh) >> sh)
			                       : (value << sh) >> sh;
		}
		if (m->fp) {
			v->f[m->reg] = m->size == 4 ? fpu_box32((uint32_t)value) : value;
			fp_dirty(v);
		} else if (m->reg) {
			v->x[m->reg] = value;
		}
	}
	v->pc += m->insn_len;
	v->stats.instret++;
}
