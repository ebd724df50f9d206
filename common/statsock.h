/*
 * statsock: a daemon's counters over a local unix socket (secaudit-monitor,
 * secaudit-agent and secaudit-server each keep one).
 *
 * Protocol (version 1): a client connects to the stream socket; the daemon
 * writes exactly one line, a JSON object of counters terminated by "\n",
 * and closes. The client sends nothing. The object's first keys are
 * "statsock":1 (the protocol version) and "daemon":"monitor"|"agent"|
 * "server" (a line without it is the monitor's); the rest is the daemon's
 * to define (see docs/deploy.md). `secaudit stats` is the client.
 *
 * Server side: the daemon opens the socket (before dropping privileges),
 * polls statsock_fd() with its other descriptors and calls statsock_serve()
 * when it is readable. Single-threaded: one thread owns a struct statsock.
 */
#ifndef SECAUDIT_STATSOCK_H
#define SECAUDIT_STATSOCK_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

#define STATSOCK_DEFAULT_PATH "/run/secaudit/monitor.sock"
#define STATSOCK_AGENT_PATH "/run/secaudit/agent.sock"
#define STATSOCK_SERVER_PATH "/run/secaudit/server.sock"
#define STATSOCK_MAX_LINE (1u << 20)

struct statsock;

/* Writes the counters as the members of the already open JSON object
 * (statsock has written "statsock" and "daemon" first and closes it after). */
typedef void (*statsock_render_fn)(void *arg, struct json *j);

/*
 * Listens on path (a stale socket file left there is replaced; any other
 * kind of file is refused with -EEXIST), mode 0660, answering as daemon (a
 * static string: "monitor", "agent" or "server"). NULL on failure with a
 * negative errno in *err.
 */
struct statsock *statsock_open(const char *path, const char *daemon, int *err);
/* Closes the socket and removes its file. NULL is fine. */
void statsock_close(struct statsock *s);
int statsock_fd(const struct statsock *s);

/*
 * Accepts every pending connection without blocking and answers each with
 * one rendered line (render is called once per client). A client that does
 * not take the line within 100 ms is dropped. Returns the number of clients
 * answered, or a negative errno when accept() failed for a reason other
 * than an empty backlog.
 */
int statsock_serve(struct statsock *s, statsock_render_fn render, void *arg);

/*
 * Client: connects to path, reads the one line (at most STATSOCK_MAX_LINE
 * bytes, within timeout_ms) into out, without its "\n". 0, or a negative
 * errno (-ENOENT / -ECONNREFUSED: no daemon; -ETIMEDOUT; -EPROTO: no
 * complete line).
 */
int statsock_query(const char *path, struct buf *out, int timeout_ms);

#endif
