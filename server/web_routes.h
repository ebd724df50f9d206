/*
 * web_routes: what the web view answers, from a read-only store. Pages
 * (HTML, web_html.h) and beside each its JSON for scripts:
 *   /                                 overview: blocks per gateway, top
 *                                     checks and blocks per hour (24 h)
 *   /blocks    /api/blocks            the newest blocks of each gateway
 *   /checks    /api/checks            failed checks of the blocks, most first
 *   /timeline  /api/timeline          blocks per time bucket
 *   /audit     /api/audit             recent audit alerts per host
 *   /style.css
 * A block is a gateway event (store.h, gateway_events) of type alert whose
 * action is blocked. Query parameters: limit (rows per gateway or host,
 * 1..1000, default 50), gateway, host, hours (the window of checks and
 * timeline, ending now, 1..2160, default 24), bucket (seconds, 60..86400,
 * default 3600; at most 1000 buckets). Another path is 404, a bad
 * parameter 400, a store that cannot be read 503.
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
