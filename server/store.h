/*
 * store: where the server keeps packages and their events. One interface,
 * two backends chosen by URI: "sqlite:PATH" (default; WAL, synchronous=FULL)
 * and "postgresql://..." (libpq, same schema; store_pg.h).
 *
 * Idempotence: a package is identified by (agent, stream, seq), UNIQUE in
 * the packages table; storing one that is already there stores nothing and
 * returns 0. Writes happen inside store_begin/store_commit; a package counts
 * as stored only once store_commit returned 0 (the commit is durable then).
 *
 * Alerts: the lines of an alert log are rows of the store, added in the
 * transaction of the events they describe and numbered in commit order;
 * the log is written from them after the commit, and the store keeps how
 * far it got (store_log_pos), so a crash between the commit and the write
 * neither loses nor doubles a line (server.c, write_alerts).
 *
 * Not thread-safe: one store per thread.
 */
#ifndef SECAUDIT_STORE_H
#define SECAUDIT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_rec.h"
#include "audit_wire.h"
#include "buf.h"

struct store;

/* Opens (creating the schema). NULL with the reason in err. */
struct store *store_open(const char *uri, char *err, size_t errsz);
/* Opens for reading only: no schema is made (the writer's store_open made
 * it; NULL until then) and the database refuses every write. For readers
 * beside the writer, like the web view's thread. */
struct store *store_open_readonly(const char *uri, char *err, size_t errsz);
void store_close(struct store *s);
/* The last error's text (valid until the next call). */
const char *store_error(struct store *s);

int store_begin(struct store *s);
/*
 * Stores a package whose body (decompressed) holds n_events events.
 * 1 stored, 0 already stored (nothing written), -EIO on a store error
 * (the transaction must then be rolled back), -EPROTO when the body does
 * not hold n_events well-formed events (nothing written).
 */
int store_package(struct store *s, const char *agent, uint64_t stream,
		  uint64_t seq, uint32_t n_events, const struct buf *body,
		  double received);
/* 0, or -ENOSPC / -EIO after which the transaction is rolled back. */
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* The highest committed seq for agent and stream (0 when none). */
int store_committed(struct store *s, const char *agent, uint64_t stream,
		    uint64_t *seq);
int store_agent_stats(struct store *s, const char *agent,
		      const struct aw_stats *st, double now);

/* How far an alert log was written: the last alert id in it, and the
 * log file's inode and size just after that alert's line. */
struct store_log_pos {
	int64_t id;
	uint64_t ino, offset;
};

/* Adds one alert line (with its '\n') of the log named log (several
 * servers may share a PostgreSQL store: each names its own log) to the
 * open transaction. 0 or -EIO/-ENOSPC. */
int store_alert(struct store *s, const char *log, const char *line, size_t len);
typedef int (*store_alert_fn)(void *ctx, int64_t id, const char *line, size_t len);
/* Calls fn for each committed alert of log with an id above after, in id
 * order; stops at fn's nonzero (returned). */
int store_alerts_after(struct store *s, const char *log, int64_t after,
		       store_alert_fn fn, void *ctx);
/* The position last set for log (all zero when none was). */
int store_log_pos(struct store *s, const char *log, struct store_log_pos *pos);
/* Sets it, in the open transaction. */
int store_set_log_pos(struct store *s, const char *log, const struct store_log_pos *pos);

/* Query side (secaudit query). Empty strings and -1 mean "any". */
struct store_filter {
	const char *agent, *syscall, *program, *key;
	double since, until;	/* 0: open */
	int64_t uid;		/* -1: any */
	int success;		/* -1: any */
	long limit;		/* 0: none */
};

struct store_row {
	const char *agent;
	int64_t stream, seq;
	double time;
	int64_t serial;
	const char *type, *records, *syscall_name;
	int64_t syscall, arch, success, exit, pid, ppid, uid, auid, euid, gid, ses;
	const char *tty, *comm, *exe, *cwd, *key, *args_json, *paths_json, *raw;
};

typedef int (*store_row_fn)(void *ctx, const struct store_row *r);
/* Calls fn for each matching event in time order; stops at fn's nonzero. */
int store_query(struct store *s, const struct store_filter *f,
		store_row_fn fn, void *ctx);
/* Counts by "agent" or "syscall": fn gets (name, count). */
int store_count(struct store *s, const struct store_filter *f, const char *by,
		int (*fn)(void *ctx, const char *name, int64_t n), void *ctx);

/*
 * Gateway events: the EVE JSON lines (alert, tls, ...) secaudit-monitor
 * ships over the same channel (audit_wire kind AW_KIND_EVE). Table
 * gateway_events, one row per line, the same in SQLite and PostgreSQL:
 *
 *   gateway    TEXT NOT NULL  the monitor's identity: its certificate's
 *                             subject, as agents are named (RFC 2253 text,
 *                             e.g. "O=Example,CN=gw-a")
 *   stream, seq, idx  INTEGER the exactly-once key (package and place in it),
 *                             UNIQUE(gateway, stream, seq, idx)
 *   time       REAL NOT NULL  the event's "timestamp", epoch seconds (the
 *                             time received when the line has none)
 *   event_type TEXT           'alert' | 'tls' | 'anomaly' | ...
 *   src_ip TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER, proto TEXT
 *   flow_id    INTEGER        the monitor's flow id (one per session)
 *   sni        TEXT           tls.sni
 *   action     TEXT           alert.action: 'allowed' | 'blocked' | ...
 *   checks     TEXT           failed checks, comma-joined, e.g.
 *                             "certificate.untrusted,certificate.expired"
 *   rule       TEXT           the failed rule whose sid the alert carries
 *                             (e.g. "baseline.certificate.expired"), else the sid
 *   profile, zone  TEXT       secaudit.policy.profile / .zone
 *   json       TEXT NOT NULL  the line as received
 *
 * Indexes: gateway_events(time), gateway_events(gateway, time). Text
 * columns are NULL when the line lacks the field (rows read "" then).
 * The packages table keeps (gateway, stream, seq) as for agents, so
 * store_committed answers for a gateway's stream too.
 */

/* Like store_package, for a package of EVE lines from gateway: its rows
 * go into the open transaction. A line that is not JSON is kept (json,
 * time received, other columns NULL). Same returns. */
int store_gateway_package(struct store *s, const char *gateway, uint64_t stream,
			  uint64_t seq, uint32_t n_events, const struct buf *body,
			  double received);

/* Filter of gateway events; NULL or "" and 0 mean "any". gateway is the
 * whole identity or its CN ("gw-a" finds "O=Example,CN=gw-a"). */
struct store_gw_filter {
	const char *gateway, *event_type, *sni, *action, *zone, *profile, *rule;
	const char *check;	/* one check name, matched against checks' items */
	const char *addr;	/* src_ip or dest_ip */
	double since, until;	/* time >= since, time < until */
	long limit;		/* 0: none; with newest, the newest `limit` rows */
	bool newest;		/* newest first (default: time order) */
};

struct store_gw_row {
	const char *gateway;
	int64_t stream, seq, idx;
	double time;
	const char *event_type, *src_ip, *dest_ip, *proto;
	int64_t src_port, dest_port, flow_id;	/* -1: NULL */
	const char *sni, *action, *checks, *rule, *profile, *zone, *json;
};

typedef int (*store_gw_fn)(void *ctx, const struct store_gw_row *r);
/* Calls fn for each matching row (time order, or newest first); stops at
 * fn's nonzero. The row's strings live until fn returns. 0 or -EIO. */
int store_gw_query(struct store *s, const struct store_gw_filter *f,
		   store_gw_fn fn, void *ctx);
/*
 * Counts matching rows grouped by one column: "gateway", "event_type",
 * "sni", "action", "rule", "profile", "zone", "src_ip", "dest_ip", or
 * "check" (each item of checks counted on its own). fn gets (value, n),
 * highest n first; "" for NULL. -EINVAL for another column.
 */
int store_gw_count(struct store *s, const struct store_gw_filter *f, const char *by,
		   int (*fn)(void *ctx, const char *name, int64_t n), void *ctx);

/* Agents' addresses (the peer address of their last session, recorded
 * at HELLO): the correlation of a gateway's source address with a host. */
int store_agent_address(struct store *s, const char *agent, const char *address,
			double now);
/* Calls fn for each agent last seen at address. */
int store_agents_at(struct store *s, const char *address,
		    int (*fn)(void *ctx, const char *agent), void *ctx);

/* The web view's reading of the audit alerts (the alert lines stored by
 * store_alert, whatever their log), newest first. Strings are "" when the
 * line lacks them, numbers -1; all valid only during the call. */
struct store_audit_alert {
	int64_t id;
	const char *timestamp, *agent, *signature, *rule, *exe, *comm;
	int64_t sid, severity, pid, uid;
};
typedef int (*store_audit_alert_fn)(void *ctx, const struct store_audit_alert *a);
/* Calls fn for the newest limit alerts; stops at fn's nonzero. */
int store_audit_alerts(struct store *s, long limit, store_audit_alert_fn fn, void *ctx);

#endif
