/*
 * json: escaping per RFC 8259 (control characters, quotes, backslash; valid
 * UTF-8 kept, every byte of an invalid sequence as \u00XX), separators at
 * every nesting level. Output is compared with exact strings and checked by
 * a small strict validator (RFC 8259 grammar, UTF-8 per RFC 3629).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* ---- a strict validator ---------------------------------------------- */

struct jv {
	const unsigned char *p, *end;
	int depth;
};

static bool jv_value(struct jv *v);

static void jv_ws(struct jv *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
		v->p++;
}

static bool jv_lit(struct jv *v, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n))
		return false;
	v->p += n;
	return true;
}

/* One UTF-8 sequence (RFC 3629 4): no overlongs, surrogates or > U+10FFFF. */
static bool jv_utf8(struct jv *v)
{
	unsigned c = *v->p, need, i;
	uint32_t cp;

	if (c < 0x80) {
		v->p++;
		return true;
	}
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return false;
	if ((size_t)(v->end - v->p) < need + 1)
		return false;
	for (i = 1; i <= need; i++) {
		if ((v->p[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (v->p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return false;
	v->p += need + 1;
	return true;
}

static bool jv_string(struct jv *v)
{
	if (v->p >= v->end || *v->p != '"')
		return false;
	v->p++;
	while (v->p < v->end && *v->p != '"') {
		if (*v->p < 0x20)
			return false;
		if (*v->p == '\\') {
			v->p++;
			if (v->p >= v->end)
				return false;
			if (*v->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (v->p + i >= v->end || !strchr("0123456789abcdefABCDEF", v->p[i]) ||
					    !v->p[i])
						return false;
				v->p += 5;
			} else if (strchr("\"\\/bfnrt", *v->p) && *v->p) {
				v->p++;
			} else {
				return false;
			}
			continue;
		}
		if (!jv_utf8(v))
			return false;
	}
	if (v->p >= v->end)
		return false;
	v->p++;
	return true;
}

static bool jv_number(struct jv *v)
{
	const unsigned char *s = v->p;

	if (v->p < v->end && *v->p == '-')
		v->p++;
	if (v->p >= v->end || *v->p < '0' || *v->p > '9')
		return false;
	if (*v->p == '0') {
		v->p++;
	} else {
		while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
			v->p++;
	}
	return v->p > s;
}

static bool jv_container(struct jv *v, char open, char close, bool keys)
{
	if (*v->p != open || ++v->depth > 64)
		return false;
	v->p++;
	jv_ws(v);
	if (v->p < v->end && *v->p == close) {
		v->p++;
		v->depth--;
		return true;
	}
	for (;;) {
		jv_ws(v);
		if (keys) {
			if (!jv_string(v))
				return false;
			jv_ws(v);
			if (v->p >= v->end || *v->p != ':')
				return false;
			v->p++;
		}
		if (!jv_value(v))
			return false;
		jv_ws(v);
		if (v->p >= v->end)
			return false;
		if (*v->p == close) {
			v->p++;
			v->depth--;
			return true;
		}
		if (*v->p != ',')
			return false;
		v->p++;
	}
}

static bool jv_value(struct jv *v)
{
	jv_ws(v);
	if (v->p >= v->end)
		return false;
	switch (*v->p) {
	case '{': return jv_container(v, '{', '}', true);
	case '[': return jv_container(v, '[', ']', false);
	case '"': return jv_string(v);
	case 't': return jv_lit(v, "true");
	case 'f': return jv_lit(v, "false");
	case 'n': return jv_lit(v, "null");
	default: return jv_number(v);
	}
}

/* True when [p, p + n) is exactly one valid JSON text. */
static bool json_valid(const char *p, size_t n)
{
	struct jv v = { (const unsigned char *)p, (const unsigned char *)p + n, 0 };

	if (!jv_value(&v))
		return false;
	jv_ws(&v);
	return v.p == v.end;
}

Test(json_validator, rejects_what_it_should)
{
	/* The validator itself must be able to say no, or the tests below
	 * prove nothing. */
	static const char *bad[] = {
		"", "{", "[1,]", "[,1]", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"\x01\"",
		"\"\\x\"", "\"\\u12\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\x80\"",
		"01", "[1]]", "tru", "\"abc",
	};
	static const char *good[] = {
		"{}", "[]", "[1,-2,0]", "{\"a\":[true,false,null],\"b\":{}}",
		"\"\\u0000\\n\xc3\xa9\xf0\x9f\x98\x80\"",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(json_valid(bad[i], strlen(bad[i])), "accepted: %s", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(json_valid(good[i], strlen(good[i])), "refused: %s", good[i]);
}

/* ---- escaping --------------------------------------------------------- */

static struct buf B;

static void reset(void)
{
	memset(&B, 0, sizeof(B));
}

static void done(void)
{
	buf_free(&B);
}

TestSuite(json, .init = reset, .fini = done);

/* Escapes n bytes of s and compares with want (and checks the quoted
 * result is valid JSON). */
static void esc_is(const char *s, size_t n, const char *want)
{
	struct buf q;

	buf_reset(&B);
	json_escape(&B, s, n);
	cr_assert_not(B.oom);
	cr_assert_eq(B.len, strlen(want), "escape length %zu, want %zu (%s)", B.len,
		     strlen(want), buf_cstr(&B));
	cr_assert_eq(memcmp(B.data, want, B.len), 0, "got %s want %s", buf_cstr(&B), want);

	memset(&q, 0, sizeof(q));
	buf_putc(&q, '"');
	buf_put(&q, B.data, B.len);
	buf_putc(&q, '"');
	cr_assert(json_valid(q.data, q.len), "invalid JSON: %s", buf_cstr(&q));
	buf_free(&q);
}

Test(json, plain_ascii_passes)
{
	esc_is("abc XYZ 019 ~!@#$%^&*()_+-=[]{}|;':,./<>?", 41,
	       "abc XYZ 019 ~!@#$%^&*()_+-=[]{}|;':,./<>?");
	esc_is("", 0, "");
	esc_is("\x7f", 1, "\x7f");
}

Test(json, quotes_and_backslash)
{
	esc_is("\"", 1, "\\\"");
	esc_is("\\", 1, "\\\\");
	esc_is("a\"b\\c", 5, "a\\\"b\\\\c");
	esc_is("\\\"\\\"", 4, "\\\\\\\"\\\\\\\"");
}

Test(json, control_characters)
{
	static const char *want[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
		"\\u0007", "\\u0008", "\\t", "\\n", "\\u000b", "\\u000c", "\\r", "\\u000e",
		"\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015",
		"\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c",
		"\\u001d", "\\u001e", "\\u001f",
	};
	char c;
	int i;

	for (i = 0; i < 32; i++) {
		c = (char)i;
		esc_is(&c, 1, want[i]);
	}
	/* An embedded NUL does not end the string. */
	esc_is("a\0b", 3, "a\\u0000b");
	esc_is("x\r\ny", 4, "x\\r\\ny");
}

Test(json, valid_utf8_passes_through)
{
	esc_is("\xc3\xa9", 2, "\xc3\xa9");                 /* U+00E9 */
	esc_is("\xc2\x80", 2, "\xc2\x80");                 /* U+0080, smallest 2-byte */
	esc_is("\xdf\xbf", 2, "\xdf\xbf");                 /* U+07FF */
	esc_is("\xe0\xa0\x80", 3, "\xe0\xa0\x80");         /* U+0800, smallest 3-byte */
	esc_is("\xe2\x82\xac", 3, "\xe2\x82\xac");         /* U+20AC */
	esc_is("\xed\x9f\xbf", 3, "\xed\x9f\xbf");         /* U+D7FF, below surrogates */
	esc_is("\xee\x80\x80", 3, "\xee\x80\x80");         /* U+E000, above surrogates */
	esc_is("\xef\xbf\xbf", 3, "\xef\xbf\xbf");         /* U+FFFF */
	esc_is("\xf0\x90\x80\x80", 4, "\xf0\x90\x80\x80"); /* U+10000 */
	esc_is("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"); /* U+1F600 */
	esc_is("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	esc_is("a\xc3\xa9\"\xe2\x82\xac", 7, "a\xc3\xa9\\\"\xe2\x82\xac");
}

/* Text is scanned 8 bytes at a time while nothing in it needs escaping:
 * every byte that does is found at every place in such a word, and next
 * to the bytes either side of its value ('!' and '#' beside '"', '[' and
 * ']' beside '\\', 0x1f and ' ' at the control characters' end). */
Test(json, each_byte_found_at_every_place_in_a_word)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "\"", "\\\"" }, { "\\", "\\\\" }, { "\n", "\\n" }, { "\x01", "\\u0001" },
		{ "\x1f", "\\u001f" }, { "\x80", "\\u0080" }, { "\xff", "\\u00ff" },
		{ "\xc3\xa9", "\xc3\xa9" }, { "!", "!" }, { "#", "#" }, { "[", "[" },
		{ "]", "]" }, { " ", " " }, { "\x7f", "\x7f" }, { "\xa2", "\\u00a2" },
		{ "\xdc", "\\u00dc" },
	};
	char in[64], want[64];
	size_t k, at, len = 20;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		for (at = 0; at < len; at++) {
			size_t n = strlen(cases[k].in);

			memset(in, 'a', at);
			memcpy(in + at, cases[k].in, n);
			memset(in + at + n, 'z', len - at);
			memset(want, 'a', at);
			snprintf(want + at, sizeof(want) - at, "%s%.*s", cases[k].out,
				 (int)(len - at), "zzzzzzzzzzzzzzzzzzzz");
			esc_is(in, len + n, want);
		}
}

Test(json, invalid_utf8_escaped_bytewise)
{
	/* Lone continuation and invalid lead bytes. */
	esc_is("\x80", 1, "\\u0080");
	esc_is("\xbf", 1, "\\u00bf");
	esc_is("\xff\xfe", 2, "\\u00ff\\u00fe");
	esc_is("\xf5\x80\x80\x80", 4, "\\u00f5\\u0080\\u0080\\u0080");
	/* Overlong forms of '/' and NUL. */
	esc_is("\xc0\xaf", 2, "\\u00c0\\u00af");
	esc_is("\xc1\xbf", 2, "\\u00c1\\u00bf");
	esc_is("\xc0\x80", 2, "\\u00c0\\u0080");
	esc_is("\xe0\x80\xaf", 3, "\\u00e0\\u0080\\u00af");
	esc_is("\xe0\x9f\xbf", 3, "\\u00e0\\u009f\\u00bf");
	esc_is("\xf0\x80\x80\xaf", 4, "\\u00f0\\u0080\\u0080\\u00af");
	esc_is("\xf0\x8f\xbf\xbf", 4, "\\u00f0\\u008f\\u00bf\\u00bf");
	/* UTF-16 surrogates encoded in UTF-8 (CESU). */
	esc_is("\xed\xa0\x80", 3, "\\u00ed\\u00a0\\u0080");
	esc_is("\xed\xbf\xbf", 3, "\\u00ed\\u00bf\\u00bf");
	/* Past U+10FFFF. */
	esc_is("\xf4\x90\x80\x80", 4, "\\u00f4\\u0090\\u0080\\u0080");
	/* Truncated sequences, at the end and before ASCII. */
	esc_is("\xe2\x82", 2, "\\u00e2\\u0082");
	esc_is("\xe2\x82z", 3, "\\u00e2\\u0082z");
	esc_is("\xf0\x9f\x98", 3, "\\u00f0\\u009f\\u0098");
	esc_is("\xc3", 1, "\\u00c3");
	/* A bad byte between good characters spoils only itself. */
	esc_is("\xc3\xa9\x80\xc3\xa9", 5, "\xc3\xa9\\u0080\xc3\xa9");
	/* A lead byte followed by a new lead byte. */
	esc_is("\xc3\xc3\xa9", 3, "\\u00c3\xc3\xa9");
}

Test(json, every_byte_pair_gives_valid_json)
{
	char s[2];
	int a, b;

	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b += 7) {
			struct buf q;

			s[0] = (char)a;
			s[1] = (char)b;
			memset(&q, 0, sizeof(q));
			buf_putc(&q, '"');
			json_escape(&q, s, 2);
			buf_putc(&q, '"');
			cr_assert(json_valid(q.data, q.len), "bytes %02x %02x: %s", a, b,
				  buf_cstr(&q));
			buf_free(&q);
		}
	}
}

/* ---- the writer ------------------------------------------------------- */

static void is(const char *want)
{
	cr_assert_not(B.oom);
	cr_assert_str_eq(buf_cstr(&B), want);
	cr_assert(json_valid(B.data, B.len), "invalid JSON: %s", buf_cstr(&B));
}

Test(json, empty_containers)
{
	struct json j;

	json_init(&j, &B);
	json_object_begin(&j);
	json_key(&j, "a");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "o");
	json_object_begin(&j);
	json_object_end(&j);
	json_object_end(&j);
	is("{\"a\":[],\"o\":{}}");
}

Test(json, scalars_and_commas)
{
	struct json j;

	json_init(&j, &B);
	json_object_begin(&j);
	json_kv_str(&j, "s", "x");
	json_kv_int(&j, "i", -42);
	json_kv_int(&j, "min", INT64_MIN);
	json_kv_int(&j, "max", INT64_MAX);
	json_kv_uint(&j, "u", UINT64_MAX);
	json_kv_uint(&j, "z", 0);
	json_kv_bool(&j, "t", true);
	json_kv_bool(&j, "f", false);
	json_key(&j, "n");
	json_null(&j);
	json_key(&j, "r");
	json_raw(&j, "[1,2]", 5);
	json_object_end(&j);
	is("{\"s\":\"x\",\"i\":-42,\"min\":-9223372036854775808,"
	   "\"max\":9223372036854775807,\"u\":18446744073709551615,\"z\":0,"
	   "\"t\":true,\"f\":false,\"n\":null,\"r\":[1,2]}");
}

Test(json, arrays_of_everything)
{
	struct json j;

	json_init(&j, &B);
	json_array_begin(&j);
	json_int(&j, 1);
	json_string(&j, "two");
	json_array_begin(&j);
	json_array_end(&j);
	json_object_begin(&j);
	json_kv_int(&j, "k", 3);
	json_object_end(&j);
	json_bool(&j, false);
	json_null(&j);
	json_uint(&j, 7);
	json_array_end(&j);
	is("[1,\"two\",[],{\"k\":3},false,null,7]");
}

/* Keys are the program's own names, written as given (json.h); values
 * are escaped. */
Test(json, strings_escaped_keys_as_given)
{
	struct json j;

	json_init(&j, &B);
	json_object_begin(&j);
	json_kv_str(&j, "we_ird", "va\\l\x01");
	json_key(&j, "bin");
	json_string_n(&j, "\0\xff", 2);
	json_object_end(&j);
	is("{\"we_ird\":\"va\\\\l\\u0001\",\"bin\":\"\\u0000\\u00ff\"}");
}

Test(json, commas_restart_at_each_level)
{
	struct json j;

	json_init(&j, &B);
	json_object_begin(&j);
	json_key(&j, "a");
	json_object_begin(&j);
	json_kv_int(&j, "x", 1);
	json_kv_int(&j, "y", 2);
	json_object_end(&j);
	json_key(&j, "b");
	json_array_begin(&j);
	json_array_begin(&j);
	json_int(&j, 1);
	json_int(&j, 2);
	json_array_end(&j);
	json_array_begin(&j);
	json_int(&j, 3);
	json_array_end(&j);
	json_array_end(&j);
	json_kv_int(&j, "c", 4);
	json_object_end(&j);
	is("{\"a\":{\"x\":1,\"y\":2},\"b\":[[1,2],[3]],\"c\":4}");
}

Test(json, nesting_to_the_documented_depth)
{
	/* JSON_MAX_DEPTH - 1 levels inside one another, each with a value
	 * before and after its child: every comma must be right. */
	char want[1024];
	size_t w = 0;
	struct json j;
	int d, levels = JSON_MAX_DEPTH - 1;

	json_init(&j, &B);
	for (d = 0; d < levels; d++) {
		json_array_begin(&j);
		json_int(&j, d);
		w += (size_t)snprintf(want + w, sizeof(want) - w, d ? ",[%d" : "[%d", d);
	}
	for (d = levels - 1; d >= 0; d--) {
		json_array_end(&j);
		/* The outermost array has no value after it. */
		if (d)
			json_int(&j, d);
		w += (size_t)snprintf(want + w, sizeof(want) - w, d ? "],%d" : "]", d);
	}
	is(want);
}

Test(json, two_documents_after_init)
{
	struct json j;

	json_init(&j, &B);
	json_object_begin(&j);
	json_kv_int(&j, "a", 1);
	json_object_end(&j);
	buf_putc(&B, '\n');
	json_init(&j, &B);
	json_object_begin(&j);
	json_kv_int(&j, "b", 2);
	json_object_end(&j);
	cr_assert_str_eq(buf_cstr(&B), "{\"a\":1}\n{\"b\":2}");
}

/* Numbers as printf writes them: every length, each digit pair, the ends. */
Test(buf, u64_as_printf)
{
	struct buf b = { 0 };
	char want[32];
	uint64_t v = 0, x = 0x9e3779b97f4a7c15ull;
	unsigned i;

	for (i = 0; i < 5000; i++) {
		if (i < 1000)
			v = i;
		else if (i < 1100)
			v = i == 1099 ? UINT64_MAX : (v ? v * 10 + 9 : 1);
		else
			v = (x = x * 6364136223846793005ull + 1442695040888963407ull) >> (i % 64);
		buf_reset(&b);
		buf_put_u64(&b, v);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		cr_assert_eq(b.len, strlen(want), "%s", want);
		cr_assert(!memcmp(b.data, want, b.len), "%s", want);
	}
	buf_free(&b);
}
