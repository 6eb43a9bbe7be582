/*
 * A extension: every AMO (.w and .d, with aq/rl variants), LR/SC semantics,
 * misaligned AMO/LR/SC exceptions, and two harts contending on shared
 * counters with AMOs, LR/SC loops and an AMO-based spinlock.
 */
#include "rt.h"

TEST_NAME("atomics");

#define ONES  0xffffffffffffffffUL
#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL

/* clang-format off */
#define AMO(name, insn)                                                                            \
	static u64 name(volatile void *p, u64 v)                                                   \
	{                                                                                          \
		u64 r;                                                                             \
		__asm__ volatile(insn " %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");     \
		return r;                                                                          \
	}
AMO(amoswap_w, "amoswap.w") AMO(amoadd_w, "amoadd.w") AMO(amoxor_w, "amoxor.w")
AMO(amoand_w, "amoand.w") AMO(amoor_w, "amoor.w") AMO(amomin_w, "amomin.w")
AMO(amomax_w, "amomax.w") AMO(amominu_w, "amominu.w") AMO(amomaxu_w, "amomaxu.w")
AMO(amoswap_d, "amoswap.d") AMO(amoadd_d, "amoadd.d") AMO(amoxor_d, "amoxor.d")
AMO(amoand_d, "amoand.d") AMO(amoor_d, "amoor.d") AMO(amomin_d, "amomin.d")
AMO(amomax_d, "amomax.d") AMO(amominu_d, "amominu.d") AMO(amomaxu_d, "amomaxu.d")
AMO(amoadd_d_aq, "amoadd.d.aq") AMO(amoadd_d_rl, "amoadd.d.rl")
AMO(amoadd_d_aqrl, "amoadd.d.aqrl") AMO(amoswap_w_aqrl, "amoswap.w.aqrl")
AMO(amoor_w_aq, "amoor.w.aq") AMO(amomaxu_d_rl, "amomaxu.d.rl")

struct amo_case {
	const char *name;
	u64 (*fn)(volatile void *, u64);
	int word;	/* 1: .w on the low word of the dword */
	u64 mem, v;	/* initial memory (dword, or word), operand */
	u64 rd, result; /* expected rd and memory afterwards */
};

#define D(f, m, v, rd, res) { #f "(" #m ", " #v ")", f, 0, (u64)(m), (u64)(v), (u64)(rd), (u64)(res) }
#define W(f, m, v, rd, res) { #f "(" #m ", " #v ")", f, 1, (u64)(m), (u64)(v), (u64)(rd), (u64)(res) }

static const struct amo_case amo_cases[] = {
	D(amoswap_d, 0x1111, 0x2222, 0x1111, 0x2222),
	D(amoadd_d, MAX64, 1, MAX64, MIN64),
	D(amoadd_d, ONES, 2, ONES, 1),
	D(amoxor_d, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL, 0xf0f0f0f0f0f0f0f0UL),
	D(amoand_d, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL, 0x0f000f000f000f00UL),
	D(amoor_d, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xff00ff00ff00ff00UL, 0xfff0fff0fff0fff0UL),
	D(amomin_d, ONES, 1, ONES, ONES),
	D(amomin_d, 1, ONES, 1, ONES),
	D(amomin_d, MIN64, MAX64, MIN64, MIN64),
	D(amomax_d, ONES, 1, ONES, 1),
	D(amomax_d, MIN64, MAX64, MIN64, MAX64),
	D(amominu_d, ONES, 1, ONES, 1),
	D(amominu_d, MIN64, MAX64, MIN64, MAX64),
	D(amomaxu_d, 1, ONES, 1, ONES),
	D(amomaxu_d, MIN64, MAX64, MIN64, MIN64),
	D(amoadd_d_aq, 40, 2, 40, 42),
	D(amoadd_d_rl, 40, 3, 40, 43),
	D(amoadd_d_aqrl, 40, 4, 40, 44),
	D(amomaxu_d_rl, 5, 9, 5, 9),
	/* .w: rd is the sign-extended old word; rs2[63:32] ignored */
	W(amoswap_w, 0x80000000UL, 0x12345678, 0xffffffff80000000UL, 0x12345678),
	W(amoadd_w, 0x7fffffff, 0xffffffff00000001UL, 0x7fffffff, 0x80000000UL),
	W(amoadd_w, 0xffffffffUL, 1, ONES, 0), /* no carry into the neighbour */
	W(amoxor_w, 0xff00ff00UL, 0x0ff00ff0UL, 0xffffffffff00ff00UL, 0xf0f0f0f0UL),
	W(amoand_w, 0xff00ff00UL, 0x0ff00ff0UL, 0xffffffffff00ff00UL, 0x0f000f00UL),
	W(amoor_w, 0x0f00ff00UL, 0x0ff00ff0UL, 0x0f00ff00UL, 0x0ff0fff0UL),
	W(amomin_w, 0x80000000UL, 1, 0xffffffff80000000UL, 0x80000000UL),
	W(amomin_w, 1, 0xffffffffUL, 1, 0xffffffffUL), /* -1 < 1 as 32-bit */
	W(amomax_w, 0x80000000UL, 0x7fffffff, 0xffffffff80000000UL, 0x7fffffff),
	W(amomax_w, 1, 0xffffffffUL, 1, 1),
	W(amominu_w, 0x80000000UL, 1, 0xffffffff80000000UL, 1),
	W(amominu_w, 3, 0x100000002UL, 3, 2),
	W(amomaxu_w, 0x80000000UL, 1, 0xffffffff80000000UL, 0x80000000UL),
	W(amomaxu_w, 1, 0xffffffffUL, 1, 0xffffffffUL),
	W(amoswap_w_aqrl, 7, 8, 7, 8),
	W(amoor_w_aq, 1, 2, 1, 3),
};
/* clang-format on */

static volatile u64 amo_mem[8] __attribute__((aligned(64)));

static void test_amos(void)
{
	unsigned i;
	char buf[96];

	for (i = 0; i < ARRAY_SIZE(amo_cases); i++) {
		const struct amo_case *c = &amo_cases[i];
		volatile u32 *w = (volatile u32 *)&amo_mem[1];
		u64 rd, res;

		if (c->word) {
			/* low word at +8, neighbours around it */
			amo_mem[1] = 0xcafebabe00000000UL | (u32)c->mem;
			amo_mem[2] = 0x5555555555555555UL;
			rd = c->fn(w, c->v);
			res = w[0];
			snprintf(buf, sizeof(buf), "%s neighbour word", c->name);
			CHECK_EQ(buf, 0xcafebabeU, w[1]);
			/* and the upper word of a dword as target */
			w[1] = (u32)c->mem;
			w[0] = 0x0badf00d;
			if (c->fn(&w[1], c->v) != c->rd || w[1] != (u32)c->result ||
			    w[0] != 0x0badf00d) {
				snprintf(buf, sizeof(buf), "%s on the upper word", c->name);
				FAILF("%s: rd/memory/neighbour wrong", buf);
			}
		} else {
			amo_mem[1] = c->mem;
			amo_mem[2] = 0x5555555555555555UL;
			rd = c->fn(&amo_mem[1], c->v);
			res = amo_mem[1];
		}
		snprintf(buf, sizeof(buf), "%s rd", c->name);
		CHECK_EQ(buf, c->rd, rd);
		snprintf(buf, sizeof(buf), "%s memory", c->name);
		CHECK_EQ(buf, c->result, res);
		CHECK_EQ("next dword untouched", 0x5555555555555555UL, amo_mem[2]);
	}
	printf("%u AMO cases\n", (unsigned)ARRAY_SIZE(amo_cases));
}

/* ---- LR/SC ---- */
static volatile u64 lrsc_mem[16] __attribute__((aligned(64)));
static volatile u64 scratch[8] __attribute__((aligned(64)));

static u64 lr_d(volatile u64 *p)
{
	u64 r;
	__asm__ volatile("lr.d %0, (%1)" : "=r"(r) : "r"(p) : "memory");
	return r;
}
static u64 lr_w(volatile void *p)
{
	u64 r;
	__asm__ volatile("lr.w %0, (%1)" : "=r"(r) : "r"(p) : "memory");
	return r;
}
static u64 sc_d(volatile u64 *p, u64 v)
{
	u64 r;
	__asm__ volatile("sc.d %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
	return r;
}
static u64 sc_w(volatile void *p, u64 v)
{
	u64 r;
	__asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
	return r;
}

static void test_lrsc(void)
{
	volatile u32 *w = (volatile u32 *)&lrsc_mem[2];
	u64 r, v;
	int tries;

	/* an SC to a scratch word kills any reservation; the next SC must fail */
	lrsc_mem[0] = 0x1111;
	sc_d(&scratch[0], 0);
	r = sc_d(&lrsc_mem[0], 0x2222);
	CHECK("sc.d without reservation fails (rd != 0)", r != 0);
	CHECK_EQ("failed sc.d does not write", 0x1111, lrsc_mem[0]);
	sc_w(&scratch[0], 0);
	r = sc_w(&lrsc_mem[0], 0x3333);
	CHECK("sc.w without reservation fails (rd != 0)", r != 0);
	CHECK_EQ("failed sc.w does not write", 0x1111, lrsc_mem[0]);

	/* lr then sc succeeds (retry a few times: SC may fail spuriously) */
	for (tries = 0; tries < 100; tries++) {
		v = lr_d(&lrsc_mem[0]);
		r = sc_d(&lrsc_mem[0], v + 0x10);
		if (r == 0)
			break;
	}
	CHECK_EQ("lr.d value", 0x1111, v);
	CHECK_EQ("sc.d after lr.d succeeds", 0, r);
	CHECK_EQ("sc.d wrote", 0x1121, lrsc_mem[0]);
	/* the successful SC consumed the reservation */
	r = sc_d(&lrsc_mem[0], 0x9999);
	CHECK("second sc.d fails", r != 0);
	CHECK_EQ("second sc.d did not write", 0x1121, lrsc_mem[0]);

	/* an intervening SC (to any address) makes the later SC fail */
	v = lr_d(&lrsc_mem[0]);
	sc_d(&scratch[1], 0x77);
	r = sc_d(&lrsc_mem[0], 0xdead);
	CHECK("sc.d after an intervening sc fails", r != 0);
	CHECK_EQ("sc.d after an intervening sc did not write", 0x1121, lrsc_mem[0]);

	/* word forms: sign extension and no neighbour damage */
	lrsc_mem[2] = 0x1234567880000001UL;
	for (tries = 0; tries < 100; tries++) {
		v = lr_w(&w[0]);
		r = sc_w(&w[0], 0xffffffff7ffffffeUL);
		if (r == 0)
			break;
	}
	CHECK_EQ("lr.w sign-extends", 0xffffffff80000001UL, v);
	CHECK_EQ("sc.w after lr.w succeeds", 0, r);
	CHECK_EQ("sc.w wrote only its word", 0x123456787ffffffeUL, lrsc_mem[2]);
	for (tries = 0; tries < 100; tries++) {
		v = lr_w(&w[1]);
		r = sc_w(&w[1], 0xabcdef01);
		if (r == 0)
			break;
	}
	CHECK_EQ("lr.w upper word", 0x12345678, v);
	CHECK_EQ("sc.w upper word succeeds", 0, r);
	CHECK_EQ("sc.w upper word wrote only its word", 0xabcdef017ffffffeUL, lrsc_mem[2]);
}

/* ---- misaligned ---- */
static void check_misaligned(const char *what, const struct trap_info *ti, u64 pc, u64 addr,
                             u64 mis_cause, u64 acc_cause)
{
	if (ti->count == 1 && ti->cause == acc_cause)
		printf("NOTE: %s raised an access fault (allowed by the spec)\n", what);
	else
		CHECK_TRAP(what, ti, mis_cause, pc, addr);
	if (ti->count == 1) {
		CHECK_EQ("misaligned atomic: sepc", pc, ti->epc);
		CHECK_EQ("misaligned atomic: stval = address", addr, ti->tval);
	}
}

#define TRAP_INSN(ti, pc, text, ...)                                                            \
	do {                                                                                    \
		expect_trap_begin();                                                            \
		__asm__ volatile("lla %0, 1f\n1:\t" text : "=&r"(pc) : __VA_ARGS__ : "memory"); \
		(ti) = expect_trap_end();                                                       \
	} while (0)

static void test_misaligned(void)
{
	volatile u8 *b = (volatile u8 *)&amo_mem[4];
	struct trap_info ti;
	u64 pc, v = 1;
	int i;

	for (i = 0; i < 16; i++)
		b[i] = (u8)i;
	TRAP_INSN(ti, pc, "amoadd.w x0, %1, (%2)", "r"(v), "r"(b + 2));
	check_misaligned("amoadd.w at 4n+2", &ti, pc, (u64)(b + 2), CAUSE_MISALIGNED_STORE,
	                 CAUSE_STORE_ACCESS);
	TRAP_INSN(ti, pc, "amoswap.d x0, %1, (%2)", "r"(v), "r"(b + 4));
	check_misaligned("amoswap.d at 8n+4", &ti, pc, (u64)(b + 4), CAUSE_MISALIGNED_STORE,
	                 CAUSE_STORE_ACCESS);
	TRAP_INSN(ti, pc, "amomaxu.d x0, %1, (%2)", "r"(v), "r"(b + 1));
	check_misaligned("amomaxu.d at 8n+1", &ti, pc, (u64)(b + 1), CAUSE_MISALIGNED_STORE,
	                 CAUSE_STORE_ACCESS);
	TRAP_INSN(ti, pc, "lr.w x0, (%1)", "r"(b + 2));
	check_misaligned("lr.w at 4n+2", &ti, pc, (u64)(b + 2), CAUSE_MISALIGNED_LOAD,
	                 CAUSE_LOAD_ACCESS);
	TRAP_INSN(ti, pc, "lr.d x0, (%1)", "r"(b + 4));
	check_misaligned("lr.d at 8n+4", &ti, pc, (u64)(b + 4), CAUSE_MISALIGNED_LOAD,
	                 CAUSE_LOAD_ACCESS);
	for (i = 0; i < 16; i++)
		if (b[i] != i)
			FAILF("misaligned AMO modified byte %d: 0x%x", i, b[i]);

	/* SC must raise the exception too, whether or not it would succeed */
	TRAP_INSN(ti, pc, "sc.w x0, %1, (%2)", "r"(v), "r"(b + 2));
	CHECK_QUIRK("misaligned sc.w raises store/AMO misaligned or access fault",
	            ti.count == 1 &&
	                (ti.cause == CAUSE_MISALIGNED_STORE || ti.cause == CAUSE_STORE_ACCESS),
	            "%lu trap(s), scause 0x%lx", (unsigned long)ti.count, (unsigned long)ti.cause);
	if (ti.count == 1)
		CHECK_EQ("misaligned sc.w: stval", (u64)(b + 2), ti.tval);
	TRAP_INSN(ti, pc, "sc.d x0, %1, (%2)", "r"(v), "r"(b + 4));
	CHECK_QUIRK("misaligned sc.d raises store/AMO misaligned or access fault",
	            ti.count == 1 &&
	                (ti.cause == CAUSE_MISALIGNED_STORE || ti.cause == CAUSE_STORE_ACCESS),
	            "%lu trap(s), scause 0x%lx", (unsigned long)ti.count, (unsigned long)ti.cause);
	if (ti.count == 1)
		CHECK_EQ("misaligned sc.d: stval", (u64)(b + 4), ti.tval);
	for (i = 0; i < 16; i++)
		if (b[i] != i)
			FAILF("misaligned SC modified byte %d: 0x%x", i, b[i]);
}

/* ---- two harts contending ---- */
#define N_ITER 100000
#define N_LOCK 20000

struct shared {
	volatile u64 amo_d __attribute__((aligned(64)));
	volatile u64 lrsc_d __attribute__((aligned(64)));
	volatile u32 amo_w[2] __attribute__((aligned(64))); /* [i] owned by participant i */
	volatile u32 lrsc_w __attribute__((aligned(64)));
	volatile u32 lock __attribute__((aligned(64)));
	volatile u64 locked_counter __attribute__((aligned(64)));
	volatile u32 go __attribute__((aligned(64)));
	volatile u32 ready;
	volatile u32 done;
	volatile u64 sc_fail[2];
};
static struct shared sh;

static void lrsc_inc_d(volatile u64 *p, volatile u64 *fails)
{
	u64 t, f;

	__asm__ volatile("li %1, -1\n"
	                 "1:\tlr.d %0, (%2)\n\t"
	                 "addi %0, %0, 1\n\t"
	                 "addi %1, %1, 1\n\t"
	                 "sc.d %0, %0, (%2)\n\t"
	                 "bnez %0, 1b"
	                 : "=&r"(t), "=&r"(f)
	                 : "r"(p)
	                 : "memory");
	*fails += f;
}

static void lrsc_inc_w(volatile u32 *p)
{
	u64 t;

	__asm__ volatile("1:\tlr.w.aq %0, (%1)\n\t"
	                 "addiw %0, %0, 1\n\t"
	                 "sc.w.rl %0, %0, (%1)\n\t"
	                 "bnez %0, 1b"
	                 : "=&r"(t)
	                 : "r"(p)
	                 : "memory");
}

static void lock(volatile u32 *l)
{
	u64 t;

	__asm__ volatile("1:\tamoswap.w.aq %0, %1, (%2)\n\t"
	                 "bnez %0, 1b"
	                 : "=&r"(t)
	                 : "r"(1UL), "r"(l)
	                 : "memory");
}

static void unlock(volatile u32 *l)
{
	__asm__ volatile("amoswap.w.rl x0, x0, (%0)" ::"r"(l) : "memory");
}

static void contend(int me)
{
	int i;

	for (i = 0; i < N_ITER; i++) {
		amoadd_d(&sh.amo_d, 1);
		lrsc_inc_d(&sh.lrsc_d, &sh.sc_fail[me]);
		amoadd_w(&sh.amo_w[me], 1);
		lrsc_inc_w(&sh.lrsc_w);
	}
	for (i = 0; i < N_LOCK; i++) {
		lock(&sh.lock);
		sh.locked_counter = sh.locked_counter + 1;
		unlock(&sh.lock);
	}
}

static void secondary(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	__atomic_store_n(&sh.ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sh.go, __ATOMIC_ACQUIRE))
		;
	contend(1);
	__atomic_store_n(&sh.done, 1, __ATOMIC_RELEASE);
}

static void test_contention(void)
{
	long other = find_other_hart();
	long err;
	u64 t0, t1;

	if (other < 0) {
		FAILF("no second hart found (run with 2 harts)");
		return;
	}
	err = start_hart((unsigned long)other, secondary, 0);
	CHECK_EQ("hart_start for contention", SBI_SUCCESS, err);
	if (err)
		return;
	t0 = read_time();
	while (!__atomic_load_n(&sh.ready, __ATOMIC_ACQUIRE) && read_time() - t0 < 100000000UL)
		;
	CHECK_EQ("second hart came up", 1, sh.ready);
	t0 = read_time();
	__atomic_store_n(&sh.go, 1, __ATOMIC_RELEASE);
	contend(0);
	while (!__atomic_load_n(&sh.done, __ATOMIC_ACQUIRE) && read_time() - t0 < 200000000UL)
		;
	t1 = read_time();
	CHECK_EQ("second hart finished", 1, sh.done);
	printf("contention: %lu ticks, sc.d retries %lu + %lu\n", (unsigned long)(t1 - t0),
	       (unsigned long)sh.sc_fail[0], (unsigned long)sh.sc_fail[1]);
	CHECK_EQ("amoadd.d total", 2 * N_ITER, sh.amo_d);
	CHECK_EQ("lr.d/sc.d total", 2 * N_ITER, sh.lrsc_d);
	CHECK_EQ("amoadd.w word 0", N_ITER, sh.amo_w[0]);
	CHECK_EQ("amoadd.w word 1", N_ITER, sh.amo_w[1]);
	CHECK_EQ("lr.w/sc.w total", 2 * N_ITER, sh.lrsc_w);
	CHECK_EQ("spinlock-protected counter", 2 * N_LOCK, sh.locked_counter);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	test_amos();
	test_lrsc();
	test_misaligned();
	test_contention();
}
