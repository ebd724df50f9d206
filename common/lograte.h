/*
 * lograte: at most `burst` log lines per window of `window_ms`, so that a
 * flood of the same kind of event (connections dropped, bad peers) cannot
 * fill the log, while the first ones of each window are still told.
 *
 * The caller keeps the struct (zeroed, then burst and window_ms set) and
 * passes its own monotonic clock, so the module is pure. Not thread-safe:
 * one limiter per thread or under the caller's lock.
 */
#ifndef SECAUDIT_LOGRATE_H
#define SECAUDIT_LOGRATE_H

#include <stdbool.h>
#include <stdint.h>

struct lograte {
	unsigned burst;		/* lines allowed per window */
	uint64_t window_ms;
	uint64_t start_ms;	/* the current window's start */
	unsigned used;		/* lines allowed in it */
	uint64_t held;		/* lines held back since the last allowed one */
	bool started;
};

/*
 * true when a line may be written now. *held is then the number of lines
 * held back (not written) since the previous allowed one, for the caller
 * to mention ("N more not logged"); it is 0 when none were.
 */
bool lograte_allow(struct lograte *r, uint64_t now_ms, uint64_t *held);

#endif
