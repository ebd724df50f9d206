/*
 * fuzz_quic: the QUIC decoder fed one connection's datagrams.
 *
 * Input: mode u8 (the version of built packets: bit 0 v2, bit 1 Google's
 * Q050, whose frames hold QUIC Crypto CHLOs, bit 2 T051; else v1), then
 * datagrams: u16 header (bit 15: 0 client to server, 1 server to client;
 * bit 14: build; bits 0-13: length), then that many bytes (a short last one
 * takes what is left). A plain datagram goes to quic_feed() as it is. A
 * built one is taken as the plaintext frames of an Initial packet, which the
 * harness wraps in a long header and protects with the Initial keys of a
 * fixed connection id (that of RFC 9001 A.1), so that random bytes reach
 * the frame parser, CRYPTO reassembly and the TLS parser past the AEAD
 * check they would otherwise never pass.
 *
 * Plain datagrams reach Google QUIC's Q043-Q046 CHLO reader too.
 *
 * Checked: each milestone is reported once (a gQUIC CHLO may come again),
 * but for a handshake read afresh (a Retry or Version Negotiation restart,
 * or a client Initial whose hello disagrees with the one before: both are
 * judged, and the second one's milestones come again);
 * the counters stay within their arrays; memory is released (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quic/quic.h"
#include "fuzz_check.h"
#include "../unit/quicbuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t cid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[0x4000 + 64];
	struct quic_session q;
	struct tls_session s;
	uint32_t version, pn[2] = { 0, 0 };
	unsigned seen = 0, ev, afresh;
	size_t off = 1;

	if (size < 1)
		return 0;
	version = (data[0] & 2) ? GQUIC_Q050 : (data[0] & 4) ? GQUIC_T051 :
		  (data[0] & 1) ? QUIC_V2 : QUIC_V1;
	quic_session_init(&q);
	tls_session_init(&s, NULL);
	while (off + 2 <= size) {
		uint16_t h = (uint16_t)(data[off] << 8 | data[off + 1]);
		enum tls_dir dir = (h & 0x8000) ? TLS_TO_CLIENT : TLS_TO_SERVER;
		size_t len = h & 0x3fff, n;

		off += 2;
		if (len > size - off)
			len = size - off;
		afresh = q.restarts + q.hellos_replaced;
		if (h & 0x4000) {
			n = qb_initial(pkt, version, dir == TLS_TO_CLIENT, cid, sizeof(cid), pn[dir]++,
				       data + off, len, 20);
			ev = n ? quic_feed(&q, &s, dir, pkt, n) : 0;
		} else {
			ev = quic_feed(&q, &s, dir, data + off, len);
		}
		ev &= ~QUIC_EV_GQUIC_HELLO;
		if (q.restarts + q.hellos_replaced != afresh)
			seen = 0;
		FUZZ_CHECK((ev & seen) == 0, "milestones %#x reported again", ev & seen);
		seen |= ev;
		off += len;
	}
	(void)quic_take_anomalies(&q);
	(void)tls_take_anomalies(&s);
	FUZZ_CHECK(q.n_vn_versions <= QUIC_MAX_VN_VERSIONS, "%u versions", (unsigned)q.n_vn_versions);
	FUZZ_CHECK(q.dcid_len <= QUIC_MAX_CID && q.scid_len[0] <= QUIC_MAX_CID &&
		   q.scid_len[1] <= QUIC_MAX_CID, "connection ids of %u, %u, %u bytes",
		   (unsigned)q.dcid_len, (unsigned)q.scid_len[0], (unsigned)q.scid_len[1]);
	FUZZ_CHECK(s.n_client_hellos <= TLS_MAX_HELLOS, "%u ClientHellos", (unsigned)s.n_client_hellos);
	FUZZ_CHECK(q.crypto[0].delivered <= QUIC_CRYPTO_MAX && q.crypto[1].delivered <= QUIC_CRYPTO_MAX,
		   "CRYPTO streams of %u and %u bytes", (unsigned)q.crypto[0].delivered,
		   (unsigned)q.crypto[1].delivered);
	FUZZ_CHECK(memchr(q.gquic.sni, 0, sizeof(q.gquic.sni)) &&
		   memchr(q.gquic.ua, 0, sizeof(q.gquic.ua)), "SNI or UAID not NUL-terminated");
	for (unsigned i = 0; i < q.gquic.n_hellos && i < GQUIC_MAX_HELLOS; i++)
		FUZZ_CHECK(q.gquic.hello[i].n_tags <= GQUIC_MAX_TAGS, "%u tags",
			   (unsigned)q.gquic.hello[i].n_tags);
	quic_session_free(&q);
	tls_session_free(&s);
	return 0;
}
