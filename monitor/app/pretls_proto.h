/*
 * pretls_proto: what pretls.c asks of each protocol family (private to
 * monitor/app). A unit is one message of the protocol: a line, a SOCKS
 * message, a BER element, a length-prefixed packet, an XML tag.
 */
#ifndef SECAUDIT_PRETLS_PROTO_H
#define SECAUDIT_PRETLS_PROTO_H

#include "app/pretls.h"

enum pretls_step {
	STEP_MORE,                  /* unit read; the exchange goes on */
	STEP_GIVE_UP,               /* well-formed, but no TLS will follow */
	STEP_BAD,                   /* breaks the protocol: an anomaly */
};

/* Length of the unit that starts at b (n bytes buffered): > 0, it may be
 * longer than n (only its first bytes are then shown to the unit
 * function); 0, more bytes are needed; -1, malformed. */
typedef long (*pretls_frame_fn)(const struct pretls *p, int dir, const uint8_t *b, size_t n);
/* One unit (u, n bytes; truncated when the unit was longer than kept). */
typedef enum pretls_step (*pretls_unit_fn)(struct pretls *p, int dir, const uint8_t *u,
					   size_t n, bool truncated);

/* app/proxy.c: HTTP CONNECT, SOCKS4/4a/5. */
enum pretls_proto proxy_detect(const uint8_t *b, size_t n);
long proxy_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n);
enum pretls_step proxy_unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
			    bool truncated);

/* app/starttls.c: the STARTTLS protocols. dir is the direction of the
 * flow's first bytes. */
enum pretls_proto starttls_detect(int dir, const uint8_t *b, size_t n, uint16_t server_port);
long starttls_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n);
enum pretls_step starttls_unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
			       bool truncated);

/* Case-insensitive: whether the n bytes at b start with word. */
bool pretls_starts(const uint8_t *b, size_t n, const char *word);

#endif
