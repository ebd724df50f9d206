/*
 * gquic: Google QUIC CHLOs built here from the layouts of Google's wire
 * layout and QUIC Crypto documents; the CYU strings and hashes against
 * Suricata's own test cases (rust/src/quic/cyu.rs, after Salesforce's
 * gQUIC fingerprinting write-up).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "quic/gquic.h"
#include "quic/initial.h"
#include "quic/quic.h"
#include "tls/fingerprint.h"
#include "tls/tls.h"

#define T(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct tagval {
	const char *tag;
	const char *value;
};

/* A CHLO: "CHLO", entries (LE), padding, (tag, end offset LE)..., values. */
static size_t build_chlo(uint8_t *out, const struct tagval *tv, unsigned n)
{
	size_t o = 8 + 8 * (size_t)n, v = 0;
	unsigned i;

	memcpy(out, "CHLO", 4);
	out[4] = (uint8_t)n;
	out[5] = out[6] = out[7] = 0;
	for (i = 0; i < n; i++) {
		size_t len = strlen(tv[i].value);

		memset(out + 8 + 8 * i, 0, 4);
		memcpy(out + 8 + 8 * i, tv[i].tag, strlen(tv[i].tag));
		memcpy(out + o + v, tv[i].value, len);
		v += len;
		out[12 + 8 * i] = (uint8_t)v;
		out[13 + 8 * i] = (uint8_t)(v >> 8);
		out[14 + 8 * i] = out[15 + 8 * i] = 0;
	}
	return o + v;
}

/* Q043: flags 0x09 (version, 8-byte id, 1-byte packet number), the id,
 * the version, packet number 1, the 12-byte hash, a STREAM frame (0xa0:
 * data length present, 1-byte stream id 1) holding msg. */
static size_t build_q043(uint8_t *out, const char *version, const uint8_t *msg, size_t len)
{
	size_t o = 0;

	out[o++] = 0x09;
	memset(out + o, 0x11, 8);
	o += 8;
	memcpy(out + o, version, 4);
	o += 4;
	out[o++] = 1;
	memset(out + o, 0xab, 12);
	o += 12;
	out[o++] = 0xa0;
	out[o++] = 1;
	out[o++] = (uint8_t)(len >> 8);
	out[o++] = (uint8_t)len;
	memcpy(out + o, msg, len);
	return o + len;
}

static const struct tagval hello[] = {
	{ "PAD", "" }, { "SNI", "www.example.org" }, { "VER", "Q043" },
	{ "UAID", "Chrome/61.0 Linux" }, { "PDMD", "X509" },
};

Test(gquic, suricata_cyu_cases)
{
	static const struct {
		uint32_t version;
		const char *tags, *hash;
	} cases[] = {
		{ GQUIC_Q046, "PAD-SNI-STK-VER-CCS-NONC-AEAD-UAID-SCID-TCID-PDMD-SMHL-ICSL-NONP-"
			      "PUBS-MIDS-SCLS-KEXS-XLCT-CSCT-COPT-CCRT-IRTT-CFCW-SFCW",
		  "a46560d4548108cf99308319b3b85346" },
		{ GQUIC_Q043, "PAD-SNI-VER-CCS-PDMD-ICSL-MIDS-CFCW-SFCW",
		  "e030dea1f2eea44ac7db5fe4de792acd" },
		{ GQUIC_Q043, "PAD-SNI-STK-VER-CCS-SCID-PDMD-ICSL-MIDS-CFCW-SFCW",
		  "0811fab28e41e8c8a33e220a15b964d9" },
		{ GQUIC_Q043, "PAD-SNI-STK-VER-CCS-NONC-AEAD-SCID-PDMD-ICSL-PUBS-MIDS-KEXS-XLCT-"
			      "CFCW-SFCW",
		  "d8b208b236d176c89407500dbefb04c2" },
	};
	char cyu[GQUIC_CYU_LEN], want[GQUIC_CYU_LEN], md5[FP_MD5_HEX], names[300], *tok, *save;
	struct gquic_hello h;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&h, 0, sizeof(h));
		snprintf(names, sizeof(names), "%s", cases[i].tags);
		for (tok = strtok_r(names, "-", &save); tok; tok = strtok_r(NULL, "-", &save))
			h.tags[h.n_tags++] = T(tok[0], tok[1], tok[2], tok[3]);
		cr_assert(gquic_cyu_string(cases[i].version, &h, cyu));
		snprintf(want, sizeof(want), "%s,%s", cases[i].version == GQUIC_Q046 ? "46" : "43",
			 cases[i].tags);
		cr_expect_str_eq(cyu, want);
		cr_assert(fp_md5_hex(cyu, strlen(cyu), md5));
		cr_expect_str_eq(md5, cases[i].hash);
	}
	/* Q045 counts as 44 in Suricata; Q050 has no CYU there */
	cr_assert(gquic_cyu_string(T('Q', '0', '4', '5'), &h, cyu));
	cr_expect(strncmp(cyu, "44,", 3) == 0);
	cr_expect(!gquic_cyu_string(GQUIC_Q050, &h, cyu));
}

Test(gquic, q043_chlo_facts)
{
	uint8_t msg[512], pkt[600];
	struct gquic_facts g = { 0 };
	size_t n = build_chlo(msg, hello, 5), len;
	char cyu[GQUIC_CYU_LEN];
	uint32_t version;

	len = build_q043(pkt, "Q043", msg, n);
	cr_assert(gquic_starts_connection(pkt, len));
	cr_assert_eq(gquic_packet(&g, pkt, len, &version), GQUIC_HELLO);
	cr_expect_eq(version, GQUIC_Q043);
	cr_expect_eq(g.version, GQUIC_Q043);
	cr_expect_eq(g.n_hellos, 1);
	cr_expect(g.has_sni);
	cr_expect_str_eq(g.sni, "www.example.org");
	cr_expect(g.has_ua);
	cr_expect_str_eq(g.ua, "Chrome/61.0 Linux");
	cr_assert(gquic_cyu_string(g.version, &g.hello[0], cyu));
	cr_expect_str_eq(cyu, "43,PAD-SNI-VER-UAID-PDMD");
	/* Q042 and a short IETF header are not gQUIC connections read here */
	pkt[12] = '2';
	cr_expect(!gquic_starts_connection(pkt, len));
	pkt[0] = 0x41;
	cr_expect(!gquic_starts_connection(pkt, len));
}

Test(gquic, bad_lengths)
{
	uint8_t msg[512], pkt[600];
	struct gquic_facts g = { 0 };
	size_t n = build_chlo(msg, hello, 5), len;
	uint32_t version;

	/* an end offset before the one it follows */
	msg[8 + 8 * 2 + 4] = 1;
	len = build_q043(pkt, "Q043", msg, n);
	cr_expect_eq(gquic_packet(&g, pkt, len, &version), GQUIC_BAD_FRAME);
	/* past the values */
	n = build_chlo(msg, hello, 5);
	msg[8 + 8 * 4 + 5] = 0x7f;
	len = build_q043(pkt, "Q043", msg, n);
	cr_expect_eq(gquic_packet(&g, pkt, len, &version), GQUIC_BAD_FRAME);
	/* more entries than bytes */
	n = build_chlo(msg, hello, 5);
	msg[4] = 0xff;
	len = build_q043(pkt, "Q043", msg, n);
	cr_expect_eq(gquic_packet(&g, pkt, len, &version), GQUIC_BAD_FRAME);
	/* the STREAM frame's data length past the packet */
	n = build_chlo(msg, hello, 5);
	len = build_q043(pkt, "Q043", msg, n);
	cr_expect_eq(gquic_packet(&g, pkt, len - 10, &version), GQUIC_BAD_FRAME);
	/* the header cut inside the hash */
	cr_expect_eq(gquic_packet(&g, pkt, 20, &version), GQUIC_BAD_PKT);
	cr_expect_eq(g.n_hellos, 0);
}

Test(gquic, quic_feed_q043_and_versions)
{
	uint8_t msg[512], pkt[600];
	struct quic_session q;
	struct tls_session tls;
	size_t n = build_chlo(msg, hello, 5), len;
	char v[9];
	bool from_client = false;

	len = build_q043(pkt, "Q043", msg, n);
	cr_assert(quic_starts_connection(pkt, len, &from_client));
	cr_expect(from_client);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	cr_expect(quic_feed(&q, &tls, TLS_TO_SERVER, pkt, len) & QUIC_EV_GQUIC_HELLO);
	cr_expect_eq(q.first_version, GQUIC_Q043);
	cr_expect_eq(tls.n_client_hellos, 0);
	/* another CHLO naming another server: a replaced hello */
	memcpy(msg + 8 + 8 * 5, "www.example.com", 15);
	len = build_q043(pkt, "Q043", msg, n);
	cr_expect(quic_feed(&q, &tls, TLS_TO_SERVER, pkt, len) & QUIC_EV_GQUIC_HELLO);
	cr_expect_eq(q.hellos_replaced, 1);
	cr_expect(quic_take_anomalies(&q) & (1ULL << ANOM_QUIC_CRYPTO_OVERLAP_DIFF));
	/* the server's answer is encrypted to an observer */
	pkt[0] = 0x00;
	cr_expect(quic_feed(&q, &tls, TLS_TO_CLIENT, pkt, 40) & TLS_EV_ENCRYPTED);
	quic_session_free(&q);
	tls_session_free(&tls);
	quic_version_str(GQUIC_Q046, v);
	cr_expect_str_eq(v, "Q046");
	quic_version_str(T('Q', '0', '3', '9'), v);
	cr_expect_str_eq(v, "Q039");
	quic_version_str(GQUIC_Q050, v);
	cr_expect_str_eq(v, "51303530");
	quic_version_str(GQUIC_T051, v);
	cr_expect_str_eq(v, "54303531");
}

/* Q050: the CHLO in a CRYPTO frame (0x08) of an Initial protected with
 * Q050's salt, opened by quic_feed. */
Test(gquic, q050_initial)
{
	static const uint8_t dcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t msg[512], pkt[1300];
	struct quic_session q;
	struct tls_session tls;
	struct quic_keys k;
	size_t n = build_chlo(msg, hello, 5), o = 0, pn_off, plen = 1100;

	cr_assert_eq(quic_initial_keys(GQUIC_Q050, dcid, 8, false, &k), 0);
	memset(pkt, 0, sizeof(pkt));
	pkt[o++] = 0xc3; /* Initial, 4-byte packet number */
	memcpy(pkt + o, "Q050", 4);
	o += 4;
	pkt[o++] = 8;
	memcpy(pkt + o, dcid, 8);
	o += 8;
	pkt[o++] = 0;    /* no source id */
	pkt[o++] = 0;    /* no token */
	pkt[o++] = (uint8_t)(0x40 | (4 + plen + 16) >> 8);
	pkt[o++] = (uint8_t)(4 + plen + 16);
	pn_off = o;
	o += 4;          /* packet number 0 */
	pkt[o++] = 0x08; /* CRYPTO: offset 0, 2-byte varint length */
	pkt[o++] = 0;
	pkt[o++] = (uint8_t)(0x40 | n >> 8);
	pkt[o++] = (uint8_t)n;
	memcpy(pkt + o, msg, n);
	cr_assert_eq(quic_protect(&k, pkt, pn_off + 4 + plen + 16, pn_off, 0), 0);
	quic_session_init(&q);
	tls_session_init(&tls, NULL);
	cr_expect(quic_feed(&q, &tls, TLS_TO_SERVER, pkt, pn_off + 4 + plen + 16) &
		  QUIC_EV_GQUIC_HELLO);
	cr_expect_eq(q.version, GQUIC_Q050);
	cr_expect_eq(q.initial[TLS_TO_SERVER], 1);
	cr_expect_str_eq(q.gquic.sni, "www.example.org");
	cr_expect_eq(quic_take_anomalies(&q), 0);
	quic_session_free(&q);
	tls_session_free(&tls);
}
