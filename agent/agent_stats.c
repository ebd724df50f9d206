/* agent_stats: secaudit-agent's stats line; contract in agent_stats.h. */
#include "agent_stats.h"

#include <time.h>

#include "version.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void agent_stats_render(void *arg, struct json *j)
{
	const struct agent_stats *a = arg;
	struct sender *s = a->sender;

	json_kv_str(j, "version", secaudit_version());
	json_kv_uint(j, "uptime", (mono_ms() - a->start_ms) / 1000);
	json_kv_uint(j, "records", audit_grouper_records(a->grouper));
	json_kv_uint(j, "bad_records", audit_grouper_bad(a->grouper));
	json_kv_uint(j, "events", atomic_load(&s->events_total));
	json_key(j, "kernel");
	json_object_begin(j);
	json_kv_uint(j, "lost", atomic_load(&s->kernel_lost));
	json_kv_uint(j, "backlog", atomic_load(&s->kernel_backlog));
	json_object_end(j);
	sender_stats_json(s, j);
}
