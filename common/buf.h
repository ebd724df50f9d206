/*
 * buf: a growable byte buffer, used to build output (JSON lines, text).
 *
 * The buffer owns its memory; buf_free() releases it and accepts a zeroed
 * struct. On allocation failure the buffer is marked failed (buf->oom), later
 * appends are ignored, and the caller checks once at the end: output code
 * stays linear instead of checking every append.
 */
#ifndef SECAUDIT_BUF_H
#define SECAUDIT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void buf_free(struct buf *b);
static inline void buf_reset(struct buf *b) { b->len = 0; }
/* buf_reserve's slow path: grows the buffer to hold n more bytes. */
bool buf_grow(struct buf *b, size_t n);

/* Makes room for n more bytes; false (and b->oom) when it cannot. Inline,
 * as are the appends below: event writing appends tens of short pieces per
 * event, and a call per piece was a tenth of `secaudit read --eve`. */
static inline bool buf_reserve(struct buf *b, size_t n)
{
	if (!b->oom && n <= b->cap - b->len)
		return true;
	return buf_grow(b, n);
}

static inline void buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* strlen of a literal is folded at compile time once inlined. */
static inline void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_put_u64(struct buf *b, uint64_t v);
/* Lower-case hex of n bytes, with `sep` between bytes when sep != 0. */
void buf_put_hex(struct buf *b, const uint8_t *p, size_t n, char sep);
/* NUL-terminates without counting the NUL in len; returns data or "" on oom. */
const char *buf_cstr(struct buf *b);

#endif
