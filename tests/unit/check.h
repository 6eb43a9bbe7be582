/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' one check: compare two values as 64-bit integers, count
 * the result, and say which case and what differed. Each test prints
 * "N passed, M failed" last and exits non-zero on a failure.
 */
#ifndef RVISOR_TESTS_CHECK_H
#define RVISOR_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static unsigned passed, failed;
static const char *cur; /* the case being checked, set by each test */

#define CHECK_EQ(what, got, want)                                                                \
	do {                                                                                     \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                            \
		if (g_ == w_) {                                                                  \
			passed++;                                                                \
		} else {                                                                         \
			failed++;                                                                \
			printf("FAIL %s: %s = %#" PRIx64 ", want %#" PRIx64 "\n", cur, what, g_, \
			       w_);                                                              \
		}                                                                                \
	} while (0)

static inline int check_summary(void)
{
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}

#endif
