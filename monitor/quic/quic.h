/*
 * quic: the handshake of a QUIC connection as an observer sees it
 * (RFC 9000 17, RFC 9001 5, RFC 9369). Pure: no I/O, no globals.
 *
 * The caller feeds each UDP datagram of a flow with quic_feed(), saying
 * which way it went. Long header packets are parsed (several may be
 * coalesced in one datagram); Initial packets are decrypted with the keys
 * their client's connection id gives (quic/initial.h), their CRYPTO frames
 * reassembled per direction (quic/crypto.h) and the handshake messages
 * handed to the TLS parser (tls_feed_handshake), so the ClientHello and
 * ServerHello become the same facts, fingerprints and milestones as over
 * TCP. Handshake packets are opened when the TLS session's key log (its
 * keylog field) holds the connection's handshake traffic secrets: their
 * CRYPTO frames (EncryptedExtensions, Certificate, CertificateVerify,
 * Finished) go to tls_feed_handshake_decrypted(). Otherwise they, and 0-RTT
 * and short header packets, are encrypted with keys an observer does not
 * have: they are counted, not read. Retry and Version
 * Negotiation packets are recorded (a Retry changes the Initial keys), and
 * the client's next Initial after either starts the handshake afresh: the
 * server keeps nothing of the first attempt, so neither does the observer.
 * Before the server's Initial, an authenticated client Initial whose CRYPTO
 * bytes disagree with the hello read so far also starts it afresh
 * (hellos_replaced, ANOM_QUIC_CRYPTO_OVERLAP_DIFF): the first may have been
 * a fake the server discarded, so the caller judges every such hello.
 *
 * Once the server's ServerHello is seen, everything else of the handshake
 * (certificates included) travels in Handshake packets: quic_feed() then
 * reports TLS_EV_ENCRYPTED, as tls_feed() does when both TCP directions
 * turned to ciphertext, and releases its Initial reassembly buffers; with
 * the key log's secrets, only once the server's Finished was read (or its
 * Handshake packets did not open).
 *
 * Google QUIC (quic/gquic.h): a Q043-Q046 client datagram's CHLO is read in
 * the clear, a Q050 one from its decrypted Initial; its facts go to the
 * session's gquic field, not to the TLS session (QUIC Crypto is not TLS),
 * and quic_feed() reports QUIC_EV_GQUIC_HELLO. A later CHLO naming another
 * server counts as a replaced hello, as for IETF QUIC. T050 and T051 carry
 * TLS in IETF-style Initials and are read as the drafts are.
 *
 * Ownership: the session owns its buffers; quic_session_free() releases
 * them. The TLS session passed to quic_feed() is the caller's.
 */
#ifndef SECAUDIT_QUIC_H
#define SECAUDIT_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic/crypto.h"
#include "quic/gquic.h"
#include "quic/initial.h"
#include "tls/tls.h"

#define QUIC_MAX_VN_VERSIONS 8

/* quic_feed(): a Google QUIC CHLO was read (gquic facts changed); beside
 * the TLS_EV_* bits, as PRETLS_EV_FACTS is. */
#define QUIC_EV_GQUIC_HELLO 0x4000u

struct quic_session {
	/* facts */
	uint32_t version;              /* of the last Initial decrypted (0: none) */
	uint32_t first_version;        /* of the first long header packet */
	uint8_t dcid_len;              /* the client's first Destination CID */
	uint8_t dcid[QUIC_MAX_CID];
	uint8_t scid_len[2];           /* each side's Source CID (enum tls_dir of the sender) */
	uint8_t scid[2][QUIC_MAX_CID];
	uint32_t initial[2];           /* Initial packets decrypted, per sender */
	uint32_t undecryptable[2];     /* Initial packets that failed authentication */
	uint32_t handshake[2];         /* Handshake packets, per sender */
	uint32_t handshake_decrypted[2]; /* of them opened with the key log's secrets */
	uint32_t zero_rtt;             /* 0-RTT packets (client) */
	uint32_t short_hdr[2];         /* short header (1-RTT) packets, per sender */
	uint32_t retry;                /* Retry packets (server) */
	uint32_t version_negotiation;  /* Version Negotiation packets (server) */
	uint8_t n_vn_versions;         /* versions the last one offered */
	uint32_t vn_versions[QUIC_MAX_VN_VERSIONS];
	bool connection_close[2];      /* CONNECTION_CLOSE in an Initial, per sender */
	uint64_t close_error[2];       /* its error code */
	bool server_hello;             /* the server's hello was read (gQUIC
					* QUIC Crypto: the server answered) */
	uint32_t restarts;             /* handshakes read afresh after a VN or Retry */
	uint32_t hellos_replaced;      /* client hellos that disagreed with the one before */
	uint64_t anomalies;            /* enum anomaly bits not yet taken */
	struct gquic_facts gquic;      /* Google QUIC's CHLOs (Q043-Q050) */
	/* private */
	bool keyed;                    /* keys[] hold keys of keyed_version */
	bool restart_pending;          /* a VN or Retry came: the next hello restarts */
	uint32_t keyed_version;
	uint8_t key_cid_len;           /* the CID the Initial keys come from */
	uint8_t key_cid[QUIC_MAX_CID];
	struct quic_keys keys[2];      /* [TLS_TO_SERVER]: the client's */
	int64_t largest_pn[2];
	struct quic_crypto crypto[2];
	/* the Handshake level, when the key log has the connection's secrets */
	uint8_t hs_state;              /* enum in quic.c: untried, keyed, none */
	bool hs_keyed[2];
	struct quic_keys hs_keys[2];
	int64_t hs_largest_pn[2];
	struct quic_crypto hs_crypto[2];
};

void quic_session_init(struct quic_session *q);
/* Releases the buffers; the struct may be reused after quic_session_init(). */
void quic_session_free(struct quic_session *q);

/*
 * One UDP datagram's payload sent in direction dir. Returns the TLS_EV_*
 * milestones it completed (tls_feed_handshake's, plus TLS_EV_ENCRYPTED at
 * the ServerHello, and QUIC_EV_GQUIC_HELLO). Never fails: malformed input sets anomaly bits
 * (quic.invalid_packet, quic.failed_decrypt, quic.invalid_frame,
 * quic.crypto_overlap_different_data, quic.crypto_frag_too_long) and skips
 * what cannot be read.
 */
unsigned quic_feed(struct quic_session *q, struct tls_session *tls, enum tls_dir dir,
		   const uint8_t *dgram, size_t len);

/* Returns and clears the anomaly bits set since the last call. */
uint64_t quic_take_anomalies(struct quic_session *q);

/*
 * True when a datagram starts a QUIC connection an observer can follow: a
 * long header with the fixed bit, of a version whose Initial keys are known,
 * or a Version Negotiation. *from_client says whether its sender is the
 * client (an Initial or 0-RTT packet: yes; Retry, Version Negotiation and
 * Handshake, which the server sends first: no).
 */
bool quic_starts_connection(const uint8_t *dgram, size_t len, bool *from_client);

/* "1", "ff00001d", "6b3343cf": the version as Suricata writes quic.version
 * (lower-case hex without leading zeros; the gQUIC versions it knows, Q039
 * and Q043-Q046, by name: "Q043"). out holds 9 bytes. */
void quic_version_str(uint32_t version, char out[9]);

#endif
