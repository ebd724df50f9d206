/*
 * secaudit stats: the running monitor's counters, read from its stats
 * socket (protocol in io/statsock.h), for a person (default), as the JSON
 * line the daemon wrote (--json), or in Prometheus' text format
 * (--format prometheus, e.g. for node-exporter's textfile collector).
 *
 * The socket is --socket, else the stats_socket of the monitor's
 * configuration (--config, default STATS_DEFAULT_CONFIG when it exists),
 * else STATSOCK_DEFAULT_PATH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "daemon/daemon_config.h"
#include "io/statsock.h"
#include "stats_format.h"

#define STATS_DEFAULT_CONFIG "/etc/secaudit/monitor.yaml"

static void usage(FILE *f)
{
	fprintf(f, "usage: secaudit stats [--json | --format text|json|prometheus]\n"
		   "                      [--config FILE | --socket PATH] [--timeout MS]\n"
		   "Prints the running monitor's counters: a table by default, the JSON\n"
		   "line the monitor wrote with --json, the Prometheus text format with\n"
		   "--format prometheus.\n"
		   "  --config FILE  the monitor's configuration: its stats_socket\n"
		   "                 (default %s when it exists)\n"
		   "  --socket PATH  the stats socket itself (default %s)\n"
		   "  --timeout MS   how long to wait for the monitor (default 2000)\n",
		STATS_DEFAULT_CONFIG, STATSOCK_DEFAULT_PATH);
}

/* The socket named by the configuration file into path; false with the
 * reason on stderr. A default file that does not exist names nothing. */
static bool socket_from_config(const char *config, bool given, char *path, size_t n)
{
	struct daemon_config cfg;
	char err[DAEMON_PATH_MAX + 300];

	if (!given && access(config, F_OK) < 0)
		return true;
	daemon_config_default(&cfg);
	if (!daemon_config_load(&cfg, config, err, sizeof(err))) {
		fprintf(stderr, "secaudit stats: %s\n", err);
		return false;
	}
	if (!cfg.stats_socket[0]) {
		fprintf(stderr, "secaudit stats: %s: stats_socket is none: the monitor "
			"keeps no stats socket\n", config);
		return false;
	}
	snprintf(path, n, "%s", cfg.stats_socket);
	return true;
}

int cmd_stats(int argc, char **argv)
{
	static char path[DAEMON_PATH_MAX] = STATSOCK_DEFAULT_PATH;
	const char *config = STATS_DEFAULT_CONFIG, *socket = NULL;
	enum stats_format fmt = STATS_TEXT;
	struct buf line = { 0 }, out = { 0 };
	bool config_given = false;
	long timeout = 2000;
	int k, r, rc = 1;
	char *end;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--socket") && k + 1 < argc) {
			socket = argv[++k];
		} else if (!strcmp(argv[k], "--config") && k + 1 < argc) {
			config = argv[++k];
			config_given = true;
		} else if (!strcmp(argv[k], "--json")) {
			fmt = STATS_JSON;
		} else if (!strcmp(argv[k], "--format") && k + 1 < argc) {
			if (!stats_format_parse(argv[++k], &fmt)) {
				fprintf(stderr, "secaudit stats: bad --format '%s' "
					"(text, json or prometheus)\n", argv[k]);
				return 2;
			}
		} else if (!strcmp(argv[k], "--timeout") && k + 1 < argc) {
			timeout = strtol(argv[++k], &end, 10);
			if (*end || timeout <= 0 || timeout > 600000) {
				fprintf(stderr, "secaudit stats: bad --timeout '%s' (1-600000 ms)\n",
					argv[k]);
				return 2;
			}
		} else if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (socket && config_given) {
		fprintf(stderr, "secaudit stats: --socket and --config exclude each other\n");
		return 2;
	}
	if (socket)
		snprintf(path, sizeof(path), "%s", socket);
	else if (!socket_from_config(config, config_given, path, sizeof(path)))
		return 2;
	r = statsock_query(path, &line, (int)timeout);
	if (r < 0) {
		fprintf(stderr, "secaudit stats: %s: %s%s\n", path, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is secaudit-monitor running?)" : "");
		goto out;
	}
	r = stats_render(line.data, line.len, fmt, &out);
	if (r < 0) {
		fprintf(stderr, "secaudit stats: %s: %s\n", path,
			r == -EPROTO ? "not a stats line this version understands" : strerror(-r));
		goto out;
	}
	fwrite(out.data, 1, out.len, stdout);
	rc = 0;
out:
	buf_free(&line);
	buf_free(&out);
	return rc;
}
