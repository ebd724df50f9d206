/*
 * store_pg: the PostgreSQL backend of store.h (libpq), same schema and
 * contract as the SQLite one; store.c dispatches to it for postgresql://
 * URIs. Events go in with COPY for speed; a disk-full commit (SQLSTATE
 * 53100) returns -ENOSPC.
 */
#ifndef SECAUDIT_STORE_PG_H
#define SECAUDIT_STORE_PG_H

#include "store.h"

struct pgstore;

struct pgstore *pgstore_open(const char *uri, char *err, size_t errsz);
void pgstore_close(struct pgstore *s);
const char *pgstore_error(struct pgstore *s);
int pgstore_begin(struct pgstore *s);
int pgstore_package(struct pgstore *s, const char *agent, uint64_t stream,
		    uint64_t seq, uint32_t n_events, const struct buf *body,
		    double received);
int pgstore_commit(struct pgstore *s);
void pgstore_rollback(struct pgstore *s);
int pgstore_committed(struct pgstore *s, const char *agent, uint64_t stream,
		      uint64_t *seq);
int pgstore_agent_stats(struct pgstore *s, const char *agent,
			const struct aw_stats *st, double now);
int pgstore_query(struct pgstore *s, const struct store_filter *f,
		  store_row_fn fn, void *ctx);
int pgstore_count(struct pgstore *s, const struct store_filter *f,
		  const char *by,
		  int (*fn)(void *ctx, const char *name, int64_t n), void *ctx);

#endif
