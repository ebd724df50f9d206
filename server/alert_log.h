/*
 * alert_log: the server's EVE alert log, written exactly once from the
 * store. An alert line is added to the store in the transaction of the
 * events it describes (alert_log_add); after that transaction commits,
 * alert_log_flush appends every committed line not yet in the file, in id
 * order. How far the file got (last id, the file's inode and size) goes
 * into the store with the next transaction (alert_log_mark). At open, a
 * file longer than its recorded position is cut back to it: whatever a
 * crashed run wrote after its last mark is written again from the store,
 * so a crash between commit and write neither loses nor doubles a line.
 *
 * A log that is not a regular file (stdout to a pipe) cannot be cut: a
 * crash there may repeat lines. Not thread-safe: the server's one loop.
 */
#ifndef SECAUDIT_ALERT_LOG_H
#define SECAUDIT_ALERT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct alert_log;

/* Opens path (NULL: stdout) for appending, recovers as above and writes
 * what the store holds beyond the file. NULL with a message logged. */
struct alert_log *alert_log_open(const char *path, struct store *st);
void alert_log_close(struct alert_log *l);
/* SIGHUP: the file at path again (logrotate moved the old one). The old
 * file stays in use if the new one cannot be opened. */
void alert_log_reopen(struct alert_log *l);

/* Adds a line (with its '\n') to the store's open transaction. */
int alert_log_add(struct alert_log *l, const char *line, size_t len);
/* Records the file's position in the store's open transaction. */
int alert_log_mark(struct alert_log *l);
/* After a commit: appends the committed lines not yet written. A failed
 * write is logged once and retried at the next flush. */
void alert_log_flush(struct alert_log *l);
/* Lines written since open. */
uint64_t alert_log_written(const struct alert_log *l);

#endif
