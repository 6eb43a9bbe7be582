/*
 * WFI: returns when an interrupt is pending and enabled in sie even with
 * sstatus.SIE = 0 (no trap taken); waiting for a timer a few ms out; with
 * SIE = 1 the interrupt is taken and sepc points after the wfi.
 */
#include "rt.h"

TEST_NAME("wfi");

#define TICKS_PER_MS 10000UL

static volatile u64 irq_count, irq_cause, irq_epc, exit_pc;
static int have_sstc;
extern char wfi_exit3[], wfi_exit4[];

static void timer_set(u64 when)
{
	if (have_sstc)
		__asm__ volatile("csrw 0x14d, %0" ::"r"(when) : "memory");
	else
		sbi_set_timer(when);
}

static int hook(struct trap_frame *f)
{
	if (!(f->scause & SCAUSE_INTR))
		return 0;
	irq_count++;
	irq_cause = f->scause;
	irq_epc = f->sepc;
	if (f->scause == (SCAUSE_INTR | IRQ_S_TIMER))
		timer_set(~0UL);
	else if (f->scause == (SCAUSE_INTR | IRQ_S_SOFT))
		csr_clear(sip, SIP_SSIP);
	else
		return 0;
	f->sepc = exit_pc; /* leave the wfi loop */
	return 1;
}

static int probe_sstc(void)
{
	struct trap_info ti;
	u64 v;

	expect_trap_begin();
	__asm__ volatile("csrr %0, 0x14d" : "=r"(v)::"memory");
	ti = expect_trap_end();
	if (ti.count)
		printf("NOTE: no Sstc; using the SBI timer\n");
	return ti.count == 0;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	u64 t0, deadline, n, sip, wfi_pc;

	(void)hartid;
	(void)dtb;
	have_sstc = probe_sstc();
	timer_set(~0UL);
	set_trap_hook(hook);

	/* 1: software interrupt already pending and enabled, SIE = 0 */
	csr_write(sie, SIP_SSIP);
	csr_set(sip, SIP_SSIP);
	__asm__ volatile("wfi" ::: "memory");
	sip = csr_read(sip);
	CHECK_EQ("wfi with SSIP pending+enabled, SIE=0: no trap", 0, irq_count);
	CHECK_EQ("SSIP still pending after wfi", SIP_SSIP, sip & SIP_SSIP);
	csr_clear(sip, SIP_SSIP);
	csr_write(sie, 0);
	printf("wfi returned with SSIP pending and SIE=0\n");

	/* 2: timer 5 ms out, SIE = 0: wfi wakes up, no trap */
	csr_write(sie, SIP_STIP);
	t0 = read_time();
	deadline = t0 + 5 * TICKS_PER_MS;
	timer_set(deadline);
	n = 0;
	while (!(csr_read(sip) & SIP_STIP) && read_time() - t0 < 2000 * TICKS_PER_MS) {
		__asm__ volatile("wfi" ::: "memory");
		n++;
	}
	sip = csr_read(sip);
	CHECK_EQ("timer pending after waiting", SIP_STIP, sip & SIP_STIP);
	CHECK("woke no earlier than the deadline", read_time() >= deadline);
	CHECK_EQ("SIE=0: no trap taken", 0, irq_count);
	printf("timer wfi (SIE=0): %lu wfi call(s), woke %lu ticks after arming\n",
	       (unsigned long)n, (unsigned long)(read_time() - t0));
	timer_set(~0UL);
	CHECK_EQ("STIP clear after re-arming", 0, csr_read(sip) & SIP_STIP);
	csr_write(sie, 0);

	/* 3: SIE = 1: the interrupt is taken out of wfi; sepc is the next instruction */
	irq_count = 0;
	exit_pc = (u64)wfi_exit3;
	csr_write(sie, SIP_STIP);
	t0 = read_time();
	deadline = t0 + 3 * TICKS_PER_MS;
	timer_set(deadline);
	__asm__ volatile("lla %0, 1f\n\t"
	                 "csrsi sstatus, 2\n"
	                 "1:\twfi\n\t"
	                 "j 1b\n"
	                 ".globl wfi_exit3\n"
	                 "wfi_exit3:\n\t"
	                 "csrci sstatus, 2"
	                 : "=&r"(wfi_pc)::"memory");
	csr_write(sie, 0);
	CHECK_EQ("SIE=1: one timer interrupt", 1, irq_count);
	CHECK_EQ("SIE=1: scause", SCAUSE_INTR | IRQ_S_TIMER, irq_cause);
	CHECK("SIE=1: not before the deadline", read_time() >= deadline);
	if (irq_epc == wfi_pc)
		printf("NOTE: interrupt taken at the wfi itself (wfi returned early)\n");
	else
		CHECK_EQ("SIE=1: sepc = instruction after wfi", wfi_pc + 4, irq_epc);

	/* 4: pending software interrupt with SIE = 1: taken right away, wfi not reached */
	irq_count = 0;
	exit_pc = (u64)wfi_exit4;
	csr_write(sie, SIP_SSIP);
	csr_set(sip, SIP_SSIP);
	__asm__ volatile("lla %0, 1f\n\t"
	                 "csrsi sstatus, 2\n"
	                 "1:\twfi\n\t"
	                 "j 1b\n"
	                 ".globl wfi_exit4\n"
	                 "wfi_exit4:\n\t"
	                 "csrci sstatus, 2"
	                 : "=&r"(wfi_pc)::"memory");
	csr_write(sie, 0);
	CHECK_EQ("pending SSIP with SIE=1: one interrupt", 1, irq_count);
	CHECK_EQ("pending SSIP: taken before the wfi", wfi_pc, irq_epc);
	set_trap_hook(0);
}
