/*
 * keylogfile: a growing key log file followed into a keylog table. See
 * keylogfile.h.
 *
 * The file is read with pread() from the offset reached so far, at most
 * READ_BUDGET bytes per poll (a huge file being loaded does not starve the
 * notifications of what was read so far). Whole lines go to the table in
 * runs (one lock per run); the line being written waits in `part`.
 */
#include "io/keylogfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tls/keylog.h"

#define CHUNK (16 * 1024)
#define READ_BUDGET (4u << 20)

struct keylogfile {
	char *path;
	const char *base;           /* the file's name in its directory (in path) */
	struct keylog *kl;
	int fd;                     /* the file followed; -1: none yet */
	dev_t dev;
	ino_t ino;
	off_t off;                  /* bytes of it read */
	char part[KEYLOG_MAX_LINE]; /* the line not yet ended */
	size_t part_len;
	bool skipping;              /* the line not yet ended is overlong: drop it */
	char buf[CHUNK];
	/* the thread */
	int ino_fd, stop_fd;
	pthread_t thread;
	bool started;
	void (*notify)(void *arg);
	void *arg;
	pthread_mutex_t lock;       /* guards n */
	struct keylogfile_counters n;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The directory of the file: its part of path, "." or "/". */
static void dir_of(const struct keylogfile *kf, char *out, size_t len)
{
	size_t n = (size_t)(kf->base - kf->path);

	if (!n)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", n > 1 ? (int)(n - 1) : 1, kf->path);
}

struct keylogfile *keylogfile_new(const char *path, struct keylog *kl, char *err,
				  size_t errlen)
{
	struct keylogfile *kf = calloc(1, sizeof(*kf));
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;

	if (!kf || !(kf->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(kf);
		return NULL;
	}
	kf->kl = kl;
	kf->fd = kf->ino_fd = kf->stop_fd = -1;
	pthread_mutex_init(&kf->lock, NULL);
	slash = strrchr(kf->path, '/');
	kf->base = slash ? slash + 1 : kf->path;
	dir_of(kf, dir, sizeof(dir));
	/* The directory must be there to be watched; the file may come later
	 * (a server not started yet). */
	if (!*kf->base) {
		snprintf(err, errlen, "%s: a directory, not a file", path);
		goto fail;
	}
	if (stat(dir, &st)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		goto fail;
	}
	return kf;
fail:
	keylogfile_free(kf);
	return NULL;
}

void keylogfile_free(struct keylogfile *kf)
{
	uint64_t one = 1;

	if (!kf)
		return;
	if (kf->started) {
		if (write(kf->stop_fd, &one, sizeof(one)) < 0)
			perror("keylogfile: stop");
		pthread_join(kf->thread, NULL);
	}
	if (kf->fd >= 0)
		close(kf->fd);
	if (kf->ino_fd >= 0)
		close(kf->ino_fd);
	if (kf->stop_fd >= 0)
		close(kf->stop_fd);
	pthread_mutex_destroy(&kf->lock);
	free(kf->path);
	free(kf);
}

/* Whole lines of p[0..len) to the table; the unfinished rest to part. */
static long take(struct keylogfile *kf, const char *p, size_t len, uint64_t now,
		 struct keylogfile_counters *n)
{
	const char *nl, *last;
	unsigned bad = 0;
	long added = 0, r;
	size_t k;

	if (kf->part_len || kf->skipping) {
		/* finish the line begun in an earlier read */
		nl = memchr(p, '\n', len);
		k = nl ? (size_t)(nl - p) : len;
		if (!kf->skipping && kf->part_len + k > sizeof(kf->part)) {
			kf->skipping = true;
			bad++;
		}
		if (!kf->skipping) {
			memcpy(kf->part + kf->part_len, p, k);
			kf->part_len += k;
		}
		if (!nl)
			goto out;
		if (!kf->skipping && (r = keylog_add(kf->kl, kf->part, kf->part_len, now, &bad)) > 0)
			added += r;
		kf->part_len = 0;
		kf->skipping = false;
		len -= k + 1;
		p = nl + 1;
	}
	last = memrchr(p, '\n', len);
	if (last) {
		if ((r = keylog_add(kf->kl, p, (size_t)(last - p), now, &bad)) > 0)
			added += r;
		len -= (size_t)(last + 1 - p);
		p = last + 1;
	}
	if (len > sizeof(kf->part)) {
		kf->skipping = true;
		bad++;
	} else {
		memcpy(kf->part, p, len);
		kf->part_len = len;
	}
out:
	n->bad_lines += bad;
	return added;
}

/* Reads fd from kf->off to its end (or the budget). */
static long drain(struct keylogfile *kf, uint64_t now, struct keylogfile_counters *n)
{
	size_t budget = READ_BUDGET;
	long added = 0;
	ssize_t got;

	while (budget) {
		got = pread(kf->fd, kf->buf, sizeof(kf->buf), kf->off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			n->read_errors++;
			break;
		}
		if (got == 0)
			break;
		kf->off += got;
		added += take(kf, kf->buf, (size_t)got, now, n);
		budget = (size_t)got < budget ? budget - (size_t)got : 0;
	}
	return added;
}

static void forget_file(struct keylogfile *kf)
{
	if (kf->fd >= 0)
		close(kf->fd);
	kf->fd = -1;
	kf->off = 0;
	kf->part_len = 0;
	kf->skipping = false;
}

long keylogfile_poll(struct keylogfile *kf, uint64_t now_us)
{
	struct keylogfile_counters n = { 0 };
	struct stat st, cur;
	bool replaced;
	long added = 0;

	keylog_expire(kf->kl, now_us);
	replaced = stat(kf->path, &st) == 0 &&
		   (kf->fd < 0 || st.st_ino != kf->ino || st.st_dev != kf->dev);
	if (kf->fd >= 0) {
		if (fstat(kf->fd, &cur) == 0 && cur.st_size < kf->off) {
			/* truncated in place: what is there now is new */
			n.truncations++;
			kf->off = 0;
			kf->part_len = 0;
			kf->skipping = false;
		}
		/* the old file's last lines first, also when it was replaced */
		added += drain(kf, now_us, &n);
		if (replaced) {
			n.reopens++;
			forget_file(kf);
		}
	}
	if (replaced) {
		kf->fd = open(kf->path, O_RDONLY | O_CLOEXEC);
		if (kf->fd >= 0 && fstat(kf->fd, &cur) == 0) {
			kf->dev = cur.st_dev;
			kf->ino = cur.st_ino;
			added += drain(kf, now_us, &n);
		} else if (kf->fd >= 0) {
			forget_file(kf);
		}
	}
	n.secrets = added > 0 ? (uint64_t)added : 0;
	pthread_mutex_lock(&kf->lock);
	kf->n.secrets += n.secrets;
	kf->n.bad_lines += n.bad_lines;
	kf->n.reopens += n.reopens;
	kf->n.truncations += n.truncations;
	kf->n.read_errors += n.read_errors;
	pthread_mutex_unlock(&kf->lock);
	return added;
}

/* Whether an inotify event names our file (or the watch itself changed). */
static bool ours(struct keylogfile *kf)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	bool hit = false;
	ssize_t got;
	char *p;

	while ((got = read(kf->ino_fd, ev, sizeof(ev))) > 0)
		for (p = ev; p < ev + got; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			if (!e->len || !strcmp(e->name, kf->base) || (e->mask & IN_Q_OVERFLOW))
				hit = true;
		}
	return hit;
}

static void *follow(void *arg)
{
	struct keylogfile *kf = arg;
	struct pollfd pfd[2] = { { kf->stop_fd, POLLIN, 0 }, { kf->ino_fd, POLLIN, 0 } };

	for (;;) {
		if (keylogfile_poll(kf, mono_us()) > 0 && kf->notify)
			kf->notify(kf->arg);
		do {
			if (poll(pfd, kf->ino_fd >= 0 ? 2 : 1, KEYLOGFILE_POLL_MS) < 0 &&
			    errno != EINTR)
				return NULL;
			if (pfd[0].revents)
				return NULL;
		} while (pfd[1].revents && !ours(kf));
	}
}

int keylogfile_start(struct keylogfile *kf, void (*notify)(void *arg), void *arg)
{
	char dir[PATH_MAX];
	int r;

	kf->notify = notify;
	kf->arg = arg;
	kf->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (kf->stop_fd < 0)
		return -errno;
	dir_of(kf, dir, sizeof(dir));
	/* Without inotify (out of watches, a file system without it) the
	 * file is still read every KEYLOGFILE_POLL_MS. */
	kf->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (kf->ino_fd >= 0 &&
	    inotify_add_watch(kf->ino_fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE |
					       IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
		close(kf->ino_fd);
		kf->ino_fd = -1;
	}
	r = pthread_create(&kf->thread, NULL, follow, kf);
	if (r)
		return -r;
	kf->started = true;
	return 0;
}

void keylogfile_counters(struct keylogfile *kf, struct keylogfile_counters *out)
{
	pthread_mutex_lock(&kf->lock);
	*out = kf->n;
	pthread_mutex_unlock(&kf->lock);
}
