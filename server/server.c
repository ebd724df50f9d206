/* server: secaudit-server's event loop; contract in server.h. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <openssl/err.h>

#include "alert_log.h"
#include "audit_alert.h"
#include "audit_conn.h"
#include "audit_rules.h"
#include "audit_wire.h"
#include "lograte.h"
#include "logmsg.h"
#include "privdrop.h"
#include "server_stats.h"
#include "statsock.h"
#include "store.h"

#define CLOSED_LOG_BURST 20	/* lines a minute about closed connections */

enum conn_state { CS_HANDSHAKE, CS_HELLO, CS_STREAM, CS_CLOSING };

struct agent_conn {
	struct audit_conn c;
	enum conn_state state;
	char peer[64];
	char subject[512];
	uint64_t stream;
	uint8_t kind;		/* enum aw_kind, from HELLO */
	uint64_t committed;	/* highest seq durable in the store */
	uint64_t received;	/* highest seq taken in this session */
	uint64_t pending;	/* highest seq in the open transaction */
	uint64_t last_ms;	/* monotonic time of the last input */
	uint64_t start_ms;
	int agent;		/* its slot in the stats, -1: none (yet) */
};

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool server_split_hostport(const char *s, char *host, size_t hostsz,
			   char *port, size_t portsz)
{
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return false;
		hl = (size_t)(end - s - 1);
		s++;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostsz || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= portsz)
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	snprintf(port, portsz, "%s", colon + 1);
	return true;
}

int server_listen(const char *addr)
{
	char host[256], port[16];
	struct addrinfo hints = { 0 }, *res = NULL;
	int fd = -1, one = 1;

	if (!server_split_hostport(addr, host, sizeof(host), port, sizeof(port))) {
		logmsg("listen %s: want ADDR:PORT", addr);
		return -1;
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
		logmsg("listen %s: cannot resolve", addr);
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		logmsg("listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void peer_name(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(out, n, "%s:%d", host, port);
}

struct server {
	const struct server_opts *o;
	SSL_CTX *ctx;
	struct store *store;
	struct agent_conn **conns;
	size_t nconns;
	struct buf body;
	bool txn;
	struct server_stats st;		/* what the stats socket says */
	struct statsock *ss;		/* NULL: none */
	uint64_t round_packages, round_events;	/* in the open transaction */
	struct audit_rules *rules;	/* NULL: no analysis */
	struct audit_event ev;		/* parse space for the rules */
	struct alert_log *alerts;	/* NULL: no analysis */
	struct buf line;		/* an alert line being made */
	bool alert_failed;		/* the open transaction lost an alert */
	struct lograte closed_log;	/* lines about connections closed on a read */
};

static void conn_drop(struct server *s, size_t i)
{
	s->st.open--;
	audit_conn_close(&s->conns[i]->c);
	free(s->conns[i]);
	s->conns[i] = s->conns[--s->nconns];
}

/* Queues an ERROR frame; the connection closes once it is flushed. */
static void conn_fail(struct server *s, struct agent_conn *a, uint16_t code, const char *why)
{
	if (code == AW_ERR_PROTOCOL)
		s->st.refused[REFUSED_PROTOCOL]++;
	aw_put_error(&a->c.out, code, why);
	a->state = CS_CLOSING;
}

static void accept_all(struct server *s, int lfd)
{
	struct agent_conn *a;
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (s->nconns >= s->o->max_conns) {
			s->st.refused[REFUSED_LIMIT]++;
			logmsg("refused connection: %u connections already", s->o->max_conns);
			close(fd);
			continue;
		}
		a = calloc(1, sizeof(*a));
		if (!a || audit_conn_init(&a->c, fd, s->ctx, true) < 0) {
			free(a);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		peer_name(fd, a->peer, sizeof(a->peer));
		a->start_ms = a->last_ms = now_ms();
		a->agent = -1;
		s->conns[s->nconns++] = a;
		s->st.accepted++;
		s->st.open++;
	}
}

/* The agent's host address (the peer's, without the port) goes into
 * agents: `secaudit query --join-audit` finds a gateway event's host by it.
 * A failure is logged only: the address is a help, not the audit trail. */
static void record_address(struct server *s, const struct agent_conn *a)
{
	char host[sizeof(a->peer)];
	char *colon;

	snprintf(host, sizeof(host), "%s", a->peer);
	colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	if (store_agent_address(s->store, a->subject, host, wall()) < 0)
		logmsg("store: agent address: %s", store_error(s->store));
}

static void on_hello(struct server *s, struct agent_conn *a, struct cursor p)
{
	struct aw_hello h;
	struct aw_welcome w;
	size_t i;

	if (!aw_decode_hello(p, &h) || h.stream == 0) {
		logmsg("agent %s (%s): malformed HELLO", a->subject, a->peer);
		conn_fail(s, a, AW_ERR_PROTOCOL, "malformed HELLO");
		return;
	}
	if (h.kind != AW_KIND_AUDIT && h.kind != AW_KIND_EVE) {
		char why[128];

		snprintf(why, sizeof(why), "unknown package kind %u (protocol revision %u):"
			 " this server stores audit (1) and eve (2)", h.kind, h.revision);
		logmsg("refused %s (%s): %s", a->subject, a->peer, why);
		conn_fail(s, a, AW_ERR_KIND, why);
		return;
	}
	/* one live session per agent and stream: a new one replaces the old */
	for (i = 0; i < s->nconns; i++) {
		struct agent_conn *o = s->conns[i];

		if (o != a && o->state == CS_STREAM && o->stream == h.stream &&
		    !strcmp(o->subject, a->subject)) {
			logmsg("agent %s: new session from %s replaces the one from %s",
			       a->subject, a->peer, o->peer);
			conn_fail(s, o, AW_ERR_BUSY, "replaced by a newer session");
		}
	}
	if (store_committed(s->store, a->subject, h.stream, &a->committed) < 0) {
		logmsg("store: %s", store_error(s->store));
		conn_fail(s, a, AW_ERR_STORE, "store unavailable");
		return;
	}
	a->stream = h.stream;
	a->kind = h.kind;
	if (h.kind == AW_KIND_AUDIT)
		record_address(s, a);
	a->received = a->committed;
	a->state = CS_STREAM;
	a->agent = server_stats_agent(&s->st, a->subject);
	if (a->agent >= 0) {
		s->st.agents[a->agent].sessions++;
		s->st.agents[a->agent].last_seen = (uint64_t)wall();
	}
	w.stream = h.stream;
	w.committed = a->committed;
	w.window = s->o->window;
	aw_put_welcome(&a->c.out, &w);
	logmsg("%s %s (%s, name '%s'): stream %016llx, holds %llu..%llu, committed %llu",
	       h.kind == AW_KIND_EVE ? "gateway" : "agent", a->subject, a->peer, h.name,
	       (unsigned long long)h.stream,
	       (unsigned long long)h.first_held, (unsigned long long)h.last_held,
	       (unsigned long long)a->committed);
}

struct hit_ctx {
	struct server *s;
	const struct agent_conn *a;
	uint64_t seq;
};

static void on_hit(void *ctx, const struct audit_rule_info *rule,
		   const struct audit_event *ev)
{
	struct hit_ctx *h = ctx;
	struct server *s = h->s;

	buf_reset(&s->line);
	audit_alert_json(&s->line, rule, h->a->subject, h->a->stream, h->seq, ev);
	if (s->line.oom || alert_log_add(s->alerts, s->line.data, s->line.len) < 0)
		s->alert_failed = true;
}

/* Matches the events of a newly stored package (in s->body); the alert
 * lines go into the same transaction. */
static void analyse(struct server *s, const struct agent_conn *a, uint64_t seq)
{
	struct cursor c = cur_make((const uint8_t *)s->body.data, s->body.len);
	struct hit_ctx h = { s, a, seq };
	const uint8_t *text;
	size_t len;

	if (!s->rules)
		return;
	while (aw_body_next(&c, &text, &len) == 1)
		if (audit_event_parse(text, len, &s->ev))
			audit_rules_match(s->rules, &s->ev, on_hit, &h);
}

/* The open transaction failed: roll it back; everyone with packages in
 * it (and a) must resend. */
static void lose_round(struct server *s, struct agent_conn *a)
{
	logmsg("store: %s", s->alert_failed ? "an alert could not be added"
						: store_error(s->store));
	s->st.store_errors++;
	store_rollback(s->store);
	s->txn = false;
	s->alert_failed = false;
	s->round_packages = s->round_events = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i]->pending)
			conn_fail(s, s->conns[i], AW_ERR_STORE, "store cannot write");
	conn_fail(s, a, AW_ERR_STORE, "store cannot write");
}

static void on_package(struct server *s, struct agent_conn *a, struct cursor p)
{
	struct aw_package pkg;
	int rc;

	if (!aw_decode_package(p, &pkg)) {
		logmsg("agent %s (%s): malformed PACKAGE", a->subject, a->peer);
		conn_fail(s, a, AW_ERR_PROTOCOL, "malformed PACKAGE");
		return;
	}
	if (pkg.seq <= a->received) {
		/* a replay: already stored (or in this round's transaction) */
		s->st.duplicates++;
		if (pkg.seq <= a->committed)
			aw_put_ack(&a->c.out, a->committed);
		return;
	}
	rc = aw_package_body(&pkg, &s->body);
	if (rc < 0) {
		logmsg("agent %s (%s): package %llu: bad compressed body",
		       a->subject, a->peer, (unsigned long long)pkg.seq);
		conn_fail(s, a, AW_ERR_PROTOCOL, "bad package body");
		return;
	}
	if (!s->txn) {
		if (store_begin(s->store) < 0) {
			logmsg("store: %s", store_error(s->store));
			s->st.store_errors++;
			conn_fail(s, a, AW_ERR_STORE, "store cannot write");
			return;
		}
		s->txn = true;
	}
	if (a->kind == AW_KIND_EVE)
		rc = store_gateway_package(s->store, a->subject, a->stream, pkg.seq,
					   pkg.n_events, &s->body, wall());
	else
		rc = store_package(s->store, a->subject, a->stream, pkg.seq,
				   pkg.n_events, &s->body, wall());
	if (rc == -EPROTO) {
		logmsg("agent %s (%s): %s", a->subject, a->peer, store_error(s->store));
		conn_fail(s, a, AW_ERR_PROTOCOL, "package body does not match its header");
		return;
	}
	if (rc < 0) {
		lose_round(s, a);
		return;
	}
	if (pkg.seq > a->received + 1)
		logmsg("agent %s: packages %llu..%llu never arrived (dropped from the agent's spool?)",
		       a->subject, (unsigned long long)a->received + 1,
		       (unsigned long long)pkg.seq - 1);
	a->received = pkg.seq;
	a->pending = pkg.seq;
	if (rc == 0)
		s->st.duplicates++;	/* the store had it (a resend after a lost ACK) */
	if (rc == 1) {
		s->round_packages++;
		s->round_events += pkg.n_events;
		if (a->kind == AW_KIND_AUDIT)
			analyse(s, a, pkg.seq);
		if (s->alert_failed)
			lose_round(s, a);
	}
}

static void on_frame(struct server *s, struct agent_conn *a, struct aw_frame *f)
{
	struct aw_stats st;

	if (a->state == CS_HELLO) {
		if (f->type == AW_HELLO)
			on_hello(s, a, f->payload);
		else
			conn_fail(s, a, AW_ERR_PROTOCOL, "HELLO expected");
		return;
	}
	switch (f->type) {
	case AW_PACKAGE:
		on_package(s, a, f->payload);
		break;
	case AW_HEARTBEAT:
		aw_put_heartbeat(&a->c.out);
		break;
	case AW_STATS:
		if (!aw_decode_stats(f->payload, &st)) {
			conn_fail(s, a, AW_ERR_PROTOCOL, "malformed STATS");
			break;
		}
		if (st.kernel_lost || st.spool_dropped_packages)
			logmsg("agent %s reports: kernel lost %llu, backlog %u, spool dropped %llu packages (%llu events)",
			       a->subject, (unsigned long long)st.kernel_lost,
			       st.kernel_backlog,
			       (unsigned long long)st.spool_dropped_packages,
			       (unsigned long long)st.spool_dropped_events);
		if (!s->txn && store_begin(s->store) == 0)
			s->txn = true;
		if (s->txn)
			store_agent_stats(s->store, a->subject, &st, wall());
		break;
	case AW_ERROR:
		logmsg("agent %s (%s) reports an error", a->subject, a->peer);
		break;
	default:
		logmsg("agent %s (%s): unexpected frame type %u", a->subject,
		       a->peer, f->type);
		conn_fail(s, a, AW_ERR_PROTOCOL, "unexpected frame");
	}
}

/* A connection dropped on a failed read: one line naming the peer and the
 * reason, at most CLOSED_LOG_BURST a minute (a flood of bad peers must not
 * fill the log; the next line told says how many were not). */
static void note_closed(struct server *s, const struct agent_conn *a, const char *why)
{
	char part[64] = "", more[80] = "";
	size_t left = a->c.in.len - a->c.in_off;
	uint64_t held;

	if (!lograte_allow(&s->closed_log, now_ms(), &held))
		return;
	if (left)
		snprintf(part, sizeof(part), " (%zu bytes of a frame unfinished)", left);
	if (held)
		snprintf(more, sizeof(more), "; %llu more closed connections not logged",
			 (unsigned long long)held);
	logmsg("closing %s (%s): %s%s%s", a->peer,
	       a->subject[0] ? a->subject : "no identity", why, part, more);
}

/* Returns false when the connection is to be dropped now. */
static bool conn_input(struct server *s, struct agent_conn *a)
{
	struct aw_frame f;
	char why[256];
	int rc;

	if (a->state == CS_HANDSHAKE) {
		rc = audit_conn_handshake(&a->c);
		if (rc < 0) {
			s->st.refused[server_stats_refusal(a->c.ssl)]++;
			tls_ctx_why(a->c.ssl, why, sizeof(why));
			logmsg("refused %s: %s", a->peer, why);
			return false;
		}
		if (rc == 0)
			return true;
		if (tls_peer_subject(a->c.ssl, a->subject, sizeof(a->subject)) < 0) {
			s->st.refused[REFUSED_NO_CERT]++;
			logmsg("refused %s: no client certificate", a->peer);
			return false;
		}
		a->state = CS_HELLO;
	}
	rc = audit_conn_read(&a->c);
	if (rc < 0) {
		/* the peer closed, or its bytes were not TLS; a verify failure on
		 * our side shows up here too. What input is left is an unfinished
		 * frame (whole ones were taken when they came): it cannot end now,
		 * and the socket would wake the loop at once for ever. */
		if (a->state == CS_HELLO && !a->subject[0]) {
			s->st.refused[server_stats_refusal(a->c.ssl)]++;
			tls_ctx_why(a->c.ssl, why, sizeof(why));
			logmsg("refused %s: %s", a->peer, why);
		} else {
			audit_conn_read_why(&a->c, why, sizeof(why));
			note_closed(s, a, why);
		}
		ERR_clear_error();
		return false;
	}
	if (rc > 0)
		a->last_ms = now_ms();
	if (rc > 0 && a->agent >= 0)
		s->st.agents[a->agent].last_seen = (uint64_t)wall();
	while (a->state != CS_CLOSING && (rc = audit_conn_frame(&a->c, &f)) == 1)
		on_frame(s, a, &f);
	if (rc < 0 && a->state != CS_CLOSING) {
		logmsg("agent %s (%s): %s frame, closing", a->subject, a->peer,
		       rc == -EMSGSIZE ? "oversized" : "malformed");
		conn_fail(s, a, AW_ERR_PROTOCOL, rc == -EMSGSIZE ? "frame too large"
							     : "malformed frame");
	}
	return true;
}

static void commit_round(struct server *s)
{
	size_t i;
	int rc;

	if (!s->txn)
		return;
	s->txn = false;
	/* the log's position goes with the round: a crash after this commit
	 * cuts the log back to it and writes the rest from the store */
	rc = s->alerts ? alert_log_mark(s->alerts) : 0;
	if (rc < 0)
		store_rollback(s->store);
	else
		rc = store_commit(s->store);
	if (rc == 0) {
		s->st.packages += s->round_packages;
		s->st.events += s->round_events;
		if (s->alerts) {
			alert_log_flush(s->alerts);
			s->st.alerts = alert_log_written(s->alerts);
		}
	} else {
		s->st.store_errors++;
	}
	s->round_packages = s->round_events = 0;
	for (i = 0; i < s->nconns; i++) {
		struct agent_conn *a = s->conns[i];

		if (!a->pending)
			continue;
		if (rc == 0) {
			a->committed = a->pending;
			aw_put_ack(&a->c.out, a->committed);
		} else {
			conn_fail(s, a, AW_ERR_STORE, rc == -ENOSPC ? "store full"
							       : "store cannot write");
			a->received = a->committed;
		}
		a->pending = 0;
	}
	if (rc < 0)
		logmsg("store: %s: not acknowledged, agents will resend",
		       store_error(s->store));
}

static void reload(struct server *s)
{
	char err[512];
	SSL_CTX *ctx = tls_ctx_new(&s->o->tls, err, sizeof(err));
	struct audit_rules *rules;

	if (!ctx) {
		logmsg("SIGHUP: %s; keeping the previous certificates", err);
	} else {
		SSL_CTX_free(s->ctx);
		s->ctx = ctx;
		logmsg("SIGHUP: certificates, CA and CRL reloaded");
	}
	if (s->o->rules) {
		rules = audit_rules_load(s->o->rules, err, sizeof(err));
		if (!rules) {
			logmsg("SIGHUP: %s; keeping the previous rules", err);
		} else {
			audit_rules_free(s->rules);
			s->rules = rules;
			logmsg("SIGHUP: %zu rules reloaded from %s",
			       audit_rules_count(rules), s->o->rules);
		}
	}
	if (s->alerts)
		alert_log_reopen(s->alerts);	/* for logrotate */
}

/* Drops root for o->user, unless that is "root" or the server is not root. */
static int drop_root(const struct server_opts *o)
{
	char err[512];

	if (!strcmp(o->user, "root")) {
		if (geteuid() == 0)
			logmsg("user root: keeping every privilege (not recommended)");
		return 0;
	}
	if (privdrop_to(o->user, NULL, 0, err, sizeof(err)) < 0) {
		logmsg("%s", err);
		return -1;
	}
	if (geteuid() != 0)
		logmsg("running as uid %u", (unsigned)geteuid());
	return 0;
}

int server_run(const struct server_opts *o)
{
	struct server s = { .o = o, .st = { .start_ms = now_ms() },
			    .closed_log = { .burst = CLOSED_LOG_BURST, .window_ms = 60000 } };
	struct pollfd *pfd = NULL;
	struct sigaction sa = { 0 };
	char err[512];
	int lfd = -1, ret = 1, n;
	size_t i;

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.ctx = tls_ctx_new(&o->tls, err, sizeof(err));
	if (!s.ctx) {
		logmsg("%s", err);
		goto out;
	}
	s.store = store_open(o->store, err, sizeof(err));
	if (!s.store) {
		logmsg("store %s", err);
		goto out;
	}
	if (o->rules) {
		s.rules = audit_rules_load(o->rules, err, sizeof(err));
		if (!s.rules) {
			logmsg("rules %s", err);
			goto out;
		}
		s.alerts = alert_log_open(o->alert_log, s.store);
		if (!s.alerts)
			goto out;
	}
	lfd = server_listen(o->listen);
	if (lfd < 0)
		goto out;
	if (o->stats_socket && !(s.ss = statsock_open(o->stats_socket, "server", &n))) {
		logmsg("stats socket %s: %s", o->stats_socket, strerror(-n));
		goto out;
	}
	if (drop_root(o) < 0)
		goto out;
	s.conns = calloc(o->max_conns, sizeof(*s.conns));
	pfd = calloc(o->max_conns + 2, sizeof(*pfd));
	if (!s.conns || !pfd)
		goto out;
	logmsg("listening on %s, store %s, %zu rules", o->listen, o->store,
	       audit_rules_count(s.rules));
	while (!stop_flag) {
		size_t stats_ix;
		uint64_t now;

		if (reload_flag) {
			reload_flag = 0;
			reload(&s);
		}
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < s.nconns; i++) {
			pfd[i + 1].fd = s.conns[i]->c.fd;
			pfd[i + 1].events = audit_conn_events(&s.conns[i]->c);
			pfd[i + 1].revents = 0;
		}
		/* the stats socket after the connections, answered at once */
		stats_ix = s.nconns + 1;
		pfd[stats_ix].fd = s.ss ? statsock_fd(s.ss) : -1;
		pfd[stats_ix].events = POLLIN;
		pfd[stats_ix].revents = 0;
		n = poll(pfd, s.nconns + 2, 1000);
		if (n < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && pfd[stats_ix].revents)
			statsock_serve(s.ss, server_stats_render, &s.st);
		now = now_ms();
		/* pass 1: input; all new packages go into one transaction */
		for (i = 0; n > 0 && i < s.nconns; i++) {
			struct agent_conn *a = s.conns[i];

			if (!pfd[i + 1].revents || a->state == CS_CLOSING)
				continue;
			if (!conn_input(&s, a))
				a->state = CS_CLOSING, a->c.out.len = a->c.out_off = 0;
		}
		commit_round(&s);
		now = now_ms();	/* pass 1 stamped last_ms after the poll */
		/* pass 2: output, timeouts, closing (pfd indexes end here) */
		for (i = s.nconns; i-- > 0;) {
			struct agent_conn *a = s.conns[i];
			bool stale = a->state == CS_HANDSHAKE
				     ? now - a->start_ms > o->handshake_timeout_ms
				     : now - a->last_ms > o->idle_timeout_ms;

			if (a->c.established && audit_conn_flush(&a->c) < 0) {
				conn_drop(&s, i);
				continue;
			}
			if (stale) {
				if (a->state == CS_HANDSHAKE)
					s.st.refused[REFUSED_TIMEOUT]++;
				logmsg("closing %s (%s): %s timeout", a->peer,
				       a->subject[0] ? a->subject : "no identity",
				       a->state == CS_HANDSHAKE ? "handshake" : "idle");
				conn_drop(&s, i);
				continue;
			}
			if (a->state == CS_CLOSING && !audit_conn_pending_out(&a->c))
				conn_drop(&s, i);
		}
		if (n > 0 && pfd[0].revents)
			accept_all(&s, lfd);
	}
	logmsg("stopping: %llu packages, %llu events stored, %llu alerts",
	       (unsigned long long)s.st.packages, (unsigned long long)s.st.events,
	       (unsigned long long)(s.alerts ? alert_log_written(s.alerts) : 0));
	ret = 0;
out:
	while (s.nconns)
		conn_drop(&s, s.nconns - 1);
	free(s.conns);
	free(pfd);
	if (lfd >= 0)
		close(lfd);
	if (s.txn)
		store_rollback(s.store);
	/* a clean stop marks how far the log got: the next start rewrites nothing */
	if (s.alerts && store_begin(s.store) == 0 &&
	    (alert_log_mark(s.alerts) < 0 || store_commit(s.store) < 0))
		store_rollback(s.store);
	statsock_close(s.ss);
	server_stats_free(&s.st);
	alert_log_close(s.alerts);
	store_close(s.store);
	SSL_CTX_free(s.ctx);
	buf_free(&s.body);
	buf_free(&s.line);
	audit_event_free(&s.ev);
	audit_rules_free(s.rules);
	return ret;
}
