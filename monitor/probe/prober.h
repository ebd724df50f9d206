/*
 * prober: probes run beside the queue threads, with a verdict cache.
 *
 * A small pool of threads runs probe_run(); queue threads never wait for
 * one. Results are cached per probe key (destination address and port,
 * SNI, and the rest of the client's offer that decides the certificate:
 * ALPN, signature algorithms, groups, status_request) for `ttl_s` seconds,
 * never beyond the leaf's notAfter; failures are cached too (negative
 * entries, `negative_ttl_s`), so an unreachable server is not probed per
 * session. One probe per key is in flight at a time: later sessions with
 * that key wait for it. The cache holds at most `cache_size` entries (the
 * least recently used goes first).
 *
 * Safety: the prober only ever connects to the offer's own address and port
 * (the destination the client chose); probes are rate limited over all
 * destinations (`rate_global` per second) and per destination address
 * (`rate_per_dest` per minute), so clients cannot make the gateway fan out.
 * Over a limit, or with the job queue full, the answer is at once a result
 * of status PROBE_RATE_LIMITED, not cached.
 *
 * Threads: prober_get/put/stats may be called from any thread. `done` is
 * called on a pool thread after each probe, without locks held; it should
 * only wake the queue threads (e.g. write an eventfd).
 */
#ifndef SECAUDIT_PROBER_H
#define SECAUDIT_PROBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

struct prober_config {
	unsigned threads;           /* pool threads (default 2) */
	unsigned max_pending;       /* probes waiting for a thread (default 256) */
	size_t cache_size;          /* entries (default 4096) */
	unsigned ttl_s;             /* a good entry's life (default 300) */
	unsigned negative_ttl_s;    /* a failure's life (default 30) */
	unsigned rate_global;       /* probes per second, all destinations (default 50) */
	unsigned rate_per_dest;     /* probes per minute per address (default 30) */
	struct probe_config probe;  /* timeout (default 3000 ms), mark */
};
void prober_config_default(struct prober_config *c);

/* A cached answer. `result` is valid while the caller holds the entry. */
struct prober_entry {
	struct probe_result result;
	uint64_t key_hash;
	/* private */
	uint8_t digest[32];
	int state;
	unsigned refs;
	uint64_t expires_us;
	struct probe_offer offer;
	struct prober_entry *next, *lru_prev, *lru_next;
};

typedef void (*prober_done_fn)(void *arg);

/* Starts the pool. NULL on failure (errno set). */
struct prober *prober_new(const struct prober_config *cfg, prober_done_fn done, void *arg);
/* Stops the threads (waiting for probes running) and frees everything. */
void prober_free(struct prober *p);

enum prober_answer {
	PROBER_READY = 0,           /* *out holds the answer: prober_put() it */
	PROBER_PENDING,             /* a probe runs: ask again after `done` */
};

/*
 * The answer for this offer at monotonic time now_us: a cached one, or a
 * probe started (or already running) for it. READY results include
 * failures and PROBE_RATE_LIMITED answers.
 */
enum prober_answer prober_get(struct prober *p, const struct probe_offer *o, uint64_t now_us,
			      struct prober_entry **out);
void prober_put(struct prober *p, struct prober_entry *e);

struct prober_stats {
	uint64_t probes;            /* probes run */
	uint64_t cache_hits;        /* answers from the cache */
	uint64_t failures;          /* probes that did not get a chain */
	uint64_t rate_limited;      /* answers PROBE_RATE_LIMITED */
	uint64_t latency_us_sum, latency_us_max;
	uint64_t by_status[PROBE_STATUS_COUNT]; /* answers of probes run, and refusals */
	uint64_t entries, in_flight;
};
void prober_stats(struct prober *p, struct prober_stats *out);

#endif
