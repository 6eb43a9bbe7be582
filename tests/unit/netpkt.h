/* SPDX-License-Identifier: MIT */
/*
 * Hand-built Ethernet frames for the network backend tests, which play the
 * guest: ARP, IPv4 with UDP, TCP and ICMP, and a parser for what comes
 * back. Written from RFC 791/792/793/826/2131; every multi-byte field is
 * big-endian on the wire.
 */
#ifndef RVISOR_TESTS_NETPKT_H
#define RVISOR_TESTS_NETPKT_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_ARPT 0x0806
#define IPP_ICMP   1
#define IPP_TCP    6
#define IPP_UDP    17
#define TCPF_FIN   0x01
#define TCPF_SYN   0x02
#define TCPF_RST   0x04
#define TCPF_PSH   0x08
#define TCPF_ACK   0x10

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The Internet checksum (RFC 1071) of len bytes, starting from sum. */
static inline uint16_t inet_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline size_t eth_hdr(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

/* ARP for IPv4 over Ethernet; op 1 request, 2 reply. */
static inline size_t arp_frame(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
                               uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	static const uint8_t zero[6];
	uint8_t *a = f + eth_hdr(f, eth_dst, sha, ETH_P_ARPT);

	put16(a, 1);
	put16(a + 2, ETH_P_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	put32(a + 14, spa);
	memcpy(a + 18, tha ? tha : zero, 6);
	put32(a + 24, tpa);
	return 14 + 28;
}

/* An IPv4 header (no options) for len payload bytes; returns the header size. */
static inline size_t ip4_hdr(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, size_t len)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, inet_csum(ip, 20, 0));
	return 20;
}

static inline uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

static inline size_t udp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint32_t src,
                               uint16_t sport, uint32_t dst, uint16_t dport, const void *data,
                               size_t len)
{
	uint8_t *ip = f + eth_hdr(f, dmac, smac, ETH_P_IPV4);
	uint8_t *u = ip + ip4_hdr(ip, IPP_UDP, src, dst, 8 + len);

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	put16(u + 6, inet_csum(u, 8 + len, pseudo_sum(src, dst, IPP_UDP, 8 + len)));
	return 14 + 20 + 8 + len;
}

struct tcp_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const void *data;
	size_t len;
};

static inline size_t tcp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
                               const struct tcp_seg *s)
{
	uint8_t *ip = f + eth_hdr(f, dmac, smac, ETH_P_IPV4);
	uint8_t *t = ip + ip4_hdr(ip, IPP_TCP, s->src, s->dst, 20 + s->len);

	memset(t, 0, 20);
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = 5 << 4;
	t[13] = s->flags;
	put16(t + 14, 65535);
	if (s->len)
		memcpy(t + 20, s->data, s->len);
	put16(t + 16, inet_csum(t, 20 + s->len, pseudo_sum(s->src, s->dst, IPP_TCP, 20 + s->len)));
	return 14 + 20 + 20 + s->len;
}

static inline size_t icmp_echo_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
                                     uint32_t src, uint32_t dst, uint16_t id, uint16_t seq)
{
	uint8_t *ip = f + eth_hdr(f, dmac, smac, ETH_P_IPV4);
	uint8_t *c = ip + ip4_hdr(ip, IPP_ICMP, src, dst, 8 + 32);

	memset(c, 0, 8 + 32);
	c[0] = 8; /* echo request */
	put16(c + 4, id);
	put16(c + 6, seq);
	for (int i = 0; i < 32; i++)
		c[8 + i] = (uint8_t)i;
	put16(c + 2, inet_csum(c, 8 + 32, 0));
	return 14 + 20 + 8 + 32;
}

/* A received frame, taken apart. Fields past what the frame holds stay 0. */
struct pkt {
	const uint8_t *dmac, *smac;
	uint16_t type;
	/* ARP */
	uint16_t arp_op;
	const uint8_t *arp_sha;
	uint32_t arp_spa, arp_tpa;
	/* IPv4 */
	bool ip_ok; /* header checksum and lengths hold */
	uint8_t proto;
	uint32_t src, dst;
	uint16_t sport, dport; /* UDP/TCP; ICMP: type, id */
	uint32_t seq, ack;     /* TCP; ICMP echo: seq */
	uint8_t flags;
	const uint8_t *data; /* transport payload */
	size_t len;
};

static inline bool pkt_parse(const uint8_t *f, size_t n, struct pkt *p)
{
	const uint8_t *ip, *l4;
	size_t ihl, tot;

	memset(p, 0, sizeof(*p));
	if (n < 14)
		return false;
	p->dmac = f;
	p->smac = f + 6;
	p->type = get16(f + 12);
	if (p->type == ETH_P_ARPT) {
		if (n < 14 + 28)
			return false;
		p->arp_op = get16(f + 20);
		p->arp_sha = f + 22;
		p->arp_spa = get32(f + 28);
		p->arp_tpa = get32(f + 38);
		return true;
	}
	if (p->type != ETH_P_IPV4 || n < 34)
		return true;
	ip = f + 14;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > n || inet_csum(ip, ihl, 0))
		return true;
	p->ip_ok = true;
	p->proto = ip[9];
	p->src = get32(ip + 12);
	p->dst = get32(ip + 16);
	l4 = ip + ihl;
	tot -= ihl;
	if (p->proto == IPP_UDP && tot >= 8) {
		p->sport = get16(l4);
		p->dport = get16(l4 + 2);
		p->data = l4 + 8;
		p->len = tot - 8;
	} else if (p->proto == IPP_TCP && tot >= 20 && (size_t)(l4[12] >> 4) * 4 <= tot) {
		size_t off = (size_t)(l4[12] >> 4) * 4;

		p->sport = get16(l4);
		p->dport = get16(l4 + 2);
		p->seq = get32(l4 + 4);
		p->ack = get32(l4 + 8);
		p->flags = l4[13];
		p->data = l4 + off;
		p->len = tot - off;
	} else if (p->proto == IPP_ICMP && tot >= 8) {
		p->sport = l4[0];
		p->dport = get16(l4 + 4);
		p->seq = get16(l4 + 6);
		p->data = l4 + 8;
		p->len = tot - 8;
	}
	return true;
}

/*
 * The guest's receive side: rx() callbacks land in a box the test thread
 * waits on. refuse > 0 makes the next rx() calls answer -EAGAIN (no guest
 * buffer), as a full virtio-net receive queue would.
 */
#define RXBOX_N 1024

struct rxbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *frame[RXBOX_N];
	size_t len[RXBOX_N];
	unsigned head, n;
	atomic_int refuse;
	atomic_uint calls, refused, overflow;
};

static inline void rxbox_init(struct rxbox *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
}

static inline void rxbox_destroy(struct rxbox *b)
{
	for (unsigned i = 0; i < b->n; i++)
		free(b->frame[(b->head + i) % RXBOX_N]);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

static inline int rxbox_rx(void *opaque, const struct net_vhdr *vh, const struct iovec *iov,
                           int iovcnt)
{
	struct rxbox *b = opaque;
	int r = atomic_load(&b->refuse);
	size_t len = 0;
	uint8_t *f;

	atomic_fetch_add(&b->calls, 1);
	while (r > 0 && !atomic_compare_exchange_weak(&b->refuse, &r, r - 1))
		;
	if (r > 0) {
		atomic_fetch_add(&b->refused, 1);
		return -EAGAIN;
	}
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	f = malloc(len ? len : 1);
	if (!f)
		return -ENOMEM;
	len = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(f + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	pthread_mutex_lock(&b->lock);
	if (b->n == RXBOX_N) {
		pthread_mutex_unlock(&b->lock);
		free(f);
		atomic_fetch_add(&b->overflow, 1);
		return -ENOBUFS;
	}
	b->frame[(b->head + b->n) % RXBOX_N] = f;
	b->len[(b->head + b->n) % RXBOX_N] = len;
	b->n++;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* The next frame, waiting up to ms; the caller frees it. NULL on timeout. */
static inline uint8_t *rxbox_take(struct rxbox *b, int ms, size_t *len)
{
	struct timespec dl;
	uint8_t *f = NULL;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->n && pthread_cond_timedwait(&b->cond, &b->lock, &dl) == 0)
		;
	if (b->n) {
		f = b->frame[b->head];
		*len = b->len[b->head];
		b->head = (b->head + 1) % RXBOX_N;
		b->n--;
	}
	pthread_mutex_unlock(&b->lock);
	return f;
}

static inline unsigned rxbox_count(struct rxbox *b)
{
	unsigned n;

	pthread_mutex_lock(&b->lock);
	n = b->n;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
