/*
 * daemon_config: secaudit-monitor's settings, from a YAML file
 * (config/monitor.yaml is the example) and then from the command line.
 *
 * The file (config/monitor.yaml documents every key; all are optional):
 *   version: 1
 *   rules: PATH
 *   nfqueue: { queues: N | "N:M", max_len, rcvbuf (bytes, KiB/MiB suffixes),
 *              gso, fail_closed, mark_mask, mark_accept, mark_deny, mark_inject,
 *              queue_cpu: "LIST" (CPUs, e.g. "0,1" or "2-3": the thread of
 *              the i-th queue runs on the i-th CPU, the list taken again from
 *              its start when shorter) }
 *   limits: { max_flows, flow_timeout (s/m/h), flow_linger (s/m/h: how long a
 *             decided flow is remembered after its last packet), stream_memcap, max_ooo_bytes,
 *             max_ooo_segments, cert_cache, exception_policy: pass | drop }
 *   alert_log: PATH         EVE alert log (append); absent: standard output
 *                           (`log:`, its older name, is read the same)
 *   stats_interval: DURATION   between `stats` events (0: none)
 *   stats_socket: PATH | none
 *   evidence: DIR           pcaps of blocked handshakes (created, owned by user)
 *   community_id: BOOL      Community ID v1 on flow events (default true)
 *   community_id_seed: N    its seed, 0..65535 (default 0)
 *   eve_custom: [NAMES]     tls fields beyond Suricata's default ones, as its
 *                           `custom: [...]` names them (certificate, chain, ...)
 *   drop_resets_server: BOOL   `drop` resets the server's end (default true)
 *   log_sessions: BOOL      a tls/quic event per session in alert_log too
 *                           (default false; implied by central shipping them)
 *   user, group: NAMES      run as these after opening the sockets
 *   probe: { threads, max_pending, cache_size, cache_ttl, negative_ttl (s/m/h),
 *            timeout_ms, rate_global (per second), rate_per_destination (per
 *            minute) }   the prober of `tls13_certificates: probe` profiles
 *   keylog: PATH            an NSS key log file (SSLKEYLOGFILE, openssl s_server
 *                           -keylogfile) followed as it grows: TLS 1.3 handshakes
 *                           of the servers writing it are decrypted and judged
 *   keylog_wait_ms: N       how long a TLS 1.3 server flight is held for its
 *                           secrets to appear in it (default 50)
 *   keylog_max_entries: N   connections whose secrets are kept (default 65536)
 *   central: { server: HOST:PORT, server_name, cert, key, ca, crl, spool,
 *              spool_max, ring, heartbeat, batch_ms (10..10000, default
 *              1000), events: [alert, tls, ...] }
 *                           ship the events to secaudit-server (docs/central.md);
 *                           server, cert, key and ca are required when present
 * Unknown keys are errors. Relative paths are relative to the file.
 */
#ifndef SECAUDIT_DAEMON_CONFIG_H
#define SECAUDIT_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "probe/prober.h"

#define DAEMON_PATH_MAX 4096
#define DAEMON_MAX_QUEUES 64
#define DAEMON_MAX_CPU 1024     /* CPU_SETSIZE: the CPUs queue_cpu can name */
/* Where the monitor's unit, `secaudit alerts` and `secaudit stats` look
 * when no --config is given. */
#define DAEMON_CONFIG_DEFAULT "/etc/secaudit/monitor.yaml"

/* A key log's secrets are kept this long: they serve one handshake. */
#define DAEMON_KEYLOG_MAX_AGE_S 120
#define DAEMON_KEYLOG_WAIT_MS 50
#define DAEMON_KEYLOG_MAX_ENTRIES 65536

#define DAEMON_CENTRAL_TYPES 8
/* Where the events go when central: names no spool. */
#define DAEMON_CENTRAL_SPOOL "/var/spool/secaudit/central"

/* central: the shipping of events to secaudit-server (server "" : none). */
struct daemon_central {
	char server[256];                  /* HOST:PORT */
	char server_name[256];             /* "" : the host of server */
	char cert[DAEMON_PATH_MAX], key[DAEMON_PATH_MAX];
	char ca[DAEMON_PATH_MAX], crl[DAEMON_PATH_MAX];   /* crl "" : none */
	char spool[DAEMON_PATH_MAX];
	uint64_t spool_max;                /* bytes; default 256 MiB */
	uint64_t ring;                     /* bytes between the queue threads and the shipper */
	unsigned heartbeat;                /* seconds */
	unsigned batch_ms;                 /* a spool write per batch; default 1000 */
	unsigned n_events;
	char events[DAEMON_CENTRAL_TYPES][16];   /* default alert, tls */
};

struct daemon_config {
	char rules[DAEMON_PATH_MAX];
	char log[DAEMON_PATH_MAX];         /* "" : standard output */
	char stats_socket[DAEMON_PATH_MAX];/* "" : no socket */
	char evidence[DAEMON_PATH_MAX];    /* "" : none */
	char keylog[DAEMON_PATH_MAX];      /* "" : none */
	unsigned keylog_wait_ms;
	uint32_t keylog_max_entries;
	char user[64];                     /* "" : keep running as root */
	char group[64];                    /* "" : the user's group */
	uint16_t q_first, q_last;
	/* queue_cpu: the CPU of each queue's thread, in queue order, repeated
	 * over the queues when shorter; n_queue_cpu 0: not pinned */
	uint16_t queue_cpu[DAEMON_MAX_QUEUES];
	unsigned n_queue_cpu;
	bool fail_closed;
	bool gso;
	bool drop_resets_server;           /* `drop` sends the server a RST (default) */
	bool log_sessions;                 /* tls/quic events in the log, not only alerts */
	unsigned eve_custom;               /* EVE_CUSTOM_* (engine/eve.h) */
	unsigned stats_interval;           /* seconds; 0: no stats events */
	uint32_t queue_maxlen, rcvbuf;     /* 0: the adapter's defaults */
	uint32_t mark_mask, mark_accept, mark_deny, mark_inject;
	struct engine_config engine;
	struct prober_config probe;        /* probe.mark: set from mark_accept at start */
	struct daemon_central central;
};

/* The defaults: queue 0, stats socket STATSOCK_DEFAULT_PATH, stats every
 * 60 s, fail-open, GSO, the NFQUEUE_MARK_* bits, the engine's defaults. */
void daemon_config_default(struct daemon_config *c);

/* Parses "pass" (ENGINE_ACCEPT) or "drop" (ENGINE_DROP): what happens to a
 * flow whose handshake hits a reassembly limit (engine_config). */
bool daemon_parse_exception_policy(const char *s, enum engine_verdict *v);

/* Parses "N" or "N:M" (N <= M, M - N < DAEMON_MAX_QUEUES). */
bool daemon_parse_queues(const char *s, uint16_t *first, uint16_t *last);

/* Parses a CPU list, "N[-M][,N[-M]]..." (CPUs below DAEMON_MAX_CPU, at most
 * DAEMON_MAX_QUEUES of them in all), into cpus in the order written;
 * *n their count. False, with cpus and *n untouched, on anything else. */
bool daemon_parse_cpus(const char *s, uint16_t cpus[static DAEMON_MAX_QUEUES], unsigned *n);

/*
 * Reads the file over c (keys absent from the file keep c's values). On
 * error false, with "file:line:column: reason" in err.
 */
bool daemon_config_load(struct daemon_config *c, const char *path, char *err, size_t errlen);

#endif
