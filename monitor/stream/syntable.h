/*
 * syntable: the clients' SYNs the monitor was told of but did not hold in
 * the queue (monitor/synlog.c), kept until the connection's first queued
 * packet asks where the client's bytes start. The server's SYN+ACK, when
 * it is copied too, completes its connection's entry: where the server's
 * bytes start, and what each end's SYN said that a receiver later holds
 * segments against (TTL, signature option, window scale: engine.c). Each
 * keeps its packet's first SYNTABLE_PKT_MAX bytes and kernel time too: a
 * blocked handshake's evidence starts with them (engine/evidence.h).
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
/* Bytes of a SYN kept whole: IPv4 with options (60) and TCP with every
 * option (60) fit; the copy range synlog asks the kernel for. */
#define SYNTABLE_PKT_MAX 128

struct syntable;

struct syntable_counters {
	uint64_t added, found, evicted;
};

/* What one end's SYN (or SYN+ACK) said. */
struct syn_info {
	bool seen;
	uint8_t ttl;                /* TTL / hop limit as it reached the gateway */
	uint8_t opts;               /* DECODE_OPT_* */
	uint8_t wscale;             /* with DECODE_OPT_WSCALE */
	uint16_t window;            /* unscaled (RFC 7323 section 2.2) */
	uint32_t isn;
};

/* One end's SYN (or SYN+ACK) as it was copied, for evidence. */
struct syn_pkt {
	uint64_t wall_us;           /* when the kernel saw it (wall time) */
	uint16_t len;               /* bytes of pkt, from its IP header; 0: none */
	uint8_t pkt[SYNTABLE_PKT_MAX];
};

struct syntable_conn {
	bool client_is_src;         /* the asking packet's source is the client */
	struct syn_info client, server;
	struct syn_pkt client_pkt, server_pkt; /* len 0 when not seen */
};

/* The SYN-time facts of a decoded SYN or SYN+ACK. */
void syn_info_of(const struct decoded *d, struct syn_info *out);

/* slots is rounded up to a power of two, at least SYNTABLE_WAYS. NULL on
 * allocation failure. */
struct syntable *syntable_new(size_t slots);
void syntable_free(struct syntable *t);

/* Records a client's SYN (d: a decoded TCP SYN without ACK) seen at
 * now_us (monotonic: ages entries), or a server's SYN+ACK into the entry
 * of its client's SYN (a SYN+ACK without one is ignored). d was decoded
 * from pkt, len bytes from its IP header (the first SYNTABLE_PKT_MAX are
 * kept; pkt may be NULL with len 0), which the kernel saw at wall_us. */
void syntable_add(struct syntable *t, const struct decoded *d, const uint8_t *pkt, size_t len,
		  uint64_t wall_us, uint64_t now_us);

/*
 * The SYN that opened the connection of d, which may travel either way:
 * on a hit, *out tells whether d's source is the client and what the SYN
 * (and the SYN+ACK, when it was added) said and their copies; the entry is
 * consumed.
 */
bool syntable_take(struct syntable *t, const struct decoded *d, uint64_t now_us,
		   struct syntable_conn *out);

void syntable_counters(const struct syntable *t, struct syntable_counters *out);

#endif
