/*
 * statsock: one JSON line per connection over a unix stream socket.
 */
#include "statsock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

struct statsock {
	int fd;
	const char *daemon;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct buf line;
};

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

struct statsock *statsock_open(const char *path, const char *daemon, int *err)
{
	struct statsock *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa;
	struct stat st;
	int r = -ENOMEM;

	if (!s)
		goto fail;
	s->fd = -1;
	s->daemon = daemon;
	r = make_addr(path, &sa);
	if (r < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		/* Only ever replace a socket (a previous run's), nothing else. */
		r = -EEXIST;
		if (!S_ISSOCK(st.st_mode) || unlink(path) < 0)
			goto fail;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	strcpy(s->path, path);
	if (chmod(path, 0660) < 0 || listen(s->fd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	return s;
fail:
	statsock_close(s);
	if (err)
		*err = r;
	return NULL;
}

void statsock_close(struct statsock *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->path[0])
		unlink(s->path);
	buf_free(&s->line);
	free(s);
}

int statsock_fd(const struct statsock *s)
{
	return s->fd;
}

static void answer(struct statsock *s, int c, statsock_render_fn render, void *arg)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	struct json j;
	size_t off = 0;
	ssize_t w;

	buf_reset(&s->line);
	json_init(&j, &s->line);
	json_object_begin(&j);
	json_kv_int(&j, "statsock", 1);
	json_kv_str(&j, "daemon", s->daemon);
	render(arg, &j);
	json_object_end(&j);
	buf_putc(&s->line, '\n');
	if (s->line.oom)
		return;
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < s->line.len) {
		w = send(c, s->line.data + off, s->line.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

int statsock_serve(struct statsock *s, statsock_render_fn render, void *arg)
{
	int n = 0, c;

	for (;;) {
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return n;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return -errno;
		}
		answer(s, c, render, arg);
		close(c);
		n++;
	}
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int statsock_query(const char *path, struct buf *out, int timeout_ms)
{
	int64_t deadline = ms_now() + timeout_ms;
	struct sockaddr_un sa;
	char chunk[4096];
	const char *nl;
	ssize_t n;
	int fd, r;

	r = make_addr(path, &sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	buf_reset(out);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - ms_now();

		r = -ETIMEDOUT;
		if (left <= 0)
			goto out;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto out;
		}
		if (r == 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		r = -EPROTO;
		if (out->len + (size_t)n > STATSOCK_MAX_LINE)
			goto out;
		buf_put(out, chunk, (size_t)n);
	}
	r = -EPROTO;
	nl = out->len ? memchr(out->data, '\n', out->len) : NULL;
	if (!nl || (size_t)(nl - out->data) != out->len - 1 || out->oom)
		goto out;
	out->len--;
	r = 0;
out:
	close(fd);
	return r;
}
