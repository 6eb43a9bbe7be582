// SPDX-License-Identifier: MIT
/*
 * virtio-console (virtio 1.2, 5.3), a single console port. A malformed
 * chain makes the device need a reset; nothing the guest puts in the rings
 * is trusted (the virtqueue library checks every descriptor).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/iov.h"
#include "dev/virtio_console.h"
#include "vmm/console.h"
#include "vmm/dma_race.h"

/* 5.3.4 Device configuration layout */
struct virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
};

/*
 * SIGWINCH goes to the process: its handler only writes a byte to the pipe
 * of the (one) console device that follows the terminal. Async-signal-safe.
 */
static _Atomic int winch_fd = -1;

static void on_winch(int sig)
{
	int fd = atomic_load(&winch_fd), e = errno;

	(void)sig;
	if (fd >= 0 && write(fd, "w", 1) < 0) {
		/* the pipe is full: a resize is pending anyway */
	}
	errno = e;
}

/* The terminal's size as cols | rows << 16; false if it has none. */
static bool tty_size(int fd, uint32_t *out)
{
	struct winsize ws;

	if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return false;
	*out = (uint32_t)ws.ws_col | (uint32_t)ws.ws_row << 16;
	return true;
}

static void *size_thread(void *arg)
{
	struct virtio_console *v = arg;
	uint8_t junk[64];

	for (;;) {
		struct pollfd p[2] = { { .fd = v->winch_pipe[0], .events = POLLIN },
			               { .fd = v->stop_pipe[0], .events = POLLIN } };
		uint32_t sz;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (read(v->winch_pipe[0], junk, sizeof(junk)) <= 0)
			continue;
		if (tty_size(v->tty_fd, &sz) && sz != atomic_exchange(&v->size, sz)) {
			atomic_fetch_add(&v->stats.resizes, 1);
			virtio_mmio_config_changed(
			    &v->mmio); /* 5.3.6: the driver rereads the size */
		}
	}
	return NULL;
}

/* transmitq: guest output. Readable buffers go to the terminal; used length 0. */
static const char *tx_handle(void *dev, const struct virtq_chain *c, uint32_t *used)
{
	struct virtio_console *v = dev;
	unsigned i;

	for (i = 0; i < c->nreadable; i++) {
		dma_race_begin();
		console_output(v->con, c->iov[i].iov_base, c->iov[i].iov_len);
		dma_race_end();
	}
	v->stats.tx_chains++;
	v->stats.tx_bytes += c->readable_len;
	*used = 0;
	return NULL;
}

static void tx_work(void *opaque)
{
	struct virtio_console *v = opaque;
	struct virtq_chain c = { .iov = v->tx_iov, .max = VIRTIO_CONSOLE_MAX_BUFS };

	virtio_mmio_serve(&v->mmio, VIRTIO_CONSOLE_TX_QUEUE, &c, tx_handle, v);
}

unsigned virtio_console_receive(void *opaque, const uint8_t *buf, unsigned n)
{
	struct virtio_console *v = opaque;
	struct virtq_chain c = { .iov = v->rx_iov, .max = VIRTIO_CONSOLE_MAX_BUFS };
	unsigned took = 0;
	struct virtq *vq;

	pthread_mutex_lock(&v->mmio.queue_lock);
	vq = virtio_mmio_queue(&v->mmio, VIRTIO_CONSOLE_RX_QUEUE);
	if (!vq) {
		/* No driver (yet, or it broke the device): nobody reads the input. */
		pthread_mutex_unlock(&v->mmio.queue_lock);
		v->stats.rx_dropped += n;
		return n;
	}
	/*
	 * Linux's hvc drops a size that arrives while no tty has the console open,
	 * as at probe time: say it again when the first input arrives.
	 */
	if (v->tty_fd >= 0 && !atomic_exchange(&v->size_announced, true))
		virtio_mmio_config_changed(&v->mmio);
	while (took < n) {
		int rc = virtq_pop(vq, &c);
		size_t k;

		if (rc == 0)
			break; /* no buffer: the rest waits (the input thread retries) */
		if (rc < 0) {
			virtio_mmio_needs_reset(&v->mmio, vq->error);
			break;
		}
		/* 5.3.6: receiveq buffers are device-writable. */
		if (c.nwritable == 0) {
			virtio_mmio_needs_reset(&v->mmio, "receive buffer is not device-writable");
			break;
		}
		k = iov_from_buf(c.iov + c.nreadable, c.nwritable, 0, buf + took, n - took);
		virtq_push(vq, c.head, (uint32_t)k);
		virtio_mmio_used(&v->mmio, VIRTIO_CONSOLE_RX_QUEUE);
		took += (unsigned)k;
		v->stats.rx_chains++;
		v->stats.rx_bytes += k;
	}
	pthread_mutex_unlock(&v->mmio.queue_lock);
	return took;
}

static void con_notify(void *dev, unsigned queue)
{
	struct virtio_console *v = dev;

	/* New receive buffers need nothing: waiting input is retried by the input thread. */
	if (queue == VIRTIO_CONSOLE_TX_QUEUE)
		iothread_kick(&v->io);
}

/* Device reset (queue_lock held). */
static void con_reset(void *dev)
{
	struct virtio_console *v = dev;

	atomic_store(&v->size_announced, false);
}

static void con_config_read(void *dev, uint32_t off, void *buf, unsigned len)
{
	struct virtio_console *v = dev;
	uint32_t sz = atomic_load(&v->size);
	struct virtio_console_config cfg = {
		.cols = htole16((uint16_t)sz),
		.rows = htole16((uint16_t)(sz >> 16)),
		.max_nr_ports = htole32(1),
	};

	memcpy(buf, (const uint8_t *)&cfg + off, len);
}

static const struct virtio_device_ops con_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.queue_size_max = VIRTIO_CONSOLE_QUEUE_SIZE,
	/* emerg_wr needs VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered: read-only */
	.config_size = sizeof(struct virtio_console_config),
	.config_read = con_config_read,
	.queue_notify = con_notify,
	.reset = con_reset,
};

int virtio_console_init(struct virtio_console *v, struct vm *vm, struct plic *plic, unsigned slot,
                        struct console *con, int tty_fd)
{
	uint64_t features = 0;
	char name[16];
	uint32_t sz;
	int rc;

	memset(v, 0, sizeof(*v));
	v->con = con;
	v->tty_fd = -1;
	v->winch_pipe[0] = v->winch_pipe[1] = v->stop_pipe[0] = v->stop_pipe[1] = -1;
	if (tty_size(tty_fd, &sz)) {
		v->tty_fd = tty_fd;
		atomic_store(&v->size, sz);
		features |= VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE);
	}
	rc = virtio_mmio_init(&v->mmio, vm, plic, slot, &con_ops, v, features);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "virtio-con%u", slot);
	rc = iothread_start(&v->io, name, tx_work, v);
	if (rc || v->tty_fd < 0)
		return rc;
	if (pipe2(v->winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(v->stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	if (pthread_create(&v->size_thread, NULL, size_thread, v) != 0)
		return -EAGAIN;
	v->size_thread_running = true;
	atomic_store(&winch_fd, v->winch_pipe[1]);
	{
		struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
	return 0;
}

void virtio_console_stop(struct virtio_console *v)
{
	iothread_stop(&v->io);
	if (v->size_thread_running) {
		int expected = v->winch_pipe[1];

		atomic_compare_exchange_strong(&winch_fd, &expected, -1);
		if (write(v->stop_pipe[1], "x", 1) < 0) {
			/* cannot happen with an empty pipe; the join below would hang */
		}
		pthread_join(v->size_thread, NULL);
		v->size_thread_running = false;
	}
}

void virtio_console_destroy(struct virtio_console *v)
{
	int i;

	virtio_console_stop(v);
	virtio_mmio_destroy(&v->mmio);
	for (i = 0; i < 2; i++) {
		if (v->winch_pipe[i] >= 0)
			close(v->winch_pipe[i]);
		if (v->stop_pipe[i] >= 0)
			close(v->stop_pipe[i]);
	}
}

void virtio_console_print_stats(const struct virtio_console *v, FILE *f)
{
	const struct virtio_console_stats *s = &v->stats;

	virtio_mmio_print_stats(&v->mmio, f);
	fprintf(f,
	        "  console: tx chains=%" PRIu64 " bytes=%" PRIu64 " rx chains=%" PRIu64
	        " bytes=%" PRIu64 " dropped=%" PRIu64 " resizes=%" PRIu64 "\n",
	        s->tx_chains, s->tx_bytes, s->rx_chains, s->rx_bytes, s->rx_dropped,
	        (uint64_t)s->resizes);
}
