/*
 * pretls: each protocol's clear-text start, as its client and server send
 * it, is read up to the first TLS byte; the facts (protocol, destination,
 * STARTTLS offered, credentials in clear) are kept; broken or endless
 * exchanges give up with an anomaly. Every transcript is also fed one byte
 * at a time, which must give the same answer.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "app/pretls.h"
#include "net/anomaly.h"

#define C PRETLS_TO_SERVER
#define S PRETLS_TO_CLIENT

struct msg {
	int dir;
	const char *bytes;
	size_t len;
};

static const char hello[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00";

/* Feeds the messages, then a ClientHello from the client and a
 * ServerHello-like record from the server. Returns how many of the two TLS
 * records began where they should. */
static int run(struct pretls *p, const struct msg *m, size_t n, uint16_t port, bool bytewise)
{
	size_t i, k, at;
	int tls = 0;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < n; i++) {
		size_t len = m[i].len;
		/* A flow's protocol is told from its first segment, which
		 * holds the whole first message: only later ones are split. */
		bool split = bytewise && i > 0;

		for (k = 0; k < len; k += split ? 1 : len) {
			size_t step = split ? 1 : len;
			enum pretls_result r = pretls_feed(p, m[i].dir, (const uint8_t *)m[i].bytes + k,
							   step, port, &at);

			if (r == PRETLS_GIVE_UP)
				return -1;
			cr_assert_eq(r, PRETLS_PREAMBLE, "message %zu byte %zu: %d", i, k, r);
		}
	}
	for (i = 0; i < 2; i++) {
		enum pretls_result r = pretls_feed(p, i ? S : C, (const uint8_t *)hello,
						   sizeof(hello) - 1, port, &at);

		tls += r == PRETLS_TLS && at == 0;
	}
	return tls;
}

/* Both feedings agree; returns the result of the whole-message one. */
static int both(struct pretls *p, const struct msg *m, size_t n, uint16_t port)
{
	struct pretls q;
	int a = run(&q, m, n, port, true);
	int b = run(p, m, n, port, false);

	cr_assert_eq(a, b, "byte by byte %d, whole %d", a, b);
	cr_assert_eq(q.proto, p->proto);
	cr_assert_eq(q.offered, p->offered);
	cr_assert_eq(q.cleartext_credentials, p->cleartext_credentials);
	cr_assert_str_eq(q.host, p->host);
	pretls_free(&q);
	return b;
}

#define BOTH(p, m, port) both(p, m, sizeof(m) / sizeof(m[0]), port)

Test(pretls, tls_from_the_first_byte)
{
	struct pretls p = { 0 };
	size_t at = 99;

	cr_assert_eq(pretls_feed(&p, C, (const uint8_t *)hello, 10, 443, &at), PRETLS_TLS);
	cr_assert_eq(at, 0);
	cr_assert_eq(p.proto, PRETLS_NONE);
	cr_assert_null(p.buf);
}

Test(pretls, http_connect_after_a_407)
{
	static const struct msg m[] = {
		{ C, "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: x\r\n\r\n", sizeof("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: x\r\n\r\n") - 1 },
		{ S, "HTTP/1.1 407 Proxy Authentication Required\r\nX: y\r\n\r\n", sizeof("HTTP/1.1 407 Proxy Authentication Required\r\nX: y\r\n\r\n") - 1 },
		{ C, "CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eA==\r\n\r\n", sizeof("CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eA==\r\n\r\n") - 1 },
		{ S, "HTTP/1.0 200 Connection established\r\n\r\n", sizeof("HTTP/1.0 200 Connection established\r\n\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 3128), 2);
	cr_assert_eq(p.proto, PRETLS_HTTP_CONNECT);
	cr_assert_str_eq(p.host, "example.com");
	cr_assert_eq(p.port, 443);
	pretls_free(&p);
}

/* The request and reply of ja4/socks4-https.pcap. */
Test(pretls, socks4a)
{
	static const struct msg m[] = {
		{ C, "\x04\x01\x01\xbb\x00\x00\x00\x01" "fd7bcf7b5c9e1d\0login.live.com", 38 },
		{ S, "\x00\x5a\x01\xbb\x83\xfd\x3d\x50", 8 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 9901), 2);
	cr_assert_eq(p.proto, PRETLS_SOCKS4A);
	cr_assert_str_eq(p.host, "login.live.com");
	cr_assert_eq(p.port, 443);
	pretls_free(&p);
}

Test(pretls, socks4_refused_gives_up)
{
	static const struct msg m[] = {
		{ C, "\x04\x01\x01\xbb\xc6\x12\x02\x02" "u", 10 },
		{ S, "\x00\x5b\x00\x00\x00\x00\x00\x00", 8 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 1080), -1);
	cr_assert_str_eq(p.host, "198.18.2.2");
	cr_assert_eq(pretls_take_anomalies(&p), 0, "a refusal is no anomaly");
}

Test(pretls, socks5_with_password)
{
	static const struct msg m[] = {
		{ C, "\x05\x02\x00\x02", 4 },
		{ S, "\x05\x02", 2 },
		{ C, "\x01\x04user\x04pass", 11 },
		{ S, "\x01\x00", 2 },
		{ C, "\x05\x01\x00\x03\x0b" "example.com\x01\xbb", 18 },
		{ S, "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38", 10 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 1080), 2);
	cr_assert_eq(p.proto, PRETLS_SOCKS5);
	cr_assert_str_eq(p.host, "example.com");
	cr_assert_eq(p.port, 443);
	cr_assert(p.cleartext_credentials);
	pretls_free(&p);
}

Test(pretls, socks5_ipv6_no_auth)
{
	static const struct msg m[] = {
		{ C, "\x05\x01\x00", 3 },
		{ S, "\x05\x00", 2 },
		{ C, "\x05\x01\x00\x04\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x01\xbb", 22 },
		{ S, "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38", 10 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 1080), 2);
	cr_assert_str_eq(p.host, "2001:db8::1");
	pretls_free(&p);
}

Test(pretls, smtp_starttls_offered)
{
	static const struct msg m[] = {
		{ S, "220 mx.example ESMTP Postfix\r\n", sizeof("220 mx.example ESMTP Postfix\r\n") - 1 },
		{ C, "EHLO client\r\n", sizeof("EHLO client\r\n") - 1 },
		{ S, "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 CHUNKING\r\n", sizeof("250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 CHUNKING\r\n") - 1 },
		{ C, "STARTTLS\r\n", sizeof("STARTTLS\r\n") - 1 },
		{ S, "220 2.0.0 Ready to start TLS\r\n", sizeof("220 2.0.0 Ready to start TLS\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 25), 2);
	cr_assert_eq(p.proto, PRETLS_SMTP);
	cr_assert(p.offered && p.caps_seen && !p.cleartext_credentials);
	cr_assert_str_eq(pretls_proto_name(p.proto), "smtp");
	pretls_free(&p);
}

/* No STARTTLS in the EHLO answer (stripped), and AUTH in clear text. */
Test(pretls, smtp_stripped_and_auth_in_clear)
{
	static const struct msg m[] = {
		{ S, "220 mx.example ESMTP\r\n", sizeof("220 mx.example ESMTP\r\n") - 1 },
		{ C, "EHLO client\r\n", sizeof("EHLO client\r\n") - 1 },
		{ S, "250-mx.example\r\n250 AUTH PLAIN\r\n", sizeof("250-mx.example\r\n250 AUTH PLAIN\r\n") - 1 },
		{ C, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n", sizeof("AUTH PLAIN AHVzZXIAcGFzcw==\r\n") - 1 },
		{ S, "235 ok\r\n", sizeof("235 ok\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 587), 0, "no TLS may begin without a request");
	cr_assert(p.caps_seen && !p.offered && p.cleartext_credentials);
	pretls_free(&p);
}

Test(pretls, smtp_refused_starttls_stays_clear)
{
	static const struct msg m[] = {
		{ S, "220 mx ESMTP\r\n", sizeof("220 mx ESMTP\r\n") - 1 },
		{ C, "STARTTLS\r\n", sizeof("STARTTLS\r\n") - 1 },
		{ S, "454 4.7.0 TLS not available\r\n", sizeof("454 4.7.0 TLS not available\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 25), 0);
	cr_assert_not(p.requested);
	pretls_free(&p);
}

Test(pretls, ftp_auth_tls_by_bytes_not_port)
{
	static const struct msg m[] = {
		{ S, "220 (vsFTPd 3.0.3)\r\n", sizeof("220 (vsFTPd 3.0.3)\r\n") - 1 },
		{ C, "FEAT\r\n", sizeof("FEAT\r\n") - 1 },
		{ S, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n", sizeof("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n") - 1 },
		{ C, "AUTH TLS\r\n", sizeof("AUTH TLS\r\n") - 1 },
		{ S, "234 Proceed with negotiation.\r\n", sizeof("234 Proceed with negotiation.\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 2121), 2);
	cr_assert_eq(p.proto, PRETLS_FTP);
	cr_assert(p.offered);
	pretls_free(&p);
}

Test(pretls, imap_pop3_nntp_sieve)
{
	static const struct msg imap[] = {
		{ S, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n", sizeof("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n") - 1 },
		{ C, "a1 STARTTLS\r\n", sizeof("a1 STARTTLS\r\n") - 1 },
		{ S, "a1 OK Begin TLS negotiation now.\r\n", sizeof("a1 OK Begin TLS negotiation now.\r\n") - 1 },
	};
	static const struct msg pop3[] = {
		{ S, "+OK Dovecot ready.\r\n", sizeof("+OK Dovecot ready.\r\n") - 1 },
		{ C, "CAPA\r\n", sizeof("CAPA\r\n") - 1 },
		{ S, "+OK\r\nTOP\r\nSTLS\r\nUIDL\r\n.\r\n", sizeof("+OK\r\nTOP\r\nSTLS\r\nUIDL\r\n.\r\n") - 1 },
		{ C, "STLS\r\n", sizeof("STLS\r\n") - 1 },
		{ S, "+OK Begin TLS negotiation now.\r\n", sizeof("+OK Begin TLS negotiation now.\r\n") - 1 },
	};
	static const struct msg nntp[] = {
		{ S, "200 news ready\r\n", sizeof("200 news ready\r\n") - 1 },
		{ C, "STARTTLS\r\n", sizeof("STARTTLS\r\n") - 1 },
		{ S, "382 Continue with TLS negotiation\r\n", sizeof("382 Continue with TLS negotiation\r\n") - 1 },
	};
	static const struct msg sieve[] = {
		{ S, "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n", sizeof("\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n") - 1 },
		{ C, "STARTTLS\r\n", sizeof("STARTTLS\r\n") - 1 },
		{ S, "OK \"Begin TLS negotiation now.\"\r\n", sizeof("OK \"Begin TLS negotiation now.\"\r\n") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, imap, 143), 2);
	cr_assert(p.proto == PRETLS_IMAP && p.offered);
	pretls_free(&p);
	cr_assert_eq(BOTH(&p, pop3, 110), 2);
	cr_assert(p.proto == PRETLS_POP3 && p.offered && p.caps_seen);
	pretls_free(&p);
	cr_assert_eq(BOTH(&p, nntp, 119), 2);
	cr_assert_eq(p.proto, PRETLS_NNTP);
	pretls_free(&p);
	cr_assert_eq(BOTH(&p, sieve, 4190), 2);
	cr_assert(p.proto == PRETLS_SIEVE && p.offered);
	pretls_free(&p);
}

Test(pretls, xmpp)
{
	static const struct msg m[] = {
		{ C, "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
		     "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", sizeof("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
		     "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>") - 1 },
		{ S, "<?xml version='1.0'?><stream:stream id='1' version='1.0'><stream:features>"
		     "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
		     "<mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>", sizeof("<?xml version='1.0'?><stream:stream id='1' version='1.0'><stream:features>"
		     "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
		     "<mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>") - 1 },
		{ C, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", sizeof("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") - 1 },
		{ S, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", sizeof("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") - 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 5222), 2);
	cr_assert(p.proto == PRETLS_XMPP && p.offered && p.caps_seen);
	pretls_free(&p);
}

/* The StartTLS request and answer of suricata-verify's ldap-starttls. */
Test(pretls, ldap)
{
	static const struct msg m[] = {
		{ C, "\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037", 31 },
		{ S, "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00", 14 },
	};
	static const struct msg bind[] = {
		{ C, "\x30\x16\x02\x01\x01\x60\x11\x02\x01\x03\x04\x06" "cn=bob\x80\x04" "pass", 24 },
		{ S, "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", 14 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 389), 2);
	cr_assert_eq(p.proto, PRETLS_LDAP);
	pretls_free(&p);
	cr_assert_eq(BOTH(&p, bind, 389), 0);
	cr_assert(p.cleartext_credentials);
	pretls_free(&p);
}

Test(pretls, pgsql)
{
	static const struct msg yes[] = {
		{ C, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8 },
		{ S, "S", 1 },
	};
	static const struct msg no[] = {
		{ C, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8 },
		{ S, "N", 1 },
		{ C, "\x00\x00\x00\x0d\x00\x03\x00\x00" "user\0", 13 },
		{ S, "R\x00\x00\x00\x08\x00\x00\x00\x03", 9 },
		{ C, "p\x00\x00\x00\x09" "pass\0", 10 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, yes, 5432), 2);
	cr_assert(p.proto == PRETLS_PGSQL && p.offered);
	pretls_free(&p);
	cr_assert_eq(BOTH(&p, no, 5432), 0);
	cr_assert(p.caps_seen && !p.offered && p.cleartext_credentials);
	pretls_free(&p);
}

#define MYSQL_GREETING \
	"\x34\x00\x00\x00\x0a" "8.0.33\0" "\x0a\x00\x00\x00" "abcdefgh\0" "\xff\xff\x21\x02\x00" \
	"\xff\xdf\x15" "\0\0\0\0\0\0\0\0\0\0" "ijklmnopqrst\0"

Test(pretls, mysql)
{
	static const struct msg m[] = {
		{ S, MYSQL_GREETING, 56 },
		{ C, "\x20\x00\x00\x01\x05\x8a\xaf\x01" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		     "\0\0\0\0\0\0\0\0", 36 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 3306), 2);
	cr_assert(p.proto == PRETLS_MYSQL && p.offered && p.requested);
	pretls_free(&p);
}

/* ---- bad and endless exchanges ---------------------------------------- */

Test(pretls, malformed_is_an_anomaly)
{
	static const struct msg socks[] = {
		{ C, "\x05\x01\x00", 3 },
		{ S, "\x05\x00", 2 },
		{ C, "\x05\x01\x00\x09\x00\x00", 6 },   /* address type 9 */
	};
	static const struct msg ldap[] = {
		{ C, "\x30\x05\x02\x01\x01\x77\x02\x04\x00", 9 }, /* name is not [0] */
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, socks, 1080), -1);
	cr_assert_eq(pretls_take_anomalies(&p), 1ULL << ANOM_PRETLS_MALFORMED);
	cr_assert_null(p.buf);
	cr_assert_eq(BOTH(&p, ldap, 389), -1);
	cr_assert_eq(pretls_take_anomalies(&p), 1ULL << ANOM_PRETLS_MALFORMED);
}

Test(pretls, endless_line_and_endless_talk_give_up)
{
	static char line[PRETLS_UNIT_MAX + 10];
	struct pretls p = { 0 };
	size_t at;
	int i;
	enum pretls_result r = PRETLS_PREAMBLE;

	memset(line, 'a', sizeof(line));
	cr_assert_eq(pretls_feed(&p, S, (const uint8_t *)"220 x ESMTP\r\n", 13, 25, &at),
		     PRETLS_PREAMBLE);
	cr_assert_eq(pretls_feed(&p, C, (const uint8_t *)line, sizeof(line), 25, &at),
		     PRETLS_GIVE_UP);
	cr_assert_eq(pretls_take_anomalies(&p), 1ULL << ANOM_PRETLS_TOO_LONG);
	memset(&p, 0, sizeof(p));
	pretls_feed(&p, S, (const uint8_t *)"220 x ESMTP\r\n", 13, 25, &at);
	for (i = 0; i < 10000 && r == PRETLS_PREAMBLE; i++)
		r = pretls_feed(&p, C, (const uint8_t *)"NOOP\r\n", 6, 25, &at);
	cr_assert_eq(r, PRETLS_GIVE_UP);
	cr_assert_leq(i * 6, PRETLS_MAX_BYTES + 6);
	cr_assert_eq(pretls_take_anomalies(&p), 1ULL << ANOM_PRETLS_TOO_LONG);
}

Test(pretls, unfinished_request_at_eof)
{
	struct pretls p = { 0 };
	size_t at;

	pretls_feed(&p, C, (const uint8_t *)"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8, 5432, &at);
	pretls_eof(&p);
	cr_assert_eq(pretls_take_anomalies(&p), 1ULL << ANOM_PRETLS_UNFINISHED);
	pretls_free(&p);
}

/* A gap after the request: TLS follows, its start lost. */
Test(pretls, gap_after_request_is_tls)
{
	struct pretls p = { 0 };
	size_t at;

	pretls_feed(&p, C, (const uint8_t *)"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8, 5432, &at);
	pretls_gap(&p, C);
	cr_assert_eq(pretls_feed(&p, C, (const uint8_t *)"\x17\x03\x03", 3, 5432, &at), PRETLS_TLS);
	pretls_free(&p);
}

/* libpq: GSSENCRequest first, 'N', then SSLRequest on the same connection. */
Test(pretls, pgsql_after_gssenc_refused)
{
	static const struct msg m[] = {
		{ C, "\x00\x00\x00\x08\x04\xd2\x16\x30", 8 },
		{ S, "N", 1 },
		{ C, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8 },
		{ S, "S", 1 },
	};
	struct pretls p;

	cr_assert_eq(BOTH(&p, m, 5432), 2);
	cr_assert(p.offered);
	pretls_free(&p);
}
