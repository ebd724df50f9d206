/*
 * eve_certs: formatted certificate facts. See eve_certs.h.
 */
#include "engine/eve_certs.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	char sha256[96];            /* "" : empty slot */
	struct buf text;            /* facts, then the detail object */
	size_t detail_off;
};

struct eve_certs {
	struct entry *slot;
	size_t mask;
};

struct eve_certs *eve_certs_new(size_t slots)
{
	struct eve_certs *c = calloc(1, sizeof(*c));
	size_t n = 1;

	if (!c)
		return NULL;
	while (n < slots)
		n <<= 1;
	c->slot = calloc(n, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	return c;
}

void eve_certs_free(struct eve_certs *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i <= c->mask; i++)
		buf_free(&c->slot[i].text);
	free(c->slot);
	free(c);
}

static void put_sans(struct json *j, const struct x509_cert *c)
{
	unsigned i;

	if (!c->n_sans)
		return;
	json_key(j, "subjectaltname");
	json_array_begin(j);
	for (i = 0; i < c->n_sans; i++) {
		/* Suricata prints the name without its "DNS:" kind prefix. */
		const char *san = c->sans[i];
		const char *colon = strchr(san, ':');

		json_string(j, colon && !strncmp(san, "DNS:", 4) ? colon + 1 : san);
	}
	json_array_end(j);
}

static void format_facts(struct json *j, const struct x509_cert *c)
{
	/* An empty name is one Suricata cannot print: it writes no key. */
	if (*c->subject)
		json_kv_str(j, "subject", c->subject);
	if (*c->issuer)
		json_kv_str(j, "issuerdn", c->issuer);
	json_kv_str(j, "serial", c->serial);
	json_kv_str(j, "fingerprint", c->sha1);
	json_kv_str(j, "notbefore", c->not_before);
	json_kv_str(j, "notafter", c->not_after);
	put_sans(j, c);
}

static void format_detail(struct json *j, const struct x509_cert *c)
{
	unsigned k;

	json_object_begin(j);
	json_kv_str(j, "subject", c->subject);
	json_kv_str(j, "issuer", c->issuer);
	json_kv_str(j, "serial", c->serial);
	json_kv_str(j, "sha1", c->sha1);
	json_kv_str(j, "sha256", c->sha256);
	json_kv_str(j, "not_before", c->not_before);
	json_kv_str(j, "not_after", c->not_after);
	json_key(j, "san");
	json_array_begin(j);
	for (k = 0; k < c->n_sans; k++)
		json_string(j, c->sans[k]);
	json_array_end(j);
	json_kv_str(j, "key_type", c->key_type ? c->key_type : "unknown");
	json_kv_int(j, "key_bits", c->key_bits);
	if (c->curve)
		json_kv_str(j, "curve", c->curve);
	json_kv_str(j, "signature_algorithm", c->sig_alg ? c->sig_alg : "unknown");
	json_kv_bool(j, "ca", c->is_ca);
	json_kv_bool(j, "self_signed", c->self_signed);
	json_object_end(j);
}

/* The certificate's entry, formatted on a miss; NULL when it cannot be
 * kept (no cache, or no memory). */
static const struct entry *lookup(struct eve_certs *c, const struct x509_cert *cert)
{
	uint64_t h = 14695981039346656037ull;
	const char *p;
	struct entry *e;
	struct json t;

	if (!c)
		return NULL;
	for (p = cert->sha256; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	e = &c->slot[h & c->mask];
	if (!strcmp(e->sha256, cert->sha256) && *e->sha256)
		return e;
	buf_reset(&e->text);
	e->text.oom = false;
	json_init(&t, &e->text);
	format_facts(&t, cert);
	e->detail_off = e->text.len;
	json_init(&t, &e->text);
	format_detail(&t, cert);
	if (e->text.oom) {
		e->sha256[0] = 0;
		return NULL;
	}
	memcpy(e->sha256, cert->sha256, sizeof(e->sha256));
	return e;
}

void eve_certs_facts(struct eve_certs *c, struct json *j, const struct x509_cert *cert)
{
	const struct entry *e = lookup(c, cert);

	if (!e)
		format_facts(j, cert);
	else if (e->detail_off)
		json_raw(j, e->text.data, e->detail_off);
}

void eve_certs_detail(struct eve_certs *c, struct json *j, const struct x509_cert *cert)
{
	const struct entry *e = lookup(c, cert);

	if (!e)
		format_detail(j, cert);
	else
		json_raw(j, e->text.data + e->detail_off, e->text.len - e->detail_off);
}
