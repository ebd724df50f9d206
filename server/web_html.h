/*
 * web_html: the HTML of the web view's pages. Every string that came from
 * the wire (SNI, certificate subjects, rule messages, program names) goes
 * out through web_html_text, escaped, so no stored value can become markup.
 * The pages carry no script and no inline style: one stylesheet at
 * /style.css (web_html_css), which the Content-Security-Policy allows as
 * the only resource (web.c sends it).
 */
#ifndef SECAUDIT_WEB_HTML_H
#define SECAUDIT_WEB_HTML_H

#include <stdint.h>

#include "buf.h"

/* Appends s as HTML text: & < > " ' escaped, control bytes but tab and
 * newline shown as U+FFFD. Fit for element content and quoted attributes. */
void web_html_text(struct buf *out, const char *s);
/* Appends s percent-encoded as one query value (RFC 3986 unreserved
 * bytes kept), for links that carry a stored value back. */
void web_html_url_value(struct buf *out, const char *s);
/* The page's start (doctype, title, stylesheet, navigation, heading) and
 * its end. title is the program's own text. */
void web_html_begin(struct buf *out, const char *title);
void web_html_end(struct buf *out);
/* A table's start with the given column heads (program text), n of them. */
void web_html_table(struct buf *out, const char *const *heads, int n);
/* One cell holding s (escaped), or a number. */
void web_html_td(struct buf *out, const char *s);
void web_html_td_num(struct buf *out, int64_t v);
/* A cell with a bar of v out of max (a <meter>: no inline style needed). */
void web_html_td_bar(struct buf *out, int64_t v, int64_t max);
/* UTC time of epoch seconds as "YYYY-MM-DD HH:MM:SSZ" in out[24]. */
void web_html_time(double epoch, char out[24]);
/* The stylesheet served at /style.css. */
const char *web_html_css(void);

#endif
