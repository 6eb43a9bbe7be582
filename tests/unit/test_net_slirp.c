// SPDX-License-Identifier: MIT
/*
 * The user-mode network backend (libslirp) without a VM: the test is the
 * guest, sending hand-built Ethernet frames through send() and reading what
 * rx() delivers. DHCP, ARP, a TCP connection from the guest to a host
 * listener (through 10.0.2.2), TCP and UDP host forwards into the guest,
 * the -EAGAIN receive contract (hold, order, bounded drops), hostile frames
 * and open errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/net.h"

#include "tests/unit/check.h"
#include "tests/unit/netpkt.h"

#define GUEST_IP   IP4(10, 0, 2, 15)
#define HOST_IP    IP4(10, 0, 2, 2)
#define DNS_IP     IP4(10, 0, 2, 3)
#define FWD_TCP_GP 8080 /* guest ports of the forwards */
#define FWD_UDP_GP 5353
#define WAIT_MS    5000

static const uint8_t gmac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static uint8_t gwmac[6]; /* learnt from the ARP reply */
static struct net_backend *nb;
static struct rxbox box;

static int send_frame(const uint8_t *f, size_t len)
{
	struct iovec iov[2] = { { (void *)f, 10 }, { (void *)(f + 10), len - 10 } };

	return nb->ops->send(nb, NULL, iov, 2); /* split, as a descriptor chain would be */
}

/* The guest answers slirp's ARP requests for its own address, as Linux would. */
static void answer_arp(const struct pkt *p)
{
	uint8_t f[64];

	if (p->type == ETH_P_ARPT && p->arp_op == 1 && p->arp_tpa == GUEST_IP)
		send_frame(f, arp_frame(f, 2, p->smac, gmac, GUEST_IP, p->arp_sha, p->arp_spa));
}

typedef bool (*match_fn)(const struct pkt *p, const void *ctx);

/* Waits for a frame that match() accepts, answering ARP on the way; it is
 * copied to out (NET_MAX_FRAME bytes). Returns its length, 0 on timeout. */
static size_t wait_for(match_fn match, const void *ctx, uint8_t *out, struct pkt *p)
{
	int64_t end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		size_t len;
		uint8_t *f = rxbox_take(&box, (int)(end - now_ms()), &len);

		if (!f)
			break;
		memcpy(out, f, len);
		free(f);
		if (!pkt_parse(out, len, p))
			continue;
		answer_arp(p);
		if (match(p, ctx))
			return len;
	}
	memset(p, 0, sizeof(*p));
	return 0;
}

static uint8_t rbuf[NET_MAX_FRAME];

/* ---- DHCP (RFC 2131) ---- */

#define BOOTP_LEN 548 /* fixed part 236 + options 312 */
#define XID       0x2a2b2c2d

static size_t dhcp_frame(uint8_t *f, uint8_t type)
{
	uint8_t b[BOOTP_LEN] = { 0 }, *o = b + 240;

	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, XID);
	put16(b + 10, 0x8000); /* broadcast reply */
	memcpy(b + 28, gmac, 6);
	put32(b + 236, 0x63825363);
	*o++ = 53, *o++ = 1, *o++ = type;
	if (type == 3) { /* DHCPREQUEST for the offered address */
		*o++ = 50, *o++ = 4, put32(o, GUEST_IP), o += 4;
		*o++ = 54, *o++ = 4, put32(o, HOST_IP), o += 4;
	}
	*o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 6;
	*o = 255;
	return udp_frame(f, BCAST, gmac, 0, 68, 0xffffffff, 67, b, sizeof(b));
}

/* The value of DHCP option code (its first 4 bytes, big-endian); -1: absent. */
static int64_t dhcp_opt(const struct pkt *p, uint8_t code)
{
	size_t i = 240;

	if (p->len < 240 || get32(p->data + 236) != 0x63825363)
		return -1;
	while (i < p->len && p->data[i] != 255) {
		uint8_t c = p->data[i], l;
		uint32_t v = 0;

		if (c == 0) {
			i++;
			continue;
		}
		if (i + 2 > p->len || i + 2 + (l = p->data[i + 1]) > p->len)
			return -1;
		for (unsigned k = 0; k < l && k < 4; k++)
			v = v << 8 | p->data[i + 2 + k];
		if (c == code)
			return v;
		i += 2u + l;
	}
	return -1;
}

static bool is_dhcp_reply(const struct pkt *p, const void *ctx)
{
	return p->ip_ok && p->proto == IPP_UDP && p->sport == 67 && p->dport == 68 &&
	       p->len >= 240 && p->data[0] == 2 && get32(p->data + 4) == XID;
}

static void test_dhcp(void)
{
	uint8_t f[1024];
	struct pkt p;

	cur = "dhcp discover";
	CHECK_EQ("send", send_frame(f, dhcp_frame(f, 1)), 0);
	CHECK_EQ("offer came", wait_for(is_dhcp_reply, NULL, rbuf, &p) != 0, 1);
	CHECK_EQ("message type offer", dhcp_opt(&p, 53), 2);
	CHECK_EQ("yiaddr", get32(p.data + 16), GUEST_IP);
	CHECK_EQ("server id", dhcp_opt(&p, 54), HOST_IP);
	CHECK_EQ("router", dhcp_opt(&p, 3), HOST_IP);
	CHECK_EQ("dns", dhcp_opt(&p, 6), DNS_IP);
	CHECK_EQ("netmask", dhcp_opt(&p, 1), IP4(255, 255, 255, 0));
	CHECK_EQ("from the gateway", p.src, HOST_IP);

	cur = "dhcp request";
	CHECK_EQ("send", send_frame(f, dhcp_frame(f, 3)), 0);
	CHECK_EQ("ack came", wait_for(is_dhcp_reply, NULL, rbuf, &p) != 0, 1);
	CHECK_EQ("message type ack", dhcp_opt(&p, 53), 5);
	CHECK_EQ("yiaddr", get32(p.data + 16), GUEST_IP);
	CHECK_EQ("lease time set", dhcp_opt(&p, 51) > 0, 1);
}

/* ---- ARP ---- */

static bool is_arp_reply_from(const struct pkt *p, const void *ctx)
{
	return p->type == ETH_P_ARPT && p->arp_op == 2 && p->arp_spa == *(const uint32_t *)ctx &&
	       p->arp_tpa == GUEST_IP && !memcmp(p->dmac, gmac, 6);
}

static size_t arp_request(uint8_t *f, uint32_t who)
{
	return arp_frame(f, 1, BCAST, gmac, GUEST_IP, NULL, who);
}

static void test_arp(void)
{
	uint8_t f[64];
	struct pkt p;
	uint32_t who = HOST_IP;

	cur = "arp gateway";
	CHECK_EQ("send", send_frame(f, arp_request(f, HOST_IP)), 0);
	CHECK_EQ("reply came", wait_for(is_arp_reply_from, &who, rbuf, &p) != 0, 1);
	if (p.arp_sha) {
		memcpy(gwmac, p.arp_sha, 6);
		CHECK_EQ("sender mac is the frame's", memcmp(p.arp_sha, p.smac, 6), 0);
		CHECK_EQ("unicast mac", gwmac[0] & 1, 0);
	}
}

/* ---- TCP from the guest to a host listener ---- */

struct tcp_want {
	uint16_t sport, dport; /* sport 0: any */
	uint8_t flags;         /* all of these set */
	bool data;             /* with payload */
};

static bool is_tcp(const struct pkt *p, const void *ctx)
{
	const struct tcp_want *w = ctx;

	return p->ip_ok && p->proto == IPP_TCP && (!w->sport || p->sport == w->sport) &&
	       p->dport == w->dport && (p->flags & w->flags) == w->flags &&
	       (!w->data || p->len > 0);
}

static int listener(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 4)) || getsockname(fd, (struct sockaddr *)&a, &al)) {
		perror("listener");
		exit(2);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, WAIT_MS) == 1;
}

static void test_tcp_to_host(void)
{
	static const char up[] = "hello from the guest", down[] = "hello from the host";
	uint16_t port;
	int lfd = listener(SOCK_STREAM, &port), cfd = -1;
	struct tcp_seg s = { .src = GUEST_IP, .dst = HOST_IP, .sport = 40000, .dport = port };
	struct tcp_want w = { .sport = port, .dport = 40000, .flags = TCPF_SYN | TCPF_ACK };
	uint8_t f[256];
	char got[64] = { 0 };
	struct pkt p;
	uint32_t their;

	cur = "tcp guest->host";
	s.seq = 1000;
	s.flags = TCPF_SYN;
	CHECK_EQ("send syn", send_frame(f, tcp_frame(f, gwmac, gmac, &s)), 0);
	CHECK_EQ("syn-ack came", wait_for(is_tcp, &w, rbuf, &p) != 0, 1);
	CHECK_EQ("acks our syn", p.ack, 1001);
	their = p.seq;
	CHECK_EQ("host sees the connection", readable(lfd), 1);
	cfd = accept(lfd, NULL, NULL);
	CHECK_EQ("accepted", cfd >= 0, 1);

	s.seq = 1001;
	s.ack = their + 1;
	s.flags = TCPF_ACK | TCPF_PSH;
	s.data = up;
	s.len = sizeof(up) - 1;
	CHECK_EQ("send data", send_frame(f, tcp_frame(f, gwmac, gmac, &s)), 0);
	if (cfd >= 0 && readable(cfd)) {
		CHECK_EQ("host read", read(cfd, got, sizeof(got) - 1), (ssize_t)sizeof(up) - 1);
		CHECK_EQ("host got the bytes", strcmp(got, up), 0);
	} else {
		CHECK_EQ("host data arrived", 0, 1);
	}

	if (cfd >= 0)
		CHECK_EQ("host write", write(cfd, down, sizeof(down) - 1),
		         (ssize_t)sizeof(down) - 1);
	w.flags = TCPF_ACK;
	w.data = true;
	CHECK_EQ("guest got data", wait_for(is_tcp, &w, rbuf, &p) != 0, 1);
	CHECK_EQ("guest data length", p.len, sizeof(down) - 1);
	CHECK_EQ("guest data bytes", p.len == sizeof(down) - 1 && !memcmp(p.data, down, p.len), 1);
	CHECK_EQ("guest data seq", p.seq, their + 1);

	s.seq = 1001 + (uint32_t)(sizeof(up) - 1);
	s.ack = p.seq + (uint32_t)p.len;
	s.flags = TCPF_RST | TCPF_ACK;
	s.len = 0;
	send_frame(f, tcp_frame(f, gwmac, gmac, &s));
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

/* ---- host forwards into the guest ---- */

static void test_fwd_tcp(uint16_t hport)
{
	static const char msg[] = "served by the guest";
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		                 .sin_port = htons(hport) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct tcp_want w = { .dport = FWD_TCP_GP, .flags = TCPF_SYN };
	struct tcp_seg s = { .src = GUEST_IP, .sport = FWD_TCP_GP };
	uint8_t f[256];
	char got[64] = { 0 };
	struct pkt p;

	cur = "hostfwd tcp";
	CHECK_EQ("host connects", connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* The source port is slirp's choice: match any SYN to the guest port. */
	for (int64_t end = now_ms() + WAIT_MS; now_ms() < end;) {
		if (!wait_for(is_tcp, &w, rbuf, &p))
			break;
		if (p.dport == FWD_TCP_GP && !(p.flags & TCPF_ACK))
			break;
	}
	CHECK_EQ("syn to the guest port", p.dport, FWD_TCP_GP);
	CHECK_EQ("syn to the guest address", p.dst, GUEST_IP);
	CHECK_EQ("syn from the gateway", p.src, HOST_IP);
	CHECK_EQ("plain syn", p.flags & (TCPF_SYN | TCPF_ACK), TCPF_SYN);

	s.dst = p.src;
	s.dport = p.sport;
	s.seq = 5000;
	s.ack = p.seq + 1;
	s.flags = TCPF_SYN | TCPF_ACK;
	CHECK_EQ("send syn-ack", send_frame(f, tcp_frame(f, gwmac, gmac, &s)), 0);
	w = (struct tcp_want){ .sport = s.dport, .dport = FWD_TCP_GP, .flags = TCPF_ACK };
	CHECK_EQ("handshake ack", wait_for(is_tcp, &w, rbuf, &p) != 0, 1);
	CHECK_EQ("acks our syn", p.ack, 5001);

	s.seq = 5001;
	s.flags = TCPF_ACK | TCPF_PSH;
	s.data = msg;
	s.len = sizeof(msg) - 1;
	CHECK_EQ("send data", send_frame(f, tcp_frame(f, gwmac, gmac, &s)), 0);
	if (readable(fd)) {
		CHECK_EQ("host read", read(fd, got, sizeof(got) - 1), (ssize_t)sizeof(msg) - 1);
		CHECK_EQ("host got the guest's bytes", strcmp(got, msg), 0);
	} else {
		CHECK_EQ("guest data reached the host", 0, 1);
	}
	close(fd);
}

static bool is_udp_to(const struct pkt *p, const void *ctx)
{
	return p->ip_ok && p->proto == IPP_UDP && p->dport == *(const uint16_t *)ctx;
}

static void test_fwd_udp(uint16_t hport)
{
	static const char msg[] = "udp into the guest";
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		                 .sin_port = htons(hport) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint16_t gp = FWD_UDP_GP;
	struct pkt p;

	cur = "hostfwd udp";
	CHECK_EQ("host sends",
	         sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&a, sizeof(a)),
	         (ssize_t)sizeof(msg) - 1);
	CHECK_EQ("datagram came", wait_for(is_udp_to, &gp, rbuf, &p) != 0, 1);
	CHECK_EQ("to the guest", p.dst, GUEST_IP);
	CHECK_EQ("payload", p.len == sizeof(msg) - 1 && !memcmp(p.data, msg, p.len), 1);
	close(fd);
}

/* ---- the -EAGAIN contract ---- */

static void settle(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static void test_eagain(void)
{
	uint8_t f[64];
	struct pkt p;
	uint32_t who;
	unsigned calls;

	cur = "eagain hold";
	atomic_store(&box.refuse, 1);
	calls = atomic_load(&box.calls);
	CHECK_EQ("send", send_frame(f, arp_request(f, HOST_IP)), 0);
	CHECK_EQ("send 2", send_frame(f, arp_request(f, DNS_IP)), 0);
	settle(300);
	CHECK_EQ("rx tried once, then waited", atomic_load(&box.calls) - calls, 1);
	CHECK_EQ("refused", atomic_load(&box.refused), 1);
	CHECK_EQ("nothing delivered", rxbox_count(&box), 0);
	nb->ops->rx_ready(nb);
	who = HOST_IP;
	CHECK_EQ("held frame first", wait_for(is_arp_reply_from, &who, rbuf, &p) != 0, 1);
	who = DNS_IP;
	CHECK_EQ("then the next, in order", wait_for(is_arp_reply_from, &who, rbuf, &p) != 0, 1);

	cur = "eagain bounded";
	enum { N = 600 };
	uint64_t drops0 = atomic_load(&nb->stats.rx_drops);
	unsigned got = 0;

	atomic_store(&box.refuse, 1);
	for (int i = 0; i < N; i++)
		send_frame(f, arp_request(f, HOST_IP));
	for (int64_t end = now_ms() + WAIT_MS;
	     atomic_load(&nb->stats.rx_drops) == drops0 && now_ms() < end;)
		settle(10);
	settle(100);
	uint64_t drops = atomic_load(&nb->stats.rx_drops) - drops0;

	CHECK_EQ("some dropped", drops > 0, 1);
	CHECK_EQ("not all dropped", drops < N, 1);
	nb->ops->rx_ready(nb);
	who = HOST_IP;
	while (wait_for(is_arp_reply_from, &who, rbuf, &p) && got < N)
		if (++got + drops == N)
			break;
	CHECK_EQ("held + dropped = sent", got + drops, N);
	CHECK_EQ("box never overflowed", atomic_load(&box.overflow), 0);
}

/* ---- hostile frames ---- */

static void test_hostile(void)
{
	static uint8_t big[NET_MAX_FRAME + 1];
	uint8_t f[1600];
	struct iovec iov;
	struct pkt p;
	uint32_t who = HOST_IP;
	unsigned seed = 12345;

	cur = "hostile";
	iov = (struct iovec){ f, 5 };
	CHECK_EQ("runt frame refused", nb->ops->send(nb, NULL, &iov, 1), -EINVAL);
	iov = (struct iovec){ big, sizeof(big) };
	CHECK_EQ("oversize refused", nb->ops->send(nb, NULL, &iov, 1), -EINVAL);
	CHECK_EQ("negative iovcnt", nb->ops->send(nb, NULL, &iov, -1), -EINVAL);
	/* Random bytes under valid Ethernet/IPv4/ARP headers, and IPv4 headers
	 * whose lengths lie. The backend (and libslirp) must survive them. */
	for (int i = 0; i < 2000; i++) {
		size_t len = 14 + (size_t)rand_r(&seed) % (sizeof(f) - 14);

		for (size_t k = 0; k < len; k++)
			f[k] = (uint8_t)rand_r(&seed);
		memcpy(f, gwmac, 6);
		memcpy(f + 6, gmac, 6);
		put16(f + 12, i % 3 == 0 ? ETH_P_ARPT : ETH_P_IPV4);
		if (i % 3 == 1 && len >= 34) {
			f[14] = 0x45;
			put32(f + 26, GUEST_IP);
			put32(f + 30, HOST_IP);
			f[23] = (uint8_t)(i % 2 ? IPP_TCP : IPP_UDP);
		}
		iov = (struct iovec){ f, len };
		nb->ops->send(nb, NULL, &iov, 1);
	}
	settle(200);
	/* Drain whatever slirp answered, then check the stack still works. */
	for (size_t len; rxbox_count(&box);)
		free(rxbox_take(&box, 0, &len));
	CHECK_EQ("still answers", send_frame(f, arp_request(f, HOST_IP)), 0);
	CHECK_EQ("arp reply after garbage", wait_for(is_arp_reply_from, &who, rbuf, &p) != 0, 1);
}

static void test_open_errors(uint16_t busy_port)
{
	struct net_config c = { .kind = NET_USER, .nhostfwd = 1 };
	struct net_backend *b = (struct net_backend *)1;
	char err[256] = "";
	char want[32];

	cur = "open errors";
	c.hostfwd[0] = (struct net_hostfwd){ .host_addr = IP4(127, 0, 0, 1),
		                             .host_port = busy_port,
		                             .guest_port = 22 };
	CHECK_EQ("port in use fails", net_slirp_open(&c, &b, err, sizeof(err)) < 0, 1);
	CHECK_EQ("no backend", b == NULL, 1);
	snprintf(want, sizeof(want), ":%u", busy_port);
	CHECK_EQ("message names the port", strstr(err, want) != NULL, 1);
	printf("  (message: %s)\n", err);
	c.hostfwd[0].host_port = 0;
	CHECK_EQ("port 0 fails", net_slirp_open(&c, &b, err, sizeof(err)), -EINVAL);
	c.nhostfwd = NET_MAX_HOSTFWD + 1;
	CHECK_EQ("too many forwards", net_slirp_open(&c, &b, err, sizeof(err)), -EINVAL);
}

/* A port free right now on 127.0.0.1 (the backend binds it soon after). */
static uint16_t free_port(int type)
{
	uint16_t port;

	close(listener(type, &port));
	return port;
}

int main(void)
{
	struct net_config cfg = { .kind = NET_USER, .nhostfwd = 2 };
	uint16_t tport = free_port(SOCK_STREAM), uport = free_port(SOCK_DGRAM);
	char err[256];
	int rc;

	cfg.hostfwd[0] = (struct net_hostfwd){ .host_addr = IP4(127, 0, 0, 1),
		                               .host_port = tport,
		                               .guest_port = FWD_TCP_GP };
	cfg.hostfwd[1] = (struct net_hostfwd){ .udp = true,
		                               .host_addr = IP4(127, 0, 0, 1),
		                               .host_port = uport,
		                               .guest_port = FWD_UDP_GP };
	rxbox_init(&box);
	rc = net_slirp_open(&cfg, &nb, err, sizeof(err));
	if (rc) {
		printf("FAIL: net_slirp_open: %s\n", err);
		return 1;
	}
	cur = "open";
	CHECK_EQ("desc", strcmp(nb->desc, "user"), 0);
	CHECK_EQ("start", nb->ops->start(nb, rxbox_rx, &box), 0);

	test_dhcp();
	test_arp();
	test_tcp_to_host();
	test_fwd_tcp(tport);
	test_fwd_udp(uport);
	test_eagain();
	test_hostile();
	test_open_errors(tport);

	/* Block receive (a refused frame stops rx() until rx_ready) so the
	 * counters hold still while they are compared with the box's. */
	cur = "stats";
	unsigned refused = atomic_load(&box.refused);

	atomic_store(&box.refuse, 1 << 30);
	{
		uint8_t f[64];

		send_frame(f, arp_request(f, HOST_IP));
	}
	for (int64_t end = now_ms() + WAIT_MS;
	     atomic_load(&box.refused) == refused && now_ms() < end;)
		usleep(10000);
	CHECK_EQ("receive blocked", atomic_load(&box.refused), refused + 1);
	CHECK_EQ("tx counted", atomic_load(&nb->stats.tx_frames) > 600, 1);
	CHECK_EQ("rx counted: every rx() that took a frame", atomic_load(&nb->stats.rx_frames),
	         atomic_load(&box.calls) - atomic_load(&box.refused));
	CHECK_EQ("invalid tx counted", atomic_load(&nb->stats.tx_drops) >= 3, 1);
	net_backend_close(nb);
	rxbox_destroy(&box);
	return check_summary();
}
