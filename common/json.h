/*
 * json: a streaming JSON writer over a struct buf.
 *
 * The writer tracks only whether a comma is due, so objects and arrays nest
 * to any depth (up to JSON_MAX_DEPTH) without allocation. Strings are escaped
 * per RFC 8259; bytes that are not valid UTF-8 are written as \u00XX of the
 * byte, so any input yields valid JSON (jq, SIEMs) and no byte is lost.
 */
#ifndef SECAUDIT_JSON_H
#define SECAUDIT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	int depth;
	bool after_key;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct buf *out);

/* Emits the separator a new value needs: none right after a key. The
 * writer's small pieces are inline: an event is a few hundred of them, and
 * a literal key's length is then known at compile time. */
static inline void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		buf_putc(j->out, ',');
	j->need_comma[j->depth] = true;
}

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
/* Writes "key": (n bytes) and leaves the writer expecting the value. Keys
 * are the program's own names, written as they are: no '"', '\\' or
 * control characters (escaping them was a twentieth of an event's cost). */
static inline void json_key_n(struct json *j, const char *key, size_t n)
{
	json_sep(j);
	j->after_key = true;
	if (!buf_reserve(j->out, n + 3))
		return;
	j->out->data[j->out->len++] = '"';
	memcpy(j->out->data + j->out->len, key, n);
	j->out->len += n;
	memcpy(j->out->data + j->out->len, "\":", 2);
	j->out->len += 2;
}
static inline void json_key(struct json *j, const char *key)
{
	json_key_n(j, key, strlen(key));
}
void json_string_n(struct json *j, const char *s, size_t n);
static inline void json_string(struct json *j, const char *s)
{
	json_string_n(j, s, strlen(s));
}
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Writes s (n bytes) as a string without escaping: only for text the
 * program itself owns or made (table names, hex, numbers, timestamps,
 * addresses) that holds no '"', '\\' or control characters. */
static inline void json_string_plain_n(struct json *j, const char *s, size_t n)
{
	json_sep(j);
	if (!buf_reserve(j->out, n + 2))
		return;
	j->out->data[j->out->len++] = '"';
	memcpy(j->out->data + j->out->len, s, n);
	j->out->len += n;
	j->out->data[j->out->len++] = '"';
}
static inline void json_string_plain(struct json *j, const char *s)
{
	json_string_plain_n(j, s, strlen(s));
}
/* Writes pre-formatted JSON text as one value (caller vouches for it). */
static inline void json_raw(struct json *j, const char *text, size_t n)
{
	json_sep(j);
	buf_put(j->out, text, n);
}

/* Shorthands: key + value. */
static inline void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

static inline void json_kv_plain(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string_plain(j, s);
}

static inline void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

static inline void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

static inline void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

/* Appends s escaped as JSON string content (no quotes) to out. */
void json_escape(struct buf *out, const char *s, size_t n);

#endif
