/* The audit channel's frame codec: round trips and every rejection path. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "audit_wire.h"

static struct cursor cur_of(const struct buf *b)
{
	return cur_make((const uint8_t *)b->data, b->len);
}

Test(wire, hello_roundtrip)
{
	struct buf b = { 0 };
	struct aw_hello h = { 0xdeadbeefcafef00dull, 5, 9, "host-a" }, g;
	struct aw_frame f;
	struct cursor c;

	aw_put_hello(&b, &h);
	c = cur_of(&b);
	cr_assert_eq(aw_frame_next(&c, &f), 1);
	cr_assert_eq(f.type, AW_HELLO);
	cr_assert_eq(cur_left(&c), 0);
	cr_assert(aw_decode_hello(f.payload, &g));
	cr_assert_eq(g.stream, h.stream);
	cr_assert_eq(g.first_held, 5);
	cr_assert_eq(g.last_held, 9);
	cr_assert_str_eq(g.name, "host-a");
	buf_free(&b);
}

Test(wire, hello_carries_kind_and_revision)
{
	struct buf b = { 0 };
	struct aw_hello h = { .stream = 7, .name = "gw", .kind = AW_KIND_EVE }, g;
	struct aw_frame f;
	struct cursor c;

	aw_put_hello(&b, &h);
	c = cur_of(&b);
	cr_assert_eq(aw_frame_next(&c, &f), 1);
	cr_assert(aw_decode_hello(f.payload, &g));
	cr_assert_eq(g.revision, AW_REVISION);
	cr_assert_eq(g.kind, AW_KIND_EVE);
	buf_free(&b);
}

Test(wire, revision1_hello_means_audit)
{
	/* an agent of before revision 2: the HELLO ends at the name */
	uint8_t old[] = { 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1,
			  0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 'h', '1' };
	uint8_t bad_rev[] = { 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1,
			      0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, AW_KIND_EVE };
	uint8_t extra[] = { 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1,
			    0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2, AW_KIND_EVE, 0 };
	uint8_t later[] = { 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1,
			    0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 3, 9, 1, 2 };
	struct aw_hello g;

	cr_assert(aw_decode_hello(cur_make(old, sizeof(old)), &g));
	cr_assert_eq(g.revision, 1);
	cr_assert_eq(g.kind, AW_KIND_AUDIT);
	cr_assert_str_eq(g.name, "h1");
	cr_assert_not(aw_decode_hello(cur_make(bad_rev, sizeof(bad_rev)), &g));
	cr_assert_not(aw_decode_hello(cur_make(extra, sizeof(extra)), &g));
	cr_assert(aw_decode_hello(cur_make(later, sizeof(later)), &g),
		  "a later revision's additions are skipped");
	cr_assert_eq(g.kind, 9, "and its kind reported, for the server to refuse");
}

Test(wire, partial_frame_needs_more)
{
	struct buf b = { 0 };
	struct aw_frame f;
	struct cursor c;
	size_t n;

	aw_put_ack(&b, 42);
	for (n = 0; n < b.len; n++) {
		c = cur_make((const uint8_t *)b.data, n);
		cr_assert_eq(aw_frame_next(&c, &f), 0, "prefix %zu", n);
		cr_assert_eq(cur_left(&c), n);
	}
	buf_free(&b);
}

Test(wire, rejects_bad_header)
{
	uint8_t magic[] = { 'X', 'A', 1, AW_ACK, 0, 0, 0, 8 };
	uint8_t version[] = { 'S', 'A', 2, AW_ACK, 0, 0, 0, 8 };
	uint8_t type[] = { 'S', 'A', 1, 99, 0, 0, 0, 0 };
	uint8_t huge[] = { 'S', 'A', 1, AW_PACKAGE, 0xff, 0xff, 0xff, 0xff };
	struct aw_frame f;
	struct cursor c;

	c = cur_make(magic, sizeof(magic));
	cr_assert_eq(aw_frame_next(&c, &f), -EPROTO);
	c = cur_make(version, sizeof(version));
	cr_assert_eq(aw_frame_next(&c, &f), -EPROTO);
	c = cur_make(type, sizeof(type));
	cr_assert_eq(aw_frame_next(&c, &f), -EPROTO);
	c = cur_make(huge, sizeof(huge));
	cr_assert_eq(aw_frame_next(&c, &f), -EMSGSIZE);
}

Test(wire, ack_with_trailing_bytes_rejected)
{
	uint8_t p[9] = { 0, 0, 0, 0, 0, 0, 0, 1, 7 };
	uint64_t seq;

	cr_assert_not(aw_decode_ack(cur_make(p, 9), &seq));
	cr_assert(aw_decode_ack(cur_make(p, 8), &seq));
	cr_assert_eq(seq, 1);
}

static void package_roundtrip(size_t nev, size_t evlen, bool want_zlib)
{
	struct buf body = { 0 }, pkg = { 0 }, out = { 0 };
	struct aw_package p;
	struct cursor c;
	const uint8_t *ev;
	char text[4096];
	size_t i, len, got = 0;

	cr_assert(evlen < sizeof(text));
	memset(text, 'a', evlen);
	for (i = 0; i < nev; i++)
		aw_put_event(&body, text, evlen);
	cr_assert_eq(aw_build_package(&pkg, 77, (uint32_t)nev, &body), 0);
	cr_assert(aw_decode_package(cur_of(&pkg), &p));
	cr_assert_eq(p.seq, 77);
	cr_assert_eq(!!(p.flags & AW_PKG_ZLIB), want_zlib);
	cr_assert_eq(p.raw_len, body.len);
	cr_assert_eq(aw_package_body(&p, &out), 0);
	cr_assert_eq(out.len, body.len);
	cr_assert_eq(memcmp(out.data, body.data, body.len), 0);
	c = cur_of(&out);
	while (aw_body_next(&c, &ev, &len) == 1) {
		cr_assert_eq(len, evlen);
		got++;
	}
	cr_assert_eq(got, nev);
	buf_free(&body);
	buf_free(&pkg);
	buf_free(&out);
}

Test(wire, package_small_stays_raw) { package_roundtrip(2, 20, false); }
Test(wire, package_large_compressed) { package_roundtrip(100, 300, true); }

Test(wire, package_lies_rejected)
{
	struct buf body = { 0 }, pkg = { 0 }, out = { 0 };
	struct aw_package p;
	char text[600];

	memset(text, 'z', sizeof(text));
	aw_put_event(&body, text, sizeof(text));
	cr_assert_eq(aw_build_package(&pkg, 3, 1, &body), 0);
	cr_assert(aw_decode_package(cur_of(&pkg), &p));
	cr_assert(p.flags & AW_PKG_ZLIB);
	/* raw_len claims one byte more than the data inflates to */
	p.raw_len++;
	cr_assert_eq(aw_package_body(&p, &out), -EPROTO);
	/* truncated compressed data */
	p.raw_len--;
	p.data.len--;
	cr_assert_eq(aw_package_body(&p, &out), -EPROTO);
	/* seq 0 and unknown flags */
	pkg.data[7] = 0;
	cr_assert_not(aw_decode_package(cur_of(&pkg), &p));
	pkg.data[7] = 3;
	pkg.data[8] = 0x80;
	cr_assert_not(aw_decode_package(cur_of(&pkg), &p));
	buf_free(&body);
	buf_free(&pkg);
	buf_free(&out);
}

Test(wire, body_event_overrun_rejected)
{
	uint8_t b[] = { 0, 0, 0, 9, 'a', 'b' };
	struct cursor c = cur_make(b, sizeof(b));
	const uint8_t *ev;
	size_t len;

	cr_assert_eq(aw_body_next(&c, &ev, &len), -EPROTO);
	cr_assert_eq(cur_left(&c), sizeof(b));
}

Test(wire, error_and_stats_roundtrip)
{
	struct buf b = { 0 };
	struct aw_stats s = { 1, 2, 3, 4, 5 }, t;
	struct aw_error e;
	struct aw_frame f;
	struct cursor c;

	aw_put_error(&b, AW_ERR_STORE, "disk full");
	aw_put_stats(&b, &s);
	c = cur_of(&b);
	cr_assert_eq(aw_frame_next(&c, &f), 1);
	cr_assert(aw_decode_error(f.payload, &e));
	cr_assert_eq(e.code, AW_ERR_STORE);
	cr_assert_str_eq(e.text, "disk full");
	cr_assert_eq(aw_frame_next(&c, &f), 1);
	cr_assert(aw_decode_stats(f.payload, &t));
	cr_assert_eq(t.kernel_lost, 1);
	cr_assert_eq(t.kernel_backlog, 2);
	cr_assert_eq(t.events_total, 5);
	buf_free(&b);
}

Test(wire, name_with_nul_rejected)
{
	uint8_t p[] = { 0, 1, 0, 3, 'a', 0, 'b' };

	struct aw_error e;

	cr_assert_not(aw_decode_error(cur_make(p, sizeof(p)), &e));
}

Test(wire, body_check_counts_against_the_header)
{
	struct buf body = { 0 };
	char err[128] = "";
	uint8_t bad[] = { 0, 0, 0, 9, 'a', 'b' };

	aw_put_event(&body, "one", 3);
	aw_put_event(&body, "two", 3);
	cr_assert_eq(aw_body_check((const uint8_t *)body.data, body.len, 5, 2, err, sizeof(err)), 0);
	cr_assert_eq(aw_body_check((const uint8_t *)body.data, body.len, 5, 3, err, sizeof(err)),
		     -EPROTO);
	cr_assert_str_eq(err, "package 5: body holds 2 events, header says 3");
	cr_assert_eq(aw_body_check(bad, sizeof(bad), 6, 1, err, sizeof(err)), -EPROTO);
	cr_assert_str_eq(err, "package 6: body holds 0 events, header says 1");
	buf_free(&body);
}
