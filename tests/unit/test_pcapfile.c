/*
 * pcapfile: the classic pcap header in both byte orders and both
 * timestamp units, version 2 only, nothing else taken; a record is a
 * packet when whole, MORE (with the bytes it needs) when cut, OTHER when
 * longer than the snapshot; nanoseconds are cut to microseconds.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "io/pcapfile.h"

static size_t put32(uint8_t *b, bool be, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
	return 4;
}

static size_t put16(uint8_t *b, bool be, uint16_t v)
{
	b[be ? 0 : 1] = (uint8_t)(v >> 8);
	b[be ? 1 : 0] = (uint8_t)v;
	return 2;
}

static size_t header(uint8_t *b, bool be, uint32_t magic, uint16_t major)
{
	size_t n = 0;

	n += put32(b + n, be, magic);
	n += put16(b + n, be, major);
	n += put16(b + n, be, 4);
	n += put32(b + n, be, 0);
	n += put32(b + n, be, 0);
	n += put32(b + n, be, 65535);
	n += put32(b + n, be, 1);
	return n;
}

static size_t record(uint8_t *b, bool be, uint32_t sec, uint32_t frac, uint32_t caplen)
{
	size_t n = 0;

	n += put32(b + n, be, sec);
	n += put32(b + n, be, frac);
	n += put32(b + n, be, caplen);
	n += put32(b + n, be, caplen + 10);
	memset(b + n, 0xab, caplen);
	return n + caplen;
}

Test(pcapfile, headers_in_both_orders_and_units)
{
	uint8_t b[PCAPFILE_HEADER_LEN];
	struct pcapfile pf;

	header(b, false, 0xa1b2c3d4, 2);
	cr_assert(pcapfile_header(b, sizeof(b), &pf));
	cr_assert(!pf.big_endian && !pf.nano);
	header(b, true, 0xa1b23c4d, 2);
	cr_assert(pcapfile_header(b, sizeof(b), &pf));
	cr_assert(pf.big_endian && pf.nano);
	header(b, false, 0xa1b2c3d4, 1);
	cr_assert(!pcapfile_header(b, sizeof(b), &pf), "only version 2");
	header(b, false, 0xa1b2cd34, 2);
	cr_assert(!pcapfile_header(b, sizeof(b), &pf), "the modified format is libpcap's");
	header(b, false, 0x0a0d0d0a, 2);
	cr_assert(!pcapfile_header(b, sizeof(b), &pf), "pcapng is libpcap's");
	header(b, false, 0xa1b2c3d4, 2);
	cr_assert(!pcapfile_header(b, sizeof(b) - 1, &pf), "short");
}

Test(pcapfile, records_whole_cut_and_too_long)
{
	uint8_t b[256];
	struct pcapfile pf = { .big_endian = true, .nano = false, .snaplen = 100 };
	struct pcapfile_packet pk;
	size_t n = record(b, true, 7, 123456, 60);

	cr_assert_eq(pcapfile_next(&pf, b, n, &pk), PCAPFILE_PACKET);
	cr_assert_eq(pk.caplen, 60);
	cr_assert_eq(pk.data, b + PCAPFILE_RECORD_HEADER_LEN);
	cr_assert_eq(pk.size, n);
	cr_assert_eq(pk.ts_us, 7123456ull);
	cr_assert_eq(pcapfile_next(&pf, b, n - 1, &pk), PCAPFILE_MORE);
	cr_assert_eq(pk.size, n, "the bytes the record needs");
	cr_assert_eq(pcapfile_next(&pf, b, 15, &pk), PCAPFILE_MORE);
	cr_assert_eq(pk.size, PCAPFILE_RECORD_HEADER_LEN);
	cr_assert_eq(pcapfile_next(&pf, b, 0, &pk), PCAPFILE_MORE);
	n = record(b, true, 1, 0, 101);
	cr_assert_eq(pcapfile_next(&pf, b, n, &pk), PCAPFILE_OTHER, "longer than the snapshot");
}

Test(pcapfile, nanoseconds_cut_to_microseconds)
{
	uint8_t b[64];
	struct pcapfile pf = { .big_endian = false, .nano = true, .snaplen = 65535 };
	struct pcapfile_packet pk;
	size_t n = record(b, false, 2, 999999999, 0);

	cr_assert_eq(pcapfile_next(&pf, b, n, &pk), PCAPFILE_PACKET);
	cr_assert_eq(pk.ts_us, 2999999ull);
	cr_assert_eq(pk.caplen, 0);
}
