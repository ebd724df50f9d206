/*
 * tls: the TLS handshake parser (RFC 8446, RFC 5246, RFC 6101 appendix E.2
 * for the SSLv2-format ClientHello). Pure: no I/O, no globals.
 *
 * The caller feeds each direction's in-order stream bytes (tcp reassembly
 * output) with tls_feed(); the parser reassembles records and handshake
 * messages across any split, parses every message it can see in plaintext
 * and fills struct tls_session with facts. It stops looking at a direction
 * once that direction is encrypted, and reports the milestones it passed in
 * the return value so a policy can decide at the earliest point.
 *
 * Ownership: the session owns its buffers and a reference to every
 * certificate in its chains; tls_session_free() releases all of them.
 */
#ifndef SECAUDIT_TLS_H
#define SECAUDIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/anomaly.h"

struct x509_cache;
struct x509_cert;

enum tls_dir { TLS_TO_SERVER = 0, TLS_TO_CLIENT = 1 };

/* Caps on what one hello can list; beyond them the list is cut and
 * ANOM_TLS_LIST_TRUNCATED is reported. Sized above every real stack seen. */
#define TLS_MAX_SUITES    256
#define TLS_MAX_EXTS       64
#define TLS_MAX_GROUPS     64
#define TLS_MAX_SIGALGS    64
#define TLS_MAX_VERSIONS   16
#define TLS_MAX_KEYSHARES  16
#define TLS_MAX_POINT_FMTS  8
#define TLS_MAX_ALPN       16
#define TLS_ALPN_BUF      512
#define TLS_MAX_CHAIN      16
#define TLS_MAX_ALERTS      8
#define TLS_MAX_MSGS       48
#define TLS_MAX_HELLOS      2  /* the first and, after a HelloRetryRequest, the second */
#define TLS_MAX_CA_NAMES   16
#define TLS_MAX_PSK_IDS     4  /* pre_shared_key identities hashed; more are counted */
#define TLS_MAX_TICKETS     2  /* NewSessionTicket tickets hashed per session */
/* Tickets and PSK identities are kept as SHA-256 hashes: enough to link a
 * resumption to the handshake that issued its ticket, without keeping the
 * (secret-bearing) ticket itself. */
#define TLS_TICKET_HASH_LEN 32

/* ALPN protocol ids, each `len` bytes at buf + off (not NUL-terminated). */
struct tls_alpn_list {
	uint8_t n;
	uint16_t used;
	struct { uint16_t off; uint8_t len; } id[TLS_MAX_ALPN];
	uint8_t buf[TLS_ALPN_BUF];
};

struct tls_client_hello {
	bool sslv2_format;          /* SSLv2-format (compatibility) hello */
	uint16_t record_version;
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t session_id_len;
	uint8_t session_id[32];
	uint16_t n_suites;          /* wire order, GREASE kept */
	uint16_t suites[TLS_MAX_SUITES];
	uint8_t n_compressions;
	bool compression_offered;   /* a method other than null (0) offered */
	uint16_t n_exts;            /* wire order, GREASE kept */
	uint16_t exts[TLS_MAX_EXTS];
	bool has_sni;
	char sni[256];              /* host_name, NUL-terminated; bytes as sent */
	struct tls_alpn_list alpn;
	uint8_t n_versions;         /* supported_versions, wire order */
	uint16_t versions[TLS_MAX_VERSIONS];
	uint8_t n_groups;           /* supported_groups */
	uint16_t groups[TLS_MAX_GROUPS];
	uint8_t n_key_shares;       /* key_share entry groups */
	uint16_t key_shares[TLS_MAX_KEYSHARES];
	uint8_t n_sigalgs;          /* signature_algorithms */
	uint16_t sigalgs[TLS_MAX_SIGALGS];
	uint8_t n_point_formats;
	uint8_t point_formats[TLS_MAX_POINT_FMTS];
	bool has_session_ticket;    /* session_ticket extension present */
	uint16_t session_ticket_len;/* >0: the client offers a ticket to resume */
	bool has_psk;               /* pre_shared_key (41) */
	uint16_t psk_identities;
	uint8_t psk_modes;          /* bit 0: psk_ke, bit 1: psk_dhe_ke */
	bool status_request;
	bool has_padding;
	bool renegotiation_info;    /* extension 0xff01 or SCSV 0x00ff */
	bool fallback_scsv;         /* TLS_FALLBACK_SCSV 0x5600 offered */
	bool ech;                   /* encrypted_client_hello 0xfe0d */
	bool early_data;
	bool extended_master_secret;
	uint32_t length;            /* handshake body length */
	/* SHA-256 of the ticket the session_ticket extension presents
	 * (valid when session_ticket_len > 0) */
	uint8_t ticket_hash[TLS_TICKET_HASH_LEN];
	/* SHA-256 of each pre_shared_key identity (RFC 8446 4.2.11), wire
	 * order, the first TLS_MAX_PSK_IDS of psk_identities */
	uint8_t n_psk_hashes;
	uint8_t psk_identity_hash[TLS_MAX_PSK_IDS][TLS_TICKET_HASH_LEN];
};

struct tls_server_hello {
	bool is_hrr;                /* HelloRetryRequest (RFC 8446 4.1.3 random) */
	uint16_t legacy_version;
	uint16_t selected_version;  /* supported_versions, 0 when absent */
	uint8_t random[32];
	uint8_t session_id_len;
	uint8_t session_id[32];
	uint16_t suite;
	uint8_t compression;
	uint16_t n_exts;
	uint16_t exts[TLS_MAX_EXTS];
	char alpn[256];             /* selected protocol, "" when none */
	bool has_alpn;
	uint16_t key_share;         /* group of the key_share, 0 when absent */
	bool has_psk;               /* pre_shared_key accepted (TLS 1.3 resumption) */
	bool renegotiation_info;
	bool extended_master_secret;
	bool has_session_ticket;    /* server will send a NewSessionTicket */
	bool status_request;
	bool downgrade_tls12;       /* random ends in "DOWNGRD\x01" */
	bool downgrade_tls11;       /* random ends in "DOWNGRD\x00" */
	uint16_t psk_selected;      /* pre_shared_key selected_identity (when has_psk) */
};

struct tls_chain {
	uint8_t n;
	bool empty_message;         /* a Certificate message with no certificates */
	struct x509_cert *cert[TLS_MAX_CHAIN];
};

struct tls_alert {
	uint8_t dir;                /* enum tls_dir of the sender */
	bool encrypted;             /* after ChangeCipherSpec: level/desc unknown */
	uint8_t level;
	uint8_t description;
};

struct tls_msg {
	uint8_t dir;
	uint8_t type;               /* handshake type, or TLS_MSG_* below */
	bool decrypted;             /* read from a record opened with the key log */
};
/* Pseudo message types for the sequence (values outside handshake types). */
#define TLS_MSG_CCS        0xf0
#define TLS_MSG_ALERT      0xf1
#define TLS_MSG_APPDATA    0xf2
#define TLS_MSG_ENCRYPTED  0xf3 /* an encrypted handshake record (e.g. Finished) */
#define TLS_MSG_HEARTBEAT  0xf4

enum tls_resumption {
	TLS_RESUME_NONE = 0,
	TLS_RESUME_SESSION_ID,      /* TLS <= 1.2, server echoed the session id */
	TLS_RESUME_TICKET,          /* TLS <= 1.2, ticket accepted */
	TLS_RESUME_PSK,             /* TLS 1.3 pre_shared_key accepted */
};

/* Milestones returned by tls_feed(), each reported once per session. */
#define TLS_EV_CLIENT_HELLO   0x0001
#define TLS_EV_SERVER_HELLO   0x0002  /* the final one (not an HRR) */
#define TLS_EV_HRR            0x0004
#define TLS_EV_CERTIFICATE    0x0008  /* server chain complete */
#define TLS_EV_SERVER_KX      0x0010
#define TLS_EV_CERT_REQUEST   0x0020
#define TLS_EV_SERVER_DONE    0x0040  /* ServerHelloDone, or TLS 1.3 server flight */
#define TLS_EV_CLIENT_CERT    0x0080  /* client Certificate (maybe empty) */
#define TLS_EV_ENCRYPTED      0x0100  /* both directions now encrypted */
#define TLS_EV_HANDSHAKE_DONE 0x0200  /* nothing more to see: stop feeding */
#define TLS_EV_ALERT          0x0400
#define TLS_EV_NOT_TLS        0x0800  /* the first bytes are not TLS */

/* TLS 1.3 handshake decryption with a key log (tls_session_set_keylog). */
enum tls_keys {
	TLS_KEYS_NONE = 0,          /* no key log, not TLS 1.3, or no secret for it */
	TLS_KEYS_DECRYPTING,        /* the key log had the session's secrets */
	TLS_KEYS_FAILED,            /* they did not decrypt it (ANOM_TLS_DECRYPT_FAILED) */
	TLS_KEYS_WAITING,           /* not in the key log at the ServerHello, which may
				     * get them yet (tls_session_wait_keys) */
};

/* Where the server's chain came from. */
enum tls_cert_source {
	TLS_CERTS_HANDSHAKE = 0,    /* the session's own Certificate, in the clear */
	TLS_CERTS_KEYLOG,           /* its Certificate, decrypted with the key log */
	TLS_CERTS_PROBE,            /* the gateway's own handshake with the server */
};

struct tls_dir_state;  /* private: per-direction reassembly */
struct tls_decrypt;    /* private: per-direction record protection */
struct keylog;

struct tls_session {
	/* facts */
	uint8_t n_client_hellos;
	struct tls_client_hello client_hello[TLS_MAX_HELLOS];
	uint8_t n_server_hellos;    /* an HRR counts as one */
	struct tls_server_hello server_hello[TLS_MAX_HELLOS];
	uint16_t version;           /* negotiated (0 until ServerHello) */
	uint16_t suite;             /* negotiated */
	struct tls_chain server_chain;
	struct tls_chain client_chain;
	bool cert_request;          /* server asked for a client certificate */
	uint8_t n_ca_names;         /* distinguished names in CertificateRequest */
	bool server_kx;             /* ServerKeyExchange seen */
	uint16_t kx_group;          /* ECDHE named group from SKE or key_share */
	uint16_t dh_p_bits;         /* DHE prime size from SKE */
	uint8_t *ocsp;              /* stapled OCSP response (DER), owned */
	uint32_t ocsp_len;
	bool server_hello_done;
	bool ccs[2];                /* ChangeCipherSpec seen, per direction */
	bool finished[2];           /* Finished (or encrypted handshake after CCS) */
	bool encrypted[2];          /* direction carries only ciphertext now */
	bool app_data[2];
	bool heartbeat;
	bool renegotiation;         /* a second handshake on the same connection */
	enum tls_resumption resumption;
	uint8_t n_alerts;
	struct tls_alert alerts[TLS_MAX_ALERTS];
	uint8_t n_msgs;
	struct tls_msg msgs[TLS_MAX_MSGS];
	bool is_tls;                /* the first record looked like TLS */
	bool not_tls;               /* the first bytes were not TLS */
	bool done;                  /* TLS_EV_HANDSHAKE_DONE was reported */
	bool quic;                  /* carried by QUIC (tls_feed_handshake): JA4 "q" */
	uint16_t events;            /* every TLS_EV_* reported so far */
	/* anomalies seen, one bit per enum anomaly; the caller clears the
	 * bits it has reported (see tls_take_anomalies) */
	uint64_t anomalies;
	/* NewSessionTicket messages seen in the clear: TLS <= 1.2 only, where
	 * the server sends it before its ChangeCipherSpec (RFC 5077 3.3); in
	 * TLS 1.3 it is always encrypted (RFC 8446 4.6.1). Hashes of the
	 * first TLS_MAX_TICKETS non-empty tickets, and the last lifetime hint. */
	uint8_t n_tickets;
	uint8_t ticket_hash[TLS_MAX_TICKETS][TLS_TICKET_HASH_LEN];
	uint32_t ticket_lifetime;   /* seconds; 0: unspecified */
	/* TLS 1.3 with a key log: how decryption went, which directions were
	 * read through their Finished, and the CertificateVerify signature
	 * scheme (RFC 8446 4.4.3) of each side, 0 when none was seen. */
	uint8_t keys;               /* enum tls_keys */
	uint8_t cert_source;        /* enum tls_cert_source of server_chain */
	bool cert_cached;           /* TLS_CERTS_PROBE: from the gateway's probe cache */
	bool decrypted[2];
	uint16_t cert_verify[2];
	/* private */
	struct x509_cache *certs;
	const struct keylog *keylog;
	bool wait_keys;
	uint16_t given_up;          /* milestones of a wait given up inside a record */
	struct tls_decrypt *dec;
	struct tls_dir_state *dir[2];
};

/* Prepares an empty session. certs may be NULL (certificates are then
 * counted but not parsed). Allocates nothing until bytes arrive. */
void tls_session_init(struct tls_session *s, struct x509_cache *certs);
/* Decrypts the session's TLS 1.3 handshake with the secrets kl holds for
 * its ClientHello.random, if any (borrowed: must outlive the session). Call
 * before the ServerHello is fed. The decrypted EncryptedExtensions,
 * CertificateRequest, Certificate, CertificateVerify and Finished are then
 * parsed as the cleartext messages of TLS 1.2 are, and the milestones are
 * reported as for TLS 1.2: TLS_EV_CERTIFICATE at the server's Certificate,
 * TLS_EV_SERVER_DONE at its Finished, TLS_EV_ENCRYPTED only once both
 * directions are read (or decryption failed). */
void tls_session_set_keylog(struct tls_session *s, const struct keylog *kl);
/*
 * Inline, with a key log that grows while the monitor runs: a TLS 1.3
 * session whose secrets are not in it at the ServerHello waits for them
 * (keys TLS_KEYS_WAITING) instead of being followed as without keys: its
 * protected records are kept (up to TLS_MAX_HANDSHAKE per direction, past
 * which the wait is given up), and neither TLS_EV_SERVER_DONE nor
 * TLS_EV_ENCRYPTED is reported, until tls_session_keys_retry() finds them
 * (the kept records are then decrypted and parsed) or gives up (`last`:
 * they are followed as without keys, with those two milestones). Returns
 * the milestones reached, as tls_feed() does; 0 while still waiting.
 */
void tls_session_wait_keys(struct tls_session *s);
unsigned tls_session_keys_retry(struct tls_session *s, bool last);
/*
 * Facts about the server learned out of band (the gateway's probe of it):
 * its chain (n DER certificates, leaf first), stapled OCSP response (may be
 * NULL) and whether it asks for a client certificate, recorded as if its
 * flight had shown them, with cert_source `source`. Replaces a chain
 * already held. Returns the milestones a policy should judge them at
 * (TLS_EV_CERTIFICATE, TLS_EV_CERT_REQUEST), each once as tls_feed's are.
 */
unsigned tls_session_adopt_chain(struct tls_session *s, const uint8_t *const der[],
				 const uint32_t der_len[], unsigned n, const uint8_t *ocsp,
				 uint32_t ocsp_len, bool cert_request, enum tls_cert_source source);
/* Releases buffers and certificate references; the struct may be reused
 * after tls_session_init(). */
void tls_session_free(struct tls_session *s);

/*
 * Feeds the next in-order bytes sent in direction `dir`. Returns the
 * TLS_EV_* milestones newly reached by these bytes (0 if none). Never fails:
 * malformed input sets anomaly bits and, where the stream cannot be followed
 * any more, stops parsing that direction. Memory per direction is capped
 * (largest handshake message TLS_MAX_HANDSHAKE bytes).
 */
#define TLS_MAX_HANDSHAKE (128 * 1024)
unsigned tls_feed(struct tls_session *s, enum tls_dir dir, const uint8_t *data, size_t len);

/* The handshake messages of one direction without a record layer, as
 * QUIC's CRYPTO frames carry them (in order; quic/ reassembles the frames).
 * Marks the session as QUIC (s->quic). Same return and caps as tls_feed(). */
unsigned tls_feed_handshake(struct tls_session *s, enum tls_dir dir, const uint8_t *data,
			    size_t len);

/* The same for handshake messages the caller decrypted with the key log's
 * secrets (QUIC's Handshake packets, RFC 9001 4.1.4): EncryptedExtensions,
 * Certificate (its source then TLS_CERTS_KEYLOG), CertificateVerify and
 * Finished are read as from a decrypted TLS 1.3 record; s->keys becomes
 * TLS_KEYS_DECRYPTING. */
unsigned tls_feed_handshake_decrypted(struct tls_session *s, enum tls_dir dir,
				      const uint8_t *data, size_t len);

/* The direction ended (FIN/RST/flow end): a record left incomplete is
 * reported as ANOM_TLS_TRUNCATED_RECORD. */
void tls_eof(struct tls_session *s, enum tls_dir dir);
/* Bytes of the direction were lost (reassembly gap): parsing of that
 * direction stops, since records cannot be re-synchronised reliably. */
void tls_gap(struct tls_session *s, enum tls_dir dir);

/* Returns and clears the anomaly bits set since the last call. */
uint64_t tls_take_anomalies(struct tls_session *s);

/* True when `data` starts like a TLS record or SSLv2 ClientHello: used to
 * recognise TLS by content on any port. Needs at least 3 bytes. */
bool tls_looks_like_tls(const uint8_t *data, size_t len);

/* True for GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
static inline bool tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

#endif
