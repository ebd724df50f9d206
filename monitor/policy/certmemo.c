/*
 * certmemo: OpenSSL's answers about a certificate, once per distinct
 * certificate per thread. See certmemo.h.
 */
#include "policy/certmemo.h"

#include <string.h>

#include "x509/x509.h"

#define CERTMEMO_SLOTS 64           /* a power of two: distinct certificates in use */
#define CERTMEMO_HOST_MAX 256       /* a host name (SNI) is at most 255 bytes */

struct certmemo_entry {
	bool used;
	uint8_t sha256[32];
	struct certmemo m;
	bool host_ok;
	char host[CERTMEMO_HOST_MAX]; /* the last host asked; "" none */
};

/* Per thread: the monitor's queue threads and read's workers each judge
 * their own flows, so a table each needs no lock. */
static __thread struct certmemo_entry certmemo_table[CERTMEMO_SLOTS];

static void certmemo_ask(const struct x509_cert *c, struct certmemo *m)
{
	time_t t;

	memset(m, 0, sizeof(*m));
	m->key_ok = certcheck_key(c->x509, &m->key);
	m->md = certcheck_sig_digest(c->x509, &m->sig_name);
	m->self_signed = certcheck_self_signed(c->x509);
	/* X509_cmp_time() answers 0 only for a time not in the fixed form,
	 * whatever it is compared with */
	t = c->not_before_t;
	m->not_before_ok = X509_cmp_time(X509_get0_notBefore(c->x509), &t) != 0;
	t = c->not_after_t;
	m->not_after_ok = X509_cmp_time(X509_get0_notAfter(c->x509), &t) != 0;
}

/* c's entry, asked anew when the slot held another certificate; NULL for
 * a certificate not made by the x509 cache (no digest to key it by). */
static struct certmemo_entry *certmemo_entry(const struct x509_cert *c)
{
	struct certmemo_entry *e;

	if (!c->der || !c->der_len)
		return NULL;
	e = &certmemo_table[(c->sha256_bin[0] | (unsigned)c->sha256_bin[1] << 8) %
			    CERTMEMO_SLOTS];
	if (e->used && !memcmp(e->sha256, c->sha256_bin, sizeof(e->sha256)))
		return e;
	certmemo_ask(c, &e->m);
	memcpy(e->sha256, c->sha256_bin, sizeof(e->sha256));
	e->host[0] = '\0';
	e->used = true;
	return e;
}

void certmemo_get(const struct x509_cert *c, struct certmemo *out)
{
	const struct certmemo_entry *e = certmemo_entry(c);

	if (e)
		*out = e->m;
	else
		certmemo_ask(c, out);
}

int certmemo_validity(const struct x509_cert *c, time_t now, long skew)
{
	struct certmemo m;

	certmemo_get(c, &m);
	if (m.not_before_ok && c->not_before_t > now + skew)
		return -1;
	if (m.not_after_ok && c->not_after_t <= now - skew)
		return 1;
	return 0;
}

bool certmemo_host(const struct x509_cert *c, const char *host)
{
	struct certmemo_entry *e = certmemo_entry(c);
	size_t n = strlen(host);

	if (!e || !n || n >= sizeof(e->host))
		return certcheck_host(c->x509, host);
	if (strcmp(e->host, host)) {
		e->host_ok = certcheck_host(c->x509, host);
		memcpy(e->host, host, n + 1);
	}
	return e->host_ok;
}
