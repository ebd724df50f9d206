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
 * that is not of the shape above is counted as bad.
 *
 * A key log is a table keyed by client random. Offline it is loaded once
 * and has no limits; inline (secaudit-monitor --keylog) lines keep being
 * added while queue threads look up in it, so it is bounded: at most
 * max_entries connections, each kept at most max_age_us, the oldest going
 * first. Every function may be called from any thread: the table locks
 * itself (lookups and additions are short: no I/O under the lock).
 */
#ifndef SECAUDIT_KEYLOG_H
#define SECAUDIT_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLOG_RANDOM_LEN 32
#define KEYLOG_MAX_SECRET 64  /* longest hash of a TLS 1.3 suite is SHA-384 (48) */
#define KEYLOG_MAX_LINE 512   /* longer lines are malformed (the longest valid: ~230) */

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

/* An empty table of at most max_entries connections (0: no limit), each
 * kept at most max_age_us after its first line (0: no limit). NULL only
 * when out of memory. */
struct keylog *keylog_new(size_t max_entries, uint64_t max_age_us);
/*
 * Adds the lines of text (not NUL-terminated; a last line without its
 * newline counts as a line: a caller following a growing file passes whole
 * lines only). now_us: the caller's monotonic clock, for the age limit
 * (entries older than max_age_us go first). Returns the number of
 * handshake secrets read (a line each); *bad_lines (may be
 * NULL) is increased by the malformed lines; -ENOMEM when out of memory
 * (the lines before are kept).
 */
long keylog_add(struct keylog *kl, const char *text, size_t len, uint64_t now_us,
		unsigned *bad_lines);
/* Forgets entries older than max_age_us at now_us. */
void keylog_expire(struct keylog *kl, uint64_t now_us);

/* An unlimited table with the lines of text. NULL only when out of memory.
 * *bad_lines (may be NULL) receives the count of malformed lines. */
struct keylog *keylog_parse(const char *text, size_t len, unsigned *bad_lines);
/* Reads and parses a file. NULL with err filled ("path: reason") when it
 * cannot be read. */
struct keylog *keylog_load(const char *path, unsigned *bad_lines, char *err, size_t errlen);
void keylog_free(struct keylog *kl);

/* Connections with at least one handshake secret. */
size_t keylog_count(const struct keylog *kl);
/* Entries forgotten for room or age since the table was made. */
uint64_t keylog_evicted(const struct keylog *kl);

/* Copies the secrets of the connection whose ClientHello.random is
 * `random` to *out: false when the key log has none. */
bool keylog_find(const struct keylog *kl, const uint8_t random[static KEYLOG_RANDOM_LEN],
		 struct keylog_entry *out);

#endif
