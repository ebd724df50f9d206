/*
 * checksum: Internet checksums (see checksum.h). Sums are taken with a
 * bounds-checked cursor over the decoded extent, 16 bits at a time in
 * network order, a last odd byte padded with zero (RFC 1071 section 4.1).
 */
#include "net/checksum.h"

#include <string.h>

#include "cursor.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

/*
 * The 16-bit words of [p, p + n) added to acc. The bulk is read four bytes
 * at a time into a 64-bit sum in the machine's byte order and folded: the
 * one's complement sum commutes with swapping the bytes of every word
 * (RFC 1071 section 2(B)), so on a little-endian machine the folded sum is
 * swapped once at the end. The extent is the decoder's, within the packet;
 * the last 0-3 bytes go through the cursor as before. Every byte of every
 * packet passes here: a 16-bit read per step was the engine's largest
 * single cost.
 */
static uint32_t sum_bytes(const uint8_t *p, size_t n, uint32_t acc)
{
	uint64_t wide = 0;
	uint32_t w32;
	size_t i = 0;
	struct cursor c;
	uint16_t w;
	uint8_t b;

	for (; n - i >= 4; i += 4) {
		memcpy(&w32, p + i, 4);
		wide += w32;
	}
	while (wide >> 16)
		wide = (wide & 0xffff) + (wide >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	wide = (uint16_t)((wide >> 8) | (wide << 8));
#endif
	acc += (uint32_t)wide;
	c = cur_make(p + i, n - i);
	while (cur_u16(&c, &w))
		acc += w;
	if (cur_u8(&c, &b))
		acc += (uint32_t)b << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The pseudo-header of d's packet, for an upper-layer length len. */
static uint32_t pseudo(const struct decoded *d, uint8_t proto, size_t len)
{
	size_t alen = d->family == 4 ? 4 : 16;
	uint32_t acc = 0;

	acc = sum_bytes(d->src, alen, acc);
	acc = sum_bytes(d->dst, alen, acc);
	acc += proto;
	acc += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return acc;
}

static size_t ipv4_hlen(const struct decoded *d)
{
	return (size_t)(d->l3[0] & 0x0f) * 4;
}

bool checksum_ip_ok(const struct decoded *d)
{
	if (d->family != 4 || !d->l3)
		return true;
	return fold(sum_bytes(d->l3, ipv4_hlen(d), 0)) == 0xffff;
}

/* The length of d's TCP segment or UDP datagram (header and data). */
static size_t l4_extent(const struct decoded *d)
{
	uint16_t ulen;
	struct cursor c;

	if (d->proto != PROTO_UDP)
		return d->l4_len;
	c = cur_make(d->l4, d->l4_len);
	if (!cur_skip(&c, 4) || !cur_u16(&c, &ulen) || ulen > d->l4_len)
		return d->l4_len;
	return ulen;
}

bool checksum_l4_ok(const struct decoded *d)
{
	size_t n;

	if (!d->l4 || (d->proto != PROTO_TCP && d->proto != PROTO_UDP))
		return false;
	n = l4_extent(d);
	if (d->proto == PROTO_UDP && d->family == 4 && n >= 8 && !d->l4[6] && !d->l4[7])
		return true;
	return fold(sum_bytes(d->l4, n, pseudo(d, d->proto, n))) == 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void checksum_tcp_fix(uint8_t *pkt, const uint8_t *orig, const struct decoded *d)
{
	uint8_t *l3 = pkt + (d->l3 - orig), *l4 = pkt + (d->l4 - orig);

	if (d->family == 4) {
		put16(l3 + 10, 0);
		put16(l3 + 10, (uint16_t)~fold(sum_bytes(l3, ipv4_hlen(d), 0)));
	}
	put16(l4 + 16, 0);
	put16(l4 + 16, (uint16_t)~fold(sum_bytes(l4, d->l4_len, pseudo(d, PROTO_TCP, d->l4_len))));
}
