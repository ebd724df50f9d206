/*
 * secaudit query: reads the audit store (sqlite:PATH; the PostgreSQL
 * backend is not built yet) and prints events as a table, as JSON lines
 * with Elastic Common Schema field names as auditbeat uses them, or counts
 * per agent / per syscall.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "store.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit query --store sqlite:PATH [filters] [--json | --count agent|syscall]\n"
		"filters: --agent SUBJECT  --since TIME  --until TIME  --syscall NAME|NR\n"
		"         --program PATH|COMM  --uid N  --key KEY  --success yes|no  --limit N\n"
		"TIME is seconds since the epoch or YYYY-MM-DDTHH:MM:SS (UTC).\n"
		"       secaudit query --store URI --gateway-events [filters]: the events the\n"
		"       monitors shipped (`secaudit query --gateway-events --help`)\n");
}

static bool parse_time(const char *s, double *out)
{
	struct tm tm = { 0 };
	char *end;

	*out = strtod(s, &end);
	if (*s && !*end && *out > 0)
		return true;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return false;
	*out = (double)timegm(&tm);
	return true;
}

void cli_iso_time(double t, char *out, size_t n)
{
	time_t sec = (time_t)t;
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", base, (int)((t - (double)sec) * 1000 + 0.5) % 1000);
}

/* auditbeat's event.action for the common syscalls. */
static const char *action_of(const struct store_row *r)
{
	static const struct { const char *sc, *action; } map[] = {
		{ "execve", "executed" }, { "execveat", "executed" },
		{ "connect", "connected-to" }, { "open", "opened-file" },
		{ "openat", "opened-file" }, { "openat2", "opened-file" },
		{ "bind", "bound-socket" }, { "accept", "accepted-connection-from" },
		{ "accept4", "accepted-connection-from" },
		{ "setuid", "changed-identity-of" }, { "setresuid", "changed-identity-of" },
		{ "unlink", "deleted" }, { "unlinkat", "deleted" },
		{ "rename", "moved" }, { "chmod", "changed-file-permissions-of" },
		{ "fchmodat", "changed-file-permissions-of" },
		{ "init_module", "loaded-kernel-module" },
		{ "finit_module", "loaded-kernel-module" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(r->syscall_name, map[i].sc))
			return map[i].action;
	return *r->syscall_name ? r->syscall_name : r->type;
}

static void kv_id(struct json *j, const char *key, int64_t v)
{
	char num[24];

	if (v < 0 || v == 4294967295LL)	/* unset (auid -1) */
		return;
	snprintf(num, sizeof(num), "%lld", (long long)v);
	json_kv_str(j, key, num);
}

static int print_json(void *ctx, const struct store_row *r)
{
	struct buf *b = ctx;
	struct json j;
	char ts[40];

	buf_reset(b);
	json_init(&j, b);
	cli_iso_time(r->time, ts, sizeof(ts));
	json_object_begin(&j);
	json_kv_str(&j, "@timestamp", ts);
	json_key(&j, "event");
	json_object_begin(&j);
	json_kv_str(&j, "module", "auditd");
	json_kv_str(&j, "kind", "event");
	json_kv_str(&j, "action", action_of(r));
	if (r->success >= 0)
		json_kv_str(&j, "outcome", r->success ? "success" : "failure");
	json_object_end(&j);
	json_key(&j, "process");
	json_object_begin(&j);
	if (r->pid >= 0)
		json_kv_int(&j, "pid", r->pid);
	if (r->ppid >= 0) {
		json_key(&j, "parent");
		json_object_begin(&j);
		json_kv_int(&j, "pid", r->ppid);
		json_object_end(&j);
	}
	if (*r->comm)
		json_kv_str(&j, "name", r->comm);
	if (*r->exe)
		json_kv_str(&j, "executable", r->exe);
	if (*r->cwd)
		json_kv_str(&j, "working_directory", r->cwd);
	if (strcmp(r->args_json, "[]") != 0 && *r->args_json) {
		json_key(&j, "args");
		json_raw(&j, r->args_json, strlen(r->args_json));
	}
	json_object_end(&j);
	json_key(&j, "user");
	json_object_begin(&j);
	kv_id(&j, "id", r->uid);
	if (r->auid >= 0 && r->auid != 4294967295LL) {
		json_key(&j, "audit");
		json_object_begin(&j);
		kv_id(&j, "id", r->auid);
		json_object_end(&j);
	}
	if (r->euid >= 0) {
		json_key(&j, "effective");
		json_object_begin(&j);
		kv_id(&j, "id", r->euid);
		json_object_end(&j);
	}
	json_object_end(&j);
	if (*r->key) {
		json_key(&j, "tags");
		json_array_begin(&j);
		json_string(&j, r->key);
		json_array_end(&j);
	}
	json_key(&j, "auditd");
	json_object_begin(&j);
	json_kv_int(&j, "sequence", r->serial);
	if (r->success >= 0)
		json_kv_str(&j, "result", r->success ? "success" : "fail");
	json_key(&j, "data");
	json_object_begin(&j);
	if (*r->syscall_name)
		json_kv_str(&j, "syscall", r->syscall_name);
	if (r->exit != -1 || r->success == 0)
		json_kv_int(&j, "exit", r->exit);
	if (*r->tty)
		json_kv_str(&j, "tty", r->tty);
	kv_id(&j, "ses", r->ses);
	json_object_end(&j);
	if (strcmp(r->paths_json, "[]") != 0 && *r->paths_json) {
		json_key(&j, "paths");
		json_raw(&j, r->paths_json, strlen(r->paths_json));
	}
	json_kv_str(&j, "message_type", r->type);
	json_object_end(&j);
	json_key(&j, "secaudit");
	json_object_begin(&j);
	json_kv_str(&j, "agent", r->agent);
	json_kv_int(&j, "stream", r->stream);
	json_kv_int(&j, "package", r->seq);
	json_kv_str(&j, "records", r->records);
	json_object_end(&j);
	json_object_end(&j);
	buf_putc(b, '\n');
	if (b->oom)
		return -ENOMEM;
	fwrite(b->data, 1, b->len, stdout);
	return 0;
}

/* The CN of a subject, for the table's narrow AGENT column. */
static const char *short_agent(const char *subject)
{
	const char *cn = strstr(subject, "CN=");

	return cn ? cn + 3 : subject;
}

static int print_row(void *ctx, const struct store_row *r)
{
	char ts[40];

	(void)ctx;
	cli_iso_time(r->time, ts, sizeof(ts));
	printf("%-24s %-16.16s %-10.10s %-4s %6lld %-24s %s\n", ts,
	       short_agent(r->agent),
	       *r->syscall_name ? r->syscall_name : r->type,
	       r->success < 0 ? "-" : r->success ? "ok" : "FAIL",
	       (long long)r->uid, *r->exe ? r->exe : r->comm, r->args_json);
	return 0;
}

static int print_count(void *ctx, const char *name, int64_t n)
{
	(void)ctx;
	printf("%10lld  %s\n", (long long)n, name);
	return 0;
}

int cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "agent", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "syscall", required_argument, NULL, 'c' },
		{ "program", required_argument, NULL, 'p' },
		{ "uid", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "success", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { .uid = -1, .success = -1 };
	const char *uri = NULL, *count = NULL;
	struct store *s = NULL;
	struct buf b = { 0 };
	bool json = false;
	char err[512], *end;
	int ch, rc;

	for (ch = 1; ch < argc; ch++)
		if (!strcmp(argv[ch], "--gateway-events"))
			return gw_events_main("secaudit query", argc, argv, NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': uri = optarg; break;
		case 'a': f.agent = optarg; break;
		case 'c': f.syscall = optarg; break;
		case 'p': f.program = optarg; break;
		case 'k': f.key = optarg; break;
		case 'j': json = true; break;
		case 'S':
		case 'U':
			if (!parse_time(optarg, ch == 'S' ? &f.since : &f.until)) {
				fprintf(stderr, "secaudit query: --%s: '%s' is not a time\n",
					ch == 'S' ? "since" : "until", optarg);
				return 2;
			}
			break;
		case 'u':
			f.uid = strtoll(optarg, &end, 10);
			if (!*optarg || *end || f.uid < 0) {
				fprintf(stderr, "secaudit query: --uid: '%s' is not a uid\n", optarg);
				return 2;
			}
			break;
		case 'l':
			f.limit = strtol(optarg, &end, 10);
			if (!*optarg || *end || f.limit <= 0) {
				fprintf(stderr, "secaudit query: --limit: '%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		case 'o':
			if (strcmp(optarg, "yes") && strcmp(optarg, "no")) {
				fprintf(stderr, "secaudit query: --success: '%s' is not yes or no\n", optarg);
				return 2;
			}
			f.success = !strcmp(optarg, "yes");
			break;
		case 'C':
			if (strcmp(optarg, "agent") && strcmp(optarg, "syscall")) {
				fprintf(stderr, "secaudit query: --count: '%s' is not agent or syscall\n", optarg);
				return 2;
			}
			count = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!uri || optind != argc) {
		usage(stderr);
		return 2;
	}
	s = store_open(uri, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "secaudit query: %s\n", err);
		return 1;
	}
	if (count) {
		rc = store_count(s, &f, count, print_count, NULL);
	} else if (json) {
		rc = store_query(s, &f, print_json, &b);
	} else {
		printf("%-24s %-16s %-10s %-4s %6s %-24s %s\n", "TIME", "AGENT",
		       "SYSCALL", "RES", "UID", "PROGRAM", "ARGS");
		rc = store_query(s, &f, print_row, NULL);
	}
	if (rc < 0)
		fprintf(stderr, "secaudit query: %s\n", store_error(s));
	store_close(s);
	buf_free(&b);
	return rc < 0 ? 1 : 0;
}
