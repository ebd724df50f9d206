/*
 * tlspeer: keys and self-signed certificates made in the test process, for
 * the tests that run real OpenSSL peers in memory or on loopback.
 */
#ifndef SECAUDIT_TLSPEER_H
#define SECAUDIT_TLSPEER_H

#include <criterion/criterion.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* "P-256", "P-384" (EC) or "RSA" (2048 bits). */
static inline EVP_PKEY *tlspeer_key(const char *kind)
{
	EVP_PKEY *k = !strcmp(kind, "RSA") ? EVP_RSA_gen(2048) : EVP_EC_gen(kind);

	cr_assert_not_null(k);
	return k;
}

/* Self-signed, valid from an hour ago for `days` days (negative: expired). */
static inline X509 *tlspeer_cert_days(EVP_PKEY *key, const char *cn, long days)
{
	X509 *x = X509_new();
	X509_NAME *n;

	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
	X509_gmtime_adj(X509_getm_notBefore(x), days < 0 ? days * 86400 * 2 : -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static inline X509 *tlspeer_cert(EVP_PKEY *key, const char *cn)
{
	return tlspeer_cert_days(key, cn, 1);
}

/* A verify callback that accepts the peer's self-made certificate: what
 * the tests want to see is the certificate, not OpenSSL's opinion of it. */
static inline int tlspeer_accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

#endif
