/*
 * server: the secaudit-server event loop. One thread, poll() over the
 * listening socket and every agent connection. Each loop round reads what
 * the connections have, stores every new package in ONE transaction, commits
 * it, and only then queues the cumulative ACKs (group commit: acknowledged
 * means durable). When the commit fails, the connections whose packages were
 * in it get an ERROR frame (AW_ERR_STORE) and are closed; their agents
 * resend after reconnecting.
 *
 * Analysis: with rules, each newly stored event is matched against them
 * (audit_rules.h); the alert lines of a round are written to the alert
 * log after its commit, so an event's alerts are written once, like the
 * event is stored once (a package resent after a failed commit alerts
 * then, not twice).
 *
 * Once the socket is bound and the store, TLS context and alert log are
 * open, the server drops root for opts.user (privdrop.h).
 *
 * SIGHUP rebuilds the TLS context (certificate, CA, CRL) for new
 * connections, reloads the rules (a set that does not load leaves the
 * running one in force) and reopens the alert log; after the drop these
 * files must be readable (the log's directory writable) by the user.
 * SIGINT/SIGTERM make server_run return.
 */
#ifndef SECAUDIT_SERVER_H
#define SECAUDIT_SERVER_H

#include <stdbool.h>

#include "tls_ctx.h"

struct server_opts {
	const char *listen;	/* ADDR:PORT */
	const char *store;	/* sqlite:PATH | postgresql://... */
	struct tls_ctx_opts tls;
	unsigned window;	/* packages in flight per agent (WELCOME) */
	unsigned max_conns;
	unsigned handshake_timeout_ms;
	unsigned idle_timeout_ms;
	const char *rules;	/* file or directory; NULL: no analysis */
	const char *alert_log;	/* NULL: standard output */
	const char *user;	/* "root": no drop */
	const char *stats_socket;	/* NULL: none (statsock.h) */
};

/* Runs until SIGINT/SIGTERM. 0, or 1 when it could not start (logged). */
int server_run(const struct server_opts *o);

/* "HOST:PORT" (HOST may be [v6]) into host and port; false when malformed. */
bool server_split_hostport(const char *s, char *host, size_t hostsz,
			   char *port, size_t portsz);

/* A listening TCP socket (non-blocking, close-on-exec) on "HOST:PORT";
 * -1 when that fails (logged). */
int server_listen(const char *addr);

#endif
