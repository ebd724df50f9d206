#include "policy/sessioncache.h"

#include "hashseed.h"
#include "table_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* 80 bytes a slot (the verdict's rule id is kept once, in names): the
 * table is made whole at start, and its bytes are most of what that costs
 * (secaudit read's 131,072 slots were 20 MB with the id in every slot, a
 * twentieth of a --rules run). */
struct sessioncache_entry {
	time_t expires;             /* 0: empty */
	uint32_t sid;
	uint16_t name;              /* index in names: the rule id */
	uint8_t len;
	uint8_t action_severity;    /* action | severity << 4 */
	uint8_t key[SESSIONCACHE_KEY_MAX];
};
_Static_assert(sizeof(struct sessioncache_entry) == 80, "a slot stays 80 bytes");

#define NAME_LEN sizeof(((struct sessioncache_verdict *)0)->rule)

struct sessioncache {
	pthread_mutex_t lock;
	size_t mask;                /* of a region's slots */
	unsigned region_shift;      /* a region's first slot: region << region_shift */
	unsigned region_mask;       /* regions - 1 */
	uint64_t seed;
	struct sessioncache_entry *e;
	/* The distinct rule ids of the verdicts put, [0] "": a policy has a
	 * few dozen, and a reload adds only the ids it renames. */
	char (*names)[NAME_LEN];
	size_t n_names, cap_names;
};

void sessioncache_set_seed(struct sessioncache *sc, uint64_t seed)
{
	sc->seed = seed;
}

void sessioncache_set_regions(struct sessioncache *sc, unsigned regions)
{
	size_t slots = sc->mask + 1;
	unsigned bits = 0;

	while ((1u << bits) < regions && (slots >> bits) > 64)
		bits++;
	sc->mask = (slots >> bits) - 1;
	sc->region_shift = 0;
	while (((size_t)1 << sc->region_shift) <= sc->mask)
		sc->region_shift++;
	sc->region_mask = (1u << bits) - 1;
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
	if (!sc->e) {
		free(sc);
		return NULL;
	}
	sc->mask = n - 1;
	/* Keys come from the network: a per-cache seed keeps slot choice
	 * unpredictable, so a sender cannot aim at one slot. */
	sc->seed = hashseed_new(sc);
	pthread_mutex_init(&sc->lock, NULL);
	return sc;
}

void sessioncache_free(struct sessioncache *sc)
{
	if (!sc)
		return;
	pthread_mutex_destroy(&sc->lock);
	free(sc->e);
	free(sc->names);
	free(sc);
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

/* The index of a rule id in sc->names, added when new; 0 ("") for no id,
 * and when the table is full (UINT16_MAX ids) or cannot grow. Under the
 * lock. */
static uint16_t name_index(struct sessioncache *sc, const char *rule)
{
	size_t i;

	if (!rule[0])
		return 0;
	for (i = sc->n_names; i-- > 1;)
		if (!strncmp(sc->names[i], rule, NAME_LEN))
			return (uint16_t)i;
	if (sc->n_names == UINT16_MAX)
		return 0;
	if (sc->n_names == sc->cap_names) {
		size_t cap = sc->cap_names ? 2 * sc->cap_names : 16;
		char (*n)[NAME_LEN] = realloc(sc->names, cap * NAME_LEN);

		if (!n)
			return 0;
		if (!sc->cap_names)
			n[sc->n_names++][0] = '\0';
		sc->names = n;
		sc->cap_names = cap;
	}
	memcpy(sc->names[sc->n_names], rule, NAME_LEN);
	sc->names[sc->n_names][NAME_LEN - 1] = '\0';
	return (uint16_t)sc->n_names++;
}

void sessioncache_put(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      const struct sessioncache_verdict *v, time_t expires)
{
	struct sessioncache_entry *e;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return;
	e = slot(sc, region, key, len);
	pthread_mutex_lock(&sc->lock);
	e->expires = expires;
	e->len = (uint8_t)len;
	memcpy(e->key, key, len);
	e->sid = v->sid;
	e->action_severity = (uint8_t)((v->action & 0xf) | v->severity << 4);
	e->name = name_index(sc, v->rule);
	pthread_mutex_unlock(&sc->lock);
}

bool sessioncache_get(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      time_t now, struct sessioncache_verdict *v)
{
	struct sessioncache_entry *e;
	bool hit;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return false;
	e = slot(sc, region, key, len);
	pthread_mutex_lock(&sc->lock);
	hit = match(e, key, len, now);
	if (hit) {
		v->action = e->action_severity & 0xf;
		v->severity = e->action_severity >> 4;
		v->sid = e->sid;
		memcpy(v->rule, e->name ? sc->names[e->name] : "", e->name ? NAME_LEN : 1);
	}
	pthread_mutex_unlock(&sc->lock);
	return hit;
}

bool sessioncache_seen(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		       time_t now, time_t expires)
{
	struct sessioncache_entry *e;
	bool hit;

	if (!sc || !len || len > SESSIONCACHE_KEY_MAX)
		return false;
	e = slot(sc, region, key, len);
	pthread_mutex_lock(&sc->lock);
	hit = match(e, key, len, now);
	if (!hit) {
		e->expires = expires;
		e->len = (uint8_t)len;
		memcpy(e->key, key, len);
		e->sid = 0;
		e->name = 0;
		e->action_severity = 0;
	}
	pthread_mutex_unlock(&sc->lock);
	return hit;
}
