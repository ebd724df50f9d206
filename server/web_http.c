/* web_http: HTTP/1.x request heads (RFC 9112); contract in web_http.h. */
#include "web_http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cursor.h"

/* RFC 9110 5.6.2: tchar */
static bool is_tchar(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
	       (b >= 'A' && b <= 'Z') || (b && strchr("!#$%&'*+-.^_`|~", b));
}

static int hexval(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	if (b >= 'A' && b <= 'F')
		return b - 'A' + 10;
	return -1;
}

/*
 * The head's length up to and including its blank line: >0, 0 when it is
 * not complete yet, -EPROTO at a bare LF (RFC 9112 2.2 lets a server take
 * one; this one refuses it rather than guess where lines end).
 */
static long head_length(const struct cursor *c)
{
	size_t i, end = cur_left(c) < WEB_HTTP_MAX_HEAD ? cur_left(c) : WEB_HTTP_MAX_HEAD;
	uint8_t b, prev = 0, b2, b3;

	for (i = 0; i < end && cur_peek_u8(c, i, &b); prev = b, i++) {
		if (b != '\n')
			continue;
		if (prev != '\r')
			return -EPROTO;
		/* "\r\n\r\n": this LF ends an empty line */
		if (i >= 3 && cur_peek_u8(c, i - 3, &b3) && b3 == '\r' &&
		    cur_peek_u8(c, i - 2, &b2) && b2 == '\n')
			return (long)i + 1;
	}
	return cur_left(c) >= WEB_HTTP_MAX_HEAD ? -EMSGSIZE : 0;
}

/* Splits the next CRLF-terminated line off c (head_length vouched that
 * every LF has its CR). */
static bool next_line(struct cursor *c, struct cursor *line)
{
	uint8_t b;
	size_t i;

	for (i = 0; cur_peek_u8(c, i, &b); i++)
		if (b == '\r')
			return cur_sub(c, line, i) && cur_skip(c, 2);
	return false;
}

/* Splits c at the first byte stop (consumed) into *part; false if none. */
static bool split_at(struct cursor *c, uint8_t stop, struct cursor *part)
{
	uint8_t b;
	size_t i;

	for (i = 0; cur_peek_u8(c, i, &b); i++)
		if (b == stop)
			return cur_sub(c, part, i) && cur_skip(c, 1);
	return false;
}

static bool cur_is(const struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	const uint8_t *p;
	struct cursor t = *c;

	return cur_left(c) == n && cur_bytes(&t, &p, n) && !memcmp(p, s, n);
}

static bool cur_is_nocase(const struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	const uint8_t *p;
	struct cursor t = *c;

	return cur_left(c) == n && cur_bytes(&t, &p, n) &&
	       !strncasecmp((const char *)p, s, n);
}

/*
 * Percent-decodes c into out[0..outsz) (NUL-terminated); '+' is a space when
 * plus is set (the query's form encoding). -ENAMETOOLONG when it does not
 * fit, -EPROTO at a bad escape or a decoded control character.
 */
static int decode(struct cursor c, bool plus, char *out, size_t outsz)
{
	size_t n = 0;
	uint8_t b, h1, h2;

	while (cur_u8(&c, &b)) {
		if (b == '%') {
			if (!cur_u8(&c, &h1) || !cur_u8(&c, &h2) ||
			    hexval(h1) < 0 || hexval(h2) < 0)
				return -EPROTO;
			b = (uint8_t)(hexval(h1) << 4 | hexval(h2));
		} else if (b == '+' && plus) {
			b = ' ';
		}
		if (b < 0x20 || b == 0x7f)
			return -EPROTO;
		if (n + 1 >= outsz)
			return -ENAMETOOLONG;
		out[n++] = (char)b;
	}
	out[n] = '\0';
	return 0;
}

static int parse_query(struct cursor q, struct web_request *r)
{
	struct cursor part, name, value;
	struct web_param *pm;
	int rc;

	while (cur_left(&q)) {
		if (!split_at(&q, '&', &part)) {
			part = q;
			cur_skip(&q, cur_left(&q));
		}
		if (!cur_left(&part))
			continue;
		if (r->nparams == WEB_HTTP_MAX_PARAMS)
			return -ENAMETOOLONG;
		pm = &r->params[r->nparams++];
		if (!split_at(&part, '=', &name)) {
			name = part;
			cur_skip(&part, cur_left(&part));
		}
		value = part;
		if ((rc = decode(name, true, pm->name, sizeof(pm->name))) < 0 ||
		    (rc = decode(value, true, pm->value, sizeof(pm->value))) < 0)
			return rc;
	}
	return 0;
}

/* RFC 9112 3.2.1: origin-form = absolute-path [ "?" query ] */
static int parse_target(struct cursor t, struct web_request *r)
{
	struct cursor path;
	uint8_t b;
	size_t i;
	int rc;

	if (!cur_peek_u8(&t, 0, &b) || b != '/')
		return -EPROTO;
	for (i = 0; cur_peek_u8(&t, i, &b); i++)
		if (b <= 0x20 || b >= 0x7f || b == '#')
			return -EPROTO;
	if (!split_at(&t, '?', &path)) {
		path = t;
		cur_skip(&t, cur_left(&t));
	}
	rc = decode(path, false, r->path, sizeof(r->path));
	return rc < 0 ? rc : parse_query(t, r);
}

/* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT */
static int parse_version(struct cursor v, struct web_request *r)
{
	const uint8_t *p;

	if (cur_left(&v) != 8 || !cur_bytes(&v, &p, 8) || memcmp(p, "HTTP/", 5) ||
	    p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
		return -EPROTO;
	if (p[5] != '1')
		return -EPROTONOSUPPORT;
	r->minor = p[7] - '0';
	return 0;
}

/* RFC 9112 3: request-line = method SP request-target SP HTTP-version */
static int parse_request_line(struct cursor line, struct web_request *r)
{
	struct cursor method, target;
	uint8_t b;
	size_t i;
	int rc;

	if (!split_at(&line, ' ', &method) || !split_at(&line, ' ', &target) ||
	    !cur_left(&method))
		return -EPROTO;
	for (i = 0; cur_peek_u8(&method, i, &b); i++)
		if (!is_tchar(b))
			return -EPROTO;
	if ((rc = parse_version(line, r)) < 0)
		return rc;
	if (cur_is(&method, "GET"))
		r->method = WEB_GET;
	else if (cur_is(&method, "HEAD"))
		r->method = WEB_HEAD;
	else
		return -ENOTSUP;
	return parse_target(target, r);
}

/* RFC 9112 5: field-line = field-name ":" OWS field-value OWS. Counts
 * Host; refuses obsolete folding, a body and Transfer-Encoding. */
static int parse_field(struct cursor line, unsigned *hosts)
{
	struct cursor name, value;
	uint8_t b;
	size_t i, n;

	if (!split_at(&line, ':', &name) || !cur_left(&name))
		return -EPROTO;	/* also a folded line: it has no name */
	for (i = 0; cur_peek_u8(&name, i, &b); i++)
		if (!is_tchar(b))	/* whitespace before ':' too (5.1) */
			return -EPROTO;
	while (cur_peek_u8(&line, 0, &b) && (b == ' ' || b == '\t'))
		cur_skip(&line, 1);
	for (n = cur_left(&line); n && cur_peek_u8(&line, n - 1, &b) &&
	     (b == ' ' || b == '\t'); n--)
		;
	if (!cur_sub(&line, &value, n))
		return -EPROTO;
	for (i = 0; cur_peek_u8(&value, i, &b); i++)
		if ((b < 0x20 && b != '\t') || b == 0x7f)
			return -EPROTO;
	if (cur_is_nocase(&name, "host"))
		(*hosts)++;
	else if (cur_is_nocase(&name, "transfer-encoding"))
		return -EMSGSIZE;
	else if (cur_is_nocase(&name, "content-length")) {
		if (!cur_left(&value))
			return -EPROTO;
		for (i = 0; cur_peek_u8(&value, i, &b); i++)
			if (b < '0' || b > '9')
				return -EPROTO;
			else if (b != '0')
				return -EMSGSIZE;
	}
	return 0;
}

int web_http_parse(const uint8_t *p, size_t len, struct web_request *r)
{
	struct cursor in = cur_make(p, len), head, line;
	unsigned hosts = 0;
	long hl = head_length(&in);
	int rc;

	if (hl <= 0)
		return (int)hl;
	memset(r, 0, sizeof(*r));
	if (!cur_sub(&in, &head, (size_t)hl) || !next_line(&head, &line))
		return -EPROTO;
	if ((rc = parse_request_line(line, r)) < 0)
		return rc;
	while (next_line(&head, &line) && cur_left(&line))
		if ((rc = parse_field(line, &hosts)) < 0)
			return rc;
	/* RFC 9112 3.2: a 1.1 request without exactly one Host is refused */
	if (r->minor >= 1 && hosts != 1)
		return -EPROTO;
	return hosts > 1 ? -EPROTO : 1;
}

const char *web_http_param(const struct web_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].name, name))
			return r->params[i].value;
	return NULL;
}

int web_http_error_status(int err, const char **text)
{
	switch (err) {
	case -EMSGSIZE: *text = "Content Too Large"; return 413;
	case -ENOTSUP: *text = "Method Not Allowed"; return 405;
	case -EPROTONOSUPPORT: *text = "HTTP Version Not Supported"; return 505;
	case -ENAMETOOLONG: *text = "URI Too Long"; return 414;
	default: *text = "Bad Request"; return 400;
	}
}
