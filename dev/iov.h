/* SPDX-License-Identifier: MIT */
/*
 * Byte ranges of a scatter list (struct iovec) as one buffer: copy in and
 * out at an offset, and cut a sub-range out for preadv/pwritev. Devices
 * use them on the guest buffers of a virtqueue chain, whose framing they
 * must not assume (virtio 1.2, 2.7.4: a header may span descriptors). The
 * copies are guest memory accesses (vmm/dma_race.h).
 */
#ifndef RVISOR_DEV_IOV_H
#define RVISOR_DEV_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copy up to len bytes from byte off of iov[0, n) into buf; returns the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, uint64_t off, void *buf, size_t len);

/* Copy up to len bytes from buf to byte off of iov[0, n); returns the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, uint64_t off, const void *buf, size_t len);

/*
 * The bytes [off, off + len) of iov[0, n) as a list of at most max entries
 * in out. Returns the number of entries, or -1 if the range is not all
 * there or needs more than max entries.
 */
int iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out,
              unsigned max);

#endif
