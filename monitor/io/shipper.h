/*
 * shipper: the monitor's events to secaudit-server (central:), off the
 * packet path.
 *
 *   queue threads ──shipper_offer──► ring (bounded, in memory)
 *                                      │ shipper thread: lines of the chosen
 *                                      ▼ event types, batched
 *                                    spool (common/spool.h, on disk)
 *                                      │ sender thread (common/sender.h)
 *                                      ▼
 *                      secaudit-server, mTLS, PACKAGEs of kind AW_KIND_EVE,
 *                      removed from the spool when the server acknowledges
 *                      their commit
 *
 * shipper_offer copies whole EVE lines into the ring under a mutex that is
 * only ever held for a copy or a swap of two buffers, so a queue thread
 * never waits for a disk or the network, and does nothing else (the lines
 * are counted and sorted by type on the shipper thread). It wakes the shipper only for a
 * batch's first line, or when the ring passes half full: the batch then
 * costs one wake-up, one spool write (one fdatasync) and one wake-up of
 * the sender, whatever the number of events. Within a batch the shipper
 * empties the ring every 50 ms on its own clock (a small ring stays warm
 * in the cache for the queue threads' copies). A full ring drops the lines
 * offered (counted, logged, reported to the server as lost); a full spool
 * drops its oldest packages (spool.h, SPOOL_DROP_OLDEST; counted, logged).
 * The local alert log is written by the caller as before: shipping is a
 * copy.
 *
 * What is in the ring and not yet in the spool when the process is killed
 * (-9) is lost to the server (at most one batch interval, still in the
 * local log); a stop by signal spools everything first.
 */
#ifndef SECAUDIT_SHIPPER_H
#define SECAUDIT_SHIPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sender.h"

#define SHIPPER_MAX_TYPES 8

struct shipper_opts {
	struct sender_opts send;	/* server, TLS files, heartbeat; kind is set here */
	const char *spool_dir;
	uint64_t spool_max;		/* bytes */
	size_t ring_bytes;
	unsigned batch_ms;		/* a batch goes to the spool this long after its first line */
	unsigned batch_events;		/* ... or when it holds this many */
	unsigned n_types;
	const char *types[SHIPPER_MAX_TYPES];	/* event_type values shipped */
};

struct shipper_stats {
	uint64_t offered;		/* lines offered by the queue threads (those
					 * still in the ring count once taken) */
	uint64_t ring_dropped;		/* lines lost to a full ring */
	uint64_t shipped;		/* lines of the chosen types put in the spool */
	uint64_t spool_errors;		/* batches the spool could not take */
	uint64_t spool_dropped_events;	/* lines lost with the oldest packages */
};

struct shipper;

/*
 * Reads the TLS files (before privileges are dropped: the key is root's)
 * and makes the ring; spool and threads come with shipper_start. NULL with
 * the reason in err. o's strings must outlive the shipper.
 */
struct shipper *shipper_new(const struct shipper_opts *o, char *err, size_t errsz);
/* Opens (or creates) the spool and starts the threads. 0, or -1 with err. */
int shipper_start(struct shipper *s, char *err, size_t errsz);
/* Thread-safe; never blocks on I/O. lines: whole '\n'-ended EVE lines. */
void shipper_offer(struct shipper *s, const char *lines, size_t len);
/* The TLS files are read again before the next connection (SIGHUP). */
void shipper_reload(struct shipper *s);
void shipper_get_stats(struct shipper *s, struct shipper_stats *st);
/* The stats above as members of an open JSON object (offered, shipped,
 * ring_dropped, spool_errors), then the spool's and the sender's
 * (sender_stats_json): the agent's names. */
void shipper_stats_json(struct shipper *s, struct json *j);
/* Spools what the ring holds, stops the threads, frees. Accepts NULL. */
void shipper_free(struct shipper *s);

#endif
