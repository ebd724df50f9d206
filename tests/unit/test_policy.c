/*
 * policy: hand-built sessions (struct tls_session as the parser fills it)
 * with real certificates from testpki.h, judged by a test policy; each test
 * asserts the verdict and the exact rule ids that failed.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "policy/policy.h"
#include "policy/rules.h"
#include "policy/sessioncache.h"
#include "quic/quic.h"
#include "testpki.h"

static const char policy_fmt[] =
	"version: 1\n"
	"profiles:\n"
	"  strict:\n"
	"    action: drop\n"
	"    versions: {min: TLS1.2}\n"
	"    cipher_suites: {forbid: [cbc, rc4, 3des, null, anon, export]}\n"
	"    groups: {min_dh_bits: 2048}\n"
	"    certificate:\n"
	"      ca_file: %1$s/root.crt\n"
	"      min_rsa_bits: 2048\n"
	"      forbidden_signatures: [md5, sha1]\n"
	"      max_chain_length: 2\n"
	"    tls13_certificates: alert\n"
	"    sni: {deny: ['*.evil.test']}\n"
	"    ja3: {deny: [e7d705a3286e19ea42f587b344ee6865]}\n"
	"    ja4: {deny: [t13d1516h2_8daaf6152771_e5627efa2ab1]}\n"
	"    anomalies: {heartbeat: alert, weak_random: alert, compression: reject}\n"
	"    unknown_resumption: reject\n"
	"  signed:\n"
	"    certificate: {ca_file: %1$s/rsaroot.crt, forbidden_signatures: [md5, sha1]}\n"
	"  crlcheck:\n"
	"    certificate:\n"
	"      ca_file: %1$s/root.crt\n"
	"      crl: %1$s/root.crl\n"
	"      revocation_unavailable: fail\n"
	"  stale:\n"
	"    certificate:\n"
	"      ca_file: %1$s/rsaroot.crt\n"
	"      crl: %1$s/stale.crl\n"
	"      revocation_unavailable: fail\n"
	"  ocsp:\n"
	"    certificate: {ca_file: %1$s/root.crt, require_ocsp_staple: true}\n"
	"  mixed:\n"
	"    certificate:\n"
	"      action: drop\n"
	"      ca_file: %1$s/root.crt\n"
	"      min_rsa_bits: 2048\n"
	"      checks:\n"
	"        self_signed: alert\n"
	"        expired: {action: alert, severity: 4, message: renew it, id: cert-age}\n"
	"  sensitive:\n"
	"    action: reject\n"
	"    certificate: {ca_file: %1$s/root.crt}\n"
	"    client_certificate: {required: true, ca_file: %1$s/root.crt}\n"
	"zones:\n"
	"  - {name: sensitive, profile: sensitive, match: {dst: [10.9.0.0/16]}}\n"
	"  - {name: signed, profile: signed, match: {dst: [10.8.0.0/16]}}\n"
	"  - {name: mixed, profile: mixed, match: {dst: [10.5.0.0/16]}}\n"
	"  - {name: crl, profile: crlcheck, match: {dst: [10.6.0.0/16]}}\n"
	"  - {name: stale, profile: stale, match: {dst: ['2001:db8:7::/48']}}\n"
	"  - {name: ocsp, profile: ocsp, match: {sni: [ocsp.good.test]}}\n"
	"  - {name: default, profile: strict}\n";

static struct policy *pol;
static struct x509_cert *certs[8];
static unsigned n_certs;

static void setup(void)
{
	char yaml[sizeof(policy_fmt) + 8 * 300];
	struct policy_error err;
	char msg[600];

	snprintf(yaml, sizeof(yaml), policy_fmt, testpki_dir());
	pol = rules_load_buffer("test.yaml", yaml, strlen(yaml), ".", 0, &err);
	policy_error_format(&err, msg, sizeof(msg));
	cr_assert_not_null(pol, "%s", msg);
}

static void teardown(void)
{
	while (n_certs)
		testpki_cert_free(certs[--n_certs]);
	policy_free(pol);
}

TestSuite(policy, .init = setup, .fini = teardown);

static struct policy_flow flow4(const char *dst)
{
	struct policy_flow f = { .family = AF_INET, .client_port = 40000, .server_port = 443 };

	inet_pton(AF_INET, "192.0.2.10", f.client_addr);
	inet_pton(AF_INET, dst, f.server_addr);
	return f;
}

/* A TLS 1.2 ECDHE-RSA-AES128-GCM session that met every requirement up to
 * ServerHelloDone; tests then break one fact each. */
static void session(struct tls_session *s, const char *sni, const char *leaf)
{
	struct tls_client_hello *ch = &s->client_hello[0];
	struct tls_server_hello *sh = &s->server_hello[0];
	static uint8_t serial;

	memset(s, 0, sizeof(*s));
	s->n_client_hellos = 1;
	ch->legacy_version = 0x0303;
	memset(ch->random, 0x11, sizeof(ch->random));
	ch->random[0] = ++serial;               /* each session its own random */
	ch->n_suites = 2;
	ch->suites[0] = 0xc02f;
	ch->suites[1] = 0x009c;
	ch->has_sni = sni != NULL;
	snprintf(ch->sni, sizeof(ch->sni), "%s", sni ? sni : "");
	ch->renegotiation_info = true;
	s->n_server_hellos = 1;
	sh->legacy_version = 0x0303;
	memset(sh->random, 0x22, sizeof(sh->random));
	sh->renegotiation_info = true;
	sh->session_id_len = 32;
	memset(sh->session_id, 0x33, 32);
	s->version = 0x0303;
	s->suite = 0xc02f;
	s->kx_group = 0x001d;
	s->server_kx = true;
	if (leaf) {
		certs[n_certs] = testpki_cert(leaf);
		s->server_chain.cert[0] = certs[n_certs++];
		s->server_chain.n = 1;
	}
	s->events = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO | TLS_EV_CERTIFICATE |
		    TLS_EV_SERVER_KX | TLS_EV_SERVER_DONE;
}

static void finish(struct tls_session *s)
{
	s->events |= TLS_EV_CLIENT_CERT * (s->client_chain.n > 0) | TLS_EV_ENCRYPTED |
		     TLS_EV_HANDSHAKE_DONE;
	s->done = true;
}

/* Runs the session through the policy; returns the failed rule ids joined
 * with spaces, in the order they failed. */
static const char *judge(const struct policy_flow *f, struct tls_session *s, struct policy_state *st,
			 time_t now)
{
	static char ids[1024];
	size_t n = 0;
	uint8_t i;

	memset(st, 0, sizeof(*st));
	finish(s);
	policy_evaluate(pol, f, s, 0, st, now);
	cr_assert(st->final);
	ids[0] = '\0';
	for (i = 0; i < st->n_failures; i++)
		n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%s", i ? " " : "",
				      pol->rules[st->failures[i].rule].id);
	return ids;
}

/* judge() of s with the test PKI's OCSP response file name stapled. */
static const char *judge_stapled(const struct policy_flow *f, struct tls_session *s,
				 struct policy_state *st, const char *name, time_t now)
{
	const char *ids;
	size_t len;

	s->ocsp = testpki_read(name, &len);
	s->ocsp_len = (uint32_t)len;
	ids = judge(f, s, st, now);
	free(s->ocsp);
	s->ocsp = NULL;
	s->ocsp_len = 0;
	return ids;
}

static const char *judge_leaf(const char *dst, const char *sni, const char *leaf, time_t now,
			      struct policy_state *st)
{
	struct policy_flow f = flow4(dst);
	struct tls_session s;

	session(&s, sni, leaf);
	return judge(&f, &s, st, now);
}

Test(policy, conforming_session_passes)
{
	struct policy_state st;

	cr_assert_str_eq(judge_leaf("198.51.100.1", "good.test", "good.crt", time(NULL), &st), "");
	cr_assert_eq(st.action, POLICY_ACTION_NONE);
}

Test(policy, old_version_fails_at_server_hello)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct tls_session s;

	session(&s, "good.test", "good.crt");
	s.version = 0x0301;
	s.server_hello[0].legacy_version = 0x0301;
	s.events = TLS_EV_CLIENT_HELLO;
	cr_assert_eq(policy_evaluate(pol, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL)),
		     POLICY_ACTION_NONE, "the client offered TLS 1.2");
	s.events |= TLS_EV_SERVER_HELLO;
	cr_assert_eq(policy_evaluate(pol, &f, &s, TLS_EV_SERVER_HELLO, &st, time(NULL)),
		     POLICY_ACTION_DROP, "known at ServerHello, before the certificate");
	cr_assert_not(st.final);
	cr_assert_str_eq(pol->rules[st.failures[0].rule].id, "strict.version");
	cr_assert_str_eq(st.failures[0].observed, "TLSv1.0");
}

Test(policy, client_offering_only_weak_suites_fails_at_client_hello)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct tls_session s;

	session(&s, "good.test", NULL);
	s.client_hello[0].suites[0] = 0x0005;     /* RC4-SHA */
	s.client_hello[0].suites[1] = 0x000a;     /* DES-CBC3-SHA */
	s.events = TLS_EV_CLIENT_HELLO;
	cr_assert_eq(policy_evaluate(pol, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL)),
		     POLICY_ACTION_DROP);
	cr_assert_str_eq(pol->rules[st.failures[0].rule].id, "strict.cipher_suite");
}

Test(policy, weak_suites_negotiated)
{
	static const uint16_t weak[] = { 0x0005, 0x000a, 0x002f, 0x0002, 0xc018, 0x0003 };
	struct policy_state st;
	size_t i;

	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		struct policy_flow f = flow4("198.51.100.1");
		struct tls_session s;

		session(&s, "good.test", "good.crt");
		s.suite = weak[i];
		cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.cipher_suite", "0x%04x", weak[i]);
		cr_assert_eq(st.action, POLICY_ACTION_DROP);
	}
}

Test(policy, small_dh_group)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "good.crt");
	s.suite = 0x009e;                         /* DHE-RSA-AES128-GCM-SHA256 */
	s.kx_group = 0;
	s.dh_p_bits = 1024;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.dh_bits");
	cr_assert_str_eq(st.failures[0].observed, "1024-bit DH group");
}

Test(policy, certificate_defects)
{
	static const struct {
		const char *leaf, *sni, *expect;
	} cases[] = {
		{ "expired.crt", "good.test", "strict.certificate.expired" },
		{ "notyet.crt", "good.test", "strict.certificate.not_yet_valid" },
		{ "rsa1024.crt", "good.test", "strict.certificate.weak_key" },
		{ "other.crt", "good.test", "strict.certificate.hostname" },
		{ "self.crt", "self.test", "strict.certificate.untrusted strict.certificate.self_signed" },
		{ "untrusted.crt", "good.test", "strict.certificate.untrusted" },
		{ "good.crt", NULL, "" },             /* no SNI: nothing to compare */
	};
	struct policy_state st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(judge_leaf("198.51.100.1", cases[i].sni, cases[i].leaf, time(NULL), &st),
				 cases[i].expect, "%s", cases[i].leaf);
}

Test(policy, forbidden_signature_digests)
{
	struct policy_state st;

	cr_assert_str_eq(judge_leaf("10.8.0.1", "good.test", "sha1.crt", time(NULL), &st),
			 "signed.certificate.signature");
	cr_assert_str_eq(st.failures[0].observed, "sha1WithRSAEncryption");
	cr_assert_eq(st.action, POLICY_ACTION_ALERT, "the profile's default action");
	cr_assert_str_eq(judge_leaf("10.8.0.1", "good.test", "md5.crt", time(NULL), &st),
			 "signed.certificate.signature");
	cr_assert_str_eq(judge_leaf("10.8.0.1", "good.test", "rsagood.crt", time(NULL), &st), "");
}

Test(policy, chain_too_long)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "deep.crt");
	certs[n_certs] = testpki_cert("inter.crt");
	s.server_chain.cert[1] = certs[n_certs++];
	certs[n_certs] = testpki_cert("root.crt");
	s.server_chain.cert[2] = certs[n_certs++];
	s.server_chain.n = 3;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.certificate.chain_length");
	s.server_chain.n = 2;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
}

Test(policy, revocation_by_crl_and_staleness)
{
	struct policy_state st;
	struct policy_flow f = flow4("10.6.0.1");
	struct tls_session s;

	cr_assert_str_eq(judge_leaf("10.6.0.1", "good.test", "revoked.crt", time(NULL), &st),
			 "crlcheck.certificate.revoked");
	cr_assert_str_eq(judge_leaf("10.6.0.1", "good.test", "good.crt", time(NULL), &st), "");
	/* 40 days on, root.crl (30 days) is past nextUpdate: unavailable. */
	cr_assert_str_eq(judge_leaf("10.6.0.1", "good.test", "good.crt", time(NULL) + 40 * 86400, &st),
			 "crlcheck.certificate.revocation_unavailable");
	cr_assert_str_eq(st.failures[0].observed, "CRL past its nextUpdate");
	/* stale.crl was made stale by openssl itself (-crlsec 1). */
	f.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:7::1", f.server_addr);
	session(&s, "good.test", "rsagood.crt");
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL) + 3600), "stale.certificate.revocation_unavailable");
}

Test(policy, stapled_ocsp)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "revoked.crt");
	cr_assert_str_eq(judge_stapled(&f, &s, &st, "revoked.ocsp", time(NULL)),
			 "strict.certificate.revoked");
	cr_assert_str_eq(st.failures[0].observed, "revoked (stapled OCSP response)");

	/* require_ocsp_staple: none fails, a good one passes. */
	session(&s, "ocsp.good.test", "good.crt");
	s.server_chain.cert[0] = certs[n_certs - 1];
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)),
			 "ocsp.certificate.hostname ocsp.certificate.ocsp_staple_missing");
	cr_assert_str_eq(judge_stapled(&f, &s, &st, "good.ocsp", time(NULL)),
			 "ocsp.certificate.hostname");
}

Test(policy, stapled_ocsp_must_verify_and_be_current)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	/* Signed by a key the issuer never certified. */
	session(&s, "good.test", "good.crt");
	cr_assert_str_eq(judge_stapled(&f, &s, &st, "rogue.ocsp", time(NULL)),
			 "strict.certificate.ocsp_invalid");
	cr_assert_eq(st.action, POLICY_ACTION_DROP);
	cr_assert(!strncmp(st.failures[0].observed, "signature: ", 11), "%s", st.failures[0].observed);
	cr_assert(strstr(pol->rules[st.failures[0].rule].required, "signed for the issuer"));

	/* Past its nextUpdate. */
	cr_assert_str_eq(judge_stapled(&f, &s, &st, "stale.ocsp", time(NULL) + 120),
			 "strict.certificate.ocsp_invalid");
	cr_assert(!strncmp(st.failures[0].observed, "stale: nextUpdate", 17), "%s",
		  st.failures[0].observed);

	/* A good one, from the issuer's delegated responder, passes. */
	cr_assert_str_eq(judge_stapled(&f, &s, &st, "delegated.ocsp", time(NULL)), "");
}

Test(policy, certificate_checks_carry_their_own_action)
{
	struct policy_state st;
	const struct policy_rule *r;

	/* Untrusted (the block's drop) beside self-signed (its own alert):
	 * both fail, the strongest decides. */
	cr_assert_str_eq(judge_leaf("10.5.0.1", "self.test", "self.crt", time(NULL), &st),
			 "mixed.certificate.untrusted mixed.certificate.self_signed");
	cr_assert_eq(st.failures[0].action, POLICY_ACTION_DROP);
	cr_assert_eq(st.failures[1].action, POLICY_ACTION_ALERT);
	cr_assert_eq(st.action, POLICY_ACTION_DROP);
	cr_assert_eq(st.strongest, 0);

	/* Only the alert requirement fails: the session is let through. */
	cr_assert_str_eq(judge_leaf("10.5.0.1", "good.test", "expired.crt", time(NULL), &st),
			 "cert-age");
	cr_assert_eq(st.action, POLICY_ACTION_ALERT);
	r = &pol->rules[st.failures[0].rule];
	cr_assert_str_eq(r->message, "renew it");
	cr_assert_eq(st.failures[0].severity, 4);
	cr_assert_eq(r->sid, POLICY_SID_BASE + POLICY_CHK_CERT_EXPIRED);

	/* Requirements without an entry keep the block's action. */
	cr_assert_str_eq(judge_leaf("10.5.0.1", "good.test", "rsa1024.crt", time(NULL), &st),
			 "mixed.certificate.weak_key");
	cr_assert_eq(st.action, POLICY_ACTION_DROP);
}

Test(policy, sensitive_zone_requires_client_certificate)
{
	struct policy_flow f = flow4("10.9.1.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "good.crt");
	s.cert_request = true;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "sensitive.client_certificate.missing");
	cr_assert_eq(st.action, POLICY_ACTION_REJECT);
	cr_assert_str_eq(st.failures[0].observed, "no client Certificate");

	/* The server never asked: known at ServerHelloDone. */
	session(&s, "good.test", "good.crt");
	memset(&st, 0, sizeof(st));
	policy_evaluate(pol, &f, &s, TLS_EV_SERVER_DONE, &st, time(NULL));
	cr_assert_eq(st.action, POLICY_ACTION_REJECT);
	cr_assert_str_eq(st.failures[0].observed, "server did not request a client certificate");

	/* A valid client certificate passes; an untrusted one does not. */
	session(&s, "good.test", "good.crt");
	s.cert_request = true;
	certs[n_certs] = testpki_cert("p384.crt");
	s.client_chain.cert[0] = certs[n_certs++];
	s.client_chain.n = 1;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	certs[n_certs] = testpki_cert("untrusted.crt");
	s.client_chain.cert[0] = certs[n_certs++];
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "sensitive.client_certificate.invalid");
	cr_assert_str_eq(st.failures[0].observed, "untrusted");

	/* Other zones do not ask for one. */
	f = flow4("198.51.100.1");
	s.client_chain.n = 0;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
}

/* Inline the verdict of a TLS 1.2 full handshake is final at the
 * ServerHelloDone, when nothing the policy judges can come later. */
Test(policy, tls12_final_at_server_done_unless_more_is_to_come)
{
	struct policy_flow f = flow4("198.51.100.1"), sensitive = flow4("10.9.1.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "good.crt");
	memset(&st, 0, sizeof(st));
	policy_evaluate(pol, &f, &s, TLS_EV_SERVER_DONE, &st, time(NULL));
	cr_assert(st.final, "nothing left to see");
	cr_assert_eq(st.n_failures, 0);

	/* a NewSessionTicket is announced: remembered for resumptions */
	session(&s, "good.test", "good.crt");
	s.server_hello[0].has_session_ticket = true;
	memset(&st, 0, sizeof(st));
	policy_evaluate(pol, &f, &s, TLS_EV_SERVER_DONE, &st, time(NULL));
	cr_assert_not(st.final);

	/* the server asked for the client certificate the zone checks */
	session(&s, "good.test", "good.crt");
	s.cert_request = true;
	memset(&st, 0, sizeof(st));
	policy_evaluate(pol, &sensitive, &s, TLS_EV_SERVER_DONE, &st, time(NULL));
	cr_assert_not(st.final);
	/* and not at the ServerHello: the certificate is still to come */
	session(&s, "good.test", "good.crt");
	s.events = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO;
	memset(&st, 0, sizeof(st));
	policy_evaluate(pol, &f, &s, TLS_EV_SERVER_HELLO, &st, time(NULL));
	cr_assert_not(st.final);
}

Test(policy, lists_deny_sni_ja3_ja4)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "www.EVIL.test", NULL);
	s.events = TLS_EV_CLIENT_HELLO;
	memset(&st, 0, sizeof(st));
	cr_assert_eq(policy_evaluate(pol, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL)),
		     POLICY_ACTION_DROP, "decided at the ClientHello");
	cr_assert_str_eq(pol->rules[st.failures[0].rule].id, "strict.sni.denied");

	session(&s, "good.test", "good.crt");
	f.ja3 = "e7d705a3286e19ea42f587b344ee6865";
	f.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.ja3.denied strict.ja4.denied");
}

Test(policy, resumption_inherits_or_is_unknown)
{
	/* The cache is direct-mapped with a per-cache random seed: a later key
	 * may take an earlier one's slot. The monitor's own size makes that as
	 * unlikely here as there: with 256 slots 3 runs of 400 failed. */
	struct sessioncache *cache = sessioncache_new(1 << 16);
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	f.cache = cache;
	/* Unseen session: the profile's unknown_resumption action. */
	session(&s, "good.test", NULL);
	s.resumption = TLS_RESUME_SESSION_ID;
	s.server_hello[0].session_id[0] = 0x99;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.unknown_resumption");
	cr_assert_eq(st.action, POLICY_ACTION_REJECT);

	/* A full handshake that failed (TLS 1.0) and its resumption. */
	session(&s, "good.test", "good.crt");
	s.version = 0x0301;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.version");
	session(&s, "good.test", NULL);
	s.resumption = TLS_RESUME_SESSION_ID;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.resumed_failed");
	cr_assert_eq(st.action, POLICY_ACTION_DROP);
	cr_assert_str_eq(st.failures[0].observed, "full handshake failed strict.version");

	/* A good full handshake: its resumption passes without a certificate. */
	session(&s, "good.test", "good.crt");
	s.server_hello[0].session_id[1] = 0x44;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	session(&s, "good.test", NULL);
	s.server_hello[0].session_id[1] = 0x44;
	s.resumption = TLS_RESUME_SESSION_ID;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	/* The same client random twice is a broken generator. */
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.anomaly.weak_random");

	/* A TLS 1.3 ServerHello's session id is the client's, echoed
	 * (RFC 8446 4.1.3): no session to resume by, so a TLS 1.2
	 * resumption that presents it is not linked to that handshake. */
	session(&s, "good.test", "good.crt");
	s.version = 0x0304;
	s.server_hello[0].session_id[1] = 0x13;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	session(&s, "good.test", NULL);
	s.server_hello[0].session_id[1] = 0x13;
	s.resumption = TLS_RESUME_SESSION_ID;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.unknown_resumption");
	sessioncache_free(cache);
}

/* A TLS 1.2 resumption that presents the ticket whose hash starts with
 * byte t (the server echoes the client's random session id). */
static void ticket_resumption(struct tls_session *s, uint8_t t)
{
	session(s, "good.test", NULL);
	s->server_kx = false;
	s->client_hello[0].session_ticket_len = 160;
	memset(s->client_hello[0].ticket_hash, t, TLS_TICKET_HASH_LEN);
	memset(s->server_hello[0].session_id, t ^ 0x5a, 32);
	s->resumption = TLS_RESUME_TICKET;
}

Test(policy, ticket_resumption_is_linked_to_the_handshake_that_issued_it)
{
	/* The cache is direct-mapped with a per-cache random seed: a later key
	 * may take an earlier one's slot. The monitor's own size makes that as
	 * unlikely here as there: with 256 slots 3 runs of 400 failed. */
	struct sessioncache *cache = sessioncache_new(1 << 16);
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	f.cache = cache;
	/* A good full handshake without a session id, issuing ticket 0xa1. */
	session(&s, "good.test", "good.crt");
	s.server_hello[0].session_id_len = 0;
	s.n_tickets = 1;
	memset(s.ticket_hash[0], 0xa1, TLS_TICKET_HASH_LEN);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	ticket_resumption(&s, 0xa1);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "", "linked by the ticket");
	ticket_resumption(&s, 0xb2);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.unknown_resumption");
	cr_assert_str_eq(st.failures[0].observed, "ticket resumption, session not seen");

	/* A failed full handshake (TLS 1.0) issuing ticket 0xc3; its
	 * resumption renews the ticket (0xd4), which stays linked. */
	session(&s, "good.test", "good.crt");
	s.version = 0x0301;
	s.n_tickets = 1;
	memset(s.ticket_hash[0], 0xc3, TLS_TICKET_HASH_LEN);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.version");
	ticket_resumption(&s, 0xc3);
	s.n_tickets = 1;
	memset(s.ticket_hash[0], 0xd4, TLS_TICKET_HASH_LEN);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.resumed_failed");
	cr_assert_str_eq(st.failures[0].observed, "full handshake failed strict.version");
	ticket_resumption(&s, 0xd4);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.resumed_failed");
	cr_assert_str_eq(st.failures[0].observed, "full handshake failed strict.version");

	/* Another server never shares a ticket's verdict. */
	f = flow4("198.51.100.2");
	f.cache = cache;
	ticket_resumption(&s, 0xa1);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.unknown_resumption");

	/* TLS 1.3: the ticket was issued encrypted, so a PSK resumption is
	 * never linked, whatever identity it presents. */
	session(&s, "good.test", NULL);
	s.version = 0x0304;
	s.suite = 0x1301;
	s.client_hello[0].n_psk_hashes = 1;
	memset(s.client_hello[0].psk_identity_hash[0], 0xa1, TLS_TICKET_HASH_LEN);
	s.resumption = TLS_RESUME_PSK;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.unknown_resumption");
	cr_assert_str_eq(st.failures[0].observed, "PSK resumption, session not seen");
	sessioncache_free(cache);
}

Test(policy, tls13_hidden_certificate)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", NULL);
	s.version = 0x0304;
	s.suite = 0x1302;
	s.events &= ~(unsigned)(TLS_EV_CERTIFICATE | TLS_EV_SERVER_KX);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.certificate.tls13_hidden");
	cr_assert_eq(st.action, POLICY_ACTION_ALERT);
}

/* A TLS 1.3 session as tls.c leaves it once the key log or a probe showed
 * its chain (keys, cert_source) or failed to (keys TLS_KEYS_FAILED). */
static void tls13(struct tls_session *s, const char *leaf, uint8_t keys, uint8_t source)
{
	session(s, "good.test", leaf);
	s->version = 0x0304;
	s->suite = 0x1302;
	s->server_kx = false;
	s->keys = keys;
	s->cert_source = source;
	if (!leaf)
		s->events &= ~(unsigned)TLS_EV_CERTIFICATE;
}

Test(policy, tls13_certificates_shown_by_keylog_or_probe_are_judged)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	tls13(&s, "good.crt", TLS_KEYS_DECRYPTING, TLS_CERTS_KEYLOG);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	tls13(&s, "expired.crt", TLS_KEYS_DECRYPTING, TLS_CERTS_KEYLOG);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.certificate.expired");
	tls13(&s, "expired.crt", TLS_KEYS_NONE, TLS_CERTS_PROBE);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.certificate.expired");
}

Test(policy, tls13_keys_that_did_not_decrypt_leave_the_certificate_hidden)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	tls13(&s, NULL, TLS_KEYS_FAILED, TLS_CERTS_HANDSHAKE);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "strict.certificate.tls13_hidden");
}

/* What a probe can tell of client authentication in TLS 1.3: whether the
 * server demands a certificate; the client's own stays encrypted. */
Test(policy, tls13_probe_of_a_sensitive_server_checks_it_asks_for_a_client_certificate)
{
	struct policy_flow f = flow4("10.9.1.1");
	struct policy_state st;
	struct tls_session s;

	tls13(&s, "good.crt", TLS_KEYS_NONE, TLS_CERTS_PROBE);
	s.cert_request = true;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "");
	tls13(&s, "good.crt", TLS_KEYS_NONE, TLS_CERTS_PROBE);
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)), "sensitive.client_certificate.missing");
	cr_assert_str_eq(st.failures[0].observed, "server did not request a client certificate");
}

Test(policy, anomalies_and_every_failure_kept)
{
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	session(&s, "good.test", "expired.crt");
	s.version = 0x0302;
	s.suite = 0x000a;
	s.heartbeat = true;
	memset(s.client_hello[0].random, 0, 32);
	s.client_hello[0].compression_offered = true;
	cr_assert_str_eq(judge(&f, &s, &st, time(NULL)),
			 "strict.anomaly.compression strict.anomaly.weak_random strict.version "
			 "strict.cipher_suite strict.certificate.expired strict.anomaly.heartbeat");
	cr_assert_eq(st.action, POLICY_ACTION_REJECT);
	cr_assert_str_eq(pol->rules[st.failures[st.strongest].rule].id, "strict.anomaly.compression");
}

Test(policy, alert_header_and_json)
{
	struct policy_state st;
	struct policy_alert a;
	struct buf b = { 0 };
	struct json j;

	judge_leaf("198.51.100.1", "good.test", "rsa1024.crt", time(NULL), &st);
	cr_assert(policy_alert_header(pol, &st, &a));
	cr_assert_eq(a.signature_id, POLICY_SID_BASE + POLICY_CHK_CERT_WEAK_KEY);
	cr_assert_str_eq(a.signature, "certificate key too small");
	cr_assert_str_eq(a.action, "blocked");
	cr_assert_str_eq(a.category, "certificate");
	json_init(&j, &b);
	policy_state_to_json(pol, &st, &j);
	cr_assert_str_eq(buf_cstr(&b),
			 "{\"zone\":\"default\",\"profile\":\"strict\",\"verdict\":\"drop\",\"final\":true,"
			 "\"failed\":[{\"rule\":\"strict.certificate.weak_key\",\"sid\":2310011,"
			 "\"check\":\"certificate.weak_key\",\"message\":\"certificate key too small\","
			 "\"severity\":2,\"action\":\"drop\",\"observed\":\"RSA 1024 bits\","
			 "\"required\":\"RSA >= 2048 bits, EC >= 0 bits\"}]}");
	buf_free(&b);
	judge_leaf("198.51.100.1", "good.test", "good.crt", time(NULL), &st);
	cr_assert_not(policy_alert_header(pol, &st, &a));
}

/* The file's names and messages are escaped once at load: what an alert
 * writes of them is valid JSON whatever they hold. */
Test(policy, file_texts_escaped_in_alerts)
{
	struct policy_error err;
	const char *y = "version: 1\nprofiles:\n  'p\"1':\n    anomalies:\n"
			"      not_tls: {action: drop, id: 'a\\b\"c', message: \"say \\\"no\\\"\\ttab \\u00e9\"}\n"
			"zones:\n  - {name: 'z\"one', profile: 'p\"1'}\n";
	struct policy *p = rules_load_buffer("t.yaml", y, strlen(y), ".", 0, &err);
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct policy_alert a;
	struct tls_session s;
	struct buf b = { 0 };
	struct json j;

	cr_assert_not_null(p, "%s", err.message);
	memset(&s, 0, sizeof(s));
	s.not_tls = true;
	cr_assert_eq(policy_evaluate(p, &f, &s, TLS_EV_NOT_TLS, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert(policy_alert_header(p, &st, &a));
	cr_assert_str_eq(a.signature, "say \"no\"\ttab \xc3\xa9");
	cr_assert_eq(a.alert_json_len, strlen(a.alert_json));
	cr_assert_str_eq(a.alert_json, "\"gid\":1,\"signature_id\":2310035,\"rev\":1,"
					"\"signature\":\"say \\\"no\\\"\\ttab \xc3\xa9\","
					"\"category\":\"anomaly\"");
	json_init(&j, &b);
	policy_state_to_json(p, &st, &j);
	cr_assert_str_eq(buf_cstr(&b),
			 "{\"zone\":\"z\\\"one\",\"profile\":\"p\\\"1\",\"verdict\":\"drop\",\"final\":true,"
			 "\"failed\":[{\"rule\":\"a\\\\b\\\"c\",\"sid\":2310035,\"check\":\"anomaly.not_tls\","
			 "\"message\":\"say \\\"no\\\"\\ttab \xc3\xa9\",\"severity\":2,\"action\":\"drop\","
			 "\"observed\":\"non-TLS bytes to port 443\",\"required\":\"not present\"}]}");
	buf_free(&b);
	policy_free(p);
}

Test(policy, not_tls)
{
	struct policy_error err;
	const char *y = "version: 1\nprofiles:\n  p: {anomalies: {not_tls: drop}}\n"
			"zones:\n  - {name: d, profile: p, tls_ports: [443, 6514]}\n";
	struct policy *p = rules_load_buffer("t.yaml", y, strlen(y), ".", 0, &err);
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct tls_session s;

	cr_assert_not_null(p, "%s", err.message);
	memset(&s, 0, sizeof(s));
	s.not_tls = true;
	cr_assert_eq(policy_evaluate(p, &f, &s, TLS_EV_NOT_TLS, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert(st.final);
	memset(&st, 0, sizeof(st));
	f.server_port = 80;
	cr_assert_eq(policy_evaluate(p, &f, &s, TLS_EV_NOT_TLS, &st, time(NULL)), POLICY_ACTION_NONE);
	policy_free(p);
}

Test(policy, presets_judge_as_their_guidelines_say)
{
	struct policy_error err;
	struct policy *modern = policy_load("rules/mozilla-modern.yaml", &err);
	struct policy *inter = policy_load("rules/mozilla-intermediate.yaml", &err);
	struct policy *audit = policy_load("rules/audit-channel.yaml", &err);
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st;
	struct tls_session s;

	cr_assert(modern && inter && audit);
	session(&s, NULL, NULL);
	s.events = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO;
	memset(&st, 0, sizeof(st));
	cr_assert_eq(policy_evaluate(modern, &f, &s, 0, &st, time(NULL)), POLICY_ACTION_DROP,
		     "modern: TLS 1.3 only");
	memset(&st, 0, sizeof(st));
	cr_assert_eq(policy_evaluate(inter, &f, &s, 0, &st, time(NULL)), POLICY_ACTION_NONE,
		     "intermediate: ECDHE-RSA-AES128-GCM over TLS 1.2");
	s.suite = 0xc013;                         /* ECDHE-RSA-AES128-SHA (CBC) */
	memset(&st, 0, sizeof(st));
	cr_assert_eq(policy_evaluate(inter, &f, &s, 0, &st, time(NULL)), POLICY_ACTION_DROP);
	/* audit channel: TLS 1.2 without a client certificate on 6514. */
	s.suite = 0xc02f;
	f.server_port = 6514;
	s.events |= TLS_EV_SERVER_DONE;
	memset(&st, 0, sizeof(st));
	cr_assert_eq(policy_evaluate(audit, &f, &s, 0, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert_str_eq(audit->rules[st.failures[0].rule].id,
			 "audit-channel.certificate.missing");
	policy_free(modern);
	policy_free(inter);
	policy_free(audit);
}

static void alpn(struct tls_client_hello *ch, const char *id)
{
	struct tls_alpn_list *a = &ch->alpn;
	size_t n = strlen(id);

	a->id[a->n].off = a->used;
	a->id[a->n].len = (uint8_t)n;
	memcpy(a->buf + a->used, id, n);
	a->used += (uint16_t)n;
	a->n++;
}

/* QUIC: the same checks on its hellos, the ALPN judged on what the client
 * offers (the server's choice is encrypted), and `quic: drop | allow`. */
Test(policy, quic_judge_drop_allow_and_offered_alpn)
{
	static const char y[] =
		"version: 1\n"
		"profiles:\n"
		"  web: {action: drop, alpn: {allow: [h2]}, sni: {deny: [x.test]}}\n"
		"  noquic: {quic: drop}\n"
		"  open: {quic: allow, sni: {deny: [x.test]}}\n"
		"zones:\n"
		"  - {name: nq, profile: noquic, match: {ports: [8443]}}\n"
		"  - {name: open, profile: open, match: {ports: [9443]}}\n"
		"  - {name: web, profile: web}\n";
	static const char bad[] = "version: 1\nprofiles:\n  p: {quic: maybe}\nzones:\n"
				  "  - {name: z, profile: p}\n";
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_error err;
	struct policy_state st;
	struct tls_session s;
	struct policy *p = rules_load_buffer("quic.yaml", y, strlen(y), ".", 0, &err);
	struct policy *keep = pol;

	cr_assert_not_null(p, "%s", err.message);
	pol = p;
	session(&s, "ok.test", NULL);
	s.quic = true;
	alpn(&s.client_hello[0], "h3");
	s.events = TLS_EV_CLIENT_HELLO;
	memset(&st, 0, sizeof(st));
	cr_expect_eq(policy_evaluate(p, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL)),
		     POLICY_ACTION_DROP, "no offered protocol allowed: decided at the ClientHello");
	cr_assert_eq(st.n_failures, 1);
	cr_expect_str_eq(p->rules[st.failures[0].rule].id, "web.alpn.not_allowed");
	cr_expect_str_eq(st.failures[0].observed, "QUIC ALPN offered: h3");

	session(&s, "ok.test", NULL);
	s.quic = true;
	alpn(&s.client_hello[0], "h3");
	alpn(&s.client_hello[0], "h2");
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "", "h2 offered: the server may pick it");
	s.quic = false;
	s.client_hello[0].alpn.n = 0;
	alpn(&s.client_hello[0], "h3");
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "",
			 "over TCP the server's choice is judged (none visible here)");

	f.server_port = 8443;
	session(&s, "ok.test", NULL);
	s.quic = true;
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "noquic.quic");
	cr_expect_eq(st.action, POLICY_ACTION_DROP);
	cr_expect_eq(p->rules[st.failures[0].rule].sid, POLICY_SID_BASE + POLICY_CHK_QUIC);
	s.quic = false;
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "", "TLS over TCP is what drop leaves");

	f.server_port = 9443;
	session(&s, "x.test", NULL);
	s.quic = true;
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "", "quic: allow judges nothing");
	s.quic = false;
	cr_expect_str_eq(judge(&f, &s, &st, time(NULL)), "open.sni.denied");

	pol = keep;
	policy_free(p);
	cr_expect_null(rules_load_buffer("bad.yaml", bad, strlen(bad), ".", 0, &err));
	cr_expect(strstr(err.message, "quic must be judge, drop or allow"), "%s", err.message);
}

/* starttls: required. Facts of the clear-text exchange are judged as they
 * come (PRETLS_EV_FACTS), before any ClientHello. */
static const char starttls_yaml[] =
	"version: 1\n"
	"profiles:\n"
	"  mail: {action: drop, starttls: required}\n"
	"  web: {action: alert}\n"
	"zones:\n"
	"  - {name: mail, profile: mail, match: {ports: [25, 110]}}\n"
	"  - {name: web, profile: web}\n";

static enum policy_action judge_pre(const struct policy *p, struct policy_flow *f,
				    const struct pretls *pre, struct policy_state *st)
{
	struct tls_session s;

	memset(&s, 0, sizeof(s));
	memset(st, 0, sizeof(*st));
	f->pre = pre;
	return policy_evaluate(p, f, &s, PRETLS_EV_FACTS, st, time(NULL));
}

Test(policy, starttls_stripped_and_cleartext_credentials)
{
	struct policy_error err;
	struct policy *p = rules_load_buffer("st.yaml", starttls_yaml, strlen(starttls_yaml), ".",
					     0, &err);
	struct sessioncache *cache = sessioncache_new(1 << 16);
	struct policy_flow f = flow4("198.51.100.25"), other = flow4("198.51.100.26");
	struct pretls pre = { .proto = PRETLS_SMTP, .caps_seen = true, .offered = false };
	struct policy_state st;

	cr_assert_not_null(p);
	f.server_port = other.server_port = 25;
	f.cache = other.cache = cache;
	/* Never offered: nothing to strip. */
	cr_assert_eq(judge_pre(p, &f, &pre, &st), POLICY_ACTION_NONE);
	cr_assert_eq(st.zone, 1, "the zone is chosen before the ClientHello");
	/* Offered once, then listed without it: stripped, the profile's drop. */
	pre.offered = true;
	cr_assert_eq(judge_pre(p, &f, &pre, &st), POLICY_ACTION_NONE);
	pre.offered = false;
	cr_assert_eq(judge_pre(p, &f, &pre, &st), POLICY_ACTION_DROP);
	cr_assert_str_eq(p->rules[st.failures[0].rule].id, "mail.starttls.stripped");
	/* Another server's offer says nothing about this one. */
	cr_assert_eq(judge_pre(p, &other, &pre, &st), POLICY_ACTION_NONE);
	/* A password before TLS. */
	pre = (struct pretls){ .proto = PRETLS_POP3, .cleartext_credentials = true };
	f.server_port = 110;
	cr_assert_eq(judge_pre(p, &f, &pre, &st), POLICY_ACTION_DROP);
	cr_assert_str_eq(p->rules[st.failures[0].rule].id, "mail.starttls.cleartext_credentials");
	/* A zone whose profile does not judge STARTTLS waits for the ClientHello. */
	f.server_port = 587;
	cr_assert_eq(judge_pre(p, &f, &pre, &st), POLICY_ACTION_NONE);
	cr_assert_eq(st.zone, 0);
	sessioncache_free(cache);
	policy_free(p);
}

Test(policy, starttls_key_is_checked)
{
	static const char bad[] = "version: 1\nprofiles:\n  m: {starttls: always}\n"
				  "zones:\n  - {name: d, profile: m}\n";
	struct policy_error err;

	cr_assert_null(rules_load_buffer("bad.yaml", bad, strlen(bad), ".", 0, &err));
	cr_assert(strstr(err.message, "starttls must be required or optional"), "%s", err.message);
	cr_assert_eq(err.line, 3);
}

/* tls13_certificates: probe. The judging waits for the probe: nothing of
 * the certificate is judged (or hidden) and nothing ends the judging until
 * the caller adopts the probed chain or reports the probe's failure. */
static const char probe_fmt[] =
	"version: 1\n"
	"profiles:\n"
	"  probing:\n"
	"    action: reject\n"
	"    certificate: {ca_file: %1$s/root.crt, match_sni: false}\n"
	"    tls13_certificates: probe\n"
	"    on_probe_failure: drop\n"
	"zones:\n"
	"  - {name: quiet, profile: probing, probe: false, match: {dst: [10.7.0.0/16]}}\n"
	"  - {name: all, profile: probing}\n";

static struct policy *probe_policy(void)
{
	char yaml[sizeof(probe_fmt) + 600];
	struct policy_error err;
	struct policy *p;

	snprintf(yaml, sizeof(yaml), probe_fmt, testpki_dir());
	p = rules_load_buffer("probe.yaml", yaml, strlen(yaml), ".", 0, &err);
	cr_assert_not_null(p, "%s", err.message);
	return p;
}

/* A TLS 1.3 ClientHello, then (server) its ServerHello and encrypted flight. */
static void probed_hello(struct tls_session *s, bool server)
{
	session(s, "good.test", NULL);
	s->client_hello[0].n_versions = 1;
	s->client_hello[0].versions[0] = 0x0304;
	s->server_kx = false;
	s->events = TLS_EV_CLIENT_HELLO;
	if (server) {
		s->version = 0x0304;
		s->suite = 0x1302;
		s->events |= TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED;
	}
}

Test(policy, tls13_probe_waits_for_the_chain_then_judges_it)
{
	struct policy *p = probe_policy();
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct tls_session s;

	probed_hello(&s, false);
	policy_evaluate(p, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL));
	cr_assert(policy_wants_probe(p, &f, &s, &st));
	cr_assert_not(policy_wants_probe(p, &f, &s, &st), "asked once");
	probed_hello(&s, true);
	cr_assert_eq(policy_evaluate(p, &f, &s, s.events, &st, time(NULL)), POLICY_ACTION_NONE);
	cr_assert(st.probe_due && !st.final && st.n_failures == 0,
		  "the flight waits: nothing hidden, nothing missing, not final");
	certs[n_certs] = testpki_cert("expired.crt");
	s.server_chain.cert[0] = certs[n_certs++];
	s.server_chain.n = 1;
	s.cert_source = TLS_CERTS_PROBE;
	st.probe = POLICY_PROBE_DONE;
	st.probe_due = false;
	cr_assert_eq(policy_evaluate(p, &f, &s, TLS_EV_CERTIFICATE, &st, time(NULL)),
		     POLICY_ACTION_REJECT);
	cr_assert(st.final);
	cr_assert_str_eq(p->rules[st.failures[0].rule].id, "probing.certificate.expired");
	policy_free(p);
}

Test(policy, tls13_probe_failure_follows_on_probe_failure)
{
	struct policy *p = probe_policy();
	struct policy_flow f = flow4("198.51.100.1");
	struct policy_state st = { 0 };
	struct tls_session s;

	probed_hello(&s, false);
	policy_evaluate(p, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL));
	cr_assert(policy_wants_probe(p, &f, &s, &st));
	probed_hello(&s, true);
	policy_evaluate(p, &f, &s, s.events, &st, time(NULL));
	cr_assert_eq(policy_probe_failed(p, &f, &s, &st, "refused: connect: Connection refused",
					 time(NULL)), POLICY_ACTION_DROP);
	cr_assert(st.final && st.n_failures == 1);
	cr_assert_str_eq(p->rules[st.failures[0].rule].id, "probing.certificate.probe_failed");
	cr_assert_str_eq(st.failures[0].observed, "refused: connect: Connection refused");

	/* A flow that ends while it waits: its client never had the flight. */
	memset(&st, 0, sizeof(st));
	probed_hello(&s, false);
	policy_evaluate(p, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL));
	cr_assert(policy_wants_probe(p, &f, &s, &st));
	probed_hello(&s, true);
	policy_evaluate(p, &f, &s, s.events, &st, time(NULL));
	cr_assert_eq(policy_finish(p, &f, &s, &st, time(NULL)), POLICY_ACTION_NONE);
	cr_assert(st.final && st.n_failures == 0);

	/* A zone with probe: false is never probed: the failure policy judges. */
	f = flow4("10.7.0.1");
	memset(&st, 0, sizeof(st));
	probed_hello(&s, false);
	policy_evaluate(p, &f, &s, TLS_EV_CLIENT_HELLO, &st, time(NULL));
	cr_assert_not(policy_wants_probe(p, &f, &s, &st));
	probed_hello(&s, true);
	cr_assert_eq(policy_evaluate(p, &f, &s, s.events, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert_str_eq(st.failures[0].observed, "probing is off in this zone");
	policy_free(p);
}

/* Google QUIC: no TLS hello, the CHLO's facts in policy_flow.gquic. Its
 * SNI picks the zone and meets the lists at the CHLO itself (inline, the
 * first datagram is the one dropped), `quic: drop` applies, and a profile
 * listing TLS versions refuses QUIC Crypto. */
Test(policy, gquic_chlo_judged_at_once)
{
	static const char y[] =
		"version: 1\n"
		"profiles:\n"
		"  web: {action: drop, sni: {deny: [x.test]}}\n"
		"  tls: {action: drop, versions: {min: TLS1.2}}\n"
		"  noquic: {quic: drop}\n"
		"zones:\n"
		"  - {name: tls, profile: tls, match: {sni: [strict.test]}}\n"
		"  - {name: nq, profile: noquic, match: {ports: [8443]}}\n"
		"  - {name: web, profile: web}\n";
	struct policy_flow f = flow4("198.51.100.1");
	struct gquic_facts g = { .version = 0x51303433u, .n_hellos = 1, .has_sni = true };
	struct policy_error err;
	struct policy_state st;
	struct tls_session s;
	struct policy *p = rules_load_buffer("gquic.yaml", y, strlen(y), ".", 0, &err);

	cr_assert_not_null(p, "%s", err.message);
	memset(&s, 0, sizeof(s));
	f.gquic = &g;
	strcpy(g.sni, "x.test");
	memset(&st, 0, sizeof(st));
	cr_expect_eq(policy_evaluate(p, &f, &s, QUIC_EV_GQUIC_HELLO, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert_eq(st.n_failures, 1);
	cr_expect_str_eq(p->rules[st.failures[0].rule].id, "web.sni.denied");
	cr_expect_str_eq(st.failures[0].observed, "SNI x.test");

	strcpy(g.sni, "ok.test");
	memset(&st, 0, sizeof(st));
	cr_expect_eq(policy_evaluate(p, &f, &s, QUIC_EV_GQUIC_HELLO, &st, time(NULL)), POLICY_ACTION_NONE);
	cr_expect_eq(st.n_failures, 0);

	strcpy(g.sni, "strict.test");
	memset(&st, 0, sizeof(st));
	cr_expect_eq(policy_evaluate(p, &f, &s, QUIC_EV_GQUIC_HELLO, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_assert_eq(st.n_failures, 1);
	cr_expect_str_eq(st.failures[0].observed, "Google QUIC Q043 (QUIC Crypto, not TLS)");

	f.server_port = 8443;
	strcpy(g.sni, "ok.test");
	memset(&st, 0, sizeof(st));
	cr_expect_eq(policy_evaluate(p, &f, &s, QUIC_EV_GQUIC_HELLO, &st, time(NULL)), POLICY_ACTION_DROP);
	cr_expect_str_eq(p->rules[st.failures[0].rule].id, "noquic.quic");
	policy_free(p);
}
