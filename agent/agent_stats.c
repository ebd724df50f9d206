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
	struct spool_stats ss;

	spool_get_stats(a->spool, &ss);
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
	json_key(j, "spool");
	json_object_begin(j);
	json_kv_uint(j, "packages", ss.held_packages);
	json_kv_uint(j, "bytes", ss.held_bytes);
	json_kv_uint(j, "dropped_packages", ss.dropped_packages);
	json_kv_uint(j, "dropped_events", ss.dropped_events);
	json_object_end(j);
	json_key(j, "sender");
	json_object_begin(j);
	json_kv_uint(j, "sent_packages", atomic_load(&s->sent_packages));
	json_kv_uint(j, "acks", atomic_load(&s->acks));
	json_kv_uint(j, "acked_packages", atomic_load(&s->acked_packages));
	json_kv_uint(j, "reconnects", atomic_load(&s->reconnects));
	json_kv_uint(j, "connected", atomic_load(&s->connected));
	json_kv_uint(j, "last_ack", atomic_load(&s->last_ack));
	json_object_end(j);
}
