/*
 * cmd_read_pool: secaudit read over several cores. See cmd_read_pool.h.
 *
 * Rounds live in a ring. A round is filled in ring[published % RING] and
 * handed to every worker (published++); filling waits only when the ring
 * is full. A classic pcap file is read a round at a time by a worker
 * that finds fewer than READ_AHEAD rounds published past the one it takes
 * (with as many workers as cores: a reader thread beside them took a
 * core's share from one of them, and the other then waited for it at the
 * ring's end), else by the caller; libpcap's inputs are pushed by the
 * caller. A worker takes every
 * round in order, decodes every packet to see whether its flow is its own
 * (mine) and, for each of its packets, records which key the
 * output it writes belongs to (a segment of its buffer); at the end of the
 * round its buffer and segments are swapped into the round. The finished
 * rounds are written in order (merged++), one thread at a time (merging):
 * a round's segments of all workers sorted by key, written with one
 * writev straight from the workers' buffers. With fewer workers than
 * cores the caller writes, on a core of its own. With as many, a third
 * thread on two cores sat on one worker's core (the last worker to finish
 * a round woke it, and the scheduler put it there), so that worker fell
 * behind and the other, at the ring's end, waited for it (65-105 ms of a
 * 2-thread --rules run): there the worker that is ahead writes, when it
 * finishes a round the other has not, or instead of waiting.
 */
#include "cmd_read_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "cacheline.h"
#include "engine/eve.h"
#include "io/capture.h"
#include "io/pcapfile.h"
#include "net/decode.h"
#include "net/flowroute.h"
#include "net/serverplace.h"
#include "policy/policy.h"
#include "policy/sessioncache.h"

#define RING 8
#define READ_AHEAD 2            /* rounds a reading worker keeps published ahead */
/* The session cache of a policy that links sessions, in parts, each the
 * flows of some servers (a worker takes every n-th part): twice the
 * monitor's slots, so that a part holds 8,192 keys. */
#define SESSION_CACHE_SLOTS 131072
#define CACHE_REGIONS 16
#define PLACED_SERVERS 16384     /* given regions in turn; the rest by hash */
#define READ_BLOCK (256u << 10)  /* bytes a read(2) of a capture file asks for */
#define ROUND_BYTES (256u << 10) /* a round read from a file holds about this */

/* Output of one worker about one key: bytes [start, end) of its buffer. */
struct seg {
	uint64_t j;                 /* the packet whose handling wrote it */
	uint64_t sub;               /* the flow's last packet (j: the packet's own) */
	size_t start, end;
	unsigned worker;            /* for the merge: whose buffer */
	unsigned seq;               /* its place in that worker's output */
};

struct wout {
	struct buf out;
	struct seg *seg;
	size_t n_seg, cap_seg;
};

/* Every worker decodes every packet and sees whether its flow is its own
 * (mine). */
struct pkt {
	uint64_t ts_us;
	size_t off;                 /* in the round's data */
	uint32_t len;
	int dlt;
};

struct round {
	uint64_t first;             /* number of its first packet */
	unsigned n;
	bool last;                  /* every engine flushes after it */
	unsigned pending;           /* workers not done with it (pool lock) */
	struct pkt *pkt;            /* round_packets of them */
	struct buf data;
	struct wout *w;             /* one per worker */
};

/* Cache lines of its own (cacheline.h): in an array of 96-byte workers,
 * one's j and output segments (written at every packet) shared a line
 * with the next one's pool and inspector (read at every packet). */
struct worker {
	_Alignas(THREAD_APART) struct read_pool *pool;
	unsigned id;
	pthread_t thread;
	struct inspector *in;
	struct wout o;              /* being written; swapped into each round */
	uint64_t j;                 /* the packet being handled */
	/* With the pool's cache: each server's region, placed by this worker
	 * as by every other (all see every packet in capture order). */
	struct serverplace *places;
};

struct read_pool {
	struct read_pool_config cfg;
	unsigned n;
	struct worker *w;
	unsigned started;           /* threads running */
	/* NULL when the policy links no sessions; else split into CACHE_REGIONS
	 * by server, each worker's flows in its own regions (read_pool_new) */
	struct sessioncache *cache;
	struct round ring[RING];
	pthread_mutex_t lock;
	/* published_cv: a round published, or room in the ring (workers wait
	 * on it); done_cv: a round finished or written, or the source's end
	 * (the caller waits on it) */
	pthread_cond_t published_cv, done_cv;
	uint64_t published, merged; /* rounds */
	bool merging;               /* a thread is writing round merged */
	bool caller_waits;          /* in wait_merged, for rounds to be written */
	/* A classic pcap file, read a round at a time by whoever is free: the
	 * workers when there are as many as cores (no thread more than the
	 * cores to share them with), else the caller. */
	struct source {
		int fd;
		struct pcapfile pf;
		int dlt;
		bool active;        /* rounds are still to be read from it */
		bool reading;       /* a thread is reading the next one */
		bool eof;
		bool rest;          /* a record is left to libpcap */
		int failed;         /* errno */
		uint64_t handed;    /* packets given */
		struct buf carry;   /* read past the last round's end */
	} src;
	bool workers_read;
	uint64_t next_index;        /* packets read */
	bool filling;               /* ring[published % RING] holds packets */
	/* merged output */
	struct seg *sorted;         /* a round's segments in key order */
	struct iovec *iov;          /* their bytes, for writev */
	size_t cap_sorted;          /* of both */
	struct buf numbers;         /* a round's transcript numbers */
	unsigned long sessions;     /* transcripts numbered so far */
	int err;                    /* first errno of the output (the caller's writes) */
	int read_err;               /* the caller's: memory for a pushed round */
};

/* ---- workers ------------------------------------------------------------ */

static enum decode_result decode(int dlt, const uint8_t *data, size_t len, struct decoded *d)
{
	memset(d->src, 0, sizeof(d->src));
	memset(d->dst, 0, sizeof(d->dst));
	return decode_packet(dlt, data, len, d);
}

/* Whether a decoded packet's flow (both directions, from the innermost
 * header decode found) is w's: with the pool's cache, by its server's
 * region (region % n), which every worker places alike as it sees the
 * packets in capture order; else by the flow's hash. */
static bool mine(struct worker *w, const struct decoded *d)
{
	unsigned n = w->pool->n;

	if (w->places)
		return serverplace_place(w->places, flowroute_server(d->src, d->sport, d->dst,
								      d->dport, d->proto)) % n == w->id;
	return n == 1 ||
	       flowroute_flow(d->src, d->sport, d->dst, d->dport, d->proto) % n == w->id;
}

static bool seg_push(struct wout *o, const struct seg *s)
{
	if (o->n_seg == o->cap_seg) {
		size_t cap = o->cap_seg ? 2 * o->cap_seg : 64;
		struct seg *n = realloc(o->seg, cap * sizeof(*n));

		if (!n)
			return false;
		o->seg = n;
		o->cap_seg = cap;
	}
	o->seg[o->n_seg++] = *s;
	return true;
}

/* Ends the open segment at the buffer's end, and opens one keyed (j, sub). */
static void seg_switch(struct worker *w, uint64_t j, uint64_t sub)
{
	struct wout *o = &w->o;
	struct seg *last = o->n_seg ? &o->seg[o->n_seg - 1] : NULL;
	struct seg s = { j, sub, o->out.len, o->out.len, w->id, (unsigned)o->n_seg };

	if (last && last->end == last->start) {
		/* nothing was written under the previous key: reuse it */
		last->j = j;
		last->sub = sub;
		return;
	}
	if (!seg_push(o, &s))
		o->out.oom = true;
}

static void seg_close(struct worker *w)
{
	struct wout *o = &w->o;

	if (o->n_seg)
		o->seg[o->n_seg - 1].end = o->out.len;
}

/* inspector_event_fn: the output that follows is about es. */
static void on_event(void *arg, const struct engine_session *es)
{
	struct worker *w = arg;

	seg_close(w);
	seg_switch(w, w->j, es ? es->last_index : w->j);
}

static void pull_round(struct read_pool *p);

/* A round finished or written, told to the caller when it is the one that
 * writes, or waits for the writing: while the workers read and write, it
 * only waits for the source's end, and waking it at every round put it
 * on a worker's core for nothing (the lock held). */
static void tell_caller(struct read_pool *p)
{
	if (!p->workers_read || p->caller_waits)
		pthread_cond_broadcast(&p->done_cv);
}
static bool can_merge(const struct read_pool *p);
static void merge_finished(struct read_pool *p);

/* Whether the source has a round to read and the ring room for it (the
 * lock held). */
static bool can_pull(const struct read_pool *p)
{
	return p->src.active && !p->src.reading && p->published - p->merged < RING;
}

/* Reads the source's next round, the lock held (and let go meanwhile):
 * src.reading keeps it to one thread at a time. At the source's end, the
 * caller waiting for it in read_source is woken. */
static void pull_locked(struct read_pool *p)
{
	p->src.reading = true;
	pthread_mutex_unlock(&p->lock);
	pull_round(p);
	pthread_mutex_lock(&p->lock);
	p->src.reading = false;
	if (!p->src.active)
		pthread_cond_broadcast(&p->done_cv);
}

/* Round k, once published. When the workers read the source, a worker
 * reads rounds until READ_AHEAD are published past k: read only when one
 * was needed, a round was often wanted by both workers at once, and one
 * slept while the other read it. */
static struct round *wait_round(struct read_pool *p, uint64_t k)
{
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->workers_read && p->published <= k + READ_AHEAD && can_pull(p)) {
			pull_locked(p);
			continue;
		}
		if (p->published > k)
			break;
		if (p->workers_read && can_merge(p)) {
			merge_finished(p);  /* rather than wait */
			continue;
		}
		pthread_cond_wait(&p->published_cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return &p->ring[k % RING];
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct read_pool *p = w->pool;
	struct engine *e = inspector_engine(w->in);
	struct wout swap;
	uint64_t k;
	unsigned i;
	bool last = false;

	engine_set_index(e, 0);
	for (k = 0; !last; k++) {
		struct round *r = wait_round(p, k);

		for (i = 0; i < r->n; i++) {
			const struct pkt *pk = &r->pkt[i];
			const uint8_t *data = (const uint8_t *)r->data.data + pk->off;
			enum decode_result res;
			struct decoded d;

			w->j = r->first + i;
			res = decode(pk->dlt, data, pk->len, &d);
			if (!mine(w, &d))
				engine_tick(e, pk->ts_us);
			else
				inspector_packet_decoded(w->in, data, pk->len, res, &d, pk->ts_us);
		}
		w->j = r->first + r->n;
		last = r->last;
		if (last)
			inspector_flush(w->in);
		seg_close(w);
		swap = r->w[w->id];
		r->w[w->id] = w->o;
		w->o = swap;
		buf_reset(&w->o.out);
		w->o.out.oom = false;
		w->o.n_seg = 0;
		pthread_mutex_lock(&p->lock);
		if (--r->pending == 0) {
			/* the last one on it: whoever writes is told */
			tell_caller(p);
			if (p->workers_read)
				pthread_cond_broadcast(&p->published_cv);
		} else if (p->workers_read) {
			/* ahead of another worker: this one writes what is done */
			merge_finished(p);
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* ---- rounds in and out -------------------------------------------------- */

/* Writes the iovecs gathered for a round, all of them (short writes go
 * on where they stopped). The first errno is kept in p->err. */
static void write_iov(struct read_pool *p, struct iovec *iov, size_t n)
{
	ssize_t w;

	while (n && !p->err) {
		w = writev(p->cfg.out_fd, iov, (int)(n < IOV_MAX ? n : IOV_MAX));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			p->err = w < 0 ? errno : EIO;
			return;
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->j != y->j)
		return x->j < y->j ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	if (x->worker != y->worker)
		return x->worker < y->worker ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether segment s is a transcript, which comes as "# ..." and takes
 * its number from its place in the merged output. */
static bool numbered(const struct read_pool *p, const struct round *r, const struct seg *s)
{
	return p->cfg.format == INSPECTOR_TEXT && s->end - s->start >= 2 &&
	       !memcmp(r->w[s->worker].out.data + s->start, "# ", 2);
}

/* Writes round r's output of every worker in key order, straight from
 * the workers' buffers (one writev, no copy into a buffer of the merge). */
static void merge(struct read_pool *p, struct round *r)
{
	size_t total = 0, n = 0, i, numbers = 0;
	unsigned k;

	for (k = 0; k < p->n; k++) {
		total += r->w[k].n_seg;
		if (r->w[k].out.oom)
			p->err = p->err ? p->err : ENOMEM;
	}
	/* a transcript's "#N" is a piece of its own: twice the segments */
	if (2 * total > p->cap_sorted) {
		struct seg *s = realloc(p->sorted, 2 * total * sizeof(*s));
		struct iovec *v = realloc(p->iov, 2 * total * sizeof(*v));

		if (s)
			p->sorted = s;
		if (v)
			p->iov = v;
		if (!s || !v) {
			p->err = p->err ? p->err : ENOMEM;
			return;
		}
		p->cap_sorted = 2 * total;
	}
	for (k = 0; k < p->n; k++)
		for (i = 0; i < r->w[k].n_seg; i++)
			if (r->w[k].seg[i].end > r->w[k].seg[i].start)
				p->sorted[n++] = r->w[k].seg[i];
	if (n)
		qsort(p->sorted, n, sizeof(*p->sorted), seg_cmp);
	/* The transcripts' numbers go to p->numbers first (it may move as it
	 * grows), the iovecs are made after. */
	buf_reset(&p->numbers);
	for (i = 0; i < n; i++)
		if (numbered(p, r, &p->sorted[i])) {
			buf_printf(&p->numbers, "#%lu", ++p->sessions);
			buf_putc(&p->numbers, '\0');
		}
	if (p->numbers.oom) {
		p->err = p->err ? p->err : ENOMEM;
		return;
	}
	for (i = 0, total = 0; i < n; i++) {
		const struct seg *s = &p->sorted[i];
		char *text = r->w[s->worker].out.data + s->start;
		size_t len = s->end - s->start;

		if (numbered(p, r, s)) {
			char *num = p->numbers.data + numbers;

			p->iov[total++] = (struct iovec){ num, strlen(num) };
			numbers += strlen(num) + 1;
			text++;
			len--;
		}
		p->iov[total++] = (struct iovec){ text, len };
	}
	write_iov(p, p->iov, total);
}

/* Whether the oldest round not written is finished and nobody is
 * writing (the lock held). */
static bool can_merge(const struct read_pool *p)
{
	return !p->merging && p->merged < p->published && !p->ring[p->merged % RING].pending;
}

/* Writes the finished rounds in order, from the oldest, with the lock
 * held (let go while it writes). */
static void merge_finished(struct read_pool *p)
{
	while (can_merge(p)) {
		p->merging = true;
		pthread_mutex_unlock(&p->lock);
		merge(p, &p->ring[p->merged % RING]);
		pthread_mutex_lock(&p->lock);
		p->merged++;
		p->merging = false;
		/* room in the ring, for a worker that reads; the caller may
		 * wait for the writing */
		pthread_cond_broadcast(&p->published_cv);
		tell_caller(p);
	}
}

/* Waits until fewer than `ahead` rounds are published and not yet
 * written, writing those that finish meanwhile (the caller). */
static void wait_merged(struct read_pool *p, uint64_t ahead)
{
	pthread_mutex_lock(&p->lock);
	while (p->published - p->merged >= ahead) {
		if (can_merge(p)) {
			merge_finished(p);
			continue;
		}
		p->caller_waits = true;
		pthread_cond_wait(&p->done_cv, &p->lock);
		p->caller_waits = false;
	}
	pthread_mutex_unlock(&p->lock);
}

static void publish(struct read_pool *p, bool last)
{
	struct round *r = &p->ring[p->published % RING];

	r->last = last;
	pthread_mutex_lock(&p->lock);
	r->pending = p->started;
	p->published++;
	if (!r->pending)
		merge_finished(p); /* no worker started (read_pool_new failed) */
	pthread_cond_broadcast(&p->published_cv);
	pthread_mutex_unlock(&p->lock);
	p->filling = false;
}

/* Makes r, a free slot of the ring, the next round, empty. */
static void round_begin(struct read_pool *p, struct round *r)
{
	r->first = p->next_index;
	r->n = 0;
	buf_reset(&r->data);
	r->data.oom = false;
}

/* The round being filled, after a free slot was waited for. */
static struct round *filling(struct read_pool *p)
{
	struct round *r = &p->ring[p->published % RING];

	if (p->filling)
		return r;
	wait_merged(p, RING);
	round_begin(p, r);
	p->filling = true;
	return r;
}

/* Counts the packet at r->data's off in, and hands the round over when it
 * is full. */
static void add_packet(struct read_pool *p, struct round *r, int dlt, size_t off, uint32_t len,
		       uint64_t ts_us)
{
	struct pkt *pk = &r->pkt[r->n++];

	pk->ts_us = ts_us;
	pk->off = off;
	pk->len = len;
	pk->dlt = dlt;
	p->next_index++;
}

/* After a packet: a full round goes to the workers. */
static void round_check(struct read_pool *p, const struct round *r)
{
	if (r->n == p->cfg.round_packets) {
		publish(p, false);
		/* a live capture's packet is written before the next is read */
		if (p->cfg.round_packets == 1)
			wait_merged(p, 1);
	}
}

void read_pool_packet(void *pool, int dlt, const uint8_t *pkt, size_t len, uint64_t ts_us)
{
	struct read_pool *p = pool;
	struct round *r = filling(p);
	size_t off = r->data.len;

	buf_put(&r->data, pkt, len);
	if (r->data.oom) {
		p->read_err = ENOMEM;
		return;
	}
	add_packet(p, r, dlt, off, (uint32_t)len, ts_us);
	round_check(p, r);
}

/*
 * Reads the next round of the source into the ring's free slot and hands
 * it over: the file is read in blocks straight into the round, records
 * are parsed in place, and the part of a record at the round's end is kept
 * for the next. One thread at a time (src.reading), without the lock. At
 * the source's end, or at a record pcapfile does not take (left to
 * libpcap: src.rest), the source is closed and the caller told.
 */
static void pull_round(struct read_pool *p)
{
	struct source *src = &p->src;
	struct round *r = &p->ring[p->published % RING];
	struct pcapfile_packet pk;
	enum pcapfile_result res;
	size_t at = 0;              /* the first byte of r->data not parsed */
	bool done = false;
	ssize_t n;

	round_begin(p, r);
	buf_put(&r->data, src->carry.data, src->carry.len);
	buf_reset(&src->carry);
	for (;;) {
		res = PCAPFILE_MORE;
		while (r->n < p->cfg.round_packets &&
		       (res = pcapfile_next(&src->pf, (const uint8_t *)r->data.data + at,
					    r->data.len - at, &pk)) == PCAPFILE_PACKET) {
			add_packet(p, r, src->dlt, (size_t)(pk.data - (const uint8_t *)r->data.data),
				   pk.caplen, pk.ts_us);
			at += pk.size;
			src->handed++;
		}
		if (res == PCAPFILE_OTHER || src->eof) {
			src->rest = res == PCAPFILE_OTHER || at < r->data.len;
			done = true;
			break;
		}
		if (r->n == p->cfg.round_packets || (r->n && r->data.len >= ROUND_BYTES))
			break;
		if (r->data.oom || !buf_reserve(&r->data, READ_BLOCK)) {
			src->failed = ENOMEM;
			done = true;
			break;
		}
		n = read(src->fd, r->data.data + r->data.len, READ_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			src->failed = errno;
			done = true;
			break;
		}
		src->eof = n == 0;
		r->data.len += (size_t)n;
	}
	if (!done) {
		buf_put(&src->carry, r->data.data + at, r->data.len - at);
		if (src->carry.oom) {
			src->failed = ENOMEM;
			done = true;
		}
	}
	/* what is left is not packets of this round */
	r->data.len = at;
	if (r->n)
		publish(p, false);
	if (done) {
		pthread_mutex_lock(&p->lock);
		src->active = false;
		pthread_cond_broadcast(&p->done_cv);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Reads a classic pcap file (fd, past its header) to its end, or to a
 * record left to libpcap (*rest); *handed counts the packets given. */
static int read_source(struct read_pool *p, int fd, const struct pcapfile *pf, int dlt,
		       uint64_t *handed, bool *rest, char *err, size_t errlen)
{
	struct source *src = &p->src;

	/* the packets pushed before (another file) go first */
	if (p->filling)
		publish(p, false);
	pthread_mutex_lock(&p->lock);
	src->fd = fd;
	src->pf = *pf;
	src->dlt = dlt;
	src->eof = src->rest = false;
	src->failed = 0;
	src->handed = 0;
	buf_reset(&src->carry);
	src->active = true;
	pthread_cond_broadcast(&p->published_cv);
	while (src->active || src->reading) {
		/* written first: a round written makes room for the next (by
		 * the workers when they read, see worker_main) */
		if (!p->workers_read && can_merge(p)) {
			merge_finished(p);
			continue;
		}
		if (!p->workers_read && can_pull(p)) {
			pull_locked(p);
			continue;
		}
		pthread_cond_wait(&p->done_cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	*handed = src->handed;
	*rest = src->rest;
	if (src->failed) {
		snprintf(err, errlen, "%s", strerror(src->failed));
		return -1;
	}
	return 0;
}

int read_pool_file(struct read_pool *p, const char *path, char *err, size_t errlen)
{
	uint8_t head[PCAPFILE_HEADER_LEN];
	struct pcapfile pf;
	uint64_t handed = 0;
	bool rest = true;
	int fd = -1, dlt, rc = 0;

	if (strcmp(path, "-") && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
	    pcapfile_header(head, sizeof(head), &pf) &&
	    !capture_file_info(path, &dlt, &pf.snaplen, err, errlen)) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		rc = read_source(p, fd, &pf, dlt, &handed, &rest, err, errlen);
	}
	if (fd >= 0)
		close(fd);
	/* libpcap reads what pcapfile does not, and says what is wrong */
	if (!rc && rest)
		rc = capture_file_from(path, handed, read_pool_packet, p, err, errlen);
	return rc;
}

/* ---- life --------------------------------------------------------------- */

static void pool_free(struct read_pool *p)
{
	unsigned i, k;

	for (i = 0; i < RING; i++) {
		free(p->ring[i].pkt);
		buf_free(&p->ring[i].data);
		for (k = 0; p->ring[i].w && k < p->n; k++) {
			buf_free(&p->ring[i].w[k].out);
			free(p->ring[i].w[k].seg);
		}
		free(p->ring[i].w);
	}
	for (i = 0; p->w && i < p->n; i++) {
		inspector_free(p->w[i].in);
		serverplace_free(p->w[i].places);
		buf_free(&p->w[i].o.out);
		free(p->w[i].o.seg);
	}
	free(p->w);
	sessioncache_free(p->cache);
	buf_free(&p->numbers);
	free(p->sorted);
	free(p->iov);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->published_cv);
	pthread_cond_destroy(&p->done_cv);
	buf_free(&p->src.carry);
	free(p);
}

struct read_pool *read_pool_new(const struct read_pool_config *c, char *err, size_t errlen)
{
	struct read_pool *p = calloc(1, sizeof(*p));
	sigset_t all, old;
	unsigned i;
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = *c;
	p->n = c->threads;
	p->workers_read = (long)p->n >= sysconf(_SC_NPROCESSORS_ONLN);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->published_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->w = aligned_alloc(_Alignof(struct worker), p->n * sizeof(*p->w));
	if (!p->w)
		goto oom;
	memset(p->w, 0, p->n * sizeof(*p->w));
	if (c->policy && policy_links_sessions(c->policy)) {
		p->cache = sessioncache_new(SESSION_CACHE_SLOTS);
		if (!p->cache)
			goto oom;
		/* The same capture gives the same output every time. */
		sessioncache_set_seed(p->cache, 0x5ec0a0d17ull);
		if (!sessioncache_set_regions(p->cache, CACHE_REGIONS))
			goto oom;
	}
	for (i = 0; i < RING; i++) {
		/* not zeroed: a packet's fields are written as it is added
		 * (a round rarely fills all of them: these pages stay untouched) */
		p->ring[i].pkt = malloc(c->round_packets * sizeof(*p->ring[i].pkt));
		p->ring[i].w = calloc(p->n, sizeof(*p->ring[i].w));
		if (!p->ring[i].pkt || !p->ring[i].w)
			goto oom;
	}
	for (i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];

		w->pool = p;
		w->id = i;
		/*
		 * Each worker places the servers itself, as it decodes every
		 * packet anyway: when the thread that filled a round placed
		 * them for all, its decoding (the first touch of each packet)
		 * ran alone, and --rules on 2 threads took 1.08x the time
		 * (15 alternated runs).
		 */
		if (p->cache && !(w->places = serverplace_new(CACHE_REGIONS, PLACED_SERVERS)))
			goto oom;
		/* the policy after the pool's cache: no cache of its own */
		w->in = inspector_new(c->engine, NULL, c->format, &w->o.out);
		if (!w->in)
			goto oom;
		inspector_share_cache(w->in, p->cache, w->places);
		inspector_set_policy(w->in, c->policy);
		inspector_set_eve_custom(w->in, c->eve_custom);
		inspector_on_event(w->in, on_event, w);
	}
	/* Workers block every signal (they inherit the mask): a SIGINT must
	 * reach the caller's thread, whose wait for packets it ends (read -i). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < p->n; i++) {
		rc = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
		if (rc) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "cannot start a worker thread: %s", strerror(rc));
			/* the started ones end with an empty last round */
			read_pool_finish(p, NULL, NULL);
			return NULL;
		}
		p->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
oom:
	snprintf(err, errlen, "out of memory");
	pool_free(p);
	return NULL;
}

int read_pool_finish(struct read_pool *p, struct inspector_counters *n, uint64_t *per_worker)
{
	struct inspector_counters c;
	unsigned i;
	int rc;

	filling(p);
	publish(p, true);
	wait_merged(p, 1);
	for (i = 0; i < p->started; i++)
		pthread_join(p->w[i].thread, NULL);
	if (n)
		memset(n, 0, sizeof(*n));
	for (i = 0; i < p->n && (n || per_worker); i++) {
		inspector_counters(p->w[i].in, &c);
		if (per_worker)
			per_worker[i] = c.sessions;
		if (n) {
			n->alerts += c.alerts;
			n->blocked += c.blocked;
			n->sessions += c.sessions;
			n->anomalies += c.anomalies;
		}
	}
	rc = p->err ? p->err : p->read_err;
	/* a worker whose servers' table could not grow placed some by hash,
	 * and may have disagreed with the others over whose flows they were */
	for (i = 0; i < p->n && !rc; i++)
		if (p->w[i].places && serverplace_short_of_memory(p->w[i].places))
			rc = ENOMEM;
	pool_free(p);
	return rc;
}
