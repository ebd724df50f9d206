/*
 * cursor: the only way untrusted bytes are read.
 *
 * A cursor is a window [p, p + len) over memory it does not own. Every getter
 * checks `need <= remaining` first; on short input it returns false, leaves
 * the cursor where it was and writes nothing to *out. Multi-byte integers are
 * big-endian (network order) unless the name says _le.
 *
 * Lifetime: a cursor (and any sub-cursor taken from it) is valid only while
 * the memory it was made over is.
 */
#ifndef SECAUDIT_CURSOR_H
#define SECAUDIT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

static inline struct cursor cur_make(const uint8_t *p, size_t len)
{
	struct cursor c = { p, len };
	return c;
}

static inline size_t cur_left(const struct cursor *c) { return c->len; }
static inline const uint8_t *cur_ptr(const struct cursor *c) { return c->p; }


/* The getters are inline: the decoder calls a dozen per packet.
 * cur_copy: copies n bytes to out. cur_bytes: points *out at the next n
 * bytes (no copy). cur_sub: splits off the next n bytes as *sub.
 * cur_vec8/16/24: length-prefixed vectors (TLS "opaque x<0..2^8-1>" etc.):
 * reads the 1-, 2- or 3-byte length, then splits off that many bytes.
 * cur_peek_*: read without advancing. */
static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (n > c->len)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_u8(struct cursor *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

static inline bool cur_u16(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_u24(struct cursor *c, uint32_t *out)
{
	if (c->len < 3)
		return false;
	*out = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->len -= 3;
	return true;
}

static inline bool cur_u32(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	       (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_u16_le(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_u32_le(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	       (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_copy(struct cursor *c, void *out, size_t n)
{
	if (n > c->len)
		return false;
	memcpy(out, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_bytes(struct cursor *c, const uint8_t **out, size_t n)
{
	if (n > c->len)
		return false;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_sub(struct cursor *c, struct cursor *sub, size_t n)
{
	if (n > c->len)
		return false;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_vec8(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint8_t n;

	if (cur_u8(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

static inline bool cur_vec16(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint16_t n;

	if (cur_u16(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

static inline bool cur_vec24(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint32_t n;

	if (cur_u24(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

static inline bool cur_peek_u8(const struct cursor *c, size_t at, uint8_t *out)
{
	if (at >= c->len)
		return false;
	*out = c->p[at];
	return true;
}

static inline bool cur_peek_u16(const struct cursor *c, size_t at, uint16_t *out)
{
	if (at > c->len || c->len - at < 2)
		return false;
	*out = (uint16_t)(c->p[at] << 8 | c->p[at + 1]);
	return true;
}

#endif
