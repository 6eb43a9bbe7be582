// SPDX-License-Identifier: MIT
/*
 * The virtual switch backend (backend/net_switch.c) with three ports in one
 * process, in a private XDG_RUNTIME_DIR: flooding of broadcast and unknown
 * unicast (never back to the sender), unicast to learned MACs only, the
 * -EAGAIN backpressure contract (frames kept in order, none dropped),
 * frame size limits, a port closing, the socket of a dead process removed
 * (at send and at open), and bad switch names.
 *
 * "Did not reach port X" is checked without timing: a marker broadcast
 * from the same sender follows, and datagrams between two sockets keep
 * their order, so X's next frame must be the marker.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/net.h"
#include "backend/net_switch.h"
#include "tests/unit/check.h"

#define MAXF 64

struct port {
	struct net_backend *nb;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int tags[MAXF];
	size_t lens[MAXF];
	struct net_vhdr vh[MAXF]; /* all zero: the frame came without metadata */
	unsigned n, next;         /* received, and the next one a test looks at */
	_Atomic bool block;
	_Atomic unsigned refused;
};

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
static const uint8_t MAC_X[6] = { 0x52, 0x54, 0, 0, 0, 0xee };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int port_rx(void *opaque, const struct net_vhdr *vh, const struct iovec *iov, int iovcnt)
{
	struct port *p = opaque;
	const uint8_t *f = iov[0].iov_base;

	if (atomic_load(&p->block)) {
		atomic_fetch_add(&p->refused, 1);
		return -EAGAIN;
	}
	pthread_mutex_lock(&p->lock);
	if (p->n < MAXF && iovcnt == 1 && iov[0].iov_len >= 15) {
		p->tags[p->n] = f[14];
		p->lens[p->n] = iov[0].iov_len;
		if (vh)
			p->vh[p->n] = *vh;
		p->n++;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int open_port(struct port *p, const char *name)
{
	struct net_config cfg = { .kind = NET_SWITCH, .name = name };
	char err[256];
	int rc;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	rc = net_backend_open(&cfg, &p->nb, err, sizeof(err));
	if (rc) {
		printf("open: %s\n", err);
		return rc;
	}
	return p->nb->ops->start(p->nb, port_rx, p);
}

static void close_port(struct port *p)
{
	net_backend_close(p->nb);
	p->nb = NULL;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

static uint8_t frame[NET_MAX_FRAME + 2];

static int send_frame(struct port *p, const uint8_t *dst, const uint8_t *src, int tag, size_t len)
{
	struct iovec iov[2];

	memset(frame, 0, len);
	if (len >= 15) {
		memcpy(frame, dst, 6);
		memcpy(frame + 6, src, 6);
		frame[12] = 0x88, frame[13] = 0xb5; /* local experimental ethertype */
		frame[14] = (uint8_t)tag;
	}
	/* Two pieces, as a device hands over a frame from guest buffers. */
	iov[0] = (struct iovec){ .iov_base = frame, .iov_len = len / 2 };
	iov[1] = (struct iovec){ .iov_base = frame + len / 2, .iov_len = len - len / 2 };
	return p->nb->ops->send(p->nb, NULL, iov, 2);
}

/* The next frame's tag at p (waits up to 5 s; -1 if none came). */
static int next_tag(struct port *p, size_t *len)
{
	struct timespec ts;
	int tag = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&p->lock);
	while (p->next >= p->n && pthread_cond_timedwait(&p->cond, &p->lock, &ts) == 0)
		;
	if (p->next < p->n) {
		if (len)
			*len = p->lens[p->next];
		tag = p->tags[p->next++];
	}
	pthread_mutex_unlock(&p->lock);
	return tag;
}

static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 999;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A port socket left behind by a process that died without closing it. */
static void dead_port(const char *dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

		snprintf(a.sun_path, sizeof(a.sun_path), "%s/%d.0", dir, (int)getpid());
		_exit(bind(fd, (struct sockaddr *)&a, sizeof(a)) ? 1 : 0);
	}
	waitpid(pid, NULL, 0);
}

int main(void)
{
	char tmpl[] = "/tmp/rvisor-test-switch-XXXXXX", dir[256], err[256], name[64];
	struct port a, b, c, d;
	size_t len = 0;
	int i;

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", tmpl, 1);
	snprintf(name, sizeof(name), "unit%d", (int)getpid());
	cur = "switch directory";
	CHECK_EQ("net_switch_dir", net_switch_dir(name, dir, sizeof(dir), err, sizeof(err)), 0);

	cur = "open three ports";
	CHECK_EQ("open A", open_port(&a, name), 0);
	CHECK_EQ("open B", open_port(&b, name), 0);
	CHECK_EQ("open C", open_port(&c, name), 0);
	CHECK_EQ("sockets in the directory", count_entries(dir), 3);

	cur = "broadcast floods to the other ports";
	CHECK_EQ("send", send_frame(&a, BCAST, MAC_A, 1, 60), 0);
	CHECK_EQ("B got it", next_tag(&b, NULL), 1);
	CHECK_EQ("C got it", next_tag(&c, NULL), 1);

	cur = "unicast to a learned MAC reaches that port only";
	CHECK_EQ("send", send_frame(&b, MAC_A, MAC_B, 2, 60), 0);
	CHECK_EQ("marker", send_frame(&b, BCAST, MAC_B, 3, 60), 0);
	CHECK_EQ("A got the unicast (and not its own broadcast)", next_tag(&a, NULL), 2);
	CHECK_EQ("A got the marker", next_tag(&a, NULL), 3);
	CHECK_EQ("C's next frame is the marker", next_tag(&c, NULL), 3);

	cur = "unknown unicast floods";
	CHECK_EQ("send", send_frame(&a, MAC_X, MAC_A, 4, 60), 0);
	CHECK_EQ("B got it", next_tag(&b, NULL), 4);
	CHECK_EQ("C got it", next_tag(&c, NULL), 4);

	cur = "backpressure: -EAGAIN keeps frames until rx_ready";
	atomic_store(&b.block, true);
	for (i = 0; i < 5; i++)
		CHECK_EQ("send to B (learned)", send_frame(&a, MAC_B, MAC_A, 10 + i, 60), 0);
	while (!atomic_load(&b.refused))
		usleep(1000);
	pthread_mutex_lock(&b.lock);
	CHECK_EQ("nothing delivered while blocked", b.n - b.next, 0);
	pthread_mutex_unlock(&b.lock);
	atomic_store(&b.block, false);
	b.nb->ops->rx_ready(b.nb);
	for (i = 0; i < 5; i++)
		CHECK_EQ("in order after rx_ready", next_tag(&b, NULL), 10 + i);
	CHECK_EQ("B dropped nothing", atomic_load(&b.nb->stats.rx_drops), 0);
	CHECK_EQ("A dropped nothing", atomic_load(&a.nb->stats.tx_drops), 0);
	CHECK_EQ("marker", send_frame(&a, BCAST, MAC_A, 15, 60), 0);
	CHECK_EQ("C's next frame is the marker", next_tag(&c, NULL), 15);
	CHECK_EQ("B got the marker", next_tag(&b, NULL), 15);

	cur = "frame sizes";
	CHECK_EQ("largest frame", send_frame(&a, MAC_B, MAC_A, 16, NET_MAX_FRAME), 0);
	CHECK_EQ("arrives whole", next_tag(&b, &len), 16);
	CHECK_EQ("length", len, NET_MAX_FRAME);
	CHECK_EQ("too large", send_frame(&a, MAC_B, MAC_A, 17, NET_MAX_FRAME + 1), -EMSGSIZE);
	CHECK_EQ("no Ethernet header", send_frame(&a, MAC_B, MAC_A, 18, 10), -EINVAL);
	CHECK_EQ("A counted two drops", atomic_load(&a.nb->stats.tx_drops), 2);

	cur = "offload metadata";
	CHECK_EQ("the switch carries it", a.nb->offload, true);
	{
		static const struct net_vhdr want = { .flags = NET_VHDR_F_NEEDS_CSUM,
			                              .gso_type = NET_GSO_TCPV6,
			                              .hdr_len = 0x1234,
			                              .gso_size = 0xfedc,
			                              .csum_start = 0x0201,
			                              .csum_offset = 0x8001 };
		struct iovec v = { .iov_base = frame, .iov_len = 60 };
		unsigned k;

		memset(frame, 0, 60);
		memcpy(frame, MAC_B, 6);
		memcpy(frame + 6, MAC_A, 6);
		frame[14] = 24;
		CHECK_EQ("send with metadata", a.nb->ops->send(a.nb, &want, &v, 1), 0);
		CHECK_EQ("arrives", next_tag(&b, NULL), 24);
		k = b.next - 1;
		CHECK_EQ("flags", b.vh[k].flags, want.flags);
		CHECK_EQ("gso_type", b.vh[k].gso_type, want.gso_type);
		CHECK_EQ("hdr_len", b.vh[k].hdr_len, want.hdr_len);
		CHECK_EQ("gso_size", b.vh[k].gso_size, want.gso_size);
		CHECK_EQ("csum_start", b.vh[k].csum_start, want.csum_start);
		CHECK_EQ("csum_offset", b.vh[k].csum_offset, want.csum_offset);
		CHECK_EQ("a plain frame", send_frame(&a, MAC_B, MAC_A, 25, 60), 0);
		CHECK_EQ("arrives", next_tag(&b, NULL), 25);
		CHECK_EQ("without metadata", b.vh[b.next - 1].gso_type | b.vh[b.next - 1].flags, 0);
	}

	cur = "a port goes away";
	CHECK_EQ("C learned A", send_frame(&c, MAC_A, MAC_C, 19, 60), 0);
	CHECK_EQ("A got it", next_tag(&a, NULL), 19);
	close_port(&c);
	CHECK_EQ("its socket is gone", count_entries(dir), 2);
	CHECK_EQ("unicast to C's MAC", send_frame(&a, MAC_C, MAC_A, 20, 60), 0);
	CHECK_EQ("broadcast", send_frame(&a, BCAST, MAC_A, 21, 60), 0);
	CHECK_EQ("B got the flooded unicast", next_tag(&b, NULL), 20);
	CHECK_EQ("B got the broadcast", next_tag(&b, NULL), 21);

	cur = "a dead process's port";
	dead_port(dir);
	CHECK_EQ("left behind", count_entries(dir), 3);
	CHECK_EQ("flood", send_frame(&a, BCAST, MAC_A, 22, 60), 0);
	CHECK_EQ("B got it", next_tag(&b, NULL), 22);
	CHECK_EQ("removed by the flood", count_entries(dir), 2);
	dead_port(dir);
	CHECK_EQ("left behind again", count_entries(dir), 3);
	CHECK_EQ("open D", open_port(&d, name), 0);
	CHECK_EQ("removed when D opened", count_entries(dir), 3);
	CHECK_EQ("send to D", send_frame(&d, BCAST, MAC_C, 23, 60), 0);
	CHECK_EQ("A got D's broadcast", next_tag(&a, NULL), 23);
	CHECK_EQ("B got D's broadcast", next_tag(&b, NULL), 23);
	close_port(&d);

	cur = "bad switch names";
	{
		static const char *bad[] = {
			"", "../x", ".hidden", "a/b", "sp ace", "0123456789012345678901234567890123"
		};
		struct net_config cfg = { .kind = NET_SWITCH };
		struct net_backend *nb = NULL;

		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			cfg.name = bad[i];
			CHECK_EQ(bad[i], net_backend_open(&cfg, &nb, err, sizeof(err)), -EINVAL);
			CHECK_EQ("no backend", nb == NULL, 1);
		}
	}

	close_port(&a);
	close_port(&b);
	cur = "cleanup";
	CHECK_EQ("directory empty", count_entries(dir), 0);
	rmdir(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	CHECK_EQ("temporary directory removed", rmdir(tmpl), 0);
	return check_summary();
}
