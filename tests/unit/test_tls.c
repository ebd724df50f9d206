/*
 * tls: the handshake parser fed directly (tls_feed), on real flights from
 * corpus captures (tlsbuild.h) and on crafted records.
 *
 * Each real handshake is checked four ways: as captured, in 1-byte chunks,
 * with every plaintext handshake message cut into 1-byte records, and with
 * all of a flight's plaintext handshake messages in one record. The facts
 * and the milestones (each once, in the flight that completes it) must be
 * the same every way.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "net/anomaly.h"
#include "buf.h"
#include "tls/tls.h"
#include "tlsbuild.h"
#include "x509/x509.h"

#define BIT(a) (1ULL << ANOM_##a)
#define MAX_FLIGHTS 8

enum mode { WHOLE, BYTES, REC1, MERGE, N_MODES };
static const char *mode_name[N_MODES] = { "whole", "1-byte chunks", "1-byte records",
					  "one record" };

static struct x509_cache *cache;
static struct tls_session S;
static uint64_t anoms;      /* every anomaly taken so far */
static unsigned seen;       /* every milestone returned so far */

static void setup(void)
{
	cache = x509_cache_new(64);
	cr_assert_not_null(cache);
	tls_session_init(&S, cache);
	anoms = 0;
	seen = 0;
}

static void teardown(void)
{
	tls_session_free(&S);
	x509_cache_free(cache);
}

TestSuite(tls, .init = setup, .fini = teardown);

/* Feeds bytes in one call (or one byte per call) and returns the union of
 * the milestones; fails if a milestone is reported twice. */
static unsigned feed(enum tls_dir dir, const void *p, size_t len, bool bytewise)
{
	const uint8_t *b = p;
	unsigned ev = 0, e;
	size_t i;

	for (i = 0; i < len; i += bytewise ? 1 : len) {
		e = tls_feed(&S, dir, b + i, bytewise ? 1 : len);
		cr_assert_eq(e & seen, 0, "milestone %#x reported twice", e & seen);
		cr_assert_eq(e & ~(unsigned)S.events, 0, "returned events not recorded");
		seen |= e;
		ev |= e;
	}
	anoms |= tls_take_anomalies(&S);
	return ev;
}

static unsigned feed_buf(enum tls_dir dir, const struct buf *b)
{
	cr_assert_not(b->oom);
	return feed(dir, b->data, b->len, false);
}

/*
 * Rewrites a flight's records: REC1 cuts each plaintext handshake record
 * into records of one byte, MERGE joins consecutive plaintext handshake
 * records into one. Handshake records after a ChangeCipherSpec are
 * ciphertext in TLS <= 1.2 and are left alone (tls13: the CCS is a no-op).
 */
static void refragment(struct buf *out, const struct tb_flight *f, enum mode m, bool tls13,
		       bool ccs[2])
{
	struct buf held;
	size_t i = 0, len;
	uint16_t held_ver = 0;

	memset(&held, 0, sizeof(held));
	if (f->len && (f->p[0] & 0x80)) {
		buf_put(out, f->p, f->len); /* SSLv2 format: one record, kept */
		return;
	}
	while (i + 5 <= f->len) {
		uint8_t type = f->p[i];
		uint16_t ver = (uint16_t)(f->p[i + 1] << 8 | f->p[i + 2]);
		const uint8_t *body = f->p + i + 5;
		bool plain_hs;

		len = (size_t)(f->p[i + 3] << 8 | f->p[i + 4]);
		cr_assert_leq(i + 5 + len, f->len, "flight cut inside a record");
		plain_hs = type == 22 && (tls13 || !ccs[f->dir]);
		if (type == 20)
			ccs[f->dir] = true;
		if (plain_hs && m == REC1) {
			tb_wrap(out, 22, ver, body, len, 1);
		} else if (plain_hs && m == MERGE) {
			if (!held.len)
				held_ver = ver;
			buf_put(&held, body, len);
		} else {
			if (held.len) {
				tb_wrap(out, 22, held_ver, held.data, held.len, 0);
				buf_reset(&held);
			}
			tb_record(out, type, ver, body, len);
		}
		i += 5 + len;
	}
	cr_assert_eq(i, f->len);
	if (held.len)
		tb_wrap(out, 22, held_ver, held.data, held.len, 0);
	cr_assert_not(out->oom);
	buf_free(&held);
}

/* Feeds flights in mode m; ev[i] gets the milestones of flight i. */
static void run(const struct tb_flight *f, size_t n, enum mode m, bool tls13, unsigned *ev)
{
	bool ccs[2] = { false, false };
	struct buf b;
	size_t i;

	cr_assert_leq(n, MAX_FLIGHTS);
	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		if (m == REC1 || m == MERGE)
			refragment(&b, &f[i], m, tls13, ccs);
		else
			buf_put(&b, f[i].p, f[i].len);
		cr_assert_not(b.oom);
		ev[i] = feed(f[i].dir ? TLS_TO_CLIENT : TLS_TO_SERVER, b.data, b.len, m == BYTES);
	}
	buf_free(&b);
}

/* Runs the flights in every mode on a fresh session, calling check() on
 * each outcome. */
static void every_mode(const struct tb_flight *f, size_t n, bool tls13, const unsigned *want,
		       void (*check)(void))
{
	unsigned ev[MAX_FLIGHTS];
	int m;
	size_t i;

	for (m = 0; m < N_MODES; m++) {
		tls_session_free(&S);
		tls_session_init(&S, cache);
		anoms = 0;
		seen = 0;
		run(f, n, (enum mode)m, tls13, ev);
		for (i = 0; i < n; i++)
			cr_assert_eq(ev[i], want[i], "%s: flight %zu gave %#x, want %#x",
				     mode_name[m], i, ev[i], want[i]);
		check();
	}
}

static void u16s_are(const uint16_t *got, size_t n, const uint16_t *want, size_t wn,
		     const char *what)
{
	size_t i;

	cr_assert_eq(n, wn, "%s: %zu entries, want %zu", what, n, wn);
	for (i = 0; i < n; i++)
		cr_assert_eq(got[i], want[i], "%s[%zu] = %#x, want %#x", what, i, got[i], want[i]);
}

#define U16S(got, n, ...)                                                              \
	do {                                                                           \
		static const uint16_t w_[] = { __VA_ARGS__ };                          \
		u16s_are(got, n, w_, sizeof(w_) / sizeof(w_[0]), #got);                 \
	} while (0)

static void alpn_is(const struct tls_alpn_list *a, unsigned i, const char *want)
{
	cr_assert_gt(a->n, i);
	cr_assert_eq(a->id[i].len, strlen(want));
	cr_assert_eq(memcmp(a->buf + a->id[i].off, want, strlen(want)), 0, "alpn %u", i);
}

static void msgs_are(const uint8_t *dirs, const uint8_t *types, size_t n)
{
	size_t i;

	cr_assert_eq(S.n_msgs, n, "%u messages, want %zu", S.n_msgs, n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(S.msgs[i].dir, dirs[i], "msg %zu dir", i);
		cr_assert_eq(S.msgs[i].type, types[i], "msg %zu type %#x want %#x", i,
			     S.msgs[i].type, types[i]);
	}
}

/* ---- TLS 1.2, full handshake, certificate chain (a14) ------------------ */

static void check_t12(void)
{
	const struct tls_client_hello *ch = &S.client_hello[0];
	const struct tls_server_hello *sh = &S.server_hello[0];
	static const uint8_t dirs[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1 };
	static const uint8_t types[] = { 1, 2, 11, 12, 14, 16, TLS_MSG_CCS, TLS_MSG_ENCRYPTED,
					 4, TLS_MSG_CCS, TLS_MSG_ENCRYPTED };

	cr_assert_eq(anoms, 0, "anomalies %#llx", (unsigned long long)anoms);
	cr_assert(S.is_tls);
	cr_assert_not(S.not_tls);
	cr_assert_eq(S.n_client_hellos, 1);
	cr_assert_not(ch->sslv2_format);
	cr_assert_eq(ch->record_version, 0x0301);
	cr_assert_eq(ch->legacy_version, 0x0303);
	cr_assert_eq(ch->session_id_len, 0);
	cr_assert_eq(ch->length, 0xcf);
	U16S(ch->suites, ch->n_suites, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b,
	     0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014,
	     0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
	     0x00ff);
	cr_assert(ch->renegotiation_info, "SCSV 0x00ff");
	cr_assert_not(ch->fallback_scsv);
	cr_assert_eq(ch->n_compressions, 1);
	cr_assert_not(ch->compression_offered);
	U16S(ch->exts, ch->n_exts, 0, 11, 10, 35, 22, 23, 13);
	cr_assert(ch->has_sni);
	cr_assert_str_eq(ch->sni, "www.alpha-corp.test");
	cr_assert_eq(ch->alpn.n, 0);
	U16S(ch->groups, ch->n_groups, 0x001d, 0x0017, 0x001e, 0x0019, 0x0018);
	cr_assert_eq(ch->n_point_formats, 3);
	cr_assert_eq(ch->point_formats[2], 2);
	U16S(ch->sigalgs, ch->n_sigalgs, 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
	     0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302,
	     0x0402, 0x0502, 0x0602);
	cr_assert_eq(ch->n_versions, 0);
	cr_assert_eq(ch->n_key_shares, 0);
	cr_assert(ch->has_session_ticket);
	cr_assert_eq(ch->session_ticket_len, 0);
	cr_assert(ch->extended_master_secret);
	cr_assert_not(ch->has_psk);
	cr_assert_not(ch->ech);

	cr_assert_eq(S.n_server_hellos, 1);
	cr_assert_not(sh->is_hrr);
	cr_assert_eq(sh->legacy_version, 0x0303);
	cr_assert_eq(sh->selected_version, 0);
	cr_assert_eq(sh->suite, 0xc030);
	cr_assert_eq(sh->session_id_len, 0);
	U16S(sh->exts, sh->n_exts, 0xff01, 11, 35, 23);
	cr_assert(sh->renegotiation_info);
	cr_assert(sh->has_session_ticket);
	cr_assert(sh->extended_master_secret);
	/* OpenSSL 3 can do TLS 1.3; the client offered at most 1.2. */
	cr_assert(sh->downgrade_tls12, "random ends in DOWNGRD 01");
	cr_assert_not(sh->downgrade_tls11);

	cr_assert_eq(S.version, 0x0303);
	cr_assert_eq(S.suite, 0xc030);
	cr_assert_eq(S.server_chain.n, 2);
	cr_assert_not_null(strstr(S.server_chain.cert[0]->subject, "CN=www.alpha-corp.test"),
			   "%s", S.server_chain.cert[0]->subject);
	cr_assert_eq(S.server_chain.cert[0]->der_len, 1022);
	cr_assert_eq(S.server_chain.cert[1]->der_len, 1166);
	cr_assert_not_null(strstr(S.server_chain.cert[1]->subject, "Issuing CA R2"));
	cr_assert_eq(S.client_chain.n, 0);
	cr_assert(S.server_kx);
	cr_assert_eq(S.kx_group, 0x001d);
	cr_assert(S.server_hello_done);
	cr_assert_not(S.cert_request);
	cr_assert(S.ccs[0] && S.ccs[1]);
	cr_assert(S.finished[0] && S.finished[1]);
	cr_assert(S.encrypted[0] && S.encrypted[1]);
	cr_assert_not(S.renegotiation);
	cr_assert_eq(S.resumption, TLS_RESUME_NONE);
	cr_assert_eq(S.n_alerts, 0);
	cr_assert(S.done);
	msgs_are(dirs, types, sizeof(types));
}

Test(tls, tls12_full_handshake_every_split)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_CERTIFICATE | TLS_EV_SERVER_KX | TLS_EV_SERVER_DONE,
		0,
		TLS_EV_ENCRYPTED | TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(T12, TB_N(T12), false, want, check_t12);
}

Test(tls, nothing_after_done)
{
	unsigned ev[MAX_FLIGHTS];

	run(T12, TB_N(T12), WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false), 0);
	cr_assert_eq(S.n_server_hellos, 1);
	cr_assert_eq(anoms, 0);
}

Test(tls, without_cache_certificates_are_not_parsed)
{
	unsigned ev[MAX_FLIGHTS];

	tls_session_free(&S);
	tls_session_init(&S, NULL);
	run(T12, 2, WHOLE, false, ev);
	cr_assert_eq(ev[1] & TLS_EV_CERTIFICATE, TLS_EV_CERTIFICATE);
	cr_assert_eq(S.server_chain.n, 0);
	cr_assert_not(S.server_chain.empty_message);
	cr_assert_eq(anoms, 0);
}

/* ---- TLS 1.3 (a01) ------------------------------------------------------ */

static void check_t13(void)
{
	const struct tls_client_hello *ch = &S.client_hello[0];
	const struct tls_server_hello *sh = &S.server_hello[0];
	static const uint8_t dirs[] = { 0, 1, 1, 1, 0, 0 };
	static const uint8_t types[] = { 1, 2, TLS_MSG_CCS, TLS_MSG_APPDATA, TLS_MSG_CCS,
					 TLS_MSG_APPDATA };

	cr_assert_eq(anoms, 0, "anomalies %#llx", (unsigned long long)anoms);
	cr_assert_eq(ch->session_id_len, 32);
	U16S(ch->suites, ch->n_suites, 0x1302, 0x1303, 0x1301, 0x00ff);
	U16S(ch->exts, ch->n_exts, 0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51);
	cr_assert_str_eq(ch->sni, "www.alpha-corp.test");
	cr_assert_eq(ch->alpn.n, 2);
	alpn_is(&ch->alpn, 0, "h2");
	alpn_is(&ch->alpn, 1, "http/1.1");
	U16S(ch->groups, ch->n_groups, 0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101,
	     0x0102, 0x0103, 0x0104);
	U16S(ch->key_shares, ch->n_key_shares, 0x001d);
	U16S(ch->versions, ch->n_versions, 0x0304);
	cr_assert_eq(ch->psk_modes, 2, "psk_dhe_ke only");
	cr_assert_eq(ch->n_sigalgs, 14);

	cr_assert_eq(sh->legacy_version, 0x0303);
	cr_assert_eq(sh->selected_version, 0x0304);
	cr_assert_eq(sh->suite, 0x1302);
	cr_assert_eq(sh->session_id_len, 32);
	cr_assert_eq(memcmp(sh->session_id, ch->session_id, 32), 0);
	U16S(sh->exts, sh->n_exts, 43, 51);
	cr_assert_eq(sh->key_share, 0x001d);
	cr_assert_not(sh->has_alpn, "ALPN is in EncryptedExtensions");
	cr_assert_not(sh->is_hrr);

	cr_assert_eq(S.version, 0x0304);
	cr_assert_eq(S.suite, 0x1302);
	cr_assert_eq(S.kx_group, 0x001d);
	cr_assert(S.encrypted[0] && S.encrypted[1]);
	cr_assert_eq(S.server_chain.n, 0, "TLS 1.3 certificates are encrypted");
	cr_assert_eq(S.resumption, TLS_RESUME_NONE, "session id echo is not resumption in 1.3");
	cr_assert(S.done);
	msgs_are(dirs, types, sizeof(types));
}

Test(tls, tls13_every_split)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED,
		TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(T13, TB_N(T13), true, want, check_t13);
}

/* Chromium, post-quantum key share and GREASE, in two segments (a34). */
Test(tls, chromium_pq_client_hello)
{
	const struct tls_client_hello *ch = &S.client_hello[0];
	unsigned ev[1];
	int m;

	for (m = 0; m < N_MODES; m++) {
		tls_session_free(&S);
		tls_session_init(&S, cache);
		seen = 0;
		anoms = 0;
		run(PQ, 1, (enum mode)m, true, ev);
		cr_assert_eq(ev[0], TLS_EV_CLIENT_HELLO, "%s", mode_name[m]);
		cr_assert_eq(anoms, 0);
		cr_assert_str_eq(ch->sni, "cdn.alpha-corp.test");
		U16S(ch->suites, ch->n_suites, 0x7a7a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
		     0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
		     0x0035);
		U16S(ch->exts, ch->n_exts, 27242, 65281, 5, 65037, 16, 11, 51, 23, 51764, 43, 10,
		     18, 13, 45, 17613, 35, 0, 27, 60138);
		U16S(ch->groups, ch->n_groups, 0x9a9a, 0x11ec, 0x001d, 0x0017, 0x0018);
		U16S(ch->key_shares, ch->n_key_shares, 0x9a9a, 0x11ec, 0x001d);
		U16S(ch->versions, ch->n_versions, 0x1a1a, 0x0304, 0x0303);
		cr_assert_eq(ch->n_sigalgs, 12);
		cr_assert(ch->ech);
		cr_assert(ch->status_request);
		cr_assert(ch->renegotiation_info);
		cr_assert(ch->extended_master_secret);
		alpn_is(&ch->alpn, 0, "h2");
		cr_assert_gt(ch->length, 1500, "spans two segments");
	}
}

/* ---- resumption ---------------------------------------------------------- */

static void check_resid(void)
{
	const struct tls_client_hello *ch = &S.client_hello[0];
	const struct tls_server_hello *sh = &S.server_hello[0];

	cr_assert_eq(anoms, 0);
	cr_assert_eq(ch->session_id_len, 32);
	cr_assert_not(ch->has_session_ticket);
	cr_assert_eq(sh->session_id_len, 32);
	cr_assert_eq(memcmp(sh->session_id, ch->session_id, 32), 0);
	cr_assert_eq(S.resumption, TLS_RESUME_SESSION_ID);
	cr_assert_eq(S.server_chain.n, 0);
	cr_assert_not(S.server_kx);
	cr_assert_eq(S.suite, 0xc030);
	cr_assert(S.done);
}

Test(tls, tls12_resumption_by_session_id)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE,
		TLS_EV_ENCRYPTED | TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(RESID, TB_N(RESID), false, want, check_resid);
}

/* SHA-256 of n bytes, for comparing with the parser's ticket hashes. */
static void sha256_is(const uint8_t got[static 32], const void *p, size_t n)
{
	uint8_t want[32];

	cr_assert_eq(EVP_Digest(p, n, want, NULL, EVP_sha256(), NULL), 1);
	cr_assert_eq(memcmp(got, want, 32), 0, "hash of the %zu bytes differs", n);
}

static void check_ticket(void)
{
	static const uint8_t ext_hdr[] = { 0x00, 0x23, 0x00, 0xb0 };
	const struct tls_client_hello *ch = &S.client_hello[0];
	const uint8_t *at = memmem(TICKET_0, sizeof(TICKET_0), ext_hdr, sizeof(ext_hdr));

	cr_assert_eq(anoms, 0);
	cr_assert(ch->has_session_ticket);
	cr_assert_eq(ch->session_ticket_len, 176);
	cr_assert_not_null(at);
	sha256_is(ch->ticket_hash, at + 4, 176);
	cr_assert_eq(S.n_tickets, 0, "the server renewed no ticket");
	cr_assert_str_eq(ch->sni, "shop.alpha-corp.test");
	cr_assert_eq(S.resumption, TLS_RESUME_TICKET);
	cr_assert_eq(S.server_chain.n, 0);
	cr_assert_eq(S.suite, 0xc02c);
	cr_assert(S.done);
}

Test(tls, tls12_resumption_by_ticket)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE,
		TLS_EV_ENCRYPTED | TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(TICKET, TB_N(TICKET), false, want, check_ticket);
}

static void check_psk(void)
{
	const struct tls_client_hello *ch = &S.client_hello[0];

	cr_assert_eq(anoms, 0);
	cr_assert(ch->has_psk);
	cr_assert_eq(ch->psk_identities, 1);
	cr_assert_eq(ch->n_psk_hashes, 1);
	cr_assert_eq(S.server_hello[0].psk_selected, 0);
	cr_assert_eq(S.n_tickets, 0, "TLS 1.3 NewSessionTicket is encrypted");
	cr_assert_eq(ch->psk_modes, 2);
	cr_assert_eq(ch->exts[ch->n_exts - 1], 41, "pre_shared_key comes last");
	cr_assert(S.server_hello[0].has_psk);
	cr_assert_eq(S.version, 0x0304);
	cr_assert_eq(S.resumption, TLS_RESUME_PSK);
	cr_assert(S.done);
}

Test(tls, tls13_resumption_by_psk)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED,
		TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(PSK, TB_N(PSK), true, want, check_psk);
}

/* ---- HelloRetryRequest (a28) ------------------------------------------- */

static void check_hrr(void)
{
	cr_assert_eq(anoms, 0, "a second hello after an HRR is no anomaly: %#llx",
		     (unsigned long long)anoms);
	cr_assert_eq(S.n_client_hellos, 2);
	cr_assert_eq(S.n_server_hellos, 2);
	cr_assert(S.server_hello[0].is_hrr);
	cr_assert_eq(S.server_hello[0].selected_version, 0x0304);
	cr_assert_not(S.server_hello[1].is_hrr);
	U16S(S.client_hello[0].key_shares, S.client_hello[0].n_key_shares, 0x001d);
	U16S(S.client_hello[1].key_shares, S.client_hello[1].n_key_shares, 0x0018);
	cr_assert_str_eq(S.client_hello[1].sni, "shop.alpha-corp.test");
	cr_assert_eq(S.server_hello[1].key_share, 0x0018);
	cr_assert_eq(S.kx_group, 0x0018);
	cr_assert_eq(S.version, 0x0304);
	cr_assert_eq(S.suite, 0x1302);
	cr_assert(S.done);
}

Test(tls, hello_retry_request_every_split)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_HRR,
		0,
		TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED,
		TLS_EV_HANDSHAKE_DONE,
	};

	every_mode(HRR, TB_N(HRR), true, want, check_hrr);
}

Test(tls, ccs_before_second_hello_does_not_encrypt)
{
	unsigned ev[MAX_FLIGHTS];

	run(HRR, 3, WHOLE, true, ev);
	cr_assert(S.ccs[0] && S.ccs[1]);
	cr_assert_not(S.encrypted[0] || S.encrypted[1]);
	cr_assert_eq(S.n_client_hellos, 2);
	cr_assert_eq(S.events & TLS_EV_ENCRYPTED, 0);
}

Test(tls, ccs_before_any_server_hello_does_not_encrypt)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_SERVER, ccs, sizeof(ccs), false), 0);
	cr_assert(S.ccs[0]);
	cr_assert_not(S.encrypted[0]);
	cr_assert_eq(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false) & TLS_EV_SERVER_HELLO,
		     TLS_EV_SERVER_HELLO);
}

/* ---- SSLv2-format ClientHello (a38) ---------------------------------------- */

static void check_sslv2(void)
{
	const struct tls_client_hello *ch = &S.client_hello[0];
	size_t i;

	cr_assert_eq(anoms, BIT(TLS_SSLV2_HELLO), "%#llx", (unsigned long long)anoms);
	cr_assert(ch->sslv2_format);
	cr_assert_eq(ch->record_version, 0x0002);
	cr_assert_eq(ch->legacy_version, 0x0301);
	U16S(ch->suites, ch->n_suites, 0x002f, 0x0035, 0x0005, 0x0004, 0x0033, 0x0039, 0x000a,
	     0x00ff);
	cr_assert(ch->renegotiation_info);
	cr_assert_eq(ch->session_id_len, 0);
	cr_assert_eq(ch->n_exts, 0);
	cr_assert_not(ch->has_sni);
	for (i = 0; i < 16; i++)
		cr_assert_eq(ch->random[i], 0, "challenge is right-aligned");
	for (i = 16; i < 32; i++)
		cr_assert_eq(ch->random[i], 0xa1);
	cr_assert_eq(S.version, 0x0301);
	cr_assert_eq(S.suite, 0x002f);
	cr_assert_eq(S.server_chain.n, 2);
	cr_assert(S.server_hello_done);
	/* The server then gave up with a fatal decode_error (frame 11). */
	cr_assert_eq(S.n_alerts, 1);
	cr_assert_eq(S.alerts[0].dir, TLS_TO_CLIENT);
	cr_assert_eq(S.alerts[0].level, 2);
	cr_assert_eq(S.alerts[0].description, 50);
	cr_assert(S.done);
}

Test(tls, sslv2_format_client_hello)
{
	static const unsigned want[] = {
		TLS_EV_CLIENT_HELLO,
		TLS_EV_SERVER_HELLO | TLS_EV_CERTIFICATE | TLS_EV_SERVER_DONE | TLS_EV_ALERT |
			TLS_EV_HANDSHAKE_DONE,
	};

	cr_assert(tls_looks_like_tls(SSL2_0, sizeof(SSL2_0)));
	every_mode(SSL2, TB_N(SSL2), false, want, check_sslv2);
}

Test(tls, sslv2_hello_with_bad_lengths)
{
	/* Cipher spec length not a multiple of 3. */
	static const uint8_t bad[] = { 0x80, 0x0d, 0x01, 0x03, 0x01, 0x00, 0x04, 0x00, 0x00,
				       0x00, 0x10, 0x00, 0x00, 0x2f, 0x00 };
	/* Challenge length 16 but 2 bytes present. */
	static const uint8_t cut[] = { 0x80, 0x0e, 0x01, 0x03, 0x01, 0x00, 0x03, 0x00, 0x00,
				       0x00, 0x10, 0x00, 0x00, 0x2f, 0xa1, 0xa1 };

	cr_assert_eq(feed(TLS_TO_SERVER, bad, sizeof(bad), false), 0);
	cr_assert(anoms & BIT(TLS_INVALID_SSLV2));
	cr_assert_eq(S.n_client_hellos, 0);
	tls_session_free(&S);
	tls_session_init(&S, cache);
	anoms = 0;
	seen = 0;
	cr_assert_eq(feed(TLS_TO_SERVER, cut, sizeof(cut), true), 0);
	cr_assert(anoms & BIT(TLS_INVALID_SSLV2));
	cr_assert_eq(S.n_client_hellos, 0);
}

/* ---- crafted ClientHellos ------------------------------------------------ */

static const uint16_t suites3[] = { 0x1301, 0xc02f, 0x002f };

/* A ClientHello record with SNI `host` and the extensions in extra. */
static void crafted_hello(struct buf *rec, const char *host, const void *extra, size_t n)
{
	struct buf exts, hs;

	memset(&exts, 0, sizeof(exts));
	memset(&hs, 0, sizeof(hs));
	if (host)
		tb_ext_sni(&exts, host);
	buf_put(&exts, extra, n);
	tb_client_hello(&hs, NULL, 0, suites3, 3, exts.data ? exts.data : "", exts.len);
	tb_wrap(rec, 22, 0x0303, hs.data, hs.len, 0);
	buf_free(&exts);
	buf_free(&hs);
}

Test(tls, crafted_hello_facts)
{
	static const uint8_t ext[] = {
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p',
		'/', '1', '.', '1',                                /* ALPN */
		0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03, /* versions */
		0x00, 0x2d, 0x00, 0x03, 0x02, 0x00, 0x01,          /* psk modes both */
		0x00, 0x2a, 0x00, 0x00,                            /* early_data */
		0x00, 0x05, 0x00, 0x00,                            /* status_request */
		0x00, 0x15, 0x00, 0x02, 0x00, 0x00,                /* padding */
		0x00, 0x33, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x1d, 0x00, 0x01, 0xaa, 0x00, 0x17,
		0x00, 0x00,                                        /* two key shares */
	};
	struct buf r;

	memset(&r, 0, sizeof(r));
	crafted_hello(&r, "example.org", ext, sizeof(ext));
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, 0);
	cr_assert_str_eq(S.client_hello[0].sni, "example.org");
	alpn_is(&S.client_hello[0].alpn, 1, "http/1.1");
	U16S(S.client_hello[0].versions, S.client_hello[0].n_versions, 0x0304, 0x0303);
	cr_assert_eq(S.client_hello[0].psk_modes, 3);
	cr_assert(S.client_hello[0].early_data);
	cr_assert(S.client_hello[0].status_request);
	cr_assert(S.client_hello[0].has_padding);
	U16S(S.client_hello[0].key_shares, S.client_hello[0].n_key_shares, 0x001d, 0x0017);
	U16S(S.client_hello[0].exts, S.client_hello[0].n_exts, 0, 16, 43, 45, 42, 5, 21, 51);
	buf_free(&r);
}

Test(tls, presented_ticket_and_psk_identities_are_hashed)
{
	static const uint8_t ext[] = {
		0x00, 0x23, 0x00, 0x0a, 'T', 'I', 'C', 'K', 'E', 'T', '-', 'A', 'B', 'C',
		/* pre_shared_key: identities "id-one", "id-two" (+ ticket age),
		 * then one 32-byte binder */
		0x00, 0x29, 0x00, 0x3d, 0x00, 0x18,
		0x00, 0x06, 'i', 'd', '-', 'o', 'n', 'e', 0, 0, 0, 1,
		0x00, 0x06, 'i', 'd', '-', 't', 'w', 'o', 0, 0, 0, 2,
		0x00, 0x21, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
	};
	const struct tls_client_hello *ch = &S.client_hello[0];
	struct buf r;

	memset(&r, 0, sizeof(r));
	crafted_hello(&r, "example.org", ext, sizeof(ext));
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, 0);
	cr_assert_eq(ch->session_ticket_len, 10);
	sha256_is(ch->ticket_hash, "TICKET-ABC", 10);
	cr_assert_eq(ch->psk_identities, 2);
	cr_assert_eq(ch->n_psk_hashes, 2);
	sha256_is(ch->psk_identity_hash[0], "id-one", 6);
	sha256_is(ch->psk_identity_hash[1], "id-two", 6);
	buf_free(&r);
}

static void hello_then(const void *sh, size_t n, unsigned want);

/* A TLS 1.2 ServerHello, then `nst` (NewSessionTicket bodies, each
 * preceded by its 4-byte handshake header) in one record. */
static void server_hello_then_tickets(const void *nst, size_t n)
{
	static const uint8_t ticket_ext[] = { 0x00, 0x23, 0x00, 0x00 };
	uint8_t rnd[32];
	struct buf sh;

	memset(rnd, 0x42, sizeof(rnd));
	memset(&sh, 0, sizeof(sh));
	tb_server_hello(&sh, 0x0303, rnd, NULL, 0, 0xc02f, ticket_ext, sizeof(ticket_ext));
	buf_put(&sh, nst, n);
	hello_then(sh.data, sh.len, TLS_EV_SERVER_HELLO);
	buf_free(&sh);
}

Test(tls, tls12_new_session_ticket_is_hashed)
{
	static const uint8_t nst[] = {
		/* RFC 5077 3.3: lifetime hint 7200, ticket "NEWTICKET" */
		4, 0, 0, 15, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x09,
		'N', 'E', 'W', 'T', 'I', 'C', 'K', 'E', 'T',
		/* an empty ticket: the server issues none (not kept) */
		4, 0, 0, 6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	server_hello_then_tickets(nst, sizeof(nst));
	cr_assert_eq(anoms, 0);
	cr_assert(S.server_hello[0].has_session_ticket);
	cr_assert_eq(S.n_tickets, 1);
	sha256_is(S.ticket_hash[0], "NEWTICKET", 9);
	cr_assert_eq(S.ticket_lifetime, 0, "the last hint counts");
}

Test(tls, malformed_new_session_ticket_is_flagged)
{
	static const uint8_t nst[] = {
		/* ticket length 9 but 10 bytes follow */
		4, 0, 0, 16, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x09,
		'N', 'E', 'W', 'T', 'I', 'C', 'K', 'E', 'T', '!',
	};

	server_hello_then_tickets(nst, sizeof(nst));
	cr_assert(anoms & BIT(TLS_INVALID_HANDSHAKE));
	cr_assert_eq(S.n_tickets, 0);
}

Test(tls, hello_without_extensions)
{
	struct buf hs, r;

	memset(&hs, 0, sizeof(hs));
	memset(&r, 0, sizeof(r));
	tb_client_hello(&hs, (const uint8_t *)"0123456789", 10, suites3, 3, NULL, 0);
	tb_wrap(&r, 22, 0x0303, hs.data, hs.len, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, 0);
	cr_assert_eq(S.client_hello[0].n_exts, 0);
	cr_assert_eq(S.client_hello[0].session_id_len, 10);
	cr_assert_eq(memcmp(S.client_hello[0].session_id, "0123456789", 10), 0);
	buf_free(&hs);
	buf_free(&r);
}

Test(tls, fallback_scsv_and_compression)
{
	static const uint16_t s[] = { 0xc02f, 0x5600 };
	struct buf hs, r;

	memset(&hs, 0, sizeof(hs));
	memset(&r, 0, sizeof(r));
	tb_client_hello(&hs, NULL, 0, s, 2, NULL, 0);
	/* compression methods: { 1, 0 } instead of { 0 } */
	cr_assert_eq((uint8_t)hs.data[hs.len - 2], 1);
	hs.data[hs.len - 2] = 2;
	hs.data[hs.len - 1] = 1;
	buf_putc(&hs, 0);
	hs.data[3]++; /* handshake length grew by one */
	tb_wrap(&r, 22, 0x0303, hs.data, hs.len, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, 0);
	cr_assert(S.client_hello[0].fallback_scsv);
	cr_assert_eq(S.client_hello[0].n_compressions, 2);
	cr_assert(S.client_hello[0].compression_offered);
	buf_free(&hs);
	buf_free(&r);
}

Test(tls, duplicate_extension_but_not_grease)
{
	static const uint8_t dup[] = { 0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00 };
	static const uint8_t grease[] = { 0x0a, 0x0a, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x01, 0x00 };
	struct buf r;

	memset(&r, 0, sizeof(r));
	crafted_hello(&r, NULL, grease, sizeof(grease));
	feed_buf(TLS_TO_SERVER, &r);
	cr_assert_eq(anoms, 0, "repeated GREASE is allowed");
	cr_assert_eq(S.client_hello[0].n_exts, 2);

	tls_session_free(&S);
	tls_session_init(&S, cache);
	seen = 0;
	buf_reset(&r);
	crafted_hello(&r, "a.b", dup, sizeof(dup));
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, BIT(TLS_DUPLICATE_EXTENSION));
	buf_free(&r);
}

Test(tls, long_lists_are_cut_and_flagged)
{
	uint16_t many[300];
	struct buf hs, r;
	size_t i;

	for (i = 0; i < 300; i++)
		many[i] = (uint16_t)(0x1000 + i);
	memset(&hs, 0, sizeof(hs));
	memset(&r, 0, sizeof(r));
	tb_client_hello(&hs, NULL, 0, many, 300, NULL, 0);
	tb_wrap(&r, 22, 0x0303, hs.data, hs.len, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert_eq(anoms, BIT(TLS_LIST_TRUNCATED));
	cr_assert_eq(S.client_hello[0].n_suites, TLS_MAX_SUITES);
	cr_assert_eq(S.client_hello[0].suites[TLS_MAX_SUITES - 1], 0x1000 + TLS_MAX_SUITES - 1);
	buf_free(&hs);
	buf_free(&r);
}

Test(tls, long_sni_is_cut_not_overflowed)
{
	char host[400];
	struct buf r;

	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	crafted_hello(&r, host, NULL, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO);
	cr_assert(S.client_hello[0].has_sni);
	cr_assert_eq(strlen(S.client_hello[0].sni), sizeof(S.client_hello[0].sni) - 1);
	buf_free(&r);
}

/* Lying lengths, each inside an otherwise well-formed record: the hello is
 * refused with tls.invalid_handshake_message and nothing is read past it. */
Test(tls, lying_vector_lengths)
{
	static const struct {
		const char *what;
		size_t at;      /* offset in the handshake message to overwrite */
		uint8_t v[2];
		size_t n;
	} lies[] = {
		{ "session id 33", 38, { 33 }, 1 },
		{ "session id past the end", 38, { 0xff }, 1 },
		{ "suites past the end", 39, { 0xff, 0xfe }, 2 },
		{ "suites odd", 39, { 0x00, 0x05 }, 2 },
		{ "compressions past the end", 47, { 0xff }, 1 },
		{ "extensions past the end", 49, { 0x7f, 0xff }, 2 },
		{ "extension body past the end", 53, { 0x7f, 0xff }, 2 },
		{ "SNI list past its extension", 55, { 0x00, 0xff }, 2 },
		{ "host name past its list", 58, { 0x00, 0xff }, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct buf hs, r;

		memset(&hs, 0, sizeof(hs));
		memset(&r, 0, sizeof(r));
		{
			struct buf exts;

			memset(&exts, 0, sizeof(exts));
			tb_ext_sni(&exts, "lie.example");
			tb_client_hello(&hs, NULL, 0, suites3, 3, exts.data, exts.len);
			buf_free(&exts);
		}
		/* 4 header + 2 version + 32 random: session id length at 38. */
		cr_assert_eq(hs.data[38], 0);
		cr_assert_eq(hs.data[40], 6, "suites length");
		memcpy(hs.data + lies[i].at, lies[i].v, lies[i].n);
		tb_wrap(&r, 22, 0x0303, hs.data, hs.len, 0);

		tls_session_free(&S);
		tls_session_init(&S, cache);
		seen = 0;
		anoms = 0;
		cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), 0, "%s", lies[i].what);
		cr_assert_eq(anoms, BIT(TLS_INVALID_HANDSHAKE), "%s: %#llx", lies[i].what,
			     (unsigned long long)anoms);
		cr_assert_eq(S.n_client_hellos, 0, "%s", lies[i].what);
		buf_free(&hs);
		buf_free(&r);
	}
}

Test(tls, handshake_length_past_record_waits_then_truncates)
{
	/* A handshake header claiming more than is ever sent: the bytes wait
	 * for the rest, and end of stream reports the truncation. */
	static const uint8_t rec[] = { 22, 3, 1, 0, 8, 1, 0, 1, 0, 3, 3, 0, 0 };

	cr_assert_eq(feed(TLS_TO_SERVER, rec, sizeof(rec), false), 0);
	cr_assert_eq(anoms, 0);
	tls_eof(&S, TLS_TO_SERVER);
	anoms |= tls_take_anomalies(&S);
	cr_assert_eq(anoms, BIT(TLS_TRUNCATED_RECORD));
}

/* ---- ServerHello --------------------------------------------------------- */

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void hello_then(const void *sh, size_t n, unsigned want)
{
	struct buf r;

	memset(&r, 0, sizeof(r));
	crafted_hello(&r, "x.test", NULL, 0);
	feed_buf(TLS_TO_SERVER, &r);
	buf_reset(&r);
	tb_wrap(&r, 22, 0x0303, sh, n, 0);
	cr_assert_eq(feed_buf(TLS_TO_CLIENT, &r), want);
	buf_free(&r);
}

Test(tls, downgrade_sentinels)
{
	uint8_t rnd[32];
	struct buf sh;
	int last;

	for (last = 0; last < 3; last++) {
		tls_session_free(&S);
		tls_session_init(&S, cache);
		seen = 0;
		memset(rnd, 0x11, sizeof(rnd));
		memcpy(rnd + 24, "DOWNGRD", 7);
		rnd[31] = (uint8_t)last;
		memset(&sh, 0, sizeof(sh));
		tb_server_hello(&sh, 0x0303, rnd, NULL, 0, 0xc02f, NULL, 0);
		hello_then(sh.data, sh.len, TLS_EV_SERVER_HELLO);
		cr_assert_eq(S.server_hello[0].downgrade_tls11, last == 0);
		cr_assert_eq(S.server_hello[0].downgrade_tls12, last == 1);
		cr_assert_eq(S.version, 0x0303);
		buf_free(&sh);
	}
}

Test(tls, crafted_hrr_then_server_hello)
{
	static const uint8_t hrr_ext[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
					   0x00, 0x33, 0x00, 0x02, 0x00, 0x17 };
	static const uint8_t sh_ext[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,
					  0x00, 0x05, 0x00, 0x17, 0x00, 0x01, 0xbb };
	uint8_t rnd[32];
	struct buf sh, r;

	memset(&sh, 0, sizeof(sh));
	memset(&r, 0, sizeof(r));
	tb_server_hello(&sh, 0x0303, hrr_random, NULL, 0, 0x1301, hrr_ext, sizeof(hrr_ext));
	hello_then(sh.data, sh.len, TLS_EV_HRR);
	cr_assert(S.server_hello[0].is_hrr);
	cr_assert_eq(S.kx_group, 0x0017);
	cr_assert_eq(S.version, 0x0304);

	crafted_hello(&r, "x.test", NULL, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), 0, "second hello is no new milestone");
	cr_assert_eq(S.n_client_hellos, 2);

	memset(rnd, 0x22, sizeof(rnd));
	buf_reset(&sh);
	buf_reset(&r);
	tb_server_hello(&sh, 0x0303, rnd, NULL, 0, 0x1301, sh_ext, sizeof(sh_ext));
	tb_wrap(&r, 22, 0x0303, sh.data, sh.len, 0);
	cr_assert_eq(feed_buf(TLS_TO_CLIENT, &r),
		     TLS_EV_SERVER_HELLO | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED);
	cr_assert_eq(anoms, 0);
	cr_assert_eq(S.suite, 0x1301);
	buf_free(&sh);
	buf_free(&r);
}

Test(tls, second_server_hello_is_unexpected)
{
	uint8_t rnd[32];
	struct buf sh, r;

	memset(rnd, 0x33, sizeof(rnd));
	memset(&sh, 0, sizeof(sh));
	memset(&r, 0, sizeof(r));
	tb_server_hello(&sh, 0x0303, rnd, NULL, 0, 0xc02f, NULL, 0);
	hello_then(sh.data, sh.len, TLS_EV_SERVER_HELLO);
	tb_wrap(&r, 22, 0x0303, sh.data, sh.len, 0);
	cr_assert_eq(feed_buf(TLS_TO_CLIENT, &r), 0);
	cr_assert(anoms & BIT(TLS_UNEXPECTED_MESSAGE));
	cr_assert_eq(S.n_server_hellos, 1);
	buf_free(&sh);
	buf_free(&r);
}

Test(tls, second_client_hello_without_hrr_is_flagged)
{
	struct buf r;

	memset(&r, 0, sizeof(r));
	crafted_hello(&r, "one.test", NULL, 0);
	feed_buf(TLS_TO_SERVER, &r);
	cr_assert_eq(anoms, 0);
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), 0);
	cr_assert_eq(anoms, BIT(TLS_MULTIPLE_CLIENT_HELLO));
	buf_free(&r);
}

/* ---- alerts, heartbeat -------------------------------------------------- */

Test(tls, plaintext_fatal_alert_ends_handshake)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_CLIENT, alert, sizeof(alert), false),
		     TLS_EV_ALERT | TLS_EV_HANDSHAKE_DONE);
	cr_assert_eq(S.n_alerts, 1);
	cr_assert_eq(S.alerts[0].dir, TLS_TO_CLIENT);
	cr_assert_not(S.alerts[0].encrypted);
	cr_assert_eq(S.alerts[0].level, 2);
	cr_assert_eq(S.alerts[0].description, 40);
	cr_assert(S.done);
	cr_assert_eq(anoms, 0);
}

Test(tls, warning_alert_does_not_end)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 1, 112 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_CLIENT, alert, sizeof(alert), true), TLS_EV_ALERT);
	cr_assert_not(S.done);
	cr_assert_eq(S.alerts[0].level, 1);
	cr_assert_eq(S.alerts[0].description, 112);
}

Test(tls, encrypted_alert_after_ccs)
{
	uint8_t alert[5 + 26];
	unsigned ev[MAX_FLIGHTS];

	run(T12, 3, WHOLE, false, ev);
	cr_assert(S.encrypted[TLS_TO_SERVER]);
	memset(alert, 0x5a, sizeof(alert));
	alert[0] = 21;
	alert[1] = 3;
	alert[2] = 3;
	alert[3] = 0;
	alert[4] = 26;
	cr_assert_eq(feed(TLS_TO_SERVER, alert, sizeof(alert), false), TLS_EV_ALERT);
	cr_assert_eq(S.n_alerts, 1);
	cr_assert(S.alerts[0].encrypted);
	cr_assert_eq(S.alerts[0].dir, TLS_TO_SERVER);
	cr_assert_eq(anoms, 0, "ciphertext is not an invalid alert");
}

Test(tls, tls13_plaintext_alert_after_server_hello)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 42 };
	unsigned ev[MAX_FLIGHTS];

	run(T13, 2, WHOLE, true, ev);
	cr_assert_eq(feed(TLS_TO_SERVER, alert, sizeof(alert), false) & TLS_EV_ALERT,
		     TLS_EV_ALERT);
	cr_assert_not(S.alerts[0].encrypted);
	cr_assert_eq(S.alerts[0].description, 42);
}

Test(tls, invalid_alerts)
{
	static const uint8_t odd[] = { 21, 3, 3, 0, 3, 2, 40, 0 };
	static const uint8_t level[] = { 21, 3, 3, 0, 2, 7, 40 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_CLIENT, odd, sizeof(odd), false), 0);
	cr_assert_eq(anoms, BIT(TLS_INVALID_ALERT));
	cr_assert_eq(S.n_alerts, 0);
	anoms = 0;
	feed(TLS_TO_CLIENT, level, sizeof(level), false);
	cr_assert_eq(anoms, BIT(TLS_INVALID_ALERT));
	cr_assert_eq(S.alerts[0].level, 7);
}

Test(tls, heartbeat)
{
	static const uint8_t hb[] = { 24, 3, 3, 0, 3, 1, 0x40, 0x00 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	feed(TLS_TO_SERVER, hb, sizeof(hb), false);
	cr_assert(S.heartbeat);
	cr_assert_eq(anoms, BIT(TLS_HEARTBEAT));
	cr_assert_eq(S.msgs[S.n_msgs - 1].type, TLS_MSG_HEARTBEAT);
}

/* ---- not TLS, malformed records ------------------------------------------ */

Test(tls, not_tls)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	cr_assert_not(tls_looks_like_tls((const uint8_t *)get, 3));
	cr_assert_eq(feed(TLS_TO_SERVER, get, strlen(get), false),
		     TLS_EV_NOT_TLS | TLS_EV_HANDSHAKE_DONE);
	cr_assert(S.not_tls);
	cr_assert_not(S.is_tls);
	cr_assert_eq(anoms, BIT(TLS_NOT_TLS));
	cr_assert_eq(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false), 0);
	cr_assert_eq(S.n_server_hellos, 0);
}

Test(tls, not_tls_in_one_byte_chunks)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";

	cr_assert_eq(feed(TLS_TO_SERVER, ssh, strlen(ssh), true),
		     TLS_EV_NOT_TLS | TLS_EV_HANDSHAKE_DONE);
	cr_assert_eq(anoms, BIT(TLS_NOT_TLS));
}

Test(tls, looks_like_tls)
{
	static const uint8_t rec[] = { 22, 3, 1 }, bad_ver[] = { 22, 2, 0 },
			     bad_type[] = { 25, 3, 3 }, v2[] = { 0x80, 0x2e, 1, 3, 1 };

	cr_assert(tls_looks_like_tls(rec, 3));
	cr_assert_not(tls_looks_like_tls(rec, 2));
	cr_assert_not(tls_looks_like_tls(bad_ver, 3));
	cr_assert_not(tls_looks_like_tls(bad_type, 3));
	cr_assert(tls_looks_like_tls(v2, 5));
	cr_assert(tls_looks_like_tls(v2, 3));
}

Test(tls, truncated_record_at_eof)
{
	unsigned ev[MAX_FLIGHTS];

	cr_assert_eq(feed(TLS_TO_SERVER, T12_0, 100, false), 0);
	tls_eof(&S, TLS_TO_SERVER);
	anoms |= tls_take_anomalies(&S);
	cr_assert_eq(anoms, BIT(TLS_TRUNCATED_RECORD));
	cr_assert_eq(feed(TLS_TO_SERVER, T12_0 + 100, sizeof(T12_0) - 100, false), 0,
		     "nothing after eof");

	/* A complete stream at eof is not truncated. */
	tls_session_free(&S);
	tls_session_init(&S, cache);
	seen = 0;
	anoms = 0;
	run(T12, 1, WHOLE, false, ev);
	tls_eof(&S, TLS_TO_SERVER);
	cr_assert_eq(tls_take_anomalies(&S), 0);
}

Test(tls, truncated_header_at_eof)
{
	feed(TLS_TO_SERVER, T12_0, 4, true);
	tls_eof(&S, TLS_TO_SERVER);
	cr_assert_eq(tls_take_anomalies(&S), BIT(TLS_TRUNCATED_RECORD));
}

Test(tls, zero_length_handshake_record)
{
	static const uint8_t zero[] = { 22, 3, 3, 0, 0 };
	struct buf r;

	memset(&r, 0, sizeof(r));
	buf_put(&r, zero, sizeof(zero));
	buf_put(&r, zero, sizeof(zero));
	buf_put(&r, T12_0, sizeof(T12_0));
	cr_assert_eq(feed_buf(TLS_TO_SERVER, &r), TLS_EV_CLIENT_HELLO,
		     "empty records are skipped, the hello still seen");
	cr_assert_eq(anoms, BIT(TLS_ZERO_LENGTH_RECORD));
	cr_assert_str_eq(S.client_hello[0].sni, "www.alpha-corp.test");
	buf_free(&r);
}

Test(tls, record_length_limits)
{
	/* 2^14 + 2048 is the largest legal TLSCiphertext; one more is not. */
	uint8_t *rec = calloc(1, 5 + 18433);
	unsigned ev[MAX_FLIGHTS];

	cr_assert_not_null(rec);
	run(T12, 1, WHOLE, false, ev);
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 18432 >> 8;
	rec[4] = 18432 & 0xff;
	feed(TLS_TO_SERVER, rec, 5 + 18432, false);
	cr_assert_eq(anoms, 0);
	cr_assert(S.app_data[TLS_TO_SERVER]);
	rec[4] = (18433 & 0xff);
	feed(TLS_TO_SERVER, rec, 5 + 18433, false);
	cr_assert_eq(anoms, BIT(TLS_RECORD_OVERFLOW));
	/* The direction is given up: a valid alert after it is not read. */
	feed(TLS_TO_SERVER, "\x15\x03\x03\x00\x02\x02\x28", 7, false);
	cr_assert_eq(S.n_alerts, 0);
	free(rec);
}

Test(tls, invalid_record_type_and_version_after_start)
{
	static const uint8_t type[] = { 0x63, 3, 3, 0, 1, 0 };
	static const uint8_t ver[] = { 22, 4, 0, 0, 1, 0 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	feed(TLS_TO_SERVER, type, sizeof(type), false);
	cr_assert_eq(anoms, BIT(TLS_INVALID_RECORD_TYPE));
	cr_assert_not(S.not_tls, "a TLS stream that goes bad is not 'not TLS'");
	/* The other direction still parses, and checks every header. */
	cr_assert(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false) & TLS_EV_SERVER_HELLO);
	feed(TLS_TO_CLIENT, ver, sizeof(ver), true);
	cr_assert_eq(anoms, BIT(TLS_INVALID_RECORD_TYPE) | BIT(TLS_INVALID_RECORD_VERSION));
}

Test(tls, handshake_message_size_limit)
{
	/* A certificate message announced one byte over the cap, sent in
	 * full-size records: flagged when the header is seen, then the
	 * direction stops. */
	uint8_t body[16384];
	struct buf r;
	uint32_t mlen = TLS_MAX_HANDSHAKE + 1;
	size_t sent;
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	memset(body, 0, sizeof(body));
	memset(&r, 0, sizeof(r));
	body[0] = 11;
	body[1] = (uint8_t)(mlen >> 16);
	body[2] = (uint8_t)(mlen >> 8);
	body[3] = (uint8_t)mlen;
	tb_record(&r, 22, 0x0303, body, sizeof(body));
	feed_buf(TLS_TO_CLIENT, &r);
	cr_assert_eq(anoms, BIT(TLS_HANDSHAKE_TOO_LARGE));
	buf_free(&r);

	/* Exactly the cap is accepted: an unknown message type of
	 * TLS_MAX_HANDSHAKE bytes across nine records. */
	tls_session_free(&S);
	tls_session_init(&S, cache);
	seen = 0;
	anoms = 0;
	mlen = TLS_MAX_HANDSHAKE;
	memset(&r, 0, sizeof(r));
	body[0] = 0x55;
	body[1] = (uint8_t)(mlen >> 16);
	body[2] = (uint8_t)(mlen >> 8);
	body[3] = (uint8_t)mlen;
	tb_record(&r, 22, 0x0303, body, sizeof(body));
	sent = sizeof(body) - 4;
	memset(body, 0x77, sizeof(body));
	while (sent < mlen) {
		size_t n = mlen - sent < sizeof(body) ? mlen - sent : sizeof(body);

		tb_record(&r, 22, 0x0303, body, n);
		sent += n;
	}
	feed_buf(TLS_TO_CLIENT, &r);
	cr_assert_eq(anoms, 0, "%#llx", (unsigned long long)anoms);
	cr_assert_eq(S.n_msgs, 1);
	cr_assert_eq(S.msgs[0].type, 0x55);
	buf_free(&r);
}

Test(tls, gap_stops_the_direction)
{
	feed(TLS_TO_SERVER, T12_0, 50, false);
	tls_gap(&S, TLS_TO_SERVER);
	cr_assert_eq(feed(TLS_TO_SERVER, T12_0 + 50, sizeof(T12_0) - 50, false), 0);
	cr_assert_eq(feed(TLS_TO_SERVER, T12_0, sizeof(T12_0), false), 0);
	cr_assert_eq(S.n_client_hellos, 0);
	/* The other direction is unaffected. */
	cr_assert_eq(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false) & TLS_EV_SERVER_HELLO,
		     TLS_EV_SERVER_HELLO);
	tls_eof(&S, TLS_TO_SERVER);
	cr_assert_eq(tls_take_anomalies(&S), 0, "a dead direction reports no truncation");
}

Test(tls, gap_before_any_byte)
{
	tls_gap(&S, TLS_TO_CLIENT);
	cr_assert_eq(feed(TLS_TO_CLIENT, T12_1, sizeof(T12_1), false), 0);
	cr_assert_eq(S.n_server_hellos, 0);
}

Test(tls, client_certificate)
{
	/* An empty client Certificate (RFC 5246 7.4.6: no suitable cert). */
	static const uint8_t cert[] = { 22, 3, 3, 0, 7, 11, 0, 0, 3, 0, 0, 0 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 2, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_SERVER, cert, sizeof(cert), true), TLS_EV_CLIENT_CERT);
	cr_assert(S.client_chain.empty_message);
	cr_assert_eq(S.client_chain.n, 0);
	cr_assert_eq(anoms, 0);
}

Test(tls, invalid_certificate_der)
{
	/* A certificate list with one 3-byte "certificate". */
	static const uint8_t cert[] = { 22, 3, 3, 0, 13, 11, 0, 0, 9, 0, 0, 6, 0, 0, 3,
					0x30, 0x01, 0x00 };
	unsigned ev[MAX_FLIGHTS];

	run(T12, 1, WHOLE, false, ev);
	cr_assert_eq(feed(TLS_TO_CLIENT, cert, sizeof(cert), false), TLS_EV_CERTIFICATE);
	cr_assert_eq(anoms, BIT(TLS_CERT_INVALID));
	cr_assert_eq(S.server_chain.n, 0);
}

Test(tls, events_are_accumulated)
{
	unsigned ev[MAX_FLIGHTS], all = 0;
	size_t i;

	run(T12, TB_N(T12), BYTES, false, ev);
	for (i = 0; i < TB_N(T12); i++)
		all |= ev[i];
	cr_assert_eq(S.events, all);
	cr_assert_eq(S.events, seen);
}
