// SPDX-License-Identifier: MIT
/*
 * The vCPU scheduler (docs/scheduler.md). One lock guards everything here:
 * the run queue, the park list, every vCPU's struct sched_vcpu and every
 * VM's struct sched_vm. A vCPU is in exactly one state:
 *
 *   IDLE      not runnable (wfi with nothing pending, hart stopped, VM
 *             paused or ended); on the park list if it waits for a timer
 *   RUNNABLE  on the run queue, waiting for a worker
 *   RUNNING   owned by one worker, which alone touches its vCPU state
 *
 * Only the worker that picked a vCPU (RUNNABLE -> RUNNING, under the lock)
 * runs it, so a vCPU never runs on two workers at once. Others read a
 * vCPU's architectural state (its interrupt enables and timer, to decide
 * whether it can run) only while it is not RUNNING, under the lock.
 *
 * Lock order: sched lock, then a vcpu_slot's lock. Nothing here calls out
 * to devices or vm_request_end() with the sched lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sched.h"
#include "vmm/vm.h"

enum { SCHED_IDLE, SCHED_RUNNABLE, SCHED_RUNNING };

#define MIN_SLICE_NS  500000ull    /* a capped VM runs at least this long once picked */
#define CAP_PERIOD_NS 100000000ull /* a capped VM banks at most cap% of this much */
#define PREEMPT_NS    1000000ull   /* a wakeup preempts a VM this far ahead in virtual time */

struct worker {
	pthread_t thread;
	pthread_cond_t cond;
	unsigned id;
	bool idle;
	struct vcpu_slot *cur; /* the vCPU it runs (lock) */
	_Atomic bool preempt;  /* end the slice now: a woken vCPU is owed the worker */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a VM's last vCPU left its worker (pause, end) */
	pthread_cond_t timer_cond;
	pthread_t timer;
	bool up, stop;
	unsigned nworkers;
	struct worker *w;
	struct vcpu_slot *rq_head, *rq_tail; /* RUNNABLE vCPUs, in arrival order */
	struct vcpu_slot *park_head;         /* IDLE vCPUs in wfi with a timer deadline */
	uint64_t min_vtime;  /* floor of busy VMs' virtual time (busy_min_vtime()) */
	uint64_t timer_next; /* when the timer thread wakes next */
	uint64_t slice_ns;
	unsigned nattached;
} S = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.slice_ns = SCHED_DEFAULT_SLICE_NS,
	.timer_next = UINT64_MAX,
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec abs_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
		               .tv_nsec = (long)(ns % 1000000000ull) };
	return ts;
}

/* ---- lists (lock held) ------------------------------------------------------------------- */

static void rq_append(struct vcpu_slot *s)
{
	s->sched.next = NULL;
	s->sched.prev = S.rq_tail;
	if (S.rq_tail)
		S.rq_tail->sched.next = s;
	else
		S.rq_head = s;
	S.rq_tail = s;
}

static void rq_remove(struct vcpu_slot *s)
{
	if (s->sched.prev)
		s->sched.prev->sched.next = s->sched.next;
	else
		S.rq_head = s->sched.next;
	if (s->sched.next)
		s->sched.next->sched.prev = s->sched.prev;
	else
		S.rq_tail = s->sched.prev;
	s->sched.prev = s->sched.next = NULL;
}

static void park_add(struct vcpu_slot *s)
{
	s->sched.prev = NULL;
	s->sched.next = S.park_head;
	if (S.park_head)
		S.park_head->sched.prev = s;
	S.park_head = s;
	s->sched.on_park_list = true;
}

static void park_remove(struct vcpu_slot *s)
{
	if (!s->sched.on_park_list)
		return;
	if (s->sched.prev)
		s->sched.prev->sched.next = s->sched.next;
	else
		S.park_head = s->sched.next;
	if (s->sched.next)
		s->sched.next->sched.prev = s->sched.prev;
	s->sched.prev = s->sched.next = NULL;
	s->sched.on_park_list = false;
}

/* ---- policy (lock held) ------------------------------------------------------------------ */

static unsigned vm_weight(const struct vm *vm)
{
	return vm->sched.weight ? vm->sched.weight : SCHED_DEFAULT_WEIGHT;
}

/* The cap is a token bucket: it fills at cap% of wall time, running drains it. */
static void cap_refill(struct vm *vm, uint64_t now)
{
	struct sched_vm *v = &vm->sched;
	int64_t max;

	if (!v->cap) {
		v->cap_last = now;
		return;
	}
	if (now > v->cap_last)
		v->cap_budget += (int64_t)((now - v->cap_last) * v->cap / 100);
	v->cap_last = now;
	max = (int64_t)(CAP_PERIOD_NS * v->cap / 100);
	if (v->cap_budget > max)
		v->cap_budget = max;
}

static bool cap_ok(struct vm *vm, uint64_t now)
{
	cap_refill(vm, now);
	return !vm->sched.cap || vm->sched.cap_budget > 0;
}

/* When a throttled VM's budget turns positive again. */
static uint64_t cap_until(const struct vm *vm)
{
	return vm->sched.cap_last + (uint64_t)(-vm->sched.cap_budget) * 100 / vm->sched.cap + 1;
}

static enum hart_state hart_state(struct vcpu_slot *s)
{
	enum hart_state st;

	pthread_mutex_lock(&s->lock);
	st = s->state;
	pthread_mutex_unlock(&s->lock);
	return st;
}

/* Can this (not RUNNING) vCPU run now? */
static bool runnable(struct vcpu_slot *s, uint64_t now)
{
	struct vm *vm = s->vm;
	enum hart_state st;

	if (vm_ended(vm) || atomic_load(&vm->pause_req))
		return false;
	st = hart_state(s);
	if (st == HART_STOPPED)
		return false;
	if (st == HART_START_PENDING)
		return true;
	if (s->sched.wfi && !vcpu_irq_wakeup(&s->vcpu) && vcpu_timer_deadline_ns(&s->vcpu) > now)
		return false;
	return true;
}

static void notify_worker(struct worker *w)
{
	if (w->idle) {
		w->idle = false;
		pthread_cond_signal(&w->cond);
	}
}

/*
 * A vCPU just woke and no worker is idle: preempt the worker (one s may run
 * on) whose VM is furthest ahead in virtual time, if that is ahead of s's VM.
 */
static void preempt_for(struct vcpu_slot *s)
{
	struct worker *victim = NULL;
	uint64_t vt = s->vm->sched.vtime + PREEMPT_NS;
	unsigned i;

	for (i = 0; i < S.nworkers; i++) {
		struct worker *w = &S.w[i];

		if ((s->sched.pin && s->sched.pin != (int)i + 1) || !w->cur || w->cur->vm == s->vm)
			continue;
		if (w->cur->vm->sched.vtime > vt &&
		    (!victim || w->cur->vm->sched.vtime > victim->cur->vm->sched.vtime))
			victim = w;
	}
	if (victim) {
		victim->cur->sched.st.preempted++;
		atomic_store(&victim->preempt, true);
		vcpu_kick(&victim->cur->vcpu, VCPU_REQ_STOP);
	}
}

/*
 * Someone should run s: an idle worker allowed to, or the timer thread if
 * its VM is capped; for a wakeup, else a worker running a VM ahead of it.
 */
static void notify(struct vcpu_slot *s, uint64_t now, bool wakeup)
{
	unsigned i;

	if (!cap_ok(s->vm, now)) {
		if (cap_until(s->vm) < S.timer_next)
			pthread_cond_signal(&S.timer_cond);
		return;
	}
	if (s->sched.pin && S.w[s->sched.pin - 1].idle) {
		notify_worker(&S.w[s->sched.pin - 1]);
		return;
	}
	for (i = 0; i < S.nworkers && !s->sched.pin; i++)
		if (S.w[i].idle) {
			notify_worker(&S.w[i]);
			return;
		}
	if (wakeup)
		preempt_for(s);
}

/*
 * The least virtual time of the VMs with a vCPU queued or running, kept as a
 * floor that only rises (with no VM busy, the last one seen).
 */
static uint64_t busy_min_vtime(void)
{
	uint64_t m = UINT64_MAX;
	struct vcpu_slot *s;
	unsigned i;

	for (s = S.rq_head; s; s = s->sched.next)
		if (s->vm->sched.vtime < m)
			m = s->vm->sched.vtime;
	for (i = 0; i < S.nworkers; i++)
		if (S.w[i].cur && S.w[i].cur->vm->sched.vtime < m)
			m = S.w[i].cur->vm->sched.vtime;
	if (m != UINT64_MAX && m > S.min_vtime)
		S.min_vtime = m;
	return S.min_vtime;
}

/* IDLE -> RUNNABLE. */
static void make_runnable(struct vcpu_slot *s, uint64_t now)
{
	struct vm *vm = s->vm;

	park_remove(s);
	s->sched.st.wait_ns += now - s->sched.since;
	s->sched.st.wakeups++;
	if (s->sched.wfi && s->sched.deadline <= now)
		s->sched.st.timer_wakeups++; /* its latency is counted when it runs */
	else
		s->sched.deadline = UINT64_MAX;
	s->sched.wfi = false;
	/*
	 * A VM that slept (or was paused) banks at most two slices of virtual
	 * time: enough to run soon after a wakeup, too little to starve the busy.
	 */
	if (!vm->sched.nrunning && !vm->sched.nqueued &&
	    vm->sched.vtime + 2 * S.slice_ns < busy_min_vtime())
		vm->sched.vtime = S.min_vtime - 2 * S.slice_ns;
	s->sched.state = SCHED_RUNNABLE;
	s->sched.since = now;
	vm->sched.nqueued++;
	rq_append(s);
	notify(s, now, true);
}

static void dequeue(struct vcpu_slot *s, uint64_t now)
{
	rq_remove(s);
	s->vm->sched.nqueued--;
	s->sched.st.steal_ns += now - s->sched.since;
	s->sched.state = SCHED_IDLE;
	s->sched.since = now;
}

/*
 * The next vCPU for worker w: among those it may run (pinning) whose VM's
 * cap allows, the one whose VM has the least virtual time, first come first
 * served among equals; a vCPU that just yielded only if nothing else can run.
 */
static struct vcpu_slot *pick(struct worker *w, uint64_t now)
{
	struct vcpu_slot *s, *next, *best = NULL;
	bool best_yield = true;

	for (s = S.rq_head; s; s = next) {
		struct vm *vm = s->vm;

		next = s->sched.next;
		if (vm_ended(vm) || atomic_load(&vm->pause_req)) {
			dequeue(s, now); /* vm_resume() or nothing will put it back */
			continue;
		}
		if (s->sched.pin && (unsigned)s->sched.pin != w->id + 1)
			continue;
		if (!cap_ok(vm, now))
			continue;
		if (!best || (best_yield && !s->sched.yield) ||
		    (best_yield == s->sched.yield && vm->sched.vtime < best->vm->sched.vtime)) {
			best = s;
			best_yield = s->sched.yield;
		}
	}
	if (!best)
		return NULL;
	/* A yield defers a vCPU once: those passed over now compete normally next time. */
	if (!best_yield)
		for (s = S.rq_head; s; s = s->sched.next)
			s->sched.yield = false;
	s = best;
	rq_remove(s);
	s->vm->sched.nqueued--;
	s->vm->sched.nrunning++;
	s->sched.state = SCHED_RUNNING;
	s->sched.yield = false;
	s->sched.st.steal_ns += now - s->sched.since;
	s->sched.st.schedules++;
	if (w->id < 64)
		s->sched.st.worker_mask |= 1ull << w->id;
	if (s->sched.deadline != UINT64_MAX) {
		uint64_t lat = now > s->sched.deadline ? now - s->sched.deadline : 0;

		s->sched.st.wake_lat_sum_ns += lat;
		if (lat > s->sched.st.wake_lat_max_ns)
			s->sched.st.wake_lat_max_ns = lat;
		s->sched.deadline = UINT64_MAX;
	}
	s->sched.since = now;
	return s;
}

/* RUNNING -> RUNNABLE or IDLE, charging cpu_ns of run time. */
static void put(struct vcpu_slot *s, uint64_t cpu_ns, uint64_t now)
{
	struct vm *vm = s->vm;

	s->sched.st.run_ns += cpu_ns;
	vm->sched.vtime += cpu_ns * SCHED_DEFAULT_WEIGHT / vm_weight(vm);
	if (vm->sched.cap) {
		cap_refill(vm, now);
		vm->sched.cap_budget -= (int64_t)cpu_ns;
	}
	vm->sched.nrunning--;
	s->sched.state = SCHED_IDLE;
	s->sched.since = now;
	if (s->sched.yield)
		s->sched.st.yields++;
	if (runnable(s, now)) {
		s->sched.wfi = false;
		s->sched.deadline = UINT64_MAX;
		s->sched.state = SCHED_RUNNABLE;
		vm->sched.nqueued++;
		rq_append(s);
		notify(s, now, false);
	} else {
		s->sched.yield = false;
		s->sched.deadline = UINT64_MAX;
		if (s->sched.wfi && !vm_ended(vm) && !atomic_load(&vm->pause_req)) {
			s->sched.deadline = vcpu_timer_deadline_ns(&s->vcpu);
			if (s->sched.deadline != UINT64_MAX) {
				park_add(s);
				if (s->sched.deadline < S.timer_next)
					pthread_cond_signal(&S.timer_cond);
			}
		}
	}
	if (!vm->sched.nrunning && (vm_ended(vm) || atomic_load(&vm->pause_req)))
		pthread_cond_broadcast(&S.changed);
}

/* ---- threads ----------------------------------------------------------------------------- */

/*
 * Run s for up to limit_ns of wall time. Each step's instruction budget is
 * what the vCPU's recent speed fits in the time left (at most a quantum), so
 * slices end on time even where a quantum takes longer (a slow host, TSan).
 * Returns like vm_vcpu_step().
 */
static int run_slice(struct worker *w, struct vcpu_slot *s, uint64_t limit_ns)
{
	struct vm *vm = s->vm;
	uint64_t t0 = host_time_ns(), t = t0, ts, budget, i0;
	bool stopped;
	int rc = 1;

	for (;;) {
		if (vm_ended(vm) || atomic_load(&vm->pause_req)) {
			rc = 0;
			break;
		}
		pthread_mutex_lock(&s->lock);
		if (s->state == HART_START_PENDING) {
			vm_hart_reset(s, s->start_pc, s->start_arg);
			s->state = HART_STARTED;
		}
		stopped = s->state == HART_STOPPED;
		pthread_mutex_unlock(&s->lock);
		if (stopped) {
			rc = 0;
			break;
		}
		/* Speed not known yet (its first run): a short step measures it. */
		budget = s->sched.ipus ? s->sched.ipus * ((limit_ns - (t - t0)) / 1000) : 65536;
		budget = budget < 4096 ? 4096 : budget > VM_QUANTUM ? VM_QUANTUM : budget;
		i0 = s->vcpu.stats.instret;
		ts = t;
		rc = vm_vcpu_step(s, budget);
		vm_vcpu_publish_stats(s);
		t = host_time_ns();
		if (s->vcpu.stats.instret - i0 >= 4096 && t - ts >= 10000)
			s->sched.ipus = (s->vcpu.stats.instret - i0) * 1000 / (t - ts);
		if (rc <= 0 || t - t0 >= limit_ns || atomic_load(&w->preempt))
			break;
	}
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&S.lock);
	while (!S.stop) {
		uint64_t now = host_time_ns(), limit, c0;
		struct vcpu_slot *s = pick(w, now);
		int rc;

		if (!s) {
			w->idle = true;
			while (w->idle && !S.stop)
				pthread_cond_wait(&w->cond, &S.lock);
			w->idle = false;
			continue;
		}
		limit = S.slice_ns;
		if (s->vm->sched.cap && (uint64_t)s->vm->sched.cap_budget < limit)
			limit = (uint64_t)s->vm->sched.cap_budget > MIN_SLICE_NS
			            ? (uint64_t)s->vm->sched.cap_budget
			            : MIN_SLICE_NS;
		w->cur = s;
		atomic_store(&w->preempt, false);
		pthread_mutex_unlock(&S.lock);
		c0 = thread_cpu_ns();
		rc = run_slice(w, s, limit);
		c0 = thread_cpu_ns() - c0;
		if (rc < 0)
			vm_request_end(s->vm, VM_END_VMM_ERROR, 0);
		pthread_mutex_lock(&S.lock);
		w->cur = NULL;
		put(s, c0, host_time_ns());
	}
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

/* Wakes parked vCPUs at their timer deadlines and capped VMs when their budget refills. */
static void *timer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&S.lock);
	while (!S.stop) {
		uint64_t now = host_time_ns(), next = UINT64_MAX;
		struct vcpu_slot *s, *n;

		for (s = S.park_head; s; s = n) {
			n = s->sched.next;
			if (s->sched.deadline > now) {
				if (s->sched.deadline < next)
					next = s->sched.deadline;
			} else if (runnable(s, now)) {
				make_runnable(s, now);
			} else {
				park_remove(s); /* paused or ended: vm_resume() re-checks it */
			}
		}
		for (s = S.rq_head; s; s = s->sched.next) {
			if (cap_ok(s->vm, now)) {
				notify(s, now, false);
			} else if (cap_until(s->vm) < next) {
				next = cap_until(s->vm);
			}
		}
		S.timer_next = next;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&S.timer_cond, &S.lock);
		} else {
			struct timespec ts = abs_ts(next);

			pthread_cond_timedwait(&S.timer_cond, &S.lock, &ts);
		}
	}
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

/* ---- public ------------------------------------------------------------------------------ */

static int start_locked(unsigned n)
{
	pthread_condattr_t ca;
	unsigned i;
	long cores;

	if (S.up)
		return -EALREADY;
	if (!n) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores > 0 ? (unsigned)cores : 1;
		if (n > SCHED_MAX_WORKERS)
			n = SCHED_MAX_WORKERS;
	}
	if (n > SCHED_MAX_WORKERS)
		return -EINVAL;
	S.w = calloc(n, sizeof(*S.w));
	if (!S.w)
		return -ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&S.changed, NULL);
	S.stop = false;
	S.nworkers = n;
	S.timer_next = UINT64_MAX;
	for (i = 0; i < n; i++) {
		S.w[i].id = i;
		pthread_cond_init(&S.w[i].cond, NULL);
	}
	S.up = true;
	if (pthread_create(&S.timer, NULL, timer_main, NULL) != 0)
		abort(); /* no thread for the timer at start-up: nothing sensible to do */
	for (i = 0; i < n; i++)
		if (pthread_create(&S.w[i].thread, NULL, worker_main, &S.w[i]) != 0)
			abort();
	return 0;
}

int sched_init(unsigned nworkers)
{
	int rc;

	pthread_mutex_lock(&S.lock);
	rc = start_locked(nworkers);
	pthread_mutex_unlock(&S.lock);
	return rc;
}

static void ensure_up(void)
{
	pthread_mutex_lock(&S.lock);
	if (!S.up)
		start_locked(0);
	pthread_mutex_unlock(&S.lock);
}

void sched_fini(void)
{
	unsigned i;

	pthread_mutex_lock(&S.lock);
	if (!S.up || S.nattached) {
		pthread_mutex_unlock(&S.lock);
		return;
	}
	S.stop = true;
	for (i = 0; i < S.nworkers; i++)
		pthread_cond_signal(&S.w[i].cond);
	pthread_cond_signal(&S.timer_cond);
	pthread_mutex_unlock(&S.lock);
	pthread_join(S.timer, NULL);
	for (i = 0; i < S.nworkers; i++) {
		pthread_join(S.w[i].thread, NULL);
		pthread_cond_destroy(&S.w[i].cond);
	}
	pthread_mutex_lock(&S.lock);
	free(S.w);
	S.w = NULL;
	S.nworkers = 0;
	S.up = false;
	S.min_vtime = 0;
	pthread_cond_destroy(&S.timer_cond);
	pthread_cond_destroy(&S.changed);
	pthread_mutex_unlock(&S.lock);
}

unsigned sched_nworkers(void)
{
	unsigned n;

	pthread_mutex_lock(&S.lock);
	n = S.nworkers;
	pthread_mutex_unlock(&S.lock);
	return n;
}

void sched_set_slice_ns(uint64_t ns)
{
	pthread_mutex_lock(&S.lock);
	S.slice_ns = ns < MIN_SLICE_NS ? MIN_SLICE_NS : ns;
	pthread_mutex_unlock(&S.lock);
}

int sched_vm_set_weight(struct vm *vm, unsigned weight)
{
	if (weight < 1 || weight > SCHED_MAX_WEIGHT)
		return -EINVAL;
	pthread_mutex_lock(&S.lock);
	vm->sched.weight = weight;
	pthread_mutex_unlock(&S.lock);
	return 0;
}

int sched_vm_set_cap(struct vm *vm, unsigned pct)
{
	if (pct > 100 * vm->ncpus)
		return -EINVAL;
	pthread_mutex_lock(&S.lock);
	vm->sched.cap = pct;
	vm->sched.cap_budget = 0;
	vm->sched.cap_last = host_time_ns();
	/* A raised cap may let queued vCPUs run now. */
	pthread_cond_signal(&S.timer_cond);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

int sched_vm_set_pause_exit(struct vm *vm, bool on)
{
	pthread_mutex_lock(&S.lock);
	vm->sched.no_ple = !on;
	pthread_mutex_unlock(&S.lock);
	return 0;
}

int sched_vcpu_pin(struct vm *vm, unsigned hart, int worker)
{
	struct vcpu_slot *s;

	if (hart >= vm->ncpus)
		return -EINVAL;
	ensure_up();
	pthread_mutex_lock(&S.lock);
	if (worker < -1 || worker >= (int)S.nworkers) {
		pthread_mutex_unlock(&S.lock);
		return -EINVAL;
	}
	s = &vm->cpus[hart];
	s->sched.pin = worker + 1;
	if (s->sched.state == SCHED_RUNNABLE)
		notify(s, host_time_ns(), false);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

static void add_stats(struct sched_stats *o, const struct vcpu_slot *s, uint64_t now)
{
	const struct sched_stats *st = &s->sched.st;

	o->run_ns += st->run_ns;
	o->steal_ns += st->steal_ns;
	o->wait_ns += st->wait_ns;
	o->schedules += st->schedules;
	o->wakeups += st->wakeups;
	o->yields += st->yields;
	o->preempted += st->preempted;
	o->timer_wakeups += st->timer_wakeups;
	o->wake_lat_sum_ns += st->wake_lat_sum_ns;
	if (st->wake_lat_max_ns > o->wake_lat_max_ns)
		o->wake_lat_max_ns = st->wake_lat_max_ns;
	o->worker_mask |= st->worker_mask;
	if (!s->vm->sched.attached)
		return;
	switch (s->sched.state) {
	case SCHED_RUNNING: o->running++; break;
	case SCHED_RUNNABLE:
		o->runnable++;
		o->steal_ns += now - s->sched.since;
		break;
	default:
		o->parked++;
		o->wait_ns += now - s->sched.since;
		break;
	}
}

int sched_vcpu_stats(struct vm *vm, unsigned hart, struct sched_stats *out)
{
	if (hart >= vm->ncpus)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&S.lock);
	add_stats(out, &vm->cpus[hart], host_time_ns());
	pthread_mutex_unlock(&S.lock);
	return 0;
}

int sched_vm_stats(struct vm *vm, struct sched_stats *out)
{
	uint64_t now;
	unsigned i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&S.lock);
	now = host_time_ns();
	for (i = 0; i < vm->ncpus; i++)
		add_stats(out, &vm->cpus[i], now);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

int sched_attach(struct vm *vm)
{
	uint64_t now;
	unsigned i;

	ensure_up();
	pthread_mutex_lock(&S.lock);
	if (!S.up) {
		pthread_mutex_unlock(&S.lock);
		return -ENOMEM;
	}
	now = host_time_ns();
	vm->sched.attached = true;
	vm->sched.vtime = busy_min_vtime();
	vm->sched.cap_last = now;
	vm->sched.cap_budget = 0;
	S.nattached++;
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu_slot *s = &vm->cpus[i];

		s->sched.state = SCHED_IDLE;
		s->sched.since = now;
		s->sched.deadline = UINT64_MAX;
		if (runnable(s, now))
			make_runnable(s, now);
	}
	pthread_mutex_unlock(&S.lock);
	return 0;
}

void sched_wake(struct vcpu_slot *s)
{
	uint64_t now;

	pthread_mutex_lock(&S.lock);
	if (s->vm->sched.attached && s->sched.state == SCHED_IDLE) {
		now = host_time_ns();
		if (runnable(s, now))
			make_runnable(s, now);
	}
	if (vm_ended(s->vm))
		pthread_cond_broadcast(&S.changed); /* vm_wait() */
	pthread_mutex_unlock(&S.lock);
}

void sched_pause_wait(struct vm *vm)
{
	uint64_t now;
	unsigned i;

	pthread_mutex_lock(&S.lock);
	now = host_time_ns();
	for (i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].sched.state == SCHED_RUNNABLE)
			dequeue(&vm->cpus[i], now);
	while (vm->sched.nrunning && !vm_ended(vm))
		pthread_cond_wait(&S.changed, &S.lock);
	pthread_mutex_unlock(&S.lock);
}

void sched_resume(struct vm *vm)
{
	uint64_t now;
	unsigned i;

	pthread_mutex_lock(&S.lock);
	atomic_store(&vm->pause_req, false);
	now = host_time_ns();
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu_slot *s = &vm->cpus[i];

		if (s->sched.state == SCHED_IDLE && runnable(s, now))
			make_runnable(s, now);
		else if (s->sched.state == SCHED_IDLE && s->sched.wfi && !s->sched.on_park_list) {
			/* Parked in wfi when the pause took it off the timer list. */
			s->sched.deadline = vcpu_timer_deadline_ns(&s->vcpu);
			if (s->sched.deadline != UINT64_MAX) {
				park_add(s);
				pthread_cond_signal(&S.timer_cond);
			}
		}
	}
	pthread_mutex_unlock(&S.lock);
}

void sched_wait_end(struct vm *vm)
{
	uint64_t now;
	unsigned i;

	pthread_mutex_lock(&S.lock);
	if (!vm->sched.attached) {
		pthread_mutex_unlock(&S.lock);
		return;
	}
	while (!vm_ended(vm) || vm->sched.nrunning)
		pthread_cond_wait(&S.changed, &S.lock);
	now = host_time_ns();
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu_slot *s = &vm->cpus[i];

		if (s->sched.state == SCHED_RUNNABLE)
			dequeue(s, now);
		park_remove(s);
		s->sched.st.wait_ns += now - s->sched.since; /* close the last interval */
		s->sched.since = now;
	}
	vm->sched.attached = false;
	S.nattached--;
	pthread_mutex_unlock(&S.lock);
}
