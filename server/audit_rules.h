/*
 * audit_rules: the server's detection rules (the YAML files of rules/audit/,
 * format in docs/audit-channel.md), parsed with libyaml into an immutable rule set
 * and matched against parsed audit events (audit_rec.h).
 *
 *   version: 1
 *   rules:
 *     - id: exec-downloader          unique across the set
 *       sid: 3000001                 unique, 1 .. 4294967295
 *       message: "download tool executed"
 *       category: execution          (default "audit")
 *       severity: 2                  1 high .. 4 (default 2)
 *       match: { key: ..., program: [...], ... }
 *
 * A rule matches an event when every condition of its match holds; a
 * condition given a list holds when one item does. Errors name
 * file:line:column; a set that does not load is refused whole.
 */
#ifndef SECAUDIT_AUDIT_RULES_H
#define SECAUDIT_AUDIT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "audit_rec.h"

struct audit_rules;

/* What an alert says about the rule that fired (strings live as long as
 * the rule set). */
struct audit_rule_info {
	const char *id, *message, *category;
	uint32_t sid;
	unsigned severity;
};

/*
 * Loads a rules file, or every *.yaml file of a directory (in name order,
 * ids and sids unique across them). NULL with "file:line:column: reason"
 * in err. The caller frees with audit_rules_free.
 */
struct audit_rules *audit_rules_load(const char *path, char *err, size_t errsz);
/* The same from text in memory; name is used in messages. */
struct audit_rules *audit_rules_parse(const char *name, const char *text,
				      size_t len, char *err, size_t errsz);
void audit_rules_free(struct audit_rules *r);
size_t audit_rules_count(const struct audit_rules *r);

typedef void (*audit_rules_hit_fn)(void *ctx, const struct audit_rule_info *rule,
				   const struct audit_event *ev);
/* Calls hit for each rule ev matches, in load order; returns how many. */
unsigned audit_rules_match(const struct audit_rules *r, const struct audit_event *ev,
			   audit_rules_hit_fn hit, void *ctx);

#endif
