/*
 * A hostile driver against virtio-console (virtio 1.2, 5.3): after a
 * well-formed transmit, the transmit queue gets descriptor loops, indices
 * and addresses out of range, a bad indirect table and an available index
 * jump. Each attack starts from a fresh device; the device must answer
 * with DEVICE_NEEDS_RESET (and a configuration change interrupt), and a
 * reset must bring it back. That the test gets to print its verdict shows
 * the host survived. The receive queue is attacked only where no input is
 * needed (its setup): run.sh gives the test no input.
 * Needs a virtio-console (run.sh: rvisor --console).
 */
#include <string.h>

#include "vio.h"

TEST_NAME("virtio_console_hostile");

#define QSIZE   32
#define WAIT_MS 1000
#define TIB     (1UL << 40)
#define TXQ     1

static u8 rxmem[16384] __attribute__((aligned(4096)));
static u8 txmem[16384] __attribute__((aligned(4096)));
static char msg[64] __attribute__((aligned(16)));
static struct vdesc itable[4] __attribute__((aligned(16)));
static struct vdev dev;
static struct vq rxq, txq;
static u64 ram_end;
static const u64 want = F_VERSION_1 | F_INDIRECT | F_EVENT_IDX;

/* Both queues, DRIVER_OK. 0 on success. */
static int bringup(void)
{
	if (vio_negotiate(&dev, want) || vio_queue_setup(&dev, 0, &rxq, QSIZE, rxmem) ||
	    vio_queue_setup(&dev, TXQ, &txq, QSIZE, txmem))
		return -1;
	vio_driver_ok(&dev);
	return 0;
}

static void tx_submit(u16 head)
{
	vq_add(&txq, head);
	vio_write(&dev, VIO_QUEUE_NOTIFY, TXQ);
}

/* Send a line on hvc0; 1 if the device returned the buffer. */
static int healthy(unsigned n)
{
	u32 id = 99, len = 99;

	snprintf(msg, sizeof(msg), "hvc0: line %u from the guest\n", n);
	txq.desc[0] = (struct vdesc){ (u64)msg, (u32)strlen(msg), 0, 0 };
	tx_submit(0);
	return vq_wait(&txq, WAIT_MS, &id, &len) == VIO_USED && id == 0;
}

static int config_irq(void)
{
	u64 t0 = time_now();

	while (!(vio_read(&dev, VIO_INT_STATUS) & 2))
		if (time_now() - t0 > WAIT_MS * TICKS_PER_MS)
			return 0;
	return 1;
}

/* oracle_differs: QEMU completes this one (it drops DMA to nothing); only a NOTE there. */
static void attack(const char *what, void (*build)(void), int oracle_differs)
{
	static unsigned n = 100;
	enum vio_wait got;

	if (bringup()) {
		FAILF("%s: bring-up failed", what);
		return;
	}
	build();
	got = vq_wait(&txq, WAIT_MS, NULL, NULL);
	if (got != VIO_NEEDS_RESET && oracle_differs && under_opensbi())
		printf("NOTE: %s: QEMU: %s (the spec leaves it open)\n", what,
		       got == VIO_USED ? "buffer used" : "no reaction");
	else if (got != VIO_NEEDS_RESET)
		FAILF("%s: %s, expected needs reset", what,
		      got == VIO_USED ? "buffer used" : "no reaction");
	else if (!config_irq())
		FAILF("%s: needs reset without a configuration change interrupt", what);
	else
		printf("ok: %s: needs reset\n", what);
	if (bringup() || !healthy(n++))
		FAILF("%s: the device does not work after a reset", what);
}

static void self_loop(void)
{
	txq.desc[0] = (struct vdesc){ (u64)msg, 4, D_NEXT, 0 };
	tx_submit(0);
}

static void loop2(void)
{
	txq.desc[0] = (struct vdesc){ (u64)msg, 4, D_NEXT, 1 };
	txq.desc[1] = (struct vdesc){ (u64)msg, 4, D_NEXT, 0 };
	tx_submit(0);
}

static void next_out_of_range(void)
{
	txq.desc[0] = (struct vdesc){ (u64)msg, 4, D_NEXT, QSIZE + 5 };
	tx_submit(0);
}

static void head_out_of_range(void)
{
	txq.desc[0] = (struct vdesc){ (u64)msg, 4, 0, 0 };
	tx_submit(QSIZE + 3);
}

static void buffer_outside_ram(void)
{
	txq.desc[0] = (struct vdesc){ TIB, 64, 0, 0 };
	tx_submit(0);
}

static void buffer_across_ram_end(void)
{
	txq.desc[0] = (struct vdesc){ ram_end - 16, 64, 0, 0 };
	tx_submit(0);
}

static void address_wraps(void)
{
	txq.desc[0] = (struct vdesc){ ~0UL - 8, 64, 0, 0 };
	tx_submit(0);
}

static void indirect_len_odd(void)
{
	itable[0] = (struct vdesc){ (u64)msg, 4, 0, 0 };
	txq.desc[0] = (struct vdesc){ (u64)itable, 17, D_INDIRECT, 0 };
	tx_submit(0);
}

static void indirect_loop(void)
{
	itable[0] = (struct vdesc){ (u64)msg, 4, D_NEXT, 1 };
	itable[1] = (struct vdesc){ (u64)msg, 4, D_NEXT, 0 };
	txq.desc[0] = (struct vdesc){ (u64)itable, 32, D_INDIRECT, 0 };
	tx_submit(0);
}

static void avail_idx_jump(void)
{
	txq.desc[0] = (struct vdesc){ (u64)msg, 4, 0, 0 };
	txq.avail->ring[0] = 0;
	wmb();
	txq.avail_idx += 1000;
	*(volatile u16 *)&txq.avail->idx = txq.avail_idx;
	vio_write(&dev, VIO_QUEUE_NOTIFY, TXQ);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	u64 ram_base;
	u32 cfg;
	unsigned i;

	(void)hartid;
	dtb_memory(dtb, &ram_base, &ram_end);
	if (!ram_end || vio_find(3, 0, &dev)) {
		FAILF("need a virtio-console device and a memory node");
		test_finish();
	}
	printf("virtio-console at %#lx\n", dev.base);
	if (bringup()) {
		FAILF("bring-up failed");
		test_finish();
	}
	/* 5.3.4: max_nr_ports is there whether or not MULTIPORT is offered (rvisor: 1). */
	cfg = vio_read(&dev, VIO_CONFIG + 4);
	if (!under_opensbi())
		CHECK_EQ("max_nr_ports", 1, cfg);
	for (i = 0; i < 3; i++)
		if (!healthy(i))
			FAILF("transmit %u not returned", i);
	/* A queue size the device does not offer is refused; it must not break it. */
	vio_write(&dev, VIO_QUEUE_SEL, 7);
	vio_write(&dev, VIO_QUEUE_NUM, 4);
	vio_write(&dev, VIO_QUEUE_READY, 1);
	if (!healthy(3))
		FAILF("transmit after touching a queue that does not exist");
	attack("descriptor pointing at itself", self_loop, 0);
	attack("two-descriptor loop", loop2, 0);
	attack("next index out of range", next_out_of_range, 0);
	attack("head index out of range", head_out_of_range, 0);
	attack("buffer outside RAM", buffer_outside_ram, 1);
	attack("buffer across the end of RAM", buffer_across_ram_end, 1);
	attack("address + length wraps around", address_wraps, 1);
	attack("indirect table length not a multiple of 16", indirect_len_odd, 0);
	attack("loop inside an indirect table", indirect_loop, 0);
	attack("available index jumps past the queue size", avail_idx_jump, 1);
	test_finish();
}
