/*
 * anomaly: every malformed or evasive thing a layer can notice, in one table.
 *
 * Each layer (decode, stream, tls, quic) reports anomalies by kind; the engine turns
 * each into an EVE `anomaly` event whose `anomaly.type` is the layer
 * ("decode", "stream", "applayer") and `anomaly.event` the name below, which
 * follows Suricata's dotted event names where Suricata has one.
 */
#ifndef SECAUDIT_ANOMALY_H
#define SECAUDIT_ANOMALY_H

/* X(ENUM, type, event name) */
#define ANOMALY_LIST(X) \
	X(DEC_LINK_TRUNCATED,     "decode", "link.pkt_too_small") \
	X(DEC_LINK_UNSUPPORTED,   "decode", "link.unsupported_type") \
	X(DEC_VLAN_TRUNCATED,     "decode", "vlan.header_too_small") \
	X(DEC_VLAN_TOO_MANY,      "decode", "vlan.too_many_layers") \
	X(DEC_IPV4_TRUNCATED,     "decode", "ipv4.pkt_too_small") \
	X(DEC_IPV4_BAD_HLEN,      "decode", "ipv4.hlen_too_small") \
	X(DEC_IPV4_BAD_TOTLEN,    "decode", "ipv4.iplen_smaller_than_hlen") \
	X(DEC_IPV4_TRUNC_PAYLOAD, "decode", "ipv4.trunc_pkt") \
	X(DEC_IPV4_OPT_INVALID,   "decode", "ipv4.opt_invalid") \
	X(DEC_IPV4_FRAGMENT,      "decode", "ipv4.frag_not_reassembled") \
	X(DEC_IPV6_TRUNCATED,     "decode", "ipv6.pkt_too_small") \
	X(DEC_IPV6_TRUNC_PAYLOAD, "decode", "ipv6.trunc_pkt") \
	X(DEC_IPV6_EXTHDR_INVALID,"decode", "ipv6.exthdr_invalid") \
	X(DEC_IPV6_FRAGMENT,      "decode", "ipv6.frag_not_reassembled") \
	X(DEC_TCP_TRUNCATED,      "decode", "tcp.pkt_too_small") \
	X(DEC_TCP_BAD_HLEN,       "decode", "tcp.hlen_too_small") \
	X(DEC_TUNNEL_TRUNCATED,   "decode", "tunnel.pkt_too_small") \
	X(DEC_TUNNEL_TOO_DEEP,    "decode", "tunnel.too_many_layers") \
	X(STREAM_OVERLAP_DIFF,    "stream", "stream.reassembly_overlap_different_data") \
	X(STREAM_OOO_LIMIT,       "stream", "stream.reassembly_segment_limit") \
	X(STREAM_FLOW_MEMCAP,     "stream", "stream.reassembly_flow_memcap") \
	X(STREAM_GLOBAL_MEMCAP,   "stream", "stream.reassembly_memcap") \
	X(STREAM_GAP,             "stream", "stream.reassembly_seq_gap") \
	X(STREAM_FLOW_TABLE_FULL, "stream", "flow.memcap") \
	X(EVASION_BAD_CHECKSUM,   "stream", "stream.evasion.bad_checksum") \
	X(EVASION_LOW_TTL,        "stream", "stream.evasion.insertion_by_ttl") \
	X(EVASION_BAD_ACK,        "stream", "stream.evasion.bad_ack") \
	X(EVASION_UNNEGOTIATED_OPTION, "stream", "stream.evasion.unnegotiated_option") \
	X(EVASION_OUT_OF_WINDOW,  "stream", "stream.evasion.seq_out_of_window") \
	X(EVASION_SYN_DATA,       "stream", "stream.evasion.data_on_syn") \
	X(EVASION_IGNORED_RST,    "stream", "stream.evasion.ignored_rst") \
	X(EVASION_OVERLAP_REWRITTEN, "stream", "stream.evasion.overlap_rewritten") \
	X(TLS_NOT_TLS,            "applayer", "tls.not_tls") \
	X(TLS_INVALID_RECORD_TYPE,"applayer", "tls.invalid_record_type") \
	X(TLS_INVALID_RECORD_VERSION, "applayer", "tls.invalid_record_version") \
	X(TLS_RECORD_OVERFLOW,    "applayer", "tls.record_overflow") \
	X(TLS_TRUNCATED_RECORD,   "applayer", "tls.truncated_record") \
	X(TLS_ZERO_LENGTH_RECORD, "applayer", "tls.zero_length_record") \
	X(TLS_INVALID_HANDSHAKE,  "applayer", "tls.invalid_handshake_message") \
	X(TLS_HANDSHAKE_TOO_LARGE,"applayer", "tls.handshake_message_too_large") \
	X(TLS_UNEXPECTED_MESSAGE, "applayer", "tls.unexpected_message") \
	X(TLS_INVALID_SSLV2,      "applayer", "tls.invalid_sslv2_header") \
	X(TLS_SSLV2_HELLO,        "applayer", "tls.sslv2_client_hello") \
	X(TLS_INVALID_ALERT,      "applayer", "tls.invalid_alert") \
	X(TLS_HEARTBEAT,          "applayer", "tls.heartbeat_message") \
	X(TLS_MULTIPLE_CLIENT_HELLO, "applayer", "tls.multiple_client_hello") \
	X(TLS_CERT_INVALID,       "applayer", "tls.certificate_invalid_der") \
	X(TLS_CHAIN_TOO_LONG,     "applayer", "tls.certificate_chain_too_long") \
	X(TLS_LIST_TRUNCATED,     "applayer", "tls.list_truncated") \
	X(TLS_DUPLICATE_EXTENSION,"applayer", "tls.duplicate_extension") \
	X(TLS_DECRYPT_FAILED,     "applayer", "tls.decrypt_failed") \
	X(QUIC_INVALID_PACKET,    "applayer", "quic.invalid_packet") \
	X(QUIC_FAILED_DECRYPT,    "applayer", "quic.failed_decrypt") \
	X(QUIC_INVALID_FRAME,     "applayer", "quic.invalid_frame") \
	X(QUIC_CRYPTO_OVERLAP_DIFF, "applayer", "quic.crypto_overlap_different_data") \
	X(QUIC_CRYPTO_TOO_LONG,   "applayer", "quic.crypto_frag_too_long") \
	X(PRETLS_MALFORMED,       "applayer", "pretls.malformed_exchange") \
	X(PRETLS_TOO_LONG,        "applayer", "pretls.exchange_too_long") \
	X(PRETLS_UNFINISHED,      "applayer", "pretls.unfinished_exchange")

enum anomaly {
#define ANOMALY_ENUM(e, t, n) ANOM_##e,
	ANOMALY_LIST(ANOMALY_ENUM)
#undef ANOMALY_ENUM
	ANOM_COUNT
};
/* Flows and sessions keep the anomalies they saw as bits of a uint64_t. */
_Static_assert(ANOM_COUNT <= 64, "anomaly kinds must fit a 64-bit mask");

/* The evasion kinds: a packet the receiver would discard (never judged),
 * or a conflicting copy of judged bytes (engine.c). */
#define ANOM_EVASION_FIRST ANOM_EVASION_BAD_CHECKSUM
#define ANOM_EVASION_LAST  ANOM_EVASION_OVERLAP_REWRITTEN
#define ANOM_EVASION_KINDS (ANOM_EVASION_LAST - ANOM_EVASION_FIRST + 1)
#define ANOM_EVASION_BITS  (((1ULL << (ANOM_EVASION_LAST + 1)) - 1) & ~((1ULL << ANOM_EVASION_FIRST) - 1))

/* "decode", "stream" or "applayer"; NULL for an out-of-range kind. */
const char *anomaly_type(enum anomaly a);
/* The dotted event name; NULL for an out-of-range kind. */
const char *anomaly_event(enum anomaly a);

#endif
