// SPDX-License-Identifier: MIT
/*
 * The vCPU scheduler with many VMs in one process: small hand-assembled
 * guests (a counting loop, a pause spinner, an idle wfi loop, a periodic
 * timer) run on worker pools of 1 or 2 threads. CPU shares are measured by
 * the scheduler's accounting (thread CPU time, robust on a loaded host) and
 * by guest progress; counters are read while the VMs are paused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "vmm/sched.h"
#include "vmm/vm.h"

#define DATA 0x100000u /* guest data page, from RAM base: counter, lat sum, lat max, wakes */

/* ---- a tiny RV64 assembler ---------------------------------------------------------------- */

enum { ZERO = 0, T0 = 5, T1 = 6, T2 = 7, A2 = 12, T3 = 28, T4 = 29, T5 = 30 };

static uint32_t i_type(int imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
	return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t s_type(int imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
	return (uint32_t)((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (uint32_t)(imm & 0x1f) << 7 | op;
}
static uint32_t addi(unsigned rd, unsigned rs, int imm)
{
	return i_type(imm, rs, 0, rd, 0x13);
}
static uint32_t ld(unsigned rd, unsigned rs, int imm)
{
	return i_type(imm, rs, 3, rd, 0x03);
}
static uint32_t sd(unsigned rs2, unsigned rs1, int imm)
{
	return s_type(imm, rs2, rs1, 3, 0x23);
}
static uint32_t add(unsigned rd, unsigned a, unsigned b)
{
	return b << 20 | a << 15 | rd << 7 | 0x33;
}
static uint32_t sub(unsigned rd, unsigned a, unsigned b)
{
	return 0x40000000u | add(rd, a, b);
}
static uint32_t lui(unsigned rd, uint32_t imm20)
{
	return imm20 << 12 | rd << 7 | 0x37;
}
static uint32_t auipc(unsigned rd, uint32_t imm20)
{
	return imm20 << 12 | rd << 7 | 0x17;
}
static uint32_t csrrs(unsigned rd, unsigned csr, unsigned rs)
{
	return i_type((int)csr, rs, 2, rd, 0x73);
}
static uint32_t csrrw(unsigned rd, unsigned csr, unsigned rs)
{
	return i_type((int)csr, rs, 1, rd, 0x73);
}
static uint32_t jal0(int off)
{
	uint32_t o = (uint32_t)off;
	return (o >> 20 & 1) << 31 | (o >> 1 & 0x3ff) << 21 | (o >> 11 & 1) << 20 |
	       (o >> 12 & 0xff) << 12 | 0x6f;
}
static uint32_t bgeu(unsigned a, unsigned b, int off)
{
	uint32_t o = (uint32_t)off;
	return (o >> 12 & 1) << 31 | (o >> 5 & 0x3f) << 25 | b << 20 | a << 15 | 7 << 12 |
	       (o >> 1 & 0xf) << 8 | (o >> 11 & 1) << 7 | 0x63;
}
#define WFI          0x10500073u
#define PAUSE        0x0100000fu
#define CSR_SIE      0x104
#define CSR_STIMECMP 0x14d
#define CSR_TIME     0xc01

/* Counts forever: DATA[0]++. */
static const uint32_t *prog_spin(size_t *n)
{
	static uint32_t p[5];
	p[0] = auipc(A2, DATA >> 12);
	p[1] = ld(T0, A2, 0);
	p[2] = addi(T0, T0, 1);
	p[3] = sd(T0, A2, 0);
	p[4] = jal0(-12);
	*n = 5;
	return p;
}

/* Spins on pause hints, as a lock waiter does. */
static const uint32_t *prog_pause(size_t *n)
{
	static uint32_t p[3];
	p[0] = auipc(A2, DATA >> 12);
	p[1] = PAUSE;
	p[2] = jal0(-4);
	*n = 3;
	return p;
}

/*
 * Arms its timer delta ticks (lui units of 4096 ticks = 409.6 us) ahead and
 * waits in wfi (sstatus.SIE off: the interrupt wakes wfi but is not taken);
 * on each wakeup adds time - stimecmp to DATA[8], keeps the max in
 * DATA[16], counts wakeups in DATA[24].
 */
static const uint32_t *prog_timer(size_t *n, uint32_t delta_4k)
{
	static uint32_t p[32];
	unsigned i = 0, rearm, skip;

	p[i++] = auipc(A2, DATA >> 12);
	p[i++] = addi(T1, ZERO, 32); /* sie.STIE */
	p[i++] = csrrs(ZERO, CSR_SIE, T1);
	p[i++] = lui(T2, delta_4k);
	rearm = i;
	p[i++] = csrrs(T0, CSR_TIME, ZERO);
	p[i++] = add(T0, T0, T2);
	p[i++] = csrrw(ZERO, CSR_STIMECMP, T0);
	p[i++] = WFI;
	p[i++] = csrrs(T1, CSR_TIME, ZERO);
	p[i++] = sub(T1, T1, T0);
	p[i++] = ld(T3, A2, 8);
	p[i++] = add(T3, T3, T1);
	p[i++] = sd(T3, A2, 8);
	p[i++] = ld(T4, A2, 16);
	skip = i;
	p[i++] = 0; /* bgeu t4, t1, +8 */
	p[i++] = sd(T1, A2, 16);
	p[skip] = bgeu(T4, T1, (int)(i - skip) * 4);
	p[i++] = ld(T5, A2, 24);
	p[i++] = addi(T5, T5, 1);
	p[i++] = sd(T5, A2, 24);
	p[i] = jal0(-(int)(i - rearm) * 4);
	i++;
	*n = i;
	return p;
}

/* ---- harness ------------------------------------------------------------------------------ */

static struct vm *mkvm(const uint32_t *code, size_t n)
{
	struct vm_config cfg = { .ram_size = 4u << 20, .ncpus = 1 };
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm || vm_create(vm, &cfg) < 0) {
		printf("FAIL: cannot create a VM\n");
		exit(1);
	}
	memcpy(vm_ram_ptr(vm, gpa(VM_RAM_BASE), n * 4), code, n * 4);
	vm->entry = gpa(VM_RAM_BASE);
	return vm;
}

static uint64_t gword(struct vm *vm, unsigned off)
{
	uint64_t v;

	memcpy(&v, vm_ram_ptr(vm, gpa(VM_RAM_BASE + DATA + off), 8), 8);
	return v;
}

static void end_vm(struct vm *vm)
{
	vm_request_end(vm, VM_END_POWEROFF, 0);
	CHECK_EQ("vm_wait status", vm_wait(vm), VM_END_POWEROFF);
	vm_destroy(vm);
	free(vm);
}

static uint64_t now_ns(void)
{
	return host_time_ns();
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Guest counters and accounting of several VMs at one moment (all paused meanwhile). */
struct snap {
	uint64_t t, count[4], run[4];
};

static void snapshot(struct vm **vms, unsigned n, struct snap *s)
{
	struct sched_stats st;
	unsigned i;

	for (i = 0; i < n; i++)
		CHECK_EQ("pause", vm_pause(vms[i]), 0);
	s->t = now_ns();
	for (i = 0; i < n; i++) {
		sched_vm_stats(vms[i], &st);
		CHECK_EQ("paused: nothing running", st.running, 0);
		s->count[i] = gword(vms[i], 0);
		s->run[i] = st.run_ns;
	}
	for (i = 0; i < n; i++)
		CHECK_EQ("resume", vm_resume(vms[i]), 0);
}

static bool within(double got, double want, double tol)
{
	return got >= want * (1 - tol) && got <= want * (1 + tol);
}

/* (a) weights 1:2 on one worker. */
static void test_weights(void)
{
	size_t n;
	const uint32_t *p = prog_spin(&n);
	struct vm *vms[2] = { mkvm(p, n), mkvm(p, n) };
	struct snap a, b;
	double run_ratio, prog_ratio;

	cur = "weights";
	sched_init(1);
	CHECK_EQ("set weight", sched_vm_set_weight(vms[0], 100), 0);
	CHECK_EQ("set weight", sched_vm_set_weight(vms[1], 200), 0);
	CHECK_EQ("weight 0 rejected", sched_vm_set_weight(vms[1], 0), (uint64_t)-EINVAL);
	vm_start(vms[0]);
	vm_start(vms[1]);
	sleep_ms(300);
	snapshot(vms, 2, &a);
	sleep_ms(3000);
	snapshot(vms, 2, &b);
	run_ratio = (double)(b.run[1] - a.run[1]) / (double)(b.run[0] - a.run[0]);
	prog_ratio = (double)(b.count[1] - a.count[1]) / (double)(b.count[0] - a.count[0]);
	printf("weights 100:200 on 1 worker: CPU time ratio %.3f, guest progress ratio %.3f "
	       "(run %.0f ms : %.0f ms in %.0f ms)\n",
	       run_ratio, prog_ratio, (b.run[0] - a.run[0]) / 1e6, (b.run[1] - a.run[1]) / 1e6,
	       (b.t - a.t) / 1e6);
	CHECK_EQ("CPU time ratio 2 within 10%", within(run_ratio, 2.0, 0.10), 1);
	CHECK_EQ("progress ratio 2 within 15%", within(prog_ratio, 2.0, 0.15), 1);
	end_vm(vms[0]);
	end_vm(vms[1]);
	sched_fini();
}

/* (b) a cap of 25%: alone, and next to an uncapped VM on the same worker. */
static void test_cap(void)
{
	size_t n;
	const uint32_t *p = prog_spin(&n);
	struct vm *vms[2] = { mkvm(p, n), mkvm(p, n) };
	struct snap a, b;
	double rate, pct_run, pct_prog, worker;

	cur = "cap";
	sched_init(1);
	CHECK_EQ("cap above 100% of 1 vCPU rejected", sched_vm_set_cap(vms[0], 101),
	         (uint64_t)-EINVAL);
	CHECK_EQ("set cap", sched_vm_set_cap(vms[0], 25), 0);
	/* Uncapped, its weight would take 16/17 of the worker: the cap is what stops it. */
	sched_vm_set_weight(vms[0], 4096);
	vm_start(vms[0]);
	vm_start(vms[1]); /* a competitor that would take what the cap leaves */
	sleep_ms(300);
	snapshot(vms, 2, &a);
	sleep_ms(3000);
	snapshot(vms, 2, &b);
	/* The same guest uncapped, at the same time: its progress per CPU second. */
	rate = (double)(b.count[1] - a.count[1]) / (double)(b.run[1] - a.run[1]);
	pct_run = 100.0 * (double)(b.run[0] - a.run[0]) / (double)(b.t - a.t);
	pct_prog = 100.0 * (double)(b.count[0] - a.count[0]) / rate / (double)(b.t - a.t);
	printf("cap 25%%: %.1f%% of a core by accounting, %.1f%% by guest progress; "
	       "uncapped neighbour %.1f%%\n",
	       pct_run, pct_prog, 100.0 * (double)(b.run[1] - a.run[1]) / (double)(b.t - a.t));
	CHECK_EQ("cap 25% by accounting: at most 30%", pct_run < 30, 1);
	CHECK_EQ("cap 25% by progress: at most 30%", pct_prog < 30, 1);
	worker = 100.0 * (double)(b.run[0] - a.run[0] + b.run[1] - a.run[1]) / (double)(b.t - a.t);
	if (worker < 32) {
		printf("SKIP cap lower bound: the host gave the worker only %.1f%% of a core\n",
		       worker);
	} else {
		CHECK_EQ("cap 25% by accounting: at least 20%", pct_run > 20, 1);
		CHECK_EQ("cap 25% by progress: at least 20%", pct_prog > 20, 1);
	}
	end_vm(vms[0]);
	end_vm(vms[1]);
	sched_fini();
}

/* (c) 16 idle VMs cost (almost) no host CPU. */
static void test_idle(void)
{
	size_t n;
	const uint32_t *p = prog_timer(&n, 0x5f5e); /* timer 10 s ahead */
	struct vm *vms[16];
	struct rusage r0, r1;
	struct sched_stats st;
	double cpu_ms;
	unsigned i, parked = 0;

	cur = "idle";
	sched_init(0);
	for (i = 0; i < 16; i++) {
		vms[i] = mkvm(p, n);
		vm_start(vms[i]);
	}
	sleep_ms(300);
	getrusage(RUSAGE_SELF, &r0);
	sleep_ms(5000);
	getrusage(RUSAGE_SELF, &r1);
	cpu_ms = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
	                  r0.ru_stime.tv_sec) *
	             1e3 +
	         (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
	                  r0.ru_stime.tv_usec) /
	             1e3;
	for (i = 0; i < 16; i++) {
		sched_vm_stats(vms[i], &st);
		parked += st.parked;
	}
	printf("16 idle VMs on %u workers: host CPU %.1f ms in 5 s (%.2f%% of a core)\n",
	       sched_nworkers(), cpu_ms, cpu_ms / 50.0);
	CHECK_EQ("all 16 parked", parked, 16);
	CHECK_EQ("host CPU < 5% of a core", cpu_ms < 250.0, 1);
	for (i = 0; i < 16; i++)
		end_vm(vms[i]);
	sched_fini();
}

/* (d) pinned vCPUs run only on their workers. */
static void test_pin(void)
{
	size_t n;
	const uint32_t *p = prog_spin(&n);
	struct vm *vms[3] = { mkvm(p, n), mkvm(p, n), mkvm(p, n) };
	struct sched_stats st[3];
	unsigned i;

	cur = "pin";
	sched_init(2);
	CHECK_EQ("pin to a worker that does not exist", sched_vcpu_pin(vms[0], 0, 2),
	         (uint64_t)-EINVAL);
	CHECK_EQ("pin a vCPU that does not exist", sched_vcpu_pin(vms[0], 1, 0), (uint64_t)-EINVAL);
	sched_vcpu_pin(vms[0], 0, 1);
	sched_vcpu_pin(vms[1], 0, 0);
	sched_vcpu_pin(vms[2], 0, 1);
	for (i = 0; i < 3; i++)
		vm_start(vms[i]);
	sleep_ms(600);
	for (i = 0; i < 3; i++) {
		vm_pause(vms[i]);
		sched_vcpu_stats(vms[i], 0, &st[i]);
	}
	printf("pinning: worker masks %#llx %#llx %#llx, schedules %llu %llu %llu\n",
	       (unsigned long long)st[0].worker_mask, (unsigned long long)st[1].worker_mask,
	       (unsigned long long)st[2].worker_mask, (unsigned long long)st[0].schedules,
	       (unsigned long long)st[1].schedules, (unsigned long long)st[2].schedules);
	CHECK_EQ("vm0 only on worker 1", st[0].worker_mask, 2);
	CHECK_EQ("vm1 only on worker 0", st[1].worker_mask, 1);
	CHECK_EQ("vm2 only on worker 1", st[2].worker_mask, 2);
	CHECK_EQ("vm0 and vm2 shared worker 1", st[0].schedules > 2 && st[2].schedules > 2, 1);
	CHECK_EQ("all progressed", gword(vms[0], 0) && gword(vms[1], 0) && gword(vms[2], 0), 1);
	/* vm_pause() returns only when no vCPU of the VM runs guest code. */
	for (i = 0; i < 3; i++)
		vm_resume(vms[i]);
	for (unsigned round = 0, moved = 0, ran = 0; round < 60; round++) {
		struct vm *v = vms[round % 3];
		uint64_t c0, c1;
		struct sched_stats s1;

		CHECK_EQ("pause", vm_pause(v), 0);
		sched_vm_stats(v, &s1);
		moved += s1.running;
		c0 = gword(v, 0);
		sleep_ms(2);
		c1 = gword(v, 0);
		moved += c1 != c0;
		CHECK_EQ("resume", vm_resume(v), 0);
		/* Resumed, it runs again: look (paused) every 10 ms, for up to 2 s. */
		for (unsigned tries = 0; tries < 200; tries++) {
			sleep_ms(10);
			CHECK_EQ("pause", vm_pause(v), 0);
			c0 = gword(v, 0);
			CHECK_EQ("resume", vm_resume(v), 0);
			if (c0 != c1) {
				ran++;
				break;
			}
		}
		if (round == 59) {
			CHECK_EQ("nothing ran while paused", moved, 0);
			CHECK_EQ("each resume ran the guest again", ran, 60);
		}
	}
	for (i = 0; i < 3; i++)
		end_vm(vms[i]);
	sched_fini();
}

/* (e) a vCPU spinning on pause yields its worker; without pause exits it takes half. */
static double pause_share(bool ple, uint64_t *pause_exits, uint64_t *yields)
{
	size_t n1, n2;
	const uint32_t *ps = prog_spin(&n1);
	struct vm *spin = mkvm(ps, n1);
	const uint32_t *pp = prog_pause(&n2);
	struct vm *pauser = mkvm(pp, n2);
	struct vm *vms[2] = { spin, pauser };
	struct sched_stats st;
	struct snap a, b;

	sched_init(1);
	sched_vm_set_pause_exit(pauser, ple);
	vm_start(spin);
	vm_start(pauser);
	sleep_ms(200);
	snapshot(vms, 2, &a);
	sleep_ms(1500);
	snapshot(vms, 2, &b);
	vm_pause(pauser);
	*pause_exits = pauser->cpus[0].vcpu.stats.exits[EXIT_PAUSE];
	sched_vm_stats(pauser, &st);
	*yields = st.yields;
	end_vm(spin);
	end_vm(pauser);
	sched_fini();
	return (double)(b.run[0] - a.run[0]) / (double)(b.run[0] - a.run[0] + b.run[1] - a.run[1]);
}

static void test_pause(void)
{
	uint64_t exits, yields, exits2, yields2;
	double on, off;

	cur = "pause-loop exit";
	on = pause_share(true, &exits, &yields);
	off = pause_share(false, &exits2, &yields2);
	printf("pause spinner next to a busy VM on 1 worker: busy VM gets %.1f%% with pause "
	       "exits (%llu exits, %llu yields), %.1f%% without (%llu exits)\n",
	       100 * on, (unsigned long long)exits, (unsigned long long)yields, 100 * off,
	       (unsigned long long)exits2);
	CHECK_EQ("pause exits counted", exits > 0, 1);
	CHECK_EQ("yields counted", yields > 0, 1);
	CHECK_EQ("busy VM gets > 80% with pause exits", on > 0.80, 1);
	CHECK_EQ("no pause exits when disabled", exits2, 0);
	CHECK_EQ("about half without pause exits", off > 0.35 && off < 0.65, 1);
}

/*
 * (f) a parked vCPU runs soon after its timer deadline: on an idle worker,
 * and on one busy with another VM (the wakeup preempts it).
 */
static void latency(bool hog)
{
	size_t n, n2;
	const uint32_t *p = prog_timer(&n, 5); /* 2.048 ms period */
	struct vm *vm = mkvm(p, n);
	const uint32_t *ps = prog_spin(&n2);
	struct vm *busy = hog ? mkvm(ps, n2) : NULL;
	struct sched_stats st, bst = { 0 };
	uint64_t wakes, sum, max;

	sched_init(1);
	vm_start(vm);
	if (busy)
		vm_start(busy);
	sleep_ms(1000);
	vm_pause(vm);
	if (busy) {
		vm_pause(busy);
		sched_vm_stats(busy, &bst);
	}
	sched_vm_stats(vm, &st);
	wakes = gword(vm, 24);
	sum = gword(vm, 8);
	max = gword(vm, 16);
	printf("timer wakeup latency%s, %llu wakeups: guest-measured mean %.1f us, max %.1f us; "
	       "scheduler-measured (deadline to running) mean %.1f us, max %.1f us\n",
	       hog ? " next to a busy VM on the worker" : " on an idle worker",
	       (unsigned long long)wakes, wakes ? (double)sum * 0.1 / (double)wakes : 0,
	       (double)max * 0.1,
	       st.timer_wakeups ? st.wake_lat_sum_ns / 1e3 / (double)st.timer_wakeups : 0,
	       st.wake_lat_max_ns / 1e3);
	CHECK_EQ("woke up many times", wakes > 100, 1);
	CHECK_EQ("timer wakeups counted", st.timer_wakeups > 100, 1);
	if (!hog) /* next to a busy VM a loaded host's delays count as steal */
		CHECK_EQ("parked most of the time", st.wait_ns > 500000000ull, 1);
	CHECK_EQ("guest-measured mean latency < 10 ms", wakes && sum / wakes < 100000, 1);
	CHECK_EQ("scheduler mean latency < 10 ms",
	         st.timer_wakeups && st.wake_lat_sum_ns / st.timer_wakeups < 10000000, 1);
	if (busy) {
		/* Without preemption it would wait for the busy VM's 10 ms slices. */
		CHECK_EQ("busy VM ran", bst.run_ns > 100000000ull, 1);
		printf("  the busy VM was preempted %llu times\n",
		       (unsigned long long)bst.preempted);
		CHECK_EQ("the wakeups preempted the busy VM", bst.preempted > wakes / 2, 1);
		end_vm(busy);
	}
	end_vm(vm);
	sched_fini();
}

static void test_latency(void)
{
	cur = "wakeup latency";
	latency(false);
	cur = "wakeup latency with a busy VM";
	latency(true);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	if (!only || !strcmp(only, "weights"))
		test_weights();
	if (!only || !strcmp(only, "cap"))
		test_cap();
	if (!only || !strcmp(only, "idle"))
		test_idle();
	if (!only || !strcmp(only, "pin"))
		test_pin();
	if (!only || !strcmp(only, "pause"))
		test_pause();
	if (!only || !strcmp(only, "latency"))
		test_latency();
	return check_summary();
}
