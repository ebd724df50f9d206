/* alert_log: the alert log written from the store; contract in alert_log.h. */
#include "alert_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logmsg.h"

struct alert_log {
	struct store *st;
	const char *path;               /* the caller's; NULL: stdout */
	int fd;
	bool regular;                   /* a file we may cut back */
	bool failing;                   /* a write failed: logged once */
	struct store_log_pos pos;       /* what the file holds */
	char name[HOST_NAME_MAX + PATH_MAX + 2];
	uint64_t written;
};

static int open_fd(const char *path)
{
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)
		      : dup(STDOUT_FILENO);

	if (fd < 0)
		logmsg("alert log %s: %s", path ? path : "stdout", strerror(errno));
	return fd;
}

/* Takes the file's identity and size as the position of what it holds. */
static void take_file(struct alert_log *l)
{
	struct stat sb;

	l->regular = fstat(l->fd, &sb) == 0 && S_ISREG(sb.st_mode);
	l->pos.ino = l->regular ? (uint64_t)sb.st_ino : 0;
	l->pos.offset = l->regular ? (uint64_t)sb.st_size : 0;
}

/* The log's name in the store: servers sharing a PostgreSQL store each
 * write their own log, named by host and path. */
static void make_name(struct alert_log *l)
{
	char host[HOST_NAME_MAX + 1] = "", real[PATH_MAX];
	const char *p = l->path ? (realpath(l->path, real) ? real : l->path) : "-";

	gethostname(host, sizeof(host) - 1);
	snprintf(l->name, sizeof(l->name), "%s:%s", host, p);
}

struct alert_log *alert_log_open(const char *path, struct store *st)
{
	struct alert_log *l = calloc(1, sizeof(*l));
	struct store_log_pos rec;

	if (!l)
		return NULL;
	l->st = st;
	l->path = path;
	l->fd = open_fd(path);
	if (l->fd < 0)
		goto fail;
	make_name(l);
	if (store_log_pos(st, l->name, &rec) < 0) {
		logmsg("alert log: %s", store_error(st));
		goto fail;
	}
	take_file(l);
	if (l->regular && rec.ino == l->pos.ino && l->pos.offset > rec.offset) {
		/* a run that died wrote these after its last mark: they are
		 * written again below, from the store */
		if (ftruncate(l->fd, (off_t)rec.offset) < 0) {
			logmsg("alert log %s: %s", path, strerror(errno));
			goto fail;
		}
		logmsg("alert log: %llu bytes after the last recorded alert %lld rewritten from the store",
		       (unsigned long long)(l->pos.offset - rec.offset), (long long)rec.id);
		l->pos.offset = rec.offset;
	}
	l->pos.id = rec.id;
	alert_log_flush(l);
	return l;
fail:
	alert_log_close(l);
	return NULL;
}

void alert_log_close(struct alert_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void alert_log_reopen(struct alert_log *l)
{
	int fd;

	if (!l->path)
		return;
	fd = open_fd(l->path);
	if (fd < 0)
		return;
	close(l->fd);
	l->fd = fd;
	take_file(l);
}

int alert_log_add(struct alert_log *l, const char *line, size_t len)
{
	return store_alert(l->st, l->name, line, len);
}

int alert_log_mark(struct alert_log *l)
{
	return store_set_log_pos(l->st, l->name, &l->pos);
}

/* The exactly-once test's hook (tests/e2e/test_audit_rules.py): dies as
 * kill -9 would at a point named by SECAUDIT_TEST_DIE. */
static void test_die(const char *point)
{
	const char *at = getenv("SECAUDIT_TEST_DIE");

	if (at && !strcmp(at, point))
		raise(SIGKILL);
}

static int write_line(void *ctx, int64_t id, const char *line, size_t len)
{
	struct alert_log *l = ctx;
	size_t done = 0;
	ssize_t w;

	test_die("before-write");	/* committed, not written */
	while (done < len) {
		w = write(l->fd, line + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!l->failing)
				logmsg("alert log: %s; alerts wait in the store until it can be written",
				       w < 0 ? strerror(errno) : "short write");
			l->failing = true;
			/* no half line: the whole one is written next time */
			if (done && l->regular && ftruncate(l->fd, (off_t)l->pos.offset) < 0)
				logmsg("alert log: %s", strerror(errno));
			return 1;
		}
		done += (size_t)w;
	}
	l->pos.id = id;
	l->pos.offset += len;
	l->written++;
	return 0;
}

void alert_log_flush(struct alert_log *l)
{
	bool was_failing = l->failing;
	uint64_t before = l->written;
	int rc = store_alerts_after(l->st, l->name, l->pos.id, write_line, l);

	if (rc < 0)
		logmsg("alert log: %s", store_error(l->st));
	else if (rc == 0 && was_failing) {
		l->failing = false;
		logmsg("alert log: writing again");
	}
	if (l->written > before)
		test_die("after-write");	/* written, not marked */
}

uint64_t alert_log_written(const struct alert_log *l)
{
	return l->written;
}
