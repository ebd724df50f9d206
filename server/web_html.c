/* web_html: the web view's HTML; contract in web_html.h. */
#include "web_html.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void web_html_text(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		switch (*p) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				buf_puts(out, "\xef\xbf\xbd");
			else
				buf_putc(out, (char)*p);
		}
	}
}

void web_html_url_value(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_putc(out, (char)*p);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		}
	}
}

void web_html_begin(struct buf *out, const char *title)
{
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width\">"
		 "<link rel=\"stylesheet\" href=\"/style.css\"><title>");
	web_html_text(out, title);
	buf_puts(out, " - SecureAudit</title></head><body><nav><b>SecureAudit</b>"
		 " <a href=\"/\">overview</a> <a href=\"/blocks\">blocks</a>"
		 " <a href=\"/checks\">checks</a> <a href=\"/timeline\">timeline</a>"
		 " <a href=\"/audit\">audit alerts</a></nav><main><h1>");
	web_html_text(out, title);
	buf_puts(out, "</h1>\n");
}

void web_html_end(struct buf *out)
{
	buf_puts(out, "</main></body></html>\n");
}

void web_html_table(struct buf *out, const char *const *heads, int n)
{
	int i;

	buf_puts(out, "<table><tr>");
	for (i = 0; i < n; i++) {
		buf_puts(out, "<th>");
		web_html_text(out, heads[i]);
		buf_puts(out, "</th>");
	}
	buf_puts(out, "</tr>\n");
}

void web_html_td(struct buf *out, const char *s)
{
	buf_puts(out, "<td>");
	web_html_text(out, s);
	buf_puts(out, "</td>");
}

void web_html_td_num(struct buf *out, int64_t v)
{
	buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
}

void web_html_td_bar(struct buf *out, int64_t v, int64_t max)
{
	buf_printf(out, "<td><meter min=\"0\" max=\"%lld\" value=\"%lld\"></meter></td>",
		   (long long)(max > 0 ? max : 1), (long long)v);
}

void web_html_time(double epoch, char out[24])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	/* the modulos bound each field's width for the compiler */
	snprintf(out, 24, "%04u-%02u-%02u %02u:%02u:%02uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

const char *web_html_css(void)
{
	return "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}"
	       "nav{background:#233;color:#fff;padding:.5em 1em}"
	       "nav a{color:#cde;margin-left:1em}"
	       "main{padding:0 1em 1em}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}"
	       "table{border-collapse:collapse;margin:.5em 0}"
	       "th,td{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left;"
	       "vertical-align:top}"
	       "th{background:#eef}td.n{text-align:right}meter{width:20em}"
	       ".empty{color:#777}form{margin:.5em 0}\n";
}
