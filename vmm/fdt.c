// SPDX-License-Identifier: MIT
/* Device tree for the guest, written with libfdt's sequential-write API. */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/fdt.h"

#define FDT_MAX_SIZE (64 * 1024)

int fdt_property_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t v[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", v, sizeof(v));
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
		rc |= fdt_property_u32(fdt, "phandle", fdt_intc_phandle(i));
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
	uint64_t addr = vm->fdt_addr.v;

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
	if (vm->stdout_path)
		rc |= fdt_property_string(fdt, "stdout-path", vm->stdout_path);
	if (vm->initrd_end.v) {
		rc |= fdt_property_u64(fdt, "linux,initrd-start", vm->initrd_start.v);
		rc |= fdt_property_u64(fdt, "linux,initrd-end", vm->initrd_end.v);
	}
	rc |= fdt_end_node(fdt);

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)VM_RAM_BASE);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "device_type", "memory");
	rc |= fdt_property_reg(fdt, VM_RAM_BASE, vm->ram_size);
	rc |= fdt_end_node(fdt);

	rc |= build_cpus(fdt, vm);
	rc |= fdt_begin_node(fdt, "soc");
	rc |= fdt_property_string(fdt, "compatible", "simple-bus");
	rc |= fdt_property_u32(fdt, "#address-cells", 2);
	rc |= fdt_property_u32(fdt, "#size-cells", 2);
	rc |= fdt_property(fdt, "ranges", NULL, 0);
	for (unsigned i = 0; i < vm->nfdt_nodes; i++)
		rc |= vm->fdt_nodes[i].fn(fdt, vm->fdt_nodes[i].opaque);
	rc |= fdt_end_node(fdt);
	rc |= fdt_end_node(fdt);
	rc |= fdt_finish(fdt);
	if (rc) {
		free(fdt);
		return -ENOSPC;
	}
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
