/*
 * stream: TCP reassembly for one direction of a flow, for the handshake
 * phase only (RFC 9293 section 3.4 sequence space, modulo 2^32).
 *
 * In-order bytes are delivered straight from the packet (no copy); only
 * out-of-order segments are copied, up to the limits. Retransmitted bytes
 * are delivered once. Overlap rule ("first wins", as BSD and Windows stacks
 * keep it): bytes already received, delivered or buffered, are never
 * replaced by a later segment; when the later bytes differ the
 * STREAM_OVERLAP_DIFF anomaly is reported. To compare retransmissions with
 * bytes already delivered, the last STREAM_HISTORY bytes delivered are kept
 * (allocated on the first delivery, grown as needed up to STREAM_HISTORY,
 * enough for a handshake's flight with its certificates; bytes older than
 * that are not compared). When out-of-order data exceeds a
 * limit, or a hole is given up on, the gap is skipped: deliver() is called
 * with data == NULL and len = the number of bytes lost, and STREAM_GAP is
 * reported together with the limit's own anomaly (STREAM_OOO_LIMIT for the
 * segment count, STREAM_FLOW_MEMCAP for the per-direction bytes,
 * STREAM_GLOBAL_MEMCAP for the global bytes or an allocation failure).
 *
 * Sequence numbers are compared as offsets from next_seq (modulo 2^32): a
 * segment starting up to STREAM_MAX_AHEAD bytes ahead is future data, one
 * starting up to 2^31 bytes behind is old data, one further ahead is
 * ignored. Segments longer than STREAM_MAX_AHEAD are ignored.
 *
 * Not thread-safe; a deliver() callback must not call back into the same
 * half.
 */
#ifndef SECAUDIT_STREAM_H
#define SECAUDIT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_HISTORY 16384
#define STREAM_MAX_AHEAD (1u << 30)

struct stream_seg;

/* A limit of 0 allows no buffering at all. global_used may be NULL (no
 * global accounting, global_cap ignored). */
struct stream_limits {
	uint32_t max_ooo_bytes;     /* buffered out-of-order bytes per direction */
	uint32_t max_ooo_segments;  /* buffered segments per direction (<= 65535 used) */
	size_t global_cap;          /* out-of-order bytes over all flows */
	size_t *global_used;        /* shared counter, owned by the caller */
};

struct stream_half {
	bool started;               /* next_seq is meaningful */
	bool fin;                   /* FIN seen: no more bytes will come (set by the caller) */
	uint32_t next_seq;          /* sequence number of the next byte to deliver */
	uint32_t ooo_bytes;
	uint16_t ooo_count;
	struct stream_seg *ooo;     /* sorted by sequence, never overlapping, owned */
	uint16_t hist_len;          /* bytes valid in hist (the last delivered) */
	uint16_t hist_cap;          /* bytes allocated in hist (<= STREAM_HISTORY) */
	uint8_t *hist;              /* allocated on first delivery, owned */
};

/* Called with in-order bytes (valid only during the call), or with
 * data == NULL and len == number of bytes skipped over a gap. */
typedef void (*stream_deliver_fn)(void *arg, const uint8_t *data, size_t len);

void stream_half_init(struct stream_half *h);
/* Releases buffered segments and history, returning their bytes to
 * *lim->global_used (lim may be NULL: nothing returned). Leaves the half
 * empty, so a second call is harmless. The half may be reused after
 * stream_half_init(). */
void stream_half_free(struct stream_half *h, const struct stream_limits *lim);

/* A SYN (or SYN+ACK) with sequence number isn: data starts at isn + 1, so
 * the payload of a SYN is passed to stream_segment() with seq = isn + 1.
 * A SYN on a half already started (a retransmitted SYN) changes nothing. */
void stream_syn(struct stream_half *h, uint32_t isn);

/*
 * One segment's payload at sequence seq. If the half has not started (no
 * SYN seen: capture began mid-flow), it starts at seq; an empty segment
 * neither starts a half nor delivers anything. Delivers what became in
 * order, in order. deliver may be NULL; lim NULL buffers nothing.
 * Returns a bitmask of (1ULL << ANOM_STREAM_*) anomalies.
 */
uint64_t stream_segment(struct stream_half *h, uint32_t seq,
			const uint8_t *data, size_t len,
			const struct stream_limits *lim,
			stream_deliver_fn deliver, void *arg);

/*
 * The bytes the half holds for [seq, seq + len): where delivered bytes are
 * still in the history or buffered bytes cover the range, those (the first
 * copy, the judged one), elsewhere data's. Called after stream_segment()
 * with the same segment, out (len bytes) is what a later copy must carry
 * for every copy to agree with what was judged (evasion: a receiver that
 * keeps the last copy sees the same bytes).
 */
void stream_judged(const struct stream_half *h, uint32_t seq, const uint8_t *data, size_t len,
		   uint8_t *out);

/* On FIN or RST or flow end: gives up on any hole, delivering what is
 * buffered after a gap notice. Returns anomaly bits as above. */
uint64_t stream_flush(struct stream_half *h, const struct stream_limits *lim,
		      stream_deliver_fn deliver, void *arg);

#endif
