// SPDX-License-Identifier: MIT
/*
 * SBI dispatch (SBI spec v2.0) without running guest code: set a7/a6/a0..,
 * call sbi_handle() as the ecall exit would, check a0/a1 and the VM state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/sbi.h"

#include "tests/unit/check.h"

static struct vm vm;

/* One SBI call from hart 0; returns sbi_handle's verdict (1 resume, 0 stop). */
static int call(const char *name, uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct vcpu *v = &vm.cpus[0].vcpu;

	cur = name;
	v->x[17] = eid;
	v->x[16] = fid;
	v->x[10] = a0;
	v->x[11] = a1;
	v->x[12] = a2;
	v->pc = 0x80000000;
	return sbi_handle(&vm.cpus[0]);
}

#define A0 ((int64_t)vm.cpus[0].vcpu.x[10])
#define A1 ((int64_t)vm.cpus[0].vcpu.x[11])

int main(void)
{
	struct vm_config cfg = { .ram_size = 8u << 20, .ncpus = 2 };
	unsigned i;
	int rc;

	if (vm_create(&vm, &cfg) < 0)
		return 1;
	for (i = 0; i < vm.ncpus; i++) {
		vm.cpus[i].vm = &vm;
		pthread_mutex_init(&vm.cpus[i].lock, NULL);
		vcpu_init(&vm.cpus[i].vcpu, i);
		vm.cpus[i].state = HART_STOPPED;
	}
	vm.cpus[0].state = HART_STARTED;

	call("base spec version", 0x10, 0, 0, 0, 0);
	CHECK_EQ("error", A0, SBI_SUCCESS);
	CHECK_EQ("version 2.0", A1, 2 << 24);
	CHECK_EQ("pc advanced past the ecall", vm.cpus[0].vcpu.pc, 0x80000004);
	call("impl id is not OpenSBI's", 0x10, 1, 0, 0, 0);
	CHECK_EQ("impl id != 1", A1 != 1, 1);
	call("probe HSM", 0x10, 3, 0x48534d, 0, 0);
	CHECK_EQ("present", A1, 1);
	call("probe unknown", 0x10, 3, 0x12345678, 0, 0);
	CHECK_EQ("absent", A1, 0);
	call("unknown extension", 0x12345678, 0, 0, 0, 0);
	CHECK_EQ("not supported", A0, SBI_ERR_NOT_SUPPORTED);
	call("unknown base function", 0x10, 99, 0, 0, 0);
	CHECK_EQ("not supported", A0, SBI_ERR_NOT_SUPPORTED);

	call("time set_timer", 0x54494d45, 0, 12345, 0, 0);
	CHECK_EQ("error", A0, SBI_SUCCESS);
	CHECK_EQ("vstimecmp", vm.cpus[0].vcpu.vstimecmp, 12345);

	call("hsm status of a stopped hart", 0x48534d, 2, 1, 0, 0);
	CHECK_EQ("status", A1, HART_STOPPED);
	call("hsm status of a bad hart", 0x48534d, 2, 7, 0, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	call("hsm start of a bad hart", 0x48534d, 0, 9, 0x80200000, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	call("hsm start of a running hart", 0x48534d, 0, 0, 0x80200000, 0);
	CHECK_EQ("already available", A0, SBI_ERR_ALREADY_AVAILABLE);
	call("hsm start", 0x48534d, 0, 1, 0x80200000, 42);
	CHECK_EQ("error", A0, SBI_SUCCESS);
	CHECK_EQ("start pending", vm.cpus[1].state, HART_START_PENDING);
	CHECK_EQ("start pc", vm.cpus[1].start_pc, 0x80200000);
	CHECK_EQ("opaque", vm.cpus[1].start_arg, 42);

	call("ipi to a bad hart", 0x735049, 0, 1u << 5, 0, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	call("ipi to hart 1", 0x735049, 0, 1, 1, 0);
	CHECK_EQ("error", A0, SBI_SUCCESS);
	CHECK_EQ("VSSIP raised on hart 1", atomic_load(&vm.cpus[1].vcpu.hvip) & MIP_VSSIP,
	         MIP_VSSIP);
	CHECK_EQ("not on hart 0", atomic_load(&vm.cpus[0].vcpu.hvip) & MIP_VSSIP, 0);

	call("dbcn write outside RAM", 0x4442434e, 0, 16, 0x1000, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	call("dbcn write wrapping RAM end", 0x4442434e, 0, 4096, 0x80000000 + (8u << 20) - 8, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);

	call("srst bad type", 0x53525354, 0, 7, 0, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	call("srst bad reason", 0x53525354, 0, 0, 5, 0);
	CHECK_EQ("invalid param", A0, SBI_ERR_INVALID_PARAM);
	CHECK_EQ("VM still running", atomic_load(&vm.end), VM_RUNNING);
	rc = call("srst shutdown with failure", 0x53525354, 0, 0, 1, 0);
	CHECK_EQ("the calling hart stops", rc, 0);
	CHECK_EQ("VM ends with failure", atomic_load(&vm.end), VM_END_FAILURE);

	vm_destroy(&vm);
	return check_summary();
}
