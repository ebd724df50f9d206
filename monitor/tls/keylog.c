/*
 * keylog: NSS key log parsing and the table of secrets. See keylog.h.
 *
 * Entries live in a ring in the order their connections were first named
 * (the oldest at head, so room and age limits take from one end), found
 * through a chained hash index on the client random. A random named on
 * several lines (OpenSSL writes the client's and the server's secret on
 * two; s_client and s_server appending to one file write each twice)
 * folds into one entry. Unlimited tables grow by doubling; the ring is
 * straightened then and the index rebuilt.
 */
#include "tls/keylog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashseed.h"

#define KEYLOG_MAX_FILE (256u * 1024 * 1024)
#define KEYLOG_MAX_ENTRIES (1u << 30)
#define NIL UINT32_MAX

struct slot {
	struct keylog_entry e;
	uint64_t born;              /* now_us of its first line */
	uint32_t next;              /* next slot of its hash chain, NIL at the end */
};

struct keylog {
	pthread_mutex_t lock;       /* guards everything below */
	size_t max;                 /* most entries; 0: no limit */
	uint64_t max_age;           /* µs; 0: no limit */
	uint64_t seed;              /* of the hash: clients choose their randoms */
	size_t head, n, alloc;      /* the ring: slots head .. head + n - 1, mod alloc */
	struct slot *s;
	uint32_t *bucket;
	size_t mask;                /* buckets - 1 */
	uint64_t evicted;
};

/* The table is logically const to readers; its lock is not. */
static pthread_mutex_t *lock_of(const struct keylog *kl)
{
	return (pthread_mutex_t *)&kl->lock;
}

static size_t hash(const struct keylog *kl, const uint8_t r[KEYLOG_RANDOM_LEN])
{
	uint64_t h = kl->seed, w;
	unsigned i;

	for (i = 0; i < KEYLOG_RANDOM_LEN; i += 8) {
		memcpy(&w, r + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (size_t)h & kl->mask;
}

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

struct keylog *keylog_new(size_t max_entries, uint64_t max_age_us)
{
	struct keylog *kl = calloc(1, sizeof(*kl));

	if (!kl)
		return NULL;
	kl->seed = hashseed_new(kl);
	kl->max = max_entries && max_entries < KEYLOG_MAX_ENTRIES ? max_entries :
								  KEYLOG_MAX_ENTRIES;
	kl->max_age = max_age_us;
	pthread_mutex_init(&kl->lock, NULL);
	return kl;
}

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	pthread_mutex_destroy(&kl->lock);
	free(kl->s);
	free(kl->bucket);
	free(kl);
}

static uint32_t find_slot(const struct keylog *kl, const uint8_t r[KEYLOG_RANDOM_LEN])
{
	uint32_t i;

	if (!kl->n)
		return NIL;
	for (i = kl->bucket[hash(kl, r)]; i != NIL; i = kl->s[i].next)
		if (!memcmp(kl->s[i].e.random, r, KEYLOG_RANDOM_LEN))
			return i;
	return NIL;
}

static void link_slot(struct keylog *kl, uint32_t i)
{
	size_t b = hash(kl, kl->s[i].e.random);

	kl->s[i].next = kl->bucket[b];
	kl->bucket[b] = i;
}

/* Twice the room (up to max), the ring straightened, the index rebuilt. */
static int grow(struct keylog *kl)
{
	size_t alloc = kl->alloc ? kl->alloc * 2 : 64, nb = 1, i;
	struct slot *s;
	uint32_t *bucket;

	if (alloc > kl->max)
		alloc = kl->max;
	while (nb < 2 * alloc)
		nb *= 2;
	s = malloc(alloc * sizeof(*s));
	bucket = malloc(nb * sizeof(*bucket));
	if (!s || !bucket) {
		free(s);
		free(bucket);
		return -ENOMEM;
	}
	for (i = 0; i < kl->n; i++)
		s[i] = kl->s[(kl->head + i) % kl->alloc];
	free(kl->s);
	free(kl->bucket);
	kl->s = s;
	kl->bucket = bucket;
	kl->alloc = alloc;
	kl->head = 0;
	kl->mask = nb - 1;
	for (i = 0; i < nb; i++)
		bucket[i] = NIL;
	for (i = 0; i < kl->n; i++)
		link_slot(kl, (uint32_t)i);
	return 0;
}

/* Forgets the oldest entry. */
static void evict_head(struct keylog *kl)
{
	uint32_t h = (uint32_t)kl->head, *p = &kl->bucket[hash(kl, kl->s[h].e.random)];

	while (*p != h)
		p = &kl->s[*p].next;
	*p = kl->s[h].next;
	kl->head = (kl->head + 1) % kl->alloc;
	kl->n--;
	kl->evicted++;
}

static void expire_locked(struct keylog *kl, uint64_t now_us)
{
	while (kl->max_age && kl->n && now_us > kl->s[kl->head].born &&
	       now_us - kl->s[kl->head].born > kl->max_age)
		evict_head(kl);
}

void keylog_expire(struct keylog *kl, uint64_t now_us)
{
	pthread_mutex_lock(&kl->lock);
	expire_locked(kl, now_us);
	pthread_mutex_unlock(&kl->lock);
}

/* One secret into its connection's entry, made (the oldest going for
 * room) when the random is new. */
static int put(struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN], bool server,
	       const struct keylog_secret *sec, uint64_t now_us)
{
	uint32_t i = find_slot(kl, random);

	if (i == NIL) {
		expire_locked(kl, now_us);
		if (kl->n == kl->alloc) {
			if (kl->alloc == kl->max)
				evict_head(kl);
			else if (grow(kl))
				return -ENOMEM;
		}
		i = (uint32_t)((kl->head + kl->n) % kl->alloc);
		memset(&kl->s[i], 0, sizeof(kl->s[i]));
		memcpy(kl->s[i].e.random, random, KEYLOG_RANDOM_LEN);
		kl->s[i].born = now_us;
		link_slot(kl, i);
		kl->n++;
	}
	if (server)
		kl->s[i].e.server_hs = *sec;
	else
		kl->s[i].e.client_hs = *sec;
	return 0;
}

/* One line: -EINVAL when it is malformed, 1 when it gave a secret, 0 for a
 * comment, a blank line or another label. */
static int parse_line(struct keylog *kl, const char *p, const char *end, uint64_t now_us)
{
	uint8_t random[KEYLOG_RANDOM_LEN];
	struct keylog_secret sec = { 0 };
	const char *label, *rnd, *secret;
	size_t nl, nr, ns;
	bool server;
	int r;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end || *p == '#')
		return 0;
	nl = field(&p, end, &label);
	nr = field(&p, end, &rnd);
	ns = field(&p, end, &secret);
	if (!nr || !ns || p != end || !unhex(rnd, nr, random, sizeof(random)) ||
	    ns % 2 || ns / 2 > KEYLOG_MAX_SECRET)
		return -EINVAL;
	if (nl == 31 && !memcmp(label, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 31))
		server = false;
	else if (nl == 31 && !memcmp(label, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 31))
		server = true;
	else
		return 0;       /* another label: not ours to use */
	sec.len = (uint8_t)(ns / 2);
	if (!unhex(secret, ns, sec.b, sec.len))
		return -EINVAL;
	r = put(kl, random, server, &sec, now_us);
	return r < 0 ? r : 1;
}

long keylog_add(struct keylog *kl, const char *text, size_t len, uint64_t now_us,
		unsigned *bad_lines)
{
	const char *p = text, *end = text + len, *nl;
	long added = 0;
	int r;

	pthread_mutex_lock(&kl->lock);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		r = parse_line(kl, p, nl, now_us);
		if (r == -ENOMEM) {
			added = r;
			break;
		}
		if (r < 0 && bad_lines)
			(*bad_lines)++;
		added += r > 0;
		p = nl + (nl < end);
	}
	pthread_mutex_unlock(&kl->lock);
	return added;
}

struct keylog *keylog_parse(const char *text, size_t len, unsigned *bad_lines)
{
	struct keylog *kl = keylog_new(0, 0);
	unsigned bad = 0;

	if (!kl)
		return NULL;
	if (keylog_add(kl, text, len, 0, &bad) < 0) {
		keylog_free(kl);
		return NULL;
	}
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

size_t keylog_count(const struct keylog *kl)
{
	size_t n;

	if (!kl)
		return 0;
	pthread_mutex_lock(lock_of(kl));
	n = kl->n;
	pthread_mutex_unlock(lock_of(kl));
	return n;
}

uint64_t keylog_evicted(const struct keylog *kl)
{
	uint64_t n;

	pthread_mutex_lock(lock_of(kl));
	n = kl->evicted;
	pthread_mutex_unlock(lock_of(kl));
	return n;
}

bool keylog_find(const struct keylog *kl, const uint8_t random[static KEYLOG_RANDOM_LEN],
		 struct keylog_entry *out)
{
	uint32_t i;

	if (!kl)
		return false;
	pthread_mutex_lock(lock_of(kl));
	i = find_slot(kl, random);
	if (i != NIL)
		*out = kl->s[i].e;
	pthread_mutex_unlock(lock_of(kl));
	return i != NIL;
}
