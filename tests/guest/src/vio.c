/* A minimal virtio-mmio driver for the guest tests; see vio.h. */
#include <string.h>

#include "vio.h"

u32 vio_read(const struct vdev *d, unsigned off)
{
	u32 v = *(volatile u32 *)(d->base + off);

	rmb();
	return v;
}

void vio_write(const struct vdev *d, unsigned off, u32 val)
{
	/* Ring updates before the register write that announces them. */
	__asm__ volatile("fence rw, w" ::: "memory");
	*(volatile u32 *)(d->base + off) = val;
}

u64 time_now(void)
{
	u64 t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

int vio_find(u32 device_id, unsigned nth, struct vdev *d)
{
	unsigned i;

	for (i = 0; i < VIO_SLOTS; i++) {
		struct trap_info ti;
		u32 magic;

		/* An empty slot may have nothing behind it (rvisor) or device ID 0 (QEMU). */
		d->base = VIO_BASE + i * VIO_STRIDE;
		expect_trap_begin();
		magic = vio_read(d, VIO_MAGIC);
		ti = expect_trap_end();
		if (ti.count || magic != 0x74726976 || vio_read(d, VIO_DEVICE_ID) != device_id)
			continue;
		if (nth-- == 0) {
			d->device_id = device_id;
			d->features = 0;
			return 0;
		}
	}
	return -1;
}

void vio_reset(struct vdev *d)
{
	u64 t0 = time_now();

	vio_write(d, VIO_STATUS, 0);
	/* 4.2.3.1: the reset is complete when Status reads 0. */
	while (vio_read(d, VIO_STATUS) != 0)
		if (time_now() - t0 > 1000 * TICKS_PER_MS) {
			FAILF("device at %#lx did not reset", d->base);
			return;
		}
}

int vio_negotiate(struct vdev *d, u64 want)
{
	u64 offered;

	vio_reset(d);
	vio_write(d, VIO_STATUS, ST_ACK);
	vio_write(d, VIO_STATUS, ST_ACK | ST_DRIVER);
	vio_write(d, VIO_DEV_FEAT_SEL, 0);
	offered = vio_read(d, VIO_DEV_FEAT);
	vio_write(d, VIO_DEV_FEAT_SEL, 1);
	offered |= (u64)vio_read(d, VIO_DEV_FEAT) << 32;
	d->features = offered & want;
	vio_write(d, VIO_DRV_FEAT_SEL, 0);
	vio_write(d, VIO_DRV_FEAT, (u32)d->features);
	vio_write(d, VIO_DRV_FEAT_SEL, 1);
	vio_write(d, VIO_DRV_FEAT, (u32)(d->features >> 32));
	vio_write(d, VIO_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	return (vio_read(d, VIO_STATUS) & ST_FEATURES_OK) ? 0 : -1;
}

int vio_queue_setup(struct vdev *d, unsigned n, struct vq *q, u16 size, void *mem)
{
	u64 desc = (u64)mem, avail = desc + 4096, used = desc + 8192;

	memset(mem, 0, 12288);
	vio_write(d, VIO_QUEUE_SEL, n);
	if (vio_read(d, VIO_QUEUE_READY) != 0 || vio_read(d, VIO_QUEUE_NUM_MAX) < size)
		return -1;
	q->dev = d;
	q->size = size;
	q->desc = (struct vdesc *)desc;
	q->avail = (struct vavail *)avail;
	q->used = (struct vused *)used;
	q->avail_idx = q->last_used = 0;
	vio_write(d, VIO_QUEUE_NUM, size);
	vio_write(d, VIO_DESC_LO, (u32)desc);
	vio_write(d, VIO_DESC_HI, (u32)(desc >> 32));
	vio_write(d, VIO_DRIVER_LO, (u32)avail);
	vio_write(d, VIO_DRIVER_HI, (u32)(avail >> 32));
	vio_write(d, VIO_DEVICE_LO, (u32)used);
	vio_write(d, VIO_DEVICE_HI, (u32)(used >> 32));
	vio_write(d, VIO_QUEUE_READY, 1);
	return vio_read(d, VIO_QUEUE_READY) == 1 ? 0 : -1;
}

void vio_driver_ok(struct vdev *d)
{
	vio_write(d, VIO_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

int vio_bringup(struct vdev *d, u64 want, struct vq *q, u16 size, void *mem)
{
	if (vio_negotiate(d, want) || vio_queue_setup(d, 0, q, size, mem))
		return -1;
	vio_driver_ok(d);
	return 0;
}

u16 *vq_used_event(struct vq *q)
{
	return &q->avail->ring[q->size];
}

u16 *vq_avail_event(struct vq *q)
{
	return (u16 *)&q->used->ring[q->size];
}

void vq_add(struct vq *q, u16 head)
{
	q->avail->ring[q->avail_idx % q->size] = head;
	wmb();
	q->avail_idx++;
	*(volatile u16 *)&q->avail->idx = q->avail_idx;
}

void vq_notify(struct vq *q)
{
	vio_write(q->dev, VIO_QUEUE_NOTIFY, 0);
}

void vq_submit(struct vq *q, u16 head)
{
	vq_add(q, head);
	vq_notify(q);
}

enum vio_wait vq_wait(struct vq *q, unsigned ms, u32 *id, u32 *len)
{
	u64 t0 = time_now();

	for (;;) {
		if (*(volatile u16 *)&q->used->idx != q->last_used) {
			struct vused_elem *e = &q->used->ring[q->last_used % q->size];

			rmb();
			if (id)
				*id = e->id;
			if (len)
				*len = e->len;
			q->last_used++;
			return VIO_USED;
		}
		if (vio_read(q->dev, VIO_STATUS) & ST_NEEDS_RESET)
			return VIO_NEEDS_RESET;
		if (time_now() - t0 > ms * TICKS_PER_MS)
			return VIO_TIMEOUT;
	}
}

int vio_wait_needs_reset(struct vdev *d, unsigned ms)
{
	u64 t0 = time_now();

	while (!(vio_read(d, VIO_STATUS) & ST_NEEDS_RESET))
		if (time_now() - t0 > ms * TICKS_PER_MS)
			return 0;
	return 1;
}

static u32 be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

void dtb_memory(unsigned long dtb, u64 *base, u64 *end)
{
	const u8 *fdt = (const u8 *)dtb;
	const u8 *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	int in_memory = 0, depth = 0;

	*base = *end = 0;
	for (;;) {
		u32 tok = be32(p);

		p += 4;
		if (tok == 1) { /* FDT_BEGIN_NODE */
			const char *name = (const char *)p;

			depth++;
			in_memory = depth == 2 && !strncmp(name, "memory", 6);
			p += (strlen(name) + 4) & ~3UL;
		} else if (tok == 3) { /* FDT_PROP: len, nameoff, value */
			u32 len = be32(p), nameoff = be32(p + 4);

			if (in_memory && !strcmp(strings + nameoff, "reg") && len >= 16) {
				*base = (u64)be32(p + 8) << 32 | be32(p + 12);
				*end = *base + ((u64)be32(p + 16) << 32 | be32(p + 20));
				return;
			}
			p += 8 + ((len + 3) & ~3U);
		} else if (tok == 2) { /* FDT_END_NODE */
			depth--;
			in_memory = 0;
		} else if (tok != 4) { /* FDT_END or garbage */
			return;
		}
	}
}
