/*
 * secaudit read: the offline path. Captures (or a live interface) through
 * the same engine the inline monitor runs, printing a transcript per TLS
 * session for a person, or EVE JSON lines with --eve.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "engine.h"
#include "eve.h"
#include "transcript.h"

struct read_ctx {
	struct engine *engine;
	FILE *out;
	struct buf line;
	bool eve;
	unsigned long sessions;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void flush_line(struct read_ctx *c)
{
	if (c->line.len >= 1 << 16) {
		fwrite(c->line.data, 1, c->line.len, c->out);
		buf_reset(&c->line);
	}
}

static void on_session_end(void *arg, struct engine_session *es, uint64_t ts_us)
{
	struct read_ctx *c = arg;

	c->sessions++;
	if (c->eve)
		eve_tls_event(&c->line, es, ts_us);
	else
		transcript_session(&c->line, c->sessions, es);
	flush_line(c);
}

static void on_anomaly(void *arg, const struct engine_session *es, const struct decoded *d,
		       enum anomaly a, uint64_t ts_us)
{
	struct read_ctx *c = arg;

	if (c->eve)
		eve_anomaly_event(&c->line, es, d, a, ts_us);
	else
		buf_printf(&c->line, "anomaly: %s (%s)\n", anomaly_event(a), anomaly_type(a));
	flush_line(c);
}

static void on_packet(void *arg, int dlt, const uint8_t *pkt, size_t len, uint64_t ts_us)
{
	struct read_ctx *c = arg;

	engine_packet(c->engine, dlt, pkt, len, ts_us);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit read [--eve] [-o FILE] CAPTURE...\n"
		"       secaudit read [--eve] [-o FILE] -i IFACE [BPF FILTER]\n"
		"\n"
		"Reads pcap/pcapng captures (or captures live on IFACE until interrupted)\n"
		"and reports every TLS handshake: a transcript per session, or with --eve\n"
		"one EVE JSON line per session and per anomaly.\n"
		"  --eve        EVE JSON lines (Suricata-compatible) instead of text\n"
		"  -o FILE      write to FILE instead of standard output\n"
		"  -i IFACE     capture live on IFACE\n");
}

int cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "eve", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "interface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct read_ctx c = { 0 };
	struct engine_sink sink = { 0 };
	struct engine_config cfg;
	const char *out_path = NULL, *iface = NULL;
	char err[512];
	int opt, i, rc = 0;

	while ((opt = getopt_long(argc, argv, "eo:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': c.eve = true; break;
		case 'o': out_path = optarg; break;
		case 'i': iface = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!iface && optind >= argc) {
		usage(stderr);
		return 2;
	}
	c.out = stdout;
	if (out_path && !(c.out = fopen(out_path, "w"))) {
		fprintf(stderr, "secaudit read: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	sink.arg = &c;
	sink.session_end = on_session_end;
	sink.anomaly = on_anomaly;
	engine_config_default(&cfg);
	c.engine = engine_new(&cfg, &sink);
	if (!c.engine) {
		fprintf(stderr, "secaudit read: out of memory\n");
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
		if (capture_live(iface, filter, on_packet, &c, &stop_requested, err, sizeof(err))) {
			fprintf(stderr, "secaudit read: %s\n", err);
			rc = 1;
		}
	} else {
		for (i = optind; i < argc; i++) {
			if (capture_file(argv[i], on_packet, &c, err, sizeof(err))) {
				fprintf(stderr, "secaudit read: %s: %s\n", argv[i], err);
				rc = 1;
			}
		}
	}
	engine_flush(c.engine, 0);
	engine_free(c.engine);
out:
	if (c.line.len)
		fwrite(c.line.data, 1, c.line.len, c.out);
	buf_free(&c.line);
	if (c.out != stdout && fclose(c.out)) {
		fprintf(stderr, "secaudit read: %s: %s\n", out_path, strerror(errno));
		rc = 1;
	} else if (c.out == stdout && fflush(stdout)) {
		rc = 1;
	}
	return rc;
}
