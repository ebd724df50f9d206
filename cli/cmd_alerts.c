/*
 * secaudit alerts [OPTIONS] [FILE]: reads an EVE JSON alert log (FILE, or
 * standard input) for a person. Only `alert` events are considered.
 *
 *   --since T / --until T   timestamps (ISO 8601 prefixes, compared as text,
 *                           which orders them since EVE writes one format)
 *   --severity N            severity N or more severe (1 is the highest)
 *   --action blocked|allowed
 *   --zone Z, --rule R      R: a rule id (secaudit.failed[].rule) or a sid
 *   --addr A                source or destination address
 *   --sni GLOB              server name (case-insensitive, * and ?)
 *   --follow                keep reading as the log grows (like tail -f)
 *   --summary               counts: blocked vs allowed, top rules, top sources
 *   --json                  print matching events unchanged
 *   --color / --no-color    default: colour when standard output is a tty
 *
 * The log is untrusted text: the small JSON reader below checks every
 * bound, keeps only the fields it needs in fixed buffers (longer values are
 * cut), and skips a malformed line with a note on stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "policy/rules.h"

#define ALERTS_FIELD 256
#define ALERTS_MAX_RULES 16
#define ALERTS_TOP 10
#define ALERTS_MAX_KEYS 4096

struct alert_ev {
	bool is_alert;
	char timestamp[64], src_ip[64], dest_ip[64], src_port[8], dest_port[8];
	char action[16], signature[ALERTS_FIELD], sid[16], severity[8], category[64];
	char sni[ALERTS_FIELD], zone[64], verdict[16];
	unsigned n_rules;
	char rules[ALERTS_MAX_RULES][64];
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
		F("secaudit.zone", zone), F("secaudit.verdict", verdict),
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
	if (!strcmp(path, "secaudit.failed[].rule") && ev->n_rules < ALERTS_MAX_RULES)
		snprintf(ev->rules[ev->n_rules++], sizeof(ev->rules[0]), "%.*s", (int)sizeof(ev->rules[0]) - 1, tmp);
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

/* ---- filters ---- */

struct alerts_opts {
	const char *since, *until, *action, *zone, *rule, *addr, *sni;
	int severity;
	bool follow, summary, json, color;
};

static bool alerts_match(const struct alerts_opts *o, const struct alert_ev *ev)
{
	unsigned i;
	bool hit;

	if (!ev->is_alert)
		return false;
	if (o->since && strcmp(ev->timestamp, o->since) < 0)
		return false;
	if (o->until && strncmp(ev->timestamp, o->until, strlen(o->until)) > 0)
		return false;
	if (o->severity && (!ev->severity[0] || atoi(ev->severity) > o->severity))
		return false;
	if (o->action && strcmp(ev->action, o->action))
		return false;
	if (o->zone && strcmp(ev->zone, o->zone))
		return false;
	if (o->addr && strcmp(ev->src_ip, o->addr) && strcmp(ev->dest_ip, o->addr))
		return false;
	if (o->sni && !rules_glob(o->sni, ev->sni, true))
		return false;
	if (o->rule) {
		hit = !strcmp(ev->sid, o->rule);
		for (i = 0; i < ev->n_rules && !hit; i++)
			hit = !strcmp(ev->rules[i], o->rule);
		if (!hit)
			return false;
	}
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
	printf(" [%s] %s", ev->sid, ev->signature);
	if (ev->n_rules) {
		printf(" (");
		for (i = 0; i < ev->n_rules; i++)
			printf("%s%s", i ? ", " : "", ev->rules[i]);
		printf(")");
	}
	putchar('\n');
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

static void tally_print(const char *title, struct tally *t)
{
	size_t i;

	printf("%s:\n", title);
	qsort(t->e, t->n, sizeof(*t->e), tally_cmp);
	for (i = 0; i < t->n && i < ALERTS_TOP; i++)
		printf("  %8lu  %s\n", t->e[i].count, t->e[i].key);
	free(t->e);
}

static void alerts_usage(FILE *f)
{
	fprintf(f, "usage: secaudit alerts [--since T] [--until T] [--severity N] "
		   "[--action blocked|allowed]\n"
		   "                       [--zone Z] [--rule ID|SID] [--addr IP] [--sni GLOB]\n"
		   "                       [--follow] [--summary] [--json] [--color|--no-color] [FILE]\n");
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

int cmd_alerts(int argc, char **argv)
{
	struct alerts_opts o = { .color = isatty(STDOUT_FILENO) };
	struct tally rules = { 0 }, sources = { 0 };
	unsigned long n_blocked = 0, n_allowed = 0, n_bad = 0, lineno = 0;
	const char *file = NULL;
	struct alert_ev ev;
	char *line = NULL;
	size_t cap = 0, len = 0;
	FILE *f = stdin;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = !strcmp(a, "--since") ? &o.since : !strcmp(a, "--until") ? &o.until :
			!strcmp(a, "--action") ? &o.action : !strcmp(a, "--zone") ? &o.zone :
			!strcmp(a, "--rule") ? &o.rule : !strcmp(a, "--addr") ? &o.addr :
			!strcmp(a, "--sni") ? &o.sni : NULL;

		if (val || !strcmp(a, "--severity")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "secaudit alerts: %s needs a value\n", a);
				return 2;
			}
			if (val) {
				*val = argv[++i];
			} else {
				o.severity = atoi(argv[++i]);
				if (o.severity < 1 || o.severity > 4) {
					fprintf(stderr, "secaudit alerts: --severity must be 1..4\n");
					return 2;
				}
			}
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
	if (o.summary && o.follow) {
		fprintf(stderr, "secaudit alerts: --summary and --follow do not go together\n");
		return 2;
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
			if (o.summary) {
				if (!strcmp(ev.action, "blocked"))
					n_blocked++;
				else
					n_allowed++;
				if (ev.n_rules) {
					unsigned r;

					for (r = 0; r < ev.n_rules; r++)
						tally_add(&rules, ev.rules[r]);
				} else {
					char key[ALERTS_FIELD + 20];

					snprintf(key, sizeof(key), "%s %s", ev.sid, ev.signature);
					tally_add(&rules, key);
				}
				tally_add(&sources, ev.src_ip);
			} else if (o.json) {
				fwrite(line, 1, len, stdout);
				putchar('\n');
			} else {
				alerts_print(&o, &ev);
			}
		}
		len = 0;
	}
	if (o.summary) {
		printf("alerts: %lu (blocked %lu, allowed %lu)\n", n_blocked + n_allowed, n_blocked,
		       n_allowed);
		tally_print("top rules", &rules);
		tally_print("top sources", &sources);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}
