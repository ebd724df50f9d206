/*
 * secaudit probe: the gateway's own TLS 1.3 handshake with a server (the
 * probe of monitor/probe/), shown and, with --rules, judged: the same
 * certificate checks the monitor runs, on the chain the server shows a
 * client that offers this SNI and ALPN. An admin's way to see what a
 * `tls13_certificates: probe` profile will make of a server.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "policy/policy.h"
#include "probe/probe.h"
#include "tls/tls.h"
#include "x509/x509.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secaudit probe [--sni NAME] [--alpn LIST] [--timeout MS] [--rules FILE] ADDRESS PORT\n"
		"\n"
		"Opens a TLS 1.3 connection to ADDRESS (an IPv4 or IPv6 literal) and PORT as the\n"
		"monitor's probe does, reads the server's chain, OCSP staple and whether it asks\n"
		"for a client certificate, and closes without sending application data.\n"
		"  --sni NAME     server name to offer\n"
		"  --alpn LIST    ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)\n"
		"  --timeout MS   give up after MS milliseconds (default 3000)\n"
		"  --rules FILE   judge the chain by the profile this destination's zone uses\n"
		"Exit status: 0 the chain was read (and passes), 1 it fails the policy,\n"
		"2 usage error or the probe failed.\n");
}

static bool parse_alpn(const char *list, struct tls_alpn_list *a)
{
	const char *p = list;

	memset(a, 0, sizeof(*a));
	while (*p) {
		size_t n = strcspn(p, ",");

		if (!n || n > 255 || a->n >= TLS_MAX_ALPN || a->used + n > TLS_ALPN_BUF)
			return false;
		a->id[a->n].off = a->used;
		a->id[a->n].len = (uint8_t)n;
		memcpy(a->buf + a->used, p, n);
		a->used = (uint16_t)(a->used + n);
		a->n++;
		p += n + (p[n] == ',');
	}
	return true;
}

static void show_chain(const struct tls_chain *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		printf("  cert %u: %s\n    issuer %s; %s %d; valid %s .. %s\n    sha256 %s\n", i,
		       c->cert[i]->subject, c->cert[i]->issuer,
		       c->cert[i]->key_type ? c->cert[i]->key_type : "?", c->cert[i]->key_bits,
		       c->cert[i]->not_before, c->cert[i]->not_after, c->cert[i]->sha256);
}

/* The session a client with this offer would have had, as far as a policy
 * needs it: its hello, a TLS 1.3 ServerHello, and the probed chain. */
static unsigned probed_session(struct tls_session *s, const struct probe_offer *o,
			       const struct probe_result *r)
{
	struct tls_client_hello *ch = &s->client_hello[0];
	struct tls_server_hello *sh = &s->server_hello[0];

	s->n_client_hellos = 1;
	ch->legacy_version = 0x0303;
	ch->has_sni = o->has_sni;
	memcpy(ch->sni, o->sni, sizeof(ch->sni));
	ch->alpn = o->alpn;
	ch->n_versions = 1;
	ch->versions[0] = 0x0304;
	ch->n_suites = 1;
	ch->suites[0] = r->suite;
	ch->status_request = o->status_request;
	s->n_server_hellos = 1;
	sh->legacy_version = 0x0303;
	sh->selected_version = 0x0304;
	sh->suite = r->suite;
	s->version = 0x0304;
	s->suite = r->suite;
	s->is_tls = true;
	s->events = TLS_EV_CLIENT_HELLO | TLS_EV_SERVER_HELLO;
	return tls_session_adopt_chain(s, (const uint8_t *const *)r->der, r->der_len, r->n_certs,
				       r->ocsp, r->ocsp_len, r->cert_request, TLS_CERTS_PROBE) |
	       TLS_EV_SERVER_DONE;
}

static int judge(const char *rules, const struct probe_offer *o, struct tls_session *s,
		 unsigned ev)
{
	struct policy_error perr;
	struct policy_state st = { 0 };
	struct policy_flow pf = { 0 };
	struct policy *p = policy_load(rules, &perr);
	struct buf out = { 0 };
	struct json j;
	char err[512];

	if (!p) {
		policy_error_format(&perr, err, sizeof(err));
		fprintf(stderr, "secaudit probe: %s\n", err);
		return 2;
	}
	pf.family = o->family;
	memcpy(pf.server_addr, o->addr, 16);
	pf.server_port = o->port;
	policy_evaluate(p, &pf, s, ev, &st, time(NULL));
	policy_finish(p, &pf, s, &st, time(NULL));
	json_init(&j, &out);
	policy_state_to_json(p, &st, &j);
	printf("policy: %s\n", buf_cstr(&out));
	buf_free(&out);
	policy_free(p);
	return st.n_failures ? 1 : 0;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sni", required_argument, NULL, 's' },
		{ "alpn", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_config cfg = { .timeout_ms = 3000 };
	struct probe_offer o = { 0 };
	struct probe_result r;
	struct x509_cache *certs = NULL;
	struct tls_session s;
	const char *rules = NULL;
	unsigned long port;
	unsigned ev;
	char *end;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.has_sni = true;
			snprintf(o.sni, sizeof(o.sni), "%s", optarg);
			break;
		case 'a':
			if (!parse_alpn(optarg, &o.alpn)) {
				fprintf(stderr, "secaudit probe: bad ALPN list '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			cfg.timeout_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !cfg.timeout_ms) {
				fprintf(stderr, "secaudit probe: bad timeout '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r': rules = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	port = strtoul(argv[optind + 1], &end, 10);
	o.family = strchr(argv[optind], ':') ? AF_INET6 : AF_INET;
	if (*end || !port || port > 65535 || inet_pton(o.family, argv[optind], o.addr) != 1) {
		fprintf(stderr, "secaudit probe: '%s %s' is not an address and a port\n",
			argv[optind], argv[optind + 1]);
		return 2;
	}
	o.port = (uint16_t)port;
	o.status_request = true;
	probe_run(&o, &cfg, &r);
	printf("probe %s: %s%s%s (%.1f ms)\n", argv[optind], probe_status_name(r.status),
	       r.reason[0] ? ", " : "", r.reason, (double)r.latency_us / 1000.0);
	rc = 2;
	if (r.status != PROBE_OK)
		goto out;
	certs = x509_cache_new(64);
	tls_session_init(&s, certs);
	ev = probed_session(&s, &o, &r);
	show_chain(&s.server_chain);
	printf("  ocsp staple: %s\n  client certificate requested: %s\n", r.ocsp ? "yes" : "no",
	       r.cert_request ? "yes" : "no");
	rc = rules ? judge(rules, &o, &s, ev) : 0;
	tls_session_free(&s);
out:
	x509_cache_free(certs);
	probe_result_free(&r);
	return rc;
}
