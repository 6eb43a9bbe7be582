/*
 * Unit tests for cpu/fpu.c.
 *
 * 1. Directed cases with hand-checked expected bit patterns and flags.
 * 2. Random cases (all five rounding modes, bits and flags) against an independent reference
 *    written here: exact arithmetic on big integers followed by a straightforward rounding
 *    routine, plus host-comparison based references for min/max/compare/classify.
 *
 * Usage: test_fpu [seed]. The last line printed is "N passed, M failed"; exit status is 1 on
 * any failure.
 */
#include "cpu/fpu.h"

#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

static int n_pass, n_fail;

static const char *const rm_name[5] = { "rne", "rtz", "rdn", "rup", "rmm" };

static void report(int line, const char *what, uint64_t got, uint64_t want, uint32_t gfl,
                   uint32_t wfl)
{
	if (got == want && gfl == wfl) {
		n_pass++;
		return;
	}
	n_fail++;
	if (n_fail <= 60)
		printf("FAIL line %d %s: got %#" PRIx64 " flags %#x, want %#" PRIx64 " flags %#x\n",
		       line, what, got, gfl, want, wfl);
}

/* Like report(), for a call that updated *fl: read after the call (argument order). */
static void report_fl(int line, const char *what, uint64_t got, uint64_t want, const uint32_t *fl,
                      uint32_t wfl)
{
	report(line, what, got, want, *fl, wfl);
}

static void check_true(int line, const char *what, int ok)
{
	report(line, what, ok, 1, 0, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Operations under test, addressed by id so that the API and the reference share drivers.  */

enum op {
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_SQRT,
	OP_MADD,
	OP_MSUB,
	OP_NMSUB,
	OP_NMADD,
	OP_TO_W,   /* float -> int32 */
	OP_TO_WU,  /* float -> uint32 */
	OP_TO_L,   /* float -> int64 */
	OP_TO_LU,  /* float -> uint64 */
	OP_FROM_W, /* int32 -> float */
	OP_FROM_WU,
	OP_FROM_L,
	OP_FROM_LU,
	OP_CVT, /* f64 -> f32 when is64 = 1, f32 -> f64 when is64 = 0 */
	OP_MIN,
	OP_MAX,
	OP_EQ,
	OP_LT,
	OP_LE,
	OP_CLASS,
	OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"add",     "sub",  "mul",   "div",  "sqrt",  "madd",   "msub",    "nmsub",
	"nmadd",   "to_w", "to_wu", "to_l", "to_lu", "from_w", "from_wu", "from_l",
	"from_lu", "cvt",  "min",   "max",  "eq",    "lt",     "le",      "class",
};

static uint64_t api_op(int is64, enum op op, uint64_t a, uint64_t b, uint64_t c, int rm,
                       uint32_t *fl)
{
	enum fpu_rm r = (enum fpu_rm)rm;
	uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b, c32 = (uint32_t)c;

	if (is64) {
		switch (op) {
		case OP_ADD: return f64_add(a, b, r, fl);
		case OP_SUB: return f64_sub(a, b, r, fl);
		case OP_MUL: return f64_mul(a, b, r, fl);
		case OP_DIV: return f64_div(a, b, r, fl);
		case OP_SQRT: return f64_sqrt(a, r, fl);
		case OP_MADD: return f64_madd(a, b, c, r, fl);
		case OP_MSUB: return f64_msub(a, b, c, r, fl);
		case OP_NMSUB: return f64_nmsub(a, b, c, r, fl);
		case OP_NMADD: return f64_nmadd(a, b, c, r, fl);
		case OP_TO_W: return f64_to_i32(a, r, fl);
		case OP_TO_WU: return f64_to_u32(a, r, fl);
		case OP_TO_L: return f64_to_i64(a, r, fl);
		case OP_TO_LU: return f64_to_u64(a, r, fl);
		case OP_FROM_W: return i32_to_f64(a, r, fl);
		case OP_FROM_WU: return u32_to_f64(a, r, fl);
		case OP_FROM_L: return i64_to_f64(a, r, fl);
		case OP_FROM_LU: return u64_to_f64(a, r, fl);
		case OP_CVT: return f64_to_f32(a, r, fl);
		case OP_MIN: return f64_min(a, b, fl);
		case OP_MAX: return f64_max(a, b, fl);
		case OP_EQ: return f64_eq(a, b, fl);
		case OP_LT: return f64_lt(a, b, fl);
		case OP_LE: return f64_le(a, b, fl);
		case OP_CLASS: return f64_classify(a);
		default: break;
		}
	} else {
		switch (op) {
		case OP_ADD: return f32_add(a32, b32, r, fl);
		case OP_SUB: return f32_sub(a32, b32, r, fl);
		case OP_MUL: return f32_mul(a32, b32, r, fl);
		case OP_DIV: return f32_div(a32, b32, r, fl);
		case OP_SQRT: return f32_sqrt(a32, r, fl);
		case OP_MADD: return f32_madd(a32, b32, c32, r, fl);
		case OP_MSUB: return f32_msub(a32, b32, c32, r, fl);
		case OP_NMSUB: return f32_nmsub(a32, b32, c32, r, fl);
		case OP_NMADD: return f32_nmadd(a32, b32, c32, r, fl);
		case OP_TO_W: return f32_to_i32(a32, r, fl);
		case OP_TO_WU: return f32_to_u32(a32, r, fl);
		case OP_TO_L: return f32_to_i64(a32, r, fl);
		case OP_TO_LU: return f32_to_u64(a32, r, fl);
		case OP_FROM_W: return i32_to_f32(a, r, fl);
		case OP_FROM_WU: return u32_to_f32(a, r, fl);
		case OP_FROM_L: return i64_to_f32(a, r, fl);
		case OP_FROM_LU: return u64_to_f32(a, r, fl);
		case OP_CVT: return f32_to_f64(a32, fl);
		case OP_MIN: return f32_min(a32, b32, fl);
		case OP_MAX: return f32_max(a32, b32, fl);
		case OP_EQ: return f32_eq(a32, b32, fl);
		case OP_LT: return f32_lt(a32, b32, fl);
		case OP_LE: return f32_le(a32, b32, fl);
		case OP_CLASS: return f32_classify(a32);
		default: break;
		}
	}
	abort();
}

/* ---------------------------------------------------------------------------------------- */
/* Reference: big integers                                                                  */

#define NL 60 /* 3840 bits: enough for an exact f64 fma */

struct big {
	uint64_t w[NL];
};

static void big_clear(struct big *b)
{
	memset(b, 0, sizeof(*b));
}

/* b += v << bit */
static void big_add_u128_at(struct big *b, u128 v, int bit)
{
	uint64_t part[3], carry = 0;
	uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64);
	int limb = bit / 64, off = bit % 64, i;

	if (bit < 0)
		abort();
	part[0] = lo << off;
	part[1] = off ? (lo >> (64 - off)) | (hi << off) : hi;
	part[2] = off ? hi >> (64 - off) : 0;
	for (i = limb; i < NL; i++) {
		uint64_t add = i - limb < 3 ? part[i - limb] : 0;
		u128 s = (u128)b->w[i] + add + carry;
		b->w[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
		if (i - limb >= 2 && !carry)
			return;
	}
	if (carry)
		abort();
}

static void big_add(struct big *a, const struct big *b)
{
	uint64_t carry = 0;
	for (int i = 0; i < NL; i++) {
		u128 s = (u128)a->w[i] + b->w[i] + carry;
		a->w[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	if (carry)
		abort();
}

/* a -= b, a >= b */
static void big_sub(struct big *a, const struct big *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < NL; i++) {
		uint64_t x = a->w[i], y = b->w[i];
		a->w[i] = x - y - borrow;
		borrow = (x < y) || (x == y && borrow);
	}
	if (borrow)
		abort();
}

static int big_cmp(const struct big *a, const struct big *b)
{
	for (int i = NL - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static int big_bitlen(const struct big *b)
{
	for (int i = NL - 1; i >= 0; i--)
		if (b->w[i])
			return i * 64 + 64 - __builtin_clzll(b->w[i]);
	return 0;
}

static int big_bit(const struct big *b, int i)
{
	if (i < 0 || i >= NL * 64)
		return 0;
	return (b->w[i / 64] >> (i % 64)) & 1;
}

/* Any bit set below position i? */
static int big_any_below(const struct big *b, int i)
{
	int k;

	for (k = 0; k < i / 64 && k < NL; k++)
		if (b->w[k])
			return 1;
	if (k < NL && i % 64)
		return (b->w[k] & ((1ull << (i % 64)) - 1)) != 0;
	return 0;
}

/* Bits [lo, lo + 128) of b. */
static u128 big_bits(const struct big *b, int lo)
{
	u128 r = 0;

	for (int k = 0; k < 128; k += 32) {
		uint64_t chunk = 0;
		int pos = lo + k;
		/* 32 bits starting at pos */
		if (pos / 64 < NL)
			chunk = b->w[pos / 64] >> (pos % 64);
		if (pos % 64 > 32 && pos / 64 + 1 < NL)
			chunk |= b->w[pos / 64 + 1] << (64 - pos % 64);
		r |= (u128)(chunk & 0xffffffffu) << k;
	}
	return r;
}

/* b /= d, returns the remainder. */
static uint64_t big_div_small(struct big *b, uint64_t d)
{
	u128 rem = 0;
	for (int i = NL - 1; i >= 0; i--) {
		u128 cur = (rem << 64) | b->w[i];
		b->w[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

static int u128_bitlen(u128 v)
{
	int n = 0;
	while (v) {
		n++;
		v >>= 1;
	}
	return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Reference: formats and rounding                                                          */

struct rfmt {
	int p, ebits, bias, emin, emax;
};

static const struct rfmt R32 = { 24, 8, 127, -126, 127 };
static const struct rfmt R64 = { 53, 11, 1023, -1022, 1023 };

struct rres {
	uint64_t bits;
	uint32_t fl;
};

/* Exact value (-1)^sign * (m + (sticky ? epsilon : 0)) * 2^e with 0 < epsilon < 1. */
struct xv {
	int sign, e, sticky;
	struct big m;
};

static uint64_t r_signbit(const struct rfmt *f)
{
	return 1ull << (f->p - 1 + f->ebits);
}

static uint64_t r_inf(const struct rfmt *f)
{
	return ((1ull << f->ebits) - 1) << (f->p - 1);
}

static uint64_t r_canon(const struct rfmt *f)
{
	return r_inf(f) | (1ull << (f->p - 2));
}

static uint64_t r_zero(const struct rfmt *f, int sign)
{
	return sign ? r_signbit(f) : 0;
}

enum rclass { RC_ZERO, RC_FINITE, RC_INF, RC_QNAN, RC_SNAN };

static enum rclass r_class(const struct rfmt *f, uint64_t x)
{
	uint64_t ef = (x >> (f->p - 1)) & ((1ull << f->ebits) - 1);
	uint64_t frac = x & ((1ull << (f->p - 1)) - 1);

	if (ef == (1ull << f->ebits) - 1) {
		if (!frac)
			return RC_INF;
		return (frac >> (f->p - 2)) ? RC_QNAN : RC_SNAN;
	}
	if (ef == 0 && frac == 0)
		return RC_ZERO;
	return RC_FINITE;
}

static int r_sign(const struct rfmt *f, uint64_t x)
{
	return (x & r_signbit(f)) != 0;
}

/* Finite x = (-1)^sign * sig * 2^e (sig = 0 for zeros). */
static void r_decode(const struct rfmt *f, uint64_t x, uint64_t *sig, int *e)
{
	int ef = (int)((x >> (f->p - 1)) & ((1ull << f->ebits) - 1));
	uint64_t frac = x & ((1ull << (f->p - 1)) - 1);

	if (ef == 0) {
		*sig = frac;
		*e = f->emin - (f->p - 1);
	} else {
		*sig = frac | (1ull << (f->p - 1));
		*e = ef - f->bias - (f->p - 1);
	}
}

/*
 * Round |x| to a multiple of 2^q: returns the resulting integer multiplier and sets *cls to
 * 0 (exact), 1 (below half), 2 (half), 3 (above half) for the discarded part.
 */
static u128 ref_round_at(const struct xv *x, int q, int rm, int *cls)
{
	int k = q - x->e, inc = 0;
	u128 kept;

	if (k <= 0) {
		if (x->sticky || big_bitlen(&x->m) - k > 126)
			abort(); /* reference misuse */
		kept = big_bits(&x->m, 0) << -k;
		*cls = 0;
	} else {
		int rb = big_bit(&x->m, k - 1);
		int st = x->sticky || big_any_below(&x->m, k - 1);
		if (big_bitlen(&x->m) - k > 126)
			abort();
		kept = big_bits(&x->m, k);
		*cls = rb ? (st ? 3 : 2) : (st ? 1 : 0);
	}
	switch (rm) {
	case 0: inc = *cls == 3 || (*cls == 2 && (kept & 1)); break;
	case 1: inc = 0; break;
	case 2: inc = *cls != 0 && x->sign; break;
	case 3: inc = *cls != 0 && !x->sign; break;
	case 4: inc = *cls >= 2; break;
	default: abort();
	}
	return kept + inc;
}

/* Correctly round a nonzero exact value to format f, IEEE 754 with tininess after rounding. */
static struct rres ref_round(const struct rfmt *f, const struct xv *x, int rm)
{
	struct rres r = { 0, 0 };
	int len = big_bitlen(&x->m), top, q, cls, kl, E;
	u128 kept;

	if (len == 0)
		abort();
	top = x->e + len - 1; /* |x| in [2^top, 2^(top+1)) */
	q = (top > f->emin ? top : f->emin) - f->p + 1;
	kept = ref_round_at(x, q, rm, &cls);
	if (cls)
		r.fl |= FFLAG_NX;
	if (top < f->emin && cls) {
		/* Tiny if the value rounded to p bits with an unbounded exponent is < 2^emin. */
		int cls2, q2 = top - f->p + 1;
		u128 k2 = ref_round_at(x, q2, rm, &cls2);
		if (q2 + u128_bitlen(k2) - 1 < f->emin)
			r.fl |= FFLAG_UF;
	}
	if (kept == 0) {
		r.bits = r_zero(f, x->sign);
		return r;
	}
	kl = u128_bitlen(kept);
	E = q + kl - 1;
	if (E > f->emax) {
		int to_inf = rm == 0 || rm == 4 || (rm == 2 && x->sign) || (rm == 3 && !x->sign);
		r.fl |= FFLAG_OF | FFLAG_NX;
		r.bits = r_zero(f, x->sign) | (to_inf ? r_inf(f) : r_inf(f) - 1);
		return r;
	}
	if (kl > f->p) { /* carried into the next binade: kept == 2^p */
		kept >>= 1;
		kl--;
	}
	if (E >= f->emin) {
		if (kl != f->p)
			abort();
		r.bits = r_zero(f, x->sign) | ((uint64_t)(E + f->bias) << (f->p - 1)) |
		         ((uint64_t)kept - (1ull << (f->p - 1)));
	} else {
		r.bits = r_zero(f, x->sign) | (uint64_t)kept;
	}
	return r;
}

static struct rres nan_result(const struct rfmt *f, int invalid)
{
	struct rres r = { r_canon(f), invalid ? FFLAG_NV : 0 };
	return r;
}

static struct rres exact_result(uint64_t bits)
{
	struct rres r = { bits, 0 };
	return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Reference operations                                                                     */

/* Signed sum of two exact terms s1 * m1 * 2^e1 + s2 * m2 * 2^e2 into x (zero if they cancel). */
static void exact_sum(struct xv *x, int s1, u128 m1, int e1, int s2, u128 m2, int e2)
{
	struct big A, B;
	int e0 = e1 < e2 ? e1 : e2;

	if (m1 == 0)
		e0 = e2;
	if (m2 == 0)
		e0 = e1;
	big_clear(&A);
	big_clear(&B);
	if (m1)
		big_add_u128_at(&A, m1, e1 - e0);
	if (m2)
		big_add_u128_at(&B, m2, e2 - e0);
	x->e = e0;
	x->sticky = 0;
	if (s1 == s2) {
		big_add(&A, &B);
		x->m = A;
		x->sign = s1;
	} else if (big_cmp(&A, &B) >= 0) {
		big_sub(&A, &B);
		x->m = A;
		x->sign = s1;
	} else {
		big_sub(&B, &A);
		x->m = B;
		x->sign = s2;
	}
}

static struct rres ref_add(const struct rfmt *f, uint64_t a, uint64_t b, int rm)
{
	enum rclass ca = r_class(f, a), cb = r_class(f, b);
	int sa = r_sign(f, a), sb = r_sign(f, b), ea, eb;
	uint64_t ma, mb;
	struct xv x;

	if (ca >= RC_QNAN || cb >= RC_QNAN)
		return nan_result(f, ca == RC_SNAN || cb == RC_SNAN);
	if (ca == RC_INF && cb == RC_INF)
		return sa == sb ? exact_result(a) : nan_result(f, 1);
	if (ca == RC_INF)
		return exact_result(a);
	if (cb == RC_INF)
		return exact_result(b);
	r_decode(f, a, &ma, &ea);
	r_decode(f, b, &mb, &eb);
	exact_sum(&x, sa, ma, ea, sb, mb, eb);
	if (big_bitlen(&x.m) == 0) {
		if (ca == RC_ZERO && cb == RC_ZERO && sa == sb)
			return exact_result(r_zero(f, sa));
		return exact_result(r_zero(f, rm == 2));
	}
	return ref_round(f, &x, rm);
}

static struct rres ref_mul(const struct rfmt *f, uint64_t a, uint64_t b, int rm)
{
	enum rclass ca = r_class(f, a), cb = r_class(f, b);
	int s = r_sign(f, a) ^ r_sign(f, b), ea, eb;
	uint64_t ma, mb;
	struct xv x;

	if (ca >= RC_QNAN || cb >= RC_QNAN)
		return nan_result(f, ca == RC_SNAN || cb == RC_SNAN);
	if ((ca == RC_INF && cb == RC_ZERO) || (ca == RC_ZERO && cb == RC_INF))
		return nan_result(f, 1);
	if (ca == RC_INF || cb == RC_INF)
		return exact_result(r_zero(f, s) | r_inf(f));
	if (ca == RC_ZERO || cb == RC_ZERO)
		return exact_result(r_zero(f, s));
	r_decode(f, a, &ma, &ea);
	r_decode(f, b, &mb, &eb);
	big_clear(&x.m);
	big_add_u128_at(&x.m, (u128)ma * mb, 0);
	x.e = ea + eb;
	x.sign = s;
	x.sticky = 0;
	return ref_round(f, &x, rm);
}

static struct rres ref_div(const struct rfmt *f, uint64_t a, uint64_t b, int rm)
{
	enum rclass ca = r_class(f, a), cb = r_class(f, b);
	int s = r_sign(f, a) ^ r_sign(f, b), ea, eb;
	uint64_t ma, mb;
	struct xv x;
	struct rres r;

	if (ca >= RC_QNAN || cb >= RC_QNAN)
		return nan_result(f, ca == RC_SNAN || cb == RC_SNAN);
	if ((ca == RC_INF && cb == RC_INF) || (ca == RC_ZERO && cb == RC_ZERO))
		return nan_result(f, 1);
	if (ca == RC_INF)
		return exact_result(r_zero(f, s) | r_inf(f));
	if (cb == RC_INF || ca == RC_ZERO)
		return exact_result(r_zero(f, s));
	if (cb == RC_ZERO) {
		r.bits = r_zero(f, s) | r_inf(f);
		r.fl = FFLAG_DZ;
		return r;
	}
	r_decode(f, a, &ma, &ea);
	r_decode(f, b, &mb, &eb);
	big_clear(&x.m);
	big_add_u128_at(&x.m, ma, 128);
	x.sticky = big_div_small(&x.m, mb) != 0;
	x.e = ea - eb - 128;
	x.sign = s;
	return ref_round(f, &x, rm);
}

static struct rres ref_sqrt(const struct rfmt *f, uint64_t a, int rm)
{
	enum rclass ca = r_class(f, a);
	uint64_t ma;
	int e, sh;
	u128 M, root = 0;
	struct xv x;

	if (ca >= RC_QNAN)
		return nan_result(f, ca == RC_SNAN);
	if (ca == RC_ZERO)
		return exact_result(a);
	if (r_sign(f, a))
		return nan_result(f, 1);
	if (ca == RC_INF)
		return exact_result(a);
	r_decode(f, a, &ma, &e);
	M = ma;
	if (e & 1) {
		M <<= 1;
		e--;
	}
	sh = 124 - (u128_bitlen(M) - 1); /* top bit at 124 or 125, even shift */
	if (sh & 1)
		sh++;
	M <<= sh;
	e -= sh;
	for (int bit = 62; bit >= 0; bit--) {
		u128 cand = root | ((u128)1 << bit);
		if (cand * cand <= M)
			root = cand;
	}
	big_clear(&x.m);
	big_add_u128_at(&x.m, root, 0);
	x.sticky = root * root != M;
	x.e = e / 2;
	x.sign = 0;
	return ref_round(f, &x, rm);
}

/* a*b + c, the negations of the variants applied by the caller. */
static struct rres ref_fma(const struct rfmt *f, uint64_t a, uint64_t b, uint64_t c, int rm)
{
	enum rclass ca = r_class(f, a), cb = r_class(f, b), cc = r_class(f, c);
	int sp = r_sign(f, a) ^ r_sign(f, b), sc = r_sign(f, c), ea, eb, ec;
	int inf_times_zero = (ca == RC_INF && cb == RC_ZERO) || (ca == RC_ZERO && cb == RC_INF);
	uint64_t ma, mb, mc;
	struct xv x;

	if (ca >= RC_QNAN || cb >= RC_QNAN || cc >= RC_QNAN)
		return nan_result(f, ca == RC_SNAN || cb == RC_SNAN || cc == RC_SNAN ||
		                         inf_times_zero);
	if (inf_times_zero)
		return nan_result(f, 1);
	if (ca == RC_INF || cb == RC_INF) {
		if (cc == RC_INF && sc != sp)
			return nan_result(f, 1);
		return exact_result(r_zero(f, sp) | r_inf(f));
	}
	if (cc == RC_INF)
		return exact_result(c);
	r_decode(f, a, &ma, &ea);
	r_decode(f, b, &mb, &eb);
	r_decode(f, c, &mc, &ec);
	exact_sum(&x, sp, (u128)ma * mb, ea + eb, sc, mc, ec);
	if (big_bitlen(&x.m) == 0) {
		if ((ca == RC_ZERO || cb == RC_ZERO) && cc == RC_ZERO && sp == sc)
			return exact_result(r_zero(f, sp));
		return exact_result(r_zero(f, rm == 2));
	}
	return ref_round(f, &x, rm);
}

/* Float -> integer per the fcvt table of the spec. */
static struct rres ref_f2i(const struct rfmt *f, uint64_t a, int rm, int width, int is_signed)
{
	enum rclass ca = r_class(f, a);
	i128 lo = is_signed ? -((i128)1 << (width - 1)) : 0;
	i128 hi = is_signed ? ((i128)1 << (width - 1)) - 1 : ((i128)1 << width) - 1;
	i128 v = 0;
	struct rres r = { 0, 0 };
	int cls = 0, e;
	uint64_t m;

	if (ca >= RC_QNAN) {
		v = hi;
		r.fl = FFLAG_NV;
	} else if (ca == RC_INF) {
		v = r_sign(f, a) ? lo : hi;
		r.fl = FFLAG_NV;
	} else if (ca == RC_FINITE) {
		r_decode(f, a, &m, &e);
		if (e > 70) {
			v = r_sign(f, a) ? lo - 1 : hi + 1; /* far out of range */
		} else {
			struct xv x;
			u128 k;
			big_clear(&x.m);
			big_add_u128_at(&x.m, m, 0);
			x.e = e;
			x.sign = r_sign(f, a);
			x.sticky = 0;
			k = ref_round_at(&x, 0, rm, &cls);
			v = x.sign ? -(i128)k : (i128)k;
		}
		if (v < lo) {
			v = lo;
			r.fl = FFLAG_NV;
		} else if (v > hi) {
			v = hi;
			r.fl = FFLAG_NV;
		} else if (cls) {
			r.fl = FFLAG_NX;
		}
	}
	r.bits = (uint64_t)v;
	if (width == 32)
		r.bits = (uint64_t)(int64_t)(int32_t)(uint32_t)r.bits;
	return r;
}

static struct rres ref_i2f(const struct rfmt *f, int sign, uint64_t mag, int rm)
{
	struct xv x;

	if (mag == 0)
		return exact_result(0);
	big_clear(&x.m);
	big_add_u128_at(&x.m, mag, 0);
	x.e = 0;
	x.sign = sign;
	x.sticky = 0;
	return ref_round(f, &x, rm);
}

/* Format conversion from `from` to `to`. */
static struct rres ref_cvt(const struct rfmt *from, const struct rfmt *to, uint64_t a, int rm)
{
	enum rclass ca = r_class(from, a);
	int s = r_sign(from, a), e;
	uint64_t m;
	struct xv x;

	if (ca >= RC_QNAN)
		return nan_result(to, ca == RC_SNAN);
	if (ca == RC_ZERO)
		return exact_result(r_zero(to, s));
	if (ca == RC_INF)
		return exact_result(r_zero(to, s) | r_inf(to));
	r_decode(from, a, &m, &e);
	big_clear(&x.m);
	big_add_u128_at(&x.m, m, 0);
	x.e = e;
	x.sign = s;
	x.sticky = 0;
	return ref_round(to, &x, rm);
}

/* min/max/compare/classify references use host arithmetic (exact for these operations). */
static double host_val(int is64, uint64_t a)
{
	if (is64) {
		double d;
		memcpy(&d, &a, 8);
		return d;
	} else {
		uint32_t a32 = (uint32_t)a;
		float fv;
		memcpy(&fv, &a32, 4);
		return fv;
	}
}

static struct rres ref_minmax(int is64, uint64_t a, uint64_t b, int want_max)
{
	const struct rfmt *f = is64 ? &R64 : &R32;
	enum rclass ca = r_class(f, a), cb = r_class(f, b);
	double x = host_val(is64, a), y = host_val(is64, b);
	struct rres r = { 0, 0 };

	if (ca == RC_SNAN || cb == RC_SNAN)
		r.fl = FFLAG_NV;
	if (isnan(x) && isnan(y))
		r.bits = r_canon(f);
	else if (isnan(x))
		r.bits = b;
	else if (isnan(y))
		r.bits = a;
	else if (x == y && x == 0 && signbit(x) != signbit(y))
		r.bits = (want_max ? !signbit(x) : !!signbit(x)) ? a : b;
	else if (x == y)
		r.bits = a;
	else
		r.bits = ((x < y) != want_max) ? a : b;
	return r;
}

static struct rres ref_compare(int is64, enum op op, uint64_t a, uint64_t b)
{
	const struct rfmt *f = is64 ? &R64 : &R32;
	enum rclass ca = r_class(f, a), cb = r_class(f, b);
	double x = host_val(is64, a), y = host_val(is64, b);
	struct rres r = { 0, 0 };

	if (isnan(x) || isnan(y)) {
		if (op != OP_EQ || ca == RC_SNAN || cb == RC_SNAN)
			r.fl = FFLAG_NV;
		return r;
	}
	r.bits = op == OP_EQ ? x == y : op == OP_LT ? x < y : x <= y;
	return r;
}

static struct rres ref_classify(int is64, uint64_t a)
{
	const struct rfmt *f = is64 ? &R64 : &R32;
	enum rclass ca = r_class(f, a);
	int neg = r_sign(f, a), k;
	struct rres r = { 0, 0 };

	if (ca == RC_SNAN) {
		r.bits = 1 << 8;
		return r;
	}
	if (ca == RC_QNAN) {
		r.bits = 1 << 9;
		return r;
	}
	k = is64 ? fpclassify(host_val(1, a)) : fpclassify((float)host_val(0, a));
	switch (k) {
	case FP_INFINITE: r.bits = neg ? 1 << 0 : 1 << 7; break;
	case FP_NORMAL: r.bits = neg ? 1 << 1 : 1 << 6; break;
	case FP_SUBNORMAL: r.bits = neg ? 1 << 2 : 1 << 5; break;
	case FP_ZERO: r.bits = neg ? 1 << 3 : 1 << 4; break;
	default: abort();
	}
	return r;
}

static struct rres ref_op(int is64, enum op op, uint64_t a, uint64_t b, uint64_t c, int rm)
{
	const struct rfmt *f = is64 ? &R64 : &R32;
	uint64_t s = r_signbit(f);

	switch (op) {
	case OP_ADD: return ref_add(f, a, b, rm);
	case OP_SUB: return ref_add(f, a, b ^ s, rm);
	case OP_MUL: return ref_mul(f, a, b, rm);
	case OP_DIV: return ref_div(f, a, b, rm);
	case OP_SQRT: return ref_sqrt(f, a, rm);
	case OP_MADD: return ref_fma(f, a, b, c, rm);
	case OP_MSUB: return ref_fma(f, a, b, c ^ s, rm);
	case OP_NMSUB: return ref_fma(f, a ^ s, b, c, rm);
	case OP_NMADD: return ref_fma(f, a ^ s, b, c ^ s, rm);
	case OP_TO_W: return ref_f2i(f, a, rm, 32, 1);
	case OP_TO_WU: return ref_f2i(f, a, rm, 32, 0);
	case OP_TO_L: return ref_f2i(f, a, rm, 64, 1);
	case OP_TO_LU: return ref_f2i(f, a, rm, 64, 0);
	case OP_FROM_W: {
		int32_t v = (int32_t)(uint32_t)a;
		return ref_i2f(f, v < 0, v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v, rm);
	}
	case OP_FROM_WU: return ref_i2f(f, 0, (uint32_t)a, rm);
	case OP_FROM_L: {
		int neg = (int64_t)a < 0;
		return ref_i2f(f, neg, neg ? ~a + 1 : a, rm);
	}
	case OP_FROM_LU: return ref_i2f(f, 0, a, rm);
	case OP_CVT: return is64 ? ref_cvt(&R64, &R32, a, rm) : ref_cvt(&R32, &R64, a, rm);
	case OP_MIN: return ref_minmax(is64, a, b, 0);
	case OP_MAX: return ref_minmax(is64, a, b, 1);
	case OP_EQ:
	case OP_LT:
	case OP_LE: return ref_compare(is64, op, a, b);
	case OP_CLASS: return ref_classify(is64, a);
	default: abort();
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Directed tests                                                                           */

/* Check the API and the reference against a hand-checked expectation. */
static void tcase(int line, int is64, enum op op, uint64_t a, uint64_t b, uint64_t c, int rm,
                  uint64_t want, uint32_t wfl)
{
	char what[160];
	uint32_t fl = 0;
	uint64_t got = api_op(is64, op, a, b, c, rm, &fl);
	struct rres ref = ref_op(is64, op, a, b, c, rm);

	snprintf(what, sizeof(what), "f%d_%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") %s",
	         is64 ? 64 : 32, op_name[op], a, b, c, rm_name[rm]);
	report(line, what, got, want, fl, wfl);
	snprintf(what, sizeof(what),
	         "[reference] f%d_%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") %s", is64 ? 64 : 32,
	         op_name[op], a, b, c, rm_name[rm]);
	report(line, what, ref.bits, want, ref.fl, wfl);
}

/* One expectation for all five modes. */
#define T(is64, op, a, b, c, want, wfl)                                     \
	do {                                                                \
		for (int rm_ = 0; rm_ < 5; rm_++)                           \
			tcase(__LINE__, is64, op, a, b, c, rm_, want, wfl); \
	} while (0)
/* One expectation for one mode. */
#define TM(is64, op, a, b, c, rm, want, wfl) tcase(__LINE__, is64, op, a, b, c, rm, want, wfl)
/* Per-mode results (RNE, RTZ, RDN, RUP, RMM), same flags. */
#define T5(is64, op, a, b, c, w0, w1, w2, w3, w4, wfl)                         \
	do {                                                                   \
		const uint64_t w_[5] = { w0, w1, w2, w3, w4 };                 \
		for (int rm_ = 0; rm_ < 5; rm_++)                              \
			tcase(__LINE__, is64, op, a, b, c, rm_, w_[rm_], wfl); \
	} while (0)

#define S 0 /* single */
#define D 1 /* double */

#define ONE32  0x3f800000u
#define TWO32  0x40000000u
#define HALF32 0x3f000000u
#define MAX32  0x7f7fffffu
#define INF32  0x7f800000u
#define NINF32 0xff800000u
#define QNAN32 0x7fc00000u
#define SNAN32 0x7f800001u
#define NZ32   0x80000000u
#define CN32   F32_CANONICAL_NAN

#define ONE64  0x3ff0000000000000ull
#define TWO64  0x4000000000000000ull
#define HALF64 0x3fe0000000000000ull
#define MAX64  0x7fefffffffffffffull
#define INF64  0x7ff0000000000000ull
#define NINF64 0xfff0000000000000ull
#define QNAN64 0x7ff8000000000000ull
#define SNAN64 0x7ff0000000000001ull
#define NZ64   0x8000000000000000ull
#define CN64   F64_CANONICAL_NAN

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

static void test_nan_and_special(void)
{
	/* Canonical NaN results, NaN inputs never propagate payload or sign. */
	T(S, OP_ADD, INF32, NINF32, 0, CN32, NV);
	T(S, OP_SUB, INF32, INF32, 0, CN32, NV);
	T(S, OP_ADD, 0x7fc12345u, ONE32, 0, CN32, 0);
	T(S, OP_ADD, 0xffc00000u, ONE32, 0, CN32, 0);
	T(S, OP_ADD, SNAN32, ONE32, 0, CN32, NV);
	T(S, OP_ADD, ONE32, 0xff800001u, 0, CN32, NV);
	T(S, OP_ADD, QNAN32, SNAN32, 0, CN32, NV);
	T(S, OP_MUL, 0, INF32, 0, CN32, NV);
	T(S, OP_MUL, 0xffc00001u, TWO32, 0, CN32, 0);
	T(S, OP_DIV, 0, NZ32, 0, CN32, NV);
	T(S, OP_DIV, INF32, NINF32, 0, CN32, NV);
	T(S, OP_DIV, ONE32, 0, 0, INF32, DZ);
	T(S, OP_DIV, ONE32, NZ32, 0, NINF32, DZ);
	T(S, OP_DIV, 0xbf800000u, 0, 0, NINF32, DZ);
	T(S, OP_DIV, ONE32, INF32, 0, 0, 0);
	T(S, OP_SQRT, 0xbf800000u, 0, 0, CN32, NV);
	T(S, OP_SQRT, NINF32, 0, 0, CN32, NV);
	T(S, OP_SQRT, NZ32, 0, 0, NZ32, 0);
	T(S, OP_SQRT, INF32, 0, 0, INF32, 0);
	T(S, OP_SQRT, 0x7fc00001u, 0, 0, CN32, 0);
	T(S, OP_SQRT, SNAN32, 0, 0, CN32, NV);
	T(S, OP_SQRT, 0x40800000u, 0, 0, TWO32, 0);

	T(D, OP_ADD, INF64, NINF64, 0, CN64, NV);
	T(D, OP_ADD, 0x7ff8000000012345ull, ONE64, 0, CN64, 0);
	T(D, OP_ADD, 0xfff8000000000000ull, ONE64, 0, CN64, 0);
	T(D, OP_ADD, SNAN64, ONE64, 0, CN64, NV);
	T(D, OP_MUL, INF64, NZ64, 0, CN64, NV);
	T(D, OP_DIV, 0, 0, 0, CN64, NV);
	T(D, OP_DIV, NZ64 | ONE64, 0, 0, NINF64, DZ);
	T(D, OP_SQRT, NZ64 | ONE64, 0, 0, CN64, NV);
	T(D, OP_SQRT, NZ64, 0, 0, NZ64, 0);
	T(D, OP_SQRT, 0x4010000000000000ull, 0, 0, TWO64, 0);

	/* fma: inf * 0 + qNaN is invalid in RISC-V. */
	T(S, OP_MADD, INF32, 0, QNAN32, CN32, NV);
	T(S, OP_MADD, 0, NINF32, QNAN32, CN32, NV);
	T(S, OP_NMADD, INF32, 0, 0x7fc00123u, CN32, NV);
	T(S, OP_MADD, INF32, 0, SNAN32, CN32, NV);
	T(S, OP_MADD, QNAN32, ONE32, ONE32, CN32, 0);
	T(S, OP_MADD, ONE32, ONE32, QNAN32, CN32, 0);
	T(S, OP_MADD, ONE32, ONE32, SNAN32, CN32, NV);
	T(S, OP_MADD, INF32, ONE32, NINF32, CN32, NV);
	T(S, OP_MSUB, INF32, ONE32, INF32, CN32, NV);
	T(S, OP_MADD, INF32, ONE32, INF32, INF32, 0);
	T(S, OP_NMSUB, INF32, ONE32, INF32, CN32, NV);
	T(S, OP_NMADD, INF32, ONE32, INF32, NINF32, 0);
	T(S, OP_MADD, ONE32, ONE32, NINF32, NINF32, 0);
	T(D, OP_MADD, INF64, 0, QNAN64, CN64, NV);
	T(D, OP_MADD, 0, INF64, QNAN64, CN64, NV);
	T(D, OP_MSUB, NINF64, NZ64, QNAN64, CN64, NV);
	T(D, OP_MADD, QNAN64, 0, ONE64, CN64, 0);
	T(D, OP_MADD, ONE64, ONE64, SNAN64, CN64, NV);
}

static void test_rounding(void)
{
	/* add: 1 + 2^-24 is halfway between 1 and 1 + 2^-23. */
	T5(S, OP_ADD, ONE32, 0x33800000, 0, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001,
	   0x3f800001, NX);
	/* 1 + 3*2^-24: halfway, the even neighbour is the upper one. */
	T5(S, OP_ADD, ONE32, 0x34400000, 0, 0x3f800002, 0x3f800001, 0x3f800001, 0x3f800002,
	   0x3f800002, NX);
	T5(S, OP_ADD, 0xbf800000, 0xb3800000, 0, 0xbf800000, 0xbf800000, 0xbf800001, 0xbf800000,
	   0xbf800001, NX);
	T5(S, OP_SUB, ONE32, 0x33000000, 0, 0x3f800000, 0x3f7fffff, 0x3f7fffff, 0x3f800000,
	   0x3f800000, NX);
	T5(D, OP_ADD, ONE64, 0x3ca0000000000000ull, 0, ONE64, ONE64, ONE64, ONE64 + 1, ONE64 + 1,
	   NX);
	T5(D, OP_SUB, NZ64 | ONE64, 0x3ca0000000000000ull, 0, NZ64 | ONE64, NZ64 | ONE64,
	   NZ64 | (ONE64 + 1), NZ64 | ONE64, NZ64 | (ONE64 + 1), NX);

	/* Exact zeros: x - x is +0 except in RDN; -0 + -0 is -0. */
	T5(S, OP_SUB, ONE32, ONE32, 0, 0, 0, NZ32, 0, 0, 0);
	T5(D, OP_ADD, 0x3ff8000000000000ull, 0xbff8000000000000ull, 0, 0, 0, NZ64, 0, 0, 0);
	T(S, OP_ADD, NZ32, NZ32, 0, NZ32, 0);
	T5(S, OP_ADD, 0, NZ32, 0, 0, 0, NZ32, 0, 0, 0);
	T5(D, OP_SUB, 0, 0, 0, 0, 0, NZ64, 0, 0, 0);

	/* mul: (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24, a tie. */
	T5(S, OP_MUL, 0x3f800800, 0x3f800800, 0, 0x3f801000, 0x3f801000, 0x3f801000, 0x3f801001,
	   0x3f801001, NX);
	T5(S, OP_MUL, 0x3f800800, 0xbf800800, 0, 0xbf801000, 0xbf801000, 0xbf801001, 0xbf801000,
	   0xbf801001, NX);
	/* (1 + 3*2^-52) * 1.5 = 1.5 + 4.5*2^-52, a tie with the even neighbour below. */
	T5(D, OP_MUL, 0x3ff0000000000003ull, 0x3ff8000000000000ull, 0, 0x3ff8000000000004ull,
	   0x3ff8000000000004ull, 0x3ff8000000000004ull, 0x3ff8000000000005ull,
	   0x3ff8000000000005ull, NX);
	T5(D, OP_MUL, 0xbff0000000000003ull, 0x3ff8000000000000ull, 0, 0xbff8000000000004ull,
	   0xbff8000000000004ull, 0xbff8000000000005ull, 0xbff8000000000004ull,
	   0xbff8000000000005ull, NX);

	/* div */
	T5(S, OP_DIV, ONE32, 0x40400000, 0, 0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab,
	   0x3eaaaaab, NX);
	T5(D, OP_DIV, ONE64, 0x4008000000000000ull, 0, 0x3fd5555555555555ull, 0x3fd5555555555555ull,
	   0x3fd5555555555555ull, 0x3fd5555555555556ull, 0x3fd5555555555555ull, NX);
	T(S, OP_DIV, ONE32, 0x40800000, 0, 0x3e800000, 0);

	/* sqrt(2) */
	T5(S, OP_SQRT, TWO32, 0, 0, 0x3fb504f3, 0x3fb504f3, 0x3fb504f3, 0x3fb504f4, 0x3fb504f3, NX);
	T5(D, OP_SQRT, TWO64, 0, 0, 0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bccull,
	   0x3ff6a09e667f3bccull, 0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bcdull, NX);

	/* fma is fused: the tiny addend breaks the tie of the product. */
	T5(S, OP_MADD, 0x3f800800, 0x3f800800, 0x1c800000, 0x3f801001, 0x3f801000, 0x3f801000,
	   0x3f801001, 0x3f801001, NX);
	T5(S, OP_MADD, 0x3f800800, 0x3f800800, 0, 0x3f801000, 0x3f801000, 0x3f801000, 0x3f801001,
	   0x3f801001, NX);
	T5(S, OP_MADD, 0x3f800800, 0x3f800800, NZ32, 0x3f801000, 0x3f801000, 0x3f801000, 0x3f801001,
	   0x3f801001, NX);
	T5(D, OP_MADD, 0x3ff0000000000003ull, 0x3ff8000000000000ull, 0x39b0000000000000ull,
	   0x3ff8000000000005ull, 0x3ff8000000000004ull, 0x3ff8000000000004ull,
	   0x3ff8000000000005ull, 0x3ff8000000000005ull, NX);
	T5(D, OP_MADD, 0x3ff0000000000003ull, 0x3ff8000000000000ull, 0xb9b0000000000000ull,
	   0x3ff8000000000004ull, 0x3ff8000000000004ull, 0x3ff8000000000004ull,
	   0x3ff8000000000005ull, 0x3ff8000000000004ull, NX);
	/* -(a*b) - c: the magnitude is just above the tie. */
	T5(D, OP_NMADD, 0x3ff0000000000003ull, 0x3ff8000000000000ull, 0x39b0000000000000ull,
	   0xbff8000000000005ull, 0xbff8000000000004ull, 0xbff8000000000005ull,
	   0xbff8000000000004ull, 0xbff8000000000005ull, NX);
	/* -(a*b) + c: just below the tie. */
	T5(D, OP_NMSUB, 0x3ff0000000000003ull, 0x3ff8000000000000ull, 0x39b0000000000000ull,
	   0xbff8000000000004ull, 0xbff8000000000004ull, 0xbff8000000000005ull,
	   0xbff8000000000004ull, 0xbff8000000000004ull, NX);

	/* fma variants and signed zeros. */
	T(S, OP_MADD, TWO32, 0x40400000, ONE32, 0x40e00000, 0);
	T(S, OP_MSUB, TWO32, 0x40400000, ONE32, 0x40a00000, 0);
	T(S, OP_NMSUB, TWO32, 0x40400000, ONE32, 0xc0a00000, 0);
	T(S, OP_NMADD, TWO32, 0x40400000, ONE32, 0xc0e00000, 0);
	T(D, OP_MADD, TWO64, 0x4008000000000000ull, ONE64, 0x401c000000000000ull, 0);
	T(D, OP_MSUB, TWO64, 0x4008000000000000ull, ONE64, 0x4014000000000000ull, 0);
	T(D, OP_NMSUB, TWO64, 0x4008000000000000ull, ONE64, 0xc014000000000000ull, 0);
	T(D, OP_NMADD, TWO64, 0x4008000000000000ull, ONE64, 0xc01c000000000000ull, 0);
	T5(S, OP_MADD, 0, ONE32, NZ32, 0, 0, NZ32, 0, 0, 0);
	T(S, OP_NMADD, 0, ONE32, 0, NZ32, 0);
	T5(S, OP_NMSUB, 0, ONE32, 0, 0, 0, NZ32, 0, 0, 0);
	T5(S, OP_MSUB, 0, ONE32, 0, 0, 0, NZ32, 0, 0, 0);
	T5(S, OP_MADD, TWO32, 0x40400000, 0xc0c00000, 0, 0, NZ32, 0, 0, 0);
	T5(D, OP_MSUB, TWO64, 0x4008000000000000ull, 0x4018000000000000ull, 0, 0, NZ64, 0, 0, 0);
}

static void test_overflow_underflow(void)
{
	/* Overflow: infinity or the largest finite number depending on the mode. */
	T5(S, OP_MUL, MAX32, TWO32, 0, INF32, MAX32, MAX32, INF32, INF32, OF | NX);
	T5(S, OP_MUL, MAX32 | NZ32, TWO32, 0, NINF32, MAX32 | NZ32, NINF32, MAX32 | NZ32, NINF32,
	   OF | NX);
	T5(D, OP_ADD, MAX64, MAX64, 0, INF64, MAX64, MAX64, INF64, INF64, OF | NX);
	T5(D, OP_MUL, MAX64 | NZ64, TWO64, 0, NINF64, MAX64 | NZ64, NINF64, MAX64 | NZ64, NINF64,
	   OF | NX);
	/* max + half an ulp is a tie: RNE/RMM overflow, RTZ/RDN do not. */
	TM(S, OP_ADD, MAX32, 0x73000000, 0, 0, INF32, OF | NX);
	TM(S, OP_ADD, MAX32, 0x73000000, 0, 1, MAX32, NX);
	TM(S, OP_ADD, MAX32, 0x73000000, 0, 2, MAX32, NX);
	TM(S, OP_ADD, MAX32, 0x73000000, 0, 3, INF32, OF | NX);
	TM(S, OP_ADD, MAX32, 0x73000000, 0, 4, INF32, OF | NX);
	/* max + a quarter ulp only overflows in RUP. */
	TM(S, OP_ADD, MAX32, 0x72800000, 0, 0, MAX32, NX);
	TM(S, OP_ADD, MAX32, 0x72800000, 0, 3, INF32, OF | NX);
	TM(S, OP_ADD, MAX32, 0x72800000, 0, 4, MAX32, NX);
	TM(D, OP_ADD, MAX64, 0x7c90000000000000ull, 0, 0, INF64, OF | NX);
	TM(D, OP_ADD, MAX64, 0x7c90000000000000ull, 0, 1, MAX64, NX);
	TM(D, OP_ADD, MAX64, 0x7c90000000000000ull, 0, 4, INF64, OF | NX);
	TM(D, OP_ADD, MAX64, 0x7c80000000000000ull, 0, 4, MAX64, NX);

	/* Subnormal ties: 5 * 2^-149 / 2 = 2.5 * 2^-149. */
	T5(S, OP_DIV, 5, TWO32, 0, 2, 2, 2, 3, 3, UF | NX);
	T5(S, OP_DIV, NZ32 | 5, TWO32, 0, NZ32 | 2, NZ32 | 2, NZ32 | 3, NZ32 | 2, NZ32 | 3,
	   UF | NX);
	T5(S, OP_DIV, 3, TWO32, 0, 2, 1, 1, 2, 2, UF | NX);
	T5(S, OP_MUL, 1, HALF32, 0, 0, 0, 0, 1, 1, UF | NX);
	T5(S, OP_MUL, NZ32 | 1, HALF32, 0, NZ32, NZ32, NZ32 | 1, NZ32, NZ32 | 1, UF | NX);
	T(S, OP_DIV, 4, TWO32, 0, 2, 0); /* exact subnormal: no UF */
	T(S, OP_MUL, 0x00800000, HALF32, 0, 0x00400000, 0);
	T(S, OP_ADD, 0x00000003, 0x80800000, 0, 0x807ffffd, 0);
	T5(D, OP_DIV, 5, TWO64, 0, 2, 2, 2, 3, 3, UF | NX);
	T5(D, OP_MUL, 1, HALF64, 0, 0, 0, 0, 1, 1, UF | NX);
	T5(D, OP_MADD, 1, HALF64, 0, 0, 0, 0, 1, 1, UF | NX);
	T5(S, OP_MADD, 5, HALF32, 0, 2, 2, 2, 3, 3, UF | NX);
	T(D, OP_MUL, 0x0010000000000000ull, HALF64, 0, 0x0008000000000000ull, 0);

	/* Tininess after rounding: 2^-126 * (1 - 2^-46) rounds to 2^-126 (no UF) except when
	 * rounding down. */
	TM(S, OP_MUL, 0x3f800001, 0x007fffff, 0, 0, 0x00800000, NX);
	TM(S, OP_MUL, 0x3f800001, 0x007fffff, 0, 1, 0x007fffff, UF | NX);
	TM(S, OP_MUL, 0x3f800001, 0x007fffff, 0, 2, 0x007fffff, UF | NX);
	TM(S, OP_MUL, 0x3f800001, 0x007fffff, 0, 3, 0x00800000, NX);
	TM(S, OP_MUL, 0x3f800001, 0x007fffff, 0, 4, 0x00800000, NX);
	TM(D, OP_MUL, 0x3ff0000000000001ull, 0x000fffffffffffffull, 0, 0, 0x0010000000000000ull,
	   NX);
	TM(D, OP_MUL, 0x3ff0000000000001ull, 0x000fffffffffffffull, 0, 1, 0x000fffffffffffffull,
	   UF | NX);
	TM(D, OP_MUL, 0x3ff0000000000001ull, 0x000fffffffffffffull, 0, 4, 0x0010000000000000ull,
	   NX);
	TM(D, OP_MADD, 0x3ff0000000000001ull, 0x000fffffffffffffull, 0, 4, 0x0010000000000000ull,
	   NX);
	/* 2^-126 - 2^-150 is tiny even after rounding to 24 bits: UF although the result is
	 * the smallest normal. */
	T5(S, OP_MUL, 0x00800000, 0x3f7fffff, 0, 0x00800000, 0x007fffff, 0x007fffff, 0x00800000,
	   0x00800000, UF | NX);
}

static void test_minmax_compare_classify(void)
{
	T(S, OP_MIN, QNAN32, ONE32, 0, ONE32, 0);
	T(S, OP_MAX, ONE32, QNAN32, 0, ONE32, 0);
	T(S, OP_MIN, SNAN32, ONE32, 0, ONE32, NV);
	T(S, OP_MAX, ONE32, 0xff800001u, 0, ONE32, NV);
	T(S, OP_MAX, QNAN32, QNAN32, 0, CN32, 0);
	T(S, OP_MIN, 0xffc00001u, 0x7fc00002u, 0, CN32, 0);
	T(S, OP_MIN, SNAN32, QNAN32, 0, CN32, NV);
	T(S, OP_MIN, 0xffc00001u, ONE32, 0, ONE32, 0);
	T(S, OP_MIN, NZ32, 0, 0, NZ32, 0);
	T(S, OP_MIN, 0, NZ32, 0, NZ32, 0);
	T(S, OP_MAX, NZ32, 0, 0, 0, 0);
	T(S, OP_MAX, 0, NZ32, 0, 0, 0);
	T(S, OP_MIN, ONE32, TWO32, 0, ONE32, 0);
	T(S, OP_MAX, ONE32, TWO32, 0, TWO32, 0);
	T(S, OP_MIN, 0xbf800000, 0xc0000000, 0, 0xc0000000, 0);
	T(S, OP_MAX, 0xbf800000, 0xc0000000, 0, 0xbf800000, 0);
	T(S, OP_MIN, NINF32, ONE32, 0, NINF32, 0);
	T(S, OP_MAX, QNAN32, NINF32, 0, NINF32, 0);
	T(D, OP_MIN, QNAN64, ONE64, 0, ONE64, 0);
	T(D, OP_MAX, SNAN64, ONE64, 0, ONE64, NV);
	T(D, OP_MIN, QNAN64, 0xfff8000000000001ull, 0, CN64, 0);
	T(D, OP_MIN, 0, NZ64, 0, NZ64, 0);
	T(D, OP_MAX, NZ64, 0, 0, 0, 0);
	T(D, OP_MAX, 0xbff0000000000000ull, 0xc000000000000000ull, 0, 0xbff0000000000000ull, 0);

	T(S, OP_EQ, QNAN32, ONE32, 0, 0, 0);
	T(S, OP_EQ, QNAN32, QNAN32, 0, 0, 0);
	T(S, OP_EQ, SNAN32, ONE32, 0, 0, NV);
	T(S, OP_EQ, ONE32, SNAN32, 0, 0, NV);
	T(S, OP_LT, QNAN32, ONE32, 0, 0, NV);
	T(S, OP_LE, ONE32, QNAN32, 0, 0, NV);
	T(S, OP_LT, SNAN32, ONE32, 0, 0, NV);
	T(S, OP_EQ, NZ32, 0, 0, 1, 0);
	T(S, OP_LT, NZ32, 0, 0, 0, 0);
	T(S, OP_LE, NZ32, 0, 0, 1, 0);
	T(S, OP_LE, 0, NZ32, 0, 1, 0);
	T(S, OP_LT, ONE32, TWO32, 0, 1, 0);
	T(S, OP_LT, TWO32, ONE32, 0, 0, 0);
	T(S, OP_LE, TWO32, TWO32, 0, 1, 0);
	T(S, OP_LT, TWO32, TWO32, 0, 0, 0);
	T(S, OP_LT, NINF32, INF32, 0, 1, 0);
	T(S, OP_LT, 0xc0000000, 0xbf800000, 0, 1, 0);
	T(S, OP_LT, 0xbf800000, 0xc0000000, 0, 0, 0);
	T(S, OP_EQ, ONE32, ONE32, 0, 1, 0);
	T(D, OP_EQ, QNAN64, QNAN64, 0, 0, 0);
	T(D, OP_EQ, SNAN64, QNAN64, 0, 0, NV);
	T(D, OP_LE, QNAN64, QNAN64, 0, 0, NV);
	T(D, OP_EQ, NZ64, 0, 0, 1, 0);
	T(D, OP_LT, NZ64, 0, 0, 0, 0);
	T(D, OP_LE, NZ64, 0, 0, 1, 0);
	T(D, OP_LT, 0xc000000000000000ull, 0xbff0000000000000ull, 0, 1, 0);
	T(D, OP_LE, 1, 0, 0, 0, 0);
	T(D, OP_LT, 0, 1, 0, 1, 0);

	T(S, OP_CLASS, NINF32, 0, 0, 1 << 0, 0);
	T(S, OP_CLASS, 0xbf800000, 0, 0, 1 << 1, 0);
	T(S, OP_CLASS, 0x80000001, 0, 0, 1 << 2, 0);
	T(S, OP_CLASS, NZ32, 0, 0, 1 << 3, 0);
	T(S, OP_CLASS, 0, 0, 0, 1 << 4, 0);
	T(S, OP_CLASS, 0x007fffff, 0, 0, 1 << 5, 0);
	T(S, OP_CLASS, 0x00800000, 0, 0, 1 << 6, 0);
	T(S, OP_CLASS, INF32, 0, 0, 1 << 7, 0);
	T(S, OP_CLASS, SNAN32, 0, 0, 1 << 8, 0);
	T(S, OP_CLASS, 0xffbfffff, 0, 0, 1 << 8, 0);
	T(S, OP_CLASS, QNAN32, 0, 0, 1 << 9, 0);
	T(S, OP_CLASS, 0xffc00000, 0, 0, 1 << 9, 0);
	T(D, OP_CLASS, NINF64, 0, 0, 1 << 0, 0);
	T(D, OP_CLASS, 0xbff0000000000000ull, 0, 0, 1 << 1, 0);
	T(D, OP_CLASS, 0x800fffffffffffffull, 0, 0, 1 << 2, 0);
	T(D, OP_CLASS, NZ64, 0, 0, 1 << 3, 0);
	T(D, OP_CLASS, 0, 0, 0, 1 << 4, 0);
	T(D, OP_CLASS, 1, 0, 0, 1 << 5, 0);
	T(D, OP_CLASS, MAX64, 0, 0, 1 << 6, 0);
	T(D, OP_CLASS, INF64, 0, 0, 1 << 7, 0);
	T(D, OP_CLASS, SNAN64, 0, 0, 1 << 8, 0);
	T(D, OP_CLASS, 0xfff8000000000000ull, 0, 0, 1 << 9, 0);
}

#define I32MIN   0xffffffff80000000ull
#define I32MAX   0x7fffffffull
#define I64MIN   0x8000000000000000ull
#define I64MAX   0x7fffffffffffffffull
#define ALL1     0xffffffffffffffffull
#define MINUS(n) ((uint64_t) - (int64_t)(n))

static void test_float_to_int(void)
{
	/* fcvt.w.s */
	T(S, OP_TO_W, QNAN32, 0, 0, I32MAX, NV);
	T(S, OP_TO_W, SNAN32, 0, 0, I32MAX, NV);
	T(S, OP_TO_W, 0xffc00000, 0, 0, I32MAX, NV);
	T(S, OP_TO_W, INF32, 0, 0, I32MAX, NV);
	T(S, OP_TO_W, NINF32, 0, 0, I32MIN, NV);
	T(S, OP_TO_W, 0x4f000000, 0, 0, I32MAX, NV); /* 2^31 */
	T(S, OP_TO_W, 0xcf000000, 0, 0, I32MIN, 0);  /* -2^31 */
	T(S, OP_TO_W, 0xcf000001, 0, 0, I32MIN, NV);
	T(S, OP_TO_W, 0x4effffff, 0, 0, 0x7fffff80, 0);
	T(S, OP_TO_W, NZ32, 0, 0, 0, 0);
	T5(S, OP_TO_W, 0x3fc00000, 0, 0, 2, 1, 1, 2, 2, NX); /* 1.5 */
	T5(S, OP_TO_W, 0x40200000, 0, 0, 2, 2, 2, 3, 3, NX); /* 2.5 */
	/* -2.5 */
	T5(S, OP_TO_W, 0xc0200000, 0, 0, MINUS(2), MINUS(2), MINUS(3), MINUS(2), MINUS(3), NX);
	T5(S, OP_TO_W, 0xbf000000, 0, 0, 0, 0, ALL1, 0, ALL1, NX); /* -0.5 */
	T5(S, OP_TO_W, 0x00000001, 0, 0, 0, 0, 0, 1, 0, NX);

	/* fcvt.wu.s: 32-bit result sign-extended; negative inputs rounding to 0 are valid. */
	T(S, OP_TO_WU, QNAN32, 0, 0, ALL1, NV);
	T(S, OP_TO_WU, 0xff800001, 0, 0, ALL1, NV);
	T(S, OP_TO_WU, INF32, 0, 0, ALL1, NV);
	T(S, OP_TO_WU, NINF32, 0, 0, 0, NV);
	T(S, OP_TO_WU, 0xbf800000, 0, 0, 0, NV);    /* -1.0 */
	T(S, OP_TO_WU, 0x4f800000, 0, 0, ALL1, NV); /* 2^32 */
	T(S, OP_TO_WU, 0x4f7fffff, 0, 0, 0xffffffffffffff00ull, 0);
	T(S, OP_TO_WU, 0x4f400000, 0, 0, 0xffffffffc0000000ull, 0);
	T(S, OP_TO_WU, ONE32, 0, 0, 1, 0);
	T(S, OP_TO_WU, NZ32, 0, 0, 0, 0);
	TM(S, OP_TO_WU, 0xbe99999a, 0, 0, 1, 0, NX); /* -0.3 */
	TM(S, OP_TO_WU, 0xbe99999a, 0, 0, 0, 0, NX);
	TM(S, OP_TO_WU, 0xbe99999a, 0, 0, 3, 0, NX);
	TM(S, OP_TO_WU, 0xbe99999a, 0, 0, 4, 0, NX);
	TM(S, OP_TO_WU, 0xbe99999a, 0, 0, 2, 0, NV); /* rounds to -1 */
	TM(S, OP_TO_WU, 0xbf000000, 0, 0, 0, 0, NX); /* -0.5 ties to even 0 */
	TM(S, OP_TO_WU, 0xbf000000, 0, 0, 4, 0, NV); /* ... but away to -1 in RMM */
	TM(S, OP_TO_WU, 0xbf333333, 0, 0, 0, 0, NV); /* -0.7 */
	TM(S, OP_TO_WU, 0xbf333333, 0, 0, 1, 0, NX);

	/* fcvt.l.s / fcvt.lu.s */
	T(S, OP_TO_L, QNAN32, 0, 0, I64MAX, NV);
	T(S, OP_TO_L, INF32, 0, 0, I64MAX, NV);
	T(S, OP_TO_L, NINF32, 0, 0, I64MIN, NV);
	T(S, OP_TO_L, 0x5f000000, 0, 0, I64MAX, NV);
	T(S, OP_TO_L, 0xdf000000, 0, 0, I64MIN, 0);
	T(S, OP_TO_L, 0xdf000001, 0, 0, I64MIN, NV);
	T(S, OP_TO_L, 0x5effffff, 0, 0, 0x7fffff8000000000ull, 0);
	T5(S, OP_TO_L, HALF32, 0, 0, 0, 0, 0, 1, 1, NX);
	T(S, OP_TO_LU, QNAN32, 0, 0, ALL1, NV);
	T(S, OP_TO_LU, INF32, 0, 0, ALL1, NV);
	T(S, OP_TO_LU, NINF32, 0, 0, 0, NV);
	T(S, OP_TO_LU, 0x5f800000, 0, 0, ALL1, NV);
	T(S, OP_TO_LU, 0x5f000000, 0, 0, I64MIN, 0);
	T(S, OP_TO_LU, 0x5f7fffff, 0, 0, 0xffffff0000000000ull, 0);
	T(S, OP_TO_LU, 0xbf800000, 0, 0, 0, NV);
	TM(S, OP_TO_LU, 0xbe99999a, 0, 0, 1, 0, NX);

	/* fcvt.w.d: the range check happens after rounding. */
	T(D, OP_TO_W, QNAN64, 0, 0, I32MAX, NV);
	T(D, OP_TO_W, NINF64, 0, 0, I32MIN, NV);
	T(D, OP_TO_W, 0x41dfffffffc00000ull, 0, 0, I32MAX, 0); /* 2^31 - 1 */
	T(D, OP_TO_W, 0xc1e0000000000000ull, 0, 0, I32MIN, 0);
	T(D, OP_TO_W, 0x7e37e43c8800759cull, 0, 0, I32MAX, NV); /* 1e300 */
	T(D, OP_TO_W, 0xfe37e43c8800759cull, 0, 0, I32MIN, NV);

	T(D, OP_TO_WU, QNAN64, 0, 0, ALL1, NV);
	T(D, OP_TO_WU, 0x41e65a0bc0000000ull, 0, 0, 0xffffffffb2d05e00ull, 0); /* 3e9 */
	T(D, OP_TO_WU, 0x41f0000000000000ull, 0, 0, ALL1, NV);                 /* 2^32 */
	T(D, OP_TO_WU, 0xbff0000000000000ull, 0, 0, 0, NV);
	T(D, OP_TO_L, 0x43e0000000000000ull, 0, 0, I64MAX, NV);
	T(D, OP_TO_L, 0xc3e0000000000000ull, 0, 0, I64MIN, 0);
	T(D, OP_TO_L, 0xc3e0000000000001ull, 0, 0, I64MIN, NV);
	T(D, OP_TO_L, 0x43dfffffffffffffull, 0, 0, 0x7ffffffffffffc00ull, 0);
	T(D, OP_TO_L, QNAN64, 0, 0, I64MAX, NV);
	T(D, OP_TO_L, 0xfe37e43c8800759cull, 0, 0, I64MIN, NV);
	T(D, OP_TO_LU, 0x43f0000000000000ull, 0, 0, ALL1, NV);
	T(D, OP_TO_LU, 0x43efffffffffffffull, 0, 0, 0xfffffffffffff800ull, 0);
	T(D, OP_TO_LU, NZ64, 0, 0, 0, 0);
	T(D, OP_TO_LU, NINF64, 0, 0, 0, NV);
	T(D, OP_TO_LU, SNAN64, 0, 0, ALL1, NV);
	T5(D, OP_TO_LU, HALF64, 0, 0, 0, 0, 0, 1, 1, NX);
	T5(D, OP_TO_LU, 0x3ff8000000000000ull, 0, 0, 2, 1, 1, 2, 2, NX);
}

static void test_float_to_int_rounding_range(void)
{
	/* 2^31 - 0.5: rounds up out of range in RNE/RUP/RMM. */
	TM(D, OP_TO_W, 0x41dfffffffe00000ull, 0, 0, 0, I32MAX, NV);
	TM(D, OP_TO_W, 0x41dfffffffe00000ull, 0, 0, 1, I32MAX, NX);
	TM(D, OP_TO_W, 0x41dfffffffe00000ull, 0, 0, 2, I32MAX, NX);
	TM(D, OP_TO_W, 0x41dfffffffe00000ull, 0, 0, 3, I32MAX, NV);
	TM(D, OP_TO_W, 0x41dfffffffe00000ull, 0, 0, 4, I32MAX, NV);
	/* -2^31 - 0.5: ties to even stay in range, RDN/RMM go out of range. */
	TM(D, OP_TO_W, 0xc1e0000000100000ull, 0, 0, 0, I32MIN, NX);
	TM(D, OP_TO_W, 0xc1e0000000100000ull, 0, 0, 1, I32MIN, NX);
	TM(D, OP_TO_W, 0xc1e0000000100000ull, 0, 0, 2, I32MIN, NV);
	TM(D, OP_TO_W, 0xc1e0000000100000ull, 0, 0, 3, I32MIN, NX);
	TM(D, OP_TO_W, 0xc1e0000000100000ull, 0, 0, 4, I32MIN, NV);
	/* 2^32 - 0.5 for fcvt.wu.d */
	TM(D, OP_TO_WU, 0x41effffffff00000ull, 0, 0, 0, ALL1, NV);
	TM(D, OP_TO_WU, 0x41effffffff00000ull, 0, 0, 1, ALL1, NX);
	TM(D, OP_TO_WU, 0x41effffffff00000ull, 0, 0, 2, ALL1, NX);
	TM(D, OP_TO_WU, 0x41effffffff00000ull, 0, 0, 3, ALL1, NV);
	TM(D, OP_TO_WU, 0x41effffffff00000ull, 0, 0, 4, ALL1, NV);
	TM(D, OP_TO_WU, 0xbfe0000000000000ull, 0, 0, 0, 0, NX); /* -0.5 */
	TM(D, OP_TO_WU, 0xbfe0000000000000ull, 0, 0, 4, 0, NV);
	TM(D, OP_TO_WU, 0xbfe0000000000000ull, 0, 0, 2, 0, NV);
	TM(D, OP_TO_WU, 0xbfe0000000000000ull, 0, 0, 3, 0, NX);
	TM(D, OP_TO_W, 0x0000000000000001ull, 0, 0, 0, 0, NX);
	TM(D, OP_TO_W, 0x0000000000000001ull, 0, 0, 3, 1, NX);
	TM(D, OP_TO_W, 0x8000000000000001ull, 0, 0, 2, ALL1, NX);
}

static void test_int_to_float(void)
{
	T5(S, OP_FROM_W, 0x7fffffff, 0, 0, 0x4f000000, 0x4effffff, 0x4effffff, 0x4f000000,
	   0x4f000000, NX);
	T(S, OP_FROM_W, 0x80000000, 0, 0, 0xcf000000, 0);
	T(S, OP_FROM_W, 0xffffffff00000005ull, 0, 0, 0x40a00000, 0); /* low 32 bits only */
	T(S, OP_FROM_W, 0x00000000ffffffffull, 0, 0, 0xbf800000, 0);
	T(S, OP_FROM_W, 0, 0, 0, 0, 0);
	T5(S, OP_FROM_W, 0x1000001, 0, 0, 0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001,
	   0x4b800001, NX);
	T5(S, OP_FROM_W, 0xfeffffff, 0, 0, 0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000,
	   0xcb800001, NX);
	T5(S, OP_FROM_W, 0x1000003, 0, 0, 0x4b800002, 0x4b800001, 0x4b800001, 0x4b800002,
	   0x4b800002, NX);
	T5(S, OP_FROM_WU, 0xffffffff, 0, 0, 0x4f800000, 0x4f7fffff, 0x4f7fffff, 0x4f800000,
	   0x4f800000, NX);
	T5(S, OP_FROM_WU, 0x12345678ffffffffull, 0, 0, 0x4f800000, 0x4f7fffff, 0x4f7fffff,
	   0x4f800000, 0x4f800000, NX);
	T5(S, OP_FROM_LU, ALL1, 0, 0, 0x5f800000, 0x5f7fffff, 0x5f7fffff, 0x5f800000, 0x5f800000,
	   NX);
	T(S, OP_FROM_L, ALL1, 0, 0, 0xbf800000, 0);
	T(S, OP_FROM_L, I64MIN, 0, 0, 0xdf000000, 0);
	T5(S, OP_FROM_L, MINUS(0x1000001), 0, 0, 0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000,
	   0xcb800001, NX);
	T5(D, OP_FROM_L, 0x20000000000001ull, 0, 0, 0x4340000000000000ull, 0x4340000000000000ull,
	   0x4340000000000000ull, 0x4340000000000001ull, 0x4340000000000001ull, NX);
	T(D, OP_FROM_L, I64MIN, 0, 0, 0xc3e0000000000000ull, 0);
	T5(D, OP_FROM_LU, ALL1, 0, 0, 0x43f0000000000000ull, 0x43efffffffffffffull,
	   0x43efffffffffffffull, 0x43f0000000000000ull, 0x43f0000000000000ull, NX);
	T(D, OP_FROM_W, 0xffffffffull, 0, 0, 0xbff0000000000000ull, 0);
	T(D, OP_FROM_W, 0x80000000ull, 0, 0, 0xc1e0000000000000ull, 0);
	T(D, OP_FROM_WU, 0xffffffffull, 0, 0, 0x41efffffffe00000ull, 0);
	T(D, OP_FROM_LU, 0, 0, 0, 0, 0);
}

static void test_fp_convert(void)
{
	/* f64 -> f32 (OP_CVT with is64 = 1) */
	T5(D, OP_CVT, 0x3ff0000010000000ull, 0, 0, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001,
	   0x3f800001, NX);
	T5(D, OP_CVT, 0xbff0000030000000ull, 0, 0, 0xbf800002, 0xbf800001, 0xbf800002, 0xbf800001,
	   0xbf800002, NX);
	T5(D, OP_CVT, 0x7e37e43c8800759cull, 0, 0, INF32, MAX32, MAX32, INF32, INF32, OF | NX);
	T5(D, OP_CVT, 0xfe37e43c8800759cull, 0, 0, NINF32, MAX32 | NZ32, NINF32, MAX32 | NZ32,
	   NINF32, OF | NX);
	TM(D, OP_CVT, 0x47effffff0000000ull, 0, 0, 0, INF32, OF | NX); /* max + half ulp */
	TM(D, OP_CVT, 0x47effffff0000000ull, 0, 0, 1, MAX32, NX);
	TM(D, OP_CVT, 0x47effffff0000000ull, 0, 0, 4, INF32, OF | NX);
	TM(D, OP_CVT, 0x47efffffe8000000ull, 0, 0, 4, MAX32, NX);
	T(D, OP_CVT, 0x47efffffe0000000ull, 0, 0, MAX32, 0);
	T5(D, OP_CVT, 0x36a8000000000000ull, 0, 0, 2, 1, 1, 2, 2, UF | NX); /* 1.5 * 2^-149 */
	T5(D, OP_CVT, 0x36b4000000000000ull, 0, 0, 2, 2, 2, 3, 3, UF | NX); /* 2.5 * 2^-149 */
	T5(D, OP_CVT, 0x3690000000000000ull, 0, 0, 0, 0, 0, 1, 1, UF | NX); /* 2^-150 */
	T5(D, OP_CVT, 1, 0, 0, 0, 0, 0, 1, 0, UF | NX);
	T(D, OP_CVT, 0x3730000000000000ull, 0, 0, 0x00000200, 0); /* 2^-140 exact */
	T(D, OP_CVT, SNAN64, 0, 0, CN32, NV);
	T(D, OP_CVT, 0x7ff8000000000123ull, 0, 0, CN32, 0);
	T(D, OP_CVT, 0xfff8000000000000ull, 0, 0, CN32, 0);
	T(D, OP_CVT, NZ64, 0, 0, NZ32, 0);
	T(D, OP_CVT, NINF64, 0, 0, NINF32, 0);
	/* f32 -> f64 (OP_CVT with is64 = 0) */
	T(S, OP_CVT, SNAN32, 0, 0, CN64, NV);
	T(S, OP_CVT, 0xffc00000, 0, 0, CN64, 0);
	T(S, OP_CVT, 0x7fc00001, 0, 0, CN64, 0);
	T(S, OP_CVT, 1, 0, 0, 0x36a0000000000000ull, 0);
	T(S, OP_CVT, 0x80400000, 0, 0, 0xb800000000000000ull, 0);
	T(S, OP_CVT, NZ32, 0, 0, NZ64, 0);
	T(S, OP_CVT, ONE32, 0, 0, ONE64, 0);
	T(S, OP_CVT, MAX32, 0, 0, 0x47efffffe0000000ull, 0);
	T(S, OP_CVT, NINF32, 0, 0, NINF64, 0);
}

static void test_boxing(void)
{
	uint32_t fl = 0;

	report(__LINE__, "box32", fpu_box32(ONE32), 0xffffffff3f800000ull, 0, 0);
	report(__LINE__, "unbox32 boxed", fpu_unbox32(0xffffffff3f800000ull), ONE32, 0, 0);
	report(__LINE__, "unbox32 zero-extended", fpu_unbox32(0x000000003f800000ull), CN32, 0, 0);
	report(__LINE__, "unbox32 almost boxed", fpu_unbox32(0xfffffffe3f800000ull), CN32, 0, 0);
	report(__LINE__, "unbox32 double", fpu_unbox32(ONE64), CN32, 0, 0);
	report(__LINE__, "unbox32 boxed NaN", fpu_unbox32(0xffffffff7f800001ull), SNAN32, 0, 0);
	/* An improperly boxed operand is a quiet NaN: no NV, canonical result. */
	report_fl(__LINE__, "add unboxed",
	          f32_add(fpu_unbox32(0x000000003f800000ull), ONE32, RM_RNE, &fl), CN32, &fl, 0);
	fl = 0;
	report_fl(__LINE__, "to_w unboxed", f32_to_i32(fpu_unbox32(ONE64), RM_RNE, &fl), I32MAX,
	          &fl, NV);
}

#if defined(__x86_64__) && !defined(FPU_PORTABLE_HOST)
static uint32_t get_mxcsr(void)
{
	uint32_t c;
	__asm__ volatile("stmxcsr %0" : "=m"(c));
	return c;
}

static void set_mxcsr(uint32_t c)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(c));
}
#endif

static void test_host_state(void)
{
	uint32_t fl;
	int rm;

	/* The host rounding mode is round-to-nearest after every call. */
	for (rm = 0; rm < 5; rm++) {
		fl = 0;
		f64_add(ONE64, 0x3ca0000000000000ull, (enum fpu_rm)rm, &fl);
		check_true(__LINE__, "host rounding mode restored (f64_add)",
		           fegetround() == FE_TONEAREST);
		f32_madd(ONE32, 0x33800000, 0x33800000, (enum fpu_rm)rm, &fl);
		check_true(__LINE__, "host rounding mode restored (f32_madd)",
		           fegetround() == FE_TONEAREST);
		f64_sqrt(TWO64, (enum fpu_rm)rm, &fl);
		check_true(__LINE__, "host rounding mode restored (f64_sqrt)",
		           fegetround() == FE_TONEAREST);
	}

	/* Stale host flags do not leak into results. */
	feraiseexcept(FE_ALL_EXCEPT);
	fl = 0;
	report_fl(__LINE__, "exact add after host flags", f64_add(ONE64, ONE64, RM_RUP, &fl), TWO64,
	          &fl, 0);
	feraiseexcept(FE_ALL_EXCEPT);
	fl = 0;
	report_fl(__LINE__, "exact fma after host flags",
	          f32_madd(ONE32, ONE32, ONE32, RM_RNE, &fl), TWO32, &fl, 0);
	feclearexcept(FE_ALL_EXCEPT);

	/* A host rounding mode left by someone else does not matter. */
	fesetround(FE_UPWARD);
	fl = 0;
	report_fl(__LINE__, "RNE add with host in FE_UPWARD",
	          f32_add(ONE32, 0x33800001, RM_RNE, &fl), ONE32 + 1, &fl, NX);
	fesetround(FE_UPWARD);
	fl = 0;
	report_fl(__LINE__, "RNE add with host in FE_UPWARD",
	          f32_add(ONE32, 0x33000000, RM_RNE, &fl), ONE32, &fl, NX);
	fesetround(FE_TONEAREST);

	/* fflags accumulate (OR), never cleared. */
	fl = FFLAG_DZ;
	f32_add(ONE32, 0x33800000, RM_RNE, &fl);
	report(__LINE__, "fflags accumulate", fl, DZ | NX, 0, 0);
	fl = FFLAG_NV;
	f64_to_i64(ONE64, RM_RNE, &fl);
	report(__LINE__, "fflags accumulate (cvt)", fl, NV, 0, 0);

#if defined(__x86_64__) && !defined(FPU_PORTABLE_HOST)
	{
		/* Host DAZ/FTZ must not affect results. */
		uint32_t saved = get_mxcsr();
		set_mxcsr(saved | 0x8040);
		fl = 0;
		report_fl(__LINE__, "subnormal operand with host DAZ",
		          f32_mul(1, ONE32, RM_RNE, &fl), 1, &fl, 0);
		set_mxcsr(saved | 0x8040);
		fl = 0;
		report_fl(__LINE__, "subnormal result with host FTZ",
		          f64_mul(0x0010000000000000ull, HALF64, RM_RTZ, &fl),
		          0x0008000000000000ull, &fl, 0);
		set_mxcsr(saved);
	}
#endif
}

/* ---------------------------------------------------------------------------------------- */
/* Random tests                                                                             */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t pack(const struct rfmt *f, int sign, uint64_t ef, uint64_t frac)
{
	return r_zero(f, sign) | (ef << (f->p - 1)) | (frac & ((1ull << (f->p - 1)) - 1));
}

/* A random significand with few significant bits (to make exact and halfway cases likely). */
static uint64_t gen_frac(const struct rfmt *f)
{
	uint64_t r = rnd(), frac = rnd() & ((1ull << (f->p - 1)) - 1);
	int clear = (int)(r % (uint64_t)f->p);

	switch ((r >> 8) % 4) {
	case 0: return frac;
	case 1: return frac >> clear << clear;
	case 2: return (frac | ((1ull << clear) - 1));
	default: return (frac >> clear << clear) | (rnd() & 1);
	}
}

static uint64_t gen_special(const struct rfmt *f)
{
	uint64_t r = rnd(), maxe = (1ull << f->ebits) - 1, fm = (1ull << (f->p - 1)) - 1;
	int s = (r >> 8) & 1;

	switch (r % 12) {
	case 0: return r_zero(f, s);
	case 1: return r_zero(f, s) | r_inf(f);
	case 2: return r_canon(f) | r_zero(f, s) | (rnd() & (fm >> 1));
	case 3: return pack(f, s, maxe, (rnd() & (fm >> 1)) | 1); /* sNaN */
	case 4: return pack(f, s, 0, 1);
	case 5: return pack(f, s, 0, fm);
	case 6: return pack(f, s, 1, 0);
	case 7: return pack(f, s, maxe - 1, fm);
	case 8: return pack(f, s, (uint64_t)f->bias, 0);
	case 9: return pack(f, s, (uint64_t)f->bias, fm);
	case 10: return pack(f, s, 0, rnd());
	default: return pack(f, s, (uint64_t)f->bias + 1, 0);
	}
}

/* Biased exponent near `center`, clamped to finite values. */
static uint64_t exp_near(const struct rfmt *f, long center, int spread)
{
	long e = center + (long)(rnd() % (uint64_t)(2 * spread + 1)) - spread;
	long maxe = (1L << f->ebits) - 2;

	if (e < 0)
		e = 0;
	if (e > maxe)
		e = maxe;
	return (uint64_t)e;
}

static uint64_t gen(const struct rfmt *f)
{
	uint64_t r = rnd(), maxe = (1ull << f->ebits) - 1;
	int s = (r >> 16) & 1;

	switch (r % 16) {
	case 0: return gen_special(f);
	case 1:
	case 2: return rnd() & ((r_signbit(f) << 1) - 1);
	case 3: return pack(f, s, 0, gen_frac(f));
	case 4: return pack(f, s, exp_near(f, 1, f->p + 2), gen_frac(f));
	case 5: return pack(f, s, exp_near(f, (long)maxe - 1, f->p + 2), gen_frac(f));
	case 6: return pack(f, s, 1 + rnd() % (maxe - 1), gen_frac(f));
	default: return pack(f, s, exp_near(f, f->bias, f->p + 4), gen_frac(f));
	}
}

static uint64_t exp_field(const struct rfmt *f, uint64_t x)
{
	return (x >> (f->p - 1)) & ((1ull << f->ebits) - 1);
}

/* An operand with an exponent close to that of x (cancellation, alignment ties). */
static uint64_t gen_near(const struct rfmt *f, uint64_t x)
{
	if (rnd() % 4 == 0)
		return gen(f);
	return pack(f, (int)(rnd() & 1), exp_near(f, (long)exp_field(f, x), f->p + 3), gen_frac(f));
}

/* An addend for a*b + c that is close in magnitude to the product. */
static uint64_t gen_addend(const struct rfmt *f, uint64_t a, uint64_t b)
{
	long pe = (long)exp_field(f, a) + (long)exp_field(f, b) - f->bias;
	uint64_t r = rnd() % 4;

	if (r == 0 || !exp_field(f, a) || !exp_field(f, b))
		return gen(f);
	if (r == 1) {
		/* The host-rounded product, perturbed by a few ulps, either sign. */
		uint64_t p;
		if (f->p == 53) {
			double x = host_val(1, a), y = host_val(1, b), z = x * y;
			memcpy(&p, &z, 8);
		} else {
			float x = (float)host_val(0, a), y = (float)host_val(0, b), z = x * y;
			uint32_t p32;
			memcpy(&p32, &z, 4);
			p = p32;
		}
		if (r_class(f, p) != RC_FINITE)
			return gen(f);
		p += rnd() % 5 - 2;
		if (r_class(f, p) != RC_FINITE)
			return gen(f);
		return p ^ ((rnd() & 1) ? r_signbit(f) : 0);
	}
	return pack(f, (int)(rnd() & 1), exp_near(f, pe, f->p + 3), gen_frac(f));
}

static const int host_excepts[5] = { FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW,
	                             FE_INEXACT };

static void rcheck(int is64, enum op op, uint64_t a, uint64_t b, uint64_t c, int rm)
{
	uint32_t fl = 0;
	uint64_t got, r = rnd();

	/* Sometimes disturb the host FP environment: it must not matter. */
	if (r % 8 == 0)
		feraiseexcept(host_excepts[(r >> 8) % 5]);
	if (r % 32 == 1)
		fesetround((r >> 16) & 1 ? FE_UPWARD : FE_TOWARDZERO);
#if defined(__x86_64__) && !defined(FPU_PORTABLE_HOST)
	if (r % 32 == 3)
		set_mxcsr(get_mxcsr() | 0x8040); /* FTZ, DAZ */
#endif
	got = api_op(is64, op, a, b, c, rm, &fl);
	if (r % 32 == 1)
		fesetround(FE_TONEAREST);
	else if (fegetround() != FE_TONEAREST)
		check_true(__LINE__, "host rounding mode is round-to-nearest after a call", 0);
#if defined(__x86_64__) && !defined(FPU_PORTABLE_HOST)
	if (r % 32 == 3)
		set_mxcsr(get_mxcsr() & ~0x8040u);
#endif
	struct rres ref = ref_op(is64, op, a, b, c, rm);

	if (got == ref.bits && fl == ref.fl) {
		n_pass++;
		return;
	}
	n_fail++;
	if (n_fail <= 60)
		printf("FAIL random f%d_%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
		       ") %s: got %#" PRIx64 " flags %#x, reference %#" PRIx64 " flags %#x\n",
		       is64 ? 64 : 32, op_name[op], a, b, c, rm_name[rm], got, fl, ref.bits,
		       ref.fl);
}

static void random_arith(int is64, int iters)
{
	const struct rfmt *f = is64 ? &R64 : &R32;

	for (int i = 0; i < iters; i++) {
		uint64_t a = gen(f), b = gen_near(f, a), c = gen_addend(f, a, b);
		for (int rm = 0; rm < 5; rm++) {
			rcheck(is64, OP_ADD, a, b, 0, rm);
			rcheck(is64, OP_SUB, a, b, 0, rm);
			rcheck(is64, OP_MUL, a, b, 0, rm);
			rcheck(is64, OP_DIV, a, b, 0, rm);
			rcheck(is64, OP_SQRT, a, 0, 0, rm);
			rcheck(is64, OP_MADD, a, b, c, rm);
			rcheck(is64, OP_MSUB, a, b, c, rm);
			rcheck(is64, OP_NMSUB, a, b, c, rm);
			rcheck(is64, OP_NMADD, a, b, c, rm);
		}
	}
}

static void random_convert(int is64, int iters)
{
	const struct rfmt *f = is64 ? &R64 : &R32;

	for (int i = 0; i < iters; i++) {
		/* Floats around the integer ranges, and anything. */
		uint64_t x = (rnd() & 1) ? gen(f)
		                         : pack(f, (int)(rnd() & 1), exp_near(f, f->bias + 32, 36),
		                                gen_frac(f));
		/* Integers of random magnitude with few significant bits. */
		uint64_t v = rnd() >> (rnd() % 64);
		if (rnd() & 1)
			v = v >> (rnd() % 40) << (rnd() % 40);
		if (rnd() & 1)
			v = 0 - v;
		for (int rm = 0; rm < 5; rm++) {
			rcheck(is64, OP_TO_W, x, 0, 0, rm);
			rcheck(is64, OP_TO_WU, x, 0, 0, rm);
			rcheck(is64, OP_TO_L, x, 0, 0, rm);
			rcheck(is64, OP_TO_LU, x, 0, 0, rm);
			rcheck(is64, OP_FROM_W, v, 0, 0, rm);
			rcheck(is64, OP_FROM_WU, v, 0, 0, rm);
			rcheck(is64, OP_FROM_L, v, 0, 0, rm);
			rcheck(is64, OP_FROM_LU, v, 0, 0, rm);
			if (is64) {
				/* Doubles around the single-precision range. */
				uint64_t d = (rnd() & 1)
				                 ? x
				                 : pack(f, (int)(rnd() & 1),
				                        exp_near(f, 1023 - 126, 160), rnd());
				rcheck(1, OP_CVT, d, 0, 0, rm);
			} else {
				rcheck(0, OP_CVT, x, 0, 0, rm);
			}
		}
	}
}

static void random_compare(int is64, int iters)
{
	const struct rfmt *f = is64 ? &R64 : &R32;

	for (int i = 0; i < iters; i++) {
		uint64_t a = gen(f), b = (rnd() % 4 == 0) ? a : gen_near(f, a);
		if (rnd() % 8 == 0)
			b = a ^ r_signbit(f);
		rcheck(is64, OP_MIN, a, b, 0, 0);
		rcheck(is64, OP_MAX, a, b, 0, 0);
		rcheck(is64, OP_EQ, a, b, 0, 0);
		rcheck(is64, OP_LT, a, b, 0, 0);
		rcheck(is64, OP_LE, a, b, 0, 0);
		rcheck(is64, OP_CLASS, a, 0, 0, 0);
	}
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed5eedull;
	int before;

	rng_state = seed;
	test_nan_and_special();
	test_rounding();
	test_overflow_underflow();
	test_minmax_compare_classify();
	test_float_to_int();
	test_float_to_int_rounding_range();
	test_int_to_float();
	test_fp_convert();
	test_boxing();
	test_host_state();
	printf("directed: %d passed, %d failed\n", n_pass, n_fail);

	before = n_fail;
	random_arith(0, 6000);
	random_arith(1, 6000);
	random_convert(0, 6000);
	random_convert(1, 6000);
	random_compare(0, 20000);
	random_compare(1, 20000);
	printf("random (seed %#" PRIx64 "): %d failed\n", seed, n_fail - before);

	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail != 0;
}
