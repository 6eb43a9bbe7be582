// SPDX-License-Identifier: MIT
/*
 * Integer and floating-point loops. Each returns a checksum so the compiler
 * cannot drop the work, and so guest and native runs can be compared.
 */
#include "kernels.h"

/* Integer ALU, multiply and branches: xorshift64* with data-dependent branches. */
static uint64_t k_intmix(unsigned scale)
{
	uint64_t x = 88172645463325252ull, acc = 0;
	unsigned i;

	for (i = 0; i < scale * 1000000u; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		acc += x * 2685821657736338717ull;
		if (acc & 0x100)
			acc ^= acc >> 7;
		else
			acc += i;
	}
	return acc;
}

/* Memory-bound integer: sieve of Eratosthenes over 1 MB, repeated. */
static uint8_t sieve_buf[1 << 20];

static uint64_t k_sieve(unsigned scale)
{
	uint64_t count = 0;
	unsigned r, i, j;

	for (r = 0; r < scale; r++) {
		for (i = 0; i < sizeof(sieve_buf); i++)
			sieve_buf[i] = 1;
		for (i = 2; i * i < sizeof(sieve_buf); i++)
			if (sieve_buf[i])
				for (j = i * i; j < sizeof(sieve_buf); j += i)
					sieve_buf[j] = 0;
		for (i = 2; i < sizeof(sieve_buf); i++)
			count += sieve_buf[i];
	}
	return count;
}

/* Division and remainder heavy: gcd of many pairs. */
static uint64_t k_gcd(unsigned scale)
{
	uint64_t acc = 0;
	uint32_t a, b, t;
	unsigned i;

	for (i = 1; i < scale * 100000u; i++) {
		a = i * 2654435761u;
		b = i + 12345;
		while (b) {
			t = a % b;
			a = b;
			b = t;
		}
		acc += a;
	}
	return acc;
}

/* Double-precision matrix multiply, 48x48. */
#define MN 48
static double ma[MN][MN], mb[MN][MN], mc[MN][MN];

static uint64_t k_matmul(unsigned scale)
{
	unsigned r, i, j, k;
	double sum = 0;

	for (i = 0; i < MN; i++)
		for (j = 0; j < MN; j++) {
			ma[i][j] = (double)(i + j) / MN;
			mb[i][j] = (double)(i * j % 7) - 3.0;
		}
	for (r = 0; r < scale; r++) {
		for (i = 0; i < MN; i++)
			for (j = 0; j < MN; j++) {
				double s = 0;
				for (k = 0; k < MN; k++)
					s += ma[i][k] * mb[k][j];
				mc[i][j] = s;
			}
		ma[r % MN][(r * 7) % MN] += mc[(r * 3) % MN][r % MN] * 1e-9;
	}
	for (i = 0; i < MN; i++)
		sum += mc[i][i];
	return (uint64_t)(int64_t)(sum * 1000.0);
}

/* Single-precision: sqrt, division and fused multiply-add (n-body-like). */
static uint64_t k_fpmix(unsigned scale)
{
	float x = 1.5f, y = 0.25f, z = 3.0f, acc = 0.0f;
	unsigned i;

	for (i = 0; i < scale * 100000u; i++) {
		float d2 = x * x + y * y + z * z + 0.01f;
		float inv = 1.0f / (d2 * __builtin_sqrtf(d2));
		acc += inv;
		x += 0.001f * inv;
		y -= 0.0007f * inv;
		z = z * 0.9999f + 0.0003f;
	}
	return (uint64_t)(acc * 1000.0f);
}

const struct bench_kernel bench_kernels[] = {
	{ "intmix", k_intmix, 20 }, { "sieve", k_sieve, 4 },  { "gcd", k_gcd, 10 },
	{ "matmul", k_matmul, 60 }, { "fpmix", k_fpmix, 60 },
};
const unsigned bench_nkernels = sizeof(bench_kernels) / sizeof(bench_kernels[0]);
