/*
 * testpki: the certificates the policy tests judge, made once per script
 * version by tests/unit/data/certcheck/mkpki.sh into a directory under /tmp
 * and reused by later runs (Criterion forks a process per test).
 */
#ifndef SECAUDIT_TESTPKI_H
#define SECAUDIT_TESTPKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "x509/x509.h"

#define TESTPKI_SCRIPT "tests/unit/data/certcheck/mkpki.sh"

/* Returns the PKI directory (static storage); aborts the test run when the
 * script fails, since every later assertion would be meaningless. */
static inline const char *testpki_dir(void)
{
	static char dir[256];
	char tmp[300], cmd[2400], done[300];
	struct stat sb;
	unsigned long h = 5381;
	FILE *f;
	int c;

	if (dir[0])
		return dir;
	f = fopen(TESTPKI_SCRIPT, "r");
	if (!f) {
		fprintf(stderr, "testpki: cannot read %s (run from the repository root)\n", TESTPKI_SCRIPT);
		abort();
	}
	while ((c = getc(f)) != EOF)
		h = h * 33 + (unsigned char)c;
	fclose(f);
	snprintf(dir, sizeof(dir), "/tmp/secaudit-testpki-%u-%lx", (unsigned)getuid(), h);
	snprintf(done, sizeof(done), "%s/done", dir);
	if (stat(done, &sb) == 0)
		return dir;
	snprintf(tmp, sizeof(tmp), "%s.%d", dir, (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s' && sh %s '%s' >'%s.log' 2>&1 && "
		 "(mv -T '%s' '%s' 2>/dev/null || rm -rf '%s')",
		 tmp, tmp, TESTPKI_SCRIPT, tmp, tmp, tmp, dir, tmp);
	if (system(cmd) != 0 || stat(done, &sb) != 0) {
		fprintf(stderr, "testpki: %s failed, see %s.log\n", TESTPKI_SCRIPT, tmp);
		abort();
	}
	return dir;
}

static inline const char *testpki_path(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", testpki_dir(), name);
	return out;
}

/* A time as x509_cert holds it (x509.c's validity_time). */
static inline time_t testpki_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		abort();
	return timegm(&tm);
}

/* A struct x509_cert with what the policy reads filled (the X509, its
 * DER, the DER's SHA-256 and the validity times); free with
 * testpki_cert_free(). */
static inline struct x509_cert *testpki_cert(const char *name)
{
	char path[400];
	struct x509_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	FILE *f = fopen(testpki_path(name, path, sizeof(path)), "r");
	int n;

	if (!c || !f) {
		fprintf(stderr, "testpki: cannot open %s\n", path);
		abort();
	}
	c->x509 = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!c->x509)
		abort();
	n = i2d_X509(c->x509, &der);
	if (n <= 0)
		abort();
	c->der = der;
	c->der_len = (size_t)n;
	if (EVP_Digest(der, c->der_len, c->sha256_bin, NULL, EVP_sha256(), NULL) != 1)
		abort();
	c->not_before_t = testpki_time(X509_get0_notBefore(c->x509));
	c->not_after_t = testpki_time(X509_get0_notAfter(c->x509));
	return c;
}

static inline void testpki_cert_free(struct x509_cert *c)
{
	if (!c)
		return;
	X509_free(c->x509);
	OPENSSL_free((void *)c->der);
	free(c);
}

/* Reads a whole file (e.g. a DER OCSP response); *len its size. */
static inline uint8_t *testpki_read(const char *name, size_t *len)
{
	char path[400];
	FILE *f = fopen(testpki_path(name, path, sizeof(path)), "rb");
	uint8_t *p = malloc(1 << 16);

	if (!f || !p)
		abort();
	*len = fread(p, 1, 1 << 16, f);
	fclose(f);
	return p;
}

#endif
