/* libFuzzer harness: the audit channel's frames and package bodies, as the
 * server reads them from an authenticated agent or gateway (audit_wire.h):
 * every event through both the audit record and the EVE line reader. */
#include <stddef.h>
#include <stdint.h>

#include "audit_rec.h"
#include "audit_wire.h"
#include "gw_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor in = cur_make(data, size), body;
	struct aw_frame f;
	struct aw_hello h;
	struct aw_welcome w;
	struct aw_package p;
	struct aw_error e;
	struct aw_stats st;
	struct audit_event ev = { 0 };
	struct gw_event gw;
	struct buf raw = { 0 };
	const uint8_t *text;
	size_t len;
	uint64_t seq;

	while (aw_frame_next(&in, &f) == 1) {
		aw_decode_hello(f.payload, &h);
		aw_decode_welcome(f.payload, &w);
		aw_decode_ack(f.payload, &seq);
		aw_decode_error(f.payload, &e);
		aw_decode_stats(f.payload, &st);
		if (!aw_decode_package(f.payload, &p) || aw_package_body(&p, &raw) < 0)
			continue;
		body = cur_make((const uint8_t *)raw.data, raw.len);
		while (aw_body_next(&body, &text, &len) == 1) {
			audit_event_parse(text, len, &ev);
			gw_event_parse((const char *)text, len, &gw);
		}
	}
	audit_event_free(&ev);
	buf_free(&raw);
	return 0;
}
