/*
 * fuzz_tls: the TLS parser fed one connection's two byte streams, split
 * into chunks of many shapes, with a certificate cache.
 *
 * Input: mode u8, then segments: u16 header (bit 15: 0 client to server,
 * 1 server to client; bits 0-14: length), then that many bytes (a short
 * last segment takes what is left). Segments go to tls_feed() in order,
 * each cut by the mode's low two bits: 0 whole, 1 one byte per call,
 * 2 three bytes per call, 3 sizes from a small generator seeded by the
 * mode. Mode bit 2: a gap in the client direction after the first
 * segment; bit 3: tls_eof() on both directions at the end.
 *
 * Checked: each milestone is reported once and recorded in events; the
 * fact counters stay within their arrays; memory is released (ASan).
 */
#include <stdint.h>
#include <stdlib.h>

#include "tls/tls.h"
#include "x509/x509.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void feed(struct tls_session *s, enum tls_dir dir, const uint8_t *p, size_t n,
		 unsigned shape, uint32_t *rng, unsigned *seen)
{
	size_t off = 0, k;
	unsigned ev;

	while (off < n) {
		switch (shape) {
		case 0: k = n - off; break;
		case 1: k = 1; break;
		case 2: k = 3; break;
		default:
			*rng = *rng * 1103515245u + 12345u;
			k = 1 + (*rng >> 16) % 64;
			break;
		}
		if (k > n - off)
			k = n - off;
		ev = tls_feed(s, dir, p + off, k);
		FUZZ_CHECK((ev & *seen) == 0, "milestones %#x reported again", ev & *seen);
		*seen |= ev;
		FUZZ_CHECK((*seen & ~(unsigned)s->events) == 0,
			   "milestones %#x reported but not in the session's events %#x", *seen,
			   (unsigned)s->events);
		off += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_cache *cache;
	struct tls_session s;
	uint32_t rng;
	unsigned seen = 0, nseg = 0;
	uint8_t mode;
	size_t off = 1;

	if (size < 1)
		return 0;
	/* A cache per input: one kept across inputs made a saved input's
	 * path depend on the inputs run before it. */
	cache = x509_cache_new(256);
	if (!cache)
		return 0;
	mode = data[0];
	rng = mode;
	tls_session_init(&s, cache);
	while (off + 2 <= size) {
		uint16_t h = (uint16_t)(data[off] << 8 | data[off + 1]);
		size_t len = h & 0x7fff;

		off += 2;
		if (len > size - off)
			len = size - off;
		feed(&s, (h & 0x8000) ? TLS_TO_CLIENT : TLS_TO_SERVER, data + off, len,
		     mode & 3, &rng, &seen);
		off += len;
		if (++nseg == 1 && (mode & 4))
			tls_gap(&s, TLS_TO_SERVER);
	}
	if (mode & 8) {
		tls_eof(&s, TLS_TO_SERVER);
		tls_eof(&s, TLS_TO_CLIENT);
	}
	(void)tls_take_anomalies(&s);
	FUZZ_CHECK(s.n_client_hellos <= TLS_MAX_HELLOS, "%u ClientHellos", (unsigned)s.n_client_hellos);
	FUZZ_CHECK(s.n_server_hellos <= TLS_MAX_HELLOS, "%u ServerHellos", (unsigned)s.n_server_hellos);
	FUZZ_CHECK(s.n_alerts <= TLS_MAX_ALERTS, "%u alerts", (unsigned)s.n_alerts);
	FUZZ_CHECK(s.n_msgs <= TLS_MAX_MSGS, "%u messages", (unsigned)s.n_msgs);
	FUZZ_CHECK(s.server_chain.n <= TLS_MAX_CHAIN && s.client_chain.n <= TLS_MAX_CHAIN,
		   "chains of %u and %u certificates", (unsigned)s.server_chain.n,
		   (unsigned)s.client_chain.n);
	FUZZ_CHECK(!(s.is_tls && s.not_tls), "a session both TLS and not TLS");
	tls_session_free(&s);
	x509_cache_free(cache);
	return 0;
}
