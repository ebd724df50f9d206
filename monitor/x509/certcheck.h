/*
 * certcheck: certificate validation for the policy, with OpenSSL.
 *
 * A store is a trust anchor set (CA file and/or directory, or the system's
 * default paths) plus the CRLs the policy names. It is built once when the
 * rules are loaded and then only read (but for the system bundle's
 * certificates, parsed and added under a lock when a chain first names
 * them, not all at load): it may be shared between threads.
 *
 * Time is never checked by OpenSSL here (X509_V_FLAG_NO_CHECK_TIME): the
 * caller gives `now` and a clock skew, so that the verdicts of an offline
 * run on an old capture are the ones the gateway would have taken then, and
 * so that the result of the expensive part (signature verification) can be
 * cached per chain: real traffic repeats the same chains thousands of times.
 * The cache is keyed by the SHA-256 of every certificate's DER, so a crafted
 * chain cannot borrow another chain's verdict.
 *
 * Revocation (RFC 5280 section 6.3): a CRL applies to a certificate when its
 * issuer name is the certificate's issuer and its signature verifies with the
 * issuer's key. A CRL whose nextUpdate has passed is stale: the status is
 * then unknown, exactly as if there were no CRL.
 */
#ifndef SECAUDIT_CERTCHECK_H
#define SECAUDIT_CERTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

struct x509_cert;
struct certcheck_store;

/*
 * Builds a store from ca_file and/or ca_dir; with both NULL, from OpenSSL's
 * default paths (the system CA bundle). NULL on failure, with a reason in
 * err (e.g. "cannot read CA file: No such file or directory").
 */
struct certcheck_store *certcheck_store_new(const char *ca_file, const char *ca_dir,
					    char *err, size_t errlen);
/* Loads every CRL in a PEM or DER file. 0, or -errno with a reason in err. */
int certcheck_store_add_crl(struct certcheck_store *st, const char *path,
			    char *err, size_t errlen);
/* NULL is fine. */
void certcheck_store_free(struct certcheck_store *st);

enum certcheck_rev {
	CERTCHECK_REV_GOOD = 0,     /* a current CRL does not list it */
	CERTCHECK_REV_REVOKED,      /* listed on a CRL (stale or not) */
	CERTCHECK_REV_NO_CRL,       /* no CRL from its issuer */
	CERTCHECK_REV_STALE,        /* the issuer's CRL is past nextUpdate */
};

struct certcheck_chain_result {
	int verify_error;           /* X509_V_OK when the chain verifies */
	int depth;                  /* certificates in the verified path, anchor included */
	enum certcheck_rev rev;     /* of the leaf */
	time_t crl_next_update;     /* of the CRL that decided rev, 0 if none */
};

/*
 * Verifies chain[0] (the leaf) against the store, with chain[1..n-1] as
 * untrusted intermediates, and looks the leaf up in the store's CRLs.
 * Thread-safe. Never fails: an internal error reads as verify_error
 * X509_V_ERR_UNSPECIFIED.
 */
void certcheck_chain(struct certcheck_store *st, struct x509_cert *const *chain, size_t n,
		     time_t now, struct certcheck_chain_result *r);

struct certcheck_key {
	const char *type;           /* "RSA", "EC", "ED25519", "DSA", ... */
	int bits;
	char curve[32];             /* "prime256v1", ... or "" */
};
/* Public key facts of x. False when the key cannot be read. */
bool certcheck_key(X509 *x, struct certcheck_key *k);

/* The signature's digest NID (NID_md5, NID_sha1, NID_sha256, ...; NID_undef
 * for e.g. Ed25519) and the signature algorithm's long name. */
int certcheck_sig_digest(X509 *x, const char **sig_name);

/* True when x is valid for host name `host` (RFC 6125 via X509_check_host). */
bool certcheck_host(X509 *x, const char *host);

/* True when x is self-signed (its own key verifies its signature). */
bool certcheck_self_signed(X509 *x);

enum certcheck_ocsp {
	CERTCHECK_OCSP_NONE = 0,    /* no response stapled */
	CERTCHECK_OCSP_GOOD,
	CERTCHECK_OCSP_REVOKED,
	CERTCHECK_OCSP_UNKNOWN,     /* responder does not know the certificate */
	CERTCHECK_OCSP_INVALID,     /* fails a check below: see why */
};
/*
 * Judges a stapled OCSP response (RFC 6960) about chain[0], the leaf. It
 * must be successful; one SingleResponse's CertID must name the leaf (issuer
 * name and key hashes and serial; the issuer is found in chain[1..n-1] or
 * the store); with a store, it must be signed by the issuer or by a
 * responder the issuer certified for OCSP signing (OCSP_basic_verify, chain
 * certificates as helpers; st NULL: the signature is not checked); and
 * unless it says "revoked", it must be current at now with `skew` seconds
 * either way (thisUpdate not in the future, nextUpdate not past; without a
 * nextUpdate, thisUpdate at most 7 days old). INVALID, with the first
 * failed check in why ("signature: ...", "stale: nextUpdate ...", "not
 * about this certificate"), when one fails; why is "" otherwise.
 * The signature's verdict is cached in st per (response, issuer): a
 * response stapled again is not verified again; times are judged each
 * call. Thread-safe.
 */
enum certcheck_ocsp certcheck_ocsp(struct certcheck_store *st, const uint8_t *der, size_t len,
				   struct x509_cert *const *chain, size_t n, time_t now, long skew,
				   char *why, size_t whylen);
const char *certcheck_ocsp_name(enum certcheck_ocsp s);

struct certcheck_counters {
	uint64_t ocsp_verified;     /* OCSP signatures verified */
	uint64_t ocsp_cached;       /* verdicts taken from the cache instead */
};
void certcheck_counters(struct certcheck_store *st, struct certcheck_counters *out);

#endif
