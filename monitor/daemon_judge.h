/*
 * daemon_judge: runs one queued packet through an inspector and tells the
 * daemon whether the packet's flow is decided, i.e. whether the conntrack
 * mark may take the flow off the queue from now on.
 *
 * A flow is decided when its verdict is drop or reject (verdicts stick to
 * the flow), or when the engine ended its inspection on this packet (the
 * handshake is over, or the flow is not TLS): later packets would only be
 * accepted unread, so the kernel may as well keep them.
 *
 * The engine does not say which flow a packet belonged to, only how its
 * counters moved. The inspector's `sessions` and the engine's
 * `not_tls_flows` grow when an inspection ends, on this packet's flow or on
 * an idle flow the engine expired during the same call. The engine expires
 * at most once a second of packet time, on a TCP packet; this module
 * repeats that clock, and on a packet where an expiry may have run it looks
 * the flow up among the engine's sessions instead of trusting the counters.
 * One struct daemon_judge per inspector, used by one thread.
 */
#ifndef SECAUDIT_DAEMON_JUDGE_H
#define SECAUDIT_DAEMON_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct inspector;

struct daemon_judge {
	struct inspector *in;      /* borrowed */
	uint64_t last_expire_us;   /* the engine's expiry clock, repeated */
	uint64_t lookups;          /* packets that needed a session lookup */
};

void daemon_judge_init(struct daemon_judge *dj, struct inspector *in);

/*
 * Judges ip_packet (len bytes from the IP header) at wall time ts_us (the
 * time certificates are judged against; never going back by more than the
 * engine's flow timeout). Returns the inspector's verdict; *decided tells
 * whether the flow is decided (always true for drop and reject).
 */
enum engine_verdict daemon_judge_packet(struct daemon_judge *dj, const uint8_t *ip_packet,
					size_t len, uint64_t ts_us, bool *decided);

#endif
