/*
 * store: picks the backend by URI and forwards to its table
 * (store_backend.h); contract in store.h. No backend is special here.
 */
#include "store.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_backend.h"

struct store {
	const struct store_backend *be;
	struct store_be *b;
};

static const struct {
	const char *prefix;
	const struct store_backend *(*backend)(void);
} schemes[] = {
	{ "sqlite:", store_sqlite_backend },
	{ "postgresql://", store_pg_backend },
	{ "postgres://", store_pg_backend },
};

static struct store *open_as(const char *uri, bool readonly, char *err, size_t errsz)
{
	struct store *s;
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(uri, schemes[i].prefix, strlen(schemes[i].prefix)))
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		snprintf(err, errsz, "%s: store must be sqlite:PATH or postgresql://...", uri);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->be = schemes[i].backend();
	s->b = s->be->open(uri, readonly, err, errsz);
	if (!s->b) {
		free(s);
		return NULL;
	}
	return s;
}

struct store *store_open(const char *uri, char *err, size_t errsz)
{
	return open_as(uri, false, err, errsz);
}

struct store *store_open_readonly(const char *uri, char *err, size_t errsz)
{
	return open_as(uri, true, err, errsz);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->be->close(s->b);
	free(s);
}

const char *store_error(struct store *s)
{
	return s->be->error(s->b);
}

int store_begin(struct store *s)
{
	return s->be->begin(s->b);
}

int store_package(struct store *s, const char *agent, uint64_t stream,
		  uint64_t seq, uint32_t n_events, const struct buf *body,
		  double received)
{
	return s->be->package(s->b, agent, stream, seq, n_events, body, received, false);
}

int store_commit(struct store *s)
{
	return s->be->commit(s->b);
}

void store_rollback(struct store *s)
{
	s->be->rollback(s->b);
}

int store_committed(struct store *s, const char *agent, uint64_t stream,
		    uint64_t *seq)
{
	return s->be->committed(s->b, agent, stream, seq);
}

int store_agent_stats(struct store *s, const char *agent,
		      const struct aw_stats *st, double now)
{
	return s->be->agent_stats(s->b, agent, st, now);
}

int store_query(struct store *s, const struct store_filter *f,
		store_row_fn fn, void *ctx)
{
	return s->be->query(s->b, f, fn, ctx);
}

int store_count(struct store *s, const struct store_filter *f, const char *by,
		int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	return s->be->count(s->b, f, by, fn, ctx);
}

int store_alert(struct store *s, const char *log, const char *line, size_t len)
{
	return s->be->alert(s->b, log, line, len);
}

int store_alerts_after(struct store *s, const char *log, int64_t after,
		       store_alert_fn fn, void *ctx)
{
	return s->be->alerts_after(s->b, log, after, fn, ctx);
}

int store_log_pos(struct store *s, const char *log, struct store_log_pos *pos)
{
	return s->be->log_pos(s->b, log, pos);
}

int store_set_log_pos(struct store *s, const char *log, const struct store_log_pos *pos)
{
	return s->be->set_log_pos(s->b, log, pos);
}

int store_gateway_package(struct store *s, const char *gateway, uint64_t stream,
			  uint64_t seq, uint32_t n_events, const struct buf *body,
			  double received)
{
	return s->be->package(s->b, gateway, stream, seq, n_events, body, received, true);
}

#define COL(row, field, kind) { #field, STORE_COL_##kind, offsetof(struct row, field) }

static const struct store_col event_cols[] = {
	COL(store_row, agent, TEXT), COL(store_row, stream, INT), COL(store_row, seq, INT),
	COL(store_row, time, REAL), COL(store_row, serial, INT), COL(store_row, type, TEXT),
	COL(store_row, records, TEXT), COL(store_row, syscall_name, TEXT),
	COL(store_row, syscall, INT), COL(store_row, arch, INT), COL(store_row, success, INT),
	COL(store_row, exit, INT), COL(store_row, pid, INT), COL(store_row, ppid, INT),
	COL(store_row, uid, INT), COL(store_row, auid, INT), COL(store_row, euid, INT),
	COL(store_row, gid, INT), COL(store_row, ses, INT), COL(store_row, tty, TEXT),
	COL(store_row, comm, TEXT), COL(store_row, exe, TEXT), COL(store_row, cwd, TEXT),
	COL(store_row, key, TEXT),
	/* the columns' names differ from the fields' */
	{ "args", STORE_COL_TEXT, offsetof(struct store_row, args_json) },
	{ "paths", STORE_COL_TEXT, offsetof(struct store_row, paths_json) },
	COL(store_row, raw, TEXT),
};

static const struct store_col gw_cols[] = {
	COL(store_gw_row, gateway, TEXT), COL(store_gw_row, stream, INT),
	COL(store_gw_row, seq, INT), COL(store_gw_row, idx, INT),
	COL(store_gw_row, time, REAL), COL(store_gw_row, event_type, TEXT),
	COL(store_gw_row, src_ip, TEXT), COL(store_gw_row, src_port, INT),
	COL(store_gw_row, dest_ip, TEXT), COL(store_gw_row, dest_port, INT),
	COL(store_gw_row, proto, TEXT), COL(store_gw_row, flow_id, INT),
	COL(store_gw_row, sni, TEXT), COL(store_gw_row, action, TEXT),
	COL(store_gw_row, checks, TEXT), COL(store_gw_row, rule, TEXT),
	COL(store_gw_row, profile, TEXT), COL(store_gw_row, zone, TEXT),
	COL(store_gw_row, json, TEXT),
};

const struct store_cols store_event_cols = {
	event_cols, sizeof(event_cols) / sizeof(event_cols[0]), "events"
};
const struct store_cols store_gw_cols = {
	gw_cols, sizeof(gw_cols) / sizeof(gw_cols[0]), "gateway_events"
};

void store_cols_select(struct buf *sql, const struct store_cols *c)
{
	size_t i;

	buf_puts(sql, "SELECT ");
	for (i = 0; i < c->n; i++)
		buf_printf(sql, "%s%s", i ? ", " : "", c->v[i].name);
	buf_printf(sql, " FROM %s", c->table);
}

int store_gw_where(struct buf *sql, const struct store_gw_filter *f, bool dollar,
		   const char *params[STORE_GW_MAX_PARAMS], char num[2][32])
{
	const char *sep = " WHERE ";
	int n = 0;

	/* text is the condition with '?' where its one parameter goes (as
	 * often as it needs): numbered, ?N for SQLite and $N for PostgreSQL */
#define COND(test, text, value) \
	do { if (test) { const char *t_ = (text); params[n++] = (value); \
		buf_puts(sql, sep); sep = " AND "; \
		for (; *t_; t_++) { if (*t_ != '?') buf_putc(sql, *t_); \
			else buf_printf(sql, "%c%d", dollar ? '$' : '?', n); } \
	} } while (0)
	/* the whole identity, or one of its RDNs is CN=that */
	COND(f->gateway && *f->gateway, "(gateway = ? OR "
	     "(',' || gateway || ',') LIKE ('%,CN=' || ? || ',%'))", f->gateway);
	COND(f->event_type && *f->event_type, "event_type = ?", f->event_type);
	COND(f->sni && *f->sni, "sni = ?", f->sni);
	COND(f->action && *f->action, "action = ?", f->action);
	COND(f->zone && *f->zone, "zone = ?", f->zone);
	COND(f->profile && *f->profile, "profile = ?", f->profile);
	COND(f->rule && *f->rule, "rule = ?", f->rule);
	COND(f->check && *f->check, "(',' || checks || ',') LIKE ('%,' || ? || ',%')", f->check);
	COND(f->addr && *f->addr, "(src_ip = ? OR dest_ip = ?)", f->addr);
	if (f->since > 0)
		snprintf(num[0], 32, "%.6f", f->since);
	COND(f->since > 0, "time >= ?", num[0]);
	if (f->until > 0)
		snprintf(num[1], 32, "%.6f", f->until);
	COND(f->until > 0, "time < ?", num[1]);
#undef COND
	return n;
}

int store_gw_query(struct store *s, const struct store_gw_filter *f,
		   store_gw_fn fn, void *ctx)
{
	return s->be->gw_query(s->b, f, fn, ctx);
}

/* "check" counts the items of checks: the backend groups by the whole
 * list, and the lists are split and summed here. */
struct check_n {
	char *name;
	int64_t n;
};

struct check_sum {
	struct check_n *v;
	size_t len, cap;
	bool oom;
};

static int sum_checks(void *ctx, const char *list, int64_t n)
{
	struct check_sum *cs = ctx;
	const char *p = list, *e;
	size_t i, l;

	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		l = (size_t)(e - p);
		for (i = 0; i < cs->len; i++)
			if (strlen(cs->v[i].name) == l && !strncmp(cs->v[i].name, p, l))
				break;
		if (i == cs->len) {
			if (cs->len == cs->cap) {
				size_t cap = cs->cap ? cs->cap * 2 : 16;
				void *nv = realloc(cs->v, cap * sizeof(*cs->v));

				if (!nv)
					return cs->oom = true, 1;
				cs->v = nv;
				cs->cap = cap;
			}
			cs->v[i].name = strndup(p, l);
			if (!cs->v[i].name)
				return cs->oom = true, 1;
			cs->v[i].n = 0;
			cs->len++;
		}
		cs->v[i].n += n;
	}
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct check_n *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

int store_gw_count(struct store *s, const struct store_gw_filter *f, const char *by,
		   int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	static const char *const cols[] = {
		"gateway", "event_type", "sni", "action", "rule", "profile", "zone",
		"src_ip", "dest_ip",
	};
	struct check_sum cs = { 0 };
	size_t i;
	int rc;

	if (strcmp(by, "check")) {
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			if (!strcmp(by, cols[i]))
				return s->be->gw_count(s->b, f, cols[i], fn, ctx);
		return -EINVAL;
	}
	rc = s->be->gw_count(s->b, f, "checks", sum_checks, &cs);
	if (rc == 0 && cs.oom)
		rc = -ENOMEM;
	if (rc == 0) {
		qsort(cs.v, cs.len, sizeof(*cs.v), by_count);
		for (i = 0; i < cs.len; i++)
			if (fn(ctx, cs.v[i].name, cs.v[i].n))
				break;
	}
	for (i = 0; i < cs.len; i++)
		free(cs.v[i].name);
	free(cs.v);
	return rc;
}

int store_agent_address(struct store *s, const char *agent, const char *address,
			double now)
{
	return s->be->agent_address(s->b, agent, address, now);
}

int store_agents_at(struct store *s, const char *address,
		    int (*fn)(void *ctx, const char *agent), void *ctx)
{
	return s->be->agents_at(s->b, address, fn, ctx);
}

int store_audit_alerts(struct store *s, long limit, store_audit_alert_fn fn, void *ctx)
{
	return s->be->audit_alerts(s->b, limit, fn, ctx);
}
