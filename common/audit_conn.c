/* audit_conn: framed non-blocking TLS connection; contract in audit_conn.h. */
#include "audit_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

int audit_conn_init(struct audit_conn *c, int fd, SSL_CTX *ctx, bool server)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -ENOMEM;
	}
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	return 0;
}

/* Maps an SSL result: 0 to retry later (setting want_write), -1 failed. */
static int ssl_retry(struct audit_conn *c, int rc)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		c->want_write = false;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		return 0;
	default:
		return -1;
	}
}

int audit_conn_handshake(struct audit_conn *c)
{
	int rc = SSL_do_handshake(c->ssl);

	if (rc == 1) {
		c->established = true;
		c->want_write = false;
		return 1;
	}
	return ssl_retry(c, rc) == 0 ? 0 : -EPROTO;
}

int audit_conn_read(struct audit_conn *c)
{
	int rc, total = 0, err;

	/* Consumed input is dropped when moving what follows costs no more
	 * than what it frees, or when the cap would stop the reading. What
	 * follows is a frame still coming (a package of up to AW_MAX_PAYLOAD
	 * arrives in many reads): moving it at every read copied it over and
	 * over (memmove was a tenth of secaudit-server's time in perf). */
	if (c->in_off && (c->in_off >= c->in.len - c->in_off ||
			  c->in.len >= AUDIT_CONN_IN_MAX / 2)) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	while (c->in.len < AUDIT_CONN_IN_MAX) {
		if (!buf_reserve(&c->in, 65536))
			return -EIO;
		rc = SSL_read(c->ssl, c->in.data + c->in.len,
			      (int)(c->in.cap - c->in.len));
		if (rc > 0) {
			c->in.len += (size_t)rc;
			total += rc;
			continue;
		}
		c->read_errno = errno;
		err = SSL_get_error(c->ssl, rc);
		c->read_err = err;
		if (err == SSL_ERROR_ZERO_RETURN)
			return total ? total : -EPIPE;
		if (ssl_retry(c, rc) == 0)
			return total;
		/* the error queue says why (e.g. a TLS alert); the caller clears it */
		return total ? total : (err == SSL_ERROR_SYSCALL ? -EPIPE : -EIO);
	}
	return total;
}

void audit_conn_read_why(struct audit_conn *c, char *out, size_t n)
{
	unsigned long e = ERR_peek_last_error();

	if (c->read_err == SSL_ERROR_ZERO_RETURN)
		snprintf(out, n, "closed by the peer (close_notify)");
	else if (e)
		ERR_error_string_n(e, out, n);
	else if (c->read_err == SSL_ERROR_SYSCALL && c->read_errno)
		snprintf(out, n, "%s", strerror(c->read_errno));
	else if (c->read_err == SSL_ERROR_SYSCALL)
		snprintf(out, n, "connection closed without close_notify");
	else
		snprintf(out, n, "TLS read failed (SSL error %d)", c->read_err);
	ERR_clear_error();
}

int audit_conn_flush(struct audit_conn *c)
{
	int rc;

	while (c->out_off < c->out.len) {
		size_t n = c->out.len - c->out_off;

		rc = SSL_write(c->ssl, c->out.data + c->out_off,
			       n > (1u << 30) ? (1 << 30) : (int)n);
		if (rc > 0) {
			c->out_off += (size_t)rc;
			continue;
		}
		if (ssl_retry(c, rc) == 0)
			return 0;
		ERR_clear_error();
		return -EIO;
	}
	c->out.len = c->out_off = 0;
	return 0;
}

int audit_conn_frame(struct audit_conn *c, struct aw_frame *f)
{
	struct cursor cur = cur_make((const uint8_t *)c->in.data + c->in_off,
				     c->in.len - c->in_off);
	size_t before = cur_left(&cur);
	int rc = aw_frame_next(&cur, f);

	if (rc == 1)
		c->in_off += before - cur_left(&cur);
	return rc;
}

short audit_conn_events(const struct audit_conn *c)
{
	short ev = POLLIN;

	if (c->want_write || c->out_off < c->out.len)
		ev |= POLLOUT;
	return ev;
}

bool audit_conn_pending_out(const struct audit_conn *c)
{
	return c->out_off < c->out.len;
}

void audit_conn_close(struct audit_conn *c)
{
	if (c->ssl) {
		if (c->established)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd > 0)
		close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
