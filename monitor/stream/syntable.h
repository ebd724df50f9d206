/*
 * syntable: the clients' SYNs the monitor was told of but did not hold in
 * the queue (monitor/synlog.c), kept until the connection's first queued
 * packet asks where the client's bytes start.
 *
 * Set-associative: a hash of the connection's addresses and ports picks a
 * set of SYNTABLE_WAYS entries, so SYNs that collide on the hash are all
 * kept. A SYN takes its connection's own entry (a retransmission), else a
 * free or aged-out one, else evicts the set's oldest (counted: the flow
 * evicted loses its anchor). Entries older than SYNTABLE_MAX_AGE_US are
 * ignored, and a lookup consumes its entry. A connection whose SYN was
 * lost here is followed as one seen mid-flow. Pure; not thread-safe
 * (synlog locks it).
 */
#ifndef SECAUDIT_SYNTABLE_H
#define SECAUDIT_SYNTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"

#define SYNTABLE_MAX_AGE_US (30ull * 1000000)
#define SYNTABLE_WAYS 4

struct syntable;

struct syntable_counters {
	uint64_t added, found, evicted;
};

/* slots is rounded up to a power of two, at least SYNTABLE_WAYS. NULL on
 * allocation failure. */
struct syntable *syntable_new(size_t slots);
void syntable_free(struct syntable *t);

/* Records a client's SYN (d: a decoded TCP SYN without ACK) seen at now_us. */
void syntable_add(struct syntable *t, const struct decoded *d, uint64_t now_us);

/*
 * The SYN that opened the connection of d, which may travel either way:
 * on a hit, *client_is_src says whether d's source is the client and *isn
 * is the client's initial sequence number; the entry is consumed.
 */
bool syntable_take(struct syntable *t, const struct decoded *d, uint64_t now_us,
		   bool *client_is_src, uint32_t *isn);

void syntable_counters(const struct syntable *t, struct syntable_counters *out);

#endif
