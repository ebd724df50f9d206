/*
 * inject: RST segments (RFC 9293 section 3.10.7.3 for their acceptance,
 * RFC 5961 section 3.2 for the exact-sequence rule) sent through raw
 * sockets. IPv4 header per RFC 791 section 3.1, IPv6 per RFC 8200 section 3,
 * TCP checksum over the pseudo-header per RFC 9293 section 3.1.
 */
#include "io/inject.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "cursor.h"

#define TCPF_RST 0x04
#define TCPF_ACK 0x10
#define TCPF_SYN 0x02
#define TCPF_FIN 0x01

struct inject {
	int fd4, fd6;
};

struct seg {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t payload_len;
};

/* IPv4: version/IHL, TOS, total length, id, flags/fragment offset, TTL,
 * protocol, checksum, source, destination, options. */
static bool parse_ipv4(struct cursor *c, struct seg *s, struct cursor *l4)
{
	uint8_t vihl, tos, ttl, proto;
	uint16_t tot, id, frag, csum;
	size_t hlen, total = cur_left(c);

	if (!cur_u8(c, &vihl) || (vihl >> 4) != 4 || (vihl & 0x0f) < 5)
		return false;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (!cur_u8(c, &tos) || !cur_u16(c, &tot) || !cur_u16(c, &id) ||
	    !cur_u16(c, &frag) || !cur_u8(c, &ttl) || !cur_u8(c, &proto) ||
	    !cur_u16(c, &csum) || !cur_copy(c, s->src, 4) || !cur_copy(c, s->dst, 4) ||
	    !cur_skip(c, hlen - 20))
		return false;
	if (proto != IPPROTO_TCP || (frag & 0x3fff))
		return false;
	/* A total length of 0 is a GSO super-packet (BIG TCP): all of it. */
	if (tot == 0)
		tot = total > 0xffff ? 0xffff : (uint16_t)total;
	if (tot < hlen || tot > total)
		return false;
	s->family = 4;
	return cur_sub(c, l4, tot - hlen);
}

/* IPv6: fixed header, then hop-by-hop (0), routing (43) and destination
 * options (60) headers skipped; a fragment header (44) is refused. */
static bool parse_ipv6(struct cursor *c, struct seg *s, struct cursor *l4)
{
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh, hlim, ext_nh, ext_len;
	struct cursor pl;

	if (!cur_u32(c, &vtf) || (vtf >> 28) != 6 || !cur_u16(c, &plen) ||
	    !cur_u8(c, &nh) || !cur_u8(c, &hlim) || !cur_copy(c, s->src, 16) ||
	    !cur_copy(c, s->dst, 16))
		return false;
	if (!cur_sub(c, &pl, plen ? plen : cur_left(c)))
		return false;
	while (nh == 0 || nh == 43 || nh == 60) {
		if (!cur_u8(&pl, &ext_nh) || !cur_u8(&pl, &ext_len) ||
		    !cur_skip(&pl, (size_t)ext_len * 8 + 6))
			return false;
		nh = ext_nh;
	}
	if (nh != IPPROTO_TCP)
		return false;
	s->family = 6;
	*l4 = pl;
	return true;
}

/* TCP: ports, sequence, acknowledgment, data offset, flags, window,
 * checksum, urgent pointer, options, data. */
static bool parse_tcp(struct cursor *c, struct seg *s)
{
	uint8_t off;
	size_t hlen, total = cur_left(c);

	if (!cur_u16(c, &s->sport) || !cur_u16(c, &s->dport) ||
	    !cur_u32(c, &s->seq) || !cur_u32(c, &s->ack) || !cur_u8(c, &off) ||
	    !cur_u8(c, &s->flags))
		return false;
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20 || hlen > total)
		return false;
	s->payload_len = (uint32_t)(total - hlen);
	return true;
}

static bool parse(const uint8_t *pkt, size_t len, struct seg *s)
{
	struct cursor c = cur_make(pkt, len), l4;
	uint8_t v;

	memset(s, 0, sizeof(*s));
	if (!cur_peek_u8(&c, 0, &v))
		return false;
	if ((v >> 4) == 4 && !parse_ipv4(&c, s, &l4))
		return false;
	if ((v >> 4) == 6 && !parse_ipv6(&c, s, &l4))
		return false;
	if (!s->family)
		return false;
	return parse_tcp(&l4, s);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int inject_build_rst(const uint8_t *ip_packet, size_t len, int to_sender,
		     uint8_t out[static INJECT_RST_MAX])
{
	struct seg s;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack, sum, alen;
	size_t ihl;
	uint8_t *tcp;

	if (!parse(ip_packet, len, &s))
		return -EINVAL;
	if (to_sender) {
		src = s.dst; dst = s.src; sport = s.dport; dport = s.sport;
		/* Without ACK the sender has told nothing of the peer's
		 * sequence; seq 0 with a valid ack is what a closed port sends. */
		seq = (s.flags & TCPF_ACK) ? s.ack : 0;
		ack = s.seq + s.payload_len + !!(s.flags & TCPF_SYN) + !!(s.flags & TCPF_FIN);
	} else {
		src = s.src; dst = s.dst; sport = s.sport; dport = s.dport;
		seq = s.seq;
		ack = s.ack;
	}
	alen = s.family == 4 ? 4 : 16;
	ihl = s.family == 4 ? 20 : 40;
	memset(out, 0, ihl + 20);
	if (s.family == 4) {
		out[0] = 0x45;
		put16(out + 2, (uint16_t)(ihl + 20));
		put16(out + 6, 0x4000);         /* DF */
		out[8] = 64;
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		put16(out + 10, fold(sum16(0, out, 20)));
	} else {
		out[0] = 0x60;
		put16(out + 4, 20);
		out[6] = IPPROTO_TCP;
		out[7] = 64;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	tcp = out + ihl;
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = TCPF_RST | TCPF_ACK;
	sum = sum16(0, src, alen);
	sum = sum16(sum, dst, alen);
	sum += IPPROTO_TCP + 20;
	sum = sum16(sum, tcp, 20);
	put16(tcp + 16, fold(sum));
	return (int)(ihl + 20);
}

static int open_raw(int family, uint32_t mark)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		return -errno;
	/* IPPROTO_RAW implies a header included (IPv4 and IPv6). */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

struct inject *inject_open(uint32_t mark, int *err)
{
	struct inject *inj = malloc(sizeof(*inj));
	int r = -ENOMEM;

	if (!inj)
		goto fail;
	inj->fd4 = open_raw(AF_INET, mark);
	inj->fd6 = open_raw(AF_INET6, mark);
	if (inj->fd4 < 0 && inj->fd6 < 0) {
		r = inj->fd4;
		goto fail;
	}
	return inj;
fail:
	inject_close(inj);
	if (err)
		*err = r;
	return NULL;
}

void inject_close(struct inject *inj)
{
	if (!inj)
		return;
	if (inj->fd4 >= 0)
		close(inj->fd4);
	if (inj->fd6 >= 0)
		close(inj->fd6);
	free(inj);
}

static int send_one(const struct inject *inj, const uint8_t *rst, int n)
{
	ssize_t w;

	if ((rst[0] >> 4) == 4) {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		if (inj->fd4 < 0)
			return -EAFNOSUPPORT;
		memcpy(&sa.sin_addr, rst + 16, 4);
		w = sendto(inj->fd4, rst, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa));
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

		if (inj->fd6 < 0)
			return -EAFNOSUPPORT;
		memcpy(&sa.sin6_addr, rst + 24, 16);
		w = sendto(inj->fd6, rst, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EIO;
}

int inject_rst_one(struct inject *inj, const uint8_t *ip_packet, size_t len, int to_sender)
{
	uint8_t rst[INJECT_RST_MAX];
	int n = inject_build_rst(ip_packet, len, to_sender, rst);

	return n < 0 ? n : send_one(inj, rst, n);
}

int inject_rst_both(struct inject *inj, const uint8_t *ip_packet, size_t len)
{
	int r = inject_rst_one(inj, ip_packet, len, 0);

	return r < 0 ? r : inject_rst_one(inj, ip_packet, len, 1);
}
