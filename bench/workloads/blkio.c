// SPDX-License-Identifier: MIT
/*
 * Block I/O workload, what `dd bs=1M count=64 oflag=direct` and
 * `dd iflag=direct` would do, timed in-process: writes 64 MiB to a block
 * device (the guest's /dev/vda) in 1 MiB requests and flushes it (fsync:
 * a virtio-blk FLUSH, an fdatasync on the host image), then reads it back.
 * O_DIRECT keeps the guest page cache out of both directions, so every
 * byte crosses the virtqueue. Prints two results, blk-write and blk-read;
 * the read checksum covers the data read back.
 * usage: blkio [SCALE [PATH]]. PATH defaults to /dev/vda; a regular file
 * (the native run) gets buffered I/O instead, the same system calls the
 * VMMs' raw-image backends make on the host for the guest's requests
 * (pwrite + fdatasync, pread from the host page cache), which is the floor
 * a VMM could reach.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define BLOCK (1ul << 20)
#define TOTAL (64ul << 20)

static int open_dev(const char *path, int flags)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		flags |= O_DIRECT;
	fd = open(path, flags, 0644);
	if (fd < 0)
		perror(path);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	const char *path = argc > 2 ? argv[2] : "/dev/vda";
	uint64_t *buf, sum = 0, t0, total = TOTAL * scale;
	int fd;

	if (posix_memalign((void **)&buf, 4096, BLOCK) != 0)
		return 1;
	memset(buf, 0xa5, BLOCK);

	fd = open_dev(path, O_WRONLY | O_CREAT);
	if (fd < 0)
		return 1;
	t0 = now_ns();
	for (uint64_t off = 0; off < total; off += BLOCK) {
		for (uint64_t i = 0; i < BLOCK / 8; i += 512) /* one word per 4 KiB changes */
			buf[i] = off + i;
		if (pwrite(fd, buf, BLOCK, (off_t)off) != (ssize_t)BLOCK)
			return 1;
	}
	if (fsync(fd) != 0)
		return 1;
	report("blk-write", now_ns() - t0, total);
	close(fd);

	fd = open_dev(path, O_RDONLY);
	if (fd < 0)
		return 1;
	memset(buf, 0, BLOCK);
	t0 = now_ns();
	for (uint64_t off = 0; off < total; off += BLOCK) {
		if (pread(fd, buf, BLOCK, (off_t)off) != (ssize_t)BLOCK)
			return 1;
		for (uint64_t i = 0; i < BLOCK / 8; i += 512)
			sum = sum * 31 + buf[i];
	}
	report("blk-read", now_ns() - t0, sum);
	close(fd);
	free(buf);
	return 0;
}
