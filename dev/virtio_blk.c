// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2, 5.2). Requests are served on the device's I/O
 * thread: the notifying vCPU only kicks it. A malformed request gets
 * VIRTIO_BLK_S_IOERR (or _UNSUPP) in its status byte; a chain we cannot
 * even answer (no status byte, a broken ring) makes the device need a reset.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "dev/iov.h"
#include "dev/virtio_blk.h"
#include "vmm/dma_race.h"

/* 5.2.4 Device configuration layout (little-endian; natural alignment = spec offsets). */
struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp;
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
};
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "5.2.4 layout");
_Static_assert(offsetof(struct virtio_blk_config, max_discard_sectors) == 36, "5.2.4 layout");
_Static_assert(offsetof(struct virtio_blk_config, write_zeroes_may_unmap) == 56, "5.2.4 layout");
/* The fields up to unused1 (the struct itself is padded to 64 bytes). */
#define BLK_CONFIG_SIZE (offsetof(struct virtio_blk_config, unused1) + 3)

/* 5.2.6 struct virtio_blk_req, up to the data */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* 5.2.6 struct virtio_blk_discard_write_zeroes */
struct virtio_blk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* One discard/write-zeroes segment at most this long: bounds the time one request takes. */
#define MAX_DWZ_SECTORS (1u << 23) /* 4 GiB */
/* Discard granularity: the host file system's block. */
#define DISCARD_ALIGN_SECTORS 8

static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t nsectors)
{
	uint64_t cap = b->disk->size / VIRTIO_BLK_SECTOR;

	return sector <= cap && nsectors <= cap - sector;
}

/* T_IN / T_OUT: data follows the header (out) or precedes the status byte (in). */
static uint8_t blk_rw(struct virtio_blk *b, const struct virtq_chain *c,
                      const struct virtio_blk_req_hdr *h, bool write, uint32_t *written)
{
	const struct iovec *iov = write ? c->iov : c->iov + c->nreadable;
	unsigned n = write ? c->nreadable : c->nwritable;
	uint64_t off = write ? sizeof(*h) : 0;
	uint64_t len = write ? c->readable_len - sizeof(*h) : c->writable_len - 1;
	int cnt, rc;

	/* 5.2.6.2: "A device MUST set the status byte to VIRTIO_BLK_S_IOERR for a write
	 * request if the VIRTIO_BLK_F_RO feature if offered, and MUST NOT write any data." */
	if (write && b->disk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len % VIRTIO_BLK_SECTOR || !in_range(b, h->sector, len / VIRTIO_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	cnt = iov_slice(iov, n, off, len, b->data_iov, VIRTIO_BLK_MAX_BUFS);
	if (cnt < 0)
		return VIRTIO_BLK_S_IOERR;
	/* The backend reads or fills guest buffers directly (no copy). */
	dma_race_begin();
	if (!cnt)
		rc = 0;
	else if (write)
		rc = b->disk->ops->write(b->disk, b->data_iov, cnt, h->sector * VIRTIO_BLK_SECTOR);
	else
		rc = b->disk->ops->read(b->disk, b->data_iov, cnt, h->sector * VIRTIO_BLK_SECTOR);
	dma_race_end();
	if (write) {
		b->stats.writes++;
		b->stats.bytes_written += rc ? 0 : len;
	} else {
		b->stats.reads++;
		b->stats.bytes_read += rc ? 0 : len;
		*written = rc ? 0 : (uint32_t)len;
	}
	return rc ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* T_DISCARD / T_WRITE_ZEROES: a list of segments after the header. */
static uint8_t blk_dwz(struct virtio_blk *b, const struct virtq_chain *c, bool zero)
{
	struct virtio_blk_dwz_seg segs[VIRTIO_BLK_DISCARD_SEGS];
	uint64_t len = c->readable_len - sizeof(struct virtio_blk_req_hdr);
	unsigned i, n = (unsigned)(len / sizeof(segs[0]));
	int rc = 0;

	/* Offered only for writable disks. */
	if (b->disk->read_only)
		return VIRTIO_BLK_S_UNSUPP;
	if (len == 0 || len % sizeof(segs[0]) || n > VIRTIO_BLK_DISCARD_SEGS)
		return VIRTIO_BLK_S_IOERR;
	iov_to_buf(c->iov, c->nreadable, sizeof(struct virtio_blk_req_hdr), segs, len);
	for (i = 0; i < n; i++) {
		uint32_t flags = le32toh(segs[i].flags);

		segs[i].sector = le64toh(segs[i].sector);
		segs[i].num_sectors = le32toh(segs[i].num_sectors);
		/* 5.2.6.2: unknown flags, or unmap on a discard, are VIRTIO_BLK_S_UNSUPP. */
		if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
		    (!zero && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
			return VIRTIO_BLK_S_UNSUPP;
		if (segs[i].num_sectors > MAX_DWZ_SECTORS ||
		    !in_range(b, segs[i].sector, segs[i].num_sectors))
			return VIRTIO_BLK_S_IOERR;
		segs[i].flags = flags;
	}
	for (i = 0; i < n && !rc; i++) {
		uint64_t off = segs[i].sector * VIRTIO_BLK_SECTOR;
		uint64_t bytes = (uint64_t)segs[i].num_sectors * VIRTIO_BLK_SECTOR;

		if (!bytes)
			continue;
		rc = zero ? b->disk->ops->write_zeroes(b->disk, off, bytes,
		                                       segs[i].flags &
		                                           VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
		          : b->disk->ops->discard(b->disk, off, bytes);
	}
	if (zero)
		b->stats.write_zeroes++;
	else
		b->stats.discards++;
	return rc ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/*
 * Serve one request; *used: the bytes written to the chain, status byte
 * included. False if the chain has no status byte to answer in.
 */
static bool blk_request(struct virtio_blk *b, const struct virtq_chain *c, uint32_t *used)
{
	struct virtio_blk_req_hdr h;
	uint32_t written = 0;
	uint8_t status;

	/* 5.2.6: the status byte is the last device-writable byte. */
	if (c->writable_len == 0)
		return false;
	b->stats.requests++;
	if (iov_to_buf(c->iov, c->nreadable, 0, &h, sizeof(h)) != sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	h.type = le32toh(h.type);
	h.sector = le64toh(h.sector);
	switch (h.type) {
	case VIRTIO_BLK_T_IN: status = blk_rw(b, c, &h, false, &written); break;
	case VIRTIO_BLK_T_OUT: status = blk_rw(b, c, &h, true, &written); break;
	case VIRTIO_BLK_T_FLUSH:
		b->stats.flushes++;
		status = b->disk->ops->flush(b->disk) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		/* NUL-padded, no terminator when it is 20 bytes long. */
		uint64_t n = c->writable_len - 1;

		written = (uint32_t)iov_from_buf(c->iov + c->nreadable, c->nwritable, 0, b->serial,
		                                 n < VIRTIO_BLK_ID_BYTES ? n : VIRTIO_BLK_ID_BYTES);
		b->stats.get_ids++;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD: status = blk_dwz(b, c, false); break;
	case VIRTIO_BLK_T_WRITE_ZEROES: status = blk_dwz(b, c, true); break;
	default: status = VIRTIO_BLK_S_UNSUPP; break;
	}
done:
	b->stats.ioerr += status == VIRTIO_BLK_S_IOERR;
	b->stats.unsupp += status == VIRTIO_BLK_S_UNSUPP;
	iov_from_buf(c->iov + c->nreadable, c->nwritable, c->writable_len - 1, &status, 1);
	/* A 4 GiB chain overflows the used length: an underestimate is allowed (2.7.8.2). */
	*used = written == UINT32_MAX ? UINT32_MAX : written + 1;
	return true;
}

static const char *blk_handle(void *dev, const struct virtq_chain *c, uint32_t *used)
{
	return blk_request(dev, c, used) ? NULL : "request without a status byte";
}

/* The I/O thread. */
static void blk_work(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct virtq_chain c = { .iov = b->chain_iov, .max = VIRTIO_BLK_MAX_BUFS };

	virtio_mmio_serve(&b->mmio, 0, &c, blk_handle, b);
}

static void blk_notify(void *dev, unsigned queue)
{
	struct virtio_blk *b = dev;

	(void)queue;
	iothread_kick(&b->io);
}

static void blk_config_read(void *dev, uint32_t off, void *buf, unsigned len)
{
	struct virtio_blk *b = dev;
	struct virtio_blk_config cfg = {
		.capacity = htole64(b->disk->size / VIRTIO_BLK_SECTOR),
		.seg_max = htole32(VIRTIO_BLK_SEG_MAX),
		.blk_size = htole32(VIRTIO_BLK_SECTOR),
		.num_queues = htole16(1),
		.max_discard_sectors = htole32(MAX_DWZ_SECTORS),
		.max_discard_seg = htole32(VIRTIO_BLK_DISCARD_SEGS),
		.discard_sector_alignment = htole32(DISCARD_ALIGN_SECTORS),
		.max_write_zeroes_sectors = htole32(MAX_DWZ_SECTORS),
		.max_write_zeroes_seg = htole32(VIRTIO_BLK_DISCARD_SEGS),
		.write_zeroes_may_unmap = 1,
	};

	memcpy(buf, (const uint8_t *)&cfg + off, len);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.queue_size_max = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.queue_notify = blk_notify,
};

int virtio_blk_init(struct virtio_blk *b, struct vm *vm, struct plic *plic, unsigned slot,
                    struct disk *disk, const char *serial)
{
	uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
	                    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	char name[16];
	int rc;

	memset(b, 0, sizeof(*b));
	b->disk = disk;
	memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	if (disk->read_only)
		features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		features |=
		    VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	rc = virtio_mmio_init(&b->mmio, vm, plic, slot, &blk_ops, b, features);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "virtio-blk%u", slot);
	return iothread_start(&b->io, name, blk_work, b);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	iothread_stop(&b->io);
	virtio_mmio_destroy(&b->mmio);
	disk_close(b->disk);
	b->disk = NULL;
}

void virtio_blk_print_stats(const struct virtio_blk *b, FILE *f)
{
	const struct virtio_blk_stats *s = &b->stats;

	virtio_mmio_print_stats(&b->mmio, f);
	fprintf(f,
	        "  disk %s: requests=%" PRIu64 " reads=%" PRIu64 " (%" PRIu64
	        " bytes) writes=%" PRIu64 " (%" PRIu64 " bytes) flushes=%" PRIu64
	        " discards=%" PRIu64 " write_zeroes=%" PRIu64 " get_id=%" PRIu64 " ioerr=%" PRIu64
	        " unsupp=%" PRIu64 " io_thread_runs=%" PRIu64 "\n",
	        b->disk ? b->disk->path : "?", s->requests, s->reads, s->bytes_read, s->writes,
	        s->bytes_written, s->flushes, s->discards, s->write_zeroes, s->get_ids, s->ioerr,
	        s->unsupp, b->io.runs);
}
