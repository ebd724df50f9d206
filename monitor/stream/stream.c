/*
 * stream: TCP reassembly of one direction (see stream.h for the contract).
 *
 * Invariants between calls: every buffered segment lies strictly ahead of
 * next_seq (offset in (0, 2^31)), the list is sorted by offset and no two
 * segments overlap. All positions below are offsets from next_seq, so the
 * arithmetic never wraps even when the sequence numbers do (RFC 9293
 * section 3.4: sequence space is modulo 2^32).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/anomaly.h"
#include "stream/stream.h"

#define ANOM_BIT(a) (1ULL << ANOM_##a)
#define HIST_MIN 256u

static const struct stream_limits no_buffering;

struct stream_seg {
	struct stream_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

struct sink {
	stream_deliver_fn fn;
	void *arg;
};

void stream_half_init(struct stream_half *h)
{
	memset(h, 0, sizeof(*h));
}

static uint32_t seg_off(const struct stream_half *h, const struct stream_seg *s)
{
	return s->seq - h->next_seq;
}

static void seg_unlink_first(struct stream_half *h, const struct stream_limits *lim)
{
	struct stream_seg *s = h->ooo;

	h->ooo = s->next;
	h->ooo_bytes -= s->len;
	h->ooo_count--;
	if (lim && lim->global_used)
		*lim->global_used -= s->len;
	free(s);
}

void stream_half_free(struct stream_half *h, const struct stream_limits *lim)
{
	while (h->ooo)
		seg_unlink_first(h, lim);
	free(h->hist);
	h->hist = NULL;
	h->hist_len = 0;
	h->hist_cap = 0;
}

void stream_syn(struct stream_half *h, uint32_t isn)
{
	if (h->started)
		return;
	h->started = true;
	h->next_seq = isn + 1;
}

/* Keeps the last STREAM_HISTORY bytes delivered. On allocation failure the
 * history is dropped: later retransmissions are then not compared. */
static void hist_append(struct stream_half *h, const uint8_t *p, size_t n)
{
	size_t need, keep;

	if (n >= STREAM_HISTORY) {
		p += n - STREAM_HISTORY;
		n = STREAM_HISTORY;
		h->hist_len = 0;
	}
	need = h->hist_len + n;
	if (need > h->hist_cap && h->hist_cap < STREAM_HISTORY) {
		size_t cap = h->hist_cap ? h->hist_cap : HIST_MIN;
		uint8_t *nh;

		while (cap < need && cap < STREAM_HISTORY)
			cap *= 2;
		if (cap > STREAM_HISTORY)
			cap = STREAM_HISTORY;
		nh = realloc(h->hist, cap);
		if (!nh) {
			h->hist_len = 0;
			return;
		}
		h->hist = nh;
		h->hist_cap = (uint16_t)cap;
	}
	if (need > h->hist_cap) {
		keep = h->hist_cap - n;
		memmove(h->hist, h->hist + (h->hist_len - keep), keep);
		h->hist_len = (uint16_t)keep;
	}
	memcpy(h->hist + h->hist_len, p, n);
	h->hist_len += (uint16_t)n;
}

/* Hands n in-order bytes to the caller and advances next_seq. */
static void emit(struct stream_half *h, const uint8_t *p, size_t n, const struct sink *out)
{
	hist_append(h, p, n);
	h->next_seq += (uint32_t)n;
	if (out->fn)
		out->fn(out->arg, p, n);
}

static void emit_gap(struct stream_half *h, uint32_t lost, const struct sink *out)
{
	h->next_seq += lost;
	h->hist_len = 0;    /* the history must end at next_seq */
	if (out->fn)
		out->fn(out->arg, NULL, lost);
}

/* Delivers the buffered segments that have become contiguous. */
static void drain(struct stream_half *h, const struct stream_limits *lim, const struct sink *out)
{
	while (h->ooo && seg_off(h, h->ooo) == 0) {
		emit(h, h->ooo->data, h->ooo->len, out);
		seg_unlink_first(h, lim);
	}
}

/* Compares n bytes that lie back bytes before next_seq (back >= n) with
 * the delivered history, as far as it reaches. */
static uint64_t cmp_history(const struct stream_half *h, uint32_t back,
			    const uint8_t *p, size_t n)
{
	size_t skip = 0, at = 0;

	if (back > h->hist_len)
		skip = back - h->hist_len;
	else
		at = h->hist_len - back;
	if (skip >= n)
		return 0;
	if (memcmp(p + skip, h->hist + at, n - skip))
		return ANOM_BIT(STREAM_OVERLAP_DIFF);
	return 0;
}

/* The segment starts exactly at next_seq. Its bytes are delivered from the
 * packet, except where a buffered segment already holds them: those win. */
static uint64_t take_in_order(struct stream_half *h, const uint8_t *p, size_t len,
			      const struct stream_limits *lim, const struct sink *out)
{
	uint64_t anom = 0;
	size_t i = 0, n;

	while (i < len) {
		struct stream_seg *s = h->ooo;
		uint32_t off = s ? seg_off(h, s) : 0;

		if (s && off == 0) {
			n = s->len < len - i ? s->len : len - i;
			if (memcmp(s->data, p + i, n))
				anom |= ANOM_BIT(STREAM_OVERLAP_DIFF);
			i += n;
			emit(h, s->data, s->len, out);
			seg_unlink_first(h, lim);
			continue;
		}
		n = len - i;
		if (s && off < n)
			n = off;
		emit(h, p + i, n, out);
		i += n;
	}
	drain(h, lim, out);
	return anom;
}

/* What inserting [off, off + len) would add: the uncovered bytes and the
 * number of pieces; the covered bytes are compared with the buffer. */
static uint64_t ooo_survey(const struct stream_half *h, uint32_t off, const uint8_t *p,
			   uint32_t len, uint32_t *bytes, uint32_t *pieces)
{
	const struct stream_seg *s;
	uint32_t pos = off, end = off + len;
	uint64_t anom = 0;

	*bytes = 0;
	*pieces = 0;
	for (s = h->ooo; s && pos < end; s = s->next) {
		uint32_t so = seg_off(h, s), se = so + s->len, ov_end;

		if (se <= pos)
			continue;
		if (so >= end)
			break;
		if (so > pos) {
			*bytes += so - pos;
			(*pieces)++;
			pos = so;
		}
		ov_end = se < end ? se : end;
		if (memcmp(p + (pos - off), s->data + (pos - so), ov_end - pos))
			anom |= ANOM_BIT(STREAM_OVERLAP_DIFF);
		pos = ov_end;
	}
	if (pos < end) {
		*bytes += end - pos;
		(*pieces)++;
	}
	return anom;
}

/* Copies the uncovered pieces of [off, off + len) into the sorted list.
 * -ENOMEM when an allocation fails (pieces already added stay, consistent). */
static int ooo_insert(struct stream_half *h, uint32_t off, const uint8_t *p, uint32_t len,
		      const struct stream_limits *lim)
{
	struct stream_seg **link = &h->ooo;
	uint32_t pos = off, end = off + len;

	while (pos < end) {
		struct stream_seg *s = *link, *ns;
		uint32_t so = s ? seg_off(h, s) : end, piece_end;

		if (s && so + s->len <= pos) {
			link = &s->next;
			continue;
		}
		if (s && so <= pos) {
			pos = so + s->len;
			link = &s->next;
			continue;
		}
		piece_end = so < end ? so : end;
		ns = malloc(sizeof(*ns) + (piece_end - pos));
		if (!ns)
			return -ENOMEM;
		ns->seq = h->next_seq + pos;
		ns->len = piece_end - pos;
		memcpy(ns->data, p + (pos - off), ns->len);
		ns->next = s;
		*link = ns;
		link = &ns->next;
		h->ooo_bytes += ns->len;
		h->ooo_count++;
		if (lim->global_used)
			*lim->global_used += ns->len;
		pos = piece_end;
	}
	return 0;
}

/* Which limit adding bytes in pieces would break; 0 when none. */
static uint64_t over_limit(const struct stream_half *h, uint32_t bytes, uint32_t pieces,
			   const struct stream_limits *lim)
{
	uint32_t max_segs = lim->max_ooo_segments < UINT16_MAX ? lim->max_ooo_segments : UINT16_MAX;

	if ((uint64_t)h->ooo_count + pieces > max_segs)
		return ANOM_BIT(STREAM_OOO_LIMIT);
	if ((uint64_t)h->ooo_bytes + bytes > lim->max_ooo_bytes)
		return ANOM_BIT(STREAM_FLOW_MEMCAP);
	if (lim->global_used && (bytes > lim->global_cap ||
				 *lim->global_used > lim->global_cap - bytes))
		return ANOM_BIT(STREAM_GLOBAL_MEMCAP);
	return 0;
}

/* Gives up on the first hole: the one before the first buffered segment or
 * before the segment at offset off, whichever comes first. */
static void give_up_hole(struct stream_half *h, uint32_t off, const struct stream_limits *lim,
			 const struct sink *out)
{
	uint32_t hole = off;

	if (h->ooo && seg_off(h, h->ooo) < hole)
		hole = seg_off(h, h->ooo);
	emit_gap(h, hole, out);
	drain(h, lim, out);
}

uint64_t stream_segment(struct stream_half *h, uint32_t seq,
			const uint8_t *data, size_t len,
			const struct stream_limits *lim,
			stream_deliver_fn deliver, void *arg)
{
	const struct sink out = { deliver, arg };
	uint64_t anom = 0, over;
	uint32_t off, bytes, pieces;

	if (len == 0 || !data || len > STREAM_MAX_AHEAD)
		return 0;
	if (!lim)
		lim = &no_buffering;
	if (!h->started) {
		h->started = true;
		h->next_seq = seq;
	}
	for (;;) {
		off = seq - h->next_seq;
		if (off >= 0x80000000u) {
			/* starts before next_seq: compare the old part, trim it */
			uint32_t back = -off;
			size_t old = back < len ? back : len;

			anom |= cmp_history(h, back, data, old);
			if (old == len)
				return anom;
			seq += (uint32_t)old;
			data += old;
			len -= old;
			off = 0;
		}
		if (off == 0)
			return anom | take_in_order(h, data, len, lim, &out);
		if (off > STREAM_MAX_AHEAD)
			return anom;
		anom |= ooo_survey(h, off, data, (uint32_t)len, &bytes, &pieces);
		if (pieces == 0)
			return anom;
		over = over_limit(h, bytes, pieces, lim);
		if (!over) {
			if (ooo_insert(h, off, data, (uint32_t)len, lim) == 0)
				return anom;
			over = ANOM_BIT(STREAM_GLOBAL_MEMCAP);
		}
		anom |= over | ANOM_BIT(STREAM_GAP);
		give_up_hole(h, off, lim, &out);
	}
}

uint64_t stream_flush(struct stream_half *h, const struct stream_limits *lim,
		      stream_deliver_fn deliver, void *arg)
{
	const struct sink out = { deliver, arg };
	uint64_t anom = 0;

	while (h->ooo) {
		uint32_t hole = seg_off(h, h->ooo);

		if (hole) {
			emit_gap(h, hole, &out);
			anom |= ANOM_BIT(STREAM_GAP);
		}
		drain(h, lim, &out);
	}
	return anom;
}

void stream_judged(const struct stream_half *h, uint32_t seq, const uint8_t *data, size_t len,
		   uint8_t *out)
{
	const struct stream_seg *s;
	size_t i;

	memcpy(out, data, len);
	if (!h->started)
		return;
	for (i = 0; i < len; i++) {
		uint32_t off = seq + (uint32_t)i - h->next_seq;

		if (off >= 0x80000000u) {
			uint32_t back = -off;

			if (back <= h->hist_len)
				out[i] = h->hist[h->hist_len - back];
			continue;
		}
		for (s = h->ooo; s && seg_off(h, s) <= off; s = s->next)
			if (off - seg_off(h, s) < s->len) {
				out[i] = s->data[off - seg_off(h, s)];
				break;
			}
	}
}
