/*
 * x509 tests: certificates made here with OpenSSL (RSA, EC, Ed25519,
 * expired, SHA-1/MD5 signed, SANs, CA, self-signed, odd names), two real
 * certificates from suricata-verify captures with the strings Suricata's
 * EVE prints for them, malformed input, and the cache's bookkeeping.
 */
#include "x509/x509.h"

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * suricata-verify ips__firewall-03-tcp-tls-enforce (also tls-cert-issuer,
 * tls-subject, bug-7286-tls-metadata-01): the SELKS certificate. Its
 * test.yaml checks subject, issuerdn, serial 00:97:E6:47:09:8E:EA:C9:B4,
 * fingerprint 3a:0b:3b:..., notbefore 2015-02-12T18:07:27.
 */
static const char selks_hex[] =
	"3082036b30820253a00302010202090097e647098eeac9b4300d06092a864886"
	"f70d0101050500304c310b3009060355040613024652310c300a06035504080c"
	"03494446310e300c06035504070c055061726973310f300d060355040a0c0653"
	"74616d7573310e300c06035504030c0553454c4b53301e170d31353032313231"
	"38303732375a170d3235303230393138303732375a304c310b30090603550406"
	"13024652310c300a06035504080c03494446310e300c06035504070c05506172"
	"6973310f300d060355040a0c065374616d7573310e300c06035504030c055345"
	"4c4b5330820122300d06092a864886f70d01010105000382010f003082010a02"
	"82010100a682bee856936d61f74fc94777cde53c7c8d0dba1534f5ae1e85a8d6"
	"da336d5ffd6253fa45f05d847427877132643c96fff394bfbf0250a58477588e"
	"35cdf0f3246994e77b93d8357adab2f94e0f24be0109e3f2f64beee593992c77"
	"0cb4edf555dfdab2ea578abdf230f392cbe3976752c2bc21392e5dc9173bf7d6"
	"33ed613f085b41344a4fb690aa8e97895b7512833619800d7b7f7aae32d15fdd"
	"6b47ea5a4150041785c4c79d754587a974b326f965011df086014ebe30a576d4"
	"e845768f5e737cfe77a57e62f4043c340e4bf5eff69a9128bf02d46e02ffe565"
	"2d90707a72fda704549202e2880798275936f9983ed947eb137edafa122a1c85"
	"36460c030203010001a350304e301d0603551d0e041604146acee6879acf3897"
	"fd81a8e279958f1adeab2222301f0603551d230418301680146acee6879acf38"
	"97fd81a8e279958f1adeab2222300c0603551d13040530030101ff300d06092a"
	"864886f70d01010505000382010100568deb00d5f0323b21de5b0f20fba93eea"
	"e856215479f7bab353d1f6f659e1ca00fac523dfa698ac483023d6c346a956d1"
	"0b8e4d47741e858764bdf44cb57444a0a8e16ca3c303c28099c1ce8960bda4b6"
	"f145b998d5b201d24570dc12c8175ff2ee0003c0bf0be29feb9be33c43aba959"
	"0b44a8ff92f2b238e6232bd42604899637954ec1f1bc8e6e05eff12eb7ef6a2c"
	"0fbfb0d3d2f9eee2f3130333fa52f6bcb2e594f91fdc1ed5aaacef0bc5bfecf9"
	"1456693975458dd1fda46f1da260e9609460b8cc1487f1384a0cf3096ca301ce"
	"03fe0e174672b581f3d11b502498d480e6709e1d84380ffc4efc953b7690728b"
	"530b3da5b92dcd6dc4a94bd6c3a845"
	;

/*
 * suricata-verify sslv2-tls-upgrade-01: a v1 certificate with emailAddress
 * in both names, a one-octet serial (85) and an MD5 signature.
 */
static const char netscreen_hex[] =
	"308202ec30820255020155300d06092a864886f70d01010405003081ba310b30"
	"09060355040613025553311330110603550408130a43616c69666f726e696131"
	"1230100603550407130953756e6e7976616c6531183016060355040a130f4f6e"
	"655365637572652c20496e632e31143012060355040b130b46756c66696c6c6d"
	"656e74312830260603550403131f6a756d7065722e73762d73746167696e672e"
	"6f6e657365637572652e636f6d3128302606092a864886f70d01090116196675"
	"6c66696c6c6d656e74406f6e657365637572652e636f6d301e170d3033303332"
	"393030353734345a170d3038303332373030353734345a3081c1310b30090603"
	"55040613025553311330110603550408130a43616c69666f726e696131123010"
	"0603550407130953756e6e7976616c6531253023060355040a131c4e65745363"
	"7265656e20546563686e6f6c6f676965732c20496e632e31163014060355040b"
	"130d5365637572697479205465616d312430220603550403131b73696764622e"
	"7365637465616d2e6e657473637265656e2e636f6d3124302206092a864886f7"
	"0d0109011615617475726e6572406e657473637265656e2e636f6d30819f300d"
	"06092a864886f70d010101050003818d0030818902818100c86bf86b17ff8f5f"
	"334c173451ac5c9df4f0a7ccc8c2a58974666381c04618ebc93edeb7a9ccedff"
	"bfe12ea8a864f5884b9e10e80cb0f0657a83253af06f05aa259bb0b46432b164"
	"e995cff0d382c9e62321af2af2ee277c4ec2eeb6a4f25c6ea2b123df636fa1f9"
	"c8054c33ec05fcaa4d4206252475eff305d4250d6a0bb6910203010001300d06"
	"092a864886f70d01010405000381810088f924432fcb5f34c54adfe9753a0c38"
	"8d69e16dd46f593c183f761457c808c4e6f3c109b88e9a2d4bef3b9f7f25e3e6"
	"d0f69c000ec5cd74ceac80a5e652b99cfd66d56afaac8956acaa3f24331455dd"
	"264349569bccbbd6d4758ba80c74d778fd9126875a84f67ba471d81944e56108"
	"8edb703fd9cf1da51630d0b47a90315a"
	;

struct der {
	uint8_t *p;
	size_t n;
};

static struct der der_from_hex(const char *hex)
{
	struct der d;
	size_t i;
	unsigned v;

	d.n = strlen(hex) / 2;
	d.p = malloc(d.n);
	cr_assert_not_null(d.p);
	for (i = 0; i < d.n; i++) {
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		d.p[i] = (uint8_t)v;
	}
	return d;
}

static void der_free(struct der *d)
{
	free(d->p);
	d->p = NULL;
}

/* ---- making certificates -------------------------------------------- */

static EVP_PKEY *key_make(const char *kind)
{
	EVP_PKEY *k = NULL;

	if (strcmp(kind, "rsa1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (strcmp(kind, "rsa2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(kind, "p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(kind, "p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(kind, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(k, "key %s", kind);
	return k;
}

/* Appends one attribute; merge joins it to the previous RDN. */
static void name_add(X509_NAME *n, const char *field, int type,
		     const void *bytes, int len, bool merge)
{
	cr_assert_eq(X509_NAME_add_entry_by_txt(n, field, type, bytes, len, -1,
						merge ? -1 : 0), 1, "%s", field);
}

static X509_NAME *name_cn(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	cr_assert_not_null(n);
	name_add(n, "CN", MBSTRING_UTF8, cn, -1, false);
	return n;
}

struct cert_opts {
	EVP_PKEY *key;          /* the subject's key */
	X509_NAME *subject;     /* NULL: CN=test */
	X509_NAME *issuer;      /* NULL: the subject */
	EVP_PKEY *signer;       /* NULL: key (self-signed) */
	const EVP_MD *md;       /* NULL for Ed25519 */
	const char *not_before; /* "YYYYMMDDHHMMSSZ"; NULL: 2024-01-01 */
	const char *not_after;  /* NULL: 2044-01-01 */
	const char *serial_hex; /* NULL: 01; "-" prefix for negative */
	const char *san;        /* openssl v3 config value, or NULL */
	GENERAL_NAMES *gens;    /* a hand-made subjectAltName, or NULL */
	bool ca;
	bool v1;                /* version 1, no extensions */
};

static struct der cert_make(const struct cert_opts *o)
{
	X509 *x = X509_new();
	X509_NAME *own = NULL;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial;
	unsigned char *p = NULL;
	struct der d;
	int n;

	cr_assert_not_null(x);
	if (!o->subject)
		own = name_cn("test");
	cr_assert(X509_set_version(x, o->v1 ? X509_VERSION_1 : X509_VERSION_3));
	cr_assert(BN_hex2bn(&bn, o->serial_hex ? o->serial_hex : "01"));
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	cr_assert_not_null(serial);
	cr_assert(X509_set_serialNumber(x, serial));
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	cr_assert(X509_set_subject_name(x, o->subject ? o->subject : own));
	cr_assert(X509_set_issuer_name(x, o->issuer ? o->issuer :
				       o->subject ? o->subject : own));
	cr_assert(ASN1_TIME_set_string_X509(X509_getm_notBefore(x),
		  o->not_before ? o->not_before : "20240101000000Z"));
	cr_assert(ASN1_TIME_set_string_X509(X509_getm_notAfter(x),
		  o->not_after ? o->not_after : "20440101000000Z"));
	cr_assert(X509_set_pubkey(x, o->key));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (o->ca) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		cr_assert_not_null(ext);
		cr_assert(X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	if (o->san) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, o->san);
		cr_assert_not_null(ext);
		cr_assert(X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	if (o->gens)
		cr_assert(X509_add1_ext_i2d(x, NID_subject_alt_name, o->gens, 0,
					    X509V3_ADD_DEFAULT) == 1);
	cr_assert(X509_sign(x, o->signer ? o->signer : o->key, o->md) > 0);
	n = i2d_X509(x, &p);
	cr_assert_gt(n, 0);
	d.n = (size_t)n;
	d.p = malloc(d.n);
	cr_assert_not_null(d.p);
	memcpy(d.p, p, d.n);
	OPENSSL_free(p);
	X509_NAME_free(own);
	X509_free(x);
	return d;
}

/* Parses d in a fresh cache and hands both back. */
static struct x509_cert *parse(struct x509_cache **c, const struct der *d)
{
	struct x509_cert *x;

	*c = x509_cache_new(8);
	cr_assert_not_null(*c);
	x = x509_cache_get(*c, d->p, d->n);
	cr_assert_not_null(x, "certificate did not parse");
	return x;
}

static void done(struct x509_cache *c, struct x509_cert *x, struct der *d)
{
	x509_cert_put(c, x);
	x509_cache_free(c);
	der_free(d);
}

/* ---- Suricata's strings for real certificates ------------------------ */

Test(x509_suricata, selks_certificate)
{
	struct der d = der_from_hex(selks_hex);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_eq(d.n, 879);
	cr_assert_str_eq(x->subject, "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS");
	cr_assert_str_eq(x->issuer, "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS");
	cr_assert_str_eq(x->serial, "00:97:E6:47:09:8E:EA:C9:B4");
	cr_assert_str_eq(x->sha1, "3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b");
	cr_assert_str_eq(x->sha256, "a1:38:4f:d0:8f:c2:79:c9:29:dc:62:25:3e:9e:ed:13:"
			 "30:68:4b:fe:4d:27:4b:62:e5:b2:7e:22:99:9a:16:46");
	cr_assert_str_eq(x->not_before, "2015-02-12T18:07:27");
	cr_assert_str_eq(x->not_after, "2025-02-09T18:07:27");
	cr_assert_eq(x->not_before_t, 1423764447);
	cr_assert_eq(x->not_after_t, 1739124447);
	cr_assert_str_eq(x->key_type, "RSA");
	cr_assert_eq(x->key_bits, 2048);
	cr_assert_null(x->curve);
	cr_assert_str_eq(x->sig_alg, "sha1WithRSAEncryption");
	cr_assert_eq(x->version, 3);
	cr_assert(x->is_ca);
	cr_assert(x->self_issued);
	cr_assert(x->self_signed);
	cr_assert_eq(x->n_sans, 0);
	cr_assert_eq(x->der_len, d.n);
	cr_assert_eq(memcmp(x->der, d.p, d.n), 0);
	cr_assert_not_null(x->x509);
	done(c, x, &d);
}

Test(x509_suricata, email_attribute_and_one_octet_serial)
{
	struct der d = der_from_hex(netscreen_hex);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->subject, "C=US, ST=California, L=Sunnyvale, O=NetScreen Technologies, Inc., "
			 "OU=Security Team, CN=sigdb.secteam.netscreen.com, Email=aturner@netscreen.com");
	cr_assert_str_eq(x->issuer, "C=US, ST=California, L=Sunnyvale, O=OneSecure, Inc., "
			 "OU=Fulfillment, CN=jumper.sv-staging.onesecure.com, Email=fulfillment@onesecure.com");
	cr_assert_str_eq(x->serial, "55");
	cr_assert_str_eq(x->sha1, "8c:90:bd:2a:b3:ae:e6:0b:d0:ea:b7:86:b0:1a:e4:b1:cc:57:ef:22");
	cr_assert_str_eq(x->not_before, "2003-03-29T00:57:44");
	cr_assert_str_eq(x->not_after, "2008-03-27T00:57:44");
	cr_assert_eq(x->not_before_t, 1048899464);
	cr_assert_eq(x->version, 1);
	cr_assert_str_eq(x->sig_alg, "md5WithRSAEncryption");
	cr_assert_eq(x->key_bits, 1024);
	cr_assert_not(x->self_issued);
	cr_assert_not(x->self_signed);
	cr_assert_not(x->is_ca);
	done(c, x, &d);
}

/* The generated corpus' truth for pki/leaf_ec256 (openssl x509 facts). */
Test(x509_suricata, generated_corpus_leaf_ec256)
{
	struct x509_cache *c;
	struct x509_cert *x;
	struct der d = { 0 };
	FILE *f = fopen("../shared/corpus/generated/pki/leaf_ec256.crt.der", "rb");

	if (!f)
		cr_skip_test("corpus not found (run from the repository root)");
	d.p = malloc(4096);
	cr_assert_not_null(d.p);
	d.n = fread(d.p, 1, 4096, f);
	fclose(f);
	x = parse(&c, &d);
	cr_assert_str_eq(x->sha1, "81:a1:d0:3d:d0:b3:c9:87:82:9b:bf:92:f5:60:65:02:b5:2e:ff:52");
	cr_assert_str_eq(x->subject, "C=US, O=Alpha Corp, CN=shop.alpha-corp.test");
	cr_assert_str_eq(x->issuer, "C=US, O=Alpha Corp Test PKI, CN=Alpha Corp Issuing CA E1");
	cr_assert_str_eq(x->serial, "46:7F:3E:5B:D0:3A:40:D0:DB:BE:C9:80");
	cr_assert_str_eq(x->key_type, "EC");
	cr_assert_eq(x->key_bits, 256);
	cr_assert_str_eq(x->curve, "P-256");
	cr_assert_str_eq(x->sig_alg, "ecdsa-with-SHA256");
	cr_assert_eq(x->n_sans, 2);
	cr_assert_str_eq(x->sans[0], "DNS:shop.alpha-corp.test");
	cr_assert_str_eq(x->sans[1], "DNS:cdn.alpha-corp.test");
	cr_assert_not(x->self_signed);
	cr_assert_not(x->is_ca);
	done(c, x, &d);
}

/* ---- key, signature, validity, extensions ---------------------------- */

Test(x509_facts, rsa1024_sha1_self_signed)
{
	EVP_PKEY *k = key_make("rsa1024");
	struct cert_opts o = { .key = k, .md = EVP_sha1() };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->key_type, "RSA");
	cr_assert_eq(x->key_bits, 1024);
	cr_assert_str_eq(x->sig_alg, "sha1WithRSAEncryption");
	cr_assert_str_eq(x->subject, "CN=test");
	cr_assert(x->self_issued);
	cr_assert(x->self_signed);
	cr_assert_not(x->is_ca);
	cr_assert_eq(x->version, 3);
	done(c, x, &d);
	EVP_PKEY_free(k);
}

Test(x509_facts, rsa2048_with_sans)
{
	EVP_PKEY *k = key_make("rsa2048");
	struct cert_opts o = {
		.key = k, .md = EVP_sha256(),
		.san = "DNS:www.example.test,DNS:*.example.test,IP:192.0.2.7,"
		       "IP:2001:db8::1,email:ops@example.test,URI:https://example.test/x",
	};
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_eq(x->key_bits, 2048);
	cr_assert_str_eq(x->sig_alg, "sha256WithRSAEncryption");
	cr_assert_eq(x->n_sans, 6);
	cr_assert_str_eq(x->sans[0], "DNS:www.example.test");
	cr_assert_str_eq(x->sans[1], "DNS:*.example.test");
	cr_assert_str_eq(x->sans[2], "IP:192.0.2.7");
	cr_assert_str_eq(x->sans[3], "IP:2001:db8::1");
	cr_assert_str_eq(x->sans[4], "email:ops@example.test");
	cr_assert_str_eq(x->sans[5], "URI:https://example.test/x");
	cr_assert_not(x->sans_truncated);
	done(c, x, &d);
	EVP_PKEY_free(k);
}

Test(x509_facts, ec_p256_and_p384)
{
	EVP_PKEY *k256 = key_make("p256"), *k384 = key_make("p384");
	struct cert_opts o256 = { .key = k256, .md = EVP_sha256() };
	struct cert_opts o384 = { .key = k384, .md = EVP_sha384() };
	struct der d256 = cert_make(&o256), d384 = cert_make(&o384);
	struct x509_cache *c = x509_cache_new(8);
	struct x509_cert *a = x509_cache_get(c, d256.p, d256.n);
	struct x509_cert *b = x509_cache_get(c, d384.p, d384.n);

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_str_eq(a->key_type, "EC");
	cr_assert_eq(a->key_bits, 256);
	cr_assert_str_eq(a->curve, "P-256");
	cr_assert_str_eq(a->sig_alg, "ecdsa-with-SHA256");
	cr_assert(a->self_signed);
	cr_assert_str_eq(b->key_type, "EC");
	cr_assert_eq(b->key_bits, 384);
	cr_assert_str_eq(b->curve, "P-384");
	cr_assert_str_eq(b->sig_alg, "ecdsa-with-SHA384");
	x509_cert_put(c, a);
	x509_cert_put(c, b);
	x509_cache_free(c);
	der_free(&d256);
	der_free(&d384);
	EVP_PKEY_free(k256);
	EVP_PKEY_free(k384);
}

Test(x509_facts, ed25519)
{
	EVP_PKEY *k = key_make("ed25519");
	struct cert_opts o = { .key = k };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->key_type, "Ed25519");
	cr_assert_eq(x->key_bits, 256);
	cr_assert_null(x->curve);
	cr_assert_str_eq(x->sig_alg, "ED25519");
	cr_assert(x->self_signed);
	done(c, x, &d);
	EVP_PKEY_free(k);
}

Test(x509_facts, expired_validity_utc_time)
{
	EVP_PKEY *k = key_make("p256");
	struct cert_opts o = { .key = k, .md = EVP_sha256(),
			       .not_before = "20200101000000Z", .not_after = "20220101000000Z" };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->not_before, "2020-01-01T00:00:00");
	cr_assert_str_eq(x->not_after, "2022-01-01T00:00:00");
	cr_assert_eq(x->not_before_t, 1577836800);
	cr_assert_eq(x->not_after_t, 1640995200);
	cr_assert_lt(x->not_after_t, time(NULL));
	done(c, x, &d);
	EVP_PKEY_free(k);
}

/* From 2050 on, RFC 5280 4.1.2.5 requires GeneralizedTime. */
Test(x509_facts, generalized_time)
{
	EVP_PKEY *k = key_make("p256");
	struct cert_opts o = { .key = k, .md = EVP_sha256(),
			       .not_before = "20400101000000Z", .not_after = "20500601000000Z" };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->not_before, "2040-01-01T00:00:00");
	cr_assert_str_eq(x->not_after, "2050-06-01T00:00:00");
	cr_assert_eq(x->not_after_t, (time_t)2537654400LL);
	done(c, x, &d);
	EVP_PKEY_free(k);
}

Test(x509_facts, md5_signed)
{
	EVP_PKEY *k = key_make("rsa1024");
	struct cert_opts o = { .key = k, .md = EVP_md5() };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert_str_eq(x->sig_alg, "md5WithRSAEncryption");
	cr_assert(x->self_signed);
	done(c, x, &d);
	EVP_PKEY_free(k);
}

Test(x509_facts, ca_and_leaf)
{
	EVP_PKEY *cak = key_make("p256"), *leafk = key_make("p256");
	X509_NAME *can = name_cn("Test Root"), *leafn = name_cn("leaf.test");
	struct cert_opts oca = { .key = cak, .subject = can, .md = EVP_sha256(), .ca = true };
	struct cert_opts oleaf = { .key = leafk, .subject = leafn, .issuer = can,
				   .signer = cak, .md = EVP_sha256(), .san = "DNS:leaf.test" };
	struct der dca = cert_make(&oca), dleaf = cert_make(&oleaf);
	struct x509_cache *c = x509_cache_new(8);
	struct x509_cert *ca = x509_cache_get(c, dca.p, dca.n);
	struct x509_cert *leaf = x509_cache_get(c, dleaf.p, dleaf.n);

	cr_assert_not_null(ca);
	cr_assert_not_null(leaf);
	cr_assert(ca->is_ca);
	cr_assert(ca->self_signed);
	cr_assert_not(leaf->is_ca);
	cr_assert_not(leaf->self_issued);
	cr_assert_not(leaf->self_signed);
	cr_assert_str_eq(leaf->issuer, "CN=Test Root");
	cr_assert_str_eq(leaf->issuer, ca->subject);
	cr_assert_eq(X509_verify(leaf->x509, X509_get0_pubkey(ca->x509)), 1);
	x509_cert_put(c, ca);
	x509_cert_put(c, leaf);
	x509_cache_free(c);
	der_free(&dca);
	der_free(&dleaf);
	X509_NAME_free(can);
	X509_NAME_free(leafn);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(leafk);
}

/* Same name as issuer, but another key signed it: self-issued only. */
Test(x509_facts, self_issued_but_not_self_signed)
{
	EVP_PKEY *k = key_make("p256"), *other = key_make("p256");
	struct cert_opts o = { .key = k, .signer = other, .md = EVP_sha256() };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x = parse(&c, &d);

	cr_assert(x->self_issued);
	cr_assert_not(x->self_signed);
	done(c, x, &d);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

Test(x509_facts, sans_over_the_limit_are_truncated)
{
	EVP_PKEY *k = key_make("p256");
	char san[2048] = "";
	char one[32];
	struct cert_opts o = { .key = k, .md = EVP_sha256(), .san = san };
	struct der d;
	struct x509_cache *c;
	struct x509_cert *x;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(one, sizeof(one), "%sDNS:h%d.test", i ? "," : "", i);
		strcat(san, one);
	}
	d = cert_make(&o);
	x = parse(&c, &d);
	cr_assert_eq(x->n_sans, X509_MAX_SANS);
	cr_assert(x->sans_truncated);
	cr_assert_str_eq(x->sans[0], "DNS:h0.test");
	cr_assert_str_eq(x->sans[X509_MAX_SANS - 1], "DNS:h31.test");
	done(c, x, &d);
	EVP_PKEY_free(k);
}

/* A NUL or control byte in a SAN must not cut or forge a host name. */
Test(x509_facts, san_bytes_escaped_dirname_and_rid)
{
	EVP_PKEY *k = key_make("p256");
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn;
	ASN1_IA5STRING *s;
	X509_NAME *dn = X509_NAME_new();
	struct cert_opts o = { .key = k, .md = EVP_sha256(), .gens = gens };
	struct der d;
	struct x509_cache *c;
	struct x509_cert *x;

	cr_assert_not_null(gens);
	gn = GENERAL_NAME_new();
	s = ASN1_IA5STRING_new();
	cr_assert(ASN1_STRING_set(s, "good.test\0.evil\\\n", 17));
	GENERAL_NAME_set0_value(gn, GEN_DNS, s);
	cr_assert(sk_GENERAL_NAME_push(gens, gn));
	name_add(dn, "O", MBSTRING_UTF8, "Dir Org", -1, false);
	name_add(dn, "CN", MBSTRING_UTF8, "dir", -1, false);
	gn = GENERAL_NAME_new();
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
	cr_assert(sk_GENERAL_NAME_push(gens, gn));
	gn = GENERAL_NAME_new();
	GENERAL_NAME_set0_value(gn, GEN_RID, OBJ_txt2obj("1.2.3.4", 1));
	cr_assert(sk_GENERAL_NAME_push(gens, gn));
	d = cert_make(&o);
	x = parse(&c, &d);
	cr_assert_eq(x->n_sans, 3);
	cr_assert_str_eq(x->sans[0], "DNS:good.test\\x00.evil\\x5c\\x0a");
	cr_assert_str_eq(x->sans[1], "DirName:O=Dir Org, CN=dir");
	cr_assert_str_eq(x->sans[2], "RID:1.2.3.4");
	done(c, x, &d);
	GENERAL_NAMES_free(gens);
	EVP_PKEY_free(k);
}

/* ---- names and serials in Suricata's format ---------------------------- */

/* Checks the text x509 writes for a self-signed certificate's subject n
 * (freed here), and that its issuer reads the same. */
static void subject_is(X509_NAME *n, const char *want)
{
	struct cert_opts o = { .md = EVP_sha256(), .subject = n, .key = key_make("p256") };
	struct der d = cert_make(&o);
	struct x509_cache *c;
	struct x509_cert *x;

	X509_NAME_free(n);
	x = parse(&c, &d);
	cr_assert_str_eq(x->subject, want);
	cr_assert_str_eq(x->issuer, x->subject);
	done(c, x, &d);
	EVP_PKEY_free(o.key);
}

Test(x509_names, multi_valued_rdn_joined_with_plus)
{
	X509_NAME *n = X509_NAME_new();

	name_add(n, "C", MBSTRING_UTF8, "FR", -1, false);
	name_add(n, "O", MBSTRING_UTF8, "Org, Inc.", -1, false);
	name_add(n, "CN", MBSTRING_UTF8, "aa", -1, false);
	name_add(n, "OU", MBSTRING_UTF8, "bb", -1, true);
	/* DER sorts a SET OF by encoding: CN (2.5.4.3) before OU (2.5.4.11). */
	subject_is(n, "C=FR, O=Org, Inc., CN=aa + OU=bb");
}

Test(x509_names, utf8_and_bmp_strings)
{
	X509_NAME *n = X509_NAME_new();
	/* "Zoë東" in UTF-16BE (OpenSSL refuses surrogates in names) */
	static const unsigned char bmp[] = { 0, 'Z', 0, 'o', 0, 0xeb, 0x67, 0x71 };

	name_add(n, "O", V_ASN1_BMPSTRING, bmp, sizeof(bmp), false);
	name_add(n, "CN", MBSTRING_UTF8, "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac", -1, false);
	subject_is(n, "O=Zo\xc3\xab\xe6\x9d\xb1, CN=Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac");
}

/* Latin-1 in a T61String is not UTF-8: x509-parser refuses the name. */
Test(x509_names, non_utf8_string_spoils_the_name)
{
	X509_NAME *n = X509_NAME_new();

	name_add(n, "C", MBSTRING_UTF8, "FR", -1, false);
	name_add(n, "CN", V_ASN1_T61STRING, "caf\xe9", 4, false);
	subject_is(n, "<X509Error: Invalid X.509 name>");
}

Test(x509_names, non_string_values_are_upper_hex)
{
	X509_NAME *n = X509_NAME_new();

	name_add(n, "CN", V_ASN1_UNIVERSALSTRING, "\0\0\0A\0\0\0z", 8, false);
	subject_is(n, "CN=000000410000007A");
}

Test(x509_names, attribute_names)
{
	X509_NAME *n = X509_NAME_new();

	name_add(n, "DC", MBSTRING_UTF8, "example", -1, false);
	name_add(n, "1.3.6.1.4.1.311.60.2.1.3", MBSTRING_UTF8, "US", -1, false);
	name_add(n, "businessCategory", MBSTRING_UTF8, "Private Organization", -1, false);
	name_add(n, "serialNumber", MBSTRING_UTF8, "5157550", -1, false);
	name_add(n, "GN", MBSTRING_UTF8, "Ann", -1, false);
	name_add(n, "UID", MBSTRING_UTF8, "jdoe", -1, false);
	name_add(n, "1.2.3.4", MBSTRING_UTF8, "x", -1, false);
	name_add(n, "emailAddress", MBSTRING_UTF8, "a@b.test", -1, false);
	subject_is(n, "DC=example, msJurisdictionCountry=US, businessCategory=Private Organization, "
		   "serialNumber=5157550, givenName=Ann, OID(0.9.2342.19200300.100.1.1)=jdoe, "
		   "OID(1.2.3.4)=x, Email=a@b.test");
}

/* Suricata logs no subject when the text holds a NUL. */
Test(x509_names, nul_in_name_gives_empty_text)
{
	X509_NAME *n = X509_NAME_new();

	name_add(n, "CN", V_ASN1_UTF8STRING, "a\0b", 3, false);
	subject_is(n, "");
}

Test(x509_names, serial_octets_as_encoded)
{
	static const struct {
		const char *hex, *want;
	} cases[] = {
		{ "55", "55" },
		{ "97E647098EEAC9B4", "00:97:E6:47:09:8E:EA:C9:B4" },
		{ "0", "00" },
		{ "-1", "FF" },
		{ "-80", "80" },
		{ "7F0102030405060708090A0B0C0D0E0F10111213",
		  "7F:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13" },
	};
	EVP_PKEY *k = key_make("p256");
	struct x509_cache *c = x509_cache_new(8);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cert_opts o = { .key = k, .md = EVP_sha256(), .serial_hex = cases[i].hex };
		struct der d = cert_make(&o);
		struct x509_cert *x = x509_cache_get(c, d.p, d.n);

		cr_assert_not_null(x, "serial %s", cases[i].hex);
		cr_assert_str_eq(x->serial, cases[i].want, "serial %s", cases[i].hex);
		x509_cert_put(c, x);
		der_free(&d);
	}
	x509_cache_free(c);
	EVP_PKEY_free(k);
}

/* ---- malformed input ------------------------------------------------------ */

Test(x509_bad, not_a_certificate)
{
	static const uint8_t junk[] = "\x30\x82\xff\xff not a certificate";
	static const uint8_t seq0[] = { 0x30, 0x00 };
	static const uint8_t indef[] = { 0x30, 0x80, 0x00, 0x00 };
	struct x509_cache *c = x509_cache_new(8);
	uint64_t lookups, parses;
	size_t entries;

	cr_assert_null(x509_cache_get(c, NULL, 10));
	cr_assert_null(x509_cache_get(c, junk, 0));
	cr_assert_null(x509_cache_get(c, junk, sizeof(junk)));
	cr_assert_null(x509_cache_get(c, seq0, sizeof(seq0)));
	cr_assert_null(x509_cache_get(c, indef, sizeof(indef)));
	x509_cache_stats(c, &lookups, &parses, &entries);
	cr_assert_eq(lookups, 5);
	cr_assert_eq(parses, 3);
	cr_assert_eq(entries, 0);
	x509_cache_free(c);
}

Test(x509_bad, every_truncation_is_refused)
{
	struct der d = der_from_hex(selks_hex);
	struct x509_cache *c = x509_cache_new(8);
	size_t n;

	for (n = 0; n < d.n; n++)
		cr_assert_null(x509_cache_get(c, d.p, n), "prefix of %zu bytes parsed", n);
	x509_cache_free(c);
	der_free(&d);
}

/* Flipped bytes must never crash; whatever parses must be whole. */
Test(x509_bad, flipped_bytes)
{
	struct der d = der_from_hex(selks_hex);
	struct x509_cache *c = x509_cache_new(4);
	struct x509_cert *x;
	size_t i;

	for (i = 0; i < d.n; i++) {
		d.p[i] ^= 0x80;
		x = x509_cache_get(c, d.p, d.n);
		if (x) {
			cr_assert_not_null(x->subject);
			cr_assert_not_null(x->issuer);
			cr_assert_not_null(x->serial);
			cr_assert_not_null(x->key_type);
			cr_assert_not_null(x->sig_alg);
		}
		x509_cert_put(c, x);
		d.p[i] ^= 0x80;
	}
	x509_cache_free(c);
	der_free(&d);
}

/* Bytes after the certificate are kept (Suricata ignores them too) and
 * make it a different entry with a different fingerprint. */
Test(x509_bad, trailing_bytes_tolerated)
{
	struct der d = der_from_hex(selks_hex);
	uint8_t *longer = malloc(d.n + 2);
	struct x509_cache *c = x509_cache_new(8);
	struct x509_cert *a, *b;

	cr_assert_not_null(longer);
	memcpy(longer, d.p, d.n);
	longer[d.n] = 0;
	longer[d.n + 1] = 0;
	a = x509_cache_get(c, d.p, d.n);
	b = x509_cache_get(c, longer, d.n + 2);
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_neq(a, b);
	cr_assert_str_eq(b->subject, a->subject);
	cr_assert_str_neq(b->sha1, a->sha1);
	cr_assert_eq(b->der_len, d.n + 2);
	x509_cert_put(c, a);
	x509_cert_put(c, b);
	x509_cache_free(c);
	free(longer);
	der_free(&d);
}

/* ---- the cache ------------------------------------------------------------- */

Test(x509_cache, hit_does_not_reparse)
{
	struct der d = der_from_hex(selks_hex);
	uint8_t *copy = malloc(d.n);
	struct x509_cache *c = x509_cache_new(8);
	struct x509_cert *a, *b;
	uint64_t lookups, parses;
	size_t entries;

	cr_assert_not_null(copy);
	memcpy(copy, d.p, d.n);
	a = x509_cache_get(c, d.p, d.n);
	b = x509_cache_get(c, copy, d.n);
	cr_assert_not_null(a);
	cr_assert_eq(a, b, "same bytes elsewhere must hit the same entry");
	cr_assert_eq(a->refs, 2);
	x509_cache_stats(c, &lookups, &parses, &entries);
	cr_assert_eq(lookups, 2);
	cr_assert_eq(parses, 1);
	cr_assert_eq(entries, 1);
	free(copy);
	der_free(&d);
	cr_assert_str_eq(a->subject, "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS",
			 "the cache owns its copy of the DER");
	cr_assert_eq(x509_cert_ref(a), a);
	cr_assert_eq(a->refs, 3);
	x509_cert_put(c, a);
	x509_cert_put(c, a);
	x509_cert_put(c, b);
	cr_assert_eq(a->refs, 0);
	x509_cache_stats(c, NULL, NULL, &entries);
	cr_assert_eq(entries, 1, "an idle entry stays cached");
	x509_cache_free(c);
}

static struct der serial_cert(EVP_PKEY *k, unsigned serial)
{
	char hex[16];
	struct cert_opts o = { .key = k, .md = EVP_sha256(), .serial_hex = hex };

	snprintf(hex, sizeof(hex), "%X", serial);
	return cert_make(&o);
}

static uint64_t parses_of(const struct x509_cache *c)
{
	uint64_t parses;

	x509_cache_stats(c, NULL, &parses, NULL);
	return parses;
}

Test(x509_cache, idle_entries_evicted_least_recent_first)
{
	EVP_PKEY *k = key_make("p256");
	struct der a = serial_cert(k, 1), b = serial_cert(k, 2), d = serial_cert(k, 3);
	struct x509_cache *c = x509_cache_new(2);
	size_t entries;

	x509_cert_put(c, x509_cache_get(c, a.p, a.n));
	x509_cert_put(c, x509_cache_get(c, b.p, b.n));
	x509_cert_put(c, x509_cache_get(c, a.p, a.n)); /* a is now the most recent */
	cr_assert_eq(parses_of(c), 2);
	x509_cert_put(c, x509_cache_get(c, d.p, d.n)); /* evicts b */
	x509_cache_stats(c, NULL, NULL, &entries);
	cr_assert_eq(entries, 2);
	cr_assert_eq(x509_cache_evictions(c), 1);
	x509_cert_put(c, x509_cache_get(c, a.p, a.n));
	cr_assert_eq(parses_of(c), 3, "a must still be cached");
	x509_cert_put(c, x509_cache_get(c, b.p, b.n));
	cr_assert_eq(parses_of(c), 4, "b must have been evicted");
	x509_cache_free(c);
	der_free(&a);
	der_free(&b);
	der_free(&d);
	EVP_PKEY_free(k);
}

Test(x509_cache, referenced_entries_are_never_evicted)
{
	EVP_PKEY *k = key_make("p256");
	struct der a = serial_cert(k, 1), b = serial_cert(k, 2), d = serial_cert(k, 3);
	struct x509_cache *c = x509_cache_new(0);
	struct x509_cert *xa, *xb, *xd;
	size_t entries;

	xa = x509_cache_get(c, a.p, a.n);
	xb = x509_cache_get(c, b.p, b.n);
	xd = x509_cache_get(c, d.p, d.n);
	cr_assert(xa && xb && xd);
	x509_cache_stats(c, NULL, NULL, &entries);
	cr_assert_eq(entries, 3);
	cr_assert_eq(x509_cache_get(c, b.p, b.n), xb);
	x509_cert_put(c, xb);
	x509_cert_put(c, xb);
	x509_cache_stats(c, NULL, NULL, &entries);
	cr_assert_eq(entries, 2, "max 0: an entry goes with its last reference");
	cr_assert_eq(x509_cache_get(c, a.p, a.n), xa);
	x509_cert_put(c, xa);
	x509_cert_put(c, xa);
	x509_cert_put(c, xd);
	x509_cache_stats(c, NULL, NULL, &entries);
	cr_assert_eq(entries, 0);
	cr_assert_eq(x509_cache_evictions(c), 3);
	x509_cache_free(c);
	der_free(&a);
	der_free(&b);
	der_free(&d);
	EVP_PKEY_free(k);
}

Test(x509_cache, many_entries_all_found_again)
{
	enum { N = 300 };
	EVP_PKEY *k = key_make("p256");
	struct der *d = calloc(N, sizeof(*d));
	struct x509_cert **x = calloc(N, sizeof(*x));
	struct x509_cache *c = x509_cache_new(N);
	uint64_t lookups;
	size_t entries;
	int i;

	cr_assert(d && x);
	for (i = 0; i < N; i++) {
		d[i] = serial_cert(k, (unsigned)i + 1);
		x[i] = x509_cache_get(c, d[i].p, d[i].n);
		cr_assert_not_null(x[i]);
	}
	for (i = 0; i < N; i++) {
		cr_assert_eq(x509_cache_get(c, d[i].p, d[i].n), x[i]);
		x509_cert_put(c, x[i]);
		x509_cert_put(c, x[i]);
	}
	x509_cache_stats(c, &lookups, NULL, &entries);
	cr_assert_eq(lookups, 2 * N);
	cr_assert_eq(parses_of(c), N);
	cr_assert_eq(entries, N);
	cr_assert_eq(x509_cache_evictions(c), 0);
	x509_cache_free(c);
	for (i = 0; i < N; i++)
		der_free(&d[i]);
	free(d);
	free(x);
	EVP_PKEY_free(k);
}

Test(x509_cache, null_arguments)
{
	uint64_t lookups = 7, parses = 7;
	size_t entries = 7;
	struct x509_cache *c = x509_cache_new(1);

	x509_cache_stats(NULL, &lookups, &parses, &entries);
	cr_assert_eq(lookups + parses + entries, 0);
	cr_assert_eq(x509_cache_evictions(NULL), 0);
	cr_assert_null(x509_cert_ref(NULL));
	x509_cert_put(c, NULL);
	x509_cache_free(NULL);
	x509_cache_free(c);
}
