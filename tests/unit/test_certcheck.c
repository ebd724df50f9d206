/*
 * certcheck against real certificates made by the openssl CLI (testpki.h):
 * each leaf has exactly one defect, and each test asserts that certcheck
 * finds that defect and no other.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509_vfy.h>

#include "x509/certcheck.h"
#include "testpki.h"

static struct certcheck_store *store_with(const char *ca, const char *crl)
{
	char path[400], err[256] = "";
	struct certcheck_store *st = certcheck_store_new(testpki_path(ca, path, sizeof(path)), NULL,
							 err, sizeof(err));

	cr_assert(st, "store: %s", err);
	if (crl)
		cr_assert_eq(certcheck_store_add_crl(st, testpki_path(crl, path, sizeof(path)),
						     err, sizeof(err)), 0, "crl: %s", err);
	return st;
}

static struct certcheck_chain_result verify1(struct certcheck_store *st, const char *leaf, time_t now)
{
	struct x509_cert *c = testpki_cert(leaf);
	struct certcheck_chain_result r;

	certcheck_chain(st, &c, 1, now, &r);
	testpki_cert_free(c);
	return r;
}

Test(certcheck, good_leaf_verifies_and_is_not_revoked)
{
	struct certcheck_store *st = store_with("root.crt", "root.crl");
	struct certcheck_chain_result r = verify1(st, "good.crt", time(NULL));

	cr_assert_eq(r.verify_error, X509_V_OK, "%s", X509_verify_cert_error_string(r.verify_error));
	cr_assert_eq(r.depth, 2);
	cr_assert_eq(r.rev, CERTCHECK_REV_GOOD);
	certcheck_store_free(st);
}

Test(certcheck, untrusted_issuer_fails)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct certcheck_chain_result r = verify1(st, "untrusted.crt", time(NULL));

	cr_assert_eq(r.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	certcheck_store_free(st);
}

Test(certcheck, self_signed_is_untrusted_and_detected)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct certcheck_chain_result r = verify1(st, "self.crt", time(NULL));
	struct x509_cert *self = testpki_cert("self.crt"), *good = testpki_cert("good.crt");

	cr_assert_eq(r.verify_error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	cr_assert(certcheck_self_signed(self->x509));
	cr_assert_not(certcheck_self_signed(good->x509));
	testpki_cert_free(self);
	testpki_cert_free(good);
	certcheck_store_free(st);
}

Test(certcheck, intermediate_chain_verifies_with_depth_3)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct x509_cert *chain[2] = { testpki_cert("deep.crt"), testpki_cert("inter.crt") };
	struct certcheck_chain_result r;

	certcheck_chain(st, chain, 2, time(NULL), &r);
	cr_assert_eq(r.verify_error, X509_V_OK, "%s", X509_verify_cert_error_string(r.verify_error));
	cr_assert_eq(r.depth, 3);
	/* Without the intermediate the path cannot be built. */
	certcheck_chain(st, chain, 1, time(NULL), &r);
	cr_assert_neq(r.verify_error, X509_V_OK);
	testpki_cert_free(chain[0]);
	testpki_cert_free(chain[1]);
	certcheck_store_free(st);
}

Test(certcheck, crl_revocation)
{
	struct certcheck_store *st = store_with("root.crt", "root.crl");
	struct certcheck_chain_result r = verify1(st, "revoked.crt", time(NULL));

	cr_assert_eq(r.verify_error, X509_V_OK);
	cr_assert_eq(r.rev, CERTCHECK_REV_REVOKED);
	/* Revoked stays revoked when the CRL is stale (cached result too). */
	r = verify1(st, "revoked.crt", time(NULL) + 400 * 86400);
	cr_assert_eq(r.rev, CERTCHECK_REV_REVOKED);
	certcheck_store_free(st);
}

Test(certcheck, crl_past_next_update_is_stale)
{
	struct certcheck_store *st = store_with("root.crt", "root.crl");
	struct certcheck_chain_result r = verify1(st, "good.crt", time(NULL));

	cr_assert_eq(r.rev, CERTCHECK_REV_GOOD);
	r = verify1(st, "good.crt", time(NULL) + 40 * 86400);
	cr_assert_eq(r.rev, CERTCHECK_REV_STALE);
	certcheck_store_free(st);
}

Test(certcheck, crl_made_stale_by_openssl)
{
	struct certcheck_store *st = store_with("rsaroot.crt", "stale.crl");
	struct certcheck_chain_result r = verify1(st, "rsagood.crt", time(NULL) + 3600);

	cr_assert_eq(r.verify_error, X509_V_OK);
	cr_assert_eq(r.rev, CERTCHECK_REV_STALE);
	certcheck_store_free(st);
}

Test(certcheck, no_crl_for_issuer)
{
	struct certcheck_store *st = store_with("root.crt", "stale.crl");
	struct certcheck_chain_result r = verify1(st, "good.crt", time(NULL));

	/* stale.crl is rsaroot's: it says nothing about root's leaves. */
	cr_assert_eq(r.rev, CERTCHECK_REV_NO_CRL);
	certcheck_store_free(st);
}

Test(certcheck, key_sizes_and_curves)
{
	struct x509_cert *rsa = testpki_cert("rsa1024.crt"), *ec = testpki_cert("good.crt");
	struct x509_cert *p384 = testpki_cert("p384.crt");
	struct certcheck_key k;

	cr_assert(certcheck_key(rsa->x509, &k));
	cr_assert_str_eq(k.type, "RSA");
	cr_assert_eq(k.bits, 1024);
	cr_assert(certcheck_key(ec->x509, &k));
	cr_assert_str_eq(k.type, "EC");
	cr_assert_eq(k.bits, 256);
	cr_assert_str_eq(k.curve, "prime256v1");
	cr_assert(certcheck_key(p384->x509, &k));
	cr_assert_str_eq(k.curve, "secp384r1");
	testpki_cert_free(rsa);
	testpki_cert_free(ec);
	testpki_cert_free(p384);
}

Test(certcheck, signature_digests)
{
	struct x509_cert *md5 = testpki_cert("md5.crt"), *sha1 = testpki_cert("sha1.crt");
	struct x509_cert *good = testpki_cert("good.crt");
	const char *name;

	cr_assert_eq(certcheck_sig_digest(md5->x509, &name), NID_md5);
	cr_assert_str_eq(name, "md5WithRSAEncryption");
	cr_assert_eq(certcheck_sig_digest(sha1->x509, &name), NID_sha1);
	cr_assert_str_eq(name, "sha1WithRSAEncryption");
	cr_assert_eq(certcheck_sig_digest(good->x509, &name), NID_sha256);
	cr_assert_str_eq(name, "ecdsa-with-SHA256");
	testpki_cert_free(md5);
	testpki_cert_free(sha1);
	testpki_cert_free(good);
}

Test(certcheck, hostname)
{
	struct x509_cert *good = testpki_cert("good.crt"), *other = testpki_cert("other.crt");

	cr_assert(certcheck_host(good->x509, "good.test"));
	cr_assert(certcheck_host(good->x509, "GOOD.test"));
	cr_assert_not(certcheck_host(other->x509, "good.test"));
	cr_assert_not(certcheck_host(good->x509, "evil.good.test"));
	testpki_cert_free(good);
	testpki_cert_free(other);
}

/* certcheck_ocsp on one response file about one leaf (chain of one). */
static enum certcheck_ocsp ocsp(struct certcheck_store *st, const char *resp, const char *leaf,
				time_t now, long skew, char why[static 72])
{
	struct x509_cert *c = testpki_cert(leaf);
	size_t len;
	uint8_t *der = testpki_read(resp, &len);
	enum certcheck_ocsp o = certcheck_ocsp(st, der, len, &c, 1, now, skew, why, 72);

	free(der);
	testpki_cert_free(c);
	return o;
}

Test(certcheck, ocsp_staple_verified_status)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	time_t now = time(NULL);
	char why[72];

	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_GOOD, "%s", why);
	cr_assert_str_eq(why, "");
	cr_assert_eq(ocsp(st, "revoked.ocsp", "revoked.crt", now, 0, why), CERTCHECK_OCSP_REVOKED,
		     "%s", why);
	/* Signed by a responder the root certified for OCSP signing. */
	cr_assert_eq(ocsp(st, "delegated.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_GOOD,
		     "%s", why);
	certcheck_store_free(st);
}

/* A response stapled again (same response, same issuer) is not verified
 * again: the second call takes the verdict from the store's cache, bad
 * ones too; its time is still judged at each call. */
Test(certcheck, ocsp_second_verification_hits_the_cache)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct certcheck_counters n;
	time_t now = time(NULL);
	char why[72];

	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_GOOD, "%s", why);
	certcheck_counters(st, &n);
	cr_assert_eq(n.ocsp_verified, 1);
	cr_assert_eq(n.ocsp_cached, 0);
	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_GOOD, "%s", why);
	certcheck_counters(st, &n);
	cr_assert_eq(n.ocsp_verified, 1, "verified again");
	cr_assert_eq(n.ocsp_cached, 1);
	/* cached, yet stale eleven years on */
	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now + 11L * 365 * 86400, 0, why),
		     CERTCHECK_OCSP_INVALID);
	cr_assert(!strncmp(why, "stale: ", 7), "%s", why);
	/* another response is another entry; a bad signature is cached with its reason */
	cr_assert_eq(ocsp(st, "rogue.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert_eq(ocsp(st, "rogue.ocsp", "good.crt", now, 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert(!strncmp(why, "signature: ", 11), "%s", why);
	certcheck_counters(st, &n);
	cr_assert_eq(n.ocsp_verified, 2);
	cr_assert_eq(n.ocsp_cached, 3);
	certcheck_store_free(st);
}

Test(certcheck, ocsp_staple_signed_by_an_unrelated_key)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct certcheck_store *other = store_with("rsaroot.crt", NULL);
	char why[72];

	cr_assert_eq(ocsp(st, "rogue.ocsp", "good.crt", time(NULL), 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert(!strncmp(why, "signature: ", 11), "%s", why);
	/* Trust that does not know the issuer cannot verify anything. */
	cr_assert_eq(ocsp(other, "good.ocsp", "good.crt", time(NULL), 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert_str_eq(why, "issuer unknown: signature not verifiable");
	/* Without a store (trust: none) the signature is not checked. */
	cr_assert_eq(ocsp(NULL, "rogue.ocsp", "good.crt", time(NULL), 0, why), CERTCHECK_OCSP_GOOD);
	certcheck_store_free(st);
	certcheck_store_free(other);
}

Test(certcheck, ocsp_staple_freshness_with_clock_skew)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	time_t now = time(NULL);
	char why[72];

	/* stale.ocsp: nextUpdate one minute after it was made, so two
	 * minutes from now it is stale whenever the PKI was made... */
	cr_assert_eq(ocsp(st, "stale.ocsp", "good.crt", now + 120, 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert(!strncmp(why, "stale: nextUpdate 20", 20), "%s", why);
	/* ...unless the allowed skew covers it. */
	cr_assert_eq(ocsp(st, "stale.ocsp", "good.crt", now + 120, 3650L * 86400, why),
		     CERTCHECK_OCSP_GOOD, "%s", why);
	/* good.ocsp lasts 10 years: stale after 11, not yet valid 10 years ago. */
	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now + 11L * 365 * 86400, 0, why),
		     CERTCHECK_OCSP_INVALID);
	cr_assert(!strncmp(why, "stale: ", 7), "%s", why);
	cr_assert_eq(ocsp(st, "good.ocsp", "good.crt", now - 10L * 365 * 86400, 300, why),
		     CERTCHECK_OCSP_INVALID);
	cr_assert_str_eq(why, "thisUpdate in the future");
	/* A verified "revoked" is not outdated by age. */
	cr_assert_eq(ocsp(st, "revoked.ocsp", "revoked.crt", now + 11L * 365 * 86400, 0, why),
		     CERTCHECK_OCSP_REVOKED);
	certcheck_store_free(st);
}

Test(certcheck, ocsp_staple_must_be_about_the_leaf)
{
	struct certcheck_store *st = store_with("root.crt", NULL);
	struct x509_cert *good = testpki_cert("good.crt");
	uint8_t junk[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
	size_t len;
	uint8_t *der = testpki_read("revoked.ocsp", &len);
	char why[72];

	/* A response about another certificate says nothing about this one. */
	cr_assert_eq(ocsp(st, "revoked.ocsp", "good.crt", time(NULL), 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert_str_eq(why, "not about this certificate");
	/* The same serial under another issuer's name and key hashes. */
	cr_assert_eq(ocsp(st, "otherid.ocsp", "good.crt", time(NULL), 0, why), CERTCHECK_OCSP_INVALID);
	cr_assert_str_eq(why, "not about this certificate");
	cr_assert_eq(certcheck_ocsp(st, NULL, 0, &good, 1, time(NULL), 0, why, sizeof(why)),
		     CERTCHECK_OCSP_NONE);
	cr_assert_eq(certcheck_ocsp(st, junk, sizeof(junk), &good, 1, time(NULL), 0, why, sizeof(why)),
		     CERTCHECK_OCSP_INVALID);
	cr_assert_eq(certcheck_ocsp(st, der, len / 2, &good, 1, time(NULL), 0, why, sizeof(why)),
		     CERTCHECK_OCSP_INVALID);
	cr_assert_str_eq(why, "unreadable");
	free(der);
	testpki_cert_free(good);
	certcheck_store_free(st);
}

Test(certcheck, store_errors)
{
	char err[256] = "";
	struct certcheck_store *st = certcheck_store_new("/nonexistent/ca.pem", NULL, err, sizeof(err));

	cr_assert_null(st);
	cr_assert(strstr(err, "cannot read CA file"), "%s", err);
	st = store_with("root.crt", NULL);
	cr_assert_lt(certcheck_store_add_crl(st, "/nonexistent.crl", err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot read CRL file"), "%s", err);
	cr_assert_lt(certcheck_store_add_crl(st, TESTPKI_SCRIPT, err, sizeof(err)), 0);
	cr_assert(strstr(err, "no CRL"), "%s", err);
	certcheck_store_free(st);
}

Test(certcheck, system_store_loads)
{
	char err[256] = "";
	struct certcheck_store *st = certcheck_store_new(NULL, NULL, err, sizeof(err));

	cr_assert(st, "%s", err);
	certcheck_store_free(st);
}

/* An x509_cert around x (a reference taken), as the x509 cache makes them:
 * DER and its digest (the verdict cache's key). */
static struct x509_cert *wrap(X509 *x)
{
	struct x509_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	cr_assert(c && n > 0);
	cr_assert(X509_up_ref(x));
	c->x509 = x;
	c->der = der;
	c->der_len = (size_t)n;
	cr_assert(EVP_Digest(der, c->der_len, c->sha256_bin, NULL, EVP_sha256(), NULL));
	return c;
}

/* The system store adds the bundle's certificates as chains name them: it
 * answers as OpenSSL's default paths, loaded whole, do, for every
 * certificate of the bundle (each verifies, as a partial chain too) and
 * for a chain the bundle does not anchor. */
Test(certcheck, system_store_answers_as_the_whole_bundle)
{
	char err[256] = "";
	struct certcheck_store *st;
	X509_STORE *whole;
	STACK_OF(X509_OBJECT) *objs;
	struct x509_cert *c;
	struct certcheck_chain_result r;
	X509_STORE_CTX *ctx;
	unsigned checked = 0, ok = 0;
	int i;

	/* without the hashed directory, which holds the same certificates
	 * on Debian: the bundle alone answers */
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
	st = certcheck_store_new(NULL, NULL, err, sizeof(err));
	whole = X509_STORE_new();
	cr_assert(st, "%s", err);
	cr_assert(whole && X509_STORE_set_default_paths(whole) == 1);
	objs = X509_STORE_get0_objects(whole);
	cr_assert(objs);
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (!x)
			continue;
		c = wrap(x);
		certcheck_chain(st, &c, 1, time(NULL), &r);
		ctx = X509_STORE_CTX_new();
		cr_assert(ctx && X509_STORE_CTX_init(ctx, whole, x, NULL) == 1);
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
		X509_verify_cert(ctx);
		cr_assert_eq(r.verify_error, X509_STORE_CTX_get_error(ctx), "certificate %d", i);
		ok += r.verify_error == X509_V_OK;
		checked++;
		X509_STORE_CTX_free(ctx);
		X509_free(c->x509);
		OPENSSL_free((void *)c->der);
		free(c);
	}
	X509_STORE_free(whole);
	if (!checked)
		cr_skip_test("no system CA bundle (ca-certificates) on this machine");
	cr_assert_eq(ok, checked, "%u bundle certificates, %u verify", checked, ok);
	c = testpki_cert("good.crt");
	certcheck_chain(st, &c, 1, time(NULL), &r);
	cr_assert_eq(r.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	testpki_cert_free(c);
	certcheck_store_free(st);
}
