// SPDX-License-Identifier: MIT
/*
 * The management API of `rvisor host`: HTTP/1.1 + JSON on a Unix socket
 * (libmicrohttpd, jansson), shaped after Firecracker's, with a collection
 * of VMs. Every error is a 4xx/5xx with {"fault_message": "..."}. See docs/api.md.
 */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/host.h"

#define BODY_LIMIT (64 * 1024)

struct req {
	char *body;
	size_t len;
	bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *text, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(text ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	if (text)
		MHD_add_response_header(r, "Content-Type", type);
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!s)
		return MHD_NO;
	return reply(c, status, "application/json", s, NULL);
}

static enum MHD_Result fault(struct MHD_Connection *c, unsigned status, const char *msg,
                             const char *allow)
{
	json_t *j = json_pack("{s:s}", "fault_message", msg);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return reply(c, status, "application/json", s, allow);
}

static enum MHD_Result done(struct MHD_Connection *c, int status, const char *err)
{
	if (status >= 400)
		return fault(c, (unsigned)status, err, NULL);
	if (status == 204)
		return reply(c, 204, NULL, NULL, NULL);
	return reply_json(c, (unsigned)status, json_object());
}

/* The body as a JSON object, or a 400 already queued (returns NULL, *ret set). */
static json_t *body_json(struct MHD_Connection *c, struct req *rq, enum MHD_Result *ret)
{
	json_error_t e;
	json_t *j;
	char msg[300];

	if (!rq->len) {
		*ret = fault(c, 400, "the request needs a JSON body", NULL);
		return NULL;
	}
	j = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d: %s", e.line,
		         e.column, e.text);
		*ret = fault(c, 400, msg, NULL);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*ret = fault(c, 400, "the body must be a JSON object", NULL);
		return NULL;
	}
	return j;
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *c, const char *method,
                                          const char *path, const char *allow)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "method %s is not allowed on %s (allowed: %s)", method, path,
	         allow);
	return fault(c, 405, msg, allow);
}

static enum MHD_Result do_action(struct host *h, struct MHD_Connection *c, const char *id,
                                 json_t *j)
{
	static const char *const actions[] = { "InstanceStart", "Pause", "Resume", "Stop", NULL };
	char err[512];
	const char *key, *a;
	json_t *v;
	int st;

	json_object_foreach(j, key, v) if (strcmp(key, "action_type"))
	{
		snprintf(err, sizeof(err), "actions: unknown field '%s'", key);
		return fault(c, 400, err, NULL);
	}
	v = json_object_get(j, "action_type");
	if (!json_is_string(v))
		return fault(c, 400,
		             "actions: 'action_type' (a string: InstanceStart, Pause, Resume or "
		             "Stop) is required",
		             NULL);
	a = json_string_value(v);
	if (!strcmp(a, actions[0]))
		st = host_start(h, id, err, sizeof(err));
	else if (!strcmp(a, actions[1]))
		st = host_pause(h, id, err, sizeof(err));
	else if (!strcmp(a, actions[2]))
		st = host_resume(h, id, err, sizeof(err));
	else if (!strcmp(a, actions[3]))
		st = host_stop(h, id, err, sizeof(err));
	else {
		snprintf(err, sizeof(err),
		         "actions: unknown action_type '%.100s' (known: InstanceStart, Pause, "
		         "Resume, Stop)",
		         a);
		return fault(c, 400, err, NULL);
	}
	return done(c, st, err);
}

/* PATCH /vms/{id} {"state": "Paused" | "Resumed"} (Firecracker's PATCH /vm). */
static enum MHD_Result do_patch(struct host *h, struct MHD_Connection *c, const char *id, json_t *j)
{
	char err[512];
	const char *key, *s;
	json_t *v;

	json_object_foreach(j, key, v) if (strcmp(key, "state"))
	{
		snprintf(err, sizeof(err), "unknown field '%s' (only 'state' can change)", key);
		return fault(c, 400, err, NULL);
	}
	v = json_object_get(j, "state");
	if (!json_is_string(v))
		return fault(c, 400, "'state' (a string: Paused or Resumed) is required", NULL);
	s = json_string_value(v);
	if (!strcmp(s, "Paused"))
		return done(c, host_pause(h, id, err, sizeof(err)), err);
	if (!strcmp(s, "Resumed"))
		return done(c, host_resume(h, id, err, sizeof(err)), err);
	snprintf(err, sizeof(err), "'state' must be Paused or Resumed, not '%.100s'", s);
	return fault(c, 400, err, NULL);
}

static enum MHD_Result do_create(struct host *h, struct MHD_Connection *c, struct req *rq)
{
	struct hvm_config cfg = { 0 };
	char err[512], id[HVM_ID_MAX] = "", out[HVM_ID_MAX];
	enum MHD_Result ret;
	json_t *j = NULL;
	int st;

	if (rq->len) {
		j = body_json(c, rq, &ret);
		if (!j)
			return ret;
		if (hvm_config_parse(&cfg, NULL, j, id, err, sizeof(err))) {
			json_decref(j);
			hvm_config_free(&cfg);
			return fault(c, 400, err, NULL);
		}
		json_decref(j);
	}
	st = host_create(h, id, &cfg, err, sizeof(err), out);
	hvm_config_free(&cfg);
	if (st >= 400)
		return fault(c, (unsigned)st, err, NULL);
	return reply_json(c, 201, json_pack("{s:s}", "id", out));
}

static enum MHD_Result route(struct host *h, struct MHD_Connection *c, const char *method,
                             const char *url, struct req *rq)
{
	char path[512], *parts[5], *save = NULL, *p, err[512];
	bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT");
	enum MHD_Result ret;
	unsigned n = 0;
	json_t *j;
	int st;

	if (strlen(url) >= sizeof(path))
		return fault(c, 414, "the URL is too long", NULL);
	snprintf(path, sizeof(path), "%s", url);
	for (p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == 5)
			return fault(c, 404, "no such resource", NULL);
		parts[n++] = p;
	}
	if (n == 0) {
		if (!get)
			return method_not_allowed(c, method, url, "GET");
		return reply_json(c, 200,
		                  json_pack("{s:s, s:s}", "service", "rvisor", "api", "v1"));
	}
	if (n == 1 && !strcmp(parts[0], "metrics")) {
		char *m;

		if (!get)
			return method_not_allowed(c, method, url, "GET");
		m = host_metrics(h);
		if (!m)
			return fault(c, 500, "out of memory", NULL);
		return reply(c, 200, "text/plain; version=0.0.4", m, NULL);
	}
	if (strcmp(parts[0], "vms")) {
		snprintf(err, sizeof(err), "no such resource: %.200s", url);
		return fault(c, 404, err, NULL);
	}
	if (n == 1) {
		if (get)
			return reply_json(c, 200, host_list_json(h));
		if (!strcmp(method, "POST"))
			return do_create(h, c, rq);
		return method_not_allowed(c, method, url, "GET, POST");
	}
	if (n == 2) {
		if (get) {
			j = host_vm_json(h, parts[1], &st);
			if (!j)
				goto novm;
			return reply_json(c, 200, j);
		}
		if (!strcmp(method, "DELETE"))
			return done(c, host_delete(h, parts[1], err, sizeof(err)), err);
		if (!strcmp(method, "PATCH")) {
			j = body_json(c, rq, &ret);
			if (!j)
				return ret;
			ret = do_patch(h, c, parts[1], j);
			json_decref(j);
			return ret;
		}
		return method_not_allowed(c, method, url, "GET, PATCH, DELETE");
	}
	if (n == 3 && (!strcmp(parts[2], "stats") || !strcmp(parts[2], "console"))) {
		if (!get)
			return method_not_allowed(c, method, url, "GET");
		j = parts[2][0] == 's' ? host_stats_json(h, parts[1], &st)
		                       : host_console_json(h, parts[1], &st);
		if (!j)
			goto novm;
		return reply_json(c, 200, j);
	}
	if (n == 3 && !strcmp(parts[2], "actions")) {
		if (!put)
			return method_not_allowed(c, method, url, "PUT");
		j = body_json(c, rq, &ret);
		if (!j)
			return ret;
		ret = do_action(h, c, parts[1], j);
		json_decref(j);
		return ret;
	}
	if ((n == 3 && (!strcmp(parts[2], "machine-config") || !strcmp(parts[2], "boot-source"))) ||
	    (n == 4 && (!strcmp(parts[2], "drives") || !strcmp(parts[2], "network-interfaces")))) {
		const char *idkey = parts[2][0] == 'd' ? "drive_id" : "iface_id";

		if (!put && !(n == 3 && !strcmp(method, "PATCH")))
			return method_not_allowed(c, method, url, n == 3 ? "PUT, PATCH" : "PUT");
		j = body_json(c, rq, &ret);
		if (!j)
			return ret;
		if (n == 4) {
			json_t *id = json_object_get(j, idkey);

			if (!id) {
				json_object_set_new(j, idkey, json_string(parts[3]));
			} else if (!json_is_string(id) || strcmp(json_string_value(id), parts[3])) {
				json_decref(j);
				snprintf(err, sizeof(err),
				         "'%s' in the body differs from the URL's '%.60s'", idkey,
				         parts[3]);
				return fault(c, 400, err, NULL);
			}
		}
		st = host_configure(h, parts[1], parts[2], j, err, sizeof(err));
		json_decref(j);
		return done(c, st, err);
	}
	snprintf(err, sizeof(err), "no such resource: %.200s", url);
	return fault(c, 404, err, NULL);
novm:
	snprintf(err, sizeof(err), "no VM '%.60s'", parts[1]);
	return fault(c, 404, err, NULL);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		if (cl && strtoull(cl, NULL, 10) > BODY_LIMIT)
			rq->too_big = true;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && rq->len + *upload_size <= BODY_LIMIT) {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			rq->body = nb;
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		} else {
			rq->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big) {
		char msg[100];

		snprintf(msg, sizeof(msg), "the request body is larger than %d bytes", BODY_LIMIT);
		return fault(c, 413, msg, NULL);
	}
	return route(cls, c, method, url, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

/* VMs from --config: a JSON list of VM descriptions, or {"vms": [...]}; each starts. */
static int load_config(struct host *h, const char *file)
{
	json_error_t e;
	json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &e), *list, *vmj;
	char err[512], id[HVM_ID_MAX], out[HVM_ID_MAX];
	size_t i;
	int rc = 0;

	if (!j) {
		fprintf(stderr, "rvisor: %s:%d:%d: %s\n", file, e.line, e.column, e.text);
		return -1;
	}
	list = json_is_array(j) ? j : json_object_get(j, "vms");
	if (!json_is_array(list) || (!json_is_array(j) && json_object_size(j) != 1)) {
		fprintf(stderr, "rvisor: %s: expected a list of VMs or {\"vms\": [...]}\n", file);
		json_decref(j);
		return -1;
	}
	json_array_foreach(list, i, vmj)
	{
		struct hvm_config cfg = { 0 };

		id[0] = '\0';
		if (hvm_config_parse(&cfg, NULL, vmj, id, err, sizeof(err)) ||
		    host_create(h, id, &cfg, err, sizeof(err), out) >= 400 ||
		    host_start(h, out, err, sizeof(err)) >= 400) {
			fprintf(stderr, "rvisor: %s: VM %zu: %s\n", file, i, err);
			hvm_config_free(&cfg);
			rc = -1;
			break;
		}
		hvm_config_free(&cfg);
		fprintf(stderr, "rvisor: started VM '%s'\n", out);
	}
	json_decref(j);
	return rc;
}

static void host_usage(FILE *f)
{
	fprintf(f, "usage: rvisor host --api-sock PATH [--config FILE.json]\n"
	           "\n"
	           "  Host any number of VMs in this process, managed through an HTTP/JSON API\n"
	           "  on the Unix socket PATH (docs/api.md). Each VM's console is the Unix\n"
	           "  socket PATH.<id>.console. --config starts the VMs listed in FILE.json.\n"
	           "  SIGINT/SIGTERM stop every VM and exit.\n");
}

int cmd_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api-sock", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct MHD_Daemon *d;
	struct host *h;
	sigset_t set;
	int c, fd, sig, rc = 0;

	while ((c = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'h': host_usage(stdout); return 0;
		default: host_usage(stderr); return 2;
		}
	}
	if (!sock || optind < argc) {
		host_usage(stderr);
		return 2;
	}
	if (strlen(sock) >= sizeof(a.sun_path) - 24) {
		fprintf(stderr, "rvisor: --api-sock: path too long (at most %zu bytes)\n",
		        sizeof(a.sun_path) - 25);
		return 2;
	}
	/* Signals go to the main thread's sigwait only; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Bound under a temporary name and renamed once listening and once the
	 * --config VMs exist: the path appears ready, with those VMs in place.
	 */
	snprintf(a.sun_path, sizeof(a.sun_path), "%s.%d.tmp", sock, (int)getpid());
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(a.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		fprintf(stderr, "rvisor: cannot listen on '%s': %s\n", sock, strerror(errno));
		unlink(a.sun_path);
		return 2;
	}
	h = calloc(1, sizeof(*h));
	if (!h || host_init(h, sock)) {
		fprintf(stderr, "rvisor: cannot start the host\n");
		unlink(a.sun_path);
		return 2;
	}
	/* One API thread: requests are handled one at a time, in order. */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     handler, h, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
	                     completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	                     MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "rvisor: cannot start the API server\n");
		unlink(a.sun_path);
		host_shutdown(h);
		free(h);
		return 2;
	}
	if (config && load_config(h, config))
		rc = 2;
	if (!rc && rename(a.sun_path, sock)) {
		fprintf(stderr, "rvisor: cannot listen on '%s': %s\n", sock, strerror(errno));
		rc = 2;
	}
	unlink(a.sun_path); /* only left when the rename did not happen */
	if (!rc) {
		fprintf(stderr, "rvisor: API on %s\n", sock);
		sigwait(&set, &sig);
		fprintf(stderr, "rvisor: signal %d: stopping every VM\n", sig);
	}
	MHD_stop_daemon(d);
	close(fd);
	unlink(sock);
	host_shutdown(h);
	free(h);
	return rc;
}
