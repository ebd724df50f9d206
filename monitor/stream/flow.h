/*
 * flow: the bidirectional flow table (both directions of a TCP connection
 * in one entry), bounded, with idle timeouts.
 *
 * A flow's key is canonical (the lower address/port pair is side 0), so
 * both directions find the same entry; `side` says which end sent a packet.
 * The client is the side that sent the SYN, or, when the capture starts
 * mid-flow, the side the caller names with flow_set_client() (e.g. the one
 * that sent the ClientHello).
 *
 * The table owns its flows. The caller hangs its per-flow state on
 * flow->app; the table calls the app_free callback given at creation
 * exactly once before freeing a flow (expiry, eviction, removal, table
 * free), then releases both stream halves (stream_half_free() with the
 * limits given to flow_table_set_stream_limits(), so buffered bytes return
 * to the global counter; app_free may also free them itself: a freed half
 * is empty and freeing it again does nothing).
 * Single-threaded: one table per thread. Flow ids are unique over all the
 * tables of a process.
 *
 * A flow the caller is done with but wants to recognise a little longer
 * (the engine's decided flows, inline: key and verdict only) can be made
 * to linger (flow_linger()): it moves to a second LRU list, expires after
 * its own shorter idle time (flow_table_set_linger()) and is the first to
 * be evicted when the table is full, before any live flow.
 */
#ifndef SECAUDIT_FLOW_H
#define SECAUDIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"
#include "stream/stream.h"

struct flow_key {
	uint8_t family;
	uint8_t proto;
	uint16_t port[2];
	uint8_t addr[2][16];
};

struct flow {
	struct flow_key key;
	uint64_t id;               /* EVE flow_id: unique in a run, < 2^53 */
	uint64_t first_us, last_us;
	uint8_t client;            /* side (0/1) of the client */
	bool client_known;         /* from a SYN or flow_set_client() */
	/* The caller's: what it keeps of a flow it is done with once app is
	 * freed (the engine keeps a refused flow's verdict); 0 when made. */
	uint8_t verdict;
	bool lingering;            /* flow_linger() was called */
	uint32_t pkts[2];          /* per side */
	uint64_t bytes[2];         /* payload bytes per side */
	struct stream_half half[2];/* reassembly of what each side sent */
	void *app;                 /* the caller's; freed through app_free */
	/* private */
	uint32_t hash;
	struct flow *hnext;
	struct flow *lru_prev, *lru_next;
};

/* The id flow_get gives the n-th flow of the process (n >= 1). A caller
 * that numbers packets itself (secaudit read's worker threads) names a
 * flow by the packet that made it instead, so that ids do not depend on
 * which thread made its flow first. */
uint64_t flow_id_of(uint64_t n);

struct flow_table;
typedef void (*flow_app_free_fn)(void *ctx, struct flow *f);

/* A table of at most max_flows flows; app_free (may be NULL) is called
 * with ctx for each flow before it is freed. NULL on allocation failure. */
struct flow_table *flow_table_new(size_t max_flows, flow_app_free_fn app_free, void *ctx);
/* Frees every flow (calling app_free) and the table. NULL is fine. */
void flow_table_free(struct flow_table *t);
/* The limits the flows' stream halves are freed with (kept by pointer: it
 * must outlive the table). Without it halves are freed without accounting. */
void flow_table_set_stream_limits(struct flow_table *t, const struct stream_limits *lim);

/* How long a lingering flow may stay idle before it expires (0, the
 * default: as long as any flow). */
void flow_table_set_linger(struct flow_table *t, uint64_t linger_us);
/* Makes f linger (see above); its app state should be freed already. */
void flow_linger(struct flow_table *t, struct flow *f);
/* How many of the table's flows linger. */
size_t flow_lingering(const struct flow_table *t);

/*
 * Finds or creates the flow of a decoded packet and marks it used at now_us
 * (last_us; first_us of a new flow), counting the packet and its payload
 * bytes in pkts[side] and bytes[side]. *side is the side (0/1) of the
 * sender. *created tells whether it is new. A SYN without ACK makes the
 * sender the client, SYN+ACK the receiver, while the client is not known.
 * When the table is full, the least recently used flow is evicted first
 * (app_free called): a lingering one if there is any, else a live one, and
 * then *evicted is set. side, created and evicted may be
 * NULL. A new flow's stream halves are initialised (stream_half_init()).
 * NULL only when memory is short. No allocation unless a flow is created.
 */
struct flow *flow_get(struct flow_table *t, const struct decoded *d, uint64_t now_us,
		      int *side, bool *created, bool *evicted);
/* The flow of a decoded packet if the table has it, else NULL; changes
 * nothing (no use mark, no count). For protocols where only some packets
 * may start a flow (UDP: a QUIC Initial). */
struct flow *flow_find(struct flow_table *t, const struct decoded *d);
void flow_set_client(struct flow *f, int side);
/* Removes and frees one flow (calls app_free). */
void flow_remove(struct flow_table *t, struct flow *f);
/* Removes flows idle since before now_us - idle_us (lingering ones: the
 * linger time), least recently used first, stopping at the first one
 * still active; returns how many. */
size_t flow_expire(struct flow_table *t, uint64_t now_us, uint64_t idle_us);
/* The same, without stopping: every flow idle since before now_us -
 * idle_us, the whole table walked (least recently used first). When
 * packet times went backwards the least recently used flow is not the
 * oldest, and only this removes exactly the idle ones. */
size_t flow_expire_all(struct flow_table *t, uint64_t now_us, uint64_t idle_us);
/* Calls fn for every flow, oldest first (the live ones, then the
 * lingering ones); fn may remove the flow it is given, no other. */
void flow_foreach(struct flow_table *t, void (*fn)(void *arg, struct flow *f), void *arg);
size_t flow_count(const struct flow_table *t);

/* Renders address `side` of the key as text (inet_ntop) into out and
 * returns out; NULL when side or family is invalid or out is too small. */
const char *flow_addr_str(const struct flow_key *k, int side, char *out, size_t outlen);

#endif
