/*
 * decoded4: struct decoded values for IPv4 TCP packets, for the unit tests
 * of modules that take decoded packets (flow, syntable) without decoding
 * bytes. Addresses are host-order 32-bit numbers.
 */
#ifndef SECAUDIT_TEST_DECODED4_H
#define SECAUDIT_TEST_DECODED4_H

#include <string.h>

#include "net/decode.h"

static inline struct decoded pkt4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
				  uint8_t flags, size_t payload)
{
	struct decoded d;

	memset(&d, 0, sizeof(d));
	d.family = 4;
	d.proto = 6;
	d.src[0] = (uint8_t)(src >> 24), d.src[1] = (uint8_t)(src >> 16);
	d.src[2] = (uint8_t)(src >> 8), d.src[3] = (uint8_t)src;
	d.dst[0] = (uint8_t)(dst >> 24), d.dst[1] = (uint8_t)(dst >> 16);
	d.dst[2] = (uint8_t)(dst >> 8), d.dst[3] = (uint8_t)dst;
	d.sport = sport;
	d.dport = dport;
	d.tcp_flags = flags;
	d.payload_len = payload;
	return d;
}

static inline struct decoded reverse(const struct decoded *d)
{
	struct decoded r = *d;

	memcpy(r.src, d->dst, 16);
	memcpy(r.dst, d->src, 16);
	r.sport = d->dport;
	r.dport = d->sport;
	return r;
}

#endif
