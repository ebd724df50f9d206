/*
 * store_sqlite: the SQLite backend of store.h (WAL, synchronous=FULL);
 * contract in store.h, table in store_backend.h.
 */
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gw_event.h"
#include "json.h"

struct store_be {
	sqlite3 *db;
	sqlite3_stmt *ins_pkg, *ins_ev, *get_seq, *upd_agent;
	sqlite3_stmt *ins_alert, *get_alerts, *get_pos, *set_pos;
	sqlite3_stmt *ins_gw, *set_addr, *get_at;
	struct audit_event ev;
	struct gw_event gw;
	struct buf args, paths;
	char err[512];
	bool in_txn;
};

/*
 * page_size (a new file only; an older store keeps its own): a gateway
 * event is a 1-6 KB JSON line, and with 4 KB pages each row took two or
 * three pages, every one written to the WAL and again by the checkpoint
 * with a system call each (12.5 a row in the bench); 32 KB pages take
 * several rows (1.5 a row). cache_size (64 MiB, used only as it fills):
 * one round's transaction of a few thousand rows stays in memory instead
 * of spilling pages to the WAL and reading them back before its commit.
 */
static const char schema[] =
	"PRAGMA page_size=32768;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA cache_size=-65536;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS packages("
	" agent TEXT NOT NULL, stream INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" received REAL NOT NULL, n_events INTEGER NOT NULL,"
	" UNIQUE(agent, stream, seq));"
	"CREATE TABLE IF NOT EXISTS events("
	" agent TEXT NOT NULL, stream INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" idx INTEGER NOT NULL, time REAL NOT NULL, serial INTEGER NOT NULL,"
	" type TEXT, records TEXT, arch INTEGER, syscall INTEGER,"
	" syscall_name TEXT, success INTEGER, exit INTEGER, pid INTEGER,"
	" ppid INTEGER, uid INTEGER, auid INTEGER, euid INTEGER, gid INTEGER,"
	" ses INTEGER, tty TEXT, comm TEXT, exe TEXT, cwd TEXT, key TEXT,"
	" args TEXT, paths TEXT, raw TEXT NOT NULL,"
	" UNIQUE(agent, stream, seq, idx));"
	"CREATE INDEX IF NOT EXISTS events_time ON events(time);"
	"CREATE TABLE IF NOT EXISTS agents("
	" agent TEXT PRIMARY KEY, last_seen REAL, kernel_lost INTEGER,"
	" kernel_backlog INTEGER, spool_dropped_packages INTEGER,"
	" spool_dropped_events INTEGER, events_total INTEGER, address TEXT);"
	"CREATE TABLE IF NOT EXISTS alerts("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, line TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS alert_logs("
	" log TEXT PRIMARY KEY, id INTEGER NOT NULL, ino INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS gateway_events("
	" gateway TEXT NOT NULL, stream INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" idx INTEGER NOT NULL, time REAL NOT NULL, event_type TEXT, src_ip TEXT,"
	" src_port INTEGER, dest_ip TEXT, dest_port INTEGER, proto TEXT,"
	" flow_id INTEGER, sni TEXT, action TEXT, checks TEXT, rule TEXT,"
	" profile TEXT, zone TEXT, json TEXT NOT NULL,"
	" UNIQUE(gateway, stream, seq, idx));"
	"CREATE INDEX IF NOT EXISTS gateway_events_time ON gateway_events(time);"
	"CREATE INDEX IF NOT EXISTS gateway_events_gateway ON gateway_events(gateway, time);";

/* A store made before agents had an address gains the column (the
 * statement fails harmlessly where it is there). */
static const char migrate_address[] = "ALTER TABLE agents ADD COLUMN address TEXT";

static int fail(struct store_be *s, const char *what)
{
	int code = sqlite3_errcode(s->db);

	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	return code == SQLITE_FULL ? -ENOSPC : -EIO;
}

static void sq_rollback(struct store_be *s);

static const char *sq_error(struct store_be *s)
{
	return s->err;
}

static void sq_close(struct store_be *s)
{
	if (!s)
		return;
	if (s->in_txn)
		sq_rollback(s);
	sqlite3_finalize(s->ins_pkg);
	sqlite3_finalize(s->ins_ev);
	sqlite3_finalize(s->get_seq);
	sqlite3_finalize(s->upd_agent);
	sqlite3_finalize(s->ins_alert);
	sqlite3_finalize(s->get_alerts);
	sqlite3_finalize(s->get_pos);
	sqlite3_finalize(s->set_pos);
	sqlite3_finalize(s->ins_gw);
	sqlite3_finalize(s->set_addr);
	sqlite3_finalize(s->get_at);
	sqlite3_close(s->db);
	audit_event_free(&s->ev);
	buf_free(&s->args);
	buf_free(&s->paths);
	free(s);
}

static struct store_be *sq_open(const char *uri, bool readonly, char *err, size_t errsz)
{
	struct store_be *s;
	const char *path;
	/* a reader makes no schema; query_only makes it refuse writes even
	 * where the file itself would take them */
	const char *setup = readonly ? "PRAGMA query_only=1;" : schema;
	int flags = SQLITE_OPEN_NOMUTEX |
		    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

	path = uri + 7;	/* store.c chose this backend for "sqlite:" */
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    (sqlite3_exec(s->db, migrate_address, NULL, NULL, NULL), false) ||
	    sqlite3_exec(s->db, setup, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT OR IGNORE INTO packages VALUES(?,?,?,?,?)",
			       -1, &s->ins_pkg, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
			       "?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->ins_ev, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "SELECT max(seq) FROM packages WHERE agent=? AND stream=?",
			       -1, &s->get_seq, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO agents(agent, last_seen, kernel_lost,"
			       " kernel_backlog, spool_dropped_packages, spool_dropped_events,"
			       " events_total) VALUES(?,?,?,?,?,?,?) ON CONFLICT(agent) DO UPDATE"
			       " SET last_seen=excluded.last_seen, kernel_lost=excluded.kernel_lost,"
			       " kernel_backlog=excluded.kernel_backlog,"
			       " spool_dropped_packages=excluded.spool_dropped_packages,"
			       " spool_dropped_events=excluded.spool_dropped_events,"
			       " events_total=excluded.events_total",
			       -1, &s->upd_agent, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO gateway_events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
			       "?,?,?,?,?)", -1, &s->ins_gw, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO agents(agent, last_seen, address) VALUES(?,?,?)"
			       " ON CONFLICT(agent) DO UPDATE SET last_seen=excluded.last_seen,"
			       " address=excluded.address", -1, &s->set_addr, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT agent FROM agents WHERE address=? ORDER BY agent",
			       -1, &s->get_at, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO alerts(log, line) VALUES(?,?)",
			       -1, &s->ins_alert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id, line FROM alerts WHERE log=? AND id>?"
			       " ORDER BY id", -1, &s->get_alerts, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT id, ino, bytes FROM alert_logs WHERE log=?",
			       -1, &s->get_pos, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO alert_logs VALUES(?,?,?,?)",
			       -1, &s->set_pos, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		sq_close(s);
		return NULL;
	}
	return s;
}

static int sq_begin(struct store_be *s)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, "begin");
	s->in_txn = true;
	return 0;
}

static int sq_commit(struct store_be *s)
{
	int rc;

	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		s->in_txn = false;
		return 0;
	}
	rc = fail(s, "commit");
	sq_rollback(s);
	return rc;
}

static void sq_rollback(struct store_be *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
}

static void bind_num(sqlite3_stmt *st, int col, int64_t v)
{
	if (v == -1)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, v);
}

static void bind_text(sqlite3_stmt *st, int col, const char *t)
{
	sqlite3_bind_text(st, col, t, -1, SQLITE_STATIC);
}

static int insert_event(struct store_be *s, const char *agent, uint64_t stream,
			uint64_t seq, uint32_t idx, const uint8_t *text,
			size_t len)
{
	struct audit_event *ev = &s->ev;
	sqlite3_stmt *st = s->ins_ev;
	int rc;

	if (!audit_event_parse(text, len, ev))
		return -EPROTO;
	audit_list_json(&s->args, &ev->args, ev->argc);
	audit_list_json(&s->paths, &ev->paths, ev->npaths);
	if (s->args.oom || s->paths.oom)
		return -ENOMEM;
	sqlite3_reset(st);
	bind_text(st, 1, agent);
	sqlite3_bind_int64(st, 2, (int64_t)stream);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	sqlite3_bind_int64(st, 4, idx);
	sqlite3_bind_double(st, 5, (double)ev->stamp.sec + ev->stamp.msec / 1000.0);
	sqlite3_bind_int64(st, 6, (int64_t)ev->stamp.serial);
	bind_text(st, 7, ev->type);
	bind_text(st, 8, ev->records);
	bind_num(st, 9, ev->syscall >= 0 ? (int64_t)ev->arch : -1);
	bind_num(st, 10, ev->syscall);
	bind_text(st, 11, ev->syscall_name[0] ? ev->syscall_name : NULL);
	bind_num(st, 12, ev->success);
	bind_num(st, 13, ev->syscall >= 0 ? ev->exit : -1);
	bind_num(st, 14, ev->pid);
	bind_num(st, 15, ev->ppid);
	bind_num(st, 16, ev->uid);
	bind_num(st, 17, ev->auid);
	bind_num(st, 18, ev->euid);
	bind_num(st, 19, ev->gid);
	bind_num(st, 20, ev->ses);
	bind_text(st, 21, ev->tty[0] ? ev->tty : NULL);
	bind_text(st, 22, ev->comm[0] ? ev->comm : NULL);
	bind_text(st, 23, ev->exe[0] ? ev->exe : NULL);
	bind_text(st, 24, ev->cwd[0] ? ev->cwd : NULL);
	bind_text(st, 25, ev->key[0] ? ev->key : NULL);
	sqlite3_bind_text(st, 26, s->args.data, (int)s->args.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 27, s->paths.data, (int)s->paths.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 28, (const char *)text, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "insert event");
}

/* Checks the body and adds the package's row: 1 new, 0 already stored,
 * -EPROTO (body), -EIO/-ENOSPC. */
static int insert_package(struct store_be *s, const char *agent, uint64_t stream,
			  uint64_t seq, uint32_t n_events, const struct buf *body,
			  double received)
{
	int rc;

	rc = aw_body_check((const uint8_t *)body->data, body->len, seq, n_events, s->err,
			   sizeof(s->err));
	if (rc < 0)
		return rc;
	sqlite3_reset(s->ins_pkg);
	bind_text(s->ins_pkg, 1, agent);
	sqlite3_bind_int64(s->ins_pkg, 2, (int64_t)stream);
	sqlite3_bind_int64(s->ins_pkg, 3, (int64_t)seq);
	sqlite3_bind_double(s->ins_pkg, 4, received);
	sqlite3_bind_int64(s->ins_pkg, 5, n_events);
	rc = sqlite3_step(s->ins_pkg);
	sqlite3_reset(s->ins_pkg);
	if (rc != SQLITE_DONE)
		return fail(s, "insert package");
	return sqlite3_changes(s->db) != 0;
}

static int sq_committed(struct store_be *s, const char *agent, uint64_t stream,
		    uint64_t *seq)
{
	int rc;

	sqlite3_reset(s->get_seq);
	bind_text(s->get_seq, 1, agent);
	sqlite3_bind_int64(s->get_seq, 2, (int64_t)stream);
	rc = sqlite3_step(s->get_seq);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s->get_seq);
		return fail(s, "committed seq");
	}
	*seq = (uint64_t)sqlite3_column_int64(s->get_seq, 0);
	sqlite3_reset(s->get_seq);
	return 0;
}

static int sq_agent_stats(struct store_be *s, const char *agent,
		      const struct aw_stats *st, double now)
{
	sqlite3_stmt *q = s->upd_agent;
	int rc;

	sqlite3_reset(q);
	bind_text(q, 1, agent);
	sqlite3_bind_double(q, 2, now);
	sqlite3_bind_int64(q, 3, (int64_t)st->kernel_lost);
	sqlite3_bind_int64(q, 4, st->kernel_backlog);
	sqlite3_bind_int64(q, 5, (int64_t)st->spool_dropped_packages);
	sqlite3_bind_int64(q, 6, (int64_t)st->spool_dropped_events);
	sqlite3_bind_int64(q, 7, (int64_t)st->events_total);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : fail(s, "agent stats");
}

/* Builds " WHERE ..." for a filter; binds in the same order (bind_filter). */
static void where(struct buf *sql, const struct store_filter *f)
{
	const char *sep = " WHERE ";

#define COND(test, text) \
	do { if (test) { buf_puts(sql, sep); buf_puts(sql, text); sep = " AND "; } } while (0)
	COND(f->agent && *f->agent, "agent = ?");
	COND(f->syscall && *f->syscall, "(syscall_name = ? OR CAST(syscall AS TEXT) = ?)");
	COND(f->program && *f->program, "(exe = ? OR comm = ?)");
	COND(f->key && *f->key, "key = ?");
	COND(f->since > 0, "time >= ?");
	COND(f->until > 0, "time < ?");
	COND(f->uid >= 0, "uid = ?");
	COND(f->success >= 0, "success = ?");
#undef COND
}

static void bind_filter(sqlite3_stmt *st, const struct store_filter *f)
{
	int i = 1;

	if (f->agent && *f->agent)
		bind_text(st, i++, f->agent);
	if (f->syscall && *f->syscall) {
		bind_text(st, i++, f->syscall);
		bind_text(st, i++, f->syscall);
	}
	if (f->program && *f->program) {
		bind_text(st, i++, f->program);
		bind_text(st, i++, f->program);
	}
	if (f->key && *f->key)
		bind_text(st, i++, f->key);
	if (f->since > 0)
		sqlite3_bind_double(st, i++, f->since);
	if (f->until > 0)
		sqlite3_bind_double(st, i++, f->until);
	if (f->uid >= 0)
		sqlite3_bind_int64(st, i++, f->uid);
	if (f->success >= 0)
		sqlite3_bind_int64(st, i++, f->success);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static int64_t col_num(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1
							: sqlite3_column_int64(st, i);
}

/* The row reader: the current result row into row, as the map says. */
static void read_row(sqlite3_stmt *st, const struct store_cols *c, void *row)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		char *field = (char *)row + c->v[i].off;

		if (c->v[i].kind == STORE_COL_TEXT)
			*(const char **)field = col_text(st, (int)i);
		else if (c->v[i].kind == STORE_COL_INT)
			*(int64_t *)field = col_num(st, (int)i);
		else
			*(double *)field = sqlite3_column_double(st, (int)i);
	}
}

static int sq_query(struct store_be *s, const struct store_filter *f,
		store_row_fn fn, void *ctx)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	struct store_row r;
	int rc = 0;

	store_cols_select(&sql, &store_event_cols);
	where(&sql, f);
	buf_puts(&sql, " ORDER BY time, agent, stream, seq, idx");
	if (f->limit > 0)
		buf_printf(&sql, " LIMIT %ld", f->limit);
	if (sqlite3_prepare_v2(s->db, buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
		rc = fail(s, "query");
		goto out;
	}
	bind_filter(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &store_event_cols, &r);
		if (fn(ctx, &r))
			break;
	}
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail(s, "query");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return rc;
}

static int sq_count(struct store_be *s, const struct store_filter *f, const char *by,
		int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	const char *col;
	int rc = 0;

	if (!strcmp(by, "agent"))
		col = "agent";
	else if (!strcmp(by, "syscall"))
		col = "coalesce(syscall_name, type)";
	else
		return -EINVAL;
	buf_printf(&sql, "SELECT %s, count(*) FROM events", col);
	where(&sql, f);
	buf_printf(&sql, " GROUP BY 1 ORDER BY 2 DESC, 1");
	if (sqlite3_prepare_v2(s->db, buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
		rc = fail(s, "count");
		goto out;
	}
	bind_filter(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, col_text(st, 0), sqlite3_column_int64(st, 1)))
			break;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail(s, "count");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return rc;
}

static int sq_alert(struct store_be *s, const char *log, const char *line, size_t len)
{
	int rc;

	sqlite3_reset(s->ins_alert);
	bind_text(s->ins_alert, 1, log);
	sqlite3_bind_text(s->ins_alert, 2, line, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s->ins_alert);
	sqlite3_reset(s->ins_alert);
	return rc == SQLITE_DONE ? 0 : fail(s, "insert alert");
}

static int sq_alerts_after(struct store_be *s, const char *log, int64_t after,
			   store_alert_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->get_alerts;
	int rc, stop = 0;

	sqlite3_reset(st);
	bind_text(st, 1, log);
	sqlite3_bind_int64(st, 2, after);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, sqlite3_column_int64(st, 0), col_text(st, 1),
			  (size_t)sqlite3_column_bytes(st, 1));
	rc = stop ? stop : rc == SQLITE_DONE ? 0 : fail(s, "alerts");
	sqlite3_reset(st);
	return rc;
}

static int sq_log_pos(struct store_be *s, const char *log, struct store_log_pos *pos)
{
	sqlite3_stmt *st = s->get_pos;
	int rc;

	memset(pos, 0, sizeof(*pos));
	sqlite3_reset(st);
	bind_text(st, 1, log);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		pos->id = sqlite3_column_int64(st, 0);
		pos->ino = (uint64_t)sqlite3_column_int64(st, 1);
		pos->offset = (uint64_t)sqlite3_column_int64(st, 2);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "alert log position");
	sqlite3_reset(st);
	return rc;
}

static int sq_set_log_pos(struct store_be *s, const char *log, const struct store_log_pos *pos)
{
	sqlite3_stmt *st = s->set_pos;
	int rc;

	sqlite3_reset(st);
	bind_text(st, 1, log);
	sqlite3_bind_int64(st, 2, pos->id);
	sqlite3_bind_int64(st, 3, (int64_t)pos->ino);
	sqlite3_bind_int64(st, 4, (int64_t)pos->offset);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "set alert log position");
}

static void bind_opt(sqlite3_stmt *st, int col, const char *t)
{
	bind_text(st, col, t && *t ? t : NULL);
}

static int insert_gw_event(struct store_be *s, const char *gateway, uint64_t stream,
			   uint64_t seq, uint32_t idx, const uint8_t *text, size_t len,
			   double received)
{
	sqlite3_stmt *st = s->ins_gw;
	struct gw_event *ev = &s->gw;
	int rc;

	gw_event_parse((const char *)text, len, ev);
	sqlite3_reset(st);
	bind_text(st, 1, gateway);
	sqlite3_bind_int64(st, 2, (int64_t)stream);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	sqlite3_bind_int64(st, 4, idx);
	sqlite3_bind_double(st, 5, ev->time > 0 ? ev->time : received);
	bind_opt(st, 6, ev->event_type);
	bind_opt(st, 7, ev->src_ip);
	bind_num(st, 8, ev->src_port);
	bind_opt(st, 9, ev->dest_ip);
	bind_num(st, 10, ev->dest_port);
	bind_opt(st, 11, ev->proto);
	bind_num(st, 12, ev->flow_id);
	bind_opt(st, 13, ev->sni);
	bind_opt(st, 14, ev->action);
	bind_opt(st, 15, ev->checks);
	bind_opt(st, 16, ev->rule);
	bind_opt(st, 17, ev->profile);
	bind_opt(st, 18, ev->zone);
	sqlite3_bind_text(st, 19, (const char *)text, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "insert gateway event");
}

/* A package's events, audit events or a gateway's EVE lines, into the
 * open transaction after the package's row. */
static int sq_package(struct store_be *s, const char *who, uint64_t stream, uint64_t seq,
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
	c = cur_make((const uint8_t *)body->data, body->len);
	for (n = 0; aw_body_next(&c, &ev, &len) == 1; n++) {
		rc = gw ? insert_gw_event(s, who, stream, seq, n, ev, len, received)
			: insert_event(s, who, stream, seq, n, ev, len);
		if (rc == -EPROTO) {
			/* an audit event without a stamp: keep the raw text all the same */
			rc = 0;
		}
		if (rc < 0)
			return rc == -ENOSPC ? -ENOSPC : -EIO;
	}
	return 1;
}

/* Prepares sql and binds store_gw_where's text parameters. */
static int prepare_gw(struct store_be *s, struct buf *sql, const struct store_gw_filter *f,
		      const char *tail, sqlite3_stmt **st)
{
	const char *params[STORE_GW_MAX_PARAMS];
	char num[2][32];
	int n, i;

	n = store_gw_where(sql, f, false, params, num);
	buf_puts(sql, tail);
	if (sql->oom || sqlite3_prepare_v2(s->db, buf_cstr(sql), -1, st, NULL) != SQLITE_OK)
		return fail(s, "gateway events");
	for (i = 0; i < n; i++)
		sqlite3_bind_text(*st, i + 1, params[i], -1, SQLITE_TRANSIENT);
	return 0;
}

static int sq_gw_query(struct store_be *s, const struct store_gw_filter *f,
		       store_gw_fn fn, void *ctx)
{
	struct buf sql = { 0 }, tail = { 0 };
	sqlite3_stmt *st = NULL;
	struct store_gw_row r;
	int rc;

	store_cols_select(&sql, &store_gw_cols);
	buf_puts(&tail, f->newest ? " ORDER BY time DESC, gateway, stream, seq DESC, idx DESC"
				  : " ORDER BY time, gateway, stream, seq, idx");
	if (f->limit > 0)
		buf_printf(&tail, " LIMIT %ld", f->limit);
	rc = prepare_gw(s, &sql, f, buf_cstr(&tail), &st);
	if (rc < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &store_gw_cols, &r);
		if (fn(ctx, &r))
			break;
	}
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail(s, "gateway events");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	buf_free(&tail);
	return rc;
}

static int sq_gw_count(struct store_be *s, const struct store_gw_filter *f, const char *col,
		       int (*fn)(void *ctx, const char *name, int64_t n), void *ctx)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	buf_printf(&sql, "SELECT %s, count(*) FROM gateway_events", col);
	rc = prepare_gw(s, &sql, f, " GROUP BY 1 ORDER BY 2 DESC, 1", &st);
	if (rc < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, col_text(st, 0), sqlite3_column_int64(st, 1)))
			break;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : fail(s, "gateway events");
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return rc;
}

static int sq_agent_address(struct store_be *s, const char *agent, const char *address,
			    double now)
{
	sqlite3_stmt *st = s->set_addr;
	int rc;

	sqlite3_reset(st);
	bind_text(st, 1, agent);
	sqlite3_bind_double(st, 2, now);
	bind_text(st, 3, address);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "agent address");
}

static int sq_agents_at(struct store_be *s, const char *address,
			int (*fn)(void *ctx, const char *agent), void *ctx)
{
	sqlite3_stmt *st = s->get_at;
	int rc, stop = 0;

	sqlite3_reset(st);
	bind_text(st, 1, address);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, col_text(st, 0));
	rc = stop ? 0 : rc == SQLITE_DONE ? 0 : fail(s, "agents at address");
	sqlite3_reset(st);
	return rc;
}

/* The fields of the alert lines (audit_alert.h) by SQLite's JSON1; a line
 * that is not JSON shows as empty fields rather than failing the query. */
static int sq_audit_alerts(struct store_be *s, long limit, store_audit_alert_fn fn,
			   void *ctx)
{
	static const char sql[] =
		"SELECT id, json_extract(j, '$.timestamp'),"
		" json_extract(j, '$.secaudit.audit.agent'),"
		" json_extract(j, '$.alert.signature'), json_extract(j, '$.secaudit.rule'),"
		" json_extract(j, '$.secaudit.audit.exe'), json_extract(j, '$.secaudit.audit.comm'),"
		" json_extract(j, '$.alert.signature_id'), json_extract(j, '$.alert.severity'),"
		" json_extract(j, '$.secaudit.audit.pid'), json_extract(j, '$.secaudit.audit.uid')"
		" FROM (SELECT id, CASE WHEN json_valid(line) THEN line ELSE '{}' END AS j"
		" FROM alerts ORDER BY id DESC LIMIT ?)";
	struct store_audit_alert a;
	sqlite3_stmt *st = NULL;
	int rc, stop = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "audit alerts");
	sqlite3_bind_int64(st, 1, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(st, 0);
		a.timestamp = col_text(st, 1);
		a.agent = col_text(st, 2);
		a.signature = col_text(st, 3);
		a.rule = col_text(st, 4);
		a.exe = col_text(st, 5);
		a.comm = col_text(st, 6);
		a.sid = col_num(st, 7);
		a.severity = col_num(st, 8);
		a.pid = col_num(st, 9);
		a.uid = col_num(st, 10);
		stop = fn(ctx, &a);
	}
	rc = stop ? stop : rc == SQLITE_DONE ? 0 : fail(s, "audit alerts");
	sqlite3_finalize(st);
	return rc;
}

const struct store_backend *store_sqlite_backend(void)
{
	static const struct store_backend be = {
		.open = sq_open,
		.close = sq_close,
		.error = sq_error,
		.begin = sq_begin,
		.package = sq_package,
		.commit = sq_commit,
		.rollback = sq_rollback,
		.committed = sq_committed,
		.agent_stats = sq_agent_stats,
		.query = sq_query,
		.count = sq_count,
		.alert = sq_alert,
		.alerts_after = sq_alerts_after,
		.log_pos = sq_log_pos,
		.set_log_pos = sq_set_log_pos,
		.gw_query = sq_gw_query,
		.gw_count = sq_gw_count,
		.agent_address = sq_agent_address,
		.agents_at = sq_agents_at,
		.audit_alerts = sq_audit_alerts,
	};

	return &be;
}
