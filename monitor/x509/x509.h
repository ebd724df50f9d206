/*
 * x509: certificate facts, parsed once per distinct certificate.
 *
 * Real traffic repeats the same few certificates thousands of times, so
 * certificates live in a cache keyed by their DER bytes: the first sighting
 * parses with OpenSSL, every later one is a hash lookup and a memcmp. Entries
 * are reference counted; a session holds a reference for each certificate of
 * its chains and drops it with x509_cert_put().
 *
 * Text fields are formatted exactly as Suricata's EVE prints them (Suricata
 * formats with the Rust crate x509-parser; the rules below are that crate's):
 *   subject/issuer  "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS"
 *                   RDNs in certificate order joined by ", ", the attributes
 *                   of a multi-valued RDN joined by " + "; names C, ST, L, O,
 *                   OU, CN, DC, Email, else the OID registry's short name
 *                   ("serialNumber", "businessCategory", ...), else
 *                   "OID(1.2.3.4)". Values are raw UTF-8 (BMPString decoded
 *                   from UTF-16), no escaping; non-string values are upper-
 *                   case hex. A string that is not valid UTF-8 turns the
 *                   whole name into "<X509Error: Invalid X.509 name>"; a name
 *                   containing a NUL is "" (Suricata logs none).
 *   serial          "00:97:E6:..."   the INTEGER's content octets as encoded
 *                                    (leading 00 kept), upper-case hex, ':'
 *   sha1/sha256     "cc:aa:..."      (lower-case hex, colon separated)
 *   not_before/after "2017-03-23T00:00:00" (UTC)
 * The other facts follow `openssl x509 -text` (as the corpus truth files do):
 *   key_type "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", "DH", else
 *   the key algorithm's OpenSSL long name or dotted OID; key_bits the RSA
 *   modulus / EC order / DSA prime size (Ed25519 256, Ed448 456); curve the
 *   NIST name when there is one ("P-256", "P-384", "P-521"), else the
 *   OpenSSL curve name ("brainpoolP256r1"), NULL for non-EC keys; sig_alg
 *   the OpenSSL long name ("sha256WithRSAEncryption", "ecdsa-with-SHA256")
 *   or dotted OID.
 *
 * Threads: a cache is not locked; use one per thread (threads share nothing).
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
	char *subject;         /* never NULL, see above */
	char *issuer;          /* never NULL */
	char *serial;          /* never NULL */
	char sha1[60];         /* 20 bytes as "xx:" * 20 minus one */
	char sha256[96];       /* 32 bytes */
	uint8_t sha256_bin[32]; /* the same as bytes (a chain's verdict is cached under them) */
	char not_before[20];   /* "YYYY-MM-DDTHH:MM:SS" */
	char not_after[20];
	time_t not_before_t;   /* seconds since the epoch, UTC */
	time_t not_after_t;
	int version;           /* 1, 2 or 3 */
	unsigned n_sans;
	bool sans_truncated;   /* more than X509_MAX_SANS names were present */
	/* "DNS:host", "IP:1.2.3.4", "IP:2001:db8::1", "email:...", "URI:...",
	 * "DirName:<name as subject>", "RID:1.2.3"; bytes outside printable
	 * ASCII (and '\') are written as \xHH so a NUL cannot cut a name. */
	char *sans[X509_MAX_SANS];
	const char *key_type;  /* never NULL; see above */
	int key_bits;          /* 0 when unknown */
	const char *curve;     /* "P-256", "P-384", ... or NULL */
	const char *sig_alg;   /* never NULL; see above */
	bool is_ca;            /* basicConstraints CA:TRUE */
	bool self_issued;      /* subject == issuer */
	bool self_signed;      /* self-issued and its own key verifies it */
	/* The DER as base64, for the log: made on first use by
	 * x509_cert_base64(), freed with the entry. */
	char *b64;
	size_t b64_len;
	/* private to the cache */
	uint64_t hash;
	unsigned refs;
	struct x509_cert *next;              /* hash chain */
	struct x509_cert *lru_prev, *lru_next; /* idle list, while refs == 0 */
	char key_type_buf[64];
	char sig_alg_buf[64];
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
 * Bytes after the certificate's outer SEQUENCE are tolerated (as Suricata
 * does) but are part of the key and of the fingerprints.
 */
struct x509_cert *x509_cache_get(struct x509_cache *c, const uint8_t *der, size_t len);
/* Takes one more reference on a cert already held (e.g. a copied chain);
 * returns cert. NULL is fine. */
struct x509_cert *x509_cert_ref(struct x509_cert *cert);
/* Drops a reference; NULL is fine. The last reference makes the entry idle:
 * it stays cached (most recently used) until more than max_entries idle
 * entries exist, then the least recently used idle entry is freed. */
void x509_cert_put(struct x509_cache *c, struct x509_cert *cert);

/* The DER as base64 (no line breaks), computed once per distinct
 * certificate; NULL when memory is short. Valid while a reference is held;
 * *len gets its length. */
const char *x509_cert_base64(struct x509_cert *cert, size_t *len);

/* The subject Name of a DER certificate, its tag and length included (as
 * d2i_X509_NAME reads it), found without parsing the rest (no key is
 * decoded); false when the bytes do not begin as a certificate's. *name
 * points into der. */
bool x509_der_subject(const uint8_t *der, size_t len, const uint8_t **name, size_t *name_len);
/* Counters for the bench and stats: lookups, parses (misses, including
 * bytes that failed to parse), entries (cached now, referenced or idle).
 * Any pointer may be NULL. */
void x509_cache_stats(const struct x509_cache *c, uint64_t *lookups,
		      uint64_t *parses, size_t *entries);
/* Certificates freed by the idle limit since the cache was made. */
uint64_t x509_cache_evictions(const struct x509_cache *c);

#endif
