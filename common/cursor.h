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

bool cur_skip(struct cursor *c, size_t n);
bool cur_u8(struct cursor *c, uint8_t *out);
bool cur_u16(struct cursor *c, uint16_t *out);
bool cur_u24(struct cursor *c, uint32_t *out);
bool cur_u32(struct cursor *c, uint32_t *out);
bool cur_u16_le(struct cursor *c, uint16_t *out);
bool cur_u32_le(struct cursor *c, uint32_t *out);
/* Copies n bytes to out. */
bool cur_copy(struct cursor *c, void *out, size_t n);
/* Points *out at the next n bytes (no copy) and advances past them. */
bool cur_bytes(struct cursor *c, const uint8_t **out, size_t n);
/* Splits off the next n bytes as *sub and advances past them. */
bool cur_sub(struct cursor *c, struct cursor *sub, size_t n);
/* Length-prefixed vectors (TLS "opaque x<..2^8-1>" etc.): reads the
 * 1-, 2- or 3-byte length, then splits off that many bytes as *sub. */
bool cur_vec8(struct cursor *c, struct cursor *sub);
bool cur_vec16(struct cursor *c, struct cursor *sub);
bool cur_vec24(struct cursor *c, struct cursor *sub);
/* Reads without advancing. */
bool cur_peek_u8(const struct cursor *c, size_t at, uint8_t *out);
bool cur_peek_u16(const struct cursor *c, size_t at, uint16_t *out);

#endif
