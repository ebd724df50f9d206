/*
 * fuzz_pretls: the pre-TLS step (app/pretls) over both directions of one
 * flow, with the chunking read from the input.
 *
 * Input: server_port u16, then chunks: head u8 (bit 7: direction, bits
 * 0-6: length), that many bytes (fewer at the end). A head of 0xff sends
 * end of flow; 0xfe a gap in direction 0.
 *
 * Checks: where TLS begins lies inside the chunk; a direction that
 * switched to TLS stays there (later chunks go wholly to TLS); a flow
 * that gave up stays given up and holds no buffer; clear text read per
 * direction never passes the bound by more than one unit's length; the
 * host is NUL-terminated.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "app/pretls.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pretls p;
	bool tls[2] = { false, false }, gave_up = false;
	uint16_t port;
	size_t at;

	if (size < 2)
		return 0;
	memset(&p, 0, sizeof(p));
	port = (uint16_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	while (size) {
		uint8_t head = *data++;
		int dir = head >> 7;
		size_t n = head & 0x7f;
		enum pretls_result r;

		size--;
		if (head == 0xff) {
			pretls_eof(&p);
			continue;
		}
		if (head == 0xfe) {
			pretls_gap(&p, 0);
			continue;
		}
		if (n > size)
			n = size;
		r = pretls_feed(&p, dir, data, n, port, &at);
		FUZZ_CHECK(at <= n, "TLS begins at %zu of a %zu-byte chunk", at, n);
		if (tls[dir] && !gave_up)
			FUZZ_CHECK(r == PRETLS_TLS && at == 0, "direction %d left TLS (%d)", dir, r);
		if (gave_up)
			FUZZ_CHECK(r == PRETLS_GIVE_UP, "a flow that gave up came back (%d)", r);
		if (r == PRETLS_TLS)
			tls[dir] = true;
		if (r == PRETLS_GIVE_UP) {
			gave_up = true;
			FUZZ_CHECK(p.gave_up && !p.buf, "gave up, but holds its buffer");
		}
		FUZZ_CHECK(memchr(p.host, 0, sizeof(p.host)) != NULL, "host not terminated");
		data += n;
		size -= n;
	}
	pretls_take_anomalies(&p);
	pretls_free(&p);
	return 0;
}
