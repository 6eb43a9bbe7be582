// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the split virtqueue parser (dev/virtqueue.c) and the
 * iovec helpers against arbitrary guest memory. The input is a small
 * header (queue size, features, where the three areas are, a script of
 * operations) and then the guest memory itself: by default the descriptor
 * table, the available ring and the used ring, packed as a driver lays
 * them out. Script steps pop, push, decide notifications, and flip guest
 * bytes in between, as a driver on another CPU would. Guest memory is an
 * exact-size heap block, so AddressSanitizer catches any access outside
 * it; every buffer the parser hands out is read and written in full.
 *
 *   make fuzz [FUZZ_TIME=seconds]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/iov.h"
#include "dev/virtqueue.h"

/* Guest memory at 0, so that small descriptor addresses are inside it. */
#define MEM_BASE 0x0ull
#define MEM_SIZE 0x10000u
#define MAX_BUFS 64
#define MAX_OPS  32

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t take16(struct input *in)
{
	return (uint16_t)(take8(in) | take8(in) << 8);
}

struct fake_mem {
	uint8_t *buf;
};

static void *fake_map(void *opaque, gpa_t a, uint64_t len, enum dma_dir dir)
{
	struct fake_mem *m = opaque;

	(void)dir;
	if (a.v < MEM_BASE || a.v - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (a.v - MEM_BASE))
		return NULL;
	return m->buf + (a.v - MEM_BASE);
}

static const struct dma_ops fake_ops = { .map = fake_map };

/* Touch every byte the chain lends us, as a device would. */
static uint32_t use_chain(const struct virtq_chain *c)
{
	struct iovec slice[MAX_BUFS];
	uint8_t tmp[64], sum = 0;
	unsigned i;
	size_t j;
	int n;

	for (i = 0; i < c->nreadable; i++)
		for (j = 0; j < c->iov[i].iov_len; j++)
			sum ^= ((volatile uint8_t *)c->iov[i].iov_base)[j];
	for (; i < c->nreadable + c->nwritable; i++)
		memset(c->iov[i].iov_base, sum, c->iov[i].iov_len);
	iov_to_buf(c->iov, c->nreadable, c->readable_len / 2, tmp, sizeof(tmp));
	iov_from_buf(c->iov + c->nreadable, c->nwritable, c->writable_len / 3, tmp, sizeof(tmp));
	n = iov_slice(c->iov, c->nreadable + c->nwritable, 1,
	              c->readable_len + c->writable_len - (c->readable_len + c->writable_len > 0),
	              slice, MAX_BUFS);
	for (i = 0; n > 0 && i < (unsigned)n; i++)
		memset(slice[i].iov_base, 0x5a, slice[i].iov_len);
	return (uint32_t)c->writable_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fake_mem m;
	struct dma_space dma = { &fake_ops, &m };
	struct iovec iov[MAX_BUFS];
	struct virtq_chain c = { .iov = iov };
	struct virtq vq = { 0 };
	struct virtq_layout l;
	struct virtq_features f;
	uint8_t flags = take8(&in), script[3 * MAX_OPS];
	unsigned ops, i;
	size_t fill;

	l.size = (uint16_t)(1u << (take8(&in) % 10));
	if (flags & 0x80)
		l.size = take16(&in); /* anything, powers of 2 or not */
	f.indirect = flags & 1;
	f.event_idx = flags & 2;
	if (flags & 4) {
		/* Areas anywhere (misaligned, overlapping, outside memory). */
		l.desc = gpa(MEM_BASE + take16(&in));
		l.driver = gpa(MEM_BASE + take16(&in));
		l.device = gpa(MEM_BASE + take16(&in));
	} else {
		/* Packed as a driver would: the input's next bytes are the table, then the
		 * available ring, then the used ring. */
		l.desc = gpa(MEM_BASE);
		l.driver = gpa(MEM_BASE + 16ull * l.size);
		l.device = gpa((l.driver.v + 6 + 2ull * l.size + 3) & ~3ull);
	}
	c.max = 1 + take8(&in) % MAX_BUFS;
	ops = take8(&in) % (MAX_OPS + 1);
	for (i = 0; i < 3 * ops; i++)
		script[i] = take8(&in);

	m.buf = malloc(MEM_SIZE);
	if (!m.buf)
		return 0;
	/* Guest memory: the rest of the input, then zeroes. */
	fill = in.n < MEM_SIZE ? in.n : MEM_SIZE;
	memset(m.buf, 0, MEM_SIZE);
	memcpy(m.buf, in.p, fill);

	if (virtq_enable(&vq, &dma, &l, f) == 0) {
		for (i = 0; i < ops; i++) {
			uint8_t op = script[3 * i];
			int rc;

			/* the driver writes somewhere meanwhile */
			if (op & 0x80)
				m.buf[(script[3 * i + 1] | script[3 * i + 2] << 8) % MEM_SIZE] ^=
				    op;
			switch (op & 3) {
			case 0:
			case 1:
				rc = virtq_pop(&vq, &c);
				if (rc > 0)
					virtq_push(&vq, c.head, use_chain(&c));
				if (rc < 0 && !vq.error)
					abort(); /* a failure always says why */
				break;
			case 2: virtq_should_notify(&vq); break;
			default:
				if (op & 4)
					virtq_notify_disable(&vq);
				else
					virtq_notify_enable(&vq);
				break;
			}
			if (vq.error && (op & 0x40)) {
				virtq_disable(&vq);
				if (virtq_enable(&vq, &dma, &l, f))
					break;
			}
		}
	}
	free(m.buf);
	return 0;
}
