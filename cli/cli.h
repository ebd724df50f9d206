/*
 * cli: the subcommands of `secaudit`. Each takes argc/argv with argv[0] being
 * the subcommand's name, and returns the process exit status
 * (0 success, 1 findings/failure, 2 usage error).
 */
#ifndef SECAUDIT_CLI_H
#define SECAUDIT_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct cli_command {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

int cmd_read(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_setup_gateway(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* t (epoch seconds) as 2026-01-02T10:00:00.123Z. */
void cli_iso_time(double t, char *out, size_t n);
/* N followed by s, m, h or d, in seconds. */
bool cli_parse_duration(const char *s, double *secs);
/* --since/--until values: an RFC 3339 time, a date (its first instant, or
 * with end the next day's), or a duration back from now; false with the
 * reason on stderr naming opt. */
bool cli_time_opt(const char *opt, const char *val, bool end, double *t);
/* The gateway events of the central store (cli/gw_events.c): for
 * `secaudit alerts --server` (type "alert") and `secaudit query
 * --gateway-events` (type NULL: every type). */
int gw_events_main(const char *prog, int argc, char **argv, const char *type);

#endif
