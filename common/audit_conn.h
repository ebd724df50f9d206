/*
 * audit_conn: one non-blocking TLS connection carrying audit_wire frames,
 * for a poll() loop. Incoming bytes collect in `in` until whole frames are
 * there; outgoing frames are appended to `out` and flushed as the socket
 * takes them.
 *
 * The connection owns fd and ssl; audit_conn_close() frees both and the
 * buffers and accepts a zeroed struct.
 */
#ifndef SECAUDIT_AUDIT_CONN_H
#define SECAUDIT_AUDIT_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "audit_wire.h"
#include "buf.h"

/* Bytes of input held before the reader stops reading (backpressure). */
#define AUDIT_CONN_IN_MAX (AW_MAX_PAYLOAD + AW_HEADER_LEN + 65536)

struct audit_conn {
	int fd;
	SSL *ssl;
	bool established;
	bool want_write;	/* the last SSL call needs POLLOUT */
	struct buf in;
	size_t in_off;
	struct buf out;
	size_t out_off;
	int read_err;		/* SSL_get_error of the read that failed */
	int read_errno;		/* errno then, for SSL_ERROR_SYSCALL */
};

/* Takes ownership of fd; 0 or -ENOMEM. */
int audit_conn_init(struct audit_conn *c, int fd, SSL_CTX *ctx, bool server);
/* 1 when the handshake is done, 0 to be called again, -EPROTO on failure
 * (then tls_ctx_why(c->ssl) says why). */
int audit_conn_handshake(struct audit_conn *c);
/* Reads what is available. >0 bytes read, 0 nothing now, -EPIPE at the
 * peer's close, -EIO on error; after an error OpenSSL's error queue holds
 * the reason: audit_conn_read_why says it and clears the queue (or the
 * caller clears it, ERR_clear_error). */
int audit_conn_read(struct audit_conn *c);
/* Why the last audit_conn_read failed, in words (OpenSSL's error string,
 * the system's, or the peer's close_notify); clears the error queue. */
void audit_conn_read_why(struct audit_conn *c, char *out, size_t n);
/* Writes pending output. 0 (all written or would block) or -EIO. */
int audit_conn_flush(struct audit_conn *c);
/*
 * Takes the next whole frame from the input. 1 with *f (pointing into the
 * input buffer, valid until the next audit_conn_read), 0 when none is
 * complete, or aw_frame_next's error.
 */
int audit_conn_frame(struct audit_conn *c, struct aw_frame *f);
/* poll() events the connection waits for. */
short audit_conn_events(const struct audit_conn *c);
bool audit_conn_pending_out(const struct audit_conn *c);
void audit_conn_close(struct audit_conn *c);

#endif
