/*
 * fingerprint: JA3, JA3S and JA4 over parsed hellos.
 *
 * JA3/JA3S follow the Salesforce definition (github.com/salesforce/ja3):
 *   JA3  = SSLVersion,Ciphers,Extensions,EllipticCurves,EcPointFormats
 *   JA3S = SSLVersion,Cipher,Extensions
 * decimal values, list items joined by '-', GREASE (RFC 8701) removed, an
 * empty list an empty field; the fingerprint is the MD5 of the string.
 *
 * JA4 follows FoxIO's technical_details/JA4.md:
 *   JA4_a = proto version sni ciphers# exts# alpn   ("t13d1516h2")
 *   JA4_b = sha256(sorted cipher list)[:12]
 *   JA4_c = sha256(sorted extensions less SNI and ALPN "_" sigalgs)[:12]
 * with the current ALPN rule (a non-alphanumeric first or last byte prints
 * the first and last hex digits of the value instead).
 *
 * The digests come from OpenSSL EVP (common/digest: fetched once per
 * process), and each thread remembers the last ones it computed (memo).
 */
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "memo.h"
#include "tls/fingerprint.h"

/* Longest JA3 / JA4_r text a hello within the tls.h caps can produce:
 * 256 suites and 64 extensions, groups and sigalgs of at most 6 bytes each. */
#define FP_TEXT_MAX 4096

/* Not NUL-terminated: s[0..len) is the text. Only len needs a start value
 * (zeroing the whole array per hello cost more than writing it). */
struct fp_text {
	size_t len;
	char s[FP_TEXT_MAX];
};

static void text_put(struct fp_text *t, const char *s, size_t n)
{
	if (n > sizeof(t->s) - t->len)
		n = sizeof(t->s) - t->len;
	memcpy(t->s + t->len, s, n);
	t->len += n;
}

static void text_putc(struct fp_text *t, char c)
{
	if (t->len < sizeof(t->s))
		t->s[t->len++] = c;
}

/* Hand-rolled: JA3 strings hold hundreds of numbers per hello, and the
 * printf family costs several times the rest of the fingerprint. */
static void text_dec(struct fp_text *t, unsigned v)
{
	char s[12];
	size_t i = sizeof(s);

	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	text_put(t, s + i, sizeof(s) - i);
}

static void text_hex4(struct fp_text *t, uint16_t v)
{
	static const char digits[] = "0123456789abcdef";
	char s[4] = { digits[v >> 12], digits[(v >> 8) & 15], digits[(v >> 4) & 15],
		      digits[v & 15] };

	text_put(t, s, sizeof(s));
}

/* Lower-case hex of the first `nhex` digits of alg(text); false if the
 * digest is unavailable (e.g. MD5 under a FIPS-only provider). */
static bool digest_hex(enum digest_alg alg, const char *text, size_t len,
		       char *out, size_t nhex)
{
	/* A client sends the same hello, and a server answers alike, in
	 * connection after connection: the digests of the texts seen last
	 * on this thread are kept (a hit is a compare of the text, where a
	 * digest was a tenth of writing an event). */
	static __thread struct memo seen;
	static const char hex[] = "0123456789abcdef";
	uint32_t tag = (uint32_t)alg << 8 | (uint32_t)nhex;
	uint8_t d[DIGEST_MAX_LEN];
	const char *hit;
	size_t n;

	hit = memo_get(&seen, tag, text, len, &n);
	if (hit && n == nhex) {
		memcpy(out, hit, nhex);
		out[nhex] = '\0';
		return true;
	}
	if (nhex > 2 * digest_len(alg) || !digest(alg, text, len, d))
		return false;
	for (size_t i = 0; i < nhex; i++)
		out[i] = hex[(i & 1) ? d[i / 2] & 0x0f : d[i / 2] >> 4];
	out[nhex] = '\0';
	memo_put(&seen, tag, text, len, out, nhex);
	return true;
}

/* Appends the non-GREASE values of v[0..min(n, cap)) in decimal, '-'-joined
 * (the cap guards against a count larger than its array). */
static void text_dec_list(struct fp_text *t, const uint16_t *v, size_t n, size_t cap)
{
	bool first = true;

	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++) {
		if (tls_is_grease(v[i]))
			continue;
		if (!first)
			text_putc(t, '-');
		text_dec(t, v[i]);
		first = false;
	}
}

bool fp_md5_hex(const char *text, size_t len, char md5[FP_MD5_HEX])
{
	return digest_hex(DIGEST_MD5, text, len, md5, FP_MD5_HEX - 1);
}

/* The text is complete, hashed, and appended to str; false if MD5 failed. */
static bool finish_md5(const struct fp_text *t, struct buf *str, char md5[FP_MD5_HEX])
{
	if (!fp_md5_hex(t->s, t->len, md5))
		return false;
	buf_put(str, t->s, t->len);
	return true;
}

bool fp_ja3(const struct tls_client_hello *ch, struct buf *str, char md5[FP_MD5_HEX])
{
	struct fp_text t;

	t.len = 0;

	if (ch->sslv2_format)
		return false;
	text_dec(&t, ch->legacy_version);
	text_putc(&t, ',');
	text_dec_list(&t, ch->suites, ch->n_suites, TLS_MAX_SUITES);
	text_putc(&t, ',');
	text_dec_list(&t, ch->exts, ch->n_exts, TLS_MAX_EXTS);
	text_putc(&t, ',');
	text_dec_list(&t, ch->groups, ch->n_groups, TLS_MAX_GROUPS);
	text_putc(&t, ',');
	for (size_t i = 0; i < ch->n_point_formats && i < TLS_MAX_POINT_FMTS; i++) {
		if (i)
			text_putc(&t, '-');
		text_dec(&t, ch->point_formats[i]);
	}
	return finish_md5(&t, str, md5);
}

bool fp_ja3s(const struct tls_server_hello *sh, struct buf *str, char md5[FP_MD5_HEX])
{
	struct fp_text t;

	t.len = 0;

	text_dec(&t, sh->legacy_version);
	text_putc(&t, ',');
	text_dec(&t, sh->suite);
	text_putc(&t, ',');
	text_dec_list(&t, sh->exts, sh->n_exts, TLS_MAX_EXTS);
	return finish_md5(&t, str, md5);
}

/* JA4 "TLS and DTLS Version": two characters, "00" when unknown. */
static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool is_alnum_ascii(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4 "ALPN Extension Value": first and last character of the first ALPN
 * protocol; if either is not ASCII alphanumeric, the first and last digit
 * of the value's hex form (high nibble of the first byte, low nibble of the
 * last); "00" when there is no ALPN, no protocol, or an empty first one. */
static void ja4_alpn(const struct tls_alpn_list *a, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t first, last;
	size_t off, len;

	out[0] = out[1] = '0';
	out[2] = '\0';
	if (a->n == 0)
		return;
	off = a->id[0].off;
	len = a->id[0].len;
	if (len == 0 || off > sizeof(a->buf) || len > sizeof(a->buf) - off)
		return;
	first = a->buf[off];
	last = a->buf[off + len - 1];
	if (is_alnum_ascii(first) && is_alnum_ascii(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		out[0] = hex[first >> 4];
		out[1] = hex[last & 0x0f];
	}
}

/* Copies the non-GREASE values of v[0..n) into out, sorted ascending,
 * leaving out SNI (0x0000) and ALPN (0x0010) when `skip`; returns how many. */
static size_t sorted_copy(const uint16_t *v, size_t n, bool skip, uint16_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t x = v[i];
		size_t j;

		if (tls_is_grease(x) || (skip && (x == 0x0000 || x == 0x0010)))
			continue;
		/* insertion sort: lists are short (at most TLS_MAX_SUITES) */
		for (j = m; j > 0 && out[j - 1] > x; j--)
			out[j] = out[j - 1];
		out[j] = x;
		m++;
	}
	return m;
}

static size_t count_non_grease(const uint16_t *v, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		m += !tls_is_grease(v[i]);
	return m;
}

static void text_hex_list(struct fp_text *t, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			text_putc(t, ',');
		text_hex4(t, v[i]);
	}
}

#define JA4_A_LEN 10      /* "t13d1516h2" */
#define JA4_HASH_LEN 12

/* The three parts of JA4_r; b and c empty when their lists are. */
struct ja4_parts {
	char a[JA4_A_LEN + 1];
	struct fp_text b;
	struct fp_text c;
	bool c_empty;            /* no extension left once SNI/ALPN are out */
};

static void ja4_build(const struct tls_client_hello *ch, bool quic, struct ja4_parts *p)
{
	uint16_t sorted[TLS_MAX_SUITES];
	size_t n_suites = ch->n_suites < TLS_MAX_SUITES ? ch->n_suites : TLS_MAX_SUITES;
	size_t n_exts = ch->n_exts < TLS_MAX_EXTS ? ch->n_exts : TLS_MAX_EXTS;
	size_t n_vers = ch->n_versions < TLS_MAX_VERSIONS ? ch->n_versions : TLS_MAX_VERSIONS;
	size_t n_sig = ch->n_sigalgs < TLS_MAX_SIGALGS ? ch->n_sigalgs : TLS_MAX_SIGALGS;
	size_t nc, ne, m;
	uint16_t version = 0;
	bool sni = ch->has_sni, first;
	char alpn[3];

	/* highest non-GREASE supported_versions value, else legacy_version */
	for (size_t i = 0; i < n_vers; i++)
		if (!tls_is_grease(ch->versions[i]) && ch->versions[i] > version)
			version = ch->versions[i];
	if (version == 0)
		version = ch->legacy_version;
	for (size_t i = 0; i < n_exts; i++)
		sni = sni || ch->exts[i] == 0x0000;
	nc = count_non_grease(ch->suites, n_suites);
	ne = count_non_grease(ch->exts, n_exts);
	nc = nc > 99 ? 99 : nc;
	ne = ne > 99 ? 99 : ne;
	ja4_alpn(&ch->alpn, alpn);
	p->a[0] = quic ? 'q' : 't';
	memcpy(p->a + 1, ja4_version(version), 2);
	p->a[3] = sni ? 'd' : 'i';
	p->a[4] = (char)('0' + nc / 10);
	p->a[5] = (char)('0' + nc % 10);
	p->a[6] = (char)('0' + ne / 10);
	p->a[7] = (char)('0' + ne % 10);
	memcpy(p->a + 8, alpn, 2);
	p->a[10] = '\0';

	p->b.len = 0;
	m = sorted_copy(ch->suites, n_suites, false, sorted);
	text_hex_list(&p->b, sorted, m);

	p->c.len = 0;
	m = sorted_copy(ch->exts, n_exts, true, sorted);
	p->c_empty = m == 0;
	text_hex_list(&p->c, sorted, m);
	first = true;
	for (size_t i = 0; i < n_sig; i++) {
		if (tls_is_grease(ch->sigalgs[i]))
			continue;
		text_putc(&p->c, first ? '_' : ',');
		text_hex4(&p->c, ch->sigalgs[i]);
		first = false;
	}
}

/* The hashed JA4 of built parts. */
static bool ja4_hashed(const struct ja4_parts *p, char out[FP_JA4_LEN])
{
	static const char zeros[] = "000000000000";
	char b[JA4_HASH_LEN + 1], c[JA4_HASH_LEN + 1];

	if (p->b.len == 0)
		memcpy(b, zeros, sizeof(zeros));
	else if (!digest_hex(DIGEST_SHA256, p->b.s, p->b.len, b, JA4_HASH_LEN))
		return false;
	if (p->c_empty)
		memcpy(c, zeros, sizeof(zeros));
	else if (!digest_hex(DIGEST_SHA256, p->c.s, p->c.len, c, JA4_HASH_LEN))
		return false;
	_Static_assert(JA4_A_LEN + 2 * JA4_HASH_LEN + 3 <= FP_JA4_LEN, "FP_JA4_LEN too small");
	memcpy(out, p->a, JA4_A_LEN);
	out[JA4_A_LEN] = '_';
	memcpy(out + JA4_A_LEN + 1, b, JA4_HASH_LEN);
	out[JA4_A_LEN + 1 + JA4_HASH_LEN] = '_';
	memcpy(out + JA4_A_LEN + 2 + JA4_HASH_LEN, c, JA4_HASH_LEN + 1);
	return true;
}

static void ja4_raw(const struct ja4_parts *p, struct buf *str)
{
	buf_puts(str, p->a);
	buf_putc(str, '_');
	buf_put(str, p->b.s, p->b.len);
	buf_putc(str, '_');
	buf_put(str, p->c.s, p->c.len);
}

bool fp_ja4(const struct tls_client_hello *ch, bool quic, char out[FP_JA4_LEN])
{
	struct ja4_parts p;

	if (ch->sslv2_format)
		return false;
	ja4_build(ch, quic, &p);
	return ja4_hashed(&p, out);
}

bool fp_ja4_raw(const struct tls_client_hello *ch, bool quic, struct buf *str)
{
	struct ja4_parts p;

	if (ch->sslv2_format)
		return false;
	ja4_build(ch, quic, &p);
	ja4_raw(&p, str);
	return true;
}

bool fp_ja4_both(const struct tls_client_hello *ch, bool quic, char out[FP_JA4_LEN],
		 bool *hashed, struct buf *str)
{
	struct ja4_parts p;

	*hashed = false;
	if (ch->sslv2_format)
		return false;
	ja4_build(ch, quic, &p);
	*hashed = ja4_hashed(&p, out);
	ja4_raw(&p, str);
	return true;
}
