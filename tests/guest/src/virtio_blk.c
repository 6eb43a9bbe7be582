/*
 * virtio-blk over virtio-mmio, as a well-behaved driver sees it (virtio 1.2,
 * 4.2 and 5.2). Needs two disks (run.sh): disk0.img, 1 MiB, writable, and
 * disk1.img, 1 MiB of "rvisor\n" lines, read-only.
 */
#include <string.h>

#include "vio.h"

TEST_NAME("virtio_blk");

#define QSIZE    32
#define CAPACITY 2048 /* sectors in a 1 MiB image */
#define WAIT_MS  2000

static u8 qmem[16384] __attribute__((aligned(4096)));
static struct blk_hdr hdr[QSIZE] __attribute__((aligned(16)));
static u8 status[QSIZE];
static u8 buf[QSIZE][4096] __attribute__((aligned(4096)));
static u8 check[4096] __attribute__((aligned(4096)));
static struct vdesc itable[8] __attribute__((aligned(16)));

static struct vdev rw, ro;
static struct vq q;

static const u64 want = F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | BLK_F_SEG_MAX | BLK_F_BLK_SIZE |
                        BLK_F_FLUSH | BLK_F_DISCARD | BLK_F_WRITE_ZEROES | BLK_F_RO;

static void set_desc(unsigned i, void *addr, u32 len, u16 flags, u16 next)
{
	q.desc[i] = (struct vdesc){ (u64)addr, len, flags, next };
}

/* Submit the chain at head and wait for it; returns its status byte or -1. */
static int complete(u16 head, unsigned slot, u32 *used_len)
{
	u32 id = ~0u, len = 0;
	enum vio_wait w;

	status[slot] = 0xff;
	vq_submit(&q, head);
	w = vq_wait(&q, WAIT_MS, &id, &len);
	if (w != VIO_USED) {
		FAILF("request at head %u: %s", head,
		      w == VIO_NEEDS_RESET ? "device needs reset" : "no completion");
		return -1;
	}
	CHECK_EQ("used id is the chain head", head, id);
	if (used_len)
		*used_len = len;
	return status[slot];
}

/* header, one data buffer (device-writable for reads), status: descriptors 0..2 */
static int blk_req(u32 type, u64 sector, void *data, u32 len, u32 *used_len)
{
	int writable = type == BLK_T_IN || type == BLK_T_GET_ID;

	hdr[0] = (struct blk_hdr){ type, 0, sector };
	set_desc(0, &hdr[0], sizeof(hdr[0]), D_NEXT, 1);
	if (len) {
		set_desc(1, data, len, D_NEXT | (writable ? D_WRITE : 0), 2);
		set_desc(2, &status[0], 1, D_WRITE, 0);
	} else {
		set_desc(1, &status[0], 1, D_WRITE, 0);
	}
	return complete(0, 0, used_len);
}

static u64 config32(const struct vdev *d, unsigned off)
{
	return vio_read(d, VIO_CONFIG + off);
}

static void fill(u8 *p, u32 len, u8 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7);
}

static void test_identity(void)
{
	u64 feat;

	CHECK_EQ("magic", 0x74726976, vio_read(&rw, VIO_MAGIC));
	CHECK_EQ("version 2 (modern)", 2, vio_read(&rw, VIO_VERSION));
	CHECK_EQ("device id 2 (block)", 2, vio_read(&rw, VIO_DEVICE_ID));
	vio_write(&rw, VIO_DEV_FEAT_SEL, 0);
	feat = vio_read(&rw, VIO_DEV_FEAT);
	vio_write(&rw, VIO_DEV_FEAT_SEL, 1);
	feat |= (u64)vio_read(&rw, VIO_DEV_FEAT) << 32;
	CHECK("offers VIRTIO_F_VERSION_1", feat & F_VERSION_1);
	CHECK("offers VIRTIO_F_INDIRECT_DESC", feat & F_INDIRECT);
	CHECK("offers VIRTIO_F_EVENT_IDX", feat & F_EVENT_IDX);
	CHECK("offers VIRTIO_BLK_F_FLUSH", feat & BLK_F_FLUSH);
	CHECK("offers VIRTIO_BLK_F_SEG_MAX", feat & BLK_F_SEG_MAX);
	CHECK("rw disk does not offer VIRTIO_BLK_F_RO", !(feat & BLK_F_RO));
	vio_write(&rw, VIO_DEV_FEAT_SEL, 2);
	feat = vio_read(&rw, VIO_DEV_FEAT);
	CHECK_QUIRK("feature bits 64-95 read 0", feat == 0, "read %#lx", (unsigned long)feat);
	vio_write(&rw, VIO_QUEUE_SEL, 0);
	CHECK("QueueNumMax >= 32", vio_read(&rw, VIO_QUEUE_NUM_MAX) >= QSIZE);
	vio_write(&rw, VIO_QUEUE_SEL, 5);
	CHECK_EQ("QueueNumMax of a missing queue", 0, vio_read(&rw, VIO_QUEUE_NUM_MAX));
}

static void test_config(void)
{
	CHECK_EQ("capacity low", CAPACITY, config32(&rw, 0));
	CHECK_EQ("capacity high", 0, config32(&rw, 4));
	CHECK_EQ("capacity byte 1 (8-bit access)", CAPACITY >> 8,
	         *(volatile u8 *)(rw.base + VIO_CONFIG + 1));
	CHECK_EQ("blk_size", 512, config32(&rw, 20));
	CHECK("seg_max >= 1", config32(&rw, 12) >= 1);
	/* The driver cannot change the capacity. */
	vio_write(&rw, VIO_CONFIG, 5);
	CHECK_EQ("capacity is read-only", CAPACITY, config32(&rw, 0));
}

static void test_read_write(void)
{
	u32 len;

	fill(buf[1], 2048, 0x11);
	CHECK_EQ("write 4 sectors", BLK_S_OK, blk_req(BLK_T_OUT, 10, buf[1], 2048, &len));
	memset(buf[2], 0, 2048);
	CHECK_EQ("read them back", BLK_S_OK, blk_req(BLK_T_IN, 10, buf[2], 2048, &len));
	CHECK_EQ("read used len = data + status", 2049, len);
	CHECK("read data matches", !memcmp(buf[1], buf[2], 2048));
	/* The last sector is in range, the one after is not. */
	CHECK_EQ("read the last sector", BLK_S_OK,
	         blk_req(BLK_T_IN, CAPACITY - 1, buf[2], 512, NULL));
	CHECK_EQ("read past the end", BLK_S_IOERR, blk_req(BLK_T_IN, CAPACITY, buf[2], 512, NULL));
	CHECK_EQ("read across the end", BLK_S_IOERR,
	         blk_req(BLK_T_IN, CAPACITY - 1, buf[2], 1024, NULL));
	CHECK_EQ("write past the end", BLK_S_IOERR,
	         blk_req(BLK_T_OUT, CAPACITY, buf[2], 512, NULL));
	CHECK_EQ("sector 2^63", BLK_S_IOERR, blk_req(BLK_T_IN, 1ULL << 63, buf[2], 512, NULL));
	CHECK_EQ("sector 2^64 - 1", BLK_S_IOERR, blk_req(BLK_T_IN, ~0ULL, buf[2], 512, NULL));
	CHECK_EQ("partial sector read", BLK_S_IOERR, blk_req(BLK_T_IN, 0, buf[2], 100, NULL));
	CHECK_EQ("partial sector write", BLK_S_IOERR, blk_req(BLK_T_OUT, 0, buf[2], 700, NULL));
	CHECK_EQ("unknown request type", BLK_S_UNSUPP, blk_req(99, 0, NULL, 0, NULL));
	CHECK_EQ("flush", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, &len));
	CHECK_EQ("flush used len", 1, len);
	memset(buf[2], 0, 64);
	CHECK_EQ("get id", BLK_S_OK, blk_req(BLK_T_GET_ID, 0, buf[2], 20, NULL));
	CHECK("serial is the image's name", !strcmp((char *)buf[2], "disk0.img"));
}

/* The device must not assume any framing (2.7.4): split header, data + status in one buffer. */
static void test_framing(void)
{
	fill(buf[3], 1024, 0x5a);
	CHECK_EQ("write", BLK_S_OK, blk_req(BLK_T_OUT, 100, buf[3], 1024, NULL));
	memset(buf[4], 0, 1025);
	hdr[1] = (struct blk_hdr){ BLK_T_IN, 0, 100 };
	set_desc(4, &hdr[1], 8, D_NEXT, 5);
	set_desc(5, (u8 *)&hdr[1] + 8, 8, D_NEXT, 6);
	set_desc(6, buf[4], 300, D_NEXT | D_WRITE, 7);
	set_desc(7, buf[4] + 300, 725, D_WRITE, 0); /* 724 data bytes, then the status */
	buf[4][1024] = 0xff;
	vq_submit(&q, 4);
	CHECK_EQ("split request completes", VIO_USED, vq_wait(&q, WAIT_MS, NULL, NULL));
	CHECK_EQ("status in the data buffer's last byte", BLK_S_OK, buf[4][1024]);
	CHECK("split read data matches", !memcmp(buf[3], buf[4], 1024));
}

static void test_indirect(void)
{
	u32 len = 0;
	int st;

	fill(buf[5], 512, 0x77);
	CHECK_EQ("write", BLK_S_OK, blk_req(BLK_T_OUT, 200, buf[5], 512, NULL));
	memset(buf[6], 0, 512);
	hdr[2] = (struct blk_hdr){ BLK_T_IN, 0, 200 };
	itable[0] = (struct vdesc){ (u64)&hdr[2], 16, D_NEXT, 1 };
	itable[1] = (struct vdesc){ (u64)buf[6], 512, D_NEXT | D_WRITE, 2 };
	itable[2] = (struct vdesc){ (u64)&status[2], 1, D_WRITE, 0 };
	set_desc(8, itable, 3 * sizeof(struct vdesc), D_INDIRECT, 0);
	st = complete(8, 2, &len);
	CHECK_EQ("indirect read", BLK_S_OK, st);
	CHECK_EQ("indirect read used len", 513, len);
	CHECK("indirect read data", !memcmp(buf[5], buf[6], 512));

	/* 2.7.5.3.2: "The device MUST handle the case of zero or more normal chained
	 * descriptors followed by a single descriptor with flags&VIRTQ_DESC_F_INDIRECT." */
	memset(buf[6], 0, 512);
	itable[0] = (struct vdesc){ (u64)buf[6], 512, D_NEXT | D_WRITE, 1 };
	itable[1] = (struct vdesc){ (u64)&status[2], 1, D_WRITE, 0 };
	set_desc(9, &hdr[2], 16, D_NEXT, 10);
	set_desc(10, itable, 2 * sizeof(struct vdesc), D_INDIRECT, 0);
	status[2] = 0xff;
	vq_submit(&q, 9);
	st = vq_wait(&q, WAIT_MS, NULL, NULL);
	CHECK_QUIRK("direct descriptors, then an indirect table",
	            st == VIO_USED && status[2] == BLK_S_OK && !memcmp(buf[5], buf[6], 512),
	            "wait %d status %u", st, status[2]);
	if (st != VIO_USED && vio_bringup(&rw, want, &q, QSIZE, qmem))
		FAILF("device does not come back after a reset");
}

/* Several chains made available at once, one notification. */
static void test_batch(void)
{
	unsigned i, done = 0;
	u32 id;

	for (i = 0; i < 8; i++) {
		hdr[i] = (struct blk_hdr){ BLK_T_IN, 0, i };
		set_desc(3 * i, &hdr[i], 16, D_NEXT, 3 * i + 1);
		set_desc(3 * i + 1, buf[i], 512, D_NEXT | D_WRITE, 3 * i + 2);
		set_desc(3 * i + 2, &status[i], 1, D_WRITE, 0);
		status[i] = 0xff;
		vq_add(&q, 3 * i);
	}
	vq_notify(&q);
	while (done < 8 && vq_wait(&q, WAIT_MS, &id, NULL) == VIO_USED)
		done++;
	CHECK_EQ("batch of 8 completed", 8, done);
	for (i = 0; i < 8; i++)
		CHECK_EQ("batch status", BLK_S_OK, status[i]);
}

/* A discard or write zeroes request of one segment, readable after the header. */
static int dwz(u32 type, u64 sector, u32 n, u32 flags)
{
	struct blk_seg *seg = (struct blk_seg *)buf[7];

	seg[0] = (struct blk_seg){ sector, n, flags };
	hdr[0] = (struct blk_hdr){ type, 0, 0 };
	set_desc(0, &hdr[0], 16, D_NEXT, 1);
	set_desc(1, seg, sizeof(*seg), D_NEXT, 2);
	set_desc(2, &status[0], 1, D_WRITE, 0);
	return complete(0, 0, NULL);
}

static void test_discard_zeroes(void)
{
	static const u8 zero[4096];

	fill(buf[8], 4096, 0x33);
	CHECK_EQ("write 8 sectors", BLK_S_OK, blk_req(BLK_T_OUT, 64, buf[8], 4096, NULL));
	CHECK_EQ("write zeroes", BLK_S_OK, dwz(BLK_T_WRITE_ZEROES, 64, 8, 0));
	CHECK_EQ("read", BLK_S_OK, blk_req(BLK_T_IN, 64, check, 4096, NULL));
	CHECK("zeroes read back", !memcmp(check, zero, 4096));
	CHECK_EQ("write 8 sectors", BLK_S_OK, blk_req(BLK_T_OUT, 64, buf[8], 4096, NULL));
	CHECK_EQ("write zeroes, unmap", BLK_S_OK, dwz(BLK_T_WRITE_ZEROES, 64, 8, 1));
	CHECK_EQ("read", BLK_S_OK, blk_req(BLK_T_IN, 64, check, 4096, NULL));
	CHECK("zeroes read back after unmap", !memcmp(check, zero, 4096));
	CHECK_EQ("discard", BLK_S_OK, dwz(BLK_T_DISCARD, 128, 8, 0));
	/* 5.2.6.2: unmap on a discard, or unknown flags, are VIRTIO_BLK_S_UNSUPP. */
	CHECK_EQ("discard with unmap", BLK_S_UNSUPP, dwz(BLK_T_DISCARD, 128, 8, 1));
	CHECK_EQ("write zeroes with flag 2", BLK_S_UNSUPP, dwz(BLK_T_WRITE_ZEROES, 128, 8, 2));
	CHECK_EQ("write zeroes past the end", BLK_S_IOERR,
	         dwz(BLK_T_WRITE_ZEROES, CAPACITY - 4, 8, 0));
}

/* 2.7.7 and 2.7.10 with VIRTIO_F_EVENT_IDX: used_event and avail_event. */
static void test_event_idx(void)
{
	u64 t0;

	CHECK("VIRTIO_F_EVENT_IDX negotiated", rw.features & F_EVENT_IDX);
	vio_write(&rw, VIO_INT_ACK, vio_read(&rw, VIO_INT_STATUS));
	CHECK_EQ("interrupt status acknowledged", 0, vio_read(&rw, VIO_INT_STATUS));
	*vq_used_event(&q) = (u16)(q.last_used + 2); /* not before the third one */
	CHECK_EQ("request 1", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, NULL));
	CHECK_EQ("no interrupt before used_event", 0, vio_read(&rw, VIO_INT_STATUS) & 1);
	*vq_used_event(&q) = q.last_used;
	CHECK_EQ("request 2", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, NULL));
	t0 = time_now();
	while (!(vio_read(&rw, VIO_INT_STATUS) & 1) && time_now() - t0 < WAIT_MS * TICKS_PER_MS)
		;
	CHECK_EQ("interrupt once used_event is reached", 1, vio_read(&rw, VIO_INT_STATUS) & 1);
	vio_write(&rw, VIO_INT_ACK, 1);
	CHECK_EQ("InterruptACK clears it", 0, vio_read(&rw, VIO_INT_STATUS) & 1);
	/* Idle again, the device asks to hear of the next buffer. */
	t0 = time_now();
	while (*(volatile u16 *)vq_avail_event(&q) != q.avail_idx &&
	       time_now() - t0 < WAIT_MS * TICKS_PER_MS)
		;
	CHECK_EQ("avail_event = avail idx when idle", q.avail_idx, *vq_avail_event(&q));
}

/* Without VIRTIO_F_EVENT_IDX: the avail flags (2.7.7). */
static void test_no_event_idx(void)
{
	u64 t0;

	if (vio_bringup(&rw, want & ~F_EVENT_IDX, &q, QSIZE, qmem)) {
		FAILF("bring-up without event index");
		return;
	}
	q.avail->flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	CHECK_EQ("request", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, NULL));
	CHECK_EQ("no interrupt with NO_INTERRUPT", 0, vio_read(&rw, VIO_INT_STATUS) & 1);
	q.avail->flags = 0;
	CHECK_EQ("request", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, NULL));
	t0 = time_now();
	while (!(vio_read(&rw, VIO_INT_STATUS) & 1) && time_now() - t0 < WAIT_MS * TICKS_PER_MS)
		;
	CHECK_EQ("interrupt without NO_INTERRUPT", 1, vio_read(&rw, VIO_INT_STATUS) & 1);
	vio_write(&rw, VIO_INT_ACK, 1);
	t0 = time_now();
	while ((*(volatile u16 *)&q.used->flags & 1) && time_now() - t0 < WAIT_MS * TICKS_PER_MS)
		;
	CHECK_EQ("idle device wants notifications (used flags 0)", 0, q.used->flags);
}

/* The data written survives a reset: it came from the device, not a cache of ours. */
static void test_reset(void)
{
	vio_reset(&rw);
	CHECK_EQ("status after reset", 0, vio_read(&rw, VIO_STATUS));
	vio_write(&rw, VIO_QUEUE_SEL, 0);
	CHECK_EQ("QueueReady after reset", 0, vio_read(&rw, VIO_QUEUE_READY));
	CHECK_EQ("InterruptStatus after reset", 0, vio_read(&rw, VIO_INT_STATUS));
	if (vio_bringup(&rw, want, &q, QSIZE, qmem)) {
		FAILF("bring-up after reset");
		return;
	}
	memset(check, 0, 2048);
	CHECK_EQ("read after reset", BLK_S_OK, blk_req(BLK_T_IN, 10, check, 2048, NULL));
	fill(buf[1], 2048, 0x11); /* what test_read_write wrote there */
	CHECK("data written before the reset", !memcmp(buf[1], check, 2048));
}

static void test_read_only(void)
{
	static const char line[] = "rvisor\nrvisor\n";
	int st;

	if (vio_bringup(&ro, want, &q, QSIZE, qmem)) {
		FAILF("bring-up of the read-only disk");
		return;
	}
	CHECK("read-only disk offers VIRTIO_BLK_F_RO", ro.features & BLK_F_RO);
	memset(check, 0, 512);
	CHECK_EQ("read", BLK_S_OK, blk_req(BLK_T_IN, 0, check, 512, NULL));
	CHECK("image contents", !memcmp(check, line, sizeof(line) - 1));
	memset(buf[9], 0xee, 512);
	/* 5.2.6.2: VIRTIO_BLK_S_IOERR for a write, and no data written. */
	CHECK_EQ("write to a read-only disk", BLK_S_IOERR,
	         blk_req(BLK_T_OUT, 0, buf[9], 512, NULL));
	memset(check, 0, 512);
	CHECK_EQ("read", BLK_S_OK, blk_req(BLK_T_IN, 0, check, 512, NULL));
	CHECK("nothing written", !memcmp(check, line, sizeof(line) - 1));
	*(struct blk_seg *)buf[9] = (struct blk_seg){ 0, 1, 0 };
	st = blk_req(BLK_T_WRITE_ZEROES, 0, buf[9], sizeof(struct blk_seg), NULL);
	CHECK("write zeroes refused", st == BLK_S_IOERR || st == BLK_S_UNSUPP);
	memset(check, 0, 512);
	CHECK_EQ("read", BLK_S_OK, blk_req(BLK_T_IN, 0, check, 512, NULL));
	CHECK("nothing zeroed", !memcmp(check, line, sizeof(line) - 1));
	CHECK_EQ("flush", BLK_S_OK, blk_req(BLK_T_FLUSH, 0, NULL, 0, NULL));
	vio_reset(&ro);
}

static int find_disks(void)
{
	struct vdev d;
	unsigned i;
	int nrw = 0, nro = 0;

	/* QEMU and rvisor may put the disks in different slots: tell them apart by RO. */
	for (i = 0; vio_find(2, i, &d) == 0; i++) {
		vio_write(&d, VIO_DEV_FEAT_SEL, 0);
		if (vio_read(&d, VIO_DEV_FEAT) & BLK_F_RO)
			ro = d, nro++;
		else
			rw = d, nrw++;
	}
	return nrw == 1 && nro == 1 ? 0 : -1;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	if (find_disks()) {
		FAILF("need one writable and one read-only virtio-blk device");
		test_finish();
	}
	test_identity();
	if (vio_bringup(&rw, want, &q, QSIZE, qmem)) {
		FAILF("bring-up failed (status %#x)", vio_read(&rw, VIO_STATUS));
		test_finish();
	}
	test_config();
	test_read_write();
	test_framing();
	test_indirect();
	test_batch();
	test_discard_zeroes();
	test_event_idx();
	test_no_event_idx();
	test_reset();
	vio_reset(&rw);
	test_read_only();
	test_finish();
}
