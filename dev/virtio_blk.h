/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2, 5.2) over a disk backend, one request queue,
 * served by the device's own I/O thread.
 */
#ifndef RVISOR_DEV_VIRTIO_BLK_H
#define RVISOR_DEV_VIRTIO_BLK_H

#include <stdio.h>

#include "backend/disk.h"
#include "dev/iothread.h"
#include "dev/virtio_mmio.h"

/* 5.2.3 Feature bits */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_GEOMETRY     4
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_TOPOLOGY     10
#define VIRTIO_BLK_F_CONFIG_WCE   11
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* 5.2.6 Device Operation */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR   512

#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data segments per request: a chain also holds the header and the status byte. */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
/* Buffers we accept in one chain: header and status may be split (5.2.6, 2.7.4). */
#define VIRTIO_BLK_MAX_BUFS     (VIRTIO_BLK_SEG_MAX + 8)
#define VIRTIO_BLK_DISCARD_SEGS 32

struct virtio_blk_stats {
	uint64_t requests;
	uint64_t reads, writes, flushes, get_ids, discards, write_zeroes;
	uint64_t bytes_read, bytes_written;
	uint64_t ioerr, unsupp; /* requests completed with VIRTIO_BLK_S_IOERR / _UNSUPP */
};

struct virtio_blk {
	struct virtio_mmio mmio;
	struct iothread io;
	struct disk *disk;
	char serial[VIRTIO_BLK_ID_BYTES];
	/* I/O thread only: the chain being served, and its data part. */
	struct iovec chain_iov[VIRTIO_BLK_MAX_BUFS];
	struct iovec data_iov[VIRTIO_BLK_MAX_BUFS];
	struct virtio_blk_stats stats;
};

/*
 * Attach a disk at a virtio-mmio slot. The device owns the disk from now
 * on (virtio_blk_destroy closes it). 0 or -errno.
 */
int virtio_blk_init(struct virtio_blk *b, struct vm *vm, struct plic *plic, unsigned slot,
                    struct disk *disk, const char *serial);
/* Stop the I/O thread (after the vCPUs), close the disk. */
void virtio_blk_destroy(struct virtio_blk *b);
void virtio_blk_print_stats(const struct virtio_blk *b, FILE *f);

#endif
