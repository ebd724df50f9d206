/*
 * stream: every case of the reassembly contract in stream.h.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/anomaly.h"
#include "stream/stream.h"

#define BIT(a) (1ULL << ANOM_##a)
#define MAX_OUT 70000
#define MAX_GAPS 16

struct sinkrec {
	uint8_t out[MAX_OUT];
	size_t len;               /* data bytes received */
	size_t calls;
	size_t ngaps;
	size_t gap_at[MAX_GAPS];  /* len when the gap notice came */
	size_t gap_len[MAX_GAPS];
	const uint8_t *last_ptr;
};

static void rec(void *arg, const uint8_t *data, size_t len)
{
	struct sinkrec *r = arg;

	r->calls++;
	r->last_ptr = data;
	if (!data) {
		cr_assert_lt(r->ngaps, MAX_GAPS);
		r->gap_at[r->ngaps] = r->len;
		r->gap_len[r->ngaps++] = len;
		return;
	}
	cr_assert_gt(len, 0, "empty delivery");
	cr_assert_leq(r->len + len, MAX_OUT);
	memcpy(r->out + r->len, data, len);
	r->len += len;
}

static struct sinkrec *R;
static size_t used;
static struct stream_limits lim;
static struct stream_half H;

static void setup(void)
{
	R = calloc(1, sizeof(*R));
	used = 0;
	lim.max_ooo_bytes = 1 << 20;
	lim.max_ooo_segments = 10000;
	lim.global_cap = 1 << 22;
	lim.global_used = &used;
	stream_half_init(&H);
}

static void teardown(void)
{
	stream_half_free(&H, &lim);
	cr_assert_eq(used, 0, "global counter not returned: %zu", used);
	free(R);
}

TestSuite(stream, .init = setup, .fini = teardown);

static uint64_t seg(uint32_t seq, const void *p, size_t n)
{
	return stream_segment(&H, seq, p, n, &lim, rec, R);
}

static void fill_msg(uint8_t *m, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 8));
}

Test(stream, in_order_zero_copy)
{
	uint8_t m[300];

	fill_msg(m, sizeof(m), 1);
	stream_syn(&H, 1000);
	cr_assert_eq(seg(1001, m, 100), 0);
	cr_assert_eq(R->last_ptr, m, "in-order bytes must come from the packet");
	cr_assert_eq(seg(1101, m + 100, 200), 0);
	cr_assert_eq(R->last_ptr, m + 100);
	cr_assert_eq(R->calls, 2);
	cr_assert_eq(R->len, 300);
	cr_assert_arr_eq(R->out, m, 300);
	cr_assert_eq(H.next_seq, 1301);
	cr_assert_eq(used, 0);
	cr_assert_eq(H.ooo_count, 0);
}

Test(stream, reverse_order)
{
	uint8_t m[1000];
	int i;

	fill_msg(m, sizeof(m), 2);
	stream_syn(&H, 0);
	for (i = 9; i >= 1; i--) {
		cr_assert_eq(seg(1 + i * 100, m + i * 100, 100), 0);
		cr_assert_eq(R->len, 0, "nothing may be delivered before the hole fills");
	}
	cr_assert_eq(used, 900);
	cr_assert_eq(H.ooo_count, 9);
	cr_assert_eq(seg(1, m, 100), 0);
	cr_assert_eq(R->len, 1000);
	cr_assert_arr_eq(R->out, m, 1000);
	cr_assert_eq(used, 0);
	cr_assert_eq(H.ooo_bytes, 0);
	cr_assert_eq(H.ooo_count, 0);
}

/* Cuts a message into random segments, shuffles them, adds duplicates and
 * overlapping re-cuts with the same bytes: the output is the message. */
Test(stream, random_permutations)
{
	enum { N = 3000, MAXSEG = 4000 };
	static uint8_t m[N];
	uint32_t start[MAXSEG], len[MAXSEG];
	unsigned round;

	srand(12345);
	for (round = 0; round < 300; round++) {
		/* odd rounds straddle 2^32 */
		uint32_t isn = round % 2 ? 0xffffffffu - round * 13 % N :
				(uint32_t)rand() * 2654435761u;
		size_t n = 0, pos = 0, i;

		fill_msg(m, N, round);
		while (pos < N) {
			size_t l = 1 + (size_t)rand() % (round % 3 == 0 ? 8 : 200);

			if (l > N - pos)
				l = N - pos;
			start[n] = (uint32_t)pos;
			len[n++] = (uint32_t)l;
			pos += l;
		}
		for (i = 0; i < 20 && n < MAXSEG; i++) {  /* overlapping re-cuts */
			uint32_t s = (uint32_t)rand() % N, l = 1 + (uint32_t)rand() % 300;

			start[n] = s;
			len[n++] = s + l > N ? N - s : l;
		}
		for (i = n - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);
			uint32_t ts = start[i], tl = len[i];

			start[i] = start[j], len[i] = len[j];
			start[j] = ts, len[j] = tl;
		}
		stream_half_init(&H);
		R->len = 0;
		stream_syn(&H, isn);
		for (i = 0; i < n; i++)
			cr_assert_eq(seg(isn + 1 + start[i], m + start[i], len[i]), 0,
				     "round %u: same bytes must raise nothing", round);
		cr_assert_eq(R->len, N, "round %u: delivered %zu", round, R->len);
		cr_assert_arr_eq(R->out, m, N, "round %u: bytes differ", round);
		cr_assert_eq(R->ngaps, 0);
		cr_assert_eq(used, 0);
		stream_half_free(&H, &lim);
	}
}

Test(stream, one_byte_segments)
{
	uint8_t m[64];
	int i;

	fill_msg(m, sizeof(m), 3);
	stream_syn(&H, 500);
	for (i = 63; i >= 1; i -= 2)
		seg(501 + (uint32_t)i, m + i, 1);
	cr_assert_eq(H.ooo_count, 32);
	for (i = 0; i < 64; i += 2)
		cr_assert_eq(seg(501 + (uint32_t)i, m + i, 1), 0);
	cr_assert_eq(R->len, 64);
	cr_assert_arr_eq(R->out, m, 64);
	cr_assert_eq(used, 0);
}

Test(stream, retransmission_same_bytes)
{
	const char *a = "ClientHello-bytes";

	stream_syn(&H, 7);
	cr_assert_eq(seg(8, a, 17), 0);
	cr_assert_eq(seg(8, a, 17), 0);
	cr_assert_eq(seg(10, a + 2, 5), 0);
	cr_assert_eq(R->len, 17, "retransmitted bytes delivered twice");
	cr_assert_eq(R->calls, 1);
}

Test(stream, retransmission_different_bytes_first_wins)
{
	stream_syn(&H, 7);
	cr_assert_eq(seg(8, "abcdefgh", 8), 0);
	cr_assert_eq(seg(8, "abcXefgh", 8), BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(R->len, 8);
	cr_assert_arr_eq(R->out, "abcdefgh", 8);
}

Test(stream, partial_overlap_with_delivered_is_trimmed)
{
	stream_syn(&H, 0);
	seg(1, "0123456789", 10);
	cr_assert_eq(seg(6, "56789abcde", 10), 0);
	cr_assert_eq(R->len, 15);
	cr_assert_arr_eq(R->out, "0123456789abcde", 15);
	cr_assert_eq(seg(9, "XYzzz", 5), BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(R->len, 15);
	cr_assert_eq(seg(14, "dezzz", 5), 0);
	cr_assert_eq(R->len, 18);
	cr_assert_arr_eq(R->out, "0123456789abcdezzz", 18);
}

Test(stream, overlapping_buffered_segments_first_wins)
{
	stream_syn(&H, 0);
	cr_assert_eq(seg(11, "AAAAAAAAAA", 10), 0);
	cr_assert_eq(seg(16, "BBBBBBBBBB", 10), BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(H.ooo_bytes, 15, "only the new tail may be buffered");
	cr_assert_eq(seg(6, "cccccAAAAA", 10), 0, "same bytes where they overlap");
	cr_assert_eq(seg(1, "xxxxxxxxxxxxxxx", 15), BIT(STREAM_OVERLAP_DIFF),
		     "in-order packet differs from buffered bytes");
	cr_assert_eq(R->len, 25);
	cr_assert_arr_eq(R->out, "xxxxxcccccAAAAAAAAAABBBBB", 25);
	cr_assert_eq(used, 0);
}

Test(stream, segment_spanning_several_buffered)
{
	stream_syn(&H, 0);
	seg(3, "c", 1);
	seg(6, "f", 1);
	seg(9, "i", 1);
	cr_assert_eq(H.ooo_count, 3);
	cr_assert_eq(seg(2, "bcdefghij", 9), 0);
	cr_assert_eq(H.ooo_count, 7, "uncovered pieces are buffered separately");
	cr_assert_eq(H.ooo_bytes, 9);
	cr_assert_eq(seg(1, "a", 1), 0);
	cr_assert_eq(R->len, 10);
	cr_assert_arr_eq(R->out, "abcdefghij", 10);
	cr_assert_eq(R->calls, 8);
}

Test(stream, wrap_around)
{
	uint8_t m[400];

	fill_msg(m, sizeof(m), 4);
	stream_syn(&H, 0xffffff00u);
	/* bytes 0..399 at seq 0xffffff01 .. 0x90: 2^32 is crossed at byte 255 */
	cr_assert_eq(seg(0xffffff01u + 300, m + 300, 100), 0);
	cr_assert_eq(seg(0xffffff01u + 200, m + 200, 100), 0);
	cr_assert_eq(R->len, 0);
	cr_assert_eq(seg(0xffffff01u, m, 200), 0);
	cr_assert_eq(R->len, 400);
	cr_assert_arr_eq(R->out, m, 400);
	cr_assert_eq(H.next_seq, 0xffffff01u + 400);
	cr_assert_eq(H.next_seq, 0x91u);
	/* a retransmission from before the wrap is old data, compared */
	cr_assert_eq(seg(0xfffffff0u, m + 239, 32), 0);
	cr_assert_eq(seg(0xfffffff0u, m, 32), BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(R->len, 400);
}

Test(stream, syn_with_data)
{
	stream_syn(&H, 41);
	cr_assert(H.started);
	cr_assert_eq(H.next_seq, 42);
	cr_assert_eq(seg(42, "early", 5), 0);
	stream_syn(&H, 41);
	stream_syn(&H, 99);
	cr_assert_eq(H.next_seq, 47, "a retransmitted SYN must not restart the half");
	cr_assert_eq(seg(47, "data", 4), 0);
	cr_assert_eq(R->len, 9);
	cr_assert_arr_eq(R->out, "earlydata", 9);
}

Test(stream, mid_flow_start_and_empty_segment)
{
	cr_assert_eq(seg(5000, "", 0), 0);
	cr_assert_not(H.started, "an empty segment must not start the half");
	cr_assert_eq(seg(9000, "hello", 5), 0);
	cr_assert(H.started);
	cr_assert_eq(H.next_seq, 9005);
	cr_assert_eq(R->len, 5);
}

Test(stream, old_segments_ignored)
{
	stream_syn(&H, 0);
	seg(1, "abcdef", 6);
	cr_assert_eq(seg(0xfff00000u, "zzzz", 4), 0, "far behind: ignored");
	cr_assert_eq(seg(1u + STREAM_MAX_AHEAD + 10, "zzzz", 4), 0, "too far ahead: ignored");
	cr_assert_eq(H.ooo_count, 0);
	cr_assert_eq(R->len, 6);
}

Test(stream, history_is_lazy_and_bounded)
{
	static uint8_t m[20000];
	static uint8_t x[100];
	int i;

	cr_assert_null(H.hist);
	stream_syn(&H, 0);
	cr_assert_null(H.hist, "no history before any delivery");
	seg(1, "0123456789", 10);
	cr_assert_not_null(H.hist);
	cr_assert_leq(H.hist_cap, 256, "a small flow keeps a small history");
	fill_msg(m, sizeof(m), 5);
	for (i = 0; i < 200; i++)
		seg(11 + (uint32_t)i * 100, m + i * 100, 100);
	cr_assert_eq(H.hist_cap, STREAM_HISTORY);
	cr_assert_eq(H.hist_len, STREAM_HISTORY);
	memset(x, 'X', sizeof(x));
	/* the last delivered bytes are compared ... */
	cr_assert_eq(seg(11 + 19900, m + 19900, 100), 0);
	cr_assert_eq(seg(11 + 19900, x, 100), BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(seg(11 + 20000 - STREAM_HISTORY, x, 1), BIT(STREAM_OVERLAP_DIFF));
	/* ... older ones are not kept, hence not compared */
	cr_assert_eq(seg(11 + 20000 - STREAM_HISTORY - 1, x, 1), 0);
	cr_assert_eq(seg(11, x, 100), 0);
	cr_assert_eq(R->len, 20010);
}

Test(stream, big_delivery_keeps_its_tail)
{
	static uint8_t m[20000];
	static uint8_t x[10];

	fill_msg(m, sizeof(m), 6);
	memset(x, 'X', sizeof(x));
	stream_syn(&H, 0);
	seg(1, m, sizeof(m));
	cr_assert_eq(H.hist_len, STREAM_HISTORY);
	cr_assert_eq(seg(1 + 19990, m + 19990, 10), 0);
	cr_assert_eq(seg(1 + 19990, x, 10), BIT(STREAM_OVERLAP_DIFF));
}

Test(stream, flow_limit_gives_up_the_hole)
{
	uint8_t m[400];

	fill_msg(m, sizeof(m), 7);
	lim.max_ooo_bytes = 100;
	stream_syn(&H, 0);
	cr_assert_eq(seg(1 + 10, m + 10, 50), 0);
	cr_assert_eq(seg(1 + 70, m + 70, 50), 0);
	cr_assert_eq(used, 100);
	cr_assert_eq(seg(1 + 200, m + 200, 10),
		     BIT(STREAM_FLOW_MEMCAP) | BIT(STREAM_GAP));
	/* hole [0,10) skipped, [10,60) delivered; then the new segment fits */
	cr_assert_eq(R->ngaps, 1);
	cr_assert_eq(R->gap_at[0], 0);
	cr_assert_eq(R->gap_len[0], 10);
	cr_assert_eq(R->len, 50);
	cr_assert_arr_eq(R->out, m + 10, 50);
	cr_assert_eq(H.ooo_bytes, 60);
	cr_assert_eq(used, 60, "memory must be returned to the global counter");
	/* still over after the first hole: the next one goes too */
	cr_assert_eq(seg(1 + 300, m + 300, 50),
		     BIT(STREAM_FLOW_MEMCAP) | BIT(STREAM_GAP));
	cr_assert_eq(R->ngaps, 2);
	cr_assert_eq(R->gap_at[1], 50);
	cr_assert_eq(R->gap_len[1], 10);
	cr_assert_eq(R->len, 100);
	cr_assert_arr_eq(R->out + 50, m + 70, 50);
	cr_assert_eq(H.ooo_bytes, 60);
	cr_assert_eq(used, 60);
	cr_assert_eq(seg(1 + 120, m + 120, 280), 0);
	cr_assert_eq(R->len, 380);
	cr_assert_arr_eq(R->out + 100, m + 120, 280);
	cr_assert_eq(used, 0);
}

Test(stream, segment_larger_than_limit_skips_to_itself)
{
	uint8_t m[300];

	fill_msg(m, sizeof(m), 8);
	lim.max_ooo_bytes = 100;
	stream_syn(&H, 0);
	cr_assert_eq(seg(1 + 100, m + 100, 200), BIT(STREAM_FLOW_MEMCAP) | BIT(STREAM_GAP));
	cr_assert_eq(R->ngaps, 1);
	cr_assert_eq(R->gap_len[0], 100);
	cr_assert_eq(R->len, 200);
	cr_assert_eq(R->last_ptr, m + 100, "delivered zero-copy once in order");
	cr_assert_eq(used, 0);
	cr_assert_eq(H.next_seq, 301);
}

Test(stream, segment_count_limit)
{
	lim.max_ooo_segments = 3;
	stream_syn(&H, 0);
	seg(11, "a", 1);
	seg(21, "b", 1);
	seg(31, "c", 1);
	cr_assert_eq(H.ooo_count, 3);
	cr_assert_eq(seg(41, "d", 1), BIT(STREAM_OOO_LIMIT) | BIT(STREAM_GAP));
	cr_assert_eq(R->ngaps, 1);
	cr_assert_eq(R->gap_len[0], 10);
	cr_assert_eq(R->len, 1);
	cr_assert_eq(H.ooo_count, 3);
	cr_assert_eq(used, 3);
}

Test(stream, zero_limit_buffers_nothing)
{
	lim.max_ooo_bytes = 0;
	stream_syn(&H, 0);
	cr_assert_eq(seg(6, "fghij", 5), BIT(STREAM_FLOW_MEMCAP) | BIT(STREAM_GAP));
	cr_assert_eq(R->gap_len[0], 5);
	cr_assert_eq(R->len, 5);
	cr_assert_eq(stream_segment(&H, 20, (const uint8_t *)"zz", 2, NULL, rec, R),
		     BIT(STREAM_OOO_LIMIT) | BIT(STREAM_GAP), "NULL limits buffer nothing");
	cr_assert_eq(R->len, 7);
}

Test(stream, global_limit_shared_between_halves)
{
	struct stream_half other;
	struct sinkrec *r2 = calloc(1, sizeof(*r2));
	uint8_t m[200];

	fill_msg(m, sizeof(m), 9);
	lim.global_cap = 150;
	stream_half_init(&other);
	stream_syn(&other, 0);
	stream_syn(&H, 1000);
	cr_assert_eq(stream_segment(&other, 51, m, 100, &lim, rec, r2), 0);
	cr_assert_eq(used, 100);
	cr_assert_eq(seg(1001 + 10, m, 40), 0);
	cr_assert_eq(used, 140);
	cr_assert_eq(seg(1001 + 60, m + 60, 20), BIT(STREAM_GLOBAL_MEMCAP) | BIT(STREAM_GAP));
	/* H gave up its own hole [0,10), delivered its buffer, then fit */
	cr_assert_eq(R->gap_len[0], 10);
	cr_assert_eq(R->len, 40);
	cr_assert_eq(H.ooo_bytes, 20);
	cr_assert_eq(used, 120);
	cr_assert_eq(r2->len, 0, "the other half is untouched");
	stream_half_free(&other, &lim);
	cr_assert_eq(used, 20);
	free(r2);
}

Test(stream, flush_delivers_after_gap_notices)
{
	stream_syn(&H, 0);
	cr_assert_eq(stream_flush(&H, &lim, rec, R), 0);
	cr_assert_eq(R->calls, 0, "nothing buffered: no call");
	seg(1, "ab", 2);
	seg(6, "fg", 2);
	seg(8, "hi", 2);
	seg(20, "t", 1);
	cr_assert_eq(stream_flush(&H, &lim, rec, R), BIT(STREAM_GAP));
	cr_assert_eq(R->ngaps, 2);
	cr_assert_eq(R->gap_at[0], 2);
	cr_assert_eq(R->gap_len[0], 3);
	cr_assert_eq(R->gap_at[1], 6);
	cr_assert_eq(R->gap_len[1], 10);
	cr_assert_eq(R->len, 7);
	cr_assert_arr_eq(R->out, "abfghit", 7);
	cr_assert_eq(used, 0);
	cr_assert_eq(H.ooo_count, 0);
	cr_assert_eq(H.next_seq, 21);
}

Test(stream, free_returns_memory_and_is_idempotent)
{
	stream_syn(&H, 0);
	seg(1, "abc", 3);
	seg(10, "xyz", 3);
	seg(20, "uvw", 3);
	cr_assert_eq(used, 6);
	stream_half_free(&H, &lim);
	cr_assert_eq(used, 0);
	cr_assert_null(H.ooo);
	cr_assert_null(H.hist);
	stream_half_free(&H, &lim);
	cr_assert_eq(used, 0);
}

Test(stream, null_deliver_still_tracks)
{
	stream_syn(&H, 0);
	stream_segment(&H, 4, (const uint8_t *)"def", 3, &lim, NULL, NULL);
	stream_segment(&H, 1, (const uint8_t *)"abc", 3, &lim, NULL, NULL);
	cr_assert_eq(H.next_seq, 7);
	cr_assert_eq(used, 0);
}
