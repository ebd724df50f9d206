/*
 * web_routes: what the web view answers, from a read-only store. Pages
 * (HTML, web_html.h) and beside each its JSON for scripts:
 *   /  overview             /audit  /api/audit  recent audit alerts per host
 *   /style.css              (the gateway views join here as the store has them)
 * Query parameters: limit (rows, 1..1000), host. Anything else is 404;
 * a store that cannot be read, 503.
 */
#ifndef SECAUDIT_WEB_ROUTES_H
#define SECAUDIT_WEB_ROUTES_H

#include "buf.h"
#include "store.h"
#include "web_http.h"

struct web_response {
	int status;
	const char *reason;	/* the status line's text */
	const char *type;	/* Content-Type */
	struct buf body;	/* the caller frees it (buf_free) */
};

/* Answers r into *out (zeroed by the caller) from s; s NULL: the store
 * could not be opened (503). A HEAD gets the GET's headers and length;
 * the caller leaves the body out. */
void web_route(struct store *s, const struct web_request *r, struct web_response *out);

#endif
