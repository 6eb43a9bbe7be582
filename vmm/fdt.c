// SPDX-License-Identifier: MIT
/* Device tree for the guest, written with libfdt's sequential-write API. */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/fdt.h"

#define FDT_MAX_SIZE  (64 * 1024)
#define PHANDLE_INTC0 1 /* cpu N's interrupt controller is PHANDLE_INTC0 + N */

static int prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, sizeof(v));
}

static int build_cpus(void *fdt, const struct vm *vm)
{
	char name[32];
	unsigned i;
	int rc = 0;

	rc |= fdt_begin_node(fdt, "cpus");
	rc |= fdt_property_u32(fdt, "#address-cells", 1);
	rc |= fdt_property_u32(fdt, "#size-cells", 0);
	rc |= fdt_property_u32(fdt, "timebase-frequency", (uint32_t)RVISOR_TIMEBASE_HZ);
	for (i = 0; i < vm->ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		rc |= fdt_begin_node(fdt, name);
		rc |= fdt_property_string(fdt, "device_type", "cpu");
		rc |= fdt_property_u32(fdt, "reg", i);
		rc |= fdt_property_string(fdt, "status", "okay");
		rc |= fdt_property_string(fdt, "compatible", "riscv");
		rc |= fdt_property_string(fdt, "riscv,isa", RVISOR_ISA_STRING);
		rc |= fdt_property_string(fdt, "mmu-type", "riscv,sv48");
		rc |= fdt_begin_node(fdt, "interrupt-controller");
		rc |= fdt_property_u32(fdt, "#interrupt-cells", 1);
		rc |= fdt_property(fdt, "interrupt-controller", NULL, 0);
		rc |= fdt_property_string(fdt, "compatible", "riscv,cpu-intc");
		rc |= fdt_property_u32(fdt, "phandle", PHANDLE_INTC0 + i);
		rc |= fdt_end_node(fdt);
		rc |= fdt_end_node(fdt);
	}
	rc |= fdt_end_node(fdt);
	return rc;
}

int fdt_build(struct vm *vm)
{
	char name[48];
	void *fdt;
	void *dst;
	int rc = 0;
	uint64_t addr;

	fdt = calloc(1, FDT_MAX_SIZE);
	if (!fdt)
		return -ENOMEM;
	rc |= fdt_create(fdt, FDT_MAX_SIZE);
	rc |= fdt_finish_reservemap(fdt);
	rc |= fdt_begin_node(fdt, "");
	rc |= fdt_property_u32(fdt, "#address-cells", 2);
	rc |= fdt_property_u32(fdt, "#size-cells", 2);
	rc |= fdt_property_string(fdt, "compatible", "rvisor,virt");
	rc |= fdt_property_string(fdt, "model", "rvisor virtual machine");

	rc |= fdt_begin_node(fdt, "chosen");
	if (vm->cfg.cmdline)
		rc |= fdt_property_string(fdt, "bootargs", vm->cfg.cmdline);
	rc |= fdt_end_node(fdt);

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)VM_RAM_BASE);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "device_type", "memory");
	rc |= prop_u64_pair(fdt, "reg", VM_RAM_BASE, vm->ram_size);
	rc |= fdt_end_node(fdt);

	rc |= build_cpus(fdt, vm);
	rc |= fdt_end_node(fdt);
	rc |= fdt_finish(fdt);
	if (rc) {
		free(fdt);
		return -ENOSPC;
	}
	/* Top of RAM, 2 MiB aligned, out of the way of kernels loaded low. */
	addr = (VM_RAM_BASE + vm->ram_size - (2u << 20)) & ~((2ull << 20) - 1);
	dst = vm_ram_ptr(vm, gpa(addr), fdt_totalsize(fdt));
	if (!dst) {
		free(fdt);
		return -ENOMEM;
	}
	memcpy(dst, fdt, fdt_totalsize(fdt));
	vm->fdt = fdt;
	vm->fdt_addr = gpa(addr);
	return 0;
}
