// SPDX-License-Identifier: MIT
/* The benchmark kernels run natively: prints "name ns checksum" per kernel. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned i;

	for (i = 0; i < bench_nkernels; i++) {
		const struct bench_kernel *k = &bench_kernels[i];
		uint64_t t0, t1, sum;

		if (argc > 1 && strcmp(argv[1], k->name) != 0)
			continue;
		t0 = now_ns();
		sum = k->run(k->scale);
		t1 = now_ns();
		printf("BENCH %s ns=%" PRIu64 " sum=%" PRIu64 "\n", k->name, t1 - t0, sum);
	}
	return 0;
}
