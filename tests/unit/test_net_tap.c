// SPDX-License-Identifier: MIT
/*
 * The tap backend without a VM: the test creates a tap, gives the host side
 * an address on a private /24 and plays the guest behind it with hand-built
 * frames: ARP and ping to the host, a TCP SYN to a host listener, a UDP
 * datagram from the host, the -EAGAIN contract, and open errors. Needs
 * CAP_NET_ADMIN and /dev/net/tun; prints SKIP with the reason otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/net.h"

#include "tests/unit/check.h"
#include "tests/unit/netpkt.h"

#define WAIT_MS 5000

static const uint8_t gmac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
static uint8_t hmac[6];
static uint32_t host_ip, guest_ip;
static struct net_backend *nb;
static struct rxbox box;
static uint8_t rbuf[NET_MAX_FRAME];

static int send_frame(const uint8_t *f, size_t len)
{
	struct iovec iov[2] = { { (void *)f, 14 }, { (void *)(f + 14), len - 14 } };

	return nb->ops->send(nb, NULL, iov, 2);
}

typedef bool (*match_fn)(const struct pkt *p, const void *ctx);

/* As test_net_slirp.c: wait for a match, answering ARP for the guest. */
static size_t wait_for(match_fn match, const void *ctx, struct pkt *p)
{
	int64_t end = now_ms() + WAIT_MS;
	uint8_t a[64];

	while (now_ms() < end) {
		size_t len;
		uint8_t *f = rxbox_take(&box, (int)(end - now_ms()), &len);

		if (!f)
			break;
		memcpy(rbuf, f, len);
		free(f);
		if (!pkt_parse(rbuf, len, p))
			continue;
		if (p->type == ETH_P_ARPT && p->arp_op == 1 && p->arp_tpa == guest_ip)
			send_frame(
			    a, arp_frame(a, 2, p->smac, gmac, guest_ip, p->arp_sha, p->arp_spa));
		if (match(p, ctx))
			return len;
	}
	memset(p, 0, sizeof(*p));
	return 0;
}

/* Address the host side and bring it up (what `ip addr add; ip link set up` do). */
static int host_side_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(host_ip);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
		perror("SIOCSIFADDR");
		goto out;
	}
	sin->sin_addr.s_addr = htonl(IP4(255, 255, 255, 0));
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0) {
		perror("SIOCSIFNETMASK");
		goto out;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		perror("SIOCGIFFLAGS");
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		perror("SIOCSIFFLAGS");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static bool is_arp_reply(const struct pkt *p, const void *ctx)
{
	return p->type == ETH_P_ARPT && p->arp_op == 2 && p->arp_spa == host_ip &&
	       p->arp_tpa == guest_ip;
}

static bool is_echo_reply(const struct pkt *p, const void *ctx)
{
	return p->ip_ok && p->proto == IPP_ICMP && p->sport == 0 && p->dport == 0x4242 &&
	       p->seq == 7;
}

static bool is_synack(const struct pkt *p, const void *ctx)
{
	return p->ip_ok && p->proto == IPP_TCP && p->dport == 41000 &&
	       (p->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK);
}

static bool is_udp_7777(const struct pkt *p, const void *ctx)
{
	return p->ip_ok && p->proto == IPP_UDP && p->dport == 7777 && p->dst == guest_ip;
}

static void host_udp_to_guest(const char *msg)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_addr.s_addr = htonl(guest_ip),
		                 .sin_port = htons(7777) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK_EQ("host sendto", sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof(a)),
	         (ssize_t)strlen(msg));
	close(fd);
}

static void test_exchange(void)
{
	static const char msg[] = "host to guest over tap";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(host_ip) };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct tcp_seg s = { .src = 0 };
	struct pollfd pfd;
	uint8_t f[256];
	struct pkt p;

	cur = "arp";
	CHECK_EQ("send", send_frame(f, arp_frame(f, 1, BCAST, gmac, guest_ip, NULL, host_ip)), 0);
	CHECK_EQ("host answered", wait_for(is_arp_reply, NULL, &p) != 0, 1);
	if (p.arp_sha)
		memcpy(hmac, p.arp_sha, 6);

	cur = "ping";
	CHECK_EQ("send",
	         send_frame(f, icmp_echo_frame(f, hmac, gmac, guest_ip, host_ip, 0x4242, 7)), 0);
	CHECK_EQ("echo reply", wait_for(is_echo_reply, NULL, &p) != 0, 1);
	CHECK_EQ("from the host", p.src, host_ip);
	CHECK_EQ("payload echoed", p.len == 32 && p.data[31] == 31, 1);

	cur = "tcp syn to host";
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al))
		perror("listener");
	s = (struct tcp_seg){ .src = guest_ip,
		              .dst = host_ip,
		              .sport = 41000,
		              .dport = ntohs(a.sin_port),
		              .seq = 77,
		              .flags = TCPF_SYN };
	CHECK_EQ("send", send_frame(f, tcp_frame(f, hmac, gmac, &s)), 0);
	CHECK_EQ("syn-ack", wait_for(is_synack, NULL, &p) != 0, 1);
	CHECK_EQ("acks the syn", p.ack, 78);
	s.seq = 78;
	s.ack = p.seq + 1;
	s.flags = TCPF_ACK;
	CHECK_EQ("send ack", send_frame(f, tcp_frame(f, hmac, gmac, &s)), 0);
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	CHECK_EQ("host sees the connection", poll(&pfd, 1, WAIT_MS), 1);
	close(lfd); /* the kernel resets the embryo; the test does not care */

	cur = "udp host->guest";
	host_udp_to_guest(msg);
	CHECK_EQ("datagram", wait_for(is_udp_7777, NULL, &p) != 0, 1);
	CHECK_EQ("payload", p.len == strlen(msg) && !memcmp(p.data, msg, p.len), 1);
}

static void test_eagain(void)
{
	struct pkt p;
	unsigned calls;

	cur = "eagain";
	/* Quiet the link first: drain what the kernel sent meanwhile (IPv6 chatter). */
	usleep(200000);
	for (size_t len; rxbox_count(&box);)
		free(rxbox_take(&box, 0, &len));
	atomic_store(&box.refuse, 1);
	calls = atomic_load(&box.calls);
	host_udp_to_guest("held");
	usleep(300000);
	CHECK_EQ("refused once", atomic_load(&box.refused), 1);
	CHECK_EQ("no retry before rx_ready", atomic_load(&box.calls) - calls, 1);
	CHECK_EQ("nothing delivered", rxbox_count(&box), 0);
	nb->ops->rx_ready(nb);
	CHECK_EQ("delivered after rx_ready", wait_for(is_udp_7777, NULL, &p) != 0, 1);
	CHECK_EQ("same frame", p.len == 4 && !memcmp(p.data, "held", 4), 1);
}

static void test_open_errors(const char *ifname)
{
	struct net_config c = { .kind = NET_TAP };
	struct net_backend *b;
	char err[256] = "";

	cur = "open errors";
	c.name = "a-name-longer-than-ifnamsiz";
	CHECK_EQ("long name", net_tap_open(&c, &b, err, sizeof(err)), -EINVAL);
	c.name = "lo";
	CHECK_EQ("not a tap", net_tap_open(&c, &b, err, sizeof(err)), -EINVAL);
	CHECK_EQ("says so", strstr(err, "not a tap") != NULL, 1);
	printf("  (message: %s)\n", err);
	c.name = ifname;
	CHECK_EQ("in use", net_tap_open(&c, &b, err, sizeof(err)), -EBUSY);
	printf("  (message: %s)\n", err);
	c.nhostfwd = 1;
	CHECK_EQ("hostfwd refused", net_tap_open(&c, &b, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	char ifname[IFNAMSIZ], err[256];
	struct net_config cfg = { .kind = NET_TAP, .name = ifname };
	unsigned net = 100 + (unsigned)getpid() % 100;
	int rc;

	snprintf(ifname, sizeof(ifname), "rvtap%u", (unsigned)getpid() % 100000);
	host_ip = IP4(10, 213, net, 1);
	guest_ip = IP4(10, 213, net, 2);
	rc = net_tap_open(&cfg, &nb, err, sizeof(err));
	if (rc == -EPERM || rc == -EACCES || rc == -ENOENT || rc == -ENODEV || rc == -ENXIO) {
		printf("SKIP: this host does not allow a tap: %s\n", err);
		return 0;
	}
	if (rc) {
		printf("FAIL: net_tap_open: %s\n", err);
		return 1;
	}
	cur = "open";
	CHECK_EQ("desc", strncmp(nb->desc, "tap=rvtap", 9), 0);
	if (host_side_up(ifname)) {
		printf(
		    "SKIP: cannot address/raise %s (no CAP_NET_ADMIN in this network namespace)\n",
		    ifname);
		net_backend_close(nb);
		return 0;
	}
	rxbox_init(&box);
	CHECK_EQ("start", nb->ops->start(nb, rxbox_rx, &box), 0);
	test_exchange();
	test_eagain();
	test_open_errors(ifname);
	/* Block receive (a refused frame stops rx() until rx_ready) so the
	 * counters hold still while they are compared with the box's. */
	cur = "stats";
	unsigned refused = atomic_load(&box.refused);

	atomic_store(&box.refuse, 1 << 30);
	host_udp_to_guest("quiesce");
	for (int64_t end = now_ms() + WAIT_MS;
	     atomic_load(&box.refused) == refused && now_ms() < end;)
		usleep(10000);
	CHECK_EQ("receive blocked", atomic_load(&box.refused), refused + 1);
	CHECK_EQ("tx counted", atomic_load(&nb->stats.tx_frames) >= 4, 1);
	CHECK_EQ("rx counted", atomic_load(&nb->stats.rx_frames),
	         atomic_load(&box.calls) - atomic_load(&box.refused));
	net_backend_close(nb);
	rxbox_destroy(&box);
	return check_summary();
}
