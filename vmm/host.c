// SPDX-License-Identifier: MIT
/*
 * The VMs of `rvisor host`: configuration in the API schema, lifecycle,
 * per-VM console sockets with a replay ring, counters, guest RAM residency
 * and the memory-limit monitor.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/fdt.h"
#include "vmm/host.h"
#include "vmm/sched.h"
#include "vmm/loader.h"
#include "vmm/platform.h"

#define MONITOR_PERIOD_MS 200

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *hvm_state_name(enum hvm_state s)
{
	switch (s) {
	case HVM_NOT_STARTED: return "NotStarted";
	case HVM_RUNNING: return "Running";
	case HVM_PAUSED: return "Paused";
	case HVM_ENDED: return "Ended";
	}
	return "?";
}

static const char *end_name(int status)
{
	switch (status) {
	case VM_END_POWEROFF: return "guest powered off";
	case VM_END_FAILURE: return "guest reported system failure";
	case VM_END_VMM_ERROR: return "rvisor error";
	case VM_END_REBOOT: return "guest rebooted";
	case VM_END_PANIC: return "guest kernel panicked";
	case VM_END_FATAL: return "guest crashed its vCPU";
	}
	return "guest shutdown with a vendor reason";
}

/* ---- configuration (the API schema) ---- */

void hvm_config_free(struct hvm_config *c)
{
	unsigned i;

	free(c->kernel);
	free(c->initrd);
	free(c->boot_args);
	for (i = 0; i < c->ndrives; i++)
		free(c->drives[i].path);
	for (i = 0; i < c->nnets; i++)
		free(c->nets[i].name);
	memset(c, 0, sizeof(*c));
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= HVM_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1;                          \
	} while (0)

/* Every key of o is one of the NULL-terminated names. */
static int check_keys(json_t *o, const char *where, const char *const *names, char *err,
                      size_t errlen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(o))
		FAIL("%s: expected a JSON object", where);
	json_object_foreach(o, key, val)
	{
		const char *const *n;

		for (n = names; *n; n++)
			if (!strcmp(*n, key))
				break;
		if (!*n)
			FAIL("%s: unknown field '%s'", where, key);
	}
	return 0;
}

static int get_uint(json_t *o, const char *where, const char *key, uint64_t lo, uint64_t hi,
                    uint64_t *out, bool *present, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		FAIL("%s: '%s' must be an integer", where, key);
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi)
		FAIL("%s: '%s' = %" JSON_INTEGER_FORMAT " is out of range (%" PRIu64 "-%" PRIu64
		     ")",
		     where, key, n, lo, hi);
	*out = (uint64_t)n;
	return 0;
}

/* A string field: *out is replaced by a copy (NULL for a JSON null when nullable). */
static int get_str(json_t *o, const char *where, const char *key, bool nullable, char **out,
                   bool *present, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*present = v != NULL;
	if (!v)
		return 0;
	if (json_is_null(v) && nullable) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		FAIL("%s: '%s' must be a string", where, key);
	if (json_string_length(v) == 0 || json_string_length(v) > 4096 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		FAIL("%s: '%s' must be a non-empty string of at most 4096 bytes", where, key);
	free(*out);
	*out = strdup(json_string_value(v));
	return *out ? 0 : (snprintf(err, errlen, "out of memory"), -1);
}

static int get_bool(json_t *o, const char *where, const char *key, bool *out, char *err,
                    size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		FAIL("%s: '%s' must be true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

static int parse_machine(struct hvm_config *c, json_t *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "vcpu_count", "mem_size_mib", "mem_limit_mib",
		                            "weight",     "cap_percent",  NULL };
	const char *w = "machine-config";
	uint64_t v;
	bool p;

	if (check_keys(o, w, keys, err, errlen))
		return -1;
	if (get_uint(o, w, "vcpu_count", 1, VM_MAX_VCPUS, &v, &p, err, errlen))
		return -1;
	if (p)
		c->vcpu_count = (unsigned)v;
	if (get_uint(o, w, "mem_size_mib", 4, 65536, &v, &p, err, errlen))
		return -1;
	if (p) {
		if (v & 1)
			FAIL("%s: 'mem_size_mib' = %" PRIu64 " must be a multiple of 2", w, v);
		c->mem_size_mib = v;
	}
	if (get_uint(o, w, "mem_limit_mib", 0, 65536, &v, &p, err, errlen))
		return -1;
	if (p)
		c->mem_limit_mib = v;
	if (get_uint(o, w, "weight", 1, SCHED_MAX_WEIGHT, &v, &p, err, errlen))
		return -1;
	if (p)
		c->weight = (unsigned)v;
	if (get_uint(o, w, "cap_percent", 0, 100 * VM_MAX_VCPUS, &v, &p, err, errlen))
		return -1;
	if (p)
		c->cap_percent = (unsigned)v;
	return 0;
}

static int parse_boot(struct hvm_config *c, json_t *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "kernel_image_path", "initrd_path", "boot_args", NULL };
	const char *w = "boot-source";
	bool p;

	if (check_keys(o, w, keys, err, errlen))
		return -1;
	if (!json_object_get(o, "kernel_image_path"))
		FAIL("%s: 'kernel_image_path' is required", w);
	if (get_str(o, w, "kernel_image_path", false, &c->kernel, &p, err, errlen) ||
	    get_str(o, w, "initrd_path", true, &c->initrd, &p, err, errlen) ||
	    get_str(o, w, "boot_args", true, &c->boot_args, &p, err, errlen))
		return -1;
	return 0;
}

static int parse_drive(struct hvm_config *c, json_t *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "drive_id", "path_on_host", "is_read_only",
		                            "is_root_device", NULL };
	const char *w = "drives";
	struct hvm_drive d = { 0 };
	json_t *id = json_object_get(o, "drive_id");
	bool p, root = false;
	unsigned i;

	if (check_keys(o, w, keys, err, errlen))
		return -1;
	if (!json_is_string(id) || !valid_id(json_string_value(id)))
		FAIL("%s: 'drive_id' must be a string of 1-%d letters, digits, '-' or '_'", w,
		     HVM_ID_MAX - 1);
	snprintf(d.id, sizeof(d.id), "%s", json_string_value(id));
	if (!json_object_get(o, "path_on_host"))
		FAIL("%s: 'path_on_host' is required", w);
	if (get_bool(o, w, "is_read_only", &d.read_only, err, errlen) ||
	    get_bool(o, w, "is_root_device", &root, err, errlen) ||
	    get_str(o, w, "path_on_host", false, &d.path, &p, err, errlen))
		return -1;
	for (i = 0; i < c->ndrives; i++)
		if (!strcmp(c->drives[i].id, d.id)) {
			free(c->drives[i].path);
			c->drives[i] = d;
			return 0;
		}
	if (c->ndrives + c->nnets + c->rng >= VM_MAX_VIRTIO) {
		free(d.path);
		FAIL("%s: too many virtio devices (at most %d)", w, VM_MAX_VIRTIO);
	}
	c->drives[c->ndrives++] = d;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned b[ETH_ALEN], i;
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	           &tail) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)b[i];
	return (mac[0] & 1) ? -1 : 0; /* multicast is no NIC address */
}

/* "hostfwd": [{"protocol": "tcp"|"udp", "host_addr": "a.b.c.d", "host_port", "guest_port"}]. */
static int parse_hostfwds(json_t *a, struct net_config *nc, char *err, size_t errlen)
{
	static const char *const keys[] = { "protocol", "host_addr", "host_port", "guest_port",
		                            NULL };
	const char *w = "network-interfaces: hostfwd";
	json_t *f;
	size_t i;

	if (!json_is_array(a))
		FAIL("%s: expected an array", w);
	if (json_array_size(a) > NET_MAX_HOSTFWD)
		FAIL("%s: at most %d port forwards", w, NET_MAX_HOSTFWD);
	json_array_foreach(a, i, f)
	{
		struct net_hostfwd *h = &nc->hostfwd[nc->nhostfwd];
		json_t *proto = json_object_get(f, "protocol"),
		       *addr = json_object_get(f, "host_addr");
		uint64_t hp = 0, gp = 0;
		bool p1, p2;

		if (check_keys(f, w, keys, err, errlen) ||
		    get_uint(f, w, "host_port", 1, 65535, &hp, &p1, err, errlen) ||
		    get_uint(f, w, "guest_port", 1, 65535, &gp, &p2, err, errlen))
			return -1;
		if (!p1 || !p2)
			FAIL("%s: 'host_port' and 'guest_port' are required", w);
		*h = (struct net_hostfwd){ .host_port = (uint16_t)hp, .guest_port = (uint16_t)gp };
		if (proto && (!json_is_string(proto) || (strcmp(json_string_value(proto), "tcp") &&
		                                         strcmp(json_string_value(proto), "udp"))))
			FAIL("%s: 'protocol' must be \"tcp\" or \"udp\"", w);
		h->udp = proto && !strcmp(json_string_value(proto), "udp");
		if (addr) {
			struct in_addr in;

			if (!json_is_string(addr) ||
			    inet_pton(AF_INET, json_string_value(addr), &in) != 1)
				FAIL("%s: 'host_addr' must be an IPv4 address like \"127.0.0.1\"",
				     w);
			h->host_addr = ntohl(in.s_addr);
		}
		nc->nhostfwd++;
	}
	return 0;
}

static int parse_net(struct hvm_config *c, json_t *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "iface_id", "mode",      "host_dev_name",
		                            "switch",   "guest_mac", "hostfwd",
		                            NULL };
	const char *w = "network-interfaces";
	struct hvm_net n = { 0 };
	json_t *id = json_object_get(o, "iface_id"), *mode = json_object_get(o, "mode");
	char *mac = NULL;
	bool p;
	unsigned i;

	if (check_keys(o, w, keys, err, errlen))
		return -1;
	if (!json_is_string(id) || !valid_id(json_string_value(id)))
		FAIL("%s: 'iface_id' must be a string of 1-%d letters, digits, '-' or '_'", w,
		     HVM_ID_MAX - 1);
	snprintf(n.id, sizeof(n.id), "%s", json_string_value(id));
	if (!json_is_string(mode))
		FAIL("%s: 'mode' is required: \"user\", \"tap\" or \"switch\"", w);
	if (!strcmp(json_string_value(mode), "user"))
		n.cfg.kind = NET_USER;
	else if (!strcmp(json_string_value(mode), "tap"))
		n.cfg.kind = NET_TAP;
	else if (!strcmp(json_string_value(mode), "switch"))
		n.cfg.kind = NET_SWITCH;
	else
		FAIL("%s: 'mode' must be \"user\", \"tap\" or \"switch\", not \"%s\"", w,
		     json_string_value(mode));
	if (get_str(o, w, "host_dev_name", false, &n.name, &p, err, errlen))
		return -1;
	if (!p && get_str(o, w, "switch", false, &n.name, &p, err, errlen))
		return -1;
	if (n.cfg.kind != NET_USER && !n.name) {
		FAIL("%s: mode \"%s\" needs '%s'", w, json_string_value(mode),
		     n.cfg.kind == NET_TAP ? "host_dev_name" : "switch");
	}
	if (get_str(o, w, "guest_mac", false, &mac, &p, err, errlen))
		goto fail;
	if (mac) {
		int bad = parse_mac(mac, n.cfg.mac);

		free(mac);
		if (bad) {
			snprintf(err, errlen, "%s: 'guest_mac' must be a unicast xx:xx:xx:xx:xx:xx",
			         w);
			goto fail;
		}
		n.cfg.mac_set = true;
	}
	if (json_object_get(o, "hostfwd")) {
		if (n.cfg.kind != NET_USER) {
			snprintf(err, errlen, "%s: 'hostfwd' needs mode \"user\"", w);
			goto fail;
		}
		if (parse_hostfwds(json_object_get(o, "hostfwd"), &n.cfg, err, errlen))
			goto fail;
	}
	for (i = 0; i < c->nnets; i++)
		if (!strcmp(c->nets[i].id, n.id)) {
			free(c->nets[i].name);
			c->nets[i] = n;
			return 0;
		}
	if (c->ndrives + c->nnets + c->rng >= VM_MAX_VIRTIO) {
		snprintf(err, errlen, "%s: too many virtio devices (at most %d)", w, VM_MAX_VIRTIO);
		goto fail;
	}
	c->nets[c->nnets++] = n;
	return 0;
fail:
	free(n.name);
	return -1;
}

static int parse_list(struct hvm_config *c, json_t *a, const char *w,
                      int (*one)(struct hvm_config *, json_t *, char *, size_t), char *err,
                      size_t errlen)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		FAIL("'%s' must be a list", w);
	json_array_foreach(a, i, e) if (one(c, e, err, errlen)) return -1;
	return 0;
}

int hvm_config_parse(struct hvm_config *c, const char *what, json_t *j, char *id_out, char *err,
                     size_t errlen)
{
	static const char *const keys[] = { "vm_id",  "machine-config",     "boot-source",
		                            "drives", "network-interfaces", "rng",
		                            NULL };
	json_t *v;

	if (what && !strcmp(what, "machine-config"))
		return parse_machine(c, j, err, errlen);
	if (what && !strcmp(what, "boot-source"))
		return parse_boot(c, j, err, errlen);
	if (what && !strcmp(what, "drives"))
		return parse_drive(c, j, err, errlen);
	if (what && !strcmp(what, "network-interfaces"))
		return parse_net(c, j, err, errlen);
	if (check_keys(j, "VM", keys, err, errlen))
		return -1;
	v = json_object_get(j, "vm_id");
	if (v) {
		if (!json_is_string(v) || !valid_id(json_string_value(v)))
			FAIL("'vm_id' must be a string of 1-%d letters, digits, '-' or '_'",
			     HVM_ID_MAX - 1);
		snprintf(id_out, HVM_ID_MAX, "%s", json_string_value(v));
	}
	if ((v = json_object_get(j, "machine-config")) && parse_machine(c, v, err, errlen))
		return -1;
	if ((v = json_object_get(j, "boot-source")) && parse_boot(c, v, err, errlen))
		return -1;
	if ((v = json_object_get(j, "drives")) &&
	    parse_list(c, v, "drives", parse_drive, err, errlen))
		return -1;
	if ((v = json_object_get(j, "network-interfaces")) &&
	    parse_list(c, v, "network-interfaces", parse_net, err, errlen))
		return -1;
	if (get_bool(j, "VM", "rng", &c->rng, err, errlen))
		return -1;
	return 0;
}

/* ---- console server: guest output to a ring and to attached clients; their input to the guest
 * ---- */

static void ring_put(struct hvm_console *c, const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&c->ring_lock);
	while (n--) {
		c->ring[c->ring_total % CONSOLE_RING] = *buf++;
		c->ring_total++;
	}
	pthread_mutex_unlock(&c->ring_lock);
}

/* The last up to max bytes of output, into out; returns the count. */
static size_t ring_tail(struct hvm_console *c, uint8_t *out, size_t max, uint64_t *total)
{
	size_t n, i;

	pthread_mutex_lock(&c->ring_lock);
	n = c->ring_total < CONSOLE_RING ? (size_t)c->ring_total : CONSOLE_RING;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = c->ring[(c->ring_total - n + i) % CONSOLE_RING];
	if (total)
		*total = c->ring_total;
	pthread_mutex_unlock(&c->ring_lock);
	return n;
}

#define CLIENT_BUF (2 * CONSOLE_RING)

static void client_close(struct hvm_console *c, unsigned i)
{
	close(c->clients[i]);
	c->clients[i] = -1;
	free(c->pending[i]);
	c->pending[i] = NULL;
	c->npending[i] = 0;
}

/* Queue output for a client; a client that does not read loses the oldest. */
static void client_queue(struct hvm_console *c, unsigned i, const uint8_t *buf, size_t n)
{
	size_t drop;

	if (n > CLIENT_BUF) {
		buf += n - CLIENT_BUF;
		n = CLIENT_BUF;
	}
	if (c->npending[i] + n > CLIENT_BUF) {
		drop = c->npending[i] + n - CLIENT_BUF;
		memmove(c->pending[i], c->pending[i] + drop, c->npending[i] - drop);
		c->npending[i] -= drop;
	}
	memcpy(c->pending[i] + c->npending[i], buf, n);
	c->npending[i] += n;
}

static void client_flush(struct hvm_console *c, unsigned i)
{
	ssize_t r;

	if (!c->npending[i])
		return;
	r = send(c->clients[i], c->pending[i], c->npending[i], MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(c, i);
		return;
	}
	memmove(c->pending[i], c->pending[i] + r, c->npending[i] - (size_t)r);
	c->npending[i] -= (size_t)r;
}

static void *console_server(void *arg)
{
	struct hvm_console *c = arg;
	uint8_t buf[4096];

	for (;;) {
		struct pollfd p[3 + CONSOLE_CLIENTS];
		unsigned i, n = 3;
		ssize_t r;

		p[0] = (struct pollfd){ .fd = c->stop_pipe[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = c->out_pipe[0], .events = POLLIN };
		p[2] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
		for (i = 0; i < CONSOLE_CLIENTS; i++)
			p[n++] =
			    (struct pollfd){ .fd = c->clients[i],
				             .events =
				                 (short)(POLLIN | (c->npending[i] ? POLLOUT : 0)) };
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			r = read(c->out_pipe[0], buf, sizeof(buf));
			if (r > 0) {
				ring_put(c, buf, (size_t)r);
				for (i = 0; i < CONSOLE_CLIENTS; i++)
					if (c->clients[i] >= 0)
						client_queue(c, i, buf, (size_t)r);
			}
		}
		if (p[2].revents) {
			int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (fd >= 0) {
				for (i = 0; i < CONSOLE_CLIENTS && c->clients[i] >= 0; i++)
					;
				if (i == CONSOLE_CLIENTS || !(c->pending[i] = malloc(CLIENT_BUF))) {
					close(fd); /* full */
				} else {
					c->clients[i] = fd;
					c->npending[i] =
					    ring_tail(c, c->pending[i], CONSOLE_RING, NULL);
				}
			}
		}
		for (i = 0; i < CONSOLE_CLIENTS; i++) {
			if (p[3 + i].fd < 0 || !p[3 + i].revents || c->clients[i] != p[3 + i].fd)
				continue;
			if (p[3 + i].revents & POLLIN) {
				r = recv(c->clients[i], buf, sizeof(buf), MSG_DONTWAIT);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					client_close(c, i);
					continue;
				}
				/* Input the guest cannot take now (pipe full) is dropped, as on a
				 * serial line. */
				if (r > 0)
					(void)!write(c->in_pipe[1], buf, (size_t)r);
			} else if (p[3 + i].revents & (POLLHUP | POLLERR)) {
				client_close(c, i);
				continue;
			}
		}
		/* Send what is queued (coalesced: many small guest writes go out as one). */
		for (i = 0; i < CONSOLE_CLIENTS; i++)
			if (c->clients[i] >= 0)
				client_flush(c, i);
	}
	return NULL;
}

static void console_teardown(struct hvm_console *c)
{
	unsigned i;

	if (c->thread_running) {
		(void)!write(c->stop_pipe[1], "x", 1);
		pthread_join(c->thread, NULL);
		c->thread_running = false;
	}
	for (i = 0; i < CONSOLE_CLIENTS; i++)
		if (c->clients[i] >= 0)
			client_close(c, i);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	for (i = 0; i < 2; i++) {
		if (c->in_pipe[i] >= 0)
			close(c->in_pipe[i]);
		if (c->out_pipe[i] >= 0)
			close(c->out_pipe[i]);
		if (c->stop_pipe[i] >= 0)
			close(c->stop_pipe[i]);
	}
	pthread_mutex_destroy(&c->ring_lock);
}

static int console_setup(struct hvm_console *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	unsigned i;

	c->in_pipe[0] = c->in_pipe[1] = c->out_pipe[0] = c->out_pipe[1] = -1;
	c->stop_pipe[0] = c->stop_pipe[1] = c->listen_fd = -1;
	for (i = 0; i < CONSOLE_CLIENTS; i++)
		c->clients[i] = -1;
	pthread_mutex_init(&c->ring_lock, NULL);
	if (strlen(path) >= sizeof(a.sun_path) || strlen(path) >= sizeof(c->path)) {
		snprintf(
		    err, errlen,
		    "the console socket path '%s' would be longer than %zu bytes: use a shorter "
		    "vm_id or --api-sock path",
		    path, sizeof(a.sun_path) - 1);
		return -2;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (pipe2(c->in_pipe, O_CLOEXEC) || pipe2(c->out_pipe, O_CLOEXEC) ||
	    pipe2(c->stop_pipe, O_CLOEXEC))
		FAIL("cannot create console pipes: %s", strerror(errno));
	fcntl(c->in_pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(c->out_pipe[0], F_SETFL, O_NONBLOCK);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		FAIL("cannot create the console socket: %s", strerror(errno));
	unlink(path);
	if (bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(c->listen_fd, 4)) {
		snprintf(err, errlen, "cannot listen on console socket '%s': %s", path,
		         strerror(errno));
		close(c->listen_fd);
		c->listen_fd = -1;
		return -1;
	}
	if (pthread_create(&c->thread, NULL, console_server, c))
		FAIL("cannot start the console thread");
	c->thread_running = true;
	return 0;
}

/* ---- guest RAM residency, CPU time, counters ---- */

/* Bytes of guest RAM backed by host memory (pages the guest or the loader touched). */
static uint64_t ram_resident(struct vm *vm)
{
	static const size_t chunk = 64 * 1024; /* pages per mincore() call */
	unsigned char *vec = malloc(chunk);
	uint64_t pages = vm->ram_size / 4096, done, res = 0;
	size_t i;

	if (!vec)
		return 0;
	for (done = 0; done < pages; done += chunk) {
		size_t n = pages - done < chunk ? (size_t)(pages - done) : chunk;

		if (mincore(vm->ram + done * 4096, n * 4096, vec))
			break;
		for (i = 0; i < n; i++)
			res += vec[i] & 1;
	}
	free(vec);
	return res * 4096;
}

/* vCPU CPU time as the scheduler accounted it (host lock held). */
static uint64_t cpu_ns(struct hvm *v)
{
	struct sched_stats st;

	if (!v->vm)
		return 0;
	if (v->threads_gone)
		return v->cpu_ns_final;
	if (sched_vm_stats(v->vm, &st))
		return 0;
	return st.run_ns;
}

/*
 * Counters (host lock held). The vCPU and device counters are written by
 * their own threads without locks: a reading may be a moment stale.
 */
static void collect(struct hvm *v, struct hvm_stats *s)
{
	struct vm *vm = v->vm;
	unsigned i, r;

	memset(s, 0, sizeof(*s));
	s->ram_bytes = v->cfg.mem_size_mib << 20;
	if (!vm)
		return;
	s->cpu_ns = cpu_ns(v);
	s->rss_bytes = ram_resident(vm);
	for (i = 0; i < vm->ncpus && v->state != HVM_NOT_STARTED; i++) {
		struct vcpu_stats c;
		struct mmu_stats m;

		vm_vcpu_read_stats(&vm->cpus[i], &c, &m);
		s->instret += c.instret;
		for (r = 0; r < EXIT_NR; r++)
			s->exits[r] += c.exits[r];
		s->traps_to_vs += c.traps_to_vs;
		s->irqs_to_vs += c.interrupts_to_vs;
		s->tlb_hits += m.hits;
		s->tlb_misses += m.misses;
		s->tlb_walks += m.walks;
		s->walk_refs += m.walk_refs;
		s->tlb_flushes += m.flushes;
	}
	if (v->state == HVM_RUNNING || v->state == HVM_PAUSED) {
		struct sched_stats st;

		if (!sched_vm_stats(vm, &st)) {
			s->vcpus_running = st.running;
			s->vcpus_runnable = st.runnable;
			s->vcpus_parked = st.parked;
			s->steal_ns = st.steal_ns;
			s->wait_ns = st.wait_ns;
		}
	}
	if (vm->platform) {
		struct platform *p = vm->platform;

		pthread_mutex_lock(&p->uart.lock);
		s->console_tx = p->uart.tx_bytes;
		s->console_rx = p->uart.rx_bytes;
		pthread_mutex_unlock(&p->uart.lock);
		for (i = 0; i < p->nblk; i++) {
			const struct virtio_blk_stats *b = &p->blk[i]->stats;

			s->blk_reads += __atomic_load_n(&b->reads, __ATOMIC_RELAXED);
			s->blk_writes += __atomic_load_n(&b->writes, __ATOMIC_RELAXED);
			s->blk_bytes_read += __atomic_load_n(&b->bytes_read, __ATOMIC_RELAXED);
			s->blk_bytes_written +=
			    __atomic_load_n(&b->bytes_written, __ATOMIC_RELAXED);
		}
		for (i = 0; i < p->nnet; i++) {
			const struct virtio_net_stats *n = &p->net[i]->stats;

			s->net_rx_frames += __atomic_load_n(&n->rx_frames, __ATOMIC_RELAXED);
			s->net_rx_bytes += __atomic_load_n(&n->rx_bytes, __ATOMIC_RELAXED);
			s->net_tx_frames += __atomic_load_n(&n->tx_frames, __ATOMIC_RELAXED);
			s->net_tx_bytes += __atomic_load_n(&n->tx_bytes, __ATOMIC_RELAXED);
			s->net_drops += __atomic_load_n(&n->rx_dropped, __ATOMIC_RELAXED) +
			                __atomic_load_n(&n->tx_dropped, __ATOMIC_RELAXED);
		}
	}
}

/* ---- lifecycle ---- */

static struct hvm *find(struct host *h, const char *id, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < h->nvms; i++)
		if (!strcmp(h->vms[i]->id, id)) {
			if (idx)
				*idx = i;
			return h->vms[i];
		}
	return NULL;
}

#define NOVM(id)                                         \
	do {                                             \
		snprintf(err, errlen, "no VM '%s'", id); \
		pthread_mutex_unlock(&h->lock);          \
		return 404;                              \
	} while (0)

struct waiter_arg {
	struct host *h;
	struct hvm *v;
};

static void *waiter(void *arg)
{
	struct waiter_arg *w = arg;
	struct host *h = w->h;
	struct hvm *v = w->v;
	struct vm *vm = v->vm;
	int rc;

	free(w);
	pthread_mutex_lock(&vm->lock);
	while (!vm_ended(vm))
		pthread_cond_wait(&vm->ended, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_lock(&h->lock);
	v->cpu_ns_final = cpu_ns(v);
	v->threads_gone = true;
	pthread_mutex_unlock(&h->lock);
	rc = vm_wait(vm);
	platform_stop(vm);
	pthread_mutex_lock(&h->lock);
	v->exit_status = rc;
	v->state = HVM_ENDED;
	v->ended_ns = now_ns();
	if (!v->end_reason[0])
		snprintf(v->end_reason, sizeof(v->end_reason), "%s", end_name(rc));
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int host_create(struct host *h, const char *id, struct hvm_config *cfg, char *err, size_t errlen,
                char *id_out)
{
	char path[160];
	struct hvm *v;
	int rc;

	pthread_mutex_lock(&h->lock);
	if (h->nvms == HOST_MAX_VMS) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "too many VMs (at most %d)", HOST_MAX_VMS);
		return 429;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	if (id && *id) {
		snprintf(v->id, sizeof(v->id), "%s", id);
	} else {
		do
			snprintf(v->id, sizeof(v->id), "vm%u", h->next_id++);
		while (find(h, v->id, NULL));
	}
	if (find(h, v->id, NULL)) {
		pthread_mutex_unlock(&h->lock);
		free(v);
		snprintf(err, errlen, "a VM with id '%s' already exists", id);
		return 409;
	}
	snprintf(path, sizeof(path), "%s.%s.console", h->sock_base, v->id);
	rc = console_setup(&v->con, path, err, errlen);
	if (rc) {
		pthread_mutex_unlock(&h->lock);
		console_teardown(&v->con);
		free(v);
		return rc == -2 ? 400 : 500;
	}
	v->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	if (!v->cfg.vcpu_count)
		v->cfg.vcpu_count = 1;
	if (!v->cfg.mem_size_mib)
		v->cfg.mem_size_mib = 128;
	if (!v->cfg.weight)
		v->cfg.weight = SCHED_DEFAULT_WEIGHT;
	v->state = HVM_NOT_STARTED;
	v->exit_status = -1;
	v->created_ns = now_ns();
	h->vms[h->nvms++] = v;
	snprintf(id_out, HVM_ID_MAX, "%s", v->id);
	pthread_mutex_unlock(&h->lock);
	return 201;
}

int host_configure(struct host *h, const char *id, const char *what, json_t *body, char *err,
                   size_t errlen)
{
	struct hvm_config c;
	struct hvm *v;
	char dummy[HVM_ID_MAX];
	unsigned i;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (!v)
		NOVM(id);
	if (v->state != HVM_NOT_STARTED) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' is %s: configuration can change only before start",
		         id, hvm_state_name(v->state));
		return 409;
	}
	/* Parse into a copy so that a bad request changes nothing. */
	c = v->cfg;
	c.kernel = v->cfg.kernel ? strdup(v->cfg.kernel) : NULL;
	c.initrd = v->cfg.initrd ? strdup(v->cfg.initrd) : NULL;
	c.boot_args = v->cfg.boot_args ? strdup(v->cfg.boot_args) : NULL;
	for (i = 0; i < c.ndrives; i++)
		c.drives[i].path = strdup(v->cfg.drives[i].path);
	for (i = 0; i < c.nnets; i++)
		c.nets[i].name = v->cfg.nets[i].name ? strdup(v->cfg.nets[i].name) : NULL;
	if (hvm_config_parse(&c, what, body, dummy, err, errlen)) {
		hvm_config_free(&c);
		pthread_mutex_unlock(&h->lock);
		return 400;
	}
	hvm_config_free(&v->cfg);
	v->cfg = c;
	pthread_mutex_unlock(&h->lock);
	return 204;
}

/* Build and start the VM (host lock held). */
static int boot(struct host *h, struct hvm *v, char *err, size_t errlen)
{
	struct vm_config cfg = { 0 };
	struct waiter_arg *w;
	struct vm *vm;
	unsigned i;
	int rc;

	if (!v->cfg.kernel)
		FAIL("boot-source: 'kernel_image_path' is not set");
	cfg.ram_size = v->cfg.mem_size_mib << 20;
	cfg.ncpus = v->cfg.vcpu_count;
	cfg.kernel = v->cfg.kernel;
	cfg.initrd = v->cfg.initrd;
	cfg.cmdline = v->cfg.boot_args;
	cfg.rng = v->cfg.rng;
	for (i = 0; i < v->cfg.ndrives; i++) {
		cfg.disks[i].path = v->cfg.drives[i].path;
		cfg.disks[i].read_only = v->cfg.drives[i].read_only;
	}
	cfg.ndisks = v->cfg.ndrives;
	for (i = 0; i < v->cfg.nnets; i++) {
		cfg.nets[i] = v->cfg.nets[i].cfg;
		cfg.nets[i].name = v->cfg.nets[i].name;
	}
	cfg.nnets = v->cfg.nnets;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		FAIL("out of memory");
	rc = vm_create(vm, &cfg);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the VM: %s", strerror(-rc));
		goto fail;
	}
	rc = platform_create(vm, v->con.in_pipe[0], v->con.out_pipe[1], err, errlen);
	if (!rc)
		rc = load_kernel(vm, cfg.kernel, err, errlen);
	if (!rc && cfg.initrd)
		rc = load_initrd(vm, cfg.initrd, err, errlen);
	if (!rc) {
		rc = fdt_build(vm);
		if (rc)
			snprintf(err, errlen, "cannot build the device tree: %s", strerror(-rc));
	}
	if (rc)
		goto fail;
	w = malloc(sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*w = (struct waiter_arg){ h, v };
	v->vm = vm;
	v->threads_gone = false;
	sched_vm_set_weight(vm, v->cfg.weight);
	sched_vm_set_cap(vm, v->cfg.cap_percent);
	rc = vm_start(vm);
	if (rc < 0)
		snprintf(err, errlen, "cannot start the vCPUs: %s", strerror(-rc));
	/* Even a failed start is waited for: the waiter joins what did start. */
	if (pthread_create(&v->waiter, NULL, waiter, w)) {
		free(w);
		vm_request_end(vm, VM_END_VMM_ERROR, 0);
		vm_wait(vm);
		v->vm = NULL;
		snprintf(err, errlen, "cannot start the VM's waiter thread");
		goto fail;
	}
	v->waiter_running = true;
	v->state = HVM_RUNNING;
	v->started_ns = now_ns();
	if (rc < 0)
		return -1;
	return 0;
fail:
	platform_destroy(vm);
	vm_destroy(vm);
	free(vm);
	return -1;
}

int host_start(struct host *h, const char *id, char *err, size_t errlen)
{
	struct hvm *v;
	int rc;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (!v)
		NOVM(id);
	if (v->state != HVM_NOT_STARTED) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' is %s: only a NotStarted VM can start", id,
		         hvm_state_name(v->state));
		return 409;
	}
	rc = boot(h, v, err, errlen);
	pthread_mutex_unlock(&h->lock);
	return rc ? 400 : 204;
}

int host_pause(struct host *h, const char *id, char *err, size_t errlen)
{
	struct hvm *v;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (!v)
		NOVM(id);
	if (v->state != HVM_RUNNING || vm_ended(v->vm)) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' is %s: only a Running VM can pause", id,
		         v->state == HVM_RUNNING ? "ending" : hvm_state_name(v->state));
		return 409;
	}
	if (vm_pause(v->vm)) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' ended while pausing", id);
		return 409;
	}
	v->state = HVM_PAUSED;
	pthread_mutex_unlock(&h->lock);
	return 204;
}

int host_resume(struct host *h, const char *id, char *err, size_t errlen)
{
	struct hvm *v;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (!v)
		NOVM(id);
	if (v->state != HVM_PAUSED) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' is %s: only a Paused VM can resume", id,
		         hvm_state_name(v->state));
		return 409;
	}
	vm_resume(v->vm);
	v->state = HVM_RUNNING;
	pthread_mutex_unlock(&h->lock);
	return 204;
}

int host_stop(struct host *h, const char *id, char *err, size_t errlen)
{
	struct hvm *v;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (!v)
		NOVM(id);
	if ((v->state != HVM_RUNNING && v->state != HVM_PAUSED) || vm_ended(v->vm)) {
		pthread_mutex_unlock(&h->lock);
		snprintf(err, errlen, "VM '%s' is %s: only a Running or Paused VM can stop", id,
		         v->state == HVM_NOT_STARTED || v->state == HVM_ENDED
		             ? hvm_state_name(v->state)
		             : "ending");
		return 409;
	}
	snprintf(v->end_reason, sizeof(v->end_reason), "stopped through the API");
	vm_request_end(v->vm, VM_END_POWEROFF, 0);
	pthread_mutex_unlock(&h->lock);
	return 204;
}

static void hvm_free(struct hvm *v)
{
	if (v->vm) {
		if (!vm_ended(v->vm))
			vm_request_end(v->vm, VM_END_POWEROFF, 0);
		if (v->waiter_running)
			pthread_join(v->waiter, NULL);
		platform_destroy(v->vm);
		vm_destroy(v->vm);
		free(v->vm);
	}
	console_teardown(&v->con);
	hvm_config_free(&v->cfg);
	free(v);
}

int host_delete(struct host *h, const char *id, char *err, size_t errlen)
{
	struct hvm *v;
	unsigned i;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, &i);
	if (!v)
		NOVM(id);
	if (v->vm && !vm_ended(v->vm) && !v->end_reason[0])
		snprintf(v->end_reason, sizeof(v->end_reason), "deleted through the API");
	memmove(&h->vms[i], &h->vms[i + 1], (h->nvms - i - 1) * sizeof(h->vms[0]));
	h->nvms--;
	pthread_mutex_unlock(&h->lock);
	/* Out of the list: no other thread reaches it now (the waiter takes the lock, so not under
	 * it). */
	hvm_free(v);
	return 204;
}

/* ---- views ---- */

static json_t *config_json(const struct hvm_config *c)
{
	json_t *drives = json_array(), *nets = json_array();
	unsigned i;

	for (i = 0; i < c->ndrives; i++)
		json_array_append_new(drives,
		                      json_pack("{s:s, s:s, s:b}", "drive_id", c->drives[i].id,
		                                "path_on_host", c->drives[i].path, "is_read_only",
		                                c->drives[i].read_only));
	for (i = 0; i < c->nnets; i++) {
		static const char *const kinds[] = { "user", "switch", "tap" };
		json_t *n = json_pack("{s:s, s:s}", "iface_id", c->nets[i].id, "mode",
		                      kinds[c->nets[i].cfg.kind]);

		if (c->nets[i].name)
			json_object_set_new(
			    n, c->nets[i].cfg.kind == NET_TAP ? "host_dev_name" : "switch",
			    json_string(c->nets[i].name));
		if (c->nets[i].cfg.mac_set) {
			char mac[18];
			const uint8_t *m = c->nets[i].cfg.mac;

			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			         m[2], m[3], m[4], m[5]);
			json_object_set_new(n, "guest_mac", json_string(mac));
		}
		if (c->nets[i].cfg.nhostfwd) {
			json_t *fw = json_array();
			unsigned k;

			for (k = 0; k < c->nets[i].cfg.nhostfwd; k++) {
				const struct net_hostfwd *h = &c->nets[i].cfg.hostfwd[k];
				struct in_addr in = { .s_addr = htonl(h->host_addr) };
				char a[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &in, a, sizeof(a));
				json_array_append_new(fw,
				                      json_pack("{s:s, s:s, s:i, s:i}", "protocol",
				                                h->udp ? "udp" : "tcp", "host_addr",
				                                a, "host_port", h->host_port,
				                                "guest_port", h->guest_port));
			}
			json_object_set_new(n, "hostfwd", fw);
		}
		json_array_append_new(nets, n);
	}
	return json_pack("{s:{s:i, s:I, s:I, s:i, s:i}, s:{s:s?, s:s?, s:s?}, s:o, s:o, s:b}",
	                 "machine-config", "vcpu_count", c->vcpu_count, "mem_size_mib",
	                 (json_int_t)c->mem_size_mib, "mem_limit_mib", (json_int_t)c->mem_limit_mib,
	                 "weight", c->weight, "cap_percent", c->cap_percent, "boot-source",
	                 "kernel_image_path", c->kernel, "initrd_path", c->initrd, "boot_args",
	                 c->boot_args, "drives", drives, "network-interfaces", nets, "rng", c->rng);
}

static json_t *vm_json(struct hvm *v)
{
	json_t *j = config_json(&v->cfg);
	uint64_t t = v->state == HVM_ENDED ? v->ended_ns : now_ns();

	json_object_set_new(j, "id", json_string(v->id));
	json_object_set_new(j, "state", json_string(hvm_state_name(v->state)));
	json_object_set_new(j, "exit_status",
	                    v->state == HVM_ENDED ? json_integer(v->exit_status) : json_null());
	json_object_set_new(j, "end_reason",
	                    v->end_reason[0] && v->state == HVM_ENDED ? json_string(v->end_reason)
	                                                              : json_null());
	json_object_set_new(j, "console_socket", json_string(v->con.path));
	json_object_set_new(j, "uptime_s",
	                    json_real(v->started_ns ? (double)(t - v->started_ns) / 1e9 : 0.0));
	return j;
}

json_t *host_vm_json(struct host *h, const char *id, int *status)
{
	struct hvm *v;
	json_t *j = NULL;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (v)
		j = vm_json(v);
	*status = v ? 200 : 404;
	pthread_mutex_unlock(&h->lock);
	return j;
}

json_t *host_list_json(struct host *h)
{
	json_t *a = json_array();
	unsigned i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->nvms; i++) {
		struct hvm *v = h->vms[i];

		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:i, s:I, s:o, s:o}", "id", v->id, "state",
		                 hvm_state_name(v->state), "vcpu_count", v->cfg.vcpu_count,
		                 "mem_size_mib", (json_int_t)v->cfg.mem_size_mib, "exit_status",
		                 v->state == HVM_ENDED ? json_integer(v->exit_status) : json_null(),
		                 "end_reason",
		                 v->state == HVM_ENDED ? json_string(v->end_reason) : json_null()));
	}
	pthread_mutex_unlock(&h->lock);
	return a;
}

static json_t *stats_json(struct hvm *v)
{
	struct hvm_stats s;
	json_t *exits = json_object();
	unsigned r;

	collect(v, &s);
	for (r = 1; r < EXIT_NR; r++)
		json_object_set_new(exits, exit_reason_name(r),
		                    json_integer((json_int_t)s.exits[r]));
	return json_pack(
	    "{s:s, s:s, s:I, s:o, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:{s:I, s:I}, s:{s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I}}",
	    "id", v->id, "state", hvm_state_name(v->state), "instret", (json_int_t)s.instret,
	    "exits", exits, "traps_to_vs", (json_int_t)s.traps_to_vs, "irqs_to_vs",
	    (json_int_t)s.irqs_to_vs, "tlb", "hits", (json_int_t)s.tlb_hits, "misses",
	    (json_int_t)s.tlb_misses, "walks", (json_int_t)s.tlb_walks, "walk_refs",
	    (json_int_t)s.walk_refs, "flushes", (json_int_t)s.tlb_flushes, "cpu_time_ns",
	    (json_int_t)s.cpu_ns, "steal_time_ns", (json_int_t)s.steal_ns, "wait_time_ns",
	    (json_int_t)s.wait_ns, "rss_bytes", (json_int_t)s.rss_bytes, "ram_bytes",
	    (json_int_t)s.ram_bytes, "mem_limit_bytes", (json_int_t)(v->cfg.mem_limit_mib << 20),
	    "vcpus_running", s.vcpus_running, "vcpus_runnable", s.vcpus_runnable, "vcpus_parked",
	    s.vcpus_parked, "console", "tx_bytes", (json_int_t)s.console_tx, "rx_bytes",
	    (json_int_t)s.console_rx, "block", "reads", (json_int_t)s.blk_reads, "writes",
	    (json_int_t)s.blk_writes, "bytes_read", (json_int_t)s.blk_bytes_read, "bytes_written",
	    (json_int_t)s.blk_bytes_written, "net", "rx_frames", (json_int_t)s.net_rx_frames,
	    "rx_bytes", (json_int_t)s.net_rx_bytes, "tx_frames", (json_int_t)s.net_tx_frames,
	    "tx_bytes", (json_int_t)s.net_tx_bytes, "dropped", (json_int_t)s.net_drops);
}

json_t *host_stats_json(struct host *h, const char *id, int *status)
{
	struct hvm *v;
	json_t *j = NULL;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	if (v)
		j = stats_json(v);
	*status = v ? 200 : 404;
	pthread_mutex_unlock(&h->lock);
	return j;
}

json_t *host_console_json(struct host *h, const char *id, int *status)
{
	struct hvm *v;
	json_t *j = NULL;
	uint8_t *buf = malloc(CONSOLE_RING);
	uint64_t total = 0;
	size_t n, i;

	pthread_mutex_lock(&h->lock);
	v = find(h, id, NULL);
	*status = v ? 200 : 404;
	if (v && buf) {
		n = ring_tail(&v->con, buf, CONSOLE_RING, &total);
		/* JSON strings are UTF-8: the replay is shown as ASCII. */
		for (i = 0; i < n; i++)
			if (buf[i] >= 0x80 || buf[i] == 0)
				buf[i] = '?';
		j = json_pack("{s:s, s:I, s:s%}", "console_socket", v->con.path, "bytes_total",
		              (json_int_t)total, "output", (const char *)buf, n);
	}
	pthread_mutex_unlock(&h->lock);
	free(buf);
	return j;
}

char *host_metrics(struct host *h)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} m[] = {
#define M(n, t, f, help) { "rvisor_vm_" n, t, help, offsetof(struct hvm_stats, f) }
		M("instructions_total", "counter", instret, "Guest instructions retired"),
		M("traps_to_guest_total", "counter", traps_to_vs,
		  "Exceptions delivered to the guest without an exit"),
		M("interrupts_to_guest_total", "counter", irqs_to_vs,
		  "Interrupts delivered to the guest"),
		M("tlb_hits_total", "counter", tlb_hits, "Software TLB hits"),
		M("tlb_misses_total", "counter", tlb_misses, "Software TLB misses"),
		M("page_walks_total", "counter", tlb_walks, "Two-stage page walks"),
		M("page_walk_refs_total", "counter", walk_refs, "Memory references by page walks"),
		M("tlb_flushes_total", "counter", tlb_flushes, "TLB flushes"),
		M("steal_nanoseconds_total", "counter", steal_ns,
		  "vCPU time runnable but waiting for a host worker (or throttled by the cap)"),
		M("wait_nanoseconds_total", "counter", wait_ns,
		  "vCPU time parked: in wfi, hart stopped or VM paused"),
		M("rss_bytes", "gauge", rss_bytes, "Guest RAM backed by host memory"),
		M("ram_bytes", "gauge", ram_bytes, "Configured guest RAM"),
		M("console_tx_bytes_total", "counter", console_tx,
		  "Bytes the guest wrote to its UART"),
		M("console_rx_bytes_total", "counter", console_rx, "Bytes the guest received"),
		M("block_reads_total", "counter", blk_reads, "virtio-blk read requests"),
		M("block_writes_total", "counter", blk_writes, "virtio-blk write requests"),
		M("block_read_bytes_total", "counter", blk_bytes_read, "virtio-blk bytes read"),
		M("block_written_bytes_total", "counter", blk_bytes_written,
		  "virtio-blk bytes written"),
		M("net_rx_frames_total", "counter", net_rx_frames, "virtio-net frames received"),
		M("net_rx_bytes_total", "counter", net_rx_bytes, "virtio-net bytes received"),
		M("net_tx_frames_total", "counter", net_tx_frames, "virtio-net frames sent"),
		M("net_tx_bytes_total", "counter", net_tx_bytes, "virtio-net bytes sent"),
		M("net_dropped_frames_total", "counter", net_drops,
		  "virtio-net frames dropped (device not ready, backend full)"),
#undef M
	};
	const unsigned nm = sizeof(m) / sizeof(m[0]);
	struct hvm_stats *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	unsigned i, k, r;
	long pages = 0, rss_pages = 0;
	FILE *sf;

	if (!f)
		return NULL;
	pthread_mutex_lock(&h->lock);
	st = calloc(h->nvms ? h->nvms : 1, sizeof(*st));
	for (i = 0; st && i < h->nvms; i++)
		collect(h->vms[i], &st[i]);
	fprintf(f, "# HELP rvisor_vms Virtual machines on this host\n# TYPE rvisor_vms gauge\n");
	fprintf(f, "rvisor_vms %u\n", h->nvms);
	fprintf(f, "# HELP rvisor_vm_state The VM's state (1 for the current one)\n"
	           "# TYPE rvisor_vm_state gauge\n");
	for (i = 0; i < h->nvms; i++)
		for (k = HVM_NOT_STARTED; k <= HVM_ENDED; k++)
			fprintf(f, "rvisor_vm_state{vm=\"%s\",state=\"%s\"} %d\n", h->vms[i]->id,
			        hvm_state_name(k), h->vms[i]->state == k);
	fprintf(f, "# HELP rvisor_vm_cpu_seconds_total Host CPU time of the VM's vCPUs\n"
	           "# TYPE rvisor_vm_cpu_seconds_total counter\n");
	for (i = 0; st && i < h->nvms; i++)
		fprintf(f, "rvisor_vm_cpu_seconds_total{vm=\"%s\"} %.6f\n", h->vms[i]->id,
		        (double)st[i].cpu_ns / 1e9);
	fprintf(f, "# HELP rvisor_vm_exits_total VM exits by reason\n"
	           "# TYPE rvisor_vm_exits_total counter\n");
	for (i = 0; st && i < h->nvms; i++)
		for (r = 1; r < EXIT_NR; r++)
			fprintf(f, "rvisor_vm_exits_total{vm=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
			        h->vms[i]->id, exit_reason_name(r), st[i].exits[r]);
	for (k = 0; k < nm; k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name,
		        m[k].type);
		for (i = 0; st && i < h->nvms; i++)
			fprintf(f, "%s{vm=\"%s\"} %" PRIu64 "\n", m[k].name, h->vms[i]->id,
			        *(const uint64_t *)((const char *)&st[i] + m[k].off));
	}
	pthread_mutex_unlock(&h->lock);
	free(st);
	sf = fopen("/proc/self/statm", "r");
	if (sf) {
		if (fscanf(sf, "%ld %ld", &pages, &rss_pages) != 2)
			rss_pages = 0;
		fclose(sf);
	}
	fprintf(f,
	        "# HELP rvisor_host_rss_bytes Resident memory of the host process\n"
	        "# TYPE rvisor_host_rss_bytes gauge\nrvisor_host_rss_bytes %ld\n",
	        rss_pages * sysconf(_SC_PAGESIZE));
	fclose(f);
	return out;
}

/* ---- memory-limit monitor ---- */

static void *monitor(void *arg)
{
	struct host *h = arg;

	while (!atomic_load(&h->stopping)) {
		unsigned i;

		pthread_mutex_lock(&h->lock);
		for (i = 0; i < h->nvms; i++) {
			struct hvm *v = h->vms[i];
			uint64_t rss;

			if (!v->vm)
				continue;
			rss = ram_resident(v->vm);
			atomic_store(&v->rss_bytes, rss);
			if (v->cfg.mem_limit_mib && rss > (v->cfg.mem_limit_mib << 20) &&
			    !vm_ended(v->vm)) {
				snprintf(v->end_reason, sizeof(v->end_reason),
				         "memory limit exceeded (%.1f MiB > %" PRIu64 " MiB)",
				         (double)rss / 1048576.0, v->cfg.mem_limit_mib);
				fprintf(stderr, "rvisor: VM '%s': %s\n", v->id, v->end_reason);
				vm_request_end(v->vm, VM_END_VMM_ERROR, 0);
			}
		}
		pthread_mutex_unlock(&h->lock);
		usleep(MONITOR_PERIOD_MS * 1000);
	}
	return NULL;
}

int host_init(struct host *h, const char *api_sock)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	snprintf(h->sock_base, sizeof(h->sock_base), "%s", api_sock);
	if (strlen(api_sock) >= sizeof(h->sock_base))
		return -ENAMETOOLONG;
	if (pthread_create(&h->monitor, NULL, monitor, h))
		return -EAGAIN;
	return 0;
}

void host_shutdown(struct host *h)
{
	atomic_store(&h->stopping, true);
	pthread_join(h->monitor, NULL);
	pthread_mutex_lock(&h->lock);
	while (h->nvms) {
		struct hvm *v = h->vms[--h->nvms];

		pthread_mutex_unlock(&h->lock);
		hvm_free(v);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&h->lock);
}
