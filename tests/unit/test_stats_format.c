/*
 * stats_format: a daemon's stats line as a table for a person and in
 * Prometheus' text format; bad lines are refused (-EPROTO), never read
 * past their end.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "stats_format.h"

static const char LINE[] =
	"{\"statsock\":1,\"uptime\":15,\"reloads\":2,\"packets\":12,"
	"\"verdicts\":{\"accept\":9,\"drop_flow\":1},\"label\":\"x\",\"ok\":true,"
	"\"queues\":[{\"queue\":3,\"packets\":7,\"verdicts\":{\"accept\":5,\"drop_flow\":1},"
	"\"nfq\":{\"kernel\":{\"queue_total\":4}}},"
	"{\"queue\":4,\"packets\":5,\"verdicts\":{\"accept\":4,\"drop_flow\":0}}]}";

static char *render(const char *line, enum stats_format f, int *rc)
{
	struct buf out = { 0 };
	char *s;

	*rc = stats_render(line, strlen(line), f, &out);
	s = strndup(out.data ? (const char *)out.data : "", out.len);
	buf_free(&out);
	return s;
}

Test(stats_format, names)
{
	enum stats_format f;

	cr_assert(stats_format_parse("prometheus", &f) && f == STATS_PROMETHEUS);
	cr_assert(stats_format_parse("text", &f) && f == STATS_TEXT);
	cr_assert(stats_format_parse("json", &f) && f == STATS_JSON);
	cr_assert(!stats_format_parse("yaml", &f));
}

Test(stats_format, prometheus_families_with_queue_labels)
{
	int rc;
	char *s = render(LINE, STATS_PROMETHEUS, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "# TYPE secaudit_monitor_uptime_seconds gauge\n"
			    "secaudit_monitor_uptime_seconds 15\n"), "%s", s);
	cr_assert(strstr(s, "# TYPE secaudit_monitor_reloads_total counter\n"
			    "secaudit_monitor_reloads_total 2\n"), "%s", s);
	/* per queue, and no unlabelled sum beside them */
	cr_assert(strstr(s, "# TYPE secaudit_monitor_packets_total counter\n"
			    "secaudit_monitor_packets_total{queue=\"3\"} 7\n"
			    "secaudit_monitor_packets_total{queue=\"4\"} 5\n#"), "%s", s);
	cr_assert(!strstr(s, "secaudit_monitor_packets_total 12"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_verdicts_drop_flow_total{queue=\"4\"} 0\n"), "%s", s);
	/* the kernel's waiting packets are a gauge, not a *_total */
	cr_assert(strstr(s, "# TYPE secaudit_monitor_nfq_kernel_waiting_packets gauge\n"
			    "secaudit_monitor_nfq_kernel_waiting_packets{queue=\"3\"} 4\n"), "%s", s);
	cr_assert(!strstr(s, "statsock"), "%s", s);
	cr_assert(!strstr(s, "label") && !strstr(s, "_ok"), "%s", s);
	free(s);
}

Test(stats_format, text_table_totals_and_queues)
{
	int rc;
	char *s = render(LINE, STATS_TEXT, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "uptime                       15\n"), "%s", s);
	cr_assert(strstr(s, "queue 3") && strstr(s, "queue 4"), "%s", s);
	cr_assert(strstr(s, "\npackets                                  12              7              5\n"),
		  "%s", s);
	/* a per-queue value without a process-wide one */
	cr_assert(strstr(s, "\nnfq.kernel.queue_total                    -              4              -\n"),
		  "%s", s);
	free(s);
}

Test(stats_format, text_names_the_version_first)
{
	int rc;
	char *s = render("{\"version\":\"1.2.3-45\",\"uptime\":15,\"name\":\"x\"}",
			 STATS_TEXT, &rc);

	cr_assert_eq(rc, 0);
	const char *want = "version                      1.2.3-45\nuptime";

	cr_assert(!strncmp(s, want, strlen(want)), "%s", s);
	cr_assert(!strstr(s, "name"), "%s", s);
	free(s);
}

Test(stats_format, json_is_the_line)
{
	int rc;
	char *s = render(LINE, STATS_JSON, &rc);

	cr_assert_eq(rc, 0);
	cr_assert_eq(strlen(s), strlen(LINE) + 1);
	cr_assert(!strncmp(s, LINE, strlen(LINE)) && s[strlen(LINE)] == '\n');
	free(s);
}

Test(stats_format, bad_lines_refused)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"x}",
		"{\"a\":[1,2}", "{\"a\":tru}", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		free(render(bad[i], STATS_PROMETHEUS, &rc));
		cr_assert_eq(rc, -EPROTO, "accepted: %s", bad[i]);
	}
}

Test(stats_format, numbers_that_are_not_counters_are_skipped)
{
	int rc;
	char *s = render("{\"a\":-1,\"b\":2.5,\"c\":18446744073709551616,\"d\":18446744073709551615}",
			 STATS_PROMETHEUS, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(!strstr(s, "_a_") && !strstr(s, "_b_") && !strstr(s, "_c_"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_d_total 18446744073709551615\n"), "%s", s);
	free(s);
}

static const char SERVER_LINE[] =
	"{\"statsock\":1,\"daemon\":\"server\",\"version\":\"1.0\",\"uptime\":3,"
	"\"connections\":{\"accepted\":4,\"open\":1},"
	"\"reasons\":[{\"reason\":\"bad_cert\",\"refused\":2},{\"reason\":\"revoked\",\"refused\":1}],"
	"\"agents\":[{\"agent\":\"O=Test \\\"q\\\",CN=a\\\\1\",\"last_seen\":1700000000,\"sessions\":2}]}";

Test(stats_format, daemon_names_metrics_and_string_labels)
{
	int rc;
	char *s = render(SERVER_LINE, STATS_PROMETHEUS, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "# TYPE secaudit_server_uptime_seconds gauge\n"), "%s", s);
	cr_assert(strstr(s, "# TYPE secaudit_server_connections_open gauge\n"
			    "secaudit_server_connections_open 1\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_server_connections_accepted_total 4\n"), "%s", s);
	cr_assert(strstr(s, "# TYPE secaudit_server_refused_total counter\n"
			    "secaudit_server_refused_total{reason=\"bad_cert\"} 2\n"
			    "secaudit_server_refused_total{reason=\"revoked\"} 1\n"), "%s", s);
	/* the subject's quote and backslash escaped as the format wants */
	cr_assert(strstr(s, "secaudit_server_agent_last_seen_timestamp_seconds"
			    "{agent=\"O=Test \\\"q\\\",CN=a\\\\1\"} 1700000000\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_server_sessions_total{agent="), "%s", s);
	cr_assert(!strstr(s, "secaudit_monitor") && !strstr(s, "_reason") && !strstr(s, "_daemon"), "%s", s);
	free(s);
}

Test(stats_format, text_has_a_table_per_label)
{
	int rc;
	char *s = render(SERVER_LINE, STATS_TEXT, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "reason bad_cert") && strstr(s, "reason revoked"), "%s", s);
	cr_assert(strstr(s, "\nrefused                                    -               2"
			    "               1\n"), "%s", s);
	cr_assert(strstr(s, "agent O=Test \"q\",CN=a\\1"), "%s", s);
	free(s);
}

Test(stats_format, a_daemon_name_that_is_no_metric_name_is_refused)
{
	int rc;

	free(render("{\"daemon\":\"a b\",\"x\":1}", STATS_PROMETHEUS, &rc));
	cr_assert_eq(rc, -EPROTO);
	free(render("{\"daemon\":\"\",\"x\":1}", STATS_PROMETHEUS, &rc));
	cr_assert_eq(rc, -EPROTO);
}

Test(stats_format, milliseconds_are_written_as_seconds)
{
	int rc;
	char *s = render("{\"probe\":{\"latency_ms_p50\":1500,\"probe_ms_max\":7}}",
			 STATS_PROMETHEUS, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "# TYPE secaudit_monitor_probe_wait_seconds_p50 gauge\n"
			    "secaudit_monitor_probe_wait_seconds_p50 1.500\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_probe_duration_seconds_max 0.007\n"), "%s", s);
	free(s);
}

Test(stats_format, monitor_central_spool_is_a_gauge)
{
	int rc;
	char *s = render("{\"central\":{\"shipped\":9,\"spool\":{\"packages\":2,\"bytes\":300,"
			 "\"dropped_packages\":1},\"sender\":{\"acked_packages\":5,"
			 "\"connected\":1}}}", STATS_PROMETHEUS, &rc);

	cr_assert_eq(rc, 0);
	cr_assert(strstr(s, "# TYPE secaudit_monitor_central_spool_packages gauge\n"
			    "secaudit_monitor_central_spool_packages 2\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_central_spool_bytes 300\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_central_connected 1\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_central_spool_dropped_packages_total 1\n"), "%s", s);
	cr_assert(strstr(s, "secaudit_monitor_central_sender_acked_packages_total 5\n"), "%s", s);
	free(s);
}
