/*
 * sender: the network side of a spool, one thread (secaudit-agent's audit
 * packages, secaudit-monitor's gateway events: the kind, in HELLO). It
 * connects to the server (mutual TLS), says HELLO with the spool's stream,
 * held range and kind, takes
 * the server's committed seq from WELCOME, drops what is committed and
 * sends the rest in order, keeping up to `window` packages in flight;
 * cumulative ACKs delete packages from the spool. Any failure closes the
 * connection and it reconnects after an exponential backoff (with jitter,
 * reset by the first ACK). HEARTBEAT and STATS go out every heartbeat
 * interval; silence from the server for three intervals is a dead link.
 *
 * The producing thread never waits for the network: it appends to the
 * spool and calls sender_wake().
 *
 * sender_reload() (the program's SIGHUP) closes the connection; before the
 * next one the sender reads the certificate, key, CA and CRL again, and
 * keeps the previous ones (logged) when they fail. Nothing is lost: what
 * the server has not acknowledged is sent again.
 */
#ifndef SECAUDIT_SENDER_H
#define SECAUDIT_SENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "spool.h"
#include "tls_ctx.h"

struct sender_opts {
	const char *server;		/* HOST:PORT */
	const char *server_name;	/* checked against the certificate; default HOST */
	const char *name;		/* informational, in HELLO */
	uint8_t kind;			/* enum aw_kind; 0 is AW_KIND_AUDIT */
	struct tls_ctx_opts tls;
	unsigned heartbeat_ms;
	unsigned backoff_min_ms, backoff_max_ms;
	unsigned window;		/* our own cap; the server's may be lower */
};

struct sender {
	const struct sender_opts *o;
	struct spool *spool;
	SSL_CTX *ctx;
	int wakefd;
	atomic_bool stop;
	atomic_bool exit_when_drained;	/* set when the input ended */
	atomic_bool reload;		/* set by sender_reload() */
	/* counters for STATS, written by the producing thread */
	atomic_uint_fast64_t kernel_lost, kernel_backlog, events_total;
	/* the sender's own, for the stats socket (agent_stats.h) */
	atomic_uint_fast64_t acked_packages, sent_packages, acks, reconnects;
	atomic_uint_fast64_t last_ack;	/* wall time (s) of the last ACK, 0: none */
	atomic_bool connected;		/* a session is welcomed */
};

/* 0, or -1 with the reason logged (TLS files, eventfd). */
int sender_init(struct sender *s, const struct sender_opts *o,
		struct spool *spool);
void sender_fini(struct sender *s);
/* The thread body: returns when stop is set, or when exit_when_drained is
 * set and the spool is empty. */
void *sender_run(void *arg);
void sender_wake(struct sender *s);
/* Asks for the TLS files to be read again; async-signal-safe (an atomic
 * store and a write to an eventfd), so a signal handler may call it. */
void sender_reload(struct sender *s);
/*
 * The spool's and the sender's counters as two members of an open JSON
 * object, the same in every daemon's stats line (statsock.h):
 *   spool{packages, bytes}  held, not yet acknowledged
 *   spool{dropped_packages, dropped_events}   overflow (drop-oldest)
 *   sender{sent_packages, acks, acked_packages, reconnects, connected,
 *          last_ack}        last_ack: wall time (s) of the last ACK, 0: none
 * Any thread: atomics, and the spool's values read under its lock.
 */
void sender_stats_json(struct sender *s, struct json *j);

#endif
