/* web: secaudit-server's web view thread; contract in web.h. */
#include "web.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "audit_conn.h"
#include "logmsg.h"
#include "server.h"
#include "store.h"
#include "web_http.h"
#include "web_routes.h"

/* WS_DRAIN: the answer is out and close_notify sent; what the client still
 * sends is read and dropped until it closes, so that closing with unread
 * input (an oversized request) does not reset the answer away. */
enum web_state { WS_HANDSHAKE, WS_READ, WS_WRITE, WS_DRAIN };

struct web_conn {
	struct audit_conn c;	/* TLS and output; input is in[] below */
	enum web_state state;
	uint64_t start_ms;
	size_t inlen;
	uint8_t in[WEB_HTTP_MAX_HEAD];
};

struct web {
	const struct web_opts *o;
	SSL_CTX *ctx;
	struct store *store;
	int lfd, wake;
	pthread_t thread;
	struct web_conn *conns[WEB_MAX_CONNS];
	size_t nconns;
	struct timespec mtimes[4];	/* cert, key, ca, crl */
	uint64_t checked_ms;
};

static const char csp[] =
	"default-src 'none'; style-src 'self'; form-action 'self'; "
	"frame-ancestors 'none'; base-uri 'none'";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The files' modification times; a missing file reads as zero. */
static void file_times(const struct web_opts *o, struct timespec t[4])
{
	const char *files[4] = { o->tls.cert, o->tls.key, o->tls.ca, o->tls.crl };
	struct stat st;
	int i;

	for (i = 0; i < 4; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		if (files[i] && stat(files[i], &st) == 0)
			t[i] = st.st_mtim;
	}
}

/* Rebuilds the TLS context when a file changed since the last look. */
static void maybe_reload(struct web *w)
{
	struct timespec t[4];
	char err[512];
	SSL_CTX *ctx;

	if (now_ms() - w->checked_ms < 1000)
		return;
	w->checked_ms = now_ms();
	file_times(w->o, t);
	if (!memcmp(t, w->mtimes, sizeof(t)))
		return;
	memcpy(w->mtimes, t, sizeof(t));
	ctx = tls_ctx_new(&w->o->tls, err, sizeof(err));
	if (!ctx) {
		logmsg("web: %s; keeping the previous certificates", err);
		return;
	}
	SSL_CTX_free(w->ctx);
	w->ctx = ctx;
	logmsg("web: certificates, CA and CRL reloaded");
}

static void conn_drop(struct web *w, size_t i)
{
	audit_conn_close(&w->conns[i]->c);
	free(w->conns[i]);
	w->conns[i] = w->conns[--w->nconns];
}

static void accept_all(struct web *w)
{
	struct web_conn *wc;
	int fd;

	while ((fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (w->nconns == WEB_MAX_CONNS) {
			close(fd);
			continue;
		}
		wc = calloc(1, sizeof(*wc));
		if (!wc || audit_conn_init(&wc->c, fd, w->ctx, true) < 0) {
			free(wc);
			close(fd);
			continue;
		}
		wc->start_ms = now_ms();
		w->conns[w->nconns++] = wc;
	}
}

/* Puts the response (head, and body unless HEAD) in the output. */
static void respond(struct web *w, struct web_conn *wc, const struct web_request *r,
		    int parsed)
{
	struct web_response res = { 0 };
	struct buf *out = &wc->c.out;

	if (parsed < 0) {
		res.status = web_http_error_status(parsed, &res.reason);
		res.type = "text/plain; charset=utf-8";
		buf_printf(&res.body, "%d %s\n", res.status, res.reason);
	} else {
		if (!w->store) {
			char err[512];

			w->store = store_open_readonly(w->o->store, err, sizeof(err));
			if (!w->store)
				logmsg("web: store %s", err);
		}
		web_route(w->store, r, &res);
		/* a store that failed is opened anew for the next request */
		if (res.status == 503 && w->store) {
			store_close(w->store);
			w->store = NULL;
		}
	}
	buf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\nCache-Control: no-store\r\n"
		   "Content-Security-Policy: %s\r\nX-Content-Type-Options: nosniff\r\n"
		   "Referrer-Policy: no-referrer\r\n%s\r\n",
		   res.status, res.reason, res.type, res.body.len, csp,
		   res.status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (parsed < 0 || r->method != WEB_HEAD)
		buf_put(out, res.body.data, res.body.len);
	buf_free(&res.body);
	wc->state = WS_WRITE;
}

/* Reads what the client sent and answers once the head is whole. False
 * when the connection is to be dropped. */
static bool conn_read(struct web *w, struct web_conn *wc)
{
	struct web_request r;
	int rc, err;

	while (wc->inlen < sizeof(wc->in)) {
		rc = SSL_read(wc->c.ssl, wc->in + wc->inlen, (int)(sizeof(wc->in) - wc->inlen));
		if (rc > 0) {
			wc->inlen += (size_t)rc;
			continue;
		}
		err = SSL_get_error(wc->c.ssl, rc);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			wc->c.want_write = err == SSL_ERROR_WANT_WRITE;
			break;
		}
		ERR_clear_error();
		return false;	/* closed before a whole request */
	}
	rc = web_http_parse(wc->in, wc->inlen, &r);
	if (rc != 0)
		respond(w, wc, &r, rc);
	return true;
}

/* Reads and drops input; false once the client closed (or failed). */
static bool drain(struct web_conn *wc)
{
	uint8_t scratch[4096];
	int rc;

	while ((rc = SSL_read(wc->c.ssl, scratch, sizeof(scratch))) > 0)
		;
	if (SSL_get_error(wc->c.ssl, rc) == SSL_ERROR_WANT_READ)
		return true;
	ERR_clear_error();
	return false;
}

/* Steps one connection after poll; false when it is done. */
static bool conn_step(struct web *w, struct web_conn *wc)
{
	char why[256];
	int rc;

	if (wc->state == WS_HANDSHAKE) {
		rc = audit_conn_handshake(&wc->c);
		if (rc < 0) {
			tls_ctx_why(wc->c.ssl, why, sizeof(why));
			logmsg("web: refused a client: %s", why);
			return false;
		}
		if (rc == 0)
			return true;
		wc->state = WS_READ;
	}
	if (wc->state == WS_READ && !conn_read(w, wc))
		return false;
	if (wc->state == WS_WRITE) {
		if (audit_conn_flush(&wc->c) < 0)
			return false;
		if (audit_conn_pending_out(&wc->c))
			return true;
		SSL_shutdown(wc->c.ssl);
		shutdown(wc->c.fd, SHUT_WR);
		wc->state = WS_DRAIN;
	}
	return wc->state != WS_DRAIN || drain(wc);
}

static void *web_loop(void *arg)
{
	struct web *w = arg;
	struct pollfd pfd[WEB_MAX_CONNS + 2];
	size_t i;
	int n;

	/* the channel's loop comes first when both want the CPU: a nice value
	 * is per thread on Linux, and raising it needs no privilege */
	errno = 0;
	n = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)gettid(),
				      n + WEB_NICE > 19 ? 19 : n + WEB_NICE) < 0)
		logmsg("web: setpriority: %s", strerror(errno));
	for (;;) {
		pfd[0].fd = w->lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = w->wake;
		pfd[1].events = POLLIN;
		for (i = 0; i < w->nconns; i++) {
			pfd[i + 2].fd = w->conns[i]->c.fd;
			pfd[i + 2].events = audit_conn_events(&w->conns[i]->c);
			pfd[i + 2].revents = 0;
		}
		n = poll(pfd, w->nconns + 2, 1000);
		if (n < 0 && errno != EINTR) {
			logmsg("web: poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && pfd[1].revents)
			break;
		for (i = w->nconns; i-- > 0;) {
			struct web_conn *wc = w->conns[i];

			if (n > 0 && pfd[i + 2].revents && !conn_step(w, wc))
				conn_drop(w, i);
			else if (now_ms() - wc->start_ms > WEB_CONN_TIMEOUT_MS)
				conn_drop(w, i);
		}
		maybe_reload(w);
		if (n > 0 && pfd[0].revents)
			accept_all(w);
	}
	return NULL;
}

static int no_row(void *ctx, const struct store_audit_alert *a)
{
	return 0;
}

struct web *web_start(const struct web_opts *o, char *err, size_t errsz)
{
	struct web *w = calloc(1, sizeof(*w));
	struct store *tmp;
	sigset_t all, old;
	int rc;

	if (!w) {
		snprintf(err, errsz, "web: out of memory");
		return NULL;
	}
	w->o = o;
	w->lfd = w->wake = -1;
	file_times(o, w->mtimes);
	w->checked_ms = now_ms();
	w->ctx = tls_ctx_new(&o->tls, err, errsz);
	if (!w->ctx)
		goto fail;
	/* the reader needs the schema, which the writer's open makes (again:
	 * it is idempotent); opened now, as root, the handle outlives the drop
	 * of privileges that could otherwise keep it from the database */
	tmp = store_open(o->store, err, errsz);
	if (!tmp)
		goto fail;
	store_close(tmp);
	w->store = store_open_readonly(o->store, err, errsz);
	if (!w->store)
		goto fail;
	/* a first read opens what SQLite opens lazily (its WAL and shared
	 * memory files) while still root */
	if (store_audit_alerts(w->store, 1, no_row, NULL) < 0) {
		snprintf(err, errsz, "web: store: %s", store_error(w->store));
		goto fail;
	}
	w->lfd = server_listen(o->listen);
	if (w->lfd < 0) {
		snprintf(err, errsz, "web: cannot listen on %s", o->listen);
		goto fail;
	}
	w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wake < 0) {
		snprintf(err, errsz, "web: eventfd: %s", strerror(errno));
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, web_loop, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errsz, "web: thread: %s", strerror(rc));
		goto fail;
	}
	logmsg("web: listening on https://%s", o->listen);
	return w;
fail:
	if (w->wake >= 0)
		close(w->wake);
	if (w->lfd >= 0)
		close(w->lfd);
	store_close(w->store);
	SSL_CTX_free(w->ctx);
	free(w);
	return NULL;
}

void web_stop(struct web *w)
{
	uint64_t one = 1;

	if (!w)
		return;
	if (write(w->wake, &one, sizeof(one)) == sizeof(one))
		pthread_join(w->thread, NULL);
	while (w->nconns)
		conn_drop(w, w->nconns - 1);
	close(w->wake);
	close(w->lfd);
	store_close(w->store);
	SSL_CTX_free(w->ctx);
	free(w);
}
