/*
 * prober: pool, cache and rate limits around probe_run(). See prober.h.
 *
 * One mutex guards the table, the LRU list, the job ring and the rate
 * buckets; a probe runs without it. Entries are reference counted: one
 * reference is the table's, one each caller's and the running job's, so an
 * entry evicted or expired while someone reads it is freed by the last put.
 */
#include "probe/prober.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum { ENTRY_PENDING = 1, ENTRY_READY };

#define DEST_SLOTS 1024

/* A token bucket: `tokens` refill at `rate` per `per_us`, up to `rate`. */
struct bucket {
	double tokens;
	uint64_t at_us;
};

struct dest_slot {
	uint8_t addr[16];
	bool used;
	struct bucket b;
};

struct prober {
	struct prober_config cfg;
	prober_done_fn done;
	void *done_arg;
	pthread_mutex_t lock;
	pthread_cond_t work;
	bool stopping;
	pthread_t *threads;
	unsigned n_threads;
	size_t n_buckets;
	struct prober_entry **table;
	struct prober_entry *lru_head, *lru_tail;   /* head: most recently used */
	struct prober_entry **jobs;                 /* ring of max_pending */
	unsigned job_head, job_n;
	struct bucket global;
	struct dest_slot dests[DEST_SLOTS];
	struct prober_stats st;
};

void prober_config_default(struct prober_config *c)
{
	*c = (struct prober_config){
		.threads = 2, .max_pending = 256, .cache_size = 4096, .ttl_s = 300,
		.negative_ttl_s = 30, .rate_global = 50, .rate_per_dest = 30,
		.probe = { .timeout_ms = 3000 },
	};
}

/* ---- keys ---------------------------------------------------------------- */

/* SHA-256 over every field of the offer that can change the server's
 * answer, each length-prefixed so that no two offers share a serialisation. */
static void offer_digest(const struct probe_offer *o, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t head[1 + 16 + 2 + 1 + 1];
	uint16_t nsni = o->has_sni ? (uint16_t)strnlen(o->sni, sizeof(o->sni)) : 0xffff;

	head[0] = (uint8_t)o->family;
	memcpy(head + 1, o->addr, 16);
	head[17] = (uint8_t)(o->port >> 8);
	head[18] = (uint8_t)o->port;
	head[19] = o->status_request;
	head[20] = o->quic;         /* probed over TCP, maybe at another port */
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, head, sizeof(head)) != 1 ||
	    EVP_DigestUpdate(md, &nsni, sizeof(nsni)) != 1 ||
	    EVP_DigestUpdate(md, o->sni, o->has_sni ? nsni : 0) != 1 ||
	    EVP_DigestUpdate(md, &o->alpn.n, 1) != 1 ||
	    EVP_DigestUpdate(md, o->alpn.id, sizeof(o->alpn.id[0]) * o->alpn.n) != 1 ||
	    EVP_DigestUpdate(md, o->alpn.buf, o->alpn.used) != 1 ||
	    EVP_DigestUpdate(md, &o->n_sigalgs, 1) != 1 ||
	    EVP_DigestUpdate(md, o->sigalgs, 2u * o->n_sigalgs) != 1 ||
	    EVP_DigestUpdate(md, &o->n_groups, 1) != 1 ||
	    EVP_DigestUpdate(md, o->groups, 2u * o->n_groups) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		memset(out, 0, 32);   /* every offer then shares one entry: safe, only slower */
	EVP_MD_CTX_free(md);
}

static uint64_t hash_of(const uint8_t d[32])
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return h;
}

/* ---- table and LRU (lock held) ------------------------------------------- */

static void lru_unlink(struct prober *p, struct prober_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		p->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		p->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_front(struct prober *p, struct prober_entry *e)
{
	e->lru_next = p->lru_head;
	if (p->lru_head)
		p->lru_head->lru_prev = e;
	p->lru_head = e;
	if (!p->lru_tail)
		p->lru_tail = e;
}

static void entry_unref(struct prober_entry *e)
{
	if (--e->refs)
		return;
	probe_result_free(&e->result);
	free(e);
}

static void table_remove(struct prober *p, struct prober_entry *e)
{
	struct prober_entry **pp = &p->table[e->key_hash & (p->n_buckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	lru_unlink(p, e);
	p->st.entries--;
	entry_unref(e);
}

static struct prober_entry *table_find(struct prober *p, const uint8_t d[32], uint64_t h)
{
	struct prober_entry *e;

	for (e = p->table[h & (p->n_buckets - 1)]; e; e = e->next)
		if (!memcmp(e->digest, d, 32))
			return e;
	return NULL;
}

/* Makes room: the least recently used entry that is not in flight goes. */
static bool evict_one(struct prober *p)
{
	struct prober_entry *e;

	for (e = p->lru_tail; e; e = e->lru_prev)
		if (e->state == ENTRY_READY) {
			table_remove(p, e);
			return true;
		}
	return false;
}

/* ---- rate limits (lock held) --------------------------------------------- */

static bool take(struct bucket *b, double rate, uint64_t per_us, uint64_t now)
{
	if (!b->at_us) {
		b->tokens = rate;
		b->at_us = now;
	}
	if (now > b->at_us) {
		b->tokens += (double)(now - b->at_us) * rate / (double)per_us;
		if (b->tokens > rate)
			b->tokens = rate;
		b->at_us = now;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

/* Per-destination buckets live in a direct-mapped table: a destination
 * that takes another's slot starts with a full bucket, which the global
 * limit still bounds. */
static bool rate_ok(struct prober *p, const struct probe_offer *o, uint64_t now)
{
	uint64_t h = 1469598103934665603ull;
	struct dest_slot *d;
	unsigned i;

	for (i = 0; i < 16; i++)
		h = (h ^ o->addr[i]) * 1099511628211ull;
	d = &p->dests[h % DEST_SLOTS];
	if (!d->used || memcmp(d->addr, o->addr, 16)) {
		memset(d, 0, sizeof(*d));
		memcpy(d->addr, o->addr, 16);
		d->used = true;
	}
	if (p->cfg.rate_per_dest && !take(&d->b, p->cfg.rate_per_dest, 60000000u, now))
		return false;
	return !p->cfg.rate_global || take(&p->global, p->cfg.rate_global, 1000000u, now);
}

/* ---- the pool ------------------------------------------------------------ */

/* When a result stops being good: the TTL from when it was asked for
 * (`asked`, the caller's monotonic clock), capped at the leaf's notAfter
 * (wall clock, turned into time from now). */
static uint64_t expiry(const struct prober *p, const struct probe_result *r, uint64_t asked)
{
	uint64_t ttl = (uint64_t)(r->status == PROBE_OK ? p->cfg.ttl_s : p->cfg.negative_ttl_s) *
		       1000000u;
	const unsigned char *der = r->n_certs ? r->der[0] : NULL;
	X509 *leaf = der ? d2i_X509(NULL, &der, r->der_len[0]) : NULL;
	struct tm tm;

	if (leaf && ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1) {
		time_t left = timegm(&tm) - time(NULL);

		if (left <= 0)
			ttl = (uint64_t)p->cfg.negative_ttl_s * 1000000u;
		else if ((uint64_t)left * 1000000u < ttl)
			ttl = (uint64_t)left * 1000000u;
	}
	X509_free(leaf);
	return asked + ttl;
}

static void *worker(void *arg)
{
	struct prober *p = arg;
	struct probe_result r;
	struct prober_entry *e;
	sigset_t all;

	/* Signals are the main thread's; SIGPIPE from a closed probe socket
	 * must not end the process (probe.h). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->job_n && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stopping)
			break;
		e = p->jobs[p->job_head];
		p->job_head = (p->job_head + 1) % p->cfg.max_pending;
		p->job_n--;
		pthread_mutex_unlock(&p->lock);
		probe_run(&e->offer, &p->cfg.probe, &r);
		pthread_mutex_lock(&p->lock);
		e->result = r;
		e->state = ENTRY_READY;
		e->expires_us = expiry(p, &r, e->expires_us);
		p->st.probes++;
		p->st.in_flight--;
		if (r.status != PROBE_OK)
			p->st.failures++;
		p->st.by_status[r.status < PROBE_STATUS_COUNT ? r.status : PROBE_ERROR]++;
		p->st.latency_us_sum += r.latency_us;
		if (r.latency_us > p->st.latency_us_max)
			p->st.latency_us_max = r.latency_us;
		entry_unref(e);   /* the job's reference */
		pthread_mutex_unlock(&p->lock);
		if (p->done)
			p->done(p->done_arg);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct prober *prober_new(const struct prober_config *cfg, prober_done_fn done, void *arg)
{
	struct prober *p = calloc(1, sizeof(*p));
	unsigned i;

	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!p->cfg.threads)
		p->cfg.threads = 1;
	if (!p->cfg.max_pending)
		p->cfg.max_pending = 1;
	if (!p->cfg.cache_size)
		p->cfg.cache_size = 1;
	p->done = done;
	p->done_arg = arg;
	for (p->n_buckets = 16; p->n_buckets < p->cfg.cache_size; p->n_buckets *= 2)
		;
	p->table = calloc(p->n_buckets, sizeof(*p->table));
	p->jobs = calloc(p->cfg.max_pending, sizeof(*p->jobs));
	p->threads = calloc(p->cfg.threads, sizeof(*p->threads));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	if (!p->table || !p->jobs || !p->threads)
		goto fail;
	for (i = 0; i < p->cfg.threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p))
			goto fail;
		p->n_threads++;
	}
	return p;
fail:
	prober_free(p);
	errno = ENOMEM;
	return NULL;
}

void prober_free(struct prober *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	/* Jobs never run hold a reference each, as the table does. */
	while (p->job_n) {
		entry_unref(p->jobs[p->job_head]);
		p->job_head = (p->job_head + 1) % p->cfg.max_pending;
		p->job_n--;
	}
	while (p->lru_head)
		table_remove(p, p->lru_head);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	free(p->table);
	free(p->jobs);
	free(p->threads);
	free(p);
}

/* A result that is not cached: the caller's alone. */
static struct prober_entry *refused(enum probe_status s, const char *why)
{
	struct prober_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->refs = 1;
	e->state = ENTRY_READY;
	e->result.status = s;
	snprintf(e->result.reason, sizeof(e->result.reason), "%s", why);
	return e;
}

enum prober_answer prober_get(struct prober *p, const struct probe_offer *o, uint64_t now_us,
			      struct prober_entry **out)
{
	uint8_t d[32];
	uint64_t h;
	struct prober_entry *e;
	enum prober_answer a = PROBER_PENDING;
	const char *why = "rate limit";

	offer_digest(o, d);
	h = hash_of(d);
	*out = NULL;
	pthread_mutex_lock(&p->lock);
	e = table_find(p, d, h);
	if (e && e->state == ENTRY_READY && now_us >= e->expires_us) {
		table_remove(p, e);
		e = NULL;
	}
	if (e) {
		if (e->state == ENTRY_READY) {
			e->refs++;
			lru_unlink(p, e);
			lru_front(p, e);
			p->st.cache_hits++;
			*out = e;
			a = PROBER_READY;
		}
		goto out;
	}
	if (p->job_n == p->cfg.max_pending)
		why = "probe queue full";
	else if (rate_ok(p, o, now_us))
		why = NULL;
	if (why || (p->st.entries >= p->cfg.cache_size && !evict_one(p))) {
		p->st.rate_limited++;
		p->st.by_status[PROBE_RATE_LIMITED]++;
		*out = refused(PROBE_RATE_LIMITED, why ? why : "cache full of probes in flight");
		a = PROBER_READY;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		*out = refused(PROBE_ERROR, "out of memory");
		a = PROBER_READY;
		goto out;
	}
	memcpy(e->digest, d, 32);
	e->key_hash = h;
	e->offer = *o;
	e->state = ENTRY_PENDING;
	e->expires_us = now_us;   /* until it is READY: when it was asked for */
	e->refs = 2;   /* the table's and the job's */
	e->next = p->table[h & (p->n_buckets - 1)];
	p->table[h & (p->n_buckets - 1)] = e;
	lru_front(p, e);
	p->st.entries++;
	p->st.in_flight++;
	p->jobs[(p->job_head + p->job_n) % p->cfg.max_pending] = e;
	p->job_n++;
	pthread_cond_signal(&p->work);
out:
	pthread_mutex_unlock(&p->lock);
	return a;
}

void prober_put(struct prober *p, struct prober_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&p->lock);
	entry_unref(e);
	pthread_mutex_unlock(&p->lock);
}

void prober_stats(struct prober *p, struct prober_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
}
