// SPDX-License-Identifier: MIT
/*
 * Copy-on-write overlays over a read-only raw base image (format:
 * docs/overlay-format.md). The guest sees the base; what it writes goes to
 * whole clusters in the overlay file, which a table maps. The table lives
 * in memory and reaches the file only on flush, after the data it points
 * to is durable: a crash never exposes a table entry to unwritten data.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/disk.h"
#include "dev/iov.h"

#define OVL_MAGIC        "RVISOROV"
#define OVL_VERSION      1
#define OVL_HEADER_SIZE  4096u
#define OVL_CLUSTER_BITS 16
#define OVL_MAX_SIZE     (1ull << 40) /* 1 TiB: a 128 MiB table in memory */
#define OVL_HASH_SPAN    (1u << 20)   /* the base's first and last MiB are hashed */
#define OVL_PATH_MAX     256

/* Table entries: an overlay file offset of the cluster's data, or one of these. */
#define ENT_BASE 0ull /* read from the base */
#define ENT_ZERO 1ull /* reads as zeroes */

/* Header field offsets (little-endian). */
enum {
	H_MAGIC = 0,
	H_VERSION = 8,
	H_CLUSTER_BITS = 12,
	H_SIZE = 16,
	H_TABLE_OFF = 24,
	H_ENTRIES = 32,
	H_DATA_OFF = 40,
	H_BASE_SIZE = 48,
	H_BASE_MTIME_S = 56,
	H_BASE_MTIME_NS = 64,
	H_BASE_HASH = 72,
	H_CHECKSUM = 80,
	H_BASE_PATH = 88,
};

struct overlay {
	struct disk disk;
	struct disk *base;
	int fd;
	uint64_t cluster; /* bytes */
	uint64_t entries; /* clusters */
	uint64_t table_off, data_off;
	uint64_t *table;             /* host order */
	uint64_t next_free;          /* where the next cluster is allocated */
	uint64_t dirty_lo, dirty_hi; /* table entries [lo, hi) not yet in the file */
	uint8_t *buf;                /* one cluster, for copy-on-write */
	pthread_mutex_t lock;
	char path[];
};

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint32_t header_checksum(const uint8_t *h)
{
	uint8_t copy[OVL_HEADER_SIZE];
	uint64_t x;

	memcpy(copy, h, sizeof(copy));
	memset(copy + H_CHECKSUM, 0, 4);
	x = fnv1a64(0xcbf29ce484222325ull, copy, sizeof(copy));
	return (uint32_t)(x ^ (x >> 32));
}

static void put64(uint8_t *h, unsigned off, uint64_t v)
{
	v = htole64(v);
	memcpy(h + off, &v, 8);
}

static void put32(uint8_t *h, unsigned off, uint32_t v)
{
	v = htole32(v);
	memcpy(h + off, &v, 4);
}

static uint64_t get64(const uint8_t *h, unsigned off)
{
	uint64_t v;

	memcpy(&v, h + off, 8);
	return le64toh(v);
}

static uint32_t get32(const uint8_t *h, unsigned off)
{
	uint32_t v;

	memcpy(&v, h + off, 4);
	return le32toh(v);
}

/* pread/pwrite the whole buffer. A read past the end of the file is -EIO (truncated). */
static int full_io(int fd, void *buf, size_t len, uint64_t off, bool write)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* preadv/pwritev of a whole scatter list (at most IOV_MAX entries). */
static int full_iov(int fd, const struct iovec *iov, int n, uint64_t off, bool write)
{
	struct iovec local[IOV_MAX];
	int i = 0;

	if (n < 0 || n > IOV_MAX)
		return -EINVAL;
	memcpy(local, iov, (size_t)n * sizeof(*iov));
	while (i < n) {
		ssize_t r = write ? pwritev(fd, &local[i], n - i, (off_t)off)
		                  : preadv(fd, &local[i], n - i, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		off += (uint64_t)r;
		disk_iov_advance(local, n, &i, (size_t)r);
	}
	return 0;
}

static int sync_fd(int fd)
{
	while (fdatasync(fd) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* The base's identity: size, modification time, a hash of its first and last MiB. */
struct base_id {
	uint64_t size, mtime_s, mtime_ns, hash;
};

static int base_identity(struct disk *base, const char *path, struct base_id *id)
{
	uint8_t *buf = malloc(OVL_HASH_SPAN);
	uint64_t n = base->size < OVL_HASH_SPAN ? base->size : OVL_HASH_SPAN;
	struct iovec v = { buf, (size_t)n };
	struct stat st;
	int rc;

	if (!buf)
		return -ENOMEM;
	if (stat(path, &st) < 0) {
		free(buf);
		return -errno;
	}
	id->size = base->size;
	id->mtime_s = (uint64_t)st.st_mtim.tv_sec;
	id->mtime_ns = (uint64_t)st.st_mtim.tv_nsec;
	id->hash = 0xcbf29ce484222325ull;
	rc = base->ops->read(base, &v, 1, 0);
	if (!rc) {
		id->hash = fnv1a64(id->hash, buf, (size_t)n);
		rc = base->ops->read(base, &v, 1, base->size - n);
	}
	if (!rc)
		id->hash = fnv1a64(id->hash, buf, (size_t)n);
	free(buf);
	return rc;
}

static struct overlay *ovl(struct disk *d)
{
	return (struct overlay *)d;
}

static void mark_dirty(struct overlay *o, uint64_t idx)
{
	if (o->dirty_lo >= o->dirty_hi) {
		o->dirty_lo = idx;
		o->dirty_hi = idx + 1;
	} else {
		o->dirty_lo = idx < o->dirty_lo ? idx : o->dirty_lo;
		o->dirty_hi = idx + 1 > o->dirty_hi ? idx + 1 : o->dirty_hi;
	}
}

static bool range_ok(const struct disk *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

static uint64_t iov_total(const struct iovec *iov, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static int ovl_read(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct overlay *o = ovl(d);
	uint64_t len = iov_total(iov, iovcnt), done = 0;
	struct iovec part[IOV_MAX];
	int rc = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	/* Past the end reads as zeroes, as for raw images. */
	while (done < len && !rc) {
		uint64_t pos = off + done, idx = pos / o->cluster, in = pos % o->cluster;
		uint64_t n = o->cluster - in < len - done ? o->cluster - in : len - done;
		uint64_t e = idx < o->entries ? o->table[idx] : ENT_ZERO;
		int cnt = iov_slice(iov, (unsigned)iovcnt, done, n, part, IOV_MAX);

		if (cnt < 0) {
			rc = -EINVAL;
			break;
		}
		if (e == ENT_ZERO) {
			for (int i = 0; i < cnt; i++)
				memset(part[i].iov_base, 0, part[i].iov_len);
		} else if (e == ENT_BASE) {
			rc = o->base->ops->read(o->base, part, cnt, pos);
		} else {
			rc = full_iov(o->fd, part, cnt, e + in, false);
		}
		done += n;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

/* Give cluster idx its own data in the overlay: the old contents merged with new. */
static int cow_cluster(struct overlay *o, uint64_t idx, uint64_t in, const struct iovec *part,
                       int cnt, uint64_t n)
{
	uint64_t e = o->table[idx], at = o->next_free;
	int rc = 0;

	if (n == o->cluster) {
		rc = full_iov(o->fd, part, cnt, at, true);
	} else {
		if (e == ENT_ZERO) {
			memset(o->buf, 0, o->cluster);
		} else {
			struct iovec v = { o->buf, (size_t)o->cluster };

			rc = o->base->ops->read(o->base, &v, 1, idx * o->cluster);
		}
		if (!rc) {
			iov_to_buf(part, (unsigned)cnt, 0, o->buf + in, (size_t)n);
			rc = full_io(o->fd, o->buf, o->cluster, at, true);
		}
	}
	if (rc)
		return rc;
	o->next_free += o->cluster;
	o->table[idx] = at;
	mark_dirty(o, idx);
	return 0;
}

static int ovl_write(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct overlay *o = ovl(d);
	uint64_t len = iov_total(iov, iovcnt), done = 0;
	struct iovec part[IOV_MAX];
	int rc = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX || !range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	while (done < len && !rc) {
		uint64_t pos = off + done, idx = pos / o->cluster, in = pos % o->cluster;
		uint64_t n = o->cluster - in < len - done ? o->cluster - in : len - done;
		uint64_t e = o->table[idx];
		int cnt = iov_slice(iov, (unsigned)iovcnt, done, n, part, IOV_MAX);

		if (cnt < 0)
			rc = -EINVAL;
		else if (e == ENT_BASE || e == ENT_ZERO)
			rc = cow_cluster(o, idx, in, part, cnt, n);
		else
			rc = full_iov(o->fd, part, cnt, e + in, true);
		done += n;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

/* Write the dirty part of the table (the data it points to is durable already). */
static int write_table(struct overlay *o)
{
	uint64_t lo = o->dirty_lo, hi = o->dirty_hi, i;
	uint64_t chunk[512];
	int rc = 0;

	for (i = lo; i < hi && !rc;) {
		uint64_t k, n = hi - i < 512 ? hi - i : 512;

		for (k = 0; k < n; k++)
			chunk[k] = htole64(o->table[i + k]);
		rc = full_io(o->fd, chunk, n * 8, o->table_off + i * 8, true);
		i += n;
	}
	if (!rc)
		o->dirty_lo = o->dirty_hi = 0;
	return rc;
}

/* Data first, then the table that points to it, each made durable in turn. */
static int flush_locked(struct overlay *o)
{
	int rc = sync_fd(o->fd);

	if (!rc && o->dirty_lo < o->dirty_hi) {
		rc = write_table(o);
		if (!rc)
			rc = sync_fd(o->fd);
	}
	return rc;
}

static int ovl_flush(struct disk *d)
{
	struct overlay *o = ovl(d);
	int rc;

	pthread_mutex_lock(&o->lock);
	rc = flush_locked(o);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

/*
 * Zero a range: whole clusters become ENT_ZERO (their old data is punched
 * out of the file, never reused), partial ones get zeroes written.
 */
static int ovl_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	struct overlay *o = ovl(d);
	uint64_t done = 0;
	int rc = 0;

	(void)unmap;
	if (!range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	while (done < len && !rc) {
		uint64_t pos = off + done, idx = pos / o->cluster, in = pos % o->cluster;
		uint64_t n = o->cluster - in < len - done ? o->cluster - in : len - done;
		uint64_t e = o->table[idx];

		/* The last cluster of an odd-sized disk is whole when it reaches the end. */
		if (n == o->cluster || (in == 0 && pos + n == d->size)) {
			if (e != ENT_ZERO) {
				o->table[idx] = ENT_ZERO;
				mark_dirty(o, idx);
			}
			if (e != ENT_BASE && e != ENT_ZERO)
				(void)fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				                (off_t)e, (off_t)o->cluster);
		} else if (e != ENT_ZERO) {
			/* Zeroes are a write: partial clusters go through copy-on-write. */
			static const uint8_t zero[4096];
			uint64_t k = 0;

			while (k < n && !rc) {
				uint64_t m = n - k < sizeof(zero) ? n - k : sizeof(zero);
				struct iovec v = { (void *)zero, (size_t)m };

				e = o->table[idx];
				if (e == ENT_BASE)
					rc = cow_cluster(o, idx, in + k, &v, 1, m);
				else
					rc = full_iov(o->fd, &v, 1, e + in + k, true);
				k += m;
			}
		}
		done += n;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

static int ovl_discard(struct disk *d, uint64_t off, uint64_t len)
{
	/* Discarded data is undefined: reading zeroes is allowed, and frees the most. */
	return ovl_write_zeroes(d, off, len, true);
}

static void ovl_close(struct disk *d)
{
	struct overlay *o = ovl(d);

	flush_locked(o); /* a clean shutdown keeps what the guest did not flush */
	close(o->fd);
	disk_close(o->base);
	pthread_mutex_destroy(&o->lock);
	free(o->table);
	free(o->buf);
	free(o);
}

static const struct disk_ops overlay_ops = {
	.read = ovl_read,
	.write = ovl_write,
	.flush = ovl_flush,
	.discard = ovl_discard,
	.write_zeroes = ovl_write_zeroes,
	.close = ovl_close,
};

#define FAIL(code, ...)                             \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		rc = (code);                        \
		goto fail;                          \
	} while (0)

/* A new overlay: header and an all-base table (a sparse hole), made durable. */
static int create_overlay(struct overlay *o, const char *base_path, const struct base_id *id)
{
	uint8_t h[OVL_HEADER_SIZE] = { 0 };
	int rc;

	memcpy(h + H_MAGIC, OVL_MAGIC, 8);
	put32(h, H_VERSION, OVL_VERSION);
	put32(h, H_CLUSTER_BITS, OVL_CLUSTER_BITS);
	put64(h, H_SIZE, o->disk.size);
	put64(h, H_TABLE_OFF, o->table_off);
	put64(h, H_ENTRIES, o->entries);
	put64(h, H_DATA_OFF, o->data_off);
	put64(h, H_BASE_SIZE, id->size);
	put64(h, H_BASE_MTIME_S, id->mtime_s);
	put64(h, H_BASE_MTIME_NS, id->mtime_ns);
	put64(h, H_BASE_HASH, id->hash);
	snprintf((char *)h + H_BASE_PATH, OVL_PATH_MAX, "%s", base_path);
	put32(h, H_CHECKSUM, header_checksum(h));
	if (ftruncate(o->fd, (off_t)o->data_off) < 0)
		return -errno;
	rc = full_io(o->fd, h, sizeof(h), 0, true);
	return rc ? rc : sync_fd(o->fd);
}

/* Check an existing overlay's header against the base; load and check its table. */
static int load_overlay(struct overlay *o, const char *base_path, const struct base_id *id,
                        uint64_t file_size, char *err, size_t errlen)
{
	uint8_t h[OVL_HEADER_SIZE];
	uint64_t i, nclusters;
	uint8_t *seen = NULL;
	int rc;

	if (file_size < OVL_HEADER_SIZE || full_io(o->fd, h, sizeof(h), 0, false))
		FAIL(-EINVAL, "'%s' is not an rvisor overlay (too short)", o->path);
	if (memcmp(h + H_MAGIC, OVL_MAGIC, 8))
		FAIL(-EINVAL, "'%s' is not an rvisor overlay (bad magic)", o->path);
	if (get32(h, H_VERSION) != OVL_VERSION)
		FAIL(-EINVAL, "overlay '%s' has format version %u (this rvisor reads %u)", o->path,
		     get32(h, H_VERSION), OVL_VERSION);
	if (get32(h, H_CHECKSUM) != header_checksum(h))
		FAIL(-EINVAL, "overlay '%s' is corrupt (header checksum mismatch)", o->path);
	h[H_BASE_PATH + OVL_PATH_MAX - 1] = 0;
	if (get32(h, H_CLUSTER_BITS) != OVL_CLUSTER_BITS || get64(h, H_SIZE) != o->disk.size ||
	    get64(h, H_TABLE_OFF) != o->table_off || get64(h, H_ENTRIES) != o->entries ||
	    get64(h, H_DATA_OFF) != o->data_off || get64(h, H_BASE_SIZE) != id->size)
		FAIL(-ESTALE,
		     "overlay '%s' was made over a base of %" PRIu64 " bytes ('%s'), "
		     "but '%s' has %" PRIu64 " bytes: refusing to use it",
		     o->path, get64(h, H_BASE_SIZE), (char *)h + H_BASE_PATH, base_path, id->size);
	if (get64(h, H_BASE_MTIME_S) != id->mtime_s || get64(h, H_BASE_MTIME_NS) != id->mtime_ns ||
	    get64(h, H_BASE_HASH) != id->hash)
		FAIL(-ESTALE,
		     "base image '%s' changed since overlay '%s' was made over it ('%s'): "
		     "the overlay's data would no longer match; refusing to use it",
		     base_path, o->path, (char *)h + H_BASE_PATH);
	rc = file_size < o->data_off
	         ? -EIO
	         : full_io(o->fd, o->table, o->entries * 8, o->table_off, false);
	if (rc)
		FAIL(-EINVAL, "overlay '%s' is corrupt (table truncated)", o->path);
	/* Every entry: base, zero, or its own whole data cluster inside the file. */
	nclusters = (file_size - o->data_off) / o->cluster;
	seen = calloc(nclusters / 8 + 1, 1);
	if (!seen)
		FAIL(-ENOMEM, "out of memory");
	for (i = 0; i < o->entries; i++) {
		uint64_t e = le64toh(o->table[i]), c;

		o->table[i] = e;
		if (e == ENT_BASE || e == ENT_ZERO)
			continue;
		c = (e - o->data_off) / o->cluster;
		if (e < o->data_off || e % o->cluster || c >= nclusters ||
		    (seen[c / 8] >> c % 8) & 1)
			FAIL(-EINVAL,
			     "overlay '%s' is corrupt (table entry %" PRIu64 " = %#" PRIx64 ")",
			     o->path, i, e);
		seen[c / 8] |= (uint8_t)(1u << c % 8);
	}
	/* Space past the last whole cluster (a crash mid-allocation) is never used. */
	o->next_free =
	    o->data_off + ((file_size - o->data_off + o->cluster - 1) / o->cluster) * o->cluster;
	rc = 0;
fail:
	free(seen);
	return rc;
}

/*
 * A crash inside create_overlay() leaves the file at data_off bytes with no
 * header yet: it holds no data, so it is safe to initialise it again.
 */
static bool interrupted_create(struct overlay *o, uint64_t file_size)
{
	uint8_t h[OVL_HEADER_SIZE];
	unsigned i;

	if (file_size != o->data_off || full_io(o->fd, h, sizeof(h), 0, false))
		return false;
	for (i = 0; i < sizeof(h); i++)
		if (h[i])
			return false;
	return true;
}

int disk_overlay_open(const char *base_path, const char *path, struct disk **out, char *err,
                      size_t errlen)
{
	struct overlay *o = calloc(1, sizeof(*o) + strlen(path) + 1);
	struct base_id id;
	struct stat st;
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	strcpy(o->path, path);
	o->fd = -1;
	pthread_mutex_init(&o->lock, NULL);
	/* Shared lock: any number of overlays, but no writer, on one base. */
	rc = disk_raw_open(base_path, true, &o->base);
	if (rc)
		FAIL(rc, "cannot open base image '%s': %s", base_path,
		     rc == -EBUSY ? "in use read-write by another VM or process" : strerror(-rc));
	if (o->base->size == 0 || o->base->size > OVL_MAX_SIZE)
		FAIL(-EINVAL, "base image '%s': size %" PRIu64 " not supported (1 byte to 1 TiB)",
		     base_path, o->base->size);
	rc = base_identity(o->base, base_path, &id);
	if (rc)
		FAIL(rc, "cannot read base image '%s': %s", base_path, strerror(-rc));
	o->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (o->fd < 0)
		FAIL(-errno, "cannot open overlay '%s': %s", path, strerror(errno));
	if (flock(o->fd, LOCK_EX | LOCK_NB) < 0)
		FAIL(errno == EWOULDBLOCK ? -EBUSY : -errno, "cannot use overlay '%s': %s", path,
		     errno == EWOULDBLOCK ? "in use by another VM or process" : strerror(errno));
	if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode))
		FAIL(-EINVAL, "overlay '%s' is not a regular file", path);
	o->cluster = 1ull << OVL_CLUSTER_BITS;
	o->disk = (struct disk){
		.ops = &overlay_ops, .size = o->base->size, .read_only = false, .path = o->path
	};
	o->entries = (o->disk.size + o->cluster - 1) / o->cluster;
	o->table_off = OVL_HEADER_SIZE;
	o->data_off = (o->table_off + o->entries * 8 + o->cluster - 1) / o->cluster * o->cluster;
	o->table = calloc(o->entries, 8);
	o->buf = malloc(o->cluster);
	if (!o->table || !o->buf)
		FAIL(-ENOMEM, "out of memory");
	if (st.st_size == 0 || interrupted_create(o, (uint64_t)st.st_size)) {
		/* New (or an empty file made for us): all clusters read from the base. */
		rc = create_overlay(o, base_path, &id);
		if (rc)
			FAIL(rc, "cannot create overlay '%s': %s", path, strerror(-rc));
		o->next_free = o->data_off;
	} else {
		rc = load_overlay(o, base_path, &id, (uint64_t)st.st_size, err, errlen);
		if (rc)
			goto fail;
	}
	*out = &o->disk;
	return 0;
fail:
	if (o->fd >= 0)
		close(o->fd);
	disk_close(o->base);
	pthread_mutex_destroy(&o->lock);
	free(o->table);
	free(o->buf);
	free(o);
	return rc;
}
