/*
 * inspector inline (forget_decided, as secaudit-monitor runs it), with a
 * real policy and the EVE writer (and, at the end, a QUIC flight held for
 * its probe): a session refused in the middle of the
 * server's flight is written at the refusal, once. The packet that decides
 * writes its tls event and its alert; the packets queued behind it (the
 * rest of the flight, the client's next one, a retransmission) are dropped
 * unparsed and write nothing; the flow's end writes nothing again.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "engine/inspector.h"
#include "hexfile.h"
#include "policy/policy.h"
#include "policy/rules.h"
#include "probe/prober.h"
#include "tlsbuild.h"

/* a14's leaf has an RSA 2048 key: refused at the Certificate */
static const char RULES[] =
	"version: 1\n"
	"profiles:\n"
	"  p:\n"
	"    action: drop\n"
	"    certificate:\n"
	"      trust: none\n"
	"      min_rsa_bits: 3072\n"
	"      message: weak server key\n"
	"zones:\n"
	"  - name: all\n"
	"    profile: p\n";

static struct policy *POL;
static struct inspector *IN;
static struct buf OUT, P;
static const struct tb_conn C = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, 50000, 443 };
static uint32_t cseq = 1000, sseq = 900000;
static uint64_t now = 1700000000ULL * 1000000;

static void setup(void)
{
	struct engine_config cfg;
	struct policy_error err;

	POL = rules_load_buffer("test.yaml", RULES, strlen(RULES), ".", 0, &err);
	cr_assert_not_null(POL, "%s:%u: %s", err.file, err.line, err.message);
	engine_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.forget_decided = true;
	IN = inspector_new(&cfg, POL, INSPECTOR_EVE, &OUT);
	cr_assert_not_null(IN);
}

static void teardown(void)
{
	inspector_free(IN);
	policy_free(POL);
	buf_free(&OUT);
	buf_free(&P);
}

TestSuite(inspector, .init = setup, .fini = teardown);

static enum engine_verdict send_seg(int to_server, const uint8_t *p, size_t n)
{
	uint32_t *seq = to_server ? &cseq : &sseq;

	tb_packet(&P, &C, to_server, *seq, to_server ? sseq : cseq, TB_ACK | TB_PSH, p, n);
	cr_assert_not(P.oom);
	*seq += (uint32_t)n;
	now += 1000;
	return inspector_packet(IN, TB_DLT_RAW, (const uint8_t *)P.data, P.len, now);
}

/* Events of a type written so far. */
static unsigned events(const char *type)
{
	char needle[64];
	const char *at;
	unsigned n = 0;

	snprintf(needle, sizeof(needle), "\"event_type\":\"%s\"", type);
	buf_putc(&OUT, '\0');
	OUT.len--;
	for (at = OUT.data; at && (at = strstr(at, needle)); at++)
		n++;
	return n;
}

Test(inspector, refused_session_is_written_once_at_the_refusal)
{
	struct inspector_counters n;
	size_t off, k, repeats = 0;
	enum engine_verdict v;
	bool decided = false;
	size_t written;

	cr_assert_eq(send_seg(1, T12_0, sizeof(T12_0)), ENGINE_ACCEPT);
	for (off = 0; off < sizeof(T12_1); off += k) {
		k = sizeof(T12_1) - off < 40 ? sizeof(T12_1) - off : 40;
		v = send_seg(0, T12_1 + off, k);
		if (!decided && v == ENGINE_ACCEPT) {
			cr_assert_eq(events("tls") + events("alert"), 0);
			continue;
		}
		cr_assert_eq(v, ENGINE_DROP);
		if (!decided) {
			decided = true;
			cr_assert_not(engine_last_repeated(inspector_engine(IN)));
			cr_assert_eq(events("tls"), 1, "%.*s", (int)OUT.len, OUT.data);
			cr_assert_eq(events("alert"), 1, "%.*s", (int)OUT.len, OUT.data);
			cr_assert(strstr(OUT.data, "\"action\":\"blocked\""), "%s", OUT.data);
			cr_assert(strstr(OUT.data, "weak server key"), "%s", OUT.data);
			written = OUT.len;
			continue;
		}
		cr_assert(engine_last_repeated(inspector_engine(IN)));
		repeats++;
	}
	cr_assert(decided);
	cr_assert_gt(repeats, 3);
	cr_assert_eq(send_seg(1, T12_2, sizeof(T12_2)), ENGINE_DROP);
	cr_assert(engine_last_repeated(inspector_engine(IN)));
	inspector_flush(IN);
	cr_assert_eq(OUT.len, written, "nothing written after the refusal: %s",
		     OUT.data + written);
	inspector_counters(IN, &n);
	cr_assert_eq(n.alerts, 1);
	cr_assert_eq(n.blocked, 1);
	cr_assert_eq(n.sessions, 1);
}

/* ---- a QUIC flight held for its probe ------------------------------------
 *
 * RFC 9001's sample Initials (appendix A: the client's ClientHello for
 * example.com, the server's ServerHello) between 127.0.0.1 and a local
 * port where a TCP listener never answers: the probe of the QUIC session
 * (over TCP, probe.h) stays unanswered until its timeout. The server's
 * datagrams from its Initial on are held; fakes of the server's side that
 * come meanwhile do not decide the flow: one its receiver would discard
 * (a bad UDP checksum) is dropped alone, an unauthenticated one and a
 * second authenticated ServerHello are held with the flight; nothing is
 * released before the probe's answer, and then all of it with the verdict
 * (here the probe's failure, on_probe_failure: drop).
 */
/* TLS 1.3 certificates probed, nothing trusted: on_probe_failure (%s) decides. */
static const char PROBE_RULES[] =
	"version: 1\n"
	"profiles:\n"
	"  p:\n"
	"    action: reject\n"
	"    certificate: {trust: none}\n"
	"    tls13_certificates: probe\n"
	"    on_probe_failure: %s\n"
	"zones:\n"
	"  - name: all\n"
	"    profile: p\n";

struct released {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned probes_done, calls, n;
	uint32_t ids[INSPECTOR_MAX_HELD];
	enum engine_verdict v;
	bool had_pkt, repeat;
};

static struct released REL = { .lock = PTHREAD_MUTEX_INITIALIZER,
			       .cond = PTHREAD_COND_INITIALIZER };

static void probe_done(void *arg)
{
	struct released *r = arg;

	pthread_mutex_lock(&r->lock);
	r->probes_done++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void on_release(void *arg, const uint32_t *ids, const uint32_t *marks, unsigned n,
		       enum engine_verdict v, bool decided, bool repeat, const uint8_t *pkt,
		       size_t len)
{
	struct released *r = arg;

	(void)marks;
	(void)decided;
	(void)len;
	r->calls++;
	r->n = n;
	memcpy(r->ids, ids, n * sizeof(*ids));
	r->v = v;
	r->had_pkt = pkt != NULL;
	r->repeat = repeat;
}

static struct policy *probing_policy(const char *on_failure)
{
	struct policy_error err;
	struct policy *pol;
	char rules[512];

	snprintf(rules, sizeof(rules), PROBE_RULES, on_failure);
	pol = rules_load_buffer("probe.yaml", rules, strlen(rules), ".", 0, &err);
	cr_assert_not_null(pol, "%s:%u: %s", err.file, err.line, err.message);
	return pol;
}

/* A loopback TCP listener that never accepts: the kernel completes the
 * handshake, nobody speaks TLS, so a probe of it waits for its timeout.
 * Returns its descriptor; *port is its port. */
static int silent_listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		  listen(fd, 8) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A prober whose probes give up after timeout_ms, telling REL when one is done. */
static struct prober *test_prober(unsigned timeout_ms)
{
	struct prober_config pc;
	struct prober *pr;

	prober_config_default(&pc);
	pc.probe.timeout_ms = timeout_ms;
	pr = prober_new(&pc, probe_done, &REL);
	cr_assert_not_null(pr);
	return pr;
}

/* An IPv4/UDP datagram between 127.0.0.1:50000 and 127.0.0.1:port with a
 * correct UDP checksum, or a wrong one (bad_sum). */
static size_t udp_packet(uint8_t *out, uint16_t port, int to_server, const uint8_t *payload,
			 size_t len, bool bad_sum)
{
	uint16_t sport = to_server ? 50000 : port, dport = to_server ? port : 50000, sum;
	uint32_t pseudo = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 17 + 8 + (uint32_t)len;
	size_t i;

	memset(out, 0, 28);
	out[0] = 0x45;
	out[2] = (uint8_t)((28 + len) >> 8);
	out[3] = (uint8_t)(28 + len);
	out[8] = 64;
	out[9] = 17;
	out[12] = out[16] = 127;
	out[15] = out[19] = 1;
	sum = tb_csum(out, 20, 0);
	out[10] = (uint8_t)(sum >> 8);
	out[11] = (uint8_t)sum;
	out[20] = (uint8_t)(sport >> 8);
	out[21] = (uint8_t)sport;
	out[22] = (uint8_t)(dport >> 8);
	out[23] = (uint8_t)dport;
	out[24] = (uint8_t)((8 + len) >> 8);
	out[25] = (uint8_t)(8 + len);
	memcpy(out + 28, payload, len);
	for (i = 0; i < 8 + len; i += 2)
		pseudo += (uint32_t)(out[20 + i] << 8 | (i + 1 < 8 + len ? out[21 + i] : 0));
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	sum = (uint16_t)~pseudo;
	if (bad_sum)
		sum ^= 0x5a5a;
	out[26] = (uint8_t)(sum >> 8);
	out[27] = (uint8_t)sum;
	return 28 + len;
}

Test(inspector_probe, a_held_quic_flight_waits_for_the_probe_whatever_fakes_come)
{
	uint8_t cinit[1300], sinit[1300], pkt[1400], bad[1300];
	size_t clen = hex_load("tests/unit/data/quic/rfc9001-a2-client-initial.hex", cinit,
			       sizeof(cinit));
	size_t slen = hex_load("tests/unit/data/quic/rfc9001-a3-server-initial.hex", sinit,
			       sizeof(sinit));
	struct engine_config cfg;
	struct policy *pol;
	struct prober *pr;
	struct inspector *in;
	struct buf out = { 0 };
	uint64_t t = 1700000000ULL * 1000000;
	uint16_t port;
	size_t n;
	int lfd;

	lfd = silent_listener(&port);
	pol = probing_policy("drop");
	pr = test_prober(400);
	engine_config_default(&cfg);
	cfg.forget_decided = true;
	cfg.checksums = ENGINE_CSUM_VERIFY;
	in = inspector_new(&cfg, pol, INSPECTOR_ALERTS, &out);
	cr_assert_not_null(in);
	/* the hold outlasts the probe: the probe's answer decides */
	inspector_set_prober(in, pr, 60000, on_release, &REL);

	n = udp_packet(pkt, port, 1, cinit, clen, false);
	cr_assert_eq(inspector_ip_packet(in, pkt, n, t, 0), ENGINE_ACCEPT);
	cr_assert_not(inspector_last_held(in), "the client's Initial passes");

	n = udp_packet(pkt, port, 0, sinit, slen, false);
	cr_assert_eq(inspector_ip_packet(in, pkt, n, t + 1000, 0), ENGINE_ACCEPT);
	cr_assert(inspector_last_held(in), "the server's Initial waits for the probe");
	cr_assert_eq(inspector_hold(in, 1, 0), 0);

	/* a fake its receiver discards: dropped alone, not held */
	n = udp_packet(pkt, port, 0, sinit, slen, true);
	inspector_ip_packet(in, pkt, n, t + 2000, 0);
	cr_assert_not(inspector_last_held(in));
	cr_assert_eq(engine_last_action(inspector_engine(in), NULL, NULL), ENGINE_PKT_DROP);
	cr_assert_not(engine_last_decided(inspector_engine(in)), "the flow is not decided");

	/* one that does not authenticate, and a second ServerHello: held */
	memcpy(bad, sinit, slen);
	bad[slen - 1] ^= 1;
	n = udp_packet(pkt, port, 0, bad, slen, false);
	cr_assert_eq(inspector_ip_packet(in, pkt, n, t + 3000, 0), ENGINE_ACCEPT);
	cr_assert(inspector_last_held(in));
	cr_assert_eq(inspector_hold(in, 2, 0), 0);
	n = udp_packet(pkt, port, 0, sinit, slen, false);
	cr_assert_eq(inspector_ip_packet(in, pkt, n, t + 4000, 0), ENGINE_ACCEPT);
	cr_assert(inspector_last_held(in));
	cr_assert_not(engine_last_decided(inspector_engine(in)));
	cr_assert_eq(inspector_hold(in, 3, 0), 0);

	inspector_probes(in, t + 5000);
	cr_assert_eq(REL.calls, 0, "released before the probe answered");

	pthread_mutex_lock(&REL.lock);
	while (!REL.probes_done)
		pthread_cond_wait(&REL.cond, &REL.lock);
	pthread_mutex_unlock(&REL.lock);
	inspector_probes(in, t + 500000);
	cr_assert_eq(REL.calls, 1);
	cr_assert_eq(REL.n, 3);
	cr_assert(REL.ids[0] == 1 && REL.ids[1] == 2 && REL.ids[2] == 3);
	cr_assert_eq(REL.v, ENGINE_DROP, "a refused QUIC flight is dropped (no reset in UDP)");
	cr_assert_not(REL.had_pkt, "no packet handed over for resets");
	cr_assert(strstr((const char *)out.data, "certificate.probe_failed"), "%.*s",
		  (int)out.len, (const char *)out.data);

	inspector_free(in);
	prober_free(pr);
	policy_free(pol);
	buf_free(&out);
	close(lfd);
}

/*
 * A TCP TLS 1.3 flow whose server flight is held for a probe that does not
 * answer (a listener that never speaks TLS, the probe's own timeout far
 * off): at the hold's deadline on_probe_failure decides, the held packets
 * are released once with that verdict, and the flow leaves the held state
 * and the table as after a packet (refused: kept refused; allowed:
 * forgotten). Nothing is released again when the inspector goes.
 */
struct held_lab {
	int lfd;
	struct tb_conn c;
	struct policy *pol;
	struct prober *pr;
	struct inspector *in;
	struct buf out, p;
	uint32_t cseq, sseq;
	uint64_t t;
};

static void held_lab_up(struct held_lab *L, const char *on_failure, const struct engine_config *cfg)
{
	uint16_t port;

	memset(L, 0, sizeof(*L));
	L->lfd = silent_listener(&port);
	L->c = (struct tb_conn){ { 127, 0, 0, 1 }, { 127, 0, 0, 1 }, 50000, port };
	L->pol = probing_policy(on_failure);
	L->pr = test_prober(20000);
	L->in = inspector_new(cfg, L->pol, INSPECTOR_ALERTS, &L->out);
	cr_assert_not_null(L->in);
	inspector_set_prober(L->in, L->pr, 50, on_release, &REL);
	L->cseq = 1000;
	L->sseq = 900000;
	L->t = 1700000000ULL * 1000000;
}

static void held_lab_down(struct held_lab *L)
{
	inspector_free(L->in);
	prober_free(L->pr);
	policy_free(L->pol);
	buf_free(&L->out);
	buf_free(&L->p);
	close(L->lfd);
}

/* A segment at seq (the side's next one when seq is 0). */
static enum engine_verdict held_send(struct held_lab *L, int to_server, uint32_t at,
				     const void *data, size_t n)
{
	uint32_t *seq = to_server ? &L->cseq : &L->sseq;

	tb_packet(&L->p, &L->c, to_server, at ? at : *seq, to_server ? L->sseq : L->cseq,
		  TB_ACK | TB_PSH, data, n);
	cr_assert_not(L->p.oom);
	if (!at)
		*seq += (uint32_t)n;
	L->t += 1000;
	return inspector_ip_packet(L->in, (const uint8_t *)L->p.data, L->p.len, L->t, 0);
}

/* The client's hello, then the server's flight and a retransmission of its
 * end: both held. */
static void held_flight(struct held_lab *L)
{
	cr_assert_eq(held_send(L, 1, 0, T13_0, sizeof(T13_0)), ENGINE_ACCEPT);
	cr_assert_not(inspector_last_held(L->in));
	cr_assert_eq(held_send(L, 0, 0, T13_1, sizeof(T13_1)), ENGINE_ACCEPT);
	cr_assert(inspector_last_held(L->in), "the server's flight waits for the probe");
	cr_assert_eq(inspector_hold(L->in, 1, 0), 0);
	cr_assert_eq(held_send(L, 0, L->sseq - 70, T13_1 + sizeof(T13_1) - 70, 70),
		     ENGINE_ACCEPT);
	cr_assert(inspector_last_held(L->in));
	cr_assert_eq(inspector_hold(L->in, 2, 0), 0);
}

/* Judges at the deadlines the inspector returns until something is
 * released (bounded: the hold is 50 ms). */
static void until_released(struct held_lab *L)
{
	int i;

	for (i = 0; i < 500 && !REL.calls; i++) {
		inspector_probes(L->in, L->t);
		if (!REL.calls)
			usleep(10000);
	}
	cr_assert_eq(REL.calls, 1, "released at the hold's deadline");
}

/* The lab with forget_decided (as the monitor runs), its flight held and
 * released at the hold's deadline with on_failure's verdict. */
static void released_at_deadline(struct held_lab *L, const char *on_failure)
{
	struct engine_config cfg;

	engine_config_default(&cfg);
	cfg.forget_decided = true;
	held_lab_up(L, on_failure, &cfg);
	held_flight(L);
	until_released(L);
}

static struct engine_counters held_counters(struct held_lab *L)
{
	struct engine_counters n;

	engine_counters(inspector_engine(L->in), &n);
	return n;
}

Test(inspector_probe, a_held_flight_at_its_deadline_is_released_once_and_refused)
{
	struct inspector_probe_counters pn;
	struct held_lab L;

	released_at_deadline(&L, "drop");
	cr_assert_eq(REL.n, 2);
	cr_assert(REL.ids[0] == 1 && REL.ids[1] == 2);
	cr_assert_eq(REL.v, ENGINE_DROP);
	cr_assert(REL.had_pkt, "the first held packet, for the server's reset");
	cr_assert_not(REL.repeat);
	cr_assert(strstr((const char *)L.out.data, "certificate.probe_failed"), "%.*s",
		  (int)L.out.len, (const char *)L.out.data);
	cr_assert_eq(held_counters(&L).refused, 1, "the flow left the held state, refused");
	/* a retransmission of the flight: dropped as a repeat, never held */
	cr_assert_eq(held_send(&L, 0, L.sseq - 70, T13_1 + sizeof(T13_1) - 70, 70), ENGINE_DROP);
	cr_assert_not(inspector_last_held(L.in));
	cr_assert(engine_last_repeated(inspector_engine(L.in)));
	inspector_probe_counters(L.in, &pn);
	cr_assert_eq(pn.timeouts, 1);
	cr_assert(pn.held == 2 && pn.released == 2, "%llu held, %llu released",
		  (unsigned long long)pn.held, (unsigned long long)pn.released);
	held_lab_down(&L);
	cr_assert_eq(REL.calls, 1, "nothing released twice");
}

Test(inspector_probe, a_held_flight_allowed_at_its_deadline_leaves_the_table)
{
	struct held_lab L;

	released_at_deadline(&L, "alert");
	cr_assert_eq(REL.v, ENGINE_ACCEPT);
	cr_assert_eq(held_counters(&L).forgotten, 1, "forgotten at the deadline");
	cr_assert_eq(held_counters(&L).refused, 0);
	held_lab_down(&L);
	cr_assert_eq(REL.calls, 1, "nothing released twice");
}

/* A packet refuses the flow while its flight is held (the client's hello
 * is followed by segments over the reassembly limit, the exception policy
 * drop): that packet's verdict refuses it; the held packets are dropped as
 * its repeats (no second reset or count). */
Test(inspector_probe, a_held_flight_of_a_flow_refused_meanwhile_goes_as_repeats)
{
	struct engine_config cfg;
	struct held_lab L;
	uint32_t at;

	engine_config_default(&cfg);
	cfg.forget_decided = true;
	cfg.max_ooo_segments = 1;
	cfg.exception_verdict = ENGINE_DROP;
	held_lab_up(&L, "alert", &cfg);
	held_flight(&L);
	for (at = L.cseq + 20; at < L.cseq + 60; at += 10)
		held_send(&L, 1, at, T13_2, 5);
	cr_assert_eq(held_counters(&L).exceptions, 1);
	cr_assert_eq(held_counters(&L).refused, 1);
	cr_assert_eq(REL.calls, 1, "released when the flow was refused");
	cr_assert_eq(REL.v, ENGINE_DROP);
	cr_assert(REL.repeat, "repeats of the refusing packet's verdict");
	held_lab_down(&L);
	cr_assert_eq(REL.calls, 1, "nothing released twice");
}
