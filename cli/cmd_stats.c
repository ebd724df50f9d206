/*
 * secaudit stats: prints the running monitor's counters, one JSON line, as
 * the daemon wrote it on its stats socket (protocol in monitor/statsock.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "io/statsock.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: secaudit stats [--socket PATH] [--timeout MS]\n"
		   "Prints the running monitor's counters as one JSON line\n"
		   "(default socket %s, timeout 2000 ms).\n", STATSOCK_DEFAULT_PATH);
}

int cmd_stats(int argc, char **argv)
{
	const char *path = STATSOCK_DEFAULT_PATH;
	struct buf line = { 0 };
	long timeout = 2000;
	char *end;
	int k, r;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--socket") && k + 1 < argc) {
			path = argv[++k];
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
	r = statsock_query(path, &line, (int)timeout);
	if (r < 0) {
		fprintf(stderr, "secaudit stats: %s: %s%s\n", path, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is secaudit-monitor running?)" : "");
		buf_free(&line);
		return 1;
	}
	fwrite(line.data, 1, line.len, stdout);
	fputc('\n', stdout);
	buf_free(&line);
	return 0;
}
