/*
 * gquic: Google QUIC client hellos as an observer sees them. Pure: no I/O,
 * no globals.
 *
 * Before Google's QUIC took TLS (T050, T051: quic/quic.c reads those as
 * draft IETF QUIC), its handshake was QUIC Crypto: the client's hello is a
 * CHLO message, a tag/value map (QUIC Crypto, "Handshake message format")
 * carried on stream 1. Q043 sends it after the gQUIC public header and a
 * 12-byte message authentication hash (QUIC wire layout, "Public header");
 * Q046 the same after an IETF-style long header with 4-bit connection id
 * lengths; Q050 in a CRYPTO frame (0x08) inside an Initial packet protected
 * as IETF QUIC's are, with the version's own salt (quic/initial.c). What
 * this module reads of it: the version, each CHLO's tags in wire order (the
 * CYU fingerprint, Salesforce's, as Suricata writes it), the server name
 * (SNI tag) and the client's user agent (UAID tag).
 *
 * Only packets carrying the version are read (the client's first ones): a
 * client packet without it may already be encrypted, as Suricata also
 * assumes. The message authentication hash is not checked.
 */
#ifndef SECAUDIT_QUIC_GQUIC_H
#define SECAUDIT_QUIC_GQUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GQUIC_Q043 0x51303433u
#define GQUIC_Q046 0x51303436u
#define GQUIC_Q050 0x51303530u
#define GQUIC_T050 0x54303530u
#define GQUIC_T051 0x54303531u

#define GQUIC_MAX_TAGS   48  /* tags kept per CHLO (Chrome sends about 25) */
#define GQUIC_MAX_HELLOS 4   /* CHLOs kept per connection (inchoate, full) */
#define GQUIC_CYU_LEN    (4 + GQUIC_MAX_TAGS * 5)

/* One CHLO's tags, wire order, each as its four bytes read big-endian
 * ("SNI\0" is 0x534e4900). */
struct gquic_hello {
	uint8_t n_tags;
	uint32_t tags[GQUIC_MAX_TAGS];
};

struct gquic_facts {
	uint32_t version;            /* of the first CHLO's packet (0: none read) */
	uint32_t n_hellos;           /* CHLOs read */
	struct gquic_hello hello[GQUIC_MAX_HELLOS]; /* the first GQUIC_MAX_HELLOS */
	bool has_sni;
	char sni[256];               /* the SNI tag of the last CHLO with one, NUL-ended */
	bool has_ua;
	char ua[256];                /* the UAID tag, as for sni */
	bool sni_changed;            /* a later CHLO named another server */
};

/* Results of gquic_packet() and gquic_frames(), as bits. */
#define GQUIC_HELLO     0x1  /* a CHLO was read */
#define GQUIC_BAD_PKT   0x2  /* the header runs past the datagram */
#define GQUIC_BAD_FRAME 0x4  /* a frame or a CHLO's tags run past their bytes */

/* Q043-Q046: the versions whose CHLO travels in the clear. */
bool gquic_version_plain(uint32_t version);

/*
 * True when dgram is a client packet of a plain gQUIC version that starts
 * a connection: a public header with the version flag (Q043), or a long
 * header of Q046's Initial type.
 */
bool gquic_starts_connection(const uint8_t *dgram, size_t len);

/*
 * Reads one client datagram of a plain gQUIC version (Q043's public header
 * or Q046's long header, with the version). Returns GQUIC_* bits; the
 * version read goes to *version (0 when the header was unreadable).
 */
unsigned gquic_packet(struct gquic_facts *g, const uint8_t *dgram, size_t len,
		      uint32_t *version);

/*
 * Reads the frames of a client packet's plaintext (Q050's decrypted
 * Initial payload: PADDING, PING, CRYPTO 0x08 and STREAM frames) of the
 * given version. Returns GQUIC_* bits.
 */
unsigned gquic_frames(struct gquic_facts *g, uint32_t version, const uint8_t *p, size_t len);

/*
 * The CYU string of one CHLO as Suricata writes quic.cyu[].string: the
 * version's number ("43"; Q045 gives "44" as in Suricata's cyu.rs), a
 * comma, the tags' names (their bytes before the first NUL) joined by
 * '-'. False for a version Suricata gives no CYU (Q050 and later: their
 * events have no cyu). out holds GQUIC_CYU_LEN bytes.
 */
bool gquic_cyu_string(uint32_t version, const struct gquic_hello *h, char out[GQUIC_CYU_LEN]);

#endif
