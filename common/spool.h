/*
 * spool: the on-disk queue of packages of a sender (secaudit-agent's audit
 * events, secaudit-monitor's gateway events), the reason nothing is lost.
 *
 * A spool is a directory: `state` (the stream id, chosen at random when the
 * spool is created, and the highest acknowledged sequence number) and one
 * file per package, NNNNNNNNNNNNNNNNNNNN.pkg, holding the PACKAGE payload of
 * audit_wire. Sequence numbers are assigned by spool_append, when a package
 * enters the spool: they continue across restarts of the program (the next one
 * is one above the highest held or acknowledged), so a resend always carries
 * the same number and the server can tell it was stored.
 *
 * Durability: a package is written to a temporary file, fsync'ed, renamed,
 * and the directory fsync'ed before spool_append returns; `state` likewise
 * before acknowledged packages are unlinked.
 *
 * Size cap (max_bytes, 0 = none) and overflow action when a new package
 * would exceed it:
 *   SPOOL_DROP_OLDEST  the oldest unacknowledged packages are deleted (counted
 *                      in the stats and reported to the server); default.
 *   SPOOL_BLOCK        spool_append waits until acknowledgements free space;
 *                      the reader stops, and with the kernel source the
 *                      kernel's backlog and then its `lost` counter grow.
 *
 * Thread-safe: one reader thread appends while the sender reads and acks.
 */
#ifndef SECAUDIT_SPOOL_H
#define SECAUDIT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum spool_overflow { SPOOL_DROP_OLDEST, SPOOL_BLOCK };

struct spool;

struct spool_stats {
	uint64_t held_packages, held_bytes;
	uint64_t dropped_packages, dropped_events;
	uint64_t first, last;	/* held seq range; 0 0 when empty */
	uint64_t acked;
};

/* Opens or creates the spool in dir. NULL with the reason in err. */
struct spool *spool_open(const char *dir, uint64_t max_bytes,
			 enum spool_overflow overflow, char *err, size_t errsz);
void spool_close(struct spool *s);
uint64_t spool_stream(const struct spool *s);

/*
 * Makes a package of body (n_events events, audit_wire body layout), gives
 * it the next sequence number (*seq) and makes it durable. 0, -ENOSPC when
 * the package alone exceeds the cap or SPOOL_BLOCK was interrupted by
 * spool_wakeup, or -errno from the file system.
 */
int spool_append(struct spool *s, uint32_t n_events, const struct buf *body,
		 uint64_t *seq);
/* Reads package seq's PACKAGE payload into out (reset first). -ENOENT if
 * not held. */
int spool_read(struct spool *s, uint64_t seq, struct buf *out);
/* The first held seq above after; false when none. */
bool spool_next(struct spool *s, uint64_t after, uint64_t *seq);
/* Records that every package <= seq is committed by the server, then
 * deletes those files. 0 or -errno. */
int spool_ack(struct spool *s, uint64_t seq);
void spool_get_stats(struct spool *s, struct spool_stats *st);
/* Wakes a spool_append blocked in SPOOL_BLOCK (it returns -ENOSPC). */
void spool_wakeup(struct spool *s);

#endif
