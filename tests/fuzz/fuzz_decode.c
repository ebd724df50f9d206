/*
 * fuzz_decode: decode_packet() / decode_ip() on arbitrary bytes.
 *
 * Input: the first byte selects the link type from links[] (modulo its
 * size; the last entry means decode_ip()), the rest is the packet. Besides
 * not crashing, the result must keep the contract: a TCP payload lies inside
 * the packet, counters stay within their limits, an anomaly is a decode one.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/decode.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6,
	DLT_NULL, DLT_LOOP, 101, 14, -1 /* decode_ip() */,
};

#define N_LINKS (sizeof(links) / sizeof(links[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded d;
	enum decode_result r;
	const uint8_t *pkt;
	uint8_t *copy;
	size_t len;
	int link;

	if (size < 1)
		return 0;
	link = links[data[0] % N_LINKS];
	len = size - 1;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	pkt = copy;
	if (link < 0)
		r = decode_ip(pkt, len, &d);
	else
		r = decode_packet(link, pkt, len, &d);
	FUZZ_CHECK(d.n_vlans <= DECODE_MAX_VLANS && d.tunnels <= DECODE_MAX_TUNNELS,
		   "%u VLAN tags, %u tunnels", (unsigned)d.n_vlans, (unsigned)d.tunnels);
	if (r == DECODE_TCP) {
		FUZZ_CHECK(d.proto == 6 && (d.family == 4 || d.family == 6),
			   "TCP result with protocol %u, family %u", (unsigned)d.proto,
			   (unsigned)d.family);
		FUZZ_CHECK(d.payload >= pkt && d.payload_len <= len &&
			   (size_t)(d.payload - pkt) <= len - d.payload_len,
			   "payload of %zu bytes outside the %zu-byte packet", (size_t)d.payload_len,
			   len);
	} else if (r == DECODE_ANOMALY) {
		const char *type = anomaly_type(d.anomaly);

		FUZZ_CHECK(type && !strcmp(type, "decode"), "anomaly %d of type %s",
			   (int)d.anomaly, type ? type : "(none)");
	} else {
		FUZZ_CHECK(r == DECODE_OTHER, "decode result %d", (int)r);
	}
	free(copy);
	return 0;
}
