/*
 * gw_event: the columns of a gateway event (one EVE JSON line of
 * secaudit-monitor, docs/events.md) that the store indexes. The line is
 * untrusted text from the network: yajl's event parser reads it (no tree
 * is built); values are copied into fixed buffers (longer ones are cut)
 * so the struct owns nothing.
 */
#ifndef SECAUDIT_GW_EVENT_H
#define SECAUDIT_GW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_FIELD 256
#define GW_CHECKS 1024

struct gw_event {
	double time;			/* "timestamp", epoch seconds; 0 when absent */
	int64_t flow_id;		/* -1 when absent */
	int64_t src_port, dest_port;	/* -1 when absent */
	char event_type[32], proto[16];
	char src_ip[64], dest_ip[64];
	char sni[GW_FIELD];		/* tls.sni */
	char action[32];		/* alert.action ("allowed", "blocked", ...) */
	char checks[GW_CHECKS];		/* secaudit.policy.failed[].check, comma-joined */
	char rule[GW_FIELD];		/* the failed rule whose sid the alert carries, else the sid */
	char profile[64], zone[64];	/* secaudit.policy.{profile,zone} */
};

/* Fills ev from one line (len bytes, no NUL needed). False when the line is
 * not a JSON object; ev is then zeroed with time 0 and numbers -1. */
bool gw_event_parse(const char *line, size_t len, struct gw_event *ev);

/* "2026-11-23T08:53:55.332505+0000" (EVE's format; 'Z' and "+00:00"
 * accepted too) to epoch seconds; false when malformed. */
bool gw_event_time(const char *s, double *out);

#endif
