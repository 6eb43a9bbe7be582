// SPDX-License-Identifier: MIT
/*
 * The split virtqueue library (virtio 1.2, 2.7) over a fake guest memory:
 * well-formed chains, indirect tables, the event index, index wrap-around,
 * every malformed ring a hostile driver can build, and a driver thread
 * racing the device through a ring (for ThreadSanitizer).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtqueue.h"

#include "tests/unit/check.h"

/*
 * Guest memory: MEM_SIZE real bytes at MEM_BASE. Above BIG_BASE lies a
 * large region that maps but must never be touched (the library only
 * stores its pointers): long buffers for the 4 GiB limit.
 */
#define MEM_BASE 0x80000000ull
#define MEM_SIZE (1u << 20)
#define BIG_BASE 0x100000000ull
#define BIG_SIZE (16ull << 30)

#define DESC  0x80000000ull
#define AVAIL 0x80010000ull
#define USED  0x80020000ull
#define DATA  0x80040000ull
#define ITAB  0x80080000ull

static uint8_t *mem;
static uint8_t big_marker;

static void *fake_map(void *opaque, gpa_t a, uint64_t len, enum dma_dir dir)
{
	(void)opaque, (void)dir;
	if (a.v >= MEM_BASE && a.v - MEM_BASE <= MEM_SIZE && len <= MEM_SIZE - (a.v - MEM_BASE))
		return mem + (a.v - MEM_BASE);
	if (a.v >= BIG_BASE && a.v - BIG_BASE <= BIG_SIZE && len <= BIG_SIZE - (a.v - BIG_BASE))
		return &big_marker;
	return NULL;
}

static const struct dma_ops fake_ops = { .map = fake_map };
static const struct dma_space dma = { &fake_ops, NULL };

static void *at(uint64_t gpa)
{
	return mem + (gpa - MEM_BASE);
}

static struct virtq_desc *desc(unsigned i)
{
	return (struct virtq_desc *)at(DESC) + i;
}

static struct virtq_desc *itab(unsigned i)
{
	return (struct virtq_desc *)at(ITAB) + i;
}

static struct virtq_avail *avail(void)
{
	return at(AVAIL);
}

static struct virtq_used *used(void)
{
	return at(USED);
}

static void set(struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	*d = (struct virtq_desc){ addr, len, flags, next };
}

static struct virtq vq;
static struct iovec iov[16];
static struct virtq_chain ch = { .iov = iov, .max = 16 };
static uint16_t drv_idx; /* the driver's avail->idx */

/* A fresh queue of the given size; the driver's areas zeroed. */
static void fresh(uint16_t size, bool indirect, bool event_idx)
{
	struct virtq_layout l = { size, gpa(DESC), gpa(AVAIL), gpa(USED) };
	struct virtq_features f = { indirect, event_idx };

	memset(mem, 0, MEM_SIZE);
	drv_idx = 0;
	CHECK_EQ("enable", virtq_enable(&vq, &dma, &l, f), 0);
}

static void make_avail(uint16_t head)
{
	avail()->ring[drv_idx % vq.size] = head;
	avail()->idx = ++drv_idx;
}

/* Pop the chain at head; returns what virtq_pop returned. */
static int pop_head(uint16_t head)
{
	make_avail(head);
	return virtq_pop(&vq, &ch);
}

static void expect_broken(const char *what)
{
	cur = what;
	CHECK_EQ("pop fails", virtq_pop(&vq, &ch), -EIO);
	CHECK_EQ("error set", vq.error != NULL, 1);
	/* Broken stays broken: no more chains, no used entries, no notifications. */
	make_avail(0);
	CHECK_EQ("pop fails again", virtq_pop(&vq, &ch), -EIO);
	virtq_push(&vq, 0, 1);
	CHECK_EQ("push ignored", used()->idx, 0);
	CHECK_EQ("no notification", virtq_should_notify(&vq), 0);
}

static void test_enable(void)
{
	struct virtq_layout l = { 8, gpa(DESC), gpa(AVAIL), gpa(USED) };
	struct virtq_features f = { 0 };
	struct virtq q;

	cur = "enable";
	memset(&q, 0, sizeof(q));
	l.size = 6;
	CHECK_EQ("size 6", virtq_enable(&q, &dma, &l, f), -EINVAL);
	CHECK_EQ("disabled", q.enabled, 0);
	CHECK_EQ("says why", q.error != NULL, 1);
	l.size = 0;
	CHECK_EQ("size 0", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.size = 32768;
	CHECK_EQ("size 32768", virtq_enable(&q, &dma, &l, f), 0);
	CHECK_EQ("enabled", q.enabled, 1);
	CHECK_EQ("no error", q.error == NULL, 1);
	l.size = 8;
	l.desc = gpa(DESC + 8);
	CHECK_EQ("desc 8-aligned", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.desc = gpa(DESC);
	l.driver = gpa(AVAIL + 1);
	CHECK_EQ("avail odd", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.driver = gpa(AVAIL);
	l.device = gpa(USED + 2);
	CHECK_EQ("used 2-aligned", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.device = gpa(MEM_BASE + MEM_SIZE - 16);
	CHECK_EQ("used across the end", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.device = gpa(USED);
	l.desc = gpa(0x1000);
	CHECK_EQ("desc outside memory", virtq_enable(&q, &dma, &l, f), -EINVAL);
	l.desc = gpa(DESC);
	CHECK_EQ("good layout", virtq_enable(&q, &dma, &l, f), 0);
	CHECK_EQ("nothing available", virtq_pop(&q, &ch), 0);
	virtq_disable(&q);
	CHECK_EQ("disabled queue: nothing", virtq_pop(&q, &ch), 0);
}

static void test_chains(void)
{
	fresh(8, true, false);
	cur = "direct chain";
	set(desc(3), DATA, 16, VIRTQ_DESC_F_NEXT, 5);
	set(desc(5), DATA + 0x100, 0, VIRTQ_DESC_F_NEXT, 1); /* zero length: dropped */
	set(desc(1), DATA + 0x1000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
	set(desc(7), DATA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	CHECK_EQ("popped", pop_head(3), 1);
	CHECK_EQ("head", ch.head, 3);
	CHECK_EQ("readable", ch.nreadable, 1);
	CHECK_EQ("writable", ch.nwritable, 2);
	CHECK_EQ("readable len", ch.readable_len, 16);
	CHECK_EQ("writable len", ch.writable_len, 513);
	CHECK_EQ("iov 0", (uint8_t *)iov[0].iov_base - mem, DATA - MEM_BASE);
	CHECK_EQ("iov 1", (uint8_t *)iov[1].iov_base - mem, DATA + 0x1000 - MEM_BASE);
	CHECK_EQ("iov 2 len", iov[2].iov_len, 1);
	CHECK_EQ("ring now empty", virtq_pop(&vq, &ch), 0);
	virtq_push(&vq, 3, 513);
	CHECK_EQ("used idx", used()->idx, 1);
	CHECK_EQ("used id", used()->ring[0].id, 3);
	CHECK_EQ("used len", used()->ring[0].len, 513);

	cur = "indirect table";
	set(itab(0), DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set(itab(2), DATA + 0x1000, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set(itab(1), DATA + 0x3000, 1, VIRTQ_DESC_F_WRITE, 0);
	/* 2.7.5.3.2: the device ignores VIRTQ_DESC_F_WRITE on the table's descriptor. */
	set(desc(0), ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	CHECK_EQ("popped", pop_head(0), 1);
	CHECK_EQ("readable", ch.nreadable, 1);
	CHECK_EQ("writable", ch.nwritable, 2);
	CHECK_EQ("writable len", ch.writable_len, 4097);
	CHECK_EQ("counted", vq.stats.indirect, 1);

	cur = "direct descriptors, then a table (2.7.5.3.2)";
	set(desc(2), DATA, 16, VIRTQ_DESC_F_NEXT, 4);
	set(desc(4), ITAB + 32, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set(itab(2), DATA + 0x3000, 1, VIRTQ_DESC_F_WRITE, 0);
	CHECK_EQ("popped", pop_head(2), 1);
	CHECK_EQ("readable", ch.nreadable, 1);
	CHECK_EQ("writable", ch.nwritable, 1);

	cur = "a table as long as the queue allows";
	fresh(8, true, false);
	for (unsigned i = 0; i < 16; i++)
		set(itab(i), DATA + 16 * i, 16, i < 15 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	set(desc(0), ITAB, 16 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	CHECK_EQ("16 buffers fit in 16 iovecs", pop_head(0), 1);
	CHECK_EQ("readable", ch.nreadable, 16);

	cur = "chain of 4 GiB exactly";
	fresh(8, false, false);
	set(desc(0), BIG_BASE, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), BIG_BASE, 0x80000000u, 0, 0);
	CHECK_EQ("allowed", pop_head(0), 1);
	CHECK_EQ("length", ch.readable_len, 1ull << 32);

	cur = "available ring full";
	fresh(4, false, false);
	for (unsigned i = 0; i < 4; i++) {
		set(desc(i), DATA, 1, 0, 0);
		make_avail((uint16_t)i);
	}
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pop", virtq_pop(&vq, &ch), 1);
	CHECK_EQ("empty", virtq_pop(&vq, &ch), 0);
}

/* Every malformed chain: the queue breaks, the host is untouched. */
static void test_hostile(void)
{
	fresh(8, true, false);
	set(desc(0), DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	pop_head(0);
	expect_broken("two-descriptor loop");

	fresh(8, true, false);
	set(desc(0), DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	pop_head(0);
	expect_broken("self loop");

	fresh(8, true, false);
	set(desc(0), DATA, 16, VIRTQ_DESC_F_NEXT, 8);
	pop_head(0);
	expect_broken("next out of range");

	fresh(8, true, false);
	pop_head(9);
	expect_broken("head out of range");

	fresh(8, true, false);
	set(desc(0), DATA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), DATA, 16, 0, 0);
	pop_head(0);
	expect_broken("readable after writable");

	fresh(8, true, false);
	set(desc(0), 0x1000, 16, 0, 0);
	pop_head(0);
	expect_broken("buffer outside memory");

	fresh(8, true, false);
	set(desc(0), MEM_BASE + MEM_SIZE - 8, 16, 0, 0);
	pop_head(0);
	expect_broken("buffer across the end of memory");

	fresh(8, true, false);
	set(desc(0), ~0ull - 4095, 8192, 0, 0);
	pop_head(0);
	expect_broken("address wraps");

	fresh(8, true, false);
	set(desc(0), MEM_BASE, 0xffffffffu, 0, 0);
	pop_head(0);
	expect_broken("length 4 GiB - 1");

	fresh(8, true, false);
	set(desc(0), BIG_BASE, 0xffffffffu, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), BIG_BASE, 2, 0, 0);
	pop_head(0);
	expect_broken("more than 4 GiB in one chain");

	fresh(8, true, false);
	for (unsigned i = 0; i < 17; i++)
		set(itab(i), DATA, 16, i < 16 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	set(desc(0), ITAB, 17 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("more buffers than the caller takes");

	fresh(8, false, false);
	set(desc(0), ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("indirect not negotiated");

	fresh(8, true, false);
	set(itab(0), ITAB + 64, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set(desc(0), ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("nested indirect table");

	fresh(8, true, false);
	set(itab(0), DATA, 16, 0, 0);
	set(desc(0), ITAB, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	pop_head(0);
	expect_broken("indirect with NEXT");

	fresh(8, true, false);
	set(desc(0), ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("indirect length 0");

	fresh(8, true, false);
	set(desc(0), ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("indirect length 24");

	fresh(8, true, false);
	set(desc(0), BIG_BASE, (VIRTQ_MAX_SIZE + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("indirect table of 32769 entries");

	fresh(8, true, false);
	set(desc(0), ITAB + 4, 32, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("misaligned indirect table");

	fresh(8, true, false);
	set(desc(0), MEM_BASE + MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("indirect table across the end of memory");

	fresh(8, true, false);
	set(itab(0), DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set(itab(1), DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	set(desc(0), ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("loop in an indirect table");

	fresh(8, true, false);
	set(itab(0), DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set(desc(0), ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	pop_head(0);
	expect_broken("next out of an indirect table");

	fresh(8, true, false);
	set(desc(0), DATA, 16, 0, 0);
	avail()->idx = 9;
	expect_broken("available index jumps by 9 on a queue of 8");

	fresh(8, true, false);
	set(desc(0), DATA, 16, 0, 0);
	make_avail(0);
	CHECK_EQ("pop", virtq_pop(&vq, &ch), 1);
	avail()->idx = 0; /* back: an increase of 65535 */
	expect_broken("available index goes back");

	cur = "reset mends a broken queue";
	fresh(8, true, false);
	set(desc(0), DATA, 16, 0, 0);
	CHECK_EQ("pop", pop_head(0), 1);
	CHECK_EQ("used ok", vq.error == NULL, 1);
}

/* Free-running 16-bit indices wrap (2.7.6, 2.7.8). */
static void test_wrap(void)
{
	unsigned i, bad = 0;

	fresh(4, false, false);
	set(desc(2), DATA, 8, 0, 0);
	for (i = 0; i < 70000; i++) {
		make_avail(2);
		if (virtq_pop(&vq, &ch) != 1 || ch.head != 2)
			bad++;
		virtq_push(&vq, 2, (uint32_t)i);
		if (used()->idx != (uint16_t)(i + 1) || used()->ring[i % 4].len != i)
			bad++;
	}
	cur = "index wrap";
	CHECK_EQ("70000 chains through a queue of 4", bad, 0);
	CHECK_EQ("chains counted", vq.stats.chains, 70000);
}

/* 2.7.7 and 2.7.10: used_event, avail_event and the flags. */
static void test_notify(void)
{
	uint16_t *used_event, *avail_event;

	fresh(8, false, true);
	used_event = &avail()->ring[8];
	avail_event = (uint16_t *)&used()->ring[8];
	set(desc(0), DATA, 8, 0, 0);
	cur = "event index";
	CHECK_EQ("nothing new, no notification", virtq_should_notify(&vq), 0);
	pop_head(0);
	virtq_push(&vq, 0, 0);
	CHECK_EQ("used_event 0: notify after the first", virtq_should_notify(&vq), 1);
	pop_head(0);
	virtq_push(&vq, 0, 0);
	CHECK_EQ("used_event still 0: not again", virtq_should_notify(&vq), 0);
	*used_event = 5;
	pop_head(0);
	virtq_push(&vq, 0, 0); /* used idx 3 */
	CHECK_EQ("used_event 5, idx 3", virtq_should_notify(&vq), 0);
	pop_head(0);
	virtq_push(&vq, 0, 0);
	pop_head(0);
	virtq_push(&vq, 0, 0);
	pop_head(0);
	virtq_push(&vq, 0, 0); /* idx 6: entry 5 was written since the last check */
	CHECK_EQ("used_event 5 passed in a batch", virtq_should_notify(&vq), 1);
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored with the event index */
	*used_event = 6;
	pop_head(0);
	virtq_push(&vq, 0, 0);
	CHECK_EQ("flags ignored with the event index", virtq_should_notify(&vq), 1);
	CHECK_EQ("driver notifications counted", vq.stats.notify_used, 3);

	cur = "avail_event";
	virtq_notify_disable(&vq);
	CHECK_EQ("used flags stay 0", used()->flags, 0);
	CHECK_EQ("idle: ring empty", virtq_notify_enable(&vq), 0);
	CHECK_EQ("avail_event = next entry", *avail_event, drv_idx);
	make_avail(0);
	CHECK_EQ("a buffer arrived meanwhile", virtq_notify_enable(&vq), 1);

	fresh(8, false, false);
	set(desc(0), DATA, 8, 0, 0);
	cur = "flags";
	pop_head(0);
	virtq_push(&vq, 0, 0);
	CHECK_EQ("flags 0: notify", virtq_should_notify(&vq), 1);
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	pop_head(0);
	virtq_push(&vq, 0, 0);
	CHECK_EQ("NO_INTERRUPT: no", virtq_should_notify(&vq), 0);
	virtq_notify_disable(&vq);
	CHECK_EQ("busy: NO_NOTIFY", used()->flags, VIRTQ_USED_F_NO_NOTIFY);
	CHECK_EQ("idle: ring empty", virtq_notify_enable(&vq), 0);
	CHECK_EQ("idle: notify me", used()->flags, 0);
}

/*
 * A driver thread and the device (this thread) through one ring, as in a
 * VM: the driver fills a request, publishes it with a release store, the
 * device answers through the library. ThreadSanitizer checks the ordering.
 */
#define RACE_N 20000

static void *driver(void *arg)
{
	uint16_t idx = 0, seen = 0;
	unsigned sent = 0, got = 0;
	uint32_t *bad = arg;

	while (got < RACE_N) {
		/* at most 4 requests in flight, each in its own pair of descriptors */
		if (sent < RACE_N && (uint16_t)(idx - seen) < 4) {
			unsigned slot = idx % 4;
			uint32_t *req = at(DATA + 64 * slot);

			req[0] = sent++;
			set(desc(2 * slot), DATA + 64 * slot, 4, VIRTQ_DESC_F_NEXT, 2 * slot + 1);
			set(desc(2 * slot + 1), DATA + 64 * slot + 32, 4, VIRTQ_DESC_F_WRITE, 0);
			avail()->ring[idx % 8] = (uint16_t)(2 * slot);
			__atomic_store_n(&avail()->idx, ++idx, __ATOMIC_RELEASE);
		}
		while (__atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE) != seen) {
			struct virtq_used_elem *e = &used()->ring[seen % 8];
			unsigned slot = e->id / 2;
			uint32_t *req = at(DATA + 64 * slot);

			if (req[8] != req[0] + 1 || e->len != 4)
				(*bad)++;
			seen++;
			got++;
		}
	}
	return NULL;
}

static void test_threads(void)
{
	uint32_t bad = 0, n;
	unsigned done = 0;
	pthread_t t;
	int rc;

	fresh(8, false, true);
	pthread_create(&t, NULL, driver, &bad);
	while (done < RACE_N) {
		rc = virtq_pop(&vq, &ch);
		if (rc < 0)
			break;
		if (rc == 0) {
			virtq_notify_enable(&vq);
			continue;
		}
		memcpy(&n, iov[0].iov_base, 4);
		n++;
		memcpy(iov[1].iov_base, &n, 4);
		virtq_push(&vq, ch.head, 4);
		virtq_should_notify(&vq);
		done++;
	}
	pthread_join(t, NULL);
	cur = "driver and device threads";
	CHECK_EQ("all served", done, RACE_N);
	CHECK_EQ("every answer right", bad, 0);
	CHECK_EQ("ring fine", vq.error == NULL, 1);
}

int main(void)
{
	mem = aligned_alloc(4096, MEM_SIZE);
	if (!mem)
		return 1;
	test_enable();
	test_chains();
	test_hostile();
	test_wrap();
	test_notify();
	test_threads();
	free(mem);
	return check_summary();
}
