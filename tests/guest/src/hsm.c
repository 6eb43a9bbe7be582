/*
 * SBI HSM: hart_start with an opaque value, hart_get_status transitions,
 * entry state of the started hart, error codes, hart_stop, restart, and an
 * IPI to the other hart.
 */
#include "rt.h"

TEST_NAME("hsm");

#define TICKS_PER_MS 10000UL

static struct {
	volatile u64 arrived, release, ran;
	volatile u64 hartid, opaque;
	volatile long self_status;
	volatile u64 ipi_wait, ipi_cause, ipi_count;
} sh __attribute__((aligned(64)));

static int ipi_hook(struct trap_frame *f)
{
	if (f->scause != (SCAUSE_INTR | IRQ_S_SOFT))
		return 0;
	csr_clear(sip, SIP_SSIP);
	sh.ipi_cause = f->scause;
	sh.ipi_count++;
	return 1;
}

static void secondary(unsigned long hartid, unsigned long opaque)
{
	u64 t0;

	sh.hartid = hartid;
	sh.opaque = opaque;
	sh.self_status = sbi_hart_get_status(hartid).value;
	if (sh.ipi_wait) {
		set_trap_hook(ipi_hook);
		csr_write(sie, SIP_SSIP);
		csr_set(sstatus, SSTATUS_SIE);
	}
	__atomic_store_n(&sh.arrived, 1, __ATOMIC_RELEASE);
	t0 = read_time();
	while (!__atomic_load_n(&sh.release, __ATOMIC_ACQUIRE) &&
	       read_time() - t0 < 5000 * TICKS_PER_MS) {
		if (sh.ipi_wait && !sh.ipi_count)
			__asm__ volatile("wfi");
	}
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	sh.ran++;
	/* returning makes the runtime call sbi_hart_stop() */
}

static const char *status_name(long s)
{
	static const char *const n[] = { "STARTED",       "STOPPED",   "START_PENDING",
		                         "STOP_PENDING",  "SUSPENDED", "SUSPEND_PENDING",
		                         "RESUME_PENDING" };

	return s >= 0 && s < 7 ? n[s] : "?";
}

/* Poll status until want (or timeout); every value seen must be in allowed. */
static long wait_status(unsigned long hart, long want, unsigned allowed_mask, const char *what)
{
	u64 t0 = read_time();
	struct sbiret r;
	long last = -100;

	do {
		r = sbi_hart_get_status(hart);
		if (r.error) {
			FAILF("%s: hart_get_status error %ld", what, r.error);
			return -1;
		}
		if (r.value != last) {
			printf("  hart %lu: %s\n", hart, status_name(r.value));
			last = r.value;
		}
		if (r.value < 0 || r.value > 6 || !(allowed_mask & (1U << r.value)))
			FAILF("%s: unexpected status %ld (%s)", what, r.value,
			      status_name(r.value));
	} while (r.value != want && read_time() - t0 < 5000 * TICKS_PER_MS);
	if (r.value != want)
		FAILF("%s: status stuck at %ld, expected %ld", what, r.value, want);
	return r.value;
}

static int wait_flag(volatile u64 *flag)
{
	u64 t0 = read_time();

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && read_time() - t0 < 5000 * TICKS_PER_MS)
		;
	return *flag != 0;
}

static void run_once(unsigned long other, unsigned long opaque, int with_ipi)
{
	struct sbiret r;
	long err;

	sh.arrived = sh.release = 0;
	sh.ipi_wait = with_ipi;
	sh.ipi_count = sh.ipi_cause = 0;
	fence();
	err = start_hart(other, secondary, opaque);
	CHECK_EQ("hart_start error", SBI_SUCCESS, err);
	if (err)
		return;
	/* after a successful hart_start: START_PENDING, then STARTED (the hart
	 * cannot stop on its own before we release it) */
	wait_status(other, SBI_HSM_STARTED, (1U << SBI_HSM_START_PENDING) | (1U << SBI_HSM_STARTED),
	            "starting");
	CHECK("started hart reached its function", wait_flag(&sh.arrived));
	CHECK_EQ("status while the hart runs", SBI_HSM_STARTED, sbi_hart_get_status(other).value);

	/* starting a running hart */
	r = sbi_hart_start(other, (unsigned long)_secondary_entry, 0);
	CHECK_EQ("hart_start on a started hart", SBI_ERR_ALREADY_AVAILABLE, r.error);

	/* OpenSBI 1.1 on an overloaded host sometimes sends the hart to the
	 * image's original entry point with a1 = DTB instead */
	CHECK_QUIRK("hart entered at start_addr", !hart_stray[other],
	            "hart %lu came in through _start with a1 = 0x%lx", other,
	            (unsigned long)hart_entry_info[other].a1);
	CHECK_EQ("a0 at entry = hartid", other, hart_entry_info[other].a0);
	if (!hart_stray[other])
		CHECK_EQ("a1 at entry = opaque", opaque, hart_entry_info[other].a1);
	CHECK_EQ("satp at entry = 0", 0, hart_entry_info[other].satp);
	CHECK_EQ("sstatus.SIE at entry = 0", 0, hart_entry_info[other].sstatus & SSTATUS_SIE);
	CHECK_EQ("hartid seen by the hart", other, sh.hartid);
	CHECK_EQ("opaque seen by the hart", opaque, sh.opaque);
	CHECK_EQ("hart_get_status(self) on the started hart", SBI_HSM_STARTED, sh.self_status);

	if (with_ipi) {
		r = sbi_send_ipi(1, other);
		CHECK_EQ("send_ipi to the other hart", SBI_SUCCESS, r.error);
		CHECK("IPI received", wait_flag(&sh.ipi_count));
		CHECK_EQ("IPI scause on the other hart", SCAUSE_INTR | IRQ_S_SOFT, sh.ipi_cause);
		CHECK_EQ("exactly one IPI", 1, sh.ipi_count);
	}

	__atomic_store_n(&sh.release, 1, __ATOMIC_RELEASE);
	wait_status(other, SBI_HSM_STOPPED,
	            (1U << SBI_HSM_STARTED) | (1U << SBI_HSM_STOP_PENDING) |
	                (1U << SBI_HSM_STOPPED),
	            "stopping");
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	struct sbiret r;
	long other;
	u64 ran;

	(void)dtb;
	r = sbi_probe_extension(SBI_EXT_HSM);
	CHECK("HSM extension present", r.error == 0 && r.value != 0);

	r = sbi_hart_get_status(hartid);
	CHECK_EQ("get_status(self) error", SBI_SUCCESS, r.error);
	CHECK_EQ("get_status(self)", SBI_HSM_STARTED, r.value);
	r = sbi_hart_get_status(0x1000);
	CHECK_EQ("get_status(invalid hartid)", SBI_ERR_INVALID_PARAM, r.error);
	r = sbi_hart_start(0x1000, (unsigned long)_secondary_entry, 0);
	CHECK_EQ("hart_start(invalid hartid)", SBI_ERR_INVALID_PARAM, r.error);
	r = sbi_hart_start(hartid, (unsigned long)_secondary_entry, 0);
	CHECK_EQ("hart_start(self)", SBI_ERR_ALREADY_AVAILABLE, r.error);

	other = find_other_hart();
	if (other < 0) {
		FAILF("no second hart found (run with 2 harts)");
		return;
	}
	printf("boot hart %lu, other hart %ld\n", hartid, other);
	CHECK_EQ("other hart initially STOPPED", SBI_HSM_STOPPED,
	         sbi_hart_get_status((unsigned long)other).value);

	ran = sh.ran;
	run_once((unsigned long)other, 0x123456789abcdef0UL, 0);
	CHECK_EQ("first run completed", ran + 1, sh.ran);
	/* a stopped hart can be started again */
	run_once((unsigned long)other, 0xfedcba9876543210UL, 1);
	CHECK_EQ("second run completed", ran + 2, sh.ran);
	CHECK_EQ("other hart STOPPED at the end", SBI_HSM_STOPPED,
	         sbi_hart_get_status((unsigned long)other).value);
}
