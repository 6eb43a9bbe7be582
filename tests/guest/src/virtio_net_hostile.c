/*
 * virtio-net (virtio 1.2, 5.1) with two devices on one network (rvisor: one
 * virtual switch; QEMU: one hub): a well-behaved loopback first (device 0
 * sends a broadcast, device 1 receives it with a correct header), then a
 * hostile driver attacks each device's transmit queue and, with a frame
 * sent to it, its receive queue: descriptor loops, indices and addresses
 * out of range, huge lengths, buffers too small for the header, available
 * index jumps. The device must need a reset (or, where the request is only
 * malformed, return the chain unsent); after a reset the loopback works
 * again. That the test gets to print its verdict shows the host survived.
 */
#include <string.h>

#include "vio.h"

TEST_NAME("virtio_net_hostile");

#define QSIZE     16
#define WAIT_MS   1000
#define TIB       (1UL << 40)
#define HDR       12
#define BUFLEN    2048
#define NET_F_MAC (1ULL << 5)

static u8 qmem[2][2][16384] __attribute__((aligned(4096)));
static u8 rxbuf[QSIZE][BUFLEN] __attribute__((aligned(16)));
static u8 txbuf[BUFLEN] __attribute__((aligned(16)));
static struct vdev dev[2];
static struct vq q[2][2]; /* [device][queue]: 0 receive, 1 transmit */
static u64 ram_base, ram_end;
#define NET_F_CSUM     (1ULL << 0)
#define NET_F_HOST_TSO (3ULL << 11) /* HOST_TSO4, HOST_TSO6 */
static const u64 want = F_VERSION_1 | F_INDIRECT | F_EVENT_IDX | NET_F_MAC | NET_F_CSUM;
static u64 want_more; /* segmentation offload, for the attacks on it */

#define R_RESET 1u /* DEVICE_NEEDS_RESET */
#define R_USED  2u /* the chain came back */
#define R_NONE  4u /* nothing within WAIT_MS */

static const char *name_of(unsigned r)
{
	return r == R_RESET ? "needs reset" : r == R_USED ? "chain returned" : "no reaction";
}

static int bringup(unsigned i)
{
	if (vio_negotiate(&dev[i], want | want_more)) {
		printf("device %u: features not accepted\n", i);
		return -1;
	}
	if (vio_queue_setup(&dev[i], 0, &q[i][0], QSIZE, qmem[i][0]) ||
	    vio_queue_setup(&dev[i], 1, &q[i][1], QSIZE, qmem[i][1])) {
		printf("device %u: queue setup failed\n", i);
		return -1;
	}
	vio_driver_ok(&dev[i]);
	return 0;
}

static void kick(unsigned i, unsigned n, u16 head)
{
	vq_add(&q[i][n], head);
	vio_write(&dev[i], VIO_QUEUE_NOTIFY, n);
}

static void post_rx(unsigned i, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		q[i][0].desc[k] = (struct vdesc){ (u64)rxbuf[k], BUFLEN, D_WRITE, 0 };
		vq_add(&q[i][0], (u16)k);
	}
	vio_write(&dev[i], VIO_QUEUE_NOTIFY, 0);
}

/* A broadcast frame with the tag in its payload, from device i (descriptor 0 of its tx queue). */
static void send_frame(unsigned i, u8 tag)
{
	memset(txbuf, 0, HDR + 60);
	memset(txbuf + HDR, 0xff, 6);
	txbuf[HDR + 6] = 0x52, txbuf[HDR + 7] = 0x54, txbuf[HDR + 11] = (u8)i;
	txbuf[HDR + 12] = 0x88, txbuf[HDR + 13] = 0xb5;
	txbuf[HDR + 14] = tag;
	q[i][1].desc[0] = (struct vdesc){ (u64)txbuf, HDR + 60, 0, 0 };
	kick(i, 1, 0);
}

/* Device 0 sends, device 1 receives: both sides well-formed. */
static int loopback(u8 tag)
{
	u32 id, len;
	u16 nbuf;

	if (bringup(0) || bringup(1))
		return 0;
	post_rx(1, 4);
	send_frame(0, tag);
	if (vq_wait(&q[0][1], WAIT_MS, &id, &len) != VIO_USED || id != 0) {
		printf("loopback: the transmit chain did not come back\n");
		return 0;
	}
	/* Frames from before (e.g. QEMU's own) may come first: look for ours. */
	for (;;) {
		if (vq_wait(&q[1][0], WAIT_MS, &id, &len) != VIO_USED || id >= 4) {
			printf("loopback: no frame received\n");
			return 0;
		}
		rmb();
		if (len == HDR + 60 && rxbuf[id][HDR + 14] == tag && rxbuf[id][HDR] == 0xff)
			break;
	}
	memcpy(&nbuf, rxbuf[id] + 10, 2);
	/* 5.1.6.4: without VIRTIO_NET_F_MRG_RXBUF, num_buffers is 1 (QEMU leaves it 0). */
	CHECK_QUIRK("rx header: num_buffers 1", nbuf == 1, "num_buffers %u", nbuf);
	return 1;
}

static u16 be16at(const u8 *b)
{
	return (u16)(b[0] << 8 | b[1]);
}

/* Ones' complement sum of big-endian words, folded. */
static u32 sum16(u32 s, const u8 *b, unsigned len)
{
	unsigned k;

	for (k = 0; k + 1 < len; k += 2)
		s += (u32)b[k] << 8 | b[k + 1];
	if (len & 1)
		s += (u32)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * Device 0 (HOST_TSO4) sends one TCPv4 frame of 1800 payload bytes with
 * gso_size 1000; device 1 negotiated neither GUEST_TSO4 nor GUEST_CSUM, so
 * its device must hand it two finished segments: lengths, sequence numbers,
 * PSH on the last only, IP and TCP checksums right.
 */
static void gso_to_plain_guest(void)
{
	static const u8 hdr[HDR] = { 1, 1, 54, 0, 0xe8, 0x03, 34, 0, 16, 0, 0, 0 };
	u8 *f = txbuf + HDR;
	unsigned k, got = 0, plen = 1800;
	u32 id, len;

	want_more = NET_F_HOST_TSO;
	if (bringup(0)) {
		FAILF("gso: bring-up with HOST_TSO4 failed");
		want_more = 0;
		return;
	}
	want_more = 0;
	if (bringup(1)) {
		FAILF("gso: bring-up failed");
		return;
	}
	post_rx(1, 4);
	memset(txbuf, 0, HDR + 54);
	memcpy(txbuf, hdr, HDR);
	memset(f, 0xff, 6);
	f[6] = 0x52, f[7] = 0x54, f[11] = 7;
	f[12] = 0x08;
	f[14] = 0x45, f[16] = (u8)((40 + plen) >> 8), f[17] = (u8)(40 + plen);
	f[22] = 64, f[23] = 6;
	f[26] = 10, f[29] = 1, f[30] = 10, f[33] = 2;
	f[34 + 1] = 1, f[34 + 3] = 2;         /* ports */
	f[34 + 6] = 0x03, f[34 + 7] = 0xe8;   /* seq 1000 */
	f[34 + 12] = 0x50, f[34 + 13] = 0x18; /* ACK PSH */
	for (k = 0; k < plen; k++)
		f[54 + k] = (u8)(k * 7);
	q[0][1].desc[0] = (struct vdesc){ (u64)txbuf, HDR + 54 + plen, 0, 0 };
	kick(0, 1, 0);
	CHECK("gso: the transmit chain came back",
	      vq_wait(&q[0][1], WAIT_MS, &id, &len) == VIO_USED);
	while (got < 2 && vq_wait(&q[1][0], WAIT_MS, &id, &len) == VIO_USED && id < 4) {
		const u8 *r = rxbuf[id] + HDR;
		unsigned want_len = got ? plen - 1000 : 1000;
		u8 pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 0 };
		u32 sum;

		rmb();
		if (len < HDR + 54 || be16at(r + 12) != 0x0800)
			continue;
		pseudo[10] = (u8)((20 + want_len) >> 8), pseudo[11] = (u8)(20 + want_len);
		CHECK("gso: segment length", len == HDR + 54 + want_len);
		CHECK("gso: IP total length", be16at(r + 16) == 40 + want_len);
		CHECK("gso: IP checksum", sum16(0, r + 14, 20) == 0xffff);
		CHECK("gso: sequence", be16at(r + 40) == 1000 + 1000 * got && be16at(r + 38) == 0);
		CHECK("gso: PSH on the last segment only", (r[47] & 0x08) == (got ? 0x08 : 0));
		sum = sum16(sum16(0, pseudo, 12), r + 34, 20 + want_len);
		CHECK("gso: TCP checksum", sum == 0xffff);
		CHECK("gso: payload", r[54] == (u8)(1000 * got * 7));
		got++;
	}
	CHECK("gso: two segments received", got == 2);
}

static void check_outcome(const char *what, unsigned got, unsigned ok, unsigned oracle_ok)
{
	if (got & ok)
		return;
	if (under_opensbi() && (got & oracle_ok))
		printf("NOTE: %s: QEMU: %s (the spec leaves it open)\n", what, name_of(got));
	else
		FAILF("%s: %s", what, name_of(got));
}

static void after(const char *what)
{
	static u8 tag = 100;

	if (!loopback(++tag))
		FAILF("%s: the devices do not work after a reset", what);
}

/* Attack device 0's transmit queue: build() writes descriptors and kicks. */
static void attack_tx(const char *what, void (*build)(struct vq *), unsigned ok, unsigned oracle_ok)
{
	unsigned got;

	if (bringup(0)) {
		FAILF("%s: bring-up failed", what);
		return;
	}
	build(&q[0][1]);
	switch (vq_wait(&q[0][1], WAIT_MS, NULL, NULL)) {
	case VIO_NEEDS_RESET: got = R_RESET; break;
	case VIO_USED: got = R_USED; break;
	default: got = R_NONE; break;
	}
	check_outcome(what, got, ok, oracle_ok);
	after(what);
}

/* Attack device 1's receive queue, then send it a frame from device 0. */
static void attack_rx(const char *what, void (*build)(struct vq *), unsigned ok, unsigned oracle_ok)
{
	unsigned got;

	if (bringup(0) || bringup(1)) {
		FAILF("%s: bring-up failed", what);
		return;
	}
	build(&q[1][0]);
	vio_write(&dev[1], VIO_QUEUE_NOTIFY, 0);
	send_frame(0, 7);
	got = vio_wait_needs_reset(&dev[1], WAIT_MS) ? R_RESET : R_NONE;
	if (got == R_NONE && *(volatile u16 *)&q[1][0].used->idx != q[1][0].last_used)
		got = R_USED;
	check_outcome(what, got, ok, oracle_ok);
	after(what);
}

static void frame_desc(struct vq *v, unsigned i, u16 flags, u16 next)
{
	memset(txbuf, 0xff, HDR + 60);
	memset(txbuf, 0, HDR);
	v->desc[i] = (struct vdesc){ (u64)txbuf, HDR + 60, flags, next };
}

static void tx_loop(struct vq *v)
{
	frame_desc(v, 0, D_NEXT, 1);
	frame_desc(v, 1, D_NEXT, 0);
	kick(0, 1, 0);
}

static void tx_self_loop(struct vq *v)
{
	frame_desc(v, 0, D_NEXT, 0);
	kick(0, 1, 0);
}

static void tx_next_out_of_range(struct vq *v)
{
	frame_desc(v, 0, D_NEXT, QSIZE + 3);
	kick(0, 1, 0);
}

static void tx_head_out_of_range(struct vq *v)
{
	frame_desc(v, 0, 0, 0);
	kick(0, 1, QSIZE + 1);
}

static void tx_outside_ram(struct vq *v)
{
	v->desc[0] = (struct vdesc){ TIB, 128, 0, 0 };
	kick(0, 1, 0);
}

static void tx_across_ram_end(struct vq *v)
{
	v->desc[0] = (struct vdesc){ ram_end - 64, 128, 0, 0 };
	kick(0, 1, 0);
}

static void tx_huge(struct vq *v)
{
	v->desc[0] = (struct vdesc){ ram_base, 0xffffffffu, 0, 0 };
	kick(0, 1, 0);
}

static void tx_above_64k(struct vq *v)
{
	v->desc[0] = (struct vdesc){ ram_base, 70000, 0, 0 };
	kick(0, 1, 0);
}

static void tx_short_header(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)txbuf, 6, 0, 0 };
	kick(0, 1, 0);
}

static void tx_writable_only(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)txbuf, 128, D_WRITE, 0 };
	kick(0, 1, 0);
}

/* NEEDS_CSUM with csum_start + csum_offset past the end of the frame. */
static void tx_csum_outside(struct vq *v)
{
	u16 start = 70, off = 0xfff0;

	frame_desc(v, 0, 0, 0);
	txbuf[0] = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	memcpy(txbuf + 6, &start, 2);
	memcpy(txbuf + 8, &off, 2);
	kick(0, 1, 0);
}

/* A GSO request (HOST_TSO4/6 negotiated) with one bad field; the frame is not TCP either. */
static void gso_frame(struct vq *v, u8 flags, u8 type, u16 hdr_len, u16 size, u16 start, u16 off)
{
	frame_desc(v, 0, 0, 0);
	txbuf[0] = flags;
	txbuf[1] = type;
	memcpy(txbuf + 2, &hdr_len, 2);
	memcpy(txbuf + 4, &size, 2);
	memcpy(txbuf + 6, &start, 2);
	memcpy(txbuf + 8, &off, 2);
	kick(0, 1, 0);
}

static void tx_gso_size_zero(struct vq *v)
{
	gso_frame(v, 1, 1, 54, 0, 34, 16);
}

static void tx_gso_not_tcp(struct vq *v)
{
	gso_frame(v, 1, 1, 54, 1448, 34, 16);
}

static void tx_gso_hdr_len_beyond(struct vq *v)
{
	gso_frame(v, 1, 4, 0xffff, 1448, 0xfff0, 0xfff0);
}

static void tx_gso_unknown_type(struct vq *v)
{
	gso_frame(v, 0xff, 0x85, 54, 1, 34, 16);
}

static void tx_avail_jump(struct vq *v)
{
	frame_desc(v, 0, 0, 0);
	v->avail->ring[0] = 0;
	wmb();
	v->avail->idx = (u16)(v->avail_idx + QSIZE + 1);
	vio_write(&dev[0], VIO_QUEUE_NOTIFY, 1);
}

static void rx_loop(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)rxbuf[0], 16, D_WRITE | D_NEXT, 1 };
	v->desc[1] = (struct vdesc){ (u64)rxbuf[1], 16, D_WRITE | D_NEXT, 0 };
	vq_add(v, 0);
}

static void rx_outside_ram(struct vq *v)
{
	v->desc[0] = (struct vdesc){ TIB, BUFLEN, D_WRITE, 0 };
	vq_add(v, 0);
}

static void rx_into_mmio(struct vq *v)
{
	v->desc[0] = (struct vdesc){ dev[1].base, BUFLEN, D_WRITE, 0 };
	vq_add(v, 0);
}

static void rx_head_out_of_range(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)rxbuf[0], BUFLEN, D_WRITE, 0 };
	vq_add(v, QSIZE + 2);
}

static void rx_smaller_than_header(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)rxbuf[0], 8, D_WRITE, 0 };
	vq_add(v, 0);
}

static void rx_readable(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)rxbuf[0], BUFLEN, 0, 0 };
	vq_add(v, 0);
}

static void rx_avail_jump(struct vq *v)
{
	v->desc[0] = (struct vdesc){ (u64)rxbuf[0], BUFLEN, D_WRITE, 0 };
	v->avail->ring[0] = 0;
	wmb();
	v->avail->idx = (u16)(v->avail_idx + QSIZE + 5);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	const unsigned reset = R_RESET, any = R_RESET | R_USED | R_NONE;
	u8 mac[2][6];
	unsigned i, k;

	(void)hartid;
	dtb_memory(dtb, &ram_base, &ram_end);
	if (!ram_end || vio_find(1, 0, &dev[0]) || vio_find(1, 1, &dev[1])) {
		FAILF("need two virtio-net devices and a memory node");
		test_finish();
	}
	printf("RAM %#lx-%#lx, virtio-net at %#lx and %#lx\n", (unsigned long)ram_base,
	       (unsigned long)ram_end, dev[0].base, dev[1].base);
	for (i = 0; i < 2; i++) {
		CHECK("MAC offered", bringup(i) == 0 && (dev[i].features & NET_F_MAC));
		for (k = 0; k < 6; k++)
			mac[i][k] = *(volatile u8 *)(dev[i].base + VIO_CONFIG + k);
		CHECK("unicast MAC", !(mac[i][0] & 1));
	}
	CHECK("two different MACs", memcmp(mac[0], mac[1], 6) != 0);
	if (!loopback(1)) {
		FAILF("loopback does not work to begin with");
		test_finish();
	}
	attack_tx("tx: two-descriptor loop", tx_loop, reset, 0);
	attack_tx("tx: descriptor pointing at itself", tx_self_loop, reset, 0);
	attack_tx("tx: next index out of range", tx_next_out_of_range, reset, 0);
	attack_tx("tx: head index out of range", tx_head_out_of_range, reset, 0);
	attack_tx("tx: buffer outside RAM", tx_outside_ram, reset, any);
	attack_tx("tx: buffer across the end of RAM", tx_across_ram_end, reset, any);
	attack_tx("tx: 4 GiB buffer", tx_huge, R_USED | R_RESET, any);
	/* QEMU 7.2 (the oracle) aborts on these (an assertion in its iov_copy): rvisor only. */
	if (under_opensbi()) {
		printf("NOTE: tx: frame above 64 KiB, shorter than the header, device-writable "
		       "buffer: not run under QEMU (it aborts)\n");
	} else {
		attack_tx("tx: frame above 64 KiB", tx_above_64k, R_USED | R_RESET, any);
		attack_tx("tx: shorter than the header", tx_short_header, R_USED | R_RESET, any);
		attack_tx("tx: device-writable buffer", tx_writable_only, R_USED | R_RESET, any);
		attack_tx("tx: checksum offsets outside the frame", tx_csum_outside,
		          R_USED | R_RESET, any);
		/* rvisor offers TSO on every backend; QEMU only with a vnet-header peer. */
		want_more = NET_F_HOST_TSO;
		attack_tx("tx: GSO with gso_size 0", tx_gso_size_zero, R_USED | R_RESET, any);
		attack_tx("tx: GSO on a frame that is not TCP", tx_gso_not_tcp, R_USED | R_RESET,
		          any);
		attack_tx("tx: GSO with hdr_len and checksum offsets beyond the frame",
		          tx_gso_hdr_len_beyond, R_USED | R_RESET, any);
		attack_tx("tx: unknown GSO type and flags", tx_gso_unknown_type, R_USED | R_RESET,
		          any);
		want_more = 0;
		gso_to_plain_guest();
		after("gso to a guest without GUEST_TSO4");
	}
	attack_tx("tx: available index jump", tx_avail_jump, reset, any);
	attack_rx("rx: two-descriptor loop", rx_loop, reset, any);
	attack_rx("rx: buffer outside RAM", rx_outside_ram, reset, any);
	attack_rx("rx: buffer over the device's registers", rx_into_mmio, reset, any);
	attack_rx("rx: head index out of range", rx_head_out_of_range, reset, any);
	if (under_opensbi()) {
		printf("NOTE: rx: buffer smaller than the header, device-readable buffer: not run "
		       "under QEMU (it aborts)\n");
	} else {
		attack_rx("rx: buffer smaller than the header", rx_smaller_than_header, reset, any);
		attack_rx("rx: device-readable buffer", rx_readable, reset, any);
	}
	attack_rx("rx: available index jump", rx_avail_jump, reset, any);
	test_finish();
}
