/*
 * textcache: output text formatted once per distinct key.
 *
 * For text the log writes again and again from the same facts (a
 * certificate's fields, a client's offered lists by name): the first
 * writer formats it into the entry, later ones copy it. Keys are compared
 * in full, so a hit is always what formatting would give. Direct-mapped
 * over a fixed number of slots (a newcomer takes its slot's place): the
 * memory is bounded by the slots and the largest texts. One cache per
 * thread: nothing is locked.
 */
#ifndef SECAUDIT_TEXTCACHE_H
#define SECAUDIT_TEXTCACHE_H

#include <stddef.h>

#include "buf.h"

struct textcache;

/* A cached text; mark is the caller's (e.g. where a second part begins). */
struct textcache_entry {
	struct buf text;
	size_t mark;
};

/* slots: how many texts are kept (rounded up to a power of two). NULL on
 * allocation failure. */
struct textcache *textcache_new(size_t slots);
/* NULL is fine. */
void textcache_free(struct textcache *c);

/* The entry kept for key (n bytes), or NULL. Valid until the next
 * textcache_take. c may be NULL (nothing is kept). */
const struct textcache_entry *textcache_find(const struct textcache *c, const void *key,
					     size_t n);
/* Empties key's slot for the caller to write its text (and mark); a later
 * find returns it unless the text's buffer failed (oom). NULL when c is
 * NULL or the key cannot be kept. */
struct textcache_entry *textcache_take(struct textcache *c, const void *key, size_t n);

#endif
