/*
 * checksum: the TCP checksum over every length and alignment holds when
 * it was made by a plain RFC 1071 sum (16 bits at a time, in network
 * order) and fails when any one byte changes; the IPv4 header checksum
 * likewise. The word-at-a-time sum must agree with the plain one on odd
 * lengths, odd starts and sums that carry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "net/checksum.h"

#define PROTO_TCP 6

/* RFC 1071's sum, the plain way: the reference. */
static uint32_t plain_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t plain_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* A TCP segment of len bytes at seg (the checksum field at 16), between
 * two IPv4 addresses, its checksum made by the reference. */
static void make_segment(struct decoded *d, uint8_t *seg, size_t len)
{
	uint32_t acc;

	memset(d, 0, sizeof(*d));
	d->family = 4;
	d->proto = PROTO_TCP;
	memcpy(d->src, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(d->dst, (uint8_t[]){ 198, 51, 100, 254 }, 4);
	d->l4 = seg;
	d->l4_len = len;
	seg[16] = seg[17] = 0;
	acc = plain_sum(d->src, 4, 0) + plain_sum(d->dst, 4, 0) + PROTO_TCP + (uint32_t)len;
	acc = (uint16_t)~plain_fold(plain_sum(seg, len, acc));
	seg[16] = (uint8_t)(acc >> 8);
	seg[17] = (uint8_t)acc;
}

Test(checksum, tcp_every_length_and_alignment)
{
	uint8_t mem[2048 + 8];
	struct decoded d;
	size_t len, start, i;

	for (start = 0; start < 8; start++)
		for (len = 20; len <= 2048; len += (len < 80 ? 1 : 97)) {
			uint8_t *seg = mem + start;

			/* bytes that make the sums carry often */
			for (i = 0; i < len; i++)
				seg[i] = (uint8_t)(0xff - (i * 7 + start) % 23);
			make_segment(&d, seg, len);
			cr_assert(checksum_l4_ok(&d), "len %zu start %zu", len, start);
			seg[len - 1] ^= 0x01;
			cr_assert_not(checksum_l4_ok(&d), "len %zu start %zu, last byte changed",
				      len, start);
			seg[len - 1] ^= 0x01;
			seg[len / 2] ^= 0x80;
			cr_assert_not(checksum_l4_ok(&d), "len %zu start %zu, middle byte changed",
				      len, start);
		}
}

Test(checksum, all_ones_segment)
{
	uint8_t seg[1500];
	struct decoded d;

	/* the largest words everywhere: the wide sum carries at every step */
	memset(seg, 0xff, sizeof(seg));
	make_segment(&d, seg, sizeof(seg));
	cr_assert(checksum_l4_ok(&d));
}

/* RFC 791 section 3.1's header checksum, from a reference-made header. */
Test(checksum, ipv4_header)
{
	uint8_t h[24] = { 0x46, 0, 0, 24, 0x12, 0x34, 0x40, 0, 64, PROTO_TCP, 0, 0,
			  192, 0, 2, 1, 198, 51, 100, 254, 1, 1, 1, 0 };
	struct decoded d;
	uint16_t sum = (uint16_t)~plain_fold(plain_sum(h, sizeof(h), 0));

	h[10] = (uint8_t)(sum >> 8);
	h[11] = (uint8_t)sum;
	memset(&d, 0, sizeof(d));
	d.family = 4;
	d.l3 = h;
	d.l3_len = sizeof(h);
	cr_assert(checksum_ip_ok(&d));
	h[23] ^= 0x10;
	cr_assert_not(checksum_ip_ok(&d));
}
