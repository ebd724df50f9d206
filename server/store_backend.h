/*
 * store_backend: what a store backend provides. store.c picks one by URI
 * and forwards each call of store.h to the entry of the same name, whose
 * contract is that function's; `struct store_be` is each backend's own
 * state (defined in its .c). Backends: store_sqlite.c ("sqlite:PATH") and
 * store_pg.c ("postgresql://...").
 */
#ifndef SECAUDIT_STORE_BACKEND_H
#define SECAUDIT_STORE_BACKEND_H

#include "store.h"

struct store_be;

struct store_backend {
	/* NULL with the reason in err; readonly: store_open_readonly */
	struct store_be *(*open)(const char *uri, bool readonly, char *err, size_t errsz);
	void (*close)(struct store_be *b);
	const char *(*error)(struct store_be *b);
	int (*begin)(struct store_be *b);
	/* store_package, and with gw store_gateway_package (who: the gateway) */
	int (*package)(struct store_be *b, const char *who, uint64_t stream, uint64_t seq,
		       uint32_t n_events, const struct buf *body, double received, bool gw);
	int (*commit)(struct store_be *b);
	void (*rollback)(struct store_be *b);
	int (*committed)(struct store_be *b, const char *agent, uint64_t stream, uint64_t *seq);
	int (*agent_stats)(struct store_be *b, const char *agent, const struct aw_stats *st,
			   double now);
	int (*query)(struct store_be *b, const struct store_filter *f, store_row_fn fn,
		     void *ctx);
	int (*count)(struct store_be *b, const struct store_filter *f, const char *by,
		     int (*fn)(void *ctx, const char *name, int64_t n), void *ctx);
	int (*alert)(struct store_be *b, const char *log, const char *line, size_t len);
	int (*alerts_after)(struct store_be *b, const char *log, int64_t after,
			    store_alert_fn fn, void *ctx);
	int (*log_pos)(struct store_be *b, const char *log, struct store_log_pos *pos);
	int (*set_log_pos)(struct store_be *b, const char *log, const struct store_log_pos *pos);
	int (*gw_query)(struct store_be *b, const struct store_gw_filter *f,
			store_gw_fn fn, void *ctx);
	/* col: a column of gateway_events, already checked by store.c */
	int (*gw_count)(struct store_be *b, const struct store_gw_filter *f, const char *col,
			int (*fn)(void *ctx, const char *name, int64_t n), void *ctx);
	int (*agent_address)(struct store_be *b, const char *agent, const char *address,
			     double now);
	int (*agents_at)(struct store_be *b, const char *address,
			 int (*fn)(void *ctx, const char *agent), void *ctx);
	int (*audit_alerts)(struct store_be *b, long limit, store_audit_alert_fn fn, void *ctx);
};

/*
 * How a query's result columns fill a row struct (store_row, store_gw_row):
 * one map per table, in SELECT order, read by each backend's one row
 * reader. TEXT: a const char * ("" for NULL); INT: an int64_t (-1 for
 * NULL); REAL: a double.
 */
enum store_col_kind { STORE_COL_TEXT, STORE_COL_INT, STORE_COL_REAL };

struct store_col {
	const char *name;
	enum store_col_kind kind;
	size_t off;		/* offsetof the field in the row struct */
};

struct store_cols {
	const struct store_col *v;
	size_t n;
	const char *table;
};

extern const struct store_cols store_event_cols;	/* events -> store_row */
extern const struct store_cols store_gw_cols;		/* gateway_events -> store_gw_row */

/* Appends "SELECT c1, c2, ... FROM table" to sql. */
void store_cols_select(struct buf *sql, const struct store_cols *c);

/* Max parameters store_gw_where makes. */
#define STORE_GW_MAX_PARAMS 12

/*
 * Appends " WHERE ..." for f to sql, with numbered placeholders "?N"
 * (SQLite) or "$N" (dollar, PostgreSQL); every parameter is text, in
 * params[] (the numbers written into num[]). Returns the number of
 * parameters.
 */
int store_gw_where(struct buf *sql, const struct store_gw_filter *f, bool dollar,
		   const char *params[STORE_GW_MAX_PARAMS], char num[2][32]);

/* The backends' tables (static storage, never freed). */
const struct store_backend *store_sqlite_backend(void);
const struct store_backend *store_pg_backend(void);

#endif
