/*
 * server_stats: secaudit-server's counters, kept by the event loop
 * (server.c, one thread) and written as the members of its stats socket's
 * line (statsock.h; `secaudit stats --server`, also in Prometheus' format):
 *
 *   uptime, connections{accepted, open},
 *   reasons[{reason, refused}]   connections refused, by reason:
 *       bad_cert (verification failed), revoked (by the CRL), no_cert,
 *       tls (any other handshake failure), protocol (an agent broke the
 *       wire protocol), limit (max connections), timeout (handshake)
 *   stored{packages, events}     committed to the store
 *   duplicates                   packages already stored, acknowledged again
 *   store_errors                 transactions or commits that failed
 *   alerts                       alert lines written
 *   agents[{agent, last_seen, sessions}]   per certificate subject seen
 *       since start (at most SERVER_STATS_MAX_AGENTS): last_seen is the
 *       wall time (s) of its last input
 */
#ifndef SECAUDIT_SERVER_STATS_H
#define SECAUDIT_SERVER_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "json.h"

#define SERVER_STATS_MAX_AGENTS 4096

enum server_refusal {
	REFUSED_BAD_CERT, REFUSED_REVOKED, REFUSED_NO_CERT, REFUSED_TLS,
	REFUSED_PROTOCOL, REFUSED_LIMIT, REFUSED_TIMEOUT, REFUSED_N
};

struct server_stats_agent {
	char subject[512];
	uint64_t last_seen, sessions;
};

struct server_stats {
	uint64_t start_ms;			/* CLOCK_MONOTONIC */
	uint64_t accepted, open;
	uint64_t refused[REFUSED_N];
	uint64_t packages, events, duplicates, store_errors, alerts;
	struct server_stats_agent *agents;	/* owned */
	size_t nagents;
};

/* Why a TLS handshake with an agent failed; call before the error queue
 * is cleared (tls_ctx_why clears it). */
enum server_refusal server_stats_refusal(SSL *ssl);

/* The slot of subject (added, with sessions 0, when new): an index into
 * st->agents, or -1 when the table is full or out of memory. */
int server_stats_agent(struct server_stats *st, const char *subject);

/* A statsock_render_fn: arg is a struct server_stats. */
void server_stats_render(void *arg, struct json *j);

void server_stats_free(struct server_stats *st);

#endif
