// SPDX-License-Identifier: MIT
/*
 * Memory/TLB workload over a 128 MiB working set (a quarter of the 512 MiB
 * guest), in 4 KiB pages (transparent huge pages refused, so the host runs
 * the same page size as the guest):
 *   - first touch of every page: 32 Ki demand-zero page faults;
 *   - a pointer chase through all pages in a random cyclic order: each step
 *     is a dependent load on a different page, so nearly every one misses
 *     the TLB (and the cache) and needs a page walk;
 *   - random read-modify-writes of 8-byte words anywhere in the set.
 */
#include <sys/mman.h>

#include "common.h"

#define SET_BYTES (128ul << 20)
#define PAGE      4096ul
#define NPAGES    (SET_BYTES / PAGE)

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	uint64_t sum = 0, s = 2024, t0;
	uint8_t *set;
	uint32_t *order;

	/* The random cyclic page order (Sattolo's shuffle) is set up before the clock starts. */
	order = malloc(NPAGES * sizeof(*order));
	if (!order)
		return 1;
	for (uint32_t i = 0; i < NPAGES; i++)
		order[i] = i;
	for (uint32_t i = NPAGES - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(mix64(&s) % i), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}

	t0 = now_ns();
	set = mmap(NULL, SET_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (set == MAP_FAILED)
		return 1;
	madvise(set, SET_BYTES, MADV_NOHUGEPAGE); /* fails harmlessly without THP */

	/* First touch; page i points at the page after it in the cycle, at a
	 * page-dependent offset so the chase does not always hit one cache set. */
	for (uint32_t i = 0; i < NPAGES; i++) {
		uint32_t next = order[(i + 1) % NPAGES];
		uint64_t *slot =
		    (uint64_t *)(set + (uint64_t)order[i] * PAGE + (order[i] % 64) * 64);

		*slot = (uint64_t)next * PAGE + (next % 64) * 64;
	}

	for (unsigned r = 0; r < 12 * scale; r++) {
		uint64_t off = (uint64_t)order[0] * PAGE + (order[0] % 64) * 64;

		for (uint32_t i = 0; i < NPAGES; i++) {
			off = *(uint64_t *)(set + off);
			sum += off >> 12;
		}
	}
	for (unsigned i = 0; i < 1000000 * scale; i++) {
		uint64_t *w = (uint64_t *)(set + (mix64(&s) % (SET_BYTES / 8)) * 8);

		*w += i;
		sum += *w;
	}
	munmap(set, SET_BYTES);
	report("memtlb", now_ns() - t0, sum);
	free(order);
	return 0;
}
