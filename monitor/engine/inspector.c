/*
 * inspector: engine + policy + output. See inspector.h.
 */
#include "engine/inspector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/eve.h"
#include "engine/eve_certs.h"
#include "engine/evidence.h"
#include "json.h"
#include "policy/policy.h"
#include "policy/sessioncache.h"
#include "engine/transcript.h"

#define SESSION_CACHE_SLOTS 65536
#define EVE_CERT_SLOTS 4096

struct inspector {
	struct engine *engine;
	const struct policy *policy;
	struct sessioncache *cache;
	enum inspector_format format;
	struct buf *out;
	struct eve_writer eve;      /* owns eve.certs */
	struct inspector_counters n;
	/* evidence pcaps (evidence_dir NULL: none) */
	const char *evidence_dir;
	int evidence_dlt;
	struct evidence_budget evidence_budget;
	const uint8_t *pkt;         /* the packet being handled */
	size_t pkt_len;
	inspector_judged_fn judged;  /* NULL: nobody asked */
	void *judged_arg;
};

/* Per flow: the policy judging it and where the judging stands. */
struct judged {
	const struct policy *policy;
	struct policy_state st;
	bool alerted;
	bool reported;              /* handed to in->judged */
	struct evidence ev;         /* the handshake's packets, while judged */
};

static struct judged *judged_of(struct inspector *in, struct engine_session *es)
{
	struct judged *jd = es->user;

	if (jd || !in->policy)
		return jd;
	jd = calloc(1, sizeof(*jd));
	if (!jd)
		return NULL;
	jd->policy = in->policy;
	es->user = jd;
	return jd;
}

static void policy_flow_of(const struct inspector *in, const struct engine_session *es,
			   struct policy_flow *pf)
{
	const struct flow *f = es->flow;

	memset(pf, 0, sizeof(*pf));
	pf->family = f->key.family == 6 ? AF_INET6 : AF_INET;
	memcpy(pf->client_addr, f->key.addr[f->client], 16);
	memcpy(pf->server_addr, f->key.addr[!f->client], 16);
	pf->client_port = f->key.port[f->client];
	pf->server_port = f->key.port[!f->client];
	pf->anomalies = es->anomalies;
	pf->cache = in->cache;
	pf->pre = &es->pre;
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
	policy_flow_of(in, es, &pf);
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
		json_kv_str(j, "action", a->h->action);
		json_kv_uint(j, "gid", 1);
		json_kv_uint(j, "signature_id", a->h->signature_id);
		json_kv_uint(j, "rev", 1);
		json_kv_str(j, "signature", a->h->signature);
		json_kv_str(j, "category", a->h->category);
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

	if (jd->alerted || !policy_alert_header(jd->policy, &jd->st, &h))
		return;
	jd->alerted = true;
	report(in, es, jd);         /* the verdict as this alert tells it */
	in->n.alerts++;
	if (jd->st.action >= POLICY_ACTION_DROP)
		in->n.blocked++;
	if (in->format == INSPECTOR_TEXT) {
		alert_text(in, jd, &h);
		return;
	}
	eve_flow_event(in->out, &in->eve, "alert", es, ts_us, alert_fields, &a);
}

static enum engine_verdict on_milestone(void *arg, struct engine_session *es, unsigned ev,
					uint64_t ts_us)
{
	struct inspector *in = arg;
	struct judged *jd = judged_of(in, es);
	struct policy_flow pf;
	enum policy_action a;

	if (!jd)
		return ENGINE_ACCEPT;
	if (jd->st.final)
		return verdict_of(jd->st.action);
	policy_flow_of(in, es, &pf);
	a = policy_evaluate(jd->policy, &pf, &es->tls, ev, &jd->st, (time_t)(ts_us / 1000000));
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
	policy_flow_of(in, es, &pf);
	policy_finish(jd->policy, &pf, &es->tls, &jd->st, (time_t)(ts_us / 1000000));
}

static void on_session_end(void *arg, struct engine_session *es, uint64_t ts_us)
{
	struct inspector *in = arg;
	struct judged *jd = es->user;

	in->n.sessions++;
	if (jd)
		finish(in, es, jd, ts_us);
	if (in->format == INSPECTOR_EVE)
		eve_flow_event(in->out, &in->eve, es->quic ? "quic" : "tls", es, ts_us, NULL,
			       NULL);
	else if (in->format == INSPECTOR_TEXT)
		transcript_session(in->out, in->n.sessions, es);
	if (jd) {
		emit_alert(in, es, jd, ts_us);
		report(in, es, jd);
	}
}

static void on_anomaly(void *arg, const struct engine_session *es, const struct decoded *d,
		       enum anomaly a, uint64_t ts_us)
{
	struct inspector *in = arg;

	in->n.anomalies++;
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
	policy_flow_of(in, es, &pf);
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
	/* A flow that never became a TLS session (not TLS on a TLS port)
	 * may still have broken a rule. */
	if (!jd->alerted && jd->st.n_failures) {
		finish(in, es, jd, es->last_us);
		emit_alert(in, es, jd, es->last_us);
	}
	evidence_free(&jd->ev, &in->evidence_budget);
	free(jd);
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
	in->cache = sessioncache_new(SESSION_CACHE_SLOTS);
	in->eve.certs = eve_certs_new(EVE_CERT_SLOTS);
	if (!in->engine || !in->cache || !in->eve.certs) {
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
	sessioncache_free(in->cache);
	eve_certs_free(in->eve.certs);
	free(in);
}

/* Before a policy goes: alerts still owed are written with the policy
 * that judged them, and the flows are judged no further. */
static void retire(void *arg, struct engine_session *es)
{
	struct inspector *in = arg;
	struct judged *jd = es->user;

	if (!jd)
		return;
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
	in->pkt = pkt;
	in->pkt_len = len;
	return engine_packet(in->engine, dlt, pkt, len, ts_us);
}

enum engine_verdict inspector_ip_packet(struct inspector *in, const uint8_t *pkt, size_t len,
					uint64_t ts_us, unsigned flags)
{
	in->pkt = pkt;
	in->pkt_len = len;
	return engine_ip_packet(in->engine, pkt, len, ts_us, flags);
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

struct engine *inspector_engine(struct inspector *in)
{
	return in->engine;
}

void inspector_counters(const struct inspector *in, struct inspector_counters *out)
{
	*out = in->n;
}
