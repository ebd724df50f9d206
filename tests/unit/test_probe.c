/*
 * probe: the gateway's own TLS 1.3 handshake, against real OpenSSL servers
 * run by this test on loopback (a thread per server): the chain the server
 * picks for the client's offer, its CertificateRequest and OCSP staple, no
 * application data sent, and each way a probe fails.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "probe/probe.h"
#include "probe/prober.h"
#include "tlspeer.h"

struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	bool answer;               /* false: accept TCP, never speak TLS */
	pthread_t th;
	unsigned conns;            /* connections accepted */
	/* what the server saw */
	char sni[256];
	size_t app_bytes;
};

static const uint8_t fake_ocsp[] = "not really an OCSP response";

static int on_status(SSL *ssl, void *arg)
{
	unsigned char *resp = OPENSSL_malloc(sizeof(fake_ocsp));

	(void)arg;
	memcpy(resp, fake_ocsp, sizeof(fake_ocsp));
	SSL_set_tlsext_status_ocsp_resp(ssl, resp, sizeof(fake_ocsp));
	return SSL_TLSEXT_ERR_OK;
}

/* Serves connections until server_stop(): TLS, or (answer false) a peer
 * that takes the connection and never says a word. */
static void *serve(void *arg)
{
	struct server *sv = arg;
	char buf[256];
	const char *name;
	SSL *ssl;
	int fd, n;

	while ((fd = accept(sv->lfd, NULL, NULL)) >= 0) {
		__atomic_add_fetch(&sv->conns, 1, __ATOMIC_SEQ_CST);
		if (!sv->answer) {
			while (recv(fd, buf, sizeof(buf), 0) > 0)
				;
			close(fd);
			continue;
		}
		ssl = SSL_new(sv->ctx);
		SSL_set_fd(ssl, fd);
		SSL_accept(ssl);
		name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
		snprintf(sv->sni, sizeof(sv->sni), "%s", name ? name : "");
		while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
			sv->app_bytes += (size_t)n;
		SSL_free(ssl);
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *sv, SSL_CTX *ctx, bool answer)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	/* Either side may write to a socket the other closed (probe.h). */
	signal(SIGPIPE, SIG_IGN);
	memset(sv, 0, sizeof(*sv));
	sv->ctx = ctx;
	sv->answer = answer;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(sv->lfd >= 0);
	cr_assert_eq(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(sv->lfd, 4), 0);
	getsockname(sv->lfd, (struct sockaddr *)&a, &al);
	sv->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&sv->th, NULL, serve, sv), 0);
}

static void server_stop(struct server *sv)
{
	shutdown(sv->lfd, SHUT_RDWR);   /* ends the accept loop */
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	SSL_CTX_free(sv->ctx);
}

/* A TLS 1.3 server with an ECDSA and an RSA certificate for test.example. */
static SSL_CTX *dual_ctx(int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *ec = tlspeer_key("P-256"), *rsa = tlspeer_key("RSA");
	X509 *ecx = tlspeer_cert(ec, "ec.test.example"), *rsax = tlspeer_cert(rsa, "rsa.test.example");

	cr_assert_not_null(ctx);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	cr_assert(SSL_CTX_use_certificate(ctx, ecx) == 1 && SSL_CTX_use_PrivateKey(ctx, ec) == 1);
	cr_assert(SSL_CTX_use_certificate(ctx, rsax) == 1 && SSL_CTX_use_PrivateKey(ctx, rsa) == 1);
	SSL_CTX_set_tlsext_status_cb(ctx, on_status);
	X509_free(ecx);
	X509_free(rsax);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	return ctx;
}

static void offer(struct probe_offer *o, uint16_t port, uint16_t sigalg)
{
	memset(o, 0, sizeof(*o));
	o->family = AF_INET;
	o->addr[0] = 127;
	o->addr[3] = 1;
	o->port = port;
	o->has_sni = true;
	snprintf(o->sni, sizeof(o->sni), "www.test.example");
	o->n_sigalgs = 1;
	o->sigalgs[0] = sigalg;
	o->n_groups = 2;
	o->groups[0] = 0x001d;  /* x25519 */
	o->groups[1] = 0x11ec;  /* X25519MLKEM768: unknown to this OpenSSL, left out */
}

/* One probe of a server run for it (answer: see serve()), with the
 * given offer's signature algorithm and timeout; sv says what it saw. */
static void probe_once(struct server *sv, SSL_CTX *ctx, bool answer, uint16_t sigalg,
		       unsigned timeout_ms, struct probe_result *r)
{
	struct probe_config c = { .timeout_ms = timeout_ms };
	struct probe_offer o;

	server_start(sv, ctx, answer);
	offer(&o, sv->port, sigalg);
	o.status_request = true;
	cr_assert_eq(probe_run(&o, &c, r), 0);
	server_stop(sv);
}

static void probe_for(uint16_t sigalg, const char *want_leaf_cn)
{
	struct server sv;
	struct probe_result r;
	X509 *leaf;
	const unsigned char *p;
	char cn[64];

	probe_once(&sv, dual_ctx(TLS1_3_VERSION), true, sigalg, 3000, &r);
	cr_assert_eq(r.status, PROBE_OK, "%s: %s", probe_status_name(r.status), r.reason);
	cr_assert_eq(r.version, 0x0304);
	cr_assert_eq(r.n_certs, 1);
	p = r.der[0];
	leaf = d2i_X509(NULL, &p, r.der_len[0]);
	cr_assert_not_null(leaf);
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
	cr_assert_str_eq(cn, want_leaf_cn);
	X509_free(leaf);
	cr_assert_not(r.cert_request);
	cr_assert_eq(r.ocsp_len, sizeof(fake_ocsp));
	cr_assert_arr_eq(r.ocsp, fake_ocsp, sizeof(fake_ocsp));
	cr_assert_str_eq(sv.sni, "www.test.example");
	cr_assert_eq(sv.app_bytes, 0, "the probe sent application data");
	cr_assert_gt(r.latency_us, 0);
	probe_result_free(&r);
}

/* The server picks its certificate by the offered signature algorithms,
 * so the probe offers the client's. */
Test(probe, the_server_picks_by_the_client_signature_algorithms)
{
	probe_for(0x0403, "ec.test.example");      /* ecdsa_secp256r1_sha256 */
	probe_for(0x0804, "rsa.test.example");     /* rsa_pss_rsae_sha256 */
}

Test(probe, a_certificate_request_is_recorded_and_the_chain_kept)
{
	SSL_CTX *ctx = dual_ctx(TLS1_3_VERSION);
	struct server sv;
	struct probe_result r;

	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	probe_once(&sv, ctx, true, 0x0403, 3000, &r);
	cr_assert_eq(r.status, PROBE_OK, "%s: %s", probe_status_name(r.status), r.reason);
	cr_assert(r.cert_request);
	cr_assert_eq(r.n_certs, 1);
	probe_result_free(&r);
}

Test(probe, a_tls12_only_server_is_a_tls_error)
{
	struct server sv;
	struct probe_result r;

	probe_once(&sv, dual_ctx(TLS1_2_VERSION), true, 0x0403, 3000, &r);
	cr_assert_eq(r.status, PROBE_TLS_ERROR, "%s: %s", probe_status_name(r.status), r.reason);
	cr_assert_eq(r.n_certs, 0);
	probe_result_free(&r);
}

Test(probe, a_silent_server_times_out)
{
	struct server sv;
	struct probe_result r;

	probe_once(&sv, dual_ctx(TLS1_3_VERSION), false, 0x0403, 300, &r);
	cr_assert_eq(r.status, PROBE_TIMEOUT, "%s: %s", probe_status_name(r.status), r.reason);
	cr_assert_geq(r.latency_us, 290000);
	cr_assert_lt(r.latency_us, 1500000);
	probe_result_free(&r);
}

Test(probe, a_closed_port_is_refused)
{
	struct server sv;
	struct probe_offer o;
	struct probe_result r;
	uint16_t port;

	/* A port that was just free: bind, learn it, close. */
	server_start(&sv, dual_ctx(TLS1_3_VERSION), false);
	port = sv.port;
	server_stop(&sv);
	offer(&o, port, 0x0403);
	cr_assert_eq(probe_run(&o, &(struct probe_config){ .timeout_ms = 3000 }, &r), 0);
	cr_assert_eq(r.status, PROBE_REFUSED, "%s: %s", probe_status_name(r.status), r.reason);
	cr_assert_str_eq(probe_status_name(r.status), "refused");
	probe_result_free(&r);
}

/* ---- prober: the cache and limits around probes ---- */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned done_count;

static void on_done(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&done_lock);
	done_count++;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

/* Asks until READY, waiting for `done` after PENDING; returns the entry
 * and whether the first answer was PENDING (a probe was needed). */
static struct prober_entry *answer(struct prober *p, const struct probe_offer *o, uint64_t now,
				   bool *probed)
{
	struct prober_entry *e;
	unsigned seen;

	*probed = false;
	for (;;) {
		pthread_mutex_lock(&done_lock);
		seen = done_count;
		pthread_mutex_unlock(&done_lock);
		if (prober_get(p, o, now, &e) == PROBER_READY) {
			cr_assert_not_null(e);
			return e;
		}
		*probed = true;
		pthread_mutex_lock(&done_lock);
		while (done_count == seen)
			pthread_cond_wait(&done_cond, &done_lock);
		pthread_mutex_unlock(&done_lock);
	}
}

static struct prober *new_prober(unsigned ttl_s, size_t cache_size, unsigned per_dest)
{
	struct prober_config c;
	struct prober *p;

	prober_config_default(&c);
	c.ttl_s = ttl_s;
	c.cache_size = cache_size;
	c.rate_per_dest = per_dest;
	p = prober_new(&c, on_done, NULL);
	cr_assert_not_null(p);
	return p;
}

#define SEC 1000000ull

Test(prober, second_answer_comes_from_the_cache_and_one_probe_is_in_flight)
{
	struct prober *p = new_prober(300, 16, 100);
	struct server sv;
	struct probe_offer o, other;
	struct prober_entry *e, *f;
	struct prober_stats st;
	bool probed;

	server_start(&sv, dual_ctx(TLS1_3_VERSION), true);
	offer(&o, sv.port, 0x0403);
	/* Two sessions ask at once: one probe (the second finds it in flight,
	 * or, on a fast loopback, already answered). */
	cr_assert_eq(prober_get(p, &o, 1 * SEC, &e), PROBER_PENDING);
	if (prober_get(p, &o, 1 * SEC, &e) == PROBER_READY)
		prober_put(p, e);
	e = answer(p, &o, 1 * SEC, &probed);
	cr_assert_eq(e->result.status, PROBE_OK, "%s", e->result.reason);
	f = answer(p, &o, 2 * SEC, &probed);
	cr_assert_not(probed);
	cr_assert_eq(f, e);
	prober_put(p, e);
	prober_put(p, f);
	/* Another SNI is another key. */
	other = o;
	snprintf(other.sni, sizeof(other.sni), "other.test.example");
	e = answer(p, &other, 2 * SEC, &probed);
	cr_assert(probed);
	prober_put(p, e);
	prober_stats(p, &st);
	cr_assert_eq(st.probes, 2);
	cr_assert_geq(st.cache_hits, 1);
	cr_assert_eq(st.failures, 0);
	cr_assert_eq(st.entries, 2);
	cr_assert_gt(st.latency_us_max, 0);
	server_stop(&sv);
	cr_assert_eq(sv.conns, 2);
	prober_free(p);
}

Test(prober, entries_expire_after_the_ttl_and_never_beyond_notafter)
{
	struct prober *p = new_prober(10 * 86400, 16, 100);
	struct server sv;
	struct probe_offer o;
	struct prober_entry *e;
	bool probed;
	uint64_t t0;

	server_start(&sv, dual_ctx(TLS1_3_VERSION), true);
	offer(&o, sv.port, 0x0403);
	e = answer(p, &o, 1 * SEC, &probed);
	t0 = e->expires_us;
	prober_put(p, e);
	/* The leaf is valid for one day (tlspeer_cert): a 10-day TTL is cut. */
	cr_assert_lt(t0, 1 * SEC + 86400 * SEC + 60 * SEC);
	e = answer(p, &o, t0 - 1, &probed);
	cr_assert_not(probed);
	prober_put(p, e);
	e = answer(p, &o, t0, &probed);
	cr_assert(probed);
	prober_put(p, e);
	server_stop(&sv);
	prober_free(p);
}

Test(prober, failures_are_cached_as_negative_entries)
{
	struct prober *p = new_prober(300, 16, 100);
	struct server sv;
	struct probe_offer o;
	struct prober_entry *e;
	struct prober_stats st;
	bool probed;

	server_start(&sv, dual_ctx(TLS1_3_VERSION), true);
	offer(&o, sv.port, 0x0403);
	server_stop(&sv);      /* nobody listens any more */
	e = answer(p, &o, 1 * SEC, &probed);
	cr_assert(probed);
	cr_assert_eq(e->result.status, PROBE_REFUSED);
	prober_put(p, e);
	e = answer(p, &o, 2 * SEC, &probed);
	cr_assert_not(probed);
	cr_assert_eq(e->result.status, PROBE_REFUSED);
	prober_put(p, e);
	e = answer(p, &o, 2 * SEC + 30 * SEC, &probed);  /* negative TTL over */
	cr_assert(probed);
	prober_put(p, e);
	prober_stats(p, &st);
	cr_assert_eq(st.probes, 2);
	cr_assert_eq(st.failures, 2);
	prober_free(p);
}

Test(prober, the_cache_is_bounded_and_destinations_rate_limited)
{
	struct prober *p = new_prober(300, 2, 2);
	struct server sv;
	struct probe_offer o;
	struct prober_entry *e;
	struct prober_stats st;
	bool probed;
	int i;

	server_start(&sv, dual_ctx(TLS1_3_VERSION), true);
	offer(&o, sv.port, 0x0403);
	for (i = 0; i < 2; i++) {
		snprintf(o.sni, sizeof(o.sni), "n%d.test.example", i);
		e = answer(p, &o, 1 * SEC, &probed);
		cr_assert_eq(e->result.status, PROBE_OK);
		prober_put(p, e);
	}
	/* A third name to the same address within the minute: limited, at
	 * once, and not cached. */
	snprintf(o.sni, sizeof(o.sni), "n2.test.example");
	cr_assert_eq(prober_get(p, &o, 1 * SEC, &e), PROBER_READY);
	cr_assert_eq(e->result.status, PROBE_RATE_LIMITED);
	prober_put(p, e);
	/* A minute later the bucket has refilled; the cache keeps two. */
	e = answer(p, &o, 61 * SEC, &probed);
	cr_assert(probed);
	cr_assert_eq(e->result.status, PROBE_OK);
	prober_put(p, e);
	prober_stats(p, &st);
	cr_assert_eq(st.entries, 2);
	cr_assert_eq(st.rate_limited, 1);
	cr_assert_eq(st.probes, 3);
	server_stop(&sv);
	prober_free(p);
}

static void alpn_put(struct tls_alpn_list *l, const char *id)
{
	size_t len = strlen(id);

	memcpy(l->buf + l->used, id, len);
	l->id[l->n].off = l->used;
	l->id[l->n].len = (uint8_t)len;
	l->n++;
	l->used = (uint16_t)(l->used + len);
}

static bool alpn_at(const struct tls_alpn_list *l, unsigned i, const char *id)
{
	return i < l->n && l->id[i].len == strlen(id) &&
	       !memcmp(l->buf + l->id[i].off, id, l->id[i].len);
}

/* A QUIC client's offer is probed over TCP: HTTP/3 becomes HTTP/2 and
 * HTTP/1.1 (once, whatever drafts were offered), DNS over QUIC DNS over
 * TLS, others kept; a TCP client's ALPN is kept as it is. */
Test(probe, a_quic_offer_maps_its_alpn_to_tls_over_tcp)
{
	struct tls_client_hello ch = { .has_sni = true };
	const uint8_t addr[16] = { 198, 18, 2, 2 };
	struct probe_offer o;

	snprintf(ch.sni, sizeof(ch.sni), "www.test.example");
	alpn_put(&ch.alpn, "h3");
	alpn_put(&ch.alpn, "h3-29");
	alpn_put(&ch.alpn, "doq");
	alpn_put(&ch.alpn, "x-own");
	probe_offer_from_hello(&o, AF_INET, addr, 443, &ch, true);
	cr_assert(o.quic);
	cr_assert_eq(o.alpn.n, 4);
	cr_assert(alpn_at(&o.alpn, 0, "h2") && alpn_at(&o.alpn, 1, "http/1.1"));
	cr_assert(alpn_at(&o.alpn, 2, "dot") && alpn_at(&o.alpn, 3, "x-own"));
	cr_assert_str_eq(o.sni, "www.test.example");
	probe_offer_from_hello(&o, AF_INET, addr, 443, &ch, false);
	cr_assert_not(o.quic);
	cr_assert_eq(o.alpn.n, 4);
	cr_assert(alpn_at(&o.alpn, 0, "h3") && alpn_at(&o.alpn, 1, "h3-29"));
}
