/*
 * A minimal virtio-mmio (version 2) split-ring driver for the guest tests
 * (virtio 1.2, 4.2.3 and 2.7): find a device, negotiate, set up a queue,
 * build descriptor chains by hand (well-formed or not), submit, and poll
 * for completion or DEVICE_NEEDS_RESET. Polling only: no interrupts.
 */
#ifndef GUEST_VIO_H
#define GUEST_VIO_H

#include "rt.h"

#define VIO_BASE   0x10001000UL
#define VIO_STRIDE 0x1000UL
#define VIO_SLOTS  8

/* Registers (4.2.2) */
#define VIO_MAGIC         0x000
#define VIO_VERSION       0x004
#define VIO_DEVICE_ID     0x008
#define VIO_VENDOR_ID     0x00c
#define VIO_DEV_FEAT      0x010
#define VIO_DEV_FEAT_SEL  0x014
#define VIO_DRV_FEAT      0x020
#define VIO_DRV_FEAT_SEL  0x024
#define VIO_QUEUE_SEL     0x030
#define VIO_QUEUE_NUM_MAX 0x034
#define VIO_QUEUE_NUM     0x038
#define VIO_QUEUE_READY   0x044
#define VIO_QUEUE_NOTIFY  0x050
#define VIO_INT_STATUS    0x060
#define VIO_INT_ACK       0x064
#define VIO_STATUS        0x070
#define VIO_DESC_LO       0x080
#define VIO_DESC_HI       0x084
#define VIO_DRIVER_LO     0x090
#define VIO_DRIVER_HI     0x094
#define VIO_DEVICE_LO     0x0a0
#define VIO_DEVICE_HI     0x0a4
#define VIO_CONFIG_GEN    0x0fc
#define VIO_CONFIG        0x100

#define ST_ACK         1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 64
#define ST_FAILED      128

#define F_INDIRECT  (1ULL << 28)
#define F_EVENT_IDX (1ULL << 29)
#define F_VERSION_1 (1ULL << 32)

#define D_NEXT     1
#define D_WRITE    2
#define D_INDIRECT 4

struct vdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vavail {
	u16 flags;
	u16 idx;
	u16 ring[];
};

struct vused_elem {
	u32 id;
	u32 len;
};

struct vused {
	u16 flags;
	u16 idx;
	struct vused_elem ring[];
};

struct vdev {
	unsigned long base;
	u32 device_id;
	u64 features; /* negotiated */
};

struct vq {
	struct vdev *dev;
	u16 size;
	struct vdesc *desc;
	struct vavail *avail;
	struct vused *used;
	u16 avail_idx; /* next avail->idx we publish */
	u16 last_used; /* used entries seen */
};

u32 vio_read(const struct vdev *d, unsigned off);
void vio_write(const struct vdev *d, unsigned off, u32 val);

/* The nth device (0-based) with this device ID among the slots; 0 if found. */
int vio_find(u32 device_id, unsigned nth, struct vdev *d);
/* Write 0 to Status and check it reads back 0 (4.2.3.1). */
void vio_reset(struct vdev *d);
/* Reset, ACKNOWLEDGE, DRIVER, accept want & offered; 0 if FEATURES_OK stuck. */
int vio_negotiate(struct vdev *d, u64 want);
/* Queue n with size entries in the given 16 KiB page-aligned memory (4.2.3.2). */
int vio_queue_setup(struct vdev *d, unsigned n, struct vq *q, u16 size, void *mem);
void vio_driver_ok(struct vdev *d);
/* Full bring-up: negotiate, one queue, DRIVER_OK. 0 on success. */
int vio_bringup(struct vdev *d, u64 want, struct vq *q, u16 size, void *mem);

/* Publish a chain head and notify queue 0. */
void vq_submit(struct vq *q, u16 head);
/* Publish without notifying; then vq_notify. */
void vq_add(struct vq *q, u16 head);
void vq_notify(struct vq *q);
u16 *vq_used_event(struct vq *q);
u16 *vq_avail_event(struct vq *q);

enum vio_wait {
	VIO_USED = 0,        /* a used entry arrived */
	VIO_NEEDS_RESET = 1, /* the device asked for a reset */
	VIO_TIMEOUT = 2,
};

/* Wait up to ms for the next used entry (or DEVICE_NEEDS_RESET). */
enum vio_wait vq_wait(struct vq *q, unsigned ms, u32 *id, u32 *len);
/* Wait up to ms for DEVICE_NEEDS_RESET only. */
int vio_wait_needs_reset(struct vdev *d, unsigned ms);

u64 time_now(void);
#define TICKS_PER_MS 10000UL

/* RAM [base, end) from the device tree's memory node. */
void dtb_memory(unsigned long dtb, u64 *base, u64 *end);

static inline void wmb(void)
{
	__asm__ volatile("fence w, w" ::: "memory");
}
static inline void rmb(void)
{
	__asm__ volatile("fence r, r" ::: "memory");
}

/* virtio-blk requests (5.2.6) */
#define BLK_T_IN           0
#define BLK_T_OUT          1
#define BLK_T_FLUSH        4
#define BLK_T_GET_ID       8
#define BLK_T_DISCARD      11
#define BLK_T_WRITE_ZEROES 13
#define BLK_S_OK           0
#define BLK_S_IOERR        1
#define BLK_S_UNSUPP       2
#define BLK_F_SEG_MAX      (1ULL << 2)
#define BLK_F_RO           (1ULL << 5)
#define BLK_F_BLK_SIZE     (1ULL << 6)
#define BLK_F_FLUSH        (1ULL << 9)
#define BLK_F_DISCARD      (1ULL << 13)
#define BLK_F_WRITE_ZEROES (1ULL << 14)

struct blk_hdr {
	u32 type;
	u32 reserved;
	u64 sector;
};

struct blk_seg {
	u64 sector;
	u32 num_sectors;
	u32 flags;
};

#endif
