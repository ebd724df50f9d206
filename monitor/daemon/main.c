/*
 * secaudit-monitor: the inline TLS monitor on a gateway's packet path.
 *
 *   secaudit-monitor [--config FILE] [--rules FILE] [--queue N|N:M]
 *                    [--log FILE] [--stats-socket PATH] [--stats-interval S]
 *                    [--user NAME] [--evidence DIR] [--fail-closed]
 *                    [--queue-cpu LIST] [--keylog FILE] [--test-config]
 *
 * Settings come from the --config file (daemon_config.h), then the flags.
 *
 * Threads. One worker per NFQUEUE queue, each with its own inspector
 * (engine, flows, certificate cache, session cache) and RST injector; they
 * share only the compiled policy, which is immutable. A worker is named
 * sa-queue-N (N its queue) and, with --queue-cpu / queue_cpu:, runs only on
 * its CPU: the one that takes the NIC's RX queue feeding it, so a packet is
 * judged where its softirq ran (docs/deploy.md). The main thread owns
 * the signals (signalfd), the stats socket, the periodic `stats` event and
 * rule reloads; it never touches a worker's inspector.
 *
 * Per packet (worker): the inspector's verdict; drop and reject drop the
 * packet and mark the connection denied (the kernel drops the rest of the
 * flow), reject also resets both ends; a flow whose inspection is over is
 * marked accepted, so the kernel stops queueing it (engine_last_decided).
 * The packets already queued behind a decided flow's deciding one take its
 * verdict as repeats (engine_last_repeated): a refused flow's are dropped,
 * without a second reset, counted as verdicts.drop_repeated, not as
 * refusals; an accepted flow's are accepted (and marked again), counted as
 * verdicts.accept_repeated, not as acceptances.
 *
 * Reload (SIGHUP): the main thread reads the configuration file again and
 * applies the command line over it, as at start, then compiles the rules it
 * names (a changed `rules:` takes effect, so does a changed `alert_log:` or
 * stats interval). A setting only a restart can change (queues, user,
 * limits, marks, sockets, evidence) that differs, a configuration or rules
 * file that does not validate: the reload is refused whole, the running
 * policy stays, and the refusal is an `anomaly` event in the alert log
 * (daemon.reload_refused), a line on stderr and `reload_failures` in stats.
 * A good policy is handed to every worker, which switches between two
 * batches of packets; once all have switched the old policy is freed.
 *
 * Alert log: one file descriptor opened O_APPEND, written by each worker
 * with whole lines after each round of packets (a refused packet's lines
 * before its verdict, an accepted one's after the round's verdicts are
 * sent, off the packet's path). SIGUSR1 (and
 * SIGHUP, after the reload) opens the path again and dup2()s the new file
 * over the old descriptor, so a rotated log is let go at once and no writer
 * ever sees a closed fd. A file the daemon creates while still root belongs
 * to the user it drops to, so later reopens as that user work. A reopen that
 * fails is an `anomaly` event (daemon.log_reopen_failed) in the file still
 * open, counted as `log_reopen_failures`, and retried every few seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <pcap/dlt.h>

#include "buf.h"
#include "daemon/daemon_config.h"
#include "engine/eve.h"
#include "io/inject.h"
#include "io/keylogfile.h"
#include "engine/inspector.h"
#include "json.h"
#include "io/nfq.h"
#include "io/nfq_feed.h"
#include "io/shipper.h"
#include "policy/policy.h"
#include "policy/policy_lint.h"
#include "privdrop.h"
#include "statsock.h"
#include "tls_ctx.h"
#include "io/synlog.h"
#include "probe/prober.h"
#include "tls/keylog.h"
#include "version.h"

#define WORKER_POLL_MS 200
#define RELOAD_WAIT_MS 5000
#define LOG_RETRY_US (5 * 1000000ULL) /* between attempts to reopen the log */
#define EVIDENCE_BUDGET (32u << 20)   /* bytes of handshake packets kept per queue thread */
#define LOG_DEFER_MAX (64u << 10)     /* event bytes an accepting round holds back at most */

struct worker_counts {
	uint64_t packets, accept, accept_flow, drop_flow, rejects, rsts_sent, rst_errors;
	uint64_t evasion_drops;          /* packets dropped alone (evasion) */
	uint64_t drop_repeated;          /* packets of flows refused before them */
	uint64_t accept_repeated;        /* packets of flows accepted before them */
	uint64_t log_errors;
	struct inspector_counters in;
	struct inspector_probe_counters probe;
	struct inspector_keys_counters keys;
	struct engine_counters eng;
};

struct worker {
	struct monitor *m;
	uint16_t queue;
	pthread_t thread;
	bool started;
	struct nfqueue *q;
	struct inspector *in;
	struct inject *inj;
	int wake_fd;                     /* eventfd: a probe answered, or key log lines came */
	uint64_t hold_due;               /* monotonic µs of the next held flight's deadline */
	struct buf out;
	struct worker_counts n;          /* the worker's own */
	pthread_mutex_t lock;            /* guards snap */
	struct worker_counts snap;       /* published after each batch */
	_Atomic(const struct policy *) pending;
	_Atomic(const struct policy *) applied;
	atomic_bool dead;
};

struct monitor {
	struct daemon_config cfg;
	const struct policy *policy;
	int log_fd;
	atomic_bool stop;
	unsigned n_workers;
	struct worker *w;
	struct statsock *ss;
	struct synlog *synlog;          /* clients' SYNs (NFLOG); NULL: none */
	struct prober *prober;          /* tls13_certificates: probe; NULL: none */
	struct keylog *keylog;          /* --keylog's secrets; NULL: none */
	struct keylogfile *keylog_file; /* follows the file into keylog */
	struct shipper *ship;           /* central: events to the server; NULL: none */
	uint64_t reloads, reload_failures, start_us;
	uint64_t log_reopen_failures;
	uint64_t log_retry_at;          /* monotonic µs of the next reopen try; 0: none due */
	uint64_t central_lost;          /* events central: dropped, as last reported */
	uint64_t central_note_at;       /* monotonic µs of that report */
	bool log_failing;               /* the last reopen failed (reported once) */
	/* the netfilter rules at start (check_feed): whether any feeds our
	 * queues, and how many queues they feed with bypass that nobody serves */
	bool not_fed;
	uint64_t unserved_queues;
	int argc;                       /* the command line, applied again on reload */
	char **argv;
};

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Whole lines to the log; a short write is continued, a failure counted. */
static int write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Event lines to the log, and a copy to the central server (central:). */
static int emit(struct monitor *m, const char *lines, size_t len)
{
	if (m->ship)
		shipper_offer(m->ship, lines, len);
	return write_all(m->log_fd, lines, len);
}

static void flush_log(struct worker *w)
{
	if (!w->out.len)
		return;
	if (w->out.oom || emit(w->m, (const char *)w->out.data, w->out.len) < 0)
		w->n.log_errors++;
	buf_reset(&w->out);
	w->out.oom = false;
}

static int on_packet(void *arg, struct nfqueue_packet *p)
{
	struct worker *w = arg;
	const uint8_t *pkt = p->data;
	size_t len = p->len;
	enum engine_verdict v;
	enum engine_pkt_action act;
	bool decided;
	int r = NFQUEUE_ACCEPT;

	w->n.packets++;
	v = inspector_ip_packet(w->in, pkt, len, clock_us(CLOCK_REALTIME),
				p->csum_not_ready ? ENGINE_PKT_CSUM_UNKNOWN : 0);
	if (inspector_last_held(w->in)) {
		/* The server's TLS 1.3 flight waits for the probe of its chain
		 * (released by release_held()); one over the per-flow cap is
		 * dropped: TCP sends it again. */
		flush_log(w);
		return inspector_hold(w->in, p->id, p->mark) == 0 ? NFQUEUE_HOLD : NFQUEUE_DROP;
	}
	decided = engine_last_decided(inspector_engine(w->in));
	/* A packet of a flow decided before it (queued behind the deciding
	 * one, or sent again before the mark applied): it goes as its flow
	 * did, with the flow's mark; its resets were sent and its verdict
	 * counted already. Nothing was logged for it. */
	if (engine_last_repeated(inspector_engine(w->in))) {
		if (v == ENGINE_ACCEPT) {
			w->n.accept_repeated++;
			return NFQUEUE_ACCEPT_FLOW;
		}
		w->n.drop_repeated++;
		flush_log(w);
		return NFQUEUE_DROP_FLOW;
	}
	/* Evasion: a packet the receiver would discard is dropped alone; a
	 * conflicting copy leaves with the judged bytes. */
	act = engine_last_action(inspector_engine(w->in), &p->new_data, &p->new_len);
	if (act == ENGINE_PKT_DROP && v == ENGINE_ACCEPT) {
		w->n.evasion_drops++;
		flush_log(w);
		return NFQUEUE_DROP;
	}
	/* A reset follows the packets accepted before this one (a server
	 * flight cut in segments: the ServerHello accepted, its Certificate
	 * judged), else its receiver, still missing them, ignores it. */
	if (v == ENGINE_REJECT || (v == ENGINE_DROP && w->m->cfg.drop_resets_server))
		nfqueue_flush_verdicts(w->q);
	switch (v) {
	case ENGINE_REJECT:
		w->n.rejects++;
		if (w->inj && inject_rst_both(w->inj, pkt, len) == 0)
			w->n.rsts_sent += 2;
		else
			w->n.rst_errors++;
		/* fall through */
	case ENGINE_DROP:
		/* drop: the client's packets stop here, so its server would
		 * wait for it until its own timeout (a server serving one
		 * connection at a time would serve nobody else): reset the
		 * server, unless drop_resets_server is false. */
		if (v == ENGINE_DROP && w->m->cfg.drop_resets_server) {
			if (w->inj && inject_rst_one(w->inj, pkt, len,
						     engine_last_from_server(inspector_engine(w->in))) == 0)
				w->n.rsts_sent++;
			else
				w->n.rst_errors++;
		}
		w->n.drop_flow++;
		r = NFQUEUE_DROP_FLOW;
		break;
	default:
		if (decided) {
			w->n.accept_flow++;
			r = NFQUEUE_ACCEPT_FLOW;
		} else {
			w->n.accept++;
		}
		break;
	}
	/* An accepted packet's event lines (its session's tls event) wait
	 * for the end of the round, after the verdicts are sent (worker_main):
	 * the write is off the packet's path. A refusal's are written after
	 * its resets (they do not wait on the disk) and before its verdict. */
	if (r == NFQUEUE_DROP_FLOW || w->out.len >= LOG_DEFER_MAX)
		flush_log(w);
	return r;
}

/* The verdict of a held flight (inspector_set_prober): drop and reject as
 * a packet's would be (with their resets), accept for the flow once it is
 * decided; dropped as repeats when a packet refused the flow before. */
static void release_held(void *arg, const uint32_t *ids, const uint32_t *marks, unsigned n,
			 enum engine_verdict v, bool decided, bool repeat, const uint8_t *pkt,
			 size_t len)
{
	struct worker *w = arg;
	int verdict = v != ENGINE_ACCEPT ? NFQUEUE_DROP_FLOW :
		      decided ? NFQUEUE_ACCEPT_FLOW : NFQUEUE_ACCEPT;
	unsigned i;

	if (!w->q)
		return;             /* stopping: the kernel's bypass applies */
	for (i = 0; i < n; i++)
		nfqueue_release(w->q, ids[i], verdict, marks[i]);
	if (v == ENGINE_ACCEPT) {
		*(decided ? &w->n.accept_flow : &w->n.accept) += 1;
		return;
	}
	if (repeat) {
		w->n.drop_repeated += n;
		return;
	}
	w->n.drop_flow++;
	if (!pkt)
		return;             /* a QUIC flight: UDP has no reset */
	if (v == ENGINE_REJECT) {
		w->n.rejects++;
		if (w->inj && inject_rst_both(w->inj, pkt, len) == 0)
			w->n.rsts_sent += 2;
		else
			w->n.rst_errors++;
	} else if (w->m->cfg.drop_resets_server) {
		/* the held packets are the server's: reset their sender */
		if (w->inj && inject_rst_one(w->inj, pkt, len, 1) == 0)
			w->n.rsts_sent++;
		else
			w->n.rst_errors++;
	}
}

/* A probe answered (the prober's pool) or key log lines came (the key
 * log's follower): wakes every queue thread, to judge what waited. */
static void wake_workers(void *arg)
{
	struct monitor *m = arg;
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < m->n_workers; i++)
		if (m->w[i].wake_fd >= 0 && write(m->w[i].wake_fd, &one, sizeof(one)) < 0)
			continue;   /* the counter is full: the thread is awake anyway */
}

/* Waits for packets or a probe's answer, at most until the next held
 * flight's deadline; handles the queued packets, then judges what the
 * probes answered (so that the counters published next include it). Same
 * return as nfqueue_dispatch(). */
static int worker_wait(struct worker *w)
{
	struct pollfd pfd[2] = { { nfqueue_fd(w->q), POLLIN, 0 }, { w->wake_fd, POLLIN, 0 } };
	uint64_t now, v;
	int timeout = WORKER_POLL_MS, r = 0;

	if (w->wake_fd < 0)
		return nfqueue_dispatch(w->q, WORKER_POLL_MS);
	if (w->hold_due) {
		now = clock_us(CLOCK_MONOTONIC);
		timeout = w->hold_due <= now ? 0 : (int)((w->hold_due - now + 999) / 1000);
		if (timeout > WORKER_POLL_MS)
			timeout = WORKER_POLL_MS;
	}
	if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
		return -errno;
	if ((pfd[1].revents & POLLIN) && read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	if (pfd[0].revents)
		r = nfqueue_dispatch(w->q, 0);
	w->hold_due = inspector_probes(w->in, clock_us(CLOCK_REALTIME));
	return r;
}

static void publish(struct worker *w)
{
	inspector_counters(w->in, &w->n.in);
	inspector_probe_counters(w->in, &w->n.probe);
	inspector_keys_counters(w->in, &w->n.keys);
	engine_counters(inspector_engine(w->in), &w->n.eng);
	pthread_mutex_lock(&w->lock);
	w->snap = w->n;
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct policy *p;
	int r;

	while (!atomic_load(&w->m->stop)) {
		p = atomic_exchange(&w->pending, NULL);
		if (p) {
			inspector_set_policy(w->in, p);
			flush_log(w);
			atomic_store(&w->applied, p);
		}
		r = worker_wait(w);
		if (r < 0) {
			fprintf(stderr, "secaudit-monitor: queue %u: %s; stopping\n", w->queue,
				strerror(-r));
			atomic_store(&w->dead, true);
			atomic_store(&w->m->stop, true);
			break;
		}
		flush_log(w);
		publish(w);
	}
	return NULL;
}

/* ---- stats -------------------------------------------------------------- */

/* Evasion counters: packets kept out of the judged streams, by technique. */
static void evasion_json(struct json *j, const struct engine_counters *e)
{
	const char *name;
	int k;

	json_key(j, "evasion");
	json_object_begin(j);
	json_kv_uint(j, "dropped", e->evasion_dropped);
	json_kv_uint(j, "rewritten", e->evasion_rewritten);
	json_kv_uint(j, "checksums_verified", e->csum_checked);
	json_kv_uint(j, "checksums_left_to_kernel", e->csum_unknown);
	for (k = 0; k < ANOM_EVASION_KINDS; k++) {
		/* "stream.evasion.bad_checksum" -> "bad_checksum" */
		name = strrchr(anomaly_event((enum anomaly)(ANOM_EVASION_FIRST + k)), '.');
		json_kv_uint(j, name + 1, e->evasion[k]);
	}
	json_object_end(j);
}

static void counts_json(struct json *j, const struct worker_counts *c)
{
	json_kv_uint(j, "packets", c->packets);
	json_kv_uint(j, "flows", c->eng.flows);
	json_kv_uint(j, "flows_forgotten", c->eng.forgotten);
	json_kv_uint(j, "flows_refused", c->eng.refused);
	json_kv_uint(j, "flows_lingering", c->eng.lingering);
	json_kv_uint(j, "tls_sessions", c->eng.tls_sessions);
	json_kv_uint(j, "not_tls_flows", c->eng.not_tls_flows);
	json_kv_uint(j, "inspected_packets", c->eng.inspected_packets);
	json_kv_uint(j, "exceptions", c->eng.exceptions);
	json_key(j, "verdicts");
	json_object_begin(j);
	json_kv_uint(j, "accept", c->accept);
	json_kv_uint(j, "accept_flow", c->accept_flow);
	json_kv_uint(j, "drop_flow", c->drop_flow);
	json_kv_uint(j, "reject", c->rejects);
	json_kv_uint(j, "drop_packet", c->evasion_drops);
	json_kv_uint(j, "drop_repeated", c->drop_repeated);
	json_kv_uint(j, "accept_repeated", c->accept_repeated);
	json_object_end(j);
	evasion_json(j, &c->eng);
	json_kv_uint(j, "alerts", c->in.alerts);
	json_kv_uint(j, "blocked", c->in.blocked);
	json_kv_uint(j, "anomalies", c->in.anomalies);
	json_kv_uint(j, "rsts_sent", c->rsts_sent);
	json_kv_uint(j, "rst_errors", c->rst_errors);
	json_kv_uint(j, "log_errors", c->log_errors);
}

static void add_counts(struct worker_counts *t, const struct worker_counts *c)
{
	t->packets += c->packets;
	t->accept += c->accept;
	t->accept_flow += c->accept_flow;
	t->drop_flow += c->drop_flow;
	t->rejects += c->rejects;
	t->evasion_drops += c->evasion_drops;
	t->drop_repeated += c->drop_repeated;
	t->accept_repeated += c->accept_repeated;
	t->eng.evasion_dropped += c->eng.evasion_dropped;
	t->eng.evasion_rewritten += c->eng.evasion_rewritten;
	t->eng.csum_checked += c->eng.csum_checked;
	t->eng.csum_unknown += c->eng.csum_unknown;
	for (int k = 0; k < ANOM_EVASION_KINDS; k++)
		t->eng.evasion[k] += c->eng.evasion[k];
	t->rsts_sent += c->rsts_sent;
	t->rst_errors += c->rst_errors;
	t->log_errors += c->log_errors;
	t->in.alerts += c->in.alerts;
	t->in.blocked += c->in.blocked;
	t->in.anomalies += c->in.anomalies;
	t->in.sessions += c->in.sessions;
	t->eng.flows += c->eng.flows;
	t->eng.forgotten += c->eng.forgotten;
	t->eng.refused += c->eng.refused;
	t->eng.lingering += c->eng.lingering;
	t->eng.tls_sessions += c->eng.tls_sessions;
	t->eng.not_tls_flows += c->eng.not_tls_flows;
	t->eng.inspected_packets += c->eng.inspected_packets;
	t->eng.exceptions += c->eng.exceptions;
	t->keys.waits += c->keys.waits;
	t->keys.found += c->keys.found;
	t->keys.missed += c->keys.missed;
	t->probe.asked += c->probe.asked;
	t->probe.cache_hits += c->probe.cache_hits;
	t->probe.failed += c->probe.failed;
	t->probe.timeouts += c->probe.timeouts;
	t->probe.held += c->probe.held;
	t->probe.released += c->probe.released;
	t->probe.hold_overflow += c->probe.hold_overflow;
	for (int k = 0; k < INSPECTOR_LATENCY_BUCKETS; k++)
		t->probe.latency[k] += c->probe.latency[k];
}

/* The q-quantile of the waits for probes, as the upper bound (ms) of its
 * bucket; 0 when none was waited for. */
static uint64_t latency_ms_at(const struct inspector_probe_counters *c, double q)
{
	uint64_t n = 0, seen = 0;
	int k;

	for (k = 0; k < INSPECTOR_LATENCY_BUCKETS; k++)
		n += c->latency[k];
	if (!n)
		return 0;
	for (k = 0; k < INSPECTOR_LATENCY_BUCKETS; k++) {
		seen += c->latency[k];
		if ((double)seen >= q * (double)n)
			break;
	}
	return 1ull << (k < INSPECTOR_LATENCY_BUCKETS ? k : INSPECTOR_LATENCY_BUCKETS - 1);
}

/* Probes of tls13_certificates: probe profiles: the prober's (shared by
 * the queues) and the flows' (summed over the queues). */
static void probe_json(struct json *j, struct prober *p, const struct inspector_probe_counters *c)
{
	struct prober_stats ps;
	int k;

	prober_stats(p, &ps);
	json_key(j, "probe");
	json_object_begin(j);
	json_kv_uint(j, "probes", ps.probes);
	json_kv_uint(j, "in_flight", ps.in_flight);
	json_kv_uint(j, "cache_entries", ps.entries);
	json_kv_uint(j, "cache_hits", c->cache_hits);
	json_kv_uint(j, "sessions_waited", c->asked);
	json_kv_uint(j, "failed_sessions", c->failed);
	json_kv_uint(j, "hold_timeouts", c->timeouts);
	json_key(j, "failures");
	json_object_begin(j);
	for (k = PROBE_OK + 1; k < PROBE_STATUS_COUNT; k++)
		json_kv_uint(j, probe_status_name((enum probe_status)k), ps.by_status[k]);
	json_object_end(j);
	json_kv_uint(j, "held_packets", c->held);
	json_kv_uint(j, "released_packets", c->released);
	json_kv_uint(j, "hold_overflow", c->hold_overflow);
	json_kv_uint(j, "latency_ms_p50", latency_ms_at(c, 0.50));
	json_kv_uint(j, "latency_ms_p90", latency_ms_at(c, 0.90));
	json_kv_uint(j, "latency_ms_p99", latency_ms_at(c, 0.99));
	json_kv_uint(j, "probe_ms_max", ps.latency_us_max / 1000);
	json_kv_uint(j, "probe_ms_mean", ps.probes ? ps.latency_us_sum / ps.probes / 1000 : 0);
	json_object_end(j);
}

/* --keylog: the file's follower, the table, and the flights held for it. */
static void keylog_json(struct json *j, struct monitor *m, const struct inspector_keys_counters *c)
{
	struct keylogfile_counters f;

	keylogfile_counters(m->keylog_file, &f);
	json_key(j, "keylog");
	json_object_begin(j);
	json_kv_uint(j, "secrets", f.secrets);
	json_kv_uint(j, "bad_lines", f.bad_lines);
	json_kv_uint(j, "reopens", f.reopens);
	json_kv_uint(j, "truncations", f.truncations);
	json_kv_uint(j, "read_errors", f.read_errors);
	json_kv_uint(j, "entries", keylog_count(m->keylog));
	json_kv_uint(j, "evicted", keylog_evicted(m->keylog));
	json_kv_uint(j, "held_flights", c->waits);
	json_kv_uint(j, "found_while_held", c->found);
	json_kv_uint(j, "missing", c->missed);
	json_object_end(j);
}

/* The members of the stats object: totals, then one entry per queue. */
static void render_stats(void *arg, struct json *j)
{
	struct monitor *m = arg;
	struct worker_counts total = { 0 }, c;
	struct nfqueue_stats qs;
	struct nfqueue_kernel_stats ks;
	unsigned i;

	for (i = 0; i < m->n_workers; i++) {
		pthread_mutex_lock(&m->w[i].lock);
		c = m->w[i].snap;
		pthread_mutex_unlock(&m->w[i].lock);
		add_counts(&total, &c);
	}
	json_kv_str(j, "version", secaudit_version());
	json_kv_uint(j, "uptime", (clock_us(CLOCK_MONOTONIC) - m->start_us) / 1000000);
	json_kv_uint(j, "reloads", m->reloads);
	json_kv_uint(j, "reload_failures", m->reload_failures);
	json_kv_uint(j, "log_reopen_failures", m->log_reopen_failures);
	json_kv_uint(j, "queues_not_fed", m->not_fed);
	json_kv_uint(j, "unserved_queues", m->unserved_queues);
	counts_json(j, &total);
	if (m->prober)
		probe_json(j, m->prober, &total.probe);
	if (m->keylog_file)
		keylog_json(j, m, &total.keys);
	if (m->synlog) {
		struct synlog_counters sc;

		synlog_counters(m->synlog, &sc);
		json_key(j, "syn_log");
		json_object_begin(j);
		json_kv_uint(j, "copies", sc.messages);
		json_kv_uint(j, "anchored", sc.table.found);
		json_kv_uint(j, "evicted", sc.table.evicted);
		json_kv_uint(j, "lost", sc.enobufs);
		json_object_end(j);
	}
	if (m->ship) {
		json_key(j, "central");
		json_object_begin(j);
		shipper_stats_json(m->ship, j);
		json_object_end(j);
	}
	json_key(j, "queues");
	json_array_begin(j);
	for (i = 0; i < m->n_workers; i++) {
		pthread_mutex_lock(&m->w[i].lock);
		c = m->w[i].snap;
		pthread_mutex_unlock(&m->w[i].lock);
		json_object_begin(j);
		json_kv_uint(j, "queue", m->w[i].queue);
		counts_json(j, &c);
		json_key(j, "nfq");
		nfqueue_get_stats(m->w[i].q, &qs);
		nfqueue_stats_json(j, &qs,
				   nfqueue_kernel_stats(m->w[i].queue, &ks) == 0 ? &ks : NULL);
		json_object_end(j);
	}
	json_array_end(j);
}

static void stats_event(struct monitor *m)
{
	struct buf b = { 0 };
	struct json j;

	json_init(&j, &b);
	eve_begin(&j, "stats", NULL, NULL, clock_us(CLOCK_REALTIME));
	json_key(&j, "stats");
	json_object_begin(&j);
	render_stats(m, &j);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(&b, '\n');
	if (!b.oom)
		emit(m, (const char *)b.data, b.len);
	buf_free(&b);
}

/* ---- setup -------------------------------------------------------------- */

/*
 * An anomaly event about the daemon itself (type "daemon"), written to the
 * alert log so that what happened to the monitor is where its admin reads:
 * event is the anomaly name, the message says what and why.
 */
__attribute__((format(printf, 3, 4)))
static void daemon_event(struct monitor *m, const char *event, const char *fmt, ...)
{
	struct buf b = { 0 };
	struct json j;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "secaudit-monitor: %s\n", msg);
	json_init(&j, &b);
	eve_begin(&j, "anomaly", NULL, NULL, clock_us(CLOCK_REALTIME));
	json_key(&j, "anomaly");
	json_object_begin(&j);
	json_kv_str(&j, "type", "daemon");
	json_kv_str(&j, "event", event);
	json_object_end(&j);
	json_key(&j, "secaudit");
	json_object_begin(&j);
	json_key(&j, "daemon");
	json_object_begin(&j);
	json_kv_str(&j, "message", msg);
	json_object_end(&j);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(&b, '\n');
	if (!b.oom && m->log_fd >= 0)
		emit(m, (const char *)b.data, b.len);
	buf_free(&b);
}

/* Opens the log for appending; a file made now, while the daemon is still
 * root, is given to the user it will run as (user: "" keeps root's). */
static int open_log(const char *path, const char *user, const char *group, char *err,
		    size_t errlen)
{
	struct passwd *pw = user[0] && geteuid() == 0 ? getpwnam(user) : NULL;
	struct group *gr = pw && group[0] ? getgrnam(group) : NULL;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0 || (pw && fchown(fd, pw->pw_uid, gr ? gr->gr_gid : pw->pw_gid) < 0)) {
		snprintf(err, errlen, "log %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Opens cfg.log again over the descriptor the workers write to. On
 * failure the old file stays in use, and a retry is due. */
static void reopen_log(struct monitor *m)
{
	char err[DAEMON_PATH_MAX + 64];
	int fd;

	m->log_retry_at = 0;
	if (!m->cfg.log[0])
		return;
	fd = open_log(m->cfg.log, m->cfg.user, m->cfg.group, err, sizeof(err));
	if (fd < 0 || dup3(fd, m->log_fd, O_CLOEXEC) < 0) {
		if (fd >= 0)
			snprintf(err, sizeof(err), "log %s: %s", m->cfg.log, strerror(errno));
		m->log_retry_at = clock_us(CLOCK_MONOTONIC) + LOG_RETRY_US;
		if (!m->log_failing) {   /* once, not at every retry */
			m->log_reopen_failures++;
			daemon_event(m, "log_reopen_failed", "%s; still writing to the file open "
				     "before, retrying every %llu s", err, LOG_RETRY_US / 1000000);
		}
		m->log_failing = true;
	} else if (m->log_failing) {
		m->log_failing = false;
		fprintf(stderr, "secaudit-monitor: log %s reopened\n", m->cfg.log);
	}
	if (fd >= 0)
		close(fd);
}

/* The first key of central: that differs (all need a restart: the
 * connection, spool and threads are made once; SIGHUP reads the files
 * those keys name again); NULL when none. */
static const char *central_change(const struct daemon_central *a, const struct daemon_central *b)
{
	unsigned i;

	if (strcmp(a->server, b->server))
		return "central.server";
	if (strcmp(a->server_name, b->server_name))
		return "central.server_name";
	if (strcmp(a->cert, b->cert) || strcmp(a->key, b->key))
		return "central.cert/key";
	if (strcmp(a->ca, b->ca) || strcmp(a->crl, b->crl))
		return "central.ca/crl";
	if (strcmp(a->spool, b->spool) || a->spool_max != b->spool_max)
		return "central.spool/spool_max";
	if (a->ring != b->ring || a->heartbeat != b->heartbeat || a->batch_ms != b->batch_ms)
		return "central.ring/heartbeat/batch_ms";
	if (a->n_events != b->n_events)
		return "central.events";
	for (i = 0; i < a->n_events; i++)
		if (strcmp(a->events[i], b->events[i]))
			return "central.events";
	return NULL;
}

/* The first setting of next that differs from cur and that only a restart
 * can change (the queues, threads, sockets and privileges are made once);
 * NULL when none. */
static const char *restart_only_change(const struct daemon_config *cur,
				       const struct daemon_config *next)
{
	const struct engine_config *a = &cur->engine, *b = &next->engine;

	if (cur->q_first != next->q_first || cur->q_last != next->q_last)
		return "nfqueue.queues";
	if (cur->n_queue_cpu != next->n_queue_cpu ||
	    memcmp(cur->queue_cpu, next->queue_cpu, cur->n_queue_cpu * sizeof(cur->queue_cpu[0])))
		return "nfqueue.queue_cpu";
	if (strcmp(cur->user, next->user) || strcmp(cur->group, next->group))
		return "user/group";
	if (strcmp(cur->stats_socket, next->stats_socket))
		return "stats_socket";
	if (strcmp(cur->evidence, next->evidence))
		return "evidence";
	if (strcmp(cur->keylog, next->keylog) || cur->keylog_wait_ms != next->keylog_wait_ms ||
	    cur->keylog_max_entries != next->keylog_max_entries)
		return "keylog";
	if (cur->fail_closed != next->fail_closed || cur->gso != next->gso ||
	    cur->queue_maxlen != next->queue_maxlen || cur->rcvbuf != next->rcvbuf)
		return "nfqueue (fail_closed, gso, max_len, rcvbuf)";
	if (cur->drop_resets_server != next->drop_resets_server)
		return "drop_resets_server";
	if (cur->log_sessions != next->log_sessions)
		return "log_sessions";
	if (cur->mark_mask != next->mark_mask || cur->mark_accept != next->mark_accept ||
	    cur->mark_deny != next->mark_deny || cur->mark_inject != next->mark_inject)
		return "nfqueue marks";
	if (a->max_flows != b->max_flows || a->flow_timeout_us != b->flow_timeout_us ||
	    a->linger_us != b->linger_us ||
	    a->max_ooo_bytes != b->max_ooo_bytes || a->max_ooo_segments != b->max_ooo_segments ||
	    a->stream_memcap != b->stream_memcap || a->cert_cache != b->cert_cache ||
	    a->exception_verdict != b->exception_verdict)
		return "limits";
	if (a->community_id != b->community_id || a->community_id_seed != b->community_id_seed)
		return "community_id";
	return central_change(&cur->central, &next->central);
}

static bool parse_args(int argc, char **argv, struct daemon_config *cfg, bool *test_only,
		       char *err, size_t errlen);

static const struct policy *load_rules(const char *path, char *err, size_t errlen)
{
	struct policy_error perr;
	struct policy *p = policy_load(path, &perr);
	char msg[600];

	if (!p) {
		policy_error_format(&perr, msg, sizeof(msg));
		snprintf(err, errlen, "rules refused: %s", msg);
	}
	return p;
}

/* SIGHUP: read the configuration again, compile the rules it names, hand
 * them to every worker, wait for all, free the old. */
static void reload(struct monitor *m)
{
	struct daemon_config *next = malloc(sizeof(*next));
	const struct policy *p = NULL, *old = m->policy;
	char err[DAEMON_PATH_MAX + 700];
	const char *changed;
	bool test_only;
	uint64_t deadline;
	unsigned i, done;

	if (!next) {
		snprintf(err, sizeof(err), "out of memory");
		goto refused;
	}
	daemon_config_default(next);
	if (!parse_args(m->argc, m->argv, next, &test_only, err, sizeof(err)))
		goto refused;
	changed = restart_only_change(&m->cfg, next);
	if (changed) {
		snprintf(err, sizeof(err), "%s changed: only a restart applies it", changed);
		goto refused;
	}
	p = load_rules(next->rules, err, sizeof(err));
	if (!p)
		goto refused;
	for (i = 0; i < m->n_workers; i++)
		atomic_store(&m->w[i].pending, p);
	deadline = clock_us(CLOCK_MONOTONIC) + RELOAD_WAIT_MS * 1000ULL;
	do {
		for (i = done = 0; i < m->n_workers; i++)
			done += atomic_load(&m->w[i].applied) == p || atomic_load(&m->w[i].dead);
		if (done == m->n_workers)
			break;
		usleep(5000);
	} while (clock_us(CLOCK_MONOTONIC) < deadline);
	m->policy = p;
	m->reloads++;
	if (done == m->n_workers) {
		policy_free((struct policy *)old);
	} else {
		/* A worker stuck in a verdict may still read it: leak it. */
		fprintf(stderr, "secaudit-monitor: a queue thread did not switch; "
			"the old policy is kept in memory\n");
	}
	/* central: the certificate, key, CA and CRL files are read again */
	if (m->ship)
		shipper_reload(m->ship);
	/* what a reload may change: the rules, the log's path, the stats clock */
	snprintf(m->cfg.rules, sizeof(m->cfg.rules), "%s", next->rules);
	snprintf(m->cfg.log, sizeof(m->cfg.log), "%s", next->log);
	m->cfg.stats_interval = next->stats_interval;
	fprintf(stderr, "secaudit-monitor: rules reloaded from %s (%u zones, %u profiles)\n",
		m->cfg.rules, policy_zone_count(p), policy_profile_count(p));
	free(next);
	return;
refused:
	m->reload_failures++;
	daemon_event(m, "reload_refused", "reload refused, the running policy (%s) stays: %s",
		     m->cfg.rules, err);
	free(next);
}

/* A directory the daemon writes (evidence pcaps, the central spool) exists
 * and belongs to the user the daemon runs as, so its threads can write
 * there after the privileges are gone. */
static int prepare_dir(const char *what, const char *dir, const char *user, const char *group)
{
	struct passwd *pw = user[0] ? getpwnam(user) : NULL;
	struct group *gr = group[0] ? getgrnam(group) : NULL;
	char parents[sizeof(((struct daemon_config *)0)->evidence)];
	struct stat st;
	char *slash;

	/* mkdir -p: /var/lib/secaudit may not exist on a fresh gateway */
	snprintf(parents, sizeof(parents), "%s", dir);
	for (slash = strchr(parents + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(parents, 0755) < 0 && errno != EEXIST)
			goto fail;
		*slash = '/';
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		goto fail;
	if (stat(dir, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	if (pw && geteuid() == 0 &&
	    chown(dir, pw->pw_uid, gr ? gr->gr_gid : pw->pw_gid) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "secaudit-monitor: %s directory %s: %s\n", what, dir, strerror(errno));
	return -1;
}

/*
 * Once our queues are bound, and while still root (iptables-save needs
 * it): do the gateway's rules feed our queues at all, and do they feed a
 * queue nobody serves with --queue-bypass (its TLS then passes unjudged,
 * e.g. setup-gateway --queues 0-1 with a monitor on queue 2)? Warnings on
 * stderr, counts in the stats.
 */
static void check_feed(struct monitor *m)
{
	struct nfq_feed feed;
	uint16_t q[8];
	size_t n, i;

	nfq_feed_rules(&feed);
	if (!feed.read) {
		fprintf(stderr, "secaudit-monitor: could not run iptables-save: whether the "
			"gateway's rules feed queues %u:%u is not checked\n", m->cfg.q_first,
			m->cfg.q_last);
		return;
	}
	if (!nfq_feed_reaches(&feed, m->cfg.q_first, m->cfg.q_last)) {
		char flag[40];

		m->not_fed = true;
		if (m->cfg.q_last > m->cfg.q_first)
			snprintf(flag, sizeof(flag), "--queues %u-%u", m->cfg.q_first, m->cfg.q_last);
		else
			snprintf(flag, sizeof(flag), "--queue %u", m->cfg.q_first);
		fprintf(stderr, "secaudit-monitor: warning: no iptables rule feeds this monitor's "
			"queues (yet): nothing reaches it until `secaudit setup-gateway --apply %s`\n",
			flag);
	}
	n = nfq_feed_unserved(&feed, q, sizeof(q) / sizeof(q[0]));
	m->unserved_queues = n;
	for (i = 0; i < n && i < sizeof(q) / sizeof(q[0]); i++)
		fprintf(stderr, "secaudit-monitor: warning: the gateway's rules feed queue %u with "
			"--queue-bypass, and nothing listens there: its TLS passes unjudged\n", q[i]);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit-monitor [--config FILE] [--rules FILE] [--queue N|N:M]\n"
		"                        [--log FILE] [--stats-socket PATH|none]\n"
		"                        [--stats-interval S] [--user NAME] [--evidence DIR]\n"
		"                        [--fail-closed] [--exception-policy pass|drop]\n"
		"                        [--queue-cpu LIST] [--keylog FILE]\n"
		"                        [--test-config] [--help | --version]\n"
		"Inline TLS inspection on NFQUEUE queue(s); see docs/deploy.md.\n"
		"Signals: HUP reloads the rules and reopens the log, USR1 reopens the log,\n"
		"TERM/INT stop.\n");
}

/* The --config file, then the flags over it, into cfg; false with the
 * reason in err. Run at start and again by every reload. */
static bool parse_args(int argc, char **argv, struct daemon_config *cfg, bool *test_only,
		       char *err, size_t errlen)
{
	const char *config = NULL;
	int k;

	for (k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--config") && k + 1 < argc)
			config = argv[k + 1];
	if (config && !daemon_config_load(cfg, config, err, errlen))
		return false;
	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
		char *end;
		unsigned long u;

		if (!strcmp(a, "--fail-closed")) {
			cfg->fail_closed = true;
			continue;
		}
		if (!strcmp(a, "--test-config")) {
			*test_only = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--version")) {
			version_print("secaudit-monitor");
			exit(0);
		}
		if (!v)
			goto bad;
		k++;
		if (!strcmp(a, "--config"))
			continue;
		if (!strcmp(a, "--rules") && strlen(v) < sizeof(cfg->rules))
			snprintf(cfg->rules, sizeof(cfg->rules), "%s", v);
		else if (!strcmp(a, "--log") && strlen(v) < sizeof(cfg->log))
			snprintf(cfg->log, sizeof(cfg->log), "%s", strcmp(v, "-") ? v : "");
		else if (!strcmp(a, "--stats-socket") && strlen(v) < sizeof(cfg->stats_socket))
			snprintf(cfg->stats_socket, sizeof(cfg->stats_socket), "%s",
				 strcmp(v, "none") ? v : "");
		else if (!strcmp(a, "--exception-policy") &&
			 daemon_parse_exception_policy(v, &cfg->engine.exception_verdict))
			;
		else if (!strcmp(a, "--keylog") && strlen(v) < sizeof(cfg->keylog))
			snprintf(cfg->keylog, sizeof(cfg->keylog), "%s", v);
		else if (!strcmp(a, "--evidence") && strlen(v) < sizeof(cfg->evidence))
			snprintf(cfg->evidence, sizeof(cfg->evidence), "%s", v);
		else if (!strcmp(a, "--user") && strlen(v) < sizeof(cfg->user))
			snprintf(cfg->user, sizeof(cfg->user), "%s", v);
		else if (!strcmp(a, "--queue") && daemon_parse_queues(v, &cfg->q_first, &cfg->q_last))
			;
		else if (!strcmp(a, "--queue-cpu") && daemon_parse_cpus(v, cfg->queue_cpu,
									 &cfg->n_queue_cpu))
			;
		else if (!strcmp(a, "--stats-interval") && (u = strtoul(v, &end, 10), !*end && *v &&
							      u <= 86400))
			cfg->stats_interval = (unsigned)u;
		else
			goto bad;
	}
	if (!cfg->rules[0]) {
		snprintf(err, errlen, "no rules file (--rules or rules: in --config)");
		return false;
	}
	return true;
bad:
	snprintf(err, errlen, "bad or incomplete argument '%s' (--help lists them)", argv[k]);
	return false;
}

/*
 * Whether the user the daemon will run as (c->user; the caller itself when
 * none, or when not root) may access path with mode (access(2) bits): a
 * child takes that user's ids and asks, so ACLs and groups count as they
 * will. False with what failed printed.
 */
static bool writable_as(const struct daemon_config *c, const char *path, int mode,
			const char *what)
{
	struct passwd *pw = c->user[0] && geteuid() == 0 ? getpwnam(c->user) : NULL;
	struct group *gr = pw && c->group[0] ? getgrnam(c->group) : NULL;
	int status, r;
	pid_t pid;

	if (!pw) {
		r = access(path, mode) < 0 ? errno : 0;
	} else {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return false;
		if (pid == 0) {
			gid_t gid = gr ? gr->gr_gid : pw->pw_gid;

			if (initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 ||
			    setuid(pw->pw_uid) < 0)
				_exit(EPERM);
			_exit(access(path, mode) < 0 ? errno : 0);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
			return false;
		r = WEXITSTATUS(status);
	}
	if (r)
		printf("%s %s is not %s by %s: %s\n", what, path,
		       mode & W_OK ? "writable" : "usable", pw ? c->user : "this user", strerror(r));
	return !r;
}

/* The directory of a file the daemon makes (parent: path is the file), or
 * the directory path itself, exists and its user may create files in it
 * (the log's, for the file reopened after a rotation). */
static bool dir_usable(const struct daemon_config *c, const char *what, const char *path,
		       bool parent)
{
	char dir[DAEMON_PATH_MAX], label[64];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (parent) {
		slash = strrchr(dir, '/');
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else
			slash[slash == dir] = '\0';
	}
	if (stat(dir, &st) < 0) {
		printf("%s directory %s: %s (docs/deploy.md makes it)\n", what, dir,
		       strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		printf("%s directory %s: not a directory\n", what, dir);
		return false;
	}
	snprintf(label, sizeof(label), "%s directory", what);
	return writable_as(c, dir, W_OK | X_OK, label);
}

static void print_warning(void *arg, const char *message)
{
	printf("warning: %s\n", message);
}

static int test_config(const struct monitor *m, const struct policy *p)
{
	const struct daemon_config *c = &m->cfg;

	printf("rules: %s (%u zones, %u profiles)\n", c->rules, policy_zone_count(p),
	       policy_profile_count(p));
	policy_lint(p, print_warning, NULL);
	printf("queues: %u:%u (%u thread%s)\n", c->q_first, c->q_last, c->q_last - c->q_first + 1,
	       c->q_last > c->q_first ? "s" : "");
	for (unsigned i = 0; c->n_queue_cpu && i <= (unsigned)(c->q_last - c->q_first); i++)
		printf("queue %u: thread on CPU %u\n", c->q_first + i,
		       c->queue_cpu[i % c->n_queue_cpu]);
	printf("log: %s\n", c->log[0] ? c->log : "standard output");
	printf("stats socket: %s, stats event every %u s\n",
	       c->stats_socket[0] ? c->stats_socket : "none", c->stats_interval);
	printf("drop: %s\n", c->drop_resets_server ? "the flow's packets, and a reset to its server" :
	       "the flow's packets only (drop_resets_server: false)");
	printf("queue failure: %s; gso: %s; user: %s\n", c->fail_closed ? "fail-closed" : "fail-open",
	       c->gso ? "on" : "off", c->user[0] ? c->user : "root (no drop)");
	if (c->evidence[0])
		printf("evidence: %s (pcaps of blocked handshakes)\n", c->evidence);
	if (c->central.server[0]) {
		const struct daemon_central *ce = &c->central;
		struct tls_ctx_opts to = { .cert = ce->cert, .key = ce->key, .ca = ce->ca,
					   .crl = ce->crl[0] ? ce->crl : NULL };
		char err[512];
		SSL_CTX *ctx = tls_ctx_new(&to, err, sizeof(err));
		unsigned i;

		printf("central: ships");
		for (i = 0; i < ce->n_events; i++)
			printf("%s %s", i ? "," : "", ce->events[i]);
		printf(" events to %s (spool %s, at most %llu bytes; ring %llu bytes)\n",
		       ce->server, ce->spool, (unsigned long long)ce->spool_max,
		       (unsigned long long)ce->ring);
		if (!ctx) {
			printf("central: %s\n", err);
			return 1;
		}
		SSL_CTX_free(ctx);
		/* a spool not there yet is made at start, as root */
		if (access(ce->spool, F_OK) == 0 && !dir_usable(c, "central spool", ce->spool, false))
			return 1;
	}
	printf("reassembly limit hit in a handshake: %s (exception policy)\n",
	       c->engine.exception_verdict == ENGINE_ACCEPT ? "pass" : "drop");
	printf("flows per queue: %zu, idle timeout %llu s, decided flows kept %llu s\n",
	       c->engine.max_flows, (unsigned long long)(c->engine.flow_timeout_us / 1000000),
	       (unsigned long long)(c->engine.linger_us / 1000000));
	printf("reassembly: stream_memcap %zu bytes, max_ooo_bytes %u, max_ooo_segments %u; "
	       "cert_cache %zu\n", c->engine.stream_memcap, c->engine.max_ooo_bytes,
	       c->engine.max_ooo_segments, c->engine.cert_cache);
	printf("nfqueue: max_len %u, rcvbuf %u bytes, marks 0x%08x accept 0x%08x deny 0x%08x "
	       "inject 0x%08x\n", c->queue_maxlen ? c->queue_maxlen : NFQ_DEF_MAXLEN,
	       c->rcvbuf ? c->rcvbuf : NFQ_DEF_RCVBUF, c->mark_mask, c->mark_accept, c->mark_deny,
	       c->mark_inject);
	if (c->user[0] && !getpwnam(c->user)) {
		printf("no user '%s'\n", c->user);
		return 1;
	}
	if ((c->log[0] && (!dir_usable(c, "log", c->log, true) ||
			   (access(c->log, F_OK) == 0 && !writable_as(c, c->log, W_OK, "log")))) ||
	    (c->evidence[0] && !dir_usable(c, "evidence", c->evidence, false)))
		return 1;
	/* as at start: without its socket the monitor runs, `secaudit stats` does not */
	if (c->stats_socket[0] && !dir_usable(c, "stats socket", c->stats_socket, true))
		printf("warning: the stats socket needs that directory (the monitor runs "
		       "without it, `secaudit stats` does not)\n");
	printf("configuration OK\n");
	return 0;
}

/* The shipper's options from central: (they point into m->cfg, which a
 * reload leaves as it is for central:). */
static void central_opts(const struct daemon_central *c, struct shipper_opts *o)
{
	unsigned i;

	memset(o, 0, sizeof(*o));
	o->send.server = c->server;
	o->send.server_name = c->server_name[0] ? c->server_name : NULL;
	o->send.name = "secaudit-monitor";
	o->send.tls.cert = c->cert;
	o->send.tls.key = c->key;
	o->send.tls.ca = c->ca;
	o->send.tls.crl = c->crl[0] ? c->crl : NULL;
	o->send.heartbeat_ms = c->heartbeat * 1000;
	o->send.backoff_min_ms = 200;
	o->send.backoff_max_ms = 30000;
	o->send.window = 64;
	o->spool_dir = c->spool;
	o->spool_max = c->spool_max;
	o->ring_bytes = (size_t)c->ring;
	o->batch_ms = c->batch_ms;
	o->batch_events = 1000;
	o->n_types = c->n_events;
	for (i = 0; i < c->n_events && i < SHIPPER_MAX_TYPES; i++)
		o->types[i] = c->events[i];
}

/* While root: the TLS key is readable by root alone. */
static int open_central(struct monitor *m, char *err, size_t errlen)
{
	struct shipper_opts o;

	central_opts(&m->cfg.central, &o);
	m->ship = shipper_new(&o, err, errlen);
	if (!m->ship) {
		fprintf(stderr, "secaudit-monitor: %s\n", err);
		return -1;
	}
	return 0;
}

static bool syn_source(void *arg, const struct decoded *d, struct syntable_conn *out)
{
	return synlog_take(arg, d, out);
}

/* The log holds alerts and anomalies; and a tls (quic) event per session
 * with log_sessions, or when central: ships those: the local log stays the
 * whole of what went to the server. */
static enum inspector_format log_format(const struct daemon_config *c)
{
	unsigned i;

	if (c->log_sessions)
		return INSPECTOR_EVE;
	for (i = 0; c->central.server[0] && i < c->central.n_events; i++)
		if (!strcmp(c->central.events[i], "tls") || !strcmp(c->central.events[i], "quic"))
			return INSPECTOR_EVE;
	return INSPECTOR_ALERTS;
}

/* --keylog: the table the queue threads look up in and the follower
 * that fills it, with what the file holds already (read now, while the
 * daemon may still open it as root: the descriptor stays; a file rotated
 * later is opened as the daemon's user). */
static int open_keylog(struct monitor *m)
{
	char err[DAEMON_PATH_MAX + 100];

	m->keylog = keylog_new(m->cfg.keylog_max_entries,
			       (uint64_t)DAEMON_KEYLOG_MAX_AGE_S * 1000000);
	if (!m->keylog)
		return -ENOMEM;
	m->keylog_file = keylogfile_new(m->cfg.keylog, m->keylog, err, sizeof(err));
	if (!m->keylog_file) {
		fprintf(stderr, "secaudit-monitor: keylog %s\n", err);
		return -EINVAL;
	}
	keylogfile_poll(m->keylog_file, clock_us(CLOCK_MONOTONIC));
	m->cfg.engine.keylog = m->keylog;
	m->cfg.engine.keylog_wait = true;
	return 0;
}

static int start_workers(struct monitor *m)
{
	struct nfqueue_config qc = { 0 };
	unsigned i;
	int err = 0;

	m->n_workers = m->cfg.q_last - m->cfg.q_first + 1u;
	m->w = calloc(m->n_workers, sizeof(*m->w));
	if (!m->w)
		return -ENOMEM;
	for (i = 0; i < m->n_workers; i++)
		m->w[i].wake_fd = -1;
	/* The probe's own connections carry the accept decision as their
	 * mark (SO_MARK): setup-gateway's chain saves it into their conntrack
	 * mark at the SYN, so neither they (OUTPUT) nor the server's answers
	 * (INPUT) are ever queued, even with --input/--output. */
	m->cfg.probe.probe.mark = m->cfg.mark_accept;
	m->prober = prober_new(&m->cfg.probe, wake_workers, m);
	if (!m->prober)
		fprintf(stderr, "secaudit-monitor: no prober (%s): TLS 1.3 sessions of "
			"tls13_certificates: probe profiles follow on_probe_failure\n",
			strerror(errno));
	if (m->cfg.keylog[0] && open_keylog(m) < 0)
		return -EINVAL;
	qc.gso = m->cfg.gso;
	qc.fail_open = !m->cfg.fail_closed;
	qc.queue_maxlen = m->cfg.queue_maxlen;
	qc.rcvbuf = m->cfg.rcvbuf;
	qc.mark_mask = m->cfg.mark_mask;
	qc.mark_accept = m->cfg.mark_accept;
	qc.mark_deny = m->cfg.mark_deny;
	/* Inline the kernel says which checksums are not filled in yet
	 * (NFQA_SKB_CSUMNOTREADY); every other one is verified. */
	m->cfg.engine.checksums = ENGINE_CSUM_VERIFY;
	for (i = 0; i < m->n_workers; i++) {
		struct worker *w = &m->w[i];

		w->m = m;
		w->queue = (uint16_t)(m->cfg.q_first + i);
		pthread_mutex_init(&w->lock, NULL);
		atomic_init(&w->pending, NULL);
		atomic_init(&w->applied, m->policy);
		w->in = inspector_new(&m->cfg.engine, m->policy, log_format(&m->cfg), &w->out);
		if (!w->in)
			return -ENOMEM;
		inspector_set_eve_custom(w->in, m->cfg.eve_custom);
		if (m->cfg.evidence[0])
			inspector_set_evidence(w->in, m->cfg.evidence, DLT_RAW, EVIDENCE_BUDGET);
		if (m->synlog)
			engine_set_syn_source(inspector_engine(w->in), syn_source, m->synlog);
		if (m->prober || m->keylog) {
			w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (w->wake_fd < 0)
				return -errno;
		}
		if (m->prober)
			inspector_set_prober(w->in, m->prober, m->cfg.probe.probe.timeout_ms,
					     release_held, w);
		if (m->keylog)
			inspector_set_keylog_wait(w->in, m->cfg.keylog_wait_ms, release_held, w);
		w->inj = inject_open(m->cfg.mark_inject, &err);
		if (!w->inj)
			fprintf(stderr, "secaudit-monitor: no RST injection (%s): reject drops "
				"without resets\n", strerror(-err));
		qc.queue = w->queue;
		w->q = nfqueue_open(&qc, on_packet, w, &err);
		if (!w->q) {
			fprintf(stderr, "secaudit-monitor: queue %u: %s\n", w->queue, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* queue_cpu: the i-th worker's CPU into attr; an error names a CPU this
 * process may not use (offline, or outside its cpuset). */
static int pin_attr(const struct monitor *m, unsigned i, pthread_attr_t *attr)
{
	unsigned cpu = m->cfg.queue_cpu[i % m->cfg.n_queue_cpu];
	cpu_set_t allowed, set;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -errno;
	if (!CPU_ISSET(cpu, &allowed)) {
		fprintf(stderr, "secaudit-monitor: queue %u: CPU %u is not one this process may "
			"run on (offline, or outside its cpuset: see nproc, taskset -p)\n",
			m->w[i].queue, cpu);
		return -EINVAL;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

static int run_threads(struct monitor *m)
{
	pthread_attr_t attr;
	char name[16];
	unsigned i;
	int r;

	for (i = 0; i < m->n_workers; i++) {
		r = -pthread_attr_init(&attr);
		if (!r && m->cfg.n_queue_cpu)
			r = pin_attr(m, i, &attr);
		if (!r)
			r = -pthread_create(&m->w[i].thread, &attr, worker_main, &m->w[i]);
		pthread_attr_destroy(&attr);
		if (r == -EPERM && m->cfg.n_queue_cpu)
			/* a unit's SystemCallFilter without it (the shipped one allows it) */
			fprintf(stderr, "secaudit-monitor: queue_cpu: sched_setaffinity is refused "
				"(under systemd: SystemCallFilter must allow sched_setaffinity, "
				"docs/deploy.md)\n");
		if (r) {
			atomic_store(&m->stop, true);
			return r;
		}
		m->w[i].started = true;
		snprintf(name, sizeof(name), "sa-queue-%u", m->w[i].queue);
		pthread_setname_np(m->w[i].thread, name);
	}
	return 0;
}

static void stop_workers(struct monitor *m)
{
	unsigned i;

	atomic_store(&m->stop, true);
	for (i = 0; m->w && i < m->n_workers; i++) {
		struct worker *w = &m->w[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		/* Unbind first: the kernel then applies its own bypass. */
		nfqueue_close(w->q);
		w->q = NULL;
		inspector_free(w->in);
		if (w->out.len)
			flush_log(w);
		buf_free(&w->out);
		inject_close(w->inj);
		pthread_mutex_destroy(&w->lock);
	}
	/* After the inspectors (they return the prober's entries), before the
	 * wake-up descriptors its threads (and the key log's) write to. */
	prober_free(m->prober);
	m->prober = NULL;
	keylogfile_free(m->keylog_file);
	m->keylog_file = NULL;
	keylog_free(m->keylog);
	m->keylog = NULL;
	for (i = 0; m->w && i < m->n_workers; i++)
		if (m->w[i].wake_fd >= 0)
			close(m->w[i].wake_fd);
	free(m->w);
	m->w = NULL;
}

/* The main thread: signals, the stats socket and the stats clock. */
/* Events central: could not keep (full ring or spool) go into the log
 * as an anomaly, at most every CENTRAL_NOTE_US: the server misses them. */
#define CENTRAL_NOTE_US (10 * 1000000ULL)
static void central_check(struct monitor *m, uint64_t now)
{
	struct shipper_stats st;
	uint64_t lost;

	if (!m->ship || now - m->central_note_at < CENTRAL_NOTE_US)
		return;
	shipper_get_stats(m->ship, &st);
	lost = st.ring_dropped + st.spool_dropped_events;
	if (lost == m->central_lost)
		return;
	daemon_event(m, "central_events_dropped", "central: %llu events not shipped so far "
		     "(%llu by a full ring, %llu with the oldest packages of a full spool); "
		     "the local log holds them", (unsigned long long)lost,
		     (unsigned long long)st.ring_dropped,
		     (unsigned long long)st.spool_dropped_events);
	m->central_lost = lost;
	m->central_note_at = now;
}

static int main_loop(struct monitor *m, int sfd)
{
	struct pollfd pfd[2] = { { sfd, POLLIN, 0 }, { -1, POLLIN, 0 } };
	uint64_t next_stats = 0, now;
	struct signalfd_siginfo si;
	int timeout;

	if (m->ss)
		pfd[1].fd = statsock_fd(m->ss);
	if (m->cfg.stats_interval)
		next_stats = clock_us(CLOCK_MONOTONIC) + m->cfg.stats_interval * 1000000ULL;
	while (!atomic_load(&m->stop)) {
		timeout = 500;
		now = clock_us(CLOCK_MONOTONIC);
		if (next_stats && now >= next_stats) {
			stats_event(m);
			next_stats = now + m->cfg.stats_interval * 1000000ULL;
		}
		if (next_stats && (next_stats - now) / 1000 < (uint64_t)timeout)
			timeout = (int)((next_stats - now) / 1000) + 1;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return -errno;
		if (m->log_retry_at && now >= m->log_retry_at)
			reopen_log(m);
		central_check(m, now);
		if (m->synlog)          /* SYNs no queued packet asked about */
			synlog_drain(m->synlog);
		if (pfd[1].revents & POLLIN)
			statsock_serve(m->ss, render_stats, m);
		if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGHUP:
			/* logrotate's postrotate may send either signal */
			reload(m);
			reopen_log(m);
			break;
		case SIGUSR1:
			reopen_log(m);
			break;
		default:
			fprintf(stderr, "secaudit-monitor: signal %u, stopping\n", si.ssi_signo);
			atomic_store(&m->stop, true);
			break;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct monitor *m = calloc(1, sizeof(*m));
	bool test_only = false;
	char err_text[DAEMON_PATH_MAX + 700];
	int sfd = -1, rc = 1, err = 0, r;
	sigset_t set;
	unsigned i;

	if (!m)
		return 1;
	m->log_fd = -1;
	m->argc = argc;
	m->argv = argv;
	daemon_config_default(&m->cfg);
	if (!parse_args(argc, argv, &m->cfg, &test_only, err_text, sizeof(err_text))) {
		fprintf(stderr, "secaudit-monitor: %s\n", err_text);
		goto out;
	}
	m->policy = load_rules(m->cfg.rules, err_text, sizeof(err_text));
	if (!m->policy) {
		fprintf(stderr, "secaudit-monitor: %s\n", err_text);
		goto out;
	}
	if (test_only) {
		rc = test_config(m, m->policy);
		goto out;
	}
	m->start_us = clock_us(CLOCK_MONOTONIC);
	m->log_fd = m->cfg.log[0] ? open_log(m->cfg.log, m->cfg.user, m->cfg.group, err_text,
					      sizeof(err_text)) : dup(STDOUT_FILENO);
	if (m->log_fd < 0) {
		fprintf(stderr, "secaudit-monitor: %s\n", err_text);
		goto out;
	}
	/* Every thread inherits the blocked set; only signalfd reads them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		goto out;
	sigdelset(&set, SIGPIPE);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		goto out;
	if (m->cfg.stats_socket[0] && !(m->ss = statsock_open(m->cfg.stats_socket, "monitor", &err)))
		fprintf(stderr, "secaudit-monitor: stats socket %s: %s (going on without)\n",
			m->cfg.stats_socket, strerror(-err));
	if (m->cfg.evidence[0] && prepare_dir("evidence", m->cfg.evidence, m->cfg.user,
					      m->cfg.group) < 0)
		goto out;
	if (m->cfg.central.server[0] && (prepare_dir("central spool", m->cfg.central.spool,
						     m->cfg.user, m->cfg.group) < 0 ||
					 open_central(m, err_text, sizeof(err_text)) < 0))
		goto out;
	m->synlog = synlog_open(SYNLOG_GROUP, &err);
	if (!m->synlog)
		fprintf(stderr, "secaudit-monitor: no SYN copies (NFLOG group %u: %s): each "
			"connection is followed from its first queued packet, and segments sent "
			"out of order before it could hide a handshake\n", SYNLOG_GROUP,
			strerror(-err));
	if (start_workers(m) < 0)
		goto out;
	check_feed(m);
	/* CAP_NET_ADMIN stays: the kernel checks it on every verdict message.
	 * The raw sockets for the resets are open already, so CAP_NET_RAW
	 * goes. The log directory must be writable by the user for reopening. */
	if (m->cfg.user[0] &&
	    privdrop_to(m->cfg.user, m->cfg.group, CAP_TO_MASK(CAP_NET_ADMIN), err_text,
			sizeof(err_text)) < 0) {
		fprintf(stderr, "secaudit-monitor: %s\n", err_text);
		goto out;
	}
	if (m->ship && shipper_start(m->ship, err_text, sizeof(err_text)) < 0) {
		fprintf(stderr, "secaudit-monitor: central: %s\n", err_text);
		goto out;
	}
	r = run_threads(m);
	if (r < 0) {
		fprintf(stderr, "secaudit-monitor: starting the queue threads: %s\n", strerror(-r));
		goto out;
	}
	if (m->keylog_file && (err = keylogfile_start(m->keylog_file, wake_workers, m)) < 0) {
		fprintf(stderr, "secaudit-monitor: keylog %s: %s\n", m->cfg.keylog, strerror(-err));
		goto out;
	}
	fprintf(stderr, "secaudit-monitor: enforcing %s on queue%s %u:%u (%s)\n", m->cfg.rules,
		m->n_workers > 1 ? "s" : "", m->cfg.q_first, m->cfg.q_last,
		m->cfg.fail_closed ? "fail-closed" : "fail-open");
	rc = main_loop(m, sfd) < 0 ? 1 : 0;
	for (i = 0; i < m->n_workers; i++)
		if (atomic_load(&m->w[i].dead))
			rc = 1;
out:
	stop_workers(m);
	shipper_free(m->ship);	/* after the workers: their last lines are spooled too */
	synlog_close(m->synlog);
	statsock_close(m->ss);
	if (m->log_fd >= 0)
		close(m->log_fd);
	if (sfd >= 0)
		close(sfd);
	policy_free((struct policy *)m->policy);
	free(m);
	return rc;
}
