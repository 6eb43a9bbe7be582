/* Compressed instructions (RV64C): every instruction, checked by result. */
#include "rt.h"

TEST_NAME("compressed");

typedef u64 (*cfn)(u64, u64);

/* clang-format off */
#define DECL(n) extern u64 n(u64, u64);
DECL(c_addi4spn_4) DECL(c_addi4spn_1020) DECL(c_lw) DECL(c_lw0) DECL(c_ld) DECL(c_sw) DECL(c_sd)
DECL(c_fld) DECL(c_fsd) DECL(c_nop) DECL(c_addi_m32) DECL(c_addi_31) DECL(c_addiw_0)
DECL(c_addiw_m1) DECL(c_addiw_31) DECL(c_li_m32) DECL(c_li_31) DECL(c_addi16sp)
DECL(c_lui_neg) DECL(c_lui_pos) DECL(c_srli_63) DECL(c_srli_1) DECL(c_srai_32) DECL(c_srai_1)
DECL(c_andi_m32) DECL(c_andi_31) DECL(c_sub) DECL(c_xor) DECL(c_or) DECL(c_and) DECL(c_subw)
DECL(c_addw) DECL(c_j) DECL(c_beqz) DECL(c_bnez) DECL(c_beqz_back) DECL(c_slli_63)
DECL(c_slli_1) DECL(c_slli_t0) DECL(c_lwsp) DECL(c_ldsp) DECL(c_fldsp) DECL(c_swsp)
DECL(c_sdsp) DECL(c_fsdsp) DECL(c_jr) DECL(c_jalr) DECL(c_mv) DECL(c_mv_t3) DECL(c_add)
DECL(c_add_t3) DECL(c_ebreak)
extern char c_ebreak_insn[];

/* clang-format on */
static u64 mem[64] __attribute__((aligned(64)));

/* clang-format off */
struct ccase {
	const char *name;
	cfn fn;
	u64 a, b, expect;
};
#define T(f, a, b, e) { #f "(" #a ", " #b ")", f, (u64)(a), (u64)(b), (u64)(e) }

static const struct ccase cases[] = {
	T(c_addi4spn_4, 0, 0, 4),
	T(c_addi4spn_1020, 0, 0, 1020),
	T(c_nop, 0, 0x1234, 0x1234),
	T(c_addi_m32, 100, 0, 68),
	T(c_addi_m32, 0, 0, -32L),
	T(c_addi_31, 0xffffffffffffffffUL, 0, 30),
	T(c_addiw_0, 0x00000001ffffffffUL, 0, 0xffffffffffffffffUL),
	T(c_addiw_0, 0xffffffff7fffffffUL, 0, 0x7fffffff),
	T(c_addiw_m1, 0x80000000UL, 0, 0x7fffffff),
	T(c_addiw_31, 0x7fffffffUL, 0, 0xffffffff8000001eUL),
	T(c_li_m32, 0x5555, 0, -32L),
	T(c_li_31, 0x5555, 0, 31),
	T(c_addi16sp, 0, 0, -512L),
	T(c_lui_neg, 0, 0, 0xfffffffffffe0000UL),
	T(c_lui_pos, 0, 0, 0x1f000),
	T(c_srli_63, 0x8000000000000000UL, 0, 1),
	T(c_srli_1, 0xfffffffffffffffeUL, 0, 0x7fffffffffffffffUL),
	T(c_srai_32, 0x8000000100000000UL, 0, 0xffffffff80000001UL),
	T(c_srai_1, 0xfffffffffffffffeUL, 0, 0xffffffffffffffffUL),
	T(c_andi_m32, 0x123456789abcdefUL, 0, 0x123456789abcde0UL),
	T(c_andi_31, 0x123456789abcdefUL, 0, 0xf),
	T(c_sub, 5, 7, -2L),
	T(c_xor, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xf0f0f0f0f0f0f0f0UL),
	T(c_or, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xfff0fff0fff0fff0UL),
	T(c_and, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0x0f000f000f000f00UL),
	T(c_subw, 0x80000000UL, 1, 0x7fffffff),
	T(c_subw, 0, 1, 0xffffffffffffffffUL),
	T(c_addw, 0x7fffffff, 1, 0xffffffff80000000UL),
	T(c_addw, 0x1ffffffffUL, 0x100000001UL, 0),
	T(c_j, 0, 0, 1),
	T(c_beqz, 0, 0, 1),
	T(c_beqz, 0x8000000000000000UL, 0, 0),
	T(c_bnez, 0, 0, 0),
	T(c_bnez, 0x8000000000000000UL, 0, 1),
	T(c_beqz_back, 10, 0, 10),
	T(c_slli_63, 3, 0, 0x8000000000000000UL),
	T(c_slli_1, 0x8000000000000001UL, 0, 2),
	T(c_slli_t0, 0x12345678UL, 0, 0x1234567800000000UL),
	T(c_lwsp, 0x80000001UL, 0, 0xffffffff80000001UL),
	T(c_ldsp, 0x0123456789abcdefUL, 0, 0x0123456789abcdefUL),
	T(c_fldsp, 0x400921fb54442d18UL, 0, 0x400921fb54442d18UL),
	T(c_swsp, 0xffffffff89abcdefUL, 0, 0x89abcdef00000000UL),
	T(c_sdsp, 0xfedcba9876543210UL, 0, 0xfedcba9876543210UL),
	T(c_fsdsp, 0xfff8000000000001UL, 0, 0xfff8000000000001UL),
	T(c_jr, 0, 0, 1),
	T(c_jalr, 0, 0, 2),
	T(c_mv, 1, 0xabcdef, 0xabcdef),
	T(c_mv_t3, 1, 0xabcdef, 0xabcdef),
	T(c_add, 0xffffffffffffffffUL, 2, 1),
	T(c_add_t3, 40, 2, 42),
};
/* clang-format on */

static void test_memory_forms(void)
{
	u64 base = (u64)mem;
	u32 *w = (u32 *)mem;

	mem[31] = 0x0123456789abcdefUL; /* offset 248 */
	w[31] = 0x80000002;             /* offset 124 */
	w[0] = 0x7ffffffe;
	CHECK_EQ("c.lw 124(rs1) sign-extends", 0xffffffff80000002UL, c_lw(base, 0));
	CHECK_EQ("c.lw 0(rs1)", 0x7ffffffe, c_lw0(base, 0));
	CHECK_EQ("c.ld 248(rs1)", 0x0123456789abcdefUL, c_ld(base, 0));
	c_sw(base, 0xaaaaaaaa55555555UL);
	CHECK_EQ("c.sw 124(rs1)", 0x55555555, w[31]);
	CHECK_EQ("c.sw leaves the neighbour word", 0x0123456789abcdefUL, mem[31]);
	c_sd(base, 0xfedcba9876543210UL);
	CHECK_EQ("c.sd 248(rs1)", 0xfedcba9876543210UL, mem[31]);
	mem[31] = 0x3ff8000000000000UL; /* 1.5 */
	CHECK_EQ("c.fld 248(rs1)", 0x3ff8000000000000UL, c_fld(base, 0));
	c_fsd(base, 0xc00921fb54442d18UL);
	CHECK_EQ("c.fsd 248(rs1)", 0xc00921fb54442d18UL, mem[31]);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	struct trap_info ti;
	unsigned i;

	(void)hartid;
	(void)dtb;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 r = cases[i].fn(cases[i].a, cases[i].b);

		CHECK_EQ(cases[i].name, cases[i].expect, r);
	}
	test_memory_forms();

	expect_trap_begin();
	c_ebreak(0, 0);
	ti = expect_trap_end();
	CHECK_TRAP("c.ebreak", &ti, CAUSE_BREAKPOINT, c_ebreak_insn, NO_CHECK);
	CHECK_EQ("c.ebreak length", 2, insn_len_at((u64)c_ebreak_insn));
	printf("%u compressed cases\n", (unsigned)ARRAY_SIZE(cases));
}
