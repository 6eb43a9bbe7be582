// SPDX-License-Identifier: MIT
/* Software checksum and TCP segmentation offload. See net_offload.h. */
#include <errno.h>
#include <string.h>

#include "dev/net_offload.h"

#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86dd
#define IPPROTO_TCP_  6
#define TCP_CSUM_OFF  16
#define TCP_FIN       0x01
#define TCP_PSH       0x08
#define TCP_CWR       0x80
#define IP4_MF_OFFSET 0x3fff /* more-fragments flag and fragment offset */

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void put_be16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
	put_be16(b, (uint16_t)(v >> 16));
	put_be16(b + 2, (uint16_t)v);
}

/* Ones' complement sum of buf (big-endian 16-bit words) added to sum, folded to 16 bits. */
static uint32_t sum16(uint32_t sum, const uint8_t *buf, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		s += (uint32_t)buf[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

int net_offload_check(const struct net_vhdr *vh, const uint8_t *f, size_t len, struct net_l4 *l)
{
	size_t payload;

	memset(l, 0, sizeof(*l));
	l->nseg = 1;
	if (len < ETH_HLEN || len > NET_MAX_FRAME ||
	    (vh->flags & ~(NET_VHDR_F_NEEDS_CSUM | NET_VHDR_F_DATA_VALID)) || vh->hdr_len > len)
		return -EINVAL;
	if ((vh->flags & NET_VHDR_F_NEEDS_CSUM) &&
	    (size_t)vh->csum_start + vh->csum_offset + 2 > len)
		return -EINVAL;
	if (vh->gso_type == NET_GSO_NONE)
		return 0;
	if (vh->gso_type != NET_GSO_TCPV4 && vh->gso_type != NET_GSO_TCPV6)
		return -EINVAL;
	if (!(vh->flags & NET_VHDR_F_NEEDS_CSUM) || vh->gso_size == 0)
		return -EINVAL;
	l->l3 = ETH_HLEN;
	if (vh->gso_type == NET_GSO_TCPV4) {
		const uint8_t *ip = f + ETH_HLEN;
		unsigned ihl;

		if (be16(f + 12) != ETH_P_IP || len < ETH_HLEN + 20 || (ip[0] >> 4) != 4)
			return -EINVAL;
		ihl = (ip[0] & 0xf) * 4u;
		if (ihl < 20 || ip[9] != IPPROTO_TCP_ || (be16(ip + 6) & IP4_MF_OFFSET))
			return -EINVAL;
		l->l4 = ETH_HLEN + ihl;
	} else {
		const uint8_t *ip = f + ETH_HLEN;

		if (be16(f + 12) != ETH_P_IPV6 || len < ETH_HLEN + 40 || (ip[0] >> 4) != 6 ||
		    ip[6] != IPPROTO_TCP_)
			return -EINVAL;
		l->ipv6 = 1;
		l->l4 = ETH_HLEN + 40;
	}
	if ((size_t)l->l4 + 20 > len)
		return -EINVAL;
	l->hlen = l->l4 + (f[l->l4 + 12] >> 4) * 4u;
	if ((f[l->l4 + 12] >> 4) < 5 || l->hlen > len)
		return -EINVAL;
	if (vh->csum_start != l->l4 || vh->csum_offset != TCP_CSUM_OFF)
		return -EINVAL;
	payload = len - l->hlen;
	l->nseg = payload ? (unsigned)((payload + vh->gso_size - 1) / vh->gso_size) : 1;
	return 0;
}

void net_csum_complete(uint8_t *f, size_t len, const struct net_vhdr *vh)
{
	uint32_t sum = sum16(0, f + vh->csum_start, len - vh->csum_start);

	put_be16(f + vh->csum_start + vh->csum_offset, (uint16_t)~sum);
}

int net_gso_segment(const uint8_t *f, size_t len, const struct net_vhdr *vh, const struct net_l4 *l,
                    uint8_t *scratch, unsigned *next, net_seg_fn emit, void *opaque)
{
	size_t payload = len - l->hlen, tcphl = l->hlen - l->l4;
	uint32_t seq0 = be32(f + l->l4 + 4);
	uint16_t id0 = be16(f + l->l3 + 4);
	unsigned i;

	for (i = *next; i < l->nseg; i++) {
		size_t off = (size_t)i * vh->gso_size;
		size_t plen = payload - off < vh->gso_size ? payload - off : vh->gso_size;
		uint8_t *ip = scratch + l->l3, *tcp = scratch + l->l4;
		size_t seglen = l->hlen + plen;
		uint32_t sum;
		int rc;

		memcpy(scratch, f, l->hlen);
		memcpy(scratch + l->hlen, f + l->hlen + off, plen);
		put_be32(tcp + 4, seq0 + (uint32_t)off);
		if (i + 1 < l->nseg)
			tcp[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			tcp[13] &= (uint8_t)~TCP_CWR;
		if (l->ipv6) {
			uint8_t pseudo[8] = { 0 };

			put_be16(ip + 4, (uint16_t)(tcphl + plen));
			put_be32(pseudo, (uint32_t)(tcphl + plen));
			pseudo[7] = IPPROTO_TCP_;
			sum = sum16(sum16(0, ip + 8, 32), pseudo, sizeof(pseudo));
		} else {
			unsigned ihl = l->l4 - l->l3;
			uint8_t pseudo[4] = { 0, IPPROTO_TCP_ };

			put_be16(ip + 2, (uint16_t)(ihl + tcphl + plen));
			put_be16(ip + 4, (uint16_t)(id0 + i));
			put_be16(ip + 10, 0);
			put_be16(ip + 10, (uint16_t)~sum16(0, ip, ihl));
			put_be16(pseudo + 2, (uint16_t)(tcphl + plen));
			sum = sum16(sum16(0, ip + 12, 8), pseudo, sizeof(pseudo));
		}
		put_be16(tcp + TCP_CSUM_OFF, 0);
		sum = sum16(sum, tcp, tcphl + plen);
		put_be16(tcp + TCP_CSUM_OFF, (uint16_t)~sum);
		rc = emit(opaque, scratch, seglen);
		if (rc) {
			*next = i;
			return rc;
		}
	}
	*next = l->nseg;
	return 0;
}
