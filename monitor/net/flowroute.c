/*
 * flowroute: a flow's part of a split reading. See flowroute.h.
 */
#include "net/flowroute.h"

#include <stdbool.h>
#include <string.h>

/* Every worker hashes every packet: the three words of a side are
 * multiplied independently (a chain of dependent mixing steps was most of
 * the hash's time), then one step mixes the sum into the low bits that
 * pick a part. */
static uint64_t side_hash(uint64_t lo, uint64_t hi, uint16_t port)
{
	return lo * 0x9e3779b97f4a7c15ull ^ hi * 0xc2b2ae3d27d4eb4full ^
	       (uint64_t)(port + 1) * 0x165667b19e3779f9ull;
}

static uint64_t finish(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xff51afd7ed558ccdull;
	return x ^ x >> 29;
}

static uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

uint64_t flowroute_flow(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			uint16_t port_b, uint8_t proto)
{
	/* the sum: the same whichever side comes first */
	return finish(side_hash(word(a), word(a + 8), port_a) +
		      side_hash(word(b), word(b + 8), port_b) + proto);
}

uint64_t flowroute_server(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			  uint16_t port_b, uint8_t proto)
{
	uint64_t a_lo = word(a), a_hi = word(a + 8), b_lo = word(b), b_hi = word(b + 8), pick;
	bool b_serves;

	/* Which side serves flips with each packet's direction: it is picked
	 * with a mask, not a branch (mispredicted half the time). */
	b_serves = port_a != port_b ? port_b < port_a :
		   a_lo != b_lo ? b_lo < a_lo : b_hi < a_hi;
	pick = -(uint64_t)b_serves;
	return finish(side_hash(a_lo ^ ((a_lo ^ b_lo) & pick), a_hi ^ ((a_hi ^ b_hi) & pick),
				(uint16_t)(port_a ^ ((port_a ^ port_b) & pick))) + proto);
}
