/*
 * fuzz_fingerprint: arbitrary hello field values (not wire bytes: the TLS
 * parser has its own harness) through JA3, JA3S, JA4 and JA4_r, including
 * counts larger than their arrays and ALPN offsets outside the buffer, and
 * a check of the JA4 shape: 36 characters, '_' at 10 and 23, lower-case
 * hex hashes.
 *
 * Input layout: one flags byte, then for each of suites, extensions,
 * groups, sigalgs, versions a count byte and that many big-endian u16s,
 * then the raw counts to claim, then ALPN bytes as length-prefixed ids.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cursor.h"
#include "tls/fingerprint.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t read_list(struct cursor *c, uint16_t *out, size_t cap)
{
	uint8_t n = 0;
	size_t i;

	if (!cur_u8(c, &n))
		return 0;
	for (i = 0; i < n && i < cap; i++)
		if (!cur_u16(c, &out[i]))
			break;
	return i;
}

static void check_ja4(const char *s)
{
	FUZZ_CHECK(strlen(s) == 36 && s[10] == '_' && s[23] == '_', "JA4 \"%s\"", s);
	for (size_t i = 11; i < 36; i++)
		FUZZ_CHECK(i == 23 || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'),
			   "JA4 \"%s\": not hex at %zu", s, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_client_hello ch;
	static struct tls_server_hello sh;
	struct cursor c = cur_make(data, size);
	struct buf str = { 0 };
	char md5[FP_MD5_HEX], ja4[FP_JA4_LEN];
	uint8_t flags = 0, len = 0, claim = 0;
	const uint8_t *p;

	memset(&ch, 0, sizeof(ch));
	memset(&sh, 0, sizeof(sh));
	cur_u8(&c, &flags);
	cur_u16(&c, &ch.legacy_version);
	ch.sslv2_format = flags & 1;
	ch.has_sni = flags & 2;
	ch.n_suites = (uint16_t)read_list(&c, ch.suites, TLS_MAX_SUITES);
	ch.n_exts = (uint16_t)read_list(&c, ch.exts, TLS_MAX_EXTS);
	ch.n_groups = (uint8_t)read_list(&c, ch.groups, TLS_MAX_GROUPS);
	ch.n_sigalgs = (uint8_t)read_list(&c, ch.sigalgs, TLS_MAX_SIGALGS);
	ch.n_versions = (uint8_t)read_list(&c, ch.versions, TLS_MAX_VERSIONS);
	if (flags & 4) {
		/* a caller's bug: counts beyond the arrays must be clamped */
		if (cur_u8(&c, &claim))
			ch.n_suites = (uint16_t)(claim << 2);
		if (cur_u8(&c, &claim))
			ch.n_exts = ch.n_groups = ch.n_sigalgs = ch.n_versions =
				ch.n_point_formats = claim;
	}
	while (ch.alpn.n < TLS_MAX_ALPN && cur_u8(&c, &len) && cur_bytes(&c, &p, len)) {
		if (len > sizeof(ch.alpn.buf) - ch.alpn.used)
			break;
		ch.alpn.id[ch.alpn.n].off = ch.alpn.used;
		ch.alpn.id[ch.alpn.n].len = len;
		memcpy(ch.alpn.buf + ch.alpn.used, p, len);
		ch.alpn.used += len;
		ch.alpn.n++;
	}
	if (flags & 8) {
		ch.alpn.n = ch.alpn.n ? ch.alpn.n : 1;
		ch.alpn.id[0].off = (uint16_t)(flags * 7u);
		ch.alpn.id[0].len = 0xff;
	}

	if (fp_ja3(&ch, &str, md5))
		FUZZ_CHECK(strlen(md5) == 32, "JA3 hash \"%s\"", md5);
	if (fp_ja4(&ch, flags & 16, ja4))
		check_ja4(ja4);
	buf_reset(&str);
	fp_ja4_raw(&ch, flags & 16, &str);

	sh.legacy_version = ch.legacy_version;
	sh.suite = ch.n_suites ? ch.suites[0] : 0;
	memcpy(sh.exts, ch.exts, sizeof(sh.exts));
	sh.n_exts = ch.n_exts;
	buf_reset(&str);
	fp_ja3s(&sh, &str, md5);
	buf_free(&str);
	return 0;
}
