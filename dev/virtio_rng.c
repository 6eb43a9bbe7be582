// SPDX-License-Identifier: MIT
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue of device-writable
 * buffers, each filled with random bytes from the host.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>

#include "dev/virtio_rng.h"
#include "vmm/dma_race.h"

/* Random bytes into the writable buffers of a chain; returns how many. */
static uint32_t rng_fill(struct virtio_rng *r, const struct virtq_chain *c)
{
	uint32_t done = 0;
	unsigned i;

	/* 5.4.6: the queue holds device-writable buffers; readable ones are skipped. */
	for (i = c->nreadable; i < c->nreadable + c->nwritable; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t left = c->iov[i].iov_len;

		while (left && done < VIRTIO_RNG_MAX_BYTES) {
			size_t want =
			    left < VIRTIO_RNG_MAX_BYTES - done ? left : VIRTIO_RNG_MAX_BYTES - done;
			ssize_t n;

			dma_race_begin();
			n = getrandom(p, want, 0);
			dma_race_end();

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done;
			p += n;
			left -= (size_t)n;
			done += (uint32_t)n;
		}
	}
	return done;
}

static const char *rng_handle(void *dev, const struct virtq_chain *c, uint32_t *used)
{
	struct virtio_rng *r = dev;

	*used = rng_fill(r, c);
	r->requests++;
	r->bytes += *used;
	return NULL;
}

/* The I/O thread. */
static void rng_work(void *opaque)
{
	struct virtio_rng *r = opaque;
	struct virtq_chain c = { .iov = r->iov, .max = VIRTIO_RNG_MAX_BUFS };

	virtio_mmio_serve(&r->mmio, 0, &c, rng_handle, r);
}

static void rng_notify(void *dev, unsigned queue)
{
	struct virtio_rng *r = dev;

	(void)queue;
	iothread_kick(&r->io);
}

static void rng_config_read(void *dev, uint32_t off, void *buf, unsigned len)
{
	(void)dev, (void)off, (void)buf, (void)len; /* 5.4.4: no configuration */
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.nqueues = 1,
	.queue_size_max = VIRTIO_RNG_QUEUE_SIZE,
	.config_size = 0,
	.config_read = rng_config_read,
	.queue_notify = rng_notify,
};

int virtio_rng_init(struct virtio_rng *r, struct vm *vm, struct plic *plic, unsigned slot)
{
	char name[16];
	int rc;

	memset(r, 0, sizeof(*r));
	rc = virtio_mmio_init(&r->mmio, vm, plic, slot, &rng_ops, r, 0);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "virtio-rng%u", slot);
	return iothread_start(&r->io, name, rng_work, r);
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	iothread_stop(&r->io);
	virtio_mmio_destroy(&r->mmio);
}

void virtio_rng_print_stats(const struct virtio_rng *r, FILE *f)
{
	virtio_mmio_print_stats(&r->mmio, f);
	fprintf(f, "  entropy: requests=%" PRIu64 " bytes=%" PRIu64 "\n", r->requests, r->bytes);
}
