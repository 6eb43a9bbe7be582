// SPDX-License-Identifier: MIT
/*
 * Floating-point workload, double and single precision, using only +, -, *,
 * / and sqrt (correctly rounded everywhere) and built with
 * -ffp-contract=off, so the results are bit-identical in every VMM and on
 * the host and the checksum proves the emulated FPU right:
 *   - n-body step (double): divides, square roots, dependent chains;
 *   - dense matrix multiply 96x96 (double): multiply-add throughput;
 *   - Mandelbrot (float): compares and data-dependent loop exits;
 *   - FIR filter (float): streaming multiply-adds;
 *   - int <-> float conversions and min/max in a histogram.
 */
#include <math.h>
#include <string.h>

#include "common.h"

#define NBODY 48
#define MAT_N 96
#define FIR_N 8192
#define FIR_K 32

struct body {
	double x, y, z, vx, vy, vz, m;
};

static struct body bodies[NBODY];
static double ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static float fir_in[FIR_N + FIR_K], fir_out[FIR_N], fir_coef[FIR_K];

static uint64_t bits64(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static uint64_t bits32(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static double unit(uint64_t *s) /* uniform in [0, 1) */
{
	return (double)(mix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t nbody(unsigned steps)
{
	uint64_t s = 42, sum = 0;
	const double dt = 0.001;

	for (int i = 0; i < NBODY; i++)
		bodies[i] = (struct body){ unit(&s), unit(&s), unit(&s), 0, 0, 0, 0.5 + unit(&s) };
	for (unsigned t = 0; t < steps; t++) {
		for (int i = 0; i < NBODY; i++) {
			double ax = 0, ay = 0, az = 0;

			for (int j = 0; j < NBODY; j++) {
				double dx = bodies[j].x - bodies[i].x;
				double dy = bodies[j].y - bodies[i].y;
				double dz = bodies[j].z - bodies[i].z;
				double d2 = dx * dx + dy * dy + dz * dz + 0.01;
				double inv = bodies[j].m / (d2 * sqrt(d2));

				ax += dx * inv;
				ay += dy * inv;
				az += dz * inv;
			}
			bodies[i].vx += ax * dt;
			bodies[i].vy += ay * dt;
			bodies[i].vz += az * dt;
		}
		for (int i = 0; i < NBODY; i++) {
			bodies[i].x += bodies[i].vx * dt;
			bodies[i].y += bodies[i].vy * dt;
			bodies[i].z += bodies[i].vz * dt;
		}
	}
	for (int i = 0; i < NBODY; i++)
		sum = sum * 31 + bits64(bodies[i].x) + bits64(bodies[i].vy);
	return sum;
}

static uint64_t matmul(unsigned reps)
{
	uint64_t s = 7, sum = 0;

	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			ma[i][j] = unit(&s) - 0.5;
			mb[i][j] = unit(&s) - 0.5;
		}
	for (unsigned r = 0; r < reps; r++) {
		for (int i = 0; i < MAT_N; i++) {
			for (int j = 0; j < MAT_N; j++)
				mc[i][j] = 0;
			for (int k = 0; k < MAT_N; k++) {
				double a = ma[i][k];

				for (int j = 0; j < MAT_N; j++)
					mc[i][j] += a * mb[k][j];
			}
		}
		/* feed the result back, scaled, so every repetition differs */
		for (int i = 0; i < MAT_N; i++)
			for (int j = 0; j < MAT_N; j++)
				ma[i][j] = mc[i][j] / (1.0 + fabs(mc[i][j]));
	}
	for (int i = 0; i < MAT_N; i++)
		sum = sum * 31 + bits64(ma[i][(i * 7) % MAT_N]);
	return sum;
}

static uint64_t mandel(unsigned size)
{
	uint64_t iters = 0;

	for (unsigned py = 0; py < size; py++) {
		for (unsigned px = 0; px < size; px++) {
			float cr = -2.0f + 2.5f * (float)px / (float)size;
			float ci = -1.25f + 2.5f * (float)py / (float)size;
			float zr = 0, zi = 0;
			unsigned n = 0;

			while (n < 256 && zr * zr + zi * zi < 4.0f) {
				float t = zr * zr - zi * zi + cr;

				zi = 2.0f * zr * zi + ci;
				zr = t;
				n++;
			}
			iters = iters * 3 + n;
		}
	}
	return iters;
}

static uint64_t fir(unsigned reps)
{
	uint64_t s = 99, sum = 0;
	int hist[16] = { 0 };

	for (int i = 0; i < FIR_N + FIR_K; i++)
		fir_in[i] = (float)unit(&s) - 0.5f;
	for (int k = 0; k < FIR_K; k++)
		fir_coef[k] = 1.0f / (float)(k + 2);
	for (unsigned r = 0; r < reps; r++) {
		for (int i = 0; i < FIR_N; i++) {
			float acc = 0;

			for (int k = 0; k < FIR_K; k++)
				acc += fir_in[i + k] * fir_coef[k];
			fir_out[i] = acc;
		}
		for (int i = 0; i < FIR_N; i++) {
			float v = fmaxf(-1.0f, fminf(1.0f, fir_out[i] * 2.0f));

			hist[(int)((v + 1.0f) * 7.99f)]++;
			fir_in[i + FIR_K / 2] = v * 0.75f + (float)(i & 7) * 0.01f;
		}
	}
	for (int i = 0; i < 16; i++)
		sum = sum * 31 + (uint64_t)hist[i];
	for (int i = 0; i < FIR_N; i += 97)
		sum = sum * 31 + bits32(fir_out[i]);
	return sum;
}

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	uint64_t sum = 0, t0 = now_ns();

	for (unsigned r = 0; r < scale; r++) {
		sum = sum * 31 + nbody(400);
		sum = sum * 31 + matmul(40);
		sum = sum * 31 + mandel(320);
		sum = sum * 31 + fir(60);
	}
	report("fpmix", now_ns() - t0, sum);
	return 0;
}
