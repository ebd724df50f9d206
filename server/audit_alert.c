/* audit_alert: EVE alert lines for audit rule hits; contract in audit_alert.h. */
#include "audit_alert.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"

/* Suricata's timestamp form, UTC: 2026-11-23T08:53:51.295000+0000. */
static void eve_time(const struct audit_stamp *st, char out[40])
{
	time_t secs = (time_t)st->sec;
	struct tm tm;

	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	/* the modulos bound each field's width for the compiler */
	snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%06u+0000",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
		 (st->msec % 1000u) * 1000u);
}

/* n NUL-separated strings as a JSON array. */
static void put_list(struct json *j, const char *key, const struct buf *list, uint32_t n)
{
	const char *p = list->data, *end = p + list->len;

	json_key(j, key);
	json_array_begin(j);
	for (; p && p < end && n; n--) {
		size_t l = strnlen(p, (size_t)(end - p));

		json_string_n(j, p, l);
		p += l + 1;
	}
	json_array_end(j);
}

static void put_num(struct json *j, const char *key, int64_t v)
{
	if (v >= 0)
		json_kv_int(j, key, v);
}

static void put_str(struct json *j, const char *key, const char *s)
{
	if (s[0])
		json_kv_str(j, key, s);
}

void audit_alert_json(struct buf *out, const struct audit_rule_info *rule,
		      const char *agent, uint64_t stream, uint64_t seq,
		      const struct audit_event *ev)
{
	struct json j;
	char ts[40];

	eve_time(&ev->stamp, ts);
	json_init(&j, out);
	json_object_begin(&j);
	json_kv_str(&j, "timestamp", ts);
	json_kv_str(&j, "event_type", "alert");
	json_key(&j, "alert");
	json_object_begin(&j);
	/* the server sees events after the fact: it never blocks */
	json_kv_str(&j, "action", "allowed");
	json_kv_uint(&j, "gid", 1);
	json_kv_uint(&j, "signature_id", rule->sid);
	json_kv_uint(&j, "rev", 1);
	json_kv_str(&j, "signature", rule->message);
	json_kv_str(&j, "category", rule->category);
	json_kv_uint(&j, "severity", rule->severity);
	json_object_end(&j);
	json_key(&j, "secaudit");
	json_object_begin(&j);
	json_kv_str(&j, "rule", rule->id);
	json_key(&j, "audit");
	json_object_begin(&j);
	json_kv_str(&j, "agent", agent);
	json_kv_uint(&j, "stream", stream);
	json_kv_uint(&j, "seq", seq);
	json_kv_uint(&j, "serial", ev->stamp.serial);
	json_kv_str(&j, "type", ev->type);
	json_kv_str(&j, "records", ev->records);
	if (ev->syscall >= 0) {
		json_kv_int(&j, "syscall", ev->syscall);
		put_str(&j, "syscall_name", ev->syscall_name);
	}
	if (ev->success >= 0)
		json_kv_bool(&j, "success", ev->success == 1);
	if (ev->syscall >= 0)
		json_kv_int(&j, "exit", ev->exit);
	put_num(&j, "pid", ev->pid);
	put_num(&j, "ppid", ev->ppid);
	put_num(&j, "uid", ev->uid);
	put_num(&j, "auid", ev->auid);
	put_num(&j, "euid", ev->euid);
	put_num(&j, "gid", ev->gid);
	put_num(&j, "ses", ev->ses);
	put_str(&j, "tty", ev->tty);
	put_str(&j, "comm", ev->comm);
	put_str(&j, "exe", ev->exe);
	put_str(&j, "cwd", ev->cwd);
	put_str(&j, "key", ev->key);
	put_list(&j, "args", &ev->args, ev->argc);
	put_list(&j, "paths", &ev->paths, ev->npaths);
	json_object_end(&j);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(out, '\n');
}
