// SPDX-License-Identifier: MIT
/* rvisor's command line: `rvisor run --kernel FILE ...`. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fdt.h"
#include "vmm/loader.h"
#include "vmm/platform.h"
#include "vmm/vm.h"

#define MIN_RAM (4ull << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: rvisor run --kernel FILE [options]\n"
	        "\n"
	        "  -k, --kernel FILE   guest to boot: a RISC-V ELF (loaded at its physical\n"
	        "                      addresses) or a Linux Image\n"
	        "  -i, --initrd FILE   initial ramdisk (Linux)\n"
	        "  -m, --mem SIZE      guest RAM, e.g. 256M or 1G (default 128M)\n"
	        "  -c, --cpus N        number of vCPUs, 1-%d (default 1)\n"
	        "  -a, --append STR    kernel command line (device tree /chosen/bootargs)\n"
	        "  -d, --disk IMG[,ro] a raw disk image as a virtio-blk device (repeatable:\n"
	        "                      /dev/vda, /dev/vdb, ... in order); ro: read-only\n"
	        "  -n, --net SPEC      a virtio-net device (repeatable), SPEC one of:\n"
	        "                        user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...  (libslirp)\n"
	        "                        switch=NAME   the host's virtual switch NAME\n"
	        "                        tap=IFNAME    a host tap interface\n"
	        "                      each with an optional ,mac=52:54:xx:xx:xx:xx\n"
	        "      --rng           a virtio-rng device (entropy from the host)\n"
	        "      --trace-exits   log every exit but SBI calls and quanta to stderr\n"
	        "      --stats         print per-vCPU exit and device counters when the VM ends\n"
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

/* --disk PATH[,ro]: the options follow the first comma. 0, or nonzero once it said why. */
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
		} else {
			fprintf(stderr, "rvisor: --disk: unknown option '%s' (known: ro)\n", opt);
			return -1;
		}
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
		{ "trace-exits", no_argument, NULL, 'T' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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
		case 'T': cfg.trace_exits = true; break;
		case 'S': stats = true; break;
		case 'h': usage(stdout); return 0;
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
	rc = vm_run(vm);
	platform_stop(vm);
	if (stats) {
		print_stats(vm);
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
	fprintf(stderr, "rvisor: unknown command '%s' (try 'rvisor run --help')\n", argv[1]);
	return VM_END_VMM_ERROR;
}
