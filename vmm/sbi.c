// SPDX-License-Identifier: MIT
/*
 * SBI extensions, one table entry each (SBI spec v2.0). The guest's a7 is
 * the extension ID, a6 the function ID, a0-a5 the arguments; the result
 * goes back in a0 (error) and a1 (value).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "vmm/console.h"
#include "vmm/sbi.h"

#define SBI_SPEC_VERSION ((2u << 24) | 0u) /* v2.0 */
#define SBI_IMPL_ID      0x7276u           /* "rv": rvisor (not a registered implementation ID) */
#define SBI_IMPL_VERSION 1u

enum {
	EID_LEGACY_SET_TIMER = 0x00,
	EID_LEGACY_PUTCHAR = 0x01,
	EID_LEGACY_GETCHAR = 0x02,
	EID_LEGACY_SHUTDOWN = 0x08,
	EID_BASE = 0x10,
	EID_TIME = 0x54494d45,
	EID_IPI = 0x735049,
	EID_RFENCE = 0x52464e43,
	EID_HSM = 0x48534d,
	EID_SRST = 0x53525354,
	EID_DBCN = 0x4442434e,
};

struct sbi_ret {
	long error;
	long value;
};

struct sbi_call {
	struct vcpu_slot *slot;
	struct vcpu *v;
	unsigned long eid, fid;
	unsigned long a[6];
	struct sbi_ret ret;
	bool legacy; /* v0.1 calls return only a0 */
	bool stop;   /* the calling hart stops running (hart_stop, reset) */
};

struct sbi_ext {
	unsigned long eid_lo, eid_hi;
	const char *name;
	void (*handle)(struct sbi_call *c);
};

static void console_write(struct sbi_call *c, const void *buf, size_t len)
{
	if (c->slot->vm->console)
		console_output(c->slot->vm->console, buf, len);
}

static void sbi_legacy(struct sbi_call *c)
{
	char ch;

	c->legacy = true;
	switch (c->eid) {
	case EID_LEGACY_SET_TIMER: c->v->vstimecmp = c->a[0]; break;
	case EID_LEGACY_PUTCHAR:
		ch = (char)c->a[0];
		console_write(c, &ch, 1);
		break;
	case EID_LEGACY_GETCHAR: c->ret.error = -1; break; /* no input pending */
	case EID_LEGACY_SHUTDOWN:
		vm_request_end(c->slot->vm, VM_END_POWEROFF, 0);
		c->stop = true;
		break;
	default: c->ret.error = SBI_ERR_NOT_SUPPORTED; break;
	}
}

static const struct sbi_ext *sbi_find(unsigned long eid);

static void sbi_base(struct sbi_call *c)
{
	switch (c->fid) {
	case 0: c->ret.value = SBI_SPEC_VERSION; break;
	case 1: c->ret.value = SBI_IMPL_ID; break;
	case 2: c->ret.value = SBI_IMPL_VERSION; break;
	case 3: c->ret.value = sbi_find(c->a[0]) != NULL; break;
	case 4:                          /* mvendorid */
	case 5:                          /* marchid */
	case 6: c->ret.value = 0; break; /* mimpid */
	default: c->ret.error = SBI_ERR_NOT_SUPPORTED; break;
	}
}

static void sbi_time(struct sbi_call *c)
{
	if (c->fid != 0) {
		c->ret.error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	/* Like KVM with Sstc: the SBI timer is the guest's vstimecmp. */
	c->v->vstimecmp = c->a[0];
}

/* Iterate a (hart_mask, hart_mask_base) pair; returns SBI_ERR_INVALID_PARAM on a bad hart. */
static long for_each_hart(struct sbi_call *c, unsigned long mask, unsigned long base,
                          void (*fn)(struct sbi_call *c, struct vcpu_slot *t))
{
	struct vm *vm = c->slot->vm;
	unsigned i;

	if (base == (unsigned long)-1) {
		for (i = 0; i < vm->ncpus; i++)
			fn(c, &vm->cpus[i]);
		return SBI_SUCCESS;
	}
	for (i = 0; i < 64 && (mask >> i); i++)
		if ((mask >> i & 1) && (base + i >= vm->ncpus || base + i < base))
			return SBI_ERR_INVALID_PARAM;
	for (i = 0; i < 64 && (mask >> i); i++)
		if (mask >> i & 1)
			fn(c, &vm->cpus[base + i]);
	return SBI_SUCCESS;
}

static void ipi_one(struct sbi_call *c, struct vcpu_slot *t)
{
	vm_vcpu_irq(c->slot->vm, t->vcpu.hartid, MIP_VSSIP, true);
}

static void sbi_ipi(struct sbi_call *c)
{
	if (c->fid != 0) {
		c->ret.error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	c->ret.error = for_each_hart(c, c->a[0], c->a[1], ipi_one);
}

static void fence_one(struct sbi_call *c, struct vcpu_slot *t)
{
	struct vcpu *tv = &t->vcpu;
	uint64_t gen;

	if (tv == c->v) {
		/* The caller's own fence happens when it next enters vcpu_run(). */
		vcpu_kick(tv, VCPU_REQ_TLB);
		return;
	}
	gen = atomic_fetch_add(&tv->flush_req_gen, 1) + 1;
	vcpu_kick(tv, VCPU_REQ_TLB);
	/* Wait until it flushed, or it is outside guest code (it flushes before re-entering). */
	while (atomic_load(&tv->flush_done_gen) < gen && atomic_load(&t->in_guest))
		sched_yield();
}

/*
 * Remote fences. A full flush of each target's TLB is a superset of what
 * sfence.vma by address or ASID must drop, so it is always correct.
 */
static void sbi_rfence(struct sbi_call *c)
{
	if (c->fid > 2) {
		c->ret.error = SBI_ERR_NOT_SUPPORTED; /* hfence.*: the guest has no H extension */
		return;
	}
	c->ret.error = for_each_hart(c, c->a[0], c->a[1], fence_one);
}

static void sbi_hsm(struct sbi_call *c)
{
	struct vm *vm = c->slot->vm;
	struct vcpu_slot *t;

	switch (c->fid) {
	case 0: /* hart_start(hartid, start_addr, opaque) */
		if (c->a[0] >= vm->ncpus) {
			c->ret.error = SBI_ERR_INVALID_PARAM;
			return;
		}
		t = &vm->cpus[c->a[0]];
		pthread_mutex_lock(&t->lock);
		if (t->state != HART_STOPPED) {
			c->ret.error = SBI_ERR_ALREADY_AVAILABLE;
		} else {
			t->start_pc = c->a[1];
			t->start_arg = c->a[2];
			t->state = HART_START_PENDING;
		}
		pthread_mutex_unlock(&t->lock);
		if (!c->ret.error)
			vm_vcpu_wake(t);
		break;
	case 1: /* hart_stop() */
		pthread_mutex_lock(&c->slot->lock);
		c->slot->state = HART_STOPPED;
		pthread_mutex_unlock(&c->slot->lock);
		c->stop = true;
		break;
	case 2: /* hart_get_status(hartid) */
		if (c->a[0] >= vm->ncpus) {
			c->ret.error = SBI_ERR_INVALID_PARAM;
			return;
		}
		t = &vm->cpus[c->a[0]];
		pthread_mutex_lock(&t->lock);
		c->ret.value = t->state;
		pthread_mutex_unlock(&t->lock);
		break;
	default: c->ret.error = SBI_ERR_NOT_SUPPORTED; break;
	}
}

static void sbi_srst(struct sbi_call *c)
{
	unsigned long type = c->a[0], reason = c->a[1];

	if (c->fid != 0) {
		c->ret.error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	if (type > 2 || reason > 0xffffffffu || (reason > 1 && reason < 0xf0000000u)) {
		c->ret.error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (type != 0)
		vm_request_end(c->slot->vm, VM_END_REBOOT, (int)type);
	else if (reason >= 0xf0000000u)
		/* Vendor-specific reasons 0xF0000000 + n report exit status 64 + n (n < 64). */
		vm_request_end(c->slot->vm, VM_END_FAILURE,
		               (reason & 0xfffffff) < 64 ? 64 + (int)(reason & 0x3f) : 1);
	else
		vm_request_end(c->slot->vm, reason ? VM_END_FAILURE : VM_END_POWEROFF, (int)reason);
	c->stop = true;
}

static void sbi_dbcn(struct sbi_call *c)
{
	void *p;

	switch (c->fid) {
	case 0: /* write(num_bytes, base_lo, base_hi) */
	case 1: /* read(num_bytes, base_lo, base_hi) */
		p = vm_ram_ptr(c->slot->vm, gpa(c->a[1]), c->a[0]);
		if (c->a[2] != 0 || !p) {
			c->ret.error = SBI_ERR_INVALID_PARAM;
			return;
		}
		if (c->fid == 0) {
			console_write(c, p, c->a[0]);
			c->ret.value = (long)c->a[0];
		} else {
			c->ret.value = 0; /* no console input is connected to DBCN */
		}
		break;
	case 2: { /* write_byte(byte) */
		char ch = (char)c->a[0];
		console_write(c, &ch, 1);
		break;
	}
	default: c->ret.error = SBI_ERR_NOT_SUPPORTED; break;
	}
}

static const struct sbi_ext sbi_exts[] = {
	{ EID_LEGACY_SET_TIMER, EID_LEGACY_GETCHAR, "legacy", sbi_legacy },
	{ EID_LEGACY_SHUTDOWN, EID_LEGACY_SHUTDOWN, "legacy", sbi_legacy },
	{ EID_BASE, EID_BASE, "base", sbi_base },
	{ EID_TIME, EID_TIME, "time", sbi_time },
	{ EID_IPI, EID_IPI, "ipi", sbi_ipi },
	{ EID_RFENCE, EID_RFENCE, "rfence", sbi_rfence },
	{ EID_HSM, EID_HSM, "hsm", sbi_hsm },
	{ EID_SRST, EID_SRST, "srst", sbi_srst },
	{ EID_DBCN, EID_DBCN, "dbcn", sbi_dbcn },
};

static const struct sbi_ext *sbi_find(unsigned long eid)
{
	size_t i;

	for (i = 0; i < sizeof(sbi_exts) / sizeof(sbi_exts[0]); i++)
		if (eid >= sbi_exts[i].eid_lo && eid <= sbi_exts[i].eid_hi)
			return &sbi_exts[i];
	return NULL;
}

int sbi_handle(struct vcpu_slot *s)
{
	struct vcpu *v = &s->vcpu;
	struct sbi_call c = { .slot = s, .v = v, .eid = v->x[17], .fid = v->x[16] };
	const struct sbi_ext *ext = sbi_find(c.eid);

	memcpy(c.a, &v->x[10], sizeof(c.a));
	if (ext)
		ext->handle(&c);
	else
		c.ret.error = SBI_ERR_NOT_SUPPORTED;
	v->x[10] = (uint64_t)c.ret.error;
	if (!c.legacy)
		v->x[11] = (uint64_t)c.ret.value;
	vcpu_skip_insn(v, 4);
	return c.stop ? 0 : 1;
}
