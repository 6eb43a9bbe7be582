/* SPDX-License-Identifier: MIT */
/*
 * Shared by the suite's workloads. Each workload is one C file built twice,
 * as a static riscv64 Linux binary for the guest and as a host binary, and
 * prints one line per measurement:
 *
 *     RESULT <name> <elapsed_ns> <checksum>
 *
 * elapsed_ns comes from clock_gettime(CLOCK_MONOTONIC) around the measured
 * part only (not process start-up); the checksum must be the same in every
 * VMM and natively, or one of them computed something else.
 */
#ifndef RVISOR_BENCH_WORKLOAD_COMMON_H
#define RVISOR_BENCH_WORKLOAD_COMMON_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The system call, not the vDSO: the vDSO reads the time CSR from U-mode,
 * which traps unless the guest kernel set scounteren.TM, and Linux 6.1 sets
 * it only in its SBI PMU driver (not in the default guest). Two system calls
 * per measurement cost nothing next to the work measured.
 */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void report(const char *name, uint64_t elapsed_ns, uint64_t checksum)
{
	printf("RESULT %s %" PRIu64 " %016" PRIx64 "\n", name, elapsed_ns, checksum);
	fflush(stdout);
}

/* argv[1], when given, scales the amount of work (default 1). */
static inline unsigned scale_arg(int argc, char **argv)
{
	long s = argc > 1 ? strtol(argv[1], NULL, 0) : 1;

	return s > 0 ? (unsigned)s : 1;
}

/* splitmix64: the workloads' only source of "random" numbers, so that every
 * run does exactly the same work. */
static inline uint64_t mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
