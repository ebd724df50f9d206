/*
 * secaudit stats: a running daemon's counters, read from its stats socket
 * (protocol in statsock.h): the monitor's by default, --agent's or
 * --server's; for a person (default), as the JSON line the daemon wrote
 * (--json), or in Prometheus' text format (--format prometheus, e.g. for
 * node-exporter's textfile collector).
 *
 * The socket is --socket, else the stats_socket of the daemon's
 * configuration (--config, default /etc/secaudit/<daemon>.yaml when it
 * exists), else the daemon's default path (/run/secaudit/<daemon>.sock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_config.h"
#include "buf.h"
#include "cli.h"
#include "daemon/daemon_config.h"
#include "statsock.h"
#include "stats_format.h"

/* Each daemon's configuration and stats socket where they are installed. */
static const struct { const char *name, *config, *socket; } daemons[] = {
	{ "monitor", "/etc/secaudit/monitor.yaml", STATSOCK_DEFAULT_PATH },
	{ "agent", "/etc/secaudit/agent.yaml", STATSOCK_AGENT_PATH },
	{ "server", "/etc/secaudit/server.yaml", STATSOCK_SERVER_PATH },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: secaudit stats [--monitor | --agent | --server]\n"
		   "                      [--json | --format text|json|prometheus]\n"
		   "                      [--config FILE | --socket PATH] [--timeout MS]\n"
		   "Prints a running daemon's counters (secaudit-monitor's, or with\n"
		   "--agent / --server secaudit-agent's or secaudit-server's): a table\n"
		   "by default, the JSON line the daemon wrote with --json, the\n"
		   "Prometheus text format with --format prometheus.\n"
		   "  --monitor, --agent, --server  which daemon (default --monitor)\n"
		   "  --config FILE  the daemon's configuration: its stats_socket\n"
		   "                 (default /etc/secaudit/DAEMON.yaml when it exists)\n"
		   "  --socket PATH  the stats socket itself (default /run/secaudit/DAEMON.sock)\n"
		   "  --timeout MS   how long to wait for the daemon (default 2000)\n");
}

/* The agent's or server's stats_socket (their flat configuration). */
static bool audit_socket(const char *config, char *path, size_t n)
{
	struct audit_config cfg = { 0 };
	char err[512];
	const char *v;
	bool ok = false;

	if (audit_config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "secaudit stats: %s\n", err);
		goto out;
	}
	v = audit_config_get(&cfg, "stats_socket");
	if (!v || !strcmp(v, "none")) {
		fprintf(stderr, "secaudit stats: %s: no stats_socket: the daemon keeps no "
			"stats socket\n", config);
		goto out;
	}
	snprintf(path, n, "%s", v);
	ok = true;
out:
	audit_config_free(&cfg);
	return ok;
}

/* The socket named by the configuration file into path; false with the
 * reason on stderr. A default file that does not exist names nothing. */
static bool socket_from_config(const char *daemon, const char *config, bool given, char *path,
			       size_t n)
{
	struct daemon_config cfg;
	char err[DAEMON_PATH_MAX + 300];

	if (!given && access(config, F_OK) < 0)
		return true;
	if (strcmp(daemon, "monitor"))
		return audit_socket(config, path, n);
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
	static char path[DAEMON_PATH_MAX];
	const char *config = NULL, *socket = NULL;
	size_t d = 0;
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
		} else if (!strcmp(argv[k], "--monitor")) {
			d = 0;
		} else if (!strcmp(argv[k], "--agent")) {
			d = 1;
		} else if (!strcmp(argv[k], "--server")) {
			d = 2;
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
	snprintf(path, sizeof(path), "%s", socket ? socket : daemons[d].socket);
	if (!socket && !socket_from_config(daemons[d].name, config ? config : daemons[d].config,
					   config_given, path, sizeof(path)))
		return 2;
	r = statsock_query(path, &line, (int)timeout);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "secaudit stats: %s: %s (is secaudit-%s running?)\n", path,
			strerror(-r), daemons[d].name);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "secaudit stats: %s: %s\n", path, strerror(-r));
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
