/*
 * certmemo: what the policy asks OpenSSL of a certificate, asked once per
 * distinct certificate.
 *
 * The answers (key type and size, signature digest, self-signature, whether
 * the validity times can be compared, a host name's match) depend on the
 * certificate's bytes alone, and real traffic shows the same few
 * certificates thousands of times: asking OpenSSL again each session (it
 * decodes the key, the extensions and the times anew at every call) was
 * most of judging a chain. They are kept per thread, in a small
 * direct-mapped table keyed by the certificate's SHA-256 (x509_cert
 * sha256_bin), so nothing is shared or locked and a certificate that is
 * freed and another parsed at its address cannot borrow its answers.
 */
#ifndef SECAUDIT_CERTMEMO_H
#define SECAUDIT_CERTMEMO_H

#include <stdbool.h>
#include <time.h>

#include "x509/certcheck.h"

struct x509_cert;

struct certmemo {
	bool key_ok;                /* certcheck_key() read the key */
	struct certcheck_key key;
	int md;                     /* certcheck_sig_digest() */
	const char *sig_name;
	bool self_signed;           /* certcheck_self_signed() */
	/* The times are in RFC 5280's fixed form, which X509_cmp_time()
	 * needs: a time it cannot compare never fails a check. */
	bool not_before_ok, not_after_ok;
};

/* c's facts into *out. */
void certmemo_get(const struct x509_cert *c, struct certmemo *out);

/* Validity of c with an allowed clock skew in seconds, from its parsed
 * times (x509_cert not_before_t, not_after_t), as X509_cmp_time() judges
 * them: -1 not yet valid at now + skew, 1 expired at now - skew (notAfter
 * <= now - skew), 0 valid. */
int certmemo_validity(const struct x509_cert *c, time_t now, long skew);

/* certcheck_host(c, host), remembered for the last host asked of c. */
bool certmemo_host(const struct x509_cert *c, const char *host);

#endif
