/* SPDX-License-Identifier: MIT */
/*
 * `rvisor host`: one process hosting many VMs, each with its own console
 * socket, state and exit status, driven by the management API (vmm/api.c).
 * One VM ending (poweroff, panic, crashed vCPU, memory limit) ends only it.
 */
#ifndef RVISOR_VMM_HOST_H
#define RVISOR_VMM_HOST_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

#define HVM_ID_MAX      48
#define HOST_MAX_VMS    256
#define CONSOLE_RING    (64 * 1024) /* replayed to a console client when it attaches */
#define CONSOLE_CLIENTS 8

enum hvm_state { HVM_NOT_STARTED, HVM_RUNNING, HVM_PAUSED, HVM_ENDED };

struct hvm_drive {
	char id[HVM_ID_MAX];
	char *path;
	bool read_only;
};

struct hvm_net {
	char id[HVM_ID_MAX];
	struct net_config cfg;
	char *name;
};

/* A VM's configuration in the API's schema (owned strings). */
struct hvm_config {
	unsigned vcpu_count;
	uint64_t mem_size_mib;
	uint64_t mem_limit_mib; /* 0: no limit */
	unsigned weight;        /* scheduler share (stored for the scheduler; see docs/api.md) */
	unsigned cap_percent;   /* 0: uncapped */
	char *kernel, *initrd, *boot_args;
	struct hvm_drive drives[VM_MAX_VIRTIO];
	unsigned ndrives;
	struct hvm_net nets[VM_MAX_VIRTIO];
	unsigned nnets;
	bool rng;
};

struct hvm_console {
	int in_pipe[2];  /* host -> guest input ([1] written by the console server) */
	int out_pipe[2]; /* guest output -> host ([0] read by the console server) */
	int listen_fd;
	int stop_pipe[2];
	int clients[CONSOLE_CLIENTS];
	/* Output not yet taken by each client (coalesced; the oldest is dropped past 2 rings). */
	uint8_t *pending[CONSOLE_CLIENTS];
	size_t npending[CONSOLE_CLIENTS];
	char path[108];
	uint8_t ring[CONSOLE_RING];
	uint64_t ring_total; /* bytes ever written; ring holds the last CONSOLE_RING */
	pthread_mutex_t ring_lock;
	pthread_t thread;
	bool thread_running;
};

struct hvm {
	char id[HVM_ID_MAX];
	struct hvm_config cfg;
	enum hvm_state state; /* host lock */
	struct vm *vm;
	struct hvm_console con;
	pthread_t waiter;
	bool waiter_running;
	bool threads_gone;     /* vCPU threads may have exited: no more thread clocks (host lock) */
	uint64_t cpu_ns_final; /* CPU time when the VM ended */
	int exit_status;       /* valid in HVM_ENDED */
	char end_reason[64];
	_Atomic uint64_t rss_bytes;
	uint64_t created_ns, started_ns, ended_ns;
};

struct host {
	pthread_mutex_t lock; /* the VM list and each VM's state */
	struct hvm *vms[HOST_MAX_VMS];
	unsigned nvms;
	unsigned next_id;
	char sock_base[96]; /* console sockets are <sock_base>.<id>.console */
	pthread_t monitor;
	_Atomic bool stopping;
};

/* Per-VM counters (stats, /metrics, top). */
struct hvm_stats {
	uint64_t instret, exits[EXIT_NR], traps_to_vs, irqs_to_vs;
	uint64_t tlb_hits, tlb_misses, tlb_walks, walk_refs, tlb_flushes;
	uint64_t cpu_ns, rss_bytes, ram_bytes;
	uint64_t console_tx, console_rx;
	uint64_t blk_reads, blk_writes, blk_bytes_read, blk_bytes_written;
	uint64_t net_rx_frames, net_rx_bytes, net_tx_frames, net_tx_bytes, net_drops;
	uint64_t steal_ns, wait_ns; /* scheduler: runnable but not running; parked */
	unsigned vcpus_running, vcpus_runnable, vcpus_parked;
};

int host_init(struct host *h, const char *api_sock);
void host_shutdown(struct host *h);

const char *hvm_state_name(enum hvm_state s);
void hvm_config_free(struct hvm_config *c);

/*
 * Parse a VM description (the API schema, see docs/api.md) into c, merging
 * over what c holds. On error returns -1 with the reason in err.
 * `what` selects the part: NULL for a full description, or "machine-config",
 * "boot-source", "drives", "network-interfaces".
 */
int hvm_config_parse(struct hvm_config *c, const char *what, json_t *j, char *id_out, char *err,
                     size_t errlen);

/* Host operations; all take the host lock themselves. Return an HTTP status. */
int host_create(struct host *h, const char *id, struct hvm_config *cfg, char *err, size_t errlen,
                char *id_out);
int host_start(struct host *h, const char *id, char *err, size_t errlen);
int host_pause(struct host *h, const char *id, char *err, size_t errlen);
int host_resume(struct host *h, const char *id, char *err, size_t errlen);
int host_stop(struct host *h, const char *id, char *err, size_t errlen);
int host_delete(struct host *h, const char *id, char *err, size_t errlen);
/* Apply a sub-resource to a not-started VM. */
int host_configure(struct host *h, const char *id, const char *what, json_t *body, char *err,
                   size_t errlen);

/* JSON views (host lock taken inside). NULL with *status set when the VM is unknown. */
json_t *host_vm_json(struct host *h, const char *id, int *status);
json_t *host_list_json(struct host *h);
json_t *host_stats_json(struct host *h, const char *id, int *status);
json_t *host_console_json(struct host *h, const char *id, int *status);
/* Prometheus text exposition of every VM; malloc'd. */
char *host_metrics(struct host *h);

/* `rvisor host` */
int cmd_host(int argc, char **argv);
/* `rvisor vm` and `rvisor top` (vmm/cli.c) */
int cmd_vm(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
