/* spool: a sender's durable package queue; contract in spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_wire.h"
#include "logmsg.h"

struct held {
	uint64_t seq, bytes;
	uint32_t n_events;
};

struct spool {
	char dir[4096];
	int dirfd;
	uint64_t stream, acked, next, max_bytes;
	enum spool_overflow overflow;
	struct held *h;		/* sorted by seq: h[head .. n) */
	size_t head, n, cap;
	uint64_t bytes, dropped_packages, dropped_events;
	bool wake;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct buf pkg;
};

static void pkg_path(const struct spool *s, uint64_t seq, char *out, size_t n)
{
	snprintf(out, n, "%020" PRIu64 ".pkg", seq);
	(void)s;
}

static int write_file(int dirfd, const char *name, const void *p, size_t n)
{
	char tmp[64];
	const char *c = p;
	ssize_t w;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		c += w;
		n -= (size_t)w;
	}
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc == 0 && fsync(dirfd) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

static int save_state(struct spool *s)
{
	char text[128];
	int n = snprintf(text, sizeof(text), "stream %016" PRIx64 "\nacked %" PRIu64 "\n",
			 s->stream, s->acked);

	return write_file(s->dirfd, "state", text, (size_t)n);
}

static int load_state(struct spool *s)
{
	char text[128] = "";
	ssize_t r;
	int fd = openat(s->dirfd, "state", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	r = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	if (sscanf(text, "stream %" SCNx64 "\nacked %" SCNu64, &s->stream, &s->acked) != 2 ||
	    s->stream == 0)
		return -EINVAL;
	return 0;
}

static int held_push(struct spool *s, uint64_t seq, uint64_t bytes, uint32_t nev)
{
	struct held *h;

	if (s->head > 0 && s->n == s->cap) {
		memmove(s->h, s->h + s->head, (s->n - s->head) * sizeof(*s->h));
		s->n -= s->head;
		s->head = 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		h = realloc(s->h, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		s->h = h;
		s->cap = cap;
	}
	s->h[s->n].seq = seq;
	s->h[s->n].bytes = bytes;
	s->h[s->n].n_events = nev;
	s->n++;
	s->bytes += bytes;
	return 0;
}

static int cmp_held(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads the package files back after a restart. */
static int scan(struct spool *s)
{
	DIR *d = fdopendir(dup(s->dirfd));
	struct dirent *e;
	uint8_t head[AW_PACKAGE_FIXED];
	uint64_t seq;
	struct stat st;
	char name[64];
	int fd, rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) {
			unlinkat(s->dirfd, e->d_name, 0);
			continue;
		}
		if (len != 24 || strcmp(e->d_name + 20, ".pkg") ||
		    sscanf(e->d_name, "%20" SCNu64, &seq) != 1)
			continue;
		pkg_path(s, seq, name, sizeof(name));
		if (seq <= s->acked) {
			unlinkat(s->dirfd, name, 0);
			continue;
		}
		fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    read(fd, head, sizeof(head)) != (ssize_t)sizeof(head)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		rc = held_push(s, seq, (uint64_t)st.st_size,
			       (uint32_t)head[9] << 24 | (uint32_t)head[10] << 16 |
			       (uint32_t)head[11] << 8 | head[12]);
		if (rc < 0)
			break;
	}
	closedir(d);
	if (s->n)
		qsort(s->h, s->n, sizeof(*s->h), cmp_held);
	return rc;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes,
			 enum spool_overflow overflow, char *err, size_t errsz)
{
	struct spool *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->max_bytes = max_bytes;
	s->overflow = overflow;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->freed, NULL);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errsz, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		snprintf(err, errsz, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	rc = load_state(s);
	if (rc == -ENOENT) {
		do {
			if (getrandom(&s->stream, sizeof(s->stream), 0) != sizeof(s->stream)) {
				snprintf(err, errsz, "spool %s: getrandom failed", dir);
				goto fail;
			}
			/* positive as a signed 64-bit integer, for SQL stores */
			s->stream &= INT64_MAX;
		} while (s->stream == 0);
		rc = save_state(s);
	}
	if (rc < 0) {
		snprintf(err, errsz, "spool %s/state: %s", dir,
			 rc == -EINVAL ? "malformed" : strerror(-rc));
		goto fail;
	}
	rc = scan(s);
	if (rc < 0) {
		snprintf(err, errsz, "spool %s: %s", dir, strerror(-rc));
		goto fail;
	}
	s->next = (s->n > s->head ? s->h[s->n - 1].seq : s->acked) + 1;
	if (s->next <= s->acked)
		s->next = s->acked + 1;
	return s;
fail:
	spool_close(s);
	return NULL;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->dirfd > 0)
		close(s->dirfd);
	free(s->h);
	buf_free(&s->pkg);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->freed);
	free(s);
}

uint64_t spool_stream(const struct spool *s)
{
	return s->stream;
}

/* Deletes the oldest held package (overflow); called locked. */
static void drop_oldest(struct spool *s)
{
	char name[64];
	struct held *h = &s->h[s->head];

	pkg_path(s, h->seq, name, sizeof(name));
	unlinkat(s->dirfd, name, 0);
	s->dropped_packages++;
	s->dropped_events += h->n_events;
	s->bytes -= h->bytes;
	logmsg("spool over %" PRIu64 " bytes: dropped package %" PRIu64
	       " (%u events), the oldest unacknowledged", s->max_bytes, h->seq, h->n_events);
	s->head++;
}

int spool_append(struct spool *s, uint32_t n_events, const struct buf *body,
		 uint64_t *seq)
{
	char name[64];
	uint64_t size;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = aw_build_package(&s->pkg, s->next, n_events, body);
	if (rc < 0)
		goto out;
	size = s->pkg.len;
	if (s->max_bytes && size > s->max_bytes) {
		rc = -ENOSPC;
		goto out;
	}
	while (s->max_bytes && s->bytes + size > s->max_bytes && s->head < s->n) {
		if (s->overflow == SPOOL_DROP_OLDEST) {
			drop_oldest(s);
			continue;
		}
		if (s->wake) {
			s->wake = false;
			rc = -ENOSPC;
			goto out;
		}
		pthread_cond_wait(&s->freed, &s->mu);
	}
	pkg_path(s, s->next, name, sizeof(name));
	rc = write_file(s->dirfd, name, s->pkg.data, s->pkg.len);
	if (rc < 0)
		goto out;
	rc = held_push(s, s->next, size, n_events);
	if (rc < 0)
		goto out;
	*seq = s->next++;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static struct held *find(struct spool *s, uint64_t seq)
{
	size_t lo = s->head, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->h[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n ? &s->h[lo] : NULL;
}

int spool_read(struct spool *s, uint64_t seq, struct buf *out)
{
	char name[64];
	struct held *h;
	struct stat st;
	ssize_t r;
	int fd, rc = 0;

	pthread_mutex_lock(&s->mu);
	h = find(s, seq);
	if (!h || h->seq != seq)
		rc = -ENOENT;
	pthread_mutex_unlock(&s->mu);
	if (rc < 0)
		return rc;
	pkg_path(s, seq, name, sizeof(name));
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf_reset(out);
	if (fstat(fd, &st) < 0 || !buf_reserve(out, (size_t)st.st_size)) {
		close(fd);
		return -ENOMEM;
	}
	while (out->len < (size_t)st.st_size) {
		r = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			break;
		}
		out->len += (size_t)r;
	}
	close(fd);
	return rc;
}

bool spool_next(struct spool *s, uint64_t after, uint64_t *seq)
{
	struct held *h;
	bool ok;

	pthread_mutex_lock(&s->mu);
	h = find(s, after + 1);
	ok = h != NULL;
	if (ok)
		*seq = h->seq;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

int spool_ack(struct spool *s, uint64_t seq)
{
	char name[64];
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (seq <= s->acked)
		goto out;
	s->acked = seq;
	if (s->next <= seq)
		s->next = seq + 1;
	rc = save_state(s);
	if (rc < 0)
		goto out;
	while (s->head < s->n && s->h[s->head].seq <= seq) {
		pkg_path(s, s->h[s->head].seq, name, sizeof(name));
		unlinkat(s->dirfd, name, 0);
		s->bytes -= s->h[s->head].bytes;
		s->head++;
	}
	pthread_cond_broadcast(&s->freed);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void spool_get_stats(struct spool *s, struct spool_stats *st)
{
	pthread_mutex_lock(&s->mu);
	st->held_packages = s->n - s->head;
	st->held_bytes = s->bytes;
	st->dropped_packages = s->dropped_packages;
	st->dropped_events = s->dropped_events;
	st->first = s->n > s->head ? s->h[s->head].seq : 0;
	st->last = s->n > s->head ? s->h[s->n - 1].seq : 0;
	st->acked = s->acked;
	pthread_mutex_unlock(&s->mu);
}

void spool_wakeup(struct spool *s)
{
	pthread_mutex_lock(&s->mu);
	s->wake = true;
	pthread_cond_broadcast(&s->freed);
	pthread_mutex_unlock(&s->mu);
}
