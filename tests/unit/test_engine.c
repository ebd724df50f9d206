/*
 * engine: packets in (DLT_RAW IPv4/TCP built here, real handshake bytes
 * inside), sink callbacks out. Roles from SYN or from the hello, crafted
 * TCP evasions (1-byte segments, out of order, overlaps with different
 * bytes, wrap-around), session end on FIN/RST, CONNECT preambles, verdicts;
 * QUIC over UDP (the RFC 9001 Appendix A packets).
 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "net/anomaly.h"
#include "buf.h"
#include "engine/engine.h"
#include "net/checksum.h"
#include "tlsbuild.h"
#include "hexfile.h"

#define BIT(a) (1ULL << ANOM_##a)

struct sinkrec {
	unsigned ev_all;
	unsigned n_milestones;
	unsigned ev_twice;           /* milestones reported more than once */
	unsigned sessions_ended;
	unsigned users, users_freed;
	uint64_t anomalies;
	unsigned n_anomalies;
	char sni[256];
	uint16_t version, suite;
	bool client_dir_ok;          /* the hello came from the client's address */
	unsigned drop_on;            /* milestones that make the sink say DROP */
	unsigned final_on;        /* milestones at which the sink's verdict is final */
	/* what the evidence was shown, in order: 'P' a packet, else the first
	 * byte of a SYN copy; and when */
	char shown[8];
	uint64_t shown_ts[8];
	unsigned n_shown;
	struct engine_session *es;   /* the last flow a milestone came from */
};

static struct sinkrec R;
static struct engine *E;
static struct buf P;
static uint64_t now;
static struct tb_conn C;
static uint32_t cseq, sseq;     /* next sequence number of each side */

static enum engine_verdict on_milestone(void *arg, struct engine_session *es, unsigned ev,
					uint64_t ts)
{
	struct sinkrec *r = arg;

	r->n_milestones++;
	r->es = es;
	r->ev_twice |= r->ev_all & ev;
	r->ev_all |= ev;
	if (!es->user) {
		es->user = malloc(8);
		r->users++;
	}
	if ((ev & TLS_EV_CLIENT_HELLO) && es->tls.n_client_hellos) {
		const struct flow *f = es->flow;

		memcpy(r->sni, es->tls.client_hello[0].sni, sizeof(r->sni));
		r->client_dir_ok = !memcmp(f->key.addr[f->client], C.cli, 4) &&
				   f->key.port[f->client] == C.cport;
	}
	if (ev & TLS_EV_SERVER_HELLO) {
		r->version = es->tls.version;
		r->suite = es->tls.suite;
	}
	if (ev & r->final_on)
		es->final = true;
	return (ev & r->drop_on) ? ENGINE_DROP : ENGINE_ACCEPT;
}

static void on_end(void *arg, struct engine_session *es, uint64_t ts)
{
	struct sinkrec *r = arg;

	r->sessions_ended++;
	cr_assert(es->has_tls);
}

static void on_anomaly(void *arg, const struct engine_session *es, const struct decoded *d,
		       enum anomaly a, uint64_t ts)
{
	struct sinkrec *r = arg;

	r->anomalies |= 1ULL << a;
	r->n_anomalies++;
}

static void show(struct sinkrec *r, char what, uint64_t ts)
{
	if (r->n_shown < sizeof(r->shown) - 1) {
		r->shown_ts[r->n_shown] = ts;
		r->shown[r->n_shown++] = what;
	}
}

static void on_packet(void *arg, struct engine_session *es, uint64_t ts)
{
	(void)es;
	show(arg, 'P', ts);
}

static void on_syn_copy(void *arg, struct engine_session *es, const uint8_t *pkt, size_t len,
			uint64_t ts)
{
	(void)es;
	cr_assert_gt(len, 0);
	show(arg, (char)pkt[0], ts);
}

static void on_user_free(void *arg, struct engine_session *es)
{
	struct sinkrec *r = arg;

	if (es->user) {
		r->users_freed++;
		free(es->user);
		es->user = NULL;
	}
}

static void new_engine(const struct engine_config *cfg)
{
	struct engine_sink sink = { .arg = &R, .milestone = on_milestone, .session_end = on_end,
				    .anomaly = on_anomaly, .user_free = on_user_free,
				    .packet = on_packet, .syn_copy = on_syn_copy };

	engine_free(E);
	E = engine_new(cfg, &sink);
	cr_assert_not_null(E);
}

static void setup(void)
{
	static const struct tb_conn c = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, 50000, 443 };
	struct engine_config cfg;

	memset(&R, 0, sizeof(R));
	memset(&P, 0, sizeof(P));
	engine_config_default(&cfg);
	cfg.max_flows = 64;
	E = NULL;
	new_engine(&cfg);
	now = 1700000000ULL * 1000000;
	C = c;
	cseq = 1000;
	sseq = 900000;
}

static void teardown(void)
{
	engine_free(E);
	buf_free(&P);
	cr_assert_eq(R.users, R.users_freed, "user state leaked");
}

TestSuite(engine, .init = setup, .fini = teardown);

static enum engine_verdict send_at(int to_server, uint32_t seq, unsigned flags,
				   const void *p, size_t n)
{
	tb_packet(&P, &C, to_server, seq, to_server ? sseq : cseq, flags, p, n);
	cr_assert_not(P.oom);
	now += 1000;
	return engine_packet(E, TB_DLT_RAW, (const uint8_t *)P.data, P.len, now);
}

/* Sends n bytes in order from one side, `seg` bytes per segment. */
static enum engine_verdict send_data(int to_server, const void *p, size_t n, size_t seg)
{
	const uint8_t *b = p;
	enum engine_verdict v = ENGINE_ACCEPT, x;
	uint32_t *seq = to_server ? &cseq : &sseq;
	size_t off, k;

	for (off = 0; off < n; off += k) {
		k = n - off < seg ? n - off : seg;
		x = send_at(to_server, *seq, TB_ACK | TB_PSH, b + off, k);
		v = x > v ? x : v;
		*seq += (uint32_t)k;
	}
	return v;
}

static void handshake_tcp(void)
{
	send_at(1, cseq - 1, TB_SYN, NULL, 0);
	send_at(0, sseq - 1, TB_SYN | TB_ACK, NULL, 0);
	send_at(1, cseq, TB_ACK, NULL, 0);
}

static void send_flights(const struct tb_flight *f, size_t n, size_t seg)
{
	size_t i;

	for (i = 0; i < n; i++)
		send_data(f[i].dir == 0, f[i].p, f[i].len, seg);
}

static void check_t12_session(void)
{
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	cr_assert(R.client_dir_ok);
	cr_assert_eq(R.version, 0x0303);
	cr_assert_eq(R.suite, 0xc030);
	cr_assert_eq(R.ev_twice, 0, "milestones %#x twice", R.ev_twice);
}

static struct engine_counters counters(void)
{
	struct engine_counters n;

	engine_counters(E, &n);
	return n;
}

Test(engine, full_handshake_then_fin)
{
	unsigned want = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO | TLS_EV_CERTIFICATE |
			TLS_EV_SERVER_KX | TLS_EV_SERVER_DONE | TLS_EV_ENCRYPTED |
			TLS_EV_HANDSHAKE_DONE;
	uint64_t inspected;

	handshake_tcp();
	send_flights(T12, TB_N(T12), 1448);
	check_t12_session();
	cr_assert_eq(R.ev_all, want, "%#x", R.ev_all);
	cr_assert_eq(R.anomalies, 0, "%#llx", (unsigned long long)R.anomalies);
	cr_assert_eq(R.sessions_ended, 1, "logged when the handshake is done");
	cr_assert_eq(counters().flows, 1);
	cr_assert_eq(counters().tls_sessions, 1);

	/* Bulk data after the handshake is not inspected. */
	inspected = counters().inspected_packets;
	send_data(1, "\x17\x03\x03\x00\x01\x00", 6, 6);
	cr_assert_eq(counters().inspected_packets, inspected);
	send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0);
	send_at(0, sseq, TB_FIN | TB_ACK, NULL, 0);
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, 1, "flow gone after FIN both ways");
}

Test(engine, syn_decides_roles_not_ports)
{
	/* The client has the lower port: only the SYN says who is who. */
	C.cport = 1000;
	C.sport = 2000;
	handshake_tcp();
	send_flights(T12, 2, 1448);
	cr_assert(R.ev_all & TLS_EV_CLIENT_HELLO);
	cr_assert(R.ev_all & TLS_EV_SERVER_HELLO);
	check_t12_session();
}

Test(engine, syn_ack_alone_decides_roles)
{
	C.cport = 1000;
	C.sport = 2000;
	send_at(0, sseq - 1, TB_SYN | TB_ACK, NULL, 0);
	send_flights(T12, 2, 1448);
	check_t12_session();
}

Test(engine, mid_flow_client_found_by_client_hello)
{
	C.cport = 1000;
	C.sport = 2000;
	send_flights(T12, 2, 1448);
	check_t12_session();
	cr_assert_eq(R.anomalies, 0);
}

Test(engine, mid_flow_client_found_by_server_hello)
{
	C.cport = 1000;
	C.sport = 2000;
	send_flights(&T12[1], 1, 1448);
	cr_assert(R.ev_all & TLS_EV_SERVER_HELLO, "%#x", R.ev_all);
	cr_assert_eq(R.suite, 0xc030);
}

Test(engine, client_hello_in_one_byte_segments)
{
	handshake_tcp();
	send_data(1, T12_0, sizeof(T12_0), 1);
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	cr_assert_eq(R.n_milestones, 1);
	send_data(0, T12_1, sizeof(T12_1), 7);
	check_t12_session();
	cr_assert_eq(R.anomalies, 0);
}

Test(engine, segments_out_of_order)
{
	size_t a = 60, b = 130;

	handshake_tcp();
	send_at(1, cseq + (uint32_t)b, TB_ACK, T12_0 + b, sizeof(T12_0) - b);
	send_at(1, cseq + (uint32_t)a, TB_ACK, T12_0 + a, b - a);
	cr_assert_eq(R.ev_all, 0, "nothing before the hole is filled");
	send_at(1, cseq, TB_ACK, T12_0, a);
	cseq += sizeof(T12_0);
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	cr_assert_eq(R.anomalies, 0);
}

/* Inline, only the client's SYN and packets with payload are queued. A
 * server that sends its flight's second segment first must not make the
 * server half start mid-record: the client's ACK anchored it. */
Test(engine, server_half_anchored_by_client_ack_without_syn_ack)
{
	size_t a = 100;

	send_at(1, cseq - 1, TB_SYN, NULL, 0);
	send_data(1, T12_0, sizeof(T12_0), 1448);
	cr_assert(R.ev_all & TLS_EV_CLIENT_HELLO);
	send_at(0, sseq + (uint32_t)a, TB_ACK, T12_1 + a, sizeof(T12_1) - a);
	cr_assert_not(R.ev_all & TLS_EV_SERVER_HELLO, "%#x", R.ev_all);
	send_at(0, sseq, TB_ACK, T12_1, a);
	sseq += sizeof(T12_1);
	check_t12_session();
	cr_assert_eq(R.anomalies, 0, "%#llx", (unsigned long long)R.anomalies);
}

/* Inline the gateway copies the client's SYN (NFLOG) instead of queueing
 * it: the SYN source anchors the client half, so a ClientHello whose
 * second segment comes first is still read from its start. */
static bool syn_source(void *arg, const struct decoded *d, struct syntable_conn *out)
{
	(void)arg;
	if (d->dport != C.sport)
		return false;
	memset(out, 0, sizeof(*out));
	out->client_is_src = true;
	out->client.seen = true;
	out->client.isn = cseq - 1;
	/* the copies' bytes (what NFLOG sent): here markers the sink finds;
	 * the SYN+ACK's clock ran ahead of the packet's */
	out->client_pkt.len = 40;
	memset(out->client_pkt.pkt, 'S', 40);
	out->client_pkt.wall_us = now - 5000;
	out->server_pkt.len = 44;
	memset(out->server_pkt.pkt, 'A', 44);
	out->server_pkt.wall_us = now + 1000000;
	return true;
}

Test(engine, syn_source_anchors_a_flow_whose_syn_was_not_shown)
{
	size_t a = 60;

	engine_set_syn_source(E, syn_source, NULL);
	send_at(1, cseq + (uint32_t)a, TB_ACK, T12_0 + a, sizeof(T12_0) - a);
	cr_assert_eq(R.ev_all, 0, "held until the hole is filled");
	send_at(1, cseq, TB_ACK, T12_0, a);
	cseq += sizeof(T12_0);
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	/* and the server half from the client's ACK, as with a seen SYN */
	send_at(0, sseq + 100, TB_ACK, T12_1 + 100, sizeof(T12_1) - 100);
	send_at(0, sseq, TB_ACK, T12_1, 100);
	sseq += sizeof(T12_1);
	check_t12_session();
	cr_assert_eq(R.anomalies, 0, "%#llx", (unsigned long long)R.anomalies);
	cr_assert_eq(counters().syns_from_source, 1);
	/* the evidence: the SYN, the SYN+ACK, then the flow's packets, in
	 * time order (the SYN+ACK no later than the first packet) */
	cr_assert_eq(strncmp(R.shown, "SAPP", 4), 0, "%s", R.shown);
	cr_assert_eq(R.shown_ts[0], R.shown_ts[2] - 5000, "the SYN's own time");
	cr_assert_eq(R.shown_ts[1], R.shown_ts[2]);
	cr_assert_lt(R.shown_ts[2], R.shown_ts[3]);
}

/* A flow whose SYN the engine is shown (a capture: `secaudit read`) never
 * asks the SYN source, so its evidence holds the SYNs once. */
Test(engine, a_shown_syn_is_not_copied_again)
{
	engine_set_syn_source(E, syn_source, NULL);
	send_at(1, cseq - 1, TB_SYN, NULL, 0);
	send_at(0, sseq - 1, TB_SYN | TB_ACK, NULL, 0);
	send_at(1, cseq, TB_ACK, T12_0, sizeof(T12_0));
	cr_assert_str_eq(R.shown, "PPP", "no copies");
	cr_assert_eq(counters().syns_from_source, 0);
}

Test(engine, without_a_syn_source_a_reordered_hello_is_misread)
{
	size_t a = 60;

	send_at(1, cseq + (uint32_t)a, TB_ACK, T12_0 + a, sizeof(T12_0) - a);
	send_at(1, cseq, TB_ACK, T12_0, a);
	cr_assert_not(R.ev_all & TLS_EV_CLIENT_HELLO, "the evasion the SYN prevents");
}

/* Without the client's SYN nothing says where the server's data starts:
 * the first server segment starts the half (capture began mid-flow). */
Test(engine, no_anchor_mid_flow)
{
	size_t a = 100;

	send_data(1, T12_0, sizeof(T12_0), 1448);
	send_at(0, sseq + (uint32_t)a, TB_ACK, T12_1 + a, sizeof(T12_1) - a);
	cr_assert_not(R.ev_all & TLS_EV_SERVER_HELLO);
	cr_assert(R.anomalies != 0, "a record that starts mid-handshake is malformed");
}

/* A ClientHello in out-of-order segments beyond the segment limit: the
 * hole is given up on. The exception policy says what becomes of the flow. */
/* exception NULL: the default policy, set over a config that held garbage
 * (as a caller's stack does). */
static enum engine_verdict hello_over_the_segment_limit(const enum engine_verdict *exception)
{
	struct engine_config cfg;
	enum engine_verdict v = ENGINE_ACCEPT;
	uint32_t off;

	memset(&cfg, 0x55, sizeof(cfg));
	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.max_ooo_segments = 2;
	if (exception)
		cfg.exception_verdict = *exception;
	new_engine(&cfg);
	handshake_tcp();
	for (off = 40; off < 40 + 4 * 10; off += 10)       /* byte 0..39 never come */
		v = send_at(1, cseq + off, TB_ACK, T12_0 + off, 10);
	cr_assert(R.anomalies & (1ULL << ANOM_STREAM_OOO_LIMIT), "%#llx",
		  (unsigned long long)R.anomalies);
	cr_assert_eq(counters().exceptions, 1);
	return v;
}

Test(engine, exception_policy_pass_accepts_a_flow_past_a_reassembly_limit)
{
	static const enum engine_verdict pass = ENGINE_ACCEPT;

	cr_assert_eq(hello_over_the_segment_limit(&pass), ENGINE_ACCEPT);
}

/* fuzz_engine found engine_config_default() leaving exception_verdict
 * unset: a flow over a limit got whatever the stack held as its verdict. */
Test(engine, exception_policy_defaults_to_pass_whatever_the_config_held)
{
	cr_assert_eq(hello_over_the_segment_limit(NULL), ENGINE_ACCEPT);
}

Test(engine, exception_policy_drop_fails_closed)
{
	static const enum engine_verdict drop = ENGINE_DROP;

	cr_assert_eq(hello_over_the_segment_limit(&drop), ENGINE_DROP);
	/* and the flow stays dropped */
	cr_assert_eq(send_at(1, cseq, TB_ACK, T12_0, 40), ENGINE_DROP);
}

/* Inline, a flow whose verdict is final is decided at once (and bypassed
 * by the kernel): a TLS 1.3 session at its ServerHello. Offline the engine
 * goes on to the end of the handshake for the session's event. */
static bool decided_at_server_hello(bool inline_mode)
{
	struct engine_config cfg;
	bool decided;

	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.forget_decided = inline_mode;
	new_engine(&cfg);
	R.final_on = TLS_EV_SERVER_HELLO;
	handshake_tcp();
	send_flights(T12, 1, 1448);
	cr_assert_not(engine_last_decided(E));
	send_flights(&T12[1], 1, 65535);        /* the server's flight in one packet */
	decided = engine_last_decided(E);
	cr_assert_eq(R.suite, 0xc030);
	return decided;
}

Test(engine, final_verdict_decides_inline)
{
	cr_assert(decided_at_server_hello(true));
	cr_assert_eq(R.sessions_ended, 1, "logged when inspection ended");
	cr_assert_eq(counters().forgotten, 1);
}

Test(engine, final_verdict_offline_follows_the_handshake)
{
	cr_assert_not(decided_at_server_hello(false));
	cr_assert_eq(R.sessions_ended, 0);
}

Test(engine, retransmission_is_no_anomaly)
{
	handshake_tcp();
	send_at(1, cseq, TB_ACK, T12_0, 100);
	send_at(1, cseq, TB_ACK, T12_0, 100);
	send_at(1, cseq + 50, TB_ACK, T12_0 + 50, 100);
	send_at(1, cseq, TB_ACK, T12_0, sizeof(T12_0));
	send_at(1, cseq, TB_ACK, T12_0, sizeof(T12_0));
	cseq += sizeof(T12_0);
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	cr_assert_eq(R.ev_twice, 0);
	cr_assert_eq(R.anomalies, 0, "%#llx", (unsigned long long)R.anomalies);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
}

static size_t sni_offset(void)
{
	const char *host = "www.alpha-corp.test";
	size_t i, n = strlen(host);

	for (i = 0; i + n <= sizeof(T12_0); i++)
		if (!memcmp(T12_0 + i, host, n))
			return i;
	cr_assert_fail("no SNI in the hello");
	return 0;
}

Test(engine, overlap_with_different_data_first_copy_wins)
{
	/* The first segment carries the start of the true SNI, the
	 * overlapping second one a different name: the anomaly is raised and
	 * the overlapped bytes are the first segment's. */
	uint8_t evil[sizeof(T12_0)];
	size_t at = sni_offset(), cut = at + 10;

	memcpy(evil, T12_0, sizeof(evil));
	memcpy(evil + at, "www.evil-corp.test!", 19);
	handshake_tcp();
	send_at(1, cseq, TB_ACK, T12_0, cut);
	send_at(1, cseq + (uint32_t)(at - 4), TB_ACK, evil + at - 4, sizeof(evil) - (at - 4));
	cr_assert(R.anomalies & BIT(STREAM_OVERLAP_DIFF));
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	/* The first 10 name bytes came first from the true segment; the rest
	 * was only ever sent by the second one. */
	cr_assert_str_eq(R.sni, "www.alpha-orp.test!");
}

Test(engine, overlap_into_buffered_segment_first_copy_wins)
{
	/* Out of order this time: the true tail is buffered first, then a
	 * segment from the start rewrites it. */
	uint8_t evil[sizeof(T12_0)];
	size_t at = sni_offset();

	memcpy(evil, T12_0, sizeof(evil));
	memcpy(evil + at, "www.evil-corp.test!", 19);
	handshake_tcp();
	send_at(1, cseq + (uint32_t)(at - 2), TB_ACK, T12_0 + at - 2, sizeof(T12_0) - (at - 2));
	send_at(1, cseq, TB_ACK, evil, sizeof(evil));
	cr_assert(R.anomalies & BIT(STREAM_OVERLAP_DIFF));
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
}

Test(engine, sequence_wrap_around)
{
	cseq = 0xffffff80u; /* the hello crosses 2^32 */
	sseq = 0xfffffff0u;
	handshake_tcp();
	send_flights(T12, TB_N(T12), 100);
	check_t12_session();
	cr_assert(R.ev_all & TLS_EV_HANDSHAKE_DONE);
	cr_assert_eq(R.anomalies, 0);
}

Test(engine, syn_with_data_is_not_judged)
{
	/* Data on a SYN is taken in only if the server answers with a TCP
	 * Fast Open cookie, which the gateway cannot know when it must
	 * decide: never judged, dropped inline; the client sends it again
	 * after the handshake, and that copy is judged. */
	send_at(1, cseq - 1, TB_SYN, T12_0, sizeof(T12_0));
	cr_assert_eq(R.ev_all, 0);
	cr_assert(R.anomalies & (1ULL << ANOM_EVASION_SYN_DATA));
	cr_assert_eq(engine_last_action(E, NULL, NULL), ENGINE_PKT_DROP);
	send_at(1, cseq - 1, TB_SYN, NULL, 0);
	send_at(0, sseq - 1, TB_SYN | TB_ACK, NULL, 0);
	send_data(1, T12_0, sizeof(T12_0), 1448);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	send_data(0, T12_1, sizeof(T12_1), 1448);
	check_t12_session();
}

Test(engine, fin_ends_an_unfinished_session_once)
{
	handshake_tcp();
	send_flights(T12, 2, 1448);
	cr_assert_eq(R.sessions_ended, 0);
	send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0);
	cr_assert_eq(R.sessions_ended, 0, "half close: the server may still talk");
	send_at(0, sseq, TB_FIN | TB_ACK, NULL, 0);
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, 1);
	/* Late packets of the closed connection start nothing new. */
	send_at(1, cseq + 1, TB_ACK, NULL, 0);
	cr_assert_eq(R.sessions_ended, 1);
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 1);
}

Test(engine, rst_ends_session_once)
{
	handshake_tcp();
	send_flights(T12, 1, 1448);
	send_at(0, sseq, TB_RST | TB_ACK, NULL, 0);
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, 1);
	cr_assert_eq(R.users, 1);
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 1);
}

Test(engine, truncated_record_at_fin)
{
	handshake_tcp();
	send_data(1, T12_0, 100, 100);
	send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0);
	cr_assert(R.anomalies & BIT(TLS_TRUNCATED_RECORD), "%#llx",
		  (unsigned long long)R.anomalies);
}

Test(engine, flush_and_free_log_unfinished_sessions)
{
	handshake_tcp();
	send_flights(T12, 1, 1448);
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 1);
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 1, "flush logs once");
	engine_free(E);
	E = NULL;
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, 1);
}

Test(engine, free_logs_what_flush_did_not)
{
	handshake_tcp();
	send_flights(T12, 1, 1448);
	engine_free(E);
	E = NULL;
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, 1);
}

Test(engine, pure_acks_create_no_flow)
{
	int i;

	for (i = 0; i < 5; i++)
		cr_assert_eq(send_at(i & 1, cseq, TB_ACK, NULL, 0), ENGINE_ACCEPT);
	cr_assert_eq(counters().flows, 0);
	cr_assert_eq(counters().tcp_packets, 5);
	cr_assert_eq(R.n_milestones, 0);
}

Test(engine, http_connect_preamble)
{
	static const char req[] = "CONNECT www.alpha-corp.test:443 HTTP/1.1\r\n"
				  "Host: www.alpha-corp.test:443\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 Connection established\r\n\r\n";

	C.sport = 3128;
	handshake_tcp();
	send_data(1, req, strlen(req), 10);
	send_data(0, resp, strlen(resp), 1448);
	cr_assert_eq(R.ev_all, 0);
	send_flights(T12, TB_N(T12), 1448);
	check_t12_session();
	cr_assert(R.ev_all & TLS_EV_HANDSHAKE_DONE);
	cr_assert_eq(R.anomalies, 0);
}

Test(engine, http_connect_with_hello_in_same_segment)
{
	static const char req[] = "CONNECT h:443 HTTP/1.1\r\n\r\n";
	uint8_t both[sizeof(req) - 1 + sizeof(T12_0)];

	memcpy(both, req, sizeof(req) - 1);
	memcpy(both + sizeof(req) - 1, T12_0, sizeof(T12_0));
	C.sport = 8080;
	handshake_tcp();
	send_data(1, both, sizeof(both), sizeof(both));
	cr_assert_eq(R.ev_all, TLS_EV_CLIENT_HELLO);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
}

Test(engine, not_tls_on_443_is_an_anomaly)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	handshake_tcp();
	send_data(1, get, strlen(get), 1448);
	cr_assert_eq(R.anomalies, BIT(TLS_NOT_TLS));
	cr_assert(R.ev_all & TLS_EV_NOT_TLS);
	cr_assert_eq(R.sessions_ended, 0, "nothing TLS to log");
	cr_assert_eq(counters().not_tls_flows, 1);
}

Test(engine, not_tls_elsewhere_is_quiet)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	C.sport = 8080;
	handshake_tcp();
	send_data(1, get, strlen(get), 1448);
	cr_assert_eq(R.anomalies, 0);
	cr_assert_eq(counters().not_tls_flows, 1);
}

Test(engine, drop_verdict_sticks_to_the_flow)
{
	R.drop_on = TLS_EV_CLIENT_HELLO;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_DROP);
	cr_assert_eq(send_data(0, T12_1, sizeof(T12_1), 1448), ENGINE_DROP);
	cr_assert_eq(send_data(1, T12_2, sizeof(T12_2), 1448), ENGINE_DROP);
	cr_assert_eq(send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0), ENGINE_DROP);
	cr_assert_geq(counters().dropped, 4);
}

/* ---- inline: a refused flow is kept refused (forget_decided) ---- */

static void new_inline_engine(void)
{
	struct engine_config cfg;

	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.forget_decided = true;
	new_engine(&cfg);
}

/* One segment of n bytes from the server at sseq (which moves on), and
 * whether its verdict was a repeat of a refused flow's. */
static enum engine_verdict server_segment(const uint8_t *p, size_t n, bool *repeated)
{
	enum engine_verdict v = send_at(0, sseq, TB_ACK | TB_PSH, p, n);

	sseq += (uint32_t)n;
	*repeated = engine_last_repeated(E);
	return v;
}

/* Inline, a flow refused at the server's Certificate, whose flight comes
 * in small segments (all queued before the kernel's mark applies): the
 * segment that completes the Certificate decides and logs the session;
 * every later packet of the flow, either way, is dropped as a repeat,
 * unparsed; the session is logged once, also when the flow expires. */
Test(engine, refused_flow_is_kept_and_logged_at_the_refusal)
{
	unsigned milestones = 0, before = 0, after = 0;
	size_t off, k, seg = 40;
	enum engine_verdict v;
	bool rep;

	new_inline_engine();
	R.drop_on = TLS_EV_CERTIFICATE;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	for (off = 0; off < sizeof(T12_1); off += k) {
		k = sizeof(T12_1) - off < seg ? sizeof(T12_1) - off : seg;
		v = server_segment(T12_1 + off, k, &rep);
		if (!milestones && v == ENGINE_ACCEPT) {
			cr_assert_not(rep);
			before++;
			continue;
		}
		cr_assert_eq(v, ENGINE_DROP);
		cr_assert(engine_last_decided(E));
		if (!milestones) {
			/* the deciding segment: judged, not a repeat, logged now */
			cr_assert_not(rep);
			cr_assert(R.ev_all & TLS_EV_CERTIFICATE);
			cr_assert_eq(R.sessions_ended, 1, "logged at the refusal");
			cr_assert_eq(R.users_freed, R.users, "the sink's state went with it");
			milestones = R.n_milestones;
			continue;
		}
		cr_assert(rep, "segment at %zu after the refusal", off);
		after++;
	}
	cr_assert_gt(before, 0);
	cr_assert_gt(after, 3, "the rest of the flight came after the refusal");
	/* the client's next flight and a retransmission of the deciding bytes */
	cr_assert_eq(send_data(1, T12_2, sizeof(T12_2), 1448), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_at(0, sseq - 200, TB_ACK, T12_1 + sizeof(T12_1) - 200, 200), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert(engine_last_from_server(E));
	cr_assert_eq(R.n_milestones, milestones, "nothing parsed after the refusal");
	cr_assert_eq(counters().refused, 1);
	cr_assert_eq(counters().repeated, after + 2);
	cr_assert_eq(counters().forgotten, 0);
	cr_assert_eq(counters().flows, 1);
	/* the flow expires (another flow's packet much later): nothing more */
	now += 200ULL * 1000000;
	C.cport++;
	handshake_tcp();
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 1);
}

/* Offline (secaudit read) nothing changes: the flow is followed to the
 * end of its handshake for its event, its verdict sticking. */
Test(engine, refused_flow_offline_is_followed)
{
	R.drop_on = TLS_EV_CERTIFICATE;
	handshake_tcp();
	send_flights(T12, TB_N(T12), 100);
	cr_assert(R.ev_all & TLS_EV_HANDSHAKE_DONE);
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_not(engine_last_repeated(E));
	cr_assert_eq(counters().refused, 0);
	cr_assert_eq(counters().repeated, 0);
}

/* A RST ends a refused flow, as FINs from both ends do: a later packet on
 * its addresses and ports starts a new flow. */
Test(engine, rst_or_fins_end_a_refused_flow)
{
	new_inline_engine();
	R.drop_on = TLS_EV_CLIENT_HELLO;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_DROP);
	cr_assert_eq(send_at(0, sseq, TB_RST | TB_ACK, NULL, 0), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_data(0, T12_1, 100, 100), ENGINE_ACCEPT, "a new (mid-stream) flow");
	cr_assert_eq(counters().flows, 2);

	C.cport++;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_DROP);
	cr_assert_eq(send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0), ENGINE_DROP);
	cr_assert_eq(send_at(0, sseq, TB_FIN | TB_ACK, NULL, 0), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_data(0, T12_1, 100, 100), ENGINE_ACCEPT);
	cr_assert_eq(counters().flows, 4);
	cr_assert_eq(counters().refused, 2);
}

/* The SYN source (inline) tells a new connection on a refused flow's
 * addresses and ports (a client reusing its port) from the refused one: a
 * SYN seen since the refused flow began starts a new flow, judged anew;
 * a late copy of the refused connection's own SYN does not. */
static uint64_t syn_wall_us;

static bool syn_at(void *arg, const struct decoded *d, struct syntable_conn *out)
{
	(void)arg;
	if (!syn_wall_us || d->dport != C.sport)
		return false;
	memset(out, 0, sizeof(*out));
	out->client_is_src = true;
	out->client.seen = true;
	out->client.isn = cseq - 1;
	out->client_pkt.wall_us = syn_wall_us;
	syn_wall_us = 0;            /* taken: consumed */
	return true;
}

Test(engine, a_new_connection_on_a_refused_flows_ports_is_judged_anew)
{
	uint64_t first;

	new_inline_engine();
	engine_set_syn_source(E, syn_at, NULL);
	R.drop_on = TLS_EV_CLIENT_HELLO;
	first = now + 1000;
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_DROP);
	cr_assert_eq(R.n_milestones, 1);
	/* a late copy of the refused connection's SYN: still a repeat */
	syn_wall_us = first - 3000;
	cr_assert_eq(send_data(1, T12_2, sizeof(T12_2), 1448), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(syn_wall_us, 0, "asked");
	/* the client opens a new connection from the same port */
	syn_wall_us = now + 500;
	cseq = 777000;
	R.drop_on = 0;
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_not(engine_last_repeated(E));
	cr_assert_eq(R.n_milestones, 2, "its hello judged");
	cr_assert_eq(counters().flows, 2);
	cr_assert_eq(counters().syns_from_source, 1);
}

/* The same mistake on other paths: a STARTTLS exchange judged whole on
 * its clear-text facts, refused (drop_on) or accepted for good, and the
 * exception policy (drop) failing a flow closed at a reassembly limit:
 * what follows takes the verdict (v) unparsed, logging nothing. */
static void starttls_flow_is_kept(unsigned drop_on, enum engine_verdict v)
{
	static const char banner[] = "220 mx.lab.test ESMTP\r\n";
	static const char ehlo[] = "EHLO client\r\n";
	static const char caps[] = "250-mx.lab.test\r\n250 STARTTLS\r\n";
	static const char starttls[] = "STARTTLS\r\n";

	new_inline_engine();
	C.sport = 25;
	R.drop_on = drop_on;
	R.final_on = PRETLS_EV_FACTS;
	handshake_tcp();
	cr_assert_eq(send_data(0, banner, strlen(banner), 1448), ENGINE_ACCEPT);
	cr_assert_eq(send_data(1, ehlo, strlen(ehlo), 1448), ENGINE_ACCEPT);
	cr_assert_eq(send_data(0, caps, strlen(caps), 1448), v);
	cr_assert(engine_last_decided(E));
	cr_assert_not(engine_last_repeated(E));
	cr_assert_eq(send_data(1, starttls, strlen(starttls), 1448), v);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), v);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(R.ev_all, PRETLS_EV_FACTS, "no hello parsed: %#x", R.ev_all);
	cr_assert_eq(R.n_anomalies, 0);
}

Test(engine, refused_starttls_flow_is_kept_inline)
{
	starttls_flow_is_kept(PRETLS_EV_FACTS, ENGINE_DROP);
	cr_assert_eq(counters().refused, 1);
}

Test(engine, accepted_starttls_flow_is_kept_inline)
{
	starttls_flow_is_kept(0, ENGINE_ACCEPT);
	cr_assert_eq(counters().forgotten, 1);
}

Test(engine, exception_drop_inline_keeps_the_flow_refused)
{
	struct engine_config cfg;
	uint32_t off;

	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.max_ooo_segments = 2;
	cfg.exception_verdict = ENGINE_DROP;
	cfg.forget_decided = true;
	new_engine(&cfg);
	handshake_tcp();
	for (off = 40; off < 40 + 4 * 10; off += 10)
		send_at(1, cseq + off, TB_ACK, T12_0 + off, 10);
	cr_assert_eq(counters().exceptions, 1);
	cr_assert_eq(counters().refused, 1);
	/* the hole filled: nothing of the hello is parsed, all is dropped */
	cr_assert_eq(send_at(1, cseq, TB_ACK, T12_0, sizeof(T12_0)), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(R.ev_all, 0);
}

/* A verdict reached outside a packet (a probe's answer, or its held
 * flight's deadline): the flow leaves as after a packet, refused and kept
 * refused, or accepted and forgotten. */
Test(engine, decided_outside_a_packet_leaves_inline)
{
	new_inline_engine();
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_not_null(R.es);
	R.es->final = true;
	cr_assert(engine_decide(E, R.es, ENGINE_REJECT, now));
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(R.users_freed, R.users);
	cr_assert_eq(send_data(0, T12_1, sizeof(T12_1), 1448), ENGINE_REJECT);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(counters().refused, 1);

	C.cport++;
	R.es = NULL;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_not_null(R.es);
	cr_assert_not(engine_decide(E, R.es, ENGINE_ACCEPT, now), "not final: inspected on");
	R.es->final = true;
	cr_assert(engine_decide(E, R.es, ENGINE_ACCEPT, now));
	cr_assert_eq(R.sessions_ended, 2);
	cr_assert_eq(counters().forgotten, 1);
	cr_assert_eq(counters().flows, 2);
	cr_assert_eq(send_data(0, T12_1, sizeof(T12_1), 1448), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E), "kept accepted");
}

/* ---- inline: an accepted flow is kept accepted, briefly ---- */

/* An inline engine whose decided flows linger linger_s seconds. */
static void new_lingering_engine(uint64_t linger_s)
{
	struct engine_config cfg;

	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.forget_decided = true;
	cfg.linger_us = linger_s * 1000000;
	new_engine(&cfg);
}

/* A TLS 1.2 session accepted for good at its ServerHello, the server's
 * flight in 40-byte segments all queued before the kernel's mark applies:
 * returns how many segments came after the deciding one. */
static unsigned accepted_at_server_hello(void)
{
	unsigned milestones = 0, after = 0, ended = R.sessions_ended;
	size_t off, k, seg = 40;
	enum engine_verdict v;
	bool rep;

	R.final_on = TLS_EV_SERVER_HELLO;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_not(engine_last_decided(E));
	for (off = 0; off < sizeof(T12_1); off += k) {
		k = sizeof(T12_1) - off < seg ? sizeof(T12_1) - off : seg;
		v = server_segment(T12_1 + off, k, &rep);
		cr_assert_eq(v, ENGINE_ACCEPT);
		if (milestones) {
			cr_assert(rep, "segment at %zu after the acceptance", off);
			cr_assert(engine_last_decided(E));
			cr_assert(engine_last_from_server(E));
			after++;
		} else if (engine_last_decided(E)) {
			/* the deciding segment: judged, not a repeat, logged now */
			cr_assert_not(rep);
			cr_assert(R.ev_all & TLS_EV_SERVER_HELLO);
			cr_assert_eq(R.sessions_ended, ended + 1, "logged at the acceptance");
			cr_assert_eq(R.users_freed, R.users, "the session went");
			milestones = R.n_milestones;
		} else {
			cr_assert_not(rep);
		}
	}
	cr_assert_gt(milestones, 0, "decided at the ServerHello");
	cr_assert_eq(R.n_milestones, milestones, "nothing parsed after the acceptance");
	return after;
}

/* The packets queued behind an acceptance (the rest of the server's
 * flight, the client's next flight) pass as repeats: unparsed, no event,
 * no anomaly, no new flow; the flow lingers as its key and verdict. */
Test(engine, accepted_flow_is_kept_and_its_queued_packets_repeat)
{
	unsigned after;

	new_inline_engine();
	after = accepted_at_server_hello();
	cr_assert_gt(after, 3, "the rest of the flight came after the acceptance");
	cr_assert_eq(send_data(1, T12_2, sizeof(T12_2), 1448), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E));
	cr_assert_not(engine_last_from_server(E));
	cr_assert_eq(R.n_anomalies, 0, "%#llx", (unsigned long long)R.anomalies);
	cr_assert_eq(R.sessions_ended, 1);
	cr_assert_eq(counters().flows, 1);
	cr_assert_eq(counters().forgotten, 1);
	cr_assert_eq(counters().refused, 0);
	cr_assert_eq(counters().repeated, after + 1);
	cr_assert_eq(counters().tls_sessions, 1);
	cr_assert_eq(counters().not_tls_flows, 0);
	cr_assert_eq(counters().lingering, 1);
	/* the end of the connection (were it still queued) ends the flow */
	cr_assert_eq(send_at(1, cseq, TB_FIN | TB_ACK, NULL, 0), ENGINE_ACCEPT);
	cr_assert_eq(send_at(0, sseq, TB_FIN | TB_ACK, NULL, 0), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(counters().lingering, 0);
}

/* A lingering flow, accepted or refused, goes once it has been idle for
 * the linger time, long before the flow timeout (120 s): a later packet of
 * it starts a new (mid-stream) flow. Until then it repeats. */
static void lingers_for(unsigned drop_on)
{
	uint16_t port = C.cport;

	new_lingering_engine(3);
	R.drop_on = drop_on;
	R.final_on = TLS_EV_SERVER_HELLO;
	handshake_tcp();
	send_data(1, T12_0, sizeof(T12_0), 1448);
	if (!drop_on)
		send_data(0, T12_1, sizeof(T12_1), 1448);
	cr_assert(engine_last_decided(E));
	cr_assert_eq(counters().lingering, 1);
	/* another flow's packets move the clock: 2.5 s idle, still there */
	C.cport++;
	now += 2500000;
	handshake_tcp();
	C.cport = port;
	cr_assert_eq(counters().lingering, 1);
	cr_assert_eq(send_data(0, T12_1, 100, 100), drop_on ? ENGINE_DROP : ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E), "a repeat refreshes the linger");
	C.cport++;
	now += 2500000;
	handshake_tcp();
	cr_assert_eq(counters().lingering, 1, "2.5 s after its last repeat");
	now += 1500000;
	handshake_tcp();
	cr_assert_eq(counters().lingering, 0, "gone 4 s after its last packet");
	cr_assert_eq(counters().flows, 2, "the other one lives on");
	C.cport = port;
	R.drop_on = 0;
	R.final_on = 0;
	cr_assert_eq(send_data(0, T12_1, 100, 100), ENGINE_ACCEPT);
	cr_assert_not(engine_last_repeated(E));
	cr_assert_eq(counters().flows, 3, "a new (mid-stream) flow");
}

Test(engine, accepted_flow_lingers_briefly)
{
	lingers_for(0);
	cr_assert_eq(counters().forgotten, 1);
}

Test(engine, refused_flow_lingers_briefly)
{
	lingers_for(TLS_EV_CLIENT_HELLO);
	cr_assert_eq(counters().refused, 1);
}

/* A lingering flow holds its flow entry only: what the session held is
 * freed (heap in use per kept flow: the entry and the allocator's
 * overhead). */
Test(engine, a_kept_flow_holds_no_session)
{
	struct mallinfo2 before, after;
	const unsigned n = 32;
	unsigned i;

	new_inline_engine();
	accepted_at_server_hello();     /* warm the caches (certificates) */
	before = mallinfo2();
	for (i = 0; i < n; i++) {
		C.cport++;
		cseq = 1000;
		sseq = 900000;
		accepted_at_server_hello();
	}
	after = mallinfo2();
	cr_assert_eq(counters().lingering, n + 1);
	cr_assert_eq(R.users_freed, R.users);
	cr_assert_leq((after.uordblks - before.uordblks) / n, sizeof(struct flow) + 32,
		      "%zu bytes per kept flow (an entry is %zu)",
		      (after.uordblks - before.uordblks) / n, sizeof(struct flow));
}

/* A flow allowed while its judging goes on (not final) is inspected on,
 * never kept: its next segments are parsed. */
Test(engine, accepted_but_not_final_is_inspected_on)
{
	new_inline_engine();
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_eq(send_data(0, T12_1, 100, 40), ENGINE_ACCEPT);
	cr_assert_not(engine_last_decided(E));
	cr_assert_not(engine_last_repeated(E));
	cr_assert_eq(counters().lingering, 0);
	sseq -= 100;
	send_data(0, T12_1, sizeof(T12_1), 1448);
	cr_assert(R.ev_all & TLS_EV_CERTIFICATE, "parsed on");
	cr_assert_eq(counters().repeated, 0);
}

/* The exception policy (pass) lets a flow over a reassembly limit go on,
 * judged on what follows the hole; once that decides it, it is kept
 * accepted like any other: later packets repeat, nothing is reported
 * again. */
Test(engine, exception_pass_inline_keeps_the_decided_flow)
{
	struct engine_config cfg;
	unsigned anomalies, i;
	uint32_t off;
	bool rep;

	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.max_ooo_segments = 2;
	cfg.forget_decided = true;
	new_engine(&cfg);
	R.final_on = TLS_EV_SERVER_HELLO;
	handshake_tcp();
	for (off = 40; off < 40 + 4 * 10; off += 10)
		send_at(1, cseq + off, TB_ACK, T12_0 + off, 10);
	cr_assert_eq(counters().exceptions, 1);
	cr_assert_eq(counters().lingering, 0, "not decided by the hole alone");
	/* the server's flight: its ServerHello decides */
	for (i = 0; !engine_last_decided(E); i++) {
		cr_assert_lt(i * 40 + 40, sizeof(T12_1), "never decided");
		cr_assert_eq(server_segment(T12_1 + i * 40, 40, &rep), ENGINE_ACCEPT);
		cr_assert_not(rep);
	}
	cr_assert_eq(counters().forgotten, 1);
	anomalies = R.n_anomalies;
	cr_assert_eq(server_segment(T12_1 + i * 40, 40, &rep), ENGINE_ACCEPT);
	cr_assert(rep, "the rest of the flight repeats");
	cr_assert_eq(send_at(1, cseq + 100, TB_ACK, T12_0 + 100, 100), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(R.n_anomalies, anomalies, "nothing reported again");
	cr_assert_eq(counters().flows, 1);
}

Test(engine, drop_on_a_later_milestone)
{
	R.drop_on = TLS_EV_CERTIFICATE;
	handshake_tcp();
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	/* The server flight in two segments: the second completes the
	 * certificate and is dropped. */
	cr_assert_eq(send_data(0, T12_1, sizeof(T12_1), 1448), ENGINE_DROP);
	cr_assert_eq(send_data(1, T12_2, sizeof(T12_2), 1448), ENGINE_DROP);
}

Test(engine, reject_is_stronger_than_drop)
{
	cr_assert_gt(ENGINE_REJECT, ENGINE_DROP);
	cr_assert_gt(ENGINE_DROP, ENGINE_ACCEPT);
}

Test(engine, decode_anomaly_has_no_session)
{
	static const uint8_t junk[] = { 0x45, 0x00, 0x00 };

	now += 1000;
	cr_assert_eq(engine_packet(E, TB_DLT_RAW, junk, sizeof(junk), now), ENGINE_ACCEPT);
	cr_assert_eq(R.n_anomalies, 1);
	cr_assert_eq(counters().flows, 0);
	cr_assert_eq(counters().decode_anomalies, 1);
}

Test(engine, two_flows_are_separate)
{
	handshake_tcp();
	send_flights(T12, 1, 1448);
	C.cport = 50001;
	cseq = 5000;
	handshake_tcp();
	send_flights(T13, 1, 1448);
	cr_assert_eq(counters().flows, 2);
	cr_assert_eq(R.users, 2);
	engine_flush(E);
	cr_assert_eq(R.sessions_ended, 2);
}

/* ---- QUIC --------------------------------------------------------------- */

/* An IPv4/UDP datagram between C's addresses (checksum 0: none, RFC 768). */
static enum engine_verdict send_udp(int to_server, const uint8_t *p, size_t n)
{
	size_t len = 28 + n;

	P.len = 0;
	tb_u8(&P, 0x45);
	tb_u8(&P, 0);
	tb_u16(&P, (unsigned)len);
	tb_u32(&P, 0);
	tb_u8(&P, 64);
	tb_u8(&P, 17);
	tb_u16(&P, 0);
	buf_put(&P, to_server ? C.cli : C.srv, 4);
	buf_put(&P, to_server ? C.srv : C.cli, 4);
	tb_u16(&P, to_server ? C.cport : C.sport);
	tb_u16(&P, to_server ? C.sport : C.cport);
	tb_u16(&P, (unsigned)(8 + n));
	tb_u16(&P, 0);
	buf_put(&P, p, n);
	cr_assert_not(P.oom);
	now += 1000;
	return engine_packet(E, TB_DLT_RAW, (const uint8_t *)P.data, P.len, now);
}

static uint8_t rfc_client[1200], rfc_server[135];

static void load_rfc(void)
{
	cr_assert_eq(hex_load("tests/unit/data/quic/rfc9001-a2-client-initial.hex", rfc_client,
			      sizeof(rfc_client)), sizeof(rfc_client));
	cr_assert_eq(hex_load("tests/unit/data/quic/rfc9001-a3-server-initial.hex", rfc_server,
			      sizeof(rfc_server)), sizeof(rfc_server));
}

Test(engine, quic_initials_make_a_session)
{
	load_rfc();
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_ACCEPT);
	cr_assert_eq(send_udp(0, rfc_server, sizeof(rfc_server)), ENGINE_ACCEPT);
	cr_expect_str_eq(R.sni, "example.com");
	cr_expect(R.client_dir_ok);
	cr_expect_eq(R.suite, 0x1301);
	cr_expect_eq(R.ev_all & (TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO | TLS_EV_ENCRYPTED),
		     TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO | TLS_EV_ENCRYPTED);
	cr_expect_eq(R.ev_twice, 0);
	engine_flush(E);
	cr_expect_eq(R.sessions_ended, 1);
	cr_expect_eq(counters().quic_sessions, 1);
	cr_expect_eq(counters().udp_packets, 2);
}

Test(engine, other_udp_makes_no_flow)
{
	static const uint8_t dns[20] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01 };
	static const uint8_t short_hdr[40] = { 0x41, 0x01, 0x02 };

	C.sport = 53;
	cr_assert_eq(send_udp(1, dns, sizeof(dns)), ENGINE_ACCEPT);
	C.sport = 443;
	cr_assert_eq(send_udp(1, short_hdr, sizeof(short_hdr)), ENGINE_ACCEPT);
	cr_expect_eq(counters().flows, 0);
	cr_expect_eq(R.n_milestones, 0);
}

/* Inline, a QUIC flow dropped at its first Initial stays known: the
 * kernel keeps no conntrack mark for it and queues the retransmission, which
 * gets the same verdict without a second judgment. A rejected one is
 * dropped (UDP has no reset). */
Test(engine, dropped_quic_flow_is_kept_inline)
{
	struct engine_config cfg;

	engine_config_default(&cfg);
	cfg.forget_decided = true;
	new_engine(&cfg);
	load_rfc();
	R.drop_on = TLS_EV_CLIENT_HELLO;
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_DROP);
	cr_assert(engine_last_decided(E));
	cr_assert_not(engine_last_repeated(E));
	cr_expect_eq(R.sessions_ended, 1, "logged at the refusal");
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_udp(0, rfc_server, sizeof(rfc_server)), ENGINE_DROP);
	cr_assert(engine_last_repeated(E));
	cr_expect_eq(R.n_milestones, 1);
	cr_expect_eq(counters().flows, 1);
	cr_expect_eq(counters().forgotten, 0);
	cr_expect_eq(counters().refused, 1);
	engine_flush(E);
	cr_expect_eq(R.sessions_ended, 1);
}

/* Inline, a QUIC flow allowed (final) at its client's hello stays open
 * until the server's Initial (quic_hello_open: another client hello may
 * still come and must be judged); then it is kept accepted and what
 * follows repeats. */
Test(engine, accepted_quic_flow_is_kept_after_the_server_initial)
{
	new_inline_engine();
	load_rfc();
	R.final_on = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO;
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_ACCEPT);
	cr_assert_not(engine_last_decided(E), "open until the server answers");
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_ACCEPT);
	cr_assert_not(engine_last_repeated(E), "a second client Initial is judged");
	cr_assert_eq(send_udp(0, rfc_server, sizeof(rfc_server)), ENGINE_ACCEPT);
	cr_assert(engine_last_decided(E));
	cr_assert_not(engine_last_repeated(E));
	cr_expect_eq(R.sessions_ended, 1);
	cr_assert_eq(send_udp(0, rfc_server, sizeof(rfc_server)), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E));
	cr_assert_eq(send_udp(1, rfc_client, sizeof(rfc_client)), ENGINE_ACCEPT);
	cr_assert(engine_last_repeated(E));
	cr_expect_eq(counters().forgotten, 1);
	cr_expect_eq(counters().flows, 1);
	cr_expect_eq(counters().lingering, 1);
	cr_expect_eq(R.n_anomalies, 0);
}

/* A TLS session inside an HTTP CONNECT tunnel, accepted at its
 * ServerHello: the rest of the server's flight repeats. */
Test(engine, accepted_proxied_flow_is_kept_inline)
{
	static const char req[] = "CONNECT www.alpha-corp.test:443 HTTP/1.1\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	bool rep;

	new_inline_engine();
	C.sport = 3128;
	R.final_on = TLS_EV_SERVER_HELLO;
	handshake_tcp();
	cr_assert_eq(send_data(1, req, strlen(req), 1448), ENGINE_ACCEPT);
	cr_assert_eq(send_data(0, resp, strlen(resp), 1448), ENGINE_ACCEPT);
	cr_assert_eq(send_data(1, T12_0, sizeof(T12_0), 1448), ENGINE_ACCEPT);
	cr_assert_not(engine_last_decided(E));
	cr_assert_eq(server_segment(T12_1, 200, &rep), ENGINE_ACCEPT);
	cr_assert(engine_last_decided(E));
	cr_assert_not(rep);
	cr_assert_eq(server_segment(T12_1 + 200, 200, &rep), ENGINE_ACCEPT);
	cr_assert(rep);
	cr_assert_eq(counters().forgotten, 1);
	cr_assert_eq(R.n_anomalies, 0);
}

/* ---- evasion: the bytes judged are the bytes the receiver takes in ---- */

/* The same segment as send_at() would send, with another TTL and, when
 * bad_csum, a TCP checksum no receiver accepts. */
static enum engine_verdict send_raw(int to_server, uint32_t seq, uint32_t ack, unsigned flags,
				    const void *p, size_t n, uint8_t ttl, bool bad_csum)
{
	uint8_t *ip;
	uint16_t sum;

	tb_packet(&P, &C, to_server, seq, ack, flags, p, n);
	cr_assert_not(P.oom);
	ip = (uint8_t *)P.data;
	ip[8] = ttl;
	ip[10] = ip[11] = 0;
	sum = tb_csum(ip, 20, 0);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	if (bad_csum)
		ip[36] ^= 0x5a;
	now += 1000;
	return engine_packet(E, TB_DLT_RAW, ip, P.len, now);
}

/* T12_0 naming another host (same length): a fake ClientHello. */
static void fake_hello(uint8_t *out)
{
	uint8_t *at;

	memcpy(out, T12_0, sizeof(T12_0));
	at = memmem(out, sizeof(T12_0), "alpha-corp", 10);
	cr_assert_not_null(at);
	memcpy(at, "omega-corp", 10);
}

/* What the engine wants sent instead, decoded. */
static void rewritten(struct decoded *d)
{
	const uint8_t *pkt;
	size_t len;

	cr_assert_eq(engine_last_action(E, &pkt, &len), ENGINE_PKT_REWRITE);
	cr_assert_eq(decode_ip(pkt, len, d), DECODE_TCP);
	cr_assert(checksum_ip_ok(d) && checksum_l4_ok(d), "checksums recomputed");
}

Test(engine, fake_with_bad_checksum_is_never_judged)
{
	static uint8_t fake[sizeof(T12_0)];

	fake_hello(fake);
	handshake_tcp();
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, fake, sizeof(fake), 64, true);
	cr_assert_eq(R.ev_all, 0);
	cr_assert(R.anomalies & BIT(EVASION_BAD_CHECKSUM));
	cr_assert_eq(engine_last_action(E, NULL, NULL), ENGINE_PKT_DROP);
	send_data(1, T12_0, sizeof(T12_0), 1448);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test", "the real one is judged");
	cr_assert_eq(counters().evasion[ANOM_EVASION_BAD_CHECKSUM - ANOM_EVASION_FIRST], 1);
}

Test(engine, fake_acking_unsent_data_or_without_ack_is_never_judged)
{
	static uint8_t fake[sizeof(T12_0)];

	fake_hello(fake);
	handshake_tcp();
	send_raw(1, cseq, sseq + 100000, TB_ACK | TB_PSH, fake, sizeof(fake), 64, false);
	send_raw(1, cseq, sseq - 70000, TB_ACK | TB_PSH, fake, sizeof(fake), 64, false);
	send_raw(1, cseq, 0, TB_PSH, fake, sizeof(fake), 64, false);
	cr_assert_eq(R.ev_all, 0);
	cr_assert_eq(counters().evasion[ANOM_EVASION_BAD_ACK - ANOM_EVASION_FIRST], 3);
	send_data(1, T12_0, sizeof(T12_0), 1448);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
}

Test(engine, low_ttl_fake_is_never_judged)
{
	static uint8_t fake[sizeof(T12_0)];

	fake_hello(fake);
	handshake_tcp();
	/* TTL 2 where the SYN had 64: meant to die before the server */
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, fake, sizeof(fake), 2, false);
	cr_assert_eq(R.ev_all, 0);
	cr_assert(R.anomalies & BIT(EVASION_LOW_TTL));
	cr_assert_eq(engine_last_action(E, NULL, NULL), ENGINE_PKT_DROP);
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, T12_0, sizeof(T12_0), 64, false);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test", "the real one is judged");
	cr_assert_not(R.anomalies & BIT(STREAM_OVERLAP_DIFF), "the fake left no copy");
	cr_assert_eq(counters().evasion[ANOM_EVASION_LOW_TTL - ANOM_EVASION_FIRST], 1);
}

Test(engine, ttl_jitter_is_raised_to_the_syns)
{
	struct decoded d;

	handshake_tcp();
	/* 3 below the SYN's: a path that changed a little, not insertion */
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, T12_0, sizeof(T12_0), 61, false);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	cr_assert_not(R.anomalies & BIT(EVASION_LOW_TTL));
	rewritten(&d);
	cr_assert_eq(d.ttl, 64);
	cr_assert_eq(memcmp(d.payload, T12_0, sizeof(T12_0)), 0);
}

Test(engine, low_ttl_data_resent_at_the_same_sequence_is_taken_raised)
{
	struct decoded d;

	handshake_tcp();
	/* a path that got much longer: the first copy is kept out, the
	 * sender resends it (nothing arrived): taken, and raised so it arrives */
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, T12_0, sizeof(T12_0), 20, false);
	cr_assert_eq(R.ev_all, 0);
	cr_assert_eq(engine_last_action(E, NULL, NULL), ENGINE_PKT_DROP);
	send_raw(1, cseq, sseq, TB_ACK | TB_PSH, T12_0, sizeof(T12_0), 20, false);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	rewritten(&d);
	cr_assert_eq(d.ttl, 64);
	cr_assert_eq(counters().evasion[ANOM_EVASION_LOW_TTL - ANOM_EVASION_FIRST], 1);
	/* the floor stays: a low RST, even sent twice, never ends the flow */
	send_raw(1, cseq + sizeof(T12_0), sseq, TB_RST, NULL, 0, 20, false);
	send_raw(1, cseq + sizeof(T12_0), sseq, TB_RST, NULL, 0, 20, false);
	cr_assert_eq(counters().evasion[ANOM_EVASION_LOW_TTL - ANOM_EVASION_FIRST], 3);
	cr_assert_eq(R.users_freed, 0, "the flow is still followed");
}

Test(engine, server_direction_fake_flight_and_conflicting_copy)
{
	static uint8_t fake[sizeof(T12_1)];
	struct decoded d;

	memcpy(fake, T12_1, sizeof(fake));
	fake[600] ^= 0xff;                     /* a byte inside the certificate */
	handshake_tcp();
	send_data(1, T12_0, sizeof(T12_0), 1448);
	/* a fake flight the client would discard (checksum) decides nothing */
	send_raw(0, sseq, cseq, TB_ACK | TB_PSH, fake, 1000, 64, true);
	cr_assert_not(R.ev_all & TLS_EV_SERVER_HELLO);
	cr_assert_eq(engine_last_action(E, NULL, NULL), ENGINE_PKT_DROP);
	/* the real first part is judged; a differing copy of it is rewritten */
	send_raw(0, sseq, cseq, TB_ACK | TB_PSH, T12_1, 1000, 64, false);
	send_raw(0, sseq, cseq, TB_ACK | TB_PSH, fake, 1000, 64, false);
	rewritten(&d);
	cr_assert_eq(memcmp(d.payload, T12_1, 1000), 0);
	sseq += 1000;
	send_data(0, T12_1 + 1000, sizeof(T12_1) - 1000, 1448);
	check_t12_session();
}

Test(engine, rst_out_of_sequence_does_not_end_the_flow)
{
	handshake_tcp();
	send_at(1, cseq + 5000, TB_RST, NULL, 0);
	send_data(1, T12_0, sizeof(T12_0), 1448);
	cr_assert_str_eq(R.sni, "www.alpha-corp.test");
	cr_assert_eq(R.users_freed, 0, "the flow is still followed");
}
