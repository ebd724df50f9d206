/*
 * flow: the bidirectional flow table (see flow.h for the contract).
 *
 * A chained hash table (power-of-two buckets, at least one per flow, so
 * chains stay short) on the canonical key, hashed with a per-table random
 * seed so that crafted addresses cannot predict collisions; plus two
 * doubly-linked LRU lists (head = least recently used), the live flows and
 * the lingering ones, for expiry and for eviction when full. A lookup hashes 40 bytes and compares one key: no
 * allocation, no system call.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "stream/flow.h"

#include "cacheline.h"
#include "hashseed.h"
#include "table_mem.h"

#define FLOW_ID_BITS 53
#define FLOW_ID_MASK ((1ULL << FLOW_ID_BITS) - 1)

struct lru {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow **bucket;
	size_t mask;                /* buckets - 1 */
	size_t count, max;
	uint64_t seed;
	struct lru live, linger;
	size_t lingering;           /* flows on the linger list */
	uint64_t linger_us;         /* 0: the caller's idle time */
	flow_app_free_fn app_free;
	void *ctx;
	const struct stream_limits *lim;
};

/* One counter per process, so flows of different tables (threads) never
 * share an id. Lines of its own (cacheline.h): every new flow of every
 * thread writes it, and read-mostly neighbours (a pthread_once of
 * tls_names, read at every suite looked up) went back and forth between
 * cores with it. */
static struct {
	_Alignas(THREAD_APART) atomic_uint_fast64_t next;
	char rest[THREAD_APART - sizeof(atomic_uint_fast64_t)];
} flow_id_counter;

/* A bijection of [0, 2^53): odd multipliers and xor-shifts are each
 * invertible modulo 2^53, so distinct counters give distinct ids that look
 * random (as Suricata's do) and fit a JSON number exactly. 0 maps to 0,
 * so ids are never 0 as the counter starts at 1. */
static uint64_t flow_id_permute(uint64_t x)
{
	x &= FLOW_ID_MASK;
	x = (x * 0x5851f42d4c957f2dULL) & FLOW_ID_MASK;
	x ^= x >> 27;
	x = (x * 0x14057b7ef767814fULL) & FLOW_ID_MASK;
	x ^= x >> 29;
	x = (x * 0x2127599bf4325c37ULL) & FLOW_ID_MASK;
	x ^= x >> 26;
	return x;
}

uint64_t flow_id_of(uint64_t n)
{
	return flow_id_permute(n);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t key_hash(const struct flow_key *k, uint64_t seed)
{
	uint64_t w[5] = { 0 }, h = seed;
	size_t i;

	_Static_assert(sizeof(struct flow_key) <= sizeof(w), "key fits five words");
	memcpy(w, k, sizeof(*k));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)mix64(h ^ seed);
}

/* The lower (address, port) end is side 0; *swapped when that is dst. */
static void key_make(struct flow_key *k, const struct decoded *d, bool *swapped)
{
	int c = memcmp(d->src, d->dst, sizeof(d->src));

	*swapped = c > 0 || (c == 0 && d->sport > d->dport);
	memset(k, 0, sizeof(*k));
	k->family = d->family;
	k->proto = d->proto;
	if (*swapped) {
		memcpy(k->addr[0], d->dst, 16);
		memcpy(k->addr[1], d->src, 16);
		k->port[0] = d->dport;
		k->port[1] = d->sport;
	} else {
		memcpy(k->addr[0], d->src, 16);
		memcpy(k->addr[1], d->dst, 16);
		k->port[0] = d->sport;
		k->port[1] = d->dport;
	}
}

struct flow_table *flow_table_new(size_t max_flows, flow_app_free_fn app_free, void *ctx)
{
	struct flow_table *t;
	size_t n = 16;

	if (max_flows == 0)
		max_flows = 1;
	while (n < max_flows && n <= SIZE_MAX / 2 / sizeof(struct flow *))
		n *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->bucket = table_calloc(n, sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->max = max_flows;
	t->seed = hashseed_new(t);
	t->app_free = app_free;
	t->ctx = ctx;
	return t;
}

void flow_table_set_stream_limits(struct flow_table *t, const struct stream_limits *lim)
{
	t->lim = lim;
}

void flow_table_set_linger(struct flow_table *t, uint64_t linger_us)
{
	t->linger_us = linger_us;
}

/* The list f is on. */
static struct lru *lru_of(struct flow_table *t, const struct flow *f)
{
	return f->lingering ? &t->linger : &t->live;
}

static void lru_unlink(struct lru *l, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct lru *l, struct flow *f)
{
	f->lru_prev = l->tail;
	f->lru_next = NULL;
	if (l->tail)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

void flow_linger(struct flow_table *t, struct flow *f)
{
	if (f->lingering)
		return;
	lru_unlink(&t->live, f);
	f->lingering = true;
	t->lingering++;
	lru_append(&t->linger, f);
}

size_t flow_lingering(const struct flow_table *t)
{
	return t->lingering;
}

static void flow_destroy(struct flow_table *t, struct flow *f)
{
	if (t->app_free)
		t->app_free(t->ctx, f);
	f->app = NULL;
	stream_half_free(&f->half[0], t->lim);
	stream_half_free(&f->half[1], t->lim);
	free(f);
}

void flow_remove(struct flow_table *t, struct flow *f)
{
	struct flow **link = &t->bucket[f->hash & t->mask];

	while (*link && *link != f)
		link = &(*link)->hnext;
	if (*link)
		*link = f->hnext;
	lru_unlink(lru_of(t, f), f);
	if (f->lingering)
		t->lingering--;
	t->count--;
	flow_destroy(t, f);
}

static void destroy_all(struct flow_table *t, struct lru *l)
{
	struct flow *f, *next;

	for (f = l->head; f; f = next) {
		next = f->lru_next;
		flow_destroy(t, f);
	}
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	destroy_all(t, &t->live);
	destroy_all(t, &t->linger);
	table_free(t->bucket, t->mask + 1, sizeof(*t->bucket));
	free(t);
}

static void roles_from_syn(struct flow *f, uint8_t flags, int side)
{
	if (f->client_known || !(flags & TCP_SYN))
		return;
	f->client = (uint8_t)((flags & TCP_ACK) ? !side : side);
	f->client_known = true;
}

static struct flow *lookup(const struct flow_table *t, const struct flow_key *k, uint32_t h)
{
	struct flow *f;

	for (f = t->bucket[h & t->mask]; f; f = f->hnext)
		if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

struct flow *flow_find(struct flow_table *t, const struct decoded *d)
{
	struct flow_key k;
	bool swapped;

	key_make(&k, d, &swapped);
	return lookup(t, &k, key_hash(&k, t->seed));
}

struct flow *flow_get(struct flow_table *t, const struct decoded *d, uint64_t now_us,
		      int *side, bool *created, bool *evicted)
{
	struct flow_key k;
	struct flow *f;
	uint32_t h;
	bool swapped;
	int s;

	if (created)
		*created = false;
	if (evicted)
		*evicted = false;
	key_make(&k, d, &swapped);
	s = swapped ? 1 : 0;
	if (side)
		*side = s;
	h = key_hash(&k, t->seed);
	f = lookup(t, &k, h);
	if (f) {
		struct lru *l = lru_of(t, f);

		if (f != l->tail) {
			lru_unlink(l, f);
			lru_append(l, f);
		}
	} else {
		/* a lingering flow is only remembered: it goes first */
		if (t->count >= t->max && t->linger.head) {
			flow_remove(t, t->linger.head);
		} else if (t->count >= t->max && t->live.head) {
			flow_remove(t, t->live.head);
			if (evicted)
				*evicted = true;
		}
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
		f->key = k;
		f->hash = h;
		f->id = flow_id_permute(atomic_fetch_add(&flow_id_counter.next, 1) + 1);
		f->first_us = now_us;
		stream_half_init(&f->half[0]);
		stream_half_init(&f->half[1]);
		f->hnext = t->bucket[h & t->mask];
		t->bucket[h & t->mask] = f;
		lru_append(&t->live, f);
		t->count++;
		if (created)
			*created = true;
	}
	f->last_us = now_us;
	f->pkts[s]++;
	f->bytes[s] += d->payload_len;
	roles_from_syn(f, d->tcp_flags, s);
	return f;
}

void flow_set_client(struct flow *f, int side)
{
	f->client = side ? 1 : 0;
	f->client_known = true;
}

static uint64_t cutoff_of(uint64_t now_us, uint64_t idle_us)
{
	return now_us > idle_us ? now_us - idle_us : 0;
}

/* The lingering flows' idle time: their own, never longer than others'. */
static uint64_t linger_idle(const struct flow_table *t, uint64_t idle_us)
{
	return t->linger_us && t->linger_us < idle_us ? t->linger_us : idle_us;
}

static size_t expire_lru(struct flow_table *t, struct lru *l, uint64_t cutoff)
{
	size_t n = 0;

	while (l->head && l->head->last_us < cutoff) {
		flow_remove(t, l->head);
		n++;
	}
	return n;
}

size_t flow_expire(struct flow_table *t, uint64_t now_us, uint64_t idle_us)
{
	return expire_lru(t, &t->live, cutoff_of(now_us, idle_us)) +
	       expire_lru(t, &t->linger, cutoff_of(now_us, linger_idle(t, idle_us)));
}

static size_t expire_walk(struct flow_table *t, struct lru *l, uint64_t cutoff)
{
	struct flow *f, *next;
	size_t n = 0;

	for (f = l->head; f; f = next) {
		next = f->lru_next;
		if (f->last_us < cutoff) {
			flow_remove(t, f);
			n++;
		}
	}
	return n;
}

size_t flow_expire_all(struct flow_table *t, uint64_t now_us, uint64_t idle_us)
{
	return expire_walk(t, &t->live, cutoff_of(now_us, idle_us)) +
	       expire_walk(t, &t->linger, cutoff_of(now_us, linger_idle(t, idle_us)));
}

static void foreach_lru(struct lru *l, void (*fn)(void *arg, struct flow *f), void *arg)
{
	struct flow *f, *next;

	for (f = l->head; f; f = next) {
		next = f->lru_next;
		fn(arg, f);
	}
}

void flow_foreach(struct flow_table *t, void (*fn)(void *arg, struct flow *f), void *arg)
{
	foreach_lru(&t->live, fn, arg);
	foreach_lru(&t->linger, fn, arg);
}

size_t flow_count(const struct flow_table *t)
{
	return t->count;
}

const char *flow_addr_str(const struct flow_key *k, int side, char *out, size_t outlen)
{
	int af;

	if (side != 0 && side != 1)
		return NULL;
	if (k->family == 4)
		af = AF_INET;
	else if (k->family == 6)
		af = AF_INET6;
	else
		return NULL;
	if (outlen > (socklen_t)-1)
		outlen = (socklen_t)-1;
	return inet_ntop(af, k->addr[side], out, (socklen_t)outlen);
}
