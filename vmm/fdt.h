/* SPDX-License-Identifier: MIT */
#ifndef RVISOR_VMM_FDT_H
#define RVISOR_VMM_FDT_H

#include "vmm/vm.h"

/* The ISA string the device tree advertises: exactly what cpu/ implements. */
#define RVISOR_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_sstc"

#define PHANDLE_INTC0 1 /* cpu N's interrupt controller is PHANDLE_INTC0 + N */

static inline uint32_t fdt_intc_phandle(unsigned hart)
{
	return PHANDLE_INTC0 + hart;
}

/* A "reg" property of one (address, size) pair with 2 cells each. */
int fdt_property_reg(void *fdt, uint64_t base, uint64_t size);

/* Build the VM's device tree (libfdt) and write it at vm->fdt_addr (see vm_layout()). */
int fdt_build(struct vm *vm);

#endif
