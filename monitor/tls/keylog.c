/*
 * keylog: NSS key log parsing and lookup. See keylog.h.
 *
 * Entries are kept in an array sorted by client random, so a lookup is a
 * binary search; a random named on several lines (files are often appended
 * to twice, as OpenSSL's s_client and s_server both write) merges into one
 * entry.
 */
#include "tls/keylog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYLOG_MAX_FILE (256u * 1024 * 1024)

struct keylog {
	size_t n, cap;
	struct keylog_entry *e;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 2 * n hex digits at p. */
static bool unhex(const char *p, size_t digits, uint8_t *out, size_t n)
{
	size_t i;

	if (digits != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The next space-separated field of [*p, end): start and length. */
static size_t field(const char **p, const char *end, const char **start)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*start = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	return (size_t)(*p - *start);
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct keylog_entry *)a)->random,
		      ((const struct keylog_entry *)b)->random, KEYLOG_RANDOM_LEN);
}

static bool add(struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN], bool server,
		const struct keylog_secret *sec)
{
	struct keylog_entry *e;

	if (kl->n == kl->cap) {
		size_t cap = kl->cap ? kl->cap * 2 : 64;

		e = realloc(kl->e, cap * sizeof(*e));
		if (!e)
			return false;
		kl->e = e;
		kl->cap = cap;
	}
	e = &kl->e[kl->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->random, random, KEYLOG_RANDOM_LEN);
	if (server)
		e->server_hs = *sec;
	else
		e->client_hs = *sec;
	return true;
}

/* One line: false when it is malformed (a comment or blank line is not). */
static bool parse_line(struct keylog *kl, const char *p, const char *end, bool *oom)
{
	uint8_t random[KEYLOG_RANDOM_LEN];
	struct keylog_secret sec = { 0 };
	const char *label, *rnd, *secret;
	size_t nl, nr, ns;
	bool server;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end || *p == '#')
		return true;
	nl = field(&p, end, &label);
	nr = field(&p, end, &rnd);
	ns = field(&p, end, &secret);
	if (!nr || !ns || p != end || !unhex(rnd, nr, random, sizeof(random)) ||
	    ns % 2 || ns / 2 > KEYLOG_MAX_SECRET)
		return false;
	if (nl == 31 && !memcmp(label, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 31))
		server = false;
	else if (nl == 31 && !memcmp(label, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 31))
		server = true;
	else
		return true;    /* another label: not ours to use */
	sec.len = (uint8_t)(ns / 2);
	if (!unhex(secret, ns, sec.b, sec.len))
		return false;
	if (!add(kl, random, server, &sec))
		*oom = true;
	return true;
}

/* Sorts and folds the client and server lines of one random together. */
static void merge(struct keylog *kl)
{
	size_t i, out = 0;

	if (!kl->n)
		return;
	qsort(kl->e, kl->n, sizeof(*kl->e), cmp_entry);
	for (i = 1; i < kl->n; i++) {
		struct keylog_entry *last = &kl->e[out];

		if (!cmp_entry(last, &kl->e[i])) {
			if (kl->e[i].client_hs.len)
				last->client_hs = kl->e[i].client_hs;
			if (kl->e[i].server_hs.len)
				last->server_hs = kl->e[i].server_hs;
		} else {
			kl->e[++out] = kl->e[i];
		}
	}
	kl->n = out + 1;
}

struct keylog *keylog_parse(const char *text, size_t len, unsigned *bad_lines)
{
	struct keylog *kl = calloc(1, sizeof(*kl));
	const char *p = text, *end = text + len, *nl;
	unsigned bad = 0;
	bool oom = false;

	if (!kl)
		return NULL;
	while (p < end && !oom) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (!parse_line(kl, p, nl, &oom))
			bad++;
		p = nl + (nl < end);
	}
	if (oom) {
		keylog_free(kl);
		return NULL;
	}
	merge(kl);
	if (bad_lines)
		*bad_lines = bad;
	return kl;
}

struct keylog *keylog_load(const char *path, unsigned *bad_lines, char *err, size_t errlen)
{
	struct keylog *kl = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *nt;

			cap = cap ? cap * 2 : 65536;
			if (cap > KEYLOG_MAX_FILE) {
				snprintf(err, errlen, "%s: larger than %u MiB", path,
					 KEYLOG_MAX_FILE >> 20);
				goto out;
			}
			nt = realloc(text, cap);
			if (!nt) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			text = nt;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	kl = keylog_parse(text, len, bad_lines);
	if (!kl)
		snprintf(err, errlen, "%s: out of memory", path);
out:
	free(text);
	fclose(f);
	return kl;
}

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	free(kl->e);
	free(kl);
}

size_t keylog_count(const struct keylog *kl)
{
	return kl ? kl->n : 0;
}

const struct keylog_entry *keylog_find(const struct keylog *kl,
				       const uint8_t random[static KEYLOG_RANDOM_LEN])
{
	struct keylog_entry key;

	if (!kl || !kl->n)
		return NULL;
	memcpy(key.random, random, KEYLOG_RANDOM_LEN);
	return bsearch(&key, kl->e, kl->n, sizeof(*kl->e), cmp_entry);
}
