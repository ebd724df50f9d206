/*
 * fingerprint: JA3 and JA3S (Salesforce, string + MD5) and JA4 (FoxIO,
 * client only). Pure functions over parsed hellos; GREASE values (RFC 8701)
 * are removed everywhere. Only the client JA4 is computed: the other JA4+
 * methods carry a licence that does not fit this project.
 */
#ifndef SECAUDIT_FINGERPRINT_H
#define SECAUDIT_FINGERPRINT_H

#include <stdbool.h>

#include "buf.h"
#include "tls/tls.h"

#define FP_MD5_HEX 33   /* 32 hex digits + NUL */
#define FP_JA4_LEN 40   /* "t13d1516h2_8daaf6152771_02713d6af862" + NUL */

/* Appends the JA3 string ("771,4866-4867,0-11,29-23,0") to str and writes
 * its MD5 in lower-case hex to md5. False (nothing written) for an
 * SSLv2-format hello, which JA3 does not define, or when OpenSSL offers no
 * MD5 (a FIPS-only provider). An allocation failure in str shows as
 * str->oom (md5 is still right). Thread-safe; no allocation of its own
 * beyond str. */
bool fp_ja3(const struct tls_client_hello *ch, struct buf *str, char md5[FP_MD5_HEX]);
/* The MD5 of len bytes of text in lower-case hex (JA3's hash, and the
 * CYU fingerprint's of a Google QUIC CHLO). False when OpenSSL offers no
 * MD5. Thread-safe. */
bool fp_md5_hex(const char *text, size_t len, char md5[FP_MD5_HEX]);
/* JA3S: "771,49200,65281-11-35-23" and its MD5; same contract as fp_ja3
 * (false only when MD5 is unavailable). */
bool fp_ja3s(const struct tls_server_hello *sh, struct buf *str, char md5[FP_MD5_HEX]);
/* JA4 ("t" over TCP, "q" over QUIC), NUL-terminated in out. False for an
 * SSLv2-format hello, or when OpenSSL offers no SHA-256. Follows the
 * current FoxIO JA4.md, including its hex rule for non-alphanumeric ALPN. */
bool fp_ja4(const struct tls_client_hello *ch, bool quic, char out[FP_JA4_LEN]);
/* JA4_r: the raw (sorted, un-hashed) form, appended to str ("_" ends it
 * when no extension is left and no signature algorithm was sent, as the
 * reference tool prints). False for an SSLv2-format hello. */
bool fp_ja4_raw(const struct tls_client_hello *ch, bool quic, struct buf *str);
/* Both from one pass over the hello (a log event writes both): JA4 in out
 * (*hashed: fp_ja4's result) and JA4_r appended to str; returns
 * fp_ja4_raw's result. */
bool fp_ja4_both(const struct tls_client_hello *ch, bool quic, char out[FP_JA4_LEN],
		 bool *hashed, struct buf *str);

#endif
