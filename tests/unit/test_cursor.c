/*
 * cursor: every getter at exact and short lengths. A getter that fails must
 * leave the cursor where it was and write nothing to its output.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cursor.h"

static const uint8_t B[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

/* The cursor still covers exactly [p, p + len). */
static void same(const struct cursor *c, const uint8_t *p, size_t len)
{
	cr_assert_eq(cur_ptr(c), p);
	cr_assert_eq(cur_left(c), len);
}

Test(cursor, make_and_left)
{
	struct cursor c = cur_make(B, sizeof(B));

	same(&c, B, 8);
	c = cur_make(NULL, 0);
	cr_assert_eq(cur_left(&c), 0);
}

Test(cursor, u8)
{
	struct cursor c = cur_make(B, 1);
	uint8_t v = 0xee;

	cr_assert(cur_u8(&c, &v));
	cr_assert_eq(v, 0x01);
	same(&c, B + 1, 0);
	v = 0xee;
	cr_assert_not(cur_u8(&c, &v));
	cr_assert_eq(v, 0xee);
	same(&c, B + 1, 0);
}

Test(cursor, u16)
{
	struct cursor c = cur_make(B, 2);
	uint16_t v = 0xeeee;

	cr_assert(cur_u16(&c, &v));
	cr_assert_eq(v, 0x0102);
	same(&c, B + 2, 0);
	c = cur_make(B, 1);
	v = 0xeeee;
	cr_assert_not(cur_u16(&c, &v));
	cr_assert_eq(v, 0xeeee);
	same(&c, B, 1);
}

Test(cursor, u24)
{
	struct cursor c = cur_make(B, 3);
	uint32_t v = 0xeeeeeeee;

	cr_assert(cur_u24(&c, &v));
	cr_assert_eq(v, 0x010203);
	same(&c, B + 3, 0);
	c = cur_make(B, 2);
	v = 0xeeeeeeee;
	cr_assert_not(cur_u24(&c, &v));
	cr_assert_eq(v, 0xeeeeeeee);
	same(&c, B, 2);
}

Test(cursor, u32)
{
	static const uint8_t hi[] = { 0xff, 0xfe, 0xfd, 0xfc };
	struct cursor c = cur_make(B, 4);
	uint32_t v = 0xeeeeeeee;

	cr_assert(cur_u32(&c, &v));
	cr_assert_eq(v, 0x01020304);
	same(&c, B + 4, 0);
	c = cur_make(hi, 4);
	cr_assert(cur_u32(&c, &v));
	cr_assert_eq(v, 0xfffefdfc, "high bit must not sign-extend: %x", v);
	c = cur_make(B, 3);
	v = 0xeeeeeeee;
	cr_assert_not(cur_u32(&c, &v));
	cr_assert_eq(v, 0xeeeeeeee);
	same(&c, B, 3);
}

Test(cursor, little_endian)
{
	struct cursor c = cur_make(B, 6);
	uint16_t a = 0;
	uint32_t b = 0;

	cr_assert(cur_u16_le(&c, &a));
	cr_assert_eq(a, 0x0201);
	cr_assert(cur_u32_le(&c, &b));
	cr_assert_eq(b, 0x06050403);
	same(&c, B + 6, 0);

	c = cur_make(B, 1);
	a = 0xeeee;
	cr_assert_not(cur_u16_le(&c, &a));
	cr_assert_eq(a, 0xeeee);
	same(&c, B, 1);
	c = cur_make(B, 3);
	b = 0xeeeeeeee;
	cr_assert_not(cur_u32_le(&c, &b));
	cr_assert_eq(b, 0xeeeeeeee);
	same(&c, B, 3);
}

Test(cursor, skip)
{
	struct cursor c = cur_make(B, 8);

	cr_assert(cur_skip(&c, 0));
	same(&c, B, 8);
	cr_assert(cur_skip(&c, 3));
	same(&c, B + 3, 5);
	cr_assert_not(cur_skip(&c, 6));
	same(&c, B + 3, 5);
	cr_assert_not(cur_skip(&c, SIZE_MAX));
	same(&c, B + 3, 5);
	cr_assert(cur_skip(&c, 5));
	same(&c, B + 8, 0);
}

Test(cursor, copy)
{
	struct cursor c = cur_make(B, 4);
	uint8_t out[8];

	memset(out, 0xee, sizeof(out));
	cr_assert_not(cur_copy(&c, out, 5));
	for (size_t i = 0; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xee, "byte %zu written on failure", i);
	same(&c, B, 4);
	cr_assert(cur_copy(&c, out, 4));
	cr_assert_eq(memcmp(out, B, 4), 0);
	cr_assert_eq(out[4], 0xee);
	same(&c, B + 4, 0);
	cr_assert(cur_copy(&c, out, 0));
}

Test(cursor, bytes)
{
	struct cursor c = cur_make(B, 4);
	const uint8_t *p = NULL;

	cr_assert_not(cur_bytes(&c, &p, 5));
	cr_assert_null(p);
	same(&c, B, 4);
	cr_assert(cur_bytes(&c, &p, 4));
	cr_assert_eq(p, B);
	same(&c, B + 4, 0);
}

Test(cursor, sub)
{
	struct cursor c = cur_make(B, 8), s = { NULL, 77 };

	cr_assert_not(cur_sub(&c, &s, 9));
	cr_assert_null(s.p);
	cr_assert_eq(s.len, 77);
	same(&c, B, 8);
	cr_assert(cur_sub(&c, &s, 3));
	same(&s, B, 3);
	same(&c, B + 3, 5);
	cr_assert(cur_sub(&c, &s, 5));
	same(&s, B + 3, 5);
	same(&c, B + 8, 0);
	cr_assert(cur_sub(&c, &s, 0));
	same(&s, B + 8, 0);
}

Test(cursor, vec8)
{
	static const uint8_t ok[] = { 2, 0xaa, 0xbb, 0xcc };
	static const uint8_t lie[] = { 4, 0xaa, 0xbb, 0xcc };
	static const uint8_t empty[] = { 0 };
	struct cursor c = cur_make(ok, sizeof(ok)), s = { NULL, 77 };

	cr_assert(cur_vec8(&c, &s));
	same(&s, ok + 1, 2);
	same(&c, ok + 3, 1);

	c = cur_make(lie, sizeof(lie));
	s.p = NULL;
	s.len = 77;
	cr_assert_not(cur_vec8(&c, &s), "length 4 with 3 bytes left");
	same(&c, lie, sizeof(lie));
	cr_assert_null(s.p);
	cr_assert_eq(s.len, 77);

	c = cur_make(empty, 1);
	cr_assert(cur_vec8(&c, &s));
	cr_assert_eq(cur_left(&s), 0);
	same(&c, empty + 1, 0);

	c = cur_make(empty, 0);
	cr_assert_not(cur_vec8(&c, &s), "no length byte");
	same(&c, empty, 0);
}

Test(cursor, vec16)
{
	static const uint8_t ok[] = { 0, 3, 0xaa, 0xbb, 0xcc };
	static const uint8_t lie[] = { 1, 3, 0xaa, 0xbb, 0xcc };
	static const uint8_t half_len[] = { 0 };
	struct cursor c = cur_make(ok, sizeof(ok)), s = { NULL, 77 };

	cr_assert(cur_vec16(&c, &s));
	same(&s, ok + 2, 3);
	same(&c, ok + 5, 0);

	c = cur_make(ok, 4);
	cr_assert_not(cur_vec16(&c, &s), "one byte short");
	same(&c, ok, 4);

	c = cur_make(lie, sizeof(lie));
	s.p = NULL;
	s.len = 77;
	cr_assert_not(cur_vec16(&c, &s), "length 259 with 3 bytes left");
	same(&c, lie, sizeof(lie));
	cr_assert_null(s.p);
	cr_assert_eq(s.len, 77);

	c = cur_make(half_len, 1);
	cr_assert_not(cur_vec16(&c, &s));
	same(&c, half_len, 1);
}

Test(cursor, vec24)
{
	static const uint8_t ok[] = { 0, 0, 2, 0xaa, 0xbb, 0xcc };
	static const uint8_t lie[] = { 0x80, 0, 2, 0xaa, 0xbb };
	struct cursor c = cur_make(ok, sizeof(ok)), s = { NULL, 77 };

	cr_assert(cur_vec24(&c, &s));
	same(&s, ok + 3, 2);
	same(&c, ok + 5, 1);

	c = cur_make(lie, sizeof(lie));
	s.p = NULL;
	s.len = 77;
	cr_assert_not(cur_vec24(&c, &s), "length 2^23 + 2 with 2 bytes left");
	same(&c, lie, sizeof(lie));
	cr_assert_null(s.p);
	cr_assert_eq(s.len, 77);

	c = cur_make(ok, 2);
	cr_assert_not(cur_vec24(&c, &s), "length cut");
	same(&c, ok, 2);
}

Test(cursor, nested_vectors_stay_inside)
{
	/* An inner length that fits the outer buffer but not the outer
	 * vector must fail: the sub-cursor is the bound, not the memory. */
	static const uint8_t m[] = { 0, 3, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd };
	struct cursor c = cur_make(m, sizeof(m)), outer, inner;

	cr_assert(cur_vec16(&c, &outer));
	cr_assert_eq(cur_left(&outer), 3);
	cr_assert_not(cur_vec16(&outer, &inner));
	cr_assert_eq(cur_left(&outer), 3);
}

Test(cursor, peek)
{
	struct cursor c = cur_make(B, 4);
	uint8_t a = 0xee;
	uint16_t b = 0xeeee;

	cr_assert(cur_peek_u8(&c, 0, &a));
	cr_assert_eq(a, 1);
	cr_assert(cur_peek_u8(&c, 3, &a));
	cr_assert_eq(a, 4);
	a = 0xee;
	cr_assert_not(cur_peek_u8(&c, 4, &a));
	cr_assert_not(cur_peek_u8(&c, SIZE_MAX, &a));
	cr_assert_eq(a, 0xee);

	cr_assert(cur_peek_u16(&c, 2, &b));
	cr_assert_eq(b, 0x0304);
	b = 0xeeee;
	cr_assert_not(cur_peek_u16(&c, 3, &b));
	cr_assert_not(cur_peek_u16(&c, 4, &b));
	cr_assert_not(cur_peek_u16(&c, 5, &b));
	cr_assert_not(cur_peek_u16(&c, SIZE_MAX, &b));
	cr_assert_not(cur_peek_u16(&c, SIZE_MAX - 1, &b));
	cr_assert_eq(b, 0xeeee);
	same(&c, B, 4);
}

Test(cursor, empty_cursor_fails_everything)
{
	struct cursor c = cur_make(B, 0), s;
	uint8_t a;
	uint16_t b;
	uint32_t d;
	const uint8_t *p;

	cr_assert_not(cur_u8(&c, &a));
	cr_assert_not(cur_u16(&c, &b));
	cr_assert_not(cur_u24(&c, &d));
	cr_assert_not(cur_u32(&c, &d));
	cr_assert_not(cur_u16_le(&c, &b));
	cr_assert_not(cur_u32_le(&c, &d));
	cr_assert_not(cur_skip(&c, 1));
	cr_assert_not(cur_copy(&c, &a, 1));
	cr_assert_not(cur_bytes(&c, &p, 1));
	cr_assert_not(cur_sub(&c, &s, 1));
	cr_assert_not(cur_vec8(&c, &s));
	cr_assert_not(cur_vec16(&c, &s));
	cr_assert_not(cur_vec24(&c, &s));
	cr_assert_not(cur_peek_u8(&c, 0, &a));
	cr_assert_not(cur_peek_u16(&c, 0, &b));
	same(&c, B, 0);
}
