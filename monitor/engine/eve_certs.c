/*
 * eve_certs: formatted certificate facts. See eve_certs.h.
 */
#include "engine/eve_certs.h"

#include <stdlib.h>
#include <string.h>

#include "textcache.h"

struct eve_certs {
	struct textcache *text;     /* facts, then (at mark) the detail object */
};

struct eve_certs *eve_certs_new(size_t slots)
{
	struct eve_certs *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->text = textcache_new(slots);
	if (!c->text) {
		free(c);
		return NULL;
	}
	return c;
}

void eve_certs_free(struct eve_certs *c)
{
	if (!c)
		return;
	textcache_free(c->text);
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
 * kept (no cache, or no memory). Keyed by its SHA-256 fingerprint. */
static const struct textcache_entry *lookup(struct eve_certs *c, const struct x509_cert *cert)
{
	size_t n = strlen(cert->sha256);
	const struct textcache_entry *hit;
	struct textcache_entry *e;
	struct json t;

	if (!c || !n)
		return NULL; /* no fingerprint: nothing to key it by */
	if ((hit = textcache_find(c->text, cert->sha256, n)))
		return hit;
	if (!(e = textcache_take(c->text, cert->sha256, n)))
		return NULL;
	json_init(&t, &e->text);
	format_facts(&t, cert);
	e->mark = e->text.len;
	json_init(&t, &e->text);
	format_detail(&t, cert);
	return e->text.oom ? NULL : e;
}

void eve_certs_facts(struct eve_certs *c, struct json *j, const struct x509_cert *cert)
{
	const struct textcache_entry *e = lookup(c, cert);

	if (!e)
		format_facts(j, cert);
	else if (e->mark)
		json_raw(j, e->text.data, e->mark);
}

void eve_certs_detail(struct eve_certs *c, struct json *j, const struct x509_cert *cert)
{
	const struct textcache_entry *e = lookup(c, cert);

	if (!e)
		format_detail(j, cert);
	else
		json_raw(j, e->text.data + e->mark, e->text.len - e->mark);
}
