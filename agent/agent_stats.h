/*
 * agent_stats: secaudit-agent's counters as the members of its stats
 * socket's line (statsock.h; `secaudit stats --agent` shows them, also in
 * Prometheus' format):
 *
 *   uptime, records (audit record lines read), bad_records, events,
 *   kernel{lost, backlog}   the kernel's audit status (kernel source only)
 *   spool{...}, sender{...} the spool's and sender's (sender_stats_json)
 *
 * Called on the reader thread, which owns the grouper; the sender's
 * values are atomics and the spool's are read under its lock.
 */
#ifndef SECAUDIT_AGENT_STATS_H
#define SECAUDIT_AGENT_STATS_H

#include <stdint.h>

#include "audit_rec.h"
#include "json.h"
#include "sender.h"
#include "spool.h"

struct agent_stats {
	struct sender *sender;
	struct spool *spool;
	struct audit_grouper *grouper;
	uint64_t start_ms;		/* CLOCK_MONOTONIC */
};

/* A statsock_render_fn: arg is a struct agent_stats. */
void agent_stats_render(void *arg, struct json *j);

#endif
