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
struct sessioncache;
struct serverplace;
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
/* The same, already decoded (engine_packet_decoded()). */
enum engine_verdict inspector_packet_decoded(struct inspector *in, const uint8_t *pkt, size_t len,
					     enum decode_result r, const struct decoded *d,
					     uint64_t ts_us);
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

/*
 * Probes (tls13_certificates: probe), inline only. With a prober, the
 * ClientHello of a probing flow asks it for the server's chain (a cached
 * answer at once, else a probe on the prober's threads: never waited for
 * here). When the server's TLS 1.3 flight comes and the answer has not,
 * its packets are held: after inspector_ip_packet(), inspector_last_held()
 * says so, and the caller keeps the packet (NFQUEUE_HOLD) and hands its id
 * to inspector_hold(). inspector_probes(), called after the prober's done
 * callback and at the deadline it returns, judges the flows whose answer
 * came (the chain, with the profile's certificate checks) or whose hold_ms
 * ran out (on_probe_failure), and gives their held packets a verdict
 * through `release`: v is the flow's (ENGINE_ACCEPT, ENGINE_DROP or
 * ENGINE_REJECT), decided whether its judging is over (accepted for the
 * flow), repeat whether a packet refused the flow while it was held (that
 * packet sent the resets and counted the refusal: the held ones are
 * dropped as its repeats), pkt/len the first held packet (for resets; NULL
 * for a QUIC flow, whose refusal is ENGINE_DROP: UDP has no reset). A QUIC
 * flow's held datagrams are the server's from its Initial with the
 * ServerHello on (Initial and Handshake packets: the certificate is in the
 * latter). A flow that goes while held releases its packets with
 * ENGINE_DROP, each id once. p is borrowed.
 */
#define INSPECTOR_MAX_HELD 32
#define INSPECTOR_LATENCY_BUCKETS 14
typedef void (*inspector_release_fn)(void *arg, const uint32_t *ids, const uint32_t *marks,
				     unsigned n, enum engine_verdict v, bool decided, bool repeat,
				     const uint8_t *pkt, size_t len);
struct prober;
void inspector_set_prober(struct inspector *in, struct prober *p, unsigned hold_ms,
			  inspector_release_fn release, void *arg);
bool inspector_last_held(const struct inspector *in);
/* 0, -ENOSPC when the flow holds INSPECTOR_MAX_HELD packets already (drop
 * this one: TCP sends it again), -EINVAL when the last packet was not held. */
int inspector_hold(struct inspector *in, uint32_t id, uint32_t mark);
/* ts_us: wall-clock time for the judging. Returns the monotonic µs of the
 * next held flight's deadline, 0 when none is held. */
uint64_t inspector_probes(struct inspector *in, uint64_t ts_us);

struct inspector_probe_counters {
	uint64_t asked;             /* probes this thread's flows started or joined */
	uint64_t cache_hits;        /* answers cached when first asked */
	uint64_t failed;            /* probed flows judged by on_probe_failure */
	uint64_t timeouts;          /* of which: the held flight's time ran out */
	uint64_t held, released;    /* packets */
	uint64_t hold_overflow;     /* packets over INSPECTOR_MAX_HELD (dropped) */
	/* waits from ClientHello to the probe's chain: bucket i < 2^i ms */
	uint64_t latency[INSPECTOR_LATENCY_BUCKETS];
};
void inspector_probe_counters(const struct inspector *in, struct inspector_probe_counters *out);

/*
 * Key log secrets awaited (secaudit-monitor --keylog, with an engine
 * configured with keylog_wait): a TLS 1.3 session whose secrets its key
 * log does not hold at the ServerHello, and whose profile has certificate
 * requirements to judge, has its server's flight held as for a probe
 * (inspector_last_held, inspector_hold) for at most wait_ms. Each call of
 * inspector_probes() (after the key log grew, and at the deadline it
 * returns) looks again: found, the flight is decrypted and judged, the
 * certificates with source `keylog`; at the deadline it is judged as
 * without keys (the probe then, for a `tls13_certificates: probe`
 * profile). Held packets are released through `release` as for probes.
 */
void inspector_set_keylog_wait(struct inspector *in, unsigned wait_ms,
			       inspector_release_fn release, void *arg);
struct inspector_keys_counters {
	uint64_t waits;             /* flights held for their secrets */
	uint64_t found;             /* of which: the secrets came in time */
	uint64_t missed;            /* of which: they did not */
};
void inspector_keys_counters(const struct inspector *in, struct inspector_keys_counters *out);

/*
 * For a caller that merges several inspectors' output in a deterministic
 * order (secaudit read --threads): fn is called before each event, alert
 * line or transcript is written to out, with the flow it tells of (NULL:
 * a packet's own anomaly). A transcript is then written as "# ..." without
 * its number, which the caller gives in its merged order.
 */
typedef void (*inspector_event_fn)(void *arg, const struct engine_session *es);
void inspector_on_event(struct inspector *in, inspector_event_fn fn, void *arg);
/* Judges with sc (borrowed; it must outlive the inspector; NULL: no
 * cache, for a policy that links no sessions) instead of the inspector's
 * own cache, so that inspectors handed the flows of one capture remember
 * connections across each other's flows. With places (borrowed; sc split
 * by sessioncache_set_regions), a flow's keys go to the region places gave
 * its server (serverplace_region of its flowroute_server); NULL: region 0.
 * An inspector made without a policy and given one after this call
 * (inspector_set_policy) makes no cache of its own: the table is
 * megabytes, zeroed when made. */
void inspector_share_cache(struct inspector *in, struct sessioncache *sc,
			   const struct serverplace *places);

struct engine *inspector_engine(struct inspector *in);
void inspector_counters(const struct inspector *in, struct inspector_counters *out);

#endif
