/* SPDX-License-Identifier: MIT */
/*
 * Benchmark kernels: the same C source runs as a guest (riscv64, bare metal)
 * and natively on the host, so their speeds can be compared directly.
 */
#ifndef RVISOR_BENCH_KERNELS_H
#define RVISOR_BENCH_KERNELS_H

#include <stdint.h>

struct bench_kernel {
	const char *name;
	uint64_t (*run)(unsigned scale);
	unsigned scale;
};

extern const struct bench_kernel bench_kernels[];
extern const unsigned bench_nkernels;

#endif
