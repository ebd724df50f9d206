/*
 * nfq_probe: a test-only monitor around monitor/nfq.c, for the end-to-end
 * tests (tests/e2e/test_nfq_adapter.py builds it with only the sources it
 * needs, so it does not depend on the rest of the tree building).
 *
 *   nfq_probe run [--queue N] [--mode MODE] [--no-gso] [--fail-closed]
 *                 [--maxlen N] [--rcvbuf BYTES] [--slow-us U] [--stats PATH]
 *     MODE: accept            every packet accepted, the flow stays queued
 *           bypass-after:K    a flow's first K payload packets accepted,
 *                             the next one accepted with the flow mark
 *           drop-port:P       a flow to/from port P dropped with the mark
 *           reject-port:P     the same, plus a RST to both ends
 *           hold-port:P:MS    the first payload packet of a flow to port P held
 *                             MS milliseconds (NFQUEUE_HOLD), then accepted
 *                             (nfqueue_release); the flow's packets meanwhile
 *                             (retransmissions of it) dropped; everything
 *                             else accepted
 *     --slow-us makes every callback take U microseconds (a busy monitor).
 *     Prints "ready" once bound; serves the stats socket; on SIGTERM prints
 *     its counters as one JSON line and exits 0.
 *   nfq_probe setup-gateway ...   (cli/cmd_setup_gateway.c)
 *   nfq_probe stats ...           (cli/cmd_stats.c)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "cursor.h"
#include "io/inject.h"
#include "json.h"
#include "io/nfq.h"
#include "statsock.h"

#define PROBE_FLOWS 4096

enum probe_mode { M_ACCEPT, M_BYPASS_AFTER, M_DROP_PORT, M_REJECT_PORT, M_HOLD_PORT };

#define PROBE_HELD 64

/* A packet held by hold-port, released when due. */
struct probe_held {
	uint32_t id, mark;
	uint64_t due_us;
	struct probe_flow *flow;
};

struct probe_flow {
	bool used;
	uint8_t key[37];        /* family, lower (addr,port), upper (addr,port) */
	uint32_t payload_pkts;
	bool holding;           /* hold-port: its first packet is held */
};

struct probe {
	enum probe_mode mode;
	unsigned long arg;
	unsigned long slow_us;
	unsigned long hold_ms;
	unsigned n_held;
	struct probe_held held[PROBE_HELD];
	uint16_t queue;
	struct nfqueue *q;
	struct inject *inj;
	uint64_t payload_pkts, pure_pkts, flows, rsts_sent, rst_errors, table_resets;
	struct probe_flow flow[PROBE_FLOWS];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct tcp_meta {
	uint8_t family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	size_t payload;
};

/* Just enough decoding for the probe: IPv4/IPv6 (no extension headers)
 * and the TCP ports and data offset. */
static bool parse(const uint8_t *p, size_t len, struct tcp_meta *m)
{
	struct cursor c = cur_make(p, len), l4;
	uint8_t v, proto, off;
	uint16_t tot;
	size_t alen;

	memset(m, 0, sizeof(*m));
	if (!cur_peek_u8(&c, 0, &v))
		return false;
	if (v >> 4 == 4) {
		size_t hl = (size_t)(v & 15) * 4;

		if (!cur_peek_u16(&c, 2, &tot) || !cur_peek_u8(&c, 9, &proto) ||
		    proto != 6 || hl < 20 || !cur_skip(&c, 12) ||
		    !cur_copy(&c, m->src, 4) || !cur_copy(&c, m->dst, 4) ||
		    !cur_skip(&c, hl - 20) || tot < hl)
			return false;
		if (!cur_sub(&c, &l4, tot ? tot - hl : cur_left(&c)))
			return false;
		m->family = 4;
		alen = 4;
	} else if (v >> 4 == 6) {
		if (!cur_peek_u16(&c, 4, &tot) || !cur_peek_u8(&c, 6, &proto) ||
		    proto != 6 || !cur_skip(&c, 8) || !cur_copy(&c, m->src, 16) ||
		    !cur_copy(&c, m->dst, 16) || !cur_sub(&c, &l4, tot ? tot : cur_left(&c)))
			return false;
		m->family = 6;
		alen = 16;
	} else {
		return false;
	}
	(void)alen;
	if (!cur_u16(&l4, &m->sport) || !cur_u16(&l4, &m->dport) ||
	    !cur_peek_u8(&l4, 8, &off) || (size_t)(off >> 4) * 4 < 20 ||
	    (size_t)(off >> 4) * 4 - 4 > cur_left(&l4))
		return false;
	m->payload = cur_left(&l4) - ((size_t)(off >> 4) * 4 - 4);
	return true;
}

static struct probe_flow *flow_of(struct probe *pr, const struct tcp_meta *m)
{
	uint8_t key[37] = { m->family };
	int lower = memcmp(m->src, m->dst, 16) < 0 ||
		    (!memcmp(m->src, m->dst, 16) && m->sport < m->dport);
	uint32_t h = 2166136261u;
	size_t i, slot;

	memcpy(key + 1, lower ? m->src : m->dst, 16);
	key[17] = (uint8_t)((lower ? m->sport : m->dport) >> 8);
	key[18] = (uint8_t)(lower ? m->sport : m->dport);
	memcpy(key + 19, lower ? m->dst : m->src, 16);
	key[35] = (uint8_t)((lower ? m->dport : m->sport) >> 8);
	key[36] = (uint8_t)(lower ? m->dport : m->sport);
	for (i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	for (i = 0; i < PROBE_FLOWS; i++) {
		slot = (h + i) % PROBE_FLOWS;
		if (!pr->flow[slot].used) {
			pr->flow[slot].used = true;
			memcpy(pr->flow[slot].key, key, sizeof(key));
			pr->flows++;
			return &pr->flow[slot];
		}
		if (!memcmp(pr->flow[slot].key, key, sizeof(key)))
			return &pr->flow[slot];
	}
	return NULL;
}

static int on_packet(void *arg, struct nfqueue_packet *p)
{
	struct probe *pr = arg;
	const uint8_t *pkt = p->data;
	size_t len = p->len;
	struct probe_flow *f;
	struct tcp_meta m;

	if (pr->slow_us) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(pr->slow_us * 1000) };

		nanosleep(&ts, NULL);
	}
	if (!parse(pkt, len, &m))
		return NFQUEUE_ACCEPT;
	if (!m.payload) {
		pr->pure_pkts++;
		return NFQUEUE_ACCEPT;
	}
	pr->payload_pkts++;
	f = flow_of(pr, &m);
	if (!f) {
		/* Full (long benchmarks): forget every flow and start over. */
		memset(pr->flow, 0, sizeof(pr->flow));
		pr->table_resets++;
		f = flow_of(pr, &m);
	}
	f->payload_pkts++;
	switch (pr->mode) {
	case M_HOLD_PORT:
		if (f->holding)
			return NFQUEUE_DROP;  /* a retransmission of the held packet */
		if (m.dport != pr->arg || f->payload_pkts != 1 || pr->n_held == PROBE_HELD)
			return NFQUEUE_ACCEPT;
		f->holding = true;
		pr->held[pr->n_held++] = (struct probe_held){ p->id, p->mark,
							      p->now_us + pr->hold_ms * 1000u, f };
		return NFQUEUE_HOLD;
	case M_BYPASS_AFTER:
		return f->payload_pkts > pr->arg ? NFQUEUE_ACCEPT_FLOW : NFQUEUE_ACCEPT;
	case M_DROP_PORT:
	case M_REJECT_PORT:
		if (m.sport != pr->arg && m.dport != pr->arg)
			return NFQUEUE_ACCEPT;
		if (pr->mode == M_REJECT_PORT) {
			if (inject_rst_both(pr->inj, pkt, len) == 0)
				pr->rsts_sent += 2;
			else
				pr->rst_errors++;
		}
		return NFQUEUE_DROP_FLOW;
	default:
		return NFQUEUE_ACCEPT;
	}
}

static void render(void *arg, struct json *j)
{
	struct probe *pr = arg;
	struct nfqueue_stats s;
	struct nfqueue_kernel_stats k;
	bool have_k = nfqueue_kernel_stats(pr->queue, &k) == 0;

	nfqueue_get_stats(pr->q, &s);
	json_kv_uint(j, "payload_packets", pr->payload_pkts);
	json_kv_uint(j, "pure_packets", pr->pure_pkts);
	json_kv_uint(j, "flows", pr->flows);
	json_kv_uint(j, "table_resets", pr->table_resets);
	json_kv_uint(j, "rsts_sent", pr->rsts_sent);
	json_kv_uint(j, "rst_errors", pr->rst_errors);
	json_key(j, "nfq");
	nfqueue_stats_json(j, &s, have_k ? &k : NULL);
}

static int parse_mode(struct probe *pr, const char *s)
{
	const char *colon = strchr(s, ':');
	char *end;

	if (!strcmp(s, "accept")) {
		pr->mode = M_ACCEPT;
		return 0;
	}
	if (!colon)
		return -1;
	pr->arg = strtoul(colon + 1, &end, 10);
	if (!strncmp(s, "hold-port:", 10) && *end == ':') {
		pr->hold_ms = strtoul(end + 1, &end, 10);
		pr->mode = M_HOLD_PORT;
		return *end ? -1 : 0;
	}
	if (*end)
		return -1;
	if (!strncmp(s, "bypass-after:", 13))
		pr->mode = M_BYPASS_AFTER;
	else if (!strncmp(s, "drop-port:", 10))
		pr->mode = M_DROP_PORT;
	else if (!strncmp(s, "reject-port:", 12))
		pr->mode = M_REJECT_PORT;
	else
		return -1;
	return 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Accepts the held packets whose time has come, in the order held. */
static void release_due(struct probe *pr)
{
	uint64_t now = mono_us();
	unsigned i = 0;

	while (i < pr->n_held) {
		if (pr->held[i].due_us > now) {
			i++;
			continue;
		}
		nfqueue_release(pr->q, pr->held[i].id, NFQUEUE_ACCEPT, pr->held[i].mark);
		pr->held[i].flow->holding = false;
		memmove(&pr->held[i], &pr->held[i + 1], (pr->n_held - i - 1) * sizeof(pr->held[0]));
		pr->n_held--;
	}
}

static int probe_run(int argc, char **argv)
{
	struct nfqueue_config cfg = { .gso = true, .fail_open = true };
	struct probe *pr = calloc(1, sizeof(*pr));
	struct statsock *ss = NULL;
	const char *stats_path = NULL;
	struct buf out = { 0 };
	struct json j;
	int k, err = 0, rc = 1;

	if (!pr)
		return 1;
	for (k = 2; k < argc; k++) {
		if (!strcmp(argv[k], "--queue") && k + 1 < argc)
			cfg.queue = (uint16_t)atoi(argv[++k]);
		else if (!strcmp(argv[k], "--mode") && k + 1 < argc && !parse_mode(pr, argv[k + 1]))
			k++;
		else if (!strcmp(argv[k], "--no-gso"))
			cfg.gso = false;
		else if (!strcmp(argv[k], "--fail-closed"))
			cfg.fail_open = false;
		else if (!strcmp(argv[k], "--maxlen") && k + 1 < argc)
			cfg.queue_maxlen = (uint32_t)atoi(argv[++k]);
		else if (!strcmp(argv[k], "--rcvbuf") && k + 1 < argc)
			cfg.rcvbuf = (uint32_t)atoi(argv[++k]);
		else if (!strcmp(argv[k], "--slow-us") && k + 1 < argc)
			pr->slow_us = strtoul(argv[++k], NULL, 10) % 1000000;
		else if (!strcmp(argv[k], "--stats") && k + 1 < argc)
			stats_path = argv[++k];
		else {
			fprintf(stderr, "nfq_probe: bad argument '%s'\n", argv[k]);
			goto out;
		}
	}
	pr->queue = cfg.queue;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	pr->q = nfqueue_open(&cfg, on_packet, pr, &err);
	if (!pr->q) {
		fprintf(stderr, "nfq_probe: queue %u: %s\n", cfg.queue, strerror(-err));
		goto out;
	}
	if (pr->mode == M_REJECT_PORT && !(pr->inj = inject_open(NFQUEUE_MARK_INJECT, &err))) {
		fprintf(stderr, "nfq_probe: inject: %s\n", strerror(-err));
		goto out;
	}
	if (stats_path && !(ss = statsock_open(stats_path, "monitor", &err))) {
		fprintf(stderr, "nfq_probe: %s: %s\n", stats_path, strerror(-err));
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p[2] = { { nfqueue_fd(pr->q), POLLIN, 0 },
				       { ss ? statsock_fd(ss) : -1, POLLIN, 0 } };
		int n = poll(p, 2, pr->n_held ? 5 : 200);

		if (n < 0 && errno != EINTR)
			goto out;
		if (n > 0 && (p[0].revents & POLLIN) && nfqueue_dispatch(pr->q, 0) < 0)
			goto out;
		if (n > 0 && (p[1].revents & POLLIN))
			statsock_serve(ss, render, pr);
		release_due(pr);
	}
	json_init(&j, &out);
	json_object_begin(&j);
	render(pr, &j);
	json_object_end(&j);
	printf("%s\n", buf_cstr(&out));
	rc = 0;
out:
	buf_free(&out);
	statsock_close(ss);
	inject_close(pr->inj);
	nfqueue_close(pr->q);
	free(pr);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return probe_run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "setup-gateway"))
		return cmd_setup_gateway(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	fprintf(stderr, "usage: nfq_probe run|setup-gateway|stats ...\n");
	return 2;
}
