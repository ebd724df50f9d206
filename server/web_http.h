/*
 * web_http: the request head of an HTTP/1.x request (RFC 9112), as the web
 * view of secaudit-server reads it from a client that has not been trusted
 * with anything yet (its certificate is checked, its bytes are not).
 *
 * Only what a read-only page needs: GET and HEAD in origin form
 * ("/path?query"), HTTP/1.0 and 1.1, a head of at most WEB_HTTP_MAX_HEAD
 * bytes and no body (a Content-Length above 0 or any Transfer-Encoding is
 * refused: nothing here reads one, and a body left unread would be taken
 * for the next request). The path and the query parameters come out
 * percent-decoded ('+' is a space in the query), each bounded.
 */
#ifndef SECAUDIT_WEB_HTTP_H
#define SECAUDIT_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_HTTP_MAX_HEAD 8192
#define WEB_HTTP_MAX_PARAMS 16
#define WEB_HTTP_MAX_PATH 256
#define WEB_HTTP_MAX_NAME 32
#define WEB_HTTP_MAX_VALUE 256

enum web_method { WEB_GET, WEB_HEAD };

struct web_param {
	char name[WEB_HTTP_MAX_NAME];
	char value[WEB_HTTP_MAX_VALUE];
};

struct web_request {
	enum web_method method;
	int minor;			/* HTTP/1.minor */
	char path[WEB_HTTP_MAX_PATH];	/* decoded, no query */
	struct web_param params[WEB_HTTP_MAX_PARAMS];
	size_t nparams;
};

/*
 * Parses the head at the start of p[0..len). 1 with *r filled when the
 * whole head is there; 0 when more bytes are needed (len is below
 * WEB_HTTP_MAX_HEAD and no blank line yet). Errors, each with the status a
 * server answers: -EMSGSIZE the head is longer than WEB_HTTP_MAX_HEAD or a
 * body is announced (413), -ENOTSUP a method other than GET/HEAD (405),
 * -EPROTONOSUPPORT a version other than HTTP/1.x (505), -ENAMETOOLONG a
 * path or parameter over its bound or too many parameters (414), -EPROTO anything
 * malformed, including a missing Host in HTTP/1.1 (400). *r is undefined
 * after an error.
 */
int web_http_parse(const uint8_t *p, size_t len, struct web_request *r);

/* The decoded value of the first query parameter named name, or NULL.
 * Valid as long as r. */
const char *web_http_param(const struct web_request *r, const char *name);

/* The status line's number and text for a web_http_parse error. */
int web_http_error_status(int err, const char **text);

#endif
