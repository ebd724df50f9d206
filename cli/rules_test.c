/* rules_test: policy tests over captures; contract in rules_test.h. */
#include "rules_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "engine/engine.h"
#include "engine/inspector.h"
#include "io/capture.h"
#include "policy/policy.h"

#define RT_ACTION_UNSET (-1)
#define RT_FLOW_LEN 112          /* "[v6]:port -> [v6]:port" */
#define RT_MAX_FAILED POLICY_MAX_FAILURES

/* A session as the policy judged it. */
struct rt_session {
	char sni[256];
	char flow[RT_FLOW_LEN];
	int action;                  /* enum policy_action */
	const char *failed[RT_MAX_FAILED];   /* rule ids, valid while the policy is */
	size_t n_failed;
	bool named;                  /* an expectation named it */
};

struct rt_run {
	struct rt_session *s;
	size_t n, cap;
	bool oom;
};

struct rt_ctx {
	const char *path;
	char dir[PATH_MAX];
	yaml_document_t doc;
	FILE *out, *err;
	unsigned differences, sessions;
};

static const char *const action_names[] = { "pass", "alert", "drop", "reject" };

static const char *action_name(int a)
{
	return a >= 0 && a < 4 ? action_names[a] : "?";
}

static bool parse_action(const char *s, int *a)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, action_names[i])) {
			*a = i;
			return true;
		}
	return false;
}

/* file:line:column: message on err; false, to be returned. */
static bool fail(struct rt_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	if (n)
		fprintf(c->err, "%s:%zu:%zu: ", c->path, n->start_mark.line + 1,
			n->start_mark.column + 1);
	else
		fprintf(c->err, "%s: ", c->path);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return false;
}

static yaml_node_t *node(struct rt_ctx *c, int id)
{
	return yaml_document_get_node(&c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *member(struct rt_ctx *c, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;
	const char *k;

	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if ((k = scalar(node(c, p->key))) && !strcmp(k, key))
			return node(c, p->value);
	return NULL;
}

/* Every key of mapping m is one of keys (NULL-terminated). */
static bool known_keys(struct rt_ctx *c, yaml_node_t *m, const char *what,
		       const char *const *keys)
{
	yaml_node_pair_t *p;
	const char *k;
	size_t i;

	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, m, "%s must be a mapping", what);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		k = scalar(node(c, p->key));
		for (i = 0; k && keys[i] && strcmp(k, keys[i]); i++)
			;
		if (!k || !keys[i])
			return fail(c, node(c, p->key), "unknown key '%s' in %s", k ? k : "?",
				    what);
	}
	return true;
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* dir/p into out; false (out empty) when it does not fit. */
static bool join(char *out, size_t n, const char *dir, const char *p)
{
	int r = snprintf(out, n, "%s/%s", dir, p);

	if (r < 0 || (size_t)r >= n) {
		out[0] = '\0';
		return false;
	}
	return true;
}

/* A path of the file, as the process can open it (see rules_test.h). */
static void resolve(const struct rt_ctx *c, const char *p, bool corpus, char *out, size_t n)
{
	const char *env = getenv("SECAUDIT_CORPUS");

	if (p[0] == '/') {
		snprintf(out, n, "%s", p);
		return;
	}
	if ((join(out, n, c->dir, p) && exists(out)) || !corpus)
		return;
	if (env && env[0] && join(out, n, env, p) && exists(out))
		return;
	if (join(out, n, "../shared/corpus", p) && exists(out))
		return;
	join(out, n, c->dir, p);
}

static void format_flow(const struct policy_flow *pf, char out[RT_FLOW_LEN])
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool v6 = pf->family == AF_INET6;

	if (!inet_ntop(pf->family, pf->client_addr, a, sizeof(a)) ||
	    !inet_ntop(pf->family, pf->server_addr, b, sizeof(b))) {
		snprintf(out, RT_FLOW_LEN, "?");
		return;
	}
	snprintf(out, RT_FLOW_LEN, "%s%s%s:%u -> %s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "",
		 pf->client_port, v6 ? "[" : "", b, v6 ? "]" : "", pf->server_port);
}

static void on_judged(void *arg, const struct engine_session *es, const struct policy_flow *pf,
		      const struct policy *p, const struct policy_state *st)
{
	struct rt_run *r = arg;
	struct rt_session *s;
	size_t i;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rt_session *m = realloc(r->s, cap * sizeof(*m));

		if (!m) {
			r->oom = true;
			return;
		}
		r->s = m;
		r->cap = cap;
	}
	s = &r->s[r->n++];
	memset(s, 0, sizeof(*s));
	if (es->tls.n_client_hellos && es->tls.client_hello[0].has_sni)
		snprintf(s->sni, sizeof(s->sni), "%s", es->tls.client_hello[0].sni);
	format_flow(pf, s->flow);
	s->action = st->action;
	for (i = 0; i < st->n_failures && i < RT_MAX_FAILED; i++)
		s->failed[s->n_failed++] = policy_failure_rule(p, &st->failures[i]);
}

static void on_packet(void *arg, int dlt, const uint8_t *pkt, size_t len, uint64_t ts_us)
{
	struct inspector *in = arg;

	inspector_packet(in, dlt, pkt, len, ts_us);
}

/* The capture through the engine with policy p: every judged session in r. */
static int run_capture(struct rt_ctx *c, const char *capture, const struct policy *p,
		       struct rt_run *r, const yaml_node_t *where)
{
	struct engine_config cfg;
	struct inspector *in;
	struct buf sink = { 0 };
	char err[512];
	int rc = 0;

	engine_config_default(&cfg);
	in = inspector_new(&cfg, p, INSPECTOR_ALERTS, &sink);
	if (!in) {
		fail(c, where, "out of memory");
		return -ENOMEM;
	}
	inspector_on_judged(in, on_judged, r);
	/* the alert lines are not wanted: dropped after each packet */
	if (capture_file(capture, on_packet, in, err, sizeof(err)) < 0) {
		fail(c, where, "%s: %s", capture, err);
		rc = -EIO;
	}
	inspector_flush(in);
	inspector_free(in);
	buf_free(&sink);
	if (r->oom && !rc) {
		fail(c, where, "out of memory");
		rc = -ENOMEM;
	}
	return rc;
}

/* Flows compare without their spaces ("a:1->b:2" names "a:1 -> b:2"). */
static bool same_flow(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ')
			a++;
		while (*b == ' ')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++, b++;
	}
}

static bool in_list(const char *const *list, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], id))
			return true;
	return false;
}

static void print_list(FILE *f, const char *sign, const char *const *list, size_t n)
{
	size_t i;

	fprintf(f, "%s  failed: [", sign);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", list[i]);
	fprintf(f, "]\n");
}

/* One session against what was expected of it; prints the difference. */
static void compare(struct rt_ctx *c, const yaml_node_t *where, const char *capture,
		    const struct rt_session *s, int action, const char *const *failed,
		    size_t n_failed, bool check_failed)
{
	bool bad_action = action != RT_ACTION_UNSET && action != s->action;
	bool bad_failed = false;
	size_t i;

	c->sessions++;
	if (check_failed) {
		bad_failed = n_failed != s->n_failed;
		for (i = 0; i < n_failed && !bad_failed; i++)
			bad_failed = !in_list(s->failed, s->n_failed, failed[i]);
	}
	if (!bad_action && !bad_failed)
		return;
	c->differences++;
	fprintf(c->out, "%s:%zu:%zu: %s: session %s%s%s%s:\n", c->path,
		where->start_mark.line + 1, where->start_mark.column + 1, capture, s->flow,
		s->sni[0] ? " (sni " : "", s->sni, s->sni[0] ? ")" : "");
	if (bad_action)
		fprintf(c->out, "-  action: %s\n+  action: %s\n", action_name(action),
			action_name(s->action));
	if (bad_action && !check_failed && s->n_failed)
		print_list(c->out, " ", s->failed, s->n_failed);   /* why, as context */
	if (bad_failed) {
		print_list(c->out, "-", failed, n_failed);
		print_list(c->out, "+", s->failed, s->n_failed);
	}
}

/* The sessions of one test entry against the capture's verdicts. */
static bool check_sessions(struct rt_ctx *c, yaml_node_t *test, const char *capture,
			   struct rt_run *r)
{
	static const char *const keys[] = { "sni", "flow", "action", "failed", NULL };
	yaml_node_t *list = member(c, test, "sessions"), *others = member(c, test, "others");
	const char *failed[RT_MAX_FAILED];
	yaml_node_item_t *it, *f;
	int action, others_action = RT_ACTION_UNSET;
	size_t i, n_failed;

	if (others && (!scalar(others) || !parse_action(scalar(others), &others_action)))
		return fail(c, others, "others: '%s' is not pass, alert, drop or reject",
			    scalar(others) ? scalar(others) : "?");
	if (list && list->type != YAML_SEQUENCE_NODE)
		return fail(c, list, "sessions must be a list");
	for (it = list ? list->data.sequence.items.start : NULL;
	     list && it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = node(c, *it), *sni, *flow, *a, *fl;
		unsigned matched = 0;

		if (!known_keys(c, e, "a session", keys))
			return false;
		sni = member(c, e, "sni");
		flow = member(c, e, "flow");
		a = member(c, e, "action");
		fl = member(c, e, "failed");
		if (!!scalar(sni) == !!scalar(flow))
			return fail(c, e, "a session is named by sni or by flow (one of them)");
		if (!a && !fl)
			return fail(c, e, "a session expects an action, failed rules, or both");
		action = RT_ACTION_UNSET;
		if (a && (!scalar(a) || !parse_action(scalar(a), &action)))
			return fail(c, a, "action: '%s' is not pass, alert, drop or reject",
				    scalar(a) ? scalar(a) : "?");
		n_failed = 0;
		if (fl && fl->type != YAML_SEQUENCE_NODE)
			return fail(c, fl, "failed must be a list of rule ids");
		for (f = fl ? fl->data.sequence.items.start : NULL;
		     fl && f < fl->data.sequence.items.top; f++) {
			if (!scalar(node(c, *f)) || n_failed == RT_MAX_FAILED)
				return fail(c, node(c, *f), "failed: a rule id, at most %d",
					    RT_MAX_FAILED);
			failed[n_failed++] = scalar(node(c, *f));
		}
		for (i = 0; i < r->n; i++) {
			struct rt_session *s = &r->s[i];

			if (sni ? strcasecmp(s->sni, scalar(sni)) : !same_flow(s->flow, scalar(flow)))
				continue;
			s->named = true;
			matched++;
			compare(c, e, capture, s, action, failed, n_failed, fl != NULL);
		}
		if (!matched) {
			c->differences++;
			fprintf(c->out, "%s:%zu:%zu: %s: no session %s %s in the capture\n",
				c->path, e->start_mark.line + 1, e->start_mark.column + 1, capture,
				sni ? "with sni" : "", sni ? scalar(sni) : scalar(flow));
		}
	}
	for (i = 0; others_action != RT_ACTION_UNSET && i < r->n; i++)
		if (!r->s[i].named)
			compare(c, others, capture, &r->s[i], others_action, NULL, 0, false);
	return true;
}

static struct policy *load_policy(struct rt_ctx *c, yaml_node_t *n)
{
	struct policy_error perr;
	struct policy *p;
	char path[PATH_MAX], msg[1024];

	if (!scalar(n)) {
		fail(c, n, "rules: the path of a rules file");
		return NULL;
	}
	resolve(c, scalar(n), false, path, sizeof(path));
	p = policy_load(path, &perr);
	if (!p) {
		policy_error_format(&perr, msg, sizeof(msg));
		fail(c, n, "rules %s", msg);
	}
	return p;
}

/* One entry of tests: its capture under its policy (or the file's). */
static int run_test(struct rt_ctx *c, yaml_node_t *test, const struct policy *file_policy)
{
	static const char *const keys[] = { "capture", "rules", "sessions", "others", NULL };
	yaml_node_t *cap = member(c, test, "capture"), *rules = member(c, test, "rules");
	struct policy *own = NULL;
	struct rt_run r = { 0 };
	char capture[PATH_MAX];
	unsigned before = c->differences;
	int rc = 2;

	if (!known_keys(c, test, "a test", keys))
		return 2;
	if (!scalar(cap)) {
		fail(c, cap ? cap : test, "a test names its capture");
		return 2;
	}
	if (rules && !(own = load_policy(c, rules)))
		return 2;
	if (!own && !file_policy) {
		fail(c, test, "no rules: give 'rules:' at the top or in the test");
		return 2;
	}
	resolve(c, scalar(cap), true, capture, sizeof(capture));
	if (run_capture(c, capture, own ? own : file_policy, &r, cap) < 0)
		goto out;
	if (!check_sessions(c, test, scalar(cap), &r))
		goto out;
	if (c->differences == before)
		fprintf(c->out, "ok %s (%zu sessions)\n", scalar(cap), r.n);
	rc = c->differences == before ? 0 : 1;
out:
	free(r.s);
	policy_free(own);
	return rc;
}

/* The document of path in c->doc; false with the reason on c->err. */
static bool load_doc(struct rt_ctx *c, const char *path)
{
	yaml_parser_t parser;
	FILE *f = fopen(path, "rb");
	bool ok;

	if (!f) {
		fprintf(c->err, "%s: %s\n", path, strerror(errno));
		return false;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return false;
	}
	yaml_parser_set_input_file(&parser, f);
	ok = yaml_parser_load(&parser, &c->doc);
	if (!ok)
		fprintf(c->err, "%s:%zu:%zu: %s\n", path, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
	yaml_parser_delete(&parser);
	fclose(f);
	return ok;
}

bool rules_test_is_testfile(const char *path)
{
	struct rt_ctx c = { .path = path, .err = fopen("/dev/null", "w") };
	bool yes = false;

	if (!c.err)
		return false;
	if (load_doc(&c, path)) {
		yes = member(&c, yaml_document_get_root_node(&c.doc), "tests") != NULL;
		yaml_document_delete(&c.doc);
	}
	fclose(c.err);
	return yes;
}

int rules_test_run(const char *path, FILE *out, FILE *err)
{
	static const char *const keys[] = { "rules", "tests", NULL };
	struct rt_ctx c = { .path = path, .out = out, .err = err };
	struct policy *policy = NULL;
	yaml_node_t *root, *tests, *rules;
	yaml_node_item_t *it;
	const char *slash = strrchr(path, '/');
	int rc = 2, r;

	snprintf(c.dir, sizeof(c.dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	if (!load_doc(&c, path))
		return 2;
	root = yaml_document_get_root_node(&c.doc);
	if (!known_keys(&c, root, "a test file", keys))
		goto out;
	tests = member(&c, root, "tests");
	rules = member(&c, root, "rules");
	if (!tests || tests->type != YAML_SEQUENCE_NODE) {
		fail(&c, tests ? tests : root, "tests: a list of tests");
		goto out;
	}
	if (rules && !(policy = load_policy(&c, rules)))
		goto out;
	rc = 0;
	for (it = tests->data.sequence.items.start; it < tests->data.sequence.items.top; it++) {
		r = run_test(&c, node(&c, *it), policy);
		rc = r > rc ? r : rc;
	}
	fprintf(out, "%s: %u sessions compared, %u difference%s\n", path, c.sessions,
		c.differences, c.differences == 1 ? "" : "s");
out:
	policy_free(policy);
	yaml_document_delete(&c.doc);
	return rc;
}
