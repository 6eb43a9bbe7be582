// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2, 5.1). See virtio_net.h.
 *
 * Transmit: the notifying vCPU kicks the I/O thread, which pops a chain
 * under queue_lock, drops the lock while the backend sends the frame (a
 * send may wait for a slow peer; the receive path must not wait for it),
 * then returns the chain. A device reset meanwhile bumps `generation`, and
 * the stale chain is not returned to the new ring.
 *
 * Receive: the backend's thread calls net_rx() with a frame. Under
 * queue_lock it takes as many receive chains as the frame needs (one, or
 * several with VIRTIO_NET_F_MRG_RXBUF), writes the header and the frame,
 * and returns them. With no buffer it sets rx_waiting before it re-enables
 * notifications and looks once more, so a buffer added in between either
 * is seen or its notification finds rx_waiting set and calls rx_ready().
 *
 * Guest mistakes: a broken ring needs a reset (virtqueue.c); a receive
 * chain without room for the header needs a reset; a transmit chain
 * without a header or with a frame above NET_MAX_FRAME is returned unsent
 * and counted. Frames larger than the buffers are dropped and counted.
 * Offload headers (checksum, GSO) are checked against the frame on a host
 * copy, both from our guest and from a peer's (dev/net_offload.c); one that
 * does not fit is dropped and counted (tx errors, rx bad_offload).
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "dev/iov.h"
#include "dev/net_offload.h"
#include "dev/virtio_net.h"
#include "vmm/dma_race.h"

/* 5.1.4 Device configuration layout: mac, status (the fields we offer). */
#define NET_CONFIG_SIZE 8

static _Atomic unsigned device_counter;

/* splitmix64: a good mix of a few small numbers. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void virtio_net_default_mac(unsigned slot, uint8_t mac[ETH_ALEN])
{
	uint64_t h = mix((uint64_t)getpid() << 32 ^
	                 (uint64_t)atomic_fetch_add(&device_counter, 1) << 8 ^ slot);

	/* 52:54 (QEMU's locally administered unicast prefix), then 32 bits of the mix. */
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* Copy bytes [off, off + len) of the scatter list src into dst; returns the bytes copied. */
static size_t iov_copy(const struct iovec *dst, unsigned ndst, const struct iovec *src,
                       unsigned nsrc, uint64_t off, size_t len)
{
	size_t done = 0;
	unsigned i;

	for (i = 0; i < nsrc && done < len; i++) {
		size_t n;

		if (off >= src[i].iov_len) {
			off -= src[i].iov_len;
			continue;
		}
		n = src[i].iov_len - off < len - done ? src[i].iov_len - off : len - done;
		if (iov_from_buf(dst, ndst, done, (const uint8_t *)src[i].iov_base + off, n) != n)
			return done;
		done += n;
		off = 0;
	}
	return done;
}

/* Give one frame with its header (num_buffers filled in here) to the guest. */
static int rx_deliver(struct virtio_net *n, const struct virtio_net_hdr *h,
                      const struct iovec *frame, int iovcnt)
{
	struct virtio_mmio *t = &n->mmio;
	struct virtio_net_hdr hdr = *h;
	struct iovec src[9];
	struct virtq_chain c;
	struct {
		uint16_t head;
		uint32_t len;
	} used[VIRTIO_NET_MAX_MRG];
	uint64_t need = VIRTIO_NET_HDR_LEN, done = 0;
	unsigned nused = 0, first_nr = 0, first_nw = 0, i;
	struct virtq *vq;
	bool mrg;
	int rc = 0;

	if (iovcnt < 1 || iovcnt > 8)
		return -EINVAL;
	hdr.num_buffers = htole16(1);
	src[0] = (struct iovec){ .iov_base = &hdr, .iov_len = VIRTIO_NET_HDR_LEN };
	for (i = 0; i < (unsigned)iovcnt; i++) {
		src[i + 1] = frame[i];
		need += frame[i].iov_len;
	}
	pthread_mutex_lock(&t->queue_lock);
	vq = virtio_mmio_queue(t, VIRTIO_NET_RXQ);
	if (!vq) {
		/* No driver (yet, or any more): the link is down for the sender. */
		n->stats.rx_dropped++;
		pthread_mutex_unlock(&t->queue_lock);
		return -ENETDOWN;
	}
	mrg = virtio_mmio_has_feature(t, VIRTIO_NET_F_MRG_RXBUF);
	virtq_notify_disable(vq);
	while (done < need) {
		c = (struct virtq_chain){ .iov = nused ? n->rx_chain : n->rx_first,
			                  .max = VIRTIO_NET_MAX_BUFS };
		rc = virtq_pop(vq, &c);
		if (rc < 0) {
			virtio_mmio_needs_reset(t, vq->error);
			rc = -EIO;
			goto drop;
		}
		if (rc == 0) {
			atomic_store(&n->rx_waiting, true);
			if (virtq_notify_enable(vq)) {
				atomic_store(&n->rx_waiting, false);
				continue;
			}
			virtq_unpop(vq, nused);
			n->stats.rx_no_buffer++;
			pthread_mutex_unlock(&t->queue_lock);
			return -EAGAIN;
		}
		/* 5.1.6.3.1: receive buffers hold at least the header. */
		if (c.writable_len < VIRTIO_NET_HDR_LEN) {
			virtio_mmio_needs_reset(
			    t, "receive buffer smaller than the virtio-net header");
			rc = -EIO;
			goto drop;
		}
		{
			uint64_t room = c.writable_len < need - done ? c.writable_len : need - done;
			size_t copied;

			dma_race_begin();
			copied = iov_copy(c.iov + c.nreadable, c.nwritable, src,
			                  (unsigned)iovcnt + 1, done, (size_t)room);
			dma_race_end();
			if (!nused) {
				first_nr = c.nreadable;
				first_nw = c.nwritable;
			}
			used[nused].head = c.head;
			used[nused].len = (uint32_t)copied;
			nused++;
			done += copied;
		}
		if (done < need && (!mrg || nused == VIRTIO_NET_MAX_MRG)) {
			/* Larger than the buffers can take: drop it, keep the buffers. */
			virtq_unpop(vq, nused);
			rc = -EMSGSIZE;
			goto drop;
		}
	}
	if (nused > 1) {
		/* num_buffers in the header, at the start of the first chain. */
		uint16_t nb = htole16((uint16_t)nused);

		dma_race_begin();
		iov_from_buf(n->rx_first + first_nr, first_nw,
		             offsetof(struct virtio_net_hdr, num_buffers), &nb, sizeof(nb));
		dma_race_end();
		n->stats.rx_merged++;
	}
	for (i = 0; i < nused; i++)
		virtq_push(vq, used[i].head, used[i].len);
	virtio_mmio_used(t, VIRTIO_NET_RXQ);
	n->stats.rx_frames++;
	n->stats.rx_bytes += need - VIRTIO_NET_HDR_LEN;
	pthread_mutex_unlock(&t->queue_lock);
	return 0;
drop:
	n->stats.rx_dropped++;
	pthread_mutex_unlock(&t->queue_lock);
	return rc;
}

static int rx_segment(void *opaque, const uint8_t *seg, size_t len)
{
	struct virtio_net *n = opaque;
	struct virtio_net_hdr h = { 0 };
	struct iovec v = { .iov_base = (void *)seg, .iov_len = len };
	int rc;

	/* We computed the checksums: the guest need not verify them again. */
	if (n->rx_features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	rc = rx_deliver(n, &h, &v, 1);
	if (rc == 0) {
		pthread_mutex_lock(&n->mmio.queue_lock);
		n->stats.rx_segmented++;
		pthread_mutex_unlock(&n->mmio.queue_lock);
	}
	return rc;
}

/*
 * The backend's receive callback (its own thread). A frame with offload
 * metadata (from a peer guest, through the switch) goes to the guest whole
 * when it negotiated the matching GUEST_* feature, else it is finished
 * here: its checksum completed, or cut into segments. Segments the guest
 * took before it ran out of buffers are not given again when the backend
 * retries the frame (rx_next_seg).
 */
static int net_rx(void *opaque, const struct net_vhdr *vh, const struct iovec *frame, int iovcnt)
{
	struct virtio_net *n = opaque;
	struct virtio_mmio *t = &n->mmio;
	struct virtio_net_hdr h = { 0 };
	struct iovec v;
	struct net_l4 l;
	size_t len;
	bool gcsum;
	int rc;

	if (!vh || (!(vh->flags & NET_VHDR_F_NEEDS_CSUM) && !vh->gso_type))
		/* Nothing to finish; a DATA_VALID from the peer is not believed. */
		return rx_deliver(n, &h, frame, iovcnt);
	/* The features, once the receive queue is live (negotiation is over then). */
	pthread_mutex_lock(&t->queue_lock);
	n->rx_features = virtio_mmio_queue(t, VIRTIO_NET_RXQ) ? t->driver_features : 0;
	pthread_mutex_unlock(&t->queue_lock);
	if (!n->rx_features)
		return rx_deliver(n, &h, frame, iovcnt); /* counts the drop: no driver */
	len = iov_to_buf(frame, (unsigned)iovcnt, 0, n->rx_bounce, NET_MAX_FRAME);
	if (net_offload_check(vh, n->rx_bounce, len, &l)) {
		pthread_mutex_lock(&t->queue_lock);
		n->stats.rx_bad++;
		n->stats.rx_dropped++;
		pthread_mutex_unlock(&t->queue_lock);
		return -EINVAL;
	}
	v = (struct iovec){ .iov_base = n->rx_bounce, .iov_len = len };
	gcsum = n->rx_features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (vh->gso_type) {
		unsigned feat = vh->gso_type == NET_GSO_TCPV4 ? VIRTIO_NET_F_GUEST_TSO4
		                                              : VIRTIO_NET_F_GUEST_TSO6;

		if (gcsum && (n->rx_features & VIRTIO_BIT(feat))) {
			h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h.gso_type = vh->gso_type;
			h.hdr_len = htole16((uint16_t)l.hlen);
			h.gso_size = htole16(vh->gso_size);
			h.csum_start = htole16(vh->csum_start);
			h.csum_offset = htole16(vh->csum_offset);
			rc = rx_deliver(n, &h, &v, 1);
			if (rc == 0) {
				pthread_mutex_lock(&t->queue_lock);
				n->stats.rx_gso++;
				pthread_mutex_unlock(&t->queue_lock);
			}
			return rc;
		}
		rc = net_gso_segment(n->rx_bounce, len, vh, &l, n->rx_seg, &n->rx_next_seg,
		                     rx_segment, n);
		if (rc != -EAGAIN)
			n->rx_next_seg = 0;
		return rc;
	}
	if (gcsum) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = htole16(vh->csum_start);
		h.csum_offset = htole16(vh->csum_offset);
	} else {
		net_csum_complete(n->rx_bounce, len, vh);
	}
	return rx_deliver(n, &h, &v, 1);
}

static int tx_segment(void *opaque, const uint8_t *seg, size_t len)
{
	struct virtio_net *n = opaque;
	struct iovec v = { .iov_base = (void *)seg, .iov_len = len };
	int rc = n->nb->ops->send(n->nb, NULL, &v, 1);

	if (rc == 0)
		n->stats.tx_segmented++;
	return rc;
}

/*
 * A frame with offload requests, copied (the guest's buffers are read-only
 * to the device and may change under us) and checked: to a backend that
 * carries offloads as it is, else finished here. 0, -EINVAL (malformed) or
 * the backend's error.
 */
static int tx_offload(struct virtio_net *n, const struct virtio_net_hdr *h, uint64_t len)
{
	struct net_vhdr vh = {
		.flags = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = h->gso_type,
		.hdr_len = le16toh(h->hdr_len),
		.gso_size = le16toh(h->gso_size),
		.csum_start = le16toh(h->csum_start),
		.csum_offset = le16toh(h->csum_offset),
	};
	struct iovec bounce = { .iov_base = n->tx_bounce, .iov_len = (size_t)len };
	unsigned next = 0;
	struct net_l4 l;

	if ((vh.gso_type == NET_GSO_TCPV4 &&
	     !virtio_mmio_has_feature(&n->mmio, VIRTIO_NET_F_HOST_TSO4)) ||
	    (vh.gso_type == NET_GSO_TCPV6 &&
	     !virtio_mmio_has_feature(&n->mmio, VIRTIO_NET_F_HOST_TSO6)))
		return -EINVAL;
	dma_race_begin();
	iov_to_buf(n->tx_frame, VIRTIO_NET_MAX_BUFS, 0, n->tx_bounce, (size_t)len);
	dma_race_end();
	if (net_offload_check(&vh, n->tx_bounce, (size_t)len, &l))
		return -EINVAL;
	if (vh.gso_type)
		n->stats.tx_gso++;
	if (n->nb->offload)
		return n->nb->ops->send(n->nb, &vh, &bounce, 1);
	if (vh.gso_type)
		return net_gso_segment(n->tx_bounce, (size_t)len, &vh, &l, n->tx_seg, &next,
		                       tx_segment, n);
	net_csum_complete(n->tx_bounce, (size_t)len, &vh);
	n->stats.tx_csum++;
	return n->nb->ops->send(n->nb, NULL, &bounce, 1);
}

/* One transmit chain: the header, then the frame. */
static void net_tx_one(struct virtio_net *n, const struct virtq_chain *c)
{
	struct virtio_net_hdr h;
	uint64_t len;
	int cnt, rc;

	if (c->readable_len < VIRTIO_NET_HDR_LEN ||
	    c->readable_len - VIRTIO_NET_HDR_LEN > NET_MAX_FRAME) {
		n->stats.tx_errors++;
		return;
	}
	len = c->readable_len - VIRTIO_NET_HDR_LEN;
	cnt = iov_slice(c->iov, c->nreadable, VIRTIO_NET_HDR_LEN, len, n->tx_frame,
	                VIRTIO_NET_MAX_BUFS);
	iov_to_buf(c->iov, c->nreadable, 0, &h, VIRTIO_NET_HDR_LEN);
	if (cnt <= 0) {
		n->stats.tx_errors++;
		return;
	}
	if (h.gso_type != 0 || ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	                        virtio_mmio_has_feature(&n->mmio, VIRTIO_NET_F_CSUM))) {
		rc = tx_offload(n, &h, len);
		if (rc == -EINVAL) {
			n->stats.tx_errors++;
			return;
		}
	} else {
		dma_race_begin();
		rc = n->nb->ops->send(n->nb, NULL, n->tx_frame, cnt);
		dma_race_end();
	}
	if (rc) {
		n->stats.tx_dropped++;
		return;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += len;
}

/* The I/O thread: send until the transmit queue is empty. */
static void net_tx_work(void *opaque)
{
	struct virtio_net *n = opaque;
	struct virtio_mmio *t = &n->mmio;
	struct virtq_chain c = { .iov = n->tx_chain, .max = VIRTIO_NET_MAX_BUFS };

	for (;;) {
		struct virtq *vq;
		unsigned gen;
		int rc;

		pthread_mutex_lock(&t->queue_lock);
		vq = virtio_mmio_queue(t, VIRTIO_NET_TXQ);
		if (!vq) {
			pthread_mutex_unlock(&t->queue_lock);
			return;
		}
		virtq_notify_disable(vq);
		rc = virtq_pop(vq, &c);
		if (rc <= 0) {
			bool more = false;

			if (rc < 0)
				virtio_mmio_needs_reset(t, vq->error);
			else
				more = virtq_notify_enable(vq);
			pthread_mutex_unlock(&t->queue_lock);
			if (!more)
				return;
			continue;
		}
		gen = n->generation;
		pthread_mutex_unlock(&t->queue_lock);

		net_tx_one(n, &c);

		pthread_mutex_lock(&t->queue_lock);
		vq = virtio_mmio_queue(t, VIRTIO_NET_TXQ);
		if (vq && gen == n->generation) {
			virtq_push(vq, c.head, 0);
			virtio_mmio_used(t, VIRTIO_NET_TXQ);
		}
		pthread_mutex_unlock(&t->queue_lock);
	}
}

static void net_notify(void *dev, unsigned queue)
{
	struct virtio_net *n = dev;

	if (queue == VIRTIO_NET_TXQ)
		iothread_kick(&n->io);
	else if (atomic_exchange(&n->rx_waiting, false) && n->nb)
		n->nb->ops->rx_ready(n->nb);
}

static void net_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->generation++;
}

static void net_config_read(void *dev, uint32_t off, void *buf, unsigned len)
{
	struct virtio_net *n = dev;
	uint8_t cfg[NET_CONFIG_SIZE];
	uint16_t status = htole16(VIRTIO_NET_S_LINK_UP);

	memcpy(cfg, n->mac, ETH_ALEN);
	memcpy(cfg + ETH_ALEN, &status, sizeof(status));
	memcpy(buf, cfg + off, len);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.queue_size_max = VIRTIO_NET_QUEUE_SIZE,
	.config_size = NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.queue_notify = net_notify,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_net *n, struct vm *vm, struct plic *plic, unsigned slot,
                    struct net_backend *nb, const uint8_t *mac)
{
	uint64_t features = VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
	                    VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	                    VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
	                    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
	                    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
	                    VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
	char name[16];
	int rc;

	memset(n, 0, sizeof(*n));
	n->nb = nb;
	snprintf(n->backend_desc, sizeof(n->backend_desc), "%s", nb->desc);
	if (mac)
		memcpy(n->mac, mac, ETH_ALEN);
	else
		virtio_net_default_mac(slot, n->mac);
	rc = virtio_mmio_init(&n->mmio, vm, plic, slot, &net_ops, n, features);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "virtio-net%u", slot);
	rc = iothread_start(&n->io, name, net_tx_work, n);
	if (rc)
		return rc;
	return nb->ops->start(nb, net_rx, n);
}

void virtio_net_stop(struct virtio_net *n)
{
	iothread_stop(&n->io);
	if (n->nb) {
		/* Its receive thread ends here: nothing calls net_rx() afterwards. */
		const struct net_backend_stats *b = &n->nb->stats;
		struct net_backend_stats *k = &n->stats_backend;

		atomic_store(&k->rx_frames, atomic_load(&b->rx_frames));
		atomic_store(&k->rx_bytes, atomic_load(&b->rx_bytes));
		atomic_store(&k->rx_drops, atomic_load(&b->rx_drops));
		atomic_store(&k->tx_frames, atomic_load(&b->tx_frames));
		atomic_store(&k->tx_bytes, atomic_load(&b->tx_bytes));
		atomic_store(&k->tx_drops, atomic_load(&b->tx_drops));
		net_backend_close(n->nb);
		n->nb = NULL;
	}
}

void virtio_net_destroy(struct virtio_net *n)
{
	virtio_net_stop(n);
	virtio_mmio_destroy(&n->mmio);
}

void virtio_net_print_stats(const struct virtio_net *n, FILE *f)
{
	const struct virtio_net_stats *s = &n->stats;
	const struct net_backend_stats *b = &n->stats_backend;

	virtio_mmio_print_stats(&n->mmio, f);
	fprintf(
	    f,
	    "  net %s mac=%02x:%02x:%02x:%02x:%02x:%02x: rx frames=%" PRIu64 " bytes=%" PRIu64
	    " no_buffer=%" PRIu64 " dropped=%" PRIu64 " merged=%" PRIu64 " gso=%" PRIu64
	    " segmented=%" PRIu64 " bad_offload=%" PRIu64 "; tx frames=%" PRIu64 " bytes=%" PRIu64
	    " csum=%" PRIu64 " gso=%" PRIu64 " segmented=%" PRIu64 " errors=%" PRIu64
	    " dropped=%" PRIu64 " io_thread_runs=%" PRIu64 "\n  backend: rx frames=%" PRIu64
	    " drops=%" PRIu64 "; tx frames=%" PRIu64 " drops=%" PRIu64 "\n",
	    n->backend_desc, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
	    s->rx_frames, s->rx_bytes, s->rx_no_buffer, s->rx_dropped, s->rx_merged, s->rx_gso,
	    s->rx_segmented, s->rx_bad, s->tx_frames, s->tx_bytes, s->tx_csum, s->tx_gso,
	    s->tx_segmented, s->tx_errors, s->tx_dropped, n->io.runs, atomic_load(&b->rx_frames),
	    atomic_load(&b->rx_drops), atomic_load(&b->tx_frames), atomic_load(&b->tx_drops));
}
