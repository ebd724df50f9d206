/*
 * policy: judges TLS sessions against compiled YAML rules (docs/rules.md).
 *
 * A policy is loaded and compiled once (rules.c) and is immutable afterwards:
 * any number of threads may evaluate against it at once. A reload builds a
 * new policy and swaps the pointer; the old one is freed when no thread uses
 * it any more (the caller's job).
 *
 * Evaluation is incremental. The caller calls policy_evaluate() after each
 * tls_feed() that reported milestones; every requirement is judged once, at
 * the earliest milestone where the facts it needs are known (ClientHello:
 * zone, versions and suites offered, SNI, JA3/JA4, anomalies; ServerHello:
 * version, suite, group, ALPN, resumption; Certificate and the server's
 * flight: certificate, OCSP staple, DH size; client Certificate; handshake
 * end). A session's verdict carries every failed requirement, not only the
 * first. Evaluation allocates nothing (except, once per ClientHello, a JA3
 * string when the policy lists JA3 hashes and the caller did not give it).
 */
#ifndef SECAUDIT_POLICY_H
#define SECAUDIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/pretls.h"
#include "json.h"
#include "quic/gquic.h"
#include "tls/tls.h"

struct policy;
struct sessioncache;

enum policy_action {
	POLICY_ACTION_NONE = 0,
	POLICY_ACTION_ALERT,        /* log, let the session go on */
	POLICY_ACTION_DROP,         /* drop the flow's packets */
	POLICY_ACTION_REJECT,       /* drop, and reset both ends (inline) */
};
/* "none", "alert", "drop", "reject". */
const char *policy_action_name(enum policy_action a);

struct policy_error {
	char file[256];
	unsigned line, column;      /* 1-based; 0 when not about a place */
	char message[256];
};
/* Writes "file:line:column: message" (or "file: message"). */
void policy_error_format(const struct policy_error *e, char *out, size_t n);

/*
 * Loads, validates and compiles a rules file, with every file it names (CA
 * files and directories, CRLs, list files; relative paths are relative to
 * the rules file). NULL on any error, with err filled: the caller keeps the
 * policy it had. The result is freed with policy_free().
 */
struct policy *policy_load(const char *path, struct policy_error *err);
void policy_free(struct policy *p);

/* Profile and zone counts, for `rules check` to report. */
unsigned policy_zone_count(const struct policy *p);
unsigned policy_profile_count(const struct policy *p);

/* What the policy needs to know of a flow besides its TLS session. */
struct policy_flow {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t client_addr[16];    /* network order; IPv4 in the first 4 bytes */
	uint8_t server_addr[16];
	uint16_t client_port, server_port;
	const char *ja3;            /* MD5 hex of the ClientHello's JA3, or NULL */
	const char *ja4;            /* JA4, or NULL: computed when a rule needs it */
	/* enum anomaly bits seen on this flow by the decoder and the stream
	 * (engine sink's anomaly callback); TLS anomalies are read from the
	 * session, so call policy_evaluate() before tls_take_anomalies(). */
	uint64_t anomalies;
	/* Verdicts of full handshakes for resumptions to inherit; NULL: every
	 * resumption counts as one of an unseen session. It also remembers
	 * which servers offered STARTTLS (`starttls: required`). */
	struct sessioncache *cache;
	/* The region of the cache this flow's keys go to (0 but in secaudit
	 * read: sessioncache_set_regions, sessioncache.h). */
	unsigned cache_region;
	/* The clear-text exchange before TLS (STARTTLS), or NULL. */
	const struct pretls *pre;
	/* A Google QUIC connection's CHLO facts (QUIC Crypto: no TLS hello),
	 * or NULL: its server name meets the zones and lists as a
	 * ClientHello's does, the profile's `quic` setting applies, and a
	 * profile that lists TLS versions refuses it (not TLS). */
	const struct gquic_facts *gquic;
};

#define POLICY_MAX_FAILURES 16
#define POLICY_OBSERVED_LEN 72

struct policy_failure {
	uint16_t rule;              /* index of the rule (id, sid, message) */
	uint8_t action;             /* enum policy_action */
	uint8_t severity;
	char observed[POLICY_OBSERVED_LEN];
};

/* Where a `tls13_certificates: probe` flow's probe stands. */
enum policy_probe {
	POLICY_PROBE_NONE = 0,      /* not asked for (offline, other profiles) */
	POLICY_PROBE_WAITING,       /* asked for: certificate checks wait for it */
	POLICY_PROBE_DONE,          /* answered (the chain adopted, or failed) */
};

/* Per-flow evaluation state: caller-owned, zeroed (or made ready by
 * policy_state_init) before the first call, nothing to free. */
struct policy_state {
	uint16_t zone;              /* 1 + zone index; 0 until chosen */
	uint64_t judged;            /* bit per enum policy_check already judged */
	uint64_t anomalies;         /* anomaly bits seen so far */
	uint8_t n_failures;
	bool truncated;             /* more than POLICY_MAX_FAILURES failed */
	uint8_t strongest;          /* index in failures[] of the strongest */
	enum policy_action action;  /* strongest action so far */
	bool final;                 /* nothing left to judge, or dropped */
	bool remembered;            /* verdict stored in the session cache */
	uint8_t crl_rev;            /* CRL status of the server leaf, for OCSP to complete */
	uint8_t probe;              /* enum policy_probe */
	bool probe_due;             /* WAITING, and a TLS 1.3 ServerHello came: the
				     * server's flight needs the chain to be judged */
	struct policy_failure failures[POLICY_MAX_FAILURES];
};

/* Makes st ready for a flow as zeroing it would, but writes only its
 * counts: failures[] (1.2 KB) is read only as far as it was written. */
void policy_state_init(struct policy_state *st);

/*
 * Another ClientHello replaced the one judged on this flow (QUIC: two
 * authenticated client Initials that disagree, quic/): the next
 * policy_evaluate() judges the new one from the start, zone included,
 * while the failures of the first stay (the strongest action wins). A flow
 * already dropped stays final.
 */
void policy_state_rehello(struct policy_state *st);

/*
 * Judges what became known. new_milestones: the TLS_EV_* bits tls_feed()
 * just returned (the session's own `events` are used as well, so a missed
 * call loses nothing). now: wall-clock time of the packet (capture time
 * offline), against which certificate validity and CRL freshness are
 * judged. Returns the strongest action so far (st->action). Once st->final
 * is set, further calls change nothing.
 */
enum policy_action policy_evaluate(const struct policy *p, const struct policy_flow *flow,
				   const struct tls_session *s, unsigned new_milestones,
				   struct policy_state *st, time_t now);

/*
 * The flow ended (FIN/RST, timeout, end of capture) before the handshake
 * was over: judges what can still be judged with what was seen, and makes
 * the decision final. Same return as policy_evaluate().
 */
enum policy_action policy_finish(const struct policy *p, const struct policy_flow *flow,
				 const struct tls_session *s, struct policy_state *st, time_t now);

/*
 * tls13_certificates: probe. After the ClientHello has been evaluated:
 * true when the flow's profile probes, its zone allows it and the client
 * offers TLS 1.3. The state then waits for the probe: a TLS 1.3 session's
 * certificate requirements are not judged, and nothing ends the judging,
 * until the caller either adopts the probed chain into the session
 * (tls_session_adopt_chain, TLS_CERTS_PROBE; st->probe = POLICY_PROBE_DONE)
 * and evaluates with its milestones, or calls policy_probe_failed(). A
 * flow that ends meanwhile is judged without the chain (no failure: its
 * client never saw the server's flight). A TLS 1.3 session of a probing
 * profile that was not probed (offline without a key log, or a zone with
 * `probe: false`) fails certificate.probe_failed as a failed probe does.
 */
bool policy_wants_probe(const struct policy *p, const struct policy_flow *flow,
			const struct tls_session *s, struct policy_state *st);
/* Whether a verdict of p can depend on other connections: a check that
 * links a resumption to its full handshake, notices a repeated hello
 * random or remembers a server's STARTTLS offer (the session cache). A
 * policy without such a check may judge flows with no cache at all. */
bool policy_links_sessions(const struct policy *p);

/* Whether a certificate requirement of the flow's profile (the server's
 * or the client's) is still to be judged: a TLS 1.3 session's flight is
 * worth waiting for its key log secrets (secaudit-monitor --keylog). */
bool policy_wants_certificates(const struct policy *p, const struct policy_state *st);
/* The probe failed (reason: for the alert's observed value, e.g. "timeout:
 * no answer in 3000 ms"): the profile's on_probe_failure judges it, then
 * what is left is judged. Same return as policy_evaluate(). */
enum policy_action policy_probe_failed(const struct policy *p, const struct policy_flow *flow,
				       const struct tls_session *s, struct policy_state *st,
				       const char *reason, time_t now);

/* A profile's answer to evasion (`evasion:`, docs/rules.md). */
enum policy_evasion {
	POLICY_EVASION_NORMALIZE = 0, /* default: drop what the receiver discards, rewrite
				       * conflicting copies to the judged bytes */
	POLICY_EVASION_DROP,          /* drop the flow, with a blocked alert */
	POLICY_EVASION_ALERT,         /* anomaly events only */
};

/*
 * An evasion on a flow (a, an anomaly naming the technique): the mode of
 * the flow's profile -- before its zone is chosen (no ClientHello yet),
 * the strictest among the zones its addresses and ports may fall in. In
 * drop mode the zone is chosen, the failure recorded in st (rule
 * `<profile>.evasion`, for a blocked alert) and the decision made final.
 * a = ANOM_COUNT only asks the mode.
 */
enum policy_evasion policy_evasion(const struct policy *p, const struct policy_flow *flow,
				   const struct tls_session *s, struct policy_state *st,
				   enum anomaly a);

/* Alert header fields of the strongest failure (EVE alert{}). */
struct policy_alert {
	uint32_t signature_id;
	const char *signature;      /* the rule's message; valid while p is */
	/* The rule's keys of the EVE alert object, from "gid" to "category"
	 * (JSON text made at load) */
	const char *alert_json;
	size_t alert_json_len;
	const char *category;
	uint8_t severity;           /* 1 (high) .. 4 */
	const char *action;         /* "blocked" (drop/reject) or "allowed" */
	const char *rule_id;
};
/* False when nothing failed. */
bool policy_alert_header(const struct policy *p, const struct policy_state *st,
			 struct policy_alert *out);

/* The id of the rule a failure broke (docs/rules.md: "<profile>.<check>"
 * unless the file names it); valid while p is. */
const char *policy_failure_rule(const struct policy *p, const struct policy_failure *f);

/*
 * Writes the `secaudit` block of an EVE alert as one JSON object value (the
 * caller writes the key): zone, profile, verdict, and every failed
 * requirement with rule id, sid, message, severity, action, observed and
 * required values.
 */
void policy_state_to_json(const struct policy *p, const struct policy_state *st,
			  struct json *j);

#endif
