/*
 * secaudit-server: receives audit packages from agents over mutual TLS and
 * stores them exactly once. Settings come from flags, from a YAML file
 * (--config, see config/server.yaml), or both (flags win).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_config.h"
#include "audit_rules.h"
#include "privdrop.h"
#include "server.h"
#include "version.h"
#include "web.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit-server [--config FILE] [--listen ADDR:PORT]\n"
		"         [--cert FILE] [--key FILE] [--ca FILE] [--crl FILE]\n"
		"         [--store sqlite:PATH|postgresql://...] [--tls-min 1.2|1.3]\n"
		"         [--window N] [--idle-timeout SECONDS] [--rules DIR|FILE]\n"
		"         [--alert-log FILE] [--web [ADDR:]PORT] [--user NAME]\n"
		"         [--stats-socket PATH] [-n]\n"
		"       secaudit-server --help | --version\n"
		"  --rules      detection rules (rules/audit/); alerts go to --alert-log,\n"
		"               else to standard output\n"
		"  --web        serve the read-only web view over HTTPS there (ADDR\n"
		"               127.0.0.1 when left out), to clients with a certificate\n"
		"               of --ca that is not on --crl\n"
		"  --user       run as NAME once the socket, store and logs are open\n"
		"               (default: secaudit if that user exists, else nobody;\n"
		"               root keeps every privilege)\n"
		"  --stats-socket PATH  answer `secaudit stats --server` there (default: none)\n"
		"  -n, --test-config  check the configuration and rules and exit\n");
}

static bool parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end || v > 1000000000ul)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool tls_min(const char *s, int *out)
{
	if (!strcmp(s, "1.3"))
		*out = TLS1_3_VERSION;
	else if (!strcmp(s, "1.2"))
		*out = TLS1_2_VERSION;
	else
		return false;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "crl", required_argument, NULL, 'r' },
		{ "store", required_argument, NULL, 's' },
		{ "tls-min", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "rules", required_argument, NULL, 'R' },
		{ "alert-log", required_argument, NULL, 'A' },
		{ "user", required_argument, NULL, 'u' },
		{ "web", required_argument, NULL, 'W' },
		{ "stats-socket", required_argument, NULL, 'S' },
		{ "test-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_opts o = {
		.listen = "127.0.0.1:6514",
		.store = "sqlite:/var/lib/secaudit/audit.db",
		.window = 64,
		.max_conns = 1024,
		.handshake_timeout_ms = 10000,
		.idle_timeout_ms = 120000,
	};
	struct server_opts flags = { 0 };
	struct audit_config cfg = { 0 };
	const char *config = NULL, *v, *web_listen = NULL;
	struct web_opts wo = { 0 };
	struct web *web = NULL;
	char web_addr[300];
	unsigned idle = 0, window = 0, u;
	char err[512];
	bool check = false;
	int ch, ret = 2, tmin = 0;

	o.tls.server = true;
	while ((ch = getopt_long(argc, argv, "nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': config = optarg; break;
		case 'l': flags.listen = optarg; break;
		case 'c': flags.tls.cert = optarg; break;
		case 'k': flags.tls.key = optarg; break;
		case 'a': flags.tls.ca = optarg; break;
		case 'r': flags.tls.crl = optarg; break;
		case 's': flags.store = optarg; break;
		case 'R': flags.rules = optarg; break;
		case 'A': flags.alert_log = optarg; break;
		case 'u': flags.user = optarg; break;
		case 'W': web_listen = optarg; break;
		case 'S': flags.stats_socket = optarg; break;
		case 't':
			if (!tls_min(optarg, &tmin)) {
				fprintf(stderr, "secaudit-server: --tls-min: '%s' is not 1.2 or 1.3\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (!parse_uint(optarg, &window) || window == 0) {
				fprintf(stderr, "secaudit-server: --window: '%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (!parse_uint(optarg, &idle) || idle == 0) {
				fprintf(stderr, "secaudit-server: --idle-timeout: '%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': version_print("secaudit-server"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config) {
		if (audit_config_load(config, &cfg, err, sizeof(err)) < 0)
			goto bad;
		if ((v = audit_config_get(&cfg, "listen")))
			o.listen = v;
		if ((v = audit_config_get(&cfg, "store")))
			o.store = v;
		o.tls.cert = audit_config_get(&cfg, "tls.cert");
		o.tls.key = audit_config_get(&cfg, "tls.key");
		o.tls.ca = audit_config_get(&cfg, "tls.ca");
		o.tls.crl = audit_config_get(&cfg, "tls.crl");
		if ((v = audit_config_get(&cfg, "tls.min_version")) &&
		    !tls_min(v, &o.tls.min_version)) {
			snprintf(err, sizeof(err), "%s: tls.min_version: '%s' is not 1.2 or 1.3", config, v);
			goto bad;
		}
		if ((v = audit_config_get(&cfg, "window")) && (!parse_uint(v, &u) || !u)) {
			snprintf(err, sizeof(err), "%s: window: '%s' is not a positive number", config, v);
			goto bad;
		} else if (v) {
			o.window = u;
		}
		if ((v = audit_config_get(&cfg, "idle_timeout")) && (!parse_uint(v, &u) || !u)) {
			snprintf(err, sizeof(err), "%s: idle_timeout: '%s' is not a positive number", config, v);
			goto bad;
		} else if (v) {
			o.idle_timeout_ms = u * 1000;
		}
		o.rules = audit_config_get(&cfg, "rules");
		o.alert_log = audit_config_get(&cfg, "alert_log");
		if ((v = audit_config_get(&cfg, "user")))
			o.user = v;
		if ((v = audit_config_get(&cfg, "web.listen")) && !web_listen)
			web_listen = v;
		if ((v = audit_config_get(&cfg, "stats_socket")) && strcmp(v, "none"))
			o.stats_socket = v;
		if (audit_config_unused(&cfg, err, sizeof(err)) < 0)
			goto bad;
	}
	if (flags.listen) o.listen = flags.listen;
	if (flags.store) o.store = flags.store;
	if (flags.tls.cert) o.tls.cert = flags.tls.cert;
	if (flags.tls.key) o.tls.key = flags.tls.key;
	if (flags.tls.ca) o.tls.ca = flags.tls.ca;
	if (flags.tls.crl) o.tls.crl = flags.tls.crl;
	if (tmin) o.tls.min_version = tmin;
	if (window) o.window = window;
	if (idle) o.idle_timeout_ms = idle * 1000;
	if (flags.rules) o.rules = flags.rules;
	if (flags.alert_log) o.alert_log = flags.alert_log;
	if (flags.user) o.user = flags.user;
	if (flags.stats_socket) o.stats_socket = flags.stats_socket;
	if (!o.user) o.user = privdrop_default_user();
	if (!o.tls.cert || !o.tls.key || !o.tls.ca) {
		snprintf(err, sizeof(err), "--cert, --key and --ca are required");
		goto bad;
	}
	if (web_listen) {
		char host[256], port[16];

		/* a bare port is on the loopback address */
		snprintf(web_addr, sizeof(web_addr), strchr(web_listen, ':') ? "%s" : "127.0.0.1:%s",
			 web_listen);
		if (!server_split_hostport(web_addr, host, sizeof(host), port, sizeof(port)) ||
		    !parse_uint(port, &u) || u == 0 || u > 65535) {
			snprintf(err, sizeof(err), "web: '%s' is not [ADDR:]PORT", web_listen);
			goto bad;
		}
		wo.listen = web_addr;
		wo.store = o.store;
		wo.tls = o.tls;
	}
	if (check) {
		SSL_CTX *ctx = tls_ctx_new(&o.tls, err, sizeof(err));
		struct audit_rules *rules = NULL;

		if (!ctx)
			goto bad;
		SSL_CTX_free(ctx);
		if (o.rules && !(rules = audit_rules_load(o.rules, err, sizeof(err))))
			goto bad;
		if (strcmp(o.user, "root") && !getpwnam(o.user)) {
			snprintf(err, sizeof(err), "user: no user '%s'", o.user);
			audit_rules_free(rules);
			goto bad;
		}
		if (o.rules)
			printf("%s: %zu rules\n", o.rules, audit_rules_count(rules));
		audit_rules_free(rules);
		if (wo.listen)
			printf("web view on https://%s\n", wo.listen);
		printf("configuration ok (runs as %s)\n", o.user);
		ret = 0;
		goto out;
	}
	/* the web view binds and reads its files now, as root, like the
	 * channel; its thread drops with the process in server_run */
	if (wo.listen && !(web = web_start(&wo, err, sizeof(err))))
		goto bad;
	ret = server_run(&o);
	web_stop(web);
	goto out;
bad:
	fprintf(stderr, "secaudit-server: %s\n", err);
	ret = 2;
out:
	audit_config_free(&cfg);
	return ret;
}
