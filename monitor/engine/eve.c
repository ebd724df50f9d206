/*
 * eve: EVE JSON events. See eve.h.
 */
#include "engine/eve.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/eve_certs.h"
#include "engine/eve_quic.h"
#include "net/communityid.h"
#include "textcache.h"
#include "tls/fingerprint.h"
#include "tls/tls_names.h"
#include "x509/x509.h"

void eve_timestamp(uint64_t ts_us, char out[40])
{
	/* Events come in time order: the date part is formatted once per
	 * second, the microseconds every time. */
	static __thread time_t last_secs = -1;
	static __thread char last[40];
	time_t secs = (time_t)(ts_us / 1000000);
	unsigned us = (unsigned)(ts_us % 1000000);
	struct tm tm;
	int i;

	if (secs == last_secs) {
		memcpy(out, last, 40);
		for (i = 25; i >= 20; i--) {
			out[i] = (char)('0' + us % 10);
			us /= 10;
		}
		return;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%06u+0000",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
		 (unsigned)(ts_us % 1000000));
	last_secs = secs;
	memcpy(last, out, 40);
}

/* Suricata's tls field names: those of its default (extended) set, which
 * every event has, and the ones asked for by `custom`. */
static const struct { const char *name; unsigned bit; } custom_names[] = {
	{ "version", 0 }, { "subject", 0 }, { "issuer", 0 }, { "serial", 0 },
	{ "fingerprint", 0 }, { "not_before", 0 }, { "not_after", 0 }, { "sni", 0 },
	{ "session_resumed", 0 }, { "ja3", 0 }, { "ja3s", 0 }, { "ja4", 0 },
	{ "subjectaltname", 0 }, { "client", 0 }, { "client_alpns", 0 },
	{ "server_alpns", 0 },
	{ "certificate", EVE_CUSTOM_CERTIFICATE },
	{ "chain", EVE_CUSTOM_CHAIN },
	{ "client_certificate", EVE_CUSTOM_CLIENT_CERTIFICATE },
	{ "client_chain", EVE_CUSTOM_CLIENT_CHAIN },
	{ "client_handshake", EVE_CUSTOM_CLIENT_HANDSHAKE },
	{ "server_handshake", EVE_CUSTOM_SERVER_HANDSHAKE },
};

bool eve_custom_add(const char *name, unsigned *custom)
{
	size_t i;

	for (i = 0; i < sizeof(custom_names) / sizeof(custom_names[0]); i++) {
		if (!strcmp(name, custom_names[i].name)) {
			*custom |= custom_names[i].bit;
			return true;
		}
	}
	return false;
}

bool eve_custom_parse(const char *list, unsigned *custom, char *err, size_t errlen)
{
	char name[32];
	const char *p = list, *end;
	size_t n;

	while (*p) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = 0;
		}
		if (!n || n >= sizeof(name) || !eve_custom_add(name, custom)) {
			snprintf(err, errlen, "'%.*s' is not a tls field (certificate, chain, "
				 "client_certificate, client_chain, client_handshake, "
				 "server_handshake, or one of Suricata's default ones)",
				 (int)(n < 64 ? n : 64), p);
			return false;
		}
		p += n + (end != NULL);
	}
	return true;
}

/* An IPv4 address as inet_ntop writes it, without its printf: every
 * event has two. */
static size_t ipv4_text(const uint8_t a[static 4], char out[static 16])
{
	size_t n = 0;
	unsigned i, v;

	for (i = 0; i < 4; i++) {
		v = a[i];
		if (i)
			out[n++] = '.';
		if (v >= 100)
			out[n++] = (char)('0' + v / 100);
		if (v >= 10)
			out[n++] = (char)('0' + v / 10 % 10);
		out[n++] = (char)('0' + v % 10);
	}
	out[n] = 0;
	return n;
}

static void put_addr(struct json *j, const char *key, int family, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (family == 6) {
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		json_kv_plain(j, key, text);
		return;
	}
	json_key(j, key);
	json_string_plain_n(j, text, ipv4_text(addr, text));
}

/* "timestamp" and "flow_id": the same in a session's events of one moment. */
static void put_when(struct json *j, const struct engine_session *es, uint64_t ts_us)
{
	char ts[40];

	eve_timestamp(ts_us, ts);
	json_kv_plain(j, "timestamp", ts);
	if (es)
		json_kv_uint(j, "flow_id", es->flow->id);
}

/* An event's opening: its time, flow id and type. */
static void put_head(struct json *j, const char *event_type, const struct engine_session *es,
		     uint64_t ts_us)
{
	json_object_begin(j);
	put_when(j, es, ts_us);
	json_kv_plain(j, "event_type", event_type);
}

/* The flow's addresses, ports and ids (from es, or from d when es is NULL):
 * the same in every event of the session. */
static void put_flow(struct json *j, const struct engine_session *es, const struct decoded *d)
{
	if (es) {
		const struct flow_key *k = &es->flow->key;
		int c = es->flow->client;

		put_addr(j, "src_ip", k->family, k->addr[c]);
		json_kv_uint(j, "src_port", k->port[c]);
		put_addr(j, "dest_ip", k->family, k->addr[!c]);
		json_kv_uint(j, "dest_port", k->port[!c]);
		json_kv_plain(j, "proto", k->proto == 17 ? "UDP" : "TCP");
		json_kv_plain(j, "pkt_src", decode_pkt_src_name(es->pkt_src));
		if (es->community_id) {
			char cid[COMMUNITYID_LEN];

			communityid_v1(es->community_id_seed, k->family, k->proto, k->addr[c],
				       k->port[c], k->addr[!c], k->port[!c], cid);
			json_kv_plain(j, "community_id", cid);
		}
	} else if (d && d->family) {
		put_addr(j, "src_ip", d->family, d->src);
		put_addr(j, "dest_ip", d->family, d->dst);
		if (d->proto == 6 || d->proto == 17) {
			json_kv_uint(j, "src_port", d->sport);
			json_kv_uint(j, "dest_port", d->dport);
		}
		json_kv_plain(j, "proto", d->proto == 6 ? "TCP" : d->proto == 17 ? "UDP" : "IP");
	}
	if (!es && d)
		json_kv_plain(j, "pkt_src", decode_pkt_src_name(d->pkt_src));
}

void eve_begin(struct json *j, const char *event_type, const struct engine_session *es,
	       const struct decoded *d, uint64_t ts_us)
{
	put_head(j, event_type, es, ts_us);
	put_flow(j, es, d);
}

/* The first byte of a key in the writer's lists cache: whose it is. */
#define LIST_HELLO 0x00     /* | sslv2_format */
#define LIST_MESSAGES 0x10
#define LIST_FP 0x20        /* | sslv2_format | quic << 1 | has_sni << 2 | alpn << 3 */

/* A hello's fingerprints as kept in the lists cache, in front of its JA3
 * and JA4_r texts. */
struct fp_kept {
	bool ja3, ja4, ja4r;
	char ja3_md5[FP_MD5_HEX];
	char ja4_s[FP_JA4_LEN];
	size_t ja3_len, ja4r_len;
};

/* Appends a list's count and codes to a hello's cache key. */
static size_t key_list(uint8_t *key, size_t at, const uint16_t *v, unsigned n)
{
	key[at++] = (uint8_t)(n >> 8);
	key[at++] = (uint8_t)n;
	memcpy(key + at, v, n * sizeof(*v));
	return at + n * sizeof(*v);
}

/* The fingerprints of client hello i into fp, computed once per distinct
 * hello (its texts, a SHA-256 and an MD5 were a tenth of an event) and
 * copied from the cache after that. */
static void fp_client_hello(struct eve_fp *fp, struct textcache *c,
			    const struct tls_client_hello *ch, bool quic, unsigned i)
{
	/* every input of fp_ja3 and fp_ja4_both: flags, version, the first
	 * ALPN protocol, the six lists */
	uint8_t key[4 + 2 + TLS_ALPN_BUF + 6 * 2 +
		    2 * (TLS_MAX_VERSIONS + TLS_MAX_SUITES + TLS_MAX_GROUPS + TLS_MAX_SIGALGS +
			 TLS_MAX_EXTS) + TLS_MAX_POINT_FMTS];
	const struct tls_alpn_list *a = &ch->alpn;
	const struct textcache_entry *hit;
	struct textcache_entry *e;
	struct fp_kept k;
	size_t n = 0, at;
	bool alpn = a->n && a->id[0].off <= sizeof(a->buf) &&
		    a->id[0].len <= sizeof(a->buf) - a->id[0].off;

	key[n++] = LIST_FP | ch->sslv2_format | quic << 1 | ch->has_sni << 2 | alpn << 3;
	memcpy(key + n, &ch->legacy_version, 2);
	n += 2;
	key[n++] = alpn ? a->id[0].len : 0;
	if (alpn) {
		memcpy(key + n, a->buf + a->id[0].off, a->id[0].len);
		n += a->id[0].len;
	}
	n = key_list(key, n, ch->versions, ch->n_versions);
	n = key_list(key, n, ch->suites, ch->n_suites);
	n = key_list(key, n, ch->groups, ch->n_groups);
	n = key_list(key, n, ch->sigalgs, ch->n_sigalgs);
	n = key_list(key, n, ch->exts, ch->n_exts);
	key[n++] = ch->n_point_formats;
	memcpy(key + n, ch->point_formats, ch->n_point_formats);
	n += ch->n_point_formats;

	if ((hit = textcache_find(c, key, n))) {
		memcpy(&k, hit->text.data, sizeof(k));
		fp->ch[i].ja3_off = fp->text.len;
		buf_put(&fp->text, hit->text.data + sizeof(k), k.ja3_len + k.ja4r_len);
	} else {
		memset(&k, 0, sizeof(k));
		at = fp->text.len;
		k.ja3 = fp_ja3(ch, &fp->text, k.ja3_md5);
		k.ja3_len = fp->text.len - at;
		k.ja4r = fp_ja4_both(ch, quic, k.ja4_s, &k.ja4, &fp->text);
		k.ja4r_len = fp->text.len - at - k.ja3_len;
		fp->ch[i].ja3_off = at;
		if (!fp->text.oom && (e = textcache_take(c, key, n))) {
			buf_put(&e->text, &k, sizeof(k));
			buf_put(&e->text, fp->text.data + at, k.ja3_len + k.ja4r_len);
		}
	}
	fp->ch[i].ja3 = k.ja3;
	fp->ch[i].ja4 = k.ja4;
	fp->ch[i].ja4r = k.ja4r;
	memcpy(fp->ch[i].ja3_md5, k.ja3_md5, sizeof(k.ja3_md5));
	memcpy(fp->ch[i].ja4_s, k.ja4_s, sizeof(k.ja4_s));
	fp->ch[i].ja3_len = k.ja3_len;
	fp->ch[i].ja4r_off = fp->ch[i].ja3_off + k.ja3_len;
	fp->ch[i].ja4r_len = k.ja4r_len;
}

void eve_fp_compute(struct eve_fp *fp, const struct tls_session *s, struct textcache *c)
{
	unsigned i;
	size_t at;

	memset(fp, 0, sizeof(*fp));
	for (i = 0; i < s->n_client_hellos; i++)
		fp_client_hello(fp, c, &s->client_hello[i], s->quic, i);
	for (i = 0; i < s->n_server_hellos; i++) {
		at = fp->text.len;
		fp->sh[i].ok = fp_ja3s(&s->server_hello[i], &fp->text, fp->sh[i].md5);
		fp->sh[i].off = at;
		fp->sh[i].len = fp->text.len - at;
	}
}

void eve_fp_free(struct eve_fp *fp)
{
	buf_free(&fp->text);
}

static void put_fp_text(struct json *j, const struct eve_fp *fp, size_t off, size_t len)
{
	json_string_plain_n(j, fp->text.data ? fp->text.data + off : "", len);
}

static const struct x509_cert *leaf(const struct tls_chain *c)
{
	return c->n ? c->cert[0] : NULL;
}

static void put_b64(struct json *j, struct x509_cert *c)
{
	size_t n;
	const char *b64 = x509_cert_base64(c, &n);

	json_raw(j, "\"", 1);
	buf_put(j->out, b64, b64 ? n : 0);
	buf_putc(j->out, '"');
}

/* Suricata's facts of one side's certificates, as its tls and tls.client
 * objects have them; the base64 of the leaf and of the chain only when
 * asked (cert_bit, chain_bit). */
static void put_cert_fields(struct json *j, const struct eve_writer *w,
			    const struct tls_chain *chain, unsigned cert_bit, unsigned chain_bit)
{
	const struct x509_cert *c = leaf(chain);
	unsigned i;

	if (!c)
		return;
	eve_certs_facts(w->certs, j, c);
	if (w->custom & cert_bit) {
		json_key(j, "certificate");
		put_b64(j, chain->cert[0]);
	}
	if (w->custom & chain_bit) {
		json_key(j, "chain");
		json_array_begin(j);
		for (i = 0; i < chain->n; i++)
			put_b64(j, chain->cert[i]);
		json_array_end(j);
	}
}

static void put_version(struct json *j, const char *key, uint16_t v)
{
	char hex[7];

	json_key(j, key);
	json_string_plain(j, tls_version_label(v, hex));
}

static void put_alpn_list(struct json *j, const char *key, const struct tls_alpn_list *a)
{
	unsigned i;

	if (!a->n)
		return;
	json_key(j, key);
	json_array_begin(j);
	for (i = 0; i < a->n; i++)
		json_string_n(j, (const char *)a->buf + a->id[i].off, a->id[i].len);
	json_array_end(j);
}

/* A list of 16-bit codes; GREASE kept out when skip_grease. */
static void put_u16_array(struct json *j, const char *key, const uint16_t *v, unsigned n,
			  bool skip_grease)
{
	unsigned i, shown = 0;

	for (i = 0; i < n; i++)
		if (!skip_grease || !tls_is_grease(v[i]))
			shown++;
	if (!shown)
		return; /* the schema wants at least one item */
	json_key(j, key);
	json_array_begin(j);
	for (i = 0; i < n; i++)
		if (!skip_grease || !tls_is_grease(v[i]))
			json_uint(j, v[i]);
	json_array_end(j);
}

static const struct tls_server_hello *final_server_hello(const struct tls_session *s)
{
	if (!s->n_server_hellos)
		return NULL;
	return &s->server_hello[s->n_server_hellos - 1];
}

/* The version Suricata names: negotiated, else what the client offered. */
static uint16_t session_version(const struct tls_session *s)
{
	const struct tls_server_hello *sh = final_server_hello(s);

	if (sh && !sh->is_hrr)
		return s->version;
	if (s->n_client_hellos)
		return s->client_hello[0].sslv2_format ? 0x0002 :
							 s->client_hello[0].legacy_version;
	return 0;
}

void eve_tls_fields(struct json *j, const struct eve_writer *w, const struct tls_session *s,
		    const struct pretls *pre, const struct eve_fp *fp)
{
	const struct tls_client_hello *ch = s->n_client_hellos ? &s->client_hello[0] : NULL;
	const struct tls_server_hello *sh = final_server_hello(s);
	unsigned last = s->n_server_hellos ? s->n_server_hellos - 1u : 0;
	uint16_t v = session_version(s);

	json_key(j, "tls");
	json_object_begin(j);
	/* Suricata names the protocol a STARTTLS session upgraded from. */
	if (pre && pretls_is_starttls(pre->proto))
		json_kv_str(j, "from_proto", pretls_proto_name(pre->proto));
	put_cert_fields(j, w, &s->server_chain, EVE_CUSTOM_CERTIFICATE, EVE_CUSTOM_CHAIN);
	if (ch && ch->has_sni)
		json_kv_str(j, "sni", ch->sni);
	if (v)
		put_version(j, "version", v);
	if (s->resumption != TLS_RESUME_NONE)
		json_kv_bool(j, "session_resumed", true);
	if (ch && fp->ch[0].ja3) {
		json_key(j, "ja3");
		json_object_begin(j);
		json_kv_plain(j, "hash", fp->ch[0].ja3_md5);
		json_key(j, "string");
		put_fp_text(j, fp, fp->ch[0].ja3_off, fp->ch[0].ja3_len);
		json_object_end(j);
	}
	if (sh && fp->sh[last].ok) {
		json_key(j, "ja3s");
		json_object_begin(j);
		json_kv_plain(j, "hash", fp->sh[last].md5);
		json_key(j, "string");
		put_fp_text(j, fp, fp->sh[last].off, fp->sh[last].len);
		json_object_end(j);
	}
	if (ch && fp->ch[0].ja4)
		json_kv_plain(j, "ja4", fp->ch[0].ja4_s);
	if (ch)
		put_alpn_list(j, "client_alpns", &ch->alpn);
	if (sh && sh->has_alpn) {
		json_key(j, "server_alpns");
		json_array_begin(j);
		json_string(j, sh->alpn);
		json_array_end(j);
	}
	if (ch && !ch->sslv2_format && (w->custom & EVE_CUSTOM_CLIENT_HANDSHAKE)) {
		json_key(j, "client_handshake");
		json_object_begin(j);
		put_version(j, "version", ch->legacy_version);
		put_u16_array(j, "ciphers", ch->suites, ch->n_suites, false);
		put_u16_array(j, "exts", ch->exts, ch->n_exts, false);
		put_u16_array(j, "sig_algs", ch->sigalgs, ch->n_sigalgs, false);
		json_object_end(j);
	}
	if (sh && (w->custom & EVE_CUSTOM_SERVER_HANDSHAKE)) {
		json_key(j, "server_handshake");
		json_object_begin(j);
		put_version(j, "version", sh->legacy_version);
		json_kv_uint(j, "cipher", sh->suite);
		put_u16_array(j, "exts", sh->exts, sh->n_exts, false);
		json_object_end(j);
	}
	if (s->client_chain.n) {
		json_key(j, "client");
		json_object_begin(j);
		put_cert_fields(j, w, &s->client_chain, EVE_CUSTOM_CLIENT_CERTIFICATE,
				EVE_CUSTOM_CLIENT_CHAIN);
		json_object_end(j);
	}
	json_object_end(j);
}

/* ---- secaudit extension ------------------------------------------------ */

static void put_named_u16(struct json *j, const char *key, const uint16_t *v, unsigned n,
			  const char *(*name)(uint16_t))
{
	char hex[7];
	unsigned i;

	json_key(j, key);
	json_array_begin(j);
	for (i = 0; i < n; i++) {
		const char *s = name(v[i]);

		if (!s)
			s = tls_is_grease(v[i]) ? "GREASE" : tls_code_hex(v[i], hex);
		json_string_plain(j, s);
	}
	json_array_end(j);
}

static void put_chain_detail(struct json *j, const struct eve_writer *w, const char *key,
			     const struct tls_chain *chain)
{
	unsigned i;

	json_key(j, key);
	json_array_begin(j);
	for (i = 0; i < chain->n; i++)
		eve_certs_detail(w->certs, j, chain->cert[i]);
	json_array_end(j);
}

static const char *resumption_name(enum tls_resumption r)
{
	switch (r) {
	case TLS_RESUME_SESSION_ID: return "session_id";
	case TLS_RESUME_TICKET: return "ticket";
	case TLS_RESUME_PSK: return "psk";
	default: return NULL;
	}
}

static const char *dir_name(uint8_t dir)
{
	return dir == TLS_TO_SERVER ? "client" : "server";
}

static const char *msg_name(uint8_t type)
{
	switch (type) {
	case TLS_MSG_CCS: return "ChangeCipherSpec";
	case TLS_MSG_ALERT: return "Alert";
	case TLS_MSG_APPDATA: return "ApplicationData";
	case TLS_MSG_ENCRYPTED: return "EncryptedHandshake";
	case TLS_MSG_HEARTBEAT: return "Heartbeat";
	default: return tls_handshake_name(type);
	}
}

/* Writes the text kept for key in c, else formats it with fmt (keeping it
 * when it can). */
static void put_cached(struct json *j, struct textcache *c, const uint8_t *key, size_t n,
		       void (*fmt)(struct json *j, const void *arg), const void *arg)
{
	const struct textcache_entry *hit;
	struct textcache_entry *e;
	struct json t;

	if ((hit = textcache_find(c, key, n))) {
		json_raw(j, hit->text.data, hit->text.len);
		return;
	}
	e = textcache_take(c, key, n);
	if (e) {
		json_init(&t, &e->text);
		fmt(&t, arg);
		if (!e->text.oom) {
			json_raw(j, e->text.data, e->text.len);
			return;
		}
	}
	fmt(j, arg);
}

/* The part of a ClientHello's object that its offered lists make: the
 * same for every connection of the same client, so formatted once per
 * distinct hello (by name, a few hundred table lookups and appends) and
 * copied after that. */
static void put_hello_lists(struct json *j, const void *arg)
{
	const struct tls_client_hello *ch = arg;

	json_kv_plain(j, "format", ch->sslv2_format ? "SSLv2" : "TLS");
	put_version(j, "record_version", ch->record_version);
	put_version(j, "version", ch->legacy_version);
	if (ch->n_versions)
		put_named_u16(j, "supported_versions", ch->versions, ch->n_versions,
			      tls_version_name);
	put_named_u16(j, "ciphers", ch->suites, ch->n_suites, tls_suite_name);
	put_named_u16(j, "groups", ch->groups, ch->n_groups, tls_group_name);
	put_named_u16(j, "key_shares", ch->key_shares, ch->n_key_shares, tls_group_name);
	put_named_u16(j, "sig_algs", ch->sigalgs, ch->n_sigalgs, tls_sigalg_name);
	put_named_u16(j, "extensions", ch->exts, ch->n_exts, tls_ext_name);
}

static void put_hello_lists_cached(struct json *j, struct textcache *c,
				   const struct tls_client_hello *ch)
{
	/* every input of put_hello_lists: flags, versions, the six lists */
	uint8_t key[5 + 6 * 2 + 2 * (TLS_MAX_VERSIONS + TLS_MAX_SUITES + 2 * TLS_MAX_GROUPS +
				      TLS_MAX_KEYSHARES + TLS_MAX_EXTS)];
	size_t n = 0;

	_Static_assert(TLS_MAX_SIGALGS <= TLS_MAX_GROUPS, "the key holds the sigalgs");
	key[n++] = LIST_HELLO | ch->sslv2_format;
	memcpy(key + n, &ch->record_version, 2);
	memcpy(key + n + 2, &ch->legacy_version, 2);
	n += 4;
	n = key_list(key, n, ch->versions, ch->n_versions);
	n = key_list(key, n, ch->suites, ch->n_suites);
	n = key_list(key, n, ch->groups, ch->n_groups);
	n = key_list(key, n, ch->key_shares, ch->n_key_shares);
	n = key_list(key, n, ch->sigalgs, ch->n_sigalgs);
	n = key_list(key, n, ch->exts, ch->n_exts);
	put_cached(j, c, key, n, put_hello_lists, ch);
}

static void put_client_hello(struct json *j, const struct eve_writer *w,
			     const struct tls_client_hello *ch, const struct eve_fp *fp, unsigned i)
{
	json_object_begin(j);
	put_hello_lists_cached(j, w->lists, ch);
	if (ch->session_id_len) {
		json_key(j, "session_id");
		json_raw(j, "\"", 1);
		buf_put_hex(j->out, ch->session_id, ch->session_id_len, 0);
		buf_putc(j->out, '"');
	}
	if (ch->session_ticket_len)
		json_kv_uint(j, "session_ticket_len", ch->session_ticket_len);
	if (ch->has_psk)
		json_kv_uint(j, "psk_identities", ch->psk_identities);
	if (ch->compression_offered)
		json_kv_bool(j, "compression", true);
	if (ch->fallback_scsv)
		json_kv_bool(j, "fallback_scsv", true);
	if (ch->ech)
		json_kv_bool(j, "ech", true);
	if (ch->early_data)
		json_kv_bool(j, "early_data", true);
	if (fp->ch[i].ja3)
		json_kv_plain(j, "ja3", fp->ch[i].ja3_md5);
	if (fp->ch[i].ja4)
		json_kv_plain(j, "ja4", fp->ch[i].ja4_s);
	if (fp->ch[i].ja4r) {
		json_key(j, "ja4_r");
		put_fp_text(j, fp, fp->ch[i].ja4r_off, fp->ch[i].ja4r_len);
	}
	json_object_end(j);
}

static void put_server_hello(struct json *j, const struct tls_server_hello *sh,
			     const struct eve_fp *fp, unsigned i)
{
	const char *name;

	json_object_begin(j);
	if (sh->is_hrr)
		json_kv_bool(j, "hello_retry_request", true);
	put_version(j, "version", sh->selected_version ? sh->selected_version : sh->legacy_version);
	name = tls_suite_name(sh->suite);
	if (name)
		json_kv_plain(j, "cipher", name);
	json_kv_uint(j, "cipher_code", sh->suite);
	if (sh->key_share && (name = tls_group_name(sh->key_share)))
		json_kv_plain(j, "key_share", name);
	put_named_u16(j, "extensions", sh->exts, sh->n_exts, tls_ext_name);
	if (sh->downgrade_tls11 || sh->downgrade_tls12)
		json_kv_plain(j, "downgrade_sentinel", sh->downgrade_tls12 ? "TLS 1.2" : "TLS 1.1");
	if (fp->sh[i].ok)
		json_kv_plain(j, "ja3s", fp->sh[i].md5);
	json_object_end(j);
}

/* The handshake's messages in order, "client:ClientHello", ...: a
 * handful of sequences for all the connections of a capture. */
static void put_messages(struct json *j, const void *arg)
{
	const struct tls_session *s = arg;
	const char *name;
	unsigned i;

	json_array_begin(j);
	for (i = 0; i < s->n_msgs; i++) {
		name = msg_name(s->msgs[i].type);
		json_raw(j, "\"", 1);
		buf_puts(j->out, dir_name(s->msgs[i].dir));
		buf_putc(j->out, ':');
		buf_puts(j->out, name ? name : "unknown");
		buf_putc(j->out, '"');
	}
	json_array_end(j);
}

static void put_messages_cached(struct json *j, struct textcache *c, const struct tls_session *s)
{
	uint8_t key[1 + 2 * TLS_MAX_MSGS];
	size_t n = 0;
	unsigned i;

	key[n++] = LIST_MESSAGES;
	for (i = 0; i < s->n_msgs && i < TLS_MAX_MSGS; i++) {
		key[n++] = s->msgs[i].dir;
		key[n++] = s->msgs[i].type;
	}
	put_cached(j, c, key, n, put_messages, s);
}

void eve_tls_extra(struct json *j, const struct eve_writer *w, const struct tls_session *s,
		   const struct eve_fp *fp)
{
	const char *name;
	unsigned i;

	json_object_begin(j);
	json_key(j, "client_hellos");
	json_array_begin(j);
	for (i = 0; i < s->n_client_hellos; i++)
		put_client_hello(j, w, &s->client_hello[i], fp, i);
	json_array_end(j);
	json_key(j, "server_hellos");
	json_array_begin(j);
	for (i = 0; i < s->n_server_hellos; i++)
		put_server_hello(j, &s->server_hello[i], fp, i);
	json_array_end(j);
	if (s->suite && (name = tls_suite_name(s->suite)))
		json_kv_plain(j, "cipher", name);
	if (s->kx_group && (name = tls_group_name(s->kx_group)))
		json_kv_plain(j, "key_exchange_group", name);
	if (s->dh_p_bits)
		json_kv_uint(j, "dh_bits", s->dh_p_bits);
	if (s->n_server_hellos && s->server_hello[0].is_hrr)
		json_kv_bool(j, "hello_retry_request", true);
	if ((name = resumption_name(s->resumption)))
		json_kv_plain(j, "resumption", name);
	if (s->server_chain.n)
		put_chain_detail(j, w, "server_chain", &s->server_chain);
	json_kv_bool(j, "server_certificate_visible", s->server_chain.n > 0);
	if (s->cert_request) {
		json_kv_bool(j, "client_certificate_requested", true);
		json_kv_uint(j, "ca_names", s->n_ca_names);
	}
	json_kv_plain(j, "client_certificate",
		    s->client_chain.n ? "sent" : s->client_chain.empty_message ? "empty" : "none");
	if (s->client_chain.n)
		put_chain_detail(j, w, "client_chain", &s->client_chain);
	if (s->ocsp)
		json_kv_bool(j, "ocsp_stapled", true);
	if (s->keys == TLS_KEYS_DECRYPTING || s->keys == TLS_KEYS_FAILED)
		json_kv_plain(j, "keylog", s->keys == TLS_KEYS_DECRYPTING ? "decrypted" : "failed");
	for (i = 0; i < 2; i++) {
		if (!s->cert_verify[i])
			continue;
		json_key(j, i == TLS_TO_SERVER ? "client_certificate_verify" :
						 "server_certificate_verify");
		name = tls_sigalg_name(s->cert_verify[i]);
		if (name) {
			json_string(j, name);
		} else {
			char hex[7];

			json_string(j, tls_code_hex(s->cert_verify[i], hex));
		}
	}
	if (s->heartbeat)
		json_kv_bool(j, "heartbeat", true);
	json_key(j, "alerts");
	json_array_begin(j);
	for (i = 0; i < s->n_alerts; i++) {
		const struct tls_alert *a = &s->alerts[i];

		json_object_begin(j);
		json_kv_plain(j, "from", dir_name(a->dir));
		if (a->encrypted) {
			json_kv_bool(j, "encrypted", true);
		} else {
			json_kv_plain(j, "level", a->level == 2 ? "fatal" :
					       a->level == 1 ? "warning" : "unknown");
			json_kv_uint(j, "code", a->description);
			name = tls_alert_name(a->description);
			json_kv_plain(j, "description", name ? name : "unknown");
		}
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "messages");
	put_messages_cached(j, w->lists, s);
	json_kv_bool(j, "handshake_complete",
		     s->finished[0] && s->finished[1] &&
			     !(s->n_alerts && s->alerts[0].level == 2 && !s->alerts[0].encrypted));
	json_object_end(j);
}

void eve_certificate_source(struct json *j, const struct tls_session *s)
{
	if (!s->server_chain.n && !s->client_chain.n)
		return;
	json_key(j, "certificate");
	json_object_begin(j);
	json_kv_plain(j, "source", s->cert_source == TLS_CERTS_PROBE ? "probe" :
				 s->cert_source == TLS_CERTS_KEYLOG ? "keylog" : "handshake");
	if (s->cert_source == TLS_CERTS_PROBE)
		json_kv_bool(j, "cached", s->cert_cached);
	json_object_end(j);
}

void eve_pretls(struct json *j, const struct pretls *pre)
{
	const char *name = pretls_proto_name(pre->proto);

	if (!name)
		return;
	if (pretls_is_starttls(pre->proto)) {
		json_key(j, "starttls");
		json_object_begin(j);
		json_kv_str(j, "protocol", name);
		json_kv_bool(j, "upgraded", pre->upgraded[0] || pre->upgraded[1]);
		if (pre->caps_seen || pre->offered)
			json_kv_bool(j, "offered", pre->offered);
		json_kv_bool(j, "cleartext_credentials", pre->cleartext_credentials);
		json_object_end(j);
		return;
	}
	json_key(j, "tunnel");
	json_object_begin(j);
	json_kv_str(j, "protocol", name);
	if (pre->host[0])
		json_kv_str(j, "dest_host", pre->host);
	if (pre->port)
		json_kv_uint(j, "dest_port", pre->port);
	if (pre->cleartext_credentials)
		json_kv_bool(j, "cleartext_credentials", true);
	json_object_end(j);
}

/* A kept part: bytes [from, to) of out, less the comma that separated it
 * from what came before (the copy writes the separator the splice needs). */
static void keep_part(struct eve_parts *k, const struct buf *out, size_t from, size_t to,
		      unsigned i)
{
	if (from < to && out->data[from] == ',')
		from++;
	k->start[i] = from;
	k->end[i] = to;
}

void eve_flow_event(struct buf *out, const struct eve_writer *w, const char *event_type,
		    const struct engine_session *es, uint64_t ts_us, eve_fields_fn fields,
		    void *arg, struct eve_parts *keep)
{
	struct eve_writer brief = { 0, w->certs, true, w->lists };
	struct eve_fp fp;
	struct json j;
	size_t when[2], at[5];

	if (w->beside)
		w = &brief;
	eve_fp_compute(&fp, &es->tls, w->lists);
	json_init(&j, out);
	json_object_begin(&j);
	when[0] = out->len;
	put_when(&j, es, ts_us);
	when[1] = out->len;
	json_kv_plain(&j, "event_type", event_type);
	at[0] = out->len;
	put_flow(&j, es, NULL);
	json_kv_plain(&j, "app_proto", es->quic ? "quic" : "tls");
	at[1] = out->len;
	if (fields)
		fields(&j, EVE_AT_TOP, arg);
	if (es->quic)
		eve_quic_fields(&j, es, &fp);
	else
		eve_tls_fields(&j, w, &es->tls, &es->pre, &fp);
	json_key(&j, "secaudit");
	json_object_begin(&j);
	at[2] = out->len;
	eve_certificate_source(&j, &es->tls);
	eve_pretls(&j, &es->pre);
	at[3] = out->len;
	if (fields)
		fields(&j, EVE_AT_SECAUDIT, arg);
	if (es->quic && !w->beside) {
		json_key(&j, "quic");
		eve_quic_extra(&j, es->quic);
	}
	if (!w->beside) {
		json_key(&j, "tls");
		eve_tls_extra(&j, w, &es->tls, &fp);
	}
	at[4] = out->len;
	eve_fp_free(&fp);
	if (fields)
		fields(&j, EVE_AT_END, arg);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(out, '\n');
	if (!keep)
		return;
	/* The parts are kept only from a whole event without keys of its own. */
	keep->es = NULL;
	if (fields || out->oom)
		return;
	keep_part(keep, out, when[0], when[1], EVE_PART_WHEN);
	keep_part(keep, out, at[0], at[1], EVE_PART_FLOW);
	/* the tls/quic object, without the `,"secaudit":{` after it */
	keep_part(keep, out, at[1], at[2] - strlen(",\"secaudit\":{"), EVE_PART_TLS);
	keep_part(keep, out, at[2], at[3], EVE_PART_SOURCE);
	keep_part(keep, out, at[3], at[4], EVE_PART_EXTRA);
	keep->from = out;
	keep->from_len = out->len;
	keep->es = es;
	keep->ts_us = ts_us;
	keep->custom = w->custom;
}

/* Appends kept part i as one value. The part may be in out itself: room
 * is made first, so that the bytes do not move while they are copied. */
static void put_kept(struct json *j, const struct eve_parts *k, unsigned i)
{
	size_t n = k->end[i] - k->start[i];

	json_sep(j);
	if (!buf_reserve(j->out, n))
		return;
	memcpy(j->out->data + j->out->len, k->from->data + k->start[i], n);
	j->out->len += n;
}

bool eve_flow_event_again(struct buf *out, const struct eve_writer *w,
			  const struct eve_parts *kept, const char *event_type,
			  const struct engine_session *es, uint64_t ts_us, eve_fields_fn fields,
			  void *arg)
{
	struct json j;

	if (!kept->es || kept->es != es || kept->ts_us != ts_us ||
	    kept->from->len != kept->from_len || kept->custom != (w->beside ? 0 : w->custom))
		return false;
	json_init(&j, out);
	json_object_begin(&j);
	put_kept(&j, kept, EVE_PART_WHEN);
	json_kv_plain(&j, "event_type", event_type);
	put_kept(&j, kept, EVE_PART_FLOW);
	if (fields)
		fields(&j, EVE_AT_TOP, arg);
	put_kept(&j, kept, EVE_PART_TLS);
	json_key(&j, "secaudit");
	json_object_begin(&j);
	if (kept->end[EVE_PART_SOURCE] > kept->start[EVE_PART_SOURCE])
		put_kept(&j, kept, EVE_PART_SOURCE);
	if (fields)
		fields(&j, EVE_AT_SECAUDIT, arg);
	if (!w->beside)
		put_kept(&j, kept, EVE_PART_EXTRA);
	if (fields)
		fields(&j, EVE_AT_END, arg);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(out, '\n');
	return true;
}

void eve_anomaly_event(struct buf *out, const struct engine_session *es,
		       const struct decoded *d, enum anomaly a, uint64_t ts_us)
{
	struct json j;
	const char *type = anomaly_type(a);

	json_init(&j, out);
	eve_begin(&j, "anomaly", es, d, ts_us);
	json_key(&j, "anomaly");
	json_object_begin(&j);
	json_kv_str(&j, "type", type);
	json_kv_str(&j, "event", anomaly_event(a));
	if (!strcmp(type, "applayer")) {
		json_kv_str(&j, "app_proto", es && es->quic ? "quic" : "tls");
		json_kv_str(&j, "layer", "proto_parser");
	}
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(out, '\n');
}
