/*
 * A hostile driver against virtio-blk (virtio 1.2, 2.7 and 5.2): descriptor
 * loops, indices and addresses out of range, huge lengths, bad indirect
 * tables, available index jumps, bad framing, bad queue setups, a reset
 * with requests in flight, and a second hart rewriting descriptors while
 * the device walks them. Each attack starts from a fresh device; the
 * device must answer with DEVICE_NEEDS_RESET (plus a configuration change
 * interrupt) or an error status, and a reset must bring it back. That the
 * test gets to print its verdict shows the host survived.
 *
 * QEMU (the oracle) resets on most of these too. Where the spec leaves
 * the device's reaction open and QEMU differs, it gets a NOTE: QEMU drops
 * DMA to addresses with nothing behind them and completes the request.
 * Needs one writable 1 MiB disk (run.sh).
 */
#include <string.h>

#include "vio.h"

TEST_NAME("virtio_hostile");

#define QSIZE   32
#define WAIT_MS 1000
#define TIB     (1UL << 40)

static u8 qmem[16384] __attribute__((aligned(4096)));
static struct blk_hdr hdr __attribute__((aligned(16)));
static volatile u8 status;
static u8 data[4096] __attribute__((aligned(4096)));
static struct vdesc itable[320] __attribute__((aligned(16)));
static u8 scratch[65536] __attribute__((aligned(4096)));

static struct vdev dev;
static struct vq q;
static u64 ram_base, ram_end;
static const u64 want = F_VERSION_1 | F_INDIRECT | F_EVENT_IDX;

/* Outcomes */
#define R_RESET 1u  /* DEVICE_NEEDS_RESET */
#define R_ERR   2u  /* completed with VIRTIO_BLK_S_IOERR or _UNSUPP */
#define R_OK    4u  /* completed with VIRTIO_BLK_S_OK */
#define R_NONE  8u  /* nothing happened within WAIT_MS */
#define R_BAD   16u /* completed without a valid status */
#define R_ANY   31u

static const char *outcome_name(unsigned r)
{
	switch (r) {
	case R_RESET: return "needs reset";
	case R_ERR: return "error status";
	case R_OK: return "status OK";
	case R_NONE: return "no reaction";
	default: return "completed without a status";
	}
}

static void set_desc(unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	q.desc[i] = (struct vdesc){ addr, len, flags, next };
}

static unsigned outcome(void)
{
	switch (vq_wait(&q, WAIT_MS, NULL, NULL)) {
	case VIO_NEEDS_RESET: return R_RESET;
	case VIO_TIMEOUT: return R_NONE;
	default: break;
	}
	if (status == 0)
		return R_OK;
	return status == 1 || status == 2 ? R_ERR : R_BAD;
}

/* A write of one sector and its read back: the device works. */
static int healthy(u8 seed)
{
	unsigned i;

	for (i = 0; i < 512; i++)
		data[i] = (u8)(seed ^ i);
	hdr = (struct blk_hdr){ BLK_T_OUT, 0, 7 };
	set_desc(0, (u64)&hdr, 16, D_NEXT, 1);
	set_desc(1, (u64)data, 512, D_NEXT, 2);
	set_desc(2, (u64)&status, 1, D_WRITE, 0);
	status = 0xff;
	vq_submit(&q, 0);
	if (outcome() != R_OK)
		return 0;
	memset(data, 0, 512);
	hdr.type = BLK_T_IN;
	set_desc(1, (u64)data, 512, D_NEXT | D_WRITE, 2);
	status = 0xff;
	vq_submit(&q, 0);
	if (outcome() != R_OK)
		return 0;
	for (i = 0; i < 512; i++)
		if (data[i] != (u8)(seed ^ i))
			return 0;
	return 1;
}

static int config_irq(void)
{
	u64 t0 = time_now();

	while (!(vio_read(&dev, VIO_INT_STATUS) & 2))
		if (time_now() - t0 > WAIT_MS * TICKS_PER_MS)
			return 0;
	return 1;
}

/*
 * Bring the device up with features, let build() attack it, and check the
 * outcome: one of rvisor_ok, or under QEMU also one of oracle_ok. Then
 * reset and check the device works again.
 */
static void attack(const char *what, u64 features, void (*build)(void), unsigned rvisor_ok,
                   unsigned oracle_ok)
{
	static unsigned seed;
	unsigned got;

	if (vio_bringup(&dev, features, &q, QSIZE, qmem)) {
		FAILF("%s: bring-up failed", what);
		return;
	}
	status = 0xff;
	build();
	got = outcome();
	/* 2.1.2: DEVICE_NEEDS_RESET comes with a configuration change notification (which
	 * may follow the status bit by a moment). */
	if (got == R_RESET && !config_irq())
		FAILF("%s: needs reset without a configuration change interrupt", what);
	if (!(got & rvisor_ok)) {
		if (under_opensbi() && (got & oracle_ok))
			printf("NOTE: %s: QEMU: %s (the spec leaves it open)\n", what,
			       outcome_name(got));
		else
			FAILF("%s: %s, expected %s", what, outcome_name(got),
			      outcome_name(rvisor_ok & -rvisor_ok));
	}
	if (vio_bringup(&dev, want, &q, QSIZE, qmem) || !healthy((u8)++seed))
		FAILF("%s: the device does not work after a reset", what);
}

/* hdr, data, status in descriptors 0, 1, 2: a read of one sector. */
static void good_chain(void)
{
	hdr = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	set_desc(0, (u64)&hdr, 16, D_NEXT, 1);
	set_desc(1, (u64)data, 512, D_NEXT | D_WRITE, 2);
	set_desc(2, (u64)&status, 1, D_WRITE, 0);
}

static void loop2(void)
{
	good_chain();
	set_desc(1, (u64)data, 512, D_NEXT | D_WRITE, 0);
	vq_submit(&q, 0);
}

static void self_loop(void)
{
	good_chain();
	set_desc(0, (u64)&hdr, 16, D_NEXT, 0);
	vq_submit(&q, 0);
}

static void next_out_of_range(void)
{
	good_chain();
	set_desc(1, (u64)data, 512, D_NEXT | D_WRITE, QSIZE + 5);
	vq_submit(&q, 0);
}

static void head_out_of_range(void)
{
	good_chain();
	vq_submit(&q, QSIZE + 3);
}

static void data_outside_ram(void)
{
	good_chain();
	set_desc(1, TIB, 512, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void data_across_ram_end(void)
{
	good_chain();
	set_desc(1, ram_end - 256, 512, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void data_below_ram(void)
{
	good_chain();
	set_desc(1, ram_base - 4096, 4096, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void data_into_mmio(void)
{
	good_chain();
	set_desc(1, dev.base, 512, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void address_wraps(void)
{
	good_chain();
	set_desc(1, 0xfffffffffffff000UL, 0x2000, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void huge_length(void)
{
	good_chain();
	hdr.type = BLK_T_OUT;
	set_desc(1, ram_base, 0xffffffffu, D_NEXT, 2);
	vq_submit(&q, 0);
}

static void status_outside_ram(void)
{
	good_chain();
	set_desc(2, TIB + 64, 1, D_WRITE, 0);
	vq_submit(&q, 0);
}

static void header_outside_ram(void)
{
	good_chain();
	set_desc(0, ram_end, 16, D_NEXT, 1);
	vq_submit(&q, 0);
}

static void indirect(u64 addr, u32 len, u16 flags)
{
	set_desc(0, addr, len, flags, 0);
	vq_submit(&q, 0);
}

static void itable_chain(void)
{
	hdr = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	itable[0] = (struct vdesc){ (u64)&hdr, 16, D_NEXT, 1 };
	itable[1] = (struct vdesc){ (u64)data, 512, D_NEXT | D_WRITE, 2 };
	itable[2] = (struct vdesc){ (u64)&status, 1, D_WRITE, 0 };
}

static void indirect_len_odd(void)
{
	itable_chain();
	indirect((u64)itable, 24, D_INDIRECT);
}

static void indirect_len_zero(void)
{
	itable_chain();
	indirect((u64)itable, 0, D_INDIRECT);
}

static void indirect_outside_ram(void)
{
	indirect(TIB, 48, D_INDIRECT);
}

static void indirect_across_ram_end(void)
{
	indirect(ram_end - 16, 48, D_INDIRECT);
}

static void indirect_misaligned(void)
{
	static u8 raw[80] __attribute__((aligned(16)));

	itable_chain();
	memcpy(raw + 4, itable, 48);
	indirect((u64)raw + 4, 48, D_INDIRECT);
}

static void indirect_nested(void)
{
	itable_chain();
	itable[4] = itable[0];
	itable[0] = (struct vdesc){ (u64)&itable[4], 16, D_INDIRECT, 0 };
	indirect((u64)itable, 48, D_INDIRECT);
}

static void indirect_with_next(void)
{
	itable_chain();
	set_desc(1, (u64)&status, 1, D_WRITE, 0);
	indirect((u64)itable, 48, D_INDIRECT | D_NEXT);
}

static void indirect_not_negotiated(void)
{
	itable_chain();
	indirect((u64)itable, 48, D_INDIRECT);
}

static void indirect_loop(void)
{
	itable_chain();
	itable[1].next = 0;
	indirect((u64)itable, 48, D_INDIRECT);
}

static void indirect_next_out_of_range(void)
{
	itable_chain();
	itable[1].next = 7;
	indirect((u64)itable, 48, D_INDIRECT);
}

/* More than 2^32 bytes in one chain: the same 112 MiB of RAM, 40 times. */
static void chain_over_4g(void)
{
	unsigned i;

	hdr = (struct blk_hdr){ BLK_T_OUT, 0, 0 };
	itable[0] = (struct vdesc){ (u64)&hdr, 16, D_NEXT, 1 };
	for (i = 1; i <= 40; i++)
		itable[i] = (struct vdesc){ ram_base, 112u << 20, D_NEXT, (u16)(i + 1) };
	itable[41] = (struct vdesc){ (u64)&status, 1, D_WRITE, 0 };
	indirect((u64)itable, 42 * sizeof(struct vdesc), D_INDIRECT);
}

/* More buffers than a request can have (seg_max + header + status, and some). */
static void too_many_buffers(void)
{
	unsigned i;

	hdr = (struct blk_hdr){ BLK_T_OUT, 0, 0 };
	itable[0] = (struct vdesc){ (u64)&hdr, 16, D_NEXT, 1 };
	for (i = 1; i < 319; i++)
		itable[i] = (struct vdesc){ (u64)scratch, 512, D_NEXT, (u16)(i + 1) };
	itable[319] = (struct vdesc){ (u64)&status, 1, D_WRITE, 0 };
	indirect((u64)itable, 320 * sizeof(struct vdesc), D_INDIRECT);
}

static void avail_idx_jump(void)
{
	good_chain();
	q.avail->ring[0] = 0;
	wmb();
	q.avail->idx = (u16)(q.avail_idx + QSIZE + 1);
	vq_notify(&q);
}

static void writable_before_readable(void)
{
	good_chain();
	set_desc(0, (u64)&status, 1, D_WRITE | D_NEXT, 1);
	set_desc(1, (u64)&hdr, 16, 0, 0);
	vq_submit(&q, 0);
}

static void no_status_byte(void)
{
	good_chain();
	hdr.type = BLK_T_FLUSH;
	set_desc(0, (u64)&hdr, 16, 0, 0);
	vq_submit(&q, 0);
}

static void short_header(void)
{
	good_chain();
	set_desc(0, (u64)&hdr, 8, D_NEXT, 2);
	vq_submit(&q, 0);
}

/* The device writes sector data over the available ring it reads. */
static void data_over_avail_ring(void)
{
	good_chain();
	set_desc(1, (u64)q.avail, 512, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void data_over_descriptors(void)
{
	good_chain();
	set_desc(1, (u64)q.desc, 512, D_NEXT | D_WRITE, 2);
	vq_submit(&q, 0);
}

static void bad_notify(void)
{
	vio_write(&dev, VIO_QUEUE_NOTIFY, 7);
	vio_write(&dev, VIO_QUEUE_NOTIFY, 0xffff);
	vio_write(&dev, VIO_QUEUE_NOTIFY, 0xffffffff);
	good_chain();
	vq_submit(&q, 0);
}

/* Queue setups the device must refuse; sel: what to get wrong. */
static void bad_queue(unsigned what)
{
	u64 desc = (u64)qmem, avail = desc + 4096, used = desc + 8192;
	u32 num = QSIZE;

	vio_reset(&dev);
	vio_negotiate(&dev, want);
	vio_write(&dev, VIO_QUEUE_SEL, 0);
	switch (what) {
	case 0: num = 6; break;
	case 1: num = 65535; break;
	case 2: desc += 8; break;
	case 3: used += 2; break;
	case 4: desc = TIB; break;
	case 5: used = ram_end - 64; break;
	default: break;
	}
	vio_write(&dev, VIO_QUEUE_NUM, num);
	vio_write(&dev, VIO_DESC_LO, (u32)desc);
	vio_write(&dev, VIO_DESC_HI, (u32)(desc >> 32));
	vio_write(&dev, VIO_DRIVER_LO, (u32)avail);
	vio_write(&dev, VIO_DRIVER_HI, (u32)(avail >> 32));
	vio_write(&dev, VIO_DEVICE_LO, (u32)used);
	vio_write(&dev, VIO_DEVICE_HI, (u32)(used >> 32));
	vio_write(&dev, VIO_QUEUE_READY, 1);
	vio_driver_ok(&dev);
	/* q still describes the good layout: a request there must not be served. */
	q.avail_idx = q.last_used = 0;
	memset(qmem, 0, sizeof(qmem));
	good_chain();
	vq_submit(&q, 0);
}

static void queue_size_not_pow2(void)
{
	bad_queue(0);
}
static void queue_size_too_big(void)
{
	bad_queue(1);
}
static void desc_misaligned(void)
{
	bad_queue(2);
}
static void used_misaligned(void)
{
	bad_queue(3);
}
static void desc_outside_ram(void)
{
	bad_queue(4);
}
static void used_across_ram_end(void)
{
	bad_queue(5);
}

/* A reset while a batch of requests is in flight. */
static void reset_in_flight(void)
{
	unsigned i;

	for (i = 0; i < 8; i++) {
		set_desc(3 * i, (u64)&hdr, 16, D_NEXT, 3 * i + 1);
		set_desc(3 * i + 1, (u64)scratch + 4096 * i, 4096, D_NEXT | D_WRITE, 3 * i + 2);
		set_desc(3 * i + 2, (u64)&scratch[60000 + i], 1, D_WRITE, 0);
		vq_add(&q, 3 * i);
	}
	hdr = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	vq_notify(&q);
	vio_reset(&dev);
	CHECK_EQ("status reads 0 after a reset with requests in flight", 0,
	         vio_read(&dev, VIO_STATUS));
}

/* Register accesses a driver must not make. */
static void test_register_abuse(void)
{
	vio_reset(&dev);
	/* 4.2.2.2: control registers take 32-bit accesses only; others read 0, write nothing. */
	CHECK_EQ("byte read of MagicValue", 0, *(volatile u8 *)(dev.base + VIO_MAGIC));
	*(volatile u8 *)(dev.base + VIO_STATUS) = ST_ACK;
	*(volatile u16 *)(dev.base + VIO_QUEUE_SEL) = 0;
	CHECK_EQ("status after narrow writes", 0, vio_read(&dev, VIO_STATUS));
	(void)vio_read(&dev, 0x1fc); /* configuration space, past its end */
	vio_write(&dev, 0x1fc, 0x12345678);
	vio_write(&dev, VIO_MAGIC, 0);
	CHECK_EQ("MagicValue is read-only", 0x74726976, vio_read(&dev, VIO_MAGIC));
	vio_write(&dev, VIO_DRV_FEAT_SEL, 7);
	vio_write(&dev, VIO_DRV_FEAT, ~0u);
	if (vio_bringup(&dev, want, &q, QSIZE, qmem) || !healthy(0x42))
		FAILF("device broken by register abuse");
	/* Features the device did not offer: FEATURES_OK must not stick (2.2.2). */
	vio_reset(&dev);
	vio_write(&dev, VIO_STATUS, ST_ACK | ST_DRIVER);
	vio_write(&dev, VIO_DRV_FEAT_SEL, 0);
	vio_write(&dev, VIO_DRV_FEAT, ~0u);
	vio_write(&dev, VIO_DRV_FEAT_SEL, 1);
	vio_write(&dev, VIO_DRV_FEAT, ~0u);
	vio_write(&dev, VIO_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	CHECK_QUIRK("FEATURES_OK refused for features not offered",
	            !(vio_read(&dev, VIO_STATUS) & ST_FEATURES_OK), "status %#x",
	            vio_read(&dev, VIO_STATUS));
	vio_reset(&dev);
}

/* ---- a second hart rewrites descriptors while the device walks them ---- */

static volatile int race_stop, race_running;
static volatile u64 scribbles;

static u64 rng_state = 0x9e3779b97f4a7c15UL;
static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void scribbler(unsigned long hartid, unsigned long opaque)
{
	(void)hartid, (void)opaque;
	race_running = 1;
	while (!race_stop) {
		/* Mostly the chain the other hart is using, sometimes any entry. */
		struct vdesc *d = &q.desc[rnd() % (rnd() & 1 ? 3 : QSIZE)];
		u64 r = rnd();
		/* Addresses stay in the scratch buffer (or outside RAM): the device may write. */
		u64 addr = (r & 1) ? TIB : (u64)scratch + (r >> 8) % 32768;

		d->addr = addr;
		d->len = (u32)((r >> 24) % 32768);
		d->flags = (u16)((r >> 40) & 7);
		d->next = (u16)((r >> 44) % (QSIZE + 2));
		scribbles++;
	}
}

/* A read of sector n in descriptors 0..2, which the other hart keeps rewriting. */
static void race_chain(unsigned n)
{
	hdr = (struct blk_hdr){ BLK_T_IN, 0, n % 16 };
	set_desc(0, (u64)&hdr, 16, D_NEXT, 1);
	set_desc(1, (u64)scratch + 32768, 512, D_NEXT | D_WRITE, 2);
	set_desc(2, (u64)&status, 1, D_WRITE, 0);
}

static void test_race(void)
{
	long other = find_other_hart();
	unsigned i, n[32] = { 0 };
	u64 t0, s0;

	if (other < 0 || start_hart((unsigned long)other, scribbler, 0)) {
		FAILF("no second hart for the race test");
		return;
	}
	t0 = time_now();
	while (!race_running && time_now() - t0 < 1000 * TICKS_PER_MS)
		;
	for (i = 0; i < 300; i++) {
		unsigned r;

		/* The chain is written once per bring-up: from then on the other hart owns it. */
		if (i % 20 == 0) {
			if (vio_bringup(&dev, want, &q, QSIZE, qmem))
				break;
			race_chain(i);
		}
		status = 0xff;
		/* Give the other hart time on the chain even if the host runs one hart at a time.
		 */
		vq_add(&q, 0);
		s0 = scribbles;
		t0 = time_now();
		while (scribbles - s0 < 8 && time_now() - t0 < 100 * TICKS_PER_MS)
			;
		vq_notify(&q);
		r = outcome();
		n[r]++;
		if (r == R_RESET || r == R_NONE) {
			if (vio_bringup(&dev, want, &q, QSIZE, qmem))
				break;
			race_chain(i);
		}
	}
	race_stop = 1;
	/* Wait until the other hart has stopped (SBI HSM). */
	t0 = time_now();
	while (sbi_hart_get_status((unsigned long)other).value != SBI_HSM_STOPPED &&
	       time_now() - t0 < 1000 * TICKS_PER_MS)
		;
	printf("race: %u requests: %u ok, %u error status, %u no status, %u resets, %u lost\n", i,
	       n[R_OK], n[R_ERR], n[R_BAD], n[R_RESET], n[R_NONE]);
	CHECK_EQ("race: all rounds ran", 300, i);
	if (vio_bringup(&dev, want, &q, QSIZE, qmem) || !healthy(0x99))
		FAILF("race: the device does not work after a reset");
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	const u64 no_indirect = want & ~F_INDIRECT;
	const unsigned reset = R_RESET;

	(void)hartid;
	dtb_memory(dtb, &ram_base, &ram_end);
	if (!ram_end || vio_find(2, 0, &dev)) {
		FAILF("need a virtio-blk device and a memory node");
		test_finish();
	}
	printf("RAM %#lx-%#lx, virtio-blk at %#lx\n", (unsigned long)ram_base,
	       (unsigned long)ram_end, dev.base);
	if (vio_bringup(&dev, want, &q, QSIZE, qmem) || !healthy(1)) {
		FAILF("the device does not work to begin with");
		test_finish();
	}
	test_register_abuse();
	/* descriptor chains */
	attack("two-descriptor loop", want, loop2, reset, 0);
	attack("descriptor pointing at itself", want, self_loop, reset, 0);
	attack("next index out of range", want, next_out_of_range, reset, 0);
	attack("head index out of range", want, head_out_of_range, reset, 0);
	attack("buffer outside RAM", want, data_outside_ram, reset, R_ANY);
	attack("buffer across the end of RAM", want, data_across_ram_end, reset, R_ANY);
	attack("buffer below RAM", want, data_below_ram, reset, R_ANY);
	/* QEMU hangs when a device DMAs to its own registers. */
	if (!under_opensbi())
		attack("buffer on the device's own registers", want, data_into_mmio, reset, 0);
	attack("address + length wraps around", want, address_wraps, reset, R_ANY);
	attack("length 4 GiB - 1", want, huge_length, reset, R_ANY);
	attack("status byte outside RAM", want, status_outside_ram, reset, R_ANY);
	attack("header outside RAM", want, header_outside_ram, reset, R_ANY);
	attack("device-writable buffer before a readable one", want, writable_before_readable,
	       reset, 0);
	attack("chain over 4 GiB", want, chain_over_4g, reset, R_ERR);
	attack("more buffers than the device takes", want, too_many_buffers, reset, R_OK);
	attack("available index jumps past the queue size", want, avail_idx_jump, reset, 0);
	/* indirect tables */
	attack("indirect table length not a multiple of 16", want, indirect_len_odd, reset, 0);
	attack("indirect table of length 0", want, indirect_len_zero, reset, 0);
	attack("indirect table outside RAM", want, indirect_outside_ram, reset, R_ANY);
	attack("indirect table across the end of RAM", want, indirect_across_ram_end, reset, R_ANY);
	attack("misaligned indirect table", want, indirect_misaligned, reset, R_ANY);
	attack("nested indirect table", want, indirect_nested, reset, R_ANY);
	attack("indirect descriptor with NEXT", want, indirect_with_next, reset, R_ANY);
	attack("indirect without VIRTIO_F_INDIRECT_DESC", no_indirect, indirect_not_negotiated,
	       reset, R_ANY);
	attack("loop inside an indirect table", want, indirect_loop, reset, 0);
	attack("next out of range in an indirect table", want, indirect_next_out_of_range, reset,
	       0);
	/* framing: the spec gives a status to answer with, or there is none */
	attack("request without a status byte", want, no_status_byte, reset, 0);
	attack("header shorter than 16 bytes", want, short_header, R_ERR, R_RESET);
	attack("read into the available ring", want, data_over_avail_ring, R_ANY, R_ANY);
	attack("read into the descriptor table", want, data_over_descriptors, R_ANY, R_ANY);
	attack("notify of queues that do not exist", want, bad_notify, R_OK, 0);
	/* queue setup */
	attack("queue size not a power of 2", want, queue_size_not_pow2, reset, R_ANY);
	attack("queue size above QueueNumMax", want, queue_size_too_big, reset, R_ANY);
	attack("misaligned descriptor table", want, desc_misaligned, reset, R_ANY);
	attack("misaligned used ring", want, used_misaligned, reset, R_ANY);
	attack("descriptor table outside RAM", want, desc_outside_ram, reset, R_ANY);
	attack("used ring across the end of RAM", want, used_across_ram_end, reset, R_ANY);
	attack("reset with requests in flight", want, reset_in_flight, R_ANY, R_ANY);
	test_race();
	test_finish();
}
