/* web_routes: the web view's pages and JSON; contract in web_routes.h. */
#include "web_routes.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "web_html.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 1000

struct page {
	struct store *s;
	const struct web_request *r;
	struct web_response *out;
	long limit;
	const char *host;	/* "" when any */
};

static void status(struct web_response *out, int code, const char *reason)
{
	out->status = code;
	out->reason = reason;
}

/* A page saying what went wrong, for every status but 200. */
static void error_page(struct web_response *out, int code, const char *reason,
		       const char *detail)
{
	status(out, code, reason);
	out->type = "text/html; charset=utf-8";
	buf_reset(&out->body);
	web_html_begin(&out->body, reason);
	buf_puts(&out->body, "<p>");
	web_html_text(&out->body, detail);
	buf_puts(&out->body, "</p>");
	web_html_end(&out->body);
}

static void store_failed(struct page *p)
{
	error_page(p->out, 503, "Service Unavailable", store_error(p->s));
}

/* ---- audit alerts ---- */

struct alert_item {
	char *agent, *timestamp, *signature, *rule, *exe;
	int64_t id, sid, severity, pid, uid;
};

struct alert_list {
	struct alert_item *v;
	size_t n, cap;
	const char *host;
	bool oom;
};

static int take_alert(void *ctx, const struct store_audit_alert *a)
{
	struct alert_list *l = ctx;
	struct alert_item *it;

	if (*l->host && strcmp(a->agent, l->host))
		return 0;
	if (l->n == l->cap)
		return 1;
	it = &l->v[l->n];
	it->agent = strdup(a->agent);
	it->timestamp = strdup(a->timestamp);
	it->signature = strdup(a->signature);
	it->rule = strdup(a->rule);
	it->exe = strdup(a->exe[0] ? a->exe : a->comm);
	it->id = a->id;
	it->sid = a->sid;
	it->severity = a->severity;
	it->pid = a->pid;
	it->uid = a->uid;
	l->n++;
	if (!it->agent || !it->timestamp || !it->signature || !it->rule || !it->exe)
		l->oom = true;
	return l->oom;
}

static void alerts_free(struct alert_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].agent);
		free(l->v[i].timestamp);
		free(l->v[i].signature);
		free(l->v[i].rule);
		free(l->v[i].exe);
	}
	free(l->v);
}

/* The newest p->limit alerts (of p->host when given); -errno. */
static int load_alerts(struct page *p, struct alert_list *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->host = p->host;
	l->cap = (size_t)p->limit;
	l->v = calloc(l->cap, sizeof(*l->v));
	if (!l->v)
		return -1;
	/* a host filter reads further back, bounded all the same; fn's 1
	 * (full) stops the reading early */
	rc = store_audit_alerts(p->s, *p->host ? LIMIT_MAX * 10 : p->limit, take_alert, l);
	return l->oom ? -1 : rc < 0 ? rc : 0;
}

static void audit_page(struct page *p)
{
	static const char *const heads[] = { "time", "rule", "signature", "severity",
					     "program", "pid", "uid" };
	struct buf *b = &p->out->body;
	struct alert_list l;
	size_t i, j;

	if (load_alerts(p, &l) < 0) {
		alerts_free(&l);
		store_failed(p);
		return;
	}
	web_html_begin(b, "Recent audit alerts per host");
	if (!l.n)
		buf_puts(b, "<p class=\"empty\">No audit alerts stored.</p>");
	/* hosts in the order of their newest alert; each host's rows once */
	for (i = 0; i < l.n; i++) {
		for (j = 0; j < i && strcmp(l.v[j].agent, l.v[i].agent); j++)
			;
		if (j < i)
			continue;
		buf_puts(b, "<h2>");
		web_html_text(b, l.v[i].agent[0] ? l.v[i].agent : "(unknown host)");
		buf_puts(b, "</h2>\n");
		web_html_table(b, heads, 7);
		for (j = i; j < l.n; j++) {
			const struct alert_item *a = &l.v[j];

			if (strcmp(a->agent, l.v[i].agent))
				continue;
			buf_puts(b, "<tr>");
			web_html_td(b, a->timestamp);
			web_html_td(b, a->rule);
			web_html_td(b, a->signature);
			web_html_td_num(b, a->severity);
			web_html_td(b, a->exe);
			web_html_td_num(b, a->pid);
			web_html_td_num(b, a->uid);
			buf_puts(b, "</tr>\n");
		}
		buf_puts(b, "</table>\n");
	}
	web_html_end(b);
	alerts_free(&l);
}

static void json_num_or_null(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	if (v >= 0)
		json_int(j, v);
	else
		json_null(j);
}

static void audit_api(struct page *p)
{
	struct alert_list l;
	struct json j;
	size_t i;

	if (load_alerts(p, &l) < 0) {
		alerts_free(&l);
		store_failed(p);
		return;
	}
	json_init(&j, &p->out->body);
	json_object_begin(&j);
	json_key(&j, "alerts");
	json_array_begin(&j);
	for (i = 0; i < l.n; i++) {
		const struct alert_item *a = &l.v[i];

		json_object_begin(&j);
		json_kv_int(&j, "id", a->id);
		json_kv_str(&j, "timestamp", a->timestamp);
		json_kv_str(&j, "host", a->agent);
		json_num_or_null(&j, "signature_id", a->sid);
		json_kv_str(&j, "signature", a->signature);
		json_kv_str(&j, "rule", a->rule);
		json_num_or_null(&j, "severity", a->severity);
		json_kv_str(&j, "program", a->exe);
		json_num_or_null(&j, "pid", a->pid);
		json_num_or_null(&j, "uid", a->uid);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_putc(&p->out->body, '\n');
	alerts_free(&l);
}

/* ---- the rest ---- */

static void overview_page(struct page *p)
{
	struct buf *b = &p->out->body;

	web_html_begin(b, "Overview");
	buf_puts(b, "<ul><li><a href=\"/audit\">recent audit alerts per host</a>"
		 " (<a href=\"/api/audit\">JSON</a>)</li></ul>\n");
	web_html_end(b);
}

static void css(struct page *p)
{
	p->out->type = "text/css; charset=utf-8";
	buf_puts(&p->out->body, web_html_css());
}

static const struct route {
	const char *path;
	void (*fn)(struct page *p);
	bool json;
} routes[] = {
	{ "/", overview_page, false },
	{ "/audit", audit_page, false },
	{ "/api/audit", audit_api, true },
	{ "/style.css", css, false },
};

/* limit: a number in 1..LIMIT_MAX; false otherwise. */
static bool parse_limit(const char *v, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < 1 || n > LIMIT_MAX)
		return false;
	*out = n;
	return true;
}

void web_route(struct store *s, const struct web_request *r, struct web_response *out)
{
	struct page p = { .s = s, .r = r, .out = out, .limit = LIMIT_DEFAULT };
	const struct route *rt = NULL;
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcmp(routes[i].path, r->path))
			rt = &routes[i];
	if (!rt) {
		error_page(out, 404, "Not Found", "There is no such page here.");
		return;
	}
	if ((v = web_http_param(r, "limit")) && !parse_limit(v, &p.limit)) {
		error_page(out, 400, "Bad Request", "limit must be a number from 1 to 1000.");
		return;
	}
	p.host = (v = web_http_param(r, "host")) ? v : "";
	status(out, 200, "OK");
	out->type = rt->json ? "application/json" : "text/html; charset=utf-8";
	if (!s && rt->fn != css) {
		error_page(out, 503, "Service Unavailable", "The store cannot be read now.");
		return;
	}
	rt->fn(&p);
	if (out->body.oom)
		error_page(out, 500, "Internal Server Error", "Out of memory.");
}
