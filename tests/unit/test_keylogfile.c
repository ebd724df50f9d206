/*
 * keylogfile: a key log file followed as a server writes it (appended
 * lines, a line written in two parts, truncation, replacement under the
 * same name, a file made after the follower started, overlong lines), and
 * the follower's thread woken by inotify.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/keylogfile.h"
#include "tls/keylog.h"

#define S32 "5ffd428ef757083789734506d9301243283857a4e9c1ed12bcf310cf54dc8768"

static char dir[64], path[128];
/* The table and its follower of path, made by follow(), freed at teardown. */
static struct keylog *KL;
static struct keylogfile *KF;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_keylogfile.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys", dir);
}

static void teardown(void)
{
	char p[256];

	keylogfile_free(KF);
	keylog_free(KL);
	snprintf(p, sizeof(p), "%s.1", path);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

/* A table of at most max_entries secrets (0: the default) and a follower of
 * path feeding it, not started: the test polls. */
static void follow(size_t max_entries)
{
	char err[256] = "";

	KL = keylog_new(max_entries, 0);
	cr_assert_not_null(KL);
	KF = keylogfile_new(path, KL, err, sizeof(err));
	cr_assert_not_null(KF, "%s", err);
}

static struct keylogfile_counters counters(void)
{
	struct keylogfile_counters n;

	keylogfile_counters(KF, &n);
	return n;
}

static void line_of(char *out, size_t len, unsigned i)
{
	snprintf(out, len, "SERVER_HANDSHAKE_TRAFFIC_SECRET %056x%08x " S32 "\n", 0u, i);
}

static bool has(unsigned i)
{
	struct keylog_entry e;
	uint8_t r[32] = { 0 };

	r[30] = (uint8_t)(i >> 8);
	r[31] = (uint8_t)i;
	return keylog_find(KL, r, &e);
}

/* Appends to path (made if missing), as a server's key log callback does. */
static void append(const char *p, const char *text, size_t len)
{
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void append_line(unsigned i)
{
	char line[256];

	line_of(line, sizeof(line), i);
	append(path, line, strlen(line));
}

TestSuite(keylogfile, .init = setup, .fini = teardown);

Test(keylogfile, appended_lines_and_a_line_in_two_parts)
{
	char line[256];
	struct keylogfile_counters n;

	follow(0);
	cr_assert_eq(keylogfile_poll(KF, 1), 0); /* no file yet */
	append_line(1);
	append_line(2);
	cr_assert_eq(keylogfile_poll(KF, 2), 2);
	cr_assert(has(1) && has(2));
	cr_assert_eq(keylogfile_poll(KF, 3), 0); /* nothing new: nothing read again */
	line_of(line, sizeof(line), 3);
	append(path, line, 40);                  /* the server is still writing it */
	cr_assert_eq(keylogfile_poll(KF, 4), 0);
	cr_assert_not(has(3));
	append(path, line + 40, strlen(line) - 40);
	cr_assert_eq(keylogfile_poll(KF, 5), 1);
	cr_assert(has(3));
	n = counters();
	cr_assert_eq(n.secrets, 3);
	cr_assert_eq(n.bad_lines, 0);
}

Test(keylogfile, truncated_in_place_is_read_from_its_start)
{
	follow(0);
	append_line(1);
	append_line(2);
	cr_assert_eq(keylogfile_poll(KF, 1), 2);
	cr_assert_eq(truncate(path, 0), 0);
	append_line(7);
	cr_assert_eq(keylogfile_poll(KF, 2), 1);
	cr_assert(has(7));
	cr_assert_eq(counters().truncations, 1);
}

Test(keylogfile, rotated_file_is_finished_then_the_new_one_read)
{
	char old[256], line[256];

	follow(0);
	append_line(1);
	cr_assert_eq(keylogfile_poll(KF, 1), 1);
	snprintf(old, sizeof(old), "%s.1", path);
	cr_assert_eq(rename(path, old), 0);
	append_line(2);             /* made anew under the name */
	line_of(line, sizeof(line), 9);
	append(old, line, strlen(line)); /* a last line into the rotated one */
	cr_assert_eq(keylogfile_poll(KF, 2), 2);
	cr_assert(has(2) && has(9));
	cr_assert_eq(counters().reopens, 1);
	append_line(3);
	cr_assert_eq(keylogfile_poll(KF, 3), 1);
	cr_assert(has(3));
}

Test(keylogfile, overlong_and_malformed_lines_are_counted)
{
	char junk[3000];

	follow(0);
	memset(junk, 'a', sizeof(junk));
	append(path, junk, sizeof(junk));   /* no newline yet: longer than any line */
	cr_assert_eq(keylogfile_poll(KF, 1), 0);
	append(path, "\nnot a key line\n", 16);
	append_line(4);
	cr_assert_eq(keylogfile_poll(KF, 2), 1);
	cr_assert(has(4));
	cr_assert_eq(counters().bad_lines, 2);
}

Test(keylogfile, a_missing_directory_is_refused)
{
	char err[256] = "";

	KL = keylog_new(0, 0);
	cr_assert_null(keylogfile_new("/nonexistent/dir/keys", KL, err, sizeof(err)));
	cr_assert_str_eq(err, "/nonexistent/dir: No such file or directory");
}

/* A memory bound under a flood of lines through the file. */
Test(keylogfile, flood_stays_bounded)
{
	char line[256];
	FILE *f;
	unsigned i;

	follow(64);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (i = 0; i < 20000; i++) {
		line_of(line, sizeof(line), i & 0xffff);
		fputs(line, f);
	}
	fclose(f);
	cr_assert_eq(keylogfile_poll(KF, 1), 20000);
	cr_assert_eq(keylog_count(KL), 64);
	cr_assert(has(19999 & 0xffff));
}

static pthread_mutex_t woke_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t woke_cond = PTHREAD_COND_INITIALIZER;
static unsigned woke;

static void notify(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&woke_lock);
	woke++;
	pthread_cond_broadcast(&woke_cond);
	pthread_mutex_unlock(&woke_lock);
}

/* The thread reads a line within moments of its writing (inotify), not
 * at its next periodic poll; and stops when freed. */
Test(keylogfile, thread_follows_and_notifies)
{
	struct timespec t0, t1, until;
	double ms;

	follow(0);
	cr_assert_eq(keylogfile_start(KF, notify, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	append_line(5);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&woke_lock);
	while (!woke)
		cr_assert_eq(pthread_cond_timedwait(&woke_cond, &woke_lock, &until), 0,
			     "not notified within 30 s");
	pthread_mutex_unlock(&woke_lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(has(5));
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	cr_log_info("line to table: %.2f ms", ms);
}
