/* libFuzzer harness: HTTP request heads as the web view reads them from a
 * client (web_http.h), then the page each parsed request is routed to with
 * no store (the 503 path), and the HTML escaping of the raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "web_html.h"
#include "web_http.h"
#include "web_routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_request r;
	struct web_response res = { 0 };
	struct buf text = { 0 }, html = { 0 };
	size_t i;

	if (web_http_parse(data, size, &r) == 1) {
		for (i = 0; i < r.nparams; i++)
			web_http_param(&r, r.params[i].name);
		web_route(NULL, &r, &res);
		buf_free(&res.body);
	}
	buf_put(&text, data, size);
	web_html_text(&html, buf_cstr(&text));
	web_html_url_value(&html, buf_cstr(&text));
	buf_free(&text);
	buf_free(&html);
	return 0;
}
