/* SPDX-License-Identifier: MIT */
/* Engine-private interfaces between the interpreter, CSR file and trap logic. */
#ifndef RVISOR_CPU_INTERNAL_H
#define RVISOR_CPU_INTERNAL_H

#include "cpu/decode.h"
#include "cpu/vcpu.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* What an instruction's execution asks of the run loop. */
enum step {
	STEP_NEXT = 0,    /* continue with the next instruction */
	STEP_TRAPPED = 1, /* pc was redirected into the guest's trap handler */
	STEP_EXIT = 2,    /* v->exit is filled: return to the VMM */
	STEP_RECHECK = 3, /* instruction done; re-evaluate interrupts before the next */
};

/*
 * The one place exceptions are raised (privileged spec 8.6.4): delegated
 * causes enter VS, all others become an exit. pc must point at the
 * faulting instruction.
 */
enum step trap_raise(struct vcpu *v, uint64_t cause, uint64_t tval, const struct insn *in);
/* Guest-page fault: always an exit; `in` may be NULL for fetches. */
enum step trap_guest_page_fault(struct vcpu *v, const struct mmu_fault *f, const struct insn *in,
                                int mmio_ok);
/* Take a pending, enabled VS interrupt, if any. */
bool trap_check_irq(struct vcpu *v);
uint64_t vs_pending(struct vcpu *v);
enum step trap_sret(struct vcpu *v, const struct insn *in);
void vcpu_set_priv(struct vcpu *v, unsigned priv);

enum step csr_insn(struct vcpu *v, const struct insn *in);

/*
 * Byte copy to or from guest memory for accesses that are not naturally
 * aligned: RISC-V gives them no atomicity, and other vCPUs may touch the
 * same bytes, so ThreadSanitizer must not treat the guest's races as ours.
 */
__attribute__((no_sanitize("thread"))) static inline void
guest_copy_misaligned(void *dst, const void *src, unsigned n)
{
	volatile uint8_t *d = dst;
	const volatile uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

static inline void fetch_invalidate(struct vcpu *v)
{
	v->fetch_vpn = ~0ull;
}

/* fence.i: forget every decoded instruction. */
static inline void dcache_flush(struct vcpu *v)
{
	unsigned i;

	for (i = 0; i < DCACHE_PAGES; i++)
		v->dcache[i].tag = 0;
	fetch_invalidate(v);
}

static inline enum step exit_with(struct vcpu *v, enum exit_reason r)
{
	v->exit.reason = r;
	return STEP_EXIT;
}

#endif
