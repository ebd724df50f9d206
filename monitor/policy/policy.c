/*
 * policy: evaluation of a compiled policy (rules.h) over a TLS session.
 *
 * Each requirement kind has one bit in st->judged: it is judged once, at the
 * first call where its facts are known, and a failure is recorded with what
 * was observed. The stages below follow the handshake (RFC 8446 section 2,
 * RFC 5246 section 7.3): ClientHello, ServerHello, server Certificate and
 * CertificateStatus, ServerKeyExchange/ServerHelloDone, client Certificate,
 * end.
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "net/anomaly.h"
#include "x509/certcheck.h"
#include "policy/certmemo.h"
#include "tls/fingerprint.h"
#include "policy/rules.h"
#include "policy/sessioncache.h"
#include "quic/quic.h"
#include "tls/tls_names.h"
#include "x509/x509.h"

#define BIT(chk) ((uint64_t)1 << (chk))
#define CERT_CHECKS (BIT(POLICY_CHK_CERT_MISSING) | BIT(POLICY_CHK_CERT_UNTRUSTED) | \
	BIT(POLICY_CHK_CERT_EXPIRED) | BIT(POLICY_CHK_CERT_NOT_YET_VALID) | \
	BIT(POLICY_CHK_CERT_REVOKED) | BIT(POLICY_CHK_CERT_REVOCATION_UNKNOWN) | \
	BIT(POLICY_CHK_CERT_WEAK_KEY) | BIT(POLICY_CHK_CERT_CURVE) | \
	BIT(POLICY_CHK_CERT_SIGNATURE) | BIT(POLICY_CHK_CERT_HOSTNAME) | \
	BIT(POLICY_CHK_CERT_SELF_SIGNED) | BIT(POLICY_CHK_CERT_CHAIN_LENGTH) | \
	BIT(POLICY_CHK_CERT_OCSP_MISSING) | BIT(POLICY_CHK_CERT_OCSP_INVALID) | \
	BIT(POLICY_CHK_CERT_HIDDEN))
#define CLIENT_CHECKS (BIT(POLICY_CHK_CLIENT_CERT_MISSING) | \
	BIT(POLICY_CHK_CLIENT_CERT_INVALID) | BIT(POLICY_CHK_CLIENT_CERT_HIDDEN))

/* Anomalies (anomaly.h) that mean the bytes were malformed. */
#define MALFORMED_BITS ( \
	(1ull << ANOM_TLS_INVALID_RECORD_VERSION) | (1ull << ANOM_TLS_RECORD_OVERFLOW) | \
	(1ull << ANOM_TLS_TRUNCATED_RECORD) | (1ull << ANOM_TLS_ZERO_LENGTH_RECORD) | \
	(1ull << ANOM_TLS_INVALID_HANDSHAKE) | (1ull << ANOM_TLS_HANDSHAKE_TOO_LARGE) | \
	(1ull << ANOM_TLS_INVALID_SSLV2) | (1ull << ANOM_TLS_INVALID_ALERT) | \
	(1ull << ANOM_TLS_CERT_INVALID) | (1ull << ANOM_TLS_DUPLICATE_EXTENSION) | \
	(1ull << ANOM_TLS_UNEXPECTED_MESSAGE))

const char *policy_action_name(enum policy_action a)
{
	switch (a) {
	case POLICY_ACTION_NONE: return "none";
	case POLICY_ACTION_ALERT: return "alert";
	case POLICY_ACTION_DROP: return "drop";
	case POLICY_ACTION_REJECT: return "reject";
	}
	return "none";
}

struct ectx {
	const struct policy *p;
	const struct policy_profile *pr;
	const struct policy_flow *flow;
	const struct tls_session *s;
	struct policy_state *st;
	time_t now;
};

static bool pending(const struct ectx *e, enum policy_check chk)
{
	return e->pr->rule[chk] && !(e->st->judged & BIT(chk));
}

static void judged(const struct ectx *e, enum policy_check chk)
{
	e->st->judged |= BIT(chk);
}

/* An observed value longer than its buffer ends at the last whole word
 * (or whole part of a dotted rule id) that fits, followed by "...", so a
 * reader never sees half a word. */
static void cut_at_word(char *s, size_t size)
{
	size_t keep = size - 4, i;

	for (i = keep; i > size / 2; i--)
		if (s[i] == ' ' || s[i] == ',' || s[i] == '.') {
			keep = i;
			break;
		}
	memcpy(s + keep, "...", 4);
}

/* Records a failure of chk (which must be pending), with the rule's action
 * or, when action >= 0, that one. */
__attribute__((format(printf, 4, 5)))
static void failed(const struct ectx *e, enum policy_check chk, int action, const char *fmt, ...)
{
	const struct policy_rule *r = &e->p->rules[e->pr->rule[chk] - 1];
	struct policy_state *st = e->st;
	struct policy_failure *f;
	va_list ap;
	uint8_t a = action >= 0 ? (uint8_t)action : r->action;
	size_t n;

	judged(e, chk);
	if (a == POLICY_ACTION_NONE)
		return;
	if (st->n_failures >= POLICY_MAX_FAILURES) {
		st->truncated = true;
		if (a > st->action)
			st->action = a;
		return;
	}
	f = &st->failures[st->n_failures];
	f->rule = (uint16_t)(e->pr->rule[chk] - 1);
	f->action = a;
	f->severity = r->severity;
	/* Most observations are fixed texts: copied, not formatted (a
	 * vsnprintf was 1.2% of a --rules run that alerts on every session). */
	n = strcspn(fmt, "%");
	if (!fmt[n] && n < sizeof(f->observed)) {
		memcpy(f->observed, fmt, n + 1);
	} else {
		va_start(ap, fmt);
		if (vsnprintf(f->observed, sizeof(f->observed), fmt, ap) >= (int)sizeof(f->observed))
			cut_at_word(f->observed, sizeof(f->observed));
		va_end(ap);
	}
	if (!st->n_failures || a > st->action ||
	    (a == st->action && f->severity < st->failures[st->strongest].severity))
		st->strongest = st->n_failures;
	if (a > st->action)
		st->action = a;
	st->n_failures++;
}

/* ---- zones ---- */

static bool cidr_has(const struct policy_cidr *c, int family, const uint8_t *addr)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, full))
		return false;
	return !rest || ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool cidrs_have(const struct policy_cidr *c, size_t n, int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_has(&c[i], family, addr))
			return true;
	return false;
}

static bool ports_have(const struct policy_ports *pp, uint16_t port)
{
	size_t i;

	for (i = 0; i < pp->n; i++)
		if (port >= pp->r[i].lo && port <= pp->r[i].hi)
			return true;
	return false;
}

/* The server name the client asked for: its ClientHello's, or its
 * Google QUIC CHLO's; NULL when none. */
static const char *sni_of(const struct policy_flow *f, const struct tls_session *s)
{
	if (s->n_client_hellos)
		return s->client_hello[0].has_sni ? s->client_hello[0].sni : NULL;
	return f->gquic && f->gquic->has_sni ? f->gquic->sni : NULL;
}

static uint16_t choose_zone(const struct policy *p, const struct policy_flow *f,
			    const struct tls_session *s)
{
	const char *sni = sni_of(f, s);
	size_t i;

	for (i = 0; i < p->n_zones; i++) {
		const struct policy_zone *z = &p->zones[i];

		if (z->any)
			return (uint16_t)(i + 1);
		if (z->n_src && !cidrs_have(z->src, z->n_src, f->family, f->client_addr))
			continue;
		if (z->n_dst && !cidrs_have(z->dst, z->n_dst, f->family, f->server_addr))
			continue;
		if (z->ports.n && !ports_have(&z->ports, f->server_port))
			continue;
		if (z->match_sni && !(sni && policy_strset_has(&z->sni, sni)))
			continue;
		return (uint16_t)(i + 1);
	}
	return (uint16_t)p->n_zones; /* unreachable: the last zone matches all */
}

/* drop > normalize > alert */
static int evasion_rank(uint8_t m)
{
	return m == POLICY_EVASION_DROP ? 2 : m == POLICY_EVASION_NORMALIZE ? 1 : 0;
}

/* The strictest evasion mode of the zones f may fall in once its
 * ClientHello is seen (a zone that needs no SNI ends the search). */
static uint8_t evasion_of_zones(const struct policy *p, const struct policy_flow *f)
{
	uint8_t mode = POLICY_EVASION_ALERT, m;
	size_t i;

	for (i = 0; i < p->n_zones; i++) {
		const struct policy_zone *z = &p->zones[i];

		if (!z->any && ((z->n_src && !cidrs_have(z->src, z->n_src, f->family, f->client_addr)) ||
				(z->n_dst && !cidrs_have(z->dst, z->n_dst, f->family, f->server_addr)) ||
				(z->ports.n && !ports_have(&z->ports, f->server_port))))
			continue;
		m = p->profiles[z->profile].evasion;
		if (evasion_rank(m) > evasion_rank(mode))
			mode = m;
		if (z->any || !z->match_sni)
			break;
	}
	return mode;
}

/* ---- helpers ---- */

static const char *vname(uint16_t v)
{
	const char *n = tls_version_short(v);

	return n ? n : "unknown";
}

static int vbit(uint16_t v)
{
	if (v == 0x0002 || v == 0x0200)
		return 15;
	if (v >= 0x0300 && v <= 0x0304)
		return v - 0x0300;
	if ((v >> 8) == 0x7f)       /* TLS 1.3 drafts */
		return 4;
	return -1;
}

/* TLS 1.3 or one of its drafts was negotiated. */
static bool tls13(const struct tls_session *s)
{
	return s->version >= 0x0304 || (s->version >> 8) == 0x7f;
}

static bool version_ok(const struct policy_profile *pr, uint16_t v)
{
	int b = vbit(v);

	return b >= 0 && (pr->versions & (1u << b));
}

static bool suite_ok(const struct policy_profile *pr, uint16_t code)
{
	return pr->suite_ok[code >> 3] & (1u << (code & 7));
}

static const char *suite_str(uint16_t code, char *buf, size_t n)
{
	const char *name = tls_suite_name(code);

	if (name)
		return name;
	snprintf(buf, n, "0x%04x", code);
	return buf;
}

static const char *group_str(uint16_t g, char *buf, size_t n)
{
	const char *name = tls_group_name(g);

	if (name)
		return name;
	snprintf(buf, n, "0x%04x", g);
	return buf;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool has_ext(const uint16_t *exts, uint16_t n, uint16_t ext)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (exts[i] == ext)
			return true;
	return false;
}

/* Builds a cache key: kind, server address and port, then the bytes. */
static size_t cache_key(uint8_t key[SESSIONCACHE_KEY_MAX], uint8_t kind,
			const struct policy_flow *f, const uint8_t *id, size_t len)
{
	size_t alen = f->family == AF_INET6 ? 16 : 4;

	if (len > 32)
		len = 32;
	key[0] = kind;
	memcpy(key + 1, f->server_addr, alen);
	key[1 + alen] = (uint8_t)(f->server_port >> 8);
	key[2 + alen] = (uint8_t)f->server_port;
	memcpy(key + 3 + alen, id, len);
	return 3 + alen + len;
}

/* ---- stages ---- */

static void list_check(const struct ectx *e, enum policy_check deny, enum policy_check allow,
		       const struct policy_strset *dset, const struct policy_strset *aset,
		       bool has_allow, const char *value, const char *what)
{
	if (pending(e, deny)) {
		if (value && policy_strset_has(dset, value))
			failed(e, deny, -1, "%s %s", what, value);
		else
			judged(e, deny);
	}
	if (pending(e, allow)) {
		if (has_allow && !(value && policy_strset_has(aset, value)))
			failed(e, allow, -1, "%s %s", what, value ? value : "(none)");
		else
			judged(e, allow);
	}
}

static void stage_fingerprints(const struct ectx *e, const struct tls_client_hello *ch)
{
	const char *ja3 = e->flow->ja3, *ja4 = e->flow->ja4;
	char md5[FP_MD5_HEX], j4[FP_JA4_LEN];
	struct buf str = { 0 };

	if ((pending(e, POLICY_CHK_JA3_DENIED) || pending(e, POLICY_CHK_JA3_NOT_ALLOWED))) {
		if (!ja3 && fp_ja3(ch, &str, md5))
			ja3 = md5;
		buf_free(&str);
		list_check(e, POLICY_CHK_JA3_DENIED, POLICY_CHK_JA3_NOT_ALLOWED, &e->pr->ja3_deny,
			   &e->pr->ja3_allow, e->pr->has_ja3_allow, ja3, "JA3");
	}
	if ((pending(e, POLICY_CHK_JA4_DENIED) || pending(e, POLICY_CHK_JA4_NOT_ALLOWED))) {
		if (!ja4 && fp_ja4(ch, e->s->quic, j4))
			ja4 = j4;
		list_check(e, POLICY_CHK_JA4_DENIED, POLICY_CHK_JA4_NOT_ALLOWED, &e->pr->ja4_deny,
			   &e->pr->ja4_allow, e->pr->has_ja4_allow, ja4, "JA4");
	}
}

/* The application protocol of a QUIC connection is chosen by the server
 * in its EncryptedExtensions, which an observer cannot read. A QUIC client
 * must offer one it can use (RFC 9001 8.1), and the server can only choose
 * among those offered: when none of them is allowed, the connection cannot
 * end on an allowed one, so it fails at the ClientHello. */
static void alpn_offered(const struct ectx *e, const struct tls_client_hello *ch)
{
	const struct tls_alpn_list *a = &ch->alpn;
	char id[256];
	unsigned i;

	if (!e->s->quic || !e->pr->has_alpn_allow || !pending(e, POLICY_CHK_ALPN_NOT_ALLOWED))
		return;
	for (i = 0; i < a->n; i++) {
		memcpy(id, a->buf + a->id[i].off, a->id[i].len);
		id[a->id[i].len] = 0;
		if (policy_strset_has(&e->pr->alpn_allow, id))
			return;
	}
	if (a->n) {
		memcpy(id, a->buf + a->id[0].off, a->id[0].len);
		id[a->id[0].len] = 0;
	}
	failed(e, POLICY_CHK_ALPN_NOT_ALLOWED, -1, "QUIC ALPN offered: %s%s", a->n ? id : "none",
	       a->n > 1 ? " ... (none allowed)" : "");
}

/*
 * A Google QUIC CHLO (quic/gquic.h): QUIC Crypto, not TLS. What the policy
 * can judge of it is its server name (zone, lists, a missing SNI); a
 * profile that lists the TLS versions it allows refuses a handshake that
 * is none of them. The server answers encrypted: nothing more will come.
 */
static void stage_gquic(const struct ectx *e)
{
	const struct gquic_facts *g = e->flow->gquic;
	char v[9];

	if (pending(e, POLICY_CHK_MISSING_SNI)) {
		if (!g->has_sni)
			failed(e, POLICY_CHK_MISSING_SNI, -1, "no SNI tag in the CHLO");
		else
			judged(e, POLICY_CHK_MISSING_SNI);
	}
	list_check(e, POLICY_CHK_SNI_DENIED, POLICY_CHK_SNI_NOT_ALLOWED, &e->pr->sni_deny,
		   &e->pr->sni_allow, e->pr->has_sni_allow, g->has_sni ? g->sni : NULL, "SNI");
	if (pending(e, POLICY_CHK_VERSION)) {
		quic_version_str(g->version, v);
		failed(e, POLICY_CHK_VERSION, -1, "Google QUIC %s (QUIC Crypto, not TLS)", v);
	}
}

static void stage_client_hello(const struct ectx *e)
{
	const struct tls_client_hello *ch = &e->s->client_hello[0];
	const struct policy_profile *pr = e->pr;
	uint16_t i, max_v = 0, n_ok = 0, n_real = 0;
	char buf[16];

	alpn_offered(e, ch);
	if (pending(e, POLICY_CHK_SSLV2_HELLO)) {
		if (ch->sslv2_format)
			failed(e, POLICY_CHK_SSLV2_HELLO, -1, "SSLv2-format ClientHello offering %s",
			       vname(ch->legacy_version));
		else
			judged(e, POLICY_CHK_SSLV2_HELLO);
	}
	if (pending(e, POLICY_CHK_COMPRESSION)) {
		if (ch->compression_offered)
			failed(e, POLICY_CHK_COMPRESSION, -1, "compression offered");
		else
			judged(e, POLICY_CHK_COMPRESSION);
	}
	if (pending(e, POLICY_CHK_HEARTBEAT) && has_ext(ch->exts, ch->n_exts, 15))
		failed(e, POLICY_CHK_HEARTBEAT, -1, "heartbeat extension offered");
	if (pending(e, POLICY_CHK_FALLBACK_SCSV)) {
		if (ch->fallback_scsv)
			failed(e, POLICY_CHK_FALLBACK_SCSV, -1, "TLS_FALLBACK_SCSV with %s",
			       vname(ch->legacy_version));
		else
			judged(e, POLICY_CHK_FALLBACK_SCSV);
	}
	if (pending(e, POLICY_CHK_MISSING_SNI)) {
		if (!ch->has_sni)
			failed(e, POLICY_CHK_MISSING_SNI, -1, "no server_name");
		else
			judged(e, POLICY_CHK_MISSING_SNI);
	}
	if (pending(e, POLICY_CHK_ECH)) {
		if (ch->ech)
			failed(e, POLICY_CHK_ECH, -1, "encrypted_client_hello extension");
		else
			judged(e, POLICY_CHK_ECH);
	}
	if (pending(e, POLICY_CHK_WEAK_RANDOM)) {
		uint8_t key[SESSIONCACHE_KEY_MAX];

		key[0] = 'R';
		memcpy(key + 1, ch->random, 32);
		if (!ch->sslv2_format && all_zero(ch->random, 32))
			failed(e, POLICY_CHK_WEAK_RANDOM, -1, "client random all zero");
		else if (!ch->sslv2_format && e->flow->cache &&
			 sessioncache_seen(e->flow->cache, e->flow->cache_region, key, 33, e->now,
					   e->now + (time_t)e->p->resume_lifetime))
			failed(e, POLICY_CHK_WEAK_RANDOM, -1, "client random repeats an earlier one");
		else
			judged(e, POLICY_CHK_WEAK_RANDOM); /* or the next milestone sees itself */
	}
	list_check(e, POLICY_CHK_SNI_DENIED, POLICY_CHK_SNI_NOT_ALLOWED, &pr->sni_deny,
		   &pr->sni_allow, pr->has_sni_allow, ch->has_sni ? ch->sni : NULL, "SNI");
	stage_fingerprints(e, ch);

	/* Versions: if the client offers no allowed version, no server answer
	 * can pass; decide now (RFC 8446 4.2.1 supported_versions, else the
	 * legacy version is the highest offered). */
	if (pending(e, POLICY_CHK_VERSION)) {
		bool any = false;

		if (ch->n_versions) {
			for (i = 0; i < ch->n_versions; i++)
				if (!tls_is_grease(ch->versions[i]) && version_ok(pr, ch->versions[i]))
					any = true;
			for (i = 0; i < ch->n_versions; i++)
				if (!tls_is_grease(ch->versions[i]) && ch->versions[i] > max_v)
					max_v = ch->versions[i];
		} else {
			max_v = ch->legacy_version;
			for (i = 0x0300; i <= max_v && i <= 0x0304; i++)
				if (version_ok(pr, i))
					any = true;
		}
		if (!any)
			failed(e, POLICY_CHK_VERSION, -1, "client offers at most %s", vname(max_v));
	}
	if (pending(e, POLICY_CHK_SUITE)) {
		/* one allowed suite passes; n_real is only told when none is */
		for (i = 0; i < ch->n_suites && !n_ok; i++) {
			const struct tls_suite_info *si = tls_suite_info(ch->suites[i]);

			if (tls_is_grease(ch->suites[i]) || (si && si->scsv))
				continue;
			n_real++;
			if (suite_ok(pr, ch->suites[i]))
				n_ok++;
		}
		if (n_real && !n_ok)
			failed(e, POLICY_CHK_SUITE, -1, "none of %u offered suites allowed (first %s)",
			       n_real, suite_str(ch->suites[0], buf, sizeof(buf)));
	}
}

static void stage_server_hello(const struct ectx *e)
{
	const struct tls_session *s = e->s;
	const struct tls_server_hello *sh = &s->server_hello[s->n_server_hellos - 1];
	const struct tls_client_hello *ch = &s->client_hello[0];
	const struct policy_profile *pr = e->pr;
	char buf[16];

	if (pending(e, POLICY_CHK_VERSION)) {
		if (!version_ok(pr, s->version))
			failed(e, POLICY_CHK_VERSION, -1, "%s", vname(s->version));
		else
			judged(e, POLICY_CHK_VERSION);
	}
	if (pending(e, POLICY_CHK_SUITE)) {
		if (!suite_ok(pr, s->suite))
			failed(e, POLICY_CHK_SUITE, -1, "%s", suite_str(s->suite, buf, sizeof(buf)));
		else
			judged(e, POLICY_CHK_SUITE);
	}
	if (pending(e, POLICY_CHK_COMPRESSION) && sh->compression)
		failed(e, POLICY_CHK_COMPRESSION, -1, "compression method %u selected", sh->compression);
	if (pending(e, POLICY_CHK_ALPN_NOT_ALLOWED)) {
		if (sh->has_alpn && pr->has_alpn_allow && !policy_strset_has(&pr->alpn_allow, sh->alpn))
			failed(e, POLICY_CHK_ALPN_NOT_ALLOWED, -1, "ALPN %s", sh->alpn);
		else
			judged(e, POLICY_CHK_ALPN_NOT_ALLOWED);
	}
	if (pending(e, POLICY_CHK_INSECURE_RENEGOTIATION) && s->version < 0x0304 &&
	    !(s->resumption != TLS_RESUME_NONE) && !sh->renegotiation_info)
		failed(e, POLICY_CHK_INSECURE_RENEGOTIATION, -1,
		       "server without renegotiation_info (RFC 5746)");
	if (pending(e, POLICY_CHK_INSECURE_RENEGOTIATION) && s->version < 0x0304 &&
	    !ch->renegotiation_info)
		failed(e, POLICY_CHK_INSECURE_RENEGOTIATION, -1,
		       "client without renegotiation_info (RFC 5746)");
	if (pending(e, POLICY_CHK_WEAK_RANDOM) && all_zero(sh->random, 32))
		failed(e, POLICY_CHK_WEAK_RANDOM, -1, "server random all zero");
}

/* Named group and DH size: TLS 1.3 key_share (at ServerHello), TLS 1.2
 * ServerKeyExchange. */
static void stage_kx(const struct ectx *e, bool final_look)
{
	const struct tls_session *s = e->s;
	const struct policy_profile *pr = e->pr;
	const struct tls_suite_info *si = tls_suite_info(s->suite);
	bool is_tls13 = tls13(s);
	char buf[16];
	size_t i;

	if (!is_tls13 && !s->server_kx && !final_look)
		return;
	if (pending(e, POLICY_CHK_GROUP)) {
		bool ok = !s->kx_group;

		for (i = 0; i < pr->n_groups && !ok; i++)
			ok = pr->groups[i] == s->kx_group;
		if (!ok)
			failed(e, POLICY_CHK_GROUP, -1, "%s", group_str(s->kx_group, buf, sizeof(buf)));
		else
			judged(e, POLICY_CHK_GROUP);
	}
	if (pending(e, POLICY_CHK_DH_BITS)) {
		unsigned bits = s->dh_p_bits;

		if (s->kx_group >= 0x0100 && s->kx_group <= 0x0104) /* RFC 7919 ffdhe */
			bits = (unsigned[]){ 2048, 3072, 4096, 6144, 8192 }[s->kx_group - 0x0100];
		if (bits && bits < pr->min_dh_bits)
			failed(e, POLICY_CHK_DH_BITS, -1, "%u-bit DH group", bits);
		else if (bits || is_tls13 || final_look || !si || si->kx != TLS_KX_DHE)
			judged(e, POLICY_CHK_DH_BITS);
	}
}

static void fmt_time(const ASN1_TIME *t, char *out, size_t n)
{
	struct tm tm;

	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, n, "?");
}

/* The certificate checks of one chain. For the client side every defect is
 * collected into one CLIENT_CERT_INVALID failure (observed lists them). */
static void check_chain(const struct ectx *e, const struct policy_certreq *cr,
			const struct tls_chain *chain, bool client)
{
	struct x509_cert *const *certs = chain->cert;
	const char *sni = e->s->n_client_hellos && e->s->client_hello[0].has_sni ?
			  e->s->client_hello[0].sni : NULL;
	struct certcheck_chain_result vr = { .verify_error = X509_V_OK };
	struct certmemo facts;
	char defects[POLICY_OBSERVED_LEN] = "", t[32];
	const char *signame;
	int validity, md, i;
	size_t nd = 0;

#define DEFECT(chk, ...) do { \
		if (client) \
			nd += (size_t)snprintf(defects + nd, nd < sizeof(defects) ? sizeof(defects) - nd : 0, \
					       "%s%s", nd ? ", " : "", policy_check_suffix(chk)); \
		else if (pending(e, chk)) \
			failed(e, chk, -1, __VA_ARGS__); \
	} while (0)

	const struct policy_zone *z = &e->p->zones[e->st->zone - 1];
	struct certcheck_store *store = client ? (z->client_store ? z->client_store : cr->store)
					       : (z->server_store ? z->server_store : cr->store);

	if (store) {
		certcheck_chain(store, certs, chain->n, e->now, &vr);
		if (vr.verify_error != X509_V_OK)
			DEFECT(POLICY_CHK_CERT_UNTRUSTED, "%s",
			       X509_verify_cert_error_string(vr.verify_error));
	}
	if (cr->check_validity) {
		for (i = 0; i < chain->n; i++) {
			validity = certmemo_validity(certs[i], e->now, cr->skew);
			if (validity > 0) {
				fmt_time(X509_get0_notAfter(certs[i]->x509), t, sizeof(t));
				DEFECT(POLICY_CHK_CERT_EXPIRED, "%s expired %s", i ? "chain certificate" : "leaf", t);
				break;
			}
			if (validity < 0) {
				fmt_time(X509_get0_notBefore(certs[i]->x509), t, sizeof(t));
				DEFECT(POLICY_CHK_CERT_NOT_YET_VALID, "%s valid from %s",
				       i ? "chain certificate" : "leaf", t);
				break;
			}
		}
	}
	if (store && vr.rev == CERTCHECK_REV_REVOKED)
		DEFECT(POLICY_CHK_CERT_REVOKED, "revoked (CRL)");
	if (store && cr->revocation_required &&
	    (vr.rev == CERTCHECK_REV_NO_CRL || vr.rev == CERTCHECK_REV_STALE)) {
		if (client)
			DEFECT(POLICY_CHK_CERT_REVOCATION_UNKNOWN, "x");
		/* the server side waits for a possible OCSP staple */
	}
	certmemo_get(certs[0], &facts);
	if (facts.key_ok) {
		const struct certcheck_key *key = &facts.key;
		bool rsa = !strcmp(key->type, "RSA") || !strcmp(key->type, "RSA-PSS") ||
			   !strcmp(key->type, "DSA");

		if ((rsa && key->bits < cr->min_rsa_bits) ||
		    (!strcmp(key->type, "EC") && key->bits < cr->min_ec_bits))
			DEFECT(POLICY_CHK_CERT_WEAK_KEY, "%s %d bits", key->type, key->bits);
		if (cr->n_curves && !strcmp(key->type, "EC")) {
			size_t c;
			bool ok = false;

			for (c = 0; c < cr->n_curves && !ok; c++)
				ok = !strcmp(cr->curves[c], key->curve);
			if (!ok)
				DEFECT(POLICY_CHK_CERT_CURVE, "%s", key->curve[0] ? key->curve : "unnamed curve");
		}
	}
	if (cr->forbidden_md) {
		for (i = 0; i < chain->n; i++) {
			struct certmemo f;

			certmemo_get(certs[i], &f);
			if (i && f.self_signed)
				continue;   /* a root's self-signature proves nothing */
			md = f.md;
			signame = f.sig_name;
			if ((md == NID_md5 && (cr->forbidden_md & POLICY_MD_MD5)) ||
			    (md == NID_sha1 && (cr->forbidden_md & POLICY_MD_SHA1)) ||
			    (md == NID_sha224 && (cr->forbidden_md & POLICY_MD_SHA224))) {
				DEFECT(POLICY_CHK_CERT_SIGNATURE, "%s%s", signame ? signame : "?",
				       i ? " (chain)" : "");
				break;
			}
		}
	}
	if (!client && cr->match_sni && sni && !certmemo_host(certs[0], sni))
		DEFECT(POLICY_CHK_CERT_HOSTNAME, "SNI %s", sni);
	if (!cr->allow_self_signed && facts.self_signed)
		DEFECT(POLICY_CHK_CERT_SELF_SIGNED, "self-signed leaf");
	if (cr->max_chain && chain->n > cr->max_chain)
		DEFECT(POLICY_CHK_CERT_CHAIN_LENGTH, "%u certificates", chain->n);
	if (client) {
		if (nd && pending(e, POLICY_CHK_CLIENT_CERT_INVALID))
			failed(e, POLICY_CHK_CLIENT_CERT_INVALID, -1, "%s", defects);
		judged(e, POLICY_CHK_CLIENT_CERT_INVALID);
		return;
	}
	/* Checks that found nothing are judged; revocation waits for OCSP. */
	e->st->judged |= CERT_CHECKS & ~(BIT(POLICY_CHK_CERT_REVOKED) |
		BIT(POLICY_CHK_CERT_REVOCATION_UNKNOWN) | BIT(POLICY_CHK_CERT_OCSP_MISSING) |
		BIT(POLICY_CHK_CERT_OCSP_INVALID) | BIT(POLICY_CHK_CERT_HIDDEN) |
		BIT(POLICY_CHK_CERT_MISSING));
	e->st->judged |= BIT(POLICY_CHK_CERT_MISSING);
	e->st->crl_rev = (uint8_t)(store ? vr.rev : CERTCHECK_REV_NO_CRL);
#undef DEFECT
}

/* After the server's Certificate and CertificateStatus (RFC 6066 section
 * 8): the OCSP staple, and revocation as a whole. */
static void stage_revocation(const struct ectx *e)
{
	const struct tls_session *s = e->s;
	const struct policy_zone *z = &e->p->zones[e->st->zone - 1];
	const struct policy_certreq *cr = &e->pr->cert;
	enum certcheck_ocsp o = CERTCHECK_OCSP_NONE;
	char why[POLICY_OBSERVED_LEN] = "";

	if (s->ocsp_len && s->server_chain.n && s->server_chain.cert[0] &&
	    s->server_chain.cert[0]->x509)
		o = certcheck_ocsp(z->server_store ? z->server_store : cr->store, s->ocsp, s->ocsp_len,
				   s->server_chain.cert, s->server_chain.n, e->now, cr->skew,
				   why, sizeof(why));
	if (pending(e, POLICY_CHK_CERT_OCSP_INVALID)) {
		if (o == CERTCHECK_OCSP_INVALID)
			failed(e, POLICY_CHK_CERT_OCSP_INVALID, -1, "%s", why);
		else
			judged(e, POLICY_CHK_CERT_OCSP_INVALID);
	}
	if (pending(e, POLICY_CHK_CERT_REVOKED)) {
		if (e->st->crl_rev == CERTCHECK_REV_REVOKED)
			failed(e, POLICY_CHK_CERT_REVOKED, -1, "revoked (CRL)");
		else if (o == CERTCHECK_OCSP_REVOKED)
			failed(e, POLICY_CHK_CERT_REVOKED, -1, "revoked (stapled OCSP response)");
		else
			judged(e, POLICY_CHK_CERT_REVOKED);
	}
	if (pending(e, POLICY_CHK_CERT_REVOCATION_UNKNOWN)) {
		if (o != CERTCHECK_OCSP_GOOD && o != CERTCHECK_OCSP_REVOKED &&
		    (e->st->crl_rev == CERTCHECK_REV_NO_CRL || e->st->crl_rev == CERTCHECK_REV_STALE))
			failed(e, POLICY_CHK_CERT_REVOCATION_UNKNOWN, -1, "%s",
			       e->st->crl_rev == CERTCHECK_REV_STALE ? "CRL past its nextUpdate"
								     : "no CRL from the issuer");
		else
			judged(e, POLICY_CHK_CERT_REVOCATION_UNKNOWN);
	}
	if (pending(e, POLICY_CHK_CERT_OCSP_MISSING)) {
		if (o != CERTCHECK_OCSP_GOOD)
			failed(e, POLICY_CHK_CERT_OCSP_MISSING, -1, "OCSP staple: %s",
			       certcheck_ocsp_name(o));
		else
			judged(e, POLICY_CHK_CERT_OCSP_MISSING);
	}
}

/*
 * The verdict of the full handshake a resumption continues, looked up by
 * what links them: for a TLS 1.2 ticket, the hash of the ticket the
 * ClientHello presents (the server issued it in a NewSessionTicket we saw
 * in the clear); for a session id, the id the server echoed. TLS 1.3 PSK
 * resumptions cannot be linked: the NewSessionTicket that carried the
 * identity was encrypted. False when nothing is known.
 */
static bool resumed_from(const struct ectx *e, struct sessioncache_verdict *v)
{
	const struct tls_session *s = e->s;
	const struct tls_client_hello *ch = &s->client_hello[s->n_client_hellos - 1];
	const struct tls_server_hello *sh = &s->server_hello[s->n_server_hellos - 1];
	uint8_t key[SESSIONCACHE_KEY_MAX];
	size_t klen;

	if (s->resumption == TLS_RESUME_PSK)
		return false;
	if (s->resumption == TLS_RESUME_TICKET && ch->session_ticket_len) {
		klen = cache_key(key, 'T', e->flow, ch->ticket_hash, sizeof(ch->ticket_hash));
		if (sessioncache_get(e->flow->cache, e->flow->cache_region, key, klen, e->now, v))
			return true;
	}
	if (!sh->session_id_len)
		return false;
	klen = cache_key(key, 'S', e->flow, sh->session_id, sh->session_id_len);
	return sessioncache_get(e->flow->cache, e->flow->cache_region, key, klen, e->now, v);
}

static void stage_resumption(const struct ectx *e)
{
	const struct tls_session *s = e->s;
	struct sessioncache_verdict v;

	if (e->st->judged & BIT(POLICY_CHK_RESUMED_FAILED))
		return;
	/* A resumed session shows no certificate: its full handshake's
	 * verdict stands in for every certificate requirement. */
	e->st->judged |= CERT_CHECKS | CLIENT_CHECKS;
	if (!resumed_from(e, &v)) {
		if (pending(e, POLICY_CHK_UNKNOWN_RESUMPTION))
			failed(e, POLICY_CHK_UNKNOWN_RESUMPTION, -1, "%s resumption, session not seen",
			       s->resumption == TLS_RESUME_PSK ? "PSK" :
			       s->resumption == TLS_RESUME_TICKET ? "ticket" : "session id");
		judged(e, POLICY_CHK_RESUMED_FAILED);
		return;
	}
	judged(e, POLICY_CHK_UNKNOWN_RESUMPTION);
	if (v.action != POLICY_ACTION_NONE && pending(e, POLICY_CHK_RESUMED_FAILED))
		failed(e, POLICY_CHK_RESUMED_FAILED, v.action, "full handshake failed %s", v.rule);
	judged(e, POLICY_CHK_RESUMED_FAILED);
}

/*
 * Remembers a full handshake's verdict under every handle a later
 * resumption may present: its session id and each ticket it was issued.
 * A resumption that was linked and is issued a new ticket (RFC 5077 3.1)
 * passes the original verdict on to that ticket, so a chain of ticket
 * resumptions stays linked to its full handshake.
 */
static void remember(const struct ectx *e)
{
	const struct tls_session *s = e->s;
	struct sessioncache_verdict v = { 0 };
	uint8_t key[SESSIONCACHE_KEY_MAX];
	time_t until = e->now + (time_t)e->p->resume_lifetime;
	size_t klen;
	uint8_t i;

	if (!e->flow->cache || e->st->remembered || !s->n_server_hellos || !s->n_client_hellos)
		return;
	e->st->remembered = true;
	if (s->resumption != TLS_RESUME_NONE) {
		if (!s->n_tickets || !resumed_from(e, &v))
			return;
	} else {
		v.action = (uint8_t)e->st->action;
		if (e->st->n_failures) {
			const struct policy_rule *r =
				&e->p->rules[e->st->failures[e->st->strongest].rule];
			size_t n = strnlen(r->id, sizeof(v.rule) - 1);

			v.severity = r->severity;
			v.sid = r->sid;
			memcpy(v.rule, r->id, n);
			v.rule[n] = '\0';
		}
		/* A TLS 1.3 ServerHello's session id is the client's echoed
		 * (RFC 8446 4.1.3), not a session to resume: TLS 1.3 resumes
		 * by PSK, never by id. */
		if (s->server_hello[s->n_server_hellos - 1].session_id_len && !tls13(s)) {
			const struct tls_server_hello *sh = &s->server_hello[s->n_server_hellos - 1];

			klen = cache_key(key, 'S', e->flow, sh->session_id, sh->session_id_len);
			sessioncache_put(e->flow->cache, e->flow->cache_region, key, klen, &v, until);
		}
	}
	for (i = 0; i < s->n_tickets; i++) {
		klen = cache_key(key, 'T', e->flow, s->ticket_hash[i], TLS_TICKET_HASH_LEN);
		sessioncache_put(e->flow->cache, e->flow->cache_region, key, klen, &v, until);
	}
}

static void stage_anomalies(const struct ectx *e, bool not_tls)
{
	uint64_t a = e->st->anomalies;
	unsigned i;

	if (pending(e, POLICY_CHK_MALFORMED) && (a & MALFORMED_BITS)) {
		for (i = 0; i < ANOM_COUNT && !((a & MALFORMED_BITS) >> i & 1); i++)
			;
		failed(e, POLICY_CHK_MALFORMED, -1, "%s", anomaly_event((enum anomaly)i));
	}
	if (pending(e, POLICY_CHK_UNKNOWN_RECORD_TYPE) && (a & (1ull << ANOM_TLS_INVALID_RECORD_TYPE)))
		failed(e, POLICY_CHK_UNKNOWN_RECORD_TYPE, -1, "%s",
		       anomaly_event(ANOM_TLS_INVALID_RECORD_TYPE));
	if (pending(e, POLICY_CHK_NOT_TLS) && not_tls) {
		const struct policy_zone *z = &e->p->zones[e->st->zone - 1];

		if (!z->tls_ports.n || ports_have(&z->tls_ports, e->flow->server_port))
			failed(e, POLICY_CHK_NOT_TLS, -1, "non-TLS bytes to port %u", e->flow->server_port);
		else
			judged(e, POLICY_CHK_NOT_TLS);
	}
}

/*
 * A TLS <= 1.2 full handshake has shown everything the policy judges once
 * the server's flight is over (ServerHelloDone) -- unless the server will
 * still send a NewSessionTicket (remembered for ticket resumptions) or asked
 * for a client certificate the profile checks. Judging it final then lets
 * the inline monitor bypass the flow two packets earlier. Heartbeat messages
 * need the extension, which the hello check has judged already; a visible
 * renegotiation needs a cleartext second handshake, i.e. after the CCS.
 */
static bool nothing_left_to_see(const struct ectx *e, unsigned ev)
{
	const struct tls_session *s = e->s;
	const struct tls_server_hello *sh;

	if (!(ev & TLS_EV_SERVER_DONE) || !s->n_server_hellos || tls13(s) ||
	    s->resumption != TLS_RESUME_NONE)
		return false;
	sh = &s->server_hello[s->n_server_hellos - 1];
	if (sh->has_session_ticket)
		return false;
	if (s->cert_request && (pending(e, POLICY_CHK_CLIENT_CERT_MISSING) ||
				pending(e, POLICY_CHK_CLIENT_CERT_INVALID)))
		return false;
	return true;
}

/*
 * A TLS 1.3 session whose certificates stay encrypted: no key log had its
 * secrets, or they did not decrypt it, and no probe showed the server's. What was decrypted before a failure
 * was judged as usual; only what stayed hidden counts as hidden.
 */
static void stage_hidden(const struct ectx *e, unsigned ev)
{
	const struct tls_session *s = e->s;

	if (!s->server_chain.n) {
		if (pending(e, POLICY_CHK_CERT_HIDDEN))
			failed(e, POLICY_CHK_CERT_HIDDEN, -1, "TLS 1.3: certificate encrypted");
		e->st->judged |= CERT_CHECKS;
	}
	if (!(ev & TLS_EV_CLIENT_CERT)) {
		if (pending(e, POLICY_CHK_CLIENT_CERT_HIDDEN))
			failed(e, POLICY_CHK_CLIENT_CERT_HIDDEN, -1,
			       "TLS 1.3: client certificate encrypted");
		e->st->judged |= CLIENT_CHECKS;
	}
}

/* Key of "this server offered STARTTLS" in the session cache. */
static size_t starttls_key(const struct policy_flow *flow, uint8_t key[20])
{
	key[0] = 'S';
	key[1] = (uint8_t)flow->family;
	memcpy(key + 2, flow->server_addr, 16);
	key[18] = (uint8_t)(flow->server_port >> 8);
	key[19] = (uint8_t)flow->server_port;
	return 20;
}

/* How long an offer is remembered: a server that stopped offering STARTTLS
 * a month after it last did is taken as reconfigured, not stripped. */
#define STARTTLS_REMEMBER_S (30 * 86400)

/*
 * starttls: required. A server that listed STARTTLS among its capabilities
 * is remembered (bounded: the session cache's slots); when it lists them
 * again without STARTTLS, someone between it and the client took the offer
 * out (RFC 3207 6: a man in the middle can delete it), and a client that
 * then authenticates does so in clear text. Credentials sent before TLS
 * break the profile whether or not the offer was seen.
 */
static void stage_starttls(const struct ectx *e)
{
	const struct pretls *pre = e->flow->pre;
	struct sessioncache_verdict v = { 0 };
	uint8_t key[20];
	size_t len;

	if (!pre || !pretls_is_starttls(pre->proto))
		return;
	if (pre->caps_seen && e->flow->cache && !(e->st->judged & BIT(POLICY_CHK_STARTTLS_STRIPPED))) {
		len = starttls_key(e->flow, key);
		if (pre->offered) {
			sessioncache_put(e->flow->cache, e->flow->cache_region, key, len, &v,
					 e->now + STARTTLS_REMEMBER_S);
		} else if (pending(e, POLICY_CHK_STARTTLS_STRIPPED) &&
			   sessioncache_get(e->flow->cache, e->flow->cache_region, key, len, e->now,
					    &v)) {
			failed(e, POLICY_CHK_STARTTLS_STRIPPED, -1, "%s without STARTTLS",
			       pretls_proto_name(pre->proto));
		}
		judged(e, POLICY_CHK_STARTTLS_STRIPPED);
	}
	if (pre->cleartext_credentials && !pre->upgraded[PRETLS_TO_SERVER] &&
	    pending(e, POLICY_CHK_STARTTLS_CLEARTEXT_CREDENTIALS))
		failed(e, POLICY_CHK_STARTTLS_CLEARTEXT_CREDENTIALS, -1, "%s login before TLS",
		       pretls_proto_name(pre->proto));
}

static bool judges_starttls(const struct policy_profile *pr)
{
	return pr->rule[POLICY_CHK_STARTTLS_STRIPPED] ||
	       pr->rule[POLICY_CHK_STARTTLS_CLEARTEXT_CREDENTIALS];
}

enum policy_evasion policy_evasion(const struct policy *p, const struct policy_flow *flow,
				   const struct tls_session *s, struct policy_state *st,
				   enum anomaly a)
{
	struct ectx e = { p, NULL, flow, s, st, 0 };
	uint8_t mode;

	mode = st->zone ? p->profiles[p->zones[st->zone - 1].profile].evasion :
			  evasion_of_zones(p, flow);
	if (mode != POLICY_EVASION_DROP || st->final || a >= ANOM_COUNT)
		return (enum policy_evasion)mode;
	if (!st->zone)
		st->zone = choose_zone(p, flow, s);
	e.pr = &p->profiles[p->zones[st->zone - 1].profile];
	if (e.pr->evasion != POLICY_EVASION_DROP)
		return (enum policy_evasion)e.pr->evasion;
	if (pending(&e, POLICY_CHK_EVASION))
		failed(&e, POLICY_CHK_EVASION, -1, "%s", anomaly_event(a));
	st->final = true;
	return POLICY_EVASION_DROP;
}

static enum policy_action evaluate(const struct policy *p, const struct policy_flow *flow,
				   const struct tls_session *s, unsigned new_ev,
				   struct policy_state *st, time_t now, bool end)
{
	unsigned ev = s->events | new_ev;
	bool not_tls = s->not_tls || (ev & TLS_EV_NOT_TLS);
	bool is_tls13, resumed, hidden;
	struct ectx e = { p, NULL, flow, s, st, now };
	bool flow_end = end;

	if (st->final)
		return st->action;
	end = end || not_tls || s->done || (ev & (TLS_EV_HANDSHAKE_DONE | TLS_EV_ENCRYPTED));
	st->anomalies |= s->anomalies | flow->anomalies;
	if (!st->zone) {
		uint16_t z;

		if (!s->n_client_hellos && !flow->gquic && !end && !(new_ev & PRETLS_EV_FACTS))
			return st->action;
		/* Facts of a STARTTLS exchange, before any ClientHello: the
		 * zone is chosen now (without SNI) only if its profile judges
		 * them; otherwise it waits for the ClientHello as always. */
		z = choose_zone(p, flow, s);
		if (!s->n_client_hellos && !flow->gquic && !end &&
		    !judges_starttls(&p->profiles[p->zones[z - 1].profile]))
			return st->action;
		st->zone = z;
	}
	e.pr = &p->profiles[p->zones[st->zone - 1].profile];
	stage_starttls(&e);
	if ((s->quic || flow->gquic) && e.pr->quic_allow) {
		st->final = true;
		return st->action;
	}
	if ((s->quic || flow->gquic) && pending(&e, POLICY_CHK_QUIC))
		failed(&e, POLICY_CHK_QUIC, -1, "QUIC %s%s", sni_of(flow, s) ? "to " : "",
		       sni_of(flow, s) ? sni_of(flow, s) : "");
	stage_anomalies(&e, not_tls);
	if (s->n_client_hellos)
		stage_client_hello(&e);
	else if (flow->gquic)
		stage_gquic(&e);
	if (s->n_client_hellos && (ev & TLS_EV_SERVER_HELLO) && s->n_server_hellos) {
		stage_server_hello(&e);
		is_tls13 = tls13(s);
		resumed = s->resumption != TLS_RESUME_NONE;
		if (resumed)
			stage_resumption(&e);
		/* Secrets still awaited inline (tls_session_wait_keys): the
		 * flight will be read, or the wait given up, before more is
		 * judged; a flow that ends meanwhile stayed hidden. */
		hidden = is_tls13 && !resumed && s->keys != TLS_KEYS_DECRYPTING &&
			 !(s->keys == TLS_KEYS_WAITING && !flow_end) &&
			 s->cert_source != TLS_CERTS_PROBE;
		if (hidden && st->probe == POLICY_PROBE_WAITING && !flow_end) {
			/* The chain is being probed: certificate requirements wait
			 * for it, and nothing may end the judging before (the
			 * inline caller holds the server's flight meanwhile). */
			stage_kx(&e, false);
			st->probe_due = true;
			return st->action;
		}
		if (hidden && e.pr->tls13_probe && st->probe == POLICY_PROBE_NONE &&
		    pending(&e, POLICY_CHK_CERT_PROBE_FAILED))
			failed(&e, POLICY_CHK_CERT_PROBE_FAILED, -1, "%s",
			       p->zones[st->zone - 1].no_probe ? "probing is off in this zone" :
								 "not probed (no prober: offline)");
		if (hidden)
			stage_hidden(&e, ev);
		stage_kx(&e, end);
		if ((ev & TLS_EV_CERTIFICATE) && s->server_chain.n && s->server_chain.cert[0] &&
		    s->server_chain.cert[0]->x509 && e.pr->cert.enabled &&
		    !(st->judged & BIT(POLICY_CHK_CERT_MISSING)))
			check_chain(&e, &e.pr->cert, &s->server_chain, false);
		if ((ev & (TLS_EV_SERVER_KX | TLS_EV_SERVER_DONE)) || end) {
			if (pending(&e, POLICY_CHK_CERT_MISSING) &&
			    (s->server_chain.n == 0 || !s->server_chain.cert[0]))
				failed(&e, POLICY_CHK_CERT_MISSING, -1, "%s",
				       s->server_chain.n ? "certificate unreadable" : "no Certificate message");
			if (st->judged & BIT(POLICY_CHK_CERT_MISSING))
				stage_revocation(&e);
		}
		if (is_tls13 && s->cert_source == TLS_CERTS_PROBE && s->cert_request)
			/* The probe saw the server demand a client certificate:
			 * what a TLS 1.3 gateway can know of client authentication
			 * (the client's own certificate stays encrypted). */
			st->judged |= CLIENT_CHECKS;
		if (pending(&e, POLICY_CHK_CLIENT_CERT_MISSING) &&
		    ((ev & TLS_EV_SERVER_DONE) || end) && !s->cert_request)
			failed(&e, POLICY_CHK_CLIENT_CERT_MISSING, -1,
			       "server did not request a client certificate");
		if ((ev & TLS_EV_CLIENT_CERT) || end) {
			if (pending(&e, POLICY_CHK_CLIENT_CERT_MISSING)) {
				if (!s->client_chain.n)
					failed(&e, POLICY_CHK_CLIENT_CERT_MISSING, -1, "%s",
					       (ev & TLS_EV_CLIENT_CERT) ? "empty client Certificate"
									 : "no client Certificate");
				else
					judged(&e, POLICY_CHK_CLIENT_CERT_MISSING);
			}
			if (pending(&e, POLICY_CHK_CLIENT_CERT_INVALID) && s->client_chain.n &&
			    s->client_chain.cert[0] && s->client_chain.cert[0]->x509)
				check_chain(&e, &e.pr->client_cert, &s->client_chain, true);
		}
	}
	if (!end && nothing_left_to_see(&e, ev))
		end = true;
	if (end) {
		if (pending(&e, POLICY_CHK_HEARTBEAT) && s->heartbeat)
			failed(&e, POLICY_CHK_HEARTBEAT, -1, "heartbeat message");
		if (pending(&e, POLICY_CHK_INSECURE_RENEGOTIATION) && s->renegotiation &&
		    !(s->n_server_hellos && s->server_hello[0].renegotiation_info))
			failed(&e, POLICY_CHK_INSECURE_RENEGOTIATION, -1, "renegotiation without RFC 5746");
		remember(&e);
		st->final = true;
	}
	return st->action;
}

void policy_state_init(struct policy_state *st)
{
	memset(st, 0, offsetof(struct policy_state, failures));
}

void policy_state_rehello(struct policy_state *st)
{
	if (st->action >= POLICY_ACTION_DROP)
		return;
	st->final = false;
	st->zone = 0;
	st->judged = 0;
}

enum policy_action policy_evaluate(const struct policy *p, const struct policy_flow *flow,
				   const struct tls_session *s, unsigned new_milestones,
				   struct policy_state *st, time_t now)
{
	return evaluate(p, flow, s, new_milestones, st, now, false);
}

bool policy_links_sessions(const struct policy *p)
{
	static const enum policy_check linked[] = {
		POLICY_CHK_WEAK_RANDOM, POLICY_CHK_UNKNOWN_RESUMPTION, POLICY_CHK_RESUMED_FAILED,
		POLICY_CHK_STARTTLS_STRIPPED,
	};
	size_t i, k;

	for (i = 0; i < p->n_profiles; i++)
		for (k = 0; k < sizeof(linked) / sizeof(linked[0]); k++)
			if (p->profiles[i].rule[linked[k]])
				return true;
	return false;
}

bool policy_wants_probe(const struct policy *p, const struct policy_flow *flow,
			const struct tls_session *s, struct policy_state *st)
{
	const struct tls_client_hello *ch = s->n_client_hellos ? &s->client_hello[0] : NULL;
	unsigned i;

	/* QUIC too: its certificates are as hidden as TLS 1.3's, and the
	 * probe asks the same server over TCP (probe.h) */
	if (st->final || !st->zone || !ch || st->probe != POLICY_PROBE_NONE ||
	    !p->profiles[p->zones[st->zone - 1].profile].tls13_probe ||
	    p->zones[st->zone - 1].no_probe)
		return false;
	for (i = 0; i < ch->n_versions; i++)
		if (ch->versions[i] == 0x0304) {
			st->probe = POLICY_PROBE_WAITING;
			return true;
		}
	return false;
}

bool policy_wants_certificates(const struct policy *p, const struct policy_state *st)
{
	const struct policy_profile *pr;
	unsigned chk;

	if (st->final || !st->zone)
		return false;
	pr = &p->profiles[p->zones[st->zone - 1].profile];
	for (chk = 0; chk < POLICY_CHK_COUNT; chk++)
		if (((CERT_CHECKS | CLIENT_CHECKS) & BIT(chk)) && pr->rule[chk] &&
		    !(st->judged & BIT(chk)))
			return true;
	return false;
}

enum policy_action policy_probe_failed(const struct policy *p, const struct policy_flow *flow,
				       const struct tls_session *s, struct policy_state *st,
				       const char *reason, time_t now)
{
	struct ectx e = { p, NULL, flow, s, st, now };

	if (st->final || !st->zone)
		return st->action;
	e.pr = &p->profiles[p->zones[st->zone - 1].profile];
	st->probe = POLICY_PROBE_DONE;
	st->probe_due = false;
	if (pending(&e, POLICY_CHK_CERT_PROBE_FAILED))
		failed(&e, POLICY_CHK_CERT_PROBE_FAILED, -1, "%s", reason);
	judged(&e, POLICY_CHK_CERT_PROBE_FAILED);
	return evaluate(p, flow, s, 0, st, now, false);
}

enum policy_action policy_finish(const struct policy *p, const struct policy_flow *flow,
				 const struct tls_session *s, struct policy_state *st, time_t now)
{
	return evaluate(p, flow, s, 0, st, now, true);
}

/* ---- output ---- */

bool policy_alert_header(const struct policy *p, const struct policy_state *st,
			 struct policy_alert *out)
{
	const struct policy_failure *f;
	const struct policy_rule *r;

	memset(out, 0, sizeof(*out));
	if (!st->n_failures)
		return false;
	f = &st->failures[st->strongest];
	r = &p->rules[f->rule];
	out->signature_id = r->sid;
	out->signature = r->message;
	out->alert_json = r->alert_json.s;
	out->alert_json_len = r->alert_json.n;
	out->category = policy_check_category((enum policy_check)r->check);
	out->severity = f->severity;
	out->action = st->action >= POLICY_ACTION_DROP ? "blocked" : "allowed";
	out->rule_id = r->id;
	return true;
}

const char *policy_failure_rule(const struct policy *p, const struct policy_failure *f)
{
	return f->rule < p->n_rules ? p->rules[f->rule].id : "";
}

void policy_state_to_json(const struct policy *p, const struct policy_state *st,
			  struct json *j)
{
	const struct policy_zone *z = st->zone ? &p->zones[st->zone - 1] : NULL;
	uint8_t i;

	json_object_begin(j);
	/* The file's names, and each rule's own part of a failure, were made
	 * JSON at load (struct policy_text); the program's own names
	 * (verdicts, checks, actions) need no escaping. */
	if (z)
		json_raw(j, z->json.s, z->json.n);
	json_kv_plain(j, "verdict", st->action >= POLICY_ACTION_DROP ? policy_action_name(st->action) :
				    st->action == POLICY_ACTION_ALERT ? "alert" : "pass");
	json_kv_bool(j, "final", st->final);
	json_key(j, "failed");
	json_array_begin(j);
	for (i = 0; i < st->n_failures; i++) {
		const struct policy_failure *f = &st->failures[i];
		const struct policy_rule *r = &p->rules[f->rule];

		json_raw(j, r->failed_head.s, r->failed_head.n);
		buf_put_u64(j->out, f->severity);
		buf_puts(j->out, ",\"action\":\"");
		buf_puts(j->out, policy_action_name(f->action));
		buf_puts(j->out, "\",\"observed\":\"");
		json_escape(j->out, f->observed, strnlen(f->observed, sizeof(f->observed)));
		buf_puts(j->out, "\",");
		buf_put(j->out, r->failed_tail.s, r->failed_tail.n);
	}
	json_array_end(j);
	if (st->truncated)
		json_kv_bool(j, "truncated", true);
	json_object_end(j);
}
