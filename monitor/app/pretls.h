/*
 * pretls: the application protocol a TLS session may start inside of.
 *
 * Some TLS does not start at a connection's first byte: a proxy tunnel
 * (HTTP CONNECT, SOCKS4/4a/5) names the real destination first, and
 * STARTTLS protocols (SMTP, IMAP, POP3, FTP, NNTP, ManageSieve, XMPP, LDAP,
 * PostgreSQL, MySQL) talk in clear text until both ends agree to upgrade.
 * This step recognises such an exchange by its bytes (not by port: the
 * flow's first segment, which holds the first message whole), reads
 * it until the TLS handshake starts, and tells the engine where TLS begins
 * in each direction. What it learned (the protocol, the tunnel's
 * destination, whether the server offered STARTTLS, whether the client
 * sent credentials in clear text) stays here for the events and the policy.
 *
 * Bounded: at most PRETLS_MAX_BYTES of clear text per direction and units
 * (lines, messages) of at most PRETLS_UNIT_MAX bytes; past either, or on
 * bytes that break the protocol, the step gives up (pretls_feed returns
 * PRETLS_GIVE_UP and an anomaly bit is left in `anomalies`), so a flow is
 * never held waiting. Pure: no I/O; a flow found to carry such a protocol
 * gets one buffer (2 * PRETLS_UNIT_MAX), freed by pretls_free().
 */
#ifndef SECAUDIT_PRETLS_H
#define SECAUDIT_PRETLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRETLS_MAX_BYTES 16384
#define PRETLS_UNIT_MAX  2048
#define PRETLS_HOST_MAX  256

enum pretls_proto {
	PRETLS_UNKNOWN = 0,      /* nothing seen yet */
	PRETLS_NONE,             /* TLS from the first byte, or not ours */
	PRETLS_HTTP_CONNECT,
	PRETLS_SOCKS4,
	PRETLS_SOCKS4A,
	PRETLS_SOCKS5,
	PRETLS_SMTP,
	PRETLS_IMAP,
	PRETLS_POP3,
	PRETLS_FTP,
	PRETLS_NNTP,
	PRETLS_SIEVE,
	PRETLS_XMPP,
	PRETLS_LDAP,
	PRETLS_PGSQL,
	PRETLS_MYSQL,
};

/* Directions, as the TLS parser numbers them. */
enum { PRETLS_TO_SERVER = 0, PRETLS_TO_CLIENT = 1 };

struct pretls {
	uint8_t proto;              /* enum pretls_proto */
	bool requested;             /* the client asked for the tunnel / upgrade */
	bool caps_seen;             /* the server listed its capabilities */
	bool offered;               /* ... and STARTTLS was among them */
	bool cleartext_credentials; /* the client authenticated in clear text */
	bool upgraded[2];           /* TLS has begun in this direction */
	bool gave_up;
	bool news;                  /* caps_seen or cleartext_credentials just became true */
	uint64_t anomalies;         /* enum anomaly bits not yet taken */
	/* A tunnel's destination as the client named it (host: a name, or an
	 * address as text) and as the proxy answered (SOCKS: bound address). */
	char host[PRETLS_HOST_MAX];
	uint16_t port;
	/* private */
	uint8_t state[2];           /* the protocol's own, per direction */
	uint16_t have[2];           /* bytes of an unfinished unit in buf */
	uint32_t skip[2];           /* bytes left of a unit too long to keep */
	uint32_t seen[2];           /* clear-text bytes read per direction */
	uint8_t *buf;               /* 2 * PRETLS_UNIT_MAX, once a protocol is found */
};

enum pretls_result {
	PRETLS_PREAMBLE,            /* all of data was clear text */
	PRETLS_TLS,                 /* *tls_at: where TLS begins in data */
	PRETLS_GIVE_UP,             /* not followable: stop inspecting the flow */
};

/*
 * Feeds the next in-order bytes of one direction (dir: PRETLS_TO_SERVER or
 * PRETLS_TO_CLIENT). server_port helps tell SMTP from FTP when the client's
 * first command does not. Once a direction returned PRETLS_TLS (or the flow
 * is PRETLS_NONE) every later call returns PRETLS_TLS with *tls_at 0.
 */
enum pretls_result pretls_feed(struct pretls *p, int dir, const uint8_t *data, size_t len,
			       uint16_t server_port, size_t *tls_at);

/* Bytes of dir were lost (a reassembly gap). After a tunnel or upgrade
 * was asked for, what follows is taken as TLS (its start was lost); the
 * unfinished unit of that direction is dropped. */
void pretls_gap(struct pretls *p, int dir);

/* Releases the buffer (p stays valid, its facts readable). */
void pretls_free(struct pretls *p);

/* The flow ended while the exchange was unfinished: an anomaly when a
 * tunnel or upgrade had been asked for. */
void pretls_eof(struct pretls *p);

/* Returns and clears the anomaly bits. */
uint64_t pretls_take_anomalies(struct pretls *p);

/* A milestone bit beside tls.h's TLS_EV_*: the policy has new facts to
 * judge (the server listed its capabilities, or the client sent
 * credentials in clear text). */
#define PRETLS_EV_FACTS 0x8000u
/* PRETLS_EV_FACTS once after each such change, else 0. */
unsigned pretls_take_events(struct pretls *p);

/* Whether p is a STARTTLS protocol (else a tunnel, or nothing). */
bool pretls_is_starttls(enum pretls_proto proto);
/* "smtp", "imap", "pop3", "ftp", "nntp", "sieve", "xmpp", "ldap", "pgsql",
 * "mysql" (Suricata's app-layer names, as its tls.from_proto), "http",
 * "socks4", "socks4a", "socks5"; NULL for UNKNOWN and NONE. */
const char *pretls_proto_name(enum pretls_proto proto);

#endif
