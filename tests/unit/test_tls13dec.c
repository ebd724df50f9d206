/*
 * tls13dec and the key log path of the TLS parser, on real TLS 1.3
 * handshakes: OpenSSL client and server talk through memory BIOs in this
 * process, the client writes its key log, and the bytes each side sent are
 * fed to tls_feed() with that key log, for every suite of RFC 8446 B.4.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "net/anomaly.h"
#include "tls/keylog.h"
#include "tls/tls.h"
#include "tls/tls13dec.h"
#include "tlspeer.h"
#include "x509/x509.h"

#define MAX_SEGS 64

struct seg {
	enum tls_dir dir;
	size_t off, len;
};

/* One handshake as the wire saw it: each direction's writes, in order. */
struct wire {
	struct buf bytes;
	struct seg seg[MAX_SEGS];
	unsigned n;
	struct buf keylog;
	uint8_t leaf_sha1[20];
};

static struct buf *keylog_out;

static void on_keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	buf_puts(keylog_out, line);
	buf_putc(keylog_out, '\n');
}

/* Moves what `from` wrote into `to`'s input, recording it as a segment. */
static void pump(struct wire *w, BIO *from, BIO *to, enum tls_dir dir)
{
	char tmp[16384];
	int n;

	while ((n = BIO_read(from, tmp, sizeof(tmp))) > 0) {
		cr_assert_lt(w->n, MAX_SEGS);
		w->seg[w->n].dir = dir;
		w->seg[w->n].off = w->bytes.len;
		w->seg[w->n].len = (size_t)n;
		w->n++;
		buf_put(&w->bytes, tmp, (size_t)n);
		cr_assert_eq(BIO_write(to, tmp, n), n);
	}
}

/* A complete TLS 1.3 handshake under `suite`; with mtls the server asks
 * for a client certificate and gets one. */
static void handshake(struct wire *w, const char *suite, bool mtls)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method()), *sctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *skey = tlspeer_key("P-256"), *ckey = tlspeer_key("P-256");
	X509 *scert = tlspeer_cert(skey, "server.test"), *ccert = tlspeer_cert(ckey, "client.test");
	BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
	BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
	SSL *c, *s;
	unsigned md_len;
	int i, cr = 0, sr = 0;

	memset(w, 0, sizeof(*w));
	keylog_out = &w->keylog;
	cr_assert(cctx && sctx);
	for (i = 0; i < 2; i++) {
		SSL_CTX *x = i ? sctx : cctx;

		SSL_CTX_set_min_proto_version(x, TLS1_3_VERSION);
		SSL_CTX_set_security_level(x, 0);
		cr_assert(SSL_CTX_set_ciphersuites(x, suite), "suite %s", suite);
	}
	SSL_CTX_set_keylog_callback(cctx, on_keylog);
	cr_assert(SSL_CTX_use_certificate(sctx, scert) == 1 && SSL_CTX_use_PrivateKey(sctx, skey) == 1);
	if (mtls) {
		SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, tlspeer_accept_any);
		cr_assert(SSL_CTX_use_certificate(cctx, ccert) == 1 &&
			  SSL_CTX_use_PrivateKey(cctx, ckey) == 1);
	}
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	SSL_set_bio(c, c_in, c_out);
	SSL_set_bio(s, s_in, s_out);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set_tlsext_host_name(c, "server.test");
	for (i = 0; i < 20 && (cr != 1 || sr != 1); i++) {
		cr = SSL_do_handshake(c);
		pump(w, c_out, s_in, TLS_TO_SERVER);
		sr = SSL_do_handshake(s);
		pump(w, s_out, c_in, TLS_TO_CLIENT);
	}
	cr_assert(cr == 1 && sr == 1, "%s handshake did not complete", suite);
	X509_digest(scert, EVP_sha1(), w->leaf_sha1, &md_len);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(scert);
	X509_free(ccert);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(ckey);
}

static void wire_free(struct wire *w)
{
	buf_free(&w->bytes);
	buf_free(&w->keylog);
}

/* Feeds the recorded segments, each cut into `chunk`-byte calls (0:
 * whole). Returns every milestone; *anoms gets every anomaly. */
static unsigned feed(struct tls_session *s, const struct wire *w, size_t chunk, uint64_t *anoms)
{
	unsigned ev = 0, i;
	size_t off, k;

	for (i = 0; i < w->n; i++) {
		const uint8_t *p = (const uint8_t *)w->bytes.data + w->seg[i].off;

		for (off = 0; off < w->seg[i].len; off += k) {
			k = chunk && chunk < w->seg[i].len - off ? chunk : w->seg[i].len - off;
			ev |= tls_feed(s, w->seg[i].dir, p + off, k);
		}
	}
	*anoms = tls_take_anomalies(s);
	return ev;
}

static void sha1_hex(const uint8_t d[20], char out[60])
{
	int i;

	for (i = 0; i < 20; i++)
		sprintf(out + 3 * i, "%02x%s", d[i], i < 19 ? ":" : "");
}

static const char *const suites[] = {
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
	"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
};

/* A handshake made, and a session ready to read it with its key log. */
struct run {
	struct x509_cache *cache;
	struct keylog *kl;
	struct wire w;
	struct tls_session s;
};

static void run_start(struct run *r, const char *suite, bool mtls)
{
	handshake(&r->w, suite, mtls);
	r->kl = keylog_parse(r->w.keylog.data, r->w.keylog.len, NULL);
	cr_assert_eq(keylog_count(r->kl), 1);
	r->cache = x509_cache_new(16);
	tls_session_init(&r->s, r->cache);
	tls_session_set_keylog(&r->s, r->kl);
}

static void run_end(struct run *r)
{
	tls_session_free(&r->s);
	keylog_free(r->kl);
	x509_cache_free(r->cache);
	wire_free(&r->w);
}

static void check_suite(const char *suite, bool mtls, size_t chunk)
{
	struct run r;
	uint64_t anoms;
	unsigned ev;
	char want[60];

	run_start(&r, suite, mtls);
	ev = feed(&r.s, &r.w, chunk, &anoms);
	cr_assert_eq(anoms, 0, "%s: anomalies %llx", suite, (unsigned long long)anoms);
	cr_assert_eq(r.s.keys, TLS_KEYS_DECRYPTING, "%s", suite);
	cr_assert(r.s.decrypted[TLS_TO_CLIENT] && r.s.decrypted[TLS_TO_SERVER], "%s", suite);
	cr_assert_eq(ev & (TLS_EV_CERTIFICATE | TLS_EV_SERVER_DONE | TLS_EV_HANDSHAKE_DONE |
			   TLS_EV_ENCRYPTED),
		     TLS_EV_CERTIFICATE | TLS_EV_SERVER_DONE | TLS_EV_HANDSHAKE_DONE |
			     TLS_EV_ENCRYPTED, "%s: milestones %x", suite, ev);
	cr_assert_eq(r.s.server_chain.n, 1);
	sha1_hex(r.w.leaf_sha1, want);
	cr_assert_str_eq(r.s.server_chain.cert[0]->sha1, want);
	cr_assert_eq(r.s.cert_verify[TLS_TO_CLIENT], 0x0403); /* ecdsa_secp256r1_sha256 */
	cr_assert_eq(r.s.cert_request, mtls);
	cr_assert_eq(r.s.client_chain.n, mtls ? 1 : 0);
	cr_assert_eq(!!(ev & TLS_EV_CLIENT_CERT), mtls);
	if (mtls) {
		cr_assert_str_eq(r.s.client_chain.cert[0]->subject, "CN=client.test");
		cr_assert_eq(r.s.cert_verify[TLS_TO_SERVER], 0x0403);
	}
	run_end(&r);
}

Test(tls13dec, every_suite_decrypts_a_real_handshake)
{
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		check_suite(suites[i], false, 0);
		check_suite(suites[i], true, 0);
	}
}

Test(tls13dec, across_one_byte_segments)
{
	check_suite("TLS_AES_128_GCM_SHA256", true, 1);
	check_suite("TLS_AES_128_CCM_8_SHA256", false, 7);
}

/* A flipped ciphertext byte in the server's flight: an anomaly, the
 * session followed as without keys, nothing decrypted after it. */
Test(tls13dec, a_record_that_does_not_open_is_an_anomaly)
{
	struct run r;
	uint64_t anoms;
	unsigned ev;

	run_start(&r, "TLS_AES_256_GCM_SHA384", false);
	/* The server's first write: ServerHello, CCS, then the encrypted
	 * records; its last byte is an AEAD tag byte. */
	cr_assert_eq(r.w.seg[1].dir, TLS_TO_CLIENT);
	r.w.bytes.data[r.w.seg[1].off + r.w.seg[1].len - 1] ^= 0x01;
	ev = feed(&r.s, &r.w, 0, &anoms);
	cr_assert(anoms & (1ULL << ANOM_TLS_DECRYPT_FAILED));
	cr_assert_eq(r.s.keys, TLS_KEYS_FAILED);
	cr_assert_not(r.s.decrypted[TLS_TO_CLIENT]);
	cr_assert_not(r.s.decrypted[TLS_TO_SERVER]);
	cr_assert(ev & TLS_EV_ENCRYPTED);
	cr_assert(ev & TLS_EV_HANDSHAKE_DONE);
	run_end(&r);
}

/* No secret for this ClientHello.random: exactly as without a key log. */
Test(tls13dec, a_missing_key_changes_nothing)
{
	struct x509_cache *cache = x509_cache_new(16);
	struct tls_session with, without;
	struct keylog *kl;
	struct wire w, other;
	uint64_t a1, a2;
	unsigned e1, e2;

	handshake(&w, "TLS_AES_128_GCM_SHA256", false);
	handshake(&other, "TLS_AES_128_GCM_SHA256", false);
	kl = keylog_parse(other.keylog.data, other.keylog.len, NULL);
	tls_session_init(&with, cache);
	tls_session_set_keylog(&with, kl);
	tls_session_init(&without, cache);
	e1 = feed(&with, &w, 0, &a1);
	e2 = feed(&without, &w, 0, &a2);
	cr_assert_eq(e1, e2);
	cr_assert_eq(a1, a2);
	cr_assert_eq(with.keys, TLS_KEYS_NONE);
	cr_assert_eq(with.server_chain.n, 0);
	cr_assert_eq(with.n_msgs, without.n_msgs);
	tls_session_free(&with);
	tls_session_free(&without);
	keylog_free(kl);
	x509_cache_free(cache);
	wire_free(&w);
	wire_free(&other);
}

/* Inline (tls_session_wait_keys): the secrets come after the flight. Its
 * records are kept, nothing says the flight is over, and once the secrets
 * are there a retry decrypts what was kept: the same facts as when they
 * were there from the start. */
Test(tls13dec, secrets_that_come_late_decrypt_the_kept_flight)
{
	struct run r;
	uint64_t anoms;
	unsigned ev;
	char want[60];

	run_start(&r, "TLS_CHACHA20_POLY1305_SHA256", true);
	keylog_free(r.kl);
	r.kl = keylog_new(16, 0);
	tls_session_set_keylog(&r.s, r.kl);
	tls_session_wait_keys(&r.s);
	/* The client's hello and the server's whole flight. */
	r.w.n = 2;
	ev = feed(&r.s, &r.w, 0, &anoms);
	cr_assert_eq(r.s.keys, TLS_KEYS_WAITING);
	cr_assert_eq(ev & (TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED | TLS_EV_CERTIFICATE), 0,
		     "milestones %x", ev);
	cr_assert_eq(tls_session_keys_retry(&r.s, false), 0);
	cr_assert_eq(r.s.keys, TLS_KEYS_WAITING);
	cr_assert_geq(keylog_add(r.kl, r.w.keylog.data, r.w.keylog.len, 0, NULL), 2);
	ev = tls_session_keys_retry(&r.s, false);
	cr_assert_eq(tls_take_anomalies(&r.s), 0);
	cr_assert_eq(r.s.keys, TLS_KEYS_DECRYPTING);
	cr_assert(ev & TLS_EV_CERTIFICATE, "milestones %x", ev);
	cr_assert(ev & TLS_EV_SERVER_DONE, "milestones %x", ev);
	cr_assert(ev & TLS_EV_CERT_REQUEST, "milestones %x", ev);
	cr_assert_eq(r.s.server_chain.n, 1);
	cr_assert_eq(r.s.cert_source, TLS_CERTS_KEYLOG);
	sha1_hex(r.w.leaf_sha1, want);
	cr_assert_str_eq(r.s.server_chain.cert[0]->sha1, want);
	run_end(&r);
}

/* The secrets never come: the last retry follows the kept records as
 * without keys, with the milestones a TLS 1.3 ServerHello gives then. */
Test(tls13dec, a_wait_given_up_is_as_without_keys)
{
	struct run r;
	uint64_t anoms;
	unsigned ev;

	run_start(&r, "TLS_AES_128_GCM_SHA256", false);
	keylog_free(r.kl);
	r.kl = keylog_new(16, 0);
	tls_session_set_keylog(&r.s, r.kl);
	tls_session_wait_keys(&r.s);
	ev = feed(&r.s, &r.w, 0, &anoms);
	cr_assert_eq(r.s.keys, TLS_KEYS_WAITING);
	cr_assert_eq(ev & (TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED), 0);
	ev = tls_session_keys_retry(&r.s, true);
	cr_assert_eq(r.s.keys, TLS_KEYS_NONE);
	cr_assert_eq(ev & (TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED),
		     TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED, "milestones %x", ev);
	cr_assert_eq(r.s.server_chain.n, 0);
	cr_assert_eq(tls_session_keys_retry(&r.s, true), 0);
	run_end(&r);
}

Test(tls13dec, seal_open_round_trip_and_tampering)
{
	static const uint16_t codes[] = { 0x1301, 0x1302, 0x1303, 0x1304, 0x1305 };
	uint8_t secret[48], rec[128], out[128];
	const uint8_t msg[] = "finished";
	struct tls13dec a, b;
	size_t i, n, len;
	uint8_t type;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	for (i = 0; i < 5; i++) {
		size_t hl = tls13dec_hash_len(codes[i]);

		cr_assert_eq(tls13dec_init(&a, codes[i], secret, hl), 0);
		cr_assert_eq(tls13dec_init(&b, codes[i], secret, hl), 0);
		n = tls13dec_seal(&a, 22, msg, sizeof(msg), rec);
		cr_assert_eq(n, 5 + sizeof(msg) + 1 + (codes[i] == 0x1305 ? 8 : 16));
		cr_assert(tls13dec_open(&b, rec, rec + 5, n - 5, out, &len, &type));
		cr_assert_eq(type, 22);
		cr_assert_eq(len, sizeof(msg));
		cr_assert_arr_eq(out, msg, len);
		/* The next record under the same nonce does not open (sequence). */
		n = tls13dec_seal(&a, 22, msg, sizeof(msg), rec);
		rec[5] ^= 0x80;
		cr_assert_not(tls13dec_open(&b, rec, rec + 5, n - 5, out, &len, &type));
		rec[5] ^= 0x80;
		rec[4] ^= 0x01;  /* the header is authenticated too */
		cr_assert_not(tls13dec_open(&b, rec, rec + 5, n - 5, out, &len, &type));
		rec[4] ^= 0x01;
		cr_assert(tls13dec_open(&b, rec, rec + 5, n - 5, out, &len, &type));
		/* Too short to hold a tag. */
		cr_assert_not(tls13dec_open(&b, rec, rec + 5, 3, out, &len, &type));
		tls13dec_free(&a);
		tls13dec_free(&b);
	}
	cr_assert_eq(tls13dec_init(&a, 0x1301, secret, 48), -EINVAL);
	cr_assert_eq(tls13dec_init(&a, 0xc02f, secret, 32), -ENOTSUP);
	tls13dec_free(&a);
}

/* RFC 8448 3 (simple 1-RTT handshake): the server handshake traffic
 * secret and the write key and IV derived from it. */
Test(tls13dec, rfc8448_key_schedule_vector)
{
	static const uint8_t secret[32] = {
		0xb6, 0x7b, 0x7d, 0x69, 0x0c, 0xc1, 0x6c, 0x4e, 0x75, 0xe5, 0x42, 0x13,
		0xcb, 0x2d, 0x37, 0xb4, 0xe9, 0xc9, 0x12, 0xbc, 0xde, 0xd9, 0x10, 0x5d,
		0x42, 0xbe, 0xfd, 0x59, 0xd3, 0x91, 0xad, 0x38,
	};
	static const uint8_t key[16] = {
		0x3f, 0xce, 0x51, 0x60, 0x09, 0xc2, 0x17, 0x27, 0xd0, 0xf2, 0xe4, 0xe8,
		0x6e, 0xe4, 0x03, 0xbc,
	};
	static const uint8_t iv[12] = {
		0x5d, 0x31, 0x3e, 0xb2, 0x67, 0x12, 0x76, 0xee, 0x13, 0x00, 0x0b, 0x30,
	};
	struct tls13dec d;

	cr_assert_eq(tls13dec_init(&d, 0x1301, secret, sizeof(secret)), 0);
	cr_assert_arr_eq(d.key, key, sizeof(key));
	cr_assert_arr_eq(d.iv, iv, sizeof(iv));
	tls13dec_free(&d);
}
