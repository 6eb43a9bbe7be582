/* SPDX-License-Identifier: MIT */
#ifndef RVISOR_VMM_FDT_H
#define RVISOR_VMM_FDT_H

#include "vmm/vm.h"

/* The ISA string the device tree advertises: exactly what cpu/ implements. */
#define RVISOR_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_sstc"

/* Build the VM's device tree (libfdt) and place it at the top of RAM; sets vm->fdt_addr. */
int fdt_build(struct vm *vm);

#endif
