/*
 * keylog: NSS key log files (the SSLKEYLOGFILE format written by OpenSSL,
 * GnuTLS, NSS, curl, browsers; read by Wireshark): one secret per line,
 *
 *     LABEL <client_random, 64 hex digits> <secret, hex>
 *
 * with '#' comment lines. Only the TLS 1.3 handshake traffic secrets
 * (CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, RFC
 * 8446 7.1) are kept: they are what decrypts a TLS 1.3 server's and
 * client's certificates. Every other label (CLIENT_RANDOM, the application
 * and exporter secrets, early secrets) is skipped without complaint; a line
 * that is not of the shape above is counted in `bad_lines`.
 *
 * A loaded key log is immutable: any number of threads may look up in it.
 */
#ifndef SECAUDIT_KEYLOG_H
#define SECAUDIT_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLOG_RANDOM_LEN 32
#define KEYLOG_MAX_SECRET 64  /* longest hash of a TLS 1.3 suite is SHA-384 (48) */

struct keylog;

struct keylog_secret {
	uint8_t len;                /* 0: not in the key log */
	uint8_t b[KEYLOG_MAX_SECRET];
};

/* The handshake traffic secrets of one connection. */
struct keylog_entry {
	uint8_t random[KEYLOG_RANDOM_LEN];
	struct keylog_secret client_hs;
	struct keylog_secret server_hs;
};

/* Parses key log text (not NUL-terminated). NULL only when out of memory.
 * *bad_lines (may be NULL) receives the count of malformed lines. */
struct keylog *keylog_parse(const char *text, size_t len, unsigned *bad_lines);
/* Reads and parses a file. NULL with err filled ("path: reason") when it
 * cannot be read. */
struct keylog *keylog_load(const char *path, unsigned *bad_lines, char *err, size_t errlen);
void keylog_free(struct keylog *kl);

/* Connections with at least one handshake secret. */
size_t keylog_count(const struct keylog *kl);

/* The secrets of the connection whose ClientHello.random is `random`;
 * NULL when the key log has none. Valid while kl is. */
const struct keylog_entry *keylog_find(const struct keylog *kl,
				       const uint8_t random[static KEYLOG_RANDOM_LEN]);

#endif
