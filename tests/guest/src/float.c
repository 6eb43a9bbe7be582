/*
 * F and D: arithmetic, FMA, sqrt, min/max, compares, classify, conversions,
 * sign injection and moves, each rounded operation under every rounding mode
 * (static rm field, and dynamic rm with frm), fflags, canonical NaNs,
 * NaN-boxing, fcvt saturation, -0.0 in fmin/fmax, invalid rounding modes,
 * and sstatus.FS (Off traps, writes make it Dirty, SD summarises it).
 */
#include "rt.h"

TEST_NAME("float");

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

/* single-precision values are NaN-boxed in the 64-bit register */
#define S(x) (0xffffffff00000000UL | (u32)(x))

/* single */
#define F_ONE   0x3f800000
#define F_NONE  0xbf800000
#define F_TWO   0x40000000
#define F_THREE 0x40400000
#define F_HALF  0x3f000000
#define F_ONEP  0x3f800001 /* 1 + 2^-23 */
#define F_P24   0x33800000 /* 2^-24 */
#define F_NP24  0xb3800000
#define F_P25   0x33000000 /* 2^-25 */
#define F_3P25  0x33c00000 /* 3 * 2^-25 */
#define F_MAX   0x7f7fffff
#define F_NMAX  0xff7fffff
#define F_INF   0x7f800000
#define F_NINF  0xff800000
#define F_QNAN  0x7fc00000 /* canonical */
#define F_QNANP 0x7fc12345 /* quiet NaN with payload */
#define F_SNAN  0x7f800001
#define F_MINN  0x00800000 /* smallest normal */
#define F_PZ    0x00000000
#define F_NZ    0x80000000
#define F_1E30  0x0da24260 /* 1e-30 */
/* double */
#define D_ONE   0x3ff0000000000000UL
#define D_NONE  0xbff0000000000000UL
#define D_TWO   0x4000000000000000UL
#define D_ONEP  0x3ff0000000000001UL /* 1 + 2^-52 */
#define D_P53   0x3ca0000000000000UL /* 2^-53 */
#define D_NP53  0xbca0000000000000UL
#define D_P54   0x3c90000000000000UL
#define D_3P54  0x3ca8000000000000UL /* 3 * 2^-54 */
#define D_MAX   0x7fefffffffffffffUL
#define D_NMAX  0xffefffffffffffffUL
#define D_INF   0x7ff0000000000000UL
#define D_NINF  0xfff0000000000000UL
#define D_QNAN  0x7ff8000000000000UL /* canonical */
#define D_QNANP 0x7ff8000000012345UL
#define D_SNAN  0x7ff0000000000001UL
#define D_PZ    0x0000000000000000UL
#define D_NZ    0x8000000000000000UL
#define D_THREE 0x4008000000000000UL
#define D_SIX   0x4018000000000000UL

struct fres {
	u64 v, fl;
};
typedef void (*fop)(u64 a, u64 b, u64 c, u64 frm, struct fres *o);

/*
 * Every op: frm <- frm, ft0/ft1/ft2 <- a/b/c (raw 64 bits), fflags <- 0, run
 * body (result in %[r]), read fflags.
 */
/* clang-format off */
#define FOP(name, body)                                                                            \
	static void name(u64 a, u64 b, u64 c, u64 frm, struct fres *o)                             \
	{                                                                                          \
		u64 r, fl;                                                                         \
		__asm__ volatile("csrw frm, %[frm]\n\t"                                            \
				 "fmv.d.x ft0, %[a]\n\t"                                           \
				 "fmv.d.x ft1, %[b]\n\t"                                           \
				 "fmv.d.x ft2, %[c]\n\t"                                           \
				 "csrw fflags, zero\n\t" body "\n\t"                               \
				 "csrr %[fl], fflags"                                              \
				 : [r] "=&r"(r), [fl] "=&r"(fl)                                    \
				 : [a] "r"(a), [b] "r"(b), [c] "r"(c), [frm] "r"(frm)              \
				 : "ft0", "ft1", "ft2", "ft3", "memory");                          \
		o->v = r;                                                                          \
		o->fl = fl;                                                                        \
	}

#define TO_X "\n\tfmv.x.d %[r], ft3"
/* one function per rounding mode, plus a table indexed by rm (7 = dyn) */
#define FRM(name, pre, post)                                                                       \
	FOP(name##_rne, pre ", rne" post)                                                          \
	FOP(name##_rtz, pre ", rtz" post)                                                          \
	FOP(name##_rdn, pre ", rdn" post)                                                          \
	FOP(name##_rup, pre ", rup" post)                                                          \
	FOP(name##_rmm, pre ", rmm" post)                                                          \
	FOP(name##_dyn, pre ", dyn" post)                                                          \
	static const fop name[8] = { name##_rne, name##_rtz, name##_rdn, name##_rup,               \
				     name##_rmm, 0,	     0,		 name##_dyn };

FRM(fadd_s, "fadd.s ft3, ft0, ft1", TO_X)
FRM(fsub_s, "fsub.s ft3, ft0, ft1", TO_X)
FRM(fmul_s, "fmul.s ft3, ft0, ft1", TO_X)
FRM(fdiv_s, "fdiv.s ft3, ft0, ft1", TO_X)
FRM(fsqrt_s, "fsqrt.s ft3, ft0", TO_X)
FRM(fmadd_s, "fmadd.s ft3, ft0, ft1, ft2", TO_X)
FRM(fmsub_s, "fmsub.s ft3, ft0, ft1, ft2", TO_X)
FRM(fnmadd_s, "fnmadd.s ft3, ft0, ft1, ft2", TO_X)
FRM(fnmsub_s, "fnmsub.s ft3, ft0, ft1, ft2", TO_X)
FRM(fadd_d, "fadd.d ft3, ft0, ft1", TO_X)
FRM(fsub_d, "fsub.d ft3, ft0, ft1", TO_X)
FRM(fmul_d, "fmul.d ft3, ft0, ft1", TO_X)
FRM(fdiv_d, "fdiv.d ft3, ft0, ft1", TO_X)
FRM(fsqrt_d, "fsqrt.d ft3, ft0", TO_X)
FRM(fmadd_d, "fmadd.d ft3, ft0, ft1, ft2", TO_X)
FRM(fmsub_d, "fmsub.d ft3, ft0, ft1, ft2", TO_X)
FRM(fnmadd_d, "fnmadd.d ft3, ft0, ft1, ft2", TO_X)
FRM(fnmsub_d, "fnmsub.d ft3, ft0, ft1, ft2", TO_X)
FRM(fcvt_w_s, "fcvt.w.s %[r], ft0", "")
FRM(fcvt_wu_s, "fcvt.wu.s %[r], ft0", "")
FRM(fcvt_l_s, "fcvt.l.s %[r], ft0", "")
FRM(fcvt_lu_s, "fcvt.lu.s %[r], ft0", "")
FRM(fcvt_w_d, "fcvt.w.d %[r], ft0", "")
FRM(fcvt_wu_d, "fcvt.wu.d %[r], ft0", "")
FRM(fcvt_l_d, "fcvt.l.d %[r], ft0", "")
FRM(fcvt_lu_d, "fcvt.lu.d %[r], ft0", "")
FRM(fcvt_s_w, "fcvt.s.w ft3, %[a]", TO_X)
FRM(fcvt_s_wu, "fcvt.s.wu ft3, %[a]", TO_X)
FRM(fcvt_s_l, "fcvt.s.l ft3, %[a]", TO_X)
FRM(fcvt_s_lu, "fcvt.s.lu ft3, %[a]", TO_X)
FRM(fcvt_d_l, "fcvt.d.l ft3, %[a]", TO_X)
FRM(fcvt_d_lu, "fcvt.d.lu ft3, %[a]", TO_X)
FRM(fcvt_s_d, "fcvt.s.d ft3, ft0", TO_X)

/* operations without a rounding mode */
FOP(fcvt_d_s, "fcvt.d.s ft3, ft0" TO_X)
FOP(fcvt_d_w, "fcvt.d.w ft3, %[a]" TO_X)
FOP(fcvt_d_wu, "fcvt.d.wu ft3, %[a]" TO_X)
FOP(fmin_s, "fmin.s ft3, ft0, ft1" TO_X)
FOP(fmax_s, "fmax.s ft3, ft0, ft1" TO_X)
FOP(fmin_d, "fmin.d ft3, ft0, ft1" TO_X)
FOP(fmax_d, "fmax.d ft3, ft0, ft1" TO_X)
FOP(feq_s, "feq.s %[r], ft0, ft1")
FOP(flt_s, "flt.s %[r], ft0, ft1")
FOP(fle_s, "fle.s %[r], ft0, ft1")
FOP(feq_d, "feq.d %[r], ft0, ft1")
FOP(flt_d, "flt.d %[r], ft0, ft1")
FOP(fle_d, "fle.d %[r], ft0, ft1")
FOP(fclass_s, "fclass.s %[r], ft0")
FOP(fclass_d, "fclass.d %[r], ft0")
FOP(fsgnj_s, "fsgnj.s ft3, ft0, ft1" TO_X)
FOP(fsgnjn_s, "fsgnjn.s ft3, ft0, ft1" TO_X)
FOP(fsgnjx_s, "fsgnjx.s ft3, ft0, ft1" TO_X)
FOP(fsgnj_d, "fsgnj.d ft3, ft0, ft1" TO_X)
FOP(fsgnjn_d, "fsgnjn.d ft3, ft0, ft1" TO_X)
FOP(fsgnjx_d, "fsgnjx.d ft3, ft0, ft1" TO_X)
FOP(fmv_x_w, "fmv.x.w %[r], ft0")
FOP(fmv_w_x, "fmv.w.x ft3, %[a]" TO_X)
FOP(fmv_x_d, "fmv.x.d %[r], ft0")
FOP(fmv_d_x, "fmv.d.x ft3, %[a]" TO_X)
/* loads/stores: b = address */
FOP(flw_op, "flw ft3, 0(%[b])" TO_X)
FOP(fld_op, "fld ft3, 0(%[b])" TO_X)
FOP(fsw_op, "fsw ft0, 0(%[b])\n\tli %[r], 0")
FOP(fsd_op, "fsd ft0, 0(%[b])\n\tli %[r], 0")

/* clang-format on */
static const char *const rm_name[8] = { "rne", "rtz", "rdn", "rup", "rmm", "?", "?", "dyn" };

/* ---- rounded operations: expected value and flags for rne rtz rdn rup rmm ---- */
/* clang-format off */
struct rcase {
	const char *name;
	const fop *op;
	u64 a, b, c;
	u64 e[5];
	u8 f[5];
};
#define V5(a, b, c, d, e) { (u64)(a), (u64)(b), (u64)(c), (u64)(d), (u64)(e) }
#define A5(v)		  V5(v, v, v, v, v)
#define F5(a, b, c, d, e) { a, b, c, d, e }
#define FA(f)		  F5(f, f, f, f, f)
#define R(op, a, b, c, e, f) { #op "(" #a ", " #b ", " #c ")", op, (u64)(a), (u64)(b), (u64)(c), e, f }

static const struct rcase rcases[] = {
	/* fadd.s: halfway cases separate RNE from RMM */
	R(fadd_s, S(F_ONE), S(F_P24), 0, V5(S(F_ONE), S(F_ONE), S(F_ONE), S(F_ONEP), S(F_ONEP)), FA(NX)),
	R(fadd_s, S(F_NONE), S(F_NP24), 0,
	  V5(S(0xbf800000), S(0xbf800000), S(0xbf800001), S(0xbf800000), S(0xbf800001)), FA(NX)),
	R(fadd_s, S(F_ONEP), S(F_P24), 0,
	  V5(S(0x3f800002), S(F_ONEP), S(F_ONEP), S(0x3f800002), S(0x3f800002)), FA(NX)),
	R(fadd_s, S(F_ONE), S(F_3P25), 0, V5(S(F_ONEP), S(F_ONE), S(F_ONE), S(F_ONEP), S(F_ONEP)), FA(NX)),
	R(fadd_s, S(F_ONE), S(F_P25), 0, V5(S(F_ONE), S(F_ONE), S(F_ONE), S(F_ONEP), S(F_ONE)), FA(NX)),
	R(fadd_s, S(F_ONE), S(F_TWO), 0, A5(S(F_THREE)), FA(0)),
	R(fadd_s, S(F_ONE), S(F_NONE), 0, V5(S(F_PZ), S(F_PZ), S(F_NZ), S(F_PZ), S(F_PZ)), FA(0)),
	R(fadd_s, S(F_NZ), S(F_NZ), 0, A5(S(F_NZ)), FA(0)),
	R(fadd_s, S(F_NZ), S(F_PZ), 0, V5(S(F_PZ), S(F_PZ), S(F_NZ), S(F_PZ), S(F_PZ)), FA(0)),
	R(fadd_s, S(F_MAX), S(F_MAX), 0, V5(S(F_INF), S(F_MAX), S(F_MAX), S(F_INF), S(F_INF)), FA(OF | NX)),
	R(fadd_s, S(F_NMAX), S(F_NMAX), 0,
	  V5(S(F_NINF), S(F_NMAX), S(F_NINF), S(F_NMAX), S(F_NINF)), FA(OF | NX)),
	R(fadd_s, S(F_INF), S(F_NINF), 0, A5(S(F_QNAN)), FA(NV)),
	R(fadd_s, S(F_SNAN), S(F_ONE), 0, A5(S(F_QNAN)), FA(NV)),
	R(fadd_s, S(F_QNANP), S(F_ONE), 0, A5(S(F_QNAN)), FA(0)),
	R(fadd_s, S(F_INF), S(F_ONE), 0, A5(S(F_INF)), FA(0)),
	/* fsub.s: 1 - 2^-25 is halfway below 1.0 */
	R(fsub_s, S(F_ONE), S(F_P25), 0,
	  V5(S(F_ONE), S(0x3f7fffff), S(0x3f7fffff), S(F_ONE), S(F_ONE)), FA(NX)),
	R(fsub_s, S(F_TWO), S(F_TWO), 0, V5(S(F_PZ), S(F_PZ), S(F_NZ), S(F_PZ), S(F_PZ)), FA(0)),
	R(fsub_s, S(F_INF), S(F_INF), 0, A5(S(F_QNAN)), FA(NV)),
	/* fmul.s */
	R(fmul_s, S(0x3f800800), S(0x3f800800), 0, /* (1+2^-12)^2 = 1+2^-11+2^-24 */
	  V5(S(0x3f801000), S(0x3f801000), S(0x3f801000), S(0x3f801001), S(0x3f801001)), FA(NX)),
	/* 2^-126*(1-2^-46): tininess is detected after rounding */
	R(fmul_s, S(0x3f7ffffe), S(0x00800001), 0,
	  V5(S(F_MINN), S(0x007fffff), S(0x007fffff), S(F_MINN), S(F_MINN)),
	  F5(NX, UF | NX, UF | NX, NX, NX)),
	R(fmul_s, S(F_1E30), S(F_1E30), 0, V5(S(0), S(0), S(0), S(1), S(0)), FA(UF | NX)),
	R(fmul_s, S(F_1E30 | 0x80000000), S(F_1E30), 0,
	  V5(S(F_NZ), S(F_NZ), S(0x80000001), S(F_NZ), S(F_NZ)), FA(UF | NX)),
	R(fmul_s, S(F_MINN), S(F_HALF), 0, A5(S(0x00400000)), FA(0)), /* exact subnormal */
	R(fmul_s, S(F_INF), S(F_PZ), 0, A5(S(F_QNAN)), FA(NV)),
	R(fmul_s, S(F_MAX), S(F_TWO), 0, V5(S(F_INF), S(F_MAX), S(F_MAX), S(F_INF), S(F_INF)), FA(OF | NX)),
	R(fmul_s, S(F_NZ), S(F_ONE), 0, A5(S(F_NZ)), FA(0)),
	/* fdiv.s */
	R(fdiv_s, S(F_ONE), S(F_THREE), 0,
	  V5(S(0x3eaaaaab), S(0x3eaaaaaa), S(0x3eaaaaaa), S(0x3eaaaaab), S(0x3eaaaaab)), FA(NX)),
	R(fdiv_s, S(F_NONE), S(F_THREE), 0,
	  V5(S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab)), FA(NX)),
	R(fdiv_s, S(F_ONE), S(F_PZ), 0, A5(S(F_INF)), FA(DZ)),
	R(fdiv_s, S(F_NONE), S(F_PZ), 0, A5(S(F_NINF)), FA(DZ)),
	R(fdiv_s, S(F_ONE), S(F_NZ), 0, A5(S(F_NINF)), FA(DZ)),
	R(fdiv_s, S(F_PZ), S(F_PZ), 0, A5(S(F_QNAN)), FA(NV)),
	R(fdiv_s, S(F_INF), S(F_INF), 0, A5(S(F_QNAN)), FA(NV)),
	R(fdiv_s, S(F_ONE), S(F_INF), 0, A5(S(F_PZ)), FA(0)),
	R(fdiv_s, S(0x40c00000), S(F_THREE), 0, A5(S(F_TWO)), FA(0)),
	/* fsqrt.s */
	R(fsqrt_s, S(F_TWO), 0, 0,
	  V5(S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f4), S(0x3fb504f3)), FA(NX)),
	R(fsqrt_s, S(0x40800000), 0, 0, A5(S(F_TWO)), FA(0)),
	R(fsqrt_s, S(F_NONE), 0, 0, A5(S(F_QNAN)), FA(NV)),
	R(fsqrt_s, S(F_NZ), 0, 0, A5(S(F_NZ)), FA(0)),
	R(fsqrt_s, S(F_INF), 0, 0, A5(S(F_INF)), FA(0)),
	R(fsqrt_s, S(F_QNANP), 0, 0, A5(S(F_QNAN)), FA(0)),
	/* fused multiply-add: one rounding */
	R(fmadd_s, S(0x3f800800), S(0x3f800800), S(0xbf801000), A5(S(F_P24)), FA(0)),
	R(fmsub_s, S(0x3f800800), S(0x3f800800), S(0x3f801000), A5(S(F_P24)), FA(0)),
	R(fnmsub_s, S(0x3f800800), S(0x3f800800), S(0x3f801000), A5(S(F_NP24)), FA(0)),
	R(fnmadd_s, S(0x3f800800), S(0x3f800800), S(0x3f801000),
	  V5(S(0xc0001000), S(0xc0001000), S(0xc0001001), S(0xc0001000), S(0xc0001000)), FA(NX)),
	R(fmadd_s, S(F_ONE), S(F_ONE), S(F_P24), V5(S(F_ONE), S(F_ONE), S(F_ONE), S(F_ONEP), S(F_ONEP)), FA(NX)),
	/* inf * 0 + qNaN must still signal invalid */
	R(fmadd_s, S(F_INF), S(F_PZ), S(F_QNAN), A5(S(F_QNAN)), FA(NV)),
	R(fmadd_s, S(F_ONE), S(F_ONE), S(F_SNAN), A5(S(F_QNAN)), FA(NV)),
	R(fmadd_s, S(F_INF), S(F_ONE), S(F_NINF), A5(S(F_QNAN)), FA(NV)),

	/* double */
	R(fadd_d, D_ONE, D_P53, 0, V5(D_ONE, D_ONE, D_ONE, D_ONEP, D_ONEP), FA(NX)),
	R(fadd_d, D_NONE, D_NP53, 0,
	  V5(D_NONE, D_NONE, 0xbff0000000000001UL, D_NONE, 0xbff0000000000001UL), FA(NX)),
	R(fadd_d, D_ONEP, D_P53, 0,
	  V5(0x3ff0000000000002UL, D_ONEP, D_ONEP, 0x3ff0000000000002UL, 0x3ff0000000000002UL), FA(NX)),
	R(fadd_d, D_ONE, D_3P54, 0, V5(D_ONEP, D_ONE, D_ONE, D_ONEP, D_ONEP), FA(NX)),
	R(fadd_d, D_ONE, D_P54, 0, V5(D_ONE, D_ONE, D_ONE, D_ONEP, D_ONE), FA(NX)),
	R(fadd_d, D_ONE, D_NONE, 0, V5(D_PZ, D_PZ, D_NZ, D_PZ, D_PZ), FA(0)),
	R(fadd_d, D_MAX, D_MAX, 0, V5(D_INF, D_MAX, D_MAX, D_INF, D_INF), FA(OF | NX)),
	R(fadd_d, D_NMAX, D_NMAX, 0, V5(D_NINF, D_NMAX, D_NINF, D_NMAX, D_NINF), FA(OF | NX)),
	R(fadd_d, D_SNAN, D_ONE, 0, A5(D_QNAN), FA(NV)),
	R(fadd_d, D_QNANP, D_ONE, 0, A5(D_QNAN), FA(0)),
	R(fadd_d, D_INF, D_NINF, 0, A5(D_QNAN), FA(NV)),
	R(fsub_d, D_ONE, D_P54, 0,
	  V5(D_ONE, 0x3fefffffffffffffUL, 0x3fefffffffffffffUL, D_ONE, D_ONE), FA(NX)),
	R(fsub_d, D_TWO, D_TWO, 0, V5(D_PZ, D_PZ, D_NZ, D_PZ, D_PZ), FA(0)),
	R(fmul_d, 0x3ff0000004000000UL, 0x3ff0000002000000UL, 0, /* 1+2^-26+2^-27+2^-53 */
	  V5(0x3ff0000006000000UL, 0x3ff0000006000000UL, 0x3ff0000006000000UL,
	     0x3ff0000006000001UL, 0x3ff0000006000001UL), FA(NX)),
	R(fmul_d, 0x3feffffffffffffeUL, 0x0010000000000001UL, 0,
	  V5(0x0010000000000000UL, 0x000fffffffffffffUL, 0x000fffffffffffffUL,
	     0x0010000000000000UL, 0x0010000000000000UL), F5(NX, UF | NX, UF | NX, NX, NX)),
	R(fmul_d, D_MAX, D_TWO, 0, V5(D_INF, D_MAX, D_MAX, D_INF, D_INF), FA(OF | NX)),
	R(fmul_d, D_NINF, D_PZ, 0, A5(D_QNAN), FA(NV)),
	R(fdiv_d, D_ONE, D_THREE, 0,
	  V5(0x3fd5555555555555UL, 0x3fd5555555555555UL, 0x3fd5555555555555UL,
	     0x3fd5555555555556UL, 0x3fd5555555555555UL), FA(NX)),
	R(fdiv_d, D_NONE, D_THREE, 0,
	  V5(0xbfd5555555555555UL, 0xbfd5555555555555UL, 0xbfd5555555555556UL,
	     0xbfd5555555555555UL, 0xbfd5555555555555UL), FA(NX)),
	R(fdiv_d, D_ONE, D_PZ, 0, A5(D_INF), FA(DZ)),
	R(fdiv_d, D_PZ, D_PZ, 0, A5(D_QNAN), FA(NV)),
	R(fdiv_d, D_SIX, D_THREE, 0, A5(D_TWO), FA(0)),
	R(fsqrt_d, D_TWO, 0, 0,
	  V5(0x3ff6a09e667f3bcdUL, 0x3ff6a09e667f3bccUL, 0x3ff6a09e667f3bccUL,
	     0x3ff6a09e667f3bcdUL, 0x3ff6a09e667f3bcdUL), FA(NX)),
	R(fsqrt_d, D_NONE, 0, 0, A5(D_QNAN), FA(NV)),
	R(fsqrt_d, D_NZ, 0, 0, A5(D_NZ), FA(0)),
	R(fmadd_d, 0x3ff0000002000000UL, 0x3ff0000002000000UL, 0xbff0000004000000UL, A5(D_P54), FA(0)),
	R(fmsub_d, 0x3ff0000002000000UL, 0x3ff0000002000000UL, 0x3ff0000004000000UL, A5(D_P54), FA(0)),
	R(fnmsub_d, 0x3ff0000002000000UL, 0x3ff0000002000000UL, 0x3ff0000004000000UL,
	  A5(0xbc90000000000000UL), FA(0)),
	R(fnmadd_d, D_ONE, D_ONE, D_P53,
	  V5(D_NONE, D_NONE, 0xbff0000000000001UL, D_NONE, 0xbff0000000000001UL), FA(NX)),
	R(fmadd_d, D_PZ, D_INF, D_QNAN, A5(D_QNAN), FA(NV)),

	/* float -> integer: rounding, saturation, invalid */
	R(fcvt_w_s, S(0x40200000), 0, 0, V5(2, 2, 2, 3, 3), FA(NX)),		 /* 2.5 */
	R(fcvt_w_s, S(0xc0200000), 0, 0, V5(-2L, -2L, -3L, -2L, -3L), FA(NX)), /* -2.5 */
	R(fcvt_w_s, S(0x40600000), 0, 0, V5(4, 3, 3, 4, 4), FA(NX)),		 /* 3.5 */
	R(fcvt_w_s, S(0xbf000000), 0, 0, V5(0, 0, -1L, 0, -1L), FA(NX)),	 /* -0.5 */
	R(fcvt_w_s, S(F_ONE), 0, 0, A5(1), FA(0)),
	R(fcvt_w_s, S(0x4f32d05e), 0, 0, A5(0x7fffffff), FA(NV)),		 /* 3e9 */
	R(fcvt_w_s, S(0xcf32d05e), 0, 0, A5(0xffffffff80000000UL), FA(NV)),	 /* -3e9 */
	R(fcvt_w_s, S(0x4f000000), 0, 0, A5(0x7fffffff), FA(NV)),		 /* 2^31 */
	R(fcvt_w_s, S(0xcf000000), 0, 0, A5(0xffffffff80000000UL), FA(0)),	 /* -2^31 */
	R(fcvt_w_s, S(F_QNAN), 0, 0, A5(0x7fffffff), FA(NV)),
	R(fcvt_w_s, S(F_SNAN), 0, 0, A5(0x7fffffff), FA(NV)),
	R(fcvt_w_s, S(F_INF), 0, 0, A5(0x7fffffff), FA(NV)),
	R(fcvt_w_s, S(F_NINF), 0, 0, A5(0xffffffff80000000UL), FA(NV)),
	/* unsigned: 32-bit results are sign-extended in RV64 */
	R(fcvt_wu_s, S(0x4f32d05e), 0, 0, A5(0xffffffffb2d05e00UL), FA(0)),
	R(fcvt_wu_s, S(F_NONE), 0, 0, A5(0), FA(NV)),
	R(fcvt_wu_s, S(0xbf000000), 0, 0, V5(0, 0, 0, 0, 0), F5(NX, NX, NV, NX, NV)),
	R(fcvt_wu_s, S(0x50000000), 0, 0, A5(0xffffffffffffffffUL), FA(NV)), /* 2^33 */
	R(fcvt_wu_s, S(F_QNAN), 0, 0, A5(0xffffffffffffffffUL), FA(NV)),
	R(fcvt_wu_s, S(F_NINF), 0, 0, A5(0), FA(NV)),
	R(fcvt_l_s, S(F_QNAN), 0, 0, A5(0x7fffffffffffffffUL), FA(NV)),
	R(fcvt_l_s, S(0xdf000000), 0, 0, A5(0x8000000000000000UL), FA(0)), /* -2^63 */
	R(fcvt_l_s, S(0x5f000000), 0, 0, A5(0x7fffffffffffffffUL), FA(NV)), /* 2^63 */
	R(fcvt_l_s, S(F_NINF), 0, 0, A5(0x8000000000000000UL), FA(NV)),
	R(fcvt_l_s, S(0xc0200000), 0, 0, V5(-2L, -2L, -3L, -2L, -3L), FA(NX)),
	R(fcvt_lu_s, S(F_NONE), 0, 0, A5(0), FA(NV)),
	R(fcvt_lu_s, S(0x5f800000), 0, 0, A5(0xffffffffffffffffUL), FA(NV)), /* 2^64 */
	R(fcvt_lu_s, S(0x5f000000), 0, 0, A5(0x8000000000000000UL), FA(0)),
	R(fcvt_lu_s, S(F_QNAN), 0, 0, A5(0xffffffffffffffffUL), FA(NV)),
	R(fcvt_w_d, 0x4004000000000000UL, 0, 0, V5(2, 2, 2, 3, 3), FA(NX)),
	R(fcvt_w_d, 0xc004000000000000UL, 0, 0, V5(-2L, -2L, -3L, -2L, -3L), FA(NX)),
	R(fcvt_w_d, 0x41dfffffffe00000UL, 0, 0, /* 2^31 - 0.5 */
	  V5(0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff), F5(NV, NX, NX, NV, NV)),
	R(fcvt_w_d, D_QNAN, 0, 0, A5(0x7fffffff), FA(NV)),
	R(fcvt_w_d, D_NINF, 0, 0, A5(0xffffffff80000000UL), FA(NV)),
	R(fcvt_wu_d, 0x41efffffffe00000UL, 0, 0, A5(0xffffffffffffffffUL), FA(0)), /* 2^32-1 */
	R(fcvt_wu_d, 0x41f0000000000000UL, 0, 0, A5(0xffffffffffffffffUL), FA(NV)), /* 2^32 */
	R(fcvt_wu_d, D_NONE, 0, 0, A5(0), FA(NV)),
	R(fcvt_l_d, D_QNAN, 0, 0, A5(0x7fffffffffffffffUL), FA(NV)),
	R(fcvt_l_d, D_NZ, 0, 0, A5(0), FA(0)),
	R(fcvt_l_d, 0x43e0000000000000UL, 0, 0, A5(0x7fffffffffffffffUL), FA(NV)), /* 2^63 */
	R(fcvt_l_d, 0xc3e0000000000000UL, 0, 0, A5(0x8000000000000000UL), FA(0)),
	R(fcvt_lu_d, D_QNAN, 0, 0, A5(0xffffffffffffffffUL), FA(NV)),
	R(fcvt_lu_d, D_NONE, 0, 0, A5(0), FA(NV)),
	R(fcvt_lu_d, 0x43f0000000000000UL, 0, 0, A5(0xffffffffffffffffUL), FA(NV)), /* 2^64 */
	R(fcvt_lu_d, 0x43efffffffffffffUL, 0, 0, A5(0xfffffffffffff800UL), FA(0)),
	/* integer -> float */
	R(fcvt_s_w, -1L, 0, 0, A5(S(F_NONE)), FA(0)),
	R(fcvt_s_w, 0x7fffffff, 0, 0,
	  V5(S(0x4f000000), S(0x4effffff), S(0x4effffff), S(0x4f000000), S(0x4f000000)), FA(NX)),
	R(fcvt_s_w, 0x1234567800000003UL, 0, 0, A5(S(0x40400000)), FA(0)), /* rs1[31:0] only */
	R(fcvt_s_wu, 0x12345678ffffffffUL, 0, 0,
	  V5(S(0x4f800000), S(0x4f7fffff), S(0x4f7fffff), S(0x4f800000), S(0x4f800000)), FA(NX)),
	R(fcvt_s_l, 0x7fffffffffffffffUL, 0, 0,
	  V5(S(0x5f000000), S(0x5effffff), S(0x5effffff), S(0x5f000000), S(0x5f000000)), FA(NX)),
	R(fcvt_s_l, -3L, 0, 0, A5(S(0xc0400000)), FA(0)),
	R(fcvt_s_lu, 0xffffffffffffffffUL, 0, 0,
	  V5(S(0x5f800000), S(0x5f7fffff), S(0x5f7fffff), S(0x5f800000), S(0x5f800000)), FA(NX)),
	R(fcvt_d_l, 0x20000000000001UL, 0, 0, /* 2^53 + 1: halfway */
	  V5(0x4340000000000000UL, 0x4340000000000000UL, 0x4340000000000000UL,
	     0x4340000000000001UL, 0x4340000000000001UL), FA(NX)),
	R(fcvt_d_l, -0x20000000000001L, 0, 0,
	  V5(0xc340000000000000UL, 0xc340000000000000UL, 0xc340000000000001UL,
	     0xc340000000000000UL, 0xc340000000000001UL), FA(NX)),
	R(fcvt_d_lu, 0xffffffffffffffffUL, 0, 0,
	  V5(0x43f0000000000000UL, 0x43efffffffffffffUL, 0x43efffffffffffffUL,
	     0x43f0000000000000UL, 0x43f0000000000000UL), FA(NX)),
	/* double -> single */
	R(fcvt_s_d, 0x3ff0000010000000UL, 0, 0, /* 1 + 2^-24 */
	  V5(S(F_ONE), S(F_ONE), S(F_ONE), S(F_ONEP), S(F_ONEP)), FA(NX)),
	R(fcvt_s_d, D_MAX, 0, 0, V5(S(F_INF), S(F_MAX), S(F_MAX), S(F_INF), S(F_INF)), FA(OF | NX)),
	R(fcvt_s_d, 0x0170000000000000UL, 0, 0, V5(S(0), S(0), S(0), S(1), S(0)), FA(UF | NX)),
	R(fcvt_s_d, D_SNAN, 0, 0, A5(S(F_QNAN)), FA(NV)),
	R(fcvt_s_d, D_QNANP, 0, 0, A5(S(F_QNAN)), FA(0)),
	R(fcvt_s_d, D_NINF, 0, 0, A5(S(F_NINF)), FA(0)),
};

/* ---- operations without rounding mode ---- */
struct ncase {
	const char *name;
	fop op;
	u64 a, b;
	u64 e;
	u8 f;
};
#define N(op, a, b, e, f) { #op "(" #a ", " #b ")", op, (u64)(a), (u64)(b), (u64)(e), f }
/* an improperly NaN-boxed single: upper half not all ones */
#define BAD1  0x000000003f800000UL
#define BAD2  0xfffffffebf800000UL

static const struct ncase ncases[] = {
	N(fcvt_d_s, S(0x3fc00000), 0, 0x3ff8000000000000UL, 0),
	N(fcvt_d_s, S(F_QNANP), 0, D_QNAN, 0),
	N(fcvt_d_s, S(F_SNAN), 0, D_QNAN, NV),
	N(fcvt_d_s, S(F_NINF), 0, D_NINF, 0),
	N(fcvt_d_s, S(0x00000001), 0, 0x36a0000000000000UL, 0), /* 2^-149 */
	N(fcvt_d_s, S(F_NZ), 0, D_NZ, 0),
	N(fcvt_d_w, -5L, 0, 0xc014000000000000UL, 0),
	N(fcvt_d_w, 0xffffffff80000000UL, 0, 0xc1e0000000000000UL, 0),
	N(fcvt_d_wu, 0xffffffffffffffffUL, 0, 0x41efffffffe00000UL, 0),
	/* min/max: -0 < +0, one NaN returns the other operand, sNaN signals */
	N(fmin_s, S(F_ONE), S(F_TWO), S(F_ONE), 0),
	N(fmin_s, S(F_NZ), S(F_PZ), S(F_NZ), 0),
	N(fmin_s, S(F_PZ), S(F_NZ), S(F_NZ), 0),
	N(fmax_s, S(F_NZ), S(F_PZ), S(F_PZ), 0),
	N(fmax_s, S(F_PZ), S(F_NZ), S(F_PZ), 0),
	N(fmin_s, S(F_QNAN), S(F_ONE), S(F_ONE), 0),
	N(fmin_s, S(F_ONE), S(F_SNAN), S(F_ONE), NV),
	N(fmax_s, S(F_SNAN), S(F_ONE), S(F_ONE), NV),
	N(fmin_s, S(F_QNANP), S(F_QNANP), S(F_QNAN), 0),
	N(fmax_s, S(F_SNAN), S(F_QNAN), S(F_QNAN), NV),
	N(fmax_s, S(F_NINF), S(F_NONE), S(F_NONE), 0),
	N(fmin_d, D_NZ, D_PZ, D_NZ, 0),
	N(fmax_d, D_NZ, D_PZ, D_PZ, 0),
	N(fmax_d, D_PZ, D_NZ, D_PZ, 0),
	N(fmin_d, D_QNAN, D_ONE, D_ONE, 0),
	N(fmax_d, D_SNAN, D_ONE, D_ONE, NV),
	N(fmin_d, D_QNANP, D_SNAN, D_QNAN, NV),
	N(fmin_d, D_NINF, D_MAX, D_NINF, 0),
	/* compares: feq is quiet, flt/fle signal on any NaN */
	N(feq_s, S(F_QNAN), S(F_ONE), 0, 0),
	N(feq_s, S(F_SNAN), S(F_ONE), 0, NV),
	N(flt_s, S(F_QNAN), S(F_ONE), 0, NV),
	N(fle_s, S(F_ONE), S(F_QNAN), 0, NV),
	N(feq_s, S(F_NZ), S(F_PZ), 1, 0),
	N(flt_s, S(F_NZ), S(F_PZ), 0, 0),
	N(fle_s, S(F_NZ), S(F_PZ), 1, 0),
	N(flt_s, S(F_ONE), S(F_TWO), 1, 0),
	N(fle_s, S(F_TWO), S(F_ONE), 0, 0),
	N(flt_s, S(F_NINF), S(F_NMAX), 1, 0),
	N(feq_d, D_QNAN, D_QNAN, 0, 0),
	N(feq_d, D_ONE, D_ONE, 1, 0),
	N(flt_d, D_NONE, D_ONE, 1, 0),
	N(fle_d, D_SNAN, D_ONE, 0, NV),
	N(flt_d, D_ONE, D_QNAN, 0, NV),
	N(fle_d, D_NZ, D_PZ, 1, 0),
	/* classify */
	N(fclass_s, S(F_NINF), 0, 0x001, 0),
	N(fclass_s, S(F_NONE), 0, 0x002, 0),
	N(fclass_s, S(0x80000001), 0, 0x004, 0),
	N(fclass_s, S(F_NZ), 0, 0x008, 0),
	N(fclass_s, S(F_PZ), 0, 0x010, 0),
	N(fclass_s, S(0x00000001), 0, 0x020, 0),
	N(fclass_s, S(F_ONE), 0, 0x040, 0),
	N(fclass_s, S(F_INF), 0, 0x080, 0),
	N(fclass_s, S(F_SNAN), 0, 0x100, 0),
	N(fclass_s, S(F_QNAN), 0, 0x200, 0),
	N(fclass_d, D_NINF, 0, 0x001, 0),
	N(fclass_d, D_NONE, 0, 0x002, 0),
	N(fclass_d, 0x800fffffffffffffUL, 0, 0x004, 0),
	N(fclass_d, D_NZ, 0, 0x008, 0),
	N(fclass_d, D_PZ, 0, 0x010, 0),
	N(fclass_d, 0x0000000000000001UL, 0, 0x020, 0),
	N(fclass_d, D_ONE, 0, 0x040, 0),
	N(fclass_d, D_INF, 0, 0x080, 0),
	N(fclass_d, D_SNAN, 0, 0x100, 0),
	N(fclass_d, D_QNANP, 0, 0x200, 0),
	/* sign injection: no flags, NaN payloads kept */
	N(fsgnj_s, S(F_ONE), S(0xc0000000), S(F_NONE), 0),
	N(fsgnjn_s, S(F_ONE), S(0xc0000000), S(F_ONE), 0),
	N(fsgnjx_s, S(F_NONE), S(0xc0000000), S(F_ONE), 0),
	N(fsgnjx_s, S(F_NONE), S(F_TWO), S(F_NONE), 0),
	N(fsgnj_s, S(F_SNAN), S(F_NONE), S(0xff800001), 0),
	N(fsgnjn_s, S(F_QNANP), S(F_QNANP), S(0xffc12345), 0),
	N(fsgnj_d, D_ONE, D_NZ, D_NONE, 0),
	N(fsgnjn_d, D_NONE, D_NONE, D_ONE, 0),
	N(fsgnjx_d, D_NONE, D_NONE, D_ONE, 0),
	N(fsgnj_d, D_SNAN, D_NONE, 0xfff0000000000001UL, 0),
	/* moves: bit-exact, fmv.x.w sign-extends, fmv.w.x NaN-boxes */
	N(fmv_x_w, S(F_NONE), 0, 0xffffffffbf800000UL, 0),
	N(fmv_x_w, S(F_ONE), 0, 0x3f800000UL, 0),
	N(fmv_x_w, S(F_SNAN), 0, 0x7f800001UL, 0),
	N(fmv_w_x, 0x123456783f800000UL, 0, S(F_ONE), 0),
	N(fmv_w_x, 0x00000000ff800001UL, 0, S(0xff800001), 0),
	N(fmv_x_d, D_SNAN, 0, D_SNAN, 0),
	N(fmv_d_x, 0x0123456789abcdefUL, 0, 0x0123456789abcdefUL, 0),
	/* NaN-boxing: an improperly boxed operand is the canonical NaN... */
	N(fadd_s_rne, BAD1, S(F_ONE), S(F_QNAN), 0),
	N(fmul_s_rne, S(F_ONE), BAD2, S(F_QNAN), 0),
	N(fclass_s, BAD1, 0, 0x200, 0),
	N(feq_s, BAD1, BAD1, 0, 0),
	N(fmin_s, BAD1, S(F_TWO), S(F_TWO), 0),
	N(fsgnj_s, BAD1, S(F_ONE), S(F_QNAN), 0),
	N(fsgnjn_s, BAD1, S(F_ONE), S(0xffc00000), 0),
	N(fsgnj_s, S(F_ONE), BAD2, S(F_ONE), 0), /* rs2 = canonical NaN: sign 0 */
	N(fcvt_d_s, BAD1, 0, D_QNAN, 0),
	N(fcvt_w_s_rtz, BAD2, 0, 0x7fffffff, NV),
	/* ...except for transfers, which move the raw low 32 bits */
	N(fmv_x_w, BAD1, 0, 0x3f800000UL, 0),
	N(fmv_x_w, BAD2, 0, 0xffffffffbf800000UL, 0),
};
/* clang-format on */

static void check_res(const char *name, const char *how, u64 e, u8 f, const struct fres *o)
{
	if (o->v != e || o->fl != f)
		FAILF("%s %s: expected 0x%lx flags 0x%x, actual 0x%lx flags 0x%lx", name, how,
		      (unsigned long)e, f, (unsigned long)o->v, (unsigned long)o->fl);
}

static void test_rounded(void)
{
	char how[32];
	unsigned i, rm;
	struct fres o;

	for (i = 0; i < ARRAY_SIZE(rcases); i++) {
		const struct rcase *c = &rcases[i];

		for (rm = 0; rm < 5; rm++) {
			/* static rm with a different mode in frm, then dynamic rm via frm */
			c->op[rm](c->a, c->b, c->c, (rm + 3) % 5, &o);
			snprintf(how, sizeof(how), "rm=%s (static)", rm_name[rm]);
			check_res(c->name, how, c->e[rm], c->f[rm], &o);
			c->op[7](c->a, c->b, c->c, rm, &o);
			snprintf(how, sizeof(how), "frm=%s (dynamic)", rm_name[rm]);
			check_res(c->name, how, c->e[rm], c->f[rm], &o);
		}
	}
	printf("%u rounded cases x 5 modes x static/dynamic\n", (unsigned)ARRAY_SIZE(rcases));
}

static void test_unrounded(void)
{
	unsigned i;
	struct fres o;

	for (i = 0; i < ARRAY_SIZE(ncases); i++) {
		ncases[i].op(ncases[i].a, ncases[i].b, 0, 0, &o);
		check_res(ncases[i].name, "", ncases[i].e, ncases[i].f, &o);
	}
	printf("%u unrounded cases\n", (unsigned)ARRAY_SIZE(ncases));
}

static void test_load_store(void)
{
	static volatile u64 m[2] __attribute__((aligned(16)));
	struct fres o;

	m[0] = 0x12345678bf800000UL;
	flw_op(0, (u64)&m[0], 0, 0, &o);
	CHECK_EQ("flw NaN-boxes", S(F_NONE), o.v);
	fld_op(0, (u64)&m[0], 0, 0, &o);
	CHECK_EQ("fld", 0x12345678bf800000UL, o.v);
	m[1] = 0x5555555555555555UL;
	fsw_op(BAD1, (u64)&m[1], 0, 0, &o); /* transfer: no NaN-box check */
	CHECK_EQ("fsw stores the low 32 bits", 0x555555553f800000UL, m[1]);
	fsd_op(D_SNAN, (u64)&m[1], 0, 0, &o);
	CHECK_EQ("fsd", D_SNAN, m[1]);
	CHECK_EQ("fld/fsd/flw/fsw raise no flags", 0, o.fl);
}

static void test_fcsr(void)
{
	u64 v;
	struct fres o;

	csr_write(fcsr, 0xff);
	CHECK_EQ("fcsr = 0xff", 0xff, csr_read(fcsr));
	CHECK_EQ("frm from fcsr", 7, csr_read(frm));
	CHECK_EQ("fflags from fcsr", 0x1f, csr_read(fflags));
	csr_write(fflags, 0);
	CHECK_EQ("fflags cleared keeps frm", 0xe0, csr_read(fcsr));
	csr_write(frm, 2);
	CHECK_EQ("frm written", 0x40, csr_read(fcsr));
	csr_write(fcsr, 0);

	/* flags accrue */
	__asm__ volatile("fmv.d.x ft0, %1\n\t"
	                 "fmv.d.x ft1, %2\n\t"
	                 "fdiv.d ft2, ft0, ft1\n\t" /* 1/0: DZ */
	                 "fmv.d.x ft1, %3\n\t"
	                 "fdiv.d ft2, ft0, ft1\n\t" /* 1/3: NX */
	                 "csrr %0, fflags"
	                 : "=r"(v)
	                 : "r"(D_ONE), "r"(D_PZ), "r"(D_THREE)
	                 : "ft0", "ft1", "ft2");
	CHECK_EQ("fflags accrue DZ|NX", DZ | NX, v);
	__asm__ volatile("csrrci %0, fflags, 1" : "=r"(v));
	CHECK_EQ("csrrci fflags old", DZ | NX, v);
	CHECK_EQ("csrrci fflags new", DZ, csr_read(fflags));
	csr_write(fcsr, 0);

	/* an exact operation leaves the accrued flags alone */
	csr_write(fflags, OF);
	__asm__ volatile("fmv.d.x ft0, %2\n\t"
	                 "fadd.d ft1, ft0, ft0\n\t"
	                 "fmv.x.d %0, ft1\n\t"
	                 "csrr %1, fflags"
	                 : "=r"(v), "=r"(o.fl)
	                 : "r"(D_ONE)
	                 : "ft0", "ft1");
	CHECK_EQ("1+1", D_TWO, v);
	CHECK_EQ("exact op keeps accrued fflags", OF, o.fl);
	csr_write(fcsr, 0);
}

/* invalid rounding modes: static rm 5/6 and dynamic with frm 5..7 are illegal */
static void test_bad_rm(void)
{
	struct trap_info ti;
	u64 pc;
	unsigned frm;

	expect_trap_begin();
	__asm__ volatile("lla %0, 1f\n1:\t.4byte 0x001051d3" : "=&r"(pc)::"memory"); /* rm=5 */
	ti = expect_trap_end();
	CHECK_TRAP("fadd.s with rm=5", &ti, CAUSE_ILLEGAL_INSN, pc, 0x001051d3);
	expect_trap_begin();
	__asm__ volatile("lla %0, 1f\n1:\t.4byte 0x001061d3" : "=&r"(pc)::"memory"); /* rm=6 */
	ti = expect_trap_end();
	CHECK_TRAP("fadd.s with rm=6", &ti, CAUSE_ILLEGAL_INSN, pc, 0x001061d3);
	for (frm = 5; frm < 8; frm++) {
		csr_write(frm, frm);
		CHECK_EQ("frm holds an invalid mode", frm, csr_read(frm));
		expect_trap_begin();
		__asm__ volatile("lla %0, 1f\n1:\tfadd.s ft3, ft0, ft1, dyn"
		                 : "=&r"(pc)::"ft3", "memory");
		ti = expect_trap_end();
		CHECK_TRAP("fadd.s dyn with invalid frm", &ti, CAUSE_ILLEGAL_INSN, pc,
		           *(volatile u32 *)pc);
		/* an op without rounding is fine */
		expect_trap_begin();
		__asm__ volatile("fsgnj.s ft3, ft0, ft1\n\tfmin.d ft3, ft0, ft1" ::
		                     : "ft3", "memory");
		ti = expect_trap_end();
		CHECK_NO_TRAP("fsgnj/fmin with invalid frm", &ti);
	}
	csr_write(fcsr, 0);
}

/* ---- sstatus.FS ---- */
static u64 fs(void)
{
	return csr_read(sstatus) & SSTATUS_FS;
}

static void set_fs(u64 v)
{
	csr_clear(sstatus, SSTATUS_FS);
	csr_set(sstatus, v);
}

static void check_sd(const char *what)
{
	u64 s = csr_read(sstatus);
	int dirty = (s & SSTATUS_FS) == SSTATUS_FS || (s & SSTATUS_XS) == SSTATUS_XS ||
	            (s & SSTATUS_VS) == SSTATUS_VS;

	CHECK_EQ(what, dirty ? SSTATUS_SD : 0, s & SSTATUS_SD);
}

static u64 fsbuf[2];

#define FS_OFF_TRAP(what, text, ...)                                                             \
	do {                                                                                     \
		u64 pc_;                                                                         \
		expect_trap_begin();                                                             \
		__asm__ volatile("lla %0, 1f\n1:\t" text : "=&r"(pc_) : __VA_ARGS__ : "memory"); \
		ti = expect_trap_end();                                                          \
		CHECK_TRAP(what, &ti, CAUSE_ILLEGAL_INSN, pc_, insn_bits(pc_));                  \
	} while (0)

static u64 insn_bits(u64 pc)
{
	u16 lo = *(volatile u16 *)pc;

	if ((lo & 3) != 3)
		return lo;
	return lo | ((u64) * (volatile u16 *)(pc + 2) << 16);
}

static void test_fs(void)
{
	struct trap_info ti;
	u64 v;

	/* Off: every FP instruction and FP CSR access is illegal */
	set_fs(SSTATUS_FS_OFF);
	CHECK_EQ("FS reads Off", SSTATUS_FS_OFF, fs());
	check_sd("SD with FS=Off");
	FS_OFF_TRAP("FS=Off: fadd.d", "fadd.d ft0, ft1, ft2");
	FS_OFF_TRAP("FS=Off: fmv.x.d", "fmv.x.d x0, ft0");
	FS_OFF_TRAP("FS=Off: fmv.w.x", "fmv.w.x ft0, x0");
	FS_OFF_TRAP("FS=Off: flw", "flw ft0, 0(%1)", "r"(fsbuf));
	FS_OFF_TRAP("FS=Off: fsd", "fsd ft0, 0(%1)", "r"(fsbuf));
	FS_OFF_TRAP("FS=Off: c.fld", "c.fld fa0, 0(%1)", "r"(fsbuf));
	FS_OFF_TRAP("FS=Off: c.fsdsp", "c.fsdsp ft0, 8(sp)");
	FS_OFF_TRAP("FS=Off: csrr fflags", "csrr x0, fflags");
	FS_OFF_TRAP("FS=Off: csrw frm", "csrw frm, x0");
	FS_OFF_TRAP("FS=Off: csrr fcsr", "csrr x0, fcsr");
	FS_OFF_TRAP("FS=Off: fmadd.s", "fmadd.s ft0, ft1, ft2, ft3");
	FS_OFF_TRAP("FS=Off: fcvt.w.d", "fcvt.w.d x0, ft0, rtz");
	CHECK_EQ("FS still Off after the traps", SSTATUS_FS_OFF, fs());

	/* Initial -> Dirty on an FP register write */
	set_fs(SSTATUS_FS_INIT);
	CHECK_EQ("FS reads Initial", SSTATUS_FS_INIT, fs());
	check_sd("SD with FS=Initial");
	__asm__ volatile("fmv.d.x ft0, %0" ::"r"(D_ONE) : "ft0");
	CHECK_EQ("FS Dirty after fmv.d.x", SSTATUS_FS_DIRTY, fs());
	CHECK_EQ("SD set with FS=Dirty", SSTATUS_SD, csr_read(sstatus) & SSTATUS_SD);

	/* Clean -> Dirty on arithmetic, on fflags/frm writes, on loads */
	set_fs(SSTATUS_FS_CLEAN);
	CHECK_EQ("FS reads Clean", SSTATUS_FS_CLEAN, fs());
	check_sd("SD with FS=Clean");
	__asm__ volatile("fadd.d ft1, ft0, ft0" ::: "ft1");
	CHECK_EQ("FS Dirty after fadd.d", SSTATUS_FS_DIRTY, fs());
	set_fs(SSTATUS_FS_CLEAN);
	csr_write(fflags, 0);
	CHECK_EQ("FS Dirty after csrw fflags", SSTATUS_FS_DIRTY, fs());
	set_fs(SSTATUS_FS_CLEAN);
	csr_write(frm, 0);
	CHECK_EQ("FS Dirty after csrw frm", SSTATUS_FS_DIRTY, fs());
	set_fs(SSTATUS_FS_CLEAN);
	__asm__ volatile("fld ft1, 0(%0)" ::"r"(fsbuf) : "ft1", "memory");
	CHECK_EQ("FS Dirty after fld", SSTATUS_FS_DIRTY, fs());
	set_fs(SSTATUS_FS_CLEAN);
	__asm__ volatile("fcvt.s.w ft1, %0" ::"r"(3L) : "ft1");
	CHECK_EQ("FS Dirty after fcvt.s.w", SSTATUS_FS_DIRTY, fs());
	/* and an FP op that only writes an integer register still works */
	set_fs(SSTATUS_FS_CLEAN);
	__asm__ volatile("fmv.x.d %0, ft1" : "=r"(v));
	CHECK("FS not Off after fmv.x.d", fs() != SSTATUS_FS_OFF);
	set_fs(SSTATUS_FS_INIT);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	csr_write(fcsr, 0);
	test_rounded();
	test_unrounded();
	test_load_store();
	test_fcsr();
	test_bad_rm();
	test_fs();
}
