/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: guest RAM, its G-stage table, an MMIO bus and vCPUs.
 * All state hangs off struct vm; one process may hold many.
 */
#ifndef RVISOR_VMM_VM_H
#define RVISOR_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/net.h"
#include "cpu/vcpu.h"
#include "vmm/bus.h"
#include "vmm/sched.h"
#include "vmm/types.h"

#define VM_RAM_BASE  0x80000000ull
#define VM_MAX_VCPUS 64

/* SBI HSM hart states (SBI spec 9.1). */
enum hart_state {
	HART_STARTED = 0,
	HART_STOPPED = 1,
	HART_START_PENDING = 2,
	HART_STOP_PENDING = 3,
};

/* How a VM ended; rvisor's exit status (see README). */
enum vm_end {
	VM_RUNNING = -1,
	VM_END_POWEROFF = 0,
	VM_END_FAILURE = 1, /* SRST shutdown with reason "system failure" */
	VM_END_VMM_ERROR = 2,
	VM_END_REBOOT = 3,
	VM_END_PANIC = 4,
	VM_END_FATAL = 5, /* the guest broke the vCPU (engine fatal exit) */
};

struct vm;
struct platform;

/* A device's own device-tree node, emitted under /soc (devices describe themselves). */
typedef int (*fdt_node_fn)(void *fdt, void *opaque);
#define VM_MAX_FDT_NODES 32

struct vcpu_slot {
	struct vcpu vcpu;
	struct vm *vm;
	pthread_mutex_t lock; /* protects state and the start request */
	enum hart_state state;
	uint64_t start_pc, start_arg; /* HSM hart_start request */
	_Atomic bool in_guest;        /* inside vcpu_run(): remote fences must wait for it */
	struct sched_vcpu sched;      /* the scheduler's (vmm/sched.c, under its lock) */
	/*
	 * A copy of the engine's counters for other threads (the API, top):
	 * the engine's own are plain fields its thread writes, so the worker
	 * publishes them here with atomic stores after each step.
	 */
	struct {
		struct vcpu_stats cpu;
		struct mmu_stats mmu;
	} pub;
};

/* A virtio-blk disk from the command line (--disk path[,ro][,overlay=FILE]). */
struct vm_disk_config {
	const char *path;
	bool read_only;
	const char *overlay; /* copy-on-write overlay over a read-only base at path */
};

/* virtio-mmio slots, in this order: disks, nets (each in command-line order), console, rng. */
#define VM_MAX_VIRTIO 8

struct vm_config {
	uint64_t ram_size;
	unsigned ncpus;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	bool trace_exits;
	struct vm_disk_config disks[VM_MAX_VIRTIO];
	unsigned ndisks;
	struct net_config nets[VM_MAX_VIRTIO]; /* --net */
	unsigned nnets;
	bool virtio_console; /* --console: a virtio-console (hvc0) on the terminal */
	bool rng;            /* virtio-rng */
};

struct vm {
	struct vm_config cfg;
	uint8_t *ram;  /* host mapping of guest RAM at VM_RAM_BASE */
	void *ram_map; /* the whole mmap (ram is its 2 MiB aligned part) */
	size_t ram_map_size;
	uint64_t ram_size;
	uint64_t *gstage_root; /* Sv39x4 root, 16 KiB */
	void *gstage_pool;     /* page-table pages, owned by the VM */
	size_t gstage_pool_size, gstage_pool_used;
	uint64_t hgatp;
	struct mmio_bus bus;
	unsigned ncpus;
	struct vcpu_slot *cpus;
	gpa_t entry, fdt_addr;
	gpa_t kernel_end;               /* first byte above the loaded kernel */
	gpa_t initrd_start, initrd_end; /* initrd_end == 0: none */
	void *fdt;
	struct {
		fdt_node_fn fn;
		void *opaque;
	} fdt_nodes[VM_MAX_FDT_NODES];
	unsigned nfdt_nodes;
	const char *stdout_path;
	struct console *console; /* SBI console calls write here */
	struct platform *platform;
	pthread_mutex_t lock;
	pthread_cond_t ended;
	_Atomic int end;        /* enum vm_end, VM_RUNNING while running */
	int end_detail;         /* SRST reason or vendor code */
	_Atomic bool pause_req; /* vm_pause(): vCPUs park outside guest code */
	bool started;
	struct sched_vm sched; /* weight, cap, accounting (vmm/sched.c, under its lock) */
};

/* How many virtio-mmio slots a configuration uses. */
static inline unsigned vm_config_nvirtio(const struct vm_config *cfg)
{
	return cfg->ndisks + cfg->nnets + cfg->virtio_console + cfg->rng;
}

int vm_create(struct vm *vm, const struct vm_config *cfg);
void vm_destroy(struct vm *vm);

/* Host pointer for [gpa, gpa+len) if it lies entirely in guest RAM, else NULL. */
void *vm_ram_ptr(struct vm *vm, gpa_t gpa, uint64_t len);

/*
 * Lifecycle. vm_start() starts the vCPUs (the boot hart at the entry point)
 * on the scheduler's worker pool (vmm/sched.h) and returns; vm_wait() blocks until the VM has ended
 * and its vCPUs have stopped, and returns its exit status (enum vm_end or a vendor code). vm_run()
 * is both. vm_pause() returns once no vCPU runs guest code; vm_resume() lets them go on. 0 or
 * -errno.
 */
int vm_start(struct vm *vm);

/* Publish a vCPU's counters (its worker, after a step); read them from any thread. */
void vm_vcpu_publish_stats(struct vcpu_slot *s);
void vm_vcpu_read_stats(const struct vcpu_slot *s, struct vcpu_stats *cpu, struct mmu_stats *mmu);
int vm_wait(struct vm *vm);
int vm_run(struct vm *vm);
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
/* The VM has ended (any thread). */
static inline bool vm_ended(const struct vm *vm)
{
	return atomic_load(&vm->end) != VM_RUNNING;
}

/* End the VM (any thread): first caller wins. */
void vm_request_end(struct vm *vm, enum vm_end how, int detail);

/* Raise/lower a VS interrupt on a vCPU and wake it if parked (any thread). */
void vm_vcpu_irq(struct vm *vm, unsigned hart, uint64_t mip_bits, bool level);
void vm_vcpu_wake(struct vcpu_slot *s);

/*
 * Run a vCPU for at most budget instructions (0: the default quantum) and
 * handle its exit (a scheduler worker). >0 go on, 0 put it down, <0 error.
 */
#define VM_QUANTUM (1u << 20)
int vm_vcpu_step(struct vcpu_slot *s, uint64_t budget);

int vm_add_fdt_node(struct vm *vm, fdt_node_fn fn, void *opaque);

/* Put a hart in the state the SBI HSM / boot protocol gives: VS mode at pc, a0 = hartid, a1. */
void vm_hart_reset(struct vcpu_slot *s, uint64_t pc, uint64_t a1);

/* Map [gpa, gpa+size) to host memory in the G-stage (2 MiB aligned regions). */
int gstage_map(struct vm *vm, gpa_t gpa, void *host, uint64_t size);

#endif
