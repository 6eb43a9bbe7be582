// SPDX-License-Identifier: MIT
/*
 * Guest user-mode program for the Linux end-to-end test: reads the time
 * through the vDSO (which executes rdtime in U-mode) and the cycle, time and
 * instret counters directly, and prints them, so the test can check that
 * user space may use the counters and that time advances.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t rd(int which)
{
	uint64_t v;

	if (which == 0)
		__asm__ volatile("rdcycle %0" : "=r"(v));
	else if (which == 1)
		__asm__ volatile("rdtime %0" : "=r"(v));
	else
		__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

int main(void)
{
	struct timespec a, b;
	uint64_t t0 = rd(1), i0 = rd(2), c0 = rd(0);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (volatile int i = 0; i < 1000000; i++)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("counters: time %llu instret %llu cycle %llu vdso_ns %lld\n",
	       (unsigned long long)(rd(1) - t0), (unsigned long long)(rd(2) - i0),
	       (unsigned long long)(rd(0) - c0),
	       (long long)((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)));
	return 0;
}
