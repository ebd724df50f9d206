/*
 * syntable: clients' SYNs by connection. See syntable.h.
 */
#include "stream/syntable.h"

#include <stdlib.h>
#include <string.h>

#include "table_mem.h"

struct syn_slot {
	uint8_t used, family;
	uint16_t cport, sport;
	uint8_t client[16], server[16];
	struct syn_info csyn, ssyn;
	struct syn_pkt cpkt, spkt;
	uint64_t at_us;
};

struct syntable {
	size_t mask;			/* of the set index */
	struct syntable_counters n;
	struct syn_slot slot[];
};

struct syntable *syntable_new(size_t slots)
{
	struct syntable *t;
	size_t n = 1;

	while ((n < slots || n < SYNTABLE_WAYS) && n < ((size_t)1 << 30))
		n <<= 1;
	t = table_calloc(1, sizeof(*t) + n * sizeof(t->slot[0]));
	if (t)
		t->mask = n / SYNTABLE_WAYS - 1;
	return t;
}

void syntable_free(struct syntable *t)
{
	if (t)
		table_free(t, 1, sizeof(*t) + (t->mask + 1) * SYNTABLE_WAYS * sizeof(t->slot[0]));
}

/* FNV-1a over client then server; the same connection hashes alike
 * whichever way its packet travels, because the caller orders the ends. */
static size_t set_of(const struct syntable *t, uint8_t family, const uint8_t *client,
		      uint16_t cport, const uint8_t *server, uint16_t sport)
{
	uint32_t h = 2166136261u ^ family;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ client[i]) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ server[i]) * 16777619u;
	h = (h ^ cport) * 16777619u;
	h = (h ^ sport) * 16777619u;
	/* FNV's low bits depend only on the inputs' low bits (ports and
	 * addresses that differ in their high bits pile up in a few sets):
	 * a finalising mix (MurmurHash3's fmix32) spreads every bit. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return (h & t->mask) * SYNTABLE_WAYS;
}

static bool same(const struct syn_slot *s, uint8_t family, const uint8_t *client, uint16_t cport,
		 const uint8_t *server, uint16_t sport)
{
	return s->used && s->family == family && s->cport == cport && s->sport == sport &&
	       !memcmp(s->client, client, 16) && !memcmp(s->server, server, 16);
}

void syn_info_of(const struct decoded *d, struct syn_info *out)
{
	out->seen = true;
	out->ttl = d->ttl;
	out->opts = decode_tcp_options(d, &out->wscale);
	out->window = d->window;
	out->isn = d->seq;
}

static void keep_pkt(struct syn_pkt *out, const uint8_t *pkt, size_t len, uint64_t wall_us)
{
	out->wall_us = wall_us;
	out->len = (uint16_t)(len < SYNTABLE_PKT_MAX ? len : SYNTABLE_PKT_MAX);
	if (out->len)
		memcpy(out->pkt, pkt, out->len);
}

/* A SYN+ACK: into its client's SYN's entry, if there is one. */
static void add_syn_ack(struct syntable *t, const struct decoded *d, const uint8_t *pkt,
			size_t len, uint64_t wall_us, uint64_t now_us)
{
	struct syn_slot *set = &t->slot[set_of(t, d->family, d->dst, d->dport, d->src, d->sport)];
	size_t i;

	for (i = 0; i < SYNTABLE_WAYS; i++)
		if (same(&set[i], d->family, d->dst, d->dport, d->src, d->sport) &&
		    now_us - set[i].at_us < SYNTABLE_MAX_AGE_US && !set[i].ssyn.seen) {
			syn_info_of(d, &set[i].ssyn);
			keep_pkt(&set[i].spkt, pkt, len, wall_us);
		}
}

void syntable_add(struct syntable *t, const struct decoded *d, const uint8_t *pkt, size_t len,
		  uint64_t wall_us, uint64_t now_us)
{
	struct syn_slot *set = &t->slot[set_of(t, d->family, d->src, d->sport, d->dst, d->dport)];
	struct syn_slot *s = NULL;
	size_t i;

	if (d->tcp_flags & TCP_ACK) {
		add_syn_ack(t, d, pkt, len, wall_us, now_us);
		return;
	}
	/* its own entry (a retransmitted SYN), else a free or aged-out one */
	for (i = 0; i < SYNTABLE_WAYS && !s; i++)
		if (same(&set[i], d->family, d->src, d->sport, d->dst, d->dport))
			s = &set[i];
	for (i = 0; i < SYNTABLE_WAYS && !s; i++)
		if (!set[i].used || now_us - set[i].at_us >= SYNTABLE_MAX_AGE_US)
			s = &set[i];
	if (!s) {
		/* every way holds a live SYN: the oldest gives way */
		s = set;
		for (i = 1; i < SYNTABLE_WAYS; i++)
			if (set[i].at_us < s->at_us)
				s = &set[i];
		t->n.evicted++;
	}
	s->used = 1;
	s->family = d->family;
	memcpy(s->client, d->src, 16);
	memcpy(s->server, d->dst, 16);
	s->cport = d->sport;
	s->sport = d->dport;
	syn_info_of(d, &s->csyn);
	memset(&s->ssyn, 0, sizeof(s->ssyn));
	keep_pkt(&s->cpkt, pkt, len, wall_us);
	s->spkt.len = 0;
	s->at_us = now_us;
	t->n.added++;
}

static bool take(struct syntable *t, uint8_t family, const uint8_t *client, uint16_t cport,
		 const uint8_t *server, uint16_t sport, uint64_t now_us, struct syntable_conn *out)
{
	struct syn_slot *set = &t->slot[set_of(t, family, client, cport, server, sport)];
	size_t i;

	for (i = 0; i < SYNTABLE_WAYS; i++) {
		struct syn_slot *s = &set[i];

		if (!same(s, family, client, cport, server, sport) ||
		    now_us - s->at_us >= SYNTABLE_MAX_AGE_US)
			continue;
		out->client = s->csyn;
		out->server = s->ssyn;
		out->client_pkt = s->cpkt;
		out->server_pkt = s->spkt;
		s->used = 0;
		t->n.found++;
		return true;
	}
	return false;
}

bool syntable_take(struct syntable *t, const struct decoded *d, uint64_t now_us,
		   struct syntable_conn *out)
{
	if (take(t, d->family, d->src, d->sport, d->dst, d->dport, now_us, out)) {
		out->client_is_src = true;
		return true;
	}
	if (take(t, d->family, d->dst, d->dport, d->src, d->sport, now_us, out)) {
		out->client_is_src = false;
		return true;
	}
	return false;
}

void syntable_counters(const struct syntable *t, struct syntable_counters *out)
{
	*out = t->n;
}
