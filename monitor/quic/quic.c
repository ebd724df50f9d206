/*
 * quic: long header packets, Initial decryption, frames. See quic.h.
 */
#include "quic/quic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "quic/varint.h"
#include "tls/keylog.h"

#define HDR_LONG   0x80
#define HDR_FIXED  0x40
#define MAX_STACK_PKT 2048

/* quic_session.hs_state: whether the Handshake level can be read. */
enum { HS_UNTRIED, HS_KEYED, HS_NONE };

void quic_session_init(struct quic_session *q)
{
	memset(q, 0, sizeof(*q));
	q->largest_pn[0] = q->largest_pn[1] = -1;
	q->hs_largest_pn[0] = q->hs_largest_pn[1] = -1;
}

void quic_session_free(struct quic_session *q)
{
	quic_crypto_free(&q->crypto[0]);
	quic_crypto_free(&q->crypto[1]);
	quic_crypto_free(&q->hs_crypto[0]);
	quic_crypto_free(&q->hs_crypto[1]);
}

uint64_t quic_take_anomalies(struct quic_session *q)
{
	uint64_t a = q->anomalies;

	q->anomalies = 0;
	return a;
}

static void flag(struct quic_session *q, enum anomaly a)
{
	q->anomalies |= 1ULL << a;
}

void quic_version_str(uint32_t version, char out[9])
{
	if (version == 0x51303339u || gquic_version_plain(version))
		snprintf(out, 9, "%c%c%c%c", (char)(version >> 24), (char)(version >> 16),
			 (char)(version >> 8), (char)version);
	else
		snprintf(out, 9, "%x", version);
}

bool quic_starts_connection(const uint8_t *dgram, size_t len, bool *from_client)
{
	struct cursor c = cur_make(dgram, len);
	uint32_t version;
	uint8_t first;

	if (gquic_starts_connection(dgram, len)) {
		*from_client = true;
		return true;
	}
	if (!cur_u8(&c, &first) || !(first & HDR_LONG) || !cur_u32(&c, &version))
		return false;
	if (version == 0) {
		*from_client = false;
		return true;
	}
	if (!(first & HDR_FIXED) || !quic_version_known(version))
		return false;
	switch (quic_long_type(version, first)) {
	case QUIC_INITIAL:
	case QUIC_0RTT:
		*from_client = true;
		break;
	default:
		*from_client = false;
		break;
	}
	return true;
}

/* ---- keys --------------------------------------------------------------- */

static void set_key_cid(struct quic_session *q, const uint8_t *cid, uint8_t len)
{
	memcpy(q->key_cid, cid, len);
	q->key_cid_len = len;
	q->keyed = false;
}

/* ---- frames (RFC 9000 19) ------------------------------------------------ */

struct deliver_ctx {
	struct tls_session *tls;
	enum tls_dir dir;
	bool handshake;     /* the packet being read is a Handshake packet */
	bool check;         /* frames() only compares CRYPTO data: differs */
	bool differs;
	unsigned ev;
	bool google;        /* T050/T051: Google QUIC's frame types */
};

static void deliver(void *arg, const uint8_t *data, size_t len)
{
	struct deliver_ctx *d = arg;

	if (d->handshake)
		d->ev |= tls_feed_handshake_decrypted(d->tls, d->dir, data, len);
	else
		d->ev |= tls_feed_handshake(d->tls, d->dir, data, len);
}

static void crypto_frame(struct quic_session *q, struct deliver_ctx *d, uint64_t off,
			 const uint8_t *data, size_t len)
{
	unsigned r;

	if (!d->handshake && q->server_hello)
		return; /* the Initial level is over for the observer */
	r = quic_crypto_add(d->handshake ? &q->hs_crypto[d->dir] : &q->crypto[d->dir], off,
			    data, len, deliver, d);
	if (r & QUIC_CRYPTO_DIFFERS)
		flag(q, ANOM_QUIC_CRYPTO_OVERLAP_DIFF);
	if (r & QUIC_CRYPTO_TOO_LONG)
		flag(q, ANOM_QUIC_CRYPTO_TOO_LONG);
}

/* The frames an Initial or Handshake packet may carry (RFC 9000 12.4,
 * table 3): PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE (transport).
 * Anything else, or a frame that runs past the packet, ends the packet with
 * an anomaly. */
static void frames(struct quic_session *q, struct deliver_ctx *d, struct cursor c)
{
	uint64_t type, off, n, count, i, v;
	const uint8_t *data;

	while (cur_left(&c)) {
		if (!quic_varint(&c, &type))
			goto bad;
		/* T050/T051 carry TLS in Google QUIC's frames: CRYPTO is 0x08,
		 * PING 0x07; its other frames (ACK, STOP_WAITING...) are laid
		 * out otherwise and carry no handshake bytes: stop there. */
		if (d->google && type == 0x08)
			type = 0x06;
		else if (d->google && type == 0x07)
			type = 0x01;
		else if (d->google && type != 0x00)
			return;
		switch (type) {
		case 0x00: /* PADDING */
		case 0x01: /* PING */
			break;
		case 0x02: /* ACK: largest, delay, range count, first range, ranges */
		case 0x03: /* ACK with ECN counts */
			if (!quic_varint(&c, &v) || !quic_varint(&c, &v) || !quic_varint(&c, &count) ||
			    !quic_varint(&c, &v) || count > cur_left(&c))
				goto bad;
			for (i = 0; i < count; i++)
				if (!quic_varint(&c, &v) || !quic_varint(&c, &v))
					goto bad;
			if (type == 0x03 && (!quic_varint(&c, &v) || !quic_varint(&c, &v) || !quic_varint(&c, &v)))
				goto bad;
			break;
		case 0x06: /* CRYPTO: offset, length, data */
			if (!quic_varint(&c, &off) || !quic_varint(&c, &n) || n > cur_left(&c) ||
			    !cur_bytes(&c, &data, (size_t)n))
				goto bad;
			if (d->check)
				d->differs |= quic_crypto_differs(&q->crypto[d->dir], off, data,
								  (size_t)n);
			else
				crypto_frame(q, d, off, data, (size_t)n);
			break;
		case 0x1c: /* CONNECTION_CLOSE: error, frame type, reason */
			if (!quic_varint(&c, &v) || !quic_varint(&c, &off) || !quic_varint(&c, &n) ||
			    n > cur_left(&c) || !cur_skip(&c, (size_t)n))
				goto bad;
			if (d->check)
				break;
			q->connection_close[d->dir] = true;
			q->close_error[d->dir] = v;
			break;
		default:
			goto bad;
		}
	}
	return;
bad:
	if (!d->check)
		flag(q, ANOM_QUIC_INVALID_FRAME);
}

/* ---- packets ------------------------------------------------------------ */

/* Opens a copy of the packet with the Initial keys of version and cid: the
 * session's when they are those, else keys derived here, which the session
 * adopts only when they open it (a packet that does not authenticate never
 * changes which keys later packets are tried with). 0 on success. */
static int open_with(struct quic_session *q, enum tls_dir dir, uint32_t version,
		     const uint8_t *cid, uint8_t cid_len, const uint8_t *pkt, size_t pkt_len,
		     size_t pn_off, uint8_t *copy, const uint8_t **payload, size_t *payload_len,
		     uint64_t *pn)
{
	bool same = q->keyed && q->keyed_version == version && cid_len == q->key_cid_len &&
		    !memcmp(cid, q->key_cid, cid_len);
	struct quic_keys k[2];
	int rc;

	if (!same && (quic_initial_keys(version, cid, cid_len, false, &k[TLS_TO_SERVER]) ||
		      quic_initial_keys(version, cid, cid_len, true, &k[TLS_TO_CLIENT])))
		return -1;
	memcpy(copy, pkt, pkt_len);
	rc = quic_unprotect(same ? &q->keys[dir] : &k[dir], copy, pkt_len, pn_off,
			    q->largest_pn[dir], payload, payload_len, pn);
	if (!rc && !same) {
		memcpy(q->keys, k, sizeof(k));
		memmove(q->key_cid, cid, cid_len);
		q->key_cid_len = cid_len;
		q->keyed = true;
		q->keyed_version = version;
	}
	return rc;
}

/* Whether the server's last Version Negotiation offered version (a
 * server discards an Initial of a version it said it does not speak). */
static bool vn_offered(const struct quic_session *q, uint32_t version)
{
	uint8_t i;

	if (!q->n_vn_versions)
		return true;
	for (i = 0; i < q->n_vn_versions; i++)
		if (q->vn_versions[i] == version)
			return true;
	return false;
}

/* The handshake read so far is dropped: reassembly and the TLS facts start
 * over, the caller's TLS session keeping its certificate cache and key log. */
static void forget_handshake(struct quic_session *q, struct tls_session *tls)
{
	struct x509_cache *certs = tls->certs;
	const struct keylog *kl = tls->keylog;

	quic_crypto_free(&q->crypto[0]);
	quic_crypto_free(&q->crypto[1]);
	quic_crypto_free(&q->hs_crypto[0]);
	quic_crypto_free(&q->hs_crypto[1]);
	q->hs_largest_pn[0] = q->hs_largest_pn[1] = -1;
	q->hs_state = HS_UNTRIED;
	q->hs_keyed[0] = q->hs_keyed[1] = false;
	q->server_hello = false;
	tls_session_free(tls);
	tls_session_init(tls, certs);
	tls_session_set_keylog(tls, kl);
}

/*
 * A Version Negotiation or a Retry ended the client's first attempt: the
 * server kept nothing of it (RFC 9000 6.2 and 17.2.5.2), and the client's
 * next Initial, in another version or to another connection id, carries a
 * ClientHello of its own that is the one the server reads. The handshake
 * is read afresh from it.
 */
static void restart(struct quic_session *q, struct tls_session *tls, const uint8_t *dcid,
		    uint8_t dcid_len, const uint8_t *scid, uint8_t scid_len)
{
	forget_handshake(q, tls);
	q->largest_pn[0] = q->largest_pn[1] = -1;
	q->restart_pending = false;
	q->restarts++;
	memcpy(q->dcid, dcid, dcid_len);
	q->dcid_len = dcid_len;
	memcpy(q->scid[TLS_TO_SERVER], scid, scid_len);
	q->scid_len[TLS_TO_SERVER] = scid_len;
	q->scid_len[TLS_TO_CLIENT] = 0;
}

/*
 * An authenticated client Initial whose CRYPTO bytes disagree with those
 * read before, while the server has not answered: which one the server
 * keeps cannot be known here (the first may have been a fake it discarded:
 * a bad checksum, a TTL that ran out, another connection id), so both are
 * judged. The new hello is read afresh (the policy keeps what the first
 * one failed, RFC 9000 has a server keep the first copy at an offset), and
 * the disagreement is an anomaly the evasion setting answers.
 */
static void another_hello(struct quic_session *q, struct tls_session *tls)
{
	flag(q, ANOM_QUIC_CRYPTO_OVERLAP_DIFF);
	forget_handshake(q, tls);
	q->hellos_replaced++;
}

/* What reading a client's gQUIC frames gave (gquic.h's bits): the
 * milestone, anomalies, and a CHLO that named another server than the one
 * before, which is judged afresh as a replaced IETF hello is. */
static void gquic_read(struct quic_session *q, struct deliver_ctx *d, unsigned r)
{
	if (r & GQUIC_BAD_PKT)
		flag(q, ANOM_QUIC_INVALID_PACKET);
	if (r & GQUIC_BAD_FRAME)
		flag(q, ANOM_QUIC_INVALID_FRAME);
	if (!(r & GQUIC_HELLO))
		return;
	d->ev |= QUIC_EV_GQUIC_HELLO;
	if (q->gquic.sni_changed) {
		q->gquic.sni_changed = false;
		flag(q, ANOM_QUIC_CRYPTO_OVERLAP_DIFF);
		q->hellos_replaced++;
	}
}

/*
 * Decrypts one Initial packet (pkt_len bytes at pkt, packet number at
 * pn_off) and reads its frames. The keys come from the client's first
 * Destination CID (or a Retry's Source CID); a client packet they do not
 * open is tried once with keys from its own Destination CID, which is how a
 * capture that starts after the first Initial, a new attempt after a
 * Version Negotiation, or a 5-tuple reused by a new connection, is read.
 */
static void initial_packet(struct quic_session *q, struct deliver_ctx *d, uint32_t version,
			   const uint8_t *pkt, size_t pkt_len, size_t pn_off,
			   const uint8_t *dcid, uint8_t dcid_len, const uint8_t *scid,
			   uint8_t scid_len)
{
	uint8_t stack[MAX_STACK_PKT], *copy;
	const uint8_t *payload, *kc = q->key_cid;
	uint8_t kl = q->key_cid_len;
	size_t payload_len;
	uint64_t pn;
	int rc;

	if (d->dir == TLS_TO_SERVER && !vn_offered(q, version))
		return; /* the server refused this version: not its connection */
	copy = pkt_len <= sizeof(stack) ? stack : malloc(pkt_len);
	if (!copy)
		return;
	if (!kl && d->dir == TLS_TO_SERVER) {
		kc = dcid;
		kl = dcid_len;
	}
	rc = open_with(q, d->dir, version, kc, kl, pkt, pkt_len, pn_off, copy, &payload,
		       &payload_len, &pn);
	if (rc && d->dir == TLS_TO_SERVER && (dcid_len != kl || memcmp(dcid, kc, dcid_len)))
		rc = open_with(q, d->dir, version, dcid, dcid_len, pkt, pkt_len, pn_off, copy,
			       &payload, &payload_len, &pn);
	if (rc) {
		q->undecryptable[d->dir]++;
		flag(q, ANOM_QUIC_FAILED_DECRYPT);
		goto out;
	}
	d->google = version == GQUIC_T050 || version == GQUIC_T051;
	if (d->dir == TLS_TO_SERVER && q->restart_pending && q->initial[TLS_TO_SERVER])
		restart(q, d->tls, dcid, dcid_len, scid, scid_len);
	if (d->dir == TLS_TO_SERVER && !q->server_hello && q->crypto[TLS_TO_SERVER].cap) {
		d->check = true;
		d->differs = false;
		frames(q, d, cur_make(payload, payload_len));
		d->check = false;
		if (d->differs)
			another_hello(q, d->tls);
	}
	q->initial[d->dir]++;
	q->version = version;
	if (d->dir == TLS_TO_SERVER && !q->dcid_len) {
		memcpy(q->dcid, dcid, dcid_len);
		q->dcid_len = dcid_len;
	}
	if ((int64_t)pn > q->largest_pn[d->dir])
		q->largest_pn[d->dir] = (int64_t)pn;
	if (version != GQUIC_Q050)
		frames(q, d, cur_make(payload, payload_len));
	else if (d->dir == TLS_TO_SERVER)
		gquic_read(q, d, gquic_frames(&q->gquic, version, payload, payload_len));
out:
	if (copy != stack)
		free(copy);
}

/*
 * Whether the Handshake level can be opened: keys derived, on first use
 * after the ServerHello (the suite is known then), from the handshake
 * traffic secrets the key log holds for the ClientHello's random (RFC 9001
 * 5.1). A secret that gives no keys (a suite not supported here, a wrong
 * length) marks the session's keys as failed.
 */
static bool hs_keys(struct quic_session *q, struct tls_session *tls)
{
	struct keylog_entry k;
	const struct keylog_secret *sec;
	int dir;

	if (q->hs_state != HS_UNTRIED)
		return q->hs_state == HS_KEYED;
	if (!tls->keylog || !tls->n_client_hellos || !q->server_hello || tls->version != 0x0304)
		return false;
	q->hs_state = HS_NONE;
	if (!keylog_find(tls->keylog, tls->client_hello[0].random, &k))
		return false;
	for (dir = 0; dir < 2; dir++) {
		sec = dir == TLS_TO_SERVER ? &k.client_hs : &k.server_hs;
		if (!sec->len)
			continue;
		if (quic_secret_keys(q->version, tls->suite, sec->b, sec->len, &q->hs_keys[dir])) {
			flag(q, ANOM_TLS_DECRYPT_FAILED);
			tls->keys = TLS_KEYS_FAILED;
			q->hs_keyed[0] = q->hs_keyed[1] = false;
			return false;
		}
		q->hs_keyed[dir] = true;
	}
	if (!q->hs_keyed[0] && !q->hs_keyed[1])
		return false;
	q->hs_state = HS_KEYED;
	return true;
}

/* Opens one Handshake packet with the key log's keys and reads its frames
 * (pkt, pkt_len and pn_off as for initial_packet()). A packet that does
 * not open is counted as an anomaly; if the server's first one does not,
 * the secrets are not this connection's and the session's keys failed. */
static void handshake_packet(struct quic_session *q, struct deliver_ctx *d,
			     const uint8_t *pkt, size_t pkt_len, size_t pn_off)
{
	uint8_t stack[MAX_STACK_PKT], *copy;
	const uint8_t *payload;
	size_t payload_len;
	uint64_t pn;

	if (!hs_keys(q, d->tls) || !q->hs_keyed[d->dir])
		return;
	copy = pkt_len <= sizeof(stack) ? stack : malloc(pkt_len);
	if (!copy)
		return;
	memcpy(copy, pkt, pkt_len);
	if (quic_unprotect(&q->hs_keys[d->dir], copy, pkt_len, pn_off, q->hs_largest_pn[d->dir],
			   &payload, &payload_len, &pn)) {
		flag(q, ANOM_QUIC_FAILED_DECRYPT);
		if (!q->handshake_decrypted[d->dir] && d->dir == TLS_TO_CLIENT) {
			flag(q, ANOM_TLS_DECRYPT_FAILED);
			d->tls->keys = TLS_KEYS_FAILED;
			q->hs_state = HS_NONE;
		}
		goto out;
	}
	q->handshake_decrypted[d->dir]++;
	if ((int64_t)pn > q->hs_largest_pn[d->dir])
		q->hs_largest_pn[d->dir] = (int64_t)pn;
	d->handshake = true;
	frames(q, d, cur_make(payload, payload_len));
	d->handshake = false;
out:
	if (copy != stack)
		free(copy);
}

/* One long header packet at the start of c (RFC 9000 17.2); advances c past
 * it. False when the rest of the datagram cannot be read. */
static bool long_packet(struct quic_session *q, struct deliver_ctx *d, struct cursor *c)
{
	const uint8_t *start = cur_ptr(c), *dcid, *scid;
	uint8_t first, dcid_len, scid_len;
	uint64_t token_len, length;
	struct cursor hdr = *c;
	uint32_t version, v;
	size_t pn_off;

	if (!cur_u8(&hdr, &first) || !cur_u32(&hdr, &version) ||
	    !cur_u8(&hdr, &dcid_len) || !cur_bytes(&hdr, &dcid, dcid_len) ||
	    !cur_u8(&hdr, &scid_len) || !cur_bytes(&hdr, &scid, scid_len))
		goto bad;
	if (!q->first_version)
		q->first_version = version;
	if (version == 0) {
		/* Version Negotiation (RFC 9000 17.2.1): the rest is versions. */
		q->version_negotiation++;
		if (d->dir == TLS_TO_CLIENT)
			q->restart_pending = true;
		q->n_vn_versions = 0;
		while (cur_u32(&hdr, &v))
			if (q->n_vn_versions < QUIC_MAX_VN_VERSIONS)
				q->vn_versions[q->n_vn_versions++] = v;
		*c = cur_make(NULL, 0);
		return true;
	}
	if (!quic_version_known(version)) {
		/* Another version's packets have another layout: stop here. */
		*c = cur_make(NULL, 0);
		return false;
	}
	if (dcid_len > QUIC_MAX_CID || scid_len > QUIC_MAX_CID)
		goto bad;
	if (!q->scid_len[d->dir] && scid_len) {
		memcpy(q->scid[d->dir], scid, scid_len);
		q->scid_len[d->dir] = scid_len;
	}
	switch (quic_long_type(version, first)) {
	case QUIC_RETRY:
		/* RFC 9000 17.2.5: token and integrity tag fill the datagram.
		 * The client's next Initial goes to the Retry's Source CID,
		 * and its keys come from that CID (RFC 9001 5.2). */
		q->retry++;
		if (d->dir == TLS_TO_CLIENT) {
			set_key_cid(q, scid, scid_len);
			q->restart_pending = true;
		}
		*c = cur_make(NULL, 0);
		return true;
	case QUIC_INITIAL:
		if (!quic_varint(&hdr, &token_len) || token_len > cur_left(&hdr) ||
		    !cur_skip(&hdr, (size_t)token_len))
			goto bad;
		break;
	default:
		break;
	}
	if (!quic_varint(&hdr, &length) || length > cur_left(&hdr))
		goto bad;
	pn_off = (size_t)(cur_ptr(&hdr) - start);
	switch (quic_long_type(version, first)) {
	case QUIC_INITIAL:
		initial_packet(q, d, version, start, pn_off + (size_t)length, pn_off, dcid, dcid_len,
			       scid, scid_len);
		break;
	case QUIC_HANDSHAKE:
		q->handshake[d->dir]++;
		handshake_packet(q, d, start, pn_off + (size_t)length, pn_off);
		break;
	default:
		q->zero_rtt++;
		break;
	}
	cur_skip(c, pn_off + (size_t)length);
	return true;
bad:
	flag(q, ANOM_QUIC_INVALID_PACKET);
	return false;
}

/* RFC 9000 12.2: long header packets may be coalesced; a short header
 * packet can only be the last; senders may pad the datagram with zeros
 * after the last packet. */
static void packets(struct quic_session *q, struct deliver_ctx *d, struct cursor c)
{
	uint8_t first;

	while (cur_peek_u8(&c, 0, &first)) {
		if (!(first & HDR_LONG)) {
			if (first & HDR_FIXED)
				q->short_hdr[d->dir]++;
			break;
		}
		if (!long_packet(q, d, &c))
			break;
		if ((d->ev & TLS_EV_SERVER_HELLO) && !q->server_hello) {
			/* The rest of the handshake is in Handshake packets,
			 * the next of them maybe in this datagram. */
			q->server_hello = true;
			d->tls->encrypted[0] = d->tls->encrypted[1] = true;
			quic_crypto_free(&q->crypto[0]);
			quic_crypto_free(&q->crypto[1]);
		}
	}
}

unsigned quic_feed(struct quic_session *q, struct tls_session *tls, enum tls_dir dir,
		   const uint8_t *dgram, size_t len)
{
	struct deliver_ctx d = { .tls = tls, .dir = dir };
	uint32_t version;

	if (q->gquic.n_hellos && dir == TLS_TO_CLIENT)
		q->server_hello = true; /* QUIC Crypto: encrypted from here on */
	if (dir == TLS_TO_SERVER && gquic_starts_connection(dgram, len)) {
		/* Q043-Q046: one packet per datagram, its CHLO in the clear */
		gquic_read(q, &d, gquic_packet(&q->gquic, dgram, len, &version));
		if (!q->first_version)
			q->first_version = version;
	} else {
		packets(q, &d, cur_make(dgram, len));
	}
	/* Encrypted for the observer: at the ServerHello without the key
	 * log's secrets; with them once the server's flight was read, or
	 * did not open. */
	if (q->server_hello && !(tls->events & TLS_EV_ENCRYPTED) &&
	    (!hs_keys(q, tls) || tls->decrypted[TLS_TO_CLIENT])) {
		d.ev |= TLS_EV_ENCRYPTED;
		tls->events |= TLS_EV_ENCRYPTED;
	}
	return d.ev;
}
