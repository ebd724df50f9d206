#include "policy/sessioncache.h"

#include "cacheline.h"
#include "hashseed.h"
#include "table_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A cache line a slot, so that a lookup reads one line (the slots were
 * 80 bytes, and most lookups read two). The verdict's rule id and sid are
 * kept once, in the region's names: the table is made whole at start,
 * and its bytes are most of what that costs (secaudit read's 131,072
 * slots were 20 MB with the id in every slot, a twentieth of a --rules
 * run). */
struct sessioncache_entry {
	_Alignas(CACHELINE) time_t expires; /* 0: empty */
	uint16_t name;              /* index in names: the rule id and sid */
	uint8_t len;
	uint8_t action_severity;    /* action | severity << 4 */
	uint8_t key[SESSIONCACHE_KEY_MAX];
};
_Static_assert(sizeof(struct sessioncache_entry) == CACHELINE, "a slot is a cache line");

#define NAME_LEN sizeof(((struct sessioncache_verdict *)0)->rule)

struct name {
	char rule[NAME_LEN];
	uint32_t sid;
};

/* A part of the table with its own lock and rule ids: secaudit read's
 * workers each touch only their own parts, and waited on each other at
 * one lock for the whole table (5,074 futex calls in a 2-thread --rules
 * run, 738 with a lock per part: 0.97x wall). THREAD_APART from each
 * other, so that two workers' locks are not on one pair of lines. */
struct region {
	_Alignas(THREAD_APART) pthread_mutex_t lock;
	/* The distinct rule ids (with their sids) of the verdicts put, [0]
	 * "" and 0: a policy has a few dozen, and a reload adds only the ids
	 * it renames. */
	struct name *names;
	size_t n_names, cap_names;
};

struct sessioncache {
	size_t slots;               /* of the table */
	size_t mask;                /* of a region's slots */
	unsigned region_shift;      /* a region's first slot: region << region_shift */
	unsigned region_mask;       /* regions - 1 */
	uint64_t seed;
	struct sessioncache_entry *e;
	struct region *r;           /* region_mask + 1 of them */
};

static void regions_free(struct region *r, unsigned n)
{
	unsigned i;

	for (i = 0; r && i < n; i++) {
		pthread_mutex_destroy(&r[i].lock);
		free(r[i].names);
	}
	free(r);
}

/* n regions, unlocked and without names; NULL when memory is short. */
static struct region *regions_new(unsigned n)
{
	struct region *r = aligned_alloc(_Alignof(struct region), n * sizeof(*r));
	unsigned i;

	if (!r)
		return NULL;
	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++)
		pthread_mutex_init(&r[i].lock, NULL);
	return r;
}

void sessioncache_set_seed(struct sessioncache *sc, uint64_t seed)
{
	sc->seed = seed;
}

bool sessioncache_set_regions(struct sessioncache *sc, unsigned regions)
{
	size_t slots = sc->slots;
	unsigned bits = 0;
	struct region *r;

	while ((1u << bits) < regions && (slots >> bits) > 64)
		bits++;
	r = regions_new(1u << bits);
	if (!r)
		return false;
	regions_free(sc->r, sc->region_mask + 1);
	sc->r = r;
	sc->mask = (slots >> bits) - 1;
	sc->region_shift = 0;
	while (((size_t)1 << sc->region_shift) <= sc->mask)
		sc->region_shift++;
	sc->region_mask = (1u << bits) - 1;
	return true;
}

struct sessioncache *sessioncache_new(size_t slots)
{
	struct sessioncache *sc = calloc(1, sizeof(*sc));
	size_t n = 64;

	if (!sc)
		return NULL;
	while (n < slots && n < ((size_t)1 << 30))
		n <<= 1;
	sc->e = table_calloc(n, sizeof(*sc->e));
	sc->r = regions_new(1);
	if (!sc->e || !sc->r) {
		table_free(sc->e, n, sizeof(*sc->e));
		regions_free(sc->r, 1);
		free(sc);
		return NULL;
	}
	sc->slots = n;
	sc->mask = n - 1;
	/* Keys come from the network: a per-cache seed keeps slot choice
	 * unpredictable, so a sender cannot aim at one slot. */
	sc->seed = hashseed_new(sc);
	return sc;
}

void sessioncache_free(struct sessioncache *sc)
{
	if (!sc)
		return;
	regions_free(sc->r, sc->region_mask + 1);
	table_free(sc->e, sc->slots, sizeof(*sc->e));
	free(sc);
}

static struct region *region_of(struct sessioncache *sc, unsigned region)
{
	return &sc->r[region & sc->region_mask];
}

static struct sessioncache_entry *slot(struct sessioncache *sc, unsigned region,
				       const uint8_t *key, size_t len)
{
	uint64_t h = sc->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	return &sc->e[((size_t)(region & sc->region_mask) << sc->region_shift) | (h & sc->mask)];
}

static bool match(const struct sessioncache_entry *e, const uint8_t *key, size_t len, time_t now)
{
	return e->expires && e->expires > now && e->len == len && !memcmp(e->key, key, len);
}

/* The index of a rule id and sid in the region's names, added when new;
 * 0 ("" and 0) for neither, and when the table is full (UINT16_MAX) or
 * cannot grow. Under the region's lock. */
static uint16_t name_index(struct region *r, const char *rule, uint32_t sid)
{
	size_t i;

	if (!rule[0] && !sid)
		return 0;
	for (i = r->n_names; i-- > 1;)
		if (r->names[i].sid == sid && !strncmp(r->names[i].rule, rule, NAME_LEN - 1))
			return (uint16_t)i;
	if (r->n_names == UINT16_MAX)
		return 0;
	if (r->n_names == r->cap_names) {
		size_t cap = r->cap_names ? 2 * r->cap_names : 16;
		struct name *n = realloc(r->names, cap * sizeof(*n));

		if (!n)
			return 0;
		if (!r->cap_names)
			n[r->n_names++] = (struct name){ "", 0 };
		r->names = n;
		r->cap_names = cap;
	}
	memcpy(r->names[r->n_names].rule, rule, NAME_LEN);
	r->names[r->n_names].rule[NAME_LEN - 1] = '\0';
	r->names[r->n_names].sid = sid;
	return (uint16_t)r->n_names++;
}

void sessioncache_put(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      const struct sessioncache_verdict *v, time_t expires)
{
	struct sessioncache_entry *e;
	struct region *r;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return;
	e = slot(sc, region, key, len);
	r = region_of(sc, region);
	pthread_mutex_lock(&r->lock);
	e->expires = expires;
	e->len = (uint8_t)len;
	memcpy(e->key, key, len);
	e->action_severity = (uint8_t)((v->action & 0xf) | v->severity << 4);
	e->name = name_index(r, v->rule, v->sid);
	pthread_mutex_unlock(&r->lock);
}

bool sessioncache_get(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      time_t now, struct sessioncache_verdict *v)
{
	struct sessioncache_entry *e;
	struct region *r;
	bool hit;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return false;
	e = slot(sc, region, key, len);
	r = region_of(sc, region);
	pthread_mutex_lock(&r->lock);
	hit = match(e, key, len, now);
	if (hit) {
		v->action = e->action_severity & 0xf;
		v->severity = e->action_severity >> 4;
		v->sid = e->name ? r->names[e->name].sid : 0;
		memcpy(v->rule, e->name ? r->names[e->name].rule : "", e->name ? NAME_LEN : 1);
	}
	pthread_mutex_unlock(&r->lock);
	return hit;
}

bool sessioncache_seen(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		       time_t now, time_t expires)
{
	struct sessioncache_entry *e;
	struct region *r;
	bool hit;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return false;
	e = slot(sc, region, key, len);
	r = region_of(sc, region);
	pthread_mutex_lock(&r->lock);
	hit = match(e, key, len, now);
	if (!hit) {
		e->expires = expires;
		e->len = (uint8_t)len;
		memcpy(e->key, key, len);
		e->name = 0;
		e->action_severity = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return hit;
}
