// SPDX-License-Identifier: MIT
/*
 * A virtual Ethernet switch shared by the VMs of one host (--net
 * switch=NAME), whether they run in one rvisor process or in several.
 *
 * Design. A switch is a directory, $XDG_RUNTIME_DIR/rvisor-switch/NAME
 * (or /tmp/rvisor-switch-UID/NAME), mode 0700. Each port (one virtio-net
 * device) is an AF_UNIX datagram socket bound in it as "PID.N". A frame
 * is one datagram, so frame boundaries need no framing of our own, and the
 * kernel carries frames between processes with no switch process to start,
 * supervise or leave behind.
 *
 * There is no central forwarding process: each port forwards the frames
 * of its own VM. It learns from the frames it receives (the sender's
 * address is the peer port, recvfrom() tells which): source MAC -> port.
 * A unicast frame to a learned MAC goes to that port only; broadcast,
 * multicast and unknown unicast frames are flooded to every other port in
 * the directory. Together the ports behave as one learning switch: the
 * first frame of a conversation (ARP) is a broadcast, so each side has
 * learned the other before it sends unicast to it.
 *
 * Ports come and go. The port list is read again when the directory
 * changes (its mtime). A port left behind by a process that died is
 * removed when a port opens (its PID is gone) or when a send finds no one
 * bound to it (ECONNREFUSED); MACs learned on a port that went away are
 * forgotten.
 *
 * Backpressure. The receiving port's thread stops reading while its guest
 * has no receive buffer (rx() returned -EAGAIN), so its socket queue fills
 * and the sender's unicast sendmsg() waits (SO_SNDTIMEO, SEND_WAIT_MS):
 * TCP between two VMs is paced by the slower side instead of losing
 * frames. A port that stays full longer than that is stuck: the frame is
 * dropped and counted, so one stuck VM cannot stall the others for long.
 * Floods never wait. The receive thread sleeps in poll(); an eventfd wakes
 * it for rx_ready() and for close.
 *
 * Only the user who created a switch can join it (the directory is 0700).
 *
 * Datagram format (version 1): a SW_PREFIX-byte prefix, then the Ethernet
 * frame. Prefix: 'R', the version, then struct net_vhdr little-endian
 * (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset), so a guest
 * that left checksums or segmentation to the NIC has them done by the
 * receiving device, or by the receiving guest (offload = true). Datagrams
 * with another magic or version are dropped and counted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/net.h"
#include "backend/net_switch.h"

#define ETH_HLEN       14
#define MAC_TABLE_SIZE 256 /* direct mapped: a collision only costs a flood */
#define MAX_PORTS      64
#define PORT_NAME_MAX  24 /* "PID.N" */
#define SEND_WAIT_MS   200
#define SW_MAGIC       'R'
#define SW_VERSION     1
#define SW_PREFIX      12
#define SW_MAX_IOV     64

struct mac_entry {
	uint8_t mac[ETH_ALEN];
	bool used;
	char port[PORT_NAME_MAX];
};

struct sw_port {
	struct net_backend nb;
	int fd, evfd;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[PORT_NAME_MAX];
	pthread_t thread;
	bool started;
	_Atomic bool stop;
	net_rx_fn rx;
	void *opaque;
	uint8_t *rxbuf; /* receive thread */
	/* lock: the MAC table and the port list (receive thread learns, sender reads) */
	pthread_mutex_t lock;
	struct mac_entry macs[MAC_TABLE_SIZE];
	char ports[MAX_PORTS][PORT_NAME_MAX];
	unsigned nports;
	struct timespec dir_mtime;
	bool ports_valid;
};

static _Atomic unsigned port_counter;

static bool valid_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NET_SWITCH_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* "PID.N" port names; anything else in the directory is left alone. */
static bool parse_port_name(const char *s, pid_t *pid)
{
	char *end;
	long p = strtol(s, &end, 10);

	if (end == s || *end != '.' || p <= 0 || strlen(s) >= PORT_NAME_MAX)
		return false;
	s = end + 1;
	strtoul(s, &end, 10);
	if (end == s || *end)
		return false;
	*pid = (pid_t)p;
	return true;
}

int net_switch_dir(const char *name, char *buf, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (!valid_name(name)) {
		snprintf(err, errlen,
		         "switch name '%s': use 1-%d letters, digits, '-', '_' or '.' (not "
		         "starting with '.')",
		         name, NET_SWITCH_NAME_MAX);
		return -EINVAL;
	}
	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/rvisor-switch/%s", xdg, name);
	else
		n = snprintf(buf, len, "/tmp/rvisor-switch-%u/%s", (unsigned)getuid(), name);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "switch directory path too long for a socket address");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* mkdir, or an existing directory of ours that is not a symlink (/tmp is shared). */
static int make_private_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static int make_dirs(const char *dir)
{
	char parent[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	int rc;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	rc = make_private_dir(parent);
	return rc ? rc : make_private_dir(dir);
}

static int port_addr(const struct sw_port *p, const char *port, struct sockaddr_un *a)
{
	size_t d = strlen(p->dir), k = strlen(port);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (d + 1 + k >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, p->dir, d);
	a->sun_path[d] = '/';
	memcpy(a->sun_path + d + 1, port, k + 1);
	return 0;
}

/* Remove the sockets of ports whose process is gone. */
static void remove_dead_ports(struct sw_port *p)
{
	DIR *d = opendir(p->dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid;

		if (parse_port_name(e->d_name, &pid) && kill(pid, 0) && errno == ESRCH)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* The other ports, read again if the directory changed (lock held). */
static void refresh_ports(struct sw_port *p)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (stat(p->dir, &st))
		return;
	if (p->ports_valid && st.st_mtim.tv_sec == p->dir_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->dir_mtime.tv_nsec)
		return;
	d = opendir(p->dir);
	if (!d)
		return;
	p->nports = 0;
	while ((e = readdir(d)) && p->nports < MAX_PORTS) {
		pid_t pid;

		if (parse_port_name(e->d_name, &pid) && strcmp(e->d_name, p->name))
			memcpy(p->ports[p->nports++], e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	p->dir_mtime = st.st_mtim;
	p->ports_valid = true;
}

static unsigned mac_hash(const uint8_t *mac)
{
	return (mac[5] ^ (mac[4] * 7u) ^ (mac[3] * 31u) ^ (mac[2] * 131u)) % MAC_TABLE_SIZE;
}

/* Forget every MAC learned on a port (lock held). */
static void forget_port(struct sw_port *p, const char *port)
{
	unsigned i;

	for (i = 0; i < MAC_TABLE_SIZE; i++)
		if (p->macs[i].used && !strcmp(p->macs[i].port, port))
			p->macs[i].used = false;
	p->ports_valid = false;
}

/*
 * One frame to one port. 0, -EAGAIN when the port stayed full, or another
 * -errno (the port is gone: it is forgotten, and its socket removed if no
 * one is bound to it).
 */
static int send_to(struct sw_port *p, const char *port, const struct iovec *iov, int iovcnt,
                   bool wait)
{
	struct sockaddr_un a;
	struct msghdr m = {
		.msg_name = &a,
		.msg_namelen = sizeof(a),
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)iovcnt,
	};
	ssize_t n;

	if (port_addr(p, port, &a))
		return -ENAMETOOLONG;
	do
		n = sendmsg(p->fd, &m, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0;
	n = -errno;
	if (n == -EWOULDBLOCK)
		return -EAGAIN;
	if (n == -ECONNREFUSED || n == -ENOENT) {
		if (n == -ECONNREFUSED)
			unlink(a.sun_path);
		pthread_mutex_lock(&p->lock);
		forget_port(p, port);
		pthread_mutex_unlock(&p->lock);
	}
	return (int)n;
}

static size_t iov_bytes(const struct iovec *iov, int iovcnt, void *buf, size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < iovcnt && done < len; i++) {
		size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy((uint8_t *)buf + done, iov[i].iov_base, n);
		done += n;
	}
	return done;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static int sw_send(struct net_backend *nb, const struct net_vhdr *vh, const struct iovec *frame,
                   int framecnt)
{
	struct sw_port *p = (struct sw_port *)nb;
	char ports[MAX_PORTS][PORT_NAME_MAX], target[PORT_NAME_MAX] = "";
	uint8_t hdr[ETH_HLEN], prefix[SW_PREFIX] = { SW_MAGIC, SW_VERSION };
	struct iovec iov[SW_MAX_IOV + 1];
	unsigned i, nports = 0, sent = 0;
	int iovcnt = framecnt + 1;
	size_t len = 0;
	int rc = 0;

	if (framecnt < 0 || framecnt > SW_MAX_IOV) {
		atomic_fetch_add(&nb->stats.tx_drops, 1);
		return -EINVAL;
	}
	for (i = 0; i < (unsigned)framecnt; i++)
		len += frame[i].iov_len;
	if (len < ETH_HLEN || len > NET_MAX_FRAME) {
		atomic_fetch_add(&nb->stats.tx_drops, 1);
		return len < ETH_HLEN ? -EINVAL : -EMSGSIZE;
	}
	iov_bytes(frame, framecnt, hdr, sizeof(hdr));
	if (vh) {
		prefix[2] = vh->flags;
		prefix[3] = vh->gso_type;
		put16(prefix + 4, vh->hdr_len);
		put16(prefix + 6, vh->gso_size);
		put16(prefix + 8, vh->csum_start);
		put16(prefix + 10, vh->csum_offset);
	}
	iov[0] = (struct iovec){ .iov_base = prefix, .iov_len = sizeof(prefix) };
	memcpy(iov + 1, frame, (size_t)framecnt * sizeof(*frame));
	pthread_mutex_lock(&p->lock);
	if (!(hdr[0] & 1)) {
		struct mac_entry *e = &p->macs[mac_hash(hdr)];

		if (e->used && !memcmp(e->mac, hdr, ETH_ALEN))
			memcpy(target, e->port, sizeof(target));
	}
	pthread_mutex_unlock(&p->lock);

	if (target[0]) {
		rc = send_to(p, target, iov, iovcnt, true);
		/* A learned port that went away is forgotten: flood instead. */
		if (rc == -ENOENT || rc == -ECONNREFUSED) {
			target[0] = '\0';
			rc = 0;
		}
	}
	if (!target[0]) {
		pthread_mutex_lock(&p->lock);
		refresh_ports(p);
		nports = p->nports;
		memcpy(ports, p->ports, nports * sizeof(ports[0]));
		pthread_mutex_unlock(&p->lock);
		/* Broadcast, multicast or unknown unicast: every other port, none waited for. */
		for (i = 0; i < nports; i++) {
			int r = send_to(p, ports[i], iov, iovcnt, false);

			sent += r == 0;
			if (r && !rc)
				rc = r;
		}
		/* A switch with no other port, or whose ports are all gone, is not an error. */
		if (sent || rc != -EAGAIN)
			rc = 0;
	}
	if (rc) {
		atomic_fetch_add(&nb->stats.tx_drops, 1);
		return rc;
	}
	atomic_fetch_add(&nb->stats.tx_frames, 1);
	atomic_fetch_add(&nb->stats.tx_bytes, len);
	return 0;
}

/* Source MAC -> the port a frame came from. */
static void learn(struct sw_port *p, const uint8_t *src, const struct sockaddr_un *from,
                  socklen_t fromlen)
{
	const char *slash;
	struct mac_entry *e;
	pid_t pid;

	if ((src[0] & 1) || fromlen <= offsetof(struct sockaddr_un, sun_path) || !from->sun_path[0])
		return;
	slash = strrchr(from->sun_path, '/');
	if (!slash || !parse_port_name(slash + 1, &pid))
		return;
	pthread_mutex_lock(&p->lock);
	e = &p->macs[mac_hash(src)];
	if (!e->used || memcmp(e->mac, src, ETH_ALEN) || strcmp(e->port, slash + 1)) {
		memcpy(e->mac, src, ETH_ALEN);
		snprintf(e->port, sizeof(e->port), "%s", slash + 1);
		e->used = true;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Deliver a datagram (prefix + frame): 0 or a drop, or -EAGAIN (keep it until rx_ready). */
static int deliver(struct sw_port *p, size_t n)
{
	const uint8_t *b = p->rxbuf;
	size_t len = n - SW_PREFIX;
	struct iovec iov = { .iov_base = p->rxbuf + SW_PREFIX, .iov_len = len };
	struct net_vhdr vh = {
		.flags = b[2],
		.gso_type = b[3],
		.hdr_len = get16(b + 4),
		.gso_size = get16(b + 6),
		.csum_start = get16(b + 8),
		.csum_offset = get16(b + 10),
	};
	int rc = p->rx(p->opaque, vh.flags || vh.gso_type ? &vh : NULL, &iov, 1);

	if (rc == -EAGAIN)
		return rc;
	if (rc) {
		atomic_fetch_add(&p->nb.stats.rx_drops, 1);
	} else {
		atomic_fetch_add(&p->nb.stats.rx_frames, 1);
		atomic_fetch_add(&p->nb.stats.rx_bytes, len);
	}
	return 0;
}

static void *sw_rx_thread(void *arg)
{
	struct sw_port *p = arg;
	size_t held = 0; /* length of the frame the guest had no room for */

	while (!atomic_load(&p->stop)) {
		struct pollfd pfd[2] = {
			{ .fd = p->evfd, .events = POLLIN },
			{ .fd = p->fd, .events = POLLIN },
		};
		uint64_t v;

		/* While a frame waits for guest buffers, only rx_ready or close wake us. */
		if (poll(pfd, held ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(p->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
		}
		if (atomic_load(&p->stop))
			break;
		if (held) {
			if (deliver(p, held) == -EAGAIN)
				continue;
			held = 0;
		}
		for (;;) {
			struct sockaddr_un from;
			socklen_t fromlen = sizeof(from);
			ssize_t n =
			    recvfrom(p->fd, p->rxbuf, SW_PREFIX + NET_MAX_FRAME + 1,
			             MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fromlen);

			if (n < 0)
				break; /* EAGAIN: drained; back to poll */
			if (n < SW_PREFIX + ETH_HLEN || n > SW_PREFIX + NET_MAX_FRAME ||
			    p->rxbuf[0] != SW_MAGIC || p->rxbuf[1] != SW_VERSION) {
				atomic_fetch_add(&p->nb.stats.rx_drops, 1);
				continue;
			}
			learn(p, p->rxbuf + SW_PREFIX + ETH_ALEN, &from, fromlen);
			if (deliver(p, (size_t)n) == -EAGAIN) {
				held = (size_t)n;
				break;
			}
		}
	}
	return NULL;
}

static void wake(struct sw_port *p)
{
	uint64_t one = 1;

	if (write(p->evfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will wake anyway. */
	}
}

static int sw_start(struct net_backend *nb, net_rx_fn rx, void *opaque)
{
	struct sw_port *p = (struct sw_port *)nb;
	sigset_t all, old;
	int rc;

	p->rx = rx;
	p->opaque = opaque;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&p->thread, NULL, sw_rx_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(p->thread, "net-switch");
	p->started = true;
	return 0;
}

static void sw_rx_ready(struct net_backend *nb)
{
	wake((struct sw_port *)nb);
}

static void sw_close(struct net_backend *nb)
{
	struct sw_port *p = (struct sw_port *)nb;
	struct sockaddr_un a;

	if (p->started) {
		atomic_store(&p->stop, true);
		wake(p);
		pthread_join(p->thread, NULL);
	}
	if (p->fd >= 0) {
		if (!port_addr(p, p->name, &a))
			unlink(a.sun_path);
		close(p->fd);
	}
	if (p->evfd >= 0)
		close(p->evfd);
	pthread_mutex_destroy(&p->lock);
	free(p->rxbuf);
	free(p);
}

static const struct net_backend_ops sw_ops = {
	.start = sw_start,
	.send = sw_send,
	.rx_ready = sw_rx_ready,
	.close = sw_close,
};

int net_switch_open(const struct net_config *cfg, struct net_backend **out, char *err,
                    size_t errlen)
{
	struct sw_port *p;
	struct sockaddr_un a;
	struct timeval tv = { .tv_sec = 0, .tv_usec = SEND_WAIT_MS * 1000 };
	int rc, sndbuf = 1 << 20;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->fd = p->evfd = -1;
	p->nb.ops = &sw_ops;
	p->nb.offload = true;
	pthread_mutex_init(&p->lock, NULL);
	snprintf(p->nb.desc, sizeof(p->nb.desc), "switch=%s", cfg->name ? cfg->name : "");
	rc = net_switch_dir(cfg->name ? cfg->name : "", p->dir, sizeof(p->dir) - PORT_NAME_MAX, err,
	                    errlen);
	if (rc)
		goto fail;
	rc = make_dirs(p->dir);
	if (rc) {
		snprintf(err, errlen, "switch '%s': cannot use directory %s: %s", cfg->name, p->dir,
		         rc == -EPERM ? "not a private directory of this user" : strerror(-rc));
		goto fail;
	}
	remove_dead_ports(p);
	snprintf(p->name, sizeof(p->name), "%d.%u", (int)getpid(),
	         atomic_fetch_add(&port_counter, 1));
	p->rxbuf = malloc(SW_PREFIX + NET_MAX_FRAME + 1);
	p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	p->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->rxbuf || p->fd < 0 || p->evfd < 0) {
		rc = p->rxbuf ? -errno : -ENOMEM;
		snprintf(err, errlen, "switch '%s': %s", cfg->name, strerror(-rc));
		goto fail;
	}
	/* Best effort: room for a few large frames in flight, and a bounded wait. */
	setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	port_addr(p, p->name, &a);
	unlink(a.sun_path); /* a port of an earlier process with our PID */
	if (bind(p->fd, (struct sockaddr *)&a, sizeof(a))) {
		rc = -errno;
		snprintf(err, errlen, "switch '%s': cannot bind %s: %s", cfg->name, a.sun_path,
		         strerror(-rc));
		goto fail;
	}
	*out = &p->nb;
	return 0;
fail:
	if (p->fd >= 0)
		close(p->fd);
	if (p->evfd >= 0)
		close(p->evfd);
	pthread_mutex_destroy(&p->lock);
	free(p->rxbuf);
	free(p);
	return rc;
}
