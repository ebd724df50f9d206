/*
 * eve: the custom field names (Suricata's `custom: [...]`) and the cache of
 * formatted certificate facts, which must write exactly what formatting
 * every time would, for a hit, a miss and a slot taken over by another
 * certificate; an alert written from the parts kept of its session's tls
 * event, which must be the line formatting it would give; monitor.yaml's
 * eve_custom.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "daemon/daemon_config.h"
#include "daemon_load.h"
#include "engine/eve.h"
#include "engine/eve_certs.h"
#include "json.h"
#include "textcache.h"

Test(eve, custom_names)
{
	unsigned c = 0;
	char err[256];

	cr_assert(eve_custom_parse("chain,certificate", &c, err, sizeof(err)));
	cr_assert_eq(c, EVE_CUSTOM_CHAIN | EVE_CUSTOM_CERTIFICATE);
	c = 0;
	/* Names of Suricata's default set are accepted and add nothing. */
	cr_assert(eve_custom_parse("subject,issuer,sni,ja4,client_handshake", &c, err,
				   sizeof(err)));
	cr_assert_eq(c, EVE_CUSTOM_CLIENT_HANDSHAKE);
	cr_assert(eve_custom_parse("", &c, err, sizeof(err)));
	cr_assert_not(eve_custom_parse("chain,chian", &c, err, sizeof(err)));
	cr_assert(strstr(err, "'chian'"), "%s", err);
	cr_assert_not(eve_custom_parse("chain,,certificate", &c, err, sizeof(err)));
}

static void fill(struct x509_cert *c, const char *cn, const char *sha256)
{
	static char serial[] = "01:02", issuer[] = "CN=Issuer \"A\"";
	static char san0[] = "DNS:a.test", san1[] = "IP:198.18.0.1";

	memset(c, 0, sizeof(*c));
	c->subject = (char *)cn;
	c->issuer = issuer;
	c->serial = serial;
	strcpy(c->sha1, "aa:bb");
	snprintf(c->sha256, sizeof(c->sha256), "%s", sha256);
	strcpy(c->not_before, "2025-01-01T00:00:00");
	strcpy(c->not_after, "2045-01-01T00:00:00");
	c->n_sans = 2;
	c->sans[0] = san0;
	c->sans[1] = san1;
	c->key_type = "EC";
	c->key_bits = 256;
	c->curve = "P-256";
	c->sig_alg = "ecdsa-with-SHA256";
}

/* The facts and detail of cert written into an object, through cache. */
static void write_cert(struct eve_certs *cache, const struct x509_cert *cert, struct buf *out)
{
	struct json j;

	buf_reset(out);
	json_init(&j, out);
	json_object_begin(&j);
	json_kv_str(&j, "before", "x");
	eve_certs_facts(cache, &j, cert);
	json_key(&j, "detail");
	eve_certs_detail(cache, &j, cert);
	json_object_end(&j);
}

Test(eve, cert_cache_writes_what_formatting_writes)
{
	struct eve_certs *cache = eve_certs_new(1); /* one slot: every other cert evicts */
	struct x509_cert a, b;
	struct buf want = { 0 }, got = { 0 };

	cr_assert(cache);
	fill(&a, "CN=a.test", "11:22");
	fill(&b, "", "33:44");   /* an empty subject: no "subject" key */
	for (int round = 0; round < 2; round++) {
		const struct x509_cert *certs[] = { &a, &a, &b, &a, &b, &b };

		for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
			write_cert(NULL, certs[i], &want);
			write_cert(cache, certs[i], &got);
			cr_assert_eq(got.len, want.len);
			cr_assert(!memcmp(got.data, want.data, want.len), "%.*s", (int)got.len,
				  got.data);
		}
	}
	write_cert(NULL, &b, &want);
	/* Suricata's facts skip the empty subject; the detail object has it. */
	cr_assert(strstr(buf_cstr(&want), "\"before\":\"x\",\"issuerdn\""), "%s", want.data);
	cr_assert(strstr(buf_cstr(&want), "\"detail\":{\"subject\":\"\",\"issuer\""));
	cr_assert(strstr(buf_cstr(&want), "\"issuerdn\":\"CN=Issuer \\\"A\\\"\""));
	buf_free(&want);
	buf_free(&got);
	eve_certs_free(cache);
}

/* An alert's own keys, at each place eve_flow_event offers. */
static void alert_keys(struct json *j, enum eve_at at, void *arg)
{
	static const char *const names[] = { "alert", "policy", "evidence" };

	json_kv_str(j, names[at], arg);
}

/* The alert, formatted and from the kept parts of the tls event before it,
 * byte for byte, with and without a secaudit key before the policy (the
 * STARTTLS object) and with a client chain-less TLS 1.2 hello; in a log of
 * alerts alone (the whole session) and beside the session's event (no
 * secaudit.tls, the tls object of the default set whatever custom asks). */
Test(eve, alert_from_kept_parts_is_the_formatted_alert)
{
	struct eve_writer w = { 0, NULL, false, NULL };
	struct eve_parts kept = { 0 };
	struct flow flow = { .key = { .family = 4, .proto = 6, .port = { 40000, 443 },
				      .addr = { { 198, 18, 1, 2 }, { 198, 18, 2, 2 } } },
			     .id = 12345, .client = 0 };
	struct engine_session *es = calloc(1, sizeof(*es));
	struct buf tls = { 0 }, want = { 0 }, got = { 0 };
	const uint64_t ts = 1700000000123456ull;

	cr_assert(es);
	es->flow = &flow;
	es->community_id = true;
	es->has_tls = true;
	es->tls.n_client_hellos = 1;
	es->tls.client_hello[0].legacy_version = 0x0303;
	es->tls.client_hello[0].record_version = 0x0301;
	es->tls.client_hello[0].has_sni = true;
	strcpy(es->tls.client_hello[0].sni, "a.test");
	es->tls.client_hello[0].n_suites = 2;
	es->tls.client_hello[0].suites[0] = 0xc02f;
	es->tls.client_hello[0].suites[1] = 0x1301;
	es->tls.n_server_hellos = 1;
	es->tls.server_hello[0].legacy_version = 0x0303;
	es->tls.server_hello[0].suite = 0xc02f;
	es->tls.version = 0x0303;
	es->tls.suite = 0xc02f;
	for (int i = 0; i < 4; i++) {
		struct eve_writer aw = { 0, NULL, i >= 2, NULL };

		es->pre.proto = i % 2 ? PRETLS_SMTP : PRETLS_NONE;
		buf_reset(&tls);
		buf_reset(&want);
		buf_reset(&got);
		eve_flow_event(&tls, &w, "tls", es, ts, NULL, NULL, &kept);
		eve_flow_event(&want, &aw, "alert", es, ts, alert_keys, "x", NULL);
		cr_assert(eve_flow_event_again(&got, &aw, &kept, "alert", es, ts, alert_keys, "x"));
		cr_assert_eq(got.len, want.len, "%s\n%s", buf_cstr(&got), buf_cstr(&want));
		cr_assert(!memcmp(got.data, want.data, want.len), "%s\n%s", buf_cstr(&got),
			  buf_cstr(&want));
		cr_assert(strstr(buf_cstr(&want), i % 2 ? "\"starttls\"" : "\"secaudit\":{\"policy\""),
			  "%s", want.data);
		cr_assert(strstr(buf_cstr(&want), "\"sni\":\"a.test\""), "%s", want.data);
		cr_assert_eq(!strstr(buf_cstr(&want), "\"client_hellos\""), aw.beside, "%s",
			     want.data);
		cr_assert(strstr(buf_cstr(&want), aw.beside ? "\"policy\":\"x\",\"evidence\":\"x\"}}\n" :
					"\"handshake_complete\":false},\"evidence\":\"x\"}}\n"),
			  "%s", want.data);
		/* from the same buffer, as the inspector writes them */
		buf_reset(&got);
		eve_flow_event(&got, &w, "tls", es, ts, NULL, NULL, &kept);
		cr_assert(eve_flow_event_again(&got, &aw, &kept, "alert", es, ts, alert_keys, "x"));
		cr_assert_eq(got.len, tls.len + want.len);
		cr_assert(!memcmp(got.data + tls.len, want.data, want.len), "%s\n%s",
			  buf_cstr(&got), buf_cstr(&want));
		/* nor once the buffer has changed since */
		cr_assert_not(eve_flow_event_again(&got, &aw, &kept, "alert", es, ts,
						   alert_keys, "x"));
		/* another moment, or another session: nothing kept for it */
		cr_assert_not(eve_flow_event_again(&got, &aw, &kept, "alert", es, ts + 1,
						   alert_keys, "x"));
		cr_assert_not(eve_flow_event_again(&got, &aw, &kept, "alert", es + 1, ts,
						   alert_keys, "x"));
	}
	/* a tls event with custom fields: the alert beside it has none, the
	 * alert alone the same ones */
	w.custom = EVE_CUSTOM_CLIENT_HANDSHAKE;
	eve_flow_event(&tls, &w, "tls", es, ts, NULL, NULL, &kept);
	cr_assert(strstr(buf_cstr(&tls), "\"client_handshake\""), "%s", tls.data);
	{
		struct eve_writer beside = { EVE_CUSTOM_CLIENT_HANDSHAKE, NULL, true, NULL };

		cr_assert_not(eve_flow_event_again(&got, &beside, &kept, "alert", es, ts,
						   alert_keys, "x"));
		buf_reset(&want);
		eve_flow_event(&want, &beside, "alert", es, ts, alert_keys, "x", NULL);
		cr_assert_not(strstr(buf_cstr(&want), "\"client_handshake\""), "%s", want.data);
		buf_reset(&got);
		cr_assert(eve_flow_event_again(&got, &w, &kept, "alert", es, ts, alert_keys, "x"));
		cr_assert(strstr(buf_cstr(&got), "\"client_handshake\""), "%s", got.data);
	}
	/* an event with keys of its own keeps nothing */
	eve_flow_event(&tls, &w, "alert", es, ts, alert_keys, "x", &kept);
	cr_assert_not(eve_flow_event_again(&got, &w, &kept, "alert", es, ts, alert_keys, "x"));
	buf_free(&tls);
	buf_free(&want);
	buf_free(&got);
	free(es);
}

/* The tls event with a ClientHello's lists taken from the writer's cache
 * (a miss, then hits) is the event formatted without one, byte for byte;
 * a hello that differs in one code, or only in its version, is not
 * answered with the other's text; nor are its fingerprints (kept in the
 * same cache) when it differs only in what JA3 or JA4 read: its SNI, its
 * first ALPN protocol, a point format, a signature algorithm. */
Test(eve, hello_lists_from_the_cache_are_the_formatted_ones)
{
	struct eve_writer plain = { 0, NULL, false, NULL },
			  cached = { 0, NULL, false, textcache_new(64) };
	struct flow flow = { .key = { .family = 4, .proto = 6, .port = { 40000, 443 },
				      .addr = { { 198, 18, 1, 2 }, { 198, 18, 2, 2 } } },
			     .id = 7, .client = 0 };
	struct engine_session *es = calloc(1, sizeof(*es));
	struct tls_client_hello *ch;
	struct buf want = { 0 }, got = { 0 };
	int round;

	cr_assert(es && cached.lists);
	es->flow = &flow;
	es->has_tls = true;
	es->tls.n_client_hellos = 1;
	ch = &es->tls.client_hello[0];
	ch->legacy_version = 0x0303;
	ch->record_version = 0x0301;
	ch->n_versions = 2;
	ch->versions[0] = 0x0a0a; /* GREASE */
	ch->versions[1] = 0x0304;
	ch->n_suites = 3;
	ch->suites[0] = 0x1301;
	ch->suites[1] = 0xc02f;
	ch->suites[2] = 0x00ff;
	ch->n_groups = 1;
	ch->groups[0] = 0x001d;
	ch->n_key_shares = 1;
	ch->key_shares[0] = 0x001d;
	ch->n_sigalgs = 1;
	ch->sigalgs[0] = 0x0804;
	ch->n_exts = 2;
	ch->exts[0] = 0x002b;
	ch->exts[1] = 0x1234; /* unnamed: its code */
	es->tls.n_msgs = 3;
	es->tls.msgs[0] = (struct tls_msg){ TLS_TO_SERVER, 1, false };
	es->tls.msgs[1] = (struct tls_msg){ TLS_TO_CLIENT, 2, false };
	es->tls.msgs[2] = (struct tls_msg){ TLS_TO_CLIENT, TLS_MSG_CCS, false };
	for (round = 0; round < 18; round++) {
		if (round == 8)
			ch->has_sni = true;
		if (round == 10) {
			ch->alpn.n = 1;
			ch->alpn.id[0].len = 2;
			memcpy(ch->alpn.buf, "h2", 2);
		}
		if (round == 12)
			ch->alpn.buf[1] = '3';
		if (round == 14)
			ch->n_point_formats = 1;
		if (round == 16)
			ch->sigalgs[0] = 0x0403;
		if (round == 2)
			ch->suites[2] = 0x00fe; /* one code differs */
		if (round == 4)
			ch->legacy_version = 0x0302; /* only the version differs */
		if (round == 6)
			es->tls.msgs[2].dir = TLS_TO_SERVER; /* a message's side differs */
		buf_reset(&want);
		buf_reset(&got);
		eve_flow_event(&want, &plain, "tls", es, 1700000000000000ull, NULL, NULL, NULL);
		eve_flow_event(&got, &cached, "tls", es, 1700000000000000ull, NULL, NULL, NULL);
		cr_assert_eq(got.len, want.len, "round %d\n%s\n%s", round, buf_cstr(&got),
			     buf_cstr(&want));
		cr_assert(!memcmp(got.data, want.data, want.len), "round %d\n%s\n%s", round,
			  buf_cstr(&got), buf_cstr(&want));
	}
	cr_assert(strstr(buf_cstr(&want), "\"ciphers\":[\"TLS_AES_128_GCM_SHA256\""), "%s",
		  want.data);
	cr_assert(strstr(buf_cstr(&want), "\"client:ChangeCipherSpec\"]"), "%s", want.data);
	cr_assert(strstr(buf_cstr(&want), "\"ja4\":\"t13d0302h3_"), "%s", want.data);
	cr_assert(strstr(buf_cstr(&want), ",29,0\"}"), "%s", want.data);
	textcache_free(cached.lists);
	buf_free(&want);
	buf_free(&got);
	free(es);
}

/* An event's IPv4 addresses are written as inet_ntop writes them. */
Test(eve, ipv4_addresses_as_inet_ntop_writes_them)
{
	static const uint8_t addrs[][4] = { { 0, 0, 0, 0 },	 { 255, 255, 255, 255 },
					    { 10, 100, 1, 99 },	 { 1, 10, 100, 200 },
					    { 9, 90, 199, 250 }, { 100, 0, 10, 109 } };
	struct decoded d = { .family = 4, .proto = 6, .sport = 1, .dport = 2 };
	char text[INET_ADDRSTRLEN], want[64];
	struct buf out = { 0 };
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		memcpy(d.src, addrs[i], 4);
		memcpy(d.dst, addrs[(i + 1) % 6], 4);
		buf_reset(&out);
		json_init(&j, &out);
		eve_begin(&j, "anomaly", NULL, &d, 1700000000000000ull);
		json_object_end(&j);
		cr_assert(inet_ntop(AF_INET, d.src, text, sizeof(text)));
		snprintf(want, sizeof(want), "\"src_ip\":\"%s\"", text);
		cr_assert(strstr(buf_cstr(&out), want), "%s in %s", want, out.data);
		cr_assert(inet_ntop(AF_INET, d.dst, text, sizeof(text)));
		snprintf(want, sizeof(want), "\"dest_ip\":\"%s\"", text);
		cr_assert(strstr(buf_cstr(&out), want), "%s in %s", want, out.data);
	}
	buf_free(&out);
}

/* monitor.yaml's eve_custom: the same names, refused with file:line. */
Test(eve, daemon_config_eve_custom)
{
	struct daemon_config c;
	char err[512];

	cr_assert(daemon_load_text("version: 1\n", &c, err, sizeof(err)), "%s", err);
	cr_assert_eq(c.eve_custom, 0);
	cr_assert(daemon_load_text("version: 1\neve_custom: [chain, certificate, sni]\n", &c, err,
			      sizeof(err)), "%s", err);
	cr_assert_eq(c.eve_custom, EVE_CUSTOM_CHAIN | EVE_CUSTOM_CERTIFICATE);
	cr_assert(daemon_load_text("version: 1\neve_custom: client_chain\n", &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_eq(c.eve_custom, EVE_CUSTOM_CLIENT_CHAIN);
	cr_assert_not(daemon_load_text("version: 1\neve_custom: [chain, chian]\n", &c, err,
				  sizeof(err)));
	cr_assert(strstr(err, ":2:") && strstr(err, "'chian'"), "%s", err);
}
