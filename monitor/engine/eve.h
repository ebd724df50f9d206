/*
 * eve: events as EVE JSON lines, field for field as Suricata writes them
 * (timestamp, flow_id, event_type, src_ip, src_port, dest_ip, dest_port,
 * proto, tls{...}), so jq and SIEM pipelines that read Suricata ingest them
 * unchanged. Everything Suricata has no field for lives under the one
 * top-level key "secaudit".
 *
 * Writers append one complete line (with '\n') to a struct buf; the caller
 * decides where the buffer goes. Direction: src is always the client.
 */
#ifndef SECAUDIT_EVE_H
#define SECAUDIT_EVE_H

#include <stdint.h>

#include "buf.h"
#include "engine/engine.h"
#include "tls/fingerprint.h"
#include "json.h"

/*
 * What a tls event holds beyond Suricata 8's default (its `extended` set:
 * subject, issuerdn, subjectaltname, serial, fingerprint, dates, sni,
 * version, ja3, ja3s, ja4, alpns, client): the fields asked for by name as
 * in Suricata's `custom: [...]`. The certificates' base64 is most of an
 * event's size, so it is written only when asked.
 */
enum {
	EVE_CUSTOM_CERTIFICATE = 1u << 0,        /* tls.certificate: the leaf's DER, base64 */
	EVE_CUSTOM_CHAIN = 1u << 1,              /* tls.chain: every certificate's */
	EVE_CUSTOM_CLIENT_CERTIFICATE = 1u << 2, /* tls.client.certificate */
	EVE_CUSTOM_CLIENT_CHAIN = 1u << 3,       /* tls.client.chain */
	EVE_CUSTOM_CLIENT_HANDSHAKE = 1u << 4,   /* tls.client_handshake */
	EVE_CUSTOM_SERVER_HANDSHAKE = 1u << 5,   /* tls.server_handshake */
};
/* Parses a comma-separated list of Suricata's tls field names into
 * EVE_CUSTOM_* bits (names of the default set add nothing). false, with the
 * unknown name in err, when a name is not one of Suricata's. */
bool eve_custom_parse(const char *list, unsigned *custom, char *err, size_t errlen);
/* Adds one name's bit; false when the name is unknown. */
bool eve_custom_add(const char *name, unsigned *custom);

struct eve_certs;
/* How events are written: the custom fields, and the cache of each
 * distinct certificate's formatted facts (NULL: formatted every time), and
 * lists, the lists a session's extension repeats from client to client
 * (a ClientHello's offers by name, the handshake's message sequence; NULL:
 * formatted every time). beside: the events are alerts written to a log that also holds their
 * session's tls (quic) event, which carries the session's detail; such an
 * alert holds, as Suricata's, the tls (quic) object of the default set
 * (custom is ignored) and no secaudit.tls or secaudit.quic: what a reader
 * needs to act on it (the rule, the verdict and every failed requirement,
 * sni, the leaf's subject, issuer and fingerprint), not the hellos and the
 * chain again, which would double the log. */
struct textcache;

struct eve_writer {
	unsigned custom;
	struct eve_certs *certs;
	bool beside;
	struct textcache *lists;
};

/* Begins an event object: timestamp, flow_id, event_type and the flow's
 * addresses (from es, or from d when es is NULL). Leaves the object open
 * for the caller to add keys and json_object_end(). */
void eve_begin(struct json *j, const char *event_type, const struct engine_session *es,
	       const struct decoded *d, uint64_t ts_us);
/* The fingerprints of a session's hellos, computed once per event. */
struct eve_fp {
	struct buf text;            /* JA3, JA3S and JA4_r strings, back to back */
	struct { size_t ja3_off, ja3_len, ja4r_off, ja4r_len; bool ja3, ja4, ja4r;
		 char ja3_md5[FP_MD5_HEX]; char ja4_s[FP_JA4_LEN]; } ch[TLS_MAX_HELLOS];
	struct { size_t off, len; bool ok; char md5[FP_MD5_HEX]; } sh[TLS_MAX_HELLOS];
};
/* The fingerprints of a session's hellos; c (may be NULL) keeps those of
 * each distinct ClientHello. */
void eve_fp_compute(struct eve_fp *fp, const struct tls_session *s, struct textcache *c);
void eve_fp_free(struct eve_fp *fp);

/* Writes "tls": {...} with Suricata's fields (pre, if not NULL: the
 * exchange before TLS, for from_proto). */
void eve_tls_fields(struct json *j, const struct eve_writer *w, const struct tls_session *s,
		    const struct pretls *pre, const struct eve_fp *fp);
/* Writes, into an open "secaudit" object, "starttls": {protocol, upgraded,
 * offered, cleartext_credentials} or "tunnel": {protocol, dest_host,
 * dest_port} when the session began inside such an exchange. */
void eve_pretls(struct json *j, const struct pretls *pre);
/* Writes the facts Suricata has no field for, as the value of a key the
 * caller has written (normally "secaudit" -> "tls"). */
void eve_tls_extra(struct json *j, const struct eve_writer *w, const struct tls_session *s,
		   const struct eve_fp *fp);

/* Writes "certificate": {"source": ...} into the open `secaudit` object
 * when the session shows a certificate: "handshake" (sent in the clear, TLS
 * <= 1.2), "keylog" (a TLS 1.3 handshake decrypted with the key log) or
 * "probe" (the gateway's own handshake with the server, with "cached": whether
 * that answer came from the probe cache). */
void eve_certificate_source(struct json *j, const struct tls_session *s);

/*
 * One complete line of a TLS or QUIC flow's event: the opening (timestamp,
 * flow, event_type, app_proto), Suricata's "tls" or "quic" object, then the
 * "secaudit" object (certificate source, pre-TLS exchange, the QUIC
 * packets, the TLS facts). fields, when not NULL, adds the event's own
 * keys at each place (enum eve_at); arg is passed on. The tls, quic and
 * alert events are all written by this one function.
 */
enum eve_at {
	EVE_AT_TOP,        /* after app_proto, before "tls"/"quic" (the alert object) */
	EVE_AT_SECAUDIT,   /* in "secaudit", before "quic" and "tls" (the policy) */
	EVE_AT_END,        /* in "secaudit", last (the evidence) */
};
typedef void (*eve_fields_fn)(struct json *j, enum eve_at at, void *arg);

/*
 * What an event about a session shares with another event about the same
 * session at the same moment (an alert written right after the session's
 * tls event carries the same tls object, as Suricata's does): its time,
 * the flow's fields and the tls/quic and secaudit objects, as the places
 * in the buffer where the first event wrote them. An alert copies them from
 * there instead of formatting them again; nothing is copied to keep them.
 */
enum eve_part {
	EVE_PART_WHEN,      /* "timestamp" and "flow_id" */
	EVE_PART_FLOW,      /* addresses, ports, ids, app_proto */
	EVE_PART_TLS,       /* the tls or quic object */
	EVE_PART_SOURCE,    /* secaudit's certificate source and pre-TLS facts */
	EVE_PART_EXTRA,     /* secaudit's tls/quic detail */
	EVE_PARTS
};
struct eve_parts {
	const struct buf *from;             /* the buffer the event was written to */
	size_t from_len;                    /* its length after the event */
	size_t start[EVE_PARTS], end[EVE_PARTS]; /* each part's bytes in from */
	const struct engine_session *es;    /* whose; NULL: nothing kept */
	uint64_t ts_us;
	unsigned custom;                    /* the custom fields of the tls part */
};

/* keep, when not NULL, is given the places of the event's shared parts in
 * out (an event with fields of its own keeps nothing: keep->es is then
 * NULL). */
void eve_flow_event(struct buf *out, const struct eve_writer *w, const char *event_type,
		    const struct engine_session *es, uint64_t ts_us, eve_fields_fn fields,
		    void *arg, struct eve_parts *keep);
/* The same line as eve_flow_event(out, w, ...) would write, from parts
 * kept for es at ts_us; out may be the buffer they were kept in. false
 * (nothing written) when kept holds other parts, its tls part has other
 * custom fields than w asks for, or its buffer changed length since (the
 * parts may no longer be there). The caller must make sure es has not
 * changed since they were kept. */
bool eve_flow_event_again(struct buf *out, const struct eve_writer *w,
			  const struct eve_parts *kept, const char *event_type,
			  const struct engine_session *es, uint64_t ts_us, eve_fields_fn fields,
			  void *arg);

/* Complete lines. */
void eve_anomaly_event(struct buf *out, const struct engine_session *es,
		       const struct decoded *d, enum anomaly a, uint64_t ts_us);

/* "2017-03-23T11:31:07.123456+0000" (UTC). out must hold 40 bytes. */
void eve_timestamp(uint64_t ts_us, char out[40]);

#endif
