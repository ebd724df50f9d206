/*
 * memo: a small fixed table of results already computed, keyed by the
 * exact bytes they were computed from.
 *
 * For work that a capture repeats for every session of the same client or
 * server (the digest of a JA3 string, the names of an offered cipher list):
 * the key's bytes are hashed and compared in full, so a hit is always the
 * result computing would give, whatever the input (crafted colliding keys
 * only evict each other). Direct-mapped: a newcomer takes its slot's place;
 * keys or values larger than a slot are not kept. The struct holds all its
 * memory (no allocation); one per thread, nothing is locked: callers keep
 * theirs in a `static __thread` variable or in a per-thread object.
 */
#ifndef SECAUDIT_MEMO_H
#define SECAUDIT_MEMO_H

#include <stddef.h>
#include <stdint.h>

#define MEMO_SLOTS 64           /* a power of two */
#define MEMO_SLOT_BYTES 512     /* key and value together */

struct memo {
	struct memo_slot {
		uint64_t hash;       /* of tag and key; 0: empty */
		uint16_t key_len, value_len;
		uint8_t bytes[MEMO_SLOT_BYTES];
	} slot[MEMO_SLOTS];
};

/* The value kept for (tag, key), its length in *len; NULL when none is.
 * The pointer is valid until the next memo_put. */
const void *memo_get(const struct memo *m, uint32_t tag, const void *key, size_t key_len,
		     size_t *len);
/* The hash a memo keys (tag, key) by; never 0. For other caches of
 * results keyed by exact bytes (textcache). */
uint64_t memo_hash(uint32_t tag, const void *key, size_t key_len);
/* Keeps value for (tag, key) (not when they do not fit a slot). */
void memo_put(struct memo *m, uint32_t tag, const void *key, size_t key_len, const void *value,
	      size_t len);

#endif
