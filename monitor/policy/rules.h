/*
 * rules: the YAML rules format (docs/rules.md), parsed with libyaml,
 * validated and compiled into the immutable struct policy that policy.c
 * evaluates. Every error names file:line:column and what is wrong.
 *
 * This header is the compiled form shared by rules.c (which builds it) and
 * policy.c (which reads it); nothing else should include it.
 */
#ifndef SECAUDIT_RULES_H
#define SECAUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct certcheck_store;

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
	  "stapled OCSP response does not verify, is stale or is not about the certificate")

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

/* One rule: what an alert says when a requirement fails. */
struct policy_rule {
	char *id;                   /* "strict.version", or the file's `id:` */
	uint32_t sid;
	char *message;
	uint8_t severity;           /* 1 (high) .. 4 */
	uint8_t action;             /* enum policy_action */
	uint8_t check;              /* enum policy_check */
	uint16_t profile;
	char *required;             /* what the requirement asks, for the log */
};

/* A set of strings: exact ones sorted for bisection, globs tried in turn. */
struct policy_strset {
	size_t n_exact, n_glob;
	char **exact;
	char **glob;
	bool casefold;              /* SNI: host names compare without case */
};

/* IPv4 or IPv6 prefix. */
struct policy_cidr {
	int family;
	uint8_t addr[16];
	uint8_t bits;
};

struct policy_ports {
	size_t n;
	struct { uint16_t lo, hi; } *r;
};

struct policy_zone {
	char *name;
	uint16_t profile;
	bool any;                   /* no match: catches everything */
	size_t n_src, n_dst;
	struct policy_cidr *src, *dst;
	struct policy_ports ports;  /* server ports */
	struct policy_strset sni;
	bool match_sni;             /* sni given: a hello without SNI never matches */
	struct policy_ports tls_ports; /* where non-TLS bytes are an anomaly; empty: all */
	/* Trust stores replacing the profile's in this zone (NULL: the
	 * profile's), with their CRLs. */
	struct certcheck_store *server_store, *client_store;
	bool server_crl, client_crl;
};

struct policy_certreq {
	bool enabled;
	bool required;              /* client side: a certificate must be sent */
	struct certcheck_store *store; /* NULL: chain not verified */
	bool check_validity;
	long skew;
	bool revocation_required;   /* unknown/stale revocation status fails */
	bool check_revocation;      /* CRLs were given */
	int min_rsa_bits, min_ec_bits;
	size_t n_curves;
	char **curves;              /* OpenSSL group names: "prime256v1" */
	uint32_t forbidden_md;      /* bits: POLICY_MD_* */
	bool match_sni;
	bool allow_self_signed;
	int max_chain;              /* 0: no limit */
	bool require_ocsp;
};
#define POLICY_MD_MD5  0x1
#define POLICY_MD_SHA1 0x2
#define POLICY_MD_SHA224 0x4

struct policy_profile {
	char *name;
	/* rule index + 1 for each check the profile judges; 0: not judged */
	uint16_t rule[POLICY_CHK_COUNT];
	/* versions: bit v - 0x0300 for SSLv3..TLS1.3; bit 15 for SSLv2 */
	uint16_t versions;
	uint8_t *suite_ok;          /* 65536-bit map: suites allowed */
	size_t n_groups;
	uint16_t *groups;           /* allowed groups; none: any */
	unsigned min_dh_bits;
	struct policy_certreq cert, client_cert;
	struct policy_strset sni_allow, sni_deny, ja3_allow, ja3_deny, ja4_allow, ja4_deny, alpn_allow;
	bool has_sni_allow, has_ja3_allow, has_ja4_allow, has_alpn_allow;
	uint8_t tls13_certs;        /* enum policy_action for hidden certificates */
};

struct policy {
	char *file;
	size_t n_rules, n_profiles, n_zones;
	struct policy_rule *rules;
	struct policy_profile *profiles;
	struct policy_zone *zones;
	size_t n_stores;
	struct certcheck_store **stores; /* owned; profiles point into them */
	bool needs_ja3, needs_ja4;
	unsigned resume_lifetime;   /* seconds a remembered verdict lasts */
};

/* Flags for rules_load_buffer(). */
#define RULES_NO_FILES 0x1      /* validate only: open no CA, CRL or list file */

/*
 * Parses `len` bytes of YAML named `name` (for messages); relative paths
 * are taken from basedir. NULL on error with err filled.
 */
struct policy *rules_load_buffer(const char *name, const char *data, size_t len,
				 const char *basedir, unsigned flags, struct policy_error *err);

/* Version names: "SSLv3", "TLSv1.0"/"TLS1.0"/"TLS 1.0", ... -> 0x0301. */
bool rules_version_by_name(const char *s, uint16_t *v);

/* Glob with * and ?; casefold for host names. */
bool rules_glob(const char *pat, const char *s, bool casefold);
bool policy_strset_has(const struct policy_strset *set, const char *s);

#endif
