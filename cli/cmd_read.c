/*
 * secaudit read: the offline path. Captures (or a live interface) through
 * the same engine the inline monitor runs, printing a transcript per TLS
 * session for a person, or EVE JSON lines with --eve.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/capture.h"
#include "cli.h"
#include "cmd_read_pool.h"
#include "engine/engine.h"
#include "engine/eve.h"
#include "engine/inspector.h"
#include "policy/policy.h"
#include "table_mem.h"
#include "tls/keylog.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a directory's capture files in name order (rotated captures are
 * named so): regular files, not hidden ones. 0, or 1 after a message. */
static int read_dir(const char *dir, struct read_pool *pool)
{
	char **names = NULL, path[4096], err[512];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d) {
		fprintf(stderr, "secaudit read: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!more)
				break;
			names = more;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_pool_file(pool, path, err, sizeof(err))) {
			fprintf(stderr, "secaudit read: %s: %s\n", path, err);
			rc = 1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit read [--eve [--eve-custom LIST]] [--rules FILE] [--keylog FILE] [-o FILE] CAPTURE...\n"
		"       secaudit read [--eve] [--rules FILE] [--keylog FILE] [-o FILE] -i IFACE [BPF FILTER]\n"
		"\n"
		"Reads pcap/pcapng captures (or captures live on IFACE until interrupted)\n"
		"as one capture, in the order given (a directory: its files in name order)\n"
		"and reports every TLS handshake: a transcript per session, or with --eve\n"
		"one EVE JSON line per session, alert and anomaly. With --rules, each\n"
		"session is judged as the inline monitor would judge it: the alerts say\n"
		"which sessions it would block (\"blocked\") or only report (\"allowed\").\n"
		"  --eve        EVE JSON lines (Suricata-compatible) instead of text\n"
		"  --eve-custom LIST  tls fields beyond Suricata's default ones, named as\n"
		"               in its custom: [...] (comma-separated): certificate, chain,\n"
		"               client_certificate, client_chain, client_handshake,\n"
		"               server_handshake (the certificates' base64 is most of\n"
		"               an event's size: it is written only when asked)\n"
		"  --rules FILE judge sessions by this policy (see docs/rules.md)\n"
		"  --keylog FILE  TLS key log (SSLKEYLOGFILE format): TLS 1.3 handshakes\n"
		"               found in it are decrypted, so their certificates are shown\n"
		"               and judged as TLS 1.2's are\n"
		"  -o FILE      write to FILE instead of standard output\n"
		"  --threads N  worker threads (default: every core online); the output\n"
		"               is the same, byte for byte, whatever N\n"
		"  -v, --verbose  say how the sessions were spread over the threads\n"
		"  -i IFACE     capture live on IFACE\n"
		"  --community-id-seed N  seed of the events' Community ID (default 0)\n"
		"  --no-community-id      events without community_id\n"
		"  --checksums auto|verify|ignore\n"
		"               packets with bad checksums never enter the judged stream\n"
		"               (evasion); auto (default) verifies a direction whose SYN's\n"
		"               checksums hold (a capture on a host with checksum offload\n"
		"               has bad ones on all of that host's packets)\n");
}

int cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "eve", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "interface", required_argument, NULL, 'i' },
		{ "rules", required_argument, NULL, 'r' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "community-id-seed", required_argument, NULL, 's' },
		{ "no-community-id", no_argument, NULL, 'C' },
		{ "checksums", required_argument, NULL, 'c' },
		{ "eve-custom", required_argument, NULL, 'E' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct read_pool_config pc = { 0 };
	struct read_pool *pool;
	struct engine_config cfg;
	struct stat st;
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	struct policy *policy = NULL;
	struct keylog *keylog = NULL;
	struct inspector_counters n;
	const char *out_path = NULL, *iface = NULL, *rules = NULL, *keylog_path = NULL;
	bool eve = false, cid = true, verbose = false;
	uint64_t per_worker[READ_POOL_MAX_THREADS];
	unsigned custom = 0;
	long seed = 0;
	char err[512], *end;
	int opt, i, werr, rc = 0;
	enum engine_checksums csum = ENGINE_CSUM_AUTO;

	while ((opt = getopt_long(argc, argv, "eo:i:r:hv", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': eve = true; break;
		case 'r': rules = optarg; break;
		case 'k': keylog_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'i': iface = optarg; break;
		case 'C': cid = false; break;
		case 's':
			errno = 0;
			seed = strtol(optarg, &end, 0);
			if (errno || end == optarg || *end || seed < 0 || seed > 65535) {
				fprintf(stderr, "secaudit read: --community-id-seed: '%s' is not "
					"a number from 0 to 65535\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (!strcmp(optarg, "auto"))
				csum = ENGINE_CSUM_AUTO;
			else if (!strcmp(optarg, "verify"))
				csum = ENGINE_CSUM_VERIFY;
			else if (!strcmp(optarg, "ignore"))
				csum = ENGINE_CSUM_IGNORE;
			else {
				fprintf(stderr, "secaudit read: --checksums '%s': auto, verify or ignore\n",
					optarg);
				return 2;
			}
			break;
		case 'v': verbose = true; break;
		case 'T':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || threads < 1 ||
			    threads > READ_POOL_MAX_THREADS) {
				fprintf(stderr, "secaudit read: --threads: '%s' is not a number from "
					"1 to %d\n", optarg, READ_POOL_MAX_THREADS);
				return 2;
			}
			break;
		case 'E':
			if (!eve_custom_parse(optarg, &custom, err, sizeof(err))) {
				fprintf(stderr, "secaudit read: --eve-custom: %s\n", err);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!iface && optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (rules) {
		struct policy_error perr;

		policy = policy_load(rules, &perr);
		if (!policy) {
			policy_error_format(&perr, err, sizeof(err));
			fprintf(stderr, "secaudit read: %s\n", err);
			return 1;
		}
	}
	if (keylog_path) {
		unsigned bad = 0;

		keylog = keylog_load(keylog_path, &bad, err, sizeof(err));
		if (!keylog) {
			fprintf(stderr, "secaudit read: %s\n", err);
			policy_free(policy);
			return 1;
		}
		if (bad)
			fprintf(stderr, "secaudit read: %s: %u malformed lines skipped\n",
				keylog_path, bad);
	}
	/* Every session frees what its handshake held; glibc would hand the
	 * top of the heap back to the kernel and fault it in again thousands
	 * of times a second (a tenth of the run went to brk and its TLB
	 * flushes). Keep it. */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	/* The tables fault in as the workers use them, in parallel, not all
	 * at start on this thread (table_mem.h). */
	table_mem_touch_at_start(false);
	pc.out_fd = STDOUT_FILENO;
	if (out_path && (pc.out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					  0644)) < 0) {
		fprintf(stderr, "secaudit read: %s: %s\n", out_path, strerror(errno));
		policy_free(policy);
		keylog_free(keylog);
		return 1;
	}
	engine_config_default(&cfg);
	cfg.keylog = keylog;
	cfg.community_id = cid;
	cfg.community_id_seed = (uint16_t)seed;
	cfg.checksums = csum;
	cfg.lossy_capture = true;
	pc.threads = threads < 1 ? 1 : threads > READ_POOL_MAX_THREADS ? READ_POOL_MAX_THREADS :
								      (unsigned)threads;
	pc.engine = &cfg;
	pc.policy = policy;
	pc.format = eve ? INSPECTOR_EVE : INSPECTOR_TEXT;
	pc.eve_custom = custom;
	/* Live, each packet's output is written before the next is awaited. */
	pc.round_packets = iface ? 1 : 4096;
	pool = read_pool_new(&pc, err, sizeof(err));
	if (!pool) {
		fprintf(stderr, "secaudit read: %s\n", err);
		rc = 1;
		goto out;
	}
	if (iface) {
		struct sigaction sa = { 0 };
		char filter[1024] = "";

		for (i = optind; i < argc; i++) {
			strncat(filter, argv[i], sizeof(filter) - strlen(filter) - 2);
			strcat(filter, " ");
		}
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (capture_live(iface, filter, read_pool_packet, pool, &stop_requested, err,
				 sizeof(err))) {
			fprintf(stderr, "secaudit read: %s\n", err);
			rc = 1;
		}
	} else {
		/* Several captures (or a directory of them) are one capture:
		 * flows carry over from one file to the next. */
		for (i = optind; i < argc; i++) {
			if (!stat(argv[i], &st) && S_ISDIR(st.st_mode)) {
				rc |= read_dir(argv[i], pool);
			} else if (read_pool_file(pool, argv[i], err, sizeof(err))) {
				fprintf(stderr, "secaudit read: %s: %s\n", argv[i], err);
				rc = 1;
			}
		}
	}
	werr = read_pool_finish(pool, &n, per_worker);
	if (werr) {
		fprintf(stderr, "secaudit read: %s: %s\n", out_path ? out_path : "standard output",
			strerror(werr));
		rc = 1;
	}
	if (verbose) {
		fprintf(stderr, "secaudit read: %u threads, sessions per thread:", pc.threads);
		for (i = 0; i < (int)pc.threads; i++)
			fprintf(stderr, " %llu", (unsigned long long)per_worker[i]);
		fprintf(stderr, "\n");
	}
	if (policy)
		fprintf(stderr, "secaudit read: %llu TLS sessions, %llu alerts, %llu would be blocked\n",
			(unsigned long long)n.sessions, (unsigned long long)n.alerts,
			(unsigned long long)n.blocked);
out:
	policy_free(policy);
	keylog_free(keylog);
	if (out_path && close(pc.out_fd)) {
		fprintf(stderr, "secaudit read: %s: %s\n", out_path, strerror(errno));
		rc = 1;
	}
	return rc;
}
