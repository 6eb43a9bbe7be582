// SPDX-License-Identifier: MIT
/*
 * Copy-on-write overlays (backend/disk_overlay.c, docs/overlay-format.md):
 * reads through to the base, partial and cluster-crossing writes, zeroes,
 * persistence across reopen (flushed data only reaches the table on
 * flush), a changed base refused, corrupt headers and tables refused with
 * a message, and a second open of one overlay refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/disk.h"

#include "tests/unit/check.h"

#define CL        65536u
#define BASE_SIZE (10 * CL + 4096) /* not a whole number of clusters */

static char dir[64], base[96], ovfile[96], ovcrash[96], ovgood[96], err[512];
static const char *ovpath = ovfile;
static uint8_t *model; /* what the guest should see */

static uint8_t base_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 12));
}

static void make_base(void)
{
	uint8_t *b = malloc(BASE_SIZE);
	int fd = open(base, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (uint64_t i = 0; i < BASE_SIZE; i++)
		b[i] = base_byte(i);
	if (fd < 0 || write(fd, b, BASE_SIZE) != BASE_SIZE) {
		perror("base");
		exit(2);
	}
	close(fd);
	memcpy(model, b, BASE_SIZE);
	free(b);
}

static int dread(struct disk *d, void *buf, uint64_t len, uint64_t off)
{
	struct iovec v = { buf, len };

	return d->ops->read(d, &v, 1, off);
}

static int dwrite(struct disk *d, uint8_t fill, uint64_t len, uint64_t off)
{
	uint8_t *buf = malloc(len);
	/* Two pieces: the write crosses the iovec boundary at an odd place. */
	struct iovec v[2] = { { buf, len / 3 }, { buf + len / 3, len - len / 3 } };
	int rc;

	memset(buf, fill, len);
	rc = d->ops->write(d, v, 2, off);
	if (!rc)
		memset(model + off, fill, len);
	free(buf);
	return rc;
}

/* The whole disk equals the model (read in odd pieces). */
static void check_model(struct disk *d, const char *what)
{
	uint8_t *buf = malloc(BASE_SIZE);
	uint64_t off = 0, mism = 0;

	cur = what;
	while (off < BASE_SIZE) {
		uint64_t n = BASE_SIZE - off < 40000 ? BASE_SIZE - off : 40000;

		CHECK_EQ("read", dread(d, buf + off, n, off), 0);
		off += n;
	}
	for (off = 0; off < BASE_SIZE; off++)
		mism += buf[off] != model[off];
	CHECK_EQ("bytes differing from the model", mism, 0);
	free(buf);
}

static struct disk *open_ok(const char *what)
{
	struct disk *d = NULL;

	cur = what;
	err[0] = 0;
	CHECK_EQ("open", disk_overlay_open(base, ovpath, &d, err, sizeof(err)), 0);
	if (!d) {
		printf("  (%s)\n", err);
		exit(1);
	}
	return d;
}

static void expect_refused(const char *what, const char *needle)
{
	struct disk *d = NULL;
	int rc = disk_overlay_open(base, ovpath, &d, err, sizeof(err));

	cur = what;
	CHECK_EQ("open fails", rc < 0, 1);
	CHECK_EQ("no disk", d == NULL, 1);
	CHECK_EQ("message names the problem", strstr(err, needle) != NULL, 1);
	if (!strstr(err, needle))
		printf("  message was: %s\n", err);
	if (d)
		disk_close(d);
}

static void test_basics(void)
{
	struct disk *d = open_ok("create");
	struct stat st;
	uint8_t buf[16];

	CHECK_EQ("size is the base's", d->size, BASE_SIZE);
	check_model(d, "fresh overlay reads the base");
	CHECK_EQ("write within one cluster", dwrite(d, 0xa1, 100, CL + 10), 0);
	CHECK_EQ("write across a boundary", dwrite(d, 0xb2, 3 * CL, 3 * CL - 512), 0);
	CHECK_EQ("whole aligned cluster", dwrite(d, 0xc3, CL, 8 * CL), 0);
	CHECK_EQ("the odd last cluster", dwrite(d, 0xd4, 1000, 10 * CL + 3000), 0);
	CHECK_EQ("overwrite an allocated cluster", dwrite(d, 0xe5, 10, CL + 50), 0);
	check_model(d, "after writes");
	cur = "bounds";
	CHECK_EQ("write past the end", dwrite(d, 1, 4096, BASE_SIZE - 2048), -EINVAL);
	CHECK_EQ("read past the end is zeroes", dread(d, buf, sizeof(buf), BASE_SIZE), 0);
	CHECK_EQ("zero", buf[0] | buf[15], 0);
	/* Zeroes: a whole cluster (allocated or not) and a partial one. */
	CHECK_EQ("write_zeroes", d->ops->write_zeroes(d, 8 * CL, 2 * CL + 100, true), 0);
	memset(model + 8 * CL, 0, 2 * CL + 100);
	CHECK_EQ("discard", d->ops->discard(d, 0, CL), 0);
	memset(model, 0, CL);
	check_model(d, "after zeroes");
	CHECK_EQ("write into a zeroed cluster", dwrite(d, 0x66, 300, 5), 0);
	check_model(d, "write into a zeroed cluster");
	CHECK_EQ("flush", d->ops->flush(d), 0);
	disk_close(d);

	d = open_ok("reopen");
	check_model(d, "reopened: flushed data is there");
	disk_close(d);
	cur = "base untouched";
	stat(base, &st);
	CHECK_EQ("base size", st.st_size, BASE_SIZE);
	{
		uint8_t *b = malloc(BASE_SIZE);
		int fd = open(base, O_RDONLY);
		uint64_t bad = 0;

		CHECK_EQ("read base", read(fd, b, BASE_SIZE), BASE_SIZE);
		for (uint64_t i = 0; i < BASE_SIZE; i++)
			bad += b[i] != base_byte(i);
		CHECK_EQ("base bytes changed", bad, 0);
		close(fd);
		free(b);
	}
}

/* Unflushed allocations never reach the table: a "crash" (no close) loses only them. */
static void test_crash(void)
{
	struct disk *d = open_ok("crash: open"), *d2;
	uint8_t *saved = malloc(BASE_SIZE);
	CHECK_EQ("write", dwrite(d, 0x77, 5000, 4 * CL + 1), 0);
	CHECK_EQ("flush", d->ops->flush(d), 0);
	memcpy(saved, model, BASE_SIZE);
	CHECK_EQ("unflushed write", dwrite(d, 0x88, 100, 6 * CL), 0);
	/* Simulate SIGKILL: copy the overlay file as it is now, then open the copy. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cp %s %s", ovfile, ovcrash);
		CHECK_EQ("copy", system(cmd), 0);
	}
	disk_close(d);
	ovpath = ovcrash;
	memcpy(model, saved, BASE_SIZE);
	d2 = open_ok("crash: reopen the copy");
	check_model(d2, "after a crash: flushed data kept, unflushed cluster reads the base");
	disk_close(d2);
	unlink(ovcrash);
	ovpath = ovfile;
	/* The real file was closed cleanly: close flushes. */
	memset(model + 6 * CL, 0x88, 100);
	d = open_ok("clean close flushed");
	check_model(d, "clean close kept the unflushed write");
	disk_close(d);
	free(saved);
}

static void test_locking(void)
{
	struct disk *d = open_ok("lock: first"), *r = NULL;

	expect_refused("lock: second open of one overlay", "in use");
	cur = "base shared";
	/* The base is shared-locked: a read-write raw open of it is refused... */
	CHECK_EQ("raw rw open of the base", disk_raw_open(base, false, &r), -EBUSY);
	/* ...a read-only one is fine. */
	CHECK_EQ("raw ro open of the base", disk_raw_open(base, true, &r), 0);
	disk_close(r);
	disk_close(d);
}

static void corrupt_at(off_t off, const void *bytes, size_t n);

/* A crash during creation leaves a sized file with no header: it is initialised again. */
static void test_interrupted_create(void)
{
	struct disk *d;

	ovpath = ovcrash;
	cur = "interrupted create";
	CHECK_EQ("make the file", close(open(ovcrash, O_CREAT | O_WRONLY, 0644)), 0);
	CHECK_EQ("size", truncate(ovcrash, CL), 0);
	d = open_ok("interrupted create: initialised again");
	{
		uint8_t buf[64];
		uint64_t bad = 0;

		CHECK_EQ("read", dread(d, buf, sizeof(buf), 3 * CL), 0);
		for (unsigned i = 0; i < sizeof(buf); i++)
			bad += buf[i] != base_byte(3 * CL + i);
		CHECK_EQ("reads the base", bad, 0);
	}
	disk_close(d);
	/* The same size with something in the header is not ours to overwrite. */
	unlink(ovcrash);
	CHECK_EQ("make the file", close(open(ovcrash, O_CREAT | O_WRONLY, 0644)), 0);
	CHECK_EQ("size", truncate(ovcrash, CL), 0);
	corrupt_at(100, "x", 1);
	expect_refused("sized file with junk in the header", "not an rvisor overlay");
	unlink(ovcrash);
	ovpath = ovfile;
}

static void corrupt_at(off_t off, const void *bytes, size_t n)
{
	int fd = open(ovpath, O_WRONLY);

	if (fd < 0 || pwrite(fd, bytes, n, off) != (ssize_t)n) {
		perror("corrupt");
		exit(2);
	}
	close(fd);
}

static void test_refusals(void)
{
	char cmd[256];
	uint64_t v;

	snprintf(cmd, sizeof(cmd), "cp %s %s", ovfile, ovgood);
	if (system(cmd))
		exit(2);
#define RESTORE() snprintf(cmd, sizeof(cmd), "cp %s %s", ovgood, ovfile), (void)!system(cmd)

	corrupt_at(0, "XXXX", 4);
	expect_refused("bad magic", "not an rvisor overlay");
	RESTORE();
	corrupt_at(100, "junk", 4);
	expect_refused("header checksum", "corrupt (header checksum");
	RESTORE();
	v = 12345; /* not a cluster offset */
	corrupt_at(4096 + 2 * 8, &v, 8);
	expect_refused("unaligned table entry", "corrupt (table entry 2");
	RESTORE();
	v = 1ull << 50; /* far past the end of the file */
	corrupt_at(4096 + 3 * 8, &v, 8);
	expect_refused("table entry past the end", "corrupt (table entry 3");
	RESTORE();
	{
		uint64_t a;
		int fd = open(ovpath, O_RDONLY);

		/* Two entries sharing one cluster. */
		CHECK_EQ("read entry", pread(fd, &a, 8, 4096 + 1 * 8), 8);
		close(fd);
		corrupt_at(4096 + 7 * 8, &a, 8);
		expect_refused("two entries, one cluster", "corrupt (table entry 7");
		RESTORE();
	}
	CHECK_EQ("truncate", truncate(ovpath, 2000), 0);
	expect_refused("truncated", "not an rvisor overlay (too short)");
	RESTORE();
	CHECK_EQ("truncate", truncate(ovpath, 5000), 0);
	expect_refused("truncated table", "corrupt (table truncated)");
	RESTORE();

	/* The base changes (same size, new contents and mtime): refused. */
	{
		int fd = open(base, O_WRONLY);
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000, 0 } };

		CHECK_EQ("touch base", pwrite(fd, "changed", 7, 5 * CL), 7);
		futimens(fd, ts);
		close(fd);
	}
	expect_refused("base changed", "changed since overlay");
	/* A base of another size: refused too. */
	CHECK_EQ("grow base", truncate(base, BASE_SIZE + CL), 0);
	expect_refused("base resized", "refusing to use it");
	unlink(ovgood);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rvisor-ovl.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(base, sizeof(base), "%s/base.img", dir);
	snprintf(ovfile, sizeof(ovfile), "%s/vm.ovl", dir);
	snprintf(ovcrash, sizeof(ovcrash), "%s/crash.ovl", dir);
	snprintf(ovgood, sizeof(ovgood), "%s/good.ovl", dir);
	model = malloc(BASE_SIZE);
	make_base();
	test_basics();
	test_crash();
	test_locking();
	test_interrupted_create();
	test_refusals();
	cur = "missing base";
	{
		struct disk *d = NULL;
		char nobase[96];

		snprintf(nobase, sizeof(nobase), "%s/nope.img", dir);
		CHECK_EQ("open", disk_overlay_open(nobase, ovpath, &d, err, sizeof(err)), -ENOENT);
		CHECK_EQ("message", strstr(err, "cannot open base image") != NULL, 1);
	}
	{
		char cmd[100];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	free(model);
	return check_summary();
}
