/* shipper: the monitor's events to the central server; contract in shipper.h. */
#include "io/shipper.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_wire.h"
#include "buf.h"
#include "logmsg.h"
#include "spool.h"

#define SHIPPER_LOG_EVERY_S 10	/* between two notes about a full ring */
#define SHIPPER_TOUCHED (2u << 20)	/* of each ring buffer, faulted in at start */
#define SHIPPER_SLICE_MS 50		/* the ring is emptied this often in a batch */

struct shipper {
	struct shipper_opts o;
	struct sender snd;
	bool sender_ok;
	struct spool *spool;
	pthread_t ship_thr, send_thr;
	bool ship_started, send_started;
	/* the ring: producers append to ring under lock; the shipper swaps it
	 * with its own empty buffer */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct buf ring;
	bool stopping;
	bool idle;			/* the shipper waits for a first line */
	uint64_t ring_dropped;		/* under lock */
	/* the shipper thread's own */
	struct buf work, body;
	uint32_t body_events;
	time_t dropped_note_at;
	uint64_t dropped_noted;
	atomic_uint_fast64_t taken;	/* lines the shipper took from the ring */
	atomic_uint_fast64_t shipped, spool_errors;
};

/*
 * A ring buffer (the ring, or the one swapped with it) at its full size
 * from the start, its first SHIPPER_TOUCHED bytes written once. Grown by
 * the appends instead, the queue thread paid for the realloc and for a
 * page fault at every 4 KiB it reached first (in the lab's bench about
 * 3% of the queue thread's time in the batches after each start, more
 * than the copies). The rest stays untouched address space until a rate
 * that fills it.
 */
static bool ring_reserve(struct buf *b, size_t bytes)
{
	if (!buf_reserve(b, bytes))
		return false;
	memset(b->data, 0, bytes < SHIPPER_TOUCHED ? bytes : SHIPPER_TOUCHED);
	return true;
}

struct shipper *shipper_new(const struct shipper_opts *o, char *err, size_t errsz)
{
	struct shipper *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->o.send.kind = AW_KIND_EVE;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (!ring_reserve(&s->ring, o->ring_bytes) || !ring_reserve(&s->work, o->ring_bytes)) {
		snprintf(err, errsz, "central: out of memory for a ring of %zu bytes", o->ring_bytes);
		shipper_free(s);
		return NULL;
	}
	if (sender_init(&s->snd, &s->o.send, NULL) < 0) {
		snprintf(err, errsz, "central: the TLS files (logged above) cannot be used");
		shipper_free(s);
		return NULL;
	}
	s->sender_ok = true;
	return s;
}

/* Lines in a chunk: counted only for what is dropped (the shipper counts
 * what it takes), so a queue thread's cost of shipping is one copy. */
static uint64_t count_lines(const char *lines, size_t len)
{
	const char *p, *end = lines + len;
	uint64_t n = 0;

	for (p = lines; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

void shipper_offer(struct shipper *s, const char *lines, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->ring.len + len > s->o.ring_bytes) {
		s->ring_dropped += count_lines(lines, len);
	} else {
		bool half = s->ring.len < s->o.ring_bytes / 2;

		buf_put(&s->ring, lines, len);
		if (s->ring.oom) {	/* what did fit stays; a partial line is cut off */
			s->ring.oom = false;
			s->ring_dropped += count_lines(lines, len);
		}
		/* One wake-up per batch: the first line starts the batch's
		 * clock; crossing half the ring ends the batch early. A signal
		 * per offer cost the queue thread a futex call and the shipper
		 * a wake-up per handshake. */
		half = half && s->ring.len >= s->o.ring_bytes / 2;
		if (s->idle || half) {
			s->idle = false;
			pthread_cond_signal(&s->cond);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* The value of "event_type" in an EVE line (the monitor writes it among
 * the first keys); false when absent. */
static bool line_type(const char *line, size_t len, const char **t, size_t *tl)
{
	static const char key[] = "\"event_type\":\"";
	const char *p = memmem(line, len, key, sizeof(key) - 1), *e;

	if (!p)
		return false;
	p += sizeof(key) - 1;
	e = memchr(p, '"', (size_t)(line + len - p));
	if (!e)
		return false;
	*t = p;
	*tl = (size_t)(e - p);
	return true;
}

static bool wanted(const struct shipper *s, const char *line, size_t len)
{
	const char *t;
	size_t tl, i;

	if (!line_type(line, len, &t, &tl))
		return false;
	for (i = 0; i < s->o.n_types; i++)
		if (strlen(s->o.types[i]) == tl && !memcmp(s->o.types[i], t, tl))
			return true;
	return false;
}

/* The batch to the spool (a package), and the sender told. */
static void spool_batch(struct shipper *s)
{
	uint64_t seq;
	int rc;

	if (!s->body_events)
		return;
	rc = spool_append(s->spool, s->body_events, &s->body, &seq);
	if (rc < 0) {
		atomic_fetch_add(&s->spool_errors, 1);
		logmsg("central: spool %s: %s: %u events not shipped (they are in the local log)",
		       s->o.spool_dir, strerror(-rc), s->body_events);
	} else {
		atomic_fetch_add(&s->shipped, s->body_events);
		atomic_fetch_add(&s->snd.events_total, s->body_events);
		sender_wake(&s->snd);
	}
	buf_reset(&s->body);
	s->body.oom = false;
	s->body_events = 0;
}

/* Takes the lines of s->work into the batch. */
static void take_lines(struct shipper *s)
{
	const char *p = s->work.data, *end = p + s->work.len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;	/* only a line cut by a full ring ends without one */
		atomic_fetch_add_explicit(&s->taken, 1, memory_order_relaxed);
		if ((size_t)(nl - p) <= AW_MAX_EVENT && wanted(s, p, (size_t)(nl - p))) {
			aw_put_event(&s->body, p, (size_t)(nl - p));
			s->body_events++;
			if (s->body_events >= s->o.batch_events || s->body.len >= (1u << 20))
				spool_batch(s);
		}
		p = nl + 1;
	}
	buf_reset(&s->work);
}

static void note_drops(struct shipper *s, uint64_t dropped)
{
	time_t t = time(NULL);

	if (dropped == s->dropped_noted || t - s->dropped_note_at < SHIPPER_LOG_EVERY_S)
		return;
	logmsg("central: event ring full (%zu bytes): %llu events not shipped so far "
	       "(they are in the local log)", s->o.ring_bytes, (unsigned long long)dropped);
	s->dropped_noted = dropped;
	s->dropped_note_at = t;
}

static void add_ms(struct timespec *t, unsigned ms)
{
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	t->tv_sec += ms / 1000 + t->tv_nsec / 1000000000;
	t->tv_nsec %= 1000000000;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Waits under s->lock for the next slice of a batch: SHIPPER_SLICE_MS, or
 * less when the batch (due at *end) ends first, the ring is half full or
 * the shipper stops. True when the batch is due. The ring is emptied at
 * every slice, not once per batch: a ring that holds a whole second of
 * events is cold in the cache when a queue thread copies into it (a cache
 * miss per line it writes); a slice's worth stays warm. The slices wake
 * the shipper alone, on its clock: the queue threads still signal only a
 * batch's first line.
 */
static bool wait_slice(struct shipper *s, const struct timespec *end)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	add_ms(&until, SHIPPER_SLICE_MS);
	if (!before(&until, end))
		until = *end;
	while (!s->stopping && s->ring.len < s->o.ring_bytes / 2)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
			return !before(&until, end);
	return true;
}

/* Waits under s->lock for a batch's first line (or the stop). */
static void wait_first(struct shipper *s)
{
	while (!s->ring.len && !s->stopping) {
		s->idle = true;
		pthread_cond_wait(&s->cond, &s->lock);
	}
	s->idle = false;
}

static void *ship_main(void *arg)
{
	struct shipper *s = arg;
	struct timespec end;
	struct buf tmp;
	uint64_t dropped;
	bool stopping, due;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		wait_first(s);
		clock_gettime(CLOCK_REALTIME, &end);
		add_ms(&end, s->o.batch_ms);
		do {
			due = wait_slice(s, &end);
			tmp = s->work;		/* empty: swap it with the ring */
			s->work = s->ring;
			s->ring = tmp;
			stopping = s->stopping;
			dropped = s->ring_dropped;
			pthread_mutex_unlock(&s->lock);
			/* STATS: lost before the spool */
			atomic_store(&s->snd.kernel_lost, dropped);
			take_lines(s);
			if (!due)
				pthread_mutex_lock(&s->lock);
		} while (!due);
		note_drops(s, dropped);
		spool_batch(s);		/* one spool write (one fsync) per batch */
		if (stopping)
			break;
	}
	return NULL;
}

int shipper_start(struct shipper *s, char *err, size_t errsz)
{
	s->spool = spool_open(s->o.spool_dir, s->o.spool_max, SPOOL_DROP_OLDEST, err, errsz);
	if (!s->spool)
		return -1;
	s->snd.spool = s->spool;
	if (pthread_create(&s->send_thr, NULL, sender_run, &s->snd) != 0) {
		snprintf(err, errsz, "central: cannot start the sender thread");
		return -1;
	}
	s->send_started = true;
	if (pthread_create(&s->ship_thr, NULL, ship_main, s) != 0) {
		snprintf(err, errsz, "central: cannot start the shipper thread");
		return -1;
	}
	s->ship_started = true;
	/* named for top -H, perf and bench/central.py (their CPU apart) */
	pthread_setname_np(s->send_thr, "central-send");
	pthread_setname_np(s->ship_thr, "central-ship");
	return 0;
}

void shipper_reload(struct shipper *s)
{
	sender_reload(&s->snd);
}

void shipper_get_stats(struct shipper *s, struct shipper_stats *st)
{
	struct spool_stats ss = { 0 };

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&s->lock);
	st->ring_dropped = s->ring_dropped;
	pthread_mutex_unlock(&s->lock);
	st->offered = atomic_load(&s->taken) + st->ring_dropped;
	st->shipped = atomic_load(&s->shipped);
	st->spool_errors = atomic_load(&s->spool_errors);
	if (s->spool)
		spool_get_stats(s->spool, &ss);
	st->spool_dropped_events = ss.dropped_events;
}

void shipper_stats_json(struct shipper *s, struct json *j)
{
	struct shipper_stats st;

	shipper_get_stats(s, &st);
	json_kv_uint(j, "offered", st.offered);
	json_kv_uint(j, "shipped", st.shipped);
	json_kv_uint(j, "ring_dropped", st.ring_dropped);
	json_kv_uint(j, "spool_errors", st.spool_errors);
	if (s->spool)
		sender_stats_json(&s->snd, j);
}

void shipper_free(struct shipper *s)
{
	if (!s)
		return;
	if (s->ship_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->ship_thr, NULL);
	}
	if (s->send_started) {
		atomic_store(&s->snd.stop, true);
		sender_wake(&s->snd);
		pthread_join(s->send_thr, NULL);
	}
	if (s->sender_ok)
		sender_fini(&s->snd);
	spool_close(s->spool);
	buf_free(&s->ring);
	buf_free(&s->work);
	buf_free(&s->body);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
