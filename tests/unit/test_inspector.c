/*
 * inspector inline (forget_decided, as secaudit-monitor runs it), with a
 * real policy and the EVE writer: a session refused in the middle of the
 * server's flight is written at the refusal, once. The packet that decides
 * writes its tls event and its alert; the packets queued behind it (the
 * rest of the flight, the client's next one, a retransmission) are dropped
 * unparsed and write nothing; the flow's end writes nothing again.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "engine/inspector.h"
#include "policy/policy.h"
#include "policy/rules.h"
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
