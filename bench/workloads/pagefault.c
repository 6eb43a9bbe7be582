// SPDX-License-Identifier: MIT
/*
 * Page-fault workload: the life of short-lived memory. Repeatedly maps
 * 8 MiB of anonymous memory, writes one word in each 4 KiB page (a
 * demand-zero fault each), reads them back, and unmaps it again (a TLB
 * shootdown and page freeing each time); mprotect turns a part read-only
 * in between, which the kernel must apply to the page tables.
 */
#include <sys/mman.h>

#include "common.h"

#define MAP_BYTES (8ul << 20)
#define PAGE      4096ul

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	uint64_t sum = 0, t0 = now_ns();

	for (unsigned r = 0; r < 60 * scale; r++) {
		uint8_t *m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
		                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return 1;
		madvise(m, MAP_BYTES, MADV_NOHUGEPAGE); /* fails harmlessly without THP */
		for (uint64_t off = 0; off < MAP_BYTES; off += PAGE)
			*(uint64_t *)(m + off) = off ^ r;
		if (mprotect(m, MAP_BYTES / 2, PROT_READ) != 0)
			return 1;
		for (uint64_t off = 0; off < MAP_BYTES; off += PAGE)
			sum += *(uint64_t *)(m + off);
		munmap(m, MAP_BYTES);
	}
	report("pagefault", now_ns() - t0, sum);
	return 0;
}
