/*
 * crypto: CRYPTO frame reassembly. See crypto.h.
 *
 * A flat buffer indexed by stream offset with a bitmap of the bytes held:
 * the handshake bytes of one level are a few kilobytes, so this is simpler
 * and no slower than a list of ranges, and an overlap check is a compare.
 */
#include "quic/crypto.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool has(const struct quic_crypto *c, uint32_t i)
{
	return c->have[i / 8] & (1u << (i % 8));
}

static bool grow(struct quic_crypto *c, uint32_t need)
{
	uint32_t cap = c->cap ? c->cap : 2048;
	uint8_t *b, *h;

	while (cap < need)
		cap *= 2;
	if (cap > QUIC_CRYPTO_MAX)
		cap = QUIC_CRYPTO_MAX;
	b = realloc(c->buf, cap);
	if (!b)
		return false;
	c->buf = b;
	h = realloc(c->have, cap / 8);
	if (!h)
		return false;
	memset(h + c->cap / 8, 0, (cap - c->cap) / 8);
	c->have = h;
	c->cap = cap;
	return true;
}

unsigned quic_crypto_add(struct quic_crypto *c, uint64_t off, const uint8_t *data, size_t len,
			 quic_crypto_deliver_fn deliver, void *arg)
{
	unsigned res = 0;
	uint32_t i, start, end;

	if (off > QUIC_CRYPTO_MAX || len > QUIC_CRYPTO_MAX - off)
		return QUIC_CRYPTO_TOO_LONG;
	if (!len)
		return 0;
	start = (uint32_t)off;
	end = (uint32_t)(off + len);
	if (end > c->cap && !grow(c, end))
		return QUIC_CRYPTO_NOMEM;
	for (i = start; i < end; i++) {
		if (has(c, i)) {
			if (c->buf[i] != data[i - start])
				res |= QUIC_CRYPTO_DIFFERS;
			continue;
		}
		c->buf[i] = data[i - start];
		c->have[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	for (i = c->delivered; i < c->cap && has(c, i); i++)
		;
	if (i > c->delivered) {
		start = c->delivered;
		c->delivered = i;
		deliver(arg, c->buf + start, i - start);
	}
	return res;
}

bool quic_crypto_differs(const struct quic_crypto *c, uint64_t off, const uint8_t *data,
			 size_t len)
{
	uint64_t i;

	for (i = off; i < off + len && i < c->cap; i++)
		if (has(c, (uint32_t)i) && c->buf[i] != data[i - off])
			return true;
	return false;
}

void quic_crypto_free(struct quic_crypto *c)
{
	free(c->buf);
	free(c->have);
	memset(c, 0, sizeof(*c));
}
