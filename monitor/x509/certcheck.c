#include "x509/certcheck.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "digest.h"
#include "x509/x509.h"

/* Chain verdicts remembered: direct-mapped, replaced on collision. */
#define CERTCHECK_CACHE_SLOTS 1024

struct certcheck_slot {
	bool used;
	uint8_t key[32];
	struct certcheck_chain_result r;
};

/* OCSP signature verdicts remembered per (response, issuer): a server
 * staples the same response to every handshake until it fetches the next,
 * and verifying it is a public-key operation each time. Direct-mapped. */
#define CERTCHECK_OCSP_SLOTS 256

struct certcheck_ocsp_slot {
	bool used, verified;
	uint8_t key[32];            /* SHA-256 of the response's and the issuer's SHA-256 */
	char why[72];               /* the failure, when not verified */
};

/*
 * The system CA bundle (trust: system), indexed by subject name. OpenSSL's
 * default paths parse every certificate of it when the store is made, keys
 * included (Debian's 140-odd: a twentieth of a `read --rules` run on the
 * bulk capture, before its first packet); a chain meets the few whose
 * subjects its certificates name. Before a verification, the bundle's
 * certificates with those names (and, in turn, their issuers') are parsed
 * and added to the store (certcheck_bundle_add): for every name the
 * verification looks up, the store then holds what the whole bundle would
 * have given it. The hashed directory and store URI lookups of the default
 * paths stay as they were. A bundle holding anything but certificates
 * (CRLs, "TRUSTED CERTIFICATE"s) is loaded whole at once, as OpenSSL does.
 */
struct certcheck_bundle_cert {
	X509_NAME *subject;         /* parsed from the DER alone: no key decoded */
	unsigned char *der;         /* OPENSSL_malloc'ed by PEM_read_bio */
	long len;
	bool added;                 /* in the store (or unparsable) */
};

struct certcheck_store {
	X509_STORE *store;
	STACK_OF(X509_CRL) *crls;
	pthread_mutex_t lock;
	pthread_mutex_t bundle_lock;
	struct certcheck_bundle_cert *bundle;
	size_t n_bundle;
	struct certcheck_slot slot[CERTCHECK_CACHE_SLOTS];
	struct certcheck_ocsp_slot ocsp[CERTCHECK_OCSP_SLOTS];
	struct certcheck_counters n;
};

static void certcheck_ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	snprintf(err, errlen, "%s: %s", what, why ? why : strerror(errno ? errno : EINVAL));
	ERR_clear_error();
}

/* Indexes the default CA file (SSL_CERT_FILE overrides it, as for
 * OpenSSL): 1 indexed (a missing file is an empty bundle, as OpenSSL
 * takes it), 0 when it holds what only OpenSSL's loader reads, -ENOMEM. */
static int certcheck_bundle_index(struct certcheck_store *st)
{
	const char *file = secure_getenv(X509_get_default_cert_file_env());
	BIO *bio = BIO_new_file(file ? file : X509_get_default_cert_file(), "r");
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	const uint8_t *subj;
	size_t subj_len, cap = 0;
	long len;
	int rc = 1;

	if (!bio) {
		ERR_clear_error();
		return 1;
	}
	while (PEM_read_bio(bio, &name, &header, &der, &len) == 1) {
		struct certcheck_bundle_cert *c;

		if ((strcmp(name, PEM_STRING_X509) && strcmp(name, PEM_STRING_X509_OLD)) ||
		    header[0] || !x509_der_subject(der, (size_t)len, &subj, &subj_len)) {
			rc = 0;
			goto out;
		}
		if (st->n_bundle == cap) {
			cap = cap ? 2 * cap : 64;
			c = realloc(st->bundle, cap * sizeof(*c));
			if (!c) {
				rc = -ENOMEM;
				goto out;
			}
			st->bundle = c;
		}
		c = &st->bundle[st->n_bundle];
		p = subj;
		c->subject = d2i_X509_NAME(NULL, &p, (long)subj_len);
		if (!c->subject) {
			rc = 0;
			goto out;
		}
		c->der = der;
		c->len = len;
		c->added = false;
		der = NULL;
		st->n_bundle++;
		OPENSSL_free(name);
		OPENSSL_free(header);
		name = header = NULL;
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* The default paths, the bundle indexed (see struct certcheck_bundle_cert):
 * 0, or -1 when the store cannot take a lookup. */
static int certcheck_default_paths(struct certcheck_store *st)
{
	X509_LOOKUP *lookup;
	size_t i;
	int rc = certcheck_bundle_index(st);

	if (rc <= 0) {
		/* Loaded whole by OpenSSL: nothing is left to add. */
		for (i = 0; i < st->n_bundle; i++)
			st->bundle[i].added = true;
		return rc < 0 || X509_STORE_set_default_paths(st->store) != 1 ? -1 : 0;
	}
	lookup = X509_STORE_add_lookup(st->store, X509_LOOKUP_hash_dir());
	if (!lookup)
		return -1;
	X509_LOOKUP_add_dir(lookup, NULL, X509_FILETYPE_DEFAULT);
	lookup = X509_STORE_add_lookup(st->store, X509_LOOKUP_store());
	if (!lookup)
		return -1;
	X509_LOOKUP_add_store_ex(lookup, NULL, NULL, NULL);
	ERR_clear_error();
	return 0;
}

/* Adds to the store the bundle's certificates named by n (as subject), and
 * those that name their issuers, in turn. Under bundle_lock. */
static void certcheck_bundle_name(struct certcheck_store *st, const X509_NAME *n, unsigned depth)
{
	size_t i;

	if (depth > 16)
		return;     /* a cross-signed loop: the names met are already added */
	for (i = 0; i < st->n_bundle; i++) {
		struct certcheck_bundle_cert *c = &st->bundle[i];
		const unsigned char *p = c->der;
		X509 *x;

		if (c->added || X509_NAME_cmp(c->subject, n))
			continue;
		c->added = true;
		x = d2i_X509(NULL, &p, c->len);
		if (!x)
			continue;
		X509_STORE_add_cert(st->store, x);
		certcheck_bundle_name(st, X509_get_issuer_name(x), depth + 1);
		X509_free(x);
	}
}

/* Before OpenSSL looks names up for a chain (its path, a partial chain's
 * trusted certificate, an OCSP response's issuer and signer): the bundle's
 * certificates of every name the chain's certificates, and those of more
 * (an OCSP response's; NULL: none), carry. */
static void certcheck_bundle_add(struct certcheck_store *st, struct x509_cert *const *chain,
				 size_t n, const STACK_OF(X509) *more)
{
	size_t i;
	int k;

	if (!st->n_bundle)
		return;
	pthread_mutex_lock(&st->bundle_lock);
	for (i = 0; i < n; i++) {
		if (!chain[i] || !chain[i]->x509)
			continue;
		certcheck_bundle_name(st, X509_get_subject_name(chain[i]->x509), 0);
		certcheck_bundle_name(st, X509_get_issuer_name(chain[i]->x509), 0);
	}
	for (k = 0; more && k < sk_X509_num(more); k++) {
		certcheck_bundle_name(st, X509_get_subject_name(sk_X509_value(more, k)), 0);
		certcheck_bundle_name(st, X509_get_issuer_name(sk_X509_value(more, k)), 0);
	}
	pthread_mutex_unlock(&st->bundle_lock);
	ERR_clear_error();
}

struct certcheck_store *certcheck_store_new(const char *ca_file, const char *ca_dir,
					    char *err, size_t errlen)
{
	struct certcheck_store *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->bundle_lock, NULL);
	st->store = X509_STORE_new();
	st->crls = sk_X509_CRL_new_null();
	if (!st->store || !st->crls) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* For every verification OpenSSL makes on its own with this store
	 * (an OCSP responder's certificate): time is the caller's to judge. */
	X509_STORE_set_flags(st->store, X509_V_FLAG_NO_CHECK_TIME);
	errno = 0;
	if (!ca_file && !ca_dir) {
		if (certcheck_default_paths(st) < 0) {
			certcheck_ssl_err(err, errlen, "cannot load the system CA store");
			goto fail;
		}
		return st;
	}
	if (ca_file) {
		FILE *f = fopen(ca_file, "r");

		if (!f) {
			snprintf(err, errlen, "cannot read CA file '%s': %s", ca_file, strerror(errno));
			goto fail;
		}
		fclose(f);
	}
	if (ca_file && X509_STORE_load_file(st->store, ca_file) != 1) {
		certcheck_ssl_err(err, errlen, "cannot load CA file");
		goto fail;
	}
	if (ca_dir && X509_STORE_load_path(st->store, ca_dir) != 1) {
		certcheck_ssl_err(err, errlen, "cannot use CA directory");
		goto fail;
	}
	return st;
fail:
	certcheck_store_free(st);
	return NULL;
}

int certcheck_store_add_crl(struct certcheck_store *st, const char *path,
			    char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "rb");
	X509_CRL *crl;
	int n = 0;

	if (!bio) {
		snprintf(err, errlen, "cannot read CRL file: %s", strerror(errno ? errno : ENOENT));
		ERR_clear_error();
		return -ENOENT;
	}
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
		if (!sk_X509_CRL_push(st->crls, crl)) {
			X509_CRL_free(crl);
			break;
		}
		n++;
	}
	if (!n) {
		(void)BIO_reset(bio);
		crl = d2i_X509_CRL_bio(bio, NULL);
		if (crl && sk_X509_CRL_push(st->crls, crl))
			n++;
		else
			X509_CRL_free(crl);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (!n) {
		snprintf(err, errlen, "no CRL in file (expected PEM or DER)");
		return -EINVAL;
	}
	return 0;
}

void certcheck_store_free(struct certcheck_store *st)
{
	size_t i;

	if (!st)
		return;
	X509_STORE_free(st->store);
	sk_X509_CRL_pop_free(st->crls, X509_CRL_free);
	for (i = 0; i < st->n_bundle; i++) {
		X509_NAME_free(st->bundle[i].subject);
		OPENSSL_free(st->bundle[i].der);
	}
	free(st->bundle);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->bundle_lock);
	free(st);
}

/* SHA-256 over the SHA-256 of each certificate's DER, in order: a
 * certificate of the x509 cache brings its digest (x509_cert.sha256_bin),
 * so a chain seen again is hashed in 32 bytes per certificate, not in its
 * DER; the digests come through common/digest (no provider search per
 * call). */
static bool certcheck_chain_key(struct x509_cert *const *chain, size_t n, uint8_t key[32])
{
	uint8_t digests[32 * 16];
	size_t i, m = n < 16 ? n : 16;

	for (i = 0; i < m; i++) {
		uint8_t *owned = NULL;
		int len;
		bool ok;

		if (chain[i]->der && chain[i]->der_len) {
			memcpy(digests + 32 * i, chain[i]->sha256_bin, 32);
			continue;
		}
		len = i2d_X509(chain[i]->x509, &owned);
		ok = len > 0 && digest(DIGEST_SHA256, owned, (size_t)len, digests + 32 * i);
		OPENSSL_free(owned);
		if (!ok)
			return false;
	}
	return digest(DIGEST_SHA256, digests, 32 * m, key);
}

static time_t certcheck_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* RFC 5280 6.3.3: a CRL from cert's issuer, signed by issuer's key. */
static void certcheck_crl_lookup(const struct certcheck_store *st, X509 *cert, X509 *issuer,
				 struct certcheck_chain_result *r)
{
	EVP_PKEY *ikey = issuer ? X509_get0_pubkey(issuer) : NULL;
	int i;

	r->rev = CERTCHECK_REV_NO_CRL;
	r->crl_next_update = 0;
	for (i = 0; i < sk_X509_CRL_num(st->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(st->crls, i);
		X509_REVOKED *rev = NULL;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)))
			continue;
		if (!ikey || X509_CRL_verify(crl, ikey) != 1)
			continue;
		if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1) {
			r->rev = CERTCHECK_REV_REVOKED;
			r->crl_next_update = certcheck_asn1_time(X509_CRL_get0_nextUpdate(crl));
			return;
		}
		r->rev = CERTCHECK_REV_GOOD;
		r->crl_next_update = certcheck_asn1_time(X509_CRL_get0_nextUpdate(crl));
	}
	ERR_clear_error();
}

static void certcheck_verify(struct certcheck_store *st, struct x509_cert *const *chain, size_t n,
			     struct certcheck_chain_result *r)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	STACK_OF(X509) *path;
	X509 *issuer = NULL;
	size_t i;

	r->verify_error = X509_V_ERR_UNSPECIFIED;
	r->depth = 0;
	if (!ctx || !untrusted)
		goto out;
	for (i = 1; i < n; i++)
		if (!sk_X509_push(untrusted, chain[i]->x509))
			goto out;
	certcheck_bundle_add(st, chain, n, NULL);
	if (X509_STORE_CTX_init(ctx, st->store, chain[0]->x509, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
	X509_verify_cert(ctx);
	r->verify_error = X509_STORE_CTX_get_error(ctx);
	path = X509_STORE_CTX_get0_chain(ctx);
	r->depth = path ? sk_X509_num(path) : 0;
	if (path && sk_X509_num(path) > 1)
		issuer = sk_X509_value(path, 1);
	else if (n > 1)
		issuer = chain[1]->x509;
	else if (X509_check_issued(chain[0]->x509, chain[0]->x509) == X509_V_OK)
		issuer = chain[0]->x509;
	certcheck_crl_lookup(st, chain[0]->x509, issuer, r);
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

void certcheck_chain(struct certcheck_store *st, struct x509_cert *const *chain, size_t n,
		     time_t now, struct certcheck_chain_result *r)
{
	struct certcheck_slot *slot = NULL;
	bool hit = false;
	uint8_t key[32];

	memset(r, 0, sizeof(*r));
	r->verify_error = X509_V_ERR_UNSPECIFIED;
	if (!st || !n || !chain[0] || !chain[0]->x509)
		return;
	if (certcheck_chain_key(chain, n, key)) {
		slot = &st->slot[((size_t)key[0] << 8 | key[1]) % CERTCHECK_CACHE_SLOTS];
		pthread_mutex_lock(&st->lock);
		hit = slot->used && !memcmp(slot->key, key, sizeof(key));
		if (hit)
			*r = slot->r;
		pthread_mutex_unlock(&st->lock);
	}
	if (!hit) {
		certcheck_verify(st, chain, n, r);
		if (slot) {
			pthread_mutex_lock(&st->lock);
			memcpy(slot->key, key, sizeof(key));
			slot->r = *r;
			slot->used = true;
			pthread_mutex_unlock(&st->lock);
		}
	}
	/* Staleness depends on now, so it is judged outside the cache. */
	if (r->rev == CERTCHECK_REV_GOOD && r->crl_next_update && now > r->crl_next_update)
		r->rev = CERTCHECK_REV_STALE;
}

bool certcheck_key(X509 *x, struct certcheck_key *k)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	size_t len = 0;

	memset(k, 0, sizeof(*k));
	if (!pk) {
		ERR_clear_error();
		return false;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: k->type = "RSA"; break;
	case EVP_PKEY_RSA_PSS: k->type = "RSA-PSS"; break;
	case EVP_PKEY_EC: k->type = "EC"; break;
	case EVP_PKEY_ED25519: k->type = "ED25519"; break;
	case EVP_PKEY_ED448: k->type = "ED448"; break;
	case EVP_PKEY_DSA: k->type = "DSA"; break;
	case EVP_PKEY_DH: k->type = "DH"; break;
	default: k->type = "other"; break;
	}
	k->bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_get_group_name(pk, k->curve, sizeof(k->curve), &len) != 1)
		k->curve[0] = '\0';
	ERR_clear_error();
	return true;
}

int certcheck_sig_digest(X509 *x, const char **sig_name)
{
	int md = NID_undef, pk = NID_undef, bits = 0;
	uint32_t flags = 0;

	if (sig_name)
		*sig_name = OBJ_nid2ln(X509_get_signature_nid(x));
	if (X509_get_signature_info(x, &md, &pk, &bits, &flags) != 1)
		md = NID_undef;
	ERR_clear_error();
	return md;
}

bool certcheck_host(X509 *x, const char *host)
{
	int rc = X509_check_host(x, host, strlen(host), 0, NULL);

	ERR_clear_error();
	return rc == 1;
}

bool certcheck_self_signed(X509 *x)
{
	int rc = X509_self_signed(x, 1);

	ERR_clear_error();
	return rc == 1;
}

/* The issuer of chain[0]: the chain certificate that issued it, else one
 * from the store. A new reference (free it), or NULL. */
static X509 *certcheck_issuer(struct certcheck_store *st, struct x509_cert *const *chain, size_t n)
{
	X509_STORE_CTX *ctx;
	X509 *issuer = NULL;
	size_t i;

	for (i = 1; i < n; i++)
		if (chain[i] && chain[i]->x509 &&
		    X509_check_issued(chain[i]->x509, chain[0]->x509) == X509_V_OK &&
		    X509_up_ref(chain[i]->x509) == 1)
			return chain[i]->x509;
	if (!st || !(ctx = X509_STORE_CTX_new()))
		return NULL;
	certcheck_bundle_add(st, chain, 1, NULL);
	if (X509_STORE_CTX_init(ctx, st->store, chain[0]->x509, NULL) == 1 &&
	    X509_STORE_CTX_get1_issuer(&issuer, ctx, chain[0]->x509) != 1)
		issuer = NULL;
	X509_STORE_CTX_free(ctx);
	return issuer;
}

/* RFC 6960 4.1.1: a CertID names a certificate by the hashes of its
 * issuer's name and key and its serial number; compared with the hash
 * algorithm the responder chose. Without the issuer only the serial can
 * be compared. */
static bool certcheck_ocsp_id_is(const OCSP_CERTID *id, X509 *leaf, X509 *issuer)
{
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL, *my_name = NULL, *my_key = NULL;
	ASN1_OBJECT *md_obj = NULL;
	ASN1_INTEGER *serial = NULL;
	OCSP_CERTID *mine;
	const EVP_MD *md;
	bool same;

	if (OCSP_id_get0_info(&name_hash, &md_obj, &key_hash, &serial, (OCSP_CERTID *)id) != 1 ||
	    ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(leaf)))
		return false;
	if (!issuer)
		return true;
	md = EVP_get_digestbyobj(md_obj);
	mine = md ? OCSP_cert_to_id(md, leaf, issuer) : NULL;
	if (!mine)
		return false;
	same = OCSP_id_get0_info(&my_name, NULL, &my_key, NULL, mine) == 1 &&
	       !ASN1_OCTET_STRING_cmp(name_hash, my_name) && !ASN1_OCTET_STRING_cmp(key_hash, my_key);
	OCSP_CERTID_free(mine);
	return same;
}

/* Without nextUpdate (RFC 6960 4.2.2.1: "newer information is always
 * available") a response is taken as current for this long after thisUpdate. */
#define CERTCHECK_OCSP_MAX_AGE (7 * 86400)

/* The key of (response, issuer) in the OCSP cache; false if it cannot be
 * made (then nothing is cached). */
static bool certcheck_ocsp_key(const uint8_t *der, size_t len, X509 *issuer, uint8_t key[32])
{
	uint8_t both[64];
	unsigned int ilen = 0;

	return EVP_Digest(der, len, both, NULL, EVP_sha256(), NULL) == 1 &&
	       X509_digest(issuer, EVP_sha256(), both + 32, &ilen) == 1 && ilen == 32 &&
	       EVP_Digest(both, sizeof(both), key, NULL, EVP_sha256(), NULL) == 1;
}

/*
 * RFC 6960 4.2.2.2: signed by the issuer, or by a responder the issuer
 * certified for OCSP signing; the chain's certificates may help find the
 * responder's. The verdict depends on the response, the issuer and the
 * store only (time is judged by the caller), so it is cached per
 * (response, issuer) in the store. false with the reason in why.
 */
static bool certcheck_ocsp_signed(struct certcheck_store *st, const uint8_t *der, size_t len,
				  OCSP_BASICRESP *basic, X509 *issuer,
				  struct x509_cert *const *chain, size_t n, char *why, size_t whylen)
{
	struct certcheck_ocsp_slot *slot = NULL;
	STACK_OF(X509) *helpers = NULL;
	bool ok = false, hit = false;
	uint8_t key[32];
	size_t i;

	if (certcheck_ocsp_key(der, len, issuer, key)) {
		slot = &st->ocsp[((size_t)key[0] << 8 | key[1]) % CERTCHECK_OCSP_SLOTS];
		pthread_mutex_lock(&st->lock);
		hit = slot->used && !memcmp(slot->key, key, sizeof(key));
		if (hit) {
			ok = slot->verified;
			snprintf(why, whylen, "%s", slot->why);
			st->n.ocsp_cached++;
		}
		pthread_mutex_unlock(&st->lock);
		if (hit)
			return ok;
	}
	if (!(helpers = sk_X509_new_null()))
		goto out;
	for (i = 1; i < n; i++)
		if (chain[i] && chain[i]->x509 && !sk_X509_push(helpers, chain[i]->x509))
			goto out;
	certcheck_bundle_add(st, chain, n, OCSP_resp_get0_certs(basic));
	ok = OCSP_basic_verify(basic, helpers, st->store, 0) == 1;
	if (!ok) {
		unsigned long e = ERR_peek_last_error();

		snprintf(why, whylen, "signature: %s",
			 e && ERR_reason_error_string(e) ? ERR_reason_error_string(e)
							 : "does not verify");
	}
	pthread_mutex_lock(&st->lock);
	st->n.ocsp_verified++;
	if (slot) {
		memcpy(slot->key, key, sizeof(key));
		slot->verified = ok;
		snprintf(slot->why, sizeof(slot->why), "%s", ok ? "" : why);
		slot->used = true;
	}
	pthread_mutex_unlock(&st->lock);
out:
	sk_X509_free(helpers);
	return ok;
}

void certcheck_counters(struct certcheck_store *st, struct certcheck_counters *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->n;
	pthread_mutex_unlock(&st->lock);
}

enum certcheck_ocsp certcheck_ocsp(struct certcheck_store *st, const uint8_t *der, size_t len,
				   struct x509_cert *const *chain, size_t n, time_t now, long skew,
				   char *why, size_t whylen)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	OCSP_SINGLERESP *single = NULL;
	ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL;
	enum certcheck_ocsp out = CERTCHECK_OCSP_INVALID;
	X509 *leaf, *issuer = NULL;
	time_t early = now + skew, late = now - skew;
	int k, status;

	snprintf(why, whylen, "unreadable");
	if (!der || !len)
		return CERTCHECK_OCSP_NONE;
	if (!n || !chain[0] || !(leaf = chain[0]->x509))
		return CERTCHECK_OCSP_INVALID;
	if (len > 1 << 20)
		goto out;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (!resp)
		goto out;
	if ((k = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(why, whylen, "responder status %s", OCSP_response_status_str(k));
		goto out;
	}
	if (!(basic = OCSP_response_get1_basic(resp)))
		goto out;
	issuer = certcheck_issuer(st, chain, n);
	for (k = 0; k < OCSP_resp_count(basic) && !single; k++) {
		const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(basic, k));

		if (id && certcheck_ocsp_id_is(id, leaf, issuer))
			single = OCSP_resp_get0(basic, k);
	}
	if (!single) {
		snprintf(why, whylen, "not about this certificate");
		goto out;
	}
	if (st) {
		if (!issuer) {
			snprintf(why, whylen, "issuer unknown: signature not verifiable");
			goto out;
		}
		if (!certcheck_ocsp_signed(st, der, len, basic, issuer, chain, n, why, whylen))
			goto out;
	}
	status = OCSP_single_get0_status(single, NULL, NULL, &this_upd, &next_upd);
	/* A verified "revoked" stays revoked, however old (as on a CRL). */
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		out = CERTCHECK_OCSP_REVOKED;
		goto out;
	}
	if (!this_upd || X509_cmp_time(this_upd, &early) > 0) {
		snprintf(why, whylen, "thisUpdate in the future");
		goto out;
	}
	if (!next_upd)
		late -= CERTCHECK_OCSP_MAX_AGE;
	if (X509_cmp_time(next_upd ? next_upd : this_upd, &late) < 0) {
		struct tm tm;
		char t[24] = "?";

		if (ASN1_TIME_to_tm(next_upd ? next_upd : this_upd, &tm) == 1)
			strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(why, whylen, "stale: %s %s", next_upd ? "nextUpdate" : "thisUpdate", t);
		goto out;
	}
	out = status == V_OCSP_CERTSTATUS_GOOD ? CERTCHECK_OCSP_GOOD : CERTCHECK_OCSP_UNKNOWN;
out:
	if (out != CERTCHECK_OCSP_INVALID && whylen)
		why[0] = '\0';
	X509_free(issuer);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return out;
}

const char *certcheck_ocsp_name(enum certcheck_ocsp s)
{
	switch (s) {
	case CERTCHECK_OCSP_NONE: return "none";
	case CERTCHECK_OCSP_GOOD: return "good";
	case CERTCHECK_OCSP_REVOKED: return "revoked";
	case CERTCHECK_OCSP_UNKNOWN: return "unknown";
	case CERTCHECK_OCSP_INVALID: return "invalid";
	}
	return "invalid";
}
