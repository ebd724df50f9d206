/* lograte: a fixed-window limit on log lines; contract in lograte.h. */
#include "lograte.h"

bool lograte_allow(struct lograte *r, uint64_t now_ms, uint64_t *held)
{
	*held = 0;
	if (!r->started || now_ms - r->start_ms >= r->window_ms) {
		r->started = true;
		r->start_ms = now_ms;
		r->used = 0;
	}
	if (r->used >= r->burst) {
		r->held++;
		return false;
	}
	r->used++;
	*held = r->held;
	r->held = 0;
	return true;
}
