// SPDX-License-Identifier: MIT
/* The benchmark kernels as a guest: prints "BENCH name ticks=.. instret=.. sum=.." per kernel. */
#include "rt.h"

#include "kernels.h"

TEST_NAME("bench");

static inline uint64_t rd_time(void)
{
	uint64_t v;

	__asm__ volatile("rdtime %0" : "=r"(v));
	return v;
}

static inline uint64_t rd_instret(void)
{
	uint64_t v;

	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	unsigned i;

	(void)hartid, (void)dtb;
	/* Enable the FPU for the FP kernels. */
	__asm__ volatile("csrs sstatus, %0" ::"r"(1ul << 13));
	for (i = 0; i < bench_nkernels; i++) {
		const struct bench_kernel *k = &bench_kernels[i];
		uint64_t t0, t1, i0, i1, sum;

		t0 = rd_time();
		i0 = rd_instret();
		sum = k->run(k->scale);
		i1 = rd_instret();
		t1 = rd_time();
		printf("BENCH %s ticks=%lu instret=%lu sum=%lu\n", k->name,
		       (unsigned long)(t1 - t0), (unsigned long)(i1 - i0), (unsigned long)sum);
	}
	test_finish();
}
