/*
 * fuzz_stream: drives two stream halves that share a global counter with
 * segment operations read from the input, and checks the invariants of
 * stream.h after every step.
 *
 * Input: config u8 (limits), isn0 u32, isn1 u32, then operations:
 *   kind u8: bit 7 = flush, bit 0 = half, bit 1 = bytes from the input
 *            (else a fixed pattern of the stream position), bits 2-3 =
 *            length shift; then (not for a flush) offset u16 (sequence
 *            offset from isn + 1, minus 512) and length u8 << shift, then
 *            the bytes when bit 1 is set.
 *
 * Invariants: bytes are delivered (or skipped over a gap) exactly at the
 * position next_seq reached, never beyond the end of what was sent; while
 * every segment carried the pattern, the output is the pattern and no
 * overlap anomaly appears; limits hold; the global counter equals the
 * buffered bytes and returns to zero when the halves are freed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/anomaly.h"
#include "cursor.h"
#include "stream/stream.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	struct stream_half h;
	uint32_t base;          /* isn + 1: offset 0 */
	uint64_t pos;           /* delivered + skipped bytes */
	uint64_t max_end;       /* furthest offset sent */
	bool pattern_only;
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 131u + (off >> 8) * 7u + 1u);
}

static void on_deliver(void *arg, const uint8_t *p, size_t len)
{
	struct side *s = arg;
	size_t i;

	FUZZ_CHECK(len > 0, "an empty delivery");
	if (p && s->pattern_only)
		for (i = 0; i < len; i++)
			FUZZ_CHECK(p[i] == pattern(s->pos + i),
				   "byte %llu delivered as %#x, sent as %#x",
				   (unsigned long long)(s->pos + i), p[i], pattern(s->pos + i));
	s->pos += len;
	FUZZ_CHECK(s->pos <= s->max_end, "delivered up to %llu, sent only up to %llu",
		   (unsigned long long)s->pos, (unsigned long long)s->max_end);
}

static void check_state(const struct side sd[2], const struct stream_limits *lim)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct stream_half *h = &sd[i].h;

		FUZZ_CHECK((uint32_t)(h->next_seq - sd[i].base) == (uint32_t)sd[i].pos,
			   "half %d: next_seq at offset %u, delivered %llu", i,
			   (unsigned)(h->next_seq - sd[i].base), (unsigned long long)sd[i].pos);
		FUZZ_CHECK(h->ooo_bytes <= lim->max_ooo_bytes, "half %d: %u out-of-order bytes, limit %u",
			   i, (unsigned)h->ooo_bytes, (unsigned)lim->max_ooo_bytes);
		FUZZ_CHECK(h->ooo_count <= lim->max_ooo_segments,
			   "half %d: %u out-of-order segments, limit %u", i, (unsigned)h->ooo_count,
			   (unsigned)lim->max_ooo_segments);
		FUZZ_CHECK((h->ooo == NULL) == (h->ooo_count == 0),
			   "half %d: segment list and count (%u) disagree", i, (unsigned)h->ooo_count);
		FUZZ_CHECK(h->hist_len <= h->hist_cap && h->hist_cap <= STREAM_HISTORY,
			   "half %d: history %u of %u", i, (unsigned)h->hist_len, (unsigned)h->hist_cap);
	}
	FUZZ_CHECK(*lim->global_used == (size_t)sd[0].h.ooo_bytes + sd[1].h.ooo_bytes,
		   "global counter %zu, halves hold %u + %u", *lim->global_used,
		   (unsigned)sd[0].h.ooo_bytes, (unsigned)sd[1].h.ooo_bytes);
	FUZZ_CHECK(*lim->global_used <= lim->global_cap, "global counter %zu over its cap %zu",
		   *lim->global_used, lim->global_cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pat[255 << 3];
	struct cursor c = cur_make(data, size);
	struct side sd[2] = { 0 };
	struct stream_limits lim;
	size_t used = 0;
	uint32_t isn[2];
	uint8_t cfg, kind, len8;
	uint16_t off16;
	int i;

	if (!cur_u8(&c, &cfg) || !cur_u32(&c, &isn[0]) || !cur_u32(&c, &isn[1]))
		return 0;
	lim.max_ooo_bytes = 64u << (cfg & 7);
	lim.max_ooo_segments = 1u + ((cfg >> 3) & 7) * 4;
	lim.global_cap = (size_t)128 << ((cfg >> 6) * 2);
	lim.global_used = &used;
	for (i = 0; i < 2; i++) {
		stream_half_init(&sd[i].h);
		stream_syn(&sd[i].h, isn[i]);
		sd[i].base = isn[i] + 1;
		sd[i].pattern_only = true;
	}
	while (cur_u8(&c, &kind)) {
		struct side *s = &sd[kind & 1];
		const uint8_t *p;
		uint64_t anom;
		int64_t off;
		size_t len, k;

		if (kind & 0x80) {
			anom = stream_flush(&s->h, &lim, on_deliver, s);
			FUZZ_CHECK(s->h.ooo == NULL, "segments left after a flush");
			FUZZ_CHECK((anom & ~(1ULL << ANOM_STREAM_GAP)) == 0, "a flush reported anomalies %#llx",
				   (unsigned long long)anom);
			check_state(sd, &lim);
			continue;
		}
		if (!cur_u16(&c, &off16) || !cur_u8(&c, &len8))
			break;
		off = (int64_t)off16 - 512;
		len = (size_t)len8 << ((kind >> 2) & 3);
		if (kind & 2) {
			if (!cur_bytes(&c, &p, len))
				break;
			s->pattern_only = false;
		} else {
			for (k = 0; k < len; k++)
				pat[k] = pattern((uint64_t)(off + (int64_t)k));
			p = pat;
		}
		if (len && off + (int64_t)len > (int64_t)s->max_end)
			s->max_end = (uint64_t)(off + (int64_t)len);
		anom = stream_segment(&s->h, s->base + (uint32_t)off, p, len, &lim,
				      on_deliver, s);
		if (s->pattern_only)
			FUZZ_CHECK(!(anom & (1ULL << ANOM_STREAM_OVERLAP_DIFF)),
				   "overlap with different bytes where every segment had the pattern");
		check_state(sd, &lim);
	}
	for (i = 0; i < 2; i++) {
		stream_flush(&sd[i].h, &lim, on_deliver, &sd[i]);
		check_state(sd, &lim);
		FUZZ_CHECK(sd[i].h.ooo == NULL, "half %d: segments left after the final flush", i);
	}
	for (i = 0; i < 2; i++)
		stream_half_free(&sd[i].h, &lim);
	FUZZ_CHECK(used == 0, "global counter %zu after both halves were freed", used);
	return 0;
}
