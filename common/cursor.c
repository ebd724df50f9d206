#include "cursor.h"

#include <string.h>

bool cur_skip(struct cursor *c, size_t n)
{
	if (n > c->len)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

bool cur_u8(struct cursor *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

bool cur_u16(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

bool cur_u24(struct cursor *c, uint32_t *out)
{
	if (c->len < 3)
		return false;
	*out = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->len -= 3;
	return true;
}

bool cur_u32(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	       (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

bool cur_u16_le(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	c->len -= 2;
	return true;
}

bool cur_u32_le(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	       (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

bool cur_copy(struct cursor *c, void *out, size_t n)
{
	if (n > c->len)
		return false;
	memcpy(out, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

bool cur_bytes(struct cursor *c, const uint8_t **out, size_t n)
{
	if (n > c->len)
		return false;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return true;
}

bool cur_sub(struct cursor *c, struct cursor *sub, size_t n)
{
	if (n > c->len)
		return false;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

bool cur_vec8(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint8_t n;

	if (cur_u8(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

bool cur_vec16(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint16_t n;

	if (cur_u16(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

bool cur_vec24(struct cursor *c, struct cursor *sub)
{
	struct cursor save = *c;
	uint32_t n;

	if (cur_u24(c, &n) && cur_sub(c, sub, n))
		return true;
	*c = save;
	return false;
}

bool cur_peek_u8(const struct cursor *c, size_t at, uint8_t *out)
{
	if (at >= c->len)
		return false;
	*out = c->p[at];
	return true;
}

bool cur_peek_u16(const struct cursor *c, size_t at, uint16_t *out)
{
	if (at > c->len || c->len - at < 2)
		return false;
	*out = (uint16_t)(c->p[at] << 8 | c->p[at + 1]);
	return true;
}
