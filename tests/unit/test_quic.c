/*
 * quic: Initial keys and packet protection against the samples of RFC 9001
 * Appendix A (tests/unit/data/quic) and RFC 9369 Appendix A; the packet
 * walker and CRYPTO reassembly on packets built here with those keys.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "quic/crypto.h"
#include "quic/initial.h"
#include "quic/quic.h"
#include "tls/fingerprint.h"
#include "tls/keylog.h"
#include "tls/tls.h"
#include "hexfile.h"
#include "quicbuild.h"

#define DATA "tests/unit/data/quic/"

static const uint8_t rfc_dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

static void expect_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[64];

	cr_assert_eq(hex_decode(want, w, sizeof(w)), n);
	cr_expect(memcmp(got, w, n) == 0, "bytes differ from %s", want);
}

/* The client's and the server's Initial keys of version for the RFC's DCID:
 * want holds the client's key, IV and header protection key, then the
 * server's. */
static void expect_initial_keys(uint32_t version, const char *const want[6])
{
	struct quic_keys k[2];
	int server;

	for (server = 0; server < 2; server++) {
		cr_assert_eq(quic_initial_keys(version, rfc_dcid, 8, server, &k[server]), 0);
		expect_hex(k[server].key, 16, want[3 * server]);
		expect_hex(k[server].iv, 12, want[3 * server + 1]);
		expect_hex(k[server].hp, 16, want[3 * server + 2]);
	}
}

Test(quic_initial, rfc9001_a1_keys)
{
	static const char *const want[6] = {
		"1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
		"9f50449e04a0e810283a1e9933adedd2", "cf3a5331653c364c88f0f379b6067e37",
		"0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314",
	};

	expect_initial_keys(QUIC_V1, want);
}

Test(quic_initial, rfc9369_a1_keys)
{
	static const char *const want[6] = {
		"8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
		"45b95e15235d6f45a6b19cbcb0294ba9", "82db637861d55e1d011f19ea71d5d2a7",
		"dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a",
	};

	expect_initial_keys(QUIC_V2, want);
}

Test(quic_initial, versions_and_types)
{
	struct quic_keys k;
	uint8_t cid[21] = { 0 };

	cr_expect(quic_version_known(QUIC_V1));
	cr_expect(quic_version_known(QUIC_V2));
	cr_expect(quic_version_known(0xff00001du));  /* draft-29 */
	cr_expect(quic_version_known(0xff00001bu));  /* draft-27 */
	cr_expect(quic_version_known(0xff000022u));  /* draft-34 */
	cr_expect(!quic_version_known(0xff000016u)); /* draft-22: other salt */
	cr_expect(quic_version_known(0x51303530u));  /* Google Q050, T050, T051 */
	cr_expect(quic_version_known(0x54303530u));
	cr_expect(quic_version_known(0x54303531u));
	cr_expect(!quic_version_known(0x51303436u)); /* Q046: not protected */
	cr_expect(!quic_version_known(0));
	cr_expect_eq(quic_initial_keys(0x51303436u, cid, 8, false, &k), -EINVAL);
	cr_expect_eq(quic_initial_keys(QUIC_V1, cid, 21, false, &k), -EINVAL);
	/* RFC 9000 17.2 table 5, RFC 9369 3.2 */
	cr_expect_eq(quic_long_type(QUIC_V1, 0xc3), QUIC_INITIAL);
	cr_expect_eq(quic_long_type(QUIC_V1, 0xe0), QUIC_HANDSHAKE);
	cr_expect_eq(quic_long_type(QUIC_V1, 0xf0), QUIC_RETRY);
	cr_expect_eq(quic_long_type(QUIC_V2, 0xd3), QUIC_INITIAL);
	cr_expect_eq(quic_long_type(QUIC_V2, 0xc0), QUIC_RETRY);
	cr_expect_eq(quic_long_type(QUIC_V2, 0xf0), QUIC_HANDSHAKE);
	cr_expect_eq(quic_long_type_bits(QUIC_V2, QUIC_INITIAL), 0x10);
	cr_expect_eq(quic_long_type_bits(QUIC_V1, QUIC_HANDSHAKE), 0x20);
}

/* A.2: pn_off 18 (header 0xc3, version, 8-byte DCID, empty SCID, no
 * token, 2-byte Length 0x449e), packet number 2, 1162 bytes of plaintext:
 * a CRYPTO frame with the ClientHello, then PADDING. */
Test(quic_initial, rfc9001_a2_client_initial)
{
	uint8_t pkt[1200], copy[1200];
	const uint8_t *payload;
	size_t n = hex_load(DATA "rfc9001-a2-client-initial.hex", pkt, sizeof(pkt)), len, i;
	struct quic_keys c, s;
	uint64_t pn;

	cr_assert_eq(n, 1200);
	cr_assert_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, false, &c), 0);
	cr_assert_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, true, &s), 0);
	memcpy(copy, pkt, n);
	cr_assert_eq(quic_unprotect(&s, copy, n, 18, -1, &payload, &len, &pn), -EBADMSG,
		     "the server's keys do not open the client's packet");
	memcpy(copy, pkt, n);
	cr_assert_eq(quic_unprotect(&c, copy, n, 18, -1, &payload, &len, &pn), 0);
	cr_expect_eq(pn, 2);
	cr_expect_eq(len, 1162);
	expect_hex(copy, 22, "c300000001088394c8f03e5157080000449e00000002");
	expect_hex(payload, 8, "060040f1010000ed");
	for (i = 4 + 241; i < len; i++)
		cr_assert_eq(payload[i], 0, "PADDING after the CRYPTO frame");
	/* Protecting the plaintext again gives the RFC's bytes exactly. */
	cr_assert_eq(quic_protect(&c, copy, n, 18, 2), 0);
	cr_expect(memcmp(copy, pkt, n) == 0, "quic_protect differs from RFC 9001 A.2");
	/* A flipped ciphertext bit fails authentication; a packet too
	 * short to sample is refused. */
	memcpy(copy, pkt, n);
	copy[100] ^= 1;
	cr_expect_eq(quic_unprotect(&c, copy, n, 18, -1, &payload, &len, &pn), -EBADMSG);
	memcpy(copy, pkt, n);
	cr_expect_eq(quic_unprotect(&c, copy, 30, 18, -1, &payload, &len, &pn), -EBADMSG);
}

/* A.3: pn_off 18 (empty DCID, 8-byte SCID), a 2-byte packet number 1, ACK then CRYPTO. */
Test(quic_initial, rfc9001_a3_server_initial)
{
	uint8_t pkt[256];
	const uint8_t *payload;
	size_t n = hex_load(DATA "rfc9001-a3-server-initial.hex", pkt, sizeof(pkt)), len;
	struct quic_keys s;
	uint64_t pn;

	cr_assert_eq(n, 135);
	cr_assert_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, true, &s), 0);
	cr_assert_eq(quic_unprotect(&s, pkt, n, 18, -1, &payload, &len, &pn), 0);
	cr_expect_eq(pn, 1);
	expect_hex(payload, 15, "02000000000600405a020000560303");
}

/* ---- the session ---------------------------------------------------------- */

static unsigned feed_file(struct quic_session *q, struct tls_session *tls, enum tls_dir dir,
			  const char *name)
{
	uint8_t pkt[1500];
	size_t n = hex_load(name, pkt, sizeof(pkt));

	return quic_feed(q, tls, dir, pkt, n);
}

Test(quic_session, rfc9001_handshake)
{
	struct quic_session q;
	struct tls_session tls;
	char ja4[FP_JA4_LEN];
	unsigned ev;

	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	ev = feed_file(&q, &tls, TLS_TO_SERVER, DATA "rfc9001-a2-client-initial.hex");
	cr_expect_eq(ev, TLS_EV_CLIENT_HELLO);
	cr_assert_eq(tls.n_client_hellos, 1);
	cr_expect_str_eq(tls.client_hello[0].sni, "example.com");
	cr_expect(tls.quic);
	cr_expect_eq(q.version, QUIC_V1);
	cr_expect_eq(q.dcid_len, 8);
	cr_expect_eq(q.initial[TLS_TO_SERVER], 1);
	cr_assert(fp_ja4(&tls.client_hello[0], tls.quic, ja4));
	cr_expect_eq(ja4[0], 'q', "%s", ja4);
	ev = feed_file(&q, &tls, TLS_TO_CLIENT, DATA "rfc9001-a3-server-initial.hex");
	/* TLS 1.3: the server's flight goes on encrypted (tls.c reports its
	 * SERVER_DONE at the ServerHello), so does QUIC's */
	cr_expect_eq(ev, TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED, "ev %#x", ev);
	cr_expect_eq(tls.version, 0x0304);
	cr_expect_eq(tls.suite, 0x1301);
	cr_expect(q.server_hello);
	cr_expect_eq(q.scid_len[TLS_TO_CLIENT], 8);
	cr_expect_eq(quic_take_anomalies(&q), 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}

/* A key log that holds the session's secrets, and no Handshake packet to
 * open with them: the session must not claim it was decrypted. (Handshake
 * packets opened with a key log: tests/e2e/test_quic_captures.py, over
 * real ngtcp2 captures.) */
Test(quic_session, keylog_does_not_claim_decryption)
{
	static const char kl_text[] =
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET "
		"ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c "
		"0000000000000000000000000000000000000000000000000000000000000001\n"
		"SERVER_HANDSHAKE_TRAFFIC_SECRET "
		"ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c "
		"0000000000000000000000000000000000000000000000000000000000000002\n";
	struct keylog *kl = keylog_parse(kl_text, sizeof(kl_text) - 1, NULL);
	struct quic_session q;
	struct tls_session tls;

	cr_assert_not_null(kl);
	cr_assert_eq(keylog_count(kl), 1);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	tls_session_set_keylog(&tls, kl);
	feed_file(&q, &tls, TLS_TO_SERVER, DATA "rfc9001-a2-client-initial.hex");
	feed_file(&q, &tls, TLS_TO_CLIENT, DATA "rfc9001-a3-server-initial.hex");
	cr_expect_eq(tls.suite, 0x1301);
	cr_expect_eq(tls.keys, TLS_KEYS_NONE);
	quic_session_free(&q);
	tls_session_free(&tls);
	keylog_free(kl);
}

/* qb_initial() of a client's Initial to dcid, which must succeed. */
static size_t build(uint8_t *out, uint32_t version, const uint8_t dcid[8], uint32_t pn,
		    const uint8_t *frames, size_t flen, size_t pad)
{
	size_t n = qb_initial(out, version, false, dcid, 8, pn, frames, flen, pad);

	cr_assert_neq(n, 0);
	return n;
}

/* The RFC's ClientHello, taken from its sample packet. */
static size_t rfc_client_hello(uint8_t out[245])
{
	uint8_t pkt[1200];
	const uint8_t *payload;
	size_t n = hex_load(DATA "rfc9001-a2-client-initial.hex", pkt, sizeof(pkt)), len;
	struct quic_keys c;
	uint64_t pn;

	cr_assert_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, false, &c), 0);
	cr_assert_eq(quic_unprotect(&c, pkt, n, 18, -1, &payload, &len, &pn), 0);
	memcpy(out, payload + 4, 245);
	return 245;
}

static size_t crypto_frame(uint8_t *out, uint16_t off, const uint8_t *data, uint16_t len)
{
	out[0] = 0x06;
	out[1] = (uint8_t)(0x40 | off >> 8);
	out[2] = (uint8_t)off;
	out[3] = (uint8_t)(0x40 | len >> 8);
	out[4] = (uint8_t)len;
	memcpy(out + 5, data, len);
	return 5 + (size_t)len;
}

/* A hello over two Initials (in two datagrams, the second part first, as
 * with a post-quantum key share), in v2. */
Test(quic_session, hello_over_two_packets_out_of_order)
{
	uint8_t ch[245], frames[400], dgram[1500];
	struct quic_session q;
	struct tls_session tls;
	size_t n, f;

	rfc_client_hello(ch);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	f = crypto_frame(frames, 100, ch + 100, 145);
	n = build(dgram, QUIC_V2, rfc_dcid, 0, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), 0);
	cr_expect_eq(tls.n_client_hellos, 0);
	f = crypto_frame(frames, 0, ch, 100);
	n = build(dgram, QUIC_V2, rfc_dcid, 1, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), TLS_EV_CLIENT_HELLO);
	cr_expect_str_eq(tls.client_hello[0].sni, "example.com");
	cr_expect_eq(q.version, QUIC_V2);
	cr_expect_eq(q.initial[TLS_TO_SERVER], 2);
	cr_expect_eq(quic_take_anomalies(&q), 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}

Test(quic_session, crypto_overlap_that_disagrees)
{
	uint8_t ch[245], bad[245], frames[800], dgram[1500];
	struct quic_session q;
	struct tls_session tls;
	size_t n, f;

	rfc_client_hello(ch);
	memcpy(bad, ch, sizeof(bad));
	bad[60] ^= 0xff;
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	f = crypto_frame(frames, 100, ch + 100, 145);
	f += crypto_frame(frames + f, 0, ch, 120);
	f += crypto_frame(frames + f, 50, bad + 50, 20); /* a "retransmission" that lies */
	n = build(dgram, QUIC_V1, rfc_dcid, 0, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), TLS_EV_CLIENT_HELLO);
	cr_expect_str_eq(tls.client_hello[0].sni, "example.com", "the first copy wins");
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_CRYPTO_OVERLAP_DIFF);
	quic_session_free(&q);
	tls_session_free(&tls);
}

Test(quic_session, bad_lengths_and_undecryptable)
{
	uint8_t ch[245], frames[400], dgram[1500];
	struct quic_session q;
	struct tls_session tls;
	size_t n, f;

	rfc_client_hello(ch);
	f = crypto_frame(frames, 0, ch, 245);
	n = build(dgram, QUIC_V1, rfc_dcid, 0, frames, f, 1162);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	/* The Length field claims more than the datagram holds. */
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n - 1), 0);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_INVALID_PACKET);
	/* A corrupted byte: authentication fails. */
	dgram[200] ^= 0x10;
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), 0);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_FAILED_DECRYPT);
	cr_expect_eq(q.undecryptable[TLS_TO_SERVER], 1);
	/* A CRYPTO frame whose length runs past the packet. */
	frames[3] = 0x7f;
	frames[4] = 0xff;
	n = build(dgram, QUIC_V1, rfc_dcid, 1, frames, 30, 1162);
	quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_INVALID_FRAME);
	/* A STREAM frame has no place in an Initial. */
	frames[0] = 0x08;
	n = build(dgram, QUIC_V1, rfc_dcid, 2, frames, 30, 1162);
	quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_INVALID_FRAME);
	/* An offset past the reassembly cap. */
	frames[0] = 0x06;
	frames[1] = 0x80; frames[2] = 0x01; frames[3] = 0x00; frames[4] = 0x00;
	frames[5] = 0x01; frames[6] = 0x00;
	n = build(dgram, QUIC_V1, rfc_dcid, 3, frames, 8, 1162);
	quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_CRYPTO_TOO_LONG);
	cr_expect_eq(tls.n_client_hellos, 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}

/* A Retry gives the client a new Destination CID, and the Initial keys
 * come from it afterwards (RFC 9001 5.2). A Version Negotiation lists the
 * server's versions. Coalesced: Initial + Handshake + short header. */
Test(quic_session, retry_version_negotiation_coalesced)
{
	static const uint8_t retry_cid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t ch[245], frames[400], dgram[1500], retry[64], vn[32];
	struct quic_session q;
	struct tls_session tls;
	bool from_client = true;
	size_t n, f, at = 0;

	rfc_client_hello(ch);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	/* VN: version 0, DCID/SCID, versions 1 and 2 */
	memcpy(vn, "\x80\x00\x00\x00\x00\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08"
		   "\x00\x00\x00\x01\x6b\x33\x43\xcf", 23);
	cr_expect(quic_starts_connection(vn, 23, &from_client));
	cr_expect(!from_client);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_CLIENT, vn, 23), 0);
	cr_expect_eq(q.version_negotiation, 1);
	cr_expect_eq(q.n_vn_versions, 2);
	cr_expect_eq(q.vn_versions[1], QUIC_V2);
	/* Retry (v1 type 3): SCID retry_cid, a token, a 16-byte tag */
	retry[at++] = 0xf0;
	memcpy(retry + at, "\x00\x00\x00\x01\x00\x08", 6);
	at += 6;
	memcpy(retry + at, retry_cid, 8);
	at += 8;
	memcpy(retry + at, "tokentoken", 10);
	at += 10;
	memset(retry + at, 0xaa, 16);
	at += 16;
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_CLIENT, retry, at), 0);
	cr_expect_eq(q.retry, 1);
	/* The client's Initial to the new CID, keyed by it, coalesced with a
	 * Handshake packet and a short header packet. */
	f = crypto_frame(frames, 0, ch, 245);
	n = build(dgram, QUIC_V1, retry_cid, 0, frames, f, 300);
	memcpy(dgram + n, "\xe0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x05"
			  "abcde", 21);
	n += 21;
	dgram[n++] = 0x41;
	memset(dgram + n, 0x33, 30);
	n += 30;
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), TLS_EV_CLIENT_HELLO);
	cr_expect_eq(q.handshake[TLS_TO_SERVER], 1);
	cr_expect_eq(q.short_hdr[TLS_TO_SERVER], 1);
	cr_expect_eq(q.initial[TLS_TO_SERVER], 1);
	cr_expect_eq(quic_take_anomalies(&q), 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}

/* A hello in v2, the server's Version Negotiation offering v1 only, then
 * another hello in v1 (same connection id): the second is the one read, and
 * a late copy of the v2 Initial (a version the server refused) is not. */
Test(quic_session, version_negotiation_restarts_the_handshake)
{
	uint8_t ch[245], other[245], frames[400], dgram[1500], vn[32];
	struct quic_session q;
	struct tls_session tls;
	size_t n, f, v2n;

	rfc_client_hello(ch);
	memcpy(other, ch, sizeof(other));
	other[6 + 31] ^= 0x5a;    /* another client random */
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	f = crypto_frame(frames, 0, ch, 245);
	v2n = build(dgram, QUIC_V2, rfc_dcid, 0, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, v2n), TLS_EV_CLIENT_HELLO);
	memcpy(vn, "\x80\x00\x00\x00\x00\x00\x08\x83\x94\xc8\xf0\x3e\x51\x57\x08"
		   "\x00\x00\x00\x01", 19);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_CLIENT, vn, 19), 0);
	f = crypto_frame(frames, 0, other, 245);
	n = build(dgram, QUIC_V1, rfc_dcid, 0, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), TLS_EV_CLIENT_HELLO);
	cr_expect_eq(q.version, QUIC_V1);
	cr_expect_eq(q.restarts, 1);
	cr_expect_eq(tls.n_client_hellos, 1);
	cr_expect_eq(memcmp(tls.client_hello[0].random, other + 6, 32), 0,
		     "the facts are the second hello's");
	cr_expect_eq(quic_take_anomalies(&q), 0, "no overlap: the first attempt is over");
	/* the refused version's Initial again: ignored, no overlap */
	f = crypto_frame(frames, 0, ch, 245);
	n = build(dgram, QUIC_V2, rfc_dcid, 1, frames, f, 1162);
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), 0);
	cr_expect_eq(q.version, QUIC_V1);
	cr_expect_eq(quic_take_anomalies(&q), 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}

/* A client Initial that does not authenticate, to another connection id,
 * leaves the keys as they were: the server's Initial still opens. */
Test(quic_session, forged_initial_does_not_change_the_keys)
{
	static const uint8_t other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t ch[245], frames[400], dgram[1500];
	struct quic_session q;
	struct tls_session tls;
	size_t n, f;

	rfc_client_hello(ch);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	feed_file(&q, &tls, TLS_TO_SERVER, DATA "rfc9001-a2-client-initial.hex");
	f = crypto_frame(frames, 0, ch, 245);
	n = build(dgram, QUIC_V1, other, 5, frames, f, 1162);
	dgram[300] ^= 1;
	cr_expect_eq(quic_feed(&q, &tls, TLS_TO_SERVER, dgram, n), 0);
	cr_expect_eq(quic_take_anomalies(&q), 1ULL << ANOM_QUIC_FAILED_DECRYPT);
	cr_expect_eq(feed_file(&q, &tls, TLS_TO_CLIENT, DATA "rfc9001-a3-server-initial.hex") &
		     TLS_EV_SERVER_HELLO, TLS_EV_SERVER_HELLO);
	quic_session_free(&q);
	tls_session_free(&tls);
}

Test(quic_session, starts_connection)
{
	static const uint8_t dns[12] = { 0x12, 0x34, 1, 0, 0, 1 };
	uint8_t pkt[1200];
	bool from_client = false;
	size_t n = hex_load(DATA "rfc9001-a2-client-initial.hex", pkt, sizeof(pkt));

	cr_expect(quic_starts_connection(pkt, n, &from_client));
	cr_expect(from_client);
	cr_expect(!quic_starts_connection(dns, sizeof(dns), &from_client));
	pkt[1] = 0x51; /* Google QUIC "Q0.." */
	cr_expect(!quic_starts_connection(pkt, n, &from_client));
	cr_expect(!quic_starts_connection(pkt, 3, &from_client));
}

struct collected {
	uint8_t buf[64];
	size_t len, calls;
};

static void collect(void *arg, const uint8_t *d, size_t len)
{
	struct collected *c = arg;

	cr_assert_leq(c->len + len, sizeof(c->buf));
	memcpy(c->buf + c->len, d, len);
	c->len += len;
	c->calls++;
}

Test(quic_crypto, order_duplicates_and_cap)
{
	struct quic_crypto c = { 0 };
	struct collected got = { .len = 0 };

	cr_expect_eq(quic_crypto_add(&c, 6, (const uint8_t *)"world", 5, collect, &got), 0);
	cr_expect_eq(got.calls, 0, "nothing contiguous yet");
	cr_expect_eq(quic_crypto_add(&c, 0, (const uint8_t *)"hello ", 6, collect, &got), 0);
	cr_expect_eq(got.calls, 1);
	cr_expect_eq(got.len, 11);
	cr_expect(memcmp(got.buf, "hello world", 11) == 0);
	/* the same bytes again: nothing new, nothing wrong */
	cr_expect_eq(quic_crypto_add(&c, 2, (const uint8_t *)"llo w", 5, collect, &got), 0);
	cr_expect_eq(got.calls, 1);
	cr_expect_eq(quic_crypto_add(&c, 4, (const uint8_t *)"O!", 2, collect, &got),
		     QUIC_CRYPTO_DIFFERS);
	cr_expect_eq(quic_crypto_add(&c, 11, (const uint8_t *)"!", 1, collect, &got), 0);
	cr_expect_eq(got.len, 12);
	cr_expect_eq(quic_crypto_add(&c, QUIC_CRYPTO_MAX, (const uint8_t *)"x", 1, collect, &got),
		     QUIC_CRYPTO_TOO_LONG);
	cr_expect_eq(quic_crypto_add(&c, UINT64_MAX - 1, (const uint8_t *)"xy", 2, collect, &got),
		     QUIC_CRYPTO_TOO_LONG);
	cr_expect_eq(quic_crypto_add(&c, QUIC_CRYPTO_MAX - 1, (const uint8_t *)"z", 1, collect,
				     &got), 0, "the last byte under the cap is kept");
	quic_crypto_free(&c);
	cr_expect_null(c.buf);
}
