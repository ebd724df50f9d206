/*
 * tls_ctx: the OpenSSL contexts of the audit channel (mutual TLS).
 *
 * Both ends present a certificate and verify the other's against a CA file;
 * a CRL file, when given, is checked for the peer's certificate (leaf only,
 * X509_V_FLAG_CRL_CHECK). TLS 1.3 is the default minimum; 1.2 may be allowed.
 * A private key file that group or others can read is refused.
 */
#ifndef SECAUDIT_TLS_CTX_H
#define SECAUDIT_TLS_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct tls_ctx_opts {
	const char *cert, *key, *ca, *crl;
	int min_version;	/* TLS1_2_VERSION or TLS1_3_VERSION (0: 1.3) */
	bool server;
};

/*
 * Builds a context. NULL on failure with the reason (file and OpenSSL
 * error) in err. The caller owns the context (SSL_CTX_free).
 */
SSL_CTX *tls_ctx_new(const struct tls_ctx_opts *o, char *err, size_t errsz);

/*
 * Says why a handshake on ssl failed: the peer verification result when
 * that failed ("certificate has expired", "certificate revoked", ...), "no
 * client certificate" when the peer sent none, else the OpenSSL error queue
 * (which it clears).
 */
void tls_ctx_why(SSL *ssl, char *out, size_t n);

/* The peer certificate's subject as an RFC 2253 string; -ENOENT if none. */
int tls_peer_subject(SSL *ssl, char *out, size_t n);

#endif
