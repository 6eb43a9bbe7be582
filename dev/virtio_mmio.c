// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2). See virtio_mmio.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#include "dev/virtio_mmio.h"
#include "vmm/fdt.h"

static void set_irq_bits(struct virtio_mmio *t, uint32_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->interrupt_status |= bits;
	plic_set_irq(t->plic, t->irq, true);
	pthread_mutex_unlock(&t->irq_lock);
}

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit)
{
	return t->driver_features & VIRTIO_BIT(bit);
}

struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned queue)
{
	uint32_t st = atomic_load(&t->status);
	struct virtq *vq;

	/* 2.1.2: no buffers are used before DRIVER_OK, nor once the device needs a reset. */
	if (queue >= t->ops->nqueues || !(st & VIRTIO_STATUS_DRIVER_OK) ||
	    (st & VIRTIO_STATUS_FAILED) || atomic_load(&t->needs_reset))
		return NULL;
	vq = &t->vq[queue];
	return vq->enabled && !vq->error ? vq : NULL;
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned queue)
{
	if (virtq_should_notify(&t->vq[queue])) {
		atomic_fetch_add(&t->stats.irqs, 1);
		set_irq_bits(t, VIRTIO_MMIO_INT_VRING);
	}
}

void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *why)
{
	if (atomic_exchange(&t->needs_reset, true))
		return;
	t->error = why;
	atomic_fetch_add(&t->stats.guest_errors, 1);
	if (t->vm->cfg.trace_exits)
		fprintf(stderr, "rvisor: %s@%" PRIx64 ": driver error: %s; device needs reset\n",
		        t->ops->name, t->base, why);
	/* 2.1.2: "If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device MUST
	 * send a device configuration change notification to the driver." */
	if (atomic_load(&t->status) & VIRTIO_STATUS_DRIVER_OK) {
		atomic_fetch_add(&t->stats.config_irqs, 1);
		set_irq_bits(t, VIRTIO_MMIO_INT_CONFIG);
	}
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	atomic_fetch_add(&t->config_generation, 1);
	if (atomic_load(&t->status) & VIRTIO_STATUS_DRIVER_OK) {
		atomic_fetch_add(&t->stats.config_irqs, 1);
		set_irq_bits(t, VIRTIO_MMIO_INT_CONFIG);
	}
}

/* 2.4: writing 0 to Status resets the device; it returns to its initial state. */
static void device_reset(struct virtio_mmio *t)
{
	unsigned i;

	pthread_mutex_lock(&t->queue_lock);
	if (t->ops->reset)
		t->ops->reset(t->dev);
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		virtq_disable(&t->vq[i]);
		t->q[i] = (struct virtio_mmio_queue){ 0 };
	}
	atomic_store(&t->needs_reset, false);
	pthread_mutex_unlock(&t->queue_lock);
	atomic_store(&t->status, 0);
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = t->shm_sel = 0;
	/* 4.2.2.1: "Upon reset, the device MUST clear all bits in InterruptStatus". */
	pthread_mutex_lock(&t->irq_lock);
	t->interrupt_status = 0;
	plic_set_irq(t->plic, t->irq, false);
	pthread_mutex_unlock(&t->irq_lock);
	atomic_fetch_add(&t->stats.resets, 1);
}

static void write_status(struct virtio_mmio *t, uint32_t val)
{
	uint32_t old = atomic_load(&t->status);
	unsigned i;

	if (val == 0) {
		device_reset(t);
		return;
	}
	val &= 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	/* 2.2.2: accept only offered features, and (no legacy interface) VIRTIO_F_VERSION_1;
	 * otherwise FEATURES_OK does not stick. */
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    ((t->driver_features & ~t->device_features) ||
	     !(t->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	atomic_store(&t->status, val);
	if (!(val & VIRTIO_STATUS_DRIVER_OK) || (old & VIRTIO_STATUS_DRIVER_OK))
		return;
	/* A setup error found before DRIVER_OK is signalled now (2.1.2). */
	if (atomic_load(&t->needs_reset)) {
		atomic_fetch_add(&t->stats.config_irqs, 1);
		set_irq_bits(t, VIRTIO_MMIO_INT_CONFIG);
	}
	/* Buffers made available before DRIVER_OK are looked at now. */
	for (i = 0; i < t->ops->nqueues; i++)
		if (t->q[i].ready)
			t->ops->queue_notify(t->dev, i);
}

static void queue_set_ready(struct virtio_mmio *t, unsigned sel, bool ready)
{
	struct virtio_mmio_queue *q = &t->q[sel];
	struct virtq_features feat = {
		.indirect = virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC),
		.event_idx = virtio_mmio_has_feature(t, VIRTIO_F_EVENT_IDX),
	};
	const char *why = NULL;

	if (ready == q->ready)
		return;
	pthread_mutex_lock(&t->queue_lock);
	if (!ready)
		virtq_disable(&t->vq[sel]);
	else if (q->layout.size == 0 || q->layout.size > t->ops->queue_size_max)
		why = "queue size above QueueNumMax";
	else if (virtq_enable(&t->vq[sel], &t->dma, &q->layout, feat))
		why = t->vq[sel].error;
	pthread_mutex_unlock(&t->queue_lock);
	if (why)
		virtio_mmio_needs_reset(t, why);
	else
		q->ready = ready;
}

static void set_half(gpa_t *a, bool high, uint32_t val)
{
	a->v = high ? (a->v & 0xffffffffull) | (uint64_t)val << 32 : (a->v & ~0xffffffffull) | val;
}

static uint64_t get_half(gpa_t a, bool high)
{
	return (uint32_t)(high ? a.v >> 32 : a.v);
}

static uint64_t config_read(struct virtio_mmio *t, uint64_t off, unsigned size)
{
	uint8_t buf[4] = { 0 };
	uint64_t val = 0;
	unsigned i;

	if (off + size <= t->ops->config_size)
		t->ops->config_read(t->dev, (uint32_t)off, buf, size);
	for (i = 0; i < size; i++)
		val |= (uint64_t)buf[i] << (8 * i);
	return val;
}

static uint64_t vmmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_mmio_queue *q;
	uint64_t val = 0;

	atomic_fetch_add(&t->stats.reg_reads, 1);
	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(t, off - VIRTIO_MMIO_CONFIG, size);
	/* 4.2.2.2: the control registers take 32-bit accesses only. */
	if (size != 4)
		return 0;
	pthread_mutex_lock(&t->lock);
	q = t->queue_sel < t->ops->nqueues ? &t->q[t->queue_sel] : NULL;
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: val = VIRTIO_MMIO_MAGIC; break;
	case VIRTIO_MMIO_VERSION: val = VIRTIO_MMIO_VERSION_2; break;
	case VIRTIO_MMIO_DEVICE_ID: val = t->ops->device_id; break;
	case VIRTIO_MMIO_VENDOR_ID: val = VIRTIO_MMIO_VENDOR; break;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->device_features_sel < 2)
			val = (uint32_t)(t->device_features >> (32 * t->device_features_sel));
		break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: val = q ? t->ops->queue_size_max : 0; break;
	case VIRTIO_MMIO_QUEUE_READY: val = q && q->ready; break;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		pthread_mutex_lock(&t->irq_lock);
		val = t->interrupt_status;
		pthread_mutex_unlock(&t->irq_lock);
		break;
	case VIRTIO_MMIO_STATUS:
		val = atomic_load(&t->status) |
		      (atomic_load(&t->needs_reset) ? VIRTIO_STATUS_DEVICE_NEEDS_RESET : 0);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		val = q ? get_half(q->layout.desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH) : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		val = q ? get_half(q->layout.driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH) : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		val = q ? get_half(q->layout.device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH) : 0;
		break;
	/* 4.2.2: no shared memory regions: their length reads as -1. */
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH: val = 0xffffffff; break;
	case VIRTIO_MMIO_CONFIG_GENERATION: val = atomic_load(&t->config_generation); break;
	default: break; /* write-only and reserved registers read 0 */
	}
	pthread_mutex_unlock(&t->lock);
	return val;
}

static void vmmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val64)
{
	struct virtio_mmio *t = opaque;
	uint32_t val = (uint32_t)val64;
	struct virtio_mmio_queue *q;

	atomic_fetch_add(&t->stats.reg_writes, 1);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint8_t buf[4];
		unsigned i;

		off -= VIRTIO_MMIO_CONFIG;
		for (i = 0; i < size; i++)
			buf[i] = (uint8_t)(val64 >> (8 * i));
		if (t->ops->config_write && off + size <= t->ops->config_size) {
			pthread_mutex_lock(&t->lock);
			t->ops->config_write(t->dev, (uint32_t)off, buf, size);
			pthread_mutex_unlock(&t->lock);
		}
		return;
	}
	if (size != 4)
		return;
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		/* The hot path: the guest's only exit per batch of requests. No lock. */
		atomic_fetch_add(&t->stats.notifies, 1);
		if ((val & 0xffff) < t->ops->nqueues)
			t->ops->queue_notify(t->dev, val & 0xffff);
		return;
	}
	pthread_mutex_lock(&t->lock);
	/* Queue registers take effect only while the queue is not ready (4.2.3.2). */
	q = t->queue_sel < t->ops->nqueues && !t->q[t->queue_sel].ready ? &t->q[t->queue_sel]
	                                                                : NULL;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = val; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->driver_features_sel < 2 &&
		    !(atomic_load(&t->status) & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned shift = 32 * t->driver_features_sel;

			t->driver_features = (t->driver_features & ~(0xffffffffull << shift)) |
			                     (uint64_t)val << shift;
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = val; break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = val; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q)
			q->layout.size = val <= VIRTQ_MAX_SIZE ? (uint16_t)val : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (t->queue_sel < t->ops->nqueues)
			queue_set_ready(t, t->queue_sel, val & 1);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		pthread_mutex_lock(&t->irq_lock);
		t->interrupt_status &= ~val;
		plic_set_irq(t->plic, t->irq, t->interrupt_status != 0);
		pthread_mutex_unlock(&t->irq_lock);
		break;
	case VIRTIO_MMIO_STATUS: write_status(t, val); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (q)
			set_half(&q->layout.desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (q)
			set_half(&q->layout.driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (q)
			set_half(&q->layout.device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	case VIRTIO_MMIO_SHM_SEL: t->shm_sel = val; break;
	default: break; /* read-only and reserved registers; QueueReset is not offered */
	}
	pthread_mutex_unlock(&t->lock);
}

static const struct mmio_ops vmmio_ops = {
	.read = vmmio_read,
	.write = vmmio_write,
	.sizes = 1 | 2 | 4, /* 1 and 2 for the configuration space only (4.2.2.2) */
};

static int vmmio_fdt(void *fdt, void *opaque)
{
	struct virtio_mmio *t = opaque;
	char name[40];
	int rc = 0;

	snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, t->base);
	rc |= fdt_begin_node(fdt, name);
	rc |= fdt_property_string(fdt, "compatible", "virtio,mmio");
	rc |= fdt_property_reg(fdt, t->base, VIRTIO_MMIO_SIZE);
	rc |= fdt_property_u32(fdt, "interrupts", t->irq);
	rc |= fdt_property_u32(fdt, "interrupt-parent", PLIC_PHANDLE);
	rc |= fdt_end_node(fdt);
	return rc;
}

int virtio_mmio_init(struct virtio_mmio *t, struct vm *vm, struct plic *plic, unsigned slot,
                     const struct virtio_device_ops *ops, void *dev, uint64_t device_features)
{
	int rc;

	if (slot >= VIRTIO_MMIO_SLOTS || ops->nqueues > VIRTIO_MMIO_MAX_QUEUES)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->vm = vm;
	t->plic = plic;
	t->slot = slot;
	t->irq = VIRTIO_MMIO_IRQ0 + slot;
	t->base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
	t->ops = ops;
	t->dev = dev;
	/* The transport's own features: this is a modern device with both ring extensions. */
	t->device_features = device_features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
	                     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	vm_dma_space(vm, &t->dma);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->queue_lock, NULL);
	pthread_mutex_init(&t->irq_lock, NULL);
	rc = mmio_register(&vm->bus, gpa(t->base), VIRTIO_MMIO_SIZE, &vmmio_ops, t, ops->name);
	return rc ? rc : vm_add_fdt_node(vm, vmmio_fdt, t);
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->queue_lock);
	pthread_mutex_destroy(&t->irq_lock);
}

void virtio_mmio_print_stats(const struct virtio_mmio *t, FILE *f)
{
	fprintf(f,
	        "%s@%" PRIx64 ": register reads=%" PRIu64 " writes=%" PRIu64 " notifies=%" PRIu64
	        " irqs=%" PRIu64 " config_irqs=%" PRIu64 " resets=%" PRIu64 " guest_errors=%" PRIu64
	        "%s%s\n",
	        t->ops->name, t->base, t->stats.reg_reads, t->stats.reg_writes, t->stats.notifies,
	        t->stats.irqs, t->stats.config_irqs, t->stats.resets, t->stats.guest_errors,
	        t->error ? " last: " : "", t->error ? t->error : "");
}

void virtio_mmio_serve(struct virtio_mmio *t, unsigned queue, struct virtq_chain *c,
                       virtio_request_fn handle, void *dev)
{
	bool more = true;

	while (more) {
		const char *bad;
		struct virtq *vq;
		uint32_t used;
		int rc;

		pthread_mutex_lock(&t->queue_lock);
		vq = virtio_mmio_queue(t, queue);
		if (!vq) {
			pthread_mutex_unlock(&t->queue_lock);
			return;
		}
		virtq_notify_disable(vq);
		rc = virtq_pop(vq, c);
		if (rc > 0) {
			bad = handle(dev, c, &used);
			if (!bad) {
				virtq_push(vq, c->head, used);
				virtio_mmio_used(t, queue);
			} else {
				virtio_mmio_needs_reset(t, bad);
			}
		} else if (rc < 0) {
			virtio_mmio_needs_reset(t, vq->error);
		} else {
			more = virtq_notify_enable(vq);
		}
		pthread_mutex_unlock(&t->queue_lock);
	}
}
