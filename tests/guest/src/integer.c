/*
 * RV64I + M: ALU, shifts, *W ops, LUI/AUIPC, branches, jumps, loads/stores with
 * sign extension, misaligned and page-crossing loads/stores (done by the hart,
 * no trap), mul/div/rem edge cases from the spec, fences, fence.i with
 * self-modifying code.
 */
#include <string.h>
#include "rt.h"

TEST_NAME("integer");

#define MIN64 0x8000000000000000UL
#define MAX64 0x7fffffffffffffffUL
#define ONES  0xffffffffffffffffUL

/* ---- register-register ops ---- */
/* clang-format off */
#define RR(op)                                                                                     \
	static u64 op_##op(u64 a, u64 b)                                                           \
	{                                                                                          \
		u64 r;                                                                             \
		__asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));                    \
		return r;                                                                          \
	}
RR(add) RR(sub) RR(sll) RR(srl) RR(sra) RR(slt) RR(sltu) RR(xor) RR(or) RR(and)
RR(addw) RR(subw) RR(sllw) RR(srlw) RR(sraw)
RR(mul) RR(mulh) RR(mulhu) RR(mulhsu) RR(div) RR(divu) RR(rem) RR(remu)
RR(mulw) RR(divw) RR(divuw) RR(remw) RR(remuw)

struct rr_case {
	const char *name;
	u64 (*fn)(u64, u64);
	u64 a, b, expect;
};

#define C(op, a, b, e) { #op "(" #a ", " #b ")", op_##op, (u64)(a), (u64)(b), (u64)(e) }
/* 128-bit products folded at compile time */
#define MULH(a, b)   ((u64)(((__int128)(s64)(a) * (__int128)(s64)(b)) >> 64))
#define MULHU(a, b)  ((u64)(((unsigned __int128)(u64)(a) * (unsigned __int128)(u64)(b)) >> 64))
#define MULHSU(a, b) ((u64)(((__int128)(s64)(a) * (__int128)(unsigned __int128)(u64)(b)) >> 64))


static const struct rr_case rr_cases[] = {
	C(add, 1, 2, 3),
	C(add, ONES, 1, 0),
	C(add, MAX64, 1, MIN64),
	C(sub, 0, 1, ONES),
	C(sub, MIN64, 1, MAX64),
	C(sll, 1, 63, MIN64),
	C(sll, 1, 64, 1), /* only rs2[5:0] */
	C(sll, 1, 0xffffffffffffffc1UL, 2),
	C(srl, MIN64, 63, 1),
	C(srl, MIN64, 64, MIN64),
	C(srl, ONES, 4, 0x0fffffffffffffffUL),
	C(sra, MIN64, 63, ONES),
	C(sra, MIN64, 4, 0xf800000000000000UL),
	C(sra, 0x7000000000000000UL, 60, 7),
	C(slt, ONES, 0, 1),
	C(slt, 0, ONES, 0),
	C(slt, MIN64, MAX64, 1),
	C(slt, 5, 5, 0),
	C(sltu, ONES, 0, 0),
	C(sltu, 0, ONES, 1),
	C(sltu, MIN64, MAX64, 0),
	C(xor, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xf0f0f0f0f0f0f0f0UL),
	C(or, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xfff0fff0fff0fff0UL),
	C(and, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0x0f000f000f000f00UL),
	/* *W: operate on the low 32 bits, sign-extend the 32-bit result */
	C(addw, 0x7fffffff, 1, 0xffffffff80000000UL),
	C(addw, 0xffffffff, 1, 0),
	C(addw, 0x100000005UL, 0x200000003UL, 8),
	C(subw, 0, 1, ONES),
	C(subw, 0x80000000UL, 1, 0x7fffffff),
	C(sllw, 1, 31, 0xffffffff80000000UL),
	C(sllw, 1, 32, 1), /* only rs2[4:0] */
	C(sllw, 0xffffffff00000001UL, 1, 2),
	C(srlw, 0x80000000UL, 0, 0xffffffff80000000UL),
	C(srlw, 0x80000000UL, 1, 0x40000000),
	C(srlw, 0xffffffff00000010UL, 4, 1),
	C(srlw, 0x80000000UL, 33, 0x40000000),
	C(sraw, 0x80000000UL, 1, 0xffffffffc0000000UL),
	C(sraw, 0x7fffffff00000000UL, 4, 0),
	C(sraw, 0x80000000UL, 31, ONES),
	C(sraw, 0x7fffffff, 31, 0),
	/* M */
	C(mul, 3, 7, 21),
	C(mul, ONES, ONES, 1),
	C(mul, 0x100000000UL, 0x100000000UL, 0),
	C(mul, MAX64, 2, 0xfffffffffffffffeUL),
	C(mul, 0x123456789abcdefUL, 0xfedcba987654321UL, 0x123456789abcdefUL * 0xfedcba987654321UL),
	C(mulh, ONES, ONES, 0),
	C(mulh, MIN64, MIN64, 0x4000000000000000UL),
	C(mulh, MAX64, MAX64, 0x3fffffffffffffffUL),
	C(mulh, ONES, 1, ONES),
	C(mulh, MIN64, 1, ONES),
	C(mulh, 0x123456789abcdefUL, 0xfedcba9876543210UL,
	  MULH(0x123456789abcdefUL, 0xfedcba9876543210UL)),
	C(mulhu, ONES, ONES, 0xfffffffffffffffeUL),
	C(mulhu, MIN64, 2, 1),
	C(mulhu, 0x123456789abcdefUL, 0xfedcba9876543210UL,
	  MULHU(0x123456789abcdefUL, 0xfedcba9876543210UL)),
	C(mulhsu, ONES, ONES, ONES),
	C(mulhsu, 2, ONES, 1),
	C(mulhsu, MIN64, ONES, MIN64),
	C(mulhsu, 0xfedcba9876543210UL, 0xfedcba9876543210UL,
	  MULHSU(0xfedcba9876543210UL, 0xfedcba9876543210UL)),
	C(div, 7, 2, 3),
	C(div, -7L, 2, -3L), /* rounds toward zero */
	C(div, 7, -2L, -3L),
	C(div, 12345, 0, ONES), /* divide by zero: all ones */
	C(div, MIN64, ONES, MIN64), /* overflow: dividend */
	C(divu, 7, 2, 3),
	C(divu, 12345, 0, ONES),
	C(divu, ONES, 2, MAX64),
	C(divu, MIN64, ONES, 0),
	C(rem, -7L, 2, -1L), /* sign of the dividend */
	C(rem, 7, -2L, 1),
	C(rem, 12345, 0, 12345), /* divide by zero: dividend */
	C(rem, -12345L, 0, -12345L),
	C(rem, MIN64, ONES, 0), /* overflow: 0 */
	C(remu, 12345, 0, 12345),
	C(remu, ONES, 2, 1),
	C(remu, 7, 0x10, 7),
	C(mulw, 0x7fffffff, 2, 0xfffffffffffffffeUL),
	C(mulw, 0x100000003UL, 0x100000005UL, 15),
	C(mulw, 0x10000, 0x10000, 0),
	C(mulw, 0x10000, 0x8000, 0xffffffff80000000UL),
	C(divw, 0xffffffff80000000UL, ONES, 0xffffffff80000000UL), /* overflow */
	C(divw, 0x80000000UL, 0xffffffffUL, 0xffffffff80000000UL), /* upper bits ignored */
	C(divw, 12345, 0, ONES),
	C(divw, -7L, 2, -3L),
	C(divw, 0x100000007UL, 0x500000002UL, 3),
	C(divuw, 12345, 0, ONES),
	C(divuw, 0xfffffffe, 1, 0xfffffffffffffffeUL),
	C(divuw, 0x80000000UL, 1, 0xffffffff80000000UL),
	C(divuw, 0xffffffff, 2, 0x7fffffff),
	C(remw, 0xffffffff80000000UL, ONES, 0), /* overflow */
	C(remw, 0x100000005UL, 0, 5),		/* divide by zero: sext(rs1[31:0]) */
	C(remw, 0x80000005UL, 0, 0xffffffff80000005UL),
	C(remw, -7L, 2, -1L),
	C(remuw, 0x80000005UL, 0, 0xffffffff80000005UL),
	C(remuw, 0xffffffff, 0x10, 0xf),
	C(remuw, 0x100000005UL, 0, 5),
	C(remuw, 0xfffffffb, 0x7fffffff, 0x7ffffffc),
};
/* clang-format on */

static void test_rr(void)
{
	char buf[96];
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(rr_cases); i++) {
		const struct rr_case *c = &rr_cases[i];
		u64 r = c->fn(c->a, c->b);

		if (r != c->expect) {
			snprintf(buf, sizeof(buf), "%s", c->name);
			CHECK_EQ(buf, c->expect, r);
		}
	}
	printf("%u register-register cases\n", (unsigned)ARRAY_SIZE(rr_cases));
}

/* ---- immediates ---- */
#define RI(insn, a, imm, e)                                                         \
	do {                                                                        \
		u64 r_;                                                             \
		__asm__ volatile(insn " %0, %1, " #imm : "=r"(r_) : "r"((u64)(a))); \
		CHECK_EQ(insn "(" #a ", " #imm ")", (u64)(e), r_);                  \
	} while (0)

static void test_imm(void)
{
	u64 r;

	RI("addi", 1, -2048, 0xfffffffffffff801UL);
	RI("addi", 1, 2047, 2048);
	RI("addi", ONES, 1, 0);
	RI("addiw", 0x7fffffff, 1, 0xffffffff80000000UL);
	RI("addiw", 0x1ffffffffUL, 0, ONES); /* sext.w */
	RI("addiw", 0x80000000UL, -1, 0x7fffffff);
	RI("slti", ONES, 0, 1);
	RI("slti", 0, -1, 0);
	RI("slti", -2049L, -2048, 1);
	RI("sltiu", 5, -1, 1); /* imm sign-extended, compared unsigned */
	RI("sltiu", ONES, -1, 0);
	RI("sltiu", 0, 1, 1); /* seqz */
	RI("xori", 0x1234, -1, ~(u64)0x1234);
	RI("ori", 0x1000, -2048, 0xfffffffffffff800UL | 0x1000);
	RI("andi", ONES, -2048, 0xfffffffffffff800UL);
	RI("andi", 0x12345678, 0x7ff, 0x678);
	RI("slli", 1, 63, MIN64);
	RI("srli", MIN64, 63, 1);
	RI("srai", MIN64, 63, ONES);
	RI("srai", 0x4000000000000000UL, 62, 1);
	RI("slliw", 1, 31, 0xffffffff80000000UL);
	RI("slliw", 0x3, 31, 0xffffffff80000000UL);
	RI("srliw", 0x80000000UL, 31, 1);
	RI("srliw", 0xffffffff80000000UL, 0, 0xffffffff80000000UL);
	RI("srliw", 0xfffffffffffffff0UL, 4, 0x0fffffff);
	RI("sraiw", 0x80000000UL, 31, ONES);
	RI("sraiw", 0x7fffffff00000000UL, 31, 0);
	RI("sraiw", 0xf0000000UL, 4, 0xffffffffff000000UL);

	__asm__ volatile("lui %0, 0x80000" : "=r"(r));
	CHECK_EQ("lui 0x80000 (sign-extended)", 0xffffffff80000000UL, r);
	__asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
	CHECK_EQ("lui 0x7ffff", 0x7ffff000UL, r);
	__asm__ volatile("lui %0, 0xfffff" : "=r"(r));
	CHECK_EQ("lui 0xfffff", 0xfffffffffffff000UL, r);
	__asm__ volatile("lui %0, 0x12345\n\taddiw %0, %0, 0x678" : "=r"(r));
	CHECK_EQ("lui+addiw", 0x12345678UL, r);
	__asm__ volatile("li %0, 0x123456789abcdef0" : "=r"(r));
	CHECK_EQ("li 64-bit constant", 0x123456789abcdef0UL, r);
}

/* ---- branches ---- */
/* clang-format off */
#define BR(op)                                                                                     \
	static int br_##op(u64 a, u64 b)                                                           \
	{                                                                                          \
		int t;                                                                             \
		__asm__ volatile(#op " %1, %2, 1f\n\tli %0, 0\n\tj 2f\n1:\tli %0, 1\n2:"          \
				 : "=r"(t)                                                         \
				 : "r"(a), "r"(b));                                                \
		return t;                                                                          \
	}
BR(beq) BR(bne) BR(blt) BR(bge) BR(bltu) BR(bgeu)

static void test_branches(void)
{
	static const struct {
		u64 a, b;
		unsigned mask; /* taken: beq bne blt bge bltu bgeu = bits 5..0 */
	} cases[] = {
		{ 0, 0, 045 },         /* beq bge bgeu: 100101 */
		{ 1, 0, 025 },         /* bne bge bgeu: 010101 */
		{ 0, 1, 032 },         /* bne blt bltu: 011010 */
		{ ONES, 0, 031 },      /* bne blt bgeu: 011001 */
		{ 0, ONES, 026 },      /* bne bge bltu: 010110 */
		{ MIN64, MAX64, 031 }, /* bne blt bgeu */
		{ MAX64, MIN64, 026 }, /* bne bge bltu */
		{ ONES, ONES, 045 },
	};
	static int (*const fns[6])(u64, u64) = { br_beq, br_bne, br_blt, br_bge, br_bltu, br_bgeu };
	static const char *const names[6] = { "beq", "bne", "blt", "bge", "bltu", "bgeu" };
	char buf[80];
	unsigned i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		for (j = 0; j < 6; j++) {
			int exp = (cases[i].mask >> (5 - j)) & 1;
			int got = fns[j](cases[i].a, cases[i].b);

			if (got != exp) {
				snprintf(buf, sizeof(buf), "%s 0x%lx, 0x%lx taken", names[j],
				         (unsigned long)cases[i].a, (unsigned long)cases[i].b);
				CHECK_EQ(buf, exp, got);
			}
		}
	}
}
/* clang-format on */

/* integer_s.S */
long jal_test(void);
long jalr_test(void);
long x0_test(void);
long auipc_test(void);
long loop_test(long n);

static void test_jumps(void)
{
	CHECK_EQ("jal (0 = ok)", 0, jal_test());
	CHECK_EQ("jalr (0 = ok)", 0, jalr_test());
	CHECK_EQ("x0 stays zero", 0, x0_test());
	CHECK_EQ("auipc (0 = ok)", 0, auipc_test());
	CHECK_EQ("backward branch loop", 1000, loop_test(1000));
}

/* ---- loads and stores ---- */
static u8 ldbuf[32] __attribute__((aligned(16)));
static u8 xbuf[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define LD(insn, p, off)                                                                   \
	({                                                                                 \
		u64 r_;                                                                    \
		__asm__ volatile(insn " %0, " #off "(%1)" : "=r"(r_) : "r"(p) : "memory"); \
		r_;                                                                        \
	})
#define ST(insn, p, off, v) __asm__ volatile(insn " %0, " #off "(%1)" ::"r"(v), "r"(p) : "memory")

static u64 bytes_le(const volatile u8 *p, unsigned n)
{
	u64 v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static u64 sext(u64 v, unsigned bits)
{
	return bits == 64 ? v : (u64)(((s64)(v << (64 - bits))) >> (64 - bits));
}

static void test_loads_stores(void)
{
	unsigned i;
	u8 *p = ldbuf;
	u64 r;

	for (i = 0; i < sizeof(ldbuf); i++)
		ldbuf[i] = (u8)(0x80 + i);
	CHECK_EQ("lb sign-extends", 0xffffffffffffff80UL, LD("lb", p, 0));
	CHECK_EQ("lbu zero-extends", 0x80, LD("lbu", p, 0));
	CHECK_EQ("lh sign-extends", 0xffffffffffff8180UL, LD("lh", p, 0));
	CHECK_EQ("lhu zero-extends", 0x8180, LD("lhu", p, 0));
	CHECK_EQ("lw sign-extends", 0xffffffff83828180UL, LD("lw", p, 0));
	CHECK_EQ("lwu zero-extends", 0x83828180UL, LD("lwu", p, 0));
	CHECK_EQ("ld", 0x8786858483828180UL, LD("ld", p, 0));
	CHECK_EQ("ld offset 8", 0x8f8e8d8c8b8a8988UL, LD("ld", p, 8));
	CHECK_EQ("lw negative offset", 0xffffffff8f8e8d8cUL, LD("lw", p + 16, -4));
	ldbuf[20] = 0x7f;
	ldbuf[21] = 0x7f;
	CHECK_EQ("lb positive", 0x7f, LD("lb", p, 20));
	CHECK_EQ("lh positive", 0x7f7f, LD("lh", p, 20));

	memset(ldbuf, 0xff, sizeof(ldbuf));
	ST("sb", p, 3, 0x1234UL);
	CHECK_EQ("sb writes one byte", 0xffffffff34ffffffUL, bytes_le(ldbuf, 8));
	ST("sh", p, 8, 0x12345678UL);
	CHECK_EQ("sh writes two bytes", 0xffffffffffff5678UL, bytes_le(ldbuf + 8, 8));
	ST("sw", p, 20, 0x123456789abcdef0UL);
	CHECK_EQ("sw writes four bytes", 0x9abcdef0ffffffffUL, bytes_le(ldbuf + 16, 8));
	ST("sd", p, 24, 0x0123456789abcdefUL);
	CHECK_EQ("sd writes eight bytes", 0x0123456789abcdefUL, bytes_le(ldbuf + 24, 8));
	r = LD("ld", p, 24);
	CHECK_EQ("ld after sd", 0x0123456789abcdefUL, r);
}

/* Misaligned loads/stores at every offset; base may sit just before a page end. */
static void misaligned_at(volatile u8 *base, const char *where)
{
	char buf[96];
	unsigned off, i;
	u64 r, e;

	for (off = 1; off < 8; off++) {
		volatile u8 *q = base + off;

		for (i = 0; i < 16; i++)
			base[i] = (u8)(0xa1 + 7 * i + off);
#define MIS_LD(insn, n, signed_)                                                            \
	do {                                                                                \
		__asm__ volatile(insn " %0, 0(%1)" : "=r"(r) : "r"(q) : "memory");          \
		e = bytes_le(q, n);                                                         \
		if (signed_)                                                                \
			e = sext(e, 8 * n);                                                 \
		if (r != e) {                                                               \
			snprintf(buf, sizeof(buf), "%s %s at offset %u", insn, where, off); \
			CHECK_EQ(buf, e, r);                                                \
		}                                                                           \
	} while (0)
		MIS_LD("lh", 2, 1);
		MIS_LD("lhu", 2, 0);
		MIS_LD("lw", 4, 1);
		MIS_LD("lwu", 4, 0);
		MIS_LD("ld", 8, 0);
#define MIS_ST(insn, n, v)                                                                     \
	do {                                                                                   \
		for (i = 0; i < 16; i++)                                                       \
			base[i] = 0x5a;                                                        \
		__asm__ volatile(insn " %0, 0(%1)" ::"r"((u64)(v)), "r"(q) : "memory");        \
		e = 0;                                                                         \
		for (i = 0; i < 16; i++)                                                       \
			if ((i < off || i >= off + n) && base[i] != 0x5a)                      \
				e = 1;                                                         \
		r = bytes_le(q, n);                                                            \
		if (r != ((u64)(v) & (n == 8 ? ONES : ((1UL << (8 * n)) - 1))) || e) {         \
			snprintf(buf, sizeof(buf), "%s %s at offset %u (neighbours %s)", insn, \
			         where, off, e ? "clobbered" : "ok");                          \
			CHECK_EQ(buf, (u64)(v) & (n == 8 ? ONES : ((1UL << (8 * n)) - 1)), r); \
			if (r == ((u64)(v) & (n == 8 ? ONES : ((1UL << (8 * n)) - 1))))        \
				FAILF("%s", buf);                                              \
		}                                                                              \
	} while (0)
		MIS_ST("sh", 2, 0xbeef);
		MIS_ST("sw", 4, 0xdeadbeefUL);
		MIS_ST("sd", 8, 0x0123456789abcdefUL);
	}
}

static void test_misaligned(void)
{
	misaligned_at(ldbuf, "in one page");
	/* accesses crossing the boundary between two physical pages */
	misaligned_at(xbuf + PAGE_SIZE - 8, "across a page boundary");
	misaligned_at(xbuf + PAGE_SIZE - 4, "across a page boundary");
	printf("misaligned loads/stores done without traps\n");
}

static void test_fences(void)
{
	static u32 code[4] __attribute__((aligned(16)));
	long (*fn)(void) = (long (*)(void))(void *)code;

	__asm__ volatile("fence\n\t"
	                 "fence rw, rw\n\t"
	                 "fence r, w\n\t"
	                 "fence i, o\n\t"
	                 "fence.tso\n\t"
	                 ".4byte 0x0100000f\n\t" /* pause (fence w, 0) */
	                 "fence.i" ::
	                     : "memory");

	/* self-modifying code: addi a0, zero, N; ret */
	code[0] = 0x02a00513; /* li a0, 42 */
	code[1] = 0x00008067; /* ret */
	fence_i();
	CHECK_EQ("generated code after fence.i", 42, fn());
	code[0] = 0x02b00513; /* li a0, 43 */
	fence_i();
	CHECK_EQ("rewritten code after fence.i", 43, fn());
	code[0] = 0xfff00513; /* li a0, -1 */
	fence_i();
	CHECK_EQ("rewritten code after fence.i (2)", ONES, fn());
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	test_rr();
	test_imm();
	test_branches();
	test_jumps();
	test_loads_stores();
	test_misaligned();
	test_fences();
}
