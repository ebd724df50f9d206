/*
 * rules: YAML (libyaml document API) -> struct policy.
 *
 * The whole file is loaded as a libyaml document first, so every node keeps
 * its position and every message can say file:line:column. The walk follows
 * the schema of docs/rules.md: each mapping's keys are checked against the
 * keys that mapping may have before any value is read, so an unknown or
 * misspelt key is an error, never silently ignored.
 */
#include "policy/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <yaml.h>

#include "buf.h"
#include "json.h"
#include "yamldoc.h"
#include "x509/certcheck.h"
#include "tls/tls_names.h"

#define RULES_MAX_FILE (4u << 20)   /* rules and list files */
#define RULES_DEFAULT_RESUME 86400u

enum list_kind { LIST_SNI, LIST_JA3, LIST_JA4, LIST_ALPN };
static const char *const list_kinds[] = { "sni", "ja3", "ja4", "alpn", NULL };

struct rlist {
	const char *name;
	enum list_kind kind;
	size_t n;
	char **items;
};

struct rctx {
	struct yamldoc yd;
	const char *name;
	const char *basedir;
	unsigned flags;
	struct policy_error *err;
	struct policy *p;
	size_t n_lists;
	struct rlist *lists;
	struct certcheck_store *system_store;
};

/* What a requirement block may say about its alerts. */
struct meta {
	const yaml_node_t *node;    /* the block, for messages */
	const char *id;
	const yaml_node_t *id_node;
	long sid;                   /* -1: default */
	const yaml_node_t *sid_node;
	const char *message;
	int severity;               /* -1: the profile's */
	int action;                 /* -1: the profile's */
	/* Set by a check's own entry inside a block making several rules:
	 * its id and sid are taken as they are, not as block id + suffix
	 * and block sid + rank. */
	bool id_exact, sid_exact;
};

struct pdefaults {
	uint16_t index;
	const char *name;
	uint8_t severity, action;
};

static const char *const meta_keys[] = { "id", "sid", "message", "severity", "action", NULL };

/* ---- node helpers ---- */

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static bool get_action(struct rctx *c, const yaml_node_t *n, bool allow_ok, int *out)
{
	const char *s = yamldoc_scalar(n);

	if (s && !strcmp(s, "alert"))
		*out = POLICY_ACTION_ALERT;
	else if (s && !strcmp(s, "drop"))
		*out = POLICY_ACTION_DROP;
	else if (s && !strcmp(s, "reject"))
		*out = POLICY_ACTION_REJECT;
	else if (s && allow_ok && !strcmp(s, "allow"))
		*out = POLICY_ACTION_NONE;
	else
		return yamldoc_fail(&c->yd, n, "action must be %salert, drop or reject", allow_ok ? "allow, " : "");
	return true;
}

/* Calls fn for a scalar or for each scalar of a list. */
static bool each_scalar(struct rctx *c, const yaml_node_t *n, const char *what,
			bool (*fn)(struct rctx *, const yaml_node_t *, const char *, void *), void *arg)
{
	size_t i;

	if (!yamldoc_scalars(&c->yd, n, what))
		return false;
	for (i = 0; i < yamldoc_items(n); i++) {
		const yaml_node_t *e = yamldoc_item(&c->yd, n, i);

		if (!fn(c, e, yamldoc_scalar(e), arg))
			return false;
	}
	return true;
}

/* Renders a node compactly ("[a, b]", "{k: v}") for `required` texts. */
static void render(struct rctx *c, const yaml_node_t *n, struct buf *b, bool skip_meta)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *pr;
	bool first = true;

	switch (n->type) {
	case YAML_SCALAR_NODE:
		buf_puts(b, yamldoc_scalar(n));
		break;
	case YAML_SEQUENCE_NODE:
		buf_putc(b, '[');
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			buf_puts(b, first ? "" : ", ");
			first = false;
			render(c, yamldoc_node(&c->yd, *it), b, false);
		}
		buf_putc(b, ']');
		break;
	case YAML_MAPPING_NODE:
		for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
			const char *k = yamldoc_scalar(yamldoc_node(&c->yd, pr->key));

			if (!k || (skip_meta && in_list(k, meta_keys)))
				continue;
			buf_puts(b, first ? "" : "; ");
			first = false;
			buf_printf(b, "%s: ", k);
			render(c, yamldoc_node(&c->yd, pr->value), b, false);
		}
		break;
	default:
		break;
	}
}

static char *xstrdup(struct rctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		yamldoc_fail(&c->yd, NULL, "out of memory");
	return d;
}

/* Takes b's text into t (b is left empty); false when b ran out of
 * memory. */
static bool take_text(struct rctx *c, struct buf *b, struct policy_text *t)
{
	t->s = b->oom ? NULL : xstrdup(c, buf_cstr(b));
	t->n = b->len;
	buf_free(b);
	if (!t->s)
		yamldoc_fail(&c->yd, NULL, "out of memory");
	return t->s != NULL;
}

/* "key":"s escaped", */
static void put_named(struct buf *b, const char *key, const char *s)
{
	buf_putc(b, '"');
	buf_puts(b, key);
	buf_puts(b, "\":\"");
	json_escape(b, s, strlen(s));
	buf_putc(b, '"');
}

/* The texts an alert copies of rule r (struct policy_rule). */
static bool rule_texts(struct rctx *c, struct policy_rule *r)
{
	struct buf b = { 0 };

	buf_puts(&b, "\"gid\":1,\"signature_id\":");
	buf_put_u64(&b, r->sid);
	buf_puts(&b, ",\"rev\":1,");
	put_named(&b, "signature", r->message);
	buf_putc(&b, ',');
	put_named(&b, "category", policy_check_category((enum policy_check)r->check));
	if (!take_text(c, &b, &r->alert_json))
		return false;
	buf_putc(&b, '{');
	put_named(&b, "rule", r->id);
	buf_puts(&b, ",\"sid\":");
	buf_put_u64(&b, r->sid);
	buf_putc(&b, ',');
	put_named(&b, "check", policy_check_name((enum policy_check)r->check));
	buf_putc(&b, ',');
	put_named(&b, "message", r->message);
	buf_puts(&b, ",\"severity\":");
	if (!take_text(c, &b, &r->failed_head))
		return false;
	put_named(&b, "required", r->required);
	buf_putc(&b, '}');
	return take_text(c, &b, &r->failed_tail);
}

/* The text an alert copies of zone z, once its profile is known. */
static bool zone_text(struct rctx *c, struct policy_zone *z)
{
	struct buf b = { 0 };

	put_named(&b, "zone", z->name);
	buf_putc(&b, ',');
	put_named(&b, "profile", c->p->profiles[z->profile].name);
	return take_text(c, &b, &z->json);
}

static char *render_dup(struct rctx *c, const yaml_node_t *n)
{
	struct buf b = { 0 };
	char *s;

	render(c, n, &b, true);
	s = xstrdup(c, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static bool grow(struct rctx *c, void **arr, size_t n, size_t size)
{
	void *p;

	/* Capacity: 4, then doubling whenever n reaches a power of two. */
	if (n && (n < 4 || (n & (n - 1))))
		return true;
	p = realloc(*arr, (n ? 2 * n : 4) * size);
	if (!p)
		return yamldoc_fail(&c->yd, NULL, "out of memory");
	*arr = p;
	return true;
}

/* ---- meta and rules ---- */

static bool get_meta(struct rctx *c, const yaml_node_t *block, struct meta *m)
{
	const yaml_node_t *n;
	unsigned long v;

	memset(m, 0, sizeof(*m));
	m->node = block;
	m->sid = -1;
	m->severity = -1;
	m->action = -1;
	if (block->type != YAML_MAPPING_NODE)
		return true;
	if ((n = yamldoc_get(&c->yd, block, "id"))) {
		if (!yamldoc_scalar(n) || !*yamldoc_scalar(n))
			return yamldoc_fail(&c->yd, n, "id must be a non-empty name");
		m->id = yamldoc_scalar(n);
		m->id_node = n;
	}
	if ((n = yamldoc_get(&c->yd, block, "sid"))) {
		if (!yamldoc_uint(&c->yd, n, "sid", 1, 0x7fffffff, &v))
			return false;
		m->sid = (long)v;
		m->sid_node = n;
	}
	if ((n = yamldoc_get(&c->yd, block, "message"))) {
		if (!yamldoc_scalar(n) || !*yamldoc_scalar(n))
			return yamldoc_fail(&c->yd, n, "message must be a non-empty text");
		m->message = yamldoc_scalar(n);
	}
	if ((n = yamldoc_get(&c->yd, block, "severity"))) {
		if (!yamldoc_uint(&c->yd, n, "severity", 1, 4, &v))
			return false;
		m->severity = (int)v;
	}
	if ((n = yamldoc_get(&c->yd, block, "action")) && !get_action(c, n, false, &m->action))
		return false;
	return true;
}

/*
 * Adds the rule for check `chk` of profile pd, made by the block described
 * by m. k is the check's rank within a block making several (sid + k), or
 * -1 for a block that makes one rule.
 */
static bool add_rule(struct rctx *c, const struct pdefaults *pd, enum policy_check chk,
		     const struct meta *m, int k, const char *required)
{
	struct policy *p = c->p;
	struct policy_rule *r;
	char id[256];
	uint32_t sid;
	size_t i;

	if (m->id && k >= 0 && !m->id_exact)
		snprintf(id, sizeof(id), "%s.%s", m->id, policy_check_suffix(chk));
	else if (m->id)
		snprintf(id, sizeof(id), "%s", m->id);
	else
		snprintf(id, sizeof(id), "%s.%s", pd->name, policy_check_name(chk));
	sid = m->sid < 0 ? POLICY_SID_BASE + chk :
	      (uint32_t)m->sid + (uint32_t)(k > 0 && !m->sid_exact ? k : 0);
	for (i = 0; i < p->n_rules; i++) {
		if (!strcmp(p->rules[i].id, id))
			return yamldoc_fail(&c->yd, m->id_node ? m->id_node : m->node, "duplicate rule id '%s'", id);
		if (m->sid >= 0 && p->rules[i].sid == sid)
			return yamldoc_fail(&c->yd, m->sid_node, "duplicate sid %u (rule '%s' has it)", sid,
				    p->rules[i].id);
	}
	if (p->n_rules >= UINT16_MAX - 1)
		return yamldoc_fail(&c->yd, m->node, "too many rules");
	if (!grow(c, (void **)&p->rules, p->n_rules, sizeof(*p->rules)))
		return false;
	r = &p->rules[p->n_rules];
	memset(r, 0, sizeof(*r));
	p->n_rules++;
	r->id = xstrdup(c, id);
	r->message = xstrdup(c, m->message ? m->message : policy_check_message(chk));
	r->required = xstrdup(c, required ? required : "");
	r->sid = sid;
	r->severity = (uint8_t)(m->severity >= 0 ? m->severity : pd->severity);
	r->action = (uint8_t)(m->action >= 0 ? m->action : pd->action);
	r->check = (uint8_t)chk;
	r->profile = pd->index;
	if (r->id && r->message && r->required && !rule_texts(c, r))
		return false;
	p->profiles[pd->index].rule[chk] = (uint16_t)p->n_rules;
	return !c->yd.failed;
}

/* A block given as a scalar action ("heartbeat: drop") or as a mapping with
 * meta keys only. */
static bool action_block(struct rctx *c, const struct pdefaults *pd, enum policy_check chk,
			 const yaml_node_t *n, const char *what)
{
	struct meta m;
	int a;

	if (n->type == YAML_SCALAR_NODE) {
		if (!get_action(c, n, false, &a))
			return false;
		memset(&m, 0, sizeof(m));
		m.node = n;
		m.sid = -1;
		m.severity = -1;
		m.action = a;
		return add_rule(c, pd, chk, &m, -1, "not present");
	}
	if (!yamldoc_check_keys(&c->yd, n, what, meta_keys, NULL) || !get_meta(c, n, &m))
		return false;
	return add_rule(c, pd, chk, &m, -1, "not present");
}

/* ---- versions ---- */

bool rules_version_by_name(const char *s, uint16_t *v)
{
	static const struct { const char *n; uint16_t v; } names[] = {
		{ "SSLv2", 0x0002 }, { "SSLv3", 0x0300 },
		{ "TLSv1", 0x0301 }, { "TLSv1.0", 0x0301 }, { "TLS1.0", 0x0301 }, { "TLS 1.0", 0x0301 },
		{ "TLSv1.1", 0x0302 }, { "TLS1.1", 0x0302 }, { "TLS 1.1", 0x0302 },
		{ "TLSv1.2", 0x0303 }, { "TLS1.2", 0x0303 }, { "TLS 1.2", 0x0303 },
		{ "TLSv1.3", 0x0304 }, { "TLS1.3", 0x0304 }, { "TLS 1.3", 0x0304 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n)) {
			*v = names[i].v;
			return true;
		}
	return false;
}

static int version_bit(uint16_t v)
{
	if (v == 0x0002 || v == 0x0200)
		return 15;
	if (v >= 0x0300 && v <= 0x0304)
		return v - 0x0300;
	return -1;
}

static bool version_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	uint16_t v;

	if (!rules_version_by_name(s, &v))
		return yamldoc_fail(&c->yd, n, "unknown protocol version '%s' (expected SSLv3, TLS1.0, TLS1.1, "
			    "TLS1.2 or TLS1.3)", s);
	*(uint16_t *)arg |= (uint16_t)(1u << version_bit(v));
	return true;
}

static bool one_version(struct rctx *c, const yaml_node_t *n, const char *what, uint16_t *v)
{
	if (!yamldoc_scalar(n))
		return yamldoc_fail(&c->yd, n, "%s must be a protocol version", what);
	if (!rules_version_by_name(yamldoc_scalar(n), v))
		return yamldoc_fail(&c->yd, n, "unknown protocol version '%s' (expected SSLv3, TLS1.0, TLS1.1, "
			    "TLS1.2 or TLS1.3)", yamldoc_scalar(n));
	return true;
}

static bool parse_versions(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n)
{
	static const char *const keys[] = { "min", "max", "allow", NULL };
	struct policy_profile *pr = &c->p->profiles[pd->index];
	const yaml_node_t *mn, *mx, *al;
	struct buf b = { 0 };
	uint16_t lo = 0x0300, hi = 0x0304, mask = 0;
	struct meta m;
	bool ok;
	int i;

	if (n->type == YAML_SEQUENCE_NODE) {
		if (!each_scalar(c, n, "versions", version_item, &mask) || !get_meta(c, n, &m))
			return false;
	} else {
		if (!yamldoc_check_keys(&c->yd, n, "versions", keys, meta_keys) || !get_meta(c, n, &m))
			return false;
		mn = yamldoc_get(&c->yd, n, "min");
		mx = yamldoc_get(&c->yd, n, "max");
		al = yamldoc_get(&c->yd, n, "allow");
		if (al && (mn || mx))
			return yamldoc_fail(&c->yd, al, "versions: give either allow or min/max, not both");
		if (al && !each_scalar(c, al, "versions allow", version_item, &mask))
			return false;
		if (!al && !mn && !mx)
			return yamldoc_fail(&c->yd, n, "versions needs min, max or allow");
		if (mn && !one_version(c, mn, "min", &lo))
			return false;
		if (mx && !one_version(c, mx, "max", &hi))
			return false;
		if (!al && (lo == 0x0002 || hi == 0x0002))
			return yamldoc_fail(&c->yd, mn ? mn : mx, "SSLv2 can only be named in allow");
		if (!al && lo > hi)
			return yamldoc_fail(&c->yd, mn, "min version is above max version");
		if (!al)
			for (i = lo; i <= hi; i++)
				mask |= (uint16_t)(1u << version_bit((uint16_t)i));
	}
	if (!mask)
		return yamldoc_fail(&c->yd, n, "versions allows no version at all");
	pr->versions = mask;
	if (mask & (1u << 15))
		buf_puts(&b, "SSLv2");
	for (i = 0; i <= 4; i++) {
		const char *vn = tls_version_short((uint16_t)(0x0300 + i));

		if (mask & (1u << i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", vn ? vn : "?");
	}
	ok = add_rule(c, pd, POLICY_CHK_VERSION, &m, -1, buf_cstr(&b));
	buf_free(&b);
	return ok;
}

/* ---- cipher suites ---- */

static inline void bit_set(uint8_t *map, uint16_t code, bool on)
{
	if (on)
		map[code >> 3] |= (uint8_t)(1u << (code & 7));
	else
		map[code >> 3] &= (uint8_t)~(1u << (code & 7));
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

struct suite_arg {
	uint8_t *map;
	bool on;
};

static bool suite_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct suite_arg *sa = arg;
	const struct tls_suite_info *si;
	uint64_t code;
	unsigned i, hits = 0;

	if (isdigit((unsigned char)s[0]) && yamldoc_parse_u64(s, &code)) {
		if (code > 0xffff)
			return yamldoc_fail(&c->yd, n, "cipher suite code %s is above 0xffff", s);
		bit_set(sa->map, (uint16_t)code, sa->on);
		return true;
	}
	if (!has_glob(s)) {
		si = tls_suite_by_name(s);
		if (!si)
			return yamldoc_fail(&c->yd, n, "unknown cipher suite '%s' (use the IANA or OpenSSL name, "
				    "or a code like 0xc02f)", s);
		bit_set(sa->map, si->code, sa->on);
		return true;
	}
	for (i = 0; (si = tls_suite_at(i)); i++)
		if (policy_glob(s, si->name, false) ||
		    (si->openssl_name && policy_glob(s, si->openssl_name, false))) {
			bit_set(sa->map, si->code, sa->on);
			hits++;
		}
	if (!hits)
		return yamldoc_fail(&c->yd, n, "cipher suite pattern '%s' matches no known suite", s);
	return true;
}

static const char *const suite_props[] = {
	"rsa_kx", "static_dh", "dhe", "ecdhe", "psk", "srp", "anon", "null", "rc4", "rc2",
	"des", "3des", "idea", "seed", "cbc", "camellia", "aria", "export", "md5", "sha1",
	"non_aead", "no_forward_secrecy", NULL
};

static bool suite_has(const struct tls_suite_info *si, const char *prop)
{
	if (!strcmp(prop, "rsa_kx")) return si->kx == TLS_KX_RSA || si->kx == TLS_KX_RSA_PSK;
	if (!strcmp(prop, "static_dh")) return si->kx == TLS_KX_DH || si->kx == TLS_KX_ECDH;
	if (!strcmp(prop, "dhe")) return si->kx == TLS_KX_DHE || si->kx == TLS_KX_DHE_PSK;
	if (!strcmp(prop, "ecdhe")) return si->kx == TLS_KX_ECDHE || si->kx == TLS_KX_ECDHE_PSK;
	if (!strcmp(prop, "psk"))
		return si->kx == TLS_KX_PSK || si->kx == TLS_KX_DHE_PSK ||
		       si->kx == TLS_KX_ECDHE_PSK || si->kx == TLS_KX_RSA_PSK;
	if (!strcmp(prop, "srp")) return si->kx == TLS_KX_SRP;
	if (!strcmp(prop, "anon")) return si->auth == TLS_AUTH_ANON || si->auth == TLS_AUTH_NULL;
	if (!strcmp(prop, "null")) return si->enc == TLS_ENC_NULL;
	if (!strcmp(prop, "rc4")) return si->enc == TLS_ENC_RC4;
	if (!strcmp(prop, "rc2")) return si->enc == TLS_ENC_RC2;
	if (!strcmp(prop, "des")) return si->enc == TLS_ENC_DES || si->enc == TLS_ENC_DES40;
	if (!strcmp(prop, "3des")) return si->enc == TLS_ENC_3DES;
	if (!strcmp(prop, "idea")) return si->enc == TLS_ENC_IDEA;
	if (!strcmp(prop, "seed")) return si->enc == TLS_ENC_SEED;
	if (!strcmp(prop, "cbc")) return si->cbc;
	if (!strcmp(prop, "camellia"))
		return si->enc == TLS_ENC_CAMELLIA_CBC || si->enc == TLS_ENC_CAMELLIA_GCM;
	if (!strcmp(prop, "aria")) return si->enc == TLS_ENC_ARIA_CBC || si->enc == TLS_ENC_ARIA_GCM;
	if (!strcmp(prop, "export")) return si->export_grade;
	if (!strcmp(prop, "md5")) return si->mac == TLS_MAC_MD5;
	if (!strcmp(prop, "sha1")) return si->mac == TLS_MAC_SHA1;
	if (!strcmp(prop, "non_aead")) return !si->aead;
	if (!strcmp(prop, "no_forward_secrecy")) return !si->forward_secret;
	return false;
}

static bool prop_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	uint8_t *map = arg;
	const struct tls_suite_info *si;
	unsigned i;

	if (!in_list(s, suite_props))
		return yamldoc_fail(&c->yd, n, "unknown cipher suite property '%s' (expected rsa_kx, static_dh, dhe, "
			    "ecdhe, psk, srp, anon, null, rc4, rc2, des, 3des, idea, seed, cbc, camellia, "
			    "aria, export, md5, sha1, non_aead or no_forward_secrecy)", s);
	for (i = 0; (si = tls_suite_at(i)); i++)
		if (suite_has(si, s))
			bit_set(map, si->code, false);
	return true;
}

static bool parse_suites(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n)
{
	static const char *const keys[] = { "allow", "deny", "forbid", "min_key_bits", NULL };
	struct policy_profile *pr = &c->p->profiles[pd->index];
	const struct tls_suite_info *si;
	const yaml_node_t *al = NULL, *x;
	struct suite_arg sa;
	unsigned long bits;
	struct meta m;
	char *req;
	unsigned i;
	bool ok;

	pr->suite_ok = calloc(8192, 1);
	if (!pr->suite_ok)
		return yamldoc_fail(&c->yd, n, "out of memory");
	sa.map = pr->suite_ok;
	if (n->type == YAML_SEQUENCE_NODE) {
		al = n;
		if (!get_meta(c, n, &m))
			return false;
	} else {
		if (!yamldoc_check_keys(&c->yd, n, "cipher_suites", keys, meta_keys) || !get_meta(c, n, &m))
			return false;
		al = yamldoc_get(&c->yd, n, "allow");
	}
	if (al) {
		sa.on = true;
		if (!each_scalar(c, al, "cipher_suites allow", suite_item, &sa))
			return false;
	} else {
		for (i = 0; (si = tls_suite_at(i)); i++)
			bit_set(pr->suite_ok, si->code, true);
	}
	if (n->type == YAML_MAPPING_NODE) {
		if ((x = yamldoc_get(&c->yd, n, "deny"))) {
			sa.on = false;
			if (!each_scalar(c, x, "cipher_suites deny", suite_item, &sa))
				return false;
		}
		if ((x = yamldoc_get(&c->yd, n, "forbid")) &&
		    !each_scalar(c, x, "cipher_suites forbid", prop_item, pr->suite_ok))
			return false;
		if ((x = yamldoc_get(&c->yd, n, "min_key_bits"))) {
			if (!yamldoc_uint(&c->yd, x, "min_key_bits", 0, 256, &bits))
				return false;
			for (i = 0; (si = tls_suite_at(i)); i++)
				if (si->enc_bits < bits && si->enc != TLS_ENC_NULL)
					bit_set(pr->suite_ok, si->code, false);
		}
	}
	req = render_dup(c, n);
	ok = req && add_rule(c, pd, POLICY_CHK_SUITE, &m, -1, req);
	free(req);
	return ok;
}

/* ---- groups ---- */

static bool group_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct policy_profile *pr = arg;
	uint16_t g;

	if (!tls_group_by_name(s, &g))
		return yamldoc_fail(&c->yd, n, "unknown key exchange group '%s'", s);
	if (!grow(c, (void **)&pr->groups, pr->n_groups, sizeof(*pr->groups)))
		return false;
	pr->groups[pr->n_groups++] = g;
	return true;
}

static bool parse_groups(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n)
{
	static const char *const keys[] = { "allow", "min_dh_bits", NULL };
	struct policy_profile *pr = &c->p->profiles[pd->index];
	const yaml_node_t *al = NULL, *x = NULL;
	unsigned long bits;
	char req[64];
	struct meta m;
	char *r;
	bool ok;

	if (n->type == YAML_SEQUENCE_NODE) {
		al = n;
		if (!get_meta(c, n, &m))
			return false;
	} else {
		if (!yamldoc_check_keys(&c->yd, n, "groups", keys, meta_keys) || !get_meta(c, n, &m))
			return false;
		al = yamldoc_get(&c->yd, n, "allow");
		x = yamldoc_get(&c->yd, n, "min_dh_bits");
		if (!al && !x)
			return yamldoc_fail(&c->yd, n, "groups needs allow or min_dh_bits");
	}
	if (al) {
		if (!each_scalar(c, al, "groups allow", group_item, pr))
			return false;
		if (!pr->n_groups)
			return yamldoc_fail(&c->yd, al, "groups allow is empty");
		r = render_dup(c, al);
		ok = r && add_rule(c, pd, POLICY_CHK_GROUP, &m, x ? 0 : -1, r);
		free(r);
		if (!ok)
			return false;
	}
	if (x) {
		if (!yamldoc_uint(&c->yd, x, "min_dh_bits", 512, 16384, &bits))
			return false;
		pr->min_dh_bits = (unsigned)bits;
		snprintf(req, sizeof(req), ">= %lu bits", bits);
		return add_rule(c, pd, POLICY_CHK_DH_BITS, &m, al ? 1 : -1, req);
	}
	return true;
}

/* ---- certificates ---- */

static bool path_join(struct rctx *c, const yaml_node_t *n, const char *s, char *out, size_t len)
{
	int w;

	if (!*s)
		return yamldoc_fail(&c->yd, n, "empty path");
	w = s[0] == '/' || !c->basedir || !*c->basedir ? snprintf(out, len, "%s", s)
						       : snprintf(out, len, "%s/%s", c->basedir, s);
	if (w < 0 || (size_t)w >= len)
		return yamldoc_fail(&c->yd, n, "path too long");
	return true;
}

static bool crl_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct certcheck_store *st = arg;
	char path[4096], why[256];

	if (!path_join(c, n, s, path, sizeof(path)))
		return false;
	if (!st)
		return true;
	if (certcheck_store_add_crl(st, path, why, sizeof(why)) < 0)
		return yamldoc_fail(&c->yd, n, "%s: '%s'", why, s);
	return true;
}

static bool keep_store(struct rctx *c, struct certcheck_store *st)
{
	if (!grow(c, (void **)&c->p->stores, c->p->n_stores, sizeof(*c->p->stores))) {
		certcheck_store_free(st);
		return false;
	}
	c->p->stores[c->p->n_stores++] = st;
	return true;
}

static bool curve_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	static const struct { const char *alias, *name; } curves[] = {
		{ "prime256v1", "prime256v1" }, { "secp256r1", "prime256v1" }, { "P-256", "prime256v1" },
		{ "secp384r1", "secp384r1" }, { "P-384", "secp384r1" },
		{ "secp521r1", "secp521r1" }, { "P-521", "secp521r1" },
		{ "secp224r1", "secp224r1" }, { "P-224", "secp224r1" },
		{ "brainpoolP256r1", "brainpoolP256r1" }, { "brainpoolP384r1", "brainpoolP384r1" },
		{ "brainpoolP512r1", "brainpoolP512r1" },
	};
	struct policy_certreq *cr = arg;
	size_t i;
	char **slot;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (!strcmp(s, curves[i].alias))
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		return yamldoc_fail(&c->yd, n, "unknown certificate curve '%s' (expected e.g. P-256, P-384, P-521)", s);
	if (!grow(c, (void **)&cr->curves, cr->n_curves, sizeof(*cr->curves)))
		return false;
	slot = &cr->curves[cr->n_curves];
	*slot = xstrdup(c, curves[i].name);
	if (!*slot)
		return false;
	cr->n_curves++;
	return true;
}

static bool sig_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	uint32_t *mask = arg;

	if (!strcasecmp(s, "md5"))
		*mask |= POLICY_MD_MD5;
	else if (!strcasecmp(s, "sha1") || !strcasecmp(s, "sha-1"))
		*mask |= POLICY_MD_SHA1;
	else if (!strcasecmp(s, "sha224"))
		*mask |= POLICY_MD_SHA224;
	else
		return yamldoc_fail(&c->yd, n, "unknown signature digest '%s' (expected md5, sha1 or sha224)", s);
	return true;
}

/* The checks a certificate block makes, by the name its `checks:` entries
 * use (the part of the rule id after the block), with what turns each on. */
static const struct {
	const char *name;
	enum policy_check chk;
	bool client;
	const char *needs;
} cert_checks[] = {
	{ "missing", POLICY_CHK_CERT_MISSING, false, NULL },
	{ "untrusted", POLICY_CHK_CERT_UNTRUSTED, false, "a trust store (not trust: none)" },
	{ "expired", POLICY_CHK_CERT_EXPIRED, false, "check_validity: true" },
	{ "not_yet_valid", POLICY_CHK_CERT_NOT_YET_VALID, false, "check_validity: true" },
	{ "revoked", POLICY_CHK_CERT_REVOKED, false, NULL },
	{ "revocation_unavailable", POLICY_CHK_CERT_REVOCATION_UNKNOWN, false,
	  "revocation_unavailable: fail" },
	{ "weak_key", POLICY_CHK_CERT_WEAK_KEY, false, "min_rsa_bits or min_ec_bits" },
	{ "curve", POLICY_CHK_CERT_CURVE, false, "curves" },
	{ "signature", POLICY_CHK_CERT_SIGNATURE, false, "forbidden_signatures" },
	{ "hostname", POLICY_CHK_CERT_HOSTNAME, false, "match_sni: true" },
	{ "self_signed", POLICY_CHK_CERT_SELF_SIGNED, false, "allow_self_signed: false" },
	{ "chain_length", POLICY_CHK_CERT_CHAIN_LENGTH, false, "max_chain_length" },
	{ "ocsp_staple_missing", POLICY_CHK_CERT_OCSP_MISSING, false, "require_ocsp_staple: true" },
	{ "ocsp_invalid", POLICY_CHK_CERT_OCSP_INVALID, false, NULL },
	{ "missing", POLICY_CHK_CLIENT_CERT_MISSING, true, "required: true" },
	{ "invalid", POLICY_CHK_CLIENT_CERT_INVALID, true, NULL },
};
#define N_CERT_CHECKS (sizeof(cert_checks) / sizeof(cert_checks[0]))

/*
 * `checks:` of a certificate block: each entry overrides, for one check,
 * what the block says about its alerts, as an action ("expired: alert") or
 * a mapping of meta keys ({action: alert, severity: 3, id: ..., ...}).
 * Only the key names are validated here; cert_rule() reads the values and
 * cert_checks_used() refuses entries for checks the block does not make.
 */
static bool cert_checks_keys(struct rctx *c, const yaml_node_t *n, bool client)
{
	const char *names[N_CERT_CHECKS + 1];
	size_t i, k = 0;

	for (i = 0; i < N_CERT_CHECKS; i++)
		if (cert_checks[i].client == client)
			names[k++] = cert_checks[i].name;
	names[k] = NULL;
	return yamldoc_check_keys(&c->yd, n, client ? "client_certificate checks" : "certificate checks",
			  names, NULL);
}

static const char *cert_check_name(enum policy_check chk)
{
	size_t i;

	for (i = 0; i < N_CERT_CHECKS; i++)
		if (cert_checks[i].chk == chk)
			return cert_checks[i].name;
	return policy_check_suffix(chk);
}

/* add_rule() for one check of a certificate block: the block's meta, with
 * the check's own entry in `checks` (may be NULL) laid over it. */
static bool cert_rule(struct rctx *c, const struct pdefaults *pd, enum policy_check chk,
		      const struct meta *block, const yaml_node_t *checks_node, int k,
		      const char *required)
{
	const yaml_node_t *x = checks_node ? yamldoc_get(&c->yd, checks_node, cert_check_name(chk)) : NULL;
	struct meta m = *block, own;
	int a;

	if (x && x->type == YAML_SCALAR_NODE) {
		if (!get_action(c, x, false, &a))
			return false;
		m.action = a;
		m.node = x;
	} else if (x) {
		if (!yamldoc_check_keys(&c->yd, x, cert_check_name(chk), meta_keys, NULL) || !get_meta(c, x, &own))
			return false;
		m.node = x;
		if (own.id) {
			m.id = own.id;
			m.id_node = own.id_node;
			m.id_exact = true;
		}
		if (own.sid >= 0) {
			m.sid = own.sid;
			m.sid_node = own.sid_node;
			m.sid_exact = true;
		}
		if (own.message)
			m.message = own.message;
		if (own.severity >= 0)
			m.severity = own.severity;
		if (own.action >= 0)
			m.action = own.action;
	}
	return add_rule(c, pd, chk, &m, k, required);
}

/* An entry of `checks` for a check the block does not make would silently
 * do nothing: refuse it, saying what turns the check on. */
static bool cert_checks_used(struct rctx *c, const struct pdefaults *pd,
			     const yaml_node_t *checks_node, bool client)
{
	const struct policy_profile *pr = &c->p->profiles[pd->index];
	const yaml_node_t *x;
	size_t i;

	for (i = 0; i < N_CERT_CHECKS; i++) {
		if (cert_checks[i].client != client || pr->rule[cert_checks[i].chk])
			continue;
		if ((x = yamldoc_get(&c->yd, checks_node, cert_checks[i].name))) {
			yaml_node_pair_t *a;

			/* point at the key, where the mistake is */
			for (a = checks_node->data.mapping.pairs.start;
			     a < checks_node->data.mapping.pairs.top; a++)
				if (yamldoc_node(&c->yd, a->value) == x)
					x = yamldoc_node(&c->yd, a->key);
			return yamldoc_fail(&c->yd, x, "%s check '%s' is not made here: it needs %s",
				    client ? "client_certificate" : "certificate", cert_checks[i].name,
				    cert_checks[i].needs ? cert_checks[i].needs : "a trust store");
		}
	}
	return true;
}

static bool parse_cert(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n,
		       bool client)
{
	static const char *const keys[] = {
		"trust", "ca_file", "ca_dir", "crl", "revocation_unavailable", "check_validity",
		"clock_skew", "min_rsa_bits", "min_ec_bits", "curves", "forbidden_signatures",
		"allow_self_signed", "max_chain_length", "checks",
		"id", "sid", "message", "severity", "action", NULL
	};
	static const char *const server_keys[] = { "match_sni", "require_ocsp_staple", NULL };
	static const char *const client_keys[] = { "required", NULL };
	struct policy_profile *pr = &c->p->profiles[pd->index];
	struct policy_certreq *cr = client ? &pr->client_cert : &pr->cert;
	const char *what = client ? "client_certificate" : "certificate";
	const yaml_node_t *x, *caf, *cad, *trust, *ck;
	char cafile[4096], cadir[4096], why[256], req[160];
	struct certcheck_store *st = NULL;
	unsigned long v;
	struct meta m;
	int k = 0;
	bool system = false, none = false;

	if (!yamldoc_check_keys(&c->yd, n, what, keys, client ? client_keys : server_keys) || !get_meta(c, n, &m))
		return false;
	if ((ck = yamldoc_get(&c->yd, n, "checks")) && !cert_checks_keys(c, ck, client))
		return false;
	cr->enabled = true;
	cr->check_validity = true;
	cr->match_sni = !client;
	cr->required = client;
	if ((x = yamldoc_get(&c->yd, n, "required")) && !yamldoc_bool(&c->yd, x, "required", &cr->required))
		return false;
	trust = yamldoc_get(&c->yd, n, "trust");
	caf = yamldoc_get(&c->yd, n, "ca_file");
	cad = yamldoc_get(&c->yd, n, "ca_dir");
	if (trust) {
		if (yamldoc_scalar(trust) && !strcmp(yamldoc_scalar(trust), "system"))
			system = true;
		else if (yamldoc_scalar(trust) && !strcmp(yamldoc_scalar(trust), "none"))
			none = true;
		else
			return yamldoc_fail(&c->yd, trust, "trust must be system or none (or give ca_file/ca_dir)");
		if (caf || cad)
			return yamldoc_fail(&c->yd, trust, "give either trust or ca_file/ca_dir, not both");
	}
	if (caf && (!yamldoc_scalar(caf) || !path_join(c, caf, yamldoc_scalar(caf), cafile, sizeof(cafile))))
		return yamldoc_fail(&c->yd, caf, "ca_file must be a path");
	if (cad && (!yamldoc_scalar(cad) || !path_join(c, cad, yamldoc_scalar(cad), cadir, sizeof(cadir))))
		return yamldoc_fail(&c->yd, cad, "ca_dir must be a path");
	if (!caf && !cad && !none)
		system = true;
	x = yamldoc_get(&c->yd, n, "crl");
	if (!none && !(c->flags & RULES_NO_FILES)) {
		if (system && !x && c->system_store) {
			st = c->system_store;
		} else {
			st = certcheck_store_new(caf ? cafile : NULL, cad ? cadir : NULL, why, sizeof(why));
			if (!st)
				return yamldoc_fail(&c->yd, caf ? caf : cad ? cad : n, "%s", why);
			if (!keep_store(c, st))
				return false;
			if (system && !x)
				c->system_store = st;
		}
	}
	cr->store = st;
	if (x) {
		if (none)
			return yamldoc_fail(&c->yd, x, "crl needs a trust store (ca_file, ca_dir or system)");
		if (!each_scalar(c, x, "crl", crl_item, st))
			return false;
		cr->check_revocation = true;
	}
	if ((x = yamldoc_get(&c->yd, n, "revocation_unavailable"))) {
		if (yamldoc_scalar(x) && !strcmp(yamldoc_scalar(x), "fail"))
			cr->revocation_required = true;
		else if (!yamldoc_scalar(x) || strcmp(yamldoc_scalar(x), "ignore"))
			return yamldoc_fail(&c->yd, x, "revocation_unavailable must be fail or ignore");
	}
	if ((x = yamldoc_get(&c->yd, n, "check_validity")) && !yamldoc_bool(&c->yd, x, "check_validity", &cr->check_validity))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "clock_skew"))) {
		if (!yamldoc_uint(&c->yd, x, "clock_skew", 0, 7 * 86400, &v))
			return false;
		cr->skew = (long)v;
	}
	if ((x = yamldoc_get(&c->yd, n, "min_rsa_bits"))) {
		if (!yamldoc_uint(&c->yd, x, "min_rsa_bits", 512, 16384, &v))
			return false;
		cr->min_rsa_bits = (int)v;
	}
	if ((x = yamldoc_get(&c->yd, n, "min_ec_bits"))) {
		if (!yamldoc_uint(&c->yd, x, "min_ec_bits", 160, 571, &v))
			return false;
		cr->min_ec_bits = (int)v;
	}
	if ((x = yamldoc_get(&c->yd, n, "curves")) && !each_scalar(c, x, "curves", curve_item, cr))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "forbidden_signatures")) &&
	    !each_scalar(c, x, "forbidden_signatures", sig_item, &cr->forbidden_md))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "allow_self_signed")) &&
	    !yamldoc_bool(&c->yd, x, "allow_self_signed", &cr->allow_self_signed))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "max_chain_length"))) {
		if (!yamldoc_uint(&c->yd, x, "max_chain_length", 1, 16, &v))
			return false;
		cr->max_chain = (int)v;
	}
	if ((x = yamldoc_get(&c->yd, n, "match_sni")) && !yamldoc_bool(&c->yd, x, "match_sni", &cr->match_sni))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "require_ocsp_staple")) &&
	    !yamldoc_bool(&c->yd, x, "require_ocsp_staple", &cr->require_ocsp))
		return false;

	if (client) {
		if (cr->required && !cert_rule(c, pd, POLICY_CHK_CLIENT_CERT_MISSING, &m, ck, k++,
					      "a client certificate"))
			return false;
		snprintf(req, sizeof(req), "%s", none ? "valid certificate" : "certificate from the trusted CA");
		if (!cert_rule(c, pd, POLICY_CHK_CLIENT_CERT_INVALID, &m, ck, k, req))
			return false;
		return !ck || cert_checks_used(c, pd, ck, true);
	}
	if (!cert_rule(c, pd, POLICY_CHK_CERT_MISSING, &m, ck, k++, "a certificate"))
		return false;
	if (!none && !cert_rule(c, pd, POLICY_CHK_CERT_UNTRUSTED, &m, ck, k++,
			       caf ? yamldoc_scalar(caf) : cad ? yamldoc_scalar(cad) : "system trust store"))
		return false;
	k = 2;
	if (cr->check_validity) {
		snprintf(req, sizeof(req), "valid now (clock skew %ld s)", cr->skew);
		if (!cert_rule(c, pd, POLICY_CHK_CERT_EXPIRED, &m, ck, k, req) ||
		    !cert_rule(c, pd, POLICY_CHK_CERT_NOT_YET_VALID, &m, ck, k + 1, req))
			return false;
	}
	k = 4;
	if (!cert_rule(c, pd, POLICY_CHK_CERT_REVOKED, &m, ck, k++, "not revoked (CRL, stapled OCSP)"))
		return false;
	if (cr->revocation_required &&
	    !cert_rule(c, pd, POLICY_CHK_CERT_REVOCATION_UNKNOWN, &m, ck, k, "a current CRL from the issuer"))
		return false;
	k = 6;
	if (cr->min_rsa_bits || cr->min_ec_bits) {
		snprintf(req, sizeof(req), "RSA >= %d bits, EC >= %d bits", cr->min_rsa_bits,
			 cr->min_ec_bits);
		if (!cert_rule(c, pd, POLICY_CHK_CERT_WEAK_KEY, &m, ck, k, req))
			return false;
	}
	if (cr->n_curves) {
		char *r = render_dup(c, yamldoc_get(&c->yd, n, "curves"));
		bool ok = r && cert_rule(c, pd, POLICY_CHK_CERT_CURVE, &m, ck, k + 1, r);

		free(r);
		if (!ok)
			return false;
	}
	if (cr->forbidden_md) {
		snprintf(req, sizeof(req), "not signed with%s%s%s",
			 cr->forbidden_md & POLICY_MD_MD5 ? " MD5" : "",
			 cr->forbidden_md & POLICY_MD_SHA1 ? " SHA-1" : "",
			 cr->forbidden_md & POLICY_MD_SHA224 ? " SHA-224" : "");
		if (!cert_rule(c, pd, POLICY_CHK_CERT_SIGNATURE, &m, ck, k + 2, req))
			return false;
	}
	if (cr->match_sni && !cert_rule(c, pd, POLICY_CHK_CERT_HOSTNAME, &m, ck, k + 3, "matches the SNI"))
		return false;
	if (!cr->allow_self_signed &&
	    !cert_rule(c, pd, POLICY_CHK_CERT_SELF_SIGNED, &m, ck, k + 4, "not self-signed"))
		return false;
	if (cr->max_chain) {
		snprintf(req, sizeof(req), "<= %d certificates", cr->max_chain);
		if (!cert_rule(c, pd, POLICY_CHK_CERT_CHAIN_LENGTH, &m, ck, k + 5, req))
			return false;
	}
	if (cr->require_ocsp &&
	    !cert_rule(c, pd, POLICY_CHK_CERT_OCSP_MISSING, &m, ck, k + 6, "a stapled OCSP response: good"))
		return false;
	/* Judged only when a response is stapled; without a trust store its
	 * signature cannot be checked, only its dates and certificate id. */
	snprintf(req, sizeof(req), "a stapled OCSP response %sabout this certificate, current "
		 "(clock skew %ld s)", none ? "" : "signed for the issuer, ", cr->skew);
	if (!cert_rule(c, pd, POLICY_CHK_CERT_OCSP_INVALID, &m, ck, k + 7, req))
		return false;
	return !ck || cert_checks_used(c, pd, ck, false);
}

/* ---- lists ---- */

static bool entry_ok(struct rctx *c, const yaml_node_t *n, enum list_kind kind, char *s)
{
	size_t len = strlen(s), i;

	if (!len)
		return yamldoc_fail(&c->yd, n, "empty list entry");
	switch (kind) {
	case LIST_JA3:
		for (i = 0; i < len; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		if (len != 32 || strspn(s, "0123456789abcdef") != 32)
			return yamldoc_fail(&c->yd, n, "JA3 entry '%s' must be an MD5 hash (32 hex digits)", s);
		break;
	case LIST_JA4:
		if (len != 36 || s[10] != '_' || s[23] != '_' || (s[0] != 't' && s[0] != 'q'))
			return yamldoc_fail(&c->yd, n, "JA4 entry '%s' must look like t13d1516h2_8daaf6152771_e5627efa2ab1", s);
		break;
	case LIST_SNI:
		if (len > 255 || strpbrk(s, " \t/"))
			return yamldoc_fail(&c->yd, n, "'%s' is not a host name pattern", s);
		break;
	case LIST_ALPN:
		if (len > 255)
			return yamldoc_fail(&c->yd, n, "ALPN id too long");
		break;
	}
	return true;
}

struct list_arg {
	struct rlist *l;
};

static bool list_entry_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct rlist *l = arg;

	if (!grow(c, (void **)&l->items, l->n, sizeof(*l->items)))
		return false;
	l->items[l->n] = xstrdup(c, s);
	if (!l->items[l->n])
		return false;
	l->n++;
	return entry_ok(c, n, l->kind, l->items[l->n - 1]);
}

/* One entry a line; '#' starts a comment; blank lines are skipped. Errors
 * name the list file and its line. */
static bool list_file(struct rctx *c, const yaml_node_t *n, struct rlist *l, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], *s, *e;
	unsigned ln = 0;
	bool ok = true;

	if (!f)
		return yamldoc_fail(&c->yd, n, "cannot read list file '%s': %s", path, strerror(errno));
	while (ok && fgets(line, sizeof(line), f)) {
		ln++;
		if ((e = strchr(line, '#')))
			*e = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (!*s)
			continue;
		if (!list_entry_item(c, NULL, s, l)) {
			yamldoc_relocate(&c->yd, path, ln, (unsigned)(s - line) + 1);
			ok = false;
		}
	}
	fclose(f);
	return ok;
}

static bool parse_lists(struct rctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "type", "entries", "file", NULL };
	yaml_node_pair_t *pr;
	size_t i;

	if (!yamldoc_want(&c->yd, n, YAML_MAPPING_NODE, "lists"))
		return false;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yamldoc_node(&c->yd, pr->key), *v = yamldoc_node(&c->yd, pr->value), *x;
		struct rlist *l;
		char path[4096];

		if (!yamldoc_scalar(k))
			return yamldoc_fail(&c->yd, k, "list names must be plain names");
		for (i = 0; i < c->n_lists; i++)
			if (!strcmp(c->lists[i].name, yamldoc_scalar(k)))
				return yamldoc_fail(&c->yd, k, "duplicate list '%s'", yamldoc_scalar(k));
		if (!yamldoc_check_keys(&c->yd, v, "a list definition", keys, NULL))
			return false;
		if (!grow(c, (void **)&c->lists, c->n_lists, sizeof(*c->lists)))
			return false;
		l = &c->lists[c->n_lists++];
		memset(l, 0, sizeof(*l));
		l->name = yamldoc_scalar(k);
		x = yamldoc_get(&c->yd, v, "type");
		if (!x)
			return yamldoc_fail(&c->yd, v, "list '%s' needs a type (sni, ja3, ja4 or alpn)", l->name);
		for (i = 0; list_kinds[i]; i++)
			if (yamldoc_scalar(x) && !strcmp(yamldoc_scalar(x), list_kinds[i]))
				break;
		if (!list_kinds[i])
			return yamldoc_fail(&c->yd, x, "list type must be sni, ja3, ja4 or alpn");
		l->kind = (enum list_kind)i;
		if ((x = yamldoc_get(&c->yd, v, "entries")) && !each_scalar(c, x, "entries", list_entry_item, l))
			return false;
		if ((x = yamldoc_get(&c->yd, v, "file"))) {
			if (!yamldoc_scalar(x) || !path_join(c, x, yamldoc_scalar(x), path, sizeof(path)))
				return yamldoc_fail(&c->yd, x, "file must be a path");
			if (!(c->flags & RULES_NO_FILES) && !list_file(c, x, l, path))
				return false;
		}
		if (!yamldoc_get(&c->yd, v, "entries") && !yamldoc_get(&c->yd, v, "file"))
			return yamldoc_fail(&c->yd, v, "list '%s' needs entries or a file", l->name);
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool set_add(struct rctx *c, struct policy_strset *set, const char *s)
{
	bool glob = set->casefold && has_glob(s);
	char ***arr = glob ? &set->glob : &set->exact;
	size_t *n = glob ? &set->n_glob : &set->n_exact;
	char *d;
	size_t i;

	if (!grow(c, (void **)arr, *n, sizeof(char *)))
		return false;
	d = xstrdup(c, s);
	if (!d)
		return false;
	if (set->casefold)
		for (i = 0; d[i]; i++)
			d[i] = (char)tolower((unsigned char)d[i]);
	(*arr)[(*n)++] = d;
	return true;
}

struct setitem_arg {
	struct policy_strset *set;
	enum list_kind kind;
	bool lists;                 /* entries are list names */
};

static bool set_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct setitem_arg *sa = arg;
	char tmp[256];
	size_t i, j;

	if (!sa->lists) {
		snprintf(tmp, sizeof(tmp), "%s", s);
		return entry_ok(c, n, sa->kind, tmp) && set_add(c, sa->set, tmp);
	}
	for (i = 0; i < c->n_lists; i++)
		if (!strcmp(c->lists[i].name, s))
			break;
	if (i == c->n_lists)
		return yamldoc_fail(&c->yd, n, "unknown list '%s'", s);
	if (c->lists[i].kind != sa->kind)
		return yamldoc_fail(&c->yd, n, "list '%s' is a %s list, not %s", s, list_kinds[c->lists[i].kind],
			    list_kinds[sa->kind]);
	for (j = 0; j < c->lists[i].n; j++)
		if (!set_add(c, sa->set, c->lists[i].items[j]))
			return false;
	return true;
}

static void set_sort(struct policy_strset *set)
{
	if (set->n_exact > 1)
		qsort(set->exact, set->n_exact, sizeof(*set->exact), cmp_str);
}

/* sni / ja3 / ja4 / alpn blocks: allow, deny, allow_lists, deny_lists. */
static bool parse_listref(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n,
			  enum list_kind kind)
{
	static const char *const keys[] = { "allow", "deny", "allow_lists", "deny_lists", NULL };
	static const char *const alpn_keys[] = { "allow", "allow_lists", NULL };
	struct policy_profile *pr = &c->p->profiles[pd->index];
	struct policy_strset *allow, *deny = NULL;
	enum policy_check deny_chk = POLICY_CHK_SNI_DENIED, allow_chk = POLICY_CHK_SNI_NOT_ALLOWED;
	struct setitem_arg sa = { .kind = kind };
	const yaml_node_t *al, *all, *dn, *dnl;
	bool *has_allow;
	struct meta m;
	char *req;
	bool ok;

	switch (kind) {
	case LIST_SNI:
		allow = &pr->sni_allow;
		deny = &pr->sni_deny;
		has_allow = &pr->has_sni_allow;
		allow->casefold = deny->casefold = true;
		break;
	case LIST_JA3:
		allow = &pr->ja3_allow;
		deny = &pr->ja3_deny;
		has_allow = &pr->has_ja3_allow;
		deny_chk = POLICY_CHK_JA3_DENIED;
		allow_chk = POLICY_CHK_JA3_NOT_ALLOWED;
		c->p->needs_ja3 = true;
		break;
	case LIST_JA4:
		allow = &pr->ja4_allow;
		deny = &pr->ja4_deny;
		has_allow = &pr->has_ja4_allow;
		deny_chk = POLICY_CHK_JA4_DENIED;
		allow_chk = POLICY_CHK_JA4_NOT_ALLOWED;
		c->p->needs_ja4 = true;
		break;
	default:
		allow = &pr->alpn_allow;
		has_allow = &pr->has_alpn_allow;
		allow_chk = POLICY_CHK_ALPN_NOT_ALLOWED;
		break;
	}
	if (!yamldoc_check_keys(&c->yd, n, list_kinds[kind], kind == LIST_ALPN ? alpn_keys : keys, meta_keys) ||
	    !get_meta(c, n, &m))
		return false;
	al = yamldoc_get(&c->yd, n, "allow");
	all = yamldoc_get(&c->yd, n, "allow_lists");
	dn = deny ? yamldoc_get(&c->yd, n, "deny") : NULL;
	dnl = deny ? yamldoc_get(&c->yd, n, "deny_lists") : NULL;
	if (!al && !all && !dn && !dnl)
		return yamldoc_fail(&c->yd, n, "%s needs allow or deny entries", list_kinds[kind]);
	sa.set = allow;
	sa.lists = false;
	if (al && !each_scalar(c, al, "allow", set_item, &sa))
		return false;
	sa.lists = true;
	if (all && !each_scalar(c, all, "allow_lists", set_item, &sa))
		return false;
	sa.set = deny;
	sa.lists = false;
	if (dn && !each_scalar(c, dn, "deny", set_item, &sa))
		return false;
	sa.lists = true;
	if (dnl && !each_scalar(c, dnl, "deny_lists", set_item, &sa))
		return false;
	set_sort(allow);
	if (deny)
		set_sort(deny);
	req = render_dup(c, n);
	ok = !!req;
	if (ok && (dn || dnl))
		ok = add_rule(c, pd, deny_chk, &m, (al || all) ? 0 : -1, req);
	if (ok && (al || all)) {
		*has_allow = true;
		ok = add_rule(c, pd, allow_chk, &m, (dn || dnl) ? 1 : -1, req);
	}
	free(req);
	return ok;
}

/* ---- anomalies ---- */

static bool parse_anomalies(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *n)
{
	static const char *const keys[] = {
		"sslv2_hello", "compression", "insecure_renegotiation", "heartbeat", "fallback_scsv",
		"missing_sni", "encrypted_client_hello", "not_tls", "malformed",
		"unknown_record_type", "weak_random", NULL
	};
	static const enum policy_check chk[] = {
		POLICY_CHK_SSLV2_HELLO, POLICY_CHK_COMPRESSION, POLICY_CHK_INSECURE_RENEGOTIATION,
		POLICY_CHK_HEARTBEAT, POLICY_CHK_FALLBACK_SCSV, POLICY_CHK_MISSING_SNI,
		POLICY_CHK_ECH, POLICY_CHK_NOT_TLS, POLICY_CHK_MALFORMED,
		POLICY_CHK_UNKNOWN_RECORD_TYPE, POLICY_CHK_WEAK_RANDOM,
	};
	size_t i;
	const yaml_node_t *x;

	if (!yamldoc_check_keys(&c->yd, n, "anomalies", keys, NULL))
		return false;
	for (i = 0; keys[i]; i++)
		if ((x = yamldoc_get(&c->yd, n, keys[i])) && !action_block(c, pd, chk[i], x, keys[i]))
			return false;
	return true;
}

/* ---- profiles ---- */

/* quic: judge (QUIC hellos meet the profile as TLS ones do) | drop (no QUIC:
 * clients fall back to TCP, where every check applies) | allow (unjudged). */
static bool parse_quic(struct rctx *c, const struct pdefaults *pd, struct policy_profile *pr,
		       const yaml_node_t *x)
{
	struct meta m = { .node = x, .sid = -1, .severity = -1, .action = POLICY_ACTION_DROP };
	const char *v = yamldoc_scalar(x);

	if (v && !strcmp(v, "judge"))
		return true;
	if (v && !strcmp(v, "allow")) {
		pr->quic_allow = true;
		return true;
	}
	if (v && !strcmp(v, "drop"))
		return add_rule(c, pd, POLICY_CHK_QUIC, &m, -1, "TLS over TCP");
	return yamldoc_fail(&c->yd, x, "quic must be judge, drop or allow");
}

/* starttls: required (a server that offered STARTTLS and no longer does,
 * and credentials sent in clear text before TLS, break the profile, with
 * its action) | optional (the default: neither is judged). */
static bool parse_starttls(struct rctx *c, const struct pdefaults *pd, const yaml_node_t *x)
{
	struct meta m = { .node = x, .sid = -1, .severity = -1, .action = -1 };
	const char *v = yamldoc_scalar(x);

	if (v && !strcmp(v, "optional"))
		return true;
	if (v && !strcmp(v, "required"))
		return add_rule(c, pd, POLICY_CHK_STARTTLS_STRIPPED, &m, -1, "STARTTLS offered") &&
		       add_rule(c, pd, POLICY_CHK_STARTTLS_CLEARTEXT_CREDENTIALS, &m, -1,
				"credentials only inside TLS");
	return yamldoc_fail(&c->yd, x, "starttls must be required or optional");
}

/* evasion: normalize (default) | drop | alert; drop judges the flow. */
static bool parse_evasion(struct rctx *c, const struct pdefaults *pd, struct policy_profile *pr,
			  const yaml_node_t *n)
{
	static const char *const modes[] = { "normalize", "drop", "alert", NULL };
	const char *s = yamldoc_scalar(n);
	struct meta m = { .node = n, .sid = -1, .severity = 1, .action = POLICY_ACTION_DROP };
	uint8_t i;

	for (i = 0; s && modes[i] && strcmp(s, modes[i]); i++)
		;
	if (!s || !modes[i])
		return yamldoc_fail(&c->yd, n, "evasion must be normalize, drop or alert");
	pr->evasion = i;
	return i != POLICY_EVASION_DROP ||
	       add_rule(c, pd, POLICY_CHK_EVASION, &m, -1, "only packets the receiver accepts");
}

/*
 * tls13_certificates: allow | alert | drop | reject | probe, and with probe
 * on_probe_failure: allow | alert | drop (default alert). Probing only
 * makes sense with requirements to judge the probed chain by.
 */
static bool parse_tls13_certs(struct rctx *c, const struct pdefaults *pd,
			      struct policy_profile *pr, const yaml_node_t *x,
			      const yaml_node_t *fail)
{
	struct meta m = { .node = x, .sid = -1, .severity = -1 };
	const char *s = yamldoc_scalar(x);
	int a;

	if (s && !strcmp(s, "probe")) {
		if (!pr->cert.enabled && !(pr->client_cert.enabled && pr->client_cert.required))
			return yamldoc_fail(&c->yd, x, "tls13_certificates: probe needs certificate "
				    "or client_certificate requirements to judge the probed chain by");
		pr->tls13_probe = true;
		a = POLICY_ACTION_ALERT;
		if (fail) {
			s = yamldoc_scalar(fail);
			if (s && !strcmp(s, "allow"))
				a = POLICY_ACTION_NONE;
			else if (s && !strcmp(s, "drop"))
				a = POLICY_ACTION_DROP;
			else if (!s || strcmp(s, "alert"))
				return yamldoc_fail(&c->yd, fail, "on_probe_failure must be allow, alert or drop");
			m.node = fail;
		}
		pr->on_probe_failure = (uint8_t)a;
		m.action = a;
		return a == POLICY_ACTION_NONE ||
		       add_rule(c, pd, POLICY_CHK_CERT_PROBE_FAILED, &m, -1,
				"the server's chain, shown by the gateway's probe");
	}
	if (!s || (strcmp(s, "allow") && strcmp(s, "alert") && strcmp(s, "drop") && strcmp(s, "reject")))
		return yamldoc_fail(&c->yd, x, "tls13_certificates must be allow, alert, drop, reject or probe");
	get_action(c, x, true, &a);
	m.action = a;
	pr->tls13_certs = (uint8_t)a;
	if (a != POLICY_ACTION_NONE && pr->cert.enabled &&
	    !add_rule(c, pd, POLICY_CHK_CERT_HIDDEN, &m, -1, "a visible certificate (TLS <= 1.2)"))
		return false;
	if (a != POLICY_ACTION_NONE && pr->client_cert.enabled && pr->client_cert.required &&
	    !add_rule(c, pd, POLICY_CHK_CLIENT_CERT_HIDDEN, &m, -1,
		      "a visible client certificate (TLS <= 1.2)"))
		return false;
	return true;
}

static bool parse_profile(struct rctx *c, uint16_t index, const char *name, const yaml_node_t *n)
{
	static const char *const keys[] = {
		"description", "action", "severity", "versions", "cipher_suites", "groups",
		"certificate", "client_certificate", "tls13_certificates", "on_probe_failure",
		"sni", "ja3", "ja4", "alpn", "anomalies", "unknown_resumption", "quic", "starttls", "evasion", NULL
	};
	struct policy_profile *pr = &c->p->profiles[index];
	struct pdefaults pd = { index, name, 2, POLICY_ACTION_ALERT };
	const yaml_node_t *x;
	unsigned long v;
	int a;

	pr->name = xstrdup(c, name);
	if (!pr->name || !yamldoc_check_keys(&c->yd, n, "a profile", keys, NULL))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "description")) && !yamldoc_scalar(x))
		return yamldoc_fail(&c->yd, x, "description must be a text");
	if ((x = yamldoc_get(&c->yd, n, "action"))) {
		if (!get_action(c, x, false, &a))
			return false;
		pd.action = (uint8_t)a;
	}
	if ((x = yamldoc_get(&c->yd, n, "severity"))) {
		if (!yamldoc_uint(&c->yd, x, "severity", 1, 4, &v))
			return false;
		pd.severity = (uint8_t)v;
	}
	if ((x = yamldoc_get(&c->yd, n, "versions")) && !parse_versions(c, &pd, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "cipher_suites")) && !parse_suites(c, &pd, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "groups")) && !parse_groups(c, &pd, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "certificate")) && !parse_cert(c, &pd, x, false))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "client_certificate")) && !parse_cert(c, &pd, x, true))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "tls13_certificates")) &&
	    !parse_tls13_certs(c, &pd, pr, x, yamldoc_get(&c->yd, n, "on_probe_failure")))
		return false;
	if (!pr->tls13_probe && (x = yamldoc_get(&c->yd, n, "on_probe_failure")))
		return yamldoc_fail(&c->yd, x, "on_probe_failure needs tls13_certificates: probe");
	if ((x = yamldoc_get(&c->yd, n, "sni")) && !parse_listref(c, &pd, x, LIST_SNI))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "ja3")) && !parse_listref(c, &pd, x, LIST_JA3))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "ja4")) && !parse_listref(c, &pd, x, LIST_JA4))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "alpn")) && !parse_listref(c, &pd, x, LIST_ALPN))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "anomalies")) && !parse_anomalies(c, &pd, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "unknown_resumption")) &&
	    !action_block(c, &pd, POLICY_CHK_UNKNOWN_RESUMPTION, x, "unknown_resumption"))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "starttls")) && !parse_starttls(c, &pd, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "quic")) && !parse_quic(c, &pd, pr, x))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "evasion")) && !parse_evasion(c, &pd, pr, x))
		return false;
	/* A resumption of a session that failed inherits that verdict. */
	{
		struct meta m = { .node = n, .sid = -1, .severity = -1, .action = -1 };

		return add_rule(c, &pd, POLICY_CHK_RESUMED_FAILED, &m, -1, "a session that passed");
	}
}

static bool parse_profiles(struct rctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *a, *b;
	size_t count;
	uint16_t i = 0;

	if (!yamldoc_want(&c->yd, n, YAML_MAPPING_NODE, "profiles"))
		return false;
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!count)
		return yamldoc_fail(&c->yd, n, "profiles is empty");
	if (count > 1000)
		return yamldoc_fail(&c->yd, n, "too many profiles");
	c->p->profiles = calloc(count, sizeof(*c->p->profiles));
	if (!c->p->profiles)
		return yamldoc_fail(&c->yd, n, "out of memory");
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++, i++) {
		yaml_node_t *k = yamldoc_node(&c->yd, a->key);

		if (!yamldoc_scalar(k) || !*yamldoc_scalar(k))
			return yamldoc_fail(&c->yd, k, "profile names must be plain names");
		for (b = n->data.mapping.pairs.start; b < a; b++)
			if (!strcmp(yamldoc_scalar(yamldoc_node(&c->yd, b->key)), yamldoc_scalar(k)))
				return yamldoc_fail(&c->yd, k, "duplicate profile '%s'", yamldoc_scalar(k));
		c->p->n_profiles = i + 1u;
		if (!parse_profile(c, i, yamldoc_scalar(k), yamldoc_node(&c->yd, a->value)))
			return false;
	}
	return true;
}

/* ---- zones ---- */

struct cidr_list {
	struct policy_cidr *arr;
	size_t n;
};

static bool cidr_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct cidr_list *cl = arg;
	struct policy_cidr **arr = &cl->arr;
	size_t *cnt = &cl->n;
	struct policy_cidr *cd;
	char addr[64];
	const char *slash = strchr(s, '/');
	uint64_t bits;
	size_t len = slash ? (size_t)(slash - s) : strlen(s), i;

	if (len >= sizeof(addr))
		return yamldoc_fail(&c->yd, n, "'%s' is not an address or CIDR prefix", s);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (!grow(c, (void **)arr, *cnt, sizeof(**arr)))
		return false;
	cd = &(*arr)[*cnt];
	memset(cd, 0, sizeof(*cd));
	if (inet_pton(AF_INET, addr, cd->addr) == 1)
		cd->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, cd->addr) == 1)
		cd->family = AF_INET6;
	else
		return yamldoc_fail(&c->yd, n, "'%s' is not an address or CIDR prefix", s);
	cd->bits = cd->family == AF_INET ? 32 : 128;
	if (slash) {
		if (!yamldoc_parse_u64(slash + 1, &bits) || bits > cd->bits)
			return yamldoc_fail(&c->yd, n, "bad prefix length in '%s'", s);
		cd->bits = (uint8_t)bits;
	}
	for (i = cd->bits; i < 128; i++)
		cd->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	(*cnt)++;
	return true;
}

static bool port_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	struct policy_ports *pp = arg;
	uint64_t lo, hi;
	const char *dash = strchr(s, '-');
	char a[16];

	if (dash && (size_t)(dash - s) < sizeof(a)) {
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = '\0';
		if (!yamldoc_parse_u64(a, &lo) || !yamldoc_parse_u64(dash + 1, &hi))
			return yamldoc_fail(&c->yd, n, "'%s' is not a port or port range", s);
	} else if (!dash && yamldoc_parse_u64(s, &lo)) {
		hi = lo;
	} else {
		return yamldoc_fail(&c->yd, n, "'%s' is not a port or port range", s);
	}
	if (!lo || lo > 65535 || hi > 65535 || lo > hi)
		return yamldoc_fail(&c->yd, n, "port range '%s' must be within 1-65535, low to high", s);
	if (!grow(c, (void **)&pp->r, pp->n, sizeof(*pp->r)))
		return false;
	pp->r[pp->n].lo = (uint16_t)lo;
	pp->r[pp->n].hi = (uint16_t)hi;
	pp->n++;
	return true;
}

static bool sni_item(struct rctx *c, const yaml_node_t *n, const char *s, void *arg)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s", s);
	return entry_ok(c, n, LIST_SNI, tmp) && set_add(c, arg, tmp);
}

/* certificate_trust / client_certificate_trust of a zone: a store that
 * replaces the profile's there. */
static bool parse_trust(struct rctx *c, const yaml_node_t *n, const char *what,
			struct certcheck_store **out, bool *has_crl)
{
	static const char *const keys[] = { "ca_file", "ca_dir", "crl", NULL };
	const yaml_node_t *caf, *cad, *x;
	char cafile[4096], cadir[4096], why[256];
	struct certcheck_store *st = NULL;

	if (!yamldoc_check_keys(&c->yd, n, what, keys, NULL))
		return false;
	caf = yamldoc_get(&c->yd, n, "ca_file");
	cad = yamldoc_get(&c->yd, n, "ca_dir");
	if (!caf && !cad)
		return yamldoc_fail(&c->yd, n, "%s needs ca_file or ca_dir", what);
	if (caf && (!yamldoc_scalar(caf) || !path_join(c, caf, yamldoc_scalar(caf), cafile, sizeof(cafile))))
		return yamldoc_fail(&c->yd, caf, "ca_file must be a path");
	if (cad && (!yamldoc_scalar(cad) || !path_join(c, cad, yamldoc_scalar(cad), cadir, sizeof(cadir))))
		return yamldoc_fail(&c->yd, cad, "ca_dir must be a path");
	if (!(c->flags & RULES_NO_FILES)) {
		st = certcheck_store_new(caf ? cafile : NULL, cad ? cadir : NULL, why, sizeof(why));
		if (!st)
			return yamldoc_fail(&c->yd, caf ? caf : cad, "%s", why);
		if (!keep_store(c, st))
			return false;
	}
	if ((x = yamldoc_get(&c->yd, n, "crl"))) {
		if (!each_scalar(c, x, "crl", crl_item, st))
			return false;
		*has_crl = true;
	}
	*out = st;
	return true;
}

static bool parse_zone(struct rctx *c, struct policy_zone *z, const yaml_node_t *n)
{
	static const char *const keys[] = {
		"name", "profile", "match", "tls_ports", "certificate_trust",
		"client_certificate_trust", "probe", NULL
	};
	static const char *const mkeys[] = { "src", "dst", "ports", "sni", NULL };
	const yaml_node_t *x, *mt;
	size_t i;
	struct cidr_list src = { 0 }, dst = { 0 };

	if (!yamldoc_check_keys(&c->yd, n, "a zone", keys, NULL))
		return false;
	if (!(x = yamldoc_get(&c->yd, n, "name")) || !yamldoc_scalar(x) || !*yamldoc_scalar(x))
		return yamldoc_fail(&c->yd, x ? x : n, "a zone needs a name");
	for (i = 0; c->p->zones + i < z; i++)
		if (!strcmp(c->p->zones[i].name, yamldoc_scalar(x)))
			return yamldoc_fail(&c->yd, x, "duplicate zone '%s'", yamldoc_scalar(x));
	z->name = xstrdup(c, yamldoc_scalar(x));
	if (!z->name)
		return false;
	if (!(x = yamldoc_get(&c->yd, n, "profile")) || !yamldoc_scalar(x))
		return yamldoc_fail(&c->yd, x ? x : n, "zone '%s' needs a profile", z->name);
	for (i = 0; i < c->p->n_profiles; i++)
		if (!strcmp(c->p->profiles[i].name, yamldoc_scalar(x)))
			break;
	if (i == c->p->n_profiles)
		return yamldoc_fail(&c->yd, x, "unknown profile '%s'", yamldoc_scalar(x));
	z->profile = (uint16_t)i;
	if (!zone_text(c, z))
		return false;
	z->sni.casefold = true;
	if ((x = yamldoc_get(&c->yd, n, "tls_ports")) && !each_scalar(c, x, "tls_ports", port_item, &z->tls_ports))
		return false;
	if ((x = yamldoc_get(&c->yd, n, "certificate_trust"))) {
		if (!c->p->profiles[z->profile].cert.enabled)
			return yamldoc_fail(&c->yd, x, "profile '%s' has no certificate requirements to trust for",
				    c->p->profiles[z->profile].name);
		if (!parse_trust(c, x, "certificate_trust", &z->server_store, &z->server_crl))
			return false;
	}
	if ((x = yamldoc_get(&c->yd, n, "client_certificate_trust"))) {
		if (!c->p->profiles[z->profile].client_cert.enabled)
			return yamldoc_fail(&c->yd, x, "profile '%s' has no client_certificate requirements",
				    c->p->profiles[z->profile].name);
		if (!parse_trust(c, x, "client_certificate_trust", &z->client_store, &z->client_crl))
			return false;
	}
	if ((x = yamldoc_get(&c->yd, n, "probe"))) {
		bool on;

		if (!yamldoc_bool(&c->yd, x, "probe", &on))
			return false;
		if (!c->p->profiles[z->profile].tls13_probe)
			return yamldoc_fail(&c->yd, x, "probe: profile '%s' does not probe "
				    "(tls13_certificates: probe)", c->p->profiles[z->profile].name);
		z->no_probe = !on;
	}
	mt = yamldoc_get(&c->yd, n, "match");
	if (!mt) {
		z->any = true;
		return true;
	}
	if (!yamldoc_check_keys(&c->yd, mt, "match", mkeys, NULL))
		return false;
	if (mt->data.mapping.pairs.top == mt->data.mapping.pairs.start)
		return yamldoc_fail(&c->yd, mt, "match is empty (leave it out for the default zone)");
	if ((x = yamldoc_get(&c->yd, mt, "src"))) {
		bool ok = each_scalar(c, x, "src", cidr_item, &src);

		z->src = src.arr;    /* owned by the zone even on error */
		z->n_src = src.n;
		if (!ok)
			return false;
	}
	if ((x = yamldoc_get(&c->yd, mt, "dst"))) {
		bool ok = each_scalar(c, x, "dst", cidr_item, &dst);

		z->dst = dst.arr;    /* owned by the zone even on error */
		z->n_dst = dst.n;
		if (!ok)
			return false;
	}
	if ((x = yamldoc_get(&c->yd, mt, "ports")) && !each_scalar(c, x, "ports", port_item, &z->ports))
		return false;
	if ((x = yamldoc_get(&c->yd, mt, "sni"))) {
		if (!each_scalar(c, x, "sni", sni_item, &z->sni))
			return false;
		set_sort(&z->sni);
		z->match_sni = true;
	}
	return true;
}

static bool parse_zones(struct rctx *c, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	size_t count, i = 0;

	if (!yamldoc_want(&c->yd, n, YAML_SEQUENCE_NODE, "zones"))
		return false;
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!count)
		return yamldoc_fail(&c->yd, n, "zones is empty: at least a default zone (no match:) is needed");
	if (count > 10000)
		return yamldoc_fail(&c->yd, n, "too many zones");
	c->p->zones = calloc(count, sizeof(*c->p->zones));
	if (!c->p->zones)
		return yamldoc_fail(&c->yd, n, "out of memory");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *zn = yamldoc_node(&c->yd, *it);

		if (i && c->p->zones[i - 1].any)
			return yamldoc_fail(&c->yd, zn, "zone can never match: zone '%s' before it has no match: "
				    "and catches everything", c->p->zones[i - 1].name);
		c->p->n_zones = i + 1;
		if (!parse_zone(c, &c->p->zones[i], zn))
			return false;
	}
	if (!c->p->zones[count - 1].any)
		return yamldoc_fail(&c->yd, n, "the last zone must be the default zone (a zone without match:)");
	return true;
}

/* ---- top level ---- */

static void certreq_free(struct policy_certreq *cr)
{
	size_t i;

	for (i = 0; i < cr->n_curves; i++)
		free(cr->curves[i]);
	free(cr->curves);
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++) {
		free(p->rules[i].id);
		free(p->rules[i].message);
		free(p->rules[i].required);
		free(p->rules[i].alert_json.s);
		free(p->rules[i].failed_head.s);
		free(p->rules[i].failed_tail.s);
	}
	for (i = 0; i < p->n_profiles; i++) {
		struct policy_profile *pr = &p->profiles[i];

		free(pr->name);
		free(pr->suite_ok);
		free(pr->groups);
		certreq_free(&pr->cert);
		certreq_free(&pr->client_cert);
		policy_strset_free(&pr->sni_allow);
		policy_strset_free(&pr->sni_deny);
		policy_strset_free(&pr->ja3_allow);
		policy_strset_free(&pr->ja3_deny);
		policy_strset_free(&pr->ja4_allow);
		policy_strset_free(&pr->ja4_deny);
		policy_strset_free(&pr->alpn_allow);
	}
	for (i = 0; i < p->n_zones; i++) {
		free(p->zones[i].name);
		free(p->zones[i].json.s);
		free(p->zones[i].src);
		free(p->zones[i].dst);
		free(p->zones[i].ports.r);
		free(p->zones[i].tls_ports.r);
		policy_strset_free(&p->zones[i].sni);
	}
	for (i = 0; i < p->n_stores; i++)
		certcheck_store_free(p->stores[i]);
	free(p->stores);
	free(p->rules);
	free(p->profiles);
	free(p->zones);
	free(p->file);
	free(p);
}

static bool parse_top(struct rctx *c)
{
	static const char *const keys[] = {
		"version", "description", "lists", "profiles", "zones", "resumption_lifetime", NULL
	};
	yaml_node_t *root = yamldoc_root(&c->yd), *x;
	unsigned long v;

	if (!root)
		return yamldoc_fail(&c->yd, NULL, "the file is empty");
	if (!yamldoc_check_keys(&c->yd, root, "the rules file", keys, NULL))
		return false;
	if (!(x = yamldoc_get(&c->yd, root, "version")))
		return yamldoc_fail(&c->yd, root, "missing 'version: 1'");
	if (!yamldoc_scalar(x) || strcmp(yamldoc_scalar(x), "1"))
		return yamldoc_fail(&c->yd, x, "unsupported rules version '%s' (this monitor reads version 1)",
			    yamldoc_scalar(x) ? yamldoc_scalar(x) : yamldoc_kind(x));
	if ((x = yamldoc_get(&c->yd, root, "description")) && !yamldoc_scalar(x))
		return yamldoc_fail(&c->yd, x, "description must be a text");
	c->p->resume_lifetime = RULES_DEFAULT_RESUME;
	if ((x = yamldoc_get(&c->yd, root, "resumption_lifetime"))) {
		if (!yamldoc_uint(&c->yd, x, "resumption_lifetime", 1, 7 * 86400, &v))
			return false;
		c->p->resume_lifetime = (unsigned)v;
	}
	if ((x = yamldoc_get(&c->yd, root, "lists")) && !parse_lists(c, x))
		return false;
	if (!(x = yamldoc_get(&c->yd, root, "profiles")))
		return yamldoc_fail(&c->yd, root, "missing 'profiles'");
	if (!parse_profiles(c, x))
		return false;
	if (!(x = yamldoc_get(&c->yd, root, "zones")))
		return yamldoc_fail(&c->yd, root, "missing 'zones'");
	return parse_zones(c, x);
}

/* Compiles the document c->yd holds (if it loaded) into c->p; NULL with
 * err filled on any error. Ends the document. */
static struct policy *compile(struct rctx *c, bool loaded)
{
	size_t i, j;

	if (loaded && (c->p = calloc(1, sizeof(*c->p))) && (c->p->file = strdup(c->name)))
		parse_top(c);
	else if (!c->yd.failed)
		yamldoc_fail(&c->yd, NULL, "out of memory");
	yamldoc_free(&c->yd);
	for (i = 0; i < c->n_lists; i++) {
		for (j = 0; j < c->lists[i].n; j++)
			free(c->lists[i].items[j]);
		free(c->lists[i].items);
	}
	free(c->lists);
	if (c->yd.failed) {
		snprintf(c->err->file, sizeof(c->err->file), "%s", c->yd.file);
		c->err->line = c->yd.line;
		c->err->column = c->yd.column;
		snprintf(c->err->message, sizeof(c->err->message), "%s", c->yd.message);
		policy_free(c->p);
		return NULL;
	}
	return c->p;
}

struct policy *rules_load_buffer(const char *name, const char *data, size_t len,
				 const char *basedir, unsigned flags, struct policy_error *err)
{
	struct rctx c = { .name = name, .basedir = basedir, .flags = flags, .err = err };

	memset(err, 0, sizeof(*err));
	return compile(&c, yamldoc_load(&c.yd, name, data, len));
}

struct policy *policy_load(const char *path, struct policy_error *err)
{
	struct rctx c = { .name = path, .flags = 0, .err = err };
	struct policy *p;
	char *dir = strdup(path), *slash;

	memset(err, 0, sizeof(*err));
	if (!dir) {
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->message, sizeof(err->message), "out of memory");
		return NULL;
	}
	/* Relative paths in the file are taken from the file's directory. */
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	c.basedir = dir;
	p = compile(&c, yamldoc_load_file(&c.yd, path, RULES_MAX_FILE));
	free(dir);
	return p;
}

void policy_error_format(const struct policy_error *e, char *out, size_t n)
{
	if (e->line)
		snprintf(out, n, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
	else
		snprintf(out, n, "%s: %s", e->file, e->message);
}

unsigned policy_zone_count(const struct policy *p)
{
	return (unsigned)p->n_zones;
}

unsigned policy_profile_count(const struct policy *p)
{
	return (unsigned)p->n_profiles;
}
