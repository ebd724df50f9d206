/*
 * web_routes over a real SQLite store opened read-only: blocks per gateway,
 * top failed checks, the timeline and the audit alerts per host, as pages
 * and JSON; stored values escaped in the HTML; bad paths and parameters;
 * the read-only handle refuses writes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_wire.h"
#include "store.h"
#include "web_routes.h"

static char dir[64], uri[96];

/* An EVE alert of gateway events, blocked, at now - ago seconds. */
static void block_line(struct buf *b, double ago, const char *sni, const char *checks)
{
	char ts[64], failed[512] = "";
	time_t t = (time_t)((double)time(NULL) - ago);
	const char *c = checks, *e;
	struct tm tm;
	size_t n = 0;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000+0000", &tm);
	for (; *c; c = *e ? e + 1 : e) {
		e = strchr(c, ',');
		if (!e)
			e = c + strlen(c);
		n += (size_t)snprintf(failed + n, sizeof(failed) - n,
				      "%s{\"rule\":\"p.%.*s\",\"sid\":1,\"check\":\"%.*s\"}",
				      n ? "," : "", (int)(e - c), c, (int)(e - c), c);
	}
	buf_printf(b, "{\"timestamp\":\"%s\",\"flow_id\":1,\"event_type\":\"alert\","
		   "\"src_ip\":\"198.18.1.2\",\"src_port\":40000,\"dest_ip\":\"198.18.2.2\","
		   "\"dest_port\":443,\"proto\":\"TCP\",\"alert\":{\"action\":\"blocked\","
		   "\"signature_id\":1},\"tls\":{\"sni\":\"%s\"},\"secaudit\":{\"policy\":"
		   "{\"zone\":\"z\",\"profile\":\"p\",\"failed\":[%s]}}}", ts, sni, failed);
}

static void store_gw(struct store *s, const char *gw, uint64_t seq, double ago,
		     const char *sni, const char *checks)
{
	struct buf line = { 0 }, body = { 0 };

	block_line(&line, ago, sni, checks);
	aw_put_event(&body, line.data, line.len);
	cr_assert_eq(store_begin(s), 0);
	cr_assert_eq(store_gateway_package(s, gw, 1, seq, 1, &body, (double)time(NULL)), 1,
		     "%s", store_error(s));
	cr_assert_eq(store_commit(s), 0);
	buf_free(&line);
	buf_free(&body);
}

static void store_audit(struct store *s, const char *agent, const char *exe)
{
	char line[512];
	int n = snprintf(line, sizeof(line),
			 "{\"timestamp\":\"2026-12-07T01:00:00.000000+0000\",\"event_type\":\"alert\","
			 "\"alert\":{\"action\":\"allowed\",\"signature_id\":3900001,"
			 "\"signature\":\"shell <b>spawned</b>\",\"severity\":2},\"secaudit\":"
			 "{\"rule\":\"shell-spawn\",\"audit\":{\"agent\":\"%s\",\"pid\":42,"
			 "\"uid\":1000,\"exe\":\"%s\"}}}\n", agent, exe);

	cr_assert_eq(store_begin(s), 0);
	cr_assert_eq(store_alert(s, "/var/log/a.json", line, (size_t)n), 0);
	cr_assert_eq(store_commit(s), 0);
}

static struct store *writer, *reader;

static void setup(void)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/test_web_routes.XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(uri, sizeof(uri), "sqlite:%s/store.db", dir);
	writer = store_open(uri, err, sizeof(err));
	cr_assert(writer, "%s", err);
	store_gw(writer, "CN=gw-a", 1, 10, "old.example.test", "certificate.expired,version");
	store_gw(writer, "CN=gw-a", 2, 20, "weak.example.test", "version");
	store_gw(writer, "CN=gw-<b>", 1, 7200, "<script>x</script>.test", "version");
	/* outside the 24 hours of checks and timeline, still a recent block */
	store_gw(writer, "CN=gw-a", 3, 3 * 86400, "ancient.example.test", "cipher");
	store_audit(writer, "CN=host-1", "/bin/sh");
	store_audit(writer, "CN=host-2", "/usr/bin/<i>x</i>");
	reader = store_open_readonly(uri, err, sizeof(err));
	cr_assert(reader, "%s", err);
}

static void teardown(void)
{
	char cmd[128];

	store_close(reader);
	store_close(writer);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static struct web_response res;

static const char *get(const char *target)
{
	char head[512];
	struct web_request r;
	int n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);

	buf_free(&res.body);
	memset(&res, 0, sizeof(res));
	cr_assert_eq(web_http_parse((const uint8_t *)head, (size_t)n, &r), 1);
	web_route(reader, &r, &res);
	cr_assert(!res.body.oom);
	return buf_cstr(&res.body);
}

TestSuite(web_routes, .init = setup, .fini = teardown);

Test(web_routes, blocks_per_gateway_escaped)
{
	const char *html = get("/blocks");

	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(res.type, "text/html; charset=utf-8");
	/* gw-a has three blocks, newest first; gw-<b> one */
	cr_assert(strstr(html, "<h2>CN=gw-a <small>3 blocked</small></h2>"), "%s", html);
	cr_assert(strstr(html, "<h2>CN=gw-&lt;b&gt; <small>1 blocked</small></h2>"), "%s", html);
	cr_assert(strstr(html, "&lt;script&gt;x&lt;/script&gt;.test"));
	cr_assert_null(strstr(html, "<script>"));
	cr_assert(strstr(html, "old.example.test") < strstr(html, "weak.example.test"));
	cr_assert(strstr(html, "<td>certificate.expired,version</td>"));
	html = get("/blocks?gateway=CN%3Dgw-a&limit=1");
	cr_assert(strstr(html, "old.example.test"));
	cr_assert_null(strstr(html, "weak.example.test"));
	cr_assert_null(strstr(html, "gw-&lt;b&gt;"));
}

Test(web_routes, blocks_json)
{
	const char *js = get("/api/blocks?gateway=CN%3Dgw-a&limit=2");

	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(res.type, "application/json");
	cr_assert(strstr(js, "\"gateway\":\"CN=gw-a\""), "%s", js);
	cr_assert(strstr(js, "\"sni\":\"old.example.test\""));
	cr_assert(strstr(js, "\"checks\":[\"certificate.expired\",\"version\"]"), "%s", js);
	cr_assert(strstr(js, "\"dest_port\":443"));
	cr_assert_null(strstr(js, "ancient"));
}

Test(web_routes, top_checks_in_window)
{
	const char *js = get("/api/checks");

	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(js, "{\"hours\":24,\"checks\":[{\"check\":\"version\",\"blocks\":3},"
			 "{\"check\":\"certificate.expired\",\"blocks\":1}]}\n");
	js = get("/api/checks?hours=100");
	cr_assert(strstr(js, "{\"check\":\"cipher\",\"blocks\":1}"), "%s", js);
	cr_assert(strstr(get("/checks"), "<td>version</td><td class=\"n\">3</td><td><meter"));
}

Test(web_routes, timeline_buckets)
{
	const char *js = get("/api/timeline?hours=4&bucket=3600");
	int64_t total = 0;
	const char *p;

	cr_assert_eq(res.status, 200);
	cr_assert(strstr(js, "\"bucket\":3600"), "%s", js);
	for (p = js; (p = strstr(p, "\"blocks\":")); p += 9)
		total += strtol(p + 9, NULL, 10);
	cr_assert_eq(total, 3, "%s", js);
	get("/timeline?hours=2160&bucket=60");
	cr_assert_eq(res.status, 400);
}

Test(web_routes, overview)
{
	const char *html = get("/");

	cr_assert_eq(res.status, 200);
	cr_assert(strstr(html, "<a href=\"/blocks?gateway=CN%3Dgw-a\">CN=gw-a</a>"), "%s", html);
	cr_assert(strstr(html, "<td>version</td>"));
	cr_assert(strstr(html, "Blocks per hour"));
}

Test(web_routes, audit_per_host)
{
	const char *html = get("/audit"), *js;

	cr_assert_eq(res.status, 200);
	cr_assert(strstr(html, "<h2>CN=host-2</h2>"), "%s", html);
	cr_assert(strstr(html, "<h2>CN=host-2</h2>") < strstr(html, "<h2>CN=host-1</h2>"),
		  "newest host first");
	cr_assert(strstr(html, "shell &lt;b&gt;spawned&lt;/b&gt;"));
	cr_assert(strstr(html, "/usr/bin/&lt;i&gt;x&lt;/i&gt;"));
	js = get("/api/audit?host=CN%3Dhost-1");
	cr_assert(strstr(js, "\"host\":\"CN=host-1\""), "%s", js);
	cr_assert(strstr(js, "\"program\":\"/bin/sh\""));
	cr_assert(strstr(js, "\"signature_id\":3900001"));
	cr_assert_null(strstr(js, "host-2"));
}

Test(web_routes, refusals)
{
	get("/nope");
	cr_assert_eq(res.status, 404);
	get("/blocks?limit=0");
	cr_assert_eq(res.status, 400);
	get("/blocks?limit=1001");
	cr_assert_eq(res.status, 400);
	get("/timeline?bucket=10");
	cr_assert_eq(res.status, 400);
	get("/style.css");
	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(res.type, "text/css; charset=utf-8");
}

Test(web_routes, no_store_is_503)
{
	struct web_request r;
	const char *head = "GET /blocks HTTP/1.0\r\n\r\n";

	buf_free(&res.body);
	memset(&res, 0, sizeof(res));
	cr_assert_eq(web_http_parse((const uint8_t *)head, strlen(head), &r), 1);
	web_route(NULL, &r, &res);
	cr_assert_eq(res.status, 503);
}

Test(web_routes, reader_refuses_writes)
{
	cr_assert(store_begin(reader) < 0 || store_alert(reader, "x", "y\n", 2) < 0 ||
		  store_commit(reader) < 0);
	store_rollback(reader);
}
