/* sender: a spool's transport to the server; contract in sender.h. */
#include "sender.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/err.h>

#include "audit_conn.h"
#include "audit_wire.h"
#include "logmsg.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sender_init(struct sender *s, const struct sender_opts *o,
		struct spool *spool)
{
	char err[512];

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->spool = spool;
	s->ctx = tls_ctx_new(&o->tls, err, sizeof(err));
	if (!s->ctx) {
		logmsg("%s", err);
		return -1;
	}
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wakefd < 0) {
		logmsg("eventfd: %s", strerror(errno));
		SSL_CTX_free(s->ctx);
		return -1;
	}
	return 0;
}

void sender_fini(struct sender *s)
{
	SSL_CTX_free(s->ctx);
	if (s->wakefd >= 0)
		close(s->wakefd);
}

void sender_wake(struct sender *s)
{
	uint64_t one = 1;

	if (write(s->wakefd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the sender will wake */
	}
}

void sender_reload(struct sender *s)
{
	atomic_store(&s->reload, true);
	sender_wake(s);
}

void sender_stats_json(struct sender *s, struct json *j)
{
	struct spool_stats ss;

	spool_get_stats(s->spool, &ss);
	json_key(j, "spool");
	json_object_begin(j);
	json_kv_uint(j, "packages", ss.held_packages);
	json_kv_uint(j, "bytes", ss.held_bytes);
	json_kv_uint(j, "dropped_packages", ss.dropped_packages);
	json_kv_uint(j, "dropped_events", ss.dropped_events);
	json_object_end(j);
	json_key(j, "sender");
	json_object_begin(j);
	json_kv_uint(j, "sent_packages", atomic_load(&s->sent_packages));
	json_kv_uint(j, "acks", atomic_load(&s->acks));
	json_kv_uint(j, "acked_packages", atomic_load(&s->acked_packages));
	json_kv_uint(j, "reconnects", atomic_load(&s->reconnects));
	json_kv_uint(j, "connected", atomic_load(&s->connected));
	json_kv_uint(j, "last_ack", atomic_load(&s->last_ack));
	json_object_end(j);
}

/* A new TLS context from the files, swapped in; the old one stays when the
 * files fail. Called between connections only. */
static void reload_tls(struct sender *s)
{
	char err[512];
	SSL_CTX *ctx = tls_ctx_new(&s->o->tls, err, sizeof(err));

	if (!ctx) {
		logmsg("SIGHUP: %s; keeping the previous certificates", err);
		return;
	}
	SSL_CTX_free(s->ctx);
	s->ctx = ctx;
	logmsg("SIGHUP: certificate, key, CA and CRL reloaded");
}

static void drain_wake(struct sender *s)
{
	uint64_t v;

	if (read(s->wakefd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
}

/* Sleeps ms, waking early for stop. */
static void nap(struct sender *s, unsigned ms)
{
	struct pollfd p = { .fd = s->wakefd, .events = POLLIN };
	uint64_t end = now_ms() + ms;

	while (!atomic_load(&s->stop) && now_ms() < end) {
		poll(&p, 1, (int)(end - now_ms() < 200 ? end - now_ms() : 200));
		drain_wake(s);
	}
}

static int tcp_connect(const char *hostport, char *host, size_t hostsz)
{
	char port[16];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	struct pollfd p;
	int fd = -1, one = 1, err = 0;
	socklen_t el = sizeof(err);
	size_t hl;

	if (!colon || colon == hostport)
		return -EINVAL;
	hl = (size_t)(colon - hostport);
	if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
		hostport++;
		hl -= 2;
	}
	if (hl >= hostsz)
		return -EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, 5000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -ECONNREFUSED;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int wait_io(struct sender *s, struct audit_conn *c, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = audit_conn_events(c) },
		{ .fd = s->wakefd, .events = POLLIN },
	};
	int n = poll(p, 2, timeout_ms);

	if (n > 0 && p[1].revents)
		drain_wake(s);
	return n;
}

static void put_stats(struct sender *s, struct buf *out)
{
	struct spool_stats ss;
	struct aw_stats st;

	spool_get_stats(s->spool, &ss);
	st.kernel_lost = atomic_load(&s->kernel_lost);
	st.kernel_backlog = (uint32_t)atomic_load(&s->kernel_backlog);
	st.spool_dropped_packages = ss.dropped_packages;
	st.spool_dropped_events = ss.dropped_events;
	st.events_total = atomic_load(&s->events_total);
	aw_put_stats(out, &st);
}

/*
 * One session: returns 1 when the spool drained and we are to exit, 0 when
 * the connection ended (reconnect), and sets *got_ack when the server
 * acknowledged anything (the link works: reset the backoff).
 */
static int session(struct sender *s, bool *got_ack)
{
	struct audit_conn c = { .fd = -1 };
	struct aw_hello h = { 0 };
	struct aw_welcome w;
	struct aw_error e;
	struct aw_frame f;
	struct spool_stats ss;
	struct buf pkg = { 0 };
	char host[256], why[256];
	uint64_t next = 0, acked = 0, last_in, last_out, seq, t;
	uint32_t window = s->o->window, inflight = 0;
	bool welcomed = false;
	int fd, rc, ret = 0;

	fd = tcp_connect(s->o->server, host, sizeof(host));
	if (fd < 0) {
		logmsg("connect %s: %s", s->o->server, strerror(-fd));
		return 0;
	}
	if (audit_conn_init(&c, fd, s->ctx, false) < 0) {
		close(fd);
		return 0;
	}
	if (s->o->server_name)
		snprintf(host, sizeof(host), "%s", s->o->server_name);
	SSL_set_tlsext_host_name(c.ssl, host);
	SSL_set1_host(c.ssl, host);
	t = now_ms();
	while ((rc = audit_conn_handshake(&c)) == 0) {
		if (atomic_load(&s->stop) || now_ms() - t > 10000) {
			logmsg("TLS handshake with %s: timeout", s->o->server);
			goto out;
		}
		wait_io(s, &c, 200);
	}
	if (rc < 0) {
		tls_ctx_why(c.ssl, why, sizeof(why));
		logmsg("TLS handshake with %s: %s", s->o->server, why);
		goto out;
	}
	spool_get_stats(s->spool, &ss);
	h.stream = spool_stream(s->spool);
	h.first_held = ss.first;
	h.last_held = ss.last;
	snprintf(h.name, sizeof(h.name), "%s", s->o->name ? s->o->name : "");
	h.kind = s->o->kind ? s->o->kind : AW_KIND_AUDIT;
	aw_put_hello(&c.out, &h);
	last_in = last_out = now_ms();
	while (!atomic_load(&s->stop) && !atomic_load(&s->reload)) {
		/* fill the window */
		while (welcomed && inflight < window &&
		       c.out.len - c.out_off < (4u << 20) &&
		       spool_next(s->spool, next, &seq)) {
			if (spool_read(s->spool, seq, &pkg) < 0)
				break;
			aw_put_header(&c.out, AW_PACKAGE, (uint32_t)pkg.len);
			buf_put(&c.out, pkg.data, pkg.len);
			next = seq;
			inflight++;
			atomic_fetch_add(&s->sent_packages, 1);
		}
		t = now_ms();
		if (t - last_out >= s->o->heartbeat_ms) {
			aw_put_heartbeat(&c.out);
			put_stats(s, &c.out);
			last_out = t;
		}
		if (audit_conn_flush(&c) < 0) {
			logmsg("connection to %s lost (write)", s->o->server);
			goto out;
		}
		if (welcomed && atomic_load(&s->exit_when_drained)) {
			spool_get_stats(s->spool, &ss);
			if (ss.held_packages == 0 && !audit_conn_pending_out(&c)) {
				ret = 1;
				goto out;
			}
		}
		if (t - last_in > 3ull * s->o->heartbeat_ms) {
			logmsg("server %s silent for %u ms: reconnecting", s->o->server,
			       3 * s->o->heartbeat_ms);
			goto out;
		}
		wait_io(s, &c, (int)(s->o->heartbeat_ms / 2));
		rc = audit_conn_read(&c);
		if (rc < 0) {
			audit_conn_read_why(&c, why, sizeof(why));
			logmsg("connection to %s closed by the server: %s", s->o->server, why);
			/* an ERROR frame may still be in the buffer */
		} else if (rc > 0) {
			last_in = now_ms();
		}
		while (audit_conn_frame(&c, &f) == 1) {
			switch (f.type) {
			case AW_WELCOME:
				if (welcomed || !aw_decode_welcome(f.payload, &w) ||
				    w.stream != h.stream) {
					logmsg("bad WELCOME from %s", s->o->server);
					goto out;
				}
				welcomed = true;
				atomic_store(&s->connected, true);
				if (w.window && w.window < window)
					window = w.window;
				if (w.committed > ss.last && ss.last)
					logmsg("server has committed %llu, beyond what the spool holds (%llu)",
					       (unsigned long long)w.committed,
					       (unsigned long long)ss.last);
				spool_ack(s->spool, w.committed);
				acked = next = w.committed;
				logmsg("connected to %s: stream %016llx, server committed %llu",
				       s->o->server, (unsigned long long)h.stream,
				       (unsigned long long)w.committed);
				break;
			case AW_ACK:
				if (!aw_decode_ack(f.payload, &seq) || seq > next) {
					logmsg("bad ACK from %s", s->o->server);
					goto out;
				}
				atomic_fetch_add(&s->acks, 1);
				atomic_store(&s->last_ack, (uint_fast64_t)time(NULL));
				if (seq > acked) {
					uint64_t done = 0, x = acked;

					while (x < seq && spool_next(s->spool, x, &x) && x <= seq)
						done++;
					spool_ack(s->spool, seq);
					atomic_fetch_add(&s->acked_packages, done);
					inflight = done > inflight ? 0 : inflight - (uint32_t)done;
					acked = seq;
					*got_ack = true;
				}
				break;
			case AW_ERROR:
				if (aw_decode_error(f.payload, &e))
					logmsg("server %s: error %u: %s", s->o->server,
					       e.code, e.text);
				goto out;
			case AW_HEARTBEAT:
				break;
			default:
				logmsg("unexpected frame %u from %s", f.type, s->o->server);
				goto out;
			}
		}
		if (rc < 0)
			goto out;
	}
out:
	atomic_store(&s->connected, false);
	audit_conn_close(&c);
	buf_free(&pkg);
	return ret;
}

void *sender_run(void *arg)
{
	struct sender *s = arg;
	unsigned backoff = s->o->backoff_min_ms, jitter;
	bool got_ack, first = true;

	while (!atomic_load(&s->stop)) {
		got_ack = false;
		if (!first)
			atomic_fetch_add(&s->reconnects, 1);
		first = false;
		if (atomic_exchange(&s->reload, false))
			reload_tls(s);
		if (session(s, &got_ack) == 1)
			break;
		if (atomic_load(&s->stop))
			break;
		if (atomic_load(&s->reload))
			continue;       /* at once, with the files read again */
		if (got_ack)
			backoff = s->o->backoff_min_ms;
		/* sleep backoff * [0.5, 1.5) so senders do not reconnect in step */
		if (getrandom(&jitter, sizeof(jitter), 0) != sizeof(jitter))
			jitter = 0;
		nap(s, backoff / 2 + jitter % (backoff ? backoff : 1));
		backoff = backoff * 2 > s->o->backoff_max_ms ? s->o->backoff_max_ms
							    : backoff * 2;
	}
	return NULL;
}
