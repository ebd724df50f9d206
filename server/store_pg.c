/*
 * store_pg: the PostgreSQL backend of store.h (libpq), same schema and
 * contract as the SQLite one; table in store_backend.h. Events go in with
 * COPY for speed; a disk-full commit (SQLSTATE 53100) returns -ENOSPC.
 */
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gw_event.h"
#include "json.h"

struct store_be {
	PGconn *db;
	struct audit_event ev;
	struct gw_event gw;
	struct buf copy, args, paths;
	char err[512];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS packages("
	" agent TEXT NOT NULL, stream BIGINT NOT NULL, seq BIGINT NOT NULL,"
	" received DOUBLE PRECISION NOT NULL, n_events BIGINT NOT NULL,"
	" UNIQUE(agent, stream, seq));"
	"CREATE TABLE IF NOT EXISTS events("
	" agent TEXT NOT NULL, stream BIGINT NOT NULL, seq BIGINT NOT NULL,"
	" idx BIGINT NOT NULL, time DOUBLE PRECISION NOT NULL, serial BIGINT NOT NULL,"
	" type TEXT, records TEXT, arch BIGINT, syscall BIGINT,"
	" syscall_name TEXT, success BIGINT, exit BIGINT, pid BIGINT,"
	" ppid BIGINT, uid BIGINT, auid BIGINT, euid BIGINT, gid BIGINT,"
	" ses BIGINT, tty TEXT, comm TEXT, exe TEXT, cwd TEXT, key TEXT,"
	" args TEXT, paths TEXT, raw TEXT NOT NULL,"
	" UNIQUE(agent, stream, seq, idx));"
	"CREATE INDEX IF NOT EXISTS events_time ON events(time);"
	"CREATE TABLE IF NOT EXISTS agents("
	" agent TEXT PRIMARY KEY, last_seen DOUBLE PRECISION, kernel_lost BIGINT,"
	" kernel_backlog BIGINT, spool_dropped_packages BIGINT,"
	" spool_dropped_events BIGINT, events_total BIGINT, address TEXT);"
	"ALTER TABLE agents ADD COLUMN IF NOT EXISTS address TEXT;"
	"CREATE TABLE IF NOT EXISTS alerts("
	" id BIGSERIAL PRIMARY KEY, log TEXT NOT NULL, line TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS alert_logs("
	" log TEXT PRIMARY KEY, id BIGINT NOT NULL, ino BIGINT NOT NULL,"
	" bytes BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS gateway_events("
	" gateway TEXT NOT NULL, stream BIGINT NOT NULL, seq BIGINT NOT NULL,"
	" idx BIGINT NOT NULL, time DOUBLE PRECISION NOT NULL, event_type TEXT,"
	" src_ip TEXT, src_port BIGINT, dest_ip TEXT, dest_port BIGINT, proto TEXT,"
	" flow_id BIGINT, sni TEXT, action TEXT, checks TEXT, rule TEXT,"
	" profile TEXT, zone TEXT, json TEXT NOT NULL,"
	" UNIQUE(gateway, stream, seq, idx));"
	"CREATE INDEX IF NOT EXISTS gateway_events_time ON gateway_events(time);"
	"CREATE INDEX IF NOT EXISTS gateway_events_gateway ON gateway_events(gateway, time);";

/* Records the failure of res (or of the connection) and maps it. */
static int fail(struct store_be *s, const char *what, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(s->db);

	snprintf(s->err, sizeof(s->err), "%s: %s", what, msg && *msg ? msg : "failed");
	s->err[strcspn(s->err, "\n")] = '\0';
	PQclear(res);
	/* 53100 disk_full, 53200 out_of_memory, 53300 too_many_connections */
	return state && !strcmp(state, "53100") ? -ENOSPC : -EIO;
}

static int exec_ok(struct store_be *s, const char *sql)
{
	PGresult *r = PQexec(s->db, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, sql, r);
	PQclear(r);
	return 0;
}

static void pg_close(struct store_be *s);
static void pg_rollback(struct store_be *s);

static const char *pg_error(struct store_be *s)
{
	return s->err;
}

static struct store_be *pg_open(const char *uri, bool readonly, char *err, size_t errsz)
{
	struct store_be *s = calloc(1, sizeof(*s));
	PGresult *r;

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->db = PQconnectdb(uri);
	if (PQstatus(s->db) != CONNECTION_OK) {
		snprintf(err, errsz, "%s: %s", uri, PQerrorMessage(s->db));
		err[strcspn(err, "\n")] = '\0';
		pg_close(s);
		return NULL;
	}
	/* a reader makes no schema, and its session refuses writes */
	if (readonly) {
		if (exec_ok(s, "SET default_transaction_read_only = on") < 0) {
			snprintf(err, errsz, "%s: %s", uri, s->err);
			pg_close(s);
			return NULL;
		}
		return s;
	}
	/* quiet "already exists" notices; schema creation races between servers
	 * are settled by the advisory lock */
	r = PQexec(s->db, "SET client_min_messages = warning;"
			  "SELECT pg_advisory_lock(5343415544)");
	PQclear(r);
	if (exec_ok(s, schema) < 0) {
		snprintf(err, errsz, "%s: %s", uri, s->err);
		pg_close(s);
		return NULL;
	}
	r = PQexec(s->db, "SELECT pg_advisory_unlock(5343415544)");
	PQclear(r);
	return s;
}

static void pg_close(struct store_be *s)
{
	if (!s)
		return;
	PQfinish(s->db);
	audit_event_free(&s->ev);
	buf_free(&s->copy);
	buf_free(&s->args);
	buf_free(&s->paths);
	free(s);
}

static int pg_begin(struct store_be *s)
{
	return exec_ok(s, "BEGIN");
}

static int pg_commit(struct store_be *s)
{
	PGresult *r = PQexec(s->db, "COMMIT");
	int rc;

	if (PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(r), "ROLLBACK") != 0) {
		PQclear(r);
		return 0;
	}
	rc = fail(s, "commit", r);
	pg_rollback(s);
	return rc;
}

static void pg_rollback(struct store_be *s)
{
	PQclear(PQexec(s->db, "ROLLBACK"));
}

/* COPY text format: backslash escapes, \N for NULL (PostgreSQL docs, COPY
 * "Text Format"). */
static void copy_text(struct buf *b, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (t[i]) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\0': break;
		default: buf_putc(b, t[i]);
		}
	}
}

static void col_str(struct buf *b, const char *t, bool last)
{
	if (t && *t)
		copy_text(b, t, strlen(t));
	else
		buf_puts(b, "\\N");
	buf_putc(b, last ? '\n' : '\t');
}

static void col_num(struct buf *b, int64_t v)
{
	if (v == -1)
		buf_puts(b, "\\N\t");
	else
		buf_printf(b, "%lld\t", (long long)v);
}

static void copy_row(struct store_be *s, const char *agent, uint64_t stream,
		     uint64_t seq, uint32_t idx, const uint8_t *text, size_t len)
{
	struct audit_event *ev = &s->ev;
	struct buf *b = &s->copy;
	bool ok = audit_event_parse(text, len, ev);

	col_str(b, agent, false);
	buf_printf(b, "%lld\t%lld\t%u\t", (long long)stream, (long long)seq, idx);
	buf_printf(b, "%.3f\t%llu\t", ok ? (double)ev->stamp.sec + ev->stamp.msec / 1000.0 : 0.0,
		   ok ? (unsigned long long)ev->stamp.serial : 0ull);
	col_str(b, ev->type, false);
	col_str(b, ev->records, false);
	col_num(b, ev->syscall >= 0 ? (int64_t)ev->arch : -1);
	col_num(b, ev->syscall);
	col_str(b, ev->syscall_name, false);
	col_num(b, ev->success);
	col_num(b, ev->syscall >= 0 ? ev->exit : -1);
	col_num(b, ev->pid);
	col_num(b, ev->ppid);
	col_num(b, ev->uid);
	col_num(b, ev->auid);
	col_num(b, ev->euid);
	col_num(b, ev->gid);
	col_num(b, ev->ses);
	col_str(b, ev->tty, false);
	col_str(b, ev->comm, false);
	col_str(b, ev->exe, false);
	col_str(b, ev->cwd, false);
	col_str(b, ev->key, false);
	audit_list_json(&s->args, &ev->args, ev->argc);
	audit_list_json(&s->paths, &ev->paths, ev->npaths);
	col_str(b, s->args.data, false);
	col_str(b, s->paths.data, false);
	copy_text(b, (const char *)text, len);
	buf_putc(b, '\n');
}

/* Checks the body and adds the package's row: 1 new, 0 already stored,
 * -EPROTO (body), -EIO/-ENOSPC. */
static int insert_package(struct store_be *s, const char *agent, uint64_t stream,
			  uint64_t seq, uint32_t n_events, const struct buf *body,
			  double received)
{
	char sstream[24], sseq[24], srecv[32], sn[16];
	const char *params[5] = { agent, sstream, sseq, srecv, sn };
	PGresult *r;
	int rc;

	rc = aw_body_check((const uint8_t *)body->data, body->len, seq, n_events, s->err,
			   sizeof(s->err));
	if (rc < 0)
		return rc;
	snprintf(sstream, sizeof(sstream), "%lld", (long long)stream);
	snprintf(sseq, sizeof(sseq), "%lld", (long long)seq);
	snprintf(srecv, sizeof(srecv), "%.6f", received);
	snprintf(sn, sizeof(sn), "%u", n_events);
	r = PQexecParams(s->db, "INSERT INTO packages VALUES($1,$2,$3,$4,$5) "
			 "ON CONFLICT DO NOTHING", 5, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(s, "insert package", r);
	rc = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return rc;
}

/* Sends s->copy's rows with `COPY table FROM STDIN`. 0 or -EIO/-ENOSPC. */
static int copy_in(struct store_be *s, const char *table)
{
	char sql[64];
	PGresult *r;
	int rc;

	if (s->copy.oom)
		return -ENOMEM;
	snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", table);
	r = PQexec(s->db, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		return fail(s, sql, r);
	PQclear(r);
	if (PQputCopyData(s->db, s->copy.data, (int)s->copy.len) != 1 ||
	    PQputCopyEnd(s->db, NULL) != 1)
		return fail(s, sql, NULL);
	r = PQgetResult(s->db);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(s, sql, r);
	if (rc == 0)
		PQclear(r);
	while ((r = PQgetResult(s->db)))
		PQclear(r);
	return rc;
}

static void copy_gw_row(struct store_be *s, const char *gateway, uint64_t stream,
			uint64_t seq, uint32_t idx, const uint8_t *text, size_t len,
			double received)
{
	struct gw_event *ev = &s->gw;
	struct buf *b = &s->copy;

	gw_event_parse((const char *)text, len, ev);
	col_str(b, gateway, false);
	buf_printf(b, "%lld\t%lld\t%u\t%.6f\t", (long long)stream, (long long)seq, idx,
		   ev->time > 0 ? ev->time : received);
	col_str(b, ev->event_type, false);
	col_str(b, ev->src_ip, false);
	col_num(b, ev->src_port);
	col_str(b, ev->dest_ip, false);
	col_num(b, ev->dest_port);
	col_str(b, ev->proto, false);
	col_num(b, ev->flow_id);
	col_str(b, ev->sni, false);
	col_str(b, ev->action, false);
	col_str(b, ev->checks, false);
	col_str(b, ev->rule, false);
	col_str(b, ev->profile, false);
	col_str(b, ev->zone, false);
	copy_text(b, (const char *)text, len);
	buf_putc(b, '\n');
}

/* A package's events, audit events or a gateway's EVE lines, in one COPY
 * into the open transaction after the package's row. */
static int pg_package(struct store_be *s, const char *who, uint64_t stream, uint64_t seq,
		      uint32_t n_events, const struct buf *body, double received, bool gw)
{
	struct cursor c;
	const uint8_t *ev;
	size_t len;
	uint32_t n;
	int rc;

	rc = insert_package(s, who, stream, seq, n_events, body, received);
	if (rc <= 0)
		return rc;
	buf_reset(&s->copy);
	c = cur_make((const uint8_t *)body->data, body->len);
	for (n = 0; aw_body_next(&c, &ev, &len) == 1; n++) {
		if (gw)
			copy_gw_row(s, who, stream, seq, n, ev, len, received);
		else
			copy_row(s, who, stream, seq, n, ev, len);
	}
	rc = copy_in(s, gw ? "gateway_events" : "events");
	return rc < 0 ? rc : 1;
}

static int pg_committed(struct store_be *s, const char *agent, uint64_t stream,
		      uint64_t *seq)
{
	char sstream[24];
	const char *params[2] = { agent, sstream };
	PGresult *r;

	snprintf(sstream, sizeof(sstream), "%lld", (long long)stream);
	r = PQexecParams(s->db, "SELECT coalesce(max(seq), 0) FROM packages "
			 "WHERE agent=$1 AND stream=$2", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return fail(s, "committed seq", r);
	*seq = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static int pg_agent_stats(struct store_be *s, const char *agent,
			const struct aw_stats *st, double now)
{
	char v[6][32];
	const char *params[7] = { agent, v[0], v[1], v[2], v[3], v[4], v[5] };
	PGresult *r;

	snprintf(v[0], 32, "%.6f", now);
	snprintf(v[1], 32, "%llu", (unsigned long long)st->kernel_lost);
	snprintf(v[2], 32, "%u", st->kernel_backlog);
	snprintf(v[3], 32, "%llu", (unsigned long long)st->spool_dropped_packages);
	snprintf(v[4], 32, "%llu", (unsigned long long)st->spool_dropped_events);
	snprintf(v[5], 32, "%llu", (unsigned long long)st->events_total);
	r = PQexecParams(s->db, "INSERT INTO agents(agent, last_seen, kernel_lost,"
			 " kernel_backlog, spool_dropped_packages, spool_dropped_events,"
			 " events_total) VALUES($1,$2,$3,$4,$5,$6,$7) "
			 "ON CONFLICT (agent) DO UPDATE SET last_seen=$2, kernel_lost=$3,"
			 " kernel_backlog=$4, spool_dropped_packages=$5,"
			 " spool_dropped_events=$6, events_total=$7",
			 7, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(s, "agent stats", r);
	PQclear(r);
	return 0;
}

/* WHERE clause with $n parameters, values as text in params[]. */
static int where(struct buf *sql, const struct store_filter *f,
		 const char **params, char (*num)[32])
{
	const char *sep = " WHERE ";
	int n = 0;

#define COND(test, fmt, value) \
	do { if (test) { params[n] = (value); n++; buf_puts(sql, sep); \
		buf_printf(sql, fmt, n); sep = " AND "; } } while (0)
	COND(f->agent && *f->agent, "agent = $%d", f->agent);
	COND(f->syscall && *f->syscall, "(syscall_name = $%1$d OR syscall::text = $%1$d)", f->syscall);
	COND(f->program && *f->program, "(exe = $%1$d OR comm = $%1$d)", f->program);
	COND(f->key && *f->key, "key = $%d", f->key);
	if (f->since > 0)
		snprintf(num[0], 32, "%.3f", f->since);
	COND(f->since > 0, "time >= $%d", num[0]);
	if (f->until > 0)
		snprintf(num[1], 32, "%.3f", f->until);
	COND(f->until > 0, "time < $%d", num[1]);
	if (f->uid >= 0)
		snprintf(num[2], 32, "%lld", (long long)f->uid);
	COND(f->uid >= 0, "uid = $%d", num[2]);
	if (f->success >= 0)
		snprintf(num[3], 32, "%d", f->success);
	COND(f->success >= 0, "success = $%d", num[3]);
#undef COND
	return n;
}

static int64_t num_at(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? -1 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* The row reader: result row i into row, as the map says. */
static void read_row(PGresult *r, int i, const struct store_cols *c, void *row)
{
	size_t k;

	for (k = 0; k < c->n; k++) {
		char *field = (char *)row + c->v[k].off;

		if (c->v[k].kind == STORE_COL_TEXT)
			*(const char **)field = PQgetvalue(r, i, (int)k);
		else if (c->v[k].kind == STORE_COL_INT)
			*(int64_t *)field = num_at(r, i, (int)k);
		else
			*(double *)field = strtod(PQgetvalue(r, i, (int)k), NULL);
	}
}

static int pg_query(struct store_be *s, const struct store_filter *f,
		  store_row_fn fn, void *ctx)
{
	struct buf sql = { 0 };
	const char *params[8];
	char num[4][32];
	struct store_row row;
	PGresult *r;
	int n, i, rc = 0;

	store_cols_select(&sql, &store_event_cols);
	n = where(&sql, f, params, num);
	buf_puts(&sql, " ORDER BY time, agent, stream, seq, idx");
	if (f->limit > 0)
		buf_printf(&sql, " LIMIT %ld", f->limit);
	r = PQexecParams(s->db, buf_cstr(&sql), n, NULL, params, NULL, NULL, 0);
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "query", r);
	for (i = 0; i < PQntuples(r); i++) {
		read_row(r, i, &store_event_cols, &row);
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return rc;
}

static int pg_count(struct store_be *s, const struct store_filter *f,
		  const char *by,
		  int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	struct buf sql = { 0 };
	const char *params[8];
	char num[4][32];
	PGresult *r;
	int n, i;

	if (strcmp(by, "agent") && strcmp(by, "syscall"))
		return -EINVAL;
	buf_printf(&sql, "SELECT %s, count(*) FROM events",
		   !strcmp(by, "agent") ? "agent" : "coalesce(syscall_name, type)");
	n = where(&sql, f, params, num);
	buf_puts(&sql, " GROUP BY 1 ORDER BY 2 DESC, 1");
	r = PQexecParams(s->db, buf_cstr(&sql), n, NULL, params, NULL, NULL, 0);
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "count", r);
	for (i = 0; i < PQntuples(r); i++)
		if (fn(ctx, PQgetvalue(r, i, 0), num_at(r, i, 1)))
			break;
	PQclear(r);
	return 0;
}

static int pg_alert(struct store_be *s, const char *log, const char *line, size_t len)
{
	char *text = strndup(line, len);
	const char *params[2] = { log, text };
	PGresult *r;

	if (!text)
		return -ENOMEM;
	r = PQexecParams(s->db, "INSERT INTO alerts(log, line) VALUES($1,$2)", 2, NULL, params,
			 NULL, NULL, 0);
	free(text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(s, "insert alert", r);
	PQclear(r);
	return 0;
}

/* Ids come from a sequence shared by every log; within one log they are
 * in commit order, because one server writes it and commits its rounds one
 * after the other (gaps from rolled-back rounds do not matter). */
static int pg_alerts_after(struct store_be *s, const char *log, int64_t after,
			   store_alert_fn fn, void *ctx)
{
	char safter[24];
	const char *params[2] = { log, safter };
	PGresult *r;
	int i, rc = 0;

	snprintf(safter, sizeof(safter), "%lld", (long long)after);
	r = PQexecParams(s->db, "SELECT id, line FROM alerts WHERE log=$1 AND id>$2 ORDER BY id",
			 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "alerts", r);
	for (i = 0; !rc && i < PQntuples(r); i++)
		rc = fn(ctx, strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1),
			(size_t)PQgetlength(r, i, 1));
	PQclear(r);
	return rc;
}

static int pg_log_pos(struct store_be *s, const char *log, struct store_log_pos *pos)
{
	const char *params[1] = { log };
	PGresult *r;

	memset(pos, 0, sizeof(*pos));
	r = PQexecParams(s->db, "SELECT id, ino, bytes FROM alert_logs WHERE log=$1", 1,
			 NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "alert log position", r);
	if (PQntuples(r) == 1) {
		pos->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		pos->ino = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
		pos->offset = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return 0;
}

static int pg_set_log_pos(struct store_be *s, const char *log, const struct store_log_pos *pos)
{
	char v[3][24];
	const char *params[4] = { log, v[0], v[1], v[2] };
	PGresult *r;

	snprintf(v[0], sizeof(v[0]), "%lld", (long long)pos->id);
	snprintf(v[1], sizeof(v[1]), "%lld", (long long)pos->ino);
	snprintf(v[2], sizeof(v[2]), "%lld", (long long)pos->offset);
	r = PQexecParams(s->db, "INSERT INTO alert_logs VALUES($1,$2,$3,$4) ON CONFLICT (log)"
			 " DO UPDATE SET id=$2, ino=$3, bytes=$4", 4, NULL, params, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(s, "set alert log position", r);
	PQclear(r);
	return 0;
}

static int pg_gw_query(struct store_be *s, const struct store_gw_filter *f,
		       store_gw_fn fn, void *ctx)
{
	struct buf sql = { 0 };
	const char *params[STORE_GW_MAX_PARAMS];
	char num[2][32];
	struct store_gw_row row;
	PGresult *r;
	int n, i;

	store_cols_select(&sql, &store_gw_cols);
	n = store_gw_where(&sql, f, true, params, num);
	buf_puts(&sql, f->newest ? " ORDER BY time DESC, gateway, stream, seq DESC, idx DESC"
				 : " ORDER BY time, gateway, stream, seq, idx");
	if (f->limit > 0)
		buf_printf(&sql, " LIMIT %ld", f->limit);
	r = PQexecParams(s->db, buf_cstr(&sql), n, NULL, params, NULL, NULL, 0);
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "gateway events", r);
	for (i = 0; i < PQntuples(r); i++) {
		read_row(r, i, &store_gw_cols, &row);
		if (fn(ctx, &row))
			break;
	}
	PQclear(r);
	return 0;
}

static int pg_gw_count(struct store_be *s, const struct store_gw_filter *f, const char *col,
		       int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	struct buf sql = { 0 };
	const char *params[STORE_GW_MAX_PARAMS];
	char num[2][32];
	PGresult *r;
	int n, i;

	buf_printf(&sql, "SELECT coalesce(%s::text, ''), count(*) FROM gateway_events", col);
	n = store_gw_where(&sql, f, true, params, num);
	buf_puts(&sql, " GROUP BY 1 ORDER BY 2 DESC, 1");
	r = PQexecParams(s->db, buf_cstr(&sql), n, NULL, params, NULL, NULL, 0);
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "gateway events", r);
	for (i = 0; i < PQntuples(r); i++)
		if (fn(ctx, PQgetvalue(r, i, 0), num_at(r, i, 1)))
			break;
	PQclear(r);
	return 0;
}

static int pg_agent_address(struct store_be *s, const char *agent, const char *address,
			    double now)
{
	char snow[32];
	const char *params[3] = { agent, snow, address };
	PGresult *r;

	snprintf(snow, sizeof(snow), "%.6f", now);
	r = PQexecParams(s->db, "INSERT INTO agents(agent, last_seen, address) VALUES($1,$2,$3)"
			 " ON CONFLICT (agent) DO UPDATE SET last_seen=$2, address=$3",
			 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail(s, "agent address", r);
	PQclear(r);
	return 0;
}

static int pg_agents_at(struct store_be *s, const char *address,
			int (*fn)(void *ctx, const char *agent), void *ctx)
{
	const char *params[1] = { address };
	PGresult *r;
	int i;

	r = PQexecParams(s->db, "SELECT agent FROM agents WHERE address=$1 ORDER BY agent", 1,
			 NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "agents at address", r);
	for (i = 0; i < PQntuples(r); i++)
		if (fn(ctx, PQgetvalue(r, i, 0)))
			break;
	PQclear(r);
	return 0;
}

/* The fields of the alert lines (audit_alert.h), read as jsonb. */
static int pg_audit_alerts(struct store_be *s, long limit, store_audit_alert_fn fn,
			   void *ctx)
{
	static const char sql[] =
		"SELECT id, j->>'timestamp', j#>>'{secaudit,audit,agent}',"
		" j#>>'{alert,signature}', j#>>'{secaudit,rule}',"
		" j#>>'{secaudit,audit,exe}', j#>>'{secaudit,audit,comm}',"
		" j#>>'{alert,signature_id}', j#>>'{alert,severity}',"
		" j#>>'{secaudit,audit,pid}', j#>>'{secaudit,audit,uid}'"
		" FROM (SELECT id, line::jsonb AS j FROM alerts ORDER BY id DESC LIMIT $1) a"
		" ORDER BY id DESC";
	struct store_audit_alert a;
	const char *params[1];
	char lim[32];
	PGresult *r;
	int i, stop = 0;

	snprintf(lim, sizeof(lim), "%ld", limit);
	params[0] = lim;
	r = PQexecParams(s->db, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail(s, "audit alerts", r);
	for (i = 0; !stop && i < PQntuples(r); i++) {
		a.id = num_at(r, i, 0);
		a.timestamp = PQgetvalue(r, i, 1);
		a.agent = PQgetvalue(r, i, 2);
		a.signature = PQgetvalue(r, i, 3);
		a.rule = PQgetvalue(r, i, 4);
		a.exe = PQgetvalue(r, i, 5);
		a.comm = PQgetvalue(r, i, 6);
		a.sid = num_at(r, i, 7);
		a.severity = num_at(r, i, 8);
		a.pid = num_at(r, i, 9);
		a.uid = num_at(r, i, 10);
		stop = fn(ctx, &a);
	}
	PQclear(r);
	return stop;
}

const struct store_backend *store_pg_backend(void)
{
	static const struct store_backend be = {
		.open = pg_open,
		.close = pg_close,
		.error = pg_error,
		.begin = pg_begin,
		.package = pg_package,
		.commit = pg_commit,
		.rollback = pg_rollback,
		.committed = pg_committed,
		.agent_stats = pg_agent_stats,
		.query = pg_query,
		.count = pg_count,
		.alert = pg_alert,
		.alerts_after = pg_alerts_after,
		.log_pos = pg_log_pos,
		.set_log_pos = pg_set_log_pos,
		.gw_query = pg_gw_query,
		.gw_count = pg_gw_count,
		.agent_address = pg_agent_address,
		.agents_at = pg_agents_at,
		.audit_alerts = pg_audit_alerts,
	};

	return &be;
}
