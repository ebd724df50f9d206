/*
 * daemon_judge: is a queued packet's flow decided? See daemon_judge.h.
 */
#include "daemon_judge.h"

#include <string.h>

#include "decode.h"
#include "inspector.h"

/* engine.c expires idle flows when more than this much packet time has
 * passed since its last expiry (EXPIRE_EVERY_US there). */
#define JUDGE_EXPIRE_EVERY_US 1000000

void daemon_judge_init(struct daemon_judge *dj, struct inspector *in)
{
	memset(dj, 0, sizeof(*dj));
	dj->in = in;
}

struct find_ctx {
	const struct decoded *d;
	bool found, inspecting;
};

static bool key_is(const struct flow_key *k, int side, const uint8_t addr[16], uint16_t port)
{
	return k->port[side] == port && !memcmp(k->addr[side], addr, 16);
}

static void find_cb(void *arg, struct engine_session *es)
{
	struct find_ctx *c = arg;
	const struct flow_key *k = &es->flow->key;
	const struct decoded *d = c->d;

	if (c->found || k->family != d->family || k->proto != d->proto)
		return;
	if ((key_is(k, 0, d->src, d->sport) && key_is(k, 1, d->dst, d->dport)) ||
	    (key_is(k, 1, d->src, d->sport) && key_is(k, 0, d->dst, d->dport))) {
		c->found = true;
		c->inspecting = es->inspecting;
	}
}

/* A flow no longer in the table ended on this packet (FIN, RST): decided. */
static bool still_inspecting(struct inspector *in, const struct decoded *d)
{
	struct find_ctx c = { d, false, false };

	engine_foreach_session(inspector_engine(in), find_cb, &c);
	return c.found && c.inspecting;
}

static uint64_t ended(struct inspector *in)
{
	struct inspector_counters ic;
	struct engine_counters ec;

	inspector_counters(in, &ic);
	engine_counters(inspector_engine(in), &ec);
	return ic.sessions + ec.not_tls_flows;
}

enum engine_verdict daemon_judge_packet(struct daemon_judge *dj, const uint8_t *ip_packet,
					size_t len, uint64_t ts_us, bool *decided)
{
	struct decoded d;
	enum decode_result r = decode_ip(ip_packet, len, &d);
	bool may_expire = false;
	enum engine_verdict v;
	uint64_t before;

	if (r == DECODE_TCP && ts_us - dj->last_expire_us > JUDGE_EXPIRE_EVERY_US) {
		dj->last_expire_us = ts_us;
		may_expire = true;
	}
	before = ended(dj->in);
	v = inspector_ip_packet(dj->in, ip_packet, len, ts_us);
	*decided = false;
	if (v != ENGINE_ACCEPT) {
		*decided = true;
	} else if (r == DECODE_TCP && ended(dj->in) != before) {
		if (may_expire) {
			dj->lookups++;
			*decided = !still_inspecting(dj->in, &d);
		} else {
			*decided = true;
		}
	}
	return v;
}
