/*
 * inspector: engine + policy + output. See inspector.h.
 */
#include "engine/inspector.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine/eve.h"
#include "engine/eve_certs.h"
#include "engine/evidence.h"
#include "json.h"
#include "policy/policy.h"
#include "policy/sessioncache.h"
#include "probe/prober.h"
#include "textcache.h"
#include "engine/transcript.h"
#include "net/flowroute.h"
#include "net/serverplace.h"

#define SESSION_CACHE_SLOTS 65536
#define EVE_CERT_SLOTS 4096
#define EVE_LIST_SLOTS 256    /* distinct hellos' and message sequences' lists kept */
#define SPARE_JUDGED 64       /* judged flows' memory kept for the next */

struct inspector {
	struct engine *engine;
	const struct policy *policy;
	struct sessioncache *cache;
	struct sessioncache *own_cache;  /* freed with the inspector */
	/* Judged flows' memory, kept for the next flows (1.6 KB each: glibc's
	 * per-thread cache stops at 1 KB, and its bins cost a tenth of a
	 * --rules run's judging): at most SPARE_JUDGED, linked by next. */
	struct judged *spare;
	unsigned n_spare;
	bool cache_shared;               /* inspector_share_cache gave it (or none) */
	/* the cache split by server: each one's region (inspector_share_cache) */
	const struct serverplace *places;
	enum inspector_format format;
	struct buf *out;
	struct eve_writer eve;      /* owns eve.certs and eve.lists */
	/* A session's tls event as on_session_end wrote it, for the alert
	 * that follows at once (es NULL at any other time). */
	struct eve_parts shared;
	struct inspector_counters n;
	/* evidence pcaps (evidence_dir NULL: none) */
	const char *evidence_dir;
	int evidence_dlt;
	struct evidence_budget evidence_budget;
	const uint8_t *pkt;         /* the packet being handled */
	size_t pkt_len;
	inspector_judged_fn judged;  /* NULL: nobody asked */
	void *judged_arg;
	/* probes (tls13_certificates: probe); prober NULL: none (offline) */
	struct prober *prober;
	uint64_t hold_us;            /* how long a server flight waits for its probe */
	inspector_release_fn release;
	void *release_arg;
	struct judged *waiting;      /* flows with a probe running or a flight held */
	struct engine_session *cur;  /* the flow of the packet being handled */
	bool last_held;
	struct inspector_probe_counters pn;
	/* TLS 1.3 flights waiting for their key log secrets (0: no wait) */
	uint64_t keywait_us;
	struct inspector_keys_counters kn;
	inspector_event_fn on_event; /* NULL: nobody asked */
	void *on_event_arg;
};

static void event_begins(struct inspector *in, const struct engine_session *es)
{
	if (in->on_event)
		in->on_event(in->on_event_arg, es);
}

/* Per flow: the policy judging it and where the judging stands. The held
 * packets' ids and the policy state come last: judged_of zeroes only what
 * is read before it is written (struct policy_state: its failures are
 * counted). */
struct judged {
	const struct policy *policy;
	uint32_t hellos_replaced;   /* of the QUIC session, when last judged */
	bool alerted;
	bool reported;              /* handed to in->judged */
	struct evidence ev;         /* the handshake's packets, while judged */
	/* tls13_certificates: probe */
	struct engine_session *es;
	struct probe_offer *offer;  /* while its probe runs (owned) */
	struct prober_entry *answer; /* the probe's answer, until judged */
	bool cached;                /* the answer was in the cache when first asked */
	bool listed;                /* on in->waiting */
	uint64_t asked_us;          /* monotonic, when the probe was asked for */
	uint64_t hold_until;        /* monotonic deadline of the held flight; 0: none held */
	bool keys_wait;             /* the flight waits for its key log secrets (until hold_until) */
	uint8_t *held_pkt;          /* the first held packet, for resets */
	size_t held_len;
	struct judged *next, *prev;
	unsigned cache_region;      /* of its server (inspector_share_cache) */
	unsigned n_held;
	uint32_t held_id[INSPECTOR_MAX_HELD], held_mark[INSPECTOR_MAX_HELD];
	struct policy_state st;
};

static struct judged *judged_of(struct inspector *in, struct engine_session *es)
{
	struct judged *jd = es->user;

	if (jd || !in->policy)
		return jd;
	/* 1.6 KB, most of it written only when used (calloc was 1% of the
	 * samples of a --rules run) */
	if (in->spare) {
		jd = in->spare;
		in->spare = jd->next;
		in->n_spare--;
	} else if (!(jd = malloc(sizeof(*jd)))) {
		return NULL;
	}
	memset(jd, 0, offsetof(struct judged, held_id));
	policy_state_init(&jd->st);
	jd->policy = in->policy;
	jd->es = es;
	if (in->cache && in->places) {
		const struct flow *f = es->flow;

		jd->cache_region = serverplace_region(in->places,
						      flowroute_server(f->key.addr[0], f->key.port[0],
								       f->key.addr[1], f->key.port[1],
								       f->key.proto));
	}
	es->user = jd;
	return jd;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void policy_flow_of(const struct inspector *in, const struct judged *jd,
			   struct policy_flow *pf)
{
	const struct engine_session *es = jd->es;
	const struct flow *f = es->flow;

	memset(pf, 0, sizeof(*pf));
	pf->family = f->key.family == 6 ? AF_INET6 : AF_INET;
	memcpy(pf->client_addr, f->key.addr[f->client], 16);
	memcpy(pf->server_addr, f->key.addr[!f->client], 16);
	pf->client_port = f->key.port[f->client];
	pf->server_port = f->key.port[!f->client];
	pf->anomalies = es->anomalies;
	pf->cache = in->cache;
	pf->cache_region = jd->cache_region;
	pf->pre = &es->pre;
	if (es->quic && es->quic->gquic.n_hellos)
		pf->gquic = &es->quic->gquic;
}

static enum engine_verdict verdict_of(enum policy_action a)
{
	switch (a) {
	case POLICY_ACTION_DROP: return ENGINE_DROP;
	case POLICY_ACTION_REJECT: return ENGINE_REJECT;
	default: return ENGINE_ACCEPT;
	}
}

static void alert_text(struct inspector *in, const struct judged *jd,
		       const struct policy_alert *h)
{
	struct json j;

	buf_printf(in->out, "ALERT %s [%s sid:%u severity %u] %s\n", h->action, h->rule_id,
		   h->signature_id, h->severity, h->signature);
	buf_puts(in->out, "  ");
	json_init(&j, in->out);
	policy_state_to_json(jd->policy, &jd->st, &j);
	buf_puts(in->out, "\n\n");
}

/* Writes a blocked session's packets and names the file in its alert. */
static void evidence_field(struct inspector *in, const struct engine_session *es,
			   struct judged *jd, struct json *j)
{
	char path[4096];

	if (!jd->ev.packets)
		return;
	if (evidence_write(&jd->ev, in->evidence_dir, in->evidence_dlt, es->flow->id, path,
			   sizeof(path)) == 0) {
		json_kv_str(j, "evidence", path);
		if (jd->ev.missed)
			json_kv_uint(j, "evidence_packets_not_kept", jd->ev.missed);
	} else {
		json_kv_str(j, "evidence_error", strerror(errno));
	}
	evidence_free(&jd->ev, &in->evidence_budget);
}

static void report(struct inspector *in, const struct engine_session *es, struct judged *jd)
{
	struct policy_flow pf;

	if (!in->judged || jd->reported)
		return;
	jd->reported = true;
	policy_flow_of(in, jd, &pf);
	in->judged(in->judged_arg, es, &pf, jd->policy, &jd->st);
}

struct alert_fields {
	struct inspector *in;
	const struct engine_session *es;
	struct judged *jd;
	const struct policy_alert *h;
};

/* An alert's own keys in the flow event (eve_flow_event). */
static void alert_fields(struct json *j, enum eve_at at, void *arg)
{
	struct alert_fields *a = arg;

	switch (at) {
	case EVE_AT_TOP:
		json_key(j, "alert");
		json_object_begin(j);
		/* the action is the program's name: no escaping; the rule's
		 * keys were made JSON at load */
		json_kv_plain(j, "action", a->h->action);
		json_raw(j, a->h->alert_json, a->h->alert_json_len);
		json_kv_uint(j, "severity", a->h->severity);
		json_object_end(j);
		break;
	case EVE_AT_SECAUDIT:
		json_key(j, "policy");
		policy_state_to_json(a->jd->policy, &a->jd->st, j);
		break;
	case EVE_AT_END:
		if (a->in->evidence_dir && a->jd->st.action >= POLICY_ACTION_DROP)
			evidence_field(a->in, a->es, a->jd, j);
		break;
	}
}

static void emit_alert(struct inspector *in, const struct engine_session *es, struct judged *jd,
		       uint64_t ts_us)
{
	struct policy_alert h;
	struct alert_fields a = { in, es, jd, &h };
	/* With the sessions' events in the same log, the alert leaves their
	 * detail to them (eve.h); in a log of alerts alone it is the only
	 * record of its session and holds it all. */
	struct eve_writer w = { in->eve.custom, in->eve.certs, in->format == INSPECTOR_EVE,
				in->eve.lists };

	if (jd->alerted || !policy_alert_header(jd->policy, &jd->st, &h))
		return;
	jd->alerted = true;
	report(in, es, jd);         /* the verdict as this alert tells it */
	in->n.alerts++;
	if (jd->st.action >= POLICY_ACTION_DROP)
		in->n.blocked++;
	event_begins(in, es);
	if (in->format == INSPECTOR_TEXT) {
		alert_text(in, jd, &h);
		return;
	}
	if (!eve_flow_event_again(in->out, &w, &in->shared, "alert", es, ts_us, alert_fields, &a))
		eve_flow_event(in->out, &w, "alert", es, ts_us, alert_fields, &a, NULL);
}

/* ---- probes (tls13_certificates: probe) ---------------------------------- */

/* Latency buckets: bucket i holds waits below 2^i ms (the last: the rest). */
static unsigned latency_bucket(uint64_t us)
{
	unsigned i = 0;

	while (i + 1 < INSPECTOR_LATENCY_BUCKETS && us >= (1000ull << i))
		i++;
	return i;
}

static void wait_list_add(struct inspector *in, struct judged *jd)
{
	if (jd->listed)
		return;
	jd->listed = true;
	jd->prev = NULL;
	jd->next = in->waiting;
	if (in->waiting)
		in->waiting->prev = jd;
	in->waiting = jd;
}

static void wait_list_remove(struct inspector *in, struct judged *jd)
{
	if (!jd->listed)
		return;
	jd->listed = false;
	if (jd->prev)
		jd->prev->next = jd->next;
	else
		in->waiting = jd->next;
	if (jd->next)
		jd->next->prev = jd->prev;
	jd->next = jd->prev = NULL;
}

/* The ClientHello of a probing flow: the probe starts now, beside the
 * queue thread (the prober's pool); a cached answer is taken at once. */
static void probe_ask(struct inspector *in, struct engine_session *es, struct judged *jd,
		      const struct policy_flow *pf)
{
	struct prober_entry *e;

	jd->offer = malloc(sizeof(*jd->offer));
	if (!jd->offer)
		return;             /* judged as a failed probe at the ServerHello */
	probe_offer_from_hello(jd->offer, pf->family, pf->server_addr, pf->server_port,
			       &es->tls.client_hello[0], es->quic != NULL);
	jd->asked_us = mono_us();
	if (prober_get(in->prober, jd->offer, jd->asked_us, &e) == PROBER_READY) {
		jd->answer = e;
		jd->cached = e && e->result.status != PROBE_RATE_LIMITED &&
			     e->result.status != PROBE_ERROR;
		in->pn.cache_hits += jd->cached;
		free(jd->offer);
		jd->offer = NULL;
		return;
	}
	in->pn.asked++;
	wait_list_add(in, jd);
}

/* Gives the held packets their verdict (drop and reject for the flow as
 * the profile's action says; accept for the flow once it is decided). A
 * flow a packet refused while its flight was held (its verdict is no
 * longer accept: judged flows reach the engine's verdict after this) had
 * its resets sent and its refusal counted by that packet: its held ones
 * are repeats. */
static void hold_release(struct inspector *in, struct judged *jd, enum engine_verdict v)
{
	/* UDP has no reset: a refused QUIC flight is dropped, and no packet
	 * is handed over to reset its sender */
	bool quic = jd->es->quic != NULL;

	if (quic && v == ENGINE_REJECT)
		v = ENGINE_DROP;
	if (jd->n_held && in->release)
		in->release(in->release_arg, jd->held_id, jd->held_mark, jd->n_held, v,
			    jd->es->final, jd->es->verdict != ENGINE_ACCEPT,
			    quic ? NULL : jd->held_pkt, quic ? 0 : jd->held_len);
	in->pn.released += jd->n_held;
	jd->n_held = 0;
	jd->hold_until = 0;
	free(jd->held_pkt);
	jd->held_pkt = NULL;
	jd->held_len = 0;
}

/* The probe answered (or could not be asked, or the held flight's time ran
 * out: answer NULL): the chain is judged with the profile's certificate
 * checks, or the failure with on_probe_failure. */
static enum policy_action probe_judge(struct inspector *in, struct engine_session *es,
				      struct judged *jd, uint64_t ts_us, const char *no_answer)
{
	const struct probe_result *r = jd->answer ? &jd->answer->result : NULL;
	struct policy_flow pf;
	enum policy_action a;
	char why[200];
	unsigned ev;

	policy_flow_of(in, jd, &pf);
	if (r && r->status == PROBE_OK) {
		ev = tls_session_adopt_chain(&es->tls, (const uint8_t *const *)r->der, r->der_len,
					     r->n_certs, r->ocsp, r->ocsp_len, r->cert_request,
					     TLS_CERTS_PROBE);
		es->tls.cert_cached = jd->cached;
		jd->st.probe = POLICY_PROBE_DONE;
		jd->st.probe_due = false;
		a = policy_evaluate(jd->policy, &pf, &es->tls, ev | TLS_EV_SERVER_DONE, &jd->st,
				    (time_t)(ts_us / 1000000));
	} else {
		if (r)
			snprintf(why, sizeof(why), "%s%s%s", probe_status_name(r->status),
				 r->reason[0] ? ": " : "", r->reason);
		else
			snprintf(why, sizeof(why), "%s", no_answer);
		in->pn.failed++;
		a = policy_probe_failed(jd->policy, &pf, &es->tls, &jd->st, why,
					(time_t)(ts_us / 1000000));
	}
	if (jd->answer) {
		prober_put(in->prober, jd->answer);
		jd->answer = NULL;
	}
	free(jd->offer);
	jd->offer = NULL;
	wait_list_remove(in, jd);
	return a;
}

static enum engine_verdict milestone_tail(struct inspector *in, struct engine_session *es,
					  struct judged *jd, unsigned ev, enum policy_action a,
					  uint64_t ts_us);

/* ---- key log secrets awaited (secaudit-monitor --keylog) ----------------- */

/* A TLS 1.3 ServerHello whose secrets the key log does not hold yet: if
 * the profile has certificates to judge, the server's flight is held for
 * keywait_us while the server's line may still come; else it is followed
 * at once as without keys. So it is when the probe's answer is there
 * already (cached): a cached judgement adds no latency. */
static enum policy_action keys_wait_start(struct inspector *in, struct engine_session *es,
					  struct judged *jd, uint64_t ts_us)
{
	struct policy_flow pf;
	unsigned ev;

	if (in->keywait_us && in->release && !jd->st.final && !jd->answer &&
	    policy_wants_certificates(jd->policy, &jd->st)) {
		jd->keys_wait = true;
		jd->hold_until = mono_us() + in->keywait_us;
		in->kn.waits++;
		wait_list_add(in, jd);
		return jd->st.action;
	}
	ev = tls_session_keys_retry(&es->tls, true);
	policy_flow_of(in, jd, &pf);
	return policy_evaluate(jd->policy, &pf, &es->tls, ev, &jd->st, (time_t)(ts_us / 1000000));
}

/* A flight waiting for its secrets: looks for them again, and gives up at
 * its deadline (now >= it). Found, the flight is decrypted and judged (the
 * engine calls on_milestone); given up, it is judged as without keys, which
 * may start the wait for a probe (tls13_certificates: probe). Then the held
 * packets get the flow's verdict, unless they wait for that probe, and the
 * engine is told (engine_decide): true when the flow was decided, es and
 * jd are then gone. */
static bool keys_check(struct inspector *in, struct judged *jd, uint64_t now, uint64_t ts_us)
{
	struct engine_session *es = jd->es;
	enum engine_verdict before = es->verdict, v;
	uint64_t until = jd->hold_until;
	bool last = now >= until;

	jd->keys_wait = false;
	jd->hold_until = 0;
	v = engine_keys_retry(in->engine, es, last, ts_us);
	if (es->inspecting && es->tls.keys == TLS_KEYS_WAITING) {
		jd->keys_wait = true;
		jd->hold_until = until;
		return false;
	}
	if (es->tls.keys == TLS_KEYS_DECRYPTING || es->tls.keys == TLS_KEYS_FAILED)
		in->kn.found++;
	else
		in->kn.missed++;
	if (jd->hold_until)
		return false;       /* held on, for the probe now */
	if (!jd->offer)
		wait_list_remove(in, jd);
	/* The held packets are released as resolve() releases a probe's:
	 * before the flow takes this verdict (engine_decide), so that a
	 * refusal made now resets, and only one made by a packet meanwhile
	 * counts them as its repeats. */
	es->verdict = before;
	hold_release(in, jd, v);
	return engine_decide(in->engine, es, v, ts_us);
}

static enum engine_verdict on_milestone(void *arg, struct engine_session *es, unsigned ev,
					uint64_t ts_us)
{
	struct inspector *in = arg;
	struct judged *jd = judged_of(in, es);
	struct policy_flow pf;
	enum policy_action a;

	if (!jd) {
		/* nothing judges it: no reason to wait for its secrets */
		tls_session_keys_retry(&es->tls, true);
		return ENGINE_ACCEPT;
	}
	if (es->quic && es->quic->hellos_replaced != jd->hellos_replaced) {
		jd->hellos_replaced = es->quic->hellos_replaced;
		policy_state_rehello(&jd->st);
	}
	if (jd->st.final)
		return verdict_of(jd->st.action);
	policy_flow_of(in, jd, &pf);
	a = policy_evaluate(jd->policy, &pf, &es->tls, ev, &jd->st, (time_t)(ts_us / 1000000));
	if (in->prober && (ev & TLS_EV_CLIENT_HELLO) &&
	    policy_wants_probe(jd->policy, &pf, &es->tls, &jd->st))
		probe_ask(in, es, jd, &pf);
	if (es->tls.keys == TLS_KEYS_WAITING && !jd->keys_wait)
		a = keys_wait_start(in, es, jd, ts_us);
	if (jd->st.probe_due && !jd->st.final) {
		if (jd->answer || (!jd->offer && !jd->hold_until))
			/* answered already (a cached verdict adds no latency),
			 * or the probe could not even be asked for */
			a = probe_judge(in, es, jd, ts_us, "error: the probe could not be asked for");
		else if (!jd->hold_until)
			jd->hold_until = mono_us() + in->hold_us;
	}
	return milestone_tail(in, es, jd, ev, a, ts_us);
}

static enum engine_verdict milestone_tail(struct inspector *in, struct engine_session *es,
					  struct judged *jd, unsigned ev, enum policy_action a,
					  uint64_t ts_us)
{
	/* A clear-text exchange that broke the policy (STARTTLS stripped,
	 * credentials in clear) is told at once, whatever the action: no TLS
	 * session may follow to carry the alert, and inline the flow's end
	 * (a FIN, not queued) is not seen. */
	if (a >= POLICY_ACTION_DROP ||
	    ((ev & PRETLS_EV_FACTS) && jd->st.n_failures && !es->has_tls))
		emit_alert(in, es, jd, ts_us);
	if (jd->st.final) {
		es->final = true;
		evidence_free(&jd->ev, &in->evidence_budget);
	}
	return verdict_of(a);
}

/* Judges what is left of a flow that ends before its handshake did. */
static void finish(struct inspector *in, struct engine_session *es, struct judged *jd,
		   uint64_t ts_us)
{
	struct policy_flow pf;

	if (jd->st.final)
		return;
	policy_flow_of(in, jd, &pf);
	policy_finish(jd->policy, &pf, &es->tls, &jd->st, (time_t)(ts_us / 1000000));
}

static void on_session_end(void *arg, struct engine_session *es, uint64_t ts_us)
{
	struct inspector *in = arg;
	struct judged *jd = es->user;

	in->n.sessions++;
	if (jd)
		finish(in, es, jd, ts_us);
	if (in->format != INSPECTOR_ALERTS)
		event_begins(in, es);
	if (in->format == INSPECTOR_EVE)
		eve_flow_event(in->out, &in->eve, es->quic ? "quic" : "tls", es, ts_us, NULL,
			       NULL, jd && !jd->alerted ? &in->shared : NULL);
	else if (in->format == INSPECTOR_TEXT)
		transcript_session(in->out, in->on_event ? 0 : in->n.sessions, es);
	if (jd) {
		emit_alert(in, es, jd, ts_us);
		in->shared.es = NULL;
		report(in, es, jd);
	}
}

static void on_anomaly(void *arg, const struct engine_session *es, const struct decoded *d,
		       enum anomaly a, uint64_t ts_us)
{
	struct inspector *in = arg;

	in->n.anomalies++;
	event_begins(in, es);
	if (in->format == INSPECTOR_TEXT)
		buf_printf(in->out, "anomaly: %s (%s)\n", anomaly_event(a), anomaly_type(a));
	else
		eve_anomaly_event(in->out, es, d, a, ts_us);
}

/* The flow's profile says how evasion is answered; drop mode judges the
 * flow at once (a blocked alert naming the technique). */
static enum engine_evasion on_evasion(void *arg, struct engine_session *es, enum anomaly a,
				      uint64_t ts_us)
{
	struct inspector *in = arg;
	struct judged *jd = judged_of(in, es);
	struct policy_flow pf;

	if (!jd)
		return ENGINE_EVASION_NORMALIZE;
	policy_flow_of(in, jd, &pf);
	switch (policy_evasion(jd->policy, &pf, &es->tls, &jd->st, a)) {
	case POLICY_EVASION_DROP:
		if (jd->st.action >= POLICY_ACTION_DROP)
			emit_alert(in, es, jd, ts_us);
		return ENGINE_EVASION_DROP;
	case POLICY_EVASION_ALERT:
		return ENGINE_EVASION_ALERT;
	default:
		return ENGINE_EVASION_NORMALIZE;
	}
}

/* Keeps a copy of a packet of a flow being judged, for its evidence. */
static void keep(struct inspector *in, struct engine_session *es, const uint8_t *pkt,
		 size_t len, uint64_t ts_us)
{
	struct judged *jd;

	if (!in->evidence_dir)
		return;
	jd = judged_of(in, es);
	if (jd && !jd->st.final)
		evidence_add(&jd->ev, &in->evidence_budget, pkt, len, ts_us);
}

static void on_packet(void *arg, struct engine_session *es, uint64_t ts_us)
{
	struct inspector *in = arg;

	in->cur = es;
	keep(in, es, in->pkt, in->pkt_len, ts_us);
}

/* Inline, the SYN and SYN+ACK reach us as copies (io/synlog): the
 * evidence starts with them, as a capture's would. */
static void on_syn_copy(void *arg, struct engine_session *es, const uint8_t *pkt, size_t len,
			uint64_t ts_us)
{
	keep(arg, es, pkt, len, ts_us);
}

static void on_user_free(void *arg, struct engine_session *es)
{
	struct inspector *in = arg;
	struct judged *jd = es->user;

	if (!jd)
		return;
	if (in->cur == es)
		in->cur = NULL;
	/* A flow that goes while its flight is held (its client gave up, it
	 * timed out, or a packet refused it): nobody waits for those packets
	 * any more. */
	hold_release(in, jd, ENGINE_DROP);
	if (jd->answer)
		prober_put(in->prober, jd->answer);
	free(jd->offer);
	wait_list_remove(in, jd);
	/* A flow that never became a TLS session (not TLS on a TLS port)
	 * may still have broken a rule. */
	if (!jd->alerted && jd->st.n_failures) {
		finish(in, es, jd, es->last_us);
		emit_alert(in, es, jd, es->last_us);
	}
	evidence_free(&jd->ev, &in->evidence_budget);
	if (in->n_spare < SPARE_JUDGED) {
		jd->next = in->spare;
		in->spare = jd;
		in->n_spare++;
	} else {
		free(jd);
	}
	es->user = NULL;
}

struct inspector *inspector_new(const struct engine_config *cfg, const struct policy *policy,
				enum inspector_format format, struct buf *out)
{
	struct inspector *in = calloc(1, sizeof(*in));
	struct engine_sink sink = { 0 };

	if (!in)
		return NULL;
	in->policy = policy;
	in->format = format;
	in->out = out;
	sink.arg = in;
	sink.milestone = on_milestone;
	sink.packet = on_packet;
	sink.syn_copy = on_syn_copy;
	sink.session_end = on_session_end;
	sink.anomaly = on_anomaly;
	sink.user_free = on_user_free;
	sink.evasion = on_evasion;
	in->engine = engine_new(cfg, &sink);
	/* Only a policy asks the session cache (its table is megabytes,
	 * zeroed at start: a tenth of a short `read --eve`). */
	if (policy)
		in->cache = in->own_cache = sessioncache_new(SESSION_CACHE_SLOTS);
	in->eve.certs = eve_certs_new(EVE_CERT_SLOTS);
	in->eve.lists = textcache_new(EVE_LIST_SLOTS);
	if (!in->engine || (policy && !in->cache) || !in->eve.certs || !in->eve.lists) {
		inspector_free(in);
		return NULL;
	}
	return in;
}

void inspector_free(struct inspector *in)
{
	if (!in)
		return;
	engine_free(in->engine);
	while (in->spare) {
		struct judged *next = in->spare->next;

		free(in->spare);
		in->spare = next;
	}
	sessioncache_free(in->own_cache);
	eve_certs_free(in->eve.certs);
	textcache_free(in->eve.lists);
	free(in);
}

static bool resolve(struct inspector *in, struct engine_session *es, struct judged *jd,
		    uint64_t ts_us);

/* Before a policy goes: alerts still owed are written with the policy
 * that judged them, and the flows are judged no further. */
static void retire(void *arg, struct engine_session *es)
{
	struct inspector *in = arg;
	struct judged *jd = es->user;

	if (!jd)
		return;
	/* judged without more waiting */
	if (jd->keys_wait && keys_check(in, jd, UINT64_MAX, es->last_us))
		return;             /* decided: the flow's state is gone */
	if (jd->hold_until) {
		/* The policy that asked for the probe goes: the held flight is
		 * judged by it now, with what the probe answered so far. */
		probe_judge(in, es, jd, es->last_us, "rules reloaded before the probe answered");
		if (resolve(in, es, jd, es->last_us))
			return;     /* decided: the flow's state is gone */
	}
	if (jd->answer)
		prober_put(in->prober, jd->answer);
	jd->answer = NULL;
	free(jd->offer);
	jd->offer = NULL;
	wait_list_remove(in, jd);
	if (jd->st.n_failures)
		emit_alert(in, es, jd, es->last_us);
	jd->st.final = true;
	jd->alerted = true;
	evidence_free(&jd->ev, &in->evidence_budget);
}

void inspector_set_policy(struct inspector *in, const struct policy *p)
{
	engine_foreach_session(in->engine, retire, in);
	in->policy = p;
	/* The first policy of an inspector made without one: should the
	 * table not be had, the checks that remember sessions find none. */
	if (p && !in->cache && !in->cache_shared)
		in->cache = in->own_cache = sessioncache_new(SESSION_CACHE_SLOTS);
}

void inspector_set_eve_custom(struct inspector *in, unsigned custom)
{
	in->eve.custom = custom;
}

void inspector_set_evidence(struct inspector *in, const char *dir, int dlt, size_t budget)
{
	in->evidence_dir = dir;
	in->evidence_dlt = dlt;
	in->evidence_budget.cap = budget;
}

enum engine_verdict inspector_packet(struct inspector *in, int dlt, const uint8_t *pkt,
				     size_t len, uint64_t ts_us)
{
	struct decoded d;

	return inspector_packet_decoded(in, pkt, len, decode_packet(dlt, pkt, len, &d), &d, ts_us);
}

enum engine_verdict inspector_packet_decoded(struct inspector *in, const uint8_t *pkt, size_t len,
					     enum decode_result r, const struct decoded *d,
					     uint64_t ts_us)
{
	in->pkt = pkt;
	in->pkt_len = len;
	return engine_packet_decoded(in->engine, pkt, len, r, d, ts_us);
}

enum engine_verdict inspector_ip_packet(struct inspector *in, const uint8_t *pkt, size_t len,
					uint64_t ts_us, unsigned flags)
{
	enum engine_verdict v;
	struct judged *jd;

	in->pkt = pkt;
	in->pkt_len = len;
	in->cur = NULL;
	in->last_held = false;
	v = engine_ip_packet(in->engine, pkt, len, ts_us, flags);
	jd = in->cur ? in->cur->user : NULL;
	/* The server's flight of a flow whose probe has not answered: every
	 * packet of it waits (retransmissions too: the engine does not judge
	 * bytes twice, and their verdict is the original's), but one the
	 * engine drops as its receiver would discard it (a fake: bad
	 * checksum, TTL too low) is dropped alone at once. */
	if (v == ENGINE_ACCEPT && jd && jd->hold_until &&
	    engine_last_from_server(in->engine) &&
	    engine_last_action(in->engine, NULL, NULL) != ENGINE_PKT_DROP) {
		in->last_held = true;
		if (!jd->held_pkt && !jd->es->quic && (jd->held_pkt = malloc(len))) {
			memcpy(jd->held_pkt, pkt, len);
			jd->held_len = len;
		}
	}
	return v;
}

bool inspector_last_held(const struct inspector *in)
{
	return in->last_held;
}

int inspector_hold(struct inspector *in, uint32_t id, uint32_t mark)
{
	struct judged *jd = in->last_held && in->cur ? in->cur->user : NULL;

	if (!jd)
		return -EINVAL;
	if (jd->n_held == INSPECTOR_MAX_HELD) {
		in->pn.hold_overflow++;
		return -ENOSPC;
	}
	jd->held_id[jd->n_held] = id;
	jd->held_mark[jd->n_held] = mark;
	jd->n_held++;
	in->pn.held++;
	wait_list_add(in, jd);
	return 0;
}

/* A held flow judged outside a packet: its verdict goes to the held
 * packets, then to the engine (the session is logged now if decided, and
 * inline the flow leaves as after a packet). True when es and jd are gone
 * (engine_decide()); the held packets were released first, once. */
static bool resolve(struct inspector *in, struct engine_session *es, struct judged *jd,
		    uint64_t ts_us)
{
	enum engine_verdict v = milestone_tail(in, es, jd, 0, jd->st.action, ts_us);

	hold_release(in, jd, v);
	return engine_decide(in->engine, es, v, ts_us);
}

uint64_t inspector_probes(struct inspector *in, uint64_t ts_us)
{
	struct judged *jd, *next;
	uint64_t now = mono_us(), due = 0;
	struct prober_entry *e;
	char why[64] = "";

	for (jd = in->waiting; jd; jd = next) {
		next = jd->next;
		if (jd->keys_wait) {
			if (!keys_check(in, jd, now, ts_us) && jd->hold_until &&
			    (!due || jd->hold_until < due))
				due = jd->hold_until;
			continue;
		}
		if (!jd->answer && jd->offer &&
		    prober_get(in->prober, jd->offer, now, &e) == PROBER_READY)
			jd->answer = e;
		if (jd->answer && jd->answer->result.status == PROBE_OK)
			in->pn.latency[latency_bucket(now - jd->asked_us)]++;
		if (!jd->hold_until) {
			if (jd->answer)
				wait_list_remove(in, jd); /* kept for the ServerHello */
			continue;
		}
		if (jd->answer || now >= jd->hold_until) {
			if (!jd->answer) {
				in->pn.timeouts++;
				snprintf(why, sizeof(why), "timeout: no answer within %llu ms",
					 (unsigned long long)(in->hold_us / 1000));
			}
			probe_judge(in, jd->es, jd, ts_us, why);
			resolve(in, jd->es, jd, ts_us);
			continue;
		}
		if (!due || jd->hold_until < due)
			due = jd->hold_until;
	}
	return due;
}

void inspector_set_prober(struct inspector *in, struct prober *p, unsigned hold_ms,
			  inspector_release_fn release, void *arg)
{
	in->prober = p;
	in->hold_us = (uint64_t)hold_ms * 1000;
	in->release = release;
	in->release_arg = arg;
}

void inspector_set_keylog_wait(struct inspector *in, unsigned wait_ms,
				inspector_release_fn release, void *arg)
{
	in->keywait_us = (uint64_t)wait_ms * 1000;
	in->release = release;
	in->release_arg = arg;
}

void inspector_keys_counters(const struct inspector *in, struct inspector_keys_counters *out)
{
	*out = in->kn;
}

void inspector_probe_counters(const struct inspector *in, struct inspector_probe_counters *out)
{
	*out = in->pn;
}

void inspector_flush(struct inspector *in)
{
	engine_flush(in->engine);
}

void inspector_on_judged(struct inspector *in, inspector_judged_fn fn, void *arg)
{
	in->judged = fn;
	in->judged_arg = arg;
}

void inspector_on_event(struct inspector *in, inspector_event_fn fn, void *arg)
{
	in->on_event = fn;
	in->on_event_arg = arg;
}

void inspector_share_cache(struct inspector *in, struct sessioncache *sc,
			   const struct serverplace *places)
{
	sessioncache_free(in->own_cache);
	in->own_cache = NULL;
	in->cache = sc;
	in->cache_shared = true;
	in->places = places;
}

struct engine *inspector_engine(struct inspector *in)
{
	return in->engine;
}

void inspector_counters(const struct inspector *in, struct inspector_counters *out)
{
	*out = in->n;
}
