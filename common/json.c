#include "json.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

void json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	buf_putc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	buf_putc(j->out, c);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j) { json_open(j, '{'); }
void json_object_end(struct json *j) { json_close(j, '}'); }
void json_array_begin(struct json *j) { json_open(j, '['); }
void json_array_end(struct json *j) { json_close(j, ']'); }

void json_string_n(struct json *j, const char *s, size_t n)
{
	json_sep(j);
	buf_putc(j->out, '"');
	json_escape(j->out, s, n);
	buf_putc(j->out, '"');
}

void json_int(struct json *j, int64_t v)
{
	json_sep(j);
	if (v < 0) {
		buf_putc(j->out, '-');
		buf_put_u64(j->out, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_put_u64(j->out, (uint64_t)v);
	}
}

void json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	buf_put_u64(j->out, v);
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	buf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_sep(j);
	buf_put(j->out, "null", 4);
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (need > n)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/* Whether any of the 8 bytes in x needs more than a copy: a control
 * character, '"', '\\' or a byte of a multi-byte sequence. Each test is
 * exact per byte (no borrow crosses into the next: the high bits are
 * cleared first). */
static bool word_needs_escape(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t low7 = x & ~highs;
	uint64_t control = (low7 + (0x80 - 0x20) * ones) ^ highs; /* < 0x20: high set */
	uint64_t quote = (low7 ^ ('"' * ones)) + 0x7f * ones;      /* == '"': high clear */
	uint64_t slash = (low7 ^ ('\\' * ones)) + 0x7f * ones;

	return ((x | control | ~quote | ~slash) & highs) != 0;
}

void json_escape(struct buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;

	while (i < n) {
		unsigned char c = s[i];
		uint64_t w;

		/* Most text needs no escaping: 8 bytes at a time while so. */
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!word_needs_escape(w)) {
				run += 8;
				i += 8;
				continue;
			}
		}
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		buf_put(out, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': buf_put(out, "\\\"", 2); i++; continue;
		case '\\': buf_put(out, "\\\\", 2); i++; continue;
		case '\n': buf_put(out, "\\n", 2); i++; continue;
		case '\r': buf_put(out, "\\r", 2); i++; continue;
		case '\t': buf_put(out, "\\t", 2); i++; continue;
		default: break;
		}
		k = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
		if (k) {
			buf_put(out, s + i, k);
			i += k;
			continue;
		}
		{
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_put(out, esc, sizeof(esc));
		}
		i++;
	}
	buf_put(out, s + i - run, run);
}
