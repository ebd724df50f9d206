/*
 * secaudit alerts [OPTIONS] [FILE]: reads an EVE JSON alert log for a
 * person. Only `alert` events are considered (the monitor's, and the audit
 * server's). FILE "-" is standard input; no FILE is standard input when
 * that is a pipe or a file, else the alert log the monitor's configuration
 * names (alert_log, --config, default /etc/secaudit/monitor.yaml).
 *
 * Every filter reads the field the events carry (docs/events.md): the zone
 * and the failed rules under secaudit.policy, the server's rule under
 * secaudit.rule. A value a filter cannot understand is refused (exit 2)
 * with what it accepts; a zone or rule that matches nothing gets a note
 * naming those the log holds, so "nothing" is never a silent typo.
 *
 * The log is untrusted text: the small JSON reader below checks every
 * bound, keeps only the fields it needs in fixed buffers (longer values are
 * cut), and skips a malformed line with a note on stderr.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/daemon_config.h"
#include "policy/strset.h"

#define ALERTS_FIELD 256
#define ALERTS_MAX_RULES 16
#define ALERTS_TOP 10
#define ALERTS_MAX_KEYS 4096
#define ALERTS_MAX_SEEN 8

struct alert_ev {
	bool is_alert;
	char timestamp[64], src_ip[64], dest_ip[64], src_port[8], dest_port[8];
	char action[16], signature[ALERTS_FIELD], sid[16], severity[8], category[64];
	char sni[ALERTS_FIELD], zone[64], verdict[16];
	unsigned n_rules, n_sids;
	char rules[ALERTS_MAX_RULES][64];   /* failed[].rule, or the server's rule */
	char sids[ALERTS_MAX_RULES][16];    /* failed[].sid, in the same order */
};

struct jp {
	const char *p, *end;
	int depth;
	struct alert_ev *ev;
};

static bool jp_ws(struct jp *j)
{
	while (j->p < j->end && isspace((unsigned char)*j->p))
		j->p++;
	return j->p < j->end;
}

/* Reads a JSON string (RFC 8259 section 7) into out (cut to n-1 bytes);
 * \u escapes outside ASCII become '?', which is enough for display. */
static bool jp_string(struct jp *j, char *out, size_t n)
{
	size_t w = 0;

	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			if (j->p >= j->end)
				return false;
			c = *j->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': case 'f': c = ' '; break;
			case 'u': {
				unsigned v = 0, i;

				if (j->end - j->p < 4)
					return false;
				for (i = 0; i < 4; i++) {
					if (!isxdigit((unsigned char)j->p[i]))
						return false;
					v = v * 16 + (unsigned)(isdigit((unsigned char)j->p[i]) ?
						j->p[i] - '0' : (tolower((unsigned char)j->p[i]) - 'a' + 10));
				}
				j->p += 4;
				c = v >= 0x20 && v < 0x7f ? (char)v : '?';
				break;
			}
			default: break; /* \" \\ \/ */
			}
		} else if ((unsigned char)c < 0x20) {
			return false;
		}
		if (out && w + 1 < n)
			out[w++] = c;
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	if (out && n)
		out[w] = '\0';
	return true;
}

static char *field_for(struct alert_ev *ev, const char *path, size_t *n)
{
	static const struct { const char *path; size_t off, size; } map[] = {
#define F(p, m) { p, offsetof(struct alert_ev, m), sizeof(((struct alert_ev *)0)->m) }
		F("timestamp", timestamp), F("src_ip", src_ip), F("dest_ip", dest_ip),
		F("src_port", src_port), F("dest_port", dest_port), F("alert.action", action),
		F("alert.signature", signature), F("alert.signature_id", sid),
		F("alert.severity", severity), F("alert.category", category), F("tls.sni", sni),
		F("secaudit.policy.zone", zone), F("secaudit.policy.verdict", verdict),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(path, map[i].path)) {
			*n = map[i].size;
			return (char *)ev + map[i].off;
		}
	return NULL;
}

static bool jp_value(struct jp *j, const char *path);

static bool jp_scalar(struct jp *j, const char *path)
{
	struct alert_ev *ev = j->ev;
	char tmp[ALERTS_FIELD];
	size_t n = 0;
	char *dst = field_for(ev, path, &n);
	const char *start = j->p;

	if (*j->p == '"') {
		if (!jp_string(j, tmp, sizeof(tmp)))
			return false;
	} else {
		while (j->p < j->end && (isalnum((unsigned char)*j->p) || strchr("+-.", *j->p)))
			j->p++;
		if (j->p == start || (size_t)(j->p - start) >= sizeof(tmp))
			return false;
		memcpy(tmp, start, (size_t)(j->p - start));
		tmp[j->p - start] = '\0';
		if (strcmp(tmp, "true") && strcmp(tmp, "false") && strcmp(tmp, "null") &&
		    !(isdigit((unsigned char)tmp[0]) || tmp[0] == '-'))
			return false;
	}
	if (dst)
		snprintf(dst, n, "%s", tmp);
	if (!strcmp(path, "event_type"))
		ev->is_alert = !strcmp(tmp, "alert");
	if ((!strcmp(path, "secaudit.policy.failed[].rule") || !strcmp(path, "secaudit.rule")) &&
	    ev->n_rules < ALERTS_MAX_RULES)
		snprintf(ev->rules[ev->n_rules++], sizeof(ev->rules[0]), "%.*s",
			 (int)sizeof(ev->rules[0]) - 1, tmp);
	if (!strcmp(path, "secaudit.policy.failed[].sid") && ev->n_sids < ALERTS_MAX_RULES)
		snprintf(ev->sids[ev->n_sids++], sizeof(ev->sids[0]), "%.*s",
			 (int)sizeof(ev->sids[0]) - 1, tmp);
	return true;
}

static bool jp_value(struct jp *j, const char *path)
{
	char key[64], sub[192];
	bool first = true;

	if (!jp_ws(j))
		return false;
	if (*j->p != '{' && *j->p != '[')
		return jp_scalar(j, path);
	if (++j->depth > 32)
		return false;
	if (*j->p == '[') {
		j->p++;
		snprintf(sub, sizeof(sub), "%s[]", path);
		for (;;) {
			if (!jp_ws(j))
				return false;
			if (*j->p == ']' && first)
				break;
			if (!first) {
				if (*j->p == ']')
					break;
				if (*j->p++ != ',')
					return false;
			}
			first = false;
			if (!jp_value(j, sub))
				return false;
		}
		j->p++;
		j->depth--;
		return true;
	}
	j->p++;
	for (;;) {
		if (!jp_ws(j))
			return false;
		if (*j->p == '}') {
			j->p++;
			break;
		}
		if (!first && *j->p++ != ',')
			return false;
		first = false;
		if (!jp_ws(j) || !jp_string(j, key, sizeof(key)) || !jp_ws(j) || *j->p++ != ':')
			return false;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
		if (!jp_value(j, sub))
			return false;
	}
	j->depth--;
	return true;
}

static bool alerts_parse(const char *line, size_t len, struct alert_ev *ev)
{
	struct jp j = { line, line + len, 0, ev };

	memset(ev, 0, sizeof(*ev));
	if (!jp_value(&j, "") || line[0] != '{')
		return false;
	return !jp_ws(&j);
}

/* ---- times and addresses ---- */

static bool alerts_digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return true;
}

/*
 * Parses an RFC 3339 date-time (section 5.6: 2026-01-02T10:00:00Z,
 * fractions, +01:00 offsets; EVE's +0000 as well, so a timestamp copied
 * from the log works) into seconds since the epoch. A full-date alone
 * (2026-01-02) is that day: its first instant, or with end set the first
 * instant of the next. False on anything else.
 */
static bool alerts_parse_time(const char *s, bool end, double *t)
{
	const char *p = s;
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	double frac = 0, scale = 0.1;
	time_t base;

	if (!alerts_digits(&p, 4, &y) || *p++ != '-' || !alerts_digits(&p, 2, &mo) ||
	    *p++ != '-' || !alerts_digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return false;
		p++;
		if (!alerts_digits(&p, 2, &h) || *p++ != ':' || !alerts_digits(&p, 2, &mi) ||
		    *p++ != ':' || !alerts_digits(&p, 2, &sec) || h > 23 || mi > 59 || sec > 60)
			return false;
		if (*p == '.') {
			if (!isdigit((unsigned char)*++p))
				return false;
			for (; isdigit((unsigned char)*p); p++, scale /= 10)
				frac += (*p - '0') * scale;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (!alerts_digits(&p, 2, &oh) || (*p == ':' && !*++p) ||
			    !alerts_digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
		} else {
			return false;
		}
		if (*p)
			return false;
	} else if (end) {
		d++;            /* timegm normalises the day after the last */
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	base = timegm(&tm);
	if (base == (time_t)-1)
		return false;
	*t = (double)base + frac - sign * (oh * 3600 + om * 60);
	return true;
}

bool cli_parse_duration(const char *s, double *secs)
{
	char *endp;
	unsigned long n;
	double unit;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoul(s, &endp, 10);
	if (errno || endp[0] == '\0' || endp[1] != '\0' || n > 100u * 365 * 86400)
		return false;
	switch (*endp) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return false;
	}
	*secs = (double)n * unit;
	return true;
}

/* A relative duration back from now. */
static bool alerts_parse_ago(const char *s, double *t)
{
	struct timespec now;
	double d;

	if (!cli_parse_duration(s, &d))
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	*t = (double)now.tv_sec + now.tv_nsec / 1e9 - d;
	return true;
}

bool cli_time_opt(const char *opt, const char *val, bool end, double *t)
{
	if (alerts_parse_ago(val, t) || alerts_parse_time(val, end, t))
		return true;
	fprintf(stderr, "secaudit: %s '%s': give an RFC 3339 time "
		"(2026-01-02T10:00:00Z, 2026-01-02T11:00:00+01:00, or a date 2026-01-02) "
		"or a duration back from now (90s, 15m, 2h, 3d)\n", opt, val);
	return false;
}

struct alerts_cidr {
	int family;                 /* 0: no filter */
	uint8_t addr[16];
	unsigned bits;
};

/* "ADDR" or "ADDR/BITS", IPv4 or IPv6. */
static bool alerts_parse_cidr(const char *opt, const char *val, struct alerts_cidr *c)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(val, '/');
	size_t hl = slash ? (size_t)(slash - val) : strlen(val);
	unsigned max;
	char *endp;
	unsigned long bits;

	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, val, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	c->bits = max;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &endp, 10);
		if (!isdigit((unsigned char)slash[1]) || *endp || errno || bits > max)
			goto bad;
		c->bits = (unsigned)bits;
	}
	return true;
bad:
	fprintf(stderr, "secaudit alerts: %s '%s': give an IPv4 or IPv6 address or a CIDR "
		"block (198.18.5.7, 198.18.5.0/24, 2001:db8::/32)\n", opt, val);
	return false;
}

static bool alerts_cidr_has(const struct alerts_cidr *c, const char *ip)
{
	uint8_t a[16];
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (inet_pton(c->family, ip, a) != 1)
		return false;
	if (memcmp(a, c->addr, full))
		return false;
	return !rest || !((a[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

/* ---- filters ---- */

struct alerts_opts {
	const char *action, *zone, *rule, *sni;
	double since, until;        /* seconds since the epoch; <0: none */
	struct alerts_cidr addr, dest;
	int severity, port;
	bool follow, summary, json, color;
};

/* --rule R: a sid when R is a number (the alert's or any failed
 * requirement's), else a rule id, or the id a block gave its several checks
 * (`srv-cert` matches srv-cert.expired). */
static bool alerts_rule_hit(const char *want, const struct alert_ev *ev)
{
	size_t wl = strlen(want);
	unsigned i;

	if (isdigit((unsigned char)want[0]) && strspn(want, "0123456789") == wl) {
		if (!strcmp(ev->sid, want))
			return true;
		for (i = 0; i < ev->n_sids; i++)
			if (!strcmp(ev->sids[i], want))
				return true;
		return false;
	}
	for (i = 0; i < ev->n_rules; i++)
		if (!strncmp(ev->rules[i], want, wl) &&
		    (ev->rules[i][wl] == '\0' || ev->rules[i][wl] == '.'))
			return true;
	return false;
}

static bool alerts_match(const struct alerts_opts *o, const struct alert_ev *ev)
{
	double t;

	if (!ev->is_alert)
		return false;
	if (o->since >= 0 || o->until >= 0) {
		if (!alerts_parse_time(ev->timestamp, false, &t))
			return false;
		if ((o->since >= 0 && t < o->since) || (o->until >= 0 && t > o->until))
			return false;
	}
	if (o->severity && (!ev->severity[0] || atoi(ev->severity) > o->severity))
		return false;
	if (o->action && strcmp(ev->action, o->action))
		return false;
	if (o->zone && strcmp(ev->zone, o->zone))
		return false;
	if (o->addr.family && !alerts_cidr_has(&o->addr, ev->src_ip) &&
	    !alerts_cidr_has(&o->addr, ev->dest_ip))
		return false;
	if (o->dest.family && !alerts_cidr_has(&o->dest, ev->dest_ip))
		return false;
	if (o->port && atoi(ev->dest_port) != o->port)
		return false;
	if (o->sni && !policy_glob(o->sni, ev->sni, true))
		return false;
	if (o->rule && !alerts_rule_hit(o->rule, ev))
		return false;
	return true;
}

/* ---- output ---- */

static void alerts_print(const struct alerts_opts *o, const struct alert_ev *ev)
{
	bool blocked = !strcmp(ev->action, "blocked");
	const char *on = !o->color ? "" : blocked ? "\033[1;31m" : "\033[33m";
	const char *off = o->color ? "\033[0m" : "";
	unsigned i;

	printf("%s %s%-7s%s sev%s %s:%s -> %s:%s", ev->timestamp, on, blocked ? "BLOCKED" : "allowed",
	       off, ev->severity[0] ? ev->severity : "?", ev->src_ip, ev->src_port, ev->dest_ip,
	       ev->dest_port);
	if (ev->sni[0])
		printf(" sni=%s", ev->sni);
	if (ev->zone[0])
		printf(" zone=%s", ev->zone);
	if (ev->n_rules) {
		printf(" rule=");
		for (i = 0; i < ev->n_rules; i++)
			printf("%s%s", i ? "," : "", ev->rules[i]);
	}
	printf(" sid=%s %s\n", ev->sid[0] ? ev->sid : "?", ev->signature);
}

struct tally_entry {
	char key[ALERTS_FIELD];
	unsigned long count;
};

struct tally {
	size_t n;
	struct tally_entry *e;
};

static void tally_add(struct tally *t, const char *key)
{
	size_t i;
	void *p;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].key, key)) {
			t->e[i].count++;
			return;
		}
	if (t->n >= ALERTS_MAX_KEYS)
		return;
	p = realloc(t->e, (t->n + 1) * sizeof(*t->e));
	if (!p)
		return;
	t->e = p;
	snprintf(t->e[t->n].key, sizeof(t->e[0].key), "%s", key);
	t->e[t->n++].count = 1;
}

static int tally_cmp(const void *a, const void *b)
{
	const struct tally_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void tally_sort(struct tally *t)
{
	qsort(t->e, t->n, sizeof(*t->e), tally_cmp);
}

static void tally_print(const char *title, struct tally *t)
{
	size_t i;

	printf("%s:\n", title);
	tally_sort(t);
	for (i = 0; i < t->n && i < ALERTS_TOP; i++)
		printf("  %8lu  %s\n", t->e[i].count, t->e[i].key);
}

/* The rule ids of an event, each with its sid: "old-tls (sid 2310000)".
 * Default sids name the kind of check, so two profiles' rules can share
 * one (docs/rules.md); the id tells them apart. */
static void tally_rules(struct tally *t, const struct alert_ev *ev)
{
	char key[ALERTS_FIELD + 32];  /* cut to ALERTS_FIELD by tally_add */
	unsigned r;

	if (!ev->n_rules) {
		snprintf(key, sizeof(key), "sid %s: %s", ev->sid, ev->signature);
		tally_add(t, key);
	}
	for (r = 0; r < ev->n_rules; r++) {
		snprintf(key, sizeof(key), "%s (sid %s)", ev->rules[r],
			 r < ev->n_sids ? ev->sids[r] : ev->sid);
		tally_add(t, key);
	}
}

/* After a zone or rule filter matched nothing: which the log does hold. */
static void alerts_say_seen(const char *what, const char *want, struct tally *seen)
{
	size_t i;

	if (!want)
		return;
	tally_sort(seen);
	fprintf(stderr, "secaudit alerts: no alert with %s '%s'; %s", what, want,
		seen->n ? "the log has: " : "the log has no alerts");
	for (i = 0; i < seen->n && i < ALERTS_MAX_SEEN; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", seen->e[i].key);
	fprintf(stderr, "%s\n", seen->n > ALERTS_MAX_SEEN ? ", ..." : "");
}

static void alerts_usage(FILE *f)
{
	fprintf(f,
"usage: secaudit alerts [OPTIONS] [FILE]\n"
"Reads the EVE alert log: FILE, '-' for standard input; without FILE, standard\n"
"input when it is a pipe or file, else the monitor's alert_log (--config).\n"
"  --since T, --until T   T: an RFC 3339 time (2026-01-02T10:00:00Z,\n"
"                         2026-01-02T11:00:00+01:00), a date (2026-01-02: the whole\n"
"                         day), or a duration back from now (90s, 15m, 2h, 3d)\n"
"  --severity N           severity N or more severe (1 highest .. 4)\n"
"  --action blocked|allowed\n"
"  --zone Z               the zone the session fell in (secaudit.policy.zone)\n"
"  --rule ID|SID          a rule id, a block's id (its checks), or a signature id\n"
"  --addr IP|CIDR         source or destination (IPv4 or IPv6, e.g. 198.18.5.0/24)\n"
"  --dest IP|CIDR         destination only\n"
"  --port N               destination port\n"
"  --sni GLOB             server name (any case, * and ?)\n"
"  --follow               keep reading as the log grows\n"
"  --summary              counts: blocked/allowed, top rules, zones, destinations, sources\n"
"  --json                 print matching events unchanged\n"
"  --color, --no-color    default: colour when standard output is a terminal\n"
"  --config PATH          monitor configuration naming the log (default %s)\n"
"  --server URI           the central store (sqlite:PATH, postgresql://...) instead:\n"
"                         every gateway's alerts (`secaudit alerts --server --help`)\n",
		DAEMON_CONFIG_DEFAULT);
}

/* Reads one line of any length into *line; false at EOF (a partial last
 * line stays buffered for --follow). */
static bool alerts_line(FILE *f, char **line, size_t *cap, size_t *len, bool follow)
{
	int c;

	for (;;) {
		c = getc(f);
		if (c == EOF) {
			if (!follow) {
				if (*line)
					(*line)[*len] = '\0';
				return *len > 0;
			}
			clearerr(f);
			fflush(stdout);
			usleep(300 * 1000);
			continue;
		}
		if (*len + 2 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *p = ncap > (64u << 20) ? NULL : realloc(*line, ncap);

			if (!p)
				return false;
			*line = p;
			*cap = ncap;
		}
		if (c == '\n') {
			(*line)[*len] = '\0';
			return true;
		}
		(*line)[(*len)++] = (char)c;
	}
}

/*
 * Which log to read when no FILE was given: piped input, else the
 * configured log (copied into path). False, with the reason on stderr, when
 * there is neither: reading a terminal would only wait.
 */
static bool alerts_default_log(const char *config, bool *use_stdin, char *path, size_t n)
{
	struct daemon_config c;
	struct stat st;
	char err[512];

	if (!config && !fstat(STDIN_FILENO, &st) && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))) {
		*use_stdin = true;
		return true;
	}
	daemon_config_default(&c);
	if (!daemon_config_load(&c, config ? config : DAEMON_CONFIG_DEFAULT, err, sizeof(err))) {
		fprintf(stderr, "secaudit alerts: no FILE given, and the configured alert log is "
			"unknown: %s\n  give a FILE ('-' for standard input) or --config PATH\n", err);
		return false;
	}
	if (!c.log[0]) {
		fprintf(stderr, "secaudit alerts: no FILE given, and %s names no alert_log "
			"(the monitor logs to its standard output)\n",
			config ? config : DAEMON_CONFIG_DEFAULT);
		return false;
	}
	snprintf(path, n, "%s", c.log);
	return true;
}

int cmd_alerts(int argc, char **argv)
{
	struct alerts_opts o = { .color = isatty(STDOUT_FILENO), .since = -1, .until = -1 };
	struct tally rules = { 0 }, sources = { 0 }, zones = { 0 }, dests = { 0 };
	unsigned long n_blocked = 0, n_allowed = 0, n_bad = 0, n_match = 0, lineno = 0;
	const char *file = NULL, *config = NULL, *since = NULL, *until = NULL;
	const char *addr = NULL, *dest = NULL, *port = NULL, *severity = NULL;
	static char conf_log[DAEMON_PATH_MAX];
	bool use_stdin = false;
	struct alert_ev ev;
	char *line = NULL, *endp;
	size_t cap = 0, len = 0;
	FILE *f = stdin;
	int i, rc = 2;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--server"))
			return gw_events_main("secaudit alerts", argc, argv, "alert");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = !strcmp(a, "--since") ? &since : !strcmp(a, "--until") ? &until :
			!strcmp(a, "--action") ? &o.action : !strcmp(a, "--zone") ? &o.zone :
			!strcmp(a, "--rule") ? &o.rule : !strcmp(a, "--addr") ? &addr :
			!strcmp(a, "--dest") ? &dest : !strcmp(a, "--port") ? &port :
			!strcmp(a, "--sni") ? &o.sni : !strcmp(a, "--severity") ? &severity :
			!strcmp(a, "--config") ? &config : NULL;

		if (val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "secaudit alerts: %s needs a value\n", a);
				return 2;
			}
			*val = argv[++i];
		} else if (!strcmp(a, "--follow") || !strcmp(a, "-f")) {
			o.follow = true;
		} else if (!strcmp(a, "--summary")) {
			o.summary = true;
		} else if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--color")) {
			o.color = true;
		} else if (!strcmp(a, "--no-color")) {
			o.color = false;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			alerts_usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "secaudit alerts: unknown option '%s'\n", a);
			alerts_usage(stderr);
			return 2;
		} else if (!file) {
			file = a;
		} else {
			alerts_usage(stderr);
			return 2;
		}
	}
	if (o.action && strcmp(o.action, "blocked") && strcmp(o.action, "allowed")) {
		fprintf(stderr, "secaudit alerts: --action is blocked or allowed\n");
		return 2;
	}
	if (severity) {
		o.severity = (int)strtol(severity, &endp, 10);
		if (*endp || o.severity < 1 || o.severity > 4) {
			fprintf(stderr, "secaudit alerts: --severity '%s': give 1..4 (1 highest)\n",
				severity);
			return 2;
		}
	}
	if (port) {
		o.port = (int)strtol(port, &endp, 10);
		if (*endp || o.port < 1 || o.port > 65535) {
			fprintf(stderr, "secaudit alerts: --port '%s': give 1..65535\n", port);
			return 2;
		}
	}
	if ((since && !cli_time_opt("--since", since, false, &o.since)) ||
	    (until && !cli_time_opt("--until", until, true, &o.until)) ||
	    (addr && !alerts_parse_cidr("--addr", addr, &o.addr)) ||
	    (dest && !alerts_parse_cidr("--dest", dest, &o.dest)))
		return 2;
	if (o.summary && o.follow) {
		fprintf(stderr, "secaudit alerts: --summary and --follow do not go together\n");
		return 2;
	}
	if (!file) {
		if (!alerts_default_log(config, &use_stdin, conf_log, sizeof(conf_log)))
			return 2;
		if (!use_stdin)
			file = conf_log;
	}
	if (file && strcmp(file, "-")) {
		f = fopen(file, "r");
		if (!f) {
			fprintf(stderr, "secaudit alerts: %s: %s\n", file, strerror(errno));
			return 1;
		}
	}
	while (alerts_line(f, &line, &cap, &len, o.follow)) {
		lineno++;
		if (len && !alerts_parse(line, len, &ev)) {
			if (n_bad++ < 5)
				fprintf(stderr, "secaudit alerts: %s:%lu: not a JSON event, skipped\n",
					file ? file : "<stdin>", lineno);
		} else if (len && alerts_match(&o, &ev)) {
			n_match++;
			if (o.summary) {
				char key[ALERTS_FIELD];

				if (!strcmp(ev.action, "blocked"))
					n_blocked++;
				else
					n_allowed++;
				tally_rules(&rules, &ev);
				tally_add(&zones, ev.zone[0] ? ev.zone : "(none)");
				snprintf(key, sizeof(key), "%s:%s", ev.dest_ip, ev.dest_port);
				tally_add(&dests, key);
				tally_add(&sources, ev.src_ip);
			} else if (o.json) {
				fwrite(line, 1, len, stdout);
				putchar('\n');
			} else {
				alerts_print(&o, &ev);
			}
		} else if (len && ev.is_alert && !n_match && (o.zone || o.rule)) {
			/* remembered only until something matches, for the note below */
			if (o.zone && ev.zone[0])
				tally_add(&zones, ev.zone);
			if (o.rule)
				tally_rules(&rules, &ev);
		}
		len = 0;
	}
	if (o.summary) {
		printf("alerts: %lu (blocked %lu, allowed %lu)\n", n_blocked + n_allowed, n_blocked,
		       n_allowed);
		tally_print("top rules", &rules);
		tally_print("top zones", &zones);
		tally_print("top destinations", &dests);
		tally_print("top sources", &sources);
	} else if (!n_match) {
		alerts_say_seen("zone", o.zone, &zones);
		alerts_say_seen("rule", o.rule, &rules);
	}
	rc = 0;
	free(rules.e);
	free(zones.e);
	free(dests.e);
	free(sources.e);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}
