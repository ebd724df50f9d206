/*
 * rules: every malformed file of tests/unit/data/rules is refused at the
 * right line and column with the right reason; every preset loads; and the
 * compiled form says what the YAML says.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/rules.h"

#define DATA "tests/unit/data/rules/"

static const struct bad_case {
	const char *file;
	unsigned line, column;
	const char *reason;
} bad_cases[] = {
	{ "no_version.yaml", 1, 1, "missing 'version: 1'" },
	{ "bad_version.yaml", 1, 10, "unsupported rules version '2'" },
	{ "unknown_top_key.yaml", 4, 1, "unknown key 'zone' in the rules file" },
	{ "yaml_syntax.yaml", 3, 24, "YAML syntax" },
	{ "unknown_profile_key.yaml", 5, 5, "unknown key 'cipher_suite' in a profile" },
	{ "unknown_suite.yaml", 7, 11, "unknown cipher suite 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA257'" },
	{ "glob_matches_nothing.yaml", 4, 30, "pattern 'TLS_FOO_*' matches no known suite" },
	{ "unknown_property.yaml", 5, 21, "unknown cipher suite property 'rc5'" },
	{ "unknown_tls_version.yaml", 4, 35, "unknown protocol version 'TLS1.4'" },
	{ "min_above_max.yaml", 5, 12, "min version is above max version" },
	{ "bad_action.yaml", 4, 13, "action must be alert, drop or reject" },
	{ "bad_severity.yaml", 4, 39, "severity must be between 1 and 4" },
	{ "wrong_type_bool.yaml", 6, 26, "allow_self_signed must be true or false" },
	{ "wrong_type_map.yaml", 2, 11, "profiles must be a mapping, not a list" },
	{ "unreadable_ca.yaml", 5, 16, "cannot read CA file '/nonexistent/secaudit/ca.pem'" },
	{ "unreadable_crl.yaml", 6, 13, "cannot read CRL file" },
	{ "duplicate_id.yaml", 5, 40, "duplicate rule id 'weak-tls'" },
	{ "duplicate_sid.yaml", 5, 41, "duplicate sid 9000001" },
	{ "duplicate_key.yaml", 5, 5, "duplicate key 'versions'" },
	{ "unknown_zone_profile.yaml", 6, 14, "unknown profile 'q'" },
	{ "no_default_zone.yaml", 5, 3, "the last zone must be the default zone" },
	{ "zone_after_default.yaml", 6, 5, "zone can never match" },
	{ "bad_cidr.yaml", 8, 25, "'10.300.0.0/16' is not an address or CIDR prefix" },
	{ "bad_port.yaml", 7, 26, "port range '70000' must be within 1-65535" },
	{ "unknown_list.yaml", 6, 29, "unknown list 'worse'" },
	{ "list_kind_mismatch.yaml", 6, 24, "list 'bad' is a sni list, not ja3" },
	{ "bad_ja3.yaml", 5, 48, "JA3 entry 'not-a-hash' must be an MD5 hash" },
	{ "unknown_group.yaml", 4, 22, "unknown key exchange group 'x448mlkem'" },
	{ "unknown_anomaly.yaml", 6, 7, "unknown key 'heartbleed' in anomalies" },
	{ "unknown_curve.yaml", 4, 48, "unknown certificate curve 'P-255'" },
	{ "tls13_bad_value.yaml", 4, 25, "tls13_certificates must be allow, alert, drop, reject or probe" },
	{ "cert_check_unknown.yaml", 6, 16, "unknown key 'expiry' in certificate checks" },
	{ "cert_check_bad_action.yaml", 7, 18, "action must be alert, drop or reject" },
	{ "cert_check_not_made.yaml", 8, 9,
	  "certificate check 'weak_key' is not made here: it needs min_rsa_bits or min_ec_bits" },
	{ "cert_check_bad_severity.yaml", 7, 48, "severity must be between 1 and 4" },
	{ "client_check_server_name.yaml", 6, 33, "unknown key 'expired' in client_certificate checks" },
	{ "cert_check_duplicate_id.yaml", 6, 31, "duplicate rule id 'weak'" },
};

Test(rules, malformed_files_are_refused_at_the_right_place)
{
	size_t i;

	cr_assert_geq(sizeof(bad_cases) / sizeof(bad_cases[0]), 20);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct policy_error err;
		char path[256];
		struct policy *p;

		snprintf(path, sizeof(path), DATA "%s", bc->file);
		p = policy_load(path, &err);
		cr_expect_null(p, "%s: accepted", bc->file);
		policy_free(p);
		cr_expect_str_eq(err.file, path, "%s", bc->file);
		cr_expect_eq(err.line, bc->line, "%s: line %u, expected %u (%s)", bc->file, err.line,
			     bc->line, err.message);
		cr_expect_eq(err.column, bc->column, "%s: column %u, expected %u (%s)", bc->file,
			     err.column, bc->column, err.message);
		cr_expect(strstr(err.message, bc->reason), "%s: '%s' lacks '%s'", bc->file,
			  err.message, bc->reason);
	}
}

Test(rules, error_in_a_list_file_names_that_file_and_line)
{
	struct policy_error err;
	char msg[600];

	cr_assert_null(policy_load(DATA "bad_list_file.yaml", &err));
	policy_error_format(&err, msg, sizeof(msg));
	cr_assert_str_eq(msg, DATA "bad_list_file.txt:4:3: JA3 entry 'zz-not-a-hash' must be an "
			 "MD5 hash (32 hex digits)");
}

Test(rules, missing_file)
{
	struct policy_error err;

	cr_assert_null(policy_load(DATA "does-not-exist.yaml", &err));
	cr_assert(strstr(err.message, "No such file"), "%s", err.message);
	cr_assert_eq(err.line, 0);
}

Test(rules, every_preset_loads)
{
	static const char *const presets[] = {
		"rules/default.yaml", "rules/mozilla-modern.yaml", "rules/mozilla-intermediate.yaml",
		"rules/nist-800-52r2.yaml", "rules/audit-channel.yaml",
	};
	struct policy_error err;
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		struct policy *p = policy_load(presets[i], &err);
		char msg[600];

		policy_error_format(&err, msg, sizeof(msg));
		cr_expect_not_null(p, "%s", msg);
		policy_free(p);
	}
}

static struct policy *load_str(const char *yaml)
{
	struct policy_error err;
	char msg[600];
	struct policy *p = rules_load_buffer("test.yaml", yaml, strlen(yaml), ".", 0, &err);

	policy_error_format(&err, msg, sizeof(msg));
	cr_assert_not_null(p, "%s", msg);
	return p;
}

static bool suite_allowed(const struct policy_profile *pr, uint16_t code)
{
	return pr->suite_ok[code >> 3] & (1u << (code & 7));
}

Test(rules, suites_by_name_glob_code_and_property)
{
	struct policy *p = load_str(
		"version: 1\n"
		"profiles:\n"
		"  p:\n"
		"    cipher_suites:\n"
		"      allow: [TLS_AES_*, ECDHE-RSA-AES128-GCM-SHA256, 0xc02c, TLS_RSA_WITH_AES_128_CBC_SHA,\n"
		"              TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA]\n"
		"      forbid: [rsa_kx]\n"
		"      deny: [TLS_AES_128_CCM_8_SHA256]\n"
		"zones:\n"
		"  - {name: d, profile: p}\n");
	const struct policy_profile *pr = &p->profiles[0];

	cr_assert(suite_allowed(pr, 0x1301));     /* TLS_AES_128_GCM_SHA256 by glob */
	cr_assert(suite_allowed(pr, 0x1302));
	cr_assert_not(suite_allowed(pr, 0x1305)); /* denied by name */
	cr_assert_not(suite_allowed(pr, 0x1303)); /* TLS_CHACHA20 does not match TLS_AES_* */
	cr_assert(suite_allowed(pr, 0xc02f));     /* OpenSSL name */
	cr_assert(suite_allowed(pr, 0xc02c));     /* code */
	cr_assert(suite_allowed(pr, 0xc014));
	cr_assert_not(suite_allowed(pr, 0x002f)); /* allowed by name, forbidden: RSA kx */
	cr_assert_not(suite_allowed(pr, 0xc030)); /* never allowed */
	cr_assert_str_eq(p->rules[pr->rule[POLICY_CHK_SUITE] - 1].id, "p.cipher_suite");
	cr_assert_eq(p->rules[pr->rule[POLICY_CHK_SUITE] - 1].sid, POLICY_SID_BASE + POLICY_CHK_SUITE);
	policy_free(p);
}

Test(rules, meta_and_defaults)
{
	struct policy *p = load_str(
		"version: 1\n"
		"profiles:\n"
		"  strict:\n"
		"    action: drop\n"
		"    severity: 1\n"
		"    versions: {min: TLS1.2, id: old-tls, sid: 4000, message: too old, action: reject}\n"
		"    certificate: {trust: none, id: srv, sid: 5000, forbidden_signatures: [sha1]}\n"
		"    anomalies: {heartbeat: alert}\n"
		"zones:\n"
		"  - {name: d, profile: strict}\n");
	const struct policy_profile *pr = &p->profiles[0];
	const struct policy_rule *v = &p->rules[pr->rule[POLICY_CHK_VERSION] - 1];
	const struct policy_rule *sig = &p->rules[pr->rule[POLICY_CHK_CERT_SIGNATURE] - 1];
	const struct policy_rule *hb = &p->rules[pr->rule[POLICY_CHK_HEARTBEAT] - 1];

	cr_assert_str_eq(v->id, "old-tls");
	cr_assert_eq(v->sid, 4000);
	cr_assert_str_eq(v->message, "too old");
	cr_assert_eq(v->action, POLICY_ACTION_REJECT);
	cr_assert_eq(v->severity, 1);
	cr_assert_str_eq(v->required, "TLSv1.2, TLSv1.3");
	cr_assert_eq(pr->versions, (1u << 3) | (1u << 4));
	cr_assert_str_eq(sig->id, "srv.signature");
	cr_assert_eq(sig->action, POLICY_ACTION_DROP);
	cr_assert_eq(pr->rule[POLICY_CHK_CERT_UNTRUSTED], 0, "trust: none verifies no chain");
	cr_assert_str_eq(hb->id, "strict.anomaly.heartbeat");
	cr_assert_eq(hb->action, POLICY_ACTION_ALERT);
	cr_assert_eq(pr->rule[POLICY_CHK_MISSING_SNI], 0);
	policy_free(p);
}

Test(rules, certificate_checks_override_the_block)
{
	struct policy *p = load_str(
		"version: 1\n"
		"profiles:\n"
		"  strict:\n"
		"    severity: 2\n"
		"    certificate:\n"
		"      id: srv\n"
		"      sid: 5000\n"
		"      action: drop\n"
		"      min_rsa_bits: 2048\n"
		"      checks:\n"
		"        expired: alert\n"
		"        weak_key: {id: small-key, severity: 3, message: key too small}\n"
		"        hostname: {sid: 7000, action: reject}\n"
		"    client_certificate:\n"
		"      required: false\n"
		"      checks: {invalid: alert}\n"
		"zones:\n"
		"  - {name: d, profile: strict}\n");
	const struct policy_profile *pr = &p->profiles[0];
	const struct policy_rule *exp = &p->rules[pr->rule[POLICY_CHK_CERT_EXPIRED] - 1];
	const struct policy_rule *nyv = &p->rules[pr->rule[POLICY_CHK_CERT_NOT_YET_VALID] - 1];
	const struct policy_rule *wk = &p->rules[pr->rule[POLICY_CHK_CERT_WEAK_KEY] - 1];
	const struct policy_rule *host = &p->rules[pr->rule[POLICY_CHK_CERT_HOSTNAME] - 1];
	const struct policy_rule *inv = &p->rules[pr->rule[POLICY_CHK_CLIENT_CERT_INVALID] - 1];

	cr_assert_str_eq(exp->id, "srv.expired");
	cr_assert_eq(exp->action, POLICY_ACTION_ALERT);
	cr_assert_eq(exp->sid, 5002, "block sid + rank");
	cr_assert_str_eq(nyv->id, "srv.not_yet_valid");
	cr_assert_eq(nyv->action, POLICY_ACTION_DROP, "no entry: the block's action");
	cr_assert_str_eq(wk->id, "small-key");
	cr_assert_str_eq(wk->message, "key too small");
	cr_assert_eq(wk->severity, 3);
	cr_assert_eq(wk->action, POLICY_ACTION_DROP);
	cr_assert_eq(wk->sid, 5006);
	cr_assert_str_eq(host->id, "srv.hostname");
	cr_assert_eq(host->sid, 7000);
	cr_assert_eq(host->action, POLICY_ACTION_REJECT);
	cr_assert_eq(host->severity, 2);
	cr_assert_eq(pr->rule[POLICY_CHK_CLIENT_CERT_MISSING], 0);
	cr_assert_eq(inv->action, POLICY_ACTION_ALERT);
	cr_assert_str_eq(inv->id, "strict.client_certificate.invalid");
	policy_free(p);
}

Test(rules, zones_and_lists)
{
	struct policy *p = load_str(
		"version: 1\n"
		"lists:\n"
		"  blocked: {type: sni, entries: ['*.evil.test', bad.example]}\n"
		"profiles:\n"
		"  p: {sni: {deny_lists: [blocked], deny: [Other.Test]}}\n"
		"zones:\n"
		"  - name: lan\n"
		"    profile: p\n"
		"    match: {dst: [10.0.0.0/8, '2001:db8::/32'], ports: [443, 8000-8100], sni: ['*.corp.test']}\n"
		"  - {name: d, profile: p}\n");
	const struct policy_profile *pr = &p->profiles[0];
	const struct policy_zone *z = &p->zones[0];

	cr_assert_eq(p->n_zones, 2);
	cr_assert_eq(z->n_dst, 2);
	cr_assert_eq(z->dst[1].bits, 32);
	cr_assert_eq(z->ports.n, 2);
	cr_assert_eq(z->ports.r[1].lo, 8000);
	cr_assert_eq(z->ports.r[1].hi, 8100);
	cr_assert(policy_strset_has(&z->sni, "www.CORP.test"));
	cr_assert_not(policy_strset_has(&z->sni, "corp.test.evil"));
	cr_assert(policy_strset_has(&pr->sni_deny, "a.b.evil.test"));
	cr_assert(policy_strset_has(&pr->sni_deny, "other.test"));
	cr_assert(policy_strset_has(&pr->sni_deny, "BAD.example"));
	cr_assert_not(policy_strset_has(&pr->sni_deny, "evil.test"));
	cr_assert(p->zones[1].any);
	policy_free(p);
}

Test(rules, glob)
{
	cr_assert(policy_glob("*", "", false));
	cr_assert(policy_glob("a*c", "abbbc", false));
	cr_assert(policy_glob("a?c", "abc", false));
	cr_assert_not(policy_glob("a?c", "ac", false));
	cr_assert(policy_glob("*.EXAMPLE.com", "www.example.COM", true));
	cr_assert_not(policy_glob("*.example.com", "www.example.com.evil", true));
	cr_assert(policy_glob("TLS_*_GCM_*", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false));
}

Test(rules, version_names)
{
	uint16_t v;

	cr_assert(rules_version_by_name("TLSv1.2", &v));
	cr_assert_eq(v, 0x0303);
	cr_assert(rules_version_by_name("TLS 1.0", &v));
	cr_assert_eq(v, 0x0301);
	cr_assert_not(rules_version_by_name("TLS1.4", &v));
}
