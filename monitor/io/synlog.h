/*
 * synlog: the clients' SYNs, copied to the monitor by the kernel (iptables
 * NFLOG, group SYNLOG_GROUP, cli/cmd_setup_gateway.c) instead of being held
 * in the queue for a verdict.
 *
 * A SYN says where the client's bytes start, and the client's first ACK
 * where the server's start (monitor/engine.c), so reordered segments cannot
 * make the monitor begin a stream mid-record. Nothing about a SYN needs a
 * verdict, so it is logged, not queued: the connection's setup is not
 * delayed by a round trip through user space, and a SYN flood never fills
 * the queue. The servers' SYN+ACKs are copied the same way: where the
 * server's bytes start and what its SYN said (engine.c holds later
 * segments against it). The kernel sends each SYN's copy at once (queue threshold 1),
 * before the SYN leaves the gateway, so it is in the socket before the
 * connection's first queued packet exists; synlog_take() reads the socket
 * before it looks. Thread-safe: every queue thread shares one synlog.
 */
#ifndef SECAUDIT_SYNLOG_H
#define SECAUDIT_SYNLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "net/decode.h"
#include "stream/syntable.h"

#define SYNLOG_GROUP 4242       /* the NFLOG group setup-gateway logs SYNs to */

struct synlog;

struct synlog_counters {
	struct syntable_counters table;
	uint64_t messages;          /* SYN copies received */
	uint64_t enobufs;           /* the socket overflowed: copies lost */
	uint64_t bad;               /* copies that did not decode as a SYN */
};

/* Binds the NFLOG group; NULL with *err = -errno (-EBUSY: another process
 * holds the group). */
struct synlog *synlog_open(uint16_t group, int *err);
void synlog_close(struct synlog *sl);

/* Reads every copy waiting in the socket into the table (also called
 * periodically, so SYNs that no packet asks about do not overflow it). */
void synlog_drain(struct synlog *sl);

/* syntable_take() on what the kernel has sent so far. */
bool synlog_take(struct synlog *sl, const struct decoded *d, struct syntable_conn *out);

void synlog_counters(struct synlog *sl, struct synlog_counters *out);

#endif
