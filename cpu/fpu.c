/*
 * RISC-V F/D floating-point unit.
 *
 * Strategy:
 *  - add/sub/mul/div/sqrt/fma in RNE, RTZ, RDN and RUP run on the host FPU (SSE on x86-64).
 *    Fast path (x86-64, the common case): the host computes in RNE without any MXCSR write;
 *    inexactness and the directed-mode results come from exact error terms, and the rare
 *    flags from reading MXCSR (see "Fast path" below). Slow path (special operands, tiny
 *    results, unexpected host state, non-x86 hosts): the rounding mode and the flags go
 *    through MXCSR (fenv elsewhere). NaN results are replaced by the canonical NaN.
 *  - RMM (round to nearest, ties to max magnitude) has no host equivalent: operations on
 *    finite nonzero operands are done exactly in integer arithmetic and rounded by
 *    round_pack(). Operations with a zero, infinite or NaN operand never round (or only produce
 *    a zero whose sign is the same as in RNE), so they go to the host in RNE. sqrt in RMM is
 *    the same as in RNE: a square root is never exactly halfway between two floats, and its
 *    result is never subnormal.
 *  - Conversions, comparisons, min/max and fclass are done in integer arithmetic.
 *
 * Host FP operations are fenced by empty asm statements that make their operands and result
 * opaque to the compiler, so they can neither be constant-folded nor moved across the
 * rounding-mode / flag accesses; no -frounding-math is needed. Floating-point contraction
 * (-ffp-contract, e.g. with -march=native) is harmless: every product that could be contracted
 * is exact.
 *
 * Host state: each call clears/ignores stale host exception flags, never depends on the host
 * rounding mode or DAZ/FTZ, and leaves MXCSR in round-to-nearest with DAZ/FTZ off whenever it
 * had to write it. There is no mutable global state.
 */
#include "cpu/fpu.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && !defined(FPU_PORTABLE_HOST)
#define FPU_HOST_SSE 1
#else
#include <fenv.h>
#endif

typedef unsigned __int128 u128;

#define SIGN32 0x80000000u
#define SIGN64 0x8000000000000000ull

/* ---------------------------------------------------------------------------------------- */
/* Bit casts                                                                                */

static inline float f32_val(uint32_t x)
{
	float f;
	memcpy(&f, &x, sizeof(f));
	return f;
}

static inline uint32_t f32_bits(float f)
{
	uint32_t x;
	memcpy(&x, &f, sizeof(x));
	return x;
}

static inline double f64_val(uint64_t x)
{
	double f;
	memcpy(&f, &x, sizeof(f));
	return f;
}

static inline uint64_t f64_bits(double f)
{
	uint64_t x;
	memcpy(&x, &f, sizeof(x));
	return x;
}

static inline uint32_t canon32(uint32_t x)
{
	return (x & ~SIGN32) > 0x7f800000u ? F32_CANONICAL_NAN : x;
}

static inline uint64_t canon64(uint64_t x)
{
	return (x & ~SIGN64) > 0x7ff0000000000000ull ? F64_CANONICAL_NAN : x;
}

/* ---------------------------------------------------------------------------------------- */
/* Host FP environment                                                                      */

#ifdef FPU_HOST_SSE
/* MXCSR: all exceptions masked, flags clear, DAZ and FTZ off, round to nearest. */
#define MXCSR_BASE   0x1f80u
#define MXCSR_RARE   0x1du /* IE, ZE, OE, UE */
#define MXCSR_IGNORE 0x22u /* PE, DE */
/* Rounding-control bits indexed by RISC-V rm (RNE, RTZ, RDN, RUP). */
static const uint32_t mxcsr_rc[4] = { 0x0000, 0x6000, 0x2000, 0x4000 };

/* Select the rounding mode and clear the host flags (and force DAZ/FTZ off). */
static inline void host_enter(unsigned rm)
{
	uint32_t csr = MXCSR_BASE | mxcsr_rc[rm];
	__asm__ volatile("ldmxcsr %0" : : "m"(csr));
}

/* Read the flags raised since host_enter() and restore round-to-nearest. */
static inline uint32_t host_leave(unsigned rm)
{
	uint32_t csr, base = MXCSR_BASE;
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	/* Also clear rare flags so that the next call can take the fast path. */
	if (rm != RM_RNE || (csr & MXCSR_RARE))
		__asm__ volatile("ldmxcsr %0" : : "m"(base));
	/* IE->NV, ZE->DZ, OE->OF, UE->UF, PE->NX (DE, the denormal-operand flag, is ignored). */
	return ((csr & 1) << 4) | ((csr & 4) << 1) | ((csr >> 1) & 4) | ((csr >> 3) & 2) |
	       ((csr >> 5) & 1);
}

/* Make a value opaque to the optimiser (keeps it in an SSE register). */
#define HIDE(v) __asm__ volatile("" : "+x"(v))

static inline float host_sqrtf(float x)
{
	float r;
	__asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
	return r;
}

static inline double host_sqrt(double x)
{
	double r;
	__asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
	return r;
}
#else
static const int fenv_rm[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD };

static inline void host_enter(unsigned rm)
{
	fesetround(fenv_rm[rm]);
	feclearexcept(FE_ALL_EXCEPT);
}

static inline uint32_t host_leave(unsigned rm)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	uint32_t fl = 0;
	if (rm != RM_RNE)
		fesetround(FE_TONEAREST);
	if (e & FE_INVALID)
		fl |= FFLAG_NV;
	if (e & FE_DIVBYZERO)
		fl |= FFLAG_DZ;
	if (e & FE_OVERFLOW)
		fl |= FFLAG_OF;
	if (e & FE_UNDERFLOW)
		fl |= FFLAG_UF;
	if (e & FE_INEXACT)
		fl |= FFLAG_NX;
	return fl;
}

#define HIDE(v) __asm__ volatile("" : "+m"(v))

static inline float host_sqrtf(float x)
{
	return sqrtf(x);
}

static inline double host_sqrt(double x)
{
	return sqrt(x);
}
#endif

/* Rounding mode for the host: RMM (and the reserved values) map to RNE. */
static inline unsigned host_rm(enum fpu_rm rm)
{
	return (unsigned)rm < 4 ? (unsigned)rm : RM_RNE;
}

typedef float fp32_t;
typedef double fp64_t;

#define DEFINE_HOST_BINOP(prec, name, op)                                                          \
	static uint##prec##_t host##prec##_##name(uint##prec##_t a, uint##prec##_t b, unsigned rm, \
	                                          uint32_t *fflags)                                \
	{                                                                                          \
		fp##prec##_t x = f##prec##_val(a), y = f##prec##_val(b), r;                        \
		host_enter(rm);                                                                    \
		HIDE(x);                                                                           \
		HIDE(y);                                                                           \
		r = x op y;                                                                        \
		HIDE(r);                                                                           \
		*fflags |= host_leave(rm);                                                         \
		return canon##prec(f##prec##_bits(r));                                             \
	}

DEFINE_HOST_BINOP(32, add, +)
DEFINE_HOST_BINOP(32, sub, -)
DEFINE_HOST_BINOP(32, mul, *)
DEFINE_HOST_BINOP(32, div, /)
DEFINE_HOST_BINOP(64, add, +)
DEFINE_HOST_BINOP(64, sub, -)
DEFINE_HOST_BINOP(64, mul, *)
DEFINE_HOST_BINOP(64, div, /)

static uint32_t host32_sqrt(uint32_t a, unsigned rm, uint32_t *fflags)
{
	float x = f32_val(a), r;
	host_enter(rm);
	HIDE(x);
	r = host_sqrtf(x);
	HIDE(r);
	*fflags |= host_leave(rm);
	return canon32(f32_bits(r));
}

static uint64_t host64_sqrt(uint64_t a, unsigned rm, uint32_t *fflags)
{
	double x = f64_val(a), r;
	host_enter(rm);
	HIDE(x);
	r = host_sqrt(x);
	HIDE(r);
	*fflags |= host_leave(rm);
	return canon64(f64_bits(r));
}

/* ---------------------------------------------------------------------------------------- */
/* Format descriptions and classification                                                   */

struct fmt {
	int p;     /* significand bits, including the implicit one */
	int ebits; /* exponent field bits */
};

static const struct fmt F32 = { 24, 8 };
static const struct fmt F64 = { 53, 11 };

static inline int fmt_bias(const struct fmt *f)
{
	return (1 << (f->ebits - 1)) - 1;
}

static inline uint64_t fmt_sign(const struct fmt *f)
{
	return 1ull << (f->p - 1 + f->ebits);
}

static inline uint64_t fmt_inf(const struct fmt *f)
{
	return (uint64_t)((1 << f->ebits) - 1) << (f->p - 1);
}

static inline uint64_t fmt_frac_mask(const struct fmt *f)
{
	return (1ull << (f->p - 1)) - 1;
}

static inline uint64_t fmt_canon(const struct fmt *f)
{
	return fmt_inf(f) | (1ull << (f->p - 2));
}

static inline uint64_t fmt_abs(const struct fmt *f, uint64_t x)
{
	return x & (fmt_sign(f) - 1);
}

static inline int is_nan(const struct fmt *f, uint64_t x)
{
	return fmt_abs(f, x) > fmt_inf(f);
}

static inline int is_snan(const struct fmt *f, uint64_t x)
{
	return is_nan(f, x) && !((x >> (f->p - 2)) & 1);
}

static inline int is_inf(const struct fmt *f, uint64_t x)
{
	return fmt_abs(f, x) == fmt_inf(f);
}

static inline int is_zero(const struct fmt *f, uint64_t x)
{
	return fmt_abs(f, x) == 0;
}

static inline int is_finite(const struct fmt *f, uint64_t x)
{
	return fmt_abs(f, x) < fmt_inf(f);
}

static inline int is_finite_nonzero(const struct fmt *f, uint64_t x)
{
	return fmt_abs(f, x) - 1 < fmt_inf(f) - 1;
}

/* A finite number as (-1)^sign * sig * 2^exp. */
struct unp {
	int sign;
	int exp;
	uint64_t sig;
};

static inline struct unp unpack(const struct fmt *f, uint64_t x)
{
	struct unp u;
	int ef = (int)((x >> (f->p - 1)) & ((1u << f->ebits) - 1));

	u.sign = (x & fmt_sign(f)) != 0;
	u.sig = x & fmt_frac_mask(f);
	if (ef == 0)
		ef = 1; /* subnormal */
	else
		u.sig |= 1ull << (f->p - 1);
	u.exp = ef - fmt_bias(f) - (f->p - 1);
	return u;
}

/* Shift a nonzero significand so that its top set bit is bit `top`. */
static inline void norm_to(struct unp *u, int top)
{
	int sh = top - (63 - __builtin_clzll(u->sig));
	u->sig <<= sh;
	u->exp -= sh;
}

/* ---------------------------------------------------------------------------------------- */
/* Rounding                                                                                 */

/*
 * Return x >> s (s >= 0). *cmp compares the dropped bits with half a unit of the result
 * (-1 below, 0 exactly half, 1 above); *inexact tells whether any dropped bit was set.
 */
static inline uint64_t shr_round_info(uint64_t x, int s, int *cmp, int *inexact)
{
	uint64_t kept, rest, half;

	if (s <= 0) {
		*cmp = -1;
		*inexact = 0;
		return x;
	}
	if (s > 64) {
		*cmp = -1;
		*inexact = x != 0;
		return 0;
	}
	if (s == 64) {
		kept = 0;
		rest = x;
		half = 1ull << 63;
	} else {
		kept = x >> s;
		rest = x & ((1ull << s) - 1);
		half = 1ull << (s - 1);
	}
	*inexact = rest != 0;
	*cmp = rest < half ? -1 : rest > half;
	return kept;
}

/* Whether a truncated magnitude `kept` must be incremented. */
static inline int round_inc(unsigned rm, int sign, uint64_t kept, int cmp, int inexact)
{
	switch (rm) {
	case RM_RTZ: return 0;
	case RM_RDN: return inexact && sign;
	case RM_RUP: return inexact && !sign;
	case RM_RMM: return cmp >= 0;
	default: return cmp > 0 || (cmp == 0 && (kept & 1));
	}
}

static inline uint64_t overflow_result(const struct fmt *f, int sign, unsigned rm)
{
	int to_inf;

	switch (rm) {
	case RM_RTZ: to_inf = 0; break;
	case RM_RDN: to_inf = sign; break;
	case RM_RUP: to_inf = !sign; break;
	default: to_inf = 1; break;
	}
	return (sign ? fmt_sign(f) : 0) | (to_inf ? fmt_inf(f) : fmt_inf(f) - 1);
}

/*
 * Round (-1)^sign * sig * 2^exp (sig != 0) to format f and encode it. If the exact value had
 * more bits than sig holds, bit 0 of sig must be a sticky bit (OR of everything below) and the
 * top set bit of sig must be at bit 60 or higher. Tininess is detected after rounding.
 */
static uint64_t round_pack(const struct fmt *f, int sign, int exp, uint64_t sig, unsigned rm,
                           uint32_t *fflags)
{
	const int p = f->p, bias = fmt_bias(f), emin = 1 - bias, emax = bias;
	const uint64_t sbit = sign ? fmt_sign(f) : 0;
	int lz = __builtin_clzll(sig), e, cmp, inexact, tiny;
	uint64_t kept;

	sig <<= lz;
	exp -= lz;
	e = exp + 63; /* the value is in [2^e, 2^(e+1)) */

	if (e < emin) {
		/* Tiny unless rounding to p bits with an unbounded exponent reaches 2^emin. */
		tiny = 1;
		if (e == emin - 1) {
			kept = shr_round_info(sig, 64 - p, &cmp, &inexact);
			if (kept + round_inc(rm, sign, kept, cmp, inexact) == 1ull << p)
				tiny = 0;
		}
		kept = shr_round_info(sig, 64 - p + (emin - e), &cmp, &inexact);
		kept += round_inc(rm, sign, kept, cmp, inexact);
		if (inexact)
			*fflags |= tiny ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
		/* kept <= 2^(p-1); 2^(p-1) is exactly the encoding of the smallest normal. */
		return sbit | kept;
	}

	kept = shr_round_info(sig, 64 - p, &cmp, &inexact);
	kept += round_inc(rm, sign, kept, cmp, inexact);
	if (kept >> p) {
		kept >>= 1;
		e++;
	}
	if (e > emax) {
		*fflags |= FFLAG_OF | FFLAG_NX;
		return overflow_result(f, sign, rm);
	}
	if (inexact)
		*fflags |= FFLAG_NX;
	return sbit | ((uint64_t)(e + bias) << (p - 1)) | (kept & fmt_frac_mask(f));
}

static inline int clz128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64);
	return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

/* round_pack() for a 128-bit significand (bit 0 sticky as above, top bit >= 124 if so). */
static uint64_t round_pack128(const struct fmt *f, int sign, int exp, u128 sig, unsigned rm,
                              uint32_t *fflags)
{
	int lz;

	if (!(sig >> 64))
		return round_pack(f, sign, exp, (uint64_t)sig, rm, fflags);
	lz = clz128(sig);
	sig <<= lz;
	exp -= lz;
	return round_pack(f, sign, exp + 64, (uint64_t)(sig >> 64) | ((uint64_t)sig != 0), rm,
	                  fflags);
}

static inline uint64_t shr_sticky(uint64_t x, int s)
{
	if (s <= 0)
		return x;
	if (s >= 64)
		return x != 0;
	return (x >> s) | ((x << (64 - s)) != 0);
}

static inline u128 shr128_sticky(u128 x, int s)
{
	if (s <= 0)
		return x;
	if (s >= 128)
		return x != 0;
	return (x >> s) | ((x << (128 - s)) != 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Fast path (x86-64)                                                                       */

/*
 * Writing MXCSR (to select a rounding mode or to clear the sticky flags) stalls the pipeline
 * when it follows FP work: it costs several times more than the operation itself. The fast
 * path therefore never writes MXCSR:
 *  - the operation is done in round-to-nearest-even, which the host is already in (checked);
 *  - NV, DZ, OF and UF are read from MXCSR: they must be clear before the operation (checked),
 *    so if one is set afterwards this operation raised it and the slow path takes over;
 *  - inexactness, and the direction of the rounding error, come from an exact error term
 *    (2Sum, or an FMA residual, or double-precision arithmetic for single precision);
 *  - RTZ/RDN/RUP results are the RNE result moved by one ulp when it is on the wrong side.
 * Results whose magnitude is below GUARD (where error terms could underflow and where
 * tininess depends on the rounding mode), infinities and NaNs go to the slow path.
 */
#if defined(FPU_HOST_SSE) && !defined(FPU_NO_FAST_PATH)
#define FPU_FAST 1

#define MXCSR_RARE   0x1du                 /* IE, ZE, OE, UE */
#define MXCSR_IGNORE 0x22u                 /* PE, DE */
#define GUARD32      0x0d800000u           /* 2^-100 */
#define GUARD64      0x03f0000000000000ull /* 2^-960 */

static inline uint32_t mxcsr_get(void)
{
	uint32_t csr;
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	return csr;
}

/* Read MXCSR after the operation that produced v. */
#define MXCSR_AFTER(csr, v) __asm__ volatile("stmxcsr %0" : "=m"(csr), "+x"(v))

static inline int fast_ok(uint32_t before, uint32_t after)
{
	return (before & ~MXCSR_IGNORE) == MXCSR_BASE && !(after & MXCSR_RARE);
}

static inline int in_range32(uint32_t x, uint32_t lo)
{
	x &= ~SIGN32;
	return x >= lo && x < 0x7f800000u;
}

static inline int in_range64(uint64_t x, uint64_t lo)
{
	x &= ~SIGN64;
	return x >= lo && x < 0x7ff0000000000000ull;
}

static inline int have_fma(void)
{
	return __builtin_cpu_supports("fma");
}

static inline double hw_fma64(double a, double b, double c)
{
	__asm__("vfmadd231sd %2, %1, %0" : "+x"(c) : "x"(a), "x"(b));
	return c;
}

static inline float hw_fma32(float a, float b, float c)
{
	__asm__("vfmadd231ss %2, %1, %0" : "+x"(c) : "x"(a), "x"(b));
	return c;
}

/*
 * Result for an inexact operation from its RNE result rb (finite, |rb| >= GUARD) and the sign
 * `dir` of (exact - rb).
 */
static inline uint64_t fast_finish(const struct fmt *f, uint64_t rb, int dir, unsigned rm,
                                   uint32_t *fflags)
{
	int neg = (rb & fmt_sign(f)) != 0;

	*fflags |= FFLAG_NX;
	switch (rm) {
	case RM_RTZ:
		if (dir == (neg ? 1 : -1))
			rb--; /* one step toward zero */
		break;
	case RM_RDN:
		if (dir < 0)
			rb += neg ? 1 : (uint64_t)-1;
		break;
	case RM_RUP:
		if (dir > 0)
			rb += neg ? (uint64_t)-1 : 1;
		break;
	default: break;
	}
	if (fmt_abs(f, rb) == fmt_inf(f))
		*fflags |= FFLAG_OF;
	return rb;
}

static inline int sign_of(double v)
{
	return (v > 0) - (v < 0);
}

/* x + y; returns 0 to ask for the slow path. */
static inline int fast32_add(uint32_t a, uint32_t b, unsigned rm, uint32_t *res, uint32_t *fflags)
{
	float x = f32_val(a), y = f32_val(b), r, bb, e;
	uint32_t s0 = mxcsr_get(), s1, rb;

	HIDE(x);
	HIDE(y);
	r = x + y;
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	rb = f32_bits(r);
	if (!fast_ok(s0, s1) || !in_range32(rb, rm == RM_RNE ? 0 : GUARD32))
		return 0;
	bb = r - x; /* 2Sum: e = (x + y) - r exactly */
	e = (x - (r - bb)) + (y - bb);
	if (e == 0) {
		*res = rb;
		return 1;
	}
	if (!in_range32(f32_bits(e), 0))
		return 0;
	*res = (uint32_t)fast_finish(&F32, rb, sign_of(e), rm, fflags);
	return 1;
}

static inline int fast64_add(uint64_t a, uint64_t b, unsigned rm, uint64_t *res, uint32_t *fflags)
{
	double x = f64_val(a), y = f64_val(b), r, bb, e;
	uint32_t s0 = mxcsr_get(), s1;
	uint64_t rb;

	HIDE(x);
	HIDE(y);
	r = x + y;
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	rb = f64_bits(r);
	if (!fast_ok(s0, s1) || !in_range64(rb, rm == RM_RNE ? 0 : GUARD64))
		return 0;
	bb = r - x;
	e = (x - (r - bb)) + (y - bb);
	if (e == 0) {
		*res = rb;
		return 1;
	}
	if (!in_range64(f64_bits(e), 0))
		return 0;
	*res = fast_finish(&F64, rb, sign_of(e), rm, fflags);
	return 1;
}

static inline int fast32_mul(uint32_t a, uint32_t b, unsigned rm, uint32_t *res, uint32_t *fflags)
{
	float x = f32_val(a), y = f32_val(b), r;
	uint32_t s0 = mxcsr_get(), s1, rb;
	double e;

	HIDE(x);
	HIDE(y);
	r = x * y;
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	rb = f32_bits(r);
	if (!fast_ok(s0, s1) || !in_range32(rb, GUARD32))
		return 0;
	e = (double)x * y - r; /* the product is exact in double, the difference too */
	if (e == 0) {
		*res = rb;
		return 1;
	}
	*res = (uint32_t)fast_finish(&F32, rb, sign_of(e), rm, fflags);
	return 1;
}

static inline int fast64_mul(uint64_t a, uint64_t b, unsigned rm, uint64_t *res, uint32_t *fflags)
{
	double x = f64_val(a), y = f64_val(b), r, e;
	uint32_t s0, s1;
	uint64_t rb;

	if (!have_fma())
		return 0;
	s0 = mxcsr_get();
	HIDE(x);
	HIDE(y);
	r = x * y;
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	rb = f64_bits(r);
	if (!fast_ok(s0, s1) || !in_range64(rb, GUARD64))
		return 0;
	e = hw_fma64(x, y, -r); /* exact: x*y - r */
	if (e == 0) {
		*res = rb;
		return 1;
	}
	*res = fast_finish(&F64, rb, sign_of(e), rm, fflags);
	return 1;
}

static inline int fast32_div(uint32_t a, uint32_t b, unsigned rm, uint32_t *res, uint32_t *fflags)
{
	float x = f32_val(a), y = f32_val(b), q;
	uint32_t s0 = mxcsr_get(), s1, qb;
	double rem;

	HIDE(x);
	HIDE(y);
	q = x / y;
	MXCSR_AFTER(s1, q);
	HIDE(x);
	HIDE(y);
	qb = f32_bits(q);
	if (!fast_ok(s0, s1) || !in_range32(qb, GUARD32) || !in_range32(a, GUARD32))
		return 0;
	rem = x - (double)q * y; /* exact: q*y is exact in double and close to x */
	if (rem == 0) {
		*res = qb;
		return 1;
	}
	*res = (uint32_t)fast_finish(&F32, qb, sign_of(rem) * sign_of(y), rm, fflags);
	return 1;
}

static inline int fast64_div(uint64_t a, uint64_t b, unsigned rm, uint64_t *res, uint32_t *fflags)
{
	double x = f64_val(a), y = f64_val(b), q, rem;
	uint32_t s0, s1;
	uint64_t qb;

	if (!have_fma())
		return 0;
	s0 = mxcsr_get();
	HIDE(x);
	HIDE(y);
	q = x / y;
	MXCSR_AFTER(s1, q);
	HIDE(x);
	HIDE(y);
	qb = f64_bits(q);
	if (!fast_ok(s0, s1) || !in_range64(qb, GUARD64) || !in_range64(a, GUARD64))
		return 0;
	rem = hw_fma64(-q, y, x); /* exact remainder x - q*y */
	if (rem == 0) {
		*res = qb;
		return 1;
	}
	*res = fast_finish(&F64, qb, sign_of(rem) * sign_of(y), rm, fflags);
	return 1;
}

static inline int fast32_sqrt(uint32_t a, unsigned rm, uint32_t *res, uint32_t *fflags)
{
	float x = f32_val(a), r;
	uint32_t s0 = mxcsr_get(), s1, rb;
	double rem;

	HIDE(x);
	r = host_sqrtf(x);
	MXCSR_AFTER(s1, r);
	HIDE(x);
	rb = f32_bits(r);
	if (!fast_ok(s0, s1) || (a & SIGN32) || !in_range32(a, GUARD32))
		return 0;
	rem = x - (double)r * r; /* exact */
	if (rem == 0) {
		*res = rb;
		return 1;
	}
	*res = (uint32_t)fast_finish(&F32, rb, sign_of(rem), rm, fflags);
	return 1;
}

static inline int fast64_sqrt(uint64_t a, unsigned rm, uint64_t *res, uint32_t *fflags)
{
	double x = f64_val(a), r, rem;
	uint32_t s0, s1;
	uint64_t rb;

	if (!have_fma())
		return 0;
	s0 = mxcsr_get();
	HIDE(x);
	r = host_sqrt(x);
	MXCSR_AFTER(s1, r);
	HIDE(x);
	rb = f64_bits(r);
	if (!fast_ok(s0, s1) || (a & SIGN64) || !in_range64(a, GUARD64))
		return 0;
	rem = hw_fma64(-r, r, x); /* exact x - r*r */
	if (rem == 0) {
		*res = rb;
		return 1;
	}
	*res = fast_finish(&F64, rb, sign_of(rem), rm, fflags);
	return 1;
}

static inline int fast32_fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t *res,
                             uint32_t *fflags)
{
	float x = f32_val(a), y = f32_val(b), z = f32_val(c), r;
	uint32_t s0, s1, rb;
	double p, th, bb, tl, diff;

	if (!have_fma())
		return 0;
	s0 = mxcsr_get();
	HIDE(x);
	HIDE(y);
	HIDE(z);
	r = hw_fma32(x, y, z);
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	HIDE(z);
	rb = f32_bits(r);
	if (!fast_ok(s0, s1) || !in_range32(rb, GUARD32))
		return 0;
	/* x*y + z = th + tl exactly (the product is exact in double, then 2Sum). */
	p = (double)x * y;
	th = p + z;
	bb = th - p;
	tl = (p - (th - bb)) + (z - bb);
	diff = th - r; /* exact: th and r are both within 2^-24 of x*y + z */
	diff += tl;    /* rounded, but with the sign of the exact error */
	if (diff == 0) {
		*res = rb;
		return 1;
	}
	*res = (uint32_t)fast_finish(&F32, rb, sign_of(diff), rm, fflags);
	return 1;
}

static inline int fast64_fma(uint64_t a, uint64_t b, uint64_t c, unsigned rm, uint64_t *res,
                             uint32_t *fflags)
{
	double x = f64_val(a), y = f64_val(b), z = f64_val(c), r, ph, pl, dh, bb, dl;
	uint32_t s0, s1;
	uint64_t rb;
	int dir;

	if (!have_fma())
		return 0;
	s0 = mxcsr_get();
	HIDE(x);
	HIDE(y);
	HIDE(z);
	r = hw_fma64(x, y, z);
	MXCSR_AFTER(s1, r);
	HIDE(x);
	HIDE(y);
	HIDE(z);
	rb = f64_bits(r);
	if (!fast_ok(s0, s1) || !in_range64(rb, GUARD64))
		return 0;
	/*
	 * exact - r = x*y - (r - z) = (ph + pl) - (dh + dl), both pairs exact with
	 * ph = RN(x*y) and dh = RN(r - z). RN is monotonic, so if ph != dh their order gives the
	 * sign; otherwise the sign is that of pl - dl.
	 */
	ph = x * y;
	if (!in_range64(f64_bits(ph), GUARD64))
		return 0;
	pl = hw_fma64(x, y, -ph);
	dh = r - z;
	bb = dh - r;
	dl = (r - (dh - bb)) + (-z - bb);
	if (!in_range64(f64_bits(dh), 0) || !in_range64(f64_bits(dl), 0))
		return 0;
	dir = ph != dh ? sign_of(ph - dh) : (pl > dl) - (pl < dl);
	if (!dir) {
		*res = rb;
		return 1;
	}
	*res = fast_finish(&F64, rb, dir, rm, fflags);
	return 1;
}
#endif

/* ---------------------------------------------------------------------------------------- */
/* Exact integer implementations, for finite nonzero operands (used for RMM)                */

static inline uint64_t exact_zero(const struct fmt *f, unsigned rm)
{
	return rm == RM_RDN ? fmt_sign(f) : 0;
}

static uint64_t soft_add(const struct fmt *f, uint64_t a, uint64_t b, unsigned rm, uint32_t *fflags)
{
	struct unp x = unpack(f, a), y = unpack(f, b), t;
	uint64_t s;

	/* Top bit at 62: one bit of headroom for the carry, >= 9 guard bits below. */
	norm_to(&x, 62);
	norm_to(&y, 62);
	if (x.exp < y.exp) {
		t = x;
		x = y;
		y = t;
	}
	y.sig = shr_sticky(y.sig, x.exp - y.exp);
	if (x.sign == y.sign) {
		s = x.sig + y.sig;
	} else if (x.sig >= y.sig) {
		s = x.sig - y.sig;
	} else {
		s = y.sig - x.sig;
		x.sign = y.sign;
	}
	if (!s)
		return exact_zero(f, rm);
	return round_pack(f, x.sign, x.exp, s, rm, fflags);
}

static uint64_t soft_mul(const struct fmt *f, uint64_t a, uint64_t b, unsigned rm, uint32_t *fflags)
{
	struct unp x = unpack(f, a), y = unpack(f, b);

	return round_pack128(f, x.sign ^ y.sign, x.exp + y.exp, (u128)x.sig * y.sig, rm, fflags);
}

static uint64_t soft_div(const struct fmt *f, uint64_t a, uint64_t b, unsigned rm, uint32_t *fflags)
{
	struct unp x = unpack(f, a), y = unpack(f, b);
	u128 num;
	uint64_t q, r;

	norm_to(&x, 63);
	norm_to(&y, 63);
	num = (u128)x.sig << 63;
	q = (uint64_t)(num / y.sig); /* in [2^62, 2^64) */
	r = (uint64_t)(num % y.sig);
	return round_pack(f, x.sign ^ y.sign, x.exp - y.exp - 63, q | (r != 0), rm, fflags);
}

/* a*b + c with a, b finite nonzero and c finite. */
static uint64_t soft_fma(const struct fmt *f, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                         uint32_t *fflags)
{
	struct unp x = unpack(f, a), y = unpack(f, b), z;
	int sp = x.sign ^ y.sign, ep = x.exp + y.exp, sc, ec, sh, ts, te;
	u128 P = (u128)x.sig * y.sig, C, T;

	if (is_zero(f, c))
		return round_pack128(f, sp, ep, P, rm, fflags);
	z = unpack(f, c);
	sc = z.sign;
	C = z.sig;
	ec = z.exp;
	/* Top bits of both addends at bit 125: headroom for the carry, >= 19 guard bits. */
	sh = clz128(P) - 2;
	P <<= sh;
	ep -= sh;
	sh = clz128(C) - 2;
	C <<= sh;
	ec -= sh;
	if (ep < ec) {
		T = P;
		P = C;
		C = T;
		ts = sp;
		sp = sc;
		sc = ts;
		te = ep;
		ep = ec;
		ec = te;
	}
	C = shr128_sticky(C, ep - ec);
	if (sp == sc) {
		P += C;
	} else if (P >= C) {
		P -= C;
	} else {
		P = C - P;
		sp = sc;
	}
	if (!P)
		return exact_zero(f, rm);
	return round_pack128(f, sp, ep, P, rm, fflags);
}

/* fflags for an fma whose result is NaN (RISC-V: inf*0 + qNaN is invalid too). */
static uint32_t fma_nan_flags(const struct fmt *f, uint64_t a, uint64_t b, uint64_t c)
{
	if (is_snan(f, a) || is_snan(f, b) || is_snan(f, c))
		return FFLAG_NV;
	if ((is_inf(f, a) && is_zero(f, b)) || (is_zero(f, a) && is_inf(f, b)))
		return FFLAG_NV;
	if (is_nan(f, a) || is_nan(f, b) || is_nan(f, c))
		return 0;
	return FFLAG_NV; /* inf - inf */
}

/* ---------------------------------------------------------------------------------------- */
/* Arithmetic                                                                               */

#ifdef FPU_FAST
/* Return the fast-path result when there is one (`call` stores it in fr). */
#define TRY_FAST(type, call)                         \
	do {                                         \
		type fr;                             \
		if ((unsigned)rm < RM_RMM && (call)) \
			return fr;                   \
	} while (0)
#else
#define TRY_FAST(type, call) \
	do {                 \
	} while (0)
#endif

#define RMM_SOFT2(f, a, b) (rm == RM_RMM && is_finite_nonzero(f, a) && is_finite_nonzero(f, b))

uint32_t f32_add(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint32_t, fast32_add(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F32, a, b), 0))
		return (uint32_t)soft_add(&F32, a, b, RM_RMM, fflags);
	return host32_add(a, b, host_rm(rm), fflags);
}

uint32_t f32_sub(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint32_t, fast32_add(a, b ^ SIGN32, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F32, a, b), 0))
		return (uint32_t)soft_add(&F32, a, b ^ SIGN32, RM_RMM, fflags);
	return host32_sub(a, b, host_rm(rm), fflags);
}

uint32_t f32_mul(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint32_t, fast32_mul(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F32, a, b), 0))
		return (uint32_t)soft_mul(&F32, a, b, RM_RMM, fflags);
	return host32_mul(a, b, host_rm(rm), fflags);
}

uint32_t f32_div(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint32_t, fast32_div(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F32, a, b), 0))
		return (uint32_t)soft_div(&F32, a, b, RM_RMM, fflags);
	return host32_div(a, b, host_rm(rm), fflags);
}

/* RMM == RNE for sqrt: see the comment at the top of the file. */
uint32_t f32_sqrt(uint32_t a, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint32_t, fast32_sqrt(a, rm, &fr, fflags));
	return host32_sqrt(a, host_rm(rm), fflags);
}

uint64_t f64_add(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint64_t, fast64_add(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F64, a, b), 0))
		return soft_add(&F64, a, b, RM_RMM, fflags);
	return host64_add(a, b, host_rm(rm), fflags);
}

uint64_t f64_sub(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint64_t, fast64_add(a, b ^ SIGN64, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F64, a, b), 0))
		return soft_add(&F64, a, b ^ SIGN64, RM_RMM, fflags);
	return host64_sub(a, b, host_rm(rm), fflags);
}

uint64_t f64_mul(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint64_t, fast64_mul(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F64, a, b), 0))
		return soft_mul(&F64, a, b, RM_RMM, fflags);
	return host64_mul(a, b, host_rm(rm), fflags);
}

uint64_t f64_div(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint64_t, fast64_div(a, b, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F64, a, b), 0))
		return soft_div(&F64, a, b, RM_RMM, fflags);
	return host64_div(a, b, host_rm(rm), fflags);
}

uint64_t f64_sqrt(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	TRY_FAST(uint64_t, fast64_sqrt(a, rm, &fr, fflags));
	return host64_sqrt(a, host_rm(rm), fflags);
}

/* Fused a*b + c; the RISC-V variants negate a and/or c (exact, and NaNs end up canonical). */
static uint32_t fma32(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags)
{
	float x = f32_val(a), y = f32_val(b), z = f32_val(c), r;
	unsigned hrm = host_rm(rm);
	uint32_t fl, res;

	TRY_FAST(uint32_t, fast32_fma(a, b, c, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F32, a, b) && is_finite(&F32, c), 0))
		return (uint32_t)soft_fma(&F32, a, b, c, RM_RMM, fflags);
	host_enter(hrm);
	HIDE(x);
	HIDE(y);
	HIDE(z);
	r = fmaf(x, y, z);
	HIDE(r);
	fl = host_leave(hrm);
	res = f32_bits(r);
	if ((res & ~SIGN32) > 0x7f800000u) {
		fl = fma_nan_flags(&F32, a, b, c);
		res = F32_CANONICAL_NAN;
	}
	*fflags |= fl;
	return res;
}

static uint64_t fma64(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags)
{
	double x = f64_val(a), y = f64_val(b), z = f64_val(c), r;
	unsigned hrm = host_rm(rm);
	uint32_t fl;
	uint64_t res;

	TRY_FAST(uint64_t, fast64_fma(a, b, c, rm, &fr, fflags));
	if (__builtin_expect(RMM_SOFT2(&F64, a, b) && is_finite(&F64, c), 0))
		return soft_fma(&F64, a, b, c, RM_RMM, fflags);
	host_enter(hrm);
	HIDE(x);
	HIDE(y);
	HIDE(z);
	r = fma(x, y, z);
	HIDE(r);
	fl = host_leave(hrm);
	res = f64_bits(r);
	if ((res & ~SIGN64) > 0x7ff0000000000000ull) {
		fl = fma_nan_flags(&F64, a, b, c);
		res = F64_CANONICAL_NAN;
	}
	*fflags |= fl;
	return res;
}

uint32_t f32_madd(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma32(a, b, c, rm, fflags);
}

uint32_t f32_msub(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma32(a, b, c ^ SIGN32, rm, fflags);
}

uint32_t f32_nmsub(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma32(a ^ SIGN32, b, c, rm, fflags);
}

uint32_t f32_nmadd(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma32(a ^ SIGN32, b, c ^ SIGN32, rm, fflags);
}

uint64_t f64_madd(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma64(a, b, c, rm, fflags);
}

uint64_t f64_msub(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma64(a, b, c ^ SIGN64, rm, fflags);
}

uint64_t f64_nmsub(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma64(a ^ SIGN64, b, c, rm, fflags);
}

uint64_t f64_nmadd(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags)
{
	return fma64(a ^ SIGN64, b, c ^ SIGN64, rm, fflags);
}

/* ---------------------------------------------------------------------------------------- */
/* Comparisons, min/max, classify                                                           */

/* Order-preserving map of a non-NaN encoding to an unsigned key (-0 sorts below +0). */
static inline uint64_t order_key(const struct fmt *f, uint64_t x)
{
	uint64_t s = fmt_sign(f);
	return (x & s) ? ~x & (s - 1) : x | s;
}

static uint64_t fminmax(const struct fmt *f, uint64_t a, uint64_t b, int want_max, uint32_t *fflags)
{
	int an = is_nan(f, a), bn = is_nan(f, b);

	if (an || bn) {
		if (is_snan(f, a) || is_snan(f, b))
			*fflags |= FFLAG_NV;
		if (an && bn)
			return fmt_canon(f);
		return an ? b : a;
	}
	return ((order_key(f, a) < order_key(f, b)) ^ want_max) ? a : b;
}

static uint64_t fcmp_eq(const struct fmt *f, uint64_t a, uint64_t b, uint32_t *fflags)
{
	if (is_nan(f, a) || is_nan(f, b)) {
		if (is_snan(f, a) || is_snan(f, b))
			*fflags |= FFLAG_NV;
		return 0;
	}
	return a == b || (is_zero(f, a) && is_zero(f, b));
}

static uint64_t fcmp_lt(const struct fmt *f, uint64_t a, uint64_t b, int or_equal, uint32_t *fflags)
{
	if (is_nan(f, a) || is_nan(f, b)) {
		*fflags |= FFLAG_NV;
		return 0;
	}
	if (is_zero(f, a) && is_zero(f, b))
		return or_equal;
	if (or_equal)
		return order_key(f, a) <= order_key(f, b);
	return order_key(f, a) < order_key(f, b);
}

static uint64_t fclassify(const struct fmt *f, uint64_t x)
{
	int neg = (x & fmt_sign(f)) != 0;
	uint64_t mag = fmt_abs(f, x);

	if (mag > fmt_inf(f))
		return is_snan(f, x) ? FCLASS_SNAN : FCLASS_QNAN;
	if (mag == fmt_inf(f))
		return neg ? FCLASS_NEG_INF : FCLASS_POS_INF;
	if (mag == 0)
		return neg ? FCLASS_NEG_ZERO : FCLASS_POS_ZERO;
	if (mag <= fmt_frac_mask(f))
		return neg ? FCLASS_NEG_SUBNORMAL : FCLASS_POS_SUBNORMAL;
	return neg ? FCLASS_NEG_NORMAL : FCLASS_POS_NORMAL;
}

uint32_t f32_min(uint32_t a, uint32_t b, uint32_t *fflags)
{
	return (uint32_t)fminmax(&F32, a, b, 0, fflags);
}

uint32_t f32_max(uint32_t a, uint32_t b, uint32_t *fflags)
{
	return (uint32_t)fminmax(&F32, a, b, 1, fflags);
}

uint64_t f32_eq(uint32_t a, uint32_t b, uint32_t *fflags)
{
	return fcmp_eq(&F32, a, b, fflags);
}

uint64_t f32_lt(uint32_t a, uint32_t b, uint32_t *fflags)
{
	return fcmp_lt(&F32, a, b, 0, fflags);
}

uint64_t f32_le(uint32_t a, uint32_t b, uint32_t *fflags)
{
	return fcmp_lt(&F32, a, b, 1, fflags);
}

uint64_t f32_classify(uint32_t a)
{
	return fclassify(&F32, a);
}

uint64_t f64_min(uint64_t a, uint64_t b, uint32_t *fflags)
{
	return fminmax(&F64, a, b, 0, fflags);
}

uint64_t f64_max(uint64_t a, uint64_t b, uint32_t *fflags)
{
	return fminmax(&F64, a, b, 1, fflags);
}

uint64_t f64_eq(uint64_t a, uint64_t b, uint32_t *fflags)
{
	return fcmp_eq(&F64, a, b, fflags);
}

uint64_t f64_lt(uint64_t a, uint64_t b, uint32_t *fflags)
{
	return fcmp_lt(&F64, a, b, 0, fflags);
}

uint64_t f64_le(uint64_t a, uint64_t b, uint32_t *fflags)
{
	return fcmp_lt(&F64, a, b, 1, fflags);
}

uint64_t f64_classify(uint64_t a)
{
	return fclassify(&F64, a);
}

/* ---------------------------------------------------------------------------------------- */
/* Conversions                                                                              */

/* Valid rm for the software rounding: 0..4, the reserved values act as RNE. */
static inline unsigned soft_rm(enum fpu_rm rm)
{
	return (unsigned)rm <= RM_RMM ? (unsigned)rm : RM_RNE;
}

static inline uint64_t sext32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

/*
 * Float -> integer of `width` bits (32 or 64), with the saturation rules of the spec's fcvt
 * table. 32-bit results are returned sign-extended to 64 bits.
 */
static uint64_t cvt_f2i(const struct fmt *f, uint64_t x, enum fpu_rm rm, int width, int is_signed,
                        uint32_t *fflags)
{
	uint64_t max, min, mag, r;
	int cmp, inexact = 0;
	struct unp u;

	if (is_signed) {
		max = (1ull << (width - 1)) - 1;
		min = 0 - (1ull << (width - 1));
	} else {
		max = width == 64 ? ~0ull : (1ull << width) - 1;
		min = 0;
	}
	if (is_nan(f, x)) {
		r = max;
		goto invalid;
	}
	if (is_zero(f, x))
		return 0;
	if (is_inf(f, x)) {
		r = (x & fmt_sign(f)) ? min : max;
		goto invalid;
	}

	u = unpack(f, x);
	r = u.sign ? min : max; /* the result if out of range */
	if (u.exp >= 0) {
		if (u.exp >= 64 || (u.exp > 0 && (u.sig >> (64 - u.exp)) != 0))
			goto invalid;
		mag = u.sig << u.exp;
	} else {
		mag = shr_round_info(u.sig, -u.exp, &cmp, &inexact);
		mag += round_inc(soft_rm(rm), u.sign, mag, cmp, inexact);
	}

	if (is_signed) {
		if (mag > (1ull << (width - 1)) - !u.sign)
			goto invalid;
		r = u.sign ? 0 - mag : mag;
	} else if (u.sign) {
		if (mag != 0)
			goto invalid;
		r = 0;
	} else {
		if (mag > max)
			goto invalid;
		r = mag;
	}
	if (inexact)
		*fflags |= FFLAG_NX;
	return width == 32 ? sext32(r) : r;

invalid:
	*fflags |= FFLAG_NV;
	return width == 32 ? sext32(r) : r;
}

static inline uint64_t cvt_i2f(const struct fmt *f, int sign, uint64_t mag, enum fpu_rm rm,
                               uint32_t *fflags)
{
	if (!mag)
		return 0;
	return round_pack(f, sign, 0, mag, soft_rm(rm), fflags);
}

uint64_t f32_to_i32(uint32_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F32, a, rm, 32, 1, fflags);
}

uint64_t f32_to_u32(uint32_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F32, a, rm, 32, 0, fflags);
}

uint64_t f32_to_i64(uint32_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F32, a, rm, 64, 1, fflags);
}

uint64_t f32_to_u64(uint32_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F32, a, rm, 64, 0, fflags);
}

uint64_t f64_to_i32(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F64, a, rm, 32, 1, fflags);
}

uint64_t f64_to_u32(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F64, a, rm, 32, 0, fflags);
}

uint64_t f64_to_i64(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F64, a, rm, 64, 1, fflags);
}

uint64_t f64_to_u64(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_f2i(&F64, a, rm, 64, 0, fflags);
}

uint32_t i32_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	int32_t s = (int32_t)(uint32_t)v;
	return (uint32_t)cvt_i2f(&F32, s < 0, s < 0 ? 0 - (uint64_t)(int64_t)s : (uint64_t)s, rm,
	                         fflags);
}

uint32_t u32_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	return (uint32_t)cvt_i2f(&F32, 0, (uint32_t)v, rm, fflags);
}

uint32_t i64_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	int neg = (int64_t)v < 0;
	return (uint32_t)cvt_i2f(&F32, neg, neg ? 0 - v : v, rm, fflags);
}

uint32_t u64_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	return (uint32_t)cvt_i2f(&F32, 0, v, rm, fflags);
}

uint64_t i32_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	int32_t s = (int32_t)(uint32_t)v;
	return cvt_i2f(&F64, s < 0, s < 0 ? 0 - (uint64_t)(int64_t)s : (uint64_t)s, rm, fflags);
}

uint64_t u32_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_i2f(&F64, 0, (uint32_t)v, rm, fflags);
}

uint64_t i64_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	int neg = (int64_t)v < 0;
	return cvt_i2f(&F64, neg, neg ? 0 - v : v, rm, fflags);
}

uint64_t u64_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags)
{
	return cvt_i2f(&F64, 0, v, rm, fflags);
}

uint64_t f32_to_f64(uint32_t a, uint32_t *fflags)
{
	struct unp u;

	if (is_nan(&F32, a)) {
		if (is_snan(&F32, a))
			*fflags |= FFLAG_NV;
		return F64_CANONICAL_NAN;
	}
	if (is_zero(&F32, a) || is_inf(&F32, a))
		return ((uint64_t)(a & SIGN32) << 32) | (is_inf(&F32, a) ? fmt_inf(&F64) : 0);
	u = unpack(&F32, a);
	return round_pack(&F64, u.sign, u.exp, u.sig, RM_RNE, fflags); /* exact */
}

uint32_t f64_to_f32(uint64_t a, enum fpu_rm rm, uint32_t *fflags)
{
	struct unp u;

	if (is_nan(&F64, a)) {
		if (is_snan(&F64, a))
			*fflags |= FFLAG_NV;
		return F32_CANONICAL_NAN;
	}
	if (is_zero(&F64, a) || is_inf(&F64, a))
		return (uint32_t)((a & SIGN64) >> 32) | (is_inf(&F64, a) ? 0x7f800000u : 0);
	u = unpack(&F64, a);
	return (uint32_t)round_pack(&F32, u.sign, u.exp, u.sig, soft_rm(rm), fflags);
}
