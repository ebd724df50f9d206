/*
 * The gateway events of the central store (docs/central.md): what every
 * monitor shipped to secaudit-server, filtered, as a table, JSON lines or
 * counts; --join-audit lists under each blocked session the audit events
 * of the host at its source address (an agent whose last session came from
 * there) within a time window: which process opened the connection. Where
 * some of those events name the session's destination address and port in
 * a SOCKADDR record (connect), only those are listed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "store.h"

static void gw_usage(FILE *f, const char *prog)
{
	fprintf(f,
"usage: %s %s URI [filters] [--json | --count COLUMN] [--join-audit WINDOW]\n"
"Reads the gateway events the monitors shipped (central:) from the store:\n"
"URI is sqlite:PATH or postgresql://...\n"
"  --gateway NAME         the gateway's certificate subject, or its CN\n"
"  --since T, --until T   an RFC 3339 time, a date, or a duration back from now (15m)\n"
"  --type T               event type: alert, tls, quic, anomaly, stats, or all\n"
"                         (default: %s)\n"
"  --sni NAME  --check CHECK  --action blocked|allowed  --zone Z  --rule ID\n"
"  --addr IP              source or destination address\n"
"  --limit N              the newest N, newest first (default: all, oldest first)\n"
"  --json                 the events as the monitors wrote them, one a line\n"
"  --count COLUMN         counts by gateway, event_type, sni, action, check,\n"
"                         rule, profile, zone, src_ip or dest_ip\n"
"  --join-audit WINDOW    under each blocked session, the audit events within\n"
"                         WINDOW (10s, 2m) of it of the agent at its source\n"
"                         address\n",
		prog, !strcmp(prog, "secaudit alerts") ? "--server" : "--store --gateway-events",
		!strcmp(prog, "secaudit alerts") ? "alert" : "all");
}

struct gw_print {
	struct store *s;
	double window;		/* --join-audit; 0: none */
	bool as_json;
};

/* The CN of a subject, for the narrow GATEWAY column. */
static const char *cn_of(const char *subject)
{
	const char *cn = strstr(subject, "CN=");
	static char out[64];
	size_t n;

	if (!cn)
		return subject;
	cn += 3;
	n = strcspn(cn, ",");
	snprintf(out, sizeof(out), "%.*s", (int)(n < sizeof(out) ? n : sizeof(out) - 1), cn);
	return out;
}

struct join {
	const struct store_gw_row *r;
	struct store *s;
	double window;
	struct audit_event ev;	/* the audit event's records, parsed */
	bool print;		/* false: count only */
	bool by_socket;		/* only the events whose socket is the session's */
	unsigned n, socket_matches;
};

/* Whether the event's socket address (SOCKADDR) is the session's
 * destination, i.e. the process connected where the gateway saw it go. */
static bool to_destination(struct join *j, const struct store_row *a)
{
	if (!audit_event_parse((const uint8_t *)a->raw, strlen(a->raw), &j->ev) ||
	    j->ev.sock_port < 0)
		return false;
	return j->ev.sock_port == j->r->dest_port && !strcmp(j->ev.sock_ip, j->r->dest_ip);
}

static int on_audit(void *ctx, const struct store_row *a)
{
	struct join *j = ctx;
	bool to_dest = to_destination(j, a);
	char ts[40], dest[80] = "";

	j->socket_matches += to_dest;
	if (!j->print || (j->by_socket && !to_dest))
		return 0;
	cli_iso_time(a->time, ts, sizeof(ts));
	if (to_dest)
		snprintf(dest, sizeof(dest), " to %s:%lld", j->r->dest_ip,
			 (long long)j->r->dest_port);
	printf("    audit %s %s %s %s pid %lld uid %lld %s %s%s\n", ts, cn_of(a->agent),
	       *a->syscall_name ? a->syscall_name : a->type,
	       a->success < 0 ? "-" : a->success ? "ok" : "failed", (long long)a->pid,
	       (long long)a->uid, *a->exe ? a->exe : a->comm, a->args_json, dest);
	j->n++;
	return 0;
}

/* The audit events of each agent last seen at the session's source. */
static int join_agent(void *ctx, const char *agent)
{
	struct join *j = ctx;
	struct store_filter f = { .agent = agent, .uid = -1, .success = -1,
				  .since = j->r->time - j->window,
				  .until = j->r->time + j->window };

	return store_query(j->s, &f, on_audit, j) < 0;
}

/* Counts the events that name the session's destination, then lists
 * those, or every event of the window when none does. */
static int join_session(struct gw_print *p, const struct store_gw_row *r)
{
	struct join j = { .r = r, .s = p->s, .window = p->window };
	int rc = store_agents_at(p->s, r->src_ip, join_agent, &j);

	if (rc >= 0) {
		j.print = true;
		j.by_socket = j.socket_matches > 0;
		rc = store_agents_at(p->s, r->src_ip, join_agent, &j);
	}
	audit_event_free(&j.ev);
	if (rc < 0)
		return -1;
	if (!j.n)
		printf("    audit: no agent's events from %s within %g s\n", r->src_ip, p->window);
	return 0;
}

static int print_one(struct gw_print *p, const struct store_gw_row *r)
{
	char ts[40];

	if (p->as_json) {
		printf("%s\n", r->json);
		return 0;
	}
	cli_iso_time(r->time, ts, sizeof(ts));
	printf("%-24s %-12.12s %-7.7s %-8.8s %s:%lld -> %s:%lld %s %s%s%s\n", ts,
	       cn_of(r->gateway), *r->event_type ? r->event_type : "?",
	       *r->action ? r->action : "-", r->src_ip, (long long)r->src_port, r->dest_ip,
	       (long long)r->dest_port, *r->sni ? r->sni : "-", *r->checks ? "[" : "",
	       r->checks, *r->checks ? "]" : "");
	if (p->window > 0 && !strcmp(r->action, "blocked") && *r->src_ip)
		return join_session(p, r);
	return 0;
}

static int on_row(void *ctx, const struct store_gw_row *r)
{
	return print_one(ctx, r) < 0;
}

static int on_count(void *ctx, const char *name, int64_t n)
{
	(void)ctx;
	printf("%10lld  %s\n", (long long)n, *name ? name : "(none)");
	return 0;
}

int gw_events_main(const char *prog, int argc, char **argv, const char *type)
{
	struct store_gw_filter f = { .event_type = type };
	struct gw_print p = { 0 };
	const char *uri = NULL, *count = NULL, *since = NULL, *until = NULL, *join = NULL;
	const char *limit = NULL;
	char err[512], *end;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = !strcmp(a, "--server") || !strcmp(a, "--store") ? &uri :
			!strcmp(a, "--gateway") ? &f.gateway : !strcmp(a, "--since") ? &since :
			!strcmp(a, "--until") ? &until : !strcmp(a, "--type") ? &f.event_type :
			!strcmp(a, "--sni") ? &f.sni : !strcmp(a, "--check") ? &f.check :
			!strcmp(a, "--action") ? &f.action : !strcmp(a, "--zone") ? &f.zone :
			!strcmp(a, "--rule") ? &f.rule : !strcmp(a, "--addr") ? &f.addr :
			!strcmp(a, "--limit") ? &limit : !strcmp(a, "--count") ? &count :
			!strcmp(a, "--join-audit") ? &join : NULL;

		if (val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value\n", prog, a);
				return 2;
			}
			*val = argv[++i];
		} else if (!strcmp(a, "--json")) {
			p.as_json = true;
		} else if (!strcmp(a, "--gateway-events")) {
			continue;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			gw_usage(stdout, prog);
			return 0;
		} else {
			fprintf(stderr, "%s: '%s' is not an option of the central store's "
				"events\n", prog, a);
			gw_usage(stderr, prog);
			return 2;
		}
	}
	if (!uri) {
		gw_usage(stderr, prog);
		return 2;
	}
	if (f.event_type && !strcmp(f.event_type, "all"))
		f.event_type = NULL;
	if (f.action && strcmp(f.action, "blocked") && strcmp(f.action, "allowed")) {
		fprintf(stderr, "%s: --action is blocked or allowed\n", prog);
		return 2;
	}
	if ((since && !cli_time_opt("--since", since, false, &f.since)) ||
	    (until && !cli_time_opt("--until", until, true, &f.until)))
		return 2;
	if (join && (!cli_parse_duration(join, &p.window) || p.window <= 0)) {
		fprintf(stderr, "%s: --join-audit '%s': give a duration (10s, 2m)\n", prog, join);
		return 2;
	}
	if (limit) {
		f.limit = strtol(limit, &end, 10);
		if (!*limit || *end || f.limit <= 0) {
			fprintf(stderr, "%s: --limit '%s' is not a positive number\n", prog, limit);
			return 2;
		}
	}
	p.s = store_open(uri, err, sizeof(err));
	if (!p.s) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (count) {
		rc = store_gw_count(p.s, &f, count, on_count, NULL);
		if (rc == -EINVAL) {
			fprintf(stderr, "%s: --count '%s': give gateway, event_type, sni, action, "
				"check, rule, profile, zone, src_ip or dest_ip\n", prog, count);
			store_close(p.s);
			return 2;
		}
	} else {
		if (!p.as_json)
			printf("%-24s %-12s %-7s %-8s %s\n", "TIME", "GATEWAY", "TYPE", "ACTION",
			       "SOURCE -> DESTINATION SNI [FAILED CHECKS]");
		f.newest = f.limit > 0;	/* --limit N: the newest N, newest first */
		rc = store_gw_query(p.s, &f, on_row, &p);
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", prog, store_error(p.s));
	store_close(p.s);
	return rc < 0 ? 1 : 0;
}
