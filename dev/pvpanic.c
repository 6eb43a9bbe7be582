// SPDX-License-Identifier: MIT
#include <libfdt.h>
#include <stdio.h>

#include "dev/pvpanic.h"
#include "vmm/fdt.h"

#define PVPANIC_PANICKED     (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

static uint64_t pvpanic_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque, (void)off, (void)size;
	return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED; /* events we understand */
}

static void pvpanic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct vm *vm = opaque;

	(void)off, (void)size;
	if (val & PVPANIC_PANICKED)
		vm_request_end(vm, VM_END_PANIC, 0);
}

static const struct mmio_ops pvpanic_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
	.sizes = 1,
};

static int pvpanic_fdt(void *fdt, void *opaque)
{
	char name[40];
	int rc = 0;

	(void)opaque;
	snprintf(name, sizeof(name), "pvpanic@%llx", (unsigned long long)PVPANIC_BASE);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "compatible", "qemu,pvpanic-mmio");
	rc |= fdt_property_reg(fdt, PVPANIC_BASE, PVPANIC_SIZE);
	rc |= fdt_end_node(fdt);
	return rc;
}

int pvpanic_init(struct vm *vm)
{
	int rc =
	    mmio_register(&vm->bus, gpa(PVPANIC_BASE), PVPANIC_SIZE, &pvpanic_ops, vm, "pvpanic");

	return rc ? rc : vm_add_fdt_node(vm, pvpanic_fdt, vm);
}
