/* SPDX-License-Identifier: MIT */
/* The SBI the VMM provides to its guests (SBI spec v2.0), as KVM does. */
#ifndef RVISOR_VMM_SBI_H
#define RVISOR_VMM_SBI_H

#include "vmm/vm.h"

/* SBI error codes (SBI spec 3.2): returned to the guest in a0, never mixed with -errno. */
enum {
	SBI_SUCCESS = 0,
	SBI_ERR_FAILED = -1,
	SBI_ERR_NOT_SUPPORTED = -2,
	SBI_ERR_INVALID_PARAM = -3,
	SBI_ERR_DENIED = -4,
	SBI_ERR_INVALID_ADDRESS = -5,
	SBI_ERR_ALREADY_AVAILABLE = -6,
};

/*
 * Handle the ecall in the exit. Returns >0 to resume the vCPU, 0 to stop
 * it (hart_stop, system reset), <0 for a host error.
 */
int sbi_handle(struct vcpu_slot *s);

#endif
