/*
 * daemon_config: secaudit-monitor's settings, from a YAML file
 * (config/monitor.yaml is the example) and then from the command line.
 *
 * The file is a flat mapping; every key is optional:
 *   rules: PATH            the rules file (required, here or --rules)
 *   queue: N | "N:M"       NFQUEUE number or range, one thread per queue
 *   log: PATH              EVE alert log (append); absent: standard output
 *   stats_socket: PATH     `secaudit stats` socket ("" or none: no socket)
 *   stats_interval: S      seconds between `stats` events (0: none)
 *   fail_closed: BOOL      the queue drops when full / on monitor error
 *   gso: BOOL              take GSO super-packets whole (default true)
 *   user: NAME             drop to this user after opening sockets
 *   queue_maxlen: N        kernel queue length
 *   rcvbuf: BYTES          netlink socket receive buffer
 *   max_flows: N           flow table size per queue thread
 *   flow_timeout: S        idle flow timeout
 * Unknown keys are errors. Relative paths are relative to the file.
 */
#ifndef SECAUDIT_DAEMON_CONFIG_H
#define SECAUDIT_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#define DAEMON_PATH_MAX 4096
#define DAEMON_MAX_QUEUES 64

struct daemon_config {
	char rules[DAEMON_PATH_MAX];
	char log[DAEMON_PATH_MAX];         /* "" : standard output */
	char stats_socket[DAEMON_PATH_MAX];/* "" : no socket */
	char user[64];                     /* "" : keep running as root */
	uint16_t q_first, q_last;
	bool fail_closed;
	bool gso;
	unsigned stats_interval;           /* seconds; 0: no stats events */
	uint32_t queue_maxlen, rcvbuf;     /* 0: the adapter's defaults */
	struct engine_config engine;
};

/* The defaults: queue 0, stats socket STATSOCK_DEFAULT_PATH, stats every
 * 60 s, fail-open, GSO, the engine's defaults. */
void daemon_config_default(struct daemon_config *c);

/* Parses "N" or "N:M" (N <= M, M - N < DAEMON_MAX_QUEUES). */
bool daemon_parse_queues(const char *s, uint16_t *first, uint16_t *last);

/*
 * Reads the file over c (keys absent from the file keep c's values). On
 * error false, with "file:line:column: reason" in err.
 */
bool daemon_config_load(struct daemon_config *c, const char *path, char *err, size_t errlen);

#endif
