/* SPDX-License-Identifier: MIT */
/*
 * The vCPU scheduler: one pool of host worker threads per process runs the
 * vCPUs of every VM. Proportional share by per-VM weight (virtual time),
 * per-VM cap (CPU % of one core), pinning of a vCPU to a worker, parking
 * of vCPUs in wfi (a timer thread wakes them), yield on pause-loop exits,
 * and per-vCPU accounting. See docs/scheduler.md.
 *
 * vm_start() attaches a VM (and starts the pool with default settings if
 * sched_init() was not called); vm_wait() detaches it once it ended.
 */
#ifndef RVISOR_VMM_SCHED_H
#define RVISOR_VMM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_MAX_WORKERS      256
#define SCHED_DEFAULT_WEIGHT   256
#define SCHED_MAX_WEIGHT       65535
#define SCHED_DEFAULT_PLE      64 /* pauses in a tight loop before a pause-loop exit */
#define SCHED_DEFAULT_SLICE_NS 10000000ull

struct vm;

/* Accounting of one vCPU, or summed over a VM's vCPUs. Times in ns. */
struct sched_stats {
	uint64_t run_ns;    /* CPU time spent running it on workers (thread CPU clock) */
	uint64_t steal_ns;  /* runnable but waiting for a worker (includes cap throttling) */
	uint64_t wait_ns;   /* not runnable: parked in wfi, hart stopped, VM paused */
	uint64_t schedules; /* times a worker picked it */
	uint64_t wakeups;   /* parked -> runnable transitions */
	uint64_t yields;    /* pause-loop exits that yielded the worker */
	uint64_t preempted; /* slices cut short for a woken vCPU of a VM behind in virtual time */
	uint64_t timer_wakeups; /* wakeups by its timer deadline, and their latency: */
	uint64_t wake_lat_sum_ns, wake_lat_max_ns; /* deadline -> running on a worker */
	uint64_t worker_mask;                      /* bit w: it ran on worker w (w < 64) */
	unsigned running;                          /* vCPUs on a worker now (0/1 for a vCPU) */
	unsigned runnable;                         /* vCPUs waiting for a worker now */
	unsigned parked;                           /* vCPUs not runnable now */
};

/* Per-VM scheduler state, embedded in struct vm (zero from vm_create()). */
struct sched_vm {
	unsigned weight; /* 0: SCHED_DEFAULT_WEIGHT */
	unsigned cap;    /* max CPU % of one core for the whole VM (100 = one core); 0 = none */
	bool no_ple;     /* --no-pause-exit */
	bool attached;
	unsigned nrunning;  /* vCPUs on a worker now */
	unsigned nqueued;   /* vCPUs on the run queue now */
	uint64_t vtime;     /* weighted virtual run time */
	int64_t cap_budget; /* ns of CPU the cap still allows */
	uint64_t cap_last;  /* when the budget was last refilled */
	struct sched_vm *next_vm;
};

/* Per-vCPU scheduler state, embedded in struct vcpu_slot. */
struct sched_vcpu {
	struct vcpu_slot *prev, *next; /* run queue or park list */
	int state;                     /* SCHED_IDLE/RUNNABLE/RUNNING (sched.c) */
	int pin;                       /* worker index + 1; 0 = any worker */
	bool wfi;                      /* parked in wfi until an interrupt or its deadline */
	bool yield;                    /* pause-loop exit: let others go first */
	bool on_park_list;
	uint64_t since;    /* wall ns when the current state began */
	uint64_t deadline; /* wfi: timer deadline (host ns), UINT64_MAX none */
	uint64_t ipus;     /* its recent speed: instructions per us of wall time */
	struct sched_stats st;
};

/*
 * Start the worker pool: nworkers threads (0 = one per online host core).
 * Once per process, before the first vm_start() (else defaults apply).
 * 0, -EALREADY, -EINVAL or -errno.
 */
int sched_init(unsigned nworkers);
/* Stop the pool (no VM may be attached: vm_wait() them first). For tests. */
void sched_fini(void);
unsigned sched_nworkers(void);
/* Time slice a worker runs a vCPU before it re-picks (default 10 ms). */
void sched_set_slice_ns(uint64_t ns);

/* Per-VM policy; any time (before or after vm_start()). 0 or -EINVAL. */
int sched_vm_set_weight(struct vm *vm, unsigned weight); /* 1..65535, default 256 */
int sched_vm_set_cap(struct vm *vm, unsigned pct);       /* 0 = none, else 1..100*ncpus */
int sched_vm_set_pause_exit(struct vm *vm, bool on);     /* default on; before vm_start() */
/* Pin vCPU hart to worker (0..nworkers-1), or -1 for any. 0, -EINVAL. */
int sched_vcpu_pin(struct vm *vm, unsigned hart, int worker);

/* Accounting (any thread, consistent snapshot). 0 or -EINVAL. */
int sched_vcpu_stats(struct vm *vm, unsigned hart, struct sched_stats *out);
int sched_vm_stats(struct vm *vm, struct sched_stats *out);

/* Used by vm.c/run.c: attach/detach a VM, wake a vCPU, pause/wait helpers. */
int sched_attach(struct vm *vm);
void sched_wake(struct vcpu_slot *s);
void sched_pause_wait(struct vm *vm);
void sched_resume(struct vm *vm);
void sched_wait_end(struct vm *vm);

#endif
