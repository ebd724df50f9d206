/*
 * secaudit-agent: reads audit records (from the kernel's audit netlink
 * socket, or from auditd's dispatcher on stdin with --stdin), groups them
 * into events, batches events into packages that go to the on-disk spool,
 * and ships the spool to secaudit-server over mutual TLS (sender.h).
 *
 * Two threads: this one reads and spools, never waiting for the network;
 * the sender thread owns the connection. On SIGTERM/SIGINT the open batch is
 * spooled before exit; on end of stdin the agent exits once the server has
 * acknowledged everything.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_stats.h"
#include "audit_boot.h"
#include "audit_config.h"
#include "audit_nl.h"
#include "audit_rec.h"
#include "audit_wire.h"
#include "sender.h"
#include "spool.h"
#include "statsock.h"
#include "tls_ctx.h"
#include "version.h"

struct agent_opts {
	const char *spool_dir;
	uint64_t spool_max;
	enum spool_overflow overflow;
	bool use_stdin, watch_exec;
	const char *exec_key;
	const char *stats_socket;	/* NULL: none */
	unsigned backlog_limit;
	unsigned batch_events, batch_bytes, batch_ms;
};

struct batch {
	struct agent_opts *o;
	struct spool *spool;
	struct sender *sender;
	struct buf body;
	uint32_t n;
	uint64_t first_ms;
	int err;
	struct statsock *ss;		/* NULL: no stats socket */
	struct agent_stats stats;
};

static volatile sig_atomic_t stop_flag;
static struct sender *volatile reloadable;   /* set while the sender runs */

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		if (reloadable)
			sender_reload(reloadable);
		return;
	}
	stop_flag = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void flush_batch(struct batch *b)
{
	uint64_t seq;
	int rc;

	if (b->n == 0)
		return;
	rc = spool_append(b->spool, b->n, &b->body, &seq);
	if (rc < 0) {
		fprintf(stderr, "secaudit-agent: spool: %s: %u events not spooled\n",
			strerror(-rc), b->n);
		b->err = rc;
	}
	atomic_fetch_add(&b->sender->events_total, b->n);
	buf_reset(&b->body);
	b->n = 0;
	sender_wake(b->sender);
}

/* Answers whoever asks for the counters; called between reads, so an
 * answer waits at most one poll interval (50 ms). */
static void serve_stats(struct batch *b)
{
	if (b->ss)
		statsock_serve(b->ss, agent_stats_render, &b->stats);
}

static void on_event(void *ctx, const char *text, size_t len)
{
	struct batch *b = ctx;

	if (b->n == 0)
		b->first_ms = now_ms();
	aw_put_event(&b->body, text, len);
	b->n++;
	if (b->n >= b->o->batch_events || b->body.len >= b->o->batch_bytes)
		flush_batch(b);
}

/* Feeds complete lines of in[0..*len) to the grouper; keeps the rest. */
static void feed_lines(struct audit_grouper *g, char *in, size_t *len)
{
	size_t start = 0, i;
	uint64_t t = now_ms();

	for (i = 0; i < *len; i++) {
		if (in[i] != '\n')
			continue;
		if (i > start)
			audit_grouper_add(g, in + start, i - start, t);
		start = i + 1;
	}
	if (start == 0 && *len == AUDIT_REC_MAX_LINE) {
		/* a line longer than any record: drop it */
		audit_grouper_add(g, in, *len, t);
		start = *len;
	}
	memmove(in, in + start, *len - start);
	*len -= start;
}

static int read_stdin(struct batch *b, struct audit_grouper *g)
{
	static char in[AUDIT_REC_MAX_LINE];
	size_t len = 0;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	ssize_t r;

	while (!stop_flag) {
		if (poll(&p, 1, 50) > 0) {
			r = read(0, in + len, sizeof(in) - len);
			if (r == 0)
				break;
			if (r < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (r > 0) {
				len += (size_t)r;
				feed_lines(g, in, &len);
			}
		}
		audit_grouper_expire(g, now_ms(), false);
		if (b->n && now_ms() - b->first_ms >= b->o->batch_ms)
			flush_batch(b);
		serve_stats(b);
	}
	if (len)
		audit_grouper_add(g, in, len, now_ms());
	return 0;
}

/* Said at start and by --test-config when the agent reads the kernel: the
 * processes it cannot see (audit_boot.h). */
static void warn_boot(void)
{
	const char *w = audit_boot_warning();

	if (w)
		fprintf(stderr, "secaudit-agent: warning: %s\n", w);
}

static int read_kernel(struct batch *b, struct audit_grouper *g,
		       struct agent_opts *o)
{
	char line[AUDIT_REC_MAX_LINE];
	struct audit_nl nl;
	struct pollfd p;
	uint64_t last_status = 0;
	uint32_t reported_lost;
	size_t len;
	int rc;

	rc = audit_nl_open(&nl);
	if (rc < 0) {
		fprintf(stderr, "secaudit-agent: kernel audit socket: %s%s\n", strerror(-rc),
			rc == -EPROTONOSUPPORT ? " (no audit in this kernel; use --stdin under auditd)" : "");
		return rc;
	}
	rc = audit_nl_status(&nl);
	if (rc == 0 && nl.pid && nl.pid != (uint32_t)getpid() && kill((pid_t)nl.pid, 0) == 0) {
		fprintf(stderr, "secaudit-agent: pid %u (auditd?) owns the audit socket; "
			"run as its dispatcher plugin with --stdin instead\n", nl.pid);
		rc = -EBUSY;
		goto out;
	}
	reported_lost = nl.lost;
	rc = audit_nl_remove_stale(&nl, o->exec_key);
	if (rc > 0)
		fprintf(stderr, "secaudit-agent: removed %d audit rules left by a run that died\n", rc);
	else if (rc < 0)
		fprintf(stderr, "secaudit-agent: warning: listing audit rules: %s; rules of a run "
			"that died may remain\n", strerror(-rc));
	if ((rc = audit_nl_exclude_pid(&nl, (uint32_t)getpid())) < 0 ||
	    (o->watch_exec && (rc = audit_nl_watch_exec(&nl, o->exec_key)) < 0) ||
	    (rc = audit_nl_claim(&nl, (uint32_t)getpid(), o->backlog_limit)) < 0) {
		fprintf(stderr, "secaudit-agent: kernel audit setup: %s\n", strerror(-rc));
		goto out;
	}
	fprintf(stderr, "secaudit-agent: reading kernel audit (backlog limit %u%s)\n",
		o->backlog_limit, o->watch_exec ? ", execve rules installed" : "");
	warn_boot();
	p.fd = nl.fd;
	p.events = POLLIN;
	while (!stop_flag) {
		if (poll(&p, 1, 50) > 0) {
			/* drain what is queued, bounded so timers still run */
			for (int i = 0; i < 4096; i++) {
				rc = audit_nl_recv(&nl, line, sizeof(line), &len);
				if (rc == 1)
					audit_grouper_add(g, line, len, now_ms());
				else if (rc < 0)
					break;
			}
			if (rc < 0 && rc != -EAGAIN && rc != -EINTR) {
				if (rc == -ENOBUFS) {
					fprintf(stderr, "secaudit-agent: netlink receive queue overflowed\n");
				} else {
					fprintf(stderr, "secaudit-agent: audit recv: %s\n", strerror(-rc));
					break;
				}
			}
		}
		if (now_ms() - last_status >= 1000) {
			audit_nl_request_status(&nl);
			last_status = now_ms();
			atomic_store(&b->sender->kernel_lost, nl.lost);
			atomic_store(&b->sender->kernel_backlog, nl.backlog);
			if (nl.lost > reported_lost) {
				fprintf(stderr, "secaudit-agent: kernel lost %u records (total %u), backlog %u\n",
					nl.lost - reported_lost, nl.lost, nl.backlog);
				reported_lost = nl.lost;
			}
		}
		audit_grouper_expire(g, now_ms(), false);
		if (b->n && now_ms() - b->first_ms >= b->o->batch_ms)
			flush_batch(b);
		serve_stats(b);
	}
	rc = 0;
out:
	audit_nl_close(&nl);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit-agent [--config FILE] --server HOST:PORT --cert FILE --key FILE\n"
		"         --ca FILE [--crl FILE] [--server-name NAME] [--tls-min 1.2|1.3]\n"
		"         [--spool DIR] [--spool-max BYTES] [--overflow drop-oldest|block]\n"
		"         [--watch-exec] [--exec-key KEY] [--backlog-limit N] [--stdin]\n"
		"         [--batch-events N] [--batch-bytes N] [--batch-ms MS]\n"
		"         [--heartbeat SECONDS] [--window N] [--name NAME]\n"
		"         [--stats-socket PATH] [--test-config]\n"
		"       secaudit-agent --help | --version\n"
		"  --stats-socket PATH  answer `secaudit stats --agent` there (default: none)\n"
		"  -n, --test-config  check the configuration and the TLS files and exit\n");
}

static bool num(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && *s && !*end && *s != '-';
}

/* Applies one setting by its config name; false with err when invalid. */
static bool setting(const char *key, const char *v, struct agent_opts *a,
		    struct sender_opts *s, char *err, size_t errsz)
{
	uint64_t u = 0;
	bool isnum = num(v, &u) && u <= UINT32_MAX;

	if (!strcmp(key, "server")) s->server = v;
	else if (!strcmp(key, "server_name")) s->server_name = v;
	else if (!strcmp(key, "name")) s->name = v;
	else if (!strcmp(key, "tls.cert")) s->tls.cert = v;
	else if (!strcmp(key, "tls.key")) s->tls.key = v;
	else if (!strcmp(key, "tls.ca")) s->tls.ca = v;
	else if (!strcmp(key, "tls.crl")) s->tls.crl = v;
	else if (!strcmp(key, "tls.min_version")) {
		if (!strcmp(v, "1.3")) s->tls.min_version = TLS1_3_VERSION;
		else if (!strcmp(v, "1.2")) s->tls.min_version = TLS1_2_VERSION;
		else goto bad;
	}
	else if (!strcmp(key, "spool.dir")) a->spool_dir = v;
	else if (!strcmp(key, "stats_socket")) a->stats_socket = strcmp(v, "none") ? v : NULL;
	else if (!strcmp(key, "spool.max_bytes")) { if (!num(v, &a->spool_max)) goto bad; }
	else if (!strcmp(key, "spool.overflow")) {
		if (!strcmp(v, "drop-oldest")) a->overflow = SPOOL_DROP_OLDEST;
		else if (!strcmp(v, "block")) a->overflow = SPOOL_BLOCK;
		else goto bad;
	}
	else if (!strcmp(key, "source.stdin")) a->use_stdin = !strcmp(v, "true");
	else if (!strcmp(key, "source.watch_exec")) a->watch_exec = !strcmp(v, "true");
	else if (!strcmp(key, "source.exec_key")) a->exec_key = v;
	else if (!strcmp(key, "source.backlog_limit")) { if (!isnum) goto bad; a->backlog_limit = (unsigned)u; }
	else if (!strcmp(key, "batch.events")) { if (!isnum || !u) goto bad; a->batch_events = (unsigned)u; }
	else if (!strcmp(key, "batch.bytes")) { if (!isnum || !u) goto bad; a->batch_bytes = (unsigned)u; }
	else if (!strcmp(key, "batch.ms")) { if (!isnum || !u) goto bad; a->batch_ms = (unsigned)u; }
	else if (!strcmp(key, "heartbeat")) { if (!isnum || !u) goto bad; s->heartbeat_ms = (unsigned)u * 1000; }
	else if (!strcmp(key, "window")) { if (!isnum || !u) goto bad; s->window = (unsigned)u; }
	else {
		snprintf(err, errsz, "unknown setting '%s'", key);
		return false;
	}
	return true;
bad:
	snprintf(err, errsz, "%s: '%s' is not a valid value", key, v);
	return false;
}

static const char *const config_keys[] = {
	"server", "server_name", "name", "tls.cert", "tls.key", "tls.ca", "tls.crl",
	"tls.min_version", "spool.dir", "spool.max_bytes", "spool.overflow",
	"source.stdin", "source.watch_exec", "source.exec_key",
	"source.backlog_limit", "batch.events", "batch.bytes", "batch.ms",
	"heartbeat", "window", "stats_socket",
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "server", required_argument, NULL, 1 },
		{ "server-name", required_argument, NULL, 2 },
		{ "name", required_argument, NULL, 3 },
		{ "cert", required_argument, NULL, 4 },
		{ "key", required_argument, NULL, 5 },
		{ "ca", required_argument, NULL, 6 },
		{ "crl", required_argument, NULL, 7 },
		{ "tls-min", required_argument, NULL, 8 },
		{ "spool", required_argument, NULL, 9 },
		{ "spool-max", required_argument, NULL, 10 },
		{ "overflow", required_argument, NULL, 11 },
		{ "stdin", no_argument, NULL, 12 },
		{ "watch-exec", no_argument, NULL, 13 },
		{ "exec-key", required_argument, NULL, 14 },
		{ "backlog-limit", required_argument, NULL, 15 },
		{ "batch-events", required_argument, NULL, 16 },
		{ "batch-bytes", required_argument, NULL, 17 },
		{ "batch-ms", required_argument, NULL, 18 },
		{ "heartbeat", required_argument, NULL, 19 },
		{ "window", required_argument, NULL, 20 },
		{ "stats-socket", required_argument, NULL, 21 },
		{ "test-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const flag_key[] = {
		NULL, "server", "server_name", "name", "tls.cert", "tls.key",
		"tls.ca", "tls.crl", "tls.min_version", "spool.dir",
		"spool.max_bytes", "spool.overflow", "source.stdin",
		"source.watch_exec", "source.exec_key", "source.backlog_limit",
		"batch.events", "batch.bytes", "batch.ms", "heartbeat", "window",
		"stats_socket",
	};
	struct agent_opts a = {
		.spool_dir = "/var/spool/secaudit",
		.spool_max = 1ull << 30,
		.exec_key = "secaudit-exec",
		.backlog_limit = 8192,
		.batch_events = 2000, .batch_bytes = 1 << 20, .batch_ms = 200,
	};
	struct sender_opts so = {
		.heartbeat_ms = 10000, .backoff_min_ms = 200,
		.backoff_max_ms = 30000, .window = 64,
	};
	const char *fv[22] = { 0 };
	struct audit_config cfg = { 0 };
	struct audit_grouper *g = NULL;
	struct spool *spool = NULL;
	struct sender snd;
	struct batch b = { 0 };
	struct sigaction sa = { 0 };
	const char *config = NULL, *v;
	pthread_t thr;
	bool started = false, sender_ok = false, check = false;
	char err[512], host[256];
	int ch, rc, ret = 2;
	size_t i;

	while ((ch = getopt_long(argc, argv, "hn", longopts, NULL)) != -1) {
		if (ch == 'C')
			config = optarg;
		else if (ch == 'n')
			check = true;
		else if (ch >= 1 && ch <= 21)
			fv[ch] = (ch == 12 || ch == 13) ? "true" : optarg;
		else if (ch == 'h') {
			usage(stdout);
			return 0;
		} else if (ch == 'V') {
			version_print("secaudit-agent");
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config) {
		if (audit_config_load(config, &cfg, err, sizeof(err)) < 0)
			goto bad;
		for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
			if ((v = audit_config_get(&cfg, config_keys[i])) &&
			    !setting(config_keys[i], v, &a, &so, err, sizeof(err)))
				goto bad;
		if (audit_config_unused(&cfg, err, sizeof(err)) < 0)
			goto bad;
	}
	for (i = 1; i <= 21; i++)
		if (fv[i] && !setting(flag_key[i], fv[i], &a, &so, err, sizeof(err)))
			goto bad;
	if (!so.server || !so.tls.cert || !so.tls.key || !so.tls.ca) {
		snprintf(err, sizeof(err), "--server, --cert, --key and --ca are required");
		goto bad;
	}
	if (!strrchr(so.server, ':') || strlen(so.server) >= sizeof(host)) {
		snprintf(err, sizeof(err), "--server '%s': want HOST:PORT", so.server);
		goto bad;
	}
	if (check) {
		SSL_CTX *ctx = tls_ctx_new(&so.tls, err, sizeof(err));

		if (!ctx)
			goto bad;
		SSL_CTX_free(ctx);
		if (!a.use_stdin)
			warn_boot();
		printf("configuration ok (reads %s, ships to %s)\n",
		       a.use_stdin ? "auditd's dispatcher on stdin" : "the kernel audit socket",
		       so.server);
		audit_config_free(&cfg);
		return 0;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = 1;
	spool = spool_open(a.spool_dir, a.spool_max, a.overflow, err, sizeof(err));
	if (!spool) {
		fprintf(stderr, "secaudit-agent: %s\n", err);
		goto out;
	}
	if (sender_init(&snd, &so, spool) < 0)
		goto out;
	sender_ok = true;
	if (pthread_create(&thr, NULL, sender_run, &snd) != 0) {
		fprintf(stderr, "secaudit-agent: cannot start the sender thread\n");
		goto out;
	}
	reloadable = &snd;
	started = true;
	b.o = &a;
	b.spool = spool;
	b.sender = &snd;
	g = audit_grouper_new(on_event, &b, 1000, a.use_stdin);
	if (!g)
		goto out;
	b.stats = (struct agent_stats){ &snd, spool, g, now_ms() };
	if (a.stats_socket && !(b.ss = statsock_open(a.stats_socket, "agent", &rc))) {
		fprintf(stderr, "secaudit-agent: stats socket %s: %s\n", a.stats_socket,
			strerror(-rc));
		ret = 1;
		goto out;
	}
	if (a.use_stdin)
		ret = read_stdin(&b, g) < 0 ? 1 : 0;
	else
		ret = read_kernel(&b, g, &a) < 0 ? 1 : 0;
	/* what was read is spooled before we go */
	audit_grouper_expire(g, 0, true);
	flush_batch(&b);
	if (b.err)
		ret = 1;
	if (!stop_flag && ret == 0) {
		atomic_store(&snd.exit_when_drained, true);
		sender_wake(&snd);
		while (!stop_flag && pthread_tryjoin_np(thr, NULL) == EBUSY)
			usleep(20000);
		if (!stop_flag)
			started = false;	/* joined */
	}
out:
	reloadable = NULL;
	if (started) {
		atomic_store(&snd.stop, true);
		spool_wakeup(spool);
		sender_wake(&snd);
		pthread_join(thr, NULL);
	}
	if (sender_ok)
		sender_fini(&snd);
	statsock_close(b.ss);
	audit_grouper_free(g);
	buf_free(&b.body);
	spool_close(spool);
	audit_config_free(&cfg);
	return ret;
bad:
	fprintf(stderr, "secaudit-agent: %s\n", err);
	audit_config_free(&cfg);
	return 2;
}
