// SPDX-License-Identifier: MIT
#include <string.h>

#include "dev/iov.h"
#include "vmm/dma_race.h"

/* Skip off bytes: the index of the entry holding byte off, and off within it. */
static unsigned iov_seek(const struct iovec *iov, unsigned n, uint64_t *off)
{
	unsigned i = 0;

	while (i < n && *off >= iov[i].iov_len) {
		*off -= iov[i].iov_len;
		i++;
	}
	return i;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, uint64_t off, void *buf, size_t len)
{
	unsigned i = iov_seek(iov, n, &off);
	size_t done = 0;

	for (; i < n && done < len; i++, off = 0) {
		size_t k = iov[i].iov_len - off;

		if (k > len - done)
			k = len - done;
		dma_race_begin();
		memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, k);
		dma_race_end();
		done += k;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, uint64_t off, const void *buf, size_t len)
{
	unsigned i = iov_seek(iov, n, &off);
	size_t done = 0;

	for (; i < n && done < len; i++, off = 0) {
		size_t k = iov[i].iov_len - off;

		if (k > len - done)
			k = len - done;
		dma_race_begin();
		memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, k);
		dma_race_end();
		done += k;
	}
	return done;
}

int iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out,
              unsigned max)
{
	unsigned i = iov_seek(iov, n, &off), m = 0;

	for (; i < n && len; i++, off = 0) {
		uint64_t k = iov[i].iov_len - off;

		if (m == max)
			return -1;
		if (k > len)
			k = len;
		out[m++] = (struct iovec){ .iov_base = (uint8_t *)iov[i].iov_base + off,
			                   .iov_len = (size_t)k };
		len -= k;
	}
	return len ? -1 : (int)m;
}
