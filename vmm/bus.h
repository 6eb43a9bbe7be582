/* SPDX-License-Identifier: MIT */
/*
 * The per-VM MMIO bus. A device registers a range with read/write ops; the
 * bus checks range, size and alignment once, so devices see only accesses
 * of a size they declared, inside their range.
 */
#ifndef RVISOR_VMM_BUS_H
#define RVISOR_VMM_BUS_H

#include <stdint.h>

#include "vmm/types.h"

struct mmio_ops {
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
	uint8_t sizes; /* bitmask of allowed sizes: 1, 2, 4, 8 */
};

struct mmio_region {
	uint64_t base, size;
	const struct mmio_ops *ops;
	void *opaque;
	const char *name;
};

#define MMIO_MAX_REGIONS 32

struct mmio_bus {
	struct mmio_region r[MMIO_MAX_REGIONS];
	unsigned n;
};

int mmio_register(struct mmio_bus *bus, gpa_t base, uint64_t size, const struct mmio_ops *ops,
                  void *opaque, const char *name);

/* 0 on success; -1 if nothing is there or the access is not one the device accepts. */
int mmio_access(struct mmio_bus *bus, gpa_t addr, unsigned size, int is_write, uint64_t *val);

#endif
