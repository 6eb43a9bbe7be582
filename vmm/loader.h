/* SPDX-License-Identifier: MIT */
#ifndef RVISOR_VMM_LOADER_H
#define RVISOR_VMM_LOADER_H

#include <stddef.h>

#include "vmm/vm.h"

/*
 * Load a RISC-V ELF64 executable at the physical addresses of its program
 * headers; sets vm->entry. On error returns -errno or -EINVAL and writes a
 * message for the user into err.
 */
int load_elf(struct vm *vm, const char *path, char *err, size_t errlen);

/*
 * Load a kernel: an ELF as above, or a RISC-V Linux `Image` (boot image
 * header checked, loaded at the 2 MiB aligned RAM base).
 */
int load_kernel(struct vm *vm, const char *path, char *err, size_t errlen);

/* Load an initrd just below the device tree; sets vm->initrd_start/end. */
int load_initrd(struct vm *vm, const char *path, char *err, size_t errlen);

#endif
