/*
 * gquic: Google QUIC client hellos. See gquic.h.
 *
 * The layouts followed are Google's "QUIC Wire Layout Specification"
 * (public header, frame types; multi-byte fields big-endian from Q039 on)
 * and "QUIC Crypto" (handshake message format), as tshark's gquic
 * dissector and Suricata's rust/src/quic/ read them.
 */
#include "quic/gquic.h"

#include <string.h>

#include "cursor.h"
#include "quic/varint.h"

/* Public flags (wire layout, "Public Header"). */
#define PF_VERSION  0x01
#define PF_RESET    0x02
#define PF_CID      0x08  /* an 8-byte connection id follows */
#define PF_PN_LEN   0x30  /* 1, 2, 4 or 6 bytes of packet number */
#define PF_MULTIPATH 0x40
#define HDR_LONG    0x80

#define MSG_AUTH_HASH_LEN 12
#define CRYPTO_STREAM     1   /* the handshake's stream */
#define TAG(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define TAG_CHLO TAG('C', 'H', 'L', 'O')
#define TAG_SNI  TAG('S', 'N', 'I', 0)
#define TAG_UAID TAG('U', 'A', 'I', 'D')

bool gquic_version_plain(uint32_t version)
{
	return version >= TAG('Q', '0', '4', '3') && version <= GQUIC_Q046;
}

/* ---- CHLO (QUIC Crypto, "Handshake message format") ------------------------
 *
 *   message tag (4) | entries N (uint16 LE) | padding (2)
 *   N x { tag (4) | end offset (uint32 LE) } | values
 *
 * Value i runs from end offset i-1 (0 for the first) to end offset i, the
 * offsets counted from the start of the values.
 */

static void copy_value(char out[256], const uint8_t *v, uint32_t len)
{
	if (len > 255)
		len = 255;
	memcpy(out, v, len);
	out[len] = '\0';
}

/* A handshake message starting a stream's bytes: a CHLO's facts are kept;
 * another message (a continuation, or not a hello) is left alone. False
 * when a CHLO's entries or values run past its bytes. */
static bool chlo(struct gquic_facts *g, uint32_t version, const uint8_t *p, size_t len)
{
	struct cursor c = cur_make(p, len), values;
	struct gquic_hello *h = NULL;
	uint32_t msg, tag, end, prev = 0;
	uint16_t n, pad, i;
	const uint8_t *v;
	char sni[256];

	if (!cur_u32(&c, &msg) || msg != TAG_CHLO)
		return true;
	if (!cur_u16_le(&c, &n) || !cur_u16_le(&c, &pad) || (size_t)n * 8 > cur_left(&c))
		return false;
	values = cur_make(cur_ptr(&c) + (size_t)n * 8, cur_left(&c) - (size_t)n * 8);
	if (g->n_hellos < GQUIC_MAX_HELLOS)
		h = &g->hello[g->n_hellos];
	for (i = 0; i < n; i++) {
		if (!cur_u32(&c, &tag) || !cur_u32_le(&c, &end) || end < prev ||
		    end > cur_left(&values))
			return false;
		v = cur_ptr(&values) + prev;
		if (tag == TAG_SNI) {
			copy_value(sni, v, end - prev);
			if (g->has_sni && strcmp(sni, g->sni))
				g->sni_changed = true;
			memcpy(g->sni, sni, sizeof(sni));
			g->has_sni = true;
		} else if (tag == TAG_UAID) {
			copy_value(g->ua, v, end - prev);
			g->has_ua = true;
		}
		if (h && h->n_tags < GQUIC_MAX_TAGS)
			h->tags[h->n_tags++] = tag;
		prev = end;
	}
	if (!g->n_hellos)
		g->version = version;
	g->n_hellos++;
	return true;
}

/* ---- frames (wire layout, "Frame Types and Formats") --------------------- */

/* STREAM: 1fdooo ss, then the stream id (ss+1 bytes), the offset (0, or
 * ooo+1 bytes), the data length (2 bytes, when d) and the data (to the end
 * of the packet without d). */
static unsigned stream_frame(struct gquic_facts *g, uint32_t version, uint8_t type,
			     struct cursor *c)
{
	unsigned id_len = (type & 3) + 1u, off_len = (type >> 2) & 7, i;
	uint32_t id = 0;
	uint16_t dlen;
	const uint8_t *data;
	size_t n;
	uint8_t b;

	if (off_len)
		off_len++;
	for (i = 0; i < id_len; i++) {
		if (!cur_u8(c, &b))
			return GQUIC_BAD_FRAME;
		id = id << 8 | b;
	}
	if (!cur_skip(c, off_len))
		return GQUIC_BAD_FRAME;
	if (type & 0x20) {
		if (!cur_u16(c, &dlen))
			return GQUIC_BAD_FRAME;
		n = dlen;
	} else {
		n = cur_left(c);
	}
	if (!cur_bytes(c, &data, n))
		return GQUIC_BAD_FRAME;
	if (id != CRYPTO_STREAM)
		return 0;
	return chlo(g, version, data, n) ? 0 : GQUIC_BAD_FRAME;
}

/* CRYPTO (0x08, Q048 on): offset and length as QUIC varints, then data. */
static unsigned crypto_frame(struct gquic_facts *g, uint32_t version, struct cursor *c)
{
	uint64_t off, n;
	const uint8_t *data;

	if (!quic_varint(c, &off) || !quic_varint(c, &n) || n > cur_left(c) ||
	    !cur_bytes(c, &data, (size_t)n))
		return GQUIC_BAD_FRAME;
	return chlo(g, version, data, (size_t)n) ? 0 : GQUIC_BAD_FRAME;
}

unsigned gquic_frames(struct gquic_facts *g, uint32_t version, const uint8_t *p, size_t len)
{
	struct cursor c = cur_make(p, len);
	uint32_t before = g->n_hellos;
	unsigned r = 0;
	uint8_t type;

	while (!(r & GQUIC_BAD_FRAME) && cur_u8(&c, &type)) {
		if (type & 0x80)
			r |= stream_frame(g, version, type, &c);
		else if (type == 0x08)
			r |= crypto_frame(g, version, &c);
		else if (type != 0x07) /* PING has no body */
			break; /* PADDING fills the rest; ACK and the others
				* carry nothing of the hello: stop */
	}
	if (g->n_hellos != before)
		r |= GQUIC_HELLO;
	return r;
}

/* ---- headers --------------------------------------------------------------- */

/* The packet number's length in a public header: 1, 2, 4 or 6 bytes. */
static size_t pn_len_of(uint8_t flags)
{
	static const uint8_t len[4] = { 1, 2, 4, 6 };

	return len[(flags & PF_PN_LEN) >> 4];
}

/* Q044 and Q045 mark an Initial with the type 0x7f (like IETF drafts before
 * 13), Q046 with IETF's type bits 00. */
static bool long_initial(uint8_t first, uint32_t version)
{
	if (version == GQUIC_Q046)
		return (first & 0x30) == 0;
	return (first & 0x7f) == 0x7f;
}

/*
 * Walks the header of a client packet up to the message authentication
 * hash before its frames, *version set. Public header: flags, connection id (when PF_CID), version,
 * packet number. Long header (Q044-Q046): first byte, version, one byte of
 * two 4-bit connection id lengths (each 0 or 3 less than the length),
 * the ids, the packet number (Q046: the first byte's two low bits + 1
 * bytes; 4 before). False when it is not such a packet or runs short.
 */
static bool header(struct cursor *c, uint32_t *version)
{
	uint8_t first, lens;
	size_t dcil, scil, pn_len;

	if (!cur_u8(c, &first))
		return false;
	if (first & HDR_LONG) {
		if (!cur_u32(c, version) || !gquic_version_plain(*version) ||
		    !long_initial(first, *version) || !cur_u8(c, &lens))
			return false;
		dcil = lens >> 4 ? (lens >> 4) + 3u : 0;
		scil = lens & 15 ? (lens & 15) + 3u : 0;
		pn_len = *version == GQUIC_Q046 ? (first & 3) + 1u : 4;
		return cur_skip(c, dcil + scil) && cur_skip(c, pn_len);
	}
	if (!(first & PF_VERSION) || (first & (PF_RESET | PF_MULTIPATH)))
		return false;
	if ((first & PF_CID) && !cur_skip(c, 8))
		return false;
	return cur_u32(c, version) && gquic_version_plain(*version) &&
	       cur_skip(c, pn_len_of(first));
}

bool gquic_starts_connection(const uint8_t *dgram, size_t len)
{
	struct cursor c = cur_make(dgram, len);
	uint32_t version;

	return header(&c, &version);
}

unsigned gquic_packet(struct gquic_facts *g, const uint8_t *dgram, size_t len,
		      uint32_t *version)
{
	struct cursor c = cur_make(dgram, len);

	*version = 0;
	if (!header(&c, version) || !cur_skip(&c, MSG_AUTH_HASH_LEN))
		return GQUIC_BAD_PKT;
	return gquic_frames(g, *version, cur_ptr(&c), cur_left(&c));
}

bool gquic_cyu_string(uint32_t version, const struct gquic_hello *h, char out[GQUIC_CYU_LEN])
{
	size_t o = 0;
	unsigned i, k;
	char b;

	switch (version) {
	case GQUIC_Q043: memcpy(out, "43,", 3); break;
	case TAG('Q', '0', '4', '4'):
	case TAG('Q', '0', '4', '5'): memcpy(out, "44,", 3); break;
	case GQUIC_Q046: memcpy(out, "46,", 3); break;
	default: return false;
	}
	o = 3;
	for (i = 0; i < h->n_tags; i++) {
		if (i)
			out[o++] = '-';
		for (k = 0; k < 4; k++) {
			b = (char)(h->tags[i] >> (24 - 8 * k));
			if (!b)
				break;
			out[o++] = b;
		}
	}
	out[o] = '\0';
	return true;
}
