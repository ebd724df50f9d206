/*
 * tls_names: IANA registries the parser, the log and the policy name things
 * by: cipher suites (with their properties), named groups, signature schemes,
 * extensions, alerts, handshake types and protocol versions.
 * Pure tables; every lookup is O(1) or O(log n) and allocates nothing.
 */
#ifndef SECAUDIT_TLS_NAMES_H
#define SECAUDIT_TLS_NAMES_H

#include <stdbool.h>
#include <stdint.h>

enum tls_kx {
	TLS_KX_NULL, TLS_KX_RSA, TLS_KX_DH, TLS_KX_DHE, TLS_KX_ECDH, TLS_KX_ECDHE,
	TLS_KX_PSK, TLS_KX_DHE_PSK, TLS_KX_ECDHE_PSK, TLS_KX_RSA_PSK, TLS_KX_SRP,
	TLS_KX_KRB5, TLS_KX_GOST, TLS_KX_TLS13, /* TLS 1.3: negotiated separately */
	TLS_KX_OTHER
};
enum tls_auth {
	TLS_AUTH_NULL, TLS_AUTH_RSA, TLS_AUTH_DSS, TLS_AUTH_ECDSA, TLS_AUTH_ANON,
	TLS_AUTH_PSK, TLS_AUTH_KRB5, TLS_AUTH_GOST, TLS_AUTH_TLS13, TLS_AUTH_OTHER
};
enum tls_enc {
	TLS_ENC_NULL, TLS_ENC_RC4, TLS_ENC_RC2, TLS_ENC_DES, TLS_ENC_DES40,
	TLS_ENC_3DES, TLS_ENC_IDEA, TLS_ENC_SEED, TLS_ENC_AES_CBC, TLS_ENC_AES_GCM,
	TLS_ENC_AES_CCM, TLS_ENC_CHACHA20_POLY1305, TLS_ENC_CAMELLIA_CBC,
	TLS_ENC_CAMELLIA_GCM, TLS_ENC_ARIA_CBC, TLS_ENC_ARIA_GCM, TLS_ENC_SM4,
	TLS_ENC_GOST, TLS_ENC_OTHER
};
enum tls_mac {
	TLS_MAC_NULL, TLS_MAC_MD5, TLS_MAC_SHA1, TLS_MAC_SHA256, TLS_MAC_SHA384,
	TLS_MAC_AEAD, TLS_MAC_OTHER
};

struct tls_suite_info {
	uint16_t code;
	const char *name;          /* IANA: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	const char *openssl_name;  /* "ECDHE-RSA-AES128-GCM-SHA256", or NULL */
	enum tls_kx kx;
	enum tls_auth auth;
	enum tls_enc enc;
	uint16_t enc_bits;         /* effective key bits (3DES: 112) */
	enum tls_mac mac;          /* record MAC; AEAD for AEAD suites */
	bool export_grade;
	bool aead;
	bool cbc;
	bool forward_secret;       /* (EC)DHE or TLS 1.3 */
	bool scsv;                 /* a signalling value (0x00ff, 0x5600), not a
	                            * suite: kx/auth/enc/mac are *_OTHER */
};

/* NULL for an unknown code (GREASE included). The table holds every code
 * point the IANA TLS Cipher Suites registry assigns; the returned pointer
 * is to static const data, valid for the life of the program. */
const struct tls_suite_info *tls_suite_info(uint16_t code);
/* IANA name, or NULL. */
const char *tls_suite_name(uint16_t code);
/* Finds a suite by IANA or OpenSSL name (case-sensitive), NULL if none. */
const struct tls_suite_info *tls_suite_by_name(const char *name);
/* Iterates the table: returns the i-th known suite, NULL past the end.
 * The table is in ascending code order. */
const struct tls_suite_info *tls_suite_at(unsigned i);
/* "AES_GCM", "3DES", ... / "ECDHE", "RSA_PSK", ... / "ECDSA", "anon", ... /
 * "SHA256", "AEAD", ...: short names of the property enums, for the log and
 * for rules; never NULL ("?" for an out-of-range value). */
const char *tls_kx_name(enum tls_kx kx);
const char *tls_auth_name(enum tls_auth auth);
const char *tls_enc_name(enum tls_enc enc);
const char *tls_mac_name(enum tls_mac mac);

/* "x25519", "secp256r1", "X25519MLKEM768", "ffdhe2048", ... or NULL. */
const char *tls_group_name(uint16_t group);
/* Reverse lookup; false if unknown. Accepts the IANA name and common
 * aliases ("prime256v1", "P-256"). */
bool tls_group_by_name(const char *name, uint16_t *group);
/* "rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", ... or NULL. */
const char *tls_sigalg_name(uint16_t scheme);
/* "server_name", "application_layer_protocol_negotiation", ... or NULL. */
const char *tls_ext_name(uint16_t ext);
/* "close_notify", "handshake_failure", ... or NULL. */
const char *tls_alert_name(uint8_t description);
/* "ClientHello", "Certificate", ... (RFC 8446 structure names) or NULL. */
const char *tls_handshake_name(uint8_t type);
/* Protocol version as Suricata's EVE prints it: "SSLv2", "SSLv3", "TLSv1",
 * "TLS 1.1", "TLS 1.2", "TLS 1.3", "TLS 1.3 draft-28", ...; NULL if unknown. */
const char *tls_version_name(uint16_t version);
/* The label of a code no registry names: "0x0305" in out (7 bytes). */
const char *tls_code_hex(uint16_t code, char out[7]);
/* tls_version_name(), or tls_code_hex() for a version it does not know.
 * Never NULL. */
const char *tls_version_label(uint16_t version, char out[7]);
/* Version as tshark and the corpus truth name it: "SSLv2", "SSLv3",
 * "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3", or NULL (drafts included). */
const char *tls_version_short(uint16_t version);

#endif
