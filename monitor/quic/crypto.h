/*
 * crypto: reassembly of one direction's CRYPTO frames at one encryption
 * level (RFC 9000 19.6): frames carry (offset, bytes) in any order, may
 * repeat (retransmissions) and may be split over packets and datagrams (a
 * post-quantum ClientHello spans two Initials). Bytes are handed on in
 * order, each once, as soon as they join the contiguous prefix.
 *
 * Bounded: offsets past QUIC_CRYPTO_MAX are refused. Bytes received twice
 * are compared: a retransmission that disagrees is reported, and the first
 * copy wins (what the endpoint that got it first would have used).
 */
#ifndef SECAUDIT_QUIC_CRYPTO_H
#define SECAUDIT_QUIC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUIC_CRYPTO_MAX (64 * 1024)

/* Results of quic_crypto_add(), as bits. */
#define QUIC_CRYPTO_DIFFERS  0x1  /* overlapping bytes disagree */
#define QUIC_CRYPTO_TOO_LONG 0x2  /* past QUIC_CRYPTO_MAX: not kept */
#define QUIC_CRYPTO_NOMEM    0x4

struct quic_crypto {
	uint8_t *buf;               /* byte i of the stream at buf[i] */
	uint8_t *have;              /* bit i: byte i received */
	uint32_t cap;               /* bytes allocated in buf */
	uint32_t delivered;         /* the prefix handed on */
};

typedef void (*quic_crypto_deliver_fn)(void *arg, const uint8_t *data, size_t len);

/* Adds one frame's bytes; calls deliver (synchronously) with each newly
 * contiguous run. Returns QUIC_CRYPTO_* bits (0: all well). A zeroed struct
 * is empty; quic_crypto_free() releases it (and leaves it empty). */
unsigned quic_crypto_add(struct quic_crypto *c, uint64_t off, const uint8_t *data, size_t len,
			 quic_crypto_deliver_fn deliver, void *arg);
void quic_crypto_free(struct quic_crypto *c);

/* True when bytes already received at off..off+len disagree with data
 * (nothing is added). */
bool quic_crypto_differs(const struct quic_crypto *c, uint64_t off, const uint8_t *data,
			 size_t len);

#endif
