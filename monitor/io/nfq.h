/*
 * nfq: the NFQUEUE packet source of the inline monitor (libnetfilter_queue).
 *
 * Names carry the prefix nfqueue_, not nfq_: libnetfilter_queue already
 * exports nfq_open(), nfq_close(), nfq_fd() and more, and the two would clash
 * at link time.
 *
 * One struct nfqueue is one bound kernel queue, used by one thread; nothing is
 * global, so a daemon runs one instance per queue, each in its own thread.
 * The instance copies each queued packet (IP header first), hands it to the
 * caller's callback and sends the verdict the callback returns.
 *
 * Verdicts and the conntrack mark. The running kernel has no conntrack glue
 * for nfnetlink_queue (CONFIG_NETFILTER_NETLINK_GLUE_CT is not set here, and
 * not on many distribution kernels), so a verdict cannot write the conntrack
 * mark itself. A decision that must stick to the connection (NFQUEUE_ACCEPT_FLOW,
 * NFQUEUE_DROP_FLOW) is therefore sent as NF_REPEAT with the decision bits in the
 * packet mark; the packet re-enters the same netfilter hook, where the rules
 * of `secaudit setup-gateway` save those bits into the conntrack mark and
 * then let the packet go (accept) or drop it. Every later packet of the flow
 * matches the conntrack mark in the kernel and never reaches user space.
 * A packet that comes back carrying decision bits means those rules are
 * missing; it gets a plain verdict instead of looping (counted in
 * `unbypassed`).
 *
 * Loop order of nfqueue_dispatch(): wait (poll) up to the timeout for the socket
 * to become readable; then receive datagrams without blocking, several a call
 * (recvmmsg), until none is left or NFQUEUE_BATCH_MAX verdicts are pending;
 * for each packet call the callback; consecutive plain accepts are answered by one batch verdict
 * (NFQNL_MSG_VERDICT_BATCH), any other verdict is sent singly after the batch
 * that precedes it, all verdicts gathered in one send (a verdict carrying
 * a modified packet is sent alone, after the ones before it); ENOBUFS (the kernel
 * could not deliver a packet message: it then applies its own fail-open or
 * drop) is counted and the loop goes on.
 */
#ifndef SECAUDIT_NFQ_H
#define SECAUDIT_NFQ_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* Default packet/conntrack mark bits; `secaudit setup-gateway` uses the
 * same. The mask must cover both decision values; NFQUEUE_MARK_INJECT tags
 * packets the monitor sends itself (RST injection), which the rules let by. */
#define NFQUEUE_MARK_MASK    0x000c0000u
#define NFQUEUE_MARK_ACCEPT  0x00040000u
#define NFQUEUE_MARK_DENY    0x00080000u
#define NFQUEUE_MARK_INJECT  0x00100000u

#define NFQUEUE_BATCH_MAX 64
#define NFQUEUE_RESIDENCE_BUCKETS 18   /* 1 µs .. 65 ms, and longer */

/* What the callback returns for a packet. */
enum nfqueue_verdict {
	NFQUEUE_ACCEPT = 0,      /* let this packet go; keep queueing the flow */
	NFQUEUE_DROP = 1,        /* drop this packet; keep queueing the flow */
	NFQUEUE_ACCEPT_FLOW = 2, /* let it go and mark the connection accepted:
			      * its later packets bypass the queue */
	NFQUEUE_DROP_FLOW = 3,   /* drop it and mark the connection denied:
			      * the kernel drops its later packets */
	NFQUEUE_HOLD = 4,        /* keep it in the kernel's queue: its verdict
			      * comes later, by id, through nfqueue_release() */
};

/* One queued packet, as the callback sees it. */
struct nfqueue_packet {
	uint32_t id;             /* the kernel's packet id */
	const uint8_t *data;     /* from the IPv4/IPv6 header; valid during the call */
	size_t len;
	uint32_t mark;           /* the packet's mark (skb mark) as queued */
	uint64_t now_us;         /* CLOCK_MONOTONIC, when it was received */
	/* NFQA_SKB_CSUMNOTREADY: a local socket's packet whose TCP/UDP
	 * checksum the kernel (or the NIC) fills in later: not to be verified. */
	bool csum_not_ready;
	/* Set by the callback to send these bytes in place of the packet
	 * (with NFQUEUE_ACCEPT or NFQUEUE_ACCEPT_FLOW; checksums are the
	 * caller's: the kernel takes a modified packet as it is). Valid
	 * until the callback returns to the next packet. */
	const uint8_t *new_data;
	size_t new_len;
};

/*
 * Called once per queued packet, on the thread running nfqueue_dispatch().
 * Returns an enum nfqueue_verdict; anything else (e.g. a negative errno)
 * counts as a callback error and gets the instance's failure verdict
 * (accept when fail_open, drop otherwise).
 */
typedef int (*nfqueue_packet_fn)(void *arg, struct nfqueue_packet *p);

#define NFQ_DEF_MAXLEN 4096          /* packets per kernel queue */
#define NFQ_DEF_RCVBUF (8u << 20)    /* netlink receive buffer, bytes */

struct nfqueue_config {
	uint16_t queue;         /* queue number to bind */
	uint32_t queue_maxlen;  /* kernel queue length; 0: NFQ_DEF_MAXLEN */
	uint32_t rcvbuf;        /* socket receive buffer in bytes; 0: NFQ_DEF_RCVBUF */
	bool gso;               /* NFQA_CFG_F_GSO: take GSO packets whole */
	bool fail_open;         /* NFQA_CFG_F_FAIL_OPEN: a full queue accepts */
	uint32_t mark_mask;     /* decision bits; 0: the NFQUEUE_MARK_* defaults */
	uint32_t mark_accept;
	uint32_t mark_deny;
};

/* Counters of one instance. Written only by the instance's thread, readable
 * from any thread through nfqueue_get_stats(). */
struct nfqueue_stats {
	uint64_t packets;        /* packet messages received */
	uint64_t bytes;          /* their copied bytes */
	uint64_t gso_packets;    /* of which GSO super-packets */
	uint64_t truncated;      /* copied shorter than the packet */
	uint64_t accepted;       /* plain accept verdicts */
	uint64_t dropped;        /* plain drop verdicts */
	uint64_t accept_flow;    /* accept + conntrack mark */
	uint64_t modified;       /* accepted with a modified packet */
	uint64_t drop_flow;      /* drop + conntrack mark */
	uint64_t batches;        /* batch verdict messages sent */
	uint64_t callback_errors;
	uint64_t unbypassed;     /* came back with decision bits: rules missing */
	uint64_t enobufs;        /* receive overruns (kernel dropped messages) */
	uint64_t recv_errors;    /* other receive failures */
	uint64_t send_errors;    /* verdict sends that failed */
	uint64_t nl_errors;      /* error replies from the kernel to verdicts */
	uint64_t held;           /* NFQUEUE_HOLD answers */
	uint64_t released;       /* their verdicts, given by nfqueue_release() */
	/* How long packets stayed in user space, from their receive to the
	 * send of their verdict (the callback's time and the batching's; not
	 * the send itself, in which the kernel forwards the packet), as
	 * a histogram: bucket b counts residences of at most 2^b µs (the
	 * last one: longer). Held packets are not counted. */
	uint64_t residence_us[NFQUEUE_RESIDENCE_BUCKETS];
};

/* The kernel's own counters of a queue (/proc/net/netfilter/nfnetlink_queue,
 * of the caller's network namespace). */
struct nfqueue_kernel_stats {
	uint32_t portid;
	uint32_t queue_total;    /* packets waiting for a verdict now */
	uint32_t copy_mode, copy_range;
	uint32_t queue_dropped;  /* dropped because the queue was full */
	uint32_t user_dropped;   /* could not be sent to user space */
	uint32_t id_sequence;    /* last packet id: packets ever queued */
};

struct nfqueue;

/*
 * Opens a netlink socket, sizes its receive buffer (SO_RCVBUFFORCE, falling
 * back to SO_RCVBUF), binds queue cfg->queue in copy-packet mode (64 KiB)
 * with the configured flags and length, and waits for the kernel's
 * acknowledgement. Needs CAP_NET_ADMIN. on_packet is kept for the lifetime
 * of the instance. NULL on failure with a negative errno in *err (e.g.
 * -EPERM without privilege, -EBUSY when another process holds the queue).
 */
struct nfqueue *nfqueue_open(const struct nfqueue_config *cfg, nfqueue_packet_fn on_packet,
		     void *arg, int *err);
/* Unbinds the queue and frees the instance; the kernel then handles the
 * queue's waiting and later packets as its rules say (--queue-bypass).
 * NULL is fine. */
void nfqueue_close(struct nfqueue *q);

/* The socket, for the caller's own poll loop. */
int nfqueue_fd(const struct nfqueue *q);

/*
 * Waits up to timeout_ms (-1: forever, 0: not at all) for packets, then
 * handles every packet already queued, as described above. Returns the
 * number of packets handled (0 on timeout or EINTR), or a negative errno
 * when the socket failed beyond recovery.
 */
int nfqueue_dispatch(struct nfqueue *q, int timeout_ms);

/*
 * The verdict (NFQUEUE_ACCEPT .. NFQUEUE_DROP_FLOW) of a packet the callback
 * held, by its id, with the mark it was queued with; sent at once. Call on
 * the instance's thread (e.g. when the answer the packet waited for came).
 * While any packet is held, plain accepts go singly, never as a batch
 * verdict: a batch covers every lower id, the held ones too. Returns 0, or
 * -EINVAL for a verdict that is not final or when nothing is held.
 */
int nfqueue_release(struct nfqueue *q, uint32_t id, int verdict, uint32_t mark);

/* Sends at once the verdicts given so far in this round (called from the
 * callback: its own verdict comes after it returns). A packet the monitor
 * sends itself (a reset) then leaves after the packets accepted before it:
 * a reset sent first reaches a receiver still missing those bytes, which
 * takes its sequence for out of window (RFC 5961 3.2) and ignores it. */
void nfqueue_flush_verdicts(struct nfqueue *q);

/* Calls nfqueue_dispatch() until *stop becomes non-zero (e.g. set by a signal
 * handler); returns 0, or the negative errno that ended the loop. */
int nfqueue_run(struct nfqueue *q, const volatile sig_atomic_t *stop);

/* A consistent-enough snapshot of the counters (each read atomically). */
void nfqueue_get_stats(const struct nfqueue *q, struct nfqueue_stats *out);
/* Reads the kernel's counters of queue `queue`; -ENOENT when the queue is
 * not bound in this namespace, other negative errno on read failure. */
int nfqueue_kernel_stats(uint16_t queue, struct nfqueue_kernel_stats *out);
/* Writes the counters as one JSON object (the value of the current key). */
void nfqueue_stats_json(struct json *j, const struct nfqueue_stats *s,
		    const struct nfqueue_kernel_stats *k);

#endif
