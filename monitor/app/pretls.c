/*
 * pretls: finds the clear-text exchange before TLS and reads it unit by
 * unit. See pretls.h for the contract, pretls_proto.h for what each
 * protocol family provides.
 */
#include "app/pretls.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app/pretls_proto.h"
#include "net/anomaly.h"

bool pretls_starts(const uint8_t *b, size_t n, const char *word)
{
	size_t i, w = strlen(word);

	if (n < w)
		return false;
	for (i = 0; i < w; i++)
		if (tolower(b[i]) != tolower((unsigned char)word[i]))
			return false;
	return true;
}

bool pretls_is_starttls(enum pretls_proto proto)
{
	return proto >= PRETLS_SMTP;
}

const char *pretls_proto_name(enum pretls_proto proto)
{
	switch (proto) {
	case PRETLS_HTTP_CONNECT: return "http";
	case PRETLS_SOCKS4: return "socks4";
	case PRETLS_SOCKS4A: return "socks4a";
	case PRETLS_SOCKS5: return "socks5";
	case PRETLS_SMTP: return "smtp";
	case PRETLS_IMAP: return "imap";
	case PRETLS_POP3: return "pop3";
	case PRETLS_FTP: return "ftp";
	case PRETLS_NNTP: return "nntp";
	case PRETLS_SIEVE: return "sieve";
	case PRETLS_XMPP: return "xmpp";
	case PRETLS_LDAP: return "ldap";
	case PRETLS_PGSQL: return "pgsql";
	case PRETLS_MYSQL: return "mysql";
	default: return NULL;
	}
}

/* A TLS record starts with its content type: a handshake (22) opens every
 * session the client starts. Clear-text units of the protocols here never
 * start with that byte. */
static bool tls_starts(const uint8_t *b, size_t n)
{
	return n && b[0] == 22;
}

static void give_up(struct pretls *p, enum anomaly a)
{
	if (a != ANOM_COUNT)
		p->anomalies |= 1ULL << a;
	p->gave_up = true;
	pretls_free(p);
}

static void detect(struct pretls *p, int dir, const uint8_t *b, size_t n, uint16_t server_port)
{
	enum pretls_proto proto = PRETLS_NONE;

	if (!tls_starts(b, n)) {
		proto = dir == PRETLS_TO_SERVER ? proxy_detect(b, n) : PRETLS_NONE;
		if (proto == PRETLS_NONE)
			proto = starttls_detect(dir, b, n, server_port);
	}
	if (proto != PRETLS_NONE && !(p->buf = malloc(2 * PRETLS_UNIT_MAX)))
		proto = PRETLS_NONE; /* out of memory: inspect it as plain TLS */
	p->proto = (uint8_t)proto;
}

static long frame(const struct pretls *p, int dir, const uint8_t *b, size_t n)
{
	return pretls_is_starttls(p->proto) ? starttls_frame(p, dir, b, n) :
					      proxy_frame(p, dir, b, n);
}

static enum pretls_step unit(struct pretls *p, int dir, const uint8_t *u, size_t n,
			     bool truncated)
{
	return pretls_is_starttls(p->proto) ? starttls_unit(p, dir, u, n, truncated) :
					      proxy_unit(p, dir, u, n, truncated);
}

enum pretls_result pretls_feed(struct pretls *p, int dir, const uint8_t *data, size_t len,
			       uint16_t server_port, size_t *tls_at)
{
	size_t used = 0;

	*tls_at = 0;
	if (p->gave_up)
		return PRETLS_GIVE_UP;
	if (p->proto == PRETLS_UNKNOWN && len)
		detect(p, dir, data, len, server_port);
	if (p->proto == PRETLS_NONE || p->upgraded[dir])
		return PRETLS_TLS;
	while (used < len) {
		uint8_t *buf = p->buf + (size_t)dir * PRETLS_UNIT_MAX;
		size_t have = p->have[dir], copy;
		enum pretls_step step;
		unsigned facts;
		long n;

		if (p->skip[dir]) {
			copy = len - used < p->skip[dir] ? len - used : p->skip[dir];
			p->skip[dir] -= (uint32_t)copy;
			used += copy;
			continue;
		}
		if (!have && p->requested && tls_starts(data + used, len - used)) {
			p->upgraded[dir] = true;
			*tls_at = used;
			return PRETLS_TLS;
		}
		copy = len - used;
		if (copy > PRETLS_UNIT_MAX - have)
			copy = PRETLS_UNIT_MAX - have;
		memcpy(buf + have, data + used, copy);
		n = frame(p, dir, buf, have + copy);
		if (n < 0 || (n > 0 && (size_t)n <= have)) {
			give_up(p, ANOM_PRETLS_MALFORMED);
			return PRETLS_GIVE_UP;
		}
		if (n == 0) {
			if (have + copy == PRETLS_UNIT_MAX) {
				give_up(p, ANOM_PRETLS_TOO_LONG);
				return PRETLS_GIVE_UP;
			}
			p->have[dir] = (uint16_t)(have + copy);
			used += copy;
			continue;
		}
		facts = (unsigned)p->caps_seen | (unsigned)p->cleartext_credentials << 1;
		if ((size_t)n > have + copy) {
			/* Longer than kept, or than what arrived: keep waiting
			 * until the buffer is full, then judge the unit by its
			 * start and skip the rest. */
			if (have + copy < PRETLS_UNIT_MAX && used + copy == len) {
				p->have[dir] = (uint16_t)(have + copy);
				used += copy;
				continue;
			}
			p->skip[dir] = (uint32_t)((size_t)n - (have + copy));
			used += copy;
			step = unit(p, dir, buf, have + copy, true);
		} else {
			used += (size_t)n - have;
			step = unit(p, dir, buf, (size_t)n, false);
		}
		p->have[dir] = 0;
		p->seen[dir] += (uint32_t)n;
		if (((unsigned)p->caps_seen | (unsigned)p->cleartext_credentials << 1) != facts)
			p->news = true;
		if (step == STEP_BAD || step == STEP_GIVE_UP) {
			give_up(p, step == STEP_BAD ? ANOM_PRETLS_MALFORMED : ANOM_COUNT);
			return PRETLS_GIVE_UP;
		}
		if (p->seen[dir] > PRETLS_MAX_BYTES) {
			give_up(p, ANOM_PRETLS_TOO_LONG);
			return PRETLS_GIVE_UP;
		}
	}
	return PRETLS_PREAMBLE;
}

void pretls_gap(struct pretls *p, int dir)
{
	if (p->gave_up || p->proto <= PRETLS_NONE || p->upgraded[dir])
		return;
	if (!p->requested) {
		give_up(p, ANOM_PRETLS_MALFORMED);
		return;
	}
	p->upgraded[dir] = true;
	p->have[dir] = 0;
	p->skip[dir] = 0;
}

void pretls_eof(struct pretls *p)
{
	if (p->requested && !p->gave_up && !(p->upgraded[0] && p->upgraded[1]) &&
	    p->proto > PRETLS_NONE)
		p->anomalies |= 1ULL << ANOM_PRETLS_UNFINISHED;
}

uint64_t pretls_take_anomalies(struct pretls *p)
{
	uint64_t a = p->anomalies;

	p->anomalies = 0;
	return a;
}

unsigned pretls_take_events(struct pretls *p)
{
	bool news = p->news;

	p->news = false;
	return news ? PRETLS_EV_FACTS : 0;
}

void pretls_free(struct pretls *p)
{
	free(p->buf);
	p->buf = NULL;
}
