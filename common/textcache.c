/*
 * textcache: formatted text per key. See textcache.h.
 */
#include "textcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memo.h"

struct slot {
	uint64_t hash;              /* 0: empty */
	struct buf key;
	struct textcache_entry e;
};

struct textcache {
	struct slot *slot;
	size_t mask;
};

struct textcache *textcache_new(size_t slots)
{
	struct textcache *c = calloc(1, sizeof(*c));
	size_t n = 1;

	if (!c)
		return NULL;
	while (n < slots)
		n <<= 1;
	c->slot = calloc(n, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	return c;
}

void textcache_free(struct textcache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i <= c->mask; i++) {
		buf_free(&c->slot[i].key);
		buf_free(&c->slot[i].e.text);
	}
	free(c->slot);
	free(c);
}

const struct textcache_entry *textcache_find(const struct textcache *c, const void *key,
					     size_t n)
{
	uint64_t h;
	const struct slot *s;

	if (!c)
		return NULL;
	h = memo_hash(0, key, n);
	s = &c->slot[h & c->mask];
	if (s->hash != h || s->key.len != n || s->e.text.oom || memcmp(s->key.data, key, n))
		return NULL;
	return &s->e;
}

struct textcache_entry *textcache_take(struct textcache *c, const void *key, size_t n)
{
	uint64_t h;
	struct slot *s;

	if (!c)
		return NULL;
	h = memo_hash(0, key, n);
	s = &c->slot[h & c->mask];
	buf_reset(&s->key);
	s->key.oom = false;
	buf_put(&s->key, key, n);
	buf_reset(&s->e.text);
	s->e.text.oom = false;
	s->e.mark = 0;
	if (s->key.oom) {
		s->hash = 0;
		return NULL;
	}
	s->hash = h;
	return &s->e;
}
