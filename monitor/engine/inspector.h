/*
 * inspector: the engine with a policy behind it and an alert log in front.
 * `secaudit read` and `secaudit-monitor` both drive one of these, so the
 * offline verdicts ("would drop") are exactly the inline ones.
 *
 * Output goes to a caller-owned struct buf: EVE JSON lines (tls, alert,
 * anomaly events) or, for a person, transcripts and alert lines. The caller
 * flushes the buffer where it likes (file, terminal). Alerts are written
 * when a session is blocked (at once, so the log tells it before the flow
 * times out) or, for `alert` actions, when the session ends.
 */
#ifndef SECAUDIT_INSPECTOR_H
#define SECAUDIT_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "engine/engine.h"

struct policy;
struct policy_flow;
struct policy_state;
struct inspector;

enum inspector_format {
	INSPECTOR_EVE,        /* EVE JSON lines: tls, alert, anomaly */
	INSPECTOR_ALERTS,     /* EVE JSON lines: alert and anomaly only (daemon log) */
	INSPECTOR_TEXT,       /* transcripts and alert lines for a person */
};

struct inspector_counters {
	uint64_t alerts, blocked, sessions, anomalies;
};

/* policy may be NULL (no judging); it is borrowed, not owned. NULL on
 * allocation failure. */
struct inspector *inspector_new(const struct engine_config *cfg, const struct policy *policy,
				enum inspector_format format, struct buf *out);
/* Flushes (logging every open session) and frees. NULL is fine. */
void inspector_free(struct inspector *in);

/* New sessions are judged by p from now on; sessions already judged keep
 * their verdict. The caller frees the old policy once no inspector uses it. */
void inspector_set_policy(struct inspector *in, const struct policy *p);

/* The tls fields events carry beyond Suricata's default ones:
 * EVE_CUSTOM_* bits (engine/eve.h). None by default. */
void inspector_set_eve_custom(struct inspector *in, unsigned custom);

/* Keeps each judged flow's handshake packets (link type dlt) and writes
 * those of a blocked session to a pcap in dir, named in its alert
 * (secaudit.evidence). budget caps the bytes kept over all flows. dir is
 * borrowed. */
void inspector_set_evidence(struct inspector *in, const char *dir, int dlt, size_t budget);

enum engine_verdict inspector_packet(struct inspector *in, int dlt, const uint8_t *pkt,
				     size_t len, uint64_t ts_us);
/* flags: ENGINE_PKT_* (engine_ip_packet()). */
enum engine_verdict inspector_ip_packet(struct inspector *in, const uint8_t *pkt, size_t len,
					uint64_t ts_us, unsigned flags);
/* End of input: judges and logs every open session. */
void inspector_flush(struct inspector *in);

/*
 * Called once per judged flow with its verdict as the log tells it: when
 * its alert is written (a blocked session's at once, so later facts of an
 * offline capture do not change it), else when its session is logged.
 * es, pf and st are valid only during the call; p is the policy that
 * judged the flow. `secaudit rules test` compares these verdicts with
 * those a test file expects.
 */
typedef void (*inspector_judged_fn)(void *arg, const struct engine_session *es,
				    const struct policy_flow *pf, const struct policy *p,
				    const struct policy_state *st);
void inspector_on_judged(struct inspector *in, inspector_judged_fn fn, void *arg);

struct engine *inspector_engine(struct inspector *in);
void inspector_counters(const struct inspector *in, struct inspector_counters *out);

#endif
