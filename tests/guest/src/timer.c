/*
 * Timer: the time CSR, Sstc (stimecmp, CSR 0x14d) when the hart exposes it to
 * S-mode, and the SBI TIME set_timer path.  Timebase is 10 MHz.
 */
#include "rt.h"

TEST_NAME("timer");

#define TICKS_PER_MS 10000UL
#define DELTA        (2 * TICKS_PER_MS)

static volatile u64 irq_count, irq_cause, irq_time, irq_epc;
static int use_sstc_to_clear;

static void stimecmp_write(u64 v)
{
	__asm__ volatile("csrw 0x14d, %0" ::"r"(v) : "memory");
}

static u64 stimecmp_read(void)
{
	u64 v;

	__asm__ volatile("csrr %0, 0x14d" : "=r"(v)::"memory");
	return v;
}

static int timer_hook(struct trap_frame *f)
{
	if (f->scause != (SCAUSE_INTR | IRQ_S_TIMER))
		return 0;
	irq_time = read_time();
	irq_count++;
	irq_cause = f->scause;
	irq_epc = f->sepc;
	if (use_sstc_to_clear)
		stimecmp_write(~0UL);
	else
		sbi_set_timer(~0UL);
	return 1;
}

/* Enable STIE+SIE, wfi until the interrupt (or a 1 s guard), disable again. */
static void wait_timer_irq(void)
{
	u64 t0 = read_time();

	csr_write(sie, SIP_STIP);
	csr_set(sstatus, SSTATUS_SIE);
	while (!irq_count && read_time() - t0 < 1000 * TICKS_PER_MS)
		__asm__ volatile("wfi");
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
}

static void test_time_csr(void)
{
	u64 t0, t1, i;

	t0 = read_time();
	for (i = 0; i < 1000000 && read_time() == t0; i++)
		;
	t1 = read_time();
	CHECK("time advances", t1 > t0);
	printf("time 0x%lx -> 0x%lx\n", (unsigned long)t0, (unsigned long)t1);
}

static int probe_sstc(void)
{
	struct trap_info ti;
	u64 v = 0;

	expect_trap_begin();
	__asm__ volatile("csrr %0, 0x14d" : "+r"(v)::"memory");
	ti = expect_trap_end();
	if (ti.count) {
		CHECK_TRAP("stimecmp read without Sstc", &ti, CAUSE_ILLEGAL_INSN, NO_CHECK,
		           NO_CHECK);
		printf("NOTE: no Sstc (reading stimecmp raised scause 0x%lx); testing the SBI "
		       "timer only\n",
		       (unsigned long)ti.cause);
		return 0;
	}
	printf("Sstc available (stimecmp = 0x%lx)\n", (unsigned long)v);
	return 1;
}

static void test_sstc(void)
{
	u64 t0, sip;

	use_sstc_to_clear = 1;
	stimecmp_write(0x123456789abcdefUL);
	CHECK_EQ("stimecmp read back", 0x123456789abcdefUL, stimecmp_read());

	/* STIP mirrors time >= stimecmp; writes take effect immediately */
	stimecmp_write(~0UL);
	CHECK_EQ("STIP clear with stimecmp in the future", 0, csr_read(sip) & SIP_STIP);
	stimecmp_write(read_time() - 1);
	sip = csr_read(sip);
	CHECK_EQ("STIP set with stimecmp in the past", SIP_STIP, sip & SIP_STIP);
	CHECK_EQ("not taken while sie.STIE=0", 0, irq_count);
	csr_clear(sip, SIP_STIP); /* read-only in sip: no effect */
	CHECK_EQ("STIP cannot be cleared through sip", SIP_STIP, csr_read(sip) & SIP_STIP);
	stimecmp_write(read_time() + 1000 * TICKS_PER_MS);
	CHECK_EQ("writing stimecmp in the future clears STIP", 0, csr_read(sip) & SIP_STIP);
	stimecmp_write(~0UL);

	/* interrupt after DELTA */
	irq_count = 0;
	t0 = read_time();
	stimecmp_write(t0 + DELTA);
	wait_timer_irq();
	CHECK_EQ("Sstc: one timer interrupt", 1, irq_count);
	CHECK_EQ("Sstc: scause", SCAUSE_INTR | IRQ_S_TIMER, irq_cause);
	CHECK("Sstc: time advanced at least delta", irq_time >= t0 + DELTA);
	CHECK_EQ("Sstc: STIP clear after the handler moved stimecmp", 0, csr_read(sip) & SIP_STIP);
	printf("Sstc: interrupt %lu ticks after arming (delta %lu)\n",
	       (unsigned long)(irq_time - t0), (unsigned long)DELTA);

	/* a deadline already in the past fires at once when enabled */
	irq_count = 0;
	stimecmp_write(read_time() - 100);
	wait_timer_irq();
	CHECK_EQ("Sstc: past deadline fires", 1, irq_count);
}

static void test_sbi_timer(void)
{
	struct sbiret r;
	u64 t0;

	use_sstc_to_clear = 0;
	irq_count = 0;
	t0 = read_time();
	r = sbi_set_timer(t0 + DELTA);
	CHECK_EQ("sbi_set_timer error", SBI_SUCCESS, r.error);
	wait_timer_irq();
	CHECK_EQ("SBI timer: one interrupt", 1, irq_count);
	CHECK_EQ("SBI timer: scause", SCAUSE_INTR | IRQ_S_TIMER, irq_cause);
	CHECK("SBI timer: time advanced at least delta", irq_time >= t0 + DELTA);
	CHECK_EQ("SBI timer: STIP clear after set_timer(-1)", 0, csr_read(sip) & SIP_STIP);
	printf("SBI timer: interrupt %lu ticks after arming (delta %lu)\n",
	       (unsigned long)(irq_time - t0), (unsigned long)DELTA);

	/* re-arming replaces the previous deadline */
	irq_count = 0;
	t0 = read_time();
	sbi_set_timer(t0 + 1000 * TICKS_PER_MS);
	sbi_set_timer(t0 + TICKS_PER_MS);
	wait_timer_irq();
	CHECK_EQ("SBI timer re-armed earlier: fires", 1, irq_count);
	CHECK("SBI timer re-armed earlier: not before the new deadline",
	      irq_time >= t0 + TICKS_PER_MS);
	CHECK("SBI timer re-armed earlier: well before the old one",
	      irq_time < t0 + 500 * TICKS_PER_MS);

	/* cancelled timer does not fire */
	irq_count = 0;
	sbi_set_timer(read_time() + TICKS_PER_MS);
	sbi_set_timer(~0UL);
	t0 = read_time();
	csr_write(sie, SIP_STIP);
	csr_set(sstatus, SSTATUS_SIE);
	while (read_time() - t0 < 3 * TICKS_PER_MS)
		;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	CHECK_EQ("cancelled SBI timer does not fire", 0, irq_count);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	set_trap_hook(timer_hook);
	test_time_csr();
	if (probe_sstc())
		test_sstc();
	test_sbi_timer();
	set_trap_hook(0);
}
