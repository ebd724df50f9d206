/* audit_wire: frame codec of the audit channel; layout in audit_wire.h. */
#include "audit_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

bool aw_get_u64(struct cursor *c, uint64_t *out)
{
	uint32_t hi, lo;
	struct cursor save = *c;

	if (!cur_u32(c, &hi) || !cur_u32(c, &lo)) {
		*c = save;
		return false;
	}
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

int aw_frame_next(struct cursor *in, struct aw_frame *f)
{
	struct cursor c = *in;
	uint16_t magic;
	uint8_t version, type;
	uint32_t len;

	if (cur_left(&c) < AW_HEADER_LEN)
		return 0;
	if (!cur_u16(&c, &magic) || !cur_u8(&c, &version) ||
	    !cur_u8(&c, &type) || !cur_u32(&c, &len))
		return 0;
	if (magic != AW_MAGIC || version != AW_VERSION ||
	    type < AW_HELLO || type > AW_STATS)
		return -EPROTO;
	if (len > AW_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (!cur_sub(&c, &f->payload, len))
		return 0;
	f->type = type;
	*in = c;
	return 1;
}

/* Copies a vec16 string, refusing NULs and lengths over AW_MAX_NAME. */
static bool get_name(struct cursor *c, char out[static AW_MAX_NAME + 1])
{
	struct cursor s;
	size_t n;

	if (!cur_vec16(c, &s) || cur_left(&s) > AW_MAX_NAME)
		return false;
	n = cur_left(&s);
	if (!cur_copy(&s, out, n))
		return false;
	out[n] = '\0';
	return strlen(out) == n;
}

bool aw_decode_hello(struct cursor c, struct aw_hello *h)
{
	if (!aw_get_u64(&c, &h->stream) || !aw_get_u64(&c, &h->first_held) ||
	    !aw_get_u64(&c, &h->last_held) || !get_name(&c, h->name))
		return false;
	h->revision = 1;
	h->kind = AW_KIND_AUDIT;
	if (cur_left(&c) == 0)
		return true;
	/* revision 2 and later: revision, kind (a later revision may add more) */
	return cur_u8(&c, &h->revision) && cur_u8(&c, &h->kind) && h->revision >= 2 &&
	       (h->revision > 2 || cur_left(&c) == 0);
}

bool aw_decode_welcome(struct cursor c, struct aw_welcome *w)
{
	return aw_get_u64(&c, &w->stream) && aw_get_u64(&c, &w->committed) &&
	       cur_u32(&c, &w->window) && cur_left(&c) == 0;
}

bool aw_decode_package(struct cursor c, struct aw_package *p)
{
	if (!aw_get_u64(&c, &p->seq) || !cur_u8(&c, &p->flags) ||
	    !cur_u32(&c, &p->n_events) || !cur_u32(&c, &p->raw_len))
		return false;
	if (p->flags & ~AW_PKG_ZLIB || p->seq == 0 || p->raw_len > AW_MAX_RAW)
		return false;
	/* Each event takes at least its 4-byte length. */
	if (p->n_events > p->raw_len / 4)
		return false;
	if (!(p->flags & AW_PKG_ZLIB) && cur_left(&c) != p->raw_len)
		return false;
	p->data = c;
	return true;
}

bool aw_decode_ack(struct cursor c, uint64_t *seq)
{
	return aw_get_u64(&c, seq) && cur_left(&c) == 0;
}

bool aw_decode_error(struct cursor c, struct aw_error *e)
{
	return cur_u16(&c, &e->code) && get_name(&c, e->text) &&
	       cur_left(&c) == 0;
}

bool aw_decode_stats(struct cursor c, struct aw_stats *s)
{
	return aw_get_u64(&c, &s->kernel_lost) &&
	       cur_u32(&c, &s->kernel_backlog) &&
	       aw_get_u64(&c, &s->spool_dropped_packages) &&
	       aw_get_u64(&c, &s->spool_dropped_events) &&
	       aw_get_u64(&c, &s->events_total) && cur_left(&c) == 0;
}

int aw_body_next(struct cursor *body, const uint8_t **ev, size_t *len)
{
	struct cursor c = *body;
	uint32_t n;

	if (cur_left(&c) == 0)
		return 0;
	if (!cur_u32(&c, &n) || n > AW_MAX_EVENT || !cur_bytes(&c, ev, n))
		return -EPROTO;
	*len = n;
	*body = c;
	return 1;
}

int aw_body_check(const uint8_t *body, size_t len, uint64_t seq, uint32_t n_events,
		  char *err, size_t errsz)
{
	struct cursor c = cur_make(body, len);
	const uint8_t *ev;
	size_t evlen;
	uint32_t n = 0;
	int rc;

	while ((rc = aw_body_next(&c, &ev, &evlen)) == 1)
		n++;
	if (rc == 0 && n == n_events)
		return 0;
	snprintf(err, errsz, "package %llu: body holds %u events, header says %u",
		 (unsigned long long)seq, n, n_events);
	return -EPROTO;
}

int aw_package_body(const struct aw_package *p, struct buf *out)
{
	z_stream z;
	int rc, ret = -EPROTO;

	buf_reset(out);
	if (!(p->flags & AW_PKG_ZLIB)) {
		buf_put(out, cur_ptr(&p->data), cur_left(&p->data));
		return out->oom ? -ENOMEM : 0;
	}
	if (p->raw_len == 0 || !buf_reserve(out, p->raw_len))
		return p->raw_len == 0 ? -EPROTO : -ENOMEM;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)cur_ptr(&p->data);
	z.avail_in = (uInt)cur_left(&p->data);
	z.next_out = (Bytef *)out->data;
	z.avail_out = p->raw_len;
	rc = inflate(&z, Z_FINISH);
	/* Exactly raw_len bytes, and the whole input consumed. */
	if (rc == Z_STREAM_END && z.avail_out == 0 && z.avail_in == 0) {
		out->len = p->raw_len;
		ret = 0;
	}
	inflateEnd(&z);
	return ret;
}

void aw_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_put(b, x, 4);
}

void aw_put_u64(struct buf *b, uint64_t v)
{
	aw_put_u32(b, (uint32_t)(v >> 32));
	aw_put_u32(b, (uint32_t)v);
}

static void put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v };

	buf_put(b, x, 2);
}

static void put_name(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > AW_MAX_NAME)
		n = AW_MAX_NAME;
	put_u16(b, (uint16_t)n);
	buf_put(b, s, n);
}

static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return n > AW_MAX_NAME ? AW_MAX_NAME : n;
}

void aw_put_header(struct buf *b, enum aw_type type, uint32_t len)
{
	put_u16(b, AW_MAGIC);
	buf_putc(b, AW_VERSION);
	buf_putc(b, (char)type);
	aw_put_u32(b, len);
}

void aw_put_hello(struct buf *b, const struct aw_hello *h)
{
	aw_put_header(b, AW_HELLO, (uint32_t)(28 + name_len(h->name)));
	aw_put_u64(b, h->stream);
	aw_put_u64(b, h->first_held);
	aw_put_u64(b, h->last_held);
	put_name(b, h->name);
	buf_putc(b, AW_REVISION);
	buf_putc(b, (char)(h->kind ? h->kind : AW_KIND_AUDIT));
}

void aw_put_welcome(struct buf *b, const struct aw_welcome *w)
{
	aw_put_header(b, AW_WELCOME, 20);
	aw_put_u64(b, w->stream);
	aw_put_u64(b, w->committed);
	aw_put_u32(b, w->window);
}

void aw_put_ack(struct buf *b, uint64_t seq)
{
	aw_put_header(b, AW_ACK, 8);
	aw_put_u64(b, seq);
}

void aw_put_error(struct buf *b, uint16_t code, const char *text)
{
	aw_put_header(b, AW_ERROR, (uint32_t)(4 + name_len(text)));
	put_u16(b, code);
	put_name(b, text);
}

void aw_put_heartbeat(struct buf *b)
{
	aw_put_header(b, AW_HEARTBEAT, 0);
}

void aw_put_stats(struct buf *b, const struct aw_stats *s)
{
	aw_put_header(b, AW_STATS, 36);
	aw_put_u64(b, s->kernel_lost);
	aw_put_u32(b, s->kernel_backlog);
	aw_put_u64(b, s->spool_dropped_packages);
	aw_put_u64(b, s->spool_dropped_events);
	aw_put_u64(b, s->events_total);
}

void aw_put_package_head(struct buf *b, uint64_t seq, uint8_t flags,
			 uint32_t n_events, uint32_t raw_len)
{
	aw_put_u64(b, seq);
	buf_putc(b, (char)flags);
	aw_put_u32(b, n_events);
	aw_put_u32(b, raw_len);
}

void aw_put_event(struct buf *body, const char *ev, size_t len)
{
	if (len > AW_MAX_EVENT)
		len = AW_MAX_EVENT;
	aw_put_u32(body, (uint32_t)len);
	buf_put(body, ev, len);
}

int aw_build_package(struct buf *out, uint64_t seq, uint32_t n_events,
		     const struct buf *body)
{
	uLongf zlen;
	size_t at;

	if (body->len > AW_MAX_RAW)
		return -EMSGSIZE;
	buf_reset(out);
	zlen = compressBound((uLong)body->len);
	if (body->len >= 512 && buf_reserve(out, AW_PACKAGE_FIXED + zlen)) {
		at = AW_PACKAGE_FIXED;
		if (compress2((Bytef *)out->data + at, &zlen,
			      (const Bytef *)body->data, (uLong)body->len,
			      Z_BEST_SPEED) == Z_OK &&
		    zlen <= body->len - body->len / 8) {
			aw_put_package_head(out, seq, AW_PKG_ZLIB, n_events,
					    (uint32_t)body->len);
			out->len = at + zlen;
			return out->oom ? -ENOMEM : 0;
		}
	}
	buf_reset(out);
	aw_put_package_head(out, seq, 0, n_events, (uint32_t)body->len);
	buf_put(out, body->data, body->len);
	return out->oom ? -ENOMEM : 0;
}
