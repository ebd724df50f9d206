/*
 * x509: certificate facts, parsed once per distinct certificate.
 *
 * Real traffic repeats the same few certificates thousands of times, so
 * certificates live in a cache keyed by their DER bytes: the first sighting
 * parses with OpenSSL, every later one is a hash lookup and a memcmp. Entries
 * are reference counted; a session holds a reference for each certificate of
 * its chains and drops it with x509_cert_put().
 *
 * Text fields are formatted exactly as Suricata's EVE prints them:
 *   subject/issuer  "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS"
 *   serial          "00:97:E6:..."   (upper-case hex, colon separated)
 *   sha1/sha256     "cc:aa:..."      (lower-case hex, colon separated)
 *   not_before/after "2017-03-23T00:00:00" (UTC)
 */
#ifndef SECAUDIT_X509_H
#define SECAUDIT_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#define X509_MAX_SANS 32

struct x509_cert {
	/* Owned by the cache; valid while a reference is held. */
	X509 *x509;            /* for chain verification by the policy */
	const uint8_t *der;    /* the exact bytes seen on the wire */
	size_t der_len;
	char *subject;
	char *issuer;
	char *serial;
	char sha1[60];         /* 20 bytes as "xx:" * 20 minus one */
	char sha256[96];       /* 32 bytes */
	char not_before[20];   /* "YYYY-MM-DDTHH:MM:SS" */
	char not_after[20];
	time_t not_before_t;   /* seconds since the epoch, UTC */
	time_t not_after_t;
	unsigned n_sans;
	char *sans[X509_MAX_SANS]; /* "DNS:host", "IP:1.2.3.4", "email:..." */
	const char *key_type;  /* "RSA", "EC", "ED25519", "ED448", "DSA", "DH", ... */
	int key_bits;
	const char *curve;     /* "prime256v1", "secp384r1", ... or NULL */
	const char *sig_alg;   /* long name: "sha256WithRSAEncryption", ... */
	bool is_ca;            /* basicConstraints CA:TRUE */
	bool self_issued;      /* subject == issuer */
	bool self_signed;      /* self-issued and its own key verifies it */
	/* private to the cache */
	uint64_t hash;
	unsigned refs;
	struct x509_cert *next;
};

struct x509_cache;

/* Creates a cache holding at most max_entries unreferenced certificates
 * (referenced ones are never evicted). NULL on allocation failure. */
struct x509_cache *x509_cache_new(size_t max_entries);
/* Frees the cache; every reference must have been put back. NULL is fine. */
void x509_cache_free(struct x509_cache *c);

/*
 * Returns a referenced cert for these DER bytes, parsing them on first sight.
 * NULL when the bytes are not a certificate (the caller reports an anomaly)
 * or memory is short. The DER is copied; the caller's buffer may go.
 */
struct x509_cert *x509_cache_get(struct x509_cache *c, const uint8_t *der, size_t len);
/* Drops a reference; NULL is fine. */
void x509_cert_put(struct x509_cache *c, struct x509_cert *cert);

/* Counters for the bench and stats: lookups, parses (misses), entries. */
void x509_cache_stats(const struct x509_cache *c, uint64_t *lookups,
		      uint64_t *parses, size_t *entries);

#endif
