/* stats_format: the monitor's stats line for people and Prometheus; contract in stats_format.h. */
#include "stats_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define QUEUE_NONE (-1L)

struct stat_value {
	char name[STATS_NAME_MAX];   /* path, members joined by '.' */
	long queue;                  /* QUEUE_NONE, or the queue number */
	long elem;                   /* index in "queues" while its element is read */
	uint64_t v;
};

struct walk {
	struct cursor c;
	struct stat_value *vals;
	size_t n;
	long elem;                   /* element of "queues" being read, or -1 */
	char version[64];            /* the daemon's "version", or "" */
};

/* Values that go up and down are gauges; the rest only count up. The
 * Prometheus names of gauges are given here (a gauge may not end in
 * _total, which the kernel's name for waiting packets does). */
static const struct { const char *name, *prom, *help; } gauges[] = {
	{ "uptime", "uptime_seconds", "Seconds since the monitor started." },
	{ "nfq.kernel.queue_total", "nfq_kernel_waiting_packets",
	  "Packets waiting in the kernel queue for a verdict." },
};

static bool peek(const struct walk *w, uint8_t *c)
{
	return cur_peek_u8(&w->c, 0, c);
}

static void skip_ws(struct walk *w)
{
	uint8_t c;

	while (peek(w, &c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		cur_skip(&w->c, 1);
}

static bool expect(struct walk *w, uint8_t want)
{
	uint8_t c;

	skip_ws(w);
	return peek(w, &c) && c == want && cur_skip(&w->c, 1);
}

/* A string (RFC 8259 section 7) into out, cut to n-1 bytes; escapes are
 * kept as they are (counter names have none). out may be NULL. */
static bool read_string(struct walk *w, char *out, size_t n)
{
	size_t k = 0;
	uint8_t c;

	if (!expect(w, '"'))
		return false;
	for (;;) {
		if (!cur_u8(&w->c, &c) || c < 0x20)
			return false;
		if (c == '"')
			break;
		if (c == '\\' && !cur_u8(&w->c, &c))
			return false;
		if (out && k + 1 < n)
			out[k++] = (char)c;
	}
	if (out && n)
		out[k] = '\0';
	return true;
}

/* A number; *is_uint tells whether it is an integer >= 0 that fits. */
static bool read_number(struct walk *w, uint64_t *v, bool *is_uint)
{
	size_t digits = 0;
	uint8_t c;

	*v = 0;
	*is_uint = true;
	while (peek(w, &c) && ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
			       c == 'e' || c == 'E')) {
		cur_skip(&w->c, 1);
		if (c < '0' || c > '9' || *v > (UINT64_MAX - (c - '0')) / 10) {
			*is_uint = false;
			continue;
		}
		*v = *v * 10 + (c - '0');
		digits++;
	}
	*is_uint = *is_uint && digits;
	return digits > 0;
}

static bool read_word(struct walk *w, const char *word)
{
	size_t n = strlen(word);
	const uint8_t *p;

	return cur_bytes(&w->c, &p, n) && !memcmp(p, word, n);
}

static bool add_value(struct walk *w, const char *name, uint64_t v)
{
	struct stat_value *s;

	if (!strcmp(name, "statsock"))
		return true;    /* the protocol's version, not a counter */
	if (w->n == STATS_MAX_VALUES)
		return false;
	s = &w->vals[w->n++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->queue = QUEUE_NONE;
	s->elem = w->elem;
	s->v = v;
	return true;
}

static bool read_value(struct walk *w, char *path, size_t plen, int depth);

/* The members of an object, at path (its length plen). */
static bool read_object(struct walk *w, char *path, size_t plen, int depth)
{
	char key[STATS_NAME_MAX];
	uint8_t c;
	int r;

	if (!expect(w, '{'))
		return false;
	skip_ws(w);
	if (peek(w, &c) && c == '}')
		return cur_skip(&w->c, 1);
	for (;;) {
		if (!read_string(w, key, sizeof(key)) || !expect(w, ':'))
			return false;
		r = snprintf(path + plen, STATS_NAME_MAX - plen, "%s%s", plen ? "." : "", key);
		if (r < 0 || (size_t)r >= STATS_NAME_MAX - plen)
			return false;
		if (!read_value(w, path, plen + (size_t)r, depth + 1))
			return false;
		path[plen] = '\0';
		skip_ws(w);
		if (!cur_u8(&w->c, &c))
			return false;
		if (c == '}')
			return true;
		if (c != ',')
			return false;
	}
}

/* After an element of "queues": its "queue" member labels its values. */
static void label_element(struct walk *w, size_t first)
{
	long queue = w->elem;
	size_t i, k;

	for (i = first; i < w->n; i++)
		if (!strcmp(w->vals[i].name, "queue") && w->vals[i].v <= 65535)
			queue = (long)w->vals[i].v;
	for (i = k = first; i < w->n; i++) {
		if (!strcmp(w->vals[i].name, "queue"))
			continue;
		w->vals[k] = w->vals[i];
		w->vals[k].queue = queue;
		w->vals[k].elem = -1;
		k++;
	}
	w->n = k;
}

/* An array: the elements of the top-level "queues" are read (their
 * values named from the element down), any other array is skipped. */
static bool read_array(struct walk *w, char *path, size_t plen, int depth)
{
	bool queues = depth == 2 && !strcmp(path, "queues") && w->elem < 0;
	char sub[STATS_NAME_MAX] = "";
	long index = 0;
	size_t first;
	uint8_t c;

	if (!expect(w, '['))
		return false;
	skip_ws(w);
	if (peek(w, &c) && c == ']')
		return cur_skip(&w->c, 1);
	for (;;) {
		first = w->n;
		if (queues)
			w->elem = index++;
		/* skipped arrays are still walked, to find their end */
		if (!read_value(w, queues ? sub : path, queues ? 0 : plen, depth + 1))
			return false;
		if (queues) {
			label_element(w, first);
			w->elem = -1;
		} else {
			w->n = first;
		}
		skip_ws(w);
		if (!cur_u8(&w->c, &c))
			return false;
		if (c == ']')
			return true;
		if (c != ',')
			return false;
	}
}

static bool read_value(struct walk *w, char *path, size_t plen, int depth)
{
	uint64_t v;
	bool is_uint;
	uint8_t c;

	if (depth > STATS_MAX_DEPTH)
		return false;
	skip_ws(w);
	if (!peek(w, &c))
		return false;
	switch (c) {
	case '{':
		return read_object(w, path, plen, depth);
	case '[':
		return read_array(w, path, plen, depth);
	case '"':
		/* the one string a person asks for: which build is running */
		if (depth == 2 && !strcmp(path, "version"))
			return read_string(w, w->version, sizeof(w->version));
		return read_string(w, NULL, 0);
	case 't':
		return read_word(w, "true");
	case 'f':
		return read_word(w, "false");
	case 'n':
		return read_word(w, "null");
	default:
		if (!read_number(w, &v, &is_uint))
			return false;
		return !is_uint || add_value(w, path, v);
	}
}

static const struct stat_value *find(const struct walk *w, const char *name, long queue)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->vals[i].queue == queue && !strcmp(w->vals[i].name, name))
			return &w->vals[i];
	return NULL;
}

static bool has_queue_values(const struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->vals[i].queue != QUEUE_NONE && !strcmp(w->vals[i].name, name))
			return true;
	return false;
}

/* Whether value i is the first of its name (of the per-queue values
 * only, with queued), in order of appearance. */
static bool first_of_name(const struct walk *w, size_t i, bool queued)
{
	size_t k;

	for (k = 0; k < i; k++)
		if ((!queued || w->vals[k].queue != QUEUE_NONE) &&
		    !strcmp(w->vals[k].name, w->vals[i].name))
			return false;
	return true;
}

/* The queue numbers in order of appearance, at most max. */
static size_t queue_list(const struct walk *w, long *q, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < w->n; i++) {
		if (w->vals[i].queue == QUEUE_NONE)
			continue;
		for (k = 0; k < n && q[k] != w->vals[i].queue; k++)
			;
		if (k == n && n < max)
			q[n++] = w->vals[i].queue;
	}
	return n;
}

static void render_text(const struct walk *w, struct buf *out)
{
	long queues[64];
	size_t nq = queue_list(w, queues, 64), i, k;
	const struct stat_value *s;
	char num[32];

	if (w->version[0])
		buf_printf(out, "%-28s %s\n", "version", w->version);
	for (i = 0; i < w->n; i++)
		if (w->vals[i].queue == QUEUE_NONE && !has_queue_values(w, w->vals[i].name))
			buf_printf(out, "%-28s %" PRIu64 "\n", w->vals[i].name, w->vals[i].v);
	if (!nq)
		return;
	buf_printf(out, "\n%-28s %14s", "", "total");
	for (k = 0; k < nq; k++) {
		snprintf(num, sizeof(num), "queue %ld", queues[k]);
		buf_printf(out, " %14s", num);
	}
	buf_putc(out, '\n');
	for (i = 0; i < w->n; i++) {
		if (w->vals[i].queue == QUEUE_NONE || !first_of_name(w, i, true))
			continue;
		s = find(w, w->vals[i].name, QUEUE_NONE);
		snprintf(num, sizeof(num), s ? "%" PRIu64 : "-", s ? s->v : 0);
		buf_printf(out, "%-28s %14s", w->vals[i].name, num);
		for (k = 0; k < nq; k++) {
			s = find(w, w->vals[i].name, queues[k]);
			snprintf(num, sizeof(num), s ? "%" PRIu64 : "-", s ? s->v : 0);
			buf_printf(out, " %14s", num);
		}
		buf_putc(out, '\n');
	}
}

/* A metric name: [a-zA-Z0-9_] only (the path's dots and anything else
 * a name should not hold become '_'). */
static void prom_name(const char *name, bool counter, char *out, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (!strcmp(name, gauges[i].name)) {
			snprintf(out, n, "secaudit_monitor_%s", gauges[i].prom);
			return;
		}
	k = (size_t)snprintf(out, n, "secaudit_monitor_");
	for (; *name && k + 1 < n; name++, k++) {
		char c = *name;

		out[k] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ? c : '_';
	}
	out[k < n ? k : n - 1] = '\0';
	if (counter && k + sizeof("_total") <= n)
		strcat(out, "_total");
}

static const char *gauge_help(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (!strcmp(name, gauges[i].name))
			return gauges[i].help;
	return NULL;
}

static void render_prometheus(const struct walk *w, struct buf *out)
{
	char metric[STATS_NAME_MAX + 32];
	const char *help;
	size_t i, k;

	for (i = 0; i < w->n; i++) {
		const struct stat_value *s = &w->vals[i];
		bool per_queue = has_queue_values(w, s->name);

		/* a family once, all its series together; the process-wide sums
		 * of per-queue values are left out (sum() gives them) */
		if (!first_of_name(w, i, false))
			continue;
		help = gauge_help(s->name);
		prom_name(s->name, !help, metric, sizeof(metric));
		buf_printf(out, "# HELP %s %s%s\n# TYPE %s %s\n", metric,
			   help ? help : "secaudit-monitor counter ", help ? "" : s->name, metric,
			   help ? "gauge" : "counter");
		for (k = i; k < w->n; k++) {
			const struct stat_value *t = &w->vals[k];

			if (strcmp(t->name, s->name) || (per_queue && t->queue == QUEUE_NONE))
				continue;
			if (t->queue == QUEUE_NONE)
				buf_printf(out, "%s %" PRIu64 "\n", metric, t->v);
			else
				buf_printf(out, "%s{queue=\"%ld\"} %" PRIu64 "\n", metric, t->queue,
					   t->v);
		}
	}
}

bool stats_format_parse(const char *name, enum stats_format *out)
{
	if (!strcmp(name, "text"))
		*out = STATS_TEXT;
	else if (!strcmp(name, "json"))
		*out = STATS_JSON;
	else if (!strcmp(name, "prometheus"))
		*out = STATS_PROMETHEUS;
	else
		return false;
	return true;
}

int stats_render(const char *line, size_t len, enum stats_format fmt, struct buf *out)
{
	struct walk w = { .c = cur_make((const uint8_t *)line, len), .elem = -1 };
	char path[STATS_NAME_MAX] = "";
	int r = -EPROTO;

	w.vals = calloc(STATS_MAX_VALUES, sizeof(*w.vals));
	if (!w.vals)
		return -ENOMEM;
	skip_ws(&w);
	if (!read_object(&w, path, 0, 1))
		goto out;
	skip_ws(&w);
	if (cur_left(&w.c))
		goto out;
	if (fmt == STATS_JSON) {
		buf_put(out, line, len);
		buf_putc(out, '\n');
	} else if (fmt == STATS_TEXT) {
		render_text(&w, out);
	} else {
		render_prometheus(&w, out);
	}
	r = out->oom ? -ENOMEM : 0;
out:
	free(w.vals);
	return r;
}
