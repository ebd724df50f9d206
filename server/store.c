/*
 * store: picks the backend by URI and forwards to its table
 * (store_backend.h); contract in store.h. No backend is special here.
 */
#include "store.h"

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

struct store *store_open(const char *uri, char *err, size_t errsz)
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
	s->b = s->be->open(uri, err, errsz);
	if (!s->b) {
		free(s);
		return NULL;
	}
	return s;
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
	return s->be->package(s->b, agent, stream, seq, n_events, body, received);
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
