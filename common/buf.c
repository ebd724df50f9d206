#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

bool buf_grow(struct buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (n > SIZE_MAX / 2 - b->len)
		goto fail;
	want = b->len + n;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return true;
fail:
	b->oom = true;
	return false;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* "00" "01" ... "99": numbers are written two digits a division (an
 * alert has a dozen, a flow id sixteen digits). */
#define D10(t) t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" t "8" t "9"
static const char digit_pairs[] = D10("0") D10("1") D10("2") D10("3") D10("4")
				  D10("5") D10("6") D10("7") D10("8") D10("9");
#undef D10

void buf_put_u64(struct buf *b, uint64_t v)
{
	char tmp[20];               /* UINT64_MAX has 20 digits */
	size_t i = sizeof(tmp);

	while (v >= 100) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * v, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	/* a few bytes: copied here, not by a call to memcpy of a variable size */
	if (!buf_reserve(b, sizeof(tmp) - i))
		return;
	while (i < sizeof(tmp))
		b->data[b->len++] = tmp[i++];
}

void buf_put_hex(struct buf *b, const uint8_t *p, size_t n, char sep)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (n == 0 || !buf_reserve(b, n * 3))
		return;
	for (i = 0; i < n; i++) {
		if (sep && i)
			b->data[b->len++] = sep;
		b->data[b->len++] = hex[p[i] >> 4];
		b->data[b->len++] = hex[p[i] & 15];
	}
}

const char *buf_cstr(struct buf *b)
{
	if (!buf_reserve(b, 1))
		return "";
	b->data[b->len] = '\0';
	return b->data;
}
