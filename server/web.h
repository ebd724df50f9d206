/*
 * web: the read-only web view of secaudit-server (config `web:`, flag
 * --web). Its own thread and poll() loop, so a slow browser never holds up
 * the channel's loop; its own read-only store handle (store_open_readonly),
 * opened by web_start (which makes the schema first, as the server's own
 * open would) and opened again at the next request after a failure.
 *
 * Access is the channel's: HTTPS with the server's certificate and key, and
 * only for clients whose certificate chains to the same CA and is not on
 * the CRL (tls_ctx.h; no certificate, no handshake). One request per
 * connection (Connection: close); a request head is at most
 * WEB_HTTP_MAX_HEAD bytes (web_http.h), a connection lives at most
 * WEB_CONN_TIMEOUT_MS, at most WEB_MAX_CONNS at once. The certificate, key,
 * CA and CRL files are looked at every second and the TLS context rebuilt
 * when one changed (a rebuild that fails keeps the previous one). The
 * thread runs WEB_NICE nicer than the process, so that rendering pages yields the CPU to
 * the channel's loop (bench/central.py measures the storing rate with and
 * without the view busy).
 */
#ifndef SECAUDIT_WEB_H
#define SECAUDIT_WEB_H

#include <stddef.h>

#include "tls_ctx.h"

#define WEB_MAX_CONNS 64
#define WEB_CONN_TIMEOUT_MS 10000
#define WEB_NICE 10

struct web_opts {
	const char *listen;		/* ADDR:PORT */
	const char *store;		/* the server's store URI */
	struct tls_ctx_opts tls;	/* the channel's files */
};

struct web;

/* Opens the store, binds, builds the TLS context and starts the thread (with every signal
 * blocked: they stay the main loop's). NULL with the reason in err. The
 * strings of o must outlive the web. */
struct web *web_start(const struct web_opts *o, char *err, size_t errsz);
/* Stops the thread, closes every connection; accepts NULL. */
void web_stop(struct web *w);

#endif
