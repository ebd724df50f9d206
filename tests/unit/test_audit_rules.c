/* The server's audit detection rules: loading (the shipped set, errors with
 * line:column) and matching on events recorded from this kernel
 * (tests/unit/data/audit_rules/kernel-events.log); the alert line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_alert.h"
#include "audit_rec.h"
#include "audit_rules.h"

#define EVENTS "tests/unit/data/audit_rules/kernel-events.log"

/* The recorded events, in file order. */
enum {
	EV_CURL, EV_ECHO, EV_OPEN_APPEND, EV_OPEN_RELATIVE, EV_SETPRIV_EXEC,
	EV_SETPRIV_SETRESUID, EV_PASSWD_SUID, EV_PY_SETRESUID, EV_EXEC_FAILED,
	EV_OPEN_READ, EV_COUNT
};

static struct audit_event ev[EV_COUNT];

static void load_events(void)
{
	char line[AUDIT_REC_MAX_LINE];
	struct buf text = { 0 };
	FILE *f = fopen(EVENTS, "r");
	size_t n = 0;
	bool more = true;

	cr_assert_not_null(f, "cannot open %s", EVENTS);
	while (more) {
		more = fgets(line, sizeof(line), f) != NULL;
		if (more && line[0] == '#')
			continue;
		if (more && line[0] != '\n') {
			buf_puts(&text, line);
			continue;
		}
		if (!text.len)
			continue;
		cr_assert_lt(n, EV_COUNT, "more events in %s than the test knows", EVENTS);
		text.len--;	/* the last record's newline */
		cr_assert(audit_event_parse((const uint8_t *)text.data, text.len, &ev[n]),
			  "event %zu does not parse", n);
		n++;
		buf_reset(&text);
	}
	fclose(f);
	buf_free(&text);
	cr_assert_eq(n, EV_COUNT, "%zu events in %s, want %d", n, EVENTS, EV_COUNT);
}

static void free_events(void)
{
	for (int i = 0; i < EV_COUNT; i++)
		audit_event_free(&ev[i]);
}

TestSuite(audit_rules, .init = load_events, .fini = free_events);

static struct audit_rules *parse(const char *yaml)
{
	char err[512] = "";
	struct audit_rules *r = audit_rules_parse("t.yaml", yaml, strlen(yaml), err, sizeof(err));

	cr_assert_not_null(r, "rules refused: %s", err);
	return r;
}

/* One rule's match block; the bitmask of the recorded events it matches. */
static unsigned hits_of(const char *match)
{
	char yaml[2048];
	struct audit_rules *r;
	unsigned mask = 0;

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nrules:\n  - id: t\n    sid: 1\n    message: m\n"
		 "    match: %s\n", match);
	r = parse(yaml);
	for (int i = 0; i < EV_COUNT; i++)
		if (audit_rules_match(r, &ev[i], NULL, NULL))
			mask |= 1u << i;
	audit_rules_free(r);
	return mask;
}

#define B(e) (1u << (e))

Test(audit_rules, recorded_events_parse_as_expected)
{
	cr_assert_str_eq(ev[EV_CURL].exe, "/usr/bin/curl");
	cr_assert_str_eq(ev[EV_OPEN_RELATIVE].syscall_name, "openat");
	cr_assert_eq(ev[EV_OPEN_APPEND].a[2], 0x80441);
	cr_assert_eq(ev[EV_PASSWD_SUID].uid, 65534);
	cr_assert_eq(ev[EV_PASSWD_SUID].euid, 0);
	cr_assert_eq(ev[EV_PY_SETRESUID].a[0], 0xfffe);
	cr_assert_eq(ev[EV_EXEC_FAILED].success, 0);
}

Test(audit_rules, conditions_on_recorded_events)
{
	static const struct {
		const char *match;
		unsigned want;
	} cases[] = {
		{ "{program: /usr/bin/curl}", B(EV_CURL) },
		{ "{program: [/usr/bin/wget, /usr/bin/cu*]}", B(EV_CURL) },
		{ "{comm: ech?}", B(EV_ECHO) },
		{ "{key: cap-setuid}", B(EV_SETPRIV_SETRESUID) | B(EV_PY_SETRESUID) },
		{ "{key: [cap-sensitive, nokey]}",
		  B(EV_OPEN_APPEND) | B(EV_OPEN_RELATIVE) | B(EV_OPEN_READ) },
		{ "{syscall: setresuid}", B(EV_SETPRIV_SETRESUID) | B(EV_PY_SETRESUID) },
		{ "{syscall: 117}", B(EV_SETPRIV_SETRESUID) | B(EV_PY_SETRESUID) },
		{ "{syscall: setresuid, a0: 0}", 0 },
		{ "{syscall: setresuid, a0: 0xfffe, a2: 65534}",
		  B(EV_SETPRIV_SETRESUID) | B(EV_PY_SETRESUID) },
		{ "{argument: \"--ver*\"}", B(EV_CURL) },
		{ "{argument: hello, program: /usr/bin/echo}", B(EV_ECHO) },
		/* a relative PATH name is the file in the event's CWD */
		{ "{path: \"*/lab/sensitive.conf\", write: true}",
		  B(EV_OPEN_APPEND) | B(EV_OPEN_RELATIVE) },
		{ "{path: \"*/lab/sensitive.conf\", write: false}", B(EV_OPEN_READ) },
		{ "{path: /etc/shadow}", 0 },
		{ "{euid: 0, uid_change: true}", B(EV_PASSWD_SUID) },
		{ "{uid: 65534, syscall: execve}", B(EV_PASSWD_SUID) | B(EV_EXEC_FAILED) },
		{ "{success: false}", B(EV_EXEC_FAILED) },
		{ "{syscall: execve, not: {program: [/usr/bin/setpriv, /usr/bin/passwd]}}",
		  B(EV_CURL) | B(EV_ECHO) },
		{ "{auid: unset, gid: 65534, syscall: execve}",
		  B(EV_PASSWD_SUID) | B(EV_EXEC_FAILED) },
		{ "{program: \"/usr/*\", not: {uid: 0}, success: true}",
		  B(EV_SETPRIV_SETRESUID) | B(EV_PASSWD_SUID) },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = hits_of(cases[i].match);

		cr_expect_eq(got, cases[i].want, "%s: matched %#x, want %#x",
			     cases[i].match, got, cases[i].want);
	}
}

struct hits {
	uint32_t sid[8];
	unsigned n;
};

static void collect(void *ctx, const struct audit_rule_info *rule, const struct audit_event *e)
{
	struct hits *h = ctx;

	if (h->n < 8)
		h->sid[h->n++] = rule->sid;
}

Test(audit_rules, shipped_rules_on_recorded_events)
{
	static const uint32_t want[EV_COUNT] = {
		[EV_CURL] = 3000001, [EV_PASSWD_SUID] = 3000101,
	};
	char err[512] = "";
	struct audit_rules *r = audit_rules_load("rules/audit", err, sizeof(err));

	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(audit_rules_count(r), 7);
	for (int i = 0; i < EV_COUNT; i++) {
		struct hits h = { 0 };

		audit_rules_match(r, &ev[i], collect, &h);
		cr_expect_eq(h.n, want[i] ? 1u : 0u, "event %d: %u alerts", i, h.n);
		if (want[i])
			cr_expect_eq(h.sid[0], want[i], "event %d: sid %u", i, h.sid[0]);
	}
	audit_rules_free(r);
}

Test(audit_rules, alert_line)
{
	static const struct audit_rule_info rule = {
		.id = "exec-network-tool", .message = "network tool \"executed\"",
		.category = "execution", .sid = 3000001, .severity = 3,
	};
	struct buf out = { 0 };

	audit_alert_json(&out, &rule, "O=SecureAudit test,CN=agent-1", 7, 42, &ev[EV_CURL]);
	cr_assert_not(out.oom);
	cr_assert_str_eq(buf_cstr(&out),
		"{\"timestamp\":\"2026-11-23T12:08:19.069000+0000\",\"event_type\":\"alert\","
		"\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":3000001,\"rev\":1,"
		"\"signature\":\"network tool \\\"executed\\\"\",\"category\":\"execution\","
		"\"severity\":3},\"secaudit\":{\"rule\":\"exec-network-tool\",\"audit\":{"
		"\"agent\":\"O=SecureAudit test,CN=agent-1\",\"stream\":7,\"seq\":42,"
		"\"serial\":127,\"type\":\"SYSCALL\","
		"\"records\":\"SYSCALL,BPRM_FCAPS,EXECVE,CWD,PATH,PATH,PROCTITLE\","
		"\"syscall\":59,\"syscall_name\":\"execve\",\"success\":true,\"exit\":0,"
		"\"pid\":17340,\"ppid\":17286,\"uid\":0,\"auid\":4294967295,\"euid\":0,"
		"\"gid\":0,\"ses\":4294967295,\"tty\":\"(none)\",\"comm\":\"curl\","
		"\"exe\":\"/usr/bin/curl\",\"cwd\":\"/tmp/aud-cap\",\"key\":\"cap-exec\","
		"\"args\":[\"/usr/bin/curl\",\"--version\"],"
		"\"paths\":[\"/usr/bin/curl\",\"/lib64/ld-linux-x86-64.so.2\"]}}}\n");
	buf_free(&out);
}

Test(audit_rules_load, errors_name_line_and_column)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "", "t.yaml: empty file" },
		{ "version: 2\nrules: []\n", "t.yaml:1:10: version: 1 expected" },
		{ "version: 1\nrule: []\n", "t.yaml:2:1: unknown key 'rule' in the file" },
		{ "version: 1\nrules: {}\n", "t.yaml:2:8: rules must be a list, not a mapping" },
		{ "version: 1\nrules:\n  - id: a\n    sid: 1\n    message: m\n",
		  "t.yaml:3:5: rule without 'match'" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {progam: x}}\n",
		  "t.yaml:3:41: unknown key 'progam' in match" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {}}\n",
		  "t.yaml:3:40: match: no condition" },
		{ "version: 1\nrules:\n  - {id: a, sid: x1, message: m, match: {uid: 0}}\n",
		  "t.yaml:3:18: sid: 'x1' is not a number" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {uid: 0}}\n"
		  "  - {id: b, sid: 1, message: m, match: {uid: 0}}\n",
		  "t.yaml:4:18: sid 1 is also rule 'a'" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {uid: 0}}\n"
		  "  - {id: a, sid: 2, message: m, match: {uid: 0}}\n",
		  "t.yaml:4:10: duplicate rule id 'a'" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, severity: 5, match: {uid: 0}}\n",
		  "t.yaml:3:43: severity: '5' is not a number from 0 to 4" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {uid: -1}}\n",
		  "t.yaml:3:46: uid: '-1' is not a number" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {write: maybe}}\n",
		  "t.yaml:3:48: write must be true or false" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {key: []}}\n",
		  "t.yaml:3:46: key: empty list" },
		{ "version: 1\nrules:\n  - {id: a, sid: 1, message: m, match: {not: {not: {uid: 0}}}}\n",
		  "t.yaml:3:52: 'not' cannot be nested" },
		{ "version: 1\nrules:\n  - {id: 'a b', sid: 1, message: m, match: {uid: 0}}\n",
		  "t.yaml:3:10: id must be letters" },
		{ "version: 1\nrules: [\n", "t.yaml:3:1: YAML syntax" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct audit_rules *r;

		err[0] = '\0';
		r = audit_rules_parse("t.yaml", cases[i].yaml, strlen(cases[i].yaml), err,
				      sizeof(err));
		cr_expect_null(r, "case %zu accepted", i);
		audit_rules_free(r);
		cr_expect(!strncmp(err, cases[i].want, strlen(cases[i].want)),
			  "case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].want);
	}
}

Test(audit_rules_load, directory_sids_unique_across_files)
{
	char dir[] = "/tmp/audit-rules-XXXXXX", path[64], err[512] = "";
	static const char rule[] = "version: 1\nrules:\n  - {id: %s, sid: 5, message: m, match: {uid: 0}}\n";
	struct audit_rules *r;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	fprintf(f, rule, "one");
	fclose(f);
	r = audit_rules_load(dir, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(audit_rules_count(r), 1);
	audit_rules_free(r);
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	f = fopen(path, "w");
	fprintf(f, rule, "two");
	fclose(f);
	r = audit_rules_load(dir, err, sizeof(err));
	cr_expect_null(r);
	cr_expect(strstr(err, "b.yaml:3:20: sid 5 is also rule 'one'"), "%s", err);
	audit_rules_free(r);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	unlink(path);
	rmdir(dir);
}
