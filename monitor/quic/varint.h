/*
 * varint: QUIC's variable-length integers (RFC 9000 16), read through a
 * cursor. IETF QUIC frames and Q050's CRYPTO frames both use them.
 */
#ifndef SECAUDIT_QUIC_VARINT_H
#define SECAUDIT_QUIC_VARINT_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

/* The two high bits of the first byte give the length: 1, 2, 4 or 8
 * bytes. False (nothing consumed) when fewer bytes remain. */
static inline bool quic_varint(struct cursor *c, uint64_t *v)
{
	uint8_t b;
	unsigned n, i;

	if (!cur_peek_u8(c, 0, &b))
		return false;
	n = 1u << (b >> 6);
	if (cur_left(c) < n)
		return false;
	cur_u8(c, &b);
	*v = b & 0x3f;
	for (i = 1; i < n; i++) {
		cur_u8(c, &b);
		*v = *v << 8 | b;
	}
	return true;
}

#endif
