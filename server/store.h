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

#endif
