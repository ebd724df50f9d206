/* web_routes: the web view's pages and JSON; contract in web_routes.h. */
#include "web_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "web_html.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 1000
#define HOURS_DEFAULT 24
#define HOURS_MAX (24 * 90)
#define BUCKETS_MAX 1000

struct page {
	struct store *s;
	const struct web_request *r;
	struct web_response *out;
	long limit;
	const char *host;	/* "" when any */
	const char *gateway;	/* "" when any */
	long hours;		/* the window of checks and timeline, ending now */
	long bucket;		/* the timeline's step, seconds */
	double now;
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

/* ---- gateway events: blocks, checks, timeline ---- */

/* The blocks (alerts whose action was blocked) of p->gateway, or all. */
static struct store_gw_filter blocks_filter(const struct page *p)
{
	struct store_gw_filter f = { 0 };

	f.event_type = "alert";
	f.action = "blocked";
	f.gateway = p->gateway;
	return f;
}

/* Names and counts from store_gw_count, kept for a second pass. */
struct counted {
	char **name;
	int64_t *n;
	size_t len, cap;
	bool oom;
};

static int take_count(void *ctx, const char *name, int64_t n)
{
	struct counted *c = ctx;

	if (c->len == c->cap)
		return 1;
	c->name[c->len] = strdup(name);
	c->n[c->len] = n;
	if (!c->name[c->len])
		return c->oom = true, 1;
	c->len++;
	return 0;
}

static void counted_free(struct counted *c)
{
	for (size_t i = 0; i < c->len; i++)
		free(c->name[i]);
	free(c->name);
	free(c->n);
}

/* At most cap groups of f by column by; -1 on failure (store or memory). */
static int count_by(struct page *p, const struct store_gw_filter *f, const char *by,
		    size_t cap, struct counted *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->name = calloc(cap, sizeof(*c->name));
	c->n = calloc(cap, sizeof(*c->n));
	if (!c->name || !c->n)
		return -1;
	rc = store_gw_count(p->s, f, by, take_count, c);
	return rc < 0 || c->oom ? -1 : 0;
}

struct rows_out {
	struct buf *b;
	struct json *j;		/* NULL: HTML rows */
};

/* One block: an HTML table row or a JSON object. */
static int put_block(void *ctx, const struct store_gw_row *r)
{
	struct rows_out *o = ctx;
	char t[24], port[16];
	const char *c, *e;

	if (o->j) {
		json_object_begin(o->j);
		json_kv_str(o->j, "gateway", r->gateway);
		json_key(o->j, "time");
		json_raw(o->j, t, (size_t)snprintf(t, sizeof(t), "%.6f", r->time));
		json_kv_str(o->j, "src_ip", r->src_ip);
		json_num_or_null(o->j, "src_port", r->src_port);
		json_kv_str(o->j, "dest_ip", r->dest_ip);
		json_num_or_null(o->j, "dest_port", r->dest_port);
		json_kv_str(o->j, "proto", r->proto);
		json_kv_str(o->j, "sni", r->sni);
		json_kv_str(o->j, "action", r->action);
		json_key(o->j, "checks");
		json_array_begin(o->j);
		for (c = r->checks; *c; c = *e ? e + 1 : e) {
			e = strchr(c, ',');
			if (!e)
				e = c + strlen(c);
			json_string_n(o->j, c, (size_t)(e - c));
		}
		json_array_end(o->j);
		json_kv_str(o->j, "rule", r->rule);
		json_kv_str(o->j, "profile", r->profile);
		json_kv_str(o->j, "zone", r->zone);
		json_object_end(o->j);
		return 0;
	}
	web_html_time(r->time, t);
	buf_puts(o->b, "<tr>");
	web_html_td(o->b, t);
	web_html_td(o->b, r->src_ip);
	web_html_td(o->b, r->dest_ip);
	snprintf(port, sizeof(port), "%lld", (long long)r->dest_port);
	web_html_td(o->b, r->dest_port >= 0 ? port : "");
	web_html_td(o->b, r->sni);
	web_html_td(o->b, r->checks);
	web_html_td(o->b, r->rule);
	web_html_td(o->b, r->zone);
	buf_puts(o->b, "</tr>\n");
	return 0;
}

/* The newest p->limit blocks of each gateway (of p->gateway alone when
 * given), gateways by their number of blocks. */
static int blocks_each(struct page *p, struct rows_out *o, bool html)
{
	static const char *const heads[] = { "time", "client", "server", "port", "SNI",
					     "failed checks", "rule", "zone" };
	struct store_gw_filter f = blocks_filter(p);
	struct counted gws;
	size_t i;
	int rc = 0;

	if (count_by(p, &f, "gateway", LIMIT_MAX, &gws) < 0) {
		counted_free(&gws);
		return -1;
	}
	if (html && !gws.len)
		buf_puts(o->b, "<p class=\"empty\">No blocked session stored.</p>\n");
	for (i = 0; rc == 0 && i < gws.len; i++) {
		f.gateway = gws.name[i];
		f.newest = true;
		f.limit = p->limit;
		if (html) {
			buf_puts(o->b, "<h2>");
			web_html_text(o->b, gws.name[i][0] ? gws.name[i] : "(unknown gateway)");
			buf_printf(o->b, " <small>%lld blocked</small></h2>\n", (long long)gws.n[i]);
			web_html_table(o->b, heads, 8);
		}
		rc = store_gw_query(p->s, &f, put_block, o);
		if (html)
			buf_puts(o->b, "</table>\n");
	}
	counted_free(&gws);
	return rc < 0 ? -1 : 0;
}

static void blocks_page(struct page *p)
{
	struct rows_out o = { &p->out->body, NULL };

	web_html_begin(o.b, "Recent blocks per gateway");
	if (blocks_each(p, &o, true) < 0)
		store_failed(p);
	else
		web_html_end(o.b);
}

static void blocks_api(struct page *p)
{
	struct json j;
	struct rows_out o = { &p->out->body, &j };

	json_init(&j, o.b);
	json_object_begin(&j);
	json_key(&j, "blocks");
	json_array_begin(&j);
	if (blocks_each(p, &o, false) < 0) {
		store_failed(p);
		return;
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_putc(o.b, '\n');
}

/* The failed checks of the window's blocks, most frequent first. */
static int top_checks(struct page *p, struct counted *c)
{
	struct store_gw_filter f = blocks_filter(p);

	f.since = p->now - (double)p->hours * 3600;
	return count_by(p, &f, "check", (size_t)p->limit, c);
}

static void checks_html(struct page *p, const struct counted *c)
{
	static const char *const heads[] = { "check", "blocks", "" };
	struct buf *b = &p->out->body;
	size_t i;

	if (!c->len) {
		buf_puts(b, "<p class=\"empty\">No failed check in this window.</p>\n");
		return;
	}
	web_html_table(b, heads, 3);
	for (i = 0; i < c->len; i++) {
		buf_puts(b, "<tr>");
		web_html_td(b, c->name[i][0] ? c->name[i] : "(none named)");
		web_html_td_num(b, c->n[i]);
		web_html_td_bar(b, c->n[i], c->n[0]);
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</table>\n");
}

static void window_note(struct page *p)
{
	buf_printf(&p->out->body, "<p>The last %ld hours", p->hours);
	if (*p->gateway) {
		buf_puts(&p->out->body, ", gateway ");
		web_html_text(&p->out->body, p->gateway);
	}
	buf_puts(&p->out->body, ".</p>\n");
}

static void checks_page(struct page *p)
{
	struct counted c;

	if (top_checks(p, &c) < 0) {
		counted_free(&c);
		store_failed(p);
		return;
	}
	web_html_begin(&p->out->body, "Top failed checks");
	window_note(p);
	checks_html(p, &c);
	web_html_end(&p->out->body);
	counted_free(&c);
}

static void checks_api(struct page *p)
{
	struct counted c;
	struct json j;
	size_t i;

	if (top_checks(p, &c) < 0) {
		counted_free(&c);
		store_failed(p);
		return;
	}
	json_init(&j, &p->out->body);
	json_object_begin(&j);
	json_kv_int(&j, "hours", p->hours);
	json_key(&j, "checks");
	json_array_begin(&j);
	for (i = 0; i < c.len; i++) {
		json_object_begin(&j);
		json_kv_str(&j, "check", c.name[i]);
		json_kv_int(&j, "blocks", c.n[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_putc(&p->out->body, '\n');
	counted_free(&c);
}

struct timeline {
	double start;
	long bucket;
	size_t n;
	int64_t *count;
};

static int take_time(void *ctx, const struct store_gw_row *r)
{
	struct timeline *t = ctx;
	double at = (r->time - t->start) / (double)t->bucket;

	if (at >= 0 && at < (double)t->n)
		t->count[(size_t)at]++;
	return 0;
}

/* Blocks per bucket over the window, its buckets aligned to the step. */
static int timeline_load(struct page *p, struct timeline *t)
{
	struct store_gw_filter f = blocks_filter(p);
	double end = p->now;

	memset(t, 0, sizeof(t[0]));
	t->bucket = p->bucket;
	end = ((double)(long long)(end / (double)t->bucket) + 1) * (double)t->bucket;
	t->n = (size_t)((p->hours * 3600 + t->bucket - 1) / t->bucket);
	if (t->n > BUCKETS_MAX)
		return -2;
	t->start = end - (double)t->n * (double)t->bucket;
	t->count = calloc(t->n, sizeof(*t->count));
	if (!t->count)
		return -1;
	f.since = t->start;
	return store_gw_query(p->s, &f, take_time, t) < 0 ? -1 : 0;
}

static void timeline_html(struct page *p, const struct timeline *t)
{
	static const char *const heads[] = { "from (UTC)", "blocks", "" };
	struct buf *b = &p->out->body;
	int64_t max = 0;
	char tm[24];
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->count[i] > max)
			max = t->count[i];
	web_html_table(b, heads, 3);
	for (i = 0; i < t->n; i++) {
		web_html_time(t->start + (double)i * (double)t->bucket, tm);
		buf_puts(b, "<tr>");
		web_html_td(b, tm);
		web_html_td_num(b, t->count[i]);
		web_html_td_bar(b, t->count[i], max);
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</table>\n");
}

static bool timeline_or_fail(struct page *p, struct timeline *t)
{
	int rc = timeline_load(p, t);

	if (rc == -2)
		error_page(p->out, 400, "Bad Request",
			   "hours/bucket gives more than 1000 buckets: take a larger bucket.");
	else if (rc < 0)
		store_failed(p);
	return rc == 0;
}

static void timeline_page(struct page *p)
{
	struct timeline t;

	if (timeline_or_fail(p, &t)) {
		web_html_begin(&p->out->body, "Blocks over time");
		window_note(p);
		timeline_html(p, &t);
		web_html_end(&p->out->body);
	}
	free(t.count);
}

static void timeline_api(struct page *p)
{
	struct timeline t;
	struct json j;
	size_t i;

	if (timeline_or_fail(p, &t)) {
		json_init(&j, &p->out->body);
		json_object_begin(&j);
		json_kv_int(&j, "bucket", t.bucket);
		json_key(&j, "buckets");
		json_array_begin(&j);
		for (i = 0; i < t.n; i++) {
			json_object_begin(&j);
			json_kv_int(&j, "time", (int64_t)t.start + (int64_t)i * t.bucket);
			json_kv_int(&j, "blocks", t.count[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		buf_putc(&p->out->body, '\n');
	}
	free(t.count);
}

/* ---- the rest ---- */

static int take_last_time(void *ctx, const struct store_gw_row *r)
{
	web_html_time(r->time, ctx);
	return 1;
}

static void overview_page(struct page *p)
{
	static const char *const gheads[] = { "gateway", "blocks", "last block" };
	struct store_gw_filter f = blocks_filter(p);
	struct buf *b = &p->out->body;
	struct counted gws = { 0 }, checks = { 0 };
	struct timeline t = { 0 };
	char tm[24];
	size_t i;

	p->limit = 10;
	p->bucket = 3600;
	if (count_by(p, &f, "gateway", LIMIT_MAX, &gws) < 0 || top_checks(p, &checks) < 0 ||
	    timeline_load(p, &t) < 0) {
		store_failed(p);
		goto out;
	}
	web_html_begin(b, "Overview");
	buf_puts(b, "<h2><a href=\"/blocks\">Blocks per gateway</a></h2>\n");
	if (!gws.len)
		buf_puts(b, "<p class=\"empty\">No blocked session stored.</p>\n");
	else
		web_html_table(b, gheads, 3);
	for (i = 0; i < gws.len; i++) {
		struct store_gw_filter last = f;

		last.gateway = gws.name[i];
		last.newest = true;
		last.limit = 1;
		tm[0] = '\0';
		store_gw_query(p->s, &last, take_last_time, tm);
		buf_puts(b, "<tr><td><a href=\"/blocks?gateway=");
		web_html_url_value(b, gws.name[i]);
		buf_puts(b, "\">");
		web_html_text(b, gws.name[i][0] ? gws.name[i] : "(unknown gateway)");
		buf_puts(b, "</a></td>");
		web_html_td_num(b, gws.n[i]);
		web_html_td(b, tm);
		buf_puts(b, "</tr>\n");
	}
	if (gws.len)
		buf_puts(b, "</table>\n");
	buf_printf(b, "<h2><a href=\"/checks\">Top failed checks</a>, last %ld hours</h2>\n",
		   p->hours);
	checks_html(p, &checks);
	buf_printf(b, "<h2><a href=\"/timeline\">Blocks per hour</a>, last %ld hours</h2>\n",
		   p->hours);
	timeline_html(p, &t);
	buf_puts(b, "<h2><a href=\"/audit\">Audit alerts per host</a></h2>\n"
		 "<p>JSON for scripts: <a href=\"/api/blocks\">/api/blocks</a>,"
		 " <a href=\"/api/checks\">/api/checks</a>,"
		 " <a href=\"/api/timeline\">/api/timeline</a>,"
		 " <a href=\"/api/audit\">/api/audit</a>.</p>\n");
	web_html_end(b);
out:
	counted_free(&gws);
	counted_free(&checks);
	free(t.count);
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
	{ "/blocks", blocks_page, false },
	{ "/api/blocks", blocks_api, true },
	{ "/checks", checks_page, false },
	{ "/api/checks", checks_api, true },
	{ "/timeline", timeline_page, false },
	{ "/api/timeline", timeline_api, true },
	{ "/audit", audit_page, false },
	{ "/api/audit", audit_api, true },
	{ "/style.css", css, false },
};

/* A number in 1..max; false otherwise. */
static bool parse_num(const char *v, long max, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < 1 || n > max)
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
	if ((v = web_http_param(r, "limit")) && !parse_num(v, LIMIT_MAX, &p.limit)) {
		error_page(out, 400, "Bad Request", "limit must be a number from 1 to 1000.");
		return;
	}
	p.host = (v = web_http_param(r, "host")) ? v : "";
	p.gateway = (v = web_http_param(r, "gateway")) ? v : "";
	p.hours = HOURS_DEFAULT;
	p.bucket = 3600;
	if (((v = web_http_param(r, "hours")) && !parse_num(v, HOURS_MAX, &p.hours)) ||
	    ((v = web_http_param(r, "bucket")) && !parse_num(v, 86400, &p.bucket)) ||
	    p.bucket < 60) {
		error_page(out, 400, "Bad Request", "hours must be 1 to 2160, bucket 60 to 86400 seconds.");
		return;
	}
	p.now = (double)time(NULL);
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
