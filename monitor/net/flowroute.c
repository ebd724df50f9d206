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

/* One side of a flow: its address's two words and its port (every
 * worker hashes every packet). */
static uint64_t words_hash(uint64_t lo, uint64_t hi, uint16_t port)
{
	return mix(lo ^ mix(hi ^ port));
}

static uint64_t side_hash(const uint8_t addr[static 16], uint16_t port)
{
	uint64_t lo, hi;

	memcpy(&lo, addr, 8);
	memcpy(&hi, addr + 8, 8);
	return words_hash(lo, hi, port);
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
	uint64_t a_lo, a_hi, b_lo, b_hi, pick;
	bool b_serves;

	memcpy(&a_lo, a, 8);
	memcpy(&a_hi, a + 8, 8);
	memcpy(&b_lo, b, 8);
	memcpy(&b_hi, b + 8, 8);
	/* Which side serves flips with each packet's direction: it is picked
	 * with a mask, not a branch (mispredicted half the time, the branch
	 * cost as much as the hash). */
	b_serves = port_a != port_b ? port_b < port_a : memcmp(a, b, 16) > 0;
	pick = -(uint64_t)b_serves;
	return mix(words_hash(a_lo ^ ((a_lo ^ b_lo) & pick), a_hi ^ ((a_hi ^ b_hi) & pick),
			      (uint16_t)(port_a ^ ((port_a ^ port_b) & pick))) + proto);
}
