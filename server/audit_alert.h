/*
 * audit_alert: one EVE-style JSON line per rule hit on an audit event, in
 * the monitor's alert shape (docs/events.md, "audit alerts"): timestamp
 * (the event's own time), event_type "alert", alert{action "allowed",
 * gid, signature_id, rev, signature, category, severity}, and under
 * secaudit.audit the event as the store keeps it.
 */
#ifndef SECAUDIT_AUDIT_ALERT_H
#define SECAUDIT_AUDIT_ALERT_H

#include <stdint.h>

#include "audit_rec.h"
#include "audit_rules.h"
#include "buf.h"

/* Appends the line (with its '\n') to out; check out->oom afterwards. The
 * agent is the certificate subject; stream and seq name the package. */
void audit_alert_json(struct buf *out, const struct audit_rule_info *rule,
		      const char *agent, uint64_t stream, uint64_t seq,
		      const struct audit_event *ev);

#endif
