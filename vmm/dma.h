/* SPDX-License-Identifier: MIT */
/*
 * The one interface every device DMA goes through (DESIGN.md, Devices and
 * I/O): map, read or write a guest physical range. The VMM implements it
 * over the VM's own view of guest RAM (paravirtual backends); an IOMMU
 * domain will implement it again for direct I/O. Every guest-supplied
 * address and length is checked here; a failure is an error for the
 * device to report to the guest, never a host crash.
 */
#ifndef RVISOR_VMM_DMA_H
#define RVISOR_VMM_DMA_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/types.h"

enum dma_dir { DMA_TO_DEVICE = 0, DMA_FROM_DEVICE = 1 };

struct dma_ops {
	/* Host pointer to [addr, addr+len) if it is all accessible for dir, else NULL. */
	void *(*map)(void *opaque, gpa_t addr, uint64_t len, enum dma_dir dir);
};

struct dma_space {
	const struct dma_ops *ops;
	void *opaque;
};

static inline void *dma_map(const struct dma_space *d, gpa_t addr, uint64_t len, enum dma_dir dir)
{
	if (len == 0 || addr.v + len < addr.v)
		return NULL;
	return d->ops->map(d->opaque, addr, len, dir);
}

static inline int dma_read(const struct dma_space *d, gpa_t addr, void *buf, size_t len)
{
	const void *p = dma_map(d, addr, len, DMA_TO_DEVICE);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static inline int dma_write(const struct dma_space *d, gpa_t addr, const void *buf, size_t len)
{
	void *p = dma_map(d, addr, len, DMA_FROM_DEVICE);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

struct vm;
/* The VM's own view of guest RAM (no translation beyond the RAM range check). */
void vm_dma_space(struct vm *vm, struct dma_space *out);

#endif
