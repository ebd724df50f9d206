/*
 * keylogfile: follows a growing NSS key log file (secaudit-monitor
 * --keylog) into a keylog table, as `tail -F` would: the lines a server
 * appends (OpenSSL's -keylogfile, SSLKEYLOGFILE) are parsed once whole,
 * a line still being written waits for its newline, a file truncated in
 * place is read again from its start, and a file replaced under its name
 * (rotated, deleted and made again) is read to its end and then the new one
 * from its start. A file that does not exist yet is picked up once it does.
 *
 * keylogfile_poll() reads what is new; keylogfile_start() runs it on a
 * thread of its own, woken by inotify on the file's directory (and every
 * KEYLOGFILE_POLL_MS in any case), so queue threads never wait on the
 * file: they only look up in the table, and `notify` tells them when new
 * secrets came. One thread calls keylogfile_poll at a time.
 */
#ifndef SECAUDIT_KEYLOGFILE_H
#define SECAUDIT_KEYLOGFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEYLOGFILE_POLL_MS 1000

struct keylog;
struct keylogfile;

struct keylogfile_counters {
	uint64_t secrets;           /* secrets added to the table */
	uint64_t bad_lines;         /* malformed or overlong lines */
	uint64_t reopens;           /* the name led to another file */
	uint64_t truncations;       /* the file shrank under us */
	uint64_t read_errors;
};

/* Follows path into kl (borrowed: it must outlive the follower). NULL with
 * err filled ("path: reason") when path's directory cannot be used. */
struct keylogfile *keylogfile_new(const char *path, struct keylog *kl, char *err,
				  size_t errlen);
/* Stops the thread if started, closes everything. NULL is fine. */
void keylogfile_free(struct keylogfile *kf);

/* Reads what was appended since the last call (reopening or rereading as
 * above); now_us: monotonic, for the table's age limit. Returns the number
 * of secrets added, 0 when nothing new came. */
long keylogfile_poll(struct keylogfile *kf, uint64_t now_us);

/* Runs keylogfile_poll on a thread of its own; notify(arg) is called from
 * it after each poll that added secrets. 0 or -errno. */
int keylogfile_start(struct keylogfile *kf, void (*notify)(void *arg), void *arg);

void keylogfile_counters(struct keylogfile *kf, struct keylogfile_counters *out);

#endif
