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

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void buf_free(struct buf *b);
static inline void buf_reset(struct buf *b) { b->len = 0; }
/* Makes room for n more bytes; false (and b->oom) when it cannot. */
bool buf_reserve(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_put_u64(struct buf *b, uint64_t v);
/* Lower-case hex of n bytes, with `sep` between bytes when sep != 0. */
void buf_put_hex(struct buf *b, const uint8_t *p, size_t n, char sep);
/* NUL-terminates without counting the NUL in len; returns data or "" on oom. */
const char *buf_cstr(struct buf *b);

#endif
