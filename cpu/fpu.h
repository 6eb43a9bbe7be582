/*
 * RISC-V F/D floating-point unit for the interpreter.
 *
 * Values are raw IEEE 754 bit patterns: uint32_t for single precision, uint64_t for double.
 * `rm` is a resolved rounding mode (0..4); the caller handles DYN and the reserved encodings
 * (values 5..7 are treated as RNE here). Every function that can raise exceptions ORs the accrued
 * fflags bits into *fflags and never clears bits. All functions are reentrant: there is no
 * global mutable state, and the host FP environment is left in round-to-nearest.
 */
#ifndef RVISOR_CPU_FPU_H
#define RVISOR_CPU_FPU_H

#include <stdint.h>

/* RISC-V rounding modes (frm / rm field). */
enum fpu_rm { RM_RNE = 0, RM_RTZ = 1, RM_RDN = 2, RM_RUP = 3, RM_RMM = 4 };
/* fflags bits, as in the fcsr (unprivileged spec, F extension). */
enum { FFLAG_NX = 1, FFLAG_UF = 2, FFLAG_OF = 4, FFLAG_DZ = 8, FFLAG_NV = 16 };

#define F32_CANONICAL_NAN 0x7fc00000u
#define F64_CANONICAL_NAN 0x7ff8000000000000ull

/* fclass result bits. */
enum {
	FCLASS_NEG_INF = 1 << 0,
	FCLASS_NEG_NORMAL = 1 << 1,
	FCLASS_NEG_SUBNORMAL = 1 << 2,
	FCLASS_NEG_ZERO = 1 << 3,
	FCLASS_POS_ZERO = 1 << 4,
	FCLASS_POS_SUBNORMAL = 1 << 5,
	FCLASS_POS_NORMAL = 1 << 6,
	FCLASS_POS_INF = 1 << 7,
	FCLASS_SNAN = 1 << 8,
	FCLASS_QNAN = 1 << 9,
};

/* NaN boxing of single-precision values in 64-bit f registers. */
static inline uint64_t fpu_box32(uint32_t v)
{
	return 0xffffffff00000000ull | v;
}

static inline uint32_t fpu_unbox32(uint64_t v)
{
	if ((v >> 32) != 0xffffffffu)
		return F32_CANONICAL_NAN;
	return (uint32_t)v;
}

/* Single precision. */
uint32_t f32_add(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_sub(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_mul(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_div(uint32_t a, uint32_t b, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_sqrt(uint32_t a, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_madd(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_msub(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_nmsub(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_nmadd(uint32_t a, uint32_t b, uint32_t c, enum fpu_rm rm, uint32_t *fflags);
uint32_t f32_min(uint32_t a, uint32_t b, uint32_t *fflags);
uint32_t f32_max(uint32_t a, uint32_t b, uint32_t *fflags);
uint64_t f32_eq(uint32_t a, uint32_t b, uint32_t *fflags);
uint64_t f32_lt(uint32_t a, uint32_t b, uint32_t *fflags);
uint64_t f32_le(uint32_t a, uint32_t b, uint32_t *fflags);
uint64_t f32_classify(uint32_t a);

/* Double precision. */
uint64_t f64_add(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_sub(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_mul(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_div(uint64_t a, uint64_t b, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_sqrt(uint64_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_madd(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_msub(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_nmsub(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_nmadd(uint64_t a, uint64_t b, uint64_t c, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_min(uint64_t a, uint64_t b, uint32_t *fflags);
uint64_t f64_max(uint64_t a, uint64_t b, uint32_t *fflags);
uint64_t f64_eq(uint64_t a, uint64_t b, uint32_t *fflags);
uint64_t f64_lt(uint64_t a, uint64_t b, uint32_t *fflags);
uint64_t f64_le(uint64_t a, uint64_t b, uint32_t *fflags);
uint64_t f64_classify(uint64_t a);

/*
 * Float -> integer. The result is the value written to the x register: 32-bit results
 * (including the unsigned ones) are sign-extended to 64 bits. Out-of-range inputs and NaN
 * saturate as in the spec's fcvt table and raise NV only.
 */
uint64_t f32_to_i32(uint32_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f32_to_u32(uint32_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f32_to_i64(uint32_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f32_to_u64(uint32_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_to_i32(uint64_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_to_u32(uint64_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_to_i64(uint64_t a, enum fpu_rm rm, uint32_t *fflags);
uint64_t f64_to_u64(uint64_t a, enum fpu_rm rm, uint32_t *fflags);

/* Integer -> float. i32/u32 use the low 32 bits of the argument. */
uint32_t i32_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint32_t u32_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint32_t i64_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint32_t u64_to_f32(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint64_t i32_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint64_t u32_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint64_t i64_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags);
uint64_t u64_to_f64(uint64_t v, enum fpu_rm rm, uint32_t *fflags);

/* Precision conversions. */
uint64_t f32_to_f64(uint32_t a, uint32_t *fflags);
uint32_t f64_to_f32(uint64_t a, enum fpu_rm rm, uint32_t *fflags);

#endif /* RVISOR_CPU_FPU_H */
