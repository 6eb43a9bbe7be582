/* SPDX-License-Identifier: MIT */
/*
 * The vCPU engine: one RV64IMAFDC hart that runs guest code in VS and VU
 * mode (V=1 always). The HS level is the VMM, native C: hypervisor CSRs are
 * plain fields the VMM sets, and a trap that is not delegated to VS ends
 * vcpu_run() with an exit record (struct vm_exit). Engine and VMM speak only
 * through that record and the functions below.
 */
#ifndef RVISOR_CPU_VCPU_H
#define RVISOR_CPU_VCPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/riscv.h"
#include "mmu/mmu.h"

/* Why vcpu_run() returned. One counter per reason lives in vcpu->stats. */
#define EXIT_REASONS(X)                                                                         \
	X(NONE, "none")                                                                         \
	X(SBI, "sbi")                   /* ecall from VS: a0..a7 hold the call */               \
	X(GUEST_PAGE_FAULT, "gpf")      /* G-stage fault: MMIO or unmapped GPA (exit.mmio) */   \
	X(VIRTUAL_INSN, "virtual_insn") /* VTSR/VTW/VTVM, hypervisor CSR/insn from V=1 */       \
	X(WFI, "wfi")                   /* wfi with nothing pending: park until an interrupt */ \
	X(PAUSE, "pause")               /* pause-loop exit: a spin on `pause` hints (yield) */  \
	X(QUANTUM, "quantum")           /* instruction budget spent */                          \
	X(REQUEST, "request")           /* another thread asked this vCPU to stop (kick) */     \
	X(EBREAK, "ebreak")             /* breakpoint not delegated to VS (debugging) */        \
	X(TRAP, "trap")                 /* other exception not delegated to VS */               \
	X(FATAL, "fatal")               /* engine cannot continue (bug or broken state) */

enum exit_reason {
#define X(name, str) EXIT_##name,
	EXIT_REASONS(X)
#undef X
	    EXIT_NR
};

const char *exit_reason_name(enum exit_reason r);

/* A guest load or store that missed guest RAM, decoded for the VMM (like KVM's mmio exit). */
struct mmio_access {
	uint64_t gpa;
	uint64_t value; /* store: the data; load: filled by vcpu_complete_mmio() */
	uint8_t size;   /* 1, 2, 4, 8 */
	uint8_t is_write;
	uint8_t sign_extend;
	uint8_t reg; /* destination register of a load */
	uint8_t fp;  /* destination is an f register (flw/fld) */
	uint8_t insn_len;
	uint8_t atomic;   /* AMO/LR/SC: cannot be emulated as MMIO */
	uint8_t implicit; /* fault on a VS-stage page-table access, not the insn's own */
};

struct vm_exit {
	enum exit_reason reason;
	uint64_t cause;  /* scause of the trap to HS */
	uint64_t tval;   /* stval */
	uint64_t htval;  /* guest physical address >> 2 for guest-page faults */
	uint64_t htinst; /* transformed instruction or pseudoinstruction (8.6.3) */
	uint32_t insn;   /* raw bits of the trapping instruction (virtual insn, ebreak) */
	struct mmio_access mmio;
	const char *fatal; /* EXIT_FATAL: what went wrong */
};

/* Requests other threads post to a running vCPU (vcpu_kick()). */
enum {
	VCPU_REQ_IRQ = 1u << 0,  /* hvip changed: re-evaluate interrupts */
	VCPU_REQ_STOP = 1u << 1, /* leave vcpu_run() with EXIT_REQUEST */
	VCPU_REQ_TLB = 1u << 2,  /* flush the TLB (remote sfence / G-stage change) */
};

struct vcpu_stats {
	uint64_t exits[EXIT_NR];
	uint64_t instret;
	uint64_t traps_to_vs;      /* exceptions delivered to the guest without an exit */
	uint64_t interrupts_to_vs; /* interrupts delivered to the guest */
	uint64_t pauses;           /* pause hints executed */
};

/*
 * Decoded instructions cached per code page, keyed by the page's host
 * address (so guest remapping needs no invalidation). A slot per 2-byte
 * offset, valid when its bit is set, so reusing a page clears 256 bytes.
 * Dropped on fence.i and on remote fences: RISC-V only promises a hart
 * sees new code after fence.i.
 */
#define DCACHE_PAGES 128
struct dcache_page {
	uintptr_t tag; /* host address of the page, 0 = empty */
	uint64_t valid[2048 / 64];
	struct insn insn[2048];
};

struct vcpu {
	/*
	 * Written by other threads at any time, so never cleared by vcpu_init()
	 * (a hart reset must not race with a kick); zero from allocation.
	 */
	_Atomic uint32_t requests; /* VCPU_REQ_* posted by other threads */
	_Atomic uint64_t hvip;     /* VMM-injected VS interrupts */
	/* Remote TLB flushes: requesters bump req, the vCPU publishes done after flushing. */
	_Atomic uint64_t flush_req_gen, flush_done_gen;

	/* Hot state: the interpreter touches these on every instruction. */
	uint64_t x[32];
	uint64_t pc;
	uint8_t priv; /* PRIV_S (VS) or PRIV_U (VU) */
	uint8_t frm;
	uint32_t fflags;

	/* Cached fetch page: host address of the page holding pc, and its decoded slots. */
	uint64_t fetch_vpn;
	uint8_t *fetch_host;
	struct dcache_page *fetch_dpage;

	uint64_t f[32];

	/* VS-level CSRs (what the guest sees as its s* CSRs). */
	uint64_t vsstatus;
	uint64_t vstvec, vsscratch, vsepc, vscause, vstval, vsatp;
	uint64_t vstimecmp;
	uint64_t senvcfg;
	uint32_t scounteren;

	/* HS-level state, owned by the VMM (ring -1). */
	uint64_t hstatus;
	uint64_t hedeleg, hideleg;
	uint64_t hie; /* VS bits double as vsie */
	uint64_t htimedelta;
	uint64_t henvcfg;
	uint32_t hcounteren;
	uint64_t hgatp;
	uint64_t hs_fs; /* sstatus.FS of the HS level */

	/* LR/SC reservation: host address and the value LR saw. */
	uint64_t *resv_addr;
	uint64_t resv_value;
	uint8_t resv_size;

	/*
	 * Pause-loop exiting (Zihintpause): ple_window pauses, each within
	 * PLE_GAP instructions of the last, end vcpu_run() with EXIT_PAUSE.
	 * 0 disables it. Set by the VMM after vcpu_init().
	 */
	uint32_t ple_window;
	uint32_t pause_count;
	uint64_t pause_last; /* instret at the last pause */

	uint64_t time_base_ns;    /* host CLOCK_MONOTONIC at which guest time is 0 */
	uint64_t next_time_check; /* instret at which vstimecmp is compared next */
	unsigned hartid;
	void *opaque; /* the VMM's own per-vCPU data */

	struct mmu mmu;
	struct vm_exit exit;
	struct vcpu_stats stats;
	struct dcache_page dcache[DCACHE_PAGES]; /* last: vcpu_init() clears what precedes it */
};

/* Reset architectural state; the VMM sets hart id, hgatp, delegation after. */
void vcpu_init(struct vcpu *v, unsigned hartid);

/*
 * Run guest code for at most `budget` instructions. Returns the exit; its
 * counter has been incremented. Synchronous exceptions taken by the guest
 * itself (delegated through hedeleg) and delegated interrupts never leave.
 */
struct vm_exit *vcpu_run(struct vcpu *v, uint64_t budget);

/* Complete the MMIO load/store of the last EXIT_GUEST_PAGE_FAULT; advances pc. */
void vcpu_complete_mmio(struct vcpu *v, uint64_t load_value);

/* Skip the instruction of the last exit (ecall, emulated virtual insn). */
void vcpu_skip_insn(struct vcpu *v, unsigned len);

/* Deliver an exception into VS as if hedeleg had delegated it (e.g. illegal insn). */
void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);

/* Thread-safe: raise or clear VS interrupts in hvip, and kick the vCPU. */
void vcpu_set_irq(struct vcpu *v, uint64_t mip_bits, bool level);
void vcpu_kick(struct vcpu *v, uint32_t request);

/* Guest `time` (10 MHz timebase) now, and the wfi wake-up test. */
uint64_t vcpu_time(const struct vcpu *v);
bool vcpu_irq_wakeup(struct vcpu *v); /* an interrupt is pending and enabled in vsie */
/* Host CLOCK_MONOTONIC ns at which an enabled vstimecmp interrupt fires, or UINT64_MAX. */
uint64_t vcpu_timer_deadline_ns(const struct vcpu *v);

uint64_t host_time_ns(void);

#endif
