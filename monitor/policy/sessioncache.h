/*
 * sessioncache: what the monitor remembers across connections.
 *
 * A resumed TLS session carries no certificate, so its verdict is the one
 * of the full handshake that created it: the policy stores that verdict
 * under the server's address, port and session id, and under the hash of
 * each TLS 1.2 ticket the server issued, for the session's lifetime, and a
 * resumption looks up the one it presents. The same table remembers recent
 * hello randoms, so that a random seen twice (a broken generator) is noticed.
 *
 * Fixed size (direct-mapped, a newer entry replaces an older one in its
 * slot), so memory never grows (but for the verdicts' distinct rule ids,
 * kept once each per region with their sids: at most 65,535, past which
 * an id reads as "" and its sid as 0); a forgotten session reads as
 * unseen. Keys are compared in full, never by hash alone. Thread-safe (a mutex per
 * region, sessioncache_set_regions): the monitor's queue threads share one
 * cache, since a client's resumption may arrive on another queue than its
 * first connection.
 */
#ifndef SECAUDIT_SESSIONCACHE_H
#define SECAUDIT_SESSIONCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The longest key: a kind, an IPv6 server address and port, and 32 bytes
 * (a session id, a ticket's hash): 51. */
#define SESSIONCACHE_KEY_MAX 52

struct sessioncache;

struct sessioncache_verdict {
	uint8_t action;             /* enum policy_action of the full handshake */
	uint8_t severity;           /* 0 .. 15 */
	uint32_t sid;
	char rule[64];              /* id of its strongest failed rule, "" if none */
};

/* A cache of `slots` entries (rounded up to a power of two, at least 64).
 * NULL on allocation failure. */
struct sessioncache *sessioncache_new(size_t slots);
/* NULL is fine. */
void sessioncache_free(struct sessioncache *sc);

/* Replaces the random seed of the slot choice, before the first use: an
 * offline reading must give the same answer every time (with a random
 * seed, which of two colliding connections is remembered changes from one
 * run to the next). Inline the seed stays random, so that a sender cannot
 * aim at one slot. */
void sessioncache_set_seed(struct sessioncache *sc, uint64_t seed);

/*
 * Splits the slots into `regions` equal parts (a power of two, at most a
 * 64th of the slots; 1, the default, is the whole table), before the first
 * use: a key of region r goes to a slot of part r % regions and meets only
 * keys of that part. secaudit read gives every flow the region of its
 * server (net/serverplace) and every worker its own regions, so that a
 * worker is the only one to touch them and sees their keys in capture
 * order, without waiting for the others, whatever the thread count.
 * False (the table left whole) when memory is short.
 */
bool sessioncache_set_regions(struct sessioncache *sc, unsigned regions);

/* Remembers v under key (in region, see sessioncache_set_regions) until
 * `expires`. Keys longer than SESSIONCACHE_KEY_MAX are ignored. */
void sessioncache_put(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      const struct sessioncache_verdict *v, time_t expires);
/* True and *v filled when key is known in region and not expired at now. */
bool sessioncache_get(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		      time_t now, struct sessioncache_verdict *v);
/* Records key (e.g. a hello random) and returns whether it was already
 * there and unexpired: one step, so two threads cannot both miss it. */
bool sessioncache_seen(struct sessioncache *sc, unsigned region, const uint8_t *key, size_t len,
		       time_t now, time_t expires);

#endif
