/*
 * tls_names: the IANA TLS registries as const tables.
 *
 * Sources: IANA "Transport Layer Security (TLS) Parameters" (cipher suites,
 * supported groups, signature schemes, alerts, handshake types) and "TLS
 * ExtensionType Values"; RFC 8446 section 4 for the handshake structure
 * names; Suricata's EVE strings for versions. Suite properties are derived
 * from the IANA name (RFC 5246 appendix A.5 naming) and were cross-checked
 * against `openssl ciphers -v` (OpenSSL 3.0) for every suite it knows;
 * OpenSSL names for suites OpenSSL 3.0 no longer builds (RC4, DES, 3DES,
 * export, static DH/ECDH, SEED) are those OpenSSL 1.0.2/1.1.1 used.
 *
 * Every table is sorted by code and searched by bisection, except alerts and
 * handshake types, which are direct 256-entry indexes.
 */
#include <stddef.h>
#include <string.h>

#include "tls/tls_names.h"

#include <pthread.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define S(c, n, o, k, a, e, b, m, ex, ae, cb, fs, sc) { \
	.code = (c), .name = (n), .openssl_name = (o), .kx = TLS_KX_##k, \
	.auth = TLS_AUTH_##a, .enc = TLS_ENC_##e, .enc_bits = (b), \
	.mac = TLS_MAC_##m, .export_grade = (ex), .aead = (ae), .cbc = (cb), \
	.forward_secret = (fs), .scsv = (sc) }

/* IANA TLS Cipher Suites, every assigned code point, ascending. */
static const struct tls_suite_info suites[] = {
	S(0x0000, "TLS_NULL_WITH_NULL_NULL", NULL,
	  NULL, NULL, NULL, 0, NULL, false, false, false, false, false),
	S(0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5",
	  RSA, RSA, NULL, 0, MD5, false, false, false, false, false),
	S(0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL-SHA",
	  RSA, RSA, NULL, 0, SHA1, false, false, false, false, false),
	S(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5",
	  RSA, RSA, RC4, 40, MD5, true, false, false, false, false),
	S(0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5",
	  RSA, RSA, RC4, 128, MD5, false, false, false, false, false),
	S(0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA",
	  RSA, RSA, RC4, 128, SHA1, false, false, false, false, false),
	S(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXP-RC2-CBC-MD5",
	  RSA, RSA, RC2, 40, MD5, true, false, true, false, false),
	S(0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA",
	  RSA, RSA, IDEA, 128, SHA1, false, false, true, false, false),
	S(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DES-CBC-SHA",
	  RSA, RSA, DES40, 40, SHA1, true, false, true, false, false),
	S(0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA",
	  RSA, RSA, DES, 56, SHA1, false, false, true, false, false),
	S(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA",
	  RSA, RSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-DSS-DES-CBC-SHA",
	  DH, DSS, DES40, 40, SHA1, true, false, true, false, false),
	S(0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA", "DH-DSS-DES-CBC-SHA",
	  DH, DSS, DES, 56, SHA1, false, false, true, false, false),
	S(0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", "DH-DSS-DES-CBC3-SHA",
	  DH, DSS, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-DH-RSA-DES-CBC-SHA",
	  DH, RSA, DES40, 40, SHA1, true, false, true, false, false),
	S(0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA", "DH-RSA-DES-CBC-SHA",
	  DH, RSA, DES, 56, SHA1, false, false, true, false, false),
	S(0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", "DH-RSA-DES-CBC3-SHA",
	  DH, RSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-DSS-DES-CBC-SHA",
	  DHE, DSS, DES40, 40, SHA1, true, false, true, true, false),
	S(0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", "EDH-DSS-DES-CBC-SHA",
	  DHE, DSS, DES, 56, SHA1, false, false, true, true, false),
	S(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "EDH-DSS-DES-CBC3-SHA",
	  DHE, DSS, 3DES, 112, SHA1, false, false, true, true, false),
	S(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-RSA-DES-CBC-SHA",
	  DHE, RSA, DES40, 40, SHA1, true, false, true, true, false),
	S(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", "EDH-RSA-DES-CBC-SHA",
	  DHE, RSA, DES, 56, SHA1, false, false, true, true, false),
	S(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "EDH-RSA-DES-CBC3-SHA",
	  DHE, RSA, 3DES, 112, SHA1, false, false, true, true, false),
	S(0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", "EXP-ADH-RC4-MD5",
	  DHE, ANON, RC4, 40, MD5, true, false, false, true, false),
	S(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5",
	  DHE, ANON, RC4, 128, MD5, false, false, false, true, false),
	S(0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", "EXP-ADH-DES-CBC-SHA",
	  DHE, ANON, DES40, 40, SHA1, true, false, true, true, false),
	S(0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA", "ADH-DES-CBC-SHA",
	  DHE, ANON, DES, 56, SHA1, false, false, true, true, false),
	S(0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "ADH-DES-CBC3-SHA",
	  DHE, ANON, 3DES, 112, SHA1, false, false, true, true, false),
	S(0x001e, "TLS_KRB5_WITH_DES_CBC_SHA", NULL,
	  KRB5, KRB5, DES, 56, SHA1, false, false, true, false, false),
	S(0x001f, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA", NULL,
	  KRB5, KRB5, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x0020, "TLS_KRB5_WITH_RC4_128_SHA", NULL,
	  KRB5, KRB5, RC4, 128, SHA1, false, false, false, false, false),
	S(0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA", NULL,
	  KRB5, KRB5, IDEA, 128, SHA1, false, false, true, false, false),
	S(0x0022, "TLS_KRB5_WITH_DES_CBC_MD5", NULL,
	  KRB5, KRB5, DES, 56, MD5, false, false, true, false, false),
	S(0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5", NULL,
	  KRB5, KRB5, 3DES, 112, MD5, false, false, true, false, false),
	S(0x0024, "TLS_KRB5_WITH_RC4_128_MD5", NULL,
	  KRB5, KRB5, RC4, 128, MD5, false, false, false, false, false),
	S(0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5", NULL,
	  KRB5, KRB5, IDEA, 128, MD5, false, false, true, false, false),
	S(0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", NULL,
	  KRB5, KRB5, DES40, 40, SHA1, true, false, true, false, false),
	S(0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA", NULL,
	  KRB5, KRB5, RC2, 40, SHA1, true, false, true, false, false),
	S(0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA", NULL,
	  KRB5, KRB5, RC4, 40, SHA1, true, false, false, false, false),
	S(0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5", NULL,
	  KRB5, KRB5, DES40, 40, MD5, true, false, true, false, false),
	S(0x002a, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5", NULL,
	  KRB5, KRB5, RC2, 40, MD5, true, false, true, false, false),
	S(0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5", NULL,
	  KRB5, KRB5, RC4, 40, MD5, true, false, false, false, false),
	S(0x002c, "TLS_PSK_WITH_NULL_SHA", "PSK-NULL-SHA",
	  PSK, PSK, NULL, 0, SHA1, false, false, false, false, false),
	S(0x002d, "TLS_DHE_PSK_WITH_NULL_SHA", "DHE-PSK-NULL-SHA",
	  DHE_PSK, PSK, NULL, 0, SHA1, false, false, false, true, false),
	S(0x002e, "TLS_RSA_PSK_WITH_NULL_SHA", "RSA-PSK-NULL-SHA",
	  RSA_PSK, RSA, NULL, 0, SHA1, false, false, false, false, false),
	S(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA",
	  RSA, RSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", "DH-DSS-AES128-SHA",
	  DH, DSS, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", "DH-RSA-AES128-SHA",
	  DH, RSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA",
	  DHE, DSS, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA",
	  DHE, RSA, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA",
	  DHE, ANON, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA",
	  RSA, RSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", "DH-DSS-AES256-SHA",
	  DH, DSS, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", "DH-RSA-AES256-SHA",
	  DH, RSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA",
	  DHE, DSS, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA",
	  DHE, RSA, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA",
	  DHE, ANON, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0x003b, "TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256",
	  RSA, RSA, NULL, 0, SHA256, false, false, false, false, false),
	S(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256",
	  RSA, RSA, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256",
	  RSA, RSA, AES_CBC, 256, SHA256, false, false, true, false, false),
	S(0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", "DH-DSS-AES128-SHA256",
	  DH, DSS, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", "DH-RSA-AES128-SHA256",
	  DH, RSA, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256",
	  DHE, DSS, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "CAMELLIA128-SHA",
	  RSA, RSA, CAMELLIA_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", "DH-DSS-CAMELLIA128-SHA",
	  DH, DSS, CAMELLIA_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", "DH-RSA-CAMELLIA128-SHA",
	  DH, RSA, CAMELLIA_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", "DHE-DSS-CAMELLIA128-SHA",
	  DHE, DSS, CAMELLIA_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA",
	  DHE, RSA, CAMELLIA_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", "ADH-CAMELLIA128-SHA",
	  DHE, ANON, CAMELLIA_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256",
	  DHE, RSA, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", "DH-DSS-AES256-SHA256",
	  DH, DSS, AES_CBC, 256, SHA256, false, false, true, false, false),
	S(0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", "DH-RSA-AES256-SHA256",
	  DH, RSA, AES_CBC, 256, SHA256, false, false, true, false, false),
	S(0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256",
	  DHE, DSS, AES_CBC, 256, SHA256, false, false, true, true, false),
	S(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256",
	  DHE, RSA, AES_CBC, 256, SHA256, false, false, true, true, false),
	S(0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "ADH-AES128-SHA256",
	  DHE, ANON, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", "ADH-AES256-SHA256",
	  DHE, ANON, AES_CBC, 256, SHA256, false, false, true, true, false),
	S(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", "CAMELLIA256-SHA",
	  RSA, RSA, CAMELLIA_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", "DH-DSS-CAMELLIA256-SHA",
	  DH, DSS, CAMELLIA_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", "DH-RSA-CAMELLIA256-SHA",
	  DH, RSA, CAMELLIA_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", "DHE-DSS-CAMELLIA256-SHA",
	  DHE, DSS, CAMELLIA_CBC, 256, SHA1, false, false, true, true, false),
	S(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA",
	  DHE, RSA, CAMELLIA_CBC, 256, SHA1, false, false, true, true, false),
	S(0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", "ADH-CAMELLIA256-SHA",
	  DHE, ANON, CAMELLIA_CBC, 256, SHA1, false, false, true, true, false),
	S(0x008a, "TLS_PSK_WITH_RC4_128_SHA", "PSK-RC4-SHA",
	  PSK, PSK, RC4, 128, SHA1, false, false, false, false, false),
	S(0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", "PSK-3DES-EDE-CBC-SHA",
	  PSK, PSK, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA", "PSK-AES128-CBC-SHA",
	  PSK, PSK, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA", "PSK-AES256-CBC-SHA",
	  PSK, PSK, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA", "DHE-PSK-RC4-SHA",
	  DHE_PSK, PSK, RC4, 128, SHA1, false, false, false, true, false),
	S(0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", "DHE-PSK-3DES-EDE-CBC-SHA",
	  DHE_PSK, PSK, 3DES, 112, SHA1, false, false, true, true, false),
	S(0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", "DHE-PSK-AES128-CBC-SHA",
	  DHE_PSK, PSK, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", "DHE-PSK-AES256-CBC-SHA",
	  DHE_PSK, PSK, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", "RSA-PSK-RC4-SHA",
	  RSA_PSK, RSA, RC4, 128, SHA1, false, false, false, false, false),
	S(0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", "RSA-PSK-3DES-EDE-CBC-SHA",
	  RSA_PSK, RSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", "RSA-PSK-AES128-CBC-SHA",
	  RSA_PSK, RSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", "RSA-PSK-AES256-CBC-SHA",
	  RSA_PSK, RSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA",
	  RSA, RSA, SEED, 128, SHA1, false, false, true, false, false),
	S(0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", "DH-DSS-SEED-SHA",
	  DH, DSS, SEED, 128, SHA1, false, false, true, false, false),
	S(0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", "DH-RSA-SEED-SHA",
	  DH, RSA, SEED, 128, SHA1, false, false, true, false, false),
	S(0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", "DHE-DSS-SEED-SHA",
	  DHE, DSS, SEED, 128, SHA1, false, false, true, true, false),
	S(0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", "DHE-RSA-SEED-SHA",
	  DHE, RSA, SEED, 128, SHA1, false, false, true, true, false),
	S(0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA", "ADH-SEED-SHA",
	  DHE, ANON, SEED, 128, SHA1, false, false, true, true, false),
	S(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256",
	  RSA, RSA, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384",
	  RSA, RSA, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256",
	  DHE, RSA, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384",
	  DHE, RSA, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", "DH-RSA-AES128-GCM-SHA256",
	  DH, RSA, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", "DH-RSA-AES256-GCM-SHA384",
	  DH, RSA, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256",
	  DHE, DSS, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384",
	  DHE, DSS, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", "DH-DSS-AES128-GCM-SHA256",
	  DH, DSS, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", "DH-DSS-AES256-GCM-SHA384",
	  DH, DSS, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256",
	  DHE, ANON, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384",
	  DHE, ANON, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK-AES128-GCM-SHA256",
	  PSK, PSK, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384", "PSK-AES256-GCM-SHA384",
	  PSK, PSK, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "DHE-PSK-AES128-GCM-SHA256",
	  DHE_PSK, PSK, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", "DHE-PSK-AES256-GCM-SHA384",
	  DHE_PSK, PSK, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", "RSA-PSK-AES128-GCM-SHA256",
	  RSA_PSK, RSA, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", "RSA-PSK-AES256-GCM-SHA384",
	  RSA_PSK, RSA, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256", "PSK-AES128-CBC-SHA256",
	  PSK, PSK, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384", "PSK-AES256-CBC-SHA384",
	  PSK, PSK, AES_CBC, 256, SHA384, false, false, true, false, false),
	S(0x00b0, "TLS_PSK_WITH_NULL_SHA256", "PSK-NULL-SHA256",
	  PSK, PSK, NULL, 0, SHA256, false, false, false, false, false),
	S(0x00b1, "TLS_PSK_WITH_NULL_SHA384", "PSK-NULL-SHA384",
	  PSK, PSK, NULL, 0, SHA384, false, false, false, false, false),
	S(0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "DHE-PSK-AES128-CBC-SHA256",
	  DHE_PSK, PSK, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", "DHE-PSK-AES256-CBC-SHA384",
	  DHE_PSK, PSK, AES_CBC, 256, SHA384, false, false, true, true, false),
	S(0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256", "DHE-PSK-NULL-SHA256",
	  DHE_PSK, PSK, NULL, 0, SHA256, false, false, false, true, false),
	S(0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384", "DHE-PSK-NULL-SHA384",
	  DHE_PSK, PSK, NULL, 0, SHA384, false, false, false, true, false),
	S(0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", "RSA-PSK-AES128-CBC-SHA256",
	  RSA_PSK, RSA, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", "RSA-PSK-AES256-CBC-SHA384",
	  RSA_PSK, RSA, AES_CBC, 256, SHA384, false, false, true, false, false),
	S(0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256", "RSA-PSK-NULL-SHA256",
	  RSA_PSK, RSA, NULL, 0, SHA256, false, false, false, false, false),
	S(0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384", "RSA-PSK-NULL-SHA384",
	  RSA_PSK, RSA, NULL, 0, SHA384, false, false, false, false, false),
	S(0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", "CAMELLIA128-SHA256",
	  RSA, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", NULL,
	  DH, DSS, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", NULL,
	  DH, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", "DHE-DSS-CAMELLIA128-SHA256",
	  DHE, DSS, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256",
	  DHE, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", "ADH-CAMELLIA128-SHA256",
	  DHE, ANON, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "CAMELLIA256-SHA256",
	  RSA, RSA, CAMELLIA_CBC, 256, SHA256, false, false, true, false, false),
	S(0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", NULL,
	  DH, DSS, CAMELLIA_CBC, 256, SHA256, false, false, true, false, false),
	S(0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", NULL,
	  DH, RSA, CAMELLIA_CBC, 256, SHA256, false, false, true, false, false),
	S(0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", "DHE-DSS-CAMELLIA256-SHA256",
	  DHE, DSS, CAMELLIA_CBC, 256, SHA256, false, false, true, true, false),
	S(0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256",
	  DHE, RSA, CAMELLIA_CBC, 256, SHA256, false, false, true, true, false),
	S(0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", "ADH-CAMELLIA256-SHA256",
	  DHE, ANON, CAMELLIA_CBC, 256, SHA256, false, false, true, true, false),
	S(0x00c6, "TLS_SM4_GCM_SM3", NULL,
	  TLS13, TLS13, SM4, 128, AEAD, false, true, false, true, false),
	S(0x00c7, "TLS_SM4_CCM_SM3", NULL,
	  TLS13, TLS13, SM4, 128, AEAD, false, true, false, true, false),
	S(0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", NULL,
	  OTHER, OTHER, OTHER, 0, OTHER, false, false, false, false, true),
	S(0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256",
	  TLS13, TLS13, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384",
	  TLS13, TLS13, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
	  TLS13, TLS13, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0x1304, "TLS_AES_128_CCM_SHA256", NULL,
	  TLS13, TLS13, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0x1305, "TLS_AES_128_CCM_8_SHA256", NULL,
	  TLS13, TLS13, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0x1306, "TLS_AEGIS_256_SHA384", NULL,
	  TLS13, TLS13, OTHER, 256, AEAD, false, true, false, true, false),
	S(0x1307, "TLS_AEGIS_128L_SHA256", NULL,
	  TLS13, TLS13, OTHER, 128, AEAD, false, true, false, true, false),
	S(0x5600, "TLS_FALLBACK_SCSV", NULL,
	  OTHER, OTHER, OTHER, 0, OTHER, false, false, false, false, true),
	S(0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", "ECDH-ECDSA-NULL-SHA",
	  ECDH, ECDSA, NULL, 0, SHA1, false, false, false, false, false),
	S(0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", "ECDH-ECDSA-RC4-SHA",
	  ECDH, ECDSA, RC4, 128, SHA1, false, false, false, false, false),
	S(0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDH-ECDSA-DES-CBC3-SHA",
	  ECDH, ECDSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH-ECDSA-AES128-SHA",
	  ECDH, ECDSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", "ECDH-ECDSA-AES256-SHA",
	  ECDH, ECDSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA",
	  ECDHE, ECDSA, NULL, 0, SHA1, false, false, false, true, false),
	S(0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA",
	  ECDHE, ECDSA, RC4, 128, SHA1, false, false, false, true, false),
	S(0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA",
	  ECDHE, ECDSA, 3DES, 112, SHA1, false, false, true, true, false),
	S(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA",
	  ECDHE, ECDSA, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA",
	  ECDHE, ECDSA, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA", "ECDH-RSA-NULL-SHA",
	  ECDH, RSA, NULL, 0, SHA1, false, false, false, false, false),
	S(0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA", "ECDH-RSA-RC4-SHA",
	  ECDH, RSA, RC4, 128, SHA1, false, false, false, false, false),
	S(0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", "ECDH-RSA-DES-CBC3-SHA",
	  ECDH, RSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "ECDH-RSA-AES128-SHA",
	  ECDH, RSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", "ECDH-RSA-AES256-SHA",
	  ECDH, RSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA",
	  ECDHE, RSA, NULL, 0, SHA1, false, false, false, true, false),
	S(0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA",
	  ECDHE, RSA, RC4, 128, SHA1, false, false, false, true, false),
	S(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA",
	  ECDHE, RSA, 3DES, 112, SHA1, false, false, true, true, false),
	S(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA",
	  ECDHE, RSA, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA",
	  ECDHE, RSA, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0xc015, "TLS_ECDH_anon_WITH_NULL_SHA", "AECDH-NULL-SHA",
	  ECDHE, ANON, NULL, 0, SHA1, false, false, false, true, false),
	S(0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA", "AECDH-RC4-SHA",
	  ECDHE, ANON, RC4, 128, SHA1, false, false, false, true, false),
	S(0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", "AECDH-DES-CBC3-SHA",
	  ECDHE, ANON, 3DES, 112, SHA1, false, false, true, true, false),
	S(0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA",
	  ECDHE, ANON, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA",
	  ECDHE, ANON, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", "SRP-3DES-EDE-CBC-SHA",
	  SRP, OTHER, 3DES, 112, SHA1, false, false, true, false, false),
	S(0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", "SRP-RSA-3DES-EDE-CBC-SHA",
	  SRP, RSA, 3DES, 112, SHA1, false, false, true, false, false),
	S(0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", "SRP-DSS-3DES-EDE-CBC-SHA",
	  SRP, DSS, 3DES, 112, SHA1, false, false, true, false, false),
	S(0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", "SRP-AES-128-CBC-SHA",
	  SRP, OTHER, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", "SRP-RSA-AES-128-CBC-SHA",
	  SRP, RSA, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", "SRP-DSS-AES-128-CBC-SHA",
	  SRP, DSS, AES_CBC, 128, SHA1, false, false, true, false, false),
	S(0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", "SRP-AES-256-CBC-SHA",
	  SRP, OTHER, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", "SRP-RSA-AES-256-CBC-SHA",
	  SRP, RSA, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", "SRP-DSS-AES-256-CBC-SHA",
	  SRP, DSS, AES_CBC, 256, SHA1, false, false, true, false, false),
	S(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256",
	  ECDHE, ECDSA, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384",
	  ECDHE, ECDSA, AES_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", "ECDH-ECDSA-AES128-SHA256",
	  ECDH, ECDSA, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", "ECDH-ECDSA-AES256-SHA384",
	  ECDH, ECDSA, AES_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256",
	  ECDHE, RSA, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384",
	  ECDHE, RSA, AES_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", "ECDH-RSA-AES128-SHA256",
	  ECDH, RSA, AES_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", "ECDH-RSA-AES256-SHA384",
	  ECDH, RSA, AES_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
	  ECDHE, ECDSA, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
	  ECDHE, ECDSA, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", "ECDH-ECDSA-AES128-GCM-SHA256",
	  ECDH, ECDSA, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", "ECDH-ECDSA-AES256-GCM-SHA384",
	  ECDH, ECDSA, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	  ECDHE, RSA, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	  ECDHE, RSA, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "ECDH-RSA-AES128-GCM-SHA256",
	  ECDH, RSA, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", "ECDH-RSA-AES256-GCM-SHA384",
	  ECDH, RSA, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA", "ECDHE-PSK-RC4-SHA",
	  ECDHE_PSK, PSK, RC4, 128, SHA1, false, false, false, true, false),
	S(0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", "ECDHE-PSK-3DES-EDE-CBC-SHA",
	  ECDHE_PSK, PSK, 3DES, 112, SHA1, false, false, true, true, false),
	S(0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", "ECDHE-PSK-AES128-CBC-SHA",
	  ECDHE_PSK, PSK, AES_CBC, 128, SHA1, false, false, true, true, false),
	S(0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", "ECDHE-PSK-AES256-CBC-SHA",
	  ECDHE_PSK, PSK, AES_CBC, 256, SHA1, false, false, true, true, false),
	S(0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "ECDHE-PSK-AES128-CBC-SHA256",
	  ECDHE_PSK, PSK, AES_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", "ECDHE-PSK-AES256-CBC-SHA384",
	  ECDHE_PSK, PSK, AES_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA", "ECDHE-PSK-NULL-SHA",
	  ECDHE_PSK, PSK, NULL, 0, SHA1, false, false, false, true, false),
	S(0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256", "ECDHE-PSK-NULL-SHA256",
	  ECDHE_PSK, PSK, NULL, 0, SHA256, false, false, false, true, false),
	S(0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384", "ECDHE-PSK-NULL-SHA384",
	  ECDHE_PSK, PSK, NULL, 0, SHA384, false, false, false, true, false),
	S(0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  RSA, RSA, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  RSA, RSA, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc03e, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256", NULL,
	  DH, DSS, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc03f, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384", NULL,
	  DH, DSS, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  DH, RSA, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  DH, RSA, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256", NULL,
	  DHE, DSS, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384", NULL,
	  DHE, DSS, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  DHE, RSA, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  DHE, RSA, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256", NULL,
	  DHE, ANON, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384", NULL,
	  DHE, ANON, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  ECDHE, ECDSA, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  ECDHE, ECDSA, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc04a, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  ECDH, ECDSA, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc04b, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  ECDH, ECDSA, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  ECDHE, RSA, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  ECDHE, RSA, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc04e, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256", NULL,
	  ECDH, RSA, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc04f, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384", NULL,
	  ECDH, RSA, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", "ARIA128-GCM-SHA256",
	  RSA, RSA, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", "ARIA256-GCM-SHA384",
	  RSA, RSA, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", "DHE-RSA-ARIA128-GCM-SHA256",
	  DHE, RSA, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", "DHE-RSA-ARIA256-GCM-SHA384",
	  DHE, RSA, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256", NULL,
	  DH, RSA, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384", NULL,
	  DH, RSA, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", "DHE-DSS-ARIA128-GCM-SHA256",
	  DHE, DSS, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", "DHE-DSS-ARIA256-GCM-SHA384",
	  DHE, DSS, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256", NULL,
	  DH, DSS, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384", NULL,
	  DH, DSS, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256", NULL,
	  DHE, ANON, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc05b, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384", NULL,
	  DHE, ANON, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ECDSA-ARIA128-GCM-SHA256",
	  ECDHE, ECDSA, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ECDSA-ARIA256-GCM-SHA384",
	  ECDHE, ECDSA, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc05e, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256", NULL,
	  ECDH, ECDSA, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc05f, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384", NULL,
	  ECDH, ECDSA, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ARIA128-GCM-SHA256",
	  ECDHE, RSA, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ARIA256-GCM-SHA384",
	  ECDHE, RSA, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256", NULL,
	  ECDH, RSA, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384", NULL,
	  ECDH, RSA, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256", NULL,
	  PSK, PSK, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384", NULL,
	  PSK, PSK, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256", NULL,
	  DHE_PSK, PSK, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384", NULL,
	  DHE_PSK, PSK, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256", NULL,
	  RSA_PSK, RSA, ARIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384", NULL,
	  RSA_PSK, RSA, ARIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256", "PSK-ARIA128-GCM-SHA256",
	  PSK, PSK, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384", "PSK-ARIA256-GCM-SHA384",
	  PSK, PSK, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", "DHE-PSK-ARIA128-GCM-SHA256",
	  DHE_PSK, PSK, ARIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", "DHE-PSK-ARIA256-GCM-SHA384",
	  DHE_PSK, PSK, ARIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", "RSA-PSK-ARIA128-GCM-SHA256",
	  RSA_PSK, RSA, ARIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", "RSA-PSK-ARIA256-GCM-SHA384",
	  RSA_PSK, RSA, ARIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256", NULL,
	  ECDHE_PSK, PSK, ARIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384", NULL,
	  ECDHE_PSK, PSK, ARIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256",
	  ECDHE, ECDSA, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384",
	  ECDHE, ECDSA, CAMELLIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", NULL,
	  ECDH, ECDSA, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", NULL,
	  ECDH, ECDSA, CAMELLIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256",
	  ECDHE, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384",
	  ECDHE, RSA, CAMELLIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256", NULL,
	  ECDH, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384", NULL,
	  ECDH, RSA, CAMELLIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  RSA, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  RSA, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DHE, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DHE, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc07e, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DH, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc07f, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DH, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DHE, DSS, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DHE, DSS, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DH, DSS, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DH, DSS, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DHE, ANON, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DHE, ANON, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  ECDHE, ECDSA, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  ECDHE, ECDSA, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  ECDH, ECDSA, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  ECDH, ECDSA, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  ECDHE, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  ECDHE, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc08c, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  ECDH, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc08d, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  ECDH, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc08e, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  PSK, PSK, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc08f, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  PSK, PSK, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  DHE_PSK, PSK, CAMELLIA_GCM, 128, AEAD, false, true, false, true, false),
	S(0xc091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  DHE_PSK, PSK, CAMELLIA_GCM, 256, AEAD, false, true, false, true, false),
	S(0xc092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256", NULL,
	  RSA_PSK, RSA, CAMELLIA_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384", NULL,
	  RSA_PSK, RSA, CAMELLIA_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", "PSK-CAMELLIA128-SHA256",
	  PSK, PSK, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", "PSK-CAMELLIA256-SHA384",
	  PSK, PSK, CAMELLIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", "DHE-PSK-CAMELLIA128-SHA256",
	  DHE_PSK, PSK, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", "DHE-PSK-CAMELLIA256-SHA384",
	  DHE_PSK, PSK, CAMELLIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", "RSA-PSK-CAMELLIA128-SHA256",
	  RSA_PSK, RSA, CAMELLIA_CBC, 128, SHA256, false, false, true, false, false),
	S(0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", "RSA-PSK-CAMELLIA256-SHA384",
	  RSA_PSK, RSA, CAMELLIA_CBC, 256, SHA384, false, false, true, false, false),
	S(0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-PSK-CAMELLIA128-SHA256",
	  ECDHE_PSK, PSK, CAMELLIA_CBC, 128, SHA256, false, false, true, true, false),
	S(0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-PSK-CAMELLIA256-SHA384",
	  ECDHE_PSK, PSK, CAMELLIA_CBC, 256, SHA384, false, false, true, true, false),
	S(0xc09c, "TLS_RSA_WITH_AES_128_CCM", "AES128-CCM",
	  RSA, RSA, AES_CCM, 128, AEAD, false, true, false, false, false),
	S(0xc09d, "TLS_RSA_WITH_AES_256_CCM", "AES256-CCM",
	  RSA, RSA, AES_CCM, 256, AEAD, false, true, false, false, false),
	S(0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM",
	  DHE, RSA, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM",
	  DHE, RSA, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8",
	  RSA, RSA, AES_CCM, 128, AEAD, false, true, false, false, false),
	S(0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8",
	  RSA, RSA, AES_CCM, 256, AEAD, false, true, false, false, false),
	S(0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8",
	  DHE, RSA, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8",
	  DHE, RSA, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0a4, "TLS_PSK_WITH_AES_128_CCM", "PSK-AES128-CCM",
	  PSK, PSK, AES_CCM, 128, AEAD, false, true, false, false, false),
	S(0xc0a5, "TLS_PSK_WITH_AES_256_CCM", "PSK-AES256-CCM",
	  PSK, PSK, AES_CCM, 256, AEAD, false, true, false, false, false),
	S(0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM", "DHE-PSK-AES128-CCM",
	  DHE_PSK, PSK, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM", "DHE-PSK-AES256-CCM",
	  DHE_PSK, PSK, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8",
	  PSK, PSK, AES_CCM, 128, AEAD, false, true, false, false, false),
	S(0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8", "PSK-AES256-CCM8",
	  PSK, PSK, AES_CCM, 256, AEAD, false, true, false, false, false),
	S(0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8", "DHE-PSK-AES128-CCM8",
	  DHE_PSK, PSK, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8", "DHE-PSK-AES256-CCM8",
	  DHE_PSK, PSK, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM",
	  ECDHE, ECDSA, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM",
	  ECDHE, ECDSA, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8",
	  ECDHE, ECDSA, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8",
	  ECDHE, ECDSA, AES_CCM, 256, AEAD, false, true, false, true, false),
	S(0xc0b0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", NULL,
	  OTHER, OTHER, AES_GCM, 128, AEAD, false, true, false, false, false),
	S(0xc0b1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384", NULL,
	  OTHER, OTHER, AES_GCM, 256, AEAD, false, true, false, false, false),
	S(0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", NULL,
	  OTHER, OTHER, AES_CCM, 128, AEAD, false, true, false, false, false),
	S(0xc0b3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", NULL,
	  OTHER, OTHER, AES_CCM, 256, AEAD, false, true, false, false, false),
	S(0xc0b4, "TLS_SHA256_SHA256", NULL,
	  TLS13, TLS13, NULL, 0, SHA256, false, false, false, true, false),
	S(0xc0b5, "TLS_SHA384_SHA384", NULL,
	  TLS13, TLS13, NULL, 0, SHA384, false, false, false, true, false),
	S(0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", NULL,
	  GOST, GOST, GOST, 256, OTHER, false, false, false, false, false),
	S(0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC", NULL,
	  GOST, GOST, GOST, 256, OTHER, false, false, false, false, false),
	S(0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", NULL,
	  GOST, GOST, GOST, 256, OTHER, false, false, false, false, false),
	S(0xc103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", NULL,
	  TLS13, TLS13, GOST, 256, AEAD, false, true, false, true, false),
	S(0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L", NULL,
	  TLS13, TLS13, GOST, 256, AEAD, false, true, false, true, false),
	S(0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S", NULL,
	  TLS13, TLS13, GOST, 256, AEAD, false, true, false, true, false),
	S(0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", NULL,
	  TLS13, TLS13, GOST, 256, AEAD, false, true, false, true, false),
	S(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
	  ECDHE, RSA, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
	  ECDHE, ECDSA, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305",
	  DHE, RSA, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK-CHACHA20-POLY1305",
	  PSK, PSK, CHACHA20_POLY1305, 256, AEAD, false, true, false, false, false),
	S(0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-PSK-CHACHA20-POLY1305",
	  ECDHE_PSK, PSK, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "DHE-PSK-CHACHA20-POLY1305",
	  DHE_PSK, PSK, CHACHA20_POLY1305, 256, AEAD, false, true, false, true, false),
	S(0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", "RSA-PSK-CHACHA20-POLY1305",
	  RSA_PSK, RSA, CHACHA20_POLY1305, 256, AEAD, false, true, false, false, false),
	S(0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", NULL,
	  ECDHE_PSK, PSK, AES_GCM, 128, AEAD, false, true, false, true, false),
	S(0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", NULL,
	  ECDHE_PSK, PSK, AES_GCM, 256, AEAD, false, true, false, true, false),
	S(0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", NULL,
	  ECDHE_PSK, PSK, AES_CCM, 128, AEAD, false, true, false, true, false),
	S(0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", NULL,
	  ECDHE_PSK, PSK, AES_CCM, 128, AEAD, false, true, false, true, false),
};

#undef S

struct code_name {
	uint16_t code;
	const char *name;
};

/* Bisection over a table sorted by ascending code. */
static const char *code_name_find(const struct code_name *t, size_t n, uint16_t code)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].code == code)
			return t[mid].name;
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Suites are looked up for every offered suite of every hello (policy,
 * log): a direct index over the 16-bit code space, built once, makes that
 * one load instead of a binary search. 0 means unknown, else index + 1. */
static uint16_t suite_index[65536];
static pthread_once_t suite_index_once = PTHREAD_ONCE_INIT;

static void suite_index_build(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(suites); i++)
		suite_index[suites[i].code] = (uint16_t)(i + 1);
}

const struct tls_suite_info *tls_suite_info(uint16_t code)
{
	pthread_once(&suite_index_once, suite_index_build);
	return suite_index[code] ? &suites[suite_index[code] - 1] : NULL;
}

const char *tls_suite_name(uint16_t code)
{
	const struct tls_suite_info *s = tls_suite_info(code);

	return s ? s->name : NULL;
}

/* Not on the packet path (rules compile once), so a linear scan. */
const struct tls_suite_info *tls_suite_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		if (strcmp(suites[i].name, name) == 0)
			return &suites[i];
		if (suites[i].openssl_name && strcmp(suites[i].openssl_name, name) == 0)
			return &suites[i];
	}
	return NULL;
}

const struct tls_suite_info *tls_suite_at(unsigned i)
{
	return i < ARRAY_LEN(suites) ? &suites[i] : NULL;
}

const char *tls_kx_name(enum tls_kx kx)
{
	static const char *const names[] = {
		[TLS_KX_NULL] = "NULL", [TLS_KX_RSA] = "RSA", [TLS_KX_DH] = "DH",
		[TLS_KX_DHE] = "DHE", [TLS_KX_ECDH] = "ECDH", [TLS_KX_ECDHE] = "ECDHE",
		[TLS_KX_PSK] = "PSK", [TLS_KX_DHE_PSK] = "DHE_PSK",
		[TLS_KX_ECDHE_PSK] = "ECDHE_PSK", [TLS_KX_RSA_PSK] = "RSA_PSK",
		[TLS_KX_SRP] = "SRP", [TLS_KX_KRB5] = "KRB5", [TLS_KX_GOST] = "GOST",
		[TLS_KX_TLS13] = "TLS13", [TLS_KX_OTHER] = "OTHER",
	};

	return (unsigned)kx < ARRAY_LEN(names) ? names[kx] : "?";
}

const char *tls_auth_name(enum tls_auth auth)
{
	static const char *const names[] = {
		[TLS_AUTH_NULL] = "NULL", [TLS_AUTH_RSA] = "RSA", [TLS_AUTH_DSS] = "DSS",
		[TLS_AUTH_ECDSA] = "ECDSA", [TLS_AUTH_ANON] = "anon", [TLS_AUTH_PSK] = "PSK",
		[TLS_AUTH_KRB5] = "KRB5", [TLS_AUTH_GOST] = "GOST", [TLS_AUTH_TLS13] = "TLS13",
		[TLS_AUTH_OTHER] = "OTHER",
	};

	return (unsigned)auth < ARRAY_LEN(names) ? names[auth] : "?";
}

const char *tls_enc_name(enum tls_enc enc)
{
	static const char *const names[] = {
		[TLS_ENC_NULL] = "NULL", [TLS_ENC_RC4] = "RC4", [TLS_ENC_RC2] = "RC2",
		[TLS_ENC_DES] = "DES", [TLS_ENC_DES40] = "DES40", [TLS_ENC_3DES] = "3DES",
		[TLS_ENC_IDEA] = "IDEA", [TLS_ENC_SEED] = "SEED",
		[TLS_ENC_AES_CBC] = "AES_CBC", [TLS_ENC_AES_GCM] = "AES_GCM",
		[TLS_ENC_AES_CCM] = "AES_CCM",
		[TLS_ENC_CHACHA20_POLY1305] = "CHACHA20_POLY1305",
		[TLS_ENC_CAMELLIA_CBC] = "CAMELLIA_CBC", [TLS_ENC_CAMELLIA_GCM] = "CAMELLIA_GCM",
		[TLS_ENC_ARIA_CBC] = "ARIA_CBC", [TLS_ENC_ARIA_GCM] = "ARIA_GCM",
		[TLS_ENC_SM4] = "SM4", [TLS_ENC_GOST] = "GOST", [TLS_ENC_OTHER] = "OTHER",
	};

	return (unsigned)enc < ARRAY_LEN(names) ? names[enc] : "?";
}

const char *tls_mac_name(enum tls_mac mac)
{
	static const char *const names[] = {
		[TLS_MAC_NULL] = "NULL", [TLS_MAC_MD5] = "MD5", [TLS_MAC_SHA1] = "SHA1",
		[TLS_MAC_SHA256] = "SHA256", [TLS_MAC_SHA384] = "SHA384",
		[TLS_MAC_AEAD] = "AEAD", [TLS_MAC_OTHER] = "OTHER",
	};

	return (unsigned)mac < ARRAY_LEN(names) ? names[mac] : "?";
}

/*
 * IANA TLS Supported Groups (RFC 8422 5.1.1, RFC 7919, RFC 8446 4.2.7,
 * draft-ietf-tls-ecdhe-mlkem, draft-ietf-tls-mlkem), plus the pre-standard
 * Kyber hybrids browsers shipped under code points IANA lists as reserved.
 */
static const struct code_name groups[] = {
	{ 1, "sect163k1" }, { 2, "sect163r1" }, { 3, "sect163r2" },
	{ 4, "sect193r1" }, { 5, "sect193r2" }, { 6, "sect233k1" },
	{ 7, "sect233r1" }, { 8, "sect239k1" }, { 9, "sect283k1" },
	{ 10, "sect283r1" }, { 11, "sect409k1" }, { 12, "sect409r1" },
	{ 13, "sect571k1" }, { 14, "sect571r1" }, { 15, "secp160k1" },
	{ 16, "secp160r1" }, { 17, "secp160r2" }, { 18, "secp192k1" },
	{ 19, "secp192r1" }, { 20, "secp224k1" }, { 21, "secp224r1" },
	{ 22, "secp256k1" }, { 23, "secp256r1" }, { 24, "secp384r1" },
	{ 25, "secp521r1" }, { 26, "brainpoolP256r1" }, { 27, "brainpoolP384r1" },
	{ 28, "brainpoolP512r1" }, { 29, "x25519" }, { 30, "x448" },
	{ 31, "brainpoolP256r1tls13" }, { 32, "brainpoolP384r1tls13" },
	{ 33, "brainpoolP512r1tls13" }, { 34, "GC256A" }, { 35, "GC256B" },
	{ 36, "GC256C" }, { 37, "GC256D" }, { 38, "GC512A" }, { 39, "GC512B" },
	{ 40, "GC512C" }, { 41, "curveSM2" },
	{ 0x0100, "ffdhe2048" }, { 0x0101, "ffdhe3072" }, { 0x0102, "ffdhe4096" },
	{ 0x0103, "ffdhe6144" }, { 0x0104, "ffdhe8192" },
	{ 0x0200, "MLKEM512" }, { 0x0201, "MLKEM768" }, { 0x0202, "MLKEM1024" },
	{ 0x11eb, "SecP256r1MLKEM768" }, { 0x11ec, "X25519MLKEM768" },
	{ 0x11ed, "SecP384r1MLKEM1024" },
	{ 0x6399, "X25519Kyber768Draft00" }, { 0x639a, "SecP256r1Kyber768Draft00" },
	{ 0xff01, "arbitrary_explicit_prime_curves" },
	{ 0xff02, "arbitrary_explicit_char2_curves" },
};

const char *tls_group_name(uint16_t group)
{
	return code_name_find(groups, ARRAY_LEN(groups), group);
}

/* Other spellings rules may use for a group (OpenSSL, NIST, case). */
static const struct code_name group_aliases[] = {
	{ 23, "prime256v1" }, { 23, "P-256" }, { 23, "P256" },
	{ 24, "P-384" }, { 24, "P384" }, { 25, "P-521" }, { 25, "P521" },
	{ 19, "prime192v1" }, { 19, "P-192" }, { 21, "P-224" },
	{ 29, "X25519" }, { 30, "X448" },
	{ 0x11ec, "x25519mlkem768" },
};

bool tls_group_by_name(const char *name, uint16_t *group)
{
	if (!name)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(groups); i++) {
		if (strcmp(groups[i].name, name) == 0) {
			if (group)
				*group = groups[i].code;
			return true;
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(group_aliases); i++) {
		if (strcmp(group_aliases[i].name, name) == 0) {
			if (group)
				*group = group_aliases[i].code;
			return true;
		}
	}
	return false;
}

/*
 * IANA TLS SignatureScheme (RFC 8446 4.2.3, RFC 8734, RFC 8998, RFC 9367,
 * draft-ietf-tls-mldsa), plus the RFC 5246 7.4.1.4.1 (hash, signature)
 * pairs TLS 1.2 clients still send that SignatureScheme does not name,
 * spelled "<signature>_<hash>".
 */
static const struct code_name sigalgs[] = {
	{ 0x0101, "rsa_md5" }, { 0x0102, "dsa_md5" }, { 0x0103, "ecdsa_md5" },
	{ 0x0201, "rsa_pkcs1_sha1" }, { 0x0202, "dsa_sha1" }, { 0x0203, "ecdsa_sha1" },
	{ 0x0301, "rsa_sha224" }, { 0x0302, "dsa_sha224" }, { 0x0303, "ecdsa_sha224" },
	{ 0x0401, "rsa_pkcs1_sha256" }, { 0x0402, "dsa_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" }, { 0x0420, "rsa_pkcs1_sha256_legacy" },
	{ 0x0501, "rsa_pkcs1_sha384" }, { 0x0502, "dsa_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" }, { 0x0520, "rsa_pkcs1_sha384_legacy" },
	{ 0x0601, "rsa_pkcs1_sha512" }, { 0x0602, "dsa_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" }, { 0x0620, "rsa_pkcs1_sha512_legacy" },
	{ 0x0704, "eccsi_sha256" }, { 0x0705, "iso_ibs1" }, { 0x0706, "iso_ibs2" },
	{ 0x0707, "iso_chinese_ibs" }, { 0x0708, "sm2sig_sm3" },
	{ 0x0709, "gostr34102012_256a" }, { 0x070a, "gostr34102012_256b" },
	{ 0x070b, "gostr34102012_256c" }, { 0x070c, "gostr34102012_256d" },
	{ 0x070d, "gostr34102012_512a" }, { 0x070e, "gostr34102012_512b" },
	{ 0x070f, "gostr34102012_512c" },
	{ 0x0804, "rsa_pss_rsae_sha256" }, { 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" }, { 0x0807, "ed25519" }, { 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" }, { 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
	{ 0x0904, "mldsa44" }, { 0x0905, "mldsa65" }, { 0x0906, "mldsa87" },
};

const char *tls_sigalg_name(uint16_t scheme)
{
	return code_name_find(sigalgs, ARRAY_LEN(sigalgs), scheme);
}

/*
 * IANA TLS ExtensionType Values, plus code points deployed without (or
 * before) registration that a monitor meets: NPN, ALPS (both code points
 * Chromium used), Channel ID, the draft QUIC transport parameters and ESNI.
 */
static const struct code_name exts[] = {
	{ 0, "server_name" }, { 1, "max_fragment_length" },
	{ 2, "client_certificate_url" }, { 3, "trusted_ca_keys" },
	{ 4, "truncated_hmac" }, { 5, "status_request" }, { 6, "user_mapping" },
	{ 7, "client_authz" }, { 8, "server_authz" }, { 9, "cert_type" },
	{ 10, "supported_groups" }, { 11, "ec_point_formats" }, { 12, "srp" },
	{ 13, "signature_algorithms" }, { 14, "use_srtp" }, { 15, "heartbeat" },
	{ 16, "application_layer_protocol_negotiation" },
	{ 17, "status_request_v2" }, { 18, "signed_certificate_timestamp" },
	{ 19, "client_certificate_type" }, { 20, "server_certificate_type" },
	{ 21, "padding" }, { 22, "encrypt_then_mac" },
	{ 23, "extended_master_secret" }, { 24, "token_binding" },
	{ 25, "cached_info" }, { 26, "tls_lts" }, { 27, "compress_certificate" },
	{ 28, "record_size_limit" }, { 29, "pwd_protect" }, { 30, "pwd_clear" },
	{ 31, "password_salt" }, { 32, "ticket_pinning" },
	{ 33, "tls_cert_with_extern_psk" }, { 34, "delegated_credential" },
	{ 35, "session_ticket" }, { 36, "TLMSP" }, { 37, "TLMSP_proxying" },
	{ 38, "TLMSP_delegate" }, { 39, "supported_ekt_ciphers" },
	{ 41, "pre_shared_key" }, { 42, "early_data" },
	{ 43, "supported_versions" }, { 44, "cookie" },
	{ 45, "psk_key_exchange_modes" }, { 47, "certificate_authorities" },
	{ 48, "oid_filters" }, { 49, "post_handshake_auth" },
	{ 50, "signature_algorithms_cert" }, { 51, "key_share" },
	{ 52, "transparency_info" }, { 53, "connection_id_deprecated" },
	{ 54, "connection_id" }, { 55, "external_id_hash" },
	{ 56, "external_session_id" }, { 57, "quic_transport_parameters" },
	{ 58, "ticket_request" }, { 59, "dnssec_chain" },
	{ 60, "sequence_number_encryption_algorithms" }, { 61, "rrc" },
	{ 62, "tls_flags" },
	{ 0x3374, "next_protocol_negotiation" },
	{ 0x4469, "application_settings" }, { 0x44cd, "application_settings_new" },
	{ 0x754f, "channel_id_old" }, { 0x7550, "channel_id" },
	{ 0xfd00, "ech_outer_extensions" }, { 0xfe0d, "encrypted_client_hello" },
	{ 0xff01, "renegotiation_info" }, { 0xffa5, "quic_transport_parameters_draft" },
	{ 0xffce, "encrypted_server_name" },
};

const char *tls_ext_name(uint16_t ext)
{
	return code_name_find(exts, ARRAY_LEN(exts), ext);
}

/* IANA TLS Alerts (RFC 8446 6, RFC 5246 7.2, RFC 9147, RFC 8701 ...). */
static const char *const alerts[256] = {
	[0] = "close_notify", [10] = "unexpected_message", [20] = "bad_record_mac",
	[21] = "decryption_failed", [22] = "record_overflow",
	[30] = "decompression_failure", [40] = "handshake_failure",
	[41] = "no_certificate", [42] = "bad_certificate",
	[43] = "unsupported_certificate", [44] = "certificate_revoked",
	[45] = "certificate_expired", [46] = "certificate_unknown",
	[47] = "illegal_parameter", [48] = "unknown_ca", [49] = "access_denied",
	[50] = "decode_error", [51] = "decrypt_error",
	[52] = "too_many_cids_requested", [60] = "export_restriction",
	[70] = "protocol_version", [71] = "insufficient_security",
	[80] = "internal_error", [86] = "inappropriate_fallback",
	[90] = "user_canceled", [100] = "no_renegotiation",
	[109] = "missing_extension", [110] = "unsupported_extension",
	[111] = "certificate_unobtainable", [112] = "unrecognized_name",
	[113] = "bad_certificate_status_response",
	[114] = "bad_certificate_hash_value", [115] = "unknown_psk_identity",
	[116] = "certificate_required", [117] = "general_error",
	[120] = "no_application_protocol", [121] = "ech_required",
};

const char *tls_alert_name(uint8_t description)
{
	return alerts[description];
}

/* IANA TLS HandshakeType, spelled as the RFC 8446 4 / RFC 5246 7.4 structs. */
static const char *const handshakes[256] = {
	[0] = "HelloRequest", [1] = "ClientHello", [2] = "ServerHello",
	[3] = "HelloVerifyRequest", [4] = "NewSessionTicket",
	[5] = "EndOfEarlyData", [6] = "HelloRetryRequest",
	[8] = "EncryptedExtensions", [9] = "RequestConnectionId",
	[10] = "NewConnectionId", [11] = "Certificate",
	[12] = "ServerKeyExchange", [13] = "CertificateRequest",
	[14] = "ServerHelloDone", [15] = "CertificateVerify",
	[16] = "ClientKeyExchange", [17] = "ClientCertificateRequest",
	[20] = "Finished", [21] = "CertificateURL", [22] = "CertificateStatus",
	[23] = "SupplementalData", [24] = "KeyUpdate",
	[25] = "CompressedCertificate", [26] = "EKTKey", [254] = "MessageHash",
};

const char *tls_handshake_name(uint8_t type)
{
	return handshakes[type];
}

/* "TLS 1.3 draft-N" for the IETF draft code points 0x7f02..0x7f1c. */
static const char *const tls13_drafts[] = {
	"TLS 1.3 draft-2", "TLS 1.3 draft-3", "TLS 1.3 draft-4", "TLS 1.3 draft-5",
	"TLS 1.3 draft-6", "TLS 1.3 draft-7", "TLS 1.3 draft-8", "TLS 1.3 draft-9",
	"TLS 1.3 draft-10", "TLS 1.3 draft-11", "TLS 1.3 draft-12",
	"TLS 1.3 draft-13", "TLS 1.3 draft-14", "TLS 1.3 draft-15",
	"TLS 1.3 draft-16", "TLS 1.3 draft-17", "TLS 1.3 draft-18",
	"TLS 1.3 draft-19", "TLS 1.3 draft-20", "TLS 1.3 draft-21",
	"TLS 1.3 draft-22", "TLS 1.3 draft-23", "TLS 1.3 draft-24",
	"TLS 1.3 draft-25", "TLS 1.3 draft-26", "TLS 1.3 draft-27",
	"TLS 1.3 draft-28",
};

/*
 * Suricata prints 0x0301 as "TLSv1" but later versions as "TLS 1.x", calls
 * 0x7f01 "draft-<16", and names Facebook's fizz draft code points
 * (0xfb14..0xfb1a) "draft-NN-fb". SSLv2 is 0x0002 on the wire (RFC 6101
 * E.2); Suricata's internal 0x0200 is accepted too.
 */
const char *tls_version_name(uint16_t version)
{
	if (version >= 0x7f02 && version <= 0x7f1c)
		return tls13_drafts[version - 0x7f02];
	switch (version) {
	case 0x0002:
	case 0x0200: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	case 0x7f01: return "TLS 1.3 draft-<16";
	case 0xfb14: return "TLS 1.3 draft-20-fb";
	case 0xfb15: return "TLS 1.3 draft-21-fb";
	case 0xfb16: return "TLS 1.3 draft-22-fb";
	case 0xfb17: return "TLS 1.3 draft-23-fb";
	case 0xfb1a: return "TLS 1.3 draft-26-fb";
	default: return NULL;
	}
}

const char *tls_version_short(uint16_t version)
{
	switch (version) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1.0";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return NULL;
	}
}

const char *tls_code_hex(uint16_t code, char out[7])
{
	static const char digits[] = "0123456789abcdef";

	out[0] = '0';
	out[1] = 'x';
	out[2] = digits[code >> 12];
	out[3] = digits[(code >> 8) & 15];
	out[4] = digits[(code >> 4) & 15];
	out[5] = digits[code & 15];
	out[6] = '\0';
	return out;
}

const char *tls_version_label(uint16_t version, char out[7])
{
	const char *name = tls_version_name(version);

	return name ? name : tls_code_hex(version, out);
}
