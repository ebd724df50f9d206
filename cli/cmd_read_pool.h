/*
 * cmd_read_pool: `secaudit read` over several cores.
 *
 * The packets of the capture(s) are numbered and handed over in rounds: a
 * round holds up to a few thousand packets in one buffer that every worker
 * reads (no copy per worker; a classic pcap file is read straight into it,
 * by whichever worker is free when there are as many as cores). Each
 * worker decodes every packet of a round and handles those of its flows,
 * chosen by a symmetric hash of the innermost addresses and ports (both
 * directions, a tunnel's inner flow, alike): deciding there costs a decode
 * per packet per worker, where a reader deciding for all was as busy as a
 * worker. When flows go by server (below), whoever fills a round decides
 * for all instead: the loads then differ, and the less busy worker, which
 * fills most rounds, takes the routing off the busy one. Workers share
 * nothing but the session cache: each has its own
 * engine, flow table, certificate caches and output buffer. A worker only
 * ticks its clock with the others' packets (engine_tick), so flows expire
 * at the same packet whatever N is.
 *
 * Output is merged per round in a fixed order, so the bytes do not depend
 * on N or on scheduling: every event is keyed by the number of the packet
 * that caused it and, for a flow ended by a timeout or the end of input,
 * by the number of the flow's last packet (the order in which one engine
 * would have ended them). A policy that links connections (resumptions,
 * repeated randoms, STARTTLS offers) has one session cache split into parts
 * by server (sessioncache_set_regions): flows then go to workers by their
 * server, a worker owns every n-th part, and each part sees its servers'
 * connections in capture order with no waiting for the other workers
 * (engines waiting for each other at every lookup took turns at almost
 * every connection). The parts are the same whatever N, so verdicts are.
 *
 * Limits that do make N show: each worker has the full flow table, stream
 * memcap and caches of the configuration (a capture that fills them
 * evicts later with more workers). With a linking policy the flows spread
 * only as their servers do: one busy server is one worker's.
 */
#ifndef SECAUDIT_CMD_READ_POOL_H
#define SECAUDIT_CMD_READ_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/inspector.h"

#define READ_POOL_MAX_THREADS 64

struct policy;
struct read_pool;

struct read_pool_config {
	unsigned threads;                   /* worker engines, 1..READ_POOL_MAX_THREADS */
	const struct engine_config *engine; /* borrowed for the pool's life */
	const struct policy *policy;        /* NULL: no judging; borrowed */
	enum inspector_format format;
	unsigned eve_custom;                /* EVE_CUSTOM_* */
	int out_fd;                         /* where the merged output goes */
	/* Packets per round; 1 writes each packet's output before the next
	 * is read (a live capture). */
	unsigned round_packets;
};

/* Starts the workers. NULL with a message in err. */
struct read_pool *read_pool_new(const struct read_pool_config *c, char *err, size_t errlen);
/* A capture_fn: the next packet of the input (pool is the read_pool). */
void read_pool_packet(void *pool, int dlt, const uint8_t *pkt, size_t len, uint64_t ts_us);
/*
 * The packets of a capture file ("-": standard input), as read_pool_packet
 * would be given them: a classic pcap file is read in large blocks straight
 * into the rounds, whose packets the workers read in place; anything else
 * (pcapng, standard input, a record libpcap would cut) through libpcap.
 * 0, or -1 with a message in err (the packets before it were handled).
 */
int read_pool_file(struct read_pool *p, const char *path, char *err, size_t errlen);
/*
 * End of input: every engine flushes, the rest of the output is written,
 * the workers stop and their counters are summed into n (may be NULL);
 * per_worker, if not NULL, gets each worker's sessions (threads entries).
 * 0, or a positive errno when the output could not be written (or memory
 * ran short). Frees the pool.
 */
int read_pool_finish(struct read_pool *p, struct inspector_counters *n, uint64_t *per_worker);

#endif
