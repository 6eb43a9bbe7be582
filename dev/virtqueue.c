// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side (virtio 1.2, 2.7). See virtqueue.h.
 *
 * Memory ordering (2.7.13, 2.7.14): the driver writes descriptors and ring
 * entries, then avail->idx; we load avail->idx with acquire before reading
 * what it publishes. We write used entries, then used->idx with release.
 * Before reading the driver's suppression fields after publishing used->idx
 * (or after writing our own), a full fence orders our store before that
 * load, as the driver does on its side (2.7.13.4, 2.7.10).
 *
 * Ring fields are read and written with naturally aligned atomics: the
 * driver changes them on other threads while we look.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>

#include "dev/virtqueue.h"

static inline uint16_t ld16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint16_t ld16_acquire(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static inline void st16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static inline void st32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, htole32(v), __ATOMIC_RELAXED);
}

static int broken(struct virtq *vq, const char *why)
{
	if (!vq->error)
		vq->error = why;
	return -EIO;
}

/* A layout the queue cannot use: it stays disabled, and says why. */
static int bad_layout(struct virtq *vq, const char *why)
{
	virtq_disable(vq);
	vq->error = why;
	return -EINVAL;
}

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

int virtq_enable(struct virtq *vq, const struct dma_space *dma, const struct virtq_layout *l,
                 struct virtq_features feat)
{
	/* The event index fields exist only with VIRTIO_F_EVENT_IDX (2.7.6, 2.7.8). */
	uint64_t extra = feat.event_idx ? 2 : 0;
	uint64_t n = l->size;

	virtq_disable(vq);
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return bad_layout(vq, "queue size is not a power of 2 up to 32768");
	/* 2.7 table: descriptor table 16, available ring 2, used ring 4 byte aligned. */
	if ((l->desc.v & 15) || (l->driver.v & 1) || (l->device.v & 3))
		return bad_layout(vq, "misaligned queue area");
	vq->desc = dma_map(dma, l->desc, 16 * n, DMA_TO_DEVICE);
	vq->avail = dma_map(dma, l->driver, 4 + 2 * n + extra, DMA_TO_DEVICE);
	vq->used = dma_map(dma, l->device, 4 + 8 * n + extra, DMA_FROM_DEVICE);
	if (!vq->desc || !vq->avail || !vq->used)
		return bad_layout(vq, "queue area outside guest memory");
	vq->dma = dma;
	vq->size = (uint16_t)n;
	vq->feat = feat;
	vq->enabled = true;
	return 0;
}

void virtq_disable(struct virtq *vq)
{
	*vq = (struct virtq){ 0 };
}

/* A descriptor, field by field: the driver may be rewriting it (a bug, but not ours). */
static void read_desc(const struct virtq_desc *p, struct virtq_desc *d)
{
	d->addr = le64toh(__atomic_load_n(&p->addr, __ATOMIC_RELAXED));
	d->len = le32toh(__atomic_load_n(&p->len, __ATOMIC_RELAXED));
	d->flags = ld16(&p->flags);
	d->next = ld16(&p->next);
}

static int add_buffer(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned n = c->nreadable + c->nwritable;
	void *p;

	/* 2.7.4.2: "The driver MUST place any device-writable descriptor elements after any
	 * device-readable descriptor elements." */
	if (!writable && c->nwritable)
		return broken(vq, "device-readable descriptor after a device-writable one");
	if (d->len == 0)
		return 0;
	if (c->readable_len + c->writable_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return broken(vq, "descriptor chain longer than 2^32 bytes");
	/* 2.7.4.1: "The device MAY have a reasonable limit of descriptors it will allow". */
	if (n == c->max)
		return broken(vq, "more buffers in a chain than the device takes");
	p = dma_map(vq->dma, gpa(d->addr), d->len, writable ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
	if (!p)
		return broken(vq, "buffer outside guest memory");
	c->iov[n] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		c->nwritable++;
		c->writable_len += d->len;
	} else {
		c->nreadable++;
		c->readable_len += d->len;
	}
	return 0;
}

/* Map a chain of sizeof(virtq_desc) entries: zero or more direct ones, then maybe a table. */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const struct virtq_desc *table = vq->desc;
	uint32_t table_size = vq->size, budget = vq->size, idx = head;
	bool in_table = false;

	c->head = head;
	c->nreadable = c->nwritable = 0;
	c->readable_len = c->writable_len = 0;
	if (head >= vq->size)
		return broken(vq, "available ring entry out of range");
	for (;;) {
		struct virtq_desc d;
		int rc;

		/* A chain visits each entry of its table at most once, or it loops. */
		if (budget-- == 0)
			return broken(vq, "descriptor chain longer than its table (a loop)");
		read_desc(&table[idx], &d);
		vq->stats.descs++;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1 */
			if (!vq->feat.indirect)
				return broken(vq, "indirect descriptor not negotiated");
			if (in_table)
				return broken(vq, "indirect descriptor inside an indirect table");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return broken(vq, "indirect descriptor with VIRTQ_DESC_F_NEXT");
			if (d.len == 0 || d.len % sizeof(struct virtq_desc) ||
			    d.len / sizeof(struct virtq_desc) > VIRTQ_MAX_SIZE)
				return broken(vq, "indirect table length");
			/* Not spelled out by the spec; natural alignment of its 64-bit fields. */
			if (d.addr & 7)
				return broken(vq, "misaligned indirect table");
			table = dma_map(vq->dma, gpa(d.addr), d.len, DMA_TO_DEVICE);
			if (!table)
				return broken(vq, "indirect table outside guest memory");
			table_size = budget = d.len / sizeof(struct virtq_desc);
			idx = 0;
			in_table = true;
			vq->stats.indirect++;
			continue;
		}
		rc = add_buffer(vq, c, &d);
		if (rc)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		idx = d.next;
		if (idx >= table_size)
			return broken(vq, "next descriptor index out of range");
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t avail_idx, head;

	if (vq->error)
		return -EIO;
	if (!vq->enabled)
		return 0;
	avail_idx = ld16_acquire(&vq->avail->idx);
	/* 2.7.13.1: at most Queue Size buffers are ever available at once. */
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return broken(vq, "available index moved by more than the queue size");
	if (avail_idx == vq->last_avail)
		return 0;
	head = ld16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	vq->last_avail++;
	vq->stats.chains++;
	return walk_chain(vq, head, c);
}

void virtq_unpop(struct virtq *vq, unsigned n)
{
	vq->last_avail = (uint16_t)(vq->last_avail - n);
	vq->stats.chains -= n;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];

	if (!vq->enabled || vq->error)
		return;
	st32(&e->id, head);
	st32(&e->len, written);
	vq->used_idx++;
	/* 2.7.8.2: len (and the buffer) before idx. */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool notify;

	if (!vq->enabled || vq->error || old == now)
		return false;
	vq->signalled_used = now;
	/* used->idx must be visible before we read whether the driver wants to hear of it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->feat.event_idx) {
		/* 2.7.7.2: notify when used->idx moves past used_event (vring_need_event). */
		uint16_t event = ld16(used_event(vq));

		notify = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	} else {
		notify = !(ld16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	vq->stats.notify_used += notify;
	return notify;
}

void virtq_notify_disable(struct virtq *vq)
{
	/* With an event index the driver notifies once past avail_event: nothing to do. */
	if (vq->enabled && !vq->error && !vq->feat.event_idx)
		st16(&vq->used->flags, VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_notify_enable(struct virtq *vq)
{
	if (!vq->enabled || vq->error)
		return false;
	if (vq->feat.event_idx)
		st16(avail_event(vq), vq->last_avail);
	else
		st16(&vq->used->flags, 0);
	/* Our store before the driver's next avail->idx is read: else a buffer added just
	 * before the driver saw it could wait for a notification that never comes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16_acquire(&vq->avail->idx) != vq->last_avail;
}
