// SPDX-License-Identifier: MIT
/*
 * Software offloads (dev/net_offload.c): a 64 KiB TCPv4 and TCPv6 GSO
 * frame cut into segments, each checked for its lengths, sequence number,
 * flags, IP ID and IP/TCP checksums with a checksum routine of this test,
 * and the payload put back together; a partial checksum completed; and
 * malformed metadata (as a hostile guest sends it) refused. Resuming a
 * segmentation stopped by the receiver gives each segment once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/net_offload.h"
#include "tests/unit/check.h"

#define GSO 1448

static uint8_t frame[NET_MAX_FRAME], scratch[NET_MAX_FRAME], joined[NET_MAX_FRAME];

/* Reference internet checksum (RFC 1071), written apart from the code under test. */
static uint16_t ref_csum(const uint8_t *const *parts, const size_t *lens, int n)
{
	uint32_t s = 0;
	int i;

	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < lens[i]; j++)
			s += (j & 1) ? parts[i][j] : (uint32_t)parts[i][j] << 8;
		/* parts are even-length except the last */
	}
	while (s > 0xffff)
		s = (s >> 16) + (s & 0xffff);
	return (uint16_t)~s;
}

static unsigned rd16(const uint8_t *b)
{
	return (unsigned)b[0] << 8 | b[1];
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)rd16(b) << 16 | rd16(b + 2);
}

/* An Ethernet + IPv4/IPv6 + TCP (with 12 bytes of options) frame of len bytes. */
static size_t build(int v6, size_t payload, struct net_vhdr *vh)
{
	size_t l3 = 14, ihl = v6 ? 40 : 20, l4 = l3 + ihl, thl = 32, len = l4 + thl + payload, i;
	uint8_t *ip = frame + l3, *tcp = frame + l4;

	if (len > NET_MAX_FRAME)
		abort();
	memset(frame, 0, l4 + thl);
	memcpy(frame, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01", 12);
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((thl + payload) >> 8);
		ip[5] = (uint8_t)(thl + payload);
		ip[6] = 6;
		ip[7] = 64;
		for (i = 0; i < 32; i++)
			ip[8 + i] = (uint8_t)(0x20 + i);
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((len - l3) >> 8);
		ip[3] = (uint8_t)(len - l3);
		ip[4] = 0x12;
		ip[5] = 0x34;
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	}
	tcp[0] = 0x9c;
	tcp[1] = 0x40;
	tcp[3] = 80;
	memcpy(tcp + 4, "\xff\xff\xf0\x00", 4); /* the sequence number wraps inside the frame */
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
	tcp[20] = 1;                         /* options: NOPs */
	for (i = 0; i < payload; i++)
		frame[l4 + thl + i] = (uint8_t)(rand() >> 7);
	*vh = (struct net_vhdr){ .flags = NET_VHDR_F_NEEDS_CSUM,
		                 .gso_type = v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4,
		                 .hdr_len = (uint16_t)(l4 + thl),
		                 .gso_size = GSO,
		                 .csum_start = (uint16_t)l4,
		                 .csum_offset = 16 };
	return len;
}

struct collect {
	int v6;
	unsigned n, refuse_at; /* emit fails once at segment refuse_at (0: never) */
	bool refused;
	size_t payload;
	uint32_t seq0;
};

static int emit(void *opaque, const uint8_t *s, size_t len)
{
	struct collect *c = opaque;
	size_t l3 = 14, ihl = c->v6 ? 40 : 20, l4 = l3 + ihl, thl = 32, plen = len - l4 - thl;
	const uint8_t *ip = s + l3, *tcp = s + l4;
	uint8_t pseudo[40];
	const uint8_t *parts[3];
	size_t lens[3];
	bool last;

	if (c->refuse_at && c->n == c->refuse_at && !c->refused) {
		c->refused = true;
		return -EAGAIN;
	}
	last = c->payload - (size_t)c->n * GSO <= GSO;
	CHECK_EQ("segment payload", plen, last ? c->payload - (size_t)c->n * GSO : GSO);
	CHECK_EQ("sequence", rd32(tcp + 4), c->seq0 + c->n * GSO);
	CHECK_EQ("FIN/PSH only on the last", tcp[13] & 0x09, last ? 0x09 : 0);
	CHECK_EQ("CWR only on the first", tcp[13] & 0x80, c->n == 0 ? 0x80 : 0);
	CHECK_EQ("ACK kept", tcp[13] & 0x10, 0x10);
	if (c->v6) {
		CHECK_EQ("IPv6 payload length", rd16(ip + 4), thl + plen);
		memcpy(pseudo, ip + 8, 32);
		memset(pseudo + 32, 0, 8);
		pseudo[34] = (uint8_t)((thl + plen) >> 8);
		pseudo[35] = (uint8_t)(thl + plen);
		pseudo[39] = 6;
		lens[0] = 40;
	} else {
		const uint8_t *p1[1] = { ip };
		size_t l1[1] = { 20 };

		CHECK_EQ("IPv4 total length", rd16(ip + 2), ihl + thl + plen);
		CHECK_EQ("IPv4 ID", rd16(ip + 4), (0x1234 + c->n) & 0xffff);
		CHECK_EQ("IPv4 header checksum verifies", ref_csum(p1, l1, 1), 0);
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 6;
		pseudo[10] = (uint8_t)((thl + plen) >> 8);
		pseudo[11] = (uint8_t)(thl + plen);
		lens[0] = 12;
	}
	parts[0] = pseudo;
	parts[1] = tcp;
	lens[1] = thl + plen;
	CHECK_EQ("TCP checksum verifies", ref_csum(parts, lens, 2), 0);
	memcpy(joined + (size_t)c->n * GSO, s + l4 + thl, plen);
	c->n++;
	return 0;
}

static void gso_case(int v6, size_t payload, unsigned refuse_at)
{
	struct net_vhdr vh;
	size_t len = build(v6, payload, &vh);
	struct collect c = {
		.v6 = v6, .payload = payload, .seq0 = 0xfffff000, .refuse_at = refuse_at
	};
	struct net_l4 l;
	unsigned next = 0;
	int rc;

	CHECK_EQ("check", net_offload_check(&vh, frame, len, &l), 0);
	CHECK_EQ("segments", l.nseg, (payload + GSO - 1) / GSO);
	CHECK_EQ("header length", l.hlen, vh.hdr_len);
	rc = net_gso_segment(frame, len, &vh, &l, scratch, &next, emit, &c);
	if (refuse_at) {
		CHECK_EQ("stopped by the receiver", rc, -EAGAIN);
		CHECK_EQ("resume point", next, refuse_at);
		rc = net_gso_segment(frame, len, &vh, &l, scratch, &next, emit, &c);
	}
	CHECK_EQ("segmented", rc, 0);
	CHECK_EQ("all segments once", c.n, l.nseg);
	CHECK_EQ("next", next, l.nseg);
	CHECK_EQ("payload put back together", memcmp(joined, frame + vh.hdr_len, payload), 0);
}

static void csum_case(void)
{
	struct net_vhdr vh;
	size_t len = build(0, 1000, &vh), l4 = 34;
	uint8_t pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, (1032 >> 8), 1032 & 0xff };
	const uint8_t *parts[2] = { pseudo, frame + l4 };
	size_t lens[2] = { 12, len - l4 };
	uint32_t seed = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 1032;
	struct net_l4 l;

	vh.gso_type = NET_GSO_NONE;
	vh.gso_size = 0;
	/* The guest's seed: the pseudo-header sum, not complemented. */
	frame[l4 + 16] = (uint8_t)(seed >> 8);
	frame[l4 + 17] = (uint8_t)seed;
	CHECK_EQ("check", net_offload_check(&vh, frame, len, &l), 0);
	net_csum_complete(frame, len, &vh);
	CHECK_EQ("completed TCP checksum verifies", ref_csum(parts, lens, 2), 0);
}

static void hostile(void)
{
	struct net_vhdr vh, good;
	size_t len = build(0, 8000, &good);
	struct net_l4 l;

#define BAD(what, field, value)                                                  \
	do {                                                                     \
		vh = good;                                                       \
		vh.field = value;                                                \
		CHECK_EQ(what, net_offload_check(&vh, frame, len, &l), -EINVAL); \
	} while (0)
	cur = "hostile metadata";
	BAD("gso_size 0", gso_size, 0);
	BAD("unknown gso_type", gso_type, 3);
	BAD("ECN bit", gso_type, NET_GSO_TCPV4 | 0x80);
	BAD("TCPv6 on an IPv4 frame", gso_type, NET_GSO_TCPV6);
	BAD("GSO without NEEDS_CSUM", flags, 0);
	BAD("unknown flag", flags, NET_VHDR_F_NEEDS_CSUM | 4);
	BAD("hdr_len beyond the frame", hdr_len, (uint16_t)(len + 1));
	BAD("csum_start beyond the frame", csum_start, 0xfff0);
	BAD("csum_offset beyond the frame", csum_offset, 0xfff0);
	BAD("csum_start not the TCP header", csum_start, 30);
	BAD("csum_offset not the TCP checksum", csum_offset, 6);
	vh = good;
	vh.gso_type = NET_GSO_NONE;
	vh.csum_start = (uint16_t)(len - 1);
	vh.csum_offset = 0;
	CHECK_EQ("checksum field past the end", net_offload_check(&vh, frame, len, &l), -EINVAL);
	CHECK_EQ("frame too long", net_offload_check(&good, frame, NET_MAX_FRAME + 1, &l), -EINVAL);
	CHECK_EQ("runt", net_offload_check(&good, frame, 13, &l), -EINVAL);
	CHECK_EQ("headers cut off", net_offload_check(&good, frame, 40, &l), -EINVAL);
	frame[23] = 17; /* UDP */
	CHECK_EQ("GSO on UDP", net_offload_check(&good, frame, len, &l), -EINVAL);
	frame[23] = 6;
	frame[20] = 0x20; /* more fragments */
	CHECK_EQ("GSO on a fragment", net_offload_check(&good, frame, len, &l), -EINVAL);
	frame[20] = 0x40;
	frame[14] = 0x44; /* IHL 4 */
	CHECK_EQ("IHL below 5", net_offload_check(&good, frame, len, &l), -EINVAL);
	frame[14] = 0x45;
	frame[34 + 12] = 0x40; /* TCP data offset 4 */
	CHECK_EQ("TCP data offset below 5", net_offload_check(&good, frame, len, &l), -EINVAL);
	frame[34 + 12] = 0xf0; /* 60 bytes of TCP header: csum_start still fits */
	CHECK_EQ("TCP header length 60 accepted", net_offload_check(&good, frame, len, &l), 0);
	CHECK_EQ("its header length", l.hlen, 94);
	frame[12] = 0x81; /* VLAN tag */
	CHECK_EQ("tagged frame", net_offload_check(&good, frame, len, &l), -EINVAL);
	len = build(1, 8000, &good);
	frame[14 + 6] = 0; /* hop-by-hop extension header */
	CHECK_EQ("IPv6 extension header", net_offload_check(&good, frame, len, &l), -EINVAL);
#undef BAD
}

int main(void)
{
	srand(1);
	cur = "TCPv4 64 KiB";
	gso_case(0, 65535 - 20 - 32, 0);
	cur = "TCPv6 64 KiB";
	gso_case(1, NET_MAX_FRAME - 14 - 40 - 32, 0); /* the largest frame a backend carries */
	cur = "TCPv4 exact multiple";
	gso_case(0, 10 * GSO, 0);
	cur = "TCPv4 one short segment";
	gso_case(0, 100, 0);
	cur = "TCPv6 resumed after -EAGAIN";
	gso_case(1, 20000, 5);
	cur = "partial checksum";
	csum_case();
	hostile();
	return check_summary();
}
