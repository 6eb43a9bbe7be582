/* Guest runtime: console, checks, trap dispatch, hart management. */
#include <stdarg.h>
#include <string.h>
#include "rt.h"

unsigned long boot_hartid;
unsigned long boot_dtb;

struct rt_jmpbuf {
	u64 regs[16];
};
int rt_setjmp(struct rt_jmpbuf *b) __attribute__((returns_twice));
__attribute__((noreturn)) void rt_longjmp(struct rt_jmpbuf *b, int v);
__attribute__((noreturn)) void rt_enter_user(void (*fn)(unsigned long), unsigned long arg,
                                             unsigned long sp);

enum { ARM_NONE, ARM_SKIP, ARM_JUMP };

struct hart_state {
	unsigned long hartid;
	trap_hook_t hook;
	volatile int armed;
	volatile struct trap_info ti;
	struct rt_jmpbuf jb;
	void (*ufn)(unsigned long);
	unsigned long uarg, usp;
	unsigned len;
	char line[256];
};

static __thread struct hart_state hs;

volatile struct hart_entry_info hart_entry_info[MAX_HARTS];
volatile u64 hart_stray[MAX_HARTS];
static volatile hart_fn_t hart_fn[MAX_HARTS];
static volatile unsigned long hart_opaque[MAX_HARTS];
static u64 user_stacks[MAX_HARTS][512] __attribute__((aligned(16)));

/* ---- TLS ------------------------------------------------------------- */
extern char __tdata_start[], __tdata_end[], __tbss_end[], __tls_blocks[];

/* Called from crt0 with a stack but before tp is valid; returns the tp value. */
void *rt_tls_init(unsigned long hartid);
void *rt_tls_init(unsigned long hartid)
{
	size_t tsize = (size_t)(__tbss_end - __tdata_start);
	size_t dsize = (size_t)(__tdata_end - __tdata_start);
	size_t block = (tsize + 63) & ~(size_t)63;
	char *p = __tls_blocks + hartid * block;
	size_t i;

	for (i = 0; i < dsize; i++)
		p[i] = __tdata_start[i];
	for (; i < tsize; i++)
		p[i] = 0;
	return p;
}

/* ---- locks & console ------------------------------------------------- */
void spin_lock(volatile int *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (*lock)
			;
}

void spin_unlock(volatile int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* Console lock, re-entrant per hart (a trap may print while we print). */
static volatile long con_owner = -1;
static int con_depth;

static void con_lock(void)
{
	long me = (long)hs.hartid;
	long expect;

	if (__atomic_load_n(&con_owner, __ATOMIC_ACQUIRE) == me) {
		con_depth++;
		return;
	}
	for (;;) {
		expect = -1;
		if (__atomic_compare_exchange_n(&con_owner, &expect, me, 0, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			break;
	}
	con_depth = 1;
}

static void con_unlock(void)
{
	if (--con_depth == 0)
		__atomic_store_n(&con_owner, -1, __ATOMIC_RELEASE);
}

static void con_flush(void)
{
	unsigned i;

	if (!hs.len)
		return;
	con_lock();
	for (i = 0; i < hs.len; i++)
		sbi_console_putchar(hs.line[i]);
	hs.len = 0;
	con_unlock();
}

/* Output is line-buffered per hart so that lines from two harts never mix. */
static int rt_putc(char c, FILE *f)
{
	(void)f;
	hs.line[hs.len++] = c;
	if (c == '\n' || hs.len == sizeof(hs.line))
		con_flush();
	return (unsigned char)c;
}

static int rt_flush(FILE *f)
{
	(void)f;
	con_flush();
	return 0;
}

static FILE rt_stdout = FDEV_SETUP_STREAM(rt_putc, NULL, rt_flush, _FDEV_SETUP_WRITE);
FILE *const stdout = &rt_stdout;
FILE *const stderr = &rt_stdout;

unsigned long this_hartid(void)
{
	return hs.hartid;
}

/* ---- checks ---------------------------------------------------------- */
static volatile unsigned long n_fail;
static char first_fail[200];
static volatile int fail_lock;

static void record_fail(const char *msg)
{
	spin_lock(&fail_lock);
	if (n_fail++ == 0) {
		strncpy(first_fail, msg, sizeof(first_fail) - 1);
		first_fail[sizeof(first_fail) - 1] = 0;
	}
	spin_unlock(&fail_lock);
	printf("ERROR: %s\n", msg);
}

void fail_(int line, const char *fmt, ...)
{
	char buf[200];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "[line %d] ", line);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	record_fail(buf);
}

void check_eq_(int line, const char *what, u64 expected, u64 actual)
{
	if (expected != actual)
		fail_(line, "%s: expected 0x%lx, actual 0x%lx", what, (unsigned long)expected,
		      (unsigned long)actual);
}

void check_true_(int line, const char *what, int cond)
{
	if (!cond)
		fail_(line, "%s: condition false", what);
}

int under_opensbi(void)
{
	static int v = -1;
	struct sbiret r;

	if (v < 0) {
		r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0, 0);
		v = r.error == SBI_SUCCESS && r.value == 1;
	}
	return v;
}

void check_quirk_(int line, const char *what, int ok, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (under_opensbi())
		printf("NOTE: %s: %s (spec violation known in the QEMU/OpenSBI oracle; "
		       "tolerated only under OpenSBI)\n",
		       what, detail);
	else
		fail_(line, "%s: %s", what, detail);
}

unsigned long fail_count(void)
{
	return n_fail;
}

__attribute__((noreturn)) void test_finish(void)
{
	static volatile int finishing;
	unsigned long n;
	struct sbiret r;

	fflush(stdout);
	/* only the first hart to get here reports and resets */
	if (__atomic_exchange_n(&finishing, 1, __ATOMIC_ACQ_REL))
		for (;;)
			__asm__ volatile("wfi");
	n = n_fail;
	if (n == 0)
		printf("PASS %s\n", test_name);
	else
		printf("FAIL %s: %lu check(s) failed; first: %s\n", test_name, n, first_fail);
	fflush(stdout);
	r = sbi_system_reset(SBI_SRST_SHUTDOWN, n ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
	/* SRST missing or failed: try the legacy shutdown, then park. */
	printf("system_reset returned error %ld\n", r.error);
	sbi_legacy_ecall(SBI_EXT_LEGACY_SHUTDOWN, 0);
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- traps ----------------------------------------------------------- */
trap_hook_t set_trap_hook(trap_hook_t hook)
{
	trap_hook_t old = hs.hook;

	hs.hook = hook;
	barrier();
	return old;
}

unsigned insn_len_at(u64 addr)
{
	u16 lo = *(volatile u16 *)addr;

	return (lo & 3) == 3 ? 4 : 2;
}

static void record_trap(struct trap_frame *f)
{
	hs.ti.count++;
	hs.ti.cause = f->scause;
	hs.ti.tval = f->stval;
	hs.ti.epc = f->sepc;
	hs.ti.sstatus = f->sstatus;
	hs.ti.a0 = f->regs[10];
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (hs.hook && hs.hook(f))
		return;
	if (!(f->scause & SCAUSE_INTR)) {
		if (hs.armed == ARM_SKIP) {
			record_trap(f);
			f->sepc += insn_len_at(f->sepc);
			return;
		}
		if (hs.armed == ARM_JUMP) {
			record_trap(f);
			hs.armed = ARM_NONE;
			rt_longjmp(&hs.jb, 1);
		}
	}
	fail_(0, "unexpected trap on hart %lu: scause=0x%lx sepc=0x%lx stval=0x%lx sstatus=0x%lx",
	      hs.hartid, (unsigned long)f->scause, (unsigned long)f->sepc, (unsigned long)f->stval,
	      (unsigned long)f->sstatus);
	test_finish();
}

void expect_trap_begin(void)
{
	hs.ti.count = 0;
	hs.ti.cause = hs.ti.tval = hs.ti.epc = hs.ti.sstatus = hs.ti.a0 = 0;
	barrier();
	hs.armed = ARM_SKIP;
	barrier();
}

struct trap_info expect_trap_end(void)
{
	struct trap_info t;

	barrier();
	hs.armed = ARM_NONE;
	barrier();
	t.count = hs.ti.count;
	t.cause = hs.ti.cause;
	t.tval = hs.ti.tval;
	t.epc = hs.ti.epc;
	t.sstatus = hs.ti.sstatus;
	t.a0 = hs.ti.a0;
	return t;
}

int trap_try(void (*fn)(unsigned long), unsigned long arg, struct trap_info *ti)
{
	unsigned long sie_was = csr_read(sstatus) & SSTATUS_SIE;
	volatile int trapped = 0;

	hs.ti.count = 0;
	if (rt_setjmp(&hs.jb) == 0) {
		hs.armed = ARM_JUMP;
		barrier();
		fn(arg);
		barrier();
		hs.armed = ARM_NONE;
	} else {
		trapped = 1;
		if (sie_was)
			csr_set(sstatus, SSTATUS_SIE);
	}
	*ti = expect_trap_end();
	return trapped;
}

static __attribute__((noinline)) void user_run(void)
{
	if (rt_setjmp(&hs.jb) == 0) {
		hs.armed = ARM_JUMP;
		barrier();
		rt_enter_user(hs.ufn, hs.uarg, hs.usp);
	}
}

void trap_try_user(void (*fn)(unsigned long), unsigned long arg, unsigned long user_sp,
                   struct trap_info *ti)
{
	unsigned long sie_was = csr_read(sstatus) & SSTATUS_SIE;

	hs.ufn = fn;
	hs.uarg = arg;
	hs.usp = user_sp ? user_sp : (unsigned long)&user_stacks[hs.hartid][512];
	hs.ti.count = 0;
	user_run();
	/* back in S-mode via the trap handler; SIE is 0 here */
	if (sie_was)
		csr_set(sstatus, SSTATUS_SIE);
	*ti = expect_trap_end();
}

void check_trap_(int line, const char *what, const struct trap_info *ti, u64 cause, u64 epc,
                 u64 tval)
{
	if (ti->count != 1) {
		fail_(line, "%s: expected exactly one trap (scause 0x%lx), got %lu", what,
		      (unsigned long)cause, (unsigned long)ti->count);
		return;
	}
	if (ti->cause != cause)
		fail_(line, "%s: scause expected 0x%lx, actual 0x%lx", what, (unsigned long)cause,
		      (unsigned long)ti->cause);
	if (epc != NO_CHECK && ti->epc != epc)
		fail_(line, "%s: sepc expected 0x%lx, actual 0x%lx", what, (unsigned long)epc,
		      (unsigned long)ti->epc);
	if (tval != NO_CHECK && ti->tval != tval)
		fail_(line, "%s: stval expected 0x%lx, actual 0x%lx", what, (unsigned long)tval,
		      (unsigned long)ti->tval);
}

void check_no_trap_(int line, const char *what, const struct trap_info *ti)
{
	if (ti->count)
		fail_(line, "%s: unexpected trap scause=0x%lx sepc=0x%lx stval=0x%lx", what,
		      (unsigned long)ti->cause, (unsigned long)ti->epc, (unsigned long)ti->tval);
}

/* ---- harts ----------------------------------------------------------- */
void rt_boot(unsigned long hartid, unsigned long dtb);
void rt_boot(unsigned long hartid, unsigned long dtb)
{
	hs.hartid = hartid;
	boot_hartid = hartid;
	boot_dtb = dtb;
	printf("guest test %s: boot hart %lu, dtb 0x%lx\n", test_name, hartid, dtb);
	test_main(hartid, dtb);
	test_finish();
}

void rt_secondary(unsigned long hartid, unsigned long opaque);
void rt_secondary(unsigned long hartid, unsigned long opaque)
{
	hart_fn_t fn;

	hs.hartid = hartid;
	fence();
	fn = hart_fn[hartid];
	if (hart_stray[hartid]) {
		printf("NOTE: hart %lu entered the image at _start (a1 = 0x%lx) after the boot "
		       "hart; %s\n",
		       hartid, opaque,
		       fn ? "running it as the secondary that hart_start asked for"
		          : "stopping it");
		opaque = hart_opaque[hartid];
	}
	if (fn)
		fn(hartid, opaque);
	fflush(stdout);
	sbi_hart_stop();
	fail_(0, "hart %lu: sbi_hart_stop returned", hartid);
	for (;;)
		__asm__ volatile("wfi");
}

long start_hart(unsigned long hartid, hart_fn_t fn, unsigned long opaque)
{
	if (hartid >= MAX_HARTS)
		return SBI_ERR_INVALID_PARAM;
	hart_fn[hartid] = fn;
	hart_opaque[hartid] = opaque;
	hart_stray[hartid] = 0;
	fence();
	return sbi_hart_start(hartid, (unsigned long)_secondary_entry, opaque).error;
}

long find_other_hart(void)
{
	unsigned long h;

	for (h = 0; h < MAX_HARTS; h++) {
		if (h == hs.hartid)
			continue;
		if (sbi_hart_get_status(h).error == SBI_SUCCESS)
			return (long)h;
	}
	return -1;
}
