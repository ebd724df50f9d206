/*
 * starttls: the clear-text start of protocols that upgrade to TLS in-band.
 * For each: how the server lists STARTTLS among its capabilities, how the
 * client asks for the upgrade, how it would send credentials without it.
 *
 *   SMTP (RFC 3207): EHLO answered by "250-STARTTLS"; "STARTTLS" -> 220;
 *     "AUTH" in clear text.
 *   IMAP (RFC 9051 6.2.1): CAPABILITY lists STARTTLS; "tag STARTTLS";
 *     "tag LOGIN" / "tag AUTHENTICATE".
 *   POP3 (RFC 2595 4): CAPA lists STLS; "STLS"; "PASS", "APOP", "AUTH".
 *   FTP (RFC 4217): FEAT lists " AUTH TLS"; "AUTH TLS" -> 234; "PASS".
 *   NNTP (RFC 4642): CAPABILITIES lists STARTTLS; "STARTTLS" -> 382;
 *     "AUTHINFO".
 *   ManageSieve (RFC 5804 2.2): capability lines, "STARTTLS" among them,
 *     end with OK; "STARTTLS"; "AUTHENTICATE".
 *   XMPP (RFC 6120 5.4): <stream:features> holds <starttls/>; the client's
 *     <starttls/> is answered by <proceed/>; <auth> is SASL in clear text.
 *   LDAP (RFC 4511 4.14, 4.12): ExtendedRequest (APPLICATION 23) named
 *     1.3.6.1.4.1.1466.20037, ExtendedResponse (APPLICATION 24) resultCode
 *     0; a simple BindRequest (APPLICATION 0) with a password.
 *   PostgreSQL (protocol 3.0, "SSL Session Encryption"): SSLRequest (length
 *     8, code 80877103) answered by one byte, 'S' or 'N'; a
 *     PasswordMessage ('p') in clear text.
 *   MySQL (client/server protocol, "SSL Handshake"): the server's
 *     HandshakeV10 sets CLIENT_SSL (0x800) in its capabilities; the client's
 *     32-byte SSLRequest sets it too; a HandshakeResponse without it logs in
 *     in clear text.
 *
 * Whichever protocol, a refused upgrade (an error answer) withdraws the
 * request, and TLS is only looked for after a request (pretls.c).
 */
#include <string.h>

#include "app/pretls_proto.h"
#include "cursor.h"

#define PG_SSL_REQUEST   80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_PROTOCOL_3    196608u
#define MYSQL_CLIENT_SSL 0x0800u

static const char ldap_starttls_oid[] = "1.3.6.1.4.1.1466.20037";

/* Whether the n bytes at b contain word (case-insensitive). */
static bool contains(const uint8_t *b, size_t n, const char *word)
{
	size_t w = strlen(word), i;

	for (i = 0; i + w <= n; i++)
		if (pretls_starts(b + i, n - i, word))
			return true;
	return false;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t le24(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
}

/* A BER length (X.690 8.1.3), definite form, at most 4 bytes. */
static bool ber_len(struct cursor *c, uint32_t *len)
{
	uint8_t first, b;
	unsigned i;

	if (!cur_u8(c, &first))
		return false;
	if (!(first & 0x80)) {
		*len = first;
		return true;
	}
	if ((first & 0x7f) == 0 || (first & 0x7f) > 4)
		return false;
	*len = 0;
	for (i = 0; i < (first & 0x7fu); i++) {
		if (!cur_u8(c, &b))
			return false;
		*len = *len << 8 | b;
	}
	return true;
}

/* Opens an element with the given tag: *inner is its content. */
static bool ber_open(struct cursor *c, uint8_t tag, struct cursor *inner)
{
	uint8_t t;
	uint32_t len;

	return cur_u8(c, &t) && t == tag && ber_len(c, &len) && cur_sub(c, inner, len);
}

static bool ldap_message_start(const uint8_t *b, size_t n)
{
	struct cursor c = cur_make(b, n);
	uint8_t t, id;
	uint32_t len;

	return cur_u8(&c, &t) && t == 0x30 && ber_len(&c, &len) && cur_u8(&c, &id) && id == 0x02;
}

static bool mysql_greeting(const uint8_t *b, size_t n)
{
	return n >= 5 && le24(b) >= 20 && le24(b) < PRETLS_UNIT_MAX && b[3] == 0 && b[4] == 10;
}

enum pretls_proto starttls_detect(int dir, const uint8_t *b, size_t n, uint16_t server_port)
{
	if (dir == PRETLS_TO_SERVER) {
		if (n >= 8 && be32(b) == 8 &&
		    (be32(b + 4) == PG_SSL_REQUEST || be32(b + 4) == PG_GSSENC_REQUEST))
			return PRETLS_PGSQL;
		if (pretls_starts(b, n, "<?xml") || pretls_starts(b, n, "<stream:stream"))
			return PRETLS_XMPP;
		if (ldap_message_start(b, n))
			return PRETLS_LDAP;
		return PRETLS_NONE;
	}
	if (pretls_starts(b, n, "220")) {
		const uint8_t *eol = memchr(b, '\n', n);

		return contains(b, eol ? (size_t)(eol - b) : n, "FTP") || server_port == 21 ?
			       PRETLS_FTP : PRETLS_SMTP;
	}
	if (pretls_starts(b, n, "* OK"))
		return PRETLS_IMAP;
	if (pretls_starts(b, n, "+OK"))
		return PRETLS_POP3;
	if (pretls_starts(b, n, "200 ") || pretls_starts(b, n, "201 "))
		return PRETLS_NNTP;
	if (pretls_starts(b, n, "\"IMPLEMENTATION\"") || pretls_starts(b, n, "\"SIEVE\""))
		return PRETLS_SIEVE;
	if (mysql_greeting(b, n))
		return PRETLS_MYSQL;
	return PRETLS_NONE;
}

static long line_frame(const uint8_t *b, size_t n, uint8_t end)
{
	const uint8_t *e = memchr(b, end, n);

	return e ? (long)(e - b) + 1 : 0;
}

static long ldap_frame(const uint8_t *b, size_t n)
{
	struct cursor c = cur_make(b, n);
	uint8_t t;
	uint32_t len;

	if (!cur_u8(&c, &t) || !ber_len(&c, &len))
		return n >= 6 ? -1 : 0; /* a length of 4 bytes fits in 6 */
	if (t != 0x30 || len > (1u << 24))
		return -1;
	return (long)(n - cur_left(&c)) + (long)len;
}

static long pgsql_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	/* The server's state 0: a one-byte answer to SSLRequest or
	 * GSSENCRequest is due. */
	if (dir == PRETLS_TO_CLIENT && p->state[dir] == 0)
		return n ? 1 : 0;
	if (dir == PRETLS_TO_SERVER && p->state[dir] == 0) {
		if (n < 4)
			return 0;
		return be32(b) >= 8 && be32(b) < (1u << 20) ? (long)be32(b) : -1;
	}
	if (n < 5)
		return 0;
	return be32(b + 1) >= 4 && be32(b + 1) < (1u << 24) ? 1 + (long)be32(b + 1) : -1;
}

long starttls_frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	switch (p->proto) {
	case PRETLS_XMPP: return line_frame(b, n, '>');
	case PRETLS_LDAP: return ldap_frame(b, n);
	case PRETLS_PGSQL: return pgsql_frame(p, dir, b, n);
	case PRETLS_MYSQL: return n < 4 ? 0 : 4 + (long)le24(b);
	default: return line_frame(b, n, '\n');
	}
}

/* ---- line protocols ------------------------------------------------------ */

/* The client's command: the line, or for IMAP what follows its tag. */
static void command_of(const struct pretls *p, const uint8_t **u, size_t *n)
{
	const uint8_t *sp;

	if (p->proto == PRETLS_IMAP && (sp = memchr(*u, ' ', *n))) {
		*n -= (size_t)(sp + 1 - *u);
		*u = sp + 1;
	}
}

static bool is_word(const uint8_t *u, size_t n, const char *word)
{
	size_t w = strlen(word);

	return pretls_starts(u, n, word) && (n == w || u[w] == ' ' || u[w] == '\r' ||
					     u[w] == '\n');
}

static enum pretls_step client_line(struct pretls *p, const uint8_t *u, size_t n)
{
	command_of(p, &u, &n);
	if (is_word(u, n, "EHLO") || is_word(u, n, "HELO") || is_word(u, n, "LHLO")) {
		if (p->proto == PRETLS_FTP)
			p->proto = PRETLS_SMTP;
		return STEP_MORE;
	}
	if (pretls_starts(u, n, "AUTH TLS") || pretls_starts(u, n, "AUTH SSL")) {
		p->proto = PRETLS_FTP;
		p->requested = true;
		return STEP_MORE;
	}
	if (is_word(u, n, "STARTTLS") || is_word(u, n, "STLS")) {
		p->requested = true;
		return STEP_MORE;
	}
	if (is_word(u, n, "USER") || is_word(u, n, "FEAT") || is_word(u, n, "SYST")) {
		if (p->proto == PRETLS_SMTP)
			p->proto = PRETLS_FTP;
		return STEP_MORE;
	}
	if (is_word(u, n, "AUTH") || is_word(u, n, "PASS") || is_word(u, n, "APOP") ||
	    is_word(u, n, "LOGIN") || is_word(u, n, "AUTHENTICATE") || is_word(u, n, "AUTHINFO"))
		p->cleartext_credentials = true;
	/* A mail's content, or a session that stays in clear text. */
	if (is_word(u, n, "DATA") || is_word(u, n, "BDAT") || is_word(u, n, "RETR"))
		return STEP_GIVE_UP;
	return STEP_MORE;
}

/* A refusal: SMTP/FTP/NNTP 4xx and 5xx, POP3 -ERR, IMAP/Sieve NO and BAD. */
static bool refusal(const struct pretls *p, const uint8_t *u, size_t n)
{
	const uint8_t *sp;

	switch (p->proto) {
	case PRETLS_POP3:
		return pretls_starts(u, n, "-ERR");
	case PRETLS_IMAP:
		sp = memchr(u, ' ', n);
		return sp && u[0] != '*' &&
		       (is_word(sp + 1, n - (size_t)(sp + 1 - u), "NO") ||
			is_word(sp + 1, n - (size_t)(sp + 1 - u), "BAD"));
	case PRETLS_SIEVE:
		return is_word(u, n, "NO") || is_word(u, n, "BYE");
	default:
		return n >= 4 && (u[0] == '4' || u[0] == '5') && (u[3] == ' ' || u[3] == '\r');
	}
}

static enum pretls_step server_line(struct pretls *p, const uint8_t *u, size_t n)
{
	switch (p->proto) {
	case PRETLS_SMTP:
		if (pretls_starts(u, n, "250-STARTTLS") || pretls_starts(u, n, "250 STARTTLS"))
			p->offered = true;
		if (pretls_starts(u, n, "250 "))
			p->caps_seen = true;
		break;
	case PRETLS_FTP:
		if (u[0] == ' ' && contains(u, n, "AUTH TLS"))
			p->offered = true;
		if (pretls_starts(u, n, "211 "))
			p->caps_seen = true;
		break;
	case PRETLS_IMAP:
		if (contains(u, n, "CAPABILITY")) {
			p->caps_seen = true;
			if (contains(u, n, " STARTTLS"))
				p->offered = true;
		}
		break;
	case PRETLS_POP3:
	case PRETLS_NNTP:
		if (is_word(u, n, "STLS") || is_word(u, n, "STARTTLS"))
			p->offered = true;
		if (is_word(u, n, "."))
			p->caps_seen = true;
		break;
	case PRETLS_SIEVE:
		if (pretls_starts(u, n, "\"STARTTLS\""))
			p->offered = true;
		if (is_word(u, n, "OK"))
			p->caps_seen = true;
		break;
	default:
		break;
	}
	if (p->requested && refusal(p, u, n))
		p->requested = false;
	return STEP_MORE;
}

/* ---- XMPP ------------------------------------------------------------------ */

static enum pretls_step xmpp_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	const uint8_t *lt = memchr(u, '<', n);
	size_t left;

	if (!lt)
		return STEP_BAD; /* text up to '>' that opens no tag */
	left = n - (size_t)(lt - u);
	if (dir == PRETLS_TO_SERVER) {
		if (pretls_starts(lt, left, "<starttls"))
			p->requested = true;
		else if (pretls_starts(lt, left, "<auth"))
			p->cleartext_credentials = true;
		return STEP_MORE;
	}
	if (pretls_starts(lt, left, "<starttls"))
		p->offered = true;
	else if (pretls_starts(lt, left, "</stream:features"))
		p->caps_seen = true;
	else if (p->requested && pretls_starts(lt, left, "<failure"))
		p->requested = false;
	return STEP_MORE;
}

/* ---- LDAP ------------------------------------------------------------------ */

static enum pretls_step ldap_unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
				  bool truncated)
{
	struct cursor c = cur_make(u, n), msg, id, op, f;
	uint8_t tag;
	uint32_t len;

	if (!cur_u8(&c, &tag) || !ber_len(&c, &len))
		return STEP_BAD;
	msg = cur_make(cur_ptr(&c), cur_left(&c) < len ? cur_left(&c) : len);
	if (!ber_open(&msg, 0x02, &id) || !cur_u8(&msg, &tag) || !ber_len(&msg, &len))
		return STEP_BAD;
	if (truncated)
		return STEP_MORE; /* a long answer (search results): nothing to learn */
	if (!cur_sub(&msg, &op, len))
		return STEP_BAD;
	if (dir == PRETLS_TO_SERVER && tag == 0x77) {
		/* ExtendedRequest: requestName [0] LDAPOID */
		if (!ber_open(&op, 0x80, &f))
			return STEP_BAD;
		if (cur_left(&f) == sizeof(ldap_starttls_oid) - 1 &&
		    !memcmp(cur_ptr(&f), ldap_starttls_oid, cur_left(&f)))
			p->requested = true;
	} else if (dir == PRETLS_TO_SERVER && tag == 0x60) {
		/* BindRequest: version, name, authentication: simple [0] */
		if (!ber_open(&op, 0x02, &f) || !ber_open(&op, 0x04, &f))
			return STEP_BAD;
		if (ber_open(&op, 0x80, &f) && cur_left(&f))
			p->cleartext_credentials = true;
	} else if (dir == PRETLS_TO_CLIENT && tag == 0x78) {
		/* ExtendedResponse: resultCode ENUMERATED first */
		uint8_t code;

		if (!ber_open(&op, 0x0a, &f) || !cur_u8(&f, &code))
			return STEP_BAD;
		if (p->requested && code != 0)
			p->requested = false;
	}
	return STEP_MORE;
}

/* ---- PostgreSQL ------------------------------------------------------------- */

static enum pretls_step pgsql_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	if (dir == PRETLS_TO_SERVER && p->state[dir] == 0) {
		uint32_t code = n >= 8 ? be32(u + 4) : 0;

		if (code == PG_SSL_REQUEST) {
			p->requested = true;
			p->state[PRETLS_TO_CLIENT] = 0;
		} else if (code == PG_GSSENC_REQUEST) {
			/* libpq tries GSSAPI encryption first; 'N' and it asks
			 * for TLS on the same connection. */
			p->state[PRETLS_TO_CLIENT] = 0;
		} else if (code == PG_PROTOCOL_3) {
			/* the session goes on in clear text */
			p->state[dir] = 1;
			p->state[PRETLS_TO_CLIENT] = 1;
		} else {
			return STEP_BAD;
		}
		return STEP_MORE;
	}
	if (dir == PRETLS_TO_SERVER) {
		if (u[0] == 'p')
			p->cleartext_credentials = true;
		return STEP_MORE;
	}
	if (p->state[dir] == 0) {
		p->state[dir] = 1;
		if (u[0] == 'G')
			return STEP_GIVE_UP; /* GSSAPI encryption, not TLS */
		if (u[0] != 'S' && u[0] != 'N')
			return STEP_BAD;
		if (p->requested) {
			p->caps_seen = true;
			p->offered = u[0] == 'S';
			p->requested = u[0] == 'S';
		}
	}
	return STEP_MORE;
}

/* ---- MySQL ----------------------------------------------------------------- */

static enum pretls_step mysql_unit(struct pretls *p, int dir, const uint8_t *u, size_t n)
{
	struct cursor c = cur_make(u, n);
	const uint8_t *ver, *nul, *cb;
	uint32_t caps;
	uint8_t proto;

	if (!cur_skip(&c, 4))
		return STEP_BAD;
	if (dir == PRETLS_TO_CLIENT) {
		if (u[3] != 0)
			return STEP_MORE;
		/* HandshakeV10: version 10, server version NUL-ended, thread
		 * id (4), auth data part 1 (8), filler (1), capabilities low. */
		if (!cur_u8(&c, &proto) || proto != 10)
			return STEP_BAD;
		ver = cur_ptr(&c);
		nul = memchr(ver, 0, cur_left(&c));
		if (!nul || !cur_skip(&c, (size_t)(nul - ver) + 1 + 4 + 8 + 1) ||
		    !cur_bytes(&c, &cb, 2))
			return STEP_BAD;
		p->caps_seen = true;
		p->offered = (((unsigned)cb[1] << 8 | cb[0]) & MYSQL_CLIENT_SSL) != 0;
		return STEP_MORE;
	}
	if (u[3] != 1 || n < 8)
		return STEP_MORE;
	caps = (uint32_t)u[4] | (uint32_t)u[5] << 8 | (uint32_t)u[6] << 16 | (uint32_t)u[7] << 24;
	if (caps & MYSQL_CLIENT_SSL) {
		p->requested = true;
		return STEP_MORE;
	}
	/* A login without TLS: the user name and auth response in clear. */
	p->cleartext_credentials = true;
	return STEP_GIVE_UP;
}

enum pretls_step starttls_unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
			       bool truncated)
{
	switch (p->proto) {
	case PRETLS_XMPP: return xmpp_unit(p, dir, u, n);
	case PRETLS_LDAP: return ldap_unit(p, dir, u, n, truncated);
	case PRETLS_PGSQL: return pgsql_unit(p, dir, u, n);
	case PRETLS_MYSQL: return mysql_unit(p, dir, u, n);
	default:
		if (truncated)
			return STEP_BAD;
		return dir == PRETLS_TO_SERVER ? client_line(p, u, n) : server_line(p, u, n);
	}
}
