// SPDX-License-Identifier: MIT
/* API clients: `rvisor vm` (libcurl over the Unix socket) and `rvisor top` (ncurses). */
#include <curl/curl.h>
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/host.h"

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *opaque)
{
	struct buf *b = opaque;
	char *np = realloc(b->p, b->n + sz * nm + 1);

	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, sz * nm);
	b->n += sz * nm;
	b->p[b->n] = '\0';
	return sz * nm;
}

/*
 * One request; returns the HTTP status (or -1 with a message printed) and
 * the parsed JSON reply in *out (NULL when there is none or it is not JSON).
 */
static long http(const char *sock, const char *method, const char *path, const char *body,
                 json_t **out, char **text)
{
	struct buf b = { 0 };
	char url[600];
	struct curl_slist *hdr = NULL;
	long code = -1;
	CURLcode rc;
	CURL *c = curl_easy_init();

	*out = NULL;
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fprintf(stderr, "rvisor: cannot reach the host at %s: %s\n", sock,
		        curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (b.p)
		*out = json_loads(b.p, 0, NULL);
	if (text)
		*text = b.p;
	else
		free(b.p);
	return code;
}

/* An error reply: print its fault_message. Returns the exit status. */
static int api_error(long code, json_t *j)
{
	json_t *m = json_object_get(j, "fault_message");

	if (code < 0) {
		json_decref(j);
		return 2;
	}
	fprintf(stderr, "rvisor: %s (HTTP %ld)\n",
	        json_is_string(m) ? json_string_value(m) : "unexpected reply", code);
	json_decref(j);
	return 1;
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static int vm_list(const char *sock)
{
	json_t *j, *v;
	long code = http(sock, "GET", "/vms", NULL, &j, NULL);
	size_t i;

	if (code != 200)
		return api_error(code, j);
	printf("%-20s %-11s %5s %8s %5s  %s\n", "ID", "STATE", "VCPUS", "MEM_MIB", "EXIT",
	       "END_REASON");
	json_array_foreach(j, i, v)
	{
		json_t *ex = json_object_get(v, "exit_status");
		char exs[16] = "-";

		if (json_is_integer(ex))
			snprintf(exs, sizeof(exs), "%d", (int)json_integer_value(ex));
		printf("%-20s %-11s %5.0f %8.0f %5s  %s\n", str(v, "id"), str(v, "state"),
		       num(v, "vcpu_count"), num(v, "mem_size_mib"), exs, str(v, "end_reason"));
	}
	json_decref(j);
	return 0;
}

static int vm_stats(const char *sock, const char *id)
{
	char path[200];
	json_t *j, *ex, *v;
	const char *k;
	long code;

	snprintf(path, sizeof(path), "/vms/%s/stats", id);
	code = http(sock, "GET", path, NULL, &j, NULL);
	if (code != 200)
		return api_error(code, j);
	printf("vm %s: %s\n", str(j, "id"), str(j, "state"));
	printf("  instructions  %.0f\n  cpu time      %.3f s\n", num(j, "instret"),
	       num(j, "cpu_time_ns") / 1e9);
	printf("  guest RAM     %.1f MiB resident of %.0f MiB\n", num(j, "rss_bytes") / 1048576.0,
	       num(j, "ram_bytes") / 1048576.0);
	printf("  vCPUs         %.0f running, %.0f parked\n", num(j, "vcpus_running"),
	       num(j, "vcpus_parked"));
	v = json_object_get(j, "tlb");
	printf("  TLB           hits %.0f misses %.0f walks %.0f walk_refs %.0f flushes %.0f\n",
	       num(v, "hits"), num(v, "misses"), num(v, "walks"), num(v, "walk_refs"),
	       num(v, "flushes"));
	v = json_object_get(j, "console");
	printf("  console       tx %.0f B rx %.0f B\n", num(v, "tx_bytes"), num(v, "rx_bytes"));
	v = json_object_get(j, "block");
	printf("  block         %.0f reads (%.0f B) %.0f writes (%.0f B)\n", num(v, "reads"),
	       num(v, "bytes_read"), num(v, "writes"), num(v, "bytes_written"));
	printf("  exits        ");
	ex = json_object_get(j, "exits");
	json_object_foreach(ex, k, v) if (json_integer_value(v))
	    printf(" %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
	printf("\n");
	json_decref(j);
	return 0;
}

/* Attach the terminal to a VM's console socket; Ctrl-] detaches. */
static int vm_console(const char *sock, const char *id)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[200];
	struct termios saved, t;
	bool raw = false;
	json_t *j;
	long code;
	int fd;

	snprintf(path, sizeof(path), "/vms/%s", id);
	code = http(sock, "GET", path, NULL, &j, NULL);
	if (code != 200)
		return api_error(code, j);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", str(j, "console_socket"));
	json_decref(j);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "rvisor: cannot connect to %s: %s\n", a.sun_path, strerror(errno));
		return 1;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
		fprintf(stderr, "rvisor: attached to %s (Ctrl-] detaches)\r\n", id);
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			               { .fd = fd, .events = POLLIN } };
		char b[4096];
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			n = read(fd, b, sizeof(b));
			if (n <= 0 || write(STDOUT_FILENO, b, (size_t)n) != n)
				break;
		}
		if (p[0].revents) {
			n = read(STDIN_FILENO, b, sizeof(b));
			if (n <= 0 || (raw && memchr(b, 0x1d, (size_t)n)))
				break;
			if (write(fd, b, (size_t)n) != n)
				break;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	close(fd);
	return 0;
}

static char *read_file(const char *file)
{
	FILE *f = fopen(file, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	{
		FILE *m = open_memstream(&s, &n);
		char b[4096];
		size_t r;

		while (m && (r = fread(b, 1, sizeof(b), f)) > 0)
			fwrite(b, 1, r, m);
		if (m)
			fclose(m);
	}
	fclose(f);
	return s;
}

static void vm_usage(FILE *f)
{
	fprintf(f, "usage: rvisor vm --api-sock PATH COMMAND\n"
	           "  list | create FILE.json | start ID | pause ID | resume ID | stop ID |\n"
	           "  delete ID | show ID | stats ID | console ID\n");
}

int cmd_vm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api-sock", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("RVISOR_API_SOCK"), *cmd, *arg;
	char path[200], body[200];
	json_t *j;
	long code;
	int c;

	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'h': vm_usage(stdout); return 0;
		default: vm_usage(stderr); return 2;
		}
	}
	if (!sock || optind >= argc) {
		vm_usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	arg = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc || (strcmp(cmd, "list") && !arg) || (!strcmp(cmd, "list") && arg)) {
		vm_usage(stderr);
		return 2;
	}
	if (arg && strlen(arg) > 100) {
		fprintf(stderr, "rvisor: '%s' is too long\n", arg);
		return 2;
	}
	if (!strcmp(cmd, "list"))
		return vm_list(sock);
	if (!strcmp(cmd, "stats"))
		return vm_stats(sock, arg);
	if (!strcmp(cmd, "console"))
		return vm_console(sock, arg);
	if (!strcmp(cmd, "create")) {
		char *text = read_file(arg);

		if (!text) {
			fprintf(stderr, "rvisor: cannot read '%s': %s\n", arg, strerror(errno));
			return 2;
		}
		code = http(sock, "POST", "/vms", text, &j, NULL);
		free(text);
		if (code != 201)
			return api_error(code, j);
		printf("%s\n", str(j, "id"));
		json_decref(j);
		return 0;
	}
	if (!strcmp(cmd, "show")) {
		char *out;

		snprintf(path, sizeof(path), "/vms/%s", arg);
		code = http(sock, "GET", path, NULL, &j, NULL);
		if (code != 200)
			return api_error(code, j);
		out = json_dumps(j, JSON_INDENT(2));
		printf("%s\n", out ? out : "");
		free(out);
		json_decref(j);
		return 0;
	}
	if (!strcmp(cmd, "delete")) {
		snprintf(path, sizeof(path), "/vms/%s", arg);
		code = http(sock, "DELETE", path, NULL, &j, NULL);
	} else {
		static const char *const map[][2] = { { "start", "InstanceStart" },
			                              { "pause", "Pause" },
			                              { "resume", "Resume" },
			                              { "stop", "Stop" } };
		unsigned i;

		for (i = 0; i < 4 && strcmp(map[i][0], cmd); i++)
			;
		if (i == 4) {
			fprintf(stderr, "rvisor: unknown vm command '%s'\n", cmd);
			vm_usage(stderr);
			return 2;
		}
		snprintf(path, sizeof(path), "/vms/%s/actions", arg);
		snprintf(body, sizeof(body), "{\"action_type\": \"%s\"}", map[i][1]);
		code = http(sock, "PUT", path, body, &j, NULL);
	}
	if (code != 204)
		return api_error(code, j);
	json_decref(j);
	printf("%s: %s done\n", arg, cmd);
	return 0;
}

/* ---- top ---- */

struct sample {
	char id[HVM_ID_MAX];
	char state[16];
	unsigned vcpus, running, parked;
	double cpu_ns, steal_ns, instret, rss, ram, exits[EXIT_NR], con_tx, blk_bytes, blk_ops,
	    net_bytes;
	bool ok;
};

static unsigned take(const char *sock, struct sample *s, unsigned max)
{
	json_t *list, *v;
	size_t i;
	unsigned n = 0, r;

	if (http(sock, "GET", "/vms", NULL, &list, NULL) != 200) {
		json_decref(list);
		return 0;
	}
	json_array_foreach(list, i, v)
	{
		char path[200];
		json_t *st, *ex, *b;

		if (n == max)
			break;
		memset(&s[n], 0, sizeof(s[n]));
		snprintf(s[n].id, sizeof(s[n].id), "%s", str(v, "id"));
		snprintf(s[n].state, sizeof(s[n].state), "%s", str(v, "state"));
		s[n].vcpus = (unsigned)num(v, "vcpu_count");
		snprintf(path, sizeof(path), "/vms/%s/stats", s[n].id);
		if (http(sock, "GET", path, NULL, &st, NULL) == 200) {
			s[n].ok = true;
			s[n].cpu_ns = num(st, "cpu_time_ns");
			s[n].instret = num(st, "instret");
			s[n].rss = num(st, "rss_bytes");
			s[n].ram = num(st, "ram_bytes");
			s[n].running = (unsigned)num(st, "vcpus_running");
			s[n].parked = (unsigned)num(st, "vcpus_parked");
			ex = json_object_get(st, "exits");
			for (r = 1; r < EXIT_NR; r++)
				s[n].exits[r] = num(ex, exit_reason_name(r));
			s[n].con_tx = num(json_object_get(st, "console"), "tx_bytes");
			b = json_object_get(st, "block");
			s[n].blk_bytes = num(b, "bytes_read") + num(b, "bytes_written");
			s[n].blk_ops = num(b, "reads") + num(b, "writes");
			b = json_object_get(st, "net");
			s[n].net_bytes = num(b, "rx_bytes") + num(b, "tx_bytes");
			s[n].steal_ns = num(st, "steal_time_ns");
		}
		json_decref(st);
		n++;
	}
	json_decref(list);
	return n;
}

/* One frame of text lines into f (ncurses or stdout). */
static void frame(FILE *f, const struct sample *prev, unsigned np, const struct sample *cur,
                  unsigned nc, double dt)
{
	unsigned i, k, r;

	fprintf(f, "%-16s %-10s %5s %7s %8s %6s %9s %9s %9s  %-30s %9s\n", "VM", "STATE", "VCPUS",
	        "CPU%", "MIPS", "STEAL%", "RSS_MIB", "BLK_KB/s", "NET_KB/s", "EXITS/s (top)",
	        "CON_B/s");
	for (i = 0; i < nc; i++) {
		const struct sample *c = &cur[i], *p = NULL;
		char top[64] = "", vc[16];
		double best[3] = { 0 };
		unsigned bi[3] = { 0 };

		for (k = 0; k < np; k++)
			if (!strcmp(prev[k].id, c->id))
				p = &prev[k];
		for (r = 1; p && r < EXIT_NR; r++) {
			double rate = (c->exits[r] - p->exits[r]) / dt;

			for (k = 0; k < 3; k++)
				if (rate > best[k]) {
					memmove(&best[k + 1], &best[k], (2 - k) * sizeof(best[0]));
					memmove(&bi[k + 1], &bi[k], (2 - k) * sizeof(bi[0]));
					best[k] = rate, bi[k] = r;
					break;
				}
		}
		for (k = 0; k < 3 && best[k] > 0; k++) {
			size_t l = strlen(top);

			snprintf(top + l, sizeof(top) - l, "%s%s=%.0f", k ? " " : "",
			         exit_reason_name(bi[k]), best[k]);
		}
		snprintf(vc, sizeof(vc), "%u/%u", c->running, c->vcpus);
		fprintf(f, "%-16s %-10s %5s %7.1f %8.1f %6.1f %9.1f %9.1f %9.1f  %-30s %9.0f\n",
		        c->id, c->state, vc, p ? 100.0 * (c->cpu_ns - p->cpu_ns) / 1e9 / dt : 0.0,
		        p ? (c->instret - p->instret) / dt / 1e6 : 0.0,
		        p ? 100.0 * (c->steal_ns - p->steal_ns) / 1e9 / dt : 0.0,
		        c->rss / 1048576.0, p ? (c->blk_bytes - p->blk_bytes) / dt / 1024 : 0.0,
		        p ? (c->net_bytes - p->net_bytes) / dt / 1024 : 0.0, top[0] ? top : "-",
		        p ? (c->con_tx - p->con_tx) / dt : 0.0);
	}
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api-sock", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("RVISOR_API_SOCK");
	struct sample *a = calloc(HOST_MAX_VMS, sizeof(*a)), *b = calloc(HOST_MAX_VMS, sizeof(*b));
	double interval = 1.0, t0, t1;
	long batch = -1;
	unsigned na, nb, f;
	int c;

	if (!a || !b)
		return 2;
	while ((c = getopt_long(argc, argv, "s:b:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'b': batch = strtol(optarg, NULL, 10); break;
		case 'i': interval = strtod(optarg, NULL); break;
		case 'h':
			printf(
			    "usage: rvisor top --api-sock PATH [--batch N] [--interval SECONDS]\n");
			return 0;
		default: return 2;
		}
	}
	if (!sock || optind < argc || batch == 0 || batch < -1 || !(interval >= 0.1)) {
		fprintf(stderr, "usage: rvisor top --api-sock PATH [--batch N (>= 1)] "
		                "[--interval SECONDS (>= 0.1)]\n");
		return 2;
	}
	{
		json_t *j;
		long code = http(sock, "GET", "/", NULL, &j, NULL);

		json_decref(j);
		if (code != 200) {
			fprintf(stderr, "rvisor: no rvisor host answers on %s\n", sock);
			return 1;
		}
	}
	na = take(sock, a, HOST_MAX_VMS);
	t0 = mono();
	if (batch < 0) {
		initscr();
		cbreak();
		noecho();
		timeout((int)(interval * 1000));
	}
	for (f = 0; batch < 0 || f < (unsigned long)batch; f++) {
		struct sample *tmp;

		if (batch < 0) {
			if (getch() == 'q')
				break;
		} else {
			usleep((useconds_t)(interval * 1e6));
		}
		nb = take(sock, b, HOST_MAX_VMS);
		t1 = mono();
		if (batch < 0) {
			char *txt = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&txt, &len);

			if (m) {
				fprintf(m, "rvisor top  %s  %u VMs  (q quits)\n\n", sock, nb);
				frame(m, a, na, b, nb, t1 - t0);
				fclose(m);
				erase();
				mvaddstr(0, 0, txt);
				refresh();
				free(txt);
			}
		} else {
			printf("--- frame %u: %u VMs, %.2f s\n", f + 1, nb, t1 - t0);
			frame(stdout, a, na, b, nb, t1 - t0);
			fflush(stdout);
		}
		tmp = a, a = b, b = tmp;
		na = nb;
		t0 = t1;
	}
	if (batch < 0)
		endwin();
	free(a);
	free(b);
	return 0;
}
