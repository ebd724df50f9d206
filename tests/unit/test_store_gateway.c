/* The store's gateway events (SQLite): exactly once, columns, filters, counts;
 * the EVE line reader behind the columns. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_event.h"
#include "store.h"

static const char *lines[] = {
	"{\"timestamp\":\"2026-11-23T08:53:55.332505+0000\",\"flow_id\":66149755,"
	"\"event_type\":\"alert\",\"src_ip\":\"198.18.1.2\",\"src_port\":39488,"
	"\"dest_ip\":\"198.18.2.2\",\"dest_port\":443,\"proto\":\"TCP\","
	"\"alert\":{\"action\":\"blocked\",\"signature_id\":2310007},"
	"\"tls\":{\"sni\":\"old.example.test\"},"
	"\"secaudit\":{\"policy\":{\"zone\":\"default\",\"profile\":\"baseline\","
	"\"failed\":[{\"rule\":\"baseline.certificate.untrusted\",\"sid\":2310006,"
	"\"check\":\"certificate.untrusted\"},{\"rule\":\"baseline.certificate.expired\","
	"\"sid\":2310007,\"check\":\"certificate.expired\"}]}}}",
	"{\"timestamp\":\"2026-11-23T08:53:56.000000+0000\",\"flow_id\":66149755,"
	"\"event_type\":\"tls\",\"src_ip\":\"198.18.1.2\",\"src_port\":39488,"
	"\"dest_ip\":\"198.18.2.2\",\"dest_port\":443,\"proto\":\"TCP\","
	"\"tls\":{\"sni\":\"old.example.test\"}}",
	"{\"timestamp\":\"2026-11-23T09:00:00Z\",\"flow_id\":7,"
	"\"event_type\":\"alert\",\"src_ip\":\"198.18.1.3\",\"src_port\":40000,"
	"\"dest_ip\":\"198.18.2.2\",\"dest_port\":443,\"proto\":\"TCP\","
	"\"alert\":{\"action\":\"blocked\",\"signature_id\":2310001},"
	"\"tls\":{\"sni\":\"weak.example.test\"},"
	"\"secaudit\":{\"policy\":{\"zone\":\"dmz\",\"profile\":\"strict\","
	"\"failed\":[{\"rule\":\"strict.version\",\"sid\":2310001,\"check\":\"version\"},"
	"{\"rule\":\"strict.untrusted\",\"sid\":2310002,\"check\":\"certificate.untrusted\"}]}}}",
	"not json at all",
};

static char dir[64], uri[96];

static struct store *fresh(void)
{
	char err[256];
	struct store *s;

	snprintf(dir, sizeof(dir), "/tmp/test_store_gw.XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(uri, sizeof(uri), "sqlite:%s/store.db", dir);
	s = store_open(uri, err, sizeof(err));
	cr_assert(s, "%s", err);
	return s;
}

static void cleanup(struct store *s)
{
	char path[128];

	store_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	cr_assert_eq(system(path), 0);
}

static void body_of(struct buf *b, size_t from, size_t n)
{
	buf_reset(b);
	for (size_t i = from; i < from + n; i++)
		aw_put_event(b, lines[i], strlen(lines[i]));
}

static int store_pkg(struct store *s, const char *gw, uint64_t seq, size_t from, size_t n)
{
	struct buf b = { 0 };
	int rc;

	body_of(&b, from, n);
	cr_assert_eq(store_begin(s), 0);
	rc = store_gateway_package(s, gw, 77, seq, (uint32_t)n, &b, 1000.5);
	if (rc >= 0)
		cr_assert_eq(store_commit(s), 0, "%s", store_error(s));
	else
		store_rollback(s);
	buf_free(&b);
	return rc;
}

struct rows {
	int n;
	struct store_gw_row first;
	char json[4096], checks[256], rule[128], gateway[64], sni[128];
	char event_type[32], src_ip[64], action[32];
};

static int collect(void *ctx, const struct store_gw_row *r)
{
	struct rows *x = ctx;

	if (x->n++ == 0) {
		x->first = *r;
		snprintf(x->json, sizeof(x->json), "%s", r->json);
		snprintf(x->checks, sizeof(x->checks), "%s", r->checks);
		snprintf(x->rule, sizeof(x->rule), "%s", r->rule);
		snprintf(x->gateway, sizeof(x->gateway), "%s", r->gateway);
		snprintf(x->sni, sizeof(x->sni), "%s", r->sni);
		snprintf(x->event_type, sizeof(x->event_type), "%s", r->event_type);
		snprintf(x->src_ip, sizeof(x->src_ip), "%s", r->src_ip);
		snprintf(x->action, sizeof(x->action), "%s", r->action);
	}
	return 0;
}

static int count_of(struct store *s, const struct store_gw_filter *f)
{
	struct rows x = { 0 };

	cr_assert_eq(store_gw_query(s, f, collect, &x), 0, "%s", store_error(s));
	return x.n;
}

Test(store_gateway, stores_once_with_columns)
{
	struct store *s = fresh();
	struct store_gw_filter f = { 0 };
	struct rows x = { 0 };
	uint64_t seq;

	cr_assert_eq(store_pkg(s, "CN=gw-a", 1, 0, 2), 1);
	cr_assert_eq(store_pkg(s, "CN=gw-a", 1, 0, 2), 0, "a resent package stores nothing");
	cr_assert_eq(store_pkg(s, "CN=gw-b", 1, 2, 2), 1, "another gateway, same seq");
	cr_assert_eq(store_committed(s, "CN=gw-a", 77, &seq), 0);
	cr_assert_eq(seq, 1);
	cr_assert_eq(count_of(s, &f), 4);
	f.gateway = "CN=gw-a";
	cr_assert_eq(store_gw_query(s, &f, collect, &x), 0);
	cr_assert_eq(x.n, 2);
	cr_assert_str_eq(x.gateway, "CN=gw-a");
	cr_assert_str_eq(x.event_type, "alert");
	cr_assert_float_eq(x.first.time, 1795424035.332505, 1e-5);
	cr_assert_str_eq(x.src_ip, "198.18.1.2");
	cr_assert_eq(x.first.src_port, 39488);
	cr_assert_eq(x.first.dest_port, 443);
	cr_assert_eq(x.first.flow_id, 66149755);
	cr_assert_str_eq(x.sni, "old.example.test");
	cr_assert_str_eq(x.action, "blocked");
	cr_assert_str_eq(x.checks, "certificate.untrusted,certificate.expired");
	cr_assert_str_eq(x.rule, "baseline.certificate.expired");
	cr_assert_str_eq(x.json, lines[0]);
	cleanup(s);
}

Test(store_gateway, a_line_that_is_not_json_is_kept)
{
	struct store *s = fresh();
	struct store_gw_filter f = { .gateway = "CN=gw-b", .newest = true, .limit = 1 };
	struct rows x = { 0 };

	cr_assert_eq(store_pkg(s, "CN=gw-b", 1, 3, 1), 1);
	cr_assert_eq(store_gw_query(s, &f, collect, &x), 0);
	cr_assert_eq(x.n, 1);
	cr_assert_str_eq(x.json, "not json at all");
	cr_assert_float_eq(x.first.time, 1000.5, 1e-6, "the time received stands in");
	cr_assert_eq(x.first.src_port, -1);
	cleanup(s);
}

Test(store_gateway, filters)
{
	struct store *s = fresh();
	struct store_gw_filter f = { 0 };

	cr_assert_eq(store_pkg(s, "CN=gw-a", 1, 0, 2), 1);
	cr_assert_eq(store_pkg(s, "CN=gw-b", 1, 2, 1), 1);
	f = (struct store_gw_filter){ .action = "blocked" };
	cr_assert_eq(count_of(s, &f), 2);
	f = (struct store_gw_filter){ .check = "certificate.untrusted" };
	cr_assert_eq(count_of(s, &f), 2);
	f = (struct store_gw_filter){ .check = "certificate" };
	cr_assert_eq(count_of(s, &f), 0, "a check matches whole items only");
	f = (struct store_gw_filter){ .check = "version", .zone = "dmz" };
	cr_assert_eq(count_of(s, &f), 1);
	f = (struct store_gw_filter){ .sni = "old.example.test" };
	cr_assert_eq(count_of(s, &f), 2);
	f = (struct store_gw_filter){ .addr = "198.18.1.3" };
	cr_assert_eq(count_of(s, &f), 1);
	f = (struct store_gw_filter){ .addr = "198.18.2.2", .event_type = "alert" };
	cr_assert_eq(count_of(s, &f), 2);
	f = (struct store_gw_filter){ .since = 1795424036.0 };
	cr_assert_eq(count_of(s, &f), 2);
	f = (struct store_gw_filter){ .since = 1795424035.0, .until = 1795424036.0 };
	cr_assert_eq(count_of(s, &f), 1);
	f = (struct store_gw_filter){ .rule = "strict.version", .profile = "strict" };
	cr_assert_eq(count_of(s, &f), 1);
	cr_assert_eq(store_pkg(s, "O=Example,CN=gw-c", 1, 1, 1), 1);
	f = (struct store_gw_filter){ .gateway = "gw-c" };
	cr_assert_eq(count_of(s, &f), 1, "a gateway by its CN");
	f = (struct store_gw_filter){ .gateway = "O=Example,CN=gw-c" };
	cr_assert_eq(count_of(s, &f), 1, "or by its whole subject");
	f = (struct store_gw_filter){ .gateway = "gw" };
	cr_assert_eq(count_of(s, &f), 0, "not by a part of it");
	cleanup(s);
}

struct counts {
	int n;
	char name[8][64];
	int64_t v[8];
};

static int add_count(void *ctx, const char *name, int64_t n)
{
	struct counts *c = ctx;

	if (c->n < 8) {
		snprintf(c->name[c->n], 64, "%s", name);
		c->v[c->n++] = n;
	}
	return 0;
}

Test(store_gateway, counts_by_column_and_by_check)
{
	struct store *s = fresh();
	struct store_gw_filter f = { .event_type = "alert" };
	struct counts c = { 0 };

	cr_assert_eq(store_pkg(s, "CN=gw-a", 1, 0, 2), 1);
	cr_assert_eq(store_pkg(s, "CN=gw-b", 1, 2, 1), 1);
	cr_assert_eq(store_gw_count(s, &f, "check", add_count, &c), 0);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.name[0], "certificate.untrusted");
	cr_assert_eq(c.v[0], 2);
	cr_assert_str_eq(c.name[1], "certificate.expired");
	cr_assert_str_eq(c.name[2], "version");
	memset(&c, 0, sizeof(c));
	f.event_type = NULL;
	cr_assert_eq(store_gw_count(s, &f, "gateway", add_count, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.name[0], "CN=gw-a");
	cr_assert_eq(c.v[0], 2);
	cr_assert_eq(store_gw_count(s, &f, "json", add_count, &c), -EINVAL);
	cleanup(s);
}

static int add_agent(void *ctx, const char *agent)
{
	snprintf(ctx, 64, "%s", agent);
	return 0;
}

Test(store_gateway, agent_addresses)
{
	struct store *s = fresh();
	struct aw_stats st = { .events_total = 5 };
	char name[64] = "";

	cr_assert_eq(store_begin(s), 0);
	cr_assert_eq(store_agent_address(s, "CN=host-1", "198.18.1.2", 10.0), 0);
	cr_assert_eq(store_agent_stats(s, "CN=host-1", &st, 11.0), 0,
		     "stats keep the address: %s", store_error(s));
	cr_assert_eq(store_commit(s), 0);
	cr_assert_eq(store_agents_at(s, "198.18.1.2", add_agent, name), 0);
	cr_assert_str_eq(name, "CN=host-1");
	name[0] = '\0';
	cr_assert_eq(store_agents_at(s, "198.18.1.9", add_agent, name), 0);
	cr_assert_str_eq(name, "");
	cleanup(s);
}

Test(gw_event, times)
{
	double t;

	cr_assert(gw_event_time("1970-01-01T00:00:10.5+0000", &t));
	cr_assert_float_eq(t, 10.5, 1e-9);
	cr_assert(gw_event_time("1970-01-01T01:00:00+01:00", &t));
	cr_assert_float_eq(t, 0.0, 1e-9);
	cr_assert(gw_event_time("1970-01-01T00:00:00-0100", &t));
	cr_assert_float_eq(t, 3600.0, 1e-9);
	cr_assert_not(gw_event_time("1970-01-01 00:00:00", &t));
	cr_assert_not(gw_event_time("1970-01-01T00:00:00+01", &t));
	cr_assert_not(gw_event_time("1970-01-01T00:00:00Zjunk", &t));
}

Test(gw_event, wrong_types_are_ignored)
{
	struct gw_event ev;
	const char *l = "{\"src_port\":\"80\",\"tls\":[1],\"alert\":{\"action\":5},"
			"\"secaudit\":{\"policy\":{\"failed\":{\"check\":\"x\"}}}}";

	cr_assert(gw_event_parse(l, strlen(l), &ev));
	cr_assert_eq(ev.src_port, -1);
	cr_assert_str_eq(ev.sni, "");
	cr_assert_str_eq(ev.action, "");
	cr_assert_str_eq(ev.checks, "");
	cr_assert_not(gw_event_parse("[1,2]", 5, &ev));
	cr_assert_not(gw_event_parse("{\"a\":", 5, &ev));
}

static bool parse(const char *l, struct gw_event *ev)
{
	return gw_event_parse(l, strlen(l), ev);
}

Test(gw_event, the_alerts_rule_whichever_comes_first)
{
	struct gw_event ev;
	const char *failed = "\"secaudit\":{\"policy\":{\"profile\":\"p\",\"zone\":\"z\","
			     "\"failed\":[{\"check\":\"a\",\"sid\":7,\"rule\":\"r7\"},"
			     "{\"rule\":\"r9\",\"sid\":9,\"check\":\"b\"},{\"check\":\"c\"}]}}";
	char l[512];

	snprintf(l, sizeof(l), "{\"alert\":{\"signature_id\":9},%s}", failed);
	cr_assert(parse(l, &ev));
	cr_assert_str_eq(ev.rule, "r9");
	cr_assert_str_eq(ev.checks, "a,b,c");
	cr_assert_str_eq(ev.profile, "p");
	cr_assert_str_eq(ev.zone, "z");
	/* the policy before the alert: the rule is found all the same */
	snprintf(l, sizeof(l), "{%s,\"alert\":{\"signature_id\":7}}", failed);
	cr_assert(parse(l, &ev));
	cr_assert_str_eq(ev.rule, "r7");
	/* no entry has the sid: the sid itself */
	snprintf(l, sizeof(l), "{%s,\"alert\":{\"signature_id\":8}}", failed);
	cr_assert(parse(l, &ev));
	cr_assert_str_eq(ev.rule, "8");
}

Test(gw_event, values_only_where_the_eve_format_puts_them)
{
	struct gw_event ev;

	/* "sni" at the top and "action" under tls are other keys */
	cr_assert(parse("{\"sni\":\"x\",\"tls\":{\"action\":\"a\",\"sni\":\"a\\\"b\\u00e9\"},"
			"\"flow_id\":1e3,\"dest_port\":99999999999999999999}", &ev));
	cr_assert_str_eq(ev.sni, "a\"b\xc3\xa9");
	cr_assert_str_eq(ev.action, "");
	cr_assert_eq(ev.flow_id, -1, "a number with an exponent is not an integer");
	cr_assert_eq(ev.dest_port, INT64_MAX);
	/* a check longer than the column is left out, never cut */
	{
		char l[3000];
		char big[2000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		snprintf(l, sizeof(l), "{\"secaudit\":{\"policy\":{\"failed\":[{\"check\":\"%s\"},"
			 "{\"check\":\"ok\"}]}}}", big);
		cr_assert(parse(l, &ev));
		cr_assert_str_eq(ev.checks, "ok");
	}
}

Test(gw_event, not_an_object_or_too_deep_is_refused)
{
	struct gw_event ev;
	char deep[200] = "{\"a\":";
	int i;

	cr_assert_not(parse("1", &ev));
	cr_assert_not(parse("\"s\"", &ev));
	cr_assert_not(parse("{} {}", &ev));
	cr_assert_not(parse("{\"flow_id\":1", &ev));
	cr_assert_eq(ev.flow_id, -1, "a refused line leaves no value behind");
	for (i = 0; i < 40; i++)
		strcat(deep, "[");
	for (i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	cr_assert_not(parse(deep, &ev));
	cr_assert(parse("{\"a\":[[[[{\"b\":[]}]]]],\"event_type\":\"tls\"}", &ev));
	cr_assert_str_eq(ev.event_type, "tls");
}
