/*
 * fuzz_x509: arbitrary bytes into the certificate cache.
 *
 * The whole input is offered as one certificate, then read as a TLS
 * certificate_list (RFC 8446 4.4.2: entries of 24-bit length + DER) whose
 * entries are looked up while the earlier ones are still held, and put back
 * in another order, in a cache of one idle entry so hits, misses, idle
 * reuse and eviction all run. Every text of a parsed certificate is read
 * in full so a missing terminator or a dangling pointer shows under ASan.
 */
#include "x509/x509.h"

#include "cursor.h"
#include "fuzz_check.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_CERTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const struct x509_cert *x)
{
	size_t n = 0;
	unsigned i;

	if (!x)
		return 0;
	n += strlen(x->subject) + strlen(x->issuer) + strlen(x->serial);
	n += strlen(x->sha1) + strlen(x->sha256);
	n += strlen(x->not_before) + strlen(x->not_after);
	n += strlen(x->key_type) + strlen(x->sig_alg);
	if (x->curve)
		n += strlen(x->curve);
	for (i = 0; i < x->n_sans; i++)
		n += strlen(x->sans[i]);
	return n + x->der_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_cache *c = x509_cache_new(1);
	struct x509_cert *held[FUZZ_MAX_CERTS] = { 0 };
	struct x509_cert *whole, *again;
	struct cursor cur = cur_make(data, size), entry;
	volatile size_t sink = 0;
	unsigned n = 0, i;

	if (!c)
		return 0;
	whole = x509_cache_get(c, data, size);
	sink += touch(whole);
	again = x509_cache_get(c, data, size);
	FUZZ_CHECK(!whole || again == whole, "the same DER looked up twice gave two entries");
	x509_cert_put(c, again);
	x509_cert_put(c, whole);

	while (n < FUZZ_MAX_CERTS && cur_vec24(&cur, &entry)) {
		held[n] = x509_cache_get(c, cur_ptr(&entry), cur_left(&entry));
		sink += touch(held[n]);
		n++;
	}
	for (i = 0; i < n; i += 2)
		x509_cert_put(c, held[i]);
	for (i = 1; i < n; i += 2)
		x509_cert_put(c, held[i]);
	x509_cache_free(c);
	(void)sink;
	return 0;
}
