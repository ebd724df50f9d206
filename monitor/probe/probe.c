/*
 * probe: one TLS 1.3 handshake of the gateway's own. See probe.h.
 *
 * The chain is taken in the certificate verification callback (it sees the
 * chain exactly as the server sent it, and accepts it: judging is the
 * policy's job), the OCSP staple in the status callback, and the
 * CertificateRequest in the client certificate callback (which answers
 * "no certificate"). All three run during the handshake, so what they saw
 * stays known even when the server then aborts, e.g. because it required a
 * client certificate.
 */
#include "probe/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls_names.h"

static const char *const status_names[PROBE_STATUS_COUNT] = {
	"ok", "timeout", "refused", "reset", "tls_error", "no_certificate", "error",
	"rate_limited",
};

const char *probe_status_name(enum probe_status s)
{
	return (unsigned)s < PROBE_STATUS_COUNT ? status_names[s] : "unknown";
}

/* Appends one protocol id to an ALPN list, unless it is there already or
 * the list is full. */
static void alpn_add(struct tls_alpn_list *l, const char *id, size_t len)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (l->id[i].len == len && !memcmp(l->buf + l->id[i].off, id, len))
			return;
	if (!len || len > 255 || l->n >= TLS_MAX_ALPN || len > sizeof(l->buf) - l->used)
		return;
	memcpy(l->buf + l->used, id, len);
	l->id[l->n].off = l->used;
	l->id[l->n].len = (uint8_t)len;
	l->n++;
	l->used = (uint16_t)(l->used + len);
}

static bool alpn_is(const uint8_t *id, size_t len, const char *name, bool prefix)
{
	size_t n = strlen(name);

	return prefix ? len >= n && !memcmp(id, name, n) : len == n && !memcmp(id, name, n);
}

/* A QUIC client's ALPN as the same client would offer it over TCP: HTTP/3
 * (h3, and the drafts' h3-NN) is HTTP/2 or HTTP/1.1 there (RFC 9114 3.1),
 * DNS over QUIC (doq, doq-i*) is DNS over TLS, "dot" (RFC 9250 4.1.1,
 * RFC 7858); any other id is kept. */
static void alpn_over_tcp(struct tls_alpn_list *out, const struct tls_alpn_list *in)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n; i++) {
		const uint8_t *id = in->buf + in->id[i].off;
		size_t len = in->id[i].len;

		if (alpn_is(id, len, "h3", false) || alpn_is(id, len, "h3-", true)) {
			alpn_add(out, "h2", 2);
			alpn_add(out, "http/1.1", 8);
		} else if (alpn_is(id, len, "doq", true)) {
			alpn_add(out, "dot", 3);
		} else {
			alpn_add(out, (const char *)id, len);
		}
	}
}

void probe_offer_from_hello(struct probe_offer *o, int family, const uint8_t addr[16],
			    uint16_t port, const struct tls_client_hello *ch, bool quic)
{
	memset(o, 0, sizeof(*o));
	o->family = family;
	memcpy(o->addr, addr, 16);
	o->port = port;
	o->quic = quic;
	o->has_sni = ch->has_sni;
	memcpy(o->sni, ch->sni, sizeof(o->sni));
	if (quic)
		alpn_over_tcp(&o->alpn, &ch->alpn);
	else
		o->alpn = ch->alpn;
	o->n_sigalgs = ch->n_sigalgs;
	memcpy(o->sigalgs, ch->sigalgs, sizeof(o->sigalgs));
	o->n_groups = ch->n_groups;
	memcpy(o->groups, ch->groups, sizeof(o->groups));
	o->status_request = ch->status_request;
}

void probe_result_free(struct probe_result *r)
{
	unsigned i;

	for (i = 0; i < r->n_certs; i++)
		free(r->der[i]);
	free(r->ocsp);
	memset(r, 0, sizeof(*r));
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void set_status(struct probe_result *r, enum probe_status s, const char *why)
{
	r->status = s;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
}

/* ---- what OpenSSL tells us during the handshake ---------------------- */

/* The SSL's ex_data slot for its probe_result, allocated once. */
static int probe_ex = -1;
static pthread_once_t probe_ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
	probe_ex = SSL_get_ex_new_index(0, "probe_result", NULL, NULL, NULL);
}

static int ex_index(void)
{
	pthread_once(&probe_ex_once, ex_init);
	return probe_ex;
}

static struct probe_result *result_of(SSL *ssl)
{
	return SSL_get_ex_data(ssl, ex_index());
}

/* The chain as received: the leaf, then the rest in the server's order. */
static int on_verify(X509_STORE_CTX *ctx, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct probe_result *r = ssl ? result_of(ssl) : NULL;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(ctx);
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	int i, n = sent ? sk_X509_num(sent) : 0;

	(void)arg;
	if (!r || !leaf || r->n_certs)
		return 1;
	for (i = -1; i < n && r->n_certs < PROBE_MAX_CHAIN; i++) {
		X509 *x = i < 0 ? leaf : sk_X509_value(sent, i);
		unsigned char *der = NULL;
		int len;

		if (i >= 0 && !X509_cmp(x, leaf))
			continue;   /* the stack starts with the leaf itself */
		len = i2d_X509(x, &der);
		if (len <= 0)
			break;
		r->der[r->n_certs] = der;
		r->der_len[r->n_certs] = (uint32_t)len;
		r->n_certs++;
	}
	return 1;
}

static int on_status(SSL *ssl, void *arg)
{
	struct probe_result *r = result_of(ssl);
	const unsigned char *resp;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &resp);

	(void)arg;
	if (r && len > 0 && len <= PROBE_MAX_OCSP && !r->ocsp) {
		r->ocsp = malloc((size_t)len);
		if (r->ocsp) {
			memcpy(r->ocsp, resp, (size_t)len);
			r->ocsp_len = (uint32_t)len;
		}
	}
	return 1;
}

static int on_client_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct probe_result *r = result_of(ssl);

	(void)x509;
	(void)pkey;
	if (r)
		r->cert_request = true;
	return 0;   /* the probe has no certificate to give */
}

/* ---- the client's offer ------------------------------------------------ */

/* Appends to list each name OpenSSL accepts alone (a name it does not know,
 * e.g. a group newer than the library, would fail the whole list). */
static void add_known(SSL *ssl, int (*set)(SSL *, const char *), char *list, size_t cap,
		      const char *name)
{
	size_t n = strlen(list);

	if (!name || set(ssl, name) != 1 || n + strlen(name) + 2 > cap)
		return;
	snprintf(list + n, cap - n, "%s%s", n ? ":" : "", name);
}

static int set_sigalgs(SSL *ssl, const char *l) { return SSL_set1_sigalgs_list(ssl, l); }
static int set_groups(SSL *ssl, const char *l) { return SSL_set1_groups_list(ssl, l); }

static void apply_offer(SSL *ssl, const struct probe_offer *o)
{
	char list[2048] = "";
	uint8_t alpn[TLS_ALPN_BUF + TLS_MAX_ALPN];
	size_t n = 0;
	unsigned i;

	if (o->has_sni && o->sni[0])
		SSL_set_tlsext_host_name(ssl, o->sni);
	for (i = 0; i < o->alpn.n; i++) {
		alpn[n++] = o->alpn.id[i].len;
		memcpy(alpn + n, o->alpn.buf + o->alpn.id[i].off, o->alpn.id[i].len);
		n += o->alpn.id[i].len;
	}
	if (n)
		SSL_set_alpn_protos(ssl, alpn, (unsigned)n);
	for (i = 0; i < o->n_sigalgs; i++)
		add_known(ssl, set_sigalgs, list, sizeof(list), tls_sigalg_name(o->sigalgs[i]));
	if (!list[0] || SSL_set1_sigalgs_list(ssl, list) != 1)
		SSL_set1_sigalgs_list(ssl, "ECDSA+SHA256:RSA-PSS+SHA256:RSA+SHA256:ed25519");
	list[0] = 0;
	for (i = 0; i < o->n_groups; i++)
		add_known(ssl, set_groups, list, sizeof(list), tls_group_name(o->groups[i]));
	if (!list[0] || SSL_set1_groups_list(ssl, list) != 1)
		SSL_set1_groups_list(ssl, "X25519:P-256:P-384");
	if (o->status_request)
		SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
}

/* ---- the connection ---------------------------------------------------- */

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now = now_us();
	int rc;

	if (now >= deadline)
		return 0;
	do
		rc = poll(&p, 1, (int)((deadline - now + 999) / 1000));
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* A non-blocking connect to the destination; the socket or -errno. */
static int connect_to(const struct probe_offer *o, uint16_t port, uint32_t mark,
		      uint64_t deadline, struct probe_result *r)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	if (o->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, o->addr, 16);
		a->sin6_port = htons(port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, o->addr, 4);
		a->sin_port = htons(port);
		sl = sizeof(*a);
	}
	fd = socket(o->family == AF_INET6 ? AF_INET6 : AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_status(r, PROBE_ERROR, strerror(errno));
		return -errno;
	}
	/* The mark keeps the probe's own packets out of the queue (the rules
	 * of `secaudit setup-gateway` accept marked packets first). */
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		err = errno;
		set_status(r, PROBE_ERROR, "SO_MARK: needs CAP_NET_ADMIN");
		close(fd);
		return -err;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		err = errno;
	else if (wait_fd(fd, POLLOUT, deadline) <= 0)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (!err)
		return fd;
	set_status(r, err == ETIMEDOUT ? PROBE_TIMEOUT : err == ECONNREFUSED ? PROBE_REFUSED :
		   err == ECONNRESET ? PROBE_RESET : PROBE_ERROR, strerror(err));
	close(fd);
	return -err;
}

/* Drives SSL_connect to its end or the deadline. */
static void handshake(SSL *ssl, int fd, uint64_t deadline, struct probe_result *r)
{
	unsigned long e;
	int rc, why;

	for (;;) {
		ERR_clear_error();
		rc = SSL_connect(ssl);
		if (rc == 1) {
			r->version = (uint16_t)SSL_version(ssl);
			r->suite = (uint16_t)(SSL_CIPHER_get_id(SSL_get_current_cipher(ssl)) & 0xffff);
			set_status(r, r->n_certs ? PROBE_OK : PROBE_NO_CERTIFICATE, "");
			return;
		}
		why = SSL_get_error(ssl, rc);
		if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
			if (wait_fd(fd, why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) <= 0) {
				set_status(r, PROBE_TIMEOUT, "no answer to the handshake");
				return;
			}
			continue;
		}
		e = ERR_peek_last_error();
		if (r->n_certs) {
			/* The chain came; the server aborted after it (a client
			 * certificate it required, say): the chain still counts. */
			set_status(r, PROBE_OK, e ? ERR_reason_error_string(e) : "closed after the chain");
		} else if (why == SSL_ERROR_SYSCALL || why == SSL_ERROR_ZERO_RETURN || !e) {
			set_status(r, PROBE_RESET, "connection closed or reset during the handshake");
		} else {
			const char *s = ERR_reason_error_string(e);

			set_status(r, PROBE_TLS_ERROR, s ? s : "handshake failed");
		}
		return;
	}
}

static SSL_CTX *probe_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* Accept whatever comes: the policy judges it, not OpenSSL. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, on_verify, NULL);
	SSL_CTX_set_client_cert_cb(ctx, on_client_cert);
	SSL_CTX_set_tlsext_status_cb(ctx, on_status);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

int probe_run(const struct probe_offer *o, const struct probe_config *cfg,
	      struct probe_result *r)
{
	uint64_t start = now_us(), deadline = start + (uint64_t)cfg->timeout_ms * 1000u;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd, rc = 0;

	memset(r, 0, sizeof(*r));
	fd = connect_to(o, o->port, cfg->mark, deadline, r);
	if (fd < 0 && o->quic && r->status == PROBE_REFUSED && o->port != 443)
		/* nothing on TCP at the QUIC port: the HTTPS origin's */
		fd = connect_to(o, 443, cfg->mark, deadline, r);
	if (fd < 0) {
		rc = r->status == PROBE_ERROR ? fd : 0;
		goto out;
	}
	ctx = probe_ctx();
	ssl = ctx ? SSL_new(ctx) : NULL;
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || !SSL_set_ex_data(ssl, ex_index(), r)) {
		set_status(r, PROBE_ERROR, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	apply_offer(ssl, o);
	handshake(ssl, fd, deadline, r);
	if (r->version)
		SSL_shutdown(ssl);  /* close_notify; no application data, ever */
out:
	r->latency_us = now_us() - start;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}
