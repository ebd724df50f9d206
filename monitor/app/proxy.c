/*
 * proxy: the requests that open a proxy tunnel, and the proxy's answers.
 * After a granted request each direction carries the tunnelled bytes (TLS,
 * for us); the destination the client named is kept.
 *
 *   HTTP CONNECT (RFC 9110 9.3.6): "CONNECT host:port HTTP/1.1" and header
 *     lines up to a blank line; a 2xx answer opens the tunnel.
 *   SOCKS4 (Ying-Da Lee, "SOCKS 4"): VN=4 CD=1 DSTPORT(2) DSTIP(4) USERID NUL;
 *     SOCKS4a puts 0.0.0.x (x != 0) in DSTIP and the host name, NUL-ended,
 *     after USERID. Answer: VN=0 CD (90 granted) DSTPORT(2) DSTIP(4).
 *   SOCKS5 (RFC 1928): greeting VER=5 NMETHODS METHODS; answer VER METHOD;
 *     RFC 1929 username/password subnegotiation (VER=1 ULEN UNAME PLEN
 *     PASSWD; answer VER STATUS); request VER CMD RSV ATYP DST.ADDR DST.PORT;
 *     reply VER REP RSV ATYP BND.ADDR BND.PORT, REP 0 on success.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "app/pretls_proto.h"
#include "cursor.h"

/* Server-side SOCKS5 states. */
enum { S5_METHOD = 0, S5_AUTH, S5_REPLY };

enum pretls_proto proxy_detect(const uint8_t *b, size_t n)
{
	if (pretls_starts(b, n, "CONNECT "))
		return PRETLS_HTTP_CONNECT;
	if (n >= 9 && b[0] == 4 && b[1] == 1)
		return b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0 ? PRETLS_SOCKS4A :
									 PRETLS_SOCKS4;
	/* A greeting, possibly with the request pipelined behind it. */
	if (n >= 3 && b[0] == 5 && b[1] >= 1 && b[1] <= 16 && (size_t)b[1] + 2 <= n)
		return PRETLS_SOCKS5;
	return PRETLS_NONE;
}

/* A header block: up to and including its empty line. */
static long http_frame(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (b[i] == '\n' && b[i + 1] == '\n')
			return (long)i + 2;
		if (i + 3 < n && !memcmp(b + i, "\r\n\r\n", 4))
			return (long)i + 4;
	}
	return 0;
}

/* Offset just past the NUL at or after `from`, or 0 when none yet. */
static size_t past_nul(const uint8_t *b, size_t n, size_t from)
{
	const uint8_t *z = from < n ? memchr(b + from, 0, n - from) : NULL;

	return z ? (size_t)(z - b) + 1 : 0;
}

static long socks4_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	size_t end;

	if (dir == PRETLS_TO_CLIENT)
		return n >= 8 ? 8 : 0;
	if (n >= 2 && (b[0] != 4 || b[1] != 1))
		return -1;
	if (n < 9 || !(end = past_nul(b, n, 8)))
		return 0;
	if (p->proto == PRETLS_SOCKS4A && !(end = past_nul(b, n, end)))
		return 0;
	return (long)end;
}

/* A SOCKS5 address: ATYP and what follows it, with the port. */
static long socks5_addr_len(const uint8_t *b, size_t n)
{
	if (n < 4)
		return 0;
	switch (b[3]) {
	case 1: return 4 + 4 + 2;
	case 4: return 4 + 16 + 2;
	case 3: return n < 5 ? 0 : 4 + 1 + (long)b[4] + 2;
	default: return -1;
	}
}

static long socks5_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	if (n < 2)
		return 0;
	if (dir == PRETLS_TO_SERVER) {
		if (p->state[dir] == 0)
			return b[0] == 5 ? 2 + (long)b[1] : -1;
		if (b[0] == 1) /* RFC 1929 subnegotiation */
			return n < 2 + (size_t)b[1] + 1 ? 0 : 2 + (long)b[1] + 1 + b[2 + b[1]];
		return b[0] == 5 ? socks5_addr_len(b, n) : -1;
	}
	if (p->state[dir] == S5_METHOD || (p->state[dir] == S5_AUTH && b[0] == 1))
		return 2;
	return b[0] == 5 ? socks5_addr_len(b, n) : -1;
}

long proxy_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	switch (p->proto) {
	case PRETLS_HTTP_CONNECT: return http_frame(b, n);
	case PRETLS_SOCKS4:
	case PRETLS_SOCKS4A: return socks4_frame(p, dir, b, n);
	default: return socks5_frame(p, dir, b, n);
	}
}

/* "CONNECT host:port HTTP/1.1": keeps host and port. */
static enum pretls_step connect_request(struct pretls *p, const uint8_t *u, size_t n)
{
	const uint8_t *t = u + 8, *end = u + n, *sp, *colon;
	unsigned long port = 0;

	if (!pretls_starts(u, n, "CONNECT "))
		return STEP_GIVE_UP; /* the tunnel carries plain HTTP */
	sp = memchr(t, ' ', (size_t)(end - t));
	if (!sp)
		return STEP_BAD;
	for (colon = sp; colon > t && colon[-1] != ':'; colon--)
		if (colon[-1] < '0' || colon[-1] > '9')
			return STEP_BAD;
	if (colon == t || colon == sp || sp - colon > 5)
		return STEP_BAD;
	for (const uint8_t *d = colon; d < sp; d++)
		port = port * 10 + (unsigned long)(*d - '0');
	if (!port || port > 65535)
		return STEP_BAD;
	/* An IPv6 literal is bracketed: [2001:db8::1]:443. */
	if (*t == '[' && colon[-2] == ']')
		snprintf(p->host, sizeof(p->host), "%.*s", (int)(colon - t - 3), (const char *)t + 1);
	else
		snprintf(p->host, sizeof(p->host), "%.*s", (int)(colon - t - 1), (const char *)t);
	p->port = (uint16_t)port;
	p->requested = true;
	return STEP_MORE;
}

static enum pretls_step http_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	if (dir == PRETLS_TO_SERVER)
		return connect_request(p, u, n);
	if (!pretls_starts(u, n, "HTTP/1.") || n < 12)
		return STEP_BAD;
	if (u[9] != '2')  /* refused (407: authenticate, then ask again) */
		p->requested = false;
	return STEP_MORE;
}

static void put_ip(struct pretls *p, int family, const uint8_t *a)
{
	if (!inet_ntop(family, a, p->host, sizeof(p->host)))
		p->host[0] = 0;
}

static enum pretls_step socks4_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	struct cursor c = cur_make(u, n);
	const uint8_t *host;
	uint16_t port;

	if (dir == PRETLS_TO_CLIENT) {
		if (u[0] != 0)
			return STEP_BAD;
		return u[1] == 90 ? STEP_MORE : STEP_GIVE_UP;
	}
	if (!cur_skip(&c, 2) || !cur_u16(&c, &port) || !cur_bytes(&c, &host, 4))
		return STEP_BAD;
	p->port = port;
	if (p->proto == PRETLS_SOCKS4A) {
		size_t name = past_nul(u, n, 8);

		snprintf(p->host, sizeof(p->host), "%s", (const char *)u + name);
	} else {
		put_ip(p, AF_INET, host);
	}
	p->requested = true;
	return STEP_MORE;
}

static enum pretls_step socks5_request(struct pretls *p, const uint8_t *u, size_t n)
{
	struct cursor c = cur_make(u, n);
	const uint8_t *a;
	uint8_t cmd, atyp, len;
	uint16_t port;

	if (!cur_skip(&c, 1) || !cur_u8(&c, &cmd) || !cur_skip(&c, 1) || !cur_u8(&c, &atyp))
		return STEP_BAD;
	if (cmd != 1)
		return STEP_GIVE_UP; /* BIND, UDP ASSOCIATE: no TLS stream here */
	if (atyp == 3) {
		if (!cur_u8(&c, &len) || !cur_bytes(&c, &a, len))
			return STEP_BAD;
		snprintf(p->host, sizeof(p->host), "%.*s", (int)len, (const char *)a);
	} else if (!cur_bytes(&c, &a, atyp == 4 ? 16 : 4)) {
		return STEP_BAD;
	} else {
		put_ip(p, atyp == 4 ? AF_INET6 : AF_INET, a);
	}
	if (!cur_u16(&c, &port))
		return STEP_BAD;
	p->port = port;
	p->requested = true;
	return STEP_MORE;
}

static enum pretls_step socks5_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	uint8_t *st = &p->state[dir];

	if (dir == PRETLS_TO_SERVER) {
		if (*st == 0) {
			*st = 1;
			return STEP_MORE;
		}
		if (u[0] == 1) { /* username and password, in clear text */
			p->cleartext_credentials = true;
			return STEP_MORE;
		}
		return socks5_request(p, u, n);
	}
	if (*st == S5_METHOD) {
		if (u[1] == 0xff)
			return STEP_GIVE_UP; /* no acceptable method */
		*st = u[1] == 2 ? S5_AUTH : S5_REPLY;
		return STEP_MORE;
	}
	if (*st == S5_AUTH && u[0] == 1) {
		*st = S5_REPLY;
		return u[1] == 0 ? STEP_MORE : STEP_GIVE_UP;
	}
	return u[1] == 0 ? STEP_MORE : STEP_GIVE_UP;
}

enum pretls_step proxy_unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
			    bool truncated)
{
	if (truncated)
		return STEP_BAD; /* proxy messages are short */
	switch (p->proto) {
	case PRETLS_HTTP_CONNECT: return http_unit(p, dir, u, n);
	case PRETLS_SOCKS4:
	case PRETLS_SOCKS4A: return socks4_unit(p, dir, u, n);
	default: return socks5_unit(p, dir, u, n);
	}
}
