/*
 * certmemo against real certificates made by the openssl CLI (testpki.h):
 * its remembered answers are certcheck's, whichever certificates take
 * turns in its table, and validity is judged with the skew as before.
 */
#include <criterion/criterion.h>

#include <time.h>

#include <openssl/obj_mac.h>

#include "policy/certmemo.h"
#include "x509/certcheck.h"
#include "testpki.h"

static const char *const names[] = {
	"good.crt", "other.crt", "rsa1024.crt", "p384.crt", "md5.crt", "sha1.crt",
	"self.crt", "expired.crt", "notyet.crt", "untrusted.crt",
};
#define N (sizeof(names) / sizeof(names[0]))

Test(certmemo, answers_are_certchecks_whatever_the_order)
{
	struct x509_cert *c[N];
	struct certmemo m;
	struct certcheck_key k;
	const char *sig;
	unsigned i, round;

	for (i = 0; i < N; i++)
		c[i] = testpki_cert(names[i]);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			unsigned at = round == 1 ? N - 1 - i : i;

			certmemo_get(c[at], &m);
			cr_assert_eq(m.key_ok, certcheck_key(c[at]->x509, &k), "%s", names[at]);
			cr_assert_str_eq(m.key.type, k.type, "%s", names[at]);
			cr_assert_eq(m.key.bits, k.bits, "%s", names[at]);
			cr_assert_str_eq(m.key.curve, k.curve, "%s", names[at]);
			cr_assert_eq(m.md, certcheck_sig_digest(c[at]->x509, &sig), "%s", names[at]);
			cr_assert_str_eq(m.sig_name, sig, "%s", names[at]);
			cr_assert_eq(m.self_signed, certcheck_self_signed(c[at]->x509), "%s", names[at]);
			cr_assert(m.not_before_ok && m.not_after_ok, "%s", names[at]);
		}
	}
	certmemo_get(c[2], &m);
	cr_assert_eq(m.key.bits, 1024);
	certmemo_get(c[6], &m);
	cr_assert(m.self_signed);
	for (i = 0; i < N; i++)
		testpki_cert_free(c[i]);
}

Test(certmemo, hostname_remembered_per_host)
{
	struct x509_cert *good = testpki_cert("good.crt"), *other = testpki_cert("other.crt");

	cr_assert(certmemo_host(good, "good.test"));
	cr_assert(certmemo_host(good, "good.test"));
	cr_assert_not(certmemo_host(good, "evil.good.test"));
	cr_assert(certmemo_host(good, "GOOD.test"));
	cr_assert_not(certmemo_host(other, "good.test"));
	cr_assert(certmemo_host(good, "good.test"));
	cr_assert_not(certmemo_host(good, ""));
	testpki_cert_free(good);
	testpki_cert_free(other);
}

Test(certmemo, validity_with_skew)
{
	struct x509_cert *exp = testpki_cert("expired.crt"), *ny = testpki_cert("notyet.crt");
	struct x509_cert *good = testpki_cert("good.crt");
	time_t end2021 = 1640995200; /* 2022-01-01T00:00:00Z: expired's notAfter */

	cr_assert_eq(certmemo_validity(exp, time(NULL), 300), 1);
	cr_assert_eq(certmemo_validity(ny, time(NULL), 300), -1);
	cr_assert_eq(certmemo_validity(good, time(NULL), 0), 0);
	cr_assert_eq(certmemo_validity(exp, end2021 + 100, 300), 0, "within the skew");
	cr_assert_eq(certmemo_validity(exp, end2021 + 300, 300), 1, "notAfter itself is past");
	cr_assert_eq(certmemo_validity(exp, end2021 + 299, 300), 0);
	cr_assert_eq(certmemo_validity(exp, end2021 + 400, 300), 1, "past the skew");
	cr_assert_eq(certmemo_validity(ny, ny->not_before_t - 300, 300), 0, "from notBefore on");
	cr_assert_eq(certmemo_validity(ny, ny->not_before_t - 301, 300), -1);
	testpki_cert_free(exp);
	testpki_cert_free(ny);
	testpki_cert_free(good);
}
