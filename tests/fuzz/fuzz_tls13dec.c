/*
 * fuzz_tls13dec: the TLS 1.3 handshake decryptor and the parsers behind it.
 * A fixed ClientHello and a TLS 1.3 ServerHello (suite chosen by the input)
 * open a session whose key log holds fixed handshake secrets; the rest of
 * the input is records, either raw (the decryptor's checks: lengths, tags,
 * the early-data skip) or sealed here under the right key, so the fuzzer
 * reaches the decrypted EncryptedExtensions, CertificateRequest,
 * Certificate, CertificateVerify and Finished parsing, and inner types.
 *
 * With bit 6 of the first byte the key log is empty at the ServerHello and
 * the session waits for its secrets (inline --keylog): they are added
 * after the first chunk and tls_session_keys_retry() parses the records
 * kept meanwhile; a last retry gives up at the end.
 *
 * Input: u8 suite index (bits 0-6 mod 5, bit 7: the client offers early_data), then
 * chunks: u16 header (bit 15: 0 client to server, 1 server to client; bit
 * 14: seal; bits 0-13: length), then that many bytes. A sealed chunk's
 * first byte is its inner content type, the rest its content.
 *
 * Checked: milestones once each, counters within their arrays, memory
 * released (ASan), no crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/keylog.h"
#include "tls/tls.h"
#include "tls/tls13dec.h"
#include "x509/x509.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t suites[5] = { 0x1301, 0x1302, 0x1303, 0x1304, 0x1305 };

/* A record of `type` with body b/n, after a 5-byte header. */
static size_t record(uint8_t *out, uint8_t type, const uint8_t *b, size_t n)
{
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, b, n);
	return 5 + n;
}

/* ClientHello (RFC 8446 4.1.2): random all 0x11, one suite, extensions
 * supported_versions (TLS 1.3) and, when asked, early_data. */
static size_t client_hello(uint8_t *out, uint16_t suite, bool early)
{
	uint8_t m[128];
	size_t n = 0, ext_at;

	m[n++] = 1;
	n += 3;                                  /* length, below */
	m[n++] = 3; m[n++] = 3;
	memset(m + n, 0x11, 32); n += 32;
	m[n++] = 0;                              /* session id */
	m[n++] = 0; m[n++] = 2; m[n++] = (uint8_t)(suite >> 8); m[n++] = (uint8_t)suite;
	m[n++] = 1; m[n++] = 0;                  /* compression */
	ext_at = n;
	n += 2;
	m[n++] = 0; m[n++] = 43; m[n++] = 0; m[n++] = 3; m[n++] = 2; m[n++] = 3; m[n++] = 4;
	if (early) {
		m[n++] = 0; m[n++] = 42; m[n++] = 0; m[n++] = 0;
	}
	m[ext_at] = (uint8_t)((n - ext_at - 2) >> 8);
	m[ext_at + 1] = (uint8_t)(n - ext_at - 2);
	m[1] = 0; m[2] = (uint8_t)((n - 4) >> 8); m[3] = (uint8_t)(n - 4);
	return record(out, 22, m, n);
}

/* ServerHello selecting TLS 1.3 and `suite`. */
static size_t server_hello(uint8_t *out, uint16_t suite)
{
	uint8_t m[96];
	size_t n = 0;

	m[n++] = 2; m[n++] = 0; m[n++] = 0; m[n++] = 0;
	m[n++] = 3; m[n++] = 3;
	memset(m + n, 0x22, 32); n += 32;
	m[n++] = 0;
	m[n++] = (uint8_t)(suite >> 8); m[n++] = (uint8_t)suite;
	m[n++] = 0;
	m[n++] = 0; m[n++] = 6;
	m[n++] = 0; m[n++] = 43; m[n++] = 0; m[n++] = 2; m[n++] = 3; m[n++] = 4;
	m[3] = (uint8_t)(n - 4);
	return record(out, 22, m, n);
}

/* The key log lines of both handshake secrets; their length. */
#define TEXT_MAX 512
static size_t keylog_text(char *text, size_t hash_len)
{
	size_t n = 0, i;
	int side;

	for (side = 0; side < 2; side++) {
		n += (size_t)snprintf(text + n, TEXT_MAX - n, "%s_HANDSHAKE_TRAFFIC_SECRET ",
				      side ? "SERVER" : "CLIENT");
		for (i = 0; i < 32; i++)
			n += (size_t)snprintf(text + n, TEXT_MAX - n, "11");
		text[n++] = ' ';
		for (i = 0; i < hash_len; i++)
			n += (size_t)snprintf(text + n, TEXT_MAX - n, "%02x",
					      (unsigned)(side * 16 + i));
		text[n++] = '\n';
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_cache *cache;
	static uint8_t buf[5 + TLS13DEC_MAX_CIPHERTEXT + 64];
	uint8_t secret[2][KEYLOG_MAX_SECRET];
	struct tls13dec seal[2] = { { 0 }, { 0 } };
	struct keylog *kl;
	struct tls_session s;
	char text[TEXT_MAX];
	unsigned seen = 0, ev;
	bool late, added;
	uint16_t suite;
	size_t off = 1, hl, n, i;
	int side;

	if (size < 1)
		return 0;
	/* A cache per input, so a saved input replays alone (fuzz_tls). */
	cache = x509_cache_new(64);
	if (!cache)
		return 0;
	suite = suites[(data[0] & 0x7f) % 5];
	hl = tls13dec_hash_len(suite);
	late = data[0] & 0x40;
	added = !late;
	kl = late ? keylog_new(0, 0) : keylog_parse(text, keylog_text(text, hl), NULL);
	if (!kl) {
		x509_cache_free(cache);
		return 0;
	}
	for (side = 0; side < 2; side++) {
		for (i = 0; i < hl; i++)
			secret[side][i] = (uint8_t)(side * 16 + i);
		FUZZ_CHECK(tls13dec_init(&seal[side], suite, secret[side], hl) == 0,
			   "keys of suite %#x", suite);
	}
	tls_session_init(&s, cache);
	tls_session_set_keylog(&s, kl);
	if (late)
		tls_session_wait_keys(&s);
	n = client_hello(buf, suite, data[0] & 0x80);
	seen |= tls_feed(&s, TLS_TO_SERVER, buf, n);
	n = server_hello(buf, suite);
	ev = tls_feed(&s, TLS_TO_CLIENT, buf, n);
	FUZZ_CHECK((ev & seen) == 0, "milestones %#x reported again", ev & seen);
	seen |= ev;
	FUZZ_CHECK(s.keys == (late ? TLS_KEYS_WAITING : TLS_KEYS_DECRYPTING),
		   "key log not used (keys %u)", s.keys);
	while (off + 2 <= size) {
		uint16_t h = (uint16_t)(data[off] << 8 | data[off + 1]);
		enum tls_dir dir = (h & 0x8000) ? TLS_TO_CLIENT : TLS_TO_SERVER;
		size_t len = h & 0x3fff;

		off += 2;
		if (len > size - off)
			len = size - off;
		if ((h & 0x4000) && len >= 1 && len - 1 <= TLS13DEC_MAX_CIPHERTEXT - 17)
			n = tls13dec_seal(&seal[dir], data[off], data + off + 1, len - 1, buf);
		else
			n = len <= sizeof(buf) ? (memcpy(buf, data + off, len), len) : 0;
		ev = tls_feed(&s, dir, buf, n);
		FUZZ_CHECK((ev & seen) == 0, "milestones %#x reported again", ev & seen);
		seen |= ev;
		FUZZ_CHECK((seen & ~(unsigned)s.events) == 0, "milestones %#x not in events", seen);
		off += len;
		if (!added) {
			added = true;
			keylog_add(kl, text, keylog_text(text, hl), 0, NULL);
			ev = tls_session_keys_retry(&s, false);
			FUZZ_CHECK((ev & seen) == 0, "milestones %#x reported again", ev & seen);
			seen |= ev;
		}
	}
	ev = tls_session_keys_retry(&s, true);
	FUZZ_CHECK((ev & seen) == 0, "milestones %#x reported again", ev & seen);
	FUZZ_CHECK(s.keys != TLS_KEYS_WAITING, "still waiting after the last retry");
	(void)tls_take_anomalies(&s);
	FUZZ_CHECK(s.n_msgs <= TLS_MAX_MSGS, "%u messages", (unsigned)s.n_msgs);
	FUZZ_CHECK(s.n_alerts <= TLS_MAX_ALERTS, "%u alerts", (unsigned)s.n_alerts);
	FUZZ_CHECK(s.server_chain.n <= TLS_MAX_CHAIN && s.client_chain.n <= TLS_MAX_CHAIN,
		   "chains of %u and %u", (unsigned)s.server_chain.n, (unsigned)s.client_chain.n);
	FUZZ_CHECK(late || s.keys != TLS_KEYS_NONE, "key log forgotten");
	tls_session_free(&s);
	tls13dec_free(&seal[0]);
	tls13dec_free(&seal[1]);
	keylog_free(kl);
	x509_cache_free(cache);
	return 0;
}
