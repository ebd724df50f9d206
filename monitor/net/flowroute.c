/*
 * flowroute: a flow's part of a split reading. See flowroute.h.
 */
#include "net/flowroute.h"

#include <stdbool.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* One side of a flow, a word at a time (the reader hashes every packet). */
static uint64_t side_hash(const uint8_t addr[static 16], uint16_t port)
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return mix(a ^ mix(b ^ port));
}

uint64_t flowroute_flow(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			uint16_t port_b, uint8_t proto)
{
	/* the sum: the same whichever side comes first */
	return mix(side_hash(a, port_a) + side_hash(b, port_b) + proto);
}

uint64_t flowroute_server(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			  uint16_t port_b, uint8_t proto)
{
	bool a_serves = port_a != port_b ? port_a < port_b : memcmp(a, b, 16) <= 0;

	return a_serves ? mix(side_hash(a, port_a) + proto) : mix(side_hash(b, port_b) + proto);
}
