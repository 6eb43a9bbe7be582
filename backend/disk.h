/* SPDX-License-Identifier: MIT */
/*
 * A disk image as block devices see it: a byte-addressed store of a fixed
 * size with scatter-gather reads and writes, flush, discard and write
 * zeroes. Image formats (raw now, a copy-on-write overlay later) implement
 * the ops; devices (virtio-blk) use only this interface.
 *
 * Calls block; devices make them from their I/O threads. Host errors are
 * -errno (the device turns them into its own error status).
 */
#ifndef RVISOR_BACKEND_DISK_H
#define RVISOR_BACKEND_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct disk;

struct disk_ops {
	/* Fill iov from byte off; bytes past the end of the image read as zero. */
	int (*read)(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
	int (*write)(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
	/* Make every completed write durable (survives a host crash). */
	int (*flush)(struct disk *d);
	/* The range's contents become undefined (advisory: may do nothing). */
	int (*discard)(struct disk *d, uint64_t off, uint64_t len);
	/* The range reads as zeroes; unmap: its storage may be freed too. */
	int (*write_zeroes)(struct disk *d, uint64_t off, uint64_t len, bool unmap);
	void (*close)(struct disk *d);
};

struct disk {
	const struct disk_ops *ops;
	uint64_t size; /* bytes */
	bool read_only;
	const char *path;
};

static inline void disk_close(struct disk *d)
{
	if (d)
		d->ops->close(d);
}

/*
 * Open a raw image (a regular file or a block device). The image is locked
 * against a second writer (flock). 0 with *out set, or -errno.
 */
int disk_raw_open(const char *path, bool read_only, struct disk **out);

/*
 * Open a copy-on-write overlay (docs/overlay-format.md) over a raw base image,
 * which is opened read-only and shared-locked: many overlays, no writer. The
 * overlay file is created if missing or empty, and locked against a second
 * user. On error, err says why (a changed base, a corrupt overlay...). 0 or -errno.
 */
int disk_overlay_open(const char *base_path, const char *overlay_path, struct disk **out, char *err,
                      size_t errlen);

/*
 * After a short preadv/pwritev of r bytes over iov[*i..]: step past the
 * buffers it filled and trim the one it stopped in (backends' retry loops).
 */
static inline void disk_iov_advance(struct iovec *iov, int n, int *i, size_t r)
{
	while (*i < n && r >= iov[*i].iov_len) {
		r -= iov[*i].iov_len;
		(*i)++;
	}
	if (*i < n) {
		iov[*i].iov_base = (uint8_t *)iov[*i].iov_base + r;
		iov[*i].iov_len -= r;
	}
}

#endif
