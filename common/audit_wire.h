/*
 * audit_wire: the agent <-> server protocol of the audit channel.
 *
 * Every message is one frame, carried inside a TLS session (TLS gives
 * integrity and confidentiality; the frame gives boundaries and a version):
 *
 *     0       2       3       4               8
 *     +-------+-------+-------+---------------+-------------------+
 *     | magic | vers  | type  | length (u32)  | payload[length]   |
 *     | "SA"  |  1    |       | big-endian    |                   |
 *     +-------+-------+-------+---------------+-------------------+
 *
 * A receiver rejects a frame whose magic or version differ, whose type is
 * unknown, or whose length exceeds AW_MAX_PAYLOAD, before reading the payload.
 * Payload layouts (all integers big-endian):
 *
 *   HELLO     agent -> server  u64 stream, u64 first_held, u64 last_held,
 *                              vec16 agent name (informational only; the
 *                              identity is the certificate subject),
 *                              then, from protocol revision 2 on:
 *                              u8 revision (2), u8 kind
 *   A revision 1 HELLO (an agent older than gateway events) ends at the
 *   name and means kind AW_KIND_AUDIT. The kind says what every PACKAGE of
 *   the session holds: AW_KIND_AUDIT audit events (audit_rec.h),
 *   AW_KIND_EVE EVE JSON lines of secaudit-monitor (docs/events.md). A
 *   server refuses a kind it does not know with ERROR AW_ERR_KIND naming
 *   it; an old server refuses a revision 2 HELLO as malformed.
 *   WELCOME   server -> agent  u64 stream, u64 committed (0: none), u32 window
 *   PACKAGE   agent -> server  u64 seq, u8 flags, u32 n_events, u32 raw_len,
 *                              data[rest]; data is the body, zlib-compressed
 *                              when flags & AW_PKG_ZLIB; the body is n_events
 *                              times (u32 len, len bytes of event text)
 *   ACK       server -> agent  u64 seq: every package <= seq is committed
 *   ERROR     either way       u16 code, vec16 text
 *   HEARTBEAT either way       empty
 *   STATS     agent -> server  u64 kernel_lost, u32 kernel_backlog,
 *                              u64 spool_dropped_packages,
 *                              u64 spool_dropped_events, u64 events_total
 *
 * All decoders read through a cursor and return false on any short or
 * inconsistent input; they never read past the frame.
 */
#ifndef SECAUDIT_AUDIT_WIRE_H
#define SECAUDIT_AUDIT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cursor.h"

#define AW_MAGIC 0x5341u
#define AW_VERSION 1
#define AW_HEADER_LEN 8
#define AW_MAX_PAYLOAD (16u << 20)
/* Upper bound of a decompressed package body and of one event. */
#define AW_MAX_RAW (64u << 20)
#define AW_MAX_EVENT (1u << 20)
#define AW_MAX_NAME 255

enum aw_type {
	AW_HELLO = 1,
	AW_WELCOME = 2,
	AW_PACKAGE = 3,
	AW_ACK = 4,
	AW_ERROR = 5,
	AW_HEARTBEAT = 6,
	AW_STATS = 7,
};

enum aw_error_code {
	AW_ERR_PROTOCOL = 1,	/* malformed frame: the sender is disconnected */
	AW_ERR_STORE = 2,	/* the store cannot write: retry later */
	AW_ERR_SEQUENCE = 3,	/* package outside the session's order */
	AW_ERR_BUSY = 4,
	AW_ERR_KIND = 5,	/* a package kind this server does not store */
};

/* Protocol revision a HELLO carries (1: none carried). */
#define AW_REVISION 2

enum aw_kind {
	AW_KIND_AUDIT = 1,
	AW_KIND_EVE = 2,
};

#define AW_PKG_ZLIB 0x01

struct aw_frame {
	uint8_t type;
	struct cursor payload;
};

struct aw_hello {
	uint64_t stream, first_held, last_held;
	char name[AW_MAX_NAME + 1];
	uint8_t revision;	/* decoded: 1 or above; encoded: always AW_REVISION */
	uint8_t kind;		/* enum aw_kind, or a value a newer peer knows */
};

struct aw_welcome {
	uint64_t stream, committed;
	uint32_t window;
};

struct aw_package {
	uint64_t seq;
	uint8_t flags;
	uint32_t n_events;
	uint32_t raw_len;
	struct cursor data;
};

struct aw_error {
	uint16_t code;
	char text[AW_MAX_NAME + 1];
};

struct aw_stats {
	uint64_t kernel_lost;
	uint32_t kernel_backlog;
	uint64_t spool_dropped_packages, spool_dropped_events, events_total;
};

/*
 * Splits the next frame off *in. Returns 1 and fills *f (its payload points
 * into *in's memory) when a whole frame is there, 0 when more bytes are
 * needed (*in untouched), -EPROTO for a bad magic, version or type,
 * -EMSGSIZE for a length over AW_MAX_PAYLOAD.
 */
int aw_frame_next(struct cursor *in, struct aw_frame *f);

bool aw_get_u64(struct cursor *c, uint64_t *out);
bool aw_decode_hello(struct cursor c, struct aw_hello *h);
bool aw_decode_welcome(struct cursor c, struct aw_welcome *w);
bool aw_decode_package(struct cursor c, struct aw_package *p);
bool aw_decode_ack(struct cursor c, uint64_t *seq);
bool aw_decode_error(struct cursor c, struct aw_error *e);
bool aw_decode_stats(struct cursor c, struct aw_stats *s);
/*
 * Takes the next event of a package body; ev and len point into the body.
 * Returns 1 for an event, 0 at the clean end, -EPROTO when malformed.
 */
int aw_body_next(struct cursor *body, const uint8_t **ev, size_t *len);
/* Checks a whole body (len bytes) before any of it is stored: well formed
 * and holding exactly the n_events its header says. 0, or -EPROTO with the
 * reason (naming package seq) in err. */
int aw_body_check(const uint8_t *body, size_t len, uint64_t seq, uint32_t n_events,
		  char *err, size_t errsz);

/*
 * Inflates a package's data into out (reset first) when compressed, or
 * copies it. Fails (-EPROTO) unless exactly raw_len bytes result; raw_len is
 * bounded by AW_MAX_RAW before anything is allocated.
 */
int aw_package_body(const struct aw_package *p, struct buf *out);

/* Encoders append one whole frame to out; out->oom reports failure. */
void aw_put_u64(struct buf *b, uint64_t v);
void aw_put_u32(struct buf *b, uint32_t v);
void aw_put_header(struct buf *b, enum aw_type type, uint32_t len);
void aw_put_hello(struct buf *b, const struct aw_hello *h);
void aw_put_welcome(struct buf *b, const struct aw_welcome *w);
void aw_put_ack(struct buf *b, uint64_t seq);
void aw_put_error(struct buf *b, uint16_t code, const char *text);
void aw_put_heartbeat(struct buf *b);
void aw_put_stats(struct buf *b, const struct aw_stats *s);
/* Bytes of a PACKAGE payload before its data: seq, flags, n_events, raw_len. */
#define AW_PACKAGE_FIXED 17
void aw_put_package_head(struct buf *b, uint64_t seq, uint8_t flags,
			 uint32_t n_events, uint32_t raw_len);
/* Appends one event (u32 len + text) to a body under construction. */
void aw_put_event(struct buf *body, const char *ev, size_t len);
/*
 * Builds the PACKAGE payload (without frame header) for a body: compresses
 * with zlib when that saves at least an eighth. Returns 0 or -ENOMEM.
 */
int aw_build_package(struct buf *out, uint64_t seq, uint32_t n_events,
		     const struct buf *body);

#endif
