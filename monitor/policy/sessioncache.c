#include "policy/sessioncache.h"

#include "hashseed.h"
#include "table_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sessioncache_entry {
	time_t expires;             /* 0: empty */
	uint8_t len;
	uint8_t key[SESSIONCACHE_KEY_MAX];
	struct sessioncache_verdict v;
};

struct sessioncache {
	pthread_mutex_t lock;
	size_t mask;                /* of a region's slots */
	unsigned region_shift;      /* a region's first slot: region << region_shift */
	unsigned region_mask;       /* regions - 1 */
	uint64_t seed;
	struct sessioncache_entry *e;
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
	e->v = *v;
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
	if (hit)
		*v = e->v;
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
		memset(&e->v, 0, sizeof(e->v));
	}
	pthread_mutex_unlock(&sc->lock);
	return hit;
}
