// SPDX-License-Identifier: MIT
/*
 * A tap device: the guest's frames appear on a host network interface
 * (IFF_TAP, no packet-information header), which the host administrator
 * addresses, bridges or routes. Attaching creates the interface when it does
 * not exist (needs CAP_NET_ADMIN) or attaches to a persistent one made
 * beforehand with `ip tuntap add NAME mode tap user USER` (no privilege).
 *
 * Threads: send() writes the frame straight to the tap file descriptor from
 * the device's thread (each write is one frame; the kernel serialises them).
 * A receive thread polls the descriptor and an eventfd (rx_ready, close),
 * reads one frame at a time and gives it to rx(). On -EAGAIN it keeps that
 * frame and stops reading the tap until rx_ready(); the kernel queues (and,
 * past the interface's txqueuelen, drops) what arrives meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/net.h"

#define TAP_READ_BURST 64 /* frames read per wakeup before polling the eventfd again */
#define ETH_HLEN       14

struct net_tap {
	struct net_backend nb;
	int fd, efd;
	pthread_t thread;
	bool started;
	net_rx_fn rx;
	void *rx_opaque;
	atomic_bool stop, rx_kick;
	/* The receive thread's own. */
	uint8_t *buf;
	size_t held; /* length of the frame in buf that rx() refused; 0: none */
	bool error_shown;
};

static void stat_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void tap_wake(struct net_tap *t)
{
	uint64_t one = 1;

	if (write(t->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("rvisor: tap: eventfd");
}

/* 0: delivered or dropped; -EAGAIN: the guest has no buffer, keep the frame. */
static int tap_deliver(struct net_tap *t, size_t len)
{
	struct iovec iov = { .iov_base = t->buf, .iov_len = len };
	int r = t->rx(t->rx_opaque, NULL, &iov, 1);

	if (r == -EAGAIN)
		return r;
	if (r == 0) {
		stat_add(&t->nb.stats.rx_frames, 1);
		stat_add(&t->nb.stats.rx_bytes, len);
	} else {
		stat_add(&t->nb.stats.rx_drops, 1);
	}
	return 0;
}

static void tap_read_burst(struct net_tap *t)
{
	for (int i = 0; i < TAP_READ_BURST; i++) {
		ssize_t n = read(t->fd, t->buf, NET_MAX_FRAME);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && !t->error_shown) {
				fprintf(stderr, "rvisor: %s: read: %s\n", t->nb.desc,
				        strerror(errno));
				t->error_shown = true;
			}
			return;
		}
		if (n < ETH_HLEN) {
			stat_add(&t->nb.stats.rx_drops, 1);
			continue;
		}
		if (tap_deliver(t, (size_t)n) == -EAGAIN) {
			t->held = (size_t)n;
			return;
		}
	}
}

static void *tap_loop(void *arg)
{
	struct net_tap *t = arg;

	while (!atomic_load(&t->stop)) {
		struct pollfd pfd[2] = {
			{ .fd = t->efd, .events = POLLIN },
			{ .fd = t->fd, .events = POLLIN },
		};

		if (atomic_exchange(&t->rx_kick, false) && t->held && tap_deliver(t, t->held) == 0)
			t->held = 0;
		/* While a frame is held, only rx_ready or close wakes the thread. */
		if (poll(pfd, t->held ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("rvisor: tap: poll");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(t->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				perror("rvisor: tap: eventfd");
		}
		if (!t->held && (pfd[1].revents & (POLLIN | POLLERR)))
			tap_read_burst(t);
		if (pfd[1].revents & (POLLHUP | POLLNVAL)) {
			fprintf(stderr, "rvisor: %s: the interface went away; no more receive\n",
			        t->nb.desc);
			break;
		}
	}
	return NULL;
}

static int tap_start(struct net_backend *nb, net_rx_fn rx, void *opaque)
{
	struct net_tap *t = (struct net_tap *)nb;
	sigset_t all, old;
	int rc;

	if (t->started)
		return -EBUSY;
	t->rx = rx;
	t->rx_opaque = opaque;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->thread, NULL, tap_loop, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(t->thread, "net-tap");
	t->started = true;
	return 0;
}

static int tap_send(struct net_backend *nb, const struct net_vhdr *vh, const struct iovec *iov,
                    int iovcnt)
{
	struct net_tap *t = (struct net_tap *)nb;
	size_t len = 0;
	ssize_t n;

	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		stat_add(&nb->stats.tx_drops, 1);
		return -EINVAL;
	}
	for (int i = 0; i < iovcnt && len <= NET_MAX_FRAME; i++)
		len += iov[i].iov_len > NET_MAX_FRAME ? NET_MAX_FRAME + 1 : iov[i].iov_len;
	if (len < ETH_HLEN || len > NET_MAX_FRAME) {
		stat_add(&nb->stats.tx_drops, 1);
		return -EINVAL;
	}
	do
		n = writev(t->fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* EAGAIN: the host side is congested; EIO: the interface is down. */
		int e = errno == EAGAIN ? ENOBUFS : errno;

		stat_add(&nb->stats.tx_drops, 1);
		return -e;
	}
	stat_add(&nb->stats.tx_frames, 1);
	stat_add(&nb->stats.tx_bytes, len);
	return 0;
}

static void tap_rx_ready(struct net_backend *nb)
{
	struct net_tap *t = (struct net_tap *)nb;

	atomic_store(&t->rx_kick, true);
	tap_wake(t);
}

static void tap_close(struct net_backend *nb)
{
	struct net_tap *t = (struct net_tap *)nb;

	if (t->started) {
		atomic_store(&t->stop, true);
		tap_wake(t);
		pthread_join(t->thread, NULL);
	}
	if (t->fd >= 0)
		close(t->fd);
	if (t->efd >= 0)
		close(t->efd);
	free(t->buf);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.start = tap_start,
	.send = tap_send,
	.rx_ready = tap_rx_ready,
	.close = tap_close,
};

static int tap_attach(struct net_tap *t, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int e;

	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		e = errno;
		if (e == ENOENT)
			snprintf(err, errlen,
			         "tap %s: /dev/net/tun does not exist (no tun driver here; "
			         "`modprobe tun`, or give the container the device)",
			         name);
		else
			snprintf(err, errlen, "tap %s: cannot open /dev/net/tun: %s", name,
			         strerror(e));
		return -e;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		if (e == EPERM)
			snprintf(err, errlen,
			         "tap %s: not allowed: creating a tap needs CAP_NET_ADMIN; or make "
			         "it once as root with `ip tuntap add %s mode tap user USER`",
			         name, name);
		else if (e == EBUSY)
			snprintf(err, errlen, "tap %s: in use by another program", name);
		else if (e == EINVAL)
			snprintf(err, errlen,
			         "tap %s: an interface of that name exists and is not a tap", name);
		else
			snprintf(err, errlen, "tap %s: TUNSETIFF: %s", name, strerror(e));
		return -e;
	}
	return 0;
}

int net_tap_open(const struct net_config *cfg, struct net_backend **out, char *err, size_t errlen)
{
	struct net_tap *t;
	int rc;

	*out = NULL;
	if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= IFNAMSIZ ||
	    strchr(cfg->name, '/') || strchr(cfg->name, ' ')) {
		snprintf(err, errlen, "tap: need an interface name of 1 to %d characters, no '/'",
		         IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (cfg->nhostfwd) {
		snprintf(err, errlen, "tap %s: hostfwd is for user networking only", cfg->name);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "tap: out of memory");
		return -ENOMEM;
	}
	t->nb.ops = &tap_ops;
	t->fd = -1;
	snprintf(t->nb.desc, sizeof(t->nb.desc), "tap=%s", cfg->name);
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->buf = malloc(NET_MAX_FRAME);
	if (t->efd < 0 || !t->buf) {
		rc = t->efd < 0 ? -errno : -ENOMEM;
		snprintf(err, errlen, "tap %s: %s", cfg->name, strerror(-rc));
		goto fail;
	}
	rc = tap_attach(t, cfg->name, err, errlen);
	if (rc)
		goto fail;
	*out = &t->nb;
	return 0;
fail:
	tap_close(&t->nb);
	return rc;
}
