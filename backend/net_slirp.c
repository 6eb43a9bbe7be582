// SPDX-License-Identifier: MIT
/*
 * User-mode networking through libslirp: the guest sits alone on a private
 * network and reaches the host and beyond through the host's own sockets,
 * with no privileges. The layout is QEMU's, so guides written for QEMU's
 * "-netdev user" apply:
 *
 *   10.0.2.0/24    the guest network
 *   10.0.2.2       the gateway; it is also the host (10.0.2.2:PORT reaches
 *                  127.0.0.1:PORT on the host)
 *   10.0.2.3       the DNS server (forwards to the host's resolver)
 *   10.0.2.15      the guest's DHCP address (the first of the DHCP range)
 *   fec0::/64      IPv6 prefix, with fec0::2 the host, fec0::3 DNS
 *
 * Host port forwards listen on host_addr:host_port (host_addr 0 is every
 * host address, 0.0.0.0; 127.0.0.1 keeps the port private to this host) and
 * connect to 10.0.2.15:guest_port, TCP or UDP.
 *
 * Threads. libslirp is not thread-safe, so one thread, the backend's loop,
 * makes every slirp_* call once started (slirp_new before it starts and
 * slirp_cleanup after it is joined are ordered by pthread_create/join).
 * send() runs on the device's thread: it copies the frame into a bounded
 * queue under a mutex and kicks the loop through an eventfd, so the device
 * never waits for slirp and rx() is only ever called from the loop. The
 * loop polls that eventfd with slirp's sockets, runs slirp's timers, feeds
 * queued frames to slirp_input() and hands slirp's frames to rx().
 *
 * Receive back pressure. slirp's send_packet cannot be deferred: when rx()
 * says -EAGAIN the frame is kept in a bounded queue, more frames join it,
 * and the queue drains in order once the device calls rx_ready(). Frames
 * beyond the bound are dropped and counted (rx_drops); TCP recovers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "backend/net.h"

#define SLIRP_TXQ_MAX      1024      /* guest frames queued ahead of the loop */
#define SLIRP_TXQ_BYTES    (8 << 20) /* and their bytes (a hostile guest's frames are 64 KiB) */
#define SLIRP_RXQ_MAX      256       /* slirp frames held while the guest has no buffers */
#define GUEST_ERRORS_SHOWN 10        /* guest misbehaviour messages printed, then counted */
#define TIMERS_PER_TURN    16        /* timer callbacks run per loop turn, at most */
#define ETH_HLEN           14

#define NET_ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define SLIRP_NETWORK        NET_ADDR(10, 0, 2, 0)
#define SLIRP_NETMASK        NET_ADDR(255, 255, 255, 0)
#define SLIRP_HOST           NET_ADDR(10, 0, 2, 2)
#define SLIRP_DNS            NET_ADDR(10, 0, 2, 3)
#define SLIRP_GUEST          NET_ADDR(10, 0, 2, 15)

struct frame {
	struct frame *next;
	size_t len;
	uint8_t data[];
};

struct fqueue {
	struct frame *head, **tail;
	unsigned n;
	size_t bytes;
};

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct net_slirp {
	struct net_backend nb;
	Slirp *slirp;
	int efd; /* wakes the loop: a queued frame, rx_ready, close, slirp's notify */
	pthread_t thread;
	bool started;
	net_rx_fn rx;
	void *rx_opaque;
	atomic_bool stop, rx_kick;

	pthread_mutex_t txlock;
	struct fqueue txq; /* under txlock */

	/* The loop's own (the opening thread's before start, the closing one's after join). */
	struct fqueue rxq;
	bool rx_blocked;
	struct pollfd *pfd;
	unsigned npfd, pfdcap;
	struct slirp_timer *timers;
	unsigned guest_errors;
};

static void fq_init(struct fqueue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
	q->bytes = 0;
}

static void fq_push(struct fqueue *q, struct frame *f)
{
	f->next = NULL;
	*q->tail = f;
	q->tail = &f->next;
	q->n++;
	q->bytes += f->len;
}

static struct frame *fq_pop(struct fqueue *q)
{
	struct frame *f = q->head;

	if (f) {
		q->head = f->next;
		if (!q->head)
			q->tail = &q->head;
		q->n--;
		q->bytes -= f->len;
	}
	return f;
}

static void fq_free(struct fqueue *q)
{
	struct frame *f;

	while ((f = fq_pop(q)))
		free(f);
}

static void stat_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void slirp_wake(struct net_slirp *s)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the loop will wake anyway. */
	if (write(s->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("rvisor: user network: eventfd");
}

/* ---- receive: slirp -> guest (loop thread) ---- */

static int deliver(struct net_slirp *s, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	int r = s->rx(s->rx_opaque, NULL, &iov, 1);

	if (r == 0) {
		stat_add(&s->nb.stats.rx_frames, 1);
		stat_add(&s->nb.stats.rx_bytes, len);
	} else if (r != -EAGAIN) {
		stat_add(&s->nb.stats.rx_drops, 1);
	}
	return r;
}

/* Deliver held frames in order until the guest runs out of buffers again. */
static void rxq_flush(struct net_slirp *s)
{
	while (s->rxq.head) {
		struct frame *f = s->rxq.head;

		if (deliver(s, f->data, f->len) == -EAGAIN) {
			s->rx_blocked = true;
			return;
		}
		free(fq_pop(&s->rxq));
	}
	s->rx_blocked = false;
}

static bool rxq_hold(struct net_slirp *s, const void *buf, size_t len)
{
	struct frame *f;

	if (s->rxq.n >= SLIRP_RXQ_MAX || !(f = malloc(sizeof(*f) + len)))
		return false;
	f->len = len;
	memcpy(f->data, buf, len);
	fq_push(&s->rxq, f);
	return true;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	if (!s->rx || len > NET_MAX_FRAME) {
		stat_add(&s->nb.stats.rx_drops, 1);
		return (ssize_t)len;
	}
	if (!s->rx_blocked && !s->rxq.head) {
		if (deliver(s, buf, len) != -EAGAIN)
			return (ssize_t)len;
		s->rx_blocked = true;
	}
	if (!rxq_hold(s, buf, len))
		stat_add(&s->nb.stats.rx_drops, 1);
	return (ssize_t)len;
}

/* ---- slirp's other callbacks (loop thread, or the opening/closing thread) ---- */

static void cb_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->guest_errors++ < GUEST_ERRORS_SHOWN)
		fprintf(stderr, "rvisor: user network: guest error: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	/* Sockets are polled through slirp_pollfds_fill on every loop turn. */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
	slirp_wake(opaque);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
};

/* ---- the loop ---- */

static int add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	short ev = 0;

	if (s->npfd == s->pfdcap) {
		unsigned cap = s->pfdcap ? 2 * s->pfdcap : 64;
		struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));

		if (!p)
			return -1; /* slirp skips that socket this turn */
		s->pfd = p;
		s->pfdcap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short rev;
	int r = 0;

	if (idx < 0 || (unsigned)idx >= s->npfd)
		return 0;
	rev = s->pfd[idx].revents;
	if (rev & POLLIN)
		r |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (rev & POLLERR)
		r |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* Milliseconds until the next timer, at most slirp's own timeout; -1: none. */
static int next_timeout(struct net_slirp *s, uint32_t slirp_ms)
{
	int64_t now = cb_clock_get_ns(s) / 1000000;
	int64_t ms = slirp_ms == UINT32_MAX ? -1 : (int64_t)slirp_ms;

	for (struct slirp_timer *t = s->timers; t; t = t->next) {
		int64_t left;

		if (t->expire_ms < 0)
			continue;
		left = t->expire_ms > now ? t->expire_ms - now : 0;
		if (ms < 0 || left < ms)
			ms = left;
	}
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void run_timers(struct net_slirp *s)
{
	int64_t now = cb_clock_get_ns(s) / 1000000;
	bool again = true;

	/* A callback may re-arm or free timers: restart the walk after each one.
	 * The bound keeps one re-arming itself in the past from spinning here. */
	for (int n = 0; again && n < TIMERS_PER_TURN; n++) {
		again = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				t->cb(t->opaque);
				again = true;
				break;
			}
		}
	}
}

static void feed_slirp(struct net_slirp *s)
{
	struct fqueue q;
	struct frame *f;

	pthread_mutex_lock(&s->txlock);
	q = s->txq;
	if (!q.head)
		q.tail = &q.head;
	fq_init(&s->txq);
	pthread_mutex_unlock(&s->txlock);
	while ((f = fq_pop(&q))) {
		slirp_input(s->slirp, f->data, (int)f->len);
		free(f);
	}
}

static void *slirp_loop(void *arg)
{
	struct net_slirp *s = arg;

	while (!atomic_load(&s->stop)) {
		uint32_t slirp_ms = UINT32_MAX;
		int r;

		feed_slirp(s);
		if (atomic_exchange(&s->rx_kick, false) && s->rx_blocked)
			rxq_flush(s);

		s->npfd = 0;
		add_poll(s->efd, SLIRP_POLL_IN, s);
		if (s->npfd != 1)
			break; /* out of memory for even the eventfd: cannot run */
		slirp_pollfds_fill(s->slirp, &slirp_ms, add_poll, s);
		r = poll(s->pfd, s->npfd, next_timeout(s, slirp_ms));
		if (r > 0 && (s->pfd[0].revents & POLLIN)) {
			uint64_t v;

			if (read(s->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				perror("rvisor: user network: eventfd");
		}
		slirp_pollfds_poll(s->slirp, r < 0, get_revents, s);
		run_timers(s);
	}
	return NULL;
}

/* ---- the backend ops ---- */

static int slirp_start(struct net_backend *nb, net_rx_fn rx, void *opaque)
{
	struct net_slirp *s = (struct net_slirp *)nb;
	sigset_t all, old;
	int rc;

	if (s->started)
		return -EBUSY;
	s->rx = rx;
	s->rx_opaque = opaque;
	/* Signals are for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, slirp_loop, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(s->thread, "net-user");
	s->started = true;
	return 0;
}

static int slirp_send(struct net_backend *nb, const struct net_vhdr *vh, const struct iovec *iov,
                      int iovcnt)
{
	struct net_slirp *s = (struct net_slirp *)nb;
	struct frame *f;
	size_t len = 0, off = 0;
	bool was_empty;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > NET_MAX_FRAME - len) {
			len = NET_MAX_FRAME + 1;
			break;
		}
		len += iov[i].iov_len;
	}
	if (iovcnt < 0 || len < ETH_HLEN || len > NET_MAX_FRAME) {
		stat_add(&nb->stats.tx_drops, 1);
		return -EINVAL;
	}
	f = malloc(sizeof(*f) + len);
	if (!f) {
		stat_add(&nb->stats.tx_drops, 1);
		return -ENOMEM;
	}
	f->len = len;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	pthread_mutex_lock(&s->txlock);
	if (s->txq.n >= SLIRP_TXQ_MAX || s->txq.bytes + len > SLIRP_TXQ_BYTES) {
		pthread_mutex_unlock(&s->txlock);
		free(f);
		stat_add(&nb->stats.tx_drops, 1);
		return -ENOBUFS;
	}
	was_empty = !s->txq.head;
	fq_push(&s->txq, f);
	pthread_mutex_unlock(&s->txlock);
	/* The loop takes the whole queue at once: one kick per batch is enough. */
	if (was_empty)
		slirp_wake(s);
	stat_add(&nb->stats.tx_frames, 1);
	stat_add(&nb->stats.tx_bytes, len);
	return 0;
}

static void slirp_rx_ready(struct net_backend *nb)
{
	struct net_slirp *s = (struct net_slirp *)nb;

	atomic_store(&s->rx_kick, true);
	slirp_wake(s);
}

static void slirp_close(struct net_backend *nb)
{
	struct net_slirp *s = (struct net_slirp *)nb;

	if (s->started) {
		atomic_store(&s->stop, true);
		slirp_wake(s);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp); /* frees its timers through cb_timer_free */
	while (s->timers)
		cb_timer_free(s->timers, s);
	fq_free(&s->txq);
	fq_free(&s->rxq);
	pthread_mutex_destroy(&s->txlock);
	free(s->pfd);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.start = slirp_start,
	.send = slirp_send,
	.rx_ready = slirp_rx_ready,
	.close = slirp_close,
};

static struct in_addr ip4(uint32_t host_order)
{
	return (struct in_addr){ .s_addr = htonl(host_order) };
}

static int add_hostfwds(struct net_slirp *s, const struct net_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->nhostfwd; i++) {
		const struct net_hostfwd *h = &cfg->hostfwd[i];
		struct in_addr a = ip4(h->host_addr);
		char addr[INET_ADDRSTRLEN];
		int e;

		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		if (!h->host_port || !h->guest_port) {
			snprintf(err, errlen, "user network: hostfwd %s %s:%u-:%u: port 0",
			         h->udp ? "udp" : "tcp", addr, h->host_port, h->guest_port);
			return -EINVAL;
		}
		errno = 0;
		if (slirp_add_hostfwd(s->slirp, h->udp, a, h->host_port, ip4(SLIRP_GUEST),
		                      h->guest_port) < 0) {
			e = errno ? errno : EADDRINUSE;
			snprintf(err, errlen, "user network: cannot forward host %s %s:%u: %s",
			         h->udp ? "udp" : "tcp", addr, h->host_port, strerror(e));
			return -e;
		}
	}
	return 0;
}

int net_slirp_open(const struct net_config *cfg, struct net_backend **out, char *err, size_t errlen)
{
	struct net_slirp *s;
	SlirpConfig sc = {
		.version = 4,
		.in_enabled = true,
		.vnetwork = ip4(SLIRP_NETWORK),
		.vnetmask = ip4(SLIRP_NETMASK),
		.vhost = ip4(SLIRP_HOST),
		.in6_enabled = true,
		.vprefix_len = 64,
		.vdhcp_start = ip4(SLIRP_GUEST),
		.vnameserver = ip4(SLIRP_DNS),
	};
	int rc;

	*out = NULL;
	if (cfg->nhostfwd > NET_MAX_HOSTFWD) {
		snprintf(err, errlen, "user network: at most %d host forwards", NET_MAX_HOSTFWD);
		return -EINVAL;
	}
	inet_pton(AF_INET6, "fec0::", &sc.vprefix_addr6);
	inet_pton(AF_INET6, "fec0::2", &sc.vhost6);
	inet_pton(AF_INET6, "fec0::3", &sc.vnameserver6);

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "user network: out of memory");
		return -ENOMEM;
	}
	s->nb.ops = &slirp_ops;
	snprintf(s->nb.desc, sizeof(s->nb.desc), "user");
	pthread_mutex_init(&s->txlock, NULL);
	fq_init(&s->txq);
	fq_init(&s->rxq);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "user network: eventfd: %s", strerror(errno));
		goto fail;
	}
	s->slirp = slirp_new(&sc, &slirp_callbacks, s);
	if (!s->slirp) {
		rc = -ENOMEM;
		snprintf(err, errlen, "user network: libslirp %s would not start",
		         slirp_version_string());
		goto fail;
	}
	rc = add_hostfwds(s, cfg, err, errlen);
	if (rc)
		goto fail;
	*out = &s->nb;
	return 0;
fail:
	slirp_close(&s->nb);
	return rc;
}
