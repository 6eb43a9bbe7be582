// SPDX-License-Identifier: MIT
/* Raw disk images: the guest's sectors are the file's bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/disk.h"

#define ZERO_CHUNK (1u << 20)

struct disk_raw {
	struct disk disk;
	int fd;
};

static int raw_fd(struct disk *d)
{
	return ((struct disk_raw *)d)->fd;
}

/* preadv/pwritev until done: they may stop short (signals, page cache pressure). */
static int raw_rw(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off, bool write)
{
	struct iovec local[IOV_MAX];
	int i = 0, n = iovcnt;

	if (n < 0 || n > IOV_MAX)
		return -EINVAL;
	memcpy(local, iov, (size_t)n * sizeof(*iov));
	while (i < n) {
		ssize_t r = write ? pwritev(raw_fd(d), &local[i], n - i, (off_t)off)
		                  : preadv(raw_fd(d), &local[i], n - i, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (write)
				return -EIO;
			/* End of file (the image shrank under us): the rest reads as zeroes. */
			for (; i < n; i++)
				memset(local[i].iov_base, 0, local[i].iov_len);
			break;
		}
		off += (uint64_t)r;
		disk_iov_advance(local, n, &i, (size_t)r);
	}
	return 0;
}

static int raw_read(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return raw_rw(d, iov, iovcnt, off, false);
}

static int raw_write(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return d->read_only ? -EROFS : raw_rw(d, iov, iovcnt, off, true);
}

static int raw_flush(struct disk *d)
{
	while (fdatasync(raw_fd(d)) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int raw_fallocate(struct disk *d, int mode, uint64_t off, uint64_t len)
{
	while (fallocate(raw_fd(d), mode | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int raw_discard(struct disk *d, uint64_t off, uint64_t len)
{
	int rc;

	if (d->read_only)
		return -EROFS;
	rc = raw_fallocate(d, FALLOC_FL_PUNCH_HOLE, off, len);
	/* Discard is a hint: a file system that cannot punch holes keeps the data. */
	return rc == -EOPNOTSUPP || rc == -ENOSYS ? 0 : rc;
}

static int write_zero_bytes(struct disk *d, uint64_t off, uint64_t len)
{
	void *zeroes = calloc(1, ZERO_CHUNK);
	int rc = 0;

	if (!zeroes)
		return -ENOMEM;
	while (len && !rc) {
		struct iovec v = { zeroes, len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK };

		rc = raw_rw(d, &v, 1, off, true);
		off += v.iov_len;
		len -= v.iov_len;
	}
	free(zeroes);
	return rc;
}

static int raw_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	int rc = -EOPNOTSUPP;

	if (d->read_only)
		return -EROFS;
	/* A punched hole reads as zeroes; otherwise zero in place, else write zeroes. */
	if (unmap)
		rc = raw_fallocate(d, FALLOC_FL_PUNCH_HOLE, off, len);
	if (rc == -EOPNOTSUPP || rc == -ENOSYS)
		rc = raw_fallocate(d, FALLOC_FL_ZERO_RANGE, off, len);
	if (rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -EINVAL)
		rc = write_zero_bytes(d, off, len);
	return rc;
}

static void raw_close(struct disk *d)
{
	close(raw_fd(d));
	free(d);
}

static const struct disk_ops raw_ops = {
	.read = raw_read,
	.write = raw_write,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.close = raw_close,
};

int disk_raw_open(const char *path, bool read_only, struct disk **out)
{
	struct disk_raw *r;
	struct stat st;
	off_t size;
	int fd, rc;

	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail;
	}
	/* One writer, or any number of readers: two VMs writing one image corrupt it. */
	if (flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	size = lseek(fd, 0, SEEK_END); /* st_size is 0 for block devices */
	r = calloc(1, sizeof(*r));
	if (size < 0 || !r) {
		rc = size < 0 ? -errno : -ENOMEM;
		free(r);
		goto fail;
	}
	r->fd = fd;
	r->disk = (struct disk){
		.ops = &raw_ops, .size = (uint64_t)size, .read_only = read_only, .path = path
	};
	*out = &r->disk;
	return 0;
fail:
	close(fd);
	return rc;
}
