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
	/* NULL with the reason in err */
	struct store_be *(*open)(const char *uri, char *err, size_t errsz);
	void (*close)(struct store_be *b);
	const char *(*error)(struct store_be *b);
	int (*begin)(struct store_be *b);
	int (*package)(struct store_be *b, const char *agent, uint64_t stream, uint64_t seq,
		       uint32_t n_events, const struct buf *body, double received);
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
};

/* The backends' tables (static storage, never freed). */
const struct store_backend *store_sqlite_backend(void);
const struct store_backend *store_pg_backend(void);

#endif
