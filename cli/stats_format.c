/* stats_format: a daemon's stats line for people and Prometheus; contract in stats_format.h. */
#include "stats_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

struct stat_value {
	char name[STATS_NAME_MAX];   /* path, members joined by '.' */
	char key[STATS_LABEL_MAX];   /* label name ("queue"), or "" */
	char label[STATS_LABEL_MAX]; /* its value ("3") */
	uint64_t v;
};

struct walk {
	struct cursor c;
	struct stat_value *vals;     /* grown as needed, up to STATS_MAX_VALUES */
	size_t n, cap;
	bool oom;
	const char *key;             /* label of the array element being read, or NULL */
	char label[STATS_LABEL_MAX]; /* a string value of that label member, or "" */
	char version[64];            /* the daemon's "version", or "" */
	char daemon[16];             /* the daemon's "daemon"; "monitor" when absent */
};

/* Values that go up and down are gauges; the rest only count up. The
 * Prometheus names of gauges are given here (a gauge may not end in
 * _total, which the kernel's name for waiting packets does; a time is a
 * _timestamp_seconds; durations are in seconds, the base unit promtool
 * wants: the daemons' milliseconds are written as seconds with "ms").
 * NULL daemon: any. */
static const struct { const char *daemon, *name, *prom, *help; bool ms; } gauges[] = {
	{ NULL, "uptime", "uptime_seconds", "Seconds since the daemon started.", false },
	{ "monitor", "nfq.kernel.queue_total", "nfq_kernel_waiting_packets",
	  "Packets waiting in the kernel queue for a verdict.", false },
	{ "agent", "kernel.backlog", "kernel_backlog_records",
	  "Records waiting in the kernel's audit backlog.", false },
	{ "agent", "spool.packages", "spool_packages",
	  "Packages in the spool that the server has not acknowledged.", false },
	{ "agent", "spool.bytes", "spool_bytes", "Bytes of the spool's packages.", false },
	{ "agent", "sender.connected", "connected",
	  "1 while a session with the server is up.", false },
	{ "agent", "sender.last_ack", "last_ack_timestamp_seconds",
	  "Unix time of the server's last acknowledgement (0: none yet).", false },
	{ "monitor", "central.spool.packages", "central_spool_packages",
	  "Packages in the central spool that the server has not acknowledged.", false },
	{ "monitor", "central.spool.bytes", "central_spool_bytes",
	  "Bytes of the central spool's packages.", false },
	{ "monitor", "central.sender.connected", "central_connected",
	  "1 while a session with the central server is up.", false },
	{ "monitor", "central.sender.last_ack", "central_last_ack_timestamp_seconds",
	  "Unix time of the central server's last acknowledgement (0: none yet).", false },
	{ "server", "connections.open", "connections_open", "Agent connections open now.", false },
	{ "server", "last_seen", "agent_last_seen_timestamp_seconds",
	  "Unix time of the last frame from the agent (certificate subject).", false },
	{ "monitor", "probe.in_flight", "probe_in_flight",
	  "Probes of TLS 1.3 servers running now.", false },
	{ "monitor", "probe.cache_entries", "probe_cache_entries", "Probe answers cached.", false },
	{ "monitor", "probe.latency_ms_p50", "probe_wait_seconds_p50",
	  "Median wait of a session for its probe's answer (bucket bound).", true },
	{ "monitor", "probe.latency_ms_p90", "probe_wait_seconds_p90",
	  "90th percentile wait of a session for its probe's answer (bucket bound).", true },
	{ "monitor", "probe.latency_ms_p99", "probe_wait_seconds_p99",
	  "99th percentile wait of a session for its probe's answer (bucket bound).", true },
	{ "monitor", "probe.probe_ms_max", "probe_duration_seconds_max", "Longest probe.", true },
	{ "monitor", "probe.probe_ms_mean", "probe_duration_seconds_mean", "Mean probe duration.",
	  true },
	{ "monitor", "keylog.entries", "keylog_entries",
	  "Connections whose key log secrets are kept (--keylog).", false },
};

/* The gauge entry of name for this daemon, or -1. */
static int gauge_of(const struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if ((!gauges[i].daemon || !strcmp(gauges[i].daemon, w->daemon)) &&
		    !strcmp(name, gauges[i].name))
			return (int)i;
	return -1;
}

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
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;

		if (w->cap == STATS_MAX_VALUES)
			return false;
		s = realloc(w->vals, (cap < STATS_MAX_VALUES ? cap : STATS_MAX_VALUES) * sizeof(*s));
		if (!s) {
			w->oom = true;
			return false;
		}
		w->vals = s;
		w->cap = cap < STATS_MAX_VALUES ? cap : STATS_MAX_VALUES;
	}
	s = &w->vals[w->n++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->key[0] = s->label[0] = '\0';
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

/* After an element of a labelled array: its label member (a string, or
 * an integer value; else the element's index) labels its other values. */
static void label_element(struct walk *w, size_t first, long index)
{
	char label[STATS_LABEL_MAX];
	size_t i, k;

	snprintf(label, sizeof(label), "%ld", index);
	for (i = first; i < w->n; i++)
		if (!strcmp(w->vals[i].name, w->key))
			snprintf(label, sizeof(label), "%" PRIu64, w->vals[i].v);
	if (w->label[0])
		snprintf(label, sizeof(label), "%s", w->label);
	for (i = k = first; i < w->n; i++) {
		if (!strcmp(w->vals[i].name, w->key))
			continue;
		w->vals[k] = w->vals[i];
		snprintf(w->vals[k].key, sizeof(w->vals[k].key), "%s", w->key);
		snprintf(w->vals[k].label, sizeof(w->vals[k].label), "%s", label);
		k++;
	}
	w->n = k;
}

/* An array: a top-level "<x>s" (queues, agents, reasons) is labelled, its
 * elements' values named from the element down with the label <x> taken
 * from their member <x>; any other array is skipped. */
static bool read_array(struct walk *w, char *path, size_t plen, int depth)
{
	char sub[STATS_NAME_MAX] = "", key[STATS_LABEL_MAX] = "";
	bool labelled = depth == 2 && !w->key && plen > 1 && plen < sizeof(key) &&
			path[plen - 1] == 's';
	long index = 0;
	size_t first;
	uint8_t c;

	if (!expect(w, '['))
		return false;
	skip_ws(w);
	if (peek(w, &c) && c == ']')
		return cur_skip(&w->c, 1);
	if (labelled)
		memcpy(key, path, plen - 1);
	for (;;) {
		first = w->n;
		if (labelled) {
			w->key = key;
			w->label[0] = '\0';
		}
		/* skipped arrays are still walked, to find their end */
		if (!read_value(w, labelled ? sub : path, labelled ? 0 : plen, depth + 1))
			return false;
		if (labelled) {
			label_element(w, first, index++);
			w->key = NULL;
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
		/* which build and daemon is running; an element's string label */
		if (depth == 2 && !w->key && !strcmp(path, "version"))
			return read_string(w, w->version, sizeof(w->version));
		if (depth == 2 && !w->key && !strcmp(path, "daemon"))
			return read_string(w, w->daemon, sizeof(w->daemon));
		if (depth == 4 && w->key && !strcmp(path, w->key))
			return read_string(w, w->label, sizeof(w->label));
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

static bool labelled(const struct stat_value *s)
{
	return s->key[0] != '\0';
}

/* The value of name with this label (key "" for the unlabelled one). */
static const struct stat_value *find(const struct walk *w, const char *name, const char *key,
				     const char *label)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->vals[i].name, name) && !strcmp(w->vals[i].key, key) &&
		    !strcmp(w->vals[i].label, label))
			return &w->vals[i];
	return NULL;
}

static bool has_labelled_values(const struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (labelled(&w->vals[i]) && !strcmp(w->vals[i].name, name))
			return true;
	return false;
}

/* Whether value i is the first of its name (of those with label key
 * only, when key is given), in order of appearance. */
static bool first_of_name(const struct walk *w, size_t i, const char *key)
{
	size_t k;

	for (k = 0; k < i; k++)
		if ((!key || !strcmp(w->vals[k].key, key)) &&
		    !strcmp(w->vals[k].name, w->vals[i].name))
			return false;
	return true;
}

/* Whether value i is the first with its label (key and value). */
static bool first_of_label(const struct walk *w, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!strcmp(w->vals[k].key, w->vals[i].key) &&
		    !strcmp(w->vals[k].label, w->vals[i].label))
			return false;
	return true;
}

static void cell(struct buf *out, const struct stat_value *s, int width)
{
	char num[32];

	snprintf(num, sizeof(num), s ? "%" PRIu64 : "-", s ? s->v : 0);
	buf_printf(out, " %*s", width, num);
}

/* One table per label ("queue 3", "agent CN=..."): a row per value name,
 * the unlabelled value of that name as the total, a column per label. */
static void render_table(const struct walk *w, const char *key, struct buf *out)
{
	size_t i, k;
	int width = 14;
	char head[STATS_LABEL_MAX * 2];

	for (k = 0; k < w->n; k++)
		if (!strcmp(w->vals[k].key, key) && first_of_label(w, k)) {
			snprintf(head, sizeof(head), "%s %s", key, w->vals[k].label);
			if ((int)strlen(head) > width)
				width = (int)strlen(head);
		}
	buf_printf(out, "\n%-28s %*s", "", width, "total");
	for (k = 0; k < w->n; k++)
		if (!strcmp(w->vals[k].key, key) && first_of_label(w, k)) {
			snprintf(head, sizeof(head), "%s %s", key, w->vals[k].label);
			buf_printf(out, " %*s", width, head);
		}
	buf_putc(out, '\n');
	for (i = 0; i < w->n; i++) {
		if (strcmp(w->vals[i].key, key) || !first_of_name(w, i, key))
			continue;
		buf_printf(out, "%-28s", w->vals[i].name);
		cell(out, find(w, w->vals[i].name, "", ""), width);
		for (k = 0; k < w->n; k++)
			if (!strcmp(w->vals[k].key, key) && first_of_label(w, k))
				cell(out, find(w, w->vals[i].name, key, w->vals[k].label), width);
		buf_putc(out, '\n');
	}
}

static void render_text(const struct walk *w, struct buf *out)
{
	size_t i, k;

	if (w->version[0])
		buf_printf(out, "%-28s %s\n", "version", w->version);
	for (i = 0; i < w->n; i++)
		if (!labelled(&w->vals[i]) && !has_labelled_values(w, w->vals[i].name))
			buf_printf(out, "%-28s %" PRIu64 "\n", w->vals[i].name, w->vals[i].v);
	for (i = 0; i < w->n; i++) {
		if (!labelled(&w->vals[i]))
			continue;
		for (k = 0; k < i && strcmp(w->vals[k].key, w->vals[i].key); k++)
			;
		if (k == i)
			render_table(w, w->vals[i].key, out);
	}
}

/* A metric name: secaudit_<daemon>_ and [a-zA-Z0-9_] only (the path's
 * dots and anything else a name should not hold become '_'). */
static void prom_name(const struct walk *w, const char *name, char *out, size_t n)
{
	int g = gauge_of(w, name);
	size_t k;

	k = (size_t)snprintf(out, n, "secaudit_%s_", w->daemon);
	if (g >= 0) {
		snprintf(out + k, n - k, "%s", gauges[g].prom);
		return;
	}
	for (; *name && k + 1 < n; name++, k++) {
		char c = *name;

		out[k] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ? c : '_';
	}
	out[k < n ? k : n - 1] = '\0';
	if (k + sizeof("_total") <= n)
		strcat(out, "_total");
}

/* A label value with '\' and '"' escaped (the exposition format's rule;
 * the JSON reader already turned escapes into their character). */
static void prom_label(struct buf *out, const char *key, const char *v)
{
	buf_printf(out, "{%s=\"", key);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		buf_putc(out, *v == '\n' ? ' ' : *v);
	}
	buf_put(out, "\"}", 2);
}

static void render_prometheus(const struct walk *w, struct buf *out)
{
	char metric[STATS_NAME_MAX + 48];
	size_t i, k;
	int g;

	for (i = 0; i < w->n; i++) {
		const struct stat_value *s = &w->vals[i];
		bool per_label = has_labelled_values(w, s->name);

		/* a family once, all its series together; the process-wide sums
		 * of labelled values are left out (sum() gives them) */
		if (!first_of_name(w, i, NULL))
			continue;
		g = gauge_of(w, s->name);
		prom_name(w, s->name, metric, sizeof(metric));
		if (g >= 0)
			buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", metric, gauges[g].help,
				   metric);
		else
			buf_printf(out, "# HELP %s secaudit-%s counter %s\n# TYPE %s counter\n",
				   metric, w->daemon, s->name, metric);
		for (k = i; k < w->n; k++) {
			const struct stat_value *t = &w->vals[k];

			if (strcmp(t->name, s->name) || (per_label && !labelled(t)))
				continue;
			buf_printf(out, "%s", metric);
			if (labelled(t))
				prom_label(out, t->key, t->label);
			if (g >= 0 && gauges[g].ms)
				buf_printf(out, " %" PRIu64 ".%03u\n", t->v / 1000,
					   (unsigned)(t->v % 1000));
			else
				buf_printf(out, " %" PRIu64 "\n", t->v);
		}
	}
}

/* The daemon's name goes into metric names: [a-z] only. */
static bool daemon_name_ok(const char *d)
{
	if (!*d)
		return false;
	for (; *d; d++)
		if (*d < 'a' || *d > 'z')
			return false;
	return true;
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
	struct walk w = { .c = cur_make((const uint8_t *)line, len), .daemon = "monitor" };
	char path[STATS_NAME_MAX] = "";
	int r = -EPROTO;

	skip_ws(&w);
	if (!read_object(&w, path, 0, 1)) {
		if (w.oom)
			r = -ENOMEM;
		goto out;
	}
	skip_ws(&w);
	if (cur_left(&w.c) || !daemon_name_ok(w.daemon))
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
