// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/bus.h"

int mmio_register(struct mmio_bus *bus, gpa_t base, uint64_t size, const struct mmio_ops *ops,
                  void *opaque, const char *name)
{
	unsigned i;

	if (bus->n == MMIO_MAX_REGIONS)
		return -ENOSPC;
	for (i = 0; i < bus->n; i++)
		if (base.v < bus->r[i].base + bus->r[i].size && bus->r[i].base < base.v + size)
			return -EEXIST;
	bus->r[bus->n++] = (struct mmio_region){ base.v, size, ops, opaque, name };
	return 0;
}

int mmio_access(struct mmio_bus *bus, gpa_t addr, unsigned size, int is_write, uint64_t *val)
{
	unsigned i;

	for (i = 0; i < bus->n; i++) {
		const struct mmio_region *r = &bus->r[i];
		uint64_t off = addr.v - r->base;

		if (addr.v < r->base || off >= r->size)
			continue;
		if (!(r->ops->sizes & size) || (off & (size - 1)) || off + size > r->size)
			return -1;
		if (is_write)
			r->ops->write(r->opaque, off, size, *val);
		else
			*val = r->ops->read(r->opaque, off, size);
		return 0;
	}
	return -1;
}
