/*
 * policy_checks: the requirement kinds the policy judges (one X-macro
 * row each), with the name, category and default message every alert of
 * that kind carries. The rules reader makes rules of them; the judge
 * names them in events.
 */
#ifndef SECAUDIT_POLICY_CHECKS_H
#define SECAUDIT_POLICY_CHECKS_H

/* Every requirement kind the policy can judge:
 * X(ENUM, name, category, default message). New kinds go at the end: the
 * default sid of each is POLICY_SID_BASE + its place here. */
#define POLICY_CHECKS(X) \
	X(VERSION, "version", "protocol", "protocol version not allowed") \
	X(SUITE, "cipher_suite", "cipher", "cipher suite not allowed") \
	X(GROUP, "group", "cipher", "key exchange group not allowed") \
	X(DH_BITS, "dh_bits", "cipher", "Diffie-Hellman group too small") \
	X(CERT_MISSING, "certificate.missing", "certificate", "no server certificate") \
	X(CERT_HIDDEN, "certificate.tls13_hidden", "certificate", \
	  "TLS 1.3 hides the server certificate: it cannot be checked") \
	X(CERT_UNTRUSTED, "certificate.untrusted", "certificate", \
	  "certificate chain does not verify to a trusted CA") \
	X(CERT_EXPIRED, "certificate.expired", "certificate", "certificate expired") \
	X(CERT_NOT_YET_VALID, "certificate.not_yet_valid", "certificate", \
	  "certificate not yet valid") \
	X(CERT_REVOKED, "certificate.revoked", "certificate", "certificate revoked") \
	X(CERT_REVOCATION_UNKNOWN, "certificate.revocation_unavailable", "certificate", \
	  "certificate revocation status unavailable or stale") \
	X(CERT_WEAK_KEY, "certificate.weak_key", "certificate", "certificate key too small") \
	X(CERT_CURVE, "certificate.curve", "certificate", "certificate curve not allowed") \
	X(CERT_SIGNATURE, "certificate.signature", "certificate", \
	  "certificate signed with a forbidden algorithm") \
	X(CERT_HOSTNAME, "certificate.hostname", "certificate", \
	  "certificate does not match the SNI host name") \
	X(CERT_SELF_SIGNED, "certificate.self_signed", "certificate", \
	  "self-signed certificate") \
	X(CERT_CHAIN_LENGTH, "certificate.chain_length", "certificate", \
	  "certificate chain too long") \
	X(CERT_OCSP_MISSING, "certificate.ocsp_staple_missing", "certificate", \
	  "no good stapled OCSP response") \
	X(CLIENT_CERT_MISSING, "client_certificate.missing", "client-auth", \
	  "client certificate required but not sent") \
	X(CLIENT_CERT_INVALID, "client_certificate.invalid", "client-auth", \
	  "client certificate does not meet the requirements") \
	X(CLIENT_CERT_HIDDEN, "client_certificate.tls13_hidden", "client-auth", \
	  "TLS 1.3 hides the client certificate: it cannot be checked") \
	X(SNI_DENIED, "sni.denied", "list", "server name on a deny list") \
	X(SNI_NOT_ALLOWED, "sni.not_allowed", "list", "server name not on the allow list") \
	X(JA3_DENIED, "ja3.denied", "list", "client fingerprint (JA3) on a deny list") \
	X(JA3_NOT_ALLOWED, "ja3.not_allowed", "list", "client fingerprint (JA3) not allowed") \
	X(JA4_DENIED, "ja4.denied", "list", "client fingerprint (JA4) on a deny list") \
	X(JA4_NOT_ALLOWED, "ja4.not_allowed", "list", "client fingerprint (JA4) not allowed") \
	X(ALPN_NOT_ALLOWED, "alpn.not_allowed", "list", "application protocol not allowed") \
	X(SSLV2_HELLO, "anomaly.sslv2_hello", "anomaly", "SSLv2-format ClientHello") \
	X(COMPRESSION, "anomaly.compression", "anomaly", "TLS compression offered or used") \
	X(INSECURE_RENEGOTIATION, "anomaly.insecure_renegotiation", "anomaly", \
	  "no secure renegotiation support (RFC 5746), or a renegotiation") \
	X(HEARTBEAT, "anomaly.heartbeat", "anomaly", "TLS heartbeat offered or sent") \
	X(FALLBACK_SCSV, "anomaly.fallback_scsv", "anomaly", \
	  "TLS_FALLBACK_SCSV: the client retried with a lower version") \
	X(MISSING_SNI, "anomaly.missing_sni", "anomaly", "ClientHello without SNI") \
	X(ECH, "anomaly.encrypted_client_hello", "anomaly", "encrypted_client_hello present") \
	X(NOT_TLS, "anomaly.not_tls", "anomaly", "non-TLS bytes on a TLS port") \
	X(MALFORMED, "anomaly.malformed", "anomaly", "malformed TLS records or messages") \
	X(UNKNOWN_RECORD_TYPE, "anomaly.unknown_record_type", "anomaly", \
	  "unknown TLS record content type") \
	X(WEAK_RANDOM, "anomaly.weak_random", "anomaly", \
	  "hello random is all zero or repeats another session's") \
	X(UNKNOWN_RESUMPTION, "unknown_resumption", "resumption", \
	  "resumption of a session whose full handshake was not seen") \
	X(RESUMED_FAILED, "resumed_failed", "resumption", \
	  "resumption of a session whose full handshake failed the policy") \
	X(CERT_OCSP_INVALID, "certificate.ocsp_invalid", "certificate", \
	  "stapled OCSP response does not verify, is stale or is not about the certificate") \
	X(QUIC, "quic", "protocol", "QUIC not allowed here: clients fall back to TLS over TCP") \
	X(STARTTLS_STRIPPED, "starttls.stripped", "protocol", \
	  "STARTTLS no longer offered by a server that offered it (stripped)") \
	X(STARTTLS_CLEARTEXT_CREDENTIALS, "starttls.cleartext_credentials", "protocol", \
	  "credentials sent in clear text on a protocol that can upgrade to TLS") \
	X(EVASION, "evasion", "anomaly", \
	  "evasion: a packet the receiver would discard, or a copy that differs from the judged bytes") \
	X(CERT_PROBE_FAILED, "certificate.probe_failed", "certificate", \
	  "TLS 1.3: the gateway could not probe the server's certificate, so it was not checked")

enum policy_check {
#define POLICY_CHECK_ENUM(e, n, c, m) POLICY_CHK_##e,
	POLICY_CHECKS(POLICY_CHECK_ENUM)
#undef POLICY_CHECK_ENUM
	POLICY_CHK_COUNT
};

/* Default signature ids: POLICY_SID_BASE + check. */
#define POLICY_SID_BASE 2310000u

const char *policy_check_name(enum policy_check c);
const char *policy_check_category(enum policy_check c);
const char *policy_check_message(enum policy_check c);
/* The part of a check's name after its block: "certificate.expired" ->
 * "expired"; a name without a block is returned whole. */
const char *policy_check_suffix(enum policy_check c);

#endif
