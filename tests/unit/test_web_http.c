/*
 * web_http: request heads as the web view reads them (RFC 9112): what is
 * taken (GET/HEAD, origin form, decoded path and query), what waits for
 * more bytes, and what is refused with which status. web_html: escaping of
 * stored values into the pages.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "web_html.h"
#include "web_http.h"

static int parse(const char *s, struct web_request *r)
{
	return web_http_parse((const uint8_t *)s, strlen(s), r);
}

Test(web_http, get_with_query)
{
	struct web_request r;

	cr_assert_eq(parse("GET /blocks?gateway=gw%2D1&limit=20&q=a+b HTTP/1.1\r\n"
			   "Host: localhost:8443\r\nUser-Agent: x\r\n\r\n", &r), 1);
	cr_assert_eq(r.method, WEB_GET);
	cr_assert_eq(r.minor, 1);
	cr_assert_str_eq(r.path, "/blocks");
	cr_assert_eq(r.nparams, 3);
	cr_assert_str_eq(web_http_param(&r, "gateway"), "gw-1");
	cr_assert_str_eq(web_http_param(&r, "limit"), "20");
	cr_assert_str_eq(web_http_param(&r, "q"), "a b");
	cr_assert_null(web_http_param(&r, "host"));
}

Test(web_http, head_and_http10_without_host)
{
	struct web_request r;

	cr_assert_eq(parse("HEAD /a%20b HTTP/1.0\r\n\r\n", &r), 1);
	cr_assert_eq(r.method, WEB_HEAD);
	cr_assert_str_eq(r.path, "/a b");
	cr_assert_eq(r.nparams, 0);
}

Test(web_http, field_whitespace_and_empty_params)
{
	struct web_request r;

	cr_assert_eq(parse("GET /?&&x&y= HTTP/1.1\r\nhOsT:\t h \t\r\nContent-Length: 0\r\n\r\n",
			   &r), 1);
	cr_assert_eq(r.nparams, 2);
	cr_assert_str_eq(web_http_param(&r, "x"), "");
	cr_assert_str_eq(web_http_param(&r, "y"), "");
}

Test(web_http, incomplete_waits)
{
	struct web_request r;

	cr_assert_eq(parse("", &r), 0);
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: h\r\n", &r), 0);
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: h\r\n\r", &r), 0);
}

Test(web_http, oversized_head_and_bodies)
{
	struct web_request r;
	char big[WEB_HTTP_MAX_HEAD + 10];

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	cr_assert_eq(web_http_parse((const uint8_t *)big, sizeof(big), &r), -EMSGSIZE);
	cr_assert_eq(web_http_parse((const uint8_t *)big, WEB_HTTP_MAX_HEAD, &r), -EMSGSIZE);
	cr_assert_eq(web_http_parse((const uint8_t *)big, WEB_HTTP_MAX_HEAD - 1, &r), 0);
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", &r),
		     -EMSGSIZE);
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			   &r), -EMSGSIZE);
}

Test(web_http, methods_and_versions)
{
	struct web_request r;

	cr_assert_eq(parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n", &r), -ENOTSUP);
	cr_assert_eq(parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r), -ENOTSUP);
	cr_assert_eq(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), -EPROTONOSUPPORT);
	cr_assert_eq(parse("GET / HTTP/1.10\r\nHost: h\r\n\r\n", &r), -EPROTO);
	cr_assert_eq(parse("GET / FTP/1.1\r\nHost: h\r\n\r\n", &r), -EPROTO);
	cr_assert_eq(parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", &r), -EPROTO);
}

Test(web_http, malformed)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n\r\n",				/* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",		/* two */
		"GET / HTTP/1.1\nHost: h\n\n",				/* bare LF */
		"GET http://x/ HTTP/1.1\r\nHost: h\r\n\r\n",		/* absolute form */
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",			/* two spaces */
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",			/* space before ':' */
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",	/* obs-fold */
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",			/* bad escape */
		"GET /%0a HTTP/1.1\r\nHost: h\r\n\r\n",			/* control */
		"GET /?a=%00 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /#f HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"\r\n\r\n",
	};
	struct web_request r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse(bad[i], &r), -EPROTO, "case %zu: %s", i, bad[i]);
}

Test(web_http, bounds)
{
	struct web_request r;
	char req[1024], *p;
	int i;

	/* a path one byte too long for its buffer */
	p = req + sprintf(req, "GET /");
	memset(p, 'a', WEB_HTTP_MAX_PATH - 1);
	strcpy(p + WEB_HTTP_MAX_PATH - 1, " HTTP/1.1\r\nHost: h\r\n\r\n");
	cr_assert_eq(parse(req, &r), -ENAMETOOLONG);
	p[WEB_HTTP_MAX_PATH - 2] = ' ';
	strcpy(p + WEB_HTTP_MAX_PATH - 2, " HTTP/1.1\r\nHost: h\r\n\r\n");
	cr_assert_eq(parse(req, &r), 1);
	cr_assert_eq(strlen(r.path), WEB_HTTP_MAX_PATH - 1);
	/* one parameter too many */
	p = req + sprintf(req, "GET /?");
	for (i = 0; i <= WEB_HTTP_MAX_PARAMS; i++)
		p += sprintf(p, "p%d=1&", i);
	strcpy(p, " HTTP/1.1\r\nHost: h\r\n\r\n");
	cr_assert_eq(parse(req, &r), -ENAMETOOLONG);
}

Test(web_http, error_statuses)
{
	const char *t;

	cr_assert_eq(web_http_error_status(-EMSGSIZE, &t), 413);
	cr_assert_eq(web_http_error_status(-ENOTSUP, &t), 405);
	cr_assert_eq(web_http_error_status(-EPROTONOSUPPORT, &t), 505);
	cr_assert_eq(web_http_error_status(-ENAMETOOLONG, &t), 414);
	cr_assert_eq(web_http_error_status(-EPROTO, &t), 400);
	cr_assert_str_eq(t, "Bad Request");
}

Test(web_html, escapes_what_came_from_the_wire)
{
	struct buf b = { 0 };

	web_html_text(&b, "<script>alert('x')</script>&\"\x01\x7f\tok\xc3\xa9");
	cr_assert_str_eq(buf_cstr(&b), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
			 "&quot;\xef\xbf\xbd\xef\xbf\xbd\tok\xc3\xa9");
	buf_reset(&b);
	web_html_url_value(&b, "a b&c=d/é");
	cr_assert_str_eq(buf_cstr(&b), "a%20b%26c%3Dd%2F%C3%A9");
	buf_free(&b);
}

Test(web_html, time_is_utc)
{
	char t[24];

	web_html_time(1700000000.9, t);
	cr_assert_str_eq(t, "2023-11-14 22:13:20Z");
}
