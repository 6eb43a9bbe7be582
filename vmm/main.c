// SPDX-License-Identifier: MIT
/* rvisor's command line: `rvisor run --kernel FILE ...`. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fdt.h"
#include "vmm/host.h"
#include "vmm/loader.h"
#include "vmm/platform.h"
#include "vmm/sched.h"
#include "vmm/vm.h"

#define MIN_RAM (4ull << 20)

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: rvisor run --kernel FILE [options]\n"
	    "       rvisor host|vm|top --api-sock PATH ...  (many VMs: docs/api.md)\n"
	    "\n"
	    "  -k, --kernel FILE   guest to boot: a RISC-V ELF (loaded at its physical\n"
	    "                      addresses) or a Linux Image\n"
	    "  -i, --initrd FILE   initial ramdisk (Linux)\n"
	    "  -m, --mem SIZE      guest RAM, e.g. 256M or 1G (default 128M)\n"
	    "  -c, --cpus N        number of vCPUs, 1-%d (default 1)\n"
	    "  -a, --append STR    kernel command line (device tree /chosen/bootargs)\n"
	    "  -d, --disk IMG[,ro] a raw disk image as a virtio-blk device (repeatable:\n"
	    "                      /dev/vda, /dev/vdb, ... in order); ro: read-only\n"
	    "      --disk IMG,overlay=FILE  IMG is a read-only base shared by many VMs;\n"
	    "                      writes go to the copy-on-write FILE (created if missing)\n"
	    "  -n, --net SPEC      a virtio-net device (repeatable), SPEC one of:\n"
	    "                        user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...  (libslirp)\n"
	    "                        switch=NAME   the host's virtual switch NAME\n"
	    "                        tap=IFNAME    a host tap interface\n"
	    "                      each with an optional ,mac=52:54:xx:xx:xx:xx\n"
	    "      --rng           a virtio-rng device (entropy from the host)\n"
	    "      --console       a virtio-console (a guest hvc port) on this terminal;\n"
	    "                      terminal input goes to it instead of the UART (boot\n"
	    "                      Linux with console=hvcN, hvc1 if hvc0 is the SBI console)\n"
	    "      --trace-exits   log every exit but SBI calls and quanta to stderr\n"
	    "      --stats         print per-vCPU exit, scheduler and device counters when the\n"
	    "                      VM ends\n"
	    "      --workers N     host worker threads running vCPUs (default: one per core)\n"
	    "      --weight N      the VM's proportional CPU share, 1-65535 (default 256)\n"
	    "      --cap PCT       at most PCT%% of one host core for the whole VM (0: none)\n"
	    "      --pin W0,W1,..  run vCPU i only on worker Wi (-1: any worker)\n"
	    "      --no-pause-exit do not yield the worker on guest pause-loop spinning\n"
	    "\n"
	    "exit status: 0 guest powered off; 1 guest reported failure; 2 rvisor error;\n"
	    "3 guest rebooted; 4 guest kernel panicked; 5 guest crashed the vCPU;\n"
	    "64+n SBI SRST shutdown with vendor reason 0xF0000000+n\n",
	    VM_MAX_VCPUS);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K': v <<= 10, end++; break;
	case 'm':
	case 'M': v <<= 20, end++; break;
	case 'g':
	case 'G': v <<= 30, end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int too_many_virtio(void)
{
	fprintf(stderr,
	        "rvisor: too many virtio devices (at most %d disks, nets, console and rng)\n",
	        VM_MAX_VIRTIO);
	return VM_END_VMM_ERROR;
}

/* --disk PATH[,ro][,overlay=FILE]: the options follow the first comma. 0, or nonzero once it said
 * why. */
static int parse_disk(char *arg, struct vm_config *cfg)
{
	struct vm_disk_config *d = &cfg->disks[cfg->ndisks];
	char *opt, *next;

	if (vm_config_nvirtio(cfg) >= VM_MAX_VIRTIO)
		return too_many_virtio();
	*d = (struct vm_disk_config){ .path = arg };
	next = strchr(arg, ',');
	if (next)
		*next++ = '\0';
	if (!*arg) {
		fprintf(stderr, "rvisor: --disk: no image path\n");
		return -1;
	}
	while ((opt = next)) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strcmp(opt, "ro")) {
			d->read_only = true;
		} else if (!strncmp(opt, "overlay=", 8)) {
			d->overlay = opt + 8;
			if (!*d->overlay) {
				fprintf(stderr, "rvisor: --disk: overlay= needs a file name\n");
				return -1;
			}
		} else {
			fprintf(stderr,
			        "rvisor: --disk: unknown option '%s' (known: ro, overlay=FILE)\n",
			        opt);
			return -1;
		}
	}
	if (d->overlay && d->read_only) {
		fprintf(stderr, "rvisor: --disk: ro and overlay= exclude each other (the base is "
		                "never written; the overlay takes the writes)\n");
		return -1;
	}
	cfg->ndisks++;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned v[ETH_ALEN], i;
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &end) != ETH_ALEN ||
	    s[end] || end != 17)
		return -1;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_port(const char *s, const char *end, uint16_t *port)
{
	char buf[8], *e;
	unsigned long v;

	if (end - s < 1 || end - s > 5)
		return -1;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	v = strtoul(buf, &e, 10);
	if (*e || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* hostfwd=tcp::HOSTPORT-:GUESTPORT (or udp; an IPv4 host address may precede the ':'). */
static int parse_hostfwd(const char *s, struct net_config *nc)
{
	struct net_hostfwd *f = &nc->hostfwd[nc->nhostfwd];
	const char *colon, *dash;
	char addr[16];

	if (nc->nhostfwd >= NET_MAX_HOSTFWD) {
		fprintf(stderr, "rvisor: --net: at most %d hostfwd options\n", NET_MAX_HOSTFWD);
		return -1;
	}
	*f = (struct net_hostfwd){ 0 };
	if (!strncmp(s, "tcp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "udp:", 4)) {
		f->udp = true;
		s += 4;
	} else {
		goto bad;
	}
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(addr))
		goto bad;
	if (colon > s) {
		unsigned a, b, c, d;
		int end = 0;

		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		if (sscanf(addr, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &end) != 4 || addr[end] ||
		    a > 255 || b > 255 || c > 255 || d > 255)
			goto bad;
		f->host_addr = a << 24 | b << 16 | c << 8 | d;
	}
	s = colon + 1;
	dash = strchr(s, '-');
	if (!dash || parse_port(s, dash, &f->host_port) || dash[1] != ':' ||
	    parse_port(dash + 2, dash + 2 + strlen(dash + 2), &f->guest_port))
		goto bad;
	nc->nhostfwd++;
	return 0;
bad:
	fprintf(stderr,
	        "rvisor: --net: bad hostfwd '%s' (want tcp::HOSTPORT-:GUESTPORT, ports 1-65535)\n",
	        s);
	return -1;
}

/* --net user[,hostfwd=...]|switch=NAME|tap=IF, then [,mac=...]. */
static int parse_net(char *arg, struct vm_config *cfg)
{
	struct net_config *nc = &cfg->nets[cfg->nnets];
	char *opt, *next;

	if (vm_config_nvirtio(cfg) >= VM_MAX_VIRTIO)
		return too_many_virtio();
	*nc = (struct net_config){ 0 };
	next = strchr(arg, ',');
	if (next)
		*next++ = '\0';
	if (!strcmp(arg, "user")) {
		nc->kind = NET_USER;
	} else if (!strncmp(arg, "switch=", 7) && arg[7]) {
		nc->kind = NET_SWITCH;
		nc->name = arg + 7;
	} else if (!strncmp(arg, "tap=", 4) && arg[4]) {
		nc->kind = NET_TAP;
		nc->name = arg + 4;
	} else {
		fprintf(
		    stderr,
		    "rvisor: --net: unknown network '%s' (known: user, switch=NAME, tap=IFNAME)\n",
		    arg);
		return -1;
	}
	while ((opt = next)) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, nc->mac) || (nc->mac[0] & 1)) {
				fprintf(stderr,
				        "rvisor: --net: bad MAC address '%s' (want a unicast "
				        "address like 52:54:00:12:34:56)\n",
				        opt + 4);
				return -1;
			}
			nc->mac_set = true;
		} else if (!strncmp(opt, "hostfwd=", 8) && nc->kind == NET_USER) {
			if (parse_hostfwd(opt + 8, nc))
				return -1;
		} else {
			fprintf(stderr, "rvisor: --net: unknown option '%s' (known: mac=%s)\n", opt,
			        nc->kind == NET_USER ? ", hostfwd=" : "");
			return -1;
		}
	}
	cfg->nnets++;
	return 0;
}

/* Scheduler options (vmm/sched.h); long-only, so their codes sit above any letter. */
enum { OPT_WORKERS = 0x300, OPT_WEIGHT, OPT_CAP, OPT_PIN, OPT_NO_PLE };

struct sched_opts {
	unsigned workers, weight, cap;
	bool no_ple;
	const char *pin;
};

static int parse_uint(const char *opt, const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < (long)lo || n > (long)hi) {
		fprintf(stderr, "rvisor: --%s: '%s' is not a number from %u to %u\n", opt, arg, lo,
		        hi);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int parse_sched_opt(int c, const char *arg, struct sched_opts *so)
{
	switch (c) {
	case OPT_WORKERS: return parse_uint("workers", arg, 1, SCHED_MAX_WORKERS, &so->workers);
	case OPT_WEIGHT: return parse_uint("weight", arg, 1, SCHED_MAX_WEIGHT, &so->weight);
	case OPT_CAP: return parse_uint("cap", arg, 0, 100 * VM_MAX_VCPUS, &so->cap);
	case OPT_PIN: so->pin = arg; return 0;
	default: so->no_ple = true; return 0;
	}
}

/* Start the worker pool and set the VM's policy. 0, or -1 once it said why. */
static int apply_sched_opts(struct vm *vm, const struct sched_opts *so)
{
	const char *p = so->pin;
	unsigned hart = 0;
	int rc;

	rc = sched_init(so->workers);
	if (rc < 0) {
		fprintf(stderr, "rvisor: cannot start the scheduler: %s\n", strerror(-rc));
		return -1;
	}
	if (so->weight)
		sched_vm_set_weight(vm, so->weight);
	if (sched_vm_set_cap(vm, so->cap) < 0) {
		fprintf(stderr, "rvisor: --cap %u: more than %u%% (%u vCPUs)\n", so->cap,
		        100 * vm->ncpus, vm->ncpus);
		return -1;
	}
	sched_vm_set_pause_exit(vm, !so->no_ple);
	while (p && *p) {
		char *end;
		long w;

		errno = 0;
		w = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || hart >= vm->ncpus ||
		    sched_vcpu_pin(vm, hart, (int)(w < -1 || w > INT32_MAX ? -2 : w)) < 0) {
			fprintf(stderr,
			        "rvisor: --pin '%s': want a comma-separated worker (0-%u, or -1) "
			        "for each of up to %u vCPUs\n",
			        so->pin, sched_nworkers() - 1, vm->ncpus);
			return -1;
		}
		hart++;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static void print_sched_stats(struct vm *vm)
{
	struct sched_stats st;
	unsigned i;

	for (i = 0; i < vm->ncpus; i++) {
		sched_vcpu_stats(vm, i, &st);
		fprintf(stderr,
		        "hart %u: sched run_ms %.1f steal_ms %.1f wait_ms %.1f schedules %" PRIu64
		        " wakeups %" PRIu64 " yields %" PRIu64 " preempted %" PRIu64
		        " timer_wakeups %" PRIu64
		        " wake_lat_avg_us %.1f wake_lat_max_us %.1f workers %#" PRIx64 "\n",
		        i, st.run_ns / 1e6, st.steal_ns / 1e6, st.wait_ns / 1e6, st.schedules,
		        st.wakeups, st.yields, st.preempted, st.timer_wakeups,
		        st.timer_wakeups ? st.wake_lat_sum_ns / 1e3 / (double)st.timer_wakeups
		                         : 0.0,
		        st.wake_lat_max_ns / 1e3, st.worker_mask);
	}
}

static void print_stats(const struct vm *vm)
{
	unsigned i, r;

	for (i = 0; i < vm->ncpus; i++) {
		const struct vcpu *v = &vm->cpus[i].vcpu;
		const struct mmu_stats *m = &v->mmu.stats;

		fprintf(stderr,
		        "hart %u: instret %" PRIu64 " traps_to_vs %" PRIu64 " irqs_to_vs %" PRIu64
		        "\n  exits:",
		        i, v->stats.instret, v->stats.traps_to_vs, v->stats.interrupts_to_vs);
		for (r = 1; r < EXIT_NR; r++)
			fprintf(stderr, " %s=%" PRIu64, exit_reason_name(r), v->stats.exits[r]);
		fprintf(stderr,
		        "\n  tlb: hits=%" PRIu64 " misses=%" PRIu64 " walks=%" PRIu64
		        " walk_refs=%" PRIu64 " flushes=%" PRIu64 "\n",
		        m->hits, m->misses, m->walks, m->walk_refs, m->flushes);
	}
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "append", required_argument, NULL, 'a' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, 'n' },
		{ "rng", no_argument, NULL, 'R' },
		{ "console", no_argument, NULL, 'C' },
		{ "trace-exits", no_argument, NULL, 'T' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "weight", required_argument, NULL, OPT_WEIGHT },
		{ "cap", required_argument, NULL, OPT_CAP },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "no-pause-exit", no_argument, NULL, OPT_NO_PLE },
		{ NULL, 0, NULL, 0 },
	};
	struct sched_opts so = { .cap = 0 };
	struct vm_config cfg = { .ram_size = 128ull << 20, .ncpus = 1 };
	bool stats = false;
	char err[512];
	struct vm *vm;
	char *end;
	int c, rc;
	long n;

	while ((c = getopt_long(argc, argv, "k:i:m:c:a:d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'm':
			if (parse_size(optarg, &cfg.ram_size) < 0) {
				fprintf(stderr, "rvisor: --mem: '%s' is not a size (e.g. 256M)\n",
				        optarg);
				return VM_END_VMM_ERROR;
			}
			break;
		case 'c':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > VM_MAX_VCPUS) {
				fprintf(stderr,
				        "rvisor: --cpus: '%s' is not a number from 1 to %d\n",
				        optarg, VM_MAX_VCPUS);
				return VM_END_VMM_ERROR;
			}
			cfg.ncpus = (unsigned)n;
			break;
		case 'a': cfg.cmdline = optarg; break;
		case 'd':
			if (parse_disk(optarg, &cfg))
				return VM_END_VMM_ERROR;
			break;
		case 'n':
			if (parse_net(optarg, &cfg))
				return VM_END_VMM_ERROR;
			break;
		case 'R':
			if (!cfg.rng && vm_config_nvirtio(&cfg) >= VM_MAX_VIRTIO)
				return too_many_virtio();
			cfg.rng = true;
			break;
		case 'C':
			if (cfg.virtio_console) {
				fprintf(
				    stderr,
				    "rvisor: --console given twice (one virtio-console per VM)\n");
				return VM_END_VMM_ERROR;
			}
			if (vm_config_nvirtio(&cfg) >= VM_MAX_VIRTIO)
				return too_many_virtio();
			cfg.virtio_console = true;
			break;
		case 'T': cfg.trace_exits = true; break;
		case 'S': stats = true; break;
		case 'h': usage(stdout); return 0;
		case OPT_WORKERS:
		case OPT_WEIGHT:
		case OPT_CAP:
		case OPT_PIN:
		case OPT_NO_PLE:
			if (parse_sched_opt(c, optarg, &so))
				return VM_END_VMM_ERROR;
			break;
		default: usage(stderr); return VM_END_VMM_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rvisor: unexpected argument '%s'\n", argv[optind]);
		return VM_END_VMM_ERROR;
	}
	if (!cfg.kernel) {
		fprintf(stderr, "rvisor: --kernel is required\n");
		usage(stderr);
		return VM_END_VMM_ERROR;
	}
	if (cfg.ram_size < MIN_RAM || (cfg.ram_size & ((2u << 20) - 1)) ||
	    cfg.ram_size > (64ull << 30)) {
		fprintf(stderr, "rvisor: --mem must be a multiple of 2M between 4M and 64G\n");
		return VM_END_VMM_ERROR;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return VM_END_VMM_ERROR;
	rc = vm_create(vm, &cfg);
	if (rc < 0) {
		fprintf(stderr, "rvisor: cannot create VM: %s\n", strerror(-rc));
		return VM_END_VMM_ERROR;
	}
	rc = platform_create(vm, STDIN_FILENO, STDOUT_FILENO, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "rvisor: %s\n", err);
		goto fail;
	}
	rc = load_kernel(vm, cfg.kernel, err, sizeof(err));
	if (rc == 0 && cfg.initrd)
		rc = load_initrd(vm, cfg.initrd, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "rvisor: %s\n", err);
		goto fail;
	}
	rc = fdt_build(vm);
	if (rc < 0) {
		fprintf(stderr, "rvisor: cannot build the device tree: %s\n", strerror(-rc));
		goto fail;
	}
	if (apply_sched_opts(vm, &so))
		goto fail;
	rc = vm_run(vm);
	platform_stop(vm);
	if (stats) {
		print_stats(vm);
		print_sched_stats(vm);
		platform_print_stats(vm, stderr);
	}
	platform_destroy(vm);
	vm_destroy(vm);
	free(vm);
	return rc;
fail:
	platform_destroy(vm);
	vm_destroy(vm);
	free(vm);
	return VM_END_VMM_ERROR;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? VM_END_VMM_ERROR : 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "host"))
		return cmd_host(argc - 1, argv + 1);
	if (!strcmp(argv[1], "vm"))
		return cmd_vm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	fprintf(stderr, "rvisor: unknown command '%s' (try 'rvisor run --help')\n", argv[1]);
	return VM_END_VMM_ERROR;
}
